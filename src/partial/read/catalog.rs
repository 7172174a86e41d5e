//! The global catalog of a partitioned input as a summary per partition, merged in partition
//! order: the item numbering the one-pass loader gives the concatenation of the partitions'
//! files, the items' attributes, the history's per-item counts and the lists' counts.
//!
//! The one-pass loader numbers the items table's items in its order, then the items new in the
//! recommendations in order of first appearance, then those new in the truth table, then those
//! new in the history table (`input::load`). Over the concatenation in partition order that is:
//! the items table; the recommendations' new items of partition 0, 1, ...; then the truth's new
//! items of every partition; then the history's. A partition's loader numbers its own items the
//! same way ([`LoadDetails`] gives where each table's new items start), so its items of each
//! table, in its own order, are the global order's part for that partition. A summary
//! ([`CatalogPart`]) keeps each table's new items as lists in that order; merging two summaries
//! of consecutive runs of partitions appends the later run's lists, each item once, to the
//! earlier's: the merge is associative but not commutative, so summaries are merged in partition
//! order (any grouping).

use serde::{Deserialize, Serialize};

use crate::data::{Csr, Dataset, History, Items};
use crate::error::{Error, Result};
use crate::input::vocab::Vocab;
use crate::input::LoadDetails;
use crate::metrics::quality::lists_showing;

use super::super::PartialShown;

/// Not (yet) numbered.
const NONE: u32 = u32::MAX;

/// The catalog of a run of consecutive partitions. Items are named by provisional ids: the
/// items table's items by their codes `0..table` (the same in every partition, which reads the
/// same items table), the others by `table + j` for `extra[j]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct CatalogPart {
    /// Items of the items table (codes `0..table` in every partition and globally).
    table: usize,
    /// The items table's items with their attributes: carried by the first partition's summary
    /// only (every partition reads the same table), so one summary of a merge has it.
    table_items: Option<Items>,
    /// The ids of the items not in the items table, as first seen.
    extra: Vec<String>,
    /// The provisional ids of the recommendations' new items in global order: `main[j]` has the
    /// global code `table + j`, final once appended.
    main: Vec<u32>,
    /// The provisional ids first named by a truth table (of an audited user) after the items
    /// table and the partition's lists, in partition order then each partition's own order,
    /// each once.
    truth: Vec<u32>,
    /// The same for the history tables.
    history: Vec<u32>,
    /// Per provisional id: the history's distinct users and rows (empty without a history).
    #[serde(with = "sparse")]
    counts: Vec<[u32; 2]>,
    /// Distinct history users (every user in one partition).
    history_users: usize,
    /// Some partition had a history table.
    has_history: bool,
    /// Per global code `< table + main.len()`, recommended in a main list (after the cut at k).
    #[serde(with = "sparse")]
    recommended: Vec<bool>,
    /// Per global code `< table + main.len()`, the lists showing the item among their first 50.
    #[serde(with = "sparse")]
    shown: Vec<u64>,
    /// The lookups of a summary being merged into, built on the first merge.
    #[serde(skip)]
    index: Option<Index>,
}

/// A per-item vector as bytes: whole when most of its entries are set, else its length and its
/// entries other than the default (zero, `false`), each as its index's gap from the previous
/// entry's next index, and its value: a partition's summary grows with the items its own tables
/// name, not with the catalog.
mod sparse {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// The two forms.
    #[derive(Serialize, Deserialize)]
    enum Form<T> {
        Dense(Vec<T>),
        Sparse(usize, Vec<(usize, T)>),
    }

    pub fn serialize<T, S>(v: &[T], s: S) -> Result<S::Ok, S::Error>
    where
        T: Serialize + Default + PartialEq + Clone,
        S: Serializer,
    {
        let zero = T::default();
        let set = v.iter().filter(|x| **x != zero).count();
        if 2 * set > v.len() {
            return Form::Dense(v.to_vec()).serialize(s);
        }
        let mut next = 0usize;
        let entries: Vec<(usize, T)> = v
            .iter()
            .enumerate()
            .filter(|(_, x)| **x != zero)
            .map(|(i, x)| {
                let gap = i - next;
                next = i + 1;
                (gap, x.clone())
            })
            .collect();
        Form::Sparse(v.len(), entries).serialize(s)
    }

    pub fn deserialize<'de, T, D>(d: D) -> Result<Vec<T>, D::Error>
    where
        T: Deserialize<'de> + Default + Clone,
        D: Deserializer<'de>,
    {
        let (len, entries) = match Form::<T>::deserialize(d)? {
            Form::Dense(v) => return Ok(v),
            Form::Sparse(len, entries) => (len, entries),
        };
        let mut at = 0usize;
        let mut out: Vec<T> = Vec::new();
        for (gap, x) in entries {
            at = at
                .checked_add(gap)
                .filter(|&i| i < len)
                .ok_or_else(|| serde::de::Error::custom("a sparse entry out of range"))?;
            out.resize(at, T::default());
            out.push(x);
            at += 1;
        }
        out.resize(len, T::default());
        Ok(out)
    }
}

/// A [`CatalogPart`]'s lookups over its `extra` items.
#[derive(Debug, Clone)]
struct Index {
    /// `extra`'s ids: position `j` is the provisional id `table + j`.
    ids: Vocab,
    /// Per extra item, its global code (`table + position in main`), or [`NONE`].
    main_code: Vec<u32>,
    /// Per extra item: in `truth`, in `history`.
    listed: Vec<[bool; 2]>,
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

impl CatalogPart {
    /// The catalog of one partition's dataset `ds`, loaded with `details`; `with_table`: carry
    /// the items table's attributes (the first partition's summary).
    pub(super) fn of(ds: &Dataset, details: &LoadDetails, with_table: bool) -> CatalogPart {
        let table = details.items_table;
        let n = ds.items.ids.len();
        let codes = |r: std::ops::Range<usize>| r.map(|i| i as u32).collect::<Vec<u32>>();
        let mut part = CatalogPart {
            table,
            table_items: with_table.then(|| truncated(&ds.items, table)),
            extra: ds.items.ids[table..].to_vec(),
            main: codes(table..details.recs_end),
            truth: codes(details.recs_end..details.truth_end),
            history: codes(details.truth_end..n),
            ..CatalogPart::default()
        };
        if let Some(h) = &ds.history {
            part.has_history = true;
            part.history_users = h.n_users;
            part.counts = h
                .distinct_users
                .iter()
                .zip(&h.interactions)
                .map(|(&u, &r)| [u, r])
                .collect();
            part.counts.resize(n, [0; 2]);
        }
        // Every item of a main list is the items table's or the lists' (codes `..recs_end`).
        part.recommended = vec![false; details.recs_end];
        for &i in ds.recs.values() {
            if let Some(r) = part.recommended.get_mut(i as usize) {
                *r = true;
            }
        }
        part.shown = lists_showing(&ds.recs, details.recs_end);
        part
    }

    /// Errors unless `self`'s lists and counts are consistent (bytes from elsewhere): every
    /// provisional id in range, the per-item vectors of their lengths.
    pub(super) fn check(&self) -> std::result::Result<(), String> {
        let (table, n) = (self.table, self.table + self.extra.len());
        let in_range = |list: &[u32]| list.iter().all(|&p| (table..n).contains(&(p as usize)));
        if !in_range(&self.main) || !in_range(&self.truth) || !in_range(&self.history) {
            return Err("an item out of range".into());
        }
        let end = table + self.main.len();
        let counts = if self.has_history { n } else { 0 };
        if self.recommended.len() != end || self.shown.len() != end || self.counts.len() != counts {
            return Err("per-item counts of the wrong length".into());
        }
        if let Some(t) = &self.table_items {
            let o = t.categories.offsets();
            let good = t.ids.len() == table
                && o.len() == table + 1
                && o.windows(2).all(|w| w[0] <= w[1])
                && o.last().is_some_and(|&e| e == t.categories.values().len())
                && t.categories
                    .values()
                    .iter()
                    .all(|&c| (c as usize) < t.category_labels.len())
                && t.groups.iter().all(|g| {
                    g.codes.len() == table
                        && g.codes.iter().all(|&c| {
                            c == crate::data::Categorical::MISSING || (c as usize) < g.labels.len()
                        })
                })
                && t.popularity.as_ref().is_none_or(|p| p.len() == table)
                && t.features.as_ref().is_none_or(|f| {
                    f.len() == table && f.iter().all(|v| v.len() == f.first().map_or(0, Vec::len))
                });
            if !good {
                return Err("an items table of the wrong shape".into());
            }
        }
        Ok(())
    }

    /// The lookups of `self`'s extra items.
    fn build_index(&self) -> Index {
        let table = self.table;
        let mut ids = Vocab::new();
        for id in &self.extra {
            ids.intern(id);
        }
        let mut main_code = vec![NONE; self.extra.len()];
        for (j, &p) in self.main.iter().enumerate() {
            main_code[p as usize - table] = (table + j) as u32;
        }
        let mut listed = vec![[false; 2]; self.extra.len()];
        for (which, list) in [&self.truth, &self.history].into_iter().enumerate() {
            for &p in list {
                listed[p as usize - table][which] = true;
            }
        }
        Index {
            ids,
            main_code,
            listed,
        }
    }

    /// The catalog of `self`'s partitions followed by `later`'s (the next partitions, in
    /// order). Errors when the two read items tables of different sizes (every partition reads
    /// the same items table).
    pub(super) fn merge(mut self, later: CatalogPart) -> Result<CatalogPart> {
        let table = self.table;
        if later.table != table {
            return Err(Error::Config(format!(
                "the global pass's summaries read items tables of {table} and {} items: every \
                 partition reads the same items table",
                later.table
            )));
        }
        if self.table_items.is_none() {
            self.table_items = later.table_items;
        }
        let mut index = match self.index.take() {
            Some(index) => index,
            None => self.build_index(),
        };
        // `later`'s provisional ids → `self`'s: its extra items interned.
        let to_self: Vec<u32> = later
            .extra
            .iter()
            .map(|id| {
                let j = index.ids.intern(id);
                if j as usize == self.extra.len() {
                    self.extra.push(id.clone());
                    index.main_code.push(NONE);
                    index.listed.push([false; 2]);
                }
                (table + j as usize) as u32
            })
            .collect();
        let map = |q: u32| -> u32 {
            match (q as usize) < table {
                true => q,
                false => to_self[q as usize - table],
            }
        };
        for &q in &later.main {
            let p = map(q);
            let code = &mut index.main_code[p as usize - table];
            if *code == NONE {
                *code = (table + self.main.len()) as u32;
                self.main.push(p);
            }
        }
        for (which, list) in [&later.truth, &later.history].into_iter().enumerate() {
            for &q in list {
                let p = map(q);
                let listed = &mut index.listed[p as usize - table][which];
                if !*listed {
                    *listed = true;
                    match which {
                        0 => self.truth.push(p),
                        _ => self.history.push(p),
                    }
                }
            }
        }
        if self.has_history || later.has_history {
            self.has_history = true;
            self.counts.resize(table + self.extra.len(), [0; 2]);
            for (q, c) in later.counts.iter().enumerate() {
                let s = &mut self.counts[map(q as u32) as usize];
                s[0] += c[0];
                s[1] += c[1];
            }
        }
        self.history_users += later.history_users;
        // `later`'s global codes of the lists' items → `self`'s.
        let end = table + self.main.len();
        self.recommended.resize(end, false);
        self.shown.resize(end, 0);
        for (g, (&r, &s)) in later.recommended.iter().zip(&later.shown).enumerate() {
            let c = match g < table {
                true => g,
                false => index.main_code[map(later.main[g - table]) as usize - table] as usize,
            };
            self.recommended[c] |= r;
            self.shown[c] += s;
        }
        self.index = Some(index);
        Ok(self)
    }

    /// The global catalog: the items table, the lists' new items, then the truth's items not
    /// among them, then the history's not among either. Errors when no summary carried the
    /// items table (the first partition's does).
    pub(super) fn finish(mut self) -> Result<Catalog> {
        let table = self.table;
        let items = match self.table_items.take() {
            Some(t) if t.ids.len() == table => t,
            _ => {
                return Err(Error::Config(
                    "the global pass's summaries: none carries the items table (the first \
                     partition's does): merge every partition's summary"
                        .into(),
                ))
            }
        };
        let mut order: Vec<u32> = (0..table as u32).chain(self.main.iter().copied()).collect();
        let mut placed = vec![false; self.extra.len()];
        for &p in &self.main {
            placed[p as usize - table] = true;
        }
        for &p in self.truth.iter().chain(&self.history) {
            let j = p as usize - table;
            if !placed[j] {
                placed[j] = true;
                order.push(p);
            }
        }
        let n = order.len();
        let id = |p: u32| -> &str {
            match (p as usize) < table {
                true => &items.ids[p as usize],
                false => &self.extra[p as usize - table],
            }
        };
        let mut codes = Vocab::new();
        for &p in &order {
            codes.intern(id(p));
        }
        let counts = &self.counts;
        let history = self.has_history.then(|| History {
            per_user: Csr::default(),
            distinct_users: order.iter().map(|&p| counts[p as usize][0]).collect(),
            interactions: order.iter().map(|&p| counts[p as usize][1]).collect(),
            n_users: self.history_users,
        });
        let ids = order.iter().map(|&p| id(p).to_string()).collect();
        let mut shown = self.shown;
        shown.resize(n, 0);
        Ok(Catalog {
            codes,
            items: padded(items, ids),
            history,
            items_table: table,
            recs_end: table + self.main.len(),
            items_recommended: self.recommended.iter().filter(|&&r| r).count(),
            recommended_in_table: self.recommended.iter().take(table).filter(|&&r| r).count(),
            shown: PartialShown { shown },
        })
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
