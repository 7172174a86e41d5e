//! Precision@k.

use super::relevance::{hits, is_undefined};
use crate::data::Relevant;

/// Precision@k of one user: the share of the k slots holding a relevant item,
/// P@k = |L@k ∩ Rel| / k (docs/metrics.md; Manning, Raghavan & Schütze 2008, "Introduction to Information
/// Retrieval", §8.4).
///
/// `list` holds dense item ids in rank order (rank 1 first); `relevant` holds the user's truth
/// sorted by item id, an item being relevant when its relevance is > 0 (grades above 0 count
/// alike).
///
/// Conventions: only the first `k` items of `list` are read; a list shorter than k still divides
/// by k (an empty slot is a miss, as in ranx, Microsoft Recommenders and RecBole); NaN when the
/// user has no relevant item or k = 0.
///
/// ```
/// use recaudit::data::Relevant;
/// use recaudit::metrics::quality::precision;
/// // list [10, 20, 30], relevant {20}, k = 3: 1/3; audited at k = 5: 1/5
/// let rel = [Relevant { item: 20, relevance: 1.0 }];
/// assert_eq!(precision(&[10, 20, 30], &rel, 3), 1.0 / 3.0);
/// assert_eq!(precision(&[10, 20, 30], &rel, 5), 0.2);
/// assert!(precision(&[10, 20, 30], &[], 3).is_nan());
/// ```
pub fn precision(list: &[u32], relevant: &[Relevant], k: usize) -> f64 {
    if is_undefined(relevant, k) {
        return f64::NAN;
    }
    hits(list, relevant, k) as f64 / k as f64
}

#[cfg(test)]
mod tests {
    use super::super::test_data::truth_row;
    use super::*;

    #[test]
    fn precision_hand_worked() {
        // list [5, 7, 9, 11], truth {7: 3, 11: 1, 13: 2}: hits at ranks 2 and 4
        let truth = truth_row(&[(7, 3.0), (11, 1.0), (13, 2.0)]);
        assert_eq!(precision(&[5, 7, 9, 11], &truth, 4), 0.5);
        // k = 2 reads [5, 7]: 1 hit of 2
        assert_eq!(precision(&[5, 7, 9, 11], &truth, 2), 0.5);
        // k = 1 reads [5]: no hit
        assert_eq!(precision(&[5, 7, 9, 11], &truth, 1), 0.0);
    }

    #[test]
    fn precision_divides_a_short_list_by_k() {
        // a 2-item list audited at k = 5, one hit: 1/5
        let truth = truth_row(&[(2, 1.0), (3, 1.0)]);
        assert_eq!(precision(&[1, 2], &truth, 5), 0.2);
        assert_eq!(precision(&[], &truth, 5), 0.0);
    }

    #[test]
    fn precision_is_undefined_without_relevant_items_or_slots() {
        assert!(precision(&[1, 2], &[], 2).is_nan());
        // relevance 0 does not make an item relevant
        assert!(precision(&[1, 2], &truth_row(&[(1, 0.0)]), 2).is_nan());
        assert!(precision(&[1, 2], &truth_row(&[(1, 1.0)]), 0).is_nan());
    }
}
