//! Tests of [`two_way_sums`]: hand-worked product weights, the engine against the plain
//! double sum on generated terms (pooled and per unit), and independence of the item weights
//! from the sets.

use proptest::prelude::*;

use super::*;
use crate::stats::bootstrap::test_keys;

/// Items `i0`, `i1`, ... keyed by their ids.
fn items(n: usize) -> ItemKeys {
    let ids: Vec<String> = (0..n).map(|i| format!("i{i}")).collect();
    ItemKeys::of_ids(&ids)
}

/// The terms of a user from a table of (user, item, column, value).
fn table_terms(table: &[(u32, u32, u32, f64)]) -> impl Fn(u32, &mut Vec<Term>) + Sync + '_ {
    move |u, out| {
        out.extend(
            table
                .iter()
                .filter(|t| t.0 == u)
                .map(|&(_, item, column, value)| Term {
                    item,
                    column,
                    value,
                }),
        )
    }
}

fn per_unit(resamples: usize) -> StatsConfig {
    StatsConfig {
        resamples,
        bootstrap_units: 0,
        seed: 5,
        ..StatsConfig::default()
    }
}

#[test]
fn replicate_sums_are_products_of_user_and_item_weights() {
    // One set of users {0, 1}, items i0 and i1 (dense ids 0, 1); one column: x(0,0) = 1,
    // x(0,1) = 2, x(1,1) = 4. Every user and item is its own unit, so replicate b is
    // S_b = w_b0·v_b(i0)·1 + w_b0·v_b(i1)·2 + w_b1·v_b(i1)·4 with w the user weights (positions
    // 0, 1 of the stream (seed, b)) and v the item weights: an item's weight is at its position
    // in ascending key order of the catalog. XXH64("i0", 42) = 0xce83_44d7_a21a_a92b is above
    // XXH64("i1", 42) = 0x62e0_ba5f_db02_f237 (both from Spark's xxhash64, read as unsigned), so
    // i1 comes first: v_b(i1) is position 0, v_b(i0) position 1.
    let table = [(0, 0, 0, 1.0), (0, 1, 0, 2.0), (1, 1, 0, 4.0)];
    let cfg = per_unit(64);
    let groups = Groups::from_members([vec![0, 1]], &test_keys(2));
    let reps = two_way_sums(&groups, &[true], &items(2), 1, &table_terms(&table), &cfg);
    assert_eq!(reps.observed(0), [7.0]);
    let poisson = Poisson1::new();
    let (mut w, mut v) = ([0.0; 2], [0.0; 2]);
    let mut distinct = std::collections::BTreeSet::new();
    for b in 0..cfg.resamples {
        poisson.fill(&mut w, cfg.seed, b as u64, 0);
        item_weights(&poisson, cfg.seed, b, &mut v);
        let (v_i0, v_i1) = (v[1], v[0]);
        let want = w[0] * v_i0 * 1.0 + w[0] * v_i1 * 2.0 + w[1] * v_i1 * 4.0;
        assert_eq!(reps.replicate(0, b), [want], "replicate {b}");
        distinct.insert(want as i64);
    }
    // The weights vary: the replicates are not all the observed sum.
    assert!(distinct.len() > 5, "{distinct:?}");
    // Item weights are not the user weights: the two streams differ.
    let (mut w0, mut v0) = ([0.0; 32], [0.0; 32]);
    poisson.fill(&mut w0, cfg.seed, 0, 0);
    item_weights(&poisson, cfg.seed, 0, &mut v0);
    assert_ne!(w0, v0);
}

#[test]
fn a_ratio_gets_its_interval_from_the_replicates() {
    // 8 users × 8 items, every term adding 1 to column 0 and 4 to column 1: 64/256 observed, and
    // every replicate with a non-zero weight product keeps the ratio 1/4 (all weights of one
    // side zero has probability about 2·e⁻⁸), so the interval is the point.
    let table: Vec<(u32, u32, u32, f64)> = (0..8)
        .flat_map(|u| (0..8).flat_map(move |i| [(u, i, 0, 1.0), (u, i, 1, 4.0)]))
        .collect();
    let cfg = per_unit(200);
    let groups = Groups::from_members([(0..8).collect(), vec![]], &test_keys(8));
    let reps = two_way_sums(
        &groups,
        &[true, true],
        &items(8),
        2,
        &table_terms(&table),
        &cfg,
    );
    assert_eq!(reps.observed(0), [64.0, 256.0]);
    let e = reps.ratio_estimate(0, 0, 1, 8, 0.95);
    assert_eq!(e.value, Some(0.25));
    assert_eq!((e.ci_low, e.ci_high), (Some(0.25), Some(0.25)));
    // The empty set: no value, no interval.
    assert_eq!(
        reps.ratio_estimate(1, 0, 1, 0, 0.95),
        Estimate::point(None, 0)
    );
}

#[test]
fn pooled_units_stay_within_the_cell_cap() {
    // 1,000 users and 500 items under a cap of 400 cells: 20 item buckets, 20 user buckets.
    let groups = Groups::from_members([(0..1_000).collect::<Vec<u32>>()], &test_keys(1_000));
    let (m, k) = plan(&groups, 500, 400);
    assert_eq!((m, k), (20, vec![20]));
    let units = item_units(&items(500), m, 3);
    assert!(units.iter().all(|&u| u < 20));
    // A small set keeps one unit per user; few items keep one unit per item.
    let small = Groups::from_members([vec![1, 2, 3]], &test_keys(4));
    assert_eq!(plan(&small, 10, 4_096), (10, vec![3]));
    let mut own = item_units(&items(10), 10, 3);
    own.sort_unstable();
    assert_eq!(own, (0..10).collect::<Vec<u32>>());
}

#[test]
fn item_units_follow_the_ids_not_the_catalog_order() {
    // The same ids in two catalog orders: each id gets the same unit, pooled or not.
    let ids: Vec<String> = (0..200).map(|i| format!("item-{i}")).collect();
    let mut shuffled = ids.clone();
    shuffled.reverse();
    shuffled.swap(3, 150);
    let (a, b) = (ItemKeys::of_ids(&ids), ItemKeys::of_ids(&shuffled));
    for n_units in [200, 400, 16] {
        let (ua, ub) = (item_units(&a, n_units, 7), item_units(&b, n_units, 7));
        for (i, id) in ids.iter().enumerate() {
            let j = shuffled.iter().position(|x| x == id).unwrap();
            assert_eq!(ua[i], ub[j], "{id}, {n_units} units");
        }
    }
    // Unpooled: the position in ascending key order, by sorting the keys directly.
    let mut by_key: Vec<(u64, usize)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (crate::data::id_key(id), i))
        .collect();
    by_key.sort_unstable();
    let units = item_units(&a, 200, 7);
    for (p, &(_, i)) in by_key.iter().enumerate() {
        assert_eq!(units[i] as usize, p);
    }
}

/// Generated terms: up to 40 users in two or three sets, items below 30, two columns.
fn terms_strategy() -> impl Strategy<Value = (Vec<(u32, u32, u32, f64)>, usize)> {
    (
        prop::collection::vec((0u32..40, 0u32..30, 0u32..2, 0.0f64..3.0), 0..120),
        2usize..4,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn replicates_equal_the_product_weighted_double_sum(
        (table, n_sets) in terms_strategy(),
        cap in prop::sample::select(vec![0usize, 16, 100]),
    ) {
        // Users split into sets by u mod n_sets; the engine against Σ_u Σ_i w·v·x computed
        // from the drawn weights and the units of `plan` and `item_units` directly.
        let members: Vec<Vec<u32>> = (0..n_sets)
            .map(|s| (0..40u32).filter(|u| *u as usize % n_sets == s).collect())
            .collect();
        let keys = test_keys(40);
        let groups = Groups::from_members(members.clone(), &keys);
        let include: Vec<bool> = (0..n_sets).map(|s| s != 1).collect();
        let cfg = StatsConfig { resamples: 40, bootstrap_units: cap, seed: 9, ..StatsConfig::default() };
        let catalog = items(30);
        let reps = two_way_sums(&groups, &include, &catalog, 2, &table_terms(&table), &cfg);
        let (m, k) = plan(&groups, 30, cap);
        let item_unit = item_units(&catalog, m, cfg.seed);
        let user_key = mix64(cfg.seed ^ BUCKET_SALT);
        let poisson = Poisson1::new();
        let total_units: usize = k.iter().sum();
        let mut w = vec![0.0; total_units];
        let mut v = vec![0.0; m];
        for b in 0..cfg.resamples {
            poisson.fill(&mut w, cfg.seed, b as u64, 0);
            item_weights(&poisson, cfg.seed, b, &mut v);
            let mut offset = 0;
            for (s, users) in members.iter().enumerate() {
                let mut want = [0.0; 2];
                let mut observed = [0.0; 2];
                for (at, &u) in users.iter().enumerate() {
                    let unit = if k[s] < users.len() {
                        bucket_of(user_key, keys[u as usize], k[s]) as usize
                    } else {
                        at
                    };
                    for &(tu, item, col, x) in &table {
                        if tu == u {
                            want[col as usize] += w[offset + unit] * v[item_unit[item as usize] as usize] * x;
                            observed[col as usize] += x;
                        }
                    }
                }
                let got = reps.replicate(s, b);
                for j in 0..2 {
                    let expect = if include[s] { want[j] } else { 0.0 };
                    prop_assert!((got[j] - expect).abs() < 1e-9, "set {} b {} col {}: {} vs {}", s, b, j, got[j], expect);
                    prop_assert!((reps.observed(s)[j] - observed[j]).abs() < 1e-9);
                }
                offset += k[s];
            }
        }
    }
}

/// Every bit of the observed and replicate sums of `a` and `b`.
fn same_sums(a: &TwoWayReplicates, b: &TwoWayReplicates) -> bool {
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
    bits(&a.observed) == bits(&b.observed)
        && bits(&a.reps) == bits(&b.reps)
        && a.included == b.included
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn families_at_once_equal_one_call_per_family(
        (table, n_sets) in terms_strategy(),
        cap in prop::sample::select(vec![0usize, 16, 100]),
        shuffled in any::<bool>(),
    ) {
        // Three families over users 0..40: everyone, u mod n_sets, and u mod 2 with users 30..40
        // in no set. With `shuffled`, one family lists its members in descending order (the
        // families are then built set by set).
        let mut modulo: Vec<Vec<u32>> = (0..n_sets)
            .map(|s| (0..40u32).filter(|u| *u as usize % n_sets == s).collect())
            .collect();
        if shuffled {
            modulo[0].reverse();
        }
        let keys = test_keys(40);
        // A fourth family has a set small enough to keep one unit per user beside a pooled one.
        let families = [
            Groups::from_members([(0..40u32).collect::<Vec<u32>>()], &keys),
            Groups::from_members(modulo, &keys),
            Groups::from_members((0..2).map(|s| (0..30u32).filter(|u| *u % 2 == s).collect()), &keys),
            Groups::from_members([(0..3u32).collect(), (3..40u32).collect()], &keys),
        ];
        let include: Vec<Vec<bool>> = vec![
            vec![true],
            (0..n_sets).map(|s| s != 1).collect(),
            vec![true, true],
            vec![true, true],
        ];
        let cfg = StatsConfig { resamples: 40, bootstrap_units: cap, seed: 9, ..StatsConfig::default() };
        let terms = table_terms(&table);
        let args: Vec<(&Groups, &[bool])> =
            families.iter().zip(&include).map(|(g, i)| (g, i.as_slice())).collect();
        let catalog = items(30);
        let together = two_way_sums_each(&args, &catalog, 2, &terms, &cfg);
        prop_assert_eq!(together.len(), 4);
        for ((groups, include), got) in args.iter().zip(&together) {
            let alone = two_way_sums(groups, include, &catalog, 2, &terms, &cfg);
            prop_assert!(same_sums(got, &alone));
        }
    }
}

#[test]
fn families_at_once_equal_one_call_per_family_over_several_blocks() {
    // More users than one block of the pass by unit, and terms that repeat an item: everyone,
    // u mod 3 (set 2 not included), and a family of a small set (one unit per user) and a set
    // with users in every block.
    let n = 2 * USER_BLOCK + 1_000;
    let keys = test_keys(n);
    let all = Groups::from_members([(0..n as u32).collect::<Vec<u32>>()], &keys);
    let modulo = Groups::from_members(
        (0..3).map(|s| (0..n as u32).filter(|u| u % 3 == s).collect()),
        &keys,
    );
    let mixed = Groups::from_members(
        [
            vec![6, 30_001],
            (0..n as u32).filter(|u| u % 7 == 1).collect(),
        ],
        &keys,
    );
    let terms = |u: u32, out: &mut Vec<Term>| {
        for r in 0..(u % 5) {
            let item = (u.wrapping_mul(2_654_435_761) >> 8).wrapping_add(r * 977) % 300;
            let x = f64::from(u % 13) * 0.1 + f64::from(r) + 1.0 / 3.0;
            out.push(Term {
                item,
                column: 2,
                value: x,
            });
            out.push(Term {
                item,
                column: r % 2,
                value: x * 0.7,
            });
        }
    };
    let catalog = items(300);
    let cfg = StatsConfig {
        resamples: 40,
        seed: 11,
        ..StatsConfig::default()
    };
    let include: [&[bool]; 3] = [&[true], &[true, true, false], &[true, true]];
    let args: Vec<(&Groups, &[bool])> = [&all, &modulo, &mixed].into_iter().zip(include).collect();
    let together = two_way_sums_each(&args, &catalog, 3, &terms, &cfg);
    for ((groups, include), got) in args.iter().zip(&together) {
        let alone = two_way_sums(groups, include, &catalog, 3, &terms, &cfg);
        assert!(same_sums(got, &alone));
    }
    assert!(together[2].observed(0).iter().any(|&x| x != 0.0));
}

/// Ranked lists of users 0..`n_users`, per item of a catalog of `n_items` its (column, factor)
/// pairs among `n_cols` columns (some items with none), and rank weights, from `seed`.
fn ranked_case(
    n_users: usize,
    n_items: u32,
    n_cols: u32,
    seed: u64,
) -> (Csr<u32>, Vec<f64>, Csr<(u32, f64)>) {
    let mut state = seed;
    let mut next = move |n: u64| {
        state = mix64(state.wrapping_add(0x9e37_79b9_7f4a_7c15));
        state % n
    };
    let lists = Csr::from_rows((0..n_users).map(|_| {
        let len = next(8) as usize;
        let mut row: Vec<u32> = Vec::with_capacity(len);
        for _ in 0..len {
            // Now and then the item before it again.
            match row.last() {
                Some(&last) if next(5) == 0 => row.push(last),
                _ => row.push(next(u64::from(n_items)) as u32),
            }
        }
        row
    }));
    let weight: Vec<f64> = (0..6).map(|r| 1.0 / (r as f64 + 1.5)).collect();
    let factors = [1.0, 0.5, 1.0 / 3.0, 0.0, 2.5];
    let columns = Csr::from_rows((0..n_items).map(|_| {
        (0..next(4))
            .map(|_| (next(u64::from(n_cols)) as u32, factors[next(5) as usize]))
            .collect()
    }));
    (lists, weight, columns)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn ranked_terms_equal_the_terms_they_list(
        seed in any::<u64>(),
        n_sets in 2usize..4,
        cap in prop::sample::select(vec![0usize, 16, 100]),
    ) {
        // The overall population, u mod n_sets, and u mod 2 with users 30..40 in no set: the
        // ranked engine against the same terms given one user at a time, bit for bit.
        let (lists, weight, columns) = ranked_case(40, 30, 3, seed);
        let ranked = RankedTerms { lists: &lists, weight: &weight, columns: &columns };
        let keys = test_keys(40);
        let families = [
            Groups::from_members([(0..40u32).collect::<Vec<u32>>()], &keys),
            Groups::from_members(
                (0..n_sets).map(|s| (0..40u32).filter(|u| *u as usize % n_sets == s).collect()),
                &keys,
            ),
            Groups::from_members((0..2).map(|s| (0..30u32).filter(|u| *u % 2 == s).collect()), &keys),
        ];
        let include: Vec<Vec<bool>> =
            vec![vec![true], (0..n_sets).map(|s| s != 1).collect(), vec![true, true]];
        let args: Vec<(&Groups, &[bool])> =
            families.iter().zip(&include).map(|(g, i)| (g, i.as_slice())).collect();
        let cfg = StatsConfig { resamples: 40, bootstrap_units: cap, seed: 9, ..StatsConfig::default() };
        let catalog = items(30);
        let got = two_way_sums_ranked(&args, &catalog, 3, ranked, &cfg);
        let want = two_way_sums_each(&args, &catalog, 3, &|u, out| ranked.terms(u, out), &cfg);
        prop_assert_eq!(got.len(), want.len());
        for (got, want) in got.iter().zip(&want) {
            prop_assert!(same_sums(got, want));
        }
    }
}

#[test]
fn ranked_terms_equal_the_terms_they_list_over_several_blocks() {
    let n = USER_BLOCK + 3_000;
    let (lists, weight, columns) = ranked_case(n, 500, 4, 3);
    let ranked = RankedTerms {
        lists: &lists,
        weight: &weight,
        columns: &columns,
    };
    let keys = test_keys(n);
    let all = Groups::from_members([(0..n as u32).collect::<Vec<u32>>()], &keys);
    let modulo = Groups::from_members(
        (0..3).map(|s| (0..n as u32).filter(|u| u % 3 == s).collect()),
        &keys,
    );
    let cfg = StatsConfig {
        resamples: 40,
        seed: 11,
        ..StatsConfig::default()
    };
    let include: [&[bool]; 2] = [&[true], &[true, false, true]];
    let args: Vec<(&Groups, &[bool])> = [&all, &modulo].into_iter().zip(include).collect();
    let catalog = items(500);
    let got = two_way_sums_ranked(&args, &catalog, 4, ranked, &cfg);
    let want = two_way_sums_each(&args, &catalog, 4, &|u, out| ranked.terms(u, out), &cfg);
    for (got, want) in got.iter().zip(&want) {
        assert!(same_sums(got, want));
    }
    assert!(got[0].observed(0).iter().any(|&x| x != 0.0));
}
