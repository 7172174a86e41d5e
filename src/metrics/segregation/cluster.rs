//! Steps 1–5 of the segregation analysis: users' list category distributions, the fit sample,
//! the choice of k, the k-means fit and every clustered user's cluster, with the clusters'
//! summaries.

use std::collections::HashSet;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use ndarray::Array2;

use super::kmeans::{assign, centroid_norms, dense, kmeans_centroids, nearest, FIT_RUNS};
use super::result::{CategoryShare, ClusterSummary, KCandidate, KRule, Segregation};
use super::silhouette::{choose_k, pairwise_distances, silhouette_from_distances};
use crate::data::{Categorical, Csr, RecLists};
use crate::metrics::bubble::BubbleConfig;
use crate::metrics::categories::{CategoryDistribution, ItemCategories};
use crate::metrics::finite;
use crate::stats::bootstrap::{keyed_hash, mix64};

/// Largest number of users the silhouette is computed on (pairwise distances: quadratic).
pub const SILHOUETTE_SAMPLE: usize = 1_000;
/// Largest number of users k-means is fitted on; the others are assigned to the nearest centroid.
pub const FIT_SAMPLE: usize = 20_000;
/// Categories listed per cluster.
pub const TOP_CATEGORIES: usize = 3;

/// Salt of the fit sample's hash of (seed, user key).
const FIT_SALT: u64 = 0x6669_745f_7361_6d70;

/// The fit sample: the positions in `eligible` of the `m` users with the smallest hashes of
/// (seed, user key) (ties by key), in ascending order; all when there are at most m. A user is in
/// it or not by its id and the ids of the others, whatever the order of the rows or how the users
/// are split into partitions (the `m` smallest of the partitions' `m` smallest are the `m`
/// smallest overall).
fn fit_sample(eligible: &[u32], keys: &[u64], m: usize, seed: u64) -> Vec<usize> {
    if eligible.len() <= m {
        return (0..eligible.len()).collect();
    }
    let mut ranked: Vec<(u64, u64, usize)> = eligible
        .iter()
        .enumerate()
        .map(|(at, &u)| {
            let key = keys[u as usize];
            (fit_hash(seed, key), key, at)
        })
        .collect();
    ranked.select_nth_unstable(m - 1);
    let mut sample: Vec<usize> = ranked[..m].iter().map(|&(_, _, at)| at).collect();
    sample.sort_unstable();
    sample
}

/// The hash of (seed, user key) that ranks users for the fit sample.
pub fn fit_hash(seed: u64, key: u64) -> u64 {
    keyed_hash(mix64(seed ^ FIT_SALT), key)
}

/// Seeded sample of `m` of `0..n` (sorted), or all when n ≤ m.
fn sample_indices(n: usize, m: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    if n <= m {
        return (0..n).collect();
    }
    let mut idx = rand::seq::index::sample(rng, n, m).into_vec();
    idx.sort_unstable();
    idx
}

/// Whether user lists with these items can be clustered: at least one item has a category.
pub fn has_category(list: &[u32], cats: &ItemCategories) -> bool {
    // An item's set is empty exactly when its list of categories is (one read instead of two).
    match cats.sets() {
        Some(sets) => list.iter().any(|&i| sets.get(i) != 0),
        None => list.iter().any(|&i| !cats.csr.row(i as usize).is_empty()),
    }
}

/// Steps 1–5 of [`segregation`](super::segregation()): clusters the users `0..n_users` (user u's
/// key `keys[u]`) by the category distributions of their `lists` (`categories`: the categories of
/// each item, `category_labels` their names). The slice columns are not related yet (`slices` is
/// empty): [`Segregation::relate_slices`] does it. Needs no slice column, so it can run while the
/// users table is being read.
pub fn cluster_users(
    lists: &RecLists,
    n_users: usize,
    keys: &[u64],
    categories: &Csr<u32>,
    category_labels: &[String],
    cfg: &BubbleConfig,
) -> Option<Segregation> {
    let n_cat = category_labels.len();
    if n_cat == 0 {
        return None;
    }
    let cats = ItemCategories::new(categories);
    let n_rows = lists.n_rows().min(n_users);
    let list = |u: usize| lists.row(u);
    let eligible: Vec<u32> = (0..n_rows)
        .into_par_iter()
        .filter(|&u| has_category(list(u), &cats))
        .map(|u| u as u32)
        .collect();

    let fit_idx = fit_sample(&eligible, keys, FIT_SAMPLE, cfg.seed);
    let fit_dists: Vec<CategoryDistribution> = fit_idx
        .par_iter()
        .map_init(
            || vec![0.0; n_cat],
            |scratch, &i| cats.distribution(list(eligible[i] as usize), None, scratch),
        )
        .collect();
    let fitted = Fitted::of_sample(&fit_dists, n_cat, cfg)?;

    // Assign every eligible user; per-chunk category sums, combined in chunk order (deterministic).
    const CHUNK: usize = 4096;
    let parts: Vec<(Vec<u32>, ClusterSums)> = eligible
        .par_chunks(CHUNK)
        .map(|chunk| {
            let mut sums = ClusterSums::new(fitted.k(), n_cat);
            let mut scratch = vec![0.0; n_cat];
            let mut d = CategoryDistribution::new();
            let labels = chunk
                .iter()
                .map(|&u| {
                    cats.distribution_into(list(u as usize), None, &mut scratch, &mut d);
                    fitted.add(&d, &mut sums) as u32
                })
                .collect();
            (labels, sums)
        })
        .collect();
    let mut raw_labels = Vec::with_capacity(eligible.len());
    let mut sums = ClusterSums::new(fitted.k(), n_cat);
    for (labels, part) in parts {
        raw_labels.extend(labels);
        sums.add(&part);
    }
    let (mut segregation, renumber) = fitted.summarise(&sums, n_users, category_labels, cfg.seed);
    segregation.labels = vec![Categorical::MISSING; n_users];
    for (&u, &c) in eligible.iter().zip(&raw_labels) {
        segregation.labels[u as usize] = renumber[c as usize];
    }
    Some(segregation)
}

/// Per cluster of a fit (in the fit's numbering): its users and the sums of their category
/// distributions (`sums[c · n_cat + j]`). Added up over any split of the users.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterSums {
    /// Users per cluster.
    pub sizes: Vec<u64>,
    /// Per cluster and category, the sum of the users' shares.
    pub sums: Vec<f64>,
}

impl ClusterSums {
    /// No user in any of `k` clusters over `n_cat` categories.
    pub fn new(k: usize, n_cat: usize) -> ClusterSums {
        ClusterSums {
            sizes: vec![0; k],
            sums: vec![0.0; k * n_cat],
        }
    }

    /// Adds `other`'s users (same k and categories).
    pub fn add(&mut self, other: &ClusterSums) {
        for (a, b) in self.sizes.iter_mut().zip(&other.sizes) {
            *a += b;
        }
        for (a, b) in self.sums.iter_mut().zip(&other.sums) {
            *a += b;
        }
    }
}

/// Steps 2–4 of the analysis on a fit sample: the choice of k, the fitted centroids and the
/// silhouette subsample. Everything later (assigning users, the clusters' summaries) needs only
/// this and sums over users, so it can be broadcast to partitions of users.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Fitted {
    centroids: Array2<f64>,
    norms: Vec<f64>,
    k_rule: KRule,
    k_candidates: Vec<KCandidate>,
    sil_dists: Vec<CategoryDistribution>,
    sil_matrix: Vec<f64>,
    n_fit: usize,
    n_cat: usize,
}

impl Fitted {
    /// Steps 2–4 on the fit sample's distributions `fit_dists` (in ascending key order) over
    /// `n_cat` categories; `None` when fewer than two of them are distinct or linfa fails.
    pub fn of_sample(
        fit_dists: &[CategoryDistribution],
        n_cat: usize,
        cfg: &BubbleConfig,
    ) -> Option<Fitted> {
        // Distinct distributions (rounded to 1e-9 against summation-order noise), first
        // occurrence in fit-sample order.
        let mut seen: HashSet<Vec<(u32, i64)>> = HashSet::new();
        let distinct: Vec<usize> = (0..fit_dists.len())
            .filter(|&i| {
                seen.insert(
                    fit_dists[i]
                        .iter()
                        .map(|&(c, p)| (c, (p * 1e9).round() as i64))
                        .collect(),
                )
            })
            .collect();
        let n_distinct = distinct.len();
        if n_distinct < 2 {
            return None;
        }
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        let sil_dists: Vec<CategoryDistribution> =
            sample_indices(n_distinct, SILHOUETTE_SAMPLE, &mut rng)
                .into_iter()
                .map(|i| fit_dists[distinct[i]].clone())
                .collect();
        let sil_points = dense(&sil_dists, n_cat);
        let sil_matrix = pairwise_distances(&sil_points);

        let (k, k_rule, k_candidates) = match cfg.n_clusters {
            Some(k) => (k.clamp(2, n_distinct), KRule::Given, Vec::new()),
            None => {
                let (best, candidates) =
                    choose_k(&sil_points, &sil_dists, &sil_matrix, n_distinct, cfg.seed);
                (best, KRule::Silhouette, candidates)
            }
        };
        let centroids = kmeans_centroids(&dense(fit_dists, n_cat), k, FIT_RUNS, cfg.seed)?;
        Some(Fitted {
            norms: centroid_norms(&centroids),
            centroids,
            k_rule,
            k_candidates,
            sil_dists,
            sil_matrix,
            n_fit: fit_dists.len(),
            n_cat,
        })
    }

    /// Number of centroids.
    pub fn k(&self) -> usize {
        self.centroids.nrows()
    }

    /// Adds a user with distribution `d` to its nearest centroid's sums; returns that centroid.
    pub fn add(&self, d: &CategoryDistribution, sums: &mut ClusterSums) -> usize {
        let c = nearest(d, &self.centroids, &self.norms);
        sums.sizes[c] += 1;
        for &(j, p) in d {
            sums.sums[c * self.n_cat + j as usize] += p;
        }
        c
    }

    /// Step 5's summaries from the sums over every clustered user (`n_users` audited users in
    /// all): empty clusters dropped, the others numbered by decreasing size (ties by the fit's
    /// index), each with its 3 largest mean category shares, and the silhouette of the final
    /// clustering on the silhouette subsample. Returns the result (no `labels`, no `slices`) and
    /// the new number of each fitted cluster.
    pub fn summarise(
        &self,
        sums: &ClusterSums,
        n_users: usize,
        category_labels: &[String],
        seed: u64,
    ) -> (Segregation, Vec<u32>) {
        let (k, n_cat) = (self.k(), self.n_cat);
        let sizes = &sums.sizes;
        let mut order: Vec<usize> = (0..k).filter(|&c| sizes[c] > 0).collect();
        order.sort_by(|&x, &y| sizes[y].cmp(&sizes[x]).then(x.cmp(&y)));
        let mut renumber = vec![u32::MAX; k];
        for (new, &old) in order.iter().enumerate() {
            renumber[old] = new as u32;
        }
        let n_clustered = sizes.iter().sum::<u64>() as usize;
        let clusters: Vec<ClusterSummary> = order
            .iter()
            .enumerate()
            .map(|(new, &old)| {
                let size = sizes[old] as usize;
                let mut shares: Vec<(usize, f64)> = (0..n_cat)
                    .map(|j| (j, sums.sums[old * n_cat + j] / size as f64))
                    .filter(|&(_, s)| s > 0.0)
                    .collect();
                shares.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
                ClusterSummary {
                    cluster: new,
                    n_users: size,
                    share: size as f64 / n_clustered as f64,
                    top_categories: shares
                        .into_iter()
                        .take(TOP_CATEGORIES)
                        .map(|(j, share)| CategoryShare {
                            category: category_labels[j].clone(),
                            share,
                        })
                        .collect(),
                }
            })
            .collect();
        let sil_labels: Vec<usize> = assign(&self.sil_dists, &self.centroids)
            .into_iter()
            .map(|c| renumber[c] as usize)
            .collect();
        let silhouette = silhouette_from_distances(&self.sil_matrix, &sil_labels).and_then(finite);
        let segregation = Segregation {
            n_clusters: order.len(),
            k_rule: self.k_rule,
            k_candidates: self.k_candidates.clone(),
            silhouette,
            n_users: n_clustered,
            n_users_unclustered: n_users - n_clustered,
            n_users_fit: self.n_fit,
            seed,
            nmi_normalisation: "arithmetic".to_string(),
            clusters,
            slices: Vec::new(),
            labels: Vec::new(),
        };
        (segregation, renumber)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys of users 0..n (distinct, in no particular order).
    fn keys(n: usize) -> Vec<u64> {
        (0..n)
            .map(|u| crate::data::id_key(&format!("u{u}")))
            .collect()
    }

    #[test]
    fn fit_sample_takes_everyone_when_small() {
        let k = keys(5);
        assert_eq!(fit_sample(&[0, 2, 4], &k, 3, 1), vec![0, 1, 2]);
        assert_eq!(fit_sample(&[], &k, 3, 1), Vec::<usize>::new());
    }

    #[test]
    fn fit_sample_is_the_smallest_hashes_and_merges_by_partition() {
        let n = 2_000;
        let k = keys(n);
        let eligible: Vec<u32> = (0..n as u32).filter(|u| u % 3 != 0).collect();
        let m = 100;
        let sample = fit_sample(&eligible, &k, m, 7);
        assert_eq!(sample.len(), m);
        assert!(
            sample.windows(2).all(|w| w[0] < w[1]),
            "ascending positions"
        );
        // By definition: the m smallest hashes of (seed, key).
        let mut hashes: Vec<(u64, u32)> = eligible
            .iter()
            .map(|&u| (fit_hash(7, k[u as usize]), u))
            .collect();
        hashes.sort_unstable();
        let mut want: Vec<u32> = hashes[..m].iter().map(|&(_, u)| u).collect();
        want.sort_unstable();
        let got: Vec<u32> = sample.iter().map(|&at| eligible[at]).collect();
        assert_eq!(got, want);
        // Three partitions, each keeping its own m smallest: the m smallest of their union are
        // the same users.
        let mut kept: Vec<u32> = Vec::new();
        for part in [0..2, 2..3, 3..5] {
            let users: Vec<u32> = eligible
                .iter()
                .copied()
                .filter(|u| part.contains(&(u % 5)))
                .collect();
            kept.extend(fit_sample(&users, &k, m, 7).iter().map(|&at| users[at]));
        }
        kept.sort_unstable();
        let merged: Vec<u32> = fit_sample(&kept, &k, m, 7)
            .iter()
            .map(|&at| kept[at])
            .collect();
        assert_eq!(merged, want);
        // Another seed draws other users.
        assert_ne!(fit_sample(&eligible, &k, m, 8), sample);
    }
}
