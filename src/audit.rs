//! The audit pipeline: load → slice → per-user metrics → corpus metrics → statistics →
//! [`AuditResult`]. Each step is one call into the module that owns it.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::Dataset;
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
use crate::slices::{build_slices, SliceColumn, SliceConfig};
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
    /// Checks ranges before any data is read.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Config(m));
        if self.k == 0 {
            return bad("k must be at least 1".into());
        }
        if !(self.head_share > 0.0 && self.head_share < 1.0) {
            return bad(format!("head share {} must be in (0, 1)", self.head_share));
        }
        if !(0.0..1.0).contains(&self.calibration_alpha) {
            return bad(format!(
                "calibration α {} must be in [0, 1)",
                self.calibration_alpha
            ));
        }
        if let PositionWeight::Rbp { patience } = self.position_weight {
            if !(patience > 0.0 && patience <= 1.0) {
                return bad(format!("rbp patience {patience} must be in (0, 1]"));
            }
        }
        // Bands from the settings file or `--bucket`: the band labels need at least one edge, and
        // edges out of order or not finite would put users in overlapping or meaningless bands.
        for b in &self.buckets {
            let increasing = b.edges.windows(2).all(|w| w[0] < w[1]);
            if b.edges.is_empty() || !increasing || b.edges.iter().any(|e| !e.is_finite()) {
                return bad(format!(
                    "the bands of `{}` need one or more finite edges in increasing order, e.g. \
                     [25, 35, 55]; found {:?}",
                    b.column, b.edges
                ));
            }
        }
        if self.slices.min_slice_size == 0 {
            return bad("min_slice_size must be at least 1".into());
        }
        if self.stats.resamples == 1 {
            return bad("bootstrap resamples must be 0 (no intervals) or at least 2".into());
        }
        if (1..MIN_BOOTSTRAP_UNITS).contains(&self.stats.bootstrap_units) {
            return bad(format!(
                "bootstrap units must be 0 (every user) or at least {MIN_BOOTSTRAP_UNITS}: with \
                 fewer, pooled groups give too few units for an interval"
            ));
        }
        Ok(())
    }

    fn input(&self) -> InputConfig {
        InputConfig {
            paths: self.paths.clone(),
            columns: self.columns.clone(),
            k: self.k,
            buckets: self.buckets.clone(),
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

/// The smallest accepted [`StatsConfig::bootstrap_units`] other than 0 (per user).
pub const MIN_BOOTSTRAP_UNITS: usize = 100;

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
    let segregation = clustering.map(|c| {
        let mut s = c.relate_slices(&ds.slices);
        // Per-group cluster shares of small groups would single people out.
        s.suppress_small_groups(cfg.slices.min_slice_size);
        s
    });
    Ok(AuditResult {
        segregation,
        ..result
    })
}

/// [`audit_dataset`] without the segregation (`None`), which ends the last step.
fn audit_all_but_segregation(
    ds: &Dataset,
    input: InputSummary,
    cfg: &AuditConfig,
    progress: &dyn Progress,
) -> Result<AuditResult> {
    progress.step("per-user metrics");
    let slices = build_slices(ds, &cfg.slices)?;
    let mut notes = Vec::new();

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
    let metrics = summarise_user_metrics(&user_metrics, &slices, &cfg.stats);

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
        reference: col.reference.map(|r| col.groups[r].label.clone()),
        groups: col
            .groups
            .iter()
            .map(|g| {
                (
                    g.label.clone(),
                    GroupSummary {
                        n_users: g.users.len(),
                        suppressed: g.suppressed,
                    },
                )
            })
            .collect(),
    }
}

/// Overall and per-slice means with intervals and disparities for every per-user metric.
///
/// One bootstrap pass per slice column serves every metric (the statistics module resamples the
/// per-user value vectors, never the rows).
fn summarise_user_metrics(
    metrics: &[UserMetric],
    slices: &[SliceColumn],
    stats_cfg: &StatsConfig,
) -> BTreeMap<String, MetricResult> {
    let columns: Vec<&[f64]> = metrics.iter().map(|m| m.values.as_slice()).collect();
    let n_users = metrics.first().map_or(0, |m| m.values.len());
    // The overall estimates and each slice column's comparison are independent (each is
    // deterministic on its own), so they run side by side: the sequential parts of one (its
    // layout, its Welch moments) overlap the parallel parts of the others.
    let (overall, per_column): (Vec<Vec<Estimate>>, Vec<Option<Vec<Disparity>>>) = rayon::join(
        || {
            let all = Groups::from_members([(0..n_users as u32).collect::<Vec<u32>>()]);
            let means: Vec<Statistic> = (0..metrics.len()).map(Statistic::Mean).collect();
            stats::group_estimates(&columns, &means, &all, &[true], stats_cfg)
        },
        || {
            slices
                .par_iter()
                .map(|col| {
                    let groups = Groups::from_members(col.groups.iter().map(|g| g.users.clone()));
                    let eligible: Vec<bool> = col.groups.iter().map(|g| !g.suppressed).collect();
                    col.reference
                        .map(|r| stats::compare_means(&columns, &groups, r, &eligible, stats_cfg))
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

    for (col, disparities) in slices.iter().zip(per_column) {
        let labels: Vec<String> = col.groups.iter().map(|g| g.label.clone()).collect();
        for (j, m) in metrics.iter().enumerate() {
            let disparity = disparities.as_ref().map(|d| {
                let mut d = DisparityResult::labelled(d[j].clone(), &labels);
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
            out.get_mut(m.name).expect("metric present").slices.insert(
                col.name.clone(),
                SliceMetric {
                    groups: group_means,
                    disparity,
                },
            );
        }
    }
    out
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
                    "invalid settings: the bands of `age` need one or more finite edges in \
                     increasing order, e.g. [25, 35, 55]; found {found}"
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
        let mut direct = segregation::segregation(&ds, &cfg.bubble).unwrap();
        direct.suppress_small_groups(cfg.slices.min_slice_size);
        assert_eq!(segregation, &direct);
    }

    #[test]
    fn exposure_shares_do_not_depend_on_the_group_batch() {
        let cfg = conformance_config();
        let (ds, _) = input::load(&cfg.input()).unwrap();
        let slices = build_slices(&ds, &cfg.slices).unwrap();
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
