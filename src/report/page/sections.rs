//! The sections of metrics: which metric family goes into which section, in page order, and the
//! section of one family (the overall table, one part per slice column with its charts and its
//! groups × metrics table).

use super::bubbles::{over_time_table, segregation_section};
use super::change::change_section;
use super::context::PageContext;
use super::exposure::exposure_section;
use super::model::{cell, fact, Cell, HtmlTable, PageSection, SectionPart};
use super::subgroups::subgroup_section;
use crate::format::{fmt_estimate, fmt_p, fmt_ratio, fmt_short};
use crate::metrics::Better;
use crate::report::charts::{file_stem, suppressed_groups, Section as ChartSection};
use crate::report::findings::gaps::is_worse;
use crate::report::{metric_info, shown_as_percent};
use crate::result::MetricResult;
use crate::stats::Estimate;
use crate::stats::GroupComparison;

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
            let narrowing = t
                .rows
                .iter()
                .filter(|row| row.last().is_some_and(|c| c.class == "worse"))
                .count();
            if narrowing > 0 {
                s.open = true;
                s.status = format!("{narrowing} narrowing over time; {}", s.status);
            }
            s.tables.push(t);
        }
        out.push(s);
    }

    if let Some(s) = segregation_section(cx) {
        out.push(s);
    }

    let change = metrics_where(cx, |_, m| m.family == "change");
    covered.extend(change.iter().map(|(n, _)| *n));
    if let Some(s) = change_section(cx, &change) {
        out.push(s);
    }

    if let Some(s) = subgroup_section(cx) {
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
pub(super) fn metric_section(
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
        caption: format!("{title}: all audited users"),
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
        note: if cx.result.slices.is_empty() {
            String::new()
        } else {
            slice_legend(cx, metrics.iter().map(|(_, m)| m.better))
        },
    };
    let columns: Vec<&String> = cx.result.slices.keys().collect();
    let parts: Vec<SectionPart> = columns
        .iter()
        .map(|col| SectionPart {
            id: format!("{id}-{}", file_stem(col)),
            title: format!("By {}", crate::slices::display_key(col)),
            status: gap_count(significant_gaps(metrics, Some(col))),
            charts: chart_section.map_or_else(Vec::new, |c| cx.charts_of(c, Some(col))),
            // The table lists the suppressed groups with their reason.
            tables: std::iter::once(slice_table(cx, col, metrics))
                .chain(super::distribution::distribution_table(cx, col, metrics))
                .collect(),
            suppressed: Vec::new(),
        })
        .collect();
    let n_gaps = significant_gaps(metrics, None);
    PageSection {
        id,
        open: n_gaps > 0 || parts.is_empty(),
        status: gap_count(n_gaps),
        title: title.into(),
        intro: intro.into(),
        meanings,
        charts: chart_section.map_or_else(Vec::new, |c| cx.charts_of(c, None)),
        tables: vec![overall],
        parts,
    }
}

/// Significant comparisons of `metrics` in slice column `col` (`None`: in every column).
fn significant_gaps(metrics: &[(&str, &MetricResult)], col: Option<&str>) -> usize {
    metrics
        .iter()
        .flat_map(|(_, m)| m.slices.iter())
        .filter(|(c, _)| col.is_none_or(|col| c.as_str() == col))
        .filter_map(|(_, sm)| sm.disparity.as_ref())
        .map(|d| d.groups.values().filter(|c| c.significant).count())
        .sum()
}

/// `nothing significant`, `1 significant gap`, `3 significant gaps`: a section's summary line.
pub(super) fn gap_count(n: usize) -> String {
    match n {
        0 => "nothing significant".into(),
        1 => "1 significant gap".into(),
        n => format!("{n} significant gaps"),
    }
}

/// Groups × metrics: mean [interval], and against the group its disparity compares with (the
/// reference that disparity names, per metric): the verdict as symbol and word, the ratio with its
/// interval and the adjusted p-value.
fn slice_table(cx: &PageContext<'_>, col: &str, metrics: &[(&str, &MetricResult)]) -> HtmlTable {
    let summary = &cx.result.slices[col];
    let mut head = vec!["Group".to_string(), "Users".to_string()];
    head.extend(metrics.iter().map(|(n, _)| cx.label(n)));
    let mut rows = Vec::new();
    for (g, gs) in &summary.groups {
        let mut row = vec![
            cell(crate::slices::display_key(g)),
            cell(gs.n_users.to_string()),
        ];
        for (n, m) in metrics {
            let sm = m.slices.get(col);
            let est: Option<&Estimate> = sm.and_then(|s| s.groups.get(g));
            let mut c = cell(est.map_or("–".into(), |e| fmt_estimate(e, shown_as_percent(n))));
            if let Some(d) = sm.and_then(|s| s.disparity.as_ref()) {
                if d.reference == *g {
                    c.sub.push("ref.".into());
                    c.class = "ref";
                } else if let Some(cmp) = d.groups.get(g) {
                    compared_cell(&mut c, cmp, m.better);
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
        caption: format!(
            "By {}: mean per user with {} interval",
            crate::slices::display_key(col),
            cx.level
        ),
        head,
        rows,
        note: String::new(),
    }
}

/// The legend of the groups × metrics tables, stated once per section: the marks its metrics'
/// directions can show (▼/▲ for a metric with a better direction, ● for one without).
fn slice_legend(cx: &PageContext<'_>, directions: impl Iterator<Item = Better>) -> String {
    let (mut directed, mut neutral) = (false, false);
    for b in directions {
        if b == Better::Neutral {
            neutral = true;
        } else {
            directed = true;
        }
    }
    let mut marks = Vec::new();
    if directed {
        marks.push("▼ worse, ▲ better");
    }
    if neutral {
        marks.push("● differs (a metric with no better direction)");
    }
    marks.push("○ no significant difference");
    format!(
        "By column (click to open): each group's mean with its {} interval, compared with the group marked ref. in its column (the reference of that metric): {} (Benjamini–Hochberg adjusted p < {} and an interval that excludes no difference); × is the ratio to the reference with its interval. Users with an undefined value are left out of a mean.",
        cx.level,
        marks.join(", "),
        fmt_short(cx.result.settings.stats.alpha)
    )
}

/// Marks cell `c` of a group compared with its reference: class and symbol by significance and
/// direction, then the ratio and the adjusted p-value.
fn compared_cell(c: &mut Cell, cmp: &GroupComparison, better: Better) {
    let (class, mark) = if !cmp.significant {
        ("ns", "○ n.s.")
    } else if better == Better::Neutral {
        ("sig", "● differs")
    } else if is_worse(better, cmp.difference.value.unwrap_or(0.0)) {
        ("worse", "▼ worse")
    } else {
        ("better", "▲ better")
    };
    c.class = class;
    let mut line = mark.to_string();
    if let Some(r) = cmp.ratio.value {
        line.push_str(&format!(" · ×{}", fmt_ratio(r)));
        if let (Some(lo), Some(hi)) = (cmp.ratio.ci_low, cmp.ratio.ci_high) {
            line.push_str(&format!(" [{}, {}]", fmt_ratio(lo), fmt_ratio(hi)));
        }
    }
    if let Some(p) = cmp.p_adjusted {
        let p = fmt_p(p);
        line.push_str(&if p.starts_with('<') {
            format!(" · p {p}")
        } else {
            format!(" · p = {p}")
        });
    }
    if cmp.four_fifths == Some(true) {
        line.push_str(" · below four-fifths");
    }
    c.sub.push(line);
}
