//! The report rendered from an `audit.json` written by the binary (the path `recaudit report`
//! takes): the JSON round trip keeps everything the page and the charts need.

use recaudit::report::{write_report, ReportOptions};

use crate::util::audit_conformance;

#[test]
fn report_renders_from_the_audit_json_of_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    audit_conformance(dir.path(), &["--bootstrap", "100"]);

    let result = recaudit::cli::read_json(&dir.path().join("audit.json")).unwrap();
    let report_dir = dir.path().join("again");
    let files = write_report(&result, &report_dir, &ReportOptions::default()).unwrap();
    let html = std::fs::read_to_string(&files.html).unwrap();
    for want in [
        "id=\"summary\"",
        "id=\"quality\"",
        "id=\"exposure\"",
        "id=\"segregation\"",
        "1 group under 20 users suppressed",
    ] {
        assert!(html.contains(want), "report.html lacks {want}");
    }
    assert!(files.charts.len() >= 10, "{} charts", files.charts.len());
    for f in &files.charts {
        assert!(f.svg.starts_with(report_dir.join("charts")));
        assert!(std::fs::metadata(&f.png).unwrap().len() > 1000);
    }
    assert!(std::fs::metadata(&files.html).unwrap().len() < 2_000_000);
}
