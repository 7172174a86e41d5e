//! The planted effects show, each against the same case without it.

use super::super::catalog::category_name;
use super::super::test_cases::{
    distinct_cats, entropy, gen_case, hit_rate_by_gender, indie_share, small, split_mean, Case,
};
use super::super::{bench_config, example_config, example_over_time_config};
use super::*;
use crate::generate::{GeneratorConfig, OutputFormat};
use std::collections::HashSet;

#[test]
fn worse_group_lowers_hit_rate() {
    let (_d, plain) = gen_case(&small(11, Plants::none()));
    let (f, rest) = hit_rate_by_gender(&plain);
    assert!((0.3..=0.7).contains(&rest), "hit rate {rest}");
    assert!((f - rest).abs() < 0.06, "no plant: {f} vs {rest}");

    let (_d, planted) = gen_case(&small(
        11,
        Plants {
            worse_group: true,
            ..Plants::none()
        },
    ));
    let (f, rest) = hit_rate_by_gender(&planted);
    assert!(f < 0.5 * rest, "planted: {f} vs {rest}");
}

#[test]
fn underexposed_provider_share() {
    let (_d, plain) = gen_case(&small(5, Plants::none()));
    let (share, catalog) = indie_share(&plain);
    assert!((catalog - 0.3).abs() < 0.02, "catalog share {catalog}");
    assert!(
        (share - catalog).abs() < 0.05,
        "no plant: {share} vs {catalog}"
    );

    let (_d, planted) = gen_case(&small(
        5,
        Plants {
            underexposed_provider: true,
            ..Plants::none()
        },
    ));
    let (share, catalog) = indie_share(&planted);
    assert!(share < 0.6 * catalog, "planted: {share} vs {catalog}");
}

#[test]
fn narrow_group_has_fewer_list_categories() {
    let is_narrow = |u: &[String]| u[2] == NARROW_AGE_BAND;
    let (_d, plain) = gen_case(&small(3, Plants::none()));
    let list_cats = |case: &Case| {
        split_mean(case, "1", is_narrow, |list, _| {
            distinct_cats(case, list.iter().map(|x| &x.1))
        })
    };
    let (g, rest) = list_cats(&plain);
    assert!((g - rest).abs() < 0.4, "no plant: {g} vs {rest}");

    let (_d, planted) = gen_case(&small(
        3,
        Plants {
            narrow_group: true,
            ..Plants::none()
        },
    ));
    let (g, rest) = list_cats(&planted);
    assert!(g <= 2.5 && g < 0.5 * rest, "planted: {g} vs {rest}");
    // ... while their history stays as broad as everyone's.
    let (hg, hrest) = split_mean(&planted, "1", is_narrow, |_, u| {
        distinct_cats(&planted, planted.history[u].iter())
    });
    assert!((hg - hrest).abs() < 0.4, "history: {hg} vs {hrest}");
}

#[test]
fn narrowing_over_time_and_segregation() {
    let cfg = GeneratorConfig {
        n_users: 600,
        n_snapshots: 4,
        plants: Plants {
            narrowing_over_time: true,
            segregated_group: true,
            ..Plants::none()
        },
        ..GeneratorConfig::default()
    };
    let (_d, case) = gen_case(&cfg);
    let is_narrowing = |u: &[String]| u[2] == NARROWING_AGE_BAND;
    let per_snapshot: Vec<(f64, f64)> = ["1", "2", "3", "4"]
        .iter()
        .map(|s| {
            split_mean(&case, s, is_narrowing, |list, _| {
                distinct_cats(&case, list.iter().map(|x| &x.1))
            })
        })
        .collect();
    let (first, last) = (per_snapshot[0], per_snapshot[3]);
    assert!((first.0 - first.1).abs() < 0.6, "{per_snapshot:?}");
    assert!(
        per_snapshot.windows(2).all(|w| w[1].0 < w[0].0),
        "{per_snapshot:?}"
    );
    assert!(last.0 < 1.5, "{per_snapshot:?}");
    assert!((last.1 - first.1).abs() < 0.6, "{per_snapshot:?}");

    // The segregated region's lists use only cluster categories, everyone else's none.
    let names: Vec<String> = (0..12).map(category_name).collect();
    let cluster: HashSet<&str> = names[9..].iter().map(|s| s.as_str()).collect();
    for ((u, _), list) in &case.lists {
        let seg = case.users[u][3] == SEGREGATED_REGION;
        for (_, i) in list {
            let in_cluster = case.items[i].0.iter().all(|c| cluster.contains(c.as_str()));
            assert_eq!(in_cluster, seg, "{u} {i}");
        }
    }
}

/// Prints the size of every plant on the shipped examples:
/// `cargo test --lib generate::plants::tests::plant_sizes -- --ignored --nocapture`.
#[test]
#[ignore = "prints figures for a person, checks nothing"]
fn plant_sizes() {
    let bench_like = GeneratorConfig {
        n_users: 3_000,
        format: OutputFormat::Csv,
        ..bench_config(30_000, 1)
    };
    for cfg in [example_config(), small(11, Plants::none()), bench_like] {
        let (_d, case) = gen_case(&cfg);
        let (f, rest) = hit_rate_by_gender(&case);
        println!("{:?}", cfg.plants);
        println!("hit@10 F {f:.3} vs others {rest:.3}");
        let (share, catalog) = indie_share(&case);
        println!("indie rec share {share:.3} vs catalog {catalog:.3}");
        let is_narrow = |u: &[String]| u[2] == NARROW_AGE_BAND;
        let (g, o) = split_mean(&case, "1", is_narrow, |list, _| {
            distinct_cats(&case, list.iter().map(|x| &x.1))
        });
        println!("distinct list categories 55+ {g:.2} vs others {o:.2}");
        let (g, o) = split_mean(&case, "1", is_narrow, |list, u| {
            let ratio =
                entropy(&case, list.iter().map(|x| &x.1)) / entropy(&case, case.history[u].iter());
            (ratio < 0.5) as u8 as f64
        });
        println!("narrowed (entropy ratio < 0.5) 55+ {g:.3} vs others {o:.3}");
    }
    let cfg = example_over_time_config();
    let (_d, case) = gen_case(&cfg);
    for s in ["1", "2", "3", "4"] {
        let (g, o) = split_mean(
            &case,
            s,
            |u| u[2] == NARROWING_AGE_BAND,
            |list, _| entropy(&case, list.iter().map(|x| &x.1)),
        );
        println!("snapshot {s}: list entropy 18-34 {g:.2} vs others {o:.2}");
    }
}

#[test]
fn the_planted_indices_name_the_planted_groups() {
    use crate::generate::{AGE_BANDS, GENDERS, PROVIDERS, REGIONS};
    assert_eq!(GENDERS[WORSE_GENDER_IDX as usize], WORSE_GENDER);
    assert_eq!(PROVIDERS[INDIE_IDX as usize], UNDEREXPOSED_PROVIDER);
    assert_eq!(AGE_BANDS[NARROW_AGE_IDX as usize], NARROW_AGE_BAND);
    assert_eq!(AGE_BANDS[NARROWING_AGE_IDX as usize], NARROWING_AGE_BAND);
    assert_eq!(REGIONS[SEGREGATED_REGION_IDX as usize], SEGREGATED_REGION);
}
