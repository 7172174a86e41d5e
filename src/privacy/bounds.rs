//! The range each per-user metric is clipped to before its values are summed under differential
//! privacy. A metric whose values have no bound known before the data is read (one that grows
//! with the number of users or items, or a ratio or divergence without a ceiling) is not
//! published in DP mode: clipping it to a bound taken from the data would leak the data.

use crate::metrics::registry::{self, MetricDef};

/// The clipping range of `def` at cutoff `k`, or why it has none.
///
/// ```
/// use recaudit::metrics::registry;
/// use recaudit::privacy::bounds::clip_range;
/// assert_eq!(clip_range(&registry::NDCG, 10), Ok((0.0, 1.0)));
/// // List entropy: at most log2(k) bits for a list of k items.
/// assert_eq!(clip_range(&registry::LIST_ENTROPY, 8), Ok((0.0, 3.0)));
/// assert!(clip_range(&registry::ARP, 10).is_err());
/// // ΔGAP's per-user terms divide by the (private) number of users.
/// assert!(clip_range(&registry::GAP_R, 10).is_err());
/// ```
pub fn clip_range(def: &MetricDef, k: usize) -> Result<(f64, f64), &'static str> {
    let is = |other: &MetricDef| std::ptr::eq(def, other) || def.key == other.key;
    let unit_interval = [
        // Quality: shares, reciprocal ranks and normalised gains, all in [0, 1].
        &registry::PRECISION,
        &registry::RECALL,
        &registry::HIT,
        &registry::MRR,
        &registry::NDCG,
        // Popularity: a share of the list (withheld when the tail is cut from the history:
        // `audit::private`).
        &registry::APLT,
        // Diversity and exposure: mean pairwise distances and attention-weighted ranks in [0, 1].
        &registry::ILD,
        &registry::AWRF,
        // Bubble: shares and 0/1 flags.
        &registry::NARROWED,
        &registry::HISTORY_CATEGORY_COVERAGE,
        &registry::OVER_PERSONALISATION,
        &registry::LIST_OVERLAP,
        &registry::DIVERSITY_FALLING,
        &registry::LIST_FROZEN,
        // Change: the rank-biased overlap of two lists is in [0, 1].
        &registry::RBO,
    ];
    if unit_interval.iter().any(|d| is(d)) {
        return Ok((0.0, 1.0));
    }
    if is(&registry::LIST_ENTROPY) {
        // The entropy of the categories of k items is at most log2(k) bits.
        return Ok((0.0, (k.max(1) as f64).log2()));
    }
    if is(&registry::ARP) {
        return Err("ARP counts history users per item: its ceiling is the number of history users, itself private");
    }
    if is(&registry::GAP_R) || is(&registry::GAP_P) {
        return Err("φ(i) = pop(i) / U divides by the number of users U, itself private: adding one user changes every user's value, so the sum is not bounded by one user's contribution");
    }
    if is(&registry::NOVELTY_USER) {
        return Err(
            "novelty in bits grows with log2 of the number of history users, itself private",
        );
    }
    if is(&registry::MISCALIBRATION) {
        return Err(
            "miscalibration is a KL divergence without a ceiling known before the data is read",
        );
    }
    if is(&registry::NARROWING_RATIO) {
        return Err("the narrowing ratio is a ratio of entropies without a ceiling");
    }
    Err("no range is known for this metric before the data is read")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_per_user_metric_has_a_range_or_a_reason() {
        for def in registry::of_kind(registry::Kind::PerUser) {
            match clip_range(def, 10) {
                Ok((lo, hi)) => assert!(lo < hi && hi.is_finite(), "{}", def.key),
                Err(why) => assert!(!why.is_empty()),
            }
        }
    }
}
