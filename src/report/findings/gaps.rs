//! Significant gaps between slice groups, framed around the worse-off group and ranked by harm.
//!
//! Each comparison of a disparity (a group against the reference its [`DisparityResult`] names)
//! that is significant becomes one [`Gap`] from the worse-off side: when the group is better off
//! than the reference, the reference is the worse-off group and the ratio is inverted (its
//! interval too: the percentile interval of 1/r is 1/hi–1/lo). Harm is the effect size times the
//! share of audited users in the worse-off group. The effect size is |ln(worse ÷ better)|: it has
//! the same scale for every metric (a per-user mean like NDCG and a share like "narrowed" alike),
//! and it is the quantity the finding's sentence states ("63% lower", "5 times as high"). Where
//! the ratio is undefined (a better-off value of 0) the standardized difference stands in, from
//! the two groups' intervals. Both are capped at ln 100: beyond a hundredfold gap the smaller
//! value rests on a handful of users, too few to rank effects by their size.

use std::collections::BTreeMap;

use crate::format::{fmt_num, fmt_pct, fmt_points, fmt_value, fmt_whole_pct};
use crate::metrics::Better;
use crate::report::{metric_label, shown_as_percent};
use crate::result::{AuditResult, DisparityResult};
use crate::slices::display_key;
use crate::stats::{Estimate, GroupComparison};

/// An effect above this (a hundredfold gap) counts as this much: beyond it the smaller value
/// rests on a handful of users, too few for the size of the gap to rank it.
const EFFECT_CAP: f64 = 2.0 * std::f64::consts::LN_10;

/// A ratio is headlined only within these bounds and when its interval is at most this wide
/// (upper ÷ lower): beyond them the baseline is too small for a ratio to mean much, and the
/// absolute difference is stated instead.
const HEADLINE_RATIO_MAX: f64 = 10.0;
const HEADLINE_INTERVAL_MAX: f64 = 4.0;

/// One significant gap between two published groups of a slice column.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    /// The metric's key.
    pub metric: String,
    /// The metric's label at the cutoff.
    pub label: String,
    /// The metric's family (`quality`, `popularity`, ...).
    pub family: String,
    /// The slice column.
    pub column: String,
    /// The worse-off group.
    pub worse: String,
    /// The better-off group it is compared with.
    pub better: String,
    /// The reference group of the disparity the numbers come from.
    pub reference: String,
    /// The worse-off group's mean.
    pub worse_value: f64,
    /// The better-off group's mean.
    pub better_value: f64,
    /// Whether values are shares shown as percentages.
    pub percent: bool,
    /// worse ÷ better with its interval, when the ratio is meaningful enough to headline.
    pub ratio: Option<Estimate>,
    /// worse − better with its interval.
    pub difference: Estimate,
    /// Users in the worse-off group.
    pub users: usize,
    /// Their share of the audited users.
    pub share: f64,
    /// |ln(worse ÷ better)|, or the standardized difference where the ratio is undefined; capped
    /// at ln 100.
    pub effect: f64,
    /// effect × share.
    pub harm: f64,
    /// Whether the ratio is beyond the four-fifths threshold (worse below it, or above its inverse
    /// for a metric where lower is better).
    pub beyond_four_fifths: bool,
    /// The interval's confidence level (`95%`).
    pub level: String,
}

impl Gap {
    /// `gender F`.
    pub fn who(&self) -> String {
        format!("{} {}", display_key(&self.column), display_key(&self.worse))
    }

    /// `gender M`.
    pub fn versus(&self) -> String {
        format!(
            "{} {}",
            display_key(&self.column),
            display_key(&self.better)
        )
    }

    /// `NDCG@10 62.8% lower than gender M`, or for a share without a meaningful ratio
    /// `Users narrowed 98.1% vs 0.106% for age_band 35-54`: the change in words.
    pub fn headline(&self) -> String {
        let Some(r) = self.ratio.and_then(|r| r.value) else {
            let d = self.difference.value.unwrap_or(0.0);
            return if self.percent {
                format!(
                    "{} {} vs {} for {}",
                    self.label,
                    fmt_pct(self.worse_value),
                    fmt_pct(self.better_value),
                    self.versus()
                )
            } else {
                format!(
                    "{} {} {} than {}",
                    self.label,
                    fmt_num(d.abs()),
                    if d < 0.0 { "lower" } else { "higher" },
                    self.versus()
                )
            };
        };
        if r < 1.0 {
            format!(
                "{} {} lower than {}",
                self.label,
                fmt_pct(1.0 - r),
                self.versus()
            )
        } else if r <= 2.0 {
            format!(
                "{} {} higher than {}",
                self.label,
                fmt_pct(r - 1.0),
                self.versus()
            )
        } else {
            format!(
                "{} {} times as high as {}",
                self.label,
                fmt_num(r),
                self.versus()
            )
        }
    }

    /// The full sentence: who, how many, the change, both values and the interval.
    pub fn sentence(&self) -> String {
        let show = |x: f64| {
            if self.percent {
                fmt_points(x)
            } else {
                fmt_num(x)
            }
        };
        let d = &self.difference;
        let both = format!(
            "{} vs {}; ",
            fmt_value(self.worse_value, self.percent),
            fmt_value(self.better_value, self.percent)
        );
        // Without a ratio, a share's headline already gives both values; another metric's gives
        // only the difference, so the detail starts with the two values.
        let values = if self.percent { "" } else { both.as_str() };
        let detail = match (&self.ratio, d.ci_low, d.ci_high) {
            (Some(r), _, _) => format!(
                "{both}ratio {}, {} CI {}–{}",
                fmt_num(r.value.unwrap_or(f64::NAN)),
                self.level,
                fmt_num(r.ci_low.unwrap_or(f64::NAN)),
                fmt_num(r.ci_high.unwrap_or(f64::NAN))
            ),
            (None, Some(lo), Some(hi)) => format!(
                "{values}difference {}, {} CI {} to {}",
                show(d.value.unwrap_or(f64::NAN)),
                self.level,
                fmt_num(if self.percent { lo * 100.0 } else { lo }),
                show(hi)
            ),
            (None, _, _) => format!("{values}difference {}", show(d.value.unwrap_or(f64::NAN))),
        };
        format!(
            "{} ({} users, {} of those audited): {} ({detail}).",
            self.who(),
            self.users,
            fmt_pct(self.share),
            self.headline(),
        )
    }
}

/// Whether `diff` (a group minus its reference) is for the worse, for a metric where `better`.
pub fn is_worse(better: Better, diff: f64) -> bool {
    match better {
        Better::Higher => diff < 0.0,
        Better::Lower => diff > 0.0,
        Better::Neutral => false,
    }
}

/// The standard deviation behind an estimate's interval: half its width over z, times √n.
fn spread(e: &Estimate, z: f64) -> Option<f64> {
    let (lo, hi) = (e.ci_low?, e.ci_high?);
    let sd = (hi - lo) / (2.0 * z) * (e.n as f64).sqrt();
    (sd.is_finite() && sd > 0.0).then_some(sd)
}

/// The two-sided standard normal quantile of `confidence` (1.96 at 95%).
fn z_of(confidence: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    Normal::standard().inverse_cdf(0.5 + confidence / 2.0)
}

/// Every significant gap of the audit, worst-off side first, one per metric, column and
/// worse-off group (the largest), ranked by harm (ties by metric, column and group).
pub fn gaps(result: &AuditResult) -> Vec<Gap> {
    let z = z_of(result.settings.stats.confidence);
    let mut best: BTreeMap<(String, String, String), Gap> = BTreeMap::new();
    for (name, m) in &result.metrics {
        if m.better == Better::Neutral {
            continue;
        }
        for (col, sm) in &m.slices {
            let Some(d) = &sm.disparity else { continue };
            for (g, c) in &d.groups {
                if g == &d.reference || !c.significant {
                    continue;
                }
                let Some(gap) = gap_of(result, name, m.better, col, d, g, c, z) else {
                    continue;
                };
                let key = (name.clone(), col.clone(), gap.worse.clone());
                if best.get(&key).is_none_or(|b| gap.harm > b.harm) {
                    best.insert(key, gap);
                }
            }
        }
    }
    let mut out: Vec<Gap> = best.into_values().collect();
    out.sort_by(|a, b| b.harm.total_cmp(&a.harm));
    out
}

/// The gap between group `g` (compared as `c`) and the reference of `d`, from the worse-off side.
#[allow(clippy::too_many_arguments)]
fn gap_of(
    result: &AuditResult,
    name: &str,
    better: Better,
    col: &str,
    d: &DisparityResult,
    g: &str,
    c: &GroupComparison,
    z: f64,
) -> Option<Gap> {
    let reference = d.groups.get(&d.reference)?;
    let (v, rv, diff) = (
        c.estimate.value?,
        reference.estimate.value?,
        c.difference.value?,
    );
    let group_is_worse = is_worse(better, diff);
    let (worse, better_g, we, be) = if group_is_worse {
        (g, d.reference.as_str(), &c.estimate, &reference.estimate)
    } else {
        (d.reference.as_str(), g, &reference.estimate, &c.estimate)
    };
    let (wv, bv) = if group_is_worse { (v, rv) } else { (rv, v) };
    // worse − better, and worse ÷ better.
    let difference = if group_is_worse {
        c.difference
    } else {
        Estimate {
            value: Some(-diff),
            ci_low: c.difference.ci_high.map(|x| -x),
            ci_high: c.difference.ci_low.map(|x| -x),
            n: reference.estimate.n,
        }
    };
    let ratio = if group_is_worse {
        c.ratio
    } else {
        let inv = |x: Option<f64>| x.filter(|x| *x > 0.0).map(|x| 1.0 / x);
        Estimate {
            value: inv(c.ratio.value),
            ci_low: inv(c.ratio.ci_high),
            ci_high: inv(c.ratio.ci_low),
            n: reference.estimate.n,
        }
    };
    let headline_ratio = match (ratio.value, ratio.ci_low, ratio.ci_high) {
        (Some(r), Some(lo), Some(hi)) => {
            lo > 0.0
                && hi / lo <= HEADLINE_INTERVAL_MAX
                && (1.0 / HEADLINE_RATIO_MAX..=HEADLINE_RATIO_MAX).contains(&r)
        }
        _ => false,
    };
    let effect = match ratio.value.filter(|r| *r > 0.0 && r.is_finite()) {
        Some(r) => r.ln().abs(),
        None => match (spread(we, z), spread(be, z)) {
            (Some(a), Some(b)) => diff.abs() / ((a * a + b * b) / 2.0).sqrt(),
            _ => 0.0,
        },
    }
    .min(EFFECT_CAP);
    let users = result
        .slices
        .get(col)
        .and_then(|s| s.groups.get(worse))
        .map_or(we.n, |s| s.n_users);
    let share = users as f64 / result.input.users_audited.max(1) as f64;
    let ff = result.settings.stats.four_fifths;
    let beyond_four_fifths = match (better, ratio.value) {
        (Better::Higher, Some(r)) => r < ff,
        (Better::Lower, Some(r)) => r > 1.0 / ff,
        (_, None) => (wv - bv).abs() > 0.0 && bv == 0.0,
        _ => false,
    };
    Some(Gap {
        metric: name.to_string(),
        label: metric_label(name, result.settings.k),
        family: result.metrics[name].family.clone(),
        column: col.to_string(),
        worse: worse.to_string(),
        better: better_g.to_string(),
        reference: d.reference.clone(),
        worse_value: wv,
        better_value: bv,
        percent: shown_as_percent(name),
        ratio: headline_ratio.then_some(ratio),
        difference,
        users,
        share,
        effect,
        harm: effect * share,
        beyond_four_fifths,
        level: fmt_whole_pct(result.settings.stats.confidence),
    })
}

/// The summary's findings: the most harmful gaps, each a different story: at most one per
/// column and worse-off group, and one per metric, column and better-off group; at most `max`.
pub fn top_findings(gaps: &[Gap], max: usize) -> Vec<Gap> {
    let mut groups: Vec<(&str, &str)> = Vec::new();
    let mut versus: Vec<(&str, &str, &str)> = Vec::new();
    let mut out = Vec::new();
    for g in gaps {
        let group = (g.column.as_str(), g.worse.as_str());
        let against = (g.metric.as_str(), g.column.as_str(), g.better.as_str());
        if groups.contains(&group) || versus.contains(&against) {
            continue;
        }
        groups.push(group);
        versus.push(against);
        out.push(g.clone());
        if out.len() == max {
            break;
        }
    }
    out
}
