//! An invalid setting named as the user gave it: the flag and its value as typed when a flag set
//! it, the settings file (or "invalid settings") otherwise.

use crate::cli::args::AuditArgs;
use crate::metrics::quality::PropensityGamma;
use crate::settings::InvalidSetting;

/// How many entries of the list settings came from the settings file (the flags' entries follow).
pub(super) struct FileEntries {
    /// Intersections of the settings file.
    pub(super) intersections: usize,
    /// `[[buckets]]` of the settings file.
    pub(super) buckets: usize,
}

/// The error for the invalid setting `e`: `invalid value `v` for --flag: expected ...` when a flag
/// of `a` set it, else the message of `e` after the settings file's path (or `invalid settings`).
pub(super) fn invalid_setting(
    e: &InvalidSetting,
    a: &AuditArgs,
    file: &FileEntries,
) -> anyhow::Error {
    match flag_value(e, a, file) {
        Some((flag, value)) => anyhow::anyhow!(
            "invalid value `{value}` for {flag}: expected {}",
            e.expected
        ),
        None => match &a.config {
            Some(p) => anyhow::anyhow!("{}: {e}", p.display()),
            None => anyhow::anyhow!("invalid settings: {e}"),
        },
    }
}

/// The flag, and its value as given, that set the setting `e` names; `None` when the value came
/// from the settings file.
fn flag_value(
    e: &InvalidSetting,
    a: &AuditArgs,
    file: &FileEntries,
) -> Option<(&'static str, String)> {
    let given = |flag: &'static str, v: Option<String>| v.map(|v| (flag, v));
    let text = |v: &Option<String>| v.clone();
    let number = |v: Option<f64>| v.map(crate::settings::number_text);
    let count = |v: Option<usize>| v.map(|x| x.to_string());
    let entry = |flag: &'static str, specs: &[String], from_file: usize| {
        let i = e.index?.checked_sub(from_file)?;
        specs.get(i).map(|s| (flag, s.clone()))
    };
    let list = |flag: &'static str, v: &Option<Vec<String>>| {
        let v = v.as_ref()?;
        v.get(e.index?).map(|s| (flag, s.clone()))
    };
    match (e.section, e.key) {
        (None, "k") => given("--k", count(a.k)),
        (Some("position_weight"), "patience") => given("--patience", number(a.patience)),
        (None, "head_share") => given("--head-share", number(a.head_share)),
        (None, "propensity_gamma") => given(
            "--propensity-gamma",
            number(a.propensity_gamma.and_then(PropensityGamma::given)),
        ),
        (None, "rbo_persistence") => given("--rbo-persistence", number(a.rbo_persistence)),
        (None, "buckets") => entry("--bucket", &a.bucket, file.buckets),
        (Some("slices"), "min_slice_size") => given("--min-slice-size", count(a.min_slice_size)),
        (Some("slices"), "intersections") => entry("--intersect", &a.intersect, file.intersections),
        (Some("bubble"), "narrowing_threshold") => {
            given("--narrowing-threshold", number(a.narrowing_threshold))
        }
        (Some("bubble"), "min_history") => given("--min-history", count(a.min_history)),
        (Some("bubble"), "n_clusters") => given("--clusters", count(a.clusters)),
        (Some("stats"), "resamples") => given("--bootstrap", count(a.bootstrap)),
        (Some("stats"), "bootstrap_units") => given("--bootstrap-units", count(a.bootstrap_units)),
        (Some("columns"), "user") => given("--user-col", text(&a.user_col)),
        (Some("columns"), "item") => given("--item-col", text(&a.item_col)),
        (Some("columns"), "rank") => given("--rank-col", text(&a.rank_col)),
        (Some("columns"), "score") => given("--score-col", text(&a.score_col)),
        (Some("columns"), "snapshot") => given("--snapshot-col", text(&a.snapshot_col)),
        (Some("columns"), "consent") => given("--consent-col", text(&a.consent_col)),
        (Some("columns"), "category") => given("--category-col", text(&a.category_col)),
        (Some("columns"), "slices") => list("--slices", &a.slices),
        (Some("columns"), "item_groups") => list("--item-groups", &a.item_groups),
        (Some("privacy"), "epsilon") => given("--dp-epsilon", number(a.dp_epsilon)),
        (Some("privacy"), "metrics") => list("--dp-metrics", &a.dp_metrics),
        _ => None,
    }
}
