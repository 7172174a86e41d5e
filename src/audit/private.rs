//! The differentially private audit (`--dp-epsilon`): the per-user metrics released by
//! [`crate::privacy::release`], every exact count of the input replaced or withheld, and the
//! parts without a DP version (corpus metrics, exposure shares, trends, segregation) withheld
//! with a stated reason.

use super::notes::suppression_notes;
use super::publication::slice_summary;
use super::{AuditConfig, Progress};
use crate::data::Dataset;
use crate::input::InputSummary;
use crate::metrics::exposure::{item_group_columns, user_group_exposure};
use crate::metrics::popularity::Popularity;
use crate::metrics::registry;
use crate::metrics::UserMetric;
use crate::privacy::exposure::ExposureMasses;
use crate::privacy::release::{release, rounded_count, ReleaseInput};
use crate::privacy::PRIVATE_NOTE_START;
use crate::result::{AuditResult, Definitions, Tool, SCHEMA_VERSION};
use crate::slices::selection::SkippedColumn;
use crate::slices::SliceColumn;

/// What the exact pipeline computed before the release: nothing of it is published as is.
pub(super) struct Exact {
    pub input: InputSummary,
    pub slices: Vec<SliceColumn>,
    pub skipped_slice_columns: Vec<SkippedColumn>,
    pub user_metrics: Vec<UserMetric>,
    /// The exposure masses of the item-group columns whose shares may be published.
    pub exposure: Vec<ExposureMasses>,
    /// The slice columns were named (`--slices`).
    pub explicit_slices: bool,
    /// Metrics and parts withheld before the release (they depend on other users' data), with
    /// the reason.
    pub withheld: Vec<(String, String)>,
    /// The notes on skipped metric families (they name no count).
    pub family_notes: Vec<String>,
}

/// The parts of an audit that have no DP version, each with why it is withheld.
pub(crate) const WITHHELD_PARTS: [(&str, &str); 7] = [
    (
        "corpus",
        "corpus metrics other than exposure shares (catalog coverage, Gini coefficients of exposure, personalisation, ΔGAP, size-matched comparisons) are functions of the exposure of every single item (a count of distinct items, an inequality over items, overlaps between pairs of lists); a DP version would need per-item noise over the whole catalog and is not implemented",
    ),
    (
        "merit and relevance targets",
        "the history and relevance shares of item groups (target_share_merit_*, target_share_relevance_*) and their disparate exposure ratios sum other tables of the users and are not released; the catalog share, which no user changes, is published",
    ),
    (
        "over_time",
        "trends over snapshots are not released under differential privacy",
    ),
    (
        "segregation",
        "segregation clusters individual lists and has no DP version",
    ),
    (
        "percentiles",
        "percentiles of per-user values are order statistics of individual users and are not released",
    ),
    (
        "distributions",
        "worst-decile shares, Gini coefficients within groups, worst-off shares and Lorenz curves rest on order statistics of individual users and have no DP version",
    ),
    (
        "subgroups",
        "the subgroup search tests thousands of small intersections on exact data and has no DP version",
    ),
];

/// The DP audit result.
pub(super) fn private_result(
    exact: Exact,
    cfg: &AuditConfig,
    epsilon: f64,
    progress: &dyn Progress,
) -> AuditResult {
    let definitions = Definitions::of_metrics(&exact.user_metrics);
    let Exact {
        input,
        mut slices,
        skipped_slice_columns,
        user_metrics,
        exposure,
        explicit_slices,
        withheld,
        family_notes,
    } = exact;
    let min_size = cfg.slices.min_slice_size;
    let input_release = ReleaseInput {
        metrics: &user_metrics,
        exposure: &exposure,
        explicit_slices,
    };
    let released = release(
        &input_release,
        &mut slices,
        &cfg.privacy,
        epsilon,
        cfg.k,
        &cfg.stats,
        min_size,
    );
    progress.step("exposure-share intervals");
    progress.step("filter bubbles and segregation");

    let mut report = released.report;
    for (part, why) in WITHHELD_PARTS {
        report.withheld.insert(part.to_string(), why.to_string());
    }
    for (part, why) in withheld {
        report.withheld.insert(part, why);
    }
    let mut skipped_slice_columns = skipped_slice_columns;
    skipped_slice_columns.extend(released.skipped);
    report.withheld.insert(
        "input counts".into(),
        "only the number of audited users is published, noised; every other count of the input (rows read, users without consent, items recommended, …) is shown as 0 or null".into(),
    );
    // The number of groups under the threshold is not published (`groups_too_small` is 0): it
    // would count the rare values of a column, a value held by one user included.
    let mut notes = suppression_notes(&[], &skipped_slice_columns, min_size);
    notes.extend(family_notes);
    notes.push(format!(
        "{PRIVATE_NOTE_START} (ε = {epsilon}, δ = {}; ρ = {:.4} in zCDP, split equally over {} noisy counts, sums and exposure vectors, noise sd {:.3} users): every published number is computed from them, and group sizes are noisy. A group is published when its noisy size is at least {}; groups under it are neither named nor counted. Corpus metrics other than exposure shares, trends over time, segregation, percentiles, distributions and the subgroup search are withheld (see privacy.withheld in audit.json).",
        cfg.privacy.delta, report.rho, report.queries, report.noise_sd, report.publication_threshold.ceil()
    ));
    let mut summaries: std::collections::BTreeMap<_, _> = slices
        .iter()
        .map(|c| {
            let mut summary = slice_summary(c);
            summary.groups_too_small = 0;
            summary.groups_withheld = 0;
            (c.name.clone(), summary)
        })
        .collect();
    for (col, sizes) in slices.iter().zip(&released.group_sizes) {
        let summary = summaries.get_mut(&col.name).expect("summarised above");
        for (g, size) in col.groups.iter().zip(sizes) {
            if let Some(s) = summary.groups.get_mut(&g.label) {
                s.n_users = rounded_count(*size);
            }
        }
    }
    let corpus = released.corpus;
    AuditResult {
        schema_version: SCHEMA_VERSION,
        tool: Tool::default(),
        settings: cfg.echoed(),
        input: private_input(input, released.users),
        notes,
        skipped_slice_columns,
        slices: summaries,
        metrics: released.metrics,
        propensity: None,
        corpus,
        over_time: None,
        segregation: None,
        subgroups: Default::default(),
        definitions,
        gates: None,
        provenance: None,
        privacy: Some(report),
        nulls: Default::default(),
    }
}

/// The input summary of a DP audit: the noisy number of audited users; every other count of
/// the users' rows is 0 or `None` (the catalog's size, which no user changes, is kept).
fn private_input(input: InputSummary, users: f64) -> InputSummary {
    InputSummary {
        rows_read: Default::default(),
        users_audited: rounded_count(users),
        catalog_items: input.catalog_items,
        items_recommended: 0,
        recs_rows_beyond_k: 0,
        recs_items_not_in_items_table: 0,
        users_missing_from_users_table: None,
        users_without_consent: None,
        users_without_recommendations: 0,
        truth_rows_unaudited_users: 0,
        truth_duplicate_rows: 0,
        users_without_relevant_items: 0,
        history_users: 0,
        snapshots: input.snapshots,
        samples: 0,
        slice_columns: input.slice_columns,
        item_group_columns: input.item_group_columns,
        users_without_baseline_list: None,
        baseline_users_not_audited: None,
    }
}

/// The per-user metrics whose value depends on the user's own rows only, and why the others are
/// withheld: with popularity from the history, APLT's long tail is cut from every user's history,
/// so adding one user changes other users' values and the sum's sensitivity is not bounded by one
/// user's contribution (ΔGAP's terms, which divide by the number of users, have no clipping range:
/// `privacy::bounds`).
pub(super) fn own_data_metrics(
    metrics: Vec<UserMetric>,
    pop: Option<&Popularity>,
) -> (Vec<UserMetric>, Vec<(String, String)>) {
    let from_history = pop.is_some_and(|p| p.from_history);
    let mut withheld = Vec::new();
    let kept = metrics
        .into_iter()
        .filter(|m| {
            let why = (m.name() == registry::APLT.key && from_history).then_some(
                "the long tail is cut from the history of all users: adding one user can move items between head and tail and change every user's value (with a popularity column in the items table, APLT is published)",
            );
            if let Some(why) = why {
                withheld.push((m.name().to_string(), why.to_string()));
            }
            why.is_none()
        })
        .collect();
    (kept, withheld)
}

/// The exposure masses a DP audit may publish, and the item-group columns withheld.
pub(super) struct ExposureRelease {
    pub masses: Vec<ExposureMasses>,
    pub withheld: Vec<(String, String)>,
}

/// The per-user exposure masses of every item-group column defined by the items table (its
/// categorical columns, the categories, and popularity bands from a popularity column), each
/// list's exposure bounded by W = Σ_{r=1}^{k} w(r); none when `privacy.metrics` leaves out
/// `exposure_share`. Popularity bands cut from the history are withheld: they depend on every
/// user's history.
pub(super) fn exposure_masses(
    ds: &Dataset,
    pop: Option<&Popularity>,
    cfg: &AuditConfig,
) -> ExposureRelease {
    let key = registry::EXPOSURE_SHARE.key;
    let mut withheld = Vec::new();
    let chosen = cfg
        .privacy
        .metrics
        .as_ref()
        .is_none_or(|keys| keys.iter().any(|k| k == key));
    if !chosen {
        withheld.push((
            key.to_string(),
            "not among the metrics chosen for DP publication (privacy.metrics)".to_string(),
        ));
        return ExposureRelease {
            masses: Vec::new(),
            withheld,
        };
    }
    // The popularity bands are published only when cut from the items' popularity column.
    let published_pop = match pop {
        Some(p) if p.from_history => {
            withheld.push((
                format!("{key}_popularity_band"),
                "the popularity bands are cut from the history of all users: one user can move an item between bands".to_string(),
            ));
            None
        }
        other => other,
    };
    let columns = item_group_columns(ds, published_pop);
    let w = cfg.position_weight;
    let bound: f64 = (1..=ds.k.max(1)).map(|r| w.weight(r)).sum();
    let masses = columns
        .into_iter()
        .map(|g| ExposureMasses {
            column: g.name.clone(),
            catalog: g.catalog_share(),
            mass: user_group_exposure(&ds.recs, &g, &w),
            labels: g.labels,
            bound,
        })
        .collect();
    ExposureRelease { masses, withheld }
}
