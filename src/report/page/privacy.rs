//! The privacy card of a differentially private audit, at the top of the page: in plain words,
//! that every number is noisy and what that protects, what the report leaves out, the smallest
//! group it names and what publishing again costs; folded under them, the guarantee (ε, δ, ρ),
//! the budget split, what was published, the thresholds, the intervals and the seed. Every
//! sentence is written from the `privacy` block of `audit.json`.

use super::model::{fact, Fact};
use crate::format::{fmt_num, fmt_pct, fmt_short, fmt_whole_pct};
use crate::metrics::registry;
use crate::privacy::PrivacyReport;
use crate::result::AuditResult;

/// The card: a plain headline, a few short points a reader needs, and the technical account
/// (guarantee, budget, noise, thresholds) folded under them.
#[derive(Debug, Clone, serde::Serialize)]
pub(super) struct PrivacyCard {
    pub headline: String,
    pub points: Vec<Fact>,
    pub technical: Vec<Fact>,
}

/// `x` in scientific notation when small (`1e-8`), else as a short number.
fn fmt_delta(x: f64) -> String {
    if x > 0.0 && x < 1e-3 {
        format!("{x:e}")
    } else {
        fmt_short(x)
    }
}

/// The privacy card of `result`; `None` for an exact audit.
pub(super) fn privacy_card(result: &AuditResult) -> Option<PrivacyCard> {
    let p = result.privacy.as_ref()?;
    let headline = format!(
        "Every number in this report includes random noise (differential privacy, ε = {}), so no one person's data can be singled out or worked out by comparing numbers. Read each number as approximate: its interval includes the noise.",
        fmt_short(p.epsilon),
    );
    let mut points = vec![
        fact(
            "Not in this report",
            withheld_plainly(p, result.settings.k),
        ),
        fact(
            "Small groups",
            format!(
                "Groups with a noisy size under {} users are neither named nor counted; the group sizes shown are rounded noisy counts.{}",
                fmt_num(p.publication_threshold.ceil()),
                skipped_sentence(result),
            ),
        ),
        fact(
            "Publishing again",
            format!(
                "Each publication spends its own budget (two audits of the same users at ε = {} are together an audit at ε = {}) and must draw its noise from a fresh random seed. This one used seed {}, so it can be reproduced.",
                fmt_short(p.epsilon),
                fmt_short(2.0 * p.epsilon),
                result.settings.stats.seed,
            ),
        ),
    ];
    points.retain(|f| !f.value.is_empty());
    let mut technical = vec![
        fact(
            "Guarantee",
            format!(
                "Adding or removing any one user (all their rows in every table) changes the probability of any number in this report by at most a factor e^ε = {}, except with probability δ = {}. (ε, δ) = ({}, {}) from ρ = {} in zero-concentrated DP (Bun & Steinke 2016; {} of δ is kept for publishing group labels found in the data). The noise is Gaussian with standard deviation {} users (or lists) on every count and sum.",
                fmt_num(p.epsilon.exp()),
                fmt_delta(p.delta),
                fmt_short(p.epsilon),
                fmt_delta(p.delta),
                fmt_num(p.rho),
                fmt_delta(p.delta_labels),
                fmt_num(p.noise_sd),
            ),
        ),
        fact("Budget split", budget_sentence(p)),
        fact("Published", format!("{}.", p.published.join("; "))),
        fact(
            "Groups",
            format!(
                "A slice group is published only when its noisy size is at least {} users (the larger of min_slice_size and the size a group of one user reaches with probability under {}). No exact size of any group is published.",
                fmt_num(p.publication_threshold.ceil()),
                fmt_delta(p.delta_labels),
            ),
        ),
        fact("Withheld", withheld_keys(p)),
        fact(
            "Intervals",
            format!(
                "Each is a {} normal interval whose variance adds the variance of the added noise to the sampling variance, so a group measured with more noise gets a wider interval. Significance and gates use these intervals: the noise cannot manufacture a finding.",
                fmt_whole_pct(result.settings.stats.confidence)
            ),
        ),
        fact(
            "Seed",
            "Two publications with the same seed add the same noise, which subtraction cancels: a production run must never reuse one.",
        ),
    ];
    technical.retain(|f| !f.value.is_empty());
    Some(PrivacyCard {
        headline,
        points,
        technical,
    })
}

/// The plain name of a part of the audit a DP audit withholds (a key of `privacy.withheld` that
/// is not a metric).
fn withheld_part(key: &str) -> String {
    match key {
        "corpus" => "corpus metrics other than exposure shares (coverage, Gini, novelty)".into(),
        "distributions" => "distributions of per-user values".into(),
        "percentiles" => "percentiles".into(),
        "over_time" => "trends over time".into(),
        "segregation" => "segregation".into(),
        "subgroups" => "the subgroup search".into(),
        "input counts" => "exact counts of the input".into(),
        "exposure_share_popularity_band" => "exposure shares by popularity band".into(),
        other => other.replace('_', " "),
    }
}

/// What was withheld in plain words: the parts first, then the metrics by their labels at the
/// cutoff `k` (empty when nothing was).
fn withheld_plainly(p: &PrivacyReport, k: usize) -> String {
    if p.withheld.is_empty() {
        return String::new();
    }
    let (metrics, parts): (Vec<&str>, Vec<&str>) = p
        .withheld
        .keys()
        .map(String::as_str)
        .partition(|k| registry::definition(k).is_some());
    let mut sentence = String::new();
    if !parts.is_empty() {
        let parts: Vec<String> = parts.iter().map(|k| withheld_part(k)).collect();
        sentence.push_str(&format!("{}.", capitalised(&parts.join(", "))));
    }
    if !metrics.is_empty() {
        let labels: Vec<String> = metrics
            .iter()
            .filter_map(|key| registry::definition(key).map(|d| d.label_at(k)))
            .collect();
        if !sentence.is_empty() {
            sentence.push(' ');
        }
        sentence.push_str(&format!(
            "Metrics whose value for one user depends on other users or that have no private version yet: {}.",
            labels.join(", ")
        ));
    }
    sentence
}

/// `s` with its first letter in upper case.
fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

/// How ρ was split: per part of `privacy.budget`, its queries, its share of ρ and what it covers.
fn budget_sentence(p: &PrivacyReport) -> String {
    let parts: Vec<String> = p
        .budget
        .iter()
        .filter(|b| b.queries > 0)
        .map(|b| {
            let covers = if b.covers.is_empty() {
                String::new()
            } else {
                format!(" ({})", b.covers.join(", "))
            };
            format!(
                "{}{covers}: {} quer{}, {} of ρ",
                b.part,
                b.queries,
                if b.queries == 1 { "y" } else { "ies" },
                fmt_pct(if p.rho > 0.0 { b.rho / p.rho } else { 0.0 }),
            )
        })
        .collect();
    format!(
        "ρ is split equally over {} queries (ρ = {} each), every family, slice column and group drawing on the one budget: {}.",
        p.queries,
        fmt_num(p.rho_per_query),
        parts.join("; ")
    )
}

/// The candidate slice columns a DP audit did not audit, in a sentence (empty when none).
fn skipped_sentence(result: &AuditResult) -> String {
    if result.skipped_slice_columns.is_empty() {
        return String::new();
    }
    let names: Vec<&str> = result
        .skipped_slice_columns
        .iter()
        .map(|s| s.column.as_str())
        .collect();
    format!(
        " Not audited, from their noisy sizes or their values: {}.",
        names.join(", ")
    )
}

/// What was withheld, by key of `privacy.withheld` (empty when nothing was).
fn withheld_keys(p: &PrivacyReport) -> String {
    if p.withheld.is_empty() {
        return String::new();
    }
    let keys: Vec<&str> = p.withheld.keys().map(String::as_str).collect();
    format!(
        "Keys of privacy.withheld in audit.json, each with its reason: {}.",
        keys.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{audit, tests::conformance_config};
    use crate::report::page::render_html;
    use crate::report::ReportOptions;

    fn render_html_for_tests(result: &AuditResult, opts: &ReportOptions) -> String {
        render_html(result, opts, &[]).unwrap()
    }

    /// A DP audit of the conformance case (150 users) at ε = 10 with NDCG and exposure shares over
    /// gender.
    fn dp_audit() -> AuditResult {
        let mut cfg = conformance_config();
        cfg.columns.slices = Some(vec!["gender".into()]);
        cfg.slices.min_slice_size = 20;
        cfg.privacy.epsilon = Some(10.0);
        cfg.privacy.metrics = Some(vec!["ndcg".into(), "exposure_share".into()]);
        audit(&cfg).unwrap()
    }

    #[test]
    fn the_privacy_card_states_epsilon_and_the_split() {
        let result = dp_audit();
        let p = result.privacy.as_ref().unwrap();
        // Queries: 1 (users) + 1 (gender sizes) + 1 metric × 2 × (1 + 1) + 2 item-group columns
        // (provider, category; the popularity bands are cut from the history) × (1 + 1) = 10.
        assert_eq!(p.queries, 10);
        // ρ at ε = 10, δ = 5e-9 (half of 1e-8): L = ln(2e8) = 19.113828, ρ = (√29.113828 −
        // √19.113828)² = (5.395723 − 4.371936)² = 1.048139; σ = √(10 / 2.096278) = 2.184115.
        assert!((p.rho - 1.048_139).abs() < 1e-5, "{}", p.rho);
        assert!((p.noise_sd - 2.184_115).abs() < 1e-5, "{}", p.noise_sd);
        let card = privacy_card(&result).unwrap();
        assert_eq!(
            card.headline,
            "Every number in this report includes random noise (differential privacy, ε = 10), so no one person's data can be singled out or worked out by comparing numbers. Read each number as approximate: its interval includes the noise."
        );
        let said = |facts: &[Fact], label: &str| {
            facts
                .iter()
                .find(|f| f.label == label)
                .unwrap_or_else(|| panic!("no {label}"))
                .value
                .clone()
        };
        let point = |label: &str| said(&card.points, label);
        let technical = |label: &str| said(&card.technical, label);
        // In plain words: the parts by name, the metrics by their labels, never a raw key.
        let left_out = point("Not in this report");
        assert!(
            left_out.starts_with("Corpus metrics other than exposure shares"),
            "{left_out}"
        );
        for part in [
            "distributions of per-user values",
            "segregation",
            "the subgroup search",
            "trends over time",
        ] {
            assert!(left_out.contains(part), "{part} not in: {left_out}");
        }
        assert!(left_out.contains("Recall@10"), "{left_out}");
        assert!(
            !left_out.contains("gap_r") && !left_out.contains("over_time"),
            "{left_out}"
        );
        // The threshold: 462 at ε = 1 on the example; here the conformance case's, a whole number.
        let small = point("Small groups");
        assert!(
            small.starts_with("Groups with a noisy size under "),
            "{small}"
        );
        assert!(small.contains("users are neither named nor counted"));
        assert_eq!(
            point("Publishing again"),
            "Each publication spends its own budget (two audits of the same users at ε = 10 are together an audit at ε = 20) and must draw its noise from a fresh random seed. This one used seed 42, so it can be reproduced."
        );
        // e^10 = 22026.47 → "22026".
        let guarantee = technical("Guarantee");
        assert!(
            guarantee.contains("by at most a factor e^ε = 22026"),
            "{guarantee}"
        );
        assert!(guarantee.contains("(ε, δ) = (10, 1e-8) from ρ = 1.05"));
        assert!(guarantee.contains("5e-9 of δ is kept"));
        assert!(guarantee.contains("standard deviation 2.18 users"));
        // Shares of ρ: 1/10 = 10%, 1/10, 4/10 = 40%, 4/10.
        assert_eq!(
            technical("Budget split"),
            "ρ is split equally over 10 queries (ρ = 0.105 each), every family, slice column and group drawing on the one budget: users (audited users): 1 query, 10.0% of ρ; group sizes (gender): 1 query, 10.0% of ρ; metric counts and sums (ndcg): 4 queries, 40.0% of ρ; exposure (provider, category): 4 queries, 40.0% of ρ."
        );
        assert!(technical("Groups").contains("No exact size of any group is published"));
        let withheld = technical("Withheld");
        for key in [
            "segregation",
            "distributions",
            "subgroups",
            "recall",
            "gap_r",
        ] {
            assert!(withheld.contains(key), "{key} not in: {withheld}");
        }
        assert!(technical("Intervals").starts_with("Each is a 95% normal interval"));
        assert!(technical("Seed").contains("must never reuse one"));
    }

    #[test]
    fn the_page_shows_the_card_near_the_top_only_for_a_dp_audit() {
        let result = dp_audit();
        let html = render_html_for_tests(&result, &ReportOptions::default());
        let card = html.find(r#"id="privacy""#).expect("privacy card");
        let verdict = html.find(r#"id="verdict""#).unwrap();
        assert!(card < verdict, "the card comes before the verdict");
        assert!(html.contains(
            "Every number in this report includes random noise (differential privacy, ε = 10)"
        ));
        // The technical account is folded under the plain points.
        let folded = html.find("How the guarantee works").unwrap();
        assert!(html[card..folded].contains("Not in this report"));
        assert!(
            html[folded..].contains("Bun &amp; Steinke 2016")
                || html[folded..].contains("Bun & Steinke 2016")
        );
        // The header says what the intervals are.
        assert!(html.contains("normal, sampling and DP noise"));
        let exact = crate::report::test_support::tiny_result();
        let html = render_html_for_tests(&exact, &ReportOptions::default());
        assert!(!html.contains(r#"id="privacy""#));
        assert!(!html.contains("differentially private"));
    }
}
