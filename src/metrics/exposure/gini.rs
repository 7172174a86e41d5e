//! The Gini coefficient of item exposure (docs/metrics.md), taken over the whole catalog.

use crate::metrics::finite;

/// Gini coefficient of non-negative values (0 = equal, 1 = one value holds everything):
/// G = Σ_j (2j − n − 1) x_(j) / (n Σ x), x ascending, j = 1..n (the sorted-values form of the
/// Gini coefficient, e.g. Damgaard & Weiner 2000, "Describing inequality in plant size or
/// fecundity", Ecology 81(4); docs/metrics.md). Ties need no rule (equal values are interchangeable in
/// the sorted order). `None` for no values or a sum of 0.
///
/// Pass the whole catalog (zeros for never-shown items): a Gini over recommended items only
/// understates concentration (docs/metrics.md).
///
/// ```
/// use recaudit::metrics::exposure::gini;
/// // [0, 0, 0, 4]: (−3·0 − 1·0 + 1·0 + 3·4) / (4·4) = 12/16 = 0.75 (= 1 − 1/n)
/// assert_eq!(gini(&[4.0, 0.0, 0.0, 0.0]), Some(0.75));
/// assert_eq!(gini(&[2.0, 2.0]), Some(0.0));
/// assert_eq!(gini(&[0.0, 0.0]), None);
/// assert_eq!(gini(&[]), None);
/// ```
pub fn gini(values: &[f64]) -> Option<f64> {
    let total: f64 = values.iter().sum();
    if values.is_empty() || total <= 0.0 {
        return None;
    }
    let mut x = values.to_vec();
    x.sort_unstable_by(|a, b| a.total_cmp(b));
    let n = x.len() as f64;
    let num: f64 = x
        .iter()
        .enumerate()
        .map(|(j, &v)| (2.0 * (j as f64 + 1.0) - n - 1.0) * v)
        .sum();
    finite(num / (n * total))
}

#[cfg(test)]
mod tests {
    use super::super::test_data::close;
    use super::*;

    proptest::proptest! {
        #[test]
        fn gini_is_in_unit_interval_and_scale_free(
            x in proptest::collection::vec(0.0f64..100.0, 1..30), scale in 0.1f64..10.0
        ) {
            if let Some(g) = gini(&x) {
                // 0 ≤ G ≤ 1 − 1/n, and G(cx) = G(x)
                let n = x.len() as f64;
                proptest::prop_assert!((-1e-12..=1.0 - 1.0 / n + 1e-12).contains(&g));
                let y: Vec<f64> = x.iter().map(|v| v * scale).collect();
                proptest::prop_assert!((gini(&y).unwrap() - g).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn gini_counts_never_shown_items() {
        // shown items only: [1, 3] → (−1·1 + 1·3) / (2·4) = 0.25
        // whole catalog [0, 0, 1, 3]: (−3·0 − 1·0 + 1·1 + 3·3) / (4·4) = 10/16 = 0.625
        close(gini(&[1.0, 3.0]).unwrap(), 0.25);
        close(gini(&[3.0, 0.0, 1.0, 0.0]).unwrap(), 0.625);
    }
}
