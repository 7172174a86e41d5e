//! The human-readable report: one self-contained `report.html` (charts inlined as SVG, no network,
//! no external script, font or style sheet) plus every chart as `charts/<name>.svg` and
//! `charts/<name>.png`, all rendered from a single [`AuditResult`].
//!
//! - [`charts`]: chart data preparation (pure functions: sorting, suppression, interval whiskers)
//!   and drawing with plotters (SVG and PNG backends; text through `ab_glyph` with the embedded
//!   DejaVu Sans, so no system font library is needed).
//! - [`html`]: the page, rendered with minijinja from `report.html.j2` with HTML auto-escaping on;
//!   only SVG that [`charts`] generated is inserted unescaped (plotters escapes the text it puts
//!   into SVG).
//!
//! Privacy: the result holds aggregates only and the report adds nothing else: no user id, no input
//! row. Groups below `min_slice_size` are named as suppressed without their size.

pub mod charts;
pub mod html;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

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
}

/// One row of the baseline-vs-candidate comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonRow {
    /// What is compared, e.g. `ndcg · gender = F`.
    pub metric: String,
    /// The baseline's value with interval.
    pub baseline: Estimate,
    /// The candidate's value with interval.
    pub candidate: Estimate,
    /// candidate − baseline with interval.
    pub change: Estimate,
    /// Whether the change is significant.
    pub significant: bool,
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
        rendered.push(html::RenderedChart { chart, svg });
    }
    let page = html::render_html(result, opts, &rendered).context("rendering report.html")?;
    let html_path = out_dir.join("report.html");
    std::fs::write(&html_path, page)
        .with_context(|| format!("{}: cannot write", html_path.display()))?;
    Ok(ReportFiles {
        html: html_path,
        charts: files,
    })
}

/// How the report names and explains a per-user metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MetricInfo {
    /// Display name; `{k}` is replaced by the cutoff.
    pub label: &'static str,
    /// Unit for axis labels.
    pub unit: &'static str,
    /// Shown as a percentage.
    pub percent: bool,
    /// One plain-language paragraph.
    pub meaning: &'static str,
}

/// The report's wording for per-user metric `name` (a generic entry for unknown names).
pub(crate) fn metric_info(name: &str) -> MetricInfo {
    let (label, unit, percent, meaning) = match name {
        "precision" => ("Precision@{k}", "share of the list, 0–1", false,
            "Of the k items shown to a user, the share that the user later engaged with (held-out truth). Higher is better."),
        "recall" => ("Recall@{k}", "share of relevant items, 0–1", false,
            "Of the items a user later engaged with, the share that made it into their top-k list. Higher is better."),
        "hit" => ("Hit rate@{k}", "share of users", true,
            "The share of users whose top-k list contains at least one item they later engaged with. Higher is better."),
        "mrr" => ("MRR@{k}", "1 / rank, 0–1", false,
            "Reciprocal rank of the first relevant item (1 when it is at the top, ½ at rank 2, 0 when absent), averaged over users. Higher is better."),
        "ndcg" => ("NDCG@{k}", "0–1", false,
            "How close each user's top-k list comes to the ideal ordering of the items they later engaged with: 1 means the best possible list, 0 means none of them was shown. Relevant items count more the higher they are ranked. Higher is better."),
        "arp" => ("ARP", "history users per item", false,
            "Average recommendation popularity: how many users of the history had interacted with a recommended item, averaged over the list. High values mean a group is mostly shown blockbusters. Lower means less popularity bias."),
        "aplt" => ("Long-tail share (APLT)", "share of the list", true,
            "Average percentage of long-tail items: the share of each list drawn from the long tail (items outside the popular head that holds the top share of history interactions). Higher means more niche items."),
        "gap_r" => ("Popularity of lists (GAP_r)", "mean popularity share", false,
            "Mean popularity φ (share of history users who interacted with the item) of the recommended items. Compared with GAP_p to see whether recommendations are more popular than what users consumed."),
        "gap_p" => ("Popularity of history (GAP_p)", "mean popularity share", false,
            "Mean popularity φ of the items in the users' own history: the baseline against which GAP_r and ΔGAP are read."),
        "novelty_user" => ("Novelty", "bits", false,
            "Mean self-information −log₂ φ of the recommended items: higher means less familiar, less popular items."),
        "ild" => ("Intra-list diversity", "mean pairwise distance, 0–1", false,
            "How different the items in one list are from each other (mean pairwise distance of categories or features). Higher means more varied lists."),
        "list_entropy" => ("Category entropy of lists", "bits", false,
            "How evenly a list spreads over item categories (Shannon entropy in bits): 0 means a single category, higher means more categories, more evenly."),
        "miscalibration" => ("Miscalibration", "KL divergence, nats", false,
            "How far the category mix of a list is from the mix of the user's own history (Steck's KL divergence). 0 means the list mirrors the user's tastes; lower is better."),
        "narrowing_ratio" => ("Narrowing ratio", "H(list) / H(history)", false,
            "Category diversity of the list divided by the diversity of the user's history: 1 means the list is as varied as what the user consumed, below 1 means narrower."),
        "narrowed" => ("Share narrowed", "share of users", true,
            "The share of users (with enough history) whose list is less than the narrowing threshold as diverse as their history: a sign of a filter bubble. Lower is better."),
        "history_category_coverage" => ("History category coverage", "share of history categories", true,
            "The share of the categories in a user's history that their list still covers. Lower means the list drops interests the user had."),
        "over_personalisation" => ("Over-personalisation", "share of the list", true,
            "The share of a list that stays inside the categories of the user's last few history items: near 100% means recommendations only echo what was just consumed. Lower is better."),
        "diversity_slope" => ("Diversity trend", "bits per snapshot", false,
            "Per-user least-squares slope of list category entropy across snapshots: negative means lists become narrower over time."),
        "list_overlap" => ("List overlap over time", "share of k", true,
            "Mean share of a user's list that stays the same from one snapshot to the next: high values mean lists are frozen."),
        "diversity_falling" => ("Share with falling diversity", "share of users", true,
            "The share of users whose list diversity falls faster than the slope threshold across snapshots. Lower is better."),
        "list_frozen" => ("Share with frozen lists", "share of users", true,
            "The share of users whose successive lists overlap at least the overlap threshold. Lower is better."),
        "awrf" => ("AWRF", "0–1", false,
            "Attention-weighted rank fairness: how closely the attention a list gives to item groups (top ranks get the most) matches the groups' catalog shares. 1 means a perfect match; lower means some item groups are crowded out. Higher is better."),
        "ee_l2" => ("Expected exposure loss", "squared distance", false,
            "Distance between the exposure each item receives across repeated (stochastic) rankings and the exposure its relevance deserves (Diaz et al. 2020). Lower is better."),
        "ee_d" => ("Expected exposure disparity", "sum of squares", false,
            "How unequally exposure is spread over items across the sampled rankings. Lower means exposure is shared more evenly."),
        "ee_r" => ("Expected exposure relevance", "dot product", false,
            "How much of the exposure across the sampled rankings goes to relevant items. Higher is better."),
        _ => ("", "", false, ""),
    };
    if label.is_empty() {
        return MetricInfo {
            label: "",
            unit: "",
            percent: false,
            meaning: "",
        };
    }
    MetricInfo {
        label,
        unit,
        percent,
        meaning,
    }
}

/// Display name of per-user metric `name` with the cutoff `k` filled in.
pub(crate) fn metric_label(name: &str, k: usize) -> String {
    let info = metric_info(name);
    if info.label.is_empty() {
        name.to_string()
    } else {
        info.label.replace("{k}", &k.to_string())
    }
}

/// A number for people: 3 significant decimals below 10, fewer above; `–` when not finite.
pub(crate) fn fmt_num(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let a = x.abs();
    let decimals = if a == 0.0 || a >= 1000.0 {
        0
    } else if a >= 100.0 {
        1
    } else if a >= 10.0 {
        2
    } else if a >= 0.01 {
        3
    } else {
        ((-a.log10()).ceil() as usize + 2).min(8)
    };
    let s = format!("{:.*}", decimals, x);
    // Never print "-0.000".
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// A ratio with two decimals (`0.81`, `1.25`).
pub(crate) fn fmt_ratio(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.2}")
    } else {
        "–".into()
    }
}

/// [`fmt_num`] without trailing zeros (`0.4`, `10`, `1.25`): for axis ticks and thresholds.
pub(crate) fn fmt_short(x: f64) -> String {
    let s = fmt_num(x);
    if s.contains('.') && !s.contains('e') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A share as a percentage with one decimal.
pub(crate) fn fmt_pct(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let s = format!("{:.1}%", x * 100.0);
    if s == "-0.0%" {
        "0.0%".into()
    } else {
        s
    }
}

/// A value in the metric's display unit (percentage or plain number).
pub(crate) fn fmt_value(x: f64, percent: bool) -> String {
    if percent {
        fmt_pct(x)
    } else {
        fmt_num(x)
    }
}

/// `value [low, high]`, or just the value when the interval is undefined.
pub(crate) fn fmt_estimate(e: &Estimate, percent: bool) -> String {
    match e.value {
        None => "undefined".into(),
        Some(v) => match (e.ci_low, e.ci_high) {
            (Some(lo), Some(hi)) => format!(
                "{} [{}, {}]",
                fmt_value(v, percent),
                fmt_value(lo, percent),
                fmt_value(hi, percent)
            ),
            _ => fmt_value(v, percent),
        },
    }
}

/// A p-value: `< 0.001` or three decimals.
pub(crate) fn fmt_p(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".into()
    } else {
        format!("{p:.3}")
    }
}

#[cfg(test)]
mod tests;
