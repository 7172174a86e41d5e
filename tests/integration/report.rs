//! The report rendered from an `audit.json` written by the binary (the path `recaudit report`
//! takes): the JSON round trip keeps everything the page and the charts need.

use recaudit::report::{write_report, ReportOptions};

use crate::util::{data, outcome, recaudit};

#[test]
fn report_renders_from_the_audit_json_of_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let c = |f: &str| data(&format!("conformance/{f}"));
    let out = recaudit([
        "audit".as_ref(),
        "--recs".as_ref(),
        c("recs_main.csv").as_os_str(),
        "--users".as_ref(),
        c("users.csv").as_os_str(),
        "--items".as_ref(),
        c("items.csv").as_os_str(),
        "--truth".as_ref(),
        c("truth.csv").as_os_str(),
        "--history".as_ref(),
        c("history.csv").as_os_str(),
        "--bootstrap".as_ref(),
        "100".as_ref(),
        "--json-only".as_ref(),
        "--quiet".as_ref(),
        "--out".as_ref(),
        dir.path().as_os_str(),
    ]);
    let (code, _, err) = outcome(&out);
    assert_eq!(code, 0, "audit failed: {err}");

    let result = recaudit::cli::read_json(&dir.path().join("audit.json")).unwrap();
    let report_dir = dir.path().join("again");
    let files = write_report(&result, &report_dir, &ReportOptions::default()).unwrap();
    let html = std::fs::read_to_string(&files.html).unwrap();
    for want in [
        "id=\"summary\"",
        "id=\"quality\"",
        "id=\"exposure\"",
        "id=\"segregation\"",
        "gender = X",
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
