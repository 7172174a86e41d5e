//! The audit of a partitioned input folder, one partition in memory at a time (docs/scaling.md,
//! "Partitioned input"): subfolders `recs/`, `users/` and optionally `truth/` and `history/`, each
//! holding one `.parquet` or `.csv` file per partition under the same name, and an optional items
//! table `items.parquet` or `items.csv` beside them ([`Layout`]).
//!
//! **The rule**: the audit of a partitioned folder is the one-pass audit of the concatenation of
//! each table's partition files in ascending name order (numbers within rounding where the
//! partial states sum in partition order, docs/scaling.md).
//!
//! - [`read_broadcast`] (`global.rs`, with `catalog.rs` and `users.rs`): the global pass as map,
//!   merge and finish: every partition read with the one-pass loader and summarised
//!   ([`summarize_partition`] → [`GlobalSummary`]: its catalog contribution, the history's
//!   per-item counts, its users tables' counts and combinations, its lists' counts for the γ
//!   fit, its input counts), the summaries merged in partition order, the merge finished into
//!   [`Globals`] (the [`Broadcast`](super::Broadcast) among them): the catalog numbered as the
//!   one-pass loader numbers the concatenation, the slice plan, the γ fit, the input counts;
//! - [`read_partition`] (`partition.rs`): one partition's rows in global numbering, a
//!   [`Partition`](super::Partition);
//! - [`audit_folder`]: the global pass, map round 1 partition by partition (each state merged
//!   into the running one but for the sorted runs, which are written to a temporary file; the
//!   partition dropped), the segregation's round 2 reading them again, the finish (the runs
//!   merged as streams from the file, [`SpilledRuns`]).

mod catalog;
mod global;
mod layout;
mod origin;
mod partition;
mod shipped;
mod split;
mod users;

#[cfg(test)]
mod tests;

use std::path::Path;

pub use global::{read_broadcast, summarize_partition, GlobalSummary, Globals};
use global::{read_broadcast_with, Placement};
pub use layout::{Layout, PartitionFiles, PARTITIONED_TABLES};
pub use partition::{read_partition, read_partition_lists};
pub use shipped::{fit_from_bytes, fit_to_bytes, settings_from_bytes, settings_to_bytes};
pub use split::{audit_split, split_tables, SplitTables};

use crate::error::{Error, Result};
use crate::metrics::segregation::Fitted;
use crate::result::AuditResult;
use crate::settings::AuditConfig;

use super::{
    finish_audit_with_runs, map_partition, map_partition_clusters, Broadcast, FinishError,
    PartialClusters, PartialRanked, PartitionStates, SpilledRuns,
};

/// The audit of the partitioned folder `dir` ([`Layout`]) under `cfg` (whose table paths are not
/// read: the folder gives the tables; `settings.paths` echoes the tables' folders). Memory holds
/// one partition's tables, the global pass's results (the catalog, the users tables' counts and
/// combinations) and the merged states but for the sorted runs: each partition's runs
/// ([`PartialRanked`]) and the keys of the users it holds rows of (for the check that no user has
/// rows in two partitions) are written to a temporary file and merged as streams
/// ([`SpilledRuns`]). A differentially private audit and a baseline run's lists are refused.
pub fn audit_folder(dir: &Path, cfg: &AuditConfig) -> Result<AuditResult> {
    audit_folder_with(dir, cfg, Placement::Check)
}

/// [`audit_folder`], checking the users' placement in the partitions as `placement` says.
fn audit_folder_with(dir: &Path, cfg: &AuditConfig, placement: Placement) -> Result<AuditResult> {
    check_folder_settings(cfg)?;
    let finish_error = |e: FinishError| Error::Config(format!("the audit of partitions: {e}"));
    let layout = Layout::read(dir)?;
    let g = read_broadcast_with(&layout, cfg, placement)?;
    let b = &g.broadcast;

    // Map round 1, merged in partition order, one partition in memory at a time; each
    // partition's sorted runs go to the temporary file. A partition's runs are written and its
    // states merged while the next partition is read and mapped.
    let spill_error =
        |e: std::io::Error| Error::Config(format!("the sorted runs' temporary file: {e}"));
    let mut runs = SpilledRuns::new().map_err(spill_error)?;
    let mut states: Option<PartitionStates> = None;
    let mut mapped: Option<PartitionStates> = None;
    let mut keep = |s: Option<PartitionStates>,
                    states: Option<PartitionStates>|
     -> Result<Option<PartitionStates>> {
        let Some(mut s) = s else {
            return Ok(states);
        };
        runs.push(&s.ranked).map_err(spill_error)?;
        s.ranked = PartialRanked::default();
        Ok(Some(match states {
            None => s,
            Some(acc) => acc.merge(s),
        }))
    };
    for p in &layout.partitions {
        let previous = mapped.take();
        let (next, kept) = rayon::join(
            || -> Result<PartitionStates> {
                let part = read_partition(&layout, p, &g)?;
                Ok(map_partition(&part, b))
            },
            || keep(previous, states.take()),
        );
        states = kept?;
        mapped = Some(next?);
    }
    let states = keep(mapped, states)?.expect("a layout has a partition");

    // Round 2: the segregation's clusters, the partitions read again.
    let fitted = fit_segregation(&states, b)?;
    let mut clusters: Option<PartialClusters> = None;
    if let Some(fitted) = &fitted {
        for p in &layout.partitions {
            let part = read_partition_lists(&layout, p, &g)?;
            let c = map_partition_clusters(&part, fitted, b);
            clusters = Some(match clusters {
                None => c,
                Some(acc) => acc.merge(c),
            });
        }
    }
    let clusters = fitted.as_ref().zip(clusters.as_ref());
    finish_audit_with_runs(states, &runs, clusters, b, g.inputs.clone()).map_err(finish_error)
}

/// Errors for the settings a partitioned audit refuses: a differentially private audit and a
/// baseline run's lists; otherwise the settings' own checks.
pub fn check_folder_settings(cfg: &AuditConfig) -> Result<()> {
    if cfg.privacy.epsilon.is_some() {
        return Err(Error::Config(
            "a differentially private audit (--dp-epsilon) runs in one pass, not in partitions"
                .into(),
        ));
    }
    if cfg.paths.baseline_recs.is_some() {
        return Err(Error::Config(
            "a baseline run's lists (--baseline-recs) are not read from a partitioned folder"
                .into(),
        ));
    }
    cfg.validate()?;
    Ok(())
}

/// The segregation's fit of the merged round-1 `states` (round 2 assigns every partition's users
/// to it): `None` when the items have no categories or the fit sample cannot be fitted.
pub fn fit_segregation(states: &PartitionStates, b: &Broadcast) -> Result<Option<Fitted>> {
    let n_cat = b.items.items.category_labels.len();
    if n_cat == 0 {
        return Ok(None);
    }
    states
        .fit_sample
        .fit(n_cat, &b.cfg.bubble)
        .map_err(|e| Error::Config(format!("the audit of partitions: {e}")))
}
