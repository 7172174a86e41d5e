//! The audit does not depend on the order of the rows of its input files: every random draw and
//! every per-user order is keyed by the ids (docs/statistics.md, "How replicates are keyed"), and
//! only sums over items (in catalog order) and over a user's truth rows (in file order) may differ
//! in their last bits.

use std::path::Path;
use std::process::Command;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

use crate::util::{differences, outcome, read_json, root};

/// Copies every file of `from` into `to`, with its data rows shuffled by a seeded shuffle when
/// `seed` is given (the header stays first).
fn copy_rows(from: &Path, to: &Path, seed: Option<u64>) {
    let mut names: Vec<_> = std::fs::read_dir(from)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    for name in names {
        let text = std::fs::read_to_string(from.join(&name)).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        if let Some(seed) = seed {
            let rows = &mut lines[1..];
            let before = rows.to_vec();
            rows.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
            assert_ne!(rows, &before[..], "{name:?} is shuffled");
        }
        std::fs::write(to.join(&name), lines.join("\n") + "\n").unwrap();
    }
}

/// Audits `data` (relative to `cwd`) into `cwd/out` as JSON only and returns the audit.json.
fn audit_in(cwd: &Path, data: &str) -> Value {
    let o = Command::new(env!("CARGO_BIN_EXE_recaudit"))
        .current_dir(cwd)
        .args([
            "audit",
            "--data",
            data,
            "--out",
            "out",
            "--json-only",
            "--quiet",
        ])
        .output()
        .unwrap();
    let (code, _, err) = outcome(&o);
    assert_eq!(code, 0, "audit: {err}");
    read_json(&cwd.join("out/audit.json"))
}

#[test]
fn shuffled_input_rows_give_the_same_audit() {
    // The example as shipped and with the rows of every file shuffled, each in a folder `data`
    // of its own, so that the paths echoed in `settings` are the same.
    let example = root().join("datasets/example");
    let (plain, shuffled) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for (dir, seed) in [(&plain, None), (&shuffled, Some(2_026))] {
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        copy_rows(&example, &data, seed);
    }
    let mut a = audit_in(plain.path(), "data");
    let mut b = audit_in(shuffled.path(), "data");
    // The inputs' sha256 differ: the files' bytes do.
    for j in [&mut a, &mut b] {
        j.as_object_mut()
            .unwrap()
            .remove("provenance")
            .expect("a provenance block");
    }
    let mut diff = Vec::new();
    differences("", &a, &b, &mut diff);
    // Sums in item order (the catalog's dense ids follow the items table's rows) and over a
    // user's truth rows in file order (the SNIPS weights) may differ in their last bits: those
    // numbers within 1e-12 of max(|x|, |y|, 1), everything else exactly.
    let last_bits = |path: &str| {
        let snips = |metric: &str| metric.starts_with("snips_");
        path.starts_with(".corpus.")
            || path.strip_prefix(".metrics.").is_some_and(snips)
            || path
                .strip_prefix(".subgroups.findings[")
                .is_some_and(|rest| {
                    let i: usize = rest[..rest.find(']').unwrap()].parse().unwrap();
                    snips(a["subgroups"]["findings"][i]["metric"].as_str().unwrap())
                })
    };
    let mut exact = Vec::new();
    let mut within = 0;
    let mut largest = 0.0f64;
    for (path, x, y) in &diff {
        match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) if last_bits(path) => {
                let scale = x.abs().max(y.abs()).max(1.0);
                assert!((x - y).abs() <= 1e-12 * scale, "{path}: {x} vs {y}");
                within += 1;
                largest = largest.max((x - y).abs() / x.abs().max(y.abs()));
            }
            _ => exact.push(format!("{path}: {x} vs {y}")),
        }
    }
    println!(
        "{} numbers differ in their last bits (largest relative difference {largest:.1e})",
        within
    );
    assert!(exact.is_empty(), "{}", exact.join("\n"));
}
