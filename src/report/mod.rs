//! The human-readable report: one self-contained `report.html` (charts inlined as SVG, no network,
//! no external script, font or style sheet) plus every chart as `charts/<name>.svg` and
//! `charts/<name>.png`, all rendered from a single [`AuditResult`].
//!
//! - [`charts`]: chart data (pure functions: which charts, sorting, suppression, interval
//!   whiskers) and drawing with plotters (SVG and PNG backends; text through `ab_glyph` with the
//!   embedded DejaVu Sans, so no system font library is needed).
//! - [`findings`]: the story in sentences (gaps framed around the worse-off group and ranked by
//!   harm, the status of each area, the verdict), shared by the page and the terminal.
//! - [`page`]: the page, rendered with minijinja from `page/report.html.j2` with HTML
//!   auto-escaping on; only SVG that [`charts`] generated is inserted unescaped (plotters escapes
//!   the text it puts into SVG).
//!
//! Privacy: the result holds aggregates only and the report adds nothing else: no user id, no input
//! row. Groups below `min_slice_size` are named as suppressed without their size.

pub mod charts;
pub mod findings;
pub mod page;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::metrics::registry::{self, MetricDef};
use crate::metrics::Better;
use crate::result::AuditResult;
use crate::stats::Estimate;

/// Outcome of one gate, as the report shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GateStatus {
    /// The gate held.
    Pass,
    /// The gate was violated.
    Fail,
    /// The gate could not be judged (e.g. its group is suppressed).
    Skipped,
}

/// One gate line of the summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateLine {
    /// The gate's name or rule, e.g. `ndcg ratio ≥ 0.8 (gender)`.
    pub name: String,
    /// Pass, fail or skipped.
    pub status: GateStatus,
    /// One sentence: the value, threshold and why it passed, failed or was skipped.
    pub detail: String,
    /// The key of the gated metric in the audit (`ndcg`, `exposure_share_provider`, `nmi`): the
    /// area of the verdict card the gate belongs to.
    #[serde(default)]
    pub metric: String,
}

/// One row of the baseline-vs-candidate comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonRow {
    /// What is compared, e.g. `ndcg · gender = F`.
    pub metric: String,
    /// The metric's key (`ndcg`), for its label and direction.
    #[serde(default)]
    pub key: String,
    /// Who: `overall`, `gender=F`, `provider=indie`.
    #[serde(default)]
    pub scope: String,
    /// Which direction is better.
    #[serde(default = "neutral")]
    pub better: Better,
    /// The baseline's value with interval.
    pub baseline: Estimate,
    /// The candidate's value with interval.
    pub candidate: Estimate,
    /// candidate − baseline with interval.
    pub change: Estimate,
    /// Whether the change is significant.
    pub significant: bool,
}

fn neutral() -> Better {
    Better::Neutral
}

/// What the report shows besides the audit itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportOptions {
    /// Gate outcomes, when a policy was given (`None`: no gates section).
    pub gates: Option<Vec<GateLine>>,
    /// A comparison with a baseline audit (`None`: no comparison section).
    pub comparison: Option<Vec<ComparisonRow>>,
}

/// One chart written to `charts/`.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartFile {
    /// File stem (`ndcg_gender`, `exposure_provider`, ...).
    pub name: String,
    /// The chart's title.
    pub title: String,
    /// Width in pixels (SVG and PNG).
    pub width: u32,
    /// Height in pixels (SVG and PNG).
    pub height: u32,
    /// `charts/<name>.svg`.
    pub svg: PathBuf,
    /// `charts/<name>.png`.
    pub png: PathBuf,
}

/// The files [`write_report`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportFiles {
    /// `report.html`.
    pub html: PathBuf,
    /// Every chart, in page order.
    pub charts: Vec<ChartFile>,
}

/// Writes `out_dir/report.html` and `out_dir/charts/<name>.{svg,png}` for `result`; SVG and PNG
/// files already in `out_dir/charts` (an earlier report's) are removed first.
///
/// The output is deterministic for a given result and options (no timestamp).
pub fn write_report(
    result: &AuditResult,
    out_dir: &Path,
    opts: &ReportOptions,
) -> Result<ReportFiles> {
    let chart_dir = out_dir.join("charts");
    std::fs::create_dir_all(&chart_dir)
        .with_context(|| format!("{}: cannot create the charts folder", chart_dir.display()))?;
    // Charts of an earlier report in the same folder would go stale: remove them.
    for entry in std::fs::read_dir(&chart_dir)
        .with_context(|| format!("{}: cannot list", chart_dir.display()))?
    {
        let path = entry?.path();
        let ours = path.extension().is_some_and(|e| e == "svg" || e == "png");
        if ours && path.is_file() {
            std::fs::remove_file(&path)
                .with_context(|| format!("{}: cannot remove", path.display()))?;
        }
    }
    let specs = charts::build_charts(result);
    let mut rendered = Vec::with_capacity(specs.len());
    let mut files = Vec::with_capacity(specs.len());
    for chart in &specs {
        let svg = charts::render_svg(chart)
            .with_context(|| format!("drawing chart `{}` as SVG", chart.name))?;
        let svg_path = chart_dir.join(format!("{}.svg", chart.name));
        std::fs::write(&svg_path, &svg)
            .with_context(|| format!("{}: cannot write", svg_path.display()))?;
        let png_path = chart_dir.join(format!("{}.png", chart.name));
        charts::render_png(chart, &png_path)
            .with_context(|| format!("{}: cannot draw", png_path.display()))?;
        files.push(ChartFile {
            name: chart.name.clone(),
            title: chart.title.clone(),
            width: chart.width,
            height: chart.height,
            svg: svg_path,
            png: png_path,
        });
        rendered.push(page::RenderedChart { chart, svg });
    }
    let html = page::render_html(result, opts, &rendered).context("rendering report.html")?;
    let html_path = out_dir.join("report.html");
    std::fs::write(&html_path, html)
        .with_context(|| format!("{}: cannot write", html_path.display()))?;
    Ok(ReportFiles {
        html: html_path,
        charts: files,
    })
}

/// The registry's definition of metric `name`; `None` for a key this version does not know (an
/// `audit.json` written by another version), which the report shows by its key.
pub(crate) fn metric_info(name: &str) -> Option<&'static MetricDef> {
    registry::definition(name)
}

/// Whether metric `name` is shown as a percentage.
pub(crate) fn shown_as_percent(name: &str) -> bool {
    metric_info(name).is_some_and(|d| d.percent)
}

/// Display name of metric `name` with the cutoff `k` filled in.
pub(crate) fn metric_label(name: &str, k: usize) -> String {
    metric_info(name).map_or_else(|| name.to_string(), |d| d.label_at(k))
}

#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod tests;
