//! Cluster charts: how each slice group's users spread over the clusters of similar lists (100%
//! stacked bars).

use super::context::{chart, BuildContext};
use super::omitted::{cap_rows, hidden_note, join_notes, suppressed_note, MAX_ROWS};
use crate::format::fmt_pct;
use crate::metrics::segregation::SliceSegregation;
use crate::report::charts::labels::{column_label, file_stem, truncate_label};
use crate::report::charts::layout::{NARROW, ROW, X_AXIS};
use crate::report::charts::model::{Chart, LegendItem, Plot, Section, StackPlot, StackRow, Swatch};
use crate::report::charts::palette::SERIES;

/// Rows of the cluster-by-group view of one slice column: the published groups with cluster
/// shares, sorted by their share in the largest cluster (cluster 0), highest first; and how many
/// groups are not published there.
pub fn stack_rows(seg: &SliceSegregation) -> (Vec<StackRow>, usize) {
    let mut rows: Vec<StackRow> = seg
        .groups
        .iter()
        .filter(|g| !g.cluster_shares.is_empty())
        .map(|g| StackRow {
            label: g.group.clone(),
            n: g.n_users,
            shares: g.cluster_shares.clone(),
        })
        .collect();
    rows.sort_by(|a, b| {
        let s = |r: &StackRow| r.shares.first().copied().unwrap_or(0.0);
        s(b).total_cmp(&s(a)).then_with(|| a.label.cmp(&b.label))
    });
    (rows, seg.groups_not_shown)
}

/// One cluster chart per slice column of the segregation analysis with a published group.
pub(super) fn segregation_charts(cx: &BuildContext<'_>, out: &mut Vec<Chart>) {
    let min_size = cx.min_size;
    if let Some(seg) = &cx.result.segregation {
        for s in &seg.slices {
            let (mut rows, suppressed) = stack_rows(s);
            if rows.is_empty() {
                continue;
            }
            let hidden = cap_rows(&mut rows, MAX_ROWS);
            let legend = seg
                .clusters
                .iter()
                .map(|c| LegendItem {
                    color: SERIES[c.cluster % SERIES.len()],
                    swatch: Swatch::Box,
                    label: truncate_label(
                        &format!(
                            "cluster {} ({}): {}",
                            c.cluster + 1,
                            fmt_pct(c.share),
                            c.top_categories
                                .iter()
                                .map(|t| t.category.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        48,
                    ),
                })
                .collect();
            let nmi = s.nmi.map_or("undefined".to_string(), |x| format!("{x:.3}"));
            out.push(chart(
                format!("segregation_{}", file_stem(&s.column)),
                Section::Segregation,
                Some(s.column.clone()),
                format!("List clusters by {} (NMI {nmi})", column_label(&s.column)),
                "Share of each group's users in each cluster of similar lists.".into(),
                legend,
                join_notes(
                    suppressed_note(suppressed, min_size),
                    hidden_note(hidden, "groups"),
                ),
                NARROW,
                8 + rows.len() as u32 * ROW + X_AXIS,
                Plot::Stacked(StackPlot { rows }),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::segregation::GroupClusters;

    #[test]
    fn stack_rows_sort_by_first_cluster_and_count_the_groups_not_shown() {
        let g = |name: &str, n: usize, shares: Vec<f64>| GroupClusters {
            group: name.into(),
            n_users: n,
            cluster_shares: shares,
        };
        let seg = SliceSegregation {
            column: "age".into(),
            n_users: 100,
            nmi: Some(0.2),
            groups: vec![g("young", 40, vec![0.3, 0.7]), g("old", 50, vec![0.9, 0.1])],
            groups_not_shown: 1,
        };
        let (rows, hidden) = stack_rows(&seg);
        assert_eq!(
            rows.iter().map(|r| r.label.as_str()).collect::<Vec<_>>(),
            ["old", "young"]
        );
        assert_eq!(hidden, 1);
    }
}
