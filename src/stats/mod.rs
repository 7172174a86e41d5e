//! Statistics: bootstrap intervals, significance tests and disparities between slice groups
//! (docs/statistics.md).
//!
//! The orchestrator calls [`compare`] (or [`compare_means`]) once per slice column with all the
//! per-user metrics of that column at once. Everything works on per-user value vectors; no metric
//! kernel is re-run per resample.
//!
//! # Method
//! - **Group statistics** are functions of per-user weighted sums ([`Statistic`]): a mean
//!   `Σ_u x_u / n`, a ratio of sums `Σ_u a_u / Σ_u b_u` (exposure share of an item group), a ratio of
//!   means, a relative difference of means (ΔGAP). NaN user values are left out of the sums of that
//!   column (and out of its `n`).
//! - **Intervals**: percentile bootstrap (Efron & Tibshirani 1993, *An Introduction to the
//!   Bootstrap*, ch. 13), stratified by group: users are resampled within their own group, with
//!   Poisson(1) weights per user (the "Poisson bootstrap", Hanley & MacGibbon 2006,
//!   doi:10.1016/j.cmpb.2006.04.006; Chamandy et al. 2012), so one replicate is a single weighted pass
//!   over the users that serves every column at once. See [`bootstrap`].
//! - **Differences and ratios** to the reference group use the same replicates (replicate `b` of
//!   the ratio is the ratio of the replicate-`b` statistics of the two groups).
//! - **p-values**: a permutation test of the slice labels for small groups, Welch's t-test (means)
//!   or a bootstrap z-test (other statistics) for large ones; see [`significance`] for the rule.
//!   Benjamini–Hochberg adjusts them across the groups of one column and statistic
//!   ([`benjamini_hochberg`]).
//! - **Determinism**: the random numbers of bootstrap replicate `b` come from a counter-based
//!   generator keyed by (seed, b) at an offset given by the user's position, so the output depends
//!   only on the seed, never on the thread count or on how work is split.

pub mod bootstrap;
pub mod compensated;
pub mod disparity;
pub mod distribution;
mod dots;
pub(crate) mod group_runs;
pub mod multiple;
pub mod normal;
pub mod quantile;
pub mod significance;
pub mod student_t;

use serde::{Deserialize, Serialize};

pub use bootstrap::{
    bootstrap_sums, percentile_interval, two_way_sums, two_way_sums_each, two_way_sums_ranked,
    Groups, ItemKeys, RankedTerms, Replicates, Statistic, Sums, Term, TwoWayReplicates,
};
pub use disparity::{
    compare, compare_each, compare_means, compare_means_each, group_estimates, Disparity,
    GroupComparison,
};
pub use multiple::{benjamini_hochberg, benjamini_yekutieli};
pub use quantile::{quantile_sorted, quantile_unsorted, Quantiles};
pub use significance::{welch_t_test, TestKind};

/// A number with its interval: what reports show and gates judge.
///
/// `None` means undefined (for example a ratio whose reference is 0, or an interval whose bootstrap
/// distribution is degenerate); it serializes as JSON `null`, never as NaN or infinity.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Estimate {
    /// The point estimate on the data as observed.
    pub value: Option<f64>,
    /// Lower bound of the percentile bootstrap interval (level [`StatsConfig::confidence`]).
    pub ci_low: Option<f64>,
    /// Upper bound of the percentile bootstrap interval.
    pub ci_high: Option<f64>,
    /// Users behind the number: for a group statistic, the group's users whose values are defined
    /// for it; for a difference or ratio to the reference, the same count of the compared group;
    /// for spread and min/max ratio, the sum over the groups compared.
    pub n: usize,
}

impl Estimate {
    /// An estimate without an interval.
    pub fn point(value: Option<f64>, n: usize) -> Self {
        Estimate {
            value,
            ci_low: None,
            ci_high: None,
            n,
        }
    }

    /// `value` with the percentile bootstrap interval of its `replicates` at level `confidence`
    /// ([`percentile_interval`]); without an interval when `value` is undefined.
    pub(crate) fn with_interval(
        value: Option<f64>,
        replicates: &[f64],
        n: usize,
        confidence: f64,
    ) -> Self {
        if value.is_none() {
            return Estimate::point(None, n);
        }
        let (ci_low, ci_high) = percentile_interval(replicates, confidence);
        Estimate {
            value,
            ci_low,
            ci_high,
            n,
        }
    }

    /// Whether the interval is defined and lies entirely above or below `x`.
    pub fn excludes(&self, x: f64) -> bool {
        match (self.ci_low, self.ci_high) {
            (Some(lo), Some(hi)) => lo > x || hi < x,
            _ => false,
        }
    }
}

/// Settings of the statistics; record them in the JSON next to the results.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StatsConfig {
    /// Bootstrap resamples B (default 1,000).
    pub resamples: usize,
    /// Seed of every random number drawn (bootstrap and permutations).
    pub seed: u64,
    /// Level of the percentile intervals (default 0.95).
    pub confidence: f64,
    /// Level at which a Benjamini–Hochberg adjusted p-value counts as significant (default 0.05).
    pub alpha: f64,
    /// Label permutations of the permutation test (default 2,000; the smallest attainable p-value
    /// is 1 / (permutations + 1)).
    pub permutations: usize,
    /// The permutation test is used when the smaller of the two compared groups has at most this
    /// many users (default 1,000); above it, Welch's t-test (means) or the bootstrap z-test (other
    /// statistics). See [`significance`].
    pub permutation_max_n: usize,
    /// Resampling units per group (default 4,096): a larger group's users are pooled into this many
    /// hashed buckets, which the bootstrap reweights (see [`bootstrap`]); 0 resamples every user.
    /// The audit accepts 0 or at least 100.
    pub bootstrap_units: usize,
    /// Whether the intervals of exposure shares resample items as well as users (the two-way
    /// bootstrap, [`two_way_sums`]; default true). False treats the catalog as fixed and
    /// resamples users only.
    pub item_resampling: bool,
    /// Four-fifths threshold on the ratio to the reference (default 0.8, the US EEOC adverse-impact
    /// rule as used by Aequitas).
    pub four_fifths: f64,
}

impl Default for StatsConfig {
    fn default() -> Self {
        StatsConfig {
            resamples: 1_000,
            seed: 42,
            confidence: 0.95,
            alpha: 0.05,
            permutations: 2_000,
            permutation_max_n: 1_000,
            bootstrap_units: 4_096,
            item_resampling: true,
            four_fifths: 0.8,
        }
    }
}
