//! The methodology appendix and the glossary line of the page: the tests, the correction family,
//! the reference rule, suppression and each convention, written from the audit's settings.

use super::model::{fact, Fact};
use crate::format::{fmt_pct, fmt_short, fmt_whole_pct};
use crate::report::findings::areas::NMI_WATCH;
use crate::result::{AuditResult, PropensityModel};

/// One line on head and tail: the popularity head and long tail (APLT), the popularity bands of
/// exposure and ΔGAP, which uses no split, named once and reconciled.
pub(super) fn glossary(result: &AuditResult) -> Vec<Fact> {
    let head = fmt_pct(result.settings.head_share);
    vec![fact(
        "Head and tail",
        format!(
            "Items are ordered by their history interactions. The head is the most-interacted items that together hold the first {head} of interactions; every other catalog item is the long tail (APLT counts the share of a list in it). The exposure section's popularity_band splits the same order into head (first 20% of interactions), mid (next 60%) and tail (last 20%), so its tail is a narrower part of the long tail. ΔGAP uses no split: it compares the mean popularity of the recommended items with that of the same users' history items."
        ),
    )]
}

/// The appendix: one line per method or convention.
pub(super) fn methodology(result: &AuditResult) -> Vec<Fact> {
    let s = &result.settings.stats;
    let level = fmt_whole_pct(s.confidence);
    let min = result.settings.slices.min_slice_size;
    let mut facts = vec![
        fact("Intervals", format!(
            "{level} percentile bootstrap intervals: users resampled with replacement ({} resamples, seed {}; groups above {} users are resampled in {} hashed buckets). Same inputs and seed give the same numbers.",
            s.resamples, s.seed, s.bootstrap_units, s.bootstrap_units
        )),
        fact("Tests", format!(
            "Each group's mean is compared with its reference: a permutation test of the group labels ({} permutations) when the smaller group has at most {} users, else Welch's t-test; statistics other than means use a bootstrap z-test. audit.json names the test of every comparison.",
            s.permutations, s.permutation_max_n
        )),
        fact("Correction", format!(
            "Benjamini–Hochberg adjusts the p-values within one family: the groups of one slice column compared on one metric. A gap is significant when the adjusted p < {} and its interval excludes no difference (difference 0, ratio 1).",
            fmt_short(s.alpha)
        )),
        fact("Reference", "Each comparison is with the reference group that its disparity names (marked ref. in the tables; audit.json gives it per metric and column); --reference sets it for a column. Findings are framed around the worse-off group: when the reference is the worse-off one, the sentence names it and inverts the ratio and its interval.".to_string()),
        fact("Four-fifths rule", format!(
            "A ratio below {} (or above its inverse where lower is better) of the better-off group, after the US Uniform Guidelines (29 CFR 1607.4(D)), which compare each group with the group with the highest rate.",
            fmt_short(s.four_fifths)
        )),
        fact("Ranking of findings", "Significant gaps only, ranked by harm: the effect size |ln(worse ÷ better)| (the standardized difference where the ratio is undefined; capped at ln 100, a hundredfold gap) times the worse-off group's share of audited users; at most one finding per area, column and group. A ratio is stated only when it has an interval at most 4-fold wide and lies within 1/10–10; otherwise the absolute difference is stated.".to_string()),
        fact("Areas", format!(
            "Concern: a failed gate, a significant gap beyond the four-fifths threshold, an item group under four-fifths of its catalog share of exposure, or lists narrowing over time. Watch: a smaller significant gap, or a slice column with NMI ≥ {} against the list clusters (a rule of thumb). OK: nothing of the kind.",
            fmt_short(NMI_WATCH)
        )),
        fact("Suppression", format!(
            "Groups under {min} users are not published: not named, not sized, not judged. A further group is withheld when a suppressed one could be recovered by subtraction."
        )),
        fact("Consent", "Users whose consent column is false are audited in the overall values but left out of every group comparison.".to_string()),
        fact("Values of sets of lists", "Coverage, Gini and personalisation are values of a set of lists, not of a user: they depend on the set's size, have no interval and are not compared across groups.".to_string()),
        fact("Numbers", "Three significant digits; p-values as < 0.001 or with two significant digits; shares as percentages, their differences in percentage points.".to_string()),
    ];
    facts.insert(1, fact("Exposure-share intervals", if s.item_resampling {
        "The intervals of exposure shares count the catalog as a source of chance: each replicate resamples items as well as users, and every user-item exposure is weighted by the product of the two weights (two-way bootstrap, Owen 2007), so an item group's share is not claimed more precisely than its few items allow.".to_string()
    } else {
        "The intervals of exposure shares resample users only: the catalog is taken as fixed.".to_string()
    }));
    if let Some(p) = &result.privacy {
        // A DP audit has no bootstrap, permutation test or exact suppression: say what it does.
        let replace = |facts: &mut Vec<Fact>, label: &str, value: String| {
            if let Some(f) = facts.iter_mut().find(|f| f.label == label) {
                f.value = value;
            }
        };
        replace(&mut facts, "Intervals", format!(
            "{level} normal intervals from noisy counts and sums (differential privacy, seed {}): the variance adds the sampling variance, bounded by ȳ(1 − ȳ)/ñ for a mean of values scaled to [0, 1], and the variance of the added noise (delta method). No bootstrap runs on the raw data.",
            s.seed
        ));
        replace(&mut facts, "Tests", "Each group's mean is compared with its reference by a two-sided normal test of the difference, whose variance adds both groups' sampling and noise variances (test dp_normal in audit.json).".to_string());
        replace(&mut facts, "Exposure-share intervals", "Exposure shares are ratios of noisy sums of exposure, each list's exposure bounded by that of k slots; their normal interval adds the sampling variance, bounded by s(1 − s)/b for b lists' worth of exposure, and the noise variance. Users are the source of chance; the catalog is taken as fixed.".to_string());
        replace(&mut facts, "Suppression", format!(
            "A group is published when its noisy size is at least {} users, and a metric of a group when its noisy count of defined values is at least {min}; groups under the threshold are neither named nor counted. No exact size is published.",
            fmt_short(p.publication_threshold.ceil())
        ));
    }
    if result.metrics.contains_key("snips_recall") {
        let chance = match &result.propensity {
            Some(PropensityModel { gamma: Some(g), fitted, .. }) => format!(
                "popularity to the power (γ + 1)/2 with γ = {}{}",
                fmt_short(*g),
                if *fitted { ", fitted to the lists as LensKit's estimate_power_law_gamma does" } else { "" }
            ),
            Some(_) => "the truth table's propensity column".to_string(),
            None => format!(
                "the truth table's propensity column, or popularity to the power (γ + 1)/2 with γ = {}",
                result.settings.propensity_gamma.given().map_or("2".into(), fmt_short)
            ),
        };
        facts.push(fact("Corrected accuracy", format!(
            "SNIPS precision, recall and NDCG count each held-out relevant item by the inverse of its chance of having been logged ({chance}), normalised per user (Yang et al. 2018), so rarely logged items count as much as often logged ones."
        )));
    }
    facts
}
