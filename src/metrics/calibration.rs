//! Miscalibration (docs/metrics.md; Steck 2018, "Calibrated recommendations", RecSys '18,
//! doi:10.1145/3240323.3240372).
//!
//! C_KL(u) = KL(p ‖ q̃) = Σ_c p(c|u) ln( p(c|u) / q̃(c|u) ), q̃ = (1 − α) q + α p, α = 0.01.
//!
//! Conventions:
//! - p(c|u) is the category distribution of the user's history H_u (every interaction counts,
//!   duplicates kept), q(c|u) that of the top-k list; both split an item with m categories as 1/m
//!   per category ([`category_distribution`](crate::metrics::categories::category_distribution));
//!   items without a category are ignored.
//! - The history distribution comes first (KL(p ‖ q̃)); one Java library reverses it. The smoothing
//!   α keeps it finite: a category of the history absent from the list adds p ln(1/α).
//! - Natural log (nats). 0 = perfectly calibrated; lower is better.
//! - Optional rank weighting of q (Steck's w_r): each list item weighs w(rank) of a
//!   [`PositionWeight`]; the history is never weighted.
//! - NaN for a user with no history category, or with an empty list.
//!
//! [`miscalibration`] is the definition, [`miscalibration_memo`] its speed path (logarithms
//! remembered by a [`LogMemo`], the same bits), and [`calibration_metrics`] applies the definition
//! to every user.

use rayon::prelude::*;

use crate::data::Dataset;
use crate::metrics::categories::{has_categories, ItemCategories};
use crate::metrics::log_memo::LogMemo;
use crate::metrics::{registry, PositionWeight, UserMetric};

/// Settings of miscalibration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CalibrationConfig {
    /// Smoothing α of q̃ = (1 − α) q + α p (default 0.01, as Steck 2018).
    pub alpha: f64,
    /// Rank weighting of the list distribution q (default `None`: every item weighs 1).
    pub weight: Option<PositionWeight>,
}

impl Default for CalibrationConfig {
    fn default() -> Self {
        CalibrationConfig {
            alpha: 0.01,
            weight: None,
        }
    }
}

/// Miscalibration of one user (Steck 2018, "Calibrated recommendations", RecSys '18,
/// doi:10.1145/3240323.3240372): C_KL = KL(p ‖ q̃) = Σ_c p(c) ln( p(c) / q̃(c) ) in nats, with
/// q̃ = (1 − α) q + α p, p the history's and q the list's category distribution, both sparse and
/// sorted by category. NaN when `p` is empty.
///
/// This is the definition; [`miscalibration_memo`] is its speed path.
///
/// ```
/// use recaudit::metrics::calibration::miscalibration;
/// // p = {a: 0.5, b: 0.5}, q = {a: 1}, α = 0.01:
/// // q̃(a) = 0.99 + 0.005 = 0.995, q̃(b) = 0.005
/// // C = 0.5 ln(0.5/0.995) + 0.5 ln(0.5/0.005) = −0.344058 + 2.302585 = 1.958527
/// let c = miscalibration(&[(0, 0.5), (1, 0.5)], &[(0, 1.0)], 0.01);
/// let want = 0.5 * (0.5f64 / 0.995).ln() + 0.5 * (0.5f64 / 0.005).ln();
/// assert!((c - want).abs() < 1e-15);
/// // calibrated list: 0
/// assert_eq!(miscalibration(&[(0, 0.5), (1, 0.5)], &[(0, 0.5), (1, 0.5)], 0.01), 0.0);
/// assert!(miscalibration(&[], &[(0, 1.0)], 0.01).is_nan());
/// ```
pub fn miscalibration(p: &[(u32, f64)], q: &[(u32, f64)], alpha: f64) -> f64 {
    miscalibration_by(p, q, alpha, |x| x.ln())
}

/// [`miscalibration`] with the logarithms from `memo`: the same bits (the property test
/// `memo_equals_the_definition`), faster when many users share the same shares.
pub fn miscalibration_memo(
    p: &[(u32, f64)],
    q: &[(u32, f64)],
    alpha: f64,
    memo: &mut LogMemo,
) -> f64 {
    miscalibration_by(p, q, alpha, |x| memo.ln(x))
}

/// [`miscalibration`] with the natural logarithm `ln`.
fn miscalibration_by(
    p: &[(u32, f64)],
    q: &[(u32, f64)],
    alpha: f64,
    mut ln: impl FnMut(f64) -> f64,
) -> f64 {
    if p.is_empty() {
        return f64::NAN;
    }
    let mut j = 0;
    let mut kl = 0.0;
    for &(c, pc) in p {
        if pc <= 0.0 {
            continue;
        }
        while j < q.len() && q[j].0 < c {
            j += 1;
        }
        let qc = if j < q.len() && q[j].0 == c {
            q[j].1
        } else {
            0.0
        };
        let q_tilde = (1.0 - alpha) * qc + alpha * pc;
        kl += pc * ln(pc / q_tilde);
    }
    kl
}

/// `miscalibration` per user of `ds.recs` (better lower): [`miscalibration`] of each user's history
/// and list distributions. Empty when the dataset has no history or no category column. The audit
/// computes it in the one pass of [`category_pass`](crate::metrics::category_pass) (unless the list
/// distribution is rank-weighted), held equal to this function by a test there.
pub fn calibration_metrics(ds: &Dataset, cfg: &CalibrationConfig) -> Vec<UserMetric> {
    let Some(history) = ds.history.as_ref() else {
        return Vec::new();
    };
    if !has_categories(ds) {
        return Vec::new();
    }
    let cats = ItemCategories::new(&ds.items.categories);
    let n_cats = ds.items.category_labels.len();
    let recs = &ds.recs;
    let weights: Option<Vec<f64>> = cfg.weight.map(|w| {
        (1..=recs.rows().map(|r| r.len()).max().unwrap_or(0))
            .map(|r| w.weight(r))
            .collect()
    });
    let values = (0..recs.n_rows())
        .into_par_iter()
        .map_init(
            || vec![0.0; n_cats],
            |scratch, u| {
                let list = recs.row(u);
                if list.is_empty() || u >= history.per_user.n_rows() {
                    return f64::NAN;
                }
                let p = cats.distribution(history.per_user.row(u), None, scratch);
                let w = weights.as_deref().map(|w| &w[..list.len()]);
                let q = cats.distribution(list, w, scratch);
                miscalibration(&p, &q, cfg.alpha)
            },
        )
        .collect();
    vec![UserMetric::new(&registry::MISCALIBRATION, values)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Csr, History, Items};

    fn dataset() -> Dataset {
        // categories: item 0 {a}, 1 {b}, 2 {a, b}, 3 {}
        Dataset {
            truth_propensity: None,
            n_users: 3,
            k: 2,
            recs: Csr::from_rows(vec![vec![0, 1], vec![1, 0], vec![2]]),
            items: Items {
                ids: (0..4).map(|i| format!("i{i}")).collect(),
                category_labels: vec!["a".into(), "b".into()],
                categories: Csr::from_rows(vec![vec![0], vec![1], vec![0, 1], vec![]]),
                ..Items::default()
            },
            history: Some(History {
                per_user: Csr::from_rows(vec![vec![0, 0, 0, 1], vec![0, 0, 0, 1], vec![3]]),
                distinct_users: vec![2, 2, 0, 1],
                interactions: vec![6, 2, 0, 1],
                n_users: 3,
            }),
            ..Dataset::default()
        }
    }

    #[test]
    fn hand_worked_unweighted_and_rank_weighted() {
        let ds = dataset();
        let m = calibration_metrics(&ds, &CalibrationConfig::default());
        // user 0: p = {a: 0.75, b: 0.25}, q = {a: 0.5, b: 0.5}
        // q̃(a) = 0.99·0.5 + 0.01·0.75 = 0.5025, q̃(b) = 0.495 + 0.0025 = 0.4975
        // C = 0.75 ln(0.75/0.5025) + 0.25 ln(0.25/0.4975)
        let c0 = 0.75 * (0.75f64 / 0.5025).ln() + 0.25 * (0.25f64 / 0.4975).ln();
        assert!((m[0].values[0] - c0).abs() < 1e-15);
        // user 1: the same list in the other order, unweighted → the same value
        assert!((m[0].values[1] - c0).abs() < 1e-15);
        // user 2: history item has no category → NaN
        assert!(m[0].values[2].is_nan());

        let w = calibration_metrics(
            &ds,
            &CalibrationConfig {
                alpha: 0.01,
                weight: Some(PositionWeight::Log),
            },
        );
        // log weights 1 and 1/log2(3) = 0.63093: user 0 list [a, b] → q(a) = 1/1.63093 = 0.61315
        // user 1 list [b, a] → q(a) = 0.38685; p = {0.75, 0.25} is closer to user 0's list
        let wa = 1.0 / (1.0 + 1.0 / 3f64.log2());
        let kl = |qa: f64| {
            let (ta, tb) = (0.99 * qa + 0.0075, 0.99 * (1.0 - qa) + 0.0025);
            0.75 * (0.75 / ta).ln() + 0.25 * (0.25 / tb).ln()
        };
        assert!((w[0].values[0] - kl(wa)).abs() < 1e-12);
        assert!((w[0].values[1] - kl(1.0 - wa)).abs() < 1e-12);
        assert!(w[0].values[0] < c0 && c0 < w[0].values[1]);
    }

    #[test]
    fn missing_category_in_list_costs_ln_one_over_alpha() {
        // p = {b: 1}, q = {a: 1} → q̃(b) = 0.01 → C = ln(100)
        let c = miscalibration(&[(1, 1.0)], &[(0, 1.0)], 0.01);
        assert!((c - 100f64.ln()).abs() < 1e-12);
        // KL is not symmetric: history first. p = {a: 0.9, b: 0.1}, q = {a: 0.5, b: 0.5}
        let pq = miscalibration(&[(0, 0.9), (1, 0.1)], &[(0, 0.5), (1, 0.5)], 0.0);
        let qp = miscalibration(&[(0, 0.5), (1, 0.5)], &[(0, 0.9), (1, 0.1)], 0.0);
        // 0.9 ln 1.8 + 0.1 ln 0.2 = 0.368064; 0.5 ln(5/9) + 0.5 ln 5 = 0.510826
        assert!((pq - (0.9 * 1.8f64.ln() + 0.1 * 0.2f64.ln())).abs() < 1e-15);
        assert!((qp - (0.5 * (5.0f64 / 9.0).ln() + 0.5 * 5f64.ln())).abs() < 1e-15);
    }

    #[test]
    fn no_history_no_metric() {
        let mut ds = dataset();
        ds.history = None;
        assert!(calibration_metrics(&ds, &CalibrationConfig::default()).is_empty());
    }

    proptest::proptest! {
        #[test]
        fn memo_equals_the_definition(
            p in proptest::collection::btree_map(0u32..8, 1u32..6, 0..6),
            q in proptest::collection::btree_map(0u32..8, 0u32..6, 0..6),
            alpha in proptest::prop_oneof![proptest::strategy::Just(0.01), 0.0f64..1.0],
        ) {
            // Sparse distributions sorted by category, with shares such as a list of a few items
            // gives (q may hold a zero share, as a zero rank weight gives).
            let normalise = |m: &std::collections::BTreeMap<u32, u32>| -> Vec<(u32, f64)> {
                let total: u32 = m.values().sum();
                m.iter().map(|(&c, &w)| (c, f64::from(w) / f64::from(total.max(1)))).collect()
            };
            let (p, q) = (normalise(&p), normalise(&q));
            let mut memo = LogMemo::default();
            let want = miscalibration(&p, &q, alpha);
            // Twice: the second call reads the remembered logarithms.
            for _ in 0..2 {
                let got = miscalibration_memo(&p, &q, alpha, &mut memo);
                proptest::prop_assert!(
                    got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                    "{} != {}", got, want
                );
            }
        }
    }
}
