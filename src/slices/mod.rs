//! Demographic slices (docs/privacy.md): one value of one users-table column (`gender = F`), or an
//! intersection of up to three columns (`gender = F` and `age_band = 18-34`), with small-slice
//! suppression ([`disclosure`] adds the complementary suppression), the choice of which columns
//! are slices ([`selection`]) and the reference group of each metric's disparities
//! ([`reference`]).
//!
//! Intersections are keyed structurally: a column's key is its name, an intersection's key is
//! the JSON array of its columns' names (`["gender","age_band"]`) and its groups' labels the JSON
//! arrays of their values (`["F","18-34"]`), so that no label, whatever it contains, can make two
//! different groups collide.

pub mod disclosure;
pub mod reference;
pub mod selection;
pub mod subgroups;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::data::Categorical;
use crate::error::{Error, Result};

/// The key of an intersection of `columns` (or of a group of it, given its values): the JSON array
/// of the names (or values), e.g. `["gender","age_band"]`.
pub fn intersection_key<S: AsRef<str>>(parts: &[S]) -> String {
    let parts: Vec<&str> = parts.iter().map(AsRef::as_ref).collect();
    serde_json::to_string(&parts).expect("strings serialise")
}

/// How a slice column or group is shown to people: its names or values joined by ` × `.
pub fn display_name<S: AsRef<str>>(parts: &[S]) -> String {
    parts
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(" × ")
}

/// How a slice column's key or a group's label is shown to people: a plain name as it is, an
/// intersection's JSON array as its parts joined by ` × `.
pub fn display_key(key: &str) -> String {
    match serde_json::from_str::<Vec<String>>(key) {
        Ok(parts) if key.starts_with('[') && parts.len() > 1 => display_name(&parts),
        _ => key.to_string(),
    }
}

/// One group of a slice column (one value, or one combination of values).
#[derive(Debug, Clone, PartialEq)]
pub struct SliceGroup {
    /// The value (`F`), or for an intersection the [`intersection_key`] of the values.
    pub label: String,
    /// The value, or the values of an intersection in column order.
    pub values: Vec<String>,
    /// Dense ids of the group's users.
    pub users: Vec<u32>,
    /// True when the group is not published: it has fewer than `min_slice_size` users, or it is
    /// [`withheld`](Self::withheld). No metric is shown for it and no gate judges it.
    pub suppressed: bool,
    /// True when the group is large enough but withheld (complementary suppression) so that a
    /// smaller suppressed group cannot be recovered by differencing.
    pub withheld: bool,
}

/// A slice column: a users-table column or an intersection of several.
#[derive(Debug, Clone, PartialEq)]
pub struct SliceColumn {
    /// The key: the column name, or the [`intersection_key`] of the names.
    pub name: String,
    /// The users-table columns: one, or the 2–3 of an intersection.
    pub columns: Vec<String>,
    /// Groups in label order.
    pub groups: Vec<SliceGroup>,
    /// Per dense user, the group index (`u32::MAX` when the user is in no group).
    pub codes: Vec<u32>,
    /// Index of the reference group chosen with `--reference` (settings `slices.reference`);
    /// `None` when none is chosen, or when the chosen group is not published: each metric then
    /// compares with its best-off group ([`reference::metric_reference`]).
    pub chosen_reference: Option<usize>,
}

impl SliceColumn {
    /// Whether each group is published (neither too small nor withheld), in group order: the
    /// mask form of [`shown`](Self::shown).
    pub fn shown_mask(&self) -> Vec<bool> {
        self.groups.iter().map(|g| !g.suppressed).collect()
    }

    /// Whether each group's users are exactly the users whose code is the group's, in ascending
    /// order (as [`build_slices`] makes them).
    pub fn codes_match_groups(&self) -> bool {
        let mut members = 0;
        for (g, group) in self.groups.iter().enumerate() {
            if !group.users.is_sorted_by(|a, b| a < b)
                || group
                    .users
                    .iter()
                    .any(|&u| self.codes.get(u as usize) != Some(&(g as u32)))
            {
                return false;
            }
            members += group.users.len();
        }
        members
            == self
                .codes
                .iter()
                .filter(|&&c| c != Categorical::MISSING)
                .count()
    }

    /// Indices of the groups that are published.
    pub fn shown(&self) -> impl Iterator<Item = usize> + '_ {
        self.groups
            .iter()
            .enumerate()
            .filter(|(_, g)| !g.suppressed)
            .map(|(i, _)| i)
    }

    /// Groups suppressed for having fewer than `min_slice_size` users.
    pub fn n_too_small(&self) -> usize {
        self.groups
            .iter()
            .filter(|g| g.suppressed && !g.withheld)
            .count()
    }

    /// Groups withheld by complementary suppression.
    pub fn n_withheld(&self) -> usize {
        self.groups.iter().filter(|g| g.withheld).count()
    }
}

/// How slices are formed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SliceConfig {
    /// Groups with fewer users are suppressed (docs/privacy.md, default 20).
    pub min_slice_size: usize,
    /// Intersections to add, each a list of 2–3 slice column names.
    pub intersections: Vec<Vec<String>>,
    /// Reference group per column (column name → value); default, per metric, the best-off
    /// published group ([`reference::metric_reference`]).
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

/// Builds the slice columns `columns` (the users-table columns chosen by [`selection`]) plus the
/// configured intersections, with primary suppression and the chosen reference groups. Complementary
/// suppression is applied afterwards ([`protect_columns`]).
pub fn build_slices(columns: &[&Categorical], cfg: &SliceConfig) -> Result<Vec<SliceColumn>> {
    build_weighted_slices(columns, None, cfg)
}

/// [`build_slices`] over rows that each stand for `weights[row]` users (every row one user when
/// `weights` is `None`): a group's size, which decides its primary suppression, is the sum of
/// its rows' weights. With weights, `codes` and each group's `users` index the rows, not users.
/// The partitioned reader builds the plan from the users' combinations of groups this way
/// (`partial::read`), one row per combination.
pub fn build_weighted_slices(
    columns: &[&Categorical],
    weights: Option<&[usize]>,
    cfg: &SliceConfig,
) -> Result<Vec<SliceColumn>> {
    let weight = |row: u32| weights.map_or(1, |w| w[row as usize]);
    let mut out: Vec<SliceColumn> = columns
        .iter()
        .map(|c| {
            from_codes(
                c.name.clone(),
                vec![c.name.clone()],
                c.labels.iter().map(|l| vec![l.clone()]).collect(),
                &c.codes,
                cfg.min_slice_size,
                &weight,
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
                columns.iter().copied().find(|c| &c.name == n).ok_or_else(|| {
                    Error::Config(format!(
                        "--intersect names `{n}`, which is not an audited slice column; slice columns are: {}",
                        columns
                            .iter()
                            .map(|c| c.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })
            })
            .collect::<Result<_>>()?;
        let col = intersect(&cols, cfg.min_slice_size, &weight);
        if out.iter().any(|c| c.name == col.name) {
            return Err(Error::Config(format!(
                "the intersection of {} is asked for twice, or a users-table column is named `{}`",
                names.join(", "),
                col.name
            )));
        }
        out.push(col);
    }
    for col in &mut out {
        col.chosen_reference = match cfg.reference.get(&col.name) {
            Some(label) => {
                let at = col.groups.iter().position(|g| &g.label == label).ok_or_else(|| {
                    Error::Config(format!(
                        "reference group `{label}` is not a value of slice column `{}` (or its group is too small to publish)",
                        col.name,
                    ))
                })?;
                if col.groups[at].suppressed {
                    return Err(Error::Config(format!(
                        "reference group `{label}` of `{}` has fewer users than min_slice_size {}",
                        col.name, cfg.min_slice_size
                    )));
                }
                Some(at)
            }
            None => None,
        };
    }
    Ok(out)
}

/// Applies complementary suppression ([`disclosure::protect`]) to the groups of `columns` over
/// every audited user. `counts_of_unsliced` are the published counts of users in no slice (users
/// without consent, users missing from the users table), each at least `min_size`. A chosen
/// reference group that gets withheld is dropped: each metric then compares with its best-off
/// group.
pub fn protect_columns(columns: &mut [SliceColumn], min_size: usize, counts_of_unsliced: &[usize]) {
    let codes: Vec<&[u32]> = columns.iter().map(|c| c.codes.as_slice()).collect();
    let shown: Vec<Vec<bool>> = columns.iter().map(SliceColumn::shown_mask).collect();
    let decided = disclosure::protect(&codes, &shown, &|_| true, min_size, counts_of_unsliced);
    for (col, shown) in columns.iter_mut().zip(decided.shown) {
        for (g, show) in col.groups.iter_mut().zip(shown) {
            if !g.suppressed && !show {
                g.suppressed = true;
                g.withheld = true;
            }
        }
        if col
            .chosen_reference
            .is_some_and(|r| col.groups[r].suppressed)
        {
            col.chosen_reference = None;
        }
    }
}

/// The largest group among those with `eligible(g)` (the first in label order on a tie).
pub fn largest_of(groups: &[SliceGroup], eligible: impl Fn(usize) -> bool) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, g) in groups.iter().enumerate() {
        if !eligible(i) {
            continue;
        }
        if best.is_none_or(|b| g.users.len() > groups[b].users.len()) {
            best = Some(i);
        }
    }
    best
}

/// A slice column `col` for tests: groups (label, number of users, suppressed) in label order,
/// their users numbered on from 0 (every user in a group), and `chosen` as the chosen reference.
#[cfg(test)]
pub(crate) fn test_column(groups: &[(&str, usize, bool)], chosen: Option<usize>) -> SliceColumn {
    let mut next = 0u32;
    let mut codes = Vec::new();
    let groups = groups
        .iter()
        .enumerate()
        .map(|(g, &(label, n, suppressed))| {
            let users: Vec<u32> = (next..next + n as u32).collect();
            next += n as u32;
            codes.extend(std::iter::repeat_n(g as u32, n));
            SliceGroup {
                label: label.into(),
                values: vec![label.into()],
                users,
                suppressed,
                withheld: false,
            }
        })
        .collect();
    SliceColumn {
        name: "col".into(),
        columns: vec!["col".into()],
        groups,
        codes,
        chosen_reference: chosen,
    }
}

/// Users per group of one column among the users `u` with `include(u)`: `codes[u]` is the group of
/// user u (below `n_groups`), [`Categorical::MISSING`] for none.
fn group_sizes(codes: &[u32], n_groups: usize, include: impl Fn(usize) -> bool) -> Vec<usize> {
    let mut sizes = vec![0usize; n_groups];
    for (u, &c) in codes.iter().enumerate() {
        if c != Categorical::MISSING && include(u) {
            sizes[c as usize] += 1;
        }
    }
    sizes
}

/// The slice column `name` over the users-table `columns` from one group code per user
/// (`codes[u]` indexes `values`, [`Categorical::MISSING`] for none), with groups of fewer than
/// `min_size` users suppressed; row u stands for `weight(u)` users.
fn from_codes(
    name: String,
    columns: Vec<String>,
    values: Vec<Vec<String>>,
    codes: &[u32],
    min_size: usize,
    weight: &dyn Fn(u32) -> usize,
) -> SliceColumn {
    // Each group's members reserved at their count: a list grown by doubling would hold up to
    // twice its users.
    let mut sizes = vec![0usize; values.len()];
    for &c in codes.iter().filter(|&&c| c != Categorical::MISSING) {
        sizes[c as usize] += 1;
    }
    let mut users: Vec<Vec<u32>> = sizes.into_iter().map(Vec::with_capacity).collect();
    for (u, &c) in codes.iter().enumerate() {
        if c != Categorical::MISSING {
            users[c as usize].push(u as u32);
        }
    }
    let single = columns.len() == 1;
    let groups = values
        .into_iter()
        .zip(users)
        .map(|(values, users)| SliceGroup {
            suppressed: users.iter().map(|&u| weight(u)).sum::<usize>() < min_size,
            withheld: false,
            label: if single {
                values[0].clone()
            } else {
                intersection_key(&values)
            },
            values,
            users,
        })
        .collect();
    SliceColumn {
        name,
        columns,
        groups,
        codes: codes.to_vec(),
        chosen_reference: None,
    }
}

/// The intersection of `cols`: one group per combination of values held by some user (in
/// ascending code order), users missing a value in any of the columns in no group; row u stands
/// for `weight(u)` users.
fn intersect(cols: &[&Categorical], min_size: usize, weight: &dyn Fn(u32) -> usize) -> SliceColumn {
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
    let values: Vec<Vec<String>> = keys
        .iter()
        .map(|k| {
            k.iter()
                .zip(cols)
                .map(|(&c, col)| col.labels[c as usize].clone())
                .collect()
        })
        .collect();
    let codes: Vec<u32> = (0..n)
        .map(|u| match key_of(u) {
            Some(k) => keys.binary_search(&k).expect("key present") as u32,
            None => Categorical::MISSING,
        })
        .collect();
    let names: Vec<String> = cols.iter().map(|c| c.name.clone()).collect();
    from_codes(
        intersection_key(&names),
        names,
        values,
        &codes,
        min_size,
        weight,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 6 users: gender F F F M M and user 5 with no value (no consent); age old young young
    /// young old.
    fn columns() -> Vec<Categorical> {
        vec![
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
        ]
    }

    fn build(cfg: &SliceConfig) -> Result<Vec<SliceColumn>> {
        let cols = columns();
        let refs: Vec<&Categorical> = cols.iter().collect();
        build_slices(&refs, cfg)
    }

    #[test]
    fn codes_match_groups_only_when_each_group_is_its_codes_users_in_order() {
        let col = test_column(&[("a", 2, false), ("b", 3, false)], None);
        assert!(col.codes_match_groups());
        let mut other = col.clone();
        other.codes[1] = 1; // user 1 coded b but listed in a
        assert!(!other.codes_match_groups());
        let mut other = col.clone();
        other.groups[1].users.swap(0, 1); // b's users out of order
        assert!(!other.codes_match_groups());
        let mut other = col.clone();
        other.codes.push(0); // a user coded a but in no member list
        assert!(!other.codes_match_groups());
        let mut other = col;
        other.codes.push(Categorical::MISSING); // a user in no group
        assert!(other.codes_match_groups());
    }

    #[test]
    fn groups_reference_and_suppression() {
        let cfg = SliceConfig {
            min_slice_size: 3,
            ..SliceConfig::default()
        };
        let s = build(&cfg).unwrap();
        let g = &s[0];
        assert_eq!(g.groups[0].users, vec![0, 1, 2]);
        assert!(!g.groups[0].suppressed);
        assert!(g.groups[1].suppressed, "M has 2 < 3 users");
        assert_eq!(g.chosen_reference, None, "no reference is chosen");
        // the non-consenting user is in no group
        assert_eq!(g.codes[5], u32::MAX);
        assert_eq!((g.n_too_small(), g.n_withheld()), (1, 0));
    }

    #[test]
    fn intersections_are_keyed_by_their_columns_and_values() {
        let cfg = SliceConfig {
            min_slice_size: 1,
            intersections: vec![vec!["gender".into(), "age".into()]],
            ..SliceConfig::default()
        };
        let s = build(&cfg).unwrap();
        let x = &s[2];
        assert_eq!(x.name, r#"["gender","age"]"#);
        assert_eq!(x.columns, vec!["gender", "age"]);
        let labels: Vec<&str> = x.groups.iter().map(|g| g.label.as_str()).collect();
        assert_eq!(
            labels,
            vec![
                r#"["F","old"]"#,
                r#"["F","young"]"#,
                r#"["M","old"]"#,
                r#"["M","young"]"#
            ]
        );
        assert_eq!(x.groups[1].values, vec!["F", "young"]);
        assert_eq!(x.groups[1].users, vec![1, 2]);
        assert_eq!(x.chosen_reference, None);
    }

    #[test]
    fn labels_holding_the_old_separator_do_not_collide() {
        // `a & b` × `c` and `a` × `b & c` joined by " & " were the same string.
        let left = Categorical {
            name: "x".into(),
            labels: vec!["a & b".into(), "a".into()],
            codes: vec![0, 1],
        };
        let right = Categorical {
            name: "y".into(),
            labels: vec!["c".into(), "b & c".into()],
            codes: vec![0, 1],
        };
        let cfg = SliceConfig {
            min_slice_size: 1,
            intersections: vec![vec!["x".into(), "y".into()]],
            ..SliceConfig::default()
        };
        let s = build_slices(&[&left, &right], &cfg).unwrap();
        let labels: Vec<&str> = s[2].groups.iter().map(|g| g.label.as_str()).collect();
        assert_eq!(labels, vec![r#"["a & b","c"]"#, r#"["a","b & c"]"#]);
        assert_eq!(s[2].groups[0].users, vec![0]);
        assert_eq!(s[2].groups[1].users, vec![1]);
    }

    #[test]
    fn a_withheld_chosen_reference_is_dropped() {
        // 61 F, 76 M, 13 X: X is suppressed, F withheld so that X cannot be recovered; M stays.
        let gender = Categorical {
            name: "gender".into(),
            labels: vec!["F".into(), "M".into(), "X".into()],
            codes: [(0u32, 61usize), (1, 76), (2, 13)]
                .iter()
                .flat_map(|&(g, n)| std::iter::repeat_n(g, n))
                .collect(),
        };
        let mut cfg = SliceConfig::default();
        cfg.reference.insert("gender".into(), "F".into());
        let mut s = build_slices(&[&gender], &cfg).unwrap();
        assert_eq!(s[0].chosen_reference, Some(0));
        protect_columns(&mut s, 20, &[]);
        let g = &s[0].groups;
        assert!(g[0].suppressed && g[0].withheld);
        assert!(!g[1].suppressed);
        assert!(g[2].suppressed && !g[2].withheld);
        assert_eq!(
            s[0].chosen_reference, None,
            "each metric's best-off group instead"
        );
        assert_eq!((s[0].n_too_small(), s[0].n_withheld()), (1, 1));
    }

    #[test]
    fn configured_reference_and_errors() {
        let mut cfg = SliceConfig {
            min_slice_size: 1,
            ..SliceConfig::default()
        };
        cfg.reference.insert("gender".into(), "M".into());
        assert_eq!(build(&cfg).unwrap()[0].chosen_reference, Some(1));
        cfg.reference.insert("gender".into(), "Z".into());
        let e = build(&cfg).unwrap_err().to_string();
        assert!(
            e.contains("`Z` is not a value of slice column `gender`"),
            "{e}"
        );
        let cfg = SliceConfig {
            intersections: vec![vec!["gender".into(), "income".into()]],
            ..SliceConfig::default()
        };
        let e = build(&cfg).unwrap_err().to_string();
        assert!(e.contains("`income`") && e.contains("gender, age"), "{e}");
    }
}
