//! Fairness gates through the binary: `recaudit gate` and `recaudit compare` on the shipped
//! example and on generated cases, asserting exit codes, stdout lines, `gates.junit.xml` (parsed
//! back) and `compare.json`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use quick_junit::{Report, TestCaseStatus};
use serde_json::Value;

use crate::util::{outcome, read_json, recaudit, root, write};

use crate::util::audit_data as audit;

/// The shipped example, audited once for every test of this file.
fn example_audit() -> &'static Path {
    static AUDIT: OnceLock<PathBuf> = OnceLock::new();
    AUDIT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        audit(
            &root().join("datasets/example"),
            &dir,
            &["--bootstrap", "200", "--clusters", "3"],
        );
        dir.join("audit.json")
    })
}

/// Runs `recaudit gate audit --policy policy [--out out]`: exit code, stdout and stderr.
fn gate(audit: &Path, policy: &Path, out: Option<&Path>) -> (i32, String, String) {
    let mut args = vec![
        "gate".as_ref(),
        audit.as_os_str(),
        "--policy".as_ref(),
        policy.as_os_str(),
    ];
    if let Some(out) = out {
        args.extend(["--out".as_ref(), out.as_os_str()]);
    }
    outcome(&recaudit(args))
}

/// Runs `recaudit compare baseline candidate [--policy policy] --out out`: exit code, stdout and
/// stderr.
fn compare(
    baseline: &Path,
    candidate: &Path,
    policy: Option<&Path>,
    out: &Path,
) -> (i32, String, String) {
    let mut args = vec![
        "compare".as_ref(),
        baseline.as_os_str(),
        candidate.as_os_str(),
    ];
    if let Some(policy) = policy {
        args.extend(["--policy".as_ref(), policy.as_os_str()]);
    }
    args.extend(["--out".as_ref(), out.as_os_str()]);
    outcome(&recaudit(args))
}

fn parse_junit(path: &Path) -> Report {
    let xml = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Report::deserialize_from_str(&xml).unwrap_or_else(|e| panic!("JUnit XML: {e}\n{xml}"))
}

fn case_names(r: &Report, pred: impl Fn(&TestCaseStatus) -> bool) -> Vec<String> {
    r.test_suites
        .iter()
        .flat_map(|s| &s.test_cases)
        .filter(|c| pred(&c.status))
        .map(|c| c.name.as_str().to_string())
        .collect()
}

fn failed(s: &TestCaseStatus) -> bool {
    matches!(s, TestCaseStatus::NonSuccess { .. })
}

fn skipped(s: &TestCaseStatus) -> bool {
    matches!(s, TestCaseStatus::Skipped { .. })
}

#[test]
fn example_policy_fails_on_the_planted_example() {
    let audit_json = example_audit();
    let out = tempfile::tempdir().unwrap();
    let policy = root().join("datasets/policy.example.toml");
    let (code, stdout, stderr) = gate(audit_json, &policy, Some(out.path()));
    assert_eq!(code, 1, "{stdout}\n{stderr}");

    // The planted effects fail their gates: women's lists, indie exposure, narrowed 55+.
    let fails: Vec<&str> = stdout.lines().filter(|l| l.starts_with("FAIL")).collect();
    for want in [
        "min_ratio ndcg gender=F vs M",
        "max_difference hit gender=F vs M",
        "min_value disparate_exposure_ratio_catalog_provider provider=indie",
        "max_share_narrowed narrowed age_band=55+",
    ] {
        assert!(
            fails.iter().any(|l| l.contains(want)),
            "no FAIL line with `{want}`:\n{stdout}"
        );
    }
    // Gender gaps are judged against each metric's best-off group (men for NDCG and hit), so
    // women are the group that fails, and the other groups pass against it.
    for line in stdout.lines().filter(|l| l.contains(" gender=")) {
        if line.contains("min_ratio ndcg") || line.contains("max_difference hit") {
            assert_eq!(
                line.starts_with("FAIL"),
                line.contains("gender=F vs M"),
                "{line}"
            );
        }
    }
    // Unplanted dimensions pass.
    assert!(
        stdout
            .lines()
            .filter(|l| l.contains("min_ratio ndcg region="))
            .all(|l| l.starts_with("PASS")),
        "{stdout}"
    );
    assert!(stdout.contains("PASS  region segregation: max_nmi nmi region"));

    // One JUnit test case per stdout line; failures and skips agree with the lines.
    let report = parse_junit(&out.path().join("gates.junit.xml"));
    assert_eq!(report.test_suites.len(), 1);
    let suite = &report.test_suites[0];
    assert_eq!(suite.tests, stdout.lines().count(), "{stdout}");
    assert_eq!(suite.failures, fails.len());
    let skips = case_names(&report, skipped);
    assert_eq!(
        skips.len(),
        stdout.lines().filter(|l| l.starts_with("SKIP")).count()
    );
    // max_regression without a baseline: skipped, one per gender.
    assert_eq!(
        skips
            .iter()
            .filter(|n| n.starts_with("max_regression ndcg gender="))
            .count(),
        3,
        "{skips:?}"
    );
    let failed_names = case_names(&report, failed);
    assert!(
        failed_names
            .iter()
            .any(|n| n.starts_with("min_ratio ndcg gender=F vs")),
        "{failed_names:?}"
    );
    let first_failure = suite
        .test_cases
        .iter()
        .find_map(|c| match &c.status {
            TestCaseStatus::NonSuccess { message, .. } => message.clone(),
            _ => None,
        })
        .unwrap();
    assert!(
        first_failure.as_str().contains('<') || first_failure.as_str().contains('>'),
        "{}",
        first_failure.as_str()
    );
}

#[test]
fn a_policy_on_unplanted_slices_passes() {
    let audit_json = example_audit();
    let dir = tempfile::tempdir().unwrap();
    let policy = write(
        dir.path(),
        "ok.toml",
        r#"
[[gate]]
metric = "ndcg"
slice = "region"
rule = "min_ratio"
threshold = 0.8

[[gate]]
metric = "hit"
slice = "tenure_band"
rule = "max_difference"
threshold = 0.1

[[gate]]
rule = "max_share_narrowed"
slice = "region"
threshold = 0.5

[[gate]]
metric = "catalog_coverage"
rule = "min_value"
threshold = 0.3

[[gate]]
rule = "max_nmi"
slice = "country_tier"
threshold = 0.1
"#,
    );
    let (code, stdout, stderr) = gate(audit_json, &policy, Some(dir.path()));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.lines().all(|l| l.starts_with("PASS")), "{stdout}");
    let report = parse_junit(&dir.path().join("gates.junit.xml"));
    assert_eq!(report.test_suites[0].failures, 0);
    assert_eq!(report.test_suites[0].tests, stdout.lines().count());
}

#[test]
fn a_bad_policy_is_rejected_with_the_valid_names() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(
        dir.path(),
        "bad.toml",
        "[[gate]]\nmetric = \"ndgc\"\nslice = \"gender\"\nrule = \"min_ratio\"\nthreshold = 0.8\n",
    );
    // Checked before the audit is read: the audit path does not even exist.
    let (code, _, err) = gate(Path::new("/nonexistent/audit.json"), &policy, None);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("bad.toml: gate 1: unknown metric `ndgc`"),
        "{err}"
    );
    assert!(
        err.contains("ndcg") && err.contains("catalog_coverage"),
        "{err}"
    );

    let policy = write(
        dir.path(),
        "rule.toml",
        "[[gate]]\nmetric = \"ndcg\"\nslice = \"gender\"\nrule = \"min_ration\"\nthreshold = 0.8\n",
    );
    let (code, _, err) = gate(Path::new("/nonexistent/audit.json"), &policy, None);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("min_ration") && err.contains("max_share_narrowed"),
        "{err}"
    );

    // Columns are checked against the audit's slices.
    let policy = write(
        dir.path(),
        "column.toml",
        "[[gate]]\nmetric = \"ndcg\"\nslice = \"country\"\nrule = \"min_ratio\"\nthreshold = 0.8\n",
    );
    let (code, _, err) = gate(example_audit(), &policy, Some(dir.path()));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown slice column `country`"), "{err}");
    assert!(
        err.contains("age_band") && err.contains("tenure_band"),
        "{err}"
    );
}

#[test]
fn a_policy_naming_a_column_the_users_table_lacks_is_refused_before_the_audit() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    for t in ["users", "items", "truth", "history"] {
        let name = format!("{t}.csv");
        std::fs::copy(
            root().join("datasets/example").join(&name),
            data.join(&name),
        )
        .unwrap();
    }
    // A rank of 0 would stop the audit with an error about the recommendations: the policy's
    // error comes first, so the data was not read.
    write(&data, "recs.csv", "user_id,item_id,rank\nu1,i1,0\n");
    let policy = write(
        dir.path(),
        "policy.toml",
        "[[gate]]\nmetric = \"ndcg\"\nslice = \"gendr\"\nrule = \"min_ratio\"\nthreshold = 0.8\n",
    );
    let out = dir.path().join("out");
    let audit_under = |policy: &std::path::Path, slices: Option<&str>| {
        let mut args: Vec<&std::ffi::OsStr> = vec!["audit".as_ref(), "--data".as_ref()];
        args.extend([data.as_os_str(), "--policy".as_ref(), policy.as_os_str()]);
        args.extend(["--out".as_ref(), out.as_os_str(), "--quiet".as_ref()]);
        if let Some(slices) = slices {
            args.extend([
                std::ffi::OsStr::new("--slices"),
                std::ffi::OsStr::new(slices),
            ]);
        }
        outcome(&recaudit(args))
    };
    let (code, _, err) = audit_under(&policy, None);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("gate 1: unknown slice column `gendr`; valid slices: overall, "),
        "{err}"
    );
    assert!(err.contains("gender") && !err.contains("rank"), "{err}");
    assert!(!out.exists());

    // A column the users table has but `--slices` leaves out: refused before the audit too, and
    // said so.
    let policy = write(
        dir.path(),
        "left_out.toml",
        "[[gate]]\nmetric = \"ndcg\"\nslice = \"gender\"\nrule = \"min_ratio\"\nthreshold = 0.8\n\n\
         [[gate]]\nmetric = \"ndcg\"\nslice = \"age_band\"\nrule = \"min_ratio\"\nthreshold = 0.8\n",
    );
    let (code, _, err) = audit_under(&policy, Some("gender,region"));
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        err,
        format!(
            "error: {}: gate 2: slice column `age_band` is left out by the slices chosen \
             (--slices or `columns.slices`: gender, region); add it there or remove the gate\n",
            policy.display()
        )
    );
    assert!(!out.exists());
}

fn significant_rows<'a>(cmp: &'a Value, metrics: &[&str]) -> Vec<&'a Value> {
    cmp["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| metrics.contains(&r["metric"].as_str().unwrap()) && r["significant"] == true)
        .collect()
}

#[test]
fn compare_flags_a_planted_regression_and_not_a_rerun() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let small = ["--users", "1500", "--items", "400"];
    let cases: [(&str, &[&str]); 3] = [
        ("base", &["--seed", "7"]),
        ("planted", &["--seed", "7", "--plant", "worse-group"]),
        ("rerun", &["--seed", "8"]),
    ];
    std::thread::scope(|s| {
        for (name, flags) in cases {
            s.spawn(move || {
                let data = d.join(name);
                let mut args = vec!["generate", "--out", data.to_str().unwrap()];
                args.extend_from_slice(&small);
                args.extend_from_slice(flags);
                let o = recaudit(&args);
                assert_eq!(outcome(&o).0, 0, "generate: {}", outcome(&o).2);
                audit(
                    &data,
                    &d.join(format!("{name}-out")),
                    &["--bootstrap", "200", "--clusters", "2"],
                );
            });
        }
    });
    let policy = write(
        d,
        "regression.toml",
        r#"
[[gate]]
metric = "ndcg"
slice = "gender"
rule = "max_regression"
threshold = 0.02

[[gate]]
metric = "hit"
rule = "max_regression"
threshold = 0.02
"#,
    );
    let quality = ["precision", "recall", "hit", "mrr", "ndcg"];
    let base = d.join("base-out/audit.json");

    // The planted regression: women's lists get worse.
    let out = d.join("cmp-planted");
    let (code, stdout, stderr) = compare(
        &base,
        &d.join("planted-out/audit.json"),
        Some(&policy),
        &out,
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("ndcg ") && l.contains("gender=F") && l.ends_with("worse *")),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l.starts_with("FAIL")
            && l.contains("max_regression ndcg gender=F")
            && l.contains("significant")),
        "{stdout}"
    );
    let cmp = read_json(&out.join("compare.json"));
    let sig = significant_rows(&cmp, &quality);
    assert!(
        sig.iter()
            .any(|r| r["metric"] == "ndcg" && r["group"] == "F" && r["direction"] == "worse"),
        "{sig:?}"
    );
    // Men's lists were not touched.
    assert!(
        !sig.iter().any(|r| r["group"] == "M"),
        "{:?}",
        sig.iter().filter(|r| r["group"] == "M").collect::<Vec<_>>()
    );
    let junit = parse_junit(&out.join("gates.junit.xml"));
    assert!(junit.test_suites[0].failures >= 1);

    // A re-run with another seed: same distributions, nothing significant, the gates pass.
    let out = d.join("cmp-rerun");
    let (code, stdout, stderr) =
        compare(&base, &d.join("rerun-out/audit.json"), Some(&policy), &out);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let cmp = read_json(&out.join("compare.json"));
    let sig = significant_rows(&cmp, &quality);
    assert!(sig.is_empty(), "{sig:?}");
    let junit = parse_junit(&out.join("gates.junit.xml"));
    assert_eq!(junit.test_suites[0].failures, 0);
}

#[test]
fn compare_prints_its_summary_first_and_writes_the_full_table_to_compare_txt() {
    let base = example_audit();
    let dir = tempfile::tempdir().unwrap();
    // The candidate: the example with its overall ndcg lowered by ten interval widths.
    let mut json = read_json(base);
    let overall = &mut json["metrics"]["ndcg"]["overall"];
    let width = overall["ci_high"].as_f64().unwrap() - overall["ci_low"].as_f64().unwrap();
    assert!(width > 0.0, "{overall}");
    for key in ["value", "ci_low", "ci_high"] {
        let v = overall[key].as_f64().unwrap();
        overall[key] = (v - 10.0 * width).into();
    }
    let candidate = write(
        dir.path(),
        "candidate.json",
        &serde_json::to_string(&json).unwrap(),
    );
    let out = dir.path().join("out");
    let (code, stdout, stderr) = compare(base, &candidate, None, &out);
    assert_eq!(code, 0, "{stderr}");

    // The summary: verdict, counts, then only the significant change.
    let rows = read_json(&out.join("compare.json"))["rows"]
        .as_array()
        .unwrap()
        .len();
    assert!(rows > 100, "{rows}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    assert!(
        lines[0].starts_with("verdict: worse: 1 of ")
            && lines[0].contains("(0 better, 1 worse, 0 changed; Holm-adjusted p < 0.05)"),
        "{stdout}"
    );
    assert!(lines[1].starts_with(&format!("rows: {rows} (")), "{stdout}");
    assert_eq!(lines[2], "significant changes:");
    assert!(lines[3].starts_with("metric "), "{stdout}");
    assert!(
        lines[4].starts_with("ndcg ")
            && lines[4].contains(" overall ")
            && lines[4].ends_with("worse *"),
        "{stdout}"
    );

    // The full table: a header, one line per row of compare.json, the count of significant changes.
    let table = std::fs::read_to_string(out.join("compare.txt")).unwrap();
    let table: Vec<&str> = table.lines().collect();
    assert_eq!(table.len(), rows + 2);
    // The same columns, as wide as the table's entries.
    let squeeze = |l: &str| l.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(squeeze(table[0]), squeeze(lines[3]));
    assert!(
        table.iter().any(|l| squeeze(l) == squeeze(lines[4])),
        "the significant row is not in the table"
    );
    assert!(
        table[rows + 1].starts_with("1 of ")
            && table[rows + 1].ends_with(&format!("; {rows} rows in all)")),
        "{}",
        table[rows + 1]
    );
    assert_eq!(
        stderr,
        format!(
            "wrote {}\nwrote {}\n",
            out.join("compare.json").display(),
            out.join("compare.txt").display()
        )
    );

    // --help says where the full table goes.
    let (code, help, _) = outcome(&recaudit(["compare", "--help"]));
    assert_eq!(code, 0);
    assert!(
        help.contains("Prints a summary") && help.contains("compare.txt"),
        "{help}"
    );
}

/// Writes `json` to `dir/name` and returns the path.
fn write_json(dir: &Path, name: &str, json: &Value) -> PathBuf {
    write(dir, name, &serde_json::to_string(json).unwrap())
}

#[test]
fn a_gate_on_a_slice_or_metric_the_audit_did_not_produce_is_skipped_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    // The example's audit as if gender had one group and the items no categories: gender is
    // among the input's columns and in skipped_slice_columns, and miscalibration is missing.
    let mut json = read_json(example_audit());
    json["slices"].as_object_mut().unwrap().remove("gender");
    json["skipped_slice_columns"] = serde_json::json!([{
        "column": "gender",
        "reason": "fewer than two groups of at least 20 users (min_slice_size): nothing to compare"
    }]);
    json["metrics"]
        .as_object_mut()
        .unwrap()
        .remove("miscalibration");
    let category_note = "Category metrics (intra-list diversity, list entropy, calibration, narrowing, segregation) were skipped: no item has a category (they need an --items table whose category column is not empty).";
    let notes = json["notes"].as_array_mut().unwrap();
    notes.insert(0, "age_band: 1 group under 20 users suppressed.".into());
    notes.push(category_note.into());
    let audit_json = write_json(dir.path(), "audit.json", &json);
    let policy = write(
        dir.path(),
        "policy.toml",
        r#"
[[gate]]
name = "NDCG parity by gender"
metric = "ndcg"
slice = "gender"
rule = "min_ratio"
threshold = 0.8

[[gate]]
metric = "miscalibration"
slice = "age_band"
rule = "max_value"
threshold = 2.0
"#,
    );
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let (code, stdout, stderr) = gate(&audit_json, &policy, Some(&out));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let gender_reason = "slice column `gender` is not audited: fewer than two groups of at least 20 users (min_slice_size): nothing to compare.";
    let miscalibration_reason =
        format!("the audit did not compute `miscalibration`: {category_note}");
    assert_eq!(
        stdout,
        format!(
            "SKIP  NDCG parity by gender: min_ratio ndcg gender  {gender_reason}\nSKIP  max_value miscalibration age_band  {miscalibration_reason}\n"
        )
    );
    assert!(
        stderr.starts_with("gates: 0 passed, 0 failed, 2 skipped; wrote "),
        "{stderr}"
    );
    let report = parse_junit(&out.join("gates.junit.xml"));
    let messages: Vec<String> = report.test_suites[0]
        .test_cases
        .iter()
        .map(|c| match &c.status {
            TestCaseStatus::Skipped { message, .. } => message.as_ref().unwrap().to_string(),
            other => panic!("not skipped: {other:?}"),
        })
        .collect();
    assert_eq!(messages, [gender_reason, miscalibration_reason.as_str()]);

    // A column named nowhere is still an error, with the valid names (gender among them).
    let typo = write(
        dir.path(),
        "typo.toml",
        "[[gate]]\nmetric = \"ndcg\"\nslice = \"gendr\"\nrule = \"min_ratio\"\nthreshold = 0.8\n",
    );
    let (code, _, stderr) = gate(&audit_json, &typo, Some(&out));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("gate 1: unknown slice column `gendr`; valid slices: overall, age_band, country_tier, gender, region, tenure_band"),
        "{stderr}"
    );
}

#[test]
fn an_audit_whose_slice_column_has_one_group_skips_its_gate_and_passes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    for t in ["recs", "items", "truth", "history"] {
        let name = format!("{t}.csv");
        std::fs::copy(
            root().join("datasets/example").join(&name),
            data.join(&name),
        )
        .unwrap();
    }
    // Every user on the same plan: one group, nothing to compare.
    let users = std::fs::read_to_string(root().join("datasets/example/users.csv")).unwrap();
    let users: Vec<String> = users
        .lines()
        .enumerate()
        .map(|(i, l)| format!("{l},{}", if i == 0 { "plan" } else { "basic" }))
        .collect();
    write(&data, "users.csv", &(users.join("\n") + "\n"));
    let policy = write(
        dir.path(),
        "policy.toml",
        "[[gate]]\nmetric = \"ndcg\"\nslice = \"plan\"\nrule = \"min_ratio\"\nthreshold = 0.8\n",
    );
    let out = dir.path().join("out");
    let o = recaudit([
        "audit".as_ref(),
        "--data".as_ref(),
        data.as_os_str(),
        "--policy".as_ref(),
        policy.as_os_str(),
        "--bootstrap".as_ref(),
        "0".as_ref(),
        "--json-only".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
        "--quiet".as_ref(),
    ]);
    let (code, _, stderr) = outcome(&o);
    assert_eq!(code, 0, "{stderr}");
    let gates = &read_json(&out.join("audit.json"))["gates"];
    assert_eq!(
        (&gates["verdict"], &gates["skipped"], &gates["failed"]),
        (&Value::from("pass"), &Value::from(1), &Value::from(0)),
        "{gates}"
    );
    let detail = gates["rules"][0]["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("slice column `plan` is not audited: "),
        "{detail}"
    );
}

#[test]
fn compare_refuses_audits_whose_settings_change_the_values_and_warns_on_interval_settings() {
    let base = example_audit();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");

    let mut json = read_json(base);
    json["settings"]["k"] = 5.into();
    json["settings"]["head_share"] = 0.1.into();
    let k5 = write_json(dir.path(), "k5.json", &json);
    let (code, stdout, stderr) = compare(base, &k5, None, &out);
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    let (b, c) = (base.display(), k5.display());
    assert_eq!(
        stderr,
        format!("error: cannot compare {b} with {c}: they differ in settings that change the metrics' values: k ({b}: 10, {c}: 5); head_share ({b}: 0.2, {c}: 0.1); audit both with the same settings\n")
    );
    assert!(stdout.is_empty() && !out.exists());

    // Another seed and fewer resamples: compared, with a one-line warning.
    let mut json = read_json(base);
    json["settings"]["stats"]["seed"] = 7.into();
    json["settings"]["stats"]["resamples"] = 100.into();
    let reseeded = write_json(dir.path(), "reseeded.json", &json);
    let (code, _, stderr) = compare(base, &reseeded, None, &out);
    assert_eq!(code, 0, "{stderr}");
    let warning = format!(
        "warning: {b} and {} differ in settings that change only the intervals, not the values: stats.resamples (200 vs 100), stats.seed (42 vs 7)",
        reseeded.display()
    );
    assert_eq!(stderr.lines().next(), Some(warning.as_str()), "{stderr}");
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("warning")).count(),
        1
    );
}

#[test]
fn compare_report_and_gate_refuse_another_schema_version() {
    let dir = tempfile::tempdir().unwrap();
    let mut json = read_json(example_audit());
    json["schema_version"] = 999.into();
    let other = write_json(dir.path(), "audit.json", &json);
    let want = format!(
        "error: {}: not an audit.json written by this version of recaudit: its schema_version is 999; this version reads and writes 3\n",
        other.display()
    );
    let out = dir.path().join("out");
    let (code, _, stderr) = compare(example_audit(), &other, None, &out);
    assert_eq!((code, stderr.as_str()), (2, want.as_str()));
    let (code, _, stderr) = gate(
        &other,
        &root().join("datasets/policy.example.toml"),
        Some(&out),
    );
    assert_eq!((code, stderr.as_str()), (2, want.as_str()));
    let (code, _, stderr) = outcome(&recaudit([
        "report".as_ref(),
        other.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]));
    assert_eq!((code, stderr.as_str()), (2, want.as_str()));
}
