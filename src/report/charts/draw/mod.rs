//! Drawing a chart with plotters, on the SVG or the bitmap (PNG) backend: the same code for both.
//! Text is rendered with the embedded DejaVu Sans through plotters' `ab_glyph` feature (registered
//! once as `sans-serif`), so no system font library is needed; the SVG backend writes text as
//! escaped `<text>` elements. Both backends are wrapped in [`VisibleText`], so every text drawn
//! (labels, titles, axis descriptions) shows control, bidi and invisible characters as
//! [`crate::text::visible`] escapes.
//!
//! Meaning never rests on colour alone: value labels, legends, hollow vs filled markers.

mod bars;
mod clusters;
mod lines;
mod primitives;
mod ratios;
mod shares;
mod visible_text;

use std::path::Path;
use std::sync::Once;

use anyhow::{anyhow, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{register_font, FontStyle};

pub use visible_text::VisibleText;

use super::labels::truncate_label;
use super::layout::{
    header_height, label_width, legend_layout, FOOTNOTE, LEGEND_ROW, LEGEND_Y, TITLE_Y, T_LABEL,
    T_SUB, T_TITLE,
};
use super::model::{Chart, LegendItem, Plot, Swatch};
use super::palette::{BAND, GREEN, MUTED, TEXT};
use primitives::{anchored, DrawResult};

/// The embedded font (DejaVu Sans; licence in `assets/fonts/LICENSE-DejaVu.txt`).
const FONT: &[u8] = include_bytes!("../../../../assets/fonts/DejaVuSans.ttf");
static FONT_ONCE: Once = Once::new();

/// Registers the embedded font as `sans-serif` (once per process).
pub fn ensure_font() {
    FONT_ONCE.call_once(|| {
        let ok = register_font("sans-serif", FontStyle::Normal, FONT).is_ok();
        assert!(ok, "the embedded DejaVu Sans font is a valid TrueType file");
    });
}

/// Draws the chart on the SVG backend and returns the SVG text.
pub fn render_svg(c: &Chart) -> Result<String> {
    let mut buf = String::new();
    render_on(SVGBackend::with_string(&mut buf, (c.width, c.height)), c)?;
    Ok(buf)
}

/// Draws the chart into a PNG file at `path`.
pub fn render_png(c: &Chart, path: &Path) -> Result<()> {
    render_on(BitMapBackend::new(path, (c.width, c.height)), c)
}

/// Draws the chart on `backend`, wrapped in [`VisibleText`], and presents it.
fn render_on<DB: DrawingBackend>(backend: DB, c: &Chart) -> Result<()> {
    ensure_font();
    let root = VisibleText(backend).into_drawing_area();
    draw(&root, c).map_err(|e| anyhow!("{e}"))?;
    root.present().map_err(|e| anyhow!("{e}"))?;
    Ok(())
}

/// Draws the title, subtitle, legend and footnote of `c`, then its plot.
fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &Chart) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    root.draw(&Text::new(
        c.title.clone(),
        (16, TITLE_Y),
        anchored(T_TITLE, TEXT, HPos::Left, VPos::Top),
    ))?;
    root.draw(&Text::new(
        truncate_label(
            &c.subtitle,
            ((c.width - 32) as f64 / (T_SUB * 0.5)) as usize,
        ),
        (16, TITLE_Y + 34),
        anchored(T_SUB, MUTED, HPos::Left, VPos::Top),
    ))?;
    for (it, (row, x)) in c.legend.iter().zip(legend_layout(&c.legend, c.width)) {
        let y = LEGEND_Y + (row * LEGEND_ROW) as i32 + 8;
        draw_swatch(root, it, x, y)?;
        root.draw(&Text::new(
            it.label.clone(),
            (x + 24, y),
            anchored(T_LABEL, TEXT, HPos::Left, VPos::Center),
        ))?;
    }
    let top = header_height(&c.legend, c.width);
    let bottom = if c.footnote.is_some() { FOOTNOTE } else { 8 };
    if let Some(note) = &c.footnote {
        root.draw(&Text::new(
            note.clone(),
            (16, c.height as i32 - 10),
            anchored(T_SUB, MUTED, HPos::Left, VPos::Bottom),
        ))?;
    }
    let body = root.margin(top, bottom, 8, 8);
    match &c.plot {
        Plot::Bars(panels) => {
            let label_w = label_width(
                panels
                    .iter()
                    .flat_map(|p| p.bars.iter().map(|b| b.label.as_str())),
            );
            let areas = body.split_evenly((1, panels.len().max(1)));
            for (area, p) in areas.iter().zip(panels) {
                bars::draw_bar_panel(root, area, p, label_w)?;
            }
        }
        Plot::Ratios(p) => ratios::draw_ratios(root, &body, p)?,
        Plot::Shares(p) => shares::draw_shares(root, &body, p)?,
        Plot::Lines(panels) => {
            let areas = body.split_evenly((1, panels.len().max(1)));
            for (area, p) in areas.iter().zip(panels) {
                lines::draw_line_panel(root, area, p)?;
            }
        }
        Plot::Stacked(p) => clusters::draw_stacked(root, &body, p)?,
    }
    Ok(())
}

/// The legend swatch of `it` at (`x`, `y`).
fn draw_swatch<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    it: &LegendItem,
    x: i32,
    y: i32,
) -> DrawResult<DB> {
    match it.swatch {
        Swatch::Box => {
            root.draw(&Rectangle::new(
                [(x, y - 6), (x + 14, y + 6)],
                it.color.filled(),
            ))?;
            if it.color == BAND {
                root.draw(&Rectangle::new([(x, y - 6), (x + 14, y + 6)], GREEN))?;
            }
        }
        Swatch::Line => {
            root.draw(&PathElement::new(
                vec![(x, y), (x + 16, y)],
                it.color.stroke_width(3),
            ))?;
        }
        Swatch::Dashed => {
            root.draw(&PathElement::new(
                vec![(x, y), (x + 5, y)],
                it.color.stroke_width(2),
            ))?;
            root.draw(&PathElement::new(
                vec![(x + 9, y), (x + 16, y)],
                it.color.stroke_width(2),
            ))?;
        }
        Swatch::Dot => {
            root.draw(&Circle::new((x + 7, y), 5, it.color.filled()))?;
        }
        Swatch::Hollow => {
            root.draw(&Circle::new((x + 7, y), 5, it.color.stroke_width(2)))?;
        }
    }
    Ok(())
}
