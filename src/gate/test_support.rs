//! Fixtures of the gate tests: a hand-built audit result ([`fixture`]) whose groups, intervals and
//! comparisons each rule's tests judge, and helpers to parse one gate and find an outcome.

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

use super::{evaluate, GateOutcome, GateReport, Policy};

pub(super) fn est(v: f64, lo: f64, hi: f64, n: usize) -> Estimate {
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
        chosen_reference: Some(reference.into()),
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
        quantiles: Default::default(),
        disparity: Some(DisparityResult {
            reference: reference.into(),
            reference_rule: crate::slices::reference::ReferenceRule::Chosen,
            groups: groups
                .into_iter()
                .map(|(g, c)| (g.to_string(), c))
                .collect(),
            spread: Estimate::default(),
            min_max_ratio: Estimate::default(),
        }),
        groups_withheld: 0,
        distribution: None,
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
        quantiles: Default::default(),
        n_undefined: 0,
        distribution: None,
        slices: slices
            .into_iter()
            .map(|(c, s)| (c.to_string(), s))
            .collect(),
    }
}

/// A per-user metric on the `gender` column only: group F (compared as `f`) and the reference M
/// (estimate `m`).
fn gender_metric(
    family: &str,
    better: Better,
    overall: Estimate,
    f: GroupComparison,
    m: Estimate,
) -> MetricResult {
    metric(
        family,
        better,
        overall,
        vec![(
            "gender",
            slice_metric("M", vec![("F", f), ("M", reference(m))]),
        )],
    )
}

fn scalars(pairs: &[(&str, Option<f64>)]) -> CorpusValues {
    CorpusValues {
        scalars: pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        shares: BTreeMap::new(),
    }
}

/// gender: M (reference, 120), F (100), X (5, suppressed); age_band: 25-34 (reference), 18-24;
/// region: south (reference), north.
pub(super) fn fixture() -> AuditResult {
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
        gender_metric(
            "quality",
            Better::Higher,
            est(0.05, 0.03, 0.07, 225),
            comparison(
                est(0.1, 0.05, 0.15, 100),
                est(0.1, 0.05, 0.15, 100),
                Estimate::point(None, 100),
                Some(0.01),
                false,
            ),
            est(0.0, 0.0, 0.0, 120),
        ),
    );
    metrics.insert(
        "narrowed".to_string(),
        gender_metric(
            "bubble",
            Better::Lower,
            est(0.2, 0.17, 0.23, 225),
            comparison(
                est(0.45, 0.38, 0.52, 100),
                est(0.3, 0.22, 0.38, 100),
                est(3.0, 2.0, 4.5, 100),
                Some(0.001),
                true,
            ),
            est(0.15, 0.10, 0.20, 120),
        ),
    );
    // hit: the reference group M is the disadvantaged one (F / M = 2.5).
    metrics.insert(
        "hit".to_string(),
        gender_metric(
            "quality",
            Better::Higher,
            est(0.35, 0.31, 0.39, 225),
            comparison(
                est(0.5, 0.44, 0.56, 100),
                est(0.3, 0.22, 0.38, 100),
                est(2.5, 2.0, 3.125, 100),
                Some(0.001),
                true,
            ),
            est(0.2, 0.15, 0.25, 120),
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
        subgroups: Default::default(),
        propensity: None,
        corpus: CorpusResult {
            overall,
            slices: corpus_slices,
            exposure_share_intervals: intervals,
            size_matched: Default::default(),
        },
        over_time: None,
        segregation: Some(segregation),
        definitions: Definitions::default(),
        gates: None,
        provenance: None,
        privacy: None,
        nulls: Default::default(),
    }
}

pub(super) fn gate(body: &str) -> Policy {
    Policy::parse(&format!("[[gate]]\n{body}\n")).unwrap()
}

pub(super) fn run(body: &str) -> GateReport {
    evaluate(&fixture(), &gate(body), None).unwrap()
}

pub(super) fn status_of<'a>(r: &'a GateReport, scope: &str) -> &'a GateOutcome {
    r.outcomes
        .iter()
        .find(|o| o.scope == scope)
        .unwrap_or_else(|| panic!("no outcome for {scope}: {:#?}", r.lines()))
}

/// The fixture with every estimate moved by `shift` × its half-width (a re-run's noise).
pub(super) fn jitter(r: &AuditResult, shift: f64) -> AuditResult {
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

/// The fixture with slice group `F` renamed to `label` everywhere.
pub(super) fn renamed_f(label: &str) -> AuditResult {
    let json = serde_json::to_string(&fixture()).unwrap();
    let json = json.replace("\"F\"", &serde_json::to_string(label).unwrap());
    serde_json::from_str(&json).unwrap()
}

/// A slice label with an escape sequence, a bidi override, markup, a quote and a line break.
pub(super) const HOSTILE: &str = "F\u{1B}[31m\u{202E}<&>\"\n";
/// [`HOSTILE`] as [`visible`](crate::text::visible) shows it.
pub(super) const HOSTILE_SHOWN: &str = "F\\u{1B}[31m\\u{202E}<&>\"\\u{A}";

/// The report of an ndcg `min_ratio` gate on the fixture with group F renamed [`HOSTILE`].
pub(super) fn hostile_report() -> GateReport {
    let p = gate("metric = \"ndcg\"\nslice = \"gender\"\nrule = \"min_ratio\"\nthreshold = 0.8");
    evaluate(&renamed_f(HOSTILE), &p, None).unwrap()
}

/// `r` with the ndcg of gender F dropped to 0.12 [0.09, 0.15] (from 0.21 in the fixture).
pub(super) fn worse_ndcg_for_f(r: &AuditResult) -> AuditResult {
    let mut planted = r.clone();
    let f = planted.metrics.get_mut("ndcg").unwrap();
    f.slices
        .get_mut("gender")
        .unwrap()
        .groups
        .insert("F".into(), est(0.12, 0.09, 0.15, 100));
    planted
}
