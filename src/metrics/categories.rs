//! Category distributions of a list of items, shared by diversity, calibration and bubble metrics.
//!
//! Convention (SPEC §7): an item with m categories gives 1/m to each of them; an item with no
//! category gives nothing. The distribution of a list is normalised to sum to 1 over the categories
//! that received mass.

use crate::data::Csr;

/// A sparse category distribution: `(category, probability)` sorted by category, summing to 1
/// (empty when no item of the list has a category).
pub type CategoryDistribution = Vec<(u32, f64)>;

/// Category distribution of `items` with optional per-position weights (`None`: every item weighs
/// 1). `scratch` must have one slot per category and be all zero; it is left all zero.
///
/// q(c|L) = Σ_{i∈L} w_i · 1[c ∈ cat(i)] / |cat(i)|  /  Σ_{i∈L, cat(i)≠∅} w_i
pub fn category_distribution(
    items: &[u32],
    weights: Option<&[f64]>,
    categories: &Csr<u32>,
    scratch: &mut [f64],
) -> CategoryDistribution {
    // The categories touched, first with a placeholder probability; the masses build up in
    // `scratch`, then are read out in category order.
    let mut dist: CategoryDistribution = Vec::with_capacity(items.len().min(16));
    let mut total = 0.0;
    let mut add = |c: u32, share: f64| {
        let slot = &mut scratch[c as usize];
        if *slot == 0.0 {
            dist.push((c, 0.0));
        }
        *slot += share;
    };
    for (pos, &item) in items.iter().enumerate() {
        let w = weights.map_or(1.0, |w| w[pos]);
        match categories.row(item as usize) {
            [] => continue,
            // The common case: one category takes the whole weight (w / 1 == w exactly).
            &[c] => add(c, w),
            cats => {
                let share = w / cats.len() as f64;
                for &c in cats {
                    add(c, share);
                }
            }
        }
        total += w;
    }
    // A zero weight can list a category twice.
    dist.sort_unstable_by_key(|&(c, _)| c);
    dist.dedup_by_key(|&mut (c, _)| c);
    for (c, p) in &mut dist {
        let slot = &mut scratch[*c as usize];
        *p = *slot / total;
        *slot = 0.0;
    }
    dist
}

/// Shannon entropy in bits: H = −Σ_c q(c) log2 q(c) (0 for an empty distribution).
///
/// ```
/// use recaudit::metrics::categories::entropy_bits;
/// assert_eq!(entropy_bits(&[(0, 0.5), (1, 0.5)]), 1.0);
/// assert_eq!(entropy_bits(&[]), 0.0);
/// ```
pub fn entropy_bits(dist: &[(u32, f64)]) -> f64 {
    -dist
        .iter()
        .filter(|(_, p)| *p > 0.0)
        .map(|(_, p)| p * p.log2())
        .sum::<f64>()
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
    fn empty_list_has_empty_distribution() {
        let cats: Csr<u32> = Csr::from_rows(vec![vec![0]]);
        let mut scratch = vec![0.0; 1];
        assert!(category_distribution(&[], None, &cats, &mut scratch).is_empty());
    }
}
