//! The whole audit from partitions against the one-pass audit: every block of `audit.json`.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

use super::*;
use crate::audit::audit_dataset;
use crate::input;
use crate::partial::tests::{agree, case, config, example_config, walk, Agreement};
use crate::stats::StatsConfig;

/// `n_parts` random partitions of the users of `ds` (some possibly empty), each in a random order.
fn random_parts(ds: &Dataset, n_parts: usize, rng: &mut ChaCha8Rng) -> Vec<Vec<u32>> {
    let mut parts: Vec<Vec<u32>> = vec![Vec::new(); n_parts];
    for u in 0..ds.n_users as u32 {
        parts[rng.gen_range(0..n_parts)].push(u);
    }
    for p in &mut parts {
        p.shuffle(rng);
    }
    parts
}

/// Compares two `audit.json` values: every block but `metrics` number by number within `rel` of
/// the number (or 1, whichever is larger), `metrics` within `rel` of its metric's scale
/// ([`agree`]); every non-number equal.
fn compare(ours: &Value, theirs: &Value, rel: f64) -> Agreement {
    let (Value::Object(x), Value::Object(y)) = (ours, theirs) else {
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

/// The one-pass audit and the audit of one partition and of `rounds` random splits, compared.
fn partitions_agree(
    ds: &Dataset,
    input: &InputSummary,
    cfg: &AuditConfig,
    seed: u64,
    rounds: usize,
    rel: f64,
) {
    let one_pass = audit_dataset(ds, input.clone(), cfg, &()).unwrap();
    let theirs = serde_json::to_value(&one_pass).unwrap();
    assert!(
        one_pass.segregation.is_some(),
        "the case clusters its users"
    );

    // One partition of every user, in id order: the one-pass sums in the one-pass order.
    let all: Vec<u32> = (0..ds.n_users as u32).collect();
    let single = audit_partitions(ds, input.clone(), &[all], cfg).unwrap();
    let single_json = serde_json::to_value(&single).unwrap();
    let a = compare(&single_json, &theirs, 1e-12);
    let metrics_exact = {
        let mut m = Agreement::default();
        agree(&single_json["metrics"], &theirs["metrics"], 1e-12, &mut m);
        m
    };
    eprintln!("seed {seed}, one partition: {a:?}");
    assert_eq!(
        metrics_exact.identical - metrics_exact.distribution_identical,
        metrics_exact.numbers - metrics_exact.distribution_numbers,
        "one partition, metrics outside the distributions: {metrics_exact:?}"
    );
    assert_eq!(single.notes, one_pass.notes);
    assert_eq!(single.slices, one_pass.slices);
    assert_eq!(single.input, one_pass.input);

    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for _ in 0..rounds {
        let n_parts = rng.gen_range(2..=5);
        let parts = random_parts(ds, n_parts, &mut rng);
        let ours = serde_json::to_value(audit_partitions(ds, input.clone(), &parts, cfg).unwrap())
            .unwrap();
        let a = compare(&ours, &theirs, rel);
        eprintln!("seed {seed}, {n_parts} partitions: {a:?}");
        assert!(a.numbers > 1_000, "{a:?}");
    }
}

#[test]
fn the_shipped_example_audited_in_partitions_is_the_one_pass_audit() {
    // datasets/example (2,500 users; suppressed and withheld groups), an intersection, a chosen
    // reference, γ fitted to the lists, the segregation's clusters; every group resampled user by
    // user. Exposure and cluster sums are f64 sums in partition order: within 1e-12.
    let cfg = example_config(100);
    let (ds, input) = input::load(&cfg.input()).unwrap();
    partitions_agree(&ds, &input, &cfg, 3, 2, 1e-12);
}

#[test]
fn a_generated_case_with_snapshots_and_pooled_groups_is_the_one_pass_audit() {
    // 100 units: groups above 100 users pooled into hashed buckets (merged sums), Welch tests;
    // two snapshots (the over-time block).
    let (dir, ds, input) = case(17, 600, 2);
    let cfg = config(
        dir.path(),
        StatsConfig {
            resamples: 100,
            bootstrap_units: 100,
            permutation_max_n: 0,
            ..StatsConfig::default()
        },
    );
    let one_pass = audit_dataset(&ds, input.clone(), &cfg, &()).unwrap();
    assert!(one_pass.over_time.is_some());
    partitions_agree(&ds, &input, &cfg, 17, 2, 1e-12);
}

#[test]
fn partitions_that_miss_a_user_or_a_private_audit_are_refused() {
    let (dir, ds, input) = case(5, 120, 1);
    let cfg = config(dir.path(), StatsConfig::default());
    let most: Vec<u32> = (1..ds.n_users as u32).collect();
    let err = audit_partitions(&ds, input.clone(), std::slice::from_ref(&most), &cfg).unwrap_err();
    assert!(err.to_string().contains("every audited user once"), "{err}");
    let twice = audit_partitions(&ds, input.clone(), &[most, vec![0, 1]], &cfg).unwrap_err();
    assert!(twice.to_string().contains("in two partitions"), "{twice}");
    let beyond = vec![ds.n_users as u32];
    let err = audit_partitions(&ds, input.clone(), &[beyond], &cfg).unwrap_err();
    let expected = format!("not one of the {} audited users", ds.n_users);
    assert!(err.to_string().contains(&expected), "{err}");
    let mut private = cfg.clone();
    private.privacy.epsilon = Some(1.0);
    let all: Vec<u32> = (0..ds.n_users as u32).collect();
    let err = audit_partitions(&ds, input, &[all], &private).unwrap_err();
    assert!(err.to_string().contains("differentially private"), "{err}");
}

#[test]
fn a_partitions_states_cross_the_wire_unchanged_and_finish_the_same() {
    let (dir, ds, input) = case(23, 300, 2);
    let cfg = config(
        dir.path(),
        StatsConfig {
            resamples: 50,
            ..StatsConfig::default()
        },
    );
    let mut rng = ChaCha8Rng::seed_from_u64(23);
    let parts = random_parts(&ds, 3, &mut rng);
    let direct = audit_partitions(&ds, input.clone(), &parts, &cfg).unwrap();
    let (b, partitions, inputs) = cut_partitions(&ds, input, &parts, &cfg).unwrap();
    let states: Vec<PartitionStates> = partitions
        .iter()
        .map(|p| {
            let state = map_partition(p, &b);
            let bytes = state.to_bytes();
            assert_eq!(&bytes[..8], super::super::STATES_MAGIC);
            assert!(PartitionStates::from_bytes(&bytes[..bytes.len() - 1]).is_err());
            assert!(PartitionStates::from_bytes(&[bytes.as_slice(), &[0]].concat()).is_err());
            let back = PartitionStates::from_bytes(&bytes).unwrap();
            assert_eq!(back, state);
            back
        })
        .collect();
    let merged = states.into_iter().reduce(PartitionStates::merge).unwrap();
    let n_cat = b.items.items.category_labels.len();
    let fitted = merged.fit_sample.fit(n_cat, &cfg.bubble).unwrap().unwrap();
    let clusters = partitions
        .iter()
        .map(|p| {
            let state = map_partition_clusters(p, &fitted, &b);
            PartialClusters::from_bytes(&state.to_bytes()).unwrap()
        })
        .reduce(PartialClusters::merge)
        .unwrap();
    let finished = finish_audit(merged, Some((&fitted, &clusters)), &b, inputs).unwrap();
    assert_eq!(
        serde_json::to_value(&finished).unwrap(),
        serde_json::to_value(&direct).unwrap()
    );
}
