//! Judging an [`AuditResult`] against a [`Policy`]: one [`GateOutcome`] per gate and slice group
//! (and item group, for shares).
//!
//! Outcomes are `pass`, `fail` or `skipped`. A group is skipped when it is suppressed (fewer users
//! than `min_slice_size`), when the judged number is undefined (the reason says which: "ratio
//! undefined: reference is 0", "value undefined", ...) or when a `max_regression` gate has no
//! baseline. Undefined numbers never pass or fail. A gate whose metric the audit did not compute
//! at all (e.g. `ndcg` without a truth table) is an error, not a skip.
//!
//! Each rule family is judged in its own file: `bound` (`max_value`, `min_value`,
//! `max_share_narrowed`), `disparity` (`min_ratio`, `max_difference`), `nmi` (`max_nmi`),
//! `subgroup` (`max_subgroup_gap`) and `regression` (`max_regression`).

mod bound;
mod disparity;
mod nmi;
mod regression;
mod subgroup;

use crate::result::AuditResult;
use crate::stats::Estimate;
use crate::text::visible;

use super::compare::Comparison;
use super::outcome::{GateOutcome, GateReport, Status};
use super::policy::{Policy, PolicyError};
use super::rule::{Gate, Rule, Target, OVERALL};

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
        let ctx = Ctx {
            gate,
            index: i + 1,
            result,
        };
        if let Some(why) = withheld_by_privacy(result, gate) {
            let scope = Scope {
                slice: gate.slice.clone(),
                group: None,
                versus: None,
                skip: Some(why.clone()),
            };
            outcomes.push(ctx.skip(&scope, None, why));
            continue;
        }
        check_present(result, gate).map_err(err)?;
        match gate.rule {
            Rule::MinRatio | Rule::MaxDifference => ctx.disparity(&mut outcomes),
            Rule::MaxNmi => ctx.nmi(&mut outcomes),
            Rule::MaxSubgroupGap => ctx.subgroup_gap(&mut outcomes),
            Rule::MaxRegression => ctx.regression(comparison, &mut outcomes),
            Rule::MaxValue | Rule::MinValue | Rule::MaxShareNarrowed => ctx.bound(&mut outcomes),
        }
    }
    Ok(GateReport {
        policy: policy.path.clone(),
        outcomes,
    })
}

/// Why a differentially private audit did not publish the gate's metric (`None` for an exact
/// audit, or when the metric is published): such a gate is skipped, not an error.
fn withheld_by_privacy(result: &AuditResult, gate: &Gate) -> Option<String> {
    let privacy = result.privacy.as_ref()?;
    let why = match &gate.target {
        Target::User { name } if !result.metrics.contains_key(name) => {
            privacy.withheld.get(name).cloned()?
        }
        Target::User { .. } => return None,
        Target::Scalar { .. } | Target::Share { .. } => privacy.withheld.get("corpus").cloned()?,
        Target::Nmi => privacy.withheld.get("segregation").cloned()?,
    };
    Some(format!(
        "withheld in this differentially private audit: {why}"
    ))
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::test_support::{fixture, gate};

    #[test]
    fn columns_and_metrics_are_checked_against_the_audit() {
        let e = evaluate(
            &fixture(),
            &gate("metric = \"ndcg\"\nslice = \"country\"\nrule = \"min_ratio\"\nthreshold = 0.8"),
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("unknown slice column `country`"), "{e}");
        assert!(e.contains("overall, age_band, gender, region"), "{e}");
        let e = evaluate(
            &fixture(),
            &gate("metric = \"exposure_share\"\nslice = \"studio\"\nrule = \"max_value\"\nthreshold = 0.8"),
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("valid item-group columns: provider"), "{e}");
        let e = evaluate(
            &fixture(),
            &gate(
                "metric = \"precision\"\nslice = \"gender\"\nrule = \"min_ratio\"\nthreshold = 0.8",
            ),
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("did not compute `precision`") && e.contains("ndcg"),
            "{e}"
        );
    }
}
