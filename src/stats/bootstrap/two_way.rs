//! The two-way (users × items) bootstrap of sums of user-item terms: the pigeonhole bootstrap of
//! Owen (2007, "The pigeonhole bootstrap", Ann. Appl. Stat. 1(2), doi:10.1214/07-AOAS122), as
//! used for online experiments by Bakshy & Eckles (2013, "Uncertainty in online experiments with
//! dependent data", KDD, doi:10.1145/2487575.2488218).
//!
//! # Formula
//! For a set of users S and columns j, the statistic is built from sums of terms x_uij over the
//! pairs (u, i) of a user u ∈ S and an item i of the user's list. Replicate b draws a Poisson(1)
//! weight w_bu per user unit and, independently, a Poisson(1) weight v_bi per item unit, and each
//! term gets the product:
//!
//! ```text
//! S_bj = Σ_{u∈S} Σ_i w_bu · v_bi · x_uij
//! ```
//!
//! Resampling users only treats the catalog as fixed; when items carry effects of their own (an
//! item shown to many users moves all their terms together), the user-only interval is too narrow
//! for a population of items. The product weights resample both sides of the crossed design.
//!
//! # Units
//! With a cap U on the units of one side, cells (user unit × item unit) are kept to at most U per
//! user set: the items are pooled into M = min(n_items, ⌊√U⌋) hashed buckets (64 at the default
//! U = 4,096) and the users of each set into K = min(|S|, ⌊U / M⌋) hashed buckets ("random
//! groups", Wolter 2007, ch. 2, on both sides). U = 0 resamples every user and every item.
//!
//! # Determinism and independence
//! The weight of user unit k of set g in replicate b is position (offset of g + k) of the stream
//! (seed, b), as in the user-only engine, so sets are resampled independently. The weight of item
//! unit m is position m of the stream (item seed, b), where the item seed is derived from the seed:
//! the same items get the same weight in every set of a replicate (the catalog is shared by all
//! slice groups) and an item's weight (its bucket's, when pooled) depends on (seed, b, item) only,
//! not on the order of the sets or the thread count.

use std::collections::HashMap;

use rayon::prelude::*;

use super::rng::{bucket_of, mix64, Poisson1, BUCKET_SALT};
use super::Groups;
use crate::metrics::finite;
use crate::stats::{Estimate, StatsConfig};

/// Salt of the item seed: item weights come from the streams (mix64(seed ⊕ ITEM_SALT), b).
const ITEM_SALT: u64 = 0x6974_656d_7765_6967;
/// Salt of the item bucket hash.
const ITEM_BUCKET_SALT: u64 = 0x6974_656d_6275_636b;
/// Replicates per parallel task.
const REP_BATCH: usize = 32;
/// Above this many possible cells (user units × item units) of a set, cells are found through a
/// hash map instead of a dense table.
const DENSE_CELLS: usize = 1 << 22;

/// One user-item term: the item and the column it adds `value` to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Term {
    /// Dense item id.
    pub item: u32,
    /// Column of the sums.
    pub column: u32,
    /// The term's value x_uij.
    pub value: f64,
}

/// The units of both sides for a cap of `max_units` cells per set: (items per item unit, the item
/// unit of each item, user units per set).
fn plan(groups: &Groups, n_items: usize, max_units: usize) -> (usize, Vec<usize>) {
    if max_units == 0 {
        let sets = (0..groups.n_groups()).map(|g| groups.size(g)).collect();
        return (n_items, sets);
    }
    let m = n_items.min(max_units.isqrt()).max(1);
    let k_cap = (max_units / m).max(1);
    let sets = (0..groups.n_groups())
        .map(|g| groups.size(g).min(k_cap))
        .collect();
    (m, sets)
}

/// The item unit of every item: the item itself, or one of `n_units` buckets by a hash of
/// (seed, item).
pub(crate) fn item_units(n_items: usize, n_units: usize, seed: u64) -> Vec<u32> {
    if n_units >= n_items {
        return (0..n_items as u32).collect();
    }
    let key = mix64(seed ^ ITEM_BUCKET_SALT);
    (0..n_items as u32)
        .map(|i| bucket_of(key, i, n_units))
        .collect()
}

/// The Poisson(1) weights of the `n` item units in replicate `b` (position m of the item stream).
pub(crate) fn item_weights(poisson: &Poisson1, seed: u64, b: usize, out: &mut [f64]) {
    poisson.fill(out, mix64(seed ^ ITEM_SALT), b as u64, 0);
}

/// The cells of one set: per non-empty cell its user unit, item unit and the column sums of its
/// terms (`n_cols` values per cell, row-major).
#[derive(Debug, Clone, Default)]
struct Cells {
    user_unit: Vec<u32>,
    item_unit: Vec<u32>,
    values: Vec<f64>,
}

/// Sums the terms of the members of set `g` into cells.
#[allow(clippy::too_many_arguments)]
fn build_cells(
    members: &[u32],
    k_units: usize,
    item_unit: &[u32],
    m_units: usize,
    n_cols: usize,
    user_key: u64,
    terms: &(dyn Fn(u32, &mut Vec<Term>) + Sync),
) -> Cells {
    let pooled = k_units < members.len();
    let mut cells = Cells::default();
    let mut dense: Vec<u32> = Vec::new();
    let mut sparse: HashMap<(u32, u32), u32> = HashMap::new();
    let use_dense = k_units.saturating_mul(m_units) <= DENSE_CELLS;
    if use_dense {
        dense = vec![u32::MAX; k_units * m_units];
    }
    let mut buf = Vec::new();
    for (at, &u) in members.iter().enumerate() {
        let k = if pooled {
            bucket_of(user_key, u, k_units)
        } else {
            at as u32
        };
        buf.clear();
        terms(u, &mut buf);
        for t in &buf {
            let m = item_unit[t.item as usize];
            let next = cells.user_unit.len() as u32;
            let slot = if use_dense {
                let s = &mut dense[k as usize * m_units + m as usize];
                if *s == u32::MAX {
                    *s = next;
                }
                *s
            } else {
                *sparse.entry((k, m)).or_insert(next)
            };
            if slot == next {
                cells.user_unit.push(k);
                cells.item_unit.push(m);
                cells.values.extend(std::iter::repeat_n(0.0, n_cols));
            }
            cells.values[slot as usize * n_cols + t.column as usize] += t.value;
        }
    }
    cells
}

/// Observed and two-way replicate sums of every set of users.
#[derive(Debug, Clone)]
pub struct TwoWayReplicates {
    resamples: usize,
    n_cols: usize,
    observed: Vec<f64>,
    reps: Vec<f64>,
    included: Vec<bool>,
}

impl TwoWayReplicates {
    /// Column sums of set `g` as observed (all weights 1).
    pub fn observed(&self, g: usize) -> &[f64] {
        &self.observed[g * self.n_cols..(g + 1) * self.n_cols]
    }

    /// Column sums of set `g` in replicate `b` (all zero when the set was not included).
    pub fn replicate(&self, g: usize, b: usize) -> &[f64] {
        let at = (g * self.resamples + b) * self.n_cols;
        &self.reps[at..at + self.n_cols]
    }

    /// The ratio of column sums `num` / `den` of set `g` with its percentile interval at level
    /// `confidence` (undefined where the denominator is 0); `n` is passed through. Sets that
    /// were not included get the point value only.
    pub fn ratio_estimate(
        &self,
        g: usize,
        num: usize,
        den: usize,
        n: usize,
        confidence: f64,
    ) -> Estimate {
        let ratio = |s: &[f64]| {
            if s[den] != 0.0 {
                s[num] / s[den]
            } else {
                f64::NAN
            }
        };
        let value = finite(ratio(self.observed(g)));
        if !self.included[g] || value.is_none() || self.resamples == 0 {
            return Estimate::point(value, n);
        }
        let reps: Vec<f64> = (0..self.resamples)
            .map(|b| ratio(self.replicate(g, b)))
            .collect();
        Estimate::with_interval(value, &reps, n, confidence)
    }
}

/// Two-way bootstraps the column sums of the user-item terms of every set of `groups` with
/// `include[g]` (a missing entry counts as false): `terms(u, out)` appends the terms of user u
/// (items are dense ids below `n_items`, columns below `n_cols`). `cfg.resamples` replicates
/// seeded by `cfg.seed`, at most `cfg.bootstrap_units` cells (user unit × item unit) per set.
/// See the module documentation for the scheme.
pub fn two_way_sums(
    groups: &Groups,
    include: &[bool],
    n_items: usize,
    n_cols: usize,
    terms: &(dyn Fn(u32, &mut Vec<Term>) + Sync),
    cfg: &StatsConfig,
) -> TwoWayReplicates {
    let n_sets = groups.n_groups();
    let (m_units, k_units) = plan(groups, n_items, cfg.bootstrap_units);
    let item_unit = item_units(n_items, m_units, cfg.seed);
    let user_key = mix64(cfg.seed ^ BUCKET_SALT);
    let cells: Vec<Cells> = (0..n_sets)
        .into_par_iter()
        .map(|g| {
            build_cells(
                groups.members(g),
                k_units[g],
                &item_unit,
                m_units,
                n_cols,
                user_key,
                terms,
            )
        })
        .collect();
    let observed: Vec<f64> = cells
        .iter()
        .flat_map(|c| {
            let mut sums = vec![0.0; n_cols];
            for row in c.values.chunks_exact(n_cols.max(1)) {
                for (s, v) in sums.iter_mut().zip(row) {
                    *s += v;
                }
            }
            sums
        })
        .collect();
    let included: Vec<bool> = (0..n_sets)
        .map(|g| include.get(g).copied().unwrap_or(false))
        .collect();
    let offsets: Vec<usize> = k_units
        .iter()
        .scan(0, |next, &k| {
            let first = *next;
            *next += k;
            Some(first)
        })
        .collect();

    let b_total = cfg.resamples;
    let batches: Vec<std::ops::Range<usize>> = (0..b_total)
        .step_by(REP_BATCH)
        .map(|b0| b0..(b0 + REP_BATCH).min(b_total))
        .collect();
    let poisson = Poisson1::new();
    let seed = cfg.seed;
    // Per batch: per included set, the sums column-major within the batch ([col][r]).
    let partials: Vec<Vec<Vec<f64>>> = batches
        .par_iter()
        .map(|batch| {
            let r_n = batch.len();
            let mut v = vec![0.0; r_n * m_units];
            for (row, b) in v.chunks_exact_mut(m_units.max(1)).zip(batch.clone()) {
                item_weights(&poisson, seed, b, row);
            }
            (0..n_sets)
                .map(|g| {
                    if !included[g] {
                        return Vec::new();
                    }
                    let k_n = k_units[g];
                    let mut w = vec![0.0; r_n * k_n];
                    for (row, b) in w.chunks_exact_mut(k_n.max(1)).zip(batch.clone()) {
                        poisson.fill(row, seed, b as u64, offsets[g]);
                    }
                    let mut out = vec![0.0; n_cols * r_n];
                    let mut p = vec![0.0; r_n];
                    let c = &cells[g];
                    for (cell, row) in c.values.chunks_exact(n_cols.max(1)).enumerate() {
                        let (k, m) = (c.user_unit[cell] as usize, c.item_unit[cell] as usize);
                        let mut any = false;
                        for (r, pr) in p.iter_mut().enumerate() {
                            *pr = w[r * k_n + k] * v[r * m_units + m];
                            any |= *pr != 0.0;
                        }
                        if !any {
                            continue;
                        }
                        for (j, &x) in row.iter().enumerate() {
                            if x != 0.0 {
                                let dst = &mut out[j * r_n..(j + 1) * r_n];
                                for (d, &pr) in dst.iter_mut().zip(&p) {
                                    *d += pr * x;
                                }
                            }
                        }
                    }
                    out
                })
                .collect()
        })
        .collect();

    let mut reps = vec![0.0; n_sets * b_total * n_cols];
    for (batch, per_set) in batches.iter().zip(&partials) {
        let r_n = batch.len();
        for (g, out) in per_set.iter().enumerate() {
            if out.is_empty() {
                continue;
            }
            for (r, b) in batch.clone().enumerate() {
                let at = (g * b_total + b) * n_cols;
                for j in 0..n_cols {
                    reps[at + j] = out[j * r_n + r];
                }
            }
        }
    }
    TwoWayReplicates {
        resamples: b_total,
        n_cols,
        observed,
        reps,
        included,
    }
}

#[cfg(test)]
#[path = "two_way_tests.rs"]
mod tests;
