//! Labels from the data made safe to show: [`visible`], and as spreadsheet cells: [`csv_safe`].
//!
//! Slice columns and values, item groups, categories and snapshot labels come from the user's
//! files and reach the terminal, the HTML report, the SVG and PNG charts and the JUnit XML. A
//! control character there can rewrite the terminal (ESC sequences), break a line, or make an SVG
//! invalid XML (XML 1.0 forbids most C0 controls even as character references); a bidi control
//! (U+202E) reorders what the reader sees; an invisible character makes two different labels look
//! the same. [`visible`] shows each such character as `\u{XXXX}` (its code point in upper-case hex,
//! e.g. `\u{1B}` for ESC, `\u{202E}` for RIGHT-TO-LEFT OVERRIDE) and leaves every other character
//! as it is, Arabic, Hebrew, CJK and emoji included. Each output format then applies its own
//! escaping on top (HTML and XML entities). `audit.json` keeps the raw labels.
//!
//! A label that already holds the text `\u{202E}` looks the same as one holding the character;
//! `audit.json` tells them apart.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` is shown escaped by [`visible`]: controls (C0 with TAB, LF and CR, DEL, C1), bidi
/// controls, invisible format characters, line and paragraph separators, the replacement
/// character (where an undecodable byte was), and noncharacters (U+FFFE and U+FFFF are not XML).
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{AD}' // soft hyphen
            | '\u{61C}' // Arabic letter mark
            | '\u{180E}' // Mongolian vowel separator
            | '\u{200B}'..='\u{200F}' // zero-width space, non-joiner, joiner; LRM, RLM
            | '\u{2028}'..='\u{202E}' // line and paragraph separators; bidi embeddings, overrides
            | '\u{2060}'..='\u{206F}' // word joiner, invisible operators, bidi isolates
            | '\u{FEFF}' // zero-width no-break space (byte order mark)
            | '\u{FFF9}'..='\u{FFFB}' // interlinear annotation
            | '\u{FFFD}' // replacement character
            | '\u{FDD0}'..='\u{FDEF}' // noncharacters
        )
        || (c as u32) & 0xFFFE == 0xFFFE // noncharacters U+FFFE, U+FFFF, U+1FFFE, ...
}

/// `s` with every [`is_hidden`] character shown as `\u{XXXX}`; borrowed when there is none.
///
/// ```
/// use recaudit::text::visible;
/// assert_eq!(visible("F\u{202E}M"), "F\\u{202E}M");
/// assert_eq!(visible("\u{1B}[31mred"), "\\u{1B}[31mred");
/// assert_eq!(visible("女性 · ذكر"), "女性 · ذكر");
/// ```
pub fn visible(s: &str) -> Cow<'_, str> {
    escape(s, is_hidden)
}

/// [`visible`] for a message of several lines: the same, except that line feeds stay line feeds.
pub fn visible_lines(s: &str) -> Cow<'_, str> {
    escape(s, |c| c != '\n' && is_hidden(c))
}

/// `s` made safe as a cell of a CSV file opened in a spreadsheet (OWASP, "CSV Injection"): a
/// label starting with `=`, `+`, `-`, `@`, a tab or a carriage return would be read as a formula,
/// so it gets a leading apostrophe, which spreadsheets hide; any other label is borrowed as it is.
/// Numbers written by recaudit are not labels and do not go through it.
///
/// ```
/// use recaudit::text::csv_safe;
/// assert_eq!(csv_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
/// assert_eq!(csv_safe("-5"), "'-5");
/// assert_eq!(csv_safe("18-34"), "18-34");
/// ```
pub fn csv_safe(s: &str) -> Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

fn escape(s: &str, hide: impl Fn(char) -> bool) -> Cow<'_, str> {
    let Some(first) = s.find(&hide) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str(&s[..first]);
    for c in s[first..].chars() {
        if hide(c) {
            let _ = write!(out, "\\u{{{:X}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_text_passes_unchanged_and_borrowed() {
        for s in [
            "",
            "gender",
            "55+",
            "a & b <c> \"d\" 'e' \\ / %",
            "女性",
            "ذكر",
            "עברית",
            "Ελληνικά Кириллица हिन्दी ไทย 한국어",
            "emoji 😀🏳\u{FE0F} flags 🇫🇷",
            "\u{A0}no-break and \u{3000}ideographic spaces",
            "e\u{301} combining accent",
            "private use \u{E000}",
        ] {
            let v = visible(s);
            assert!(matches!(v, Cow::Borrowed(_)), "{s:?} was copied");
            assert_eq!(v, s);
            assert_eq!(visible_lines(s), s);
        }
    }

    #[test]
    fn controls_are_shown_as_code_points() {
        assert_eq!(visible("a\u{1B}[2Jb"), "a\\u{1B}[2Jb");
        assert_eq!(
            visible("\u{0}\u{7}\t\n\r\u{7F}\u{85}\u{9F}"),
            "\\u{0}\\u{7}\\u{9}\\u{A}\\u{D}\\u{7F}\\u{85}\\u{9F}"
        );
        assert_eq!(
            visible("line\u{2028}sep\u{2029}"),
            "line\\u{2028}sep\\u{2029}"
        );
    }

    #[test]
    fn bidi_controls_are_shown() {
        assert_eq!(visible("abc\u{202E}fed"), "abc\\u{202E}fed");
        assert_eq!(
            visible("\u{61C}\u{200E}\u{200F}\u{202A}\u{202B}\u{202C}\u{202D}"),
            "\\u{61C}\\u{200E}\\u{200F}\\u{202A}\\u{202B}\\u{202C}\\u{202D}"
        );
        assert_eq!(
            visible("\u{2066}x\u{2067}y\u{2068}z\u{2069}"),
            "\\u{2066}x\\u{2067}y\\u{2068}z\\u{2069}"
        );
        // Right-to-left text itself is not a control.
        assert_eq!(visible("ذكر\u{202E}"), "ذكر\\u{202E}");
    }

    #[test]
    fn invisible_characters_are_shown() {
        assert_eq!(visible("F\u{200B}"), "F\\u{200B}");
        assert_eq!(
            visible("\u{200C}\u{200D}\u{2060}\u{FEFF}\u{AD}\u{180E}"),
            "\\u{200C}\\u{200D}\\u{2060}\\u{FEFF}\\u{AD}\\u{180E}"
        );
        assert_eq!(visible("bad \u{FFFD} byte"), "bad \\u{FFFD} byte");
        assert_eq!(
            visible("\u{FFFE}\u{FFFF}\u{FDD0}\u{1FFFF}\u{10FFFE}"),
            "\\u{FFFE}\\u{FFFF}\\u{FDD0}\\u{1FFFF}\\u{10FFFE}"
        );
        // Neighbours of the escaped ranges are ordinary characters.
        assert_eq!(
            visible("\u{FFFC}\u{FDCF}\u{FDF0}\u{2027}\u{2070}"),
            "\u{FFFC}\u{FDCF}\u{FDF0}\u{2027}\u{2070}"
        );
    }

    #[test]
    fn csv_safe_quotes_formula_starts_only() {
        for s in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(csv_safe(s), format!("'{s}"));
        }
        for s in ["", "F", "55+", "a=b", "'=x", " =x"] {
            assert!(matches!(csv_safe(s), Cow::Borrowed(b) if b == s), "{s:?}");
        }
    }

    #[test]
    fn escaping_is_idempotent() {
        let once = visible("x\u{1B}\u{202E}\u{200B}y").into_owned();
        assert_eq!(once, "x\\u{1B}\\u{202E}\\u{200B}y");
        assert_eq!(visible(&once), once);
    }

    #[test]
    fn visible_lines_keeps_line_feeds_only() {
        assert_eq!(
            visible_lines("first\nsecond\r\n\t\u{1B}[0m\u{202E}"),
            "first\nsecond\\u{D}\n\\u{9}\\u{1B}[0m\\u{202E}"
        );
    }
}
