//! Disparity between the groups of one slice column (docs/statistics.md), with intervals and p-values.
//!
//! # Formulas
//! For a statistic θ (a group mean m_g of a per-user metric, or any [`Statistic`]) and the
//! reference group r:
//! - difference θ_g − θ_r; ratio θ_g / θ_r (undefined when θ_r = 0: docs/metrics.md, never ±inf);
//! - spread max_g θ_g − min_g θ_g and min/max ratio min_g θ_g / max_g θ_g (Fairlearn's
//!   `difference` and `ratio`; the ratio is undefined when the largest is ≤ 0 or the smallest < 0),
//!   both over the eligible groups whose θ_g is defined;
//! - four-fifths flag: ratio < 0.8 (US EEOC Uniform Guidelines 1978, §4D; as used by Aequitas),
//!   `None` when the ratio is undefined. It is meant for metrics where higher is better and values
//!   are non-negative; the caller decides where it is shown.
//!
//! Intervals are percentile bootstrap intervals from the same stratified replicates for every
//! group (see [`bootstrap`](super::bootstrap)): replicate b of the difference is θ*_gb − θ*_rb,
//! of the ratio θ*_gb / θ*_rb, of the spread max_g θ*_gb − min_g θ*_gb. The bootstrap interval of the
//! spread is biased upwards when the true gaps are small (the maximum of noisy means); read it as
//! descriptive.
//!
//! # Significance
//! p-values come from [`significance`](super::significance) (permutation test for small groups,
//! Welch or bootstrap z for large ones), adjusted by Benjamini–Hochberg across the non-reference
//! groups of one column and statistic. A gap is **significant** when all three hold: the adjusted
//! p-value is below `alpha`, the difference interval excludes 0, and the ratio interval (when
//! defined) excludes 1. Requiring both the test and the interval keeps the verdict consistent with
//! what the report shows: a gap whose interval crosses 0 is never called significant.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::bootstrap::{bootstrap_layout, Groups, Layout, Statistic};
use super::multiple::benjamini_hochberg;
use super::significance::{
    bootstrap_z, moments_of_columns, permutation_p_values, welch_t_test, TestKind,
};
use super::{Estimate, StatsConfig};
use crate::metrics::finite;

/// Permutation RNG streams start here (bootstrap replicates use streams 0..B).
const PERM_STREAM: u64 = 1 << 63;

/// One group of a slice column compared with the reference group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupComparison {
    /// Group index (as in [`Groups`]).
    pub group: usize,
    /// The group's statistic θ_g (for a metric: its mean) with interval and n.
    pub estimate: Estimate,
    /// θ_g − θ_ref with interval; `n` is the group's. Undefined without a reference.
    pub difference: Estimate,
    /// θ_g / θ_ref with interval; undefined when θ_ref = 0 or there is no reference.
    pub ratio: Estimate,
    /// Two-sided p-value of the difference (`None` for the reference group or when untestable).
    pub p_value: Option<f64>,
    /// Benjamini–Hochberg adjusted p-value across the groups of this column and statistic.
    pub p_adjusted: Option<f64>,
    /// The test behind `p_value`.
    pub test: Option<TestKind>,
    /// adjusted p < alpha, the difference interval excludes 0 and the ratio interval (when
    /// defined) excludes 1. Always false for the reference group.
    pub significant: bool,
    /// ratio < four-fifths threshold (0.8); `None` when the ratio is undefined.
    pub four_fifths: Option<bool>,
}

/// The disparity of one statistic across the groups of one slice column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disparity {
    /// Index of the reference group.
    pub reference: usize,
    /// One entry per eligible group, ascending group index, the reference included.
    pub groups: Vec<GroupComparison>,
    /// max_g θ_g − min_g θ_g over the eligible groups with a defined θ_g.
    pub spread: Estimate,
    /// min_g θ_g / max_g θ_g over the same groups (Fairlearn's ratio).
    pub min_max_ratio: Estimate,
}

/// One statistic's numbers per group: the users with a defined value, the observed value and the
/// bootstrap replicates (none for a group that is not eligible).
struct PerStatistic {
    n: Vec<usize>,
    obs: Vec<f64>,
    reps: Vec<Vec<f64>>,
}

/// Means of per-user metrics compared across groups: [`compare`] with `Statistic::Mean(j)` for
/// every metric j. Pass all metrics of one slice column at once (one bootstrap pass serves all).
/// Returns one [`Disparity`] per metric, in order.
pub fn compare_means(
    metrics: &[&[f64]],
    groups: &Groups,
    reference: usize,
    eligible: &[bool],
    cfg: &StatsConfig,
) -> Vec<Disparity> {
    compare_means_each(metrics, groups, &vec![reference; metrics.len()], eligible, cfg)
}

/// [`compare_means`] with a reference group per metric (`references[j]` for metric j): one
/// bootstrap pass still serves every metric; each is tested against its own reference.
pub fn compare_means_each(
    metrics: &[&[f64]],
    groups: &Groups,
    references: &[usize],
    eligible: &[bool],
    cfg: &StatsConfig,
) -> Vec<Disparity> {
    let stats: Vec<Statistic> = (0..metrics.len()).map(Statistic::Mean).collect();
    compare_each(metrics, &stats, groups, references, eligible, cfg)
}

/// Group statistics with intervals, differences and ratios to `reference`, p-values, BH
/// adjustment, spread and min/max ratio, for each of `statistics` (one [`Disparity`] each).
///
/// - `columns`: per-user values indexed by dense user id (NaN = undefined), read by `statistics`.
/// - `eligible[g]`: the caller's suppression decision; only eligible groups are resampled, tested
///   and reported (a missing entry counts as not eligible). When the reference is not eligible,
///   differences, ratios and p-values are undefined.
///
/// Deterministic for a given `cfg.seed`, whatever the number of threads.
pub fn compare(
    columns: &[&[f64]],
    statistics: &[Statistic],
    groups: &Groups,
    reference: usize,
    eligible: &[bool],
    cfg: &StatsConfig,
) -> Vec<Disparity> {
    let references = vec![reference; statistics.len()];
    compare_each(columns, statistics, groups, &references, eligible, cfg)
}

/// [`compare`] with a reference group per statistic (`references[s]` for statistic s). The
/// bootstrap replicates do not depend on the reference, so one pass serves every statistic; the
/// tests of group g against reference r run once for all the statistics whose reference is r,
/// from the same random stream as [`compare`] with reference r, so every number equals that of
/// [`compare`] with the statistic's own reference.
pub fn compare_each(
    columns: &[&[f64]],
    statistics: &[Statistic],
    groups: &Groups,
    references: &[usize],
    eligible: &[bool],
    cfg: &StatsConfig,
) -> Vec<Disparity> {
    assert_eq!(references.len(), statistics.len(), "one reference per statistic");
    let n_groups = groups.n_groups();
    let include: Vec<bool> = (0..n_groups)
        .map(|g| eligible.get(g).copied().unwrap_or(false))
        .collect();
    let elig: Vec<usize> = (0..n_groups).filter(|&g| include[g]).collect();
    let has_ref = |r: usize| include.get(r).copied().unwrap_or(false);

    let layout = Layout::new(columns, groups.all());
    let reps = bootstrap_layout(&layout, groups, &include, cfg);

    let per: Vec<PerStatistic> = statistics
        .par_iter()
        .map(|s| PerStatistic {
            n: (0..n_groups)
                .map(|g| {
                    if include[g] {
                        reps.n_defined(g, s, columns, groups.members(g))
                    } else {
                        0
                    }
                })
                .collect(),
            obs: (0..n_groups).map(|g| s.eval(&reps.observed(g))).collect(),
            reps: (0..n_groups)
                .map(|g| {
                    if include[g] {
                        reps.values(g, s)
                    } else {
                        Vec::new()
                    }
                })
                .collect(),
        })
        .collect();

    // p-values [eligible group][statistic], filled reference by reference.
    let mut tests: Vec<Vec<(Option<f64>, Option<TestKind>)>> =
        vec![vec![(None, None); statistics.len()]; elig.len()];
    let mut distinct: Vec<usize> = references.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    for reference in distinct.into_iter().filter(|&r| has_ref(r)) {
        let which: Vec<usize> = (0..statistics.len())
            .filter(|&s| references[s] == reference)
            .collect();
        let subset: Vec<Statistic> = which.iter().map(|&s| statistics[s]).collect();
        let per_ref: Vec<&PerStatistic> = which.iter().map(|&s| &per[s]).collect();
        let found = tests_against(
            columns, &subset, &per_ref, &layout, groups, &elig, reference, cfg,
        );
        for (i, row) in found.into_iter().enumerate() {
            for (&s, t) in which.iter().zip(row) {
                tests[i][s] = t;
            }
        }
    }

    per.iter()
        .enumerate()
        .map(|(s, p)| {
            assemble(
                s,
                p.n.as_slice(),
                &p.obs,
                &p.reps,
                &elig,
                references[s],
                has_ref(references[s]),
                &tests,
                cfg,
            )
        })
        .collect()
}

/// The p-values of every eligible group against `reference` for `statistics` (whose observed
/// and replicate values are `per`): `[eligible group][statistic]`, none for the reference itself.
/// The permutation test for small groups, else Welch's t-test for means and the bootstrap z-test
/// for other statistics.
#[allow(clippy::too_many_arguments)]
fn tests_against(
    columns: &[&[f64]],
    statistics: &[Statistic],
    per: &[&PerStatistic],
    layout: &Layout,
    groups: &Groups,
    elig: &[usize],
    reference: usize,
    cfg: &StatsConfig,
) -> Vec<Vec<(Option<f64>, Option<TestKind>)>> {
    // The Welch tests' moments: of the columns of the mean statistics, for the reference and
    // then for each group, several columns per pass over the group's users.
    let mean_columns: Vec<&[f64]> = statistics
        .iter()
        .filter_map(|s| match *s {
            Statistic::Mean(c) => Some(columns[c]),
            _ => None,
        })
        .collect();
    let moments_by_statistic = |members: &[u32]| -> Vec<Option<(usize, f64, f64)>> {
        let mut per_column = moments_of_columns(&mean_columns, members).into_iter();
        statistics
            .iter()
            .map(|s| match s {
                Statistic::Mean(_) => per_column.next(),
                _ => None,
            })
            .collect()
    };
    let ref_moments = moments_by_statistic(groups.members(reference));
    elig.par_iter()
        .map(|&g| {
            if g == reference {
                return vec![(None, None); statistics.len()];
            }
            let small = groups.size(g).min(groups.size(reference));
            if small <= cfg.permutation_max_n {
                return permutation_p_values(
                    layout,
                    groups.members(g),
                    groups.members(reference),
                    statistics,
                    cfg.permutations,
                    cfg.seed,
                    PERM_STREAM | ((g as u64) << 24),
                )
                .into_iter()
                .map(|p| (p, p.map(|_| TestKind::Permutation)))
                .collect();
            }
            let group_moments = moments_by_statistic(groups.members(g));
            statistics
                .iter()
                .enumerate()
                .map(
                    |(s, stat)| match (*stat, ref_moments[s], group_moments[s]) {
                        (Statistic::Mean(_), Some((nr, mr, vr)), Some((ng, mg, vg))) => {
                            let p = welch_t_test(mg, vg, ng, mr, vr, nr);
                            (p, p.map(|_| TestKind::Welch))
                        }
                        _ => {
                            let p = per[s];
                            let diffs = differences(&p.reps[g], &p.reps[reference]);
                            let pv = bootstrap_z(p.obs[g] - p.obs[reference], &diffs);
                            (pv, pv.map(|_| TestKind::BootstrapZ))
                        }
                    },
                )
                .collect()
        })
        .collect()
}

/// Builds the [`Disparity`] of statistic `s` from its per-group numbers.
#[allow(clippy::too_many_arguments)]
fn assemble(
    s: usize,
    n: &[usize],
    obs: &[f64],
    reps: &[Vec<f64>],
    elig: &[usize],
    reference: usize,
    has_ref: bool,
    tests: &[Vec<(Option<f64>, Option<TestKind>)>],
    cfg: &StatsConfig,
) -> Disparity {
    let conf = cfg.confidence;
    let interval = |value: Option<f64>, values: &[f64], n: usize| -> Estimate {
        Estimate::with_interval(value, values, n, conf)
    };
    let ratio_of = |a: f64, b: f64| {
        let r = a / b;
        if b != 0.0 && r.is_finite() {
            r
        } else {
            f64::NAN
        }
    };

    let mut groups: Vec<GroupComparison> = elig
        .iter()
        .zip(tests)
        .map(|(&g, t)| {
            let estimate = interval(finite(obs[g]), &reps[g], n[g]);
            let (difference, ratio) = if has_ref {
                let d_reps = differences(&reps[g], &reps[reference]);
                let r_reps: Vec<f64> = reps[g]
                    .iter()
                    .zip(&reps[reference])
                    .map(|(&a, &b)| ratio_of(a, b))
                    .collect();
                (
                    interval(finite(obs[g] - obs[reference]), &d_reps, n[g]),
                    interval(finite(ratio_of(obs[g], obs[reference])), &r_reps, n[g]),
                )
            } else {
                (Estimate::point(None, n[g]), Estimate::point(None, n[g]))
            };
            let (p_value, test) = t[s];
            GroupComparison {
                group: g,
                estimate,
                difference,
                four_fifths: ratio.value.map(|r| r < cfg.four_fifths),
                ratio,
                p_value,
                p_adjusted: None,
                test,
                significant: false,
            }
        })
        .collect();

    // Benjamini–Hochberg across the tested groups.
    let tested: Vec<usize> = (0..groups.len())
        .filter(|&i| groups[i].p_value.is_some())
        .collect();
    let raw: Vec<f64> = tested.iter().map(|&i| groups[i].p_value.unwrap()).collect();
    for (&i, q) in tested.iter().zip(benjamini_hochberg(&raw)) {
        let c = &mut groups[i];
        c.p_adjusted = finite(q);
        let ratio_ok = match (c.ratio.ci_low, c.ratio.ci_high) {
            (Some(_), Some(_)) => c.ratio.excludes(1.0),
            _ => true,
        };
        c.significant = q < cfg.alpha && c.difference.excludes(0.0) && ratio_ok;
    }

    // Spread and min/max ratio over eligible groups with a defined value.
    let defined: Vec<usize> = elig
        .iter()
        .copied()
        .filter(|&g| obs[g].is_finite())
        .collect();
    let n_sum: usize = defined.iter().map(|&g| n[g]).sum();
    let extremes = |vals: &mut dyn Iterator<Item = f64>| -> (f64, f64) {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for v in vals {
            if v.is_nan() {
                return (f64::NAN, f64::NAN);
            }
            lo = lo.min(v);
            hi = hi.max(v);
        }
        (lo, hi)
    };
    let minmax = |lo: f64, hi: f64| {
        if lo >= 0.0 && hi > 0.0 {
            lo / hi
        } else {
            f64::NAN
        }
    };
    let (spread, min_max_ratio) = if defined.is_empty() {
        (Estimate::point(None, 0), Estimate::point(None, 0))
    } else {
        let (lo, hi) = extremes(&mut defined.iter().map(|&g| obs[g]));
        let n_reps = defined.iter().map(|&g| reps[g].len()).min().unwrap_or(0);
        let (sp, mm): (Vec<f64>, Vec<f64>) = (0..n_reps)
            .map(|b| {
                let (l, h) = extremes(&mut defined.iter().map(|&g| reps[g][b]));
                (h - l, minmax(l, h))
            })
            .unzip();
        (
            interval(finite(hi - lo), &sp, n_sum),
            interval(finite(minmax(lo, hi)), &mm, n_sum),
        )
    };

    Disparity {
        reference,
        groups,
        spread,
        min_max_ratio,
    }
}

/// Replicate by replicate, a_b − r_b: the replicates of a difference to the reference.
fn differences(a: &[f64], r: &[f64]) -> Vec<f64> {
    a.iter().zip(r).map(|(x, y)| x - y).collect()
}

/// Group statistics with percentile intervals, without a reference: `[statistic][group]`. Only
/// groups with `include[g]` get an interval; the others get the point value only. Use it for
/// overall values (one group holding every user) or corpus shares per slice
/// ([`Statistic::RatioOfSums`]).
pub fn group_estimates(
    columns: &[&[f64]],
    statistics: &[Statistic],
    groups: &Groups,
    include: &[bool],
    cfg: &StatsConfig,
) -> Vec<Vec<Estimate>> {
    let reps = super::bootstrap::bootstrap_sums(columns, groups, include, cfg);
    statistics
        .par_iter()
        .map(|s| {
            (0..groups.n_groups())
                .map(|g| {
                    reps.estimate(
                        g,
                        s,
                        reps.n_defined(g, s, columns, groups.members(g)),
                        cfg.confidence,
                    )
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
#[path = "disparity_tests.rs"]
mod tests;
