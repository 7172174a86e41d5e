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
//! Names, rules and their combinations are checked by [`Policy::parse`]; columns by
//! [`Policy::check_columns`] against the users table's header (before the audit) or an audit's
//! slices (before judging an `audit.json`). Every error lists the valid names.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::metrics::registry::{self, Kind};
use crate::metrics::Better;
use crate::result::AuditResult;
use crate::text::visible;

/// The slice value that means "all audited users".
pub const OVERALL: &str = "overall";

/// The segregation metric's key: NMI between slice groups and list clusters, per slice column.
pub const NMI: &str = registry::NMI.key;

/// The keys of the registry's metrics of `kind`, in registry order.
pub(crate) fn keys_of(kind: Kind) -> impl Iterator<Item = &'static str> {
    registry::of_kind(kind).map(|d| d.key)
}

/// A gate's rule.
///
/// "Significant" (with `significant_only = true`, the default) means, per rule:
/// - `min_ratio`, `max_difference`: the group comparison is significant (BH-adjusted p < α, the
///   difference interval excludes 0 and the ratio interval excludes 1; see
///   [`disparity`](crate::stats::disparity)).
/// - `max_value`, `min_value`, `max_share_narrowed`: the value's interval lies entirely beyond the
///   threshold. A value without an interval (corpus values, `--bootstrap 0`) is judged by its point.
/// - `max_nmi`: the NMI has no interval; its point is judged.
/// - `max_regression`: the change's z-test p-value (see [`compare`](super::compare())),
///   Benjamini–Hochberg adjusted across the rows the gate judges, is below α.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Each group's ratio to the reference group (group / reference) must be ≥ threshold. For
    /// higher-is-better per-user metrics, on a slice column.
    MinRatio,
    /// Each group's |difference| to the reference group must be ≤ threshold. Per-user metrics, on a
    /// slice column.
    MaxDifference,
    /// The value (overall or per group) must be ≤ threshold.
    MaxValue,
    /// The value (overall or per group) must be ≥ threshold.
    MinValue,
    /// The share of narrowed users (the mean of `narrowed`, overall or per group) must be ≤
    /// threshold.
    MaxShareNarrowed,
    /// The segregation NMI of a slice column must be ≤ threshold.
    MaxNmi,
    /// The change from the baseline audit in the worse direction (per the metric's `better`; the
    /// absolute change for neutral metrics), overall or per group, must be ≤ threshold, in the
    /// metric's units.
    MaxRegression,
}

impl Rule {
    /// Every rule, in documentation order.
    pub const ALL: [Rule; 7] = [
        Rule::MinRatio,
        Rule::MaxDifference,
        Rule::MaxValue,
        Rule::MinValue,
        Rule::MaxShareNarrowed,
        Rule::MaxNmi,
        Rule::MaxRegression,
    ];

    /// The name used in the policy file.
    pub fn name(self) -> &'static str {
        match self {
            Rule::MinRatio => "min_ratio",
            Rule::MaxDifference => "max_difference",
            Rule::MaxValue => "max_value",
            Rule::MinValue => "min_value",
            Rule::MaxShareNarrowed => "max_share_narrowed",
            Rule::MaxNmi => "max_nmi",
            Rule::MaxRegression => "max_regression",
        }
    }

    /// True when the threshold is a lower bound.
    pub fn is_min(self) -> bool {
        matches!(self, Rule::MinRatio | Rule::MinValue)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a gate's metric refers to in an [`AuditResult`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    /// A per-user metric (`result.metrics[name]`).
    User {
        /// The metric name.
        name: String,
    },
    /// A corpus scalar (`result.corpus.*.scalars[name]`).
    Scalar {
        /// The scalar's name.
        name: String,
    },
    /// A share family per item group (`result.corpus.*.shares["<family>_<column>"]`).
    Share {
        /// The key of a share family of the registry.
        family: String,
        /// The item-group column; `None` when the gate's `slice` names it.
        column: Option<String>,
    },
    /// Segregation NMI per slice column.
    Nmi,
}

impl Target {
    /// The better direction (neutral for shares and NMI, whose gates are bounds).
    pub fn better(&self) -> Better {
        match self {
            Target::User { name } | Target::Scalar { name } => {
                registry::definition(name).map_or(Better::Neutral, |d| d.better)
            }
            Target::Share { .. } => Better::Neutral,
            Target::Nmi => registry::NMI.better,
        }
    }

    /// The key in the result: the metric name, or `<family>_<column>` for shares (`column` is the
    /// gate's item-group column when the metric does not name it).
    pub fn key(&self, item_column: Option<&str>) -> String {
        match self {
            Target::User { name } | Target::Scalar { name } => name.clone(),
            Target::Share { family, column } => match column.as_deref().or(item_column) {
                Some(c) => format!("{family}_{c}"),
                None => family.clone(),
            },
            Target::Nmi => NMI.to_string(),
        }
    }
}

/// One gate, validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gate {
    /// The optional name from the file.
    pub name: Option<String>,
    /// The metric as written (or the rule's implied metric).
    pub metric: String,
    /// What the metric refers to.
    pub target: Target,
    /// `overall`, a slice column, or an item-group column.
    pub slice: String,
    /// The rule.
    pub rule: Rule,
    /// The threshold.
    pub threshold: f64,
    /// Whether a breach must be significant to fail (default true).
    pub significant_only: bool,
}

impl Gate {
    /// `name`, or `rule metric slice`.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None => format!("{} {} {}", self.rule, self.metric, self.slice),
        }
    }

    /// True when `slice` is `overall`.
    pub fn is_overall(&self) -> bool {
        self.slice == OVERALL
    }

    /// True when `slice` names an item-group column (a share family given without its column).
    pub fn slice_is_item_column(&self) -> bool {
        matches!(&self.target, Target::Share { column: None, .. })
    }
}

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

/// Every valid metric name, grouped, for error messages.
pub fn valid_metric_names() -> String {
    let names = |kind| keys_of(kind).collect::<Vec<_>>().join(", ");
    format!(
        "per-user metrics: {}; corpus metrics: {}; shares per item group (write `<family>_<item column>`, or the family with the item column as `slice`): {}; segregation: {NMI}",
        names(Kind::PerUser),
        names(Kind::Corpus),
        names(Kind::ItemGroupShares)
    )
}

fn valid_rules() -> String {
    Rule::ALL.map(Rule::name).join(", ")
}

/// Resolves a metric name to its [`Target`], or `None` when unknown.
pub fn resolve_metric(metric: &str) -> Option<Target> {
    if let Some(d) = registry::definition(metric) {
        return Some(match d.kind {
            Kind::PerUser => Target::User {
                name: metric.to_string(),
            },
            Kind::Corpus => Target::Scalar {
                name: metric.to_string(),
            },
            Kind::ItemGroupShares => Target::Share {
                family: metric.to_string(),
                column: None,
            },
            Kind::PerSliceColumn => Target::Nmi,
        });
    }
    registry::share_family_of(metric).map(|(d, column)| Target::Share {
        family: d.key.to_string(),
        column: Some(column.to_string()),
    })
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

    /// Checks every gate's `slice` against the slice columns of the users table (and the
    /// intersections asked for) and, when known, the item-group columns. Call it before the audit
    /// reads the data, with the users table's header; [`Policy::check_result`] does it for an
    /// `audit.json`.
    pub fn check_columns(
        &self,
        slice_columns: &[String],
        item_columns: Option<&[String]>,
    ) -> Result<(), PolicyError> {
        for (i, g) in self.gates.iter().enumerate() {
            let err = |message: String| PolicyError {
                path: self.path.clone(),
                gate: Some(i + 1),
                message,
            };
            if g.slice_is_item_column() {
                if let Some(items) = item_columns {
                    if !items.contains(&g.slice) {
                        return Err(err(format!(
                            "unknown item-group column `{}` for `{}`; valid item-group columns: {}",
                            visible(&g.slice),
                            visible(&g.metric),
                            list_or_none(items)
                        )));
                    }
                }
                continue;
            }
            if let (
                Target::Share {
                    column: Some(c), ..
                },
                Some(items),
            ) = (&g.target, item_columns)
            {
                if !items.iter().any(|x| x == c) {
                    return Err(err(format!(
                        "`{}` names the item-group column `{}`, which does not exist; valid item-group columns: {}",
                        visible(&g.metric),
                        visible(c),
                        list_or_none(items)
                    )));
                }
            }
            if g.is_overall() {
                continue;
            }
            if canonical_slice(&g.slice, slice_columns).is_none() {
                return Err(err(format!(
                    "unknown slice column `{}`; valid slices: {OVERALL}, {}",
                    visible(&g.slice),
                    list_or_none(slice_columns)
                )));
            }
        }
        Ok(())
    }

    /// [`Policy::check_columns`] against the slices and item groups of an audit, after rewriting
    /// `gender,age_band` spellings to the audit's intersection names.
    pub fn check_result(&mut self, result: &AuditResult) -> Result<(), PolicyError> {
        let (slices, items) = columns_of(result);
        self.check_columns(&slices, Some(&items))?;
        for g in &mut self.gates {
            if !g.is_overall() && !g.slice_is_item_column() {
                if let Some(c) = canonical_slice(&g.slice, &slices) {
                    g.slice = c;
                }
            }
        }
        Ok(())
    }
}

/// The slice columns and item-group columns of an audit.
pub fn columns_of(result: &AuditResult) -> (Vec<String>, Vec<String>) {
    let slices = result.slices.keys().cloned().collect();
    let mut items: Vec<String> = result
        .corpus
        .overall
        .shares
        .keys()
        .filter_map(|k| k.strip_prefix("exposure_share_").map(str::to_string))
        .chain(result.corpus.exposure_share_intervals.keys().cloned())
        .collect();
    items.sort();
    items.dedup();
    (slices, items)
}

/// The slice column named `slice`: exactly (a column, or an intersection's key
/// `["a","b"]`), or as `a,b` for the intersection of `a` and `b`.
pub fn canonical_slice(slice: &str, slice_columns: &[String]) -> Option<String> {
    if slice_columns.iter().any(|c| c == slice) {
        return Some(slice.to_string());
    }
    let parts: Vec<&str> = slice.split(',').map(str::trim).collect();
    let key = crate::slices::intersection_key(&parts);
    slice_columns.iter().find(|c| **c == key).cloned()
}

/// The names comma-separated as [`visible`] shows them, or `(none)`.
fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "(none)".into()
    } else {
        names
            .iter()
            .map(|n| visible(n))
            .collect::<Vec<_>>()
            .join(", ")
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

/// ` (did you mean `x`?)` with the name of `valid` nearest to `name`, or nothing when none is near
/// (Jaro–Winkler similarity of at least 0.8, as for the settings file).
pub fn did_you_mean(name: &str, valid: &[&str]) -> String {
    valid
        .iter()
        .map(|v| (strsim::jaro_winkler(name, v), v))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, v)| format!(" (did you mean `{v}`?)"))
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
        (Target::User { .. }, _) => true,
        (Target::Scalar { .. } | Target::Share { .. }, r) => {
            matches!(r, Rule::MaxValue | Rule::MinValue | Rule::MaxRegression)
        }
        (Target::Nmi, r) => r == Rule::MaxNmi,
    };
    if !fits {
        let hint = match &target {
            Target::User { .. } => "per-user metrics take min_ratio, max_difference, max_value, min_value, max_share_narrowed (narrowed) and max_regression",
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
        Rule::MinRatio if target.better() != Better::Higher => {
            return Err(format!(
                "min_ratio reads \"a group gets less than threshold × the reference's share of a good thing\" and needs a higher-is-better metric; `{metric}` is not: use max_difference or max_value"
            ));
        }
        _ => {}
    }
    let range_ok = match rule {
        Rule::MinRatio => t > 0.0,
        Rule::MaxDifference | Rule::MaxRegression => t >= 0.0,
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
    fn resolves_share_names() {
        assert_eq!(
            resolve_metric("exposure_share_provider"),
            Some(Target::Share {
                family: "exposure_share".into(),
                column: Some("provider".into())
            })
        );
        assert_eq!(
            resolve_metric("disparate_exposure_ratio_merit_popularity_band"),
            Some(Target::Share {
                family: "disparate_exposure_ratio_merit".into(),
                column: Some("popularity_band".into())
            })
        );
        assert_eq!(resolve_metric("exposure_share_"), None);
        assert_eq!(resolve_metric("exposure_sharex"), None);
        assert_eq!(resolve_metric("ndgc"), None);
        let p = Policy::parse(
            "[[gate]]\nmetric = \"exposure_share_provider\"\nslice = \"provider\"\nrule = \"max_value\"\nthreshold = 0.7\n",
        )
        .unwrap();
        assert_eq!(p.gates[0].slice, OVERALL);
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
            "gate 1: unknown rule `min_ratoi` (did you mean `min_ratio`?); valid rules: min_ratio, max_difference, max_value, min_value, max_share_narrowed, max_nmi, max_regression"
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
    fn checks_columns() {
        let p = Policy::parse(
            "[[gate]]\nmetric = \"ndcg\"\nslice = \"gender,age_band\"\nrule = \"min_ratio\"\nthreshold = 0.8\n",
        )
        .unwrap();
        let cols = vec!["gender".to_string(), r#"["gender","age_band"]"#.to_string()];
        p.check_columns(&cols, None).unwrap();
        let e = p.check_columns(&cols[..1], None).unwrap_err().to_string();
        assert!(e.contains("unknown slice column `gender,age_band`"), "{e}");
        assert!(e.contains("overall, gender"), "{e}");

        let p = Policy::parse(
            "[[gate]]\nmetric = \"exposure_share\"\nslice = \"studio\"\nrule = \"max_value\"\nthreshold = 0.5\n",
        )
        .unwrap();
        let items = vec!["provider".to_string()];
        let e = p
            .check_columns(&cols, Some(&items))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("item-group column `studio`") && e.contains("provider"),
            "{e}"
        );
        p.check_columns(&cols, None).unwrap();
    }
}
