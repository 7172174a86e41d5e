//! Student's t distribution: the upper tail (Welch's p-values) and quantiles (the subgroup
//! search's intervals), accurate and well-conditioned at the degrees of freedom of groups of
//! millions of users.
//!
//! statrs 0.19.1 computes both through the regularised incomplete beta at x = ν/(ν + t²). As ν
//! grows, x rounds to within a few ulps of 1: the tail then moves by ~1e-9 when ν moves by one
//! ulp (P(T > 0.67) at ν = 4·10⁶ and at ν(1 + 4e-16) differ by 9.3e-10), so two sums of the same
//! values added in different orders give p-values that differ in the ninth digit; its inverse
//! drifts further (t₀.₉₇₅ = 1.826556 at ν = 10⁷ against 1.959964). From [`T_EXPANSION_DF`] both
//! use expansions in powers of 1/ν around the normal distribution, whose coefficients are
//! polynomials in t (or z) and whose only inputs are t, 1/ν and the normal distribution.

use statrs::distribution::{Continuous, ContinuousCDF, Normal, StudentsT};

/// Degrees of freedom from which [`t_sf`] and [`t_quantile`] use their expansions in 1/ν instead
/// of statrs (which agrees with them there to 1e-13 for the tail and 1e-9 for the quantile).
pub const T_EXPANSION_DF: f64 = 1_000.0;

/// P(T_ν > t), the upper tail of Student's t with `df` degrees of freedom; NaN when `df` is not
/// positive or an input is NaN.
///
/// Below [`T_EXPANSION_DF`] statrs' survival function. From it, while t⁴ ≤ ν/4, Fisher's
/// expansion (Fisher 1925, "Expansion of 'Student's' integral in powers of n⁻¹", Metron 5:109):
///
/// P(T_ν > t) = Φ(−t) + φ(t) · Σ_{k=1..6} G_k(t) / ν^k,
///
/// G₁ = t(t² + 1)/4, G₂ = t(3t⁶ − 7t⁴ − 5t² − 3)/96,
/// G₃ = t(t¹⁰ − 11t⁸ + 14t⁶ + 6t⁴ − 3t² − 15)/384,
/// G₄ = t(15t¹⁴ − 375t¹² + 2225t¹⁰ − 2141t⁸ − 939t⁶ − 213t⁴ + 915t² + 945)/92160,
/// G₅ = t(3t¹⁸ − 133t¹⁶ + 1764t¹⁴ − 7516t¹² + 5994t¹⁰ + 2490t⁸ + 1140t⁶ + 180t⁴ + 5355t²
///       + 17955)/368640,
/// G₆ = t(63t²² − 4347t²⁰ + 101115t¹⁸ − 946043t¹⁶ + 3237542t¹⁴ − 2253390t¹² − 876282t¹⁰
///       − 384150t⁸ + 263115t⁶ + 129465t⁴ − 2329425t² − 2463615)/185794560
///
/// (derived by expanding the density's ratio to φ in 1/ν and integrating each term: G_k solves
/// G_k′ − t G_k = −P_k for the k-th term P_k of that ratio). Against the incomplete beta at 40
/// digits (mpmath), its error is below 1e-16 absolute for every t, and below 1e-14 relative for
/// t⁴ ≤ ν/10; beyond t⁴ = ν/4 (a tail below 4e-4 at ν = 1,000 and far smaller above) statrs
/// again, whose error there is below 1e-10 relative (8e-11 at P = 1.6e-36) and 1e-16
/// absolute.
///
/// ```
/// use recaudit::stats::student_t::t_sf;
/// // R: pt(2, 10, lower.tail = FALSE) = 0.0366940173853702; pt(0.67, 4e6, lower = FALSE).
/// assert!((t_sf(2.0, 10.0) - 0.036_694_017_385_370_18).abs() < 1e-14);
/// assert!((t_sf(0.67, 4e6) - 0.251_428_914_433_948_01).abs() < 1e-15);
/// ```
pub fn t_sf(t: f64, df: f64) -> f64 {
    if df.is_nan() || df <= 0.0 || t.is_nan() {
        return f64::NAN;
    }
    if t < 0.0 {
        return 1.0 - t_sf(-t, df);
    }
    let t2 = t * t;
    if df < T_EXPANSION_DF || t2 * t2 > df / 4.0 {
        return StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |d| d.sf(t));
    }
    let g = [
        t * (t2 + 1.0) / 4.0,
        t * (((3.0 * t2 - 7.0) * t2 - 5.0) * t2 - 3.0) / 96.0,
        t * (horner(&[1.0, -11.0, 14.0, 6.0, -3.0, -15.0], t2)) / 384.0,
        t * horner(
            &[15.0, -375.0, 2225.0, -2141.0, -939.0, -213.0, 915.0, 945.0],
            t2,
        ) / 92_160.0,
        t * horner(
            &[
                3.0, -133.0, 1764.0, -7516.0, 5994.0, 2490.0, 1140.0, 180.0, 5355.0, 17955.0,
            ],
            t2,
        ) / 368_640.0,
        t * horner(
            &[
                63.0,
                -4347.0,
                101_115.0,
                -946_043.0,
                3_237_542.0,
                -2_253_390.0,
                -876_282.0,
                -384_150.0,
                263_115.0,
                129_465.0,
                -2_329_425.0,
                -2_463_615.0,
            ],
            t2,
        ) / 185_794_560.0,
    ];
    let series = g.iter().rev().fold(0.0, |acc, gk| (acc + gk) / df);
    crate::stats::normal::normal_sf(t) + Normal::standard().pdf(t) * series
}

/// c₀xⁿ + c₁xⁿ⁻¹ + … + cₙ.
fn horner(coefficients: &[f64], x: f64) -> f64 {
    coefficients.iter().fold(0.0, |acc, c| acc * x + c)
}

/// The p-quantile of Student's t with `df` degrees of freedom. Below [`T_EXPANSION_DF`], statrs'
/// inverse CDF; from it, the Cornish–Fisher expansion of t in powers of 1/ν around the normal
/// quantile z (Abramowitz & Stegun 26.7.5; Hill 1970, "Algorithm 396: Student's t-quantiles",
/// CACM 13:619): t = z + g₁/ν + g₂/ν² + g₃/ν³ + g₄/ν⁴ with
/// g₁ = (z³ + z)/4, g₂ = (5z⁵ + 16z³ + 3z)/96, g₃ = (3z⁷ + 19z⁵ + 17z³ − 15z)/384,
/// g₄ = (79z⁹ + 776z⁷ + 1482z⁵ − 1920z³ − 945z)/92160, whose error is O(ν⁻⁵) (below 1e-13 at
/// ν = 1,000). NaN for a `df` that is not positive or a `p` outside (0, 1).
///
/// ```
/// use recaudit::stats::student_t::t_quantile;
/// assert!((t_quantile(0.975, 10.0) - 2.228138852).abs() < 1e-8);
/// assert!((t_quantile(0.975, 1e7) - 1.959964222).abs() < 1e-8);
/// ```
pub fn t_quantile(p: f64, df: f64) -> f64 {
    let valid = df > 0.0 && p > 0.0 && p < 1.0;
    if !valid {
        return f64::NAN;
    }
    if df < T_EXPANSION_DF {
        return StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |t| t.inverse_cdf(p));
    }
    let z = Normal::standard().inverse_cdf(p);
    let z2 = z * z;
    let g1 = (z2 + 1.0) * z / 4.0;
    let g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
    let g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
    let g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
    z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df
}

#[cfg(test)]
mod tests {
    use super::*;

    /// P(T_ν > t) from the regularised incomplete beta at 40 digits (mpmath 1.3:
    /// `0.5 * betainc(ν/2, 1/2, 0, ν/(ν + t²), regularized=True)`), with the digits it printed.
    #[allow(clippy::excessive_precision)]
    const TAILS: [(f64, f64, f64); 9] = [
        (0.67, 4e6, 0.251_428_914_433_948_011_37),
        (2.0, 1e3, 0.022_885_173_246_625_820_024),
        (1.0, 1e5, 0.158_656_463_782_055_008_03),
        (3.5, 1e7, 0.000_232_630_090_803_424_568_75),
        (0.0, 2e3, 0.5),
        (5.0, 1e3, 3.383_628_182_324_315_190_9e-7),
        (12.0, 1e4, 2.989_889_803_905_662_582_2e-33),
        (2.5, 999.0, 0.006_289_363_792_254_609_723_9),
        (2.0, 10.0, 0.036_694_017_385_370_182_809),
    ];

    #[test]
    fn tails_equal_the_incomplete_beta_at_forty_digits() {
        for (t, df, want) in TAILS {
            let got = t_sf(t, df);
            // statrs (below ν = 1,000 or in the far tail) is within 1e-11 relative; the
            // expansion within 1e-15 absolute and relative to the tail's size.
            let expansion = df >= T_EXPANSION_DF && t.powi(4) <= df / 4.0;
            let tolerance = if expansion {
                1e-15 * want.max(1e-2)
            } else {
                1e-11 * want
            };
            assert!(
                (got - want).abs() <= tolerance,
                "t = {t}, ν = {df}: {got} against {want}"
            );
            assert!(
                (t_sf(-t, df) - (1.0 - want)).abs() < 1e-15,
                "t = −{t}, ν = {df}"
            );
        }
        assert!(t_sf(1.0, 0.0).is_nan() && t_sf(f64::NAN, 5.0).is_nan());
        assert!(t_sf(1.0, f64::NAN).is_nan());
    }

    #[test]
    fn tails_do_not_move_when_the_degrees_of_freedom_move_by_an_ulp() {
        // statrs' tail at ν = 4·10⁶ moves by 9.3e-10 when ν moves by 4e-16 relative: p-values
        // of the same groups summed in two orders differed in the ninth digit.
        let statrs = |t: f64, df: f64| StudentsT::new(0.0, 1.0, df).unwrap().sf(t);
        let (t, df) = (0.67, 4e6);
        let nudged = df * (1.0 + 4e-16);
        assert!((statrs(t, df) - statrs(t, nudged)).abs() > 1e-10);
        for df in [1e3, 2.5e5, 4e6, 1e8] {
            for t in [0.1, 0.67, 1.96, 3.0] {
                let nudged = df * (1.0 + 4e-16);
                assert!(
                    (t_sf(t, df) - t_sf(t, nudged)).abs() < 1e-16,
                    "t = {t}, ν = {df}"
                );
            }
        }
    }

    #[test]
    fn the_tail_is_continuous_where_it_changes_method() {
        // At ν = 1,000 (statrs below, the expansion above) and at t⁴ = ν/4 (the expansion
        // inside, statrs outside).
        let below = T_EXPANSION_DF * (1.0 - 1e-12);
        for t in [0.5, 1.0, 2.0, 3.0] {
            let (statrs, expansion) = (t_sf(t, below), t_sf(t, T_EXPANSION_DF));
            assert!((statrs - expansion).abs() <= 1e-12 * expansion, "t = {t}");
        }
        for df in [1e3_f64, 1e5] {
            let edge = (df / 4.0_f64).powf(0.25);
            let inside = t_sf(edge * (1.0 - 1e-15), df);
            let outside = t_sf(edge * (1.0 + 1e-15), df);
            // statrs' relative error grows in the far tail: 1e-12 at P = 4e-5 (ν = 1,000),
            // 8e-11 at P = 1.6e-36 (ν = 10⁵).
            assert!(
                (inside - outside).abs() <= 1e-10 * inside,
                "ν = {df}: {inside} {outside}"
            );
        }
    }

    #[test]
    fn t_quantiles_are_exact_at_small_and_huge_degrees_of_freedom() {
        // Tables (Abramowitz & Stegun 26.10; R's qt): t_0.975 at ν = 10, 30, 1000, and the
        // normal quantile as ν → ∞.
        for (df, want) in [
            (10.0, 2.228_138_851_986),
            (30.0, 2.042_272_456_301),
            (1_000.0, 1.962_339_081_046),
        ] {
            assert!((t_quantile(0.975, df) - want).abs() < 1e-9, "ν = {df}");
        }
        let z = 1.959_963_984_540_054;
        // At ν = 10⁷ the quantile is z + (z³ + z)/(4ν) up to 1e-13; statrs' own inverse gives
        // 1.8266 there.
        let df = 1e7;
        let first_order = z + (z * z * z + z) / (4.0 * df);
        assert!((t_quantile(0.975, df) - first_order).abs() < 1e-12);
        // Continuous at the switch to the expansion, and the inverse of the tail.
        let statrs = StudentsT::new(0.0, 1.0, T_EXPANSION_DF).unwrap();
        assert!((statrs.inverse_cdf(0.975) - t_quantile(0.975, T_EXPANSION_DF)).abs() < 1e-9);
        for df in [2e3, 1e5, 4.6e6, 1e7] {
            let t = t_quantile(0.975, df);
            assert!((t_sf(t, df) - 0.025).abs() < 1e-13, "ν = {df}");
        }
        assert!(t_quantile(0.975, 0.0).is_nan() && t_quantile(1.0, 10.0).is_nan());
    }
}
