//! The distribution of each utility metric over users, per slice column and group
//! (docs/statistics.md, "Distributions"): the values come from the definitions of
//! [`stats::distribution`](crate::stats::distribution), the intervals from the bootstrap of three
//! columns per metric (the values, the 0/1 worst-decile indicator and the linearised Gini terms of
//! each group), with the same groups, seed and weights as the column's means: the audit takes them
//! in the same pass as the means (`audit::summary`), `per_column` (the tests' reference) in a pass
//! of its own.

use rayon::prelude::*;

use crate::metrics::{Better, UserMetric};
use crate::result::{OverallDistribution, SliceDistribution, WorstOff};
use crate::slices::SliceColumn;
use crate::stats::bootstrap::{bootstrap_layout, Layout, Read};
use crate::stats::distribution::{
    worst_decile_cut, worst_decile_share, worst_off_of_totals, SortedGroup,
};
use crate::stats::{Estimate, Groups, Quantiles, Replicates, Statistic, StatsConfig};

/// Population shares at which the Lorenz curves are read: 0, 1/10, …, 1.
pub(crate) const LORENZ_POINTS: usize = 10;

/// Per user, 1 when the defined value is in the worst decile of cut-off `cut`, 0 when not, NaN
/// when the value (or the cut-off) is undefined: the bootstrap's column of the worst-decile
/// share. The audit reads it off the values ([`indicator_read`]); the tests' reference
/// ([`per_column`]) takes it as a column of its own.
#[cfg(test)]
pub(super) fn worst_decile_indicator(m: &UserMetric, cut: Option<f64>) -> Vec<f64> {
    m.values
        .iter()
        .map(|&x| match cut {
            Some(c) if !x.is_nan() => f64::from(u8::from(
                crate::stats::distribution::in_worst_decile(x, c, m.better()),
            )),
            _ => f64::NAN,
        })
        .collect()
}

/// How the bootstrap reads metric `m`'s [`worst_decile_indicator`] at `cut` off the metric's
/// values: each value's indicator; with no cut-off (no value of the utility metric is defined:
/// `worst_decile_cut`) the values themselves, NaN for every user like the indicator.
pub(super) fn indicator_read(m: &UserMetric, cut: Option<f64>) -> Read {
    match cut {
        Some(cut) => Read::WorstDecile {
            cut,
            better: m.better(),
        },
        None => {
            debug_assert!(
                m.values.iter().all(|x| x.is_nan()),
                "a cut-off when defined"
            );
            Read::Value
        }
    }
}

/// The defined values of `members` (NaN left out), in member order, into `defined`, with their
/// users into `users` (both cleared first).
fn defined_of(values: &[f64], members: &[u32], users: &mut Vec<u32>, defined: &mut Vec<f64>) {
    users.clear();
    defined.clear();
    users.reserve(members.len());
    defined.reserve(members.len());
    for &u in members {
        let x = values[u as usize];
        if !x.is_nan() {
            users.push(u);
            defined.push(x);
        }
    }
}

/// What one group contributes to a metric's distribution, from its users with a defined value:
/// their number and total, their percentiles (read off the sorted values), the share of them in
/// the worst decile ([`worst_decile_share`]), and, when the group is published, its Gini
/// coefficient and Lorenz curve.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GroupOrder {
    pub(crate) n: usize,
    pub(crate) total: f64,
    pub(crate) quantiles: Quantiles,
    pub(crate) worst_decile_share: Option<f64>,
    pub(crate) gini: Option<f64>,
    pub(crate) lorenz: Option<Vec<(f64, f64)>>,
}

/// Per utility metric of a slice column: its Gini terms per user (a bootstrap column beside the
/// values and the worst-decile indicator) and its [`GroupOrder`] per group.
type Derived = (Vec<f64>, Vec<Option<GroupOrder>>);

/// Metric `m`'s defined values over every user, in their stable ascending order, each at its
/// user: the whole population's order, which [`SortedGroup::split`] divides into the groups of
/// any slice column.
pub(super) fn ranked(m: &UserMetric) -> SortedGroup {
    let mut users: Vec<u32> = Vec::with_capacity(m.values.len());
    let mut x: Vec<f64> = Vec::with_capacity(m.values.len());
    for (u, &v) in m.values.iter().enumerate() {
        if !v.is_nan() {
            users.push(u as u32);
            x.push(v);
        }
    }
    SortedGroup::placed(&x, &users)
}

/// Per group of `groups` (each a member list in ascending user order), its defined values of `m`
/// ordered ([`SortedGroup::placed`], each at its user), for the groups with `wanted[g]`; `None`
/// for the others.
fn sorted_groups(m: &UserMetric, groups: &[&[u32]], wanted: &[bool]) -> Vec<Option<SortedGroup>> {
    // One pair of buffers for every group's defined values and their users.
    let largest = groups.iter().map(|g| g.len()).max().unwrap_or(0);
    let mut users: Vec<u32> = Vec::with_capacity(largest);
    let mut x: Vec<f64> = Vec::with_capacity(largest);
    groups
        .iter()
        .zip(wanted)
        .map(|(members, &wanted)| {
            wanted.then(|| {
                defined_of(&m.values, members, &mut users, &mut x);
                SortedGroup::placed(&x, &users)
            })
        })
        .collect()
}

/// Per group (`sorted[g]`: its defined values of `m` ordered, each at its user; `None` for the
/// groups neither resampled nor published): its [`GroupOrder`]; and the linearised Gini terms of
/// `m`'s values computed within each resampled group (`resampled[g]`, over its users with a
/// defined value), NaN for the other users. `cut` is the worst-decile cut-off.
fn gini_terms_and_orders(
    m: &UserMetric,
    cut: Option<f64>,
    sorted: &[Option<&SortedGroup>],
    resampled: &[bool],
    published: &[bool],
) -> Derived {
    let mut terms = vec![f64::NAN; m.values.len()];
    let orders = sorted
        .iter()
        .enumerate()
        .map(|(g, sorted)| {
            let sorted = (*sorted)?;
            if resampled.get(g) == Some(&true) {
                sorted.gini_terms_into(&mut terms);
            }
            let shown = published.get(g) == Some(&true);
            Some(group_order(sorted, cut, m.better(), shown))
        })
        .collect();
    (terms, orders)
}

/// The [`GroupOrder`] of a group's defined values `x` (in ascending user key, the order of the
/// one-pass member lists), from one sort ([`SortedGroup`]); its Gini coefficient and Lorenz curve
/// only when `shown`; and its linearised Gini terms in the order of `x` when `resample` (empty
/// otherwise).
pub(crate) fn order_of(
    x: &[f64],
    cut: Option<f64>,
    better: Better,
    shown: bool,
    resample: bool,
) -> (GroupOrder, Vec<f64>) {
    let sorted = SortedGroup::new(x);
    let terms = if resample {
        sorted.gini_terms()
    } else {
        Vec::new()
    };
    (group_order(&sorted, cut, better, shown), terms)
}

/// The [`GroupOrder`] of the values `sorted` orders; the Gini coefficient and the Lorenz curve
/// only when `shown`.
fn group_order(sorted: &SortedGroup, cut: Option<f64>, better: Better, shown: bool) -> GroupOrder {
    // The worst-decile share counts values: their order does not matter.
    let x = sorted.sorted();
    let (gini, lorenz) = if shown {
        (sorted.gini(), sorted.lorenz(LORENZ_POINTS))
    } else {
        (None, None)
    };
    GroupOrder {
        n: x.len(),
        total: sorted.total(),
        quantiles: Quantiles::of_sorted(sorted.sorted()),
        worst_decile_share: cut.and_then(|c| worst_decile_share(x, c, better)),
        gini,
        lorenz,
    }
}

/// The worst-decile cut-off of each metric (`None` for metrics that are not utilities).
pub(super) fn cuts(metrics: &[UserMetric], utility: &[bool]) -> Vec<Option<f64>> {
    metrics
        .iter()
        .zip(utility)
        .map(|(m, &u)| u.then(|| worst_decile_cut(&m.values, m.better())).flatten())
        .collect()
}

/// The distribution of utility metric `m` over all its users with a defined value (`ranked` its
/// [`ranked`] values, `cut` its worst-decile cut-off, `everyone` the one group of all users,
/// `nan_free` whether every user has a value), the percentiles of those values
/// ([`Quantiles::of`]) and their mean with its interval: the estimate
/// [`group_estimates`](crate::stats::group_estimates) gives the metric over `everyone`, from the
/// same replicates of the values (a column's replicate sums do not depend on the other columns of
/// the pass).
pub(super) fn overall(
    m: &UserMetric,
    ranked: &SortedGroup,
    cut: Option<f64>,
    everyone: &Groups,
    nan_free: bool,
    cfg: &StatsConfig,
) -> (OverallDistribution, Quantiles, Estimate) {
    let (terms, mut orders) = gini_terms_and_orders(m, cut, &[Some(ranked)], &[true], &[true]);
    let whole = orders.pop().flatten().expect("the one group");
    // The values, their worst-decile indicator (read off the values) and the Gini terms.
    let columns: [&[f64]; 3] = [&m.values, &m.values, &terms];
    // A metric defined for every user (`nan_free`) has its indicator (given a cut-off) and its
    // Gini terms defined for every user too: the layout need not scan them.
    let defined = [nan_free, nan_free && cut.is_some(), nan_free];
    let layout = Layout::with_nan_free(&columns, everyone.all(), &defined)
        .reading(1, indicator_read(m, cut));
    let reps = bootstrap_layout(&layout, everyone, &[true], cfg);
    let mean = Statistic::Mean(0);
    let n = reps.n_defined(0, &mean, &columns, everyone.members(0));
    (
        overall_of(&whole, cut, &reps, cfg.confidence),
        whole.quantiles,
        reps.estimate(0, &mean, n, cfg.confidence),
    )
}

/// The overall distribution from the whole population's [`GroupOrder`] and the replicates of one
/// group over the columns (values, worst-decile indicator, Gini terms).
pub(crate) fn overall_of(
    whole: &GroupOrder,
    cut: Option<f64>,
    reps: &Replicates,
    confidence: f64,
) -> OverallDistribution {
    let estimate = |value: Option<f64>, stat: Statistic| {
        Estimate::with_interval(value, &reps.values(0, &stat), whole.n, confidence)
    };
    OverallDistribution {
        worst_decile_cut: cut,
        worst_decile_share: estimate(whole.worst_decile_share, Statistic::Mean(1)),
        gini: estimate(whole.gini, Statistic::RatioOfMeans { num: 2, den: 0 }),
    }
}

/// Per metric, per group of a slice column: the percentiles of the group's defined values where
/// [`per_column`] ordered them (`None` for the other groups; empty for the other metrics).
pub(super) type ColumnQuantiles = Vec<Vec<Option<Quantiles>>>;

/// For every metric with `utility[j]`, its distribution over the groups of `col` published for
/// it (`published[j][g]`); `None` for the other metrics. Beside it, the percentiles of the groups
/// it ordered ([`ColumnQuantiles`]). `indicators[j]` is metric j's
/// [`worst_decile_indicator`] at `cuts[j]` (present for the utility metrics), `groups` the
/// column's groups with the users' keys. One bootstrap pass for the column, over the values,
/// indicator and Gini terms of each metric. The audit takes this pass together with the column's
/// means ([`ColumnOrders`]); this is the reference its tests hold it to.
#[cfg(test)]
#[allow(clippy::too_many_arguments)]
pub(super) fn per_column(
    metrics: &[UserMetric],
    utility: &[bool],
    cuts: &[Option<f64>],
    indicators: &[Option<Vec<f64>>],
    col: &SliceColumn,
    groups: &Groups,
    published: &[&[bool]],
    cfg: &StatsConfig,
) -> (Vec<Option<SliceDistribution>>, ColumnQuantiles) {
    // The groups' own sorts: the reference of the audit's split of the whole population's order.
    let orders = column_orders(metrics, utility, cuts, col, published, &[]);
    let quantiles = orders.quantiles(metrics.len());
    if orders.chosen.is_empty() {
        return (vec![None; metrics.len()], quantiles);
    }
    let mut columns: Vec<&[f64]> = Vec::with_capacity(3 * orders.chosen.len());
    for (i, &j) in orders.chosen.iter().enumerate() {
        let indicator = indicators[j]
            .as_deref()
            .expect("an indicator per utility metric");
        columns.extend([metrics[j].values.as_slice(), indicator, orders.terms(i)]);
    }
    let reps = crate::stats::bootstrap_sums(&columns, groups, &col.shown_mask(), cfg);
    let slots: Vec<[usize; 3]> = (0..orders.chosen.len())
        .map(|i| [3 * i, 3 * i + 1, 3 * i + 2])
        .collect();
    let out = orders.distributions(metrics.len(), col, published, &reps, &slots, cfg.confidence);
    (out, quantiles)
}

/// A slice column's distributions before their bootstrap: per utility metric (`chosen`, in metric
/// order) its Gini terms per user and its [`GroupOrder`] per group, the groups resampled being the
/// column's shown groups ([`SliceColumn::shown_mask`]).
pub(super) struct ColumnOrders {
    pub(super) chosen: Vec<usize>,
    derived: Vec<Derived>,
}

/// The [`ColumnOrders`] of the metrics with `utility[j]` over the groups of `col`, each metric's
/// Gini coefficient and Lorenz curve for the groups published for it (`published[j][g]`).
/// `ranked[j]`, where present, is the order of metric j's [`ranked`] values
/// ([`SortedGroup::into_order`]): each group's order is split off it ([`SortedGroup::split`]) when the column's groups are exactly the users of their codes in
/// ascending order ([`SliceColumn::codes_match_groups`]), and found by sorting the group's own
/// values otherwise; both give the same order, bit for bit.
pub(super) fn column_orders(
    metrics: &[UserMetric],
    utility: &[bool],
    cuts: &[Option<f64>],
    col: &SliceColumn,
    published: &[&[bool]],
    ranked: &[Option<Vec<u32>>],
) -> ColumnOrders {
    let chosen: Vec<usize> = (0..metrics.len()).filter(|&j| utility[j]).collect();
    let include: Vec<bool> = col.shown_mask();
    let members: Vec<&[u32]> = col.groups.iter().map(|g| g.users.as_slice()).collect();
    let splittable = !ranked.is_empty() && col.codes_match_groups();
    let sizes: Vec<usize> = members.iter().map(|m| m.len()).collect();
    let derived: Vec<Derived> = chosen
        .par_iter()
        .map(|&j| {
            let wanted: Vec<bool> = include
                .iter()
                .enumerate()
                .map(|(g, &resampled)| resampled || published[j].get(g) == Some(&true))
                .collect();
            let sorted = match ranked.get(j) {
                Some(Some(order)) if splittable => {
                    SortedGroup::split(order, &metrics[j].values, &col.codes, &wanted, &sizes)
                }
                _ => sorted_groups(&metrics[j], &members, &wanted),
            };
            let sorted: Vec<Option<&SortedGroup>> = sorted.iter().map(Option::as_ref).collect();
            gini_terms_and_orders(&metrics[j], cuts[j], &sorted, &include, published[j])
        })
        .collect();
    ColumnOrders { chosen, derived }
}

impl ColumnOrders {
    /// The Gini terms of the i-th chosen metric (NaN outside the resampled groups).
    pub(super) fn terms(&self, i: usize) -> &[f64] {
        &self.derived[i].0
    }

    /// The percentiles of the groups ordered, per metric of `n_metrics` ([`ColumnQuantiles`]).
    pub(super) fn quantiles(&self, n_metrics: usize) -> ColumnQuantiles {
        let mut quantiles: ColumnQuantiles = vec![Vec::new(); n_metrics];
        for (&j, (_, orders)) in self.chosen.iter().zip(&self.derived) {
            quantiles[j] = orders
                .iter()
                .map(|o| o.as_ref().map(|o| o.quantiles))
                .collect();
        }
        quantiles
    }

    /// The distributions of the chosen metrics (`None` for the others, of `n_metrics`) from
    /// replicates `reps` of the column's groups, every shown group included; `slots[i]` holds the
    /// replicates' columns of the i-th chosen metric's values, worst-decile indicator and Gini
    /// terms.
    pub(super) fn distributions(
        &self,
        n_metrics: usize,
        col: &SliceColumn,
        published: &[&[bool]],
        reps: &Replicates,
        slots: &[[usize; 3]],
        confidence: f64,
    ) -> Vec<Option<SliceDistribution>> {
        let orders: Vec<&[Option<GroupOrder>]> =
            self.derived.iter().map(|d| d.1.as_slice()).collect();
        let labels: Vec<&str> = col.groups.iter().map(|g| g.label.as_str()).collect();
        let mut out = vec![None; n_metrics];
        let assembled = column_of_slots(
            &orders,
            &self.chosen,
            published,
            &labels,
            reps,
            slots,
            confidence,
        );
        for (&j, d) in self.chosen.iter().zip(assembled) {
            out[j] = Some(d);
        }
        out
    }
}

/// The distributions of the chosen metrics (`chosen[i]`: the metric of `orders[i]`, the
/// replicates' columns 3i, 3i + 1, 3i + 2: values, worst-decile indicator, Gini terms) over the
/// groups of one slice column (`labels`) published for each (`published[j][g]`).
pub(crate) fn column_of(
    orders: &[&[Option<GroupOrder>]],
    chosen: &[usize],
    published: &[&[bool]],
    labels: &[&str],
    reps: &Replicates,
    confidence: f64,
) -> Vec<SliceDistribution> {
    let slots: Vec<[usize; 3]> = (0..chosen.len())
        .map(|i| [3 * i, 3 * i + 1, 3 * i + 2])
        .collect();
    column_of_slots(orders, chosen, published, labels, reps, &slots, confidence)
}

/// [`column_of`] with the replicates' columns of the i-th chosen metric at `slots[i]` (values,
/// worst-decile indicator, Gini terms).
fn column_of_slots(
    orders: &[&[Option<GroupOrder>]],
    chosen: &[usize],
    published: &[&[bool]],
    labels: &[&str],
    reps: &Replicates,
    slots: &[[usize; 3]],
    confidence: f64,
) -> Vec<SliceDistribution> {
    let mut out = Vec::with_capacity(chosen.len());
    for ((&j, orders), &[x, ind, h]) in chosen.iter().zip(orders).zip(slots) {
        let shown: Vec<usize> = (0..labels.len())
            .filter(|&g| published[j].get(g) == Some(&true))
            .collect();
        let per_group: Vec<&GroupOrder> = shown
            .iter()
            .map(|&g| orders[g].as_ref().expect("a published group is ordered"))
            .collect();
        let interval = |value: Option<f64>, g: usize, stat: Statistic, n: usize| {
            Estimate::with_interval(value, &reps.values(g, &stat), n, confidence)
        };
        let mut dist = SliceDistribution {
            worst_decile_share: Default::default(),
            gini: Default::default(),
            worst_off: None,
            lorenz: Default::default(),
        };
        for (&g, group) in shown.iter().zip(&per_group) {
            let label = labels[g].to_string();
            let n = group.n;
            let share = group.worst_decile_share;
            dist.worst_decile_share
                .insert(label.clone(), interval(share, g, Statistic::Mean(ind), n));
            let ratio = Statistic::RatioOfMeans { num: h, den: x };
            dist.gini
                .insert(label.clone(), interval(group.gini, g, ratio, n));
            if let Some(curve) = &group.lorenz {
                dist.lorenz
                    .insert(label, curve.iter().map(|&(p, y)| [p, y]).collect());
            }
        }
        let totals: Vec<(f64, usize)> = per_group.iter().map(|o| (o.total, o.n)).collect();
        dist.worst_off = worst_off_of_totals(&totals).map(|(w, share, user_share)| {
            let g = shown[w];
            let replicates: Vec<f64> = (0..reps.resamples())
                .map(|b| {
                    let total: f64 = shown.iter().map(|&k| reps.replicate(k, b).sum(x)).sum();
                    let own = reps.replicate(g, b).sum(x);
                    if total > 0.0 {
                        own / total
                    } else {
                        f64::NAN
                    }
                })
                .collect();
            let n = per_group.iter().map(|o| o.n).sum();
            WorstOff {
                group: labels[g].to_string(),
                utility_share: Estimate::with_interval(Some(share), &replicates, n, confidence),
                user_share,
            }
        });
        out.push(dist);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::registry;
    use crate::slices::test_column;
    use proptest::prelude::*;

    fn cfg() -> StatsConfig {
        StatsConfig {
            resamples: 200,
            ..StatsConfig::default()
        }
    }

    /// [`per_column`] of utility metrics with their indicators and the column's groups built as
    /// the audit builds them.
    fn run(
        metrics: &[UserMetric],
        cuts: &[Option<f64>],
        col: &SliceColumn,
        published: &[&[bool]],
    ) -> Vec<Option<SliceDistribution>> {
        let keys = crate::stats::bootstrap::test_keys(metrics[0].values.len());
        let utility = vec![true; metrics.len()];
        let indicators: Vec<Option<Vec<f64>>> = metrics
            .iter()
            .zip(cuts)
            .map(|(m, &cut)| Some(worst_decile_indicator(m, cut)))
            .collect();
        let groups = Groups::from_members(col.groups.iter().map(|g| g.users.clone()), &keys);
        per_column(
            metrics,
            &utility,
            cuts,
            &indicators,
            col,
            &groups,
            published,
            &cfg(),
        )
        .0
    }

    /// Group a (users 0–3): NDCG 0, 0, 0.2, 0.6; group b (users 4–7): 0.4, 0.4, 0.6, 0.6.
    /// All eight sorted: 0, 0, 0.2, 0.4, 0.4, 0.6, 0.6, 0.6; the 10th percentile is 0 (h = 0.7),
    /// so the worst decile is the two users at 0: a has 2 of 4 (0.5), b none.
    /// Gini of a: μ = 0.2, ordered-pair |differences| 2·(0+0.2+0.6+0.2+0.6+0.4) = 4;
    /// G = 4 / (2·16·0.2) = 0.625. Gini of b: 2·(4·0.2) = 1.6 / (2·16·0.5) = 0.1.
    /// Worst off: a (mean 0.2 against 0.5), with 0.8 of the 2.8 total and half of the users.
    /// NDCG of group a (users 0–4r−1): 0, 0, 0.2, 0.6 each r times; of group b: 0.4, 0.4,
    /// 0.6, 0.6 each r times.
    fn two_groups(r: usize) -> Option<SliceDistribution> {
        let a = [0.0, 0.0, 0.2, 0.6];
        let b = [0.4, 0.4, 0.6, 0.6];
        let values: Vec<f64> = [a, b]
            .iter()
            .flat_map(|g| g.iter().flat_map(move |&x| std::iter::repeat_n(x, r)))
            .collect();
        let metrics = [UserMetric::new(&registry::NDCG, values)];
        let col = test_column(&[("a", 4 * r, false), ("b", 4 * r, false)], None);
        let cuts = cuts(&metrics, &[true]);
        assert_eq!(cuts, [Some(0.0)]);
        run(&metrics, &cuts, &col, &[&[true, true]]).pop().unwrap()
    }

    /// All eight values sorted: 0, 0, 0.2, 0.4, 0.4, 0.6, 0.6, 0.6; the 10th percentile is 0
    /// (h = 0.7), so the worst decile is the two users at 0: a has 2 of 4 (0.5), b none.
    /// Gini of a: μ = 0.2, ordered-pair |differences| 2·(0+0.2+0.6+0.2+0.6+0.4) = 4;
    /// G = 4 / (2·16·0.2) = 0.625. Gini of b: 2·(4·0.2) = 1.6 / (2·16·0.5) = 0.1.
    /// Worst off: a (mean 0.2 against 0.5), with 0.8 of the 2.8 total and half of the users.
    /// Repeating every value r times changes none of these.
    #[test]
    fn shares_ginis_and_the_worst_off_group_by_hand() {
        for r in [1, 10] {
            let d = two_groups(r).unwrap();
            let close = |e: &Estimate, want: f64| (e.value.unwrap() - want).abs() < 1e-12;
            assert!(close(&d.worst_decile_share["a"], 0.5));
            assert!(close(&d.worst_decile_share["b"], 0.0));
            assert!(close(&d.gini["a"], 0.625), "{:?}", d.gini);
            assert!(close(&d.gini["b"], 0.1), "{:?}", d.gini);
            let w = d.worst_off.as_ref().unwrap();
            assert_eq!(w.group, "a");
            assert!(close(&w.utility_share, 0.8 / 2.8));
            assert!((w.user_share - 0.5).abs() < 1e-12);
            assert_eq!(d.lorenz["b"].len(), LORENZ_POINTS + 1);
        }
    }

    #[test]
    fn intervals_hold_the_value_and_have_width() {
        // 40 users per group: few replicates leave a group without utility.
        let d = two_groups(10).unwrap();
        let w = d.worst_off.as_ref().unwrap();
        for e in [
            &d.gini["a"],
            &d.gini["b"],
            &w.utility_share,
            &d.worst_decile_share["a"],
        ] {
            let (lo, hi) = (e.ci_low.unwrap(), e.ci_high.unwrap());
            assert!(
                lo <= e.value.unwrap() && e.value.unwrap() <= hi && lo < hi,
                "{e:?}"
            );
        }
    }

    proptest! {
        /// The overall mean read off the distribution's replicates is the estimate of
        /// `group_estimates` over all users, and the distribution that of the worst-decile
        /// indicator as a column of its own, bit for bit (undefined values, ties, ±0, pooled and
        /// per-user units).
        #[test]
        fn the_overall_mean_and_distribution_are_those_of_their_references(
            values in proptest::collection::vec(
                prop_oneof![
                    0.0f64..1.0,
                    (0u8..4).prop_map(|k| [0.0, -0.0, 1.0, f64::NAN][k as usize]),
                ],
                0..200,
            ),
            units in prop_oneof![Just(0usize), Just(16)],
        ) {
            let m = UserMetric::new(&registry::NDCG, values);
            let n = m.values.len();
            let keys = crate::stats::bootstrap::test_keys(n);
            let everyone = Groups::from_members([(0..n as u32).collect::<Vec<u32>>()], &keys);
            let cfg = StatsConfig {
                resamples: 60,
                bootstrap_units: units,
                ..StatsConfig::default()
            };
            let metrics = [m];
            let cut = cuts(&metrics, &[true])[0];
            let nan_free = !metrics[0].values.iter().any(|x| x.is_nan());
            let ranked = ranked(&metrics[0]);
            let (distribution, _, mean) =
                overall(&metrics[0], &ranked, cut, &everyone, nan_free, &cfg);
            // The indicator read off the values gives the replicates of the indicator as a
            // column of its own, which the reference takes (every slot scanned for NaN).
            let (terms, mut orders) =
                gini_terms_and_orders(&metrics[0], cut, &[Some(&ranked)], &[true], &[true]);
            let whole = orders.pop().flatten().expect("the one group");
            let indicator = worst_decile_indicator(&metrics[0], cut);
            let columns: [&[f64]; 3] = [&metrics[0].values, &indicator, &terms];
            let reps = bootstrap_layout(&Layout::new(&columns, everyone.all()), &everyone, &[true], &cfg);
            prop_assert_eq!(
                format!("{:?}", distribution),
                format!("{:?}", overall_of(&whole, cut, &reps, cfg.confidence))
            );
            let want = crate::stats::group_estimates(
                &[&metrics[0].values],
                &[Statistic::Mean(0)],
                &everyone,
                &[true],
                &cfg,
            )[0][0];
            let bits = |e: Estimate| {
                (
                    [e.value, e.ci_low, e.ci_high].map(|x| x.map(f64::to_bits)),
                    e.n,
                )
            };
            prop_assert_eq!(bits(mean), bits(want));
        }
    }

    #[test]
    fn groups_not_published_for_the_metric_are_left_out() {
        let ndcg = UserMetric::new(&registry::NDCG, vec![0.1, 0.2, 0.3, 0.4]);
        let col = test_column(&[("a", 2, false), ("b", 2, false)], None);
        let metrics = [ndcg];
        let cuts = cuts(&metrics, &[true]);
        let shown = [false, true];
        let out = run(&metrics, &cuts, &col, &[&shown]);
        let d = out[0].as_ref().unwrap();
        assert_eq!(d.gini.keys().collect::<Vec<_>>(), ["b"]);
        // Only b is compared, so it is the worst-off group with all of the utility.
        let w = d.worst_off.as_ref().unwrap();
        assert_eq!((w.group.as_str(), w.utility_share.value), ("b", Some(1.0)));
    }

    #[test]
    fn no_utility_gives_an_undefined_gini_and_no_worst_off_group() {
        let ndcg = UserMetric::new(&registry::NDCG, vec![0.0; 4]);
        let col = test_column(&[("a", 2, false), ("b", 2, false)], None);
        let metrics = [ndcg];
        let cuts = cuts(&metrics, &[true]);
        let out = run(&metrics, &cuts, &col, &[&[true, true]]);
        let d = out[0].as_ref().unwrap();
        assert_eq!(d.gini["a"].value, None);
        assert!(d.worst_off.is_none() && d.lorenz.is_empty());
        // Everyone ties at the cut-off 0: the whole group is in the worst decile.
        assert_eq!(d.worst_decile_share["a"].value, Some(1.0));
    }
}
