//! The share of a group's users in the worst decile of all users (Ekstrand et al. 2024, ACM TORS:
//! who is among the users the system serves worst).
//!
//! # Formula
//! The cut-off c is the type-7 10th percentile of the metric over all audited users with a
//! defined value when higher is better (the 90th when lower is better). A user is in the worst
//! decile when x_u ≤ c (x_u ≥ c when lower is better): users tied at the cut-off are all in, so
//! the overall share is at least 10% and can be much more when many users share the worst value
//! (e.g. every user with NDCG 0). A group's share is the fraction of its users with a defined
//! value who are in the worst decile; a share above the overall one means the group is
//! over-represented among the worst served. Undefined for metrics where neither direction is
//! better, and for a group with no defined value.

use crate::metrics::Better;
use crate::stats::quantile_unsorted;

/// The worst-decile cut-off of `values` (every audited user's value, NaN = undefined): their 10th
/// percentile when higher is better, 90th when lower is better; `None` for a neutral metric or
/// when no value is defined.
///
/// ```
/// use recaudit::metrics::Better;
/// use recaudit::stats::distribution::worst_decile_cut;
/// let x = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
/// assert_eq!(worst_decile_cut(&x, Better::Higher), Some(1.0));
/// assert_eq!(worst_decile_cut(&x, Better::Lower), Some(9.0));
/// ```
pub fn worst_decile_cut(values: &[f64], better: Better) -> Option<f64> {
    let q = match better {
        Better::Higher => 0.1,
        Better::Lower => 0.9,
        _ => return None,
    };
    let mut defined: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    quantile_unsorted(&mut defined, q)
}

/// Whether a defined value `x` is in the worst decile of cut-off `cut` (ties at the cut-off are
/// in).
pub fn in_worst_decile(x: f64, cut: f64, better: Better) -> bool {
    match better {
        Better::Lower => x >= cut,
        _ => x <= cut,
    }
}

/// The share of the defined `values` of a group in the worst decile of cut-off `cut`; `None`
/// when none is defined.
pub fn worst_decile_share(values: &[f64], cut: f64, better: Better) -> Option<f64> {
    let (mut defined, mut worst) = (0usize, 0usize);
    for &x in values.iter().filter(|x| !x.is_nan()) {
        defined += 1;
        worst += usize::from(in_worst_decile(x, cut, better));
    }
    (defined > 0).then(|| worst as f64 / defined as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_at_the_cut_off_are_all_in() {
        // NDCG of 10 users, four of them 0: the 10th percentile is 0 (h = 0.9 between two 0s),
        // so all four are in the worst decile, 40% of everyone.
        let all = [0.0, 0.0, 0.0, 0.0, 0.2, 0.4, 0.5, 0.6, 0.8, 1.0];
        let cut = worst_decile_cut(&all, Better::Higher).unwrap();
        assert_eq!(cut, 0.0);
        assert_eq!(worst_decile_share(&all, cut, Better::Higher), Some(0.4));
        // A group of three with one 0 and one undefined: 1 of its 2 defined users.
        let group = [0.0, f64::NAN, 0.6];
        assert_eq!(worst_decile_share(&group, cut, Better::Higher), Some(0.5));
    }

    #[test]
    fn lower_is_better_takes_the_top_decile() {
        // 1 … 10: the 90th percentile is 9.1 (h = 8.1); only 10 is at or above it.
        let all: Vec<f64> = (1..=10).map(f64::from).collect();
        let cut = worst_decile_cut(&all, Better::Lower).unwrap();
        assert!((cut - 9.1).abs() < 1e-12);
        assert_eq!(
            worst_decile_share(&[10.0, 2.0], cut, Better::Lower),
            Some(0.5)
        );
        assert_eq!(worst_decile_share(&[f64::NAN], cut, Better::Lower), None);
    }
}
