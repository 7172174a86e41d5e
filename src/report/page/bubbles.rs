//! The filter-bubble tables and sections: the trend table of the over-time section, and the
//! segregation section (clusters of similar lists and how each slice column ties to them).

use super::context::PageContext;
use super::model::{cell, fact, HtmlTable, PageSection, SectionPart};
use crate::format::{fmt_num, fmt_pct, fmt_short};
use crate::report::charts::{file_stem, verdict_word, Section as ChartSection};
use crate::report::findings::areas::NMI_WATCH;

/// The trend over snapshots, for all users and each slice group; `None` without snapshots.
pub(super) fn over_time_table(cx: &PageContext<'_>) -> Option<HtmlTable> {
    let ot = cx.result.over_time.as_ref()?;
    let row = |who: String, t: &crate::metrics::bubble::SliceTrend| {
        let mut verdict = cell(verdict_word(&t.verdict));
        if verdict_word(&t.verdict) == "narrowing" {
            verdict.class = "worse";
            verdict.text = format!("▼ {}", verdict.text);
        }
        vec![
            cell(who),
            cell(t.n_users.to_string()),
            cell(t.mean_slope.map_or("–".into(), fmt_num)),
            cell(t.share_falling.map_or("–".into(), fmt_pct)),
            cell(t.share_frozen.map_or("–".into(), fmt_pct)),
            cell(t.personalisation_slope.map_or("–".into(), fmt_num)),
            verdict,
        ]
    };
    let mut rows = vec![row("all users".into(), &ot.overall_trend)];
    for (col, groups) in &ot.slices {
        for (g, t) in groups {
            rows.push(row(format!("{col} = {g}"), t));
        }
    }
    let b = &cx.result.settings.bubble;
    Some(HtmlTable {
        caption: format!("Trend over {} snapshots ({})", ot.snapshots.len(), ot.snapshots.join(", ")),
        head: [
            "Users",
            "With ≥ 2 lists",
            "Mean entropy slope (bits/snapshot)",
            "Share falling",
            "Share frozen",
            "Personalisation slope",
            "Verdict",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        note: format!(
            "Narrowing: mean slope below −{} and at least {} of users falling. Frozen: successive lists overlap at least {}.",
            fmt_short(b.slope_threshold),
            fmt_pct(b.verdict_min_share),
            fmt_pct(b.overlap_threshold)
        ),
    })
}

/// The segregation section, `None` without the segregation analysis.
pub(super) fn segregation_section(cx: &PageContext<'_>) -> Option<PageSection> {
    let seg = cx.result.segregation.as_ref()?;
    let clusters = HtmlTable {
        caption: format!(
            "{} clusters of similar lists ({}; silhouette {})",
            seg.n_clusters,
            match seg.k_rule {
                crate::metrics::segregation::KRule::Given => "k given".to_string(),
                crate::metrics::segregation::KRule::Silhouette =>
                    "k chosen by silhouette".to_string(),
            },
            seg.silhouette.map_or("–".into(), fmt_num)
        ),
        head: [
            "Cluster",
            "Users",
            "Share",
            "Top categories (mean share in the lists)",
        ]
        .map(String::from)
        .to_vec(),
        rows: seg
            .clusters
            .iter()
            .map(|c| {
                vec![
                    cell(format!("cluster {}", c.cluster + 1)),
                    cell(c.n_users.to_string()),
                    cell(fmt_pct(c.share)),
                    cell(
                        c.top_categories
                            .iter()
                            .map(|t| format!("{} ({})", t.category, fmt_pct(t.share)))
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                ]
            })
            .collect(),
        note: format!(
            "{} users clustered, {} without a categorised item left out.",
            seg.n_users, seg.n_users_unclustered
        ),
    };
    let nmi = HtmlTable {
        caption: "Association of each slice column with the clusters (NMI)".into(),
        head: ["Slice column", "Users", "NMI"].map(String::from).to_vec(),
        rows: seg
            .slices
            .iter()
            .map(|s| {
                vec![
                    cell(s.column.clone()),
                    cell(s.n_users.to_string()),
                    cell(s.nmi.map_or("–".into(), fmt_num)),
                ]
            })
            .collect(),
        note: format!("An NMI of at least {} is marked as worth watching on the verdict card (a rule of thumb; the NMI has no interval).", fmt_short(NMI_WATCH)),
    };
    let parts = seg
        .slices
        .iter()
        .filter_map(|s| {
            let charts = cx.charts_of(ChartSection::Segregation, Some(&s.column));
            let suppressed: Vec<String> = (s.groups_not_shown > 0)
                .then(|| {
                    format!(
                        "{} {} not shown: fewer than {} users, or withheld so that a smaller group cannot be recovered",
                        s.groups_not_shown,
                        if s.groups_not_shown == 1 { "group" } else { "groups" },
                        cx.min_size
                    )
                })
                .into_iter()
                .collect();
            (!charts.is_empty() || !suppressed.is_empty()).then(|| SectionPart {
                id: format!("segregation-{}", file_stem(&s.column)),
                title: format!("By {}", crate::slices::display_key(&s.column)),
                status: s.nmi.map_or("no NMI".into(), |n| format!("NMI {}", fmt_num(n))),
                charts,
                tables: Vec::new(),
                suppressed,
            })
        })
        .collect();
    let max_nmi = seg.slices.iter().filter_map(|s| s.nmi).fold(0.0, f64::max);
    Some(PageSection {
        id: "segregation",
        open: max_nmi >= NMI_WATCH,
        status: if max_nmi >= NMI_WATCH {
            format!("a slice column is tied to the clusters (NMI {})", fmt_num(max_nmi))
        } else {
            format!("no slice column tied to the clusters (highest NMI {})", fmt_num(max_nmi))
        },
        title: "Segregation: do groups live in separate bubbles?".into(),
        intro: "Users are clustered by the category mix of their lists (seeded k-means). If a slice column's groups fall into different clusters, those groups are shown different kinds of content.".into(),
        meanings: vec![fact(
            "NMI",
            "Normalised mutual information between a user's group and their list cluster: 0 means every group is spread over the clusters in the same way, 1 means each group has a cluster of its own.",
        )],
        charts: Vec::new(),
        tables: vec![clusters, nmi],
        parts,
    })
}
