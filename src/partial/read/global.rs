//! The global pass over a partitioned input as a map, a merge and a finish: each partition read
//! with the one-pass loader and summarised ([`summarize_partition`]: what must be global of it,
//! a [`GlobalSummary`]: its catalog contribution and the history's item counts, its users
//! tables' counts and combinations, its lists' counts for the γ fit, its input counts), the
//! summaries merged in partition order ([`GlobalSummary::merge`], associative: any grouping of
//! consecutive partitions), the merged summary finished into the [`Globals`]
//! ([`GlobalSummary::finish`]). [`read_broadcast`] runs the three in one process, one partition
//! held at a time, and checks that no user is in two partitions (the audited users' keys in a
//! temporary file); a Spark job maps the partitions in its executors and merges and finishes on
//! the driver (docs/spark.md), where the staging already puts each user in one partition.

use std::collections::BTreeMap;
use std::io::Write;
use std::ops::Range;
use std::path::Path;

use crate::audit::published_unsliced_counts;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::input::vocab::Vocab;
use crate::input::{load_with_details, user_keys_of_table, InputConfig, InputSummary, LoadDetails};
use crate::settings::AuditConfig;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::super::spill::{merge, reader_buffer, Cursor, KeyCursor, SpillFile};
use super::super::{AuditInputs, Broadcast, ItemStats, PartialSettings};
use super::catalog::CatalogPart;
use super::layout::{Layout, PartitionFiles};
use super::users::UsersPart;

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

/// Reads partition `p` with the one-pass loader; its truth and history tables only when
/// `all_tables`.
pub(super) fn load_partition(
    layout: &Layout,
    p: &PartitionFiles,
    cfg: &AuditConfig,
    all_tables: bool,
) -> Result<(Dataset, InputSummary, LoadDetails)> {
    let mut input = input_config(layout, p, cfg);
    if !all_tables {
        input.paths.truth = None;
        input.paths.history = None;
    }
    load_with_details(&input)
}

/// One partition's share of the global pass, or the merged shares of consecutive partitions:
/// everything the [`Globals`] are made of, summed or listed per partition. Its size grows with
/// the partitions' distinct items (the catalog's per-item counts), their users tables'
/// combinations of values and, for the first partition only, the items table's attributes; not
/// with the users. As bytes: [`GlobalSummary::to_bytes`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GlobalSummary {
    /// The partitions summarised, in order.
    pub(super) partitions: Vec<String>,
    /// The files of the first of them (a merge's errors name them).
    pub(super) first: PartitionFiles,
    /// The snapshot and sample labels of the lists (the same in every partition).
    pub(super) labels: [Vec<String>; 2],
    /// The truth tables have a propensity column.
    pub(super) truth_propensities: bool,
    /// The catalog, the history's item counts, the lists' counts.
    pub(super) catalog: CatalogPart,
    /// The users tables' counts and combinations.
    pub(super) users: UsersPart,
    /// The input counts, summed ([`add_summary`]); JSON inside the bytes (its serde form skips
    /// absent fields, which a format without field names cannot read back).
    #[serde(with = "as_json")]
    pub(super) input: InputSummary,
}

/// [`InputSummary`] as its JSON text.
mod as_json {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::input::InputSummary;

    pub fn serialize<S: Serializer>(v: &InputSummary, s: S) -> Result<S::Ok, S::Error> {
        let text = serde_json::to_string(v).map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<InputSummary, D::Error> {
        let text = String::deserialize(d)?;
        serde_json::from_str(&text).map_err(serde::de::Error::custom)
    }
}

/// The global pass's summary of partition `index` of `layout` (the map of the global pass): the
/// partition read with the one-pass loader under the audit `cfg`. The first partition's carries
/// the items table's attributes.
pub fn summarize_partition(
    layout: &Layout,
    index: usize,
    cfg: &AuditConfig,
) -> Result<GlobalSummary> {
    Ok(map_global(layout, index, cfg)?.0)
}

/// [`summarize_partition`], with the partition's audited users' keys (ascending).
fn map_global(
    layout: &Layout,
    index: usize,
    cfg: &AuditConfig,
) -> Result<(GlobalSummary, std::sync::Arc<[u64]>)> {
    let p = layout.partitions.get(index).ok_or_else(|| {
        Error::Config(format!(
            "{}: no partition {index} (it has {})",
            layout.dir.display(),
            layout.partitions.len()
        ))
    })?;
    let (ds, summary, details) = load_partition(layout, p, cfg, true)?;
    let mut input = InputSummary::default();
    add_summary(&mut input, summary);
    let s = GlobalSummary {
        partitions: vec![p.name.clone()],
        first: p.clone(),
        truth_propensities: ds.truth_propensity.is_some(),
        catalog: CatalogPart::of(&ds, &details, index == 0),
        users: UsersPart::of(&ds.slices, &ds.user_keys, cfg.columns.slices.is_some()),
        labels: [details.snapshot_labels, details.sample_labels],
        input,
    };
    Ok((s, ds.user_keys.clone()))
}

/// The global pass over every partition of `layout`: the [`Globals`] of the audit `cfg`. Each
/// partition summarised in turn and merged into the running summary (one partition in memory
/// at a time), the keys of the users it holds rows of (in any table) written to a temporary file
/// for the check that no user has rows in two partitions; then the finish.
pub fn read_broadcast(layout: &Layout, cfg: &AuditConfig) -> Result<Globals> {
    read_broadcast_with(layout, cfg, Placement::Check)
}

/// Whether the global pass checks that each user's rows of every table are in one partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placement {
    /// Check every table: the users, truth and history tables' user ids are read again, so that
    /// a row in another partition than its user's lists is an error, not a row of a user
    /// without recommendations.
    Check,
    /// The folder was split by user ([`super::split_tables`]): only the lists are checked.
    SplitByUser,
}

/// [`read_broadcast`], checking the users' placement as `placement` says.
pub(crate) fn read_broadcast_with(
    layout: &Layout,
    cfg: &AuditConfig,
    placement: Placement,
) -> Result<Globals> {
    // The keys of each partition's users (ascending) in a section of a temporary file.
    let mut keys = SpillFile::new().map_err(keys_error)?;
    let mut sections: Vec<Range<u64>> = Vec::new();
    let mut merged: Option<GlobalSummary> = None;
    for index in 0..layout.partitions.len() {
        let (s, audited) = map_global(layout, index, cfg)?;
        merged = Some(match merged {
            None => s,
            Some(acc) => acc.merge(s)?,
        });
        let user_keys = match placement {
            Placement::Check => keys_of_every_table(&layout.partitions[index], cfg, &audited)?,
            Placement::SplitByUser => audited.to_vec(),
        };
        let section = keys.append(|w| {
            user_keys
                .iter()
                .try_for_each(|k| w.write_all(&k.to_le_bytes()))
        });
        sections.push(section.map_err(keys_error)?);
    }
    check_distinct_users(layout, cfg, &keys, &sections)?;
    drop(keys);
    merged
        .expect("a layout has a partition")
        .finish(layout, cfg)
}

/// The keys of every user partition `p` holds rows of, ascending: its audited users' (`audited`,
/// ascending) and those of its users, truth and history tables.
fn keys_of_every_table(p: &PartitionFiles, cfg: &AuditConfig, audited: &[u64]) -> Result<Vec<u64>> {
    let mut keys = audited.to_vec();
    for (table, path) in tables_of(p).into_iter().filter(|&(t, _)| t != "recs") {
        keys.extend(user_keys_of_table(path, table, &cfg.columns)?);
    }
    keys.par_sort_unstable();
    keys.dedup();
    Ok(keys)
}

/// Partition `p`'s tables of users, recommendations first, with their files.
fn tables_of(p: &PartitionFiles) -> Vec<(&'static str, &Path)> {
    let mut tables = vec![("recs", p.recs.as_path()), ("users", p.users.as_path())];
    tables.extend(p.truth.as_deref().map(|t| ("truth", t)));
    tables.extend(p.history.as_deref().map(|h| ("history", h)));
    tables
}

impl GlobalSummary {
    /// The summary of `self`'s partitions followed by `later`'s (the partitions right after
    /// them). Errors when `later`'s lists have other snapshot or sample labels, its truth
    /// tables a propensity column where `self`'s have none (or the reverse), or its users tables
    /// other columns (each error names `later`'s first partition's file).
    pub fn merge(self, later: GlobalSummary) -> Result<GlobalSummary> {
        check_same_lists(
            &later.first,
            &self.labels,
            &later.labels,
            self.truth_propensities,
            later.truth_propensities,
        )?;
        let catalog = self.catalog.merge(later.catalog)?;
        let users = self.users.merge(later.users, &later.first.users)?;
        let mut input = self.input;
        add_summary(&mut input, later.input);
        let mut partitions = self.partitions;
        partitions.extend(later.partitions);
        Ok(GlobalSummary {
            partitions,
            first: self.first,
            labels: self.labels,
            truth_propensities: self.truth_propensities,
            catalog,
            users,
            input,
        })
    }

    /// The partitions summarised, in order.
    pub fn partitions(&self) -> &[String] {
        &self.partitions
    }

    /// The [`Globals`] of the audit `cfg` of `layout` from the merged summary of all its
    /// partitions (errors when it covers other partitions, or not in order): the catalog
    /// numbered, the join checks, the item statistics and the γ fit, the column choice and the
    /// slice plan with its suppression.
    pub fn finish(self, layout: &Layout, cfg: &AuditConfig) -> Result<Globals> {
        let names: Vec<&str> = layout.partitions.iter().map(|p| p.name.as_str()).collect();
        if self.partitions != names {
            return Err(Error::Config(format!(
                "the global pass's summaries cover the partitions [{}], the folder {} holds [{}]: \
                 merge every partition's summary, in partition order",
                self.partitions.join(", "),
                layout.dir.display(),
                names.join(", ")
            )));
        }
        let min_size = cfg.slices.min_slice_size;
        let mut input = self.input;
        let truth_propensities = self.truth_propensities;
        let catalog = self.catalog.finish()?;
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

        let decided = self.users.finish(&cfg.slices)?;
        let unsliced = published_unsliced_counts(&mut input, min_size);
        let plan = decided
            .plan
            .protected(&decided.combinations, min_size, &unsliced);
        let mut echoed = cfg.clone();
        echoed.paths = layout.echoed_paths();
        let [snapshot_labels, sample_labels] = self.labels;
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
            labels: [snapshot_labels, sample_labels],
        })
    }
}

/// Errors unless partition `p`'s recommendations have the snapshot and sample labels `labels`
/// of the first partition and its truth table a propensity column exactly when the first's does
/// (`first_propensities`): a partition's lists are numbered by their labels, so every partition
/// must hold every label.
fn check_same_lists(
    p: &PartitionFiles,
    first: &[Vec<String>; 2],
    labels: &[Vec<String>; 2],
    first_propensities: bool,
    propensities: bool,
) -> Result<()> {
    let bad = |path: &Path, message: String| Error::BadTable {
        path: path.to_path_buf(),
        message,
    };
    for (what, ours, theirs) in [
        ("snapshot", &labels[0], &first[0]),
        ("sample", &labels[1], &first[1]),
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

/// Errors when a user has rows in two partitions (every user's rows of every table are in one
/// partition), naming the files of both that hold the user's rows. `sections[p]` holds the keys
/// of partition p's users, ascending, in `keys`: 8 bytes per user on disk, merged as sorted runs
/// (a heap of one entry per partition, each read through its own buffer). Two different ids with
/// the same 64-bit key in two partitions (about n² / 2⁶⁵ pairs among n users) would be reported
/// too.
fn check_distinct_users(
    layout: &Layout,
    cfg: &AuditConfig,
    keys: &SpillFile,
    sections: &[Range<u64>],
) -> Result<()> {
    let buffer = reader_buffer(sections.len());
    let mut cursors = sections
        .iter()
        .map(|s| KeyCursor::open(keys, s.clone(), buffer))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(keys_error)?;
    let mut previous: Option<(u64, usize)> = None;
    let mut twice: Option<(u64, usize, usize)> = None;
    merge(&mut cursors, |c, run| {
        let key = c.head().expect("a cursor in the heap has a head");
        if let Some((k, r)) = previous {
            if k == key && r != run && twice.is_none() {
                twice = Some((key, r, run));
            }
        }
        previous = Some((key, run));
        Ok(())
    })
    .map_err(keys_error)?;
    let Some((key, first, second)) = twice else {
        return Ok(());
    };
    // The files of both partitions that hold the user's rows (read again, on this error only).
    let mut files: Vec<String> = Vec::new();
    for p in [first, second].map(|i| &layout.partitions[i]) {
        let mut holding = Vec::new();
        for (table, path) in tables_of(p) {
            if user_keys_of_table(path, table, &cfg.columns)?
                .binary_search(&key)
                .is_ok()
            {
                holding.push(path.display().to_string());
            }
        }
        files.push(format!("{} ({})", p.name, holding.join(", ")));
    }
    Err(Error::BadTable {
        path: layout.dir.clone(),
        message: format!(
            "a user has rows in two partitions, {} and {}: every user's rows of every table are \
             in one partition (the user is not named, nor the hash of the id)",
            files[0], files[1]
        ),
    })
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
