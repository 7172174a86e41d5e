//! Tests of [`size_matched_corpus`](super::size_matched_corpus).

use std::collections::BTreeSet;
use std::sync::Mutex;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::slices::test_column;

/// Ascending keys for users 0..n (the reader numbers users in ascending key order).
fn keys(n: usize) -> Vec<u64> {
    (0..n as u64).map(|u| u * 1_000_003 + 17).collect()
}

/// One slice column with groups of the given sizes (users numbered on), in label order `g0`,
/// `g1`, ...; `suppressed` groups are not published.
fn column(sizes: &[(usize, bool)]) -> SliceColumn {
    let labels: Vec<String> = (0..sizes.len()).map(|i| format!("g{i}")).collect();
    let groups: Vec<(&str, usize, bool)> = labels
        .iter()
        .zip(sizes)
        .map(|(l, &(n, suppressed))| (l.as_str(), n, suppressed))
        .collect();
    test_column(&groups, None)
}

/// Corpus values that are plain functions of the user set: catalog coverage = the number of
/// users, Gini = the mean user id.
fn counting(users: &[u32]) -> CorpusValues {
    let mut cv = CorpusValues::default();
    cv.scalars
        .insert("catalog_coverage".into(), Some(users.len() as f64));
    let mean = users.iter().map(|&u| f64::from(u)).sum::<f64>() / users.len() as f64;
    cv.scalars.insert("gini_uniform".into(), Some(mean));
    cv.scalars.insert("novelty".into(), Some(1.0));
    cv
}

/// A cost at which every column of these tests affords all its subsamples.
const CHEAP: SubsampleCost = SubsampleCost {
    per_user: 1,
    per_subsample: 1,
};

fn cfg(seed: u64) -> StatsConfig {
    StatsConfig {
        resamples: 50,
        seed,
        ..StatsConfig::default()
    }
}

#[test]
fn every_group_is_subsampled_to_the_smallest_published_size() {
    // g0: users 0..2, g1: users 2..6, g2 (suppressed, 1 user) does not set the size.
    let slices = [column(&[(2, false), (4, false), (1, true)])];
    let seen: Mutex<Vec<Vec<u32>>> = Mutex::new(Vec::new());
    let corpus_of = |users: &[u32]| {
        seen.lock().unwrap().push(users.to_vec());
        counting(users)
    };
    let got = size_matched_corpus(&slices, &keys(20), &corpus_of, &cfg(7), CHEAP).columns;
    let matched = &got["col"];
    assert_eq!((matched.n_users, matched.subsamples), (2, 50));
    assert_eq!(matched.groups.keys().collect::<Vec<_>>(), ["g0", "g1"]);
    // Only the size-dependent metrics; each subsample holds 2 users: the value 2, no spread.
    let g1 = &matched.groups["g1"];
    assert_eq!(
        g1.keys().collect::<Vec<_>>(),
        ["catalog_coverage", "gini_uniform"]
    );
    let coverage = g1["catalog_coverage"];
    assert_eq!(
        (
            coverage.value,
            coverage.ci_low,
            coverage.ci_high,
            coverage.n
        ),
        (Some(2.0), Some(2.0), Some(2.0), 2)
    );
    // g1's subsamples: 2 distinct users of g1 each (one call for g0, taken whole, 50 for g1).
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen.len(), 51);
    let of_g1: Vec<&Vec<u32>> = seen.iter().filter(|s| s[0] >= 2).collect();
    assert_eq!(of_g1.len(), 50);
    for s in &of_g1 {
        assert!(
            s.len() == 2 && s[0] < s[1] && s.iter().all(|u| (2..6).contains(u)),
            "{s:?}"
        );
    }
    // Mean user id of 2 of {2, 3, 4, 5}: between 2.5 and 4.5, about 3.5 on average.
    let mean_id = g1["gini_uniform"];
    assert!((2.5..=4.5).contains(&mean_id.ci_low.unwrap()));
    assert!((2.5..=4.5).contains(&mean_id.ci_high.unwrap()));
    assert!((mean_id.value.unwrap() - 3.5).abs() < 0.3, "{mean_id:?}");
}

#[test]
fn a_group_of_the_matched_size_keeps_its_own_value() {
    let slices = [column(&[(3, false), (3, false)])];
    let got = size_matched_corpus(&slices, &keys(20), &counting, &cfg(7), CHEAP).columns;
    for (g, mean_id) in [("g0", 1.0), ("g1", 4.0)] {
        let e = got["col"].groups[g]["gini_uniform"];
        assert_eq!(
            (e.value, e.ci_low, e.ci_high),
            (Some(mean_id), Some(mean_id), Some(mean_id))
        );
    }
}

#[test]
fn subsamples_follow_the_seed() {
    let slices = [column(&[(2, false), (9, false)])];
    let a = size_matched_corpus(&slices, &keys(20), &counting, &cfg(7), CHEAP).columns;
    assert_eq!(
        a,
        size_matched_corpus(&slices, &keys(20), &counting, &cfg(7), CHEAP).columns
    );
    assert_ne!(
        a,
        size_matched_corpus(&slices, &keys(20), &counting, &cfg(8), CHEAP).columns
    );
}

#[test]
fn columns_with_fewer_than_two_published_groups_and_bootstrap_zero_give_nothing() {
    let slices = [column(&[(2, false), (9, true)])];
    assert!(
        size_matched_corpus(&slices, &keys(20), &counting, &cfg(7), CHEAP)
            .columns
            .is_empty()
    );
    let slices = [column(&[(2, false), (9, false)])];
    let none = StatsConfig {
        resamples: 0,
        ..cfg(7)
    };
    assert!(
        size_matched_corpus(&slices, &keys(20), &counting, &none, CHEAP)
            .columns
            .is_empty()
    );
    // The cap on subsamples.
    let many = StatsConfig {
        resamples: 1_000,
        ..cfg(7)
    };
    let got = size_matched_corpus(&slices, &keys(20), &counting, &many, CHEAP).columns;
    assert_eq!(got["col"].subsamples, MAX_SUBSAMPLES);
}

#[test]
fn subsamples_are_what_the_budget_affords_within_the_cap() {
    let cost = SubsampleCost {
        per_user: 10,
        per_subsample: 500,
    };
    // Two groups larger than the smallest (100 users): one round costs 2 × (100·10 + 500) plus
    // hashing their 250 + 400 users = 3,650.
    let sizes = [100, 250, 400];
    assert_eq!(
        affordable_subsamples(&sizes, cost, 3_000_000, 200),
        Some(200)
    );
    assert_eq!(affordable_subsamples(&sizes, cost, 182_500, 200), Some(50));
    assert_eq!(affordable_subsamples(&sizes, cost, 73_000, 200), Some(20));
    assert_eq!(affordable_subsamples(&sizes, cost, 72_999, 200), None);
    // Groups of one size are taken whole: nothing to afford.
    assert_eq!(affordable_subsamples(&[80, 80], cost, 0, 200), Some(200));
}

#[test]
fn a_column_too_costly_to_subsample_is_left_out_with_a_note() {
    // Smallest group 2 users, one larger group of 4: a round costs 2·per_user + per_subsample + 4.
    let slices = [column(&[(2, false), (4, false)])];
    let costly = SubsampleCost {
        per_user: 1,
        per_subsample: WORK_BUDGET / MIN_SUBSAMPLES,
    };
    let got = size_matched_corpus(&slices, &keys(20), &counting, &cfg(7), costly);
    assert!(got.columns.is_empty());
    assert_eq!(got.too_costly, [("col".to_string(), 2)]);
    let notes = got.notes();
    assert_eq!(notes.len(), 1);
    assert!(notes[0].starts_with("Coverage, Gini and personalisation of col were not compared at one group size: its smallest published group has 2 users"), "{}", notes[0]);
    // Just affordable: MIN_SUBSAMPLES subsamples.
    let affordable = SubsampleCost {
        per_user: 0,
        per_subsample: WORK_BUDGET / MIN_SUBSAMPLES - 4,
    };
    let got = size_matched_corpus(&slices, &keys(20), &counting, &cfg(7), affordable);
    assert_eq!(got.columns["col"].subsamples, MIN_SUBSAMPLES);
    assert!(got.too_costly.is_empty());
}

#[test]
fn a_subsample_is_the_users_with_the_smallest_hashes_in_any_order() {
    let keys = keys(300);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let group: Vec<u32> = (0..300).filter(|u| u % 3 != 1).collect();
    for (seed, s, n) in [
        (7, 0, 10),
        (7, 1, 10),
        (8, 0, 10),
        (7, 3, 199),
        (7, 2, 200),
        (7, 2, 500),
    ] {
        let got = bottom_n(&group, &keys, seed, s, n);
        // By definition: every user ranked by (hash, key), the first n, in ascending id.
        let mut ranked: Vec<(u64, u64, u32)> = group
            .iter()
            .map(|&u| {
                (
                    subsample_hash(seed, s, keys[u as usize]),
                    keys[u as usize],
                    u,
                )
            })
            .collect();
        ranked.sort_unstable();
        let mut want: Vec<u32> = ranked.iter().take(n).map(|r| r.2).collect();
        want.sort_unstable();
        assert_eq!(got, want);
        assert_eq!(got.len(), n.min(group.len()));
        // The order of the group's users does not matter.
        let mut shuffled = group.clone();
        shuffled.shuffle(&mut rng);
        assert_eq!(bottom_n(&shuffled, &keys, seed, s, n), got);
    }
    // Subsamples and seeds draw different users.
    let a = bottom_n(&group, &keys, 7, 0, 10);
    assert_ne!(a, bottom_n(&group, &keys, 7, 1, 10));
    assert_ne!(a, bottom_n(&group, &keys, 8, 0, 10));
}

#[test]
fn subsamples_are_uniform_without_replacement() {
    // 2 of 6 users: each of the 15 pairs has probability 1/15. Over 30,000 subsamples a pair is
    // drawn 2,000 times on average, with a standard deviation of about 43.
    let keys = keys(6);
    let group: Vec<u32> = (0..6).collect();
    let draws = 30_000;
    let mut pairs: BTreeMap<Vec<u32>, usize> = BTreeMap::new();
    for s in 0..draws {
        *pairs.entry(bottom_n(&group, &keys, 11, s, 2)).or_default() += 1;
    }
    assert_eq!(pairs.len(), 15);
    assert!(pairs.keys().all(|p| p.len() == 2 && p[0] < p[1]));
    let chi2: f64 = pairs
        .values()
        .map(|&c| (c as f64 - 2_000.0).powi(2) / 2_000.0)
        .sum();
    // The 99.9th percentile of χ² with 14 degrees of freedom is 36.1.
    assert!(chi2 < 36.1, "χ² = {chi2}: {pairs:?}");
    // Within one subsample no user is drawn twice.
    let users: BTreeSet<u32> = bottom_n(&group, &keys, 11, 0, 6).into_iter().collect();
    assert_eq!(users.len(), 6);
}

#[test]
fn a_subsampled_group_is_the_mean_of_its_subsamples_values() {
    // g0: users 0 and 1 (n_min = 2, taken whole); g1: users 2, 3, 4, 5, 20 subsamples of 2.
    let slices = [column(&[(2, false), (4, false)])];
    let keys = keys(6);
    let cfg = StatsConfig {
        resamples: MIN_SUBSAMPLES,
        seed: 7,
        ..StatsConfig::default()
    };
    let got = size_matched_corpus(&slices, &keys, &counting, &cfg, CHEAP).columns;
    // Subsample s: the two users of g1 with the smallest subsample_hash(7, s, key), by a sort.
    let pairs: Vec<[u32; 2]> = (0..MIN_SUBSAMPLES)
        .map(|s| {
            let mut users = [2u32, 3, 4, 5];
            users.sort_by_key(|&u| (subsample_hash(7, s, keys[u as usize]), keys[u as usize]));
            let mut pair = [users[0], users[1]];
            pair.sort_unstable();
            pair
        })
        .collect();
    // The draws under seed 7, by pair (mean user id): {2,3} (2.5) 4 times, {2,4} (3) 3 times,
    // {2,5} (3.5) once, {3,4} (3.5) 6 times, {4,5} (4.5) 6 times; {3,5} never.
    let count = |pair: [u32; 2]| pairs.iter().filter(|&&p| p == pair).count();
    let counts = [[2, 3], [2, 4], [2, 5], [3, 4], [3, 5], [4, 5]].map(count);
    assert_eq!(counts, [4, 3, 1, 6, 0, 6]);
    // The estimate is the mean of the 20 subsample values: (4·2.5 + 3·3 + 3.5 + 6·3.5 + 6·4.5)
    // / 20 = 70.5 / 20 = 3.525; the 95% interval their 2.5th and 97.5th percentiles (type 7:
    // ranks 0.475 and 18.525 of 0..19, between two 2.5s and two 4.5s).
    let e = got["col"].groups["g1"]["gini_uniform"];
    assert_eq!(
        (e.value, e.ci_low, e.ci_high, e.n),
        (Some(3.525), Some(2.5), Some(4.5), 2)
    );
    // Every subsample has two users: coverage 2, no spread.
    let coverage = got["col"].groups["g1"]["catalog_coverage"];
    assert_eq!(
        (coverage.value, coverage.ci_low, coverage.ci_high),
        (Some(2.0), Some(2.0), Some(2.0))
    );
    // g0, of the matched size, keeps its own value: the mean of users 0 and 1.
    let g0 = got["col"].groups["g0"]["gini_uniform"];
    assert_eq!(
        (g0.value, g0.ci_low, g0.ci_high),
        (Some(0.5), Some(0.5), Some(0.5))
    );
}
