//! The over-time block of `audit.json` (`over_time`: snapshot values, slice trends and their
//! verdicts, exposure owed) from partitions of users (docs/scaling.md).
//!
//! Every number of the block is a function of sums over users:
//!
//! - per set of users (every user, then every published group of every slice column in plan
//!   order), the [`TrendSums`]: users with a defined entropy slope, Σ slope, users falling and
//!   rising beyond the slope threshold, users with a defined mean overlap, Σ overlap, users with
//!   frozen lists; and per snapshot the [`SnapshotSums`]: non-empty lists, the lists holding each
//!   item, Σ list entropy. Personalisation, coverage, shares, the personalisation slope, the
//!   homogenising flag and the verdict follow from them;
//! - per item-group column (with a truth table), per snapshot, each item group's position-weighted
//!   exposure and merit (`metrics::exposure::exposure_and_merit_of`), whose amortised unfairness
//!   `owed_of_sums` computes.
//!
//! So [`map_over_time`] sums a partition's users (in ascending user key, the one-pass order),
//! [`PartialOverTime::merge`] adds, and [`finish_over_time`] runs the one-pass arithmetic
//! (`trend_of_sums`, `SnapshotSums::values`, `owed_of_sums`) on the sums. Counts are exact; Σ
//! slope, Σ overlap, Σ entropy and the exposure and merit sums are f64 added in partition order.
//!
//! Size: per set and snapshot 24 bytes plus 8 per distinct item shown (sparse on the wire), per
//! set 56 bytes, per item-group column 16 bytes per group and snapshot.

use std::collections::BTreeMap;

use crate::data::Dataset;
use crate::metrics::bubble::{
    row_or_empty, trend_of_sums, user_trend, SnapshotSums, SnapshotValues, TrendSums,
};
use crate::metrics::exposure::{exposure_and_merit_of, owed_of_sums, ItemGroups};
use crate::result::OverTimeResult;
use crate::settings::AuditConfig;

use super::{FinishError, ItemStats, SlicePlan};

/// The settings the sums depend on: a merge refuses states of other settings, and finish states
/// of settings other than the audit's.
#[derive(Debug, Clone, PartialEq)]
pub struct OverTimeSettings {
    /// `bubble.slope_threshold` (users falling and rising).
    pub slope_threshold: f64,
    /// `bubble.overlap_threshold` (users with frozen lists).
    pub overlap_threshold: f64,
    /// The position weight w(r) at ranks 1..=k (the exposure of exposure owed).
    pub weights: Vec<f64>,
}

impl OverTimeSettings {
    /// The settings of an audit under `cfg` with the cutoff of `items`.
    pub fn of(items: &ItemStats, cfg: &AuditConfig) -> OverTimeSettings {
        OverTimeSettings {
            slope_threshold: cfg.bubble.slope_threshold,
            overlap_threshold: cfg.bubble.overlap_threshold,
            weights: (1..=items.k)
                .map(|r| cfg.position_weight.weight(r))
                .collect(),
        }
    }
}

/// The sums of one set of users.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SetSums {
    /// The users' slopes and overlaps.
    pub trend: TrendSums,
    /// Per snapshot, the users' lists.
    pub snapshots: Vec<SnapshotSums>,
}

impl SetSums {
    fn merge(self, other: SetSums) -> SetSums {
        SetSums {
            trend: self.trend.merge(other.trend),
            snapshots: self
                .snapshots
                .into_iter()
                .zip(other.snapshots)
                .map(|(a, b)| a.merge(b))
                .collect(),
        }
    }
}

/// The exposure and merit sums of one item-group column.
#[derive(Debug, Clone, PartialEq)]
pub struct OwedSums {
    /// The item column's name.
    pub name: String,
    /// Its groups, in label order.
    pub labels: Vec<String>,
    /// `exposure[t][g]`: the position-weighted exposure of group g in snapshot t.
    pub exposure: Vec<Vec<f64>>,
    /// `merit[t][g]`: the truth relevance of group g over the users with a list in snapshot t.
    pub merit: Vec<Vec<f64>>,
}

impl OwedSums {
    fn merge(self, other: OwedSums) -> OwedSums {
        let add = |x: Vec<Vec<f64>>, y: Vec<Vec<f64>>| -> Vec<Vec<f64>> {
            x.into_iter()
                .zip(y)
                .map(|(a, b)| a.iter().zip(&b).map(|(p, q)| p + q).collect())
                .collect()
        };
        OwedSums {
            exposure: add(self.exposure, other.exposure),
            merit: add(self.merit, other.merit),
            ..self
        }
    }

    fn shape(&self) -> (&str, &[String], usize) {
        (&self.name, &self.labels, self.exposure.len())
    }
}

/// The over-time state of a set of users.
#[derive(Debug, Clone, PartialEq)]
pub struct PartialOverTime {
    /// The settings the sums depend on.
    pub settings: OverTimeSettings,
    /// Catalog size (the length of every snapshot's item counts).
    pub n_items: usize,
    /// The snapshot labels, in order.
    pub snapshots: Vec<String>,
    /// Every user, then every published group of every slice column of the plan, in plan order.
    pub sets: Vec<SetSums>,
    /// Per item-group column, in the items table's order; `None` without a truth table.
    pub owed: Option<Vec<OwedSums>>,
}

impl PartialOverTime {
    /// The state of the union of the disjoint user sets of `self` and `other` (`self`'s sums
    /// first in every f64 addition).
    ///
    /// # Panics
    /// When the states are of other settings, catalogs, snapshots, slice plans or item groups.
    pub fn merge(self, other: PartialOverTime) -> PartialOverTime {
        assert_eq!(self.settings, other.settings, "different settings");
        assert_eq!(self.n_items, other.n_items, "different catalogs");
        assert_eq!(self.snapshots, other.snapshots, "different snapshots");
        assert_eq!(self.sets.len(), other.sets.len(), "different slice plans");
        let owed = match (self.owed, other.owed) {
            (Some(a), Some(b)) => {
                assert_eq!(
                    a.iter().map(OwedSums::shape).collect::<Vec<_>>(),
                    b.iter().map(OwedSums::shape).collect::<Vec<_>>(),
                    "different item groups"
                );
                Some(a.into_iter().zip(b).map(|(x, y)| x.merge(y)).collect())
            }
            (None, None) => None,
            _ => panic!("one state has a truth table, the other not"),
        };
        PartialOverTime {
            settings: self.settings,
            n_items: self.n_items,
            snapshots: self.snapshots,
            sets: self
                .sets
                .into_iter()
                .zip(other.sets)
                .map(|(a, b)| a.merge(b))
                .collect(),
            owed,
        }
    }
}

/// The map: the over-time sums of the partition `part` (built by `partition_dataset` for
/// `users`; `slice_codes[c]` indexed by global user id, `u32::MAX` for none) for every user and
/// every published group of `plan`, with the catalog of `items` and the settings of `cfg`. The
/// users are summed in ascending key (the one-pass order), so the order of `users` does not
/// matter.
pub fn map_over_time(
    part: &Dataset,
    users: &[u32],
    slice_codes: &[&[u32]],
    plan: &SlicePlan,
    items: &ItemStats,
    cfg: &AuditConfig,
) -> PartialOverTime {
    let n_cat = items.items.category_labels.len();
    let categories = (n_cat > 0).then_some(&items.items.categories);
    let mut order: Vec<u32> = (0..users.len() as u32).collect();
    order.sort_unstable_by_key(|&i| part.user_keys[i as usize]);
    let mut scratch = vec![0.0; n_cat];
    // Per user, the one-pass `over_time`'s slope and mean overlap.
    let trends: Vec<(f64, f64)> = (0..users.len())
        .map(|u| {
            let lists: Vec<&[u32]> = part
                .snapshots
                .iter()
                .map(|s| row_or_empty(&s.lists, u))
                .collect();
            let t = user_trend(&lists, categories, &mut scratch, items.k);
            (t.slope, t.mean_overlap)
        })
        .collect();
    let mut set_of = |local: &[u32]| -> SetSums {
        let mut trend = TrendSums::default();
        for &u in local {
            let (slope, overlap) = trends[u as usize];
            trend.add(slope, overlap, &cfg.bubble);
        }
        let snapshots = part
            .snapshots
            .iter()
            .map(|s| {
                SnapshotSums::of_lists(
                    local.iter().map(|&u| row_or_empty(&s.lists, u as usize)),
                    items.n_items,
                    categories,
                    &mut scratch,
                )
            })
            .collect();
        SetSums { trend, snapshots }
    };
    let mut sets = vec![set_of(&order)];
    for (col, codes) in plan.columns.iter().zip(slice_codes) {
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); col.labels.len()];
        for &i in &order {
            if let Some(g) = members.get_mut(codes[users[i as usize] as usize] as usize) {
                g.push(i);
            }
        }
        for (g, local) in members.iter().enumerate() {
            if !col.suppressed[g] {
                sets.push(set_of(local));
            }
        }
    }
    let lists: Vec<&crate::data::RecLists> = part.snapshots.iter().map(|s| &s.lists).collect();
    let owed = part.truth.as_ref().map(|truth| {
        items
            .items
            .groups
            .iter()
            .map(|col| {
                let groups = ItemGroups::from_categorical(col);
                let (exposure, merit) = exposure_and_merit_of(
                    &lists,
                    truth,
                    &groups,
                    &cfg.position_weight,
                    Some(&order),
                );
                OwedSums {
                    name: col.name.clone(),
                    labels: groups.labels,
                    exposure,
                    merit,
                }
            })
            .collect()
    });
    PartialOverTime {
        settings: OverTimeSettings::of(items, cfg),
        n_items: items.n_items,
        snapshots: part.snapshots.iter().map(|s| s.label.clone()).collect(),
        sets,
        owed,
    }
}

/// The `over_time` block of `audit.json` from the merged sums: `None` with fewer than two
/// snapshots, as the one-pass audit. A [`FinishError`] when the state is of other settings, another
/// catalog or another slice plan.
pub fn finish_over_time(
    state: &PartialOverTime,
    plan: &SlicePlan,
    items: &ItemStats,
    cfg: &AuditConfig,
) -> Result<Option<OverTimeResult>, FinishError> {
    if state.settings != OverTimeSettings::of(items, cfg) {
        return Err(FinishError(
            "the over-time state was mapped under other settings".into(),
        ));
    }
    if state.n_items != items.n_items {
        return Err(FinishError(format!(
            "the over-time state counts {} items, the catalog has {}",
            state.n_items, items.n_items
        )));
    }
    let published: usize = plan
        .columns
        .iter()
        .map(|c| c.suppressed.iter().filter(|s| !**s).count())
        .sum();
    if state.sets.len() != 1 + published {
        return Err(FinishError(format!(
            "the over-time state has {} sets of users, the slice plan {}",
            state.sets.len(),
            1 + published
        )));
    }
    if state.snapshots.len() < 2 {
        return Ok(None);
    }
    let has_categories = !items.items.category_labels.is_empty();
    let values = |set: &SetSums| -> Vec<SnapshotValues> {
        set.snapshots
            .iter()
            .zip(&state.snapshots)
            .map(|(s, label)| s.values(label, has_categories, items.k))
            .collect()
    };
    let overall = values(&state.sets[0]);
    let overall_trend = trend_of_sums(&state.sets[0].trend, overall.clone(), &cfg.bubble);
    let mut sets = state.sets[1..].iter();
    let mut slices = BTreeMap::new();
    for col in &plan.columns {
        let mut groups = BTreeMap::new();
        for g in (0..col.labels.len()).filter(|&g| !col.suppressed[g]) {
            let set = sets.next().expect("counted above");
            let trend = trend_of_sums(&set.trend, values(set), &cfg.bubble);
            groups.insert(col.labels[g].clone(), trend);
        }
        slices.insert(col.name.clone(), groups);
    }
    let exposure_owed = state
        .owed
        .iter()
        .flatten()
        .filter_map(|o| owed_of_sums(&o.labels, &o.exposure, &o.merit).map(|x| (o.name.clone(), x)))
        .collect();
    Ok(Some(OverTimeResult {
        exposure_owed,
        snapshots: state.snapshots.clone(),
        overall_trend,
        overall,
        slices,
    }))
}

#[cfg(test)]
#[path = "over_time_tests.rs"]
mod tests;
