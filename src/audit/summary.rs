//! Per-user metrics summarised per slice group: means with intervals, disparities between groups,
//! and the groups each metric may publish.

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::metrics::{Better, UserMetric};
use crate::result::{DisparityResult, MetricResult, SliceMetric};
use crate::slices::{disclosure, largest_of, SliceColumn};
use crate::stats::{self, Disparity, Estimate, Groups, Statistic, StatsConfig};

/// Overall and per-slice means with intervals and disparities for every per-user metric.
///
/// A metric is published for the users with a defined value; a group with fewer than `min_size`
/// of them, or one whose value could be recovered by differencing within that population
/// ([`disclosure::protect`]), is withheld for that metric. Metrics that publish the same groups
/// of a column share one bootstrap pass (the statistics module resamples the per-user value
/// vectors, never the rows).
pub(super) fn summarise_user_metrics(
    metrics: &[UserMetric],
    slices: &[SliceColumn],
    stats_cfg: &StatsConfig,
    min_size: usize,
) -> BTreeMap<String, MetricResult> {
    let columns: Vec<&[f64]> = metrics.iter().map(|m| m.values.as_slice()).collect();
    let n_users = metrics.first().map_or(0, |m| m.values.len());
    let published = published_groups_per_metric(&columns, slices, min_size);
    // The overall estimates and each slice column's comparison are independent (each is
    // deterministic on its own), so they run side by side: the sequential parts of one (its
    // layout, its Welch moments) overlap the parallel parts of the others.
    let (overall, per_column): (Vec<Vec<Estimate>>, Vec<Vec<Option<Disparity>>>) = rayon::join(
        || {
            let all = Groups::from_members([(0..n_users as u32).collect::<Vec<u32>>()]);
            let means: Vec<Statistic> = (0..metrics.len()).map(Statistic::Mean).collect();
            stats::group_estimates(&columns, &means, &all, &[true], stats_cfg)
        },
        || {
            slices
                .par_iter()
                .enumerate()
                .map(|(c, col)| {
                    let groups = Groups::from_members(col.groups.iter().map(|g| g.users.clone()));
                    let mut out: Vec<Option<Disparity>> = vec![None; metrics.len()];
                    // Metrics that publish the same groups are compared together.
                    let mut patterns: Vec<(&Vec<bool>, Vec<usize>)> = Vec::new();
                    for (j, shown) in published.iter().map(|p| &p[c]).enumerate() {
                        match patterns.iter_mut().find(|(s, _)| *s == shown) {
                            Some((_, js)) => js.push(j),
                            None => patterns.push((shown, vec![j])),
                        }
                    }
                    for (eligible, js) in patterns {
                        let reference = col
                            .reference
                            .filter(|&r| eligible[r])
                            .or_else(|| largest_of(&col.groups, |g| eligible[g]));
                        let Some(r) = reference else { continue };
                        let subset: Vec<&[f64]> = js.iter().map(|&j| columns[j]).collect();
                        let ds = stats::compare_means(&subset, &groups, r, eligible, stats_cfg);
                        for (&j, d) in js.iter().zip(ds) {
                            out[j] = Some(d);
                        }
                    }
                    out
                })
                .collect()
        },
    );

    let mut out: BTreeMap<String, MetricResult> = metrics
        .iter()
        .zip(overall)
        .map(|(m, est)| {
            let defined = m.values.iter().filter(|x| !x.is_nan()).count();
            (
                m.name().to_string(),
                MetricResult {
                    family: m.definition.family.name().to_string(),
                    better: m.better(),
                    overall: est[0],
                    n_undefined: m.values.len() - defined,
                    slices: BTreeMap::new(),
                },
            )
        })
        .collect();

    for (c, (col, disparities)) in slices.iter().zip(per_column).enumerate() {
        let labels: Vec<String> = col.groups.iter().map(|g| g.label.clone()).collect();
        for (j, (m, d)) in metrics.iter().zip(disparities).enumerate() {
            let disparity = d.map(|d| {
                let mut d = DisparityResult::labelled(d, &labels);
                if m.better() != Better::Higher {
                    // The four-fifths rule reads "a group gets less than 80% of the good thing";
                    // it is not defined for metrics where lower is better or neither is.
                    for g in d.groups.values_mut() {
                        g.four_fifths = None;
                    }
                }
                d
            });
            let group_means = disparity
                .as_ref()
                .map(|d| {
                    d.groups
                        .iter()
                        .map(|(label, g)| (label.clone(), g.estimate))
                        .collect()
                })
                .unwrap_or_default();
            let withheld = col.shown().filter(|&g| !published[j][c][g]).count();
            out.get_mut(m.name())
                .expect("metric present")
                .slices
                .insert(
                    col.name.clone(),
                    SliceMetric {
                        groups: group_means,
                        disparity,
                        groups_withheld: withheld,
                    },
                );
        }
    }
    out
}

/// Per metric, per slice column, per group: whether the metric's value for the group is
/// published. The population of a metric is its users with a defined value; metrics with the
/// same population share one decision.
fn published_groups_per_metric(
    columns: &[&[f64]],
    slices: &[SliceColumn],
    min_size: usize,
) -> Vec<Vec<Vec<bool>>> {
    let codes: Vec<&[u32]> = slices.iter().map(|c| c.codes.as_slice()).collect();
    let shown: Vec<Vec<bool>> = slices
        .iter()
        .map(|c| c.groups.iter().map(|g| !g.suppressed).collect())
        .collect();
    // Metrics with the same undefined users share one decision.
    let same_population =
        |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| x.is_nan() == y.is_nan());
    let mut decided: Vec<(usize, Vec<Vec<bool>>)> = Vec::new();
    columns
        .iter()
        .map(|values| {
            if let Some((_, d)) = decided
                .iter()
                .find(|(i, _)| same_population(columns[*i], values))
            {
                return d.clone();
            }
            let d = if values.iter().any(|x| x.is_nan()) {
                disclosure::protect(&codes, &shown, &|u| !values[u].is_nan(), min_size, &[]).shown
            } else {
                shown.clone()
            };
            let i = columns
                .iter()
                .position(|c| std::ptr::eq(*c, *values))
                .expect("own column");
            decided.push((i, d.clone()));
            d
        })
        .collect()
}
