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

mod bubble;
mod change;
mod diversity;
mod exposure;
mod popularity;
mod quality;

pub use bubble::*;
pub use change::*;
pub use diversity::*;
pub use exposure::*;
pub use popularity::*;
pub use quality::*;

/// The survey both coverage and the Gini of recommendation counts are taken from.
const KAMINSKAS: &str =
    "Kaminskas & Bridge 2016, \"Diversity, serendipity, novelty, and coverage\" (ACM TiiS)";

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
    /// How each user's list changed from a baseline run (`--baseline-recs`).
    Change,
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
            Family::Change => "change",
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

/// Whether `def` is only computed when an audit is given a baseline run's lists
/// (`--baseline-recs`): `audit.json` defines it only in such audits, so that an audit without
/// them is unchanged by its existence.
pub fn needs_baseline_lists(def: &MetricDef) -> bool {
    def.family == Family::Change
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

/// The README's table of metrics: one row per metric with its key, label, family, what it has a
/// value for, and its better direction. `tests/integration/docs.rs` checks that the README holds
/// exactly this table.
pub fn markdown_summary() -> String {
    let mut out =
        String::from("| key | metric | family | value per | better |\n|---|---|---|---|---|\n");
    for d in METRICS {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            d.key,
            markdown_cell(&d.label.replace("{k}", "k")),
            d.family.name(),
            value_per(d.kind),
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

fn value_per(kind: Kind) -> &'static str {
    match kind {
        Kind::PerUser => "user, averaged per group",
        Kind::Corpus => "set of lists",
        Kind::ItemGroupShares => "item group",
        Kind::PerSliceColumn => "slice column",
    }
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
    &SNIPS_PRECISION,
    &SNIPS_RECALL,
    &SNIPS_NDCG,
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
    &RBO,
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
    &AMORTISED_UNFAIRNESS,
    &DISPARATE_EXPOSURE_RATIO_CATALOG,
    &DISPARATE_EXPOSURE_RATIO_MERIT,
    &DISPARATE_EXPOSURE_RATIO_RELEVANCE,
    // per slice column
    &NMI,
];

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
