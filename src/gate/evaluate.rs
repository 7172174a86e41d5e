//! Judging an [`AuditResult`] against a [`Policy`]: one [`GateOutcome`] per gate and slice group
//! (and item group, for shares).
//!
//! Outcomes are `pass`, `fail` or `skipped`. A group is skipped when it is suppressed (fewer users
//! than `min_slice_size`), when the judged number is undefined (the reason says which: "ratio
//! undefined: reference is 0", "value undefined", ...) or when a `max_regression` gate has no
//! baseline. Undefined numbers never pass or fail. A gate whose metric the audit did not compute
//! at all (e.g. `ndcg` without a truth table) is an error, not a skip.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::result::AuditResult;
use crate::stats::{benjamini_hochberg, Estimate, GroupComparison};
use crate::text::visible;

use super::compare::{self, ChangeRow, Comparison};
use super::policy::{Gate, Policy, PolicyError, Rule, Target, OVERALL};
use crate::format::{fmt_fixed, fmt_fixed_estimate, fmt_p, fmt_threshold};

/// The verdict of one gate on one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Within the threshold (or beyond it without significance, with `significant_only`).
    Pass,
    /// Beyond the threshold (and significant, with `significant_only`).
    Fail,
    /// Not judged: suppressed group, undefined value, or no baseline.
    Skipped,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Skipped => "SKIP",
        })
    }
}

/// One gate judged on one scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateOutcome {
    /// 1-based index of the gate in the policy.
    pub gate: usize,
    /// The gate's name, or `rule metric slice`.
    pub label: String,
    /// The rule.
    pub rule: Rule,
    /// The metric's key in the audit (`ndcg`, `exposure_share_provider`, `nmi`).
    pub metric: String,
    /// `overall`, a slice column, or (for shares named without a column) the item-group column.
    pub slice: String,
    /// The slice group.
    pub group: Option<String>,
    /// The item group, for shares.
    pub item_group: Option<String>,
    /// For `min_ratio` and `max_difference`: the group `group` is compared with (one of the two is
    /// the slice's reference group).
    pub versus: Option<String>,
    /// `overall`, `gender=F`, `gender=F vs M`, `provider=indie`, `gender=F provider=indie`,
    /// `region` (NMI).
    pub scope: String,
    /// The verdict.
    pub status: Status,
    /// The judged number with its interval: the ratio (`min_ratio`), the signed difference
    /// (`max_difference`), the value, the NMI, or the change from the baseline (`max_regression`).
    pub value: Estimate,
    /// The threshold.
    pub threshold: f64,
    /// Whether the breach (or gap) is significant, where the rule has a notion of it.
    pub significant: Option<bool>,
    /// BH-adjusted p-value behind `significant`, when there is one.
    pub p_adjusted: Option<f64>,
    /// What the line shows after the scope: number, interval, comparison with the threshold and
    /// the significance; or the reason for skipping.
    pub detail: String,
}

impl GateOutcome {
    /// `PASS  min_ratio ndcg gender=F  0.812 [0.741, 0.880] ≥ 0.8  vs gender=M`, as [`visible`]
    /// shows it (labels come from the data; the line goes to the terminal and the JUnit XML).
    pub fn line(&self) -> String {
        let head = match &self.label {
            l if *l == format!("{} {} {}", self.rule, self.metric, self.slice) => {
                format!("{} {}", self.rule, self.metric)
            }
            l => format!("{l}: {} {}", self.rule, self.metric),
        };
        let line = format!("{:<4}  {head} {}  {}", self.status, self.scope, self.detail);
        visible(&line).into_owned()
    }
}

/// Every outcome of a policy.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GateReport {
    /// The policy file, when read from one.
    pub policy: Option<std::path::PathBuf>,
    /// One per gate and scope, in policy order.
    pub outcomes: Vec<GateOutcome>,
}

impl GateReport {
    /// Outcomes with `status`.
    pub fn count(&self, status: Status) -> usize {
        self.outcomes.iter().filter(|o| o.status == status).count()
    }

    /// True when any outcome failed (exit code 1).
    pub fn failed(&self) -> bool {
        self.count(Status::Fail) > 0
    }

    /// One line per outcome.
    pub fn lines(&self) -> Vec<String> {
        self.outcomes.iter().map(GateOutcome::line).collect()
    }

    /// `3 passed, 1 failed, 2 skipped`.
    pub fn summary(&self) -> String {
        format!(
            "{} passed, {} failed, {} skipped",
            self.count(Status::Pass),
            self.count(Status::Fail),
            self.count(Status::Skipped)
        )
    }
}

/// Judges `result` against `policy`; `comparison` (baseline → `result`) feeds `max_regression`
/// gates, which are skipped without it.
///
/// Errors (exit code 2): a slice or item-group column the audit does not have, or a metric it did
/// not compute.
pub fn evaluate(
    result: &AuditResult,
    policy: &Policy,
    comparison: Option<&Comparison>,
) -> Result<GateReport, PolicyError> {
    let mut policy = policy.clone();
    policy.check_result(result)?;
    let mut outcomes = Vec::new();
    for (i, gate) in policy.gates.iter().enumerate() {
        let err = |message: String| PolicyError {
            path: policy.path.clone(),
            gate: Some(i + 1),
            message,
        };
        check_present(result, gate).map_err(err)?;
        let ctx = Ctx {
            gate,
            index: i + 1,
            result,
        };
        match gate.rule {
            Rule::MinRatio | Rule::MaxDifference => ctx.disparity(&mut outcomes),
            Rule::MaxNmi => ctx.nmi(&mut outcomes),
            Rule::MaxRegression => ctx.regression(comparison, &mut outcomes),
            Rule::MaxValue | Rule::MinValue | Rule::MaxShareNarrowed => ctx.bound(&mut outcomes),
        }
    }
    Ok(GateReport {
        policy: policy.path.clone(),
        outcomes,
    })
}

fn check_present(result: &AuditResult, gate: &Gate) -> Result<(), String> {
    let notes = if result.notes.is_empty() {
        String::new()
    } else {
        format!(" (the audit's notes: {})", result.notes.join(" "))
    };
    let key = gate
        .target
        .key(gate.slice_is_item_column().then_some(&*gate.slice));
    let present = match &gate.target {
        Target::User { name } => result.metrics.contains_key(name),
        Target::Scalar { name } => result.corpus.overall.scalars.contains_key(name),
        Target::Share { .. } => result.corpus.overall.shares.contains_key(&key),
        Target::Nmi => result.segregation.is_some(),
    };
    if present {
        return Ok(());
    }
    let have: Vec<&str> = match &gate.target {
        Target::User { .. } => result.metrics.keys().map(String::as_str).collect(),
        Target::Scalar { .. } => result
            .corpus
            .overall
            .scalars
            .keys()
            .map(String::as_str)
            .collect(),
        Target::Share { .. } => result
            .corpus
            .overall
            .shares
            .keys()
            .map(String::as_str)
            .collect(),
        Target::Nmi => Vec::new(),
    };
    let have = if have.is_empty() {
        "none".to_string()
    } else {
        have.join(", ")
    };
    let message = match gate.target {
        Target::Nmi => format!("the audit has no segregation analysis (it needs an items table with categories){notes}"),
        _ => format!("the audit did not compute `{key}`; it has: {have}{notes}"),
    };
    // The names and notes quote the data's column names.
    Err(visible(&message).into_owned())
}

struct Ctx<'a> {
    gate: &'a Gate,
    index: usize,
    result: &'a AuditResult,
}

/// A slice group of the gate's column, or the overall scope.
struct Scope {
    slice: String,
    group: Option<String>,
    /// The other group of a pairwise comparison.
    versus: Option<String>,
    /// Why the scope is not judged (groups not published).
    skip: Option<String>,
}

impl Ctx<'_> {
    fn outcome(
        &self,
        scope: &Scope,
        item: Option<(&str, &str)>,
        status: Status,
        value: Estimate,
        detail: String,
    ) -> GateOutcome {
        let mut s = match (&scope.group, &scope.versus) {
            (Some(g), Some(v)) => format!("{}={g} vs {v}", scope.slice),
            (Some(g), None) => format!("{}={g}", scope.slice),
            (None, _) if scope.slice != OVERALL => scope.slice.clone(),
            (None, _) => String::new(),
        };
        if let Some((col, ig)) = item {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(&format!("{col}={ig}"));
        }
        if s.is_empty() {
            s = OVERALL.into();
        }
        GateOutcome {
            gate: self.index,
            label: self.gate.label(),
            rule: self.gate.rule,
            metric: self.key(),
            slice: self.gate.slice.clone(),
            group: scope.group.clone(),
            item_group: item.map(|(_, ig)| ig.to_string()),
            versus: scope.versus.clone(),
            scope: s,
            status,
            value,
            threshold: self.gate.threshold,
            significant: None,
            p_adjusted: None,
            detail,
        }
    }

    fn skip(&self, scope: &Scope, item: Option<(&str, &str)>, reason: String) -> GateOutcome {
        self.outcome(scope, item, Status::Skipped, Estimate::default(), reason)
    }

    fn key(&self) -> String {
        let g = self.gate;
        g.target.key(g.slice_is_item_column().then_some(&*g.slice))
    }

    /// The item-group column of a share gate.
    fn item_column(&self) -> Option<String> {
        match &self.gate.target {
            Target::Share {
                column: Some(c), ..
            } => Some(c.clone()),
            Target::Share { column: None, .. } => Some(self.gate.slice.clone()),
            _ => None,
        }
    }

    /// The scopes the gate judges: overall, or every published group of its slice column (and one
    /// skipped scope counting the groups not published), reference excluded by the caller where it
    /// applies.
    fn scopes(&self) -> Vec<Scope> {
        let g = self.gate;
        if g.is_overall() || g.slice_is_item_column() {
            return vec![Scope {
                slice: OVERALL.into(),
                group: None,
                versus: None,
                skip: None,
            }];
        }
        let min = self.result.settings.slices.min_slice_size;
        let Some(col) = self.result.slices.get(&g.slice) else {
            return Vec::new();
        };
        let mut scopes: Vec<Scope> = col
            .groups
            .keys()
            .map(|label| Scope {
                slice: g.slice.clone(),
                group: Some(label.clone()),
                versus: None,
                skip: None,
            })
            .collect();
        let hidden = col.groups_too_small + col.groups_withheld;
        if hidden > 0 {
            scopes.push(Scope {
                slice: g.slice.clone(),
                group: None,
                versus: None,
                skip: Some(format!(
                    "{hidden} {} not published (fewer than {min} users, or withheld so that a smaller group cannot be recovered by subtraction); not judged",
                    if hidden == 1 { "group" } else { "groups" }
                )),
            });
        }
        scopes
    }

    /// max_value, min_value, max_share_narrowed.
    fn bound(&self, out: &mut Vec<GateOutcome>) {
        let key = self.key();
        let values = compare::audit_values(self.result);
        let item_col = self.item_column();
        for scope in self.scopes() {
            if let Some(reason) = &scope.skip {
                out.push(self.skip(&scope, None, reason.clone()));
                continue;
            }
            let here: Vec<_> = values
                .iter()
                .filter(|(k, ..)| {
                    k.0 == key && k.1 == scope.slice && k.2.as_deref() == scope.group.as_deref()
                })
                .collect();
            if here.is_empty() {
                out.push(self.skip(
                    &scope,
                    None,
                    "value undefined: no value for this scope in the audit".into(),
                ));
            }
            for (k, _, _, est) in here {
                let item = item_col.as_deref().zip(k.3.as_deref());
                out.push(self.judge_bound(&scope, item, est));
            }
        }
    }

    fn judge_bound(
        &self,
        scope: &Scope,
        item: Option<(&str, &str)>,
        est: &Estimate,
    ) -> GateOutcome {
        let g = self.gate;
        let is_min = g.rule.is_min();
        let t = g.threshold;
        let Some(v) = est.value else {
            return self.skip(
                scope,
                item,
                "value undefined: no user in this scope has a defined value".into(),
            );
        };
        let breach = if is_min { v < t } else { v > t };
        let shown = fmt_fixed_estimate(est);
        let (ok, bad) = if is_min { ("≥", "<") } else { ("≤", ">") };
        let thr = fmt_threshold(t);
        let (status, significant, detail) = if !breach {
            (Status::Pass, None, format!("{shown} {ok} {thr}"))
        } else if !g.significant_only {
            (Status::Fail, None, format!("{shown} {bad} {thr}"))
        } else {
            match (est.ci_low, est.ci_high) {
                (Some(lo), Some(hi)) => {
                    let sig = if is_min { hi < t } else { lo > t };
                    if sig {
                        (
                            Status::Fail,
                            Some(true),
                            format!("{shown} {bad} {thr}, interval entirely beyond the threshold"),
                        )
                    } else {
                        (
                            Status::Pass,
                            Some(false),
                            format!("{shown} {bad} {thr}, not significant: the interval reaches the threshold"),
                        )
                    }
                }
                _ => (
                    Status::Fail,
                    None,
                    format!("{shown} {bad} {thr} (no interval: judged on the point value)"),
                ),
            }
        };
        let mut o = self.outcome(scope, item, status, *est, detail);
        o.significant = significant;
        o
    }

    /// min_ratio, max_difference.
    fn disparity(&self, out: &mut Vec<GateOutcome>) {
        let g = self.gate;
        let Target::User { name } = &g.target else {
            unreachable!("validated: disparity rules take per-user metrics")
        };
        let metric = &self.result.metrics[name];
        let sm = metric.slices.get(&g.slice);
        let reference = self
            .result
            .slices
            .get(&g.slice)
            .and_then(|s| s.reference.clone());
        for scope in self.scopes() {
            if scope.group.is_some() && scope.group == reference {
                continue; // compared with itself
            }
            if let Some(reason) = &scope.skip {
                out.push(self.skip(&scope, None, reason.clone()));
                continue;
            }
            let label = scope.group.as_deref().unwrap_or_default();
            let Some(d) = sm.and_then(|s| s.disparity.as_ref()) else {
                out.push(self.skip(
                    &scope,
                    None,
                    "no reference group (suppressed or absent): no disparity to judge".into(),
                ));
                continue;
            };
            let Some(gc) = d.groups.get(label) else {
                out.push(self.skip(&scope, None, "not compared with the reference group".into()));
                continue;
            };
            let ref_value = d.groups.get(&d.reference).and_then(|r| r.estimate.value);
            out.push(self.judge_disparity(&scope, gc, ref_value, &d.reference));
        }
    }

    /// One group compared with the reference. `min_ratio` judges the lower of the two against
    /// the higher (the four-fifths reading: "a group gets less than threshold × what another
    /// gets"), so a reference group that is itself the disadvantaged one is caught too: its ratio
    /// is 1 / (group / reference), interval [1/hi, 1/lo]. `max_difference` judges |group −
    /// reference|.
    fn judge_disparity(
        &self,
        scope: &Scope,
        gc: &GroupComparison,
        ref_value: Option<f64>,
        reference: &str,
    ) -> GateOutcome {
        let g = self.gate;
        let t = g.threshold;
        let ratio = g.rule == Rule::MinRatio;
        let group = scope.group.clone().unwrap_or_default();
        let what = if ratio { "ratio" } else { "difference" };
        let pair = |low: &str, high: &str| Scope {
            slice: scope.slice.clone(),
            group: Some(low.to_string()),
            versus: Some(high.to_string()),
            skip: None,
        };
        let raw = if ratio { gc.ratio } else { gc.difference };
        let Some(v) = raw.value else {
            let reason = if gc.estimate.value.is_none() {
                "value undefined: no user of the group has a defined value".to_string()
            } else if ratio && ref_value == Some(0.0) {
                "ratio undefined: reference is 0 (a max_difference gate judges this pair)"
                    .to_string()
            } else if ref_value.is_none() {
                format!("{what} undefined: the reference group has no defined value")
            } else {
                format!("{what} undefined")
            };
            return self.skip(&pair(&group, reference), None, reason);
        };
        let (est, here) = if ratio && v > 1.0 {
            (invert(&raw), pair(reference, &group))
        } else {
            (raw, pair(&group, reference))
        };
        let v = est.value.unwrap_or(v);
        let breach = if ratio { v < t } else { v.abs() > t };
        let thr = fmt_threshold(t);
        let (ok, bad) = if ratio {
            ("≥", "<")
        } else {
            ("|d| ≤", "|d| >")
        };
        let shown = format!("{what} {}", fmt_fixed_estimate(&est));
        let p = gc
            .p_adjusted
            .map_or(String::new(), |p| format!(", p_adj {}", fmt_p(p)));
        let (status, detail) = if !breach {
            (Status::Pass, format!("{shown} {ok} {thr}"))
        } else if !g.significant_only {
            (Status::Fail, format!("{shown} {bad} {thr}"))
        } else if gc.significant {
            (Status::Fail, format!("{shown} {bad} {thr}, significant{p}"))
        } else {
            (
                Status::Pass,
                format!("{shown} {bad} {thr}, not significant{p}"),
            )
        };
        let mut o = self.outcome(&here, None, status, est, detail);
        o.significant = Some(gc.significant);
        o.p_adjusted = gc.p_adjusted;
        o
    }

    /// max_nmi.
    fn nmi(&self, out: &mut Vec<GateOutcome>) {
        let g = self.gate;
        let scope = Scope {
            slice: g.slice.clone(),
            group: None,
            versus: None,
            skip: None,
        };
        let seg = self.result.segregation.as_ref().expect("checked present");
        let Some(s) = seg.slices.iter().find(|s| s.column == g.slice) else {
            out.push(self.skip(
                &scope,
                None,
                "no segregation analysis for this slice column".into(),
            ));
            return;
        };
        let Some(v) = s.nmi else {
            out.push(self.skip(
                &scope,
                None,
                "NMI undefined: fewer than two groups have clustered users".into(),
            ));
            return;
        };
        let est = Estimate::point(Some(v), s.n_users);
        let thr = fmt_threshold(g.threshold);
        let (status, detail) = if v > g.threshold {
            (Status::Fail, format!("NMI {} > {thr}", fmt_fixed(v)))
        } else {
            (Status::Pass, format!("NMI {} ≤ {thr}", fmt_fixed(v)))
        };
        out.push(self.outcome(&scope, None, status, est, detail));
    }

    /// max_regression: the comparison's raw p-values, Benjamini–Hochberg adjusted across the rows
    /// this gate judges (see [`compare`](super::compare)).
    fn regression(&self, cmp: Option<&Comparison>, out: &mut Vec<GateOutcome>) {
        let g = self.gate;
        let key = self.key();
        let item_col = self.item_column();
        let Some(cmp) = cmp else {
            for scope in self.scopes() {
                out.push(self.skip(
                    &scope,
                    None,
                    "no baseline audit given (--baseline): nothing to compare with".into(),
                ));
            }
            return;
        };
        // Judged rows first, so that their p-values are adjusted together.
        enum Item<'r> {
            Skip(GateOutcome),
            Judge(Scope, &'r ChangeRow),
        }
        let mut items = Vec::new();
        for scope in self.scopes() {
            if let Some(reason) = &scope.skip {
                items.push(Item::Skip(self.skip(&scope, None, reason.clone())));
                continue;
            }
            let rows: Vec<_> = cmp
                .rows
                .iter()
                .filter(|r| {
                    r.metric == key
                        && r.slice == scope.slice
                        && r.group.as_deref() == scope.group.as_deref()
                })
                .collect();
            if rows.is_empty() {
                items.push(Item::Skip(self.skip(
                    &scope,
                    None,
                    "value undefined: not in either audit".into(),
                )));
            }
            for r in rows {
                if r.worse_by.is_some() {
                    let s = Scope {
                        slice: scope.slice.clone(),
                        group: scope.group.clone(),
                        versus: None,
                        skip: None,
                    };
                    items.push(Item::Judge(s, r));
                    continue;
                }
                let item = item_col.as_deref().zip(r.item_group.as_deref());
                let reason = match (r.baseline.value, r.candidate.value) {
                    (None, Some(_)) => "value undefined in the baseline audit (or absent there)",
                    (Some(_), None) => "value undefined in this audit",
                    _ => "value undefined in both audits",
                };
                items.push(Item::Skip(self.skip(&scope, item, reason.into())));
            }
        }
        let p: Vec<f64> = items
            .iter()
            .filter_map(|i| match i {
                Item::Judge(_, r) => Some(r.p_value.unwrap_or(f64::NAN)),
                Item::Skip(_) => None,
            })
            .collect();
        let mut q = benjamini_hochberg(&p).into_iter();
        let alpha = self.result.settings.stats.alpha;
        for it in items {
            let (scope, r) = match it {
                Item::Skip(o) => {
                    out.push(o);
                    continue;
                }
                Item::Judge(s, r) => (s, r),
            };
            let q = q.next().filter(|x| !x.is_nan());
            let item = item_col.as_deref().zip(r.item_group.as_deref());
            let worse = r.worse_by.unwrap_or(f64::NAN);
            let thr = fmt_threshold(g.threshold);
            let significant = q.map(|q| q < alpha);
            let breach = worse > g.threshold;
            let how = format!(
                "{} → {}, change {}, worse by {}",
                r.baseline.value.map_or("—".into(), fmt_fixed),
                r.candidate.value.map_or("—".into(), fmt_fixed),
                fmt_fixed_estimate(&r.change),
                fmt_fixed(worse)
            );
            let p = q.map_or(String::new(), |p| format!(", p_adj {}", fmt_p(p)));
            let (status, detail) = match (breach, g.significant_only, significant) {
                (false, ..) => (Status::Pass, format!("{how} ≤ {thr}")),
                (true, false, _) => (Status::Fail, format!("{how} > {thr}")),
                (true, true, None) => (
                    Status::Fail,
                    format!("{how} > {thr} (no intervals: judged on the point values)"),
                ),
                (true, true, Some(true)) => {
                    (Status::Fail, format!("{how} > {thr}, significant{p}"))
                }
                (true, true, Some(false)) => {
                    (Status::Pass, format!("{how} > {thr}, not significant{p}"))
                }
            };
            let mut o = self.outcome(&scope, item, status, r.change, detail);
            o.significant = significant;
            o.p_adjusted = q;
            out.push(o);
        }
    }
}

/// 1 / ratio, with the percentile interval mapped through (it stays a percentile interval, as
/// 1/x is monotone on positive ratios); the interval is dropped when it reaches 0.
fn invert(e: &Estimate) -> Estimate {
    let (ci_low, ci_high) = match (e.ci_low, e.ci_high) {
        (Some(lo), Some(hi)) if lo > 0.0 => (Some(1.0 / hi), Some(1.0 / lo)),
        _ => (None, None),
    };
    Estimate {
        value: e.value.map(|v| 1.0 / v),
        ci_low,
        ci_high,
        n: e.n,
    }
}
