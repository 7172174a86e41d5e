//! A policy's columns against the data: every gate's `slice` must name a slice column of the
//! users table (or an intersection asked for), `overall`, or, for a share family, an item-group
//! column. Checked with the users table's header before the audit ([`Policy::check_columns`]), or
//! with an audit's slices before judging an `audit.json` ([`Policy::check_result`]). A column the
//! input had but the audit did not publish ([`unaudited_slice_columns`]) is valid: its gates are
//! skipped. A name the audit has never seen is an error.

use std::collections::BTreeMap;

use super::policy::{Policy, PolicyError};
use super::rule::{Target, OVERALL};
use crate::result::AuditResult;
use crate::text::visible;

impl Policy {
    /// Checks every gate's `slice` against the slice columns of the users table (and the
    /// intersections asked for) and, when known, the item-group columns. Call it before the audit
    /// reads the data, with the users table's header; [`Policy::check_result`] does it for an
    /// `audit.json`.
    pub fn check_columns(
        &self,
        slice_columns: &[String],
        item_columns: Option<&[String]>,
    ) -> Result<(), PolicyError> {
        for (i, g) in self.gates.iter().enumerate() {
            let err = |message: String| PolicyError {
                path: self.path.clone(),
                gate: Some(i + 1),
                message,
            };
            if g.slice_is_item_column() {
                if let Some(items) = item_columns {
                    if !items.contains(&g.slice) {
                        return Err(err(format!(
                            "unknown item-group column `{}` for `{}`; valid item-group columns: {}",
                            visible(&g.slice),
                            visible(&g.metric),
                            list_or_none(items)
                        )));
                    }
                }
                continue;
            }
            if let (
                Target::Share {
                    column: Some(c), ..
                },
                Some(items),
            ) = (&g.target, item_columns)
            {
                if !items.iter().any(|x| x == c) {
                    return Err(err(format!(
                        "`{}` names the item-group column `{}`, which does not exist; valid item-group columns: {}",
                        visible(&g.metric),
                        visible(c),
                        list_or_none(items)
                    )));
                }
            }
            if g.is_overall() {
                continue;
            }
            if canonical_slice(&g.slice, slice_columns).is_none() {
                return Err(err(format!(
                    "unknown slice column `{}`; valid slices: {OVERALL}, {}",
                    visible(&g.slice),
                    list_or_none(slice_columns)
                )));
            }
        }
        Ok(())
    }

    /// [`Policy::check_columns`] against the slices and item groups of an audit (the slice
    /// columns it published and those it did not, [`unaudited_slice_columns`]), after rewriting
    /// `gender,age_band` spellings to the audit's intersection names.
    pub fn check_result(&mut self, result: &AuditResult) -> Result<(), PolicyError> {
        let (mut slices, items) = columns_of(result);
        slices.extend(unaudited_slice_columns(result).into_keys());
        slices.sort();
        slices.dedup();
        self.check_columns(&slices, Some(&items))?;
        for g in &mut self.gates {
            if !g.is_overall() && !g.slice_is_item_column() {
                if let Some(c) = canonical_slice(&g.slice, &slices) {
                    g.slice = c;
                }
            }
        }
        Ok(())
    }
}

/// The slice columns and item-group columns of an audit.
pub fn columns_of(result: &AuditResult) -> (Vec<String>, Vec<String>) {
    let slices = result.slices.keys().cloned().collect();
    let mut items: Vec<String> = result
        .corpus
        .overall
        .shares
        .keys()
        .filter_map(|k| k.strip_prefix("exposure_share_").map(str::to_string))
        .chain(result.corpus.exposure_share_intervals.keys().cloned())
        // A DP audit withholds the shares but names the item-group columns it read.
        .chain(result.input.item_group_columns.iter().cloned())
        .collect();
    items.sort();
    items.dedup();
    (slices, items)
}

/// The slice columns the input had but the audit did not publish, each with the reason: the
/// users-table columns of `skipped_slice_columns` (an identifier, fewer than two groups large
/// enough, nobody consented) and any other column of `input.slice_columns` that `slices` lacks.
pub fn unaudited_slice_columns(result: &AuditResult) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = result
        .input
        .slice_columns
        .iter()
        .filter(|c| !result.slices.contains_key(*c))
        .map(|c| (c.clone(), "the audit published no group of it".to_string()))
        .collect();
    for s in &result.skipped_slice_columns {
        out.insert(s.column.clone(), s.reason.clone());
    }
    out
}

/// The slice column named `slice`: exactly (a column, or an intersection's key
/// `["a","b"]`), or as `a,b` for the intersection of `a` and `b`.
pub fn canonical_slice(slice: &str, slice_columns: &[String]) -> Option<String> {
    if slice_columns.iter().any(|c| c == slice) {
        return Some(slice.to_string());
    }
    let parts: Vec<&str> = slice.split(',').map(str::trim).collect();
    let key = crate::slices::intersection_key(&parts);
    slice_columns.iter().find(|c| **c == key).cloned()
}

/// The names comma-separated as [`visible`] shows them, or `(none)`.
fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "(none)".into()
    } else {
        names
            .iter()
            .map(|n| visible(n))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_columns() {
        let p = Policy::parse(
            "[[gate]]\nmetric = \"ndcg\"\nslice = \"gender,age_band\"\nrule = \"min_ratio\"\nthreshold = 0.8\n",
        )
        .unwrap();
        let cols = vec!["gender".to_string(), r#"["gender","age_band"]"#.to_string()];
        p.check_columns(&cols, None).unwrap();
        let e = p.check_columns(&cols[..1], None).unwrap_err().to_string();
        assert!(e.contains("unknown slice column `gender,age_band`"), "{e}");
        assert!(e.contains("overall, gender"), "{e}");

        let p = Policy::parse(
            "[[gate]]\nmetric = \"exposure_share\"\nslice = \"studio\"\nrule = \"max_value\"\nthreshold = 0.5\n",
        )
        .unwrap();
        let items = vec!["provider".to_string()];
        let e = p
            .check_columns(&cols, Some(&items))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("item-group column `studio`") && e.contains("provider"),
            "{e}"
        );
        p.check_columns(&cols, None).unwrap();
    }
}
