//! NDCG@k, with the DCG and ideal DCG it divides.

use std::sync::LazyLock;

use super::relevance::{is_undefined, relevance_of};
use crate::data::Relevant;

/// DCG@k of one list with linear gains: Σ_{r=1..min(k,|L|)} rel(L_r) / log2(r + 1), rel the
/// relevance grade (0 for an item not in the truth) (Järvelin & Kekäläinen 2002, "Cumulated
/// gain-based evaluation of IR techniques", TOIS 20(4), doi:10.1145/582415.582418).
///
/// ```
/// use recaudit::data::Relevant;
/// use recaudit::metrics::quality::dcg;
/// // grade 2 at rank 1, grade 1 at rank 3: 2/log2(2) + 1/log2(4) = 2.5
/// let rel = [Relevant { item: 1, relevance: 2.0 }, Relevant { item: 3, relevance: 1.0 }];
/// assert_eq!(dcg(&[1, 2, 3], &rel, 3), 2.5);
/// ```
pub fn dcg(list: &[u32], relevant: &[Relevant], k: usize) -> f64 {
    let mut sum = 0.0;
    for (r, &item) in (1..).zip(list.iter().take(k)) {
        let grade = relevance_of(relevant, item);
        if grade > 0.0 {
            sum += grade / (r as f64 + 1.0).log2();
        }
    }
    sum
}

/// Ideal DCG: the user's relevance grades sorted descending, truncated at k,
/// Σ_{j=1..min(k,|Rel|)} rel_j / log2(j + 1) (Järvelin & Kekäläinen 2002). Tied grades give the
/// same value in either order; 0 when no grade is > 0 or k = 0.
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
        .map(|(j, g)| g / discount(j))
        .sum()
}

/// NDCG@k of one user: DCG@k / IDCG@k with linear gains ([`dcg`], [`ideal_dcg`]; Järvelin &
/// Kekäläinen 2002, "Cumulated gain-based evaluation of IR techniques", TOIS 20(4),
/// doi:10.1145/582415.582418; docs/metrics.md):
/// NDCG@k = (Σ_{r=1..min(k,|L|)} rel(L_r) / log2(r + 1)) / (Σ_{j=1..min(k,|Rel|)} rel_(j) /
/// log2(j + 1)), rel_(j) the user's grades sorted descending.
///
/// `list` holds dense item ids in rank order (rank 1 first, no tied ranks); `relevant` holds the
/// user's truth sorted by item id; grades ≤ 0 count as not relevant.
///
/// Conventions: only the first `k` items of `list` are read; the ideal ranking fills
/// min(k, |Rel|) slots, so a list shorter than k is not penalised for its empty slots unless
/// the user has relevant items to fill them; tied grades give the same IDCG in either order;
/// NaN when the user has no relevant item or k = 0.
///
/// ```
/// use recaudit::data::Relevant;
/// use recaudit::metrics::quality::ndcg;
/// // list [10, 20, 30], relevant {20 (grade 1), 40 (grade 1)}, k = 3:
/// // DCG = 1/log2(3), IDCG = 1 + 1/log2(3)
/// let rel = [Relevant { item: 20, relevance: 1.0 }, Relevant { item: 40, relevance: 1.0 }];
/// let dcg = 1.0 / 3f64.log2();
/// assert!((ndcg(&[10, 20, 30], &rel, 3) - dcg / (1.0 + dcg)).abs() < 1e-12);
/// assert!(ndcg(&[10, 20, 30], &[], 3).is_nan());
/// ```
pub fn ndcg(list: &[u32], relevant: &[Relevant], k: usize) -> f64 {
    if is_undefined(relevant, k) {
        return f64::NAN;
    }
    dcg(list, relevant, k) / ideal_dcg(relevant, k)
}

/// log2(j + 2), the DCG discount of 0-based position j: the first 64 from a table computed once
/// (the same values; the per-user loops take some 6M logarithms at 10M rows).
#[inline]
pub(super) fn discount(j: usize) -> f64 {
    static TABLE: LazyLock<[f64; 64]> =
        LazyLock::new(|| std::array::from_fn(|j| (j as f64 + 2.0).log2()));
    TABLE
        .get(j)
        .copied()
        .unwrap_or_else(|| (j as f64 + 2.0).log2())
}

#[cfg(test)]
mod tests {
    use super::super::test_data::{close, truth_row};
    use super::*;

    #[test]
    fn ndcg_graded_relevance_hand_worked() {
        // list [5, 7, 9, 11], k = 4, truth {7: 3, 11: 1, 13: 2}
        // DCG = 3/log2(3) + 1/log2(5) = 1.892789 + 0.430677 = 2.323466
        // IDCG = grades sorted 3,2,1: 3/log2(2) + 2/log2(3) + 1/log2(4) = 3 + 1.261860 + 0.5
        let truth = truth_row(&[(7, 3.0), (11, 1.0), (13, 2.0)]);
        let want_dcg = 3.0 / 3f64.log2() + 1.0 / 5f64.log2();
        let want_idcg = 3.0 + 2.0 / 3f64.log2() + 0.5;
        close(dcg(&[5, 7, 9, 11], &truth, 4), want_dcg);
        close(ideal_dcg(&truth, 4), want_idcg);
        close(ndcg(&[5, 7, 9, 11], &truth, 4), want_dcg / want_idcg);
    }

    #[test]
    fn ndcg_of_the_ideal_list_is_one() {
        let truth = truth_row(&[(1, 3.0), (2, 2.0), (3, 1.0)]);
        close(ndcg(&[1, 2, 3], &truth, 3), 1.0);
        // the same items in the reverse order: (1 + 2/log2(3) + 3/2) / (3 + 2/log2(3) + 1/2)
        let g = 2.0 / 3f64.log2();
        close(
            ndcg(&[3, 2, 1], &truth, 3),
            (1.0 + g + 1.5) / (3.0 + g + 0.5),
        );
        // no hit: 0
        assert_eq!(ndcg(&[7, 8], &truth, 2), 0.0);
    }

    #[test]
    fn ndcg_of_a_list_shorter_than_k() {
        // a 2-item list audited at k = 5, relevant {2, 3}: IDCG over min(k, |Rel|) = 2 items
        let truth = truth_row(&[(2, 1.0), (3, 1.0)]);
        let w2 = 1.0 / 3f64.log2();
        close(ndcg(&[1, 2], &truth, 5), w2 / (1.0 + w2));
        close(ndcg(&[3, 2], &truth, 5), 1.0);
    }

    #[test]
    fn ndcg_is_undefined_without_relevant_items_or_slots() {
        assert!(ndcg(&[1, 2], &[], 2).is_nan());
        assert!(ndcg(&[1, 2], &truth_row(&[(1, 0.0)]), 2).is_nan());
        assert!(ndcg(&[1, 2], &truth_row(&[(1, 1.0)]), 0).is_nan());
    }

    #[test]
    fn position_discounts_are_the_logarithms() {
        for j in 0..200 {
            let want = (j as f64 + 2.0).log2();
            assert_eq!(discount(j).to_bits(), want.to_bits(), "position {j}");
        }
    }

    #[test]
    fn ideal_dcg_of_many_relevant_items() {
        // 70 relevant items (beyond the 64 sorted on the stack) with grades 1..=70 in item order,
        // and 10 of grade 0 that do not count: IDCG@k = Σ_{j=1..k} (71 − j) / log2(j + 1).
        let mut pairs: Vec<(u32, f64)> = (0..70).map(|i| (i, f64::from(i + 1))).collect();
        pairs.extend((70..80).map(|i| (i, 0.0)));
        let many = truth_row(&pairs);
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
        let few = truth_row(&pairs[6..70]);
        close(
            ideal_dcg(&few, 3),
            70.0 + 69.0 / 3f64.log2() + 68.0 / 4f64.log2(),
        );
    }

    #[test]
    fn ideal_dcg_truncates_at_k() {
        // 5 relevant items, k = 2: IDCG = 1 + 1/log2(3), and a list of two of them is ideal
        let r = truth_row(&[(1, 1.0), (2, 1.0), (3, 1.0), (4, 1.0), (5, 1.0)]);
        close(ideal_dcg(&r, 2), 1.0 + 1.0 / 3f64.log2());
        close(ndcg(&[1, 2], &r, 2), 1.0);
    }

    #[test]
    fn ties_in_grades_do_not_change_idcg() {
        // two items with the same grade in either order give the same IDCG
        let a = truth_row(&[(1, 2.0), (2, 2.0)]);
        close(ideal_dcg(&a, 10), 2.0 + 2.0 / 3f64.log2());
    }
}
