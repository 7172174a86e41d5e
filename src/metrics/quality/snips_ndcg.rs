//! SNIPS NDCG@k: NDCG with each observed relevant item's gain weighted by its inverse propensity.

use super::ndcg::discount;
use crate::data::Relevant;

/// SNIPS NDCG@k of one user: the DCG of the list with each relevant item's gain multiplied by its
/// inverse propensity w_i = 1 / P_ui, over the largest such DCG any list could reach (Yang et al.
/// 2018, RecSys, doi:10.1145/3240323.3240355: observed relevant items weighted by 1 / P and the
/// estimate self-normalised; Järvelin & Kekäläinen 2002 for the DCG):
///
/// NDCG_SNIPS@k = Σ_{r ≤ k, L_r ∈ S*_u} w_{L_r} rel(L_r) / log2(r + 1)
///                / Σ_{j ≤ min(k, |S*_u|)} (w·rel)_(j) / log2(j + 1)
///
/// (w·rel)_(j) the weighted gains of S*_u sorted descending. The normaliser is the ideal DCG under
/// the same weights, so the value is in [0, 1] and invariant to the scale of the propensities.
///
/// Conventions: linear gains as [`ndcg`](super::ndcg()), to which it is equal when all
/// propensities are equal; only the first `k` items of `list` are read; NaN when the user has no
/// relevant item or k = 0.
///
/// ```
/// use recaudit::data::Relevant;
/// use recaudit::metrics::quality::snips_ndcg;
/// // relevant 20 (P = 0.5, w = 2) and 40 (P = 0.25, w = 4), list [20, 10]:
/// // DCG = 2 / log2(2) = 2; ideal = 4 + 2 / log2(3)
/// let rel = [Relevant { item: 20, relevance: 1.0 }, Relevant { item: 40, relevance: 1.0 }];
/// let want = 2.0 / (4.0 + 2.0 / 3f64.log2());
/// assert!((snips_ndcg(&[20, 10], &rel, &[0.5, 0.25], 2) - want).abs() < 1e-12);
/// ```
pub fn snips_ndcg(list: &[u32], relevant: &[Relevant], propensity: &[f64], k: usize) -> f64 {
    let mut gains: Vec<f64> = weighted_gains(relevant, propensity).collect();
    if k == 0 || gains.is_empty() {
        return f64::NAN;
    }
    let mut dcg = 0.0;
    for (pos, &item) in list.iter().take(k).enumerate() {
        if let Ok(at) = relevant.binary_search_by_key(&item, |r| r.item) {
            if relevant[at].relevance > 0.0 {
                dcg += relevant[at].relevance / propensity[at] / discount(pos);
            }
        }
    }
    dcg / ideal_of_gains(&mut gains, k)
}

/// The weighted gains rel_i / P_ui of the observed relevant items, in truth order.
pub(super) fn weighted_gains<'a>(
    relevant: &'a [Relevant],
    propensity: &'a [f64],
) -> impl Iterator<Item = f64> + 'a {
    relevant
        .iter()
        .zip(propensity)
        .filter(|(r, _)| r.relevance > 0.0)
        .map(|(r, p)| r.relevance / p)
}

/// The ideal DCG@k of weighted `gains`: sorted descending (`gains` is reordered), the first k
/// discounted and summed.
pub(super) fn ideal_of_gains(gains: &mut [f64], k: usize) -> f64 {
    gains.sort_by(|a, b| b.total_cmp(a));
    gains
        .iter()
        .take(k)
        .enumerate()
        .map(|(j, g)| g / discount(j))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::super::ndcg;
    use super::super::test_data::truth_row;
    use super::*;

    #[test]
    fn snips_ndcg_hand_worked() {
        // list [5, 7, 9, 11], k = 4, truth {7: 3, 11: 1, 13: 2} with P = 0.5, 0.2, 0.1:
        // weighted gains 7: 6, 11: 5, 13: 20.
        // DCG = 6/log2(3) + 5/log2(5); ideal = 20/log2(2) + 6/log2(3) + 5/log2(4).
        let truth = truth_row(&[(7, 3.0), (11, 1.0), (13, 2.0)]);
        let p = [0.5, 0.2, 0.1];
        let dcg = 6.0 / 3f64.log2() + 5.0 / 5f64.log2();
        let ideal = 20.0 + 6.0 / 3f64.log2() + 2.5;
        assert!((snips_ndcg(&[5, 7, 9, 11], &truth, &p, 4) - dcg / ideal).abs() < 1e-12);
        // Equal propensities give plain NDCG (graded).
        let flat = [0.7; 3];
        let plain = ndcg(&[5, 7, 9, 11], &truth, 4);
        assert!((snips_ndcg(&[5, 7, 9, 11], &truth, &flat, 4) - plain).abs() < 1e-12);
        assert!(snips_ndcg(&[5], &[], &[], 4).is_nan());
        // The ideal list scores 1.
        assert!((snips_ndcg(&[13, 7, 11], &truth, &p, 3) - 1.0).abs() < 1e-12);
    }
}
