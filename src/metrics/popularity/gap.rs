//! GAP, the group average popularity of a user's list (GAP_r) and history (GAP_p), and ΔGAP of a
//! set of users (Abdollahpouri, Mansoury, Burke & Mobasher 2019, "The unfairness of popularity
//! bias in recommendation", RMSE workshop at RecSys '19, arXiv:1907.13286).

/// GAP_r of one user: the mean popularity share of the recommended items,
/// GAP_r(u) = Σ_{i∈L} φ(i) / |L| (Abdollahpouri et al. 2019, "The unfairness of popularity bias in
/// recommendation", arXiv:1907.13286; docs/metrics.md). Neutral by itself: an input of [`delta_gap`].
///
/// `phi` is φ(i) = pop(i) / U per dense item ([`Popularity::phi`](super::Popularity)). NaN for an
/// empty list.
///
/// ```
/// use recaudit::metrics::popularity::gap_r;
/// // φ = [1, 0.5, 0.25, 0]; list [0, 2]: (1 + 0.25) / 2
/// assert_eq!(gap_r(&[0, 2], &[1.0, 0.5, 0.25, 0.0]), 0.625);
/// assert!(gap_r(&[], &[1.0]).is_nan());
/// ```
pub fn gap_r(list: &[u32], phi: &[f64]) -> f64 {
    mean_phi(list, phi)
}

/// GAP_p of one user: the mean popularity share of the items of the user's history,
/// GAP_p(u) = Σ_{i∈H} φ(i) / |H|, H the history rows (duplicates kept: an item interacted with
/// twice counts twice) (Abdollahpouri et al. 2019, arXiv:1907.13286; docs/metrics.md). Neutral by itself:
/// an input of [`delta_gap`].
///
/// NaN for an empty history (a user without history, or no history table).
///
/// ```
/// use recaudit::metrics::popularity::gap_p;
/// // φ = [1, 0.5, 0.25, 0]; history [1, 1, 3]: (0.5 + 0.5 + 0) / 3
/// assert_eq!(gap_p(&[1, 1, 3], &[1.0, 0.5, 0.25, 0.0]), 1.0 / 3.0);
/// assert!(gap_p(&[], &[1.0]).is_nan());
/// ```
pub fn gap_p(history: &[u32], phi: &[f64]) -> f64 {
    mean_phi(history, phi)
}

/// Σ_{i∈items} φ(i) / |items|, NaN when `items` is empty.
fn mean_phi(items: &[u32], phi: &[f64]) -> f64 {
    if items.is_empty() {
        return f64::NAN;
    }
    items.iter().map(|&i| phi[i as usize]).sum::<f64>() / items.len() as f64
}

/// ΔGAP of a set of users (Abdollahpouri et al. 2019):
/// (mean_u GAP_r(u) − mean_u GAP_p(u)) / mean_u GAP_p(u).
///
/// Convention: each mean skips NaN on its own side, so GAP_r averages over the users with a
/// non-empty list and GAP_p over the users with history. `None` when either side has no user or
/// the mean GAP_p is 0. Negative values mean the lists are less popular than the users' histories.
///
/// ```
/// use recaudit::metrics::popularity::delta_gap;
/// // GAP_r = [0.2, 0.4], GAP_p = [0.5, NaN]: (0.3 − 0.5) / 0.5 = −0.4
/// let d = delta_gap(&[0.2, 0.4], &[0.5, f64::NAN], &[0, 1]).unwrap();
/// assert!((d + 0.4).abs() < 1e-15);
/// assert!(delta_gap(&[0.2], &[f64::NAN], &[0]).is_none());
/// ```
pub fn delta_gap(gap_r: &[f64], gap_p: &[f64], users: &[u32]) -> Option<f64> {
    let mean = |v: &[f64]| {
        let (s, n) = users
            .iter()
            .map(|&u| v[u as usize])
            .filter(|x| !x.is_nan())
            .fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
        (n > 0).then(|| s / n as f64)
    };
    let r = mean(gap_r)?;
    let p = mean(gap_p)?;
    (p != 0.0).then(|| (r - p) / p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gap_hand_worked() {
        // φ = [1, 0.5, 0.25, 0] (the popularity tests' dataset)
        let phi = [1.0, 0.5, 0.25, 0.0];
        assert_eq!(gap_r(&[0, 1], &phi), 0.75);
        assert_eq!(gap_r(&[2, 3], &phi), 0.125);
        // history [0, 0, 1]: duplicates kept → (1 + 1 + 0.5) / 3
        assert_eq!(gap_p(&[0, 0, 1], &phi), 2.5 / 3.0);
        assert_eq!(gap_p(&[0], &phi), 1.0);
    }

    #[test]
    fn gap_of_empty_rows_is_undefined() {
        assert!(gap_r(&[], &[1.0]).is_nan());
        assert!(gap_p(&[], &[1.0]).is_nan());
    }

    #[test]
    fn delta_gap_hand_worked() {
        // GAP_r [0.75, 0.125, 0.5], GAP_p [2.5/3, 1, NaN]:
        // mean GAP_r 0.458333 (3 users), mean GAP_p 0.916667 (2 users) → −0.5
        let r = [0.75, 0.125, 0.5];
        let p = [2.5 / 3.0, 1.0, f64::NAN];
        let d = delta_gap(&r, &p, &[0, 1, 2]).unwrap();
        assert!((d + 0.5).abs() < 1e-12, "{d}");
        // users 0 and 1 only: (0.4375 − 0.916667) / 0.916667
        let d = delta_gap(&r, &p, &[1, 0]).unwrap();
        assert!(
            (d - (0.4375 - 11.0 / 12.0) / (11.0 / 12.0)).abs() < 1e-12,
            "{d}"
        );
        // no GAP_p on the users' side, or a mean GAP_p of 0: undefined
        assert!(delta_gap(&r, &p, &[2]).is_none());
        assert!(delta_gap(&r, &[0.0, 0.0, 0.0], &[0, 1]).is_none());
        assert!(delta_gap(&r, &p, &[]).is_none());
    }
}
