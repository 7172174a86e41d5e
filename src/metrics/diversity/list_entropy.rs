//! List entropy: the Shannon entropy in bits of a list's category distribution (docs/metrics.md; Shannon
//! 1948, as used by Nguyen et al. 2014, "Exploring the filter bubble: the effect of using
//! recommender systems on content diversity", WWW).
//!
//! H(q) = −Σ_c q(c) log2 q(c), q the category distribution of the top-k list
//! ([`category_distribution`](crate::metrics::categories::category_distribution): an item with m
//! categories gives 1/m to each, items without a category give nothing). NaN when no item of the
//! list has a category. The audit computes it in the one pass of
//! [`category_pass`](crate::metrics::category_pass), held equal to [`list_entropy_metric`] by a
//! test there.

use rayon::prelude::*;

use crate::data::Dataset;
use crate::metrics::categories::{
    entropy_bits, has_categories, CategoryDistribution, ItemCategories,
};
use crate::metrics::{registry, UserMetric};

/// The list entropy of a list category distribution `d`: H(d) in bits, NaN when `d` is empty (no
/// item of the list has a category).
///
/// ```
/// use recaudit::metrics::diversity::list_entropy;
/// assert_eq!(list_entropy(&vec![(0, 0.5), (3, 0.5)]), 1.0);
/// assert!(list_entropy(&vec![]).is_nan());
/// ```
#[inline]
pub fn list_entropy(d: &CategoryDistribution) -> f64 {
    list_entropy_from_entropy(d, entropy_bits(d))
}

/// [`list_entropy`] of `d` from its entropy `h` in bits ([`entropy_bits`]), for a caller that has
/// it already.
#[inline]
pub fn list_entropy_from_entropy(d: &CategoryDistribution, h: f64) -> f64 {
    if d.is_empty() {
        f64::NAN
    } else {
        h + 0.0 // a one-category list gives −0.0; report 0
    }
}

/// `list_entropy` (better higher) of every list of `ds.recs`; `None` without categories.
pub fn list_entropy_metric(ds: &Dataset) -> Option<UserMetric> {
    if !has_categories(ds) {
        return None;
    }
    let cats = ItemCategories::new(&ds.items.categories);
    let n_cats = ds.items.category_labels.len();
    let values = (0..ds.recs.n_rows())
        .into_par_iter()
        .map_init(
            || (vec![0.0; n_cats], CategoryDistribution::new()),
            |(scratch, d), u| {
                cats.distribution_into(ds.recs.row(u), None, scratch, d);
                list_entropy(d)
            },
        )
        .collect();
    Some(UserMetric::new(&registry::LIST_ENTROPY, values))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_category_is_zero_and_none_is_undefined() {
        // A single category: −1 · log2 1 = −0.0, reported as +0.
        let one = vec![(2, 1.0)];
        assert_eq!(list_entropy(&one).to_bits(), 0.0f64.to_bits());
        // q = {1/4, 3/4}: 0.811278 bits
        let h = -(0.25f64 * 0.25f64.log2() + 0.75 * 0.75f64.log2());
        assert_eq!(list_entropy(&vec![(0, 0.25), (1, 0.75)]), h);
        assert!(list_entropy(&CategoryDistribution::new()).is_nan());
        assert!(list_entropy_from_entropy(&CategoryDistribution::new(), 0.0).is_nan());
    }
}
