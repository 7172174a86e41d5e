//! Item groups and their per-user masses: [`ItemGroups`] (a grouping of catalog items with the
//! fraction of each item's mass each group receives), the group columns of a dataset
//! ([`item_group_columns`]), the intersectional groups of all categorical item columns
//! ([`intersectional_groups`]), and [`UserGroupMass`], each user's mass per group under a position
//! weight, a history or truth (so that a share over a user set is a ratio of sums over its users).

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::packed_groups::PackedGroups;
use crate::data::{Categorical, Csr, Dataset, Items, RecLists, Relevant};
use crate::metrics::diversity::has_categories;
use crate::metrics::popularity::{popularity_band, Popularity};
use crate::metrics::PositionWeight;

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

    /// `values` (one per group, in group order) keyed by group label.
    pub(super) fn by_label(&self, values: &[Option<f64>]) -> BTreeMap<String, Option<f64>> {
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
        // cache, then writes them out column by column (adding straight into the g columns would
        // make every list item touch cache lines of columns far apart). The additions are the
        // same, in the same order.
        const BLOCK: usize = 128;
        // The memberships are read packed (see `packed_groups`): the same additions.
        let packed = PackedGroups::new(&groups.members, groups.n_groups());
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

#[cfg(test)]
mod tests {
    use super::super::test_data::dataset;
    use super::*;

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
        assert_eq!(PackedGroups::new(&groups.members, groups.n_groups()), None);
        let recs = Csr::from_rows(vec![vec![5u32, 999], vec![], vec![123]]);
        let m = user_group_exposure(&recs, &groups, &PositionWeight::Uniform);
        assert_eq!(m.user(0), [fraction(5) + fraction(999), 0.0]);
        assert_eq!((m.user(1), m.total[1]), (vec![0.0, 0.0], 0.0));
        assert_eq!((m.user(2), m.total[2]), (vec![fraction(123), 0.0], 1.0));
        assert_eq!(m.total[0], 2.0);
    }

    #[test]
    fn intersectional_groups_of_one_column() {
        let ds = dataset();
        let g = intersectional_groups(&ds.items).unwrap();
        // one column: groups A, B, (missing) in code order
        assert_eq!(g.labels, ["A", "B", "(missing)"]);
        assert_eq!(g.catalog_share(), vec![0.5, 0.25, 0.25]);
    }
}
