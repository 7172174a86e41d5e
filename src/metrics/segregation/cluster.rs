//! Steps 1–5 of the segregation analysis: users' list category distributions, the fit sample,
//! the choice of k, the k-means fit and every clustered user's cluster, with the clusters'
//! summaries.

use std::collections::HashSet;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::kmeans::{assign, centroid_norms, dense, kmeans_centroids, nearest};
use super::result::{CategoryShare, ClusterSummary, KRule, Segregation};
use super::silhouette::{choose_k, pairwise_distances, silhouette_from_distances};
use crate::data::{Categorical, Csr, RecLists};
use crate::metrics::bubble::BubbleConfig;
use crate::metrics::categories::{CategoryDistribution, ItemCategories};
use crate::metrics::finite;

/// Largest number of users the silhouette is computed on (pairwise distances: quadratic).
pub const SILHOUETTE_SAMPLE: usize = 1_000;
/// Largest number of users k-means is fitted on; the others are assigned to the nearest centroid.
pub const FIT_SAMPLE: usize = 20_000;
/// Categories listed per cluster.
pub const TOP_CATEGORIES: usize = 3;

/// Seeded sample of `m` of `0..n` (sorted), or all when n ≤ m.
fn sample_indices(n: usize, m: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    if n <= m {
        return (0..n).collect();
    }
    let mut idx = rand::seq::index::sample(rng, n, m).into_vec();
    idx.sort_unstable();
    idx
}

/// Steps 1–5 of [`segregation`](super::segregation()): clusters the users `0..n_users` by the category distributions of
/// their `lists` (`categories`: the categories of each item, `category_labels` their names). The
/// slice columns are not related yet (`slices` is empty): [`Segregation::relate_slices`] does it.
/// Needs no slice column, so it can run while the users table is being read.
pub fn cluster_users(
    lists: &RecLists,
    n_users: usize,
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
        .filter(|&u| {
            list(u)
                .iter()
                .any(|&i| !cats.csr.row(i as usize).is_empty())
        })
        .map(|u| u as u32)
        .collect();

    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let fit_idx = sample_indices(eligible.len(), FIT_SAMPLE, &mut rng);
    let fit_dists: Vec<CategoryDistribution> = fit_idx
        .par_iter()
        .map_init(
            || vec![0.0; n_cat],
            |scratch, &i| cats.distribution(list(eligible[i] as usize), None, scratch),
        )
        .collect();
    // Distinct distributions (rounded to 1e-9 against summation-order noise), first occurrence
    // in fit-sample order.
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
    let sil_dists: Vec<CategoryDistribution> =
        sample_indices(n_distinct, SILHOUETTE_SAMPLE, &mut rng)
            .into_iter()
            .map(|i| fit_dists[distinct[i]].clone())
            .collect();
    let sil_points = dense(&sil_dists, n_cat);
    let sil_matrix = pairwise_distances(&sil_points);

    // Choose k.
    let (k, k_rule, k_candidates) = match cfg.n_clusters {
        Some(k) => (k.clamp(2, n_distinct), KRule::Given, Vec::new()),
        None => {
            let (best, candidates) =
                choose_k(&sil_points, &sil_dists, &sil_matrix, n_distinct, cfg.seed);
            (best, KRule::Silhouette, candidates)
        }
    };

    let centroids = kmeans_centroids(&dense(&fit_dists, n_cat), k, cfg.seed)?;
    let norms = centroid_norms(&centroids);

    // Assign every eligible user; per-chunk category sums, combined in chunk order (deterministic).
    const CHUNK: usize = 4096;
    let parts: Vec<(Vec<u32>, Vec<f64>)> = eligible
        .par_chunks(CHUNK)
        .map(|chunk| {
            let mut scratch = vec![0.0; n_cat];
            let mut d = CategoryDistribution::new();
            let mut sums = vec![0.0; k * n_cat];
            let labels = chunk
                .iter()
                .map(|&u| {
                    cats.distribution_into(list(u as usize), None, &mut scratch, &mut d);
                    let c = nearest(&d, &centroids, &norms);
                    for &(j, p) in &d {
                        sums[c * n_cat + j as usize] += p;
                    }
                    c as u32
                })
                .collect();
            (labels, sums)
        })
        .collect();
    let mut raw_labels = Vec::with_capacity(eligible.len());
    let mut sums = vec![0.0; k * n_cat];
    for (labels, part) in parts {
        raw_labels.extend(labels);
        for (s, p) in sums.iter_mut().zip(part) {
            *s += p;
        }
    }
    let mut sizes = vec![0usize; k];
    for &c in &raw_labels {
        sizes[c as usize] += 1;
    }
    // Renumber: non-empty clusters by decreasing size, ties by original index.
    let mut order: Vec<usize> = (0..k).filter(|&c| sizes[c] > 0).collect();
    order.sort_by(|&x, &y| sizes[y].cmp(&sizes[x]).then(x.cmp(&y)));
    let mut renumber = vec![u32::MAX; k];
    for (new, &old) in order.iter().enumerate() {
        renumber[old] = new as u32;
    }
    let n_clusters = order.len();
    let n_clustered = eligible.len();

    let clusters: Vec<ClusterSummary> = order
        .iter()
        .enumerate()
        .map(|(new, &old)| {
            let size = sizes[old];
            let mut shares: Vec<(usize, f64)> = (0..n_cat)
                .map(|j| (j, sums[old * n_cat + j] / size as f64))
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

    let mut labels = vec![Categorical::MISSING; n_users];
    for (&u, &c) in eligible.iter().zip(&raw_labels) {
        labels[u as usize] = renumber[c as usize];
    }

    // Silhouette of the final clustering on the silhouette subsample.
    let sil_labels: Vec<usize> = assign(&sil_dists, &centroids)
        .into_iter()
        .map(|c| renumber[c] as usize)
        .collect();
    let silhouette = silhouette_from_distances(&sil_matrix, &sil_labels).and_then(finite);

    Some(Segregation {
        n_clusters,
        k_rule,
        k_candidates,
        silhouette,
        n_users: n_clustered,
        n_users_unclustered: n_users - n_clustered,
        n_users_fit: fit_idx.len(),
        seed: cfg.seed,
        nmi_normalisation: "arithmetic".to_string(),
        clusters,
        slices: Vec::new(),
        labels,
    })
}
