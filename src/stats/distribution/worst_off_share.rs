//! The worst-off group's share of the total utility of a slice column (max-min fairness: how well
//! the system serves the group it serves worst; Ekstrand et al. 2024, ACM TORS; Rawls 1971).
//!
//! # Formula
//! Over the published groups g of a column, with U_g = Σ_{u∈g} x_u the group's total utility
//! (over its users with a defined value) and n_g their number, the worst-off group is the one
//! with the lowest mean U_g / n_g (the first in column order on a tie), and its share of the
//! total utility is U_w / Σ_g U_g. Read it against its share of the users, n_w / Σ_g n_g: equal
//! shares mean the group gets as much per user as everyone else. Undefined when no group is
//! given or the total utility is 0.

/// The worst-off group of `groups` (per group, its users' defined values) and its share of the
/// total: `(index, U_w / Σ U_g, n_w / Σ n_g)`. Groups with no value are skipped; `None` when no
/// group has a value or the total is 0.
///
/// ```
/// use recaudit::stats::distribution::worst_off_share;
/// // Means 0.5, 0.2, 0.4: the second group is worst off, with 0.4 of the 3.0 total utility.
/// let (w, share, users) = worst_off_share(&[&[0.5, 0.5], &[0.2, 0.2], &[0.4, 0.4, 0.4, 0.4]])
///     .unwrap();
/// assert_eq!(w, 1);
/// assert!((share - 0.4 / 3.0).abs() < 1e-12 && (users - 0.25).abs() < 1e-12);
/// ```
pub fn worst_off_share(groups: &[&[f64]]) -> Option<(usize, f64, f64)> {
    let totals: Vec<(f64, usize)> = groups.iter().map(|v| (v.iter().sum(), v.len())).collect();
    worst_off_of_totals(&totals)
}

/// [`worst_off_share`] of groups given by their totals and sizes, (Σ values, n) per group.
pub fn worst_off_of_totals(totals: &[(f64, usize)]) -> Option<(usize, f64, f64)> {
    let total: f64 = totals.iter().map(|t| t.0).sum();
    let users: usize = totals.iter().map(|t| t.1).sum();
    if total <= 0.0 || !total.is_finite() {
        return None;
    }
    let mut worst: Option<(usize, f64)> = None;
    for (g, &(sum, n)) in totals.iter().enumerate() {
        if n == 0 {
            continue;
        }
        let mean = sum / n as f64;
        if worst.is_none_or(|(_, m)| mean < m) {
            worst = Some((g, mean));
        }
    }
    let (w, _) = worst?;
    Some((w, totals[w].0 / total, totals[w].1 as f64 / users as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_means_give_the_first_group_its_share_of_users() {
        // Both means 1: the first group is worst off; it holds 1 of 3 users and 1 of 3 units.
        let (w, share, users) = worst_off_share(&[&[1.0], &[1.0, 1.0]]).unwrap();
        assert_eq!(w, 0);
        assert!((share - 1.0 / 3.0).abs() < 1e-12 && (users - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn empty_groups_are_skipped_and_no_utility_is_undefined() {
        // Means 0.1 and 0.3 (the empty group skipped): 0.2 of the 0.8 total.
        let (w, share, _) = worst_off_share(&[&[], &[0.1, 0.1], &[0.3, 0.3]]).unwrap();
        assert_eq!(w, 1);
        assert!((share - 0.25).abs() < 1e-12);
        assert_eq!(worst_off_share(&[&[0.0], &[0.0]]), None);
        assert_eq!(worst_off_share(&[]), None);
    }
}
