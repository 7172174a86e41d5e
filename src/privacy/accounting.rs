//! Privacy accounting under zero-concentrated differential privacy (zCDP, Bun & Steinke 2016).
//!
//! A target (ε, δ) is turned into a zCDP budget ρ with the conversion of Bun & Steinke's
//! Proposition 1.3 (ρ-zCDP implies (ρ + 2√(ρ ln(1/δ)), δ)-DP), solved for the largest ρ whose
//! ε does not exceed the target. zCDP composes by addition, so ρ is split equally over the
//! published queries, and each query with L2 sensitivity Δ is answered by the Gaussian mechanism
//! with σ² = Δ² / (2 ρ_q) (Bun & Steinke, Proposition 1.6).

/// The ε of (ε, δ)-DP implied by ρ-zCDP: ρ + 2√(ρ ln(1/δ)) (Bun & Steinke 2016, Prop. 1.3).
///
/// ```
/// use recaudit::privacy::accounting::epsilon_of_rho;
/// // ρ = 0.5, δ = e⁻²: 0.5 + 2 √(0.5 · 2) = 2.5.
/// assert!((epsilon_of_rho(0.5, (-2.0f64).exp()) - 2.5).abs() < 1e-12);
/// ```
pub fn epsilon_of_rho(rho: f64, delta: f64) -> f64 {
    rho + 2.0 * (rho * -delta.ln()).sqrt()
}

/// The largest ρ with [`epsilon_of_rho`]`(ρ, δ) ≤ ε`: with L = ln(1/δ), ρ = (√(L + ε) − √L)²,
/// computed as (ε / (√(L + ε) + √L))², which is the same number without the cancellation of the
/// difference (for ε = 10⁻¹⁰ and δ = 10⁻⁸ the difference loses four of its sixteen digits).
///
/// ```
/// use recaudit::privacy::accounting::rho_of_epsilon;
/// // ε = 2.5, δ = e⁻²: (√4.5 − √2)² = 0.5.
/// assert!((rho_of_epsilon(2.5, (-2.0f64).exp()) - 0.5).abs() < 1e-12);
/// ```
pub fn rho_of_epsilon(epsilon: f64, delta: f64) -> f64 {
    let l = -delta.ln();
    (epsilon / ((l + epsilon).sqrt() + l.sqrt())).powi(2)
}

/// The standard deviation of the Gaussian mechanism that makes a query of L2 sensitivity
/// `sensitivity` ρ_q-zCDP: σ = Δ / √(2 ρ_q).
pub fn gaussian_sigma(sensitivity: f64, rho_query: f64) -> f64 {
    sensitivity / (2.0 * rho_query).sqrt()
}

/// The noisy size a group whose label comes from the data must reach to be published, so that a
/// label held by a single user is published with probability at most `delta_label`: with noise
/// N(0, σ²) on a count of 1, P(1 + noise ≥ τ) = δ_label for τ = 1 + σ z, z = Φ⁻¹(1 − δ_label)
/// (Gaussian partition selection: Gopi et al. 2020; Wilkins et al. 2024 give the exact analysis
/// of this "Gaussian sparse histogram"). A group absent from a neighbouring audit is then the
/// only way its label can differ, and that happens with probability at most δ_label.
///
/// ```
/// use recaudit::privacy::accounting::label_threshold;
/// // σ = 10, δ_label = Φ(−2) = 0.02275: τ = 1 + 10 · 2 = 21.
/// assert!((label_threshold(10.0, 0.022_750_131_948_179) - 21.0).abs() < 1e-6);
/// ```
pub fn label_threshold(sigma: f64, delta_label: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    let z = -Normal::new(0.0, 1.0)
        .expect("standard normal")
        .inverse_cdf(delta_label);
    1.0 + sigma * z
}

/// How one audit's budget is spent: ρ split equally over `queries` Gaussian queries of
/// sensitivity 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// The whole audit's ρ.
    pub rho: f64,
    /// Number of queries answered (each a vector over the disjoint groups of one slice column,
    /// or one overall number).
    pub queries: usize,
}

impl Budget {
    /// The budget of (ε, δ)-DP spent over `queries` queries.
    pub fn new(epsilon: f64, delta: f64, queries: usize) -> Self {
        Budget {
            rho: rho_of_epsilon(epsilon, delta),
            queries,
        }
    }

    /// Each query's share ρ / queries.
    pub fn rho_per_query(&self) -> f64 {
        self.rho / self.queries.max(1) as f64
    }

    /// The noise standard deviation of every query (sensitivity 1).
    pub fn sigma(&self) -> f64 {
        gaussian_sigma(1.0, self.rho_per_query())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_label_of_one_user_passes_the_threshold_with_probability_delta() {
        // δ_label = 2.5e-9: z = Φ⁻¹(1 − 2.5e-9) = 5.8472; with σ = 24.2553 (15 queries at
        // ε = 1, δ = 5e-9), τ = 1 + 24.2553 · 5.8472 = 142.82.
        let sigma = (15.0 / (2.0 * rho_of_epsilon(1.0, 5e-9))).sqrt();
        assert!((sigma - 24.2553).abs() < 1e-3, "{sigma}");
        assert!((label_threshold(sigma, 2.5e-9) - 142.825).abs() < 1e-2);
        // Empirically: a count of 1 plus N(0, 1) noise passes τ = 1 + Φ⁻¹(0.99) = 3.3263 about
        // 1% of the time (10 000 draws: 100 ± 4 standard errors of 9.95).
        let tau = label_threshold(1.0, 0.01);
        assert!((tau - 3.326_348).abs() < 1e-5, "{tau}");
        let mut noise = crate::privacy::mechanism::GaussianNoise::new(1.0, 7);
        let passed = (0..10_000).filter(|_| noise.release(1.0) >= tau).count();
        assert!((60..=140).contains(&passed), "{passed}");
    }

    #[test]
    fn hand_computed_conversion() {
        // ε = 1, δ = 1e-8: L = 18.420681, ρ = (√19.420681 − √18.420681)²
        // = (4.4068902 − 4.2919320)² = 0.0132154.
        let rho = rho_of_epsilon(1.0, 1e-8);
        assert!((rho - 0.013_215_4).abs() < 1e-6, "{rho}");
        // One query of sensitivity 1 at that ρ: σ = 1 / √(2 · 0.0132154) = 6.1510.
        assert!((gaussian_sigma(1.0, rho) - 6.1510).abs() < 1e-3);
    }

    #[test]
    fn a_small_epsilon_keeps_its_digits() {
        // ρ ≈ ε² / (4L) for ε ≪ L: with ε = 10⁻⁶ and δ = 10⁻⁸ (L = 8 ln 10 = 18.42...), the
        // series ρ = ε² / (4L) · (1 − ε / (2L) + ...) gives 1.3571e-14 to nine digits; the
        // difference of square roots would keep only about ten digits of the 16.
        let l = 8.0 * 10f64.ln();
        let rho = rho_of_epsilon(1e-6, 1e-8);
        let series = 1e-12 / (4.0 * l) * (1.0 - 1e-6 / (2.0 * l));
        assert!((rho - series).abs() <= 1e-14 * series, "{rho} vs {series}");
        assert!((epsilon_of_rho(rho, 1e-8) - 1e-6).abs() <= 1e-14 * 1e-6);
        // The smallest δ of f64 keeps L finite (ln(1/δ) would take the log of infinity).
        assert!(rho_of_epsilon(1.0, 5e-324).is_finite());
    }

    proptest! {
        #[test]
        fn the_split_sums_to_rho_and_maps_back_to_epsilon(
            eps in 0.01f64..20.0, log_delta in -12.0f64..-3.0, queries in 1usize..500
        ) {
            let delta = 10f64.powf(log_delta);
            let b = Budget::new(eps, delta, queries);
            let spent: f64 = (0..queries).map(|_| b.rho_per_query()).sum();
            prop_assert!((spent - b.rho).abs() <= 1e-9 * b.rho);
            prop_assert!((epsilon_of_rho(spent, delta) - eps).abs() <= 1e-9 * eps.max(1.0));
            // Each query's σ gives back its share: Δ² / (2σ²) = ρ_q.
            prop_assert!((1.0 / (2.0 * b.sigma().powi(2)) - b.rho_per_query()).abs()
                <= 1e-9 * b.rho_per_query());
        }
    }
}
