//! The encoded audit dataset: every table of docs/inputs.md after it has been read, validated and
//! dictionary-encoded to dense integer ids.
//!
//! Nothing after [`crate::input`] sees polars or string ids: users are `0..n_users` (the users that
//! have a recommendation list, numbered in ascending order of their keys, [`id_key`]), items are
//! `0..n_items` (the catalog), and every per-user table is a
//! [`Csr`] (compressed sparse rows: one contiguous slice per user). Metric kernels work on these
//! slices, so they are cache-friendly and trivially parallel over users.

use std::sync::Arc;

/// Seed of [`id_key`]: Spark SQL's `xxhash64` seeds its hash with 42.
pub const ID_KEY_SEED: u64 = 42;

/// The key of a user or item id: XXH64 (Collet, xxHash specification v0.8) of the id's UTF-8
/// bytes with seed 42. This is Spark SQL's `xxhash64(col)` of a string column, read as unsigned
/// 64 bits (Spark returns the same bits as a signed `bigint`): checked with pyspark 4.3.0,
/// `local[1]`, on "u1", "u2", "u000001", "u002500", "i00001", "", "é", a 44-byte id and "12345"
/// (the values are in `id_keys_equal_spark_xxhash64`), so a Spark job can partition and order
/// users by the same key. An integer id is keyed by its text as the reader renders it
/// (`12345`: Spark's `xxhash64` of the string cast, not of the long).
///
/// Every random draw about users and items and every per-user order of the audit follows the
/// keys, never the order of rows in the input files (docs/statistics.md, "How replicates are
/// keyed").
#[inline]
pub fn id_key(id: &str) -> u64 {
    xxhash_rust::xxh64::xxh64(id.as_bytes(), ID_KEY_SEED)
}

/// The partition of a user whose key ([`id_key`]) is `key`, among `n` (at least 1):
/// `pmod(xxhash64(user), n)`, the partition a Spark job gives the user (`recaudit.spark` stages
/// tables by it; docs/scaling.md, "Partitioned input"). The key is read as Spark's signed `bigint`,
/// so the remainder is the non-negative one of the signed value, not of the unsigned bits.
#[inline]
pub fn partition_of_key(key: u64, n: usize) -> usize {
    assert!(n >= 1, "at least one partition");
    (key as i64).rem_euclid(n as i64) as usize
}

/// The key ([`id_key`]) of every user, indexed by dense user id, shared without copying by the
/// bootstrap's [`Groups`](crate::stats::Groups).
pub type UserKeys = Arc<[u64]>;

/// Compressed sparse rows: row `r` is `values[offsets[r]..offsets[r + 1]]`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Csr<T> {
    offsets: Vec<usize>,
    values: Vec<T>,
}

impl<T> Default for Csr<T> {
    fn default() -> Self {
        Csr {
            offsets: vec![0],
            values: Vec::new(),
        }
    }
}

impl<T> Csr<T> {
    /// Builds from offsets (length rows + 1, non-decreasing, last = values.len()) and values.
    ///
    /// # Panics
    /// When the offsets are not a valid partition of `values` (an internal invariant: callers
    /// build offsets themselves).
    pub fn from_parts(offsets: Vec<usize>, values: Vec<T>) -> Self {
        assert!(!offsets.is_empty(), "Csr offsets need a leading 0");
        assert_eq!(offsets[0], 0, "Csr offsets must start at 0");
        assert_eq!(
            *offsets.last().unwrap(),
            values.len(),
            "Csr offsets must end at len"
        );
        debug_assert!(offsets.windows(2).all(|w| w[0] <= w[1]));
        Csr { offsets, values }
    }

    /// Builds from one `Vec` per row.
    pub fn from_rows<I: IntoIterator<Item = Vec<T>>>(rows: I) -> Self {
        let mut offsets = vec![0];
        let mut values = Vec::new();
        for row in rows {
            values.extend(row);
            offsets.push(values.len());
        }
        Csr { offsets, values }
    }

    /// Appends empty rows until there are `n_rows` (nothing when there are as many already).
    pub fn pad_rows(&mut self, n_rows: usize) {
        let end = self.values.len();
        if n_rows + 1 > self.offsets.len() {
            self.offsets.resize(n_rows + 1, end);
        }
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Row `r`.
    #[inline]
    pub fn row(&self, r: usize) -> &[T] {
        &self.values[self.offsets[r]..self.offsets[r + 1]]
    }

    /// All values, row after row.
    pub fn values(&self) -> &[T] {
        &self.values
    }

    /// Row boundaries.
    pub fn offsets(&self) -> &[usize] {
        &self.offsets
    }

    /// The offsets and values, taken apart.
    pub fn into_parts(self) -> (Vec<usize>, Vec<T>) {
        (self.offsets, self.values)
    }

    /// Iterates over the rows.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = &[T]> + '_ {
        self.offsets.windows(2).map(|w| &self.values[w[0]..w[1]])
    }

    /// Calls `f(row)` on every row, mutably, rows in parallel (tasks of 16,384 consecutive rows).
    pub fn par_rows_mut(&mut self, f: impl Fn(&mut [T]) + Sync)
    where
        T: Send,
    {
        self.par_rows_mut_indexed(|_, row| f(row));
    }

    /// Calls `f(r, row)` on every row r, mutably, rows in parallel (tasks of 16,384 consecutive
    /// rows).
    pub fn par_rows_mut_indexed(&mut self, f: impl Fn(usize, &mut [T]) + Sync)
    where
        T: Send,
    {
        use rayon::prelude::*;
        const ROWS_PER_TASK: usize = 1 << 14;
        let offsets = &self.offsets;
        let n_rows = offsets.len() - 1;
        let mut tasks: Vec<(usize, &mut [T])> = Vec::new();
        let mut rest: &mut [T] = &mut self.values;
        for first in (0..n_rows).step_by(ROWS_PER_TASK) {
            let last = (first + ROWS_PER_TASK).min(n_rows);
            let (head, tail) = rest.split_at_mut(offsets[last] - offsets[first]);
            tasks.push((first, head));
            rest = tail;
        }
        tasks.into_par_iter().for_each(|(first, values)| {
            let base = offsets[first];
            for r in first..(first + ROWS_PER_TASK).min(n_rows) {
                f(r, &mut values[offsets[r] - base..offsets[r + 1] - base]);
            }
        });
    }

    /// Total number of values.
    pub fn n_values(&self) -> usize {
        self.values.len()
    }
}

impl<T: Copy + Default + Send + Sync> Csr<T> {
    /// The rows in the order `order`: row i of the result is row `order[i]` of `self` (`order` a
    /// permutation of the rows). The values are gathered on all cores, in tasks of 16,384 rows.
    pub fn permute_rows(&self, order: &[u32]) -> Csr<T> {
        assert_eq!(order.len(), self.n_rows(), "a permutation of the rows");
        let mut offsets = Vec::with_capacity(order.len() + 1);
        offsets.push(0);
        let mut end = 0;
        for &r in order {
            end += self.row(r as usize).len();
            offsets.push(end);
        }
        let mut out = Csr {
            offsets,
            values: vec![T::default(); end],
        };
        out.par_rows_mut_indexed(|i, row| row.copy_from_slice(self.row(order[i] as usize)));
        out
    }
}

impl<T: Copy + Default> Csr<T> {
    /// Builds `n_rows` rows from `(row, value)` pairs, keeping the input order within a row (a
    /// counting sort: O(pairs + rows), one output array beside the input).
    ///
    /// Pairs already in row order (a table grouped by user, in the order users were numbered)
    /// keep `values` as they are: only the offsets are counted.
    pub fn from_pairs(n_rows: usize, rows: &[u32], values: Vec<T>) -> Self {
        assert_eq!(rows.len(), values.len());
        if let Some(offsets) = sorted_offsets(n_rows, rows) {
            return Csr { offsets, values };
        }
        // Each run of pairs of one row is copied at once.
        Self::scatter_runs(n_rows, rows, |out, k| {
            out.copy_from_slice(&values[k..k + out.len()]);
        })
    }

    /// Like [`from_pairs`](Self::from_pairs), with the value of pair k computed by `value_of(k)`
    /// (no input array of values is needed).
    pub fn from_rows_of(n_rows: usize, rows: &[u32], value_of: impl Fn(usize) -> T) -> Self {
        Self::scatter_runs(n_rows, rows, |out, k| {
            for (j, v) in out.iter_mut().enumerate() {
                *v = value_of(k + j);
            }
        })
    }

    /// The counting sort of [`from_pairs`](Self::from_pairs) by runs of pairs of one row (a table
    /// grouped by user has runs of a user's rows, whose codes are in no order): `fill(out, k)`
    /// writes the values of pairs `k..k + out.len()`, one run, into their place. A run costs one
    /// count and one look-up of where its row goes, instead of one per pair.
    fn scatter_runs(n_rows: usize, rows: &[u32], fill: impl Fn(&mut [T], usize)) -> Self {
        let offsets = offsets_of(n_rows, rows);
        let mut next = offsets[..n_rows].to_vec();
        let mut out = vec![T::default(); rows.len()];
        for (r, run) in runs(rows) {
            let at = &mut next[r as usize];
            fill(&mut out[*at..*at + run.len()], run.start);
            *at += run.len();
        }
        Csr {
            offsets,
            values: out,
        }
    }
}

/// The runs of equal values of `rows`: each value and the positions of its run, in order.
fn runs(rows: &[u32]) -> impl Iterator<Item = (u32, std::ops::Range<usize>)> + '_ {
    let mut start = 0;
    std::iter::from_fn(move || {
        let &r = rows.get(start)?;
        let len = rows[start..].iter().take_while(|&&x| x == r).count();
        let run = start..start + len;
        start += len;
        Some((r, run))
    })
}

/// [`offsets_of`] when `rows` is sorted, `None` when it is not. A row's pairs are then
/// contiguous, so its offset is where the row first changes past it: one scan with a comparison
/// per pair, against a sortedness check plus a count per pair (whose increments of the same
/// counter, one after another, wait on each other).
fn sorted_offsets(n_rows: usize, rows: &[u32]) -> Option<Vec<usize>> {
    let mut offsets = Vec::with_capacity(n_rows + 1);
    offsets.push(0);
    let mut prev = 0u32;
    for (k, &r) in rows.iter().enumerate() {
        if r != prev {
            if r < prev {
                return None;
            }
            assert!((r as usize) < n_rows, "row {r} of {n_rows}");
            // Rows prev + 1 ..= r start here.
            offsets.resize(r as usize + 1, k);
            prev = r;
        }
    }
    offsets.resize(n_rows + 1, rows.len());
    Some(offsets)
}

/// The CSR offsets of `n_rows` rows holding the pairs of `rows` (a row's count, summed; a run
/// of pairs of one row counted at once).
fn offsets_of(n_rows: usize, rows: &[u32]) -> Vec<usize> {
    let mut offsets = vec![0usize; n_rows + 1];
    for (r, run) in runs(rows) {
        offsets[r as usize + 1] += run.len();
    }
    for i in 0..n_rows {
        offsets[i + 1] += offsets[i];
    }
    offsets
}

/// One user's held-out relevant item with its graded relevance (docs/inputs.md `truth`, default 1).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Relevant {
    /// Dense item id.
    pub item: u32,
    /// Relevance grade (> 0).
    pub relevance: f64,
}

/// A categorical column over users or items: `codes[row]` indexes `labels`, [`Categorical::MISSING`]
/// when the row has no value (or, for user slices, no consent).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Categorical {
    /// Column name as given in the input.
    pub name: String,
    /// Distinct values, sorted.
    pub labels: Vec<String>,
    /// One code per row.
    pub codes: Vec<u32>,
}

impl Categorical {
    /// The code of a missing value.
    pub const MISSING: u32 = u32::MAX;

    /// Label of a row, `None` when missing.
    pub fn label_of(&self, row: usize) -> Option<&str> {
        let c = self.codes[row];
        (c != Self::MISSING).then(|| self.labels[c as usize].as_str())
    }
}

/// Recommendation lists, one row per user (dense user id), items in rank order (`row[0]` = rank 1),
/// already truncated to the cutoff k. Position p (0-based) in a row has rank p + 1.
pub type RecLists = Csr<u32>;

/// The recommendations of one snapshot (docs/inputs.md `snapshot`), in snapshot order.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The snapshot's label as given (a date or an integer, as text).
    pub label: String,
    /// Lists of this snapshot; users absent from it have empty rows.
    pub lists: RecLists,
}

/// Item attributes (docs/inputs.md `items`), indexed by dense item id.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Items {
    /// Catalog item ids as text (never written to reports about users; item ids are not personal).
    pub ids: Vec<String>,
    /// Category labels.
    pub category_labels: Vec<String>,
    /// Categories of each item (several when the input joined them with `|`); empty when unknown.
    pub categories: Csr<u32>,
    /// Item group columns (provider, or any other categorical item column).
    pub groups: Vec<Categorical>,
    /// The items table's popularity column, when given.
    pub popularity: Option<Vec<f64>>,
    /// Numeric feature vectors (for cosine intra-list diversity), when given; all the same length.
    pub features: Option<Vec<Vec<f64>>>,
}

impl Items {
    /// Catalog size |I|.
    pub fn n_items(&self) -> usize {
        self.ids.len()
    }
}

/// History (docs/inputs.md `history`): past interactions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct History {
    /// Per audited user, the items interacted with, oldest first (by timestamp when given, else file
    /// order), duplicates kept.
    pub per_user: Csr<u32>,
    /// Per item, the number of distinct users of the whole history table who interacted with it
    /// (users without recommendations included).
    pub distinct_users: Vec<u32>,
    /// Per item, the number of history interactions (rows) of the whole table.
    pub interactions: Vec<u32>,
    /// Distinct users in the whole history table.
    pub n_users: usize,
}

/// The whole encoded audit input.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dataset {
    /// Number of audited users (users with at least one recommendation).
    pub n_users: usize,
    /// The key ([`id_key`]) of every audited user, by dense user id. The reader numbers users in
    /// ascending (key, id) order, so these ascend and every order by dense user id is the order
    /// of the keys, whatever the order of the input rows (a partition's dataset,
    /// `partial::partition_dataset`, keeps its users' keys in the partition's order).
    pub user_keys: UserKeys,
    /// The cutoff k the lists were truncated to.
    pub k: usize,
    /// The main lists: the last snapshot when several are given, the first sample when several
    /// sampled rankings are given.
    pub recs: RecLists,
    /// All snapshots in order (empty when the input has no snapshot column or only one snapshot).
    pub snapshots: Vec<Snapshot>,
    /// Sampled rankings per user for expected exposure (empty without a `sample` column).
    pub samples: Vec<RecLists>,
    /// Demographic slice columns of the users table, codes per dense user; non-consenting users and
    /// users missing from the users table have [`Categorical::MISSING`] everywhere.
    pub slices: Vec<Categorical>,
    /// The catalog and its attributes.
    pub items: Items,
    /// Held-out relevant items per user, when a truth table is given.
    pub truth: Option<Csr<Relevant>>,
    /// The propensity of every truth row (in the order of `truth`'s values), when the truth table
    /// has a `propensity` column (docs/inputs.md): the probability that the (user, item)
    /// interaction was observed, in (0, 1].
    pub truth_propensity: Option<Vec<f64>>,
    /// Past interactions, when a history table is given.
    pub history: Option<History>,
    /// A baseline run's lists (`--baseline-recs`), one row per audited user, cut at k; a user
    /// without a baseline list has an empty row. Items only the baseline shows have codes past
    /// the catalog (`>= items.n_items()`), so they match no catalog item.
    pub baseline: Option<RecLists>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_keys_equal_spark_xxhash64() {
        // Spark SQL 4.3.0 (pyspark, local[1]): `xxhash64(id)` of a string column, the signed
        // bigint it returns read as its unsigned 64 bits. The 44-byte id covers XXH64's 32-byte
        // stripes, "é" a multi-byte character, "" the empty input.
        let spark: [(&str, i64); 9] = [
            ("u1", -5_294_616_631_767_451_713),
            ("u2", -6_353_868_742_777_724_628),
            ("u000001", 7_473_084_495_584_085_840),
            ("u002500", -846_021_886_613_951_108),
            ("i00001", -7_698_203_985_498_620_243),
            ("", -7_444_071_767_201_028_348),
            ("é", 2_065_146_811_275_570_100),
            (
                "abcdefghijklmnopqrstuvwxyz0123456789-long-id",
                4_346_060_612_206_275_920,
            ),
            ("12345", -4_985_319_033_745_306_281),
        ];
        for (id, h) in spark {
            assert_eq!(id_key(id), h as u64, "{id:?}");
        }
        // The xxHash reference's XXH64 of the empty input with seed 0.
        assert_eq!(xxhash_rust::xxh64::xxh64(b"", 0), 0xef46_db37_51d8_e999);
    }

    #[test]
    fn partitions_are_spark_pmod_of_the_signed_key() {
        // Spark SQL's `pmod(xxhash64(id), n)` is the non-negative remainder of the signed key
        // ("u1" and "u002500" have negative keys: their unsigned remainder differs).
        for (id, n, want) in [
            ("u1", 7, 3),
            ("u1", 192, 63),
            ("u000001", 192, 144),
            ("u002500", 7, 2),
            ("u002500", 192, 124),
        ] {
            assert_eq!(partition_of_key(id_key(id), n), want, "{id:?} {n}");
        }
        assert_eq!(id_key("u1") % 192, 127);
        assert_eq!(partition_of_key(u64::MAX, 1), 0);
    }

    #[test]
    fn permute_rows_moves_whole_rows() {
        // More rows than one parallel task, empty rows included.
        let rows: Vec<Vec<u32>> = (0..40_000u32)
            .map(|r| (0..r % 4).map(|k| 10 * r + k).collect())
            .collect();
        let csr = Csr::from_rows(rows.clone());
        let order: Vec<u32> = (0..40_000u32).map(|i| (i * 7_919) % 40_000).collect();
        let moved = csr.permute_rows(&order);
        assert_eq!(moved.n_rows(), 40_000);
        for (i, &r) in order.iter().enumerate() {
            assert_eq!(moved.row(i), &rows[r as usize][..]);
        }
    }

    #[test]
    fn par_rows_mut_visits_every_row_once() {
        let rows: Vec<Vec<u32>> = (0..40_000u32)
            .map(|r| (0..r % 5).map(|k| r + k).collect())
            .collect();
        let mut csr = Csr::from_rows(rows.clone());
        csr.par_rows_mut(|row| row.reverse());
        for (r, row) in rows.iter().enumerate() {
            let mut expected = row.clone();
            expected.reverse();
            assert_eq!(csr.row(r), &expected[..]);
        }
    }

    #[test]
    fn pad_rows_appends_empty_rows_only() {
        let mut csr = Csr::from_rows(vec![vec![1u32], vec![2, 3]]);
        csr.pad_rows(1);
        assert_eq!(csr.n_rows(), 2);
        csr.pad_rows(4);
        assert_eq!(csr.n_rows(), 4);
        assert_eq!(
            (csr.row(1), csr.row(2), csr.row(3)),
            (&[2, 3][..], &[][..], &[][..])
        );
        assert_eq!(csr.values(), &[1, 2, 3]);
    }

    #[test]
    fn sorted_pairs_give_the_csr_of_the_counting_sort() {
        // Rows in order (the fast path that keeps the values) with empty rows between, at the
        // start and at the end: the same CSR as the counting sort of `from_rows_of`.
        let rows = [1, 1, 3, 3, 3, 4];
        let values = vec![10u32, 11, 12, 13, 14, 15];
        let fast = Csr::from_pairs(6, &rows, values.clone());
        assert_eq!(fast, Csr::from_rows_of(6, &rows, |k| values[k]));
        assert_eq!(fast.offsets(), &[0, 0, 2, 2, 5, 6, 6]);
        assert_eq!(fast.row(3), &[12, 13, 14]);
    }

    #[test]
    fn sorted_offsets_are_the_counted_offsets_of_sorted_rows() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for case in 0..300 {
            let n_rows = rng.gen_range(1..12);
            let mut rows: Vec<u32> = (0..rng.gen_range(0..30))
                .map(|_| rng.gen_range(0..n_rows as u32))
                .collect();
            if case % 2 == 0 {
                rows.sort_unstable();
            }
            let expected = rows.is_sorted().then(|| offsets_of(n_rows, &rows));
            assert_eq!(
                sorted_offsets(n_rows, &rows),
                expected,
                "{rows:?} of {n_rows}"
            );
        }
        assert_eq!(sorted_offsets(3, &[]), Some(vec![0, 0, 0, 0]));
    }

    #[test]
    fn from_pairs_equals_a_pair_by_pair_counting_sort() {
        // Rows in runs of random lengths and random order (a table grouped by user), pairs one
        // by one, rows that repeat after other rows, and empty rows.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = |m: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % m
        };
        for (n_rows, n_runs, max_run) in [(50, 400, 30), (1_000, 300, 1), (7, 1_000, 5)] {
            let mut rows = Vec::new();
            for _ in 0..n_runs {
                let (r, len) = (next(n_rows) as u32, 1 + next(max_run) as usize);
                rows.extend(std::iter::repeat_n(r, len));
            }
            let values: Vec<u64> = (0..rows.len() as u64).map(|k| 3 * k + 1).collect();
            // The definition: every row's values in input order.
            let mut offsets = vec![0];
            let mut expected = Vec::new();
            for r in 0..n_rows as u32 {
                expected.extend((0..rows.len()).filter(|&k| rows[k] == r).map(|k| values[k]));
                offsets.push(expected.len());
            }
            let csr = Csr::from_pairs(n_rows as usize, &rows, values.clone());
            assert_eq!((csr.offsets(), csr.values()), (&offsets[..], &expected[..]));
            let csr = Csr::from_rows_of(n_rows as usize, &rows, |k| values[k]);
            assert_eq!((csr.offsets(), csr.values()), (&offsets[..], &expected[..]));
        }
    }

    #[test]
    fn from_pairs_groups_rows_in_input_order() {
        let csr = Csr::from_pairs(4, &[2, 0, 2, 3, 0, 2], vec![10, 11, 12, 13, 14, 15]);
        assert_eq!(csr.offsets(), &[0, 2, 2, 5, 6]);
        assert_eq!(csr.row(0), &[11, 14]);
        assert!(csr.row(1).is_empty());
        assert_eq!(csr.row(2), &[10, 12, 15]);
        assert_eq!(csr.row(3), &[13]);
        let empty: Csr<u32> = Csr::from_pairs(2, &[], Vec::new());
        assert_eq!(empty.offsets(), &[0, 0, 0]);
    }
}
