//! What every chart builder reads besides its own data (the cutoff, the interval level, each
//! slice column's reference group and unpublished groups), and the assembly of a chart from its
//! parts.

use super::omitted::{suppressed_groups, suppressed_note};
use crate::format::fmt_whole_pct;
use crate::report::charts::labels::truncate_label;
use crate::report::charts::layout::{header_height, FOOTNOTE};
use crate::report::charts::model::{Chart, LegendItem, Plot, Section};
use crate::result::AuditResult;

/// The audit with the settings every chart reads.
pub(super) struct BuildContext<'a> {
    /// The audit.
    pub result: &'a AuditResult,
    /// The cutoff k.
    pub k: usize,
    /// The smallest published group.
    pub min_size: usize,
    /// The interval's confidence level (`95%`).
    pub level: String,
}

impl<'a> BuildContext<'a> {
    /// The context of `result`.
    pub fn new(result: &'a AuditResult) -> Self {
        Self {
            result,
            k: result.settings.k,
            min_size: result.settings.slices.min_slice_size,
            level: fmt_whole_pct(result.settings.stats.confidence),
        }
    }

    /// The reference group chosen for slice column `col` with `--reference`, when there is one.
    pub fn reference_of(&self, col: &str) -> Option<String> {
        self.result
            .slices
            .get(col)
            .and_then(|s| s.chosen_reference.clone())
    }

    /// The footnote on the groups of slice column `col` that are not published.
    pub fn suppressed_note_of(&self, col: &str) -> Option<String> {
        let hidden = self
            .result
            .slices
            .get(col)
            .map(suppressed_groups)
            .unwrap_or(0);
        suppressed_note(hidden, self.min_size)
    }
}

/// Assembles a chart, computing its height from the body height.
#[allow(clippy::too_many_arguments)]
pub(super) fn chart(
    name: String,
    section: Section,
    column: Option<String>,
    title: String,
    subtitle: String,
    legend: Vec<LegendItem>,
    footnote: Option<String>,
    width: u32,
    body: u32,
    plot: Plot,
) -> Chart {
    let height =
        header_height(&legend, width) + body + if footnote.is_some() { FOOTNOTE } else { 8 };
    Chart {
        name,
        section,
        column,
        title: truncate_label(&title, 70),
        subtitle,
        legend,
        footnote,
        width,
        height,
        plot,
    }
}
