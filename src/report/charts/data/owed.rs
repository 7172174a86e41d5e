//! Exposure owed over time: per item-group column, each group's cumulative exposure share minus
//! its cumulative merit share after each snapshot, A_t − R_t (`over_time.exposure_owed` of
//! `audit.json`; Biega, Gummadi & Weikum 2018). Below 0 the group is owed attention, above 0 it
//! got more than its merit; the line of 0 is attention that followed merit.

use super::axis::axis_range;
use super::context::{chart, BuildContext};
use crate::format::fmt_num;
use crate::report::charts::labels::{column_label, file_stem, truncate_label};
use crate::report::charts::layout::{NARROW, X_AXIS};
use crate::report::charts::model::{Chart, LegendItem, LinePanel, Plot, Section, Series, Swatch};
use crate::report::charts::palette::{NOT_SIGNIFICANT_FILL, SERIES};

/// One chart per item-group column with exposure owed, for columns with at most as many groups
/// as there are series colours; in the exposure section's part of that column.
pub(super) fn owed_charts(cx: &BuildContext<'_>, out: &mut Vec<Chart>) {
    let Some(ot) = &cx.result.over_time else {
        return;
    };
    for (col, owed) in &ot.exposure_owed {
        if owed.groups.is_empty() || owed.groups.len() > SERIES.len() {
            continue;
        }
        let n = ot.snapshots.len();
        let mut series = vec![Series {
            name: "owed nothing".into(),
            values: vec![Some(0.0); n],
            color: NOT_SIGNIFICANT_FILL,
        }];
        series.extend(owed.groups.iter().enumerate().map(|(i, (g, o))| {
            Series {
                name: truncate_label(g, 20),
                values: (0..n)
                    .map(|t| Some(o.exposure.get(t)? - o.merit.get(t)?).filter(|v| v.is_finite()))
                    .collect(),
                color: SERIES[i % SERIES.len()],
            }
        }));
        let range = axis_range(
            series
                .iter()
                .flat_map(|s| s.values.iter().flatten().copied()),
            true,
        );
        let legend = series
            .iter()
            .map(|s| LegendItem {
                color: s.color,
                swatch: Swatch::Line,
                label: s.name.clone(),
            })
            .collect();
        let title = format!("Exposure owed over snapshots by {}", column_label(col));
        let last: Vec<String> = series[1..]
            .iter()
            .filter_map(|s| {
                Some(format!(
                    "{} {}",
                    s.name,
                    fmt_num(s.values.last()?.as_ref().copied()?)
                ))
            })
            .collect();
        let description = format!(
            "{title}: each group's cumulative exposure share minus its cumulative merit share after each snapshot (below 0: owed attention); after the last snapshot: {}.",
            last.join("; ")
        );
        out.push(chart(
            format!("exposure_owed_{}", file_stem(col)),
            Section::Exposure,
            Some(col.clone()),
            title,
            "Cumulative exposure minus cumulative merit, in snapshots' worth of attention; below 0 the group is owed attention.".into(),
            description,
            legend,
            None,
            NARROW,
            34 + 260 + X_AXIS,
            Plot::Lines(vec![LinePanel {
                heading: "A_t − R_t (snapshots' worth)".into(),
                percent: false,
                x_title: "snapshot".into(),
                x_labels: ot.snapshots.clone(),
                series,
                range,
            }]),
        ));
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::metrics::exposure::{ExposureOwed, OwedGroup};
    use crate::report::charts::data::build_charts;
    use crate::report::charts::model::{Plot, Section};
    use crate::report::test_support::over_time_example;

    #[test]
    fn a_line_per_group_of_cumulative_exposure_minus_merit() {
        // Two snapshots. A: cumulative exposure 0.75, 1.5 against merit 0.5, 1 → +0.25, +0.5.
        // B: 0.25, 0.5 against 0.5, 1 → −0.25, −0.5 (owed attention).
        let mut r = over_time_example().clone();
        let ot = r.over_time.as_mut().unwrap();
        ot.snapshots = vec!["1".into(), "2".into()];
        let group = |exposure: [f64; 2], merit: [f64; 2]| OwedGroup {
            exposure: exposure.to_vec(),
            merit: merit.to_vec(),
            unfairness: (exposure[1] - merit[1]).abs(),
        };
        ot.exposure_owed = BTreeMap::from([(
            "provider".to_string(),
            ExposureOwed {
                groups: BTreeMap::from([
                    ("A".to_string(), group([0.75, 1.5], [0.5, 1.0])),
                    ("B".to_string(), group([0.25, 0.5], [0.5, 1.0])),
                ]),
                amortised_unfairness: 1.0,
            },
        )]);
        let charts = build_charts(&r);
        let c = charts
            .iter()
            .find(|c| c.name == "exposure_owed_provider")
            .expect("the chart");
        assert_eq!(c.section, Section::Exposure);
        assert_eq!(c.column.as_deref(), Some("provider"));
        let Plot::Lines(panels) = &c.plot else {
            panic!("a line chart")
        };
        let lines: Vec<(&str, &[Option<f64>])> = panels[0]
            .series
            .iter()
            .map(|s| (s.name.as_str(), s.values.as_slice()))
            .collect();
        assert_eq!(
            lines,
            [
                ("owed nothing", &[Some(0.0), Some(0.0)][..]),
                ("A", &[Some(0.25), Some(0.5)][..]),
                ("B", &[Some(-0.25), Some(-0.5)][..]),
            ]
        );
        assert!(
            c.description
                .ends_with("after the last snapshot: A 0.500; B -0.500."),
            "{}",
            c.description
        );
    }
}
