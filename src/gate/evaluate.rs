//! Judging an [`AuditResult`] against a [`Policy`]: one [`GateOutcome`] per gate and slice group
//! (and item group, for shares).
//!
//! Outcomes are `pass`, `fail` or `skipped`. A group is skipped when it is suppressed (fewer users
//! than `min_slice_size`), when the judged number is undefined (the reason says which: "ratio
//! undefined: reference is 0", "value undefined", ...) or when a `max_regression` gate has no
//! baseline. Undefined numbers never pass or fail. A whole gate is skipped, with one outcome, when
//! the audit did not produce what it judges: a metric of the registry it did not compute (`ndcg`
//! without a truth table; the reason quotes the audit's note on the skipped family, when there is
//! one), a slice column of the input it did not publish (one group, every group too small, nobody
//! consented: `skipped_slice_columns`), or a metric a differentially private audit withheld. A
//! slice or item-group column the audit has never heard of is an error (exit code 2), like an
//! unknown metric name in the policy.
//!
//! Each rule family is judged in its own file: `bound` (`max_value`, `min_value`,
//! `max_share_narrowed`), `disparity` (`min_ratio`, `max_difference`), `nmi` (`max_nmi`),
//! `subgroup` (`max_subgroup_gap`) and `regression` (`max_regression`).

mod bound;
mod disparity;
mod nmi;
mod regression;
mod subgroup;

use std::collections::BTreeMap;

use crate::audit::family_note;
use crate::result::AuditResult;
use crate::stats::Estimate;
use crate::text::visible;

use super::columns::unaudited_slice_columns;
use super::compare::Comparison;
use super::outcome::{GateOutcome, GateReport, Status};
use super::policy::{Policy, PolicyError};
use super::rule::{Gate, Rule, Target, OVERALL};

/// Judges `result` against `policy`; `comparison` (baseline → `result`) feeds `max_regression`
/// gates, which are skipped without it.
///
/// Errors (exit code 2): a slice or item-group column that is neither in the audit nor among the
/// input's columns it did not publish.
pub fn evaluate(
    result: &AuditResult,
    policy: &Policy,
    comparison: Option<&Comparison>,
) -> Result<GateReport, PolicyError> {
    let mut policy = policy.clone();
    policy.check_result(result)?;
    let unaudited = unaudited_slice_columns(result);
    let mut outcomes = Vec::new();
    for (i, gate) in policy.gates.iter().enumerate() {
        let ctx = Ctx {
            gate,
            index: i + 1,
            result,
        };
        let skipped =
            withheld_by_privacy(result, gate).or_else(|| not_produced(result, gate, &unaudited));
        if let Some(why) = skipped {
            let scope = Scope {
                slice: gate.slice.clone(),
                group: None,
                versus: None,
                skip: Some(why.clone()),
            };
            outcomes.push(ctx.skip(&scope, None, why));
            continue;
        }
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

/// Why the audit has nothing for `gate` to judge (`None` when it has): the metric was not
/// computed, or the gate's slice column is one the input had and the audit did not publish
/// (`unaudited`, [`unaudited_slice_columns`]). The reason is one plain sentence, as
/// [`visible`] shows it (it quotes column names from the data).
fn not_produced(
    result: &AuditResult,
    gate: &Gate,
    unaudited: &BTreeMap<String, String>,
) -> Option<String> {
    let key = gate
        .target
        .key(gate.slice_is_item_column().then_some(&*gate.slice));
    let computed = match &gate.target {
        Target::User { name } => result.metrics.contains_key(name),
        Target::Scalar { name } => result.corpus.overall.scalars.contains_key(name),
        Target::Share { .. } => result.corpus.overall.shares.contains_key(&key),
        Target::Nmi => result.segregation.is_some(),
    };
    let why = if !computed {
        let what = match gate.target {
            Target::Nmi => "the audit has no segregation analysis".to_string(),
            _ => format!("the audit did not compute `{key}`"),
        };
        match family_note(&key, &result.notes) {
            Some(note) => format!("{what}: {note}"),
            None => format!("{what}."),
        }
    } else if let Some(reason) = (!gate.is_overall() && !gate.slice_is_item_column())
        .then(|| unaudited.get(&gate.slice))
        .flatten()
    {
        format!("slice column `{}` is not audited: {reason}.", gate.slice)
    } else {
        return None;
    };
    Some(visible(&why).into_owned())
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
    use crate::slices::selection::SkippedColumn;

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
    }

    /// The fixture with a users-table column `tenure` the audit skipped and a column `plan` it
    /// published no group of (both in `input.slice_columns`), and the notes of an audit without
    /// truth or categories: a suppression note, then the two families' notes.
    fn with_unaudited_columns() -> AuditResult {
        let mut r = fixture();
        r.input.slice_columns = ["gender", "age_band", "region", "tenure", "plan"]
            .map(String::from)
            .to_vec();
        r.skipped_slice_columns = vec![SkippedColumn {
            column: "tenure".into(),
            reason:
                "fewer than two groups of at least 20 users (min_slice_size): nothing to compare"
                    .into(),
        }];
        r.notes = vec![
            "gender: 1 group under 20 users suppressed.".into(),
            "Quality metrics (precision, recall, hit, MRR, NDCG) were skipped: no --truth table of held-out relevant items was given.".into(),
            "Category metrics (intra-list diversity, list entropy, calibration, narrowing, segregation) were skipped: no item has a category (they need an --items table whose category column is not empty).".into(),
        ];
        r.segregation = None;
        r
    }

    /// The single outcome of a one-gate policy on `r`.
    fn only_outcome(r: &AuditResult, body: &str) -> GateOutcome {
        let report = evaluate(r, &gate(body), None).unwrap();
        assert_eq!(report.outcomes.len(), 1, "{:#?}", report.lines());
        report.outcomes[0].clone()
    }

    #[test]
    fn a_slice_column_the_audit_did_not_publish_is_skipped_with_its_reason() {
        let r = with_unaudited_columns();
        let o = only_outcome(
            &r,
            "metric = \"ndcg\"\nslice = \"tenure\"\nrule = \"min_ratio\"\nthreshold = 0.8",
        );
        assert_eq!(o.status, Status::Skipped);
        assert_eq!(o.scope, "tenure");
        assert_eq!(
            o.detail,
            "slice column `tenure` is not audited: fewer than two groups of at least 20 users (min_slice_size): nothing to compare."
        );
        let o = only_outcome(&r, "slice = \"plan\"\nrule = \"max_nmi\"\nthreshold = 0.1");
        // The metric comes first: without segregation there is nothing to judge on any column.
        assert!(
            o.detail
                .starts_with("the audit has no segregation analysis: Category metrics"),
            "{}",
            o.detail
        );
        let o = only_outcome(
            &r,
            "metric = \"hit\"\nslice = \"plan\"\nrule = \"max_difference\"\nthreshold = 0.1",
        );
        assert_eq!(
            (o.status, o.detail.as_str()),
            (
                Status::Skipped,
                "slice column `plan` is not audited: the audit published no group of it."
            )
        );
        // A column named nowhere is still an error, and the valid names include the unaudited.
        let e = evaluate(
            &r,
            &gate("metric = \"ndcg\"\nslice = \"tenur\"\nrule = \"min_ratio\"\nthreshold = 0.8"),
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("unknown slice column `tenur`; valid slices: overall, age_band, gender, plan, region, tenure"),
            "{e}"
        );
    }

    #[test]
    fn a_metric_the_audit_did_not_compute_is_skipped_with_its_familys_note_only() {
        let r = with_unaudited_columns();
        let report = evaluate(
            &r,
            &gate(
                "metric = \"precision\"\nslice = \"gender\"\nrule = \"min_ratio\"\nthreshold = 0.8",
            ),
            None,
        )
        .unwrap();
        assert!(!report.failed());
        assert_eq!(report.summary(), "0 passed, 0 failed, 1 skipped");
        assert_eq!(
            report.outcomes[0].line(),
            "SKIP  min_ratio precision gender  the audit did not compute `precision`: Quality metrics (precision, recall, hit, MRR, NDCG) were skipped: no --truth table of held-out relevant items was given."
        );
        // No family note explains a missing share: the reason says only what is missing.
        let o = only_outcome(
            &r,
            "metric = \"target_share_merit_provider\"\nrule = \"max_value\"\nthreshold = 0.5",
        );
        assert_eq!(
            o.detail,
            "the audit did not compute `target_share_merit_provider`."
        );
    }
}
