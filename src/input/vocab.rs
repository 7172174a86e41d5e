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
    /// The index returned by the last [`intern_repeated`](Self::intern_repeated).
    last: Option<u32>,
}

impl Vocab {
    /// Empty vocabulary.
    pub fn new() -> Self {
        Self::default()
    }

    /// [`intern`](Self::intern), first comparing `id` with the previous id interned this way: a
    /// table grouped by user repeats the same user id for many rows in a row, and one comparison
    /// saves the hash lookup.
    pub fn intern_repeated(&mut self, id: &str) -> u32 {
        if let Some(last) = self.last {
            if self.id(last) == id {
                return last;
            }
        }
        let i = self.intern(id);
        self.last = Some(i);
        i
    }

    /// Dense index of `id`, adding it when new.
    pub fn intern(&mut self, id: &str) -> u32 {
        let hash = self.hasher.hash_one(id);
        let Vocab {
            table,
            text,
            ends,
            hasher,
            ..
        } = self;
        if let Some(&i) = table.find(hash, |&i| text_of(text, ends, i) == id) {
            return i;
        }
        let i = ends.len() as u32;
        table.insert_unique(hash, i, |&j| hasher.hash_one(text_of(text, ends, j)));
        text.push_str(id);
        ends.push(text.len());
        i
    }

    /// Dense index of `id`, `None` when unknown.
    pub fn get(&self, id: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(id);
        self.table.find(hash, |&i| self.id(i) == id).copied()
    }

    /// [`get`](Self::get) through a one-entry memo of the previous lookup.
    pub fn get_memo(&self, id: &str, memo: &mut Memo) -> Option<u32> {
        if memo.valid && memo.id == id {
            return memo.code;
        }
        memo.id.clear();
        memo.id.push_str(id);
        memo.code = self.get(id);
        memo.valid = true;
        memo.code
    }

    /// The text of id `i`.
    pub fn id(&self, i: u32) -> &str {
        text_of(&self.text, &self.ends, i)
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

/// Id `i` of an arena: `text[ends[i - 1]..ends[i]]` (from 0 for the first).
#[inline]
fn text_of<'a>(text: &'a str, ends: &[usize], i: u32) -> &'a str {
    let i = i as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] };
    &text[start..ends[i]]
}

/// The previous lookup of [`Vocab::get_memo`].
#[derive(Debug, Default)]
pub struct Memo {
    id: String,
    code: Option<u32>,
    valid: bool,
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
        let again: Vec<u32> = ["a", "a", "b", "c", "c", ""]
            .iter()
            .map(|s| v.intern_repeated(s))
            .collect();
        assert_eq!(again, [1, 1, 0, 4, 4, 2]);
        assert_eq!(v.id(4), "c");
        assert_eq!((v.len(), v.get("ab"), v.get("x")), (5, Some(3), None));
        assert_eq!((v.id(2), v.id(3)), ("", "ab"));
        // Enough ids to make the table grow several times.
        for i in 0..10_000 {
            assert_eq!(v.intern(&format!("u{i}")), 5 + i);
        }
        assert_eq!(v.get("u9999"), Some(10_004));
        let mut memo = Memo::default();
        for id in ["a", "a", "zz", "zz", "ab", "a"] {
            assert_eq!(v.get_memo(id, &mut memo), v.get(id));
        }
        assert_eq!(v.into_ids()[..4], ["b", "a", "", "ab"]);
    }
}
