//! The whole audit from partitions of users: the global passes, the map of every partition into
//! its partial states, their merge, and the finish into the [`AuditResult`] the one-pass audit
//! gives (docs/scaling.md, "The driver").
//!
//! Steps, in order:
//!
//! 1. **Global passes** (small tables, or sums over partitions): the item statistics
//!    ([`ItemStats`]); the slice plan, its complementary suppression decided from the users'
//!    combinations of groups counted per partition ([`user_combinations`]); the γ of the SNIPS
//!    propensities fitted to every list ([`map_shown`]). Their results form the [`Broadcast`].
//! 2. **Map, round 1**: each [`Partition`] → [`PartitionStates`] (every family's partial state);
//!    [`PartitionStates::merge`] adds two.
//! 3. **Segregation, round 2** (items with categories): the merged fit sample is fitted, the
//!    centroids broadcast, each partition assigns its users ([`map_partition_clusters`]).
//! 4. **Finish** ([`finish_audit`]): every block of `audit.json` from the merged states.
//!
//! [`audit_partitions`] runs the steps in one process over partitions cut from a loaded dataset;
//! a reader of partitioned files, or Spark executors, run the same functions.

use std::collections::BTreeMap;

use crate::audit::{published_unsliced_counts, skipped_family_notes, suppression_notes, Families};
use crate::data::{Categorical, Dataset};
use crate::error::{Error, Result};
use crate::input::InputSummary;
use crate::metrics::registry;
use crate::metrics::segregation::{Fitted, Segregation};
use crate::result::{
    AuditResult, CorpusResult, Definitions, PropensityModel, Tool, SCHEMA_VERSION,
};
use crate::settings::AuditConfig;
use crate::slices::build_slices;
use crate::slices::selection::{choose_columns, SkippedColumn};
use crate::slices::subgroups::SearchSettings;

use super::{
    finish_corpus, finish_exposure_shares, finish_metrics, finish_over_time, finish_segregation,
    finish_size_matched, finish_subgroups, map, map_clusters, map_corpus, map_exposure_shares,
    map_fit_sample, map_over_time, map_ranked, map_shown, map_size_matched, map_subgroups,
    partition_dataset, per_user_metrics, published_segregation, user_combinations, CellUsers,
    FinishError, ItemStats, PartialAudit, PartialClusters, PartialCorpus, PartialExposureShares,
    PartialFitSample, PartialOverTime, PartialRanked, PartialSettings, PartialShown,
    PartialSizeMatched, PartialSubgroups, RankedSource, SlicePlan,
};

/// What every map task receives: the results of the global passes and the settings.
#[derive(Debug, Clone)]
pub struct Broadcast {
    /// The audit's settings.
    pub cfg: AuditConfig,
    /// The item statistics, with the γ of the SNIPS propensities fitted to every list.
    pub items: ItemStats,
    /// The slice plan after complementary suppression.
    pub plan: SlicePlan,
    /// The users-table columns the audit chose (the subgroup search's columns, and the
    /// segregation's where they are plain slice columns): names and labels, no codes.
    pub columns: Vec<Categorical>,
    /// The partial states' shared settings.
    pub settings: PartialSettings,
}

/// One partition of users as a map task holds it.
#[derive(Debug, Clone)]
pub struct Partition {
    /// The users' rows with the broadcast catalog ([`partition_dataset`], or a reader of the
    /// partition's own files); `user_keys` are the users' keys. Its `slices` are not read.
    pub ds: Dataset,
    /// Per column of the plan, each user's group ([`Categorical::MISSING`] for none).
    pub slice_codes: Vec<Vec<u32>>,
    /// Per column of [`Broadcast::columns`], each user's code.
    pub column_codes: Vec<Vec<u32>>,
}

impl Partition {
    fn slice_codes(&self) -> Vec<&[u32]> {
        self.slice_codes.iter().map(Vec::as_slice).collect()
    }
}

/// Every family's partial state of a set of users (map round 1).
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionStates {
    /// The per-user metrics' summaries.
    pub audit: PartialAudit,
    /// Every metric's values sorted (percentiles, distributions).
    pub ranked: PartialRanked,
    /// The corpus metrics of every set of users.
    pub corpus: PartialCorpus,
    /// The subgroup search's profiles.
    pub subgroups: PartialSubgroups,
    /// The size-matched corpus comparison's samples.
    pub size_matched: PartialSizeMatched,
    /// The exposure-share intervals' cells or masses.
    pub exposure_shares: PartialExposureShares,
    /// The over-time block's sums.
    pub over_time: PartialOverTime,
    /// The segregation's fit-sample candidates (empty without categories).
    pub fit_sample: PartialFitSample,
}

impl PartitionStates {
    /// The states of both (disjoint) sets of users.
    pub fn merge(self, other: PartitionStates) -> PartitionStates {
        PartitionStates {
            audit: self.audit.merge(other.audit),
            ranked: self.ranked.merge(other.ranked),
            corpus: self.corpus.merge(other.corpus),
            subgroups: self.subgroups.merge(other.subgroups),
            size_matched: self.size_matched.merge(other.size_matched),
            exposure_shares: self.exposure_shares.merge(other.exposure_shares),
            over_time: self.over_time.merge(other.over_time),
            fit_sample: self.fit_sample.merge(other.fit_sample),
        }
    }
}

/// Map round 1: every family's partial state of the partition `p`.
pub fn map_partition(p: &Partition, b: &Broadcast) -> PartitionStates {
    let (ds, cfg, items, plan) = (&p.ds, &b.cfg, &b.items, &b.plan);
    let keys = &ds.user_keys;
    let codes = p.slice_codes();
    // The partition's own users, by position: the map functions that take dense ids and codes
    // indexed by them read the partition's codes through this identity.
    let own: Vec<u32> = (0..ds.n_users as u32).collect();
    let metrics = per_user_metrics(ds, items, cfg);
    let values: Vec<&[f64]> = metrics.iter().map(|m| m.values.as_slice()).collect();
    let columns: Vec<&[u32]> = p.column_codes.iter().map(Vec::as_slice).collect();
    let n_cat = items.items.category_labels.len();
    // The families' states do not depend on each other: each is built by a task of its own, all
    // at once, so nothing depends on the scheduling.
    let (mut audit, mut ranked, mut corpus, mut subgroups) = (None, None, None, None);
    let (mut size_matched, mut exposure_shares, mut over_time, mut fit_sample) =
        (None, None, None, None);
    rayon::scope(|s| {
        s.spawn(|_| audit = Some(map(keys, &codes, &metrics, plan, &b.settings)));
        s.spawn(|_| ranked = Some(map_ranked(keys, &codes, &values)));
        s.spawn(|_| {
            let n_groups = plan.n_groups();
            corpus = Some(map_corpus(
                ds, &own, &codes, &n_groups, &metrics, items, cfg,
            ));
        });
        s.spawn(|_| subgroups = Some(map_subgroups(keys, &codes, &columns, &values)));
        s.spawn(|_| {
            let stats = &cfg.stats;
            size_matched = Some(map_size_matched(keys, &ds.recs, &codes, plan, items, stats));
        });
        s.spawn(|_| {
            let shares = map_exposure_shares(keys, &ds.recs, &codes, plan, items, cfg);
            exposure_shares = Some(shares);
        });
        s.spawn(|_| over_time = Some(map_over_time(ds, &own, &codes, plan, items, cfg)));
        s.spawn(|_| {
            fit_sample = Some(if n_cat > 0 {
                map_fit_sample(
                    keys,
                    &ds.recs,
                    &items.items.categories,
                    n_cat,
                    cfg.bubble.seed,
                )
            } else {
                PartialFitSample::default()
            });
        });
    });
    let built = "every family's task has run";
    PartitionStates {
        audit: audit.expect(built),
        ranked: ranked.expect(built),
        corpus: corpus.expect(built),
        subgroups: subgroups.expect(built),
        size_matched: size_matched.expect(built),
        exposure_shares: exposure_shares.expect(built),
        over_time: over_time.expect(built),
        fit_sample: fit_sample.expect(built),
    }
}

/// The plain slice columns of the plan that are users-table columns the audit chose: the
/// segregation relates the clusters to these (as positions in [`Broadcast::columns`]).
fn segregation_columns(b: &Broadcast) -> Vec<usize> {
    b.columns
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            b.plan
                .columns
                .iter()
                .any(|p| p.columns.len() == 1 && p.name == c.name)
        })
        .map(|(i, _)| i)
        .collect()
}

/// Map round 2 of the segregation: the partition's users assigned to the broadcast centroids.
pub fn map_partition_clusters(p: &Partition, fitted: &Fitted, b: &Broadcast) -> PartialClusters {
    let related = segregation_columns(b);
    let codes: Vec<&[u32]> = related
        .iter()
        .map(|&c| p.column_codes[c].as_slice())
        .collect();
    let n_groups: Vec<usize> = related.iter().map(|&c| b.columns[c].labels.len()).collect();
    map_clusters(
        fitted,
        &p.ds.user_keys,
        &p.ds.recs,
        &b.items.items.categories,
        b.items.items.category_labels.len(),
        &codes,
        &n_groups,
    )
}

/// What the driver knows besides the merged states: the input read, the columns not audited,
/// which metric families could run, and the SNIPS propensities' description.
#[derive(Debug, Clone)]
pub struct AuditInputs {
    /// What was read (the counts of unsliced users already published: `null` when small).
    pub input: InputSummary,
    /// Users-table columns not audited, with the reason.
    pub skipped_slice_columns: Vec<SkippedColumn>,
    /// A truth table was given.
    pub truth: bool,
    /// The truth table gives the propensities.
    pub truth_propensities: bool,
    /// The `propensity` block, and the notes its fit wrote.
    pub propensity: (PropensityModel, Vec<String>),
}

/// The finish: every block of the audit from the merged round-1 states and, when the items have
/// categories and a fit was possible, the fit and the merged round-2 counts.
pub fn finish_audit(
    mut states: PartitionStates,
    clusters: Option<(&Fitted, &PartialClusters)>,
    b: &Broadcast,
    inputs: AuditInputs,
) -> std::result::Result<AuditResult, FinishError> {
    let ranked = std::mem::take(&mut states.ranked);
    finish_audit_with_runs(states, &ranked, clusters, b, inputs)
}

/// [`finish_audit`] with the sorted runs read from `ranked` (the partitions' runs on disk,
/// [`super::SpilledRuns`], or merged in memory) instead of `states.ranked`, which is not read.
pub fn finish_audit_with_runs(
    states: PartitionStates,
    ranked: &dyn RankedSource,
    clusters: Option<(&Fitted, &PartialClusters)>,
    b: &Broadcast,
    inputs: AuditInputs,
) -> std::result::Result<AuditResult, FinishError> {
    let (cfg, items, plan) = (&b.cfg, &b.items, &b.plan);
    let min_size = cfg.slices.min_slice_size;
    let defs = states.audit.defs.clone();
    let families = Families {
        quality: inputs.truth,
        popularity: items.popularity.is_some(),
        snips: inputs.truth
            && crate::metrics::quality::has_propensities(
                inputs.truth_propensities,
                items.popularity.is_some(),
            ),
        categories: !items.items.category_labels.is_empty(),
    };
    let (model, propensity_notes) = inputs.propensity;
    let mut notes = suppression_notes(&plan.columns, &inputs.skipped_slice_columns, min_size);
    notes.extend(skipped_family_notes(&families, propensity_notes));

    let shown: Vec<Vec<bool>> = plan
        .columns
        .iter()
        .map(|c| c.suppressed.iter().map(|s| !s).collect())
        .collect();
    let column_refs: Vec<&Categorical> = b.columns.iter().collect();
    let subgroups = finish_subgroups(
        &states.subgroups,
        &column_refs,
        &defs,
        &shown,
        SearchSettings {
            min_size,
            alpha: cfg.stats.alpha,
            confidence: cfg.stats.confidence,
        },
    );
    let metrics = finish_metrics(states.audit, Some(ranked), plan)?;
    let (overall, slices) = finish_corpus(states.corpus, plan, items, cfg);
    let size_matched = finish_size_matched(&states.size_matched, plan, items, cfg)?;
    notes.extend(size_matched.notes());
    let corpus = CorpusResult {
        overall,
        slices,
        exposure_share_intervals: finish_exposure_shares(
            &states.exposure_shares,
            plan,
            items,
            cfg,
        )?,
        size_matched: size_matched.columns,
    };
    let over_time = finish_over_time(&states.over_time, plan, items, cfg)?;
    let segregation = match clusters {
        Some((fitted, clusters)) => Some(finish_published_segregation(fitted, clusters, b)?),
        None => None,
    };
    Ok(AuditResult {
        schema_version: SCHEMA_VERSION,
        tool: Tool::default(),
        settings: cfg.echoed(),
        input: inputs.input,
        notes,
        skipped_slice_columns: inputs.skipped_slice_columns,
        slices: plan.summaries(),
        metrics,
        subgroups,
        propensity: families.snips.then_some(model),
        corpus,
        over_time,
        segregation,
        definitions: Definitions {
            with_baseline_lists: defs.iter().any(|d| registry::needs_baseline_lists(d)),
        },
        gates: None,
        provenance: None,
        privacy: None,
        nulls: Default::default(),
    })
}

/// The segregation block: the clusters related to the plain slice columns, with the groups the
/// audit may publish for the clustered users.
fn finish_published_segregation(
    fitted: &Fitted,
    clusters: &PartialClusters,
    b: &Broadcast,
) -> std::result::Result<Segregation, FinishError> {
    let related = segregation_columns(b);
    let columns: Vec<(&str, &[String])> = related
        .iter()
        .map(|&c| (b.columns[c].name.as_str(), b.columns[c].labels.as_slice()))
        .collect();
    let segregation = finish_segregation(
        fitted,
        clusters,
        &columns,
        &b.items.items.category_labels,
        b.cfg.bubble.seed,
    )?;
    // A column's groups as the audit publishes them (its plain slice column in the plan).
    let shown: Vec<Vec<bool>> = columns
        .iter()
        .map(|(name, labels)| {
            let plan = b
                .plan
                .columns
                .iter()
                .find(|p| p.columns.len() == 1 && p.name == *name)
                .expect("a segregation column is a plain slice column");
            labels
                .iter()
                .map(|l| {
                    plan.labels
                        .iter()
                        .position(|p| p == l)
                        .is_some_and(|g| !plan.suppressed[g])
                })
                .collect()
        })
        .collect();
    Ok(published_segregation(
        segregation,
        clusters,
        &columns,
        &shown,
        b.cfg.slices.min_slice_size,
    ))
}

/// The whole audit of `ds` (read with `input`) from the partitions of users `parts` (dense ids
/// of `ds`; disjoint, together every user), each cut out of `ds` and mapped on its own, the
/// states merged in partition order: the global passes, both map rounds and the finish of this
/// module, in one process. Equal to the one-pass [`crate::audit::audit_dataset`] (bit for bit
/// with one partition but for sums in rank or partition order; within rounding otherwise:
/// docs/scaling.md). A differentially private audit (`--dp-epsilon`) is not split into
/// partitions: refused.
pub fn audit_partitions(
    ds: &Dataset,
    input: InputSummary,
    parts: &[Vec<u32>],
    cfg: &AuditConfig,
) -> Result<AuditResult> {
    let (b, partitions, inputs) = cut_partitions(ds, input, parts, cfg)?;
    let finish_error = |e: FinishError| Error::Config(format!("the audit of partitions: {e}"));

    // Map round 1, merged in partition order.
    let states = partitions
        .iter()
        .map(|p| map_partition(p, &b))
        .reduce(PartitionStates::merge)
        .ok_or_else(|| Error::Config("no audited user".into()))?;

    // Round 2: the segregation's clusters.
    let n_cat = b.items.items.category_labels.len();
    let fitted = if n_cat > 0 {
        states
            .fit_sample
            .fit(n_cat, &cfg.bubble)
            .map_err(finish_error)?
    } else {
        None
    };
    let clusters = fitted.as_ref().map(|fitted| {
        partitions
            .iter()
            .map(|p| map_partition_clusters(p, fitted, &b))
            .reduce(PartialClusters::merge)
            .expect("at least one partition")
    });
    let clusters = fitted.as_ref().zip(clusters.as_ref());
    finish_audit(states, clusters, &b, inputs).map_err(finish_error)
}

/// The global passes of [`audit_partitions`] and its partitions: the broadcast, each non-empty
/// partition of `parts` cut out of `ds`, and what finishing needs from the reading.
pub(crate) fn cut_partitions(
    ds: &Dataset,
    input: InputSummary,
    parts: &[Vec<u32>],
    cfg: &AuditConfig,
) -> Result<(Broadcast, Vec<Partition>, AuditInputs)> {
    if cfg.privacy.epsilon.is_some() {
        return Err(Error::Config(
            "a differentially private audit (--dp-epsilon) runs in one pass, not in partitions"
                .into(),
        ));
    }
    cfg.validate()?;
    let min_size = cfg.slices.min_slice_size;
    let mut input = input;

    // Global passes: item statistics (γ fitted below, from the lists' counts), the users'
    // combinations of groups, the lists showing each item.
    let items = ItemStats::with_gamma(ds, cfg, f64::NAN);
    let (chosen, skipped) = choose_columns(&ds.slices, cfg.columns.slices.is_some(), &cfg.slices)?;
    let unprotected = build_slices(&chosen, &cfg.slices)?;
    let pick = |codes: &[u32], users: &[u32]| -> Vec<u32> {
        users.iter().map(|&u| codes[u as usize]).collect()
    };
    let mut seen = vec![false; ds.n_users];
    for &u in parts.iter().flatten() {
        let Some(seen) = seen.get_mut(u as usize) else {
            return Err(Error::Config(format!(
                "user {u} of a partition is not one of the {} audited users",
                ds.n_users
            )));
        };
        if std::mem::replace(seen, true) {
            return Err(Error::Config(format!(
                "user {u} is in two partitions: the partitions must hold every audited user once"
            )));
        }
    }
    if seen.contains(&false) {
        return Err(Error::Config(
            "the partitions do not hold every audited user once".into(),
        ));
    }
    // The partitions' slice codes are those before complementary suppression: suppression marks
    // groups, it does not renumber them.
    let partitions: Vec<Partition> = parts
        .iter()
        .filter(|users| !users.is_empty())
        .map(|users| Partition {
            ds: partition_dataset(ds, users, &items),
            slice_codes: unprotected.iter().map(|c| pick(&c.codes, users)).collect(),
            column_codes: chosen.iter().map(|c| pick(&c.codes, users)).collect(),
        })
        .collect();
    let mut combinations: BTreeMap<Vec<u32>, CellUsers> = BTreeMap::new();
    let mut shown = PartialShown::default();
    for p in &partitions {
        for (combination, users) in user_combinations(&p.slice_codes(), &p.ds.user_keys) {
            CellUsers::add_to(&mut combinations, combination, users);
        }
        shown = shown.merge(map_shown(&p.ds));
    }
    let unsliced = published_unsliced_counts(&mut input, min_size);
    let plan = SlicePlan::of(&unprotected).protected(&combinations, min_size, &unsliced);
    let mut propensity_notes = Vec::new();
    let truth_propensities = ds.truth_propensity.is_some();
    let (gamma, model) = shown.propensity(&items, truth_propensities, cfg, &mut propensity_notes);
    let b = Broadcast {
        cfg: cfg.clone(),
        items: items.with_propensity_gamma(gamma),
        plan,
        columns: chosen
            .iter()
            .map(|c| Categorical {
                name: c.name.clone(),
                labels: c.labels.clone(),
                codes: Vec::new(),
            })
            .collect(),
        settings: PartialSettings::new(cfg.stats, min_size),
    };
    let inputs = AuditInputs {
        input,
        skipped_slice_columns: skipped,
        truth: ds.truth.is_some(),
        truth_propensities,
        propensity: (model, propensity_notes),
    };
    Ok((b, partitions, inputs))
}

#[cfg(test)]
#[path = "driver_tests.rs"]
mod tests;
