//! A comparison as text: the summary `recaudit compare` prints first (the verdict, the counts of
//! rows by direction and the significant changes) and the full table of every row, which it
//! writes to `compare.txt`. Metric names and scopes are shown as [`visible`] shows them.

use std::borrow::Cow;
use std::fmt::Write as _;

use super::{ChangeRow, Comparison, Direction};
use crate::format::{fmt_fixed_estimate, fmt_fixed_signed, fmt_p};
use crate::text::visible;

impl Comparison {
    /// The comparison as a text table (one line per row), significant rows marked `*`; metric
    /// names and scopes as [`visible`] shows them.
    pub fn table(&self) -> String {
        let mut out = rows_table(&self.rows.iter().collect::<Vec<_>>());
        let n_sig = self.significant().count();
        let _ = writeln!(
            out,
            "{n_sig} of {} tested changes significant (* = Holm-adjusted p < {}; {} rows in all)",
            self.n_tested(),
            self.alpha,
            self.rows.len()
        );
        out
    }

    /// The comparison in a few lines: the verdict (`worse`, `better`, `mixed`, `changed` or `no
    /// significant change`, from the significant changes) with the counts of significant changes
    /// by direction, the counts of all rows by direction, then the significant changes as rows of
    /// [`Comparison::table`].
    ///
    /// ```text
    /// verdict: worse: 1 of 1843 tested changes significant (0 better, 1 worse, 0 changed; Holm-adjusted p < 0.05)
    /// rows: 2712 (1020 better, 1100 worse, 40 changed, 500 same, 52 undefined)
    /// significant changes:
    /// metric  scope     baseline ...  verdict
    /// ndcg    gender=F  0.300 ...     worse *
    /// ```
    pub fn summary(&self) -> String {
        let count = |d: Option<Direction>, significant_only: bool| {
            self.rows
                .iter()
                .filter(|r| r.direction == d && (r.significant || !significant_only))
                .count()
        };
        let sig = |d| count(Some(d), true);
        let (better, worse, changed) = (
            sig(Direction::Better),
            sig(Direction::Worse),
            sig(Direction::Changed),
        );
        let verdict = match (better > 0, worse > 0) {
            (true, true) => "mixed",
            (false, true) => "worse",
            (true, false) => "better",
            (false, false) if changed > 0 => "changed",
            (false, false) => "no significant change",
        };
        let significant: Vec<&ChangeRow> = self.significant().collect();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "verdict: {verdict}: {} of {} tested changes significant ({better} better, {worse} worse, {changed} changed; Holm-adjusted p < {})",
            significant.len(),
            self.n_tested(),
            self.alpha
        );
        let all = |d| count(Some(d), false);
        let _ = writeln!(
            out,
            "rows: {} ({} better, {} worse, {} changed, {} same, {} undefined)",
            self.rows.len(),
            all(Direction::Better),
            all(Direction::Worse),
            all(Direction::Changed),
            all(Direction::Same),
            count(None, false)
        );
        if !significant.is_empty() {
            out.push_str("significant changes:\n");
            out.push_str(&rows_table(&significant));
        }
        out
    }

    /// Rows with a p-value.
    fn n_tested(&self) -> usize {
        self.rows.iter().filter(|r| r.p_value.is_some()).count()
    }
}

/// A header and one line per row, each column as wide as its widest entry.
fn rows_table(rows: &[&ChangeRow]) -> String {
    let mut out = String::new();
    let metrics: Vec<Cow<'_, str>> = rows.iter().map(|r| visible(&r.metric)).collect();
    let w_metric = width(&metrics, "metric");
    let scopes: Vec<String> = rows
        .iter()
        .map(|r| visible(&r.scope()).into_owned())
        .collect();
    let w_scope = width(&scopes, "scope");
    let _ = writeln!(
        out,
        "{:<w_metric$}  {:<w_scope$}  {:>26}  {:>26}  {:>10}  {:>8}  verdict",
        "metric", "scope", "baseline", "candidate", "change", "p_adj"
    );
    for ((r, metric), scope) in rows.iter().zip(&metrics).zip(&scopes) {
        let verdict = match (r.direction, r.significant) {
            (None, _) => "undefined".to_string(),
            (Some(d), sig) => {
                let word = match d {
                    Direction::Better => "better",
                    Direction::Worse => "worse",
                    Direction::Changed => "changed",
                    Direction::Same => "same",
                };
                if sig {
                    format!("{word} *")
                } else {
                    word.to_string()
                }
            }
        };
        let _ = writeln!(
            out,
            "{:<w_metric$}  {:<w_scope$}  {:>26}  {:>26}  {:>10}  {:>8}  {verdict}",
            metric,
            scope,
            fmt_fixed_estimate(&r.baseline),
            fmt_fixed_estimate(&r.candidate),
            r.change.value.map_or("—".into(), fmt_fixed_signed),
            r.p_adjusted.map_or("—".into(), fmt_p),
        );
    }
    out
}

/// The width in characters of a column headed `header` holding `cells`.
fn width<S: AsRef<str>>(cells: &[S], header: &str) -> usize {
    cells
        .iter()
        .map(|c| c.as_ref().chars().count())
        .max()
        .unwrap_or(0)
        .max(header.chars().count())
}

#[cfg(test)]
mod tests {
    use crate::gate::compare;
    use crate::gate::test_support::{
        fixture, jitter, renamed_f, worse_ndcg_for_f, HOSTILE, HOSTILE_SHOWN,
    };

    #[test]
    fn table_shows_hostile_labels_visibly() {
        let result = renamed_f(HOSTILE);
        let table = compare(&result, &result).table();
        assert!(
            !table.contains('\u{1B}') && !table.contains('\u{202E}'),
            "{table}"
        );
        let row = table
            .lines()
            .find(|l| l.starts_with("ndcg ") && l.contains("gender=F"))
            .unwrap();
        assert!(row.contains(&format!("gender={HOSTILE_SHOWN}  ")), "{row}");
    }

    #[test]
    fn table_has_a_header_every_row_and_the_count_of_significant_changes() {
        let base = fixture();
        let cmp = compare(&base, &jitter(&base, 0.6));
        let table = cmp.table();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), cmp.rows.len() + 2, "{table}");
        assert!(lines[0].starts_with("metric "), "{table}");
        assert!(
            lines[lines.len() - 1].starts_with("0 of ")
                && lines[lines.len() - 1].ends_with(&format!("{} rows in all)", cmp.rows.len())),
            "{table}"
        );
    }

    #[test]
    fn summary_gives_the_verdict_the_counts_and_the_significant_rows_only() {
        let base = fixture();
        let rerun = jitter(&base, 0.6);
        let summary = compare(&base, &rerun).summary();
        let lines: Vec<&str> = summary.lines().collect();
        assert_eq!(lines.len(), 2, "{summary}");
        assert!(
            lines[0].starts_with("verdict: no significant change: 0 of "),
            "{summary}"
        );
        assert!(lines[1].starts_with("rows: "), "{summary}");

        let cmp = compare(&base, &worse_ndcg_for_f(&rerun));
        let summary = cmp.summary();
        let lines: Vec<&str> = summary.lines().collect();
        let n_tested = cmp.rows.iter().filter(|r| r.p_value.is_some()).count();
        assert_eq!(
            lines[0],
            format!("verdict: worse: 1 of {n_tested} tested changes significant (0 better, 1 worse, 0 changed; Holm-adjusted p < 0.05)")
        );
        let count = |word: &str| {
            cmp.table()
                .lines()
                .filter(|l| {
                    l.ends_with(&format!("  {word}")) || l.ends_with(&format!("  {word} *"))
                })
                .count()
        };
        assert_eq!(
            lines[1],
            format!(
                "rows: {} ({} better, {} worse, {} changed, {} same, {} undefined)",
                cmp.rows.len(),
                count("better"),
                count("worse"),
                count("changed"),
                count("same"),
                count("undefined")
            )
        );
        assert_eq!(lines[2], "significant changes:");
        assert!(lines[3].starts_with("metric "), "{summary}");
        assert_eq!(lines.len(), 5, "{summary}");
        assert!(
            lines[4].starts_with("ndcg ")
                && lines[4].contains("gender=F")
                && lines[4].ends_with("worse *"),
            "{summary}"
        );
        // The row reads as in the full table, but for the widths of the columns.
        let squeeze = |l: &str| l.split_whitespace().collect::<Vec<_>>().join(" ");
        let full = cmp.table();
        let in_table = full.lines().find(|l| l.ends_with("worse *")).unwrap();
        assert_eq!(squeeze(lines[4]), squeeze(in_table));
    }
}
