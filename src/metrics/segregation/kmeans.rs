//! k-means with linfa on users' list category distributions: the fit ([`kmeans_centroids`]:
//! k-means++ initialisation, several runs keeping the lowest inertia, tolerance 1e-6, at most 300
//! iterations, run r seeded by ChaCha8 stream r of the seed; on a large sample the runs fit a
//! seeded draw of [`START_SAMPLE`] points and the best [`N_REFINED`] are refined on all of them),
//! linfa's Euclidean distance read from contiguous rows ([`ContiguousL2`]), and the assignment of
//! sparse distributions to the nearest centroid.

use std::collections::HashSet;

use linfa::traits::Fit;
use linfa::DatasetBase;
use linfa_clustering::{KMeans, KMeansInit};
use linfa_nn::distance::{Distance, L2Dist};
use ndarray::{Array2, ArrayView, ArrayView2, Axis, Dimension};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::metrics::categories::CategoryDistribution;

/// k-means++ runs of each candidate k when k is chosen by silhouette (on at most
/// [`SILHOUETTE_SAMPLE`](super::SILHOUETTE_SAMPLE) points, so on all of them; the lowest inertia
/// is kept). k-means++ lands in a poor local optimum often enough on lists over few categories that
/// five runs missed the best 2-cluster split of a planted case about one time in four; with ten,
/// about one in twenty.
pub const N_RUNS: usize = 10;

/// k-means++ runs of the final fit (on the fit sample).
pub const FIT_RUNS: usize = 20;

/// Largest number of points the k-means++ runs are fitted on: on a larger sample they fit a seeded
/// draw of this many, and each is scored by its inertia on the whole sample.
pub const START_SAMPLE: usize = 4_000;

/// The runs (lowest inertia on the whole sample first) whose centroids start a k-means fit on the
/// whole sample when the runs fitted a draw; the lowest inertia of those fits is kept.
pub const N_REFINED: usize = 2;

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
/// docs), the best of `runs` k-means++ runs, run r seeded by stream r of ChaCha8 seeded with
/// `seed`:
/// - on at most [`START_SAMPLE`] points: the runs fit all of them and the one with the lowest
///   inertia is kept;
/// - on more: the runs fit [`START_SAMPLE`] of them drawn with stream `runs` (all of them when the
///   draw holds fewer than `k` distinct points) and are ranked by their inertia on all the points;
///   the centroids of the first [`N_REFINED`] start a k-means fit on all the points, and the fit
///   with the lowest inertia is kept.
///
/// Ties go to the lower r, so the result does not depend on the order the runs are evaluated in.
/// They run one after another: the fit runs alongside the reading of the input, on the core the
/// reading leaves idle. `None` when linfa fails on every run.
pub(super) fn kmeans_centroids(
    points: &Array2<f64>,
    k: usize,
    runs: usize,
    seed: u64,
) -> Option<Array2<f64>> {
    let n = points.nrows();
    let drawn = (n > START_SAMPLE)
        .then(|| points.select(Axis(0), &draw(n, START_SAMPLE, seed, runs as u64)))
        .filter(|drawn| has_distinct_rows(drawn.view(), k));
    let whole = drawn.is_none();
    let starts = drawn.as_ref().map_or(points.view(), |d| d.view());
    let mut candidates: Vec<(f64, u64, Array2<f64>)> = (0..runs as u64)
        .filter_map(|r| {
            let (inertia, centroids) = fit(starts, k, KMeansInit::KMeansPlusPlus, seed, r)?;
            let inertia = if whole {
                inertia
            } else {
                sum_of_squares(points.view(), &centroids)
            };
            Some((inertia, r, centroids))
        })
        .collect();
    candidates.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    if whole {
        return candidates.into_iter().next().map(|(_, _, c)| c);
    }
    candidates
        .into_iter()
        .take(N_REFINED)
        .map(|(_, r, start)| {
            let refined = fit(
                points.view(),
                k,
                KMeansInit::Precomputed(start.clone()),
                seed,
                r,
            )
            .map_or(start, |(_, c)| c);
            (sum_of_squares(points.view(), &refined), r, refined)
        })
        .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
        .map(|(_, _, c)| c)
}

/// `m` of `0..n` (n > m), drawn with stream `stream` of ChaCha8 seeded with `seed`, ascending.
fn draw(n: usize, m: usize, seed: u64, stream: u64) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    let mut idx = rand::seq::index::sample(&mut rng, n, m).into_vec();
    idx.sort_unstable();
    idx
}

/// linfa's k-means with `k` clusters on `points` from `init` (k-means++ draws from stream `r` of
/// ChaCha8 seeded with `seed`), the parameters of the module docs: its inertia (linfa's, the mean
/// squared distance to the nearest centroid) and centroids.
fn fit(
    points: ArrayView2<f64>,
    k: usize,
    init: KMeansInit<f64>,
    seed: u64,
    r: u64,
) -> Option<(f64, Array2<f64>)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(r);
    let model = KMeans::params_with(k, rng, ContiguousL2)
        .init_method(init)
        .n_runs(1)
        .tolerance(1e-6)
        .max_n_iterations(300)
        .fit(&DatasetBase::from(points))
        .ok()?;
    Some((model.inertia(), model.centroids().clone()))
}

/// Within-cluster sum of squares: the squared distances ([`ContiguousL2`]) of `points` to their
/// nearest centroids, summed in row order.
fn sum_of_squares(points: ArrayView2<f64>, centroids: &Array2<f64>) -> f64 {
    points
        .rows()
        .into_iter()
        .map(|p| {
            centroids
                .rows()
                .into_iter()
                .map(|c| ContiguousL2.rdistance(c, p))
                .fold(f64::INFINITY, f64::min)
        })
        .sum()
}

/// Whether `points` has at least `k` distinct rows (bit for bit); with fewer, k-means++ would pick
/// some point twice.
fn has_distinct_rows(points: ArrayView2<f64>, k: usize) -> bool {
    let mut seen: HashSet<Vec<u64>> = HashSet::new();
    points.rows().into_iter().any(|row| {
        seen.insert(row.iter().map(|x| x.to_bits()).collect());
        seen.len() >= k
    })
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

    // Inlined into linfa's loop over the centroids: left to the compiler, one build made it a
    // call per distance, and the fits took about a tenth more time.
    #[inline(always)]
    fn rdistance<D: Dimension>(&self, a: ArrayView<f64, D>, b: ArrayView<f64, D>) -> f64 {
        match (a.as_slice(), b.as_slice()) {
            (Some(x), Some(y)) if x.len() == y.len() && a.shape() == b.shape() => {
                squared_distance(x, y)
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

/// Σ (x_i − y_i)² of equal-length `x` and `y`, added left to right from 0 (linfa's `L2Dist`
/// arithmetic). Four coordinates at a time, the differences and squares side by side: the compiler
/// packs them into vector instructions, and only the additions, in order, stay one after another.
/// Each square is the same product as one at a time, so the sum is the same, bit for bit.
#[inline(always)]
fn squared_distance(x: &[f64], y: &[f64]) -> f64 {
    let (x4, x_rest) = x.as_chunks::<4>();
    let (y4, y_rest) = y.as_chunks::<4>();
    let mut sum = 0.0;
    for (a, b) in x4.iter().zip(y4) {
        let d = [a[0] - b[0], a[1] - b[1], a[2] - b[2], a[3] - b[3]];
        let s = [d[0] * d[0], d[1] * d[1], d[2] * d[2], d[3] * d[3]];
        sum += s[0];
        sum += s[1];
        sum += s[2];
        sum += s[3];
    }
    for (p, q) in x_rest.iter().zip(y_rest) {
        let d = p - q;
        sum += d * d;
    }
    sum
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
    fn squared_distance_is_linfa_s_sum_bit_for_bit() {
        use rand::Rng;
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        // Lengths around the 4-wide chunks (linfa refuses empty rows), values of mixed magnitudes
        // (so that the order of the additions shows in the last bits).
        for len in 1..=13 {
            for _ in 0..200 {
                let mut draw = || rng.gen_range(-1.0..1.0) * 10f64.powi(rng.gen_range(-6..6));
                let x: Vec<f64> = (0..len).map(|_| draw()).collect();
                let y: Vec<f64> = (0..len).map(|_| draw()).collect();
                let (a, b) = (ndarray::aview1(&x), ndarray::aview1(&y));
                let want = L2Dist.rdistance(a, b);
                assert_eq!(squared_distance(&x, &y).to_bits(), want.to_bits());
                assert_eq!(ContiguousL2.rdistance(a, b).to_bits(), want.to_bits());
            }
        }
        // By hand: (1 − 0)² + (2 − 4)² + (−1 − 1)² + (0.5 − 0)² + (3 − 0)² = 1 + 4 + 4 + 0.25 + 9
        let d = squared_distance(&[1.0, 2.0, -1.0, 0.5, 3.0], &[0.0, 4.0, 1.0, 0.0, 0.0]);
        assert_eq!(d, 18.25);
        assert_eq!(squared_distance(&[], &[]), 0.0);
    }

    /// Four blobs of unequal sizes (`scale` × 150, 40, 40, 10 points, in that order) in 3
    /// dimensions: clustered with k = 3, single k-means++ starts land in different local optima.
    fn unequal_blobs(scale: usize, seed: u64) -> Array2<f64> {
        use rand::Rng;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let centres = [
            [0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [0.0, 0.0, 1.0],
        ];
        let sizes = [150, 40, 40, 10].map(|n| n * scale);
        let rows: Vec<[f64; 3]> = centres
            .iter()
            .zip(sizes)
            .flat_map(|(c, n)| std::iter::repeat_n(*c, n))
            .map(|c| c.map(|x| x + rng.gen_range(-0.2..0.2)))
            .collect();
        Array2::from_shape_fn((rows.len(), 3), |(r, j)| rows[r][j])
    }

    /// The sums of squares of `runs` single k-means++ runs on all the points (streams 0..runs of
    /// `seed`).
    fn single_runs(points: &Array2<f64>, k: usize, runs: usize, seed: u64) -> Vec<f64> {
        (0..runs as u64)
            .map(|r| {
                let (_, c) = fit(points.view(), k, KMeansInit::KMeansPlusPlus, seed, r).unwrap();
                inertia(points, &c)
            })
            .collect()
    }

    fn in_pool(threads: usize, points: &Array2<f64>, k: usize, seed: u64) -> Array2<f64> {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| kmeans_centroids(points, k, FIT_RUNS, seed).unwrap())
    }

    #[test]
    fn kmeans_keeps_the_best_run_whatever_the_thread_count() {
        // 240 points: the runs fit them all.
        let points = unequal_blobs(1, 3);
        let best = in_pool(1, &points, 3, 11);
        assert_eq!(best, in_pool(2, &points, 3, 11));
        // No single run with the same streams does better.
        for one in single_runs(&points, 3, FIT_RUNS, 11) {
            assert!(inertia(&points, &best) <= one * (1.0 + 1e-6));
        }

        // 6,000 points: the runs fit a draw of 4,000; the best two on all 6,000 are refined on all.
        let points = unequal_blobs(25, 3);
        let best = in_pool(1, &points, 3, 11);
        assert_eq!(best, in_pool(2, &points, 3, 11));
        let drawn = points.select(
            Axis(0),
            &draw(points.nrows(), START_SAMPLE, 11, FIT_RUNS as u64),
        );
        let mut starts: Vec<(f64, u64, Array2<f64>)> = (0..FIT_RUNS as u64)
            .map(|r| {
                let (_, c) = fit(drawn.view(), 3, KMeansInit::KMeansPlusPlus, 11, r).unwrap();
                (inertia(&points, &c), r, c)
            })
            .collect();
        starts.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        // The refined fits; equal sums of squares (the same clusters in another order) go to the
        // lower run.
        let want = starts[..N_REFINED]
            .iter()
            .map(|(_, r, c)| {
                let init = KMeansInit::Precomputed(c.clone());
                let refined = fit(points.view(), 3, init, 11, *r).unwrap().1;
                (inertia(&points, &refined), *r, refined)
            })
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
            .unwrap()
            .2;
        assert_eq!(best, want);
    }

    #[test]
    fn runs_on_a_draw_reach_the_best_of_ten_runs_on_all_points() {
        // Single k-means++ runs on all 6,000 points often miss the lowest sum of squares; the
        // fit (runs on a draw of 4,000, the best refined on all) reaches the best of ten runs on
        // all, case after case.
        let (mut singles, mut missed) = (0, 0);
        for case in 0..8 {
            let points = unequal_blobs(25, 100 + case);
            let runs = single_runs(&points, 3, 10, case);
            let best_of_runs = runs.iter().copied().fold(f64::INFINITY, f64::min);
            singles += runs.len();
            missed += runs
                .iter()
                .filter(|&&one| one > best_of_runs * (1.0 + 1e-3))
                .count();
            let got = inertia(
                &points,
                &kmeans_centroids(&points, 3, FIT_RUNS, case).unwrap(),
            );
            eprintln!("case {case}: {got} against {best_of_runs} (single runs {runs:?})");
            assert!(
                got <= best_of_runs * (1.0 + 1e-9),
                "case {case}: {got} against {best_of_runs} (single runs {runs:?})"
            );
        }
        eprintln!("{missed} of {singles} single runs missed");
        assert!(
            missed * 5 >= singles,
            "{missed} of {singles} single runs missed: not a hard case"
        );
    }

    #[test]
    fn runs_fit_every_point_when_the_draw_lacks_k_distinct_ones() {
        // 4,999 equal points and one other that the draw of 4,000 misses: k-means++ on the draw
        // would have to pick the same point twice.
        let drawn = draw(5_000, START_SAMPLE, 5, FIT_RUNS as u64);
        let other = (0..5_000).find(|i| !drawn.contains(i)).unwrap();
        let mut points = Array2::zeros((5_000, 2));
        points[[other, 0]] = 1.0;
        let c = kmeans_centroids(&points, 2, FIT_RUNS, 5).unwrap();
        let mut rows: Vec<Vec<f64>> = c.rows().into_iter().map(|r| r.to_vec()).collect();
        rows.sort_by(|a, b| a[0].total_cmp(&b[0]));
        assert_eq!(rows, vec![vec![0.0, 0.0], vec![1.0, 0.0]]);
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
