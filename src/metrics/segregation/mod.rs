//! Segregation (docs/metrics.md): cluster users by the category distribution of their lists with k-means,
//! then measure how strongly each demographic slice column and the clusters coincide with the
//! normalised mutual information (NMI). High NMI means demographic groups live in separate bubbles.
//!
//! Procedure ([`segregation`]), seeded and deterministic for a given seed and input, whatever the
//! thread count:
//! 1. Features: each user's list category distribution q(·|u) of docs/metrics.md (an item with m categories
//!    gives 1/m to each), one dimension per category. Users whose list has no categorised item are
//!    not clustered (`n_users_unclustered`).
//! 2. Fit sample: at most [`FIT_SAMPLE`] users, those with the smallest hashes of (`seed`, user
//!    key) (SplitMix64's finaliser; the key is the XXH64 of the id, docs/statistics.md), so the
//!    sample depends on the ids, not on the order of the rows or on how users are partitioned;
//!    all users when fewer. The fit runs on them in ascending key order.
//! 3. k: `n_clusters` when given (clamped to 2..=the number of distinct distributions in the fit
//!    sample); otherwise the k in [`K_CANDIDATES`] with the highest mean silhouette (Rousseeuw 1987,
//!    Euclidean) on a seeded subsample of at most [`SILHOUETTE_SAMPLE`] *distinct* distributions of
//!    the fit sample, each candidate clustered on that subsample ([`N_RUNS`] k-means++ runs, as
//!    step 4 on at most [`START_SAMPLE`] points); ties go to the smaller k.
//!    Distinct, because short lists over few categories make many users share exactly the same
//!    distribution, and duplicates score a silhouette of 1 once k reaches the number of distinct
//!    values, which would reward the largest k.
//! 4. linfa k-means on the fit sample (k-means++ init, tolerance 1e-6, at most 300 iterations,
//!    linfa's Euclidean arithmetic read from contiguous rows, `ContiguousL2`), the best of
//!    [`FIT_RUNS`] runs; run r is `KMeans::params_with` with ChaCha8 seeded by `seed` on stream r.
//!    With at most [`START_SAMPLE`] users the runs fit them all and the lowest inertia is kept.
//!    With more, the runs fit a draw of [`START_SAMPLE`] of them (ChaCha8 stream [`FIT_RUNS`]; all
//!    of them when the draw holds fewer than k distinct distributions), are ranked by their inertia
//!    on the whole sample, and the centroids of the best [`N_REFINED`] start a k-means fit on the
//!    whole sample; the one with the lowest inertia is kept. Ties go to the earlier run.
//! 5. Every clustered user is assigned to the nearest centroid (squared Euclidean, ties to the lower
//!    index). Empty clusters are dropped; clusters are numbered by decreasing size.
//! 6. Per cluster: size, share, and the 3 categories with the largest mean share in its users'
//!    distributions. Per slice column: NMI between the slice value and the cluster over the clustered
//!    users with a value (users with [`Categorical::MISSING`](crate::data::Categorical::MISSING)
//!    are skipped), and each group's distribution over the clusters.
//!
//! Files: steps 1–5 ([`cluster_users`]) in `cluster`, k-means with linfa in `kmeans`, the
//! silhouette and the choice of k in `silhouette`, NMI ([`normalized_mutual_information`]) in
//! `nmi`, step 6 and the groups published in `relate`, the published types in `result`.

mod cluster;
mod kmeans;
mod nmi;
mod relate;
mod result;
mod silhouette;
#[cfg(test)]
mod test_support;

pub use cluster::{
    cluster_users, fit_hash, has_category, ClusterSums, Fitted, FIT_SAMPLE, SILHOUETTE_SAMPLE,
    TOP_CATEGORIES,
};
pub use kmeans::{FIT_RUNS, N_REFINED, N_RUNS, START_SAMPLE};
pub use nmi::{nmi_of_table, normalized_mutual_information};
pub use relate::{slice_segregation, slice_segregation_of_table};
pub use result::{
    CategoryShare, ClusterSummary, GroupClusters, KCandidate, KRule, Segregation, SliceSegregation,
};
pub use silhouette::{silhouette_score, K_CANDIDATES};

use crate::data::Dataset;
use crate::metrics::bubble::BubbleConfig;

/// Clusters users by list category distribution and relates the clusters to the slice columns
/// (see the module docs for the procedure). Uses `cfg.n_clusters` and `cfg.seed`.
///
/// `None` when the items have no categories, or fewer than two distinct list distributions exist in
/// the fit sample (nothing to segregate).
pub fn segregation(ds: &Dataset, cfg: &BubbleConfig) -> Option<Segregation> {
    let clustering = cluster_users(
        &ds.recs,
        ds.n_users,
        &ds.user_keys,
        &ds.items.categories,
        &ds.items.category_labels,
        cfg,
    )?;
    Some(clustering.relate_slices(&ds.slices))
}

#[cfg(test)]
mod tests {
    use super::test_support::{close, planted};
    use super::*;
    use crate::data::Csr;

    #[test]
    fn planted_two_clusters_nmi_near_one_shuffled_near_zero() {
        let ds = planted(200);
        let cfg = BubbleConfig::default();
        let seg = segregation(&ds, &cfg).unwrap();
        // silhouette picks k = 2: the two sides are far apart, the variants within a side close
        assert_eq!(seg.k_rule, KRule::Silhouette);
        assert_eq!(seg.n_clusters, 2, "{:?}", seg.k_candidates);
        assert_eq!(seg.k_candidates.len(), 7); // k = 2..=8
        assert_eq!((seg.n_users, seg.n_users_unclustered), (400, 0));
        let side = &seg.slices[0];
        assert_eq!(side.column, "side");
        close(side.nmi.unwrap(), 1.0, 1e-9);
        assert_eq!(side.groups.len(), 2);
        assert!(side.groups.iter().all(|g| g.cluster_shares.contains(&1.0)));
        let coin = &seg.slices[1];
        assert!(coin.nmi.unwrap() < 0.05, "{:?}", coin.nmi);
        // missing slice values are skipped
        assert_eq!(seg.slices[2].n_users, 399);
        close(seg.slices[2].nmi.unwrap(), 1.0, 1e-9);
        // clusters: equal sizes, dominant categories of one side each
        assert_eq!(seg.clusters[0].n_users, 200);
        let tops: Vec<Vec<&str>> = seg
            .clusters
            .iter()
            .map(|c| {
                c.top_categories
                    .iter()
                    .map(|t| t.category.as_str())
                    .collect()
            })
            .collect();
        assert!(tops.contains(&vec!["w", "x"]) || tops.contains(&vec!["x", "w"]));
        assert!(tops.contains(&vec!["y", "z"]) || tops.contains(&vec!["z", "y"]));
        // shares of a side's categories sum to 1
        let c0: f64 = seg.clusters[0].top_categories.iter().map(|t| t.share).sum();
        close(c0, 1.0, 1e-12);
        assert_eq!(seg.labels.len(), 400);
    }

    #[test]
    fn deterministic_and_given_k() {
        let ds = planted(60);
        let cfg = BubbleConfig {
            n_clusters: Some(3),
            ..BubbleConfig::default()
        };
        let a = segregation(&ds, &cfg).unwrap();
        let b = segregation(&ds, &cfg).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.k_rule, KRule::Given);
        assert!(a.k_candidates.is_empty());
        assert!(a.n_clusters <= 3 && a.n_clusters >= 2);
        // clusters are numbered by decreasing size
        assert!(a.clusters.windows(2).all(|w| w[0].n_users >= w[1].n_users));
        // a k above the number of distinct distributions is clamped (2 here)
        let mut two = ds.clone();
        two.recs = Csr::from_rows((0..120).map(|u| if u % 2 == 0 { vec![0, 4] } else { vec![2] }));
        let big = BubbleConfig {
            n_clusters: Some(50),
            ..BubbleConfig::default()
        };
        assert_eq!(segregation(&two, &big).unwrap().n_clusters, 2);
    }

    #[test]
    fn nothing_to_segregate() {
        let mut ds = planted(10);
        // every list identical → one distinct distribution
        ds.recs = Csr::from_rows(vec![vec![0, 1, 4, 5]; 20]);
        assert_eq!(ds.recs.n_rows(), ds.n_users);
        assert!(segregation(&ds, &BubbleConfig::default()).is_none());
        // no categories
        let mut ds = planted(10);
        ds.items.category_labels.clear();
        assert!(segregation(&ds, &BubbleConfig::default()).is_none());
    }
}
