//! The slice plan of a partitioned input from the users tables alone, partition by partition:
//! each users-table column's values and users per value (the column choice, the labels), and the
//! users' combinations of values (the groups' sizes, intersections and complementary
//! suppression), never a per-user row on the driver.
//!
//! A column's labels are the sorted distinct values of its included users
//! ([`Categorical`]): the global labels are the sorted union of the partitions' labels, and a
//! group's size the sum of its partitions' counts. A column that is not named in `--slices` and
//! has more than [`MAX_DISTINCT_VALUES`] values is skipped by the one-pass audit whatever its
//! counts, so it is summed out of the combinations as soon as it is seen to have that many; its
//! values are still counted (the skip's reason gives their number).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::data::Categorical;
use crate::error::{Error, Result};
use crate::input::vocab::Vocab;
use crate::slices::selection::{choose_by_sizes, SkippedColumn, MAX_DISTINCT_VALUES};
use crate::slices::{build_weighted_slices, SliceConfig};

use super::super::{CellUsers, PlanColumn, SlicePlan};

/// A column summed out of the combinations.
const DROPPED: u32 = u32::MAX - 1;

/// The users tables of a run of consecutive partitions (a partition's summary, or several
/// merged). Values are numbered as first seen (provisional codes); merged in any order the
/// counts are the same, but the summaries are merged in partition order with the catalog's.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct UsersPart {
    /// The columns were named in `--slices` (none is summed out).
    explicit: bool,
    /// The users-table columns (every partition must have the same).
    names: Vec<String>,
    /// Per column, its values as first seen (provisional codes).
    values: Vec<Vec<String>>,
    /// Per column and provisional code, the included users holding the value.
    sizes: Vec<Vec<usize>>,
    /// Per column: still a part of `combinations`.
    tracked: Vec<bool>,
    /// The users of each combination of provisional codes (one per column, [`DROPPED`] for the
    /// columns summed out, [`Categorical::MISSING`] for no value).
    combinations: BTreeMap<Vec<u32>, CellUsers>,
    /// Per column, `values`' lookup, built on the first merge into `self`.
    #[serde(skip)]
    index: Option<Vec<Vocab>>,
}

/// What the users tables decide.
#[derive(Debug, Clone)]
pub(super) struct UsersPlan {
    /// The chosen users-table columns with their global labels (no codes).
    pub(super) chosen: Vec<Categorical>,
    /// The columns not audited, with the reason.
    pub(super) skipped: Vec<SkippedColumn>,
    /// The plan before complementary suppression.
    pub(super) plan: SlicePlan,
    /// The users of each combination of the plan columns' codes.
    pub(super) combinations: BTreeMap<Vec<u32>, CellUsers>,
    /// Each combination of the chosen columns' codes held by some user → its codes in the plan's
    /// columns (intersections included).
    pub(super) to_plan: BTreeMap<Vec<u32>, Vec<u32>>,
}

impl UsersPart {
    /// One partition's slice columns `slices` of its users with keys `keys`. `explicit`: the
    /// columns were named in `--slices`.
    pub(super) fn of(slices: &[Categorical], keys: &[u64], explicit: bool) -> UsersPart {
        let mut part = UsersPart {
            explicit,
            names: slices.iter().map(|c| c.name.clone()).collect(),
            values: slices.iter().map(|c| c.labels.clone()).collect(),
            sizes: Vec::with_capacity(slices.len()),
            tracked: Vec::with_capacity(slices.len()),
            combinations: BTreeMap::new(),
            index: None,
        };
        for col in slices {
            let mut sizes = vec![0usize; col.labels.len()];
            for &code in &col.codes {
                if let Some(n) = sizes.get_mut(code as usize) {
                    *n += 1;
                }
            }
            part.sizes.push(sizes);
            part.tracked
                .push(explicit || col.labels.len() <= MAX_DISTINCT_VALUES);
        }
        for (u, &key) in keys.iter().enumerate() {
            let combination: Vec<u32> = slices
                .iter()
                .enumerate()
                .map(|(c, col)| match part.tracked[c] {
                    false => DROPPED,
                    true => match (col.codes[u] as usize) < col.labels.len() {
                        true => col.codes[u],
                        false => Categorical::MISSING,
                    },
                })
                .collect();
            CellUsers::add_to(&mut part.combinations, combination, CellUsers::one(key));
        }
        part
    }

    /// The users tables of `self`'s partitions and `later`'s. Errors when their columns differ
    /// (`file`: the users table of `later`'s first partition, which the error names).
    pub(super) fn merge(mut self, later: UsersPart, file: &Path) -> Result<UsersPart> {
        if later.names != self.names {
            return Err(Error::BadTable {
                path: file.to_path_buf(),
                message: format!(
                    "the slice columns are {}, those of the first partition {}: every \
                     partition's users table has the same columns",
                    later.names.join(", "),
                    self.names.join(", ")
                ),
            });
        }
        let mut index = match self.index.take() {
            Some(index) => index,
            None => self
                .values
                .iter()
                .map(|values| {
                    let mut v = Vocab::new();
                    for value in values {
                        v.intern(value);
                    }
                    v
                })
                .collect(),
        };
        // Per column, `later`'s codes → `self`'s, its sizes added.
        let mut to_self: Vec<Vec<u32>> = Vec::with_capacity(self.names.len());
        for (c, values) in later.values.iter().enumerate() {
            let map: Vec<u32> = values
                .iter()
                .map(|value| {
                    let code = index[c].intern(value);
                    if code as usize == self.values[c].len() {
                        self.values[c].push(value.clone());
                        self.sizes[c].push(0);
                    }
                    code
                })
                .collect();
            for (&code, &n) in map.iter().zip(&later.sizes[c]) {
                self.sizes[c][code as usize] += n;
            }
            to_self.push(map);
        }
        for c in 0..self.names.len() {
            let many = !self.explicit && self.values[c].len() > MAX_DISTINCT_VALUES;
            if self.tracked[c] && (many || !later.tracked[c]) {
                self.drop_column(c);
            }
        }
        for (combination, users) in later.combinations {
            let combination = combination
                .iter()
                .enumerate()
                .map(|(c, &code)| match (self.tracked[c], code) {
                    (false, _) => DROPPED,
                    (true, Categorical::MISSING) => Categorical::MISSING,
                    (true, code) => to_self[c][code as usize],
                })
                .collect();
            CellUsers::add_to(&mut self.combinations, combination, users);
        }
        self.index = Some(index);
        Ok(self)
    }

    /// Errors unless `self`'s counts are consistent (bytes from elsewhere): one entry per
    /// column everywhere, every combination's codes in range.
    pub(super) fn check(&self) -> std::result::Result<(), String> {
        let n = self.names.len();
        if self.values.len() != n || self.sizes.len() != n || self.tracked.len() != n {
            return Err("users-table columns of different numbers".into());
        }
        if self
            .values
            .iter()
            .zip(&self.sizes)
            .any(|(v, s)| v.len() != s.len())
        {
            return Err("a column's counts of the wrong length".into());
        }
        let good = |c: usize, code: u32| match (self.tracked[c], code) {
            (false, DROPPED) | (true, Categorical::MISSING) => true,
            (true, code) => (code as usize) < self.values[c].len(),
            (false, _) => false,
        };
        for combination in self.combinations.keys() {
            if combination.len() != n || !combination.iter().enumerate().all(|(c, &k)| good(c, k)) {
                return Err("a combination of values out of range".into());
            }
        }
        Ok(())
    }

    /// Sums column `c` out of the combinations.
    fn drop_column(&mut self, c: usize) {
        self.tracked[c] = false;
        let old = std::mem::take(&mut self.combinations);
        for (mut combination, users) in old {
            combination[c] = DROPPED;
            CellUsers::add_to(&mut self.combinations, combination, users);
        }
    }

    /// The column choice and the plan before complementary suppression, as the one-pass audit
    /// decides them from the concatenated users tables (`slices::selection::choose_columns`,
    /// `slices::build_slices`), from the counts.
    pub(super) fn finish(self, cfg: &SliceConfig) -> Result<UsersPlan> {
        let explicit = self.explicit;
        // Per column, the global labels (sorted) and each provisional code's global code.
        let mut labels: Vec<Vec<String>> = Vec::new();
        let mut code_of: Vec<Vec<u32>> = Vec::new();
        let mut sized: Vec<(&str, Vec<usize>)> = Vec::new();
        for (c, values) in self.values.iter().enumerate() {
            let mut order: Vec<u32> = (0..values.len() as u32).collect();
            order.sort_unstable_by(|&a, &b| values[a as usize].cmp(&values[b as usize]));
            let mut code = vec![0u32; order.len()];
            for (g, &p) in order.iter().enumerate() {
                code[p as usize] = g as u32;
            }
            labels.push(order.iter().map(|&p| values[p as usize].clone()).collect());
            sized.push((
                self.names[c].as_str(),
                order.iter().map(|&p| self.sizes[c][p as usize]).collect(),
            ));
            code_of.push(code);
        }
        let (chosen, skipped) = choose_by_sizes(&sized, explicit, cfg)?;
        debug_assert!(chosen.iter().all(|&c| self.tracked[c]));
        // The combinations of the chosen columns' global codes: one row each.
        let mut rows: BTreeMap<Vec<u32>, CellUsers> = BTreeMap::new();
        for (combination, &users) in &self.combinations {
            let codes: Vec<u32> = chosen
                .iter()
                .map(|&c| match combination[c] {
                    Categorical::MISSING => Categorical::MISSING,
                    p => code_of[c][p as usize],
                })
                .collect();
            CellUsers::add_to(&mut rows, codes, users);
        }
        let weights: Vec<usize> = rows.values().map(|u| u.n as usize).collect();
        let columns: Vec<Categorical> = chosen
            .iter()
            .enumerate()
            .map(|(j, &c)| Categorical {
                name: self.names[c].clone(),
                labels: labels[c].clone(),
                codes: rows.keys().map(|k| k[j]).collect(),
            })
            .collect();
        let refs: Vec<&Categorical> = columns.iter().collect();
        let slices = build_weighted_slices(&refs, Some(&weights), cfg)?;
        let plan = SlicePlan {
            columns: slices
                .iter()
                .map(|s| PlanColumn::of_rows(s, &weights))
                .collect(),
        };
        let mut combinations: BTreeMap<Vec<u32>, CellUsers> = BTreeMap::new();
        let mut to_plan = BTreeMap::new();
        for (r, (codes, &users)) in rows.iter().enumerate() {
            let in_plan: Vec<u32> = slices.iter().map(|s| s.codes[r]).collect();
            CellUsers::add_to(&mut combinations, in_plan.clone(), users);
            to_plan.insert(codes.clone(), in_plan);
        }
        let chosen = columns
            .into_iter()
            .map(|c| Categorical {
                codes: Vec::new(),
                ..c
            })
            .collect();
        Ok(UsersPlan {
            chosen,
            skipped,
            plan,
            combinations,
            to_plan,
        })
    }
}
