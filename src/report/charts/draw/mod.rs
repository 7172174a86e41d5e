//! Drawing a chart with plotters, on the SVG or the bitmap (PNG) backend: the same code for both.
//! Text is rendered with the embedded DejaVu Sans through plotters' `ab_glyph` feature (registered
//! once as `sans-serif`), so no system font library is needed; the SVG backend writes text as
//! escaped `<text>` elements. Both backends are wrapped in [`ChartBackend`], so every text drawn
//! (labels, titles, axis descriptions) shows control, bidi and invisible characters as
//! [`crate::text::visible`] escapes.
//!
//! The SVG starts with a `<title>` and a `<desc>` (the chart's title and its one-sentence
//! reading); the PNG is drawn at [`PNG_SCALE`] times the layout size through [`ChartBackend`].
//!
//! Meaning never rests on colour alone: every standing has its symbol and word (value labels,
//! marker shapes, legends).

mod backend;
mod bars;
mod clusters;
mod glance;
mod lines;
mod primitives;
mod shares;

use std::path::Path;
use std::sync::Once;

use anyhow::{anyhow, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{register_font, FontStyle};

pub use backend::ChartBackend;

use super::layout::{label_width, Frame, PNG_SCALE, SIDE, TITLE_Y};
use super::model::{Chart, LegendItem, Plot, Swatch};
use super::palette::{BAND, BAND_EDGE, MUTED, TEXT};
use super::standing::Standing;
use primitives::{anchored, draw_marker, DrawResult};

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

/// Draws the chart on the SVG backend and returns the SVG text: an image (`role="img"`) whose
/// first children are its `<title>` and `<desc>`.
pub fn render_svg(c: &Chart) -> Result<String> {
    let mut buf = String::new();
    render_on(SVGBackend::with_string(&mut buf, (c.width, c.height)), 1, c)?;
    let open = buf
        .find('>')
        .ok_or_else(|| anyhow!("the SVG backend wrote no <svg> element"))?;
    let head = format!(
        " role=\"img\"><title>{}</title><desc>{}</desc>",
        xml_text(&c.title),
        xml_text(&c.description)
    );
    buf.replace_range(open..=open, &head);
    Ok(round_font_sizes(&buf))
}

/// `svg` with every `font-size="…"` rounded to one decimal (plotters writes size / 1.24 in
/// full): the page inlines every chart, so the bytes count.
fn round_font_sizes(svg: &str) -> String {
    const KEY: &str = "font-size=\"";
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg;
    while let Some(i) = rest.find(KEY) {
        let (head, tail) = rest.split_at(i + KEY.len());
        out.push_str(head);
        let end = tail.find('"').unwrap_or(tail.len());
        match tail[..end].parse::<f64>() {
            Ok(v) => out.push_str(&format!("{}", (v * 10.0).round() / 10.0)),
            Err(_) => out.push_str(&tail[..end]),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// `s` as shown ([`crate::text::visible`]) and escaped for XML character data.
fn xml_text(s: &str) -> String {
    crate::text::visible(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Draws the chart into a PNG file at `path`, [`PNG_SCALE`] times its layout size.
pub fn render_png(c: &Chart, path: &Path) -> Result<()> {
    let size = (c.width * PNG_SCALE, c.height * PNG_SCALE);
    render_on(BitMapBackend::new(path, size), PNG_SCALE, c)
}

/// Draws the chart on `backend` (`scale` times its layout size), wrapped in [`ChartBackend`], and
/// presents it.
fn render_on<DB: DrawingBackend>(backend: DB, scale: u32, c: &Chart) -> Result<()> {
    ensure_font();
    let root = ChartBackend {
        inner: backend,
        scale,
    }
    .into_drawing_area();
    draw(&root, c).map_err(|e| anyhow!("{e}"))?;
    root.present().map_err(|e| anyhow!("{e}"))?;
    Ok(())
}

/// Draws the title, subtitle, legend and footnote of `c`, then its plot.
fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &Chart) -> DrawResult<DB> {
    let f = Frame::of(&c.plot, c.width);
    root.fill(&WHITE)?;
    root.draw(&Text::new(
        c.title.clone(),
        (SIDE, TITLE_Y),
        anchored(f.title_size(), TEXT, HPos::Left, VPos::Top),
    ))?;
    for (i, line) in f.subtitle_lines(&c.subtitle).into_iter().enumerate() {
        root.draw(&Text::new(
            line,
            (SIDE, f.subtitle_y(i)),
            anchored(f.note_size(), MUTED, HPos::Left, VPos::Top),
        ))?;
    }
    let top_of_legend = f.legend_y(&c.subtitle);
    for (it, (row, x)) in c.legend.iter().zip(f.legend_layout(&c.legend)) {
        let y = top_of_legend + row as i32 * f.legend_row() + f.legend_row() / 3;
        draw_swatch(root, it, x, y)?;
        root.draw(&Text::new(
            it.label.clone(),
            (x + f.legend_gap(), y),
            anchored(f.legend_size(), TEXT, HPos::Left, VPos::Center),
        ))?;
    }
    let top = f.header_height(&c.subtitle, &c.legend);
    let bottom = f.footer_height(c.footnote.as_deref());
    if let Some(note) = &c.footnote {
        let lines = f.footnote_lines(note);
        let n = lines.len() as i32;
        for (i, line) in lines.into_iter().enumerate() {
            root.draw(&Text::new(
                line,
                (
                    SIDE,
                    c.height as i32 - 10 - (n - 1 - i as i32) * f.footnote_line(),
                ),
                anchored(f.note_size(), MUTED, HPos::Left, VPos::Bottom),
            ))?;
        }
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
        Plot::Glance(p) => glance::draw_glance(root, &body, p)?,
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
                root.draw(&Rectangle::new([(x, y - 6), (x + 14, y + 6)], BAND_EDGE))?;
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
        Swatch::Outline => {
            root.draw(&Rectangle::new(
                [(x, y - 6), (x + 14, y + 6)],
                it.color.stroke_width(2),
            ))?;
        }
        Swatch::Marker(Standing::Reference) => {
            root.draw(&Rectangle::new(
                [(x + 1, y - 6), (x + 13, y + 6)],
                TEXT.stroke_width(2),
            ))?;
        }
        Swatch::Marker(s) => draw_marker(root, s, (x + 7, y), 7)?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::charts::data::build_charts;
    use crate::report::test_support::{gender_metric, tiny_result};

    /// The charts of a result with NDCG in `gender`: the at-a-glance chart and the bars.
    fn charts() -> Vec<Chart> {
        let mut result = tiny_result();
        result.metrics.insert("ndcg".into(), gender_metric());
        build_charts(&result)
    }

    #[test]
    fn the_svg_opens_with_its_title_and_description() {
        for c in charts() {
            let svg = render_svg(&c).unwrap();
            let doc = roxmltree::Document::parse(&svg).unwrap();
            let root = doc.root_element();
            assert_eq!(root.attribute("role"), Some("img"));
            let kids: Vec<_> = root.children().filter(|n| n.is_element()).collect();
            assert_eq!(kids[0].tag_name().name(), "title");
            assert_eq!(kids[0].text(), Some(c.title.as_str()));
            assert_eq!(kids[1].tag_name().name(), "desc");
            assert_eq!(kids[1].text(), Some(c.description.as_str()));
            assert!(c.description.starts_with(&c.title) && c.description.ends_with('.'));
            // Font sizes are written with at most one decimal.
            for n in doc.descendants().filter_map(|n| n.attribute("font-size")) {
                assert!(n.split('.').nth(1).is_none_or(|d| d.len() <= 1), "{n}");
            }
        }
        assert_eq!(xml_text("a<b>&\u{1B}"), "a&lt;b&gt;&amp;\\u{1B}");
        assert_eq!(
            round_font_sizes(r#"<text font-size="20.161290322580644">x</text>"#),
            r#"<text font-size="20.2">x</text>"#
        );
    }

    #[test]
    fn value_labels_lie_on_white_boxes_over_the_reference_line() {
        let bars = charts()
            .into_iter()
            .find(|c| matches!(c.plot, Plot::Bars(_)))
            .expect("a bar chart");
        let svg = render_svg(&bars).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let drawn: Vec<_> = doc
            .root_element()
            .children()
            .filter(|n| n.is_element())
            .collect();
        // A value label: the value, a space, the standing's symbol and word ("0.200 ▼ worse").
        let is_value = |n: &roxmltree::Node| {
            n.tag_name().name() == "text"
                && n.text()
                    .map(str::trim)
                    .is_some_and(|t| t.starts_with(|c: char| c.is_ascii_digit()) && t.contains(' '))
        };
        let values: Vec<usize> = (0..drawn.len()).filter(|&i| is_value(&drawn[i])).collect();
        assert_eq!(values.len(), 3, "a, b and ref");
        let x = |n: &roxmltree::Node, a: &str| n.attribute(a).unwrap().parse::<f64>().unwrap();
        for &i in &values {
            let (text, boxed) = (&drawn[i], &drawn[i - 1]);
            assert_eq!(boxed.tag_name().name(), "rect", "{:?}", text.text());
            assert_eq!(boxed.attribute("fill"), Some("#FFFFFF"));
            assert!(x(boxed, "x") < x(text, "x") && x(boxed, "width") > 40.0);
        }
        // Nothing but labels and their boxes is drawn after the first value label: the dashed
        // reference line is under them.
        assert!(drawn[values[0]..]
            .iter()
            .all(|n| matches!(n.tag_name().name(), "rect" | "text")));
        assert!(drawn[..values[0]]
            .iter()
            .any(|n| n.tag_name().name() == "polyline"));
    }

    #[test]
    fn the_png_is_the_same_drawing_at_twice_the_size() {
        let dir = tempfile::tempdir().unwrap();
        for c in charts() {
            let path = dir.path().join(format!("{}.png", c.name));
            render_png(&c, &path).unwrap();
            let decoder = png::Decoder::new(std::fs::File::open(&path).unwrap());
            let mut reader = decoder.read_info().unwrap();
            let (w, h) = (reader.info().width, reader.info().height);
            assert_eq!(
                (w, h),
                (PNG_SCALE * c.width, PNG_SCALE * c.height),
                "{}",
                c.name
            );
            let mut buf = vec![0; reader.output_buffer_size()];
            let frame = reader.next_frame(&mut buf).unwrap();
            let px = &buf[..frame.buffer_size()];
            let bpp = px.len() / (w * h) as usize;
            // The title's ink reaches the scaled title line (y ≈ 2 × 12 to 2 × 40), and nothing is
            // drawn in the bottom-right corner's margin: the drawing is scaled, not cropped.
            let dark_in = |y0: u32, y1: u32| {
                (y0..y1).any(|y| (0..w).any(|x| px[((y * w + x) as usize) * bpp] < 100))
            };
            assert!(
                dark_in(PNG_SCALE * 14, PNG_SCALE * 38),
                "{}: no title",
                c.name
            );
            assert!(
                !dark_in(0, PNG_SCALE * 8),
                "{}: ink above the title",
                c.name
            );
        }
    }
}
