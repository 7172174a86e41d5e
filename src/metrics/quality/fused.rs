//! The five quality metrics of a user in one pass over the list: [`precision`](super::precision()),
//! [`recall`](super::recall()), [`hit`](super::hit()), [`mrr`](super::mrr()) and
//! [`ndcg`](super::ndcg()) fused (one relevance look-up per list item, one ideal DCG per user),
//! and that pass run over every user. A property test holds it equal, bit for bit (any NaN equal
//! to any NaN), to the five definitions.

use rayon::prelude::*;

use super::ndcg::{discount, ideal_dcg};
use super::relevance::{n_relevant, relevance_of};
use crate::data::{Csr, RecLists, Relevant};
use crate::metrics::{registry, UserMetric, USERS_PER_TASK};

/// The five quality values of one user, in [`QUALITY_METRICS`] order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UserQuality {
    /// |L ∩ Rel| / k.
    pub precision: f64,
    /// |L ∩ Rel| / |Rel|.
    pub recall: f64,
    /// 1 when at least one relevant item is in L.
    pub hit: f64,
    /// 1 / rank of the first relevant item, 0 when none.
    pub mrr: f64,
    /// DCG / IDCG with linear gains.
    pub ndcg: f64,
}

/// Names of the quality metrics as they appear in JSON.
pub const QUALITY_METRICS: [&str; 5] = ["precision", "recall", "hit", "mrr", "ndcg"];

/// All five quality metrics of one user.
///
/// `list` holds dense item ids in rank order (rank 1 first, at most k of them); `relevant` holds the
/// user's truth sorted by item id. Returns `None` when the user has no item with relevance > 0.
///
/// Fuses the definitions [`precision`](super::precision()), [`recall`](super::recall()),
/// [`hit`](super::hit()), [`mrr`](super::mrr()) and [`ndcg`](super::ndcg()) (docs/metrics.md; Järvelin &
/// Kekäläinen 2002 for NDCG): precision = h / k, recall = h / |Rel|, hit = 1\[h > 0\],
/// MRR = 1 / r_first, NDCG = Σ_{i∈L} rel(i) / log2(r(i) + 1) / IDCG, where h = |L ∩ Rel|. Each
/// value has the same bits as its definition's.
///
/// ```
/// use recaudit::data::Relevant;
/// use recaudit::metrics::quality::user_quality;
/// // list [10, 20, 30], relevant {20 (grade 1), 40 (grade 1)}, k = 3:
/// // h = 1, precision = 1/3, recall = 1/2, MRR = 1/2,
/// // DCG = 1/log2(3), IDCG = 1 + 1/log2(3), NDCG = 0.63093 / 1.63093.
/// let rel = [Relevant { item: 20, relevance: 1.0 }, Relevant { item: 40, relevance: 1.0 }];
/// let q = user_quality(&[10, 20, 30], &rel, 3).unwrap();
/// assert!((q.precision - 1.0 / 3.0).abs() < 1e-12);
/// assert_eq!(q.recall, 0.5);
/// assert_eq!(q.mrr, 0.5);
/// let dcg = 1.0 / 3f64.log2();
/// assert!((q.ndcg - dcg / (1.0 + dcg)).abs() < 1e-12);
/// assert!(user_quality(&[1, 2], &[], 3).is_none());
/// ```
pub fn user_quality(list: &[u32], relevant: &[Relevant], k: usize) -> Option<UserQuality> {
    let n_relevant = n_relevant(relevant);
    if n_relevant == 0 || k == 0 {
        return None;
    }
    let mut hits = 0usize;
    let mut first_hit_rank = None;
    let mut dcg = 0.0;
    for (pos, &item) in list.iter().take(k).enumerate() {
        let grade = relevance_of(relevant, item);
        if grade > 0.0 {
            hits += 1;
            first_hit_rank.get_or_insert(pos + 1);
            dcg += grade / discount(pos);
        }
    }
    let idcg = ideal_dcg(relevant, k);
    Some(UserQuality {
        precision: hits as f64 / k as f64,
        recall: hits as f64 / n_relevant as f64,
        hit: if hits > 0 { 1.0 } else { 0.0 },
        mrr: first_hit_rank.map_or(0.0, |r| 1.0 / r as f64),
        ndcg: dcg / idcg,
    })
}

/// Quality metrics for every user, as [`UserMetric`]s in [`QUALITY_METRICS`] order.
pub fn quality_metrics(recs: &RecLists, truth: &Csr<Relevant>, k: usize) -> Vec<UserMetric> {
    // Each user's five values go straight into the five columns, on all cores (collecting the
    // per-user results first and splitting them after would take a sequential pass per column).
    type Columns = (Vec<f64>, (Vec<f64>, (Vec<f64>, (Vec<f64>, Vec<f64>))));
    let (precision, (recall, (hit, (mrr, ndcg)))): Columns = (0..recs.n_rows())
        .into_par_iter()
        .with_max_len(USERS_PER_TASK)
        .map(|u| {
            let q = user_quality(recs.row(u), truth.row(u), k);
            let value = |f: fn(&UserQuality) -> f64| q.as_ref().map_or(f64::NAN, f);
            (
                value(|q| q.precision),
                (
                    value(|q| q.recall),
                    (value(|q| q.hit), (value(|q| q.mrr), value(|q| q.ndcg))),
                ),
            )
        })
        .unzip();
    vec![
        UserMetric::new(&registry::PRECISION, precision),
        UserMetric::new(&registry::RECALL, recall),
        UserMetric::new(&registry::HIT, hit),
        UserMetric::new(&registry::MRR, mrr),
        UserMetric::new(&registry::NDCG, ndcg),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::test_data::{close, truth_row as rel};
    use super::super::{hit, mrr, ndcg, precision, recall};
    use super::*;
    use proptest::strategy::Strategy;

    #[test]
    fn perfect_list_scores_one() {
        let q = user_quality(&[1, 2, 3], &rel(&[(1, 1.0), (2, 1.0), (3, 1.0)]), 3).unwrap();
        close(q.precision, 1.0);
        close(q.recall, 1.0);
        close(q.hit, 1.0);
        close(q.mrr, 1.0);
        close(q.ndcg, 1.0);
    }

    #[test]
    fn no_hit_scores_zero() {
        let q = user_quality(&[1, 2, 3, 4], &rel(&[(9, 1.0)]), 4).unwrap();
        assert_eq!(
            (q.precision, q.recall, q.hit, q.mrr, q.ndcg),
            (0.0, 0.0, 0.0, 0.0, 0.0)
        );
    }

    #[test]
    fn graded_relevance_hand_worked() {
        // list [5, 7, 9, 11], k = 4, truth {7: 3, 11: 1, 13: 2}
        // hits at ranks 2 (grade 3) and 4 (grade 1): h = 2
        // DCG = 3/log2(3) + 1/log2(5) = 1.892789 + 0.430677 = 2.323466
        // IDCG = grades sorted 3,2,1: 3/log2(2) + 2/log2(3) + 1/log2(4) = 3 + 1.261860 + 0.5
        let q = user_quality(&[5, 7, 9, 11], &rel(&[(7, 3.0), (11, 1.0), (13, 2.0)]), 4).unwrap();
        close(q.precision, 2.0 / 4.0);
        close(q.recall, 2.0 / 3.0);
        close(q.hit, 1.0);
        close(q.mrr, 0.5);
        let dcg = 3.0 / 3f64.log2() + 1.0 / 5f64.log2();
        let idcg = 3.0 + 2.0 / 3f64.log2() + 0.5;
        close(q.ndcg, dcg / idcg);
    }

    #[test]
    fn k_larger_than_list_divides_precision_by_k() {
        // a 2-item list audited at k = 5: precision = 1/5, IDCG over min(k, |Rel|) = 2 items.
        let q = user_quality(&[1, 2], &rel(&[(2, 1.0), (3, 1.0)]), 5).unwrap();
        close(q.precision, 0.2);
        close(q.recall, 0.5);
        close(q.mrr, 0.5);
        close(q.ndcg, (1.0 / 3f64.log2()) / (1.0 + 1.0 / 3f64.log2()));
    }

    #[test]
    fn idcg_truncated_at_k_caps_ndcg_and_not_recall() {
        // 5 relevant items, k = 2: a list of two of them has NDCG 1 and recall 2/5
        let r = rel(&[(1, 1.0), (2, 1.0), (3, 1.0), (4, 1.0), (5, 1.0)]);
        let q = user_quality(&[1, 2], &r, 2).unwrap();
        close(q.ndcg, 1.0);
        close(q.recall, 0.4);
    }

    #[test]
    fn users_without_relevant_items_are_undefined() {
        assert!(user_quality(&[1, 2, 3], &[], 3).is_none());
        // relevance 0 rows do not count as relevant
        assert!(user_quality(&[1, 2, 3], &rel(&[(1, 0.0)]), 3).is_none());
        let recs = Csr::from_rows(vec![vec![1, 2], vec![3]]);
        let truth = Csr::from_rows(vec![vec![], rel(&[(3, 1.0)])]);
        let m = quality_metrics(&recs, &truth, 2);
        assert_eq!(m.len(), 5);
        assert!(m[0].values[0].is_nan());
        close(m[0].values[1], 0.5);
        close(m[4].values[1], 1.0);
    }

    proptest::proptest! {
        #[test]
        fn fused_pass_equals_the_definitions(
            list in proptest::sample::subsequence((0u32..40).collect::<Vec<u32>>(), 0..15)
                .prop_shuffle(),
            truth in proptest::collection::btree_map(0u32..40, 0u8..5, 0..12),
            k in 0usize..18,
        ) {
            // A list of distinct items in a random order; grades 0 (not relevant), 0.5, 1, 2, 3.
            let grades = [0.0, 0.5, 1.0, 2.0, 3.0];
            let truth: Vec<Relevant> = truth
                .into_iter()
                .map(|(item, g)| Relevant { item, relevance: grades[usize::from(g)] })
                .collect();
            let definitions = [
                precision(&list, &truth, k),
                recall(&list, &truth, k),
                hit(&list, &truth, k),
                mrr(&list, &truth, k),
                ndcg(&list, &truth, k),
            ];
            let fused = match user_quality(&list, &truth, k) {
                Some(q) => [q.precision, q.recall, q.hit, q.mrr, q.ndcg],
                None => [f64::NAN; 5],
            };
            // The same bits, or both NaN.
            for (name, (f, d)) in QUALITY_METRICS.iter().zip(fused.iter().zip(&definitions)) {
                proptest::prop_assert!(
                    f.to_bits() == d.to_bits() || (f.is_nan() && d.is_nan()),
                    "{}: {} != {}", name, f, d
                );
            }
        }
    }
}
