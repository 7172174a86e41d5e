//! Segregation (SPEC §8): cluster users by the category distribution of their lists with k-means,
//! then measure how strongly each demographic slice column and the clusters coincide with the
//! normalised mutual information (NMI). High NMI means demographic groups live in separate bubbles.
//!
//! Procedure ([`segregation`]), seeded and deterministic for a given seed and input, whatever the
//! thread count:
//! 1. Features: each user's list category distribution q(·|u) of SPEC §7 (an item with m categories
//!    gives 1/m to each), one dimension per category. Users whose list has no categorised item are
//!    not clustered (`n_users_unclustered`).
//! 2. Fit sample: at most [`FIT_SAMPLE`] users drawn without replacement (ChaCha8 seeded with
//!    `seed`); all users when fewer.
//! 3. k: `n_clusters` when given (clamped to 2..=the number of distinct distributions in the fit
//!    sample); otherwise the k in [`K_CANDIDATES`] with the highest mean silhouette (Rousseeuw 1987,
//!    Euclidean) on a seeded subsample of at most [`SILHOUETTE_SAMPLE`] *distinct* distributions of
//!    the fit sample, each candidate clustered on that subsample; ties go to the smaller k.
//!    Distinct, because short lists over few categories make many users share exactly the same
//!    distribution, and duplicates score a silhouette of 1 once k reaches the number of distinct
//!    values, which would reward the largest k.
//! 4. linfa k-means (k-means++ init, [`N_RUNS`] runs keeping the lowest inertia, tolerance 1e-6, at
//!    most 300 iterations; `KMeans::params_with` with ChaCha8 seeded by `seed` and linfa's
//!    Euclidean arithmetic read from contiguous rows, `ContiguousL2`) on the fit sample.
//! 5. Every clustered user is assigned to the nearest centroid (squared Euclidean, ties to the lower
//!    index). Empty clusters are dropped; clusters are numbered by decreasing size.
//! 6. Per cluster: size, share, and the 3 categories with the largest mean share in its users'
//!    distributions. Per slice column: NMI between the slice value and the cluster over the clustered
//!    users with a value (users with [`Categorical::MISSING`] are skipped), and each group's
//!    distribution over the clusters.

use std::collections::HashSet;
use std::ops::RangeInclusive;

use linfa::traits::Fit;
use linfa::DatasetBase;
use linfa_clustering::KMeans;
use linfa_nn::distance::{Distance, L2Dist};
use ndarray::{Array2, ArrayView, Dimension};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::{Categorical, Csr, Dataset, RecLists};
use crate::metrics::bubble::BubbleConfig;
use crate::metrics::categories::{CategoryDistribution, ItemCategories};
use crate::metrics::finite;

/// Candidate numbers of clusters when `n_clusters` is not given.
pub const K_CANDIDATES: RangeInclusive<usize> = 2..=8;
/// Largest number of users the silhouette is computed on (pairwise distances: quadratic).
pub const SILHOUETTE_SAMPLE: usize = 1_000;
/// Largest number of users k-means is fitted on; the others are assigned to the nearest centroid.
pub const FIT_SAMPLE: usize = 20_000;
/// k-means restarts (the run with the lowest inertia is kept).
pub const N_RUNS: usize = 5;
/// Categories listed per cluster.
pub const TOP_CATEGORIES: usize = 3;

/// How the number of clusters was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KRule {
    /// Given in the configuration (`n_clusters`).
    Given,
    /// Highest mean silhouette over [`K_CANDIDATES`].
    Silhouette,
}

/// The silhouette of one candidate k.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KCandidate {
    /// Number of clusters tried.
    pub k: usize,
    /// Mean silhouette on the silhouette subsample; `null` when undefined (one cluster).
    pub silhouette: Option<f64>,
}

/// A category and its mean share in a cluster's lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryShare {
    /// Category label.
    pub category: String,
    /// Mean of q(category | u) over the cluster's users.
    pub share: f64,
}

/// One cluster of users.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterSummary {
    /// Cluster number (0 = largest).
    pub cluster: usize,
    /// Users in the cluster.
    pub n_users: usize,
    /// Share of the clustered users.
    pub share: f64,
    /// Up to 3 categories with the largest mean share, largest first (ties by category order).
    pub top_categories: Vec<CategoryShare>,
}

/// One slice group's spread over the clusters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupClusters {
    /// Slice value.
    pub group: String,
    /// Clustered users of the group.
    pub n_users: usize,
    /// Share of the group's users in each cluster, by cluster number.
    pub cluster_shares: Vec<f64>,
}

/// How one slice column coincides with the clusters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SliceSegregation {
    /// Slice column name.
    pub column: String,
    /// Clustered users with a value in this column.
    pub n_users: usize,
    /// NMI (arithmetic normalisation) of slice value vs cluster; `null` when fewer than two groups
    /// have clustered users.
    pub nmi: Option<f64>,
    /// Published groups with at least one clustered user, in label order (the caller removes the
    /// others with [`Segregation::publish_only`]).
    pub groups: Vec<GroupClusters>,
    /// Groups not published here (too small, or withheld so that a smaller one cannot be
    /// recovered by differencing).
    #[serde(default)]
    pub groups_not_shown: usize,
}

/// Result of the segregation analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segregation {
    /// Number of (non-empty) clusters.
    pub n_clusters: usize,
    /// How k was chosen.
    pub k_rule: KRule,
    /// Silhouettes of the candidates (empty when k was given).
    pub k_candidates: Vec<KCandidate>,
    /// Mean silhouette of the final clustering on the silhouette subsample (distinct distributions).
    pub silhouette: Option<f64>,
    /// Users clustered (lists with at least one categorised item).
    pub n_users: usize,
    /// Users not clustered (no categorised item in their list).
    pub n_users_unclustered: usize,
    /// Users the k-means was fitted on.
    pub n_users_fit: usize,
    /// The seed used.
    pub seed: u64,
    /// Always `"arithmetic"`: NMI = I(X;Y) / ((H(X) + H(Y)) / 2), as scikit-learn's default.
    pub nmi_normalisation: String,
    /// Clusters, largest first.
    pub clusters: Vec<ClusterSummary>,
    /// One entry per slice column of the dataset.
    pub slices: Vec<SliceSegregation>,
    /// Cluster of each dense user, [`Categorical::MISSING`] when not clustered (not serialised).
    #[serde(skip)]
    pub labels: Vec<u32>,
}

impl Segregation {
    /// Step 6 of [`segregation`]: relates each slice column to the clusters of
    /// [`cluster_users`] (one [`SliceSegregation`] per column, in order, computed in parallel).
    pub fn relate_slices(mut self, slices: &[Categorical]) -> Segregation {
        self.slices = slices
            .par_iter()
            .map(|col| slice_segregation(col, &self.labels, self.n_clusters))
            .collect();
        self
    }

    /// Keeps the groups `publish(column index, group label)` allows and counts the others in
    /// `groups_not_shown`. The NMI, an aggregate over all groups, is kept.
    pub fn publish_only(&mut self, publish: impl Fn(usize, &str) -> bool) {
        for (c, slice) in self.slices.iter_mut().enumerate() {
            let before = slice.groups.len();
            slice.groups.retain(|g| publish(c, &g.group));
            slice.groups_not_shown = before - slice.groups.len();
        }
    }
}

/// Normalised mutual information of two labelings of the same objects, arithmetic normalisation:
/// NMI = I(A;B) / ((H(A) + H(B)) / 2) (natural logs; the base cancels).
///
/// *Source*: Strehl & Ghosh 2002 (doi:10.1162/153244303321897735) for NMI; the arithmetic mean is
/// scikit-learn's default `average_method` (equal to its V-measure), and the special cases follow
/// `sklearn.metrics.normalized_mutual_info_score`: both labelings with a single label → 1; I = 0
/// → 0. Unlike scikit-learn, empty input gives NaN. Labels are arbitrary `u32` values; the result
/// is clamped to [0, 1] against rounding.
///
/// # Panics
/// When the two slices differ in length.
///
/// ```
/// use recaudit::metrics::segregation::normalized_mutual_information as nmi;
/// assert!((nmi(&[0, 0, 1, 1], &[1, 1, 0, 0]) - 1.0).abs() < 1e-12);
/// assert_eq!(nmi(&[0, 0, 0, 0], &[0, 1, 2, 3]), 0.0);
/// // sklearn: v_measure_score([0, 0, 1, 1], [0, 0, 1, 2]) = 0.8
/// assert!((nmi(&[0, 0, 1, 1], &[0, 0, 1, 2]) - 0.8).abs() < 1e-12);
/// assert!(nmi(&[], &[]).is_nan());
/// ```
pub fn normalized_mutual_information(a: &[u32], b: &[u32]) -> f64 {
    assert_eq!(a.len(), b.len(), "labelings must have the same length");
    if a.is_empty() {
        return f64::NAN;
    }
    let n = a.len() as f64;
    // Counts by sorting (deterministic summation order, no hashing).
    let runs = |mut v: Vec<u64>| -> Vec<u64> {
        v.sort_unstable();
        let mut counts = Vec::new();
        let mut i = 0;
        while i < v.len() {
            let j = i + v[i..].iter().take_while(|&&x| x == v[i]).count();
            counts.push((j - i) as u64);
            i = j;
        }
        counts
    };
    let entropy = |counts: &[u64]| -> f64 {
        -counts
            .iter()
            .map(|&c| {
                let p = c as f64 / n;
                p * p.ln()
            })
            .sum::<f64>()
    };
    // The mutual information term of a pair (x, y) seen n_xy times, x n_x and y n_y times; the
    // terms are added in ascending (x, y) order.
    let term = |nij: f64, na: f64, nb: f64| nij / n * (nij.ln() + n.ln() - na.ln() - nb.ln());
    let (ca, cb, mi) = match dense_joint_counts(a, b) {
        // Few distinct label values (slice groups and clusters): counted in a table.
        Some((joint, width)) => {
            let rows: Vec<u64> = joint.chunks(width).map(|r| r.iter().sum()).collect();
            let cols: Vec<u64> = (0..width)
                .map(|y| joint.iter().skip(y).step_by(width).sum())
                .collect();
            let mut mi = 0.0;
            for (x, row) in joint.chunks(width).enumerate() {
                for (y, &nij) in row.iter().enumerate().filter(|(_, &c)| c > 0) {
                    mi += term(nij as f64, rows[x] as f64, cols[y] as f64);
                }
            }
            let nonzero = |c: Vec<u64>| c.into_iter().filter(|&c| c > 0).collect::<Vec<u64>>();
            (nonzero(rows), nonzero(cols), mi)
        }
        // Any labels: counted by sorting.
        None => {
            let ca = runs(a.iter().map(|&x| x as u64).collect());
            let cb = runs(b.iter().map(|&x| x as u64).collect());
            let mut pairs: Vec<(u32, u32)> = a.iter().copied().zip(b.iter().copied()).collect();
            pairs.sort_unstable();
            let mut sorted_a = a.to_vec();
            sorted_a.sort_unstable();
            let mut sorted_b = b.to_vec();
            sorted_b.sort_unstable();
            let count_of = |sorted: &[u32], x: u32| -> f64 {
                (sorted.partition_point(|&v| v <= x) - sorted.partition_point(|&v| v < x)) as f64
            };
            let mut mi = 0.0;
            let mut i = 0;
            while i < pairs.len() {
                let j = i + pairs[i..].iter().take_while(|&&p| p == pairs[i]).count();
                let (x, y) = pairs[i];
                mi += term(
                    (j - i) as f64,
                    count_of(&sorted_a, x),
                    count_of(&sorted_b, y),
                );
                i = j;
            }
            (ca, cb, mi)
        }
    };
    if ca.len() == 1 && cb.len() == 1 {
        return 1.0;
    }
    let mi = mi.max(0.0);
    if mi == 0.0 {
        return 0.0;
    }
    let normaliser = ((entropy(&ca) + entropy(&cb)) / 2.0).max(f64::EPSILON);
    (mi / normaliser).clamp(0.0, 1.0)
}

/// The joint counts of `(a[i], b[i])` as a table (row `x`, column `y`, `width` columns) when the
/// labels are small enough for one (at most 2^20 cells), `None` otherwise.
fn dense_joint_counts(a: &[u32], b: &[u32]) -> Option<(Vec<u64>, usize)> {
    let rows = *a.iter().max()? as usize + 1;
    let width = *b.iter().max()? as usize + 1;
    if rows.checked_mul(width)? > 1 << 20 {
        return None;
    }
    let mut joint = vec![0u64; rows * width];
    for (&x, &y) in a.iter().zip(b) {
        joint[x as usize * width + y as usize] += 1;
    }
    Some((joint, width))
}

/// Mean silhouette (Rousseeuw 1987, doi:10.1016/0377-0427(87)90125-7) of `points` (one row each)
/// under `labels`, Euclidean distance: s(i) = (b − a) / max(a, b) with a the mean distance to the
/// other members of i's cluster and b the smallest mean distance to another cluster; s = 0 for a
/// point alone in its cluster (and when a = b = 0), as scikit-learn. `None` with fewer than two
/// clusters or fewer than two points.
///
/// ```
/// use ndarray::array;
/// use recaudit::metrics::segregation::silhouette_score;
/// // 1-D points 0, 1 | 4, 5: s(0) = (4.5 − 1)/4.5, s(1) = (3.5 − 1)/3.5, the others by symmetry
/// let s = silhouette_score(&array![[0.0], [1.0], [4.0], [5.0]], &[0, 0, 1, 1]).unwrap();
/// assert!((s - (3.5 / 4.5 + 2.5 / 3.5) / 2.0).abs() < 1e-12);
/// ```
pub fn silhouette_score(points: &Array2<f64>, labels: &[usize]) -> Option<f64> {
    assert_eq!(points.nrows(), labels.len());
    silhouette_from_distances(&pairwise_distances(points), labels)
}

/// Euclidean distances between all rows, row-major m × m.
fn pairwise_distances(points: &Array2<f64>) -> Vec<f64> {
    let m = points.nrows();
    let mut d = vec![0.0; m * m];
    d.par_chunks_mut(m.max(1)).enumerate().for_each(|(i, row)| {
        let pi = points.row(i);
        for (j, out) in row.iter_mut().enumerate() {
            *out = pi
                .iter()
                .zip(points.row(j).iter())
                .map(|(x, y)| (x - y) * (x - y))
                .sum::<f64>()
                .sqrt();
        }
    });
    d
}

/// Mean silhouette from a row-major m × m distance matrix (see [`silhouette_score`]).
fn silhouette_from_distances(dist: &[f64], labels: &[usize]) -> Option<f64> {
    let m = labels.len();
    debug_assert_eq!(dist.len(), m * m);
    let k = labels.iter().copied().max().map_or(0, |x| x + 1);
    let mut sizes = vec![0usize; k];
    for &l in labels {
        sizes[l] += 1;
    }
    if m < 2 || sizes.iter().filter(|&&s| s > 0).count() < 2 {
        return None;
    }
    let s: Vec<f64> = (0..m)
        .into_par_iter()
        .map(|i| {
            let li = labels[i];
            if sizes[li] == 1 {
                return 0.0;
            }
            let mut sums = vec![0.0; k];
            for (j, &d) in dist[i * m..(i + 1) * m].iter().enumerate() {
                if j != i {
                    sums[labels[j]] += d;
                }
            }
            let a = sums[li] / (sizes[li] - 1) as f64;
            let b = (0..k)
                .filter(|&c| c != li && sizes[c] > 0)
                .map(|c| sums[c] / sizes[c] as f64)
                .fold(f64::INFINITY, f64::min);
            let denom = a.max(b);
            if denom > 0.0 {
                (b - a) / denom
            } else {
                0.0
            }
        })
        .collect();
    Some(s.iter().sum::<f64>() / m as f64)
}

/// Squared Euclidean distance from a sparse distribution to each centroid row; index of the nearest
/// (lowest index on ties).
fn nearest(dist: &CategoryDistribution, centroids: &Array2<f64>, norms: &[f64]) -> usize {
    let mut best = (0, f64::INFINITY);
    for (c, row) in centroids.rows().into_iter().enumerate() {
        let mut d = norms[c];
        for &(j, x) in dist {
            let cj = row[j as usize];
            d += x * x - 2.0 * x * cj;
        }
        if d < best.1 {
            best = (c, d);
        }
    }
    best.0
}

fn dense(dists: &[CategoryDistribution], n_cat: usize) -> Array2<f64> {
    let mut arr = Array2::zeros((dists.len(), n_cat));
    for (r, d) in dists.iter().enumerate() {
        for &(c, p) in d {
            arr[[r, c as usize]] = p;
        }
    }
    arr
}

fn kmeans_centroids(points: &Array2<f64>, k: usize, seed: u64) -> Option<Array2<f64>> {
    let data = DatasetBase::from(points.clone());
    let model = KMeans::params_with(k, ChaCha8Rng::seed_from_u64(seed), ContiguousL2)
        .n_runs(N_RUNS)
        .tolerance(1e-6)
        .max_n_iterations(300)
        .fit(&data)
        .ok()?;
    Some(model.centroids().clone())
}

/// linfa's Euclidean distance ([`L2Dist`](linfa_nn::distance::L2Dist)) with the same arithmetic
/// (Σ (a_i − b_i)², summed left to right from 0, then √ for the distance), read straight from the
/// slices when both arrays are contiguous. k-means calls it for every point and centroid, and
/// `L2Dist` goes through ndarray's generic zip (at 10M rows the final fit on 20,000 points took
/// 0.47 s on one core with `L2Dist`, 0.40 s with this).
#[derive(Debug, Clone, Copy)]
struct ContiguousL2;

impl Distance<f64> for ContiguousL2 {
    #[inline]
    fn distance<D: Dimension>(&self, a: ArrayView<f64, D>, b: ArrayView<f64, D>) -> f64 {
        self.rdistance(a, b).sqrt()
    }

    #[inline]
    fn rdistance<D: Dimension>(&self, a: ArrayView<f64, D>, b: ArrayView<f64, D>) -> f64 {
        match (a.as_slice(), b.as_slice()) {
            (Some(x), Some(y)) if x.len() == y.len() && a.shape() == b.shape() => {
                let mut sum = 0.0;
                for (p, q) in x.iter().zip(y) {
                    let d = p - q;
                    sum += d * d;
                }
                sum
            }
            _ => L2Dist.rdistance(a, b),
        }
    }

    #[inline]
    fn rdist_to_dist(&self, rdist: f64) -> f64 {
        rdist.sqrt()
    }

    #[inline]
    fn dist_to_rdist(&self, dist: f64) -> f64 {
        dist.powi(2)
    }
}

fn assign(dists: &[CategoryDistribution], centroids: &Array2<f64>) -> Vec<usize> {
    let norms: Vec<f64> = centroids
        .rows()
        .into_iter()
        .map(|r| r.iter().map(|x| x * x).sum())
        .collect();
    dists
        .iter()
        .map(|d| nearest(d, centroids, &norms))
        .collect()
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

/// Clusters users by list category distribution and relates the clusters to the slice columns
/// (see the module docs for the procedure). Uses `cfg.n_clusters` and `cfg.seed`.
///
/// `None` when the items have no categories, or fewer than two distinct list distributions exist in
/// the fit sample (nothing to segregate).
pub fn segregation(ds: &Dataset, cfg: &BubbleConfig) -> Option<Segregation> {
    let clustering = cluster_users(
        &ds.recs,
        ds.n_users,
        &ds.items.categories,
        &ds.items.category_labels,
        cfg,
    )?;
    Some(clustering.relate_slices(&ds.slices))
}

/// Steps 1–5 of [`segregation`]: clusters the users `0..n_users` by the category distributions of
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
            let max_k = (*K_CANDIDATES.end()).min(n_distinct);
            let candidates: Vec<KCandidate> = (*K_CANDIDATES.start()..=max_k)
                .map(|k| {
                    let silhouette = kmeans_centroids(&sil_points, k, cfg.seed).and_then(|c| {
                        silhouette_from_distances(&sil_matrix, &assign(&sil_dists, &c))
                            .and_then(finite)
                    });
                    KCandidate { k, silhouette }
                })
                .collect();
            let best = candidates
                .iter()
                .filter_map(|c| c.silhouette.map(|s| (c.k, s)))
                .fold(None, |best: Option<(usize, f64)>, (k, s)| match best {
                    Some((_, bs)) if bs >= s => best,
                    _ => Some((k, s)),
                })
                .map_or(*K_CANDIDATES.start(), |(k, _)| k);
            (best, KRule::Silhouette, candidates)
        }
    };

    let centroids = kmeans_centroids(&dense(&fit_dists, n_cat), k, cfg.seed)?;
    let norms: Vec<f64> = centroids
        .rows()
        .into_iter()
        .map(|r| r.iter().map(|x| x * x).sum())
        .collect();

    // Assign
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

/// NMI and group spread of one slice column against per-user cluster labels
/// ([`Categorical::MISSING`] = not clustered). Users missing either are skipped.
pub fn slice_segregation(col: &Categorical, labels: &[u32], n_clusters: usize) -> SliceSegregation {
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    let mut counts = vec![vec![0usize; n_clusters]; col.labels.len()];
    for (&code, &cluster) in col.codes.iter().zip(labels) {
        if code == Categorical::MISSING || cluster == Categorical::MISSING {
            continue;
        }
        xs.push(code);
        ys.push(cluster);
        counts[code as usize][cluster as usize] += 1;
    }
    let groups: Vec<GroupClusters> = counts
        .iter()
        .enumerate()
        .filter_map(|(g, row)| {
            let n: usize = row.iter().sum();
            (n > 0).then(|| GroupClusters {
                group: col.labels[g].clone(),
                n_users: n,
                cluster_shares: row.iter().map(|&c| c as f64 / n as f64).collect(),
            })
        })
        .collect();
    let nmi = (groups.len() >= 2)
        .then(|| normalized_mutual_information(&xs, &ys))
        .and_then(finite);
    SliceSegregation {
        column: col.name.clone(),
        n_users: xs.len(),
        nmi,
        groups,
        groups_not_shown: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Csr, Items};
    use ndarray::array;
    use rand::seq::SliceRandom;
    use rand::Rng;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() < tol, "{a} != {b}");
    }

    #[test]
    fn contiguous_l2_is_linfas_l2_bit_for_bit() {
        use rand::{Rng, SeedableRng};
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let a = Array2::from_shape_fn((6, 13), |_| rng.gen_range(-1.0..1.0) / 7.0);
        let b = Array2::from_shape_fn((6, 13), |_| rng.gen_range(-1.0..1.0) / 3.0);
        let (fast, linfa) = (ContiguousL2, L2Dist);
        for (x, y) in a.rows().into_iter().zip(b.rows()) {
            // Rows (contiguous), and columns (strided: the ndarray fallback).
            assert_eq!(
                fast.rdistance(x, y).to_bits(),
                linfa.rdistance(x, y).to_bits()
            );
            assert_eq!(
                fast.distance(x, y).to_bits(),
                linfa.distance(x, y).to_bits()
            );
        }
        for (x, y) in a.columns().into_iter().zip(b.columns()) {
            assert_eq!(
                fast.rdistance(x, y).to_bits(),
                linfa.rdistance(x, y).to_bits()
            );
        }
        // Whole matrices (k-means' convergence test compares centroid matrices).
        assert_eq!(
            fast.distance(a.view(), b.view()).to_bits(),
            linfa.distance(a.view(), b.view()).to_bits()
        );
        assert_eq!(fast.rdistance(a.view(), a.view()), 0.0);
        // The same centroids as linfa's own distance on clustered points.
        let points = Array2::from_shape_fn((300, 4), |(r, c)| {
            f64::from(u8::from(r % 3 == c % 3)) + rng.gen_range(0.0..0.3)
        });
        fn fit<D: Distance<f64>>(points: &Array2<f64>, dist: D) -> Array2<f64> {
            KMeans::params_with(3, ChaCha8Rng::seed_from_u64(5), dist)
                .n_runs(N_RUNS)
                .tolerance(1e-6)
                .fit(&DatasetBase::from(points.clone()))
                .unwrap()
                .centroids()
                .clone()
        }
        assert_eq!(fit(&points, ContiguousL2), fit(&points, L2Dist));
    }

    #[test]
    fn nmi_from_a_count_table_equals_nmi_from_sorting() {
        // Labels spread out by an order-preserving map are counted by sorting; the same
        // labelings with small labels in a table. The terms come in the same order: same bits.
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let spread = |v: &[u32]| -> Vec<u32> { v.iter().map(|&x| x * 40_000 + 70_000).collect() };
        for case in 0..200 {
            let n = rng.gen_range(1..300);
            let (ka, kb) = (rng.gen_range(1..9), rng.gen_range(1..30));
            let a: Vec<u32> = (0..n).map(|_| rng.gen_range(0..ka) * 3).collect();
            let b: Vec<u32> = (0..n).map(|_| rng.gen_range(0..kb)).collect();
            assert!(dense_joint_counts(&a, &b).is_some());
            assert!(dense_joint_counts(&spread(&a), &spread(&b)).is_none());
            let table = normalized_mutual_information(&a, &b);
            let sorted = normalized_mutual_information(&spread(&a), &spread(&b));
            assert_eq!(
                table.to_bits(),
                sorted.to_bits(),
                "case {case}: {table} {sorted}"
            );
        }
    }

    #[test]
    fn nmi_matches_sklearn_values() {
        // Values of sklearn.metrics.normalized_mutual_info_score (average_method="arithmetic").
        // identical up to renaming → 1
        close(
            normalized_mutual_information(&[0, 0, 1, 1], &[0, 0, 1, 1]),
            1.0,
            1e-12,
        );
        close(
            normalized_mutual_information(&[0, 0, 1, 1], &[7, 7, 3, 3]),
            1.0,
            1e-12,
        );
        // one class vs all distinct: I = 0 → 0
        assert_eq!(
            normalized_mutual_information(&[0, 0, 0, 0], &[0, 1, 2, 3]),
            0.0
        );
        // both constant → 1 (sklearn's special case)
        assert_eq!(normalized_mutual_information(&[5, 5], &[2, 2]), 1.0);
        // independent: [0 0 1 1] vs [0 1 0 1], every cell 1/4 = (1/2)(1/2) → I = 0
        assert_eq!(
            normalized_mutual_information(&[0, 0, 1, 1], &[0, 1, 0, 1]),
            0.0
        );
        // [0 0 1 1] vs [0 0 1 2]: H(A) = ln 2, H(B) = 1.5 ln 2, I = ln 2 (B refines A)
        // → ln 2 / (1.25 ln 2) = 0.8 (sklearn docs: v_measure_score = 0.8)
        close(
            normalized_mutual_information(&[0, 0, 1, 1], &[0, 0, 1, 2]),
            0.8,
            1e-12,
        );
        // [0 0 1 1] vs [0 1 2 3]: H(B) = 2 ln 2, I = ln 2 → 1/1.5 (sklearn docs: 0.66…)
        close(
            normalized_mutual_information(&[0, 0, 1, 1], &[0, 1, 2, 3]),
            2.0 / 3.0,
            1e-12,
        );
        // [0 0 0 1 1 1] vs [0 0 1 1 2 2]: sklearn 0.5158037429793888; symmetric
        close(
            normalized_mutual_information(&[0, 0, 0, 1, 1, 1], &[0, 0, 1, 1, 2, 2]),
            0.515_803_742_979_388_8,
            1e-12,
        );
        close(
            normalized_mutual_information(&[0, 0, 1, 1, 2, 2], &[0, 0, 0, 1, 1, 1]),
            0.515_803_742_979_388_8,
            1e-12,
        );
        // sklearn 0.07849738428937655
        close(
            normalized_mutual_information(&[0, 1, 2, 0, 1, 2, 0, 1], &[0, 0, 0, 1, 1, 1, 2, 2]),
            0.078_497_384_289_376_55,
            1e-12,
        );
        assert!(normalized_mutual_information(&[], &[]).is_nan());
    }

    #[test]
    fn silhouette_hand_worked() {
        // 1-D: cluster 0 = {0, 1}, cluster 1 = {4, 5}.
        // s(0): a = 1, b = (4 + 5)/2 = 4.5 → 3.5/4.5; s(1): a = 1, b = (3 + 4)/2 = 3.5 → 2.5/3.5
        // points 4 and 5 mirror them: mean = (3.5/4.5 + 2.5/3.5) / 2 = 0.746032
        let p = array![[0.0], [1.0], [4.0], [5.0]];
        let s = silhouette_score(&p, &[0, 0, 1, 1]).unwrap();
        close(s, (3.5 / 4.5 + 2.5 / 3.5) / 2.0, 1e-12);
        // a singleton cluster scores 0: {0} | {1, 4, 5}: s(0) = 0,
        // s(1): a = (3 + 4)/2 = 3.5, b = 1 → (1 − 3.5)/3.5; s(4): a = (3 + 1)/2 = 2, b = 4 → 0.5;
        // s(5): a = (4 + 1)/2 = 2.5, b = 5 → 0.5
        let s = silhouette_score(&p, &[0, 1, 1, 1]).unwrap();
        close(s, (0.0 + (1.0 - 3.5) / 3.5 + 0.5 + 0.5) / 4.0, 1e-12);
        assert!(silhouette_score(&p, &[0, 0, 0, 0]).is_none());
    }

    /// `n` users per side: side 0 gets 10-item lists drawn (seeded) from the 20 items of categories
    /// w, x; side 1 from the 20 items of y, z, so the share of w (or y) varies from user to user.
    /// Slice "side" = the planted side, "coin" = a seeded shuffle of it, "partial" = side with user 0
    /// missing.
    fn planted(n: usize) -> Dataset {
        // 40 items, item i has category i % 4 (w, x, y, z)
        let item_cats: Vec<Vec<u32>> = (0..40).map(|i| vec![i % 4]).collect();
        let pool_a: Vec<u32> = (0..40).filter(|i| i % 4 < 2).collect();
        let pool_b: Vec<u32> = (0..40).filter(|i| i % 4 >= 2).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut lists = Vec::new();
        let mut side = Vec::new();
        for u in 0..2 * n {
            let s = (u % 2) as u32;
            side.push(s);
            let pool = if s == 0 { &pool_a } else { &pool_b };
            lists.push(
                pool.choose_multiple(&mut rng, 10)
                    .copied()
                    .collect::<Vec<u32>>(),
            );
        }
        let mut coin = side.clone();
        coin.shuffle(&mut ChaCha8Rng::seed_from_u64(7));
        // a third column with a missing value for user 0
        let mut partial = side.clone();
        partial[0] = Categorical::MISSING;
        Dataset {
            n_users: 2 * n,
            k: 4,
            recs: Csr::from_rows(lists),
            slices: vec![
                Categorical {
                    name: "side".into(),
                    labels: vec!["a".into(), "b".into()],
                    codes: side,
                },
                Categorical {
                    name: "coin".into(),
                    labels: vec!["a".into(), "b".into()],
                    codes: coin,
                },
                Categorical {
                    name: "partial".into(),
                    labels: vec!["a".into(), "b".into()],
                    codes: partial,
                },
            ],
            items: Items {
                ids: (0..40).map(|i| format!("i{i}")).collect(),
                category_labels: vec!["w".into(), "x".into(), "y".into(), "z".into()],
                categories: Csr::from_rows(item_cats),
                ..Items::default()
            },
            ..Dataset::default()
        }
    }

    #[test]
    fn planted_two_clusters_nmi_near_one_shuffled_near_zero() {
        let ds = planted(200);
        let cfg = BubbleConfig::default();
        let seg = segregation(&ds, &cfg).unwrap();
        // silhouette picks k = 2: the two sides are far apart, the variants within a side close
        assert_eq!(seg.k_rule, KRule::Silhouette);
        assert_eq!(seg.n_clusters, 2, "{:?}", seg.k_candidates);
        assert_eq!(seg.k_candidates.len(), 7); // k = 2..=8
        assert_eq!((seg.n_users, seg.n_users_unclustered), (400, 0));
        let side = &seg.slices[0];
        assert_eq!(side.column, "side");
        close(side.nmi.unwrap(), 1.0, 1e-9);
        assert_eq!(side.groups.len(), 2);
        assert!(side.groups.iter().all(|g| g.cluster_shares.contains(&1.0)));
        let coin = &seg.slices[1];
        assert!(coin.nmi.unwrap() < 0.05, "{:?}", coin.nmi);
        // missing slice values are skipped
        assert_eq!(seg.slices[2].n_users, 399);
        close(seg.slices[2].nmi.unwrap(), 1.0, 1e-9);
        // clusters: equal sizes, dominant categories of one side each
        assert_eq!(seg.clusters[0].n_users, 200);
        let tops: Vec<Vec<&str>> = seg
            .clusters
            .iter()
            .map(|c| {
                c.top_categories
                    .iter()
                    .map(|t| t.category.as_str())
                    .collect()
            })
            .collect();
        assert!(tops.contains(&vec!["w", "x"]) || tops.contains(&vec!["x", "w"]));
        assert!(tops.contains(&vec!["y", "z"]) || tops.contains(&vec!["z", "y"]));
        // shares of a side's categories sum to 1
        let c0: f64 = seg.clusters[0].top_categories.iter().map(|t| t.share).sum();
        close(c0, 1.0, 1e-12);
        assert_eq!(seg.labels.len(), 400);
    }

    #[test]
    fn deterministic_and_given_k() {
        let ds = planted(60);
        let cfg = BubbleConfig {
            n_clusters: Some(3),
            ..BubbleConfig::default()
        };
        let a = segregation(&ds, &cfg).unwrap();
        let b = segregation(&ds, &cfg).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.k_rule, KRule::Given);
        assert!(a.k_candidates.is_empty());
        assert!(a.n_clusters <= 3 && a.n_clusters >= 2);
        // clusters are numbered by decreasing size
        assert!(a.clusters.windows(2).all(|w| w[0].n_users >= w[1].n_users));
        // a k above the number of distinct distributions is clamped (2 here)
        let mut two = ds.clone();
        two.recs = Csr::from_rows((0..120).map(|u| if u % 2 == 0 { vec![0, 4] } else { vec![2] }));
        let big = BubbleConfig {
            n_clusters: Some(50),
            ..BubbleConfig::default()
        };
        assert_eq!(segregation(&two, &big).unwrap().n_clusters, 2);
    }

    #[test]
    fn nothing_to_segregate() {
        let mut ds = planted(10);
        // every list identical → one distinct distribution
        ds.recs = Csr::from_rows(vec![vec![0, 1, 4, 5]; 20]);
        assert_eq!(ds.recs.n_rows(), ds.n_users);
        assert!(segregation(&ds, &BubbleConfig::default()).is_none());
        // no categories
        let mut ds = planted(10);
        ds.items.category_labels.clear();
        assert!(segregation(&ds, &BubbleConfig::default()).is_none());
    }

    #[test]
    fn slice_segregation_handles_single_group() {
        let col = Categorical {
            name: "g".into(),
            labels: vec!["only".into(), "other".into()],
            codes: vec![0, 0, 0, 1],
        };
        // user 3 unclustered → one group left → NMI undefined
        let s = slice_segregation(&col, &[0, 1, 1, Categorical::MISSING], 2);
        assert_eq!((s.n_users, s.nmi), (3, None));
        assert_eq!(s.groups[0].cluster_shares, vec![1.0 / 3.0, 2.0 / 3.0]);
    }

    #[test]
    fn unpublished_groups_are_dropped_and_counted() {
        let ds = planted(30);
        let mut seg = segregation(&ds, &BubbleConfig::default()).unwrap();
        // "partial" has group a with 29 clustered users (user 0 missing), group b with 30
        seg.publish_only(|_, g| g != "a");
        let partial = &seg.slices[2];
        assert_eq!(partial.groups.len(), 1);
        assert_eq!(partial.groups[0].group, "b");
        assert_eq!(partial.groups_not_shown, 1);
        assert_eq!(partial.groups[0].cluster_shares.len(), seg.n_clusters);
        assert!(partial.nmi.is_some());
    }
}
