//! Per-user metrics summarised per slice group: means with intervals, percentiles, disparities
//! between groups against each metric's reference group, and the groups each metric may publish.

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::data::UserKeys;
use crate::metrics::UserMetric;
use crate::result::{
    DisparityResult, MetricResult, OverallDistribution, SliceDistribution, SliceMetric,
};
use crate::slices::reference::{metric_reference, ReferenceRule};
use crate::slices::{disclosure, SliceColumn};
use crate::stats::bootstrap::{bootstrap_layout, Layout, Read};
use crate::stats::disparity::compare_each_replicated;
use crate::stats::distribution::sorted::total_order_key;
use crate::stats::group_runs::GroupRuns;
use crate::stats::{
    self, distribution, Disparity, Estimate, Groups, Quantiles, Statistic, StatsConfig,
};

/// One slice column's comparison of one metric: its disparity and the rule that chose the
/// reference (`None` when no group is published for the metric), and per group the percentiles
/// (default for groups not published).
struct ColumnComparison {
    disparity: Option<(Disparity, ReferenceRule)>,
    quantiles: Vec<Quantiles>,
}

/// Memory the slice columns' summaries may hold at once for them to run side by side (see
/// [`summarise_user_metrics`]): while it is summarised, a column holds the Gini terms of every
/// utility metric (8 bytes per user and metric) and its groups and runs (about 8 bytes per user).
/// Above it the columns are summarised one at a time. At 10M recommendation rows (1M users, 8
/// utility metrics, 5 columns) all of them take 360 MB; at 100M, 3.6 GB, and that audit's peak is
/// in this step.
const SIDE_BY_SIDE_BYTES: usize = 512 << 20;

/// Overall and per-slice means with intervals and disparities for every per-user metric.
///
/// A metric is published for the users with a defined value; a group with fewer than `min_size`
/// of them, or one whose value could be recovered by differencing within that population
/// ([`disclosure::protect`]), is withheld for that metric. Each metric is compared with its own
/// reference group ([`metric_reference`]: by default the best-off published group, chosen from
/// the observed means before any resampling). Metrics that publish the same groups of a column
/// share one bootstrap pass (the statistics module resamples the per-user value vectors, never the
/// rows). `keys[u]` is user u's key, by which pooled groups bucket their users.
pub(super) fn summarise_user_metrics(
    metrics: &[UserMetric],
    slices: &[SliceColumn],
    keys: &UserKeys,
    stats_cfg: &StatsConfig,
    min_size: usize,
) -> BTreeMap<String, MetricResult> {
    let columns: Vec<&[f64]> = metrics.iter().map(|m| m.values.as_slice()).collect();
    let n_users = metrics.first().map_or(0, |m| m.values.len());
    // Whether each metric is defined for every user, found once for the publication decisions
    // and every layout that reads it.
    let nan_free: Vec<bool> = columns
        .par_iter()
        .map(|values| !values.iter().any(|x| x.is_nan()))
        .collect();
    let published = published_groups_per_metric(&columns, &nan_free, slices, min_size);
    let utility: Vec<bool> = metrics
        .iter()
        .map(|m| distribution::is_utility(m.definition))
        .collect();
    let cuts = super::distribution::cuts(metrics, &utility);
    let everyone = Groups::from_members([(0..n_users as u32).collect::<Vec<u32>>()], keys);
    // The utility metrics' overall means come with their distributions, from each metric's
    // values over all users in order (`audit::distribution::ranked`); the order is kept for every
    // slice column's groups to split off.
    let (overall_distributions, ranked): (Vec<Option<OverallOfUtility>>, Vec<Option<Vec<u32>>>) =
        metrics
            .par_iter()
            .zip(&utility)
            .zip(&cuts)
            .zip(&nan_free)
            .map(|(((m, &utility), &cut), &nan_free)| {
                if !utility {
                    return (None, None);
                }
                let ranked = super::distribution::ranked(m);
                let overall =
                    super::distribution::overall(m, &ranked, cut, &everyone, nan_free, stats_cfg);
                (Some(overall), Some(ranked.into_order()))
            })
            .unzip();
    // The overall estimates and each slice column's summary are independent (each is
    // deterministic on its own), so they run side by side: the sequential parts of one (its
    // layout, its Welch moments) overlap the parallel parts of the others.
    let (overall, per_column): (Vec<(Estimate, Quantiles)>, Vec<ColumnSummary>) = rayon::join(
        || {
            let rest: Vec<&[f64]> = columns
                .iter()
                .zip(&overall_distributions)
                .filter(|(_, d)| d.is_none())
                .map(|(values, _)| *values)
                .collect();
            let means: Vec<Statistic> = (0..rest.len()).map(Statistic::Mean).collect();
            let mut estimates = if rest.is_empty() {
                Vec::new()
            } else {
                stats::group_estimates(&rest, &means, &everyone, &[true], stats_cfg)
            }
            .into_iter()
            .map(|e| e[0]);
            let estimates: Vec<Estimate> = overall_distributions
                .iter()
                .map(|d| match d {
                    Some((_, _, mean)) => *mean,
                    None => estimates.next().expect("an estimate per other metric"),
                })
                .collect();
            // The utility metrics' percentiles come with their distributions.
            let quantiles: Vec<Quantiles> = columns
                .par_iter()
                .zip(&overall_distributions)
                .map(|(values, distribution)| match distribution {
                    Some((_, quantiles, _)) => *quantiles,
                    None => {
                        let mut defined: Vec<u64> = values
                            .iter()
                            .filter(|x| !x.is_nan())
                            .map(|&x| total_order_key(x))
                            .collect();
                        Quantiles::of_keys(&mut defined)
                    }
                })
                .collect();
            estimates.into_iter().zip(quantiles).collect()
        },
        || {
            let summarise = |(c, col): (usize, &SliceColumn)| {
                let members: Vec<&[u32]> = col.groups.iter().map(|g| g.users.as_slice()).collect();
                let groups = Groups::from_member_lists(&members, keys);
                let shown: Vec<&[bool]> = published.iter().map(|p| p[c].as_slice()).collect();
                let input = ColumnInput {
                    metrics,
                    columns: &columns,
                    utility: &utility,
                    cuts: &cuts,
                    nan_free: &nan_free,
                    ranked: &ranked,
                };
                summarise_column(&input, col, &groups, &shown, stats_cfg)
            };
            // Each column's summary is parallel inside and deterministic on its own. Side by side,
            // one column's sequential parts (its layout, its Welch moments) overlap another's
            // parallel parts; one at a time, only one column's buffers are live.
            let n_utility = utility.iter().filter(|&&u| u).count();
            let column_bytes = n_users * (8 * n_utility + 8);
            if slices.len() * column_bytes <= SIDE_BY_SIDE_BYTES {
                slices.par_iter().enumerate().map(summarise).collect()
            } else {
                slices.iter().enumerate().map(summarise).collect()
            }
        },
    );
    drop(ranked);

    let mut out: BTreeMap<String, MetricResult> = metrics
        .iter()
        .zip(overall)
        .zip(overall_distributions)
        .map(|((m, (est, quantiles)), distribution)| {
            let distribution = distribution.map(|(d, _, _)| d);
            let defined = m.values.iter().filter(|x| !x.is_nan()).count();
            (
                m.name().to_string(),
                MetricResult {
                    family: m.definition.family.name().to_string(),
                    better: m.better(),
                    overall: est,
                    quantiles,
                    n_undefined: m.values.len() - defined,
                    distribution,
                    slices: BTreeMap::new(),
                },
            )
        })
        .collect();

    for (c, (col, summary)) in slices.iter().zip(per_column).enumerate() {
        let (disparities, mut distributions) = (summary.comparisons, summary.distributions);
        let labels: Vec<String> = col.groups.iter().map(|g| g.label.clone()).collect();
        for (j, (m, compared)) in metrics.iter().zip(disparities).enumerate() {
            let disparity = compared
                .disparity
                .map(|(d, rule)| DisparityResult::labelled(d, &labels, rule, m.better()));
            let group_means = disparity
                .as_ref()
                .map(|d| {
                    d.groups
                        .iter()
                        .map(|(label, g)| (label.clone(), g.estimate))
                        .collect()
                })
                .unwrap_or_default();
            let quantiles = col
                .shown()
                .filter(|&g| published[j][c][g])
                .map(|g| (labels[g].clone(), compared.quantiles[g]))
                .collect();
            let withheld = col.shown().filter(|&g| !published[j][c][g]).count();
            out.get_mut(m.name())
                .expect("metric present")
                .slices
                .insert(
                    col.name.clone(),
                    SliceMetric {
                        groups: group_means,
                        quantiles,
                        disparity,
                        groups_withheld: withheld,
                        distribution: distributions[j].take(),
                    },
                );
        }
    }
    out
}

/// A utility metric over all users: its distribution, percentiles and mean.
type OverallOfUtility = (OverallDistribution, Quantiles, Estimate);

/// One slice column's distributions (per metric, `None` for metrics that are not utilities) and
/// comparisons (per metric).
struct ColumnSummary {
    distributions: Vec<Option<SliceDistribution>>,
    comparisons: Vec<ColumnComparison>,
}

/// What every slice column's summary reads: the metrics and their value columns, which are
/// utilities, their worst-decile cut-offs and values in order (present for the utilities), and
/// which are defined for every user.
struct ColumnInput<'a> {
    metrics: &'a [UserMetric],
    columns: &'a [&'a [f64]],
    utility: &'a [bool],
    cuts: &'a [Option<f64>],
    nan_free: &'a [bool],
    ranked: &'a [Option<Vec<u32>>],
}

/// The distributions of the utility metrics over the groups of `col` and every metric compared
/// across them (`groups`: the column's groups with the users' keys; `published[j][g]` whether
/// group g is published for metric j), from one bootstrap pass. The distributions' own pass (over
/// each metric's values, indicator and Gini terms, `distribution::per_column`) and each batch of
/// means' (`compare_column`) resample the same groups with the same seed, and a group's replicate
/// sums of a column depend on neither the other columns nor the other groups of the pass, so one
/// pass over the metrics' values, the indicators and the Gini terms gives every number of both,
/// bit for bit (the tests hold it equal to the two passes).
fn summarise_column(
    input: &ColumnInput,
    col: &SliceColumn,
    groups: &Groups,
    published: &[&[bool]],
    stats_cfg: &StatsConfig,
) -> ColumnSummary {
    let ColumnInput {
        metrics,
        columns,
        utility,
        cuts,
        nan_free,
        ranked,
    } = *input;
    let n_groups = col.groups.len();
    let orders = super::distribution::column_orders(metrics, utility, cuts, col, published, ranked);
    let known = orders.quantiles(metrics.len());
    let (mut comparisons, batches, rules) =
        references_and_batches(metrics, columns, col, published, &known);

    // The pass's columns: each metric compared or with a distribution, then each distribution's
    // worst-decile indicator and Gini terms.
    let with_distribution = |j: usize| orders.chosen.contains(&j);
    let compared = |j: usize| batches.iter().any(|(_, _, js)| js.contains(&j));
    // Beside each, whether it is defined for every user of the column's groups, so that the
    // layout need not scan it: a metric defined for every user; its indicator too, when it has a
    // cut-off; its Gini terms too, when every group is resampled (shown).
    let shown = col.shown_mask();
    let mut pass: Vec<&[f64]> = Vec::new();
    let mut defined: Vec<bool> = Vec::new();
    let mut slot_of = vec![usize::MAX; metrics.len()];
    for (j, values) in columns.iter().enumerate() {
        if with_distribution(j) || compared(j) {
            slot_of[j] = pass.len();
            pass.push(values);
            defined.push(nan_free[j]);
        }
    }
    // Each indicator is read off its metric's values (`distribution::indicator_read`).
    let mut slots: Vec<[usize; 3]> = Vec::with_capacity(orders.chosen.len());
    let mut reads: Vec<(usize, Read)> = Vec::with_capacity(orders.chosen.len());
    for (i, &j) in orders.chosen.iter().enumerate() {
        slots.push([slot_of[j], pass.len(), pass.len() + 1]);
        reads.push((
            pass.len(),
            super::distribution::indicator_read(&metrics[j], cuts[j]),
        ));
        pass.extend([columns[j], orders.terms(i)]);
        defined.extend([
            nan_free[j] && cuts[j].is_some(),
            nan_free[j] && shown.iter().all(|&s| s),
        ]);
    }
    if pass.is_empty() {
        return ColumnSummary {
            distributions: vec![None; metrics.len()],
            comparisons,
        };
    }
    // The distributions resample the shown groups, each batch of means its eligible ones.
    let include: Vec<bool> = (0..n_groups)
        .map(|g| {
            (!orders.chosen.is_empty() && shown[g])
                || batches
                    .iter()
                    .any(|(eligible, _, _)| eligible.get(g) == Some(&true))
        })
        .collect();
    let mut layout = Layout::with_nan_free(&pass, groups.all(), &defined);
    for (k, read) in reads {
        layout = layout.reading(k, read);
    }
    let reps = bootstrap_layout(&layout, groups, &include, stats_cfg);
    let distributions = orders.distributions(
        metrics.len(),
        col,
        published,
        &reps,
        &slots,
        stats_cfg.confidence,
    );
    for (eligible, refs, js) in batches {
        let means: Vec<Statistic> = js.iter().map(|&j| Statistic::Mean(slot_of[j])).collect();
        let ds = compare_each_replicated(
            &pass, &means, groups, &refs, eligible, &layout, &reps, stats_cfg,
        );
        for (&j, d) in js.iter().zip(ds) {
            comparisons[j].disparity = rules[j].map(|rule| (d, rule));
        }
    }
    ColumnSummary {
        distributions,
        comparisons,
    }
}

/// Batches of metrics that publish the same groups: (the groups, each metric's reference group,
/// the metrics).
type Batches<'a> = Vec<(&'a [bool], Vec<usize>, Vec<usize>)>;

/// Per metric, its group means and percentiles over the groups of `col` ([`describe_groups`];
/// `known[j][g]`, where present, the percentiles of metric j in group g, already found) and its
/// reference group ([`metric_reference`]) with the rule that chose it: the comparisons without
/// their disparities, the batches of metrics with a reference that publish the same groups
/// (`published[j]`), and each metric's rule.
fn references_and_batches<'a>(
    metrics: &[UserMetric],
    columns: &[&[f64]],
    col: &SliceColumn,
    published: &[&'a [bool]],
    known: &[Vec<Option<Quantiles>>],
) -> (
    Vec<ColumnComparison>,
    Batches<'a>,
    Vec<Option<ReferenceRule>>,
) {
    let n_groups = col.groups.len();
    let room: Vec<usize> = col.groups.iter().map(|g| g.users.len()).collect();
    let runs = GroupRuns::of(&col.codes, n_groups);
    let described: Vec<(Vec<Option<f64>>, Vec<Quantiles>)> = columns
        .par_iter()
        .zip(published)
        .zip(known)
        .map(|((values, shown), known)| {
            describe_groups(values, &runs, n_groups, shown, known, &room)
        })
        .collect();
    let mut out: Vec<ColumnComparison> = Vec::with_capacity(metrics.len());
    // Metrics that publish the same groups are compared together.
    let mut batches: Batches<'a> = Vec::new();
    let mut rules: Vec<Option<ReferenceRule>> = Vec::with_capacity(metrics.len());
    for (j, (m, (means, quantiles))) in metrics.iter().zip(described).enumerate() {
        let shown = published[j];
        let reference = metric_reference(col, shown, &means, m.better());
        rules.push(reference.map(|(_, rule)| rule));
        out.push(ColumnComparison {
            disparity: None,
            quantiles,
        });
        let Some((r, _)) = reference else { continue };
        match batches.iter_mut().find(|(s, _, _)| *s == shown) {
            Some((_, refs, js)) => {
                refs.push(r);
                js.push(j);
            }
            None => batches.push((shown, vec![r], vec![j])),
        }
    }
    (out, batches, rules)
}

/// Every metric compared across the groups of `col` (`groups`: its groups with the users' keys):
/// `published[j][g]` says whether group g is published for metric j. The reference of each metric
/// comes from its observed group means; metrics with the same published groups share one
/// bootstrap pass, each compared with its own reference. `known[j][g]`, where present, is the
/// percentiles of metric j in group g, already found. The reference the tests hold
/// [`summarise_column`] to.
#[cfg(test)]
fn compare_column(
    metrics: &[UserMetric],
    columns: &[&[f64]],
    col: &SliceColumn,
    groups: &Groups,
    published: &[&[bool]],
    known: &[Vec<Option<Quantiles>>],
    stats_cfg: &StatsConfig,
) -> Vec<ColumnComparison> {
    let (mut out, batches, rules) = references_and_batches(metrics, columns, col, published, known);
    for (eligible, refs, js) in batches {
        let subset: Vec<&[f64]> = js.iter().map(|&j| columns[j]).collect();
        let ds = stats::compare_means_each(&subset, groups, &refs, eligible, stats_cfg);
        for (&j, d) in js.iter().zip(ds) {
            out[j].disparity = rules[j].map(|rule| (d, rule));
        }
    }
    out
}

/// Per group of one column: the mean of `values` over its users with a defined value (`None`
/// when none has one) and their percentiles, for the groups with `shown[g]` (the others get
/// `None` and default percentiles). `runs` are the users of the groups ([`GroupRuns`] of the
/// users' codes: `Categorical::MISSING` and codes past the groups are in none); `known[g]`,
/// where present, is group g's percentiles, already found; `room[g]`, where given, is room
/// enough for group g's values (its number of users, say).
fn describe_groups(
    values: &[f64],
    runs: &GroupRuns,
    n_groups: usize,
    shown: &[bool],
    known: &[Option<Quantiles>],
    room: &[usize],
) -> (Vec<Option<f64>>, Vec<Quantiles>) {
    // Each group's sum is the fold `Iterator::sum` makes over its values in user order, from the
    // same start. Only the groups whose percentiles are not known have their values gathered
    // (their keys: the percentiles are selected on them, [`Quantiles::of_keys`]), in the same
    // pass. Per code: left out (not shown), summed, or summed and gathered.
    const LEFT_OUT: u8 = 0;
    const SUMMED: u8 = 1;
    const GATHERED: u8 = 2;
    let role: Vec<u8> = (0..n_groups)
        .map(|g| match (shown.get(g) == Some(&true), known.get(g)) {
            (false, _) => LEFT_OUT,
            (true, Some(Some(_))) => SUMMED,
            (true, _) => GATHERED,
        })
        .collect();
    let start: f64 = std::iter::empty::<f64>().sum();
    let mut sizes = vec![0usize; n_groups];
    let mut sums = vec![start; n_groups];
    let mut per_group: Vec<Vec<u64>> = role
        .iter()
        .enumerate()
        .map(|(g, &r)| {
            let room = room.get(g).copied().filter(|_| r == GATHERED);
            Vec::with_capacity(room.unwrap_or(0))
        })
        .collect();
    // Run by run (each group's users in ascending order), the group's size and sum in registers.
    for (g, users) in runs.iter() {
        let r = role[g];
        if r == LEFT_OUT {
            continue;
        }
        let (mut size, mut sum) = (sizes[g], sums[g]);
        for &u in users {
            let x = values[u as usize];
            if !x.is_nan() {
                size += 1;
                sum += x;
            }
        }
        (sizes[g], sums[g]) = (size, sum);
        // Gathered apart: a push that may grow its vector would take the sums out of registers.
        if r == GATHERED {
            per_group[g].extend(
                users
                    .iter()
                    .map(|&u| values[u as usize])
                    .filter(|x| !x.is_nan())
                    .map(total_order_key),
            );
        }
    }
    per_group
        .iter_mut()
        .enumerate()
        .map(|(g, v)| {
            let mean = (sizes[g] > 0).then(|| sums[g] / sizes[g] as f64);
            let quantiles = match known.get(g) {
                Some(&Some(q)) if role[g] == SUMMED && sizes[g] > 0 => q,
                _ => Quantiles::of_keys(v),
            };
            (mean, quantiles)
        })
        .unzip()
}

/// Per metric, per slice column, per group: whether the metric's value for the group is
/// published. The population of a metric is its users with a defined value; metrics with the
/// same population share one decision. `nan_free[j]`: metric j is defined for every user.
fn published_groups_per_metric(
    columns: &[&[f64]],
    nan_free: &[bool],
    slices: &[SliceColumn],
    min_size: usize,
) -> Vec<Vec<Vec<bool>>> {
    let codes: Vec<&[u32]> = slices.iter().map(|c| c.codes.as_slice()).collect();
    let shown: Vec<Vec<bool>> = slices.iter().map(SliceColumn::shown_mask).collect();
    // Every metric defined for every user publishes the groups shown; the others with the same
    // undefined users share one decision.
    let same_population = |a: usize, b: usize| {
        columns[a]
            .iter()
            .zip(columns[b])
            .all(|(x, y)| x.is_nan() == y.is_nan())
    };
    let mut decided: Vec<(usize, Vec<Vec<bool>>)> = Vec::new();
    (0..columns.len())
        .map(|j| {
            if nan_free[j] {
                return shown.clone();
            }
            if let Some((_, d)) = decided.iter().find(|(i, _)| same_population(*i, j)) {
                return d.clone();
            }
            let values = columns[j];
            let d =
                disclosure::protect(&codes, &shown, &|u| !values[u].is_nan(), min_size, &[]).shown;
            decided.push((j, d.clone()));
            d
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Categorical;
    use crate::metrics::registry;
    use crate::slices::test_column;
    use proptest::prelude::*;

    /// Groups a (users 0–2) and b (users 3–6). NDCG (higher is better): a 0.1, 0.2, 0.3 (mean
    /// 0.2), b 0.4, 0.5, 0.6 and one undefined (mean 0.5). ARP (lower is better): a 1, 2, 3 (mean
    /// 2), b 4, 5, 6, 7 (mean 5.5).
    fn summarise(chosen: Option<usize>, min_size: usize) -> BTreeMap<String, MetricResult> {
        let ndcg = UserMetric::new(
            &registry::NDCG,
            vec![0.1, 0.2, 0.3, 0.4, 0.5, 0.6, f64::NAN],
        );
        let arp = UserMetric::new(&registry::ARP, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
        let col = test_column(&[("a", 3, false), ("b", 4, false)], chosen);
        let cfg = StatsConfig {
            resamples: 50,
            permutations: 50,
            ..StatsConfig::default()
        };
        let keys = crate::stats::bootstrap::test_keys(7);
        summarise_user_metrics(&[ndcg, arp], &[col], &keys, &cfg, min_size)
    }

    fn reference(m: &MetricResult) -> (&str, ReferenceRule) {
        let d = m.slices["col"].disparity.as_ref().unwrap();
        (d.reference.as_str(), d.reference_rule)
    }

    #[test]
    fn each_metric_is_compared_with_its_best_off_group() {
        let out = summarise(None, 1);
        assert_eq!(reference(&out["ndcg"]), ("b", ReferenceRule::BestOff));
        assert_eq!(reference(&out["arp"]), ("a", ReferenceRule::BestOff));
        // NDCG: a / b = 0.2 / 0.5 = 0.4 < 0.8, flagged; ARP (lower is better) has no flag.
        let a = &out["ndcg"].slices["col"].disparity.as_ref().unwrap().groups["a"];
        assert!((a.ratio.value.unwrap() - 0.4).abs() < 1e-12);
        assert_eq!(a.four_fifths, Some(true));
        let b = &out["arp"].slices["col"].disparity.as_ref().unwrap().groups["b"];
        assert!((b.ratio.value.unwrap() - 2.75).abs() < 1e-12);
        assert_eq!(b.four_fifths, None);
    }

    #[test]
    fn a_chosen_reference_is_every_metric_s_reference() {
        let out = summarise(Some(0), 1);
        assert_eq!(reference(&out["ndcg"]), ("a", ReferenceRule::Chosen));
        assert_eq!(reference(&out["arp"]), ("a", ReferenceRule::Chosen));
        let b = &out["ndcg"].slices["col"].disparity.as_ref().unwrap().groups["b"];
        assert!((b.ratio.value.unwrap() - 2.5).abs() < 1e-12);
    }

    #[test]
    fn percentiles_overall_and_per_group_over_defined_values() {
        let out = summarise(None, 1);
        // b's NDCG: 0.4, 0.5, 0.6 (the undefined value left out): h = 0.2, 1, 1.8.
        let b = out["ndcg"].slices["col"].quantiles["b"];
        let close = |x: Option<f64>, want: f64| (x.unwrap() - want).abs() < 1e-12;
        assert!(
            close(b.q10, 0.42) && close(b.q50, 0.5) && close(b.q90, 0.58),
            "{b:?}"
        );
        // Overall NDCG: 0.1 … 0.6 (6 values): h = 0.5, 2.5, 4.5.
        let all = out["ndcg"].quantiles;
        assert!(
            close(all.q10, 0.15) && close(all.q50, 0.35) && close(all.q90, 0.55),
            "{all:?}"
        );
        // ARP a: 1, 2, 3 → 1.2, 2, 2.8.
        let a = out["arp"].slices["col"].quantiles["a"];
        assert!(
            close(a.q10, 1.2) && close(a.q50, 2.0) && close(a.q90, 2.8),
            "{a:?}"
        );
    }

    proptest! {
        /// Percentiles handed in for some groups (read off their sorted values) give the same
        /// means and percentiles, bit for bit, as gathering every shown group's values; with
        /// undefined values, users in no group and groups not shown.
        #[test]
        fn known_percentiles_change_nothing(
            rows in proptest::collection::vec(
                (
                    prop_oneof![
                        0.0f64..1.0,
                        (0u8..4).prop_map(|k| [0.0, -0.0, 1.0, f64::NAN][k as usize]),
                    ],
                    0u32..4,
                ),
                0..300,
            ),
            published in proptest::collection::vec(proptest::bool::ANY, 3),
            handed in proptest::collection::vec(proptest::bool::ANY, 3),
        ) {
            let shown = published.as_slice();
            let values: Vec<f64> = rows.iter().map(|r| r.0).collect();
            // Code 3 stands for a user in no group.
            let codes: Vec<u32> = rows
                .iter()
                .map(|r| if r.1 == 3 { Categorical::MISSING } else { r.1 })
                .collect();
            let known: Vec<Option<Quantiles>> = (0..3u32)
                .map(|g| {
                    handed[g as usize].then(|| {
                        let mut v: Vec<f64> = values
                            .iter()
                            .zip(&codes)
                            .filter(|(x, &c)| c == g && !x.is_nan())
                            .map(|(&x, _)| x)
                            .collect();
                        v.sort_by(f64::total_cmp);
                        Quantiles::of_sorted(&v)
                    })
                })
                .collect();
            let bits = |(means, quantiles): (Vec<Option<f64>>, Vec<Quantiles>)| {
                let means: Vec<Option<u64>> = means.iter().map(|m| m.map(f64::to_bits)).collect();
                let quantiles: Vec<[Option<u64>; 3]> = quantiles
                    .iter()
                    .map(|q| [q.q10, q.q50, q.q90].map(|x| x.map(f64::to_bits)))
                    .collect();
                (means, quantiles)
            };
            let runs = GroupRuns::of(&codes, 3);
            let gathered = bits(describe_groups(&values, &runs, 3, shown, &[], &[]));
            let with_known = bits(describe_groups(&values, &runs, 3, shown, &known, &[1, 0, 2]));
            prop_assert_eq!(&gathered, &with_known);
            // The means by their definition: the defined values of each shown group, summed.
            for g in 0..3u32 {
                let v: Vec<f64> = values
                    .iter()
                    .zip(&codes)
                    .filter(|(x, &c)| c == g && !x.is_nan() && shown[g as usize])
                    .map(|(&x, _)| x)
                    .collect();
                let mean = (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
                prop_assert_eq!(gathered.0[g as usize], mean.map(f64::to_bits));
                // The percentiles by their definition, of the same values.
                if shown[g as usize] {
                    let q = Quantiles::of(&mut v.clone());
                    let want = [q.q10, q.q50, q.q90].map(|x| x.map(f64::to_bits));
                    prop_assert_eq!(gathered.1[g as usize], want);
                }
            }
        }
    }

    /// A utility value: ties, ±0 and undefined values among values in [0, 1].
    fn utility_value() -> impl Strategy<Value = f64> {
        prop_oneof![
            0.0f64..1.0,
            (0u8..5).prop_map(|k| [0.0, -0.0, 0.5, 1.0, f64::NAN][k as usize]),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// One bootstrap pass for a column's distributions and means gives every number of the
        /// two passes apart (`distribution::per_column`, then `compare_column` with one pass per
        /// batch of metrics that publish the same groups), bit for bit: groups small and large,
        /// pooled or not, suppressed, withheld for some metrics only, users in no group,
        /// undefined values, permutation and Welch tests.
        #[test]
        fn one_pass_equals_the_distributions_and_means_apart(
            groups in proptest::collection::vec((0usize..30, proptest::bool::weighted(0.2)), 1..5),
            rows in proptest::collection::vec(
                (utility_value(), utility_value(), -5.0f64..5.0),
                130,
            ),
            withheld in proptest::collection::vec(proptest::bool::weighted(0.2), 15),
            units in prop_oneof![Just(0usize), Just(6)],
            permutation_max_n in prop_oneof![Just(0usize), Just(12)],
            chosen in proptest::option::weighted(0.3, 0usize..4),
        ) {
            let spec: Vec<(String, usize, bool)> = groups
                .iter()
                .enumerate()
                .map(|(g, &(n, suppressed))| (format!("g{g}"), n, suppressed))
                .collect();
            let spec: Vec<(&str, usize, bool)> =
                spec.iter().map(|(l, n, s)| (l.as_str(), *n, *s)).collect();
            let chosen = chosen.filter(|&r| r < spec.len());
            let mut col = test_column(&spec, chosen);
            // Three users in no group.
            col.codes.extend([Categorical::MISSING; 3]);
            let n = col.codes.len();
            let column = |k: usize| -> Vec<f64> {
                rows.iter()
                    .map(|r| [r.0, r.1, r.2][k])
                    .take(n)
                    .collect()
            };
            let metrics = [
                UserMetric::new(&registry::NDCG, column(0)),
                UserMetric::new(&registry::ARP, column(2)),
                UserMetric::new(&registry::HIT, column(1).iter().map(|x| x.ceil()).collect()),
            ];
            let columns: Vec<&[f64]> = metrics.iter().map(|m| m.values.as_slice()).collect();
            let keys = crate::stats::bootstrap::test_keys(n);
            let cfg = StatsConfig {
                resamples: 40,
                permutations: 30,
                permutation_max_n,
                bootstrap_units: units,
                ..StatsConfig::default()
            };
            let shown = col.shown_mask();
            let published: Vec<Vec<bool>> = (0..metrics.len())
                .map(|j| {
                    (0..spec.len())
                        .map(|g| shown[g] && !withheld[(j * 5 + g) % withheld.len()])
                        .collect()
                })
                .collect();
            let published: Vec<&[bool]> = published.iter().map(|p| p.as_slice()).collect();
            let utility: Vec<bool> = metrics
                .iter()
                .map(|m| distribution::is_utility(m.definition))
                .collect();
            let cuts = super::super::distribution::cuts(&metrics, &utility);
            let indicators: Vec<Option<Vec<f64>>> = metrics
                .iter()
                .zip(&utility)
                .zip(&cuts)
                .map(|((m, &u), &cut)| {
                    u.then(|| super::super::distribution::worst_decile_indicator(m, cut))
                })
                .collect();
            let members: Vec<&[u32]> = col.groups.iter().map(|g| g.users.as_slice()).collect();
            let groups = Groups::from_member_lists(&members, &keys);
            let nan_free: Vec<bool> = columns
                .iter()
                .map(|c| !c.iter().any(|x| x.is_nan()))
                .collect();
            // The one pass splits each group's order off the whole population's; the reference
            // sorts each group's values.
            prop_assert!(col.codes_match_groups());
            let ranked: Vec<Option<Vec<u32>>> = metrics
                .iter()
                .zip(&utility)
                .map(|(m, &u)| u.then(|| super::super::distribution::ranked(m).into_order()))
                .collect();
            let input = ColumnInput {
                metrics: &metrics,
                columns: &columns,
                utility: &utility,
                cuts: &cuts,
                nan_free: &nan_free,
                ranked: &ranked,
            };
            let one = summarise_column(&input, &col, &groups, &published, &cfg);
            let (distributions, known) = super::super::distribution::per_column(
                &metrics,
                &utility,
                &cuts,
                &indicators,
                &col,
                &groups,
                &published,
                &cfg,
            );
            let comparisons =
                compare_column(&metrics, &columns, &col, &groups, &published, &known, &cfg);
            // Debug prints every number's shortest round-trip digits (and the sign of a zero).
            let text = |d: &[Option<SliceDistribution>], c: &[ColumnComparison]| {
                let c: Vec<String> = c
                    .iter()
                    .map(|c| format!("{:?} {:?}", c.disparity, c.quantiles))
                    .collect();
                format!("{d:?} {c:?}")
            };
            prop_assert_eq!(
                text(&one.distributions, &one.comparisons),
                text(&distributions, &comparisons)
            );
        }
    }

    #[test]
    fn percentiles_are_published_for_the_groups_whose_mean_is() {
        // At 4 users per group, a and b have 3 users each with a defined NDCG: both withheld
        // for NDCG, so neither means nor percentiles are shown. ARP, defined for every user,
        // publishes the column's groups as they are.
        let out = summarise(None, 4);
        let ndcg = &out["ndcg"].slices["col"];
        assert!(ndcg.groups.is_empty() && ndcg.quantiles.is_empty() && ndcg.disparity.is_none());
        assert_eq!(ndcg.groups_withheld, 2);
        let arp = &out["arp"].slices["col"];
        assert_eq!(arp.quantiles.keys().collect::<Vec<_>>(), ["a", "b"]);
    }
}
