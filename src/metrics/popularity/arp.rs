//! ARP, the average recommendation popularity of a list.

/// Average recommendation popularity of one list: ARP = Σ_{i∈L} pop(i) / |L| (Abdollahpouri,
/// Burke & Mobasher 2019, "Managing popularity bias in recommender systems with personalized
/// re-ranking", FLAIRS-32, arXiv:1901.07555; docs/metrics.md). Lower means less popularity bias.
///
/// `pop` is pop(i) per dense item ([`Popularity::pop`](super::Popularity): distinct history users,
/// or the items' popularity column). Every item of `list` counts (the list is the audited top-k).
/// NaN for an empty list.
///
/// ```
/// use recaudit::metrics::popularity::arp;
/// // pop = [4, 2, 1, 0]; list [0, 2]: (4 + 1) / 2
/// assert_eq!(arp(&[0, 2], &[4.0, 2.0, 1.0, 0.0]), 2.5);
/// assert!(arp(&[], &[4.0]).is_nan());
/// ```
pub fn arp(list: &[u32], pop: &[f64]) -> f64 {
    if list.is_empty() {
        return f64::NAN;
    }
    list.iter().map(|&i| pop[i as usize]).sum::<f64>() / list.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arp_hand_worked() {
        // pop = [4, 2, 1, 0] (the popularity tests' dataset)
        let pop = [4.0, 2.0, 1.0, 0.0];
        assert_eq!(arp(&[0, 1], &pop), 3.0);
        assert_eq!(arp(&[2, 3], &pop), 0.5);
        assert_eq!(arp(&[1], &pop), 2.0);
        // the order of the list does not matter
        assert_eq!(arp(&[3, 0, 2], &pop), 5.0 / 3.0);
        assert_eq!(arp(&[2, 0, 3], &pop), 5.0 / 3.0);
    }

    #[test]
    fn arp_of_an_empty_list_is_undefined() {
        assert!(arp(&[], &[1.0, 2.0]).is_nan());
    }
}
