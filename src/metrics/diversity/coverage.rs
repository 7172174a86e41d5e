//! Catalog coverage and distributional coverage of a set of lists (docs/metrics.md), both from the item
//! counts c_i = the number of lists that contain item i ([`item_counts`]).
//!
//! - `catalog_coverage` = |∪_u L_u| / |I| (Kaminskas & Bridge 2016, "Diversity, serendipity,
//!   novelty, and coverage", ACM TiiS);
//! - `distributional_coverage_bits` = −Σ_i p(i) log2 p(i), p(i) = c_i / Σ_j c_j (Adomavicius & Kwon
//!   2012, "Improving aggregate recommendation diversity using ranking-based techniques", IEEE
//!   TKDE).

use crate::data::RecLists;
use crate::metrics::categories::entropy_bits_of_probabilities;
use crate::metrics::finite;

/// How many of the lists of `users` contain each item (`c_i`; a list holds an item at most once).
pub fn item_counts(recs: &RecLists, users: &[u32], n_items: usize) -> Vec<u32> {
    item_counts_of_lists(users.iter().map(|&u| recs.row(u as usize)), n_items)
}

/// How many of `lists` contain each of `n_items` items (`c_i`; a list holds an item at most once).
pub fn item_counts_of_lists<'a>(
    lists: impl IntoIterator<Item = &'a [u32]>,
    n_items: usize,
) -> Vec<u32> {
    let mut counts = vec![0u32; n_items];
    for list in lists {
        for &i in list {
            counts[i as usize] += 1;
        }
    }
    counts
}

/// Catalog coverage |∪ L_u| / |I| from item counts (`None` for an empty catalog). The top-k of
/// every list counts, never the first k lists.
///
/// ```
/// use recaudit::metrics::diversity::catalog_coverage;
/// // 2 of 4 catalog items recommended: 2/4
/// assert_eq!(catalog_coverage(&[3, 0, 1, 0]), Some(0.5));
/// assert_eq!(catalog_coverage(&[]), None);
/// ```
pub fn catalog_coverage(counts: &[u32]) -> Option<f64> {
    let shown = counts.iter().filter(|&&c| c > 0).count();
    finite(shown as f64 / counts.len() as f64)
}

/// Distributional coverage in bits, −Σ p(i) log2 p(i), p(i) = c_i / Σ c (`None` when nothing is
/// recommended).
///
/// ```
/// use recaudit::metrics::diversity::distributional_coverage_bits;
/// // counts 2, 1, 1 → p = 1/2, 1/4, 1/4 → 0.5·1 + 2·0.25·2 = 1.5 bits
/// assert_eq!(distributional_coverage_bits(&[2, 1, 0, 1]), Some(1.5));
/// assert_eq!(distributional_coverage_bits(&[0, 0]), None);
/// ```
pub fn distributional_coverage_bits(counts: &[u32]) -> Option<f64> {
    let total: f64 = counts.iter().map(|&c| c as f64).sum();
    if total == 0.0 {
        return None;
    }
    let shares = counts.iter().filter(|&&c| c > 0).map(|&c| c as f64 / total);
    Some(entropy_bits_of_probabilities(shares).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Csr;

    #[test]
    fn item_counts_count_lists_of_the_users() {
        let recs = Csr::from_rows(vec![vec![0, 1, 2], vec![0, 3], vec![3, 4]]);
        assert_eq!(item_counts(&recs, &[0, 1], 5), vec![2, 1, 1, 1, 0]);
        assert_eq!(item_counts(&recs, &[], 5), vec![0; 5]);
        let lists: [&[u32]; 2] = [&[4, 0], &[]];
        assert_eq!(item_counts_of_lists(lists, 5), vec![1, 0, 0, 0, 1]);
        // counts 2, 1, 1, 1 of 5 items: coverage 4/5; p = 2/5, 1/5 ×3
        assert_eq!(catalog_coverage(&[2, 1, 1, 1, 0]), Some(0.8));
        let h = -(0.4f64 * 0.4f64.log2() + 3.0 * 0.2 * 0.2f64.log2());
        let got = distributional_coverage_bits(&[2, 1, 1, 1, 0]).unwrap();
        assert!((got - h).abs() < 1e-12, "{got} != {h}");
    }
}
