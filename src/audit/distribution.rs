//! The distribution of each utility metric over users, per slice column and group
//! (docs/statistics.md, "Distributions"): the values come from the definitions of
//! [`stats::distribution`](crate::stats::distribution), the intervals from one bootstrap pass per
//! slice column over three columns per metric (the values, the 0/1 worst-decile indicator and the
//! linearised Gini terms of each group), with the same groups, seed and weights as the column's
//! means.

use rayon::prelude::*;

use crate::data::UserKeys;
use crate::metrics::UserMetric;
use crate::result::{OverallDistribution, SliceDistribution, WorstOff};
use crate::slices::SliceColumn;
use crate::stats::distribution::{
    in_worst_decile, worst_decile_cut, worst_decile_share, worst_off_of_totals, SortedGroup,
};
use crate::stats::{bootstrap_sums, Estimate, Groups, Statistic, StatsConfig};

/// Population shares at which the Lorenz curves are read: 0, 1/10, …, 1.
pub(super) const LORENZ_POINTS: usize = 10;

/// Per user, 1 when the defined value is in the worst decile of cut-off `cut`, 0 when not, NaN
/// when the value (or the cut-off) is undefined.
fn worst_decile_indicator(m: &UserMetric, cut: Option<f64>) -> Vec<f64> {
    m.values
        .iter()
        .map(|&x| match cut {
            Some(c) if !x.is_nan() => f64::from(u8::from(in_worst_decile(x, c, m.better()))),
            _ => f64::NAN,
        })
        .collect()
}

/// The defined values of `members` (NaN left out), in member order, with their users.
fn defined_of(values: &[f64], members: &[u32]) -> (Vec<u32>, Vec<f64>) {
    let mut users = Vec::with_capacity(members.len());
    let mut defined = Vec::with_capacity(members.len());
    for &u in members {
        let x = values[u as usize];
        if !x.is_nan() {
            users.push(u);
            defined.push(x);
        }
    }
    (users, defined)
}

/// What one group contributes to a metric's distribution, from its users with a defined value:
/// their number and total, the share of them in the worst decile ([`worst_decile_share`]), and,
/// when the group is published, its Gini coefficient and Lorenz curve.
struct GroupOrder {
    n: usize,
    total: f64,
    worst_decile_share: Option<f64>,
    gini: Option<f64>,
    lorenz: Option<Vec<(f64, f64)>>,
}

/// Per utility metric of a slice column: its worst-decile indicator and Gini terms per user (the
/// bootstrap's columns) and its [`GroupOrder`] per group.
type Derived = (Vec<f64>, Vec<f64>, Vec<Option<GroupOrder>>);

/// Per group of `groups` (`None` for the groups neither resampled nor published): its
/// [`GroupOrder`], from one sort of its defined values ([`SortedGroup`]); and the linearised Gini
/// terms of `m`'s values computed within each resampled group (`resampled[g]`, over its users with
/// a defined value), NaN for the other users. `cut` is the worst-decile cut-off.
fn gini_terms_and_orders(
    m: &UserMetric,
    cut: Option<f64>,
    groups: &[&[u32]],
    resampled: &[bool],
    published: &[bool],
) -> (Vec<f64>, Vec<Option<GroupOrder>>) {
    let mut terms = vec![f64::NAN; m.values.len()];
    let orders = groups
        .iter()
        .enumerate()
        .map(|(g, members)| {
            let shown = published.get(g) == Some(&true);
            let resample = resampled.get(g) == Some(&true);
            if !resample && !shown {
                return None;
            }
            let (users, x) = defined_of(&m.values, members);
            let sorted = SortedGroup::new(&x);
            if resample {
                for (&u, h) in users.iter().zip(sorted.gini_terms()) {
                    terms[u as usize] = h;
                }
            }
            let (gini, lorenz) = if shown {
                (sorted.gini(), sorted.lorenz(LORENZ_POINTS))
            } else {
                (None, None)
            };
            Some(GroupOrder {
                n: x.len(),
                total: sorted.total(),
                worst_decile_share: cut.and_then(|c| worst_decile_share(&x, c, m.better())),
                gini,
                lorenz,
            })
        })
        .collect();
    (terms, orders)
}

/// The worst-decile cut-off of each metric (`None` for metrics that are not utilities).
pub(super) fn cuts(metrics: &[UserMetric], utility: &[bool]) -> Vec<Option<f64>> {
    metrics
        .iter()
        .zip(utility)
        .map(|(m, &u)| u.then(|| worst_decile_cut(&m.values, m.better())).flatten())
        .collect()
}

/// The distribution of utility metric `m` over all its users with a defined value (`keys[u]`
/// user u's key).
pub(super) fn overall(
    m: &UserMetric,
    cut: Option<f64>,
    keys: &UserKeys,
    cfg: &StatsConfig,
) -> OverallDistribution {
    let n = m.values.len();
    let everyone: Vec<u32> = (0..n as u32).collect();
    let indicator = worst_decile_indicator(m, cut);
    let (terms, mut orders) = gini_terms_and_orders(m, cut, &[&everyone], &[true], &[true]);
    let whole = orders.pop().flatten().expect("the one group");
    let columns: [&[f64]; 3] = [&m.values, &indicator, &terms];
    let groups = Groups::from_members([everyone], keys);
    let reps = bootstrap_sums(&columns, &groups, &[true], cfg);
    let estimate = |value: Option<f64>, stat: Statistic| {
        Estimate::with_interval(value, &reps.values(0, &stat), whole.n, cfg.confidence)
    };
    OverallDistribution {
        worst_decile_cut: cut,
        worst_decile_share: estimate(whole.worst_decile_share, Statistic::Mean(1)),
        gini: estimate(whole.gini, Statistic::RatioOfMeans { num: 2, den: 0 }),
    }
}

/// For every metric with `utility[j]`, its distribution over the groups of `col` published for
/// it (`published[j][g]`); `None` for the other metrics. One bootstrap pass for the column.
pub(super) fn per_column(
    metrics: &[UserMetric],
    utility: &[bool],
    cuts: &[Option<f64>],
    col: &SliceColumn,
    published: &[&[bool]],
    keys: &UserKeys,
    cfg: &StatsConfig,
) -> Vec<Option<SliceDistribution>> {
    let chosen: Vec<usize> = (0..metrics.len()).filter(|&j| utility[j]).collect();
    if chosen.is_empty() {
        return vec![None; metrics.len()];
    }
    let include: Vec<bool> = col.shown_mask();
    let members: Vec<&[u32]> = col.groups.iter().map(|g| g.users.as_slice()).collect();
    let derived: Vec<Derived> = chosen
        .par_iter()
        .map(|&j| {
            let m = &metrics[j];
            let (terms, orders) =
                gini_terms_and_orders(m, cuts[j], &members, &include, published[j]);
            (worst_decile_indicator(m, cuts[j]), terms, orders)
        })
        .collect();
    let mut columns: Vec<&[f64]> = Vec::with_capacity(3 * chosen.len());
    for (&j, (indicator, terms, _)) in chosen.iter().zip(&derived) {
        columns.extend([metrics[j].values.as_slice(), indicator, terms]);
    }
    let groups = Groups::from_members(col.groups.iter().map(|g| g.users.clone()), keys);
    let reps = bootstrap_sums(&columns, &groups, &include, cfg);

    let mut out = vec![None; metrics.len()];
    for (i, (&j, (_, _, orders))) in chosen.iter().zip(&derived).enumerate() {
        let shown: Vec<usize> = (0..col.groups.len())
            .filter(|&g| published[j].get(g) == Some(&true))
            .collect();
        let per_group: Vec<&GroupOrder> = shown
            .iter()
            .map(|&g| orders[g].as_ref().expect("a published group is ordered"))
            .collect();
        let (x, ind, h) = (3 * i, 3 * i + 1, 3 * i + 2);
        let interval = |value: Option<f64>, g: usize, stat: Statistic, n: usize| {
            Estimate::with_interval(value, &reps.values(g, &stat), n, cfg.confidence)
        };
        let mut dist = SliceDistribution {
            worst_decile_share: Default::default(),
            gini: Default::default(),
            worst_off: None,
            lorenz: Default::default(),
        };
        for (&g, group) in shown.iter().zip(&per_group) {
            let label = col.groups[g].label.clone();
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
                group: col.groups[g].label.clone(),
                utility_share: Estimate::with_interval(Some(share), &replicates, n, cfg.confidence),
                user_share,
            }
        });
        out[j] = Some(dist);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::registry;
    use crate::slices::test_column;

    fn cfg() -> StatsConfig {
        StatsConfig {
            resamples: 200,
            ..StatsConfig::default()
        }
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
        let keys = crate::stats::bootstrap::test_keys(8 * r);
        per_column(
            &metrics,
            &[true],
            &cuts,
            &col,
            &[&[true, true]],
            &keys,
            &cfg(),
        )
        .pop()
        .unwrap()
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

    #[test]
    fn groups_not_published_for_the_metric_are_left_out() {
        let ndcg = UserMetric::new(&registry::NDCG, vec![0.1, 0.2, 0.3, 0.4]);
        let col = test_column(&[("a", 2, false), ("b", 2, false)], None);
        let metrics = [ndcg];
        let cuts = cuts(&metrics, &[true]);
        let shown = [false, true];
        let keys = crate::stats::bootstrap::test_keys(4);
        let out = per_column(&metrics, &[true], &cuts, &col, &[&shown], &keys, &cfg());
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
        let keys = crate::stats::bootstrap::test_keys(4);
        let out = per_column(
            &metrics,
            &[true],
            &cuts,
            &col,
            &[&[true, true]],
            &keys,
            &cfg(),
        );
        let d = out[0].as_ref().unwrap();
        assert_eq!(d.gini["a"].value, None);
        assert!(d.worst_off.is_none() && d.lorenz.is_empty());
        // Everyone ties at the cut-off 0: the whole group is in the worst decile.
        assert_eq!(d.worst_decile_share["a"].value, Some(1.0));
    }
}
