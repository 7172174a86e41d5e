//! Sizes of a chart (widths, rows, margins, text sizes) and the estimates that place text before
//! it is drawn: legend rows, the header's height, the row-label column's width.

use super::labels::truncate_label;
use super::model::LegendItem;
use crate::text::visible;

/// Longest row label drawn (longer labels end in `…`).
pub const LABEL_CHARS: usize = 24;
/// Width of a chart that sits in a two-column grid.
pub const NARROW: u32 = 640;
/// Width of a full-width chart.
pub const WIDE: u32 = 960;

/// Top of the title.
pub(super) const TITLE_Y: i32 = 12;
/// Top of the legend.
pub(super) const LEGEND_Y: i32 = 74;
/// Height of a legend row.
pub(super) const LEGEND_ROW: u32 = 26;
/// Height of the x axis (ticks and description).
pub(super) const X_AXIS: u32 = 58;
/// Space for the footnote at the bottom.
pub(super) const FOOTNOTE: u32 = 32;
/// Space right of the plot for value labels.
pub(super) const VALUE_W: u32 = 130;
/// Row height of bar charts.
pub(super) const ROW: u32 = 38;

// Text sizes in pixels (plotters' SVG backend writes font-size = size / 1.24).
/// Title.
pub(super) const T_TITLE: f64 = 25.0;
/// Subtitle and footnote.
pub(super) const T_SUB: f64 = 16.0;
/// Panel heading.
pub(super) const T_HEAD: f64 = 18.0;
/// Axis description.
pub(super) const T_AXIS: f64 = 17.0;
/// Row labels, tick labels and legend entries.
pub(super) const T_LABEL: f64 = 16.0;
/// Value labels.
pub(super) const T_VALUE: f64 = 15.0;

/// Approximate rendered width of `text` at plotters size `size` (DejaVu Sans averages ≈ 0.55 em,
/// and an em is about size / 1.2; rounded up to stay on the safe side).
fn approx_width(text: &str, size: f64) -> u32 {
    (visible(text).chars().count() as f64 * size * 0.52).ceil() as u32
}

/// Legend positions: (row, x) of each item within `width`.
pub(super) fn legend_layout(items: &[LegendItem], width: u32) -> Vec<(u32, i32)> {
    let mut out = Vec::with_capacity(items.len());
    let (mut row, mut x) = (0u32, 16i32);
    for it in items {
        let w = 24 + approx_width(&it.label, T_LABEL) as i32 + 22;
        if x > 16 && x + w > width as i32 - 8 {
            row += 1;
            x = 16;
        }
        out.push((row, x));
        x += w;
    }
    out
}

/// Height of the title, subtitle and legend above the plot.
pub(super) fn header_height(items: &[LegendItem], width: u32) -> u32 {
    let rows = legend_layout(items, width)
        .last()
        .map_or(0, |&(r, _)| r + 1);
    LEGEND_Y as u32 + rows * LEGEND_ROW + 6
}

/// Width of the row-label column for `labels`.
pub(super) fn label_width<'a>(labels: impl IntoIterator<Item = &'a str>) -> u32 {
    let w = labels
        .into_iter()
        .map(|l| approx_width(&truncate_label(l, LABEL_CHARS), T_LABEL))
        .max()
        .unwrap_or(40);
    (w + 16).clamp(56, 260)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::charts::model::Swatch;
    use crate::report::charts::palette::BLUE;

    #[test]
    fn legends_wrap_within_the_width() {
        let items: Vec<LegendItem> = (0..6)
            .map(|i| LegendItem {
                color: BLUE,
                swatch: Swatch::Box,
                label: format!("a fairly long legend entry {i}"),
            })
            .collect();
        let layout = legend_layout(&items, 640);
        assert_eq!(layout[0], (0, 16));
        assert!(layout.last().unwrap().0 >= 2);
        assert!(header_height(&items, 640) > header_height(&items[..1], 640));
    }
}
