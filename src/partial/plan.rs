//! The slice plan: the groups of every audited slice column, their sizes and which are
//! published. A function of the users table only (one row per user), decided before the map.

use crate::data::Dataset;
use crate::error::Result;
use crate::input::InputSummary;
use crate::settings::AuditConfig;
use crate::slices::selection::choose_columns;
use crate::slices::{build_slices, protect_columns, SliceColumn};
use crate::stats::StatsConfig;

/// One slice column of the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanColumn {
    /// The column's key.
    pub name: String,
    /// Group labels, in group order.
    pub labels: Vec<String>,
    /// Users per group (over all partitions).
    pub sizes: Vec<usize>,
    /// Per group: not published (too small, or withheld by complementary suppression).
    pub suppressed: Vec<bool>,
    /// The `--reference` group, when chosen and published.
    pub chosen_reference: Option<usize>,
}

/// The slice columns of an audit without their per-user parts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SlicePlan {
    /// The audited slice columns, in audit order.
    pub columns: Vec<PlanColumn>,
}

impl SlicePlan {
    /// The plan of slice columns built by the one-pass audit.
    pub fn of(slices: &[SliceColumn]) -> SlicePlan {
        SlicePlan {
            columns: slices
                .iter()
                .map(|c| PlanColumn {
                    name: c.name.clone(),
                    labels: c.groups.iter().map(|g| g.label.clone()).collect(),
                    sizes: c.groups.iter().map(|g| g.users.len()).collect(),
                    suppressed: c.groups.iter().map(|g| g.suppressed).collect(),
                    chosen_reference: c.chosen_reference,
                })
                .collect(),
        }
    }

    /// Groups per column.
    pub fn n_groups(&self) -> Vec<usize> {
        self.columns.iter().map(|c| c.labels.len()).collect()
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

/// The slice columns the one-pass audit builds from `ds` (`audit::audit_metrics`: the chosen
/// users-table columns and intersections, min-size suppression, complementary suppression with
/// the published counts of unsliced users). The plan is [`SlicePlan::of`] them; the codes give
/// each user's group per column.
pub fn audited_slices(
    ds: &Dataset,
    input: &InputSummary,
    cfg: &AuditConfig,
) -> Result<Vec<SliceColumn>> {
    let min_size = cfg.slices.min_slice_size;
    let (chosen, _) = choose_columns(&ds.slices, cfg.columns.slices.is_some(), min_size)?;
    let mut slices = build_slices(&chosen, &cfg.slices)?;
    // The published counts of unsliced users (`audit::publication::published_unsliced_counts`).
    let unsliced: Vec<usize> = [
        input.users_without_consent,
        input.users_missing_from_users_table,
    ]
    .into_iter()
    .flatten()
    .filter(|&n| n >= min_size && n > 0)
    .collect();
    protect_columns(&mut slices, min_size, &unsliced);
    Ok(slices)
}
