//! The differentially private audit (`--dp-epsilon`): the per-user metrics released by
//! [`crate::privacy::release`], every exact count of the input replaced or withheld, and the
//! parts without a DP version (corpus metrics, exposure shares, trends, segregation) withheld
//! with a stated reason.

use super::publication::{slice_summary, suppression_notes};
use super::{AuditConfig, Progress};
use crate::input::InputSummary;
use crate::metrics::UserMetric;
use crate::privacy::release::{release, rounded_count};
use crate::result::{AuditResult, CorpusResult, Definitions, Tool, SCHEMA_VERSION};
use crate::slices::selection::SkippedColumn;
use crate::slices::SliceColumn;

/// What the exact pipeline computed before the release: nothing of it is published as is.
pub(super) struct Exact {
    pub input: InputSummary,
    pub slices: Vec<SliceColumn>,
    pub skipped_slice_columns: Vec<SkippedColumn>,
    pub user_metrics: Vec<UserMetric>,
    /// The notes on skipped metric families (they name no count).
    pub family_notes: Vec<String>,
}

/// The parts of an audit that have no DP version, each with why it is withheld.
pub(crate) const WITHHELD_PARTS: [(&str, &str); 6] = [
    (
        "corpus",
        "corpus metrics (coverage, Gini, exposure shares, size-matched comparisons) count items over every list; a DP version would need per-item noise over the catalog and is not implemented",
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
        family_notes,
    } = exact;
    let min_size = cfg.slices.min_slice_size;
    let released = release(
        &user_metrics,
        &mut slices,
        &cfg.privacy,
        epsilon,
        cfg.k,
        &cfg.stats,
        min_size,
    );
    progress.step("exposure, coverage and corpus metrics");
    progress.step("exposure-share intervals");
    progress.step("filter bubbles and segregation");

    let mut report = released.report;
    for (part, why) in WITHHELD_PARTS {
        report.withheld.insert(part.to_string(), why.to_string());
    }
    report.withheld.insert(
        "input counts".into(),
        "only the number of audited users is published, noised; every other count of the input (rows read, users without consent, items recommended, …) is shown as 0 or null".into(),
    );
    let mut notes = suppression_notes(&slices, &skipped_slice_columns, min_size);
    notes.extend(family_notes);
    notes.push(format!(
        "This is a differentially private audit (ε = {epsilon}, δ = {}; ρ = {:.4} in zCDP, split equally over {} noisy counts and sums, noise sd {:.3} users): every published number is computed from them, and group sizes are noisy. Corpus metrics, exposure shares, trends over time, segregation, percentiles, distributions and the subgroup search are withheld (see privacy.withheld in audit.json).",
        cfg.privacy.delta, report.rho, report.queries, report.noise_sd
    ));
    let mut summaries: std::collections::BTreeMap<_, _> = slices
        .iter()
        .map(|c| (c.name.clone(), slice_summary(c)))
        .collect();
    for (col, sizes) in slices.iter().zip(&released.group_sizes) {
        let summary = summaries.get_mut(&col.name).expect("summarised above");
        for (g, size) in col.groups.iter().zip(sizes) {
            if let Some(s) = summary.groups.get_mut(&g.label) {
                s.n_users = rounded_count(*size);
            }
        }
    }
    let mut corpus = CorpusResult::default();
    for col in &slices {
        corpus.slices.insert(col.name.clone(), Default::default());
    }
    AuditResult {
        schema_version: SCHEMA_VERSION,
        tool: Tool::default(),
        settings: cfg.echoed(),
        input: private_input(input, released.users),
        notes,
        skipped_slice_columns,
        slices: summaries,
        metrics: released.metrics,
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
