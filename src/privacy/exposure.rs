//! The DP release of exposure shares: per item-group column, overall and per group of every
//! slice column, a noisy vector of the exposure each item group receives (plus the exposure of
//! items in no group), from which the shares and their intervals are computed.
//!
//! **Bounded contribution.** User u's list gives item group G the mass m_u(G) = Σ_{i ∈ L_u ∩ G}
//! w(r(u, i)) · fraction(i, G), and t_u = Σ_{i ∈ L_u} w(r(u, i)) in all. A list holds at most k
//! items, so t_u ≤ W = Σ_{r=1}^{k} w(r) ≤ k · w(1) = k (w(1) = 1 for every position weight).
//! Each user's vector (m_u(G₁), …, m_u(G_n), t_u − Σ_G m_u(G)) is divided by W and clipped to a
//! total of at most 1 (a list longer than k is scaled down): its L1 norm, hence its L2 norm, is at
//! most 1, so one vector query over the disjoint groups of a slice column has L2 sensitivity 1,
//! like every other query of the audit, and gets the same noise σ.

use std::collections::BTreeMap;

use super::mechanism::GaussianNoise;
use super::release::rounded_count;
use crate::data::Categorical;
use crate::metrics::exposure::UserGroupMass;
use crate::metrics::CorpusValues;
use crate::result::{CorpusResult, ExposureShares};
use crate::slices::SliceColumn;
use crate::stats::Estimate;

/// One item-group column's per-user exposure masses, to be released.
pub struct ExposureMasses {
    /// The item-group column (`provider`, `category`, …).
    pub column: String,
    /// Its groups' labels (from the items table: public).
    pub labels: Vec<String>,
    /// Each group's share of the catalog (public: no user changes it).
    pub catalog: Vec<f64>,
    /// Per user, the exposure mass of each group and in all.
    pub mass: UserGroupMass,
    /// W = Σ_{r=1}^{k} w(r): the most exposure one list of k items gives.
    pub bound: f64,
}

/// User u's contribution to the released sums: the masses of `groups` and the mass of items in
/// no group (`total` − their sum), divided by `bound` and scaled down, when their total exceeds
/// `bound`, to a total of 1. Every component is in [0, 1] and they sum to at most 1.
///
/// ```
/// use recaudit::privacy::exposure::contribution;
/// // W = 2: masses [0.5, 1.0] of a total 2.0 → [0.25, 0.5] and 0.25 in no group.
/// assert_eq!(contribution(&[0.5, 1.0], 2.0, 2.0), vec![0.25, 0.5, 0.25]);
/// // A list worth 4.0 (longer than k): scaled to a total of 1.
/// assert_eq!(contribution(&[3.0, 1.0], 4.0, 2.0), vec![0.75, 0.25, 0.0]);
/// ```
pub fn contribution(groups: &[f64], total: f64, bound: f64) -> Vec<f64> {
    let grouped: f64 = groups.iter().sum();
    let total = if total.is_finite() {
        total.max(grouped)
    } else {
        0.0
    };
    let scale = if total > bound {
        1.0 / total
    } else {
        1.0 / bound
    };
    let mut out: Vec<f64> = groups
        .iter()
        .map(|&m| (m.max(0.0) * scale).min(1.0))
        .collect();
    out.push(((total - grouped).max(0.0) * scale).min(1.0));
    out
}

/// A noisy exposure share with its variance (sampling plus noise).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoisyShare {
    /// s = ã_j / Σ ã, clamped to [0, 1].
    pub share: f64,
    /// s(1 − s) / b + σ² (1 − 2s + n s²) / b², b = Σ ã (see [`noisy_share`]).
    pub variance: f64,
}

/// The share of component `j` of the noisy sums `components` (every item group and the mass in
/// no group, each with noise of standard deviation `sigma`, in units of one full list); `None`
/// when their total is below one list.
///
/// Sampling: the share is a ratio of sums over users, s = Σ m_u / Σ t_u; its residuals r_u =
/// m_u − s t_u sum to 0 and r_u / t_u lies in [−s, 1 − s], so Σ r_u² ≤ Σ t_u (r_u / t_u)² ≤
/// s(1 − s) Σ t_u (Bhatia–Davis with weights t_u ≤ 1), and var ≈ Σ r_u² / b² ≤ s(1 − s) / b.
/// Noise (delta method): s̃ − s ≈ (e_j − s Σ_i e_i) / b, of variance σ² ((1 − s)² + (n − 1) s²) /
/// b² = σ² (1 − 2s + n s²) / b² for n components.
///
/// ```
/// use recaudit::privacy::exposure::noisy_share;
/// // [30, 60, 10], σ = 5: b = 100, s = 0.3, var = 0.21/100 + 25 (1 − 0.6 + 3 · 0.09)/100² =
/// // 0.0021 + 0.001675 = 0.003775.
/// let s = noisy_share(&[30.0, 60.0, 10.0], 0, 5.0).unwrap();
/// assert!((s.share - 0.3).abs() < 1e-12 && (s.variance - 0.003775).abs() < 1e-12);
/// assert_eq!(noisy_share(&[0.4, -0.1], 0, 5.0), None);
/// ```
pub fn noisy_share(components: &[f64], j: usize, sigma: f64) -> Option<NoisyShare> {
    let b: f64 = components.iter().sum();
    let a = *components.get(j)?;
    if b.is_nan() || b < 1.0 {
        return None;
    }
    let s = (a / b).clamp(0.0, 1.0);
    let n = components.len() as f64;
    Some(NoisyShare {
        share: s,
        variance: s * (1.0 - s) / b + sigma * sigma * (1.0 - 2.0 * s + n * s * s) / (b * b),
    })
}

/// Per slice group (`codes[u]`, or [`Categorical::MISSING`]), the sums of the users'
/// [`contribution`]s: `[group][component]`.
fn contribution_sums(m: &ExposureMasses, codes: &[u32], n_groups: usize) -> Vec<Vec<f64>> {
    let width = m.labels.len() + 1;
    let mut sums = vec![vec![0.0; width]; n_groups];
    for (u, &g) in codes.iter().enumerate() {
        if g == Categorical::MISSING {
            continue;
        }
        let c = contribution(&m.mass.user(u), m.mass.total[u], m.bound);
        for (s, x) in sums[g as usize].iter_mut().zip(c) {
            *s += x;
        }
    }
    sums
}

/// Releases the exposure shares of every column of `masses`: one noisy vector overall and one per
/// slice column (over its disjoint groups), drawn from `noise` (standard deviation `sigma`).
/// Shares are published overall and for the published groups of each slice column, with normal
/// intervals at `z` standard deviations; `users` and `group_sizes` are the noisy sizes (the `n` of
/// each estimate). Returns the corpus part of the result: `exposure_share_<col>`,
/// `target_share_catalog_<col>` and `disparate_exposure_ratio_catalog_<col>` overall and per
/// published group, and the intervals.
pub fn release_exposure(
    masses: &[ExposureMasses],
    slices: &[SliceColumn],
    (users, group_sizes): (f64, &[Vec<f64>]),
    noise: &mut GaussianNoise,
    sigma: f64,
    z: f64,
) -> CorpusResult {
    let mut corpus = CorpusResult::default();
    for col in slices {
        let groups = col
            .shown()
            .map(|g| (col.groups[g].label.clone(), CorpusValues::default()))
            .collect();
        corpus.slices.insert(col.name.clone(), groups);
    }
    let estimate = |c: &[f64], j: usize, n: f64| -> Option<Estimate> {
        noisy_share(c, j, sigma).map(|s| {
            let sd = s.variance.sqrt();
            Estimate {
                value: Some(s.share),
                ci_low: Some((s.share - z * sd).max(0.0)),
                ci_high: Some((s.share + z * sd).min(1.0)),
                n: rounded_count(n),
            }
        })
    };
    // The values of one set of users: shares, catalog targets and their ratios.
    let values = |m: &ExposureMasses, est: &[Option<Estimate>], cv: &mut CorpusValues| {
        let by_label = |f: &dyn Fn(usize) -> Option<f64>| -> BTreeMap<String, Option<f64>> {
            m.labels
                .iter()
                .enumerate()
                .map(|(j, l)| (l.clone(), f(j)))
                .collect()
        };
        let share = |j: usize| est[j].and_then(|e| e.value);
        cv.shares
            .insert(format!("exposure_share_{}", m.column), by_label(&share));
        cv.shares.insert(
            format!("target_share_catalog_{}", m.column),
            by_label(&|j| Some(m.catalog[j])),
        );
        cv.shares.insert(
            format!("disparate_exposure_ratio_catalog_{}", m.column),
            by_label(&|j| {
                share(j)
                    .filter(|_| m.catalog[j] > 0.0)
                    .map(|s| s / m.catalog[j])
            }),
        );
    };
    for m in masses {
        let all = contribution_sums(m, &vec![0; m.mass.total.len()], 1);
        let noisy: Vec<f64> = all[0].iter().map(|&x| noise.release(x)).collect();
        let est: Vec<Option<Estimate>> = (0..m.labels.len())
            .map(|j| estimate(&noisy, j, users))
            .collect();
        values(m, &est, &mut corpus.overall);
        let mut shares = ExposureShares {
            overall: m
                .labels
                .iter()
                .zip(&est)
                .filter_map(|(l, e)| e.map(|e| (l.clone(), e)))
                .collect(),
            slices: BTreeMap::new(),
        };
        for (col, sizes) in slices.iter().zip(group_sizes) {
            let sums = contribution_sums(m, &col.codes, col.groups.len());
            let noisy: Vec<Vec<f64>> = sums
                .iter()
                .map(|g| g.iter().map(|&x| noise.release(x)).collect())
                .collect();
            let mut per_group = BTreeMap::new();
            for g in col.shown() {
                let est: Vec<Option<Estimate>> = (0..m.labels.len())
                    .map(|j| estimate(&noisy[g], j, sizes[g]))
                    .collect();
                let label = &col.groups[g].label;
                let cv = corpus
                    .slices
                    .get_mut(&col.name)
                    .and_then(|c| c.get_mut(label))
                    .expect("every shown group");
                values(m, &est, cv);
                per_group.insert(
                    label.clone(),
                    m.labels
                        .iter()
                        .zip(&est)
                        .filter_map(|(l, e)| e.map(|e| (l.clone(), e)))
                        .collect(),
                );
            }
            shares.slices.insert(col.name.clone(), per_group);
        }
        corpus
            .exposure_share_intervals
            .insert(m.column.clone(), shares);
    }
    corpus
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_contribution_is_bounded_by_one_list(
            masses in proptest::collection::vec(0.0f64..5.0, 1..6),
            extra in 0.0f64..3.0,
            bound in 0.5f64..10.0,
        ) {
            let total = masses.iter().sum::<f64>() + extra;
            let c = contribution(&masses, total, bound);
            prop_assert_eq!(c.len(), masses.len() + 1);
            prop_assert!(c.iter().all(|&x| (0.0..=1.0).contains(&x)));
            // L1 (hence L2) norm at most 1: one user moves one query by at most 1.
            prop_assert!(c.iter().sum::<f64>() <= 1.0 + 1e-12);
            // Within the bound, nothing is clipped: the masses are divided by W.
            if total <= bound {
                for (x, m) in c.iter().zip(&masses) {
                    prop_assert!((x - m / bound).abs() < 1e-12);
                }
            }
        }
    }

    #[test]
    fn the_share_interval_covers_the_noise_at_its_stated_rate() {
        // Fixed sums [300, 600, 100] (the data): noise only, σ = 20. The stated noise variance
        // is σ² (1 − 2s + 3s²)/b² at s = 0.3, b = 1000: 400 · 0.67 / 10⁶ = 2.68e-4 (sd 0.01637).
        let (sums, sigma) = ([300.0, 600.0, 100.0], 20.0);
        let stated = sigma * sigma * (1.0 - 0.6 + 3.0 * 0.09) / 1e6;
        let mut noise = GaussianNoise::new(sigma, 11);
        let n = 20_000;
        let draws: Vec<f64> = (0..n)
            .map(|_| {
                let noisy: Vec<f64> = sums.iter().map(|&x| noise.release(x)).collect();
                noisy_share(&noisy, 0, sigma).unwrap().share
            })
            .collect();
        let mean = draws.iter().sum::<f64>() / n as f64;
        let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        // The sample variance has relative standard error √(2/n) = 1%; allow 5%.
        assert!((var / stated - 1.0).abs() < 0.05, "{var} vs {stated}");
        assert!((mean - 0.3).abs() < 5.0 * stated.sqrt() / (n as f64).sqrt());
    }
}
