//! Exposure of items and item groups: expected exposure, AWRF, Gini, shares and their targets.

use super::{Family, Kind, MetricDef, KAMINSKAS};
use crate::metrics::Better;

const EE_SOURCE: &str = "Diaz, Mitra, Ekstrand, Biega & Carterette 2020, \"Evaluating stochastic rankings with expected exposure\" (CIKM)";
const SINGH_JOACHIMS: &str = "Singh & Joachims 2018, \"Fairness of exposure in rankings\" (KDD)";
const GINI_FORMULA: &str = "with E sorted ascending over all catalog items (never-shown items as 0): G = Σ_j (2j − n − 1) E_j / (n Σ_j E_j)";

/// Expected exposure loss.
pub static EE_L2: MetricDef = MetricDef {
    key: "ee_l2",
    family: Family::Exposure,
    kind: Kind::PerUser,
    better: Better::Lower,
    label: "Expected exposure loss",
    unit: "squared distance",
    percent: false,
    meaning: "Distance between the exposure each item receives across repeated (stochastic) rankings and the exposure its relevance deserves (Diaz et al. 2020). Lower is better.",
    formula: "‖ε − ε*‖² = EE-D − EE-R + ‖ε*‖², ε_i = mean over sampled lists of w(r(i)), ε* = the exposure of the ideal ranking of Rel_u",
    source: EE_SOURCE,
};
/// Expected exposure disparity.
pub static EE_D: MetricDef = MetricDef {
    key: "ee_d",
    family: Family::Exposure,
    kind: Kind::PerUser,
    better: Better::Lower,
    label: "Expected exposure disparity",
    unit: "sum of squares",
    percent: false,
    meaning: "How unequally exposure is spread over items across the sampled rankings. Lower means exposure is shared more evenly.",
    formula: "‖ε‖² = Σ_i ε_i²",
    source: EE_SOURCE,
};
/// Expected exposure relevance.
pub static EE_R: MetricDef = MetricDef {
    key: "ee_r",
    family: Family::Exposure,
    kind: Kind::PerUser,
    better: Better::Higher,
    label: "Expected exposure relevance",
    unit: "dot product",
    percent: false,
    meaning: "How much of the exposure across the sampled rankings goes to relevant items. Higher is better.",
    formula: "2 ε·ε* = 2 Σ_i ε_i ε*_i",
    source: EE_SOURCE,
};
/// Attention-weighted rank fairness.
pub static AWRF: MetricDef = MetricDef {
    key: "awrf",
    family: Family::Exposure,
    kind: Kind::PerUser,
    better: Better::Higher,
    label: "AWRF",
    unit: "0–1",
    percent: false,
    meaning: "Attention-weighted rank fairness: how closely the attention a list gives to item groups (top ranks get the most) matches the groups' catalog shares. 1 means a perfect match; lower means some item groups are crowded out. Higher is better.",
    formula: "1 − JSD(d_L ‖ t) in bits, d_L(G) ∝ Σ_r a(r) · fraction(L_r, G), a(r) = 1 / log2(max(r, 2)), t = catalog shares of the intersectional item groups",
    source: "Sapiezynski et al. 2019, \"Quantifying the impact of user attention on fair group representation in ranked lists\" (WWW); TREC Fair Ranking 2022",
};
/// Gini of item exposure under the log position weight.
pub static GINI_EXPOSURE_LOG: MetricDef = MetricDef {
    key: "gini_exposure_log",
    family: Family::Exposure,
    kind: Kind::Corpus,
    better: Better::Lower,
    label: "Gini of exposure (log)",
    unit: "0–1",
    percent: false,
    meaning: "How unequally attention is spread over the catalog, with w(r) = 1/log2(r+1): 0 means every item gets the same exposure, 1 means one item takes all.",
    formula: GINI_FORMULA,
    source: SINGH_JOACHIMS,
};
/// Gini of item exposure under the RBP position weight.
pub static GINI_EXPOSURE_RBP: MetricDef = MetricDef {
    key: "gini_exposure_rbp",
    family: Family::Exposure,
    kind: Kind::Corpus,
    better: Better::Lower,
    label: "Gini of exposure (rbp)",
    unit: "0–1",
    percent: false,
    meaning: "How unequally attention is spread over the catalog, with w(r) = p^(r−1): 0 means every item gets the same exposure, 1 means one item takes all.",
    formula: GINI_FORMULA,
    source: "Moffat & Zobel 2008, \"Rank-biased precision for measurement of retrieval effectiveness\" (ACM TOIS)",
};
/// Gini of item exposure under the uniform position weight.
pub static GINI_EXPOSURE_UNIFORM: MetricDef = MetricDef {
    key: "gini_exposure_uniform",
    family: Family::Exposure,
    kind: Kind::Corpus,
    better: Better::Lower,
    label: "Gini of exposure (uniform)",
    unit: "0–1",
    percent: false,
    meaning: "How unequally attention is spread over the catalog when every rank counts the same: 0 means every item gets the same exposure, 1 means one item takes all.",
    formula: GINI_FORMULA,
    source: SINGH_JOACHIMS,
};
/// Gini of recommendation counts.
pub static GINI_UNIFORM: MetricDef = MetricDef {
    key: "gini_uniform",
    family: Family::Exposure,
    kind: Kind::Corpus,
    better: Better::Lower,
    label: "Gini of recommendation counts",
    unit: "0–1",
    percent: false,
    meaning: "How unequally recommendations are spread over the catalog (each appearance counts 1): 0 means every item is recommended equally often.",
    formula: "the Gini formula over c_i, the number of lists containing i, never-recommended items as 0",
    source: KAMINSKAS,
};
/// Exposure share of each item group.
pub static EXPOSURE_SHARE: MetricDef = MetricDef {
    key: "exposure_share",
    family: Family::Exposure,
    kind: Kind::ItemGroupShares,
    better: Better::Neutral,
    label: "Exposure share",
    unit: "share of exposure",
    percent: true,
    meaning: "The share of all attention (rank-weighted appearances) that goes to each item group.",
    formula: "S_G = Σ_{i∈G} E_i / Σ_i E_i, E_i = Σ_u w(r(u,i))",
    source: SINGH_JOACHIMS,
};
/// Catalog share of each item group.
pub static TARGET_SHARE_CATALOG: MetricDef = MetricDef {
    key: "target_share_catalog",
    family: Family::Exposure,
    kind: Kind::ItemGroupShares,
    better: Better::Neutral,
    label: "Catalog share",
    unit: "share of the catalog",
    percent: true,
    meaning: "The share of the catalog's items that belong to each item group: the exposure a group would get if attention followed catalog size.",
    formula: "T_G = |G| / |I|",
    source: SINGH_JOACHIMS,
};
/// Merit share of each item group (history interactions).
pub static TARGET_SHARE_MERIT: MetricDef = MetricDef {
    key: "target_share_merit",
    family: Family::Exposure,
    kind: Kind::ItemGroupShares,
    better: Better::Neutral,
    label: "Merit share (history)",
    unit: "share of history interactions",
    percent: true,
    meaning: "Each item group's share of the history's interactions: the exposure a group would get if attention followed demand.",
    formula: "T_G = Σ_{i∈G} (history interactions with i) / (all history interactions)",
    source: SINGH_JOACHIMS,
};
/// Merit share of each item group (held-out relevance).
pub static TARGET_SHARE_RELEVANCE: MetricDef = MetricDef {
    key: "target_share_relevance",
    family: Family::Exposure,
    kind: Kind::ItemGroupShares,
    better: Better::Neutral,
    label: "Merit share (truth)",
    unit: "share of relevance",
    percent: true,
    meaning: "Each item group's share of the held-out relevance: the exposure a group would get if attention followed what users went on to like.",
    formula: "T_G = Σ_{i∈G} Σ_u rel(u,i) / Σ_i Σ_u rel(u,i)",
    source: SINGH_JOACHIMS,
};
/// Exposure share over catalog share.
pub static DISPARATE_EXPOSURE_RATIO_CATALOG: MetricDef = MetricDef {
    key: "disparate_exposure_ratio_catalog",
    family: Family::Exposure,
    kind: Kind::ItemGroupShares,
    better: Better::Neutral,
    label: "Exposure over catalog share",
    unit: "ratio (1 = proportional)",
    percent: false,
    meaning: "Each item group's exposure share divided by its catalog share: 1 means proportional, below 1 means the group gets less attention than its size.",
    formula: "S_G / T_G with T_G the catalog share; undefined when T_G = 0",
    source: SINGH_JOACHIMS,
};
/// Exposure share over merit share (history).
pub static DISPARATE_EXPOSURE_RATIO_MERIT: MetricDef = MetricDef {
    key: "disparate_exposure_ratio_merit",
    family: Family::Exposure,
    kind: Kind::ItemGroupShares,
    better: Better::Neutral,
    label: "Exposure over merit share (history)",
    unit: "ratio (1 = proportional)",
    percent: false,
    meaning: "Each item group's exposure share divided by its share of history interactions: below 1 means the group gets less attention than demand for it.",
    formula: "S_G / T_G with T_G the history merit share; undefined when T_G = 0",
    source: SINGH_JOACHIMS,
};
/// Exposure share over merit share (truth).
pub static DISPARATE_EXPOSURE_RATIO_RELEVANCE: MetricDef = MetricDef {
    key: "disparate_exposure_ratio_relevance",
    family: Family::Exposure,
    kind: Kind::ItemGroupShares,
    better: Better::Neutral,
    label: "Exposure over merit share (truth)",
    unit: "ratio (1 = proportional)",
    percent: false,
    meaning: "Each item group's exposure share divided by its share of held-out relevance: below 1 means the group gets less attention than users' later interest in it.",
    formula: "S_G / T_G with T_G the relevance merit share; undefined when T_G = 0",
    source: SINGH_JOACHIMS,
};
/// Amortised unfairness of item groups over snapshots.
pub static AMORTISED_UNFAIRNESS: MetricDef = MetricDef {
    key: "amortised_unfairness",
    family: Family::Exposure,
    kind: Kind::ItemGroupShares,
    better: Better::Lower,
    label: "Amortised unfairness",
    unit: "snapshots' worth of attention",
    percent: false,
    meaning: "Over snapshots, how far each item group's accumulated share of attention is from its accumulated share of merit (held-out relevance): 0 when attention given in one snapshot is paid back in later ones. In `over_time.exposure_owed`. Lower is better.",
    formula: "|A_T(G) − R_T(G)|, A_T(G) = Σ_t a_t(G), R_T(G) = Σ_t r_t(G), a_t, r_t the exposure and relevance shares of snapshot t; overall Σ_G",
    source: "Biega, Gummadi & Weikum 2018, \"Equity of attention: amortizing individual fairness in rankings\" (SIGIR)",
};
