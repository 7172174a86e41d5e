//! The privacy card of a differentially private audit, at the top of the page: the guarantee
//! (ε, δ, ρ), how the budget was split and what was published, what was withheld, that the
//! intervals include the noise, and the warning about seeds. Every sentence is written from the
//! `privacy` block of `audit.json`.

use super::model::{fact, Fact};
use crate::format::{fmt_num, fmt_pct, fmt_short, fmt_whole_pct};
use crate::privacy::PrivacyReport;
use crate::result::AuditResult;

/// The card: a headline and one labelled sentence per point.
#[derive(Debug, Clone, serde::Serialize)]
pub(super) struct PrivacyCard {
    pub headline: String,
    pub facts: Vec<Fact>,
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
        "This is a differentially private audit with ε = {} and δ = {}: adding or removing any one user (all their rows in every table) changes the probability of any number in this report by at most a factor e^ε = {}, except with probability δ. Every number is computed from noisy counts and sums; none is exact.",
        fmt_short(p.epsilon),
        fmt_delta(p.delta),
        fmt_num(p.epsilon.exp()),
    );
    let mut facts = vec![
        fact(
            "Guarantee",
            format!(
                "(ε, δ) = ({}, {}) from ρ = {} in zero-concentrated DP (Bun & Steinke 2016; {} of δ is kept for publishing group labels found in the data). The noise is Gaussian with standard deviation {} users (or lists) on every count and sum.",
                fmt_short(p.epsilon),
                fmt_delta(p.delta),
                fmt_num(p.rho),
                fmt_delta(p.delta_labels),
                fmt_num(p.noise_sd),
            ),
        ),
        fact("Budget split", budget_sentence(p)),
        fact(
            "Published",
            format!("{}.", p.published.join("; ")),
        ),
        fact(
            "Groups",
            format!(
                "A slice group is published only when its noisy size is at least {} users (the larger of min_slice_size and the size a group of one user reaches with probability under {}); its size is shown as a rounded noisy count. Groups under the threshold are neither named nor counted, and no exact size of any group is published.{}",
                fmt_num(p.publication_threshold.ceil()),
                fmt_delta(p.delta_labels),
                skipped_sentence(result),
            ),
        ),
        fact("Withheld", withheld_sentence(p)),
        fact(
            "Intervals",
            format!(
                "Intervals include the noise: each is a {} normal interval whose variance adds the variance of the added noise to the sampling variance, so a group measured with more noise gets a wider interval. Significance and gates use these intervals: the noise cannot manufacture a finding.",
                fmt_whole_pct(result.settings.stats.confidence)
            ),
        ),
        fact(
            "Seed",
            format!(
                "The noise was drawn from seed {}, so this audit can be reproduced. A production run must use a fresh random seed for every publication and never reuse one: two publications with the same seed add the same noise, which subtraction cancels. Each publication spends its own ε: two audits of the same users at ε = {} each are together an audit at ε = {}.",
                result.settings.stats.seed,
                fmt_short(p.epsilon),
                fmt_short(2.0 * p.epsilon),
            ),
        ),
    ];
    facts.retain(|f| !f.value.is_empty());
    Some(PrivacyCard { headline, facts })
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

/// What was withheld: the parts and metrics of `privacy.withheld`, by key.
fn withheld_sentence(p: &PrivacyReport) -> String {
    if p.withheld.is_empty() {
        return String::new();
    }
    let keys: Vec<&str> = p.withheld.keys().map(String::as_str).collect();
    format!(
        "Not published in this mode, each for a stated reason (privacy.withheld in audit.json): {}. Among them, the parts without a DP version: distributions and percentiles of per-user values, segregation, the subgroup search, trends over time, and corpus metrics other than exposure shares.",
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
        assert!(card
            .headline
            .starts_with("This is a differentially private audit with ε = 10 and δ = 1e-8:"));
        // e^10 = 22026.47 → "22026".
        assert!(card.headline.contains("by at most a factor e^ε = 22026"));
        let said = |label: &str| {
            card.facts
                .iter()
                .find(|f| f.label == label)
                .unwrap_or_else(|| panic!("no {label}"))
                .value
                .clone()
        };
        assert!(said("Guarantee").starts_with("(ε, δ) = (10, 1e-8) from ρ = 1.05"));
        assert!(said("Guarantee").contains("5e-9 of δ is kept"));
        assert!(said("Guarantee").contains("standard deviation 2.18 users"));
        // Shares of ρ: 1/10 = 10%, 1/10, 4/10 = 40%, 4/10.
        assert_eq!(
            said("Budget split"),
            "ρ is split equally over 10 queries (ρ = 0.105 each), every family, slice column and group drawing on the one budget: users (audited users): 1 query, 10.0% of ρ; group sizes (gender): 1 query, 10.0% of ρ; metric counts and sums (ndcg): 4 queries, 40.0% of ρ; exposure (provider, category): 4 queries, 40.0% of ρ."
        );
        assert!(said("Groups").contains("no exact size of any group is published"));
        let withheld = said("Withheld");
        for part in [
            "segregation",
            "distributions",
            "subgroups",
            "recall",
            "gap_r",
        ] {
            assert!(withheld.contains(part), "{part} not in: {withheld}");
        }
        assert!(said("Intervals").starts_with("Intervals include the noise"));
        assert!(said("Seed").contains("seed 42"));
        assert!(said("Seed").contains("must use a fresh random seed for every publication"));
        assert!(said("Seed").contains("at ε = 10 each are together an audit at ε = 20"));
    }

    #[test]
    fn the_page_shows_the_card_near_the_top_only_for_a_dp_audit() {
        let result = dp_audit();
        let html = render_html_for_tests(&result, &ReportOptions::default());
        let card = html.find(r#"id="privacy""#).expect("privacy card");
        let verdict = html.find(r#"id="verdict""#).unwrap();
        assert!(card < verdict, "the card comes before the verdict");
        assert!(html.contains("This is a differentially private audit with ε = 10 and δ = 1e-8"));
        assert!(html.contains("Intervals include the noise"));
        // The header says what the intervals are.
        assert!(html.contains("normal, sampling and DP noise"));
        let exact = crate::report::test_support::tiny_result();
        let html = render_html_for_tests(&exact, &ReportOptions::default());
        assert!(!html.contains(r#"id="privacy""#));
        assert!(!html.contains("differentially private"));
    }
}
