//! Gate evaluation on hand-built audit results, one test per rule; JUnit read back; compare mode.

use std::collections::BTreeMap;

use crate::audit::AuditConfig;
use crate::input::InputSummary;
use crate::metrics::segregation::{KRule, Segregation, SliceSegregation};
use crate::metrics::{Better, CorpusValues};
use crate::result::{
    AuditResult, CorpusResult, Definitions, DisparityResult, ExposureShares, GroupSummary,
    MetricResult, SliceMetric, SliceSummary, Tool, SCHEMA_VERSION,
};
use crate::stats::{Estimate, GroupComparison};

use super::*;

fn est(v: f64, lo: f64, hi: f64, n: usize) -> Estimate {
    Estimate {
        value: Some(v),
        ci_low: Some(lo),
        ci_high: Some(hi),
        n,
    }
}

fn comparison(
    estimate: Estimate,
    difference: Estimate,
    ratio: Estimate,
    p_adjusted: Option<f64>,
    significant: bool,
) -> GroupComparison {
    GroupComparison {
        group: 0,
        estimate,
        difference,
        ratio,
        p_value: p_adjusted,
        p_adjusted,
        test: None,
        significant,
        four_fifths: ratio.value.map(|r| r < 0.8),
    }
}

fn reference(estimate: Estimate) -> GroupComparison {
    comparison(
        estimate,
        Estimate::point(Some(0.0), estimate.n),
        Estimate::point(
            estimate
                .value
                .map(|v| if v == 0.0 { f64::NAN } else { 1.0 })
                .filter(|x| x.is_finite()),
            estimate.n,
        ),
        None,
        false,
    )
}

/// A slice column's summary from (group, users, suppressed): suppressed groups are only counted.
fn slice(reference: &str, groups: &[(&str, usize, bool)]) -> SliceSummary {
    SliceSummary {
        columns: vec!["column".into()],
        reference: Some(reference.into()),
        groups: groups
            .iter()
            .filter(|&&(_, _, s)| !s)
            .map(|&(g, n, _)| {
                (
                    g.to_string(),
                    GroupSummary {
                        n_users: n,
                        values: Default::default(),
                    },
                )
            })
            .collect(),
        groups_too_small: groups.iter().filter(|&&(_, _, s)| s).count(),
        groups_withheld: 0,
    }
}

/// One slice column of a per-user metric: (group, estimate, comparison) with the reference's.
fn slice_metric(reference: &str, groups: Vec<(&str, GroupComparison)>) -> SliceMetric {
    SliceMetric {
        groups: groups
            .iter()
            .map(|(g, c)| (g.to_string(), c.estimate))
            .collect(),
        disparity: Some(DisparityResult {
            reference: reference.into(),
            groups: groups
                .into_iter()
                .map(|(g, c)| (g.to_string(), c))
                .collect(),
            spread: Estimate::default(),
            min_max_ratio: Estimate::default(),
        }),
        groups_withheld: 0,
    }
}

fn metric(
    family: &str,
    better: Better,
    overall: Estimate,
    slices: Vec<(&str, SliceMetric)>,
) -> MetricResult {
    MetricResult {
        family: family.into(),
        better,
        overall,
        n_undefined: 0,
        slices: slices
            .into_iter()
            .map(|(c, s)| (c.to_string(), s))
            .collect(),
    }
}

fn scalars(pairs: &[(&str, Option<f64>)]) -> CorpusValues {
    CorpusValues {
        scalars: pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        shares: BTreeMap::new(),
    }
}

/// gender: M (reference, 120), F (100), X (5, suppressed); age_band: 25-34 (reference), 18-24;
/// region: south (reference), north.
fn fixture() -> AuditResult {
    let mut settings = AuditConfig::default();
    settings.slices.min_slice_size = 20;
    let mut slices = BTreeMap::new();
    slices.insert(
        "gender".to_string(),
        slice("M", &[("F", 100, false), ("M", 120, false), ("X", 5, true)]),
    );
    slices.insert(
        "age_band".to_string(),
        slice("25-34", &[("18-24", 80, false), ("25-34", 150, false)]),
    );
    slices.insert(
        "region".to_string(),
        slice("south", &[("north", 100, false), ("south", 125, false)]),
    );

    let mut metrics = BTreeMap::new();
    metrics.insert(
        "ndcg".to_string(),
        metric(
            "quality",
            Better::Higher,
            est(0.30, 0.28, 0.32, 225),
            vec![
                (
                    "gender",
                    slice_metric(
                        "M",
                        vec![
                            (
                                "F",
                                comparison(
                                    est(0.21, 0.18, 0.24, 100),
                                    est(-0.09, -0.13, -0.05, 100),
                                    est(0.70, 0.60, 0.80, 100),
                                    Some(0.001),
                                    true,
                                ),
                            ),
                            ("M", reference(est(0.30, 0.27, 0.33, 120))),
                        ],
                    ),
                ),
                (
                    "age_band",
                    slice_metric(
                        "25-34",
                        vec![
                            (
                                "18-24",
                                comparison(
                                    est(0.24, 0.18, 0.31, 80),
                                    est(-0.08, -0.15, 0.01, 80),
                                    est(0.75, 0.55, 1.02, 80),
                                    Some(0.09),
                                    false,
                                ),
                            ),
                            ("25-34", reference(est(0.32, 0.29, 0.35, 150))),
                        ],
                    ),
                ),
            ],
        ),
    );
    // recall: the reference group's mean is 0, so ratios are undefined.
    metrics.insert(
        "recall".to_string(),
        metric(
            "quality",
            Better::Higher,
            est(0.05, 0.03, 0.07, 225),
            vec![(
                "gender",
                slice_metric(
                    "M",
                    vec![
                        (
                            "F",
                            comparison(
                                est(0.1, 0.05, 0.15, 100),
                                est(0.1, 0.05, 0.15, 100),
                                Estimate::point(None, 100),
                                Some(0.01),
                                false,
                            ),
                        ),
                        ("M", reference(est(0.0, 0.0, 0.0, 120))),
                    ],
                ),
            )],
        ),
    );
    metrics.insert(
        "narrowed".to_string(),
        metric(
            "bubble",
            Better::Lower,
            est(0.2, 0.17, 0.23, 225),
            vec![(
                "gender",
                slice_metric(
                    "M",
                    vec![
                        (
                            "F",
                            comparison(
                                est(0.45, 0.38, 0.52, 100),
                                est(0.3, 0.22, 0.38, 100),
                                est(3.0, 2.0, 4.5, 100),
                                Some(0.001),
                                true,
                            ),
                        ),
                        ("M", reference(est(0.15, 0.10, 0.20, 120))),
                    ],
                ),
            )],
        ),
    );
    // hit: the reference group M is the disadvantaged one (F / M = 2.5).
    metrics.insert(
        "hit".to_string(),
        metric(
            "quality",
            Better::Higher,
            est(0.35, 0.31, 0.39, 225),
            vec![(
                "gender",
                slice_metric(
                    "M",
                    vec![
                        (
                            "F",
                            comparison(
                                est(0.5, 0.44, 0.56, 100),
                                est(0.3, 0.22, 0.38, 100),
                                est(2.5, 2.0, 3.125, 100),
                                Some(0.001),
                                true,
                            ),
                        ),
                        ("M", reference(est(0.2, 0.15, 0.25, 120))),
                    ],
                ),
            )],
        ),
    );
    metrics.insert(
        "miscalibration".to_string(),
        metric(
            "calibration",
            Better::Lower,
            est(0.35, 0.30, 0.40, 225),
            vec![],
        ),
    );

    let mut overall = scalars(&[
        ("catalog_coverage", Some(0.4)),
        ("gini_exposure_log", Some(0.7)),
        ("personalisation", None),
    ]);
    overall.shares.insert(
        "exposure_share_provider".into(),
        [
            ("indie".to_string(), Some(0.1)),
            ("major".to_string(), Some(0.9)),
        ]
        .into(),
    );
    overall.shares.insert(
        "disparate_exposure_ratio_catalog_provider".into(),
        [
            ("indie".to_string(), Some(0.33)),
            ("major".to_string(), Some(1.29)),
        ]
        .into(),
    );
    let mut corpus_slices = BTreeMap::new();
    corpus_slices.insert(
        "gender".to_string(),
        [
            ("F".to_string(), scalars(&[("catalog_coverage", Some(0.3))])),
            (
                "M".to_string(),
                scalars(&[("catalog_coverage", Some(0.35))]),
            ),
        ]
        .into(),
    );
    let mut intervals = BTreeMap::new();
    intervals.insert(
        "provider".to_string(),
        ExposureShares {
            overall: [("indie".to_string(), est(0.1, 0.08, 0.12, 225))].into(),
            slices: BTreeMap::new(),
        },
    );

    let segregation = Segregation {
        n_clusters: 3,
        k_rule: KRule::Given,
        k_candidates: vec![],
        silhouette: Some(0.4),
        n_users: 225,
        n_users_unclustered: 0,
        n_users_fit: 225,
        seed: 42,
        nmi_normalisation: "arithmetic".into(),
        clusters: vec![],
        slices: vec![
            SliceSegregation {
                column: "region".into(),
                n_users: 225,
                nmi: Some(0.3),
                groups: vec![],
                groups_not_shown: 0,
            },
            SliceSegregation {
                column: "gender".into(),
                n_users: 225,
                nmi: None,
                groups: vec![],
                groups_not_shown: 0,
            },
        ],
        labels: vec![],
    };

    AuditResult {
        schema_version: SCHEMA_VERSION,
        tool: Tool::default(),
        settings,
        input: InputSummary {
            users_audited: 230,
            ..InputSummary::default()
        },
        notes: vec![],
        skipped_slice_columns: vec![],
        slices,
        metrics,
        corpus: CorpusResult {
            overall,
            slices: corpus_slices,
            exposure_share_intervals: intervals,
        },
        over_time: None,
        segregation: Some(segregation),
        definitions: Definitions,
    }
}

fn gate(body: &str) -> Policy {
    Policy::parse(&format!("[[gate]]\n{body}\n")).unwrap()
}

fn run(body: &str) -> GateReport {
    evaluate(&fixture(), &gate(body), None).unwrap()
}

fn status_of<'a>(r: &'a GateReport, scope: &str) -> &'a GateOutcome {
    r.outcomes
        .iter()
        .find(|o| o.scope == scope)
        .unwrap_or_else(|| panic!("no outcome for {scope}: {:#?}", r.lines()))
}

#[test]
fn min_ratio_fails_on_a_significant_gap_and_skips_suppressed_groups() {
    let r = run("metric = \"ndcg\"\nslice = \"gender\"\nrule = \"min_ratio\"\nthreshold = 0.8");
    // M is the reference: not judged against itself.
    assert_eq!(r.outcomes.len(), 2, "{:#?}", r.lines());
    let f = status_of(&r, "gender=F vs M");
    assert_eq!(f.status, Status::Fail);
    assert_eq!(f.value.value, Some(0.70));
    assert_eq!(f.significant, Some(true));
    assert_eq!(
        f.line(),
        "FAIL  min_ratio ndcg gender=F vs M  ratio 0.700 [0.600, 0.800] < 0.8, significant, p_adj 0.0010"
    );
    // The suppressed group is counted, never named or sized.
    let x = status_of(&r, "gender");
    assert_eq!(x.status, Status::Skipped);
    assert_eq!(
        x.detail,
        "1 group not published (fewer than 20 users, or withheld so that a smaller group cannot be recovered by subtraction); not judged"
    );
    assert!(r.lines().iter().all(|l| !l.contains("=X")));
    assert!(r.failed());

    let r = run("metric = \"ndcg\"\nslice = \"gender\"\nrule = \"min_ratio\"\nthreshold = 0.6");
    assert_eq!(status_of(&r, "gender=F vs M").status, Status::Pass);
    assert!(status_of(&r, "gender=F vs M")
        .line()
        .contains("ratio 0.700 [0.600, 0.800] ≥ 0.6"));
    assert!(!r.failed());
}

#[test]
fn min_ratio_catches_a_disadvantaged_reference_group() {
    let r = run("metric = \"hit\"\nslice = \"gender\"\nrule = \"min_ratio\"\nthreshold = 0.8");
    let o = status_of(&r, "gender=M vs F");
    assert_eq!(o.status, Status::Fail);
    assert_eq!(o.group.as_deref(), Some("M"));
    assert_eq!(o.versus.as_deref(), Some("F"));
    assert_eq!(
        o.line(),
        "FAIL  min_ratio hit gender=M vs F  ratio 0.400 [0.320, 0.500] < 0.8, significant, p_adj 0.0010"
    );
}

#[test]
fn min_ratio_needs_significance_unless_told_otherwise() {
    let body = "metric = \"ndcg\"\nslice = \"age_band\"\nrule = \"min_ratio\"\nthreshold = 0.8";
    let r = run(body);
    let o = status_of(&r, "age_band=18-24 vs 25-34");
    assert_eq!(o.status, Status::Pass);
    assert!(o.detail.contains("< 0.8, not significant"), "{}", o.detail);
    let r = run(&format!("{body}\nsignificant_only = false"));
    assert_eq!(
        status_of(&r, "age_band=18-24 vs 25-34").status,
        Status::Fail
    );
}

#[test]
fn undefined_ratio_is_skipped_never_passed() {
    let r = run("metric = \"recall\"\nslice = \"gender\"\nrule = \"min_ratio\"\nthreshold = 0.8\nsignificant_only = false");
    let f = status_of(&r, "gender=F vs M");
    assert_eq!(f.status, Status::Skipped);
    assert!(
        f.detail.starts_with("ratio undefined: reference is 0"),
        "{}",
        f.detail
    );
    assert_eq!(r.count(Status::Pass), 0);
    assert!(!r.failed());
}

#[test]
fn max_difference_judges_the_absolute_difference() {
    let r =
        run("metric = \"ndcg\"\nslice = \"gender\"\nrule = \"max_difference\"\nthreshold = 0.05");
    let f = status_of(&r, "gender=F vs M");
    assert_eq!(f.status, Status::Fail);
    assert!(
        f.detail
            .contains("difference −0.090 [−0.130, −0.050] |d| > 0.05"),
        "{}",
        f.detail
    );
    let r =
        run("metric = \"ndcg\"\nslice = \"gender\"\nrule = \"max_difference\"\nthreshold = 0.1");
    assert_eq!(status_of(&r, "gender=F vs M").status, Status::Pass);
    // recall: the difference is defined even though the ratio is not.
    let r = run("metric = \"recall\"\nslice = \"gender\"\nrule = \"max_difference\"\nthreshold = 0.05\nsignificant_only = false");
    assert_eq!(status_of(&r, "gender=F vs M").status, Status::Fail);
}

#[test]
fn max_value_uses_the_interval_for_significance() {
    // 0.35 [0.30, 0.40] > 0.3 but the interval reaches 0.3: not significant.
    let r = run("metric = \"miscalibration\"\nrule = \"max_value\"\nthreshold = 0.3");
    let o = status_of(&r, "overall");
    assert_eq!(o.status, Status::Pass);
    assert_eq!(o.significant, Some(false));
    let r = run("metric = \"miscalibration\"\nrule = \"max_value\"\nthreshold = 0.25");
    assert_eq!(status_of(&r, "overall").status, Status::Fail);
    let r = run("metric = \"miscalibration\"\nrule = \"max_value\"\nthreshold = 0.3\nsignificant_only = false");
    assert_eq!(status_of(&r, "overall").status, Status::Fail);
    let r = run("metric = \"miscalibration\"\nrule = \"max_value\"\nthreshold = 0.5");
    assert_eq!(
        status_of(&r, "overall").line(),
        "PASS  max_value miscalibration overall  0.350 [0.300, 0.400] ≤ 0.5"
    );
}

#[test]
fn min_value_on_corpus_values_judges_the_point() {
    let r = run("metric = \"catalog_coverage\"\nrule = \"min_value\"\nthreshold = 0.5");
    let o = status_of(&r, "overall");
    assert_eq!(o.status, Status::Fail);
    assert!(o.detail.contains("no interval"), "{}", o.detail);
    let r = run(
        "metric = \"catalog_coverage\"\nslice = \"gender\"\nrule = \"min_value\"\nthreshold = 0.32",
    );
    assert_eq!(status_of(&r, "gender=F").status, Status::Fail);
    assert_eq!(status_of(&r, "gender=M").status, Status::Pass);
    assert_eq!(status_of(&r, "gender").status, Status::Skipped);
    // An undefined corpus value is skipped.
    let r = run("metric = \"personalisation\"\nrule = \"min_value\"\nthreshold = 0.5");
    let o = status_of(&r, "overall");
    assert_eq!(o.status, Status::Skipped);
    assert!(o.detail.contains("value undefined"), "{}", o.detail);
}

#[test]
fn max_share_narrowed_per_group() {
    let r = run("rule = \"max_share_narrowed\"\nslice = \"gender\"\nthreshold = 0.3");
    assert_eq!(status_of(&r, "gender=F").status, Status::Fail);
    assert_eq!(status_of(&r, "gender=M").status, Status::Pass);
    assert_eq!(status_of(&r, "gender").status, Status::Skipped);
    assert_eq!(r.outcomes[0].metric, "narrowed");
    let r = run("rule = \"max_share_narrowed\"\nthreshold = 0.3");
    assert_eq!(status_of(&r, "overall").status, Status::Pass);
}

#[test]
fn max_nmi_per_slice_column() {
    let r = run("rule = \"max_nmi\"\nslice = \"region\"\nthreshold = 0.2");
    let o = status_of(&r, "region");
    assert_eq!(o.status, Status::Fail);
    assert_eq!(o.line(), "FAIL  max_nmi nmi region  NMI 0.300 > 0.2");
    let r = run("rule = \"max_nmi\"\nslice = \"region\"\nthreshold = 0.5");
    assert_eq!(status_of(&r, "region").status, Status::Pass);
    let r = run("rule = \"max_nmi\"\nslice = \"gender\"\nthreshold = 0.5");
    let o = status_of(&r, "gender");
    assert_eq!(o.status, Status::Skipped);
    assert!(o.detail.contains("NMI undefined"));
}

#[test]
fn share_gates_per_item_group() {
    let r = run("metric = \"disparate_exposure_ratio_catalog\"\nslice = \"provider\"\nrule = \"min_value\"\nthreshold = 0.8");
    assert_eq!(r.outcomes.len(), 2);
    assert_eq!(status_of(&r, "provider=indie").status, Status::Fail);
    assert_eq!(status_of(&r, "provider=major").status, Status::Pass);
    assert_eq!(
        r.outcomes[0].metric,
        "disparate_exposure_ratio_catalog_provider"
    );
    // exposure_share_provider of indie has an interval: 0.1 [0.08, 0.12] vs 0.11.
    let r = run("metric = \"exposure_share_provider\"\nrule = \"min_value\"\nthreshold = 0.11");
    let o = status_of(&r, "provider=indie");
    assert_eq!(o.status, Status::Pass);
    assert_eq!(o.value.ci_low, Some(0.08));
}

#[test]
fn columns_and_metrics_are_checked_against_the_audit() {
    let e = evaluate(
        &fixture(),
        &gate("metric = \"ndcg\"\nslice = \"country\"\nrule = \"min_ratio\"\nthreshold = 0.8"),
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("unknown slice column `country`"), "{e}");
    assert!(e.contains("overall, age_band, gender, region"), "{e}");
    let e = evaluate(
        &fixture(),
        &gate("metric = \"exposure_share\"\nslice = \"studio\"\nrule = \"max_value\"\nthreshold = 0.8"),
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("valid item-group columns: provider"), "{e}");
    let e = evaluate(
        &fixture(),
        &gate("metric = \"precision\"\nslice = \"gender\"\nrule = \"min_ratio\"\nthreshold = 0.8"),
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("did not compute `precision`") && e.contains("ndcg"),
        "{e}"
    );
}

/// The fixture with every estimate moved by `shift` × its half-width (a re-run's noise).
fn jitter(r: &AuditResult, shift: f64) -> AuditResult {
    let mut r = r.clone();
    let mv = |e: &mut Estimate| {
        if let (Some(v), Some(lo), Some(hi)) = (e.value, e.ci_low, e.ci_high) {
            let d = shift * (hi - lo) / 2.0;
            *e = est(v + d, lo + d, hi + d, e.n);
        }
    };
    for m in r.metrics.values_mut() {
        mv(&mut m.overall);
        for s in m.slices.values_mut() {
            s.groups.values_mut().for_each(mv);
        }
    }
    for s in r.corpus.exposure_share_intervals.values_mut() {
        s.overall.values_mut().for_each(mv);
    }
    r
}

#[test]
fn compare_flags_a_planted_regression_not_a_rerun() {
    let base = fixture();
    let rerun = jitter(&base, 0.6);
    let cmp = compare(&base, &rerun);
    assert!(cmp.rows.len() > 10);
    assert_eq!(cmp.significant().count(), 0, "{}", cmp.table());

    let mut planted = rerun.clone();
    let f = planted.metrics.get_mut("ndcg").unwrap();
    f.slices
        .get_mut("gender")
        .unwrap()
        .groups
        .insert("F".into(), est(0.12, 0.09, 0.15, 100));
    let cmp = compare(&base, &planted);
    let sig: Vec<_> = cmp.significant().collect();
    assert_eq!(sig.len(), 1, "{}", cmp.table());
    assert_eq!(sig[0].scope(), "gender=F");
    assert_eq!(sig[0].direction, Some(Direction::Worse));
    assert!((sig[0].worse_by.unwrap() - 0.09).abs() < 1e-12);
    let table = cmp.table();
    assert!(table.contains("worse *"), "{table}");
    assert!(table.contains("1 of "), "{table}");

    // Rows: overall per-user, per group, corpus, shares per item group, NMI per column.
    assert!(cmp.row("ndcg", "overall", None, None).is_some());
    assert!(cmp
        .row("catalog_coverage", "gender", Some("F"), None)
        .is_some());
    let share = cmp
        .row("exposure_share_provider", "overall", None, Some("indie"))
        .unwrap();
    assert_eq!(share.scope(), "provider=indie");
    assert!(share.p_value.is_some());
    assert!(cmp
        .row("nmi", "region", None, None)
        .unwrap()
        .p_value
        .is_none());

    // The comparison serialises for compare.json and the HTML report.
    let json = serde_json::to_string(&cmp).unwrap();
    let back: Comparison = serde_json::from_str(&json).unwrap();
    assert_eq!(back, cmp);
}

#[test]
fn max_regression_judges_the_comparison() {
    let base = fixture();
    let mut cand = jitter(&base, -0.5);
    cand.metrics.get_mut("ndcg").unwrap().overall = est(0.25, 0.23, 0.27, 225);
    let p = gate("metric = \"ndcg\"\nrule = \"max_regression\"\nthreshold = 0.01");
    let cmp = compare(&base, &cand);
    let r = evaluate(&cand, &p, Some(&cmp)).unwrap();
    let o = status_of(&r, "overall");
    assert_eq!(o.status, Status::Fail, "{}", o.line());
    assert!(
        o.detail.starts_with("0.300 → 0.250, change −0.050 ["),
        "{}",
        o.detail
    );
    assert!(
        o.detail.contains("worse by 0.050 > 0.01, significant"),
        "{}",
        o.detail
    );

    // A re-run's noise does not fail it, even past the threshold.
    let rerun = jitter(&base, -0.5);
    let r = evaluate(&rerun, &p, Some(&compare(&base, &rerun))).unwrap();
    let o = status_of(&r, "overall");
    assert_eq!(o.status, Status::Pass, "{}", o.line());
    assert!(o.detail.contains("not significant"), "{}", o.detail);

    // Per group, with a suppressed group skipped; and no baseline: skipped.
    let p =
        gate("metric = \"ndcg\"\nslice = \"gender\"\nrule = \"max_regression\"\nthreshold = 0.01");
    let r = evaluate(&cand, &p, Some(&cmp)).unwrap();
    assert_eq!(r.outcomes.len(), 3);
    assert_eq!(status_of(&r, "gender").status, Status::Skipped);
    let r = evaluate(&cand, &p, None).unwrap();
    assert!(r
        .outcomes
        .iter()
        .all(|o| o.status == Status::Skipped && o.detail.contains("no baseline")));

    // Lower-is-better: a rise is a regression.
    let mut worse = base.clone();
    worse.metrics.get_mut("miscalibration").unwrap().overall = est(0.5, 0.45, 0.55, 225);
    let p = gate("metric = \"miscalibration\"\nrule = \"max_regression\"\nthreshold = 0.05");
    let r = evaluate(&worse, &p, Some(&compare(&base, &worse))).unwrap();
    assert_eq!(status_of(&r, "overall").status, Status::Fail);
    let r = evaluate(&base, &p, Some(&compare(&worse, &base))).unwrap();
    assert_eq!(status_of(&r, "overall").status, Status::Pass);
}

#[test]
fn junit_has_one_case_per_gate_and_group() {
    let p = Policy::parse(
        r#"
        [[gate]]
        name = "ndcg parity"
        metric = "ndcg"
        slice = "gender"
        rule = "min_ratio"
        threshold = 0.8
        [[gate]]
        metric = "recall"
        slice = "gender"
        rule = "min_ratio"
        threshold = 0.8
        [[gate]]
        metric = "miscalibration"
        rule = "max_value"
        threshold = 0.5
        "#,
    )
    .unwrap();
    let report = evaluate(&fixture(), &p, None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let rep = run_gates(&fixture(), &p, None, dir.path(), true).unwrap();
    assert_eq!(rep, report);
    let xml = std::fs::read_to_string(dir.path().join(JUNIT_FILE)).unwrap();
    assert_eq!(xml, junit_xml(&report));

    let parsed = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    assert_eq!(parsed.test_suites.len(), 1);
    let suite = &parsed.test_suites[0];
    // ndcg: F fail, X skip; recall: F skip (ratio undefined), X skip; miscalibration: pass.
    assert_eq!(suite.tests, 5);
    assert_eq!(suite.failures, 1);
    assert_eq!(suite.disabled, 3);
    let failed: Vec<_> = suite
        .test_cases
        .iter()
        .filter(|c| matches!(c.status, quick_junit::TestCaseStatus::NonSuccess { .. }))
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].name.as_str(), "min_ratio ndcg gender=F vs M");
    assert_eq!(
        failed[0].classname.as_ref().unwrap().as_str(),
        "ndcg parity"
    );
    let quick_junit::TestCaseStatus::NonSuccess { message, .. } = &failed[0].status else {
        unreachable!()
    };
    assert!(message
        .as_ref()
        .unwrap()
        .as_str()
        .contains("ratio 0.700 [0.600, 0.800] < 0.8"));
    let skipped_reasons: Vec<String> = suite
        .test_cases
        .iter()
        .filter_map(|c| match &c.status {
            quick_junit::TestCaseStatus::Skipped { message, .. } => {
                message.as_ref().map(|m| m.as_str().to_string())
            }
            _ => None,
        })
        .collect();
    assert!(skipped_reasons
        .iter()
        .any(|m| m.contains("ratio undefined: reference is 0")));
    assert_eq!(report.summary(), "1 passed, 1 failed, 3 skipped");
    // Lines match the brief's shape: status, rule, metric, scope, numbers.
    assert!(report.lines()[0]
        .starts_with("FAIL  ndcg parity: min_ratio ndcg gender=F vs M  ratio 0.700"));
}

/// The fixture with slice group `F` renamed to `label` everywhere.
fn renamed_f(label: &str) -> AuditResult {
    let json = serde_json::to_string(&fixture()).unwrap();
    let json = json.replace("\"F\"", &serde_json::to_string(label).unwrap());
    serde_json::from_str(&json).unwrap()
}

#[test]
fn lines_junit_and_the_compare_table_show_hostile_labels_visibly() {
    let hostile = "F\u{1B}[31m\u{202E}<&>\"\n";
    let shown = "F\\u{1B}[31m\\u{202E}<&>\"\\u{A}";
    let result = renamed_f(hostile);
    let p = gate("metric = \"ndcg\"\nslice = \"gender\"\nrule = \"min_ratio\"\nthreshold = 0.8");
    let report = evaluate(&result, &p, None).unwrap();
    let f = &report.outcomes[0];
    assert_eq!(
        f.group.as_deref(),
        Some(hostile),
        "the outcome keeps the raw label"
    );
    assert_eq!(
        f.line(),
        format!("FAIL  min_ratio ndcg gender={shown} vs M  ratio 0.700 [0.600, 0.800] < 0.8, significant, p_adj 0.0010")
    );

    let xml = junit_xml(&report);
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    assert!(
        !xml.contains('\u{1B}') && !xml.contains('\u{202E}'),
        "{xml}"
    );
    let case = doc
        .descendants()
        .find(|n| n.has_tag_name("testcase") && n.children().any(|c| c.has_tag_name("failure")))
        .unwrap();
    assert_eq!(
        case.attribute("name"),
        Some(format!("min_ratio ndcg gender={shown} vs M").as_str())
    );
    let out = case
        .children()
        .find(|n| n.has_tag_name("system-out"))
        .unwrap();
    assert_eq!(out.text(), Some(f.line().as_str()));

    let table = compare(&result, &result).table();
    assert!(
        !table.contains('\u{1B}') && !table.contains('\u{202E}'),
        "{table}"
    );
    let row = table
        .lines()
        .find(|l| l.starts_with("ndcg ") && l.contains("gender=F"))
        .unwrap();
    assert!(row.contains(&format!("gender={shown}  ")), "{row}");
}

/// Audits a small generated dataset; every metric the audit writes must be known to the policy,
/// and a policy with every rule evaluates on it.
#[test]
fn known_metric_names_cover_a_real_audit() {
    use crate::generate::{generate, GeneratorConfig, Plants};
    let dir = tempfile::tempdir().unwrap();
    let gen = GeneratorConfig {
        n_users: 300,
        n_items: 200,
        plants: Plants {
            worse_group: true,
            narrow_group: true,
            ..Plants::none()
        },
        ..GeneratorConfig::default()
    };
    let files = generate(&gen, dir.path()).unwrap();
    let mut cfg = AuditConfig::default();
    cfg.paths.recs = files.recs;
    cfg.paths.users = files.users;
    cfg.paths.items = Some(files.items);
    cfg.paths.truth = Some(files.truth);
    cfg.paths.history = Some(files.history);
    cfg.stats.resamples = 50;
    cfg.stats.permutations = 50;
    let result = crate::audit::audit(&cfg).unwrap();

    for name in result.metrics.keys() {
        assert!(
            matches!(policy::resolve_metric(name), Some(Target::User { .. })),
            "per-user metric `{name}` is not a per-user metric of the registry"
        );
    }
    for name in result.corpus.overall.scalars.keys() {
        assert!(
            matches!(policy::resolve_metric(name), Some(Target::Scalar { .. })),
            "corpus metric `{name}` is not a corpus metric of the registry"
        );
    }
    for name in result.corpus.overall.shares.keys() {
        assert!(
            matches!(
                policy::resolve_metric(name),
                Some(Target::Share {
                    column: Some(_),
                    ..
                })
            ),
            "share `{name}` does not resolve to a share family of the registry"
        );
    }

    let p = Policy::parse(
        r#"
        [[gate]]
        metric = "ndcg"
        slice = "gender"
        rule = "min_ratio"
        threshold = 0.8
        [[gate]]
        metric = "recall"
        slice = "age_band"
        rule = "max_difference"
        threshold = 0.1
        [[gate]]
        metric = "miscalibration"
        rule = "max_value"
        threshold = 2.0
        [[gate]]
        metric = "catalog_coverage"
        rule = "min_value"
        threshold = 0.1
        [[gate]]
        rule = "max_share_narrowed"
        slice = "age_band"
        threshold = 0.5
        [[gate]]
        rule = "max_nmi"
        slice = "region"
        threshold = 0.5
        [[gate]]
        metric = "disparate_exposure_ratio_catalog"
        slice = "provider"
        rule = "min_value"
        threshold = 0.5
        [[gate]]
        metric = "ndcg"
        slice = "gender"
        rule = "max_regression"
        threshold = 0.02
        "#,
    )
    .unwrap();
    let cmp = compare(&result, &result);
    assert_eq!(cmp.significant().count(), 0);
    let report = evaluate(&result, &p, Some(&cmp)).unwrap();
    assert!(report.outcomes.len() >= 8, "{:#?}", report.lines());
    // Comparing an audit with itself: every regression gate passes.
    assert!(report
        .outcomes
        .iter()
        .filter(|o| o.rule == Rule::MaxRegression)
        .all(|o| o.status != Status::Fail));
}
