//! The audit pipeline: load → slice → per-user metrics → corpus metrics → statistics →
//! [`AuditResult`]. Each step is one call into the module that owns it.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::{Categorical, Dataset};
use crate::error::{Error, Result};
use crate::input::{self, ColumnNames, InputConfig, InputSummary, TablePaths};
use crate::metrics::bubble::{self, BubbleConfig};
use crate::metrics::calibration::CalibrationConfig;
use crate::metrics::diversity::{self, DiversityConfig};
use crate::metrics::exposure::{self, ExposureConfig};
use crate::metrics::history_fit;
use crate::metrics::popularity::{self, Popularity, PopularityConfig};
use crate::metrics::quality;
use crate::metrics::segregation;
use crate::metrics::{Better, CorpusValues, PositionWeight, UserMetric};
use crate::result::{
    AuditResult, CorpusResult, DisparityResult, ExposureShares, GroupSummary, MetricResult,
    OverTimeResult, SliceMetric, SliceSummary, Tool, SCHEMA_VERSION,
};
use crate::slices::selection::{choose_columns, SkippedColumn};
use crate::slices::{
    build_slices, disclosure, largest_of, protect_columns, SliceColumn, SliceConfig,
};
use crate::stats::{self, Disparity, Estimate, Groups, Statistic, StatsConfig};

/// Every setting of an audit; echoed in `audit.json` as `settings`. Deserialises from the
/// `--config` TOML file, where every key is optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditConfig {
    /// Input files (not read from the settings file: given as flags).
    #[serde(skip_deserializing)]
    pub paths: TablePaths,
    /// Column names.
    pub columns: ColumnNames,
    /// Cutoff k (default 10).
    pub k: usize,
    /// Numeric slice columns to band.
    pub buckets: Vec<input::Bucketing>,
    /// Audit even when most ids do not join ([`InputConfig::allow_unmatched_ids`]). Echoed in
    /// `settings` only when set: the relaxed rule stands out.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub allow_unmatched_ids: bool,
    /// Slices: minimum size, intersections, reference groups.
    pub slices: SliceConfig,
    /// Position weight for exposure (default `log`).
    pub position_weight: PositionWeight,
    /// Patience of the `rbp` weight when chosen by flag (default 0.8).
    pub patience: f64,
    /// Share of history interactions held by the popular head (default 0.2).
    pub head_share: f64,
    /// Smoothing α of miscalibration (default 0.01).
    pub calibration_alpha: f64,
    /// Filter-bubble thresholds.
    pub bubble: BubbleConfig,
    /// Bootstrap, tests and thresholds of the statistics.
    pub stats: StatsConfig,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            paths: TablePaths::default(),
            columns: ColumnNames::default(),
            k: 10,
            buckets: Vec::new(),
            allow_unmatched_ids: false,
            slices: SliceConfig::default(),
            position_weight: PositionWeight::Log,
            patience: 0.8,
            head_share: 0.2,
            calibration_alpha: 0.01,
            bubble: BubbleConfig::default(),
            stats: StatsConfig::default(),
        }
    }
}

impl AuditConfig {
    /// Checks every setting against its valid range before any data is read.
    pub fn validate(&self) -> Result<()> {
        self.check().map_err(|e| Error::Config(e.to_string()))
    }

    /// [`AuditConfig::validate`], naming the offending setting by its settings-file key so that a
    /// caller can name the flag it came from instead (see [`InvalidSetting`]). The ranges are the
    /// ones the README's "Settings file" section lists.
    pub fn check(&self) -> std::result::Result<(), InvalidSetting> {
        let c = &self.columns;
        for (key, name) in [
            ("user", &c.user),
            ("item", &c.item),
            ("rank", &c.rank),
            ("score", &c.score),
            ("snapshot", &c.snapshot),
            ("sample", &c.sample),
            ("consent", &c.consent),
            ("relevance", &c.relevance),
            ("timestamp", &c.timestamp),
            ("category", &c.category),
            ("popularity", &c.popularity),
            ("features", &c.features),
        ] {
            check_name(Some("columns"), key, None, name)?;
        }
        for (key, list) in [("slices", &c.slices), ("item_groups", &c.item_groups)] {
            for (i, name) in list.iter().flatten().enumerate() {
                check_name(Some("columns"), key, Some(i), name)?;
            }
        }
        for (i, b) in self.buckets.iter().enumerate() {
            let bad = |expected: &str| InvalidSetting {
                section: None,
                key: "buckets",
                index: Some(i),
                found: format!("{} = {:?}", b.column, b.edges),
                expected: expected.into(),
            };
            if b.column.trim().is_empty() {
                return Err(bad("a users-table column name (not empty)"));
            }
            if b.edges.is_empty()
                || b.edges.iter().any(|e| !e.is_finite())
                || b.edges.windows(2).any(|w| w[0] >= w[1])
            {
                return Err(bad("one or more finite, strictly increasing edges"));
            }
            if self.buckets[..i].iter().any(|o| o.column == b.column) {
                return Err(bad("each column banded once"));
            }
        }
        for (i, names) in self.slices.intersections.iter().enumerate() {
            let distinct = names
                .iter()
                .enumerate()
                .all(|(j, n)| !n.trim().is_empty() && !names[..j].contains(n));
            if !(2..=3).contains(&names.len()) || !distinct {
                return Err(InvalidSetting {
                    section: Some("slices"),
                    key: "intersections",
                    index: Some(i),
                    found: format!("{names:?}"),
                    expected: "2 or 3 distinct slice column names".into(),
                });
            }
        }

        let (b, s) = (&self.bubble, &self.stats);
        let (bubble, stats) = (Some("bubble"), Some("stats"));
        // (section, key, value, min, max)
        let counts = [
            (None, "k", self.k, 1, None),
            (
                Some("slices"),
                "min_slice_size",
                self.slices.min_slice_size,
                1,
                None,
            ),
            (bubble, "min_history", b.min_history, 1, None),
            (bubble, "last_n", b.last_n, 1, None),
            (
                stats,
                "permutations",
                s.permutations,
                1,
                Some(MAX_PERMUTATIONS),
            ),
        ];
        for (section, key, v, min, max) in counts {
            count(section, key, v, min, max, None)?;
        }
        if let Some(n) = b.n_clusters {
            count(bubble, "n_clusters", n, 2, Some(MAX_CLUSTERS), None)?;
        }
        if s.resamples != 0 {
            let zero = Some("0 (no intervals)");
            count(
                stats,
                "resamples",
                s.resamples,
                2,
                Some(MAX_RESAMPLES),
                zero,
            )?;
        }
        if s.bootstrap_units != 0 {
            let zero = Some("0 (every user is a unit)");
            count(
                stats,
                "bootstrap_units",
                s.bootstrap_units,
                MIN_BOOTSTRAP_UNITS,
                None,
                zero,
            )?;
        }

        use Interval::{AtLeast, Closed, LeftOpen, Open, RightOpen};
        if let PositionWeight::Rbp { patience } = self.position_weight {
            number(
                Some("position_weight"),
                "patience",
                patience,
                LeftOpen(0.0, 1.0),
            )?;
        }
        // (section, key, value, interval)
        let numbers = [
            (None, "patience", self.patience, LeftOpen(0.0, 1.0)),
            (None, "head_share", self.head_share, Open(0.0, 1.0)),
            (
                None,
                "calibration_alpha",
                self.calibration_alpha,
                RightOpen(0.0, 1.0),
            ),
            (
                bubble,
                "narrowing_threshold",
                b.narrowing_threshold,
                LeftOpen(0.0, 1.0),
            ),
            (bubble, "slope_threshold", b.slope_threshold, AtLeast(0.0)),
            (
                bubble,
                "overlap_threshold",
                b.overlap_threshold,
                LeftOpen(0.0, 1.0),
            ),
            (
                bubble,
                "verdict_min_share",
                b.verdict_min_share,
                Closed(0.0, 1.0),
            ),
            (
                bubble,
                "homogenisation_threshold",
                b.homogenisation_threshold,
                AtLeast(0.0),
            ),
            (stats, "confidence", s.confidence, Open(0.0, 1.0)),
            (stats, "alpha", s.alpha, Open(0.0, 1.0)),
            (stats, "four_fifths", s.four_fifths, LeftOpen(0.0, 1.0)),
        ];
        for (section, key, v, interval) in numbers {
            number(section, key, v, interval)?;
        }
        Ok(())
    }

    fn input(&self) -> InputConfig {
        InputConfig {
            paths: self.paths.clone(),
            columns: self.columns.clone(),
            k: self.k,
            buckets: self.buckets.clone(),
            allow_unmatched_ids: self.allow_unmatched_ids,
        }
    }
}

/// Receives the name of each step as the audit reaches it (the CLI shows a progress bar).
pub trait Progress {
    /// A new step starts.
    fn step(&self, what: &str);
}

/// No progress reporting.
impl Progress for () {
    fn step(&self, _: &str) {}
}

/// The smallest accepted [`StatsConfig::bootstrap_units`] other than 0 (per user): with fewer,
/// pooled groups give too few units for an interval.
pub const MIN_BOOTSTRAP_UNITS: usize = 100;
/// The largest accepted [`StatsConfig::resamples`]: the replicates of every statistic of every group
/// are held in memory, and beyond this the Monte-Carlo error no longer matters.
pub const MAX_RESAMPLES: usize = 100_000;
/// The largest accepted [`StatsConfig::permutations`] (the cost is permutations × group size).
pub const MAX_PERMUTATIONS: usize = 1_000_000;
/// The largest accepted [`BubbleConfig::n_clusters`]: k-means costs grow with k, and the NMI of a
/// slice with very many clusters rises whatever the lists.
pub const MAX_CLUSTERS: usize = 100;

/// A setting outside its valid range, named by its key in the settings file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidSetting {
    /// The settings-file section (`bubble`, `stats`, ...); `None` for a top-level key.
    pub section: Option<&'static str>,
    /// The key.
    pub key: &'static str,
    /// The 0-based entry of a list setting (`buckets`, `intersections`, `columns.slices`).
    pub index: Option<usize>,
    /// The value found, as Rust prints it (`NaN`, `inf`, `0`).
    pub found: String,
    /// What the key accepts, e.g. `a number in (0, 1]`.
    pub expected: String,
}

/// `` `narrowing_threshold` in [bubble] is NaN; expected a number in (0, 1] ``.
impl std::fmt::Display for InvalidSetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}`", self.key)?;
        if let Some(i) = self.index {
            write!(f, " entry {}", i + 1)?;
        }
        if let Some(s) = self.section {
            write!(f, " in [{s}]")?;
        }
        write!(f, " is {}; expected {}", self.found, self.expected)
    }
}

/// An interval of finite numbers, for [`AuditConfig::check`].
#[derive(Clone, Copy)]
enum Interval {
    /// (a, b)
    Open(f64, f64),
    /// (a, b]
    LeftOpen(f64, f64),
    /// [a, b)
    RightOpen(f64, f64),
    /// [a, b]
    Closed(f64, f64),
    /// [a, ∞)
    AtLeast(f64),
}

/// An integer setting must be in `min..=max` (no upper bound when `max` is `None`); `zero`
/// describes 0 when it is accepted too (the caller lets it through).
fn count(
    section: Option<&'static str>,
    key: &'static str,
    v: usize,
    min: usize,
    max: Option<usize>,
    zero: Option<&str>,
) -> std::result::Result<(), InvalidSetting> {
    if v >= min && max.is_none_or(|m| v <= m) {
        return Ok(());
    }
    let range = match max {
        Some(m) => format!("an integer from {min} to {m}"),
        None => format!("an integer of at least {min}"),
    };
    let expected = match zero {
        Some(z) => format!("{z} or {range}"),
        None => range,
    };
    Err(InvalidSetting {
        section,
        key,
        index: None,
        found: v.to_string(),
        expected,
    })
}

/// A number setting must be finite and in `interval` (NaN fails every comparison).
fn number(
    section: Option<&'static str>,
    key: &'static str,
    v: f64,
    interval: Interval,
) -> std::result::Result<(), InvalidSetting> {
    let (ok, expected) = match interval {
        Interval::Open(a, b) => (v > a && v < b, format!("a number in ({a}, {b})")),
        Interval::LeftOpen(a, b) => (v > a && v <= b, format!("a number in ({a}, {b}]")),
        Interval::RightOpen(a, b) => (v >= a && v < b, format!("a number in [{a}, {b})")),
        Interval::Closed(a, b) => (v >= a && v <= b, format!("a number in [{a}, {b}]")),
        Interval::AtLeast(a) => (
            v >= a && v.is_finite(),
            format!("a finite number of at least {a}"),
        ),
    };
    if ok {
        return Ok(());
    }
    Err(InvalidSetting {
        section,
        key,
        index: None,
        found: v.to_string(),
        expected,
    })
}

/// A column name must not be empty.
fn check_name(
    section: Option<&'static str>,
    key: &'static str,
    index: Option<usize>,
    name: &str,
) -> std::result::Result<(), InvalidSetting> {
    if name.trim().is_empty() {
        return Err(InvalidSetting {
            section,
            key,
            index,
            found: format!("{name:?}"),
            expected: "a column name (not empty)".into(),
        });
    }
    Ok(())
}

/// Number of [`Progress::step`] calls of one audit (for a progress bar's length).
pub const AUDIT_STEPS: u64 = 6;

/// Runs a whole audit.
pub fn audit(cfg: &AuditConfig) -> Result<AuditResult> {
    audit_with_progress(cfg, &())
}

/// Runs a whole audit, reporting each step to `progress`.
pub fn audit_with_progress(cfg: &AuditConfig, progress: &dyn Progress) -> Result<AuditResult> {
    cfg.validate()?;
    progress.step("reading input");
    // The segregation's clustering needs only the lists and the item categories: it runs while
    // the users, truth and history tables are read, on the core their reading leaves idle.
    let (ds, summary, clustering) = input::load_while(&cfg.input(), |read| {
        segregation::cluster_users(
            read.lists,
            read.n_users,
            read.categories,
            read.category_labels,
            &cfg.bubble,
        )
    })?;
    audit_clustered(&ds, summary, clustering, cfg, progress)
}

/// Audits an already-loaded dataset.
pub fn audit_dataset(
    ds: &Dataset,
    input: InputSummary,
    cfg: &AuditConfig,
    progress: &dyn Progress,
) -> Result<AuditResult> {
    let clustering = segregation::cluster_users(
        &ds.recs,
        ds.n_users,
        &ds.items.categories,
        &ds.items.category_labels,
        &cfg.bubble,
    );
    audit_clustered(ds, input, clustering, cfg, progress)
}

/// [`audit_dataset`] given the users' clustering ([`segregation::cluster_users`] of `ds`).
fn audit_clustered(
    ds: &Dataset,
    input: InputSummary,
    clustering: Option<segregation::Segregation>,
    cfg: &AuditConfig,
    progress: &dyn Progress,
) -> Result<AuditResult> {
    let result = audit_all_but_segregation(ds, input, cfg, progress)?;
    let segregation = clustering.map(|c| published_segregation(c, ds, &result, cfg));
    Ok(AuditResult {
        segregation,
        ..result
    })
}

/// Relates the audited slice columns (not intersections) to the clusters and keeps the groups
/// that can be published for the clustered users: those published by the audit, less any that is
/// small among the clustered users or could be recovered from the others by differencing.
fn published_segregation(
    clustering: segregation::Segregation,
    ds: &Dataset,
    result: &AuditResult,
    cfg: &AuditConfig,
) -> segregation::Segregation {
    let audited: Vec<Categorical> = ds
        .slices
        .iter()
        .filter(|c| {
            result
                .slices
                .get(&c.name)
                .is_some_and(|s| s.columns.len() == 1)
        })
        .cloned()
        .collect();
    let mut s = clustering.relate_slices(&audited);
    let codes: Vec<&[u32]> = audited.iter().map(|c| c.codes.as_slice()).collect();
    let shown: Vec<Vec<bool>> = audited
        .iter()
        .map(|c| {
            let published = &result.slices[&c.name].groups;
            c.labels.iter().map(|l| published.contains_key(l)).collect()
        })
        .collect();
    let clusters = &s.labels;
    let decided = disclosure::protect(
        &codes,
        &shown,
        &|u| clusters[u] != Categorical::MISSING,
        cfg.slices.min_slice_size,
        &[],
    );
    s.publish_only(|c, label| {
        audited[c]
            .labels
            .iter()
            .position(|l| l == label)
            .is_some_and(|g| decided.shown[c][g])
    });
    s
}

/// [`audit_dataset`] without the segregation (`None`), which ends the last step.
fn audit_all_but_segregation(
    ds: &Dataset,
    input: InputSummary,
    cfg: &AuditConfig,
    progress: &dyn Progress,
) -> Result<AuditResult> {
    progress.step("per-user metrics");
    let min_size = cfg.slices.min_slice_size;
    let (chosen, skipped_slice_columns) =
        choose_columns(&ds.slices, cfg.columns.slices.is_some(), min_size)?;
    let mut slices = build_slices(&chosen, &cfg.slices)?;
    let mut input = input;
    protect_columns(
        &mut slices,
        min_size,
        &published_unsliced_counts(&mut input, min_size),
    );
    let mut notes = Vec::new();
    notes.extend(suppression_notes(&slices, &skipped_slice_columns, min_size));

    // Per-user metrics, family by family.
    let mut user_metrics: Vec<UserMetric> = Vec::new();
    match &ds.truth {
        Some(truth) => user_metrics.extend(quality::quality_metrics(&ds.recs, truth, ds.k)),
        None => notes.push(
            "Quality metrics (precision, recall, hit, MRR, NDCG) were skipped: no --truth table of held-out relevant items was given.".into(),
        ),
    }
    let pop_cfg = PopularityConfig {
        head_share: cfg.head_share,
        ..PopularityConfig::default()
    };
    let pop = Popularity::new(ds, &pop_cfg);
    match &pop {
        Some(p) => user_metrics.extend(popularity::popularity_metrics(ds, p)),
        None => notes.push(
            "Popularity metrics (ARP, APLT, ΔGAP) were skipped: they need a --history table or a popularity column in --items.".into(),
        ),
    }
    let calib = CalibrationConfig {
        alpha: cfg.calibration_alpha,
        weight: None,
    };
    // List entropy, calibration and narrowing share each user's list distribution (and the
    // latter two the history's): one pass.
    let fit = history_fit::history_fit_metrics(ds, &calib, &cfg.bubble);
    user_metrics.extend(diversity::diversity_metrics_but_list_entropy(
        ds,
        pop.as_ref(),
        &DiversityConfig::default(),
    ));
    user_metrics.extend(fit.list_entropy);
    if ds.items.category_labels.is_empty() {
        notes.push("Category metrics (intra-list diversity, list entropy, calibration, narrowing, segregation) were skipped: the items table has no category column.".into());
    }
    user_metrics.extend(fit.calibration);
    let exposure_cfg = ExposureConfig {
        weight: cfg.position_weight,
    };
    user_metrics.extend(exposure::awrf_metrics(ds));
    if !ds.samples.is_empty() {
        user_metrics.extend(exposure::expected_exposure_metrics(ds, &exposure_cfg));
    }
    user_metrics.extend(fit.narrowing);
    user_metrics.extend(bubble::over_personalisation(ds, &cfg.bubble));
    let over_time = bubble::over_time(ds, &cfg.bubble);
    if let Some(ot) = &over_time {
        user_metrics.extend(ot.user_metrics.iter().cloned());
    }

    // Statistics per metric and slice column.
    progress.step("bootstrap intervals and disparities");
    let metrics = summarise_user_metrics(&user_metrics, &slices, &cfg.stats, min_size);

    // Corpus metrics overall and per unsuppressed group.
    progress.step("exposure, coverage and corpus metrics");
    let all_users: Vec<u32> = (0..ds.n_users as u32).collect();
    let gap = user_metrics_by_name(&user_metrics);
    let exposure_ctx = exposure::ExposureContext::new(ds, pop.as_ref(), &exposure_cfg);
    let corpus_of = |users: &[u32]| -> CorpusValues {
        let (counts, exposure) = exposure_ctx.counts_and_exposure(users);
        let mut cv = diversity::diversity_corpus_of_counts(ds, users, &counts, pop.as_ref());
        cv.extend(exposure_ctx.corpus_of_counts_and_exposure(users, &counts, exposure));
        if let (Some(r), Some(p)) = (gap.get("gap_r"), gap.get("gap_p")) {
            cv.scalars
                .insert("delta_gap".into(), popularity::delta_gap(r, p, users));
        }
        cv
    };
    // Overall and every shown group of every slice column: independent, so computed in parallel
    // (each value is computed by one thread, so the results do not depend on the scheduling).
    let shown_groups: Vec<(&str, &crate::slices::SliceGroup)> = slices
        .iter()
        .flat_map(|col| {
            col.shown()
                .map(move |g| (col.name.as_str(), &col.groups[g]))
        })
        .collect();
    let (overall, per_group): (CorpusValues, Vec<CorpusValues>) = rayon::join(
        || corpus_of(&all_users),
        || {
            shown_groups
                .par_iter()
                .map(|(_, group)| corpus_of(&group.users))
                .collect()
        },
    );
    let mut corpus = CorpusResult {
        overall,
        ..CorpusResult::default()
    };
    for col in &slices {
        corpus.slices.insert(col.name.clone(), BTreeMap::new());
    }
    for ((column, group), cv) in shown_groups.iter().zip(per_group) {
        let groups = corpus.slices.get_mut(*column).expect("inserted above");
        groups.insert(group.label.clone(), cv);
    }

    // The per-user metric vectors are summarised: free them before the exposure masses are built
    // (at 10M users they are 80 MB each).
    drop(user_metrics);
    progress.step("exposure-share intervals");
    corpus.exposure_share_intervals =
        exposure_share_intervals(ds, pop.as_ref(), &exposure_cfg, &slices, &cfg.stats);

    let over_time = over_time.map(|ot| {
        let mut by_slice = BTreeMap::new();
        for col in &slices {
            let per_group = col
                .shown()
                .map(|g| {
                    let trend = bubble::slice_trend(ds, &ot, &col.groups[g].users, &cfg.bubble);
                    (col.groups[g].label.clone(), trend)
                })
                .collect();
            by_slice.insert(col.name.clone(), per_group);
        }
        OverTimeResult {
            snapshots: ds.snapshots.iter().map(|s| s.label.clone()).collect(),
            overall_trend: bubble::slice_trend(ds, &ot, &all_users, &cfg.bubble),
            overall: ot.snapshots.clone(),
            slices: by_slice,
        }
    });
    progress.step("filter bubbles and segregation");

    Ok(AuditResult {
        schema_version: SCHEMA_VERSION,
        tool: Tool::default(),
        settings: cfg.clone(),
        input,
        notes,
        skipped_slice_columns,
        slices: slices
            .iter()
            .map(|c| (c.name.clone(), slice_summary(c)))
            .collect(),
        metrics,
        corpus,
        over_time,
        segregation: None,
    })
}

/// Exposure share of every item group with percentile bootstrap intervals, resampling users
/// (overall, and within each unsuppressed slice group). A share over a user set is a ratio of sums
/// of per-user exposure masses, S_G = Σ_u e_u(G) / Σ_u e_u, so the replicates reweight users and
/// never re-run the exposure kernel.
fn exposure_share_intervals(
    ds: &Dataset,
    pop: Option<&Popularity>,
    exposure_cfg: &ExposureConfig,
    slices: &[SliceColumn],
    stats_cfg: &StatsConfig,
) -> BTreeMap<String, ExposureShares> {
    /// Memory for the per-user masses of the item groups bootstrapped together (8 bytes per user
    /// and group): every group at once up to 1M users, 5 at a time at 10M.
    const BATCH_BYTES: usize = 400 << 20;
    let group_batch = (BATCH_BYTES / (8 * ds.n_users.max(1))).max(1);
    exposure_share_intervals_in_batches(ds, pop, exposure_cfg, slices, stats_cfg, group_batch)
}

/// [`exposure_share_intervals`], bootstrapping `group_batch` item groups at a time. The groups of
/// all item-group columns (provider, category, popularity band, ...) are batched together, since
/// the total mass Σ_u e_u is the same for every column: at 1M users one bootstrap covers them all.
/// Batches give the same replicates as one call, since a unit's weights do not depend on the
/// columns.
fn exposure_share_intervals_in_batches(
    ds: &Dataset,
    pop: Option<&Popularity>,
    exposure_cfg: &ExposureConfig,
    slices: &[SliceColumn],
    stats_cfg: &StatsConfig,
    group_batch: usize,
) -> BTreeMap<String, ExposureShares> {
    let n_users = ds.n_users;
    let all = Groups::from_members([(0..n_users as u32).collect::<Vec<u32>>()]);
    let slice_groups: Vec<(Groups, Vec<bool>)> = slices
        .iter()
        .map(|col| {
            (
                Groups::from_members(col.groups.iter().map(|g| g.users.clone())),
                col.groups.iter().map(|g| !g.suppressed).collect(),
            )
        })
        .collect();
    let item_columns = exposure::item_group_columns(ds, pop);
    let mut results: Vec<ExposureShares> = item_columns
        .iter()
        .map(|_| ExposureShares {
            overall: BTreeMap::new(),
            slices: slices
                .iter()
                .map(|col| {
                    let shown = col
                        .shown()
                        .map(|g| (col.groups[g].label.clone(), BTreeMap::new()))
                        .collect();
                    (col.name.clone(), shown)
                })
                .collect(),
        })
        .collect();
    // Every group of every column, in column order: (column, label).
    let owners: Vec<(usize, &String)> = item_columns
        .iter()
        .enumerate()
        .flat_map(|(c, col)| col.labels.iter().map(move |label| (c, label)))
        .collect();
    let combined = exposure::ItemGroups::concat(&item_columns);
    let mut start = 0;
    while start < owners.len() {
        let end = start.saturating_add(group_batch).min(owners.len());
        let batch = &owners[start..end];
        let exposure::UserGroupMass {
            n_groups,
            mass: mut columns,
            total,
        } = exposure::user_group_exposure(
            &ds.recs,
            &combined.subset(start..end),
            &exposure_cfg.weight,
        );
        start = end;
        // Column g < n_groups: the group's mass per user; the last column: the total mass.
        columns.push(total);
        let cols: Vec<&[f64]> = columns.iter().map(|c| c.as_slice()).collect();
        let shares: Vec<Statistic> = (0..n_groups)
            .map(|g| Statistic::RatioOfSums {
                num: g,
                den: n_groups,
            })
            .collect();
        // Overall and per slice column: independent bootstraps, run side by side.
        let (overall, per_column): (Vec<Vec<Estimate>>, Vec<Vec<Vec<Estimate>>>) = rayon::join(
            || stats::group_estimates(&cols, &shares, &all, &[true], stats_cfg),
            || {
                slice_groups
                    .par_iter()
                    .map(|(members, include)| {
                        stats::group_estimates(&cols, &shares, members, include, stats_cfg)
                    })
                    .collect()
            },
        );
        for (&(c, label), est) in batch.iter().zip(&overall) {
            results[c].overall.insert(label.clone(), est[0]);
        }
        for (col, est) in slices.iter().zip(per_column) {
            for g in col.shown() {
                let slice_label = &col.groups[g].label;
                for (&(c, label), per_group) in batch.iter().zip(&est) {
                    let per_slice = results[c].slices.get_mut(&col.name).expect("every column");
                    per_slice
                        .get_mut(slice_label)
                        .expect("shown group")
                        .insert(label.clone(), per_group[g]);
                }
            }
        }
    }
    item_columns
        .iter()
        .map(|col| col.name.clone())
        .zip(results)
        .collect()
}

fn user_metrics_by_name(metrics: &[UserMetric]) -> BTreeMap<&'static str, &[f64]> {
    metrics
        .iter()
        .map(|m| (m.name, m.values.as_slice()))
        .collect()
}

fn slice_summary(col: &SliceColumn) -> SliceSummary {
    SliceSummary {
        columns: col.columns.clone(),
        reference: col.reference.map(|r| col.groups[r].label.clone()),
        groups: col
            .shown()
            .map(|g| {
                let group = &col.groups[g];
                let values = if col.columns.len() > 1 {
                    col.columns
                        .iter()
                        .cloned()
                        .zip(group.values.iter().cloned())
                        .collect()
                } else {
                    BTreeMap::new()
                };
                (
                    group.label.clone(),
                    GroupSummary {
                        n_users: group.users.len(),
                        values,
                    },
                )
            })
            .collect(),
        groups_too_small: col.n_too_small(),
        groups_withheld: col.n_withheld(),
    }
}

/// The counts of audited users in no slice that `input` publishes (without consent, missing from
/// the users table). A count between 1 and `min_size − 1` would single those people out, so it is
/// replaced by `None` (published as `null`); the others are returned for the differencing check.
fn published_unsliced_counts(input: &mut InputSummary, min_size: usize) -> Vec<usize> {
    let mut published = Vec::new();
    for count in [
        &mut input.users_without_consent,
        &mut input.users_missing_from_users_table,
    ] {
        match *count {
            Some(n) if n > 0 && n < min_size => *count = None,
            Some(n) if n > 0 => published.push(n),
            _ => {}
        }
    }
    published
}

/// One plain sentence per slice column with suppressed or withheld groups, and per skipped column.
fn suppression_notes(
    slices: &[SliceColumn],
    skipped: &[SkippedColumn],
    min_size: usize,
) -> Vec<String> {
    let mut notes = Vec::new();
    for s in skipped {
        notes.push(format!(
            "Users-table column `{}` is not audited: {}.",
            s.column, s.reason
        ));
    }
    for col in slices {
        let (small, withheld) = (col.n_too_small(), col.n_withheld());
        if small + withheld == 0 {
            continue;
        }
        let name = crate::slices::display_name(&col.columns);
        let mut note = format!(
            "{name}: {small} {} under {min_size} users suppressed",
            plural(small, "group", "groups")
        );
        if withheld > 0 {
            note.push_str(&format!(
                "; {withheld} more {} withheld (complementary suppression) so that the suppressed {} cannot be recovered by subtracting the published figures",
                plural(withheld, "group", "groups"),
                plural(small, "group", "groups"),
            ));
        }
        let shown = col.shown().count();
        if shown < 2 {
            note.push_str(&format!(
                "; {shown} {} left, so this column is not compared",
                plural(shown, "group is", "groups are")
            ));
        }
        note.push('.');
        notes.push(note);
    }
    notes
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// Overall and per-slice means with intervals and disparities for every per-user metric.
///
/// A metric is published for the users with a defined value; a group with fewer than `min_size`
/// of them, or one whose value could be recovered by differencing within that population
/// ([`disclosure::protect`]), is withheld for that metric. Metrics that publish the same groups
/// of a column share one bootstrap pass (the statistics module resamples the per-user value
/// vectors, never the rows).
fn summarise_user_metrics(
    metrics: &[UserMetric],
    slices: &[SliceColumn],
    stats_cfg: &StatsConfig,
    min_size: usize,
) -> BTreeMap<String, MetricResult> {
    let columns: Vec<&[f64]> = metrics.iter().map(|m| m.values.as_slice()).collect();
    let n_users = metrics.first().map_or(0, |m| m.values.len());
    let published = published_groups_per_metric(&columns, slices, min_size);
    // The overall estimates and each slice column's comparison are independent (each is
    // deterministic on its own), so they run side by side: the sequential parts of one (its
    // layout, its Welch moments) overlap the parallel parts of the others.
    let (overall, per_column): (Vec<Vec<Estimate>>, Vec<Vec<Option<Disparity>>>) = rayon::join(
        || {
            let all = Groups::from_members([(0..n_users as u32).collect::<Vec<u32>>()]);
            let means: Vec<Statistic> = (0..metrics.len()).map(Statistic::Mean).collect();
            stats::group_estimates(&columns, &means, &all, &[true], stats_cfg)
        },
        || {
            slices
                .par_iter()
                .enumerate()
                .map(|(c, col)| {
                    let groups = Groups::from_members(col.groups.iter().map(|g| g.users.clone()));
                    let mut out: Vec<Option<Disparity>> = vec![None; metrics.len()];
                    // Metrics that publish the same groups are compared together.
                    let mut patterns: Vec<(&Vec<bool>, Vec<usize>)> = Vec::new();
                    for (j, shown) in published.iter().map(|p| &p[c]).enumerate() {
                        match patterns.iter_mut().find(|(s, _)| *s == shown) {
                            Some((_, js)) => js.push(j),
                            None => patterns.push((shown, vec![j])),
                        }
                    }
                    for (eligible, js) in patterns {
                        let reference = col
                            .reference
                            .filter(|&r| eligible[r])
                            .or_else(|| largest_of(&col.groups, |g| eligible[g]));
                        let Some(r) = reference else { continue };
                        let subset: Vec<&[f64]> = js.iter().map(|&j| columns[j]).collect();
                        let ds = stats::compare_means(&subset, &groups, r, eligible, stats_cfg);
                        for (&j, d) in js.iter().zip(ds) {
                            out[j] = Some(d);
                        }
                    }
                    out
                })
                .collect()
        },
    );

    let mut out: BTreeMap<String, MetricResult> = metrics
        .iter()
        .zip(overall)
        .map(|(m, est)| {
            let defined = m.values.iter().filter(|x| !x.is_nan()).count();
            (
                m.name.to_string(),
                MetricResult {
                    family: m.family.to_string(),
                    better: m.better,
                    overall: est[0],
                    n_undefined: m.values.len() - defined,
                    slices: BTreeMap::new(),
                },
            )
        })
        .collect();

    for (c, (col, disparities)) in slices.iter().zip(per_column).enumerate() {
        let labels: Vec<String> = col.groups.iter().map(|g| g.label.clone()).collect();
        for (j, (m, d)) in metrics.iter().zip(disparities).enumerate() {
            let disparity = d.map(|d| {
                let mut d = DisparityResult::labelled(d, &labels);
                if m.better != Better::Higher {
                    // The four-fifths rule reads "a group gets less than 80% of the good thing";
                    // it is not defined for metrics where lower is better or neither is.
                    for g in d.groups.values_mut() {
                        g.four_fifths = None;
                    }
                }
                d
            });
            let group_means = disparity
                .as_ref()
                .map(|d| {
                    d.groups
                        .iter()
                        .map(|(label, g)| (label.clone(), g.estimate))
                        .collect()
                })
                .unwrap_or_default();
            let withheld = col.shown().filter(|&g| !published[j][c][g]).count();
            out.get_mut(m.name).expect("metric present").slices.insert(
                col.name.clone(),
                SliceMetric {
                    groups: group_means,
                    disparity,
                    groups_withheld: withheld,
                },
            );
        }
    }
    out
}

/// Per metric, per slice column, per group: whether the metric's value for the group is
/// published. The population of a metric is its users with a defined value; metrics with the
/// same population share one decision.
fn published_groups_per_metric(
    columns: &[&[f64]],
    slices: &[SliceColumn],
    min_size: usize,
) -> Vec<Vec<Vec<bool>>> {
    let codes: Vec<&[u32]> = slices.iter().map(|c| c.codes.as_slice()).collect();
    let shown: Vec<Vec<bool>> = slices
        .iter()
        .map(|c| c.groups.iter().map(|g| !g.suppressed).collect())
        .collect();
    // Metrics with the same undefined users share one decision.
    let same_population =
        |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| x.is_nan() == y.is_nan());
    let mut decided: Vec<(usize, Vec<Vec<bool>>)> = Vec::new();
    columns
        .iter()
        .map(|values| {
            if let Some((_, d)) = decided
                .iter()
                .find(|(i, _)| same_population(columns[*i], values))
            {
                return d.clone();
            }
            let d = if values.iter().any(|x| x.is_nan()) {
                disclosure::protect(&codes, &shown, &|u| !values[u].is_nan(), min_size, &[]).shown
            } else {
                shown.clone()
            };
            let i = columns
                .iter()
                .position(|c| std::ptr::eq(*c, *values))
                .expect("own column");
            decided.push((i, d.clone()));
            d
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conformance_config() -> AuditConfig {
        let dir = std::path::Path::new("tests/data/conformance");
        AuditConfig {
            paths: TablePaths {
                recs: dir.join("recs_main.csv"),
                users: dir.join("users.csv"),
                items: Some(dir.join("items.csv")),
                truth: Some(dir.join("truth.csv")),
                history: Some(dir.join("history.csv")),
            },
            stats: StatsConfig {
                resamples: 200,
                ..StatsConfig::default()
            },
            slices: SliceConfig {
                min_slice_size: 1,
                ..SliceConfig::default()
            },
            ..AuditConfig::default()
        }
    }

    #[test]
    fn bands_need_finite_increasing_edges() {
        let with_edges = |edges: Vec<f64>| AuditConfig {
            buckets: vec![input::Bucketing {
                column: "age".into(),
                edges,
            }],
            ..AuditConfig::default()
        };
        assert!(with_edges(vec![25.0, 35.0, 55.0]).validate().is_ok());
        assert!(with_edges(vec![-1.5]).validate().is_ok());
        for (edges, found) in [
            (vec![], "[]"),
            (vec![55.0, 25.0], "[55.0, 25.0]"),
            (vec![25.0, 25.0], "[25.0, 25.0]"),
            (vec![f64::NAN], "[NaN]"),
            (vec![25.0, f64::INFINITY], "[25.0, inf]"),
        ] {
            assert_eq!(
                with_edges(edges).validate().unwrap_err().to_string(),
                format!(
                    "invalid settings: `buckets` entry 1 is age = {found}; expected one or more \
                     finite, strictly increasing edges"
                )
            );
        }
    }

    #[test]
    fn clustering_while_reading_equals_clustering_the_loaded_dataset() {
        let cfg = conformance_config();
        let read_and_clustered = audit(&cfg).unwrap();
        let (ds, summary) = input::load(&cfg.input()).unwrap();
        let loaded_then_clustered = audit_dataset(&ds, summary, &cfg, &()).unwrap();
        let segregation = read_and_clustered.segregation.as_ref().expect("categories");
        assert!(segregation.n_users > 0 && !segregation.slices.is_empty());
        assert_eq!(read_and_clustered, loaded_then_clustered);
        // And both equal the segregation of the loaded dataset.
        // And both relate the same columns as the segregation of the loaded dataset, with the
        // groups of fewer than min_slice_size clustered users left out.
        let direct = segregation::segregation(&ds, &cfg.bubble).unwrap();
        assert_eq!(segregation.nmi_normalisation, direct.nmi_normalisation);
        assert_eq!(segregation.clusters, direct.clusters);
        for (published, all) in segregation.slices.iter().zip(&direct.slices) {
            assert_eq!((&published.column, published.nmi), (&all.column, all.nmi));
            let kept: Vec<_> = all
                .groups
                .iter()
                .filter(|g| published.groups.iter().any(|p| p.group == g.group))
                .collect();
            assert_eq!(kept.len(), published.groups.len());
            assert!(published
                .groups
                .iter()
                .all(|g| g.n_users >= cfg.slices.min_slice_size));
            assert_eq!(published.groups_not_shown, all.groups.len() - kept.len());
        }
    }

    #[test]
    fn exposure_shares_do_not_depend_on_the_group_batch() {
        let cfg = conformance_config();
        let (ds, _) = input::load(&cfg.input()).unwrap();
        let columns: Vec<&Categorical> = ds.slices.iter().collect();
        let slices = build_slices(&columns, &cfg.slices).unwrap();
        let pop = Popularity::new(&ds, &PopularityConfig::default());
        let exposure_cfg = ExposureConfig {
            weight: cfg.position_weight,
        };
        let run = |batch| {
            exposure_share_intervals_in_batches(
                &ds,
                pop.as_ref(),
                &exposure_cfg,
                &slices,
                &cfg.stats,
                batch,
            )
        };
        let whole = run(usize::MAX);
        assert!(whole.values().any(|s| s.overall.len() > 1));
        assert!(whole.values().all(|s| !s.slices.is_empty()));
        assert_eq!(run(1), whole);
        assert_eq!(run(2), whole);
        // A batch that spans two item-group columns.
        let first_column = whole.values().next().expect("a column").overall.len();
        assert_eq!(run(first_column + 1), whole);
    }
}
