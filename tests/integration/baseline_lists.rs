//! Comparing each user's list with a baseline run's (`--baseline-recs`): the rank-biased overlap
//! per slice group in `audit.json`, and bad baseline input named by file and column (exit 2).

use std::path::Path;

use crate::util::{outcome, read_json, recaudit, two_table_audit_args, write};

const USERS: &str = "user_id,gender\nu1,F\nu2,F\nu3,M\nu4,M\n";
const RECS: &str =
    "user_id,item_id,rank\nu1,x,1\nu1,y,2\nu2,x,1\nu2,y,2\nu3,x,1\nu3,z,2\nu4,x,1\nu4,y,2\n";

/// Audits the four users with `baseline` as `--baseline-recs` and `extra` flags; returns the
/// exit code, stderr and the output folder.
fn audit(dir: &Path, baseline: &str, extra: &[&str]) -> (i32, String, std::path::PathBuf) {
    let r = write(dir, "recs.csv", RECS);
    let u = write(dir, "users.csv", USERS);
    let b = write(dir, "base.csv", baseline);
    let out_dir = dir.join("out");
    let mut args: Vec<&std::ffi::OsStr> = two_table_audit_args(&r, &u, &out_dir);
    args.extend(["--baseline-recs".as_ref(), b.as_os_str()]);
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    let (code, _, err) = outcome(&recaudit(args));
    assert!(!err.contains("panicked"), "panic: {err}");
    (code, err, out_dir)
}

#[test]
fn rbo_per_slice_group_is_in_audit_json() {
    // k = 2, p = 0.5 ((1 − p)/p = 1):
    // u1 [x, y] vs [x, y]: 1.
    // u2 [x, y] vs [y, x]: X_1 = 0, X_2 = 2: (2/2)(0.25) + (2/2)(0.25) = 0.5.
    // u3 [x, z] vs [z]: X_1 = X_s = 0, X_2 = 1: (1/2)(0.25) + ((1 − 0)/2)(0.25) = 0.25.
    // u4 has no baseline list (left out); u5 is only in the baseline (not audited).
    let dir = tempfile::tempdir().unwrap();
    let baseline =
        "user_id,item_id,score\nu1,x,0.9\nu1,y,0.8\nu2,y,0.9\nu2,x,0.5\nu3,z,1\nu5,x,1\n";
    let (code, err, out) = audit(
        dir.path(),
        baseline,
        &["--k", "2", "--rbo-persistence", "0.5"],
    );
    assert_eq!(code, 0, "{err}");
    let j = read_json(&out.join("audit.json"));
    let rbo = &j["metrics"]["rbo"];
    assert_eq!(rbo["family"], "change");
    assert_eq!(rbo["better"], "neutral");
    let overall = rbo["overall"]["value"].as_f64().unwrap();
    assert!((overall - 1.75 / 3.0).abs() < 1e-12, "{overall}");
    assert_eq!(rbo["overall"]["n"], 3);
    assert_eq!(rbo["n_undefined"], 1);
    let groups = &rbo["slices"]["gender"]["groups"];
    assert_eq!(groups["F"]["value"].as_f64(), Some(0.75));
    assert_eq!(groups["F"]["n"], 2);
    assert_eq!(groups["M"]["value"].as_f64(), Some(0.25));
    assert_eq!(groups["M"]["n"], 1);
    assert_eq!(j["settings"]["rbo_persistence"].as_f64(), Some(0.5));
    assert!(j["settings"]["paths"]["baseline_recs"]
        .as_str()
        .unwrap()
        .ends_with("base.csv"));
    assert_eq!(j["input"]["users_without_baseline_list"], 1);
    assert_eq!(j["input"]["baseline_users_not_audited"], 1);
    assert_eq!(j["input"]["rows_read"]["baseline recommendations"], 6);
    assert_eq!(j["definitions"]["rbo"]["better"], "neutral");
    let tables: Vec<&str> = j["provenance"]["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["table"].as_str().unwrap())
        .collect();
    assert!(tables.contains(&"baseline_recs"), "{tables:?}");
}

#[test]
fn the_default_persistence_is_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err, out) = audit(dir.path(), RECS, &[]);
    assert_eq!(code, 0, "{err}");
    let j = read_json(&out.join("audit.json"));
    assert_eq!(j["settings"]["rbo_persistence"].as_f64(), Some(0.9));
    // The same lists: every user's RBO is 1.
    assert_eq!(j["metrics"]["rbo"]["overall"]["value"].as_f64(), Some(1.0));
    assert_eq!(j["metrics"]["rbo"]["n_undefined"], 0);
}

#[test]
fn a_baseline_without_an_item_column_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err, _) = audit(dir.path(), "user_id,item,rank\nu1,x,1\n", &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("base.csv")
            && err.contains("baseline recommendations table has no column `item_id`")
            && err.contains("its columns are: user_id, item, rank"),
        "{err}"
    );
}

#[test]
fn a_bad_rank_in_the_baseline_names_its_row_and_a_bad_persistence_its_flag() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err, _) = audit(dir.path(), "user_id,item_id,rank\nu1,x,1\nu2,x,0\n", &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("base.csv") && err.contains("row 2") && err.contains("rank 0 is invalid"),
        "{err}"
    );
    let (code, err, _) = audit(dir.path(), RECS, &["--rbo-persistence", "1"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--rbo-persistence") && err.contains("(0, 1)"),
        "{err}"
    );
}
