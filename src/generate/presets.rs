//! Named configurations: the shipped examples and the benchmark cases. [`PRESETS`] is the one
//! list of them; `recaudit generate --preset` takes its names and shows its summaries.

use super::{GeneratorConfig, OutputFormat, Plants};

/// A named configuration.
#[derive(Debug, Clone, Copy)]
pub struct Preset {
    /// The name given to `--preset`.
    pub name: &'static str,
    /// One line on what it generates.
    pub summary: &'static str,
    /// Its configuration.
    pub config: fn() -> GeneratorConfig,
}

/// Every preset, in the order `--help` lists them.
pub const PRESETS: [Preset; 6] = [
    Preset {
        name: "example",
        summary: "the shipped datasets/example: 2,500 users, 500 items, CSV, 3 plants",
        config: example_config,
    },
    Preset {
        name: "example-over-time",
        summary: "the shipped datasets/example-over-time: 500 users, 4 snapshots, CSV, 2 plants",
        config: example_over_time_config,
    },
    Preset {
        name: "bench-1m",
        summary: "benchmark case of 1M recommendation rows (100,000 users), Parquet",
        config: || bench_config(1_000_000, 42),
    },
    Preset {
        name: "bench-10m",
        summary: "benchmark case of 10M recommendation rows (1M users), Parquet",
        config: || bench_config(10_000_000, 42),
    },
    Preset {
        name: "bench-100m",
        summary: "benchmark case of 100M recommendation rows (10M users), Parquet",
        config: || bench_config(100_000_000, 42),
    },
    Preset {
        name: "bench-300m",
        summary: "benchmark case of 300M recommendation rows (30M users), Parquet; write it \
                  partitioned (--partitions) to audit it in bounded memory",
        config: || bench_config(300_000_000, 42),
    },
];

/// The shipped example (`datasets/example/`): 2,500 users, 500 items, top-10, one snapshot, CSV,
/// seed 42, with `worse_group`, `underexposed_provider` and `narrow_group` planted.
pub fn example_config() -> GeneratorConfig {
    GeneratorConfig {
        n_users: 2_500,
        n_items: 500,
        k: 10,
        history_per_user: 6,
        truth_per_user: 4,
        n_categories: 12,
        n_snapshots: 1,
        seed: 42,
        format: OutputFormat::Csv,
        plants: Plants {
            worse_group: true,
            underexposed_provider: true,
            narrow_group: true,
            ..Plants::none()
        },
    }
}

/// The shipped over-time example (`datasets/example-over-time/`): 500 users, 500 items, top-10,
/// 4 snapshots, CSV, seed 42, with `narrowing_over_time` and `segregated_group` planted.
pub fn example_over_time_config() -> GeneratorConfig {
    GeneratorConfig {
        n_users: 500,
        n_items: 500,
        k: 10,
        history_per_user: 6,
        truth_per_user: 4,
        n_categories: 12,
        n_snapshots: 4,
        seed: 42,
        format: OutputFormat::Csv,
        plants: Plants {
            narrowing_over_time: true,
            segregated_group: true,
            ..Plants::none()
        },
    }
}

/// The benchmark case: `n_rec_rows / 10` users, top-10, 100,000 items, 20 categories,
/// history of 20 and truth of 5 per user, one snapshot, Parquet, `worse_group` and
/// `underexposed_provider` planted.
pub fn bench_config(n_rec_rows: u64, seed: u64) -> GeneratorConfig {
    GeneratorConfig {
        n_users: (n_rec_rows / 10).max(1) as usize,
        n_items: 100_000,
        k: 10,
        history_per_user: 20,
        truth_per_user: 5,
        n_categories: 20,
        n_snapshots: 1,
        seed,
        format: OutputFormat::Parquet,
        plants: Plants {
            worse_group: true,
            underexposed_provider: true,
            ..Plants::none()
        },
    }
}

/// The configuration of the preset called `name` (see [`PRESETS`]).
pub fn preset(name: &str) -> Option<GeneratorConfig> {
    PRESETS
        .iter()
        .find(|p| p.name == name)
        .map(|p| (p.config)())
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::Path;

    use super::*;
    use crate::generate::generate;

    #[test]
    fn every_preset_is_valid_and_named_once() {
        for (i, p) in PRESETS.iter().enumerate() {
            assert!((p.config)().validate().is_ok(), "{}", p.name);
            assert_eq!(preset(p.name), Some((p.config)()), "{}", p.name);
            assert!(PRESETS[..i].iter().all(|q| q.name != p.name), "{}", p.name);
        }
        assert_eq!(preset("example"), Some(example_config()));
        assert_eq!(preset("bench-10m"), Some(bench_config(10_000_000, 42)));
    }

    /// Writes `datasets/example/` and `datasets/example-over-time/`:
    /// `cargo test --lib generate::presets::tests::write_shipped_examples -- --ignored`.
    #[test]
    #[ignore = "rewrites datasets/: run it on purpose when the generator changes"]
    fn write_shipped_examples() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets");
        generate(&example_config(), &root.join("example")).unwrap();
        generate(&example_over_time_config(), &root.join("example-over-time")).unwrap();
    }

    /// Times the benchmark case: `GEN_ROWS=10000000 GEN_FORMAT=parquet cargo test --release --lib
    /// generate::presets::tests::time_bench_case -- --ignored --nocapture` (writes into a temp directory).
    #[test]
    #[ignore = "a timing run for --release, not a check: see the doc comment"]
    fn time_bench_case() {
        let rows = std::env::var("GEN_ROWS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1_000_000);
        let mut cfg = bench_config(rows, 42);
        if std::env::var("GEN_FORMAT").as_deref() == Ok("csv") {
            cfg.format = OutputFormat::Csv;
        }
        let dir = tempfile::tempdir().unwrap();
        let start = std::time::Instant::now();
        let files = generate(&cfg, dir.path()).unwrap();
        let secs = start.elapsed().as_secs_f64();
        let bytes: u64 = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().metadata().unwrap().len())
            .sum();
        println!(
            "{} rec rows ({:?}): {secs:.2} s, {:.1} MB on disk",
            files.n_rec_rows,
            cfg.format,
            bytes as f64 / 1e6
        );
    }
}
