//! Tests of [`compare`], [`compare_means`] and [`group_estimates`]: hand-worked tables, undefined
//! values, the significance verdict with and without a planted effect, determinism, and a timing
//! run.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::stats::bootstrap::test_keys;
use crate::stats::bootstrap_sums;

/// Standard normal draw (Box–Muller).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.gen::<f64>();
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-12)
}

#[test]
fn hand_computed_disparity_table() {
    // A = {1, 2, 3} × 10 (mean 2, reference), B = {4} × 20 (mean 4), C = {0, 1} × 10 (mean 0.5),
    // D = {9} not eligible (suppressed by the caller).
    let mut x: Vec<f64> = [1.0, 2.0, 3.0].repeat(10);
    x.extend([4.0; 20]);
    x.extend([0.0, 1.0].repeat(10));
    x.push(9.0);
    let groups = Groups::consecutive(&[30, 20, 20, 1]);
    let cfg = StatsConfig {
        resamples: 200,
        permutations: 200,
        ..StatsConfig::default()
    };
    let d = &compare_means(&[&x], &groups, 0, &[true, true, true, false], &cfg)[0];
    assert_eq!(d.reference, 0);
    assert_eq!(
        d.groups.iter().map(|g| g.group).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    let (a, b, c) = (&d.groups[0], &d.groups[1], &d.groups[2]);
    assert!(close(a.estimate.value, 2.0) && a.estimate.n == 30);
    assert!(close(b.estimate.value, 4.0) && b.estimate.n == 20);
    assert!(close(c.estimate.value, 0.5));
    // Differences to A: 4 − 2 = 2, 0.5 − 2 = −1.5; ratios 4/2 = 2, 0.5/2 = 0.25.
    assert!(close(b.difference.value, 2.0) && close(b.ratio.value, 2.0));
    assert!(close(c.difference.value, -1.5) && close(c.ratio.value, 0.25));
    assert_eq!((b.four_fifths, c.four_fifths), (Some(false), Some(true)));
    // The reference against itself: difference 0 in every replicate, ratio 1, untested.
    assert!(close(a.difference.value, 0.0) && close(a.ratio.value, 1.0));
    assert_eq!(
        (a.difference.ci_low, a.difference.ci_high),
        (Some(0.0), Some(0.0))
    );
    assert_eq!((a.p_value, a.test, a.significant), (None, None, false));
    assert_eq!(a.four_fifths, Some(false));
    // Small groups: permutation test, BH-adjusted.
    assert_eq!(b.test, Some(TestKind::Permutation));
    assert!(b.p_adjusted.unwrap() >= b.p_value.unwrap());
    // B's values are all 4: its interval is the point; the gaps are clear.
    assert_eq!(
        (b.estimate.ci_low, b.estimate.ci_high),
        (Some(4.0), Some(4.0))
    );
    assert!(b.significant && c.significant);
    // Spread 4 − 0.5 = 3.5, min/max 0.5 / 4 = 0.125 (D left out); n = 30 + 20 + 20.
    assert!(close(d.spread.value, 3.5) && close(d.min_max_ratio.value, 0.125));
    assert_eq!(d.spread.n, 70);
}

#[test]
fn ratio_undefined_when_reference_mean_is_zero() {
    let mut x = vec![0.0; 30];
    x.extend((0..30).map(|i| (i % 2) as f64)); // mean 0.5
    let groups = Groups::consecutive(&[30, 30]);
    let cfg = StatsConfig {
        resamples: 200,
        permutations: 200,
        ..StatsConfig::default()
    };
    let d = &compare_means(&[&x], &groups, 0, &[true, true], &cfg)[0];
    let g = &d.groups[1];
    assert!(close(g.difference.value, 0.5));
    assert_eq!(g.ratio, Estimate::point(None, 30));
    assert_eq!(g.four_fifths, None);
    assert_eq!(d.groups[0].ratio.value, None);
    // min/max = 0 / 0.5 is defined.
    assert!(close(d.min_max_ratio.value, 0.0));
    let json = serde_json::to_string(d).unwrap();
    assert!(json.contains(r#""ratio":{"value":null,"ci_low":null,"ci_high":null,"n":30}"#));
    assert!(!json.contains("NaN") && !json.contains("inf"));
}

#[test]
fn nan_users_are_excluded_and_counted() {
    let nan = f64::NAN;
    let x = [1.0, nan, 3.0, 5.0, nan, nan];
    let groups = Groups::consecutive(&[3, 3]);
    let est = group_estimates(
        &[&x],
        &[Statistic::Mean(0)],
        &groups,
        &[true, true],
        &StatsConfig::default(),
    );
    assert!(close(est[0][0].value, 2.0) && est[0][0].n == 2);
    assert!(close(est[0][1].value, 5.0) && est[0][1].n == 1);
    // One defined user: every replicate with it drawn has mean 5; undefined ones (weight 0,
    // probability e^-1) are far more than 2.5%, so no interval.
    assert_eq!((est[0][1].ci_low, est[0][1].ci_high), (None, None));
}

#[test]
fn ratio_of_sums_and_relative_difference_hand_checked() {
    // Exposure share of item group G: a_u = exposure of G in u's list, b_u = total exposure.
    // Group 0: (1 + 0 + 2) / (2 + 2 + 2) = 0.5; group 1: 3 / 4 = 0.75.
    let a = [1.0, 0.0, 2.0, 3.0];
    let b = [2.0, 2.0, 2.0, 4.0];
    // ΔGAP = (mean x − mean y) / mean y: group 0 (0.3 − 0.2) / 0.2 = 0.5 (user 1 has no history:
    // y NaN, it still counts in mean x); group 1 (0.1 − 0.2) / 0.2 = −0.5.
    let x = [0.2, 0.3, 0.4, 0.1];
    let y = [0.2, f64::NAN, 0.2, 0.2];
    let groups = Groups::consecutive(&[3, 1]);
    let stats = [
        Statistic::RatioOfSums { num: 0, den: 1 },
        Statistic::RelativeDifference { x: 2, y: 3 },
        Statistic::RatioOfMeans { num: 2, den: 3 },
    ];
    let cfg = StatsConfig {
        resamples: 100,
        ..StatsConfig::default()
    };
    let est = group_estimates(&[&a, &b, &x, &y], &stats, &groups, &[true, true], &cfg);
    assert!(close(est[0][0].value, 0.5) && close(est[0][1].value, 0.75));
    assert!((est[1][0].value.unwrap() - 0.5).abs() < 1e-12);
    assert!((est[1][1].value.unwrap() + 0.5).abs() < 1e-12);
    assert!((est[2][0].value.unwrap() - 1.5).abs() < 1e-12);
    // n counts users with both columns defined.
    assert_eq!((est[1][0].n, est[0][0].n), (2, 3));
    let d = compare(&[&a, &b, &x, &y], &stats, &groups, 0, &[true, true], &cfg);
    assert!(close(d[0].groups[1].difference.value, 0.25));
    assert!(close(d[0].groups[1].ratio.value, 1.5));
}

/// Share of significant gaps and of raw p < 0.05 over repetitions without any planted effect.
fn null_rates(permutation_max_n: usize) -> (f64, f64) {
    let sizes = [80, 60, 50, 40];
    let groups = Groups::consecutive(&sizes);
    let n: usize = sizes.iter().sum();
    let (mut sig, mut raw, mut total) = (0, 0, 0);
    for rep in 0..100u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(50_000 + rep);
        let x: Vec<f64> = (0..n).map(|_| 0.4 + 0.2 * normal(&mut rng)).collect();
        let cfg = StatsConfig {
            resamples: 200,
            permutations: 200,
            permutation_max_n,
            seed: rep,
            ..StatsConfig::default()
        };
        let d = &compare_means(&[&x], &groups, 0, &[true; 4], &cfg)[0];
        for g in &d.groups[1..] {
            total += 1;
            sig += usize::from(g.significant);
            raw += usize::from(g.p_value.unwrap() < 0.05);
        }
    }
    (sig as f64 / total as f64, raw as f64 / total as f64)
}

#[test]
fn no_planted_effect_keeps_false_positives_near_nominal() {
    for (max_n, kind) in [(1_000, "permutation"), (0, "welch")] {
        let (sig, raw) = null_rates(max_n);
        // 300 null comparisons: raw p < 0.05 near 5% (sd 1.3%); after BH and the interval rule the
        // share of significant gaps is at most nominal.
        assert!((0.015..=0.095).contains(&raw), "{kind}: raw rate {raw}");
        assert!(sig <= 0.06, "{kind}: significant share {sig}");
    }
}

#[test]
fn planted_effect_is_inside_the_interval_and_significant() {
    // Reference mean 0.3, group mean 0.4 (difference 0.1, ratio 4/3), sd 0.2, 400 users each.
    let groups = Groups::consecutive(&[400, 400]);
    for (max_n, kind) in [(1_000, TestKind::Permutation), (0, TestKind::Welch)] {
        let (mut diff_in, mut ratio_in, mut sig) = (0, 0, 0);
        let reps = 30;
        for rep in 0..reps {
            let mut rng = ChaCha8Rng::seed_from_u64(90_000 + rep);
            let x: Vec<f64> = (0..800)
                .map(|u| if u < 400 { 0.3 } else { 0.4 } + 0.2 * normal(&mut rng))
                .collect();
            let cfg = StatsConfig {
                resamples: 200,
                permutations: 300,
                permutation_max_n: max_n,
                seed: rep,
                ..StatsConfig::default()
            };
            let g = &compare_means(&[&x], &groups, 0, &[true, true], &cfg)[0].groups[1];
            assert_eq!(g.test, Some(kind));
            let inside = |e: &Estimate, v: f64| e.ci_low.unwrap() <= v && v <= e.ci_high.unwrap();
            diff_in += usize::from(inside(&g.difference, 0.1));
            ratio_in += usize::from(inside(&g.ratio, 4.0 / 3.0));
            sig += usize::from(g.significant);
        }
        // Expected 28.5 of 30 inside; the effect is 7 standard errors, always significant.
        assert!(
            diff_in >= 25 && ratio_in >= 25,
            "{kind:?}: {diff_in} {ratio_in}"
        );
        assert_eq!(sig, reps as usize, "{kind:?}");
    }
}

#[test]
fn deterministic_for_a_seed_whatever_the_threads() {
    // Enough users for several parallel chunks per group, and metrics with NaN.
    let n = 12_000;
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let m1: Vec<f64> = (0..n).map(|_| rng.gen::<f64>()).collect();
    let m2: Vec<f64> = (0..n)
        .map(|_| {
            if rng.gen::<f64>() < 0.2 {
                f64::NAN
            } else {
                rng.gen()
            }
        })
        .collect();
    let codes: Vec<u32> = (0..n).map(|_| rng.gen_range(0..4u32)).collect();
    let groups = Groups::from_codes(&codes, 3, &test_keys(n)); // code 3 = no group
    let stats = [
        Statistic::Mean(0),
        Statistic::Mean(1),
        Statistic::RatioOfSums { num: 1, den: 0 },
    ];
    let run = |threads: usize, seed: u64| {
        let cfg = StatsConfig {
            resamples: 64,
            permutations: 100,
            permutation_max_n: 20_000,
            seed,
            ..StatsConfig::default()
        };
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| compare(&[&m1, &m2], &stats, &groups, 1, &[true; 3], &cfg))
    };
    let one = run(1, 7);
    assert_eq!(one, run(3, 7));
    assert_eq!(one, run(1, 7));
    let other = run(2, 8);
    assert_ne!(
        one[0].groups[0].estimate.ci_low,
        other[0].groups[0].estimate.ci_low
    );
    // Point values do not depend on the seed.
    assert_eq!(
        one[1].groups[2].estimate.value,
        other[1].groups[2].estimate.value
    );
}

/// Speed check: 1,000 resamples × 1M users × 10 metrics. Run with
/// `cargo test --release --lib stats::disparity::tests::speed -- --ignored --nocapture`.
#[test]
#[ignore = "a timing run for --release, not a check: see the doc comment"]
fn speed_1m_users_10_metrics() {
    let n = 1_000_000;
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    // Five metrics with NaN for the same 30% of users (quality metrics: users without relevant
    // items), five defined everywhere.
    let undefined: Vec<bool> = (0..n).map(|_| rng.gen::<f64>() < 0.3).collect();
    let metrics: Vec<Vec<f64>> = (0..10)
        .map(|j| {
            undefined
                .iter()
                .map(|&nan| if j < 5 && nan { f64::NAN } else { rng.gen() })
                .collect()
        })
        .collect();
    let cols: Vec<&[f64]> = metrics.iter().map(|m| m.as_slice()).collect();
    let codes: Vec<u32> = (0..n).map(|_| rng.gen_range(0..5u32)).collect();
    let groups = Groups::from_codes(&codes, 5, &test_keys(n));
    let cfg = StatsConfig::default();
    let t = std::time::Instant::now();
    let reps = bootstrap_sums(&cols, &groups, &[true; 5], &cfg);
    let boot = t.elapsed();
    let t = std::time::Instant::now();
    let d = compare_means(&cols, &groups, 0, &[true; 5], &cfg);
    let all = t.elapsed();
    eprintln!(
        "threads {}: bootstrap_sums {:.2?}, compare_means (bootstrap + tests + assembly) {:.2?}; B={}",
        rayon::current_num_threads(),
        boot,
        all,
        reps.resamples()
    );
    assert_eq!(d.len(), 10);
}

#[test]
fn a_reference_per_statistic_gives_the_numbers_of_comparing_each_with_its_own() {
    // Three groups; metric x is best in group 0, metric y in group 2. Both tests paths: the
    // permutation test (small groups) and Welch's t-test (permutation_max_n 0).
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let sizes = [40usize, 30, 25];
    let groups = Groups::consecutive(&sizes);
    let mut x = Vec::new();
    let mut y = Vec::new();
    for (g, &n) in sizes.iter().enumerate() {
        for _ in 0..n {
            x.push(1.0 - 0.3 * g as f64 + 0.2 * normal(&mut rng));
            y.push(0.5 + 0.4 * g as f64 + 0.2 * normal(&mut rng));
        }
    }
    let cols: [&[f64]; 2] = [&x, &y];
    let stats = [Statistic::Mean(0), Statistic::Mean(1)];
    for permutation_max_n in [1_000, 0] {
        let cfg = StatsConfig {
            resamples: 100,
            permutations: 100,
            permutation_max_n,
            ..StatsConfig::default()
        };
        let eligible = [true; 3];
        let each = compare_each(&cols, &stats, &groups, &[0, 2], &eligible, &cfg);
        let x_to_0 = compare(&cols, &stats[..1], &groups, 0, &eligible, &cfg);
        let mut y_to_2 = compare(&cols, &stats[1..], &groups, 2, &eligible, &cfg);
        if permutation_max_n > 0 {
            // Groups 0 and 2 are compared both ways (x: 2 against 0, y: 0 against 2): one
            // permutation test serves both.
            let (xp, yp) = (&each[0].groups[2], &each[1].groups[0]);
            assert_eq!(xp.p_value, yp.p_value);
            let own = &mut y_to_2[0].groups[0];
            (own.p_value, own.p_adjusted) = (yp.p_value, yp.p_adjusted);
        }
        assert_eq!(each, [x_to_0[0].clone(), y_to_2[0].clone()]);
        assert_eq!((each[0].reference, each[1].reference), (0, 2));
        // Group 1 is tested against each metric's reference, significantly below it.
        assert!(each[0].groups[1].ratio.value.unwrap() < 1.0 && each[0].groups[1].significant);
        assert!(each[1].groups[1].ratio.value.unwrap() < 1.0 && each[1].groups[1].significant);
        assert_eq!(
            each[1].groups[2].p_value, None,
            "the reference is not tested"
        );
        // The same with compare_means_each.
        assert_eq!(
            compare_means_each(&cols, &groups, &[0, 2], &eligible, &cfg),
            each
        );
    }
}
