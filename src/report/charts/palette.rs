//! Okabe–Ito colours (Okabe & Ito 2008, "Color Universal Design"), safe for the common
//! colour-vision deficiencies, and the inks of text, axes and the four-fifths band.

use plotters::style::RGBColor;

/// Blue.
pub const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
/// Orange.
pub const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
/// Bluish green.
pub const GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
/// Vermillion.
pub const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
/// Reddish purple.
pub const PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
/// Sky blue.
pub const SKY: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
/// Yellow.
pub const YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
/// Grey (for the reference group; not an Okabe–Ito hue, so it never competes with them).
pub const GREY: RGBColor = RGBColor(0x99, 0x99, 0x99);
/// Series colours in order (the first also draws "all users").
pub const SERIES: [RGBColor; 7] = [BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, YELLOW];

/// Text and the reference line.
pub(super) const TEXT: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Subtitles, footnotes, value labels and axes.
pub(super) const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
/// Grid lines.
pub(super) const GRID: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);
/// The four-fifths band.
pub(super) const BAND: RGBColor = RGBColor(0xD8, 0xEF, 0xE6);
