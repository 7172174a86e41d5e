//! Global item statistics: what the per-user metrics need from outside the user, computed once
//! over the items and history tables and broadcast to every partition.

use crate::data::{Dataset, History, Items};
use crate::metrics::popularity::{Popularity, PopularityConfig};
use crate::settings::AuditConfig;

/// The broadcast item statistics of one audit.
///
/// Which per-user metric needs which field, and why it cannot come from a partition of users:
///
/// | field | metrics | why global |
/// |---|---|---|
/// | `popularity.pop`, `.phi`, `.n_users` | ARP, popularity lift, ΔGAP terms (`gap_r`, `gap_p`), novelty, SNIPS propensities modelled from popularity | pop(i) counts the distinct users of the *whole* history table who interacted with i (users without recommendations included); U is the table's distinct users |
/// | `popularity.head`, `.band`, `.n_head` | APLT, long-tail share, popularity bands | the head is the most-interacted items holding `head_share` of all interactions: it needs the global interaction count of every item, sorted |
/// | `items.categories`, `.category_labels` | ILS, list entropy, calibration, narrowing, over-personalisation | the item → category map of the catalog |
/// | `items.groups` | AWRF (target = the catalog share of each item group) | the catalog's share of each group is over all items |
/// | `items.features` | cosine intra-list diversity | item vectors |
/// | `history_items`, `history_interactions`, `history_users` | carried into each partition's `History` so that the kernels that read them see the global values | as `popularity` |
/// | `n_items`, `k` | coverage denominators, rank cutoffs | the catalog and the lists' cutoff |
/// | `propensity_gamma` | SNIPS precision, recall and NDCG with propensities modelled from popularity | given, or fitted to *every* list (`propensity_gamma = "estimate"`): a pass over the lists before the map ([`super::map_shown`]) |
///
/// Size: the items table itself (ids, categories, groups, features) plus 8 + 8 + 1 + 1 bytes per
/// item of popularity and 8 bytes per item of history counts: a few MB at 100,000 items.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ItemStats {
    /// Catalog size |I|.
    pub n_items: usize,
    /// The cutoff the lists were truncated to.
    pub k: usize,
    /// The catalog and its attributes (categories, groups, features).
    pub items: Items,
    /// Popularity, head/tail split and bands; `None` without a history table or a popularity
    /// column.
    pub popularity: Option<Popularity>,
    /// Per item, the distinct users of the whole history table (`None` without history).
    pub history_items: Option<Vec<u32>>,
    /// Per item, the rows of the whole history table.
    pub history_interactions: Option<Vec<u32>>,
    /// Distinct users of the whole history table.
    pub history_users: usize,
    /// γ of the SNIPS metrics' popularity propensities, given or fitted to every list.
    pub propensity_gamma: f64,
}

impl ItemStats {
    /// The item statistics of `ds` under the audit's settings (the popularity the one-pass audit
    /// uses: `head_share` from `cfg`, the source chosen automatically; γ given, or fitted to the
    /// lists of `ds`, as the one-pass audit fits it).
    pub fn compute(ds: &Dataset, cfg: &AuditConfig) -> ItemStats {
        let stats = ItemStats::with_gamma(ds, cfg, f64::NAN);
        let fit = |pop: &[f64]| crate::metrics::quality::estimate_propensity_gamma(&ds.recs, pop);
        let (propensity_gamma, _) = crate::audit::propensity_model_of(
            fit,
            stats.popularity.as_ref().map(|p| p.pop.as_slice()),
            ds.truth_propensity.is_some(),
            cfg,
            &mut Vec::new(),
        );
        stats.with_propensity_gamma(propensity_gamma)
    }

    /// The item statistics of `ds` with the given γ, the lists of `ds` not read: `ds` may be a
    /// shell holding the catalog, the global history counts (its `history` without per-user
    /// rows) and the number of audited users (the partitioned reader's global pass).
    pub fn with_gamma(ds: &Dataset, cfg: &AuditConfig, propensity_gamma: f64) -> ItemStats {
        let pop_cfg = PopularityConfig {
            head_share: cfg.head_share,
            ..PopularityConfig::default()
        };
        let h = ds.history.as_ref();
        let popularity = Popularity::new(ds, &pop_cfg);
        ItemStats {
            n_items: ds.items.n_items(),
            k: ds.k,
            items: ds.items.clone(),
            popularity,
            history_items: h.map(|h| h.distinct_users.clone()),
            history_interactions: h.map(|h| h.interactions.clone()),
            history_users: h.map_or(0, |h| h.n_users),
            propensity_gamma,
        }
    }

    /// The statistics with γ as fitted to every list by the pass before the map
    /// ([`super::PartialShown::propensity`]).
    pub fn with_propensity_gamma(self, gamma: f64) -> ItemStats {
        ItemStats {
            propensity_gamma: gamma,
            ..self
        }
    }

    /// A partition's `History` with the given per-user rows and the global per-item counts.
    pub(crate) fn history(&self, per_user: crate::data::Csr<u32>) -> Option<History> {
        Some(History {
            per_user,
            distinct_users: self.history_items.clone()?,
            interactions: self.history_interactions.clone()?,
            n_users: self.history_users,
        })
    }
}
