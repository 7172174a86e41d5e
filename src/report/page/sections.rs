//! The sections of metrics: which metric family goes into which section, in page order, and the
//! section of one family (the overall table, one part per slice column with its charts and its
//! groups × metrics table).

use super::bubbles::{over_time_table, segregation_section};
use super::context::PageContext;
use super::exposure::exposure_section;
use super::findings::is_worse;
use super::model::{cell, fact, HtmlTable, PageSection, SectionPart};
use crate::format::{fmt_estimate, fmt_p, fmt_ratio, fmt_short};
use crate::metrics::Better;
use crate::report::charts::{file_stem, suppressed_groups, Section as ChartSection};
use crate::report::{metric_info, shown_as_percent};
use crate::result::MetricResult;
use crate::stats::Estimate;

/// The metrics of the "over time" section; the other bubble metrics are about narrowing.
const DRIFT: [&str; 4] = [
    "diversity_slope",
    "list_overlap",
    "diversity_falling",
    "list_frozen",
];

/// The metrics for which `pred` holds, in name order.
fn metrics_where<'a>(
    cx: &PageContext<'a>,
    pred: impl Fn(&str, &MetricResult) -> bool,
) -> Vec<(&'a str, &'a MetricResult)> {
    cx.result
        .metrics
        .iter()
        .filter(|(n, m)| pred(n, m))
        .map(|(n, m)| (n.as_str(), m))
        .collect()
}

/// The sections of metrics, in page order, with the exposure, over-time and segregation sections
/// between them; metrics of no known family go last.
pub(super) fn sections(cx: &PageContext<'_>) -> Vec<PageSection> {
    let mut out = Vec::new();
    let mut covered: Vec<&str> = Vec::new();

    let quality = metrics_where(cx, |_, m| m.family == "quality");
    covered.extend(quality.iter().map(|(n, _)| *n));
    if !quality.is_empty() {
        out.push(metric_section(
            cx,
            "quality",
            "Recommendation quality",
            "Quality against the held-out truth: how often and how high each group's lists place the items its users later engaged with. A group with lower values gets worse recommendations.",
            &quality,
            Some(ChartSection::Quality),
        ));
    }

    if let Some(s) = exposure_section(cx) {
        out.push(s);
    }

    let exposure = metrics_where(cx, |_, m| m.family == "exposure");
    covered.extend(exposure.iter().map(|(n, _)| *n));
    if !exposure.is_empty() {
        out.push(metric_section(
            cx,
            "exposure_lists",
            "Exposure fairness within lists",
            "Per-list measures of how attention is shared among item groups or items, averaged over each user group.",
            &exposure,
            None, // the exposure charts are in the exposure section
        ));
    }

    let pop = metrics_where(cx, |_, m| m.family == "popularity");
    covered.extend(pop.iter().map(|(n, _)| *n));
    if !pop.is_empty() {
        out.push(metric_section(
            cx,
            "popularity",
            "Popularity bias",
            "Whether some groups are mostly shown popular items while niche items reach others. Popularity is the number of users of the history who interacted with an item.",
            &pop,
            Some(ChartSection::Popularity),
        ));
    }

    let div = metrics_where(cx, |_, m| {
        m.family == "diversity" || m.family == "calibration"
    });
    covered.extend(div.iter().map(|(n, _)| *n));
    if !div.is_empty() {
        out.push(metric_section(
            cx,
            "diversity",
            "Diversity, novelty and calibration",
            "How varied each group's lists are, how unfamiliar the items are, and how well the lists reflect each user's own mix of interests.",
            &div,
            None, // the quality charts do not repeat here
        ));
    }

    let bubble = metrics_where(cx, |n, m| m.family == "bubble" && !DRIFT.contains(&n));
    covered.extend(bubble.iter().map(|(n, _)| *n));
    if !bubble.is_empty() {
        out.push(metric_section(
            cx,
            "bubble",
            "Filter bubbles: narrowing",
            "Whether lists confine users to fewer kinds of items than they chose themselves. Each user's list is compared with their own history.",
            &bubble,
            Some(ChartSection::Bubble),
        ));
    }

    let drift = metrics_where(cx, |n, _| DRIFT.contains(&n));
    covered.extend(drift.iter().map(|(n, _)| *n));
    if !drift.is_empty() || cx.result.over_time.is_some() {
        let mut s = metric_section(
            cx,
            "over_time",
            "Filter bubbles over time",
            "How lists change across snapshots: whether they become narrower, freeze, or become alike across users.",
            &drift,
            Some(ChartSection::OverTime),
        );
        if let Some(t) = over_time_table(cx) {
            s.tables.push(t);
        }
        out.push(s);
    }

    if let Some(s) = segregation_section(cx) {
        out.push(s);
    }

    let other = metrics_where(cx, |n, _| !covered.contains(&n));
    if !other.is_empty() {
        out.push(metric_section(
            cx,
            "other",
            "Other metrics",
            "",
            &other,
            None,
        ));
    }
    out
}

/// Which direction is better, as the overall table says it.
fn better_word(b: Better) -> &'static str {
    match b {
        Better::Higher => "higher",
        Better::Lower => "lower",
        Better::Neutral => "neither",
    }
}

/// The section `id` of `metrics`, with the charts of `chart_section` (`None`: no chart).
fn metric_section(
    cx: &PageContext<'_>,
    id: &'static str,
    title: &str,
    intro: &str,
    metrics: &[(&str, &MetricResult)],
    chart_section: Option<ChartSection>,
) -> PageSection {
    let meanings = metrics
        .iter()
        .filter_map(|(n, _)| metric_info(n).map(|d| fact(cx.label(n), d.meaning)))
        .collect();
    let overall = HtmlTable {
        caption: "All audited users".into(),
        head: [
            "Metric",
            &format!("Mean [{} interval]", cx.level),
            "Users (n)",
            "Undefined, left out",
            "Better",
        ]
        .map(String::from)
        .to_vec(),
        rows: metrics
            .iter()
            .map(|(n, m)| {
                vec![
                    cell(cx.label(n)),
                    cell(fmt_estimate(&m.overall, shown_as_percent(n))),
                    cell(m.overall.n.to_string()),
                    cell(m.n_undefined.to_string()),
                    cell(better_word(m.better)),
                ]
            })
            .collect(),
        note: String::new(),
    };
    let columns: Vec<&String> = cx.result.slices.keys().collect();
    let parts = columns
        .iter()
        .map(|col| SectionPart {
            id: format!("{id}-{}", file_stem(col)),
            title: format!("By {}", crate::slices::display_key(col)),
            charts: chart_section.map_or_else(Vec::new, |c| cx.charts_of(c, Some(col))),
            // The table lists the suppressed groups with their reason.
            tables: vec![slice_table(cx, col, metrics)],
            suppressed: Vec::new(),
        })
        .collect();
    PageSection {
        id,
        title: title.into(),
        intro: intro.into(),
        meanings,
        charts: chart_section.map_or_else(Vec::new, |c| cx.charts_of(c, None)),
        tables: vec![overall],
        parts,
    }
}

/// Groups × metrics: mean [interval], n, and the ratio to the reference with its interval and
/// adjusted p-value; significant gaps are marked by direction.
fn slice_table(cx: &PageContext<'_>, col: &str, metrics: &[(&str, &MetricResult)]) -> HtmlTable {
    let summary = &cx.result.slices[col];
    let mut head = vec!["Group".to_string(), "Users".to_string()];
    head.extend(metrics.iter().map(|(n, _)| cx.label(n)));
    let mut rows = Vec::new();
    for (g, gs) in &summary.groups {
        let is_ref = summary.chosen_reference.as_deref() == Some(g.as_str());
        let mut name = cell(crate::slices::display_key(g));
        if is_ref {
            name.sub.push("reference".into());
            name.class = "ref";
        }
        let mut row = vec![name, cell(gs.n_users.to_string())];
        for (n, m) in metrics {
            let percent = shown_as_percent(n);
            let sm = m.slices.get(col);
            let est: Option<&Estimate> = sm.and_then(|s| s.groups.get(g));
            let cmp = sm
                .and_then(|s| s.disparity.as_ref())
                .and_then(|d| d.groups.get(g));
            let mut c = cell(est.map_or("–".into(), |e| fmt_estimate(e, percent)));
            if let Some(e) = est {
                c.sub.push(format!("n = {}", e.n));
            }
            let metric_ref = sm
                .and_then(|s| s.disparity.as_ref())
                .is_some_and(|d| &d.reference == g);
            if let (Some(cmp), false) = (cmp, metric_ref) {
                if let Some(r) = cmp.ratio.value {
                    let ci = match (cmp.ratio.ci_low, cmp.ratio.ci_high) {
                        (Some(lo), Some(hi)) => {
                            format!(" [{}, {}]", fmt_ratio(lo), fmt_ratio(hi))
                        }
                        _ => String::new(),
                    };
                    c.sub.push(format!("×{}{ci} of reference", fmt_ratio(r)));
                }
                let mut verdict = match cmp.p_adjusted {
                    Some(p) => format!("adj. p {}", fmt_p(p)),
                    None => String::new(),
                };
                if cmp.significant {
                    let diff = cmp.difference.value.unwrap_or(0.0);
                    let worse = is_worse(m.better, diff);
                    c.class = match m.better {
                        Better::Neutral => "sig",
                        _ if worse => "worse",
                        _ => "better",
                    };
                    verdict.push_str(" · significant");
                }
                if cmp.four_fifths == Some(true) {
                    verdict.push_str(" · below four-fifths");
                }
                if !verdict.is_empty() {
                    c.sub.push(verdict.trim_start_matches(" · ").to_string());
                }
            }
            row.push(c);
        }
        rows.push(row);
    }
    let hidden = suppressed_groups(summary);
    if hidden > 0 {
        let mut c = cell(format!(
            "not published: fewer than {} users, or withheld so that a smaller group cannot be recovered",
            cx.min_size
        ));
        c.colspan = metrics.len() + 1;
        c.class = "muted";
        let mut name = cell(format!(
            "{hidden} {}",
            if hidden == 1 { "group" } else { "groups" }
        ));
        name.class = "muted";
        rows.push(vec![name, c]);
    }
    HtmlTable {
        caption: String::new(),
        head,
        rows,
        note: format!(
            "Mean per user with {} bootstrap interval; × = ratio to the reference group. Significant: adjusted p < {} and an interval excluding no difference. Shaded cells: significantly worse (orange) or better (blue) than the reference.",
            cx.level,
            fmt_short(cx.result.settings.stats.alpha)
        ),
    }
}
