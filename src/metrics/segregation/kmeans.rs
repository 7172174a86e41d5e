//! k-means with linfa on users' list category distributions: the fit ([`kmeans_centroids`]:
//! k-means++ initialisation, [`N_RUNS`] runs keeping the lowest inertia, tolerance 1e-6, at most
//! 300 iterations, run r seeded by ChaCha8 stream r of the seed), linfa's Euclidean distance read
//! from contiguous rows ([`ContiguousL2`]), and the assignment of sparse distributions to the
//! nearest centroid.

use linfa::traits::Fit;
use linfa::DatasetBase;
use linfa_clustering::KMeans;
use linfa_nn::distance::{Distance, L2Dist};
use ndarray::{Array2, ArrayView, Dimension};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::metrics::categories::CategoryDistribution;

/// k-means restarts (the run with the lowest inertia is kept). k-means++ lands in a poor local
/// optimum often enough on lists over few categories that five runs missed the best 2-cluster
/// split of a planted case about one time in four; with ten, about one in twenty.
pub const N_RUNS: usize = 10;

/// Squared Euclidean distance from a sparse distribution to each centroid row; index of the nearest
/// (lowest index on ties).
pub(super) fn nearest(
    dist: &CategoryDistribution,
    centroids: &Array2<f64>,
    norms: &[f64],
) -> usize {
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

/// The distributions as dense rows, one column per category.
pub(super) fn dense(dists: &[CategoryDistribution], n_cat: usize) -> Array2<f64> {
    let mut arr = Array2::zeros((dists.len(), n_cat));
    for (r, d) in dists.iter().enumerate() {
        for &(c, p) in d {
            arr[[r, c as usize]] = p;
        }
    }
    arr
}

/// The centroids of linfa's k-means with `k` clusters on `points` (the parameters of the module
/// docs): [`N_RUNS`] runs, run r seeded by stream r of ChaCha8 seeded with `seed`; the run with
/// the lowest inertia is kept (ties to the lower r), so the result does not depend on the order the
/// runs are evaluated in. They run one after another: the fit runs alongside the reading of the
/// input, on the core the reading leaves idle. `None` when linfa fails on every run.
pub(super) fn kmeans_centroids(points: &Array2<f64>, k: usize, seed: u64) -> Option<Array2<f64>> {
    let data = DatasetBase::from(points.clone());
    (0..N_RUNS as u64)
        .filter_map(|r| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(r);
            let model = KMeans::params_with(k, rng, ContiguousL2)
                .n_runs(1)
                .tolerance(1e-6)
                .max_n_iterations(300)
                .fit(&data)
                .ok()?;
            Some((model.inertia(), r, model.centroids().clone()))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
        .map(|(_, _, centroids)| centroids)
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

/// The squared Euclidean norm of each centroid row (for [`nearest`]).
pub(super) fn centroid_norms(centroids: &Array2<f64>) -> Vec<f64> {
    centroids
        .rows()
        .into_iter()
        .map(|r| r.iter().map(|x| x * x).sum())
        .collect()
}

/// The nearest centroid of each distribution ([`nearest`]).
pub(super) fn assign(dists: &[CategoryDistribution], centroids: &Array2<f64>) -> Vec<usize> {
    let norms = centroid_norms(centroids);
    dists
        .iter()
        .map(|d| nearest(d, centroids, &norms))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Within-cluster sum of squares of `points` around their nearest centroids.
    fn inertia(points: &Array2<f64>, centroids: &Array2<f64>) -> f64 {
        points
            .rows()
            .into_iter()
            .map(|p| {
                centroids
                    .rows()
                    .into_iter()
                    .map(|c| p.iter().zip(c).map(|(a, b)| (a - b) * (a - b)).sum::<f64>())
                    .fold(f64::INFINITY, f64::min)
            })
            .sum()
    }

    #[test]
    fn kmeans_keeps_the_best_run_whatever_the_thread_count() {
        use rand::{Rng, SeedableRng};
        // Four blobs of unequal sizes in 3 dimensions, clustered with k = 3: single k-means++
        // starts land in different local optima.
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let centres = [
            [0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [0.0, 0.0, 1.0],
        ];
        let sizes = [150, 40, 40, 10];
        let rows: Vec<[f64; 3]> = centres
            .iter()
            .zip(sizes)
            .flat_map(|(c, n)| std::iter::repeat_n(*c, n))
            .map(|c| c.map(|x| x + rng.gen_range(-0.2..0.2)))
            .collect();
        let points = Array2::from_shape_fn((rows.len(), 3), |(r, j)| rows[r][j]);
        let in_pool = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| kmeans_centroids(&points, 3, 11).unwrap())
        };
        let best = in_pool(1);
        assert_eq!(best, in_pool(2));
        // No single run with the same streams does better.
        for r in 0..N_RUNS as u64 {
            let mut rng = ChaCha8Rng::seed_from_u64(11);
            rng.set_stream(r);
            let one = KMeans::params_with(3, rng, ContiguousL2)
                .n_runs(1)
                .tolerance(1e-6)
                .max_n_iterations(300)
                .fit(&DatasetBase::from(points.clone()))
                .unwrap();
            assert!(inertia(&points, &best) <= inertia(&points, one.centroids()) * (1.0 + 1e-6));
        }
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
}
