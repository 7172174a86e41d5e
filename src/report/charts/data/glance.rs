//! The at-a-glance chart: for each family's key metric, each published group's ratio to the
//! reference group of that metric (the best-off group by default) with its interval, a panel
//! per slice column. It replaces a chart of one metric's ratios: every family is compared at
//! once, in the report's visual language.

use std::collections::BTreeSet;

use super::axis::whisker;
use super::context::{chart, BuildContext};
use super::describe::{join_names, standing_legend};
use super::omitted::{join_notes, suppressed_groups, suppressed_note};
use crate::format::{fmt_ratio, fmt_short};
use crate::metrics::registry::{self, Family};
use crate::metrics::Better;
use crate::report::charts::labels::{column_label, truncate_label};
use crate::report::charts::layout::{glance_body, NARROW};
use crate::report::charts::model::{
    Chart, GlanceCell, GlanceMetric, GlancePanel, GlancePlot, GlanceRow, Plot, Section,
};
use crate::report::charts::standing::Standing;
use crate::report::metric_label;
use crate::result::{AuditResult, MetricResult};

/// The families of the chart, left to right, each with its preferred key metrics in order; a
/// family none of whose preferred metrics is present falls back to its first metric with a
/// better direction.
const FAMILIES: [(Family, &[&str]); 5] = [
    (
        Family::Quality,
        &["ndcg", "recall", "hit", "precision", "mrr"],
    ),
    (Family::Popularity, &["arp", "aplt"]),
    (Family::Diversity, &["ild", "list_entropy"]),
    (Family::Calibration, &["miscalibration"]),
    (Family::Bubble, &["narrowed"]),
];

/// The ratio axis never goes past these bounds (a log scale cannot show 0); a whisker beyond is
/// drawn as an arrow at the edge, labelled with its value.
pub const GLANCE_LIMITS: (f64, f64) = (1.0 / 64.0, 64.0);

/// Most groups a panel draws; the others are counted in the footnote.
pub const GLANCE_ROWS: usize = 12;

/// Whether metric `m` has a ratio to compare in some slice column.
fn has_ratios(m: &MetricResult) -> bool {
    m.slices.values().any(|s| {
        s.disparity.as_ref().is_some_and(|d| {
            d.groups
                .iter()
                .any(|(g, c)| *g != d.reference && c.ratio.value.is_some_and(f64::is_finite))
        })
    })
}

/// The key metric of each family present in `result`, in [`FAMILIES`] order.
pub fn glance_metrics(result: &AuditResult) -> Vec<&str> {
    FAMILIES
        .iter()
        .filter_map(|(family, preferred)| {
            let ok = |k: &str| result.metrics.get(k).is_some_and(has_ratios);
            preferred.iter().copied().find(|k| ok(k)).or_else(|| {
                result.metrics.keys().map(String::as_str).find(|k| {
                    registry::definition(k)
                        .is_some_and(|d| d.family == *family && d.better != Better::Neutral)
                        && ok(k)
                })
            })
        })
        .collect()
}

/// The cell of group `label` of metric `m` in slice column `col`, when compared there.
fn cell(m: &MetricResult, col: &str, label: &str) -> Option<GlanceCell> {
    let d = m.slices.get(col)?.disparity.as_ref()?;
    let g = d.groups.get(label)?;
    let is_ref = d.reference == label;
    Some(GlanceCell {
        ratio: if is_ref {
            Some(1.0)
        } else {
            g.ratio.value.filter(|v| v.is_finite())
        },
        whisker: if is_ref { None } else { whisker(&g.ratio) },
        standing: Standing::of(m.better, is_ref, g),
    })
}

/// The panel of slice column `col` over `metrics`: a row per group compared on some metric, in
/// label order, at most [`GLANCE_ROWS`] (those with the most worse cells kept); and how many
/// groups were left out.
pub fn glance_panel(result: &AuditResult, metrics: &[&str], col: &str) -> (GlancePanel, usize) {
    let labels: BTreeSet<&str> = metrics
        .iter()
        .filter_map(|k| result.metrics.get(*k)?.slices.get(col)?.disparity.as_ref())
        .flat_map(|d| d.groups.keys().map(String::as_str))
        .collect();
    let mut rows: Vec<GlanceRow> = labels
        .into_iter()
        .map(|label| GlanceRow {
            label: crate::slices::display_key(label),
            cells: metrics
                .iter()
                .map(|k| cell(&result.metrics[*k], col, label))
                .collect(),
        })
        .collect();
    let hidden = rows.len().saturating_sub(GLANCE_ROWS);
    if hidden > 0 {
        let worse = |r: &GlanceRow| {
            r.cells
                .iter()
                .flatten()
                .filter(|c| c.standing == Standing::Worse)
                .count()
        };
        rows.sort_by(|a, b| worse(b).cmp(&worse(a)).then_with(|| a.label.cmp(&b.label)));
        rows.truncate(GLANCE_ROWS);
        rows.sort_by(|a, b| a.label.cmp(&b.label));
    }
    let panel = GlancePanel {
        column: column_label(col),
        rows,
    };
    (panel, hidden)
}

/// A log-scale ratio axis covering the ratios and whiskers of `cells`, 1 and `band`, padded by
/// 10% on either side, within [`GLANCE_LIMITS`].
pub fn glance_range<'a>(
    cells: impl IntoIterator<Item = &'a GlanceCell>,
    band: (f64, f64),
) -> (f64, f64) {
    let (mut lo, mut hi) = (band.0.min(1.0), band.1.max(1.0));
    for c in cells {
        let (a, b) = c
            .whisker
            .unwrap_or((c.ratio.unwrap_or(1.0), c.ratio.unwrap_or(1.0)));
        for v in [a, b, c.ratio.unwrap_or(1.0)] {
            if v > 0.0 && v.is_finite() {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
    }
    let (min, max) = GLANCE_LIMITS;
    ((lo / 1.1).max(min), (hi * 1.1).min(max))
}

/// The main reading of the plot: the significantly worse cells, farthest from parity first (at
/// most four named).
fn glance_reading(p: &GlancePlot) -> String {
    let mut worse: Vec<(f64, String)> = Vec::new();
    let mut compared = 0;
    for panel in &p.panels {
        for row in &panel.rows {
            for (m, c) in p.metrics.iter().zip(&row.cells) {
                let Some(c) = c.as_ref().filter(|c| c.standing != Standing::Reference) else {
                    continue;
                };
                compared += 1;
                if let (Standing::Worse, Some(r)) = (c.standing, c.ratio) {
                    let far = if r > 0.0 { r.ln().abs() } else { f64::INFINITY };
                    let interval = match c.whisker {
                        Some((lo, hi)) => {
                            format!(", interval {} to {}", fmt_ratio(lo), fmt_ratio(hi))
                        }
                        None => ", no interval".into(),
                    };
                    worse.push((
                        far,
                        format!(
                            "{} {} on {} ({}× the reference{interval})",
                            panel.column,
                            truncate_label(&row.label, 24),
                            m.label,
                            fmt_ratio(r)
                        ),
                    ));
                }
            }
        }
    }
    worse.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    if worse.is_empty() {
        return format!(
            "no group is significantly worse than its reference in any of {compared} comparisons."
        );
    }
    let n = worse.len();
    let named: Vec<String> = worse.into_iter().take(4).map(|w| w.1).collect();
    format!(
        "{n} of {compared} comparisons are significantly worse than the reference, farthest {}.",
        join_names(&named)
    )
}

/// The at-a-glance chart, when a family's key metric has a ratio.
pub(super) fn glance_chart(cx: &BuildContext<'_>, out: &mut Vec<Chart>) {
    let result = cx.result;
    let keys = glance_metrics(result);
    if keys.is_empty() {
        return;
    }
    let ff = result.settings.stats.four_fifths;
    let band = (ff, 1.0 / ff);
    let columns: BTreeSet<&str> = keys
        .iter()
        .flat_map(|k| result.metrics[*k].slices.keys().map(String::as_str))
        .collect();
    let (mut panels, mut hidden, mut suppressed) = (Vec::new(), 0, 0);
    for col in columns {
        let (panel, h) = glance_panel(result, &keys, col);
        if panel.rows.is_empty() {
            continue;
        }
        hidden += h;
        suppressed += result.slices.get(col).map_or(0, suppressed_groups);
        panels.push(panel);
    }
    if panels.is_empty() {
        return;
    }
    let metrics: Vec<GlanceMetric> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let better = registry::definition(k).map_or(result.metrics[*k].better, |d| d.better);
            let cells = panels
                .iter()
                .flat_map(|p| p.rows.iter().filter_map(move |r| r.cells[i].as_ref()));
            GlanceMetric {
                key: k.to_string(),
                label: metric_label(k, cx.k),
                direction: match better {
                    Better::Higher => "↑ better",
                    Better::Lower => "↓ better",
                    Better::Neutral => "no direction",
                }
                .into(),
                range: glance_range(cells, band),
            }
        })
        .collect();
    let present: Vec<Standing> = panels
        .iter()
        .flat_map(|p| p.rows.iter().flat_map(|r| r.cells.iter().flatten()))
        .map(|c| c.standing)
        .collect();
    let plot = GlancePlot {
        metrics,
        panels,
        band,
    };
    let title = "At a glance: each group against the reference".to_string();
    let description = format!(
        "{title}: each group's mean ÷ the reference group's mean for {}, with {} intervals; {}",
        join_names(
            &plot
                .metrics
                .iter()
                .map(|m| m.label.clone())
                .collect::<Vec<_>>()
        ),
        cx.level,
        glance_reading(&plot)
    );
    let legend = standing_legend(&present, true);
    out.push(chart(
        "at_a_glance".into(),
        Section::Disparity,
        None,
        title,
        format!(
            "Group mean ÷ reference mean (log scale), {} interval; shaded {} to {}.",
            cx.level,
            fmt_short(band.0),
            fmt_short(band.1)
        ),
        description,
        legend,
        join_notes(
            suppressed_note(suppressed, cx.min_size),
            (hidden > 0).then(|| match hidden {
                1 => "1 more group is in the tables.".to_string(),
                n => format!("{n} more groups are in the tables."),
            }),
        ),
        NARROW,
        glance_body(&plot),
        Plot::Glance(plot),
    ));
}

#[cfg(test)]
#[path = "glance_tests.rs"]
mod tests;
