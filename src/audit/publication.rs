//! What an audit publishes about its slices: the groups shown, the counts that would single people
//! out replaced by `null`, and the segregation's groups.

use std::collections::BTreeMap;

use crate::data::{Categorical, Dataset};
use crate::input::InputSummary;
use crate::metrics::segregation;
use crate::result::SliceSummary;
use crate::settings::AuditConfig;
use crate::slices::{disclosure, SliceColumn};

/// Relates the audited slice columns (not intersections) to the clusters and keeps the groups
/// that can be published for the clustered users: those the audit publishes (`slices`), less
/// any that is small among the clustered users or could be recovered from the others by
/// differencing.
pub(super) fn published_segregation(
    clustering: segregation::Segregation,
    ds: &Dataset,
    slices: &BTreeMap<String, SliceSummary>,
    cfg: &AuditConfig,
) -> segregation::Segregation {
    let audited: Vec<Categorical> = ds
        .slices
        .iter()
        .filter(|c| slices.get(&c.name).is_some_and(|s| s.columns.len() == 1))
        .cloned()
        .collect();
    let mut s = clustering.relate_slices(&audited);
    let codes: Vec<&[u32]> = audited.iter().map(|c| c.codes.as_slice()).collect();
    let shown: Vec<Vec<bool>> = audited
        .iter()
        .map(|c| {
            let published = &slices[&c.name].groups;
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

/// The `slices` block entry of a column ([`crate::partial::PlanColumn::summary`], which the
/// mergeable audit computes from the slice plan alone).
pub(super) fn slice_summary(col: &SliceColumn) -> SliceSummary {
    crate::partial::PlanColumn::of(col).summary()
}

/// The counts of audited users in no slice that `input` publishes (without consent, missing from
/// the users table). A count between 1 and `min_size − 1` would single those people out, so it is
/// replaced by `None` (published as `null`); the others are returned for the differencing check.
pub(crate) fn published_unsliced_counts(input: &mut InputSummary, min_size: usize) -> Vec<usize> {
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
