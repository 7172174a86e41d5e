//! The registry of metric definitions: one entry per metric key, naming its family, which
//! direction is better, its label and unit, a one-line meaning, its formula and its source.
//!
//! Everything that names a metric reads it from here: the policy's validation of gate metrics
//! ([`crate::gate`]), the report's labels and explanations ([`crate::report`]), the
//! `definitions` block of `audit.json`, and the metric tables of `docs/metrics.md` (a test checks
//! that the document lists every entry with the label, direction and formula written here).
//!
//! Per-user metrics are built from their entry ([`UserMetric::new`](super::UserMetric::new)), so a
//! metric cannot be computed without being defined. Notation: L_u the top-k list of user u,
//! Rel_u its held-out relevant items, H_u its history, r(u,i) the rank of i in L_u, w(r) the
//! position weight, pop(i) the number of history users of item i, φ(i) = pop(i) / U.

use serde::Serialize;

use super::Better;

/// The family a metric belongs to (the report's sections and `audit.json`'s `family`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// Accuracy against held-out truth.
    Quality,
    /// How popular the recommended items are.
    Popularity,
    /// How varied lists and the catalog's use are.
    Diversity,
    /// How well lists mirror users' own tastes.
    Calibration,
    /// Filter-bubble flags: narrowing, echo, drift.
    Bubble,
    /// Attention given to items and item groups.
    Exposure,
    /// Demographic groups living in separate clusters of lists.
    Segregation,
}

impl Family {
    /// The name written in `audit.json` (`quality`, `popularity`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Family::Quality => "quality",
            Family::Popularity => "popularity",
            Family::Diversity => "diversity",
            Family::Calibration => "calibration",
            Family::Bubble => "bubble",
            Family::Exposure => "exposure",
            Family::Segregation => "segregation",
        }
    }
}

/// Where a metric's values stand in `audit.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// One value per user, averaged per slice group (`metrics.<key>`).
    PerUser,
    /// One value for a set of lists taken as a whole (`corpus.*.scalars.<key>`).
    Corpus,
    /// One value per item group of an item column (`corpus.*.shares.<key>_<column>`).
    ItemGroupShares,
    /// One value per slice column (`segregation.columns.<column>.nmi`).
    PerSliceColumn,
}

/// The definition of one metric.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MetricDef {
    /// The stable key in `audit.json` and in policies (`ndcg`, `arp`, ...).
    pub key: &'static str,
    /// Its family.
    pub family: Family,
    /// Where its values stand.
    pub kind: Kind,
    /// Which direction is better.
    pub better: Better,
    /// Display name; `{k}` stands for the cutoff.
    pub label: &'static str,
    /// Unit, for axis labels and tables.
    pub unit: &'static str,
    /// Shown as a percentage.
    pub percent: bool,
    /// What it means, in one plain paragraph for readers of the report.
    pub meaning: &'static str,
    /// Its formula, in the notation of the module docs.
    pub formula: &'static str,
    /// Where the definition comes from.
    pub source: &'static str,
}

impl MetricDef {
    /// The label with the cutoff `k` filled in (`NDCG@10`).
    pub fn label_at(&self, k: usize) -> String {
        self.label.replace("{k}", &k.to_string())
    }
}

/// The definition of `key`, if recaudit computes a metric of that name.
pub fn definition(key: &str) -> Option<&'static MetricDef> {
    METRICS.iter().copied().find(|d| d.key == key)
}

/// The definitions of one kind, in registry order.
pub fn of_kind(kind: Kind) -> impl Iterator<Item = &'static MetricDef> {
    METRICS.iter().copied().filter(move |d| d.kind == kind)
}

/// The share family and item column of a share key (`exposure_share_provider` →
/// (the `exposure_share` definition, `provider`)).
pub fn share_family_of(key: &str) -> Option<(&'static MetricDef, &str)> {
    of_kind(Kind::ItemGroupShares).find_map(|d| {
        let col = key.strip_prefix(d.key)?.strip_prefix('_')?;
        (!col.is_empty()).then_some((d, col))
    })
}

/// The README's table of metrics: one row per metric with its key, label, family and better
/// direction. `tests/integration/docs.rs` checks that the README holds exactly this table.
pub fn markdown_summary() -> String {
    let mut out = String::from("| key | metric | family | better |\n|---|---|---|---|\n");
    for d in METRICS {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            d.key,
            markdown_cell(&d.label.replace("{k}", "k")),
            d.family.name(),
            better_arrow(d.better)
        ));
    }
    out
}

/// The definitions table of `docs/metrics.md`: one row per metric with its key, better
/// direction, formula, meaning and source. Checked like [`markdown_summary`].
pub fn markdown_definitions() -> String {
    let mut out =
        String::from("| key | better | formula | meaning | source |\n|---|---|---|---|---|\n");
    for d in METRICS {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            d.key,
            better_arrow(d.better),
            markdown_cell(d.formula),
            markdown_cell(d.meaning),
            markdown_cell(d.source)
        ));
    }
    out
}

fn better_arrow(b: Better) -> &'static str {
    match b {
        Better::Higher => "↑ higher",
        Better::Lower => "↓ lower",
        Better::Neutral => "neither",
    }
}

/// Text made safe for a Markdown table cell (`|` escaped).
fn markdown_cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// Every metric recaudit computes: per-user metrics, corpus values, shares per item group, then
/// per slice column; in each, in the order of the report's tables.
pub static METRICS: &[&MetricDef] = &[
    // per-user metrics
    &PRECISION,
    &RECALL,
    &HIT,
    &MRR,
    &NDCG,
    &ARP,
    &APLT,
    &GAP_R,
    &GAP_P,
    &NOVELTY_USER,
    &ILD,
    &LIST_ENTROPY,
    &MISCALIBRATION,
    &NARROWING_RATIO,
    &NARROWED,
    &HISTORY_CATEGORY_COVERAGE,
    &OVER_PERSONALISATION,
    &DIVERSITY_SLOPE,
    &LIST_OVERLAP,
    &DIVERSITY_FALLING,
    &LIST_FROZEN,
    &EE_L2,
    &EE_D,
    &EE_R,
    &AWRF,
    // values of a set of lists as a whole
    &CATALOG_COVERAGE,
    &DISTRIBUTIONAL_COVERAGE,
    &PERSONALISATION,
    &NOVELTY,
    &GINI_EXPOSURE_LOG,
    &GINI_EXPOSURE_RBP,
    &GINI_EXPOSURE_UNIFORM,
    &GINI_UNIFORM,
    &DELTA_GAP,
    // shares per item group
    &EXPOSURE_SHARE,
    &TARGET_SHARE_CATALOG,
    &TARGET_SHARE_MERIT,
    &TARGET_SHARE_RELEVANCE,
    &DISPARATE_EXPOSURE_RATIO_CATALOG,
    &DISPARATE_EXPOSURE_RATIO_MERIT,
    &DISPARATE_EXPOSURE_RATIO_RELEVANCE,
    // per slice column
    &NMI,
];

const JARVELIN: &str = "Järvelin & Kekäläinen 2002, \"Cumulated gain-based evaluation of IR techniques\" (ACM TOIS); gains as ranx and Microsoft Recommenders";
const ABDOLLAHPOURI_2019: &str = "Abdollahpouri, Burke & Mobasher 2019, \"Managing popularity bias in recommender systems with personalized re-ranking\" (FLAIRS)";
const GAP_SOURCE: &str = "Abdollahpouri et al. 2019, \"The unfairness of popularity bias in recommendation\" (RMSE workshop, RecSys)";
const NARROWING_SOURCE: &str = "recaudit's filter-bubble flag after Nguyen et al. 2014, \"Exploring the filter bubble\" (WWW); entropy as Shannon 1948";
const EE_SOURCE: &str = "Diaz, Mitra, Ekstrand, Biega & Carterette 2020, \"Evaluating stochastic rankings with expected exposure\" (CIKM)";
const SINGH_JOACHIMS: &str = "Singh & Joachims 2018, \"Fairness of exposure in rankings\" (KDD)";
const KAMINSKAS: &str =
    "Kaminskas & Bridge 2016, \"Diversity, serendipity, novelty, and coverage\" (ACM TiiS)";
const GINI_FORMULA: &str = "with E sorted ascending over all catalog items (never-shown items as 0): G = Σ_j (2j − n − 1) E_j / (n Σ_j E_j)";

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

/// Average recommendation popularity.
pub static ARP: MetricDef = MetricDef {
    key: "arp",
    family: Family::Popularity,
    kind: Kind::PerUser,
    better: Better::Lower,
    label: "ARP",
    unit: "history users per item",
    percent: false,
    meaning: "Average recommendation popularity: how many users of the history had interacted with a recommended item, averaged over the list. High values mean a group is mostly shown blockbusters. Lower means less popularity bias.",
    formula: "mean_{i∈L_u} pop(i)",
    source: ABDOLLAHPOURI_2019,
};

/// Average percentage of long-tail items.
pub static APLT: MetricDef = MetricDef {
    key: "aplt",
    family: Family::Popularity,
    kind: Kind::PerUser,
    better: Better::Higher,
    label: "Long-tail share (APLT)",
    unit: "share of the list",
    percent: true,
    meaning: "Average percentage of long-tail items: the share of each list drawn from the long tail (items outside the popular head that holds the top share of history interactions). Higher means more niche items.",
    formula: "|L_u ∩ tail| / |L_u|",
    source: ABDOLLAHPOURI_2019,
};

/// Mean popularity of the recommended items.
pub static GAP_R: MetricDef = MetricDef {
    key: "gap_r",
    family: Family::Popularity,
    kind: Kind::PerUser,
    better: Better::Neutral,
    label: "Popularity of lists (GAP_r)",
    unit: "mean popularity share",
    percent: false,
    meaning: "Mean popularity φ (share of history users who interacted with the item) of the recommended items. Compared with GAP_p to see whether recommendations are more popular than what users consumed.",
    formula: "mean_{i∈L_u} φ(i)",
    source: GAP_SOURCE,
};

/// Mean popularity of the history items.
pub static GAP_P: MetricDef = MetricDef {
    key: "gap_p",
    family: Family::Popularity,
    kind: Kind::PerUser,
    better: Better::Neutral,
    label: "Popularity of history (GAP_p)",
    unit: "mean popularity share",
    percent: false,
    meaning: "Mean popularity φ of the items in the users' own history: the baseline against which GAP_r and ΔGAP are read.",
    formula: "mean_{i∈H_u} φ(i)",
    source: GAP_SOURCE,
};

/// Relative popularity lift of lists over histories.
pub static DELTA_GAP: MetricDef = MetricDef {
    key: "delta_gap",
    family: Family::Popularity,
    kind: Kind::Corpus,
    better: Better::Lower,
    label: "ΔGAP",
    unit: "relative change",
    percent: false,
    meaning: "How much more popular the recommended items are than the items the same users consumed: 0 means as popular, positive means the lists lean to blockbusters. Lower is better.",
    formula: "(GAP_r − GAP_p) / GAP_p over the users of the set, GAP_r and GAP_p averaged over users",
    source: GAP_SOURCE,
};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_found() {
        for (i, d) in METRICS.iter().enumerate() {
            assert!(
                METRICS[..i].iter().all(|e| e.key != d.key),
                "{} twice",
                d.key
            );
            assert_eq!(definition(d.key).map(|e| e.key), Some(d.key));
        }
        assert!(definition("nope").is_none());
    }

    #[test]
    fn every_definition_is_filled_in() {
        for d in METRICS {
            for (what, text) in [
                ("label", d.label),
                ("unit", d.unit),
                ("meaning", d.meaning),
                ("formula", d.formula),
                ("source", d.source),
            ] {
                assert!(!text.trim().is_empty(), "{} has no {what}", d.key);
            }
        }
    }

    #[test]
    fn share_keys_find_their_family_and_column() {
        let (d, col) = share_family_of("exposure_share_provider").unwrap();
        assert_eq!((d.key, col), ("exposure_share", "provider"));
        let (d, col) = share_family_of("disparate_exposure_ratio_merit_popularity_band").unwrap();
        assert_eq!(
            (d.key, col),
            ("disparate_exposure_ratio_merit", "popularity_band")
        );
        assert!(share_family_of("exposure_share").is_none());
        assert!(share_family_of("ndcg_x").is_none());
        // no family key begins another's, so the first match is the only one
        for a in of_kind(Kind::ItemGroupShares) {
            for b in of_kind(Kind::ItemGroupShares) {
                assert!(a.key == b.key || !b.key.starts_with(&format!("{}_", a.key)));
            }
        }
    }

    #[test]
    fn labels_take_the_cutoff() {
        assert_eq!(NDCG.label_at(10), "NDCG@10");
        assert_eq!(ARP.label_at(10), "ARP");
    }
}
