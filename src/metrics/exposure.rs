//! Provider-side exposure (SPEC §5): item exposure under a position weight, exposure shares of item
//! groups against catalog and merit targets, the Gini of item exposure, expected exposure over
//! sampled rankings (Diaz et al. 2020) and attention-weighted rank fairness (TREC Fair Ranking 2022).
//!
//! Conventions:
//! - **Exposure** of item i over a set of users: E_i = Σ_u w(r(u,i)), w a [`PositionWeight`] (`log`
//!   by default: 1/log2(r+1), Singh & Joachims 2018, doi:10.1145/3219819.3220088).
//! - **Item groups** ([`ItemGroups`]): any categorical item column (`provider`, ...), the
//!   multi-valued `category` column (an item with m categories gives 1/m of its exposure and of its
//!   catalog count to each), and the derived `popularity_band` (`head` / `mid` / `tail`, see
//!   [`popularity`](crate::metrics::popularity)). Items with no value belong to no group but stay
//!   in every denominator, so the shares of the listed groups then sum to less than 1.
//! - **Exposure share** S_G = Σ_{i∈G} E_i / Σ_i E_i over the lists of the user set.
//! - **Targets** T_G: `catalog` = |G| / |I|; `merit` = the group's share of the history
//!   interactions (rows, duplicates kept) of the *same* user set; `relevance` = the group's share of
//!   the truth relevance grades of the same user set.
//! - **Disparate exposure ratio** S_G / T_G (1 = proportional, < 1 = under-exposed); undefined
//!   (`None`) when T_G = 0 or nothing was shown.
//! - **Gini** of item exposure over the *whole catalog*, never-shown items included
//!   (SPEC §10): G = Σ_j (2j − n − 1) E_(j) / (n Σ_j E_j), E ascending, n = |I|; `None` when no
//!   exposure. `gini_uniform` is the same over recommendation counts.
//!
//! JSON keys of [`exposure_corpus`] (`<w>` = [`PositionWeight::name`], `<col>` = the group
//! column's name): `gini_exposure_<w>`, `gini_uniform`; shares `exposure_share_<col>`,
//! `target_share_catalog_<col>`, `disparate_exposure_ratio_catalog_<col>`, and with history
//! `target_share_merit_<col>`, `disparate_exposure_ratio_merit_<col>`, with truth
//! `target_share_relevance_<col>`, `disparate_exposure_ratio_relevance_<col>`.

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::data::{Categorical, Csr, Dataset, Items, RecLists, Relevant};
use crate::metrics::diversity::{has_categories, item_counts};
use crate::metrics::packed_groups::PackedGroups;
use crate::metrics::popularity::{popularity_band, Popularity};
use crate::metrics::{finite, registry, CorpusValues, PositionWeight, UserMetric};

/// Settings of the exposure family.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExposureConfig {
    /// Position weight of exposure shares, the exposure Gini, expected exposure (default `log`).
    pub weight: PositionWeight,
}

impl Default for ExposureConfig {
    fn default() -> Self {
        ExposureConfig {
            weight: PositionWeight::Log,
        }
    }
}

/// Exposure of every catalog item over the lists of `users`: E_i = Σ_u w(r(u,i)).
///
/// ```
/// use recaudit::data::Csr;
/// use recaudit::metrics::PositionWeight;
/// use recaudit::metrics::exposure::item_exposure;
/// // lists [0, 1] and [1, 2], log weight: w(1) = 1, w(2) = 1/log2(3) = 0.63093
/// // E = [1, 0.63093 + 1, 0.63093, 0] (item 3 never shown)
/// let recs = Csr::from_rows(vec![vec![0, 1], vec![1, 2]]);
/// let e = item_exposure(&recs, &[0, 1], 4, &PositionWeight::Log);
/// let w2 = 1.0 / 3f64.log2();
/// assert_eq!(e, vec![1.0, 1.0 + w2, w2, 0.0]);
/// assert_eq!(item_exposure(&recs, &[], 4, &PositionWeight::Log), vec![0.0; 4]);
/// ```
pub fn item_exposure(
    recs: &RecLists,
    users: &[u32],
    n_items: usize,
    weight: &PositionWeight,
) -> Vec<f64> {
    let max_len = users
        .iter()
        .map(|&u| recs.row(u as usize).len())
        .max()
        .unwrap_or(0);
    let w: Vec<f64> = (1..=max_len).map(|r| weight.weight(r)).collect();
    let mut e = vec![0.0; n_items];
    for &u in users {
        for (pos, &i) in recs.row(u as usize).iter().enumerate() {
            e[i as usize] += w[pos];
        }
    }
    e
}

/// Gini coefficient of non-negative values (0 = equal, 1 = one value holds everything):
/// G = Σ_j (2j − n − 1) x_(j) / (n Σ x), x ascending, j = 1..n. `None` when the sum is 0.
///
/// Pass the whole catalog (zeros for never-shown items): a Gini over recommended items only
/// understates concentration (SPEC §10).
///
/// ```
/// use recaudit::metrics::exposure::gini;
/// // [0, 0, 0, 4]: (−3·0 − 1·0 + 1·0 + 3·4) / (4·4) = 12/16 = 0.75 (= 1 − 1/n)
/// assert_eq!(gini(&[4.0, 0.0, 0.0, 0.0]), Some(0.75));
/// assert_eq!(gini(&[2.0, 2.0]), Some(0.0));
/// assert_eq!(gini(&[0.0, 0.0]), None);
/// assert_eq!(gini(&[]), None);
/// ```
pub fn gini(values: &[f64]) -> Option<f64> {
    let total: f64 = values.iter().sum();
    if values.is_empty() || total <= 0.0 {
        return None;
    }
    let mut x = values.to_vec();
    x.sort_unstable_by(|a, b| a.total_cmp(b));
    let n = x.len() as f64;
    let num: f64 = x
        .iter()
        .enumerate()
        .map(|(j, &v)| (2.0 * (j as f64 + 1.0) - n - 1.0) * v)
        .sum();
    finite(num / (n * total))
}

/// A grouping of catalog items: per item, the groups it belongs to with the fraction of its mass
/// each receives (fractions of an item sum to 1; no entry when the item has no value).
#[derive(Debug, Clone, PartialEq)]
pub struct ItemGroups {
    /// Column name used in JSON keys (`provider`, `category`, `popularity_band`, ...).
    pub name: String,
    /// Group labels, indexed by group code.
    pub labels: Vec<String>,
    /// Per item, `(group, fraction)` pairs.
    pub members: Csr<(u32, f64)>,
}

impl ItemGroups {
    /// The groups `range` only, re-coded from 0 (items keep their other memberships' fractions
    /// out, so masses of the kept groups are unchanged).
    pub fn subset(&self, range: std::ops::Range<usize>) -> ItemGroups {
        ItemGroups {
            name: self.name.clone(),
            labels: self.labels[range.clone()].to_vec(),
            members: Csr::from_rows(self.members.rows().map(|row| {
                row.iter()
                    .filter(|(g, _)| range.contains(&(*g as usize)))
                    .map(|&(g, f)| (g - range.start as u32, f))
                    .collect()
            })),
        }
    }

    /// Several groupings of the same items side by side: the groups of `columns[0]`, then those
    /// of `columns[1]` re-coded after them, and so on (each item keeps every membership). Named
    /// after the columns, joined by `+`.
    pub fn concat(columns: &[ItemGroups]) -> ItemGroups {
        let n_items = columns.first().map_or(0, |c| c.members.n_rows());
        assert!(
            columns.iter().all(|c| c.members.n_rows() == n_items),
            "groupings of the same items"
        );
        let offsets: Vec<u32> = columns
            .iter()
            .scan(0u32, |next, c| {
                let first = *next;
                *next += c.n_groups() as u32;
                Some(first)
            })
            .collect();
        ItemGroups {
            name: columns
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join("+"),
            labels: columns.iter().flat_map(|c| c.labels.clone()).collect(),
            members: Csr::from_rows((0..n_items).map(|i| {
                columns
                    .iter()
                    .zip(&offsets)
                    .flat_map(|(c, &first)| {
                        c.members.row(i).iter().map(move |&(g, f)| (g + first, f))
                    })
                    .collect()
            })),
        }
    }

    /// From a single-valued categorical item column; missing codes belong to no group.
    pub fn from_categorical(col: &Categorical) -> ItemGroups {
        ItemGroups {
            name: col.name.clone(),
            labels: col.labels.clone(),
            members: Csr::from_rows(col.codes.iter().map(|&c| {
                if c == Categorical::MISSING {
                    vec![]
                } else {
                    vec![(c, 1.0)]
                }
            })),
        }
    }

    /// From the multi-valued category column, named `category`: an item with m distinct categories
    /// gives 1/m to each.
    pub fn from_categories(items: &Items) -> ItemGroups {
        ItemGroups {
            name: "category".to_string(),
            labels: items.category_labels.clone(),
            members: Csr::from_rows(items.categories.rows().map(|cats| {
                let mut c = cats.to_vec();
                c.sort_unstable();
                c.dedup();
                let f = 1.0 / c.len() as f64;
                c.into_iter().map(|c| (c, f)).collect()
            })),
        }
    }

    /// Number of groups.
    pub fn n_groups(&self) -> usize {
        self.labels.len()
    }

    /// Σ_{i∈G} x_i · fraction(i, G) for every group G.
    pub fn group_mass(&self, per_item: &[f64]) -> Vec<f64> {
        let mut m = vec![0.0; self.n_groups()];
        for (i, &x) in per_item.iter().enumerate() {
            if x != 0.0 {
                for &(g, f) in self.members.row(i) {
                    m[g as usize] += x * f;
                }
            }
        }
        m
    }

    /// Catalog target |G| / |I| for every group (items with no value count in |I| only).
    pub fn catalog_share(&self) -> Vec<f64> {
        let n = self.members.n_rows() as f64;
        let mut m = vec![0.0; self.n_groups()];
        for row in self.members.rows() {
            for &(g, f) in row {
                m[g as usize] += f;
            }
        }
        m.iter_mut().for_each(|x| *x /= n);
        m
    }

    fn named(&self, values: &[Option<f64>]) -> BTreeMap<String, Option<f64>> {
        self.labels
            .iter()
            .cloned()
            .zip(values.iter().copied())
            .collect()
    }
}

/// Every item group column of `ds`: each categorical item column, `category` when the items have
/// categories, and `popularity_band` when popularity is known.
pub fn item_group_columns(ds: &Dataset, pop: Option<&Popularity>) -> Vec<ItemGroups> {
    let mut cols: Vec<ItemGroups> = ds
        .items
        .groups
        .iter()
        .map(ItemGroups::from_categorical)
        .collect();
    if has_categories(ds) {
        cols.push(ItemGroups::from_categories(&ds.items));
    }
    if let Some(pop) = pop {
        cols.push(ItemGroups::from_categorical(&popularity_band(pop)));
    }
    cols
}

/// Per-user mass of each item group, so that a share over a user set is a ratio of sums over its
/// users (and can be bootstrapped by resampling users): share_G(S) = Σ_{u∈S} mass(u, G) /
/// Σ_{u∈S} total(u).
#[derive(Debug, Clone, PartialEq)]
pub struct UserGroupMass {
    /// Number of groups (columns of `mass`).
    pub n_groups: usize,
    /// Column-major: user u's mass in group g at `mass[g][u]` (one column per group, ready to be
    /// bootstrapped without a copy).
    pub mass: Vec<Vec<f64>>,
    /// Per user, the total mass (items without a group included).
    pub total: Vec<f64>,
}

impl UserGroupMass {
    /// Group masses of user `u`.
    pub fn user(&self, u: usize) -> Vec<f64> {
        self.mass.iter().map(|col| col[u]).collect()
    }

    /// Sums over `users`: (per-group mass, total mass).
    pub fn sums(&self, users: &[u32]) -> (Vec<f64>, f64) {
        let m = self
            .mass
            .iter()
            .map(|col| users.iter().map(|&u| col[u as usize]).sum())
            .collect();
        let t = users.iter().map(|&u| self.total[u as usize]).sum();
        (m, t)
    }

    /// Share of each group over `users` (`None` when their total mass is 0).
    pub fn shares(&self, users: &[u32]) -> Vec<Option<f64>> {
        let (m, t) = self.sums(users);
        m.into_iter().map(|x| (t > 0.0).then(|| x / t)).collect()
    }

    fn build<T: Sync>(
        rows: &Csr<T>,
        groups: &ItemGroups,
        item_weight: impl Fn(usize, &T) -> (u32, f64) + Sync,
    ) -> UserGroupMass {
        /// Users per parallel task.
        const CHUNK: usize = 4_096;
        let g = groups.n_groups();
        let n = rows.n_rows();
        let mut mass: Vec<Vec<f64>> = (0..g).map(|_| vec![0.0; n]).collect();
        let mut total = vec![0.0; n];
        // Task c gets the c-th chunk of every column.
        let mut column_chunks: Vec<_> = mass.iter_mut().map(|c| c.chunks_mut(CHUNK)).collect();
        // (first user, that chunk of every group column, that chunk of the totals)
        type Task<'a> = (usize, Vec<&'a mut [f64]>, &'a mut [f64]);
        let mut tasks: Vec<Task> = total
            .chunks_mut(CHUNK)
            .enumerate()
            .map(|(c, t)| {
                let cols = column_chunks
                    .iter_mut()
                    .map(|it| it.next().expect("same length"))
                    .collect();
                (c * CHUNK, cols, t)
            })
            .collect();
        // Each block of users builds its rows in a small row-major buffer that stays in the L1
        // cache, then writes them out column by column. (Adding straight into the g columns made
        // every list item touch cache lines of columns far apart.) The additions are the same, in
        // the same order.
        const BLOCK: usize = 128;
        // The memberships are read packed (see `packed_groups`): the same additions.
        let packed = PackedGroups::new(groups);
        tasks.par_iter_mut().for_each(|(first, cols, totals)| {
            let mut rows_of_block = vec![0.0; BLOCK * g];
            for start in (0..totals.len()).step_by(BLOCK) {
                let len = BLOCK.min(totals.len() - start);
                let block = &mut rows_of_block[..len * g];
                block.fill(0.0);
                for k in 0..len {
                    let row = &mut block[k * g..(k + 1) * g];
                    let mut t = 0.0;
                    for (pos, x) in rows.row(*first + start + k).iter().enumerate() {
                        let (item, w) = item_weight(pos, x);
                        t += w;
                        match &packed {
                            Some(p) => {
                                for &id in p.of(item) {
                                    if id != PackedGroups::NONE {
                                        let (grp, f) = p.membership(id);
                                        row[grp as usize] += w * f;
                                    }
                                }
                            }
                            None => {
                                for &(grp, f) in groups.members.row(item as usize) {
                                    row[grp as usize] += w * f;
                                }
                            }
                        }
                    }
                    totals[start + k] = t;
                }
                for (grp, col) in cols.iter_mut().enumerate() {
                    for (k, v) in col[start..start + len].iter_mut().enumerate() {
                        *v = block[k * g + grp];
                    }
                }
            }
        });
        drop(tasks);
        UserGroupMass {
            n_groups: g,
            mass,
            total,
        }
    }
}

/// Per-user exposure mass of each group: user u's row is Σ_{i∈L_u∩G} w(r(u,i)) · fraction(i, G).
///
/// ```
/// use recaudit::data::{Categorical, Csr};
/// use recaudit::metrics::PositionWeight;
/// use recaudit::metrics::exposure::{user_group_exposure, ItemGroups};
/// // items 0, 1 in group A, item 2 in B; uniform weight; lists [0, 2] and [1, 0]
/// // user 0: A 1, B 1; user 1: A 2 → share of A over both = 3/4
/// let col = Categorical { name: "p".into(), labels: vec!["A".into(), "B".into()], codes: vec![0, 0, 1] };
/// let recs = Csr::from_rows(vec![vec![0, 2], vec![1, 0]]);
/// let m = user_group_exposure(&recs, &ItemGroups::from_categorical(&col), &PositionWeight::Uniform);
/// assert_eq!(m.user(0), [1.0, 1.0]);
/// assert_eq!(m.shares(&[0, 1]), vec![Some(0.75), Some(0.25)]);
/// assert_eq!(m.shares(&[]), vec![None, None]);
/// ```
pub fn user_group_exposure(
    recs: &RecLists,
    groups: &ItemGroups,
    weight: &PositionWeight,
) -> UserGroupMass {
    let max_len = recs.rows().map(|r| r.len()).max().unwrap_or(0);
    let w: Vec<f64> = (1..=max_len).map(|r| weight.weight(r)).collect();
    UserGroupMass::build(recs, groups, |pos, &i| (i, w[pos]))
}

/// Per-user history mass of each group (every interaction weighs 1), for merit targets.
pub fn user_group_history(history: &Csr<u32>, groups: &ItemGroups) -> UserGroupMass {
    UserGroupMass::build(history, groups, |_, &i| (i, 1.0))
}

/// Per-user truth relevance mass of each group (each relevant item weighs its grade).
pub fn user_group_relevance(truth: &Csr<Relevant>, groups: &ItemGroups) -> UserGroupMass {
    UserGroupMass::build(truth, groups, |_, r| (r.item, r.relevance.max(0.0)))
}

/// Disparate exposure ratios S_G / T_G (`None` when either is undefined or T_G = 0).
///
/// ```
/// use recaudit::metrics::exposure::disparate_exposure_ratio;
/// // share 0.1 against a catalog share 0.25 → 0.4; a target of 0 is undefined
/// assert_eq!(
///     disparate_exposure_ratio(&[Some(0.1), Some(0.9)], &[Some(0.25), Some(0.0)]),
///     vec![Some(0.4), None]
/// );
/// ```
pub fn disparate_exposure_ratio(
    shares: &[Option<f64>],
    targets: &[Option<f64>],
) -> Vec<Option<f64>> {
    shares
        .iter()
        .zip(targets)
        .map(|(s, t)| match (s, t) {
            (Some(s), Some(t)) if *t > 0.0 => finite(s / t),
            _ => None,
        })
        .collect()
}

/// Everything the exposure corpus needs that does not depend on the user set, computed once per
/// dataset: the group columns and their catalog shares.
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
        let ds = self.ds;
        let n_items = ds.items.n_items();
        let mut cv = CorpusValues::default();
        let uniform: Vec<f64> = counts.iter().map(|&c| f64::from(c)).collect();
        cv.scalars.insert(
            format!("gini_exposure_{}", self.cfg.weight.name()),
            gini(&e),
        );
        cv.scalars
            .insert("gini_uniform".to_string(), gini(&uniform));
        // Merit masses per item over the same users: interaction counts, summed as integers
        // (exact, so the same bits as summing 1.0s).
        let history = ds.history.as_ref().map(|h| {
            // Over every audited user, when every row of the history table is an audited user's,
            // the counts are the table's per-item interactions (kept from the reading).
            let all_users = users.len() == ds.n_users
                && users.iter().enumerate().all(|(k, &u)| u as usize == k);
            let all_rows = h.interactions.len() == n_items
                && h.interactions.iter().map(|&c| c as usize).sum::<usize>()
                    == h.per_user.values().len();
            if all_users && all_rows {
                return h.interactions.iter().map(|&c| f64::from(c)).collect();
            }
            let mut m = vec![0u32; n_items];
            for &u in users {
                if (u as usize) < h.per_user.n_rows() {
                    for &i in h.per_user.row(u as usize) {
                        m[i as usize] += 1;
                    }
                }
            }
            m.into_iter().map(f64::from).collect::<Vec<f64>>()
        });
        let relevance = ds.truth.as_ref().map(|t| {
            let mut m = vec![0.0; n_items];
            for &u in users {
                if (u as usize) < t.n_rows() {
                    for r in t.row(u as usize) {
                        m[r.item as usize] += r.relevance.max(0.0);
                    }
                }
            }
            m
        });
        let total_e: f64 = e.iter().sum();
        for (c, g) in self.groups.iter().enumerate() {
            let s = shares_of(&g.group_mass(&e), total_e);
            let name = &g.name;
            let target = &self.catalog[c];
            cv.shares
                .insert(format!("exposure_share_{name}"), g.named(&s));
            cv.shares
                .insert(format!("target_share_catalog_{name}"), g.named(target));
            cv.shares.insert(
                format!("disparate_exposure_ratio_catalog_{name}"),
                g.named(&disparate_exposure_ratio(&s, target)),
            );
            for (kind, merit) in [("merit", &history), ("relevance", &relevance)] {
                if let Some(m) = merit {
                    let t = shares_of(&g.group_mass(m), m.iter().sum());
                    cv.shares
                        .insert(format!("target_share_{kind}_{name}"), g.named(&t));
                    cv.shares.insert(
                        format!("disparate_exposure_ratio_{kind}_{name}"),
                        g.named(&disparate_exposure_ratio(&s, &t)),
                    );
                }
            }
        }
        cv
    }
}

fn shares_of(mass: &[f64], total: f64) -> Vec<Option<f64>> {
    mass.iter()
        .map(|&x| (total > 0.0).then(|| x / total))
        .collect()
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

/// Expected exposure of one user (Diaz et al. 2020, "Evaluating stochastic rankings with expected
/// exposure", CIKM '20, doi:10.1145/3340531.3411962): `(EE-L2, EE-D, EE-R)`.
///
/// ε_i = the mean over the user's sampled rankings of w(rank of i) (0 when absent from a sample);
/// ε*_i = the equal-merit target: an ideal ranking puts items by descending relevance grade, items
/// of the same grade (non-relevant catalog items included, grade 0) share equally the exposure of
/// the positions the ideal ranking gives their grade, and positions beyond `k` get no exposure (the
/// audited lists are cut at k). Then
/// EE-D = ‖ε‖² (disparity, lower better), EE-R = 2 ε·ε* (relevance, higher better),
/// EE-L2 = ‖ε − ε*‖² = EE-D − EE-R + ‖ε*‖² (lower better). NaN when the user has no sample or no
/// relevant item. `relevant` is sorted by item id; `n_items` = |I|.
///
/// ```
/// use recaudit::data::Relevant;
/// use recaudit::metrics::PositionWeight;
/// use recaudit::metrics::exposure::expected_exposure;
/// // uniform weight, k = 1, catalog of 3 items, item 0 relevant; samples [0] and [1]
/// // ε = {0: 1/2, 1: 1/2}; ε* = {0: 1} (the single position goes to the relevant item)
/// // EE-D = 1/4 + 1/4 = 0.5; EE-R = 2 · (1/2 · 1) = 1; ‖ε*‖² = 1; EE-L2 = 0.5 − 1 + 1 = 0.5
/// let rel = [Relevant { item: 0, relevance: 1.0 }];
/// let (l2, d, r) = expected_exposure(&[&[0][..], &[1][..]], &rel, 3, 1, &PositionWeight::Uniform);
/// assert_eq!((l2, d, r), (0.5, 0.5, 1.0));
/// assert!(expected_exposure(&[], &rel, 3, 1, &PositionWeight::Uniform).0.is_nan());
/// ```
pub fn expected_exposure(
    samples: &[&[u32]],
    relevant: &[Relevant],
    n_items: usize,
    k: usize,
    weight: &PositionWeight,
) -> (f64, f64, f64) {
    let nan = (f64::NAN, f64::NAN, f64::NAN);
    let samples: Vec<&[u32]> = samples.iter().copied().filter(|s| !s.is_empty()).collect();
    let rel: Vec<&Relevant> = relevant.iter().filter(|r| r.relevance > 0.0).collect();
    if samples.is_empty() || rel.is_empty() {
        return nan;
    }
    // ε over the shown items (sparse)
    let s = samples.len() as f64;
    let mut eps: Vec<(u32, f64)> = samples
        .iter()
        .flat_map(|l| {
            l.iter()
                .enumerate()
                .map(|(pos, &i)| (i, weight.weight(pos + 1) / s))
        })
        .collect();
    eps.sort_unstable_by_key(|&(i, _)| i);
    eps.dedup_by(|b, a| {
        if a.0 == b.0 {
            a.1 += b.1;
            true
        } else {
            false
        }
    });
    // ε*: grades descending, each grade's block of ideal positions shared equally
    let mut grades: Vec<f64> = rel.iter().map(|r| r.relevance).collect();
    grades.sort_unstable_by(|a, b| b.total_cmp(a));
    let pos_weight = |r: usize| if r <= k { weight.weight(r) } else { 0.0 };
    let mut per_grade: Vec<(f64, f64)> = Vec::new(); // (grade, target of each item)
    let mut norm_target = 0.0;
    let mut start = 0;
    while start < grades.len() {
        let g = grades[start];
        let end = start + grades[start..].iter().take_while(|&&x| x == g).count();
        let block: f64 = (start + 1..=end).map(pos_weight).sum();
        let each = block / (end - start) as f64;
        norm_target += (end - start) as f64 * each * each;
        per_grade.push((g, each));
        start = end;
    }
    let n_rel = grades.len();
    let n_rest = n_items.saturating_sub(n_rel);
    let rest = if n_rest > 0 {
        (n_rel + 1..=k.min(n_items)).map(pos_weight).sum::<f64>() / n_rest as f64
    } else {
        0.0
    };
    norm_target += n_rest as f64 * rest * rest;
    let target_of = |item: u32| match relevant.binary_search_by_key(&item, |r| r.item) {
        Ok(at) if relevant[at].relevance > 0.0 => {
            let g = relevant[at].relevance;
            per_grade
                .iter()
                .find(|(x, _)| *x == g)
                .map_or(0.0, |&(_, t)| t)
        }
        _ => rest,
    };
    let mut disparity = 0.0;
    let mut dot = 0.0;
    for &(i, e) in &eps {
        disparity += e * e;
        dot += e * target_of(i);
    }
    let relevance = 2.0 * dot;
    (disparity - relevance + norm_target, disparity, relevance)
}

/// Expected exposure per user over `ds.samples` as [`UserMetric`]s `ee_l2`, `ee_d` (both better
/// lower) and `ee_r` (better higher); empty without samples or truth.
///
/// Input convention: the recommendations table carries a `sample` column (any labels); each
/// sample is one ranking drawn from the stochastic recommender for every user, loaded as one
/// [`RecLists`] of `ds.samples`. A user's ε averages over the samples where the user has a
/// non-empty list. Weight `cfg.weight` (Diaz et al. use RBP; `rbp` with patience p reproduces it).
pub fn expected_exposure_metrics(ds: &Dataset, cfg: &ExposureConfig) -> Vec<UserMetric> {
    let Some(truth) = ds.truth.as_ref() else {
        return Vec::new();
    };
    if ds.samples.is_empty() {
        return Vec::new();
    }
    let n = ds.recs.n_rows();
    let per_user: Vec<(f64, f64, f64)> = (0..n)
        .into_par_iter()
        .map(|u| {
            let samples: Vec<&[u32]> = ds
                .samples
                .iter()
                .filter(|s| u < s.n_rows())
                .map(|s| s.row(u))
                .collect();
            let rel = if u < truth.n_rows() {
                truth.row(u)
            } else {
                &[]
            };
            expected_exposure(&samples, rel, ds.items.n_items(), ds.k, &cfg.weight)
        })
        .collect();
    vec![
        UserMetric::new(&registry::EE_L2, per_user.iter().map(|x| x.0).collect()),
        UserMetric::new(&registry::EE_D, per_user.iter().map(|x| x.1).collect()),
        UserMetric::new(&registry::EE_R, per_user.iter().map(|x| x.2).collect()),
    ]
}

/// Attention-weighted rank fairness of one list (TREC Fair Ranking 2022, Sapiezynski et al. 2019
/// "Quantifying the impact of user attention on fair group representation in ranked lists"):
/// AWRF = 1 − JSD(d_L ‖ t), where d_L(G) ∝ Σ_{r} a(r) · fraction(L_r, G) with attention
/// a(r) = 1 / log2(max(r, 2)), t the target distribution over groups, and JSD the Jensen–Shannon
/// divergence in bits (= the squared JS distance, in [0, 1]); 1 = the list matches the target.
///
/// Conventions: items with no group are left out of d_L; NaN when no item of the list has a group.
/// TREC's evaluation used 1 − JS *distance*; convert with 1 − (1 − AWRF)^½.
///
/// ```
/// use recaudit::data::{Categorical, Csr};
/// use recaudit::metrics::exposure::{awrf, ItemGroups};
/// // groups A (item 0), B (item 1); list [0, 0'] = items [0, 0]: d = {A: 1}; target {½, ½}
/// // m = {¾, ¼}: JSD = ½ (1·log2(1/¾)) + ½ (½ log2(½/¾) + ½ log2(½/¼)) = 0.311278
/// let col = Categorical { name: "p".into(), labels: vec!["A".into(), "B".into()], codes: vec![0, 1] };
/// let g = ItemGroups::from_categorical(&col);
/// let a = awrf(&[0, 0], &g, &[0.5, 0.5]);
/// let jsd = 0.5 * (4.0f64 / 3.0).log2() + 0.25 * (2.0f64 / 3.0).log2() + 0.25;
/// assert!((a - (1.0 - jsd)).abs() < 1e-12);
/// assert!((awrf(&[0, 1], &g, &[0.5, 0.5]) - 1.0).abs() < 1e-12); // a(1) = a(2) = 1
/// ```
pub fn awrf(list: &[u32], groups: &ItemGroups, target: &[f64]) -> f64 {
    let mut d = vec![0.0; groups.n_groups()];
    awrf_with(list, groups, target, &attention(list.len()), &mut d)
}

/// The attention a(r) = 1 / log2(max(r, 2)) of ranks 1..=`k`, at index r − 1.
fn attention(k: usize) -> Vec<f64> {
    (1..=k).map(|r| 1.0 / (r.max(2) as f64).log2()).collect()
}

/// [`awrf`] given the [`attention`] of at least the list's ranks and a scratch vector `d` of one
/// slot per group (overwritten), for a pass over many lists.
fn awrf_with(
    list: &[u32],
    groups: &ItemGroups,
    target: &[f64],
    attention: &[f64],
    d: &mut [f64],
) -> f64 {
    d.fill(0.0);
    let mut total = 0.0;
    for (&i, &a) in list.iter().zip(attention) {
        for &(g, f) in groups.members.row(i as usize) {
            d[g as usize] += a * f;
            total += a * f;
        }
    }
    if total <= 0.0 {
        return f64::NAN;
    }
    d.iter_mut().for_each(|x| *x /= total);
    1.0 - js_divergence_bits(d, target)
}

/// Jensen–Shannon divergence in bits of two distributions over the same support:
/// ½ Σ p log2(2p / (p + q)) + ½ Σ q log2(2q / (q + p)), terms with a zero weight left out. Where
/// the other distribution is 0 a term is x · log2(2x / x) = x · log2 2 = x exactly, so it is
/// taken without the logarithm (the same bits; most groups are absent from a short list).
fn js_divergence_bits(p: &[f64], q: &[f64]) -> f64 {
    let kl_to_mid = |a: &[f64], b: &[f64]| -> f64 {
        a.iter()
            .zip(b)
            .filter(|(x, _)| **x > 0.0)
            .map(|(x, y)| {
                if *y == 0.0 {
                    *x
                } else {
                    x * (2.0 * x / (x + y)).log2()
                }
            })
            .sum()
    };
    (0.5 * kl_to_mid(p, q) + 0.5 * kl_to_mid(q, p)).clamp(0.0, 1.0)
}

/// The intersectional item groups of all categorical item columns (TREC 2022 style): one group per
/// combination of values present in the catalog, labelled `v1×v2×...`; an item missing a value in
/// any column gets `(missing)` in that place. Named `intersection`. `None` without item columns.
pub fn intersectional_groups(items: &Items) -> Option<ItemGroups> {
    if items.groups.is_empty() {
        return None;
    }
    let n = items.n_items();
    let keys: Vec<Vec<u32>> = (0..n)
        .map(|i| items.groups.iter().map(|c| c.codes[i]).collect())
        .collect();
    let mut distinct: Vec<Vec<u32>> = keys.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let labels = distinct
        .iter()
        .map(|k| {
            k.iter()
                .zip(&items.groups)
                .map(|(&c, col)| {
                    if c == Categorical::MISSING {
                        "(missing)"
                    } else {
                        col.labels[c as usize].as_str()
                    }
                })
                .collect::<Vec<_>>()
                .join("×")
        })
        .collect();
    let members = Csr::from_rows(keys.iter().map(|k| {
        let g = distinct.binary_search(k).expect("key is present") as u32;
        vec![(g, 1.0)]
    }));
    Some(ItemGroups {
        name: "intersection".to_string(),
        labels,
        members,
    })
}

/// AWRF per user against the catalog share of the intersectional item groups
/// ([`intersectional_groups`]), as the [`UserMetric`] `awrf` (better higher); empty without item
/// group columns.
pub fn awrf_metrics(ds: &Dataset) -> Vec<UserMetric> {
    let Some(groups) = intersectional_groups(&ds.items) else {
        return Vec::new();
    };
    let target = groups.catalog_share();
    let k = ds.recs.rows().map(|r| r.len()).max().unwrap_or(0);
    let attention = attention(k);
    let values = (0..ds.recs.n_rows())
        .into_par_iter()
        .map_init(
            || vec![0.0; groups.n_groups()],
            |d, u| awrf_with(ds.recs.row(u), &groups, &target, &attention, d),
        )
        .collect();
    vec![UserMetric::new(&registry::AWRF, values)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::History;
    use crate::metrics::popularity::PopularityConfig;

    fn corpus(ds: &Dataset, users: &[u32], cfg: &ExposureConfig) -> CorpusValues {
        let pop = Popularity::new(ds, &PopularityConfig::default());
        exposure_corpus(ds, users, pop.as_ref(), cfg)
    }

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-12, "{a} != {b}");
    }

    proptest::proptest! {
        #[test]
        fn js_divergence_takes_absent_groups_without_a_logarithm(
            raw in proptest::collection::vec((0.0f64..1.0, 0u8..3), 1..12)
        ) {
            // About a third of the weights are 0 on each side.
            let p: Vec<f64> = raw.iter().map(|&(x, z)| if z == 0 { 0.0 } else { x }).collect();
            let q: Vec<f64> = raw.iter().map(|&(x, z)| if z == 1 { 0.0 } else { 1.0 - x }).collect();
            let plain = |a: &[f64], b: &[f64]| -> f64 {
                a.iter()
                    .zip(b)
                    .filter(|(x, _)| **x > 0.0)
                    .map(|(x, y)| x * (2.0 * x / (x + y)).log2())
                    .sum()
            };
            let want = (0.5 * plain(&p, &q) + 0.5 * plain(&q, &p)).clamp(0.0, 1.0);
            proptest::prop_assert_eq!(js_divergence_bits(&p, &q).to_bits(), want.to_bits());
        }

        #[test]
        fn gini_is_in_unit_interval_and_scale_free(
            x in proptest::collection::vec(0.0f64..100.0, 1..30), scale in 0.1f64..10.0
        ) {
            if let Some(g) = gini(&x) {
                // 0 ≤ G ≤ 1 − 1/n, and G(cx) = G(x)
                let n = x.len() as f64;
                proptest::prop_assert!((-1e-12..=1.0 - 1.0 / n + 1e-12).contains(&g));
                let y: Vec<f64> = x.iter().map(|v| v * scale).collect();
                proptest::prop_assert!((gini(&y).unwrap() - g).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn concatenated_groupings_keep_every_membership() {
        // provider: items 0, 1 in P0, item 2 in none; category: item 0 {a, b}, 1 {b}, 2 {a}
        let provider = ItemGroups {
            name: "provider".into(),
            labels: vec!["P0".into()],
            members: Csr::from_rows(vec![vec![(0, 1.0)], vec![(0, 1.0)], vec![]]),
        };
        let category = ItemGroups {
            name: "category".into(),
            labels: vec!["a".into(), "b".into()],
            members: Csr::from_rows(vec![
                vec![(0, 0.5), (1, 0.5)],
                vec![(1, 1.0)],
                vec![(0, 1.0)],
            ]),
        };
        let both = ItemGroups::concat(&[provider.clone(), category.clone()]);
        assert_eq!(both.name, "provider+category");
        assert_eq!(both.labels, ["P0", "a", "b"]);
        assert_eq!(both.members.row(0), [(0, 1.0), (1, 0.5), (2, 0.5)]);
        assert_eq!(both.members.row(2), [(1, 1.0)]);
        // Per-user masses of the concatenation are those of each grouping, side by side.
        let recs = Csr::from_rows(vec![vec![0, 2], vec![1]]);
        let w = PositionWeight::Uniform;
        let m = user_group_exposure(&recs, &both, &w);
        let (p, c) = (
            user_group_exposure(&recs, &provider, &w),
            user_group_exposure(&recs, &category, &w),
        );
        assert_eq!(m.mass, [p.mass, c.mass].concat());
        assert_eq!((&m.total, &m.total), (&p.total, &c.total));
        assert_eq!(m.user(0), [1.0, 1.5, 0.5]);
    }

    #[test]
    fn user_masses_are_the_per_user_sums() {
        // 300 users (several blocks, the last one partial), items in 0–2 of 3 groups.
        let members = Csr::from_rows((0..50u32).map(|i| match i % 4 {
            0 => vec![],
            1 => vec![(i % 3, 1.0)],
            _ => vec![(0, 0.25), (2, 0.75)],
        }));
        let groups = ItemGroups {
            name: "g".into(),
            labels: vec!["a".into(), "b".into(), "c".into()],
            members,
        };
        let recs = Csr::from_rows((0..300u32).map(|u| {
            (0..u % 7)
                .map(|r| (u * 7 + r * 13) % 50)
                .collect::<Vec<u32>>()
        }));
        let weight = PositionWeight::Log;
        let m = user_group_exposure(&recs, &groups, &weight);
        for u in 0..300 {
            // The same additions in the same order: equal to the last bit.
            let (mut want, mut total) = (vec![0.0; 3], 0.0);
            for (pos, &i) in recs.row(u).iter().enumerate() {
                let w = weight.weight(pos + 1);
                total += w;
                for &(g, f) in groups.members.row(i as usize) {
                    want[g as usize] += w * f;
                }
            }
            assert_eq!((m.user(u), m.total[u]), (want, total), "user {u}");
        }
        // No groups at all: the totals are still there.
        let none = groups.subset(0..0);
        let m0 = user_group_exposure(&recs, &none, &weight);
        assert_eq!((m0.n_groups, &m0.total), (0, &m.total));
    }

    #[test]
    fn user_masses_without_packing() {
        // 1,000 items, each in group 0 with its own fraction (a subset of a wider grouping):
        // more distinct fractions than `PackedGroups` numbers, so the masses are summed from the
        // item lists, with the same values.
        let n_items = 1_000u32;
        let fraction = |i: u32| f64::from(i + 1) / f64::from(n_items + 1);
        let groups = ItemGroups {
            name: "g".into(),
            labels: vec!["a".into(), "b".into()],
            members: Csr::from_rows((0..n_items).map(|i| vec![(0, fraction(i))])),
        };
        assert_eq!(PackedGroups::new(&groups), None);
        let recs = Csr::from_rows(vec![vec![5u32, 999], vec![], vec![123]]);
        let m = user_group_exposure(&recs, &groups, &PositionWeight::Uniform);
        assert_eq!(m.user(0), [fraction(5) + fraction(999), 0.0]);
        assert_eq!((m.user(1), m.total[1]), (vec![0.0, 0.0], 0.0));
        assert_eq!((m.user(2), m.total[2]), (vec![fraction(123), 0.0], 1.0));
        assert_eq!(m.total[0], 2.0);
    }

    #[test]
    fn gini_counts_never_shown_items() {
        // shown items only: [1, 3] → (−1·1 + 1·3) / (2·4) = 0.25
        // whole catalog [0, 0, 1, 3]: (−3·0 − 1·0 + 1·1 + 3·3) / (4·4) = 10/16 = 0.625
        close(gini(&[1.0, 3.0]).unwrap(), 0.25);
        close(gini(&[3.0, 0.0, 1.0, 0.0]).unwrap(), 0.625);
    }

    fn dataset() -> Dataset {
        // 4 items: provider codes [A, A, B, missing]; categories 0 {x}, 1 {x, y}, 2 {y}, 3 {}
        // 3 users, lists [0, 1], [0, 2], [1]; k = 2; history [2, 2], [0], []; truth u0 {2: 1}
        Dataset {
            n_users: 3,
            k: 2,
            recs: Csr::from_rows(vec![vec![0, 1], vec![0, 2], vec![1]]),
            items: Items {
                ids: (0..4).map(|i| format!("i{i}")).collect(),
                category_labels: vec!["x".into(), "y".into()],
                categories: Csr::from_rows(vec![vec![0], vec![0, 1], vec![1], vec![]]),
                groups: vec![Categorical {
                    name: "provider".into(),
                    labels: vec!["A".into(), "B".into()],
                    codes: vec![0, 0, 1, Categorical::MISSING],
                }],
                ..Items::default()
            },
            history: Some(History {
                per_user: Csr::from_rows(vec![vec![2, 2], vec![0], vec![]]),
                distinct_users: vec![1, 0, 1, 0],
                interactions: vec![1, 0, 2, 0],
                n_users: 2,
            }),
            truth: Some(Csr::from_rows(vec![
                vec![Relevant {
                    item: 2,
                    relevance: 1.0,
                }],
                vec![],
                vec![],
            ])),
            ..Dataset::default()
        }
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

    #[test]
    fn expected_exposure_graded_and_decomposed() {
        // log weight, k = 2, catalog 4, truth {0: 2, 1: 1}; samples [0, 1] and [1, 0]
        // ε = {0: (1 + w2)/2, 1: (w2 + 1)/2}; ideal: item 0 (grade 2) at rank 1 → ε*_0 = 1,
        // item 1 at rank 2 → ε*_1 = w2, non-relevant items 2, 3 share nothing (k = 2 used up)
        let w2 = 1.0 / 3f64.log2();
        let rel = [
            Relevant {
                item: 0,
                relevance: 2.0,
            },
            Relevant {
                item: 1,
                relevance: 1.0,
            },
        ];
        let (l2, d, r) = expected_exposure(&[&[0, 1], &[1, 0]], &rel, 4, 2, &PositionWeight::Log);
        let e = (1.0 + w2) / 2.0;
        close(d, 2.0 * e * e);
        close(r, 2.0 * (e * 1.0 + e * w2));
        close(l2, (e - 1.0).powi(2) + (e - w2).powi(2));
        // equal grades: both items share (1 + w2)/2 each → the stochastic ranking is ideal, L2 = 0
        let eq = [
            Relevant {
                item: 0,
                relevance: 1.0,
            },
            Relevant {
                item: 1,
                relevance: 1.0,
            },
        ];
        let (l2, _, _) = expected_exposure(&[&[0, 1], &[1, 0]], &eq, 4, 2, &PositionWeight::Log);
        close(l2, 0.0);
        // non-relevant items share the leftover positions: k = 2, one relevant item (0),
        // 3 others share w2 → ε*_other = w2/3; deterministic ranking [0, 2]:
        // L2 = (1 − 1)² + (w2 − w2/3)² + 2·(w2/3)²
        let one = [Relevant {
            item: 0,
            relevance: 1.0,
        }];
        let (l2, d, r) = expected_exposure(&[&[0, 2]], &one, 4, 2, &PositionWeight::Log);
        close(l2, (2.0 * w2 / 3.0).powi(2) + 2.0 * (w2 / 3.0).powi(2));
        close(d, 1.0 + w2 * w2);
        close(r, 2.0 * (1.0 + w2 * w2 / 3.0));
    }

    #[test]
    fn expected_exposure_metrics_need_samples_and_truth() {
        let mut ds = dataset();
        assert!(expected_exposure_metrics(&ds, &ExposureConfig::default()).is_empty());
        ds.samples = vec![
            ds.recs.clone(),
            Csr::from_rows(vec![vec![1, 0], vec![], vec![]]),
        ];
        let m = expected_exposure_metrics(&ds, &ExposureConfig::default());
        assert_eq!(m.len(), 3);
        // users 1 and 2 have no relevant item → NaN; user 0 is defined
        assert!(m[0].values[0].is_finite());
        assert!(m[0].values[1].is_nan() && m[0].values[2].is_nan());
        assert!(m[1].values[0] > 0.0 && m[2].values[0] >= 0.0);
    }

    #[test]
    fn awrf_over_intersections() {
        let ds = dataset();
        let g = intersectional_groups(&ds.items).unwrap();
        // one column: groups A, B, (missing) in code order
        assert_eq!(g.labels, ["A", "B", "(missing)"]);
        assert_eq!(g.catalog_share(), vec![0.5, 0.25, 0.25]);
        let m = awrf_metrics(&ds);
        // user 2: [1] → d = {A: 1}, t = {½, ¼, ¼}, M = {¾, ⅛, ⅛}
        // JSD = ½ log2(1/¾) + ½ (½ log2(½/¾) + ¼ log2(¼/⅛) + ¼ log2(¼/⅛))
        let jsd = 0.5 * (4.0f64 / 3.0).log2() + 0.5 * (0.5 * (2.0f64 / 3.0).log2() + 0.5);
        close(m[0].values[2], 1.0 - jsd);
    }
}
