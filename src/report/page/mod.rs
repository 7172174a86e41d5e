//! `report.html`: the page's view model (every number already formatted as text) and its rendering
//! with minijinja.
//!
//! - `model`: the view model; `context`: what the page is built from.
//! - `findings`: the choice and ranking of the summary's findings (the largest gaps first).
//! - `summary`: gates, comparison and unpublished groups; `sections`, `exposure`, `bubbles`: the
//!   sections; `about`: the input and settings lists.
//!
//! The template is registered as `report.html`, so minijinja auto-escapes every value as HTML:
//! slice labels, column names, notes and paths come from user data and always render as text.
//! Before that, the formatter passes every value through [`visible`], so control, bidi and
//! invisible characters show as `\u{XXXX}` instead of reordering or hiding the text. The only
//! unescaped insertions are the charts' SVG, which [`crate::report::charts`] generated (plotters
//! escapes the markup characters of every text it writes into SVG, and the charts' text is
//! [`visible`]).

mod about;
mod bubbles;
mod context;
mod exposure;
mod findings;
mod model;
mod sections;
mod summary;

use std::borrow::Cow;

use anyhow::{Context, Result};
use minijinja::value::{Serde, Value};
use minijinja::{context, escape_formatter, Environment};

pub use context::RenderedChart;

use super::ReportOptions;
use crate::format::fmt_short;
use crate::report::charts::Section as ChartSection;
use crate::result::AuditResult;
use crate::text::visible;
use about::flatten_json;
use context::PageContext;
use findings::{gap_findings, other_findings};
use model::{fact, Page};
use sections::sections;
use summary::{comparison, gates, suppressed_list};

const TEMPLATE: &str = include_str!("report.html.j2");

/// Renders the page. `charts` are the rendered charts of [`crate::report::charts::build_charts`].
pub fn render_html(
    result: &AuditResult,
    opts: &ReportOptions,
    charts: &[RenderedChart<'_>],
) -> Result<String> {
    let page = page(result, opts, charts);
    let mut env = Environment::new();
    // Text values are made visible, then HTML-escaped; the charts' SVG (marked safe) is not touched.
    env.set_formatter(|out, state, value| match value.as_str().map(visible) {
        Some(Cow::Owned(shown)) if !value.is_safe() => {
            escape_formatter(out, state, &Value::from(shown))
        }
        _ => escape_formatter(out, state, value),
    });
    // The `.html` name turns on HTML auto-escaping.
    env.add_template("report.html", TEMPLATE)
        .context("parsing the report template")?;
    let tmpl = env.get_template("report.html")?;
    let html = tmpl
        .render(context! { page => Value::from(Serde(&page)) })
        .context("rendering the report template")?;
    Ok(html)
}

/// The view model of the page.
fn page<'a>(
    result: &'a AuditResult,
    opts: &ReportOptions,
    charts: &'a [RenderedChart<'a>],
) -> Page {
    let cx = PageContext::new(result, charts);
    let input = &result.input;
    let n_cols = result.slices.len();
    let subtitle = format!(
        "Top-{} recommendations of {} users, {} slice column{}{}",
        cx.k,
        input.users_audited,
        n_cols,
        if n_cols == 1 { "" } else { "s" },
        if input.snapshots.len() >= 2 {
            format!(", {} snapshots", input.snapshots.len())
        } else {
            String::new()
        }
    );
    let facts = vec![
        fact("Users audited", input.users_audited.to_string()),
        fact("Cutoff k", cx.k.to_string()),
        fact(
            "Catalog items (recommended)",
            format!("{} ({})", input.catalog_items, input.items_recommended),
        ),
        fact(
            "Slice columns",
            if n_cols == 0 {
                "none".into()
            } else {
                result.slices.keys().cloned().collect::<Vec<_>>().join(", ")
            },
        ),
        fact(
            "Intervals",
            format!(
                "{} bootstrap, {} resamples",
                cx.level, result.settings.stats.resamples
            ),
        ),
    ];
    let (gaps, n_sig) = gap_findings(&cx);
    let gaps_note = if n_sig == 0 {
        format!(
            "No significant gap between slice groups (Benjamini–Hochberg adjusted p < {} and an interval that excludes no difference).",
            fmt_short(result.settings.stats.alpha)
        )
    } else if n_sig > gaps.len() {
        format!(
            "{} significant gaps in all; the largest are shown. Every gap is in the tables below.",
            n_sig
        )
    } else {
        String::new()
    };
    let overview = cx
        .charts_of(ChartSection::Disparity, None)
        .into_iter()
        .next();
    Page {
        title: "Recommender audit report".into(),
        subtitle,
        tool: format!("{} {}", result.tool.name, result.tool.version),
        facts,
        gaps,
        gaps_note,
        findings: other_findings(&cx),
        gates: opts.gates.as_ref().map(|g| gates(g)),
        overview,
        sections: sections(&cx),
        comparison: opts.comparison.as_ref().map(|rows| comparison(rows)),
        notes: result.notes.clone(),
        suppressed: suppressed_list(&cx),
        input: flatten_json(&serde_json::to_value(&result.input).unwrap_or_default()),
        settings: flatten_json(&serde_json::to_value(&result.settings).unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::test_support::tiny_result;
    use crate::report::{GateLine, GateStatus};

    #[test]
    fn text_is_made_visible_before_html_escaping() {
        let mut result = tiny_result();
        result.notes = vec!["note \u{1B}[2J <b>\u{202E}cba & 女性 ذكر".into()];
        let opts = ReportOptions {
            gates: Some(vec![GateLine {
                name: "gate \u{2066}x\u{2069} · g=\u{200B}F\tM".into(),
                status: GateStatus::Fail,
                detail: "detail \"q\"\r\n".into(),
            }]),
            comparison: None,
        };
        let html = render_html(&result, &opts, &[]).unwrap();
        assert!(html.contains("<li>note \\u{1B}[2J &lt;b&gt;\\u{202E}cba &amp; 女性 ذكر</li>"));
        assert!(html.contains(
            "<b>gate \\u{2066}x\\u{2069} · g=\\u{200B}F\\u{9}M</b> — detail &quot;q&quot;\\u{D}\\u{A}</li>"
        ));
        for c in [
            '\u{1B}', '\u{202E}', '\u{2066}', '\u{2069}', '\u{200B}', '\t', '\r',
        ] {
            assert!(!html.contains(c), "{c:?} reached the page");
        }
    }
}
