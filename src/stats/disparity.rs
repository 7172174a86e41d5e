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

use super::bootstrap::{bootstrap_layout, Groups, Layout, Replicates, Statistic};
use super::multiple::benjamini_hochberg;
use super::significance::{
    bootstrap_z, moments_of_groups, permutation_p_values, welch_t_test, TestKind,
};
use super::{Estimate, StatsConfig};
use crate::metrics::finite;

/// Permutation RNG streams start here (bootstrap replicates use streams 0..B).
pub(crate) const PERM_STREAM: u64 = 1 << 63;

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

/// Two groups tested against each other, the smaller index first.
type GroupPair = (usize, usize);
/// (statistic s, group g): s compares g with its reference.
type Tested = (usize, usize);
/// (statistic, tested group, p-value, the test behind it).
type PairTest = (usize, usize, Option<f64>, Option<TestKind>);

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
    compare_means_each(
        metrics,
        groups,
        &vec![reference; metrics.len()],
        eligible,
        cfg,
    )
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
/// bootstrap replicates do not depend on the reference, so one pass serves every statistic, and
/// each pair of groups is tested once for all the statistics that compare them. Every number
/// equals that of [`compare`] with the statistic's own reference, except the permutation p-value
/// of a pair that some statistics compare one way and others the other way: one two-sided test
/// serves both, drawn from the stream of the pair's first group.
pub fn compare_each(
    columns: &[&[f64]],
    statistics: &[Statistic],
    groups: &Groups,
    references: &[usize],
    eligible: &[bool],
    cfg: &StatsConfig,
) -> Vec<Disparity> {
    assert_eq!(
        references.len(),
        statistics.len(),
        "one reference per statistic"
    );
    let include: Vec<bool> = (0..groups.n_groups())
        .map(|g| eligible.get(g).copied().unwrap_or(false))
        .collect();
    let layout = Layout::new(columns, groups.all());
    let reps = bootstrap_layout(&layout, groups, &include, cfg);
    compare_each_replicated(
        columns, statistics, groups, references, eligible, &layout, &reps, cfg,
    )
}

/// [`compare_each`] on replicates already taken: `reps` the replicates of `layout` (the layout of
/// `columns` over `groups.all()`) with at least every eligible group included, with `cfg`'s seed
/// and resamples. A group's replicate sums of a column do not depend on the other columns of the
/// pass nor on which other groups are included (its weights are drawn at its units' positions), so
/// every number is that of [`compare_each`] bit for bit; one pass can serve other statistics too.
#[allow(clippy::too_many_arguments)]
pub(crate) fn compare_each_replicated(
    columns: &[&[f64]],
    statistics: &[Statistic],
    groups: &Groups,
    references: &[usize],
    eligible: &[bool],
    layout: &Layout,
    reps: &Replicates,
    cfg: &StatsConfig,
) -> Vec<Disparity> {
    assert_eq!(
        references.len(),
        statistics.len(),
        "one reference per statistic"
    );
    let n_groups = groups.n_groups();
    let include: Vec<bool> = (0..n_groups)
        .map(|g| eligible.get(g).copied().unwrap_or(false))
        .collect();
    assert!(
        (0..n_groups).all(|g| !include[g] || reps.is_included(g)),
        "every eligible group resampled"
    );
    let elig: Vec<usize> = (0..n_groups).filter(|&g| include[g]).collect();
    let has_ref = |r: usize| include.get(r).copied().unwrap_or(false);

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

    // p-values [eligible group][statistic]: each pair of groups is tested once, for every
    // statistic that compares one of them with the other as its reference.
    let mut pairs: Vec<(GroupPair, Vec<Tested>)> = Vec::new();
    for (s, &r) in references.iter().enumerate().filter(|&(_, &r)| has_ref(r)) {
        for &g in elig.iter().filter(|&&g| g != r) {
            let key = (g.min(r), g.max(r));
            match pairs.iter_mut().find(|(k, _)| *k == key) {
                Some((_, tested)) => tested.push((s, g)),
                None => pairs.push((key, vec![(s, g)])),
            }
        }
    }
    let moments = GroupMoments::of_welch_pairs(columns, statistics, groups, &pairs, cfg);
    let found: Vec<Vec<PairTest>> = pairs
        .par_iter()
        .map(|(_, tested)| {
            pair_tests(
                statistics, &per, layout, groups, references, tested, &moments, cfg,
            )
        })
        .collect();
    let mut tests: Vec<Vec<(Option<f64>, Option<TestKind>)>> =
        vec![vec![(None, None); statistics.len()]; n_groups];
    for (s, g, p, kind) in found.into_iter().flatten() {
        tests[g][s] = (p, kind);
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

/// Whether the pair of groups `a`, `b` is tested by permutation (the smaller has at most
/// `permutation_max_n` users) rather than by Welch's t-test or the bootstrap z-test.
fn permuted(groups: &Groups, a: usize, b: usize, cfg: &StatsConfig) -> bool {
    groups.size(a).min(groups.size(b)) <= cfg.permutation_max_n
}

/// The moments (n, mean, variance) of the mean statistics' columns in each group that a pair
/// tested by Welch's t-test reads, computed once per group ([`moments_of_groups`]: the moments of
/// a column do not depend on which other columns share its pass, so they are those of the pair's
/// own columns bit for bit).
struct GroupMoments {
    /// The columns read by the [`Statistic::Mean`] statistics, each once.
    columns: Vec<usize>,
    /// Per group, the moments of `columns` in that order (empty for a group no Welch pair reads).
    of_group: Vec<Vec<(usize, f64, f64)>>,
}

impl GroupMoments {
    fn of_welch_pairs(
        columns: &[&[f64]],
        statistics: &[Statistic],
        groups: &Groups,
        pairs: &[(GroupPair, Vec<Tested>)],
        cfg: &StatsConfig,
    ) -> GroupMoments {
        let mut mean_columns: Vec<usize> = Vec::new();
        for s in statistics {
            if let Statistic::Mean(c) = *s {
                if !mean_columns.contains(&c) {
                    mean_columns.push(c);
                }
            }
        }
        let mut read = vec![false; groups.n_groups()];
        for &((a, b), _) in pairs {
            if !permuted(groups, a, b, cfg) {
                read[a] = true;
                read[b] = true;
            }
        }
        let cols: Vec<&[f64]> = mean_columns.iter().map(|&c| columns[c]).collect();
        let of_group = moments_of_groups(&cols, groups, &read);
        GroupMoments {
            columns: mean_columns,
            of_group,
        }
    }

    /// The moments of column `c` in group `g`.
    fn get(&self, g: usize, c: usize) -> Option<(usize, f64, f64)> {
        let i = self.columns.iter().position(|&x| x == c)?;
        self.of_group[g].get(i).copied()
    }
}

/// The p-values of one pair of groups: `tested` lists (statistic s, group g) where g is compared
/// with `references[s]`, the pair's other group; returns (s, g, p-value, test). When the smaller
/// group has at most `permutation_max_n` users, one permutation test serves every statistic (the
/// two-sided test does not depend on which group is the reference); its random stream is that of
/// the tested group when every statistic tests the same one. Otherwise Welch's t-test for means
/// (from the groups' `moments`) and the bootstrap z-test for other statistics, each in the
/// direction group − reference.
#[allow(clippy::too_many_arguments)]
fn pair_tests(
    statistics: &[Statistic],
    per: &[PerStatistic],
    layout: &Layout,
    groups: &Groups,
    references: &[usize],
    tested: &[Tested],
    moments: &GroupMoments,
    cfg: &StatsConfig,
) -> Vec<PairTest> {
    let (s0, g0) = tested[0];
    let r0 = references[s0];
    if permuted(groups, g0, r0, cfg) {
        // The stream of the tested group when it is the same for all (as with one reference for
        // every statistic), else of the pair's first group.
        let (a, b) = if tested.iter().all(|&(_, g)| g == g0) {
            (g0, r0)
        } else {
            (g0.min(r0), g0.max(r0))
        };
        let stats: Vec<Statistic> = tested.iter().map(|&(s, _)| statistics[s]).collect();
        let ps = permutation_p_values(
            layout,
            groups.members(a),
            groups.members(b),
            &stats,
            cfg.permutations,
            cfg.seed,
            PERM_STREAM | ((a as u64) << 24),
        );
        return tested
            .iter()
            .zip(ps)
            .map(|(&(s, g), p)| (s, g, p, p.map(|_| TestKind::Permutation)))
            .collect();
    }
    tested
        .iter()
        .map(|&(s, g)| {
            let r = references[s];
            let welch = match statistics[s] {
                Statistic::Mean(c) => moments.get(g, c).zip(moments.get(r, c)),
                _ => None,
            };
            match welch {
                Some(((ng, mg, vg), (nr, mr, vr))) => {
                    let p = welch_t_test(mg, vg, ng, mr, vr, nr);
                    (s, g, p, p.map(|_| TestKind::Welch))
                }
                None => {
                    let p = &per[s];
                    let diffs = differences(&p.reps[g], &p.reps[r]);
                    let pv = bootstrap_z(p.obs[g] - p.obs[r], &diffs);
                    (s, g, pv, pv.map(|_| TestKind::BootstrapZ))
                }
            }
        })
        .collect()
}

/// Builds the [`Disparity`] of statistic `s` from its per-group numbers.
#[allow(clippy::too_many_arguments)]
pub(crate) fn assemble(
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
        .map(|&g| {
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
            let (p_value, test) = tests[g][s];
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
