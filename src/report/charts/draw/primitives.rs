//! Drawing pieces shared by the plot kinds: text styles, the marker of each standing, and the
//! frame of a chart with one row per group (x axis and grid, row labels, value labels, whiskers,
//! a dashed reference line).

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::format::fmt_tick;
use crate::report::charts::labels::truncate_label;
use crate::report::charts::layout::{
    text_width, LABEL_CHARS, T_AXIS, T_LABEL, T_VALUE, VALUE_W, X_AXIS,
};
use crate::report::charts::palette::{GRID, MUTED, TEXT};
use crate::report::charts::standing::Standing;

/// What a drawing step returns on backend `DB`.
pub(super) type DrawResult<DB> =
    Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// The embedded font at `size` in `color`.
pub(super) fn font(size: f64, color: RGBColor) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&color)
}

/// [`font`] anchored at `h`, `v`.
pub(super) fn anchored(size: f64, color: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    font(size, color).pos(Pos::new(h, v))
}

/// The marker of standing `s` centred at `(x, y)` (pixels), `r` pixels from centre to edge: a
/// triangle pointing down (worse), up (better), a circle (not significant), a diamond (differs),
/// an outlined square (the reference). Filled with the standing's fill, outlined in its ink.
pub(super) fn draw_marker<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    s: Standing,
    (x, y): (i32, i32),
    r: i32,
) -> DrawResult<DB> {
    let shape: Vec<(i32, i32)> = match s {
        Standing::Worse => vec![(x - r, y - r * 4 / 5), (x + r, y - r * 4 / 5), (x, y + r)],
        Standing::Better => vec![(x - r, y + r * 4 / 5), (x + r, y + r * 4 / 5), (x, y - r)],
        Standing::Differs => vec![(x, y - r), (x + r, y), (x, y + r), (x - r, y)],
        Standing::Reference => {
            let h = r * 4 / 5;
            vec![
                (x - h, y - h),
                (x + h, y - h),
                (x + h, y + h),
                (x - h, y + h),
            ]
        }
        Standing::NotSignificant => {
            let c = r * 4 / 5;
            root.draw(&Circle::new((x, y), c as u32, s.fill().filled()))?;
            return root.draw(&Circle::new((x, y), c as u32, s.ink().stroke_width(2)));
        }
    };
    root.draw(&Polygon::new(shape.clone(), s.fill().filled()))?;
    let mut outline = shape.clone();
    outline.push(shape[0]);
    root.draw(&PathElement::new(outline, s.ink().stroke_width(2)))
}

/// A chart with numbers along x and rows along y.
pub(super) type RowChart<'a, DB> =
    ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A horizontal-category chart: x numeric, rows top to bottom; mesh and x axis drawn.
pub(super) fn row_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    range: (f64, f64),
    rows: usize,
    label_w: u32,
    top: u32,
    axis: &str,
    percent: bool,
) -> Result<RowChart<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let mut chart = ChartBuilder::on(area)
        .margin_top(top)
        .margin_right(VALUE_W)
        .margin_left(4)
        .x_label_area_size(X_AXIS)
        .y_label_area_size(label_w)
        .build_cartesian_2d(range.0..range.1, 0f64..rows.max(1) as f64)?;
    let fmt = move |x: &f64| fmt_tick(*x, percent);
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
pub(super) fn row_y(i: usize, n: usize) -> f64 {
    n as f64 - i as f64 - 0.5
}

/// An interval (low, high) at height `y` with caps of half-height `cap`.
pub(super) fn draw_whisker<DB: DrawingBackend>(
    chart: &mut RowChart<'_, DB>,
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

/// The label of the row at `y`, right-aligned left of `x0`.
pub(super) fn row_label<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &RowChart<'_, DB>,
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

/// `text` in `ink` right of `x` at height `y`, on a white box: a reference line or a grid line
/// drawn before it does not cross the text.
pub(super) fn value_label<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &RowChart<'_, DB>,
    x: f64,
    y: f64,
    text: String,
    ink: RGBColor,
) -> DrawResult<DB> {
    let (px, py) = chart.backend_coord(&(x, y));
    let (w, half) = (
        text_width(&text, T_VALUE) as i32,
        (T_VALUE * 0.65).round() as i32,
    );
    root.draw(&Rectangle::new(
        [(px + 3, py - half), (px + 9 + w, py + half)],
        WHITE.filled(),
    ))?;
    root.draw(&Text::new(
        text,
        (px + 6, py),
        anchored(T_VALUE, ink, HPos::Left, VPos::Center),
    ))
}

/// A dashed vertical line at `x` from 0 to `y1`.
pub(super) fn dashed_vline<DB: DrawingBackend>(
    chart: &mut RowChart<'_, DB>,
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
