//! Criterion benchmarks of the hot kernels: per-user quality metrics over contiguous lists, and the
//! stratified bootstrap with disparities over per-user value vectors (per user at 100k users, and
//! pooled into units at 1M users). Seeded, so runs compare.
//!
//! `cargo bench --bench kernels`

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use recaudit::data::{Csr, Relevant};
use recaudit::metrics::quality::quality_metrics;
use recaudit::stats::{compare_means, Groups, StatsConfig};

const USERS: usize = 100_000;
const ITEMS: u32 = 50_000;
const K: usize = 10;

fn lists(rng: &mut ChaCha8Rng) -> (Csr<u32>, Csr<Relevant>) {
    let recs = Csr::from_rows((0..USERS).map(|_| {
        let mut l: Vec<u32> = (0..K).map(|_| rng.gen_range(0..ITEMS)).collect();
        l.sort_unstable();
        l.dedup();
        l
    }));
    let truth = Csr::from_rows((0..USERS).map(|_| {
        let mut t: Vec<Relevant> = (0..5)
            .map(|_| Relevant {
                item: rng.gen_range(0..ITEMS),
                relevance: rng.gen_range(1..4) as f64,
            })
            .collect();
        t.sort_by_key(|r| r.item);
        t.dedup_by_key(|r| r.item);
        t
    }));
    (recs, truth)
}

fn bench_quality(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let (recs, truth) = lists(&mut rng);
    c.bench_function("quality_metrics 100k users k=10", |b| {
        b.iter(|| quality_metrics(black_box(&recs), black_box(&truth), K))
    });
}

/// The keys of `n` users with ids `u0`, `u1`, ...
fn keys(n: usize) -> recaudit::data::UserKeys {
    (0..n)
        .map(|u| recaudit::data::id_key(&format!("u{u}")))
        .collect()
}

fn bench_bootstrap(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let metrics: Vec<Vec<f64>> = (0..10)
        .map(|_| (0..USERS).map(|_| rng.gen::<f64>()).collect())
        .collect();
    let cols: Vec<&[f64]> = metrics.iter().map(|m| m.as_slice()).collect();
    let codes: Vec<u32> = (0..USERS).map(|_| rng.gen_range(0..4)).collect();
    let groups = Groups::from_codes(&codes, 4, &keys(USERS));
    let cfg = StatsConfig {
        resamples: 200,
        ..StatsConfig::default()
    };
    let mut g = c.benchmark_group("bootstrap");
    g.sample_size(10);
    g.bench_function(
        "compare_means 100k users x 10 metrics x 4 groups, B=200",
        |b| b.iter(|| compare_means(black_box(&cols), &groups, 0, &[true; 4], &cfg)),
    );
    g.finish();
}

/// The audit's shape at 10M recommendation rows: 1M users, 30 per-user metrics, a slice column of
/// 5 groups, B = 1,000, groups pooled into the default 4,096 units.
fn bench_bootstrap_pooled(c: &mut Criterion) {
    const BIG: usize = 1_000_000;
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    let metrics: Vec<Vec<f64>> = (0..30)
        .map(|_| (0..BIG).map(|_| rng.gen::<f64>()).collect())
        .collect();
    let cols: Vec<&[f64]> = metrics.iter().map(|m| m.as_slice()).collect();
    let codes: Vec<u32> = (0..BIG).map(|_| rng.gen_range(0..5)).collect();
    let groups = Groups::from_codes(&codes, 5, &keys(BIG));
    let cfg = StatsConfig::default();
    let mut g = c.benchmark_group("bootstrap");
    g.sample_size(10);
    g.bench_function(
        "compare_means 1M users x 30 metrics x 5 groups, B=1000, 4096 units",
        |b| b.iter(|| compare_means(black_box(&cols), &groups, 0, &[true; 5], &cfg)),
    );
    g.finish();
}

criterion_group!(
    benches,
    bench_quality,
    bench_bootstrap,
    bench_bootstrap_pooled
);
criterion_main!(benches);
