//! Cluster charts: how each slice group's users spread over the clusters of similar lists (100%
//! stacked bars).

use super::context::{chart, BuildContext};
use super::omitted::{cap_rows, hidden_note, join_notes, suppressed_note, MAX_ROWS};
use crate::format::fmt_pct;
use plotters::style::RGBColor;

use crate::metrics::segregation::{Segregation, SliceSegregation};
use crate::report::charts::labels::{column_label, file_stem, truncate_label};
use crate::report::charts::layout::{NARROW, ROW, X_AXIS};
use crate::report::charts::model::{Chart, LegendItem, Plot, Section, StackPlot, StackRow, Swatch};
use crate::report::charts::palette::{OTHER_SERIES, SERIES};

/// Rows of the cluster-by-group view of one slice column: the published groups with cluster
/// shares (clusters past the series colours merged, see [`merge_series`]), sorted by their share
/// in the largest cluster (cluster 0), highest first; and how many groups are not published
/// there.
pub fn stack_rows(seg: &SliceSegregation) -> (Vec<StackRow>, usize) {
    let mut rows: Vec<StackRow> = seg
        .groups
        .iter()
        .filter(|g| !g.cluster_shares.is_empty())
        .map(|g| StackRow {
            label: g.group.clone(),
            n: g.n_users,
            shares: merge_series(&g.cluster_shares),
        })
        .collect();
    rows.sort_by(|a, b| {
        let s = |r: &StackRow| r.shares.first().copied().unwrap_or(0.0);
        s(b).total_cmp(&s(a)).then_with(|| a.label.cmp(&b.label))
    });
    (rows, seg.groups_not_shown)
}

/// Shares of `n` series drawn in distinct colours: as they are when [`SERIES`] has a colour for
/// each, else the first `SERIES.len() − 1` and the sum of the rest (drawn in [`OTHER_SERIES`]).
pub fn merge_series(shares: &[f64]) -> Vec<f64> {
    if shares.len() <= SERIES.len() {
        return shares.to_vec();
    }
    let keep = SERIES.len() - 1;
    let rest: f64 = shares[keep..].iter().filter(|v| v.is_finite()).sum();
    shares[..keep].iter().copied().chain([rest]).collect()
}

/// The colour of each of `n` merged series ([`merge_series`]): distinct.
pub fn series_colors(n: usize) -> Vec<RGBColor> {
    if n <= SERIES.len() {
        SERIES[..n].to_vec()
    } else {
        let keep = SERIES.len() - 1;
        SERIES[..keep]
            .iter()
            .copied()
            .chain([OTHER_SERIES])
            .collect()
    }
}

/// The legend of the clusters of `seg`: each cluster's share and top categories, the clusters
/// past the series colours in one entry.
fn cluster_legend(seg: &Segregation) -> Vec<LegendItem> {
    let n = seg.clusters.len();
    let colors = series_colors(n);
    let mut legend: Vec<LegendItem> = seg
        .clusters
        .iter()
        .zip(&colors)
        .map(|(c, &color)| LegendItem {
            color,
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
    if n > SERIES.len() {
        let keep = SERIES.len() - 1;
        legend.truncate(keep);
        let rest: f64 = seg.clusters[keep..].iter().map(|c| c.share).sum();
        legend.push(LegendItem {
            color: OTHER_SERIES,
            swatch: Swatch::Box,
            label: format!("clusters {} to {n} ({})", keep + 1, fmt_pct(rest)),
        });
    }
    legend
}

/// The main reading of a cluster chart: how much of each group the largest cluster holds.
fn cluster_reading(rows: &[StackRow], nmi: &str) -> String {
    let first = |r: &StackRow| r.shares.first().copied().unwrap_or(0.0);
    match (rows.first(), rows.last()) {
        (Some(hi), Some(lo)) => format!(
            "the largest cluster holds from {} ({}) to {} ({}) of a group's users; NMI {nmi} (0: groups spread alike, 1: each group in its own clusters).",
            fmt_pct(first(lo)),
            truncate_label(&lo.label, 24),
            fmt_pct(first(hi)),
            truncate_label(&hi.label, 24),
        ),
        _ => format!("NMI {nmi}."),
    }
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
            let nmi = s.nmi.map_or("undefined".to_string(), |x| format!("{x:.3}"));
            let title = format!("List clusters by {} (NMI {nmi})", column_label(&s.column));
            let description = format!(
                "{title}: share of each group's users in each of {} clusters of similar lists; {}",
                seg.clusters.len(),
                cluster_reading(&rows, &nmi)
            );
            let colors = series_colors(seg.clusters.len());
            out.push(chart(
                format!("segregation_{}", file_stem(&s.column)),
                Section::Segregation,
                Some(s.column.clone()),
                title,
                "Share of each group's users in each cluster of similar lists.".into(),
                description,
                cluster_legend(seg),
                join_notes(
                    suppressed_note(suppressed, min_size),
                    hidden_note(hidden, "groups"),
                ),
                NARROW,
                8 + rows.len() as u32 * ROW + X_AXIS,
                Plot::Stacked(StackPlot { rows, colors }),
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

    #[test]
    fn clusters_past_the_palette_are_merged_so_no_colour_repeats() {
        let shares: Vec<f64> = (0..14).map(|i| if i < 10 { 0.09 } else { 0.025 }).collect();
        let merged = merge_series(&shares);
        assert_eq!(merged.len(), SERIES.len());
        // The first nine as they are, the other five summed: 0.09 + 4 × 0.025.
        assert_eq!(merged[..9], shares[..9]);
        assert!((merged[9] - 0.19).abs() < 1e-12);
        for n in [1, 8, 10, 11, 100] {
            let colors = series_colors(n);
            assert_eq!(colors.len(), n.min(SERIES.len()));
            for (i, a) in colors.iter().enumerate() {
                assert!(!colors[i + 1..].contains(a), "{n} series: {a:?} repeats");
            }
        }
        assert_eq!(merge_series(&[0.5, 0.5]), [0.5, 0.5]);
    }
}
