//! The over-time block from merged partition states against the one-pass audit.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

use super::*;
use crate::audit::audit_dataset;
use crate::data::{Categorical, Csr, Relevant};
use crate::generate::{generate, GeneratorConfig};
use crate::input::{self, TablePaths};
use crate::metrics::bubble::test_fixtures::snapshot_dataset;
use crate::metrics::PositionWeight;
use crate::partial::tests::{merge_randomly, through_the_wire};
use crate::partial::{audited_slices, partition_dataset, OVER_TIME_MAGIC};
use crate::slices::SliceConfig;
use crate::stats::StatsConfig;

/// The state of each partition of `parts` (users of `ds`), through bytes.
fn map_parts(
    ds: &Dataset,
    parts: &[Vec<u32>],
    codes: &[&[u32]],
    plan: &SlicePlan,
    items: &ItemStats,
    cfg: &AuditConfig,
) -> Vec<PartialOverTime> {
    parts
        .iter()
        .map(|users| {
            let part = partition_dataset(ds, users, items);
            let state = map_over_time(&part, users, codes, plan, items, cfg);
            through_the_wire(
                state,
                OVER_TIME_MAGIC,
                PartialOverTime::to_bytes,
                PartialOverTime::from_bytes,
            )
        })
        .collect()
}

/// How a finished block compares with the one-pass block.
#[derive(Debug, Default)]
struct Agreement {
    /// Numbers compared.
    numbers: usize,
    /// Of them, bit-identical.
    identical: usize,
    /// Numbers from sums of f64 (means of slopes, overlaps and entropies; exposure owed).
    summed: usize,
    /// The largest |x − y| / max(|x|, |y|) of those.
    max_rel: f64,
    /// Its path.
    worst: String,
}

/// Whether the number at `path` is built on f64 sums whose order depends on the partitioning;
/// every other number comes from counts and must be bit-identical.
fn from_f64_sums(path: &str) -> bool {
    path.starts_with("/exposure_owed")
        || ["mean_slope", "mean_overlap", "mean_list_entropy"]
            .iter()
            .any(|k| path.ends_with(k))
}

/// Walks `ours` against `theirs`: every non-number equal (verdicts, flags, labels, keys), integer
/// counts equal, numbers from counts bit for bit, numbers from f64 sums compared relatively.
fn compare(path: &str, ours: &Value, theirs: &Value, a: &mut Agreement) {
    match (ours, theirs) {
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(
                x.keys().collect::<Vec<_>>(),
                y.keys().collect::<Vec<_>>(),
                "{path}"
            );
            for (k, v) in x {
                compare(&format!("{path}/{k}"), v, &y[k], a);
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{path}");
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                compare(&format!("{path}/{i}"), v, w, a);
            }
        }
        (Value::Number(x), Value::Number(y)) => {
            a.numbers += 1;
            if x.is_f64() || y.is_f64() {
                let (p, q) = (x.as_f64().unwrap(), y.as_f64().unwrap());
                if p.to_bits() == q.to_bits() {
                    a.identical += 1;
                }
                if from_f64_sums(path) {
                    a.summed += 1;
                    let rel = if p == q {
                        0.0
                    } else {
                        (p - q).abs() / p.abs().max(q.abs())
                    };
                    if rel > a.max_rel {
                        a.max_rel = rel;
                        a.worst = format!("{path}: {p:e} vs {q:e}");
                    }
                } else {
                    assert_eq!(p.to_bits(), q.to_bits(), "{path}: {p:e} vs {q:e}");
                }
            } else {
                assert_eq!(x, y, "{path}");
                a.identical += 1;
            }
        }
        _ => assert_eq!(ours, theirs, "{path}"),
    }
}

#[test]
fn merged_partitions_give_the_one_pass_over_time_block() {
    let mut rng = ChaCha8Rng::seed_from_u64(31);
    let cases = [
        (300, 2, PositionWeight::Log),
        (400, 3, PositionWeight::Rbp { patience: 0.8 }),
        (500, 4, PositionWeight::Uniform),
    ];
    let mut total = Agreement::default();
    let mut splits = 0;
    for (case, (n_users, n_snapshots, weight)) in cases.into_iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let gen = GeneratorConfig {
            n_users,
            n_items: 150,
            history_per_user: 8,
            truth_per_user: 4,
            n_snapshots,
            seed: 60 + case as u64,
            ..GeneratorConfig::default()
        };
        generate(&gen, dir.path()).unwrap();
        let cfg = AuditConfig {
            paths: TablePaths::in_folder(dir.path(), "csv"),
            stats: StatsConfig {
                resamples: 50,
                permutations: 50,
                seed: 5 + case as u64,
                ..StatsConfig::default()
            },
            slices: SliceConfig {
                min_slice_size: 10,
                ..SliceConfig::default()
            },
            position_weight: weight,
            ..AuditConfig::default()
        };
        let (ds, input) = input::load(&cfg.input()).unwrap();
        let one_pass = audit_dataset(&ds, input.clone(), &cfg, &()).unwrap();
        let theirs = serde_json::to_value(one_pass.over_time.as_ref().expect("snapshots")).unwrap();
        assert!(!one_pass
            .over_time
            .as_ref()
            .unwrap()
            .exposure_owed
            .is_empty());
        let items = ItemStats::compute(&ds, &cfg);
        let slices = audited_slices(&ds, &input, &cfg).unwrap();
        let plan = SlicePlan::of(&slices);
        assert_eq!(plan.columns.len(), 5);
        let codes: Vec<&[u32]> = slices.iter().map(|c| c.codes.as_slice()).collect();

        // One partition holding every user (shuffled), merged with an empty one: the one-pass
        // bits, every number.
        let mut all: Vec<u32> = (0..ds.n_users as u32).collect();
        all.shuffle(&mut rng);
        let states = map_parts(&ds, &[all, Vec::new()], &codes, &plan, &items, &cfg);
        let merged = merge_randomly(states, PartialOverTime::merge, &mut rng);
        let finished = finish_over_time(&merged, &plan, &items, &cfg).unwrap();
        let ours = serde_json::to_value(finished.as_ref().unwrap()).unwrap();
        let mut whole = Agreement::default();
        compare("", &ours, &theirs, &mut whole);
        assert_eq!(whole.identical, whole.numbers, "one partition: {whole:?}");
        eprintln!(
            "{n_users} users, {n_snapshots} snapshots, one partition: {} of {} numbers bit-identical, state {} B",
            whole.identical,
            whole.numbers,
            merged.to_bytes().len()
        );

        for _ in 0..3 {
            let n_parts = rng.gen_range(1..=5);
            let mut parts: Vec<Vec<u32>> = vec![Vec::new(); n_parts];
            for u in 0..ds.n_users as u32 {
                parts[rng.gen_range(0..n_parts)].push(u);
            }
            for users in &mut parts {
                users.shuffle(&mut rng);
            }
            let states = map_parts(&ds, &parts, &codes, &plan, &items, &cfg);
            let largest = states.iter().map(|s| s.to_bytes().len()).max();
            let merged = merge_randomly(states, PartialOverTime::merge, &mut rng);
            let finished = finish_over_time(&merged, &plan, &items, &cfg).unwrap();
            let ours = serde_json::to_value(finished.as_ref().unwrap()).unwrap();
            let mut a = Agreement::default();
            compare("", &ours, &theirs, &mut a);
            eprintln!(
                "{n_users} users, {n_snapshots} snapshots, {n_parts} partitions: {} of {} numbers bit-identical ({} from f64 sums, largest relative difference {:e} at {}); largest partition state {} B, merged {} B",
                a.identical,
                a.numbers,
                a.summed,
                a.max_rel,
                a.worst,
                largest.unwrap_or(0),
                merged.to_bytes().len()
            );
            total.numbers += a.numbers;
            total.identical += a.identical;
            total.summed += a.summed;
            if a.max_rel > total.max_rel {
                total.max_rel = a.max_rel;
                total.worst = a.worst;
            }
            splits += 1;
        }

        // A state of other settings, another plan or another catalog is refused.
        let other = AuditConfig {
            bubble: crate::metrics::bubble::BubbleConfig {
                slope_threshold: 0.2,
                ..cfg.bubble.clone()
            },
            ..cfg.clone()
        };
        assert!(finish_over_time(&merged, &plan, &items, &other).is_err());
        let fewer = SlicePlan {
            columns: plan.columns[1..].to_vec(),
        };
        assert!(finish_over_time(&merged, &fewer, &items, &cfg).is_err());
    }
    assert_eq!(splits, 9);
    eprintln!("over time: {splits} splits, {total:?}");
    assert!(total.max_rel <= 1e-12, "{total:?}");
}

#[test]
fn merge_adds_the_sums_of_two_partitions_by_hand() {
    // The bubble fixture (three snapshots, four users; docs in `test_fixtures`), with item groups
    // (items 0–4 "indie", the rest "major") and a truth table, split into users {0, 1} and {2, 3}.
    let mut ds = snapshot_dataset();
    ds.user_keys = vec![10u64, 11, 12, 13].into();
    ds.items.groups = vec![Categorical {
        name: "provider".into(),
        labels: vec!["indie".into(), "major".into()],
        codes: (0..11).map(|i| u32::from(i >= 5)).collect(),
    }];
    let rel = |item| Relevant {
        item,
        relevance: 1.0,
    };
    ds.truth = Some(Csr::from_rows(vec![
        vec![rel(0)],
        vec![rel(6)],
        vec![rel(1)],
        vec![rel(7)],
    ]));
    let cfg = AuditConfig {
        position_weight: PositionWeight::Uniform,
        ..AuditConfig::default()
    };
    let items = ItemStats::compute(&ds, &cfg);
    let plan = SlicePlan::default();
    let map = |users: &[u32]| {
        let part = partition_dataset(&ds, users, &items);
        map_over_time(&part, users, &[], &plan, &items, &cfg)
    };
    let (a, b) = (map(&[1, 0]), map(&[3, 2]));
    let ot = crate::metrics::bubble::over_time(&ds, &cfg.bubble).unwrap();
    // Users 0 and 1: slopes (h2 − 2)/2 = −0.594 (falling) and 0; overlaps 3/8 and 1 (frozen).
    assert_eq!(
        (a.sets[0].trend.n_slopes, a.sets[0].trend.n_falling),
        (2, 1)
    );
    assert_eq!(a.sets[0].trend.slope_sum, ot.slopes[0] + ot.slopes[1]);
    assert_eq!(ot.slopes[1], 0.0);
    assert_eq!(a.sets[0].trend.n_frozen, 1);
    // Users 2 and 3: user 2's slope 1 (rising), user 3 one list (no slope, no overlap).
    assert_eq!((b.sets[0].trend.n_slopes, b.sets[0].trend.n_rising), (1, 1));
    let merged = a.clone().merge(b.clone());
    let t = merged.sets[0].trend;
    assert_eq!((t.n_slopes, t.n_falling, t.n_rising), (3, 1, 1));
    assert_eq!((t.n_overlaps, t.n_frozen), (3, 1));
    assert_eq!(t.slope_sum, (ot.slopes[0] + ot.slopes[1]) + ot.slopes[2]);
    assert_eq!(ot.slopes[2], 1.0);
    // Snapshot t2: {0, 1} show [4 6 7 8], [0 1 4 5]; {2, 3} show [0 1 2 3], [9]: item 4 twice,
    // 0 and 1 twice, seven other items once, item 10 never.
    let s2 = &merged.sets[0].snapshots[2];
    assert_eq!(s2.n_lists, 4);
    assert_eq!(s2.counts, [2, 2, 1, 1, 2, 1, 1, 1, 1, 1, 0]);
    // Exposure (uniform weight) in t0: {0, 1} show [0 1 2 3] (4 indie) and [0 1 4 5] (3 indie,
    // 1 major); {2, 3}: [4 6 7 0] (2 indie, 2 major).
    let owed = &merged.owed.as_ref().unwrap()[0];
    assert_eq!(owed.exposure[0], [4.0 + 3.0 + 2.0, 1.0 + 2.0]);
    // Merit in t0: the users with a list (0, 1, 2): items 0 (indie), 6 (major), 1 (indie).
    assert_eq!(owed.merit[0], [2.0, 1.0]);
    // Merging in either order, through bytes, finishes to the one-pass block.
    let other = PartialOverTime::from_bytes(&b.merge(a).to_bytes()).unwrap();
    for state in [merged, other] {
        let r = finish_over_time(&state, &plan, &items, &cfg)
            .unwrap()
            .unwrap();
        let all = crate::metrics::bubble::slice_trend(&ds, &ot, &[0, 1, 2, 3], &cfg.bubble);
        assert_eq!(r.overall_trend, all);
        assert_eq!(r.overall, ot.snapshots);
        // t1: three identical lists → personalisation 0; t2: Σ C(c, 2) = 3 over C(4, 2) = 6
        // pairs of k = 4 → 1 − 3/24 = 0.875.
        let p: Vec<_> = r.overall.iter().map(|s| s.personalisation).collect();
        assert_eq!((p[1], p[2]), (Some(0.0), Some(0.875)));
        let lists: Vec<&Csr<u32>> = ds.snapshots.iter().map(|s| &s.lists).collect();
        let groups = crate::metrics::exposure::ItemGroups::from_categorical(&ds.items.groups[0]);
        let one_pass = crate::metrics::exposure::exposure_owed(
            &lists,
            ds.truth.as_ref().unwrap(),
            &groups,
            &cfg.position_weight,
        );
        assert_eq!(r.exposure_owed.get("provider"), one_pass.as_ref());
    }
}
