//! Reading the items table: the catalog's order, and each item's categories, popularity, feature
//! vector and item groups; and the check that the recommended items join it.

use std::path::Path;

use super::config::{ColumnNames, InputSummary};
use super::join;
use super::table::{self, InputTable, Wanted};
use super::values::finite_or_reason;
use super::vocab::Vocab;
use crate::data::{Categorical, Csr, Items};
use crate::error::{shown, Result};

/// Reads the items table: its id column, the item group columns (those named, or every column
/// but the id, category, popularity and features), and the category, popularity and features
/// columns when it has them.
pub(super) fn read_items_table(path: &Path, c: &ColumnNames) -> Result<InputTable> {
    let mut optional: Vec<&str> = vec![&c.category, &c.popularity, &c.features];
    let all = table::column_names(path, "items")?;
    let group_cols: Vec<String> = match &c.item_groups {
        Some(g) => g.clone(),
        None => all
            .iter()
            .filter(|n| ![&c.item, &c.category, &c.popularity, &c.features].contains(n))
            .cloned()
            .collect(),
    };
    let required_groups: Vec<Wanted> = match &c.item_groups {
        Some(g) => g
            .iter()
            .map(|n| Wanted {
                name: n,
                purpose: "item group column named by --item-groups",
            })
            .collect(),
        None => Vec::new(),
    };
    for g in &group_cols {
        optional.push(g);
    }
    let mut required = vec![c.item_id()];
    required.extend(required_groups);
    InputTable::read(path, "items", &required, &optional)
}

/// Errors when fewer than half of the items of the main lists (`recommended`, by item code)
/// are in the items table `t`, whose items are the codes below `in_table`: the two tables then
/// spell their ids differently, and the item groups and categories would be silently empty.
pub(super) fn check_items_join(
    t: &InputTable,
    items: &Vocab,
    in_table: usize,
    recommended: &[bool],
) -> Result<()> {
    let distinct = recommended.iter().filter(|&&r| r).count();
    let joined = recommended[..in_table].iter().filter(|&&r| r).count();
    if 2 * joined >= distinct {
        return Ok(());
    }
    let ids_where = |from: usize, to: usize, want: bool| -> Vec<&str> {
        (from..to)
            .filter(|&i| recommended[i] == want)
            .take(join::TRIED)
            .map(|i| items.id(i as u32))
            .collect()
    };
    Err(t.error(join::message(
        joined,
        distinct,
        &join::Side {
            what: "items in the recommendations",
            unmatched: distinct - joined,
            sample: ids_where(in_table, recommended.len(), true),
        },
        &join::Side {
            what: "item ids of this table",
            unmatched: in_table - joined,
            sample: ids_where(0, in_table, false),
        },
        shown,
    )))
}

/// The categories of each items-table row (`|`-separated names, each row's sorted and deduplicated)
/// and the sorted category names; no rows and no names without a category column. Item codes of
/// the table's rows are the rows themselves (its items come first in the vocabulary); the items
/// added from other tables have no category.
pub(super) fn item_categories(
    t: Option<&InputTable>,
    c: &ColumnNames,
) -> Result<(Csr<u32>, Vec<String>)> {
    let Some(t) = t.filter(|t| t.has(&c.category)) else {
        return Ok((Csr::default(), Vec::new()));
    };
    let cats = t.strings(&c.category, false)?;
    let mut labels: Vec<String> = cats
        .iter()
        .flatten()
        .flat_map(|s| s.split('|').map(|x| x.trim().to_string()))
        .filter(|s| !s.is_empty())
        .collect();
    labels.sort();
    labels.dedup();
    let per_item = cats.iter().map(|v| {
        let mut cs: Vec<u32> = v
            .unwrap_or("")
            .split('|')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| labels.binary_search(&s.to_string()).unwrap() as u32)
            .collect();
        cs.sort_unstable();
        cs.dedup();
        cs
    });
    Ok((Csr::from_rows(per_item), labels))
}

/// The items' attributes: `categories` and `category_labels` from [`item_categories`] (padded
/// with empty rows for the items that are not in the table), the rest from the table `t`.
pub(super) fn build_items(
    t: Option<&InputTable>,
    c: &ColumnNames,
    vocab: Vocab,
    (mut categories, category_labels): (Csr<u32>, Vec<String>),
    summary: &mut InputSummary,
) -> Result<Items> {
    let n = vocab.len();
    categories.pad_rows(n);
    let mut out = Items {
        ids: vocab.into_ids(),
        categories,
        category_labels,
        ..Items::default()
    };
    let Some(t) = t else {
        return Ok(out);
    };
    let rows = t.height();
    if t.has(&c.popularity) {
        let mut p: Vec<f64> = Vec::with_capacity(n);
        for (row, v) in t.numbers(&c.popularity)?.into_iter().enumerate() {
            match v {
                Some(x) if x >= 0.0 => p.push(x),
                Some(x) => {
                    return Err(t.row_error(
                        &c.popularity,
                        row,
                        format!("popularity {x} is negative; expected a number ≥ 0"),
                    ))
                }
                None => p.push(0.0),
            }
        }
        p.resize(n, 0.0);
        out.popularity = Some(p);
    }
    if t.has(&c.features) {
        let text = t.strings(&c.features, false)?;
        let mut vecs = Vec::with_capacity(n);
        let mut dim = None;
        for (row, v) in text.iter().enumerate() {
            let parsed: std::result::Result<Vec<f64>, String> = v
                .unwrap_or("")
                .split(|ch: char| ch == ';' || ch.is_whitespace())
                .filter(|s| !s.is_empty())
                .map(|s| match s.parse::<f64>() {
                    Ok(x) => finite_or_reason(x, Some(s))
                        .map_err(|why| format!("in the feature vector, {why}")),
                    Err(_) => Err("expected numbers separated by spaces or `;`".into()),
                })
                .collect();
            let vec = parsed.map_err(|message| t.row_error(&c.features, row, message))?;
            if *dim.get_or_insert(vec.len()) != vec.len() {
                return Err(t.row_error(
                    &c.features,
                    row,
                    format!(
                        "feature vector has {} numbers; earlier rows have {}",
                        vec.len(),
                        dim.unwrap()
                    ),
                ));
            }
            vecs.push(vec);
        }
        let d = dim.unwrap_or(0);
        vecs.resize(n, vec![0.0; d]);
        out.features = Some(vecs);
    }
    let known = [&c.item, &c.category, &c.popularity, &c.features];
    for name in t.frame.get_column_names() {
        let name = name.to_string();
        if known.contains(&&name) {
            continue;
        }
        let values = t.strings(&name, false)?;
        let mut labels: Vec<String> = values
            .iter()
            .flatten()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        labels.sort();
        labels.dedup();
        let mut codes: Vec<u32> = values
            .iter()
            .map(|v| match v.map(str::trim).filter(|s| !s.is_empty()) {
                Some(s) => labels.binary_search(&s.to_string()).unwrap() as u32,
                None => Categorical::MISSING,
            })
            .collect();
        codes.resize(n, Categorical::MISSING);
        summary.item_group_columns.push(name.clone());
        out.groups.push(Categorical {
            name,
            labels,
            codes,
        });
    }
    debug_assert!(rows <= n);
    Ok(out)
}
