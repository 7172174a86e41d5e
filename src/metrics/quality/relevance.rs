//! Which items of a list are relevant: the judgments every quality metric shares (an item is
//! relevant when it is in the user's truth with relevance > 0).

use crate::data::Relevant;

/// Relevance of `item` in `relevant` (sorted by item id), 0 when absent.
#[inline]
pub(super) fn relevance_of(relevant: &[Relevant], item: u32) -> f64 {
    match relevant.binary_search_by_key(&item, |r| r.item) {
        Ok(at) => relevant[at].relevance,
        Err(_) => 0.0,
    }
}

/// |Rel|, the number of items with relevance > 0.
pub(super) fn n_relevant(relevant: &[Relevant]) -> usize {
    relevant.iter().filter(|r| r.relevance > 0.0).count()
}

/// Whether a quality metric is undefined for the user: no relevant item, or k = 0.
pub(super) fn is_undefined(relevant: &[Relevant], k: usize) -> bool {
    k == 0 || n_relevant(relevant) == 0
}

/// h = |L@k ∩ Rel|, the number of relevant items among the first `k` of `list`.
pub(super) fn hits(list: &[u32], relevant: &[Relevant], k: usize) -> usize {
    list.iter()
        .take(k)
        .filter(|&&item| relevance_of(relevant, item) > 0.0)
        .count()
}
