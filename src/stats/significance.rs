//! p-values for the difference of a group statistic to the reference group.
//!
//! # Which test when
//! Let n_g and n_ref be the users of the two groups (all members, defined or not).
//! - **min(n_g, n_ref) ≤ [`StatsConfig::permutation_max_n`](super::StatsConfig) (default 1,000):
//!   permutation test** of the slice labels between g and the reference. The pooled users are
//!   split at random into sets of sizes n_g and n_ref, `permutations` times (default 2,000), and the
//!   statistic's difference T* is recomputed on each split. Two-sided Monte-Carlo p-value with the
//!   observed split counted (Phipson & Smyth 2010, doi:10.2202/1544-6115.1585):
//!   p = (1 + #{|T*| ≥ |T|}) / (1 + #defined T*). Exact in level under the null of exchangeable
//!   labels, whatever the distribution and the statistic; its cost is permutations × min(n_g, n_ref)
//!   × columns, so it is kept for the small groups where asymptotics are doubtful.
//! - **Otherwise, for a [`Statistic::Mean`]: Welch's t-test** (Welch 1947, "The generalization of
//!   'Student's' problem when several different population variances are involved", Biometrika
//!   34:28–35) on the defined values of the two groups:
//!   t = (m_g − m_ref) / √(s²_g/n_g + s²_ref/n_ref), Welch–Satterthwaite degrees of freedom
//!   ν = (s²_g/n_g + s²_ref/n_ref)² / ((s²_g/n_g)²/(n_g−1) + (s²_ref/n_ref)²/(n_ref−1)),
//!   p = 2 · P(T_ν > |t|) ([`t_sf`]). With both groups above 1,000 users the CLT makes
//!   it accurate for the bounded per-user metrics audited here.
//! - **Otherwise, for other statistics (ratios of sums, ΔGAP): bootstrap z-test**: z = T / se*,
//!   se* = the standard deviation of the bootstrap replicates of the difference (Efron &
//!   Tibshirani 1993, ch. 6 and §16), p = 2 · Φ(−|z|).
//!
//! A zero standard error gives p = 1 when the difference is 0 and p = 0 otherwise.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::bootstrap::{Groups, Layout, SplitMix64, Statistic};
use super::compensated::CompensatedSum;
use super::group_runs::GroupRuns;
use super::student_t::t_sf;

/// Permutations per parallel task (fixed, for determinism).
const PERM_BATCH: usize = 250;

/// The test behind a p-value (serialized in snake_case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestKind {
    /// Permutation test of the slice labels.
    Permutation,
    /// Welch's unequal-variance t-test.
    Welch,
    /// Normal test of a difference of differentially private means, with the standard error of
    /// sampling and noise ([`crate::privacy::release::compare`]).
    DpNormal,
    /// z-test with the bootstrap standard error.
    BootstrapZ,
}

/// Two-sided p-value of Welch's t-test from summary statistics (sample variances with the n − 1
/// denominator). `None` when a group has fewer than 2 values or an input is not finite.
///
/// ```
/// use recaudit::stats::welch_t_test;
/// // t = (1 − 0) / √(1/10 + 1/10) = 2.2361, ν = 18, p = 2 P(T_18 > 2.2361) = 0.03825.
/// let p = welch_t_test(1.0, 1.0, 10, 0.0, 1.0, 10).unwrap();
/// assert!((p - 0.03825).abs() < 5e-5);
/// ```
pub fn welch_t_test(
    mean1: f64,
    var1: f64,
    n1: usize,
    mean2: f64,
    var2: f64,
    n2: usize,
) -> Option<f64> {
    if n1 < 2 || n2 < 2 || ![mean1, var1, mean2, var2].iter().all(|x| x.is_finite()) {
        return None;
    }
    let (a, b) = (var1 / n1 as f64, var2 / n2 as f64);
    let se2 = a + b;
    let diff = mean1 - mean2;
    if se2 <= 0.0 {
        return Some(if diff == 0.0 { 1.0 } else { 0.0 });
    }
    let t = diff / se2.sqrt();
    let df = se2 * se2 / (a * a / (n1 - 1) as f64 + b * b / (n2 - 1) as f64);
    let p = 2.0 * t_sf(t.abs(), df);
    (!p.is_nan()).then_some(p.min(1.0))
}

/// Count, mean and sample variance (n − 1 denominator) of `col` over the defined values of
/// `members` (two-pass): the one-column reference of [`moments_of_columns`].
#[cfg(test)]
pub(crate) fn moments(col: &[f64], members: &[u32]) -> (usize, f64, f64) {
    let mut n = 0usize;
    let mut sum = CompensatedSum::default();
    for &u in members {
        let x = col[u as usize];
        if !x.is_nan() {
            n += 1;
            sum.add(x);
        }
    }
    if n == 0 {
        return (0, f64::NAN, f64::NAN);
    }
    let mean = sum.value() / n as f64;
    let mut ss = CompensatedSum::default();
    for x in members
        .iter()
        .map(|&u| col[u as usize])
        .filter(|x| !x.is_nan())
    {
        ss.add((x - mean) * (x - mean));
    }
    let ss = ss.value();
    let var = if n > 1 { ss / (n - 1) as f64 } else { f64::NAN };
    (n, mean, var)
}

/// Columns whose moments one pass over the users takes.
const COLUMNS_PER_PASS: usize = 4;

/// [`moments`] of each of `columns` over the same `members`, with the same arithmetic (so the same
/// bits), four columns per pass over the members ([`moments_of_runs`] of the members as one run).
/// A sum is a chain of dependent additions, so one column at a time waits on each addition; four
/// chains side by side keep the core busy.
pub(crate) fn moments_of_columns(columns: &[&[f64]], members: &[u32]) -> Vec<(usize, f64, f64)> {
    let runs = GroupRuns::one_group(members);
    columns
        .chunks(COLUMNS_PER_PASS)
        .flat_map(|cols| moments_of_pass(&runs, cols, 1).swap_remove(0))
        .collect()
}

/// [`moments_of_columns`] of `columns` in every group g of `groups` with `need[g]` (an empty list
/// for the others). When the groups are disjoint and list their members in ascending order (the
/// groups of one slice column), each set of four columns is read once, in blocks of user ids
/// ([`GroupRuns`]: each group's sums stay in registers through a run of its users), every user's
/// values added to its group's sums: each group adds its members' values in member order, so the
/// moments are those of [`moments_of_columns`] on the group's members, bit for bit, for a
/// fraction of the memory traffic of reading the columns once per group. Otherwise, group by
/// group.
pub(crate) fn moments_of_groups(
    columns: &[&[f64]],
    groups: &Groups,
    need: &[bool],
) -> Vec<Vec<(usize, f64, f64)>> {
    let n_groups = groups.n_groups();
    let needed = |g: usize| need.get(g) == Some(&true);
    let Some(group_of) = needed_group_of_each_user(groups, need) else {
        return (0..n_groups)
            .into_par_iter()
            .map(|g| {
                if needed(g) {
                    moments_of_columns(columns, groups.members(g))
                } else {
                    Vec::new()
                }
            })
            .collect();
    };
    let runs = GroupRuns::of(&group_of, n_groups);
    let per_chunk: Vec<Vec<Vec<(usize, f64, f64)>>> = columns
        .par_chunks(COLUMNS_PER_PASS)
        .map(|cols| moments_of_pass(&runs, cols, n_groups))
        .collect();
    (0..n_groups)
        .map(|g| {
            if needed(g) {
                per_chunk
                    .iter()
                    .flat_map(|c| c[g].iter().copied())
                    .collect()
            } else {
                Vec::new()
            }
        })
        .collect()
}

/// [`moments_of_runs`] of the 1 to [`COLUMNS_PER_PASS`] columns `cols`, four of them with
/// [`moments_of_runs4`].
fn moments_of_pass(
    runs: &GroupRuns,
    cols: &[&[f64]],
    n_groups: usize,
) -> Vec<Vec<(usize, f64, f64)>> {
    match *cols {
        [a, b, c, d] => moments_of_runs4(runs, [a, b, c, d], n_groups),
        [a, b, c] => moments_of_runs(runs, [a, b, c], n_groups),
        [a, b] => moments_of_runs(runs, [a, b], n_groups),
        [a] => moments_of_runs(runs, [a], n_groups),
        _ => unreachable!("passes of 1 to {COLUMNS_PER_PASS} columns"),
    }
}

/// [`moments`] of each of the `W` columns `cols` in every group, run by run (the
/// group's sums held in registers through each run).
fn moments_of_runs<const W: usize>(
    runs: &GroupRuns,
    cols: [&[f64]; W],
    n_groups: usize,
) -> Vec<Vec<(usize, f64, f64)>> {
    let mut n = vec![[0usize; W]; n_groups];
    let mut sum = vec![[CompensatedSum::default(); W]; n_groups];
    for (g, users) in runs.iter() {
        let (mut n_run, mut sum_run) = (n[g], sum[g]);
        for &u in users {
            for j in 0..W {
                let x = cols[j][u as usize];
                if !x.is_nan() {
                    n_run[j] += 1;
                    sum_run[j].add(x);
                }
            }
        }
        (n[g], sum[g]) = (n_run, sum_run);
    }
    let mean = means(&n, &sum);
    let mut ss = vec![[CompensatedSum::default(); W]; n_groups];
    for (g, users) in runs.iter() {
        let (mut ss_run, mean) = (ss[g], mean[g]);
        for &u in users {
            for j in 0..W {
                let x = cols[j][u as usize];
                if !x.is_nan() {
                    ss_run[j].add((x - mean[j]) * (x - mean[j]));
                }
            }
        }
        ss[g] = ss_run;
    }
    moments_from(&n, &mean, &ss)
}

/// Each group's mean of each of `W` columns from its counts `n` and sums `sum` (NaN with no
/// value).
fn means<const W: usize>(n: &[[usize; W]], sum: &[[CompensatedSum; W]]) -> Vec<[f64; W]> {
    n.iter()
        .zip(sum)
        .map(|(n, sum)| std::array::from_fn(|j| sum[j].value() / n[j] as f64))
        .collect()
}

/// Each group's (n, mean, sample variance) of each of `W` columns from its counts `n`, means
/// `mean` and sums of squared deviations `ss`: NaN mean and variance with no value, NaN variance
/// with one.
fn moments_from<const W: usize>(
    n: &[[usize; W]],
    mean: &[[f64; W]],
    ss: &[[CompensatedSum; W]],
) -> Vec<Vec<(usize, f64, f64)>> {
    n.iter()
        .zip(mean)
        .zip(ss)
        .map(|((n, mean), ss)| {
            (0..W)
                .map(|j| match n[j] {
                    0 => (0, f64::NAN, f64::NAN),
                    1 => (1, mean[j], f64::NAN),
                    nj => (nj, mean[j], ss[j].value() / (nj - 1) as f64),
                })
                .collect()
        })
        .collect()
}

/// [`moments_of_runs`] of four columns, the four compensated sums of a group side by side in one
/// AVX register when the CPU has AVX (the same operations lane by lane, so the same bits), else
/// [`moments_of_runs`].
fn moments_of_runs4(
    runs: &GroupRuns,
    cols: [&[f64]; 4],
    n_groups: usize,
) -> Vec<Vec<(usize, f64, f64)>> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: the CPU has AVX, checked just above.
        return unsafe { moments_of_runs4_avx(runs, cols, n_groups) };
    }
    moments_of_runs(runs, cols, n_groups)
}

/// [`moments_of_runs`] of four columns with AVX. Per user, the four values in one register and
/// each lane's [`CompensatedSum::add`] (the running sum t = s + x; the rounding error (s − t) + x
/// when |s| ≥ |x|, else (x − t) + s, added to the compensation), kept where the lane's value is
/// defined and dropped where it is NaN. No fused multiply-add: each lane does the scalar
/// arithmetic exactly.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
fn moments_of_runs4_avx(
    runs: &GroupRuns,
    cols: [&[f64]; 4],
    n_groups: usize,
) -> Vec<Vec<(usize, f64, f64)>> {
    use std::arch::x86_64::*;
    let abs = _mm256_castsi256_pd(_mm256_set1_epi64x(i64::MAX));
    // Four compensated sums (running sums `s`, compensations `c`) after adding `x` in the lanes
    // of `defined`.
    let add = |s: __m256d, c: __m256d, x: __m256d, defined: __m256d| {
        let t = _mm256_add_pd(s, x);
        let s_larger = _mm256_cmp_pd::<_CMP_GE_OQ>(_mm256_and_pd(s, abs), _mm256_and_pd(x, abs));
        let error = _mm256_blendv_pd(
            _mm256_add_pd(_mm256_sub_pd(x, t), s),
            _mm256_add_pd(_mm256_sub_pd(s, t), x),
            s_larger,
        );
        (
            _mm256_blendv_pd(s, t, defined),
            _mm256_blendv_pd(c, _mm256_add_pd(c, error), defined),
        )
    };
    let load = |u: u32| {
        let u = u as usize;
        _mm256_set_pd(cols[3][u], cols[2][u], cols[1][u], cols[0][u])
    };
    let lanes = |v: __m256d| -> [f64; 4] {
        let mut out = [0.0; 4];
        // SAFETY: `out` holds four f64.
        unsafe { _mm256_storeu_pd(out.as_mut_ptr(), v) };
        out
    };
    let register = |v: &[f64; 4]| {
        // SAFETY: `v` holds four f64.
        unsafe { _mm256_loadu_pd(v.as_ptr()) }
    };
    // The counts as f64 lanes (whole numbers, exact below 2^53), one added per defined value.
    let one = _mm256_set1_pd(1.0);
    let mut counts = vec![[0.0f64; 4]; n_groups];
    let (mut s, mut c) = (vec![[0.0f64; 4]; n_groups], vec![[0.0f64; 4]; n_groups]);
    for (g, users) in runs.iter() {
        let (mut s_run, mut c_run) = (register(&s[g]), register(&c[g]));
        let mut n_run = register(&counts[g]);
        for &u in users {
            let x = load(u);
            let defined = _mm256_cmp_pd::<_CMP_ORD_Q>(x, x);
            n_run = _mm256_add_pd(n_run, _mm256_and_pd(defined, one));
            (s_run, c_run) = add(s_run, c_run, x, defined);
        }
        (s[g], c[g], counts[g]) = (lanes(s_run), lanes(c_run), lanes(n_run));
    }
    // The lanes as compensated sums: (running sum, compensation) of each.
    let compensated = |s: &[[f64; 4]], c: &[[f64; 4]]| -> Vec<[CompensatedSum; 4]> {
        s.iter()
            .zip(c)
            .map(|(s, c)| std::array::from_fn(|j| CompensatedSum::from_parts((s[j], c[j]))))
            .collect()
    };
    let n: Vec<[usize; 4]> = counts.iter().map(|c| c.map(|k| k as usize)).collect();
    let mean = means(&n, &compensated(&s, &c));
    let (mut ss, mut sc) = (vec![[0.0f64; 4]; n_groups], vec![[0.0f64; 4]; n_groups]);
    for (g, users) in runs.iter() {
        let (mut s_run, mut c_run) = (register(&ss[g]), register(&sc[g]));
        let m = register(&mean[g]);
        for &u in users {
            let x = load(u);
            let defined = _mm256_cmp_pd::<_CMP_ORD_Q>(x, x);
            let d = _mm256_sub_pd(x, m);
            (s_run, c_run) = add(s_run, c_run, _mm256_mul_pd(d, d), defined);
        }
        (ss[g], sc[g]) = (lanes(s_run), lanes(c_run));
    }
    moments_from(&n, &mean, &compensated(&ss, &sc))
}

/// The group of every user of a group with `need[g]` (indexed by user id, `u32::MAX` for the
/// other users), or `None` when such a group does not list its members in ascending order or a
/// user is in two of them.
fn needed_group_of_each_user(groups: &Groups, need: &[bool]) -> Option<Vec<u32>> {
    let needed: Vec<usize> = (0..groups.n_groups())
        .filter(|&g| need.get(g) == Some(&true))
        .collect();
    let n_users = needed
        .iter()
        .filter_map(|&g| groups.members(g).last())
        .max()
        .map_or(0, |&u| u as usize + 1);
    let mut group_of = vec![u32::MAX; n_users];
    for &g in &needed {
        let members = groups.members(g);
        if members.windows(2).any(|w| w[0] >= w[1]) {
            return None;
        }
        for &u in members {
            let at = &mut group_of[u as usize];
            if *at != u32::MAX {
                return None;
            }
            *at = g as u32;
        }
    }
    Some(group_of)
}

/// Two-sided p-value of the bootstrap z-test (Efron & Tibshirani 1993, ch. 6 and §16):
/// z = `diff` / sd(`diff_reps`) with the n − 1 denominator, p = 2 Φ(−|z|) = erfc(|z| / √2).
/// Non-finite replicates are skipped; `None` with fewer than 2 finite ones.
pub(crate) fn bootstrap_z(diff: f64, diff_reps: &[f64]) -> Option<f64> {
    if !diff.is_finite() {
        return None;
    }
    let v: Vec<f64> = diff_reps
        .iter()
        .copied()
        .filter(|x| x.is_finite())
        .collect();
    if v.len() < 2 {
        return None;
    }
    let m = v.iter().sum::<f64>() / v.len() as f64;
    let sd = (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() - 1) as f64).sqrt();
    if sd <= 0.0 {
        return Some(if diff == 0.0 { 1.0 } else { 0.0 });
    }
    let z = diff.abs() / sd;
    Some((2.0 * super::normal::normal_sf(z)).min(1.0))
}

/// Permutation p-values of the difference statistic(a) − statistic(b) for each of `stats`,
/// between the users `a` and `b` (dense user ids read through `layout`). All statistics share the same
/// permutations. Permutation batch k draws from SplitMix64 keyed by (`seed`, `stream + k`); each
/// permutation draws the smaller side as a uniform subset (Floyd's algorithm, Bentley & Floyd 1987,
/// "A sample of brilliance", CACM 30:754–757).
///
/// p = (1 + #{|T*| ≥ |T| − tol}) / (1 + #{T* defined}) (Phipson & Smyth 2010), with T the observed
/// difference and tol = 10⁻⁹ (|θ_a| + |θ_b|) absorbing rounding. `None` where the observed
/// difference is undefined.
pub(crate) fn permutation_p_values(
    layout: &Layout,
    a: &[u32],
    b: &[u32],
    stats: &[Statistic],
    permutations: usize,
    seed: u64,
    stream: u64,
) -> Vec<Option<f64>> {
    let (na, nb) = (a.len(), b.len());
    let n = na + nb;
    let stride = layout.stride();
    let sa = layout.plain_sums(a);
    let sb = layout.plain_sums(b);
    let total: Vec<f64> = sa.iter().zip(&sb).map(|(x, y)| x + y).collect();
    let (va, vb) = (layout.view(&sa), layout.view(&sb));
    let observed: Vec<(f64, f64)> = stats
        .iter()
        .map(|s| {
            let (ta, tb) = (s.eval(&va), s.eval(&vb));
            ((ta - tb).abs(), 1e-9 * (ta.abs() + tb.abs()))
        })
        .collect();
    if na == 0 || nb == 0 || permutations == 0 {
        return vec![None; stats.len()];
    }
    // The smaller side is drawn; the other is the complement.
    let k = na.min(nb);
    let small_is_a = na <= nb;
    let user = |i: usize| if i < na { a[i] } else { b[i - na] };

    let n_batches = permutations.div_ceil(PERM_BATCH);
    let counts: Vec<Vec<(u64, u64)>> = (0..n_batches)
        .into_par_iter()
        .map(|batch| {
            let mut rng = SplitMix64::at(seed, stream.wrapping_add(batch as u64), 0);
            let todo = PERM_BATCH.min(permutations - batch * PERM_BATCH);
            let mut chosen = vec![false; n];
            let mut picked: Vec<usize> = Vec::with_capacity(k);
            let mut sub = vec![0.0; stride];
            let mut other = vec![0.0; stride];
            let mut out = vec![(0u64, 0u64); stats.len()];
            for _ in 0..todo {
                // Floyd's algorithm: a uniform k-subset of 0..n.
                picked.clear();
                for j in (n - k)..n {
                    let t = rng.below(j as u64 + 1) as usize;
                    let pick = if chosen[t] { j } else { t };
                    chosen[pick] = true;
                    picked.push(pick);
                }
                sub.iter_mut().for_each(|x| *x = 0.0);
                for &i in &picked {
                    chosen[i] = false;
                    layout.add_user(user(i), &mut sub);
                }
                for ((o, t), s) in other.iter_mut().zip(&total).zip(&sub) {
                    *o = t - s;
                }
                let (ga, gb) = if small_is_a {
                    (layout.view(&sub), layout.view(&other))
                } else {
                    (layout.view(&other), layout.view(&sub))
                };
                for ((stat, &(obs, tol)), c) in stats.iter().zip(&observed).zip(out.iter_mut()) {
                    let t = stat.eval(&ga) - stat.eval(&gb);
                    if t.is_finite() {
                        c.1 += 1;
                        if t.abs() >= obs - tol {
                            c.0 += 1;
                        }
                    }
                }
            }
            out
        })
        .collect();

    observed
        .iter()
        .enumerate()
        .map(|(s, &(obs, _))| {
            if !obs.is_finite() {
                return None;
            }
            let (ext, def) = counts
                .iter()
                .fold((0u64, 0u64), |acc, c| (acc.0 + c[s].0, acc.1 + c[s].1));
            Some((1 + ext) as f64 / (1 + def) as f64)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_of_columns_are_the_moments_of_each_column() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let n = 500;
        // Nine columns (two full passes of four and one of one), some all NaN, some with one
        // defined value, the others with NaN here and there.
        let columns: Vec<Vec<f64>> = (0..9)
            .map(|c| {
                (0..n)
                    .map(|i| match c {
                        0 => f64::NAN,
                        1 if i != 7 => f64::NAN,
                        _ if rng.gen_bool(0.2) => f64::NAN,
                        _ => rng.gen_range(-3.0..3.0) * 10f64.powi(c - 4),
                    })
                    .collect()
            })
            .collect();
        let cols: Vec<&[f64]> = columns.iter().map(|c| c.as_slice()).collect();
        for members in [
            (0..n as u32).collect::<Vec<u32>>(),
            (0..n as u32).filter(|u| u % 3 != 0).collect(),
            vec![7],
            vec![],
        ] {
            let many = moments_of_columns(&cols, &members);
            assert_eq!(many.len(), cols.len());
            for (col, got) in cols.iter().zip(many) {
                let want = moments(col, &members);
                let bits = |(n, m, v): (usize, f64, f64)| (n, m.to_bits(), v.to_bits());
                assert_eq!(bits(got), bits(want), "{got:?} vs {want:?}");
            }
        }
    }

    #[test]
    fn moments_of_groups_are_the_moments_of_each_group() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        // Several blocks of `GroupRuns`: each group's sums carry over from block to block.
        let n = 5_000;
        // Six columns (one pass of four, one of two), NaN here and there, one all NaN.
        let columns: Vec<Vec<f64>> = (0..6)
            .map(|c| {
                (0..n)
                    .map(|_| match c {
                        5 => f64::NAN,
                        _ if rng.gen_bool(0.15) => f64::NAN,
                        _ => rng.gen_range(-3.0..3.0) * 10f64.powi(c - 2),
                    })
                    .collect()
            })
            .collect();
        let cols: Vec<&[f64]> = columns.iter().map(|c| c.as_slice()).collect();
        let codes: Vec<u32> = (0..n).map(|_| rng.gen_range(0..5)).collect();
        let keys = crate::stats::bootstrap::test_keys(n);
        let disjoint = Groups::from_codes(&codes, 4, &keys); // code 4: in no group
        let one = Groups::from_members([vec![3u32]], &keys);
        let overlapping =
            Groups::from_members([vec![1u32, 2, 3], vec![3, 4], vec![9, 5, 7]], &keys);
        let empty = Groups::from_members([Vec::new(), vec![2u32]], &keys);
        for groups in [disjoint, one, overlapping, empty] {
            for need in [vec![true; 4], vec![false, true, false, true], vec![]] {
                let got = moments_of_groups(&cols, &groups, &need);
                assert_eq!(got.len(), groups.n_groups());
                for (g, got) in got.iter().enumerate() {
                    if need.get(g) != Some(&true) {
                        assert!(got.is_empty());
                        continue;
                    }
                    let want = moments_of_columns(&cols, groups.members(g));
                    let bits = |v: &[(usize, f64, f64)]| -> Vec<(usize, u64, u64)> {
                        v.iter()
                            .map(|&(n, m, s)| (n, m.to_bits(), s.to_bits()))
                            .collect()
                    };
                    assert_eq!(bits(got), bits(&want), "group {g}");
                }
            }
        }
    }

    #[test]
    fn welch_matches_r() {
        // Welch on {1..5} vs {2, 4, .., 12}; p by numerical integration of the t density: 0.049284
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        let b = [2.0, 4.0, 6.0, 8.0, 10.0, 12.0];
        let (na, ma, va) = moments(&a, &[0, 1, 2, 3, 4]);
        let (nb, mb, vb) = moments(&b, &[0, 1, 2, 3, 4, 5]);
        assert_eq!((na, ma, va), (5, 3.0, 2.5));
        assert_eq!((nb, mb, vb), (6, 7.0, 14.0));
        // t = −4 / √(2.5/5 + 14/6) = −2.37635, ν = 2.8333² / (0.5²/4 + 2.3333²/5) = 6.97226
        let p = welch_t_test(ma, va, na, mb, vb, nb).unwrap();
        assert!((p - 0.049284).abs() < 1e-5, "{p}");
        assert_eq!(welch_t_test(1.0, 0.0, 5, 1.0, 0.0, 5), Some(1.0));
        assert_eq!(welch_t_test(1.0, 0.0, 5, 2.0, 0.0, 5), Some(0.0));
        assert_eq!(welch_t_test(1.0, 1.0, 1, 2.0, 1.0, 5), None);
    }

    #[test]
    fn bootstrap_z_two_sided() {
        // sd of {−1, 1} is √2; z = √2 / √2 = 1 → p = 2 Φ(−1) = 0.3173
        let p = bootstrap_z(2f64.sqrt(), &[-1.0, 1.0]).unwrap();
        assert!((p - 0.317_310_5).abs() < 1e-6);
        assert_eq!(bootstrap_z(1.0, &[1.0]), None);
    }

    #[test]
    fn exhaustive_permutation_agrees_with_exact_p() {
        // a = {0, 0, 1}, b = {1, 1, 1}: difference of means −2/3. Of the C(6,3) = 20 splits, the
        // ones with |T| ≥ 2/3 put the two zeros on the same side with one one: 2·C(4,1) = 8 → p = 0.4.
        let x = [0.0, 0.0, 1.0, 1.0, 1.0, 1.0];
        let keys = crate::stats::bootstrap::test_keys(6);
        let groups = Groups::from_members([vec![0, 1, 2], vec![3, 4, 5]], &keys);
        let cols: [&[f64]; 1] = [&x];
        let layout = Layout::new(&cols, groups.all());
        let (a, b) = (groups.members(0), groups.members(1));
        let p = permutation_p_values(&layout, a, b, &[Statistic::Mean(0)], 20_000, 7, 0);
        let p = p[0].unwrap();
        assert!((p - 0.4).abs() < 0.015, "{p}");
    }
}
