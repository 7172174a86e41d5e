//! Demographic slices (SPEC §2): one value of one users-table column (`gender = F`), or an
//! intersection of up to three columns (`gender = F & age_band = 18-34`), with small-slice
//! suppression and the reference group used for disparities.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::data::{Categorical, Dataset};
use crate::error::{Error, Result};

/// Separator between column names, and between values, of an intersectional slice.
pub const INTERSECTION_SEPARATOR: &str = " & ";

/// One group of a slice column (one value, or one combination of values).
#[derive(Debug, Clone, PartialEq)]
pub struct SliceGroup {
    /// The value (`F`), or the values joined by [`INTERSECTION_SEPARATOR`].
    pub label: String,
    /// Dense ids of the group's users.
    pub users: Vec<u32>,
    /// True when the group has fewer than `min_slice_size` users: no metric is shown for it and
    /// no gate judges it.
    pub suppressed: bool,
}

/// A slice column: a users-table column or an intersection of several.
#[derive(Debug, Clone, PartialEq)]
pub struct SliceColumn {
    /// Column name, or the names joined by [`INTERSECTION_SEPARATOR`].
    pub name: String,
    /// Groups in label order.
    pub groups: Vec<SliceGroup>,
    /// Per dense user, the group index (`u32::MAX` when the user is in no group).
    pub codes: Vec<u32>,
    /// Index of the reference group (`None` when every group is suppressed).
    pub reference: Option<usize>,
}

impl SliceColumn {
    /// Indices of the groups that are not suppressed.
    pub fn shown(&self) -> impl Iterator<Item = usize> + '_ {
        self.groups
            .iter()
            .enumerate()
            .filter(|(_, g)| !g.suppressed)
            .map(|(i, _)| i)
    }
}

/// How slices are formed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SliceConfig {
    /// Groups with fewer users are suppressed (SPEC §2, default 20).
    pub min_slice_size: usize,
    /// Intersections to add, each a list of 2–3 slice column names.
    pub intersections: Vec<Vec<String>>,
    /// Reference group per column (column name → value); default the largest group.
    pub reference: BTreeMap<String, String>,
}

impl Default for SliceConfig {
    fn default() -> Self {
        SliceConfig {
            min_slice_size: 20,
            intersections: Vec::new(),
            reference: BTreeMap::new(),
        }
    }
}

/// Builds every slice column of the dataset plus the configured intersections.
pub fn build_slices(ds: &Dataset, cfg: &SliceConfig) -> Result<Vec<SliceColumn>> {
    let mut out: Vec<SliceColumn> = ds
        .slices
        .iter()
        .map(|c| {
            from_codes(
                c.name.clone(),
                c.labels.clone(),
                &c.codes,
                cfg.min_slice_size,
            )
        })
        .collect();
    for names in &cfg.intersections {
        if !(2..=3).contains(&names.len()) {
            return Err(Error::Config(format!(
                "an intersection joins 2 or 3 slice columns; got {}",
                names.join(",")
            )));
        }
        let cols: Vec<&Categorical> = names
            .iter()
            .map(|n| {
                ds.slices.iter().find(|c| &c.name == n).ok_or_else(|| {
                    Error::Config(format!(
                        "--intersect names `{n}`, which is not a slice column; slice columns are: {}",
                        ds.slices
                            .iter()
                            .map(|c| c.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })
            })
            .collect::<Result<_>>()?;
        out.push(intersect(&cols, cfg.min_slice_size));
    }
    for col in &mut out {
        col.reference = match cfg.reference.get(&col.name) {
            Some(label) => {
                let at = col.groups.iter().position(|g| &g.label == label).ok_or_else(|| {
                    Error::Config(format!(
                        "reference group `{label}` is not a value of slice column `{}`; its values are: {}",
                        col.name,
                        col.groups.iter().map(|g| g.label.as_str()).collect::<Vec<_>>().join(", ")
                    ))
                })?;
                if col.groups[at].suppressed {
                    return Err(Error::Config(format!(
                        "reference group `{label}` of `{}` has {} users, below min_slice_size {}",
                        col.name,
                        col.groups[at].users.len(),
                        cfg.min_slice_size
                    )));
                }
                Some(at)
            }
            None => largest(&col.groups),
        };
    }
    Ok(out)
}

/// The largest unsuppressed group (the first in label order on a tie).
fn largest(groups: &[SliceGroup]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, g) in groups.iter().enumerate() {
        if g.suppressed {
            continue;
        }
        if best.is_none_or(|b| g.users.len() > groups[b].users.len()) {
            best = Some(i);
        }
    }
    best
}

fn from_codes(name: String, labels: Vec<String>, codes: &[u32], min_size: usize) -> SliceColumn {
    let mut users: Vec<Vec<u32>> = vec![Vec::new(); labels.len()];
    for (u, &c) in codes.iter().enumerate() {
        if c != Categorical::MISSING {
            users[c as usize].push(u as u32);
        }
    }
    let groups = labels
        .into_iter()
        .zip(users)
        .map(|(label, users)| SliceGroup {
            suppressed: users.len() < min_size,
            label,
            users,
        })
        .collect();
    SliceColumn {
        name,
        groups,
        codes: codes.to_vec(),
        reference: None,
    }
}

fn intersect(cols: &[&Categorical], min_size: usize) -> SliceColumn {
    let n = cols[0].codes.len();
    let mut combos: BTreeMap<Vec<u32>, ()> = BTreeMap::new();
    let key_of = |u: usize| -> Option<Vec<u32>> {
        cols.iter()
            .map(|c| (c.codes[u] != Categorical::MISSING).then_some(c.codes[u]))
            .collect()
    };
    for u in 0..n {
        if let Some(k) = key_of(u) {
            combos.insert(k, ());
        }
    }
    let keys: Vec<Vec<u32>> = combos.into_keys().collect();
    let labels: Vec<String> = keys
        .iter()
        .map(|k| {
            k.iter()
                .zip(cols)
                .map(|(&c, col)| col.labels[c as usize].as_str())
                .collect::<Vec<_>>()
                .join(INTERSECTION_SEPARATOR)
        })
        .collect();
    let codes: Vec<u32> = (0..n)
        .map(|u| match key_of(u) {
            Some(k) => keys.binary_search(&k).expect("key present") as u32,
            None => Categorical::MISSING,
        })
        .collect();
    let name = cols
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(INTERSECTION_SEPARATOR);
    from_codes(name, labels, &codes, min_size)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ds() -> Dataset {
        // 6 users: gender F F F M M X(missing for user 5: no consent)
        Dataset {
            n_users: 6,
            slices: vec![
                Categorical {
                    name: "gender".into(),
                    labels: vec!["F".into(), "M".into()],
                    codes: vec![0, 0, 0, 1, 1, Categorical::MISSING],
                },
                Categorical {
                    name: "age".into(),
                    labels: vec!["old".into(), "young".into()],
                    codes: vec![0, 1, 1, 1, 0, Categorical::MISSING],
                },
            ],
            ..Dataset::default()
        }
    }

    #[test]
    fn groups_reference_and_suppression() {
        let cfg = SliceConfig {
            min_slice_size: 3,
            ..SliceConfig::default()
        };
        let s = build_slices(&ds(), &cfg).unwrap();
        let g = &s[0];
        assert_eq!(g.groups[0].users, vec![0, 1, 2]);
        assert!(!g.groups[0].suppressed);
        assert!(g.groups[1].suppressed, "M has 2 < 3 users");
        assert_eq!(g.reference, Some(0));
        // the non-consenting user is in no group
        assert_eq!(g.codes[5], u32::MAX);
    }

    #[test]
    fn intersections_cross_values() {
        let cfg = SliceConfig {
            min_slice_size: 1,
            intersections: vec![vec!["gender".into(), "age".into()]],
            ..SliceConfig::default()
        };
        let s = build_slices(&ds(), &cfg).unwrap();
        let x = &s[2];
        assert_eq!(x.name, "gender & age");
        let labels: Vec<&str> = x.groups.iter().map(|g| g.label.as_str()).collect();
        assert_eq!(labels, vec!["F & old", "F & young", "M & old", "M & young"]);
        assert_eq!(x.groups[1].users, vec![1, 2]);
        // reference: the largest, F & young (2 users)
        assert_eq!(x.reference, Some(1));
    }

    #[test]
    fn configured_reference_and_errors() {
        let mut cfg = SliceConfig {
            min_slice_size: 1,
            ..SliceConfig::default()
        };
        cfg.reference.insert("gender".into(), "M".into());
        assert_eq!(build_slices(&ds(), &cfg).unwrap()[0].reference, Some(1));
        cfg.reference.insert("gender".into(), "Z".into());
        let e = build_slices(&ds(), &cfg).unwrap_err().to_string();
        assert!(
            e.contains("`Z` is not a value of slice column `gender`"),
            "{e}"
        );
        let cfg = SliceConfig {
            intersections: vec![vec!["gender".into(), "income".into()]],
            ..SliceConfig::default()
        };
        let e = build_slices(&ds(), &cfg).unwrap_err().to_string();
        assert!(e.contains("`income`") && e.contains("gender, age"), "{e}");
    }
}
