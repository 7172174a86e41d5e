//! APLT, the share of long-tail items in a list.

/// Average percentage of long-tail items of one list: APLT = |L ∩ Γ| / |L|, Γ the long tail, i.e.
/// every item outside the short head (Abdollahpouri, Burke & Mobasher 2019, "Managing popularity
/// bias in recommender systems with personalized re-ranking", FLAIRS-32, arXiv:1901.07555;
/// docs/metrics.md). Higher means more long-tail items.
///
/// `head` is the short-head flag per dense item ([`Popularity::head`](super::Popularity)); the
/// long tail here is its complement, so the `mid` band counts as tail. NaN for an empty list.
///
/// ```
/// use recaudit::metrics::popularity::aplt;
/// // head = {0}; list [0, 2, 3]: 2 of 3 in the long tail
/// assert_eq!(aplt(&[0, 2, 3], &[true, false, false, false]), 2.0 / 3.0);
/// assert!(aplt(&[], &[true]).is_nan());
/// ```
pub fn aplt(list: &[u32], head: &[bool]) -> f64 {
    if list.is_empty() {
        return f64::NAN;
    }
    let in_tail = list.iter().filter(|&&i| !head[i as usize]).count();
    in_tail as f64 / list.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aplt_hand_worked() {
        // head = {0} (the popularity tests' dataset)
        let head = [true, false, false, false];
        assert_eq!(aplt(&[0, 1], &head), 0.5);
        assert_eq!(aplt(&[2, 3], &head), 1.0);
        assert_eq!(aplt(&[0], &head), 0.0);
    }

    #[test]
    fn aplt_of_an_empty_list_is_undefined() {
        assert!(aplt(&[], &[false]).is_nan());
    }
}
