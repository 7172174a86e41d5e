//! Charts of the report: data preparation and drawing.
//!
//! Preparation ([`build_charts`] and the `*_rows`/`*_bars` helpers) is pure: it reads an
//! [`AuditResult`], drops what is absent or suppressed, sorts, and turns intervals into whiskers.
//! Drawing ([`render_svg`], [`render_png`]) runs the same plotters code on the SVG and the bitmap
//! backend. Text is rendered with the embedded DejaVu Sans through plotters' `ab_glyph` feature
//! (registered once as `sans-serif`), so no system font library is needed; the SVG backend writes
//! text as escaped `<text>` elements. Both backends are wrapped in [`VisibleText`], so every text
//! drawn (labels, titles, axis descriptions) shows control, bidi and invisible characters as
//! [`visible`] escapes; [`truncate_label`] and the width estimates count the escaped form.
//!
//! Colours are the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), safe for the
//! common colour-vision deficiencies; meaning never rests on colour alone (value labels, legends,
//! hollow vs filled markers).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Once;

use anyhow::{anyhow, Result};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};

use super::{metric_info, metric_label};
use crate::format::{fmt_pct, fmt_ratio, fmt_short, fmt_value};
use crate::metrics::segregation::SliceSegregation;
use crate::result::{AuditResult, CorpusResult, MetricResult, SliceSummary};
use crate::stats::Estimate;
use crate::text::visible;

/// The embedded font (DejaVu Sans; licence in `assets/fonts/LICENSE-DejaVu.txt`).
const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static FONT_ONCE: Once = Once::new();

/// Registers the embedded font as `sans-serif` (once per process).
pub fn ensure_font() {
    FONT_ONCE.call_once(|| {
        let ok = register_font("sans-serif", FontStyle::Normal, FONT).is_ok();
        assert!(ok, "the embedded DejaVu Sans font is a valid TrueType file");
    });
}

/// Okabe–Ito colours.
pub mod palette {
    use plotters::style::RGBColor;
    /// Blue.
    pub const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
    /// Orange.
    pub const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
    /// Bluish green.
    pub const GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
    /// Vermillion.
    pub const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
    /// Reddish purple.
    pub const PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
    /// Sky blue.
    pub const SKY: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
    /// Yellow.
    pub const YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
    /// Grey (for the reference group; not an Okabe–Ito hue, so it never competes with them).
    pub const GREY: RGBColor = RGBColor(0x99, 0x99, 0x99);
    /// Series colours in order (black first for "all users").
    pub const SERIES: [RGBColor; 7] = [BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, YELLOW];
}
use palette::{BLUE, GREEN, GREY, ORANGE, SERIES, VERMILLION};

const TEXT: RGBColor = RGBColor(0x22, 0x22, 0x22);
const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
const GRID: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);
const BAND: RGBColor = RGBColor(0xD8, 0xEF, 0xE6);

/// Longest row label drawn (longer labels end in `…`).
pub const LABEL_CHARS: usize = 24;
/// Width of a chart that sits in a two-column grid.
pub const NARROW: u32 = 640;
/// Width of a full-width chart.
pub const WIDE: u32 = 960;

const TITLE_Y: i32 = 12;
const LEGEND_Y: i32 = 74;
const LEGEND_ROW: u32 = 26;
const X_AXIS: u32 = 58;
const FOOTNOTE: u32 = 32;
const VALUE_W: u32 = 130;
/// Row height of bar charts.
const ROW: u32 = 38;

// Text sizes in pixels (plotters' SVG backend writes font-size = size / 1.24).
const T_TITLE: f64 = 25.0;
const T_SUB: f64 = 16.0;
const T_HEAD: f64 = 18.0;
const T_AXIS: f64 = 17.0;
const T_LABEL: f64 = 16.0;
const T_VALUE: f64 = 15.0;

/// How a bar is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The reference group of its slice column (grey).
    Reference,
    /// A significant gap to the reference (vermillion).
    Significant,
    /// No significant gap (blue).
    Plain,
}

/// One horizontal bar: a group's mean with its interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Group label (as in the data; truncated only when drawn).
    pub label: String,
    /// The mean.
    pub value: f64,
    /// Interval (low, high), widened to contain the value; `None` when undefined.
    pub whisker: Option<(f64, f64)>,
    /// Users behind the mean.
    pub n: usize,
    /// Colour role.
    pub role: Role,
}

/// A panel of horizontal bars.
#[derive(Debug, Clone, PartialEq)]
pub struct BarPanel {
    /// Heading above the panel (empty for a single-panel chart).
    pub heading: String,
    /// x-axis description with unit.
    pub axis: String,
    /// Ticks and values as percentages.
    pub percent: bool,
    /// Bars, top to bottom.
    pub bars: Vec<Bar>,
    /// Dashed vertical line (the reference group's mean).
    pub reference: Option<f64>,
    /// x-axis range.
    pub range: (f64, f64),
}

/// One group's ratio to its reference group.
#[derive(Debug, Clone, PartialEq)]
pub struct RatioPoint {
    /// `column: group`.
    pub label: String,
    /// The ratio.
    pub ratio: f64,
    /// Its interval.
    pub whisker: Option<(f64, f64)>,
    /// Whether the gap is significant.
    pub significant: bool,
}

/// Ratios against the four-fifths band.
#[derive(Debug, Clone, PartialEq)]
pub struct RatioPlot {
    /// x-axis description.
    pub axis: String,
    /// Points, top to bottom (lowest ratio first).
    pub points: Vec<RatioPoint>,
    /// The shaded band (0.8, 1.25).
    pub band: (f64, f64),
    /// x-axis range.
    pub range: (f64, f64),
}

/// One item group's exposure share and its targets.
#[derive(Debug, Clone, PartialEq)]
pub struct ShareRow {
    /// Item group label.
    pub label: String,
    /// Exposure share.
    pub share: f64,
    /// Interval of the exposure share.
    pub whisker: Option<(f64, f64)>,
    /// Catalog share (target).
    pub catalog: Option<f64>,
    /// Share of history interactions (merit target), when there is a history.
    pub merit: Option<f64>,
}

/// Exposure vs target shares.
#[derive(Debug, Clone, PartialEq)]
pub struct SharePlot {
    /// x-axis description.
    pub axis: String,
    /// Rows, top to bottom (largest exposure share first).
    pub rows: Vec<ShareRow>,
    /// Whether any row has a merit target (draws a third bar).
    pub has_merit: bool,
    /// x-axis range.
    pub range: (f64, f64),
}

/// One line of a line panel.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend name.
    pub name: String,
    /// One value per x position (`None` = gap).
    pub values: Vec<Option<f64>>,
    /// Colour.
    pub color: RGBColor,
}

/// A line panel over snapshots.
#[derive(Debug, Clone, PartialEq)]
pub struct LinePanel {
    /// Heading with unit.
    pub heading: String,
    /// Ticks as percentages.
    pub percent: bool,
    /// Snapshot labels.
    pub x_labels: Vec<String>,
    /// Lines.
    pub series: Vec<Series>,
    /// y-axis range.
    pub range: (f64, f64),
}

/// One slice group spread over clusters.
#[derive(Debug, Clone, PartialEq)]
pub struct StackRow {
    /// Group label.
    pub label: String,
    /// Clustered users of the group.
    pub n: usize,
    /// Share in each cluster (sums to 1).
    pub shares: Vec<f64>,
}

/// 100% stacked bars (cluster by slice group).
#[derive(Debug, Clone, PartialEq)]
pub struct StackPlot {
    /// Rows, top to bottom.
    pub rows: Vec<StackRow>,
}

/// What a chart draws.
#[derive(Debug, Clone, PartialEq)]
pub enum Plot {
    /// Horizontal bars with whiskers, one or more panels side by side.
    Bars(Vec<BarPanel>),
    /// Ratios to the reference against the four-fifths band.
    Ratios(RatioPlot),
    /// Exposure share vs target share.
    Shares(SharePlot),
    /// Lines over snapshots, panels side by side.
    Lines(Vec<LinePanel>),
    /// 100% stacked bars.
    Stacked(StackPlot),
}

/// Shape of a legend swatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Swatch {
    /// A filled box.
    Box,
    /// A solid line.
    Line,
    /// A dashed line.
    Dashed,
    /// A filled dot.
    Dot,
    /// A hollow dot.
    Hollow,
}

/// One legend entry.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendItem {
    /// Colour.
    pub color: RGBColor,
    /// Shape.
    pub swatch: Swatch,
    /// Text.
    pub label: String,
}

/// Where a chart belongs on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// Recommendation quality per slice.
    Quality,
    /// Ratios to the reference group.
    Disparity,
    /// Provider-side exposure.
    Exposure,
    /// Popularity bias.
    Popularity,
    /// Narrowing against history.
    Bubble,
    /// Drift over snapshots.
    OverTime,
    /// Segregation into list clusters.
    Segregation,
}

/// A chart: its data and its layout.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// File stem (ASCII, unique within the report).
    pub name: String,
    /// Page section.
    pub section: Section,
    /// The slice column (or item-group column) it shows, when it shows one.
    pub column: Option<String>,
    /// Title.
    pub title: String,
    /// One line under the title: what is drawn.
    pub subtitle: String,
    /// Legend entries.
    pub legend: Vec<LegendItem>,
    /// Note at the bottom (suppressed groups).
    pub footnote: Option<String>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The data.
    pub plot: Plot,
}

// ---------------------------------------------------------------------------------------------
// Data preparation (pure)
// ---------------------------------------------------------------------------------------------

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

/// Bars of metric `m` in slice column `column`: every unsuppressed group with a defined mean,
/// sorted by mean, highest first (ties by label). Suppressed groups are absent from the result
/// already; groups whose mean is undefined are left out.
pub fn metric_bars(m: &MetricResult, column: &str) -> Vec<Bar> {
    let Some(sm) = m.slices.get(column) else {
        return Vec::new();
    };
    let disparity = sm.disparity.as_ref();
    let mut bars: Vec<Bar> = sm
        .groups
        .iter()
        .filter_map(|(label, e)| {
            let value = e.value.filter(|v| v.is_finite())?;
            let role = match disparity {
                Some(d) if &d.reference == label => Role::Reference,
                Some(d) if d.groups.get(label).is_some_and(|g| g.significant) => Role::Significant,
                _ => Role::Plain,
            };
            Some(Bar {
                label: crate::slices::display_key(label),
                value,
                whisker: whisker(e),
                n: e.n,
                role,
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

/// Groups of a slice column that are not published (too small, or withheld).
pub fn suppressed_groups(summary: &SliceSummary) -> usize {
    summary.groups_too_small + summary.groups_withheld
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
pub fn bar_range(bars: &[Bar], reference: Option<f64>) -> (f64, f64) {
    let values = bars
        .iter()
        .flat_map(|b| {
            let (l, h) = b.whisker.unwrap_or((b.value, b.value));
            [b.value, l, h]
        })
        .chain(reference);
    axis_range(values, true)
}

/// Ratios to the reference of metric `name` for every non-reference group of every slice column,
/// labelled `column: group` (each part cut to 12 characters), lowest ratio first (ties by label). Groups whose ratio is undefined
/// are left out.
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

/// Exposure share vs target shares of item-group column `col`, from `corpus.overall.shares`
/// (`exposure_share_<col>`, `target_share_catalog_<col>`, `target_share_merit_<col>`) and the
/// bootstrap intervals; largest exposure share first (ties by label). Item groups whose exposure
/// share is undefined are left out.
pub fn share_rows(corpus: &CorpusResult, col: &str) -> Vec<ShareRow> {
    let shares = &corpus.overall.shares;
    let Some(exposure) = shares.get(&format!("exposure_share_{col}")) else {
        return Vec::new();
    };
    let catalog = shares.get(&format!("target_share_catalog_{col}"));
    let merit = shares.get(&format!("target_share_merit_{col}"));
    let intervals = corpus.exposure_share_intervals.get(col).map(|s| &s.overall);
    let mut rows: Vec<ShareRow> = exposure
        .iter()
        .filter_map(|(label, share)| {
            let share = share.filter(|v| v.is_finite())?;
            let pick = |m: Option<&std::collections::BTreeMap<String, Option<f64>>>| {
                m.and_then(|m| m.get(label).copied().flatten())
                    .filter(|v| v.is_finite())
            };
            Some(ShareRow {
                label: label.clone(),
                share,
                whisker: intervals.and_then(|i| i.get(label)).and_then(whisker),
                catalog: pick(catalog),
                merit: pick(merit),
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        b.share
            .total_cmp(&a.share)
            .then_with(|| a.label.cmp(&b.label))
    });
    rows
}

/// Rows of the cluster-by-group view of one slice column: the published groups with cluster
/// shares, sorted by their share in the largest cluster (cluster 0), highest first; and how many
/// groups are not published there.
pub fn stack_rows(seg: &SliceSegregation) -> (Vec<StackRow>, usize) {
    let mut rows: Vec<StackRow> = seg
        .groups
        .iter()
        .filter(|g| !g.cluster_shares.is_empty())
        .map(|g| StackRow {
            label: g.group.clone(),
            n: g.n_users,
            shares: g.cluster_shares.clone(),
        })
        .collect();
    rows.sort_by(|a, b| {
        let s = |r: &StackRow| r.shares.first().copied().unwrap_or(0.0);
        s(b).total_cmp(&s(a)).then_with(|| a.label.cmp(&b.label))
    });
    (rows, seg.groups_not_shown)
}

/// Most rows a chart draws; longer sorted lists keep both ends.
pub const MAX_ROWS: usize = 30;

/// Keeps the first and last `max / 2` of sorted `rows` when there are more than `max` (the
/// extremes are what a reader looks for); returns how many were left out of the middle.
pub fn cap_rows<T>(rows: &mut Vec<T>, max: usize) -> usize {
    if rows.len() <= max {
        return 0;
    }
    let keep_head = max - max / 2;
    let keep_tail = max / 2;
    let hidden = rows.len() - max;
    rows.drain(keep_head..rows.len() - keep_tail);
    hidden
}

fn hidden_note(hidden: usize, what: &str) -> Option<String> {
    (hidden > 0).then(|| {
        format!(
            "{hidden} {what} in the middle of the order are not drawn; the table lists every one."
        )
    })
}

fn join_notes(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(format!("{a} {b}")),
        (a, b) => a.or(b),
    }
}

/// `s` as shown ([`visible`]) cut to `max` characters, ending in `…` when cut; an escape such as
/// `\u{202E}` is kept whole or left out, never cut.
pub fn truncate_label(s: &str, max: usize) -> String {
    let shown = visible(s);
    if shown.chars().count() <= max {
        return shown.into_owned();
    }
    let mut t = String::new();
    let mut n = 0;
    for c in s.chars() {
        let mut utf8 = [0u8; 4];
        let piece = visible(c.encode_utf8(&mut utf8));
        n += piece.chars().count();
        if n > max.saturating_sub(1) {
            break;
        }
        t.push_str(&piece);
    }
    t.push('…');
    t
}

/// A file-name-safe stem: ASCII letters, digits, `-` and `_` kept, anything else becomes `_`
/// (runs collapsed), at most 48 characters; `chart` when nothing is left.
pub fn file_stem(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out: String = out.trim_matches('_').chars().take(48).collect();
    if out.is_empty() {
        "chart".into()
    } else {
        out
    }
}

/// The metric the per-slice quality bars and the ratio chart show: NDCG when present, else the
/// first present of recall, hit, precision, MRR, long-tail share, ILD, list entropy, else any
/// higher-is-better metric.
pub fn key_metric(result: &AuditResult) -> Option<&str> {
    const ORDER: [&str; 8] = [
        "ndcg",
        "recall",
        "hit",
        "precision",
        "mrr",
        "aplt",
        "ild",
        "list_entropy",
    ];
    let has = |n: &str| {
        result
            .metrics
            .get(n)
            .is_some_and(|m| m.overall.value.is_some())
    };
    ORDER.iter().copied().find(|n| has(n)).or_else(|| {
        result
            .metrics
            .iter()
            .find(|(_, m)| m.better == crate::metrics::Better::Higher)
            .map(|(n, _)| n.as_str())
    })
}

/// Approximate rendered width of `text` at plotters size `size` (DejaVu Sans averages ≈ 0.55 em,
/// and an em is about size / 1.2; rounded up to stay on the safe side).
fn approx_width(text: &str, size: f64) -> u32 {
    (visible(text).chars().count() as f64 * size * 0.52).ceil() as u32
}

/// Legend positions: (row, x) of each item within `width`.
fn legend_layout(items: &[LegendItem], width: u32) -> Vec<(u32, i32)> {
    let mut out = Vec::with_capacity(items.len());
    let (mut row, mut x) = (0u32, 16i32);
    for it in items {
        let w = 24 + approx_width(&it.label, T_LABEL) as i32 + 22;
        if x > 16 && x + w > width as i32 - 8 {
            row += 1;
            x = 16;
        }
        out.push((row, x));
        x += w;
    }
    out
}

fn header_height(items: &[LegendItem], width: u32) -> u32 {
    let rows = legend_layout(items, width)
        .last()
        .map_or(0, |&(r, _)| r + 1);
    LEGEND_Y as u32 + rows * LEGEND_ROW + 6
}

/// Width of the row-label column for `labels`.
fn label_width<'a>(labels: impl IntoIterator<Item = &'a str>) -> u32 {
    let w = labels
        .into_iter()
        .map(|l| approx_width(&truncate_label(l, LABEL_CHARS), T_LABEL))
        .max()
        .unwrap_or(40);
    (w + 16).clamp(56, 260)
}

/// Assembles a chart, computing its height from the body height.
#[allow(clippy::too_many_arguments)]
fn chart(
    name: String,
    section: Section,
    column: Option<String>,
    title: String,
    subtitle: String,
    legend: Vec<LegendItem>,
    footnote: Option<String>,
    width: u32,
    body: u32,
    plot: Plot,
) -> Chart {
    let height =
        header_height(&legend, width) + body + if footnote.is_some() { FOOTNOTE } else { 8 };
    Chart {
        name,
        section,
        column,
        title: truncate_label(&title, 70),
        subtitle,
        legend,
        footnote,
        width,
        height,
        plot,
    }
}

fn bar_legend(reference: Option<&str>) -> Vec<LegendItem> {
    let mut l = vec![
        LegendItem {
            color: GREY,
            swatch: Swatch::Box,
            label: "reference group".into(),
        },
        LegendItem {
            color: BLUE,
            swatch: Swatch::Box,
            label: "no significant gap".into(),
        },
        LegendItem {
            color: VERMILLION,
            swatch: Swatch::Box,
            label: "significant gap".into(),
        },
    ];
    if let Some(r) = reference {
        l.push(LegendItem {
            color: TEXT,
            swatch: Swatch::Dashed,
            label: format!("mean of {}", truncate_label(r, 16)),
        });
    }
    l
}

fn suppressed_note(hidden: usize, min_size: usize) -> Option<String> {
    (hidden > 0).then(|| {
        format!(
            "{hidden} {} not shown (fewer than {min_size} users, or withheld so that a smaller group cannot be recovered)",
            if hidden == 1 { "group" } else { "groups" }
        )
    })
}

fn level(result: &AuditResult) -> String {
    format!("{:.0}%", result.settings.stats.confidence * 100.0)
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

fn bars_body(panels: &[BarPanel]) -> u32 {
    let rows = panels.iter().map(|p| p.bars.len()).max().unwrap_or(1) as u32;
    let top = if panels.iter().any(|p| !p.heading.is_empty()) {
        34
    } else {
        8
    };
    top + rows * ROW + X_AXIS
}

/// Every chart of the report, in page order. Charts whose data is absent are skipped.
pub fn build_charts(result: &AuditResult) -> Vec<Chart> {
    let mut out: Vec<Chart> = Vec::new();
    let k = result.settings.k;
    let min_size = result.settings.slices.min_slice_size;
    let lvl = level(result);
    let reference_of = |col: &str| result.slices.get(col).and_then(|s| s.reference.clone());
    let suppressed_of = |col: &str| result.slices.get(col).map(suppressed_groups).unwrap_or(0);

    // Per-slice bars of the key metric, and its ratios to the reference.
    if let Some(key) = key_metric(result) {
        let label = metric_label(key, k);
        for col in result.metrics[key].slices.keys() {
            let Some(panel) = metric_panel(result, key, col, false) else {
                continue;
            };
            let reference = reference_of(col);
            out.push(chart(
                format!("{}_{}", file_stem(key), file_stem(col)),
                Section::Quality,
                Some(col.clone()),
                format!(
                    "{label} by {}",
                    truncate_label(&crate::slices::display_key(col), 32)
                ),
                format!("Mean per user, {lvl} interval as whiskers, highest first."),
                bar_legend(panel.reference.and(reference.as_deref())),
                suppressed_note(suppressed_of(col), min_size),
                NARROW,
                bars_body(std::slice::from_ref(&panel)),
                Plot::Bars(vec![panel]),
            ));
        }
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

    // Exposure share vs target share per item-group column.
    let item_cols: Vec<String> = result
        .corpus
        .overall
        .shares
        .keys()
        .filter_map(|k| k.strip_prefix("exposure_share_").map(str::to_string))
        .collect();
    for col in &item_cols {
        let mut rows = share_rows(&result.corpus, col);
        if rows.is_empty() {
            continue;
        }
        let hidden = cap_rows(&mut rows, MAX_ROWS);
        let has_merit = rows.iter().any(|r| r.merit.is_some());
        let n_bars = if has_merit { 3 } else { 2 };
        let range = axis_range(
            rows.iter().flat_map(|r| {
                let (l, h) = r.whisker.unwrap_or((r.share, r.share));
                [
                    r.share,
                    l,
                    h,
                    r.catalog.unwrap_or(0.0),
                    r.merit.unwrap_or(0.0),
                ]
            }),
            true,
        );
        let mut legend = vec![
            LegendItem {
                color: BLUE,
                swatch: Swatch::Box,
                label: "exposure share".into(),
            },
            LegendItem {
                color: ORANGE,
                swatch: Swatch::Box,
                label: "catalog share (target)".into(),
            },
        ];
        if has_merit {
            legend.push(LegendItem {
                color: GREEN,
                swatch: Swatch::Box,
                label: "share of history interactions".into(),
            });
        }
        let body = 8 + rows.len() as u32 * (14 + 13 * n_bars) + X_AXIS;
        out.push(chart(
            format!("exposure_{}", file_stem(col)),
            Section::Exposure,
            Some(col.clone()),
            format!(
                "Exposure share vs catalog share by {}",
                truncate_label(&crate::slices::display_key(col), 32)
            ),
            format!(
                "Position-weighted ({}) share of all exposure, {lvl} interval, largest first.",
                result.settings.position_weight.name()
            ),
            legend,
            hidden_note(hidden, "item groups"),
            WIDE,
            body,
            Plot::Shares(SharePlot {
                axis: format!(
                    "share of exposure (%), by {}",
                    truncate_label(&crate::slices::display_key(col), 32)
                ),
                rows,
                has_merit,
                range,
            }),
        ));
    }

    // Popularity per user slice: ARP and long-tail share side by side.
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
        let reference = reference_of(col);
        let has_ref = panels.iter().any(|p| p.reference.is_some());
        out.push(chart(
            format!("popularity_{}", file_stem(col)),
            Section::Popularity,
            Some(col.clone()),
            format!("Popularity of recommendations by {}", truncate_label(&crate::slices::display_key(col), 32)),
            format!("Mean per user, {lvl} interval. Lower ARP and a higher long-tail share mean less popularity bias."),
            bar_legend(reference.as_deref().filter(|_| has_ref)),
            suppressed_note(suppressed_of(col), min_size),
            WIDE,
            bars_body(&panels),
            Plot::Bars(panels),
        ));
    }

    // Narrowing share per slice.
    if let Some(m) = result.metrics.get("narrowed") {
        for col in m.slices.keys() {
            let Some(panel) = metric_panel(result, "narrowed", col, false) else {
                continue;
            };
            let reference = reference_of(col);
            let b = &result.settings.bubble;
            out.push(chart(
                format!("narrowing_{}", file_stem(col)),
                Section::Bubble,
                Some(col.clone()),
                format!("Users with narrowed lists by {}", truncate_label(&crate::slices::display_key(col), 32)),
                format!(
                    "Share of users whose list is under {}× as diverse as their history (≥ {} items).",
                    fmt_short(b.narrowing_threshold),
                    b.min_history
                ),
                bar_legend(panel.reference.and(reference.as_deref())),
                suppressed_note(suppressed_of(col), min_size),
                NARROW,
                bars_body(std::slice::from_ref(&panel)),
                Plot::Bars(vec![panel]),
            ));
        }
    }

    // Diversity over snapshots.
    if let Some(ot) = &result.over_time {
        if ot.snapshots.len() >= 2 {
            let labels = ot.snapshots.clone();
            let panel = |heading: &str,
                         percent: bool,
                         f: &dyn Fn(&crate::metrics::bubble::SnapshotValues) -> Option<f64>|
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
                    x_labels: labels.clone(),
                    series: vec![Series {
                        name: "all users".into(),
                        values,
                        color: BLUE,
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
                out.push(chart(
                    format!("over_time_{}", file_stem(col)),
                    Section::OverTime,
                    Some(col.clone()),
                    format!(
                        "List diversity over snapshots by {}",
                        truncate_label(&crate::slices::display_key(col), 32)
                    ),
                    "Mean category entropy of the group's lists per snapshot.".into(),
                    legend,
                    suppressed_note(suppressed_of(col), min_size),
                    NARROW,
                    34 + 260 + X_AXIS,
                    Plot::Lines(vec![LinePanel {
                        heading: "Mean list entropy (bits)".into(),
                        percent: false,
                        x_labels: labels.clone(),
                        series,
                        range,
                    }]),
                ));
            }
        }
    }

    // Segregation: cluster shares per slice group.
    if let Some(seg) = &result.segregation {
        for s in &seg.slices {
            let (mut rows, suppressed) = stack_rows(s);
            if rows.is_empty() {
                continue;
            }
            let hidden = cap_rows(&mut rows, MAX_ROWS);
            let legend = seg
                .clusters
                .iter()
                .map(|c| LegendItem {
                    color: SERIES[c.cluster % SERIES.len()],
                    swatch: Swatch::Box,
                    label: truncate_label(
                        &format!(
                            "cluster {} ({}): {}",
                            c.cluster + 1,
                            fmt_pct(c.share),
                            c.top_categories
                                .iter()
                                .map(|t| t.category.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        48,
                    ),
                })
                .collect();
            let nmi = s.nmi.map_or("undefined".to_string(), |x| format!("{x:.3}"));
            out.push(chart(
                format!("segregation_{}", file_stem(&s.column)),
                Section::Segregation,
                Some(s.column.clone()),
                format!(
                    "List clusters by {} (NMI {nmi})",
                    truncate_label(&crate::slices::display_key(&s.column), 32)
                ),
                "Share of each group's users in each cluster of similar lists.".into(),
                legend,
                join_notes(
                    suppressed_note(suppressed, min_size),
                    hidden_note(hidden, "groups"),
                ),
                NARROW,
                8 + rows.len() as u32 * ROW + X_AXIS,
                Plot::Stacked(StackPlot { rows }),
            ));
        }
    }

    // Unique file names.
    let mut seen = BTreeSet::new();
    for c in &mut out {
        let mut name = c.name.clone();
        let mut i = 2;
        while !seen.insert(name.clone()) {
            name = format!("{}_{i}", c.name);
            i += 1;
        }
        c.name = name;
    }
    out
}

/// The word for a bubble verdict.
pub fn verdict_word(v: &crate::metrics::bubble::Verdict) -> &'static str {
    use crate::metrics::bubble::Verdict;
    match v {
        Verdict::Narrowing => "narrowing",
        Verdict::Stable => "stable",
        Verdict::Widening => "widening",
        Verdict::Undetermined => "undetermined",
    }
}

// ---------------------------------------------------------------------------------------------
// Drawing
// ---------------------------------------------------------------------------------------------

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn font(size: f64, color: RGBColor) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&color)
}

fn anchored(size: f64, color: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    font(size, color).pos(Pos::new(h, v))
}

fn tick_label(x: f64, percent: bool) -> String {
    if percent {
        let p = x * 100.0;
        if (p - p.round()).abs() < 1e-6 {
            format!("{}%", p.round() as i64)
        } else {
            format!("{p:.1}%")
        }
    } else {
        fmt_short(x)
    }
}

/// Draws the chart on the SVG backend and returns the SVG text.
pub fn render_svg(c: &Chart) -> Result<String> {
    ensure_font();
    let mut buf = String::new();
    {
        let root =
            VisibleText(SVGBackend::with_string(&mut buf, (c.width, c.height))).into_drawing_area();
        draw(&root, c).map_err(|e| anyhow!("{e}"))?;
        root.present().map_err(|e| anyhow!("{e}"))?;
    }
    Ok(buf)
}

/// Draws the chart into a PNG file at `path`.
pub fn render_png(c: &Chart, path: &Path) -> Result<()> {
    ensure_font();
    let root = VisibleText(BitMapBackend::new(path, (c.width, c.height))).into_drawing_area();
    draw(&root, c).map_err(|e| anyhow!("{e}"))?;
    root.present().map_err(|e| anyhow!("{e}"))?;
    Ok(())
}

pub use visible_text::VisibleText;

/// The text-escaping backend, in a module of its own: plotters' backend traits in scope would make
/// the colour methods of the drawing code above ambiguous.
mod visible_text {
    use plotters::prelude::DrawingBackend;
    use plotters_backend::{
        BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
    };

    use crate::text::visible;

    /// A drawing backend that draws every text as [`visible`] shows it and everything else as the
    /// wrapped backend does. Labels come from the data: a control character would make the SVG
    /// invalid XML, and a bidi control would reorder the text.
    pub struct VisibleText<DB>(pub DB);

    impl<DB: DrawingBackend> DrawingBackend for VisibleText<DB> {
        type ErrorType = DB::ErrorType;

        fn get_size(&self) -> (u32, u32) {
            self.0.get_size()
        }

        fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.ensure_prepared()
        }

        fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.present()
        }

        fn draw_pixel(
            &mut self,
            point: BackendCoord,
            color: BackendColor,
        ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.draw_pixel(point, color)
        }

        fn draw_line<S: BackendStyle>(
            &mut self,
            from: BackendCoord,
            to: BackendCoord,
            style: &S,
        ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.draw_line(from, to, style)
        }

        fn draw_rect<S: BackendStyle>(
            &mut self,
            upper_left: BackendCoord,
            bottom_right: BackendCoord,
            style: &S,
            fill: bool,
        ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.draw_rect(upper_left, bottom_right, style, fill)
        }

        fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
            &mut self,
            path: I,
            style: &S,
        ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.draw_path(path, style)
        }

        fn draw_circle<S: BackendStyle>(
            &mut self,
            center: BackendCoord,
            radius: u32,
            style: &S,
            fill: bool,
        ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.draw_circle(center, radius, style, fill)
        }

        fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
            &mut self,
            vert: I,
            style: &S,
        ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.fill_polygon(vert, style)
        }

        fn draw_text<TStyle: BackendTextStyle>(
            &mut self,
            text: &str,
            style: &TStyle,
            pos: BackendCoord,
        ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.draw_text(&visible(text), style, pos)
        }

        fn estimate_text_size<TStyle: BackendTextStyle>(
            &self,
            text: &str,
            style: &TStyle,
        ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
            self.0.estimate_text_size(&visible(text), style)
        }

        fn blit_bitmap(
            &mut self,
            pos: BackendCoord,
            size: (u32, u32),
            src: &[u8],
        ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.blit_bitmap(pos, size, src)
        }
    }
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &Chart) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    root.draw(&Text::new(
        c.title.clone(),
        (16, TITLE_Y),
        anchored(T_TITLE, TEXT, HPos::Left, VPos::Top),
    ))?;
    root.draw(&Text::new(
        truncate_label(
            &c.subtitle,
            ((c.width - 32) as f64 / (T_SUB * 0.5)) as usize,
        ),
        (16, TITLE_Y + 34),
        anchored(T_SUB, MUTED, HPos::Left, VPos::Top),
    ))?;
    for (it, (row, x)) in c.legend.iter().zip(legend_layout(&c.legend, c.width)) {
        let y = LEGEND_Y + (row * LEGEND_ROW) as i32 + 8;
        draw_swatch(root, it, x, y)?;
        root.draw(&Text::new(
            it.label.clone(),
            (x + 24, y),
            anchored(T_LABEL, TEXT, HPos::Left, VPos::Center),
        ))?;
    }
    let top = header_height(&c.legend, c.width);
    let bottom = if c.footnote.is_some() { FOOTNOTE } else { 8 };
    if let Some(note) = &c.footnote {
        root.draw(&Text::new(
            note.clone(),
            (16, c.height as i32 - 10),
            anchored(T_SUB, MUTED, HPos::Left, VPos::Bottom),
        ))?;
    }
    let body = root.margin(top, bottom, 8, 8);
    match &c.plot {
        Plot::Bars(panels) => {
            let label_w = label_width(
                panels
                    .iter()
                    .flat_map(|p| p.bars.iter().map(|b| b.label.as_str())),
            );
            let areas = body.split_evenly((1, panels.len().max(1)));
            for (area, p) in areas.iter().zip(panels) {
                draw_bar_panel(root, area, p, label_w)?;
            }
        }
        Plot::Ratios(p) => draw_ratios(root, &body, p)?,
        Plot::Shares(p) => draw_shares(root, &body, p)?,
        Plot::Lines(panels) => {
            let areas = body.split_evenly((1, panels.len().max(1)));
            for (area, p) in areas.iter().zip(panels) {
                draw_line_panel(root, area, p)?;
            }
        }
        Plot::Stacked(p) => draw_stacked(root, &body, p)?,
    }
    Ok(())
}

fn draw_swatch<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    it: &LegendItem,
    x: i32,
    y: i32,
) -> DrawResult<DB> {
    match it.swatch {
        Swatch::Box => {
            root.draw(&Rectangle::new(
                [(x, y - 6), (x + 14, y + 6)],
                it.color.filled(),
            ))?;
            if it.color == BAND {
                root.draw(&Rectangle::new([(x, y - 6), (x + 14, y + 6)], GREEN))?;
            }
        }
        Swatch::Line => {
            root.draw(&PathElement::new(
                vec![(x, y), (x + 16, y)],
                it.color.stroke_width(3),
            ))?;
        }
        Swatch::Dashed => {
            root.draw(&PathElement::new(
                vec![(x, y), (x + 5, y)],
                it.color.stroke_width(2),
            ))?;
            root.draw(&PathElement::new(
                vec![(x + 9, y), (x + 16, y)],
                it.color.stroke_width(2),
            ))?;
        }
        Swatch::Dot => {
            root.draw(&Circle::new((x + 7, y), 5, it.color.filled()))?;
        }
        Swatch::Hollow => {
            root.draw(&Circle::new((x + 7, y), 5, it.color.stroke_width(2)))?;
        }
    }
    Ok(())
}

type Ctx<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A horizontal-category chart: x numeric, rows top to bottom; mesh and x axis drawn.
fn row_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    range: (f64, f64),
    rows: usize,
    label_w: u32,
    top: u32,
    axis: &str,
    percent: bool,
) -> Result<Ctx<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let mut chart = ChartBuilder::on(area)
        .margin_top(top)
        .margin_right(VALUE_W)
        .margin_left(4)
        .x_label_area_size(X_AXIS)
        .y_label_area_size(label_w)
        .build_cartesian_2d(range.0..range.1, 0f64..rows.max(1) as f64)?;
    let fmt = move |x: &f64| tick_label(*x, percent);
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(6)
        .max_light_lines(0)
        .x_label_formatter(&fmt)
        .x_desc(axis)
        .axis_desc_style(font(T_AXIS, TEXT))
        .label_style(font(T_LABEL, TEXT))
        .bold_line_style(GRID.stroke_width(1))
        .axis_style(MUTED.stroke_width(1))
        .draw()?;
    Ok(chart)
}

/// Centre y of row `i` of `n` (row 0 at the top).
fn row_y(i: usize, n: usize) -> f64 {
    n as f64 - i as f64 - 0.5
}

fn draw_whisker<DB: DrawingBackend>(
    chart: &mut Ctx<'_, DB>,
    (lo, hi): (f64, f64),
    y: f64,
    cap: f64,
    color: RGBColor,
) -> DrawResult<DB> {
    let s = color.stroke_width(2);
    chart.draw_series([
        PathElement::new(vec![(lo, y), (hi, y)], s),
        PathElement::new(vec![(lo, y - cap), (lo, y + cap)], s),
        PathElement::new(vec![(hi, y - cap), (hi, y + cap)], s),
    ])?;
    Ok(())
}

fn row_label<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Ctx<'_, DB>,
    x0: f64,
    y: f64,
    label: &str,
) -> DrawResult<DB> {
    let (px, py) = chart.backend_coord(&(x0, y));
    root.draw(&Text::new(
        truncate_label(label, LABEL_CHARS),
        (px - 8, py),
        anchored(T_LABEL, TEXT, HPos::Right, VPos::Center),
    ))
}

fn value_label<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Ctx<'_, DB>,
    x: f64,
    y: f64,
    text: String,
) -> DrawResult<DB> {
    let (px, py) = chart.backend_coord(&(x, y));
    root.draw(&Text::new(
        text,
        (px + 6, py),
        anchored(T_VALUE, MUTED, HPos::Left, VPos::Center),
    ))
}

fn dashed_vline<DB: DrawingBackend>(
    chart: &mut Ctx<'_, DB>,
    x: f64,
    y1: f64,
    color: RGBColor,
) -> DrawResult<DB> {
    let steps = 40;
    let seg = y1 / steps as f64;
    chart.draw_series((0..steps).step_by(2).map(|i| {
        PathElement::new(
            vec![(x, i as f64 * seg), (x, (i as f64 + 1.0) * seg)],
            color.stroke_width(2),
        )
    }))?;
    Ok(())
}

fn role_color(r: Role) -> RGBColor {
    match r {
        Role::Reference => GREY,
        Role::Significant => VERMILLION,
        Role::Plain => BLUE,
    }
}

fn draw_bar_panel<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &DrawingArea<DB, Shift>,
    p: &BarPanel,
    label_w: u32,
) -> DrawResult<DB> {
    let n = p.bars.len();
    let top = if p.heading.is_empty() { 8 } else { 34 };
    if !p.heading.is_empty() {
        let (bx, by) = area.get_base_pixel();
        root.draw(&Text::new(
            p.heading.clone(),
            (bx + label_w as i32 + 4, by + 4),
            anchored(T_HEAD, TEXT, HPos::Left, VPos::Top),
        ))?;
    }
    let mut chart = row_chart(area, p.range, n, label_w, top, &p.axis, p.percent)?;
    let base = if p.range.0 <= 0.0 && p.range.1 >= 0.0 {
        0.0
    } else {
        p.range.0
    };
    for (i, b) in p.bars.iter().enumerate() {
        let y = row_y(i, n);
        chart.draw_series(std::iter::once(Rectangle::new(
            [(base, y - 0.32), (b.value, y + 0.32)],
            role_color(b.role).filled(),
        )))?;
        if let Some(w) = b.whisker {
            draw_whisker(&mut chart, w, y, 0.16, TEXT)?;
        }
        row_label(root, &chart, p.range.0, y, &b.label)?;
        let end = b.whisker.map_or(b.value, |w| w.1.max(b.value)).max(base);
        value_label(
            root,
            &chart,
            end,
            y,
            format!("{} · n={}", fmt_value(b.value, p.percent), b.n),
        )?;
    }
    if let Some(r) = p.reference {
        dashed_vline(&mut chart, r, n.max(1) as f64, TEXT)?;
    }
    Ok(())
}

fn draw_ratios<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &DrawingArea<DB, Shift>,
    p: &RatioPlot,
) -> DrawResult<DB> {
    let n = p.points.len();
    let label_w = label_width(p.points.iter().map(|q| q.label.as_str()));
    // Shade the band first, under the mesh.
    let mut chart = row_chart(area, p.range, n, label_w, 8, &p.axis, false)?;
    chart.draw_series(std::iter::once(Rectangle::new(
        [(p.band.0, 0.0), (p.band.1, n.max(1) as f64)],
        BAND.filled(),
    )))?;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(1.0, 0.0), (1.0, n.max(1) as f64)],
        MUTED.stroke_width(2),
    )))?;
    for (i, q) in p.points.iter().enumerate() {
        let y = row_y(i, n);
        let outside = q.ratio < p.band.0 || q.ratio > p.band.1;
        let color = if outside { VERMILLION } else { BLUE };
        let clamp = |x: f64| x.clamp(p.range.0, p.range.1);
        if let Some((lo, hi)) = q.whisker {
            draw_whisker(&mut chart, (clamp(lo), clamp(hi)), y, 0.18, color)?;
        }
        let style = if q.significant {
            color.filled()
        } else {
            WHITE.filled()
        };
        if q.ratio > p.range.1 {
            // Off the axis: an arrow at the edge.
            let (px, py) = chart.backend_coord(&(p.range.1, y));
            let arrow = vec![(px - 12, py - 8), (px, py), (px - 12, py + 8)];
            root.draw(&Polygon::new(arrow.clone(), style))?;
            root.draw(&PathElement::new(
                [arrow.clone(), vec![arrow[0]]].concat(),
                color.stroke_width(2),
            ))?;
        } else {
            chart.draw_series([
                Circle::new((q.ratio, y), 6, style),
                Circle::new((q.ratio, y), 6, color.stroke_width(2)),
            ])?;
        }
        row_label(root, &chart, p.range.0, y, &q.label)?;
        let end = clamp(q.whisker.map_or(q.ratio, |w| w.1.max(q.ratio)));
        let sig = if q.significant {
            "significant"
        } else {
            "not significant"
        };
        value_label(
            root,
            &chart,
            end.min(p.range.1),
            y,
            format!("{} · {sig}", fmt_ratio(q.ratio)),
        )?;
    }
    Ok(())
}

fn draw_shares<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &DrawingArea<DB, Shift>,
    p: &SharePlot,
) -> DrawResult<DB> {
    let n = p.rows.len();
    let label_w = label_width(p.rows.iter().map(|r| r.label.as_str()));
    let mut chart = row_chart(area, p.range, n, label_w, 8, &p.axis, true)?;
    let m = if p.has_merit { 3.0 } else { 2.0 };
    let thick = 0.8 / m;
    for (i, r) in p.rows.iter().enumerate() {
        let y = row_y(i, n);
        let top = y + 0.4;
        let slot = |j: f64| (top - thick * (j + 1.0) + 0.02, top - thick * j - 0.02);
        let (a, b) = slot(0.0);
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0.0, a), (r.share, b)],
            BLUE.filled(),
        )))?;
        if let Some(w) = r.whisker {
            draw_whisker(&mut chart, w, (a + b) / 2.0, thick / 2.5, TEXT)?;
        }
        if let Some(c) = r.catalog {
            let (a, b) = slot(1.0);
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, a), (c, b)],
                ORANGE.filled(),
            )))?;
        }
        if let Some(mv) = r.merit {
            let (a, b) = slot(2.0);
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, a), (mv, b)],
                GREEN.filled(),
            )))?;
        }
        row_label(root, &chart, p.range.0, y, &r.label)?;
        let end = r
            .whisker
            .map_or(r.share, |w| w.1)
            .max(r.share)
            .max(r.catalog.unwrap_or(0.0))
            .max(r.merit.unwrap_or(0.0));
        let text = match r.catalog {
            Some(c) if c > 0.0 => {
                format!("{} · {}× catalog", fmt_pct(r.share), fmt_ratio(r.share / c))
            }
            _ => fmt_pct(r.share),
        };
        value_label(root, &chart, end, y, text)?;
    }
    Ok(())
}

fn draw_line_panel<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &DrawingArea<DB, Shift>,
    p: &LinePanel,
) -> DrawResult<DB> {
    let t = p.x_labels.len();
    let (x0, x1) = if t <= 1 {
        (-0.5, 0.5)
    } else {
        (-0.3, t as f64 - 0.7)
    };
    let (bx, by) = area.get_base_pixel();
    root.draw(&Text::new(
        p.heading.clone(),
        (bx + 64, by + 4),
        anchored(T_HEAD, TEXT, HPos::Left, VPos::Top),
    ))?;
    let mut chart = ChartBuilder::on(area)
        .margin_top(34)
        .margin_right(20)
        .margin_left(4)
        .x_label_area_size(X_AXIS)
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1, p.range.0..p.range.1)?;
    let percent = p.percent;
    let fmt = move |y: &f64| tick_label(*y, percent);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(6)
        .max_light_lines(0)
        .y_label_formatter(&fmt)
        .x_desc("snapshot")
        .axis_desc_style(font(T_AXIS, TEXT))
        .label_style(font(T_LABEL, TEXT))
        .bold_line_style(GRID.stroke_width(1))
        .axis_style(MUTED.stroke_width(1))
        .draw()?;
    for (i, l) in p.x_labels.iter().enumerate() {
        let (px, py) = chart.backend_coord(&(i as f64, p.range.0));
        root.draw(&Text::new(
            truncate_label(l, 12),
            (px, py + 6),
            anchored(T_LABEL, TEXT, HPos::Center, VPos::Top),
        ))?;
    }
    for s in &p.series {
        let mut segment: Vec<(f64, f64)> = Vec::new();
        let points: Vec<Option<(f64, f64)>> = s
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| v.map(|v| (i as f64, v)))
            .chain(std::iter::once(None))
            .collect();
        for pt in points {
            match pt {
                Some(xy) => segment.push(xy),
                None => {
                    if segment.len() >= 2 {
                        chart.draw_series(LineSeries::new(
                            segment.iter().copied(),
                            s.color.stroke_width(3),
                        ))?;
                    }
                    chart.draw_series(
                        segment
                            .iter()
                            .map(|&xy| Circle::new(xy, 4, s.color.filled())),
                    )?;
                    segment.clear();
                }
            }
        }
    }
    Ok(())
}

fn draw_stacked<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &DrawingArea<DB, Shift>,
    p: &StackPlot,
) -> DrawResult<DB> {
    let n = p.rows.len();
    let label_w = label_width(p.rows.iter().map(|r| r.label.as_str()));
    let mut chart = row_chart(
        area,
        (0.0, 1.0),
        n,
        label_w,
        8,
        "share of the group's users (%)",
        true,
    )?;
    for (i, r) in p.rows.iter().enumerate() {
        let y = row_y(i, n);
        let mut cum = 0.0;
        for (j, &s) in r.shares.iter().enumerate() {
            if !(s.is_finite() && s > 0.0) {
                continue;
            }
            let color = SERIES[j % SERIES.len()];
            let end = (cum + s).min(1.0);
            chart.draw_series(std::iter::once(Rectangle::new(
                [(cum, y - 0.34), (end, y + 0.34)],
                color.filled(),
            )))?;
            if s >= 0.08 {
                let (px, py) = chart.backend_coord(&((cum + end) / 2.0, y));
                let ink = if matches!(j % SERIES.len(), 1 | 5 | 6) {
                    TEXT
                } else {
                    WHITE
                };
                root.draw(&Text::new(
                    format!("{:.0}%", s * 100.0),
                    (px, py),
                    anchored(T_VALUE, ink, HPos::Center, VPos::Center),
                ))?;
            }
            cum = end;
        }
        row_label(root, &chart, 0.0, y, &r.label)?;
        value_label(root, &chart, 1.0, y, format!("n={}", r.n))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::metrics::segregation::GroupClusters;
    use crate::metrics::Better;
    use crate::result::{DisparityResult, GroupSummary, SliceMetric};
    use crate::stats::GroupComparison;

    fn est(v: f64, lo: f64, hi: f64, n: usize) -> Estimate {
        Estimate {
            value: Some(v),
            ci_low: Some(lo),
            ci_high: Some(hi),
            n,
        }
    }

    fn comparison(e: Estimate, ratio: Estimate, significant: bool) -> GroupComparison {
        GroupComparison {
            group: 0,
            estimate: e,
            difference: Estimate::default(),
            ratio,
            p_value: None,
            p_adjusted: None,
            test: None,
            significant,
            four_fifths: None,
        }
    }

    /// A metric with groups a (0.5), b (0.2, significant), ref (0.4), c (undefined).
    fn metric() -> MetricResult {
        let a = est(0.5, 0.45, 0.55, 30);
        let b = est(0.2, 0.1, 0.3, 40);
        let r = est(0.4, 0.35, 0.45, 50);
        let groups: BTreeMap<String, Estimate> = [
            ("a".to_string(), a),
            ("b".to_string(), b),
            ("ref".to_string(), r),
            ("c".to_string(), Estimate::point(None, 25)),
        ]
        .into_iter()
        .collect();
        let d = DisparityResult {
            reference: "ref".into(),
            groups: [
                (
                    "a".to_string(),
                    comparison(a, est(1.25, 1.0, 1.5, 30), false),
                ),
                ("b".to_string(), comparison(b, est(0.5, 0.3, 0.7, 40), true)),
                (
                    "ref".to_string(),
                    comparison(r, est(1.0, 1.0, 1.0, 50), false),
                ),
            ]
            .into_iter()
            .collect(),
            spread: Estimate::default(),
            min_max_ratio: Estimate::default(),
        };
        MetricResult {
            family: "quality".into(),
            better: Better::Higher,
            overall: est(0.4, 0.38, 0.42, 145),
            n_undefined: 0,
            slices: [(
                "gender".to_string(),
                SliceMetric {
                    groups,
                    disparity: Some(d),
                    groups_withheld: 0,
                },
            )]
            .into_iter()
            .collect(),
        }
    }

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

    #[test]
    fn bars_are_sorted_highest_first_with_roles_and_undefined_left_out() {
        let bars = metric_bars(&metric(), "gender");
        let labels: Vec<&str> = bars.iter().map(|b| b.label.as_str()).collect();
        assert_eq!(labels, ["a", "ref", "b"]);
        assert_eq!(
            bars.iter().map(|b| b.role).collect::<Vec<_>>(),
            [Role::Plain, Role::Reference, Role::Significant]
        );
        assert_eq!(bars[2].whisker, Some((0.1, 0.3)));
        assert_eq!(bars[2].n, 40);
        assert!(metric_bars(&metric(), "no such column").is_empty());
        assert_eq!(reference_value(&metric(), "gender"), Some(0.4));
    }

    #[test]
    fn groups_not_published_are_counted_never_named() {
        let s = SliceSummary {
            columns: vec!["gender".into()],
            reference: Some("M".into()),
            groups: [("F", 30), ("M", 40)]
                .into_iter()
                .map(|(l, n)| {
                    (
                        l.to_string(),
                        GroupSummary {
                            n_users: n,
                            values: Default::default(),
                        },
                    )
                })
                .collect(),
            groups_too_small: 2,
            groups_withheld: 1,
        };
        assert_eq!(suppressed_groups(&s), 3);
        assert!(suppressed_note(0, 20).is_none());
        assert_eq!(
            suppressed_note(1, 20).unwrap(),
            "1 group not shown (fewer than 20 users, or withheld so that a smaller group cannot be recovered)"
        );
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
        let bars = metric_bars(&metric(), "gender");
        let (lo, hi) = bar_range(&bars, Some(0.9));
        assert_eq!(lo, 0.0);
        assert!(hi >= 0.9);
    }

    #[test]
    fn ratio_points_skip_the_reference_and_sort_lowest_first() {
        let mut result = crate::report::tests::tiny_result();
        result.metrics.insert("ndcg".into(), metric());
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

    #[test]
    fn share_rows_pair_exposure_with_targets_largest_first() {
        let mut corpus = CorpusResult::default();
        let m = |v: &[(&str, Option<f64>)]| -> BTreeMap<String, Option<f64>> {
            v.iter().map(|(k, v)| (k.to_string(), *v)).collect()
        };
        corpus.overall.shares.insert(
            "exposure_share_provider".into(),
            m(&[("indie", Some(0.1)), ("major", Some(0.7)), ("none", None)]),
        );
        corpus.overall.shares.insert(
            "target_share_catalog_provider".into(),
            m(&[("indie", Some(0.4)), ("major", Some(0.5))]),
        );
        let rows = share_rows(&corpus, "provider");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].label, "major");
        assert_eq!(rows[0].catalog, Some(0.5));
        assert_eq!(rows[1].merit, None);
        assert_eq!(rows[1].whisker, None);
        assert!(share_rows(&corpus, "category").is_empty());
    }

    #[test]
    fn stack_rows_sort_by_first_cluster_and_count_the_groups_not_shown() {
        let g = |name: &str, n: usize, shares: Vec<f64>| GroupClusters {
            group: name.into(),
            n_users: n,
            cluster_shares: shares,
        };
        let seg = SliceSegregation {
            column: "age".into(),
            n_users: 100,
            nmi: Some(0.2),
            groups: vec![g("young", 40, vec![0.3, 0.7]), g("old", 50, vec![0.9, 0.1])],
            groups_not_shown: 1,
        };
        let (rows, hidden) = stack_rows(&seg);
        assert_eq!(
            rows.iter().map(|r| r.label.as_str()).collect::<Vec<_>>(),
            ["old", "young"]
        );
        assert_eq!(hidden, 1);
    }

    #[test]
    fn labels_are_truncated_and_file_stems_are_safe() {
        assert_eq!(truncate_label("abc", 5), "abc");
        assert_eq!(truncate_label("abcdef", 4), "abc…");
        assert_eq!(file_stem("Age band"), "age_band");
        assert_eq!(
            file_stem("<script>alert(1)</script>"),
            "script_alert_1_script"
        );
        assert_eq!(file_stem("../../etc"), "etc");
        assert_eq!(file_stem("été"), "t");
        assert_eq!(file_stem("∅"), "chart");
    }

    #[test]
    fn labels_are_truncated_as_shown_without_cutting_an_escape() {
        assert_eq!(truncate_label("F\u{202E}M", 20), "F\\u{202E}M");
        assert_eq!(truncate_label("女性\u{1B}", 8), "女性\\u{1B}");
        // a, b, then the 8-character escape would pass 5 characters: it is left out whole.
        assert_eq!(truncate_label("ab\u{202E}cd", 6), "ab…");
        assert_eq!(truncate_label("a\u{1B}bcdef", 9), "a\\u{1B}b…");
        assert_eq!(truncate_label("ذكر و أنثى", 5), "ذكر …");
    }

    #[test]
    fn drawn_text_is_visible_and_the_svg_is_xml() {
        ensure_font();
        let mut buf = String::new();
        {
            let root =
                VisibleText(SVGBackend::with_string(&mut buf, (200, 50))).into_drawing_area();
            root.draw(&Text::new(
                "<b>&\"\u{1B}[31m\u{202E}F\u{0}\u{200B}女性",
                (5, 5),
                font(12.0, TEXT),
            ))
            .unwrap();
            root.present().unwrap();
        }
        let doc = roxmltree::Document::parse(&buf).unwrap_or_else(|e| panic!("{e}\n{buf}"));
        let text: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .map(str::trim)
            .collect();
        assert_eq!(text, ["<b>&\"\\u{1B}[31m\\u{202E}F\\u{0}\\u{200B}女性"]);
    }

    #[test]
    fn long_lists_keep_both_ends() {
        let mut v: Vec<u32> = (0..10).collect();
        assert_eq!(cap_rows(&mut v, 20), 0);
        assert_eq!(v.len(), 10);
        assert_eq!(cap_rows(&mut v, 5), 5);
        assert_eq!(v, [0, 1, 2, 8, 9]);
        assert!(hidden_note(0, "groups").is_none());
        assert_eq!(
            join_notes(Some("a.".into()), hidden_note(2, "groups")).unwrap(),
            "a. 2 groups in the middle of the order are not drawn; the table lists every one."
        );
    }

    #[test]
    fn legends_wrap_within_the_width() {
        let items: Vec<LegendItem> = (0..6)
            .map(|i| LegendItem {
                color: BLUE,
                swatch: Swatch::Box,
                label: format!("a fairly long legend entry {i}"),
            })
            .collect();
        let layout = legend_layout(&items, 640);
        assert_eq!(layout[0], (0, 16));
        assert!(layout.last().unwrap().0 >= 2);
        assert!(header_height(&items, 640) > header_height(&items[..1], 640));
    }
}
