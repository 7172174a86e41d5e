//! [`AuditResult`]: every number of an audit, as one typed value. It is written as `audit.json`
//! (the field docs below are the JSON schema; key names are stable within a `schema_version`) and
//! read back by `recaudit report`, `recaudit gate` and `recaudit compare`.
//!
//! Privacy: the result holds aggregates only: counts, means, shares and intervals per published
//! slice group. No user id and no input row is ever stored in it, and a group that is not
//! published (fewer than `min_slice_size` users, or withheld by complementary suppression) is
//! counted, never named or sized.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::gate::GateResults;
use crate::input::InputSummary;
use crate::metrics::bubble::SliceTrend;
use crate::metrics::bubble::SnapshotValues;
use crate::metrics::exposure::ExposureOwed;
use crate::metrics::segregation::Segregation;
use crate::metrics::{registry, Better, CorpusValues};
use crate::privacy::PrivacyReport;
use crate::provenance::Provenance;
use crate::settings::AuditConfig;
use crate::slices::reference::ReferenceRule;
use crate::slices::selection::SkippedColumn;
use crate::slices::subgroups::SubgroupSearch;
use crate::stats::{Disparity, Estimate, GroupComparison, Quantiles};

mod nulls;

pub use nulls::NullReasons;

/// The version of the JSON layout; bumped when a key changes meaning or place.
pub const SCHEMA_VERSION: u32 = 3;

/// Every number of one audit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditResult {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// `recaudit` and its version.
    pub tool: Tool,
    /// Every setting the audit ran with (cutoff, thresholds, seed, resamples, column names, paths).
    pub settings: AuditConfig,
    /// What was read and what was left out, with reasons.
    pub input: InputSummary,
    /// Plain-language notes: skipped metric families and why, suppression, conventions that
    /// applied.
    pub notes: Vec<String>,
    /// Users-table columns that were not audited, by name, with the reason (never their values).
    pub skipped_slice_columns: Vec<SkippedColumn>,
    /// Slice columns: their published groups and sizes, how many groups were not published, and
    /// the reference group chosen with `--reference`. A plain column is keyed by its name, an intersection by the JSON array
    /// of its columns' names (`["gender","age_band"]`).
    pub slices: BTreeMap<String, SliceSummary>,
    /// Per-user metrics averaged overall and per slice group, with intervals and disparities.
    pub metrics: BTreeMap<String, MetricResult>,
    /// Subgroups (intersections of up to three slice columns) significantly worse off than the
    /// rest of the users on a per-user metric, found by searching every combination, with the
    /// false discovery rate controlled over the search (docs/statistics.md).
    #[serde(default)]
    pub subgroups: SubgroupSearch,
    /// The observation propensities of the SNIPS quality metrics: where they came from and the γ
    /// of the popularity model; absent when no SNIPS metric was computed, and from a
    /// differentially private audit (whose γ is the one in `settings`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub propensity: Option<PropensityModel>,
    /// Corpus metrics (coverage, Gini, exposure shares, ΔGAP), overall and per slice group.
    pub corpus: CorpusResult,
    /// Drift over snapshots, when the recommendations have several.
    pub over_time: Option<OverTimeResult>,
    /// Segregation of slices into list clusters, when items have categories.
    pub segregation: Option<Segregation>,
    /// What each metric key means: family, better direction, label, unit, meaning, formula and
    /// source, from the [metric registry](crate::metrics::registry). Written for readers of the file;
    /// read back as the registry of the reading version.
    #[serde(default)]
    pub definitions: Definitions,
    /// The policy's gates judged on this audit (`recaudit audit --policy`): verdict, counts and
    /// every outcome in policy order; `null` without a policy (see `nulls`).
    #[serde(default)]
    pub gates: Option<GateResults>,
    /// The input files read (path as given, size, SHA-256) and the policy (path, SHA-256, gates
    /// as parsed); `null` when the result was not written by `recaudit audit`.
    #[serde(default)]
    pub provenance: Option<Provenance>,
    /// A differentially private audit's guarantee, budget and what it published
    /// (`--dp-epsilon`, docs/privacy.md); absent from an exact audit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy: Option<PrivacyReport>,
    /// Why each `null` of this file is null: a JSON pointer (or a pattern of one, `*` standing
    /// for any key of a map) → the reason ([`NullReasons`]).
    #[serde(default)]
    pub nulls: NullReasons,
}

/// Where the propensities of the SNIPS metrics came from (`propensity` in `audit.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropensityModel {
    /// `truth` (the truth table's `propensity` column) or `popularity` (P ∝ pop^((γ+1)/2)).
    pub source: String,
    /// γ of the popularity model, as given or as fitted; absent with `source` = `truth`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gamma: Option<f64>,
    /// Whether γ was fitted to the audited lists (`propensity_gamma = "estimate"`).
    #[serde(default)]
    pub fitted: bool,
}

/// The registry's definitions, keyed by metric key in `audit.json`: every metric of the
/// registry, but those that need a baseline run's lists
/// ([`registry::needs_baseline_lists`]) only in an audit given them (`with_baseline_lists`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Definitions {
    /// The audit compared each user's list with a baseline run's (`--baseline-recs`).
    pub with_baseline_lists: bool,
}

impl Definitions {
    /// The definitions of an audit that computed `metrics`.
    pub fn of_metrics(metrics: &[crate::metrics::UserMetric]) -> Definitions {
        Definitions {
            with_baseline_lists: metrics
                .iter()
                .any(|m| registry::needs_baseline_lists(m.definition)),
        }
    }

    /// The definitions written: the registry's, in its order.
    pub fn metrics(&self) -> impl Iterator<Item = &'static registry::MetricDef> + '_ {
        registry::METRICS
            .iter()
            .copied()
            .filter(|d| self.with_baseline_lists || !registry::needs_baseline_lists(d))
    }
}

impl Serialize for Definitions {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.metrics().count()))?;
        for d in self.metrics() {
            map.serialize_entry(d.key, d)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Definitions {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let keys: BTreeMap<String, serde::de::IgnoredAny> = BTreeMap::deserialize(deserializer)?;
        Ok(Definitions {
            with_baseline_lists: registry::METRICS
                .iter()
                .any(|d| registry::needs_baseline_lists(d) && keys.contains_key(d.key)),
        })
    }
}

/// Name and version of the tool that wrote the result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    /// Always `recaudit`.
    pub name: String,
    /// The crate version.
    pub version: String,
}

impl Default for Tool {
    fn default() -> Self {
        Tool {
            name: env!("CARGO_PKG_NAME").to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// One slice column's groups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SliceSummary {
    /// The users-table columns: one, or the 2–3 of an intersection.
    pub columns: Vec<String>,
    /// The reference group chosen with `--reference` (settings `slices.reference`) when it is
    /// published; `null` when none is chosen. Each metric's disparities name their own reference
    /// and the rule that chose it ([`DisparityResult::reference`]).
    pub chosen_reference: Option<String>,
    /// Published groups by label (an intersection's labels are the JSON arrays of their values).
    pub groups: BTreeMap<String, GroupSummary>,
    /// Groups with fewer than `min_slice_size` users: not published, not named, not sized.
    pub groups_too_small: usize,
    /// Groups large enough but withheld (complementary suppression) so that the small ones cannot
    /// be recovered by subtracting published figures; not published either.
    pub groups_withheld: usize,
}

/// Size of one published slice group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSummary {
    /// Users in the group.
    pub n_users: usize,
    /// For an intersection: its value in each column (column → value).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, String>,
}

/// A per-user metric, overall and per slice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricResult {
    /// The family (`quality`, `popularity`, `diversity`, `calibration`, `bubble`).
    pub family: String,
    /// Which direction is better.
    pub better: Better,
    /// Mean over all audited users for whom the metric is defined, with its interval.
    pub overall: Estimate,
    /// 10th, 50th and 90th percentiles of the per-user values over the same users (type 7);
    /// `null` when no user has a defined value.
    #[serde(default)]
    pub quantiles: Quantiles,
    /// Audited users for whom the metric is undefined (e.g. no relevant item), left out of means.
    pub n_undefined: usize,
    /// For a utility metric (the quality family, docs/statistics.md): the worst-decile cut-off,
    /// the overall share in the worst decile and the Gini coefficient over all users. Absent for
    /// other metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution: Option<OverallDistribution>,
    /// Per slice column: each unsuppressed group's mean and the disparities between groups.
    pub slices: BTreeMap<String, SliceMetric>,
}

/// How a utility metric is distributed over all audited users (docs/statistics.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverallDistribution {
    /// The worst-decile cut-off: the 10th percentile of the defined values (type 7).
    pub worst_decile_cut: Option<f64>,
    /// The share of users with a defined value at or below the cut-off (at least 10%: ties at
    /// the cut-off are all counted), with its interval.
    pub worst_decile_share: Estimate,
    /// The Gini coefficient of the metric over all users with a defined value, with its interval.
    pub gini: Estimate,
}

/// How a utility metric is distributed within and across the published groups of one slice
/// column (docs/statistics.md): per group the share in the worst decile of all users and the
/// Gini coefficient, the worst-off group's share of the column's total utility, and per group the
/// Lorenz curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SliceDistribution {
    /// Per published group: the share of its users (with a defined value) in the worst decile of
    /// all users, with its interval.
    pub worst_decile_share: BTreeMap<String, Estimate>,
    /// Per published group: the Gini coefficient of the metric among its users, with its interval.
    pub gini: BTreeMap<String, Estimate>,
    /// The published group with the lowest mean and its share of the total utility of the
    /// published groups (`null` when that total is 0).
    pub worst_off: Option<WorstOff>,
    /// Per published group: its Lorenz curve read at population shares 0, 0.1, …, 1, as pairs
    /// [share of users, share of the group's utility] (absent when the group's total is 0).
    pub lorenz: BTreeMap<String, Vec<[f64; 2]>>,
}

/// The worst-off group of a slice column for a utility metric (max-min fairness).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorstOff {
    /// The group's label.
    pub group: String,
    /// Its share of the total utility of the published groups, with its interval.
    pub utility_share: Estimate,
    /// Its share of their users with a defined value: equal to `utility_share` when it gets as
    /// much per user as the others.
    pub user_share: f64,
}

/// A metric within one slice column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SliceMetric {
    /// Mean per published group (groups that are not published are absent; see `slices`).
    pub groups: BTreeMap<String, Estimate>,
    /// Per published group (the same groups as `groups`): the 10th, 50th and 90th percentiles of
    /// the per-user values over its users with a defined value.
    #[serde(default)]
    pub quantiles: BTreeMap<String, Quantiles>,
    /// Differences and ratios to the metric's reference group, spread, min/max ratio,
    /// four-fifths flags (`None` when no group is published for this metric).
    pub disparity: Option<DisparityResult>,
    /// Groups of the column published elsewhere but withheld for this metric: fewer than
    /// `min_slice_size` of their users have a defined value, or their value could be recovered
    /// by differencing among those users.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub groups_withheld: usize,
    /// For a utility metric (the quality family): the distribution within and across the groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution: Option<SliceDistribution>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// [`Disparity`] with groups named by their labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisparityResult {
    /// The reference group's label: by default the best-off published group for this metric
    /// (the four-fifths rule's comparison group), see `reference_rule`.
    pub reference: String,
    /// Why `reference` is the reference: `best_off` (the highest mean where higher is better,
    /// the lowest where lower is better), `chosen` (`--reference`) or `largest` (the metric has
    /// no better direction, or no group has a defined mean).
    #[serde(default)]
    pub reference_rule: ReferenceRule,
    /// Per unsuppressed group (the reference included): its estimate, difference and ratio to the
    /// reference with intervals, p-value, BH-adjusted p-value, significance and four-fifths flag
    /// (ratio to the reference < 0.8; only for metrics where higher is better, else `null`).
    pub groups: BTreeMap<String, GroupComparison>,
    /// max − min of the group means, with interval.
    pub spread: Estimate,
    /// min / max of the group means (Fairlearn's ratio), with interval.
    pub min_max_ratio: Estimate,
}

impl DisparityResult {
    /// Names the groups of `d` with `labels`; `rule` chose its reference. The four-fifths flags
    /// are kept for a metric where higher is `better` only: the rule reads "a group gets less
    /// than 80% of the good thing" and is not defined where lower is better or neither is.
    pub fn labelled(d: Disparity, labels: &[String], rule: ReferenceRule, better: Better) -> Self {
        let mut d = d;
        if better != Better::Higher {
            for g in &mut d.groups {
                g.four_fifths = None;
            }
        }
        DisparityResult {
            reference: labels[d.reference].clone(),
            reference_rule: rule,
            groups: d
                .groups
                .into_iter()
                .map(|g| (labels[g.group].clone(), g))
                .collect(),
            spread: d.spread,
            min_max_ratio: d.min_max_ratio,
        }
    }
}

/// Corpus metrics: values of a set of lists as a whole.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CorpusResult {
    /// Over every audited user's list.
    pub overall: CorpusValues,
    /// Per slice column, per unsuppressed group: over that group's lists.
    pub slices: BTreeMap<String, BTreeMap<String, CorpusValues>>,
    /// Exposure shares with bootstrap intervals (resampling users), per item-group column.
    pub exposure_share_intervals: BTreeMap<String, ExposureShares>,
    /// Per slice column with at least two published groups: the metrics that grow or shrink with
    /// the number of lists (coverage, Gini, personalisation) compared at one group size.
    #[serde(default)]
    pub size_matched: BTreeMap<String, SizeMatchedCorpus>,
}

/// Corpus metrics of one slice column's published groups, each group subsampled to the size of
/// the smallest (docs/statistics.md): catalog coverage, distributional coverage, the Gini
/// coefficients and personalisation depend on how many lists they are taken over, so only values
/// at the same size are compared across groups.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SizeMatchedCorpus {
    /// Users per subsample: the size of the column's smallest published group.
    pub n_users: usize,
    /// Subsamples drawn per group, without replacement: subsample s is the group's `n_users`
    /// users with the smallest hashes of (seed, s, user id).
    pub subsamples: usize,
    /// Group → metric key → the mean over the subsamples, with the 2.5th and 97.5th percentiles
    /// of the subsample values as interval (`n` = `n_users`). A group of exactly `n_users` users
    /// has its own value with a zero-width interval.
    pub groups: BTreeMap<String, BTreeMap<String, Estimate>>,
}

/// Exposure share of each item group with intervals, overall and per slice group.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ExposureShares {
    /// Item group → share over all users.
    pub overall: BTreeMap<String, Estimate>,
    /// Slice column → group → item group → share over the group's lists.
    pub slices: BTreeMap<String, BTreeMap<String, BTreeMap<String, Estimate>>>,
}

/// Drift over snapshots (docs/metrics.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverTimeResult {
    /// Snapshot labels in order.
    pub snapshots: Vec<String>,
    /// Per snapshot: personalisation and coverage over all users.
    pub overall: Vec<SnapshotValues>,
    /// Verdict over all users.
    pub overall_trend: SliceTrend,
    /// Per slice column, per unsuppressed group: the trend and its verdict.
    pub slices: BTreeMap<String, BTreeMap<String, SliceTrend>>,
    /// Per item-group column: each group's cumulative exposure and merit shares after each
    /// snapshot and the amortised unfairness (docs/metrics.md, `amortised_unfairness`); empty
    /// without a truth table (the merit) or item groups.
    #[serde(default)]
    pub exposure_owed: BTreeMap<String, ExposureOwed>,
}
