//! Property tests of map, merge and finish: generated cases and the shipped example, users split
//! into random partitions, mapped, merged in a random order and tree shape, finished, and compared
//! with the one-pass audit's `metrics` block and `corpus.overall` / `corpus.slices`; and the wire
//! format's round trip.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use std::collections::BTreeMap;

use super::*;
use crate::audit::{audit_dataset, AuditConfig};
use crate::data::Dataset;
use crate::generate::{generate, GeneratorConfig};
use crate::input::{self, InputSummary, TablePaths};
use crate::metrics::CorpusValues;
use crate::slices::SliceConfig;
use crate::stats::StatsConfig;

/// `state` through its bytes, checked: read back equal, written back to the same bytes, and its
/// truncated, over-long, foreign and other-version bytes refused. `magic`: its wire magic.
pub(super) fn through_the_wire<S: PartialEq + std::fmt::Debug>(
    state: S,
    magic: &[u8; 8],
    to_bytes: fn(&S) -> Vec<u8>,
    from_bytes: fn(&[u8]) -> std::result::Result<S, WireError>,
) -> S {
    let bytes = to_bytes(&state);
    assert_eq!(&bytes[..8], magic);
    let refused = |b: &[u8]| from_bytes(b).is_err();
    assert!(refused(&bytes[..bytes.len() - 1]));
    assert!(refused(&bytes[..12]));
    assert!(refused(&[bytes.as_slice(), &[0]].concat()));
    let mut foreign = bytes.clone();
    let other_magic: &[u8; 8] = if magic == b"RAUDCORP" {
        b"RAUDSIZE"
    } else {
        b"RAUDCORP"
    };
    foreign[..8].copy_from_slice(other_magic);
    assert_eq!(
        from_bytes(&foreign),
        Err(WireError("wrong magic bytes".into()))
    );
    let mut other_version = bytes.clone();
    other_version[8..12].copy_from_slice(&(VERSION + 1).to_le_bytes());
    assert!(refused(&other_version));
    let back = from_bytes(&bytes).unwrap();
    assert_eq!(back, state);
    assert_eq!(to_bytes(&back), bytes);
    back
}

/// Merges `states` two at a time, a random pair each time (a random tree shape and order).
pub(super) fn merge_randomly<S>(
    mut states: Vec<S>,
    merge: fn(S, S) -> S,
    rng: &mut ChaCha8Rng,
) -> S {
    while states.len() > 1 {
        let a = states.swap_remove(rng.gen_range(0..states.len()));
        let b = states.swap_remove(rng.gen_range(0..states.len()));
        states.push(if rng.gen() { merge(a, b) } else { merge(b, a) });
    }
    states.pop().expect("at least one partition")
}

/// The keys, lists and slice codes (per column) of `users` of `ds`, in their order.
pub(super) fn users_lists_and_codes(
    ds: &Dataset,
    users: &[u32],
    codes: &[&[u32]],
) -> (Vec<u64>, crate::data::RecLists, Vec<Vec<u32>>) {
    let keys = users.iter().map(|&u| ds.user_keys[u as usize]).collect();
    let lists =
        crate::data::Csr::from_rows(users.iter().map(|&u| ds.recs.row(u as usize).to_vec()));
    let local = codes
        .iter()
        .map(|c| users.iter().map(|&u| c[u as usize]).collect())
        .collect();
    (keys, lists, local)
}

/// A generated case of `n_users` users with every table, loaded.
pub(super) fn case(
    seed: u64,
    n_users: usize,
    n_snapshots: usize,
) -> (tempfile::TempDir, Dataset, InputSummary) {
    let dir = tempfile::tempdir().unwrap();
    let gen = GeneratorConfig {
        n_users,
        n_items: 150,
        history_per_user: 8,
        truth_per_user: 4,
        n_snapshots,
        seed,
        ..GeneratorConfig::default()
    };
    generate(&gen, dir.path()).unwrap();
    let cfg = config(dir.path(), StatsConfig::default());
    let (ds, input) = input::load(&cfg.input()).unwrap();
    (dir, ds, input)
}

pub(super) fn config(dir: &std::path::Path, stats: StatsConfig) -> AuditConfig {
    AuditConfig {
        paths: TablePaths::in_folder(dir, "csv"),
        stats,
        slices: SliceConfig {
            min_slice_size: 10,
            ..SliceConfig::default()
        },
        ..AuditConfig::default()
    }
}

/// How two finished results compare: numbers compared, bit-identical, the largest relative
/// difference |x − y| / max(|x|, |y|), how many exceed 1e-12 relative, the largest difference
/// relative to the number's scale (below), and percentiles the partial state does not give.
#[derive(Debug, Default)]
pub(super) struct Agreement {
    pub(super) numbers: usize,
    pub(super) identical: usize,
    pub(super) max_rel: f64,
    pub(super) beyond_1e12: usize,
    pub(super) max_scaled: f64,
    /// Of the numbers, those of the utility `distribution` blocks, and how many are identical
    /// (groups read from the sorted values sum in rank order: within rounding, not bit for bit).
    pub(super) distribution_numbers: usize,
    pub(super) distribution_identical: usize,
    /// The numbers above 1e-12 relative, by the last two parts of their path.
    pub(super) beyond_by_field: BTreeMap<String, usize>,
}

/// Walks `ours` against `theirs` (the one-pass JSON): every non-number equal (flags, tests,
/// references, counts), every number x within `rel` of y relative to its scale
/// max(|x|, |y|, |overall mean of its metric|, 1). A difference or ratio of two close group means
/// inherits the rounding of the means amplified by |mean| / |difference| (cancellation), so the
/// scale is that of the operands; p-values live on [0, 1]. Numbers of the `distribution` blocks
/// are held to at least 1e-12 of their scale (their totals and Gini sums are in rank order for the
/// groups read from the sorted values).
pub(super) fn agree(ours: &Value, theirs: &Value, rel: f64, a: &mut Agreement) {
    let (Value::Object(x), Value::Object(y)) = (ours, theirs) else {
        panic!("metrics are objects")
    };
    assert_eq!(x.keys().collect::<Vec<_>>(), y.keys().collect::<Vec<_>>());
    for (m, v) in x {
        let scale = y[m]["overall"]["value"]
            .as_f64()
            .map_or(1.0, |s| s.abs().max(1.0));
        walk(v, &y[m], &format!("metrics.{m}"), rel, scale, a);
    }
}

pub(super) fn walk(
    ours: &Value,
    theirs: &Value,
    path: &str,
    rel: f64,
    scale: f64,
    a: &mut Agreement,
) {
    match (ours, theirs) {
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(
                x.keys().collect::<Vec<_>>(),
                y.keys().collect::<Vec<_>>(),
                "keys at {path}"
            );
            for (k, v) in x {
                walk(v, &y[k], &format!("{path}.{k}"), rel, scale, a);
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "lengths at {path}");
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                walk(v, w, &format!("{path}[{i}]"), rel, scale, a);
            }
        }
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            let in_distribution = path.contains(".distribution.");
            let rel = if in_distribution { rel.max(1e-12) } else { rel };
            a.numbers += 1;
            a.distribution_numbers += usize::from(in_distribution);
            if x.to_bits() == y.to_bits() {
                a.identical += 1;
                a.distribution_identical += usize::from(in_distribution);
                return;
            }
            let d = (x - y).abs();
            let r = d / x.abs().max(y.abs());
            a.max_rel = a.max_rel.max(r);
            if r > 1e-12 {
                a.beyond_1e12 += 1;
                let parts: Vec<&str> = path.rsplitn(3, '.').collect();
                let field = format!("{}.{}", parts[1.min(parts.len() - 1)], parts[0]);
                *a.beyond_by_field.entry(field).or_insert(0) += 1;
            }
            let scaled = d / x.abs().max(y.abs()).max(scale);
            a.max_scaled = a.max_scaled.max(scaled);
            assert!(
                scaled <= rel,
                "{path}: {x} vs {y} (relative {r:e}, to scale {scaled:e})"
            );
        }
        _ => assert_eq!(ours, theirs, "at {path}"),
    }
}

/// Splits the users of `ds` into 1–7 random partitions (some possibly empty), maps each, checks
/// that every per-user value equals the whole dataset's, merges in a random order and tree shape
/// and finishes.
fn split_and_finish(
    ds: &Dataset,
    cfg: &AuditConfig,
    items: &ItemStats,
    plan: &SlicePlan,
    codes: &[&[u32]],
    rng: &mut ChaCha8Rng,
) -> (usize, Value, Value) {
    let whole = per_user_metrics(ds, items, cfg);
    let defs: Vec<_> = whole.iter().map(|m| m.definition).collect();
    let settings = PartialSettings::new(cfg.stats, cfg.slices.min_slice_size);
    let n_parts = rng.gen_range(1..=7);
    let mut parts: Vec<Vec<u32>> = vec![Vec::new(); n_parts];
    for u in 0..ds.n_users as u32 {
        parts[rng.gen_range(0..n_parts)].push(u);
    }
    let mut states: Vec<(PartialAudit, PartialCorpus, PartialRanked)> = parts
        .iter_mut()
        .map(|users| {
            users.shuffle(rng);
            if users.is_empty() {
                return (
                    PartialAudit::empty(defs.clone(), plan.n_groups(), settings),
                    PartialCorpus::empty(&plan.n_groups()),
                    ranked_of(ds, users, codes, &whole),
                );
            }
            let part = partition_dataset(ds, users, items);
            let metrics = per_user_metrics(&part, items, cfg);
            let keys = |ms: &[crate::metrics::UserMetric]| -> Vec<&str> {
                ms.iter().map(|m| m.name()).collect()
            };
            assert_eq!(
                keys(&metrics),
                keys(&whole),
                "the partition's metric families"
            );
            for (m, w) in metrics.iter().zip(&whole) {
                for (i, &u) in users.iter().enumerate() {
                    let (x, y) = (m.values[i], w.values[u as usize]);
                    assert!(
                        x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
                        "{} of user {u}: {x} on a partition, {y} on the whole",
                        m.name()
                    );
                }
            }
            let corpus = map_corpus(&part, users, codes, &plan.n_groups(), &metrics, items, cfg);
            let state = map_dataset(&part, users, codes, plan, items, cfg, &settings);
            (
                state,
                corpus,
                ranked_of(ds, users, codes, &metrics_by_id(&metrics, users, ds)),
            )
        })
        .collect();
    // Merge two random states until one is left.
    while states.len() > 1 {
        let (a, ca, ra) = states.swap_remove(rng.gen_range(0..states.len()));
        let (b, cb, rb) = states.swap_remove(rng.gen_range(0..states.len()));
        states.push(if rng.gen() {
            (a.merge(b), ca.merge(cb), ra.merge(rb))
        } else {
            (b.merge(a), cb.merge(ca), rb.merge(ra))
        });
    }
    let (merged, corpus, ranked) = states.pop().unwrap();
    assert_eq!(merged.n_users, ds.n_users as u64);
    let finished = finish_metrics(merged, Some(&ranked), plan).unwrap();
    let corpus = corpus_json(finish_corpus(corpus, plan, items, cfg));
    (n_parts, serde_json::to_value(&finished).unwrap(), corpus)
}

/// A partition's per-user values (`metrics[j].values[i]`: its user `users[i]`) placed at the
/// users' dense ids of `ds` (NaN for the other users).
fn metrics_by_id(
    metrics: &[crate::metrics::UserMetric],
    users: &[u32],
    ds: &Dataset,
) -> Vec<crate::metrics::UserMetric> {
    metrics
        .iter()
        .map(|m| {
            let mut values = vec![f64::NAN; ds.n_users];
            for (i, &u) in users.iter().enumerate() {
                values[u as usize] = m.values[i];
            }
            crate::metrics::UserMetric::new(m.definition, values)
        })
        .collect()
}

/// The sorted runs ([`map_ranked`]) of the users `users` of `ds`, from per-user values indexed
/// by dense id (`metrics[j].values[u]`) and slice codes (`codes[c][u]`).
fn ranked_of(
    ds: &Dataset,
    users: &[u32],
    codes: &[&[u32]],
    metrics: &[crate::metrics::UserMetric],
) -> PartialRanked {
    let keys: Vec<u64> = users.iter().map(|&u| ds.user_keys[u as usize]).collect();
    let own: Vec<Vec<u32>> = codes
        .iter()
        .map(|c| users.iter().map(|&u| c[u as usize]).collect())
        .collect();
    let own: Vec<&[u32]> = own.iter().map(|c| c.as_slice()).collect();
    let values: Vec<Vec<f64>> = metrics
        .iter()
        .map(|m| users.iter().map(|&u| m.values[u as usize]).collect())
        .collect();
    let values: Vec<&[f64]> = values.iter().map(|v| v.as_slice()).collect();
    map_ranked(&keys, &own, &values)
}

/// `corpus.overall` and `corpus.slices` as one JSON object.
fn corpus_json(
    (overall, slices): (
        CorpusValues,
        BTreeMap<String, BTreeMap<String, CorpusValues>>,
    ),
) -> Value {
    serde_json::json!({ "overall": overall, "slices": slices })
}

/// Runs `rounds` random splits of a generated case under `stats` and returns the agreement with
/// the one-pass audit.
fn property(
    seed: u64,
    n_users: usize,
    n_snapshots: usize,
    stats: StatsConfig,
    rounds: usize,
    rel: f64,
) -> Agreement {
    let (dir, ds, input) = case(seed, n_users, n_snapshots);
    let cfg = config(dir.path(), stats);
    property_of(&ds, &input, &cfg, seed, rounds, rel)
}

/// [`property`] on a loaded dataset under `cfg`.
/// The slice plan decided from the users table's combinations of groups, counted on a random
/// split of the users into three partitions and merged ([`SlicePlan::protected`]).
fn plan_of_combinations(
    ds: &Dataset,
    input: &InputSummary,
    cfg: &AuditConfig,
    seed: u64,
) -> SlicePlan {
    let unprotected = unprotected_slices(ds, cfg).unwrap();
    let codes: Vec<&[u32]> = unprotected.iter().map(|c| c.codes.as_slice()).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let part: Vec<usize> = (0..ds.n_users).map(|_| rng.gen_range(0..3)).collect();
    let mut merged: BTreeMap<Vec<u32>, CellUsers> = BTreeMap::new();
    for p in 0..3 {
        let users: Vec<usize> = (0..ds.n_users).filter(|&u| part[u] == p).collect();
        let own: Vec<Vec<u32>> = codes
            .iter()
            .map(|c| users.iter().map(|&u| c[u]).collect())
            .collect();
        let own: Vec<&[u32]> = own.iter().map(|c| c.as_slice()).collect();
        let keys: Vec<u64> = users.iter().map(|&u| ds.user_keys[u]).collect();
        for (combination, n) in user_combinations(&own, &keys) {
            CellUsers::add_to(&mut merged, combination, n);
        }
    }
    let min_size = cfg.slices.min_slice_size;
    SlicePlan::of(&unprotected).protected(&merged, min_size, &unsliced_counts(input, min_size))
}

/// γ of the SNIPS propensities and the `propensity` block from the list counts of a random split
/// of the users into three partitions, merged ([`PartialShown`]).
fn propensity_of_split(
    ds: &Dataset,
    items: &ItemStats,
    cfg: &AuditConfig,
    seed: u64,
) -> (f64, crate::result::PropensityModel) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x9a33a);
    let part: Vec<usize> = (0..ds.n_users).map(|_| rng.gen_range(0..3)).collect();
    let merged = (0..3)
        .map(|p| {
            let users: Vec<u32> = (0..ds.n_users as u32)
                .filter(|&u| part[u as usize] == p)
                .collect();
            map_shown(&partition_dataset(ds, &users, items))
        })
        .reduce(PartialShown::merge)
        .expect("three partitions");
    merged.propensity(items, ds.truth_propensity.is_some(), cfg, &mut Vec::new())
}

fn property_of(
    ds: &Dataset,
    input: &InputSummary,
    cfg: &AuditConfig,
    seed: u64,
    rounds: usize,
    rel: f64,
) -> Agreement {
    let (ds, cfg, n_users) = (ds.clone(), cfg.clone(), ds.n_users);
    let one_pass = audit_dataset(&ds, input.clone(), &cfg, &()).unwrap();
    let theirs = serde_json::to_value(&one_pass.metrics).unwrap();
    let theirs_corpus = corpus_json((
        one_pass.corpus.overall.clone(),
        one_pass.corpus.slices.clone(),
    ));
    let items = ItemStats::compute(&ds, &cfg);
    let (gamma, model) = propensity_of_split(&ds, &items, &cfg, seed);
    assert_eq!(gamma.to_bits(), items.propensity_gamma.to_bits());
    if let Some(p) = &one_pass.propensity {
        assert_eq!(&model, p);
    }
    let slices = audited_slices(&ds, input, &cfg).unwrap();
    let plan = SlicePlan::of(&slices);
    let from_counts = plan_of_combinations(&ds, input, &cfg, seed);
    assert_eq!(from_counts, plan);
    assert_eq!(from_counts.summaries(), one_pass.slices);
    let codes: Vec<&[u32]> = slices.iter().map(|c| c.codes.as_slice()).collect();
    // One partition of every user, in id order: the sums in the one-pass order, so the same bits
    // with pooled groups too.
    let settings = PartialSettings::new(cfg.stats, cfg.slices.min_slice_size);
    let all: Vec<u32> = (0..ds.n_users as u32).collect();
    let whole = partition_dataset(&ds, &all, &items);
    let one = map_dataset(&whole, &all, &codes, &plan, &items, &cfg, &settings);
    let whole_metrics = per_user_metrics(&whole, &items, &cfg);
    let ranked = ranked_of(&ds, &all, &codes, &whole_metrics);
    let one = serde_json::to_value(finish_metrics(one, Some(&ranked), &plan).unwrap()).unwrap();
    let mut single = Agreement::default();
    agree(&one, &theirs, 0.0, &mut single);
    let one_corpus = map_corpus(
        &whole,
        &all,
        &codes,
        &plan.n_groups(),
        &whole_metrics,
        &items,
        &cfg,
    );
    let one_corpus = corpus_json(finish_corpus(one_corpus, &plan, &items, &cfg));
    walk(&one_corpus, &theirs_corpus, "corpus", 0.0, 1.0, &mut single);
    assert_eq!(
        single.identical - single.distribution_identical,
        single.numbers - single.distribution_numbers,
        "one partition: {single:?}"
    );

    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
    let mut a = Agreement::default();
    let mut c = Agreement::default();
    let mut splits = Vec::new();
    for _ in 0..rounds {
        let (n_parts, ours, corpus) = split_and_finish(&ds, &cfg, &items, &plan, &codes, &mut rng);
        splits.push(n_parts);
        agree(&ours, &theirs, rel, &mut a);
        walk(&corpus, &theirs_corpus, "corpus", 1e-12, 1.0, &mut c);
    }
    eprintln!(
        "seed {seed}, {n_users} users, {} slice columns ({} groups withheld or too small), partitions {splits:?}: metrics {a:?}; corpus {c:?}; \
         one partition (metrics and corpus): {single:?}",
        plan.columns.len(),
        plan.columns
            .iter()
            .map(|c| c.suppressed.iter().filter(|&&x| x).count())
            .sum::<usize>()
    );
    assert!(c.numbers > 100, "{c:?}");
    assert!(a.numbers > 1_000, "{a:?}");
    a
}

#[test]
fn groups_resampled_user_by_user_finish_bit_for_bit() {
    // Every group (the overall one too) has at most 4,096 users: resampled user by user from the
    // kept values, permutation tests on them. Any split gives the one-pass bits.
    let stats = StatsConfig {
        resamples: 200,
        permutations: 200,
        ..StatsConfig::default()
    };
    let a = property(7, 400, 1, stats, 4, 0.0);
    assert_eq!(a.identical, a.numbers, "{a:?}");
    assert!(a.distribution_numbers > 0, "{a:?}");
}

#[test]
fn pooled_groups_and_welch_tests_agree_to_1e_12_of_the_metric_scale() {
    // 100 units: groups above 100 users are pooled into hashed buckets whose sums are merged
    // across partitions (rounding differs from the one-pass order); no permutation test, so
    // groups above 100 users are compared by Welch's test on merged moments.
    let stats = StatsConfig {
        resamples: 200,
        bootstrap_units: 100,
        permutation_max_n: 0,
        ..StatsConfig::default()
    };
    let a = property(11, 500, 1, stats, 4, 1e-12);
    assert!(
        a.identical < a.numbers,
        "pooling should leave rounding differences: {a:?}"
    );
    assert!(a.distribution_numbers > a.distribution_identical, "{a:?}");
}

#[test]
fn pooled_groups_with_permutation_tests_agree_to_1e_12_of_the_metric_scale() {
    // 100 units, permutation tests up to 1,000 users: pooled buckets and per-user permutation
    // tests together; groups keep their values up to 1,000 users.
    let stats = StatsConfig {
        resamples: 200,
        permutations: 200,
        bootstrap_units: 100,
        ..StatsConfig::default()
    };
    property(13, 500, 2, stats, 3, 1e-12);
}

#[test]
fn moments_merge_matches_two_pass_moments() {
    let x: Vec<f64> = (0..97)
        .map(|i| ((i * 37) % 11) as f64 * 0.3 - 1.0)
        .collect();
    let whole = Moments::of(&x);
    let merged = Moments::merge(Moments::of(&x[..40]), Moments::of(&x[40..]));
    assert_eq!(merged.n, 97);
    assert!((merged.mean - whole.mean).abs() <= 1e-15 * whole.mean.abs().max(1.0));
    assert!((merged.m2 - whole.m2).abs() <= 1e-13 * whole.m2);
    // Commutative bit for bit; an empty side is the identity.
    let (a, b) = (Moments::of(&x[..13]), Moments::of(&x[13..]));
    assert_eq!(Moments::merge(a, b), Moments::merge(b, a));
    assert_eq!(Moments::merge(a, Moments::default()), a);
    // Hand-worked: {1, 2} and {4}: mean 7/3, M2 = 0.5 + 0 + (4 − 1.5)² · 2 · 1 / 3 = 14/3.
    let m = Moments::merge(Moments::of(&[1.0, 2.0]), Moments::of(&[4.0]));
    assert!((m.mean - 7.0 / 3.0).abs() < 1e-15 && (m.m2 - 14.0 / 3.0).abs() < 1e-14);
    assert_eq!(m.welch().0, 3);
    assert!((m.welch().2 - 7.0 / 3.0).abs() < 1e-14);
}

#[test]
fn partial_states_round_trip_through_bytes() {
    // Pooled groups (100 units) and kept values: rows, buckets and moments are all written.
    let stats = StatsConfig {
        resamples: 100,
        permutations: 100,
        bootstrap_units: 100,
        ..StatsConfig::default()
    };
    let (dir, ds, input) = case(17, 300, 1);
    let cfg = config(dir.path(), stats);
    let items = ItemStats::compute(&ds, &cfg);
    let slices = audited_slices(&ds, &input, &cfg).unwrap();
    let plan = SlicePlan::of(&slices);
    let codes: Vec<&[u32]> = slices.iter().map(|c| c.codes.as_slice()).collect();
    let settings = PartialSettings::new(cfg.stats, cfg.slices.min_slice_size);
    let states: Vec<PartialAudit> = (0..3u32)
        .map(|p| {
            let users: Vec<u32> = (0..ds.n_users as u32).filter(|u| u % 3 == p).collect();
            let part = partition_dataset(&ds, &users, &items);
            map_dataset(&part, &users, &codes, &plan, &items, &cfg, &settings)
        })
        .collect();
    let mut sizes = Vec::new();
    let decoded: Vec<PartialAudit> = states
        .iter()
        .map(|s| {
            let bytes = s.to_bytes();
            sizes.push(bytes.len());
            assert_eq!(&bytes[..8], MAGIC);
            let back = PartialAudit::from_bytes(&bytes).unwrap();
            // The same bytes again, and the same state (NaN values compared by their bits).
            assert_eq!(back.to_bytes(), bytes);
            assert_eq!(
                (back.n_users, &back.cells, &back.n_groups, back.settings),
                (s.n_users, &s.cells, &s.n_groups, s.settings)
            );
            assert_eq!(back.overall.buckets, s.overall.buckets);
            assert_eq!(back.overall.moments, s.overall.moments);
            back
        })
        .collect();
    // The corpus masses round-trip too, and finish to the same values.
    let corpora: Vec<PartialCorpus> = (0..3u32)
        .map(|p| {
            let users: Vec<u32> = (0..ds.n_users as u32).filter(|u| u % 3 == p).collect();
            let part = partition_dataset(&ds, &users, &items);
            let metrics = per_user_metrics(&part, &items, &cfg);
            map_corpus(
                &part,
                &users,
                &codes,
                &plan.n_groups(),
                &metrics,
                &items,
                &cfg,
            )
        })
        .collect();
    let mut corpus_sizes = Vec::new();
    for c in &corpora {
        let bytes = c.to_bytes();
        corpus_sizes.push(bytes.len());
        assert_eq!(&bytes[..8], CORPUS_MAGIC);
        assert_eq!(&PartialCorpus::from_bytes(&bytes).unwrap(), c);
        assert!(PartialCorpus::from_bytes(&bytes[..bytes.len() - 3]).is_err());
    }
    let empty_corpus = PartialCorpus::empty(&plan.n_groups());
    assert_eq!(
        PartialCorpus::from_bytes(&empty_corpus.to_bytes()).unwrap(),
        empty_corpus
    );
    eprintln!("corpus masses of 150 items, 3 partitions: {corpus_sizes:?} bytes");
    let merge_all = |v: Vec<PartialAudit>| v.into_iter().reduce(PartialAudit::merge).unwrap();
    let merged = merge_all(states);
    let merged_size = merged.to_bytes().len();
    let finish = |s| serde_json::to_value(finish_metrics(s, None, &plan).unwrap()).unwrap();
    let original = finish(merged);
    assert_eq!(finish(merge_all(decoded)), original);
    eprintln!(
        "{} metrics, {} slice columns, 300 users in 3 partitions: {sizes:?} bytes; merged {merged_size} bytes",
        original.as_object().unwrap().len(),
        plan.columns.len()
    );

    // The empty state, and bytes that are not a state.
    let whole = per_user_metrics(&ds, &items, &cfg);
    let defs: Vec<_> = whole.iter().map(|m| m.definition).collect();
    let empty = PartialAudit::empty(defs, plan.n_groups(), settings);
    let bytes = empty.to_bytes();
    assert_eq!(PartialAudit::from_bytes(&bytes).unwrap(), empty);
    let err = |b: &[u8]| PartialAudit::from_bytes(b).unwrap_err().to_string();
    assert!(err(&bytes[..bytes.len() - 1]).contains("truncated"));
    let mut other = bytes.clone();
    // Versions 1 (dense user ids in the kept rows), 2 (no smallest key per cell), 3 (no
    // clustered users per combination), 4 (a mean instead of a compensated sum in the moments)
    // and the next are other formats.
    for version in [1, 2, 3, 4, 6] {
        other[8] = version;
        let want = format!("format version {version}");
        assert!(err(&other).contains(&want), "{}", err(&other));
    }
    other[0] = b'X';
    assert!(err(&other).contains("magic"));
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(err(&longer).contains("left over"));
}

/// The shipped example (`datasets/example`, CSV) with the gender × age_band intersection,
/// gender = F as the chosen reference and γ of the SNIPS propensities fitted to the lists (a pass
/// over every partition's lists), `resamples` bootstrap replicates and as many permutations.
pub(super) fn example_config(resamples: usize) -> AuditConfig {
    let mut cfg = AuditConfig {
        paths: TablePaths::in_folder(std::path::Path::new("datasets/example"), "csv"),
        stats: StatsConfig {
            resamples,
            permutations: resamples,
            ..StatsConfig::default()
        },
        ..AuditConfig::default()
    };
    cfg.slices.intersections = vec![vec!["gender".into(), "age_band".into()]];
    cfg.slices.reference.insert("gender".into(), "F".into());
    cfg.propensity_gamma = crate::metrics::quality::PropensityGamma::Estimate;
    cfg
}

#[test]
fn the_shipped_example_with_an_intersection_and_a_chosen_reference_finishes_bit_for_bit() {
    // datasets/example (2,500 users, consent column, default min_slice_size 20 with suppressed
    // and withheld groups), plus the gender × age_band intersection and gender = F as the chosen
    // reference. 4,096 units: every group is resampled user by user.
    let cfg = example_config(200);
    let (ds, input) = input::load(&cfg.input()).unwrap();
    let pop = ItemStats::compute(&ds, &cfg).popularity.unwrap().pop;
    assert!(crate::metrics::quality::estimate_propensity_gamma(&ds.recs, &pop).is_some());
    let a = property_of(&ds, &input, &cfg, 3, 2, 0.0);
    assert_eq!(a.identical, a.numbers, "{a:?}");
}

/// Sizes and times at the default settings on 20,000 generated users in 4 partitions (groups
/// above 4,096 users pooled): `cargo test --lib partial::tests::default_settings_at_20k_users --
/// --ignored --nocapture`. Figures in docs/scaling.md.
#[test]
#[ignore = "a measurement: about a minute"]
fn default_settings_at_20k_users() {
    use std::time::Instant;
    let dir = tempfile::tempdir().unwrap();
    let gen = GeneratorConfig {
        n_users: 20_000,
        n_items: 2_000,
        seed: 5,
        ..GeneratorConfig::default()
    };
    generate(&gen, dir.path()).unwrap();
    let stats = StatsConfig {
        resamples: 200,
        ..StatsConfig::default()
    };
    let cfg = AuditConfig {
        paths: TablePaths::in_folder(dir.path(), "csv"),
        stats,
        ..AuditConfig::default()
    };
    let (ds, input) = input::load(&cfg.input()).unwrap();
    let t = Instant::now();
    let one_pass = audit_dataset(&ds, input.clone(), &cfg, &()).unwrap();
    let one_pass_time = t.elapsed();
    let theirs = serde_json::to_value(&one_pass.metrics).unwrap();
    let items = ItemStats::compute(&ds, &cfg);
    let slices = audited_slices(&ds, &input, &cfg).unwrap();
    let plan = SlicePlan::of(&slices);
    let codes: Vec<&[u32]> = slices.iter().map(|c| c.codes.as_slice()).collect();
    let settings = PartialSettings::new(cfg.stats, cfg.slices.min_slice_size);
    let t = Instant::now();
    let mut sizes = Vec::new();
    let mut corpus_sizes = Vec::new();
    let mut ranked_sizes = Vec::new();
    let mut states = Vec::new();
    for p in 0..4u32 {
        let users: Vec<u32> = (0..ds.n_users as u32).filter(|u| u % 4 == p).collect();
        let part = partition_dataset(&ds, &users, &items);
        let metrics = per_user_metrics(&part, &items, &cfg);
        let corpus = map_corpus(
            &part,
            &users,
            &codes,
            &plan.n_groups(),
            &metrics,
            &items,
            &cfg,
        );
        let state = map_dataset(&part, &users, &codes, &plan, &items, &cfg, &settings);
        let ranked = ranked_of(&ds, &users, &codes, &metrics_by_id(&metrics, &users, &ds));
        sizes.push(state.to_bytes().len());
        corpus_sizes.push(corpus.to_bytes().len());
        ranked_sizes.push(ranked.to_bytes().len());
        states.push((state, corpus, ranked));
    }
    let map_time = t.elapsed();
    let t = Instant::now();
    let (merged, corpus, ranked) = states
        .into_iter()
        .reduce(|(a, ca, ra), (b, cb, rb)| (a.merge(b), ca.merge(cb), ra.merge(rb)))
        .unwrap();
    let merged_size = merged.to_bytes().len();
    let ours = serde_json::to_value(finish_metrics(merged, Some(&ranked), &plan).unwrap()).unwrap();
    let _ = finish_corpus(corpus, &plan, &items, &cfg);
    let finish_time = t.elapsed();
    // Every flag, test, reference and count equal; numbers within 1e-9 of their scale (a
    // p-value of a near-null difference between pooled groups inherits the means' rounding
    // amplified by |mean| / |difference|: measured, not bounded at 1e-12).
    let mut a = Agreement::default();
    agree(&ours, &theirs, 1e-9, &mut a);
    eprintln!(
        "20,000 users, {} metrics, {} slice columns ({} groups): one-pass audit {one_pass_time:?}; \
         map of 4 partitions {map_time:?}, merge + finish {finish_time:?}; state bytes per \
         partition {sizes:?}, merged {merged_size}; corpus bytes per partition {corpus_sizes:?}; \
         sorted-run bytes per partition {ranked_sizes:?}; {a:?}",
        ours.as_object().unwrap().len(),
        plan.columns.len(),
        plan.columns.iter().map(|c| c.labels.len()).sum::<usize>()
    );
}

#[test]
fn pooled_groups_with_snapshots_agree_to_1e_12_of_the_metric_scale() {
    // Two snapshots (the over-time metrics: slopes, list overlap), groups above 100 users pooled,
    // Welch tests.
    let stats = StatsConfig {
        resamples: 100,
        bootstrap_units: 100,
        permutation_max_n: 0,
        ..StatsConfig::default()
    };
    property(17, 600, 2, stats, 2, 1e-12);
}

#[test]
fn finish_from_runs_on_disk_equals_the_runs_merged_in_memory() {
    // Groups above 100 users pooled and not kept: the overall group and most slice groups are
    // read from the sorted runs (percentiles, cut-offs, distributions).
    let stats = StatsConfig {
        resamples: 60,
        bootstrap_units: 100,
        permutation_max_n: 0,
        ..StatsConfig::default()
    };
    let (dir, ds, input) = case(23, 700, 1);
    let cfg = config(dir.path(), stats);
    let items = ItemStats::compute(&ds, &cfg);
    let slices = audited_slices(&ds, &input, &cfg).unwrap();
    let plan = SlicePlan::of(&slices);
    let codes: Vec<&[u32]> = slices.iter().map(|c| c.codes.as_slice()).collect();
    let settings = PartialSettings::new(cfg.stats, cfg.slices.min_slice_size);
    let whole = per_user_metrics(&ds, &items, &cfg);
    let defs: Vec<_> = whole.iter().map(|m| m.definition).collect();
    // Five partitions by id (the users of id 3 mod 4 in the last one, the fourth empty), each
    // partition's users shuffled.
    let mut rng = ChaCha8Rng::seed_from_u64(23);
    let mut runs = SpilledRuns::new().unwrap();
    let mut states = Vec::new();
    for p in 0..5u32 {
        let mut users: Vec<u32> = (0..ds.n_users as u32)
            .filter(|u| if u % 4 == 3 { p == 4 } else { u % 4 == p })
            .collect();
        users.shuffle(&mut rng);
        let (state, ranked) = if users.is_empty() {
            (
                PartialAudit::empty(defs.clone(), plan.n_groups(), settings),
                ranked_of(&ds, &users, &codes, &whole),
            )
        } else {
            let part = partition_dataset(&ds, &users, &items);
            let metrics = per_user_metrics(&part, &items, &cfg);
            let state = map_dataset(&part, &users, &codes, &plan, &items, &cfg, &settings);
            let ranked = ranked_of(&ds, &users, &codes, &metrics_by_id(&metrics, &users, &ds));
            (state, ranked)
        };
        runs.push(&ranked).unwrap();
        states.push((state, ranked));
    }
    let (merged, in_memory) = states
        .into_iter()
        .reduce(|(a, ra), (b, rb)| (a.merge(b), ra.merge(rb)))
        .unwrap();
    assert!(
        merged.overall.rows.is_none(),
        "the overall group is read from the runs"
    );
    assert_eq!(runs.partitions(), 5);
    assert_eq!(
        runs.bytes(),
        in_memory
            .runs
            .iter()
            .map(|r| r.len() as u64 * (16 + 4 * r.columns as u64))
            .sum::<u64>()
    );
    let finish = |source: &dyn RankedSource| {
        serde_json::to_value(finish_metrics(merged.clone(), Some(source), &plan).unwrap()).unwrap()
    };
    let (memory, disk) = (finish(&in_memory), finish(&runs));
    let mut a = Agreement::default();
    agree(&disk, &memory, 0.0, &mut a);
    eprintln!("runs on disk against runs merged in memory: {a:?}");
    assert_eq!(a.identical, a.numbers, "{a:?}");
    assert!(a.distribution_numbers > 500, "{a:?}");
    assert_eq!(disk, memory);
    // A damaged file is an error of the finish, not a panic.
    runs.spill_file().file().set_len(runs.bytes() / 2).unwrap();
    let e = finish_metrics(merged, Some(&runs), &plan).unwrap_err();
    assert!(e.0.contains("sorted runs"), "{e}");
}
