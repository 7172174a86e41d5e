//! Hit@k.

use super::relevance::{hits, is_undefined};
use crate::data::Relevant;

/// Hit@k of one user: 1 when at least one relevant item is in the top k, else 0,
/// Hit@k = 1\[|L@k ∩ Rel| > 0\] (docs/metrics.md; the "hit ratio" of Deshpande & Karypis 2004,
/// "Item-based top-N recommendation algorithms", TOIS 22(1)).
///
/// `list` holds dense item ids in rank order (rank 1 first); `relevant` holds the user's truth
/// sorted by item id, an item being relevant when its relevance is > 0.
///
/// Conventions: only the first `k` items of `list` are read; NaN when the user has no relevant
/// item or k = 0.
///
/// ```
/// use recaudit::data::Relevant;
/// use recaudit::metrics::quality::hit;
/// let rel = [Relevant { item: 20, relevance: 1.0 }];
/// assert_eq!(hit(&[10, 20, 30], &rel, 3), 1.0);
/// assert_eq!(hit(&[10, 20, 30], &rel, 1), 0.0);
/// assert!(hit(&[10, 20, 30], &[], 3).is_nan());
/// ```
pub fn hit(list: &[u32], relevant: &[Relevant], k: usize) -> f64 {
    if is_undefined(relevant, k) {
        return f64::NAN;
    }
    if hits(list, relevant, k) > 0 {
        1.0
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_data::truth_row;
    use super::*;

    #[test]
    fn hit_hand_worked() {
        // truth {7: 3, 11: 1}; list [5, 7, 9, 11]: first hit at rank 2
        let truth = truth_row(&[(7, 3.0), (11, 1.0)]);
        assert_eq!(hit(&[5, 7, 9, 11], &truth, 4), 1.0);
        assert_eq!(hit(&[5, 7, 9, 11], &truth, 2), 1.0);
        assert_eq!(hit(&[5, 7, 9, 11], &truth, 1), 0.0);
        assert_eq!(hit(&[], &truth, 3), 0.0);
    }

    #[test]
    fn hit_is_undefined_without_relevant_items_or_slots() {
        assert!(hit(&[1], &truth_row(&[(1, 0.0)]), 1).is_nan());
        assert!(hit(&[1], &truth_row(&[(1, 1.0)]), 0).is_nan());
    }
}
