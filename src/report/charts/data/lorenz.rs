//! Lorenz curves: per slice column, the share of the key quality metric's total held by each
//! published group's poorest 0%, 10%, …, 100% of users (`distribution.lorenz` of `audit.json`),
//! with the line of equal utility. The further a group's curve sags below the diagonal, the more
//! unequally its users are served.

use super::context::{chart, BuildContext};
use crate::format::fmt_pct;
use crate::report::charts::labels::{column_label, file_stem, truncate_label};
use crate::report::charts::layout::{NARROW, X_AXIS};
use crate::report::charts::model::{Chart, LegendItem, LinePanel, Plot, Section, Series, Swatch};
use crate::report::charts::palette::{NOT_SIGNIFICANT_FILL, SERIES};

/// One Lorenz chart per slice column where `key` (a utility metric) has curves, for columns with
/// at most as many groups as there are series colours.
pub(super) fn lorenz_charts(cx: &BuildContext<'_>, key: &str, out: &mut Vec<Chart>) {
    let Some(metric) = cx.result.metrics.get(key) else {
        return;
    };
    let label = crate::report::metric_label(key, cx.result.settings.k);
    for (col, sm) in &metric.slices {
        let Some(d) = &sm.distribution else { continue };
        if d.lorenz.is_empty() || d.lorenz.len() > SERIES.len() {
            continue;
        }
        let points = d.lorenz.values().next().map_or(0, Vec::len);
        let x_labels: Vec<String> = (0..points)
            .map(|i| fmt_pct(i as f64 / (points - 1).max(1) as f64))
            .collect();
        let mut series = vec![Series {
            name: "equal utility".into(),
            values: (0..points)
                .map(|i| Some(i as f64 / (points - 1).max(1) as f64))
                .collect(),
            color: NOT_SIGNIFICANT_FILL,
        }];
        series.extend(d.lorenz.iter().enumerate().map(|(i, (g, curve))| Series {
            name: truncate_label(g, 20),
            values: curve.iter().map(|[_, y]| Some(*y)).collect(),
            color: SERIES[i % SERIES.len()],
        }));
        let legend = series
            .iter()
            .map(|s| LegendItem {
                color: s.color,
                swatch: Swatch::Line,
                label: s.name.clone(),
            })
            .collect();
        // The reading: the share the poorer half of each group holds.
        let half = points / 2;
        let readings: Vec<String> = series[1..]
            .iter()
            .filter_map(|s| {
                let y = s.values.get(half).copied().flatten()?;
                Some(format!("{} {}", s.name, fmt_pct(y)))
            })
            .collect();
        // Short enough for the narrow chart's title line with a long column name.
        let title = format!("How evenly {label} is shared, by {}", column_label(col));
        let description = format!(
            "How evenly {label} is shared within each group, by {}: Lorenz curves, the share of \
             the group's total {label} held by its poorest share of users; the poorer half \
             holds: {}.",
            column_label(col),
            readings.join("; ")
        );
        out.push(chart(
            format!("lorenz_{}", file_stem(col)),
            Section::Quality,
            Some(col.clone()),
            title,
            format!("Share of the group's total {label} held by its poorest users; below the diagonal is inequality."),
            description,
            legend,
            cx.suppressed_note_of(col),
            NARROW,
            34 + 260 + X_AXIS,
            Plot::Lines(vec![LinePanel {
                heading: format!("Share of the group's {label} (%)"),
                percent: true,
                x_title: "share of the group's users, poorest first".into(),
                x_labels,
                series,
                range: (0.0, 1.0),
            }]),
        ));
    }
}
