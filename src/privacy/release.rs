//! The DP release of the per-user metrics: per metric, overall and per group of every slice
//! column, a noisy count of the users with a defined value and a noisy sum of their values
//! clipped to the metric's range and scaled to [0, 1]; means, differences, ratios and their
//! intervals are computed from those (post-processing, no further privacy cost).

use std::collections::BTreeMap;

use statrs::distribution::{ContinuousCDF, Normal};

use super::accounting::{label_threshold, Budget};
use super::bounds::clip_range;
use super::exposure::{release_exposure, ExposureMasses};
use super::mechanism::GaussianNoise;
use super::{BudgetShare, PrivacyConfig, PrivacyReport};
use crate::data::Categorical;
use crate::metrics::{Better, UserMetric};
use crate::result::{CorpusResult, DisparityResult, MetricResult, SliceMetric};
use crate::slices::reference::{metric_reference, ReferenceRule};
use crate::slices::selection::{SkippedColumn, MAX_DISTINCT_VALUES};
use crate::slices::SliceColumn;
use crate::stats::{
    benjamini_hochberg, Estimate, GroupComparison, Quantiles, StatsConfig, TestKind,
};

/// A noisy mean: the estimate on the metric's scale with its variance (sampling plus noise).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoisyMean {
    /// lo + (hi − lo) · ȳ, ȳ = noisy sum / noisy count clamped to [0, 1].
    pub mean: f64,
    /// (hi − lo)² · (ȳ(1 − ȳ) / ñ + σ² (1 + ȳ²) / ñ²).
    pub variance: f64,
    /// The noisy count ñ.
    pub count: f64,
}

/// The mean of values clipped to [lo, hi] from the noisy count `count` and the noisy sum `sum`
/// of the values scaled to [0, 1], both with noise of standard deviation `sigma`; `None` when
/// the noisy count is below 1.
///
/// The variance adds the sampling variance, bounded by ȳ(1 − ȳ) / ñ (Bhatia–Davis: a variable in
/// [0, 1] with mean ȳ has variance at most ȳ(1 − ȳ)), and the noise variance of the ratio by the
/// delta method, (σ² + ȳ² σ²) / ñ².
///
/// ```
/// use recaudit::privacy::release::noisy_mean;
/// // Sum 30 of 100 values in [0, 2] scaled to [0, 1], σ = 10: ȳ = 0.3, mean = 0.6,
/// // variance = 4 · (0.21 / 100 + 100 · 1.09 / 10000) = 4 · 0.0130 = 0.0520.
/// let m = noisy_mean(30.0, 100.0, 10.0, 0.0, 2.0).unwrap();
/// assert!((m.mean - 0.6).abs() < 1e-12 && (m.variance - 0.052).abs() < 1e-12);
/// ```
pub fn noisy_mean(sum: f64, count: f64, sigma: f64, lo: f64, hi: f64) -> Option<NoisyMean> {
    if count.is_nan() || count < 1.0 {
        return None;
    }
    let y = (sum / count).clamp(0.0, 1.0);
    let w = hi - lo;
    let sampling = y * (1.0 - y) / count;
    let noise = sigma * sigma * (1.0 + y * y) / (count * count);
    Some(NoisyMean {
        mean: lo + w * y,
        variance: w * w * (sampling + noise),
        count,
    })
}

/// The comparison of group mean `g` with reference mean `r` (independent noise and disjoint
/// users): the difference with variance var_g + var_r, the ratio with the delta-method variance
/// var_g / r² + g² var_r / r⁴ (undefined when r ≤ 0), and the two-sided p-value of the normal
/// test of the difference.
///
/// ```
/// use recaudit::privacy::release::{compare, NoisyMean};
/// let g = NoisyMean { mean: 0.2, variance: 0.0004, count: 100.0 };
/// let r = NoisyMean { mean: 0.4, variance: 0.0005, count: 100.0 };
/// let c = compare(&g, &r);
/// // d = −0.2, sd = 0.03, z = 6.67; ratio 0.5, var = 0.0004/0.16 + 0.04 · 0.0005/0.0256.
/// assert!((c.difference - -0.2).abs() < 1e-12 && (c.difference_sd - 0.03).abs() < 1e-12);
/// assert!((c.ratio.unwrap() - 0.5).abs() < 1e-12);
/// assert!((c.ratio_sd.unwrap() - (0.0025f64 + 0.00078125).sqrt()).abs() < 1e-12);
/// assert!(c.p_value < 1e-9);
/// ```
pub fn compare(g: &NoisyMean, r: &NoisyMean) -> Comparison {
    let difference = g.mean - r.mean;
    let difference_sd = (g.variance + r.variance).sqrt();
    let (ratio, ratio_sd) = if r.mean > 0.0 {
        let v = g.variance / r.mean.powi(2) + g.mean.powi(2) * r.variance / r.mean.powi(4);
        (Some(g.mean / r.mean), Some(v.sqrt()))
    } else {
        (None, None)
    };
    let p_value = if difference_sd > 0.0 {
        2.0 * crate::stats::normal::normal_sf((difference / difference_sd).abs())
    } else {
        1.0
    };
    Comparison {
        difference,
        difference_sd,
        ratio,
        ratio_sd,
        p_value,
    }
}

/// A group compared with the reference: see [`compare`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    /// θ_g − θ_ref.
    pub difference: f64,
    /// Its standard deviation (sampling and noise).
    pub difference_sd: f64,
    /// θ_g / θ_ref, `None` when θ_ref ≤ 0.
    pub ratio: Option<f64>,
    /// Its delta-method standard deviation.
    pub ratio_sd: Option<f64>,
    /// Two-sided normal p-value of the difference.
    pub p_value: f64,
}

/// The DP release of an audit's per-user metrics and exposure shares.
pub struct Release {
    /// Per published metric: overall and per slice column, as in the exact audit.
    pub metrics: BTreeMap<String, MetricResult>,
    /// The noisy number of audited users.
    pub users: f64,
    /// Per audited slice column, per group: the noisy number of users (decides suppression).
    pub group_sizes: Vec<Vec<f64>>,
    /// The exposure shares ([`release_exposure`]); empty when none is published.
    pub corpus: CorpusResult,
    /// The candidate slice columns not audited, and why (from their noisy sizes).
    pub skipped: Vec<SkippedColumn>,
    /// The `privacy` block.
    pub report: PrivacyReport,
}

/// What a DP audit asks to release.
pub struct ReleaseInput<'a> {
    /// The per-user metrics computed (those without a range, or not chosen, are withheld).
    pub metrics: &'a [UserMetric],
    /// The exposure masses of the item-group columns whose shares are published.
    pub exposure: &'a [ExposureMasses],
    /// The slice columns were named (`--slices`): every one is audited. Otherwise a users-table
    /// column is audited only when 2 to [`MAX_DISTINCT_VALUES`] of its groups reach the
    /// publication threshold by their noisy sizes (intersections are always named).
    pub explicit_slices: bool,
}

/// Noisy count and sum of one metric per group: `codes[u]` is user u's group (or
/// [`Categorical::MISSING`]), `y[u]` the user's scaled value (NaN when undefined).
fn group_sums(y: &[f64], codes: &[u32], n_groups: usize) -> (Vec<f64>, Vec<f64>) {
    let (mut sums, mut counts) = (vec![0.0; n_groups], vec![0.0; n_groups]);
    for (&v, &g) in y.iter().zip(codes) {
        if g != Categorical::MISSING && !v.is_nan() {
            sums[g as usize] += v;
            counts[g as usize] += 1.0;
        }
    }
    (sums, counts)
}

/// A noisy mean as an [`Estimate`] with its normal interval at `z` standard deviations; `n` is
/// the rounded noisy count.
/// The interval is cut to the metric's range [lo, hi] (post-processing: it can only shorten it).
fn estimate(m: &NoisyMean, z: f64, (lo, hi): (f64, f64)) -> Estimate {
    let sd = m.variance.sqrt();
    Estimate {
        value: Some(m.mean),
        ci_low: Some((m.mean - z * sd).max(lo)),
        ci_high: Some((m.mean + z * sd).min(hi)),
        n: rounded_count(m.count),
    }
}

/// A noisy count rounded to a whole number of users (0 when negative).
pub fn rounded_count(x: f64) -> usize {
    x.round().max(0.0) as usize
}

/// The DP release of `input` over the candidate slice columns `slices` (the columns not audited
/// are removed); marks as suppressed every group whose noisy size is below the publication
/// threshold. `epsilon` is the audit's ε (`privacy.epsilon`).
///
/// The budget is fixed before any noise is drawn, so it reserves the queries of every candidate
/// column: a column skipped for its noisy sizes leaves its metric and exposure queries unasked
/// (listed as unspent in `privacy.budget`).
pub fn release(
    input: &ReleaseInput<'_>,
    slices: &mut Vec<SliceColumn>,
    privacy: &PrivacyConfig,
    epsilon: f64,
    k: usize,
    stats_cfg: &StatsConfig,
    min_size: usize,
) -> Release {
    let metrics = input.metrics;
    let n_users = metrics
        .first()
        .map(|m| m.values.len())
        .or_else(|| input.exposure.first().map(|e| e.mass.total.len()))
        .unwrap_or(0);
    let mut withheld = BTreeMap::new();
    let mut published: Vec<(&UserMetric, f64, f64)> = Vec::new();
    for m in metrics {
        let selected = privacy
            .metrics
            .as_ref()
            .is_none_or(|keys| keys.iter().any(|key| key == m.name()));
        match (selected, clip_range(m.definition, k)) {
            (false, _) => {
                withheld.insert(
                    m.name().to_string(),
                    "not among the metrics chosen for DP publication (privacy.metrics)".to_string(),
                );
            }
            (true, Err(why)) => {
                withheld.insert(m.name().to_string(), why.to_string());
            }
            (true, Ok((lo, hi))) => published.push((m, lo, hi)),
        }
    }
    let candidates = slices.len();
    let (n_metrics, n_exposure) = (published.len(), input.exposure.len());
    let per_column = 2 * n_metrics + n_exposure;
    let queries = 1 + candidates + per_column * (1 + candidates);
    // δ: half for the labels of groups found in the data (split over the columns), half for ρ.
    let delta_labels = if candidates > 0 {
        privacy.delta / 2.0
    } else {
        0.0
    };
    let budget = Budget::new(epsilon, privacy.delta - delta_labels, queries);
    let sigma = budget.sigma();
    let threshold = if candidates > 0 {
        label_threshold(sigma, delta_labels / candidates as f64).max(min_size as f64)
    } else {
        min_size as f64
    };
    let mut noise = GaussianNoise::new(sigma, stats_cfg.seed);
    let z = Normal::new(0.0, 1.0)
        .expect("standard normal")
        .inverse_cdf(1.0 - (1.0 - stats_cfg.confidence) / 2.0);

    // Group sizes: one query overall and one per candidate column (its groups are disjoint).
    let users = noise.release(n_users as f64);
    let mut group_sizes = Vec::with_capacity(candidates);
    let candidate_names: Vec<String> = slices.iter().map(|c| c.name.clone()).collect();
    let mut skipped = Vec::new();
    let mut kept = Vec::with_capacity(candidates);
    for mut col in std::mem::take(slices) {
        let sizes: Vec<f64> = col
            .groups
            .iter()
            .map(|g| noise.release(g.users.len() as f64))
            .collect();
        for (g, &size) in col.groups.iter_mut().zip(&sizes) {
            g.suppressed = size < threshold;
            g.withheld = false;
        }
        if col
            .chosen_reference
            .is_some_and(|r| col.groups[r].suppressed)
        {
            col.chosen_reference = None;
        }
        let passing = col.shown().count();
        let named = input.explicit_slices || col.columns.len() > 1;
        let reason = if named {
            None
        } else if passing < 2 {
            Some(format!(
                "fewer than two groups with a noisy size of at least {} users (the DP publication threshold): nothing to compare",
                threshold.ceil()
            ))
        } else if passing > MAX_DISTINCT_VALUES {
            Some(format!(
                "more than {MAX_DISTINCT_VALUES} groups with a noisy size of at least {} users, more than a demographic column has; name it in --slices to audit it",
                threshold.ceil()
            ))
        } else {
            None
        };
        match reason {
            Some(reason) => skipped.push(SkippedColumn {
                column: col.name.clone(),
                reason,
            }),
            None => {
                kept.push(col);
                group_sizes.push(sizes);
            }
        }
    }
    *slices = kept;
    let columns = slices.len();

    let mut out = BTreeMap::new();
    let mut clipping = BTreeMap::new();
    for &(m, lo, hi) in &published {
        clipping.insert(m.name().to_string(), [lo, hi]);
        let y: Vec<f64> = m
            .values
            .iter()
            .map(|&x| {
                if x.is_nan() {
                    f64::NAN
                } else {
                    (x.clamp(lo, hi) - lo) / (hi - lo)
                }
            })
            .collect();
        let (s, c) = group_sums(&y, &vec![0; y.len()], 1);
        let overall_count = noise.release(c[0]);
        let overall_sum = noise.release(s[0]);
        let overall = noisy_mean(overall_sum, overall_count, sigma, lo, hi)
            .map(|nm| estimate(&nm, z, (lo, hi)))
            .unwrap_or_default();
        let mut result = MetricResult {
            family: m.definition.family.name().to_string(),
            better: m.better(),
            overall,
            quantiles: Quantiles::default(),
            distribution: None,
            n_undefined: rounded_count(users - overall_count),
            slices: BTreeMap::new(),
        };
        for col in slices.iter() {
            let (sums, counts) = group_sums(&y, &col.codes, col.groups.len());
            let noisy_counts: Vec<f64> = counts.iter().map(|&c| noise.release(c)).collect();
            let noisy_sums: Vec<f64> = sums.iter().map(|&s| noise.release(s)).collect();
            let means: Vec<Option<NoisyMean>> = (0..col.groups.len())
                .map(|g| {
                    if col.groups[g].suppressed || noisy_counts[g] < min_size as f64 {
                        None
                    } else {
                        noisy_mean(noisy_sums[g], noisy_counts[g], sigma, lo, hi)
                    }
                })
                .collect();
            result.slices.insert(
                col.name.clone(),
                slice_metric(m, col, &means, z, (lo, hi), stats_cfg),
            );
        }
        out.insert(m.name().to_string(), result);
    }
    let corpus = release_exposure(
        input.exposure,
        slices,
        (users, &group_sizes),
        &mut noise,
        sigma,
        z,
    );

    let rho_q = budget.rho_per_query();
    let share = |part: &str, covers: Vec<String>, queries: usize| BudgetShare {
        part: part.into(),
        covers,
        queries,
        rho: queries as f64 * rho_q,
    };
    let metric_names: Vec<String> = published.iter().map(|(m, _, _)| m.name().into()).collect();
    let exposure_names: Vec<String> = input.exposure.iter().map(|e| e.column.clone()).collect();
    let unspent: Vec<String> = skipped.iter().map(|s| s.column.clone()).collect();
    let mut budget_lines = vec![
        share("users", vec!["audited users".into()], 1),
        share("group sizes", candidate_names, candidates),
        share(
            "metric counts and sums",
            metric_names.clone(),
            2 * n_metrics * (1 + columns),
        ),
        share(
            "exposure",
            exposure_names.clone(),
            n_exposure * (1 + columns),
        ),
    ];
    if !unspent.is_empty() {
        budget_lines.push(share(
            "unspent (reserved for skipped slice columns)",
            unspent,
            per_column * (candidates - columns),
        ));
    }
    let report = PrivacyReport {
        epsilon,
        delta: privacy.delta,
        rho: budget.rho,
        unit: "one user: all their rows in every table; neighbouring audits add or remove one user".into(),
        split: "ρ split equally over the queries; each query is one noisy count, sum or vector of exposure, overall or over the disjoint groups of one slice column (parallel composition), each of L2 sensitivity 1 after clipping and scaling; δ split in half between the conversion of ρ and the publication of group labels found in the data".into(),
        queries,
        rho_per_query: rho_q,
        noise_sd: sigma,
        budget: budget_lines,
        delta_labels,
        publication_threshold: threshold,
        mechanism: "Gaussian mechanism (rand_distr::Normal on a ChaCha20 stream seeded by --seed)".into(),
        published: vec![
            "1 noisy count of audited users".into(),
            format!(
                "{candidates} noisy vectors of group sizes (one per candidate slice column; {columns} audited)"
            ),
            format!(
                "{} noisy counts of users with a defined value and {} noisy clipped sums ({n_metrics} metrics, overall and per audited slice column)",
                n_metrics * (1 + columns),
                n_metrics * (1 + columns),
            ),
            format!(
                "{} noisy vectors of exposure per item group ({n_exposure} item-group columns: {}; overall and per audited slice column; each list's exposure bounded by that of k = {k} slots)",
                n_exposure * (1 + columns),
                if exposure_names.is_empty() { "none".to_string() } else { exposure_names.join(", ") },
            ),
        ],
        clipping,
        withheld,
        intervals: format!(
            "normal intervals at level {}: sampling variance bounded by ȳ(1 − ȳ)/ñ (shares: s(1 − s)/b) plus the noise variance of the estimate (delta method for ratios and shares); tests are normal tests of the difference with the same variance, Benjamini–Hochberg adjusted",
            stats_cfg.confidence
        ),
        seed: "The noise is seeded by --seed so that an audit can be reproduced; a production run must use a fresh random seed for every publication, never a seed used before.".into(),
    };
    Release {
        metrics: out,
        users,
        group_sizes,
        corpus,
        skipped,
        report,
    }
}

/// One metric's groups of one slice column: noisy means, and their comparison with the
/// reference (the chosen group, or the best-off published group by noisy mean).
fn slice_metric(
    m: &UserMetric,
    col: &SliceColumn,
    means: &[Option<NoisyMean>],
    z: f64,
    range: (f64, f64),
    stats_cfg: &StatsConfig,
) -> SliceMetric {
    let shown: Vec<bool> = means.iter().map(Option::is_some).collect();
    let groups_withheld = col.shown().filter(|&g| !shown[g]).count();
    let mut groups = BTreeMap::new();
    for (g, nm) in means.iter().enumerate() {
        if let Some(nm) = nm {
            groups.insert(col.groups[g].label.clone(), estimate(nm, z, range));
        }
    }
    // The best-off group is chosen by the bound of its interval on the worse side: choosing by
    // noisy means would favour the small groups whose noise happened to be favourable.
    let cautious: Vec<Option<f64>> = means
        .iter()
        .map(|nm| {
            nm.map(|x| match m.better() {
                Better::Higher => x.mean - z * x.variance.sqrt(),
                Better::Lower => x.mean + z * x.variance.sqrt(),
                Better::Neutral => x.mean,
            })
        })
        .collect();
    let disparity = metric_reference(col, &shown, &cautious, m.better())
        .map(|(r, rule)| disparity(m, col, means, r, rule, (z, range), stats_cfg));
    SliceMetric {
        groups,
        quantiles: BTreeMap::new(),
        distribution: None,
        disparity,
        groups_withheld,
    }
}

/// The comparison of every published group with reference `r`: normal intervals at `z`
/// standard deviations, for a metric clipped to [lo, hi].
fn disparity(
    m: &UserMetric,
    col: &SliceColumn,
    means: &[Option<NoisyMean>],
    r: usize,
    rule: ReferenceRule,
    (z, (lo, hi)): (f64, (f64, f64)),
    stats_cfg: &StatsConfig,
) -> DisparityResult {
    let reference = means[r].expect("reference is published");
    // Intervals are cut to the values the statistic can take: a difference lies in
    // [lo − hi, hi − lo] and a ratio of means of a non-negative metric is non-negative.
    let interval = |value: f64, sd: f64, n: usize, (min, max): (f64, f64)| Estimate {
        value: Some(value),
        ci_low: Some((value - z * sd).max(min)),
        ci_high: Some((value + z * sd).min(max)),
        n,
    };
    let difference_range = (lo - hi, hi - lo);
    let ratio_range = (
        if lo >= 0.0 { 0.0 } else { f64::NEG_INFINITY },
        f64::INFINITY,
    );
    let compared: Vec<(usize, NoisyMean)> = means
        .iter()
        .enumerate()
        .filter_map(|(g, m)| m.map(|m| (g, m)))
        .collect();
    let tested: Vec<(usize, Comparison)> = compared
        .iter()
        .filter(|(g, _)| *g != r)
        .map(|(g, nm)| (*g, compare(nm, &reference)))
        .collect();
    let adjusted = benjamini_hochberg(&tested.iter().map(|(_, c)| c.p_value).collect::<Vec<_>>());
    let mut groups = BTreeMap::new();
    for &(g, nm) in &compared {
        let n = rounded_count(nm.count);
        let comparison = if g == r {
            let ratio = (nm.mean > 0.0).then_some(1.0);
            let higher_is_better = m.better() == Better::Higher;
            GroupComparison {
                group: g,
                estimate: estimate(&nm, z, (lo, hi)),
                difference: interval(0.0, 0.0, n, difference_range),
                ratio: ratio.map_or(Estimate::point(None, n), |x| {
                    interval(x, 0.0, n, ratio_range)
                }),
                p_value: None,
                p_adjusted: None,
                test: None,
                significant: false,
                four_fifths: higher_is_better
                    .then_some(ratio.map(|x| x < stats_cfg.four_fifths))
                    .flatten(),
            }
        } else {
            let i = tested.iter().position(|(t, _)| *t == g).expect("tested");
            let c = tested[i].1;
            let difference = interval(c.difference, c.difference_sd, n, difference_range);
            let ratio = match (c.ratio, c.ratio_sd) {
                (Some(x), Some(sd)) => interval(x, sd, n, ratio_range),
                _ => Estimate::point(None, n),
            };
            let p_adjusted = adjusted[i];
            // For θ_ref > 0, θ_g / θ_ref = 1 exactly when θ_g − θ_ref = 0: the difference's
            // test decides (the delta-method ratio interval is too wide near θ_ref = 0 to add
            // anything but noise).
            let significant = p_adjusted < stats_cfg.alpha && difference.excludes(0.0);
            GroupComparison {
                group: g,
                estimate: estimate(&nm, z, (lo, hi)),
                difference,
                four_fifths: (m.better() == Better::Higher)
                    .then_some(ratio.value.map(|x| x < stats_cfg.four_fifths))
                    .flatten(),
                ratio,
                p_value: Some(c.p_value),
                p_adjusted: Some(p_adjusted),
                test: Some(TestKind::DpNormal),
                significant,
            }
        };
        groups.insert(col.groups[g].label.clone(), comparison);
    }
    let values: Vec<f64> = compared.iter().map(|(_, m)| m.mean).collect();
    let n_all: usize = compared.iter().map(|(_, m)| rounded_count(m.count)).sum();
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    DisparityResult {
        reference: col.groups[r].label.clone(),
        reference_rule: rule,
        groups,
        spread: Estimate::point(Some(hi - lo), n_all),
        min_max_ratio: Estimate::point((hi > 0.0).then(|| lo / hi), n_all),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::exposure::UserGroupMass;
    use crate::metrics::registry;
    use crate::privacy::accounting::epsilon_of_rho;
    use crate::slices::{build_slices, SliceConfig};

    /// 400 users: `gender` in two groups of 200, `customer` unique per user, `rare` with 398 and
    /// 2 users.
    fn columns() -> Vec<Categorical> {
        let col = |name: &str, n_labels: usize, code: &dyn Fn(u32) -> u32| Categorical {
            name: name.into(),
            labels: (0..n_labels).map(|i| format!("v{i}")).collect(),
            codes: (0..400).map(code).collect(),
        };
        vec![
            col("gender", 2, &|u| u % 2),
            col("customer", 400, &|u| u),
            col("rare", 2, &|u| u32::from(u >= 398)),
        ]
    }

    /// Every user's list gives provider A a mass of 1.0 and B 3.0 (W = 4: uniform weight, k = 4),
    /// except the odd users, whose list gives A 3.0 and B 1.0.
    fn exposure() -> ExposureMasses {
        let a: Vec<f64> = (0..400)
            .map(|u| if u % 2 == 0 { 1.0 } else { 3.0 })
            .collect();
        let b: Vec<f64> = a.iter().map(|x| 4.0 - x).collect();
        ExposureMasses {
            column: "provider".into(),
            labels: vec!["A".into(), "B".into()],
            catalog: vec![0.5, 0.5],
            mass: UserGroupMass {
                n_groups: 2,
                mass: vec![a, b],
                total: vec![4.0; 400],
            },
            bound: 4.0,
        }
    }

    fn run(epsilon: f64) -> (Release, Vec<SliceColumn>) {
        let cols = columns();
        let refs: Vec<&Categorical> = cols.iter().collect();
        let mut slices = build_slices(&refs, &SliceConfig::default()).unwrap();
        let metrics = vec![UserMetric::new(&registry::NDCG, vec![0.5; 400])];
        let exposure = vec![exposure()];
        let input = ReleaseInput {
            metrics: &metrics,
            exposure: &exposure,
            explicit_slices: false,
        };
        let privacy = PrivacyConfig {
            epsilon: Some(epsilon),
            ..PrivacyConfig::default()
        };
        let r = release(
            &input,
            &mut slices,
            &privacy,
            epsilon,
            10,
            &StatsConfig::default(),
            20,
        );
        (r, slices)
    }

    #[test]
    fn columns_are_chosen_by_noisy_sizes_and_the_budget_sums_to_rho() {
        let (r, slices) = run(10.0);
        // Queries: 1 (users) + 3 (sizes of the 3 candidates) + (2 × 1 metric + 1 exposure column)
        // × (1 + 3) = 16. ρ at ε = 10, δ = 5e-9 is 1.048139; σ = √(16 / 2.096278) = 2.76272.
        let p = &r.report;
        assert_eq!(p.queries, 16);
        assert!((p.noise_sd - 2.762_72).abs() < 1e-4, "{}", p.noise_sd);
        // T = max(20, 1 + σ Φ⁻¹(1 − 5e-9 / 3)) = max(20, 1 + 2.76272 · 5.91428) = max(20, 17.34).
        assert_eq!(p.publication_threshold, 20.0);
        // Only gender has two groups over 20; `customer`'s groups of one user and `rare`'s group
        // of 2 do not pass, and the reasons name the threshold, not a count.
        let names: Vec<&str> = slices.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["gender"]);
        let skipped: Vec<&str> = r.skipped.iter().map(|s| s.column.as_str()).collect();
        assert_eq!(skipped, ["customer", "rare"]);
        for s in &r.skipped {
            assert!(s
                .reason
                .starts_with("fewer than two groups with a noisy size of at least 20 users"));
            assert!(!s.reason.contains("400") && !s.reason.contains("398"));
        }
        // Parts: users 1, sizes 3, metric 2 × (1 + 1) = 4, exposure 1 × 2 = 2, unspent 3 × 2 = 6.
        let parts: Vec<(&str, usize)> = p
            .budget
            .iter()
            .map(|b| (b.part.as_str(), b.queries))
            .collect();
        assert_eq!(
            parts,
            [
                ("users", 1),
                ("group sizes", 3),
                ("metric counts and sums", 4),
                ("exposure", 2),
                ("unspent (reserved for skipped slice columns)", 6)
            ]
        );
        let spent: f64 = p.budget.iter().map(|b| b.rho).sum();
        assert!((spent - p.rho).abs() < 1e-12);
        assert!((epsilon_of_rho(spent, p.delta - p.delta_labels) - 10.0).abs() < 1e-9);
        assert_eq!(r.group_sizes.len(), 1);
    }

    #[test]
    fn exposure_shares_come_from_noisy_sums_near_the_exact_ones() {
        let (r, _) = run(10.0);
        let shares = &r.corpus.exposure_share_intervals["provider"];
        // Exact: overall A = (200 · 1 + 200 · 3) / 1600 = 0.5; even users (v0) 0.25, odd 0.75.
        // In units of one list (W = 4): sums 200 and 200 of 400 lists overall. With σ = 2.76 the
        // share's sd is about √(0.25/400 + 7.63 · 0.5 / 400²) = 0.0251.
        let a = shares.overall["A"];
        assert!((a.value.unwrap() - 0.5).abs() < 0.02, "{a:?}");
        assert!(a.ci_low.unwrap() < 0.5 && 0.5 < a.ci_high.unwrap());
        let even = shares.slices["gender"]["v0"]["A"];
        assert!((even.value.unwrap() - 0.25).abs() < 0.03, "{even:?}");
        // The interval adds the noise to the sampling bound s(1 − s)/b: at s = 0.25, b ≈ 200
        // lists, the sampling part alone spans 2 · 1.96 √(0.1875/200) = 0.1200, and with the
        // noise, σ²(1 − 0.5 + 3 · 0.0625)/200² = 1.312e-4, 2 · 1.96 √(1.0687e-3) = 0.1281.
        let width = even.ci_high.unwrap() - even.ci_low.unwrap();
        assert!(width > 0.1200 && width < 0.135, "{width}");
        // n is the group's rounded noisy size, the catalog share is published as is, and the
        // ratio to it is the share over 0.5.
        assert_eq!(even.n, rounded_count(r.group_sizes[0][0]));
        let cv = &r.corpus.overall;
        assert_eq!(cv.shares["target_share_catalog_provider"]["A"], Some(0.5));
        let ratio = cv.shares["disparate_exposure_ratio_catalog_provider"]["A"].unwrap();
        assert!((ratio - a.value.unwrap() / 0.5).abs() < 1e-12);
    }
}
