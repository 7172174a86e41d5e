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
//! (seed, b), as in the user-only engine, so sets are resampled independently; pooled users are
//! bucketed by their keys ([`crate::data::id_key`]). The weight of item unit m is position m of
//! the stream (item seed, b), where the item seed is derived from the seed: the same items get the
//! same weight in every set of a replicate (the catalog is shared by all slice groups). An item's
//! unit is its bucket by a hash of (seed, item key) when items are pooled, else its position in
//! ascending (key, id) order of the catalog ([`ItemKeys`]), so its weight depends on
//! (seed, b, item id) and the catalog's ids only: not on the order of the items table's rows, of
//! the sets, or the thread count.

use std::collections::HashMap;

use rayon::prelude::*;

use super::rng::{bucket_of, mix64, Poisson1, BUCKET_SALT};
use super::Groups;
use crate::data::id_key;
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

/// The catalog's items as the two-way bootstrap keys them, by dense item id: each item's key
/// ([`id_key`] of its id) and its position in ascending (key, id) order.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemKeys {
    keys: Vec<u64>,
    position: Vec<u32>,
}

impl ItemKeys {
    /// The keys and positions of the items whose ids are `ids` (by dense item id).
    pub fn of_ids<S: AsRef<str> + Sync>(ids: &[S]) -> ItemKeys {
        let keys: Vec<u64> = ids.par_iter().map(|id| id_key(id.as_ref())).collect();
        let mut order: Vec<u32> = (0..ids.len() as u32).collect();
        order.par_sort_unstable_by(|&a, &b| {
            (keys[a as usize], ids[a as usize].as_ref())
                .cmp(&(keys[b as usize], ids[b as usize].as_ref()))
        });
        let mut position = vec![0u32; ids.len()];
        for (p, &i) in order.iter().enumerate() {
            position[i as usize] = p as u32;
        }
        ItemKeys { keys, position }
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there is no item.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// The item unit of every item: its position in ascending (key, id) order when every item is its
/// own unit, else one of `n_units` buckets by a hash of (seed, item key).
pub(crate) fn item_units(items: &ItemKeys, n_units: usize, seed: u64) -> Vec<u32> {
    if n_units >= items.len() {
        return items.position.clone();
    }
    let key = mix64(seed ^ ITEM_BUCKET_SALT);
    items
        .keys
        .iter()
        .map(|&k| bucket_of(key, k, n_units))
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

/// The cells of one set under construction: users are added in member order and each term is
/// added to its cell's column in the order the terms come, so a cell's sums do not depend on
/// which pass over the users builds it.
struct CellBuilder {
    /// Whether users are pooled into hashed buckets (else user unit = position in the set).
    pooled: bool,
    k_units: usize,
    m_units: usize,
    n_cols: usize,
    user_key: u64,
    /// Users added so far.
    at: u32,
    use_dense: bool,
    dense: Vec<u32>,
    sparse: HashMap<(u32, u32), u32>,
    cells: Cells,
}

impl CellBuilder {
    fn new(n_members: usize, k_units: usize, m_units: usize, n_cols: usize, user_key: u64) -> Self {
        let use_dense = k_units.saturating_mul(m_units) <= DENSE_CELLS;
        CellBuilder {
            pooled: k_units < n_members,
            k_units,
            m_units,
            n_cols,
            user_key,
            at: 0,
            use_dense,
            dense: if use_dense {
                vec![u32::MAX; k_units * m_units]
            } else {
                Vec::new()
            },
            sparse: HashMap::new(),
            cells: Cells::default(),
        }
    }

    /// Adds the terms of the set's next member, whose key is `key`.
    fn add_user(&mut self, key: u64, terms: &[Term], item_unit: &[u32]) {
        let k = if self.pooled {
            bucket_of(self.user_key, key, self.k_units)
        } else {
            self.at
        };
        self.at += 1;
        let n_cols = self.n_cols;
        // Consecutive terms of one item share its cell.
        let mut last: Option<(u32, usize)> = None;
        for t in terms {
            let slot = match last {
                Some((item, slot)) if item == t.item => slot,
                _ => {
                    let slot = self.slot(k, item_unit[t.item as usize]);
                    last = Some((t.item, slot));
                    slot
                }
            };
            self.cells.values[slot * n_cols + t.column as usize] += t.value;
        }
    }

    /// The index of cell (k, m), created (with zero sums) when new.
    fn slot(&mut self, k: u32, m: u32) -> usize {
        let next = self.cells.user_unit.len() as u32;
        let slot = if self.use_dense {
            let s = &mut self.dense[k as usize * self.m_units + m as usize];
            if *s == u32::MAX {
                *s = next;
            }
            *s
        } else {
            *self.sparse.entry((k, m)).or_insert(next)
        };
        if slot == next {
            self.cells.user_unit.push(k);
            self.cells.item_unit.push(m);
            self.cells
                .values
                .extend(std::iter::repeat_n(0.0, self.n_cols));
        }
        slot as usize
    }
}

/// Sums the terms of the members of set `g` into cells (pooled users bucketed by their keys).
#[allow(clippy::too_many_arguments)]
fn build_cells(
    groups: &Groups,
    g: usize,
    k_units: usize,
    item_unit: &[u32],
    m_units: usize,
    n_cols: usize,
    user_key: u64,
    terms: &(dyn Fn(u32, &mut Vec<Term>) + Sync),
) -> Cells {
    let members = groups.members(g);
    let mut builder = CellBuilder::new(members.len(), k_units, m_units, n_cols, user_key);
    let mut buf = Vec::new();
    for &u in members {
        buf.clear();
        terms(u, &mut buf);
        builder.add_user(groups.key(u), &buf, item_unit);
    }
    builder.cells
}

/// The set of each user 0..`n_users` in `groups` (`u32::MAX`: none), when the sets are disjoint
/// and each lists its members in ascending order (`None` otherwise).
fn set_of_users(groups: &Groups, n_users: usize) -> Option<Vec<u32>> {
    let mut set = vec![u32::MAX; n_users];
    for g in 0..groups.n_groups() {
        let members = groups.members(g);
        if members.windows(2).any(|w| w[0] >= w[1]) {
            return None;
        }
        for &u in members {
            let s = set.get_mut(u as usize)?;
            if *s != u32::MAX {
                return None;
            }
            *s = g as u32;
        }
    }
    Some(set)
}

/// The cells of every set of several families of sets (`set_of[f]`: the set of each user in
/// family f, from [`set_of_users`]), in one pass over the users: each user's terms are found once
/// and added to the cells of every set the user is in, so every set adds its members in
/// ascending order, as [`build_cells`] does. `k_units[f][g]` is the number of user units of set g
/// of family f.
#[allow(clippy::too_many_arguments)]
fn build_cells_of_families(
    families: &[&Groups],
    set_of: &[Vec<u32>],
    k_units: &[Vec<usize>],
    item_unit: &[u32],
    m_units: usize,
    n_cols: usize,
    user_key: u64,
    terms: &(dyn Fn(u32, &mut Vec<Term>) + Sync),
) -> Vec<Vec<Cells>> {
    let n_users = set_of.first().map_or(0, Vec::len);
    let mut builders: Vec<Vec<CellBuilder>> = families
        .iter()
        .zip(k_units)
        .map(|(f, k)| {
            (0..f.n_groups())
                .map(|g| CellBuilder::new(f.size(g), k[g], m_units, n_cols, user_key))
                .collect()
        })
        .collect();
    let mut buf = Vec::new();
    for u in 0..n_users {
        if set_of.iter().all(|set| set[u] == u32::MAX) {
            continue;
        }
        buf.clear();
        terms(u as u32, &mut buf);
        let key = families[0].key(u as u32);
        for (set, family) in set_of.iter().zip(builders.iter_mut()) {
            if let Some(cells) = family.get_mut(set[u] as usize) {
                cells.add_user(key, &buf, item_unit);
            }
        }
    }
    builders
        .into_iter()
        .map(|family| family.into_iter().map(|b| b.cells).collect())
        .collect()
}

/// `rows` × `cols` row-major `a` as `cols` × `rows` row-major.
fn transpose(a: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    let mut t = vec![0.0; a.len()];
    for (r, row) in a.chunks_exact(cols.max(1)).enumerate() {
        for (c, &x) in row.iter().enumerate() {
            t[c * rows + r] = x;
        }
    }
    t
}

/// The replicate sums of one set's cells over a batch of `r_n` replicates: for every cell
/// (user unit k, item unit m) in cell order, the weight products p_r = w_rk · v_rm and then, for
/// every column j with a non-zero sum x_j, `out[j·r_n + r] += p_r · x_j`. `w_t` and `v_t` hold
/// the weights of each unit for the batch's replicates side by side (`w_t[k·r_n + r]`).
fn add_cells(c: &Cells, n_cols: usize, w_t: &[f64], v_t: &[f64], r_n: usize, out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: the CPU has AVX, checked just above.
        return unsafe { add_cells_avx(c, n_cols, w_t, v_t, r_n, out) };
    }
    add_cells_with(c, n_cols, w_t, v_t, r_n, out);
}

/// [`add_cells`] compiled for AVX: the same multiplies and adds in the same order, 4 replicates
/// to a register (never a fused multiply-add), so the sums are bit-identical.
///
/// # Safety
/// The CPU must support AVX.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn add_cells_avx(
    c: &Cells,
    n_cols: usize,
    w_t: &[f64],
    v_t: &[f64],
    r_n: usize,
    out: &mut [f64],
) {
    add_cells_with(c, n_cols, w_t, v_t, r_n, out);
}

/// The body of [`add_cells`]: a full batch of [`REP_BATCH`] replicates with fixed-length loops,
/// a shorter one with loops of its length.
#[inline(always)]
fn add_cells_with(c: &Cells, n_cols: usize, w_t: &[f64], v_t: &[f64], r_n: usize, out: &mut [f64]) {
    if r_n == REP_BATCH {
        add_cells_fixed::<REP_BATCH>(c, n_cols, w_t, v_t, out);
        return;
    }
    let mut p = vec![0.0; r_n];
    for (cell, row) in c.values.chunks_exact(n_cols.max(1)).enumerate() {
        let (k, m) = (c.user_unit[cell] as usize, c.item_unit[cell] as usize);
        let w = &w_t[k * r_n..(k + 1) * r_n];
        let v = &v_t[m * r_n..(m + 1) * r_n];
        let mut any = false;
        for ((pr, &wr), &vr) in p.iter_mut().zip(w).zip(v) {
            *pr = wr * vr;
            any |= *pr != 0.0;
        }
        if !any {
            continue;
        }
        for (dst, &x) in out.chunks_exact_mut(r_n).zip(row) {
            if x != 0.0 {
                for (d, &pr) in dst.iter_mut().zip(&p) {
                    *d += pr * x;
                }
            }
        }
    }
}

/// [`add_cells_with`] for batches of exactly `R` replicates.
#[inline(always)]
fn add_cells_fixed<const R: usize>(
    c: &Cells,
    n_cols: usize,
    w_t: &[f64],
    v_t: &[f64],
    out: &mut [f64],
) {
    let w_t: &[[f64; R]] = w_t.as_chunks::<R>().0;
    let v_t: &[[f64; R]] = v_t.as_chunks::<R>().0;
    let out: &mut [[f64; R]] = out.as_chunks_mut::<R>().0;
    for (cell, row) in c.values.chunks_exact(n_cols.max(1)).enumerate() {
        let (w, v) = (
            &w_t[c.user_unit[cell] as usize],
            &v_t[c.item_unit[cell] as usize],
        );
        let p: [f64; R] = std::array::from_fn(|r| w[r] * v[r]);
        if p.iter().all(|&pr| pr == 0.0) {
            continue;
        }
        for (dst, &x) in out.iter_mut().zip(row) {
            if x != 0.0 {
                for (d, &pr) in dst.iter_mut().zip(&p) {
                    *d += pr * x;
                }
            }
        }
    }
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
/// (items are dense ids of the catalog keyed by `items`, columns below `n_cols`).
/// `cfg.resamples` replicates seeded by `cfg.seed`, at most `cfg.bootstrap_units` cells
/// (user unit × item unit) per set. See the module documentation for the scheme.
pub fn two_way_sums(
    groups: &Groups,
    include: &[bool],
    items: &ItemKeys,
    n_cols: usize,
    terms: &(dyn Fn(u32, &mut Vec<Term>) + Sync),
    cfg: &StatsConfig,
) -> TwoWayReplicates {
    let (m_units, k_units) = plan(groups, items.len(), cfg.bootstrap_units);
    let item_unit = item_units(items, m_units, cfg.seed);
    let user_key = mix64(cfg.seed ^ BUCKET_SALT);
    let cells: Vec<Cells> = (0..groups.n_groups())
        .into_par_iter()
        .map(|g| {
            build_cells(
                groups, g, k_units[g], &item_unit, m_units, n_cols, user_key, terms,
            )
        })
        .collect();
    replicate_cells(cells, &k_units, m_units, include, n_cols, cfg)
}

/// [`two_way_sums`] of several families of sets at once (`families[f]`: the sets and which of
/// them to include): equal to one call per family. When the sets of every family are disjoint and
/// in ascending order of users, the cells of all families are built in one pass over the users per
/// thread (a user's terms are found once per pass, not once per family).
pub fn two_way_sums_each(
    families: &[(&Groups, &[bool])],
    items: &ItemKeys,
    n_cols: usize,
    terms: &(dyn Fn(u32, &mut Vec<Term>) + Sync),
    cfg: &StatsConfig,
) -> Vec<TwoWayReplicates> {
    let plans: Vec<(usize, Vec<usize>)> = families
        .iter()
        .map(|(groups, _)| plan(groups, items.len(), cfg.bootstrap_units))
        .collect();
    let Some(&(m_units, _)) = plans.first() else {
        return Vec::new();
    };
    let k_units: Vec<Vec<usize>> = plans.into_iter().map(|(_, k)| k).collect();
    let item_unit = item_units(items, m_units, cfg.seed);
    let user_key = mix64(cfg.seed ^ BUCKET_SALT);
    let sets: Vec<&Groups> = families.iter().map(|(groups, _)| *groups).collect();
    let n_users = sets
        .iter()
        .flat_map(|g| (0..g.n_groups()).flat_map(|s| g.members(s).iter().max()))
        .max()
        .map_or(0, |&u| u as usize + 1);
    let set_of: Option<Vec<Vec<u32>>> = sets
        .par_iter()
        .map(|groups| set_of_users(groups, n_users))
        .collect();
    let cells: Vec<Vec<Cells>> = if let Some(set_of) = set_of {
        let per_pass = sets.len().div_ceil(rayon::current_num_threads().max(1));
        sets.par_chunks(per_pass)
            .zip(set_of.par_chunks(per_pass))
            .zip(k_units.par_chunks(per_pass))
            .flat_map_iter(|((sets, set_of), k_units)| {
                build_cells_of_families(
                    sets, set_of, k_units, &item_unit, m_units, n_cols, user_key, terms,
                )
            })
            .collect()
    } else {
        sets.par_iter()
            .zip(&k_units)
            .map(|(groups, k_units)| {
                (0..groups.n_groups())
                    .into_par_iter()
                    .map(|g| {
                        build_cells(
                            groups, g, k_units[g], &item_unit, m_units, n_cols, user_key, terms,
                        )
                    })
                    .collect()
            })
            .collect()
    };
    cells
        .into_par_iter()
        .zip(&k_units)
        .zip(families)
        .map(|((cells, k_units), (_, include))| {
            replicate_cells(cells, k_units, m_units, include, n_cols, cfg)
        })
        .collect()
}

/// The observed and replicate sums of the sets whose cells are `cells` (set g with `k_units[g]`
/// user units, `include[g]`), over `m_units` item units.
fn replicate_cells(
    cells: Vec<Cells>,
    k_units: &[usize],
    m_units: usize,
    include: &[bool],
    n_cols: usize,
    cfg: &StatsConfig,
) -> TwoWayReplicates {
    let n_sets = cells.len();
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
            let v_t = transpose(&v, r_n, m_units);
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
                    let w_t = transpose(&w, r_n, k_n);
                    let mut out = vec![0.0; n_cols * r_n];
                    add_cells(&cells[g], n_cols, &w_t, &v_t, r_n, &mut out);
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
