//! Helpers of the quality tests.

use crate::data::Relevant;

/// A truth row from `(item, relevance)` pairs, sorted by item id.
pub(super) fn truth_row(pairs: &[(u32, f64)]) -> Vec<Relevant> {
    let mut v: Vec<Relevant> = pairs
        .iter()
        .map(|&(item, relevance)| Relevant { item, relevance })
        .collect();
    v.sort_by_key(|r| r.item);
    v
}

/// Asserts `a` and `b` agree within 1e-12.
pub(super) fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-12, "{a} != {b}");
}
