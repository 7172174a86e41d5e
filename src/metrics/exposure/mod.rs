//! Provider-side exposure (docs/metrics.md): item exposure under a position weight, exposure shares of item
//! groups against catalog and merit targets, the Gini of item exposure, expected exposure over
//! sampled rankings (Diaz et al. 2020) and attention-weighted rank fairness (TREC Fair Ranking 2022).
//!
//! Conventions:
//! - **Exposure** of item i over a set of users: E_i = Σ_u w(r(u,i)), w a
//!   [`PositionWeight`](crate::metrics::PositionWeight) (`log` by default: 1/log2(r+1), Singh &
//!   Joachims 2018, doi:10.1145/3219819.3220088).
//! - **Item groups** ([`ItemGroups`]): any categorical item column (`provider`, ...), the
//!   multi-valued `category` column (an item with m categories gives 1/m of its exposure and of its
//!   catalog count to each), and the derived `popularity_band` (`head` / `mid` / `tail`, see
//!   [`popularity`](crate::metrics::popularity)). Items with no value belong to no group but stay
//!   in every denominator, so the shares of the listed groups then sum to less than 1.
//! - **Exposure share** S_G = Σ_{i∈G} E_i / Σ_i E_i over the lists of the user set.
//! - **Targets** T_G: `catalog` = |G| / |I|; `merit` = the group's share of the history
//!   interactions (rows, duplicates kept) of the *same* user set; `relevance` = the group's share of
//!   the truth relevance grades of the same user set.
//! - **Disparate exposure ratio** S_G / T_G (1 = proportional, < 1 = under-exposed); undefined
//!   (`None`) when T_G = 0 or nothing was shown.
//! - **Gini** of item exposure over the *whole catalog*, never-shown items included
//!   (docs/metrics.md): G = Σ_j (2j − n − 1) E_(j) / (n Σ_j E_j), E ascending, n = |I|; `None` when no
//!   exposure. `gini_uniform` is the same over recommendation counts.
//!
//! Files:
//! - `groups.rs`: [`ItemGroups`], the group columns of a dataset, the intersectional groups and
//!   the per-user group masses ([`UserGroupMass`]), read through `packed_groups.rs`;
//! - `shares.rs`: the definitions of exposure ([`item_exposure`]), exposure shares
//!   ([`exposure_shares`]), target shares ([`target_shares`]) and the disparate exposure ratio
//!   ([`disparate_exposure_ratio`]);
//! - `gini.rs`: [`gini`](gini());
//! - `expected_exposure.rs`: [`expected_exposure`](expected_exposure()) (EE-L2, EE-D, EE-R);
//! - `awrf.rs`: [`awrf`](awrf());
//! - `corpus.rs`: the fused pass the audit runs for each user set ([`ExposureContext`]: counts,
//!   exposure, Gini, shares, targets and ratios in one go, with the JSON keys), held equal to the
//!   definitions by a property test.

mod awrf;
mod config;
mod corpus;
mod expected_exposure;
mod exposure_owed;
mod gini;
mod groups;
mod packed_groups;
mod shares;
#[cfg(test)]
mod test_data;

pub use awrf::{awrf, awrf_metrics};
pub use config::ExposureConfig;
pub use corpus::{exposure_corpus, ExposureContext, PartitionMasses, SetMasses, UserSets};
pub use expected_exposure::{expected_exposure, expected_exposure_metrics};
pub use exposure_owed::{
    amortised_unfairness, exposure_and_merit, exposure_and_merit_of, exposure_owed, owed_of_sums,
    ExposureOwed, OwedGroup,
};
pub use gini::gini;
pub use groups::{
    intersectional_groups, item_group_columns, user_group_exposure, user_group_history,
    user_group_relevance, ItemGroups, UserGroupMass,
};
pub use shares::{
    disparate_exposure_ratio, exposure_shares, item_exposure, item_interactions, item_relevance,
    target_shares,
};
