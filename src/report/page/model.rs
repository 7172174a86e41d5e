//! The page's view model: every number already formatted as text, serialised into the template.

use serde::Serialize;

/// A labelled value (a fact of the header, a meaning, a setting).
#[derive(Debug, Clone, Serialize)]
pub(super) struct Fact {
    pub label: String,
    pub value: String,
}

/// A [`Fact`].
pub(super) fn fact(label: impl Into<String>, value: impl Into<String>) -> Fact {
    Fact {
        label: label.into(),
        value: value.into(),
    }
}

/// A sentence of the summary; `tone` is `worse`, `better`, `warn`, `ok` or `info`.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Finding {
    pub text: String,
    pub tone: &'static str,
}

/// A chart as the page inlines it.
#[derive(Debug, Clone, Serialize)]
pub(super) struct ChartView {
    pub name: String,
    pub title: String,
    pub svg: String,
    pub wide: bool,
}

/// A table cell: its text, lines under it, a CSS class and how many columns it spans.
#[derive(Debug, Clone, Default, Serialize)]
pub(super) struct Cell {
    pub text: String,
    pub sub: Vec<String>,
    pub class: &'static str,
    pub colspan: usize,
}

/// A plain one-column [`Cell`].
pub(super) fn cell(text: impl Into<String>) -> Cell {
    Cell {
        text: text.into(),
        colspan: 1,
        ..Cell::default()
    }
}

/// A table of the page; its caption is required (screen readers announce it).
#[derive(Debug, Clone, Default, Serialize)]
pub(super) struct HtmlTable {
    pub caption: String,
    pub head: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    pub note: String,
}

/// A sub-section (one slice column or item-group column), folded: a drill-down.
#[derive(Debug, Clone, Default, Serialize)]
pub(super) struct SectionPart {
    pub id: String,
    pub title: String,
    pub status: String,
    pub charts: Vec<ChartView>,
    pub tables: Vec<HtmlTable>,
    pub suppressed: Vec<String>,
}

/// A section of the page: open when it holds a significant gap (or has no groups to compare),
/// folded to its summary line otherwise.
#[derive(Debug, Clone, Default, Serialize)]
pub(super) struct PageSection {
    pub id: &'static str,
    pub title: String,
    pub open: bool,
    pub status: String,
    pub intro: String,
    pub meanings: Vec<Fact>,
    pub charts: Vec<ChartView>,
    pub tables: Vec<HtmlTable>,
    pub parts: Vec<SectionPart>,
}

/// One gate line: its name in plain words, its status and the exact rule as a detail line.
#[derive(Debug, Clone, Serialize)]
pub(super) struct GateView {
    pub name: String,
    pub status: &'static str,
    pub detail: String,
}

/// The gates block of the summary: failures shown, passes and skips folded.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Gates {
    pub headline: String,
    pub failed: Vec<GateView>,
    pub others: Vec<GateView>,
}

/// One area of the verdict card: its status (a CSS class, a symbol and a word) and its reason,
/// linked to the section with its evidence.
#[derive(Debug, Clone, Serialize)]
pub(super) struct AreaView {
    pub title: String,
    pub status: &'static str,
    pub symbol: &'static str,
    pub word: &'static str,
    pub reason: String,
    pub anchor: &'static str,
}

/// What changed since a baseline: a headline and the largest changes as sentences.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Changes {
    pub headline: String,
    pub lines: Vec<Finding>,
}

/// The whole page.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Page {
    pub title: String,
    /// The privacy card of a differentially private audit.
    pub privacy: Option<super::privacy::PrivacyCard>,
    pub verdict: String,
    pub subtitle: String,
    pub tool: String,
    pub facts: Vec<Fact>,
    pub areas: Vec<AreaView>,
    pub gaps: Vec<Finding>,
    pub gaps_note: String,
    pub findings: Vec<Finding>,
    pub changes: Option<Changes>,
    pub gates: Option<Gates>,
    pub overview: Vec<ChartView>,
    pub sections: Vec<PageSection>,
    pub comparison: Option<HtmlTable>,
    pub glossary: Vec<Fact>,
    pub methodology: Vec<Fact>,
    pub notes: Vec<String>,
    pub suppressed: Vec<Fact>,
    pub input: Vec<Fact>,
    pub settings: Vec<Fact>,
    /// The files beside the page that hold every number as data: label = what it holds,
    /// value = its path relative to the page.
    pub downloads: Vec<Fact>,
}
