//! Rank-biased overlap between two ranked lists of one user (Webber, Moffat & Zobel 2010, "A
//! similarity measure for indefinite rankings", ACM TOIS 28(4)): how much of a user's list stayed
//! the same between a baseline and a candidate run, the top weighted most.
//!
//! # Formula
//! The extrapolated RBO of the paper's eq. 32, for a shorter list S of length s and a longer list
//! L of length l (s ≤ l), persistence p ∈ (0, 1):
//!
//! ```text
//! RBO_ext = (1 − p)/p · [ Σ_{d=1}^{l} (X_d / d) p^d + Σ_{d=s+1}^{l} X_s (d − s) / (s d) p^d ]
//!           + [ (X_l − X_s) / l + X_s / s ] p^l
//! ```
//!
//! X_d the overlap of the two lists' top d items (for d > s, of all of S with L's top d). It
//! assumes the agreement seen at the lists' end continues below it (the paper's extrapolation),
//! so identical lists score 1 and disjoint lists 0 at any depth. With equal lengths k it is
//! (X_k / k) p^k + (1 − p)/p · Σ_{d=1}^{k} (X_d / d) p^d. The weight of the top d ranks is
//! 1 − p^d (about 65% on the top 10 at p = 0.9).
//!
//! # Conventions
//! - Lists of unequal length (a user with fewer than k items on one side) use the formula as
//!   given: the shorter list is not padded.
//! - Both lists empty: 1 (they agree); one empty: 0.
//! - Items are distinct within a list (the loader keeps each item's first rank).
//! - A user without a baseline list has no `rbo` (NaN, see [`rbo_metric`]).
//! - Agrees with the `rbo` package (Changyao Chen, PyPI, `RankingSimilarity.rbo_ext`) on every
//!   test case below.

use rayon::prelude::*;

use crate::data::RecLists;
use crate::metrics::{registry, UserMetric};

/// RBO_ext (eq. 32 of Webber, Moffat & Zobel 2010) of two ranked lists of distinct items at
/// persistence `p` (0 < p < 1). See the module docs.
///
/// ```
/// use recaudit::metrics::rbo::rbo_ext;
/// assert_eq!(rbo_ext(&[1, 2, 3], &[1, 2, 3], 0.9), 1.0);
/// assert_eq!(rbo_ext(&[1, 2, 3], &[4, 5, 6], 0.9), 0.0);
/// // Reversed: X = 0, 1, 3; (1/9)(0.5 · 0.81 + 1 · 0.729) + 0.729 = 0.855.
/// assert!((rbo_ext(&[1, 2, 3], &[3, 2, 1], 0.9) - 0.855).abs() < 1e-12);
/// ```
pub fn rbo_ext(a: &[u32], b: &[u32], p: f64) -> f64 {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let (s, l) = (short.len(), long.len());
    if s == 0 {
        return if l == 0 { 1.0 } else { 0.0 };
    }
    let mut seen_short = std::collections::HashSet::with_capacity(s);
    let mut seen_long = std::collections::HashSet::with_capacity(l);
    let mut overlap = 0usize;
    let mut x_s = 0usize;
    let mut sum = 0.0;
    let mut p_d = 1.0;
    for d in 1..=l {
        p_d *= p;
        let from_long = long[d - 1];
        if d <= s {
            let from_short = short[d - 1];
            if from_short == from_long {
                overlap += 1;
            } else {
                overlap += usize::from(seen_long.contains(&from_short));
                overlap += usize::from(seen_short.contains(&from_long));
            }
            seen_short.insert(from_short);
            seen_long.insert(from_long);
            if d == s {
                x_s = overlap;
            }
        } else {
            overlap += usize::from(seen_short.contains(&from_long));
            sum += x_s as f64 * (d - s) as f64 / (s * d) as f64 * p_d;
        }
        sum += overlap as f64 / d as f64 * p_d;
    }
    let tail = ((overlap - x_s) as f64 / l as f64 + x_s as f64 / s as f64) * p_d;
    ((1.0 - p) / p * sum + tail).clamp(0.0, 1.0)
}

/// The `rbo` of every audited user: [`rbo_ext`] of the user's baseline list and candidate list
/// (both cut at k by the loader) at persistence `p`, NaN for a user without a baseline list.
///
/// A user absent from the baseline run is left out (NaN, counted in `n_undefined`) rather than
/// given the kernel's 0 for an empty list: their list did not change, it is new, and counting
/// new users as fully changed would make a group with more newcomers look more changed.
/// Users in parallel.
///
/// ```
/// use recaudit::data::Csr;
/// use recaudit::metrics::rbo::rbo_metric;
/// let candidate = Csr::from_rows(vec![vec![1, 2, 3], vec![4, 5]]);
/// let baseline = Csr::from_rows(vec![vec![1, 2, 3], vec![]]);
/// let m = rbo_metric(&candidate, &baseline, 0.9);
/// assert_eq!(m.values[0], 1.0);
/// assert!(m.values[1].is_nan());
/// ```
pub fn rbo_metric(candidate: &RecLists, baseline: &RecLists, p: f64) -> UserMetric {
    let values = (0..candidate.n_rows())
        .into_par_iter()
        .map(|u| {
            let base = if u < baseline.n_rows() {
                baseline.row(u)
            } else {
                &[]
            };
            if base.is_empty() {
                f64::NAN
            } else {
                rbo_ext(base, candidate.row(u), p)
            }
        })
        .collect();
    UserMetric::new(&registry::RBO, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected values from the `rbo` package, `RankingSimilarity(a, b).rbo_ext(p)`.
    #[test]
    fn agrees_with_the_reference_implementation() {
        let cases: [(&[u32], &[u32], f64, f64); 5] = [
            (&[1, 2, 3, 4, 5], &[2, 1, 3, 5, 4], 0.9, 0.881775),
            (&[1, 2, 3, 4, 5], &[1, 3, 7], 0.9, 0.685),
            (&[1, 2], &[2, 9, 1, 8], 0.5, 0.322_916_666_666_666_6),
            (
                &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
                &[10, 9, 8, 7, 6, 5, 4, 3, 2, 1],
                0.9,
                0.511_607_565_642_857_3,
            ),
            (&[1, 2, 3, 4], &[1, 2, 3, 4], 0.9, 1.0),
        ];
        for (a, b, p, want) in cases {
            let got = rbo_ext(a, b, p);
            assert!((got - want).abs() < 1e-12, "{a:?} {b:?}: {got} ≠ {want}");
            assert_eq!(got, rbo_ext(b, a, p), "symmetric");
        }
    }

    #[test]
    fn unequal_lengths_by_hand() {
        // S = [1, 2], L = [2, 9, 1, 8], p = 0.5: X = 0, 1, 2, 2, X_s = 1.
        // Σ X_d/d p^d = 0.5·0.25 + (2/3)·0.125 + 0.5·0.0625 = 0.239583…;
        // Σ_{d=3,4} X_s (d − s)/(s d) p^d = 0.125/6 + 0.0625/4 = 0.036458…; (1 − p)/p = 1;
        // tail ((2 − 1)/4 + 1/2) · 0.0625 = 0.046875. Total 0.322916….
        let want = 0.239_583_333_333_333_3 + 0.036_458_333_333_333_3 + 0.046_875;
        assert!((rbo_ext(&[1, 2], &[2, 9, 1, 8], 0.5) - want).abs() < 1e-12);
    }

    #[test]
    fn per_user_values_by_hand() {
        use crate::data::Csr;
        // p = 0.5, so (1 − p)/p = 1. Items x = 0, y = 1, z = 2.
        // u0: [x, y] against [x, y]: identical, 1.
        // u1: [x, y] against [y, x]: X_1 = 0, X_2 = 2; (X_2/2) p² + (0/1) p + (2/2) p² = 0.25 + 0.25 = 0.5.
        // u2: [x, z] against [z]: s = 1, X_1 = X_s = 0, X_2 = 1; Σ X_d/d p^d = (1/2)(0.25) = 0.125,
        //     the second sum is 0 (X_s = 0), tail ((1 − 0)/2 + 0/1) p² = 0.125; 0.25.
        // u3: no baseline list: undefined.
        let candidate = Csr::from_rows(vec![vec![0, 1], vec![0, 1], vec![0, 2], vec![0, 1]]);
        let baseline = Csr::from_rows(vec![vec![0, 1], vec![1, 0], vec![2], vec![]]);
        let m = rbo_metric(&candidate, &baseline, 0.5);
        assert_eq!(m.name(), "rbo");
        assert_eq!(&m.values[..3], &[1.0, 0.5, 0.25]);
        assert!(m.values[3].is_nan());
        // A baseline with fewer rows than users (users past its end have no list).
        let short = Csr::from_rows(vec![vec![0, 1]]);
        let m = rbo_metric(&candidate, &short, 0.5);
        assert_eq!(m.values[0], 1.0);
        assert!(m.values[1..].iter().all(|v| v.is_nan()));
    }

    #[test]
    fn empty_lists() {
        assert_eq!(rbo_ext(&[], &[], 0.9), 1.0);
        assert_eq!(rbo_ext(&[], &[1], 0.9), 0.0);
    }
}
