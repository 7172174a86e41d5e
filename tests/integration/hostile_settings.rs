//! Hostile settings and output folders: a misspelt key, a nonsense number, a folder recaudit did not
//! write, a run that fails half-way. Each case checks the exit code and the exact message, and that
//! no output is left half-written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{data, outcome, recaudit, write};

/// `audit` with the conformance case's input flags (small: an audit takes about a second).
fn audit_args() -> Vec<String> {
    let mut args = vec!["audit".to_string()];
    for (flag, file) in [
        ("--recs", "recs_main.csv"),
        ("--users", "users.csv"),
        ("--items", "items.csv"),
        ("--truth", "truth.csv"),
        ("--history", "history.csv"),
    ] {
        args.push(flag.to_string());
        args.push(data(&format!("conformance/{file}")).display().to_string());
    }
    args
}

/// Runs `recaudit audit` on the conformance case into `out` with `extra` flags; returns the exit
/// code and stderr, after checking that nothing panicked.
fn audit(out: &Path, extra: &[&str]) -> (i32, String) {
    let mut args = audit_args();
    args.extend(["--bootstrap", "20", "--quiet", "--out"].map(String::from));
    args.push(out.display().to_string());
    args.extend(extra.iter().map(|s| s.to_string()));
    let (code, _, err) = outcome(&recaudit(&args));
    assert!(!err.contains("panicked"), "panic: {err}");
    (code, err)
}

/// Runs an audit with `extra` flags that must be refused before any output is written: exit 2 and
/// stderr exactly `error: {want}`.
fn refused(extra: &[&str], want: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (code, err) = audit(&out, extra);
    assert_eq!(code, 2, "{extra:?}: {err}");
    assert_eq!(err, format!("error: {want}\n"), "{extra:?}");
    assert!(!out.exists(), "{extra:?} wrote {}", out.display());
}

/// Runs an audit with the settings file `text` (written as `dir/settings.toml`); the error must be
/// exactly `error: <the file's path>: {want}`.
fn refused_settings(text: &str, extra: &[&str], want: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "settings.toml", text);
    let mut flags = vec!["--config", file.to_str().unwrap()];
    flags.extend_from_slice(extra);
    refused(&flags, &format!("{}: {want}", file.display()));
}

/// Every file under `dir` with its bytes, by path relative to `dir`.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                files.insert(p.strip_prefix(dir).unwrap().to_path_buf(), bytes);
            }
        }
    }
    files
}

/// The names in a folder, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A policy with one gate on the conformance case's `gender` column.
const POLICY: &str =
    "[[gate]]\nmetric = \"ndcg\"\nslice = \"gender\"\nrule = \"min_ratio\"\nthreshold = 0.5\n";

#[test]
fn an_unknown_settings_key_names_its_section_and_the_nearest_key() {
    refused_settings(
        "[slices]\nmin_slice = 5\n",
        &[],
        "unknown key `min_slice` in [slices]; did you mean `min_slice_size`?",
    );
}

#[test]
fn an_unknown_settings_section_suggests_the_real_one() {
    refused_settings(
        "[stat]\nresamples = 100\n",
        &[],
        "unknown section [stat]; did you mean [stats]?",
    );
}

#[test]
fn a_settings_key_in_the_wrong_section_names_the_right_one() {
    refused_settings(
        "min_slice_size = 5\n",
        &[],
        "unknown top-level key `min_slice_size`; did you mean `min_slice_size` in [slices]?",
    );
}

#[test]
fn a_misspelt_bubble_key_reads_like_any_other() {
    refused_settings(
        "[bubble]\nnarowing_threshold = 0.4\n",
        &[],
        "unknown key `narowing_threshold` in [bubble]; did you mean `narrowing_threshold`?",
    );
}

#[test]
fn a_settings_value_of_the_wrong_type_gives_its_line_and_column() {
    refused_settings(
        "k = 10\n[stats]\nresamples = \"many\"\n",
        &[],
        "line 3, column 13: invalid type: string \"many\", expected an integer of at least 0",
    );
}

#[test]
fn a_nan_in_the_settings_file_names_the_key_and_the_range() {
    refused_settings(
        "[bubble]\nnarrowing_threshold = nan\n",
        &[],
        "`narrowing_threshold` in [bubble] is NaN; expected a number in (0, 1]",
    );
    refused_settings(
        "[stats]\nconfidence = inf\n",
        &[],
        "`confidence` in [stats] is inf; expected a number in (0, 1)",
    );
}

#[test]
fn a_flag_wins_over_the_settings_file_and_is_named_when_bad() {
    // The flag replaces the file's NaN: the file's value is never used, so the audit runs.
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "settings.toml",
        "[bubble]\nnarrowing_threshold = nan\n",
    );
    let out = dir.path().join("out");
    let (code, err) = audit(
        &out,
        &[
            "--config",
            file.to_str().unwrap(),
            "--narrowing-threshold",
            "0.4",
            "--json-only",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let json = crate::util::read_json(&out.join("audit.json"));
    assert_eq!(json["settings"]["bubble"]["narrowing_threshold"], 0.4);

    // A bad flag is named as the flag, whatever the file says.
    let file = write(
        dir.path(),
        "ok.toml",
        "[bubble]\nnarrowing_threshold = 0.4\n",
    );
    refused(
        &[
            "--config",
            file.to_str().unwrap(),
            "--narrowing-threshold",
            "inf",
        ],
        "invalid value `inf` for --narrowing-threshold: expected a number in (0, 1]",
    );
}

#[test]
fn nonsense_flags_name_the_flag_and_the_range() {
    for (flags, want) in [
        (
            &["--narrowing-threshold", "nan"][..],
            "invalid value `NaN` for --narrowing-threshold: expected a number in (0, 1]",
        ),
        (
            &["--head-share", "1"],
            "invalid value `1` for --head-share: expected a number in (0, 1)",
        ),
        (
            &["--position-weight", "rbp", "--patience", "-0.5"],
            "invalid value `-0.5` for --patience: expected a number in (0, 1]",
        ),
        (
            &["--clusters", "0"],
            "invalid value `0` for --clusters: expected an integer from 2 to 100",
        ),
        (
            &["--k", "0"],
            "invalid value `0` for --k: expected an integer of at least 1",
        ),
        (
            &["--min-slice-size", "0"],
            "invalid value `0` for --min-slice-size: expected an integer of at least 1",
        ),
        (
            &["--min-history", "0"],
            "invalid value `0` for --min-history: expected an integer of at least 1",
        ),
        (
            &["--bootstrap-units", "50"],
            "invalid value `50` for --bootstrap-units: expected 0 (every user is a unit) or an integer of at least 100",
        ),
        (
            &["--intersect", "gender"],
            "invalid value `gender` for --intersect: expected 2 or 3 distinct slice column names",
        ),
        (
            &["--user-col", " "],
            "invalid value ` ` for --user-col: expected a column name (not empty)",
        ),
        (
            &["--bucket", "age=20,nan"],
            "--bucket `age=20,nan`: edges must be finite, strictly increasing numbers",
        ),
        (
            &["--patience", "0.5"],
            "--patience applies to the rbp position weight only, and the position weight is `log`; add --position-weight rbp",
        ),
    ] {
        refused(flags, want);
    }
}

#[test]
fn bootstrap_resamples_out_of_range_are_refused() {
    // `audit` passes --bootstrap 20; a second --bootstrap is a usage error, so these run the binary
    // directly.
    for (value, want) in [
        ("1", "invalid value `1` for --bootstrap: expected 0 (no intervals) or an integer from 2 to 100000"),
        ("100001", "invalid value `100001` for --bootstrap: expected 0 (no intervals) or an integer from 2 to 100000"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut args = audit_args();
        args.extend(["--bootstrap", value, "--out"].map(String::from));
        args.push(dir.path().join("out").display().to_string());
        let (code, _, err) = outcome(&recaudit(&args));
        assert_eq!(code, 2, "{err}");
        assert_eq!(err, format!("error: {want}\n"));
    }
}

#[test]
fn a_seed_that_does_not_fit_is_a_usage_error() {
    let args = audit_args();
    for (seed, want) in [
        (
            "18446744073709551616",
            "error: invalid value '18446744073709551616' for '--seed <SEED>': number too large to fit in target type",
        ),
        (
            "-1",
            "error: invalid value '-1' for '--seed <SEED>': invalid digit found in string",
        ),
    ] {
        let mut a = args.clone();
        a.extend(["--seed".to_string(), seed.to_string()]);
        let (code, _, err) = outcome(&recaudit(&a));
        assert_eq!(code, 2, "{err}");
        assert_eq!(err.lines().next(), Some(want), "{err}");
    }
    // In the settings file a seed is a TOML integer: at most 2^63 − 1.
    refused_settings(
        "[stats]\nseed = 9223372036854775808\n",
        &[],
        "line 2, column 8: number too large to fit in target type",
    );
}

#[test]
fn audit_help_names_only_settings_sections_that_exist() {
    let (code, help, _) = outcome(&recaudit(["audit", "--help"]));
    assert_eq!(code, 0);
    assert!(
        help.contains("`[columns]`, `[slices]`, `[bubble]`, `[stats]` and `[[buckets]]`"),
        "{help}"
    );
    assert!(!help.contains("[metrics]"), "{help}");
}

#[test]
fn a_failed_run_leaves_the_previous_output_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let policy = write(dir.path(), "policy.toml", POLICY);
    let (code, err) = audit(&out, &["--policy", policy.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let before = snapshot(&out);
    assert!(before.contains_key(Path::new("gates.junit.xml")));
    assert!(before.contains_key(Path::new("report.html")));

    // The policy names a column the users table does not have: refused before the audit runs.
    let bad = write(
        dir.path(),
        "bad.toml",
        &POLICY.replace("\"gender\"", "\"region\""),
    );
    let (code, err) = audit(&out, &["--policy", bad.to_str().unwrap(), "--seed", "7"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        err,
        format!(
            "error: {}: gate 1: unknown slice column `region`; valid slices: overall, age_band, gender\n",
            bad.display()
        )
    );
    assert!(snapshot(&out) == before, "the previous output changed");

    // A bad input table: the audit itself fails.
    let recs = write(dir.path(), "recs.csv", "user_id,item_id,rank\nu1,i1,0\n");
    let mut args = vec![
        "audit".to_string(),
        "--recs".into(),
        recs.display().to_string(),
    ];
    args.extend([
        "--users".to_string(),
        data("conformance/users.csv").display().to_string(),
    ]);
    args.extend(["--out".to_string(), out.display().to_string()]);
    let (code, _, err) = outcome(&recaudit(&args));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.starts_with(&format!("error: {}: row 1, column `rank`", recs.display())),
        "{err}"
    );
    assert!(snapshot(&out) == before, "the previous output changed");
    // No staging folder is left next to the output.
    assert_eq!(
        names(dir.path()),
        ["bad.toml", "out", "policy.toml", "recs.csv"]
    );
}

#[test]
fn a_later_run_leaves_no_file_of_an_earlier_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let policy = write(dir.path(), "policy.toml", POLICY);
    let (code, err) = audit(&out, &["--policy", policy.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        names(&out),
        [
            "audit.json",
            "charts",
            "gates.junit.xml",
            "report.html",
            "tables"
        ]
    );

    let (code, err) = audit(&out, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        names(&out),
        ["audit.json", "charts", "report.html", "tables"]
    );

    let (code, err) = audit(&out, &["--json-only"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(names(&out), ["audit.json"]);
    assert_eq!(names(dir.path()), ["out", "policy.toml"]);
}

#[test]
fn a_folder_recaudit_did_not_write_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mine");
    std::fs::create_dir(&out).unwrap();
    write(&out, "thesis.tex", "months of work");
    let (code, err) = audit(&out, &[]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        err,
        format!(
            "error: {}: not a recaudit output folder (it holds `thesis.tex`, which recaudit did not write); recaudit replaces its output folder as a whole, so give --out a new or empty folder, or one an earlier audit wrote\n",
            out.display()
        )
    );
    assert_eq!(names(&out), ["thesis.tex"]);
    assert_eq!(names(dir.path()), ["mine"]);
}

#[test]
fn gate_and_report_replace_only_their_own_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (code, err) = audit(&out, &[]);
    assert_eq!(code, 0, "{err}");
    let audit_json = out.join("audit.json");
    let audit_bytes = std::fs::read(&audit_json).unwrap();

    // gate writes gates.junit.xml next to the audit.json it reads.
    let policy = write(dir.path(), "policy.toml", POLICY);
    let gate = |policy: &Path| {
        outcome(&recaudit([
            "gate".as_ref(),
            audit_json.as_os_str(),
            "--policy".as_ref(),
            policy.as_os_str(),
        ]))
    };
    let (code, _, err) = gate(&policy);
    assert_eq!(code, 0, "{err}");
    let junit = std::fs::read(out.join("gates.junit.xml")).unwrap();
    // A gate run that fails leaves the earlier gates.junit.xml as it was.
    let bad = write(
        dir.path(),
        "bad.toml",
        &POLICY.replace("\"gender\"", "\"region\""),
    );
    let (code, _, err) = gate(&bad);
    assert_eq!(code, 2, "{err}");
    assert_eq!(std::fs::read(out.join("gates.junit.xml")).unwrap(), junit);

    // report replaces report.html and the whole charts folder: a stale chart goes.
    write(&out.join("charts"), "stale_chart.svg", "<svg/>");
    let (code, _, err) = outcome(&recaudit(["report".as_ref(), audit_json.as_os_str()]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        err,
        format!("wrote {}\n", out.join("report.html").display())
    );
    assert!(!out.join("charts/stale_chart.svg").exists());
    assert_eq!(std::fs::read(&audit_json).unwrap(), audit_bytes);
    assert_eq!(
        names(&out),
        [
            "audit.json",
            "charts",
            "gates.junit.xml",
            "report.html",
            "tables"
        ]
    );
}

#[test]
fn the_same_inputs_and_seed_give_the_same_bytes_whatever_the_threads() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, threads: &str, seed: &str| -> Vec<u8> {
        let out = dir.path().join(name);
        let o = Command::new(env!("CARGO_BIN_EXE_recaudit"))
            .env("RAYON_NUM_THREADS", threads)
            .args(["audit", "--data"])
            .arg(crate::util::root().join("datasets/example-over-time"))
            .args([
                "--bootstrap",
                "200",
                "--seed",
                seed,
                "--json-only",
                "--quiet",
                "--out",
            ])
            .arg(&out)
            .output()
            .unwrap();
        let (code, _, err) = outcome(&o);
        assert_eq!(code, 0, "{err}");
        std::fs::read(out.join("audit.json")).unwrap()
    };
    let first = run("a", "2", "7");
    assert!(first == run("b", "2", "7"), "two runs differ");
    assert!(first == run("c", "1", "7"), "1 and 2 threads differ");
    // The seed does reach the output (so the comparison above could fail).
    assert!(first != run("d", "2", "8"), "the seed changed nothing");
}

#[test]
fn a_settings_or_policy_file_that_is_a_device_or_a_pipe_is_named_not_read() {
    // /dev/zero never ends and a named pipe blocks until a writer comes: both would hang a run.
    refused(
        &["--config", "/dev/zero"],
        "/dev/zero: cannot read the settings file: it is a character device (such as /dev/null or /dev/zero), not a regular file",
    );
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("policy.toml");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    refused(
        &["--policy", fifo.to_str().unwrap()],
        &format!(
            "{}: cannot read the policy: it is a named pipe (FIFO), not a regular file",
            fifo.display()
        ),
    );
    refused(
        &["--config", dir.path().to_str().unwrap()],
        &format!(
            "{}: cannot read the settings file: it is a directory, not a file",
            dir.path().display()
        ),
    );
}

#[test]
fn an_audit_json_that_is_a_device_is_named_not_read() {
    let (code, _, err) = outcome(&recaudit(["report", "/dev/zero", "--out", "/tmp"]));
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        err,
        "error: /dev/zero: cannot read the audit: it is a character device (such as /dev/null or /dev/zero), not a regular file\n"
    );
}

#[test]
fn the_rbp_patience_comes_from_the_flag_the_file_or_the_default() {
    let dir = tempfile::tempdir().unwrap();
    let patience_of = |extra: &[&str]| {
        let out = tempfile::tempdir_in(dir.path()).unwrap().keep().join("out");
        let (code, err) = audit(&out, extra);
        assert_eq!(code, 0, "{extra:?}: {err}");
        let json = crate::util::read_json(&out.join("audit.json"));
        json["settings"]["position_weight"]["patience"].as_f64()
    };
    let file = write(
        dir.path(),
        "rbp.toml",
        "position_weight = { kind = \"rbp\", patience = 0.5 }\n",
    );
    let config = file.to_str().unwrap();
    // `--position-weight rbp` keeps the file's patience; `--patience` wins over it.
    assert_eq!(
        patience_of(&["--config", config, "--position-weight", "rbp"]),
        Some(0.5)
    );
    assert_eq!(
        patience_of(&["--config", config, "--patience", "0.7"]),
        Some(0.7)
    );
    assert_eq!(patience_of(&["--position-weight", "rbp"]), Some(0.8));
    assert_eq!(patience_of(&[]), None);

    // There is no top-level patience: it would act only together with a flag.
    let top = write(dir.path(), "top.toml", "patience = 0.5\n");
    let (code, err) = audit(
        &dir.path().join("never"),
        &["--config", top.to_str().unwrap()],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "unknown top-level key `patience`; did you mean `patience` in [position_weight]?"
        ),
        "{err}"
    );
}
