//! The text-escaping drawing backend. It sits in a file of its own: plotters' backend traits in
//! scope would make the colour methods of the drawing code ambiguous.

use plotters::prelude::DrawingBackend;
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};

use crate::text::visible;

/// A drawing backend that draws every text as [`visible`] shows it and everything else as the
/// wrapped backend does. Labels come from the data: a control character would make the SVG
/// invalid XML, and a bidi control would reorder the text.
pub struct VisibleText<DB>(pub DB);

impl<DB: DrawingBackend> DrawingBackend for VisibleText<DB> {
    type ErrorType = DB::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.fill_polygon(vert, style)
    }

    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_text(&visible(text), style, pos)
    }

    fn estimate_text_size<TStyle: BackendTextStyle>(
        &self,
        text: &str,
        style: &TStyle,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        self.0.estimate_text_size(&visible(text), style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.blit_bitmap(pos, size, src)
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
            let root =
                VisibleText(SVGBackend::with_string(&mut buf, (200, 50))).into_drawing_area();
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
