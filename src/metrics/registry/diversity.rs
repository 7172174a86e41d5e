//! Diversity, novelty, coverage, personalisation and calibration.

use super::{Family, Kind, MetricDef, KAMINSKAS};
use crate::metrics::Better;

/// Mean self-information of one user's list.
pub static NOVELTY_USER: MetricDef = MetricDef {
    key: "novelty_user",
    family: Family::Diversity,
    kind: Kind::PerUser,
    better: Better::Higher,
    label: "Novelty",
    unit: "bits",
    percent: false,
    meaning: "Mean self-information −log₂ φ of the recommended items: higher means less familiar, less popular items.",
    formula: "mean_{i∈L_u} −log2 φ(i), φ = 0 read as 1/U",
    source: "Zhou et al. 2010, \"Solving the apparent diversity-accuracy dilemma of recommender systems\" (PNAS)",
};
/// Intra-list diversity.
pub static ILD: MetricDef = MetricDef {
    key: "ild",
    family: Family::Diversity,
    kind: Kind::PerUser,
    better: Better::Higher,
    label: "Intra-list diversity",
    unit: "mean pairwise distance, 0–1",
    percent: false,
    meaning: "How different the items in one list are from each other (mean pairwise distance of categories or features). Higher means more varied lists.",
    formula: "mean over the k(k−1)/2 pairs i≠j of L_u of d(i,j); d = 1 − Jaccard of category sets, or cosine distance of feature vectors",
    source: "Ziegler, McNee, Konstan & Lausen 2005, \"Improving recommendation lists through topic diversification\" (WWW)",
};
/// Category entropy of one list.
pub static LIST_ENTROPY: MetricDef = MetricDef {
    key: "list_entropy",
    family: Family::Diversity,
    kind: Kind::PerUser,
    better: Better::Higher,
    label: "Category entropy of lists",
    unit: "bits",
    percent: false,
    meaning: "How evenly a list spreads over item categories (Shannon entropy in bits): 0 means a single category, higher means more categories, more evenly.",
    formula: "H(L_u) = −Σ_c q(c|u) log2 q(c|u), an item with m categories giving 1/m to each",
    source: "Shannon 1948; as used by Nguyen et al. 2014, \"Exploring the filter bubble\" (WWW)",
};
/// Mean self-information over all recommendations.
pub static NOVELTY: MetricDef = MetricDef {
    key: "novelty",
    family: Family::Diversity,
    kind: Kind::Corpus,
    better: Better::Higher,
    label: "Novelty (bits)",
    unit: "bits",
    percent: false,
    meaning: "Mean self-information −log₂ φ over every recommendation of the set: higher means less familiar items.",
    formula: "mean over all (u, i ∈ L_u) of −log2 φ(i), φ = 0 read as 1/U",
    source: "Zhou et al. 2010, \"Solving the apparent diversity-accuracy dilemma of recommender systems\" (PNAS)",
};
/// Catalog coverage.
pub static CATALOG_COVERAGE: MetricDef = MetricDef {
    key: "catalog_coverage",
    family: Family::Diversity,
    kind: Kind::Corpus,
    better: Better::Higher,
    label: "Catalog coverage",
    unit: "share of the catalog",
    percent: true,
    meaning: "The share of the catalog recommended to at least one user. Depends on how many users the set holds.",
    formula: "|∪_u L_u| / |I|",
    source: KAMINSKAS,
};
/// Shannon entropy of how often items are recommended.
pub static DISTRIBUTIONAL_COVERAGE: MetricDef = MetricDef {
    key: "distributional_coverage_bits",
    family: Family::Diversity,
    kind: Kind::Corpus,
    better: Better::Higher,
    label: "Distributional coverage (bits)",
    unit: "bits",
    percent: false,
    meaning: "How evenly recommendations spread over items (Shannon entropy of recommendation counts): higher means attention is shared by more items.",
    formula: "−Σ_i p(i) log2 p(i), p(i) = (times i is recommended) / (all recommendations)",
    source: "Adomavicius & Kwon 2012, \"Improving aggregate recommendation diversity using ranking-based techniques\" (IEEE TKDE)",
};
/// Personalisation across users.
pub static PERSONALISATION: MetricDef = MetricDef {
    key: "personalisation",
    family: Family::Diversity,
    kind: Kind::Corpus,
    better: Better::Higher,
    label: "Personalisation",
    unit: "1 − mean overlap, 0–1",
    percent: false,
    meaning: "How different users' lists are from each other: 1 means no two lists share an item, 0 means everyone gets the same list.",
    formula: "1 − mean over user pairs of |L_u ∩ L_v| / k, via Σ_pairs |L_u ∩ L_v| = Σ_i C(c_i, 2)",
    source: "Zhou et al. 2010 (PNAS); as in Microsoft Recommenders' personalisation",
};
/// Steck's miscalibration.
pub static MISCALIBRATION: MetricDef = MetricDef {
    key: "miscalibration",
    family: Family::Calibration,
    kind: Kind::PerUser,
    better: Better::Lower,
    label: "Miscalibration",
    unit: "KL divergence, nats",
    percent: false,
    meaning: "How far the category mix of a list is from the mix of the user's own history (Steck's KL divergence). 0 means the list mirrors the user's tastes; lower is better.",
    formula: "KL(p ‖ q̃) = Σ_c p(c|u) ln(p(c|u) / q̃(c|u)), p from H_u, q from L_u, q̃ = (1 − α) q + α p, α = 0.01",
    source: "Steck 2018, \"Calibrated recommendations\" (RecSys)",
};
