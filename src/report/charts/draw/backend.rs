//! The drawing backend of the charts, around plotters' SVG or bitmap backend:
//!
//! - every text is drawn as [`visible`] shows it. Labels come from the data: a control character
//!   would make the SVG invalid XML, and a bidi control would reorder the text;
//! - everything is drawn at a whole multiple of the layout size: every coordinate, radius, stroke
//!   width and font size is multiplied, so the PNG files are sharp on slides (a 640 × 320 chart
//!   becomes a 1280 × 640 image of the same drawing, not the same drawing on a larger canvas).
//!   At scale 1 shapes go to the wrapped backend unchanged.
//!
//! It sits in a file of its own: plotters' backend traits in scope would make the colour methods
//! of the drawing code ambiguous.

use plotters::prelude::DrawingBackend;
use plotters::style::{FontDesc, TextStyle};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};

use crate::text::visible;

/// Backend `DB` with its texts made visible, drawn at `scale` times the size it reports.
pub struct ChartBackend<DB> {
    /// The backend, `scale` times the layout size.
    pub inner: DB,
    /// The multiple (1 or more).
    pub scale: u32,
}

/// A shape style with its stroke width multiplied.
struct ScaledStyle {
    color: BackendColor,
    width: u32,
}

impl BackendStyle for ScaledStyle {
    fn color(&self) -> BackendColor {
        self.color
    }
    fn stroke_width(&self) -> u32 {
        self.width
    }
}

impl<DB: DrawingBackend> ChartBackend<DB> {
    /// `p` in the inner backend's pixels.
    fn at(&self, (x, y): BackendCoord) -> BackendCoord {
        let s = self.scale as i32;
        (x * s, y * s)
    }

    /// `style` with its stroke width multiplied.
    fn style<S: BackendStyle>(&self, style: &S) -> ScaledStyle {
        ScaledStyle {
            color: style.color(),
            width: style.stroke_width() * self.scale,
        }
    }
}

impl<DB: DrawingBackend> DrawingBackend for ChartBackend<DB> {
    type ErrorType = DB::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        let (w, h) = self.inner.get_size();
        (w / self.scale, h / self.scale)
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let (x, y) = self.at(point);
        let s = self.scale as i32;
        self.inner
            .draw_rect((x, y), (x + s - 1, y + s - 1), &color, true)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        if self.scale == 1 {
            return self.inner.draw_line(from, to, style);
        }
        let (from, to, style) = (self.at(from), self.at(to), self.style(style));
        if style.width > 1 {
            // A wide line is a polygon (the inner line drawing is one pixel wide).
            self.inner.draw_path([from, to], &style)
        } else {
            self.inner.draw_line(from, to, &style)
        }
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        if self.scale == 1 {
            return self.inner.draw_rect(upper_left, bottom_right, style, fill);
        }
        let s = self.scale as i32;
        let (a, b) = (self.at(upper_left), self.at(bottom_right));
        let style = self.style(style);
        if fill {
            // The inner rectangle includes its bottom-right pixel: cover the whole scaled pixel.
            self.inner
                .draw_rect(a, (b.0 + s - 1, b.1 + s - 1), &style, true)
        } else {
            let corners = [a, (b.0, a.1), b, (a.0, b.1), a];
            self.inner.draw_path(corners, &style)
        }
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let path: Vec<BackendCoord> = path.into_iter().map(|p| self.at(p)).collect();
        let style = self.style(style);
        self.inner.draw_path(path, &style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let (c, style) = (self.at(center), self.style(style));
        self.inner.draw_circle(c, radius * self.scale, &style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let vert: Vec<BackendCoord> = vert.into_iter().map(|p| self.at(p)).collect();
        let style = self.style(style);
        self.inner.fill_polygon(vert, &style)
    }

    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let text = visible(text);
        if self.scale == 1 {
            return self.inner.draw_text(&text, style, pos);
        }
        let font = FontDesc::new(
            style.family(),
            style.size() * f64::from(self.scale),
            style.style(),
        )
        .transform(style.transform());
        let scaled = TextStyle {
            font,
            color: style.color(),
            pos: style.anchor(),
        };
        let pos = self.at(pos);
        self.inner.draw_text(&text, &scaled, pos)
    }

    fn estimate_text_size<TStyle: BackendTextStyle>(
        &self,
        text: &str,
        style: &TStyle,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        self.inner.estimate_text_size(&visible(text), style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        (w, h): (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        // Each source pixel (RGB) becomes a scale × scale block.
        let s = self.scale;
        let mut big = Vec::with_capacity(src.len() * (s * s) as usize);
        for y in 0..h * s {
            for x in 0..w * s {
                let i = (((y / s) * w + x / s) * 3) as usize;
                big.extend_from_slice(&src[i..i + 3]);
            }
        }
        let pos = self.at(pos);
        self.inner.blit_bitmap(pos, (w * s, h * s), &big)
    }
}

#[cfg(test)]
mod tests {
    use plotters::prelude::{IntoDrawingArea, SVGBackend, Text};

    use super::*;
    use crate::report::charts::draw::ensure_font;
    use crate::report::charts::draw::primitives::font;
    use crate::report::charts::palette::TEXT;

    #[test]
    fn drawn_text_is_visible_and_the_svg_is_xml() {
        ensure_font();
        let mut buf = String::new();
        {
            let root = ChartBackend {
                inner: SVGBackend::with_string(&mut buf, (200, 50)),
                scale: 1,
            }
            .into_drawing_area();
            root.draw(&Text::new(
                "<b>&\"\u{1B}[31m\u{202E}F\u{0}\u{200B}女性",
                (5, 5),
                font(12.0, TEXT),
            ))
            .unwrap();
            root.present().unwrap();
        }
        let doc = roxmltree::Document::parse(&buf).unwrap_or_else(|e| panic!("{e}\n{buf}"));
        let text: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .map(str::trim)
            .collect();
        assert_eq!(text, ["<b>&\"\\u{1B}[31m\\u{202E}F\\u{0}\\u{200B}女性"]);
    }
}
