//! [`AuditResult`]: every number of an audit, as one typed value. It is written as `audit.json`
//! (the field docs below are the JSON schema; key names are stable within a `schema_version`) and
//! read back by `recaudit report`, `recaudit gate` and `recaudit compare`.
//!
//! Privacy: the result holds aggregates only: counts, means, shares and intervals per slice group.
//! No user id and no input row is ever stored in it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::audit::AuditConfig;
use crate::input::InputSummary;
use crate::metrics::bubble::SliceTrend;
use crate::metrics::bubble::SnapshotValues;
use crate::metrics::segregation::Segregation;
use crate::metrics::{Better, CorpusValues};
use crate::stats::{Disparity, Estimate, GroupComparison};

/// The version of the JSON layout; bumped when a key changes meaning or place.
pub const SCHEMA_VERSION: u32 = 1;

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
    /// Plain-language notes: skipped metric families and why, conventions that applied.
    pub notes: Vec<String>,
    /// Slice columns: their groups, sizes, suppression and reference group.
    pub slices: BTreeMap<String, SliceSummary>,
    /// Per-user metrics averaged overall and per slice group, with intervals and disparities.
    pub metrics: BTreeMap<String, MetricResult>,
    /// Corpus metrics (coverage, Gini, exposure shares, ΔGAP), overall and per slice group.
    pub corpus: CorpusResult,
    /// Drift over snapshots, when the recommendations have several.
    pub over_time: Option<OverTimeResult>,
    /// Segregation of slices into list clusters, when items have categories.
    pub segregation: Option<Segregation>,
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
    /// The reference group of disparities (`None` when every group is suppressed).
    pub reference: Option<String>,
    /// Groups by label.
    pub groups: BTreeMap<String, GroupSummary>,
}

/// Size and suppression of one slice group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSummary {
    /// Users in the group.
    pub n_users: usize,
    /// True when below `min_slice_size`: no value is shown and no gate judges it.
    pub suppressed: bool,
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
    /// Audited users for whom the metric is undefined (e.g. no relevant item), left out of means.
    pub n_undefined: usize,
    /// Per slice column: each unsuppressed group's mean and the disparities between groups.
    pub slices: BTreeMap<String, SliceMetric>,
}

/// A metric within one slice column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SliceMetric {
    /// Mean per unsuppressed group (suppressed groups are absent; see `slices`).
    pub groups: BTreeMap<String, Estimate>,
    /// Differences and ratios to the reference, spread, min/max ratio, four-fifths flags
    /// (`None` when every group is suppressed).
    pub disparity: Option<DisparityResult>,
}

/// [`Disparity`] with groups named by their labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisparityResult {
    /// The reference group's label.
    pub reference: String,
    /// Per unsuppressed group (the reference included): its estimate, difference and ratio to the
    /// reference with intervals, p-value, BH-adjusted p-value, significance and four-fifths flag.
    pub groups: BTreeMap<String, GroupComparison>,
    /// max − min of the group means, with interval.
    pub spread: Estimate,
    /// min / max of the group means (Fairlearn's ratio), with interval.
    pub min_max_ratio: Estimate,
}

impl DisparityResult {
    /// Names the groups of `d` with `labels`.
    pub fn labelled(d: Disparity, labels: &[String]) -> Self {
        DisparityResult {
            reference: labels[d.reference].clone(),
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
}

/// Exposure share of each item group with intervals, overall and per slice group.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ExposureShares {
    /// Item group → share over all users.
    pub overall: BTreeMap<String, Estimate>,
    /// Slice column → group → item group → share over the group's lists.
    pub slices: BTreeMap<String, BTreeMap<String, BTreeMap<String, Estimate>>>,
}

/// Drift over snapshots (SPEC §8).
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
}
