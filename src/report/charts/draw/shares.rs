//! Drawing of the exposure chart: per item group, bars of its exposure share (with whisker), its
//! catalog share and its history share.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::primitives::{draw_whisker, row_chart, row_label, row_y, value_label, DrawResult};
use crate::format::{fmt_pct, fmt_ratio};
use crate::report::charts::layout::label_width;
use crate::report::charts::model::SharePlot;
use crate::report::charts::palette::{CATALOG, EXPOSURE, MERIT, MUTED, TEXT};

/// Draws share plot `p` in `area` of `root`.
pub(super) fn draw_shares<DB: DrawingBackend>(
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
            EXPOSURE.filled(),
        )))?;
        if let Some(w) = r.whisker {
            draw_whisker(&mut chart, w, (a + b) / 2.0, thick / 2.5, TEXT)?;
        }
        if let Some(c) = r.catalog {
            let (a, b) = slot(1.0);
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, a), (c, b)],
                CATALOG.filled(),
            )))?;
        }
        if let Some(mv) = r.merit {
            let (a, b) = slot(2.0);
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, a), (mv, b)],
                MERIT.filled(),
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
        value_label(root, &chart, end, y, text, MUTED)?;
    }
    Ok(())
}
