//! Colours of the charts: the report's visual language for a group against its reference
//! (worse, better, not significant; the same fills and text colours as the page's tables), the
//! series colours of clusters and lines, and the inks of text, axes and the four-fifths band.
//!
//! The three standing fills differ in lightness (dark orange, light blue, lighter grey), so they
//! read in greyscale; every standing is also marked by a symbol ([`super::Standing::symbol`]).
//! The text colours have a contrast of at least 4.5:1 on white.

use plotters::style::RGBColor;

/// Fill and text of a group significantly worse than its reference (dark orange).
pub const WORSE: RGBColor = RGBColor(0xA6, 0x36, 0x03);
/// Fill of a group significantly better than its reference (light blue).
pub const BETTER_FILL: RGBColor = RGBColor(0x6B, 0xAE, 0xD6);
/// Text of a group significantly better than its reference (dark blue, 4.5:1 and more on white).
pub const BETTER_TEXT: RGBColor = RGBColor(0x1F, 0x5F, 0x99);
/// Fill of a group with no significant difference to its reference (light grey).
pub const NOT_SIGNIFICANT_FILL: RGBColor = RGBColor(0xBD, 0xBD, 0xBD);
/// Text of a group with no significant difference to its reference (dark grey).
pub const NOT_SIGNIFICANT_TEXT: RGBColor = RGBColor(0x59, 0x59, 0x59);

/// Series colours of clusters and lines, all distinct: the Okabe–Ito hues (Okabe & Ito 2008,
/// "Color Universal Design", safe for the common colour-vision deficiencies) then three of Paul
/// Tol's muted scheme. A chart with more series than this merges the rest into one
/// [`OTHER_SERIES`] entry, so no colour stands for two things.
pub const SERIES: [RGBColor; 10] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0xF0, 0xE4, 0x42), // yellow
    RGBColor(0x33, 0x22, 0x88), // indigo
    RGBColor(0x99, 0x99, 0x33), // olive
    RGBColor(0x88, 0x22, 0x55), // wine
];
/// The series that stands for every series past [`SERIES`] (a pale neutral no series uses).
pub const OTHER_SERIES: RGBColor = RGBColor(0xE8, 0xE8, 0xE8);
/// WCAG 2 relative luminance of `c`.
fn luminance(c: RGBColor) -> f64 {
    let lin = |v: u8| {
        let s = f64::from(v) / 255.0;
        if s <= 0.04045 {
            s / 12.92
        } else {
            ((s + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(c.0) + 0.7152 * lin(c.1) + 0.0722 * lin(c.2)
}

/// WCAG 2 contrast ratio of `a` against `b` (1 to 21).
pub(crate) fn contrast(a: RGBColor, b: RGBColor) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// Whether text on fill `c` is drawn in [`TEXT`] rather than white: whichever contrasts more.
pub(super) fn dark_text_on(c: RGBColor) -> bool {
    contrast(TEXT, c) >= contrast(WHITE, c)
}

/// White.
const WHITE: RGBColor = RGBColor(0xFF, 0xFF, 0xFF);

/// The exposure share (first bar of the exposure chart).
pub const EXPOSURE: RGBColor = SERIES[0];
/// The catalog share, the exposure chart's target.
pub const CATALOG: RGBColor = SERIES[1];
/// The share of history interactions, the exposure chart's merit target.
pub const MERIT: RGBColor = SERIES[2];

/// Text, outlines of the reference group and the reference line.
pub(super) const TEXT: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Subtitles, footnotes, value labels and axes (7:1 on white).
pub(super) const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
/// Grid lines.
pub(super) const GRID: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);
/// The four-fifths band (a pale green no standing uses).
pub(super) const BAND: RGBColor = RGBColor(0xE3, 0xF2, 0xEA);
/// The outline of the four-fifths band's legend swatch.
pub(super) const BAND_EDGE: RGBColor = RGBColor(0x7F, 0xB8, 0x9A);

#[cfg(test)]
mod tests {
    use super::*;

    fn contrast_on_white(c: RGBColor) -> f64 {
        contrast(c, WHITE)
    }

    #[test]
    fn series_colours_are_distinct_and_text_colours_contrast_with_white() {
        let mut all: Vec<RGBColor> = SERIES.to_vec();
        all.push(OTHER_SERIES);
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
        for c in [WORSE, BETTER_TEXT, NOT_SIGNIFICANT_TEXT, TEXT, MUTED] {
            assert!(contrast_on_white(c) >= 4.5, "{c:?}");
        }
        // The three standing fills differ in lightness: dark, light, lighter.
        assert!(!dark_text_on(WORSE));
        assert!(dark_text_on(BETTER_FILL) && dark_text_on(NOT_SIGNIFICANT_FILL));
        assert!(contrast_on_white(WORSE) > contrast_on_white(BETTER_FILL));
        assert!(contrast_on_white(BETTER_FILL) > contrast_on_white(NOT_SIGNIFICANT_FILL));
        assert!(dark_text_on(SERIES[6]) && !dark_text_on(SERIES[7]));
    }
}
