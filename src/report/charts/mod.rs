//! Charts of the report: which charts to draw and their data (`data`, pure functions of an
//! [`AuditResult`](crate::result::AuditResult)), and their drawing with plotters on the SVG and
//! the PNG backend (`draw`).
//!
//! - `model`: what a chart is (layout and the data of each plot kind).
//! - `data`: [`build_charts`] and the row helpers (sorting, suppression, interval whiskers).
//! - `draw`: [`render_svg`], [`render_png`]; every text drawn goes through [`VisibleText`], so
//!   control, bidi and invisible characters show as [`crate::text::visible`] escapes;
//!   [`truncate_label`] and the width estimates count the escaped form.
//! - `layout`, `labels`, [`palette`]: sizes, label text and colours shared by both.
//!
//! Colours are the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), safe for the
//! common colour-vision deficiencies; meaning never rests on colour alone (value labels, legends,
//! hollow vs filled markers).

mod data;
mod draw;
mod labels;
mod layout;
mod model;
pub mod palette;

pub use data::{
    axis_range, bar_range, build_charts, cap_rows, exposure_columns, key_metric, metric_bars,
    ratio_points, ratio_range, reference_value, share_rows, stack_rows, suppressed_groups, whisker,
    MAX_ROWS, RATIO_AXIS_MAX,
};
pub use draw::{ensure_font, render_png, render_svg, VisibleText};
pub use labels::{file_stem, truncate_label, verdict_word};
pub use layout::{LABEL_CHARS, NARROW, WIDE};
pub use model::{
    BarPanel, Chart, GroupBar, LegendItem, LinePanel, Plot, RatioPlot, RatioPoint, Role, Section,
    Series, SharePlot, ShareRow, StackPlot, StackRow, Swatch,
};
