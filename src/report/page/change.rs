//! The section on what changed for whom: each user's list against a baseline run's (`rbo`,
//! `--baseline-recs`), per slice group, led by one plain sentence naming the group whose lists
//! changed most.

use super::context::PageContext;
use super::model::PageSection;
use super::sections::metric_section;
use crate::format::{fmt_estimate, fmt_num};
use crate::result::MetricResult;
use crate::slices::display_key;

/// The section, `None` when the audit compared no lists with a baseline's.
pub(super) fn change_section(
    cx: &PageContext<'_>,
    metrics: &[(&str, &MetricResult)],
) -> Option<PageSection> {
    if metrics.is_empty() {
        return None;
    }
    let mut s = metric_section(
        cx,
        "change",
        "What changed for whom",
        "How much of each user's list stayed the same between the baseline run and this one (rank-biased overlap: 1 = the same list in the same order, 0 = no item in common; the top ranks count most), averaged over each group. Neither direction is better: a group whose lists changed much more than others' is one a change affected most.",
        metrics,
        None,
    );
    if let Some(sentence) = metrics
        .iter()
        .find(|(n, _)| *n == "rbo")
        .and_then(|(_, m)| changed_most_sentence(m))
    {
        s.intro = format!("{sentence} {}", s.intro);
    }
    Some(s)
}

/// `Lists of users with age_band 55+ changed most: RBO 0.410 [0.380, 0.440] against 0.780 for
/// all users.`: the published group with the lowest mean RBO over every slice column (the first
/// in column and group order on a tie), and whether its gap to its column's reference group is
/// significant. `None` without a published group or an overall mean.
pub(super) fn changed_most_sentence(m: &MetricResult) -> Option<String> {
    let overall = m.overall.value?;
    let mut lowest: Option<(&str, &str, f64)> = None;
    for (col, sm) in &m.slices {
        for (g, e) in &sm.groups {
            let Some(v) = e.value.filter(|v| v.is_finite()) else {
                continue;
            };
            if lowest.is_none_or(|(_, _, l)| v < l) {
                lowest = Some((col, g, v));
            }
        }
    }
    let (col, g, _) = lowest?;
    let sm = &m.slices[col];
    let mut text = format!(
        "Lists of users with {} {} changed most: RBO {} against {} for all users.",
        display_key(col),
        display_key(g),
        fmt_estimate(&sm.groups[g], false),
        fmt_num(overall),
    );
    if let Some(d) = &sm.disparity {
        let significant = d.groups.get(g).is_some_and(|c| c.significant);
        let reference = sm.groups.get(&d.reference).and_then(|e| e.value);
        if let (true, Some(r), false) = (significant, reference, d.reference == g) {
            text.push_str(&format!(
                " The gap to {} {} ({}) is significant.",
                display_key(col),
                display_key(&d.reference),
                fmt_num(r)
            ));
        }
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::changed_most_sentence;
    use crate::metrics::Better;
    use crate::report::test_support::{comparison, est};
    use crate::result::{DisparityResult, MetricResult, SliceMetric};
    use crate::stats::Estimate;

    fn slice(groups: &[(&str, Estimate)]) -> SliceMetric {
        SliceMetric {
            groups: groups.iter().map(|(g, e)| (g.to_string(), *e)).collect(),
            quantiles: BTreeMap::new(),
            disparity: None,
            groups_withheld: 0,
            distribution: None,
        }
    }

    #[test]
    fn the_sentence_names_the_group_whose_lists_changed_most() {
        // gender: F 0.70, M 0.85; age_band: 18-34 0.80, 55+ 0.41 (the lowest of all).
        let mut age = slice(&[
            ("18-34", est(0.8, 0.75, 0.85, 300)),
            ("55+", est(0.41, 0.38, 0.44, 120)),
        ]);
        let m = MetricResult {
            family: "change".into(),
            better: Better::Neutral,
            overall: est(0.78, 0.76, 0.8, 1000),
            quantiles: Default::default(),
            n_undefined: 0,
            distribution: None,
            slices: BTreeMap::from([
                (
                    "gender".to_string(),
                    slice(&[
                        ("F", est(0.7, 0.65, 0.75, 500)),
                        ("M", est(0.85, 0.8, 0.9, 500)),
                    ]),
                ),
                ("age_band".to_string(), age.clone()),
            ]),
        };
        assert_eq!(
            changed_most_sentence(&m).unwrap(),
            "Lists of users with age_band 55+ changed most: RBO 0.410 [0.380, 0.440] against 0.780 for all users."
        );
        // With a significant gap to the column's reference group (18-34, the largest).
        age.disparity = Some(DisparityResult {
            reference: "18-34".into(),
            reference_rule: Default::default(),
            groups: BTreeMap::from([
                (
                    "55+".to_string(),
                    comparison(est(0.41, 0.38, 0.44, 120), est(0.51, 0.47, 0.55, 120), true),
                ),
                (
                    "18-34".to_string(),
                    comparison(est(0.8, 0.75, 0.85, 300), est(1.0, 1.0, 1.0, 300), false),
                ),
            ]),
            spread: Estimate::default(),
            min_max_ratio: Estimate::default(),
        });
        let mut m = m;
        m.slices.insert("age_band".into(), age);
        assert!(changed_most_sentence(&m)
            .unwrap()
            .ends_with("for all users. The gap to age_band 18-34 (0.800) is significant."));
        // The page shows the section, led by the sentence.
        let mut result = crate::report::test_support::tiny_result();
        result.metrics.insert("rbo".into(), m.clone());
        result.slices.insert(
            "age_band".into(),
            crate::result::SliceSummary {
                columns: vec!["age_band".into()],
                chosen_reference: None,
                groups: BTreeMap::new(),
                groups_too_small: 0,
                groups_withheld: 0,
            },
        );
        let html = crate::report::page::render_html(
            &result,
            &crate::report::ReportOptions::default(),
            &[],
        )
        .unwrap();
        assert!(
            html.contains("<h2>What changed for whom</h2>"),
            "no section"
        );
        assert!(html.contains("Lists of users with age_band 55+ changed most: RBO 0.410 [0.380, 0.440] against 0.780 for all users. The gap to age_band 18-34 (0.800) is significant. How much"));
        // RBO has no better direction: the legend names the mark its cells show, not ▼/▲.
        let start = html.find("<h2>What changed for whom</h2>").unwrap();
        let section = &html[start..];
        let section = &section[..section[4..].find("<h2>").map_or(section.len(), |e| e + 4)];
        assert!(
            section.contains(
                "● differs (a metric with no better direction), ○ no significant difference"
            ),
            "legend"
        );
        assert!(!section.contains("▼ worse, ▲ better"));
        // No published group: no sentence.
        m.slices.clear();
        assert!(changed_most_sentence(&m).is_none());
    }
}
