//! What the segregation analysis publishes: the clusters, how the number of clusters was chosen,
//! and how each slice column coincides with the clusters.

use serde::{Deserialize, Serialize};

/// How the number of clusters was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KRule {
    /// Given in the configuration (`n_clusters`).
    Given,
    /// Highest mean silhouette over [`K_CANDIDATES`](super::K_CANDIDATES).
    Silhouette,
}

/// The silhouette of one candidate k.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KCandidate {
    /// Number of clusters tried.
    pub k: usize,
    /// Mean silhouette on the silhouette subsample; `null` when undefined (one cluster).
    pub silhouette: Option<f64>,
}

/// A category and its mean share in a cluster's lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryShare {
    /// Category label.
    pub category: String,
    /// Mean of q(category | u) over the cluster's users.
    pub share: f64,
}

/// One cluster of users.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterSummary {
    /// Cluster number (0 = largest).
    pub cluster: usize,
    /// Users in the cluster.
    pub n_users: usize,
    /// Share of the clustered users.
    pub share: f64,
    /// Up to 3 categories with the largest mean share, largest first (ties by category order).
    pub top_categories: Vec<CategoryShare>,
}

/// One slice group's spread over the clusters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupClusters {
    /// Slice value.
    pub group: String,
    /// Clustered users of the group.
    pub n_users: usize,
    /// Share of the group's users in each cluster, by cluster number.
    pub cluster_shares: Vec<f64>,
}

/// How one slice column coincides with the clusters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SliceSegregation {
    /// Slice column name.
    pub column: String,
    /// Clustered users with a value in this column.
    pub n_users: usize,
    /// NMI (arithmetic normalisation) of slice value vs cluster; `null` when fewer than two groups
    /// have clustered users.
    pub nmi: Option<f64>,
    /// Published groups with at least one clustered user, in label order (the caller removes the
    /// others with [`Segregation::publish_only`]).
    pub groups: Vec<GroupClusters>,
    /// Groups not published here (too small, or withheld so that a smaller one cannot be
    /// recovered by differencing).
    #[serde(default)]
    pub groups_not_shown: usize,
}

/// Result of the segregation analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segregation {
    /// Number of (non-empty) clusters.
    pub n_clusters: usize,
    /// How k was chosen.
    pub k_rule: KRule,
    /// Silhouettes of the candidates (empty when k was given).
    pub k_candidates: Vec<KCandidate>,
    /// Mean silhouette of the final clustering on the silhouette subsample (distinct distributions).
    pub silhouette: Option<f64>,
    /// Users clustered (lists with at least one categorised item).
    pub n_users: usize,
    /// Users not clustered (no categorised item in their list).
    pub n_users_unclustered: usize,
    /// Users the k-means was fitted on.
    pub n_users_fit: usize,
    /// The seed used.
    pub seed: u64,
    /// Always `"arithmetic"`: NMI = I(X;Y) / ((H(X) + H(Y)) / 2), as scikit-learn's default.
    pub nmi_normalisation: String,
    /// Clusters, largest first.
    pub clusters: Vec<ClusterSummary>,
    /// One entry per slice column of the dataset.
    pub slices: Vec<SliceSegregation>,
    /// Cluster of each dense user, [`Categorical::MISSING`](crate::data::Categorical::MISSING) when not clustered (not serialised).
    #[serde(skip)]
    pub labels: Vec<u32>,
}
