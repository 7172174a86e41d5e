//! `report.html`: the page's view model (every number already formatted as text) and its rendering
//! with minijinja.
//!
//! The page tells its story first: a verdict card (one sentence, a status per area linked to its
//! evidence, the top findings from [`crate::report::findings`], the gates with failures first),
//! then the disparity charts at a glance, then one section per area, folded to one line when
//! nothing in it is significant, with per-column detail as drill-downs; a methodology appendix
//! and the input and settings close it.
//!
//! - `model`: the view model; `context`: what the page is built from; `story`: the verdict card.
//! - `summary`: gates, the comparison with a baseline and unpublished groups; `observations`:
//!   exposure, popularity and bubble sentences; `sections`, `exposure`, `bubbles`, `change`: the
//!   sections;
//!   `methodology`: the appendix and glossary; `about`: the input and settings lists.
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
mod change;
mod context;
mod distribution;
mod exposure;
mod methodology;
mod model;
mod observations;
mod privacy;
mod sections;
mod story;
mod subgroups;
mod summary;

use std::borrow::Cow;

use anyhow::{Context, Result};
use minijinja::value::{Serde, Value};
use minijinja::{context, escape_formatter, Environment};

pub use context::RenderedChart;

use super::ReportOptions;
use crate::format::{fmt_pct, fmt_short};
use crate::report::charts::{suppressed_groups, Section as ChartSection};
use crate::report::findings::{area_statuses, gaps, top_findings, verdict, TOP_FINDINGS};
use crate::result::AuditResult;
use crate::text::visible;
use about::flatten_json;
use context::PageContext;
use methodology::{glossary, methodology};
use model::{fact, Page};
use observations::other_findings;
use privacy::privacy_card;
use sections::sections;
use story::{area_views, finding_views};
use summary::{changes, comparison, gates, suppressed_list};

const TEMPLATE: &str = include_str!("report.html.j2");
const STYLE: &str = include_str!("report.css");

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
    env.add_template("report.css", STYLE)
        .context("parsing the report style sheet")?;
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
    let all_gaps = gaps(result);
    let top = top_findings(&all_gaps, TOP_FINDINGS);
    let areas = area_statuses(result, &all_gaps, opts.gates.as_deref());
    let gaps_note = if all_gaps.is_empty() {
        format!(
            "No significant gap between slice groups (Benjamini–Hochberg adjusted p < {} and an interval that excludes no difference).",
            fmt_short(result.settings.stats.alpha)
        )
    } else {
        format!(
            "{} significant gap{} between groups in all, ranked by harm (effect size × share of users); every one is in the tables of the sections below.",
            all_gaps.len(),
            if all_gaps.len() == 1 { "" } else { "s" }
        )
    };
    Page {
        title: if result.privacy.is_some() {
            "Recommender audit report (differentially private)".into()
        } else {
            "Recommender audit report".into()
        },
        privacy: privacy_card(result),
        verdict: verdict(result, &areas, &top),
        subtitle,
        tool: format!("{} {}", result.tool.name, result.tool.version),
        facts: header_facts(&cx),
        areas: area_views(&areas),
        gaps: finding_views(&top),
        gaps_note,
        findings: other_findings(&cx),
        changes: opts
            .comparison
            .as_ref()
            .map(|rows| changes(rows, cx.k, TOP_FINDINGS)),
        gates: opts.gates.as_ref().map(|g| gates(g)),
        overview: cx.charts_of(ChartSection::Disparity, None),
        sections: sections(&cx),
        comparison: opts.comparison.as_ref().map(|rows| comparison(rows)),
        glossary: glossary(result),
        methodology: methodology(result),
        notes: result.notes.clone(),
        suppressed: suppressed_list(&cx),
        input: flatten_json(&serde_json::to_value(&result.input).unwrap_or_default()),
        settings: flatten_json(&serde_json::to_value(&result.settings).unwrap_or_default()),
        downloads: downloads(result),
    }
}

/// `audit.json` and the CSV tables written beside the page (`crate::tables`).
fn downloads(result: &AuditResult) -> Vec<model::Fact> {
    std::iter::once(model::fact(
        "Every number, with definitions and provenance (JSON)",
        "audit.json",
    ))
    .chain(crate::tables::table_files(result).into_iter().map(|t| {
        model::fact(
            format!("{} (CSV)", t.title),
            t.path.to_string_lossy().replace('\\', "/"),
        )
    }))
    .collect()
}

/// The header's facts: who was audited, who is left out of group comparisons and why, what is
/// not published, and how sure the numbers are.
fn header_facts(cx: &PageContext<'_>) -> Vec<model::Fact> {
    let result = cx.result;
    let input = &result.input;
    let no_consent = input.users_without_consent.unwrap_or(0);
    let missing = input.users_missing_from_users_table.unwrap_or(0);
    let left_out = no_consent + missing;
    let mut out_why = Vec::new();
    if no_consent > 0 {
        out_why.push(format!("{no_consent} without consent"));
    }
    if missing > 0 {
        out_why.push(format!("{missing} not in the users table"));
    }
    let hidden: usize = result.slices.values().map(suppressed_groups).sum();
    let hidden_cols = result
        .slices
        .values()
        .filter(|s| suppressed_groups(s) > 0)
        .count();
    if let Some(p) = &result.privacy {
        return vec![
            fact(
                "Users audited",
                format!("{} (noisy count)", input.users_audited),
            ),
            fact(
                "Privacy",
                format!("differentially private, ε = {}", fmt_short(p.epsilon)),
            ),
            fact(
                "Unpublished groups",
                format!(
                    "groups with a noisy size under {} users (not named or counted)",
                    crate::format::fmt_num(p.publication_threshold.ceil())
                ),
            ),
            fact("Cutoff k", cx.k.to_string()),
            fact(
                "Intervals",
                format!("{} normal, sampling and DP noise", cx.level),
            ),
        ];
    }
    vec![
        fact("Users audited", input.users_audited.to_string()),
        fact(
            "In group comparisons",
            if left_out == 0 {
                "all".to_string()
            } else {
                format!(
                    "{} ({} left out: {})",
                    input.users_audited.saturating_sub(left_out),
                    fmt_pct(left_out as f64 / input.users_audited.max(1) as f64),
                    out_why.join(", ")
                )
            },
        ),
        fact(
            "Suppressed groups",
            if hidden == 0 {
                format!("none (every group has ≥ {} users)", cx.min_size)
            } else {
                format!(
                    "{hidden} in {hidden_cols} column{} (under {} users or withheld; not named or sized)",
                    if hidden_cols == 1 { "" } else { "s" },
                    cx.min_size
                )
            },
        ),
        fact("Cutoff k", cx.k.to_string()),
        fact(
            "Items recommended",
            format!("{} of {}", input.items_recommended, input.catalog_items),
        ),
        fact(
            "Intervals",
            format!(
                "{} bootstrap, {} resamples",
                cx.level, result.settings.stats.resamples
            ),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::test_support::tiny_result;
    use crate::report::{GateLine, GateStatus};

    /// The colour `#RRGGBB` of CSS custom property `--name` in `report.css`.
    fn css_colour(name: &str) -> plotters::style::RGBColor {
        let css = include_str!("report.css");
        let at = css
            .find(&format!("--{name}:"))
            .unwrap_or_else(|| panic!("--{name} is not in report.css"));
        let hex = &css[at + name.len() + 3..][..7];
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap();
        assert!(hex.starts_with('#'), "--{name}: {hex}");
        plotters::style::RGBColor(byte(1), byte(3), byte(5))
    }

    #[test]
    fn text_colours_contrast_at_least_4_5_to_1() {
        use crate::report::charts::palette::contrast;
        let white = plotters::style::RGBColor(0xFF, 0xFF, 0xFF);
        let soft = css_colour("soft");
        for text in [
            "ink",
            "muted",
            "worse-text",
            "better-text",
            "ns-text",
            "ok-text",
            "link",
        ] {
            for (bg, fill) in [("white", white), ("soft", soft)] {
                let c = contrast(css_colour(text), fill);
                assert!(c >= 4.5, "--{text} on {bg}: {c:.2}:1");
            }
        }
        // The concern and failed badges are white text on the worse colour.
        let c = contrast(white, css_colour("worse"));
        assert!(c >= 4.5, "white on --worse: {c:.2}:1");
    }

    #[test]
    fn the_page_links_audit_json_and_every_csv_table() {
        let result = tiny_result();
        let html = render_html(&result, &ReportOptions::default(), &[]).unwrap();
        assert!(
            html.contains(r#"<a href="audit.json">"#),
            "no link to audit.json"
        );
        let tables = crate::tables::table_files(&result);
        assert!(!tables.is_empty());
        for t in tables {
            let file = t.path.file_name().unwrap().to_string_lossy().into_owned();
            assert!(
                html.contains(&format!(r#"href="tables&#x2f;{file}""#)),
                "no link to tables/{file}"
            );
            assert!(html.contains(&format!("{} (CSV)", t.title)));
        }
    }

    #[test]
    fn text_is_made_visible_before_html_escaping() {
        let mut result = tiny_result();
        result.notes = vec!["note \u{1B}[2J <b>\u{202E}cba & 女性 ذكر".into()];
        let opts = ReportOptions {
            gates: Some(vec![GateLine {
                name: "gate \u{2066}x\u{2069} · g=\u{200B}F\tM".into(),
                status: GateStatus::Fail,
                detail: "detail \"q\"\r\n".into(),
                metric: "ndcg".into(),
            }]),
            comparison: None,
        };
        let html = render_html(&result, &opts, &[]).unwrap();
        assert!(html.contains("<li>note \\u{1B}[2J &lt;b&gt;\\u{202E}cba &amp; 女性 ذكر</li>"));
        assert!(html.contains(
            "<b>gate \\u{2066}x\\u{2069} · g=\\u{200B}F\\u{9}M</b><span class=\"rule\">detail &quot;q&quot;\\u{D}\\u{A}</span></li>"
        ));
        for c in [
            '\u{1B}', '\u{202E}', '\u{2066}', '\u{2069}', '\u{200B}', '\t', '\r',
        ] {
            assert!(!html.contains(c), "{c:?} reached the page");
        }
    }
}
