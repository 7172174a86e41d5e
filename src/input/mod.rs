//! Reading the docs/inputs.md tables and encoding them into a [`Dataset`].
//!
//! Rules (docs/inputs.md): ids are strings or integers (compared as text); a list is ordered by `rank`
//! (1 = top) or, without a rank column, by descending `score` with ties broken by item id; lists are
//! cut to the top k (the count of rows cut is reported); a duplicate (user, item) within one list,
//! a rank below 1 and a non-numeric rank are errors naming the row; users in the recommendations
//! with no row in the users table are counted and kept out of every slice.
//!
//! Each table has its reader in its own module (`recs`, `users`, `items`, `truth`, `history`,
//! `baseline`); [`load`] runs them in turn: the items table first (its order is the catalog's),
//! then the recommendations, then the users, truth and history tables, then a baseline run's
//! recommendations.

mod baseline;
mod config;
pub(crate) mod csv_check;
pub mod files;
mod history;
mod items;
mod join;
mod labels;
pub mod memory;
pub mod parquet_ids;
pub mod parquet_numbers;
mod recs;
pub mod table;
#[cfg(test)]
pub(crate) mod test_files;
mod truth;
mod user_keys;
mod users;
mod values;
pub mod vocab;

pub use config::{Bucketing, ColumnNames, InputConfig, InputSummary, TablePaths};
pub use user_keys::user_keys_of_table;
pub use users::band_label;

use crate::data::{Csr, Dataset, RecLists};
use crate::error::{shown, Error, Result};
use history::read_history;
use items::{build_items, check_items_join, item_categories, read_items_table};
use recs::read_recs;
use truth::{read_truth, read_truth_propensity};
use users::read_users;
use vocab::Vocab;

/// Reads and encodes every table.
pub fn load(cfg: &InputConfig) -> Result<(Dataset, InputSummary)> {
    load_while(cfg, |_| ()).map(|(ds, summary, ())| (ds, summary))
}

/// What is known once the items and recommendations are read, before the users, truth and
/// history tables are: enough for work that needs only the lists and the items' categories.
#[derive(Debug, Clone, Copy)]
pub struct ListsRead<'a> {
    /// The main lists ([`Dataset::recs`]).
    pub lists: &'a RecLists,
    /// Audited users ([`Dataset::n_users`]).
    pub n_users: usize,
    /// Every audited user's key ([`Dataset::user_keys`]).
    pub user_keys: &'a [u64],
    /// The categories of every item seen so far
    /// ([`Items::categories`](crate::data::Items::categories); items added by the truth or
    /// history tables have none).
    pub categories: &'a Csr<u32>,
    /// Category names ([`Items::category_labels`](crate::data::Items::category_labels)).
    pub category_labels: &'a [String],
}

/// How the reading numbered the catalog and labelled the lists, beyond the [`Dataset`]: the
/// items are numbered in the order of the tables that first name them (the items table, then the
/// recommendations, the truth and the history table), and these are where each table's new
/// items end. The partitioned reader (`partial::read`) numbers a global catalog from them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LoadDetails {
    /// Items of the items table: codes `0..items_table`.
    pub items_table: usize,
    /// End of the items first named by the recommendations (codes `items_table..recs_end`).
    pub recs_end: usize,
    /// End of the items first named by the truth table (codes `recs_end..truth_end`); the
    /// history's new items follow, up to the catalog size.
    pub truth_end: usize,
    /// The labels of the recommendations' snapshot column in their order, even when there is
    /// one (empty without the column).
    pub snapshot_labels: Vec<String>,
    /// The labels of the recommendations' sample column in their order, even when there is one.
    pub sample_labels: Vec<String>,
}

/// [`load`], with the [`LoadDetails`] of the reading.
pub fn load_with_details(cfg: &InputConfig) -> Result<(Dataset, InputSummary, LoadDetails)> {
    load_all(cfg, |_| ()).map(|(ds, summary, (), details)| (ds, summary, details))
}

/// [`load`], also running `meanwhile` on the lists as soon as they are read, alongside the reading
/// of the users, truth and history tables (the reading leaves a core idle part of the time).
/// Its result is returned with the dataset; it is dropped when reading fails.
pub fn load_while<T: Send>(
    cfg: &InputConfig,
    meanwhile: impl FnOnce(ListsRead<'_>) -> T + Send,
) -> Result<(Dataset, InputSummary, T)> {
    load_all(cfg, meanwhile).map(|(ds, summary, early, _)| (ds, summary, early))
}

/// [`load_while`], with the [`LoadDetails`].
fn load_all<T: Send>(
    cfg: &InputConfig,
    meanwhile: impl FnOnce(ListsRead<'_>) -> T + Send,
) -> Result<(Dataset, InputSummary, T, LoadDetails)> {
    if cfg.k == 0 {
        return Err(Error::Config("k must be at least 1".into()));
    }
    check_files(&cfg.paths)?;
    let c = &cfg.columns;
    let mut summary = InputSummary::default();
    let mut items = Vocab::new();

    // Items first, so that the catalog order is the items table's order.
    let items_table = match &cfg.paths.items {
        Some(p) => Some(read_items_table(p, c)?),
        None => None,
    };
    if let Some(t) = &items_table {
        summary.rows_read.insert("items".into(), t.height());
        let ids = t.ids(&c.item)?;
        for (row, id) in ids.iter().enumerate() {
            let before = items.len();
            let code = items.intern(id.expect("required"));
            if (code as usize) < before {
                return Err(t.row_error(
                    &c.item,
                    row,
                    format!(
                        "item `{}` appears twice in the items table",
                        shown(id.unwrap())
                    ),
                ));
            }
        }
    }
    let items_in_table = items.len();

    // The item categories need only the items table: parsed while the recommendations are read.
    let (recs, categories) = rayon::join(
        || read_recs(cfg, &mut items, &mut summary),
        || item_categories(items_table.as_ref(), c),
    );
    // Users in ascending key order from here on: every later table is read through this order.
    let (mut recs, user_keys) = recs?.into_key_order();
    let [snapshot_labels, sample_labels] = std::mem::take(&mut recs.labels);
    let recs_end = items.len();
    summary.recs_items_not_in_items_table = if items_table.is_some() {
        items.len() - items_in_table
    } else {
        0
    };
    let n_users = recs.users.len();
    summary.users_audited = n_users;
    // The items of the main lists (by code; the items table's come first).
    let mut recommended = vec![false; items.len()];
    for &i in recs.main.values() {
        recommended[i as usize] = true;
    }
    if let (Some(t), false) = (&items_table, cfg.allow_unmatched_ids) {
        check_items_join(t, &items, items_in_table, &recommended)?;
    }

    return_freed_memory();
    let (mut categories, category_labels) = categories?;
    categories.pad_rows(items.len());
    let lists_read = ListsRead {
        lists: &recs.main,
        n_users,
        user_keys: &user_keys,
        categories: &categories,
        category_labels: &category_labels,
    };
    // `meanwhile` runs alongside the reading of the other tables. The users table needs only
    // the audited users, so it is read while the truth is (by one thread, and the truth leaves a
    // core idle part of the time), but not while the history is: the history's reading holds the
    // peak memory, and the users table's text would still be held then (measured at 100M rows:
    // a 5.45 GB peak against 4.76 GB). Its errors are reported before the truth table's.
    let (early, tables) = rayon::join(
        || meanwhile(lists_read),
        || -> Result<_> {
            let (users, truth) = rayon::join(
                || read_users(cfg, &recs.users),
                || match &cfg.paths.truth {
                    Some(p) => read_truth(p, c, &recs.users, &mut items, &mut summary).map(Some),
                    None => Ok(None),
                },
            );
            let (users, truth) = (users?, truth?);
            return_freed_memory();
            let truth_end = items.len();
            let history = match &cfg.paths.history {
                Some(p) => Some(read_history(p, c, &recs.users, &mut items, &mut summary)?),
                None => None,
            };
            Ok((users, truth, history, truth_end))
        },
    );
    let (users, truth, history, truth_end) = tables?;
    let baseline = match &cfg.paths.baseline_recs {
        Some(p) => {
            let b = baseline::read_baseline(cfg, p, &recs.users, &items)?;
            summary.rows_read.insert(baseline::TABLE.into(), b.rows);
            summary.users_without_baseline_list = Some(b.users_without_list);
            summary.baseline_users_not_audited = Some(b.users_not_audited);
            Some(b.lists)
        }
        None => None,
    };
    let truth_propensity = match (&cfg.paths.truth, &truth) {
        (Some(p), Some(t)) => read_truth_propensity(p, c, &recs.users, &items, t)?,
        _ => None,
    };
    let slices = users.record(&mut summary);
    if let Some(truth) = &truth {
        summary.users_without_relevant_items = truth
            .rows()
            .filter(|r| !r.iter().any(|x| x.relevance > 0.0))
            .count();
    }
    let n_items = items.len();
    let item_attrs = build_items(
        items_table.as_ref(),
        c,
        items,
        (categories, category_labels),
        &mut summary,
    )?;
    summary.catalog_items = n_items;
    summary.items_recommended = recommended.iter().filter(|&&s| s).count();
    let history = history.map(|h| h.finish(n_items));
    return_freed_memory();

    Ok((
        Dataset {
            truth_propensity,
            n_users,
            user_keys: user_keys.into(),
            k: cfg.k,
            recs: recs.main,
            snapshots: recs.snapshots,
            samples: recs.samples,
            slices,
            items: item_attrs,
            truth,
            history,
            baseline,
        },
        summary,
        early,
        LoadDetails {
            items_table: items_in_table,
            recs_end,
            truth_end,
            snapshot_labels,
            sample_labels,
        },
    ))
}

/// Checks that every input path names a regular, non-empty file before any is opened
/// ([`files::check_file`]), in the order the tables are named on the command line.
fn check_files(paths: &TablePaths) -> Result<()> {
    files::check_file(&paths.recs, "recommendations")?;
    files::check_file(&paths.users, "users")?;
    for (path, table) in [
        (&paths.items, "items"),
        (&paths.truth, "truth"),
        (&paths.history, "history"),
        (&paths.baseline_recs, baseline::TABLE),
    ] {
        if let Some(p) = path {
            files::check_file(p, table)?;
        }
    }
    Ok(())
}

/// Hands the heap memory freed while reading back to the system (glibc's `malloc_trim`), after
/// the recommendations, after the truth and at the end, unless the allocator keeps freed memory
/// for reuse ([`crate::allocator`], as the binary sets it up). With glibc's defaults (the Python
/// package's host process) the reading frees many blocks on worker threads, and each thread's
/// heap would otherwise keep them for the rest of the audit. Measured at 100M rows with one heap
/// per thread: the resident size after reading went from 4.24 to 2.95 GB, and the peak from
/// 5,334 to 4,653 MB.
fn return_freed_memory() {
    if !crate::allocator::returns_freed_memory() {
        return;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap pages to the system; it is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::test_files::load_csv_and_parquet;

    #[test]
    fn ties_in_rank_or_score_are_broken_by_item_id() {
        // One user, lists cut at 2: `x` and `z` tie (rank 1; score 0.5), `x` first as text.
        for (recs, expected) in [
            ("user_id,item_id,rank\na,z,1\na,y,2\na,x,1\n", ["x", "z"]),
            (
                "user_id,item_id,score\na,z,0.5\na,y,0.9\na,x,0.5\n",
                ["y", "x"],
            ),
        ] {
            for (ds, _) in load_csv_and_parquet(&[("recs", recs), ("users", "user_id,g\na,1\n")]) {
                assert_eq!(super::test_files::list_of(&ds, 0), expected, "{recs}");
            }
        }
    }

    #[test]
    fn parquet_ids_read_through_dictionaries_equal_the_csv_reading() {
        // Row groups of 3 rows: users span groups, an item new to the catalog appears in truth
        // for an audited user (added) and an unaudited one (not), history has a user without
        // recommendations and rows out of time order, and a list is longer than k.
        let [csv, parquet] = load_csv_and_parquet(&[
            (
                "recs",
                "user_id,item_id,rank\nb,x,2\nb,y,1\na,z,1\nb,w,3\nc,x,1\na,y,2\nc,z,2\n",
            ),
            ("users", "user_id,g\na,1\nb,2\nc,1\n"),
            (
                "truth",
                "user_id,item_id,relevance\na,x,1\nzz,new1,2\nb,new2,1\nc,y,0\nb,x,3\na,new2,1\n",
            ),
            (
                "history",
                "user_id,item_id,timestamp\nc,h1,5\nq,x,1\nc,x,3\na,y,1\na,h2,2\nb,h1,9\nq,h3,2\n",
            ),
        ]);
        assert_eq!(csv.1, parquet.1);
        assert_eq!(csv.0, parquet.0);
        assert_eq!(parquet.1.truth_rows_unaudited_users, 1);
        assert_eq!(parquet.1.recs_rows_beyond_k, 1);
        // Lists ordered by score (ties among them), and a history in time order: its rows
        // grouped by user while the order is checked.
        let [csv, parquet] = load_csv_and_parquet(&[
            (
                "recs",
                "user_id,item_id,score\nb,x,0.5\nb,y,0.9\na,z,1\nb,w,0.5\nc,x,-1\na,y,0\nc,z,0\n",
            ),
            ("users", "user_id,g\na,1\nb,2\nc,1\n"),
            (
                "history",
                "user_id,item_id,timestamp\nc,h1,1\nq,x,1\nc,x,3\na,y,1\na,h2,2\nc,h3,3\nq,h3,2\n",
            ),
        ]);
        assert_eq!(csv.1, parquet.1);
        assert_eq!(csv.0, parquet.0);
        let history = parquet.0.history.as_ref().expect("a history");
        assert_eq!(
            history.per_user.values().len(),
            5,
            "the audited users' rows"
        );
    }
}
