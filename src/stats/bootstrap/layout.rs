//! How per-user columns map to the slots of a group's weighted sums: the input columns (NaN read as
//! 0), one 0/1 "defined" column per distinct NaN pattern, and the user count.

use rayon::prelude::*;

use super::Sums;
use crate::metrics::Better;
use crate::stats::distribution::in_worst_decile;

/// How a layout reads an input column's value for a user. Every reading is NaN exactly where the
/// value is, so the column's NaN pattern, and with it its defined-count slot, is the value's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Read {
    /// The value.
    Value,
    /// The value's worst-decile indicator (`audit::distribution`'s `worst_decile_indicator`): 1
    /// when it is in the worst decile of cut-off `cut` ([`in_worst_decile`]), 0 when not. The
    /// indicator is read off the values, so it needs no column of its own.
    WorstDecile { cut: f64, better: Better },
}

impl Read {
    /// The reading of value `x`.
    #[inline]
    pub(crate) fn of(self, x: f64) -> f64 {
        match self {
            Read::Value => x,
            Read::WorstDecile { .. } if x.is_nan() => f64::NAN,
            Read::WorstDecile { cut, better } => {
                f64::from(u8::from(in_worst_decile(x, cut, better)))
            }
        }
    }
}

/// How per-user columns map to accumulator slots: the input columns (NaN counts as 0), then one
/// 0/1 "defined" indicator per distinct NaN pattern, then the user count (slot `width`). Nothing
/// is copied: values are read from the columns by user id.
pub(crate) struct Layout<'a> {
    /// The input columns, each indexed by dense user id.
    pub(super) columns: &'a [&'a [f64]],
    /// How each input column is read ([`Read::Value`] unless [`Layout::reading`] says otherwise).
    pub(super) reads: Vec<Read>,
    /// Per indicator slot, the input column whose NaN pattern it counts.
    pub(super) indicator_src: Vec<usize>,
    /// Input columns plus indicator slots (the accumulator has `width + 1` slots).
    pub(crate) width: usize,
    /// Per input column, the accumulator slot holding its defined count (`width` = the user count,
    /// for columns without NaN).
    pub(crate) count_of: Vec<usize>,
}

impl<'a> Layout<'a> {
    /// The layout of `columns` (each indexed by dense user id); NaN patterns are judged over
    /// `users`.
    pub(crate) fn new(columns: &'a [&'a [f64]], users: &[u32]) -> Layout<'a> {
        Layout::with_nan_free(columns, users, &[])
    }

    /// [`Layout::new`] told which columns have no NaN for any of `users` (`nan_free[j]`, a
    /// missing entry counting as false): those are not scanned. The same layout as
    /// [`Layout::new`] when the claims hold.
    pub(crate) fn with_nan_free(
        columns: &'a [&'a [f64]],
        users: &[u32],
        nan_free: &[bool],
    ) -> Layout<'a> {
        let p = columns.len();
        // Each check reads the columns in order and looks up `users` (as a bitmap) only at the
        // positions where a NaN (or a difference in NaN) is found: the same answers as reading the
        // columns through `users`, which is several times slower.
        let member = Members::of(users);
        let has_nan: Vec<bool> = columns
            .par_iter()
            .enumerate()
            .map(|(j, col)| nan_free.get(j) != Some(&true) && nan_among(col, &member))
            .collect();
        // One indicator column per distinct NaN pattern (quality metrics share one).
        let mut indicator_src: Vec<usize> = Vec::new();
        let mut count_of = vec![usize::MAX; p];
        for j in 0..p {
            if !has_nan[j] {
                continue;
            }
            let same = indicator_src
                .iter()
                .position(|&k| same_nan_pattern_among(columns[j], columns[k], &member));
            count_of[j] = match same {
                Some(i) => p + i,
                None => {
                    indicator_src.push(j);
                    p + indicator_src.len() - 1
                }
            };
        }
        let width = p + indicator_src.len();
        for c in count_of.iter_mut() {
            if *c == usize::MAX {
                *c = width;
            }
        }
        Layout {
            columns,
            reads: vec![Read::Value; p],
            indicator_src,
            width,
            count_of,
        }
    }

    /// This layout with input column `j` read as `read`: its slots and NaN pattern stay those of
    /// the column's values.
    pub(crate) fn reading(mut self, j: usize, read: Read) -> Layout<'a> {
        self.reads[j] = read;
        self
    }

    /// Accumulator slots: `width` + the user count.
    #[inline]
    pub(crate) fn stride(&self) -> usize {
        self.width + 1
    }

    /// The value of slot `j` for user `u` (an input column's reading, NaN as 0; indicators as 0/1;
    /// the count slot as 1).
    #[inline]
    pub(crate) fn value(&self, j: usize, u: u32) -> f64 {
        let p = self.columns.len();
        if j < p {
            let x = self.reads[j].of(self.columns[j][u as usize]);
            if x.is_nan() {
                0.0
            } else {
                x
            }
        } else if j < self.width {
            f64::from(u8::from(
                !self.columns[self.indicator_src[j - p]][u as usize].is_nan(),
            ))
        } else {
            1.0
        }
    }

    /// Adds user `u`'s slots to `acc[..stride]`.
    #[inline]
    pub(crate) fn add_user(&self, u: u32, acc: &mut [f64]) {
        for (j, a) in acc[..self.stride()].iter_mut().enumerate() {
            *a += self.value(j, u);
        }
    }

    /// Plain sums (all weights 1) over `users`, as an accumulator of `stride` slots.
    pub(crate) fn plain_sums(&self, users: &[u32]) -> Vec<f64> {
        let mut acc = vec![0.0; self.stride()];
        for &u in users {
            self.add_user(u, &mut acc);
        }
        acc
    }

    /// A view of an accumulator of this layout.
    #[inline]
    pub(crate) fn view<'s>(&'s self, acc: &'s [f64]) -> Sums<'s> {
        Sums {
            acc,
            count_of: &self.count_of,
        }
    }
}

/// A set of user ids as a bitmap.
struct Members {
    bits: Vec<u64>,
}

impl Members {
    fn of(users: &[u32]) -> Members {
        let n = users.iter().max().map_or(0, |&u| u as usize + 1);
        let mut bits = vec![0u64; n.div_ceil(64)];
        for &u in users {
            bits[u as usize / 64] |= 1 << (u % 64);
        }
        Members { bits }
    }

    #[inline]
    fn contains(&self, u: usize) -> bool {
        self.bits
            .get(u / 64)
            .is_some_and(|w| (w >> (u % 64)) & 1 == 1)
    }
}

/// Values per block of the in-order scans: each block is read without early exit (a vector
/// loop), and only a block with a hit is looked at value by value.
const SCAN_BLOCK: usize = 1024;

/// Whether `col` is NaN for some user of `member`.
fn nan_among(col: &[f64], member: &Members) -> bool {
    col.chunks(SCAN_BLOCK).enumerate().any(|(b, block)| {
        block.iter().fold(false, |any, x| any | x.is_nan())
            && block
                .iter()
                .enumerate()
                .any(|(i, x)| x.is_nan() && member.contains(b * SCAN_BLOCK + i))
    })
}

/// Whether `a` and `b` are NaN for the same users of `member` (both are indexed by user id, and
/// every member is a valid index of both).
fn same_nan_pattern_among(a: &[f64], b: &[f64], member: &Members) -> bool {
    a.chunks(SCAN_BLOCK)
        .zip(b.chunks(SCAN_BLOCK))
        .enumerate()
        .all(|(c, (x, y))| {
            let same = x
                .iter()
                .zip(y)
                .fold(true, |same, (p, q)| same & (p.is_nan() == q.is_nan()));
            same || x
                .iter()
                .zip(y)
                .enumerate()
                .all(|(i, (p, q))| p.is_nan() == q.is_nan() || !member.contains(c * SCAN_BLOCK + i))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The layout's indicator slots by their definition, reading the columns through `users`:
    /// (indicator_src, count_of).
    fn layout_by_definition(columns: &[&[f64]], users: &[u32]) -> (Vec<usize>, Vec<usize>) {
        let p = columns.len();
        let nan = |j: usize, u: u32| columns[j][u as usize].is_nan();
        let mut src: Vec<usize> = Vec::new();
        let mut slot: Vec<Option<usize>> = vec![None; p];
        for (j, slot) in slot.iter_mut().enumerate() {
            if !users.iter().any(|&u| nan(j, u)) {
                continue;
            }
            let same = src
                .iter()
                .position(|&k| users.iter().all(|&u| nan(j, u) == nan(k, u)));
            *slot = Some(same.unwrap_or_else(|| {
                src.push(j);
                src.len() - 1
            }));
        }
        let width = p + src.len();
        let count_of = slot.iter().map(|s| s.map_or(width, |i| p + i)).collect();
        (src, count_of)
    }

    proptest! {
        /// Columns of 0–3,000 users (several scan blocks) with NaN from a few patterns, judged
        /// over a subset of users in any order: the same indicator slots as by definition.
        #[test]
        fn indicator_slots_equal_their_definition(
            n in 0usize..3_000,
            patterns in prop::collection::vec((0u64..u64::MAX, 0u32..8), 1..4),
            picks in prop::collection::vec(0usize..4, 1..7),
            user_seed in any::<u64>(),
            share in 0u32..4,
        ) {
            use crate::stats::bootstrap::mix64;
            // Column j takes pattern picks[j] (or none, NaN-free, for an index past the
            // patterns); a pattern NaNs a user when a hash of (seed, user) % 8 < rate.
            let nan_at = |(seed, rate): (u64, u32), u: usize| mix64(seed ^ u as u64) % 8 < u64::from(rate);
            let columns: Vec<Vec<f64>> = picks
                .iter()
                .map(|&k| {
                    (0..n)
                        .map(|u| match patterns.get(k) {
                            Some(&pat) if nan_at(pat, u) => f64::NAN,
                            _ => u as f64,
                        })
                        .collect()
                })
                .collect();
            let cols: Vec<&[f64]> = columns.iter().map(|c| c.as_slice()).collect();
            let mut users: Vec<u32> = (0..n as u32)
                .filter(|&u| mix64(user_seed ^ u64::from(u)) % 4 <= u64::from(share))
                .collect();
            users.reverse();
            let layout = Layout::new(&cols, &users);
            let (src, count_of) = layout_by_definition(&cols, &users);
            prop_assert_eq!(&layout.indicator_src, &src);
            prop_assert_eq!(&layout.count_of, &count_of);
            prop_assert_eq!(layout.width, cols.len() + src.len());
            // Told which columns have no NaN among the users (the true claims, some left out):
            // the same layout.
            let nan_free: Vec<bool> = cols
                .iter()
                .enumerate()
                .map(|(j, c)| j % 3 != 1 && users.iter().all(|&u| !c[u as usize].is_nan()))
                .collect();
            let told = Layout::with_nan_free(&cols, &users, &nan_free);
            prop_assert_eq!(&told.indicator_src, &src);
            prop_assert_eq!(&told.count_of, &count_of);
            prop_assert_eq!(told.width, layout.width);
        }
    }

    #[test]
    fn layout_judges_nan_patterns_over_its_users_only() {
        // 3,000 rows (several 1,024-value blocks); the layout's users are the even rows.
        let nan = f64::NAN;
        let n = 3_000;
        let users: Vec<u32> = (0..n as u32).step_by(2).collect();
        let col = |f: &dyn Fn(usize) -> bool| -> Vec<f64> {
            (0..n).map(|i| if f(i) { nan } else { 1.0 }).collect()
        };
        let none = col(&|_| false);
        let odd_only = col(&|i| i % 2 == 1); // NaN outside the users only
        let a = col(&|i| i % 10 == 0 || i == 2_999); // b's pattern among the users
        let b = col(&|i| i % 10 == 0);
        let c = col(&|i| i == 2_998); // a pattern of its own, in the last block
        let cols: [&[f64]; 5] = [&none, &odd_only, &a, &b, &c];
        let layout = Layout::new(&cols, &users);
        // Without NaN among the users: the user count (slot `width`); a and b share one
        // indicator, c has its own.
        assert_eq!(layout.width, 5 + 2);
        assert_eq!(layout.count_of, vec![7, 7, 5, 5, 6]);
        assert_eq!(layout.indicator_src, vec![2, 4]);
        // Over every row, odd_only has NaN and a, b differ: four patterns.
        let all: Vec<u32> = (0..n as u32).collect();
        let layout = Layout::new(&cols, &all);
        assert_eq!(layout.width, 5 + 4);
        assert_eq!(layout.count_of, vec![9, 5, 6, 7, 8]);
    }

    #[test]
    fn layout_shares_indicator_columns_and_sums_skip_nan() {
        let nan = f64::NAN;
        let a = [1.0, nan, 3.0, 4.0];
        let b = [2.0, nan, 2.0, 2.0]; // same NaN pattern as a
        let c = [1.0, 1.0, nan, 1.0];
        let d = [5.0, 5.0, 5.0, 5.0];
        let cols: [&[f64]; 4] = [&a, &b, &c, &d];
        let layout = Layout::new(&cols, &[0, 1, 2, 3]);
        assert_eq!(layout.width, 4 + 2);
        assert_eq!(layout.count_of, vec![4, 4, 5, 6]);
        let acc = layout.plain_sums(&[0, 1, 2, 3]);
        let s = layout.view(&acc);
        assert_eq!((s.sum(0), s.count(0), s.mean(0)), (8.0, 3.0, 8.0 / 3.0));
        assert_eq!((s.sum(2), s.count(2)), (3.0, 3.0));
        assert_eq!((s.sum(3), s.count(3), s.weight()), (20.0, 4.0, 4.0));
    }

    #[test]
    fn a_column_read_as_its_worst_decile_indicator() {
        // Cut-off 0.2: ties at it are in; for a lower-is-better metric, values at or above it.
        let higher = Read::WorstDecile {
            cut: 0.2,
            better: Better::Higher,
        };
        let lower = Read::WorstDecile {
            cut: 0.2,
            better: Better::Lower,
        };
        let read = |r: Read| [0.1, 0.2, 0.3].map(|x| r.of(x));
        assert_eq!(read(higher), [1.0, 1.0, 0.0]);
        assert_eq!(read(lower), [0.0, 1.0, 1.0]);
        assert!(higher.of(f64::NAN).is_nan() && Read::Value.of(f64::NAN).is_nan());
        // Read twice, once as the values and once as their indicator: one NaN pattern, so one
        // defined count, and the indicator's slot sums 0/1 (users 0, 2, 3; user 1 undefined).
        let nan = f64::NAN;
        let a = [0.1, nan, 0.5, 0.2];
        let cols: [&[f64]; 2] = [&a, &a];
        let layout = Layout::new(&cols, &[0, 1, 2, 3]).reading(1, higher);
        assert_eq!((layout.width, layout.count_of.clone()), (3, vec![2, 2]));
        let sums = layout.plain_sums(&[0, 1, 2, 3]);
        assert_eq!(sums, vec![0.8, 2.0, 3.0, 4.0]);
    }
}
