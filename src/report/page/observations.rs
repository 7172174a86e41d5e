//! The summary's observations beside the gaps between groups: exposure of item groups, popularity,
//! narrowing, drift over snapshots and segregation, one sentence each.

use super::context::PageContext;
use super::model::Finding;
use crate::format::{fmt_num, fmt_pct, fmt_ratio, fmt_short};
use crate::report::charts::verdict_word;

/// Exposure, popularity, narrowing, drift and segregation in one sentence each: what the areas
/// of the verdict card rest on, beyond the gaps between groups.
pub(super) fn other_findings(cx: &PageContext<'_>) -> Vec<Finding> {
    let r = cx.result;
    let mut out = Vec::new();

    for (key, shares) in &r.corpus.overall.shares {
        let Some(col) = key.strip_prefix("disparate_exposure_ratio_catalog_") else {
            continue;
        };
        let defined: Vec<(&String, f64)> = shares
            .iter()
            .filter_map(|(g, v)| v.filter(|v| v.is_finite()).map(|v| (g, v)))
            .collect();
        let lowest = defined.iter().min_by(|a, b| a.1.total_cmp(&b.1));
        let highest = defined.iter().max_by(|a, b| a.1.total_cmp(&b.1));
        if let (Some(lo), Some(hi)) = (lowest, highest) {
            out.push(Finding {
                text: format!(
                    "Exposure by {col}: {} {} gets {} times its catalog share of exposure (the least), {} {} gets {} times (the most).",
                    col, lo.0, fmt_ratio(lo.1), col, hi.0, fmt_ratio(hi.1)
                ),
                tone: if lo.1 < r.settings.stats.four_fifths { "warn" } else { "info" },
            });
        }
    }

    if let Some(Some(dg)) = r.corpus.overall.scalars.get("delta_gap") {
        let word = if *dg >= 0.0 { "more" } else { "less" };
        out.push(Finding {
            text: format!(
                "Popularity: recommended items are {} {word} popular than the items in users' own histories (ΔGAP = {}).",
                fmt_pct(dg.abs()),
                fmt_num(*dg)
            ),
            tone: if *dg > 0.0 { "warn" } else { "info" },
        });
    }

    if let Some(v) = r.metrics.get("narrowed").and_then(|m| m.overall.value) {
        let b = &r.settings.bubble;
        out.push(Finding {
            text: format!(
                "Narrowing: {} of users with at least {} history items get lists less than {} times as diverse as their history.",
                fmt_pct(v),
                b.min_history,
                fmt_short(b.narrowing_threshold)
            ),
            tone: if v >= 0.25 { "warn" } else { "info" },
        });
    }

    if let Some(ot) = &r.over_time {
        let t = &ot.overall_trend;
        let mut text = format!(
            "Over {} snapshots, list diversity is {} for all users",
            ot.snapshots.len(),
            verdict_word(&t.verdict)
        );
        if let Some(s) = t.mean_slope {
            text.push_str(&format!(" (mean slope {} bits per snapshot", fmt_num(s)));
            if let Some(f) = t.share_falling {
                text.push_str(&format!(", {} of users falling", fmt_pct(f)));
            }
            text.push(')');
        }
        text.push('.');
        let narrowing: Vec<String> = ot
            .slices
            .iter()
            .flat_map(|(col, groups)| {
                groups
                    .iter()
                    .filter(|(_, tr)| verdict_word(&tr.verdict) == "narrowing")
                    .map(move |(g, _)| format!("{col} = {g}"))
            })
            .collect();
        if !narrowing.is_empty() {
            text.push_str(&format!(" Narrowing groups: {}.", narrowing.join(", ")));
        }
        if t.homogenising {
            text.push_str(" Lists are becoming more alike across users (personalisation falls).");
        }
        out.push(Finding {
            text,
            tone: if verdict_word(&t.verdict) == "narrowing" || !narrowing.is_empty() {
                "warn"
            } else {
                "info"
            },
        });
    }

    if let Some(seg) = &r.segregation {
        let best = seg
            .slices
            .iter()
            .filter_map(|s| s.nmi.map(|n| (s, n)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((s, nmi)) = best {
            out.push(Finding {
                text: format!(
                    "Segregation: users were grouped into {} clusters of similar lists; the slice column most tied to the clusters is {} (NMI {}; 0 = every group spread over the clusters alike, 1 = each group in its own cluster).",
                    seg.n_clusters,
                    s.column,
                    fmt_num(nmi),
                ),
                tone: "info",
            });
        }
    }
    out
}
