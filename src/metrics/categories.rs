//! Category distributions of a list of items and their entropy, shared by diversity, calibration
//! and bubble metrics.
//!
//! Convention (docs/metrics.md): an item with m categories gives 1/m to each of them; an item with no
//! category gives nothing. The distribution of a list is normalised to sum to 1 over the categories
//! that received mass. [`category_distribution`] is the definition; [`ItemCategories`] computes the
//! same values faster for per-user passes. Entropy in bits is defined once, by
//! [`entropy_bits_of_probabilities`]; [`entropy_bits_memo`] is its speed path.

use crate::data::{Csr, Dataset};
use crate::metrics::log_memo::LogMemo;

/// Whether `ds` has a usable category column (one row per catalog item, at least one label).
pub(crate) fn has_categories(ds: &Dataset) -> bool {
    ds.items.categories.n_rows() == ds.items.n_items() && !ds.items.category_labels.is_empty()
}

/// A sparse category distribution: `(category, probability)` sorted by category, summing to 1
/// (empty when no item of the list has a category).
pub type CategoryDistribution = Vec<(u32, f64)>;

/// Category distribution of `items` with optional per-position weights (`None`: every item weighs
/// 1). `scratch` must have one slot per category and be all zero; it is left all zero.
///
/// q(c|L) = Σ_{i∈L} w_i · 1[c ∈ cat(i)] / |cat(i)|  /  Σ_{i∈L, cat(i)≠∅} w_i
///
/// Per-user passes over many lists use [`ItemCategories::distribution`], which gives the same
/// values faster.
pub fn category_distribution(
    items: &[u32],
    weights: Option<&[f64]>,
    categories: &Csr<u32>,
    scratch: &mut [f64],
) -> CategoryDistribution {
    let mut out = CategoryDistribution::new();
    distribution(items, weights, scratch, &mut out, |i| {
        ItemCats::List(categories.row(i as usize))
    });
    out
}

/// Item categories prepared for per-user passes: besides the CSR, each item's categories as one
/// bit set when there are at most 64 categories and no item lists one twice (always so for
/// loaded data), so that a lookup is one read instead of two dependent ones. With at most 32
/// categories the sets take 4 bytes an item: the lists' items are looked up at random, and at
/// 100,000 items the 400 KB table stays in a core's cache better than 800 KB.
#[derive(Debug, Clone)]
pub struct ItemCategories<'a> {
    /// Categories of each item.
    pub csr: &'a Csr<u32>,
    sets: Option<Sets>,
}

/// Each item's categories as a bit set (bit c = category c).
#[derive(Debug, Clone)]
enum Sets {
    /// Every category id below 32.
    Narrow(Vec<u32>),
    /// Every category id below 64.
    Wide(Vec<u64>),
}

/// Read access to the items' category sets ([`ItemCategories::sets`]).
#[derive(Debug, Clone, Copy)]
pub enum SetLookup<'s> {
    /// 32-bit sets.
    Narrow(&'s [u32]),
    /// 64-bit sets.
    Wide(&'s [u64]),
}

impl SetLookup<'_> {
    /// Item `i`'s categories as a 64-bit set.
    #[inline]
    pub fn get(self, i: u32) -> u64 {
        match self {
            SetLookup::Narrow(s) => u64::from(s[i as usize]),
            SetLookup::Wide(s) => s[i as usize],
        }
    }
}

impl<'a> ItemCategories<'a> {
    /// Prepares `csr` (items × categories).
    pub fn new(csr: &'a Csr<u32>) -> Self {
        let sets: Option<Vec<u64>> = csr
            .rows()
            .map(|row| {
                let mut set = 0u64;
                for &c in row {
                    set |= 1u64.checked_shl(c)?;
                }
                (set.count_ones() as usize == row.len()).then_some(set)
            })
            .collect();
        let sets = sets.map(|sets| {
            if sets.iter().all(|&s| s <= u64::from(u32::MAX)) {
                Sets::Narrow(sets.into_iter().map(|s| s as u32).collect())
            } else {
                Sets::Wide(sets)
            }
        });
        ItemCategories { csr, sets }
    }

    /// [`category_distribution`] of `items` (the same values).
    pub fn distribution(
        &self,
        items: &[u32],
        weights: Option<&[f64]>,
        scratch: &mut [f64],
    ) -> CategoryDistribution {
        let mut out = CategoryDistribution::new();
        self.distribution_into(items, weights, scratch, &mut out);
        out
    }

    /// [`distribution`](Self::distribution) written into `out` (cleared first), so that a pass
    /// over many lists reuses one buffer instead of allocating a vector per list.
    pub fn distribution_into(
        &self,
        items: &[u32],
        weights: Option<&[f64]>,
        scratch: &mut [f64],
        out: &mut CategoryDistribution,
    ) {
        match self.sets() {
            Some(SetLookup::Narrow(sets)) if weights.is_none() => {
                unweighted_distribution(items, out, |i| u64::from(sets[i as usize]))
            }
            Some(SetLookup::Wide(sets)) if weights.is_none() => {
                unweighted_distribution(items, out, |i| sets[i as usize])
            }
            Some(SetLookup::Narrow(sets)) => distribution(items, weights, scratch, out, |i| {
                ItemCats::Set(u64::from(sets[i as usize]))
            }),
            Some(SetLookup::Wide(sets)) => distribution(items, weights, scratch, out, |i| {
                ItemCats::Set(sets[i as usize])
            }),
            None => distribution(items, weights, scratch, out, |i| {
                ItemCats::List(self.csr.row(i as usize))
            }),
        }
    }

    /// Every item's categories as a set (bit c = category c), when sets are kept.
    pub fn sets(&self) -> Option<SetLookup<'_>> {
        self.sets.as_ref().map(|s| match s {
            Sets::Narrow(s) => SetLookup::Narrow(s),
            Sets::Wide(s) => SetLookup::Wide(s),
        })
    }

    /// Item `i`'s categories as a 64-bit set, when sets are kept.
    #[inline]
    pub fn set(&self, i: u32) -> Option<u64> {
        self.sets().map(|s| s.get(i))
    }
}

/// 1 / n for n = 1..=64 (index 0 unused): the share of each of an unweighted item's n categories.
/// It is [`distribution`]'s w / n at w = 1, bit for bit (a quotient is rounded correctly).
const UNIT_SHARES: [f64; 65] = {
    let mut shares = [0.0; 65];
    let mut n = 1;
    while n < 65 {
        shares[n] = 1.0 / n as f64;
        n += 1;
    }
    shares
};

/// [`distribution`] without weights (every item weighs 1) of `items`, whose categories are the
/// sets `set_of` (ids below 64): the same additions in the same order, so the same bits, with
/// each item's share read from [`UNIT_SHARES`] instead of divided out and the masses held in an
/// array of 64 slots (no bounds checks). The per-user passes take this path for every list and
/// history (sets are kept only when every category id is below 64).
///
/// Where the CPU counts bits in one instruction (`popcnt`, not in the baseline x86-64 the binary
/// is built for) the loop is compiled to use it; the counts, so the shares, are the same.
#[inline]
fn unweighted_distribution(
    items: &[u32],
    out: &mut CategoryDistribution,
    set_of: impl Fn(u32) -> u64,
) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("popcnt") {
        // SAFETY: the CPU has POPCNT, checked just above.
        return unsafe { unweighted_distribution_popcnt(items, out, set_of) };
    }
    unweighted_distribution_with(items, out, set_of)
}

/// [`unweighted_distribution_with`] compiled with POPCNT.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
unsafe fn unweighted_distribution_popcnt(
    items: &[u32],
    out: &mut CategoryDistribution,
    set_of: impl Fn(u32) -> u64,
) {
    unweighted_distribution_with(items, out, set_of)
}

/// The loop of [`unweighted_distribution`].
#[inline(always)]
fn unweighted_distribution_with(
    items: &[u32],
    out: &mut CategoryDistribution,
    set_of: impl Fn(u32) -> u64,
) {
    out.clear();
    let mut mass = [0.0f64; 64];
    let mut touched = 0u64;
    let mut total = 0.0;
    for &item in items {
        let mut set = set_of(item);
        if set == 0 {
            continue;
        }
        touched |= set;
        let share = UNIT_SHARES[set.count_ones() as usize];
        while set != 0 {
            mass[set.trailing_zeros() as usize] += share;
            set &= set - 1;
        }
        total += 1.0;
    }
    out.reserve(touched.count_ones() as usize);
    while touched != 0 {
        let c = touched.trailing_zeros();
        out.push((c, mass[c as usize] / total));
        touched &= touched - 1;
    }
}

/// One item's categories: a list, or a set of distinct ids below 64.
enum ItemCats<'a> {
    List(&'a [u32]),
    Set(u64),
}

/// The distribution of `items`, whose categories come from `cats_of`, written into `out`.
#[inline]
fn distribution<'c>(
    items: &[u32],
    weights: Option<&[f64]>,
    scratch: &mut [f64],
    out: &mut CategoryDistribution,
    cats_of: impl Fn(u32) -> ItemCats<'c>,
) {
    out.clear();
    // The masses build up in `scratch`; the categories touched are remembered in a 64-bit set
    // when there are at most 64 categories (read out in order, no sort), else in a list.
    let few = scratch.len() <= 64;
    let mut set = 0u64;
    let mut touched: Vec<u32> = Vec::new();
    let mut total = 0.0;
    let mut add = |c: u32, share: f64| {
        if few {
            set |= 1 << c;
        } else if scratch[c as usize] == 0.0 {
            touched.push(c);
        }
        scratch[c as usize] += share;
    };
    for (pos, &item) in items.iter().enumerate() {
        let w = weights.map_or(1.0, |w| w[pos]);
        match cats_of(item) {
            ItemCats::List([]) | ItemCats::Set(0) => continue,
            // The common case: one category takes the whole weight (w / 1 == w exactly).
            ItemCats::List(&[c]) => add(c, w),
            ItemCats::Set(s) if s.is_power_of_two() => add(s.trailing_zeros(), w),
            ItemCats::List(cats) => {
                let share = w / cats.len() as f64;
                for &c in cats {
                    add(c, share);
                }
            }
            ItemCats::Set(mut s) => {
                let share = w / f64::from(s.count_ones());
                while s != 0 {
                    add(s.trailing_zeros(), share);
                    s &= s - 1;
                }
            }
        }
        total += w;
    }
    let mut read_out = |c: u32| {
        let slot = &mut scratch[c as usize];
        let p = *slot / total;
        *slot = 0.0;
        (c, p)
    };
    if few {
        out.reserve(set.count_ones() as usize);
        while set != 0 {
            out.push(read_out(set.trailing_zeros()));
            set &= set - 1;
        }
    } else {
        // A zero weight can list a category twice.
        touched.sort_unstable();
        touched.dedup();
        out.extend(touched.into_iter().map(read_out));
    }
}

/// Shannon entropy in bits: H = −Σ_c q(c) log2 q(c) (0 for an empty distribution).
///
/// ```
/// use recaudit::metrics::categories::entropy_bits;
/// assert_eq!(entropy_bits(&[(0, 0.5), (1, 0.5)]), 1.0);
/// assert_eq!(entropy_bits(&[]), 0.0);
/// ```
pub fn entropy_bits(dist: &[(u32, f64)]) -> f64 {
    entropy_bits_of_probabilities(dist.iter().map(|&(_, p)| p))
}

/// [`entropy_bits`] with the logarithms from `memo` (the same bits).
pub fn entropy_bits_memo(dist: &[(u32, f64)], memo: &mut LogMemo) -> f64 {
    entropy_by(dist.iter().map(|&(_, p)| p), |p| memo.log2(p))
}

/// Shannon entropy in bits of the probabilities `probabilities`: H = −Σ p log2 p over p > 0
/// (Shannon 1948; 0 when none is positive).
///
/// ```
/// use recaudit::metrics::categories::entropy_bits_of_probabilities;
/// assert_eq!(entropy_bits_of_probabilities([0.5, 0.25, 0.25, 0.0]), 1.5);
/// ```
pub fn entropy_bits_of_probabilities(probabilities: impl IntoIterator<Item = f64>) -> f64 {
    entropy_by(probabilities, f64::log2)
}

/// −Σ p log2 p over the positive `probabilities`, with `log2` for the logarithm.
#[inline]
fn entropy_by(
    probabilities: impl IntoIterator<Item = f64>,
    mut log2: impl FnMut(f64) -> f64,
) -> f64 {
    -probabilities
        .into_iter()
        .filter(|p| *p > 0.0)
        .map(|p| p * log2(p))
        .sum::<f64>()
}

/// The number of categories two lists sorted by category have in common (each list holds a
/// category at most once; `category` reads an entry's category): a merge of the two lists.
///
/// ```
/// use recaudit::metrics::categories::common_categories;
/// assert_eq!(common_categories(&[1, 3, 5, 7], &[3, 4, 7], |&c| c), 2);
/// assert_eq!(common_categories(&[(0, 0.5), (2, 0.5)], &[(2, 1.0)], |&(c, _)| c), 1);
/// ```
pub fn common_categories<T>(a: &[T], b: &[T], category: impl Fn(&T) -> u32) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match category(&a[i]).cmp(&category(&b[j])) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_category_items_split_their_mass() {
        // item 0: {0, 1}; item 1: {1}; item 2: none.
        // q = {0: 0.5/2, 1: (0.5 + 1)/2} = {0: 0.25, 1: 0.75}; the item with no category is ignored.
        let cats = Csr::from_rows(vec![vec![0, 1], vec![1], vec![]]);
        let mut scratch = vec![0.0; 2];
        let d = category_distribution(&[0, 1, 2], None, &cats, &mut scratch);
        assert_eq!(d, vec![(0, 0.25), (1, 0.75)]);
        assert!(scratch.iter().all(|&x| x == 0.0));
        let h = -(0.25f64 * 0.25f64.log2() + 0.75 * 0.75f64.log2());
        assert!((entropy_bits(&d) - h).abs() < 1e-12);
    }

    #[test]
    fn weights_change_the_mix() {
        let cats = Csr::from_rows(vec![vec![0], vec![1]]);
        let mut scratch = vec![0.0; 2];
        let d = category_distribution(&[0, 1], Some(&[3.0, 1.0]), &cats, &mut scratch);
        assert_eq!(d, vec![(0, 0.75), (1, 0.25)]);
    }

    #[test]
    fn many_categories_give_the_same_distribution() {
        // Categories 3 and 70 (more than 64 categories: the sorted-list path) against the same
        // list with the categories renumbered 1 and 2 (the 64-bit set path).
        let many = Csr::from_rows(vec![vec![70], vec![3, 70], vec![]]);
        let few = Csr::from_rows(vec![vec![2], vec![1, 2], vec![]]);
        let (mut s_many, mut s_few) = (vec![0.0; 100], vec![0.0; 3]);
        let w = [1.0, 2.0, 5.0];
        let d_many = category_distribution(&[0, 1, 2], Some(&w), &many, &mut s_many);
        let d_few = category_distribution(&[0, 1, 2], Some(&w), &few, &mut s_few);
        // {3: 1/3, 70: (1 + 1)/3}: item 1's weight 2 splits 1 + 1; item 2 has no category.
        assert_eq!(d_many, vec![(3, 1.0 / 3.0), (70, 2.0 / 3.0)]);
        assert_eq!(d_few, vec![(1, 1.0 / 3.0), (2, 2.0 / 3.0)]);
        assert!(s_many.iter().chain(&s_few).all(|&x| x == 0.0));
    }

    proptest::proptest! {
        #[test]
        fn prepared_categories_give_the_same_distribution(
            cats in proptest::collection::vec(proptest::collection::vec(0u32..80, 0..4), 1..10),
            list in proptest::collection::vec(0usize..10, 0..15),
            weighted in proptest::bool::ANY,
        ) {
            let csr = Csr::from_rows(cats);
            // Sets are kept exactly when every id is below 64 and no row repeats one.
            let settable = csr.rows().all(|r| {
                let mut d = r.to_vec();
                d.sort_unstable();
                d.dedup();
                d.len() == r.len() && r.iter().all(|&c| c < 64)
            });
            proptest::prop_assert_eq!(ItemCategories::new(&csr).set(0).is_some(), settable);
            prepared_against_definition(&csr, &list, weighted)?;
        }
    }

    proptest::proptest! {
        #[test]
        fn category_sets_give_the_distribution_of_the_definition(
            cats in proptest::collection::vec(proptest::collection::btree_set(0u32..64, 0..4), 1..10),
            list in proptest::collection::vec(0usize..10, 0..25),
            narrow in proptest::bool::ANY,
            weighted in proptest::bool::ANY,
        ) {
            // Distinct ids below 64 (below 32 when narrow): the prepared categories keep sets,
            // and the unweighted lists take the set path with shares from the table. Its
            // distribution has the definition's bits.
            let rows: Vec<Vec<u32>> = cats
                .into_iter()
                .map(|row| row.into_iter().map(|c| if narrow { c % 32 } else { c }).collect())
                .map(|row: std::collections::BTreeSet<u32>| row.into_iter().collect())
                .collect();
            let csr = Csr::from_rows(rows);
            proptest::prop_assert!(ItemCategories::new(&csr).set(0).is_some());
            prepared_against_definition(&csr, &list, weighted)?;
        }
    }

    /// The distribution of the list of items `picks` (each taken modulo the items of `csr`;
    /// weighted by the log discount when `weighted`) from the prepared categories has the bits
    /// of the definition's, and the scratch is left zeroed.
    fn prepared_against_definition(
        csr: &Csr<u32>,
        picks: &[usize],
        weighted: bool,
    ) -> Result<(), proptest::test_runner::TestCaseError> {
        let n = csr.n_rows();
        let list: Vec<u32> = picks.iter().map(|&i| (i % n) as u32).collect();
        let w: Vec<f64> = (0..list.len())
            .map(|r| 1.0 / (r as f64 + 2.0).log2())
            .collect();
        let w = weighted.then_some(w.as_slice());
        let n_cat = 1 + csr.values().iter().copied().max().unwrap_or(0) as usize;
        let mut scratch = vec![0.0; n_cat.max(64)];
        let bits = |d: CategoryDistribution| -> Vec<(u32, u64)> {
            d.into_iter().map(|(c, p)| (c, p.to_bits())).collect()
        };
        let want = bits(category_distribution(&list, w, csr, &mut scratch));
        let prepared = ItemCategories::new(csr);
        proptest::prop_assert_eq!(bits(prepared.distribution(&list, w, &mut scratch)), want);
        proptest::prop_assert!(scratch.iter().all(|&x| x == 0.0));
        Ok(())
    }

    #[test]
    fn narrow_and_wide_sets_give_the_same_distribution() {
        // Categories below 32 are kept in 32-bit sets; adding an item with category 40 makes
        // them 64-bit. The distributions of the same lists agree to the bit.
        let narrow_rows = vec![vec![0, 31], vec![5], vec![], vec![7, 3, 30]];
        let mut wide_rows = narrow_rows.clone();
        wide_rows.push(vec![40]);
        let (narrow, wide) = (Csr::from_rows(narrow_rows), Csr::from_rows(wide_rows));
        let (pn, pw) = (ItemCategories::new(&narrow), ItemCategories::new(&wide));
        assert!(matches!(pn.sets(), Some(SetLookup::Narrow(_))));
        assert!(matches!(pw.sets(), Some(SetLookup::Wide(_))));
        assert_eq!(pn.set(0), Some((1 << 31) | 1));
        let mut scratch = vec![0.0; 41];
        for list in [&[0u32, 1, 2, 3][..], &[3, 3, 0], &[2], &[]] {
            let w: Vec<f64> = (0..list.len()).map(|r| 1.0 / (r as f64 + 2.0)).collect();
            for weights in [None, Some(w.as_slice())] {
                let a = pn.distribution(list, weights, &mut scratch);
                let b = pw.distribution(list, weights, &mut scratch);
                let c = category_distribution(list, weights, &narrow, &mut scratch);
                assert_eq!(a, b);
                assert_eq!(a, c);
            }
        }
    }

    #[test]
    fn empty_list_has_empty_distribution() {
        let cats: Csr<u32> = Csr::from_rows(vec![vec![0]]);
        let mut scratch = vec![0.0; 1];
        assert!(category_distribution(&[], None, &cats, &mut scratch).is_empty());
    }

    proptest::proptest! {
        #[test]
        fn memo_entropy_equals_the_definition(
            weights in proptest::collection::vec(0u32..6, 0..8),
        ) {
            let total = f64::from(weights.iter().sum::<u32>().max(1));
            let dist: Vec<(u32, f64)> = weights
                .iter()
                .enumerate()
                .map(|(c, &w)| (c as u32, f64::from(w) / total))
                .collect();
            let mut memo = LogMemo::default();
            let want = entropy_bits(&dist);
            for _ in 0..2 {
                proptest::prop_assert_eq!(entropy_bits_memo(&dist, &mut memo).to_bits(), want.to_bits());
            }
        }
    }
}
