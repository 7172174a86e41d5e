//! Tests of the at-a-glance chart's data.

use proptest::prelude::*;

use super::*;
use crate::metrics::Better;
use crate::report::charts::data::build_charts;
use crate::report::test_support::{comparison, est, gender_metric, tiny_result};

/// The tiny result with NDCG (higher is better) and the share narrowed (lower is better) in
/// `gender`, both with groups a (n.s.), b (significant, half the reference) and ref, and c
/// without a mean; and one suppressed group in the slice summary.
fn two_families() -> AuditResult {
    let mut result = tiny_result();
    result.metrics.insert("ndcg".into(), gender_metric());
    let mut narrowed = gender_metric();
    narrowed.family = "bubble".into();
    narrowed.better = Better::Lower;
    result.metrics.insert("narrowed".into(), narrowed);
    // A metric of a family already shown is not drawn twice.
    result.metrics.insert("recall".into(), gender_metric());
    let summary = serde_json::json!({
        "columns": ["gender"],
        "groups": {"a": {"n_users": 30}, "b": {"n_users": 40}, "ref": {"n_users": 50}},
        "groups_too_small": 1,
        "groups_withheld": 0
    });
    result
        .slices
        .insert("gender".into(), serde_json::from_value(summary).unwrap());
    result
}

#[test]
fn one_row_per_published_group_and_one_cell_per_family_metric() {
    let result = two_families();
    let keys = glance_metrics(&result);
    assert_eq!(keys, ["ndcg", "narrowed"]);
    let (panel, hidden) = glance_panel(&result, &keys, "gender");
    assert_eq!(hidden, 0);
    // a, b and ref are compared; c has no mean and the suppressed group is nowhere.
    let labels: Vec<&str> = panel.rows.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(labels, ["a", "b", "ref"]);
    assert!(panel.rows.iter().all(|r| r.cells.len() == keys.len()));
    let standing =
        |row: usize, metric: usize| panel.rows[row].cells[metric].as_ref().unwrap().standing;
    // b is half the reference: worse on NDCG (higher is better), better on the share narrowed.
    assert_eq!(standing(1, 0), Standing::Worse);
    assert_eq!(standing(1, 1), Standing::Better);
    assert_eq!(standing(0, 0), Standing::NotSignificant);
    assert_eq!(standing(2, 0), Standing::Reference);
    let b = panel.rows[1].cells[0].as_ref().unwrap();
    assert_eq!((b.ratio, b.whisker), (Some(0.5), Some((0.3, 0.7))));
    assert_eq!(panel.rows[2].cells[0].as_ref().unwrap().ratio, Some(1.0));

    let charts = build_charts(&result);
    let glance = charts.iter().find(|c| c.name == "at_a_glance").unwrap();
    assert_eq!(glance.section, Section::Disparity);
    let Plot::Glance(plot) = &glance.plot else {
        panic!("not a glance plot")
    };
    let cells: usize = plot
        .panels
        .iter()
        .flat_map(|p| &p.rows)
        .map(|r| r.cells.iter().flatten().count())
        .sum();
    assert_eq!(cells, 2 * 3, "2 family metrics × 3 published groups");
    assert_eq!(
        plot.metrics
            .iter()
            .map(|m| m.direction.as_str())
            .collect::<Vec<_>>(),
        ["↑ better", "↓ better"]
    );
    // The suppressed group is counted in the footnote, never named.
    assert!(glance
        .footnote
        .as_deref()
        .unwrap()
        .starts_with("1 group not shown"));
    assert!(glance
        .description
        .contains("1 of 4 comparisons are significantly worse than the reference, farthest gender b on NDCG@10 (0.500× the reference, interval 0.300 to 0.700)"));
}

#[test]
fn groups_past_the_chart_s_rows_are_counted_and_the_whole_footnote_is_drawn() {
    // a, b, ref and twelve more compared groups: 15 rows, 3 of them left to the tables; then
    // one more compared group dropped: "1 more group".
    let mut result = two_families();
    for k in ["ndcg", "narrowed"] {
        let d = result
            .metrics
            .get_mut(k)
            .unwrap()
            .slices
            .get_mut("gender")
            .unwrap()
            .disparity
            .as_mut()
            .unwrap();
        for i in 0..12 {
            let e = est(0.4, 0.35, 0.45, 30);
            d.groups.insert(
                format!("occupation {i:02}"),
                comparison(e, est(1.0, 0.9, 1.1, 30), false),
            );
        }
    }
    let glance = |result: &AuditResult| {
        build_charts(result)
            .into_iter()
            .find(|c| c.name == "at_a_glance")
            .unwrap()
    };
    let chart = glance(&result);
    let footnote = chart.footnote.clone().unwrap();
    assert!(
        footnote.ends_with(" 3 more groups are in the tables."),
        "{footnote}"
    );
    // The two notes take three lines of the narrow chart; none is cut.
    let lines = crate::report::charts::layout::Frame::of(&chart.plot, chart.width)
        .footnote_lines(&footnote);
    assert!(
        lines.len() <= 3 && lines.iter().all(|l| !l.ends_with('…')),
        "{lines:?}"
    );
    assert_eq!(lines.join(" "), footnote);

    for k in ["ndcg", "narrowed"] {
        let slice = result.metrics.get_mut(k).unwrap().slices.get_mut("gender");
        let d = slice.unwrap().disparity.as_mut().unwrap();
        d.groups.remove("occupation 00");
        d.groups.remove("occupation 01");
    }
    let footnote = glance(&result).footnote.unwrap();
    assert!(
        footnote.ends_with(" 1 more group is in the tables."),
        "{footnote}"
    );
}

#[test]
fn no_chart_without_a_ratio() {
    assert!(glance_metrics(&tiny_result()).is_empty());
    assert!(build_charts(&tiny_result()).is_empty());
}

#[test]
fn the_axis_of_a_tiny_spread_still_shows_the_band_and_parity() {
    let (lo, hi) = glance_range([], (0.8, 1.25));
    assert!((lo - 0.8 / 1.1).abs() < 1e-12 && (hi - 1.25 * 1.1).abs() < 1e-12);
}

proptest! {
    /// The axis covers every ratio and interval bound within the limits, 1 and the band, and
    /// never passes the limits.
    #[test]
    fn the_ratio_axis_covers_every_interval_on_the_scale(
        cells in proptest::collection::vec(
            (-8.0f64..8.0, -8.0f64..8.0, -8.0f64..8.0, proptest::bool::ANY),
            0..12,
        )
    ) {
        let cells: Vec<GlanceCell> = cells
            .into_iter()
            .map(|(r, a, b, has)| {
                let (r, a, b) = (r.exp2(), a.exp2(), b.exp2());
                GlanceCell {
                    ratio: Some(r),
                    whisker: has.then(|| (a.min(b).min(r), a.max(b).max(r))),
                    standing: Standing::NotSignificant,
                }
            })
            .collect();
        let (lo, hi) = glance_range(&cells, (0.8, 1.25));
        prop_assert!(lo >= GLANCE_LIMITS.0 && hi <= GLANCE_LIMITS.1 && lo < 0.8 && hi > 1.25);
        for c in &cells {
            let (a, b) = c.whisker.unwrap_or((c.ratio.unwrap(), c.ratio.unwrap()));
            for v in [a, b, c.ratio.unwrap()] {
                let on_scale = v.clamp(GLANCE_LIMITS.0, GLANCE_LIMITS.1);
                prop_assert!(lo <= on_scale && on_scale <= hi, "{v} outside {lo}..{hi}");
            }
        }
    }
}
