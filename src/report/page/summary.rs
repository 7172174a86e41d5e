//! The summary's blocks besides the findings: the gates, the comparison with a baseline, and the
//! groups that are not published.

use super::context::PageContext;
use super::model::{cell, fact, Changes, Fact, Finding, GateView, Gates, HtmlTable};
use crate::format::{fmt_estimate, fmt_num, fmt_points, fmt_value};
use crate::metrics::{registry, Better};
use crate::report::charts::suppressed_groups;
use crate::report::findings::gaps::is_worse;
use crate::report::{ComparisonRow, GateLine, GateStatus};

/// The gates block: a headline counting passes, failures and skips; the failed gates first, the
/// others folded.
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
    let view = |l: &GateLine| GateView {
        name: l.name.clone(),
        status: match l.status {
            GateStatus::Pass => "pass",
            GateStatus::Fail => "fail",
            GateStatus::Skipped => "skipped",
        },
        detail: l.detail.clone(),
    };
    let (failed, others): (Vec<&GateLine>, Vec<&GateLine>) =
        lines.iter().partition(|l| l.status == GateStatus::Fail);
    Gates {
        headline,
        failed: failed.into_iter().map(view).collect(),
        others: others.into_iter().map(view).collect(),
    }
}

/// The full table of the comparison with a baseline.
pub(super) fn comparison(rows: &[ComparisonRow]) -> HtmlTable {
    HtmlTable {
        caption:
            "Candidate compared with the baseline: every overall value and every significant change"
                .into(),
        head: ["Metric", "Baseline", "Candidate", "Change", "Significant"]
            .map(String::from)
            .to_vec(),
        rows: rows
            .iter()
            .map(|r| {
                let (class, mark) = change_tone(r);
                let mut sig = cell(mark);
                sig.class = class;
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

/// The label (at cutoff `k`) of a metric key of a comparison (a per-user, corpus or
/// item-group-share key), and whether its values are percentages; no label for an unknown key.
fn describe_key(key: &str, k: usize) -> (Option<String>, bool) {
    if let Some(d) = crate::report::metric_info(key) {
        return (Some(d.label_at(k)), d.percent);
    }
    match registry::share_family_of(key) {
        Some((d, col)) => (Some(format!("{} ({col})", d.label_at(k))), d.percent),
        None => (None, false),
    }
}

/// The class and mark of a change: `worse`/`better` when significant and the metric has a
/// direction, `ns` otherwise.
fn change_tone(r: &ComparisonRow) -> (&'static str, &'static str) {
    let d = r.change.value.unwrap_or(0.0);
    match (r.significant, r.better) {
        (false, _) => ("ns", "○ n.s."),
        (true, Better::Neutral) => ("sig", "significant"),
        (true, b) if is_worse(b, d) => ("worse", "▼ worse"),
        (true, _) => ("better", "▲ better"),
    }
}

/// What changed since the baseline: the significant changes as sentences, largest relative
/// change first, at most `max`.
pub(super) fn changes(rows: &[ComparisonRow], k: usize, max: usize) -> Changes {
    let mut sig: Vec<&ComparisonRow> = rows.iter().filter(|r| r.significant).collect();
    let size = |r: &ComparisonRow| {
        let (c, b) = (
            r.change.value.unwrap_or(0.0),
            r.baseline.value.unwrap_or(0.0),
        );
        if b.abs() > 0.0 {
            (c / b).abs()
        } else {
            c.abs()
        }
    };
    sig.sort_by(|a, b| size(b).total_cmp(&size(a)));
    let worse = sig.iter().filter(|r| change_tone(r).0 == "worse").count();
    let better = sig.iter().filter(|r| change_tone(r).0 == "better").count();
    let headline = if sig.is_empty() {
        format!(
            "No significant change since the baseline ({} values compared).",
            rows.len()
        )
    } else {
        format!(
            "{} significant change{} since the baseline: {worse} for the worse, {better} for the better.",
            sig.len(),
            if sig.len() == 1 { "" } else { "s" }
        )
    };
    let lines = sig
        .into_iter()
        .take(max)
        .map(|r| {
            let who = if r.scope.is_empty() || r.scope == "overall" {
                "all users".to_string()
            } else {
                r.scope.replace('=', " ")
            };
            let (label, percent) = describe_key(&r.key, k);
            let label = label.unwrap_or_else(|| r.metric.clone());
            let d = r.change.value.unwrap_or(0.0);
            let change = |x: f64| if percent { fmt_points(x) } else { fmt_num(x) };
            let interval = match (r.change.ci_low, r.change.ci_high) {
                (Some(lo), Some(hi)) => format!(
                    ", 95% CI {} to {}",
                    fmt_num(if percent { lo * 100.0 } else { lo }),
                    change(hi)
                ),
                _ => String::new(),
            };
            let (tone, mark) = change_tone(r);
            Finding {
                text: format!(
                    "{label} for {who} {} from {} to {} (change {}{interval}): {}.",
                    if d < 0.0 { "fell" } else { "rose" },
                    r.baseline
                        .value
                        .map_or("–".into(), |v| fmt_value(v, percent)),
                    r.candidate
                        .value
                        .map_or("–".into(), |v| fmt_value(v, percent)),
                    change(d),
                    mark
                ),
                tone,
            }
        })
        .collect();
    Changes { headline, lines }
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
            metric: "ndcg".into(),
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
        assert_eq!(g.failed.len(), 1);
        assert_eq!(g.failed[0].status, "fail");
        assert_eq!(
            g.others.iter().map(|l| l.status).collect::<Vec<_>>(),
            ["pass", "skipped"]
        );
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
                    metric: "ndcg".into(),
                },
                GateLine {
                    name: "<b>coverage</b>".into(),
                    status: GateStatus::Pass,
                    detail: "0.6 ≥ 0.5".into(),
                    metric: "catalog_coverage".into(),
                },
            ]),
            comparison: Some(vec![ComparisonRow {
                metric: "ndcg · gender = F".into(),
                key: "ndcg".into(),
                scope: "gender=F".into(),
                better: Better::Higher,
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
        // The page opens on what changed, for whom, before the verdict card.
        let changed = html.find("id=\"changes\"").expect("a changes block");
        assert!(changed < html.find("id=\"verdict\"").unwrap());
        assert!(html
            .contains("NDCG@10 for gender F fell from 0.200 to 0.150 (change -0.0500): ▼ worse."));
        // The failed gate comes before the passed one, which is folded.
        let fail = html.find("ndcg ratio ≥ 0.8 (gender)").unwrap();
        let pass = html.find("&lt;b&gt;coverage").unwrap();
        assert!(fail < pass);
    }
}
