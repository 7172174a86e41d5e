//! The ratio chart: each non-reference group's mean relative to its reference group, against the
//! four-fifths band.

use super::axis::{axis_range, whisker};
use super::context::{chart, BuildContext};
use super::omitted::{cap_rows, hidden_note, MAX_ROWS};
use crate::format::fmt_short;
use crate::report::charts::labels::{file_stem, truncate_label};
use crate::report::charts::layout::{WIDE, X_AXIS};
use crate::report::charts::model::{
    Chart, LegendItem, Plot, RatioPlot, RatioPoint, Section, Swatch,
};
use crate::report::charts::palette::{BAND, BLUE, TEXT, VERMILLION};
use crate::report::metric_label;
use crate::result::AuditResult;

/// Ratios to the reference of metric `name` for every non-reference group of every slice column,
/// labelled `column: group` (each part cut to 12 characters), lowest ratio first (ties by label).
/// Groups whose ratio is undefined are left out.
pub fn ratio_points(result: &AuditResult, name: &str) -> Vec<RatioPoint> {
    let Some(m) = result.metrics.get(name) else {
        return Vec::new();
    };
    let mut points: Vec<RatioPoint> = m
        .slices
        .iter()
        .filter_map(|(col, sm)| sm.disparity.as_ref().map(|d| (col, d)))
        .flat_map(|(col, d)| {
            d.groups
                .iter()
                .filter(|(label, _)| **label != d.reference)
                .filter_map(move |(label, g)| {
                    let ratio = g.ratio.value.filter(|v| v.is_finite())?;
                    Some(RatioPoint {
                        label: format!(
                            "{}: {}",
                            truncate_label(col, 12),
                            truncate_label(label, 12)
                        ),
                        ratio,
                        whisker: whisker(&g.ratio),
                        significant: g.significant,
                    })
                })
        })
        .collect();
    points.sort_by(|a, b| {
        a.ratio
            .total_cmp(&b.ratio)
            .then_with(|| a.label.cmp(&b.label))
    });
    points
}

/// Range of a ratio plot: the points, whiskers, 1 and the band, padded.
pub fn ratio_range(points: &[RatioPoint], band: (f64, f64)) -> (f64, f64) {
    let values = points
        .iter()
        .flat_map(|p| {
            let (l, h) = p.whisker.unwrap_or((p.ratio, p.ratio));
            [p.ratio, l, h]
        })
        .chain([band.0, band.1, 1.0]);
    let (lo, hi) = axis_range(values, false);
    (
        lo.max(0.0).min(band.0 - 0.1).max(0.0),
        hi.max(band.1 + 0.1).min(RATIO_AXIS_MAX),
    )
}

/// The ratio axis stops here so that the band stays readable; larger ratios are drawn as arrows
/// at the edge, labelled with their value.
pub const RATIO_AXIS_MAX: f64 = 3.0;

/// The ratio chart of the key metric `key`, when a group has a ratio.
pub(super) fn ratio_chart(cx: &BuildContext<'_>, key: &str, out: &mut Vec<Chart>) {
    let result = cx.result;
    let label = metric_label(key, cx.k);
    let lvl = &cx.level;
    let mut points = ratio_points(result, key);
    let hidden = cap_rows(&mut points, MAX_ROWS);
    if !points.is_empty() {
        let ff = result.settings.stats.four_fifths;
        let band = (ff, 1.0 / ff);
        let range = ratio_range(&points, band);
        let body = 8 + points.len() as u32 * 32 + X_AXIS;
        out.push(chart(
            format!("{}_ratios", file_stem(key)),
            Section::Disparity,
            None,
            format!("{label}: each group relative to its reference group"),
            format!(
                "Group mean ÷ reference mean, {lvl} interval; shaded: {} to {}.",
                fmt_short(band.0),
                fmt_short(band.1)
            ),
            vec![
                LegendItem {
                    color: BAND,
                    swatch: Swatch::Box,
                    label: format!(
                        "four-fifths band {} to {}",
                        fmt_short(band.0),
                        fmt_short(band.1)
                    ),
                },
                LegendItem {
                    color: BLUE,
                    swatch: Swatch::Dot,
                    label: "inside band".into(),
                },
                LegendItem {
                    color: VERMILLION,
                    swatch: Swatch::Dot,
                    label: "outside band".into(),
                },
                LegendItem {
                    color: TEXT,
                    swatch: Swatch::Hollow,
                    label: "hollow: not significant".into(),
                },
            ],
            hidden_note(hidden, "groups"),
            WIDE,
            body,
            Plot::Ratios(RatioPlot {
                axis: format!("{label}: group mean ÷ reference group mean (1 = parity)"),
                points,
                band,
                range,
            }),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::test_support::{gender_metric, tiny_result};

    #[test]
    fn ratio_points_skip_the_reference_and_sort_lowest_first() {
        let mut result = tiny_result();
        result.metrics.insert("ndcg".into(), gender_metric());
        let pts = ratio_points(&result, "ndcg");
        let labels: Vec<&str> = pts.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, ["gender: b", "gender: a"]);
        assert!(pts[0].significant && !pts[1].significant);
        assert_eq!(pts[0].whisker, Some((0.3, 0.7)));
        let (lo, hi) = ratio_range(&pts, (0.8, 1.25));
        assert!((0.0..=0.3).contains(&lo) && hi >= 1.5);
        // Extreme ratios do not stretch the axis past RATIO_AXIS_MAX.
        let far = [RatioPoint {
            label: "x".into(),
            ratio: 10.0,
            whisker: Some((6.0, 20.0)),
            significant: true,
        }];
        assert_eq!(ratio_range(&far, (0.8, 1.25)).1, RATIO_AXIS_MAX);
        assert!(ratio_points(&result, "absent").is_empty());
    }
}
