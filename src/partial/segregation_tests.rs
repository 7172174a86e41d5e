//! The segregation analysis from merged partition states against the one-pass analysis.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::generate::{generate, GeneratorConfig};
use crate::input;
use crate::metrics::bubble::BubbleConfig;
use crate::metrics::segregation::{segregation, Segregation, FIT_SAMPLE};

/// The one-pass result and the result of `n_parts` random partitions, each round's states merged
/// in a random order.
fn one_pass_and_split(
    ds: &crate::data::Dataset,
    cfg: &BubbleConfig,
    rng: &mut ChaCha8Rng,
) -> (Segregation, Option<Segregation>) {
    let whole = segregation(ds, cfg).expect("the case has categories");
    let items = &ds.items;
    let n_cat = items.category_labels.len();
    let n_parts = rng.gen_range(1..=5);
    let mut parts: Vec<Vec<u32>> = vec![Vec::new(); n_parts];
    for u in 0..ds.n_users as u32 {
        parts[rng.gen_range(0..n_parts)].push(u);
    }
    // A partition's own rows, its users in a random order.
    let rows: Vec<(Vec<u64>, crate::data::RecLists, Vec<Vec<u32>>)> = parts
        .iter_mut()
        .map(|users| {
            users.shuffle(rng);
            let keys = users.iter().map(|&u| ds.user_keys[u as usize]).collect();
            let lists = crate::data::Csr::from_rows(
                users.iter().map(|&u| ds.recs.row(u as usize).to_vec()),
            );
            let codes = ds
                .slices
                .iter()
                .map(|c| users.iter().map(|&u| c.codes[u as usize]).collect())
                .collect();
            (keys, lists, codes)
        })
        .collect();
    // Every state crosses the wire: the same state back, a truncated copy refused.
    let mut samples: Vec<PartialFitSample> = rows
        .iter()
        .map(|(keys, lists, _)| {
            let state = map_fit_sample(keys, lists, &items.categories, n_cat, cfg.seed);
            let bytes = state.to_bytes();
            assert!(PartialFitSample::from_bytes(&bytes[..bytes.len() - 1]).is_err());
            let back = PartialFitSample::from_bytes(&bytes).unwrap();
            assert_eq!(back, state);
            back
        })
        .collect();
    samples.shuffle(rng);
    let sample = samples
        .into_iter()
        .reduce(PartialFitSample::merge)
        .unwrap_or_default();
    let Some(fitted) = sample.fit(n_cat, cfg).unwrap() else {
        return (whole, None);
    };
    let n_groups: Vec<usize> = ds.slices.iter().map(|c| c.labels.len()).collect();
    let mut states: Vec<PartialClusters> = rows
        .iter()
        .map(|(keys, lists, codes)| {
            let codes: Vec<&[u32]> = codes.iter().map(Vec::as_slice).collect();
            let state = map_clusters(
                &fitted,
                keys,
                lists,
                &items.categories,
                n_cat,
                &codes,
                &n_groups,
            );
            let bytes = state.to_bytes();
            assert!(PartialClusters::from_bytes(&bytes[..bytes.len() - 1]).is_err());
            assert!(PartialClusters::from_bytes(&[bytes.as_slice(), &[0]].concat()).is_err());
            let back = PartialClusters::from_bytes(&bytes).unwrap();
            assert_eq!(back, state);
            back
        })
        .collect();
    states.shuffle(rng);
    let merged = states.into_iter().reduce(PartialClusters::merge).unwrap();
    let columns: Vec<(&str, &[String])> = ds
        .slices
        .iter()
        .map(|c| (c.name.as_str(), c.labels.as_slice()))
        .collect();
    let finished =
        finish_segregation(&fitted, &merged, &columns, &items.category_labels, cfg.seed).unwrap();
    // A state of another audit is refused, not finished into wrong numbers.
    assert!(finish_segregation(
        &fitted,
        &merged,
        &columns[1..],
        &items.category_labels,
        cfg.seed
    )
    .is_err());
    assert!(sample.fit(n_cat - 1, cfg).is_err());
    (whole, Some(finished))
}

/// Every field equal, the clusters' category shares within 1e-12 relative (their sums follow the
/// partitioning); returns the largest relative difference.
fn assert_agree(whole: &Segregation, split: &Segregation) -> f64 {
    let mut max_rel: f64 = 0.0;
    assert_eq!(
        (whole.n_clusters, whole.k_rule, &whole.k_candidates),
        (split.n_clusters, split.k_rule, &split.k_candidates)
    );
    assert_eq!(
        whole.silhouette.map(f64::to_bits),
        split.silhouette.map(f64::to_bits)
    );
    assert_eq!(
        (whole.n_users, whole.n_users_unclustered, whole.n_users_fit),
        (split.n_users, split.n_users_unclustered, split.n_users_fit)
    );
    assert_eq!(whole.clusters.len(), split.clusters.len());
    for (a, b) in whole.clusters.iter().zip(&split.clusters) {
        assert_eq!((a.cluster, a.n_users), (b.cluster, b.n_users));
        assert_eq!(a.share.to_bits(), b.share.to_bits());
        assert_eq!(a.top_categories.len(), b.top_categories.len());
        for (x, y) in a.top_categories.iter().zip(&b.top_categories) {
            assert_eq!(x.category, y.category);
            let rel = (x.share - y.share).abs() / x.share.abs().max(y.share.abs());
            assert!(rel <= 1e-12, "{} {} vs {}", x.category, x.share, y.share);
            max_rel = max_rel.max(rel);
        }
    }
    // Group shares and NMI come from counts: identical.
    assert_eq!(whole.slices, split.slices);
    assert!(split.labels.is_empty());
    max_rel
}

#[test]
fn merged_partitions_cluster_as_the_one_pass_analysis() {
    let mut rng = ChaCha8Rng::seed_from_u64(24);
    let mut max_rel: f64 = 0.0;
    let mut compared = 0;
    for (case, n_users) in [400, 700, 1_000].into_iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let gen = GeneratorConfig {
            n_users,
            n_items: 150,
            seed: 30 + case as u64,
            ..GeneratorConfig::default()
        };
        generate(&gen, dir.path()).unwrap();
        let cfg = crate::audit::AuditConfig {
            paths: input::TablePaths::in_folder(dir.path(), "csv"),
            ..crate::audit::AuditConfig::default()
        };
        let (ds, _) = input::load(&cfg.input()).unwrap();
        for given_k in [None, Some(3)] {
            let bubble = BubbleConfig {
                n_clusters: given_k,
                seed: 5 + case as u64,
                ..BubbleConfig::default()
            };
            for _ in 0..2 {
                let (whole, split) = one_pass_and_split(&ds, &bubble, &mut rng);
                let split = split.expect("a fit when the one-pass has one");
                let whole = whole.relate_slices(&ds.slices);
                max_rel = max_rel.max(assert_agree(&whole, &split));
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 12);
    eprintln!(
        "segregation: 12 splits agree, largest relative difference of a category share {max_rel:e}"
    );
}

#[test]
fn fit_samples_merge_to_the_smallest_hashes() {
    // More candidates than the sample holds, spread over three partitions.
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let users: Vec<SampleUser> = (0..FIT_SAMPLE as u64 * 4 + 500)
        .map(|key| SampleUser {
            hash: rng.gen(),
            key,
            distribution: vec![(0, 1.0)],
        })
        .collect();
    let partition = |p: u64| {
        PartialFitSample::default().merge(PartialFitSample {
            users: users.iter().filter(|s| s.key % 3 == p).cloned().collect(),
        })
    };
    let parts: Vec<PartialFitSample> = (0..3).map(partition).collect();
    assert!(parts.iter().all(|p| p.users.len() == FIT_SAMPLE));
    let merged = parts.into_iter().reduce(PartialFitSample::merge).unwrap();
    let mut want: Vec<(u64, u64)> = users.iter().map(|s| (s.hash, s.key)).collect();
    want.sort_unstable();
    want.truncate(FIT_SAMPLE);
    let got: Vec<(u64, u64)> = merged.users.iter().map(|s| (s.hash, s.key)).collect();
    assert_eq!(got, want);
}
