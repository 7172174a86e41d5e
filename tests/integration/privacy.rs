//! Privacy against a hostile reader of the outputs: groups that are not published are never
//! named or sized, and no differencing of the published numbers gives back the figures of fewer
//! than `min_slice_size` people. The attacks here are written independently of
//! `recaudit::slices::disclosure`: they take the published counts and means, turn them into sums,
//! and subtract them in every way the literature names.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::{data, outcome, read_json, recaudit, write};

const MIN: u64 = 20;

/// The conformance case with `users` as its users table (an audit needs the other tables too).
fn audit(dir: &Path, users: &str, extra: &[&str]) -> (i32, String, String, PathBuf) {
    std::fs::create_dir_all(dir).unwrap();
    let users = write(dir, "users.csv", users);
    let out = dir.join("out");
    let c = |f: &str| data(&format!("conformance/{f}"));
    let mut args: Vec<std::ffi::OsString> = vec!["audit".into()];
    for (flag, file) in [
        ("--recs", c("recs_main.csv")),
        ("--items", c("items.csv")),
        ("--truth", c("truth.csv")),
        ("--history", c("history.csv")),
        ("--users", users),
    ] {
        args.push(flag.into());
        args.push(file.into());
    }
    args.extend([
        "--bootstrap".into(),
        "50".into(),
        "--out".into(),
        out.clone().into(),
    ]);
    args.extend(extra.iter().map(|a| a.into()));
    let (code, stdout, stderr) = outcome(&recaudit(&args));
    (code, stdout, stderr, out)
}

/// The conformance users table, rewritten line by line by `edit(fields)`, with `header`.
fn users(header: &str, edit: impl Fn(&mut Vec<String>)) -> String {
    let text = std::fs::read_to_string(data("conformance/users.csv")).unwrap();
    let mut out = format!("{header}\n");
    for line in text.lines().skip(1) {
        let mut f: Vec<String> = line.split(',').map(str::to_string).collect();
        edit(&mut f);
        out.push_str(&f.join(","));
        out.push('\n');
    }
    out
}

/// (n, sum) of a published estimate.
fn sum_of(e: &Value) -> Option<(u64, f64)> {
    let n = e["n"].as_u64()?;
    let v = e["value"].as_f64()?;
    Some((n, n as f64 * v))
}

/// A published group: (label, n, sum).
type GroupSum = (String, u64, f64);

/// Every published (n, sum) set of one per-user metric: the overall, and per slice column its
/// published groups.
struct Published {
    overall: (u64, f64),
    columns: Vec<(String, Vec<GroupSum>)>,
}

fn published(audit: &Value, metric: &str) -> Published {
    let m = &audit["metrics"][metric];
    let columns = m["slices"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(c, s)| {
            let groups = s["groups"]
                .as_object()
                .unwrap()
                .iter()
                .filter_map(|(g, e)| sum_of(e).map(|(n, s)| (g.clone(), n, s)))
                .collect();
            (c.clone(), groups)
        })
        .collect();
    Published {
        overall: sum_of(&m["overall"]).unwrap(),
        columns,
    }
}

/// What differencing gives: (what, n, sum) for overall − a column's published groups, one
/// column's published groups − another's, and an intersection's row margin − its published cells.
fn attacks(p: &Published) -> Vec<(String, i64, f64)> {
    let union = |groups: &[GroupSum]| -> (i64, f64) {
        groups
            .iter()
            .fold((0, 0.0), |(n, s), g| (n + g.1 as i64, s + g.2))
    };
    let mut out = Vec::new();
    for (c, groups) in &p.columns {
        let (n, s) = union(groups);
        out.push((
            format!("overall − {c}"),
            p.overall.0 as i64 - n,
            p.overall.1 - s,
        ));
        for (d, other) in &p.columns {
            let (m, t) = union(other);
            if c != d {
                out.push((format!("{c} − {d}"), n - m, s - t));
            }
        }
        // Intersections: `["a","b"]` with cells `["x","y"]`; the margins are column a's groups.
        let Ok(parts) = serde_json::from_str::<Vec<String>>(c) else {
            continue;
        };
        for (i, col) in parts.iter().enumerate() {
            let Some((_, margin)) = p.columns.iter().find(|(name, _)| name == col) else {
                continue;
            };
            for (value, mn, ms) in margin {
                let cells: Vec<_> = groups
                    .iter()
                    .filter(|(label, _, _)| {
                        serde_json::from_str::<Vec<String>>(label).unwrap()[i] == *value
                    })
                    .cloned()
                    .collect();
                let (n, s) = union(&cells);
                out.push((
                    format!("{col}={value} − its cells in {c}"),
                    *mn as i64 - n,
                    ms - s,
                ));
            }
        }
    }
    out
}

/// Fails when any attack on any per-user metric gives the sum over 1 to MIN − 1 people, or the
/// exact (size, mean) of a group `truth` (the same data audited with every group published)
/// has and `audit` does not publish.
fn assert_no_attack_succeeds(audit: &Value, truth: &Value) {
    let metrics: Vec<&String> = audit["metrics"].as_object().unwrap().keys().collect();
    let mut tried = 0;
    for metric in metrics {
        let hidden: Vec<GroupSum> = truth["metrics"][metric]["slices"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(c, s)| {
                let shown = &audit["metrics"][metric]["slices"][c]["groups"];
                s["groups"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .filter(|(g, _)| shown.get(g.as_str()).is_none())
                    .filter_map(|(g, e)| sum_of(e).map(|(n, s)| (format!("{c}={g}"), n, s)))
                    .collect::<Vec<_>>()
            })
            .collect();
        for (what, n, sum) in attacks(&published(audit, metric)) {
            tried += 1;
            assert!(
                n <= 0 || n >= MIN as i64,
                "{metric}: {what} gives the sum over {n} < {MIN} users"
            );
            for (group, gn, gsum) in &hidden {
                assert!(
                    !(n == *gn as i64 && (sum - gsum).abs() <= 1e-9 * gsum.abs().max(1.0)),
                    "{metric}: {what} recovers the unpublished group {group}"
                );
            }
        }
    }
    assert!(tried > 50, "only {tried} attacks tried");
    // Group sizes: the audited users minus a column's published sizes.
    let audited = audit["input"]["users_audited"].as_u64().unwrap() as i64;
    for (c, s) in audit["slices"].as_object().unwrap() {
        let shown: i64 = s["groups"]
            .as_object()
            .unwrap()
            .values()
            .map(|g| g["n_users"].as_i64().unwrap())
            .sum();
        let unsliced: i64 = ["users_without_consent", "users_missing_from_users_table"]
            .iter()
            .map(|k| audit["input"][k].as_i64().unwrap_or(0))
            .sum();
        let rest = audited - shown - unsliced;
        assert!(
            rest == 0 || rest >= MIN as i64,
            "{c}: the audited users less the published groups and the unsliced counts leave {rest}"
        );
    }
}

fn truth_of(dir: &Path, users: &str, extra: &[&str]) -> Value {
    let mut args: Vec<&str> = Vec::new();
    let mut flags = extra.iter();
    while let Some(&a) = flags.next() {
        if a == "--min-slice-size" {
            flags.next();
        } else {
            args.push(a);
        }
    }
    args.extend(["--min-slice-size", "1", "--json-only", "--quiet"]);
    let (code, _, err, out) = audit(dir, users, &args);
    assert_eq!(code, 0, "{err}");
    read_json(&out.join("audit.json"))
}

fn attacked(users: &str, extra: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let mut args = extra.to_vec();
    args.extend(["--json-only", "--quiet"]);
    let (code, _, err, out) = audit(dir.path(), users, &args);
    assert_eq!(code, 0, "{err}");
    let audit = read_json(&out.join("audit.json"));
    let truth = truth_of(&dir.path().join("truth"), users, extra);
    assert_no_attack_succeeds(&audit, &truth);
    audit
}

fn conformance_users() -> String {
    std::fs::read_to_string(data("conformance/users.csv")).unwrap()
}

#[test]
fn overall_minus_the_shown_groups_does_not_give_a_small_group() {
    // gender X has 13 users: overall − F − M would be X.
    let a = attacked(&conformance_users(), &[]);
    assert_eq!(a["slices"]["gender"]["groups_too_small"], 1);
    assert_eq!(a["slices"]["gender"]["groups_withheld"], 1);
}

#[test]
fn one_column_minus_another_does_not_give_a_small_group() {
    // Over 20 users without consent are in no group of any column: overall − gender no longer
    // gives X alone, but gender − age_band does (both leave them out, gender leaves out X too).
    let table = users("user_id,gender,age_band,consent", |f| {
        let n: usize = f[0].trim_start_matches('u').parse().unwrap();
        let consent = if n <= 40 && f[1] != "X" {
            "false"
        } else {
            "true"
        };
        f.push(consent.into());
    });
    let a = attacked(&table, &[]);
    let without: usize = table.lines().filter(|l| l.ends_with(",false")).count();
    assert_eq!(a["input"]["users_without_consent"], without);
    assert!(without >= 20);
    let withheld = |c: &str| a["slices"][c]["groups_withheld"].as_u64().unwrap();
    assert!(withheld("gender") + withheld("age_band") >= 1);
}

#[test]
fn a_margin_minus_the_shown_cells_does_not_give_a_hidden_cell() {
    // With X merged into M there is no small gender group, but some gender × age cells are
    // small: a published row margin minus its published cells would give them.
    let table = users("user_id,gender,age_band", |f| {
        if f[1] == "X" {
            f[1] = "M".into();
        }
    });
    let a = attacked(&table, &["--intersect", "gender,age_band"]);
    let cross = &a["slices"][r#"["gender","age_band"]"#];
    assert_eq!(cross["columns"], serde_json::json!(["gender", "age_band"]));
    for (label, g) in cross["groups"].as_object().unwrap() {
        let values: Vec<String> = serde_json::from_str(label).unwrap();
        assert_eq!(g["values"]["gender"], values[0]);
        assert_eq!(g["values"]["age_band"], values[1]);
    }
}

#[test]
fn metrics_defined_for_few_of_a_groups_users_are_withheld_for_that_metric() {
    // Precision needs a relevant item: at min_slice_size 20 some age group of the small
    // population with truth must not show a mean of a handful of users.
    let table = users("user_id,gender,age_band", |f| {
        if f[1] == "X" {
            f[1] = "M".into();
        }
    });
    let a = attacked(&table, &["--min-slice-size", "45"]);
    for (m, v) in a["metrics"].as_object().unwrap() {
        for (c, s) in v["slices"].as_object().unwrap() {
            for (g, e) in s["groups"].as_object().unwrap() {
                let n = e["n"].as_u64().unwrap();
                assert!(n == 0 || n >= 45, "{m} {c}={g}: a mean of {n} users");
            }
        }
    }
}

/// Every file of `out` and the terminal output, as text.
fn everything_written(out: &Path, stdout: &str, stderr: &str) -> String {
    let mut all = format!("{stdout}\n{stderr}\n");
    let mut stack = vec![out.to_path_buf()];
    while let Some(p) = stack.pop() {
        for e in std::fs::read_dir(&p).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x != "png") {
                all.push_str(&std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    all
}

#[test]
fn suppressed_groups_are_never_named_or_sized_in_any_output() {
    let table = users("user_id,gender,age_band", |f| {
        if f[1] == "X" {
            f[1] = "Zeta-only-13".into();
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let policy = write(
        dir.path(),
        "policy.toml",
        "[[gate]]\nmetric = \"ndcg\"\nslice = \"gender\"\nrule = \"min_ratio\"\nthreshold = 0.8\n\n[[gate]]\nmetric = \"ndcg\"\nslice = \"gender\"\nrule = \"min_value\"\nthreshold = 0.01\n",
    );
    let (code, stdout, stderr, out) =
        audit(dir.path(), &table, &["--policy", policy.to_str().unwrap()]);
    assert!(code == 0 || code == 1, "{stderr}");
    let all = everything_written(&out, &stdout, &stderr);
    assert!(out.join("gates.junit.xml").exists());
    assert!(
        !all.contains("Zeta-only-13"),
        "the suppressed label is written"
    );
    assert!(
        all.contains("1 group under 20 users suppressed"),
        "the suppression is stated"
    );
    let j = read_json(&out.join("audit.json"));
    let sizes: Vec<u64> = j["slices"]["gender"]["groups"]
        .as_object()
        .unwrap()
        .values()
        .map(|g| g["n_users"].as_u64().unwrap())
        .collect();
    assert!(!sizes.contains(&13));
    // The user ids of the input appear nowhere either.
    assert!(!all.contains("u0001") && !all.contains("u0150"));
}

#[test]
fn identifier_columns_are_skipped_by_name_without_their_values() {
    let table = users("user_id,gender,age_band,customer_no,email", |f| {
        let id = f[0].clone();
        f.push(format!("C-{id}"));
        f.push(format!("{id}@example.org"));
    });
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr, out) = audit(dir.path(), &table, &[]);
    assert_eq!(code, 0, "{stderr}");
    let j = read_json(&out.join("audit.json"));
    let skipped: Vec<(&str, &str)> = j["skipped_slice_columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["column"].as_str().unwrap(), s["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(skipped.len(), 2);
    assert_eq!(skipped[0].0, "customer_no");
    assert!(skipped[0]
        .1
        .starts_with("150 distinct values, more than the 50 a demographic column has"));
    assert_eq!(skipped[1].0, "email");
    let names: Vec<&String> = j["slices"].as_object().unwrap().keys().collect();
    assert_eq!(names, ["age_band", "gender"]);
    let all = everything_written(&out, &stdout, &stderr);
    assert!(!all.contains("C-u0") && !all.contains("@example.org"));
    assert!(
        stderr
            .contains("note: Users-table column `customer_no` is not audited: 150 distinct values"),
        "{stderr}"
    );
}

#[test]
fn an_identifier_named_in_slices_is_an_error_that_says_why() {
    let table = users("user_id,gender,customer_no", |f| {
        let id = f[0].clone();
        f.truncate(2);
        f.push(format!("C-{id}"));
    });
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr, _) = audit(dir.path(), &table, &["--slices", "gender,customer_no"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("slice column `customer_no` is mostly unique (150 distinct values"),
        "{stderr}"
    );
    assert!(!stderr.contains("C-u0"), "{stderr}");
}

#[test]
fn a_column_with_one_large_group_is_not_audited_by_default() {
    // Every user but 13 is in one group: nothing to compare, and the 13 would stand out.
    let table = users("user_id,gender,age_band,vip", |f| {
        f.push(if f[1] == "X" { "yes" } else { "no" }.into());
    });
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr, out) = audit(dir.path(), &table, &["--json-only"]);
    assert_eq!(code, 0, "{stderr}");
    let j = read_json(&out.join("audit.json"));
    assert_eq!(j["skipped_slice_columns"][0]["column"], "vip");
    assert_eq!(
        j["skipped_slice_columns"][0]["reason"],
        "fewer than two groups of at least 20 users (min_slice_size): nothing to compare"
    );
}

#[test]
fn the_same_audit_gives_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let table = conformance_users();
    let (_, _, _, out) = audit(dir.path(), &table, &["--json-only", "--quiet"]);
    let first = std::fs::read(out.join("audit.json")).unwrap();
    let (_, _, _, out) = audit(dir.path(), &table, &["--json-only", "--quiet"]);
    assert!(first == std::fs::read(out.join("audit.json")).unwrap());
}

#[test]
fn labels_holding_the_separator_do_not_merge_intersection_groups() {
    // Joined with " & ", (x = "a & b", y = "c") and (x = "a", y = "b & c") both read "a & b & c".
    let table = users("user_id,x,y", |f| {
        let n: usize = f[0].trim_start_matches('u').parse().unwrap();
        f.truncate(1);
        if n <= 75 {
            f.extend(["a & b".to_string(), "c".to_string()]);
        } else {
            f.extend(["a".to_string(), "\"b & c, \"\"quoted\"\"\"".to_string()]);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr, out) = audit(
        dir.path(),
        &table,
        &["--intersect", "x,y", "--json-only", "--quiet"],
    );
    assert_eq!(code, 0, "{stderr}");
    let j = read_json(&out.join("audit.json"));
    let cross = &j["slices"][r#"["x","y"]"#]["groups"];
    let keys: Vec<&String> = cross.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [r#"["a & b","c"]"#, r#"["a","b & c, \"quoted\""]"#],
        "{cross}"
    );
    assert_eq!(cross[r#"["a & b","c"]"#]["n_users"], 75);
    assert_eq!(cross[r#"["a","b & c, \"quoted\""]"#]["n_users"], 75);
    assert_eq!(
        cross[r#"["a","b & c, \"quoted\""]"#]["values"]["y"],
        "b & c, \"quoted\""
    );
}
