//! How a per-user utility metric is distributed within and across the groups of a slice column,
//! beyond its mean (Ekstrand, Carterette & Diaz 2024, "Distributionally-informed recommender
//! system evaluation", ACM TORS): the share of a group in the worst decile of all users
//! ([`worst_decile`]), the Gini coefficient within a group ([`gini`]), the worst-off group's share
//! of the column's total utility ([`worst_off_share`]) and the Lorenz curve ([`lorenz`]).
//!
//! They are computed for the quality metrics (precision, recall, hit rate, MRR, NDCG): the
//! metrics that measure what a user gets from the list, non-negative and higher-is-better
//! ([`is_utility`]). A Gini or a share of a total is not meaningful for a metric that can be
//! negative or where neither direction is better.
//!
//! Intervals come from the bootstrap engine (`stats::bootstrap`): the worst-decile share is the
//! mean of a 0/1 column, the worst-off share a ratio of the replicate sums of the groups, and the
//! Gini the ratio of means of the linearised column of [`gini::gini_terms`].

pub mod gini;
pub mod lorenz;
pub mod sorted;
pub mod worst_decile;
pub mod worst_off_share;

pub use gini::{gini, gini_terms};
pub use lorenz::lorenz;
pub use sorted::SortedGroup;
pub use worst_decile::{in_worst_decile, worst_decile_cut, worst_decile_share};
pub use worst_off_share::{worst_off_of_totals, worst_off_share};

use crate::metrics::registry::{Family, MetricDef};

/// Whether the distribution statistics of this module are computed for a metric: the quality
/// metrics, whose per-user values are a utility (non-negative, higher is better).
pub fn is_utility(def: &MetricDef) -> bool {
    def.family == Family::Quality
}
