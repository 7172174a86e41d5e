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
        // Every title fits its chart whole: none is shortened with `…`.
        let svg = std::fs::read_to_string(&f.svg).unwrap();
        let title = svg
            .split_once("<title>")
            .and_then(|(_, rest)| rest.split_once("</title>"))
            .map(|(title, _)| title)
            .unwrap();
        assert!(!title.ends_with('…'), "{}: {title}", f.svg.display());
    }
    assert!(std::fs::metadata(&files.html).unwrap().len() < 2_000_000);
}

/// The stdout and stderr of `recaudit audit` on the example without a policy (JSON only, 200
/// resamples), `--quiet` or not.
fn audit_example_verdict(out: &std::path::Path, quiet: bool) -> (String, String) {
    let data = crate::util::root().join("datasets/example");
    let mut args = vec![
        "audit".into(),
        "--data".into(),
        data.into_os_string(),
        "--bootstrap".into(),
        "200".into(),
        "--json-only".into(),
        "--out".into(),
        out.as_os_str().to_owned(),
    ];
    if quiet {
        args.push("--quiet".into());
    }
    let (code, stdout, stderr) = crate::util::outcome(&crate::util::recaudit(&args));
    assert_eq!(code, 0, "{stderr}");
    (stdout, stderr)
}

#[test]
fn an_audit_ends_with_a_verdict_on_the_terminal_unless_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("loud");
    let (stdout, stderr) = audit_example_verdict(&out, false);
    // stdout holds only gate lines (none without a policy); the verdict follows the `wrote` lines
    // on stderr.
    assert_eq!(stdout, "");
    let lines: Vec<&str> = stderr
        .lines()
        .skip_while(|l| !l.starts_with("verdict: "))
        .collect();
    assert!(
        lines
            .first()
            .is_some_and(|l| l.starts_with("verdict: Not fair to every group:")),
        "{stderr}"
    );
    // The worst-off groups of the example's planted effects: narrowed lists for age 55+, worse
    // quality for women.
    assert!(
        lines[0].contains("The worst-off group is age_band 55+"),
        "{stderr}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("  ▼ gender F (1193 users")),
        "{stderr}"
    );
    // At most three findings, then where the output is.
    assert!(lines.iter().filter(|l| l.starts_with("  ▼ ")).count() <= 3);
    assert_eq!(
        lines.last().copied(),
        Some(format!("report: {}", out.join("audit.json").display()).as_str())
    );
    // No user id (u followed by six digits) on the terminal.
    let b = stderr.as_bytes();
    assert!(!(0..b.len().saturating_sub(6))
        .any(|i| b[i] == b'u' && b[i + 1..i + 7].iter().all(u8::is_ascii_digit)));

    let quiet = audit_example_verdict(&dir.path().join("quiet"), true);
    assert_eq!(
        quiet,
        (String::new(), String::new()),
        "--quiet prints nothing"
    );
}
