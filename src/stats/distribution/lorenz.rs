//! The Lorenz curve of a per-user utility within a group (Lorenz 1905): the share of the group's
//! total utility held by its poorest share of users.
//!
//! # Formula
//! With the n values sorted ascending, x_(1) ≤ … ≤ x_(n), and total T, the curve joins the points
//! (i / n, Σ_{j ≤ i} x_(j) / T), i = 0 … n, by straight lines. [`lorenz`] reads it at m + 1
//! evenly spaced population shares 0, 1/m, …, 1. Twice the area between the diagonal and the
//! curve is the [`gini`](super::gini) coefficient.

/// The Lorenz curve of `values` (finite, ≥ 0) read at population shares 0, 1/m, …, 1: pairs
/// (share of users, share of utility). `None` when there are no values, their total is 0, or
/// m = 0.
///
/// ```
/// use recaudit::stats::distribution::lorenz;
/// // 0, 0, 1, 3 (total 4): the poorer half holds nothing, the poorest three quarters 1/4.
/// let curve = lorenz(&[3.0, 0.0, 1.0, 0.0], 4).unwrap();
/// assert_eq!(curve, [(0.0, 0.0), (0.25, 0.0), (0.5, 0.0), (0.75, 0.25), (1.0, 1.0)]);
/// ```
pub fn lorenz(values: &[f64], m: usize) -> Option<Vec<(f64, f64)>> {
    let n = values.len();
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    // Summed in ascending order, as the cumulative sums are: the last point is (1, 1) exactly.
    let total: f64 = sorted.iter().sum();
    if n == 0 || m == 0 || total <= 0.0 || !total.is_finite() {
        return None;
    }
    let mut cumulative = Vec::with_capacity(n + 1);
    cumulative.push(0.0);
    let mut s = 0.0;
    for x in &sorted {
        s += x;
        cumulative.push(s / total);
    }
    Some(
        (0..=m)
            .map(|t| {
                let p = t as f64 / m as f64;
                let h = p * n as f64;
                let lo = (h.floor() as usize).min(n);
                let hi = (lo + 1).min(n);
                let y = cumulative[lo] + (h - lo as f64) * (cumulative[hi] - cumulative[lo]);
                (p, y)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn between_the_users_the_curve_is_a_straight_line() {
        // 1, 3 (total 4): points (0, 0), (1/2, 1/4), (1, 1); at 1/4 half-way to 1/8.
        let curve = lorenz(&[3.0, 1.0], 4).unwrap();
        let want = [
            (0.0, 0.0),
            (0.25, 0.125),
            (0.5, 0.25),
            (0.75, 0.625),
            (1.0, 1.0),
        ];
        for ((p, y), (wp, wy)) in curve.iter().zip(want) {
            assert!(
                (p - wp).abs() < 1e-12 && (y - wy).abs() < 1e-12,
                "{curve:?}"
            );
        }
    }

    #[test]
    fn equal_utility_is_the_diagonal_and_no_utility_has_no_curve() {
        let curve = lorenz(&[2.0, 2.0, 2.0], 3).unwrap();
        assert!(curve.iter().all(|(p, y)| (p - y).abs() < 1e-12));
        assert_eq!(lorenz(&[0.0, 0.0], 3), None);
        assert_eq!(lorenz(&[], 3), None);
    }
}
