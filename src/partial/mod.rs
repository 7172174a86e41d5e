//! The audit as map, merge and finish (docs/scaling.md): the per-user metric summaries computed
//! from partitions of users and merged, giving the numbers of the one-pass audit.
//!
//! - [`ItemStats`] (`items.rs`): the global item statistics, one pass over the items and history
//!   tables, broadcast to every partition;
//! - [`SlicePlan`] (`plan.rs`): the slice groups, their sizes and what min-size and complementary
//!   suppression publish (a function of the users table);
//! - [`map`] / [`map_dataset`] (`map.rs`): one partition of users → a [`PartialAudit`];
//! - [`PartialAudit::merge`] (`state.rs`): two states → one;
//! - [`finish_metrics`] (`finish.rs`): the merged state → the `metrics` block of `audit.json`
//!   (means with intervals, disparities, p-values, flags; percentiles where the state keeps the
//!   values; the utility distributions are not yet mergeable).
//!
//! Replicate weights depend on (seed, replicate, user id, global group sizes) only, so any split
//! of the users, merged in any order, draws the same weights as the one-pass audit.

mod finish;
mod items;
mod map;
mod plan;
mod state;

#[cfg(test)]
mod tests;

pub use finish::finish_metrics;
pub use items::ItemStats;
pub use map::{map, map_dataset, partition_dataset, per_user_metrics};
pub use plan::{audited_slices, PlanColumn, SlicePlan};
pub use state::{Moments, PartialAudit, PartialSettings};
