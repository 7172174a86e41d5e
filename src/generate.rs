//! Deterministic, seeded generator of synthetic audit cases in the SPEC §1 format, with planted
//! effects that an audit should find (and, with no plant switched on, nothing it should find).
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
//!   each truth item joins the candidates with probability 0.1), scored by
//!   `0.25 + 0.45·pop + 0.2·taste + 0.2·noise (+0.1 for a truth item)`, the best `k` kept. Scores are
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

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context, Result};
use polars::io::parquet::write::BatchedWriter;
use polars::prelude::{Column, DataFrame, IntoColumn, ParquetWriter, StringChunkedBuilder};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// Gender values (column `gender`); `X` is a small group (~4%).
pub const GENDERS: [&str; 3] = ["F", "M", "X"];
/// Age bands (column `age_band`).
pub const AGE_BANDS: [&str; 3] = ["18-34", "35-54", "55+"];
/// Regions (column `region`).
pub const REGIONS: [&str; 5] = ["north", "south", "east", "west", "central"];
/// Country tiers (column `country_tier`).
pub const COUNTRY_TIERS: [&str; 3] = ["tier1", "tier2", "tier3"];
/// Tenure bands (column `tenure_band`).
pub const TENURE_BANDS: [&str; 3] = ["new", "regular", "loyal"];
/// Item providers (column `provider`).
pub const PROVIDERS: [&str; 3] = ["major", "indie", "local"];

/// The gender that gets less accurate lists under [`Plants::worse_group`].
pub const WORSE_GENDER: &str = "F";
/// The provider group pushed down and out of lists under [`Plants::underexposed_provider`].
pub const UNDEREXPOSED_PROVIDER: &str = "indie";
/// The age band whose lists are narrow under [`Plants::narrow_group`].
pub const NARROW_AGE_BAND: &str = "55+";
/// The age band whose lists narrow snapshot by snapshot under [`Plants::narrowing_over_time`].
pub const NARROWING_AGE_BAND: &str = "18-34";
/// The region segregated into its own category cluster under [`Plants::segregated_group`].
pub const SEGREGATED_REGION: &str = "east";

const GENDER_W: [f64; 3] = [0.48, 0.48, 0.04];
const AGE_W: [f64; 3] = [0.40, 0.38, 0.22];
const REGION_W: [f64; 5] = [0.2; 5];
const TIER_W: [f64; 3] = [0.5, 0.3, 0.2];
const TENURE_W: [f64; 3] = [0.30, 0.45, 0.25];
const PROVIDER_W: [f64; 3] = [0.5, 0.3, 0.2];
const N_FAVS_W: [f64; 3] = [0.4, 0.4, 0.2];
const EXTRA_CATS_W: [f64; 3] = [0.6, 0.3, 0.1];
const RELEVANCE_W: [f64; 3] = [0.5, 0.3, 0.2];

const WORSE_GENDER_IDX: u8 = 0;
const INDIE_IDX: u8 = 1;
const NARROW_AGE_IDX: u8 = 2;
const NARROWING_AGE_IDX: u8 = 0;
const SEGREGATED_REGION_IDX: u8 = 2;

const CATEGORY_NAMES: [&str; 20] = [
    "drama", "comedy", "action", "docs", "kids", "horror", "romance", "scifi", "thriller", "music",
    "sports", "news", "crime", "fantasy", "anime", "travel", "cooking", "history", "nature",
    "tech",
];

const ZIPF_EXPONENT: f64 = 1.0;
const HISTORY_TASTE: f64 = 0.6;
const TRUTH_TASTE: f64 = 0.8;
const TRUTH_POP_EXPONENT: f64 = 0.25;
const REC_TASTE: f64 = 0.5;
const CONSENT_FALSE: f64 = 0.03;
const TRUTH_INCLUDE: f64 = 0.11;
const WORSE_TRUTH_INCLUDE: f64 = 0.03;
const WORSE_TRUTH_REJECT: f64 = 0.8;
const INDIE_REC_WEIGHT: f64 = 0.3;
const INDIE_SCORE_PENALTY: f64 = 0.15;
const TRUTH_SCORE_BONUS: f64 = 0.15;
const NARROWING_SCORE_BONUS: f64 = 0.3;
const KEEP_PROB: f64 = 0.7;
const NARROWING_KEEP_PROB: f64 = 0.9;
const BASE_TIMESTAMP: u64 = 1_700_000_000;

const CHUNK_USERS: usize = 200_000;
const BLOCK_USERS: usize = 2_048;
const POOL_ATTEMPTS: usize = 128;
const MAX_ATTEMPTS: usize = 256;

const DOMAIN_ITEMS: u64 = 1;
const DOMAIN_USERS: u64 = 2;

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

/// Effects planted into the generated data. All off by default: then every group is drawn from the
/// same distributions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Plants {
    /// Users with gender [`WORSE_GENDER`] get much less accurate lists: a truth item joins their
    /// candidates with probability 0.02 instead of 0.1, and a truth item drawn by chance is
    /// rejected with probability 0.8.
    pub worse_group: bool,
    /// Items of provider [`UNDEREXPOSED_PROVIDER`] are pushed down and out of lists: their
    /// candidate weight is ×0.3 and their score −0.15, so their share of recommendations falls well
    /// below their catalog share.
    pub underexposed_provider: bool,
    /// Users in age band [`NARROW_AGE_BAND`] get lists drawn only from items whose categories all lie
    /// in 1–2 of their favourite categories, while their history is as broad as everyone's.
    pub narrow_group: bool,
    /// Needs `n_snapshots >= 2`. Users in age band [`NARROWING_AGE_BAND`] start like everyone and
    /// lose categories snapshot by snapshot: at snapshot t of T a share (t−1)/(T−1) of new
    /// candidates comes from single-category items of their top favourite, which also gain score and
    /// stay longer; the last snapshot's lists are one category.
    pub narrowing_over_time: bool,
    /// Users in region [`SEGREGATED_REGION`] get lists only from a cluster of categories (the last
    /// quarter of the categories, at least one), and every other user gets none from it. Items do not
    /// mix categories across the cluster boundary. Histories stay as everyone's.
    pub segregated_group: bool,
}

impl Plants {
    /// No planted effect.
    pub fn none() -> Self {
        Plants::default()
    }

    /// Whether any effect is planted.
    pub fn any(&self) -> bool {
        self.worse_group
            || self.underexposed_provider
            || self.narrow_group
            || self.narrowing_over_time
            || self.segregated_group
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

impl GeneratorConfig {
    /// Checks the sizes; [`generate`] calls it first.
    pub fn validate(&self) -> Result<()> {
        ensure!(self.n_users >= 1, "n_users must be at least 1");
        ensure!(
            self.n_users < u32::MAX as usize,
            "n_users must be below {}",
            u32::MAX
        );
        ensure!(
            (1..=1_000).contains(&self.k),
            "k must be in 1..=1000, got {}",
            self.k
        );
        ensure!(
            (2..=1_000).contains(&self.n_categories),
            "n_categories must be in 2..=1000, got {}",
            self.n_categories
        );
        ensure!(
            (1..=1_000).contains(&self.n_snapshots),
            "n_snapshots must be in 1..=1000, got {}",
            self.n_snapshots
        );
        ensure!(
            self.n_items < u32::MAX as usize,
            "n_items must be below {}",
            u32::MAX
        );
        let needed =
            2 * (self.history_per_user + self.truth_per_user + self.k + self.k.div_ceil(2));
        ensure!(
            self.n_items >= needed.max(self.n_categories),
            "n_items must be at least {} for k = {}, history_per_user = {}, truth_per_user = {} \
             and n_categories = {}, got {}",
            needed.max(self.n_categories),
            self.k,
            self.history_per_user,
            self.truth_per_user,
            self.n_categories,
            self.n_items
        );
        if self.plants.narrowing_over_time && self.n_snapshots < 2 {
            bail!("the narrowing_over_time plant needs n_snapshots >= 2");
        }
        Ok(())
    }

    /// Rows of the recommendations table: `n_users × k × n_snapshots`.
    pub fn n_rec_rows(&self) -> u64 {
        (self.n_users as u64) * (self.k as u64) * (self.n_snapshots as u64)
    }
}

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

/// The benchmark case of issue 8: `n_rec_rows / 10` users, top-10, 100,000 items, 20 categories,
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

/// A named configuration: `example`, `example-over-time`, or `bench-1m` / `bench-10m` /
/// `bench-100m` (see [`bench_config`]).
pub fn preset(name: &str) -> Option<GeneratorConfig> {
    match name {
        "example" => Some(example_config()),
        "example-over-time" => Some(example_over_time_config()),
        "bench-1m" => Some(bench_config(1_000_000, 42)),
        "bench-10m" => Some(bench_config(10_000_000, 42)),
        "bench-100m" => Some(bench_config(100_000_000, 42)),
        _ => None,
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
        Sink::open(&files.users, cfg.format, &gen.header(Table::Users))?,
        Sink::open(&files.recs, cfg.format, &gen.header(Table::Recs))?,
        Sink::open(&files.truth, cfg.format, &gen.header(Table::Truth))?,
        Sink::open(&files.history, cfg.format, &gen.header(Table::History))?,
    ];
    let mut popularity = vec![0u64; cfg.n_items];

    let mut chunk_start = 0;
    while chunk_start < cfg.n_users {
        let chunk_end = (chunk_start + CHUNK_USERS).min(cfg.n_users);
        let blocks: Vec<(usize, usize)> = (chunk_start..chunk_end)
            .step_by(BLOCK_USERS)
            .map(|s| (s, (s + BLOCK_USERS).min(chunk_end)))
            .collect();
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
        chunk_start = chunk_end;
    }
    let [users, recs, truth, history] = sinks;
    users.finish(&files.users)?;
    recs.finish(&files.recs)?;
    truth.finish(&files.truth)?;
    history.finish(&files.history)?;

    let mut items = Sink::open(&files.items, cfg.format, &gen.header(Table::Items))?;
    let items_part = gen.items_table(&popularity)?;
    items.append(std::iter::once(&items_part))?;
    items.finish(&files.items)?;
    Ok(files)
}

// ---------------------------------------------------------------------------------------------
// Catalog and sampling

/// Items with weights, sampled in O(1) by Vose's alias method: slot `i` holds
/// `(threshold, item, alias item)`, one cache line per draw even for 100k-item catalogs.
struct Weighted {
    slots: Vec<(f64, u32, u32)>,
}

impl Weighted {
    fn new(items: Vec<u32>, weight: impl Fn(u32) -> f64) -> Self {
        let n = items.len();
        let weights: Vec<f64> = items.iter().map(|&i| weight(i)).collect();
        let total: f64 = weights.iter().sum();
        if n == 0 || total <= 0.0 {
            return Weighted { slots: Vec::new() };
        }
        let mut scaled: Vec<f64> = weights.iter().map(|w| w * n as f64 / total).collect();
        let mut alias: Vec<usize> = (0..n).collect();
        let (mut small, mut large): (Vec<usize>, Vec<usize>) =
            (0..n).partition(|&i| scaled[i] < 1.0);
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            alias[s] = l;
            scaled[l] -= 1.0 - scaled[s];
            if scaled[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // Leftovers (rounding) keep themselves.
        for i in small.into_iter().chain(large) {
            scaled[i] = 1.0;
            alias[i] = i;
        }
        let slots = (0..n)
            .map(|i| (scaled[i], items[i], items[alias[i]]))
            .collect();
        Weighted { slots }
    }

    fn sample<R: Rng>(&self, rng: &mut R) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let (threshold, item, alias) = self.slots[rng.gen_range(0..self.slots.len())];
        Some(if rng.gen::<f64>() < threshold {
            item
        } else {
            alias
        })
    }
}

/// Where a user's recommendations may come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pool {
    /// The whole catalog.
    All,
    /// Items whose primary category is in the segregation cluster.
    Cluster,
    /// Items whose primary category is outside the segregation cluster.
    NonCluster,
    /// Items whose categories all lie in the first `n` of these categories.
    Narrow([u16; 2], u8),
}

struct Catalog {
    n_items: usize,
    cat_names: Vec<String>,
    /// Categories of item i: `cats[i][..n_cats[i]]`, primary first.
    cats: Vec<[u16; 3]>,
    n_cats: Vec<u8>,
    provider: Vec<u8>,
    pop_score: Vec<f64>,
    cat_in_cluster: Vec<bool>,
    hist_global: Weighted,
    hist_cat: Vec<Weighted>,
    truth_global: Weighted,
    truth_cat: Vec<Weighted>,
    rec_global: Weighted,
    rec_cluster: Weighted,
    rec_noncluster: Weighted,
    rec_cat: Vec<Weighted>,
    rec_pure: Vec<Weighted>,
}

impl Catalog {
    fn new(cfg: &GeneratorConfig) -> Self {
        let n = cfg.n_items;
        let n_cat = cfg.n_categories;
        let mut rng = ChaCha8Rng::from_seed(domain_key(cfg.seed, DOMAIN_ITEMS));

        // Popularity rank: a random permutation of the ids.
        let mut by_rank: Vec<u32> = (0..n as u32).collect();
        for i in (1..n).rev() {
            let j = rng.gen_range(0..=i);
            by_rank.swap(i, j);
        }
        let mut rank = vec![0usize; n];
        for (r, &i) in by_rank.iter().enumerate() {
            rank[i as usize] = r;
        }
        let zipf: Vec<f64> = rank
            .iter()
            .map(|&r| 1.0 / ((r + 1) as f64).powf(ZIPF_EXPONENT))
            .collect();
        let ln_n = ((n + 1) as f64).ln();
        let pop_score: Vec<f64> = rank
            .iter()
            .map(|&r| 1.0 - ((r + 1) as f64).ln() / ln_n)
            .collect();

        // Providers along the popularity ranking: each item goes to the provider whose share of
        // the Zipf mass so far lags its target most, so shares hold by count and by mass.
        let mut provider = vec![0u8; n];
        let mut mass = [0.0f64; 3];
        let mut total = 0.0;
        for (r, &i) in by_rank.iter().enumerate() {
            let z = 1.0 / ((r + 1) as f64).powf(ZIPF_EXPONENT);
            total += z;
            let p = (0..3)
                .max_by(|&a, &b| {
                    let da = PROVIDER_W[a] * total - mass[a];
                    let db = PROVIDER_W[b] * total - mass[b];
                    da.total_cmp(&db).then(b.cmp(&a))
                })
                .unwrap_or(0);
            mass[p] += z;
            provider[i as usize] = p as u8;
        }

        // Categories: the cluster is the last quarter (at least one); with the segregation plant
        // an item's categories stay on one side of it.
        let n_cluster = (n_cat / 4).max(1);
        let cat_in_cluster: Vec<bool> = (0..n_cat).map(|c| c >= n_cat - n_cluster).collect();
        let mut cats = vec![[0u16; 3]; n];
        let mut n_cats = vec![0u8; n];
        for i in 0..n {
            let primary = rng.gen_range(0..n_cat) as u16;
            let extra = pick(&mut rng, &EXTRA_CATS_W);
            let (lo, hi) = if cfg.plants.segregated_group {
                if cat_in_cluster[primary as usize] {
                    (n_cat - n_cluster, n_cat)
                } else {
                    (0, n_cat - n_cluster)
                }
            } else {
                (0, n_cat)
            };
            let extra = extra.min(hi - lo - 1);
            cats[i][0] = primary;
            let mut m = 1;
            while m < 1 + extra {
                let c = rng.gen_range(lo..hi) as u16;
                if !cats[i][..m].contains(&c) {
                    cats[i][m] = c;
                    m += 1;
                }
            }
            n_cats[i] = m as u8;
        }

        let rec_weight: Vec<f64> = (0..n)
            .map(|i| {
                if cfg.plants.underexposed_provider && provider[i] == INDIE_IDX {
                    zipf[i] * INDIE_REC_WEIGHT
                } else {
                    zipf[i]
                }
            })
            .collect();
        let mut with_cat: Vec<Vec<u32>> = vec![Vec::new(); n_cat];
        let mut pure: Vec<Vec<u32>> = vec![Vec::new(); n_cat];
        for i in 0..n {
            for &c in &cats[i][..n_cats[i] as usize] {
                with_cat[c as usize].push(i as u32);
            }
            if n_cats[i] == 1 {
                pure[cats[i][0] as usize].push(i as u32);
            }
        }
        let all: Vec<u32> = (0..n as u32).collect();
        let (cluster, noncluster): (Vec<u32>, Vec<u32>) = all
            .iter()
            .partition(|&&i| cat_in_cluster[cats[i as usize][0] as usize]);
        let hw = |i: u32| zipf[i as usize];
        let tw = |i: u32| zipf[i as usize].powf(TRUTH_POP_EXPONENT);
        let rw = |i: u32| rec_weight[i as usize];
        Catalog {
            n_items: n,
            cat_names: (0..n_cat).map(category_name).collect(),
            hist_global: Weighted::new(all.clone(), hw),
            hist_cat: with_cat
                .iter()
                .map(|v| Weighted::new(v.clone(), hw))
                .collect(),
            truth_global: Weighted::new(all.clone(), tw),
            truth_cat: with_cat
                .iter()
                .map(|v| Weighted::new(v.clone(), tw))
                .collect(),
            rec_global: Weighted::new(all, rw),
            rec_cluster: Weighted::new(cluster, rw),
            rec_noncluster: Weighted::new(noncluster, rw),
            rec_cat: with_cat.into_iter().map(|v| Weighted::new(v, rw)).collect(),
            rec_pure: pure.into_iter().map(|v| Weighted::new(v, rw)).collect(),
            cats,
            n_cats,
            provider,
            pop_score,
            cat_in_cluster,
        }
    }

    fn cats_of(&self, item: u32) -> &[u16] {
        &self.cats[item as usize][..self.n_cats[item as usize] as usize]
    }

    fn in_pool(&self, pool: Pool, item: u32) -> bool {
        let cats = self.cats_of(item);
        match pool {
            Pool::All => true,
            Pool::Cluster => self.cat_in_cluster[cats[0] as usize],
            Pool::NonCluster => !self.cat_in_cluster[cats[0] as usize],
            Pool::Narrow(set, n) => cats.iter().all(|c| set[..n as usize].contains(c)),
        }
    }

    /// A history draw (`truth = false`: a favourite category or the whole catalog, by
    /// popularity) or a truth draw (more taste, flatter popularity: the held-out items are what the
    /// user liked, not what the recommender pushes).
    fn draw_taste<R: Rng>(&self, rng: &mut R, favs: &[u16], truth: bool) -> u32 {
        let (taste, global, by_cat) = if truth {
            (TRUTH_TASTE, &self.truth_global, &self.truth_cat)
        } else {
            (HISTORY_TASTE, &self.hist_global, &self.hist_cat)
        };
        if rng.gen::<f64>() < taste {
            let c = favs[rng.gen_range(0..favs.len())];
            if let Some(i) = by_cat[c as usize].sample(rng) {
                return i;
            }
        }
        global.sample(rng).expect("the catalog is not empty")
    }

    /// A recommendation candidate from `pool`; `relaxed` widens narrow pools to every item with
    /// one of their categories.
    fn draw_rec<R: Rng>(&self, rng: &mut R, pool: Pool, favs: &[u16], relaxed: bool) -> u32 {
        let taste = rng.gen::<f64>() < REC_TASTE;
        let from_favs = |rng: &mut R, side: Option<bool>| -> Option<u32> {
            let n_ok = favs
                .iter()
                .filter(|&&c| side.is_none_or(|s| self.cat_in_cluster[c as usize] == s))
                .count();
            if n_ok == 0 {
                return None;
            }
            let pick = rng.gen_range(0..n_ok);
            let c = favs
                .iter()
                .filter(|&&c| side.is_none_or(|s| self.cat_in_cluster[c as usize] == s))
                .nth(pick)?;
            self.rec_cat[*c as usize].sample(rng)
        };
        let drawn = match pool {
            Pool::All => (if taste { from_favs(rng, None) } else { None })
                .or_else(|| self.rec_global.sample(rng)),
            Pool::Cluster => (if taste && !relaxed {
                from_favs(rng, Some(true))
            } else {
                None
            })
            .or_else(|| self.rec_cluster.sample(rng)),
            Pool::NonCluster => (if taste && !relaxed {
                from_favs(rng, Some(false))
            } else {
                None
            })
            .or_else(|| self.rec_noncluster.sample(rng)),
            Pool::Narrow(set, n) => {
                let c = set[rng.gen_range(0..n as usize)] as usize;
                if relaxed {
                    self.rec_cat[c].sample(rng)
                } else {
                    self.rec_pure[c]
                        .sample(rng)
                        .or_else(|| self.rec_cat[c].sample(rng))
                }
            }
        };
        drawn
            .or_else(|| self.rec_global.sample(rng))
            .expect("the catalog is not empty")
    }
}

// ---------------------------------------------------------------------------------------------
// Users

#[derive(Debug, Clone, Copy)]
struct Demo {
    gender: u8,
    age: u8,
    region: u8,
    tier: u8,
    tenure: u8,
    consent: bool,
}

struct RecRow {
    user: u32,
    item: u32,
    rank: u32,
    snapshot: u32,
    score_e4: u32,
}

/// The rows of one block of users.
#[derive(Default)]
struct BlockRows {
    users: Vec<(u32, Demo)>,
    recs: Vec<RecRow>,
    truth: Vec<(u32, u32, u8)>,
    history: Vec<(u32, u32, u64)>,
}

#[derive(Default)]
struct Scratch {
    favs: Vec<u16>,
    history: Vec<u32>,
    truth: Vec<u32>,
    prev: Vec<u32>,
    cands: Vec<u32>,
    scored: Vec<(f64, u32)>,
}

/// Per-user recommendation context.
struct RecCtx {
    pool: Pool,
    /// The segregation side (`All` without that plant): fallbacks stay inside it.
    side: Pool,
    /// The pool that takes over snapshot by snapshot (narrowing plant).
    narrowing: Option<Pool>,
    worse: bool,
}

#[derive(Debug, Clone, Copy)]
enum Table {
    Users,
    Recs,
    Truth,
    History,
    Items,
}

enum Part {
    Csv(Vec<u8>),
    Frame(DataFrame),
}

struct EncodedBlock {
    /// Users, recs, truth, history.
    tables: [Part; 4],
    history_items: Vec<u32>,
}

struct Generator<'a> {
    cfg: &'a GeneratorConfig,
    catalog: Catalog,
    user_key: [u8; 32],
    user_width: usize,
    item_width: usize,
}

impl<'a> Generator<'a> {
    fn new(cfg: &'a GeneratorConfig) -> Self {
        Generator {
            cfg,
            catalog: Catalog::new(cfg),
            user_key: domain_key(cfg.seed, DOMAIN_USERS),
            user_width: digits(cfg.n_users as u64).max(6),
            item_width: digits(cfg.n_items as u64).max(5),
        }
    }

    fn header(&self, table: Table) -> Vec<&'static str> {
        match table {
            Table::Users => vec![
                "user_id",
                "gender",
                "age_band",
                "region",
                "country_tier",
                "tenure_band",
                "consent",
            ],
            Table::Recs if self.cfg.n_snapshots > 1 => {
                vec!["user_id", "item_id", "rank", "score", "snapshot"]
            }
            Table::Recs => vec!["user_id", "item_id", "rank", "score"],
            Table::Truth => vec!["user_id", "item_id", "relevance"],
            Table::History => vec!["user_id", "item_id", "timestamp"],
            Table::Items => vec!["item_id", "category", "provider", "popularity"],
        }
    }

    fn block(&self, start: usize, end: usize) -> Result<EncodedBlock> {
        let cfg = self.cfg;
        let n = end - start;
        let mut rows = BlockRows {
            users: Vec::with_capacity(n),
            recs: Vec::with_capacity(n * cfg.k * cfg.n_snapshots),
            truth: Vec::with_capacity(n * cfg.truth_per_user),
            history: Vec::with_capacity(n * cfg.history_per_user),
        };
        let mut scratch = Scratch::default();
        for u in start..end {
            self.user(u as u32, &mut scratch, &mut rows);
        }
        let history_items = rows.history.iter().map(|h| h.1).collect();
        let tables = match cfg.format {
            OutputFormat::Csv => [
                Part::Csv(self.users_csv(&rows)),
                Part::Csv(self.recs_csv(&rows)),
                Part::Csv(self.truth_csv(&rows)),
                Part::Csv(self.history_csv(&rows)),
            ],
            OutputFormat::Parquet => [
                Part::Frame(self.users_frame(&rows)?),
                Part::Frame(self.recs_frame(&rows)?),
                Part::Frame(self.truth_frame(&rows)?),
                Part::Frame(self.history_frame(&rows)?),
            ],
        };
        Ok(EncodedBlock {
            tables,
            history_items,
        })
    }

    /// Generates every row of user `u` from the user's own random stream.
    fn user(&self, u: u32, sc: &mut Scratch, rows: &mut BlockRows) {
        let cfg = self.cfg;
        let cat = &self.catalog;
        let n_cat = cfg.n_categories;
        let mut rng = ChaCha8Rng::from_seed(self.user_key);
        rng.set_stream(u as u64);

        let demo = Demo {
            gender: pick(&mut rng, &GENDER_W) as u8,
            age: pick(&mut rng, &AGE_W) as u8,
            region: pick(&mut rng, &REGION_W) as u8,
            tier: pick(&mut rng, &TIER_W) as u8,
            tenure: pick(&mut rng, &TENURE_W) as u8,
            consent: rng.gen::<f64>() >= CONSENT_FALSE,
        };
        rows.users.push((u, demo));

        let n_favs = (pick(&mut rng, &N_FAVS_W) + 1).min(n_cat);
        sc.favs.clear();
        while sc.favs.len() < n_favs {
            let c = rng.gen_range(0..n_cat) as u16;
            if !sc.favs.contains(&c) {
                sc.favs.push(c);
            }
        }

        // History, then truth (disjoint from the history).
        sc.history.clear();
        let mut ts = BASE_TIMESTAMP + rng.gen_range(0..30 * 86_400);
        for _ in 0..cfg.history_per_user {
            let item = draw_distinct(&mut rng, cat.n_items, &[&sc.history], |r| {
                cat.draw_taste(r, &sc.favs, false)
            });
            sc.history.push(item);
            rows.history.push((u, item, ts));
            ts += rng.gen_range(60..2 * 86_400);
        }
        sc.truth.clear();
        for _ in 0..cfg.truth_per_user {
            let item = draw_distinct(&mut rng, cat.n_items, &[&sc.history, &sc.truth], |r| {
                cat.draw_taste(r, &sc.favs, true)
            });
            sc.truth.push(item);
            rows.truth
                .push((u, item, pick(&mut rng, &RELEVANCE_W) as u8 + 1));
        }

        // Where this user's lists come from.
        let plants = cfg.plants;
        let side = if plants.segregated_group {
            if demo.region == SEGREGATED_REGION_IDX {
                Pool::Cluster
            } else {
                Pool::NonCluster
            }
        } else {
            Pool::All
        };
        let narrow_pool = |rng: &mut ChaCha8Rng, max_cats: usize| -> Pool {
            let ok = |c: u16| match side {
                Pool::Cluster => cat.cat_in_cluster[c as usize],
                Pool::NonCluster => !cat.cat_in_cluster[c as usize],
                _ => true,
            };
            let mut set = [0u16; 2];
            let mut m = 0;
            for &c in sc.favs.iter().filter(|&&c| ok(c)) {
                if m < max_cats {
                    set[m] = c;
                    m += 1;
                }
            }
            if m == 0 {
                let allowed: Vec<u16> = (0..n_cat as u16).filter(|&c| ok(c)).collect();
                set[0] = allowed[rng.gen_range(0..allowed.len())];
                m = 1;
            }
            Pool::Narrow(set, m as u8)
        };
        let pool = if plants.narrow_group && demo.age == NARROW_AGE_IDX {
            let max_cats = if rng.gen::<f64>() < 0.5 { 1 } else { 2 };
            narrow_pool(&mut rng, max_cats)
        } else {
            side
        };
        let narrowing =
            (plants.narrowing_over_time && cfg.n_snapshots >= 2 && demo.age == NARROWING_AGE_IDX)
                .then(|| narrow_pool(&mut rng, 1));
        let ctx = RecCtx {
            pool,
            side,
            narrowing,
            worse: plants.worse_group && demo.gender == WORSE_GENDER_IDX,
        };
        let include = if ctx.worse {
            WORSE_TRUTH_INCLUDE
        } else {
            TRUTH_INCLUDE
        };

        let n_cands = cfg.k + cfg.k.div_ceil(2);
        sc.prev.clear();
        for t in 0..cfg.n_snapshots {
            let s = match ctx.narrowing {
                Some(_) => t as f64 / (cfg.n_snapshots - 1) as f64,
                None => 0.0,
            };
            let in_narrowing = |item: u32| ctx.narrowing.is_some_and(|p| cat.in_pool(p, item));
            sc.cands.clear();
            for &item in &sc.prev {
                let keep = if in_narrowing(item) {
                    NARROWING_KEEP_PROB
                } else {
                    KEEP_PROB * (1.0 - s)
                };
                if rng.gen::<f64>() < keep {
                    sc.cands.push(item);
                }
            }
            for &item in &sc.truth {
                let allowed = cat.in_pool(ctx.pool, item) && (s < 1.0 || in_narrowing(item));
                if allowed && rng.gen::<f64>() < include && !sc.cands.contains(&item) {
                    sc.cands.push(item);
                }
            }
            while sc.cands.len() < n_cands {
                let item = self.draw_candidate(&mut rng, &ctx, s, sc);
                sc.cands.push(item);
            }

            sc.scored.clear();
            for &item in &sc.cands {
                let cats = cat.cats_of(item);
                let taste =
                    cats.iter().filter(|c| sc.favs.contains(c)).count() as f64 / cats.len() as f64;
                let mut score = 0.25
                    + 0.45 * cat.pop_score[item as usize]
                    + 0.2 * taste
                    + 0.2 * rng.gen::<f64>();
                if sc.truth.contains(&item) {
                    score += TRUTH_SCORE_BONUS;
                }
                if plants.underexposed_provider && cat.provider[item as usize] == INDIE_IDX {
                    score -= INDIE_SCORE_PENALTY;
                }
                if s > 0.0 && in_narrowing(item) {
                    score += NARROWING_SCORE_BONUS * s;
                }
                sc.scored.push((score, item));
            }
            sc.scored
                .sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            sc.scored.truncate(cfg.k);

            sc.prev.clear();
            let mut last = u32::MAX;
            for (r, &(score, item)) in sc.scored.iter().enumerate() {
                let mut e4 = (score * 1e4).round().max(1.0) as u32;
                if e4 >= last {
                    e4 = last.saturating_sub(1);
                }
                last = e4;
                rows.recs.push(RecRow {
                    user: u,
                    item,
                    rank: r as u32 + 1,
                    snapshot: t as u32 + 1,
                    score_e4: e4,
                });
                sc.prev.push(item);
            }
        }
    }

    /// A new candidate: not in the history, not already a candidate; from the user's pool, then
    /// a relaxed pool, then a scan (inside the segregation side when possible), so it always
    /// terminates.
    fn draw_candidate(&self, rng: &mut ChaCha8Rng, ctx: &RecCtx, s: f64, sc: &Scratch) -> u32 {
        let cat = &self.catalog;
        for attempt in 0..MAX_ATTEMPTS {
            let pool = match ctx.narrowing {
                Some(p) if s > 0.0 && rng.gen::<f64>() < s => p,
                _ => ctx.pool,
            };
            let item = cat.draw_rec(rng, pool, &sc.favs, attempt >= POOL_ATTEMPTS);
            if sc.history.contains(&item) || sc.cands.contains(&item) {
                continue;
            }
            if ctx.worse && sc.truth.contains(&item) && rng.gen::<f64>() < WORSE_TRUTH_REJECT {
                continue;
            }
            return item;
        }
        let taken = [&sc.history, &sc.cands];
        scan_free(rng, cat.n_items, &taken, |i| cat.in_pool(ctx.side, i))
            .or_else(|| scan_free(rng, cat.n_items, &taken, |_| true))
            .expect("validate() guarantees enough items")
    }

    // -- CSV encoding ------------------------------------------------------------------------

    fn users_csv(&self, rows: &BlockRows) -> Vec<u8> {
        let mut buf = Vec::with_capacity(rows.users.len() * 48);
        for &(u, d) in &rows.users {
            push_id(&mut buf, b'u', u as u64 + 1, self.user_width);
            for value in [
                GENDERS[d.gender as usize],
                AGE_BANDS[d.age as usize],
                REGIONS[d.region as usize],
                COUNTRY_TIERS[d.tier as usize],
                TENURE_BANDS[d.tenure as usize],
                if d.consent { "true" } else { "false" },
            ] {
                buf.push(b',');
                buf.extend_from_slice(value.as_bytes());
            }
            buf.push(b'\n');
        }
        buf
    }

    fn recs_csv(&self, rows: &BlockRows) -> Vec<u8> {
        let snapshots = self.cfg.n_snapshots > 1;
        let mut buf = Vec::with_capacity(rows.recs.len() * 32);
        for r in &rows.recs {
            push_id(&mut buf, b'u', r.user as u64 + 1, self.user_width);
            buf.push(b',');
            push_id(&mut buf, b'i', r.item as u64 + 1, self.item_width);
            buf.push(b',');
            push_uint(&mut buf, r.rank as u64);
            buf.push(b',');
            push_score(&mut buf, r.score_e4);
            if snapshots {
                buf.push(b',');
                push_uint(&mut buf, r.snapshot as u64);
            }
            buf.push(b'\n');
        }
        buf
    }

    fn truth_csv(&self, rows: &BlockRows) -> Vec<u8> {
        let mut buf = Vec::with_capacity(rows.truth.len() * 20);
        for &(u, item, rel) in &rows.truth {
            push_id(&mut buf, b'u', u as u64 + 1, self.user_width);
            buf.push(b',');
            push_id(&mut buf, b'i', item as u64 + 1, self.item_width);
            buf.push(b',');
            push_uint(&mut buf, rel as u64);
            buf.push(b'\n');
        }
        buf
    }

    fn history_csv(&self, rows: &BlockRows) -> Vec<u8> {
        let mut buf = Vec::with_capacity(rows.history.len() * 30);
        for &(u, item, ts) in &rows.history {
            push_id(&mut buf, b'u', u as u64 + 1, self.user_width);
            buf.push(b',');
            push_id(&mut buf, b'i', item as u64 + 1, self.item_width);
            buf.push(b',');
            push_uint(&mut buf, ts);
            buf.push(b'\n');
        }
        buf
    }

    // -- Parquet encoding --------------------------------------------------------------------

    fn id_column(&self, name: &str, prefix: u8, ids: impl ExactSizeIterator<Item = u32>) -> Column {
        let width = if prefix == b'u' {
            self.user_width
        } else {
            self.item_width
        };
        let mut builder = StringChunkedBuilder::new(name.into(), ids.len());
        let mut buf = Vec::with_capacity(16);
        for id in ids {
            buf.clear();
            push_id(&mut buf, prefix, id as u64 + 1, width);
            builder.append_value(std::str::from_utf8(&buf).expect("ids are ASCII"));
        }
        builder.finish().into_column()
    }

    fn users_frame(&self, rows: &BlockRows) -> Result<DataFrame> {
        let n = rows.users.len();
        let text = |name: &str, values: &[&str], f: fn(&Demo) -> u8| -> Column {
            let mut b = StringChunkedBuilder::new(name.into(), n);
            for (_, d) in &rows.users {
                b.append_value(values[f(d) as usize]);
            }
            b.finish().into_column()
        };
        let columns = vec![
            self.id_column("user_id", b'u', rows.users.iter().map(|r| r.0)),
            text("gender", &GENDERS, |d| d.gender),
            text("age_band", &AGE_BANDS, |d| d.age),
            text("region", &REGIONS, |d| d.region),
            text("country_tier", &COUNTRY_TIERS, |d| d.tier),
            text("tenure_band", &TENURE_BANDS, |d| d.tenure),
            Column::new(
                "consent".into(),
                rows.users
                    .iter()
                    .map(|r| r.1.consent)
                    .collect::<Vec<bool>>(),
            ),
        ];
        Ok(DataFrame::new(n, columns)?)
    }

    fn recs_frame(&self, rows: &BlockRows) -> Result<DataFrame> {
        let r = &rows.recs;
        let mut columns = vec![
            self.id_column("user_id", b'u', r.iter().map(|x| x.user)),
            self.id_column("item_id", b'i', r.iter().map(|x| x.item)),
            Column::new(
                "rank".into(),
                r.iter().map(|x| x.rank as i32).collect::<Vec<i32>>(),
            ),
            Column::new(
                "score".into(),
                r.iter()
                    .map(|x| x.score_e4 as f64 / 1e4)
                    .collect::<Vec<f64>>(),
            ),
        ];
        if self.cfg.n_snapshots > 1 {
            columns.push(Column::new(
                "snapshot".into(),
                r.iter().map(|x| x.snapshot as i32).collect::<Vec<i32>>(),
            ));
        }
        Ok(DataFrame::new(r.len(), columns)?)
    }

    fn truth_frame(&self, rows: &BlockRows) -> Result<DataFrame> {
        let t = &rows.truth;
        let columns = vec![
            self.id_column("user_id", b'u', t.iter().map(|x| x.0)),
            self.id_column("item_id", b'i', t.iter().map(|x| x.1)),
            Column::new(
                "relevance".into(),
                t.iter().map(|x| x.2 as i32).collect::<Vec<i32>>(),
            ),
        ];
        Ok(DataFrame::new(t.len(), columns)?)
    }

    fn history_frame(&self, rows: &BlockRows) -> Result<DataFrame> {
        let h = &rows.history;
        let columns = vec![
            self.id_column("user_id", b'u', h.iter().map(|x| x.0)),
            self.id_column("item_id", b'i', h.iter().map(|x| x.1)),
            Column::new(
                "timestamp".into(),
                h.iter().map(|x| x.2 as i64).collect::<Vec<i64>>(),
            ),
        ];
        Ok(DataFrame::new(h.len(), columns)?)
    }

    /// The items table; `popularity` is the number of history users of each item.
    fn items_table(&self, popularity: &[u64]) -> Result<Part> {
        let cat = &self.catalog;
        let category = |i: usize| -> String {
            cat.cats_of(i as u32)
                .iter()
                .map(|&c| cat.cat_names[c as usize].as_str())
                .collect::<Vec<_>>()
                .join("|")
        };
        match self.cfg.format {
            OutputFormat::Csv => {
                let mut buf = Vec::with_capacity(cat.n_items * 40);
                for (i, &pop) in popularity.iter().enumerate() {
                    push_id(&mut buf, b'i', i as u64 + 1, self.item_width);
                    buf.push(b',');
                    buf.extend_from_slice(category(i).as_bytes());
                    buf.push(b',');
                    buf.extend_from_slice(PROVIDERS[cat.provider[i] as usize].as_bytes());
                    buf.push(b',');
                    push_uint(&mut buf, pop);
                    buf.push(b'\n');
                }
                Ok(Part::Csv(buf))
            }
            OutputFormat::Parquet => {
                let n = cat.n_items;
                let mut cats = StringChunkedBuilder::new("category".into(), n);
                let mut providers = StringChunkedBuilder::new("provider".into(), n);
                for i in 0..n {
                    cats.append_value(category(i));
                    providers.append_value(PROVIDERS[cat.provider[i] as usize]);
                }
                let columns = vec![
                    self.id_column("item_id", b'i', 0..n as u32),
                    cats.finish().into_column(),
                    providers.finish().into_column(),
                    Column::new(
                        "popularity".into(),
                        popularity.iter().map(|&p| p as i64).collect::<Vec<i64>>(),
                    ),
                ];
                Ok(Part::Frame(DataFrame::new(n, columns)?))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Output

enum Sink {
    Csv(BufWriter<File>),
    Parquet {
        file: Option<File>,
        writer: Option<Box<BatchedWriter<File>>>,
    },
}

impl Sink {
    fn open(path: &Path, format: OutputFormat, header: &[&str]) -> Result<Sink> {
        let file =
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(match format {
            OutputFormat::Csv => {
                let mut w = BufWriter::with_capacity(1 << 20, file);
                w.write_all(header.join(",").as_bytes())
                    .and_then(|_| w.write_all(b"\n"))
                    .with_context(|| format!("cannot write {}", path.display()))?;
                Sink::Csv(w)
            }
            OutputFormat::Parquet => Sink::Parquet {
                file: Some(file),
                writer: None,
            },
        })
    }

    /// Appends the parts of one chunk in order (Parquet: as one row group).
    fn append<'p>(&mut self, parts: impl Iterator<Item = &'p Part>) -> Result<()> {
        match self {
            Sink::Csv(w) => {
                for part in parts {
                    if let Part::Csv(bytes) = part {
                        w.write_all(bytes)?;
                    }
                }
            }
            Sink::Parquet { file, writer } => {
                let mut frame: Option<DataFrame> = None;
                for part in parts {
                    if let Part::Frame(df) = part {
                        match frame.as_mut() {
                            Some(f) => {
                                f.vstack_mut(df)?;
                            }
                            None => frame = Some(df.clone()),
                        }
                    }
                }
                let Some(mut frame) = frame else {
                    return Ok(());
                };
                frame.rechunk_mut_par();
                if writer.is_none() {
                    let f = file
                        .take()
                        .expect("the file is open until the writer exists");
                    *writer = Some(Box::new(ParquetWriter::new(f).batched(frame.schema())?));
                }
                writer
                    .as_mut()
                    .expect("created above")
                    .write_batch(&frame)?;
            }
        }
        Ok(())
    }

    fn finish(self, path: &Path) -> Result<()> {
        match self {
            Sink::Csv(mut w) => w
                .flush()
                .with_context(|| format!("cannot write {}", path.display()))?,
            Sink::Parquet { writer, .. } => {
                if let Some(w) = writer {
                    w.finish()
                        .with_context(|| format!("cannot write {}", path.display()))?;
                }
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// A 32-byte ChaCha key for one domain (items, users) of one seed.
fn domain_key(seed: u64, domain: u64) -> [u8; 32] {
    ChaCha8Rng::seed_from_u64(seed ^ domain.wrapping_mul(0x9E37_79B9_7F4A_7C15)).get_seed()
}

/// Index drawn from (unnormalised) weights.
fn pick<R: Rng>(rng: &mut R, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.gen::<f64>() * total;
    for (i, &w) in weights.iter().enumerate() {
        if x < w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// An item not in any of `taken`, from `draw`, falling back to a scan.
fn draw_distinct<R: Rng>(
    rng: &mut R,
    n_items: usize,
    taken: &[&Vec<u32>],
    mut draw: impl FnMut(&mut R) -> u32,
) -> u32 {
    for _ in 0..MAX_ATTEMPTS {
        let item = draw(rng);
        if !taken.iter().any(|t| t.contains(&item)) {
            return item;
        }
    }
    scan_free(rng, n_items, taken, |_| true).expect("validate() guarantees enough items")
}

/// The first item accepted by `ok` and not in any of `taken`, scanning from a random start.
fn scan_free<R: Rng>(
    rng: &mut R,
    n_items: usize,
    taken: &[&Vec<u32>],
    ok: impl Fn(u32) -> bool,
) -> Option<u32> {
    let start = rng.gen_range(0..n_items);
    (0..n_items)
        .map(|off| ((start + off) % n_items) as u32)
        .find(|&item| ok(item) && !taken.iter().any(|t| t.contains(&item)))
}

fn category_name(c: usize) -> String {
    CATEGORY_NAMES
        .get(c)
        .map(|s| s.to_string())
        .unwrap_or_else(|| format!("cat{}", c + 1))
}

fn digits(mut n: u64) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

fn push_uint(buf: &mut Vec<u8>, v: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    let mut v = v;
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

fn push_id(buf: &mut Vec<u8>, prefix: u8, n: u64, width: usize) {
    buf.push(prefix);
    for _ in digits(n)..width {
        buf.push(b'0');
    }
    push_uint(buf, n);
}

/// `e4 / 10^4` with exactly four decimals.
fn push_score(buf: &mut Vec<u8>, e4: u32) {
    push_uint(buf, (e4 / 10_000) as u64);
    buf.push(b'.');
    let frac = e4 % 10_000;
    for _ in digits(frac as u64)..4 {
        buf.push(b'0');
    }
    push_uint(buf, frac as u64);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
        let text = fs::read_to_string(path).unwrap();
        let mut lines = text.lines();
        let header = lines.next().unwrap().split(',').map(String::from).collect();
        let rows = lines
            .map(|l| l.split(',').map(String::from).collect())
            .collect();
        (header, rows)
    }

    fn small(seed: u64, plants: Plants) -> GeneratorConfig {
        GeneratorConfig {
            n_users: 2_000,
            n_items: 1_000,
            history_per_user: 10,
            truth_per_user: 5,
            seed,
            plants,
            ..GeneratorConfig::default()
        }
    }

    /// Loaded CSV case: per user the demographics, per (user, snapshot) the list.
    struct Case {
        users: HashMap<String, Vec<String>>,
        items: HashMap<String, (Vec<String>, String)>,
        lists: HashMap<(String, String), Vec<(u32, String)>>,
        truth: HashMap<String, HashSet<String>>,
        history: HashMap<String, Vec<String>>,
    }

    fn load(dir: &Path) -> Case {
        let (_, users) = read_csv(&dir.join("users.csv"));
        let (_, items) = read_csv(&dir.join("items.csv"));
        let (rh, recs) = read_csv(&dir.join("recs.csv"));
        let (_, truth) = read_csv(&dir.join("truth.csv"));
        let (_, history) = read_csv(&dir.join("history.csv"));
        let mut lists: HashMap<(String, String), Vec<(u32, String)>> = HashMap::new();
        for r in recs {
            let snap = if rh.len() == 5 {
                r[4].clone()
            } else {
                "1".into()
            };
            lists
                .entry((r[0].clone(), snap))
                .or_default()
                .push((r[2].parse().unwrap(), r[1].clone()));
        }
        let mut t: HashMap<String, HashSet<String>> = HashMap::new();
        for r in truth {
            t.entry(r[0].clone()).or_default().insert(r[1].clone());
        }
        let mut h: HashMap<String, Vec<String>> = HashMap::new();
        for r in history {
            h.entry(r[0].clone()).or_default().push(r[1].clone());
        }
        Case {
            users: users.into_iter().map(|r| (r[0].clone(), r)).collect(),
            items: items
                .into_iter()
                .map(|r| {
                    let cats = r[1].split('|').map(String::from).collect();
                    (r[0].clone(), (cats, r[2].clone()))
                })
                .collect(),
            lists,
            truth: t,
            history: h,
        }
    }

    /// Mean over users of `f(list, user row)`, split by `in_group(user row)`: (group, rest).
    fn split_mean(
        case: &Case,
        snapshot: &str,
        in_group: impl Fn(&[String]) -> bool,
        f: impl Fn(&[(u32, String)], &str) -> f64,
    ) -> (f64, f64) {
        let (mut g, mut ng, mut o, mut no) = (0.0, 0usize, 0.0, 0usize);
        for ((u, snap), list) in &case.lists {
            if snap != snapshot {
                continue;
            }
            let v = f(list, u);
            if in_group(&case.users[u]) {
                g += v;
                ng += 1;
            } else {
                o += v;
                no += 1;
            }
        }
        (g / ng as f64, o / no as f64)
    }

    fn distinct_cats<'a>(case: &Case, items: impl Iterator<Item = &'a String>) -> f64 {
        let mut set = HashSet::new();
        for i in items {
            set.extend(case.items[i].0.iter().cloned());
        }
        set.len() as f64
    }

    fn gen_case(cfg: &GeneratorConfig) -> (tempfile::TempDir, Case) {
        let dir = tempfile::tempdir().unwrap();
        generate(cfg, dir.path()).unwrap();
        let case = load(dir.path());
        (dir, case)
    }

    fn hit_rate_by_gender(case: &Case) -> (f64, f64) {
        split_mean(
            case,
            "1",
            |u| u[1] == WORSE_GENDER,
            |list, u| {
                let t = &case.truth[u];
                list.iter().any(|(_, i)| t.contains(i)) as u8 as f64
            },
        )
    }

    fn indie_share(case: &Case) -> (f64, f64) {
        let catalog = case
            .items
            .values()
            .filter(|(_, p)| p == UNDEREXPOSED_PROVIDER)
            .count() as f64
            / case.items.len() as f64;
        let (mut indie, mut all) = (0usize, 0usize);
        for list in case.lists.values() {
            for (_, i) in list {
                all += 1;
                indie += (case.items[i].1 == UNDEREXPOSED_PROVIDER) as usize;
            }
        }
        (indie as f64 / all as f64, catalog)
    }

    #[test]
    fn formatting_helpers() {
        let mut b = Vec::new();
        push_id(&mut b, b'u', 42, 6);
        b.push(b' ');
        push_id(&mut b, b'i', 1_234_567, 5);
        b.push(b' ');
        push_score(&mut b, 8_123);
        b.push(b' ');
        push_score(&mut b, 10_005);
        b.push(b' ');
        push_uint(&mut b, 0);
        assert_eq!(
            String::from_utf8(b).unwrap(),
            "u000042 i1234567 0.8123 1.0005 0"
        );
        assert_eq!(digits(0), 1);
        assert_eq!(digits(999_999), 6);
        assert_eq!(digits(1_000_000), 7);
    }

    #[test]
    fn alias_sampling_follows_the_weights() {
        // Weights 1, 2, 3, 4 (total 10) on items 7, 8, 9, 10: expected shares .1 .2 .3 .4.
        let w = Weighted::new(vec![7, 8, 9, 10], |i| (i - 6) as f64);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut counts = [0usize; 4];
        for _ in 0..40_000 {
            counts[(w.sample(&mut rng).unwrap() - 7) as usize] += 1;
        }
        for (i, &c) in counts.iter().enumerate() {
            let expected = (i + 1) as f64 / 10.0;
            assert!((c as f64 / 40_000.0 - expected).abs() < 0.01, "{counts:?}");
        }
        assert_eq!(Weighted::new(vec![], |_| 1.0).sample(&mut rng), None);
        assert_eq!(Weighted::new(vec![3], |_| 5.0).sample(&mut rng), Some(3));
    }

    #[test]
    fn validate_rejects_bad_sizes() {
        let too_few_items = GeneratorConfig {
            n_items: 20,
            ..GeneratorConfig::default()
        };
        let err = too_few_items.validate().unwrap_err().to_string();
        assert!(err.contains("n_items must be at least"), "{err}");
        let narrowing_one_snapshot = GeneratorConfig {
            plants: Plants {
                narrowing_over_time: true,
                ..Plants::none()
            },
            ..GeneratorConfig::default()
        };
        assert!(narrowing_one_snapshot.validate().is_err());
        assert!(GeneratorConfig {
            k: 0,
            ..GeneratorConfig::default()
        }
        .validate()
        .is_err());
        assert!(example_config().validate().is_ok());
        assert!(example_over_time_config().validate().is_ok());
        assert!(bench_config(1_000_000, 1).validate().is_ok());
        assert_eq!(bench_config(1_000_000, 1).n_rec_rows(), 1_000_000);
        assert!(preset("example").is_some() && preset("nope").is_none());
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let cfg = GeneratorConfig {
            n_users: 300,
            n_snapshots: 2,
            plants: Plants {
                worse_group: true,
                narrowing_over_time: true,
                segregated_group: true,
                ..Plants::none()
            },
            ..GeneratorConfig::default()
        };
        let (a, b, c) = (
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
            { tempfile::tempdir().unwrap() },
        );
        generate(&cfg, a.path()).unwrap();
        generate(&cfg, b.path()).unwrap();
        generate(
            &GeneratorConfig {
                seed: cfg.seed + 1,
                ..cfg.clone()
            },
            c.path(),
        )
        .unwrap();
        for name in ["recs", "users", "items", "truth", "history"] {
            let file = format!("{name}.csv");
            let fa = fs::read(a.path().join(&file)).unwrap();
            assert_eq!(fa, fs::read(b.path().join(&file)).unwrap(), "{file}");
            assert_ne!(fa, fs::read(c.path().join(&file)).unwrap(), "{file}");
        }
    }

    #[test]
    fn parquet_is_deterministic_and_matches_csv_shape() {
        let cfg = GeneratorConfig {
            n_users: 150,
            format: OutputFormat::Parquet,
            ..GeneratorConfig::default()
        };
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let files = generate(&cfg, a.path()).unwrap();
        generate(&cfg, b.path()).unwrap();
        for name in ["recs", "users", "items", "truth", "history"] {
            let file = format!("{name}.parquet");
            assert_eq!(
                fs::read(a.path().join(&file)).unwrap(),
                fs::read(b.path().join(&file)).unwrap(),
                "{file}"
            );
        }
        use polars::prelude::{LazyFrame, PlRefPath, ScanArgsParquet};
        let read = |p: &Path| {
            LazyFrame::scan_parquet(
                PlRefPath::new(p.to_str().unwrap()),
                ScanArgsParquet::default(),
            )
            .unwrap()
            .collect()
            .unwrap()
        };
        let recs = read(&files.recs);
        assert_eq!(recs.height(), 1_500);
        let names: Vec<&str> = recs.get_column_names().iter().map(|s| s.as_str()).collect();
        assert_eq!(names, ["user_id", "item_id", "rank", "score"]);
        let users = read(&files.users);
        assert_eq!(users.height(), 150);
        assert_eq!(users.width(), 7);
        assert_eq!(read(&files.items).height(), 500);
        assert_eq!(read(&files.history).height(), 150 * 20);
        assert_eq!(read(&files.truth).height(), 150 * 5);
    }

    #[test]
    fn shapes_columns_ranks_and_values() {
        let cfg = GeneratorConfig {
            n_users: 400,
            n_snapshots: 3,
            ..GeneratorConfig::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let files = generate(&cfg, dir.path()).unwrap();
        assert_eq!(files.n_rec_rows, 400 * 10 * 3);

        let (h, users) = read_csv(&files.users);
        assert_eq!(
            h,
            [
                "user_id",
                "gender",
                "age_band",
                "region",
                "country_tier",
                "tenure_band",
                "consent"
            ]
        );
        assert_eq!(users.len(), 400);
        assert_eq!(users[0][0], "u000001");
        assert_eq!(users[399][0], "u000400");
        for u in &users {
            assert!(GENDERS.contains(&u[1].as_str()));
            assert!(AGE_BANDS.contains(&u[2].as_str()));
            assert!(REGIONS.contains(&u[3].as_str()));
            assert!(COUNTRY_TIERS.contains(&u[4].as_str()));
            assert!(TENURE_BANDS.contains(&u[5].as_str()));
            assert!(u[6] == "true" || u[6] == "false");
        }

        let (h, items) = read_csv(&files.items);
        assert_eq!(h, ["item_id", "category", "provider", "popularity"]);
        assert_eq!(items.len(), 500);
        assert_eq!(items[0][0], "i00001");
        for it in &items {
            let cats: Vec<&str> = it[1].split('|').collect();
            assert!((1..=3).contains(&cats.len()), "{}", it[1]);
            assert_eq!(cats.iter().collect::<HashSet<_>>().len(), cats.len());
            assert!(PROVIDERS.contains(&it[2].as_str()));
            it[3].parse::<u64>().unwrap();
        }

        let (h, recs) = read_csv(&files.recs);
        assert_eq!(h, ["user_id", "item_id", "rank", "score", "snapshot"]);
        assert_eq!(recs.len(), 12_000);
        let (_, truth) = read_csv(&files.truth);
        assert_eq!(truth.len(), 400 * 5);
        let (h, history) = read_csv(&files.history);
        assert_eq!(h, ["user_id", "item_id", "timestamp"]);
        assert_eq!(history.len(), 400 * 20);

        // Lists: ranks 1..k in order, no duplicate item, scores strictly decreasing, no history
        // item; truth disjoint from history; history timestamps increasing.
        let case = load(dir.path());
        assert_eq!(case.lists.len(), 400 * 3);
        let mut scores: HashMap<(String, String), Vec<f64>> = HashMap::new();
        for r in &recs {
            scores
                .entry((r[0].clone(), r[4].clone()))
                .or_default()
                .push(r[3].parse().unwrap());
        }
        for (key, list) in &case.lists {
            let ranks: Vec<u32> = list.iter().map(|x| x.0).collect();
            assert_eq!(ranks, (1..=10).collect::<Vec<u32>>(), "{key:?}");
            let set: HashSet<&String> = list.iter().map(|x| &x.1).collect();
            assert_eq!(set.len(), 10, "{key:?}");
            assert!(scores[key].windows(2).all(|w| w[0] > w[1]), "{key:?}");
            let hist = &case.history[&key.0];
            assert!(list.iter().all(|(_, i)| !hist.contains(i)));
        }
        for (u, t) in &case.truth {
            assert_eq!(t.len(), 5);
            assert!(t.iter().all(|i| !case.history[u].contains(i)));
        }
        let mut last: HashMap<&str, u64> = HashMap::new();
        for r in &history {
            let ts: u64 = r[2].parse().unwrap();
            if let Some(prev) = last.insert(r[0].as_str(), ts) {
                assert!(ts > prev);
            }
        }
        // Popularity is the number of history users.
        let mut pop: HashMap<&str, u64> = HashMap::new();
        for r in &history {
            *pop.entry(r[1].as_str()).or_default() += 1;
        }
        for it in &items {
            assert_eq!(
                it[3].parse::<u64>().unwrap(),
                *pop.get(it[0].as_str()).unwrap_or(&0)
            );
        }
    }

    #[test]
    fn marginals_and_single_snapshot_has_no_snapshot_column() {
        let (_dir, case) = gen_case(&small(7, Plants::none()));
        let n = case.users.len() as f64;
        let share =
            |col: usize, v: &str| case.users.values().filter(|u| u[col] == v).count() as f64 / n;
        assert!((share(1, "X") - 0.04).abs() < 0.02);
        assert!((share(6, "false") - 0.03).abs() < 0.015);
        assert!((share(2, "55+") - 0.22).abs() < 0.04);
        assert!(case.lists.keys().all(|(_, s)| s == "1"));
    }

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

    /// Writes `datasets/example/` and `datasets/example-over-time/`:
    /// `cargo test --lib generate::tests::write_shipped_examples -- --ignored`.
    #[test]
    #[ignore = "rewrites datasets/: run it on purpose when the generator changes"]
    fn write_shipped_examples() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets");
        generate(&example_config(), &root.join("example")).unwrap();
        generate(&example_over_time_config(), &root.join("example-over-time")).unwrap();
    }

    /// Category entropy (bits) of a set of items, an item with m categories giving 1/m to each.
    fn entropy<'a>(case: &Case, items: impl Iterator<Item = &'a String>) -> f64 {
        let mut mass: HashMap<&str, f64> = HashMap::new();
        let mut total = 0.0;
        for i in items {
            let cats = &case.items[i].0;
            for c in cats {
                *mass.entry(c.as_str()).or_default() += 1.0 / cats.len() as f64;
            }
            total += 1.0;
        }
        -mass
            .values()
            .map(|m| m / total * (m / total).log2())
            .sum::<f64>()
    }

    /// Prints the size of every plant on the shipped examples:
    /// `cargo test --lib generate::tests::plant_sizes -- --ignored --nocapture`.
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
                let ratio = entropy(&case, list.iter().map(|x| &x.1))
                    / entropy(&case, case.history[u].iter());
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

    /// Times the benchmark case: `GEN_ROWS=10000000 GEN_FORMAT=parquet cargo test --release --lib
    /// generate::tests::time_bench_case -- --ignored --nocapture` (writes into a temp directory).
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
