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
use crate::data::{id_key, Csr};
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
pub(crate) const DENSE_CELLS: usize = 1 << 22;

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

/// The terms of ranked lists, each a product of a rank weight and an item factor: the item at
/// rank r + 1 of user u's list (`lists.row(u)`) gives, for each (column j, factor f) of its row of
/// `columns`, the term weight\[r\] · f in column j ([`RankedTerms::terms`]: list order, then row
/// order; ranks beyond `weight` give none). [`two_way_sums_ranked`] bootstraps them.
#[derive(Debug, Clone, Copy)]
pub struct RankedTerms<'a> {
    /// Per user, its list of dense item ids in rank order.
    pub lists: &'a Csr<u32>,
    /// The weight of each rank.
    pub weight: &'a [f64],
    /// Per item, its (column, factor) pairs.
    pub columns: &'a Csr<(u32, f64)>,
}

impl RankedTerms<'_> {
    /// Appends the terms of user `u`.
    pub fn terms(&self, u: u32, out: &mut Vec<Term>) {
        for (&item, &e) in self.lists.row(u as usize).iter().zip(self.weight) {
            for &(column, f) in self.columns.row(item as usize) {
                out.push(Term {
                    item,
                    column,
                    value: e * f,
                });
            }
        }
    }
}

/// Where the engine takes the users' terms from.
#[derive(Clone, Copy)]
enum Source<'a> {
    /// `terms(u, out)` appends the terms of user u.
    Each(&'a (dyn Fn(u32, &mut Vec<Term>) + Sync)),
    /// Terms of ranked lists.
    Ranked(RankedTerms<'a>),
}

impl Source<'_> {
    /// Appends the terms of user `u`.
    fn terms(&self, u: u32, out: &mut Vec<Term>) {
        match self {
            Source::Each(terms) => terms(u, out),
            Source::Ranked(ranked) => ranked.terms(u, out),
        }
    }
}

/// The units of both sides for a cap of `max_units` cells per set: (item units M, the most user
/// units K of a set). A set of more than K users is pooled into K hashed buckets; `usize::MAX`
/// (every user its own unit) when `max_units` is 0.
pub(crate) fn unit_caps(n_items: usize, max_units: usize) -> (usize, usize) {
    if max_units == 0 {
        return (n_items, usize::MAX);
    }
    let m = n_items.min(max_units.isqrt()).max(1);
    (m, (max_units / m).max(1))
}

/// The units of both sides for a cap of `max_units` cells per set: (item units, user units per
/// set).
fn plan(groups: &Groups, n_items: usize, max_units: usize) -> (usize, Vec<usize>) {
    let (m, k_cap) = unit_caps(n_items, max_units);
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
/// terms (`n_cols` values per cell, row-major), in the order a [`CellBuilder`] creates them (by
/// the first term that adds to them: the replicate sums add the cells in this order).
/// `partial::exposure_shares` lays them out from merged partial states.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Cells {
    pub(crate) user_unit: Vec<u32>,
    pub(crate) item_unit: Vec<u32>,
    pub(crate) values: Vec<f64>,
}

/// The cells of one set under construction: users are added in member order and each term is
/// added to its cell's column in the order the terms come, so a cell's sums do not depend on
/// which pass over the users builds it. Each cell keeps the first term that reached it (its
/// user's key and the term's index among the user's terms): the partial states order merged
/// cells by it (`partial::exposure_shares`).
pub(crate) struct CellBuilder {
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
    first: Vec<(u64, u32)>,
}

impl CellBuilder {
    /// The builder of a set of `n_members` users: pooled into `k_units` hashed buckets when it
    /// has more.
    fn new(n_members: usize, k_units: usize, m_units: usize, n_cols: usize, user_key: u64) -> Self {
        CellBuilder {
            pooled: k_units < n_members,
            ..Self::pooled(k_units, m_units, n_cols, user_key, DENSE_CELLS)
        }
    }

    /// A builder whose users are pooled into `k_units` buckets by their keys whatever their
    /// number, cells found through a dense table up to `dense_limit` possible cells (else a hash
    /// map; [`DENSE_CELLS`] in the audit).
    pub(crate) fn pooled(
        k_units: usize,
        m_units: usize,
        n_cols: usize,
        user_key: u64,
        dense_limit: usize,
    ) -> Self {
        let use_dense = k_units.saturating_mul(m_units) <= dense_limit;
        CellBuilder {
            pooled: true,
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
            first: Vec::new(),
        }
    }

    /// Adds the terms of the set's next member, whose key is `key`.
    pub(crate) fn add_user(&mut self, key: u64, terms: &[Term], item_unit: &[u32]) {
        let k = if self.pooled {
            bucket_of(self.user_key, key, self.k_units)
        } else {
            self.at
        };
        self.at += 1;
        let n_cols = self.n_cols;
        // Consecutive terms of one item share its cell.
        let mut last: Option<(u32, usize)> = None;
        for (i, t) in terms.iter().enumerate() {
            let slot = match last {
                Some((item, slot)) if item == t.item => slot,
                _ => {
                    let slot = self.slot(k, item_unit[t.item as usize], (key, i as u32));
                    last = Some((t.item, slot));
                    slot
                }
            };
            self.cells.values[slot * n_cols + t.column as usize] += t.value;
        }
    }

    /// The index of cell (k, m), created (with zero sums, `first` its first term) when new.
    fn slot(&mut self, k: u32, m: u32, first: (u64, u32)) -> usize {
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
            self.first.push(first);
        }
        slot as usize
    }

    /// The cells, and the first term of each.
    pub(crate) fn finish(self) -> (Cells, Vec<(u64, u32)>) {
        (self.cells, self.first)
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

/// Users per block of [`PooledUsers`]: the lists of a block's users are read while they are near
/// in memory (16,384 users: 640 kB of top-10 lists, within a core's share of the cache).
const USER_BLOCK: usize = 1 << 14;
/// Users whose terms [`build_pooled_cells`] lays out together before adding them to each pooled
/// set in turn (the sums written at a time are one set's of one unit, a few kB); at most 64, the
/// bits of a set's member mask.
const CHUNK_USERS: usize = 32;
const _: () = assert!(CHUNK_USERS <= 64);
/// Bytes of the dense sums a task of [`build_pooled_cells`] holds (more user units per task, as
/// long as they fit), small enough to stay in a core's own cache while its users are added: at
/// 10M rows a unit's sums take 257 kB (19 pooled sets × 64 item units × 27 columns), so a task
/// takes 3 units; with 8 MB a task took 31 units (three tasks), two threads wrote 16 MB of sums
/// at once, and the exposure-share step took about a quarter longer (docs/performance-log.md).
const TASK_SUMS_BYTES: usize = 1 << 20;

/// The users of the pooled sets of several families (`set_of[f]`: the set of each user in family
/// f, from [`set_of_users`]; `pooled[f][g]`: the index of set g of family f among the pooled sets,
/// or `u32::MAX`), all with `k_units` user units: the users in blocks of [`USER_BLOCK`] ids, and
/// within a block by unit, ascending within a unit, each with its pooled set in every family.
struct PooledUsers {
    n_families: usize,
    k_units: usize,
    n_blocks: usize,
    /// The users in order of (block, unit, id).
    users: Vec<u32>,
    /// The pooled set of each user of `users` in each family (`u32::MAX`: none), row-major.
    sets: Vec<u32>,
    /// The users of unit k in block b are `users[start[b·k_units + k]..start[b·k_units + k + 1]]`.
    start: Vec<usize>,
}

impl PooledUsers {
    fn new(
        set_of: &[Vec<u32>],
        pooled: &[Vec<u32>],
        k_units: usize,
        keys: &Groups,
        user_key: u64,
    ) -> Self {
        let n_families = set_of.len();
        let n_users = set_of.first().map_or(0, Vec::len);
        let n_blocks = n_users.div_ceil(USER_BLOCK);
        let pooled_set = |f: usize, u: usize| {
            pooled[f]
                .get(set_of[f][u] as usize)
                .copied()
                .unwrap_or(u32::MAX)
        };
        let active = |u: usize| (0..n_families).any(|f| pooled_set(f, u) != u32::MAX);
        let slot = |u: usize| {
            (u / USER_BLOCK) * k_units + bucket_of(user_key, keys.key(u as u32), k_units) as usize
        };
        // A counting sort by (block, unit), stable: ascending users within a unit.
        let n_slots = n_blocks * k_units;
        let mut start = vec![0usize; n_slots + 1];
        for u in (0..n_users).filter(|&u| active(u)) {
            start[slot(u) + 1] += 1;
        }
        for i in 0..n_slots {
            start[i + 1] += start[i];
        }
        let n_active = start[n_slots];
        let mut next = start.clone();
        let mut users = vec![0u32; n_active];
        let mut sets = vec![u32::MAX; n_active * n_families];
        for u in (0..n_users).filter(|&u| active(u)) {
            let at = &mut next[slot(u)];
            users[*at] = u as u32;
            for (f, s) in sets[*at * n_families..(*at + 1) * n_families]
                .iter_mut()
                .enumerate()
            {
                *s = pooled_set(f, u);
            }
            *at += 1;
        }
        let mut n_pooled = 0;
        for sets in pooled {
            for &p in sets.iter().filter(|&&p| p != u32::MAX) {
                assert_eq!(p as usize, n_pooled, "pooled sets numbered in family order");
                n_pooled += 1;
            }
        }
        PooledUsers {
            n_families,
            k_units,
            n_blocks,
            users,
            sets,
            start,
        }
    }
}

/// The non-empty cells of one user unit k of the pooled sets: per cell its pooled set, item
/// unit, the position of the term that first added to it ((user << 32) | term index: cells
/// sorted by it are in the order a [`CellBuilder`] creates them) and its `n_cols` column sums.
#[derive(Default)]
struct UnitCells {
    set: Vec<u32>,
    item_unit: Vec<u32>,
    first: Vec<u64>,
    values: Vec<f64>,
}

/// The terms of a chunk of users laid out for adding them to the cells of a set of one user unit
/// (held as [item unit][column]): per term its place `m · n_cols + column` and its value, in term
/// order; per run of consecutive terms of one item, the item's unit and the index of the run's
/// first term among its user's terms; per user, its id and the ends of its terms and runs.
#[derive(Default)]
struct ChunkTerms {
    offset: Vec<usize>,
    value: Vec<f64>,
    runs: Vec<(u32, u32)>,
    users: Vec<(u32, usize, usize)>,
}

impl ChunkTerms {
    fn clear(&mut self) {
        self.offset.clear();
        self.value.clear();
        self.runs.clear();
        self.users.clear();
    }

    /// Lays out `terms`, the terms of user `u` (the item unit of each item from `item_unit`,
    /// looked up once per run).
    fn add(&mut self, u: u32, terms: &[Term], item_unit: &[u32], n_cols: usize) {
        let mut last: Option<(u32, usize)> = None;
        for (i, t) in terms.iter().enumerate() {
            assert!((t.column as usize) < n_cols, "a column of the sums");
            let row = match last {
                Some((item, row)) if item == t.item => row,
                _ => {
                    let m = item_unit[t.item as usize];
                    self.runs.push((m, i as u32));
                    let row = m as usize * n_cols;
                    last = Some((t.item, row));
                    row
                }
            };
            self.offset.push(row + t.column as usize);
            self.value.push(t.value);
        }
        self.users.push((u, self.offset.len(), self.runs.len()));
    }

    /// Lays out the terms of user `u` of `items` ([`ChunkTerms::add`] of
    /// [`RankedTerms::terms`]: the same places and values, the same runs).
    fn add_ranked(&mut self, u: u32, items: &RankedItems) {
        let user_start = self.offset.len();
        let mut last: Option<u32> = None;
        let ranked = &items.ranked;
        for (&item, &e) in ranked.lists.row(u as usize).iter().zip(ranked.weight) {
            let (start, m) = items.head[item as usize];
            let end = items.head[item as usize + 1].0;
            if start == end {
                continue;
            }
            if last != Some(item) {
                self.runs.push((m, (self.offset.len() - user_start) as u32));
                last = Some(item);
            }
            for &entry in &items.entries[start as usize..end as usize] {
                self.offset.push((entry >> 16) as usize);
                self.value
                    .push(e * items.factors[(entry & 0xffff) as usize]);
            }
        }
        self.users.push((u, self.offset.len(), self.runs.len()));
    }
}

/// The terms of ranked lists by item, laid out for [`ChunkTerms`]: per item (and one past the
/// last) the start of its entries and its item unit; per entry its place `m · n_cols + column`
/// (the high 16 bits) and the index of its factor in `factors` (the low 16 bits).
struct RankedItems<'a> {
    ranked: RankedTerms<'a>,
    head: Vec<(u32, u32)>,
    entries: Vec<u32>,
    factors: Vec<f64>,
}

impl<'a> RankedItems<'a> {
    /// Prefetches what [`ChunkTerms::add_ranked`] will read for the users after `next[0]`, in
    /// stages, each reading what the stage before brought in: the list offsets of the fourth
    /// user on, the list of the third, its items' heads for the second, their entries for the
    /// next. The users' lists and their items are scattered in memory; each read would otherwise
    /// wait on it.
    #[inline]
    fn prefetch_ahead(&self, next: &[u32]) {
        let lists = self.ranked.lists;
        if let Some(&u) = next.get(4) {
            crate::data::prefetch(&lists.offsets()[u as usize]);
        }
        if let Some(&u) = next.get(3) {
            if let Some(first) = lists.row(u as usize).first() {
                crate::data::prefetch(first);
            }
        }
        if let Some(&u) = next.get(2) {
            for &item in lists.row(u as usize) {
                crate::data::prefetch(&self.head[item as usize]);
            }
        }
        if let Some(&u) = next.get(1) {
            for &item in lists.row(u as usize) {
                if let Some(entry) = self.entries.get(self.head[item as usize].0 as usize) {
                    crate::data::prefetch(entry);
                }
            }
        }
    }

    /// The layout of `ranked` for items in units `item_unit` and sums of `n_cols` columns, or
    /// `None` when places or distinct factors (by their bits) do not fit in 16 bits or entries in
    /// 32.
    fn new(
        ranked: RankedTerms<'a>,
        item_unit: &[u32],
        m_units: usize,
        n_cols: usize,
    ) -> Option<Self> {
        let columns = ranked.columns;
        assert_eq!(columns.n_rows(), item_unit.len(), "columns of every item");
        if m_units.checked_mul(n_cols)? > 1 << 16 {
            return None;
        }
        u32::try_from(columns.values().len()).ok()?;
        let mut factors = Vec::new();
        let mut factor_of: HashMap<u64, u32> = HashMap::new();
        let mut head = Vec::with_capacity(item_unit.len() + 1);
        let mut entries = Vec::with_capacity(columns.values().len());
        for (i, &m) in item_unit.iter().enumerate() {
            head.push((entries.len() as u32, m));
            let row = m as usize * n_cols;
            for &(column, f) in columns.row(i) {
                assert!((column as usize) < n_cols, "a column of the sums");
                let id = *factor_of.entry(f.to_bits()).or_insert_with(|| {
                    factors.push(f);
                    factors.len() as u32 - 1
                });
                if id >= 1 << 16 {
                    return None;
                }
                entries.push(((row + column as usize) as u32) << 16 | id);
            }
        }
        head.push((entries.len() as u32, 0));
        Some(RankedItems {
            ranked,
            head,
            entries,
            factors,
        })
    }
}

/// The cells of the pooled sets of several families in one pass over their users (a user's terms
/// found once and added to every pooled set the user is in). A task takes a range of user units
/// and holds their cells of every pooled set densely, [unit][pooled set][item unit][column], with
/// the first term of each cell (`u64::MAX`: empty); it reads the users block by block and, within
/// a block, unit by unit, so the lists read are the block's. The users of a unit are taken
/// [`CHUNK_USERS`] at a time: their terms are laid out once ([`ChunkTerms`], from `ranked` when
/// given, else from `terms`) and added to one pooled set after the other, so the sums written at
/// a time are one set's of one unit (a few kB). The users of a unit come in ascending order, so
/// every cell gets its terms in the order a [`CellBuilder`] adds them (same sums, bit for bit),
/// and the cells are put in the order it creates them. Returns the cells of each pooled set.
#[allow(clippy::too_many_arguments)]
fn build_pooled_cells(
    users: &PooledUsers,
    n_pooled: usize,
    item_unit: &[u32],
    m_units: usize,
    n_cols: usize,
    terms: &(dyn Fn(u32, &mut Vec<Term>) + Sync),
    ranked: Option<&RankedItems>,
) -> Vec<Cells> {
    let (n_families, k_units) = (users.n_families, users.k_units);
    let unit_cells = n_pooled * m_units;
    let unit_bytes = (unit_cells * n_cols * 8).max(1);
    let per_task = (TASK_SUMS_BYTES / unit_bytes)
        .min(k_units.div_ceil(rayon::current_num_threads().max(1)))
        .max(1);
    let tasks: Vec<std::ops::Range<usize>> = (0..k_units)
        .step_by(per_task)
        .map(|k0| k0..(k0 + per_task).min(k_units))
        .collect();
    let per_unit: Vec<UnitCells> = tasks
        .into_par_iter()
        .flat_map_iter(|units| {
            let n = units.len();
            let mut sums = vec![0.0; n * unit_cells * n_cols];
            let mut first = vec![u64::MAX; n * unit_cells];
            let mut touched: Vec<Vec<u32>> = vec![Vec::new(); n];
            let mut buf: Vec<Term> = Vec::new();
            let mut chunk = ChunkTerms::default();
            let mut in_set = vec![0u64; n_pooled];
            for block in 0..users.n_blocks {
                for k in units.clone() {
                    let slot = block * k_units + k;
                    let base = (k - units.start) * unit_cells;
                    let (from, to) = (users.start[slot], users.start[slot + 1]);
                    for chunk_start in (from..to).step_by(CHUNK_USERS) {
                        let chunk_users = chunk_start..(chunk_start + CHUNK_USERS).min(to);
                        chunk.clear();
                        for at in chunk_users.clone() {
                            let u = users.users[at];
                            match ranked {
                                Some(items) => {
                                    items.prefetch_ahead(&users.users[at..to]);
                                    chunk.add_ranked(u, items)
                                }
                                None => {
                                    buf.clear();
                                    terms(u, &mut buf);
                                    chunk.add(u, &buf, item_unit, n_cols);
                                }
                            }
                        }
                        // Bit j of in_set[p]: the chunk's j-th user is in pooled set p.
                        in_set.fill(0);
                        for (j, at) in chunk_users.clone().enumerate() {
                            for &p in &users.sets[at * n_families..(at + 1) * n_families] {
                                if p != u32::MAX {
                                    in_set[p as usize] |= 1 << j;
                                }
                            }
                        }
                        for (p, &members) in in_set.iter().enumerate() {
                            let first_cell = base + p * m_units;
                            let set_sums =
                                &mut sums[first_cell * n_cols..(first_cell + m_units) * n_cols];
                            let mut rest = members;
                            while rest != 0 {
                                let j = rest.trailing_zeros() as usize;
                                rest &= rest - 1;
                                let (u, term_end, run_end) = chunk.users[j];
                                let (term_start, run_start) = match j {
                                    0 => (0, 0),
                                    _ => (chunk.users[j - 1].1, chunk.users[j - 1].2),
                                };
                                let (terms, runs) = (term_start..term_end, run_start..run_end);
                                for &(m, i) in &chunk.runs[runs] {
                                    let cell = first_cell + m as usize;
                                    if first[cell] == u64::MAX {
                                        first[cell] = (u64::from(u) << 32) | u64::from(i);
                                        touched[k - units.start].push(cell as u32);
                                    }
                                }
                                for (&o, &x) in
                                    chunk.offset[terms.clone()].iter().zip(&chunk.value[terms])
                                {
                                    set_sums[o] += x;
                                }
                            }
                        }
                    }
                }
            }
            touched.into_iter().enumerate().map(move |(j, cells)| {
                let mut out = UnitCells::default();
                for cell in cells {
                    let cell = cell as usize;
                    let within = cell - j * unit_cells;
                    out.set.push((within / m_units) as u32);
                    out.item_unit.push((within % m_units) as u32);
                    out.first.push(first[cell]);
                    out.values
                        .extend_from_slice(&sums[cell * n_cols..(cell + 1) * n_cols]);
                }
                out
            })
        })
        .collect();
    // Per pooled set, its cells of every unit in creation order: (first term, unit, index).
    let mut order: Vec<Vec<(u64, u32, u32)>> = vec![Vec::new(); n_pooled];
    for (k, unit) in per_unit.iter().enumerate() {
        for (c, (&p, &first)) in unit.set.iter().zip(&unit.first).enumerate() {
            order[p as usize].push((first, k as u32, c as u32));
        }
    }
    order
        .into_par_iter()
        .map(|mut cells| {
            cells.sort_unstable_by_key(|&(first, _, _)| first);
            let mut out = Cells {
                user_unit: Vec::with_capacity(cells.len()),
                item_unit: Vec::with_capacity(cells.len()),
                values: Vec::with_capacity(cells.len() * n_cols),
            };
            for (_, k, c) in cells {
                let (unit, c) = (&per_unit[k as usize], c as usize);
                out.user_unit.push(k);
                out.item_unit.push(unit.item_unit[c]);
                out.values
                    .extend_from_slice(&unit.values[c * n_cols..(c + 1) * n_cols]);
            }
            out
        })
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
/// them to include): equal to one call per family, bit for bit. When the sets of every family are
/// disjoint and in ascending order of users, a user's terms are found once for all families: the
/// cells of the pooled sets are built in one pass over the users in order of user unit
/// ([`build_pooled_cells`]), or, when no set is pooled, in one pass over the users per thread.
pub fn two_way_sums_each(
    families: &[(&Groups, &[bool])],
    items: &ItemKeys,
    n_cols: usize,
    terms: &(dyn Fn(u32, &mut Vec<Term>) + Sync),
    cfg: &StatsConfig,
) -> Vec<TwoWayReplicates> {
    sums_each(families, items, n_cols, Source::Each(terms), cfg)
}

/// [`two_way_sums_each`] of the terms of ranked lists (`terms(u, out)` = `ranked.terms(u, out)`),
/// bit for bit: the pass by user unit reads each item's places and factors from one table
/// ([`RankedItems`]) instead of laying out the terms one by one.
pub fn two_way_sums_ranked(
    families: &[(&Groups, &[bool])],
    items: &ItemKeys,
    n_cols: usize,
    ranked: RankedTerms,
    cfg: &StatsConfig,
) -> Vec<TwoWayReplicates> {
    sums_each(families, items, n_cols, Source::Ranked(ranked), cfg)
}

/// [`two_way_sums_each`] of the terms of `source`.
fn sums_each(
    families: &[(&Groups, &[bool])],
    items: &ItemKeys,
    n_cols: usize,
    source: Source,
    cfg: &StatsConfig,
) -> Vec<TwoWayReplicates> {
    let each = |u: u32, out: &mut Vec<Term>| source.terms(u, out);
    let terms: &(dyn Fn(u32, &mut Vec<Term>) + Sync) = &each;
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
    // The pooled sets (fewer units than members) all have the same number of units, k_cap.
    let pooled_units: Vec<usize> = sets
        .iter()
        .zip(&k_units)
        .flat_map(|(groups, k)| {
            (0..groups.n_groups()).filter_map(|g| (k[g] < groups.size(g)).then_some(k[g]))
        })
        .collect();
    let k_pooled = pooled_units
        .first()
        .copied()
        .filter(|&k| pooled_units.iter().all(|&other| other == k));
    let cells: Vec<Vec<Cells>> = match (set_of, k_pooled) {
        (Some(set_of), Some(k_pooled)) => {
            let ranked = match source {
                Source::Ranked(ranked) => RankedItems::new(ranked, &item_unit, m_units, n_cols),
                Source::Each(_) => None,
            };
            build_cells_by_unit(
                &sets,
                set_of,
                &k_units,
                k_pooled,
                &item_unit,
                m_units,
                n_cols,
                user_key,
                terms,
                ranked.as_ref(),
            )
        }
        (Some(set_of), None) => {
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
        }
        (None, _) => sets
            .par_iter()
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
            .collect(),
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

/// The cells of every set of several families whose sets are disjoint and in ascending order
/// (`set_of[f]`: the set of each user in family f): the pooled sets (fewer user units than
/// members, `k_pooled` units each) from one pass over their users by unit
/// ([`build_pooled_cells`], laying out terms from `ranked` when given), the others (at most
/// `k_pooled` members each) set by set.
#[allow(clippy::too_many_arguments)]
fn build_cells_by_unit(
    sets: &[&Groups],
    set_of: Vec<Vec<u32>>,
    k_units: &[Vec<usize>],
    k_pooled: usize,
    item_unit: &[u32],
    m_units: usize,
    n_cols: usize,
    user_key: u64,
    terms: &(dyn Fn(u32, &mut Vec<Term>) + Sync),
    ranked: Option<&RankedItems>,
) -> Vec<Vec<Cells>> {
    let mut n_pooled = 0u32;
    let pooled: Vec<Vec<u32>> = sets
        .iter()
        .zip(k_units)
        .map(|(groups, k)| {
            (0..groups.n_groups())
                .map(|g| {
                    if k[g] < groups.size(g) {
                        n_pooled += 1;
                        n_pooled - 1
                    } else {
                        u32::MAX
                    }
                })
                .collect()
        })
        .collect();
    let users = PooledUsers::new(&set_of, &pooled, k_pooled, sets[0], user_key);
    drop(set_of);
    let mut pooled_cells = build_pooled_cells(
        &users,
        n_pooled as usize,
        item_unit,
        m_units,
        n_cols,
        terms,
        ranked,
    )
    .into_iter();
    drop(users);
    let mut out: Vec<Vec<Cells>> = sets
        .par_iter()
        .zip(k_units)
        .zip(&pooled)
        .map(|((groups, k_units), pooled)| {
            (0..groups.n_groups())
                .into_par_iter()
                .map(|g| {
                    if pooled[g] != u32::MAX {
                        return Cells::default();
                    }
                    build_cells(
                        groups, g, k_units[g], item_unit, m_units, n_cols, user_key, terms,
                    )
                })
                .collect()
        })
        .collect();
    for (family, pooled) in out.iter_mut().zip(&pooled) {
        for (cells, &p) in family.iter_mut().zip(pooled) {
            if p != u32::MAX {
                *cells = pooled_cells.next().expect("the cells of every pooled set");
            }
        }
    }
    out
}

/// The observed and replicate sums of the sets whose cells are `cells` (set g with `k_units[g]`
/// user units, `include[g]`), over `m_units` item units. [`two_way_sums_each`] is this on the
/// cells it builds; `partial::exposure_shares` on cells laid out from merged partial states.
pub(crate) fn replicate_cells(
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
