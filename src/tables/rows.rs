//! The rows of each table: cells as text, labels through [`csv_safe`], numbers in full precision.

use crate::gate::GateResults;
use crate::metrics::registry::{self, MetricDef};
use crate::result::{AuditResult, SliceMetric};
use crate::stats::Estimate;
use crate::text::csv_safe;

/// The column and group of the rows over all users.
const OVERALL: [&str; 2] = ["overall", "all"];

/// Header of `metrics_by_group.csv`.
pub(super) const METRIC_HEADER: &[&str] = &[
    "metric",
    "label",
    "unit",
    "column",
    "group",
    "n_users",
    "value",
    "ci_low",
    "ci_high",
    "reference",
    "ratio_to_reference",
    "ratio_ci_low",
    "ratio_ci_high",
    "p_adjusted",
    "significant",
    "four_fifths",
];

/// Header of `corpus_by_group.csv`.
pub(super) const CORPUS_HEADER: &[&str] = &[
    "metric",
    "label",
    "unit",
    "column",
    "group",
    "item_column",
    "item_group",
    "value",
];

/// Header of `exposure_shares.csv`.
pub(super) const EXPOSURE_HEADER: &[&str] = &[
    "item_column",
    "item_group",
    "column",
    "group",
    "n_users",
    "exposure_share",
    "ci_low",
    "ci_high",
    "catalog_share",
];

/// Header of `gates.csv`.
pub(super) const GATE_HEADER: &[&str] = &[
    "gate",
    "name",
    "rule",
    "metric",
    "scope",
    "column",
    "group",
    "versus",
    "item_group",
    "status",
    "value",
    "ci_low",
    "ci_high",
    "threshold",
    "significant",
    "p_adjusted",
    "detail",
];

/// A number in full precision (the shortest text that reads back as the same `f64`); empty when
/// undefined.
fn num(x: Option<f64>) -> String {
    x.map(|v| format!("{v:?}")).unwrap_or_default()
}

/// A flag as `true` / `false`; empty when undefined.
fn flag(x: Option<bool>) -> String {
    x.map(|b| b.to_string()).unwrap_or_default()
}

/// A label from the data or the registry, safe as a spreadsheet cell.
fn label(s: &str) -> String {
    csv_safe(s).into_owned()
}

/// The registry's label (cutoff `k` filled in) and unit of `def`; empty when unknown.
fn label_unit(def: Option<&MetricDef>, k: usize) -> [String; 2] {
    match def {
        Some(d) => [label(&d.label_at(k)), label(d.unit)],
        None => [String::new(), String::new()],
    }
}

/// One row per per-user metric and group: overall, then each published group of each column.
pub(super) fn metrics_by_group(result: &AuditResult) -> Vec<Vec<String>> {
    let k = result.settings.k;
    let mut rows = Vec::new();
    for (key, m) in &result.metrics {
        let head = |column: &str, group: &str| {
            let [l, u] = label_unit(registry::definition(key), k);
            vec![label(key), l, u, label(column), label(group)]
        };
        let mut row = head(OVERALL[0], OVERALL[1]);
        row.extend(estimate_cells(&m.overall));
        row.extend(std::iter::repeat_n(String::new(), 7));
        rows.push(row);
        for (column, slice) in &m.slices {
            for (group, estimate) in &slice.groups {
                let mut row = head(column, group);
                row.extend(estimate_cells(estimate));
                row.extend(comparison_cells(slice, group));
                rows.push(row);
            }
        }
    }
    rows
}

/// `n_users, value, ci_low, ci_high` of `e`.
fn estimate_cells(e: &Estimate) -> [String; 4] {
    [e.n.to_string(), num(e.value), num(e.ci_low), num(e.ci_high)]
}

/// `reference, ratio_to_reference, ratio_ci_low, ratio_ci_high, p_adjusted, significant,
/// four_fifths` of `group` in `slice`; empty when the column is not compared.
fn comparison_cells(slice: &SliceMetric, group: &str) -> [String; 7] {
    let Some(d) = &slice.disparity else {
        return Default::default();
    };
    let Some(c) = d.groups.get(group) else {
        let mut cells: [String; 7] = Default::default();
        cells[0] = label(&d.reference);
        return cells;
    };
    [
        label(&d.reference),
        num(c.ratio.value),
        num(c.ratio.ci_low),
        num(c.ratio.ci_high),
        num(c.p_adjusted),
        c.significant.to_string(),
        flag(c.four_fifths),
    ]
}

/// One row per corpus value: the scalars, then each item group of each share, overall and per
/// published group.
pub(super) fn corpus_by_group(result: &AuditResult) -> Vec<Vec<String>> {
    let k = result.settings.k;
    let corpus = &result.corpus;
    let sets = std::iter::once((OVERALL[0], OVERALL[1], &corpus.overall)).chain(
        corpus.slices.iter().flat_map(|(column, groups)| {
            groups
                .iter()
                .map(move |(group, values)| (column.as_str(), group.as_str(), values))
        }),
    );
    let mut rows = Vec::new();
    for (column, group, values) in sets {
        for (key, value) in &values.scalars {
            let [l, u] = label_unit(registry::definition(key), k);
            let row = [key, &l, &u, column, group, "", ""].map(label);
            rows.push([row.to_vec(), vec![num(*value)]].concat());
        }
        for (key, shares) in &values.shares {
            let family = registry::share_family_of(key);
            let [l, u] = label_unit(family.map(|(d, _)| d), k);
            let item_column = family.map_or("", |(_, c)| c);
            for (item_group, value) in shares {
                let row = [key, &l, &u, column, group, item_column, item_group].map(label);
                rows.push([row.to_vec(), vec![num(*value)]].concat());
            }
        }
    }
    rows
}

/// One row per item group's exposure share: overall, then per published group of each column.
pub(super) fn exposure_shares(result: &AuditResult) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for (item_column, shares) in &result.corpus.exposure_share_intervals {
        let catalog = result
            .corpus
            .overall
            .shares
            .get(&format!("target_share_catalog_{item_column}"));
        let row = |column: &str, group: &str, item_group: &str, e: &Estimate| {
            let catalog_share = catalog.and_then(|c| c.get(item_group).copied().flatten());
            let mut row = [item_column.as_str(), item_group, column, group]
                .map(label)
                .to_vec();
            row.extend([e.n.to_string(), num(e.value), num(e.ci_low), num(e.ci_high)]);
            row.push(num(catalog_share));
            row
        };
        for (item_group, e) in &shares.overall {
            rows.push(row(OVERALL[0], OVERALL[1], item_group, e));
        }
        for (column, groups) in &shares.slices {
            for (group, by_item_group) in groups {
                for (item_group, e) in by_item_group {
                    rows.push(row(column, group, item_group, e));
                }
            }
        }
    }
    rows
}

/// One row per gate outcome, in policy order.
pub(super) fn gates(gates: &GateResults) -> Vec<Vec<String>> {
    let text = |s: &Option<String>| label(s.as_deref().unwrap_or_default());
    gates
        .rules
        .iter()
        .map(|o| {
            vec![
                o.gate.to_string(),
                label(&o.label),
                o.rule.to_string(),
                label(&o.metric),
                label(&o.scope),
                label(&o.slice),
                text(&o.group),
                text(&o.versus),
                text(&o.item_group),
                serde_plain(&o.status),
                num(o.value.value),
                num(o.value.ci_low),
                num(o.value.ci_high),
                num(Some(o.threshold)),
                flag(o.significant),
                num(o.p_adjusted),
                label(&o.detail),
            ]
        })
        .collect()
}

/// A unit enum variant as `audit.json` writes it (`pass`, `fail`, `skipped`).
fn serde_plain<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}
