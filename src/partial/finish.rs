//! Finish: a merged [`PartialAudit`] → the `metrics` block of `audit.json` (per metric: the
//! overall mean with its interval, the undefined count, per slice column the published groups'
//! means, the disparity to the metric's reference with intervals, p-values, Benjamini–Hochberg
//! adjustment and flags, and the withheld count).
//!
//! Each step mirrors the one-pass code it replaces (`audit::summary`, `stats::disparity`) and
//! reuses its parts: the replicate engine (`stats::bootstrap::replicate_units`) on units laid out
//! as `Units::build` lays them out, the permutation test, Welch's test and `assemble`.
//! The percentiles of groups whose values the state does not keep and the utility
//! `distribution` blocks come from `partial::distribution`, which reads the merged sorted values
//! ([`RankedSource`]) for those groups.

use std::collections::BTreeMap;
use std::fmt;

use crate::metrics::Better;
use crate::result::{DisparityResult, MetricResult, SliceMetric};
use crate::slices::reference::ReferenceRule;
use crate::stats::bootstrap::{replicate_units, Layout, Statistic, Units};
use crate::stats::disparity::{assemble, Disparity, PERM_STREAM};
use crate::stats::significance::{permutation_p_values, welch_t_test, TestKind};
use crate::stats::{Quantiles, StatsConfig};

use super::distribution;
use super::plan::{protect_combinations, PlanColumn, SlicePlan};
use super::spill::RankedSource;
use super::state::{CellUsers, GroupState, Moments, PartialAudit, Rows};

/// Why a merged state cannot be finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinishError(pub String);

impl fmt::Display for FinishError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FinishError {}

/// Two groups tested against each other (the smaller index first) and the (statistic, group)
/// comparisons their test serves.
type PairOfGroups = ((usize, usize), Vec<(usize, usize)>);

/// (statistic, tested group, p-value, test).
type PairTest = (usize, usize, Option<f64>, Option<TestKind>);

/// The `metrics` block of the one-pass audit from the merged state of all users, the merged
/// sorted values of every metric (`ranked`: the [`PartialRanked`](super::PartialRanked) of
/// [`super::map_ranked`] merged in memory, or the partitions' runs on disk merged as streams,
/// [`super::SpilledRuns`]; needed only when a group's values are not kept: `None` is enough when
/// every group is small) and the slice plan. Errors
/// when the state lacks what a number needs (a group's values for a permutation test against a
/// group too large to keep them, or the sorted values) or does not match the plan.
pub fn finish_metrics(
    state: PartialAudit,
    ranked: Option<&dyn RankedSource>,
    plan: &SlicePlan,
) -> Result<BTreeMap<String, MetricResult>, FinishError> {
    let mut state = state;
    sort_rows(&mut state);
    let m = state.defs.len();
    let cfg = state.settings.stats;
    for (c, col) in plan.columns.iter().enumerate() {
        let seen: Vec<usize> = state.columns[c].iter().map(|g| g.n as usize).collect();
        if seen != col.sizes {
            return Err(FinishError(format!(
                "slice column `{}`: the partial states hold {seen:?} users per group, the plan {:?}",
                col.name, col.sizes
            )));
        }
    }
    let published = published_groups(&state, plan);
    let resampled: Vec<Vec<bool>> = plan
        .columns
        .iter()
        .map(|col| col.suppressed.iter().map(|s| !s).collect())
        .collect();
    // Two passes per metric over its merged run, for every group read from it.
    let mut ranks = distribution::rank_metrics(&state, ranked, &published, &resampled)?;
    let cuts: Vec<Option<f64>> = ranks.iter().map(|r| r.cut).collect();

    // Overall: one group of every user, every metric in one pass.
    let all: Vec<usize> = (0..m).collect();
    let units = build_units(&[&state.overall], m, &all, &cfg)?;
    let reps = replicate_units(&units, (0..m).map(|j| m + j).collect(), &[true], &cfg);
    let mut out: BTreeMap<String, MetricResult> = BTreeMap::new();
    for (j, def) in state.defs.iter().enumerate() {
        let n = reps.observed(0).count(j).round() as usize;
        let overall = reps.estimate(0, &Statistic::Mean(j), n, cfg.confidence);
        let (ranked_quantiles, distribution) =
            distribution::overall(&state, j, cuts[j], ranks[j].overall.take())?;
        let quantiles = match &state.overall.rows {
            Some(r) => Quantiles::of(&mut defined_values(r, m, j)),
            None => ranked_quantiles.unwrap_or_default(),
        };
        let defined: u64 = state
            .cells
            .iter()
            .filter(|((_, mask), _)| mask >> j & 1 == 1)
            .map(|(_, users)| users.n)
            .sum();
        out.insert(
            def.key.to_string(),
            MetricResult {
                family: def.family.name().to_string(),
                better: def.better,
                overall,
                quantiles,
                n_undefined: (state.n_users - defined) as usize,
                distribution,
                slices: BTreeMap::new(),
            },
        );
    }

    for (c, col) in plan.columns.iter().enumerate() {
        let compared = compare_column(&state, c, col, &published, &cfg)?;
        let labels = &col.labels;
        let column_ranks = ranks
            .iter_mut()
            .map(|r| std::mem::take(&mut r.columns[c]))
            .collect();
        let (ranked_quantiles, mut distributions) = distribution::per_column(
            &state,
            column_ranks,
            c,
            labels,
            &resampled[c],
            &published,
            &cuts,
        )?;
        let shown: Vec<usize> = (0..labels.len()).filter(|&g| !col.suppressed[g]).collect();
        for (j, (disparity, mut quantiles)) in compared.into_iter().enumerate() {
            for (q, ranked) in quantiles.iter_mut().zip(&ranked_quantiles[j]) {
                if let Some(r) = ranked {
                    *q = *r;
                }
            }
            let def = state.defs[j];
            let disparity =
                disparity.map(|(d, rule)| DisparityResult::labelled(d, labels, rule, def.better));
            let groups = disparity
                .as_ref()
                .map(|d| {
                    d.groups
                        .iter()
                        .map(|(label, g)| (label.clone(), g.estimate))
                        .collect()
                })
                .unwrap_or_default();
            let quantiles = shown
                .iter()
                .filter(|&&g| published[j][c][g])
                .map(|&g| (labels[g].clone(), quantiles[g]))
                .collect();
            let withheld = shown.iter().filter(|&&g| !published[j][c][g]).count();
            out.get_mut(def.key).expect("inserted above").slices.insert(
                col.name.clone(),
                SliceMetric {
                    groups,
                    quantiles,
                    disparity,
                    groups_withheld: withheld,
                    distribution: distributions[j].take(),
                },
            );
        }
    }
    Ok(out)
}

/// Sorts every group's rows by user key (the order of the one-pass member lists: the reader
/// numbers users by key). Two users of one group with the same key would be ordered by their id
/// text in the one-pass audit, which the state does not hold: about g² / 2⁶⁵ for a group of g
/// kept users, 5·10⁻¹³ at 4,096.
fn sort_rows(state: &mut PartialAudit) {
    let m = state.defs.len();
    let groups = std::iter::once(&mut state.overall).chain(state.columns.iter_mut().flatten());
    for g in groups {
        sort_group_rows(g, m);
    }
}

/// Sorts one group's rows (`m` values per user) by user key.
pub(super) fn sort_group_rows(g: &mut GroupState, m: usize) {
    if let Some(r) = &mut g.rows {
        let mut order: Vec<usize> = (0..r.keys.len()).collect();
        order.sort_unstable_by_key(|&i| r.keys[i]);
        *r = Rows {
            keys: order.iter().map(|&i| r.keys[i]).collect(),
            values: order
                .iter()
                .flat_map(|&i| r.values[i * m..(i + 1) * m].iter().copied())
                .collect(),
        };
    }
}

/// Metric j's values of `rows`, in row order, NaN included.
fn values(rows: &Rows, m: usize, j: usize) -> Vec<f64> {
    (0..rows.keys.len())
        .map(|i| rows.values[i * m + j])
        .collect()
}

/// Metric j's defined values of `rows`, in row order.
fn defined_values(rows: &Rows, m: usize, j: usize) -> Vec<f64> {
    values(rows, m, j)
        .into_iter()
        .filter(|x| !x.is_nan())
        .collect()
}

/// Per metric, per column, per group: whether the metric is published for the group
/// (`audit::summary::published_groups_per_metric`): complementary suppression over the users
/// with a defined value, one decision per distinct set of such users. The decision reads the
/// contingency table, never the users: per metric, each combination of slice codes is one row
/// standing for its users with a defined value, the rows in the order of their smallest user
/// key, which is the order the one-pass audit meets them in (`disclosure::protect_weighted`).
fn published_groups(state: &PartialAudit, plan: &SlicePlan) -> Vec<Vec<Vec<bool>>> {
    let shown: Vec<Vec<bool>> = plan
        .columns
        .iter()
        .map(|c| c.suppressed.iter().map(|s| !s).collect())
        .collect();
    let bit = |mask: u128, j: usize| mask >> j & 1 == 1;
    let same_population = |a: usize, b: usize| {
        state
            .cells
            .keys()
            .all(|(_, mask)| bit(*mask, a) == bit(*mask, b))
    };
    let mut decided: Vec<(usize, Vec<Vec<bool>>)> = Vec::new();
    (0..state.defs.len())
        .map(|j| {
            if let Some((_, d)) = decided.iter().find(|(i, _)| same_population(*i, j)) {
                return d.clone();
            }
            let d = if state.cells.keys().any(|(_, mask)| !bit(*mask, j)) {
                let rows = combinations_defined_for(state, j).into_iter();
                protect_combinations(rows, &shown, state.settings.min_size, &[])
            } else {
                shown.clone()
            };
            decided.push((j, d.clone()));
            d
        })
        .collect()
}

/// The combinations of slice codes of the users with a defined value of metric `j`, each with
/// those users ([`CellUsers`]: how many, the smallest key).
fn combinations_defined_for(state: &PartialAudit, j: usize) -> BTreeMap<&[u32], CellUsers> {
    let mut rows: BTreeMap<&[u32], CellUsers> = BTreeMap::new();
    for ((codes, mask), &users) in &state.cells {
        if mask >> j & 1 == 1 {
            CellUsers::add_to(&mut rows, codes.as_slice(), users);
        }
    }
    rows
}

/// Whether a group's resampling units are `max_units` hashed buckets (more users than that, and
/// `max_units` > 0) rather than its users.
pub(super) fn pooled(g: &GroupState, max_units: usize) -> bool {
    max_units > 0 && g.n as usize > max_units
}

/// The units of `groups` as `Units::build` lays them out, one group after another: `max_units`
/// buckets for a pooled group ([`pooled`]), one unit per user otherwise. Returns each group's
/// range of units and the units in all.
pub(super) fn unit_ranges(
    groups: &[&GroupState],
    max_units: usize,
) -> (Vec<std::ops::Range<usize>>, usize) {
    let mut ranges = Vec::with_capacity(groups.len());
    let mut len = 0;
    for g in groups {
        let units = if pooled(g, max_units) {
            max_units
        } else {
            g.n as usize
        };
        ranges.push(len..len + units);
        len += units;
    }
    (ranges, len)
}

/// The kept rows of a group resampled user by user (an error when the state dropped them).
pub(super) fn kept_rows(g: &GroupState) -> Result<&Rows, FinishError> {
    g.rows.as_ref().ok_or_else(|| {
        FinishError(format!(
            "a group of {} users is resampled user by user but its values were not kept",
            g.n
        ))
    })
}

/// The resampling units of `groups` (every group of one column, in order) over the metrics `js`,
/// as `stats::bootstrap::Units::build` lays them out: a group of more than `bootstrap_units`
/// users has that many hashed buckets, a smaller one a unit per user in ascending user key.
/// Slots: the metrics' values (NaN as 0), their defined counts, the user count.
pub(super) fn build_units(
    groups: &[&GroupState],
    m: usize,
    js: &[usize],
    cfg: &StatsConfig,
) -> Result<Units, FinishError> {
    let p = js.len();
    let stride = 2 * p + 1;
    let max_units = cfg.bootstrap_units;
    let (ranges, len) = unit_ranges(groups, max_units);
    let mut data = vec![0.0; len * stride];
    for (g, range) in groups.iter().zip(&ranges) {
        let at = |slot: usize, unit: usize| slot * len + range.start + unit;
        if range.is_empty() {
            continue;
        }
        if pooled(g, max_units) {
            for (t, &j) in js.iter().enumerate() {
                for k in 0..max_units {
                    data[at(t, k)] = g.buckets[j * max_units + k];
                    data[at(p + t, k)] = g.buckets[(m + j) * max_units + k];
                }
            }
            for k in 0..max_units {
                data[at(2 * p, k)] = g.buckets[2 * m * max_units + k];
            }
        } else {
            let rows = kept_rows(g)?;
            for i in 0..rows.keys.len() {
                for (t, &j) in js.iter().enumerate() {
                    let x = rows.values[i * m + j];
                    data[at(t, i)] = if x.is_nan() { 0.0 } else { x };
                    data[at(p + t, i)] = f64::from(u8::from(!x.is_nan()));
                }
                data[at(2 * p, i)] = 1.0;
            }
        }
    }
    Ok(Units::from_parts(stride, ranges, data))
}

/// One column's comparison of every metric (`audit::summary::compare_column`): per metric the
/// disparity and its reference rule, and per group the percentiles.
type Compared = (Option<(Disparity, ReferenceRule)>, Vec<Quantiles>);

fn compare_column(
    state: &PartialAudit,
    c: usize,
    col: &PlanColumn,
    published: &[Vec<Vec<bool>>],
    cfg: &StatsConfig,
) -> Result<Vec<Compared>, FinishError> {
    let groups: Vec<&GroupState> = state.columns[c].iter().collect();
    let m = state.defs.len();
    let mut out: Vec<Compared> = Vec::with_capacity(m);
    let mut batches: Vec<(&[bool], Vec<usize>, Vec<usize>)> = Vec::new();
    let mut rules: Vec<Option<ReferenceRule>> = Vec::with_capacity(m);
    for (j, def) in state.defs.iter().enumerate() {
        let shown = published[j][c].as_slice();
        let (means, quantiles): (Vec<Option<f64>>, Vec<Quantiles>) = groups
            .iter()
            .zip(shown)
            .map(|(g, &s)| describe(g, m, j, s))
            .unzip();
        let reference = reference_of(col, shown, &means, def.better);
        rules.push(reference.map(|(_, rule)| rule));
        out.push((None, quantiles));
        let Some((r, _)) = reference else { continue };
        match batches.iter_mut().find(|(s, _, _)| *s == shown) {
            Some((_, refs, js)) => {
                refs.push(r);
                js.push(j);
            }
            None => batches.push((shown, vec![r], vec![j])),
        }
    }
    for (eligible, refs, js) in batches {
        let ds = compare_each(&groups, m, &js, &refs, eligible, cfg)?;
        for (&j, d) in js.iter().zip(ds) {
            out[j].0 = rules[j].map(|rule| (d, rule));
        }
    }
    Ok(out)
}

/// A shown group's observed mean of metric j over its defined values and their percentiles
/// (`audit::summary::describe_groups`): from the values when the state keeps them (the one-pass
/// arithmetic), else the merged mean and no percentiles.
fn describe(g: &GroupState, m: usize, j: usize, shown: bool) -> (Option<f64>, Quantiles) {
    if !shown {
        return (None, Quantiles::default());
    }
    match &g.rows {
        Some(rows) => {
            let mut v = defined_values(rows, m, j);
            let mean = (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
            (mean, Quantiles::of(&mut v))
        }
        None => {
            let mo = g.moments.get(j).copied().unwrap_or_default();
            ((mo.n > 0).then_some(mo.mean), Quantiles::default())
        }
    }
}

/// `slices::reference::metric_reference` over the plan's group sizes.
fn reference_of(
    col: &PlanColumn,
    published: &[bool],
    means: &[Option<f64>],
    better: Better,
) -> Option<(usize, ReferenceRule)> {
    crate::slices::reference::reference_of_sizes(
        col.chosen_reference,
        &col.sizes,
        published,
        means,
        better,
    )
}

/// `stats::disparity::compare_each` for the means of metrics `js` of one column, each against
/// `refs[s]`, from the merged state.
fn compare_each(
    groups: &[&GroupState],
    m: usize,
    js: &[usize],
    refs: &[usize],
    eligible: &[bool],
    cfg: &StatsConfig,
) -> Result<Vec<Disparity>, FinishError> {
    let n_groups = groups.len();
    let p = js.len();
    let include: Vec<bool> = (0..n_groups)
        .map(|g| eligible.get(g).copied().unwrap_or(false))
        .collect();
    let elig: Vec<usize> = (0..n_groups).filter(|&g| include[g]).collect();
    let has_ref = |r: usize| include.get(r).copied().unwrap_or(false);
    let units = build_units(groups, m, js, cfg)?;
    let reps = replicate_units(&units, (0..p).map(|t| p + t).collect(), &include, cfg);
    let stats: Vec<Statistic> = (0..p).map(Statistic::Mean).collect();
    // Per statistic: defined users, observed value and replicates per group.
    type Per = (Vec<usize>, Vec<f64>, Vec<Vec<f64>>);
    let per: Vec<Per> = stats
        .iter()
        .enumerate()
        .map(|(t, s)| {
            let n = (0..n_groups)
                .map(|g| {
                    if include[g] {
                        reps.observed(g).count(t).round() as usize
                    } else {
                        0
                    }
                })
                .collect();
            let obs = (0..n_groups).map(|g| s.eval(&reps.observed(g))).collect();
            let values = (0..n_groups)
                .map(|g| {
                    if include[g] {
                        reps.values(g, s)
                    } else {
                        Vec::new()
                    }
                })
                .collect();
            (n, obs, values)
        })
        .collect();

    let mut pairs: Vec<PairOfGroups> = Vec::new();
    for (s, &r) in refs.iter().enumerate().filter(|&(_, &r)| has_ref(r)) {
        for &g in elig.iter().filter(|&&g| g != r) {
            let key = (g.min(r), g.max(r));
            match pairs.iter_mut().find(|(k, _)| *k == key) {
                Some((_, tested)) => tested.push((s, g)),
                None => pairs.push((key, vec![(s, g)])),
            }
        }
    }
    let mut tests: Vec<Vec<(Option<f64>, Option<TestKind>)>> =
        vec![vec![(None, None); p]; n_groups];
    for (_, tested) in &pairs {
        for (s, g, pv, kind) in pair_tests(groups, m, js, &stats, refs, tested, cfg)? {
            tests[g][s] = (pv, kind);
        }
    }
    Ok(per
        .iter()
        .enumerate()
        .map(|(s, (n, obs, values))| {
            assemble(
                s,
                n,
                obs,
                values,
                &elig,
                refs[s],
                has_ref(refs[s]),
                &tests,
                cfg,
            )
        })
        .collect())
}

/// `stats::disparity::pair_tests` for means: the permutation test on the two groups' values when
/// the smaller has at most `permutation_max_n` users, else Welch's test on their moments.
#[allow(clippy::too_many_arguments)]
fn pair_tests(
    groups: &[&GroupState],
    m: usize,
    js: &[usize],
    stats: &[Statistic],
    refs: &[usize],
    tested: &[(usize, usize)],
    cfg: &StatsConfig,
) -> Result<Vec<PairTest>, FinishError> {
    let (s0, g0) = tested[0];
    let r0 = refs[s0];
    let rows_of = |g: usize| {
        groups[g].rows.as_ref().ok_or_else(|| {
            FinishError(format!(
                "not yet mergeable: a permutation test needs the values of a group of {} users, \
                 more than the state keeps",
                groups[g].n
            ))
        })
    };
    if groups[g0].n.min(groups[r0].n) as usize <= cfg.permutation_max_n {
        let (a, b) = if tested.iter().all(|&(_, g)| g == g0) {
            (g0, r0)
        } else {
            (g0.min(r0), g0.max(r0))
        };
        let (ra, rb) = (rows_of(a)?, rows_of(b)?);
        let cols: Vec<Vec<f64>> = js
            .iter()
            .map(|&j| {
                let mut v = values(ra, m, j);
                v.extend(values(rb, m, j));
                v
            })
            .collect();
        let col_refs: Vec<&[f64]> = cols.iter().map(|c| c.as_slice()).collect();
        let (na, nb) = (ra.keys.len(), rb.keys.len());
        let ids: Vec<u32> = (0..(na + nb) as u32).collect();
        let layout = Layout::new(&col_refs, &ids);
        let chosen: Vec<Statistic> = tested.iter().map(|&(s, _)| stats[s]).collect();
        let ps = permutation_p_values(
            &layout,
            &ids[..na],
            &ids[na..],
            &chosen,
            cfg.permutations,
            cfg.seed,
            PERM_STREAM | ((a as u64) << 24),
        );
        return Ok(tested
            .iter()
            .zip(ps)
            .map(|(&(s, g), pv)| (s, g, pv, pv.map(|_| TestKind::Permutation)))
            .collect());
    }
    let moments = |g: usize, j: usize| -> (usize, f64, f64) {
        match &groups[g].rows {
            Some(rows) => Moments::of(&values(rows, m, j)).welch(),
            None => groups[g]
                .moments
                .get(j)
                .copied()
                .unwrap_or_default()
                .welch(),
        }
    };
    Ok(tested
        .iter()
        .map(|&(s, g)| {
            let r = refs[s];
            let (ng, mg, vg) = moments(g, js[s]);
            let (nr, mr, vr) = moments(r, js[s]);
            let pv = welch_t_test(mg, vg, ng, mr, vr, nr);
            (s, g, pv, pv.map(|_| TestKind::Welch))
        })
        .collect())
}
