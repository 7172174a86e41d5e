//! [`AuditConfig`]: every setting of an audit, as read from the settings file and the flags, and
//! the limits of the ones that have them. Ranges are checked by [`AuditConfig::check`] before any
//! data is read (the `check` module).

mod check;

use serde::{Deserialize, Serialize};

use crate::input::{self, ColumnNames, InputConfig, TablePaths};
use crate::metrics::bubble::BubbleConfig;
use crate::metrics::quality::PropensityGamma;
use crate::metrics::PositionWeight;
use crate::privacy::PrivacyConfig;
use crate::slices::SliceConfig;
use crate::stats::StatsConfig;

pub(crate) use check::number_text;
pub use check::InvalidSetting;

/// Every setting of an audit; echoed in `audit.json` as `settings`. Deserialises from the
/// `--config` TOML file, where every key is optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditConfig {
    /// Input files (not read from the settings file: given as flags).
    #[serde(skip_deserializing)]
    pub paths: TablePaths,
    /// Column names.
    pub columns: ColumnNames,
    /// Cutoff k (default 10).
    pub k: usize,
    /// Numeric slice columns to band.
    pub buckets: Vec<input::Bucketing>,
    /// Audit even when most ids do not join ([`InputConfig::allow_unmatched_ids`]). Echoed in
    /// `settings` only when set: the relaxed rule stands out.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub allow_unmatched_ids: bool,
    /// Slices: minimum size, intersections, reference groups.
    pub slices: SliceConfig,
    /// Position weight for exposure (default `log`).
    pub position_weight: PositionWeight,
    /// Share of history interactions held by the popular head (default 0.2).
    pub head_share: f64,
    /// Smoothing α of miscalibration (default 0.01).
    pub calibration_alpha: f64,
    /// Exponent γ of the popularity propensity model of the SNIPS metrics, P_i ∝ pop(i)^((γ+1)/2)
    /// ([`popularity_propensity`](crate::metrics::quality::popularity_propensity); default 2,
    /// at least −1), or `"estimate"` to fit it to the audited lists
    /// ([`estimate_propensity_gamma`](crate::metrics::quality::estimate_propensity_gamma)).
    /// Unused when the truth table has a `propensity` column.
    pub propensity_gamma: PropensityGamma,
    /// Persistence p of the rank-biased overlap between each user's baseline and candidate lists
    /// (`rbo`, with `--baseline-recs`), in (0, 1); `None` is the default,
    /// [`DEFAULT_RBO_PERSISTENCE`] ([`AuditConfig::rbo_persistence`]). Echoed in `settings` when
    /// set or when the audit has a baseline's lists, so that an audit without them is unchanged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rbo_persistence: Option<f64>,
    /// Filter-bubble thresholds.
    pub bubble: BubbleConfig,
    /// Bootstrap, tests and thresholds of the statistics.
    pub stats: StatsConfig,
    /// Differential privacy (`[privacy]`, `--dp-epsilon`); echoed only when on.
    #[serde(skip_serializing_if = "PrivacyConfig::is_off")]
    pub privacy: PrivacyConfig,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            paths: TablePaths::default(),
            columns: ColumnNames::default(),
            k: 10,
            buckets: Vec::new(),
            allow_unmatched_ids: false,
            slices: SliceConfig::default(),
            position_weight: PositionWeight::Log,
            head_share: 0.2,
            calibration_alpha: 0.01,
            propensity_gamma: PropensityGamma::Given(2.0),
            rbo_persistence: None,
            bubble: BubbleConfig::default(),
            stats: StatsConfig::default(),
            privacy: PrivacyConfig::default(),
        }
    }
}

impl AuditConfig {
    /// The persistence p of the rank-biased overlap (`rbo_persistence`, 0.9 when not set).
    pub fn rbo_persistence(&self) -> f64 {
        self.rbo_persistence.unwrap_or(DEFAULT_RBO_PERSISTENCE)
    }

    /// The settings as `audit.json` echoes them: as given, with the persistence of the
    /// rank-biased overlap filled in when the audit compares with a baseline's lists.
    pub fn echoed(&self) -> AuditConfig {
        let mut out = self.clone();
        if out.paths.baseline_recs.is_some() {
            out.rbo_persistence = Some(self.rbo_persistence());
        }
        out
    }

    /// The input side of the settings: what [`input::load`] reads.
    pub fn input(&self) -> InputConfig {
        InputConfig {
            paths: self.paths.clone(),
            columns: self.columns.clone(),
            k: self.k,
            buckets: self.buckets.clone(),
            allow_unmatched_ids: self.allow_unmatched_ids,
        }
    }
}

/// The persistence of the rank-biased overlap when none is set: the top 10 ranks carry
/// 1 − 0.9^10 ≈ 65% of the weight (Webber, Moffat & Zobel 2010, §4.2, take 0.9 for a top-10
/// evaluation).
pub const DEFAULT_RBO_PERSISTENCE: f64 = 0.9;

/// The smallest accepted [`StatsConfig::bootstrap_units`] other than 0 (per user): with fewer,
/// pooled groups give too few units for an interval.
pub const MIN_BOOTSTRAP_UNITS: usize = 100;
/// The largest accepted [`StatsConfig::resamples`]: the replicates of every statistic of every group
/// are held in memory, and beyond this the Monte-Carlo error no longer matters.
pub const MAX_RESAMPLES: usize = 100_000;
/// The largest accepted [`StatsConfig::permutations`] (the cost is permutations × group size).
pub const MAX_PERMUTATIONS: usize = 1_000_000;
/// The largest accepted [`BubbleConfig::n_clusters`]: k-means costs grow with k, and the NMI of a
/// slice with very many clusters rises whatever the lists.
pub const MAX_CLUSTERS: usize = 100;
