//! Dictionary encoding of string ids to dense `u32` ids, done once at load time.
//!
//! An id of at most 15 bytes (the common case: `u000042`, `B00005N7P0`, an integer below 10¹⁵) is
//! stored inline as a 16-byte key (its bytes, zero-padded, then its length), so a lookup hashes
//! and compares one `u128` and never follows a pointer to the text. Longer ids are kept back to
//! back in one text arena. The hash table holds only slot numbers (4 bytes each): 10 million
//! user ids take about 250 MB, against about 1 GB for a `HashMap<String, u32>` plus a
//! `Vec<String>`. Hashing is foldhash with a fixed seed (the indices are first-appearance order,
//! so the hash never changes a result).
//!
//! [`encode_column`] and [`lookup_column`] (in `encode`) encode a whole column, looking up known
//! ids on every core and adding new ones in row order, so the indices are the same as one
//! sequential pass. A column much longer than its vocabulary (the item column of a log) is looked
//! up through a `FlatIndex`, a read-only copy of the vocabulary that keeps each key next to its
//! index and is probed a batch of rows at a time with prefetches.
//! [`Vocab::get_memo`] serves columns grouped by id (the user column of most tables): a repeated
//! id costs one comparison and the id stored after the previous one is tried before the table,
//! since tables written by one pipeline usually list their users in the same order.
//!
//! Ids are stored in slots in first-appearance order, and the table holds slots. Renumbering the
//! ids ([`Vocab::reorder`], the users in key order) only changes the index of each slot, so the
//! slots keep the order of the first table read (the recommendations), and the id after the
//! previous one is still the next slot: a sequential read, where the next code would be a random
//! one. A renumbered vocabulary holds 8 more bytes per id (the maps between slots and indices).

mod encode;

use std::hash::BuildHasher;

use foldhash::fast::FixedState;
use hashbrown::HashTable;

pub use encode::{encode_column, lookup_column, UNKNOWN};

/// Longest id stored inline in its key.
const INLINE_MAX: usize = 15;
/// The last key byte of an id kept in the arena (inline ids have their length, ≤ 15, there).
const LONG: u8 = 0xFF;

/// A vocabulary: id text ↔ dense index (first-appearance order, unless
/// [renumbered](Vocab::reorder)).
#[derive(Debug, Clone, Default)]
pub struct Vocab {
    /// The slot of every id, by the hash of its text.
    table: HashTable<u32>,
    /// One key per slot (slots in first-appearance order): the inline text and length, or
    /// [`LONG`] and the id's arena slot.
    keys: Vec<[u8; 16]>,
    /// The index of each slot's id and the slot of each index, both empty while the indices are
    /// the slots (before any [`reorder`](Self::reorder)).
    index_of_slot: Vec<u32>,
    slot_of_index: Vec<u32>,
    /// Text of the ids longer than [`INLINE_MAX`] bytes, back to back.
    long_text: String,
    /// `long_ends[j]` is the end of arena slot j in `long_text` (slot j starts at
    /// `long_ends[j - 1]`, or 0).
    long_ends: Vec<usize>,
    hasher: FixedState,
    /// The index returned by the last [`intern_repeated`](Self::intern_repeated).
    last: Option<u32>,
}

/// The hash of a stored id from its key (and the arena, for a long id).
#[inline]
fn stored_hash(hasher: &FixedState, k: &[u8; 16], long_text: &str, long_ends: &[usize]) -> u64 {
    match long_slot(k) {
        None => hasher.hash_one(u128::from_le_bytes(*k)),
        Some(s) => hasher.hash_one(arena_text(long_text, long_ends, s)),
    }
}

/// The inline key of a short id, `None` for a long one: its bytes zero-padded to 15, then its
/// length.
///
/// The two 8-byte halves are assembled from at most two overlapping loads each, not by a copy of
/// `len` bytes into a zeroed key: that copy is a `memcpy` call whose narrow stores the key's
/// 8-byte reads then wait for (a failed store-to-load forward), and it takes a third of the time
/// of interning a new id.
#[inline]
fn inline_key(id: &str) -> Option<[u8; 16]> {
    let b = id.as_bytes();
    let n = b.len();
    if n > INLINE_MAX {
        return None;
    }
    let word = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"));
    let half = |at: usize| {
        u64::from(u32::from_le_bytes(
            b[at..at + 4].try_into().expect("4 bytes"),
        ))
    };
    let (lo, hi) = match n {
        0 => (0, 0),
        // Bytes 0, n / 2 and n − 1 cover 1 to 3 bytes.
        1..=3 => (
            u64::from(b[0])
                | u64::from(b[n / 2]) << (8 * (n / 2))
                | u64::from(b[n - 1]) << (8 * (n - 1)),
            0,
        ),
        // Bytes 4..n are the top n − 4 bytes of the word ending at n.
        4..=7 => (half(0) | (half(n - 4) >> (8 * (8 - n))) << 32, 0),
        8 => (word(0), 0),
        // Bytes 8..n are the top n − 8 bytes of the word ending at n.
        _ => (word(0), word(n - 8) >> (8 * (16 - n))),
    };
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&lo.to_le_bytes());
    k[8..].copy_from_slice(&(hi | (n as u64) << 56).to_le_bytes());
    Some(k)
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
            if self.is(self.slot(last), inline_key(id).as_ref(), id) {
                return last;
            }
        }
        let i = self.intern(id);
        self.last = Some(i);
        i
    }

    /// Dense index of `id`, adding it when new.
    pub fn intern(&mut self, id: &str) -> u32 {
        let (hash, key) = self.hash(id);
        if let Some(s) = self.find(hash, key, id) {
            return self.index(s);
        }
        // A new id takes the next slot and the next index (the indices of the others are a
        // permutation of the slots before it).
        let i = self.keys.len() as u32;
        if !self.index_of_slot.is_empty() {
            self.index_of_slot.push(i);
            self.slot_of_index.push(i);
        }
        let key = key.unwrap_or_else(|| {
            self.long_text.push_str(id);
            self.long_ends.push(self.long_text.len());
            let mut k = [0u8; 16];
            k[..8].copy_from_slice(&(self.long_ends.len() as u64 - 1).to_le_bytes());
            k[15] = LONG;
            k
        });
        self.keys.push(key);
        let (table, rehash) = self.table_and_rehash();
        table.insert_unique(hash, i, rehash);
        i
    }

    /// Makes room for `additional` more ids, so that interning them does not regrow the table.
    pub fn reserve(&mut self, additional: usize) {
        self.keys.reserve(additional);
        if !self.index_of_slot.is_empty() {
            self.index_of_slot.reserve(additional);
            self.slot_of_index.reserve(additional);
        }
        let (table, rehash) = self.table_and_rehash();
        table.reserve(additional, rehash);
    }

    /// The hash table, and the hash of a stored slot (for when the table grows).
    fn table_and_rehash(&mut self) -> (&mut HashTable<u32>, impl Fn(&u32) -> u64 + '_) {
        let Vocab {
            table,
            keys,
            long_text,
            long_ends,
            hasher,
            ..
        } = self;
        let rehash = move |&j: &u32| stored_hash(hasher, &keys[j as usize], long_text, long_ends);
        (table, rehash)
    }

    /// Dense index of `id`, `None` when unknown.
    pub fn get(&self, id: &str) -> Option<u32> {
        let (hash, key) = self.hash(id);
        self.find(hash, key, id).map(|s| self.index(s))
    }

    /// [`get`](Self::get) through a one-entry memo of the previous lookup, for a column grouped
    /// by id: a repeated id costs one comparison, and the id stored in the slot after the
    /// previous one's (the next id of the first table read) is tried before the hash table.
    pub fn get_memo(&self, id: &str, memo: &mut Memo) -> Option<u32> {
        let key = inline_key(id);
        let same = match key {
            Some(k) => memo.key.is_some_and(|m| same_key(&m, &k)),
            None => memo.key.is_none() && memo.valid && memo.long_id == id,
        };
        if same {
            return memo.code;
        }
        // Tables exported by one pipeline usually list users in the same order: try the slot
        // after the previous one before hashing (a sequential read instead of a random one).
        let next = memo.slot.map_or(0, |s| s + 1);
        let slot = if (next as usize) < self.len() && self.is(next, key.as_ref(), id) {
            Some(next)
        } else {
            let (hash, key) = self.hash(id);
            self.find(hash, key, id)
        };
        memo.key = key;
        if key.is_none() {
            memo.long_id.clear();
            memo.long_id.push_str(id);
        }
        memo.slot = slot;
        memo.code = slot.map(|s| self.index(s));
        memo.valid = true;
        memo.code
    }

    /// The index of the id in slot `s`.
    #[inline]
    fn index(&self, s: u32) -> u32 {
        match self.index_of_slot.get(s as usize) {
            Some(&i) => i,
            None => s,
        }
    }

    /// The slot of index `i`.
    #[inline]
    fn slot(&self, i: u32) -> u32 {
        match self.slot_of_index.get(i as usize) {
            Some(&s) => s,
            None => i,
        }
    }

    /// The text of id `i`.
    pub fn id(&self, i: u32) -> &str {
        let k = &self.keys[self.slot(i) as usize];
        match long_slot(k) {
            None => std::str::from_utf8(&k[..k[15] as usize]).expect("ids are text"),
            Some(s) => arena_text(&self.long_text, &self.long_ends, s),
        }
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the vocabulary is empty.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Renumbers the ids: id `order[i]` becomes index i (`order` a permutation of the indices).
    /// The slots, their keys and the hash table stay as they are; only the index of each slot
    /// changes.
    pub fn reorder(&mut self, order: &[u32]) {
        assert_eq!(order.len(), self.len(), "a permutation of the ids");
        let slot_of_index: Vec<u32> = order.iter().map(|&old| self.slot(old)).collect();
        let mut index_of_slot = vec![0u32; order.len()];
        for (i, &s) in slot_of_index.iter().enumerate() {
            index_of_slot[s as usize] = i as u32;
        }
        self.slot_of_index = slot_of_index;
        self.index_of_slot = index_of_slot;
        self.last = None;
    }

    /// The ids in index order.
    pub fn into_ids(self) -> Vec<String> {
        (0..self.len() as u32)
            .map(|i| self.id(i).to_string())
            .collect()
    }

    /// The hash of `id` and its inline key (`None` when it is long).
    #[inline]
    fn hash(&self, id: &str) -> (u64, Option<[u8; 16]>) {
        match inline_key(id) {
            Some(k) => (self.hasher.hash_one(u128::from_le_bytes(k)), Some(k)),
            None => (self.hasher.hash_one(id), None),
        }
    }

    /// The slot of `id` (hash `hash`, inline key `key`), `None` when unknown.
    #[inline]
    fn find(&self, hash: u64, key: Option<[u8; 16]>, id: &str) -> Option<u32> {
        self.table
            .find(hash, |&s| self.is(s, key.as_ref(), id))
            .copied()
    }

    /// Whether the id in slot `s` is `id`, whose inline key is `key` (`None` when `id` is long).
    #[inline]
    fn is(&self, s: u32, key: Option<&[u8; 16]>, id: &str) -> bool {
        let k = &self.keys[s as usize];
        match key {
            Some(key) => same_key(k, key),
            None => {
                long_slot(k).is_some_and(|s| arena_text(&self.long_text, &self.long_ends, s) == id)
            }
        }
    }
}

/// Whether two keys are equal, compared as one 128-bit number.
#[inline]
fn same_key(a: &[u8; 16], b: &[u8; 16]) -> bool {
    u128::from_le_bytes(*a) == u128::from_le_bytes(*b)
}

/// The arena slot of a long id's key, `None` for an inline one.
#[inline]
fn long_slot(k: &[u8; 16]) -> Option<usize> {
    (k[15] == LONG).then(|| u64::from_le_bytes(k[..8].try_into().expect("8 bytes")) as usize)
}

/// Slot `s` of an arena: `text[ends[s - 1]..ends[s]]` (from 0 for the first).
#[inline]
fn arena_text<'a>(text: &'a str, ends: &[usize], s: usize) -> &'a str {
    let start = if s == 0 { 0 } else { ends[s - 1] };
    &text[start..ends[s]]
}

/// The previous lookup of [`Vocab::get_memo`].
#[derive(Debug, Default)]
pub struct Memo {
    /// The inline key of the previous id, `None` when it was long (or there was none).
    key: Option<[u8; 16]>,
    /// The previous id when it was long.
    long_id: String,
    /// The previous id's slot and index.
    slot: Option<u32>,
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
        for id in [
            "a", "a", "zz", "zz", "ab", "a", "u0", "u1", "u2", "u2", "u4", "b", "a",
        ] {
            assert_eq!(v.get_memo(id, &mut memo), v.get(id), "{id}");
        }
        assert_eq!(v.into_ids()[..4], ["b", "a", "", "ab"]);
    }

    #[test]
    fn reorder_renumbers_every_id() {
        // Inline and long ids, enough to have grown the table.
        let mut v = Vocab::new();
        let ids: Vec<String> = (0..3_000)
            .map(|i| {
                if i % 3 == 0 {
                    format!("a-long-identifier-{i:06}")
                } else {
                    format!("u{i}")
                }
            })
            .collect();
        for id in &ids {
            v.intern(id);
        }
        // New index i holds old id (7 i) mod 3,000 (7 is prime to 3,000).
        let order: Vec<u32> = (0..3_000u32).map(|i| (7 * i) % 3_000).collect();
        v.reorder(&order);
        for (i, &old) in order.iter().enumerate() {
            let id = &ids[old as usize];
            assert_eq!((v.id(i as u32), v.get(id)), (id.as_str(), Some(i as u32)));
        }
        assert_eq!(
            v.intern_repeated("u1"),
            order.iter().position(|&o| o == 1).unwrap() as u32
        );
        assert_eq!(v.intern("new"), 3_000);
        assert_eq!(v.get("new"), Some(3_000));
        assert_eq!(v.id(3_000), "new");
        // A second renumbering composes with the first.
        let reversed: Vec<u32> = (0..3_001u32).rev().collect();
        let before: Vec<String> = (0..3_001u32).map(|i| v.id(i).to_string()).collect();
        v.reorder(&reversed);
        for (i, &old) in reversed.iter().enumerate() {
            let id = &before[old as usize];
            assert_eq!((v.id(i as u32), v.get(id)), (id.as_str(), Some(i as u32)));
        }
    }

    #[test]
    fn memo_lookups_equal_plain_lookups_after_a_renumbering() {
        // Ids interned in one order and renumbered by a permutation; then looked up through the
        // memo in the interning order (the next slot is right), in runs of repeats, backwards,
        // with unknown and long ids among them: always the index `get` gives.
        let ids: Vec<String> = (0..2_000)
            .map(|i| match i % 7 {
                0 => format!("a-long-identifier-{i:06}"),
                _ => format!("u{i}"),
            })
            .collect();
        let mut v = Vocab::new();
        for id in &ids {
            v.intern(id);
        }
        let order: Vec<u32> = (0..2_000u32).map(|i| (13 * i + 5) % 2_000).collect();
        v.reorder(&order);
        let mut column: Vec<String> = ids.clone();
        column.extend(ids.iter().rev().cloned());
        column.extend(ids.iter().flat_map(|id| [id.clone(), id.clone()]));
        for (n, id) in ids.iter().enumerate().step_by(3) {
            column.insert(n, format!("x{n}"));
            column.insert(n, format!("{id}-unknown-and-long"));
        }
        let mut memo = Memo::default();
        for id in &column {
            let expected = ids
                .iter()
                .position(|x| x == id)
                .map(|old| order.iter().position(|&o| o as usize == old).unwrap() as u32);
            assert_eq!(v.get(id), expected, "{id}");
            assert_eq!(v.get_memo(id, &mut memo), expected, "{id}");
        }
    }

    #[test]
    fn inline_keys_are_the_zero_padded_bytes_then_the_length() {
        let text = "0123456789abcdef\u{e9}\u{ff}xyz";
        for start in 0..4 {
            for end in start..=text.len() {
                let Some(id) = text.get(start..end) else {
                    continue;
                };
                let b = id.as_bytes();
                let expected = (b.len() <= INLINE_MAX).then(|| {
                    let mut k = [0u8; 16];
                    k[..b.len()].copy_from_slice(b);
                    k[15] = b.len() as u8;
                    k
                });
                assert_eq!(inline_key(id), expected, "{id:?}");
            }
        }
    }

    #[test]
    fn inline_and_long_ids_do_not_collide() {
        // 15 bytes is the longest inline id, 16 the shortest long one; a trailing NUL and a
        // multi-byte character must not alias a shorter id.
        let ids = [
            "abcdefghijklmno",
            "abcdefghijklmnop",
            "abcdefghijklmnopq",
            "a",
            "a\0",
            "é",
            "ééééééééé",
            "0123456789abcdef0123456789",
        ];
        let mut v = Vocab::new();
        for (n, id) in ids.iter().enumerate() {
            assert_eq!(v.intern(id), n as u32, "{id}");
        }
        for (n, id) in ids.iter().enumerate() {
            assert_eq!((v.get(id), v.id(n as u32)), (Some(n as u32), *id));
        }
        assert_eq!(v.get("abcdefghijklmnopqr"), None);
        // Growth rehashes inline and long keys alike.
        for i in 0..5_000 {
            v.intern(&format!("long-id-number-{i:08}"));
            v.intern(&format!("s{i}"));
        }
        assert_eq!(v.get("long-id-number-00004999"), Some(8 + 2 * 4_999));
        assert_eq!(v.get("s4999"), Some(9 + 2 * 4_999));
        assert_eq!(v.into_ids()[..ids.len()], ids);
    }
}
