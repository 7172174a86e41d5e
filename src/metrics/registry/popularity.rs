//! Popularity bias: ARP, APLT, GAP and ΔGAP.

use super::{Family, Kind, MetricDef};
use crate::metrics::Better;

const ABDOLLAHPOURI_2019: &str = "Abdollahpouri, Burke & Mobasher 2019, \"Managing popularity bias in recommender systems with personalized re-ranking\" (FLAIRS)";
const GAP_SOURCE: &str = "Abdollahpouri et al. 2019, \"The unfairness of popularity bias in recommendation\" (RMSE workshop, RecSys)";

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
