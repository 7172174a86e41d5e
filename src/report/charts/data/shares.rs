//! Exposure charts: each item group's share of all exposure against its share of the catalog
//! and, with a history, of the users' interactions.

use super::axis::{axis_range, whisker};
use super::context::{chart, BuildContext};
use super::describe::join_names;
use super::omitted::{cap_rows, hidden_note, MAX_ROWS};
use crate::format::fmt_ratio;
use crate::report::charts::labels::{column_label, file_stem, truncate_label};
use crate::report::charts::layout::{WIDE, X_AXIS};
use crate::report::charts::model::{Chart, LegendItem, Plot, Section, SharePlot, ShareRow, Swatch};
use crate::report::charts::palette::{CATALOG, EXPOSURE, MERIT};
use crate::result::CorpusResult;

/// The item-group columns with exposure shares (`exposure_share_<col>` in the corpus shares), in
/// key order.
pub fn exposure_columns(corpus: &CorpusResult) -> Vec<String> {
    corpus
        .overall
        .shares
        .keys()
        .filter_map(|k| k.strip_prefix("exposure_share_").map(str::to_string))
        .collect()
}

/// Exposure share vs target shares of item-group column `col`, from `corpus.overall.shares`
/// (`exposure_share_<col>`, `target_share_catalog_<col>`, `target_share_merit_<col>`) and the
/// bootstrap intervals; largest exposure share first (ties by label). Item groups whose exposure
/// share is undefined are left out.
pub fn share_rows(corpus: &CorpusResult, col: &str) -> Vec<ShareRow> {
    let shares = &corpus.overall.shares;
    let Some(exposure) = shares.get(&format!("exposure_share_{col}")) else {
        return Vec::new();
    };
    let catalog = shares.get(&format!("target_share_catalog_{col}"));
    let merit = shares.get(&format!("target_share_merit_{col}"));
    let intervals = corpus.exposure_share_intervals.get(col).map(|s| &s.overall);
    let mut rows: Vec<ShareRow> = exposure
        .iter()
        .filter_map(|(label, share)| {
            let share = share.filter(|v| v.is_finite())?;
            let pick = |m: Option<&std::collections::BTreeMap<String, Option<f64>>>| {
                m.and_then(|m| m.get(label).copied().flatten())
                    .filter(|v| v.is_finite())
            };
            Some(ShareRow {
                label: label.clone(),
                share,
                whisker: intervals.and_then(|i| i.get(label)).and_then(whisker),
                catalog: pick(catalog),
                merit: pick(merit),
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        b.share
            .total_cmp(&a.share)
            .then_with(|| a.label.cmp(&b.label))
    });
    rows
}

/// The main reading of an exposure chart: the item groups exposed most and least for their
/// catalog share.
fn share_reading(rows: &[ShareRow]) -> String {
    let mut by_ratio: Vec<(f64, &str)> = rows
        .iter()
        .filter_map(|r| {
            let c = r.catalog.filter(|c| *c > 0.0)?;
            Some((r.share / c, r.label.as_str()))
        })
        .collect();
    by_ratio.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    match (by_ratio.first(), by_ratio.last()) {
        (Some(hi), Some(lo)) if by_ratio.len() > 1 => format!(
            "most exposed for its catalog share: {} ({}× its catalog share), least: {} ({}×).",
            truncate_label(hi.1, 24),
            fmt_ratio(hi.0),
            truncate_label(lo.1, 24),
            fmt_ratio(lo.0)
        ),
        _ => format!(
            "item groups {}.",
            join_names(
                &rows
                    .iter()
                    .map(|r| truncate_label(&r.label, 24))
                    .collect::<Vec<_>>()
            )
        ),
    }
}

/// One exposure chart per item-group column with a defined exposure share.
pub(super) fn exposure_charts(cx: &BuildContext<'_>, out: &mut Vec<Chart>) {
    let result = cx.result;
    let lvl = &cx.level;
    let item_cols = exposure_columns(&result.corpus);
    for col in &item_cols {
        let mut rows = share_rows(&result.corpus, col);
        if rows.is_empty() {
            continue;
        }
        let hidden = cap_rows(&mut rows, MAX_ROWS);
        let has_merit = rows.iter().any(|r| r.merit.is_some());
        let n_bars = if has_merit { 3 } else { 2 };
        let range = axis_range(
            rows.iter().flat_map(|r| {
                let (l, h) = r.whisker.unwrap_or((r.share, r.share));
                [
                    r.share,
                    l,
                    h,
                    r.catalog.unwrap_or(0.0),
                    r.merit.unwrap_or(0.0),
                ]
            }),
            true,
        );
        let mut legend = vec![
            LegendItem {
                color: EXPOSURE,
                swatch: Swatch::Box,
                label: "exposure share".into(),
            },
            LegendItem {
                color: CATALOG,
                swatch: Swatch::Box,
                label: "catalog share (target)".into(),
            },
        ];
        if has_merit {
            legend.push(LegendItem {
                color: MERIT,
                swatch: Swatch::Box,
                label: "share of history interactions".into(),
            });
        }
        let body = 8 + rows.len() as u32 * (14 + 13 * n_bars) + X_AXIS;
        let title = format!("Exposure share vs catalog share by {}", column_label(col));
        let description = format!(
            "{title}: each item group's share of all exposure with its {lvl} interval, against its share of the catalog; {}",
            share_reading(&rows)
        );
        out.push(chart(
            format!("exposure_{}", file_stem(col)),
            Section::Exposure,
            Some(col.clone()),
            title,
            format!(
                "Position-weighted ({}) share of all exposure, {lvl} interval, largest first.",
                result.settings.position_weight.name()
            ),
            description,
            legend,
            hidden_note(hidden, "item groups"),
            WIDE,
            body,
            Plot::Shares(SharePlot {
                axis: format!("share of exposure (%), by {}", column_label(col)),
                rows,
                has_merit,
                range,
            }),
        ));
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn share_rows_pair_exposure_with_targets_largest_first() {
        let mut corpus = CorpusResult::default();
        let m = |v: &[(&str, Option<f64>)]| -> BTreeMap<String, Option<f64>> {
            v.iter().map(|(k, v)| (k.to_string(), *v)).collect()
        };
        corpus.overall.shares.insert(
            "exposure_share_provider".into(),
            m(&[("indie", Some(0.1)), ("major", Some(0.7)), ("none", None)]),
        );
        corpus.overall.shares.insert(
            "target_share_catalog_provider".into(),
            m(&[("indie", Some(0.4)), ("major", Some(0.5))]),
        );
        let rows = share_rows(&corpus, "provider");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].label, "major");
        assert_eq!(rows[0].catalog, Some(0.5));
        assert_eq!(rows[1].merit, None);
        assert_eq!(rows[1].whisker, None);
        assert!(share_rows(&corpus, "category").is_empty());
    }
}
