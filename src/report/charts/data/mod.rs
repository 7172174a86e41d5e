//! Chart data: which charts the report draws and what each shows, built from an [`AuditResult`]
//! by pure functions (absent and suppressed groups dropped, rows sorted, long lists cut in the
//! middle, intervals turned into whiskers). Nothing here draws.

mod axis;
mod bars;
mod clusters;
mod context;
mod describe;
mod glance;
mod lines;
mod lorenz;
mod omitted;
mod owed;
mod shares;

use std::collections::BTreeSet;

pub use axis::{axis_range, bar_range, whisker};
pub use bars::{metric_bars, reference_value};
pub use clusters::{merge_series, series_colors, stack_rows};
pub use glance::{glance_metrics, glance_panel, glance_range, GLANCE_LIMITS, GLANCE_ROWS};
pub use omitted::{cap_rows, suppressed_groups, MAX_ROWS};
pub use shares::{exposure_columns, share_rows};

use super::model::Chart;
use crate::result::AuditResult;
use context::BuildContext;

/// Every chart of the report, in page order. Charts whose data is absent are skipped.
pub fn build_charts(result: &AuditResult) -> Vec<Chart> {
    let mut out: Vec<Chart> = Vec::new();
    let cx = BuildContext::new(result);
    // Every family's ratios to the reference at a glance, then per-slice bars of the key
    // quality metric.
    glance::glance_chart(&cx, &mut out);
    if let Some(key) = key_metric(result) {
        bars::quality_charts(&cx, key, &mut out);
        lorenz::lorenz_charts(&cx, key, &mut out);
    }
    shares::exposure_charts(&cx, &mut out);
    owed::owed_charts(&cx, &mut out);
    bars::popularity_charts(&cx, &mut out);
    bars::narrowing_charts(&cx, &mut out);
    lines::over_time_charts(&cx, &mut out);
    clusters::segregation_charts(&cx, &mut out);

    // Unique file names.
    let mut seen = BTreeSet::new();
    for c in &mut out {
        let mut name = c.name.clone();
        let mut i = 2;
        while !seen.insert(name.clone()) {
            name = format!("{}_{i}", c.name);
            i += 1;
        }
        c.name = name;
    }
    out
}

/// The metric the per-slice quality bars show: NDCG when present, else the
/// first present of recall, hit, precision, MRR, long-tail share, ILD, list entropy, else any
/// higher-is-better metric.
pub fn key_metric(result: &AuditResult) -> Option<&str> {
    const ORDER: [&str; 8] = [
        "ndcg",
        "recall",
        "hit",
        "precision",
        "mrr",
        "aplt",
        "ild",
        "list_entropy",
    ];
    let has = |n: &str| {
        result
            .metrics
            .get(n)
            .is_some_and(|m| m.overall.value.is_some())
    };
    ORDER.iter().copied().find(|n| has(n)).or_else(|| {
        result
            .metrics
            .iter()
            .find(|(_, m)| m.better == crate::metrics::Better::Higher)
            .map(|(n, _)| n.as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::build_charts;
    use crate::report::charts::model::Plot;
    use crate::report::test_support::{check_chart_files, conformance, over_time_example};
    use crate::report::{write_report, ReportOptions};

    #[test]
    fn no_two_series_of_a_chart_share_a_colour() {
        let mut checked = 0;
        for result in [over_time_example(), conformance()] {
            for c in build_charts(result) {
                let colors = match &c.plot {
                    Plot::Lines(panels) => panels
                        .iter()
                        .map(|p| p.series.iter().map(|s| s.color).collect::<Vec<_>>())
                        .collect(),
                    Plot::Stacked(p) => vec![p.colors.clone()],
                    _ => continue,
                };
                for colors in colors {
                    for (i, a) in colors.iter().enumerate() {
                        assert!(!colors[i + 1..].contains(a), "{}: {a:?} repeats", c.name);
                    }
                    checked += 1;
                }
                // Each legend entry has its own colour and swatch.
                for (i, a) in c.legend.iter().enumerate() {
                    assert!(
                        !c.legend[i + 1..]
                            .iter()
                            .any(|b| b.color == a.color && b.swatch == a.swatch),
                        "{}: legend {} repeats a swatch",
                        c.name,
                        a.label
                    );
                }
            }
        }
        assert!(checked >= 3);
    }

    #[test]
    fn over_time_and_segregation_charts_are_drawn() {
        let result = over_time_example();
        assert!(result.over_time.is_some() && result.segregation.is_some());
        let dir = tempfile::tempdir().unwrap();
        let files = write_report(result, dir.path(), &ReportOptions::default()).unwrap();
        let names: Vec<&str> = files.charts.iter().map(|c| c.name.as_str()).collect();
        for want in [
            "over_time",
            "over_time_age_band",
            "segregation_region",
            "exposure_owed_provider",
        ] {
            assert!(names.contains(&want), "missing chart {want}: {names:?}");
        }
        let html = std::fs::read_to_string(&files.html).unwrap();
        assert!(html.contains("id=\"over_time\""));
        assert!(html.contains("list diversity is narrowing"));
        assert!(std::fs::metadata(&files.html).unwrap().len() < 2_000_000);
        check_chart_files(&files);
    }
}
