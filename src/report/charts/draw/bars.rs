//! Drawing of bar panels: a bar per group from zero (or the axis start) filled by its standing
//! (the reference group outlined), its whisker, the reference line, and each bar's value with the
//! standing's symbol and word.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::primitives::{
    anchored, dashed_vline, draw_whisker, row_chart, row_label, row_y, value_label, DrawResult,
};
use crate::format::fmt_value;
use crate::report::charts::layout::T_HEAD;
use crate::report::charts::model::BarPanel;
use crate::report::charts::palette::TEXT;
use crate::report::charts::standing::Standing;

/// Draws bar panel `p` in `area` of `root`, with row labels `label_w` wide.
pub(super) fn draw_bar_panel<DB: DrawingBackend>(
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
        let corners = [(base, y - 0.32), (b.value, y + 0.32)];
        if b.standing == Standing::Reference {
            chart.draw_series([
                Rectangle::new(corners, WHITE.filled()),
                Rectangle::new(corners, TEXT.stroke_width(2)),
            ])?;
        } else {
            chart.draw_series(std::iter::once(Rectangle::new(
                corners,
                b.standing.fill().filled(),
            )))?;
        }
        if let Some(w) = b.whisker {
            draw_whisker(&mut chart, w, y, 0.16, TEXT)?;
        }
        row_label(root, &chart, p.range.0, y, &b.label)?;
    }
    // The reference line goes over the bars and under the value labels.
    if let Some(r) = p.reference {
        dashed_vline(&mut chart, r, n.max(1) as f64, TEXT)?;
    }
    for (i, b) in p.bars.iter().enumerate() {
        let end = b.whisker.map_or(b.value, |w| w.1.max(b.value)).max(base);
        value_label(
            root,
            &chart,
            end,
            row_y(i, n),
            format!("{} {}", fmt_value(b.value, p.percent), b.standing.marked()),
            b.standing.ink(),
        )?;
    }
    Ok(())
}
