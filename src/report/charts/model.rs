//! What a chart is: its layout (title, legend, footnote, size, page section) and the data of each
//! kind of plot. Built in `data`, drawn in `draw`.

use plotters::style::RGBColor;

use super::standing::Standing;

/// One horizontal bar: a group's mean with its interval.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupBar {
    /// Group label (as in the data; truncated only when drawn).
    pub label: String,
    /// The mean.
    pub value: f64,
    /// Interval (low, high), widened to contain the value; `None` when undefined.
    pub whisker: Option<(f64, f64)>,
    /// Where the group stands against the reference group (its fill, symbol and word).
    pub standing: Standing,
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
    pub bars: Vec<GroupBar>,
    /// Dashed vertical line (the reference group's mean).
    pub reference: Option<f64>,
    /// x-axis range.
    pub range: (f64, f64),
}

/// One group's ratio to the reference group of one metric, in the at-a-glance chart.
#[derive(Debug, Clone, PartialEq)]
pub struct GlanceCell {
    /// Group mean ÷ reference mean (1 for the reference; `None` when undefined).
    pub ratio: Option<f64>,
    /// The ratio's interval, widened to contain the ratio.
    pub whisker: Option<(f64, f64)>,
    /// Where the group stands (marker shape and colour).
    pub standing: Standing,
}

/// One published group of a slice column: a cell per metric of the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct GlanceRow {
    /// Group label (as in the data; truncated only when drawn).
    pub label: String,
    /// One entry per [`GlancePlot::metrics`] entry, in order (`None`: the metric has no
    /// comparison for this group).
    pub cells: Vec<Option<GlanceCell>>,
}

/// The groups of one slice column.
#[derive(Debug, Clone, PartialEq)]
pub struct GlancePanel {
    /// The slice column's display name.
    pub column: String,
    /// Its published groups, in label order.
    pub rows: Vec<GlanceRow>,
}

/// One metric of the at-a-glance chart: the key metric of its family.
#[derive(Debug, Clone, PartialEq)]
pub struct GlanceMetric {
    /// Registry key.
    pub key: String,
    /// Label at the cutoff.
    pub label: String,
    /// Which direction is better, as the column head says it (`↑ better`: higher is better).
    pub direction: String,
    /// The ratio axis (log scale), covering every ratio and interval on the scale's limits.
    pub range: (f64, f64),
}

/// Each group's ratio to the reference group of each family's key metric: a grid of small
/// interval plots, a row per published group, a column per metric, a panel per slice column.
#[derive(Debug, Clone, PartialEq)]
pub struct GlancePlot {
    /// The metrics, left to right.
    pub metrics: Vec<GlanceMetric>,
    /// The slice columns, top to bottom.
    pub panels: Vec<GlancePanel>,
    /// The four-fifths band (0.8, 1.25), shaded.
    pub band: (f64, f64),
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

/// A line panel over equally spaced x positions (snapshots, or the points of a Lorenz curve).
#[derive(Debug, Clone, PartialEq)]
pub struct LinePanel {
    /// Heading with unit.
    pub heading: String,
    /// Ticks as percentages.
    pub percent: bool,
    /// The x axis's title (`snapshot`).
    pub x_title: String,
    /// The labels of the x positions (snapshots, or population shares).
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
    /// The colour of each cluster (each row's shares in this order), all distinct.
    pub colors: Vec<RGBColor>,
}

/// What a chart draws.
#[derive(Debug, Clone, PartialEq)]
pub enum Plot {
    /// Horizontal bars with whiskers, one or more panels side by side.
    Bars(Vec<BarPanel>),
    /// Every family's ratios to the reference at a glance.
    Glance(GlancePlot),
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
    /// An outlined box (the reference group's bar).
    Outline,
    /// The marker of a standing (▼, ▲, ○ shapes in its colours).
    Marker(Standing),
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
    /// Every family's ratios to the reference group at a glance.
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
    /// One sentence for the SVG's `<desc>`: what the chart shows and its main reading.
    pub description: String,
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
