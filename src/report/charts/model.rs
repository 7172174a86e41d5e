//! What a chart is: its layout (title, legend, footnote, size, page section) and the data of each
//! kind of plot. Built in `data`, drawn in `draw`.

use plotters::style::RGBColor;

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
pub struct GroupBar {
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
    pub bars: Vec<GroupBar>,
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
