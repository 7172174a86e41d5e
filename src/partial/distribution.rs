//! Finish of the statistics that read ranks: the percentiles of the groups whose values the
//! partial state does not keep, and every utility metric's distribution (worst-decile cut-off and
//! shares, within-group Gini with its interval, worst-off group, Lorenz curves), overall and per
//! slice column, as `audit::distribution` computes them.
//!
//! A group whose values the state keeps (`GroupState::rows`) is ordered by the one-pass code
//! ([`order_of`]) on its values in ascending key. Any other group is read from the merged sorted
//! run of its metric (a [`RankedSource`]: the runs merged in memory, or every partition's run on
//! disk merged as streams) in two passes per metric over the run, each serving every group of
//! every slice column and the overall group at once ([`rank_metrics`]): the first reads the
//! worst-decile cut-off's order statistics and counts and sums each group's entries in rank
//! order, the second reads the order statistics, the running sums of
//! the Gini coefficient and the Lorenz curve, and adds each user's Gini term
//! g_u = (1/n) Σ_j |x_u − x_j| and worst-decile indicator to the user's bootstrap bucket. The
//! bucket sums of the linearised terms h_u = g_u − D / 2 are then Σ_bucket g_u − (users in the
//! bucket) · D / 2, and the replicates come from the one-pass engine on units laid out as
//! `Units::build` lays them out, so every weight is drawn at the one-pass position.
//!
//! Percentiles, the cut-off, the shares and the worst-off group's user share are exact; a group's
//! total, Gini, Lorenz curve and terms are sums in rank order, as the one-pass definitions sum
//! them, so they are the one-pass bits too; the bucket sums of the terms add a bucket's users in
//! rank order instead of key order, so the Gini intervals agree within rounding
//! (docs/scaling.md, Results).

use rayon::prelude::*;

use crate::audit::distribution::{column_of, order_of, overall_of, GroupOrder, LORENZ_POINTS};
use crate::metrics::registry::MetricDef;
use crate::metrics::{finite, Better};
use crate::result::{OverallDistribution, SliceDistribution};
use crate::stats::bootstrap::{bucket_of, mix64, replicate_units, Units, BUCKET_SALT};
use crate::stats::distribution::{in_worst_decile, is_utility, worst_decile_cut};
use crate::stats::{Quantiles, StatsConfig};

use super::finish::{kept_rows, pooled, unit_ranges, FinishError};
use super::spill::RankedSource;
use super::state::{GroupState, PartialAudit, Rows};

/// The percentile levels of [`Quantiles`].
const LEVELS: [f64; 3] = [0.1, 0.5, 0.9];

/// One group's rank statistics from its entries of a metric's merged run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GroupRanks {
    /// The group's [`GroupOrder`] (Gini and Lorenz only when the group is published).
    order: GroupOrder,
    /// Per bootstrap bucket: Σ g_u, Σ worst-decile indicator, users with a defined value.
    g: Vec<f64>,
    worst: Vec<f64>,
    defined: Vec<f64>,
    /// D = the mean of g_u over the group.
    d: f64,
}

/// Running state of one group in the second pass.
struct Pass {
    n: usize,
    total: f64,
    rank: usize,
    sum_below: f64,
    weighted: f64,
    sum_g: f64,
    worst: usize,
    /// The values at ranks ⌊h⌋ and ⌊h⌋ + 1 of each level.
    at: [(Option<f64>, Option<f64>); 3],
    /// Lorenz: the indices of the cumulative sums read, ascending, and their values.
    lorenz_at: Vec<usize>,
    cumulative: Vec<f64>,
    g: Vec<f64>,
    worst_of: Vec<f64>,
    defined: Vec<f64>,
}

/// ⌊h⌋ of level q over n values (type 7).
fn low_rank(n: usize, q: f64) -> (f64, usize) {
    let h = (n - 1) as f64 * q;
    (h, h.floor() as usize)
}

/// The Lorenz curve's indices of the cumulative sums at population shares t / m, as
/// `SortedGroup::lorenz` reads them: ⌊h⌋ and ⌊h⌋ + 1 (at most n) with h = n t / m.
fn lorenz_indices(n: usize, m: usize) -> Vec<usize> {
    let mut at: Vec<usize> = (0..=m)
        .flat_map(|t| {
            let h = t as f64 / m as f64 * n as f64;
            let lo = (h.floor() as usize).min(n);
            [lo, (lo + 1).min(n)]
        })
        .collect();
    at.sort_unstable();
    at.dedup();
    at
}

/// The users read in one pass over a metric's run, grouped: the whole population (`column`
/// `None`: one group) or the groups of slice column c (an entry's group is its code in column c).
pub(crate) struct Grouping {
    /// The slice column, `None` for the whole population.
    pub(crate) column: Option<usize>,
    /// Which groups are read (a code beyond it is in no group read).
    pub(crate) wanted: Vec<bool>,
    /// Which groups are published (their Gini coefficient and Lorenz curve are produced).
    pub(crate) shown: Vec<bool>,
}

impl Grouping {
    /// The group of an entry with slice codes `codes`, when it is read.
    fn group_of(&self, codes: &[u32]) -> Option<usize> {
        let g = match self.column {
            None => 0,
            Some(c) => *codes.get(c)? as usize,
        };
        self.wanted.get(g).copied().unwrap_or(false).then_some(g)
    }
}

/// Where a metric's worst-decile cut-off comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Cut {
    /// Already known (from the overall group's kept values), or none.
    Known(Option<f64>),
    /// The type-7 percentile at this level of every entry of the run, read in the first pass.
    Run(f64),
}

/// The rank statistics of the wanted groups of each grouping (`[grouping][group]`).
type GroupingRanks = Vec<Vec<Option<GroupRanks>>>;

/// The worst-decile cut-off and the rank statistics of the wanted groups of every grouping
/// (`[grouping][group]`) of metric j, in two passes over its merged run (`source`): the first
/// reads the cut-off's order statistics and counts and sums each wanted group in rank order, the
/// second reads every group's order statistics, Gini sums, Lorenz curve and bucket sums. `units`
/// is the number of bootstrap buckets (> 0).
pub(crate) fn rank_groups(
    source: &dyn RankedSource,
    j: usize,
    groupings: &[Grouping],
    cut: Cut,
    better: Better,
    units: usize,
    seed: u64,
) -> Result<(Option<f64>, GroupingRanks), FinishError> {
    let read_error = |e: std::io::Error| FinishError(format!("the sorted runs: {e}"));
    let len = source.len(j);
    // The cut-off's ranks: `quantile_sorted` over the run's values.
    let cut_at = match cut {
        Cut::Run(q) if len > 0 => {
            let h = (len - 1) as f64 * q.clamp(0.0, 1.0);
            let lo = h.floor() as usize;
            Some((h, lo, (lo + 1).min(len - 1)))
        }
        _ => None,
    };
    let (mut x_lo, mut x_hi) = (None, None);
    let mut n: Vec<Vec<usize>> = groupings.iter().map(|g| vec![0; g.wanted.len()]).collect();
    let mut total: Vec<Vec<f64>> = groupings
        .iter()
        .map(|g| vec![0.0; g.wanted.len()])
        .collect();
    let mut rank = 0usize;
    let any_wanted = groupings.iter().any(|g| g.wanted.contains(&true));
    if any_wanted || cut_at.is_some() {
        source
            .visit(j, &mut |x, _, codes| {
                if let Some((_, lo, hi)) = cut_at {
                    if rank == lo {
                        x_lo = Some(x);
                    }
                    if rank == hi {
                        x_hi = Some(x);
                    }
                }
                rank += 1;
                for (k, grouping) in groupings.iter().enumerate() {
                    if let Some(g) = grouping.group_of(codes) {
                        n[k][g] += 1;
                        total[k][g] += x;
                    }
                }
            })
            .map_err(read_error)?;
        if rank != len {
            return Err(FinishError(format!(
                "the sorted runs of metric {j} hold {rank} entries, {len} expected"
            )));
        }
    }
    let cut = match (cut, cut_at) {
        (Cut::Known(c), _) => c,
        (Cut::Run(_), None) => None,
        (Cut::Run(_), Some((h, lo, _))) => match (x_lo, x_hi) {
            (Some(a), Some(b)) => finite(a + (h - lo as f64) * (b - a)),
            _ => None,
        },
    };
    let mut passes: Vec<Vec<Option<Pass>>> = groupings
        .iter()
        .enumerate()
        .map(|(k, grouping)| {
            grouping
                .wanted
                .iter()
                .enumerate()
                .map(|(g, &wanted)| wanted.then(|| Pass::new(n[k][g], total[k][g], units)))
                .collect()
        })
        .collect();
    if any_wanted {
        let bucket_key = mix64(seed ^ BUCKET_SALT);
        source
            .visit(j, &mut |x, key, codes| {
                for (grouping, passes) in groupings.iter().zip(passes.iter_mut()) {
                    if let Some(g) = grouping.group_of(codes) {
                        let p = passes[g].as_mut().expect("a wanted group");
                        p.add(x, key, cut, better, bucket_key, units);
                    }
                }
            })
            .map_err(read_error)?;
    }
    let ranks = passes
        .into_iter()
        .zip(groupings)
        .map(|(passes, grouping)| {
            passes
                .into_iter()
                .enumerate()
                .map(|(g, p)| p.map(|p| p.finish(cut, grouping.shown.get(g) == Some(&true))))
                .collect()
        })
        .collect();
    Ok((cut, ranks))
}

impl Pass {
    /// A group of n entries summing to `total`, with `units` bootstrap buckets.
    fn new(n: usize, total: f64, units: usize) -> Pass {
        Pass {
            n,
            total,
            rank: 0,
            sum_below: 0.0,
            weighted: 0.0,
            sum_g: 0.0,
            worst: 0,
            at: [(None, None); 3],
            lorenz_at: lorenz_indices(n, LORENZ_POINTS),
            cumulative: Vec::new(),
            g: vec![0.0; units],
            worst_of: vec![0.0; units],
            defined: vec![0.0; units],
        }
    }

    /// The group's next entry in rank order: value x of the user with key `key`.
    fn add(
        &mut self,
        x: f64,
        key: u64,
        cut: Option<f64>,
        better: Better,
        bucket_key: u64,
        units: usize,
    ) {
        let r = self.rank;
        for (&q, at) in LEVELS.iter().zip(&mut self.at) {
            let (_, lo) = low_rank(self.n, q);
            if r == lo {
                at.0 = Some(x);
            } else if r == lo + 1 {
                at.1 = Some(x);
            }
        }
        if self.lorenz_at.get(self.cumulative.len()) == Some(&r) {
            self.cumulative.push(self.sum_below / self.total);
        }
        let nf = self.n as f64;
        self.weighted += (2.0 * (r + 1) as f64 - nf - 1.0) * x;
        let below = r as f64;
        let above = (self.n - r - 1) as f64;
        let sum_above = self.total - self.sum_below - x;
        let g_u = (x * below - self.sum_below + sum_above - x * above) / nf;
        self.sum_g += g_u;
        let k = bucket_of(bucket_key, key, units) as usize;
        self.g[k] += g_u;
        self.defined[k] += 1.0;
        if cut.is_some_and(|c| in_worst_decile(x, c, better)) {
            self.worst += 1;
            self.worst_of[k] += 1.0;
        }
        self.sum_below += x;
        self.rank += 1;
    }

    fn finish(mut self, cut: Option<f64>, shown: bool) -> GroupRanks {
        let n = self.n;
        let total = self.total;
        if self.lorenz_at.last() == Some(&n) && self.cumulative.len() < self.lorenz_at.len() {
            self.cumulative.push(self.sum_below / total);
        }
        let quantile = |q: f64, (lo_x, hi_x): (Option<f64>, Option<f64>)| {
            let (h, lo) = low_rank(n, q);
            let x_lo = lo_x?;
            let step = hi_x.map_or(0.0, |x_hi| x_hi - x_lo);
            finite(x_lo + (h - lo as f64) * step)
        };
        let quantiles = if n == 0 {
            Quantiles::default()
        } else {
            Quantiles {
                q10: quantile(LEVELS[0], self.at[0]),
                q50: quantile(LEVELS[1], self.at[1]),
                q90: quantile(LEVELS[2], self.at[2]),
            }
        };
        let has_utility = n > 0 && total > 0.0;
        let gini = (shown && has_utility)
            .then(|| finite(self.weighted / (n as f64 * total)))
            .flatten();
        let lorenz = (shown && has_utility && total.is_finite()).then(|| {
            let cum = |i: usize| {
                let at = self.lorenz_at.binary_search(&i).expect("a read index");
                self.cumulative[at]
            };
            (0..=LORENZ_POINTS)
                .map(|t| {
                    let p = t as f64 / LORENZ_POINTS as f64;
                    let h = p * n as f64;
                    let lo = (h.floor() as usize).min(n);
                    let hi = (lo + 1).min(n);
                    (p, cum(lo) + (h - lo as f64) * (cum(hi) - cum(lo)))
                })
                .collect()
        });
        GroupRanks {
            order: GroupOrder {
                n,
                total,
                quantiles,
                worst_decile_share: cut.and_then(|_| (n > 0).then(|| self.worst as f64 / n as f64)),
                gini,
                lorenz,
            },
            g: self.g,
            worst: self.worst_of,
            defined: self.defined,
            d: if n > 0 { self.sum_g / n as f64 } else { 0.0 },
        }
    }
}

/// What one group contributes to a metric's distribution bootstrap (the columns: values,
/// worst-decile indicator, Gini terms).
enum Contribution {
    /// Per kept row (in key order): indicator and terms, NaN where undefined.
    Rows { worst: Vec<f64>, terms: Vec<f64> },
    /// Per bucket, from the merged run.
    Buckets(GroupRanks),
    /// Neither resampled nor published.
    None,
}

/// Metric j's values of `rows`, in row order, NaN included.
fn row_values(rows: &Rows, m: usize, j: usize) -> Vec<f64> {
    (0..rows.keys.len())
        .map(|i| rows.values[i * m + j])
        .collect()
}

/// The [`GroupOrder`] of a group with kept rows and its per-row indicator and terms.
fn order_of_rows(
    rows: &Rows,
    m: usize,
    j: usize,
    cut: Option<f64>,
    better: Better,
    shown: bool,
    resample: bool,
) -> (GroupOrder, Contribution) {
    let all = row_values(rows, m, j);
    let defined: Vec<f64> = all.iter().copied().filter(|x| !x.is_nan()).collect();
    let (order, group_terms) = order_of(&defined, cut, better, shown, resample);
    let worst: Vec<f64> = all
        .iter()
        .map(|&x| match cut {
            Some(c) if !x.is_nan() => f64::from(u8::from(in_worst_decile(x, c, better))),
            _ => f64::NAN,
        })
        .collect();
    let mut terms = vec![f64::NAN; all.len()];
    let mut next = group_terms.into_iter();
    if resample {
        for (t, x) in terms.iter_mut().zip(&all) {
            if !x.is_nan() {
                *t = next.next().expect("a term per defined value");
            }
        }
    }
    (order, Contribution::Rows { worst, terms })
}

/// The distribution units of one slice column (or the overall group) over the chosen metrics
/// (`chosen[i]` = j, `contributions[i][g]`): three columns per metric as
/// `audit::distribution` bootstraps them, laid out as `Units::build` lays them out.
fn distribution_units(
    groups: &[&GroupState],
    m: usize,
    chosen: &[usize],
    contributions: &[Vec<Contribution>],
    cuts: &[Option<f64>],
    cfg: &StatsConfig,
) -> Result<Units, FinishError> {
    let p = 3 * chosen.len();
    let stride = 2 * p + 1;
    let max_units = cfg.bootstrap_units;
    let (ranges, len) = unit_ranges(groups, max_units);
    let bucket_key = mix64(cfg.seed ^ BUCKET_SALT);
    let mut data = vec![0.0; len * stride];
    for (gi, (g, range)) in groups.iter().zip(&ranges).enumerate() {
        if range.is_empty() {
            continue;
        }
        let at = |slot: usize, unit: usize| slot * len + range.start + unit;
        // Adds a value (NaN: undefined) to a column's sum and defined count of a unit.
        let put = |data: &mut [f64], slot: usize, unit: usize, x: f64| {
            data[at(slot, unit)] += if x.is_nan() { 0.0 } else { x };
            data[at(p + slot, unit)] += f64::from(u8::from(!x.is_nan()));
        };
        if pooled(g, max_units) {
            let bucket = |key: u64| bucket_of(bucket_key, key, max_units) as usize;
            for (i, &j) in chosen.iter().enumerate() {
                let (xs, ws, hs) = (3 * i, 3 * i + 1, 3 * i + 2);
                for k in 0..max_units {
                    data[at(xs, k)] = g.buckets[j * max_units + k];
                    data[at(p + xs, k)] = g.buckets[(m + j) * max_units + k];
                }
                match &contributions[i][gi] {
                    Contribution::Rows { worst, terms } => {
                        let rows = g.rows.as_ref().expect("rows of a row contribution");
                        for (r, &key) in rows.keys.iter().enumerate() {
                            put(&mut data, ws, bucket(key), worst[r]);
                            put(&mut data, hs, bucket(key), terms[r]);
                        }
                    }
                    Contribution::Buckets(ranks) => {
                        for k in 0..max_units {
                            let users = ranks.defined[k];
                            if cuts[i].is_some() {
                                data[at(ws, k)] = ranks.worst[k];
                                data[at(p + ws, k)] = users;
                            }
                            data[at(hs, k)] = ranks.g[k] - users * ranks.d / 2.0;
                            data[at(p + hs, k)] = users;
                        }
                    }
                    Contribution::None => {}
                }
            }
            for k in 0..max_units {
                data[at(2 * p, k)] = g.buckets[2 * m * max_units + k];
            }
        } else {
            let rows = kept_rows(g)?;
            for (i, &j) in chosen.iter().enumerate() {
                let (xs, ws, hs) = (3 * i, 3 * i + 1, 3 * i + 2);
                for r in 0..rows.keys.len() {
                    put(&mut data, xs, r, rows.values[r * m + j]);
                }
                if let Contribution::Rows { worst, terms } = &contributions[i][gi] {
                    for r in 0..rows.keys.len() {
                        put(&mut data, ws, r, worst[r]);
                        put(&mut data, hs, r, terms[r]);
                    }
                }
            }
            for r in 0..rows.keys.len() {
                data[at(2 * p, r)] = 1.0;
            }
        }
    }
    Ok(Units::from_parts(stride, ranges, data))
}

/// What one metric's passes over its merged run give: the worst-decile cut-off (`None` for
/// metrics that are not utilities), and the rank statistics of the overall group and of each
/// slice column's groups (`columns[c][g]`) whose values the state does not keep.
pub(crate) struct MetricRanks {
    pub(crate) cut: Option<f64>,
    pub(crate) overall: Option<GroupRanks>,
    pub(crate) columns: GroupingRanks,
}

/// The source's check: it has metric j's run, with the state's slice columns.
fn run_of<'a>(
    state: &PartialAudit,
    ranked: Option<&'a dyn RankedSource>,
    j: usize,
) -> Result<&'a dyn RankedSource, FinishError> {
    let source = ranked.filter(|r| j < r.metrics()).ok_or_else(|| {
        FinishError(
            "percentiles and distributions of groups whose values are not kept need the merged \
             sorted values (`map_ranked`)"
                .to_string(),
        )
    })?;
    if source.columns() != state.columns.len() {
        return Err(FinishError(format!(
            "the sorted runs hold {} slice columns, the state {}",
            source.columns(),
            state.columns.len()
        )));
    }
    Ok(source)
}

/// Every metric's [`MetricRanks`], each metric's in two passes over its merged run (none when
/// every group's values are kept): the overall group's percentiles when its values are not kept,
/// and a column's groups that are not kept and published (percentiles) or, for a utility,
/// resampled (`resampled[c][g]`: the column's group is not suppressed). The cut-off comes from
/// the overall group's kept values, or from the run (its entries are every defined value).
pub(crate) fn rank_metrics(
    state: &PartialAudit,
    ranked: Option<&dyn RankedSource>,
    published: &[Vec<Vec<bool>>],
    resampled: &[Vec<bool>],
) -> Result<Vec<MetricRanks>, FinishError> {
    let m = state.defs.len();
    let cfg = state.settings.stats;
    let kept = state.overall.rows.as_ref();
    // Metrics on all cores: each metric's passes are read by one thread (the sources read at
    // offsets, so several metrics' runs are read at once).
    state
        .defs
        .par_iter()
        .enumerate()
        .map(|(j, def)| {
            let utility = is_utility(def);
            let cut = match (utility, kept, def.better) {
                (false, _, _) => Cut::Known(None),
                (true, Some(rows), better) => {
                    Cut::Known(worst_decile_cut(&row_values(rows, m, j), better))
                }
                (true, None, Better::Higher) => Cut::Run(0.1),
                (true, None, Better::Lower) => Cut::Run(0.9),
                (true, None, _) => Cut::Known(None),
            };
            let mut groupings = vec![Grouping {
                column: None,
                wanted: vec![kept.is_none()],
                shown: vec![true],
            }];
            for (c, groups) in state.columns.iter().enumerate() {
                let shown = &published[j][c];
                groupings.push(Grouping {
                    column: Some(c),
                    wanted: groups
                        .iter()
                        .enumerate()
                        .map(|(g, s)| {
                            s.rows.is_none() && (shown[g] || (utility && resampled[c][g]))
                        })
                        .collect(),
                    shown: shown.clone(),
                });
            }
            let needed =
                matches!(cut, Cut::Run(_)) || groupings.iter().any(|g| g.wanted.contains(&true));
            let (cut, mut ranks) = if needed {
                let source = run_of(state, ranked, j)?;
                let units = cfg.bootstrap_units.max(1);
                rank_groups(source, j, &groupings, cut, def.better, units, cfg.seed)?
            } else {
                let Cut::Known(cut) = cut else {
                    unreachable!("a cut-off from the run is needed")
                };
                let none = groupings.iter().map(|g| vec![None; g.wanted.len()]);
                (cut, none.collect())
            };
            if !utility {
                // Only the percentiles are read: the bucket sums are dropped.
                for r in ranks.iter_mut().flatten().flatten() {
                    r.g = Vec::new();
                    r.worst = Vec::new();
                    r.defined = Vec::new();
                }
            }
            let overall = ranks.remove(0).pop().flatten();
            Ok(MetricRanks {
                cut,
                overall,
                columns: ranks,
            })
        })
        .collect()
}

/// Metric j's distribution over every user (`audit::distribution::overall`), and the overall
/// percentiles when the overall group's values are not kept (`ranks`: the group's rank
/// statistics from the merged run, [`rank_metrics`]).
pub(crate) fn overall(
    state: &PartialAudit,
    j: usize,
    cut: Option<f64>,
    ranks: Option<GroupRanks>,
) -> Result<(Option<Quantiles>, Option<OverallDistribution>), FinishError> {
    let m = state.defs.len();
    let def: &MetricDef = state.defs[j];
    let cfg = state.settings.stats;
    let utility = is_utility(def);
    let (order, contribution, quantiles) = match (&state.overall.rows, ranks) {
        (Some(rows), _) => {
            if !utility {
                return Ok((None, None));
            }
            let (order, c) = order_of_rows(rows, m, j, cut, def.better, true, true);
            (order, c, None)
        }
        (None, Some(ranks)) => {
            let quantiles = Some(ranks.order.quantiles);
            if !utility {
                return Ok((quantiles, None));
            }
            (ranks.order.clone(), Contribution::Buckets(ranks), quantiles)
        }
        (None, None) => {
            return Err(FinishError(
                "the overall group's rank statistics were not read".into(),
            ))
        }
    };
    let units = distribution_units(
        &[&state.overall],
        m,
        &[j],
        &[vec![contribution]],
        &[cut],
        &cfg,
    )?;
    let reps = replicate_units(&units, (0..3).map(|t| 3 + t).collect(), &[true], &cfg);
    Ok((
        quantiles,
        Some(overall_of(&order, cut, &reps, cfg.confidence)),
    ))
}

/// [`per_column`]'s percentiles (`[metric][group]`) and distributions (per metric).
type ColumnRanks = (Vec<Vec<Option<Quantiles>>>, Vec<Option<SliceDistribution>>);

/// One slice column's percentiles of the published groups whose values are not kept
/// (`[metric][group]`, `None` where the kept values or no publication decide) and every utility
/// metric's distribution over the column's groups (`audit::distribution::per_column`).
/// `ranked[j][g]`: the rank statistics of the column's groups read from metric j's merged run
/// ([`MetricRanks::columns`]).
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub(crate) fn per_column(
    state: &PartialAudit,
    ranked: Vec<Vec<Option<GroupRanks>>>,
    c: usize,
    labels: &[String],
    resampled: &[bool],
    published: &[Vec<Vec<bool>>],
    cuts: &[Option<f64>],
) -> Result<ColumnRanks, FinishError> {
    let m = state.defs.len();
    let cfg = state.settings.stats;
    let groups: Vec<&GroupState> = state.columns[c].iter().collect();
    let mut quantiles = vec![vec![None; groups.len()]; m];
    let mut chosen = Vec::new();
    let mut contributions: Vec<Vec<Contribution>> = Vec::new();
    let mut orders: Vec<Vec<Option<GroupOrder>>> = Vec::new();
    for ((j, def), mut ranked_groups) in state.defs.iter().enumerate().zip(ranked) {
        let shown = &published[j][c];
        let utility = is_utility(def);
        for (g, ranks) in ranked_groups.iter().enumerate() {
            if let (Some(r), true) = (ranks, shown[g]) {
                quantiles[j][g] = Some(r.order.quantiles);
            }
        }
        if !utility {
            continue;
        }
        let mut group_orders = Vec::with_capacity(groups.len());
        let mut group_contributions = Vec::with_capacity(groups.len());
        for (g, group) in groups.iter().enumerate() {
            let (show, resample) = (shown[g], resampled[g]);
            let (order, contribution) = match (&group.rows, ranked_groups[g].take()) {
                _ if !show && !resample => (None, Contribution::None),
                (Some(rows), _) => {
                    let (o, c) = order_of_rows(rows, m, j, cuts[j], def.better, show, resample);
                    (Some(o), c)
                }
                (None, Some(ranks)) => (Some(ranks.order.clone()), Contribution::Buckets(ranks)),
                (None, None) => {
                    return Err(FinishError(format!(
                        "the rank statistics of group {g} of slice column {c} were not read"
                    )))
                }
            };
            group_orders.push(order);
            group_contributions.push(contribution);
        }
        chosen.push(j);
        orders.push(group_orders);
        contributions.push(group_contributions);
    }
    let mut out = vec![None; m];
    if chosen.is_empty() {
        return Ok((quantiles, out));
    }
    let chosen_cuts: Vec<Option<f64>> = chosen.iter().map(|&j| cuts[j]).collect();
    let units = distribution_units(&groups, m, &chosen, &contributions, &chosen_cuts, &cfg)?;
    let p = 3 * chosen.len();
    let reps = replicate_units(&units, (0..p).map(|t| p + t).collect(), resampled, &cfg);
    let order_refs: Vec<&[Option<GroupOrder>]> = orders.iter().map(|o| o.as_slice()).collect();
    let shown: Vec<&[bool]> = published.iter().map(|p| p[c].as_slice()).collect();
    let label_refs: Vec<&str> = labels.iter().map(|l| l.as_str()).collect();
    let assembled = column_of(
        &order_refs,
        &chosen,
        &shown,
        &label_refs,
        &reps,
        cfg.confidence,
    );
    for (&j, d) in chosen.iter().zip(assembled) {
        out[j] = Some(d);
    }
    Ok((quantiles, out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::distribution::SortedGroup;

    use crate::partial::{map_ranked, PartialRanked};

    /// The runs of one metric and one column from (value, key, group) entries in any order.
    fn run(entries: &[(f64, u64, u32)]) -> PartialRanked {
        let keys: Vec<u64> = entries.iter().map(|e| e.1).collect();
        let codes: Vec<u32> = entries.iter().map(|e| e.2).collect();
        let values: Vec<f64> = entries.iter().map(|e| e.0).collect();
        map_ranked(&keys, &[&codes], &[&values])
    }

    /// [`rank_groups`] of the groups of column 0 of metric 0's run, with a known cut-off.
    fn column_ranks(
        r: &PartialRanked,
        shown: &[bool],
        cut: Option<f64>,
        units: usize,
    ) -> Vec<Option<GroupRanks>> {
        let grouping = Grouping {
            column: Some(0),
            wanted: vec![true; shown.len()],
            shown: shown.to_vec(),
        };
        let (_, mut got) =
            rank_groups(r, 0, &[grouping], Cut::Known(cut), Better::Higher, units, 7).unwrap();
        got.pop().unwrap()
    }

    #[test]
    fn rank_statistics_of_a_group_by_hand() {
        // Group 0: 6, 1, 3, 2 (sorted 1, 2, 3, 6); group 1: 4, 4. Cut-off 1.5 (higher is better).
        let r = run(&[
            (6.0, 10, 0),
            (4.0, 11, 1),
            (1.0, 12, 0),
            (3.0, 13, 0),
            (4.0, 14, 1),
            (2.0, 15, 0),
        ]);
        let got = column_ranks(&r, &[true, true], Some(1.5), 1);
        let a = got[0].as_ref().unwrap();
        // Type 7 over 1, 2, 3, 6: q10 at h = 0.3 → 1.3; q50 at 1.5 → 2.5; q90 at 2.7 → 3 + 0.7·3.
        assert_eq!(
            a.order.quantiles,
            Quantiles {
                q10: Some(1.0 + 0.3 * 1.0),
                q50: Some(2.5),
                q90: Some(3.0 + (2.7 - 2.0) * 3.0)
            }
        );
        // Gini 1/3 (stats::distribution::gini's hand-worked case), one user of four at or below
        // 1.5, total 12; g = 2, 1.5, 1.5, 3 (gini_terms' case): Σ g = 8, D = 2.
        assert_eq!(a.order.n, 4);
        assert_eq!(a.order.total, 12.0);
        assert_eq!(a.order.worst_decile_share, Some(0.25));
        assert!((a.order.gini.unwrap() - 1.0 / 3.0).abs() < 1e-15);
        assert_eq!(
            (a.g[0], a.worst[0], a.defined[0], a.d),
            (8.0, 1.0, 4.0, 2.0)
        );
        // The Lorenz curve equals the one-pass definition's on the same values.
        let x = [6.0, 1.0, 3.0, 2.0];
        assert_eq!(a.order.lorenz, SortedGroup::new(&x).lorenz(LORENZ_POINTS));
        // Group 1: two equal values, no inequality, nobody in the worst decile.
        let b = got[1].as_ref().unwrap();
        assert_eq!(b.order.gini, Some(0.0));
        assert_eq!(b.order.worst_decile_share, Some(0.0));
        assert_eq!(b.order.quantiles.q50, Some(4.0));
    }

    #[test]
    fn a_group_without_utility_has_no_gini_and_unpublished_groups_no_curve() {
        let r = run(&[(0.0, 1, 0), (0.0, 2, 0), (0.5, 3, 1), (0.7, 4, 1)]);
        let got = column_ranks(&r, &[true, false], None, 4);
        let zero = &got[0].as_ref().unwrap().order;
        assert_eq!((zero.gini, zero.lorenz.as_ref()), (None, None));
        assert_eq!(zero.worst_decile_share, None);
        let hidden = &got[1].as_ref().unwrap().order;
        assert_eq!((hidden.gini, hidden.lorenz.as_ref()), (None, None));
        assert_eq!(got[1].as_ref().unwrap().order.quantiles.q50, Some(0.6));
    }

    #[test]
    fn the_cut_off_from_a_run_equals_the_unsorted_definition() {
        let values = [3.0, 0.0, 0.5, 0.25, 1.0, 0.0, 0.5];
        let keys: Vec<u64> = (0..values.len() as u64).collect();
        let r = map_ranked(&keys, &[], &[&values]);
        for q in [0.0, 0.1, 0.5, 0.9, 1.0] {
            // Nothing wanted: the first pass reads the cut-off only.
            let overall = Grouping {
                column: None,
                wanted: vec![false],
                shown: vec![true],
            };
            let (cut, _) =
                rank_groups(&r, 0, &[overall], Cut::Run(q), Better::Higher, 1, 7).unwrap();
            let mut v = values.to_vec();
            assert_eq!(cut, crate::stats::quantile_unsorted(&mut v, q));
        }
        let empty = map_ranked(&[], &[], &[&[]]);
        let none = Grouping {
            column: None,
            wanted: vec![true],
            shown: vec![true],
        };
        let (cut, ranks) =
            rank_groups(&empty, 0, &[none], Cut::Run(0.5), Better::Higher, 1, 7).unwrap();
        assert_eq!(cut, None);
        assert_eq!(ranks[0][0].as_ref().unwrap().order.n, 0);
    }
}
