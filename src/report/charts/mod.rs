//! Charts of the report: which charts to draw and their data (`data`, pure functions of an
//! [`AuditResult`](crate::result::AuditResult)), and their drawing with plotters on the SVG and
//! the PNG backend (`draw`).
//!
//! - `model`: what a chart is (layout and the data of each plot kind).
//! - `data`: [`build_charts`] and the row helpers (sorting, suppression, interval whiskers); the
//!   at-a-glance chart of every family's ratios to the reference ([`glance_metrics`]).
//! - `draw`: [`render_svg`] (with `<title>` and `<desc>`), [`render_png`] (at [`PNG_SCALE`]
//!   times the layout size); every text drawn goes through [`ChartBackend`], so control, bidi and
//!   invisible characters show as [`crate::text::visible`] escapes; [`truncate_label`] and the
//!   text measures count the escaped form.
//! - [`Standing`]: worse, better, not significant or the reference, the report's visual language
//!   (fill, text colour, symbol, word), shared with the page's tables.
//! - `layout`, `labels`, [`palette`]: sizes and text measures, label text and colours.
//!
//! Meaning never rests on colour alone: each standing has a symbol and a marker shape, and the
//! fills differ in lightness so they read in greyscale.

mod data;
mod draw;
mod labels;
mod layout;
mod model;
pub mod palette;
mod standing;

pub use data::{
    axis_range, bar_range, build_charts, cap_rows, exposure_columns, glance_metrics, glance_panel,
    glance_range, key_metric, merge_series, metric_bars, reference_value, series_colors,
    share_rows, stack_rows, suppressed_groups, whisker, GLANCE_LIMITS, GLANCE_ROWS, MAX_ROWS,
};
pub use draw::{ensure_font, render_png, render_svg, ChartBackend};
pub use labels::{file_stem, truncate_label, verdict_word};
pub use layout::{LABEL_CHARS, NARROW, PNG_SCALE, WIDE};
pub use model::{
    BarPanel, Chart, GlanceCell, GlanceMetric, GlancePanel, GlancePlot, GlanceRow, GroupBar,
    LegendItem, LinePanel, Plot, Section, Series, SharePlot, ShareRow, StackPlot, StackRow, Swatch,
};
pub use standing::Standing;
