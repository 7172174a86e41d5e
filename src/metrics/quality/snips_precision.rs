//! SNIPS precision@k: precision with the hits counted by their inverse propensities.

use super::snips_recall;
use crate::data::Relevant;

/// SNIPS precision@k of one user: the hit count |S_u ∩ L@k| estimated by inverse propensity
/// weighting and self-normalised so that the observed relevant items keep their count
/// (Yang et al. 2018, RecSys, doi:10.1145/3240323.3240355, §4), divided by k:
///
/// P_SNIPS@k = |S*_u| · (Σ_{i ∈ S*_u ∩ L@k} w_i / Σ_{i ∈ S*_u} w_i) / k = |S*_u| · R_SNIPS@k / k
///
/// with w_i = 1 / P_ui and S*_u the observed relevant items ([`snips_recall`]).
///
/// Conventions: as [`precision`](super::precision()) (a list shorter than k still divides by
/// k); equal to it when all propensities are equal; invariant to the scale of the propensities;
/// NaN when the user has no relevant item or k = 0.
///
/// ```
/// use recaudit::data::Relevant;
/// use recaudit::metrics::quality::snips_precision;
/// // relevant 20 (P = 0.5) and 40 (P = 0.25), list [10, 20, 30]: 2 · (2 / 6) / 3 = 2/9
/// let rel = [Relevant { item: 20, relevance: 1.0 }, Relevant { item: 40, relevance: 1.0 }];
/// assert!((snips_precision(&[10, 20, 30], &rel, &[0.5, 0.25], 3) - 2.0 / 9.0).abs() < 1e-12);
/// ```
pub fn snips_precision(list: &[u32], relevant: &[Relevant], propensity: &[f64], k: usize) -> f64 {
    let observed = relevant.iter().filter(|r| r.relevance > 0.0).count();
    observed as f64 * snips_recall(list, relevant, propensity, k) / k as f64
}

#[cfg(test)]
mod tests {
    use super::super::precision;
    use super::super::test_data::truth_row;
    use super::*;

    #[test]
    fn snips_precision_hand_worked() {
        // list [5, 7, 9, 11], truth {7, 11, 13} with P = 0.5, 0.2, 0.1: weights 2, 5, 10;
        // 3 · (7/17) / 4 = 21/68.
        let truth = truth_row(&[(7, 3.0), (11, 1.0), (13, 2.0)]);
        let p = [0.5, 0.2, 0.1];
        assert!((snips_precision(&[5, 7, 9, 11], &truth, &p, 4) - 21.0 / 68.0).abs() < 1e-12);
        let flat = [1.0; 3];
        assert!(
            (snips_precision(&[5, 7, 9, 11], &truth, &flat, 4)
                - precision(&[5, 7, 9, 11], &truth, 4))
            .abs()
                < 1e-12
        );
        assert!(snips_precision(&[5], &[], &[], 4).is_nan());
    }
}
