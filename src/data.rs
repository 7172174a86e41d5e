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

/// Asks the CPU to bring the cache line holding `value` into its caches, ahead of a read that
/// would otherwise wait on memory (a scattered read, such as an item's row looked up by id). Only a
/// hint: it never faults and changes no value.
#[inline(always)]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE is part of the x86_64 baseline, and a prefetch of a valid reference's address
    // only moves a cache line.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>((value as *const T).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
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

    /// Builds from one slice per row, copied into one array reserved at their total length.
    pub fn from_slices(rows: &[&[T]]) -> Self
    where
        T: Clone,
    {
        let mut offsets = Vec::with_capacity(rows.len() + 1);
        offsets.push(0);
        let mut values = Vec::with_capacity(rows.iter().map(|r| r.len()).sum());
        for row in rows {
            values.extend_from_slice(row);
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

impl<T: Copy + Default + Send + Sync> Csr<T> {
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
        Self::scatter_values(n_rows, rows, &values)
    }

    /// [`from_pairs`](Self::from_pairs) with the values borrowed: the caller keeps them (and, for
    /// pairs already in row order, they are copied).
    pub fn from_pairs_of(n_rows: usize, rows: &[u32], values: &[T]) -> Self {
        assert_eq!(rows.len(), values.len());
        if let Some(offsets) = sorted_offsets(n_rows, rows) {
            return Csr {
                offsets,
                values: values.to_vec(),
            };
        }
        Self::scatter_values(n_rows, rows, values)
    }

    /// The counting sort of pairs not in row order: each run of pairs of one row is copied at
    /// once ([`scatter_runs`](Self::scatter_runs)).
    fn scatter_values(n_rows: usize, rows: &[u32], values: &[T]) -> Self {
        Self::scatter_runs(n_rows, rows, |out, k| {
            out.copy_from_slice(&values[k..k + out.len()]);
        })
    }

    /// Like [`from_pairs`](Self::from_pairs), with the value of pair k computed by `value_of(k)`
    /// (no input array of values is needed).
    pub fn from_rows_of(n_rows: usize, rows: &[u32], value_of: impl Fn(usize) -> T + Sync) -> Self {
        Self::scatter_runs(n_rows, rows, |out, k| {
            for (j, v) in out.iter_mut().enumerate() {
                *v = value_of(k + j);
            }
        })
    }

    /// The counting sort of [`from_pairs`](Self::from_pairs) by runs of pairs of one row (a table
    /// grouped by user has runs of a user's rows, whose codes are in no order): `fill(out, k)`
    /// writes the values of pairs `k..k + out.len()`, one run, into their place. A run costs one
    /// count and one look-up of where its row goes, instead of one per pair. The rows are split
    /// into as many parts as there are threads, each part filled by one task
    /// ([`scatter_runs_in`](Self::scatter_runs_in)).
    fn scatter_runs(n_rows: usize, rows: &[u32], fill: impl Fn(&mut [T], usize) + Sync) -> Self {
        let parts = rayon::current_num_threads();
        Self::scatter_runs_in(n_rows, rows, parts, RUN_WINDOW, fill)
    }

    /// [`scatter_runs`](Self::scatter_runs) with the rows split into `parts` ranges of rows
    /// holding about as many pairs each, filled in parallel: every part walks all the runs
    /// ([`runs_by_window`], `window` pairs at a time) and copies those of its own rows into its
    /// own stretch of the output, so that parts never write to the same place. The runs of a
    /// window are found first and then placed, so that the look-ups of where each run goes (at
    /// random places in memory) do not wait on each other.
    ///
    /// Beside the output, each part holds one cursor per row of its range (one per row in all)
    /// and `window`-bounded scratch space.
    fn scatter_runs_in(
        n_rows: usize,
        rows: &[u32],
        parts: usize,
        window: usize,
        fill: impl Fn(&mut [T], usize) + Sync,
    ) -> Self {
        use rayon::prelude::*;
        let offsets = offsets_in(n_rows, rows, parts, window);
        let mut out = vec![T::default(); rows.len()];
        let mut tasks: Vec<(std::ops::Range<usize>, &mut [T])> = Vec::with_capacity(parts);
        let mut rest: &mut [T] = &mut out;
        for part in pair_balanced_parts(&offsets, parts) {
            let (head, tail) = rest.split_at_mut(offsets[part.end] - offsets[part.start]);
            tasks.push((part, head));
            rest = tail;
        }
        tasks.into_par_iter().for_each(|(part, out)| {
            let base = offsets[part.start];
            // Where the next pair of each row of the part goes, in `out`.
            let mut next: Vec<usize> = offsets[part.clone()].iter().map(|&o| o - base).collect();
            // The part's runs of a window: (place in `out`, first pair, length).
            let mut placed: Vec<(usize, usize, usize)> = Vec::new();
            runs_by_window(rows, window, |first, starts| {
                placed.clear();
                for run in starts.windows(2) {
                    let r = rows[first + run[0]] as usize;
                    if part.contains(&r) {
                        let len = run[1] - run[0];
                        let at = &mut next[r - part.start];
                        placed.push((*at, first + run[0], len));
                        *at += len;
                    }
                }
                for &(at, k, len) in &placed {
                    fill(&mut out[at..at + len], k);
                }
            });
        });
        Csr {
            offsets,
            values: out,
        }
    }
}

/// Pairs per window of [`runs_by_window`] in [`Csr::from_pairs`]: 512 KB of run starts at most.
const RUN_WINDOW: usize = 1 << 16;

/// Positions compared at once by [`run_starts`].
const RUN_BLOCK: usize = 64;

/// Bit j set when position `base + j` of `rows` starts a run of equal values (position 0, or a
/// value unlike the one before it), for the [`RUN_BLOCK`] positions from `base`. A whole block
/// is compared without branches, which the compiler turns into vector comparisons.
#[inline]
fn run_start_mask(rows: &[u32], base: usize) -> u64 {
    let end = (base + RUN_BLOCK).min(rows.len());
    match (
        rows.get(base..end)
            .and_then(|b| <&[u32; RUN_BLOCK]>::try_from(b).ok()),
        base.checked_sub(1)
            .and_then(|before| rows.get(before..end - 1))
            .and_then(|b| <&[u32; RUN_BLOCK]>::try_from(b).ok()),
    ) {
        (Some(block), Some(before)) => {
            let mut mask = 0u64;
            for j in 0..RUN_BLOCK {
                mask |= u64::from(block[j] != before[j]) << j;
            }
            mask
        }
        // The first block, or a last one shorter than a block.
        _ => (base..end)
            .filter(|&k| k == 0 || rows[k] != rows[k - 1])
            .fold(0, |mask, k| mask | 1 << (k - base)),
    }
}

/// The positions where the runs of equal values of `rows` start, in order: 0 (unless `rows` is
/// empty) and every position whose value differs from the one before it.
fn run_starts(rows: &[u32]) -> impl Iterator<Item = usize> + '_ {
    let mut base = 0;
    let mut mask = run_start_mask(rows, 0);
    std::iter::from_fn(move || loop {
        if mask != 0 {
            let j = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            return Some(base + j);
        }
        base += RUN_BLOCK;
        if base >= rows.len() {
            return None;
        }
        mask = run_start_mask(rows, base);
    })
}

/// Calls `each(first, starts)` for the consecutive windows of `window` pairs of `rows`: `first`
/// is the window's first pair, and `starts` the starts of the runs of equal rows within the
/// window (relative to `first`), then the window's length. Run i holds pairs
/// `first + starts[i]..first + starts[i + 1]`, all of row `rows[first + starts[i]]`. A run
/// across windows comes as two runs of one row, one after the other.
fn runs_by_window(rows: &[u32], window: usize, mut each: impl FnMut(usize, &[usize])) {
    let mut starts = Vec::with_capacity(window.min(rows.len()) + 1);
    for (w, pairs) in rows.chunks(window).enumerate() {
        starts.clear();
        starts.extend(run_starts(pairs));
        starts.push(pairs.len());
        each(w * window, &starts);
    }
}

/// `parts` consecutive ranges covering rows `0..offsets.len() - 1` with about as many pairs
/// each (by the CSR `offsets`); some may be empty.
fn pair_balanced_parts(
    offsets: &[usize],
    parts: usize,
) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let (n_rows, n_pairs) = (offsets.len() - 1, offsets[offsets.len() - 1]);
    let bound = move |p: usize| {
        let target = n_pairs / parts * p + n_pairs % parts * p / parts;
        offsets.partition_point(|&o| o < target).min(n_rows)
    };
    (0..parts).map(move |p| bound(p)..if p + 1 == parts { n_rows } else { bound(p + 1) })
}

/// The CSR offsets of `n_rows` rows holding the pairs of `rows` ([`offsets_in`]) when `rows` is
/// sorted, `None` when it is not. A row's pairs are then
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
/// of pairs of one row counted at once), the rows split into `parts` ranges of as many rows,
/// counted in parallel: each part walks all the runs ([`runs_by_window`], `window` pairs at a
/// time) and counts those of its own rows.
///
/// # Panics
/// When a row is not below `n_rows`.
fn offsets_in(n_rows: usize, rows: &[u32], parts: usize, window: usize) -> Vec<usize> {
    use rayon::prelude::*;
    let mut offsets = vec![0usize; n_rows + 1];
    // Row r's count goes to offsets[r + 1], each part's into its own stretch.
    let mut tasks: Vec<(usize, &mut [usize])> = Vec::with_capacity(parts);
    let mut rest: &mut [usize] = &mut offsets[1..];
    for p in 0..parts {
        let first = n_rows * p / parts;
        let (head, tail) = rest.split_at_mut(n_rows * (p + 1) / parts - first);
        tasks.push((first, head));
        rest = tail;
    }
    tasks.into_par_iter().for_each(|(first, counts)| {
        let part = first..first + counts.len();
        runs_by_window(rows, window, |at, starts| {
            for run in starts.windows(2) {
                let r = rows[at + run[0]] as usize;
                if part.contains(&r) {
                    counts[r - first] += run[1] - run[0];
                }
            }
        });
    });
    for i in 0..n_rows {
        offsets[i + 1] += offsets[i];
    }
    assert_eq!(
        offsets[n_rows],
        rows.len(),
        "a row beyond the {n_rows} rows"
    );
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
            let expected = rows
                .is_sorted()
                .then(|| offsets_in(n_rows, &rows, 1, RUN_WINDOW));
            assert_eq!(
                sorted_offsets(n_rows, &rows),
                expected,
                "{rows:?} of {n_rows}"
            );
        }
        assert_eq!(sorted_offsets(3, &[]), Some(vec![0, 0, 0, 0]));
    }

    /// The definition of [`Csr::from_pairs`]: row by row, the values of the row's pairs in
    /// input order.
    fn pairs_by_row<T: Copy>(n_rows: usize, rows: &[u32], values: &[T]) -> (Vec<usize>, Vec<T>) {
        let mut offsets = vec![0];
        let mut grouped = Vec::new();
        for r in 0..n_rows as u32 {
            grouped.extend((0..rows.len()).filter(|&k| rows[k] == r).map(|k| values[k]));
            offsets.push(grouped.len());
        }
        (offsets, grouped)
    }

    /// Rows in `n_runs` runs of 1 to `max_run` pairs of random rows below `n_rows` (a table
    /// grouped by user): rows that repeat after other rows, runs of one row back to back, and,
    /// with few runs, empty rows.
    fn rows_in_runs(
        next: &mut impl FnMut(u64) -> u64,
        n_rows: u64,
        n_runs: usize,
        max_run: u64,
    ) -> Vec<u32> {
        let mut rows = Vec::new();
        for _ in 0..n_runs {
            let (r, len) = (next(n_rows) as u32, 1 + next(max_run) as usize);
            rows.extend(std::iter::repeat_n(r, len));
        }
        rows
    }

    fn xorshift(mut state: u64) -> impl FnMut(u64) -> u64 {
        move |m: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % m
        }
    }

    #[test]
    fn from_pairs_equals_a_pair_by_pair_counting_sort() {
        // Rows in runs of random lengths and random order (a table grouped by user), pairs one
        // by one, rows that repeat after other rows, and empty rows.
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        for (n_rows, n_runs, max_run) in [(50, 400, 30), (1_000, 300, 1), (7, 1_000, 5)] {
            let rows = rows_in_runs(&mut next, n_rows, n_runs, max_run);
            let values: Vec<u64> = (0..rows.len() as u64).map(|k| 3 * k + 1).collect();
            let (offsets, expected) = pairs_by_row(n_rows as usize, &rows, &values);
            let csr = Csr::from_pairs(n_rows as usize, &rows, values.clone());
            assert_eq!((csr.offsets(), csr.values()), (&offsets[..], &expected[..]));
            let csr = Csr::from_rows_of(n_rows as usize, &rows, |k| values[k]);
            assert_eq!((csr.offsets(), csr.values()), (&offsets[..], &expected[..]));
            let csr = Csr::from_pairs_of(n_rows as usize, &rows, &values);
            assert_eq!((csr.offsets(), csr.values()), (&offsets[..], &expected[..]));
        }
        // Pairs already in row order (their values kept as they are, or copied).
        let rows = [0u32, 0, 2, 2, 2, 3];
        let values: Vec<u64> = vec![5, 4, 3, 2, 1, 0];
        let (offsets, expected) = pairs_by_row(5, &rows, &values);
        let borrowed = Csr::from_pairs_of(5, &rows, &values);
        assert_eq!(
            (borrowed.offsets(), borrowed.values()),
            (&offsets[..], &expected[..])
        );
        let owned = Csr::from_pairs(5, &rows, values);
        assert_eq!(
            (owned.offsets(), owned.values()),
            (&offsets[..], &expected[..])
        );
    }

    #[test]
    fn scattered_runs_equal_the_definition_in_any_parts_and_windows() {
        // Parts of rows that are empty or hold one row, windows that cut runs (down to one pair
        // per window) and that are not whole blocks of the run finder, inputs of every length
        // around a block.
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        for case in 0..400 {
            let n_rows = 1 + next(if case % 3 == 0 { 4 } else { 300 });
            let n_runs = next(if case % 5 == 0 { 3 } else { 120 }) as usize;
            let max_run = [1, 3, 40, 200][case % 4];
            let rows = rows_in_runs(&mut next, n_rows, n_runs, max_run);
            let values: Vec<u32> = (0..rows.len() as u32).map(|k| 7 * k + 2).collect();
            let expected = pairs_by_row(n_rows as usize, &rows, &values);
            let parts = 1 + next(5) as usize;
            let window = [1, 7, 64, 65, 200, RUN_WINDOW][case % 6];
            let csr = Csr::scatter_runs_in(n_rows as usize, &rows, parts, window, |out, k| {
                out.copy_from_slice(&values[k..k + out.len()]);
            });
            assert_eq!(
                csr.into_parts(),
                expected,
                "case {case}: {n_rows} rows, {parts} parts, window {window}, {rows:?}"
            );
        }
    }

    #[test]
    fn run_starts_are_the_changes_of_value() {
        let mut next = xorshift(0x1234_5678_9abc_def1);
        for len in (0..300).chain([640, 641, 1_000]) {
            for max_run in [1, 2, 9, 70] {
                let rows: Vec<u32> = rows_in_runs(&mut next, 3, len, max_run)
                    .into_iter()
                    .take(len)
                    .collect();
                let expected: Vec<usize> = (0..rows.len())
                    .filter(|&k| k == 0 || rows[k] != rows[k - 1])
                    .collect();
                assert_eq!(run_starts(&rows).collect::<Vec<_>>(), expected, "{rows:?}");
            }
        }
    }

    #[test]
    #[should_panic(expected = "a row beyond the 3 rows")]
    fn from_pairs_rejects_a_row_beyond_the_rows() {
        Csr::from_pairs(3, &[2, 1, 5], vec![1u32, 2, 3]);
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
