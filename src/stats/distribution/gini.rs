//! The Gini coefficient of a per-user utility within a group (utility inequality; Gini 1912;
//! Ekstrand et al. 2024, ACM TORS, §4).
//!
//! # Formula
//! For the n users of a group with a defined value x_1 … x_n (all ≥ 0) and mean μ:
//!
//! ```text
//! G = Σ_i Σ_j |x_i − x_j| / (2 n² μ)
//! ```
//!
//! the mean absolute difference over all ordered pairs (self-pairs included) over twice the mean.
//! 0 when every user gets the same utility; (n − 1) / n when one user gets everything. Undefined
//! (`None`) when n = 0 or μ = 0 (no user gets any utility: no share to be unequal about).
//!
//! # Intervals
//! [`gini_terms`] gives the per-user column h_u = g_u − D / 2, with g_u = (1/n) Σ_j |x_u − x_j|
//! and D = (1/n) Σ_u g_u, for which G = mean(h) / mean(x). A bootstrap replicate with user
//! weights w takes Σ w h / Σ w x as its Gini: the Gini's first-order (linearised) expansion in
//! the weights, D_w ≈ 2·mean_w(g) − D (Hoeffding's projection of the mean absolute difference, a
//! U-statistic of kernel |x − y|). It drops the O(1/n) second-order term, so the replicates are
//! those of a mean and ratio through the same engine as every other interval, keyed by
//! (seed, user), and cost one column per metric, not a sort per replicate.

/// The Gini coefficient G = Σ_i Σ_j |x_i − x_j| / (2 n² μ) of `values` (finite, ≥ 0); `None` when
/// there are none or their mean is 0. Computed from the sorted values in O(n log n) as
/// Σ_i (2i − n − 1) x_(i) / (n² μ), i = 1 … n the rank.
///
/// ```
/// use recaudit::stats::distribution::gini;
/// assert_eq!(gini(&[1.0, 1.0, 1.0]), Some(0.0));
/// assert_eq!(gini(&[0.0, 0.0, 3.0]), Some(2.0 / 3.0)); // one user gets everything
/// assert_eq!(gini(&[0.0, 0.0]), None);
/// ```
pub fn gini(values: &[f64]) -> Option<f64> {
    let n = values.len();
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    // Summed in ascending order: the total depends on the values alone, not on their order.
    let total: f64 = sorted.iter().sum();
    if n == 0 || total <= 0.0 {
        return None;
    }
    let weighted: f64 = sorted
        .iter()
        .enumerate()
        .map(|(i, &x)| (2.0 * (i + 1) as f64 - n as f64 - 1.0) * x)
        .sum();
    crate::metrics::finite(weighted / (n as f64 * total))
}

/// The linearised Gini column of `values` (finite, ≥ 0): h_u = g_u − D / 2 with
/// g_u = (1/n) Σ_j |x_u − x_j| and D = (1/n) Σ_u g_u, in the order of `values`, so that
/// mean(h) / mean(x) = [`gini`] (see the module docs). Empty for empty `values`.
pub fn gini_terms(values: &[f64]) -> Vec<f64> {
    let n = values.len();
    if n == 0 {
        return Vec::new();
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let total: f64 = order.iter().map(|&u| values[u]).sum();
    // Σ_j |x_u − x_j| = x_u · below − sum_below + (sum_above) − x_u · above, over sorted ranks.
    let mut g = vec![0.0; n];
    let mut sum_below = 0.0;
    // D in rank order too: every sum here depends on the values alone, not on their order.
    let mut sum_g = 0.0;
    for (rank, &u) in order.iter().enumerate() {
        let x = values[u];
        let below = rank as f64;
        let above = (n - rank - 1) as f64;
        let sum_above = total - sum_below - x;
        g[u] = (x * below - sum_below + sum_above - x * above) / n as f64;
        sum_g += g[u];
        sum_below += x;
    }
    let d = sum_g / n as f64;
    g.iter().map(|g_u| g_u - d / 2.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn gini_by_hand() {
        // 1, 2, 3, 6: μ = 3; ordered-pair |differences| sum to 2·(1+2+5+1+4+3) = 32;
        // G = 32 / (2 · 16 · 3) = 1/3.
        let g = gini(&[6.0, 1.0, 3.0, 2.0]).unwrap();
        assert!((g - 1.0 / 3.0).abs() < 1e-12, "{g}");
        // One user of four gets everything: (n − 1) / n = 0.75.
        assert_eq!(gini(&[0.0, 0.0, 5.0, 0.0]), Some(0.75));
        assert_eq!(gini(&[]), None);
    }

    #[test]
    fn gini_terms_by_hand() {
        // 1, 2, 3, 6: g = (0+1+2+5)/4 = 2, (1+0+1+4)/4 = 1.5, (2+1+0+3)/4 = 1.5, (5+4+3+0)/4 = 3;
        // D = 8/4 = 2; h = g − 1.
        let h = gini_terms(&[1.0, 2.0, 3.0, 6.0]);
        for (got, want) in h.iter().zip([1.0, 0.5, 0.5, 2.0]) {
            assert!((got - want).abs() < 1e-12, "{h:?}");
        }
    }

    /// The plain double sum of the definition.
    fn gini_pairs(x: &[f64]) -> Option<f64> {
        let n = x.len() as f64;
        let mu = x.iter().sum::<f64>() / n;
        let s: f64 = x
            .iter()
            .flat_map(|a| x.iter().map(move |b| (a - b).abs()))
            .sum();
        (mu > 0.0).then(|| s / (2.0 * n * n * mu))
    }

    proptest! {
        #[test]
        fn sorted_formula_and_terms_equal_the_double_sum(
            x in proptest::collection::vec(0.0f64..10.0, 1..40)
        ) {
            let want = gini_pairs(&x);
            let got = gini(&x);
            prop_assert_eq!(want.is_some(), got.is_some());
            if let (Some(w), Some(g)) = (want, got) {
                prop_assert!((w - g).abs() < 1e-9);
                let h = gini_terms(&x);
                let from_terms = h.iter().sum::<f64>() / x.iter().sum::<f64>();
                prop_assert!((w - from_terms).abs() < 1e-9);
            }
        }
    }
}
