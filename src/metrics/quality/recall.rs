//! Recall@k.

use super::relevance::{hits, is_undefined, n_relevant};
use crate::data::Relevant;

/// Recall@k of one user: the share of the user's relevant items found in the top k,
/// R@k = |L@k ∩ Rel| / |Rel| (docs/metrics.md; Manning, Raghavan & Schütze 2008, "Introduction to
/// Information Retrieval", §8.3).
///
/// `list` holds dense item ids in rank order (rank 1 first); `relevant` holds the user's truth
/// sorted by item id, an item being relevant when its relevance is > 0.
///
/// Conventions: only the first `k` items of `list` are read; |Rel| counts every relevant item,
/// so with more relevant items than k the value stays below 1 (no min(k, |Rel|) in the
/// denominator); NaN when the user has no relevant item or k = 0.
///
/// ```
/// use recaudit::data::Relevant;
/// use recaudit::metrics::quality::recall;
/// // list [10, 20, 30], relevant {20, 40}, k = 3: 1 of 2 found
/// let rel = [Relevant { item: 20, relevance: 1.0 }, Relevant { item: 40, relevance: 1.0 }];
/// assert_eq!(recall(&[10, 20, 30], &rel, 3), 0.5);
/// assert!(recall(&[10, 20, 30], &[], 3).is_nan());
/// ```
pub fn recall(list: &[u32], relevant: &[Relevant], k: usize) -> f64 {
    if is_undefined(relevant, k) {
        return f64::NAN;
    }
    hits(list, relevant, k) as f64 / n_relevant(relevant) as f64
}

#[cfg(test)]
mod tests {
    use super::super::test_data::truth_row;
    use super::*;

    #[test]
    fn recall_hand_worked() {
        // list [5, 7, 9, 11], truth {7: 3, 11: 1, 13: 2}: 2 of 3 relevant items found
        let truth = truth_row(&[(7, 3.0), (11, 1.0), (13, 2.0)]);
        assert_eq!(recall(&[5, 7, 9, 11], &truth, 4), 2.0 / 3.0);
        // k = 2 reads [5, 7]: 1 of 3
        assert_eq!(recall(&[5, 7, 9, 11], &truth, 2), 1.0 / 3.0);
        // items with relevance 0 are not in |Rel|
        let with_zero = truth_row(&[(7, 1.0), (8, 0.0)]);
        assert_eq!(recall(&[7], &with_zero, 1), 1.0);
    }

    #[test]
    fn recall_stays_below_one_when_k_is_smaller_than_the_relevant_set() {
        // 5 relevant items, k = 2, both slots hits: 2/5
        let truth = truth_row(&[(1, 1.0), (2, 1.0), (3, 1.0), (4, 1.0), (5, 1.0)]);
        assert_eq!(recall(&[1, 2], &truth, 2), 0.4);
    }

    #[test]
    fn recall_is_undefined_without_relevant_items_or_slots() {
        assert!(recall(&[1], &[], 1).is_nan());
        assert!(recall(&[1], &truth_row(&[(1, 1.0)]), 0).is_nan());
    }
}
