//! Finish of the statistics that read ranks: the percentiles of the groups whose values the
//! partial state does not keep, and every utility metric's distribution (worst-decile cut-off and
//! shares, within-group Gini with its interval, worst-off group, Lorenz curves), overall and per
//! slice column, as `audit::distribution` computes them.
//!
//! A group whose values the state keeps (`GroupState::rows`) is ordered by the one-pass code
//! ([`order_of`]) on its values in ascending key. Any other group is read from the merged sorted
//! run of its metric ([`RankedRun`]) in two passes over the group's entries: the first counts
//! them and sums them in rank order, the second reads the order statistics, the running sums of
//! the Gini coefficient and the Lorenz curve, and adds each user's Gini term
//! g_u = (1/n) Σ_j |x_u − x_j| and worst-decile indicator to the user's bootstrap bucket. The
//! bucket sums of the linearised terms h_u = g_u − D / 2 are then Σ_bucket g_u − (users in the
//! bucket) · D / 2, and the replicates come from the one-pass engine on units laid out as
//! `Units::build` lays them out, so every weight is drawn at the one-pass position.
//!
//! Percentiles, the cut-off, the shares and the worst-off group's user share are exact; a group's
//! total, Gini, Lorenz curve and terms are sums in rank order instead of key order, so they agree
//! with the one-pass numbers within rounding (docs/scaling.md, Results).

use crate::audit::distribution::{column_of, order_of, overall_of, GroupOrder, LORENZ_POINTS};
use crate::metrics::registry::MetricDef;
use crate::metrics::{finite, Better};
use crate::result::{OverallDistribution, SliceDistribution};
use crate::stats::bootstrap::{bucket_of, mix64, replicate_units, Units, BUCKET_SALT};
use crate::stats::distribution::{in_worst_decile, is_utility, worst_decile_cut};
use crate::stats::{quantile_sorted, Quantiles, StatsConfig};

use super::finish::{kept_rows, pooled, unit_ranges, FinishError};
use super::ranked::{PartialRanked, RankedRun};
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

/// The rank statistics of the groups of one partition of the users (`group_of(i)`: the group of
/// entry i of `run`, `None` for users in none) for which `wanted[g]`. `cut` is the metric's
/// worst-decile cut-off, `shown[g]` whether group g is published (its Gini and Lorenz curve are
/// produced), `units` the bootstrap buckets (> 0).
#[allow(clippy::too_many_arguments)]
pub(crate) fn rank_groups(
    run: &RankedRun,
    group_of: &dyn Fn(usize) -> Option<usize>,
    wanted: &[bool],
    shown: &[bool],
    cut: Option<f64>,
    better: Better,
    units: usize,
    seed: u64,
) -> Vec<Option<GroupRanks>> {
    let n_groups = wanted.len();
    let entries = || {
        (0..run.len()).filter_map(|i| {
            group_of(i)
                .filter(|&g| g < n_groups && wanted[g])
                .map(|g| (i, g))
        })
    };
    let mut n = vec![0usize; n_groups];
    let mut total = vec![0.0; n_groups];
    for (i, g) in entries() {
        n[g] += 1;
        total[g] += run.values[i];
    }
    let mut passes: Vec<Option<Pass>> = (0..n_groups)
        .map(|g| {
            wanted[g].then(|| Pass {
                n: n[g],
                total: total[g],
                rank: 0,
                sum_below: 0.0,
                weighted: 0.0,
                sum_g: 0.0,
                worst: 0,
                at: [(None, None); 3],
                lorenz_at: lorenz_indices(n[g], LORENZ_POINTS),
                cumulative: Vec::new(),
                g: vec![0.0; units],
                worst_of: vec![0.0; units],
                defined: vec![0.0; units],
            })
        })
        .collect();
    let bucket_key = mix64(seed ^ BUCKET_SALT);
    for (i, g) in entries() {
        let p = passes[g].as_mut().expect("a wanted group");
        let x = run.values[i];
        let r = p.rank;
        for (&q, at) in LEVELS.iter().zip(&mut p.at) {
            let (_, lo) = low_rank(p.n, q);
            if r == lo {
                at.0 = Some(x);
            } else if r == lo + 1 {
                at.1 = Some(x);
            }
        }
        if p.lorenz_at.get(p.cumulative.len()) == Some(&r) {
            p.cumulative.push(p.sum_below / p.total);
        }
        let nf = p.n as f64;
        p.weighted += (2.0 * (r + 1) as f64 - nf - 1.0) * x;
        let below = r as f64;
        let above = (p.n - r - 1) as f64;
        let sum_above = p.total - p.sum_below - x;
        let g_u = (x * below - p.sum_below + sum_above - x * above) / nf;
        p.sum_g += g_u;
        let k = bucket_of(bucket_key, run.keys[i], units) as usize;
        p.g[k] += g_u;
        p.defined[k] += 1.0;
        if cut.is_some_and(|c| in_worst_decile(x, c, better)) {
            p.worst += 1;
            p.worst_of[k] += 1.0;
        }
        p.sum_below += x;
        p.rank += 1;
    }
    passes
        .into_iter()
        .enumerate()
        .map(|(g, p)| p.map(|p| p.finish(cut, shown.get(g) == Some(&true))))
        .collect()
}

impl Pass {
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

/// Every metric's worst-decile cut-off (`None` for metrics that are not utilities): from the
/// overall group's kept values, or from the merged run (its entries are every defined value).
pub(crate) fn cuts(
    state: &PartialAudit,
    ranked: Option<&PartialRanked>,
) -> Result<Vec<Option<f64>>, FinishError> {
    let m = state.defs.len();
    state
        .defs
        .iter()
        .enumerate()
        .map(|(j, def)| {
            if !is_utility(def) {
                return Ok(None);
            }
            if let Some(rows) = &state.overall.rows {
                return Ok(worst_decile_cut(&row_values(rows, m, j), def.better));
            }
            let run = run_of(ranked, j)?;
            let q = match def.better {
                Better::Higher => 0.1,
                Better::Lower => 0.9,
                _ => return Ok(None),
            };
            Ok(quantile_of_sorted_run(&run.values, q))
        })
        .collect()
}

/// [`crate::stats::quantile_unsorted`] of values already in ascending order: the type-7
/// [`quantile_sorted`] of the definition, `None` when there are none.
fn quantile_of_sorted_run(sorted: &[f64], q: f64) -> Option<f64> {
    (!sorted.is_empty())
        .then(|| quantile_sorted(sorted, q))
        .and_then(finite)
}

fn run_of(ranked: Option<&PartialRanked>, j: usize) -> Result<&RankedRun, FinishError> {
    ranked.and_then(|r| r.runs.get(j)).ok_or_else(|| {
        FinishError(
            "percentiles and distributions of groups whose values are not kept need the merged \
             sorted values (`map_ranked`)"
                .to_string(),
        )
    })
}

/// Metric j's distribution over every user (`audit::distribution::overall`), and the overall
/// percentiles when the overall group's values are not kept.
pub(crate) fn overall(
    state: &PartialAudit,
    ranked: Option<&PartialRanked>,
    j: usize,
    cut: Option<f64>,
) -> Result<(Option<Quantiles>, Option<OverallDistribution>), FinishError> {
    let m = state.defs.len();
    let def: &MetricDef = state.defs[j];
    let cfg = state.settings.stats;
    let utility = is_utility(def);
    let (order, contribution, quantiles) = match &state.overall.rows {
        Some(rows) => {
            if !utility {
                return Ok((None, None));
            }
            let (order, c) = order_of_rows(rows, m, j, cut, def.better, true, true);
            (order, c, None)
        }
        None => {
            let run = run_of(ranked, j)?;
            let units = cfg.bootstrap_units;
            let mut ranks = rank_groups(
                run,
                &|_| Some(0),
                &[true],
                &[true],
                cut,
                def.better,
                units.max(1),
                cfg.seed,
            );
            let ranks = ranks.pop().flatten().expect("the one group");
            let quantiles = Some(ranks.order.quantiles);
            if !utility {
                return Ok((quantiles, None));
            }
            (ranks.order.clone(), Contribution::Buckets(ranks), quantiles)
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
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub(crate) fn per_column(
    state: &PartialAudit,
    ranked: Option<&PartialRanked>,
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
    for (j, def) in state.defs.iter().enumerate() {
        let shown = &published[j][c];
        let utility = is_utility(def);
        // Groups read from the merged run: not kept, and published (percentiles) or, for a
        // utility, resampled.
        let wanted: Vec<bool> = groups
            .iter()
            .enumerate()
            .map(|(g, s)| s.rows.is_none() && (shown[g] || (utility && resampled[g])))
            .collect();
        let mut ranked_groups = if wanted.iter().any(|&w| w) {
            let run = run_of(ranked, j)?;
            let group_of = |i: usize| Some(run.code(i, c) as usize);
            rank_groups(
                run,
                &group_of,
                &wanted,
                shown,
                cuts[j],
                def.better,
                cfg.bootstrap_units.max(1),
                cfg.seed,
            )
        } else {
            vec![None; groups.len()]
        };
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
                (None, None) => unreachable!("wanted above"),
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

    /// A run of one column from (value, key, group) entries in any order.
    fn run(entries: &[(f64, u64, u32)]) -> RankedRun {
        let keys: Vec<u64> = entries.iter().map(|e| e.1).collect();
        let codes: Vec<u32> = entries.iter().map(|e| e.2).collect();
        let values: Vec<f64> = entries.iter().map(|e| e.0).collect();
        let mut ranked = super::super::ranked::map_ranked(&keys, &[&codes], &[&values]);
        ranked.runs.pop().unwrap()
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
        let group_of = |i: usize| Some(r.code(i, 0) as usize);
        let got = rank_groups(
            &r,
            &group_of,
            &[true, true],
            &[true, true],
            Some(1.5),
            Better::Higher,
            1,
            7,
        );
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
        let group_of = |i: usize| Some(r.code(i, 0) as usize);
        let got = rank_groups(
            &r,
            &group_of,
            &[true, true],
            &[true, false],
            None,
            Better::Higher,
            4,
            7,
        );
        let zero = &got[0].as_ref().unwrap().order;
        assert_eq!((zero.gini, zero.lorenz.as_ref()), (None, None));
        assert_eq!(zero.worst_decile_share, None);
        let hidden = &got[1].as_ref().unwrap().order;
        assert_eq!((hidden.gini, hidden.lorenz.as_ref()), (None, None));
        assert_eq!(got[1].as_ref().unwrap().order.quantiles.q50, Some(0.6));
    }

    #[test]
    fn quantiles_of_a_sorted_run_equal_the_unsorted_definition() {
        let sorted = [0.0, 0.0, 0.25, 0.5, 0.5, 1.0, 3.0];
        for q in [0.0, 0.1, 0.5, 0.9, 1.0] {
            let mut v = sorted.to_vec();
            v.reverse();
            assert_eq!(
                quantile_of_sorted_run(&sorted, q),
                crate::stats::quantile_unsorted(&mut v, q)
            );
        }
        assert_eq!(quantile_of_sorted_run(&[], 0.5), None);
    }
}
