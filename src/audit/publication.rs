//! What an audit publishes about its slices: the groups shown, the counts that would single people
//! out replaced by `null`, the notes that say what was suppressed and why, and the segregation's
//! groups.

use crate::data::{Categorical, Dataset};
use crate::input::InputSummary;
use crate::metrics::segregation;
use crate::result::{AuditResult, SliceSummary};
use crate::settings::AuditConfig;
use crate::slices::selection::SkippedColumn;
use crate::slices::{disclosure, SliceColumn};

/// Relates the audited slice columns (not intersections) to the clusters and keeps the groups
/// that can be published for the clustered users: those published by the audit, less any that is
/// small among the clustered users or could be recovered from the others by differencing.
pub(super) fn published_segregation(
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

/// The `slices` block entry of a column ([`crate::partial::PlanColumn::summary`], which the
/// mergeable audit computes from the slice plan alone).
pub(super) fn slice_summary(col: &SliceColumn) -> SliceSummary {
    crate::partial::PlanColumn::of(col).summary()
}

/// The counts of audited users in no slice that `input` publishes (without consent, missing from
/// the users table). A count between 1 and `min_size − 1` would single those people out, so it is
/// replaced by `None` (published as `null`); the others are returned for the differencing check.
pub(super) fn published_unsliced_counts(input: &mut InputSummary, min_size: usize) -> Vec<usize> {
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
pub(super) fn suppression_notes(
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
