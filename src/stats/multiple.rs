//! Multiple-comparison correction across the groups of one slice column and statistic: the
//! Benjamini–Hochberg step-up adjustment, which controls the false discovery rate
//! (Benjamini & Hochberg 1995).

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
    let mut order: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    order.sort_by(|&i, &j| p[i].total_cmp(&p[j]).then(i.cmp(&j)));
    let m = order.len() as f64;
    let mut out = vec![f64::NAN; p.len()];
    let mut running = 1.0f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        let q = (p[i] * m / (rank + 1) as f64).min(1.0);
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
}
