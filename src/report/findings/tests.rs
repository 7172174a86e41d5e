//! Tests of the findings: gaps framed around the worse-off group, ranked by harm, worded with an
//! interval; area statuses; the verdict.

use super::*;
use crate::metrics::Better;
use crate::report::test_support::{est, gender_metric, tiny_result};
use crate::report::{GateLine, GateStatus};
use crate::result::{GroupSummary, SliceSummary};
use crate::stats::GroupComparison;

/// The tiny result with `gender_metric` as `ndcg` and groups a (30), b (40), ref (50) of 200
/// audited users.
fn with_gender() -> AuditResult {
    let mut r = tiny_result();
    r.input.users_audited = 200;
    r.metrics.insert("ndcg".into(), gender_metric());
    comparison_of(&mut r, "b").difference = est(-0.2, -0.3, -0.1, 40);
    r.slices.insert(
        "gender".into(),
        SliceSummary {
            columns: vec!["gender".into()],
            chosen_reference: None,
            groups: [("a", 30), ("b", 40), ("ref", 50)]
                .into_iter()
                .map(|(g, n)| {
                    (
                        g.to_string(),
                        GroupSummary {
                            n_users: n,
                            values: Default::default(),
                        },
                    )
                })
                .collect(),
            groups_too_small: 0,
            groups_withheld: 0,
        },
    );
    r
}

/// The comparison of gender group `g` on `ndcg` in `r`.
fn comparison_of<'a>(r: &'a mut AuditResult, g: &str) -> &'a mut GroupComparison {
    let sm = r.metrics.get_mut("ndcg").unwrap().slices.get_mut("gender");
    let d = sm.unwrap().disparity.as_mut().unwrap();
    d.groups.get_mut(g).unwrap()
}

#[test]
fn a_significant_gap_is_told_from_the_worse_off_group() {
    let r = with_gender();
    let g = gaps(&r);
    // Only b is significant: 0.2 vs the reference's 0.4, ratio 0.5 [0.3, 0.7].
    assert_eq!(g.len(), 1);
    let gap = &g[0];
    assert_eq!((gap.worse.as_str(), gap.better.as_str()), ("b", "ref"));
    assert_eq!(gap.users, 40);
    assert!((gap.share - 0.2).abs() < 1e-12);
    // effect = |ln(0.2 / 0.4)| = ln 2.
    assert!((gap.effect - 2f64.ln()).abs() < 1e-12, "{}", gap.effect);
    assert!((gap.harm - 2f64.ln() * 0.2).abs() < 1e-12);
    assert!(gap.beyond_four_fifths);
    assert_eq!(
        gap.sentence(),
        "gender b (40 users, 20.0% of those audited): NDCG@10 50.0% lower than gender ref (0.200 vs 0.400; ratio 0.500, 95% CI 0.300–0.700)."
    );
}

#[test]
fn without_a_ratio_the_effect_is_the_standardized_difference() {
    let mut r = with_gender();
    comparison_of(&mut r, "b").ratio.value = None;
    let gap = &gaps(&r)[0];
    // sd_b = 0.2 / 3.92 · √40 = 0.3227, sd_ref = 0.1 / 3.92 · √50 = 0.1804;
    // d = 0.2 / √((0.3227² + 0.1804²) / 2) = 0.7651.
    let sd = |w: f64, n: f64| w / (2.0 * 1.959964) * n.sqrt();
    let d = 0.2 / ((sd(0.2, 40.0).powi(2) + sd(0.1, 50.0).powi(2)) / 2.0).sqrt();
    assert!((gap.effect - d).abs() < 1e-6, "{} vs {d}", gap.effect);
    assert!((gap.effect - 0.7651).abs() < 1e-4);
}

#[test]
fn a_better_off_group_makes_the_reference_the_worse_off_one() {
    let mut r = with_gender();
    // a: 0.5 vs 0.4, ratio 1.25 [1.1, 1.4], significant: the reference is worse off.
    let a = comparison_of(&mut r, "a");
    a.significant = true;
    a.ratio = est(1.25, 1.1, 1.4, 30);
    a.difference = est(0.1, 0.04, 0.16, 30);
    let g = gaps(&r);
    let gap = g.iter().find(|g| g.better == "a").expect("a gap against a");
    assert_eq!(gap.worse, "ref");
    assert_eq!(gap.users, 50);
    let ratio = gap.ratio.unwrap();
    // 1/1.25 = 0.8, interval 1/1.4–1/1.1.
    assert!((ratio.value.unwrap() - 0.8).abs() < 1e-12);
    assert!((ratio.ci_low.unwrap() - 1.0 / 1.4).abs() < 1e-12);
    assert!((ratio.ci_high.unwrap() - 1.0 / 1.1).abs() < 1e-12);
    assert_eq!(gap.difference.value, Some(-0.1));
    assert_eq!(gap.difference.ci_low, Some(-0.16));
    assert!(gap
        .headline()
        .starts_with("NDCG@10 20.0% lower than gender a"));
    // Ranked by harm, the largest first.
    assert_eq!(g.len(), 2);
    assert!(g[0].harm >= g[1].harm);
}

#[test]
fn a_ratio_on_a_tiny_baseline_is_told_as_a_difference() {
    let mut r = with_gender();
    r.metrics.get_mut("ndcg").unwrap().better = Better::Lower;
    // b is 0.2 against 0.4 with lower better: b is better off, ref worse off with a ratio of 2
    // whose inverted interval 1/0.7–1/0.3 is 2.3-fold wide: headlined. Widen it past 4-fold.
    comparison_of(&mut r, "b").ratio = est(0.5, 0.1, 0.7, 40);
    let gap = &gaps(&r)[0];
    assert_eq!(gap.worse, "ref");
    assert!(gap.ratio.is_none());
    assert_eq!(
        gap.headline(),
        "NDCG@10 0.200 higher than gender b",
        "an absolute difference, not a ratio"
    );
    assert!(gap
        .sentence()
        .contains("(0.400 vs 0.200; difference 0.200, 95% CI 0.100 to 0.300)"));
}

#[test]
fn areas_follow_gaps_gates_and_what_was_measured() {
    let r = with_gender();
    let g = gaps(&r);
    let areas = area_statuses(&r, &g, None);
    let of = |a: Area| areas.iter().find(|s| s.area == a).unwrap();
    assert_eq!(of(Area::Quality).status, Status::Concern);
    assert!(of(Area::Quality)
        .reason
        .starts_with("gender b: NDCG@10 50.0% lower"));
    assert_eq!(of(Area::Segregation).status, Status::NotMeasured);
    assert_eq!(of(Area::Popularity).status, Status::NotMeasured);

    // Within four-fifths: watch. A failed gate on the area: concern again.
    let mut r2 = r.clone();
    comparison_of(&mut r2, "b").ratio = est(0.9, 0.85, 0.95, 40);
    let g2 = gaps(&r2);
    assert_eq!(area_statuses(&r2, &g2, None)[0].status, Status::Watch);
    let gate = GateLine {
        name: "ndcg".into(),
        status: GateStatus::Fail,
        detail: String::new(),
        metric: "ndcg".into(),
    };
    let with_gate = area_statuses(&r2, &g2, Some(&[gate]));
    assert_eq!(with_gate[0].status, Status::Concern);
    assert!(with_gate[0].reason.ends_with("1 failed gate"));

    let top = top_findings(&g, TOP_FINDINGS);
    assert_eq!(
        verdict(&r, &areas, &top),
        "Not fair to every group: 1 of 1 measured areas shows a concern (quality parity). The worst-off group is gender b: NDCG@10 50.0% lower than gender ref."
    );
}

#[test]
fn nothing_significant_gives_a_plain_verdict() {
    let mut r = with_gender();
    comparison_of(&mut r, "b").significant = false;
    let g = gaps(&r);
    assert!(g.is_empty());
    let areas = area_statuses(&r, &g, None);
    assert_eq!(areas[0].status, Status::Ok);
    assert_eq!(
        verdict(&r, &areas, &[]),
        "No significant gap between groups in any measured area."
    );
}

#[test]
fn a_gate_on_how_lists_changed_is_no_area_of_fairness() {
    let r = with_gender();
    let g = gaps(&r);
    let rbo_gate = GateLine {
        name: "rbo".into(),
        status: GateStatus::Fail,
        detail: String::new(),
        metric: "rbo".into(),
    };
    let areas = area_statuses(&r, &g, Some(&[rbo_gate]));
    let diversity = areas.iter().find(|s| s.area == Area::Diversity).unwrap();
    // Diversity was not measured; a failed gate on `rbo` does not make it a concern.
    assert_eq!(diversity.status, Status::NotMeasured);
    assert!(
        !diversity.reason.contains("failed gate"),
        "{}",
        diversity.reason
    );
    assert_eq!(Area::of_metric("rbo"), None);
    assert_eq!(Area::of_metric("ild"), Some(Area::Diversity));
}

#[test]
fn a_dp_audit_says_an_area_was_withheld_instead_of_repeating_its_note() {
    let mut r = with_gender();
    r.privacy = Some(crate::privacy::PrivacyReport {
        epsilon: 1.0,
        delta: 1e-8,
        rho: 0.0127,
        unit: "user".into(),
        split: "equal".into(),
        queries: 1,
        rho_per_query: 0.0127,
        noise_sd: 6.3,
        budget: Vec::new(),
        delta_labels: 5e-9,
        publication_threshold: 20.0,
        mechanism: "Gaussian".into(),
        published: Vec::new(),
        clipping: Default::default(),
        withheld: Default::default(),
        intervals: String::new(),
        seed: String::new(),
    });
    r.notes.push(format!(
        "{} (ε = 1, …): corpus metrics other than exposure shares, trends over time, segregation, percentiles, distributions and the subgroup search are withheld.",
        crate::privacy::PRIVATE_NOTE_START
    ));
    let areas = area_statuses(&r, &gaps(&r), None);
    let segregation = areas.iter().find(|s| s.area == Area::Segregation).unwrap();
    assert_eq!(segregation.status, Status::NotMeasured);
    assert_eq!(
        segregation.reason,
        "not published in a differentially private audit (see Privacy)"
    );
}
