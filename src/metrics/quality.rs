//! Recommendation quality per user against held-out truth (SPEC §3): precision@k, recall@k, hit@k,
//! MRR@k and NDCG@k.
//!
//! Conventions (shared by all five):
//! - the list is the user's top-k (already truncated); k is the audit cutoff, so a list shorter than
//!   k still divides precision by k (as ranx, Microsoft Recommenders and RecBole do);
//! - an item is relevant when it is in the user's truth with relevance > 0;
//! - a user with no relevant item gets NaN for every quality metric: such users are counted and
//!   left out of slice means (never averaged in as 0).

use std::sync::LazyLock;

use rayon::prelude::*;

use crate::data::{Csr, RecLists, Relevant};
use crate::metrics::{registry, UserMetric};

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

/// Relevance of `item` in `relevant` (sorted by item id), 0 when absent.
#[inline]
fn relevance_of(relevant: &[Relevant], item: u32) -> f64 {
    match relevant.binary_search_by_key(&item, |r| r.item) {
        Ok(at) => relevant[at].relevance,
        Err(_) => 0.0,
    }
}

/// Ideal DCG: the user's relevance grades sorted descending, truncated at k,
/// Σ_{j=1..min(k,|Rel|)} rel_j / log2(j + 1) (Järvelin & Kekäläinen 2002).
pub fn ideal_dcg(relevant: &[Relevant], k: usize) -> f64 {
    // The grades of up to 64 relevant items are sorted on the stack (this runs once per user).
    const ON_STACK: usize = 64;
    let mut on_stack = [0.0; ON_STACK];
    let mut on_heap = Vec::new();
    let positive = relevant.iter().map(|r| r.relevance).filter(|&g| g > 0.0);
    let grades: &mut [f64] = if relevant.len() <= ON_STACK {
        let mut n = 0;
        for g in positive {
            on_stack[n] = g;
            n += 1;
        }
        &mut on_stack[..n]
    } else {
        on_heap.extend(positive);
        &mut on_heap
    };
    grades.sort_by(|a, b| b.total_cmp(a));
    grades
        .iter()
        .take(k)
        .enumerate()
        .map(|(j, g)| g / log2_of_position(j))
        .sum()
}

/// log2(j + 2), the DCG discount of 0-based position j: the first 64 from a table computed once
/// (the same values; the per-user loops took some 6M logarithms at 10M rows).
#[inline]
fn log2_of_position(j: usize) -> f64 {
    static TABLE: LazyLock<[f64; 64]> =
        LazyLock::new(|| std::array::from_fn(|j| (j as f64 + 2.0).log2()));
    TABLE
        .get(j)
        .copied()
        .unwrap_or_else(|| (j as f64 + 2.0).log2())
}

/// All five quality metrics of one user.
///
/// `list` holds dense item ids in rank order (rank 1 first, at most k of them); `relevant` holds the
/// user's truth sorted by item id. Returns `None` when the user has no item with relevance > 0.
///
/// Formulas (SPEC §3; Järvelin & Kekäläinen 2002 for NDCG):
/// precision = h / k, recall = h / |Rel|, hit = 1\[h > 0\], MRR = 1 / r_first,
/// NDCG = Σ_{i∈L} rel(i) / log2(r(i) + 1) / IDCG, where h = |L ∩ Rel|.
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
    let n_relevant = relevant.iter().filter(|r| r.relevance > 0.0).count();
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
            dcg += grade / log2_of_position(pos);
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
    // per-user results first and splitting them after was a sequential pass per column).
    type Columns = (Vec<f64>, (Vec<f64>, (Vec<f64>, (Vec<f64>, Vec<f64>))));
    let (precision, (recall, (hit, (mrr, ndcg)))): Columns = (0..recs.n_rows())
        .into_par_iter()
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
    use super::*;

    fn rel(pairs: &[(u32, f64)]) -> Vec<Relevant> {
        let mut v: Vec<Relevant> = pairs
            .iter()
            .map(|&(item, relevance)| Relevant { item, relevance })
            .collect();
        v.sort_by_key(|r| r.item);
        v
    }

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-12, "{a} != {b}");
    }

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
    fn position_discounts_are_the_logarithms() {
        for j in 0..200 {
            let want = (j as f64 + 2.0).log2();
            assert_eq!(
                log2_of_position(j).to_bits(),
                want.to_bits(),
                "position {j}"
            );
        }
    }

    #[test]
    fn ideal_dcg_of_many_relevant_items() {
        // 70 relevant items (beyond the 64 sorted on the stack) with grades 1..=70 in item order,
        // and 10 of grade 0 that do not count: IDCG@k = Σ_{j=1..k} (71 − j) / log2(j + 1).
        let mut pairs: Vec<(u32, f64)> = (0..70).map(|i| (i, f64::from(i + 1))).collect();
        pairs.extend((70..80).map(|i| (i, 0.0)));
        let many = rel(&pairs);
        let expected = |k: u32| -> f64 {
            (1..=k)
                .map(|j| f64::from(71 - j) / (f64::from(j) + 1.0).log2())
                .sum()
        };
        for k in [1u32, 10, 64, 70, 100] {
            let k_used = k.min(70);
            close(ideal_dcg(&many, k as usize), expected(k_used));
        }
        // The first 64 of them alone take the stack path: the same formula.
        let few = rel(&pairs[6..70]);
        close(
            ideal_dcg(&few, 3),
            70.0 + 69.0 / 3f64.log2() + 68.0 / 4f64.log2(),
        );
    }

    #[test]
    fn ideal_dcg_truncates_at_k() {
        // 5 relevant items, k = 2: IDCG = 1 + 1/log2(3)
        let r = rel(&[(1, 1.0), (2, 1.0), (3, 1.0), (4, 1.0), (5, 1.0)]);
        close(ideal_dcg(&r, 2), 1.0 + 1.0 / 3f64.log2());
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

    #[test]
    fn ties_in_grades_do_not_change_idcg() {
        // two items with the same grade in either order give the same IDCG
        let a = rel(&[(1, 2.0), (2, 2.0)]);
        close(ideal_dcg(&a, 10), 2.0 + 2.0 / 3f64.log2());
    }
}
