//! The global pass over a partitioned input: every partition read in turn with the one-pass
//! loader, only what must be global kept (the catalog and the history's item counts, the users
//! tables' counts and combinations, the lists' counts for the γ fit, the input counts, the
//! audited users' keys in a temporary file), one partition held at a time.

use std::collections::BTreeMap;
use std::io::Write;
use std::ops::Range;
use std::path::Path;

use crate::audit::published_unsliced_counts;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::input::vocab::Vocab;
use crate::input::{load_with_details, InputConfig, InputSummary, LoadDetails};
use crate::settings::AuditConfig;

use super::super::spill::{merge, reader_buffer, Cursor, KeyCursor, SpillFile};
use super::super::{AuditInputs, Broadcast, ItemStats, PartialSettings};
use super::catalog::CatalogPass;
use super::layout::{Layout, PartitionFiles};
use super::users::UsersPass;

/// What the global pass gives: the broadcast, what the finish needs besides the states, and
/// what a partition's reader needs to put its rows in global numbering.
#[derive(Debug, Clone)]
pub struct Globals {
    /// The broadcast of every map task.
    pub broadcast: Broadcast,
    /// The input counts, skipped columns, tables given and propensity model.
    pub inputs: AuditInputs,
    /// Item id → global code.
    pub(super) catalog: Vocab,
    /// Each combination of the chosen columns' global codes → its codes in the plan's columns.
    pub(super) to_plan: BTreeMap<Vec<u32>, Vec<u32>>,
    /// The snapshot and sample labels of every partition's recommendations.
    pub(super) labels: [Vec<String>; 2],
}

/// The loader's settings for one partition: the audit's, the partition's files, and ids that
/// need not join (the join checks are made over all partitions, [`check_joins`]).
pub(super) fn input_config(layout: &Layout, p: &PartitionFiles, cfg: &AuditConfig) -> InputConfig {
    InputConfig {
        paths: layout.paths(p),
        allow_unmatched_ids: true,
        ..cfg.input()
    }
}

/// Reads partition `p` with the one-pass loader.
pub(super) fn load_partition(
    layout: &Layout,
    p: &PartitionFiles,
    cfg: &AuditConfig,
) -> Result<(Dataset, InputSummary, LoadDetails)> {
    load_with_details(&input_config(layout, p, cfg))
}

/// The global pass over every partition of `layout`: the [`Globals`] of the audit `cfg`.
pub fn read_broadcast(layout: &Layout, cfg: &AuditConfig) -> Result<Globals> {
    let explicit = cfg.columns.slices.is_some();
    let min_size = cfg.slices.min_slice_size;
    let mut catalog = CatalogPass::default();
    let mut users = UsersPass::default();
    let mut input = InputSummary::default();
    let mut first: Option<(LoadDetails, bool)> = None;
    // The audited users' keys, each partition's (ascending) in a section of a temporary file.
    let mut keys = SpillFile::new().map_err(keys_error)?;
    let mut sections: Vec<Range<u64>> = Vec::new();
    for p in &layout.partitions {
        let (ds, summary, details) = load_partition(layout, p, cfg)?;
        let truth_propensities = ds.truth_propensity.is_some();
        match &first {
            None => first = Some((details.clone(), truth_propensities)),
            Some((d, t)) => check_same_lists(p, d, &details, *t, truth_propensities)?,
        }
        catalog.add(&ds, &details);
        users.add(&ds.slices, &ds.user_keys, &p.users, explicit)?;
        let section = keys.append(|w| {
            ds.user_keys
                .iter()
                .try_for_each(|k| w.write_all(&k.to_le_bytes()))
        });
        sections.push(section.map_err(keys_error)?);
        add_summary(&mut input, summary);
    }
    check_distinct_users(layout, &keys, &sections)?;
    drop(keys);
    let (details, truth_propensities) = first.expect("a layout has a partition");
    let catalog = catalog.finish();
    input.catalog_items = catalog.items.n_items();
    input.items_recommended = catalog.items_recommended;
    input.recs_items_not_in_items_table = match layout.items {
        Some(_) => catalog.recs_end - catalog.items_table,
        None => 0,
    };
    if !cfg.allow_unmatched_ids {
        check_joins(layout, &input, catalog.recommended_in_table)?;
    }

    // The item statistics from a shell holding the catalog, the history's counts and the
    // number of audited users (all `ItemStats` reads of a dataset).
    let shell = Dataset {
        n_users: input.users_audited,
        k: cfg.k,
        items: catalog.items,
        history: catalog.history,
        ..Dataset::default()
    };
    let items = ItemStats::with_gamma(&shell, cfg, f64::NAN);
    let mut propensity_notes = Vec::new();
    let (gamma, model) =
        catalog
            .shown
            .propensity(&items, truth_propensities, cfg, &mut propensity_notes);

    let decided = users.finish(explicit, &cfg.slices)?;
    let unsliced = published_unsliced_counts(&mut input, min_size);
    let plan = decided
        .plan
        .protected(&decided.combinations, min_size, &unsliced);
    let mut echoed = cfg.clone();
    echoed.paths = layout.echoed_paths();
    Ok(Globals {
        broadcast: Broadcast {
            cfg: echoed,
            items: items.with_propensity_gamma(gamma),
            plan,
            columns: decided.chosen,
            settings: PartialSettings::new(cfg.stats, min_size),
        },
        inputs: AuditInputs {
            input,
            skipped_slice_columns: decided.skipped,
            truth: layout.partitions[0].truth.is_some(),
            truth_propensities,
            propensity: (model, propensity_notes),
        },
        catalog: catalog.codes,
        to_plan: decided.to_plan,
        labels: [details.snapshot_labels, details.sample_labels],
    })
}

/// Errors unless partition `p`'s recommendations have the snapshot and sample labels `labels`
/// of the first partition and its truth table a propensity column exactly when the first's does
/// (`first_propensities`): a partition's lists are numbered by their labels, so every partition
/// must hold every label.
fn check_same_lists(
    p: &PartitionFiles,
    first: &LoadDetails,
    labels: &LoadDetails,
    first_propensities: bool,
    propensities: bool,
) -> Result<()> {
    let bad = |path: &Path, message: String| Error::BadTable {
        path: path.to_path_buf(),
        message,
    };
    for (what, ours, theirs) in [
        ("snapshot", &labels.snapshot_labels, &first.snapshot_labels),
        ("sample", &labels.sample_labels, &first.sample_labels),
    ] {
        if ours != theirs {
            return Err(bad(
                &p.recs,
                format!(
                    "the {what} labels are [{}], those of the first partition [{}]: every \
                     partition's recommendations hold the same {what}s",
                    ours.join(", "),
                    theirs.join(", ")
                ),
            ));
        }
    }
    if propensities != first_propensities {
        let path = p.truth.as_deref().expect("a truth table");
        let has = |b: bool| if b { "has" } else { "has no" };
        return Err(bad(
            path,
            format!(
                "the truth table {} a propensity column and the first partition's {}: every \
                 partition's truth table has the same columns",
                has(propensities),
                has(first_propensities)
            ),
        ));
    }
    Ok(())
}

/// Adds one partition's input counts to the running `total`: every count is a sum over
/// partitions (users are in one partition each), except the items table's rows (the same table
/// in every partition) and the lists' labels and the column names (the same in every
/// partition). The catalog's counts are set from the global catalog afterwards.
fn add_summary(total: &mut InputSummary, s: InputSummary) {
    for (table, rows) in s.rows_read {
        match table.as_str() {
            "items" => {
                total.rows_read.insert(table, rows);
            }
            _ => *total.rows_read.entry(table).or_insert(0) += rows,
        }
    }
    let add = |a: Option<usize>, b: Option<usize>| match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
    };
    total.users_audited += s.users_audited;
    total.recs_rows_beyond_k += s.recs_rows_beyond_k;
    total.users_missing_from_users_table = add(
        total.users_missing_from_users_table,
        s.users_missing_from_users_table,
    );
    total.users_without_consent = add(total.users_without_consent, s.users_without_consent);
    total.users_without_recommendations += s.users_without_recommendations;
    total.truth_rows_unaudited_users += s.truth_rows_unaudited_users;
    total.truth_duplicate_rows += s.truth_duplicate_rows;
    total.users_without_relevant_items += s.users_without_relevant_items;
    total.history_users += s.history_users;
    total.snapshots = s.snapshots;
    total.samples = s.samples;
    total.slice_columns = s.slice_columns;
    total.item_group_columns = s.item_group_columns;
}

/// The error of the temporary file of the audited users' keys.
fn keys_error(e: std::io::Error) -> Error {
    Error::Config(format!(
        "the temporary file of the audited users' keys: {e}"
    ))
}

/// Errors when an audited user is in the recommendations of two partitions (every user's rows
/// are in one partition). `sections[p]` holds partition p's audited users' keys, ascending, in
/// `keys`: 8 bytes per audited user on disk, merged as sorted runs (a heap of one entry per
/// partition, each read through its own buffer). Two different ids with the same 64-bit key in
/// two partitions (about n² / 2⁶⁵ pairs among n users) would be reported too.
fn check_distinct_users(layout: &Layout, keys: &SpillFile, sections: &[Range<u64>]) -> Result<()> {
    let buffer = reader_buffer(sections.len());
    let mut cursors = sections
        .iter()
        .map(|s| KeyCursor::open(keys, s.clone(), buffer))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(keys_error)?;
    let mut previous: Option<(u64, usize)> = None;
    let mut twice: Option<(usize, usize)> = None;
    merge(&mut cursors, |c, run| {
        let key = c.head().expect("a cursor in the heap has a head");
        if let Some((k, r)) = previous {
            if k == key && r != run && twice.is_none() {
                twice = Some((r, run));
            }
        }
        previous = Some((key, run));
        Ok(())
    })
    .map_err(keys_error)?;
    if let Some((r, run)) = twice {
        let names = [r, run].map(|i| layout.partitions[i].recs.display().to_string());
        return Err(Error::BadTable {
            path: layout.dir.join("recs"),
            message: format!(
                "a user has recommendations in two partitions ({} and {}): every user's rows \
                 of every table are in one partition (the user is not named, nor the hash of \
                 the id)",
                names[0], names[1]
            ),
        });
    }
    Ok(())
}

/// The one-pass loader's join checks over all partitions (each partition is read with
/// `allow_unmatched_ids`): at least half of the audited users have a users-table row, and, with
/// an items table, at least half of the recommended items are in it.
fn check_joins(layout: &Layout, input: &InputSummary, recommended_in_table: usize) -> Result<()> {
    let audited = input.users_audited;
    let missing = input.users_missing_from_users_table.unwrap_or(0);
    if 2 * (audited - missing) < audited {
        return Err(Error::BadTable {
            path: layout.dir.join("users"),
            message: format!(
                "only {} of the {audited} users in the recommendations have a row in the users \
                 tables, so the audit would be meaningless: the tables probably spell their ids \
                 differently. Fix the ids, or pass --allow-unmatched-ids to audit anyway",
                audited - missing
            ),
        });
    }
    let distinct = input.items_recommended;
    if let Some(items) = &layout.items {
        if 2 * recommended_in_table < distinct {
            return Err(Error::BadTable {
                path: items.clone(),
                message: format!(
                    "only {recommended_in_table} of the {distinct} items in the recommendations \
                     have a row in the items table, so the audit would be meaningless: the tables \
                     probably spell their ids differently. Fix the ids, or pass \
                     --allow-unmatched-ids to audit anyway"
                ),
            });
        }
    }
    Ok(())
}
