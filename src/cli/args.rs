//! Command-line flags (clap derive). Raw flags only: [`super::config`] validates them into an
//! [`AuditConfig`](crate::audit::AuditConfig).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::metrics::quality::PropensityGamma;

/// Audit recommender-system outputs for bias, unfair exposure and filter bubbles.
///
/// Exit codes: 0 = done and every gate passed, 1 = a fairness gate failed, 2 = bad input or usage.
#[derive(Debug, Parser)]
#[command(name = "recaudit", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit recommendations: per-slice quality, disparities, exposure, popularity, diversity,
    /// calibration and filter bubbles; writes audit.json, report.html and charts to --out.
    Audit(Box<AuditArgs>),
    /// Re-render report.html and the charts from an audit.json, without reading the data again.
    Report(ReportArgs),
    /// Judge an audit.json against a policy file of fairness gates (exit 1 when a gate fails).
    Gate(GateArgs),
    /// Compare a baseline and a candidate audit.json: every metric's change and its significance.
    ///
    /// Prints a summary: the verdict (worse, better, mixed, changed or no significant change), the
    /// counts of better, worse, changed, same and undefined rows, and the significant changes. The
    /// full table, one line per metric and scope, goes to compare.txt and every row with its numbers
    /// to compare.json, both in --out.
    Compare(CompareArgs),
    /// Write a seeded synthetic dataset in the input format, with optional planted effects.
    Generate(GenerateArgs),
}

/// Flags of `recaudit audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// A folder holding recs, users and optionally items, truth and history as `<name>.csv` or
    /// `<name>.parquet`; explicit --recs/--users/... flags win.
    #[arg(long, value_name = "DIR", help_heading = "Input")]
    pub data: Option<PathBuf>,
    /// Recommendations: user_id, item_id, and rank or score (CSV or Parquet, by extension).
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Input",
        required_unless_present = "data"
    )]
    pub recs: Option<PathBuf>,
    /// Users with demographic slice columns (any names), optional consent column.
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Input",
        required_unless_present = "data"
    )]
    pub users: Option<PathBuf>,
    /// Items: item_id, optional category (`a|b`), provider or other group columns, popularity.
    #[arg(long, value_name = "FILE", help_heading = "Input")]
    pub items: Option<PathBuf>,
    /// Held-out truth: user_id, item_id, optional relevance. Without it quality metrics are skipped.
    #[arg(long, value_name = "FILE", help_heading = "Input")]
    pub truth: Option<PathBuf>,
    /// History: user_id, item_id, optional timestamp (popularity, novelty, calibration, bubbles).
    #[arg(long, value_name = "FILE", help_heading = "Input")]
    pub history: Option<PathBuf>,
    /// A baseline run's recommendations, in the format and column names of --recs: each user's
    /// list is compared with their baseline list by rank-biased overlap (`rbo`, per slice).
    #[arg(long, value_name = "FILE", help_heading = "Input")]
    pub baseline_recs: Option<PathBuf>,
    /// Audit even when fewer than half of the audited users have a row in the users table (or
    /// a list in --baseline-recs, or fewer than half of the recommended items one in the items
    /// table); without it that stops the audit, since the ids probably do not match.
    #[arg(long, help_heading = "Input")]
    pub allow_unmatched_ids: bool,
    /// Audit in bounded memory: split every table but items by user into N partitions in a
    /// temporary folder (the Parquet or CSV files read in batches, never whole), audit them one
    /// at a time, then remove the folder. Memory follows the partition size (about rows / N),
    /// not the rows; the folder takes about the input's size on disk. Not for a --data folder
    /// that is already partitioned (with recs/): that is audited one partition at a time anyway.
    #[arg(
        long,
        value_name = "N",
        help_heading = "Input",
        value_parser = clap::value_parser!(u32).range(1..=100_000)
    )]
    pub partitions: Option<u32>,
    /// Where --partitions writes its temporary folder [default: TMPDIR, or the system's
    /// temporary folder].
    #[arg(
        long,
        value_name = "DIR",
        help_heading = "Input",
        requires = "partitions"
    )]
    pub temp_dir: Option<PathBuf>,
    /// A TOML file of settings: top-level keys (k, head_share, ...) and the sections `[columns]`,
    /// `[slices]`, `[bubble]`, `[stats]` and `[[buckets]]` documented in the README. An unknown key
    /// is an error; flags given on the command line win.
    #[arg(long, value_name = "FILE", help_heading = "Input")]
    pub config: Option<PathBuf>,
    /// Settings given by a host program instead of a `--config` file: the name that stands for
    /// the file in messages, and the settings as TOML text (the Python package's keywords).
    #[arg(skip)]
    pub settings_text: Option<(String, String)>,

    /// Output folder for audit.json, report.html and charts/.
    #[arg(
        long,
        value_name = "DIR",
        default_value = "reports/latest",
        help_heading = "Output"
    )]
    pub out: PathBuf,
    /// Fairness gates (TOML): judged after the audit; exit 1 when one fails.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub policy: Option<PathBuf>,
    /// A baseline audit.json to compare with (adds a comparison and enables max_regression gates).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub baseline: Option<PathBuf>,
    /// Write audit.json only (no report.html, no charts).
    #[arg(long, help_heading = "Output")]
    pub json_only: bool,
    /// No progress bar, no summary and no verdict on the terminal.
    #[arg(long, short, help_heading = "Output")]
    pub quiet: bool,
    /// Print the wall time of each audit step on stderr (also with --quiet).
    #[arg(long, help_heading = "Output")]
    pub timings: bool,

    /// Cutoff k (at least 1): lists are cut to their top k [default: 10].
    #[arg(long, short, allow_negative_numbers = true, help_heading = "Metrics")]
    pub k: Option<usize>,
    /// Position weight for exposure [default: log].
    #[arg(long, value_enum, help_heading = "Metrics")]
    pub position_weight: Option<WeightArg>,
    /// Patience p of the rbp position weight, in (0, 1] [default: 0.8].
    #[arg(long, allow_negative_numbers = true, help_heading = "Metrics")]
    pub patience: Option<f64>,
    /// Share of history interactions that defines the popular head, in (0, 1) [default: 0.2].
    #[arg(long, allow_negative_numbers = true, help_heading = "Metrics")]
    pub head_share: Option<f64>,
    /// Exponent γ of the popularity propensities of the SNIPS metrics, P ∝ pop^((γ+1)/2), at
    /// least −1, or `estimate` to fit it to the lists (as LensKit does) [default: 2]; unused when
    /// the truth table has a `propensity` column.
    #[arg(
        long,
        allow_negative_numbers = true,
        value_name = "GAMMA|estimate",
        help_heading = "Metrics"
    )]
    pub propensity_gamma: Option<PropensityGamma>,
    /// Persistence p of the rank-biased overlap with --baseline-recs, in (0, 1): the top d ranks
    /// carry 1 − p^d of the weight [default: 0.9].
    #[arg(long, allow_negative_numbers = true, help_heading = "Metrics")]
    pub rbo_persistence: Option<f64>,
    /// Narrowing flag threshold on H(list)/H(history), in (0, 1] [default: 0.5].
    #[arg(long, allow_negative_numbers = true, help_heading = "Metrics")]
    pub narrowing_threshold: Option<f64>,
    /// Minimum history items for the narrowing check (at least 1) [default: 5].
    #[arg(long, allow_negative_numbers = true, help_heading = "Metrics")]
    pub min_history: Option<usize>,
    /// Number of k-means clusters for segregation, 2 to 100 [default: chosen by silhouette].
    #[arg(long, allow_negative_numbers = true, help_heading = "Metrics")]
    pub clusters: Option<usize>,

    /// Slice columns of the users table to audit (comma-separated) [default: all but id and consent].
    #[arg(long, value_delimiter = ',', help_heading = "Slices")]
    pub slices: Option<Vec<String>>,
    /// Intersectional slice of 2–3 columns, e.g. `gender,age_band` (repeatable).
    #[arg(long, value_name = "COLS", help_heading = "Slices")]
    pub intersect: Vec<String>,
    /// Suppress slices with fewer users (at least 1) [default: 20].
    #[arg(long, allow_negative_numbers = true, help_heading = "Slices")]
    pub min_slice_size: Option<usize>,
    /// Reference group of a column, `column=value` (repeatable) [default: per metric, the best-off
    /// group: highest mean where higher is better, lowest where lower is better].
    #[arg(long, value_name = "COL=VALUE", help_heading = "Slices")]
    pub reference: Vec<String>,
    /// Band a numeric slice column, `column=e1,e2,...` e.g. `age=25,35,55` (repeatable).
    #[arg(long, value_name = "COL=EDGES", help_heading = "Slices")]
    pub bucket: Vec<String>,

    /// Bootstrap resamples for intervals: 0 (no intervals) or 2 to 100000 [default: 1000].
    #[arg(long, allow_negative_numbers = true, help_heading = "Statistics")]
    pub bootstrap: Option<usize>,
    /// Bootstrap units per group (0, or at least 100): larger groups are pooled into this many
    /// hashed buckets of users; 0 resamples every user [default: 4096].
    #[arg(
        long,
        value_name = "N",
        allow_negative_numbers = true,
        help_heading = "Statistics"
    )]
    pub bootstrap_units: Option<usize>,
    /// Random seed for bootstrap, permutation tests and clustering, 0 to 2^64 − 1 [default: 42].
    #[arg(long, allow_negative_numbers = true, help_heading = "Statistics")]
    pub seed: Option<u64>,

    /// Publish a differentially private audit with this total ε, in [1e-6, 100] (docs/privacy.md).
    /// The noise is seeded by --seed: never reuse a seed across publications.
    #[arg(
        long,
        value_name = "E",
        allow_negative_numbers = true,
        help_heading = "Privacy"
    )]
    pub dp_epsilon: Option<f64>,
    /// The per-user metrics a DP audit publishes, and `exposure_share` for the exposure shares of
    /// item groups, comma-separated (default: every metric with a known range and the exposure
    /// shares); fewer metrics get less noise each.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "KEYS",
        help_heading = "Privacy"
    )]
    pub dp_metrics: Option<Vec<String>>,

    /// User id column [default: user_id].
    #[arg(long, help_heading = "Columns")]
    pub user_col: Option<String>,
    /// Item id column [default: item_id].
    #[arg(long, help_heading = "Columns")]
    pub item_col: Option<String>,
    /// Rank column [default: rank].
    #[arg(long, help_heading = "Columns")]
    pub rank_col: Option<String>,
    /// Score column [default: score].
    #[arg(long, help_heading = "Columns")]
    pub score_col: Option<String>,
    /// Snapshot column [default: snapshot].
    #[arg(long, help_heading = "Columns")]
    pub snapshot_col: Option<String>,
    /// Consent column [default: consent].
    #[arg(long, help_heading = "Columns")]
    pub consent_col: Option<String>,
    /// Category column of the items table [default: category].
    #[arg(long, help_heading = "Columns")]
    pub category_col: Option<String>,
    /// Item group columns for exposure (comma-separated) [default: every other items column].
    #[arg(long, value_delimiter = ',', help_heading = "Columns")]
    pub item_groups: Option<Vec<String>>,
}

/// Position weights on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum WeightArg {
    /// 1 / log2(rank + 1).
    Log,
    /// patience^(rank − 1).
    Rbp,
    /// 1.
    Uniform,
}

/// Flags of `recaudit report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The audit.json to render.
    pub audit: PathBuf,
    /// Output folder [default: the folder of the audit.json].
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Flags of `recaudit gate`.
#[derive(Debug, Args)]
pub struct GateArgs {
    /// The audit.json to judge.
    pub audit: PathBuf,
    /// The policy file (TOML).
    #[arg(long)]
    pub policy: PathBuf,
    /// A baseline audit.json for max_regression gates.
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Where to write gates.junit.xml [default: the folder of the audit.json].
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Flags of `recaudit compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Baseline audit.json.
    pub baseline: PathBuf,
    /// Candidate audit.json.
    pub candidate: PathBuf,
    /// A policy file whose max_regression gates judge the change.
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// Output folder for compare.json, compare.txt (the full table) and, with --policy,
    /// gates.junit.xml [default: the folder of the candidate audit.json].
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Flags of `recaudit generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Output folder; it must be missing or empty unless --force is given.
    #[arg(long)]
    pub out: PathBuf,
    /// Write into --out even when it is not empty: its recs, users, items, truth and history files
    /// of the chosen format are replaced, other files are left as they are.
    #[arg(long)]
    pub force: bool,
    /// A named configuration. --users, --items, --k, --snapshots, --seed and
    /// --parquet given with it change that setting of the preset; --plant adds to its plants.
    #[arg(long, value_parser = super::generate::preset_values())]
    pub preset: Option<String>,
    /// Number of users [default: 3000, or the preset's].
    #[arg(long)]
    pub users: Option<usize>,
    /// Number of catalog items [default: 500, or the preset's].
    #[arg(long)]
    pub items: Option<usize>,
    /// List length [default: 10, or the preset's].
    #[arg(long, short)]
    pub k: Option<usize>,
    /// Number of snapshots; 1 writes no snapshot column [default: 1, or the preset's].
    #[arg(long)]
    pub snapshots: Option<usize>,
    /// Seed [default: 42, or the preset's].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Write Parquet instead of CSV.
    #[arg(long)]
    pub parquet: bool,
    /// Write a partitioned folder of N partitions of users instead of one file per table:
    /// recs/, users/, truth/ and history/ each hold part-00000, part-00001, … (one file per
    /// partition), items beside them; every row of a user is in partition
    /// pmod(xxhash64(user_id), N), as a Spark job partitions them. `recaudit audit --data`
    /// audits the folder one partition at a time.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub partitions: Option<u32>,
    /// Planted effects, comma-separated or repeated.
    #[arg(long, value_delimiter = ',', value_parser = super::generate::plant_values())]
    pub plant: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }

    #[test]
    fn audit_help_names_only_real_settings_sections() {
        let mut cmd = Cli::command();
        let help = cmd
            .find_subcommand_mut("audit")
            .unwrap()
            .render_long_help()
            .to_string();
        let sections = crate::cli::settings_file::settings_sections();
        // Every `[name]` and `[[name]]` (not `[default: ...]`).
        let mut named = Vec::new();
        for (at, _) in help.match_indices('[') {
            if help[..at].ends_with('[') {
                continue;
            }
            let rest = &help[at..];
            let depth = if rest.starts_with("[[") { 2 } else { 1 };
            let inner = &rest[depth..];
            let len = inner
                .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
                .unwrap_or(inner.len());
            if len > 0 && inner[len..].starts_with(&"]".repeat(depth)) {
                named.push(format!(
                    "{0}{1}{2}",
                    &rest[..depth],
                    &inner[..len],
                    &"]".repeat(depth)
                ));
            }
        }
        assert!(named.len() >= 4, "{named:?} in {help}");
        for n in &named {
            assert!(
                sections.contains(n),
                "--help names {n}; the sections are {sections:?}"
            );
        }
    }

    #[test]
    fn parses_an_audit() {
        let cli = Cli::try_parse_from([
            "recaudit",
            "audit",
            "--recs",
            "r.csv",
            "--users",
            "u.csv",
            "--k",
            "5",
            "--intersect",
            "gender,age",
            "--reference",
            "gender=M",
        ])
        .unwrap();
        let Command::Audit(a) = cli.command else {
            panic!("not audit")
        };
        assert_eq!(a.k, Some(5));
        assert_eq!(a.intersect, vec!["gender,age"]);
        assert_eq!(a.reference, vec!["gender=M"]);
    }
}
