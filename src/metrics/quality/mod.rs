//! Recommendation quality per user against held-out truth (docs/metrics.md): precision@k, recall@k, hit@k,
//! MRR@k and NDCG@k.
//!
//! One file per metric holds its definition over one user's list, with its hand-computed tests:
//! [`precision`](precision()), [`recall`](recall()), [`hit`](hit()), [`mrr`](mrr()),
//! [`ndcg`](ndcg()) (with [`dcg`] and [`ideal_dcg`]); `relevance.rs` holds the relevance
//! judgments they share. The audit computes all five in one pass per user (`fused.rs`:
//! [`user_quality`], run over every user by [`quality_metrics`]), held equal to the definitions
//! by a property test.
//!
//! Conventions (shared by all five):
//! - the list is the user's top-k in rank order (rank 1 first, distinct items); items past rank k
//!   are not read; k is the audit cutoff, so a list shorter than k still divides precision by k
//!   (as ranx, Microsoft Recommenders and RecBole do);
//! - an item is relevant when it is in the user's truth with relevance > 0; the truth is sorted by
//!   item id;
//! - a user with no relevant item (or k = 0) gets NaN for every quality metric: such users are
//!   counted and left out of slice means (never averaged in as 0).
//!
//! Corrected for what was logged: [`snips_precision`], [`snips_recall`] and [`snips_ndcg`] weight
//! each observed relevant item by its inverse propensity and self-normalise (SNIPS; Yang et al.
//! 2018), with propensities from the truth table's `propensity` column or from popularity
//! ([`popularity_propensity`]); `unbiased.rs` runs them over every user ([`snips_metrics`]).

mod fused;
mod hit;
mod mrr;
mod ndcg;
mod precision;
mod propensity;
mod recall;
mod relevance;
mod snips_ndcg;
mod snips_precision;
mod snips_recall;
#[cfg(test)]
mod test_data;
mod unbiased;

pub use fused::{quality_metrics, user_quality, UserQuality, QUALITY_METRICS};
pub use hit::hit;
pub use mrr::mrr;
pub use ndcg::{dcg, ideal_dcg, ndcg};
pub use precision::precision;
pub use propensity::{
    estimate_propensity_gamma, fit_propensity_gamma, lists_showing, popularity_propensity,
    PropensityGamma, GAMMA_FIT_DEPTH, GAMMA_FIT_EXCLUDED_QUANTILE,
};
pub use recall::recall;
pub use snips_ndcg::snips_ndcg;
pub use snips_precision::snips_precision;
pub use snips_recall::snips_recall;
pub use unbiased::{has_propensities, snips_metrics, truth_propensities};
