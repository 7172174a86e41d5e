//! The mean silhouette (Rousseeuw 1987) of a clustering, and the choice of k by it when
//! `n_clusters` is not given: each k of [`K_CANDIDATES`] clustered on a subsample of distinct
//! distributions, the highest mean silhouette wins, ties to the smaller k.

use std::ops::RangeInclusive;

use ndarray::Array2;
use rayon::prelude::*;

use super::kmeans::{assign, kmeans_centroids, N_RUNS};
use super::result::KCandidate;
use crate::metrics::categories::CategoryDistribution;
use crate::metrics::finite;

/// Candidate numbers of clusters when `n_clusters` is not given.
pub const K_CANDIDATES: RangeInclusive<usize> = 2..=8;

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
pub(super) fn pairwise_distances(points: &Array2<f64>) -> Vec<f64> {
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
pub(super) fn silhouette_from_distances(dist: &[f64], labels: &[usize]) -> Option<f64> {
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

/// Step 3 of the segregation analysis when `n_clusters` is not given: each k of [`K_CANDIDATES`]
/// up to `n_distinct`, clustered on the silhouette subsample (`points` dense, `dists` sparse,
/// `distances` their pairwise distances) with `seed`, scored by its mean silhouette. The k with the
/// highest score (ties to the smaller; the smallest candidate when none has a score), and every
/// candidate's score.
pub(super) fn choose_k(
    points: &Array2<f64>,
    dists: &[CategoryDistribution],
    distances: &[f64],
    n_distinct: usize,
    seed: u64,
) -> (usize, Vec<KCandidate>) {
    let max_k = (*K_CANDIDATES.end()).min(n_distinct);
    let candidates: Vec<KCandidate> = (*K_CANDIDATES.start()..=max_k)
        .map(|k| {
            let silhouette = kmeans_centroids(points, k, N_RUNS, seed).and_then(|c| {
                silhouette_from_distances(distances, &assign(dists, &c)).and_then(finite)
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
    (best, candidates)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::close;
    use super::*;
    use ndarray::array;

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
}
