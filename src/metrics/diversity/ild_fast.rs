//! The speed path of [`ild_jaccard`]: the same value, computed faster for the audit's lists.
//!
//! [`ild_jaccard`] builds a sorted category list per item and merges each pair. Here each item's
//! categories are one 64-bit set read from [`ItemCategories`] (one read per item, no allocation),
//! |C_i ∩ C_j| and |C_i ∪ C_j| are popcounts, and 1 − inter / union comes from a table of those
//! values computed once (a list of 10 items has 45 pairs, and the divisions would be most of the
//! ILD's time). The pairs are the same and taken in the same order, so the value is the same to the bit;
//! the property test `fast_equals_the_definition` holds it equal to [`ild_jaccard`]. Lists of more
//! than 32 items, and catalogs without 64-bit sets (a category id of 64 or more), go to
//! [`ild_jaccard`] itself.

use std::sync::LazyLock;

use crate::metrics::categories::ItemCategories;
use crate::metrics::diversity::ild::ild_jaccard;

/// [`ild_jaccard`] of `list`, with the categories prepared once for many lists: the same value,
/// computed by 64-bit category sets when the catalog has them (see the module documentation).
pub fn ild_jaccard_fast(list: &[u32], categories: &ItemCategories) -> f64 {
    ild_jaccard_bitsets(list, categories).unwrap_or_else(|| ild_jaccard(list, categories.csr))
}

/// 1 − inter / union for category sets of at most 64 categories (`union` in 1..=64), from a table
/// of those values computed once (the same bits as the division).
#[inline]
fn jaccard_distance(inter: u32, union: u32) -> f64 {
    const SIDE: usize = 65;
    static TABLE: LazyLock<Vec<f64>> = LazyLock::new(|| {
        (0..SIDE * SIDE)
            .map(|k| {
                let (union, inter) = ((k / SIDE) as u32, (k % SIDE) as u32);
                1.0 - f64::from(inter) / f64::from(union)
            })
            .collect()
    });
    TABLE[union as usize * SIDE + inter as usize]
}

/// [`ild_jaccard`] with each item's categories as a 64-bit set, without allocating: the same
/// pairs in the same order, so the same value. `None` when the list is longer than 32 items or
/// the categories have no 64-bit sets.
fn ild_jaccard_bitsets(list: &[u32], categories: &ItemCategories) -> Option<f64> {
    const MAX_LIST: usize = 32;
    if list.len() > MAX_LIST {
        return None;
    }
    let mut sets = [0u64; MAX_LIST];
    let mut len = 0;
    for &i in list {
        let set = categories.set(i)?;
        if set != 0 {
            sets[len] = set;
            len += 1;
        }
    }
    let (sum, n) = pair_distances(&sets[..len]);
    Some(sum / n as f64)
}

/// The sum of the Jaccard distances of every pair of `sets` (in the order of [`ild_jaccard`]) and
/// the number of pairs. Where the CPU counts bits in one instruction (`popcnt`, not in the
/// baseline x86-64 the binary is built for) the loop is compiled to use it; without it each count
/// takes a dozen instructions. The counts, so the sums, are the same either way.
fn pair_distances(sets: &[u64]) -> (f64, usize) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("popcnt") {
        // SAFETY: the CPU has POPCNT, checked just above.
        return unsafe { pair_distances_popcnt(sets) };
    }
    pair_distances_with(sets)
}

/// [`pair_distances_with`] compiled with POPCNT.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
unsafe fn pair_distances_popcnt(sets: &[u64]) -> (f64, usize) {
    pair_distances_with(sets)
}

/// The loop of [`pair_distances`].
#[inline(always)]
fn pair_distances_with(sets: &[u64]) -> (f64, usize) {
    let (mut sum, mut n) = (0.0, 0usize);
    for (a, &x) in sets.iter().enumerate() {
        for &y in &sets[a + 1..] {
            let inter = (x & y).count_ones();
            let union = (x | y).count_ones();
            sum += jaccard_distance(inter, union);
            n += 1;
        }
    }
    (sum, n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Csr;

    /// Bit for bit, NaN included.
    fn same(a: f64, b: f64) -> bool {
        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
    }

    proptest::proptest! {
        #[test]
        fn fast_equals_the_definition(
            cats in proptest::collection::vec(proptest::collection::btree_set(0u32..64, 0..6), 1..40),
            list in proptest::collection::vec(0usize..40, 0..40),
        ) {
            // Random catalogs of category sets below 64 (the bitset pass) and random lists up to
            // 40 items (above 32: the definition itself).
            let n = cats.len();
            let cats = Csr::from_rows(cats.into_iter().map(|s| s.into_iter().collect::<Vec<u32>>()));
            let list: Vec<u32> = list.iter().map(|&i| (i % n) as u32).collect();
            let definition = ild_jaccard(&list, &cats);
            let fast = ild_jaccard_fast(&list, &ItemCategories::new(&cats));
            proptest::prop_assert!(same(fast, definition), "{} != {}", fast, definition);
        }

        #[test]
        fn bitsets_equal_the_definition(
            cats in proptest::collection::vec(proptest::collection::vec(0u32..70, 0..4), 1..12),
            list in proptest::collection::vec(0usize..12, 0..12),
        ) {
            let n = cats.len();
            let cats = Csr::from_rows(cats);
            let list: Vec<u32> = list.iter().map(|&i| (i % n) as u32).collect();
            let definition = ild_jaccard(&list, &cats);
            match ild_jaccard_bitsets(&list, &ItemCategories::new(&cats)) {
                // Same pairs in the same order: exactly equal (or both NaN).
                Some(v) => proptest::prop_assert!(same(v, definition), "{} != {}", v, definition),
                // Without sets (an id of 64 or more, or a repeated one) the definition is used.
                None => proptest::prop_assert!(ItemCategories::new(&cats).set(0).is_none()),
            }
        }
    }

    #[test]
    fn jaccard_distances_are_those_of_the_division() {
        for union in 1..=64u32 {
            for inter in 0..=union {
                let want = 1.0 - f64::from(inter) / f64::from(union);
                assert_eq!(jaccard_distance(inter, union).to_bits(), want.to_bits());
            }
        }
    }
}
