//! The SNIPS quality metrics end to end: propensities from the truth table's `propensity` column
//! (hand-worked values in `audit.json`), from popularity when the column is absent, and the
//! column's validation (file, row and column named, exit code 2).

use std::path::Path;

use crate::util::{assert_close, outcome, read_json, recaudit, two_table_audit_args, write};

const USERS: &str = "user_id,gender\nu1,F\nu2,M\n";
const RECS: &str = "user_id,item_id,rank\nu1,a,1\nu1,b,2\nu2,a,1\nu2,c,2\n";

/// Audits RECS and USERS with `truth` (CSV text) and `extra` flags: (exit code, stderr, the JSON
/// when the audit succeeded).
fn audit(dir: &Path, truth: &str, extra: &[&str]) -> (i32, String, Option<serde_json::Value>) {
    let (r, u) = (write(dir, "recs.csv", RECS), write(dir, "users.csv", USERS));
    let t = write(dir, "truth.csv", truth);
    let out_dir = dir.join("out");
    let mut args = two_table_audit_args(&r, &u, &out_dir);
    args.push(std::ffi::OsStr::new("--truth"));
    args.push(t.as_os_str());
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    let (code, _, err) = outcome(&recaudit(args));
    assert!(!err.contains("panicked"), "panic: {err}");
    let json = (code == 0).then(|| read_json(&out_dir.join("audit.json")));
    (code, err, json)
}

fn overall(json: &serde_json::Value, key: &str) -> f64 {
    json["metrics"][key]["overall"]["value"]
        .as_f64()
        .unwrap_or_else(|| panic!("{key}: {}", json["metrics"][key]))
}

#[test]
fn snips_metrics_weight_relevant_items_by_their_inverse_propensity() {
    // u1: list [a, b], relevant b (P = 0.5, w = 2) and d (P = 0.25, w = 4);
    // u2: list [a, c], relevant a (P = 1, w = 1). k = 2.
    // SNIPS recall: u1 2/6 = 1/3, u2 1 → mean 2/3.
    // SNIPS precision: u1 |S*| · 1/3 / k = 2 · (1/3) / 2 = 1/3; u2 1 · 1 / 2 = 1/2 → mean 5/12.
    // SNIPS NDCG: u1 DCG = 2 / log2(3), ideal = 4 + 2 / log2(3); u2 1 → mean of the two.
    // Plain recall for comparison: u1 1/2, u2 1 → 3/4.
    let dir = tempfile::tempdir().unwrap();
    let truth = "user_id,item_id,propensity\nu1,b,0.5\nu1,d,0.25\nu2,a,1\n";
    let (code, err, json) = audit(dir.path(), truth, &["--k", "2"]);
    assert_eq!(code, 0, "{err}");
    let json = json.unwrap();
    assert_close(
        "snips_recall",
        overall(&json, "snips_recall"),
        2.0 / 3.0,
        1e-9,
    );
    assert_close("recall", overall(&json, "recall"), 0.75, 1e-9);
    assert_close(
        "snips_precision",
        overall(&json, "snips_precision"),
        5.0 / 12.0,
        1e-9,
    );
    let l3 = 3f64.log2();
    let u1 = (2.0 / l3) / (4.0 + 2.0 / l3);
    assert_close(
        "snips_ndcg",
        overall(&json, "snips_ndcg"),
        (u1 + 1.0) / 2.0,
        1e-9,
    );
    assert_eq!(json["definitions"]["snips_ndcg"]["family"], "quality");
}

#[test]
fn without_propensities_or_popularity_the_snips_metrics_are_skipped_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err, json) = audit(dir.path(), "user_id,item_id\nu1,b\nu2,a\n", &[]);
    assert_eq!(code, 0, "{err}");
    let json = json.unwrap();
    assert!(json["metrics"].get("snips_recall").is_none());
    assert!(json["metrics"].get("recall").is_some());
    let notes = json["notes"].to_string();
    assert!(notes.contains("SNIPS quality metrics"), "{notes}");
}

#[test]
fn a_propensity_outside_zero_one_is_named_by_file_row_and_column() {
    let cases = [
        ("u2,a,0", "row 2, column `propensity`: propensity 0 is out of range; expected a propensity in (0, 1]"),
        ("u2,a,1.5", "row 2, column `propensity`: propensity 1.5 is out of range"),
        ("u2,a,-0.2", "row 2, column `propensity`: propensity -0.2 is out of range"),
        ("u2,a,NaN", "row 2, column `propensity`: `NaN` is NaN (not a number); expected a finite number"),
        ("u2,a,", "row 2, column `propensity`: the propensity is empty; expected a propensity in (0, 1]"),
    ];
    for (row, message) in cases {
        let dir = tempfile::tempdir().unwrap();
        let truth = format!("user_id,item_id,propensity\nu1,b,0.5\n{row}\n");
        let (code, err, _) = audit(dir.path(), &truth, &[]);
        assert_eq!(code, 2, "{row}: {err}");
        assert!(
            err.contains("truth.csv") && err.contains(message),
            "{row}: {err}"
        );
    }
}

#[test]
fn propensity_gamma_estimate_fits_the_example_lists_as_lenskit_does() {
    // The reference γ was computed independently with pandas following LensKit's
    // estimate_power_law_gamma (count="users", n = 50, exclude_quantile = 0.005) on the shipped
    // example's history and lists.
    let dir = tempfile::tempdir().unwrap();
    let example = crate::util::root().join("datasets/example");
    crate::util::audit_data(
        &example,
        dir.path(),
        &["--propensity-gamma", "estimate", "--bootstrap", "0"],
    );
    let json = read_json(&dir.path().join("audit.json"));
    assert_eq!(json["settings"]["propensity_gamma"], "estimate");
    assert_eq!(json["propensity"]["source"], "popularity");
    assert_eq!(json["propensity"]["fitted"], true);
    let gamma = json["propensity"]["gamma"].as_f64().unwrap();
    assert_close("fitted γ", gamma, 0.7952385530726116, 1e-12);
    // A given γ is reported as given.
    let given = tempfile::tempdir().unwrap();
    crate::util::audit_data(&example, given.path(), &["--bootstrap", "0"]);
    let json = read_json(&given.path().join("audit.json"));
    assert_eq!(json["propensity"]["gamma"], 2.0);
    assert_eq!(json["propensity"]["fitted"], false);
}

#[test]
fn propensity_gamma_is_a_number_or_estimate_and_not_fitted_in_a_private_audit() {
    let dir = tempfile::tempdir().unwrap();
    let truth = "user_id,item_id\nu1,b\nu2,a\n";
    let (code, err, _) = audit(dir.path(), truth, &["--propensity-gamma", "fit"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--propensity-gamma") && err.contains("`estimate`"),
        "{err}"
    );
    let (code, err, _) = audit(
        dir.path(),
        truth,
        &["--propensity-gamma", "estimate", "--dp-epsilon", "1"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("`propensity_gamma`") && err.contains("differentially private"),
        "{err}"
    );
}
