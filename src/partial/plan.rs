//! The slice plan: the groups of every audited slice column, their sizes and which are
//! published. A function of the users table only (one row per user), decided before the map.

use std::collections::BTreeMap;

use crate::data::Dataset;
use crate::error::Result;
use crate::input::InputSummary;
use crate::result::{GroupSummary, SliceSummary};
use crate::settings::AuditConfig;
use crate::slices::{disclosure, protect_columns, SliceColumn};
use crate::stats::StatsConfig;

use super::state::CellUsers;

impl PlanColumn {
    /// The plan's column of one-pass slice column `c`.
    pub fn of(c: &SliceColumn) -> PlanColumn {
        PlanColumn {
            name: c.name.clone(),
            columns: c.columns.clone(),
            labels: c.groups.iter().map(|g| g.label.clone()).collect(),
            values: c.groups.iter().map(|g| g.values.clone()).collect(),
            sizes: c.groups.iter().map(|g| g.users.len()).collect(),
            suppressed: c.groups.iter().map(|g| g.suppressed).collect(),
            withheld: c.groups.iter().map(|g| g.withheld).collect(),
            chosen_reference: c.chosen_reference,
        }
    }

    /// The plan's column of `c` built over rows that each stand for `weights[row]` users
    /// (`slices::build_weighted_slices`): a group's size is the sum of its rows' weights.
    pub fn of_rows(c: &SliceColumn, weights: &[usize]) -> PlanColumn {
        PlanColumn {
            sizes: c
                .groups
                .iter()
                .map(|g| g.users.iter().map(|&r| weights[r as usize]).sum())
                .collect(),
            ..PlanColumn::of(c)
        }
    }

    /// The column's entry of the `slices` block of `audit.json`: the published groups with their
    /// sizes (and, for an intersection, each component's value), the chosen reference, and how
    /// many groups were too small or withheld.
    pub fn summary(&self) -> SliceSummary {
        let shown = (0..self.labels.len()).filter(|&g| !self.suppressed[g]);
        SliceSummary {
            columns: self.columns.clone(),
            chosen_reference: self.chosen_reference.map(|r| self.labels[r].clone()),
            groups: shown
                .map(|g| {
                    let values = if self.columns.len() > 1 {
                        self.columns
                            .iter()
                            .cloned()
                            .zip(self.values[g].iter().cloned())
                            .collect()
                    } else {
                        BTreeMap::new()
                    };
                    let summary = GroupSummary {
                        n_users: self.sizes[g],
                        values,
                    };
                    (self.labels[g].clone(), summary)
                })
                .collect(),
            groups_too_small: (0..self.labels.len())
                .filter(|&g| self.suppressed[g] && !self.withheld[g])
                .count(),
            groups_withheld: self.withheld.iter().filter(|&&w| w).count(),
        }
    }
}

/// One slice column of the plan.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PlanColumn {
    /// The column's key.
    pub name: String,
    /// The users-table columns it is built from (two or three for an intersection).
    pub columns: Vec<String>,
    /// Group labels, in group order.
    pub labels: Vec<String>,
    /// Per group, its value in each of `columns`.
    pub values: Vec<Vec<String>>,
    /// Users per group (over all partitions).
    pub sizes: Vec<usize>,
    /// Per group: not published (too small, or withheld by complementary suppression).
    pub suppressed: Vec<bool>,
    /// Per group: withheld by complementary suppression.
    pub withheld: Vec<bool>,
    /// The `--reference` group, when chosen and published.
    pub chosen_reference: Option<usize>,
}

/// The slice columns of an audit without their per-user parts.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct SlicePlan {
    /// The audited slice columns, in audit order.
    pub columns: Vec<PlanColumn>,
}

impl SlicePlan {
    /// The plan of slice columns built by the one-pass audit.
    pub fn of(slices: &[SliceColumn]) -> SlicePlan {
        SlicePlan {
            columns: slices.iter().map(PlanColumn::of).collect(),
        }
    }

    /// The `slices` block of `audit.json`: per column its [`PlanColumn::summary`].
    pub fn summaries(&self) -> BTreeMap<String, SliceSummary> {
        self.columns
            .iter()
            .map(|c| (c.name.clone(), c.summary()))
            .collect()
    }

    /// Groups per column.
    pub fn n_groups(&self) -> Vec<usize> {
        self.columns.iter().map(|c| c.labels.len()).collect()
    }

    /// The plan after complementary suppression (`slices::protect_columns`), decided from the
    /// users table's combinations of groups (`combinations`: per combination of one code per
    /// column, its users; see [`user_combinations`]) instead of the users themselves: groups
    /// that would let a smaller set be recovered by differencing are marked suppressed, and a
    /// chosen reference that is no longer published is dropped. `counts_of_unsliced` are the
    /// published counts of users outside every column (as for `protect_columns`). Equal to
    /// [`SlicePlan::of`] the one-pass audit's protected columns (the combinations are read in the
    /// order of their smallest user key, the order the one-pass audit meets them in).
    pub fn protected(
        mut self,
        combinations: &BTreeMap<Vec<u32>, CellUsers>,
        min_size: usize,
        counts_of_unsliced: &[usize],
    ) -> SlicePlan {
        let shown: Vec<Vec<bool>> = self
            .columns
            .iter()
            .map(|c| c.suppressed.iter().map(|s| !s).collect())
            .collect();
        let rows = combinations
            .iter()
            .map(|(codes, &users)| (codes.as_slice(), users));
        let decided = protect_combinations(rows, &shown, min_size, counts_of_unsliced);
        for (col, shown) in self.columns.iter_mut().zip(decided) {
            for (g, show) in shown.into_iter().enumerate() {
                if !show && !col.suppressed[g] {
                    col.suppressed[g] = true;
                    col.withheld[g] = true;
                }
            }
            if col.chosen_reference.is_some_and(|r| col.suppressed[r]) {
                col.chosen_reference = None;
            }
        }
        self
    }

    /// Per column, per group: whether the partial state must keep the group's users' values
    /// whatever their number. A published group is compared with each metric's reference by a
    /// permutation test when the smaller of the two has at most `permutation_max_n` users, and
    /// the test reads both groups' values; the reference depends on the observed means, known only
    /// at finish, so every published group of a column that has another published group of at
    /// most `permutation_max_n` users keeps its values (the groups of at most
    /// max(`bootstrap_units`, `permutation_max_n`) users keep them anyway).
    pub fn keeps_values(&self, stats: &StatsConfig) -> Vec<Vec<bool>> {
        self.columns
            .iter()
            .map(|c| {
                let small = |g: usize| !c.suppressed[g] && c.sizes[g] <= stats.permutation_max_n;
                (0..c.labels.len())
                    .map(|g| !c.suppressed[g] && (0..c.labels.len()).any(|h| h != g && small(h)))
                    .collect()
            })
            .collect()
    }
}

/// Complementary suppression decided from combinations of slice codes instead of users: each
/// row (a combination of one code per column, its users) stands for its users, and the rows are
/// read in ascending smallest user key (ties by codes), the order in which the one-pass audit
/// meets them (`disclosure::protect_weighted`). `shown[c][g]`: group g of column c published
/// before; returns the same after.
pub(crate) fn protect_combinations<'a>(
    rows: impl IntoIterator<Item = (&'a [u32], CellUsers)>,
    shown: &[Vec<bool>],
    min_size: usize,
    counts_of_unsliced: &[usize],
) -> Vec<Vec<bool>> {
    let mut rows: Vec<(&[u32], CellUsers)> = rows.into_iter().collect();
    rows.sort_by_key(|(codes, users)| (users.first_key, *codes));
    let codes: Vec<Vec<u32>> = (0..shown.len())
        .map(|c| rows.iter().map(|(key, _)| key[c]).collect())
        .collect();
    let code_refs: Vec<&[u32]> = codes.iter().map(|c| c.as_slice()).collect();
    let weight = |r: usize| rows[r].1.n as usize;
    disclosure::protect_weighted(&code_refs, shown, &weight, min_size, counts_of_unsliced).shown
}

/// The users of each combination of slice codes (`codes[c][i]`: user i's group in column c,
/// `keys[i]` its key): how many, and the smallest key. A sum over users, so partitions of the
/// users table merge by [`CellUsers::add`].
pub fn user_combinations(codes: &[&[u32]], keys: &[u64]) -> BTreeMap<Vec<u32>, CellUsers> {
    let mut out: BTreeMap<Vec<u32>, CellUsers> = BTreeMap::new();
    for (i, &key) in keys.iter().enumerate() {
        let combination: Vec<u32> = codes.iter().map(|c| c[i]).collect();
        CellUsers::add_to(&mut out, combination, CellUsers::one(key));
    }
    out
}

/// The slice columns the one-pass audit builds from `ds` (`audit::slice_columns` and
/// `audit::publish_groups`: the chosen users-table columns and intersections, min-size
/// suppression, complementary suppression with the published counts of unsliced users). The
/// plan is [`SlicePlan::of`] them; the codes give each user's group per column.
pub fn audited_slices(
    ds: &Dataset,
    input: &InputSummary,
    cfg: &AuditConfig,
) -> Result<Vec<SliceColumn>> {
    let mut slices = unprotected_slices(ds, cfg)?;
    let min_size = cfg.slices.min_slice_size;
    protect_columns(&mut slices, min_size, &unsliced_counts(input, min_size));
    Ok(slices)
}

/// [`audited_slices`] before complementary suppression: the chosen columns and intersections,
/// groups below the minimum size suppressed (the one-pass audit's `audit::slice_columns`).
pub fn unprotected_slices(ds: &Dataset, cfg: &AuditConfig) -> Result<Vec<SliceColumn>> {
    crate::audit::slice_columns(ds, cfg).map(|(_, _, slices)| slices)
}

/// The published counts of unsliced users (`audit::publication::published_unsliced_counts`):
/// users without consent and users missing from the users table, each when at least `min_size`.
pub fn unsliced_counts(input: &InputSummary, min_size: usize) -> Vec<usize> {
    [
        input.users_without_consent,
        input.users_missing_from_users_table,
    ]
    .into_iter()
    .flatten()
    .filter(|&n| n >= min_size && n > 0)
    .collect()
}
