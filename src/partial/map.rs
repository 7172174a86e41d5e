//! The map: one partition of users, with the broadcast [`ItemStats`] and slice plan, to a
//! [`PartialAudit`].

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::data::{Csr, Dataset, Snapshot};
use crate::metrics::UserMetric;
use crate::settings::AuditConfig;

use super::state::{CellUsers, GroupState, PartialAudit, PartialSettings};
use super::{ItemStats, SlicePlan};

/// The rows of `users` (dense ids of `ds`, in that order) as a dataset of their own, with the
/// items and the global history counts of `items`: what a map task holds. Its `user_keys` are the
/// users' keys in the order of `users`.
pub fn partition_dataset(ds: &Dataset, users: &[u32], items: &ItemStats) -> Dataset {
    let rows = |csr: &Csr<u32>| -> Csr<u32> {
        Csr::from_rows(users.iter().map(|&u| csr.row(u as usize).to_vec()))
    };
    let truth = ds
        .truth
        .as_ref()
        .map(|t| Csr::from_rows(users.iter().map(|&u| t.row(u as usize).to_vec())));
    let truth_propensity = match (&ds.truth, &ds.truth_propensity) {
        (Some(t), Some(p)) => Some(
            users
                .iter()
                .flat_map(|&u| {
                    let o = t.offsets();
                    p[o[u as usize]..o[u as usize + 1]].iter().copied()
                })
                .collect(),
        ),
        _ => None,
    };
    let mut slices = ds.slices.clone();
    for col in &mut slices {
        col.codes = users.iter().map(|&u| col.codes[u as usize]).collect();
    }
    Dataset {
        n_users: users.len(),
        user_keys: users.iter().map(|&u| ds.user_keys[u as usize]).collect(),
        k: items.k,
        recs: rows(&ds.recs),
        snapshots: ds
            .snapshots
            .iter()
            .map(|s| Snapshot {
                label: s.label.clone(),
                lists: rows(&s.lists),
            })
            .collect(),
        samples: ds.samples.iter().map(rows).collect(),
        slices,
        items: items.items.clone(),
        truth,
        truth_propensity,
        baseline: ds.baseline.as_ref().map(rows),
        history: ds
            .history
            .as_ref()
            .and_then(|h| items.history(rows(&h.per_user))),
    }
}

/// Every per-user metric of the audit on `ds` (a partition, or the whole dataset), family by
/// family in the one-pass audit's order (`audit::per_user::all_families`), with the popularity
/// and the propensities' γ of `items` (global: given, or fitted to every list).
pub fn per_user_metrics(ds: &Dataset, items: &ItemStats, cfg: &AuditConfig) -> Vec<UserMetric> {
    let pop = items.popularity.as_ref();
    crate::audit::per_user::all_families(ds, pop, items.propensity_gamma, cfg).metrics
}

/// The partial state of the users whose keys are `keys` ([`crate::data::id_key`] of their ids;
/// distinct users, any order): `codes[c][i]` is user i's group in slice column c of `plan`
/// (`u32::MAX` for none), `metrics[j].values[i]` its value of metric j. Nothing depends on how
/// the users were numbered: a partition needs no global user ids.
pub fn map(
    keys: &[u64],
    codes: &[&[u32]],
    metrics: &[UserMetric],
    plan: &SlicePlan,
    settings: &PartialSettings,
) -> PartialAudit {
    let n_groups = plan.n_groups();
    let keep = plan.keeps_values(&settings.stats);
    let m = metrics.len();
    assert!(m <= 128, "the defined mask holds at most 128 metrics");
    let defs = metrics.iter().map(|x| x.definition).collect();
    let mut state = PartialAudit::empty(defs, n_groups.to_vec(), *settings);
    // Users in ascending key: the order the one-pass audit sums a group's users in (the reader
    // numbers users by key).
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_unstable_by_key(|&i| keys[i]);
    let values: Vec<&[f64]> = metrics.iter().map(|x| x.values.as_slice()).collect();
    // Per slice column, the members of each group in ascending key.
    let members: Vec<Vec<Vec<usize>>> = codes
        .iter()
        .enumerate()
        .map(|(c, col)| {
            let mut members: Vec<Vec<usize>> = vec![Vec::new(); n_groups[c]];
            for &i in &order {
                if let Some(g) = members.get_mut(col[i] as usize) {
                    g.push(i);
                }
            }
            members
        })
        .collect();
    // The contingency table beside the groups' states, and the states on all cores: each is
    // computed by one thread, so nothing depends on the scheduling.
    let (cells, (overall, columns)) = rayon::join(
        || {
            let mut cells = BTreeMap::new();
            for &i in &order {
                let key: Vec<u32> = codes.iter().map(|c| c[i]).collect();
                let mask = values
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| !v[i].is_nan())
                    .fold(0u128, |acc, (j, _)| acc | (1u128 << j));
                CellUsers::add_to(&mut cells, (key, mask), CellUsers::one(keys[i]));
            }
            cells
        },
        || {
            rayon::join(
                || GroupState::of(&order, keys, &values, settings, false),
                || {
                    members
                        .par_iter()
                        .zip(&keep)
                        .map(|(groups, keep)| {
                            groups
                                .par_iter()
                                .zip(keep)
                                .map(|(g, &k)| GroupState::of(g, keys, &values, settings, k))
                                .collect::<Vec<_>>()
                        })
                        .collect::<Vec<_>>()
                },
            )
        },
    );
    state.cells = cells;
    state.n_users = keys.len() as u64;
    state.overall = overall;
    for (c, groups) in columns.into_iter().enumerate() {
        state.columns[c] = groups;
    }
    state
}

/// [`map`] of the partition `part` (built by [`partition_dataset`] for `users`): its per-user
/// metrics computed with the broadcast `items`, its users' keys (`part.user_keys`), and its
/// users' codes in `slice_codes` (per column, indexed by the *global* dense user id: the users
/// table's part of the slice plan).
pub fn map_dataset(
    part: &Dataset,
    users: &[u32],
    slice_codes: &[&[u32]],
    plan: &SlicePlan,
    items: &ItemStats,
    cfg: &AuditConfig,
    settings: &PartialSettings,
) -> PartialAudit {
    let metrics = per_user_metrics(part, items, cfg);
    let codes: Vec<Vec<u32>> = slice_codes
        .iter()
        .map(|c| users.iter().map(|&u| c[u as usize]).collect())
        .collect();
    let codes: Vec<&[u32]> = codes.iter().map(|c| c.as_slice()).collect();
    map(&part.user_keys, &codes, &metrics, plan, settings)
}
