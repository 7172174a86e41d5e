//! The exposure-share intervals from merged partition states against the one-pass audit.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::audit::audit_dataset;
use crate::data::Csr;
use crate::generate::{generate, GeneratorConfig};
use crate::input::{self, TablePaths};
use crate::metrics::PositionWeight;
use crate::partial::tests::{merge_randomly, through_the_wire, users_lists_and_codes};
use crate::partial::{audited_slices, EXPOSURE_SHARES_MAGIC};
use crate::slices::SliceConfig;
use crate::stats::bootstrap::bucket_of;

/// The state of each partition of `parts` (users of `ds`, in their order), through bytes; and
/// the size of the largest partition's bytes.
fn map_parts(
    ds: &Dataset,
    parts: &[Vec<u32>],
    codes: &[&[u32]],
    plan: &SlicePlan,
    items: &ItemStats,
    cfg: &AuditConfig,
) -> (Vec<PartialExposureShares>, usize) {
    let mut largest = 0;
    let states = parts
        .iter()
        .map(|users| {
            let (keys, lists, local) = users_lists_and_codes(ds, users, codes);
            let local: Vec<&[u32]> = local.iter().map(Vec::as_slice).collect();
            let state = map_exposure_shares(&keys, &lists, &local, plan, items, cfg);
            largest = largest.max(state.to_bytes().len());
            through_the_wire(
                state,
                EXPOSURE_SHARES_MAGIC,
                PartialExposureShares::to_bytes,
                PartialExposureShares::from_bytes,
            )
        })
        .collect();
    (states, largest)
}

/// How two sets of shares agree: numbers compared, bit-identical, the largest relative
/// difference |a − b| / max(|a|, |b|).
#[derive(Debug, Default, Clone, Copy)]
struct Agreement {
    numbers: usize,
    identical: usize,
    largest: f64,
}

/// Compares every estimate of `ours` with `theirs`: the same keys, counts and definedness, the
/// numbers' agreement returned.
fn compare(
    ours: &BTreeMap<String, ExposureShares>,
    theirs: &BTreeMap<String, ExposureShares>,
) -> Agreement {
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>()
    );
    let mut out = Agreement::default();
    let mut number = |what: &str, x: Option<f64>, y: Option<f64>| {
        let (Some(x), Some(y)) = (x, y) else {
            assert_eq!(x.is_some(), y.is_some(), "{what}: {x:?} vs {y:?}");
            return;
        };
        out.numbers += 1;
        if x.to_bits() == y.to_bits() {
            out.identical += 1;
        } else {
            let rel = (x - y).abs() / x.abs().max(y.abs());
            out.largest = out.largest.max(rel);
        }
    };
    let mut estimates =
        |what: &str, a: &BTreeMap<String, Estimate>, b: &BTreeMap<String, Estimate>| {
            assert_eq!(
                a.keys().collect::<Vec<_>>(),
                b.keys().collect::<Vec<_>>(),
                "{what}"
            );
            for (label, x) in a {
                let y = &b[label];
                assert_eq!(x.n, y.n, "{what} {label}");
                let what = format!("{what} {label}");
                number(&what, x.value, y.value);
                number(&what, x.ci_low, y.ci_low);
                number(&what, x.ci_high, y.ci_high);
            }
        };
    for (column, a) in ours {
        let b = &theirs[column];
        estimates(column, &a.overall, &b.overall);
        assert_eq!(
            a.slices.keys().collect::<Vec<_>>(),
            b.slices.keys().collect::<Vec<_>>()
        );
        for (slice, groups) in &a.slices {
            let other = &b.slices[slice];
            assert_eq!(
                groups.keys().collect::<Vec<_>>(),
                other.keys().collect::<Vec<_>>()
            );
            for (group, shares) in groups {
                estimates(&format!("{column} {slice}={group}"), shares, &other[group]);
            }
        }
    }
    out
}

#[test]
fn merged_partitions_give_the_exposure_shares_of_the_one_pass_audit() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    // (users, two-way units, users-only units): 4,096 two-way units are 64 item units × 64 user
    // units, 400 are 20 × 20, 0 every user and item; 100 users-only units pool the larger groups.
    let cases = [(300, 4_096, 100), (450, 400, 100), (350, 0, 0)];
    let weights = [
        PositionWeight::Log,
        PositionWeight::Rbp { patience: 0.8 },
        PositionWeight::Uniform,
    ];
    let mut largest_multi = 0.0f64;
    let mut summary = Vec::new();
    for (case, ((n_users, two_way_units, only_units), weight)) in
        cases.into_iter().zip(weights).enumerate()
    {
        let dir = tempfile::tempdir().unwrap();
        let gen = GeneratorConfig {
            n_users,
            n_items: 150,
            seed: 60 + case as u64,
            ..GeneratorConfig::default()
        };
        generate(&gen, dir.path()).unwrap();
        for item_resampling in [true, false] {
            let cfg = AuditConfig {
                paths: TablePaths::in_folder(dir.path(), "csv"),
                stats: StatsConfig {
                    resamples: 80,
                    permutations: 50,
                    seed: 5 + case as u64,
                    bootstrap_units: if item_resampling {
                        two_way_units
                    } else {
                        only_units
                    },
                    item_resampling,
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
            let one_pass = audit_dataset(&ds, input.clone(), &cfg, &())
                .unwrap()
                .corpus
                .exposure_share_intervals;
            let items = ItemStats::compute(&ds, &cfg);
            let slices = audited_slices(&ds, &input, &cfg).unwrap();
            let plan = SlicePlan::of(&slices);
            let codes: Vec<&[u32]> = slices.iter().map(|c| c.codes.as_slice()).collect();
            let sizes: Vec<&Vec<usize>> = plan.columns.iter().map(|c| &c.sizes).collect();
            let cap = user_units(&cfg.stats, items.n_items);
            let per_user = sizes.iter().flat_map(|s| s.iter()).filter(|&&n| n <= cap);
            eprintln!(
                "{n_users} users, item resampling {item_resampling}, {} units (user units {cap}): \
                 slice groups {sizes:?}, {} resampled user by user",
                cfg.stats.bootstrap_units,
                per_user.count()
            );
            assert!(one_pass.values().any(|s| s.overall.len() > 1));
            for split in 0..3 {
                // The first split holds every user in one partition.
                let n_parts = if split == 0 { 1 } else { rng.gen_range(2..=5) };
                let mut parts: Vec<Vec<u32>> = vec![Vec::new(); n_parts];
                for u in 0..ds.n_users as u32 {
                    parts[rng.gen_range(0..n_parts)].push(u);
                }
                for users in &mut parts {
                    users.shuffle(&mut rng);
                }
                let (states, largest) = map_parts(&ds, &parts, &codes, &plan, &items, &cfg);
                let merged = merge_randomly(states, PartialExposureShares::merge, &mut rng);
                let merged_bytes = merged.to_bytes().len();
                let finished = finish_exposure_shares(&merged, &plan, &items, &cfg).unwrap();
                let agreement = compare(&finished, &one_pass);
                eprintln!(
                    "  {n_parts} partitions: {} of {} numbers bit-identical, largest relative \
                     difference {:.2e}; largest partition state {largest} B, merged {merged_bytes} B",
                    agreement.identical, agreement.numbers, agreement.largest
                );
                summary.push((n_users, item_resampling, n_parts, agreement, largest));
                if n_parts == 1 {
                    assert_eq!(
                        agreement.identical, agreement.numbers,
                        "one partition gives the one-pass bits"
                    );
                } else {
                    largest_multi = largest_multi.max(agreement.largest);
                    assert!(agreement.largest <= 1e-12, "{agreement:?}");
                }
                // Without every user, or under other settings, finish refuses the state.
                let other = AuditConfig {
                    stats: StatsConfig {
                        seed: cfg.stats.seed + 1,
                        ..cfg.stats
                    },
                    ..cfg.clone()
                };
                assert!(finish_exposure_shares(&merged, &plan, &items, &other).is_err());
                let fewer = SlicePlan {
                    columns: plan.columns[1..].to_vec(),
                };
                assert!(finish_exposure_shares(&merged, &fewer, &items, &cfg).is_err());
            }
            let none = map_exposure_shares(
                &[],
                &Csr::default(),
                &vec![&[][..]; codes.len()],
                &plan,
                &items,
                &cfg,
            );
            assert!(finish_exposure_shares(&none, &plan, &items, &cfg).is_err());
        }
    }
    eprintln!(
        "exposure shares: {} splits, largest relative difference over several partitions {:.2e}",
        summary.len(),
        largest_multi
    );
}

#[test]
fn merge_adds_bucket_cells_and_keeps_users_up_to_the_cap() {
    let cell = |key: u64, term: u32, values: [f64; 2]| BucketCell {
        first: (key, term),
        values: values.to_vec(),
    };
    let user = |key: u64| UserCells {
        key,
        item_unit: vec![3],
        values: vec![key as f64, 1.0],
    };
    let a = CellSet {
        n: 2,
        users: Some(vec![user(10), user(30)]),
        buckets: [
            ((0, 1), cell(10, 0, [0.5, 1.0])),
            ((1, 1), cell(30, 2, [0.25, 0.5])),
        ]
        .into_iter()
        .collect(),
    };
    let b = CellSet {
        n: 1,
        users: Some(vec![user(20)]),
        buckets: [
            ((0, 1), cell(20, 1, [0.125, 2.0])),
            ((0, 2), cell(20, 0, [1.0, 1.0])),
        ]
        .into_iter()
        .collect(),
    };
    let merged = CellSet::merge(a.clone(), b.clone(), 3);
    assert_eq!(merged.n, 3);
    // Cell (0, 1): sums added (0.5 + 0.125, 1 + 2), first term the smaller (user 10's).
    assert_eq!(merged.buckets[&(0, 1)], cell(10, 0, [0.625, 3.0]));
    assert_eq!(merged.buckets[&(1, 1)], a.buckets[&(1, 1)]);
    assert_eq!(merged.buckets[&(0, 2)], b.buckets[&(0, 2)]);
    let keys: Vec<u64> = merged.users.iter().flatten().map(|u| u.key).collect();
    assert_eq!(keys, [10, 30, 20]);
    // Commutative, and the users dropped above the cap.
    let other_way = CellSet::merge(b.clone(), a.clone(), 3);
    assert_eq!(other_way.buckets, merged.buckets);
    assert_eq!(CellSet::merge(a, b, 2).users, None);
    // Laid out: the buckets' cells in order of their first term; the users' by key.
    let (cells, units) = lay_out_cells(&merged, 2, 2).unwrap();
    assert_eq!(units, 2);
    assert_eq!(cells.user_unit, [0, 0, 1]);
    assert_eq!(cells.item_unit, [1, 2, 1]);
    assert_eq!(cells.values, [0.625, 3.0, 1.0, 1.0, 0.25, 0.5]);
    let (cells, units) = lay_out_cells(&merged, 3, 2).unwrap();
    assert_eq!(units, 3);
    assert_eq!(cells.user_unit, [0, 1, 2]);
    assert_eq!(cells.values, [10.0, 1.0, 20.0, 1.0, 30.0, 1.0]);
    // A set resampled user by user without its users' cells is refused.
    let pooled_only = CellSet {
        users: None,
        ..merged
    };
    assert!(lay_out_cells(&pooled_only, 3, 2).is_err());
}

/// A set's bucket cells as the plain definition gives them: every term, users in ascending key
/// and each user's terms in order, added to its (bucket, item unit) cell of a map, the cell
/// created with the first term that reaches it.
fn bucket_cells_by_definition(
    keys: &[u64],
    terms: &Csr<Term>,
    item_unit: &[u32],
    users: &[usize],
    k_cap: usize,
    user_key: u64,
    n_cols: usize,
) -> BTreeMap<(u32, u32), BucketCell> {
    let mut buckets: BTreeMap<(u32, u32), BucketCell> = BTreeMap::new();
    for &u in users {
        let k = bucket_of(user_key, keys[u], k_cap);
        for (i, t) in terms.row(u).iter().enumerate() {
            let cell = buckets
                .entry((k, item_unit[t.item as usize]))
                .or_insert_with(|| BucketCell {
                    first: (keys[u], i as u32),
                    values: vec![0.0; n_cols],
                });
            cell.values[t.column as usize] += t.value;
        }
    }
    buckets
}

#[test]
fn bucket_cells_through_the_table_and_the_map_are_those_of_the_definition() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for case in 0..40 {
        let n_users = rng.gen_range(0..300);
        let n_items = rng.gen_range(1..50u32);
        let n_cols = rng.gen_range(1..5usize);
        let m_units = rng.gen_range(1..9usize);
        let k_cap = rng.gen_range(1..20usize);
        let mut keys: Vec<u64> = (0..n_users).map(|_| rng.gen()).collect();
        keys.sort_unstable();
        keys.dedup();
        let item_unit: Vec<u32> = (0..n_items)
            .map(|_| rng.gen_range(0..m_units as u32))
            .collect();
        let terms = Csr::from_rows((0..keys.len()).map(|_| {
            (0..rng.gen_range(0..12))
                .map(|_| Term {
                    item: rng.gen_range(0..n_items),
                    column: rng.gen_range(0..n_cols as u32),
                    value: rng.gen_range(-1.0..4.0),
                })
                .collect::<Vec<_>>()
        }));
        let users: Vec<usize> = (0..keys.len()).filter(|_| rng.gen_bool(0.7)).collect();
        let user_key = rng.gen();
        let expected =
            bucket_cells_by_definition(&keys, &terms, &item_unit, &users, k_cap, user_key, n_cols);
        for dense_limit in [0, DENSE_CELLS] {
            let builder = CellSetBuilder {
                keys: &keys,
                terms: &terms,
                item_unit: &item_unit,
                k_cap,
                m_units,
                user_key,
                n_cols,
                dense_limit,
            };
            let built = builder.build(&users, Some(true));
            assert_eq!(built.n, users.len() as u64);
            assert_eq!(built.users, None, "case {case}");
            // Bit for bit: the same additions in the same order.
            assert_eq!(built.buckets.len(), expected.len(), "case {case}");
            for (at, cell) in &expected {
                let got = &built.buckets[at];
                assert_eq!(got.first, cell.first, "case {case} cell {at:?}");
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(
                    bits(&got.values),
                    bits(&cell.values),
                    "case {case} cell {at:?}"
                );
            }
        }
    }
}

/// The exposure shares at the default settings (4,096 units, B = 200) and a larger scale: 20,000
/// generated users, 2,000 items, 4 partitions by user id mod 4, both modes, against the one-pass
/// `exposure_share_intervals`. Run with `cargo test --lib exposure_shares_at_20k_users --
/// --ignored --nocapture`. Figures in docs/scaling.md.
#[test]
#[ignore = "a measurement: about a minute"]
fn exposure_shares_at_20k_users() {
    use crate::audit::exposure_intervals::exposure_share_intervals;
    use crate::metrics::exposure::ExposureConfig;
    use std::time::Instant;
    let dir = tempfile::tempdir().unwrap();
    let gen = GeneratorConfig {
        n_users: 20_000,
        n_items: 2_000,
        seed: 5,
        ..GeneratorConfig::default()
    };
    generate(&gen, dir.path()).unwrap();
    for item_resampling in [true, false] {
        let cfg = AuditConfig {
            paths: TablePaths::in_folder(dir.path(), "csv"),
            stats: StatsConfig {
                resamples: 200,
                item_resampling,
                ..StatsConfig::default()
            },
            ..AuditConfig::default()
        };
        let (ds, input) = input::load(&cfg.input()).unwrap();
        let items = ItemStats::compute(&ds, &cfg);
        let slices = audited_slices(&ds, &input, &cfg).unwrap();
        let plan = SlicePlan::of(&slices);
        let codes: Vec<&[u32]> = slices.iter().map(|c| c.codes.as_slice()).collect();
        let exposure_cfg = ExposureConfig {
            weight: cfg.position_weight,
        };
        let t = Instant::now();
        let one_pass = exposure_share_intervals(
            &ds,
            items.popularity.as_ref(),
            &exposure_cfg,
            &slices,
            &cfg.stats,
        );
        let one_pass_time = t.elapsed();
        let parts: Vec<Vec<u32>> = (0..4u32)
            .map(|p| (0..ds.n_users as u32).filter(|u| u % 4 == p).collect())
            .collect();
        let t = Instant::now();
        let states: Vec<PartialExposureShares> = parts
            .iter()
            .map(|users| {
                let (keys, lists, local) = users_lists_and_codes(&ds, users, &codes);
                let local: Vec<&[u32]> = local.iter().map(Vec::as_slice).collect();
                map_exposure_shares(&keys, &lists, &local, &plan, &items, &cfg)
            })
            .collect();
        let map_time = t.elapsed();
        let sizes: Vec<usize> = states.iter().map(|s| s.to_bytes().len()).collect();
        let t = Instant::now();
        let merged = states.into_iter().reduce(|a, b| a.merge(b)).unwrap();
        let finished = finish_exposure_shares(&merged, &plan, &items, &cfg).unwrap();
        let finish_time = t.elapsed();
        let agreement = compare(&finished, &one_pass);
        eprintln!(
            "20,000 users, item resampling {item_resampling}: {} of {} numbers bit-identical, \
             largest relative difference {:.2e}; partition states {sizes:?} B, merged {} B; \
             one pass {one_pass_time:.2?}, map {map_time:.2?}, merge and finish {finish_time:.2?}",
            agreement.identical,
            agreement.numbers,
            agreement.largest,
            merged.to_bytes().len()
        );
        assert!(agreement.largest <= 1e-12, "{agreement:?}");
    }
}
