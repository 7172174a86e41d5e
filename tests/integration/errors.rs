//! Bad input: clear errors naming the file, column and row; exit code 2; never a panic.

use std::path::Path;

use crate::util::{outcome, read_json, recaudit, two_table_audit_args, write};

const USERS: &str = "user_id,gender\nu1,F\nu2,M\n";
const RECS: &str = "user_id,item_id,rank\nu1,a,1\nu1,b,2\nu2,a,1\nu2,c,2\n";

/// Runs an audit of `recs` and `users` (as CSV text) and returns (exit code, stderr).
fn audit(dir: &Path, recs: &str, users: &str) -> (i32, String) {
    audit_with(dir, recs, users, &[])
}

/// [`audit`] with extra flags.
fn audit_with(dir: &Path, recs: &str, users: &str, extra: &[&str]) -> (i32, String) {
    let r = write(dir, "recs.csv", recs);
    let u = write(dir, "users.csv", users);
    let out_dir = dir.join("out");
    let out = recaudit(
        two_table_audit_args(&r, &u, &out_dir)
            .into_iter()
            .chain(extra.iter().map(|a| a.as_ref())),
    );
    let (code, _, err) = outcome(&out);
    assert!(!err.contains("panicked"), "panic: {err}");
    (code, err)
}

#[test]
fn valid_input_passes() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = audit(dir.path(), RECS, USERS);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn an_intersection_with_a_skipped_column_says_why_it_was_skipped() {
    let dir = tempfile::tempdir().unwrap();
    // `site` holds one value: the audit skips it, and --intersect may not join it.
    let users = "user_id,gender,site\nu1,F,eu\nu2,M,eu\n";
    // (The audit runs at --min-slice-size 1.)
    let (code, err) = audit_with(dir.path(), RECS, users, &["--intersect", "gender,site"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "--intersect names `site`, a users-table column the audit skipped; an intersection \
             joins audited slice columns only. Why `site` was skipped: fewer than two groups of \
             at least 1 users (min_slice_size): nothing to compare"
        ),
        "{err}"
    );
}

#[test]
fn missing_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = recaudit([
        "audit",
        "--recs",
        "/nonexistent/recs.csv",
        "--users",
        "/nonexistent/u.csv",
    ]);
    let (code, _, err) = outcome(&out);
    assert_eq!(code, 2);
    assert!(
        err.contains("/nonexistent/recs.csv") && err.contains("no such file"),
        "{err}"
    );
    drop(dir);
}

#[test]
fn missing_column_lists_the_available_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = audit(dir.path(), "user,item_id,rank\nu1,a,1\n", USERS);
    assert_eq!(code, 2);
    assert!(err.contains("recs.csv"), "{err}");
    assert!(err.contains("no column `user_id`"), "{err}");
    assert!(
        err.contains("its columns are: user, item_id, rank"),
        "{err}"
    );
    assert!(err.contains("--user-col"), "{err}");
}

#[test]
fn neither_rank_nor_score() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = audit(dir.path(), "user_id,item_id\nu1,a\n", USERS);
    assert_eq!(code, 2);
    assert!(err.contains("`rank` or `score`"), "{err}");
}

#[test]
fn non_numeric_rank_names_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let recs = "user_id,item_id,rank\nu1,a,1\nu1,b,two\n";
    let (code, err) = audit(dir.path(), recs, USERS);
    assert_eq!(code, 2);
    assert!(err.contains("recs.csv: row 2, column `rank`"), "{err}");
    assert!(err.contains("`two` is not a number"), "{err}");
}

#[test]
fn rank_below_one_names_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let recs = "user_id,item_id,rank\nu1,a,1\nu2,b,1\nu2,c,0\n";
    let (code, err) = audit(dir.path(), recs, USERS);
    assert_eq!(code, 2);
    assert!(
        err.contains("row 3, column `rank`: rank 0 is invalid"),
        "{err}"
    );
}

#[test]
fn duplicate_item_in_a_list_names_both_rows() {
    let dir = tempfile::tempdir().unwrap();
    let recs = "user_id,item_id,rank\nu1,a,1\nu1,b,2\nu1,a,3\n";
    let (code, err) = audit(dir.path(), recs, USERS);
    assert_eq!(code, 2);
    assert!(err.contains("row 3, column `item_id`"), "{err}");
    assert!(
        err.contains("`a` appears twice") && err.contains("first at row 1"),
        "{err}"
    );
}

#[test]
fn empty_table_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = audit(dir.path(), "user_id,item_id,rank\n", USERS);
    assert_eq!(code, 2);
    assert!(err.contains("recs.csv") && err.contains("no rows"), "{err}");
}

#[test]
fn unsupported_extension() {
    let dir = tempfile::tempdir().unwrap();
    let r = write(dir.path(), "recs.txt", RECS);
    let u = write(dir.path(), "users.csv", USERS);
    let out = recaudit([
        "audit".as_ref(),
        "--recs".as_ref(),
        r.as_os_str(),
        "--users".as_ref(),
        u.as_os_str(),
    ]);
    let (code, _, err) = outcome(&out);
    assert_eq!(code, 2);
    assert!(
        err.contains("recs.txt: unsupported file type; expected .csv or .parquet"),
        "{err}"
    );
}

#[test]
fn users_missing_from_the_users_table_are_counted_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let recs = "user_id,item_id,rank\nu1,a,1\nu2,a,1\nu3,b,1\n";
    let (code, err) = audit(dir.path(), recs, USERS);
    assert_eq!(code, 0, "{err}");
    let j = read_json(&dir.path().join("out/audit.json"));
    assert_eq!(j["input"]["users_missing_from_users_table"], 1);
    assert_eq!(j["input"]["users_audited"], 3);
    assert_eq!(j["slices"]["gender"]["groups"]["F"]["n_users"], 1);
}

#[test]
fn consent_false_users_leave_every_slice() {
    let dir = tempfile::tempdir().unwrap();
    let users = "user_id,gender,consent\nu1,F,true\nu2,M,false\n";
    let (code, err) = audit(dir.path(), RECS, users);
    assert_eq!(code, 0, "{err}");
    let j = read_json(&dir.path().join("out/audit.json"));
    assert_eq!(j["input"]["users_without_consent"], 1);
    assert!(j["slices"]["gender"]["groups"].get("M").is_none());
    // the consent column itself is never a slice
    assert!(j["slices"].get("consent").is_none());
}

#[test]
fn bad_consent_value_names_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let users = "user_id,gender,consent\nu1,F,true\nu2,M,maybe\n";
    let (code, err) = audit(dir.path(), RECS, users);
    assert_eq!(code, 2);
    assert!(
        err.contains("users.csv: row 2, column `consent`: `maybe` is not a boolean"),
        "{err}"
    );
}

/// Recommendations with a snapshot column whose labels are `labels[u]` for user u (two users,
/// two items each).
fn recs_with_snapshots(labels: [&str; 2]) -> String {
    let mut recs = String::from("user_id,item_id,rank,snapshot\n");
    for (u, label) in ["u1", "u2"].iter().zip(labels) {
        for (item, rank) in [("a", 1), ("b", 2)] {
            recs.push_str(&format!("{u},{item},{rank},{label}\n"));
        }
    }
    recs
}

#[test]
fn snapshot_labels_mixing_numbers_and_text_name_both_rows() {
    // As text, `10` would sort before `9` and the stray `final` would become the main lists.
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = audit(dir.path(), &recs_with_snapshots(["9", "final"]), USERS);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "recs.csv: row 3, column `snapshot`: `final` is text, while `9` (row 1) is a number; \
             expected labels of one kind"
        ),
        "{err}"
    );
}

#[test]
fn a_snapshot_label_that_is_not_a_finite_number_is_named() {
    for label in ["NaN", "inf"] {
        let dir = tempfile::tempdir().unwrap();
        let (code, err) = audit(dir.path(), &recs_with_snapshots(["1", label]), USERS);
        assert_eq!(code, 2, "{label}: {err}");
        assert!(
            err.contains(&format!(
                "recs.csv: row 3, column `snapshot`: `{label}` is not a finite number"
            )),
            "{err}"
        );
    }
}

#[test]
fn snapshot_labels_of_one_kind_are_ordered_by_value_or_as_text() {
    for (labels, order) in [
        (["10", "9"], ["9", "10"]),
        (["12", "-3"], ["-3", "12"]),
        (["2024-10-01", "2024-09-30"], ["2024-09-30", "2024-10-01"]),
        (["b", "a"], ["a", "b"]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (code, err) = audit(dir.path(), &recs_with_snapshots(labels), USERS);
        assert_eq!(code, 0, "{labels:?}: {err}");
        let json = read_json(&dir.path().join("out/audit.json"));
        assert_eq!(
            json["over_time"]["snapshots"],
            serde_json::json!(order),
            "{labels:?}"
        );
    }
}

#[test]
fn text_timestamps_that_cannot_be_ordered_name_their_row() {
    for (rows, message) in [
        // As text, 05/01/2024 would sort before 12/31/2023: u1's newer item would count as older.
        (
            "u1,a,12/31/2023\nu1,c,05/01/2024\nu2,b,01/02/2024\n",
            "history.csv: row 1, column `timestamp`: `12/31/2023` is not an ISO 8601 date; \
             expected a number or a date written YYYY-MM-DD",
        ),
        (
            "u1,a,2024-01-02\nu2,c,2024-01-03\nu2,a,1704240000\n",
            "history.csv: row 3, column `timestamp`: `1704240000` is a number, while \
             `2024-01-02` (row 1) is text",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let history = write(
            dir.path(),
            "history.csv",
            &format!("user_id,item_id,timestamp\n{rows}"),
        );
        let (code, err) = audit_with(
            dir.path(),
            RECS,
            USERS,
            &["--history", history.to_str().unwrap()],
        );
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(message), "{err}");
    }
}

#[test]
fn lists_longer_than_k_are_cut_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = audit_with(dir.path(), RECS, USERS, &["--k", "1"]);
    assert_eq!(code, 0, "{err}");
    let j = read_json(&dir.path().join("out/audit.json"));
    assert_eq!(j["input"]["recs_rows_beyond_k"], 2);
    assert_eq!(j["input"]["items_recommended"], 1);
}
