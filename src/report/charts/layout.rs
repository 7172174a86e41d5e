//! Sizes of a chart (widths, rows, margins, text sizes) and the measures that place text before
//! it is drawn: text widths in the embedded font, wrapped and shortened lines, legend rows, the
//! header's height, the row-label column's width, the at-a-glance grid.

use plotters::style::IntoFont;

use super::labels::truncate_label;
use super::model::{GlancePlot, LegendItem, Plot};
use crate::text::visible;

/// Longest row label drawn (longer labels end in `…`).
pub const LABEL_CHARS: usize = 24;
/// Width of a chart that sits in a two-column grid.
pub const NARROW: u32 = 640;
/// Width of a full-width chart.
pub const WIDE: u32 = 960;
/// The PNG files are drawn at this multiple of the layout size (sharp on slides).
pub const PNG_SCALE: u32 = 2;

/// Top of the title.
pub(super) const TITLE_Y: i32 = 12;
/// Top of the subtitle's first line.
pub(super) const SUBTITLE_Y: i32 = 46;
/// Height of a subtitle line.
pub(super) const SUBTITLE_LINE: i32 = 20;
/// Most subtitle lines (the last one is shortened with `…` when the text is longer).
const SUBTITLE_LINES: usize = 2;
/// Height of a legend row.
pub(super) const LEGEND_ROW: u32 = 26;
/// Height of the x axis (ticks and description).
pub(super) const X_AXIS: u32 = 58;
/// Space for the footnote at the bottom.
pub(super) const FOOTNOTE: u32 = 32;
/// Height of a footnote line.
pub(super) const FOOTNOTE_LINE: u32 = 20;
/// Most footnote lines (the last one is shortened with `…` when the text is longer): a narrow
/// chart's note of suppressed groups and of groups left to the tables takes three.
const FOOTNOTE_LINES: usize = 3;
/// Space right of the plot for value labels.
pub(super) const VALUE_W: u32 = 130;
/// Row height of bar charts.
pub(super) const ROW: u32 = 38;
/// Left and right margin of the header and footnote.
pub(super) const SIDE: i32 = 16;

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

// The at-a-glance grid: larger text, since the page shows it on phones at about half its size.
/// Group labels and panel headings of the at-a-glance chart.
pub(super) const T_GLANCE: f64 = 22.0;
/// Metric headings, ticks and cell notes of the at-a-glance chart.
pub(super) const T_GLANCE_SMALL: f64 = 19.0;
/// Height of the metric headings (two label lines and the direction).
pub(super) const GLANCE_HEAD: u32 = 84;
/// Height of a slice column's heading.
pub(super) const GLANCE_PANEL: u32 = 34;
/// Height of a group row.
pub(super) const GLANCE_ROW: u32 = 34;
/// Height of the ticks and the axis description under the grid.
pub(super) const GLANCE_TICKS: u32 = 60;
/// The multiple of the at-a-glance chart's header and footnote text.
const GLANCE_HEADER_SCALE: f64 = 1.3;

/// Rendered width of `text` as shown ([`visible`]) at plotters size `size`, measured with the
/// embedded font's metrics.
pub(super) fn text_width(text: &str, size: f64) -> u32 {
    super::draw::ensure_font();
    let shown = visible(text);
    ("sans-serif", size)
        .into_font()
        .box_size(&shown)
        .map_or_else(
            |_| (shown.chars().count() as f64 * size * 0.62).ceil() as u32,
            |(w, _)| w,
        )
}

/// `text` as shown, shortened with `…` until it fits `width` at `size`.
pub(super) fn fit(text: &str, size: f64, width: u32) -> String {
    let shown = visible(text).into_owned();
    if text_width(&shown, size) <= width {
        return shown;
    }
    let mut n = shown.chars().count();
    while n > 1 {
        n -= 1;
        let t = truncate_label(text, n);
        if text_width(&t, size) <= width {
            return t;
        }
    }
    "…".into()
}

/// `word` cut into pieces that fit `width` at `size`, each but the last ending in `-`: as few
/// pieces as a greedy cut needs, of about equal length when they fit that way.
fn hyphenate(word: &str, size: f64, width: u32) -> Vec<String> {
    let greedy = hyphenate_greedy(word, size, width);
    let chars: Vec<char> = word.chars().collect();
    let per = chars.len().div_ceil(greedy.len());
    let even: Vec<String> = chars
        .chunks(per)
        .enumerate()
        .map(|(i, c)| {
            let s: String = c.iter().collect();
            if (i + 1) * per < chars.len() {
                format!("{s}-")
            } else {
                s
            }
        })
        .collect();
    if even.len() == greedy.len() && even.iter().all(|p| text_width(p, size) <= width) {
        even
    } else {
        greedy
    }
}

/// `word` cut greedily into pieces that fit `width` at `size`, each but the last ending in `-`.
fn hyphenate_greedy(word: &str, size: f64, width: u32) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut piece = String::new();
    for c in word.chars() {
        let longer = format!("{piece}{c}-");
        if !piece.is_empty() && text_width(&longer, size) > width {
            pieces.push(format!("{piece}-"));
            piece.clear();
        }
        piece.push(c);
    }
    pieces.push(piece);
    pieces
}

/// `text` wrapped at spaces into at most `max_lines` lines that fit `width` at `size` (a word
/// wider than `width` is hyphenated); the last line is shortened with `…` when the text does
/// not fit.
pub(super) fn wrap(text: &str, size: f64, width: u32, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    let words: Vec<String> = text
        .split_whitespace()
        .flat_map(|w| {
            if text_width(w, size) > width && max_lines > 1 {
                hyphenate(w, size, width)
            } else {
                vec![w.to_string()]
            }
        })
        .collect();
    for (i, w) in words.iter().enumerate() {
        let candidate = if current.is_empty() {
            w.clone()
        } else if current.ends_with('-') {
            format!("{current}{w}")
        } else {
            format!("{current} {w}")
        };
        if current.is_empty() || text_width(&candidate, size) <= width {
            current = candidate;
            continue;
        }
        if lines.len() + 1 == max_lines {
            current = format!("{current} {}", words[i..].join(" "));
            break;
        }
        lines.push(std::mem::replace(&mut current, w.clone()));
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines.into_iter().map(|l| fit(&l, size, width)).collect()
}

/// The header (title, subtitle, legend) and footnote of a chart `width` wide, with the text
/// sizes (but the title's) and spacing multiplied by `scale` (larger for a chart the page shows
/// at about half its size on phones).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Frame {
    /// The chart's width.
    pub width: u32,
    /// The multiple of the text sizes and spacing.
    pub scale: f64,
}

impl Frame {
    /// The frame of a chart of `plot`, `width` wide: the at-a-glance chart's text is larger.
    pub fn of(plot: &Plot, width: u32) -> Frame {
        let scale = if matches!(plot, Plot::Glance(_)) {
            GLANCE_HEADER_SCALE
        } else {
            1.0
        };
        Frame { width, scale }
    }

    /// `v` pixels at the scale.
    pub fn px(self, v: i32) -> i32 {
        (f64::from(v) * self.scale).round() as i32
    }

    /// Size of the title (not scaled: it is large enough, and long titles would be cut).
    pub fn title_size(self) -> f64 {
        T_TITLE
    }

    /// Size of the subtitle and the footnote.
    pub fn note_size(self) -> f64 {
        T_SUB * self.scale
    }

    /// Size of legend entries.
    pub fn legend_size(self) -> f64 {
        T_LABEL * self.scale
    }

    /// The width text may take between the side margins.
    fn text_room(self) -> u32 {
        self.width - 2 * SIDE as u32
    }

    /// The title as drawn: shortened with `…` to fit.
    pub fn title(self, title: &str) -> String {
        fit(title, self.title_size(), self.text_room())
    }

    /// Top of the subtitle's line `i`.
    pub fn subtitle_y(self, i: usize) -> i32 {
        self.px(SUBTITLE_Y) + i as i32 * self.px(SUBTITLE_LINE)
    }

    /// The subtitle's lines.
    pub fn subtitle_lines(self, subtitle: &str) -> Vec<String> {
        wrap(subtitle, self.note_size(), self.text_room(), SUBTITLE_LINES)
    }

    /// The footnote's lines (at most [`FOOTNOTE_LINES`]).
    pub fn footnote_lines(self, footnote: &str) -> Vec<String> {
        wrap(footnote, self.note_size(), self.text_room(), FOOTNOTE_LINES)
    }

    /// Height of a footnote line.
    pub fn footnote_line(self) -> i32 {
        self.px(FOOTNOTE_LINE as i32)
    }

    /// Top of the legend under `subtitle`.
    pub fn legend_y(self, subtitle: &str) -> i32 {
        self.subtitle_y(self.subtitle_lines(subtitle).len()) + 8
    }

    /// Height of a legend row.
    pub fn legend_row(self) -> i32 {
        self.px(LEGEND_ROW as i32)
    }

    /// Space from a legend swatch's left to its label.
    pub fn legend_gap(self) -> i32 {
        self.px(24)
    }

    /// Legend positions: (row, x) of each item.
    pub fn legend_layout(self, items: &[LegendItem]) -> Vec<(u32, i32)> {
        let mut out = Vec::with_capacity(items.len());
        let (mut row, mut x) = (0u32, SIDE);
        for it in items {
            let w =
                self.legend_gap() + text_width(&it.label, self.legend_size()) as i32 + self.px(22);
            if x > SIDE && x + w > self.width as i32 - 8 {
                row += 1;
                x = SIDE;
            }
            out.push((row, x));
            x += w;
        }
        out
    }

    /// Height of the title, subtitle and legend above the plot.
    pub fn header_height(self, subtitle: &str, items: &[LegendItem]) -> u32 {
        let rows = self.legend_layout(items).last().map_or(0, |&(r, _)| r + 1);
        (self.legend_y(subtitle) + rows as i32 * self.legend_row() + 6) as u32
    }

    /// Height of the footnote area at the bottom (a small margin without a footnote).
    pub fn footer_height(self, footnote: Option<&str>) -> u32 {
        footnote.map_or(8, |f| {
            let extra = self.footnote_lines(f).len() as i32 - 1;
            (self.px(FOOTNOTE as i32) + extra * self.footnote_line()) as u32
        })
    }
}

/// Width of the row-label column for `labels` at `size`, between `min` and `max`.
pub(super) fn label_column<'a>(
    labels: impl IntoIterator<Item = &'a str>,
    size: f64,
    (min, max): (u32, u32),
) -> u32 {
    let w = labels
        .into_iter()
        .map(|l| text_width(&truncate_label(l, LABEL_CHARS), size))
        .max()
        .unwrap_or(40);
    (w + 16).clamp(min, max)
}

/// Width of the row-label column of a row chart for `labels`.
pub(super) fn label_width<'a>(labels: impl IntoIterator<Item = &'a str>) -> u32 {
    label_column(labels, T_LABEL, (56, 260))
}

/// Height of the at-a-glance grid of `p`.
pub(crate) fn glance_body(p: &GlancePlot) -> u32 {
    let rows: usize = p.panels.iter().map(|x| x.rows.len()).sum();
    GLANCE_HEAD + p.panels.len() as u32 * GLANCE_PANEL + rows as u32 * GLANCE_ROW + GLANCE_TICKS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::charts::model::Swatch;
    use crate::report::charts::palette::SERIES;

    #[test]
    fn legends_wrap_within_the_width() {
        let items: Vec<LegendItem> = (0..6)
            .map(|i| LegendItem {
                color: SERIES[0],
                swatch: Swatch::Box,
                label: format!("a fairly long legend entry {i}"),
            })
            .collect();
        for scale in [1.0, GLANCE_HEADER_SCALE] {
            let f = Frame { width: 640, scale };
            let layout = f.legend_layout(&items);
            assert_eq!(layout[0], (0, 16));
            assert!(layout.last().unwrap().0 >= 2);
            for (it, (_, x)) in items.iter().zip(&layout) {
                assert!(*x + f.legend_gap() + text_width(&it.label, f.legend_size()) as i32 <= 640);
            }
            assert!(f.header_height("", &items) > f.header_height("", &items[..1]));
        }
        // Larger text takes more rows.
        let big = Frame {
            width: 640,
            scale: 1.6,
        };
        let small = Frame {
            width: 640,
            scale: 1.0,
        };
        assert!(big.header_height("", &items) > small.header_height("", &items));
    }

    #[test]
    fn text_is_measured_with_the_font_and_wrapped_or_shortened_to_fit() {
        // Wider glyphs measure wider; the measure grows with the size.
        assert!(text_width("WWWW", 16.0) > text_width("iiii", 16.0));
        assert!(text_width("NDCG@10", 20.0) > text_width("NDCG@10", 16.0));
        let long = "Share of users whose list is under 0.8× as diverse as their history (≥ 5 items), and more words that go on and on past two lines";
        let lines = wrap(long, T_SUB, 300, 2);
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| text_width(l, T_SUB) <= 300));
        assert!(lines[1].ends_with('…'));
        assert!(lines[0].starts_with("Share of users"));
        // A text that fits is one line, unchanged.
        assert_eq!(wrap("short text", T_SUB, 300, 2), ["short text"]);
        // A word wider than the width is hyphenated over the lines there are.
        let h = wrap("Miscalibration", T_GLANCE_SMALL, 90, 2);
        assert_eq!(h.len(), 2);
        assert!(h[0].ends_with('-') && h.iter().all(|l| text_width(l, T_GLANCE_SMALL) <= 90));
        assert_eq!(h, ["Miscali-", "bration"]);
        // On one line, it is shortened.
        let f = fit("Category entropy of lists", T_GLANCE_SMALL, 60);
        assert!(f.ends_with('…') && text_width(&f, T_GLANCE_SMALL) <= 60);
        // The subtitle takes a second line only when needed.
        let f = Frame {
            width: 640,
            scale: 1.0,
        };
        assert_eq!(f.legend_y("one line"), SUBTITLE_Y + SUBTITLE_LINE + 8);
        assert_eq!(f.legend_y(long), SUBTITLE_Y + 2 * SUBTITLE_LINE + 8);
        assert!(text_width(&f.title(long), T_TITLE) <= 640 - 32);
    }
}
