//! Drawing of a line panel (over snapshots, or a Lorenz curve's population shares): a line per series, broken where a value is missing,
//! with a dot at each value.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::primitives::{anchored, font, DrawResult};
use crate::format::fmt_tick;
use crate::report::charts::labels::truncate_label;
use crate::report::charts::layout::{T_AXIS, T_HEAD, T_LABEL, X_AXIS};
use crate::report::charts::model::LinePanel;
use crate::report::charts::palette::{GRID, MUTED, TEXT};

/// Draws line panel `p` in `area` of `root`.
pub(super) fn draw_line_panel<DB: DrawingBackend>(
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
    let fmt = move |y: &f64| fmt_tick(*y, percent);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(6)
        .max_light_lines(0)
        .y_label_formatter(&fmt)
        .x_desc(p.x_title.as_str())
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
