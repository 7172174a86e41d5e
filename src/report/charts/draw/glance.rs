//! Drawing of the at-a-glance chart: a grid with a column per metric and a row per group, a panel
//! per slice column; in each cell the group's ratio to the reference on the metric's log axis,
//! its interval, the four-fifths band and parity, and the marker of its standing (`ref.` for the
//! reference group). A bound past the axis limits is an arrow at the edge with its value.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::primitives::{anchored, draw_marker, DrawResult};
use crate::format::fmt_short;
use crate::report::charts::labels::truncate_label;
use crate::report::charts::layout::{
    fit, label_column, text_width, wrap, GLANCE_HEAD, GLANCE_PANEL, GLANCE_ROW, LABEL_CHARS,
    T_GLANCE, T_GLANCE_SMALL, T_VALUE,
};
use crate::report::charts::model::{GlanceCell, GlancePlot};
use crate::report::charts::palette::{BAND, GRID, MUTED, TEXT};
use crate::report::charts::standing::Standing;

/// Horizontal padding inside a cell.
const PAD: i32 = 10;

/// One metric column's log axis in pixels: `left` and `right` ends of the range `lo..hi`.
#[derive(Clone, Copy)]
struct LogAxis {
    left: i32,
    right: i32,
    lo: f64,
    hi: f64,
}

impl LogAxis {
    /// The pixel of ratio `v`, clamped to the axis; `None` for a ratio that is not positive.
    fn px(&self, v: f64) -> i32 {
        let v = v.clamp(self.lo, self.hi);
        let t = (v.ln() - self.lo.ln()) / (self.hi.ln() - self.lo.ln());
        self.left + (t * f64::from(self.right - self.left)).round() as i32
    }

    /// Whether `v` is past the axis (or not positive).
    fn off(&self, v: f64) -> bool {
        !(v >= self.lo && v <= self.hi)
    }
}

/// Ticks of `axis` whose labels fit side by side (1 first, then powers of 2, then the band): the
/// tick's pixel, its label's centre and the label.
fn ticks(axis: LogAxis, band: (f64, f64)) -> Vec<(i32, i32, String)> {
    let mut candidates = vec![1.0];
    for e in 1..=6 {
        let p = f64::from(1 << e);
        candidates.extend([p, 1.0 / p]);
    }
    candidates.extend([band.0, band.1]);
    let mut kept: Vec<(i32, i32, i32, i32, String)> = Vec::new();
    for v in candidates.into_iter().filter(|v| !axis.off(*v)) {
        let label = fmt_short(v);
        let x = axis.px(v);
        let half = text_width(&label, T_GLANCE_SMALL) as i32 / 2 + 4;
        // The label stays inside its column, a little off its tick near the edges.
        let (min, max) = (axis.left - PAD / 2 + half, axis.right + PAD / 2 - half);
        if min > max {
            continue;
        }
        let at = x.clamp(min, max);
        let (a, b) = (at - half, at + half);
        if kept.iter().all(|(_, _, ka, kb, _)| b < *ka || a > *kb) {
            kept.push((x, at, a, b, label));
        }
    }
    kept.sort_by_key(|k| k.0);
    kept.into_iter()
        .map(|(x, at, _, _, l)| (x, at, l))
        .collect()
}

/// Draws the glance plot `p` in `area` of `root`.
pub(super) fn draw_glance<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &DrawingArea<DB, Shift>,
    p: &GlancePlot,
) -> DrawResult<DB> {
    let (bx, by) = area.get_base_pixel();
    let (w, _) = area.dim_in_pixel();
    let label_w = label_column(
        p.panels
            .iter()
            .flat_map(|x| x.rows.iter().map(|r| r.label.as_str())),
        T_GLANCE,
        (70, 180),
    ) as i32;
    let m = p.metrics.len().max(1) as i32;
    let grid_left = bx + label_w;
    let cell_w = (w as i32 - label_w - 4) / m;
    let axes: Vec<LogAxis> = p
        .metrics
        .iter()
        .enumerate()
        .map(|(i, g)| LogAxis {
            left: grid_left + i as i32 * cell_w + PAD,
            right: grid_left + (i as i32 + 1) * cell_w - PAD,
            lo: g.range.0,
            hi: g.range.1,
        })
        .collect();

    // Metric headings: the label on up to two lines, then the better direction.
    for (i, g) in p.metrics.iter().enumerate() {
        let cx = grid_left + i as i32 * cell_w + cell_w / 2;
        let lines = wrap(&g.label, T_GLANCE_SMALL, (cell_w - 6) as u32, 2);
        for (j, line) in lines.iter().enumerate() {
            root.draw(&Text::new(
                line.clone(),
                (cx, by + 4 + j as i32 * 22),
                anchored(T_GLANCE_SMALL, TEXT, HPos::Center, VPos::Top),
            ))?;
        }
        root.draw(&Text::new(
            fit(&g.direction, T_GLANCE_SMALL, (cell_w - 4) as u32),
            (cx, by + 4 + 2 * 22 + 6),
            anchored(T_GLANCE_SMALL, MUTED, HPos::Center, VPos::Top),
        ))?;
    }

    let mut y = by + GLANCE_HEAD as i32;
    for panel in &p.panels {
        // The slice column's heading, with a rule above it.
        root.draw(&PathElement::new(
            vec![(bx, y), (bx + w as i32, y)],
            GRID.stroke_width(1),
        ))?;
        root.draw(&Text::new(
            fit(&panel.column, T_GLANCE, w - 8),
            (bx + 4, y + GLANCE_PANEL as i32 / 2),
            anchored(T_GLANCE, TEXT, HPos::Left, VPos::Center),
        ))?;
        y += GLANCE_PANEL as i32;
        let rows_h = panel.rows.len() as i32 * GLANCE_ROW as i32;
        // The band and parity of each metric, under the rows.
        for a in &axes {
            let (b0, b1) = (a.px(p.band.0), a.px(p.band.1));
            root.draw(&Rectangle::new([(b0, y), (b1, y + rows_h)], BAND.filled()))?;
            let x1 = a.px(1.0);
            root.draw(&PathElement::new(
                vec![(x1, y), (x1, y + rows_h)],
                MUTED.stroke_width(1),
            ))?;
        }
        for row in &panel.rows {
            let cy = y + GLANCE_ROW as i32 / 2;
            root.draw(&Text::new(
                truncate_label(&row.label, LABEL_CHARS),
                (grid_left - 8, cy),
                anchored(T_GLANCE, TEXT, HPos::Right, VPos::Center),
            ))?;
            for (a, c) in axes.iter().zip(&row.cells) {
                draw_cell(root, *a, c.as_ref(), cy)?;
            }
            y += GLANCE_ROW as i32;
        }
    }

    // Rules between the metric columns, from the headings to the ticks.
    for i in 1..m {
        let x = grid_left + i * cell_w;
        root.draw(&PathElement::new(
            vec![(x, by), (x, y)],
            GRID.stroke_width(1),
        ))?;
    }

    // Ticks under each metric column, then what the axis is.
    root.draw(&PathElement::new(
        vec![(grid_left, y), (bx + w as i32, y)],
        MUTED.stroke_width(1),
    ))?;
    for a in &axes {
        for (x, at, label) in ticks(*a, p.band) {
            root.draw(&PathElement::new(
                vec![(x, y), (x, y + 5)],
                MUTED.stroke_width(1),
            ))?;
            root.draw(&Text::new(
                label,
                (at, y + 7),
                anchored(T_GLANCE_SMALL, TEXT, HPos::Center, VPos::Top),
            ))?;
        }
    }
    root.draw(&Text::new(
        fit(
            "group mean ÷ reference mean (log scale; 1 = parity)",
            T_GLANCE_SMALL,
            w - 8,
        ),
        (bx + w as i32 / 2, y + 32),
        anchored(T_GLANCE_SMALL, TEXT, HPos::Center, VPos::Top),
    ))?;
    Ok(())
}

/// One cell at row centre `cy` on `axis`: `ref.`, `–` when there is no comparison, else the
/// interval and the marker, with arrows and values for what is past the axis.
fn draw_cell<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    axis: LogAxis,
    cell: Option<&GlanceCell>,
    cy: i32,
) -> DrawResult<DB> {
    let Some(c) = cell else {
        return root.draw(&Text::new(
            "–",
            ((axis.left + axis.right) / 2, cy),
            anchored(T_GLANCE_SMALL, MUTED, HPos::Center, VPos::Center),
        ));
    };
    if c.standing == Standing::Reference {
        let x = axis.px(1.0);
        let half = text_width("ref.", T_GLANCE_SMALL) as i32 / 2 + 3;
        root.draw(&Rectangle::new(
            [(x - half, cy - 10), (x + half, cy + 10)],
            WHITE.filled(),
        ))?;
        return root.draw(&Text::new(
            "ref.",
            (x, cy),
            anchored(T_GLANCE_SMALL, TEXT, HPos::Center, VPos::Center),
        ));
    }
    let ink = c.standing.ink();
    let mut off_values: Vec<(i32, f64)> = Vec::new();
    if let Some((lo, hi)) = c.whisker {
        let (a, b) = (axis.px(lo), axis.px(hi));
        root.draw(&PathElement::new(
            vec![(a, cy), (b, cy)],
            ink.stroke_width(2),
        ))?;
        for (v, x, dir) in [(lo, a, -1), (hi, b, 1)] {
            if axis.off(v) {
                // An arrow pointing past the edge.
                root.draw(&Polygon::new(
                    vec![(x + dir * 6, cy), (x, cy - 5), (x, cy + 5)],
                    ink.filled(),
                ))?;
                off_values.push((x, v));
            } else {
                root.draw(&PathElement::new(
                    vec![(x, cy - 6), (x, cy + 6)],
                    ink.stroke_width(2),
                ))?;
            }
        }
    }
    if let Some(r) = c.ratio {
        let x = axis.px(r);
        draw_marker(root, c.standing, (x, cy), 8)?;
        if axis.off(r) && !off_values.iter().any(|(ox, _)| *ox == x) {
            off_values.push((x, r));
        }
    }
    for (x, v) in off_values {
        let left = x <= axis.left;
        root.draw(&Text::new(
            format!("{}×", fmt_short(v)),
            (x, cy - 8),
            anchored(
                T_VALUE,
                ink,
                if left { HPos::Left } else { HPos::Right },
                VPos::Bottom,
            ),
        ))?;
    }
    Ok(())
}
