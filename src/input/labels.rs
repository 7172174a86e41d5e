//! Ordered labels of a text column read over several chunks: the snapshot and sample columns of
//! the recommendations, and text timestamps of the history.

use super::table::InputTable;
use super::vocab::Vocab;
use crate::error::{shown, Result};

/// Ordered labels of a column read over several chunks (snapshot, sample, text timestamps).
///
/// The labels of a column are all numbers, ordered by value, or all text, ordered as text: a
/// column that mixes the two kinds has no order a reader could tell from its labels (as text,
/// `10` comes before `9`), and a stray text label, sorted last, would become the main list. Such a
/// column is an error, as is a label that reads as a number but is not finite (`NaN`, `inf`: a
/// missing value written out, not a label).
///
/// A column of timestamps ([`LabelColumn::timestamps`]) as text holds ISO 8601 dates (`YYYY-MM-DD`,
/// optionally followed by a time), the one text form whose text order is time order: as text,
/// `05/01/2024` comes before `12/31/2023`. A timestamp may be missing: it comes first, the oldest,
/// as a missing number does in a column of numbers.
#[derive(Default)]
pub(super) struct LabelColumn {
    vocab: Vocab,
    codes: Vec<u32>,
    /// Whether the labels are timestamps, so text ones must be ISO 8601 dates.
    timestamps: bool,
    /// The first label read, its row in the file (from 1) and whether it is a number: the kind
    /// of every label of the column.
    first: Option<(String, usize, bool)>,
}

impl LabelColumn {
    /// A column of timestamps: its text labels must be ISO 8601 dates (see the type's
    /// documentation).
    pub(super) fn timestamps() -> Self {
        LabelColumn {
            timestamps: true,
            ..LabelColumn::default()
        }
    }

    /// Adds the labels of column `name` of the chunk `t` (every row needs one, but a timestamp
    /// may be missing); errors at the row of a label that [`check_kind`](Self::check_kind)
    /// rejects.
    pub(super) fn push_chunk(&mut self, t: &InputTable, name: &str) -> Result<()> {
        for (row, v) in t.strings(name, !self.timestamps)?.iter().enumerate() {
            self.push(v.unwrap_or(""), t.row_offset + row + 1)
                .map_err(|message| t.row_error(name, row, message))?;
        }
        Ok(())
    }

    /// Adds `label`, read at `row` of the file (from 1), checking a label not seen before
    /// ([`check_kind`](Self::check_kind)).
    fn push(&mut self, label: &str, row: usize) -> std::result::Result<(), String> {
        let known = self.vocab.len();
        self.codes.push(self.vocab.intern(label));
        if self.vocab.len() > known && !(self.timestamps && label.is_empty()) {
            self.check_kind(label, row)?;
        }
        Ok(())
    }

    /// Checks a label seen for the first time, at `row` of the file, against the kind of the
    /// labels before it (see the type's documentation).
    fn check_kind(&mut self, label: &str, row: usize) -> std::result::Result<(), String> {
        let is_number = match label.trim().parse::<f64>() {
            Ok(x) if !x.is_finite() => {
                return Err(format!(
                    "`{}` is not a finite number; expected a finite number or a text label (every \
                     row needs a label: is this a missing value?)",
                    shown(label)
                ))
            }
            Ok(_) => true,
            Err(_) => false,
        };
        if self.timestamps && !is_number && !starts_with_iso_date(label) {
            return Err(format!(
                "`{}` is not an ISO 8601 date; expected a number or a date written YYYY-MM-DD \
                 (optionally with a time after it), whose text order is time order",
                shown(label)
            ));
        }
        match &self.first {
            None => self.first = Some((label.to_string(), row, is_number)),
            Some((first, first_row, first_is_number)) if *first_is_number != is_number => {
                let kind = |number: bool| if number { "a number" } else { "text" };
                return Err(format!(
                    "`{}` is {}, while `{}` (row {first_row}) is {}; expected labels of one \
                     kind, all numbers (ordered by value) or all text (ordered as text)",
                    shown(label),
                    kind(is_number),
                    shown(first),
                    kind(*first_is_number)
                ));
            }
            Some(_) => {}
        }
        Ok(())
    }

    /// Labels in order (by value when they are numbers, as text when they are text; a missing
    /// timestamp first), with the codes remapped to that order.
    pub(super) fn finish(self) -> (Vec<u32>, Vec<String>) {
        // Every label checked is of the first one's kind; a missing timestamp (empty, never
        // checked) sorts first as text, and as −∞ among numbers.
        let numbers = self
            .first
            .as_ref()
            .is_some_and(|&(_, _, is_number)| is_number);
        let ids = self.vocab.into_ids();
        let mut order: Vec<usize> = (0..ids.len()).collect();
        if numbers {
            let value = |v: &str| v.trim().parse::<f64>().unwrap_or(f64::NEG_INFINITY);
            let num: Vec<f64> = ids.iter().map(|v| value(v)).collect();
            order.sort_by(|&a, &b| num[a].total_cmp(&num[b]));
        } else {
            order.sort_by(|&a, &b| ids[a].cmp(&ids[b]));
        }
        let mut rank = vec![0u32; ids.len()];
        for (r, &i) in order.iter().enumerate() {
            rank[i] = r as u32;
        }
        let codes = self.codes.into_iter().map(|c| rank[c as usize]).collect();
        (codes, order.into_iter().map(|i| ids[i].clone()).collect())
    }
}

/// Whether `label` starts with an ISO 8601 calendar date, `YYYY-MM-DD`, followed by nothing or
/// by `T`, `t` or a space (a time).
fn starts_with_iso_date(label: &str) -> bool {
    let b = label.trim().as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    b.len() >= 10
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && matches!(b.get(10), None | Some(b'T' | b't' | b' '))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_keeps_to_the_kind_of_its_first_label() {
        let mut numbers = LabelColumn::default();
        assert_eq!(numbers.check_kind("1", 1), Ok(()));
        assert_eq!(numbers.check_kind(" 2.5", 4), Ok(()));
        assert_eq!(
            numbers.check_kind("x", 7),
            Err(
                "`x` is text, while `1` (row 1) is a number; expected labels of one kind, all \
                 numbers (ordered by value) or all text (ordered as text)"
                    .to_string()
            )
        );
        let mut text = LabelColumn::default();
        assert_eq!(text.check_kind("2024-01-01", 2), Ok(()));
        assert_eq!(text.check_kind("v2", 3), Ok(()));
        let err = text.check_kind("3", 5).unwrap_err();
        assert!(
            err.starts_with("`3` is a number, while `2024-01-01` (row 2) is text;"),
            "{err}"
        );
        for missing in ["NaN", "nan", "inf", "-infinity"] {
            let err = LabelColumn::default().check_kind(missing, 1).unwrap_err();
            assert!(
                err.starts_with(&format!("`{missing}` is not a finite number;")),
                "{err}"
            );
        }
    }

    #[test]
    fn text_timestamps_are_iso_dates() {
        for date in [
            "2024-01-05",
            "2024-01-05T10:00:00Z",
            "2024-01-05 10:00",
            " 2024-12-31t23:59",
        ] {
            assert!(starts_with_iso_date(date), "{date}");
            assert_eq!(
                LabelColumn::timestamps().check_kind(date, 1),
                Ok(()),
                "{date}"
            );
        }
        for other in [
            "05/01/2024",
            "2024-1-5",
            "2024-01-5",
            "2024-01-05X",
            "Jan 5",
        ] {
            assert!(!starts_with_iso_date(other), "{other}");
            let err = LabelColumn::timestamps().check_kind(other, 1).unwrap_err();
            assert!(
                err.starts_with(&format!("`{other}` is not an ISO 8601 date;")),
                "{err}"
            );
        }
        // Numbers are timestamps too (`20240105` is one, ordered by value); snapshot labels need
        // not be dates.
        assert!(!starts_with_iso_date("20240105"));
        assert_eq!(LabelColumn::timestamps().check_kind("20240105", 1), Ok(()));
        assert_eq!(
            LabelColumn::timestamps().check_kind("1704240000", 1),
            Ok(())
        );
        assert_eq!(LabelColumn::default().check_kind("Jan 5", 1), Ok(()));
    }

    /// The column `col` with `labels` pushed, one per row (empty: missing).
    fn column(mut col: LabelColumn, labels: &[&str]) -> LabelColumn {
        for (row, &v) in labels.iter().enumerate() {
            col.push(v, row + 1).unwrap();
        }
        col
    }

    #[test]
    fn labels_are_ordered_by_value_or_as_text_a_missing_timestamp_first() {
        let (codes, labels) = column(LabelColumn::default(), &["10", "9", "-1.5", "9"]).finish();
        assert_eq!(labels, ["-1.5", "9", "10"]);
        assert_eq!(codes, [2, 1, 0, 1]);
        let (codes, labels) = column(LabelColumn::default(), &["b", "a", "B"]).finish();
        assert_eq!(labels, ["B", "a", "b"]);
        assert_eq!(codes, [2, 1, 0]);
        let (codes, labels) = column(LabelColumn::timestamps(), &["10", "", "9"]).finish();
        assert_eq!(labels, ["", "9", "10"]);
        assert_eq!(codes, [2, 0, 1]);
        let (codes, labels) =
            column(LabelColumn::timestamps(), &["2024-03-01", "", "2023-12-31"]).finish();
        assert_eq!(labels, ["", "2023-12-31", "2024-03-01"]);
        assert_eq!(codes, [2, 0, 1]);
    }
}
