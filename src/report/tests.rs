//! Whole-report tests: rendered from audits of the conformance case and the over-time example.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::*;
use crate::audit::{audit, AuditConfig};
use crate::input::TablePaths;
use crate::result::{CorpusResult, Definitions, Tool, SCHEMA_VERSION};

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
        corpus: CorpusResult::default(),
        over_time: None,
        segregation: None,
        definitions: Definitions,
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn conformance_dir() -> PathBuf {
    root().join("tests/data/conformance")
}

fn config(dir: &Path, recs: &str, users: PathBuf, resamples: usize) -> AuditConfig {
    let mut cfg = AuditConfig {
        paths: TablePaths {
            recs: dir.join(recs),
            users,
            items: Some(dir.join("items.csv")),
            truth: Some(dir.join("truth.csv")),
            history: Some(dir.join("history.csv")),
        },
        ..AuditConfig::default()
    };
    cfg.stats.resamples = resamples;
    cfg
}

/// The conformance case (150 users; gender X has 13 users and is suppressed).
fn conformance() -> &'static AuditResult {
    static R: OnceLock<AuditResult> = OnceLock::new();
    R.get_or_init(|| {
        let dir = conformance_dir();
        audit(&config(&dir, "recs_main.csv", dir.join("users.csv"), 200))
            .expect("the conformance case audits")
    })
}

/// The shipped over-time example (snapshots, segregation).
fn over_time_example() -> &'static AuditResult {
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

fn check_chart_files(files: &ReportFiles) {
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
        assert_eq!((info.width, info.height), (c.width, c.height), "{}", c.name);
        let mut buf = vec![0; reader.output_buffer_size()];
        let frame = reader.next_frame(&mut buf).expect("PNG pixels decode");
        // Not blank: some pixels are not white.
        let px = &buf[..frame.buffer_size()];
        assert!(px.iter().any(|&b| b < 200), "{}: blank PNG", c.name);
    }
}

fn user_ids(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next().map(str::to_string))
        .collect()
}

#[test]
fn conformance_report_has_every_section_and_valid_charts() {
    let result = conformance();
    let dir = tempfile::tempdir().unwrap();
    let files = write_report(result, dir.path(), &ReportOptions::default()).unwrap();
    let html = std::fs::read_to_string(&files.html).unwrap();

    for id in [
        "id=\"summary\"",
        "id=\"disparity\"",
        "id=\"quality\"",
        "id=\"exposure\"",
        "id=\"popularity\"",
        "id=\"diversity\"",
        "id=\"bubble\"",
        "id=\"segregation\"",
        "id=\"about\"",
        "Largest significant gaps",
        "NDCG@10",
        "four-fifths",
        "How close each user",
    ] {
        assert!(html.contains(id), "report.html lacks {id}");
    }
    // No gates and no comparison unless given.
    assert!(!html.contains("Fairness gates"));
    assert!(!html.contains("id=\"comparison\""));
    // The suppressed group is counted, never named: gender X (13 users) is suppressed, and F,
    // the smaller of the other two, withheld so that X is not overall − F − M.
    assert!(!html.contains("gender = X"));
    assert!(html.contains(
        "1 group under 20 users suppressed; 1 more withheld so that it cannot be recovered by subtracting the published figures"
    ));
    // Self-contained: no script, no external resource.
    assert!(!html.contains("<script"));
    assert!(!html.contains("http://") || !html.contains("src=\"http"));
    assert!(!html.contains("<link"));
    assert!(!html.contains("https://"));
    // Every chart is inlined.
    let names: Vec<&str> = files.charts.iter().map(|c| c.name.as_str()).collect();
    for want in [
        "ndcg_gender",
        "ndcg_age_band",
        "ndcg_ratios",
        "exposure_provider",
        "popularity_gender",
        "narrowing_age_band",
        "segregation_age_band",
    ] {
        assert!(names.contains(&want), "missing chart {want}: {names:?}");
    }
    assert_eq!(html.matches("<svg").count(), files.charts.len());
    // Exactly the listed charts are in charts/ (a stale file from an earlier report is removed).
    std::fs::write(dir.path().join("charts/stale.png"), b"x").unwrap();
    let files = write_report(result, dir.path(), &ReportOptions::default()).unwrap();
    assert_eq!(
        std::fs::read_dir(dir.path().join("charts"))
            .unwrap()
            .count(),
        2 * files.charts.len()
    );
    assert!(std::fs::metadata(&files.html).unwrap().len() < 2_000_000);
    check_chart_files(&files);

    // No user id anywhere in the output.
    let ids = user_ids(&conformance_dir().join("users.csv"));
    assert!(ids.len() > 100);
    let mut outputs = vec![html];
    for c in &files.charts {
        outputs.push(std::fs::read_to_string(&c.svg).unwrap());
    }
    for id in &ids {
        for o in &outputs {
            assert!(!o.contains(id.as_str()), "user id {id} in the report");
        }
    }
}

#[test]
fn report_is_deterministic() {
    let result = conformance();
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let fa = write_report(result, a.path(), &ReportOptions::default()).unwrap();
    let fb = write_report(result, b.path(), &ReportOptions::default()).unwrap();
    assert_eq!(
        std::fs::read(&fa.html).unwrap(),
        std::fs::read(&fb.html).unwrap()
    );
    for (x, y) in fa.charts.iter().zip(&fb.charts) {
        assert_eq!(
            std::fs::read(&x.png).unwrap(),
            std::fs::read(&y.png).unwrap()
        );
    }
}

const HOSTILE: &str = "<script>alert(1)</script>";

/// The conformance case with gender F renamed to a script tag, age band 55+ to `"a&b"` and the
/// age column to an img tag.
fn hostile_result(dir: &Path) -> AuditResult {
    let src = conformance_dir();
    let users = std::fs::read_to_string(src.join("users.csv")).unwrap();
    let mut out = String::new();
    for (i, line) in users.lines().enumerate() {
        if i == 0 {
            out.push_str("user_id,gender,<img src=x onerror=alert(2)>\n");
            continue;
        }
        let mut f: Vec<&str> = line.split(',').collect();
        if f[1] == "F" {
            f[1] = HOSTILE;
        }
        // No suppressed gender group: the hostile group stays published.
        if f[1] == "X" {
            f[1] = "M";
        }
        if f[2] == "55+" {
            f[2] = "\"a&b\"";
        }
        out.push_str(&f.join(","));
        out.push('\n');
    }
    let users_path = dir.join("users.csv");
    std::fs::write(&users_path, out).unwrap();
    audit(&config(&src, "recs_main.csv", users_path, 50)).unwrap()
}

#[test]
fn hostile_slice_values_render_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = HOSTILE;
    let result = hostile_result(dir.path());
    assert!(result.slices["gender"].groups.contains_key(hostile));

    let files = write_report(&result, &dir.path().join("out"), &ReportOptions::default()).unwrap();
    let html = std::fs::read_to_string(&files.html).unwrap();
    assert!(!html.contains("<script"), "a script tag got through");
    assert!(!html.contains("<img"), "an img tag got through");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"));
    assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;"));
    for c in &files.charts {
        let svg = std::fs::read_to_string(&c.svg).unwrap();
        assert!(!svg.contains("<script"), "{}: script tag in SVG", c.name);
        assert!(!svg.contains("<img"), "{}: img tag in SVG", c.name);
        assert!(
            c.name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-'),
            "{}: unsafe file name",
            c.name
        );
    }
    // The hostile label reaches the charts, escaped.
    let gender = files
        .charts
        .iter()
        .find(|c| c.name == "ndcg_gender")
        .unwrap();
    let svg = std::fs::read_to_string(&gender.svg).unwrap();
    assert!(svg.contains("&lt;script&gt;alert(1)"));
    check_chart_files(&files);
}

#[test]
fn gates_and_comparison_are_shown_when_given() {
    let result = conformance();
    let dir = tempfile::tempdir().unwrap();
    let opts = ReportOptions {
        gates: Some(vec![
            GateLine {
                name: "ndcg ratio ≥ 0.8 (gender)".into(),
                status: GateStatus::Fail,
                detail: "F: 0.72 < 0.8".into(),
            },
            GateLine {
                name: "<b>coverage</b>".into(),
                status: GateStatus::Pass,
                detail: "0.6 ≥ 0.5".into(),
            },
        ]),
        comparison: Some(vec![ComparisonRow {
            metric: "ndcg · gender = F".into(),
            baseline: Estimate {
                value: Some(0.2),
                ci_low: Some(0.18),
                ci_high: Some(0.22),
                n: 70,
            },
            candidate: Estimate::point(Some(0.15), 70),
            change: Estimate::point(Some(-0.05), 70),
            significant: true,
        }]),
    };
    let files = write_report(result, dir.path(), &opts).unwrap();
    let html = std::fs::read_to_string(&files.html).unwrap();
    assert!(html.contains("Fairness gates"));
    assert!(html.contains("1 of 2 gates failed (1 passed, 0 skipped)."));
    assert!(html.contains("&lt;b&gt;coverage&lt;&#x2f;b&gt;"));
    assert!(html.contains("id=\"comparison\""));
    assert!(html.contains("ndcg · gender = F"));
    assert!(html.contains("0.200 [0.180, 0.220]"));
}

#[test]
fn over_time_and_segregation_charts_are_drawn() {
    let result = over_time_example();
    assert!(result.over_time.is_some() && result.segregation.is_some());
    let dir = tempfile::tempdir().unwrap();
    let files = write_report(result, dir.path(), &ReportOptions::default()).unwrap();
    let names: Vec<&str> = files.charts.iter().map(|c| c.name.as_str()).collect();
    for want in ["over_time", "over_time_age_band", "segregation_region"] {
        assert!(names.contains(&want), "missing chart {want}: {names:?}");
    }
    let html = std::fs::read_to_string(&files.html).unwrap();
    assert!(html.contains("id=\"over_time\""));
    assert!(html.contains("list diversity is narrowing"));
    assert!(std::fs::metadata(&files.html).unwrap().len() < 2_000_000);
    check_chart_files(&files);
}

#[test]
fn an_audit_without_metrics_renders_without_charts() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_report(&tiny_result(), dir.path(), &ReportOptions::default()).unwrap();
    assert!(files.charts.is_empty());
    let html = std::fs::read_to_string(&files.html).unwrap();
    assert!(html.contains("id=\"summary\""));
    assert!(html.contains("No significant gap"));
    assert!(html.contains("Quality metrics were skipped"));
}

#[test]
fn unknown_metrics_are_shown_by_their_key() {
    assert_eq!(metric_label("ndcg", 10), "NDCG@10");
    assert_eq!(metric_label("brand_new", 10), "brand_new");
}

/// Renders the conformance and over-time reports into `$RECAUDIT_REPORT_OUT` for a visual check:
/// `RECAUDIT_REPORT_OUT=/tmp/r cargo test --lib report::tests::render_for_viewing -- --ignored`.
#[test]
#[ignore = "writes reports for a person to look at into $RECAUDIT_REPORT_OUT"]
fn render_for_viewing() {
    let out = PathBuf::from(std::env::var("RECAUDIT_REPORT_OUT").expect("RECAUDIT_REPORT_OUT"));
    write_report(
        conformance(),
        &out.join("conformance"),
        &ReportOptions::default(),
    )
    .unwrap();
    write_report(
        over_time_example(),
        &out.join("over_time"),
        &ReportOptions::default(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_report(
        &hostile_result(dir.path()),
        &out.join("hostile"),
        &ReportOptions::default(),
    )
    .unwrap();
}
