//! The policy file: a TOML list of `[[gate]]` tables, checked before any data is read. An unknown
//! key, rule or metric is an error that suggests the nearest valid name.
//!
//! ```toml
//! [[gate]]
//! name = "ndcg parity by gender"      # optional; shown in the output and in JUnit
//! metric = "ndcg"
//! slice = "gender"                    # a slice column, an item-group column, or "overall"
//! rule = "min_ratio"
//! threshold = 0.8
//! significant_only = true             # default: a gap only fails when it is significant
//! ```
//!
//! # Keys
//! - `metric`: a key of the [metric registry](crate::metrics::registry): a per-user metric
//!   (averaged per slice group), a corpus value (of a set of lists as a whole), a share family
//!   (per item group; written `exposure_share_provider`, or `exposure_share` with
//!   the item-group column as `slice`), or `nmi` (segregation). Optional for `max_share_narrowed`
//!   (always `narrowed`) and `max_nmi` (always `nmi`).
//! - `slice`: `overall` (default), a slice column of the users table (an intersection is named
//!   `gender,age_band`, or by its key in audit.json, `["gender","age_band"]`), or, for a share
//!   family given without its column, the item-group column.
//! - `rule`: see [`Rule`]; `threshold`: a finite number in the rule's units.
//! - `significant_only` (default `true`): see [`Rule`] for what "significant" means per rule.
//!
//! Names, rules and their combinations are checked here ([`Policy::parse`]); columns by
//! [`Policy::check_columns`] against the users table's header (before the audit)
//! or an audit's slices (before judging an `audit.json`). Every error lists the valid names.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::rule::{resolve_metric, valid_metric_names, Gate, Rule, Target, NMI, OVERALL};
use crate::metrics::registry;
use crate::metrics::Better;

/// A validated policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// Where it was read from, when from a file.
    pub path: Option<PathBuf>,
    /// The gates, in file order.
    pub gates: Vec<Gate>,
}

/// A bad policy, or a policy that does not fit the audit it judges.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}{}{message}", path.as_ref().map(|p| format!("{}: ", p.display())).unwrap_or_default(), gate.map(|g| format!("gate {g}: ")).unwrap_or_default())]
pub struct PolicyError {
    /// The policy file.
    pub path: Option<PathBuf>,
    /// 1-based index of the gate in the file.
    pub gate: Option<usize>,
    /// What is wrong, with the valid names.
    pub message: String,
}

/// The policy file as written. Unknown keys are collected while it is read ([`Policy::parse`]) and
/// reported with the nearest valid key.
#[derive(Debug, Deserialize)]
struct RawPolicy {
    #[serde(default)]
    gate: Vec<RawGate>,
}

/// The keys of a `[[gate]]` (the fields of [`RawGate`]).
const GATE_KEYS: [&str; 6] = [
    "name",
    "metric",
    "slice",
    "rule",
    "threshold",
    "significant_only",
];

#[derive(Debug, Deserialize)]
struct RawGate {
    name: Option<String>,
    metric: Option<String>,
    slice: Option<String>,
    rule: String,
    threshold: f64,
    #[serde(default = "yes")]
    significant_only: bool,
}

fn yes() -> bool {
    true
}

fn valid_rules() -> String {
    Rule::ALL.map(Rule::name).join(", ")
}

impl Policy {
    /// Reads and validates a policy file (names, rules, thresholds; not yet the columns).
    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        let text = crate::input::files::read_text_file(path).map_err(|why| PolicyError {
            path: Some(path.to_path_buf()),
            gate: None,
            message: format!("cannot read the policy: {why}"),
        })?;
        let mut p = Policy::parse(&text).map_err(|mut e| {
            e.path = Some(path.to_path_buf());
            e
        })?;
        p.path = Some(path.to_path_buf());
        Ok(p)
    }

    /// Parses and validates policy TOML text.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        let mut unknown: Vec<(Option<usize>, String)> = Vec::new();
        let parsed: Result<RawPolicy, toml::de::Error> =
            serde_ignored::deserialize(toml::Deserializer::new(text), |path| {
                unknown.push(unknown_key(&path))
            });
        // An unknown key comes first: a misspelt key is often why a required one is missing.
        if let Some((gate, key)) = unknown.into_iter().next() {
            let message = match gate {
                Some(_) => format!(
                    "unknown key `{key}`{}; keys of a [[gate]]: {}",
                    did_you_mean(&key, &GATE_KEYS),
                    GATE_KEYS.join(", ")
                ),
                None => format!(
                    "unknown section `{key}`{}; a policy holds [[gate]] tables only",
                    did_you_mean(&key, &["gate"])
                ),
            };
            return Err(PolicyError {
                path: None,
                gate,
                message,
            });
        }
        let raw = parsed.map_err(|e| PolicyError {
            path: None,
            gate: None,
            message: format!(
                "{}(valid rules: {}; keys of a [[gate]]: {})",
                e.to_string().trim_end().to_string() + "\n",
                valid_rules(),
                GATE_KEYS.join(", ")
            ),
        })?;
        if raw.gate.is_empty() {
            return Err(PolicyError {
                path: None,
                gate: None,
                message: "the policy has no gate; add [[gate]] tables with metric, slice, rule and threshold".into(),
            });
        }
        let gates = raw
            .gate
            .into_iter()
            .enumerate()
            .map(|(i, g)| {
                validate_gate(g).map_err(|message| PolicyError {
                    path: None,
                    gate: Some(i + 1),
                    message,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Policy { path: None, gates })
    }
}

/// The 1-based gate and the key of an unknown key's path (`gate.0.thresh` → gate 1, `thresh`).
fn unknown_key(path: &serde_ignored::Path) -> (Option<usize>, String) {
    use serde_ignored::Path;
    match path {
        Path::Map { parent, key } => match parent {
            Path::Seq { index, .. } => (Some(index + 1), key.clone()),
            _ => (None, key.clone()),
        },
        other => (None, other.to_string()),
    }
}

/// Jaro–Winkler similarity from which a valid name is suggested for an unknown one: the keys,
/// rules and metrics of a policy, and the keys of the settings file.
pub const SUGGESTION_SIMILARITY: f64 = 0.8;

/// The name of `valid` nearest to `name` by Jaro–Winkler similarity, when it reaches
/// [`SUGGESTION_SIMILARITY`] (of equally near names, the last).
pub fn nearest_name<'a, S: AsRef<str>>(name: &str, valid: &'a [S]) -> Option<&'a S> {
    valid
        .iter()
        .map(|v| (strsim::jaro_winkler(name, v.as_ref()), v))
        .filter(|(score, _)| *score >= SUGGESTION_SIMILARITY)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, v)| v)
}

/// ` (did you mean `x`?)` with the name of `valid` nearest to `name` ([`nearest_name`]), or nothing
/// when none is near.
pub fn did_you_mean(name: &str, valid: &[&str]) -> String {
    nearest_name(name, valid)
        .map(|v| format!(" (did you mean `{v}`?)"))
        .unwrap_or_default()
}

fn validate_gate(g: RawGate) -> Result<Gate, String> {
    let rule = Rule::ALL
        .into_iter()
        .find(|r| r.name() == g.rule)
        .ok_or_else(|| {
            format!(
                "unknown rule `{}`{}; valid rules: {}",
                g.rule,
                did_you_mean(&g.rule, &Rule::ALL.map(Rule::name)),
                valid_rules()
            )
        })?;
    let implied = match rule {
        Rule::MaxShareNarrowed => Some("narrowed"),
        Rule::MaxNmi => Some(NMI),
        _ => None,
    };
    let metric = match (&g.metric, implied) {
        (Some(m), Some(i)) if m != i => {
            return Err(format!(
            "rule {rule} always judges the metric `{i}`; drop `metric = \"{m}\"` or use max_value"
        ))
        }
        (Some(m), _) => m.clone(),
        (None, Some(i)) => i.to_string(),
        (None, None) => {
            return Err(format!(
                "missing `metric` for rule {rule}; valid metrics: {}",
                valid_metric_names()
            ))
        }
    };
    let target = resolve_metric(&metric).ok_or_else(|| {
        let names: Vec<&str> = registry::METRICS.iter().map(|d| d.key).collect();
        format!(
            "unknown metric `{metric}`{}; valid metrics: {}",
            did_you_mean(&metric, &names),
            valid_metric_names()
        )
    })?;
    let slice = g
        .slice
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| OVERALL.to_string());
    if slice.is_empty() {
        return Err(format!(
            "empty `slice`; use \"{OVERALL}\" or a slice column"
        ));
    }
    let t = g.threshold;
    if !t.is_finite() {
        return Err(format!("threshold {t} must be a finite number"));
    }

    // `exposure_share_provider` with slice = "provider" means the same as with "overall".
    let slice = match &target {
        Target::Share {
            column: Some(c), ..
        } if *c == slice => OVERALL.to_string(),
        _ => slice,
    };
    let share_without_column = matches!(target, Target::Share { column: None, .. });
    if share_without_column && slice == OVERALL {
        return Err(format!(
            "`{metric}` is a share family: name the item-group column, as `{metric}_provider` or with slice = \"provider\""
        ));
    }
    let fits = match (&target, rule) {
        (Target::User { .. }, Rule::MaxNmi) => false,
        (_, Rule::MaxSubgroupGap) => matches!(target, Target::User { .. }),
        (Target::User { .. }, _) => true,
        (Target::Scalar { .. } | Target::Share { .. }, r) => {
            matches!(r, Rule::MaxValue | Rule::MinValue | Rule::MaxRegression)
        }
        (Target::Nmi, r) => r == Rule::MaxNmi,
    };
    if !fits {
        let hint = match &target {
            Target::User { .. } => "per-user metrics take min_ratio, max_difference, max_value, min_value, max_share_narrowed (narrowed), max_regression and max_subgroup_gap",
            Target::Scalar { .. } | Target::Share { .. } => "corpus metrics and shares have no per-group disparity: they take max_value, min_value and max_regression",
            Target::Nmi => "nmi takes max_nmi only",
        };
        return Err(format!("rule {rule} does not apply to `{metric}`: {hint}"));
    }
    match rule {
        Rule::MinRatio | Rule::MaxDifference | Rule::MaxNmi if slice == OVERALL => {
            return Err(format!(
                "rule {rule} compares the groups of a slice column: set `slice` to a slice column, not \"{OVERALL}\""
            ));
        }
        Rule::MaxSubgroupGap if slice != OVERALL => {
            return Err(format!(
                "rule {rule} judges the subgroups found across every slice column: leave `slice` out (or set it to \"{OVERALL}\"), not `{slice}`"
            ));
        }
        Rule::MinRatio if target.better() != Better::Higher => {
            return Err(format!(
                "min_ratio reads \"a group gets less than threshold × the reference's share of a good thing\" and needs a higher-is-better metric; `{metric}` is not: use max_difference or max_value"
            ));
        }
        _ => {}
    }
    let range_ok = match rule {
        Rule::MinRatio => t > 0.0,
        Rule::MaxDifference | Rule::MaxRegression | Rule::MaxSubgroupGap => t >= 0.0,
        Rule::MaxShareNarrowed | Rule::MaxNmi => (0.0..=1.0).contains(&t),
        Rule::MaxValue | Rule::MinValue => true,
    };
    if !range_ok {
        let want = match rule {
            Rule::MinRatio => "> 0",
            Rule::MaxShareNarrowed | Rule::MaxNmi => "in [0, 1]",
            _ => "≥ 0",
        };
        return Err(format!("threshold {t} of rule {rule} must be {want}"));
    }
    Ok(Gate {
        name: g.name,
        metric,
        target,
        slice,
        rule,
        threshold: t,
        significant_only: g.significant_only,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        Policy::parse(text).unwrap_err().to_string()
    }

    #[test]
    fn parses_every_rule() {
        let p = Policy::parse(
            r#"
            [[gate]]
            metric = "ndcg"
            slice = "gender"
            rule = "min_ratio"
            threshold = 0.8
            [[gate]]
            name = "recall gap"
            metric = "recall"
            slice = "age_band"
            rule = "max_difference"
            threshold = 0.05
            significant_only = false
            [[gate]]
            metric = "miscalibration"
            rule = "max_value"
            threshold = 0.3
            [[gate]]
            metric = "catalog_coverage"
            rule = "min_value"
            threshold = 0.2
            [[gate]]
            rule = "max_share_narrowed"
            slice = "age_band"
            threshold = 0.3
            [[gate]]
            rule = "max_nmi"
            slice = "region"
            threshold = 0.2
            [[gate]]
            metric = "ndcg"
            rule = "max_regression"
            threshold = 0.01
            [[gate]]
            metric = "disparate_exposure_ratio_catalog"
            slice = "provider"
            rule = "min_value"
            threshold = 0.8
            "#,
        )
        .unwrap();
        assert_eq!(p.gates.len(), 8);
        assert!(p.gates[0].significant_only);
        assert!(!p.gates[1].significant_only);
        assert_eq!(p.gates[1].label(), "recall gap");
        assert_eq!(p.gates[2].slice, OVERALL);
        assert_eq!(p.gates[4].metric, "narrowed");
        assert_eq!(p.gates[5].target, Target::Nmi);
        assert_eq!(
            p.gates[7].target,
            Target::Share {
                family: "disparate_exposure_ratio_catalog".into(),
                column: None
            }
        );
        assert!(p.gates[7].slice_is_item_column());
    }

    #[test]
    fn unknown_metric_lists_valid_names() {
        let e = err("[[gate]]\nmetric = \"ndgc\"\nslice = \"gender\"\nrule = \"min_ratio\"\nthreshold = 0.8\n");
        assert!(e.contains("gate 1: unknown metric `ndgc`"), "{e}");
        for name in [
            "ndcg",
            "recall",
            "catalog_coverage",
            "exposure_share",
            "nmi",
        ] {
            assert!(e.contains(name), "{name} missing from: {e}");
        }
    }

    #[test]
    fn unknown_rule_and_key_list_valid_names() {
        let e = err("[[gate]]\nmetric = \"ndcg\"\nrule = \"min_ratoi\"\nthreshold = 0.8\n");
        assert!(
            e.contains("min_ratoi") && e.contains("max_regression"),
            "{e}"
        );
        let e = err("[[gate]]\nmetric = \"ndcg\"\nrule = \"max_value\"\nthresh = 0.8\n");
        assert!(e.contains("thresh") && e.contains("threshold"), "{e}");
        let e = err("[[gates]]\nmetric = \"ndcg\"\n");
        assert!(e.contains("gates"), "{e}");
        assert!(err("").contains("no gate"));
    }

    #[test]
    fn unknown_names_suggest_the_nearest() {
        assert_eq!(
            err("[[gate]]\nmetric = \"ndcg\"\nrule = \"max_value\"\nthreshold = 0.8\n[[gate]]\nmetric = \"ndcg\"\nrule = \"max_value\"\nthresh = 0.8\n"),
            "gate 2: unknown key `thresh` (did you mean `threshold`?); keys of a [[gate]]: name, metric, slice, rule, threshold, significant_only"
        );
        assert_eq!(
            err("[[gates]]\nmetric = \"ndcg\"\n"),
            "unknown section `gates` (did you mean `gate`?); a policy holds [[gate]] tables only"
        );
        assert_eq!(
            err("[[gate]]\nmetric = \"ndcg\"\nrule = \"min_ratoi\"\nthreshold = 0.8\n"),
            "gate 1: unknown rule `min_ratoi` (did you mean `min_ratio`?); valid rules: min_ratio, max_difference, max_value, min_value, max_share_narrowed, max_nmi, max_regression, max_subgroup_gap"
        );
        let e = err("[[gate]]\nmetric = \"ndgc\"\nrule = \"max_value\"\nthreshold = 0.8\n");
        assert!(
            e.starts_with("gate 1: unknown metric `ndgc` (did you mean `ndcg`?); valid metrics: per-user metrics: precision,"),
            "{e}"
        );
        let e = err("[[gate]]\nmetric = \"zzz\"\nrule = \"max_value\"\nthreshold = 0.8\n");
        assert!(
            e.starts_with("gate 1: unknown metric `zzz`; valid metrics:"),
            "{e}"
        );
    }

    #[test]
    fn rejects_rules_that_do_not_fit() {
        let e = err("[[gate]]\nmetric = \"ndcg\"\nrule = \"min_ratio\"\nthreshold = 0.8\n");
        assert!(e.contains("slice column"), "{e}");
        let e = err("[[gate]]\nmetric = \"arp\"\nslice = \"gender\"\nrule = \"min_ratio\"\nthreshold = 0.8\n");
        assert!(e.contains("higher-is-better"), "{e}");
        let e = err("[[gate]]\nmetric = \"catalog_coverage\"\nslice = \"gender\"\nrule = \"max_difference\"\nthreshold = 0.1\n");
        assert!(e.contains("does not apply"), "{e}");
        let e = err("[[gate]]\nmetric = \"ndcg\"\nslice = \"gender\"\nrule = \"max_nmi\"\nthreshold = 0.1\n");
        assert!(e.contains("always judges the metric `nmi`"), "{e}");
        let e = err("[[gate]]\nrule = \"max_nmi\"\nslice = \"gender\"\nthreshold = 1.5\n");
        assert!(e.contains("[0, 1]"), "{e}");
        let e =
            err("[[gate]]\nmetric = \"exposure_share\"\nrule = \"max_value\"\nthreshold = 0.5\n");
        assert!(e.contains("item-group column"), "{e}");
    }

    #[test]
    fn max_subgroup_gap_takes_a_per_user_metric_over_every_column() {
        let e = err("[[gate]]\nmetric = \"ndcg\"\nslice = \"gender\"\nrule = \"max_subgroup_gap\"\nthreshold = 0.1\n");
        assert!(e.contains("leave `slice` out"), "{e}");
        let e = err("[[gate]]\nmetric = \"gini_exposure_log\"\nrule = \"max_subgroup_gap\"\nthreshold = 0.1\n");
        assert!(e.contains("does not apply"), "{e}");
        let e = err("[[gate]]\nmetric = \"ndcg\"\nrule = \"max_subgroup_gap\"\nthreshold = -0.1\n");
        assert!(e.contains("must be ≥ 0"), "{e}");
    }
}
