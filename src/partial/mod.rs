//! The audit as map, merge and finish (docs/scaling.md): the per-user metric summaries computed
//! from partitions of users and merged, giving the numbers of the one-pass audit.
//!
//! - [`ItemStats`] (`items.rs`): the global item statistics, one pass over the items and history
//!   tables, broadcast to every partition;
//! - [`SlicePlan`] (`plan.rs`): the slice groups, their sizes and what min-size and complementary
//!   suppression publish (a function of the users table);
//! - [`map`] / [`map_dataset`] (`map.rs`): one partition of users → a [`PartialAudit`];
//! - [`PartialAudit::merge`] (`state.rs`): two states → one;
//! - [`map_corpus`], [`PartialCorpus::merge`], [`finish_corpus`] (`corpus.rs`): the corpus
//!   metrics of every set of users (overall and per group) from summed per-item masses;
//! - [`PartialAudit::to_bytes`] / [`PartialAudit::from_bytes`] (`wire.rs`): the versioned binary
//!   format;
//! - [`map_subgroups`], [`PartialSubgroups::merge`], [`finish_subgroups`] (`subgroups.rs`): the
//!   subgroup search from per-profile moments;
//! - [`map_fit_sample`], [`PartialFitSample::merge`], [`PartialFitSample::fit`], then
//!   [`map_clusters`], [`PartialClusters::merge`], [`finish_segregation`] (`segregation.rs`): the
//!   segregation analysis in two rounds (the fitted centroids broadcast between them);
//! - [`map_size_matched`], [`PartialSizeMatched::merge`], [`finish_size_matched`]
//!   (`size_matched.rs`): the size-matched corpus comparison from each group's users with the
//!   smallest subsample hashes and their lists;
//! - [`map_exposure_shares`], [`PartialExposureShares::merge`], [`finish_exposure_shares`]
//!   (`exposure_shares.rs`): the exposure-share intervals (two-way or users only) from the
//!   cells or masses of every set's resampling units;
//! - [`map_shown`], [`PartialShown::merge`], [`PartialShown::propensity`] (`propensity.rs`): the
//!   γ of the SNIPS propensities fitted to every list, a pass before the map;
//! - [`map_over_time`], [`PartialOverTime::merge`], [`finish_over_time`] (`over_time.rs`): the
//!   `over_time` block (snapshot values, slice trends and verdicts, exposure owed) from sums over
//!   users per set and snapshot;
//! - [`map_ranked`], [`PartialRanked::merge`] (`ranked.rs`): every metric's values sorted across
//!   all users (the audit's global sort), for the statistics that read ranks;
//! - [`RankedSource`], [`SpilledRuns`] (`spill.rs`): the sorted runs as the finish reads them,
//!   merged in memory or every partition's run in a temporary file merged as streams (k-way);
//! - [`finish_metrics`] (`finish.rs`, with `distribution.rs`): the merged states → the `metrics`
//!   block of `audit.json` (means with intervals, disparities, p-values, flags, percentiles and
//!   the utility distributions);
//! - [`map_partition`], [`PartitionStates::merge`], [`map_partition_clusters`], [`finish_audit`]
//!   (`driver.rs`): every family's state of a partition, and the whole [`AuditResult`](crate::result::AuditResult) from the
//!   merged states; [`audit_partitions`] runs the global passes, both map rounds and the finish
//!   over partitions of a loaded dataset;
//! - [`audit_folder`], [`read_broadcast`], [`read_partition`], [`read_partition_lists`]
//!   (`read.rs`): the same over a partitioned input folder read one partition at a time
//!   ([`Layout`]; the segregation's second round reads the lists and users tables only).
//!
//! Replicate weights depend on (seed, replicate, user id, global group sizes) only, so any split
//! of the users, merged in any order, draws the same weights as the one-pass audit.

mod corpus;
mod distribution;
mod driver;
mod exposure_shares;
mod finish;
mod items;
mod map;
mod over_time;
mod plan;
mod propensity;
mod ranked;
mod read;
mod segregation;
mod size_matched;
mod spill;
mod state;
mod subgroups;
mod wire;

#[cfg(test)]
mod tests;

pub use corpus::{finish_corpus, map_corpus, CorpusSet, PartialCorpus};
pub use driver::{
    audit_partitions, finish_audit, finish_audit_with_runs, map_partition, map_partition_clusters,
    AuditInputs, Broadcast, Partition, PartitionStates,
};
pub use exposure_shares::{
    finish_exposure_shares, map_exposure_shares, BucketCell, CellSet, PartialExposureShares,
    ShareSets, UserCells,
};
pub use finish::finish_metrics;
pub use finish::FinishError;
pub use items::ItemStats;
pub use map::{map, map_dataset, partition_dataset, per_user_metrics};
pub use over_time::{
    finish_over_time, map_over_time, OverTimeSettings, OwedSums, PartialOverTime, SetSums,
};
pub use plan::{
    audited_slices, unprotected_slices, unsliced_counts, user_combinations, PlanColumn, SlicePlan,
};
pub use propensity::{map_shown, PartialShown};
pub use ranked::{map_ranked, PartialRanked, RankedRun};
pub use read::{
    audit_folder, audit_split, check_folder_settings, fit_from_bytes, fit_segregation,
    fit_to_bytes, read_broadcast, read_partition, read_partition_lists, settings_from_bytes,
    settings_to_bytes, split_tables, summarize_partition, GlobalSummary, Globals, Layout,
    PartitionFiles, SplitTables, PARTITIONED_TABLES,
};
pub use segregation::{
    finish_segregation, map_clusters, map_fit_sample, published_segregation, PartialClusters,
    PartialFitSample, SampleUser,
};
pub use size_matched::{
    finish_size_matched, map_size_matched, PartialSizeMatched, SampledColumn, SampledGroup,
};
pub use spill::{RankedSource, SpilledRuns};
pub use state::{Cell, CellUsers, GroupState, Moments, PartialAudit, PartialSettings, Rows};
pub use subgroups::{finish_subgroups, map_subgroups, PartialSubgroups, ProfileMetric};
pub use wire::{
    WireError, CLUSTERS_MAGIC, CORPUS_MAGIC, EXPOSURE_SHARES_MAGIC, FIT_SAMPLE_MAGIC, MAGIC,
    OVER_TIME_MAGIC, RANKED_MAGIC, SHOWN_MAGIC, SIZE_MATCHED_MAGIC, STATES_MAGIC, SUBGROUPS_MAGIC,
    VERSION,
};
