//! Bar charts: one bar per slice group (its mean with interval), coloured by where it stands
//! against the reference group of the metric (worse, better, not significant; the reference
//! outlined). The key quality metric and the share of users with narrowed lists get one
//! panel per slice column; popularity gets ARP and the long-tail share side by side.

use std::collections::BTreeSet;

use super::axis::{bar_range, whisker};
use super::context::{chart, BuildContext};
use super::describe::{bars_reading, legend_of};
use super::omitted::{cap_rows, MAX_ROWS};
use crate::format::fmt_short;
use crate::report::charts::labels::{column_label, file_stem};
use crate::report::charts::layout::{NARROW, ROW, WIDE, X_AXIS};
use crate::report::charts::model::{BarPanel, Chart, GroupBar, Plot, Section};
use crate::report::charts::standing::Standing;
use crate::report::{metric_info, metric_label};
use crate::result::{AuditResult, MetricResult};

/// Bars of metric `m` in slice column `column`: every unsuppressed group with a defined mean,
/// sorted by mean, highest first (ties by label), each with its [`Standing`] against the
/// metric's reference group. Suppressed groups are absent from the result already; groups whose
/// mean is undefined are left out.
pub fn metric_bars(m: &MetricResult, column: &str) -> Vec<GroupBar> {
    let Some(sm) = m.slices.get(column) else {
        return Vec::new();
    };
    let disparity = sm.disparity.as_ref();
    let mut bars: Vec<GroupBar> = sm
        .groups
        .iter()
        .filter_map(|(label, e)| {
            let value = e.value.filter(|v| v.is_finite())?;
            let standing = disparity
                .and_then(|d| {
                    let g = d.groups.get(label)?;
                    Some(Standing::of(m.better, &d.reference == label, g))
                })
                .unwrap_or(Standing::NotSignificant);
            Some(GroupBar {
                label: crate::slices::display_key(label),
                value,
                whisker: whisker(e),
                standing,
            })
        })
        .collect();
    bars.sort_by(|a, b| {
        b.value
            .total_cmp(&a.value)
            .then_with(|| a.label.cmp(&b.label))
    });
    bars
}

/// The mean of the reference group of `m` in `column`, when defined.
pub fn reference_value(m: &MetricResult, column: &str) -> Option<f64> {
    let d = m.slices.get(column)?.disparity.as_ref()?;
    d.groups
        .get(&d.reference)?
        .estimate
        .value
        .filter(|v| v.is_finite())
}

/// A one-metric bar panel for `col`, `None` when no group has a value.
fn metric_panel(result: &AuditResult, name: &str, col: &str, heading: bool) -> Option<BarPanel> {
    let m = result.metrics.get(name)?;
    let mut bars = metric_bars(m, col);
    if bars.is_empty() {
        return None;
    }
    cap_rows(&mut bars, MAX_ROWS);
    let info = metric_info(name);
    let label = metric_label(name, result.settings.k);
    let reference = reference_value(m, col);
    let axis = match info {
        Some(d) => format!("{label} ({})", d.unit),
        None => label.clone(),
    };
    Some(BarPanel {
        heading: if heading { label } else { String::new() },
        axis,
        percent: info.is_some_and(|d| d.percent),
        range: bar_range(&bars, reference),
        bars,
        reference,
    })
}

/// Height of the plot of bar `panels` side by side.
fn bars_body(panels: &[BarPanel]) -> u32 {
    let rows = panels.iter().map(|p| p.bars.len()).max().unwrap_or(1) as u32;
    let top = if panels.iter().any(|p| !p.heading.is_empty()) {
        34
    } else {
        8
    };
    top + rows * ROW + X_AXIS
}

/// Charts of the key metric `key`: one per slice column, highest mean first.
pub(super) fn quality_charts(cx: &BuildContext<'_>, key: &str, out: &mut Vec<Chart>) {
    let label = metric_label(key, cx.k);
    let lvl = &cx.level;
    one_chart_per_column(
        cx,
        key,
        Section::Quality,
        &format!("Mean per user, {lvl} interval as whiskers, highest first."),
        |col| {
            (
                format!("{}_{}", file_stem(key), file_stem(col)),
                format!("{label} by {}", column_label(col)),
            )
        },
        out,
    );
}

/// Charts of the share of users whose lists are narrower than their history, one per slice
/// column.
pub(super) fn narrowing_charts(cx: &BuildContext<'_>, out: &mut Vec<Chart>) {
    let b = &cx.result.settings.bubble;
    one_chart_per_column(
        cx,
        "narrowed",
        Section::Bubble,
        &format!(
            "Share of users whose list is under {}× as diverse as their history (≥ {} items).",
            fmt_short(b.narrowing_threshold),
            b.min_history
        ),
        |col| {
            (
                format!("narrowing_{}", file_stem(col)),
                format!("Users with narrowed lists by {}", column_label(col)),
            )
        },
        out,
    );
}

/// One single-panel chart of metric `name` per slice column where a group has a value;
/// `stem_and_title` gives a column's file stem and title.
fn one_chart_per_column(
    cx: &BuildContext<'_>,
    name: &str,
    section: Section,
    subtitle: &str,
    stem_and_title: impl Fn(&str) -> (String, String),
    out: &mut Vec<Chart>,
) {
    let Some(m) = cx.result.metrics.get(name) else {
        return;
    };
    for col in m.slices.keys() {
        let Some(panel) = metric_panel(cx.result, name, col, false) else {
            continue;
        };
        let (stem, title) = stem_and_title(col);
        let description = format!(
            "{title}: {}",
            bars_reading(std::slice::from_ref(&panel), &cx.level)
        );
        out.push(chart(
            stem,
            section,
            Some(col.clone()),
            title,
            subtitle.to_string(),
            description,
            legend_of(std::slice::from_ref(&panel)),
            cx.suppressed_note_of(col),
            NARROW,
            bars_body(std::slice::from_ref(&panel)),
            Plot::Bars(vec![panel]),
        ));
    }
}

/// Charts of popularity per slice column: ARP and the long-tail share side by side.
pub(super) fn popularity_charts(cx: &BuildContext<'_>, out: &mut Vec<Chart>) {
    let result = cx.result;
    let lvl = &cx.level;
    let pop_cols: Vec<String> = ["arp", "aplt"]
        .iter()
        .filter_map(|n| result.metrics.get(*n))
        .flat_map(|m| m.slices.keys().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for col in &pop_cols {
        let panels: Vec<BarPanel> = ["arp", "aplt"]
            .iter()
            .filter_map(|n| metric_panel(result, n, col, true))
            .collect();
        if panels.is_empty() {
            continue;
        }
        let title = format!("Popularity of recommendations by {}", column_label(col));
        let description = format!("{title}: {}", bars_reading(&panels, lvl));
        out.push(chart(
            format!("popularity_{}", file_stem(col)),
            Section::Popularity,
            Some(col.clone()),
            title,
            format!("Mean per user, {lvl} interval. Lower ARP and a higher long-tail share mean less popularity bias."),
            description,
            legend_of(&panels),
            cx.suppressed_note_of(col),
            WIDE,
            bars_body(&panels),
            Plot::Bars(panels),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::test_support::gender_metric;

    #[test]
    fn bars_are_sorted_highest_first_with_roles_and_undefined_left_out() {
        let bars = metric_bars(&gender_metric(), "gender");
        let labels: Vec<&str> = bars.iter().map(|b| b.label.as_str()).collect();
        assert_eq!(labels, ["a", "ref", "b"]);
        // b is significantly lower on a higher-is-better metric: worse.
        assert_eq!(
            bars.iter().map(|b| b.standing).collect::<Vec<_>>(),
            [
                Standing::NotSignificant,
                Standing::Reference,
                Standing::Worse
            ]
        );
        assert_eq!(bars[2].whisker, Some((0.1, 0.3)));
        assert!(metric_bars(&gender_metric(), "no such column").is_empty());
        assert_eq!(reference_value(&gender_metric(), "gender"), Some(0.4));
    }
}
