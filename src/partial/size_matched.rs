//! The size-matched corpus comparison (`audit::size_matched`, `corpus.size_matched` of
//! `audit.json`) from partitions of users (docs/scaling.md).
//!
//! Subsample s of a published group larger than its column's smallest published group (n users)
//! is the group's n users with the smallest hash of (seed, s, user key), ties by key: the
//! one-pass audit's bottom-n hash sample (`audit::size_matched::bottom_n`). The n smallest of a
//! union are among the n smallest of each part, so:
//!
//! - [`map_size_matched`]: a partition keeps, per (column, published group, subsample), its own n
//!   users with the smallest (hash, key), and the lists of the users it keeps;
//! - [`PartialSizeMatched::merge`]: per subsample the n smallest of both, and the lists of the
//!   users still kept;
//! - [`finish_size_matched`]: the corpus values of every subsample from the kept lists, in
//!   ascending key order, with the one-pass corpus code (`audit::size_matched::lists_corpus`)
//!   and summary (`estimates_at_size`): the one-pass `SizeMatched`, bit for bit.
//!
//! The subsample sizes and counts come from the slice plan's published group sizes and the work
//! budget (`column_draws`), as in the one-pass audit. A group of exactly n users is taken whole,
//! once. Size: per compared column and published group, at most subsamples × n × 16 bytes of
//! (hash, key) and the lists of the distinct users kept, at most min(group size, subsamples × n)
//! × (12 + 4k) bytes: bounded by the smallest group's size, not by the rows.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;

use crate::audit::size_matched::{
    column_draws, estimates_at_size, lists_corpus, subsample_hash, ColumnDraw, SubsampleCost,
};
use crate::audit::SizeMatched;
use crate::data::{Csr, Dataset, RecLists};
use crate::metrics::exposure::{ExposureConfig, ExposureContext};
use crate::metrics::CorpusValues;
use crate::result::SizeMatchedCorpus;
use crate::settings::AuditConfig;
use crate::stats::StatsConfig;

use super::{FinishError, ItemStats, SlicePlan};

/// The users one group keeps.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SampledGroup {
    /// Per subsample, the (hash, key) of the users kept, in ascending order: at most the column's
    /// `n_users`. None for a group that is not published (and none of its users kept).
    pub subsamples: Vec<Vec<(u64, u64)>>,
    /// The list (item indices in catalog order) of every user kept in a subsample, by key.
    pub lists: BTreeMap<u64, Vec<u32>>,
}

/// The users one compared slice column keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct SampledColumn {
    /// Users per subsample: the size of the column's smallest published group.
    pub n_users: usize,
    /// Subsamples of a group larger than `n_users` (a group of `n_users` users has one).
    pub subsamples: usize,
    /// Per group of the plan's column, in group order.
    pub groups: Vec<SampledGroup>,
}

/// The size-matched comparison's state: per slice column of the plan, its kept users (`None` for
/// a column that is not compared).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PartialSizeMatched {
    /// The audit's seed (the hashes are keyed by it).
    pub seed: u64,
    /// Per slice column of the plan.
    pub columns: Vec<Option<SampledColumn>>,
}

/// How every column of `plan` is compared: the one-pass audit's [`column_draws`] of the
/// published group sizes, at the cost of the catalog and cutoff of `items`.
fn plan_draws(plan: &SlicePlan, items: &ItemStats, stats: &StatsConfig) -> Vec<ColumnDraw> {
    let published: Vec<Vec<usize>> = plan
        .columns
        .iter()
        .map(|c| {
            (0..c.sizes.len())
                .filter(|&g| !c.suppressed[g])
                .map(|g| c.sizes[g])
                .collect()
        })
        .collect();
    let cost = SubsampleCost {
        per_user: items.k,
        per_subsample: items.n_items,
    };
    column_draws(&published, stats, cost)
}

/// Subsamples of group `g` of the plan's column `c` under `draw` (none when unpublished).
fn draws_of_group(plan: &SlicePlan, c: usize, g: usize, draw: &ColumnDraw) -> usize {
    let col = &plan.columns[c];
    if col.suppressed[g] {
        0
    } else {
        draw.draws_of(col.sizes[g])
    }
}

/// The map: of a partition's users (`keys[u]` the key of its user u, `lists` their lists as item
/// indices in catalog order, `codes[c][u]` its group in slice column c of `plan`, `u32::MAX` for
/// none), per compared column, published group and subsample, the n users with the smallest
/// (hash, key), with their lists. Nothing depends on the order of the users.
pub fn map_size_matched(
    keys: &[u64],
    lists: &RecLists,
    codes: &[&[u32]],
    plan: &SlicePlan,
    items: &ItemStats,
    stats: &StatsConfig,
) -> PartialSizeMatched {
    let draws = plan_draws(plan, items, stats);
    let columns = draws
        .iter()
        .enumerate()
        .map(|(c, draw)| {
            let ColumnDraw::Compared {
                n_users,
                subsamples,
            } = *draw
            else {
                return None;
            };
            let n_groups = plan.columns[c].labels.len();
            let mut members: Vec<Vec<usize>> = vec![Vec::new(); n_groups];
            for (u, &code) in codes[c].iter().enumerate() {
                if let Some(m) = members.get_mut(code as usize) {
                    m.push(u);
                }
            }
            let groups = members
                .iter()
                .enumerate()
                .map(|(g, users)| {
                    let mut group = SampledGroup::default();
                    for s in 0..draws_of_group(plan, c, g, draw) {
                        let mut ranked: Vec<(u64, u64, usize)> = users
                            .iter()
                            .map(|&u| (subsample_hash(stats.seed, s, keys[u]), keys[u], u))
                            .collect();
                        if n_users < ranked.len() {
                            ranked.select_nth_unstable(n_users);
                            ranked.truncate(n_users);
                        }
                        ranked.sort_unstable();
                        for &(_, key, u) in &ranked {
                            group
                                .lists
                                .entry(key)
                                .or_insert_with(|| lists.row(u).to_vec());
                        }
                        group
                            .subsamples
                            .push(ranked.iter().map(|&(h, k, _)| (h, k)).collect());
                    }
                    group
                })
                .collect();
            Some(SampledColumn {
                n_users,
                subsamples,
                groups,
            })
        })
        .collect();
    PartialSizeMatched {
        seed: stats.seed,
        columns,
    }
}

impl SampledGroup {
    /// The kept users of two disjoint sets of users: per subsample the `n` smallest of both.
    fn merge(mut self, other: SampledGroup, n: usize) -> SampledGroup {
        assert_eq!(
            self.subsamples.len(),
            other.subsamples.len(),
            "different subsample counts"
        );
        for (a, b) in self.subsamples.iter_mut().zip(other.subsamples) {
            a.extend(b);
            a.sort_unstable();
            a.truncate(n);
        }
        self.lists.extend(other.lists);
        let kept: BTreeSet<u64> = self.subsamples.iter().flatten().map(|&(_, k)| k).collect();
        self.lists.retain(|k, _| kept.contains(k));
        self
    }
}

impl PartialSizeMatched {
    /// The state of the union of the disjoint user sets of `self` and `other`.
    ///
    /// # Panics
    ///
    /// When the two states are not of the same seed and slice plan.
    pub fn merge(self, other: PartialSizeMatched) -> PartialSizeMatched {
        assert_eq!(self.seed, other.seed, "different seeds");
        assert_eq!(
            self.columns.len(),
            other.columns.len(),
            "different slice plans"
        );
        let columns = self
            .columns
            .into_iter()
            .zip(other.columns)
            .map(|(a, b)| match (a, b) {
                (None, None) => None,
                (Some(a), Some(b)) => {
                    assert_eq!(
                        (a.n_users, a.subsamples, a.groups.len()),
                        (b.n_users, b.subsamples, b.groups.len()),
                        "different slice plans"
                    );
                    let n = a.n_users;
                    let groups = a
                        .groups
                        .into_iter()
                        .zip(b.groups)
                        .map(|(x, y)| x.merge(y, n))
                        .collect();
                    Some(SampledColumn { groups, ..a })
                }
                _ => panic!("different slice plans"),
            })
            .collect();
        PartialSizeMatched {
            seed: self.seed,
            columns,
        }
    }
}

/// The size-matched comparison (`corpus.size_matched` and the columns too costly to compare) from
/// the merged state of every user: per compared column and published group, the corpus values
/// of each subsample's lists in ascending key order, summarised as the one-pass audit does. An
/// error when the state is not that of this plan, seed and settings, or misses users (a subsample
/// with fewer than the column's `n_users`: not every partition merged).
pub fn finish_size_matched(
    state: &PartialSizeMatched,
    plan: &SlicePlan,
    items: &ItemStats,
    cfg: &AuditConfig,
) -> Result<SizeMatched, FinishError> {
    let stats = &cfg.stats;
    if state.seed != stats.seed {
        return Err(FinishError(format!(
            "the size-matched state was drawn with seed {}, the audit's is {}",
            state.seed, stats.seed
        )));
    }
    let draws = plan_draws(plan, items, stats);
    if state.columns.len() != draws.len() {
        return Err(FinishError(format!(
            "the size-matched state has {} slice columns, the plan {}",
            state.columns.len(),
            draws.len()
        )));
    }
    // Every kept list in one dataset, column by column, group by group, in ascending key; a
    // subsample's users are then the indices of its keys, in ascending key order.
    let mut rows: Vec<Vec<u32>> = Vec::new();
    // (column, group, the subsamples' indices into `rows`)
    let mut tasks: Vec<(usize, usize, Vec<Vec<u32>>)> = Vec::new();
    let mut out = SizeMatched::default();
    for (c, (draw, column)) in draws.iter().zip(&state.columns).enumerate() {
        let col = &plan.columns[c];
        let sampled = match (draw, column) {
            (ColumnDraw::Skipped, None) => continue,
            (ColumnDraw::TooCostly(n), None) => {
                out.too_costly.push((col.name.clone(), *n));
                continue;
            }
            (
                &ColumnDraw::Compared {
                    n_users,
                    subsamples,
                },
                Some(s),
            ) if (s.n_users, s.subsamples, s.groups.len())
                == (n_users, subsamples, col.labels.len()) =>
            {
                s
            }
            _ => {
                return Err(FinishError(format!(
                    "the size-matched state of slice column {} is not that of the plan \
                     ({draw:?})",
                    col.name
                )))
            }
        };
        let n = sampled.n_users;
        for (g, group) in sampled.groups.iter().enumerate() {
            let expected = draws_of_group(plan, c, g, draw);
            if group.subsamples.len() != expected {
                return Err(FinishError(format!(
                    "group {} of {} has {} subsamples, the plan {expected}",
                    col.labels[g],
                    col.name,
                    group.subsamples.len()
                )));
            }
            if expected == 0 {
                continue;
            }
            let first = rows.len() as u32;
            let index: BTreeMap<u64, u32> = group
                .lists
                .iter()
                .enumerate()
                .map(|(i, (&key, list))| {
                    rows.push(list.clone());
                    (key, first + i as u32)
                })
                .collect();
            let mut users = Vec::with_capacity(expected);
            for subsample in &group.subsamples {
                if subsample.len() != n {
                    return Err(FinishError(format!(
                        "a subsample of group {} of {} holds {} users, not {n}: not every \
                         partition was merged",
                        col.labels[g],
                        col.name,
                        subsample.len()
                    )));
                }
                let mut ids = subsample
                    .iter()
                    .map(|(_, key)| {
                        index.get(key).copied().ok_or_else(|| {
                            FinishError(format!(
                                "a user kept in group {} of {} has no list",
                                col.labels[g], col.name
                            ))
                        })
                    })
                    .collect::<Result<Vec<u32>, _>>()?;
                ids.sort_unstable();
                users.push(ids);
            }
            tasks.push((c, g, users));
        }
        let matched = SizeMatchedCorpus {
            n_users: n,
            subsamples: sampled.subsamples,
            groups: BTreeMap::new(),
        };
        out.columns.insert(col.name.clone(), matched);
    }
    let shell = Dataset {
        n_users: rows.len(),
        k: items.k,
        recs: Csr::from_rows(rows),
        items: items.items.clone(),
        ..Dataset::default()
    };
    let exposure_cfg = ExposureConfig {
        weight: cfg.position_weight,
    };
    let mut ctx = ExposureContext::new(&shell, None, &exposure_cfg);
    ctx.groups.clear();
    let values: Vec<_> = tasks
        .par_iter()
        .map(|(c, g, users)| {
            let col = &plan.columns[*c];
            let n = state.columns[*c].as_ref().map_or(0, |s| s.n_users);
            let subsamples: Vec<CorpusValues> = users
                .iter()
                .map(|u| lists_corpus(&shell, &ctx, u))
                .collect();
            estimates_at_size(&subsamples, col.sizes[*g] > n, n, stats.confidence)
        })
        .collect();
    for ((c, g, _), v) in tasks.iter().zip(values) {
        let col = &plan.columns[*c];
        let matched = out.columns.get_mut(&col.name).expect("inserted above");
        matched.groups.insert(col.labels[*g].clone(), v);
    }
    Ok(out)
}

#[cfg(test)]
#[path = "size_matched_tests.rs"]
mod tests;
