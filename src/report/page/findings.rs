//! The findings of the summary: the largest significant gaps between slice groups, chosen and
//! ranked, and the sentences on the four-fifths rule, exposure, popularity, narrowing, drift and
//! segregation.

use std::collections::BTreeMap;

use super::context::PageContext;
use super::model::Finding;
use crate::format::{fmt_num, fmt_p, fmt_pct, fmt_ratio, fmt_short, fmt_value, fmt_whole_pct};
use crate::metrics::Better;
use crate::report::charts::{key_metric, verdict_word};
use crate::report::shown_as_percent;

/// Whether a difference `diff` to the reference is for the worse, for a metric where `better`.
pub(super) fn is_worse(better: Better, diff: f64) -> bool {
    match better {
        Better::Higher => diff < 0.0,
        Better::Lower => diff > 0.0,
        Better::Neutral => false,
    }
}

/// A significant gap between a group and its reference, before ranking.
struct Gap {
    magnitude: f64,
    col: String,
    group: String,
    text: String,
    worse: bool,
}

/// "19% lower", "2.1× as high", or an absolute difference when no ratio applies.
fn describe_change(ratio: Option<f64>, diff: f64, percent: bool) -> String {
    match ratio {
        Some(r) if r.is_finite() && r > 0.0 => {
            if r < 1.0 {
                format!("{:.0}% lower", (1.0 - r) * 100.0)
            } else if r <= 2.0 {
                format!("{:.0}% higher", (r - 1.0) * 100.0)
            } else {
                format!("{:.1}× as high", r)
            }
        }
        _ => {
            let word = if diff < 0.0 { "lower" } else { "higher" };
            let d = if percent {
                format!("{:.1} percentage points", diff.abs() * 100.0)
            } else {
                fmt_num(diff.abs())
            };
            format!("{word} by {d}")
        }
    }
}

/// The largest significant gaps, at most two per group and six in all; and the count of all.
pub(super) fn gap_findings(cx: &PageContext<'_>) -> (Vec<Finding>, usize) {
    let mut gaps = Vec::new();
    for (name, m) in &cx.result.metrics {
        if m.better == Better::Neutral {
            continue;
        }
        let percent = shown_as_percent(name);
        for (col, sm) in &m.slices {
            let Some(d) = &sm.disparity else { continue };
            let Some(rv) = d.groups.get(&d.reference).and_then(|g| g.estimate.value) else {
                continue;
            };
            for (g, c) in &d.groups {
                if g == &d.reference || !c.significant {
                    continue;
                }
                let (Some(v), Some(diff)) = (c.estimate.value, c.difference.value) else {
                    continue;
                };
                let ratio = c.ratio.value.filter(|_| rv > 0.0 && v >= 0.0);
                let magnitude = match ratio {
                    Some(r) if r > 0.0 => r.ln().abs(),
                    _ => (diff / rv.abs().max(1e-12)).abs(),
                };
                let worse = is_worse(m.better, diff);
                let interval = match (c.ratio.ci_low, c.ratio.ci_high, ratio) {
                    (Some(lo), Some(hi), Some(r)) => format!(
                        "ratio {}, {} CI {}–{}",
                        fmt_ratio(r),
                        cx.level,
                        fmt_ratio(lo),
                        fmt_ratio(hi)
                    ),
                    _ => match (c.difference.ci_low, c.difference.ci_high) {
                        (Some(lo), Some(hi)) => format!(
                            "difference {}, {} CI {} to {}",
                            fmt_value(diff, percent),
                            cx.level,
                            fmt_value(lo, percent),
                            fmt_value(hi, percent)
                        ),
                        _ => format!("difference {}", fmt_value(diff, percent)),
                    },
                };
                let rn = d.groups.get(&d.reference).map_or(0, |r| r.estimate.n);
                let text = format!(
                    "{col} = {g}: {} is {} than for {col} = {} ({} vs {}; {interval}; n = {} vs {}{}).",
                    cx.label(name),
                    describe_change(ratio, diff, percent),
                    d.reference,
                    fmt_value(v, percent),
                    fmt_value(rv, percent),
                    c.estimate.n,
                    rn,
                    c.p_adjusted
                        .map(|p| format!("; adjusted p {}", fmt_p(p)))
                        .unwrap_or_default(),
                );
                gaps.push(Gap {
                    magnitude,
                    col: col.clone(),
                    group: g.clone(),
                    text,
                    worse,
                });
            }
        }
    }
    let total = gaps.len();
    gaps.sort_by(|a, b| {
        b.magnitude
            .total_cmp(&a.magnitude)
            .then_with(|| a.text.cmp(&b.text))
    });
    let mut per_group: BTreeMap<(String, String), usize> = BTreeMap::new();
    let shown = gaps
        .into_iter()
        .filter(|g| {
            let c = per_group
                .entry((g.col.clone(), g.group.clone()))
                .or_default();
            *c += 1;
            *c <= 2
        })
        .take(6)
        .map(|g| Finding {
            text: g.text,
            tone: if g.worse { "worse" } else { "better" },
        })
        .collect();
    (shown, total)
}

/// Four-fifths, exposure, popularity and filter-bubble sentences.
pub(super) fn other_findings(cx: &PageContext<'_>) -> Vec<Finding> {
    let r = cx.result;
    let mut out = Vec::new();

    if let Some(key) = key_metric(r) {
        let m = &r.metrics[key];
        let mut below: Vec<String> = Vec::new();
        for (col, sm) in &m.slices {
            if let Some(d) = &sm.disparity {
                let before = below.len();
                for (g, c) in &d.groups {
                    if c.four_fifths == Some(true) {
                        below.push(format!(
                            "{col} = {g} ({})",
                            c.ratio.value.map_or("–".into(), fmt_ratio)
                        ));
                    }
                }
                // When the reference is itself the worst-off group, no ratio to it falls below
                // the threshold: judge the lowest group against the highest instead.
                if below.len() == before && m.better == Better::Higher {
                    if let Some(mm) = d
                        .min_max_ratio
                        .value
                        .filter(|&v| v < r.settings.stats.four_fifths)
                    {
                        let lowest = d
                            .groups
                            .iter()
                            .filter_map(|(g, c)| c.estimate.value.map(|v| (g, v)))
                            .min_by(|a, b| a.1.total_cmp(&b.1))
                            .map(|(g, _)| g.clone())
                            .unwrap_or_default();
                        below.push(format!(
                            "{col} = {lowest} ({} of the best-off group)",
                            fmt_ratio(mm)
                        ));
                    }
                }
            }
        }
        let ff = fmt_whole_pct(r.settings.stats.four_fifths);
        if below.is_empty() {
            if m.slices.values().any(|s| s.disparity.is_some()) && m.better == Better::Higher {
                out.push(Finding {
                    text: format!(
                        "Four-fifths rule: every group gets at least {ff} of the reference and of the best-off group's {}.",
                        cx.label(key)
                    ),
                    tone: "ok",
                });
            }
        } else {
            out.push(Finding {
                text: format!(
                    "Four-fifths rule: {} group{} get{} less than {ff} of the reference (or best-off) group's {}: {}.",
                    below.len(),
                    if below.len() == 1 { "" } else { "s" },
                    if below.len() == 1 { "s" } else { "" },
                    cx.label(key),
                    below.join(", ")
                ),
                tone: "warn",
            });
        }
    }

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
                    "Exposure by {col}: {} = {} gets {}× its catalog share of exposure (the least), {} = {} gets {}× (the most).",
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
                "Popularity: recommended items are {:.0}% {word} popular than the items in users' own histories (ΔGAP = {}).",
                dg.abs() * 100.0,
                fmt_num(*dg)
            ),
            tone: if *dg > 0.0 { "warn" } else { "info" },
        });
    }

    if let Some(v) = r.metrics.get("narrowed").and_then(|m| m.overall.value) {
        let b = &r.settings.bubble;
        out.push(Finding {
            text: format!(
                "Narrowing: {} of users with at least {} history items get lists less than {}× as diverse as their history.",
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
                    "Segregation: users were grouped into {} clusters of similar lists; the slice column most tied to the clusters is {} (NMI {nmi:.3}; 0 = every group spread over the clusters alike, 1 = each group in its own cluster).",
                    seg.n_clusters,
                    s.column,
                ),
                tone: "info",
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_described_in_plain_words() {
        assert_eq!(describe_change(Some(0.81), -0.03, false), "19% lower");
        assert_eq!(describe_change(Some(1.25), 0.03, false), "25% higher");
        assert_eq!(describe_change(Some(2.5), 0.3, false), "2.5× as high");
        assert_eq!(
            describe_change(None, -0.05, true),
            "lower by 5.0 percentage points"
        );
        assert_eq!(describe_change(None, 0.12, false), "higher by 0.120");
    }
}
