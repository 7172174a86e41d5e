//! Drawing of the ratio chart: the four-fifths band, parity, and a dot per group (hollow when not
//! significant; an arrow at the edge when off the axis).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::primitives::{draw_whisker, row_chart, row_label, row_y, value_label, DrawResult};
use crate::format::fmt_ratio;
use crate::report::charts::layout::label_width;
use crate::report::charts::model::RatioPlot;
use crate::report::charts::palette::{BAND, BLUE, MUTED, VERMILLION};

/// Draws ratio plot `p` in `area` of `root`.
pub(super) fn draw_ratios<DB: DrawingBackend>(
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
