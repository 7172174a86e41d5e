//! Text of the charts: labels cut to fit as they are shown, file-name stems, the words for
//! verdicts.

use crate::text::visible;

/// `s` as shown ([`visible`]) cut to `max` characters, ending in `…` when cut; an escape such as
/// `\u{202E}` is kept whole or left out, never cut.
pub fn truncate_label(s: &str, max: usize) -> String {
    let shown = visible(s);
    if shown.chars().count() <= max {
        return shown.into_owned();
    }
    let mut t = String::new();
    let mut n = 0;
    for c in s.chars() {
        let mut utf8 = [0u8; 4];
        let piece = visible(c.encode_utf8(&mut utf8));
        n += piece.chars().count();
        if n > max.saturating_sub(1) {
            break;
        }
        t.push_str(&piece);
    }
    t.push('…');
    t
}

/// A file-name-safe stem: ASCII letters, digits, `-` and `_` kept, anything else becomes `_`
/// (runs collapsed), at most 48 characters; `chart` when nothing is left.
pub fn file_stem(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out: String = out.trim_matches('_').chars().take(48).collect();
    if out.is_empty() {
        "chart".into()
    } else {
        out
    }
}

/// Column `col` (a slice or item-group column) as chart titles name it: its display name, cut to
/// 32 characters.
pub(super) fn column_label(col: &str) -> String {
    truncate_label(&crate::slices::display_key(col), 32)
}

/// The word for a bubble verdict.
pub fn verdict_word(v: &crate::metrics::bubble::Verdict) -> &'static str {
    use crate::metrics::bubble::Verdict;
    match v {
        Verdict::Narrowing => "narrowing",
        Verdict::Stable => "stable",
        Verdict::Widening => "widening",
        Verdict::Undetermined => "undetermined",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_truncated_and_file_stems_are_safe() {
        assert_eq!(truncate_label("abc", 5), "abc");
        assert_eq!(truncate_label("abcdef", 4), "abc…");
        assert_eq!(file_stem("Age band"), "age_band");
        assert_eq!(
            file_stem("<script>alert(1)</script>"),
            "script_alert_1_script"
        );
        assert_eq!(file_stem("../../etc"), "etc");
        assert_eq!(file_stem("été"), "t");
        assert_eq!(file_stem("∅"), "chart");
    }

    #[test]
    fn labels_are_truncated_as_shown_without_cutting_an_escape() {
        assert_eq!(truncate_label("F\u{202E}M", 20), "F\\u{202E}M");
        assert_eq!(truncate_label("女性\u{1B}", 8), "女性\\u{1B}");
        // a, b, then the 8-character escape would pass 5 characters: it is left out whole.
        assert_eq!(truncate_label("ab\u{202E}cd", 6), "ab…");
        assert_eq!(truncate_label("a\u{1B}bcdef", 9), "a\\u{1B}b…");
        assert_eq!(truncate_label("ذكر و أنثى", 5), "ذكر …");
    }
}
