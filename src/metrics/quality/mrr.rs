//! MRR@k (the reciprocal rank of one user).

use super::relevance::{is_undefined, relevance_of};
use crate::data::Relevant;

/// Reciprocal rank@k of one user, the per-user term of MRR: 1 / r_first, the rank of the first
/// relevant item in the top k, 0 when none (docs/metrics.md; Voorhees 1999, "The TREC-8 Question
/// Answering Track Report"). Slice means of it are the mean reciprocal rank.
///
/// `list` holds dense item ids in rank order (rank 1 first, no tied ranks); `relevant` holds the
/// user's truth sorted by item id, an item being relevant when its relevance is > 0 (the grade
/// does not matter).
///
/// Conventions: only the first `k` items of `list` are read; NaN when the user has no relevant
/// item or k = 0.
///
/// ```
/// use recaudit::data::Relevant;
/// use recaudit::metrics::quality::mrr;
/// // the first relevant item (20) is at rank 2: 1/2
/// let rel = [Relevant { item: 20, relevance: 1.0 }, Relevant { item: 30, relevance: 3.0 }];
/// assert_eq!(mrr(&[10, 20, 30], &rel, 3), 0.5);
/// assert_eq!(mrr(&[10, 20, 30], &rel, 1), 0.0);
/// assert!(mrr(&[10, 20, 30], &[], 3).is_nan());
/// ```
pub fn mrr(list: &[u32], relevant: &[Relevant], k: usize) -> f64 {
    if is_undefined(relevant, k) {
        return f64::NAN;
    }
    list.iter()
        .take(k)
        .position(|&item| relevance_of(relevant, item) > 0.0)
        .map_or(0.0, |pos| 1.0 / (pos + 1) as f64)
}

#[cfg(test)]
mod tests {
    use super::super::test_data::truth_row;
    use super::*;

    #[test]
    fn mrr_hand_worked() {
        // truth {7: 3, 11: 1, 13: 2}; list [5, 7, 9, 11]: first hit at rank 2
        let truth = truth_row(&[(7, 3.0), (11, 1.0), (13, 2.0)]);
        assert_eq!(mrr(&[5, 7, 9, 11], &truth, 4), 0.5);
        // a later, higher-graded hit does not matter: first hit [11] at rank 1
        assert_eq!(mrr(&[11, 7], &truth, 2), 1.0);
        assert_eq!(mrr(&[1, 2, 3, 13], &truth, 4), 0.25);
        // the first hit past k is not read
        assert_eq!(mrr(&[1, 2, 3, 13], &truth, 3), 0.0);
    }

    #[test]
    fn mrr_is_undefined_without_relevant_items_or_slots() {
        assert!(mrr(&[1], &[], 1).is_nan());
        assert!(mrr(&[1], &truth_row(&[(1, 1.0)]), 0).is_nan());
    }
}
