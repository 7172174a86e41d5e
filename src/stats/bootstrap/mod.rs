//! Stratified Poisson bootstrap of per-user weighted sums, and percentile intervals.
//!
//! # Formula
//! For a group g with users u and per-user columns x_j (NaN = undefined), replicate b draws one
//! weight w_bu ~ Poisson(1) per user and forms, for every column at once,
//!
//! ```text
//! S_bj = Σ_u w_bu · x_uj · d_uj        C_bj = Σ_u w_bu · d_uj        (d_uj = 1 when x_uj is defined)
//! ```
//!
//! Every [`Statistic`] is a function of these sums (a mean is S_bj / C_bj). Groups are resampled
//! independently (stratified bootstrap: the group sizes stay those of the sample, up to the Poisson
//! fluctuation). The 1 − α percentile interval is the α/2 and 1 − α/2 quantiles of the B replicate
//! statistics (Efron & Tibshirani 1993, §13.3; quantiles by linear interpolation, Hyndman & Fan
//! 1996 type 7).
//!
//! Poisson(1) weights are the large-sample equivalent of multinomial resampling (Hanley &
//! MacGibbon 2006; Chamandy, Muralidharan, Najmi & Naidu 2012, "Estimating uncertainty for massive
//! data streams"): they are independent per user, so a replicate is one sequential pass, any block
//! of users can be generated on its own, and the cost is linear in users × columns.
//!
//! # Resampling units
//! A group of at most [`StatsConfig::bootstrap_units`](super::StatsConfig::bootstrap_units)
//! users (default 4,096) is resampled user by user, exactly as above. A larger group is first
//! pooled into that many hashed buckets of users ("random groups", Wolter 2007, *Introduction to
//! Variance Estimation*, ch. 2) and the buckets get the Poisson weights; see `units.rs`.
//! The cost is then bounded by groups × units × B × columns, whatever the number of users, with an
//! error well below the Monte-Carlo error of B = 1,000 replicates. `bootstrap_units = 0` resamples
//! every user of every group.
//!
//! # Determinism
//! The weight of the unit at position p (units of all groups, in [`Groups`] order) in replicate b
//! is drawn from the p-th output of a SplitMix64 generator (Steele, Lea & Flood 2014, "Fast
//! splittable pseudorandom number generators", OOPSLA) keyed by (seed, b). It depends on
//! (seed, b, p) only, so results are identical for any thread count, and any block of users can be
//! generated directly. Partial sums are added in a fixed order.
//!
//! # Speed
//! The units' sums are first gathered column-major (NaN replaced by 0, plus one 0/1 "defined"
//! column per distinct NaN pattern, plus the user count), in one sequential pass per column.
//! Work is split into tasks of (group, chunk of 16,384 units, batch of 32 replicates); within a
//! task, each replicate of the batch draws the weights of a block of 1,024 units once, and the
//! batch's sums over the block are taken by `stats::dots::add_block_dots` in register tiles of
//! 2 replicates × 4 columns (AVX where the CPU has it), with the same arithmetic on every machine.
//!
//! # Files
//! - `rng.rs`: the counter-based SplitMix64 generator, the bucket hash and the Poisson(1) sampler;
//! - `statistic.rs`: [`Sums`] and the [`Statistic`]s computed from them;
//! - `layout.rs`: how per-user columns map to accumulator slots;
//! - `units.rs`: the [`Groups`], which users form each resampling unit, and the units' sums;
//! - `two_way.rs`: the two-way (users × items) bootstrap of user-item terms ([`two_way_sums`]);
//! - `engine.rs`: the replicates ([`bootstrap_sums`], [`Replicates`]);
//! - `interval.rs`: the percentile interval ([`percentile_interval`]).

mod engine;
mod interval;
mod layout;
mod rng;
mod statistic;
mod two_way;
mod units;

pub(crate) use engine::{bootstrap_layout, replicate_units};
pub use engine::{bootstrap_sums, Replicates};
pub use interval::percentile_interval;
pub(crate) use layout::{Layout, Read};
pub(crate) use rng::{bucket_of, keyed_hash, mix64, SplitMix64, BUCKET_SALT};
pub use statistic::{Statistic, Sums};
pub(crate) use two_way::{item_units, replicate_cells, unit_caps, CellBuilder, Cells, DENSE_CELLS};
pub use two_way::{
    two_way_sums, two_way_sums_each, two_way_sums_ranked, ItemKeys, RankedTerms, Term,
    TwoWayReplicates,
};
#[cfg(test)]
pub(crate) use units::test_keys;
pub use units::Groups;
pub(crate) use units::Units;
