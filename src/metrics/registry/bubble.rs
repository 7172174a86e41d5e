//! Filter bubbles (narrowing, over-personalisation, drift over time) and segregation.

use super::{Family, Kind, MetricDef};
use crate::metrics::Better;

const NARROWING_SOURCE: &str = "recaudit's filter-bubble flag after Nguyen et al. 2014, \"Exploring the filter bubble\" (WWW); entropy as Shannon 1948";

/// Narrowing ratio.
pub static NARROWING_RATIO: MetricDef = MetricDef {
    key: "narrowing_ratio",
    family: Family::Bubble,
    kind: Kind::PerUser,
    better: Better::Higher,
    label: "Narrowing ratio",
    unit: "H(list) / H(history)",
    percent: false,
    meaning: "Category diversity of the list divided by the diversity of the user's history: 1 means the list is as varied as what the user consumed, below 1 means narrower.",
    formula: "H(L_u) / H(H_u), for users with at least `min_history` history items",
    source: NARROWING_SOURCE,
};
/// Share of users whose list is narrowed.
pub static NARROWED: MetricDef = MetricDef {
    key: "narrowed",
    family: Family::Bubble,
    kind: Kind::PerUser,
    better: Better::Lower,
    label: "Share narrowed",
    unit: "share of users",
    percent: true,
    meaning: "The share of users (with enough history) whose list is less than the narrowing threshold as diverse as their history: a sign of a filter bubble. Lower is better.",
    formula: "1[H(L_u) / H(H_u) < narrowing threshold]",
    source: NARROWING_SOURCE,
};
/// Share of history categories a list still covers.
pub static HISTORY_CATEGORY_COVERAGE: MetricDef = MetricDef {
    key: "history_category_coverage",
    family: Family::Bubble,
    kind: Kind::PerUser,
    better: Better::Higher,
    label: "History category coverage",
    unit: "share of history categories",
    percent: true,
    meaning: "The share of the categories in a user's history that their list still covers. Lower means the list drops interests the user had.",
    formula: "|cats(L_u) ∩ cats(H_u)| / |cats(H_u)|",
    source: NARROWING_SOURCE,
};
/// Share of a list inside the categories just consumed.
pub static OVER_PERSONALISATION: MetricDef = MetricDef {
    key: "over_personalisation",
    family: Family::Bubble,
    kind: Kind::PerUser,
    better: Better::Lower,
    label: "Over-personalisation",
    unit: "share of the list",
    percent: true,
    meaning: "The share of a list that stays inside the categories of the user's last few history items: near 100% means recommendations only echo what was just consumed. Lower is better.",
    formula: "|{i ∈ L_u : cats(i) ⊆ R_u}| / |{i ∈ L_u categorised}|, R_u = categories of the last N history items",
    source: "Kotkov, Wang & Veijalainen 2016, \"A survey of serendipity in recommender systems\"; Adamopoulos & Tuzhilin 2014, \"On unexpectedness in recommender systems\" (ACM TIST)",
};
/// Per-user slope of list entropy over snapshots.
pub static DIVERSITY_SLOPE: MetricDef = MetricDef {
    key: "diversity_slope",
    family: Family::Bubble,
    kind: Kind::PerUser,
    better: Better::Higher,
    label: "Diversity trend",
    unit: "bits per snapshot",
    percent: false,
    meaning: "Per-user least-squares slope of list category entropy across snapshots: negative means lists become narrower over time.",
    formula: "Σ_t (t − t̄)(H_t − H̄) / Σ_t (t − t̄)², H_t = H(L_u^t)",
    source: NARROWING_SOURCE,
};
/// Overlap of consecutive lists.
pub static LIST_OVERLAP: MetricDef = MetricDef {
    key: "list_overlap",
    family: Family::Bubble,
    kind: Kind::PerUser,
    better: Better::Lower,
    label: "List overlap over time",
    unit: "share of k",
    percent: true,
    meaning: "Mean share of a user's list that stays the same from one snapshot to the next: high values mean lists are frozen.",
    formula: "mean_t |L_u^t ∩ L_u^{t+1}| / k",
    source: NARROWING_SOURCE,
};
/// Share of users whose diversity falls.
pub static DIVERSITY_FALLING: MetricDef = MetricDef {
    key: "diversity_falling",
    family: Family::Bubble,
    kind: Kind::PerUser,
    better: Better::Lower,
    label: "Share with falling diversity",
    unit: "share of users",
    percent: true,
    meaning: "The share of users whose list diversity falls faster than the slope threshold across snapshots. Lower is better.",
    formula: "1[diversity_slope(u) < −slope threshold]",
    source: NARROWING_SOURCE,
};
/// Share of users whose lists are frozen.
pub static LIST_FROZEN: MetricDef = MetricDef {
    key: "list_frozen",
    family: Family::Bubble,
    kind: Kind::PerUser,
    better: Better::Lower,
    label: "Share with frozen lists",
    unit: "share of users",
    percent: true,
    meaning: "The share of users whose successive lists overlap at least the overlap threshold. Lower is better.",
    formula: "1[list_overlap(u) ≥ overlap threshold]",
    source: NARROWING_SOURCE,
};
/// Normalised mutual information between slice groups and list clusters.
pub static NMI: MetricDef = MetricDef {
    key: "nmi",
    family: Family::Segregation,
    kind: Kind::PerSliceColumn,
    better: Better::Lower,
    label: "Segregation (NMI)",
    unit: "0–1",
    percent: false,
    meaning: "How strongly a demographic column and the clusters of users' lists coincide: 0 means every group is spread over the clusters like everyone else, 1 means each group lives in its own cluster. Lower is better.",
    formula: "I(S; C) / ((H(S) + H(C)) / 2), S the slice group, C the k-means cluster of the list's category distribution (arithmetic normalisation, scikit-learn's default)",
    source: "Strehl & Ghosh 2002, \"Cluster ensembles\" (JMLR); k-means (k-means++) by linfa",
};
