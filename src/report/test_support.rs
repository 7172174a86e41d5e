//! Fixtures shared by the report's tests: results to render (an empty one, a hand-made metric, the
//! audits of the conformance case and of the over-time example) and the checks of written chart
//! files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::ReportFiles;
use crate::audit::{audit, AuditConfig};
use crate::input::TablePaths;
use crate::metrics::Better;
use crate::result::{
    AuditResult, CorpusResult, Definitions, DisparityResult, MetricResult, SliceMetric, Tool,
    SCHEMA_VERSION,
};
use crate::stats::{Estimate, GroupComparison};

/// An empty result (no slice, no metric).
pub(crate) fn tiny_result() -> AuditResult {
    AuditResult {
        schema_version: SCHEMA_VERSION,
        tool: Tool::default(),
        settings: AuditConfig::default(),
        input: Default::default(),
        notes: vec!["Quality metrics were skipped: no truth.".into()],
        skipped_slice_columns: vec![],
        slices: BTreeMap::new(),
        metrics: BTreeMap::new(),
        subgroups: Default::default(),
        propensity: None,
        corpus: CorpusResult::default(),
        over_time: None,
        segregation: None,
        definitions: Definitions::default(),
        gates: None,
        provenance: None,
        privacy: None,
        nulls: Default::default(),
    }
}

/// An estimate `v` with interval [`lo`, `hi`] over `n` users.
pub(crate) fn est(v: f64, lo: f64, hi: f64, n: usize) -> Estimate {
    Estimate {
        value: Some(v),
        ci_low: Some(lo),
        ci_high: Some(hi),
        n,
    }
}

/// A comparison of estimate `e` with its reference: `ratio`, significant or not.
pub(crate) fn comparison(e: Estimate, ratio: Estimate, significant: bool) -> GroupComparison {
    GroupComparison {
        group: 0,
        estimate: e,
        difference: Estimate::default(),
        ratio,
        p_value: None,
        p_adjusted: None,
        test: None,
        significant,
        four_fifths: None,
    }
}

/// A metric with groups a (0.5), b (0.2, significant), ref (0.4), c (undefined).
pub(crate) fn gender_metric() -> MetricResult {
    let a = est(0.5, 0.45, 0.55, 30);
    let b = est(0.2, 0.1, 0.3, 40);
    let r = est(0.4, 0.35, 0.45, 50);
    let groups: BTreeMap<String, Estimate> = [
        ("a".to_string(), a),
        ("b".to_string(), b),
        ("ref".to_string(), r),
        ("c".to_string(), Estimate::point(None, 25)),
    ]
    .into_iter()
    .collect();
    let d = DisparityResult {
        reference: "ref".into(),
        reference_rule: crate::slices::reference::ReferenceRule::Chosen,
        groups: [
            (
                "a".to_string(),
                comparison(a, est(1.25, 1.0, 1.5, 30), false),
            ),
            ("b".to_string(), comparison(b, est(0.5, 0.3, 0.7, 40), true)),
            (
                "ref".to_string(),
                comparison(r, est(1.0, 1.0, 1.0, 50), false),
            ),
        ]
        .into_iter()
        .collect(),
        spread: Estimate::default(),
        min_max_ratio: Estimate::default(),
    };
    MetricResult {
        family: "quality".into(),
        better: Better::Higher,
        overall: est(0.4, 0.38, 0.42, 145),
        quantiles: Default::default(),
        n_undefined: 0,
        distribution: None,
        slices: [(
            "gender".to_string(),
            SliceMetric {
                groups,
                quantiles: Default::default(),
                disparity: Some(d),
                groups_withheld: 0,
                distribution: None,
            },
        )]
        .into_iter()
        .collect(),
    }
}

/// The crate's folder.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The conformance case's folder.
pub(crate) fn conformance_dir() -> PathBuf {
    root().join("tests/data/conformance")
}

/// The settings of an audit of the tables in `dir` (recommendations `recs`, users `users`).
pub(crate) fn config(dir: &Path, recs: &str, users: PathBuf, resamples: usize) -> AuditConfig {
    let mut cfg = AuditConfig {
        paths: TablePaths {
            recs: dir.join(recs),
            users,
            items: Some(dir.join("items.csv")),
            truth: Some(dir.join("truth.csv")),
            history: Some(dir.join("history.csv")),
            baseline_recs: None,
        },
        ..AuditConfig::default()
    };
    cfg.stats.resamples = resamples;
    cfg
}

/// The conformance case (150 users; gender X has 13 users and is suppressed).
pub(crate) fn conformance() -> &'static AuditResult {
    static R: OnceLock<AuditResult> = OnceLock::new();
    R.get_or_init(|| {
        let dir = conformance_dir();
        audit(&config(&dir, "recs_main.csv", dir.join("users.csv"), 200))
            .expect("the conformance case audits")
    })
}

/// The shipped over-time example (snapshots, segregation).
pub(crate) fn over_time_example() -> &'static AuditResult {
    static R: OnceLock<AuditResult> = OnceLock::new();
    R.get_or_init(|| {
        let dir = root().join("datasets/example-over-time");
        audit(&config(&dir, "recs.csv", dir.join("users.csv"), 50))
            .expect("the over-time example audits")
    })
}

/// Parses `svg` as XML 1.0 (roxmltree rejects malformed markup and characters XML forbids).
fn assert_well_formed(svg: &str, what: &str) {
    if let Err(e) = roxmltree::Document::parse(svg) {
        panic!("{what}: not well-formed XML: {e}");
    }
}

/// Every chart file of `files` is a well-formed SVG and a non-blank PNG of the chart's size.
pub(crate) fn check_chart_files(files: &ReportFiles) {
    for c in &files.charts {
        let svg = std::fs::read_to_string(&c.svg).unwrap();
        assert!(svg.starts_with("<svg"), "{}: not an SVG", c.name);
        assert!(
            svg.contains(&format!("width=\"{}\" height=\"{}\"", c.width, c.height)),
            "{}: SVG size is not {}×{}",
            c.name,
            c.width,
            c.height
        );
        assert!(svg.trim_end().ends_with("</svg>"), "{}", c.name);
        assert_well_formed(&svg, &c.name);

        let decoder = png::Decoder::new(std::fs::File::open(&c.png).unwrap());
        let mut reader = decoder.read_info().expect("a PNG header");
        let info = reader.info();
        // Drawn at twice the layout size, sharp on slides.
        assert_eq!(
            (info.width, info.height),
            (2 * c.width, 2 * c.height),
            "{}",
            c.name
        );
        let mut buf = vec![0; reader.output_buffer_size()];
        let frame = reader.next_frame(&mut buf).expect("PNG pixels decode");
        // Not blank: some pixels are not white.
        let px = &buf[..frame.buffer_size()];
        assert!(px.iter().any(|&b| b < 200), "{}: blank PNG", c.name);
    }
}
