//! The verdict card of the page: the areas with their status, and the top findings as sentences,
//! from [`crate::report::findings`].

use super::model::{AreaView, Finding};
use crate::report::findings::{AreaStatus, Gap, Status};

/// The CSS class, symbol and word of an area's status.
fn status_look(s: Status) -> (&'static str, &'static str) {
    match s {
        Status::Concern => ("concern", "▼"),
        Status::Watch => ("watch", "!"),
        Status::Ok => ("ok", "✓"),
        Status::NotMeasured => ("na", "–"),
    }
}

/// The areas of the verdict card, each linked to its section.
pub(super) fn area_views(areas: &[AreaStatus]) -> Vec<AreaView> {
    areas
        .iter()
        .map(|a| {
            let (status, symbol) = status_look(a.status);
            let title = a.area.title();
            AreaView {
                title: format!("{}{}", title[..1].to_uppercase(), &title[1..]),
                status,
                symbol,
                word: a.status.word(),
                reason: a.reason.clone(),
                anchor: a.area.anchor(),
            }
        })
        .collect()
}

/// The top findings as sentences, all about a worse-off group.
pub(super) fn finding_views(top: &[Gap]) -> Vec<Finding> {
    top.iter()
        .map(|g| Finding {
            text: g.sentence(),
            tone: "worse",
        })
        .collect()
}
