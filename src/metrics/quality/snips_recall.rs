//! SNIPS recall@k: recall with each observed relevant item weighted by its inverse propensity.

use super::relevance::relevance_of;
use crate::data::Relevant;

/// SNIPS recall@k of one user (Yang, Cui, Xiong, Chen & Estrin 2018, "Unbiased offline
/// recommender evaluation for missing-not-at-random implicit feedback", RecSys,
/// doi:10.1145/3240323.3240355, the self-normalised estimator of §4):
///
/// R_SNIPS@k = Σ_{i ∈ S*_u ∩ L@k} w_i / Σ_{i ∈ S*_u} w_i,  w_i = 1 / P_ui
///
/// S*_u the user's observed relevant items (truth rows with relevance > 0), P_ui the propensity of
/// the (u, i) observation. `relevant` holds the truth sorted by item id and `propensity` the
/// propensity of each of its rows (same order).
///
/// Conventions: grades above 0 count alike; only the first `k` items of `list` are read; the
/// denominator is the whole observed relevant set (not truncated at k); invariant to the scale of
/// the propensities; equal to [`recall`](super::recall()) when all propensities are equal; NaN
/// when the user has no relevant item or k = 0.
///
/// ```
/// use recaudit::data::Relevant;
/// use recaudit::metrics::quality::snips_recall;
/// // relevant 20 (P = 0.5) and 40 (P = 0.25), list [10, 20, 30]: weights 2 and 4 → 2 / 6
/// let rel = [Relevant { item: 20, relevance: 1.0 }, Relevant { item: 40, relevance: 1.0 }];
/// assert!((snips_recall(&[10, 20, 30], &rel, &[0.5, 0.25], 3) - 1.0 / 3.0).abs() < 1e-12);
/// assert!(snips_recall(&[10], &[], &[], 3).is_nan());
/// ```
pub fn snips_recall(list: &[u32], relevant: &[Relevant], propensity: &[f64], k: usize) -> f64 {
    let total = observed_weight(relevant, propensity);
    if k == 0 || total == 0.0 {
        return f64::NAN;
    }
    let hit: f64 = list
        .iter()
        .take(k)
        .filter(|&&item| relevance_of(relevant, item) > 0.0)
        .map(|&item| {
            let at = relevant
                .binary_search_by_key(&item, |r| r.item)
                .expect("a relevant item is in the truth");
            1.0 / propensity[at]
        })
        .sum();
    hit / total
}

/// Σ_{i ∈ S*_u} 1 / P_ui, the denominator of [`snips_recall`]: the inverse propensities of the
/// observed relevant items, summed in truth order.
pub(super) fn observed_weight(relevant: &[Relevant], propensity: &[f64]) -> f64 {
    relevant
        .iter()
        .zip(propensity)
        .filter(|(r, _)| r.relevance > 0.0)
        .map(|(_, p)| 1.0 / p)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::super::recall;
    use super::super::test_data::truth_row;
    use super::*;

    #[test]
    fn snips_recall_hand_worked() {
        // list [5, 7, 9, 11], truth {7: 3, 11: 1, 13: 2} with P = 0.5, 0.2, 0.1: weights 2, 5, 10.
        // Hits 7 and 11: (2 + 5) / (2 + 5 + 10) = 7/17; at k = 2 only 7: 2/17.
        let truth = truth_row(&[(7, 3.0), (11, 1.0), (13, 2.0)]);
        let p = [0.5, 0.2, 0.1];
        assert!((snips_recall(&[5, 7, 9, 11], &truth, &p, 4) - 7.0 / 17.0).abs() < 1e-12);
        assert!((snips_recall(&[5, 7, 9, 11], &truth, &p, 2) - 2.0 / 17.0).abs() < 1e-12);
        // Equal propensities give plain recall, whatever their scale.
        let flat = [0.3; 3];
        assert!(
            (snips_recall(&[5, 7, 9, 11], &truth, &flat, 4) - recall(&[5, 7, 9, 11], &truth, 4))
                .abs()
                < 1e-12
        );
        assert!(snips_recall(&[5, 7], &truth, &p, 0).is_nan());
    }
}
