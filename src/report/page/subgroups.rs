//! The subgroup section: the intersections of slice columns found significantly worse off than the
//! rest of the users ([`crate::slices::subgroups`]), one plain sentence per finding and a table.

use super::context::PageContext;
use super::model::{cell, fact, HtmlTable, PageSection};
use crate::format::{fmt_estimate, fmt_p, fmt_short, fmt_value};
use crate::report::shown_as_percent;
use crate::slices::subgroups::SubgroupFinding;

/// How a finding's subgroup reads in a sentence: `gender F × age_band 55+`.
fn subgroup_words(f: &SubgroupFinding) -> String {
    f.columns
        .iter()
        .zip(&f.values)
        .map(|(c, v)| format!("{c} {v}"))
        .collect::<Vec<_>>()
        .join(" × ")
}

/// One plain sentence about a finding.
pub(super) fn finding_sentence(cx: &PageContext<'_>, f: &SubgroupFinding) -> String {
    let pct = shown_as_percent(&f.metric);
    format!(
        "Users with {} ({} users) have a mean {} of {} against {} for everyone else: {} worse (difference {}, adjusted p {}).",
        subgroup_words(f),
        f.n_users,
        cx.label(&f.metric),
        fmt_value(f.mean, pct),
        fmt_value(f.rest_mean, pct),
        fmt_value(f.gap, pct),
        fmt_estimate(&f.difference, pct),
        fmt_p(f.adjusted_p),
    )
}

/// The section; `None` when the audit searched no slice column.
pub(super) fn subgroup_section(cx: &PageContext<'_>) -> Option<PageSection> {
    let s = &cx.result.subgroups;
    if s.columns.is_empty() {
        return None;
    }
    let intro = format!(
        "Every combination of one to three of the slice columns ({}) was searched for subgroups whose users fare worse than all other users: {} combinations, {} tests, the false discovery rate held at {} across all of them (Benjamini–Yekutieli). At most three subgroups per metric are shown, the largest gaps first; a subgroup smaller than the minimum slice size, or one whose figures would let a smaller group be recovered by subtraction, is never shown.",
        s.columns.join(", "),
        s.combinations,
        s.tests,
        fmt_short(s.alpha),
    );
    let status = if s.findings.is_empty() {
        "no subgroup significantly worse off".to_string()
    } else {
        format!(
            "{} subgroup finding{}",
            s.findings.len(),
            if s.findings.len() == 1 { "" } else { "s" }
        )
    };
    let table = HtmlTable {
        caption: "Subgroups significantly worse off than the rest of the users".into(),
        head: [
            "Metric",
            "Subgroup",
            "Users",
            "Mean",
            "Rest",
            &format!("Difference [{} interval]", cx.level),
            "Adjusted p",
        ]
        .map(String::from)
        .to_vec(),
        rows: s
            .findings
            .iter()
            .map(|f| {
                let pct = shown_as_percent(&f.metric);
                vec![
                    cell(cx.label(&f.metric)),
                    cell(subgroup_words(f)),
                    cell(f.n_users.to_string()),
                    cell(fmt_value(f.mean, pct)),
                    cell(fmt_value(f.rest_mean, pct)),
                    cell(fmt_estimate(&f.difference, pct)),
                    cell(fmt_p(f.adjusted_p)),
                ]
            })
            .collect(),
        note: format!(
            "{} significant subgroup{} withheld for privacy; {} combination{} left out by the search's cost bound.",
            s.withheld,
            if s.withheld == 1 { "" } else { "s" },
            s.combinations_skipped,
            if s.combinations_skipped == 1 { "" } else { "s" },
        ),
    };
    Some(PageSection {
        id: "subgroups",
        title: "Subgroups nobody named".into(),
        open: !s.findings.is_empty(),
        status,
        intro,
        meanings: s
            .findings
            .iter()
            .map(|f| fact(cx.label(&f.metric), finding_sentence(cx, f)))
            .collect(),
        charts: Vec::new(),
        tables: if s.findings.is_empty() {
            Vec::new()
        } else {
            vec![table]
        },
        parts: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::test_support::tiny_result;
    use crate::stats::Estimate;

    #[test]
    fn one_plain_sentence_per_finding() {
        let mut r = tiny_result();
        r.subgroups.columns = vec!["gender".into(), "age_band".into()];
        r.subgroups.findings = vec![SubgroupFinding {
            metric: "ndcg".into(),
            columns: vec!["gender".into(), "age_band".into()],
            values: vec!["F".into(), "55+".into()],
            n_users: 30,
            mean: 0.3,
            rest_mean: 0.7,
            difference: Estimate {
                value: Some(-0.4),
                ci_low: Some(-0.45),
                ci_high: Some(-0.35),
                n: 30,
            },
            gap: 0.4,
            p_value: 1e-9,
            adjusted_p: 2e-8,
        }];
        let cx = PageContext::new(&r, &[]);
        let s = subgroup_section(&cx).unwrap();
        assert!(s.open);
        assert_eq!(s.meanings.len(), 1);
        let sentence = &s.meanings[0].value;
        assert!(
            sentence.starts_with("Users with gender F × age_band 55+ (30 users) have a mean NDCG@10 of 0.300 against 0.700 for everyone else: 0.400 worse"),
            "{sentence}"
        );
        r.subgroups.findings.clear();
        let cx = PageContext::new(&r, &[]);
        let s = subgroup_section(&cx).unwrap();
        assert!(!s.open && s.tables.is_empty());
    }
}
