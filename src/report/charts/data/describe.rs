//! What a chart says in words: the legend of its standings, and the one sentence of its SVG
//! `<desc>` (what it shows and its main reading), for readers who do not see it.

use crate::format::fmt_value;
use crate::report::charts::labels::truncate_label;
use crate::report::charts::model::{BarPanel, LegendItem, Swatch};
use crate::report::charts::palette::TEXT;
use crate::report::charts::standing::Standing;

/// The standings that are not the reference, in legend order.
pub(super) const MARKED: [Standing; 4] = [
    Standing::Worse,
    Standing::Better,
    Standing::NotSignificant,
    Standing::Differs,
];

/// Legend entries of the standings in `present` (the reference first when present), in
/// [`MARKED`] order. With `marker`, the swatch is the standing's marker shape and the label says
/// the meaning; else a box, and the label starts with the symbol.
pub(super) fn standing_legend(present: &[Standing], marker: bool) -> Vec<LegendItem> {
    let mut l = Vec::new();
    if present.contains(&Standing::Reference) {
        l.push(LegendItem {
            color: TEXT,
            swatch: if marker {
                Swatch::Marker(Standing::Reference)
            } else {
                Swatch::Outline
            },
            label: Standing::Reference.legend().into(),
        });
    }
    for s in MARKED.into_iter().filter(|s| present.contains(s)) {
        l.push(LegendItem {
            color: s.fill(),
            swatch: if marker {
                Swatch::Marker(s)
            } else {
                Swatch::Box
            },
            label: if marker {
                s.legend()
                    .trim_start_matches(s.symbol())
                    .trim_start()
                    .into()
            } else {
                s.legend().into()
            },
        });
    }
    l
}

/// The legend of bar `panels`: the standings drawn, and the reference line when one is drawn.
pub(super) fn legend_of(panels: &[BarPanel]) -> Vec<LegendItem> {
    let present: Vec<Standing> = panels
        .iter()
        .flat_map(|p| p.bars.iter().map(|b| b.standing))
        .collect();
    let mut l = standing_legend(&present, false);
    if panels.iter().any(|p| p.reference.is_some()) {
        l.push(LegendItem {
            color: TEXT,
            swatch: Swatch::Dashed,
            label: "mean of the reference group".into(),
        });
    }
    l
}

/// `a`, `a and b`, `a, b and c`.
pub(super) fn join_names(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The main reading of bar `panels` at interval `level`: per panel, its highest and lowest group,
/// the reference, and which groups are significantly worse or better.
pub(super) fn bars_reading(panels: &[BarPanel], level: &str) -> String {
    let parts: Vec<String> = panels
        .iter()
        .filter_map(|p| {
            let (hi, lo) = (p.bars.first()?, p.bars.last()?);
            let name = |s: Standing| -> Vec<String> {
                p.bars
                    .iter()
                    .filter(|b| b.standing == s)
                    .map(|b| truncate_label(&b.label, 24))
                    .collect()
            };
            let reference = name(Standing::Reference).into_iter().next().map_or_else(
                || "the reference group".into(),
                |r| format!("reference {r}"),
            );
            let (worse, better) = (name(Standing::Worse), name(Standing::Better));
            let mut verdict = Vec::new();
            if !worse.is_empty() {
                verdict.push(format!("{} significantly worse", join_names(&worse)));
            }
            if !better.is_empty() {
                verdict.push(format!("{} significantly better", join_names(&better)));
            }
            let verdict = if verdict.is_empty() {
                format!("no significant difference to {reference}")
            } else {
                format!("{} than {reference}", verdict.join(", "))
            };
            let head = if p.heading.is_empty() {
                String::new()
            } else {
                format!("{}: ", p.heading)
            };
            Some(format!(
                "{head}highest {} ({}), lowest {} ({}); {verdict}",
                truncate_label(&hi.label, 24),
                fmt_value(hi.value, p.percent),
                truncate_label(&lo.label, 24),
                fmt_value(lo.value, p.percent),
            ))
        })
        .collect();
    format!(
        "mean per group with its {level} interval; {}.",
        parts.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::charts::model::GroupBar;

    fn bar(label: &str, value: f64, standing: Standing) -> GroupBar {
        GroupBar {
            label: label.into(),
            value,
            whisker: None,
            standing,
        }
    }

    #[test]
    fn the_reading_names_the_extremes_and_the_significant_groups() {
        let panel = BarPanel {
            heading: String::new(),
            axis: "NDCG@10".into(),
            percent: false,
            bars: vec![
                bar("M", 0.144, Standing::Reference),
                bar("X", 0.139, Standing::NotSignificant),
                bar("F", 0.053, Standing::Worse),
            ],
            reference: Some(0.144),
            range: (0.0, 0.2),
        };
        assert_eq!(
            bars_reading(std::slice::from_ref(&panel), "95%"),
            "mean per group with its 95% interval; highest M (0.144), lowest F (0.0530); F significantly worse than reference M."
        );
        let legend = legend_of(std::slice::from_ref(&panel));
        let labels: Vec<&str> = legend.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "ref. reference group",
                "▼ worse than the reference",
                "○ no significant difference",
                "mean of the reference group"
            ]
        );
        assert_eq!(
            join_names(&["a".into(), "b".into(), "c".into()]),
            "a, b and c"
        );
    }
}
