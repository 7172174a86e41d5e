//! What `audit.json` records besides the numbers, and the files written beside it: the gates
//! judged (`gates`), the input files and the policy (`provenance`), a reason for every `null`
//! (`nulls`), the CSV tables (`tables/`), and the same bytes from the same command.

use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::util::{audit_conformance, audit_data, outcome, read_json, recaudit, root, write};

/// Runs the example audit from the repository root (paths as the README gives them) into `out`,
/// with the example policy; returns the exit code.
fn audit_example(out: &Path) -> i32 {
    let o = Command::new(env!("CARGO_BIN_EXE_recaudit"))
        .current_dir(root())
        .args(["audit", "--data", "datasets/example"])
        .args([
            "--policy",
            "datasets/policy.example.toml",
            "--quiet",
            "--out",
        ])
        .arg(out)
        .output()
        .unwrap();
    let (code, _, err) = outcome(&o);
    assert!(code == 0 || code == 1, "audit failed: {err}");
    code
}

/// Audits the conformance case's `tables` (recs and users always) into `out` with `extra` flags;
/// returns the exit code and stderr.
fn audit_tables(tables: &[&str], out: &Path, extra: &[&OsStr]) -> (i32, String) {
    let file = |t: &str| match t {
        "recs" => root().join("tests/data/conformance/recs_main.csv"),
        t => root().join(format!("tests/data/conformance/{t}.csv")),
    };
    let mut args: Vec<OsString> = vec!["audit".into()];
    for t in ["recs", "users"].iter().chain(tables) {
        args.extend([format!("--{t}").into(), file(t).into()]);
    }
    args.extend(extra.iter().map(|a| a.into()));
    args.extend(["--quiet".into(), "--out".into(), out.into()]);
    let (code, _, err) = outcome(&recaudit(&args));
    (code, err)
}

fn sha256_hex(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn csv_table(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

fn count_nulls(v: &Value) -> usize {
    match v {
        Value::Null => 1,
        Value::Array(a) => a.iter().map(count_nulls).sum(),
        Value::Object(m) => m.values().map(count_nulls).sum(),
        _ => 0,
    }
}

/// Every `null` of the audit.json at `path` has a reason in its `nulls` block, and there are
/// `null`s to explain.
fn assert_every_null_explained(path: &Path) {
    let json = read_json(path);
    let block = json["nulls"].as_object().expect("a nulls block");
    let nulls = count_nulls(&json);
    assert!(
        nulls > 0 && !block.is_empty(),
        "{}: nothing to explain",
        path.display()
    );
    let missing = recaudit::result::NullReasons::unexplained(&json);
    assert!(
        missing.is_empty(),
        "{}: {} of {nulls} nulls have no reason, e.g. {:?}",
        path.display(),
        missing.len(),
        &missing[..missing.len().min(5)]
    );
}

#[test]
fn example_audit_json_holds_gates_provenance_and_tables() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(audit_example(dir.path()), 1, "the example policy fails");
    let json_path = dir.path().join("audit.json");
    let json = read_json(&json_path);

    // Gates: the same outcomes, in the same order, as `recaudit gate` judges from the file.
    let gates = &json["gates"];
    assert_eq!(gates["verdict"], "fail");
    assert_eq!(gates["policy"]["path"], "datasets/policy.example.toml");
    let o = Command::new(env!("CARGO_BIN_EXE_recaudit"))
        .current_dir(root())
        .args(["gate", "--policy", "datasets/policy.example.toml", "--out"])
        .arg(dir.path().join("gate"))
        .arg(&json_path)
        .output()
        .unwrap();
    let (code, stdout, err) = outcome(&o);
    assert_eq!(code, 1, "{err}");
    let printed: Vec<&str> = stdout.lines().map(|l| &l[..4]).collect();
    let stored: Vec<&str> = gates["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| match r["status"].as_str().unwrap() {
            "pass" => "PASS",
            "fail" => "FAIL",
            _ => "SKIP",
        })
        .collect();
    assert_eq!(stored, printed);
    for (key, word) in [("passed", "PASS"), ("failed", "FAIL"), ("skipped", "SKIP")] {
        let n = printed.iter().filter(|s| **s == word).count();
        assert_eq!(gates[key], n, "{key}");
    }
    assert!(gates["failed"].as_u64().unwrap() > 0);
    let first = &gates["rules"][0];
    assert_eq!(
        (
            &first["gate"],
            &first["rule"],
            &first["metric"],
            &first["slice"]
        ),
        (
            &1.into(),
            &"min_ratio".into(),
            &"ndcg".into(),
            &"gender".into()
        )
    );

    // Provenance: each input file as given, its size and the SHA-256 computed here.
    let inputs = json["provenance"]["inputs"].as_array().unwrap();
    let tables: Vec<&str> = inputs
        .iter()
        .map(|i| i["table"].as_str().unwrap())
        .collect();
    assert_eq!(tables, ["recs", "users", "items", "truth", "history"]);
    for input in inputs {
        let given = input["path"].as_str().unwrap();
        assert_eq!(
            given,
            format!("datasets/example/{}.csv", input["table"].as_str().unwrap())
        );
        let file = root().join(given);
        assert_eq!(input["sha256"], sha256_hex(&file), "{given}");
        assert_eq!(
            input["bytes"],
            std::fs::metadata(&file).unwrap().len(),
            "{given}"
        );
    }
    let policy = &json["provenance"]["policy"];
    let policy_file = root().join("datasets/policy.example.toml");
    assert_eq!(policy["sha256"], sha256_hex(&policy_file));
    assert_eq!(gates["policy"]["sha256"], policy["sha256"]);
    let policy_text = std::fs::read_to_string(&policy_file).unwrap();
    let declared = policy_text
        .lines()
        .filter(|l| l.trim() == "[[gate]]")
        .count();
    assert_eq!(policy["gates"].as_array().unwrap().len(), declared);

    // The CSV tables: the header, and a row whose value is the JSON's, bit for bit.
    let (header, rows) = csv_table(&dir.path().join("tables/metrics_by_group.csv"));
    assert_eq!(
        header.join(","),
        "metric,label,unit,column,group,n_users,value,ci_low,ci_high,reference,\
         ratio_to_reference,ratio_ci_low,ratio_ci_high,p_adjusted,significant,four_fifths"
    );
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let row = rows
        .iter()
        .find(|r| {
            r[col("metric")] == "ndcg" && r[col("column")] == "gender" && r[col("group")] == "F"
        })
        .expect("an ndcg row for gender F");
    let want = &json["metrics"]["ndcg"]["slices"]["gender"]["groups"]["F"];
    assert_eq!(
        row[col("value")].parse::<f64>().unwrap(),
        want["value"].as_f64().unwrap()
    );
    assert_eq!(
        row[col("ci_low")].parse::<f64>().unwrap(),
        want["ci_low"].as_f64().unwrap()
    );
    assert_eq!(row[col("n_users")], want["n"].to_string());
    assert_eq!(row[col("label")], "NDCG@10");
    let (gate_header, gate_rows) = csv_table(&dir.path().join("tables/gates.csv"));
    assert_eq!(gate_header[..3], ["gate", "name", "rule"]);
    assert_eq!(gate_rows.len(), stored.len());
    for name in ["corpus_by_group.csv", "exposure_shares.csv"] {
        let (_, rows) = csv_table(&dir.path().join("tables").join(name));
        assert!(!rows.is_empty(), "{name} is empty");
    }

    assert_every_null_explained(&json_path);

    // `recaudit report` writes the same tables from the audit.json, gates included.
    let again = dir.path().join("again");
    let (code, _, err) = outcome(&recaudit([
        "report".as_ref(),
        json_path.as_os_str(),
        "--out".as_ref(),
        again.as_os_str(),
    ]));
    assert_eq!(code, 0, "{err}");
    for name in [
        "metrics_by_group.csv",
        "corpus_by_group.csv",
        "exposure_shares.csv",
        "gates.csv",
    ] {
        let a = std::fs::read(dir.path().join("tables").join(name)).unwrap();
        let b = std::fs::read(again.join("tables").join(name)).unwrap();
        assert!(a == b, "{name} differs when written by `recaudit report`");
    }
}

#[test]
fn same_command_writes_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(
        dir.path(),
        "policy.toml",
        "[[gate]]\nmetric = \"ndcg\"\nslice = \"gender\"\nrule = \"min_ratio\"\nthreshold = 0.8\n",
    );
    let run = |name: &str| {
        let out = dir.path().join(name);
        let (code, err) = audit_tables(
            &["truth", "items"],
            &out,
            &["--policy".as_ref(), policy.as_os_str()],
        );
        assert!(code == 0 || code == 1, "{err}");
        out
    };
    let (a, b) = (run("a"), run("b"));
    let mut compared = 0;
    for file in [
        "audit.json",
        "tables/metrics_by_group.csv",
        "tables/corpus_by_group.csv",
        "tables/exposure_shares.csv",
        "tables/gates.csv",
    ] {
        let (x, y) = (
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
        );
        assert!(
            x == y,
            "{file} differs between two runs of the same command"
        );
        compared += 1;
    }
    assert_eq!(compared, 5);
}

#[test]
fn every_null_has_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    // The conformance case: no snapshots (over_time is null), no policy (gates is null).
    let plain = dir.path().join("plain");
    audit_conformance(&plain, &[]);
    let json = read_json(&plain.join("audit.json"));
    assert!(json["over_time"].is_null() && json["gates"].is_null());
    assert!(json["provenance"]["policy"].is_null());
    assert!(json["nulls"]["/gates"]
        .as_str()
        .unwrap()
        .contains("--policy"));
    assert_every_null_explained(&plain.join("audit.json"));

    // No bootstrap: every interval is null.
    let no_bootstrap = dir.path().join("no_bootstrap");
    audit_conformance(&no_bootstrap, &["--bootstrap", "0"]);
    let json = read_json(&no_bootstrap.join("audit.json"));
    assert!(json["metrics"]["ndcg"]["overall"]["ci_low"].is_null());
    assert!(json["nulls"]["/metrics/*/overall/ci_low"]
        .as_str()
        .unwrap()
        .contains("resamples = 0"));
    assert_every_null_explained(&no_bootstrap.join("audit.json"));

    // Two tables only: no items, truth or history; segregation is null.
    let two = dir.path().join("two_tables");
    let (code, err) = audit_tables(&[], &two, &["--json-only".as_ref()]);
    assert_eq!(code, 0, "{err}");
    let json = read_json(&two.join("audit.json"));
    assert!(json["segregation"].is_null() && json["settings"]["paths"]["truth"].is_null());
    assert_every_null_explained(&two.join("audit.json"));

    // Snapshots: over_time is computed; a consent count too small to publish is null.
    let over_time = dir.path().join("over_time");
    audit_data(&root().join("datasets/example-over-time"), &over_time, &[]);
    let json = read_json(&over_time.join("audit.json"));
    assert!(json["over_time"].is_object());
    assert_every_null_explained(&over_time.join("audit.json"));
}
