//! The audit pipeline: load → slice → per-user metrics → corpus metrics → statistics →
//! [`AuditResult`]. Each step is one call into the module that owns it; this module orders them.
//!
//! - `per_user`: every per-user metric family, in order (shared with the partitioned audit);
//! - `summary`: per-user metrics averaged per slice group, with intervals and disparities;
//! - `exposure_intervals`: bootstrap intervals of exposure shares;
//! - `publication`: which groups and counts are published, and the notes that say so;
//! - `size_matched`: corpus metrics per group at the size of the smallest group.

pub(crate) mod distribution;
pub(crate) mod exposure_intervals;
mod notes;
pub(crate) mod per_user;
mod private;
mod publication;
pub(crate) mod size_matched;
mod summary;

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::data::Dataset;
use crate::error::Result;
use crate::input::{self, InputSummary};
use crate::metrics::bubble;
use crate::metrics::diversity;
use crate::metrics::exposure::{self, ExposureConfig};
use crate::metrics::popularity::{self, Popularity, PopularityConfig};
use crate::metrics::quality;
use crate::metrics::quality::PropensityGamma;
use crate::metrics::segregation;
use crate::metrics::{CorpusValues, UserMetric};
use crate::result::{
    AuditResult, CorpusResult, Definitions, OverTimeResult, PropensityModel, Tool, SCHEMA_VERSION,
};
use crate::slices::selection::choose_columns;
use crate::slices::subgroups::{search_subgroups, SearchMetric};
use crate::slices::{build_slices, protect_columns, SliceColumn};

pub use crate::settings::AuditConfig;

use exposure_intervals::exposure_share_intervals;
pub(crate) use notes::{family_note, skipped_family_notes, suppression_notes, Families};
pub(crate) use publication::published_unsliced_counts;
use publication::{published_segregation, slice_summary};
pub use size_matched::SizeMatched;
use size_matched::{lists_corpus, size_matched_corpus, SubsampleCost};
use summary::summarise_user_metrics;

/// Receives the name of each step as the audit reaches it (the CLI shows a progress bar).
pub trait Progress {
    /// A new step starts.
    fn step(&self, what: &str);
}

/// No progress reporting.
impl Progress for () {
    fn step(&self, _: &str) {}
}

/// Number of [`Progress::step`] calls of one audit (for a progress bar's length).
pub const AUDIT_STEPS: u64 = 5;

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
            read.user_keys,
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
        &ds.user_keys,
        &ds.items.categories,
        &ds.items.category_labels,
        &cfg.bubble,
    );
    audit_clustered(ds, input, clustering, cfg, progress)
}

/// [`audit_dataset`] given the users' clustering ([`segregation::cluster_users`] of `ds`); ends
/// the last step.
fn audit_clustered(
    ds: &Dataset,
    input: InputSummary,
    clustering: Option<segregation::Segregation>,
    cfg: &AuditConfig,
    progress: &dyn Progress,
) -> Result<AuditResult> {
    progress.step("per-user metrics");
    let min_size = cfg.slices.min_slice_size;
    let explicit_slices = cfg.columns.slices.is_some();
    let mut input = input;
    let (chosen, skipped_slice_columns, mut slices) = slice_columns(ds, cfg)?;
    // The groups' suppression and the per-user metrics do not depend on each other: the
    // suppression's sequential search runs while the metrics keep the other core busy.
    let (mut notes, (pop, propensity, family_notes, per_user)) = rayon::join(
        || publish_groups(&mut slices, &skipped_slice_columns, min_size, &mut input),
        || popularity_and_user_metrics(ds, cfg),
    );
    let n_suppression_notes = notes.len();
    let per_user::PerUserMetrics {
        metrics: user_metrics,
        over_time,
        ..
    } = per_user;
    notes.extend(family_notes);
    let exposure_cfg = ExposureConfig {
        weight: cfg.position_weight,
    };
    let definitions = Definitions::of_metrics(&user_metrics);

    if let Some(epsilon) = cfg.privacy.epsilon {
        progress.step("differentially private release");
        // The segregation clusters individual lists: it has no DP version and is withheld.
        drop(clustering);
        let family_notes = notes.split_off(n_suppression_notes);
        let (user_metrics, withheld) = private::own_data_metrics(user_metrics, pop.as_ref());
        let exposure = private::exposure_masses(ds, pop.as_ref(), cfg);
        return Ok(private::private_result(
            private::Exact {
                input,
                slices,
                skipped_slice_columns,
                user_metrics,
                exposure: exposure.masses,
                explicit_slices,
                withheld: withheld.into_iter().chain(exposure.withheld).collect(),
                family_notes,
            },
            cfg,
            epsilon,
            progress,
        ));
    }

    // Statistics per metric and slice column, and the corpus metrics overall and per published
    // group. The three are independent: the subgroup search's and the corpus metrics' sequential
    // parts (profiles, sums over everyone, per-set values) run while the summaries' passes keep
    // the other core busy.
    progress.step("bootstrap intervals, disparities and corpus metrics");
    let searched: Vec<SearchMetric> = user_metrics
        .iter()
        .map(|m| SearchMetric {
            def: m.definition,
            values: &m.values,
        })
        .collect();
    let ((metrics, subgroups), (mut corpus, size_matched_notes)) = rayon::join(
        || {
            rayon::join(
                || {
                    summarise_user_metrics(
                        &user_metrics,
                        &slices,
                        &ds.user_keys,
                        &cfg.stats,
                        min_size,
                    )
                },
                || {
                    search_subgroups(
                        &chosen,
                        &searched,
                        &slices,
                        min_size,
                        cfg.stats.alpha,
                        cfg.stats.confidence,
                    )
                },
            )
        },
        || corpus_metrics(ds, pop.as_ref(), &exposure_cfg, &slices, &user_metrics, cfg),
    );
    drop(searched);
    notes.extend(size_matched_notes);

    // The per-user metric vectors are summarised: free them before the exposure masses are built
    // (at 10M users they are 80 MB each).
    drop(user_metrics);
    progress.step("exposure-share intervals");
    let slice_summaries: BTreeMap<_, _> = slices
        .iter()
        .map(|c| (c.name.clone(), slice_summary(c)))
        .collect();
    // The segregation's publication (sequential) needs only the published slices: it runs
    // while the exposure shares' replicates keep the other core busy.
    let (exposure_shares, segregation) = rayon::join(
        || exposure_share_intervals(ds, pop.as_ref(), &exposure_cfg, &slices, &cfg.stats),
        || clustering.map(|c| published_segregation(c, ds, &slice_summaries, cfg)),
    );
    corpus.exposure_share_intervals = exposure_shares;

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
        let lists: Vec<&crate::data::RecLists> = ds.snapshots.iter().map(|s| &s.lists).collect();
        let exposure_owed = match &ds.truth {
            Some(truth) => ds
                .items
                .groups
                .iter()
                .filter_map(|col| {
                    let groups = exposure::ItemGroups::from_categorical(col);
                    exposure::exposure_owed(&lists, truth, &groups, &cfg.position_weight)
                        .map(|o| (col.name.clone(), o))
                })
                .collect(),
            None => BTreeMap::new(),
        };
        OverTimeResult {
            exposure_owed,
            snapshots: ds.snapshots.iter().map(|s| s.label.clone()).collect(),
            overall_trend: bubble::slice_trend(ds, &ot, &all_users(ds), &cfg.bubble),
            overall: ot.snapshots.clone(),
            slices: by_slice,
        }
    });
    progress.step("filter bubbles and segregation");

    Ok(AuditResult {
        schema_version: SCHEMA_VERSION,
        tool: Tool::default(),
        settings: cfg.echoed(),
        input,
        notes,
        skipped_slice_columns,
        slices: slice_summaries,
        metrics,
        subgroups,
        propensity,
        corpus,
        over_time,
        segregation,
        definitions,
        gates: None,
        provenance: None,
        privacy: None,
        nulls: Default::default(),
    })
}

/// The items' popularity, the SNIPS metrics' propensity model (when they were computed), the
/// notes on the families skipped, and every per-user metric ([`per_user::all_families`]).
fn popularity_and_user_metrics(
    ds: &Dataset,
    cfg: &AuditConfig,
) -> (
    Option<Popularity>,
    Option<PropensityModel>,
    Vec<String>,
    per_user::PerUserMetrics,
) {
    let pop_cfg = PopularityConfig {
        head_share: cfg.head_share,
        ..PopularityConfig::default()
    };
    let pop = Popularity::new(ds, &pop_cfg);
    let mut propensity_notes = Vec::new();
    let popularity = pop.as_ref().map(|p| p.pop.as_slice());
    let propensity = ds
        .truth
        .as_ref()
        .map(|_| propensity_model(ds, popularity, cfg, &mut propensity_notes));
    let gamma = propensity.as_ref().map_or(f64::NAN, |(gamma, _)| *gamma);
    let per_user = per_user::all_families(ds, pop.as_ref(), gamma, cfg);
    let propensity = propensity
        .filter(|_| per_user.snips)
        .map(|(_, model)| model);
    let families = Families {
        quality: ds.truth.is_some(),
        popularity: pop.is_some(),
        snips: per_user.snips,
        categories: !ds.items.category_labels.is_empty(),
    };
    let family_notes = skipped_family_notes(&families, propensity_notes);
    (pop, propensity, family_notes, per_user)
}

/// The slice columns of `ds` that `cfg` audits (the users-table columns chosen, those skipped,
/// and their groups, before the complementary suppression). A differentially private audit,
/// which runs in one pass only, takes every users-table column.
pub(crate) fn slice_columns<'a>(
    ds: &'a Dataset,
    cfg: &AuditConfig,
) -> Result<(
    Vec<&'a crate::data::Categorical>,
    Vec<crate::slices::selection::SkippedColumn>,
    Vec<SliceColumn>,
)> {
    let explicit_slices = cfg.columns.slices.is_some();
    let (chosen, skipped_slice_columns) = if cfg.privacy.epsilon.is_some() && !explicit_slices {
        // A DP audit chooses its columns from their noisy group sizes (`privacy::release`):
        // every users-table column is a candidate.
        (ds.slices.iter().collect(), Vec::new())
    } else {
        choose_columns(&ds.slices, explicit_slices, &cfg.slices)?
    };
    let slices = build_slices(&chosen, &cfg.slices)?;
    Ok((chosen, skipped_slice_columns, slices))
}

/// Decides which groups of `slices` are published (primary and complementary suppression,
/// counting the unsliced counts of `input` that are published) and returns the notes on the
/// groups suppressed and the columns `skipped`.
fn publish_groups(
    slices: &mut [SliceColumn],
    skipped: &[crate::slices::selection::SkippedColumn],
    min_size: usize,
    input: &mut InputSummary,
) -> Vec<String> {
    protect_columns(
        slices,
        min_size,
        &published_unsliced_counts(input, min_size),
    );
    let plan_columns: Vec<_> = slices.iter().map(crate::partial::PlanColumn::of).collect();
    suppression_notes(&plan_columns, skipped, min_size)
}

/// The corpus metrics (exposure, coverage, diversity, popularity lift) overall and per published
/// group of every slice column, with the size-matched comparison, and the notes the latter adds.
/// `user_metrics` give ΔGAP its users' profile popularity.
fn corpus_metrics(
    ds: &Dataset,
    pop: Option<&Popularity>,
    exposure_cfg: &ExposureConfig,
    slices: &[SliceColumn],
    user_metrics: &[UserMetric],
    cfg: &AuditConfig,
) -> (CorpusResult, Vec<String>) {
    let all_users = all_users(ds);
    let gap = user_metrics_by_name(user_metrics);
    let exposure_ctx = exposure::ExposureContext::new(ds, pop, exposure_cfg);
    let corpus_of_masses = |users: &[u32], m: exposure::SetMasses| -> CorpusValues {
        let mut cv = diversity::diversity_corpus_of_counts(ds, users, &m.counts, pop);
        cv.extend(exposure_ctx.corpus_of_masses(
            &m.counts,
            m.exposure,
            m.interactions,
            m.relevance,
        ));
        if let (Some(r), Some(p)) = (gap.get("gap_r"), gap.get("gap_p")) {
            cv.scalars
                .insert("delta_gap".into(), popularity::delta_gap(r, p, users));
        }
        cv
    };
    // Overall and every shown group of every slice column. The groups of a column are the sets
    // of its codes, so the per-item masses of all of them come from one pass over the rows in
    // user order ([`exposure::ExposureContext::partition_masses`], the sums of each set alone);
    // then each set's values. Both in parallel; each value is computed by one thread, so the
    // results do not depend on the scheduling.
    let shown_groups: Vec<(&str, &crate::slices::SliceGroup)> = slices
        .iter()
        .flat_map(|col| {
            col.shown()
                .map(move |g| (col.name.as_str(), &col.groups[g]))
        })
        .collect();
    // The one pass per column needs each column's groups to be the sets of its codes
    // ([`exposure::UserSets::Codes`]); otherwise each set is summed on its own.
    let (overall, per_group): (CorpusValues, Vec<CorpusValues>) = if slices
        .iter()
        .all(|col| col.codes.len() == ds.n_users && col.codes_match_groups())
    {
        // Every user, then each slice column's groups; a column's masses are dropped once
        // its values are taken.
        let families: Vec<SetFamily> =
            std::iter::once((exposure::UserSets::All, vec![(0, all_users.as_slice())]))
                .chain(slices.iter().map(|col| {
                    let sets = exposure::UserSets::Codes {
                        codes: &col.codes,
                        n_sets: col.groups.len(),
                    };
                    let shown = col.shown().map(|g| (g, col.groups[g].users.as_slice()));
                    (sets, shown.collect())
                }))
                .collect();
        let mut values: Vec<CorpusValues> = families
            .par_iter()
            .flat_map_iter(|(sets, shown)| {
                let masses = exposure_ctx.partition_masses(*sets);
                let values: Vec<CorpusValues> = shown
                    .par_iter()
                    .map(|&(s, users)| corpus_of_masses(users, masses.get(s)))
                    .collect();
                values
            })
            .collect();
        let overall = values.remove(0);
        (overall, values)
    } else {
        let corpus_of = |users: &[u32]| corpus_of_masses(users, exposure_ctx.masses(users));
        rayon::join(
            || corpus_of(&all_users),
            || {
                shown_groups
                    .par_iter()
                    .map(|(_, group)| corpus_of(&group.users))
                    .collect()
            },
        )
    };
    let mut corpus = CorpusResult {
        overall,
        ..CorpusResult::default()
    };
    for col in slices {
        corpus.slices.insert(col.name.clone(), BTreeMap::new());
    }
    for ((column, group), cv) in shown_groups.iter().zip(per_group) {
        let groups = corpus.slices.get_mut(*column).expect("inserted above");
        groups.insert(group.label.clone(), cv);
    }
    // The size-matched comparison needs only the metrics of the lists as a whole: the same
    // corpus pass without the item-group shares.
    let mut lists_ctx = exposure_ctx.clone();
    lists_ctx.groups.clear();
    let lists_of = |users: &[u32]| lists_corpus(ds, &lists_ctx, users);
    let cost = SubsampleCost {
        per_user: ds.k,
        per_subsample: ds.items.n_items(),
    };
    let size_matched = size_matched_corpus(slices, &ds.user_keys, &lists_of, &cfg.stats, cost);
    let notes = size_matched.notes();
    corpus.size_matched = size_matched.columns;
    (corpus, notes)
}

/// Every user of `ds`, in order.
fn all_users(ds: &Dataset) -> Vec<u32> {
    (0..ds.n_users as u32).collect()
}

/// Sets of users and the published ones among them: (set, its users).
type SetFamily<'a> = (exposure::UserSets<'a>, Vec<(usize, &'a [u32])>);

/// The γ of the SNIPS metrics' popularity propensities (given, or fitted to the lists) and the
/// description of the propensities `audit.json` carries. A γ that cannot be fitted falls back
/// to the default with a note.
fn propensity_model(
    ds: &Dataset,
    popularity: Option<&[f64]>,
    cfg: &AuditConfig,
    notes: &mut Vec<String>,
) -> (f64, PropensityModel) {
    let fit = |pop: &[f64]| quality::estimate_propensity_gamma(&ds.recs, pop);
    propensity_model_of(fit, popularity, ds.truth_propensity.is_some(), cfg, notes)
}

/// [`propensity_model`] with the fit of γ to the lists as `fit` (called with the popularity when
/// `cfg` asks for a fitted γ; `None` when it cannot be fitted) and `truth_propensities` whether
/// the truth table gives the propensities.
pub(crate) fn propensity_model_of(
    fit: impl FnOnce(&[f64]) -> Option<f64>,
    popularity: Option<&[f64]>,
    truth_propensities: bool,
    cfg: &AuditConfig,
    notes: &mut Vec<String>,
) -> (f64, PropensityModel) {
    let default = AuditConfig::default()
        .propensity_gamma
        .given()
        .unwrap_or(2.0);
    let (gamma, fitted) = match cfg.propensity_gamma {
        PropensityGamma::Given(g) => (g, false),
        PropensityGamma::Estimate => match popularity.and_then(fit) {
            Some(g) => (g, true),
            None => {
                if !truth_propensities && popularity.is_some() {
                    notes.push(format!("The exponent γ of the SNIPS metrics' popularity propensities could not be fitted to the lists (fewer than two popularity levels are recommended); the default γ = {default} was used."));
                }
                (default, false)
            }
        },
    };
    let model = if truth_propensities {
        PropensityModel {
            source: "truth".into(),
            gamma: None,
            fitted: false,
        }
    } else {
        PropensityModel {
            source: "popularity".into(),
            gamma: Some(gamma),
            fitted,
        }
    };
    (gamma, model)
}

fn user_metrics_by_name(metrics: &[UserMetric]) -> BTreeMap<&'static str, &[f64]> {
    metrics
        .iter()
        .map(|m| (m.name(), m.values.as_slice()))
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::input::TablePaths;
    use crate::slices::SliceConfig;
    use crate::stats::StatsConfig;

    pub(crate) fn conformance_config() -> AuditConfig {
        let dir = std::path::Path::new("tests/data/conformance");
        AuditConfig {
            paths: TablePaths {
                recs: dir.join("recs_main.csv"),
                users: dir.join("users.csv"),
                items: Some(dir.join("items.csv")),
                truth: Some(dir.join("truth.csv")),
                history: Some(dir.join("history.csv")),
                baseline_recs: None,
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
    fn rbo_with_a_baseline_is_averaged_per_slice_group() {
        // The lists of `rbo_metric`'s hand-worked test, through the loader and the summary:
        // p = 0.5, k = 2; u1 1, u2 0.5, u3 0.25, u4 without a baseline list; u5 is only in the
        // baseline. Overall (1 + 0.5 + 0.25)/3 = 0.583…, F (u1, u2) 0.75, M (u3) 0.25.
        let dir = tempfile::tempdir().unwrap();
        let write =
            |name: &str, text: &str| crate::input::test_files::write(dir.path(), name, text);
        let cfg = AuditConfig {
            paths: TablePaths {
                recs: write(
                    "recs.csv",
                    "user_id,item_id,rank\nu1,x,1\nu1,y,2\nu2,x,1\nu2,y,2\nu3,x,1\nu3,z,2\nu4,x,1\nu4,y,2\n",
                ),
                users: write("users.csv", "user_id,gender\nu1,F\nu2,F\nu3,M\nu4,M\n"),
                baseline_recs: Some(write(
                    "base.csv",
                    "user_id,item_id,rank\nu1,x,1\nu1,y,2\nu2,y,1\nu2,x,2\nu3,z,1\nu5,x,1\n",
                )),
                ..TablePaths::default()
            },
            k: 2,
            rbo_persistence: Some(0.5),
            stats: StatsConfig {
                resamples: 0,
                ..StatsConfig::default()
            },
            slices: SliceConfig {
                min_slice_size: 1,
                ..SliceConfig::default()
            },
            ..AuditConfig::default()
        };
        let r = audit(&cfg).unwrap();
        let m = &r.metrics["rbo"];
        assert_eq!(m.family, "change");
        assert_eq!(m.better, crate::metrics::Better::Neutral);
        assert!((m.overall.value.unwrap() - 1.75 / 3.0).abs() < 1e-12);
        assert_eq!((m.overall.n, m.n_undefined), (3, 1));
        let groups = &m.slices["gender"].groups;
        assert_eq!((groups["F"].value, groups["F"].n), (Some(0.75), 2));
        assert_eq!((groups["M"].value, groups["M"].n), (Some(0.25), 1));
        assert_eq!(r.input.users_without_baseline_list, Some(1));
        assert_eq!(r.input.baseline_users_not_audited, Some(1));
        assert!(r.definitions.with_baseline_lists);
        assert_eq!(r.settings.rbo_persistence, Some(0.5));

        // Without the baseline: no `rbo`, no definition of it, the persistence not echoed.
        let cfg = AuditConfig {
            paths: TablePaths {
                baseline_recs: None,
                ..cfg.paths.clone()
            },
            rbo_persistence: None,
            ..cfg
        };
        let r = audit(&cfg).unwrap();
        assert!(!r.metrics.contains_key("rbo"));
        assert!(!r.definitions.with_baseline_lists);
        let json = serde_json::to_value(&r).unwrap();
        assert!(json["definitions"].get("rbo").is_none());
        assert!(json["settings"].get("rbo_persistence").is_none());
        assert!(json["settings"]["paths"].get("baseline_recs").is_none());
        assert!(json["input"].get("users_without_baseline_list").is_none());
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
}
