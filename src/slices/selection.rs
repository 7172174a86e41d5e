//! Which users-table columns become slice columns.
//!
//! Without `--slices`, only columns that look demographic are audited: at most
//! [`MAX_DISTINCT_VALUES`] distinct values, and at least two groups of `min_slice_size` users. Any
//! other column (a customer number, an e-mail address, a free-text field) is skipped and listed by
//! name with the reason, never with its values. A column named in `--slices` is audited whatever
//! its number of values, unless it is mostly unique (an identifier), which is an error.

use serde::{Deserialize, Serialize};

use super::{group_sizes, SliceConfig};
use crate::data::Categorical;
use crate::error::{Error, Result};

/// The most distinct values a column may have to be audited without being named in `--slices`.
pub const MAX_DISTINCT_VALUES: usize = 50;

/// A users-table column that was not audited, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedColumn {
    /// The column's name.
    pub column: String,
    /// Why it was skipped, in plain words.
    pub reason: String,
}

/// Splits the users-table columns into those to audit and those skipped, at `cfg`'s
/// `min_slice_size`. `explicit`: the columns were named in `--slices` (or `[columns] slices`).
/// An intersection of `cfg` naming a skipped column is an error that gives the reason it was
/// skipped.
pub fn choose_columns<'c>(
    columns: &'c [Categorical],
    explicit: bool,
    cfg: &SliceConfig,
) -> Result<(Vec<&'c Categorical>, Vec<SkippedColumn>)> {
    let sized: Vec<(&str, Vec<usize>)> = columns
        .iter()
        .map(|col| {
            let sizes = group_sizes(&col.codes, col.labels.len(), |_| true);
            (col.name.as_str(), sizes)
        })
        .collect();
    let (chosen, skipped) = choose_by_sizes(&sized, explicit, cfg)?;
    Ok((chosen.into_iter().map(|c| &columns[c]).collect(), skipped))
}

/// [`choose_columns`] from each column's name and users per value (`columns[c].1[v]`: the users
/// holding value v of column c): the positions of the chosen columns, and the skipped ones.
pub fn choose_by_sizes(
    columns: &[(&str, Vec<usize>)],
    explicit: bool,
    cfg: &SliceConfig,
) -> Result<(Vec<usize>, Vec<SkippedColumn>)> {
    let min_size = cfg.min_slice_size;
    let mut chosen = Vec::new();
    let mut skipped = Vec::new();
    for (c, (name, sizes)) in columns.iter().enumerate() {
        let distinct = sizes.iter().filter(|&&n| n > 0).count();
        if explicit {
            if mostly_unique(sizes) {
                return Err(Error::Config(format!(
                    "slice column `{name}` is mostly unique ({distinct} distinct values, most of them held by a single user): it looks like an identifier, and auditing it would single people out; remove it from --slices",
                )));
            }
            chosen.push(c);
            continue;
        }
        let large = sizes.iter().filter(|&&n| n >= min_size).count();
        if distinct > MAX_DISTINCT_VALUES {
            skipped.push(SkippedColumn {
                column: name.to_string(),
                reason: format!(
                    "{distinct} distinct values, more than the {MAX_DISTINCT_VALUES} a demographic column has; name it in --slices to audit it"
                ),
            });
        } else if large < 2 {
            skipped.push(SkippedColumn {
                column: name.to_string(),
                reason: format!(
                    "fewer than two groups of at least {min_size} users (min_slice_size): nothing to compare"
                ),
            });
        } else {
            chosen.push(c);
        }
    }
    check_intersections(&cfg.intersections, &skipped)?;
    Ok((chosen, skipped))
}

/// Refuses an intersection (`--intersect`) naming a skipped column, with the reason it was
/// skipped: the column is in the users table, so "not a slice column" alone would leave the user
/// guessing.
fn check_intersections(intersections: &[Vec<String>], skipped: &[SkippedColumn]) -> Result<()> {
    for names in intersections {
        for name in names {
            if let Some(s) = skipped.iter().find(|s| &s.column == name) {
                return Err(Error::Config(format!(
                    "--intersect names `{name}`, a users-table column the audit skipped; an intersection joins audited slice columns only. Why `{name}` was skipped: {}",
                    s.reason
                )));
            }
        }
    }
    Ok(())
}

/// More than [`MAX_DISTINCT_VALUES`] values, and more than half of the users with a value hold a
/// value no one else holds.
fn mostly_unique(sizes: &[usize]) -> bool {
    let distinct = sizes.iter().filter(|&&n| n > 0).count();
    let with_value: usize = sizes.iter().sum();
    let alone = sizes.iter().filter(|&&n| n == 1).count();
    distinct > MAX_DISTINCT_VALUES && 2 * alone > with_value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, sizes: &[usize]) -> Categorical {
        Categorical {
            name: name.into(),
            labels: (0..sizes.len()).map(|i| format!("v{i}")).collect(),
            codes: sizes
                .iter()
                .enumerate()
                .flat_map(|(g, &n)| std::iter::repeat_n(g as u32, n))
                .collect(),
        }
    }

    /// The slice settings at `min_slice_size` 20 with the intersections `asked`.
    fn cfg(asked: &[&[&str]]) -> SliceConfig {
        SliceConfig {
            intersections: asked
                .iter()
                .map(|i| i.iter().map(|c| c.to_string()).collect())
                .collect(),
            ..SliceConfig::default()
        }
    }

    #[test]
    fn an_intersection_naming_a_skipped_column_is_refused_with_the_reason() {
        let gender = column("gender", &[40, 50]);
        let site = column("site", &[90]); // one value: skipped
        let region = column("region", &[30, 60]);
        let cols = vec![gender, site, region];
        let err = choose_columns(&cols, false, &cfg(&[&["gender", "site"]]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--intersect names `site`, a users-table column the audit skipped; an intersection joins audited slice columns only. Why `site` was skipped: fewer than two groups of at least 20 users"),
            "{err}"
        );
        // Audited columns may be joined; the skipped one is still listed.
        let (chosen, skipped) =
            choose_columns(&cols, false, &cfg(&[&["gender", "region"]])).unwrap();
        assert_eq!(chosen.len(), 2);
        assert_eq!(skipped[0].column, "site");
    }

    #[test]
    fn only_demographic_looking_columns_are_chosen_by_default() {
        let gender = column("gender", &[40, 50, 3]);
        let ids = column("customer_no", &vec![1; 93]);
        let region = column("region", &vec![2; 60]); // 60 values > 50
        let rare = column("vip", &[90, 3]); // one group of 20+
        let cols = vec![gender, ids, region, rare];
        let (chosen, skipped) = choose_columns(&cols, false, &cfg(&[])).unwrap();
        let names: Vec<&str> = chosen.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["gender"]);
        let skipped: Vec<(&str, &str)> = skipped
            .iter()
            .map(|s| (s.column.as_str(), s.reason.as_str()))
            .collect();
        assert_eq!(skipped[0].0, "customer_no");
        assert!(skipped[0]
            .1
            .starts_with("93 distinct values, more than the 50"));
        assert_eq!(skipped[1].0, "region");
        assert!(skipped[1].1.starts_with("60 distinct values"));
        assert_eq!(skipped[2].0, "vip");
        assert!(skipped[2]
            .1
            .contains("fewer than two groups of at least 20 users"));
        // No value of a skipped column appears in its reason.
        assert!(skipped.iter().all(|(_, r)| !r.contains("v0")));
    }

    #[test]
    fn named_columns_are_audited_unless_they_are_identifiers() {
        let zip = column("zip", &vec![3; 60]);
        let (chosen, _) = choose_columns(std::slice::from_ref(&zip), true, &cfg(&[])).unwrap();
        assert_eq!(
            chosen.len(),
            1,
            "60 values, none unique: audited when named"
        );
        let ids = column("email", &vec![1; 93]);
        let e = choose_columns(&[ids], true, &cfg(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("slice column `email` is mostly unique (93 distinct values"),
            "{e}"
        );
    }
}
