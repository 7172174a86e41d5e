//! The summary's blocks besides the findings: the gates, the comparison with a baseline, and the
//! groups that are not published.

use super::context::PageContext;
use super::model::{cell, fact, Fact, GateView, Gates, HtmlTable};
use crate::format::fmt_estimate;
use crate::report::charts::suppressed_groups;
use crate::report::{ComparisonRow, GateLine, GateStatus};

/// The gates block: a headline counting passes, failures and skips, and one line per gate.
pub(super) fn gates(lines: &[GateLine]) -> Gates {
    let count = |s: GateStatus| lines.iter().filter(|l| l.status == s).count();
    let (pass, fail, skip) = (
        count(GateStatus::Pass),
        count(GateStatus::Fail),
        count(GateStatus::Skipped),
    );
    let headline = if lines.is_empty() {
        "The policy has no gates.".to_string()
    } else if fail == 0 {
        format!(
            "All {} judged gate{} passed{}.",
            pass,
            if pass == 1 { "" } else { "s" },
            if skip > 0 {
                format!(" ({skip} skipped)")
            } else {
                String::new()
            }
        )
    } else {
        format!(
            "{fail} of {} gate{} failed ({pass} passed, {skip} skipped).",
            lines.len(),
            if lines.len() == 1 { "" } else { "s" }
        )
    };
    Gates {
        headline,
        failed: fail,
        lines: lines
            .iter()
            .map(|l| GateView {
                name: l.name.clone(),
                status: match l.status {
                    GateStatus::Pass => "pass",
                    GateStatus::Fail => "fail",
                    GateStatus::Skipped => "skipped",
                },
                detail: l.detail.clone(),
            })
            .collect(),
    }
}

/// The table of the comparison with a baseline.
pub(super) fn comparison(rows: &[ComparisonRow]) -> HtmlTable {
    HtmlTable {
        caption: "Candidate compared with the baseline".into(),
        head: ["Metric", "Baseline", "Candidate", "Change", "Significant"]
            .map(String::from)
            .to_vec(),
        rows: rows
            .iter()
            .map(|r| {
                let mut sig = cell(if r.significant { "yes" } else { "no" });
                if r.significant {
                    sig.class = "warn";
                }
                vec![
                    cell(r.metric.clone()),
                    cell(fmt_estimate(&r.baseline, false)),
                    cell(fmt_estimate(&r.candidate, false)),
                    cell(fmt_estimate(&r.change, false)),
                    sig,
                ]
            })
            .collect(),
        note: String::new(),
    }
}

/// One line per slice column with groups that are not published: how many, never which.
pub(super) fn suppressed_list(cx: &PageContext<'_>) -> Vec<Fact> {
    cx.result
        .slices
        .iter()
        .filter(|(_, s)| suppressed_groups(s) > 0)
        .map(|(col, s)| {
            let mut text = format!(
                "{} {} under {} users suppressed",
                s.groups_too_small,
                if s.groups_too_small == 1 { "group" } else { "groups" },
                cx.min_size
            );
            if s.groups_withheld > 0 {
                text.push_str(&format!(
                    "; {} more withheld so that {} cannot be recovered by subtracting the published figures",
                    s.groups_withheld,
                    if s.groups_too_small == 1 { "it" } else { "they" }
                ));
            }
            text.push_str(": no value is shown and no gate judges them");
            fact(crate::slices::display_key(col), text)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::test_support::conformance;
    use crate::report::{write_report, ReportOptions};
    use crate::stats::Estimate;

    #[test]
    fn gate_headlines_count_failures() {
        let l = |s| GateLine {
            name: "g".into(),
            status: s,
            detail: "d".into(),
        };
        assert_eq!(
            gates(&[l(GateStatus::Pass), l(GateStatus::Pass)]).headline,
            "All 2 judged gates passed."
        );
        let g = gates(&[
            l(GateStatus::Pass),
            l(GateStatus::Fail),
            l(GateStatus::Skipped),
        ]);
        assert_eq!(g.headline, "1 of 3 gates failed (1 passed, 1 skipped).");
        assert_eq!(g.failed, 1);
    }

    #[test]
    fn gates_and_comparison_are_shown_when_given() {
        let result = conformance();
        let dir = tempfile::tempdir().unwrap();
        let opts = ReportOptions {
            gates: Some(vec![
                GateLine {
                    name: "ndcg ratio ≥ 0.8 (gender)".into(),
                    status: GateStatus::Fail,
                    detail: "F: 0.72 < 0.8".into(),
                },
                GateLine {
                    name: "<b>coverage</b>".into(),
                    status: GateStatus::Pass,
                    detail: "0.6 ≥ 0.5".into(),
                },
            ]),
            comparison: Some(vec![ComparisonRow {
                metric: "ndcg · gender = F".into(),
                baseline: Estimate {
                    value: Some(0.2),
                    ci_low: Some(0.18),
                    ci_high: Some(0.22),
                    n: 70,
                },
                candidate: Estimate::point(Some(0.15), 70),
                change: Estimate::point(Some(-0.05), 70),
                significant: true,
            }]),
        };
        let files = write_report(result, dir.path(), &opts).unwrap();
        let html = std::fs::read_to_string(&files.html).unwrap();
        assert!(html.contains("Fairness gates"));
        assert!(html.contains("1 of 2 gates failed (1 passed, 0 skipped)."));
        assert!(html.contains("&lt;b&gt;coverage&lt;&#x2f;b&gt;"));
        assert!(html.contains("id=\"comparison\""));
        assert!(html.contains("ndcg · gender = F"));
        assert!(html.contains("0.200 [0.180, 0.220]"));
    }
}
