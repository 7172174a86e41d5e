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

use crate::data::Categorical;
use crate::error::{Error, Result};
use crate::input::vocab::Vocab;
use crate::slices::selection::{choose_by_sizes, SkippedColumn, MAX_DISTINCT_VALUES};
use crate::slices::{build_weighted_slices, SliceConfig};

use super::super::{CellUsers, PlanColumn, SlicePlan};

/// A column summed out of the combinations.
const DROPPED: u32 = u32::MAX - 1;

/// The users tables as read so far.
#[derive(Debug, Default)]
pub(super) struct UsersPass {
    /// The users-table columns (those of the first partition; every partition must have them).
    names: Vec<String>,
    /// Per column, its values numbered as first seen (provisional codes).
    values: Vec<Vocab>,
    /// Per column and provisional code, the included users holding the value.
    sizes: Vec<Vec<usize>>,
    /// Per column: still a part of `combinations`.
    tracked: Vec<bool>,
    /// The users of each combination of provisional codes (one per column, [`DROPPED`] for the
    /// columns summed out, [`Categorical::MISSING`] for no value).
    combinations: BTreeMap<Vec<u32>, CellUsers>,
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

impl UsersPass {
    /// Adds one partition's slice columns `slices` (read from the users table `file`) of its
    /// users with keys `keys`. `explicit`: the columns were named in `--slices`.
    pub(super) fn add(
        &mut self,
        slices: &[Categorical],
        keys: &[u64],
        file: &Path,
        explicit: bool,
    ) -> Result<()> {
        let names: Vec<String> = slices.iter().map(|c| c.name.clone()).collect();
        if self.values.is_empty() {
            self.values = vec![Vocab::new(); names.len()];
            self.sizes = vec![Vec::new(); names.len()];
            self.tracked = vec![true; names.len()];
            self.names = names;
        } else if names != self.names {
            return Err(Error::BadTable {
                path: file.to_path_buf(),
                message: format!(
                    "the slice columns are {}, those of the first partition {}: every \
                     partition's users table has the same columns",
                    names.join(", "),
                    self.names.join(", ")
                ),
            });
        }
        // Each column's local codes as provisional ones, and the users per value.
        let mut local: Vec<Vec<u32>> = Vec::with_capacity(slices.len());
        for (c, col) in slices.iter().enumerate() {
            let prov: Vec<u32> = col
                .labels
                .iter()
                .map(|l| self.values[c].intern(l))
                .collect();
            self.sizes[c].resize(self.values[c].len(), 0);
            for &code in &col.codes {
                if let Some(&p) = prov.get(code as usize) {
                    self.sizes[c][p as usize] += 1;
                }
            }
            local.push(prov);
        }
        for c in 0..slices.len() {
            if self.tracked[c] && !explicit && self.values[c].len() > MAX_DISTINCT_VALUES {
                self.drop_column(c);
            }
        }
        for (u, &key) in keys.iter().enumerate() {
            let combination: Vec<u32> = slices
                .iter()
                .enumerate()
                .map(|(c, col)| match self.tracked[c] {
                    false => DROPPED,
                    true => local[c]
                        .get(col.codes[u] as usize)
                        .copied()
                        .unwrap_or(Categorical::MISSING),
                })
                .collect();
            CellUsers::add_to(&mut self.combinations, combination, CellUsers::one(key));
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
    /// `slices::build_slices`), from the counts: `explicit` as for [`add`](Self::add).
    pub(super) fn finish(self, explicit: bool, cfg: &SliceConfig) -> Result<UsersPlan> {
        // Per column, the global labels (sorted) and each provisional code's global code.
        let mut labels: Vec<Vec<String>> = Vec::new();
        let mut code_of: Vec<Vec<u32>> = Vec::new();
        let mut sized: Vec<(&str, Vec<usize>)> = Vec::new();
        for (c, values) in self.values.iter().enumerate() {
            let mut order: Vec<u32> = (0..values.len() as u32).collect();
            order.sort_unstable_by(|&a, &b| values.id(a).cmp(values.id(b)));
            let mut code = vec![0u32; order.len()];
            for (g, &p) in order.iter().enumerate() {
                code[p as usize] = g as u32;
            }
            labels.push(order.iter().map(|&p| values.id(p).to_string()).collect());
            sized.push((
                self.names[c].as_str(),
                order.iter().map(|&p| self.sizes[c][p as usize]).collect(),
            ));
            code_of.push(code);
        }
        let (chosen, skipped) = choose_by_sizes(&sized, explicit, cfg.min_slice_size)?;
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
