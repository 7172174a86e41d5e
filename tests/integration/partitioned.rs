//! `recaudit audit --data DIR` on a partitioned folder (a `recs/` subfolder of one file per
//! partition of users, docs/scaling.md "Partitioned input") gives the audit of the concatenation
//! of its partition files, read one partition at a time.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::util::{differences, outcome, read_json, root};

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
    // The paths echoed differ (folders against files): everything else is compared.
    for j in [&mut ours, &mut theirs] {
        let j = j.as_object_mut().unwrap();
        j.remove("provenance");
        j["settings"].as_object_mut().unwrap().remove("paths");
    }
    let mut diff = Vec::new();
    differences("", &ours, &theirs, &mut diff);
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
    assert!(ours["metrics"]["ndcg"]["slices"]["gender"]["groups"]
        .as_object()
        .is_some_and(|g| g.len() >= 2));
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
