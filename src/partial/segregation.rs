//! The segregation analysis (`metrics::segregation`) from partitions of users, in two map rounds
//! with a broadcast in between (docs/scaling.md, "Segregation"):
//!
//! 1. [`map_fit_sample`]: a partition keeps, of its users whose lists have a categorised item,
//!    the [`FIT_SAMPLE`] with the smallest [`fit_hash`] of (seed, user key), with their category
//!    distributions. [`PartialFitSample::merge`] keeps the smallest of both, so the merged sample
//!    is the one-pass audit's fit sample whatever the partitioning. [`PartialFitSample::fit`]
//!    chooses k and fits the centroids on it ([`Fitted`]), which are broadcast.
//! 2. [`map_clusters`]: a partition assigns its users to the nearest centroid and counts, per
//!    cluster, the users and their category shares, and per slice column the users of each
//!    (group, cluster). [`PartialClusters::merge`] adds them; [`finish_segregation`] gives the
//!    one-pass [`Segregation`] (without per-user labels).
//!
//! Exact across partitionings: the fit sample, the centroids, k, the silhouettes, every count and
//! the NMI (computed from the summed counts with the one-pass arithmetic). The clusters' mean
//! category shares are f64 sums whose order follows the partitioning (last bits).

use std::collections::BTreeMap;

use super::plan::protect_combinations;
use super::state::CellUsers;
use super::FinishError;
use crate::data::{Csr, RecLists};
use crate::metrics::bubble::BubbleConfig;
use crate::metrics::categories::{CategoryDistribution, ItemCategories};
use crate::metrics::segregation::{
    fit_hash, has_category, slice_segregation_of_table, ClusterSums, Fitted, Segregation,
    FIT_SAMPLE,
};

/// A user of a partition's fit sample: the rank hash, the user key and the list's category
/// distribution.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleUser {
    /// [`fit_hash`] of (seed, key).
    pub hash: u64,
    /// The user's key ([`crate::data::id_key`] of the id).
    pub key: u64,
    /// The category distribution of the user's list.
    pub distribution: CategoryDistribution,
}

/// Round 1's state: the candidates for the fit sample, at most [`FIT_SAMPLE`], in ascending
/// (hash, key) order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PartialFitSample {
    /// The candidates.
    pub users: Vec<SampleUser>,
}

/// Round 1's map: the fit-sample candidates among a partition's users (`keys[u]` the key of its
/// user u, `lists` their lists, `categories` every item's categories over `n_cat` categories).
pub fn map_fit_sample(
    keys: &[u64],
    lists: &RecLists,
    categories: &Csr<u32>,
    n_cat: usize,
    seed: u64,
) -> PartialFitSample {
    let cats = ItemCategories::new(categories);
    let mut scratch = vec![0.0; n_cat];
    let mut ranked: Vec<(u64, u64, usize)> = (0..lists.n_rows().min(keys.len()))
        .filter(|&u| has_category(lists.row(u), &cats))
        .map(|u| (fit_hash(seed, keys[u]), keys[u], u))
        .collect();
    ranked.sort_unstable();
    ranked.truncate(FIT_SAMPLE);
    PartialFitSample {
        users: ranked
            .into_iter()
            .map(|(hash, key, u)| SampleUser {
                hash,
                key,
                distribution: cats.distribution(lists.row(u), None, &mut scratch),
            })
            .collect(),
    }
}

impl PartialFitSample {
    /// The candidates of both partitions' users: the [`FIT_SAMPLE`] smallest.
    pub fn merge(mut self, other: PartialFitSample) -> PartialFitSample {
        self.users.extend(other.users);
        self.users.sort_unstable_by_key(|s| (s.hash, s.key));
        self.users.truncate(FIT_SAMPLE);
        self
    }

    /// Steps 2–4 of the analysis on the merged sample (in ascending key order, as the one-pass
    /// fit takes it); `Ok(None)` when fewer than two distributions are distinct. An error when a
    /// distribution is not one over the `n_cat` categories (a state of another catalog).
    pub fn fit(&self, n_cat: usize, cfg: &BubbleConfig) -> Result<Option<Fitted>, FinishError> {
        if let Some(s) = self.users.iter().find(|s| {
            s.distribution
                .iter()
                .any(|&(c, p)| c as usize >= n_cat || !(0.0..=1.0).contains(&p))
        }) {
            return Err(FinishError(format!(
                "the fit sample holds a category distribution that is not over {n_cat} \
                 categories (user key {:#018x})",
                s.key
            )));
        }
        let mut users: Vec<&SampleUser> = self.users.iter().collect();
        users.sort_unstable_by_key(|s| s.key);
        let dists: Vec<CategoryDistribution> =
            users.iter().map(|s| s.distribution.clone()).collect();
        Ok(Fitted::of_sample(&dists, n_cat, cfg))
    }
}

/// Round 2's state: the partition's users, the clusters' sums and, per slice column, the users of
/// each (group, cluster) in the fit's numbering (`tables[c][g · k + cluster]`); and the clustered
/// users of each combination of one group per column, for the publication decision
/// ([`published_segregation`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PartialClusters {
    /// Audited users (clustered or not).
    pub n_users: u64,
    /// Users and category-share sums per cluster.
    pub sums: ClusterSums,
    /// Per slice column, users per (group, cluster).
    pub tables: Vec<Vec<u64>>,
    /// Per combination of one code per slice column (`MISSING` included), the clustered users:
    /// how many, and the smallest key.
    pub clustered: BTreeMap<Vec<u32>, CellUsers>,
}

/// Round 2's map: assigns a partition's users (`keys[u]` the key of its user u, `lists`,
/// `categories` over `n_cat` categories) to the nearest centroid of `fitted`; `columns[c][u]` is
/// user u's group in slice column c (of `n_groups[c]` groups;
/// [`crate::data::Categorical::MISSING`] for none).
pub fn map_clusters(
    fitted: &Fitted,
    keys: &[u64],
    lists: &RecLists,
    categories: &Csr<u32>,
    n_cat: usize,
    columns: &[&[u32]],
    n_groups: &[usize],
) -> PartialClusters {
    let k = fitted.k();
    let cats = ItemCategories::new(categories);
    let mut sums = ClusterSums::new(k, n_cat);
    let mut tables: Vec<Vec<u64>> = n_groups.iter().map(|&g| vec![0; g * k]).collect();
    let mut clustered = BTreeMap::new();
    let mut scratch = vec![0.0; n_cat];
    let mut d = CategoryDistribution::new();
    let n_users = keys.len();
    for u in 0..lists.n_rows().min(n_users) {
        let list = lists.row(u);
        if !has_category(list, &cats) {
            continue;
        }
        cats.distribution_into(list, None, &mut scratch, &mut d);
        let cluster = fitted.add(&d, &mut sums);
        for (table, codes) in tables.iter_mut().zip(columns) {
            if let Some(cell) = table.get_mut(codes[u] as usize * k + cluster) {
                *cell += 1;
            }
        }
        let combination = columns.iter().map(|c| c[u]).collect();
        CellUsers::add_to(&mut clustered, combination, CellUsers::one(keys[u]));
    }
    PartialClusters {
        n_users: n_users as u64,
        sums,
        tables,
        clustered,
    }
}

impl PartialClusters {
    /// Both partitions' users.
    pub fn merge(mut self, other: PartialClusters) -> PartialClusters {
        self.n_users += other.n_users;
        self.sums.add(&other.sums);
        for (a, b) in self.tables.iter_mut().zip(&other.tables) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        for (combination, users) in other.clustered {
            CellUsers::add_to(&mut self.clustered, combination, users);
        }
        self
    }
}

/// The segregation result from the fit and the merged round-2 state: the clusters' summaries and
/// every slice column related to them (`columns[c]`: its name and group labels, as in round 2).
/// Per-user labels are not kept (`labels` is empty). An error when the state's shape is not that
/// of the fit, the columns and the categories (a state of another audit).
pub fn finish_segregation(
    fitted: &Fitted,
    clusters: &PartialClusters,
    columns: &[(&str, &[String])],
    category_labels: &[String],
    seed: u64,
) -> Result<Segregation, FinishError> {
    let k = fitted.k();
    let shape_ok = clusters.sums.sizes.len() == k
        && clusters.sums.sums.len() == k * category_labels.len()
        && clusters.tables.len() == columns.len()
        && clusters
            .tables
            .iter()
            .zip(columns)
            .all(|(t, (_, labels))| t.len() == labels.len() * k)
        && clusters.sums.sizes.iter().sum::<u64>() <= clusters.n_users
        && clusters.clustered.keys().all(|c| c.len() == columns.len());
    if !shape_ok {
        return Err(FinishError(format!(
            "the cluster counts are not those of {k} clusters, {} categories and these {} slice \
             columns",
            category_labels.len(),
            columns.len()
        )));
    }
    let (mut segregation, renumber) = fitted.summarise(
        &clusters.sums,
        clusters.n_users as usize,
        category_labels,
        seed,
    );
    let n_clusters = segregation.n_clusters;
    segregation.slices = columns
        .iter()
        .zip(&clusters.tables)
        .map(|(&(name, labels), table)| {
            let mut renumbered = vec![0u64; labels.len() * n_clusters];
            for (g, row) in table.chunks(k).enumerate() {
                for (c, &n) in row.iter().enumerate() {
                    if n > 0 {
                        renumbered[g * n_clusters + renumber[c] as usize] += n;
                    }
                }
            }
            slice_segregation_of_table(name, labels, &renumbered, n_clusters)
        })
        .collect();
    Ok(segregation)
}

/// The segregation as the audit publishes it (`audit::publication::published_segregation`):
/// of each column's groups, those the audit publishes (`shown[c][g]`), less any that is small
/// among the clustered users or could be recovered from the others by differencing, decided from
/// the merged combinations of clustered users (`clusters.clustered`) as the one-pass audit
/// decides from the users themselves.
pub fn published_segregation(
    mut segregation: Segregation,
    clusters: &PartialClusters,
    columns: &[(&str, &[String])],
    shown: &[Vec<bool>],
    min_size: usize,
) -> Segregation {
    let rows = clusters
        .clustered
        .iter()
        .map(|(codes, &users)| (codes.as_slice(), users));
    let decided = protect_combinations(rows, shown, min_size, &[]);
    segregation.publish_only(|c, label| {
        columns[c]
            .1
            .iter()
            .position(|l| l == label)
            .is_some_and(|g| decided[c][g])
    });
    segregation
}

#[cfg(test)]
#[path = "segregation_tests.rs"]
mod tests;
