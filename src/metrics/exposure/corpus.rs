//! The fused exposure corpus pass (docs/metrics.md): for a set of users, the item counts and exposure of
//! their lists in one pass, then the Gini of both, and per item group column the exposure shares,
//! the catalog, merit and relevance target shares and the disparate exposure ratios
//! ([`ExposureContext`]). A property test holds it equal, bit for bit, to the definitions in
//! `shares.rs` and `gini.rs`.
//!
//! JSON keys (`<w>` = [`PositionWeight::name`], `<col>` = the group column's name):
//! `gini_exposure_<w>`, `gini_uniform`; shares `exposure_share_<col>`,
//! `target_share_catalog_<col>`, `disparate_exposure_ratio_catalog_<col>`, and with history
//! `target_share_merit_<col>`, `disparate_exposure_ratio_merit_<col>`, with truth
//! `target_share_relevance_<col>`, `disparate_exposure_ratio_relevance_<col>`.

use super::config::ExposureConfig;
use super::gini::gini;
use super::groups::{item_group_columns, ItemGroups};
use super::shares::{
    disparate_exposure_ratio, group_shares, item_exposure, item_interactions, item_relevance,
    target_shares,
};
use crate::data::{Csr, Dataset, Relevant};
use crate::metrics::diversity::item_counts;
use crate::metrics::popularity::Popularity;
use crate::metrics::{CorpusValues, PositionWeight};

/// The fused corpus pass: everything the exposure corpus needs that does not depend on the user
/// set, computed once per dataset (the group columns and their catalog shares), and the corpus
/// values of a user set from one pass over its lists. The values are those of the definitions
/// ([`item_exposure`], [`gini`], [`exposure_shares`](super::exposure_shares), [`target_shares`] of
/// [`item_interactions`] and [`item_relevance`], [`disparate_exposure_ratio`]), bit for bit.
#[derive(Debug, Clone)]
pub struct ExposureContext<'a> {
    ds: &'a Dataset,
    cfg: ExposureConfig,
    /// The group columns ([`item_group_columns`]).
    pub groups: Vec<ItemGroups>,
    catalog: Vec<Vec<Option<f64>>>,
}

impl<'a> ExposureContext<'a> {
    /// Builds the group columns (`popularity_band` when `pop` is given) and their catalog shares.
    pub fn new(
        ds: &'a Dataset,
        pop: Option<&Popularity>,
        cfg: &ExposureConfig,
    ) -> ExposureContext<'a> {
        let groups = item_group_columns(ds, pop);
        let catalog = groups
            .iter()
            .map(|g| g.catalog_share().into_iter().map(Some).collect())
            .collect();
        ExposureContext {
            ds,
            cfg: *cfg,
            groups,
            catalog,
        }
    }

    /// Corpus exposure values of the lists of `users` (keys in the module docs), in one pass over
    /// their lists (plus their history and truth rows for the merit targets).
    pub fn corpus(&self, users: &[u32]) -> CorpusValues {
        let counts = item_counts(&self.ds.recs, users, self.ds.items.n_items());
        self.corpus_with_counts(users, &counts)
    }

    /// [`corpus`](Self::corpus) given the [`item_counts`] of the lists of `users` (shared with
    /// the diversity corpus). The uniform exposure of an item is its count: a sum of weights of
    /// exactly 1.0, so the same bits as [`item_exposure`] with [`PositionWeight::Uniform`].
    pub fn corpus_with_counts(&self, users: &[u32], counts: &[u32]) -> CorpusValues {
        let e = match self.cfg.weight {
            PositionWeight::Uniform => counts.iter().map(|&c| f64::from(c)).collect(),
            ref weight => item_exposure(&self.ds.recs, users, self.ds.items.n_items(), weight),
        };
        self.corpus_of_counts_and_exposure(users, counts, e)
    }

    /// The [`item_counts`] and the exposure under the context's weight ([`item_exposure`]) of
    /// the lists of `users`, in one pass over the lists: the same values, each sum in the same
    /// order.
    pub fn counts_and_exposure(&self, users: &[u32]) -> (Vec<u32>, Vec<f64>) {
        let (recs, n_items) = (&self.ds.recs, self.ds.items.n_items());
        if self.cfg.weight == PositionWeight::Uniform {
            let counts = item_counts(recs, users, n_items);
            let e = counts.iter().map(|&c| f64::from(c)).collect();
            return (counts, e);
        }
        let max_len = users
            .iter()
            .map(|&u| recs.row(u as usize).len())
            .max()
            .unwrap_or(0);
        let w: Vec<f64> = (1..=max_len).map(|r| self.cfg.weight.weight(r)).collect();
        let (mut counts, mut e) = (vec![0u32; n_items], vec![0.0; n_items]);
        for &u in users {
            for (&i, &w) in recs.row(u as usize).iter().zip(&w) {
                counts[i as usize] += 1;
                e[i as usize] += w;
            }
        }
        (counts, e)
    }

    /// [`corpus_with_counts`](Self::corpus_with_counts) given the exposure `e` too, as
    /// [`counts_and_exposure`](Self::counts_and_exposure) gives them.
    pub fn corpus_of_counts_and_exposure(
        &self,
        users: &[u32],
        counts: &[u32],
        e: Vec<f64>,
    ) -> CorpusValues {
        let (history, relevance) = self.merit_masses(users);
        self.corpus_of_masses(counts, e, history, relevance)
    }

    /// The merit masses per item over `users`: history interactions ([`item_interactions`]) and
    /// truth relevance ([`item_relevance`]), when the dataset has those tables. Empty without
    /// item group columns (no target share reads them).
    fn merit_masses(&self, users: &[u32]) -> (Option<Vec<f64>>, Option<Vec<f64>>) {
        let ds = self.ds;
        let n_items = ds.items.n_items();
        if self.groups.is_empty() {
            return (None, None);
        }
        let history = ds.history.as_ref().map(|h| {
            let all_users = users.len() == ds.n_users
                && users.iter().enumerate().all(|(k, &u)| u as usize == k);
            if all_users && self.table_interactions() {
                return h.interactions.iter().map(|&c| f64::from(c)).collect();
            }
            item_interactions(&h.per_user, users, n_items)
        });
        let relevance = ds.truth.as_ref().map(|t| item_relevance(t, users, n_items));
        (history, relevance)
    }

    /// Whether every row of the history table is an audited user's: the interactions of every
    /// audited user are then the table's per-item interactions (kept from the reading).
    fn table_interactions(&self) -> bool {
        let n_items = self.ds.items.n_items();
        self.ds.history.as_ref().is_some_and(|h| {
            h.interactions.len() == n_items
                && h.interactions.iter().map(|&c| c as usize).sum::<usize>()
                    == h.per_user.values().len()
        })
    }

    /// The per-item masses of the lists of `users` and of their merit: the
    /// [`counts_and_exposure`](Self::counts_and_exposure) and the history interactions and truth
    /// relevance [`corpus_of_counts_and_exposure`](Self::corpus_of_counts_and_exposure) reads.
    /// The definition [`partition_masses`](Self::partition_masses) is held equal to.
    pub fn masses(&self, users: &[u32]) -> SetMasses {
        let (counts, exposure) = self.counts_and_exposure(users);
        let (interactions, relevance) = self.merit_masses(users);
        SetMasses {
            counts,
            exposure,
            interactions,
            relevance,
        }
    }

    /// The [`masses`](Self::masses) of every set of `sets`, from one pass over the rows per
    /// mass (list counts, exposure, history interactions, truth relevance; the four in
    /// parallel): user after user in ascending order, each row's values added to the per-item
    /// sums of the user's set. Each sum therefore takes its terms in the order of `masses` and
    /// has its bits. The sums are kept item-major (the sets side by side per item), 24 bytes per
    /// item and set.
    pub fn partition_masses<'s>(&'s self, sets: UserSets<'s>) -> PartitionMasses<'s> {
        let ds = self.ds;
        let n_items = ds.items.n_items();
        let n_users = ds.n_users;
        if let UserSets::Codes { codes, .. } = sets {
            assert_eq!(codes.len(), n_users, "one code per user");
        }
        let recs = &ds.recs;
        let max_len = (0..n_users.min(recs.n_rows()))
            .map(|u| recs.row(u).len())
            .max()
            .unwrap_or(0);
        let w: Vec<f64> = (1..=max_len).map(|r| self.cfg.weight.weight(r)).collect();
        let merit = !self.groups.is_empty();
        let shape = SetRows {
            sets,
            n_users,
            n_items,
        };
        let ((counts, exposure), (interactions, relevance)) = rayon::join(
            || {
                let rows = |u: usize| rows_of(recs, u);
                rayon::join(
                    || shape.sums(rows, |&i| i, 0u32, |s, _, _| *s += 1),
                    || shape.sums(rows, |&i| i, 0.0, |s, pos, _| *s += w[pos]),
                )
            },
            || {
                rayon::join(
                    || {
                        let h = ds.history.as_ref().filter(|_| merit)?;
                        // The set of every user takes the table's counts when they are its.
                        if matches!(sets, UserSets::All) && self.table_interactions() {
                            return Some(Vec::new());
                        }
                        let rows = |u: usize| rows_of(&h.per_user, u);
                        Some(shape.sums(rows, |&i| i, 0u32, |s, _, _| *s += 1))
                    },
                    || {
                        let t = ds.truth.as_ref().filter(|_| merit)?;
                        let rows = |u: usize| rows_of(t, u);
                        Some(shape.sums(
                            rows,
                            |r: &Relevant| r.item,
                            0.0,
                            |s, _, r| {
                                *s += r.relevance.max(0.0);
                            },
                        ))
                    },
                )
            },
        );
        PartitionMasses {
            ctx: self,
            n_sets: sets.n_sets(),
            counts,
            exposure,
            interactions,
            relevance,
        }
    }

    /// The corpus values of a set of lists from its per-item masses: list counts, exposure `e`,
    /// and the merit masses (history interactions, truth relevance) of its users, when the
    /// dataset has those tables. Masses are sums over users, so a partitioned audit
    /// (`partial`) adds them up and calls this once.
    pub fn corpus_of_masses(
        &self,
        counts: &[u32],
        e: Vec<f64>,
        history: Option<Vec<f64>>,
        relevance: Option<Vec<f64>>,
    ) -> CorpusValues {
        let mut cv = CorpusValues::default();
        let uniform: Vec<f64> = counts.iter().map(|&c| f64::from(c)).collect();
        cv.scalars.insert(
            format!("gini_exposure_{}", self.cfg.weight.name()),
            gini(&e),
        );
        cv.scalars
            .insert("gini_uniform".to_string(), gini(&uniform));
        let total_e: f64 = e.iter().sum();
        for (c, g) in self.groups.iter().enumerate() {
            let s = group_shares(&g.group_mass(&e), total_e);
            let name = &g.name;
            let target = &self.catalog[c];
            cv.shares
                .insert(format!("exposure_share_{name}"), g.by_label(&s));
            cv.shares
                .insert(format!("target_share_catalog_{name}"), g.by_label(target));
            cv.shares.insert(
                format!("disparate_exposure_ratio_catalog_{name}"),
                g.by_label(&disparate_exposure_ratio(&s, target)),
            );
            for (kind, merit) in [("merit", &history), ("relevance", &relevance)] {
                if let Some(m) = merit {
                    let t = target_shares(g, m);
                    cv.shares
                        .insert(format!("target_share_{kind}_{name}"), g.by_label(&t));
                    cv.shares.insert(
                        format!("disparate_exposure_ratio_{kind}_{name}"),
                        g.by_label(&disparate_exposure_ratio(&s, &t)),
                    );
                }
            }
        }
        cv
    }
}

/// Disjoint sets of users of a dataset, for [`ExposureContext::partition_masses`].
#[derive(Debug, Clone, Copy)]
pub enum UserSets<'a> {
    /// One set: every user of the dataset (`0..n_users`).
    All,
    /// `n_sets` sets: set s holds the users u with `codes[u] == s`, in ascending order (a user
    /// whose code is `n_sets` or more is in none). One code per user of the dataset.
    Codes {
        /// The set of each user.
        codes: &'a [u32],
        /// The number of sets.
        n_sets: usize,
    },
}

impl UserSets<'_> {
    /// The number of sets.
    pub fn n_sets(&self) -> usize {
        match *self {
            UserSets::All => 1,
            UserSets::Codes { n_sets, .. } => n_sets,
        }
    }

    /// The set of user `u` (`None` when in none).
    #[inline]
    fn set_of(&self, u: usize) -> Option<usize> {
        match *self {
            UserSets::All => Some(0),
            UserSets::Codes { codes, n_sets } => Some(codes[u] as usize).filter(|&s| s < n_sets),
        }
    }
}

/// The per-item masses of one set of users that its corpus values are sums of
/// ([`ExposureContext::masses`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SetMasses {
    /// The lists holding each item ([`item_counts`]).
    pub counts: Vec<u32>,
    /// The exposure of each item under the context's weight ([`item_exposure`]).
    pub exposure: Vec<f64>,
    /// The history interactions of each item ([`item_interactions`]; with a history table and
    /// item group columns).
    pub interactions: Option<Vec<f64>>,
    /// The truth relevance of each item ([`item_relevance`]; with a truth table and item group
    /// columns).
    pub relevance: Option<Vec<f64>>,
}

/// The per-item masses of every set of some [`UserSets`]
/// ([`ExposureContext::partition_masses`]); [`get`](Self::get) takes one set's out.
#[derive(Debug)]
pub struct PartitionMasses<'s> {
    ctx: &'s ExposureContext<'s>,
    n_sets: usize,
    /// The list counts at `item · n_sets + set`.
    counts: Vec<u32>,
    /// The exposure at `item · n_sets + set`.
    exposure: Vec<f64>,
    /// The history interactions at `item · n_sets + set` (empty: the table's).
    interactions: Option<Vec<u32>>,
    /// The truth relevance at `item · n_sets + set`.
    relevance: Option<Vec<f64>>,
}

impl PartitionMasses<'_> {
    /// The masses of set `set`: [`ExposureContext::masses`] of its users.
    pub fn get(&self, set: usize) -> SetMasses {
        let n = self.n_sets;
        assert!(set < n, "set {set} of {n}");
        fn column<T: Copy>(sums: &[T], set: usize, n: usize) -> Vec<T> {
            sums.iter().skip(set).step_by(n).copied().collect()
        }
        let history = self.ctx.ds.history.as_ref();
        SetMasses {
            counts: column(&self.counts, set, n),
            exposure: column(&self.exposure, set, n),
            interactions: self.interactions.as_ref().map(|summed| {
                if summed.is_empty() {
                    let h = history.expect("interactions with a history table");
                    h.interactions.iter().map(|&c| f64::from(c)).collect()
                } else {
                    column(summed, set, n).into_iter().map(f64::from).collect()
                }
            }),
            relevance: self.relevance.as_ref().map(|m| column(m, set, n)),
        }
    }
}

/// Row `u` of `rows`, empty past its end.
#[inline]
fn rows_of<T>(rows: &Csr<T>, u: usize) -> &[T] {
    if u < rows.n_rows() {
        rows.row(u)
    } else {
        &[]
    }
}

/// Sets of users of a dataset with its number of users and items: the shape of the sums
/// [`SetRows::sums`] takes.
#[derive(Clone, Copy)]
struct SetRows<'a> {
    sets: UserSets<'a>,
    n_users: usize,
    n_items: usize,
}

impl SetRows<'_> {
    /// The sums at `item(v) · n_sets + set` of `add(sum, position, v)` over the values v of
    /// `rows(u)` of every user u of each set, users in ascending order and each row in its
    /// order.
    fn sums<'r, V: 'r, T: Copy>(
        &self,
        rows: impl Fn(usize) -> &'r [V],
        item: impl Fn(&V) -> u32,
        zero: T,
        add: impl Fn(&mut T, usize, &V),
    ) -> Vec<T> {
        let n = self.sets.n_sets();
        let mut sums = vec![zero; self.n_items * n];
        for u in 0..self.n_users {
            if let Some(set) = self.sets.set_of(u) {
                for (pos, v) in rows(u).iter().enumerate() {
                    add(&mut sums[item(v) as usize * n + set], pos, v);
                }
            }
        }
        sums
    }
}

/// Corpus exposure values of the lists of `users` (keys in the module docs); `pop` adds the
/// `popularity_band` group column. For many user sets, build one [`ExposureContext`] and call
/// [`ExposureContext::corpus`].
pub fn exposure_corpus(
    ds: &Dataset,
    users: &[u32],
    pop: Option<&Popularity>,
    cfg: &ExposureConfig,
) -> CorpusValues {
    ExposureContext::new(ds, pop, cfg).corpus(users)
}

#[cfg(test)]
mod tests {
    use super::super::test_data::{close, dataset};
    use super::super::{exposure_shares, ItemGroups};
    use super::*;
    use crate::data::{Categorical, Csr, History, Items, Relevant};
    use crate::metrics::popularity::PopularityConfig;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn corpus(ds: &Dataset, users: &[u32], cfg: &ExposureConfig) -> CorpusValues {
        let pop = Popularity::new(ds, &PopularityConfig::default());
        exposure_corpus(ds, users, pop.as_ref(), cfg)
    }

    #[test]
    fn counts_and_exposure_are_those_of_the_two_passes() {
        let ds = dataset();
        for weight in [
            PositionWeight::Log,
            PositionWeight::Uniform,
            PositionWeight::Rbp { patience: 0.7 },
        ] {
            let ctx = ExposureContext::new(&ds, None, &ExposureConfig { weight });
            for users in [&[0u32, 1, 2][..], &[2, 0], &[]] {
                let (counts, e) = ctx.counts_and_exposure(users);
                assert_eq!(
                    counts,
                    crate::metrics::diversity::item_counts(&ds.recs, users, 4)
                );
                assert_eq!(e, item_exposure(&ds.recs, users, 4, &weight), "{weight:?}");
                assert_eq!(
                    ctx.corpus_of_counts_and_exposure(users, &counts, e),
                    ctx.corpus(users)
                );
            }
        }
    }

    #[test]
    fn corpus_hand_worked() {
        let ds = dataset();
        let cv = corpus(&ds, &[0, 1, 2], &ExposureConfig::default());
        let w2 = 1.0 / 3f64.log2(); // 0.63093
                                    // E = [1 + 1, w2 + 1, w2, 0] = [2, 1.63093, 0.63093, 0]; Σ = 4.26186
                                    // sorted [0, 0.63093, 1.63093, 2]: (−3·0 − 1·w2 + 1·(1 + w2) + 3·2) / (4 Σ) = 7 / (4 Σ)
        let total = 3.0 + 2.0 * w2;
        close(
            cv.scalars["gini_exposure_log"].unwrap(),
            7.0 / (4.0 * total),
        );
        // counts [2, 2, 1, 0], Σ 5: sorted [0, 1, 2, 2] → (0 − 1 + 2 + 6) / 20 = 0.35
        close(cv.scalars["gini_uniform"].unwrap(), 0.35);
        // provider: A = 2 + 1 + w2, B = w2 → shares over Σ (item 3 has no provider, never shown)
        let s = &cv.shares["exposure_share_provider"];
        close(s["A"].unwrap(), (3.0 + w2) / total);
        close(s["B"].unwrap(), w2 / total);
        // catalog target: A 2/4, B 1/4 (item 3 counts in |I| only)
        let t = &cv.shares["target_share_catalog_provider"];
        assert_eq!((t["A"], t["B"]), (Some(0.5), Some(0.25)));
        let r = &cv.shares["disparate_exposure_ratio_catalog_provider"];
        close(r["B"].unwrap(), (w2 / total) / 0.25);
        // merit: history rows of the 3 users: item 2 twice (B), item 0 once (A) → A 1/3, B 2/3
        let m = &cv.shares["target_share_merit_provider"];
        close(m["A"].unwrap(), 1.0 / 3.0);
        close(
            cv.shares["disparate_exposure_ratio_merit_provider"]["B"].unwrap(),
            (w2 / total) / (2.0 / 3.0),
        );
        // relevance: only item 2 (B) → A 0, B 1; ratio for A = share / 0 → undefined
        assert_eq!(cv.shares["target_share_relevance_provider"]["B"], Some(1.0));
        assert_eq!(
            cv.shares["disparate_exposure_ratio_relevance_provider"]["A"],
            None
        );
        // category: item 1 splits ½ x, ½ y → x = 2 + ½(1 + w2), y = ½(1 + w2) + w2
        let c = &cv.shares["exposure_share_category"];
        close(c["x"].unwrap(), (2.0 + 0.5 * (1.0 + w2)) / total);
        close(c["y"].unwrap(), (0.5 * (1.0 + w2) + w2) / total);
        // catalog target of categories: x = 1 + ½ = 1.5 of 4, y = 1.5 of 4
        assert_eq!(cv.shares["target_share_catalog_category"]["x"], Some(0.375));
        // popularity band: interactions [1, 0, 2, 0], head = {2} (2 ≥ 0.6), mid = {0}
        let b = &cv.shares["exposure_share_popularity_band"];
        close(b["head"].unwrap(), w2 / total);
        close(b["mid"].unwrap(), 2.0 / total);
        close(b["tail"].unwrap(), (1.0 + w2) / total);
    }

    #[test]
    fn merit_over_all_users_counts_only_their_rows() {
        // The history table also holds a row of item 0 by a user without recommendations: the
        // table's per-item counts are then not the audited users' (1/3 for A, not 2/4).
        let mut ds = dataset();
        ds.history.as_mut().unwrap().interactions = vec![2, 0, 2, 0];
        let cv = corpus(&ds, &[0, 1, 2], &ExposureConfig::default());
        close(
            cv.shares["target_share_merit_provider"]["A"].unwrap(),
            1.0 / 3.0,
        );
        // With the table's counts those of the audited users, all of them in order take the
        // counts as they are; in another order, they are summed row by row: the same targets.
        let ds = dataset();
        let counted = corpus(&ds, &[0, 1, 2], &ExposureConfig::default());
        let summed = corpus(&ds, &[2, 0, 1], &ExposureConfig::default());
        for column in ["provider", "category", "popularity_band"] {
            let key = format!("target_share_merit_{column}");
            assert_eq!(counted.shares.get(&key), summed.shares.get(&key), "{key}");
        }
        close(
            counted.shares["target_share_merit_provider"]["B"].unwrap(),
            2.0 / 3.0,
        );
    }

    #[test]
    fn slice_shares_are_ratios_of_user_sums() {
        let ds = dataset();
        let pop = Popularity::new(&ds, &PopularityConfig::default());
        let ctx = ExposureContext::new(&ds, pop.as_ref(), &ExposureConfig::default());
        // user 2 alone: list [1] → all exposure in A
        let cv = ctx.corpus(&[2]);
        assert_eq!(cv.shares["exposure_share_provider"]["A"], Some(1.0));
        assert_eq!(cv.shares["exposure_share_provider"]["B"], Some(0.0));
        // user 2 has no history → merit shares undefined, ratios undefined
        assert_eq!(cv.shares["target_share_merit_provider"]["A"], None);
        assert_eq!(
            cv.shares["disparate_exposure_ratio_merit_provider"]["A"],
            None
        );
        // empty set: no exposure → Gini and shares undefined
        let cv = ctx.corpus(&[]);
        assert_eq!(cv.scalars["gini_exposure_log"], None);
        assert_eq!(cv.shares["exposure_share_provider"]["A"], None);
    }

    #[test]
    fn uniform_weight_exposure_is_the_item_counts() {
        let ds = dataset();
        let cfg = ExposureConfig {
            weight: PositionWeight::Uniform,
        };
        let cv = corpus(&ds, &[0, 1, 2], &cfg);
        let summed = item_exposure(&ds.recs, &[0, 1, 2], 4, &PositionWeight::Uniform);
        // Counts [2, 2, 1, 0] (hand-worked in `corpus_hand_worked`): Gini 0.35 either way.
        assert_eq!(cv.scalars["gini_exposure_uniform"], gini(&summed));
        assert_eq!(cv.scalars["gini_uniform"], gini(&summed));
        close(cv.scalars["gini_uniform"].unwrap(), 0.35);
    }

    #[test]
    fn rbp_weight_names_the_gini_key() {
        let ds = dataset();
        let cfg = ExposureConfig {
            weight: PositionWeight::Rbp { patience: 0.5 },
        };
        let cv = corpus(&ds, &[0, 1, 2], &cfg);
        // E = [2, 0.5 + 1, 0.5, 0], Σ 4: sorted [0, 0.5, 1.5, 2] → (−0.5 + 1.5 + 6) / 16
        close(cv.scalars["gini_exposure_rbp"].unwrap(), 7.0 / 16.0);
    }

    /// A random dataset: up to 12 items in two categorical columns (values sometimes missing) and
    /// 0–3 categories each, up to 8 users with lists of distinct items, a history (sometimes with
    /// rows of users without recommendations, sometimes none) and a truth (sometimes none).
    fn random_dataset(rng: &mut ChaCha8Rng) -> Dataset {
        let n_items = rng.gen_range(1..=12u32);
        let n_users = rng.gen_range(1..=8usize);
        let column = |rng: &mut ChaCha8Rng, name: &str, n_labels: u32| Categorical {
            name: name.into(),
            labels: (0..n_labels).map(|l| format!("{name}{l}")).collect(),
            codes: (0..n_items)
                .map(|_| match rng.gen_range(0..=n_labels) {
                    c if c == n_labels => Categorical::MISSING,
                    c => c,
                })
                .collect(),
        };
        let groups = vec![column(rng, "provider", 3), column(rng, "studio", 2)];
        let categories = Csr::from_rows((0..n_items).map(|_| {
            (0..3u32)
                .filter(|_| rng.gen_bool(0.4))
                .collect::<Vec<u32>>()
        }));
        let list = |rng: &mut ChaCha8Rng| -> Vec<u32> {
            let mut items: Vec<u32> = (0..n_items).collect();
            for i in (1..items.len()).rev() {
                items.swap(i, rng.gen_range(0..=i));
            }
            items.truncate(rng.gen_range(0..=5.min(n_items as usize)));
            items
        };
        let recs = Csr::from_rows((0..n_users).map(|_| list(rng)));
        let history = rng.gen_bool(0.8).then(|| {
            let n_rows = rng.gen_range(0..=n_users);
            let per_user = Csr::from_rows((0..n_rows).map(|_| {
                (0..rng.gen_range(0..6))
                    .map(|_| rng.gen_range(0..n_items))
                    .collect::<Vec<u32>>()
            }));
            let mut interactions = vec![0u32; n_items as usize];
            per_user
                .values()
                .iter()
                .for_each(|&i| interactions[i as usize] += 1);
            // Rows of users without recommendations, in the table's counts only.
            let others = rng.gen_range(0..3);
            for _ in 0..others {
                interactions[rng.gen_range(0..n_items) as usize] += 1;
            }
            History {
                per_user,
                distinct_users: interactions.iter().map(|&c| c.min(1)).collect(),
                interactions,
                n_users: n_users + others,
            }
        });
        let truth = rng.gen_bool(0.8).then(|| {
            Csr::from_rows((0..n_users).map(|_| {
                let grades = [0.0, 0.0, 0.0, 0.0, 0.5, 1.0, 2.0];
                (0..n_items)
                    .map(|item| (item, grades[rng.gen_range(0..grades.len())]))
                    .filter(|&(_, relevance)| relevance > 0.0)
                    .map(|(item, relevance)| Relevant { item, relevance })
                    .collect::<Vec<Relevant>>()
            }))
        });
        Dataset {
            truth_propensity: None,
            n_users,
            k: 5,
            recs,
            items: Items {
                ids: (0..n_items).map(|i| format!("i{i}")).collect(),
                category_labels: vec!["x".into(), "y".into(), "z".into()],
                categories,
                groups,
                ..Items::default()
            },
            history,
            truth,
            ..Dataset::default()
        }
    }

    /// The corpus values of `users` from the definitions, one by one.
    fn corpus_of_the_definitions(
        ds: &Dataset,
        users: &[u32],
        groups: &[ItemGroups],
        weight: &PositionWeight,
    ) -> CorpusValues {
        let n_items = ds.items.n_items();
        let e = item_exposure(&ds.recs, users, n_items, weight);
        let counts: Vec<f64> = item_counts(&ds.recs, users, n_items)
            .into_iter()
            .map(f64::from)
            .collect();
        let mut cv = CorpusValues::default();
        cv.scalars
            .insert(format!("gini_exposure_{}", weight.name()), gini(&e));
        cv.scalars.insert("gini_uniform".into(), gini(&counts));
        for g in groups {
            let name = &g.name;
            let s = exposure_shares(g, &e);
            let catalog: Vec<Option<f64>> = g.catalog_share().into_iter().map(Some).collect();
            let mut targets = vec![("catalog", catalog)];
            if let Some(h) = &ds.history {
                let merit = item_interactions(&h.per_user, users, n_items);
                targets.push(("merit", target_shares(g, &merit)));
            }
            if let Some(t) = &ds.truth {
                let relevance = item_relevance(t, users, n_items);
                targets.push(("relevance", target_shares(g, &relevance)));
            }
            cv.shares
                .insert(format!("exposure_share_{name}"), g.by_label(&s));
            for (kind, t) in targets {
                let ratio = disparate_exposure_ratio(&s, &t);
                cv.shares
                    .insert(format!("target_share_{kind}_{name}"), g.by_label(&t));
                cv.shares.insert(
                    format!("disparate_exposure_ratio_{kind}_{name}"),
                    g.by_label(&ratio),
                );
            }
        }
        cv
    }

    #[test]
    fn fused_corpus_equals_the_definitions() {
        // Bit for bit: the Debug text of an f64 is its shortest round-trip form (sign included).
        let weights = [
            PositionWeight::Log,
            PositionWeight::Uniform,
            PositionWeight::Rbp { patience: 0.7 },
        ];
        for seed in 0..300 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let ds = random_dataset(&mut rng);
            let pop = Popularity::new(&ds, &PopularityConfig::default());
            let weight = weights[seed as usize % weights.len()];
            let ctx = ExposureContext::new(&ds, pop.as_ref(), &ExposureConfig { weight });
            let groups = item_group_columns(&ds, pop.as_ref());
            let n = ds.n_users as u32;
            // every user in order (the table's merit counts may be used), a shuffled subset, none
            let mut subset: Vec<u32> = (0..n).filter(|_| rng.gen_bool(0.5)).collect();
            subset.reverse();
            for users in [(0..n).collect(), subset, Vec::new()] {
                let want = corpus_of_the_definitions(&ds, &users, &groups, &weight);
                let (counts, e) = ctx.counts_and_exposure(&users);
                let fused = ctx.corpus_of_counts_and_exposure(&users, &counts, e);
                assert_eq!(format!("{fused:?}"), format!("{want:?}"), "seed {seed}");
                assert_eq!(
                    format!("{:?}", ctx.corpus(&users)),
                    format!("{want:?}"),
                    "seed {seed}"
                );
            }
        }
    }

    proptest::proptest! {
        /// The masses of every set from one pass are those of each set alone, bit for bit: the
        /// set of every user and random partial partitions (codes past the sets: in none).
        #[test]
        fn partition_masses_are_those_of_each_set(
            seed in 0u64..u64::MAX,
            n_sets in 1usize..5,
            weight in 0usize..3,
            no_groups in proptest::bool::weighted(0.1),
        ) {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let ds = random_dataset(&mut rng);
            let pop = Popularity::new(&ds, &PopularityConfig::default());
            let weight = [
                PositionWeight::Log,
                PositionWeight::Uniform,
                PositionWeight::Rbp { patience: 0.7 },
            ][weight];
            let mut ctx = ExposureContext::new(&ds, pop.as_ref(), &ExposureConfig { weight });
            if no_groups {
                ctx.groups.clear();
            }
            let codes: Vec<u32> = (0..ds.n_users)
                .map(|_| rng.gen_range(0..=n_sets as u32))
                .collect();
            let all = ctx.partition_masses(UserSets::All);
            let every: Vec<u32> = (0..ds.n_users as u32).collect();
            proptest::prop_assert_eq!(
                format!("{:?}", all.get(0)),
                format!("{:?}", ctx.masses(&every))
            );
            let masses = ctx.partition_masses(UserSets::Codes { codes: &codes, n_sets });
            for set in 0..n_sets {
                let users: Vec<u32> = (0..ds.n_users as u32)
                    .filter(|&u| codes[u as usize] == set as u32)
                    .collect();
                proptest::prop_assert_eq!(
                    format!("{:?}", masses.get(set)),
                    format!("{:?}", ctx.masses(&users)),
                    "set {}", set
                );
            }
        }
    }
}
