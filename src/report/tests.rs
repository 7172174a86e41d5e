//! Tests of [`write_report`] as a whole: reports rendered from audits of the conformance case, of a
//! copy with hostile labels and of an empty result; and of [`metric_label`].

use std::path::{Path, PathBuf};

use super::test_support::{
    check_chart_files, config, conformance, conformance_dir, over_time_example, tiny_result,
};
use super::*;
use crate::audit::audit;

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
        "id=\"verdict\"",
        "Most important findings",
        "id=\"methodology\"",
        "Head and tail",
        "NDCG@10",
        "four-fifths",
        "How close each user",
    ] {
        assert!(html.contains(id), "report.html lacks {id}");
    }
    // Every table has a caption and every header cell a scope; no repeated `n = …`.
    assert_eq!(
        html.matches("<table").count(),
        html.matches("<caption>").count()
    );
    assert!(!html.contains("<th>"));
    assert_eq!(
        html.matches("<th ").count(),
        html.matches("<th scope=").count()
    );
    assert!(!html.contains("n = "));
    // Worse and better cells carry a symbol and a word, not colour alone.
    for (class, mark) in [("worse", "▼ worse"), ("ns", "○ n.s.")] {
        assert!(
            html.contains(&format!("class=\"{class}\"")),
            "no {class} cell"
        );
        assert!(html.contains(mark), "no {mark}");
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
        "at_a_glance",
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
