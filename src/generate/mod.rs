//! Deterministic, seeded generator of synthetic audit cases in recaudit's input format (the five
//! tables of `docs/inputs.md`), with planted effects that an audit should find (and, with no plant
//! switched on, nothing it should find).
//!
//! # Model
//! - **Catalog.** `n_items` items with a Zipf popularity (exponent 1, the popularity rank is a random
//!   permutation of the ids), 1–3 categories each (`|`-joined; the first one is the primary), and a
//!   provider (`major` 50%, `indie` 30%, `local` 20%). Providers are assigned along the popularity
//!   ranking so that every provider holds its catalog share of the Zipf mass too: a recommender that
//!   is only popularity-biased gives each provider about its catalog share of exposure.
//! - **Users.** Five demographic columns drawn independently (`gender` F/M/X 48/48/4%, `age_band`
//!   18-34/35-54/55+ 40/38/22%, `region` five values 20% each, `country_tier` tier1/2/3 50/30/20%,
//!   `tenure_band` new/regular/loyal 30/45/25%) and `consent` (false for ~3%). Each user has 1–3
//!   favourite categories.
//! - **History.** `history_per_user` distinct items, 60% drawn from a favourite category and 40% from
//!   the whole catalog, both weighted by popularity; increasing timestamps.
//! - **Truth.** `truth_per_user` further distinct items (not in the history), drawn the same way, with
//!   graded relevance 1/2/3 (50/30/20%).
//! - **Recommendations.** A popularity-biased recommender mixed with taste: `k + k/2` candidates (half
//!   from a favourite category, half from the catalog, weighted by popularity, never a history item;
//!   each truth item joins the candidates with probability 0.11), scored by
//!   `0.25 + 0.45·pop + 0.2·taste + 0.2·noise (+0.15 for a truth item)`, the best `k` kept. Scores are
//!   strictly decreasing with rank (4 decimals), so rank derived from score equals the rank column.
//!   With several snapshots each list keeps 70% of the previous list's items as candidates.
//!
//! # Plants (each documented on [`Plants`])
//! With no plant, every demographic group is drawn from the same distributions, so the audit should
//! find no effect. Every random draw of user `u` comes from its own ChaCha8 stream keyed by
//! `(seed, u)`, so the output does not depend on chunk sizes or the number of threads: the same
//! configuration gives byte-identical files.
//!
//! # Scale
//! Users are generated in chunks of 200,000, each chunk in parallel blocks (rayon), and appended to
//! the files in order (CSV: hand-formatted rows through a `BufWriter`; Parquet: one row group per
//! chunk and table through polars' batched writer), so memory stays bounded for any number of users.
//!
//! # Files
//! `presets.rs` names configurations and `plants.rs` the effects; `catalog.rs` builds the items and
//! `users.rs` each user's rows (both drawing through `sampling.rs`); `csv.rs` and `parquet.rs`
//! encode a block of rows, and `writers.rs` appends them to the files. [`generate`] runs them chunk
//! by chunk; [`generate_partitioned`] (`partitioned.rs`) writes the same rows as a folder of
//! partitions of users, split by the hash of the user id as a Spark job splits them.

mod catalog;
mod csv;
mod parquet;
mod partitioned;
mod plants;
mod presets;
mod sampling;
#[cfg(test)]
mod test_cases;
#[cfg(test)]
mod tests;
mod users;
mod writers;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context, Result};
use rayon::prelude::*;

pub use catalog::PROVIDERS;
pub use partitioned::{
    generate_partitioned, partition_name, GeneratedPartitions, PARTITIONED_FOLDERS,
};
pub use plants::{
    Plants, NARROWING_AGE_BAND, NARROW_AGE_BAND, SEGREGATED_REGION, UNDEREXPOSED_PROVIDER,
    WORSE_GENDER,
};
pub use presets::{
    bench_config, example_config, example_over_time_config, preset, Preset, PRESETS,
};
pub use users::{AGE_BANDS, COUNTRY_TIERS, GENDERS, REGIONS, TENURE_BANDS};

use users::Generator;
use writers::{EncodedBlock, OutputTable, Sink};

/// Users generated and written at a time: memory is bounded by one chunk.
const CHUNK_USERS: usize = 200_000;
/// Users of one parallel task within a chunk.
const BLOCK_USERS: usize = 2_048;

/// The chunks of users generated and written at a time, each as its parallel blocks of users
/// (start, end), in order.
fn chunks_of_blocks(n_users: usize) -> impl Iterator<Item = Vec<(usize, usize)>> {
    (0..n_users).step_by(CHUNK_USERS).map(move |chunk_start| {
        let chunk_end = (chunk_start + CHUNK_USERS).min(n_users);
        (chunk_start..chunk_end)
            .step_by(BLOCK_USERS)
            .map(|s| (s, (s + BLOCK_USERS).min(chunk_end)))
            .collect()
    })
}

/// File format of the generated tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// Comma-separated values with a header row.
    #[default]
    Csv,
    /// Apache Parquet (zstd), one row group per chunk of users.
    Parquet,
}

impl OutputFormat {
    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Csv => "csv",
            OutputFormat::Parquet => "parquet",
        }
    }
}

/// What to generate. See the module docs for the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratorConfig {
    /// Number of users (each gets one list per snapshot).
    pub n_users: usize,
    /// Number of catalog items.
    pub n_items: usize,
    /// List length (top-k).
    pub k: usize,
    /// Distinct history items per user.
    pub history_per_user: usize,
    /// Distinct held-out truth items per user (disjoint from the history).
    pub truth_per_user: usize,
    /// Number of categories (named `drama`, `comedy`, ... up to 20, then `cat21`, ...).
    pub n_categories: usize,
    /// Number of snapshots; 1 writes no `snapshot` column.
    pub n_snapshots: usize,
    /// RNG seed: the same configuration and seed give byte-identical files.
    pub seed: u64,
    /// File format.
    pub format: OutputFormat,
    /// Planted effects.
    pub plants: Plants,
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        GeneratorConfig {
            n_users: 1_000,
            n_items: 500,
            k: 10,
            history_per_user: 20,
            truth_per_user: 5,
            n_categories: 12,
            n_snapshots: 1,
            seed: 42,
            format: OutputFormat::Csv,
            plants: Plants::none(),
        }
    }
}

/// What the messages of [`GeneratorConfig::validate_with_names`] call each setting: the field
/// names ([`SettingNames::FIELDS`]), or for instance the flags of a command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettingNames {
    /// Name of [`GeneratorConfig::n_users`].
    pub n_users: &'static str,
    /// Name of [`GeneratorConfig::n_items`].
    pub n_items: &'static str,
    /// Name of [`GeneratorConfig::k`].
    pub k: &'static str,
    /// Name of [`GeneratorConfig::history_per_user`].
    pub history_per_user: &'static str,
    /// Name of [`GeneratorConfig::truth_per_user`].
    pub truth_per_user: &'static str,
    /// Name of [`GeneratorConfig::n_categories`].
    pub n_categories: &'static str,
    /// Name of [`GeneratorConfig::n_snapshots`].
    pub n_snapshots: &'static str,
    /// Name of the [`Plants::narrowing_over_time`] plant.
    pub narrowing_over_time: &'static str,
}

impl SettingNames {
    /// The field names of [`GeneratorConfig`] and [`Plants`].
    pub const FIELDS: SettingNames = SettingNames {
        n_users: "n_users",
        n_items: "n_items",
        k: "k",
        history_per_user: "history_per_user",
        truth_per_user: "truth_per_user",
        n_categories: "n_categories",
        n_snapshots: "n_snapshots",
        narrowing_over_time: "narrowing_over_time",
    };
}

impl GeneratorConfig {
    /// Checks the sizes; [`generate`] calls it first. The messages name the fields.
    pub fn validate(&self) -> Result<()> {
        self.validate_with_names(&SettingNames::FIELDS)
    }

    /// Checks the sizes, naming each setting as `names` does.
    pub fn validate_with_names(&self, names: &SettingNames) -> Result<()> {
        let n = names;
        ensure!(self.n_users >= 1, "{} must be at least 1", n.n_users);
        ensure!(
            self.n_users < u32::MAX as usize,
            "{} must be below {}",
            n.n_users,
            u32::MAX
        );
        ensure!(
            (1..=1_000).contains(&self.k),
            "{} must be in 1..=1000, got {}",
            n.k,
            self.k
        );
        ensure!(
            (2..=1_000).contains(&self.n_categories),
            "{} must be in 2..=1000, got {}",
            n.n_categories,
            self.n_categories
        );
        ensure!(
            (1..=1_000).contains(&self.n_snapshots),
            "{} must be in 1..=1000, got {}",
            n.n_snapshots,
            self.n_snapshots
        );
        ensure!(
            self.n_items < u32::MAX as usize,
            "{} must be below {}",
            n.n_items,
            u32::MAX
        );
        let needed =
            2 * (self.history_per_user + self.truth_per_user + self.k + self.k.div_ceil(2));
        ensure!(
            self.n_items >= needed.max(self.n_categories),
            "{} must be at least {} for {} = {}, {} = {}, {} = {} and {} = {}, got {}",
            n.n_items,
            needed.max(self.n_categories),
            n.k,
            self.k,
            n.history_per_user,
            self.history_per_user,
            n.truth_per_user,
            self.truth_per_user,
            n.n_categories,
            self.n_categories,
            self.n_items
        );
        if self.plants.narrowing_over_time && self.n_snapshots < 2 {
            bail!(
                "the {} plant needs {} >= 2",
                n.narrowing_over_time,
                n.n_snapshots
            );
        }
        Ok(())
    }

    /// Rows of the recommendations table: `n_users × k × n_snapshots`.
    pub fn n_rec_rows(&self) -> u64 {
        (self.n_users as u64) * (self.k as u64) * (self.n_snapshots as u64)
    }
}

/// The files [`generate`] wrote and their row counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFiles {
    /// `recs.<ext>`: user_id, item_id, rank, score[, snapshot].
    pub recs: PathBuf,
    /// `users.<ext>`: user_id, gender, age_band, region, country_tier, tenure_band, consent.
    pub users: PathBuf,
    /// `items.<ext>`: item_id, category, provider, popularity.
    pub items: PathBuf,
    /// `truth.<ext>`: user_id, item_id, relevance.
    pub truth: PathBuf,
    /// `history.<ext>`: user_id, item_id, timestamp.
    pub history: PathBuf,
    /// Rows of the users table.
    pub n_users: u64,
    /// Rows of the items table.
    pub n_items: u64,
    /// Rows of the recommendations table.
    pub n_rec_rows: u64,
    /// Rows of the truth table.
    pub n_truth_rows: u64,
    /// Rows of the history table.
    pub n_history_rows: u64,
}

/// Writes `recs`, `users`, `items`, `truth` and `history` (`.csv` or `.parquet`) into `out_dir`
/// (created if missing), replacing files of the same names.
pub fn generate(cfg: &GeneratorConfig, out_dir: &Path) -> Result<GeneratedFiles> {
    cfg.validate()?;
    fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create output directory {}", out_dir.display()))?;
    let ext = cfg.format.extension();
    let path = |name: &str| out_dir.join(format!("{name}.{ext}"));
    let files = GeneratedFiles {
        recs: path("recs"),
        users: path("users"),
        items: path("items"),
        truth: path("truth"),
        history: path("history"),
        n_users: cfg.n_users as u64,
        n_items: cfg.n_items as u64,
        n_rec_rows: cfg.n_rec_rows(),
        n_truth_rows: (cfg.n_users * cfg.truth_per_user) as u64,
        n_history_rows: (cfg.n_users * cfg.history_per_user) as u64,
    };

    let gen = Generator::new(cfg);
    let mut sinks = [
        Sink::open(&files.users, cfg.format, &gen.header(OutputTable::Users))?,
        Sink::open(&files.recs, cfg.format, &gen.header(OutputTable::Recs))?,
        Sink::open(&files.truth, cfg.format, &gen.header(OutputTable::Truth))?,
        Sink::open(
            &files.history,
            cfg.format,
            &gen.header(OutputTable::History),
        )?,
    ];
    let mut popularity = vec![0u64; cfg.n_items];

    for blocks in chunks_of_blocks(cfg.n_users) {
        let encoded: Vec<Result<EncodedBlock>> = blocks
            .par_iter()
            .map(|&(start, end)| gen.block(start, end))
            .collect();
        let encoded = encoded.into_iter().collect::<Result<Vec<_>>>()?;
        for block in &encoded {
            for &item in &block.history_items {
                popularity[item as usize] += 1;
            }
        }
        for (t, sink) in sinks.iter_mut().enumerate() {
            let parts = encoded.iter().map(|b| &b.tables[t]);
            sink.append(parts)?;
        }
    }
    let [users, recs, truth, history] = sinks;
    users.finish(&files.users)?;
    recs.finish(&files.recs)?;
    truth.finish(&files.truth)?;
    history.finish(&files.history)?;

    let mut items = Sink::open(&files.items, cfg.format, &gen.header(OutputTable::Items))?;
    let items_part = gen.items_rows(&popularity)?;
    items.append(std::iter::once(&items_part))?;
    items.finish(&files.items)?;
    Ok(files)
}
