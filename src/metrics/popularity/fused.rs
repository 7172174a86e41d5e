//! The per-user popularity metrics in one pass over each list: [`arp`](super::arp()),
//! [`aplt`](super::aplt()), [`gap_r`](super::gap_r()) and [`gap_p`](super::gap_p()) fused, and
//! that pass run over every user. A property test holds it equal, bit for bit (any NaN equal to
//! any NaN), to the definitions.

use rayon::prelude::*;

use super::model::Popularity;
use crate::data::Dataset;
use crate::metrics::{registry, UserMetric, USERS_PER_TASK};

/// Popularity values of one user, in [`POPULARITY_METRICS`] order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UserPopularity {
    /// Mean pop(i) over the list.
    pub arp: f64,
    /// |L ∩ tail| / |L|.
    pub aplt: f64,
    /// Mean φ(i) over the list.
    pub gap_r: f64,
    /// Mean φ(i) over the history (duplicates kept; NaN without history).
    pub gap_p: f64,
}

/// Names of the per-user popularity metrics as they appear in JSON.
pub const POPULARITY_METRICS: [&str; 4] = ["arp", "aplt", "gap_r", "gap_p"];

/// Popularity values of one user in one pass over the list, fusing the definitions
/// [`arp`](super::arp()), [`aplt`](super::aplt()), [`gap_r`](super::gap_r()) and
/// [`gap_p`](super::gap_p()) (Abdollahpouri et al. 2019, "Managing popularity bias in
/// recommender systems with personalized re-ranking" for ARP/APLT; "The unfairness of popularity
/// bias in recommendation" for GAP). Each value has the same bits as its definition's (NaN where
/// the definition is NaN).
///
/// ARP = mean_{i∈L} pop(i); APLT = |L ∩ tail| / |L|; GAP_r = mean_{i∈L} φ(i);
/// GAP_p = mean_{i∈H} φ(i). ARP, APLT and GAP_r NaN for an empty list; GAP_p NaN for an empty
/// history.
///
/// ```
/// use recaudit::metrics::popularity::user_popularity;
/// // pop = [4, 2, 1, 0], U = 4, head = {0}; list [0, 2], history [1, 1, 3]:
/// // ARP = (4 + 1)/2 = 2.5, APLT = 1/2, GAP_r = (1 + 0.25)/2 = 0.625,
/// // GAP_p = (0.5 + 0.5 + 0)/3 = 1/3.
/// let pop = [4.0, 2.0, 1.0, 0.0];
/// let phi = [1.0, 0.5, 0.25, 0.0];
/// let head = [true, false, false, false];
/// let p = user_popularity(&[0, 2], &[1, 1, 3], &pop, &phi, &head);
/// assert_eq!((p.arp, p.aplt, p.gap_r), (2.5, 0.5, 0.625));
/// assert!((p.gap_p - 1.0 / 3.0).abs() < 1e-15);
/// assert!(user_popularity(&[], &[], &pop, &phi, &head).arp.is_nan());
/// ```
pub fn user_popularity(
    list: &[u32],
    history: &[u32],
    pop: &[f64],
    phi: &[f64],
    head: &[bool],
) -> UserPopularity {
    let n = list.len() as f64;
    let (mut arp, mut tail, mut gap_r) = (0.0, 0.0, 0.0);
    for &i in list {
        let i = i as usize;
        arp += pop[i];
        gap_r += phi[i];
        if !head[i] {
            tail += 1.0;
        }
    }
    let gap_p = history.iter().map(|&i| phi[i as usize]).sum::<f64>() / history.len() as f64;
    if list.is_empty() {
        return UserPopularity {
            arp: f64::NAN,
            aplt: f64::NAN,
            gap_r: f64::NAN,
            gap_p,
        };
    }
    UserPopularity {
        arp: arp / n,
        aplt: tail / n,
        gap_r: gap_r / n,
        gap_p,
    }
}

/// ARP, APLT, GAP_r and GAP_p for every user of `ds.recs`, as [`UserMetric`]s in
/// [`POPULARITY_METRICS`] order. ARP is better lower (less popularity bias), APLT higher; GAP_r and
/// GAP_p are neutral inputs of [`delta_gap`](super::delta_gap).
pub fn popularity_metrics(ds: &Dataset, pop: &Popularity) -> Vec<UserMetric> {
    let recs = &ds.recs;
    // Each user's values go straight into the four columns, on all cores.
    type Columns = (Vec<f64>, (Vec<f64>, (Vec<f64>, Vec<f64>)));
    let (arp, (aplt, (gap_r, gap_p))): Columns = (0..recs.n_rows())
        .into_par_iter()
        .with_max_len(USERS_PER_TASK)
        .map(|u| {
            let history = ds
                .history
                .as_ref()
                .filter(|h| u < h.per_user.n_rows())
                .map_or(&[][..], |h| h.per_user.row(u));
            let p = user_popularity(recs.row(u), history, &pop.pop, &pop.phi, &pop.head);
            (p.arp, (p.aplt, (p.gap_r, p.gap_p)))
        })
        .unzip();
    vec![
        UserMetric::new(&registry::ARP, arp),
        UserMetric::new(&registry::APLT, aplt),
        UserMetric::new(&registry::GAP_R, gap_r),
        UserMetric::new(&registry::GAP_P, gap_p),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::test_data::dataset;
    use super::super::{aplt, arp, delta_gap, gap_p, gap_r, PopularityConfig};
    use super::*;

    #[test]
    fn dataset_metrics_hand_worked() {
        let ds = dataset();
        // φ = [1, 0.5, 0.25, 0], head = {0} (`popularity_of_the_dataset_hand_worked`)
        let pop = Popularity::new(&ds, &PopularityConfig::default()).unwrap();
        let m = popularity_metrics(&ds, &pop);
        // user 0: list [0, 1]: ARP (4 + 2)/2 = 3, APLT 1/2, GAP_r 0.75, GAP_p (1 + 1 + 0.5)/3
        // user 1: list [2, 3]: ARP 0.5, APLT 1, GAP_r 0.125, GAP_p 1
        // user 2: list [1]:    ARP 2,   APLT 1, GAP_r 0.5,   GAP_p NaN
        assert_eq!(m[0].values, vec![3.0, 0.5, 2.0]);
        assert_eq!(m[1].values, vec![0.5, 1.0, 1.0]);
        assert_eq!(m[2].values, vec![0.75, 0.125, 0.5]);
        assert!((m[3].values[0] - 2.5 / 3.0).abs() < 1e-15);
        assert!(m[3].values[2].is_nan());
        // ΔGAP over all: GAP_r mean (0.75 + 0.125 + 0.5)/3 = 0.458333,
        // GAP_p mean (0.833333 + 1)/2 = 0.916667 → (0.458333 − 0.916667)/0.916667 = −0.5
        let d = delta_gap(&m[2].values, &m[3].values, &[0, 1, 2]).unwrap();
        assert!((d + 0.5).abs() < 1e-12, "{d}");
    }

    proptest::proptest! {
        #[test]
        fn fused_pass_equals_the_definitions(
            catalog in proptest::collection::vec((0u32..50, proptest::bool::ANY), 1..20),
            list in proptest::collection::vec(proptest::num::u32::ANY, 0..12),
            history in proptest::collection::vec(proptest::num::u32::ANY, 0..12),
            n_users in 1u32..60,
        ) {
            // Per item a user count and a head flag; φ = pop / U. List and history items are
            // drawn from the catalog (the history may repeat an item; the list does not).
            let pop: Vec<f64> = catalog.iter().map(|&(p, _)| f64::from(p)).collect();
            let phi: Vec<f64> = pop.iter().map(|p| p / f64::from(n_users)).collect();
            let head: Vec<bool> = catalog.iter().map(|&(_, h)| h).collect();
            let n_items = catalog.len() as u32;
            let mut list: Vec<u32> = list.iter().map(|i| i % n_items).collect();
            let mut seen = vec![false; catalog.len()];
            list.retain(|&i| !std::mem::replace(&mut seen[i as usize], true));
            let history: Vec<u32> = history.iter().map(|i| i % n_items).collect();
            let fused = user_popularity(&list, &history, &pop, &phi, &head);
            let pairs = [
                (fused.arp, arp(&list, &pop)),
                (fused.aplt, aplt(&list, &head)),
                (fused.gap_r, gap_r(&list, &phi)),
                (fused.gap_p, gap_p(&history, &phi)),
            ];
            // The same bits, or both NaN (an empty history gives GAP_p = −0.0 / 0, a NaN with the
            // sign bit set, in the fused pass).
            for (name, (f, d)) in POPULARITY_METRICS.iter().zip(pairs) {
                proptest::prop_assert!(
                    f.to_bits() == d.to_bits() || (f.is_nan() && d.is_nan()),
                    "{}: {} != {}", name, f, d
                );
            }
        }
    }
}
