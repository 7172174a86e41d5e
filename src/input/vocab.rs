//! Dictionary encoding of string ids to dense `u32` ids, done once at load time.
//!
//! Ids are stored once, back to back in one text arena, and the hash table holds only their
//! dense indices (4 bytes each): 10 million user ids of 8 characters take about 250 MB, against
//! about 1 GB for a `HashMap<String, u32>` plus a `Vec<String>`. Hashing is foldhash with a fixed
//! seed (the indices are first-appearance order, so the hash never changes a result).

use std::hash::BuildHasher;

use foldhash::fast::FixedState;
use hashbrown::HashTable;

/// A vocabulary: id text ↔ dense index (first-appearance order).
#[derive(Debug, Clone, Default)]
pub struct Vocab {
    table: HashTable<u32>,
    /// Every id's text, back to back.
    text: String,
    /// `ends[i]` is the end of id i in `text` (id i starts at `ends[i - 1]`, or 0).
    ends: Vec<usize>,
    hasher: FixedState,
}

impl Vocab {
    /// Empty vocabulary.
    pub fn new() -> Self {
        Self::default()
    }

    /// Dense index of `id`, adding it when new.
    pub fn intern(&mut self, id: &str) -> u32 {
        let hash = self.hasher.hash_one(id);
        let Vocab {
            table,
            text,
            ends,
            hasher,
        } = self;
        let text_of = |i: u32| -> &str {
            let i = i as usize;
            let start = if i == 0 { 0 } else { ends[i - 1] };
            &text[start..ends[i]]
        };
        if let Some(&i) = table.find(hash, |&i| text_of(i) == id) {
            return i;
        }
        let i = ends.len() as u32;
        table.insert_unique(hash, i, |&j| {
            let j = j as usize;
            let start = if j == 0 { 0 } else { ends[j - 1] };
            hasher.hash_one(&text[start..ends[j]])
        });
        text.push_str(id);
        ends.push(text.len());
        i
    }

    /// Dense index of `id`, `None` when unknown.
    pub fn get(&self, id: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(id);
        self.table.find(hash, |&i| self.id(i) == id).copied()
    }

    /// The text of id `i`.
    pub fn id(&self, i: u32) -> &str {
        let i = i as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the vocabulary is empty.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The ids in index order.
    pub fn into_ids(self) -> Vec<String> {
        (0..self.len() as u32)
            .map(|i| self.id(i).to_string())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_in_first_appearance_order() {
        let mut v = Vocab::new();
        let ids: Vec<u32> = ["b", "a", "", "b", "ab", "a"]
            .iter()
            .map(|s| v.intern(s))
            .collect();
        assert_eq!(ids, [0, 1, 2, 0, 3, 1]);
        assert_eq!((v.len(), v.get("ab"), v.get("x")), (4, Some(3), None));
        assert_eq!((v.id(2), v.id(3)), ("", "ab"));
        // Enough ids to make the table grow several times.
        for i in 0..10_000 {
            assert_eq!(v.intern(&format!("u{i}")), 4 + i);
        }
        assert_eq!(v.get("u9999"), Some(10_003));
        assert_eq!(v.into_ids()[..4], ["b", "a", "", "ab"]);
    }
}
