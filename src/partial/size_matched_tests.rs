//! The size-matched comparison from merged partition states against the one-pass audit.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::audit::audit_dataset;
use crate::data::Dataset;
use crate::generate::{generate, GeneratorConfig};
use crate::input::{self, TablePaths};
use crate::metrics::PositionWeight;
use crate::partial::tests::{merge_randomly, through_the_wire, users_lists_and_codes};
use crate::partial::{audited_slices, SIZE_MATCHED_MAGIC};
use crate::slices::SliceConfig;

/// The state of each partition of `parts` (users of `ds`, in their order), through bytes.
fn map_parts(
    ds: &Dataset,
    parts: &[Vec<u32>],
    codes: &[&[u32]],
    plan: &SlicePlan,
    items: &ItemStats,
    stats: &StatsConfig,
) -> Vec<PartialSizeMatched> {
    parts
        .iter()
        .map(|users| {
            let (keys, lists, local) = users_lists_and_codes(ds, users, codes);
            let local: Vec<&[u32]> = local.iter().map(Vec::as_slice).collect();
            let state = map_size_matched(&keys, &lists, &local, plan, items, stats);
            through_the_wire(
                state,
                SIZE_MATCHED_MAGIC,
                PartialSizeMatched::to_bytes,
                PartialSizeMatched::from_bytes,
            )
        })
        .collect()
}

/// Every estimate of `ours` has the bits of `theirs`; returns the numbers compared.
fn assert_bit_identical(ours: &SizeMatched, theirs: &SizeMatched) -> usize {
    assert_eq!(ours.too_costly, theirs.too_costly);
    assert_eq!(
        ours.columns.keys().collect::<Vec<_>>(),
        theirs.columns.keys().collect::<Vec<_>>()
    );
    let bits = |x: Option<f64>| x.map(f64::to_bits);
    let mut numbers = 0;
    for (name, a) in &ours.columns {
        let b = &theirs.columns[name];
        assert_eq!(
            (a.n_users, a.subsamples),
            (b.n_users, b.subsamples),
            "{name}"
        );
        assert_eq!(
            a.groups.keys().collect::<Vec<_>>(),
            b.groups.keys().collect::<Vec<_>>()
        );
        for (label, metrics) in &a.groups {
            let other = &b.groups[label];
            assert_eq!(
                metrics.keys().collect::<Vec<_>>(),
                other.keys().collect::<Vec<_>>()
            );
            for (key, x) in metrics {
                let y = &other[key];
                assert_eq!(
                    (bits(x.value), bits(x.ci_low), bits(x.ci_high), x.n),
                    (bits(y.value), bits(y.ci_low), bits(y.ci_high), y.n),
                    "{name} {label} {key}: {x:?} vs {y:?}"
                );
                numbers += 3;
            }
        }
    }
    numbers
}

#[test]
fn merged_partitions_compare_groups_as_the_one_pass_audit() {
    let mut rng = ChaCha8Rng::seed_from_u64(24);
    let weights = [
        PositionWeight::Log,
        PositionWeight::Rbp { patience: 0.8 },
        PositionWeight::Uniform,
    ];
    let mut numbers = 0;
    let mut splits = 0;
    for (case, (n_users, weight)) in [400, 550, 700].into_iter().zip(weights).enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let gen = GeneratorConfig {
            n_users,
            n_items: 150,
            seed: 40 + case as u64,
            ..GeneratorConfig::default()
        };
        generate(&gen, dir.path()).unwrap();
        let cfg = AuditConfig {
            paths: TablePaths::in_folder(dir.path(), "csv"),
            stats: StatsConfig {
                resamples: 60 + 20 * case,
                permutations: 50,
                seed: 3 + case as u64,
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
        let items = ItemStats::compute(&ds, &cfg);
        let slices = audited_slices(&ds, &input, &cfg).unwrap();
        let plan = SlicePlan::of(&slices);
        let codes: Vec<&[u32]> = slices.iter().map(|c| c.codes.as_slice()).collect();
        for (name, m) in &one_pass.corpus.size_matched {
            eprintln!(
                "{n_users} users, {name}: {} groups at {} users, {} subsamples",
                m.groups.len(),
                m.n_users,
                m.subsamples
            );
        }
        assert!(
            one_pass.corpus.size_matched.len() >= 3,
            "the case compares columns: {:?}",
            one_pass.corpus.size_matched.keys().collect::<Vec<_>>()
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
            let states = map_parts(&ds, &parts, &codes, &plan, &items, &cfg.stats);
            let largest = states.iter().map(|s| s.to_bytes().len()).max();
            let merged = merge_randomly(states, PartialSizeMatched::merge, &mut rng);
            eprintln!(
                "{n_users} users, {n_parts} partitions: largest partition state {} B, merged {} B",
                largest.unwrap_or(0),
                merged.to_bytes().len()
            );
            let finished = finish_size_matched(&merged, &plan, &items, &cfg).unwrap();
            let theirs = SizeMatched {
                columns: one_pass.corpus.size_matched.clone(),
                too_costly: Vec::new(),
            };
            numbers += assert_bit_identical(&finished, &theirs);
            for note in finished.notes() {
                assert!(one_pass.notes.contains(&note), "{note}");
            }
            splits += 1;
            // A state of another audit, or of some of the users, is refused.
            let other_seed = StatsConfig {
                seed: cfg.stats.seed + 1,
                ..cfg.stats
            };
            let other = AuditConfig {
                stats: other_seed,
                ..cfg.clone()
            };
            assert!(finish_size_matched(&merged, &plan, &items, &other).is_err());
            let fewer = SlicePlan {
                columns: plan.columns[1..].to_vec(),
            };
            assert!(finish_size_matched(&merged, &fewer, &items, &cfg).is_err());
        }
        let none = map_size_matched(
            &[],
            &Csr::default(),
            &vec![&[][..]; codes.len()],
            &plan,
            &items,
            &cfg.stats,
        );
        assert!(finish_size_matched(&none, &plan, &items, &cfg).is_err());
    }
    assert_eq!(splits, 9);
    eprintln!(
        "size-matched: {splits} splits, {numbers} numbers bit-identical to the one-pass audit"
    );
}

#[test]
fn merge_keeps_the_smallest_hashes_and_the_lists_they_need() {
    let group = |kept: &[(u64, u64)]| SampledGroup {
        subsamples: vec![kept.to_vec(), kept.iter().rev().copied().take(1).collect()],
        lists: kept.iter().map(|&(_, k)| (k, vec![k as u32])).collect(),
    };
    let a = group(&[(1, 10), (4, 11), (9, 12)]);
    let b = group(&[(2, 20), (3, 21), (8, 22)]);
    let merged = a.merge(b, 3);
    assert_eq!(merged.subsamples[0], [(1, 10), (2, 20), (3, 21)]);
    assert_eq!(merged.subsamples[1], [(8, 22), (9, 12)]);
    assert_eq!(
        merged.lists.keys().copied().collect::<Vec<_>>(),
        [10, 12, 20, 21, 22]
    );
}
