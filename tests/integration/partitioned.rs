//! `recaudit audit --data DIR` on a partitioned folder (a `recs/` subfolder of one file per
//! partition of users, docs/scaling.md "Partitioned input") gives the audit of the concatenation
//! of its partition files, read one partition at a time.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::util::{differences, outcome, read_json, recaudit, root};

/// The partition of a user id: the sum of its bytes modulo `n` (any function of the id will do:
/// every row of a user lands in one partition).
fn partition_of(user: &str, n: usize) -> usize {
    user.bytes().map(usize::from).sum::<usize>() % n
}

/// Writes the shipped example split into `n` partitions by user under `parts` (`recs/part-i.csv`,
/// …, `items.csv` beside them), and the concatenation of each table's partition files in name
/// order under `whole` (`recs.csv`, …).
fn split_example(parts: &Path, whole: &Path, n: usize) {
    let example = root().join("datasets/example");
    std::fs::copy(example.join("items.csv"), parts.join("items.csv")).unwrap();
    std::fs::copy(example.join("items.csv"), whole.join("items.csv")).unwrap();
    for table in ["recs", "users", "truth", "history"] {
        let text = std::fs::read_to_string(example.join(format!("{table}.csv"))).unwrap();
        let mut lines = text.lines();
        let header = lines.next().unwrap();
        assert!(header.starts_with("user_id,"), "{table}: {header}");
        let mut rows: BTreeMap<usize, Vec<&str>> = (0..n).map(|p| (p, Vec::new())).collect();
        for line in lines {
            let user = line.split(',').next().unwrap();
            rows.get_mut(&partition_of(user, n)).unwrap().push(line);
        }
        std::fs::create_dir(parts.join(table)).unwrap();
        let mut concatenated = vec![header];
        for (p, lines) in &rows {
            let file: Vec<&str> = std::iter::once(header)
                .chain(lines.iter().copied())
                .collect();
            let path = parts.join(table).join(format!("part-{p}.csv"));
            std::fs::write(path, file.join("\n") + "\n").unwrap();
            concatenated.extend(lines);
        }
        std::fs::write(
            whole.join(format!("{table}.csv")),
            concatenated.join("\n") + "\n",
        )
        .unwrap();
    }
}

fn audit(data: &Path, out: &Path) -> Value {
    let o = Command::new(env!("CARGO_BIN_EXE_recaudit"))
        .args(["audit", "--data"])
        .arg(data)
        .arg("--out")
        .arg(out)
        .args(["--json-only", "--quiet", "--bootstrap", "200"])
        .output()
        .unwrap();
    let (code, _, err) = outcome(&o);
    assert_eq!(code, 0, "audit of {}: {err}", data.display());
    read_json(&out.join("audit.json"))
}

#[test]
fn a_partitioned_folder_is_audited_as_the_concatenation_of_its_partitions() {
    let dir = tempfile::tempdir().unwrap();
    let (parts, whole) = (dir.path().join("parts"), dir.path().join("whole"));
    std::fs::create_dir(&parts).unwrap();
    std::fs::create_dir(&whole).unwrap();
    split_example(&parts, &whole, 3);
    let mut ours = audit(&parts, &dir.path().join("out-parts"));
    let mut theirs = audit(&whole, &dir.path().join("out-whole"));

    // The provenance names each partition file of each table, hashed.
    let inputs = ours["provenance"]["inputs"].as_array().unwrap();
    let recs: Vec<&str> = inputs
        .iter()
        .filter(|f| f["table"] == "recs")
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(recs.len(), 3, "{inputs:?}");
    assert!(recs[0].ends_with("recs/part-0.csv"), "{recs:?}");
    assert!(inputs
        .iter()
        .all(|f| f["sha256"].as_str().unwrap().len() == 64));
    assert_agree(&mut ours, &mut theirs);
    assert!(ours["metrics"]["ndcg"]["slices"]["gender"]["groups"]
        .as_object()
        .is_some_and(|g| g.len() >= 2));
}

/// The rule of docs/scaling.md §7: every non-number of `ours` (a partitioned audit) equal to
/// `theirs` (the one-pass audit of the concatenated partitions), every number within 1e-12 of
/// max(|x|, |y|, 1). The paths echoed and the provenance differ (folders against files) and are
/// left out (removed from both).
fn assert_agree(ours: &mut Value, theirs: &mut Value) {
    for j in [&mut *ours, &mut *theirs] {
        let j = j.as_object_mut().unwrap();
        j.remove("provenance");
        j["settings"].as_object_mut().unwrap().remove("paths");
    }
    let mut diff = Vec::new();
    differences("", ours, theirs, &mut diff);
    // Sums in partition order (pooled bootstrap buckets, exposure, cluster shares, the
    // subgroups' shifted moments) may differ in their last bits: within 1e-12 of max(|x|, |y|, 1).
    let mut exact = Vec::new();
    let mut within = 0;
    for (path, x, y) in &diff {
        match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => {
                let scale = x.abs().max(y.abs()).max(1.0);
                assert!((x - y).abs() <= 1e-12 * scale, "{path}: {x} vs {y}");
                within += 1;
            }
            _ => exact.push(format!("{path}: {x} vs {y}")),
        }
    }
    println!("{within} numbers differ in their last bits");
    assert!(exact.is_empty(), "{}", exact.join("\n"));
}

/// Writes the concatenation of each table's partition files of the CSV folder `parts`, in name
/// order, as `whole/<table>.csv` (and copies its items table).
fn concatenate(parts: &Path, whole: &Path) {
    std::fs::create_dir_all(whole).unwrap();
    std::fs::copy(parts.join("items.csv"), whole.join("items.csv")).unwrap();
    for table in ["recs", "users", "truth", "history"] {
        let mut files: Vec<_> = std::fs::read_dir(parts.join(table))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let mut text = String::new();
        for (i, file) in files.iter().enumerate() {
            let content = std::fs::read_to_string(file).unwrap();
            let skip = if i == 0 {
                0
            } else {
                content.find('\n').unwrap() + 1
            };
            text.push_str(&content[skip..]);
        }
        std::fs::write(whole.join(format!("{table}.csv")), text).unwrap();
    }
}

/// The partition Spark gives `user` among `n`: pmod(xxhash64(user), n).
fn spark_partition(user: &str, n: usize) -> usize {
    recaudit::data::partition_of_key(recaudit::data::id_key(user), n)
}

#[test]
fn generate_partitions_writes_each_users_rows_in_its_spark_partition_and_audits_as_their_concatenation(
) {
    let dir = tempfile::tempdir().unwrap();
    let (parts, whole) = (dir.path().join("parts"), dir.path().join("whole"));
    let out = parts.to_str().unwrap();
    let o = recaudit([
        "generate",
        "--preset",
        "example",
        "--partitions",
        "3",
        "--out",
        out,
    ]);
    let (code, stdout, err) = outcome(&o);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("(3 partitions of users)"), "{stdout}");
    let example = root().join("datasets/example");
    assert_eq!(
        std::fs::read(parts.join("items.csv")).unwrap(),
        std::fs::read(example.join("items.csv")).unwrap()
    );
    // Every partition's file is the header and the whole file's rows of its users, in order.
    for table in ["recs", "users", "truth", "history"] {
        let text = std::fs::read_to_string(example.join(format!("{table}.csv"))).unwrap();
        let mut lines = text.lines();
        let header = lines.next().unwrap();
        let rows: Vec<&str> = lines.collect();
        for p in 0..3 {
            let want: Vec<&str> = std::iter::once(header)
                .chain(
                    rows.iter()
                        .copied()
                        .filter(|l| spark_partition(l.split(',').next().unwrap(), 3) == p),
                )
                .collect();
            let file = parts.join(table).join(format!("part-0000{p}.csv"));
            let got = std::fs::read_to_string(&file).unwrap();
            assert!(want.len() > 100, "{}", file.display());
            assert_eq!(got, want.join("\n") + "\n", "{}", file.display());
        }
    }
    // The folder audits as the one-pass audit of its partitions concatenated.
    concatenate(&parts, &whole);
    let mut ours = audit(&parts, &dir.path().join("out-parts"));
    let mut theirs = audit(&whole, &dir.path().join("out-whole"));
    assert_agree(&mut ours, &mut theirs);
}

#[test]
fn a_partitioned_folder_is_judged_by_a_policy_and_refuses_table_flags_and_missing_partitions() {
    let dir = tempfile::tempdir().unwrap();
    let (parts, whole) = (dir.path().join("parts"), dir.path().join("whole"));
    std::fs::create_dir(&parts).unwrap();
    std::fs::create_dir(&whole).unwrap();
    split_example(&parts, &whole, 2);
    let run = |extra: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_recaudit"))
            .args(["audit", "--data"])
            .arg(&parts)
            .args(extra)
            .arg("--out")
            .arg(dir.path().join("out"))
            .args(["--json-only", "--quiet"])
            .output()
            .unwrap();
        outcome(&o)
    };
    // A policy is checked against the partitions' users-table columns, then judged.
    let policy = root().join("datasets/policy.example.toml");
    let (code, _, err) = run(&["--policy", policy.to_str().unwrap()]);
    assert_eq!(code, 1, "the example's policy fails by design: {err}");
    assert!(dir.path().join("out/gates.junit.xml").exists());

    let (code, _, err) = run(&["--truth", "elsewhere.csv"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--truth cannot be given with it"), "{err}");

    std::fs::remove_file(parts.join("users/part-1.csv")).unwrap();
    let (code, _, err) = run(&[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("part-1"), "{err}");
}

/// Runs `recaudit audit` on `input` (flags) with `extra`, `--out out`: the exit code, stderr.
fn audit_with(input: &[&str], extra: &[&str], out: &Path) -> (i32, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_recaudit"))
        .arg("audit")
        .args(input)
        .args(extra)
        .arg("--out")
        .arg(out)
        .args(["--json-only", "--quiet", "--bootstrap", "200"])
        .output()
        .unwrap();
    let (code, _, err) = outcome(&o);
    (code, err)
}

/// `audit.json` without its provenance and echoed paths.
fn without_paths(mut j: Value) -> Value {
    let o = j.as_object_mut().unwrap();
    o.remove("provenance");
    o["settings"].as_object_mut().unwrap().remove("paths");
    j
}

#[test]
fn audit_partitions_splits_csv_input_by_spark_partition_and_audits_it_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let example = root().join("datasets/example");
    let temp = dir.path().join("temp");
    std::fs::create_dir(&temp).unwrap();
    let out = dir.path().join("out");
    let (code, err) = audit_with(
        &["--data", example.to_str().unwrap()],
        &["--partitions", "3", "--temp-dir", temp.to_str().unwrap()],
        &out,
    );
    assert_eq!(code, 0, "{err}");
    let ours = read_json(&out.join("audit.json"));
    // The temporary folder is removed; the echoed paths and the provenance are the input files.
    assert_eq!(std::fs::read_dir(&temp).unwrap().count(), 0);
    assert!(ours["settings"]["paths"]["recs"]
        .as_str()
        .unwrap()
        .ends_with("datasets/example/recs.csv"));
    let inputs = ours["provenance"]["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 5, "{inputs:?}");

    // The same split made here: every row to pmod(xxhash64(user_id), 3), in the file's order.
    let parts = dir.path().join("parts");
    std::fs::create_dir(&parts).unwrap();
    std::fs::copy(example.join("items.csv"), parts.join("items.csv")).unwrap();
    for table in ["recs", "users", "truth", "history"] {
        let text = std::fs::read_to_string(example.join(format!("{table}.csv"))).unwrap();
        let mut lines = text.lines();
        let header = lines.next().unwrap();
        let mut rows: Vec<Vec<&str>> = vec![vec![header]; 3];
        for line in lines {
            rows[spark_partition(line.split(',').next().unwrap(), 3)].push(line);
        }
        std::fs::create_dir(parts.join(table)).unwrap();
        for (p, rows) in rows.iter().enumerate() {
            let path = parts.join(table).join(format!("part-0000{p}.csv"));
            std::fs::write(path, rows.join("\n") + "\n").unwrap();
        }
    }
    let theirs = audit(&parts, &dir.path().join("out-parts"));
    assert_eq!(without_paths(ours.clone()), without_paths(theirs));

    // And the rule: the one-pass audit of the partitions concatenated, within 1e-12.
    let whole = dir.path().join("whole");
    concatenate(&parts, &whole);
    let mut one_pass = audit(&whole, &dir.path().join("out-whole"));
    assert_agree(&mut ours.clone(), &mut one_pass);
}

#[test]
fn audit_partitions_of_parquet_input_equals_the_generated_partitioned_folder() {
    let dir = tempfile::tempdir().unwrap();
    let (whole, parts) = (dir.path().join("whole"), dir.path().join("parts"));
    for (out, extra) in [(&whole, None), (&parts, Some("4"))] {
        let mut args = vec!["generate", "--preset", "example", "--parquet"];
        if let Some(n) = extra {
            args.extend(["--partitions", n]);
        }
        args.extend(["--out", out.to_str().unwrap()]);
        let (code, _, err) = outcome(&recaudit(&args));
        assert_eq!(code, 0, "{err}");
    }
    // Split here by the audit (Parquet read row group by row group), and the generator's own
    // partitions of the same rows: the same files' rows, the same audit.
    let out = dir.path().join("out");
    let (code, err) = audit_with(
        &["--data", whole.to_str().unwrap()],
        &["--partitions", "4"],
        &out,
    );
    assert_eq!(code, 0, "{err}");
    let ours = read_json(&out.join("audit.json"));
    let theirs = audit(&parts, &dir.path().join("out-parts"));
    assert_eq!(without_paths(ours), without_paths(theirs));
}

#[test]
fn audit_partitions_refuses_zero_a_partitioned_folder_and_names_a_missing_user_column() {
    let dir = tempfile::tempdir().unwrap();
    let example = root().join("datasets/example");
    let data = ["--data", example.to_str().unwrap()];
    let out = dir.path().join("out");
    let (code, err) = audit_with(&data, &["--partitions", "0"], &out);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--partitions"), "{err}");
    let (code, err) = audit_with(&data, &["--temp-dir", "x"], &out);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--partitions"), "{err}");

    let parts = dir.path().join("parts");
    let whole = dir.path().join("whole");
    std::fs::create_dir(&parts).unwrap();
    std::fs::create_dir(&whole).unwrap();
    split_example(&parts, &whole, 2);
    let (code, err) = audit_with(
        &["--data", parts.to_str().unwrap()],
        &["--partitions", "2"],
        &out,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("already partitioned"), "{err}");

    let (code, err) = audit_with(&data, &["--partitions", "2", "--user-col", "uid"], &out);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("recs.csv") && err.contains("no column `uid`"),
        "{err}"
    );

    // More partitions than users: a partition gets history rows but no recommendations.
    let few = dir.path().join("few");
    std::fs::create_dir(&few).unwrap();
    std::fs::write(few.join("recs.csv"), "user_id,item_id,rank\nu1,i1,1\n").unwrap();
    std::fs::write(few.join("users.csv"), "user_id,gender\nu1,F\nu2,M\n").unwrap();
    let (code, err) = audit_with(
        &["--data", few.to_str().unwrap()],
        &["--partitions", "64"],
        &out,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("give fewer partitions"), "{err}");
}

#[test]
fn audit_partitions_refuses_what_the_one_pass_audit_refuses_with_the_same_message() {
    // Each case: the example with one table edited; `--partitions 3` must exit 2 with the
    // message of the one-pass audit, naming the input file and its row, not a temporary
    // partition's file and row.
    let dir = tempfile::tempdir().unwrap();
    let example = root().join("datasets/example");
    let recs = std::fs::read_to_string(example.join("recs.csv")).unwrap();
    let users = std::fs::read_to_string(example.join("users.csv")).unwrap();
    let lines: Vec<&str> = recs.lines().collect();
    // Row 3001 of recs.csv repeats row 2001 (the same user and item; far from row 1, so a row of
    // a partition's file would be a smaller number).
    let repeated = {
        let mut l = lines.clone();
        l.insert(3001, lines[2001]);
        l.join("\n") + "\n"
    };
    let quote = recs.replacen("\n", "\nu\"x,i1,1\n", 5000);
    let blank = {
        let mut l = lines.clone();
        l.insert(4000, "");
        l.join("\n") + "\n"
    };
    let users_twice = {
        let ul: Vec<&str> = users.lines().collect();
        let mut l = ul.clone();
        l.push(ul[1500]);
        l.join("\n") + "\n"
    };
    for (name, table, text, expected) in [
        (
            "repeated",
            "recs.csv",
            repeated,
            "row 3001, column `item_id`",
        ),
        (
            "quote",
            "recs.csv",
            quote,
            "a `\"` inside a value that is not quoted",
        ),
        ("blank", "recs.csv", blank, "row 4000"),
        ("users", "users.csv", users_twice, "(first at row 1500)"),
    ] {
        let data = dir.path().join(name);
        std::fs::create_dir(&data).unwrap();
        for t in [
            "recs.csv",
            "users.csv",
            "items.csv",
            "truth.csv",
            "history.csv",
        ] {
            std::fs::copy(example.join(t), data.join(t)).unwrap();
        }
        std::fs::write(data.join(table), &text).unwrap();
        let input = ["--data", data.to_str().unwrap()];
        let out = dir.path().join("out");
        let (code, one_pass) = audit_with(&input, &[], &out);
        assert_eq!(code, 2, "{name}: {one_pass}");
        let temp = dir.path().join("temp");
        std::fs::create_dir_all(&temp).unwrap();
        let (code, split) = audit_with(
            &input,
            &["--partitions", "3", "--temp-dir", temp.to_str().unwrap()],
            &out,
        );
        assert_eq!(code, 2, "{name}: {split}");
        assert!(
            split.contains(expected) && split.contains(&*data.join(table).to_string_lossy()),
            "{name}: {split}"
        );
        assert!(!split.contains("recaudit-partitions-"), "{name}: {split}");
        assert_eq!(split, one_pass, "{name}");
    }
}
