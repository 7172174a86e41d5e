//! The subgroup search from merged partition states against the one-pass search.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::metrics::registry;
use crate::slices::subgroups::{search_subgroups, SearchMetric, SearchSettings, SubgroupFinding};
use crate::slices::{build_slices, protect_columns, SliceColumn, SliceConfig};

/// A generated case: three slice columns (2–4 values each, a few users without a value), two
/// metrics (NDCG, better higher, undefined for about a tenth of the users; miscalibration,
/// better lower) with a planted gap for one random cell of the first two columns.
fn case(rng: &mut ChaCha8Rng, n: usize) -> (Vec<Categorical>, Vec<Vec<f64>>) {
    let cols: Vec<Categorical> = ["gender", "age_band", "region"]
        .iter()
        .map(|name| {
            let k = rng.gen_range(2..=4);
            Categorical {
                name: name.to_string(),
                labels: (0..k).map(|g| format!("{name}{g}")).collect(),
                codes: (0..n)
                    .map(|_| {
                        if rng.gen_bool(0.03) {
                            Categorical::MISSING
                        } else {
                            rng.gen_range(0..k as u32)
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    let planted = (
        rng.gen_range(0..cols[0].labels.len() as u32),
        rng.gen_range(0..cols[1].labels.len() as u32),
    );
    let hit = |u: usize| cols[0].codes[u] == planted.0 && cols[1].codes[u] == planted.1;
    let ndcg = (0..n)
        .map(|u| {
            if rng.gen_bool(0.1) {
                f64::NAN
            } else {
                let base: f64 = rng.gen_range(0.0..1.0);
                if hit(u) {
                    base * 0.5
                } else {
                    base
                }
            }
        })
        .collect();
    let miscalibration = (0..n)
        .map(|u| {
            let x: f64 = rng.gen_range(0.0..2.0);
            if hit(u) {
                x + 1.0
            } else {
                x
            }
        })
        .collect();
    (cols, vec![ndcg, miscalibration])
}

/// The columns of `v` as slices.
fn as_slices(v: &[Vec<u32>]) -> Vec<&[u32]> {
    v.iter().map(Vec::as_slice).collect()
}

/// |a − b| relative to the larger of |a|, |b| and `scale`.
fn scaled(a: f64, b: f64, scale: f64) -> f64 {
    if a == b {
        0.0
    } else {
        (a - b).abs() / a.abs().max(b.abs()).max(scale)
    }
}

/// The largest scaled difference between two findings of the same subgroup (panics when they
/// are of different subgroups or sizes).
fn difference(a: &SubgroupFinding, b: &SubgroupFinding) -> f64 {
    assert_eq!(
        (&a.metric, &a.columns, &a.values, a.n_users),
        (&b.metric, &b.columns, &b.values, b.n_users)
    );
    // Differences of means are measured against the scale of the means they come from.
    let scale = a.mean.abs().max(a.rest_mean.abs()).max(1.0);
    let d = |x: Option<f64>, y: Option<f64>| scaled(x.unwrap(), y.unwrap(), scale);
    [
        scaled(a.mean, b.mean, 1.0),
        scaled(a.rest_mean, b.rest_mean, 1.0),
        scaled(a.gap, b.gap, scale),
        d(a.difference.value, b.difference.value),
        d(a.difference.ci_low, b.difference.ci_low),
        d(a.difference.ci_high, b.difference.ci_high),
        scaled(a.p_value, b.p_value, 0.0),
        scaled(a.adjusted_p, b.adjusted_p, 0.0),
    ]
    .into_iter()
    .fold(0.0, f64::max)
}

#[test]
fn merged_partitions_search_as_the_one_pass_does() {
    let mut worst: f64 = 0.0;
    let mut findings = 0;
    let mut withheld = 0;
    for seed in 0..12u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n = rng.gen_range(300..700);
        let min_size = 20;
        let (cols, values) = case(&mut rng, n);
        let refs: Vec<&Categorical> = cols.iter().collect();
        let cfg = SliceConfig {
            min_slice_size: min_size,
            ..SliceConfig::default()
        };
        let mut published = build_slices(&refs, &cfg).unwrap();
        protect_columns(&mut published, min_size, &[]);
        let defs = [&registry::NDCG, &registry::MISCALIBRATION];
        let searched: Vec<SearchMetric> = defs
            .iter()
            .zip(&values)
            .map(|(&def, v)| SearchMetric { def, values: v })
            .collect();
        let one_pass = search_subgroups(&refs, &searched, &published, min_size, 0.05, 0.95);

        // Users split into 1–5 partitions (empty ones allowed), each mapped on its own and
        // shuffled, merged in a random order.
        let parts = rng.gen_range(1..=5);
        let mut of_part: Vec<Vec<usize>> = vec![Vec::new(); parts];
        for u in 0..n {
            of_part[rng.gen_range(0..parts)].push(u);
        }
        let mut states: Vec<PartialSubgroups> = of_part
            .iter_mut()
            .map(|users| {
                users.shuffle(&mut rng);
                let keys: Vec<u64> = users.iter().map(|&u| u as u64).collect();
                let pick =
                    |codes: &[u32]| -> Vec<u32> { users.iter().map(|&u| codes[u]).collect() };
                let published_codes: Vec<Vec<u32>> =
                    published.iter().map(|c| pick(&c.codes)).collect();
                let searched_codes: Vec<Vec<u32>> = cols.iter().map(|c| pick(&c.codes)).collect();
                let metric_values: Vec<Vec<f64>> = values
                    .iter()
                    .map(|v| users.iter().map(|&u| v[u]).collect())
                    .collect();

                let metric_refs: Vec<&[f64]> = metric_values.iter().map(Vec::as_slice).collect();
                map_subgroups(
                    &keys,
                    &as_slices(&published_codes),
                    &as_slices(&searched_codes),
                    &metric_refs,
                )
            })
            .collect();
        // Every state crosses the wire: it reads back equal, and a truncated copy is refused.
        for state in &mut states {
            let bytes = state.to_bytes();
            let back = PartialSubgroups::from_bytes(&bytes).unwrap();
            assert_eq!(&back, state);
            assert!(PartialSubgroups::from_bytes(&bytes[..bytes.len() - 1]).is_err());
            *state = back;
        }
        states.shuffle(&mut rng);
        let merged = states
            .into_iter()
            .reduce(|a, b| {
                if rng.gen_bool(0.5) {
                    a.merge(b)
                } else {
                    b.merge(a)
                }
            })
            .unwrap();
        let shown: Vec<Vec<bool>> = published.iter().map(SliceColumn::shown_mask).collect();
        let settings = SearchSettings {
            min_size,
            alpha: 0.05,
            confidence: 0.95,
        };
        let finished = finish_subgroups(&merged, &refs, &defs, &shown, settings);

        assert_eq!(
            (
                &finished.columns,
                finished.combinations,
                finished.combinations_skipped,
                finished.tests,
                finished.withheld,
                finished.findings.len()
            ),
            (
                &one_pass.columns,
                one_pass.combinations,
                one_pass.combinations_skipped,
                one_pass.tests,
                one_pass.withheld,
                one_pass.findings.len()
            ),
            "seed {seed}"
        );
        for (a, b) in finished.findings.iter().zip(&one_pass.findings) {
            worst = worst.max(difference(a, b));
        }
        findings += one_pass.findings.len();
        withheld += one_pass.withheld;
    }
    // The planted gaps are found, and some candidates are withheld by the privacy check, so both
    // paths of the publication loop are compared.
    assert!(findings >= 12, "{findings} findings");
    assert!(withheld > 0, "nothing withheld");
    assert!(worst <= 1e-12, "largest scaled difference {worst:e}");
    eprintln!("{findings} findings, {withheld} withheld; largest scaled difference {worst:e}");
}
