//! The short verdict `recaudit audit` ends with on stderr (stdout holds only the gate lines): the one-sentence verdict of the report,
//! its top findings (at most three) and where the report is. `-q` silences it. Groups are named by
//! their slice column and label only, made visible (labels come from the data); never a user.

use std::path::Path;

use crate::report::findings::{area_statuses, gaps, top_findings, verdict};
use crate::report::GateLine;
use crate::result::AuditResult;
use crate::text::visible_lines;

/// How many findings the terminal shows.
const TERMINAL_FINDINGS: usize = 3;

/// The verdict's lines: the sentence, the top findings, and `report: <path>`.
pub fn verdict_text(result: &AuditResult, gates: Option<&[GateLine]>, report: &Path) -> String {
    let all = gaps(result);
    let top = top_findings(&all, TERMINAL_FINDINGS);
    let areas = area_statuses(result, &all, gates);
    let mut out = format!("verdict: {}\n", verdict(result, &areas, &top));
    for g in &top {
        out.push_str(&format!("  ▼ {}\n", g.sentence()));
    }
    if all.len() > top.len() {
        out.push_str(&format!(
            "  ({} significant gaps in all; every one is in the report)\n",
            all.len()
        ));
    }
    out.push_str(&format!("report: {}\n", report.display()));
    visible_lines(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::test_support::tiny_result;

    #[test]
    fn an_audit_without_gaps_says_so_and_points_to_the_report() {
        let text = verdict_text(&tiny_result(), None, Path::new("out/report.html"));
        assert_eq!(
            text,
            "verdict: Nothing was measured: see the notes of the audit.\nreport: out/report.html\n"
        );
    }
}
