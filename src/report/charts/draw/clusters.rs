//! Drawing of the cluster chart: per slice group, a 100% stacked bar of its users over the
//! clusters, labelled with each large enough share.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::primitives::{anchored, row_chart, row_label, row_y, value_label, DrawResult};
use crate::format::fmt_whole_pct;
use crate::report::charts::layout::{label_width, T_VALUE};
use crate::report::charts::model::StackPlot;
use crate::report::charts::palette::{dark_text_on, MUTED, TEXT};

/// Draws the stacked bars `p` in `area` of `root`.
pub(super) fn draw_stacked<DB: DrawingBackend>(
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
            let Some(&color) = p.colors.get(j) else {
                continue;
            };
            let end = (cum + s).min(1.0);
            chart.draw_series(std::iter::once(Rectangle::new(
                [(cum, y - 0.34), (end, y + 0.34)],
                color.filled(),
            )))?;
            if s >= 0.08 {
                let (px, py) = chart.backend_coord(&((cum + end) / 2.0, y));
                let ink = if dark_text_on(color) { TEXT } else { WHITE };
                root.draw(&Text::new(
                    fmt_whole_pct(s),
                    (px, py),
                    anchored(T_VALUE, ink, HPos::Center, VPos::Center),
                ))?;
            }
            cum = end;
        }
        row_label(root, &chart, 0.0, y, &r.label)?;
        value_label(root, &chart, 1.0, y, format!("n={}", r.n), MUTED)?;
    }
    Ok(())
}
