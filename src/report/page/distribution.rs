//! The distribution table of a slice column in the quality section: per utility metric and
//! published group, the share of its users in the worst decile of all users and the Gini
//! coefficient within it, and in the note one plain sentence per metric on the worst-off group's
//! share of the total (docs/statistics.md, "Distributions of utility per group").

use super::context::PageContext;
use super::model::{cell, HtmlTable};
use crate::format::{fmt_estimate, fmt_pct};
use crate::result::MetricResult;

/// The sentence on the worst-off group of `metric` (labelled `label`) in one slice column.
pub(super) fn worst_off_sentence(label: &str, w: &crate::result::WorstOff) -> Option<String> {
    let share = w.utility_share.value?;
    Some(format!(
        "For {label}, the worst-off group, {}, gets {} of the total with {} of the users.",
        w.group,
        fmt_pct(share),
        fmt_pct(w.user_share)
    ))
}

/// The distribution table of `col` for `metrics` (`None` when none has a distribution there).
pub(super) fn distribution_table(
    cx: &PageContext<'_>,
    col: &str,
    metrics: &[(&str, &MetricResult)],
) -> Option<HtmlTable> {
    let mut rows = Vec::new();
    let mut sentences = Vec::new();
    for (name, m) in metrics {
        let Some(d) = m.slices.get(col).and_then(|s| s.distribution.as_ref()) else {
            continue;
        };
        let label = cx.label(name);
        for (group, share) in &d.worst_decile_share {
            let gini = d.gini.get(group).copied().unwrap_or_default();
            rows.push(vec![
                cell(label.clone()),
                cell(group.clone()),
                cell(fmt_estimate(share, true)),
                cell(fmt_estimate(&gini, false)),
            ]);
        }
        if let Some(s) = d
            .worst_off
            .as_ref()
            .and_then(|w| worst_off_sentence(&label, w))
        {
            sentences.push(s);
        }
    }
    if rows.is_empty() {
        return None;
    }
    sentences.push(format!(
        "The worst decile is every user at or below the 10th percentile of all users; a group \
         above the overall share ({}) is over-represented among the worst served. Gini: 0 when \
         every user gets the same, near 1 when a few get everything.",
        overall_shares(cx, metrics)
    ));
    Some(HtmlTable {
        caption: format!(
            "How each group's utility is spread: by {}",
            crate::slices::display_key(col)
        ),
        head: [
            "Metric",
            "Group",
            &format!("Users in the worst decile [{} interval]", cx.level),
            "Gini within the group",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        note: sentences.join(" "),
    })
}

/// The overall worst-decile shares of `metrics`, `NDCG@10 12.3%, …`.
fn overall_shares(cx: &PageContext<'_>, metrics: &[(&str, &MetricResult)]) -> String {
    metrics
        .iter()
        .filter_map(|(n, m)| {
            let share = m.distribution.as_ref()?.worst_decile_share.value?;
            Some(format!("{} {}", cx.label(n), fmt_pct(share)))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::WorstOff;
    use crate::stats::Estimate;

    #[test]
    fn the_sentence_names_the_group_and_both_shares() {
        let w = WorstOff {
            group: "F".into(),
            utility_share: Estimate::point(Some(0.125), 40),
            user_share: 0.2,
        };
        assert_eq!(
            worst_off_sentence("NDCG@10", &w).unwrap(),
            "For NDCG@10, the worst-off group, F, gets 12.5% of the total with 20.0% of the users."
        );
    }
}
