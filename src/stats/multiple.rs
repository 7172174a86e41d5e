//! Multiple-comparison corrections. Across the groups of one slice column and statistic: the
//! Benjamini–Hochberg step-up adjustment, which controls the false discovery rate for independent
//! or positively dependent tests (Benjamini & Hochberg 1995). Across the whole subgroup search,
//! whose tests share users and so depend on each other in any direction: the Benjamini–Yekutieli
//! adjustment (Benjamini & Yekutieli 2001).

/// Benjamini–Hochberg adjusted p-values (Benjamini & Hochberg 1995, "Controlling the false
/// discovery rate", JRSS B 57:289–300; the same as R's `p.adjust(p, "BH")`).
///
/// # Formula
/// With the m defined p-values sorted ascending, p_(1) ≤ … ≤ p_(m):
/// q_(i) = min_{j ≥ i} min(1, m · p_(j) / j). The result is in the input order, monotone in p
/// and capped at 1. Rejecting every q ≤ α controls the false discovery rate at α.
///
/// # Conventions
/// NaN entries (no test) stay NaN and do not count in m.
///
/// # Example
/// ```
/// use recaudit::stats::benjamini_hochberg;
/// // sorted: 0.005·4/1 = 0.02, 0.01·4/2 = 0.02, 0.03·4/3 = 0.04, 0.04·4/4 = 0.04
/// let q = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.005]);
/// for (q, want) in q.iter().zip([0.02, 0.04, 0.04, 0.02]) {
///     assert!((q - want).abs() < 1e-15);
/// }
/// assert!(benjamini_hochberg(&[]).is_empty());
/// ```
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    step_up(p, 1.0)
}

/// Benjamini–Yekutieli adjusted p-values (Benjamini & Yekutieli 2001, "The control of the false
/// discovery rate in multiple testing under dependency", Ann. Statist. 29:1165–1188; the same as
/// R's `p.adjust(p, "BY")` and statsmodels' `multipletests(p, method="fdr_by")`).
///
/// # Formula
/// With the m defined p-values sorted ascending and c(m) = Σ_{i=1..m} 1/i:
/// q_(i) = min_{j ≥ i} min(1, c(m) · m · p_(j) / j): the Benjamini–Hochberg adjustment with every
/// raw value multiplied by c(m). Rejecting every q ≤ α controls the false discovery rate at α
/// whatever the dependence between the tests.
///
/// # Conventions
/// NaN entries (no test) stay NaN and do not count in m.
///
/// # Example
/// ```
/// use recaudit::stats::benjamini_yekutieli;
/// // m = 2, c(2) = 1.5: sorted 0.01·2·1.5/1 = 0.03, 0.04·2·1.5/2 = 0.06.
/// let q = benjamini_yekutieli(&[0.04, 0.01]);
/// assert!((q[0] - 0.06).abs() < 1e-15 && (q[1] - 0.03).abs() < 1e-15);
/// assert!(benjamini_yekutieli(&[]).is_empty());
/// ```
pub fn benjamini_yekutieli(p: &[f64]) -> Vec<f64> {
    let m = p.iter().filter(|x| !x.is_nan()).count();
    let c: f64 = (1..=m).map(|i| 1.0 / i as f64).sum();
    step_up(p, c)
}

/// The step-up adjustment q_(i) = min_{j ≥ i} min(1, factor · m · p_(j) / j) over the defined
/// entries of `p`, in input order (NaN stays NaN).
fn step_up(p: &[f64], factor: f64) -> Vec<f64> {
    let mut order: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    order.sort_by(|&i, &j| p[i].total_cmp(&p[j]).then(i.cmp(&j)));
    let m = order.len() as f64;
    let mut out = vec![f64::NAN; p.len()];
    let mut running = 1.0f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        let q = (factor * p[i] * m / (rank + 1) as f64).min(1.0);
        running = running.min(q);
        out[i] = running;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| (x.is_nan() && y.is_nan()) || (x - y).abs() < 1e-12)
    }

    #[test]
    fn hand_checked() {
        // p sorted: 0.001 (1), 0.008 (2), 0.039 (3), 0.041 (4), 0.042 (5), 0.06 (6), 0.074 (7),
        // 0.205 (8); m = 8. Raw m·p/i: 0.008, 0.032, 0.104, 0.082, 0.0672, 0.08, 0.084571, 0.205.
        // Running minimum from the top: 0.205, 0.084571, 0.08, 0.0672, 0.0672, 0.0672, 0.032, 0.008.
        let p = [0.205, 0.001, 0.039, 0.008, 0.041, 0.042, 0.06, 0.074];
        let want = [
            0.205,
            0.008,
            0.0672,
            0.032,
            0.0672,
            0.0672,
            0.08,
            0.074 * 8.0 / 7.0,
        ];
        assert!(close(&benjamini_hochberg(&p), &want));
    }

    #[test]
    fn capped_monotone_and_nan() {
        assert!(close(
            &benjamini_hochberg(&[0.5, 0.9, 0.8]),
            &[0.9, 0.9, 0.9]
        ));
        assert!(close(&benjamini_hochberg(&[1.0, 0.7]), &[1.0, 1.0]));
        assert!(close(
            &benjamini_hochberg(&[0.02, f64::NAN, 0.04]),
            &[0.04, f64::NAN, 0.04]
        ));
        assert!(close(&benjamini_hochberg(&[0.03]), &[0.03]));
        // Ties keep equal adjusted values.
        assert!(close(&benjamini_hochberg(&[0.01, 0.01]), &[0.01, 0.01]));
    }

    #[test]
    fn benjamini_yekutieli_matches_statsmodels() {
        // statsmodels 0.15.0 `multipletests(p, method="fdr_by")[1]`, computed offline. By hand:
        // c(8) = 761/280; the BH running minima above times c(8), none capped.
        let p = [0.205, 0.001, 0.039, 0.008, 0.041, 0.042, 0.06, 0.074];
        let c = 761.0 / 280.0;
        let by_hand: Vec<f64> = [
            0.205,
            0.008,
            0.0672,
            0.032,
            0.0672,
            0.0672,
            0.08,
            0.074 * 8.0 / 7.0,
        ]
        .iter()
        .map(|q| q * c)
        .collect();
        let statsmodels = [
            0.5571607142857142,
            0.02174285714285714,
            0.18264,
            0.08697142857142856,
            0.18264,
            0.18264,
            0.21742857142857142,
            0.22985306122448976,
        ];
        assert!(close(&benjamini_yekutieli(&p), &by_hand));
        assert!(close(&benjamini_yekutieli(&p), &statsmodels));
        // m = 3, c(3) = 11/6: sorted raw 0.01·3·c/1 = 0.055, 0.2·3·c/2 = 0.55, 0.5·3·c/3 = 0.9167;
        // a NaN does not count (statsmodels on [0.5, 0.01, 0.2]: 0.9166666666666665, 0.055, 0.55),
        // and a raw value above 1 is capped (statsmodels on [0.9, 0.8]: 1.0, 1.0).
        let q = benjamini_yekutieli(&[0.5, f64::NAN, 0.01, 0.2]);
        assert!(close(&q, &[0.5 * 11.0 / 6.0, f64::NAN, 0.055, 0.55]));
        assert!(close(&benjamini_yekutieli(&[0.9, 0.8]), &[1.0, 1.0]));
        // BY is BH scaled by c(m) ≥ 1, so never below it.
        let bh = benjamini_hochberg(&p);
        assert!(benjamini_yekutieli(&p).iter().zip(&bh).all(|(y, h)| y >= h));
    }
}
