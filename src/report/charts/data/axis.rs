//! Axis ranges and interval whiskers: where the data of a chart starts and ends.

use crate::report::charts::model::GroupBar;
use crate::stats::Estimate;

/// The interval of `e` as a whisker (low, high), widened to contain the value; `None` when either
/// bound is undefined or not finite.
pub fn whisker(e: &Estimate) -> Option<(f64, f64)> {
    let (lo, hi) = (e.ci_low?, e.ci_high?);
    if !lo.is_finite() || !hi.is_finite() {
        return None;
    }
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    match e.value {
        Some(v) if v.is_finite() => Some((lo.min(v), hi.max(v))),
        _ => Some((lo, hi)),
    }
}

/// An axis range covering `values`: anchored at 0 when `from_zero` (bars), padded by 5% of the
/// span elsewhere; never empty.
pub fn axis_range(values: impl IntoIterator<Item = f64>, from_zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if from_zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    let mut span = hi - lo;
    if span <= 0.0 {
        span = hi.abs().max(1e-3);
        if !from_zero || lo < 0.0 {
            lo -= span * 0.5;
        }
        hi += span * 0.5;
        return (lo, hi);
    }
    let pad = span * 0.05;
    let lo = if from_zero && lo >= 0.0 { lo } else { lo - pad };
    let hi = if from_zero && hi <= 0.0 { hi } else { hi + pad };
    (lo, hi)
}

/// Range of a bar panel: the bars, their whiskers and the reference line, from zero.
pub fn bar_range(bars: &[GroupBar], reference: Option<f64>) -> (f64, f64) {
    let values = bars
        .iter()
        .flat_map(|b| {
            let (l, h) = b.whisker.unwrap_or((b.value, b.value));
            [b.value, l, h]
        })
        .chain(reference);
    axis_range(values, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::charts::data::bars::metric_bars;
    use crate::report::test_support::{est, gender_metric};

    #[test]
    fn whiskers_need_both_bounds_and_contain_the_value() {
        assert_eq!(whisker(&est(0.5, 0.4, 0.6, 1)), Some((0.4, 0.6)));
        // Swapped bounds are ordered; a value outside its interval widens it.
        assert_eq!(whisker(&est(0.5, 0.6, 0.4, 1)), Some((0.4, 0.6)));
        assert_eq!(whisker(&est(0.7, 0.4, 0.6, 1)), Some((0.4, 0.7)));
        let mut e = est(0.5, 0.4, 0.6, 1);
        e.ci_high = None;
        assert_eq!(whisker(&e), None);
        assert_eq!(whisker(&est(0.5, f64::NAN, 0.6, 1)), None);
    }

    proptest::proptest! {
        /// Every bar, its whisker (from any interval, bounds in either order) and the reference
        /// line are inside the bar range: no whisker is cut at the axis edge.
        #[test]
        fn the_bar_range_contains_every_whisker(
            rows in proptest::collection::vec((-5.0f64..5.0, -5.0f64..5.0, -5.0f64..5.0), 1..10),
            reference in proptest::option::of(-5.0f64..5.0),
        ) {
            let bars: Vec<GroupBar> = rows
                .iter()
                .map(|&(v, lo, hi)| GroupBar {
                    label: "g".into(),
                    value: v,
                    whisker: whisker(&est(v, lo, hi, 1)),
                    standing: crate::report::charts::Standing::NotSignificant,
                })
                .collect();
            let (lo, hi) = bar_range(&bars, reference);
            proptest::prop_assert!(lo <= 0.0 && 0.0 <= hi && lo < hi);
            for b in &bars {
                let (l, h) = b.whisker.unwrap();
                proptest::prop_assert!(lo <= l && l <= b.value && b.value <= h && h <= hi);
            }
            if let Some(r) = reference {
                proptest::prop_assert!(lo <= r && r <= hi);
            }
        }
    }

    #[test]
    fn axis_ranges_anchor_bars_at_zero_and_are_never_empty() {
        assert_eq!(axis_range([0.2, 0.5], true), (0.0, 0.5 + 0.025));
        let (lo, hi) = axis_range([-0.3, -0.1], true);
        assert!((lo - (-0.315)).abs() < 1e-12 && hi == 0.0);
        let (lo, hi) = axis_range([2.0, 3.0], false);
        assert!((lo - 1.95).abs() < 1e-12 && (hi - 3.05).abs() < 1e-12);
        let (lo, hi) = axis_range([0.0, 0.0], true);
        assert!(lo == 0.0 && hi > 0.0);
        assert_eq!(axis_range([f64::NAN], true), (0.0, 1.0));
        // Whiskers and the reference line are inside the bar range.
        let bars = metric_bars(&gender_metric(), "gender");
        let (lo, hi) = bar_range(&bars, Some(0.9));
        assert_eq!(lo, 0.0);
        assert!(hi >= 0.9);
    }
}
