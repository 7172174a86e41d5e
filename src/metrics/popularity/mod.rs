//! Popularity bias (docs/metrics.md): item popularity, the short-head / long-tail split, and per-user
//! ARP, APLT and GAP, with ΔGAP for a set of users (Abdollahpouri et al. 2019).
//!
//! - `model.rs`, the popularity model: pop(i), φ(i) = pop(i) / U, the head / mid / tail bands and
//!   the item order they are cut from ([`Popularity`], [`bands`], [`popularity_order`]), with its
//!   conventions;
//! - one file per metric, each with its definition over one user's list and its hand-computed
//!   tests: `arp.rs` ([`arp`](arp())), `aplt.rs` ([`aplt`](aplt())), `gap.rs` ([`gap_r`],
//!   [`gap_p`] and [`delta_gap`], ΔGAP of a set of users);
//! - `fused.rs`, the pass the audit runs: all four per-user values in one pass over each list
//!   ([`user_popularity`], over every user [`popularity_metrics`]), held equal to the
//!   definitions by a property test.
//!
//! Every per-user value is NaN for an empty list (and GAP_p for a user with no history).

mod aplt;
mod arp;
mod fused;
mod gap;
mod model;
#[cfg(test)]
mod test_data;

pub use aplt::aplt;
pub use arp::arp;
pub use fused::{popularity_metrics, user_popularity, UserPopularity, POPULARITY_METRICS};
pub use gap::{delta_gap, gap_p, gap_r};
pub use model::{
    bands, popularity_band, popularity_order, Band, Popularity, PopularityConfig, PopularitySource,
};
