//! Line charts over snapshots: the diversity of all users' lists, and each slice group's list
//! entropy.

use super::axis::axis_range;
use super::context::{chart, BuildContext};
use crate::format::fmt_value;
use crate::metrics::bubble::SnapshotValues;
use crate::report::charts::labels::{column_label, file_stem, truncate_label, verdict_word};
use crate::report::charts::layout::{NARROW, WIDE, X_AXIS};
use crate::report::charts::model::{Chart, LegendItem, LinePanel, Plot, Section, Series, Swatch};
use crate::report::charts::palette::SERIES;

/// `name: first → last` over the defined `values` (`name: no value` when none is defined).
fn first_to_last(name: &str, values: &[Option<f64>], percent: bool) -> String {
    let mut defined = values.iter().flatten();
    match (defined.next(), values.iter().rev().flatten().next()) {
        (Some(a), Some(b)) => format!(
            "{name} {} → {}",
            fmt_value(*a, percent),
            fmt_value(*b, percent)
        ),
        _ => format!("{name}: no value"),
    }
}

/// The over-time charts, when there are at least two snapshots: all users' diversity, then one
/// chart per slice column with at most as many groups as there are series colours.
pub(super) fn over_time_charts(cx: &BuildContext<'_>, out: &mut Vec<Chart>) {
    let result = cx.result;
    if let Some(ot) = &result.over_time {
        if ot.snapshots.len() >= 2 {
            let labels = ot.snapshots.clone();
            let panel = |heading: &str,
                         percent: bool,
                         f: &dyn Fn(&SnapshotValues) -> Option<f64>|
             -> Option<LinePanel> {
                let values: Vec<Option<f64>> = ot
                    .overall
                    .iter()
                    .map(|s| f(s).filter(|v| v.is_finite()))
                    .collect();
                if values.iter().all(Option::is_none) {
                    return None;
                }
                let range = axis_range(values.iter().flatten().copied(), true);
                Some(LinePanel {
                    heading: heading.into(),
                    percent,
                    x_title: "snapshot".into(),
                    x_labels: labels.clone(),
                    series: vec![Series {
                        name: "all users".into(),
                        values,
                        color: SERIES[0],
                    }],
                    range,
                })
            };
            let panels: Vec<LinePanel> = [
                panel("Mean list entropy (bits)", false, &|s| s.mean_list_entropy),
                panel("Personalisation (0–1)", false, &|s| s.personalisation),
                panel("Catalog coverage (%)", true, &|s| s.catalog_coverage),
            ]
            .into_iter()
            .flatten()
            .collect();
            if !panels.is_empty() {
                out.push(chart(
                    "over_time".into(),
                    Section::OverTime,
                    None,
                    format!(
                        "Diversity over {} snapshots (verdict: {})",
                        labels.len(),
                        verdict_word(&ot.overall_trend.verdict)
                    ),
                    "All users' lists per snapshot. Falling entropy means narrower lists.".into(),
                    format!(
                        "Diversity of all users' lists over {} snapshots ({} to {}): {}; verdict: {}.",
                        labels.len(),
                        truncate_label(&labels[0], 24),
                        truncate_label(&labels[labels.len() - 1], 24),
                        panels
                            .iter()
                            .map(|p| first_to_last(&p.heading, &p.series[0].values, p.percent))
                            .collect::<Vec<_>>()
                            .join("; "),
                        verdict_word(&ot.overall_trend.verdict)
                    ),
                    Vec::new(),
                    None,
                    WIDE,
                    34 + 300 + X_AXIS,
                    Plot::Lines(panels),
                ));
            }
            for (col, groups) in &ot.slices {
                let mut series: Vec<Series> = groups
                    .iter()
                    .enumerate()
                    .map(|(i, (g, t))| Series {
                        name: truncate_label(g, 20),
                        values: labels
                            .iter()
                            .map(|l| {
                                t.snapshots
                                    .iter()
                                    .find(|s| &s.label == l)
                                    .and_then(|s| s.mean_list_entropy)
                                    .filter(|v| v.is_finite())
                            })
                            .collect(),
                        color: SERIES[i % SERIES.len()],
                    })
                    .filter(|s| s.values.iter().any(Option::is_some))
                    .collect();
                if series.is_empty() || series.len() > SERIES.len() {
                    continue;
                }
                series.sort_by(|a, b| a.name.cmp(&b.name));
                let range = axis_range(
                    series
                        .iter()
                        .flat_map(|s| s.values.iter().flatten().copied()),
                    true,
                );
                let legend = series
                    .iter()
                    .map(|s| LegendItem {
                        color: s.color,
                        swatch: Swatch::Line,
                        label: s.name.clone(),
                    })
                    .collect();
                let title = format!("List diversity over snapshots by {}", column_label(col));
                let description = format!(
                    "{title}: mean category entropy of each group's lists per snapshot; {}.",
                    series
                        .iter()
                        .map(|s| first_to_last(&s.name, &s.values, false))
                        .collect::<Vec<_>>()
                        .join("; ")
                );
                out.push(chart(
                    format!("over_time_{}", file_stem(col)),
                    Section::OverTime,
                    Some(col.clone()),
                    title,
                    "Mean category entropy of the group's lists per snapshot.".into(),
                    description,
                    legend,
                    cx.suppressed_note_of(col),
                    NARROW,
                    34 + 260 + X_AXIS,
                    Plot::Lines(vec![LinePanel {
                        heading: "Mean list entropy (bits)".into(),
                        percent: false,
                        x_title: "snapshot".into(),
                        x_labels: labels.clone(),
                        series,
                        range,
                    }]),
                ));
            }
        }
    }
}
