//! The global catalog of a partitioned input, built partition by partition: the item numbering
//! the one-pass loader gives the concatenation of the partitions' files, the items' attributes,
//! and the history's per-item counts summed over the partitions.
//!
//! The one-pass loader numbers the items table's items in its order, then the items new in the
//! recommendations in order of first appearance, then those new in the truth table, then those
//! new in the history table (`input::load`). Over the concatenation in partition order that is:
//! the items table; the recommendations' new items of partition 0, 1, ...; then the truth's new
//! items of every partition; then the history's. A partition's loader numbers its own items the
//! same way ([`LoadDetails`] gives where each table's new items start), so its items of each
//! table, in its own order, are the global order's part for that partition.

use crate::data::{Csr, Dataset, History, Items};
use crate::input::vocab::Vocab;
use crate::input::LoadDetails;
use crate::metrics::quality::lists_showing;

use super::super::PartialShown;

/// Not (yet) numbered.
const NONE: u32 = u32::MAX;

/// The catalog as read so far.
#[derive(Debug, Default)]
pub(super) struct CatalogPass {
    /// Every item id seen, numbered as first seen (provisional ids).
    seen: Vocab,
    /// The provisional ids of the items table's items, then of the recommendations' new items
    /// in global order: their global codes are their positions, final once appended.
    main: Vec<u32>,
    /// Per provisional id, its position in `main` ([`NONE`] when not there).
    main_code: Vec<u32>,
    /// The provisional ids first named by a truth table (of an audited user), in partition
    /// order then each partition's own order, each once.
    truth: Vec<u32>,
    /// The same for the history tables.
    history: Vec<u32>,
    /// Per provisional id: in `truth`, in `history`.
    listed: Vec<[bool; 2]>,
    /// Per provisional id: the history's distinct users and rows (summed over partitions).
    counts: Vec<[u32; 2]>,
    /// Distinct history users, summed over partitions (every user in one partition).
    history_users: usize,
    /// Some partition had a history table.
    has_history: bool,
    /// The items table's items with their attributes (from the first partition: every
    /// partition reads the same items table), `None` before the first partition.
    table_items: Option<Items>,
    /// Per global code in `main`, recommended in a main list (after the cut at k).
    recommended: Vec<bool>,
    /// Per global code in `main`, the lists showing the item among their first 50 items.
    shown: PartialShown,
}

/// The finished catalog.
#[derive(Debug)]
pub(super) struct Catalog {
    /// Item id → global code.
    pub(super) codes: Vocab,
    /// The catalog and its attributes, in global numbering.
    pub(super) items: Items,
    /// The history's per-item counts over every partition, no per-user rows (`None` without
    /// history tables).
    pub(super) history: Option<History>,
    /// Items of the items table.
    pub(super) items_table: usize,
    /// Items of the items table or the recommendations (codes `0..recs_end`).
    pub(super) recs_end: usize,
    /// Distinct items recommended in the main lists.
    pub(super) items_recommended: usize,
    /// Recommended items among the items table's.
    pub(super) recommended_in_table: usize,
    /// Per item, the lists showing it among their first 50 items.
    pub(super) shown: PartialShown,
}

impl CatalogPass {
    /// Adds the items of one partition's dataset `ds`, loaded with `details`.
    pub(super) fn add(&mut self, ds: &Dataset, details: &LoadDetails) {
        let ids = &ds.items.ids;
        let prov: Vec<u32> = ids
            .iter()
            .map(|id| {
                let p = self.seen.intern(id);
                if p as usize == self.main_code.len() {
                    self.main_code.push(NONE);
                    self.listed.push([false; 2]);
                    self.counts.push([0; 2]);
                }
                p
            })
            .collect();
        if self.table_items.is_none() {
            self.table_items = Some(truncated(&ds.items, details.items_table));
        }
        // The items table's items (the same in every partition) and the recommendations' new
        // ones join `main`; the truth's and history's are listed for the end of the pass.
        for &p in &prov[..details.recs_end] {
            if self.main_code[p as usize] == NONE {
                self.main_code[p as usize] = self.main.len() as u32;
                self.main.push(p);
            }
        }
        for (range, which) in [
            (details.recs_end..details.truth_end, 0),
            (details.truth_end..ids.len(), 1),
        ] {
            for &p in &prov[range] {
                if !self.listed[p as usize][which] {
                    self.listed[p as usize][which] = true;
                    match which {
                        0 => self.truth.push(p),
                        _ => self.history.push(p),
                    }
                }
            }
        }
        if let Some(h) = &ds.history {
            self.has_history = true;
            self.history_users += h.n_users;
            for (j, &p) in prov.iter().enumerate() {
                let c = &mut self.counts[p as usize];
                c[0] += h.distinct_users[j];
                c[1] += h.interactions[j];
            }
        }
        // The main lists in global codes (every item of a list is in `main` by now).
        let to_main: Vec<u32> = prov.iter().map(|&p| self.main_code[p as usize]).collect();
        let lists = Csr::from_parts(
            ds.recs.offsets().to_vec(),
            ds.recs
                .values()
                .iter()
                .map(|&i| to_main[i as usize])
                .collect(),
        );
        self.recommended.resize(self.main.len(), false);
        for &i in lists.values() {
            self.recommended[i as usize] = true;
        }
        let shown = PartialShown {
            shown: lists_showing(&lists, self.main.len()),
        };
        self.shown = std::mem::take(&mut self.shown).merge(shown);
    }

    /// The global catalog: `main`, then the truth's items not in it, then the history's not in
    /// either.
    pub(super) fn finish(self) -> Catalog {
        let table = self.table_items.unwrap_or_default();
        let items_table = table.ids.len();
        let mut order = self.main.clone();
        let mut placed: Vec<bool> = self.main_code.iter().map(|&c| c != NONE).collect();
        for &p in self.truth.iter().chain(&self.history) {
            if !placed[p as usize] {
                placed[p as usize] = true;
                order.push(p);
            }
        }
        let n = order.len();
        let mut codes = Vocab::new();
        for &p in &order {
            codes.intern(self.seen.id(p));
        }
        let history = self.has_history.then(|| History {
            per_user: Csr::default(),
            distinct_users: order.iter().map(|&p| self.counts[p as usize][0]).collect(),
            interactions: order.iter().map(|&p| self.counts[p as usize][1]).collect(),
            n_users: self.history_users,
        });
        let ids = order.iter().map(|&p| self.seen.id(p).to_string()).collect();
        let mut shown = self.shown;
        shown.shown.resize(n, 0);
        Catalog {
            codes,
            items: padded(table, ids),
            history,
            items_table,
            recs_end: self.main.len(),
            items_recommended: self.recommended.iter().filter(|&&r| r).count(),
            recommended_in_table: self
                .recommended
                .iter()
                .take(items_table)
                .filter(|&&r| r)
                .count(),
            shown,
        }
    }
}

/// The first `n` items of `items` with their attributes.
fn truncated(items: &Items, n: usize) -> Items {
    let o = items.categories.offsets();
    Items {
        ids: items.ids[..n].to_vec(),
        category_labels: items.category_labels.clone(),
        categories: Csr::from_parts(o[..=n].to_vec(), items.categories.values()[..o[n]].to_vec()),
        groups: items
            .groups
            .iter()
            .map(|g| crate::data::Categorical {
                name: g.name.clone(),
                labels: g.labels.clone(),
                codes: g.codes[..n].to_vec(),
            })
            .collect(),
        popularity: items.popularity.as_ref().map(|p| p[..n].to_vec()),
        features: items.features.as_ref().map(|f| f[..n].to_vec()),
    }
}

/// The items table's items `table` extended to the catalog `ids` as the loader extends them
/// (`input::items::build_items`): the items not in the table have no category, popularity 0,
/// a zero feature vector and no item group.
fn padded(table: Items, ids: Vec<String>) -> Items {
    let n = ids.len();
    let mut items = table;
    items.categories.pad_rows(n);
    if let Some(p) = &mut items.popularity {
        p.resize(n, 0.0);
    }
    if let Some(f) = &mut items.features {
        let d = f.first().map_or(0, Vec::len);
        f.resize(n, vec![0.0; d]);
    }
    for g in &mut items.groups {
        g.codes.resize(n, crate::data::Categorical::MISSING);
    }
    items.ids = ids;
    items
}
