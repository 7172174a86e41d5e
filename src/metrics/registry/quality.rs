//! Quality against held-out truth: precision, recall, hit rate, MRR, NDCG, and their SNIPS forms
//! corrected for what was logged.

use super::{Family, Kind, MetricDef};
use crate::metrics::Better;

const JARVELIN: &str = "Järvelin & Kekäläinen 2002, \"Cumulated gain-based evaluation of IR techniques\" (ACM TOIS); gains as ranx and Microsoft Recommenders";

/// Precision at k.
pub static PRECISION: MetricDef = MetricDef {
    key: "precision",
    family: Family::Quality,
    kind: Kind::PerUser,
    better: Better::Higher,
    label: "Precision@{k}",
    unit: "share of the list, 0–1",
    percent: false,
    meaning: "Of the k items shown to a user, the share that the user later engaged with (held-out truth). Higher is better.",
    formula: "|L_u ∩ Rel_u| / k",
    source: "Manning, Raghavan & Schütze 2008, \"Introduction to Information Retrieval\", §8.4",
};
/// Recall at k.
pub static RECALL: MetricDef = MetricDef {
    key: "recall",
    family: Family::Quality,
    kind: Kind::PerUser,
    better: Better::Higher,
    label: "Recall@{k}",
    unit: "share of relevant items, 0–1",
    percent: false,
    meaning: "Of the items a user later engaged with, the share that made it into their top-k list. Higher is better.",
    formula: "|L_u ∩ Rel_u| / |Rel_u|",
    source: "Manning, Raghavan & Schütze 2008, \"Introduction to Information Retrieval\", §8.4",
};
/// Hit rate at k.
pub static HIT: MetricDef = MetricDef {
    key: "hit",
    family: Family::Quality,
    kind: Kind::PerUser,
    better: Better::Higher,
    label: "Hit rate@{k}",
    unit: "share of users",
    percent: true,
    meaning: "The share of users whose top-k list contains at least one item they later engaged with. Higher is better.",
    formula: "1[|L_u ∩ Rel_u| > 0]",
    source: "Deshpande & Karypis 2004, \"Item-based top-N recommendation algorithms\" (ACM TOIS)",
};
/// Mean reciprocal rank at k.
pub static MRR: MetricDef = MetricDef {
    key: "mrr",
    family: Family::Quality,
    kind: Kind::PerUser,
    better: Better::Higher,
    label: "MRR@{k}",
    unit: "1 / rank, 0–1",
    percent: false,
    meaning: "Reciprocal rank of the first relevant item (1 when it is at the top, ½ at rank 2, 0 when absent), averaged over users. Higher is better.",
    formula: "1 / min{r(u,i) : i ∈ L_u ∩ Rel_u}, 0 when none",
    source: "Voorhees 1999, \"The TREC-8 question answering track report\"",
};
/// Normalised discounted cumulative gain at k.
pub static NDCG: MetricDef = MetricDef {
    key: "ndcg",
    family: Family::Quality,
    kind: Kind::PerUser,
    better: Better::Higher,
    label: "NDCG@{k}",
    unit: "0–1",
    percent: false,
    meaning: "How close each user's top-k list comes to the ideal ordering of the items they later engaged with: 1 means the best possible list, 0 means none of them was shown. Relevant items count more the higher they are ranked. Higher is better.",
    formula: "DCG / IDCG, DCG = Σ_{i∈L_u} rel(u,i) / log2(r(u,i) + 1), IDCG = the DCG of Rel_u sorted by relevance, truncated at k",
    source: JARVELIN,
};

const YANG: &str = "Yang, Cui, Xiong, Chen & Estrin 2018, \"Unbiased offline recommender evaluation for missing-not-at-random implicit feedback\" (RecSys), the self-normalised (SNIPS) estimator; propensities as LensKit's PopularityPropensity";

/// Precision at k, each hit weighted by its inverse propensity (SNIPS).
pub static SNIPS_PRECISION: MetricDef = MetricDef {
    key: "snips_precision",
    family: Family::Quality,
    kind: Kind::PerUser,
    better: Better::Higher,
    label: "SNIPS precision@{k}",
    unit: "share of the list, 0–1",
    percent: false,
    meaning: "Precision corrected for what was logged: held-out engagement is more often recorded for popular (or often shown) items, so each relevant item counts by the inverse of its chance of being observed, scaled so that the user's relevant items keep their count. Higher is better.",
    formula: "|S*_u| · Σ_{i∈L_u∩S*_u} w_i / (k · Σ_{i∈S*_u} w_i), w_i = 1 / P_ui",
    source: YANG,
};
/// Recall at k, each relevant item weighted by its inverse propensity (SNIPS).
pub static SNIPS_RECALL: MetricDef = MetricDef {
    key: "snips_recall",
    family: Family::Quality,
    kind: Kind::PerUser,
    better: Better::Higher,
    label: "SNIPS recall@{k}",
    unit: "share of relevant items, 0–1",
    percent: false,
    meaning: "Recall corrected for what was logged: the share of a user's relevant items that made the top-k list, each item counting by the inverse of its chance of being observed, so rarely observed items weigh more. Higher is better.",
    formula: "Σ_{i∈L_u∩S*_u} w_i / Σ_{i∈S*_u} w_i, w_i = 1 / P_ui",
    source: YANG,
};
/// NDCG at k with inverse-propensity weighted gains (SNIPS).
pub static SNIPS_NDCG: MetricDef = MetricDef {
    key: "snips_ndcg",
    family: Family::Quality,
    kind: Kind::PerUser,
    better: Better::Higher,
    label: "SNIPS NDCG@{k}",
    unit: "0–1",
    percent: false,
    meaning: "NDCG corrected for what was logged: each relevant item's gain is multiplied by the inverse of its chance of being observed, and the list is compared with the best list under the same weights. Higher is better.",
    formula: "Σ_{i∈L_u∩S*_u} w_i rel(u,i) / log2(r(u,i) + 1) / (the same sum for S*_u sorted by w_i rel(u,i), truncated at k), w_i = 1 / P_ui",
    source: YANG,
};
