//! The audit's story in sentences, shared by the page and the terminal: the significant gaps
//! between slice groups, each framed around its worse-off group and ranked by harm ([`gaps()`]);
//! the status of each area of the audit ([`areas`]); and the one-sentence [`verdict`].
//!
//! Every sentence names groups by their slice column and label only (never a user) and only
//! published groups: the result holds no other.

pub mod areas;
pub mod gaps;

pub use areas::{area_statuses, Area, AreaStatus, Status};
pub use gaps::{gaps, top_findings, Gap};

use crate::result::AuditResult;

/// How many findings the summary of the page and the terminal show at most.
pub const TOP_FINDINGS: usize = 5;

/// The one-sentence verdict: whether an area is of concern, which, and who is worst off.
pub fn verdict(result: &AuditResult, areas: &[AreaStatus], top: &[Gap]) -> String {
    let named = |s: Status| -> Vec<&str> {
        areas
            .iter()
            .filter(|a| a.status == s)
            .map(|a| a.area.title())
            .collect()
    };
    let concerns = named(Status::Concern);
    let watch = named(Status::Watch);
    let worst = top
        .first()
        .map(|g| format!(" The worst-off group is {}: {}.", g.who(), g.headline()));
    if !concerns.is_empty() {
        format!(
            "Not fair to every group: {} of {} measured areas {} a concern ({}).{}",
            concerns.len(),
            areas
                .iter()
                .filter(|a| a.status != Status::NotMeasured)
                .count(),
            if concerns.len() == 1 { "shows" } else { "show" },
            concerns.join(", "),
            worst.unwrap_or_default()
        )
    } else if !watch.is_empty() {
        format!(
            "No large gap, but {} area{} to watch ({}).{}",
            watch.len(),
            if watch.len() == 1 { "" } else { "s" },
            watch.join(", "),
            worst.unwrap_or_default()
        )
    } else if result.metrics.is_empty() && result.segregation.is_none() {
        "Nothing was measured: see the notes of the audit.".into()
    } else {
        "No significant gap between groups in any measured area.".into()
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
