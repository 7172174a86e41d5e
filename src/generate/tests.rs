//! Tests of [`generate`](super::generate) and [`GeneratorConfig::validate`](super::GeneratorConfig):
//! determinism, the files' shapes, columns and values, and the marginals without plants.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::Path;

use super::test_cases::{gen_case, load, read_csv, small};
use super::*;

#[test]
fn validate_rejects_bad_sizes() {
    let too_few_items = GeneratorConfig {
        n_items: 20,
        ..GeneratorConfig::default()
    };
    let err = too_few_items.validate().unwrap_err().to_string();
    assert!(err.contains("n_items must be at least"), "{err}");
    let narrowing_one_snapshot = GeneratorConfig {
        plants: Plants {
            narrowing_over_time: true,
            ..Plants::none()
        },
        ..GeneratorConfig::default()
    };
    assert!(narrowing_one_snapshot.validate().is_err());
    assert!(GeneratorConfig {
        k: 0,
        ..GeneratorConfig::default()
    }
    .validate()
    .is_err());
    assert!(example_config().validate().is_ok());
    assert!(example_over_time_config().validate().is_ok());
    assert!(bench_config(1_000_000, 1).validate().is_ok());
    assert_eq!(bench_config(1_000_000, 1).n_rec_rows(), 1_000_000);
    assert!(preset("example").is_some() && preset("nope").is_none());
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let cfg = GeneratorConfig {
        n_users: 300,
        n_snapshots: 2,
        plants: Plants {
            worse_group: true,
            narrowing_over_time: true,
            segregated_group: true,
            ..Plants::none()
        },
        ..GeneratorConfig::default()
    };
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        { tempfile::tempdir().unwrap() },
    );
    generate(&cfg, a.path()).unwrap();
    generate(&cfg, b.path()).unwrap();
    generate(
        &GeneratorConfig {
            seed: cfg.seed + 1,
            ..cfg.clone()
        },
        c.path(),
    )
    .unwrap();
    for name in ["recs", "users", "items", "truth", "history"] {
        let file = format!("{name}.csv");
        let fa = fs::read(a.path().join(&file)).unwrap();
        assert_eq!(fa, fs::read(b.path().join(&file)).unwrap(), "{file}");
        assert_ne!(fa, fs::read(c.path().join(&file)).unwrap(), "{file}");
    }
}

#[test]
fn parquet_is_deterministic_and_matches_csv_shape() {
    let cfg = GeneratorConfig {
        n_users: 150,
        format: OutputFormat::Parquet,
        ..GeneratorConfig::default()
    };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let files = generate(&cfg, a.path()).unwrap();
    generate(&cfg, b.path()).unwrap();
    for name in ["recs", "users", "items", "truth", "history"] {
        let file = format!("{name}.parquet");
        assert_eq!(
            fs::read(a.path().join(&file)).unwrap(),
            fs::read(b.path().join(&file)).unwrap(),
            "{file}"
        );
    }
    use polars::prelude::{LazyFrame, PlRefPath, ScanArgsParquet};
    let read = |p: &Path| {
        LazyFrame::scan_parquet(
            PlRefPath::new(p.to_str().unwrap()),
            ScanArgsParquet::default(),
        )
        .unwrap()
        .collect()
        .unwrap()
    };
    let recs = read(&files.recs);
    assert_eq!(recs.height(), 1_500);
    let names: Vec<&str> = recs.get_column_names().iter().map(|s| s.as_str()).collect();
    assert_eq!(names, ["user_id", "item_id", "rank", "score"]);
    let users = read(&files.users);
    assert_eq!(users.height(), 150);
    assert_eq!(users.width(), 7);
    assert_eq!(read(&files.items).height(), 500);
    assert_eq!(read(&files.history).height(), 150 * 20);
    assert_eq!(read(&files.truth).height(), 150 * 5);
}

#[test]
fn shapes_columns_ranks_and_values() {
    let cfg = GeneratorConfig {
        n_users: 400,
        n_snapshots: 3,
        ..GeneratorConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let files = generate(&cfg, dir.path()).unwrap();
    assert_eq!(files.n_rec_rows, 400 * 10 * 3);

    let (h, users) = read_csv(&files.users);
    assert_eq!(
        h,
        [
            "user_id",
            "gender",
            "age_band",
            "region",
            "country_tier",
            "tenure_band",
            "consent"
        ]
    );
    assert_eq!(users.len(), 400);
    assert_eq!(users[0][0], "u000001");
    assert_eq!(users[399][0], "u000400");
    for u in &users {
        assert!(GENDERS.contains(&u[1].as_str()));
        assert!(AGE_BANDS.contains(&u[2].as_str()));
        assert!(REGIONS.contains(&u[3].as_str()));
        assert!(COUNTRY_TIERS.contains(&u[4].as_str()));
        assert!(TENURE_BANDS.contains(&u[5].as_str()));
        assert!(u[6] == "true" || u[6] == "false");
    }

    let (h, items) = read_csv(&files.items);
    assert_eq!(h, ["item_id", "category", "provider", "popularity"]);
    assert_eq!(items.len(), 500);
    assert_eq!(items[0][0], "i00001");
    for it in &items {
        let cats: Vec<&str> = it[1].split('|').collect();
        assert!((1..=3).contains(&cats.len()), "{}", it[1]);
        assert_eq!(cats.iter().collect::<HashSet<_>>().len(), cats.len());
        assert!(PROVIDERS.contains(&it[2].as_str()));
        it[3].parse::<u64>().unwrap();
    }

    let (h, recs) = read_csv(&files.recs);
    assert_eq!(h, ["user_id", "item_id", "rank", "score", "snapshot"]);
    assert_eq!(recs.len(), 12_000);
    let (_, truth) = read_csv(&files.truth);
    assert_eq!(truth.len(), 400 * 5);
    let (h, history) = read_csv(&files.history);
    assert_eq!(h, ["user_id", "item_id", "timestamp"]);
    assert_eq!(history.len(), 400 * 20);

    // Lists: ranks 1..k in order, no duplicate item, scores strictly decreasing, no history
    // item; truth disjoint from history; history timestamps increasing.
    let case = load(dir.path());
    assert_eq!(case.lists.len(), 400 * 3);
    let mut scores: HashMap<(String, String), Vec<f64>> = HashMap::new();
    for r in &recs {
        scores
            .entry((r[0].clone(), r[4].clone()))
            .or_default()
            .push(r[3].parse().unwrap());
    }
    for (key, list) in &case.lists {
        let ranks: Vec<u32> = list.iter().map(|x| x.0).collect();
        assert_eq!(ranks, (1..=10).collect::<Vec<u32>>(), "{key:?}");
        let set: HashSet<&String> = list.iter().map(|x| &x.1).collect();
        assert_eq!(set.len(), 10, "{key:?}");
        assert!(scores[key].windows(2).all(|w| w[0] > w[1]), "{key:?}");
        let hist = &case.history[&key.0];
        assert!(list.iter().all(|(_, i)| !hist.contains(i)));
    }
    for (u, t) in &case.truth {
        assert_eq!(t.len(), 5);
        assert!(t.iter().all(|i| !case.history[u].contains(i)));
    }
    let mut last: HashMap<&str, u64> = HashMap::new();
    for r in &history {
        let ts: u64 = r[2].parse().unwrap();
        if let Some(prev) = last.insert(r[0].as_str(), ts) {
            assert!(ts > prev);
        }
    }
    // Popularity is the number of history users.
    let mut pop: HashMap<&str, u64> = HashMap::new();
    for r in &history {
        *pop.entry(r[1].as_str()).or_default() += 1;
    }
    for it in &items {
        assert_eq!(
            it[3].parse::<u64>().unwrap(),
            *pop.get(it[0].as_str()).unwrap_or(&0)
        );
    }
}

#[test]
fn marginals_and_single_snapshot_has_no_snapshot_column() {
    let (_dir, case) = gen_case(&small(7, Plants::none()));
    let n = case.users.len() as f64;
    let share =
        |col: usize, v: &str| case.users.values().filter(|u| u[col] == v).count() as f64 / n;
    assert!((share(1, "X") - 0.04).abs() < 0.02);
    assert!((share(6, "false") - 0.03).abs() < 0.015);
    assert!((share(2, "55+") - 0.22).abs() < 0.04);
    assert!(case.lists.keys().all(|(_, s)| s == "1"));
}

/// `generate_partitioned` in Parquet: every partition's tables are the whole file's rows of the
/// users with `pmod(xxhash64(user_id), n)` equal to it, in the whole file's order; the items table
/// is the whole file's; a partition without users has no file.
#[test]
fn partitioned_parquet_holds_each_partitions_users_rows_in_order() {
    use polars::prelude::*;

    let cfg = GeneratorConfig {
        n_users: 700,
        n_snapshots: 2,
        format: OutputFormat::Parquet,
        ..GeneratorConfig::default()
    };
    let (whole, parts) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    generate(&cfg, whole.path()).unwrap();
    let n = 5;
    let written = generate_partitioned(&cfg, parts.path(), n).unwrap();
    assert_eq!(
        written.partitions,
        (0..n).map(|p| format!("part-0000{p}")).collect::<Vec<_>>()
    );
    let read = |path: &Path| {
        ParquetReader::new(fs::File::open(path).unwrap())
            .finish()
            .unwrap()
    };
    assert!(read(&whole.path().join("items.parquet")).equals(&read(&written.items)));
    for table in PARTITIONED_FOLDERS {
        let all = read(&whole.path().join(format!("{table}.parquet")));
        let users = all.column("user_id").unwrap().str().unwrap().clone();
        let mut rows = 0;
        for p in 0..n {
            let mask: BooleanChunked = users
                .iter()
                .map(|u| {
                    let key = crate::data::id_key(u.unwrap());
                    Some(crate::data::partition_of_key(key, n) == p)
                })
                .collect();
            let want = all.filter(&mask).unwrap();
            let got = read(
                &parts
                    .path()
                    .join(table)
                    .join(format!("part-0000{p}.parquet")),
            );
            assert!(want.height() > 0 && got.equals(&want), "{table} {p}");
            rows += got.height();
        }
        assert_eq!(rows, all.height(), "{table}");
    }

    // 700 users in 2,000 partitions: most partitions get no user, and no file.
    let sparse = tempfile::tempdir().unwrap();
    let written = generate_partitioned(&cfg, sparse.path(), 2_000).unwrap();
    assert!(written.partitions.len() < 700 && written.partitions[0].len() == "part-00000".len());
    for table in PARTITIONED_FOLDERS {
        let names: Vec<String> = fs::read_dir(sparse.path().join(table))
            .unwrap()
            .map(|e| {
                e.unwrap()
                    .file_name()
                    .to_string_lossy()
                    .replace(".parquet", "")
            })
            .collect();
        assert_eq!(names.len(), written.partitions.len(), "{table}");
    }
    assert_eq!(partition_name(7, 100_001), "part-000007");
}
