//! A gate's parts, validated: its [`Rule`], the [`Target`] its metric refers to in an audit, and
//! the [`Gate`] itself. Metric names resolve through the
//! [metric registry](crate::metrics::registry), the one list of metric keys and directions.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::metrics::registry::{self, Kind};
use crate::metrics::Better;

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
/// - `max_subgroup_gap`: the subgroup search publishes only findings whose Benjamini–Yekutieli
///   adjusted p-value is ≤ α, so every judged gap is significant.
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
    /// The gap of every subgroup the subgroup search found significantly worse off than the rest
    /// of the users on a per-user metric (`subgroups.findings` of audit.json) must be ≤ threshold,
    /// in the metric's units.
    MaxSubgroupGap,
}

impl Rule {
    /// Every rule, in documentation order.
    pub const ALL: [Rule; 8] = [
        Rule::MinRatio,
        Rule::MaxDifference,
        Rule::MaxValue,
        Rule::MinValue,
        Rule::MaxShareNarrowed,
        Rule::MaxNmi,
        Rule::MaxRegression,
        Rule::MaxSubgroupGap,
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
            Rule::MaxSubgroupGap => "max_subgroup_gap",
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

/// What a gate's metric refers to in an [`AuditResult`](crate::result::AuditResult).
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::AuditConfig;
    use crate::gate::{compare, evaluate, Policy, Status};

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

    /// Audits a small generated dataset; every metric the audit writes must be known to the policy,
    /// and a policy with every rule evaluates on it.
    #[test]
    fn known_metric_names_cover_a_real_audit() {
        use crate::generate::{generate, GeneratorConfig, Plants};
        let dir = tempfile::tempdir().unwrap();
        let gen = GeneratorConfig {
            n_users: 300,
            n_items: 200,
            plants: Plants {
                worse_group: true,
                narrow_group: true,
                ..Plants::none()
            },
            ..GeneratorConfig::default()
        };
        let files = generate(&gen, dir.path()).unwrap();
        let mut cfg = AuditConfig::default();
        cfg.paths.recs = files.recs;
        cfg.paths.users = files.users;
        cfg.paths.items = Some(files.items);
        cfg.paths.truth = Some(files.truth);
        cfg.paths.history = Some(files.history);
        cfg.stats.resamples = 50;
        cfg.stats.permutations = 50;
        let result = crate::audit::audit(&cfg).unwrap();

        for name in result.metrics.keys() {
            assert!(
                matches!(resolve_metric(name), Some(Target::User { .. })),
                "per-user metric `{name}` is not a per-user metric of the registry"
            );
        }
        for name in result.corpus.overall.scalars.keys() {
            assert!(
                matches!(resolve_metric(name), Some(Target::Scalar { .. })),
                "corpus metric `{name}` is not a corpus metric of the registry"
            );
        }
        for name in result.corpus.overall.shares.keys() {
            assert!(
                matches!(
                    resolve_metric(name),
                    Some(Target::Share {
                        column: Some(_),
                        ..
                    })
                ),
                "share `{name}` does not resolve to a share family of the registry"
            );
        }

        let p = Policy::parse(
            r#"
            [[gate]]
            metric = "ndcg"
            slice = "gender"
            rule = "min_ratio"
            threshold = 0.8
            [[gate]]
            metric = "recall"
            slice = "age_band"
            rule = "max_difference"
            threshold = 0.1
            [[gate]]
            metric = "miscalibration"
            rule = "max_value"
            threshold = 2.0
            [[gate]]
            metric = "catalog_coverage"
            rule = "min_value"
            threshold = 0.1
            [[gate]]
            rule = "max_share_narrowed"
            slice = "age_band"
            threshold = 0.5
            [[gate]]
            rule = "max_nmi"
            slice = "region"
            threshold = 0.5
            [[gate]]
            metric = "disparate_exposure_ratio_catalog"
            slice = "provider"
            rule = "min_value"
            threshold = 0.5
            [[gate]]
            metric = "ndcg"
            slice = "gender"
            rule = "max_regression"
            threshold = 0.02
            "#,
        )
        .unwrap();
        let cmp = compare(&result, &result);
        assert_eq!(cmp.significant().count(), 0);
        let report = evaluate(&result, &p, Some(&cmp)).unwrap();
        assert!(report.outcomes.len() >= 8, "{:#?}", report.lines());
        // Comparing an audit with itself: every regression gate passes.
        assert!(report
            .outcomes
            .iter()
            .filter(|o| o.rule == Rule::MaxRegression)
            .all(|o| o.status != Status::Fail));
    }
}
