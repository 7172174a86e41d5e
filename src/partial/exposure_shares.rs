//! The exposure-share intervals (`audit::exposure_intervals`, `corpus.exposure_share_intervals`
//! of `audit.json`) from partitions of users (docs/scaling.md, section 2).
//!
//! A share is a ratio of sums of exposure terms over a set of users (the overall population, or a
//! group of a slice column), S_G = Σ_u Σ_i e_ui(G) / Σ_u Σ_i e_ui, and its interval reweights
//! the terms. The replicate weight of a term depends on (seed, replicate, its user's unit, its
//! item's unit) only, so the state holds the sums the replicates reweight, per unit:
//!
//! - **two-way** (`item_resampling`, `stats::two_way_sums_each`): per set, the cells (user unit ×
//!   item unit) of column sums, one column per item group of every item-group column and the
//!   total. A set of more than K users (K = `bootstrap_units` / M, M = min(|I|, ⌊√units⌋) item
//!   units) has K hashed user buckets: its cells are sums over users, added at a merge, each
//!   with the first term that made it (user key, term index; the smallest at a merge), which
//!   orders the cells as the one-pass builder creates them. A set of at most K users has a unit
//!   per user at the user's rank by key: its users' own cells are kept, by key, and laid out at
//!   finish. Item units are a function of the catalog (`ItemKeys`), broadcast with
//!   [`ItemStats`];
//! - **user-only**: per set, the per-user masses of every item group and the total as the
//!   per-user means keep their values ([`GroupState`]: hashed bucket sums always, the users' rows
//!   while the set has at most `bootstrap_units` users), finished by the same replicate engine
//!   on the same units (`build_units`, `replicate_units`).
//!
//! [`map_exposure_shares`] builds the state of a partition, [`PartialExposureShares::merge`]
//! adds two (associative and commutative: sums added, rows concatenated), and
//! [`finish_exposure_shares`] gives the one-pass `BTreeMap<String, ExposureShares>` with the
//! one-pass code (`assemble_shares`, the replicate engines, `two_way_estimates`). Cells of users
//! resampled one by one are bit-identical under any partitioning; the sums of hashed buckets are
//! f64 additions in partition order (bit-identical with one partition).

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::audit::exposure_intervals::{
    assemble_shares, rank_weights, share_group_batch, share_statistics, share_terms,
    two_way_estimates, user_share_columns, ShareColumn,
};
use crate::data::{Csr, Dataset, RecLists};
use crate::metrics::exposure::{self, ExposureConfig, ItemGroups};
use crate::result::ExposureShares;
use crate::settings::AuditConfig;
use crate::stats::bootstrap::{
    item_units, mix64, replicate_cells, replicate_units, unit_caps, CellBuilder, Cells,
    BUCKET_SALT, DENSE_CELLS,
};
use crate::stats::{Estimate, ItemKeys, StatsConfig, Term};

use super::finish::{build_units, sort_group_rows};
use super::state::{GroupState, PartialSettings};
use super::{FinishError, ItemStats, SlicePlan};

/// One user's two-way cells: per cell its item unit and `n_cols` column sums (row-major), in the
/// order the user's terms create them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UserCells {
    /// The user's key ([`crate::data::id_key`] of the id).
    pub key: u64,
    /// Item unit of each cell.
    pub item_unit: Vec<u32>,
    /// Column sums, cell-major.
    pub values: Vec<f64>,
}

/// One cell (user bucket × item unit) of a pooled set.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketCell {
    /// The first term that added to the cell: (user key, index of the term among the user's
    /// terms), the smallest of its users. Cells in ascending `first` are in the order the
    /// one-pass builder creates them (it adds users in ascending key, terms in order).
    pub first: (u64, u32),
    /// Column sums.
    pub values: Vec<f64>,
}

/// The two-way state of one set of users.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CellSet {
    /// Users seen.
    pub n: u64,
    /// Every user's own cells while the set may be resampled user by user (at most K users);
    /// `None` above, or when the slice plan says the set is pooled.
    pub users: Option<Vec<UserCells>>,
    /// The cells of the hashed user buckets, by (bucket, item unit); empty when the set is
    /// resampled user by user (the plan says so, or `bootstrap_units` is 0).
    pub buckets: BTreeMap<(u32, u32), BucketCell>,
}

impl CellSet {
    /// The cells of the union of two disjoint sets of users; users' rows dropped above `k_cap`.
    pub fn merge(a: CellSet, b: CellSet, k_cap: usize) -> CellSet {
        let n = a.n + b.n;
        let users = match (a.users, b.users) {
            (Some(mut x), Some(y)) if n as usize <= k_cap => {
                x.extend(y);
                Some(x)
            }
            _ => None,
        };
        let mut buckets = a.buckets;
        for (cell, c) in b.buckets {
            buckets
                .entry(cell)
                .and_modify(|x| {
                    x.first = x.first.min(c.first);
                    for (s, v) in x.values.iter_mut().zip(&c.values) {
                        *s += v;
                    }
                })
                .or_insert(c);
        }
        CellSet { n, users, buckets }
    }
}

/// The sets of every family: the overall population (one set) first, then each slice column of
/// the plan (one set per group, suppressed ones included: they hold units of the column).
#[derive(Debug, Clone, PartialEq)]
pub enum ShareSets {
    /// Two-way cells (`item_resampling`).
    TwoWay(Vec<Vec<CellSet>>),
    /// Per-user masses (users only): value j < n_cols − 1 the exposure of item group j, the last
    /// the total exposure.
    UserOnly(Vec<Vec<GroupState>>),
}

/// The exposure-share state of a set of users.
#[derive(Debug, Clone, PartialEq)]
pub struct PartialExposureShares {
    /// The statistics settings (seed, replicates, units, item resampling).
    pub stats: StatsConfig,
    /// Columns of the sums: the groups of every item-group column, then the total.
    pub n_cols: usize,
    /// A set of at most this many users is resampled user by user (`usize::MAX`: every set):
    /// K = `bootstrap_units` / M of the catalog (two-way), `bootstrap_units` (users only).
    pub user_units: usize,
    /// Per family, per set.
    pub sets: ShareSets,
}

/// The item groups of every item-group column of the broadcast catalog, as the one-pass audit
/// finds them (`exposure::item_group_columns`).
fn item_columns(items: &ItemStats) -> Vec<ItemGroups> {
    let shell = Dataset {
        items: items.items.clone(),
        ..Dataset::default()
    };
    exposure::item_group_columns(&shell, items.popularity.as_ref())
}

/// The most users of a set resampled user by user: K of the two-way units of a catalog of
/// `n_items` items (`stats::bootstrap::unit_caps`), or, users only, `bootstrap_units` (the
/// per-user means' rule); `usize::MAX` when `bootstrap_units` is 0.
fn user_units(stats: &StatsConfig, n_items: usize) -> usize {
    if stats.item_resampling {
        unit_caps(n_items, stats.bootstrap_units).1
    } else if stats.bootstrap_units == 0 {
        usize::MAX
    } else {
        stats.bootstrap_units
    }
}

/// The per-user masses' settings: values kept while a set has at most `user_units` users.
fn user_only_settings(stats: StatsConfig, user_units: usize) -> PartialSettings {
    PartialSettings {
        stats,
        keep_rows: user_units,
        min_size: 0,
    }
}

/// The map: of a partition's users (`keys[u]` the key of its user u, `lists` their lists as item
/// indices in catalog order, `codes[c][u]` its group in slice column c of `plan`, `u32::MAX` for
/// none), the exposure-share state under the audit's settings (`cfg.stats`, the position weight).
/// Nothing depends on the order of the users: they are taken in ascending key.
pub fn map_exposure_shares(
    keys: &[u64],
    lists: &RecLists,
    codes: &[&[u32]],
    plan: &SlicePlan,
    items: &ItemStats,
    cfg: &AuditConfig,
) -> PartialExposureShares {
    let stats = cfg.stats;
    let exposure_cfg = ExposureConfig {
        weight: cfg.position_weight,
    };
    let columns = item_columns(items);
    let groups = match columns.is_empty() {
        // No item group: every item in none (the lists' terms are the total exposure only).
        true => ItemGroups {
            name: String::new(),
            labels: Vec::new(),
            members: crate::data::Csr::from_rows((0..items.n_items).map(|_| Vec::new())),
        },
        false => ItemGroups::concat(&columns),
    };
    let n_cols = groups.n_groups() + 1;
    let user_units = user_units(&stats, items.n_items);
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_unstable_by_key(|&u| keys[u]);
    // Per family, per set: its users in ascending key; and whether the plan knows the set is
    // pooled (None for the overall population, whose size the plan does not hold).
    let mut members: Vec<Vec<Vec<usize>>> = vec![vec![order.clone()]];
    for (c, col) in plan.columns.iter().enumerate() {
        let mut sets = vec![Vec::new(); col.labels.len()];
        for &u in &order {
            if let Some(m) = sets.get_mut(codes[c][u] as usize) {
                m.push(u);
            }
        }
        members.push(sets);
    }
    let sets = if stats.item_resampling {
        let (m_units, k_cap) = unit_caps(items.n_items, stats.bootstrap_units);
        debug_assert_eq!(k_cap, user_units);
        let item_unit = item_units(&ItemKeys::of_ids(&items.items.ids), m_units, stats.seed);
        let max_len = lists.rows().map(|r| r.len()).max().unwrap_or(0);
        let weight = rank_weights(max_len, &exposure_cfg);
        // Every user's terms, one row per user.
        let mut values = Vec::new();
        let mut offsets = Vec::with_capacity(keys.len() + 1);
        offsets.push(0);
        for u in 0..keys.len() {
            share_terms(lists.row(u), &weight, &groups, &mut values);
            offsets.push(values.len());
        }
        let terms = Csr::from_parts(offsets, values);
        let builder = CellSetBuilder {
            keys,
            terms: &terms,
            item_unit: &item_unit,
            k_cap,
            m_units,
            dense_limit: DENSE_CELLS,
            user_key: mix64(stats.seed ^ BUCKET_SALT),
            n_cols,
        };
        // Sets are built on all cores; each set by one thread, so nothing depends on the
        // scheduling.
        ShareSets::TwoWay(
            members
                .par_iter()
                .enumerate()
                .map(|(f, sets)| {
                    sets.par_iter()
                        .enumerate()
                        .map(|(s, users)| {
                            // The plan's size of a slice group decides its units.
                            let pooled = f.checked_sub(1).map(|c| plan.columns[c].sizes[s] > k_cap);
                            builder.build(users, pooled)
                        })
                        .collect()
                })
                .collect(),
        )
    } else {
        let (columns, _) = user_share_columns(lists, &groups, &exposure_cfg);
        let values: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
        let settings = user_only_settings(stats, user_units);
        ShareSets::UserOnly(
            members
                .iter()
                .map(|sets| {
                    sets.iter()
                        .map(|users| {
                            let mut g = GroupState::of(users, keys, &values, &settings, false);
                            // Shares are ratios of sums: no moments needed.
                            g.moments.clear();
                            g
                        })
                        .collect()
                })
                .collect(),
        )
    };
    PartialExposureShares {
        stats,
        n_cols,
        user_units,
        sets,
    }
}

/// One user's own cells from its terms, as the one-pass builder makes the cells of a user
/// resampled alone: a cell per item unit in the order the terms reach it, each term added to its
/// column in order.
fn user_cells(key: u64, terms: &[Term], item_unit: &[u32], n_cols: usize) -> UserCells {
    let mut out = UserCells {
        key,
        ..UserCells::default()
    };
    for t in terms {
        let m = item_unit[t.item as usize];
        let cell = match out.item_unit.iter().position(|&x| x == m) {
            Some(cell) => cell,
            None => {
                out.item_unit.push(m);
                out.values.extend(std::iter::repeat_n(0.0, n_cols));
                out.item_unit.len() - 1
            }
        };
        out.values[cell * n_cols + t.column as usize] += t.value;
    }
    out
}

/// What the sets of one partition are built from.
struct CellSetBuilder<'a> {
    keys: &'a [u64],
    terms: &'a Csr<Term>,
    item_unit: &'a [u32],
    k_cap: usize,
    m_units: usize,
    user_key: u64,
    n_cols: usize,
    /// Most possible cells found through a dense table ([`DENSE_CELLS`]); above, a hash map
    /// ([`CellBuilder::pooled`]).
    dense_limit: usize,
}

impl CellSetBuilder<'_> {
    /// The cells of the users `users` (in ascending key). `pooled`: whether the whole set has
    /// more than K users, when known; unknown, both the users' cells (while at most K) and the
    /// buckets are kept.
    fn build(&self, users: &[usize], pooled: Option<bool>) -> CellSet {
        let n = users.len();
        let keep_users = pooled != Some(true) && n <= self.k_cap;
        let keep_buckets = pooled != Some(false) && self.k_cap != usize::MAX;
        CellSet {
            n: n as u64,
            users: keep_users.then(|| {
                users
                    .iter()
                    .map(|&u| {
                        user_cells(self.keys[u], self.terms.row(u), self.item_unit, self.n_cols)
                    })
                    .collect()
            }),
            buckets: if keep_buckets {
                self.bucket_cells(users)
            } else {
                BTreeMap::new()
            },
        }
    }

    /// The cells of the hashed user buckets of `users` (in ascending key), as the one-pass
    /// builder makes them ([`CellBuilder`]: users in ascending key, each user's terms in order),
    /// each with its first term.
    fn bucket_cells(&self, users: &[usize]) -> BTreeMap<(u32, u32), BucketCell> {
        let (n_cols, limit) = (self.n_cols, self.dense_limit);
        let mut builder =
            CellBuilder::pooled(self.k_cap, self.m_units, n_cols, self.user_key, limit);
        for &u in users {
            builder.add_user(self.keys[u], self.terms.row(u), self.item_unit);
        }
        let (cells, first) = builder.finish();
        // At least one column: the total.
        (cells.user_unit.iter().zip(&cells.item_unit))
            .zip(first.into_iter().zip(cells.values.chunks_exact(n_cols)))
            .map(|((&k, &m), (first, values))| {
                let values = values.to_vec();
                ((k, m), BucketCell { first, values })
            })
            .collect()
    }
}

impl PartialExposureShares {
    /// The state of the union of the disjoint user sets of `self` and `other`.
    ///
    /// # Panics
    ///
    /// When the two states are not of the same settings, item groups and slice plan.
    pub fn merge(self, other: PartialExposureShares) -> PartialExposureShares {
        assert_eq!(self.stats, other.stats, "different settings");
        assert_eq!(
            (self.n_cols, self.user_units),
            (other.n_cols, other.user_units),
            "different item groups or catalogs"
        );
        let shapes = |sets: &ShareSets| -> Vec<usize> {
            match sets {
                ShareSets::TwoWay(f) => f.iter().map(Vec::len).collect(),
                ShareSets::UserOnly(f) => f.iter().map(Vec::len).collect(),
            }
        };
        assert_eq!(
            shapes(&self.sets),
            shapes(&other.sets),
            "different slice plans"
        );
        let keep = self.user_units;
        let sets = match (self.sets, other.sets) {
            (ShareSets::TwoWay(a), ShareSets::TwoWay(b)) => {
                ShareSets::TwoWay(zip_sets(a, b, |x, y| CellSet::merge(x, y, keep)))
            }
            (ShareSets::UserOnly(a), ShareSets::UserOnly(b)) => {
                ShareSets::UserOnly(zip_sets(a, b, |x, y| GroupState::merge(x, y, keep)))
            }
            _ => panic!("different settings"),
        };
        PartialExposureShares {
            stats: self.stats,
            n_cols: self.n_cols,
            user_units: self.user_units,
            sets,
        }
    }
}

/// `merge` of the sets of two states, family by family, set by set.
fn zip_sets<T>(a: Vec<Vec<T>>, b: Vec<Vec<T>>, merge: impl Fn(T, T) -> T) -> Vec<Vec<T>> {
    a.into_iter()
        .zip(b)
        .map(|(x, y)| x.into_iter().zip(y).map(|(s, t)| merge(s, t)).collect())
        .collect()
}

/// The exposure-share intervals (`corpus.exposure_share_intervals`) from the merged state of
/// every user: the cells (two-way) or units (users only) laid out as the one-pass audit lays them
/// out, run through the same replicate engine, in the same batches of item groups, and assembled
/// by the same code. An error when the state is not that of this plan, catalog and settings, or
/// misses users (a set's size differs from the plan's, or a set resampled user by user lacks its
/// users' cells).
pub fn finish_exposure_shares(
    state: &PartialExposureShares,
    plan: &SlicePlan,
    items: &ItemStats,
    cfg: &AuditConfig,
) -> Result<BTreeMap<String, ExposureShares>, FinishError> {
    let stats = cfg.stats;
    if state.stats != stats {
        return Err(FinishError(format!(
            "the exposure-share state was built with settings {:?}, the audit's are {stats:?}",
            state.stats
        )));
    }
    let item_columns = item_columns(items);
    let n_groups: usize = item_columns.iter().map(ItemGroups::n_groups).sum();
    let user_units = user_units(&stats, items.n_items);
    if (state.n_cols, state.user_units) != (n_groups + 1, user_units) {
        return Err(FinishError(format!(
            "the exposure-share state has {} columns and {} user units, the catalog {} and {}",
            state.n_cols,
            state.user_units,
            n_groups + 1,
            user_units
        )));
    }
    let sizes: Vec<Vec<usize>> = match &state.sets {
        ShareSets::TwoWay(f) => f
            .iter()
            .map(|s| s.iter().map(|c| c.n as usize).collect())
            .collect(),
        ShareSets::UserOnly(f) => f
            .iter()
            .map(|s| s.iter().map(|g| g.n as usize).collect())
            .collect(),
    };
    let planned = plan.columns.iter().map(|c| &c.sizes);
    if sizes.len() != plan.columns.len() + 1
        || sizes[0].len() != 1
        || sizes[1..].iter().zip(planned).any(|(s, p)| s != p)
    {
        return Err(FinishError(format!(
            "the exposure-share state holds {:?} users per set, the plan {:?}",
            &sizes[1.min(sizes.len())..],
            plan.columns.iter().map(|c| &c.sizes).collect::<Vec<_>>()
        )));
    }
    let include: Vec<Vec<bool>> = std::iter::once(vec![true])
        .chain(
            plan.columns
                .iter()
                .map(|c| c.suppressed.iter().map(|s| !s).collect()),
        )
        .collect();
    let columns: Vec<ShareColumn> = plan
        .columns
        .iter()
        .map(|c| ShareColumn {
            name: &c.name,
            labels: c.labels.iter().map(String::as_str).collect(),
            shown: c.suppressed.iter().map(|s| !s).collect(),
        })
        .collect();
    let group_batch = share_group_batch(sizes[0][0]);
    let total = state.n_cols - 1;
    let out = match &state.sets {
        ShareSets::TwoWay(families) => {
            let (m_units, k_cap) = unit_caps(items.n_items, stats.bootstrap_units);
            let laid: Vec<(Vec<Cells>, Vec<usize>)> = families
                .iter()
                .map(|sets| {
                    sets.iter()
                        .map(|s| lay_out_cells(s, k_cap, state.n_cols))
                        .collect::<Result<Vec<_>, _>>()
                        .map(|v| v.into_iter().unzip())
                })
                .collect::<Result<_, _>>()?;
            assemble_shares(&item_columns, &columns, group_batch, |batch| {
                let n_batch = batch.len();
                let reps = laid
                    .iter()
                    .zip(&include)
                    .map(|((cells, k_units), include)| {
                        let cells = cells
                            .iter()
                            .map(|c| columns_of(c, state.n_cols, batch.clone(), total))
                            .collect();
                        replicate_cells(cells, k_units, m_units, include, n_batch + 1, &stats)
                    })
                    .collect();
                two_way_estimates(reps, &sizes, n_batch, stats.confidence)
            })
        }
        ShareSets::UserOnly(families) => {
            let mut families = families.clone();
            let units = stats.bootstrap_units;
            for g in families.iter_mut().flatten() {
                let n = g.n as usize;
                let complete = if n > user_units {
                    g.buckets.len() == (2 * state.n_cols + 1) * units
                } else {
                    g.rows
                        .as_ref()
                        .is_some_and(|r| r.keys.len() == n && r.values.len() == n * state.n_cols)
                };
                if !complete {
                    return Err(FinishError(format!(
                        "a set of {n} users lacks its users' masses or its buckets"
                    )));
                }
                sort_group_rows(g, state.n_cols);
            }
            assemble_shares(&item_columns, &columns, group_batch, |batch| {
                let js: Vec<usize> = batch.chain([total]).collect();
                let mut per_family = families.iter().zip(&include).map(|(sets, include)| {
                    let sets: Vec<&GroupState> = sets.iter().collect();
                    user_only_estimates(&sets, state.n_cols, &js, include, &stats)
                });
                let overall = per_family.next().expect("the overall family");
                (overall, per_family.collect())
            })
        }
    };
    Ok(out)
}

/// The users-only shares of the item groups `js[..p − 1]` (over the total `js[p − 1]`) in the
/// sets `sets` of one family: the units `build_units` lays out (buckets above `bootstrap_units`
/// users, else a unit per user in ascending key), the replicate engine, and each share's
/// estimate with the users of its set as `n` (`stats::group_estimates`).
fn user_only_estimates(
    sets: &[&GroupState],
    m: usize,
    js: &[usize],
    include: &[bool],
    stats: &StatsConfig,
) -> Vec<Vec<Estimate>> {
    let p = js.len();
    let units = build_units(sets, m, js, stats).expect("sets checked by finish");
    let reps = replicate_units(&units, (p..2 * p).collect(), include, stats);
    share_statistics(p - 1)
        .iter()
        .enumerate()
        .map(|(t, stat)| {
            (0..sets.len())
                .map(|g| {
                    let n = reps.observed(g).count(t).round() as usize;
                    reps.estimate(g, stat, n, stats.confidence)
                })
                .collect()
        })
        .collect()
}

/// The cells of one set as the one-pass builder makes them, and its user units: a set of more
/// than `k_cap` users has its buckets' cells in order of their first term; a smaller one its
/// users' cells, the users in ascending key (user unit = rank).
fn lay_out_cells(
    set: &CellSet,
    k_cap: usize,
    n_cols: usize,
) -> Result<(Cells, usize), FinishError> {
    let n = set.n as usize;
    let mut cells = Cells::default();
    if n > k_cap {
        let mut order: Vec<(&(u32, u32), &BucketCell)> = set.buckets.iter().collect();
        order.sort_unstable_by_key(|(_, c)| c.first);
        for (&(k, m), c) in order {
            if c.values.len() != n_cols {
                return Err(FinishError("a bucket cell of another width".into()));
            }
            cells.user_unit.push(k);
            cells.item_unit.push(m);
            cells.values.extend_from_slice(&c.values);
        }
        return Ok((cells, k_cap));
    }
    let users = set.users.as_ref().filter(|u| u.len() == n).ok_or_else(|| {
        FinishError(format!(
            "a set of {n} users is resampled user by user but its users' cells were not kept"
        ))
    })?;
    let mut order: Vec<&UserCells> = users.iter().collect();
    order.sort_unstable_by_key(|u| u.key);
    for (k, u) in order.into_iter().enumerate() {
        if u.values.len() != u.item_unit.len() * n_cols {
            return Err(FinishError("a user's cells of another width".into()));
        }
        cells
            .user_unit
            .extend(std::iter::repeat_n(k as u32, u.item_unit.len()));
        cells.item_unit.extend_from_slice(&u.item_unit);
        cells.values.extend_from_slice(&u.values);
    }
    Ok((cells, n))
}

/// `cells` (of `n_cols` columns) with the columns `batch`, then `total`: the cells of a batch of
/// item groups as the one-pass audit builds them (same cells, same sums).
fn columns_of(cells: &Cells, n_cols: usize, batch: std::ops::Range<usize>, total: usize) -> Cells {
    Cells {
        user_unit: cells.user_unit.clone(),
        item_unit: cells.item_unit.clone(),
        values: cells
            .values
            .chunks_exact(n_cols.max(1))
            .flat_map(|row| row[batch.clone()].iter().chain([&row[total]]).copied())
            .collect(),
    }
}

#[cfg(test)]
#[path = "exposure_shares_tests.rs"]
mod tests;
