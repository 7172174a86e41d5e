//! The audit of a partitioned folder against the one-pass audit of the concatenation of each
//! table's partition files: a hand-made case (catalog order, counts, translations checked by
//! hand), a generated case and the shipped example, in CSV and Parquet; and the layout's errors.

use std::path::{Path, PathBuf};

use serde_json::Value;
use tempfile::TempDir;

use super::*;
use crate::audit::audit_dataset;
use crate::data::id_key;
use crate::generate::{generate, GeneratorConfig};
use crate::input::{self, test_files, TablePaths};
use crate::partial::finish_audit;
use crate::partial::tests::{agree, walk, Agreement};
use crate::partial::{audited_slices, ItemStats, SlicePlan};
use crate::result::AuditResult;
use crate::slices::SliceConfig;
use crate::stats::StatsConfig;

/// The partitioned tables (the items table is not split).
const SPLIT: [&str; 4] = ["recs", "users", "truth", "history"];

/// A CSV text's header and rows (without quotes: the tables of these tests hold none), each row
/// with its `user_id`.
fn rows_of(text: &str) -> (String, Vec<(String, String)>) {
    assert!(!text.contains('"'), "no quoted field");
    let mut lines = text.lines();
    let header = lines.next().expect("a header").to_string();
    let at = header
        .split(',')
        .position(|c| c == "user_id")
        .expect("a user_id column");
    let rows = lines
        .filter(|l| !l.is_empty())
        .map(|l| (l.split(',').nth(at).unwrap().to_string(), l.to_string()))
        .collect();
    (header, rows)
}

/// Writes the CSV tables of `src` split into `n` partitions (`part_of(user id)`) as the folder
/// `parts` (`recs/part-00000.csv`, ...) and their concatenation (each table's partition files'
/// rows in partition order) as the folder `concat` (`recs.csv`, ...); the items table is copied
/// to both. With `parquet`, every file is a Parquet copy instead (row groups of 7 rows).
fn split(
    src: &Path,
    n: usize,
    part_of: &dyn Fn(&str) -> usize,
    parquet: bool,
) -> (TempDir, TempDir) {
    let (parts, concat) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let finish = |csv: PathBuf| {
        if parquet {
            test_files::parquet_copy(&csv, 7);
            std::fs::remove_file(&csv).unwrap();
        }
    };
    for table in SPLIT {
        let Ok(text) = std::fs::read_to_string(src.join(format!("{table}.csv"))) else {
            continue;
        };
        let (header, rows) = rows_of(&text);
        let mut texts: Vec<String> = vec![format!("{header}\n"); n];
        for (user, row) in &rows {
            let t = &mut texts[part_of(user)];
            t.push_str(row);
            t.push('\n');
        }
        std::fs::create_dir(parts.path().join(table)).unwrap();
        let mut all = format!("{header}\n");
        for (i, t) in texts.iter().enumerate() {
            let path = parts.path().join(table).join(format!("part-{i:05}.csv"));
            std::fs::write(&path, t).unwrap();
            finish(path);
            all.push_str(&t[header.len() + 1..]);
        }
        let path = concat.path().join(format!("{table}.csv"));
        std::fs::write(&path, all).unwrap();
        finish(path);
    }
    if let Ok(text) = std::fs::read_to_string(src.join("items.csv")) {
        for dir in [&parts, &concat] {
            let path = dir.path().join("items.csv");
            std::fs::write(&path, &text).unwrap();
            finish(path);
        }
    }
    (parts, concat)
}

/// Split by the user id's key, as a Spark job partitioning by `xxhash64(user_id)` would.
fn by_key(n: usize) -> impl Fn(&str) -> usize {
    move |user: &str| (id_key(user) % n as u64) as usize
}

/// The one-pass audit of the concatenation in `concat` under `cfg`, with its dataset.
fn one_pass(concat: &Path, cfg: &AuditConfig) -> (AuditResult, crate::data::Dataset, AuditConfig) {
    let ext = match concat.join("recs.csv").exists() {
        true => "csv",
        false => "parquet",
    };
    let mut paths = TablePaths::in_folder(concat, ext);
    for table in ["items", "truth", "history"] {
        if !concat.join(format!("{table}.{ext}")).exists() {
            match table {
                "items" => paths.items = None,
                "truth" => paths.truth = None,
                _ => paths.history = None,
            }
        }
    }
    let cfg = AuditConfig {
        paths,
        ..cfg.clone()
    };
    let (ds, input) = input::load(&cfg.input()).unwrap();
    let result = audit_dataset(&ds, input, &cfg, &()).unwrap();
    (result, ds, cfg)
}

/// Compares two audits' `audit.json`: every block number by number within `rel` (`metrics`
/// relative to its metric's scale, [`agree`]), every non-number equal; `settings.paths` (the
/// folders, and the concatenation's files) left out.
fn compare(ours: &AuditResult, theirs: &AuditResult, rel: f64) -> Agreement {
    let mut x = serde_json::to_value(ours).unwrap();
    let mut y = serde_json::to_value(theirs).unwrap();
    for v in [&mut x, &mut y] {
        v["settings"].as_object_mut().unwrap().remove("paths");
    }
    let (Value::Object(x), Value::Object(y)) = (&x, &y) else {
        panic!("audit.json is an object")
    };
    assert_eq!(x.keys().collect::<Vec<_>>(), y.keys().collect::<Vec<_>>());
    let mut a = Agreement::default();
    for (key, v) in x {
        if key == "metrics" {
            agree(v, &y[key], rel, &mut a);
        } else {
            walk(v, &y[key], key, rel, 1.0, &mut a);
        }
    }
    a
}

/// The partitioned audit of `parts` equals the one-pass audit of `concat`: every number within
/// 1e-12, everything else identical; returns the agreement.
fn folder_agrees(parts: &Path, concat: &Path, cfg: &AuditConfig) -> Agreement {
    let (theirs, _, _) = one_pass(concat, cfg);
    let ours = audit_folder(parts, cfg).unwrap();
    assert_eq!(ours.input, theirs.input);
    assert_eq!(ours.notes, theirs.notes);
    assert_eq!(ours.slices, theirs.slices);
    assert_eq!(ours.skipped_slice_columns, theirs.skipped_slice_columns);
    assert_eq!(ours.propensity, theirs.propensity);
    let a = compare(&ours, &theirs, 1e-12);
    eprintln!("{}: {a:?}", parts.display());
    a
}

/// A hand-made case of 9 audited users in 3 partitions (P0: u1–u3, P1: u4–u6, P2: u7–u9):
/// items new to the catalog in every table, an item the truth of P0 names before P2's lists
/// do, an item of P0's history that P2's truth names, rows of users without recommendations in
/// the truth (q1), history (q2) and users (q3) tables, a user without consent (u8) and one
/// missing from the users table (u6).
fn hand_case(dir: &Path) {
    let write = |name: &str, text: &str| test_files::write(dir, name, text);
    write(
        "items.csv",
        "item_id,category,provider\na,drama,big\nb,comedy,big\nc,drama|comedy,small\nd,news,small\n",
    );
    write(
        "recs.csv",
        "user_id,item_id,rank\n\
         u1,x,1\nu1,a,2\nu1,b,3\nu2,a,1\nu2,c,2\nu3,d,1\nu3,a,2\nu3,x,3\n\
         u4,y,1\nu4,b,2\nu5,a,1\nu5,d,2\nu6,c,1\nu6,y,2\n\
         u7,b,1\nu7,x,2\nu8,z,1\nu8,a,2\nu9,c,1\nu9,b,2\nu9,z,3\n",
    );
    write(
        "truth.csv",
        "user_id,item_id,relevance\n\
         u2,y,1\nu3,t2,2\nu3,z,1\nu3,a,1\n\
         u5,t1,1\nq1,t9,1\nu4,b,2\n\
         u7,h1,1\nu9,c,1\n",
    );
    write(
        "history.csv",
        "user_id,item_id,timestamp\n\
         u1,h1,5\nu1,a,2\nu2,b,1\n\
         q2,h2,3\nu4,a,1\nu5,h1,4\n\
         u7,a,1\nu8,b,2\nu9,h1,2\n",
    );
    write(
        "users.csv",
        "user_id,gender,age,consent\n\
         u1,F,young,true\nu2,M,old,true\nu3,F,old,true\n\
         u4,M,young,true\nu5,F,young,true\nq3,M,old,true\n\
         u7,M,old,true\nu8,F,young,false\nu9,F,old,true\n",
    );
}

/// The partition of the hand case's users.
fn hand_part(user: &str) -> usize {
    match user {
        "u1" | "u2" | "u3" => 0,
        "u4" | "u5" | "u6" | "q1" | "q2" | "q3" => 1,
        _ => 2,
    }
}

fn hand_config() -> AuditConfig {
    AuditConfig {
        k: 3,
        stats: StatsConfig {
            resamples: 50,
            permutations: 50,
            ..StatsConfig::default()
        },
        slices: SliceConfig {
            min_slice_size: 2,
            ..SliceConfig::default()
        },
        ..AuditConfig::default()
    }
}

#[test]
fn the_global_pass_numbers_the_catalog_and_counts_as_the_one_pass_reader_of_the_concatenation() {
    let src = tempfile::tempdir().unwrap();
    hand_case(src.path());
    for parquet in [false, true] {
        let (parts, concat) = split(src.path(), 3, &hand_part, parquet);
        let cfg = hand_config();
        let (_, ds, one_cfg) = one_pass(concat.path(), &cfg);
        // Items table; the lists' new items of P0 (x), P1 (y), P2 (z); the truth's of P0 (t2),
        // P1 (t1; q1's t9 is not an audited user's), P2 (h1, which P0's history named first);
        // the history's (h2, of q2 who has no list).
        let catalog = ["a", "b", "c", "d", "x", "y", "z", "t2", "t1", "h1", "h2"];
        assert_eq!(ds.items.ids, catalog);
        let layout = Layout::read(parts.path()).unwrap();
        assert_eq!(layout.partitions.len(), 3);
        let g = read_broadcast(&layout, &cfg).unwrap();
        let b = &g.broadcast;
        assert_eq!(b.items.items.ids, catalog);
        // Every item statistic of the one-pass dataset (γ is fitted by the pass: set equal).
        let whole =
            ItemStats::compute(&ds, &one_cfg).with_propensity_gamma(b.items.propensity_gamma);
        assert_eq!(b.items, whole);
        let h = b.items.history_items.as_ref().unwrap();
        // h1: u1, u5, u9; a: u1, u4, u7; b: u2, u8; h2: q2. History users: 8 (q2 included).
        assert_eq!(h, &[3, 2, 0, 0, 0, 0, 0, 0, 0, 3, 1]);
        assert_eq!(b.items.history_users, 8);
        // The input counts and the slice plan of the one-pass audit.
        let (theirs, _, _) = one_pass(concat.path(), &cfg);
        assert_eq!(g.inputs.input, theirs.input);
        assert_eq!(g.inputs.input.users_audited, 9);
        assert_eq!(g.inputs.input.recs_items_not_in_items_table, 3);
        assert_eq!(g.inputs.input.truth_rows_unaudited_users, 1);
        assert_eq!(g.inputs.input.users_without_recommendations, 1);
        let mut input = theirs.input.clone();
        input.users_missing_from_users_table = Some(1);
        input.users_without_consent = Some(1);
        let plan = SlicePlan::of(&audited_slices(&ds, &input, &one_cfg).unwrap());
        assert_eq!(b.plan, plan);
        // P0's users (u1, u2, u3 in key order) in global numbering: u3's truth {t2, z, a} is
        // sorted by global code (a = 0, z = 6, t2 = 7), not by P0's own (t2 before z).
        let p = read_partition(&layout, &layout.partitions[0], &g).unwrap();
        let u3 =
            p.ds.user_keys
                .iter()
                .position(|&k| k == id_key("u3"))
                .unwrap();
        let truth: Vec<u32> =
            p.ds.truth
                .as_ref()
                .unwrap()
                .row(u3)
                .iter()
                .map(|r| r.item)
                .collect();
        assert_eq!(truth, [0, 6, 7]);
        let whole_u3 = ds
            .user_keys
            .iter()
            .position(|&k| k == id_key("u3"))
            .unwrap();
        assert_eq!(
            p.ds.truth.as_ref().unwrap().row(u3),
            ds.truth.as_ref().unwrap().row(whole_u3)
        );
        assert_eq!(p.ds.recs.row(u3), ds.recs.row(whole_u3));
        assert_eq!(p.ds.history.as_ref().unwrap().distinct_users, *h);
        folder_agrees(parts.path(), concat.path(), &cfg);
    }
}

#[test]
fn a_generated_case_in_csv_partitions_is_the_one_pass_audit_of_the_concatenation() {
    // 400 users, 2 snapshots (the over-time block), 100 units: groups above 100 users pooled
    // (sums in partition order), Welch tests; 3 partitions by the user id's key.
    let src = tempfile::tempdir().unwrap();
    let gen = GeneratorConfig {
        n_users: 400,
        n_items: 150,
        history_per_user: 8,
        truth_per_user: 4,
        n_snapshots: 2,
        seed: 23,
        ..GeneratorConfig::default()
    };
    generate(&gen, src.path()).unwrap();
    let (parts, concat) = split(src.path(), 3, &by_key(3), false);
    let cfg = AuditConfig {
        stats: StatsConfig {
            resamples: 100,
            bootstrap_units: 100,
            permutation_max_n: 0,
            ..StatsConfig::default()
        },
        slices: SliceConfig {
            min_slice_size: 10,
            ..SliceConfig::default()
        },
        ..AuditConfig::default()
    };
    let a = folder_agrees(parts.path(), concat.path(), &cfg);
    assert!(a.numbers > 1_000, "{a:?}");
}

#[test]
fn the_shipped_example_in_parquet_partitions_is_the_one_pass_audit_of_the_concatenation() {
    // datasets/example (2,500 users; suppressed and withheld groups) in 4 Parquet partitions by
    // the user id's key, with an intersection, a chosen reference and γ fitted to the lists.
    let (parts, concat) = split(Path::new("datasets/example"), 4, &by_key(4), true);
    // The folder's tables are read, not `paths`.
    let cfg = crate::partial::tests::example_config(100);
    let a = folder_agrees(parts.path(), concat.path(), &cfg);
    assert!(a.numbers > 1_000, "{a:?}");
}

/// The error of auditing `dir` with the hand case's settings.
fn error_of(dir: &Path) -> String {
    audit_folder(dir, &hand_config()).unwrap_err().to_string()
}

#[test]
fn folders_that_do_not_follow_the_layout_are_refused_with_the_file_and_what_was_expected() {
    let src = tempfile::tempdir().unwrap();
    hand_case(src.path());

    // An empty folder, a file instead of a folder, an empty recs/.
    let empty = tempfile::tempdir().unwrap();
    let e = error_of(empty.path());
    assert!(
        e.contains("expected a folder `recs/`") && e.contains("(required)"),
        "{e}"
    );
    let e = error_of(&src.path().join("recs.csv"));
    assert!(e.contains("recs.csv") && e.contains("not a folder"), "{e}");
    std::fs::create_dir(empty.path().join("recs")).unwrap();
    std::fs::create_dir(empty.path().join("users")).unwrap();
    let e = error_of(empty.path());
    assert!(e.contains("no partition"), "{e}");

    // A partition missing from users/; a file of truth/ that recs/ does not have.
    let (parts, _) = split(src.path(), 3, &hand_part, false);
    let users1 = parts.path().join("users/part-00001.csv");
    std::fs::rename(&users1, parts.path().join("users/part-00001.txt")).unwrap();
    let e = error_of(parts.path());
    assert!(
        e.contains("part-00001.txt") && e.contains("expected .parquet or .csv"),
        "{e}"
    );
    std::fs::remove_file(parts.path().join("users/part-00001.txt")).unwrap();
    let e = error_of(parts.path());
    assert!(
        e.contains("users") && e.contains("no file for partition `part-00001`"),
        "{e}"
    );
    std::fs::write(&users1, "user_id,gender\n").unwrap();
    std::fs::write(
        parts.path().join("truth/part-00009.csv"),
        "user_id,item_id\n",
    )
    .unwrap();
    let e = error_of(parts.path());
    assert!(
        e.contains("part-00009.csv") && e.contains("recs/ has no file named `part-00009`"),
        "{e}"
    );
    std::fs::remove_file(parts.path().join("truth/part-00009.csv")).unwrap();
    // Two files of one partition; Spark's markers are ignored.
    std::fs::write(parts.path().join("recs/_SUCCESS"), "").unwrap();
    std::fs::write(parts.path().join("recs/.part-00000.csv.crc"), "").unwrap();
    std::fs::write(parts.path().join("recs/part-00000.parquet"), "").unwrap();
    let e = error_of(parts.path());
    assert!(e.contains("two files of partition `part-00000`"), "{e}");

    // A user with lists in two partitions: u1's rows of P0 also in P2.
    let (parts, _) = split(src.path(), 3, &hand_part, false);
    let p2 = parts.path().join("recs/part-00002.csv");
    let mut text = std::fs::read_to_string(&p2).unwrap();
    text.push_str("u1,d,1\n");
    std::fs::write(&p2, text).unwrap();
    let e = error_of(parts.path());
    assert!(
        e.contains("two partitions")
            && e.contains("part-00000.csv")
            && e.contains("part-00002.csv")
            && !e.contains("(key ")
            && !e.contains("xxhash64"),
        "{e}"
    );

    // A user's truth, history or users row in another partition than the user's other rows: the
    // concatenation would join it to the user, a partition alone would not.
    for (file, row, first, second) in [
        // u1's lists are in P0; a truth row in P2.
        (
            "truth/part-00002.csv",
            "u1,c,1\n",
            "part-00000 (",
            "part-00002 (",
        ),
        // u7 (P2) with a history row in P1.
        (
            "history/part-00001.csv",
            "u7,b,9\n",
            "part-00001 (",
            "part-00002 (",
        ),
        // u4 (P1) in the users table of P0 too.
        (
            "users/part-00000.csv",
            "u4,F,old,true\n",
            "part-00000 (",
            "part-00001 (",
        ),
        // q1, without lists, has truth in P1 and now history in P0.
        (
            "history/part-00000.csv",
            "q1,a,1\n",
            "part-00000 (",
            "part-00001 (",
        ),
    ] {
        let (parts, _) = split(src.path(), 3, &hand_part, false);
        let path = parts.path().join(file);
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str(row);
        std::fs::write(&path, text).unwrap();
        let e = error_of(parts.path());
        assert!(
            e.contains("a user has rows in two partitions")
                && e.contains(first)
                && e.contains(second)
                && e.contains(&path.display().to_string())
                && !e.contains("(key "),
            "{file}: {e}"
        );
    }

    // The users tables' columns differ.
    let (parts, _) = split(src.path(), 3, &hand_part, false);
    let users2 = parts.path().join("users/part-00002.csv");
    let text = std::fs::read_to_string(&users2).unwrap();
    std::fs::write(&users2, text.replacen("gender,age", "sex,age", 1)).unwrap();
    let e = error_of(parts.path());
    assert!(
        e.contains("part-00002.csv") && e.contains("the slice columns are sex, age"),
        "{e}"
    );

    // Snapshots: every partition holds the same labels.
    let (parts, _) = split(src.path(), 3, &hand_part, false);
    for i in 0..3 {
        let path = parts.path().join(format!("recs/part-{i:05}.csv"));
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines = text.lines();
        let mut out = format!("{},snapshot\n", lines.next().unwrap());
        for l in lines {
            out.push_str(&format!("{l},{}\n", if i == 1 { 2 } else { 1 }));
        }
        std::fs::write(&path, out).unwrap();
    }
    let e = error_of(parts.path());
    assert!(
        e.contains("part-00001.csv") && e.contains("the snapshot labels are [2]"),
        "{e}"
    );
}

#[test]
fn map_tasks_fed_from_bytes_give_the_folder_audit_bit_for_bit() {
    // As a Spark driver runs the folder's audit: the map tasks receive the global pass and the
    // segregation's fit as bytes and return their states as bytes, merged in partition order.
    let (parts, _concat) = split(Path::new("datasets/example"), 3, &by_key(3), true);
    let mut cfg = AuditConfig {
        stats: StatsConfig {
            resamples: 50,
            permutations: 50,
            ..StatsConfig::default()
        },
        ..AuditConfig::default()
    };
    cfg.slices.intersections = vec![vec!["gender".into(), "age_band".into()]];
    cfg.propensity_gamma = crate::metrics::quality::PropensityGamma::Estimate;
    let layout = Layout::read(parts.path()).unwrap();
    let g = read_broadcast(&layout, &cfg).unwrap();
    let shipped = g.map_task_bytes().unwrap();
    let task = Globals::for_map_tasks(&shipped).unwrap();
    assert_eq!(task.broadcast.cfg, g.broadcast.cfg);
    assert_eq!(task.broadcast.items, g.broadcast.items);
    assert_eq!(task.broadcast.plan, g.broadcast.plan);
    assert_eq!(task.to_plan, g.to_plan);
    let states = layout
        .partitions
        .iter()
        .map(|p| {
            let part = read_partition(&layout, p, &task).unwrap();
            let bytes = map_partition(&part, &task.broadcast).to_bytes();
            PartitionStates::from_bytes(&bytes).unwrap()
        })
        .reduce(PartitionStates::merge)
        .unwrap();
    let fitted = fit_segregation(&states, &g.broadcast).unwrap().unwrap();
    let fit = fit_from_bytes(&fit_to_bytes(&fitted).unwrap()).unwrap();
    let clusters = layout
        .partitions
        .iter()
        .map(|p| {
            let part = read_partition(&layout, p, &task).unwrap();
            let bytes = map_partition_clusters(&part, &fit, &task.broadcast).to_bytes();
            PartialClusters::from_bytes(&bytes).unwrap()
        })
        .reduce(PartialClusters::merge)
        .unwrap();
    let ours = finish_audit(
        states,
        Some((&fitted, &clusters)),
        &g.broadcast,
        g.inputs.clone(),
    )
    .unwrap();
    let theirs = audit_folder(parts.path(), &cfg).unwrap();
    assert!(ours.segregation.is_some());
    assert_eq!(
        serde_json::to_string(&ours).unwrap(),
        serde_json::to_string(&theirs).unwrap()
    );
    // Bytes of another kind, another version or with trailing bytes are refused.
    assert!(fit_from_bytes(&shipped).is_err());
    let mut newer = shipped.clone();
    newer[8] = 2;
    assert!(Globals::for_map_tasks(&newer)
        .unwrap_err()
        .to_string()
        .contains("version 2"));
    let mut longer = shipped.clone();
    longer.push(0);
    assert!(Globals::for_map_tasks(&longer)
        .unwrap_err()
        .to_string()
        .contains("trailing"));
}

#[test]
fn lists_and_users_alone_in_partitions_are_the_one_pass_audit_of_the_concatenation() {
    // No items, truth or history table: no item group, so the exposure shares' terms are the
    // total exposure only (the map indexed an empty grouping before).
    let src = tempfile::tempdir().unwrap();
    for table in ["recs", "users"] {
        let name = format!("{table}.csv");
        std::fs::copy(
            Path::new("datasets/example").join(&name),
            src.path().join(&name),
        )
        .unwrap();
    }
    let (parts, concat) = split(src.path(), 2, &by_key(2), true);
    let cfg = AuditConfig {
        stats: StatsConfig {
            resamples: 50,
            permutations: 50,
            ..StatsConfig::default()
        },
        ..AuditConfig::default()
    };
    let a = folder_agrees(parts.path(), concat.path(), &cfg);
    assert!(a.numbers > 100, "{a:?}");
}

/// Every part of `g` a map task or the finish reads, as text (`Globals` is not `PartialEq`).
fn globals_text(g: &Globals) -> Vec<String> {
    let ids: Vec<&str> = (0..g.catalog.len() as u32)
        .map(|i| g.catalog.id(i))
        .collect();
    vec![
        format!("{:?}", g.broadcast),
        format!("{:?}", g.inputs),
        format!("{ids:?}"),
        format!("{:?}", g.to_plan),
        format!("{:?}", g.labels),
    ]
}

/// The summaries of `summaries` (one per partition, in order) merged in random groupings of
/// consecutive partitions, each group's merge crossing as bytes, the groups merged right to
/// left (another tree than the left fold of `read_broadcast`).
fn merged_in_groups(summaries: &[GlobalSummary], rng: &mut impl rand::Rng) -> GlobalSummary {
    let mut groups: Vec<GlobalSummary> = Vec::new();
    let mut at = 0;
    while at < summaries.len() {
        let len = rng.gen_range(1..=summaries.len() - at);
        let group = summaries[at..at + len]
            .iter()
            .cloned()
            .reduce(|a, b| a.merge(b).unwrap())
            .unwrap();
        groups.push(GlobalSummary::from_bytes(&group.to_bytes().unwrap()).unwrap());
        at += len;
    }
    let mut merged = groups.pop().unwrap();
    while let Some(earlier) = groups.pop() {
        merged = earlier.merge(merged).unwrap();
    }
    merged
}

#[test]
fn global_summaries_merged_in_any_grouping_give_the_globals_of_the_global_pass() {
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(24);
    let hand = tempfile::tempdir().unwrap();
    hand_case(hand.path());
    let mut example_cfg = AuditConfig::default();
    example_cfg.slices.intersections = vec![vec!["gender".into(), "age_band".into()]];
    example_cfg.propensity_gamma = crate::metrics::quality::PropensityGamma::Estimate;
    let cases = [
        // Items new in every table, a history, unaudited users' rows (9 users, 3 partitions).
        (split(hand.path(), 3, &hand_part, false), hand_config()),
        // The example in 6 partitions by key (Parquet): items table, truth, history, slices.
        (
            split(Path::new("datasets/example"), 6, &by_key(6), true),
            example_cfg,
        ),
    ];
    for ((parts, _concat), cfg) in &cases {
        let layout = Layout::read(parts.path()).unwrap();
        let n = layout.partitions.len();
        let g = read_broadcast(&layout, cfg).unwrap();
        let want = globals_text(&g);
        // Each partition's summary crosses as bytes (as from a Spark executor), settings too.
        let cfg = settings_from_bytes(&settings_to_bytes(cfg).unwrap()).unwrap();
        let summaries: Vec<GlobalSummary> = (0..n)
            .map(|i| {
                let bytes = summarize_partition(&layout, i, &cfg)
                    .unwrap()
                    .to_bytes()
                    .unwrap();
                eprintln!(
                    "{}: partition {i}: {} bytes",
                    parts.path().display(),
                    bytes.len()
                );
                GlobalSummary::from_bytes(&bytes).unwrap()
            })
            .collect();
        for _ in 0..8 {
            let merged = merged_in_groups(&summaries, &mut rng);
            assert_eq!(merged.partitions().len(), n);
            let ours = merged.finish(&layout, &cfg).unwrap();
            assert_eq!(globals_text(&ours), want);
            assert_eq!(ours.map_task_bytes().unwrap(), g.map_task_bytes().unwrap());
        }
        // Merged out of order, or without a partition, the summaries are refused by the finish.
        let swapped = summaries[1].clone().merge(summaries[0].clone()).unwrap();
        let swapped = summaries[2..]
            .iter()
            .cloned()
            .fold(swapped, |a, b| a.merge(b).unwrap());
        let e = swapped.finish(&layout, &cfg).unwrap_err().to_string();
        assert!(e.contains("in partition order"), "{e}");
        let missing = summaries[..n - 1]
            .iter()
            .cloned()
            .reduce(|a, b| a.merge(b).unwrap())
            .unwrap();
        assert!(missing.finish(&layout, &cfg).is_err());
    }
}

#[test]
fn global_summaries_cross_as_versioned_bytes_and_other_bytes_are_refused() {
    let (parts, _concat) = split(Path::new("datasets/example"), 3, &by_key(3), false);
    let layout = Layout::read(parts.path()).unwrap();
    let cfg = AuditConfig::default();
    let s = summarize_partition(&layout, 0, &cfg).unwrap();
    let bytes = s.to_bytes().unwrap();
    assert_eq!(&bytes[..8], b"RAUDGSUM");
    let back = GlobalSummary::from_bytes(&bytes).unwrap();
    assert_eq!(back.to_bytes().unwrap(), bytes);
    assert_eq!(back.partitions(), [layout.partitions[0].name.clone()]);
    // Another kind of recaudit's bytes, another version, truncated or trailing bytes.
    let g = read_broadcast(&layout, &cfg).unwrap();
    let foreign = g.map_task_bytes().unwrap();
    assert!(GlobalSummary::from_bytes(&foreign)
        .unwrap_err()
        .to_string()
        .contains("RAUDGSUM"));
    assert!(settings_from_bytes(&bytes).is_err());
    let mut newer = bytes.clone();
    newer[8] = 2;
    assert!(GlobalSummary::from_bytes(&newer)
        .unwrap_err()
        .to_string()
        .contains("version 2"));
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(GlobalSummary::from_bytes(&longer)
        .unwrap_err()
        .to_string()
        .contains("checksum"));
    for cut in [0, 5, 12, 13, 20, bytes.len() / 2, bytes.len() - 1] {
        assert!(GlobalSummary::from_bytes(&bytes[..cut]).is_err(), "{cut}");
    }
    // Any byte changed after the version: the checksum (XXH64 of the payload) differs.
    let mut state = 7u64;
    for _ in 0..300 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut bad = bytes.clone();
        let at = 12 + (state >> 33) as usize % (bytes.len() - 12);
        bad[at] ^= 1 + (state >> 20) as u8 % 255;
        let e = GlobalSummary::from_bytes(&bad).unwrap_err().to_string();
        assert!(e.contains("checksum"), "{e}");
    }
    // Well-formed bytes of a summary whose parts do not fit together are refused too.
    let mut empty = s.clone();
    empty.partitions.clear();
    let e = GlobalSummary::from_bytes(&empty.to_bytes().unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains("no partition"), "{e}");
    assert!(GlobalSummary::from_bytes(b"not recaudit").is_err());
}
