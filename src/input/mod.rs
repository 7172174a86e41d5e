//! Reading the SPEC §1 tables and encoding them into a [`Dataset`].
//!
//! Rules (SPEC §1): ids are strings or integers (compared as text); a list is ordered by `rank`
//! (1 = top) or, without a rank column, by descending `score` with ties broken by item id; lists are
//! cut to the top k (the count of rows cut is reported); a duplicate (user, item) within one list,
//! a rank below 1 and a non-numeric rank are errors naming the row; users in the recommendations
//! with no row in the users table are counted and kept out of every slice.

mod csv_check;
pub mod files;
mod join;
pub mod parquet_ids;
pub mod parquet_numbers;
pub mod table;
pub mod vocab;

use std::collections::BTreeMap;
use std::path::PathBuf;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::{Categorical, Csr, Dataset, History, Items, RecLists, Relevant, Snapshot};
use crate::error::{shown, Error, Result};
use parquet_ids::DictColumn;
use table::{Table, Wanted};
use vocab::{encode_column, lookup_column, Vocab, UNKNOWN};

/// Where the input tables are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TablePaths {
    /// Recommendations (required).
    pub recs: PathBuf,
    /// Users with their demographic slice columns (required).
    pub users: PathBuf,
    /// Item attributes.
    pub items: Option<PathBuf>,
    /// Held-out relevant items.
    pub truth: Option<PathBuf>,
    /// Past interactions.
    pub history: Option<PathBuf>,
}

/// Column names in the input files (defaults from SPEC §1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ColumnNames {
    /// User id column (all tables).
    pub user: String,
    /// Item id column (all tables).
    pub item: String,
    /// Rank column of the recommendations (1 = top).
    pub rank: String,
    /// Score column of the recommendations (higher = better), used when there is no rank.
    pub score: String,
    /// Snapshot column of the recommendations (an ordered label).
    pub snapshot: String,
    /// Sample column of the recommendations (several sampled rankings per user).
    pub sample: String,
    /// Consent column of the users table.
    pub consent: String,
    /// Relevance column of the truth table.
    pub relevance: String,
    /// Timestamp column of the history table.
    pub timestamp: String,
    /// Category column of the items table (several joined by `|`).
    pub category: String,
    /// Popularity column of the items table.
    pub popularity: String,
    /// Feature-vector column of the items table (numbers separated by spaces or `;`).
    pub features: String,
    /// Slice columns of the users table; `None`: every column but the id and consent.
    pub slices: Option<Vec<String>>,
    /// Item group columns of the items table; `None`: every column but the id, category,
    /// popularity and features.
    pub item_groups: Option<Vec<String>>,
}

impl Default for ColumnNames {
    fn default() -> Self {
        ColumnNames {
            user: "user_id".into(),
            item: "item_id".into(),
            rank: "rank".into(),
            score: "score".into(),
            snapshot: "snapshot".into(),
            sample: "sample".into(),
            consent: "consent".into(),
            relevance: "relevance".into(),
            timestamp: "timestamp".into(),
            category: "category".into(),
            popularity: "popularity".into(),
            features: "features".into(),
            slices: None,
            item_groups: None,
        }
    }
}

/// A numeric user column turned into bands: `edges` [e0, e1, ..., en] give bands
/// `<e0`, `e0-e1`, ..., `>=en` (labels use the edges as written).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bucketing {
    /// The users-table column.
    pub column: String,
    /// Increasing band edges.
    pub edges: Vec<f64>,
}

/// Everything the loader needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputConfig {
    /// The files.
    pub paths: TablePaths,
    /// Their column names.
    pub columns: ColumnNames,
    /// The cutoff k.
    pub k: usize,
    /// Numeric slice columns to band.
    pub buckets: Vec<Bucketing>,
    /// Audit even when fewer than half of the audited users have a row in the users table (or
    /// fewer than half of the recommended items one in the items table), which otherwise stops
    /// the audit as ids that do not join.
    #[serde(default)]
    pub allow_unmatched_ids: bool,
}

/// What was read and what was left out, with reasons (goes to `audit.json` as `input`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InputSummary {
    /// Rows read per table.
    pub rows_read: BTreeMap<String, usize>,
    /// Users with at least one recommendation (the audited users).
    pub users_audited: usize,
    /// Catalog size |I|: the items table when given, else every item seen in any table.
    pub catalog_items: usize,
    /// Distinct items recommended (after the cut at k).
    pub items_recommended: usize,
    /// Recommendation rows beyond rank k, cut.
    pub recs_rows_beyond_k: usize,
    /// Recommended items missing from the items table (added to the catalog).
    pub recs_items_not_in_items_table: usize,
    /// Audited users with no row in the users table (kept out of every slice); `null` when
    /// between 1 and `min_slice_size − 1`, a count that would single those people out.
    pub users_missing_from_users_table: Option<usize>,
    /// Audited users whose consent is false or empty (kept out of every slice); `null` when
    /// between 1 and `min_slice_size − 1`.
    pub users_without_consent: Option<usize>,
    /// Users-table rows for users with no recommendation (ignored).
    pub users_without_recommendations: usize,
    /// Truth rows of users who have no recommendation (ignored).
    pub truth_rows_unaudited_users: usize,
    /// Duplicate (user, item) truth rows (the highest relevance kept).
    pub truth_duplicate_rows: usize,
    /// Audited users with no relevant item in the truth.
    pub users_without_relevant_items: usize,
    /// History rows (all kept for popularity; rows of unaudited users feed popularity only).
    pub history_users: usize,
    /// Snapshots found (0 when no snapshot column).
    pub snapshots: Vec<String>,
    /// Sampled rankings per user (0 when no sample column).
    pub samples: usize,
    /// Slice columns read from the users table.
    pub slice_columns: Vec<String>,
    /// Item group columns read from the items table.
    pub item_group_columns: Vec<String>,
}

/// The user and item id columns, required in the recommendations, truth and history tables.
fn id_columns(c: &ColumnNames) -> [Wanted<'_>; 2] {
    [
        Wanted {
            name: &c.user,
            purpose: "user id; rename with --user-col",
        },
        Wanted {
            name: &c.item,
            purpose: "item id; rename with --item-col",
        },
    ]
}

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
    /// The categories of every item seen so far ([`Items::categories`]; items added by the truth
    /// or history tables have none).
    pub categories: &'a Csr<u32>,
    /// Category names ([`Items::category_labels`]).
    pub category_labels: &'a [String],
}

/// [`load`], also running `meanwhile` on the lists as soon as they are read, alongside the reading
/// of the users, truth and history tables (the reading leaves a core idle part of the time).
/// Its result is returned with the dataset; it is dropped when reading fails.
pub fn load_while<T: Send>(
    cfg: &InputConfig,
    meanwhile: impl FnOnce(ListsRead<'_>) -> T + Send,
) -> Result<(Dataset, InputSummary, T)> {
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
    let recs = recs?;
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
        categories: &categories,
        category_labels: &category_labels,
    };
    // `meanwhile` runs alongside the reading of the other tables. The users table needs only
    // the audited users, so it is read while the truth is (by one thread, and the truth leaves a
    // core idle part of the time), but not while the history is: the history's reading holds the
    // peak memory, and the users table's text would still be held then (measured at 100M rows:
    // a 5.45 GB peak against 4.76 GB). Its errors are reported first, as when it was read first.
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
            let history = match &cfg.paths.history {
                Some(p) => Some(read_history(p, c, &recs.users, &mut items, &mut summary)?),
                None => None,
            };
            Ok((users, truth, history))
        },
    );
    let (users, truth, history) = tables?;
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
            n_users,
            k: cfg.k,
            recs: recs.main,
            snapshots: recs.snapshots,
            samples: recs.samples,
            slices,
            items: item_attrs,
            truth,
            history,
        },
        summary,
        early,
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
    ] {
        if let Some(p) = path {
            files::check_file(p, table)?;
        }
    }
    Ok(())
}

/// Errors when fewer than half of the items of the main lists (`recommended`, by item code)
/// are in the items table `t`, whose items are the codes below `in_table`: the two tables then
/// spell their ids differently, and the item groups and categories would be silently empty.
fn check_items_join(t: &Table, items: &Vocab, in_table: usize, recommended: &[bool]) -> Result<()> {
    let distinct = recommended.iter().filter(|&&r| r).count();
    let joined = recommended[..in_table].iter().filter(|&&r| r).count();
    if 2 * joined >= distinct {
        return Ok(());
    }
    let ids_where = |from: usize, to: usize, want: bool| -> Vec<&str> {
        (from..to)
            .filter(|&i| recommended[i] == want)
            .take(join::TRIED)
            .map(|i| items.id(i as u32))
            .collect()
    };
    Err(t.error(join::message(
        joined,
        distinct,
        &join::Side {
            what: "items in the recommendations",
            unmatched: distinct - joined,
            sample: ids_where(in_table, recommended.len(), true),
        },
        &join::Side {
            what: "item ids of this table",
            unmatched: in_table - joined,
            sample: ids_where(0, in_table, false),
        },
        shown,
    )))
}

/// Hands the heap memory freed while reading back to the system (glibc's `malloc_trim`), after
/// the recommendations, after the truth and at the end. The reading frees many blocks under the
/// 32 MB mapping threshold on worker threads, and each thread's heap otherwise keeps up to the
/// 256 MB trim threshold of them (see `main.rs`) for the rest of the audit. Measured at 100M
/// rows: the resident size after reading went from 4.24 to 2.95 GB, and the peak from 5,334 to
/// 4,653 MB (it had risen when the ids began to be read through the Parquet dictionaries).
fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap pages to the system; it is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}

fn read_items_table(path: &std::path::Path, c: &ColumnNames) -> Result<Table> {
    let mut optional: Vec<&str> = vec![&c.category, &c.popularity, &c.features];
    let all = table::column_names(path, "items")?;
    let group_cols: Vec<String> = match &c.item_groups {
        Some(g) => g.clone(),
        None => all
            .iter()
            .filter(|n| ![&c.item, &c.category, &c.popularity, &c.features].contains(n))
            .cloned()
            .collect(),
    };
    let required_groups: Vec<Wanted> = match &c.item_groups {
        Some(g) => g
            .iter()
            .map(|n| Wanted {
                name: n,
                purpose: "item group column named by --item-groups",
            })
            .collect(),
        None => Vec::new(),
    };
    for g in &group_cols {
        optional.push(g);
    }
    let mut required = vec![Wanted {
        name: &c.item,
        purpose: "item id; rename with --item-col",
    }];
    required.extend(required_groups);
    Table::read(path, "items", &required, &optional)
}

/// The recommendations after encoding: the audited users and their lists.
struct EncodedRecs {
    users: Vocab,
    main: RecLists,
    snapshots: Vec<Snapshot>,
    samples: Vec<RecLists>,
}

/// Users per parallel task when sorting each user's rows.
const USERS_PER_TASK: usize = 1 << 14;

/// Rows read per chunk of a Parquet table (the text of one chunk's ids is dropped before the next
/// is read; the encoded rows take 20 bytes each). polars decodes a chunk's row groups in
/// parallel, so a chunk should span several: measured at 10M rows (history in row groups of 4M),
/// 8M-row chunks read in 3.7–4.4 s against 4.1–4.8 s for 4M, for 200 MB more memory; the 100M
/// peak did not change (4.8 GB).
const CHUNK_ROWS: usize = 8_000_000;

/// Ordered labels of a column read over several chunks (snapshot, sample).
#[derive(Default)]
struct LabelColumn {
    vocab: Vocab,
    codes: Vec<u32>,
}

impl LabelColumn {
    fn push_chunk(&mut self, t: &Table, name: &str) -> Result<()> {
        for v in t.strings(name, true)?.iter() {
            self.codes.push(self.vocab.intern(v.unwrap()));
        }
        Ok(())
    }

    /// Labels in order (numeric order when every label is a number, else text order), with the
    /// codes remapped to that order.
    fn finish(self) -> (Vec<u32>, Vec<String>) {
        let ids = self.vocab.into_ids();
        let mut order: Vec<usize> = (0..ids.len()).collect();
        let numeric: Option<Vec<f64>> = ids.iter().map(|v| v.trim().parse::<f64>().ok()).collect();
        match numeric {
            Some(num) => order.sort_by(|&a, &b| num[a].total_cmp(&num[b])),
            None => order.sort_by(|&a, &b| ids[a].cmp(&ids[b])),
        }
        let mut rank = vec![0u32; ids.len()];
        for (r, &i) in order.iter().enumerate() {
            rank[i] = r as u32;
        }
        let codes = self.codes.into_iter().map(|c| rank[c as usize]).collect();
        (codes, order.into_iter().map(|i| ids[i].clone()).collect())
    }
}

fn read_recs(
    cfg: &InputConfig,
    items: &mut Vocab,
    summary: &mut InputSummary,
) -> Result<EncodedRecs> {
    let c = &cfg.columns;
    let path = &cfg.paths.recs;
    let names = table::column_names(path, "recommendations")?;
    let has = |n: &str| names.iter().any(|x| x == n);
    let by_rank = has(&c.rank);
    if !by_rank && !has(&c.score) {
        return Err(Error::MissingColumn {
            path: path.clone(),
            table: "recommendations",
            column: format!("{}` or `{}", c.rank, c.score),
            purpose: "a rank (1 = top) or a score (higher = better) orders each list; rename with --rank-col or --score-col".into(),
            available: names.join(", "),
        });
    }
    let (has_snapshot, has_sample) = (has(&c.snapshot), has(&c.sample));
    let mut users = Vocab::new();
    let mut user_code: Vec<u32> = Vec::new();
    let mut item_code: Vec<u32> = Vec::new();
    // Order key within a list: the rank, or the negated score.
    let mut order: Vec<f64> = Vec::new();
    let mut snapshots = LabelColumn::default();
    let mut samples = LabelColumn::default();
    // The order keys and list labels of a chunk of rows.
    let mut read_rest = |t: &Table| -> Result<()> {
        read_order_keys(t, c, by_rank, &mut order)?;
        if has_snapshot {
            snapshots.push_chunk(t, &c.snapshot)?;
        }
        if has_sample {
            samples.push_chunk(t, &c.sample)?;
        }
        Ok(())
    };
    // The order key is the rank when there is one: a score beside it is not read.
    let order_key: &str = if by_rank { &c.rank } else { &c.score };
    let others: [&str; 3] = [order_key, &c.snapshot, &c.sample];
    let n = match parquet_ids::read_id_pair(path, &c.user, &c.item) {
        // Ids through the Parquet dictionaries, the other columns through polars, at once.
        Some((user_ids, item_ids)) => {
            let (n, ((), ())) = rayon::join(
                || {
                    Table::read_chunks(
                        path,
                        "recommendations",
                        &[],
                        &others,
                        CHUNK_ROWS,
                        &mut read_rest,
                    )
                },
                || {
                    rayon::join(
                        || user_code = encode_dict(&mut users, user_ids),
                        || item_code = encode_dict(items, item_ids),
                    )
                },
            );
            same_rows(path, "recommendations", n?, user_code.len())?
        }
        None => Table::read_chunks(
            path,
            "recommendations",
            &id_columns(c),
            &others,
            CHUNK_ROWS,
            |t| {
                // The two vocabularies and the other columns are independent: all three at once.
                let (user_ids, item_ids) = (t.ids(&c.user)?, t.ids(&c.item)?);
                let ((), ((), rest)) = rayon::join(
                    || {
                        user_code
                            .extend(user_ids.iter().flatten().map(|u| users.intern_repeated(u)))
                    },
                    || {
                        rayon::join(
                            || encode_column(items, &item_ids, false, &mut item_code),
                            || read_rest(t),
                        )
                    },
                );
                rest
            },
        )?,
    };
    summary.rows_read.insert("recommendations".into(), n);
    let (snapshot_code, snapshot_labels) = snapshots.finish();
    let (sample_code, sample_labels) = samples.finish();
    summary.snapshots = if snapshot_labels.len() > 1 {
        snapshot_labels.clone()
    } else {
        Vec::new()
    };
    summary.samples = if sample_labels.len() > 1 {
        sample_labels.len()
    } else {
        0
    };

    // Ties in rank or score are broken by item id text: the rank of each item's text.
    let text_rank = {
        let mut by_text: Vec<u32> = (0..items.len() as u32).collect();
        by_text.sort_unstable_by(|&a, &b| items.id(a).cmp(items.id(b)));
        let mut rank = vec![0u32; items.len()];
        for (r, &i) in by_text.iter().enumerate() {
            rank[i as usize] = r as u32;
        }
        rank
    };

    // Rows by user (a counting sort, O(rows)), then each user's few rows by
    // (snapshot, sample, order, item text).
    let n_users = users.len();
    let by_user = Csr::from_pairs(n_users, &user_code, (0..n as u32).into_par_iter().collect());
    drop(user_code);
    let n_snap = snapshot_labels.len().max(1);
    let n_samp = sample_labels.len().max(1);
    let list_of = |r: u32| -> usize {
        let s = snapshot_code.get(r as usize).copied().unwrap_or(0) as usize;
        let m = sample_code.get(r as usize).copied().unwrap_or(0) as usize;
        s * n_samp + m
    };
    // Without snapshot and sample columns every row is in list 0.
    let one_list_per_user = snapshot_code.is_empty() && sample_code.is_empty();
    // Each user's rows sorted by (snapshot, sample, order, item text), users in parallel.
    let (user_start, mut sorted) = by_user.into_parts();
    let mut tasks: Vec<(usize, &mut [u32])> = Vec::new();
    let mut rest: &mut [u32] = &mut sorted;
    for first in (0..n_users).step_by(USERS_PER_TASK) {
        let last = (first + USERS_PER_TASK).min(n_users);
        let (head, tail) = rest.split_at_mut(user_start[last] - user_start[first]);
        tasks.push((first, head));
        rest = tail;
    }
    let checks: Vec<Result<()>> = tasks
        .into_par_iter()
        .map(|(first, rows)| {
            let mut seen: Vec<(u32, u32)> = Vec::new();
            let base = user_start[first];
            let by_order_then_text = |&a: &u32, &b: &u32| {
                order[a as usize].total_cmp(&order[b as usize]).then(
                    text_rank[item_code[a as usize] as usize]
                        .cmp(&text_rank[item_code[b as usize] as usize]),
                )
            };
            let mut check = |list: &[u32]| {
                if has_duplicate_item(list, &item_code) {
                    check_no_duplicate_items(list, &item_code, items, path, &c.item, &mut seen)
                } else {
                    Ok(())
                }
            };
            for u in first..(first + USERS_PER_TASK).min(n_users) {
                let rows = &mut rows[user_start[u] - base..user_start[u + 1] - base];
                if one_list_per_user {
                    rows.sort_unstable_by(by_order_then_text);
                    check(rows)?;
                } else {
                    rows.sort_unstable_by(|a, b| {
                        list_of(*a)
                            .cmp(&list_of(*b))
                            .then_with(|| by_order_then_text(a, b))
                    });
                    for group in rows.chunk_by(|&a, &b| list_of(a) == list_of(b)) {
                        check(group)?;
                    }
                }
            }
            Ok(())
        })
        .collect();
    // The first error in user order, as a sequential pass would find.
    checks.into_iter().collect::<Result<Vec<()>>>()?;

    // One CSR of lists per (snapshot, sample), the top k of each.
    let longest = (0..n_users)
        .map(|u| user_start[u + 1] - user_start[u])
        .max()
        .unwrap_or(0);
    let (offsets, values, beyond_k) = if one_list_per_user && longest <= cfg.k {
        // Every user's rows are their whole list: the sorted rows' items, on all cores.
        let mut items = Vec::with_capacity(n);
        sorted
            .par_iter()
            .map(|&r| item_code[r as usize])
            .collect_into_vec(&mut items);
        (vec![user_start], vec![items], 0)
    } else {
        let mut offsets: Vec<Vec<usize>> = vec![Vec::with_capacity(n_users + 1); n_snap * n_samp];
        let mut values: Vec<Vec<u32>> = vec![Vec::new(); n_snap * n_samp];
        for o in &mut offsets {
            o.push(0);
        }
        let mut beyond_k = 0usize;
        for u in 0..n_users {
            let rows = &sorted[user_start[u]..user_start[u + 1]];
            for group in rows.chunk_by(|&a, &b| list_of(a) == list_of(b)) {
                values[list_of(group[0])]
                    .extend(group.iter().take(cfg.k).map(|&r| item_code[r as usize]));
                beyond_k += group.len().saturating_sub(cfg.k);
            }
            for (o, v) in offsets.iter_mut().zip(&values) {
                o.push(v.len());
            }
        }
        (offsets, values, beyond_k)
    };
    summary.recs_rows_beyond_k = beyond_k;

    let mut per_snapshot: Vec<Vec<RecLists>> = Vec::with_capacity(n_snap);
    let mut lists = offsets
        .into_iter()
        .zip(values)
        .map(|(o, v)| Csr::from_parts(o, v));
    for _ in 0..n_snap {
        per_snapshot.push(lists.by_ref().take(n_samp).collect());
    }
    let last = per_snapshot.len() - 1;
    let samples = if n_samp > 1 {
        per_snapshot[last].clone()
    } else {
        Vec::new()
    };
    // The main lists are moved out unless the snapshots below still need them.
    let main = if n_snap > 1 {
        per_snapshot[last][0].clone()
    } else {
        per_snapshot[last].swap_remove(0)
    };
    let snapshots = if n_snap > 1 {
        per_snapshot
            .into_iter()
            .zip(snapshot_labels)
            .map(|(mut s, label)| Snapshot {
                label,
                lists: s.swap_remove(0),
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(EncodedRecs {
        users,
        main,
        snapshots,
        samples,
    })
}

/// The vocabulary index of every row of a dictionary-read id column, adding new ids to `vocab`
/// in row order (the indices of one sequential pass of [`Vocab::intern`]).
fn encode_dict(vocab: &mut Vocab, ids: DictColumn) -> Vec<u32> {
    if vocab.is_empty() {
        // A new vocabulary (the users of the recommendations): nothing to look up first, every
        // entry is interned at its first row.
        vocab.reserve(ids.dictionary_entries());
        return ids.into_codes(vocab, |_, _: &mut (), _| UNKNOWN, |v, _, id| v.intern(id));
    }
    ids.into_codes(
        vocab,
        |v, _: &mut (), id| v.get(id).unwrap_or(UNKNOWN),
        |v, _, id| v.intern(id),
    )
}

/// `rows` (read by polars) when it equals `dict_rows` (read through the dictionaries).
fn same_rows(
    path: &std::path::Path,
    table: &'static str,
    rows: usize,
    dict_rows: usize,
) -> Result<usize> {
    if rows == dict_rows {
        Ok(rows)
    } else {
        Err(Error::BadTable {
            path: path.to_path_buf(),
            message: format!(
                "the {table} table's id columns have {dict_rows} rows but its other columns {rows}"
            ),
        })
    }
}

/// Appends the order key of every row of a recommendations chunk to `order`: the rank (an
/// integer ≥ 1) when `by_rank`, else the negated score.
fn read_order_keys(t: &Table, c: &ColumnNames, by_rank: bool, order: &mut Vec<f64>) -> Result<()> {
    order.reserve(t.height());
    if by_rank {
        t.each_number(&c.rank, |row, r| {
            let r = r.ok_or_else(|| {
                t.row_error(&c.rank, row, "empty rank; expected an integer ≥ 1".into())
            })?;
            if r < 1.0 || r.fract() != 0.0 || !r.is_finite() {
                return Err(t.row_error(
                    &c.rank,
                    row,
                    format!("rank {r} is invalid; expected an integer ≥ 1 (1 = top)"),
                ));
            }
            order.push(r);
            Ok(())
        })
    } else {
        t.each_number(&c.score, |row, s| {
            let s = s.filter(|s| !s.is_nan()).ok_or_else(|| {
                t.row_error(&c.score, row, "empty score; expected a number".into())
            })?;
            order.push(-s);
            Ok(())
        })
    }
}

/// The longest list [`has_duplicate_item`] checks by comparing pairs (at most 496 comparisons);
/// a longer one is sorted.
const PAIRWISE_MAX_ROWS: usize = 32;

/// Whether an item appears twice among `rows`, comparing every pair: for the ten-odd rows of a
/// list this is several times faster than sorting them, which [`check_no_duplicate_items`] then
/// does only to name the rows of a duplicate.
fn has_duplicate_item(rows: &[u32], item_code: &[u32]) -> bool {
    if rows.len() > PAIRWISE_MAX_ROWS {
        let mut items: Vec<u32> = rows.iter().map(|&r| item_code[r as usize]).collect();
        items.sort_unstable();
        return items.windows(2).any(|w| w[0] == w[1]);
    }
    let mut items = [0u32; PAIRWISE_MAX_ROWS];
    let items = &mut items[..rows.len()];
    for (i, &r) in items.iter_mut().zip(rows) {
        *i = item_code[r as usize];
    }
    (1..items.len()).any(|j| items[..j].contains(&items[j]))
}

/// Errors when an item appears twice among `rows` (the rows of one user's list), naming both rows.
/// (`seen` is scratch space.)
fn check_no_duplicate_items(
    rows: &[u32],
    item_code: &[u32],
    items: &Vocab,
    path: &std::path::Path,
    item_col: &str,
    seen: &mut Vec<(u32, u32)>,
) -> Result<()> {
    seen.clear();
    seen.extend(rows.iter().map(|&r| (item_code[r as usize], r)));
    seen.sort_unstable();
    match seen.windows(2).find(|w| w[0].0 == w[1].0) {
        None => Ok(()),
        Some(w) => Err(Error::BadValue {
            path: path.to_path_buf(),
            column: item_col.to_string(),
            row: w[1].1 as usize + 1,
            message: format!(
                "item `{}` appears twice in the list of one user (first at row {}); each (user, item) may appear once per list",
                shown(items.id(w[0].0)),
                w[0].1 + 1
            ),
        }),
    }
}

/// The slice columns of the users table, and what its reading counted for the [`InputSummary`].
struct UsersRead {
    slices: Vec<Categorical>,
    rows: usize,
    slice_columns: Vec<String>,
    without_recommendations: usize,
    missing: usize,
    without_consent: usize,
}

impl UsersRead {
    /// Puts the counts into `summary`; returns the slice columns.
    fn record(self, summary: &mut InputSummary) -> Vec<Categorical> {
        summary.rows_read.insert("users".into(), self.rows);
        summary.slice_columns = self.slice_columns;
        summary.users_without_recommendations = self.without_recommendations;
        summary.users_missing_from_users_table = Some(self.missing);
        summary.users_without_consent = Some(self.without_consent);
        self.slices
    }
}

fn read_users(cfg: &InputConfig, audited: &Vocab) -> Result<UsersRead> {
    let c = &cfg.columns;
    let path = &cfg.paths.users;
    let all = table::column_names(path, "users")?;
    let slice_cols: Vec<String> = match &c.slices {
        Some(s) => s.clone(),
        None => all
            .iter()
            .filter(|n| **n != c.user && **n != c.consent)
            .cloned()
            .collect(),
    };
    // Text slice columns through their Parquet dictionaries when every one allows it (they hold
    // a few distinct values, so a row costs an array read instead of a string), the user ids and
    // consent through polars.
    let bucketed = |name: &str| cfg.buckets.iter().any(|b| b.column == name);
    let mut dict_slices = if slice_cols.is_empty() || slice_cols.iter().any(|s| bucketed(s)) {
        None
    } else {
        let names: Vec<&str> = slice_cols.iter().map(String::as_str).collect();
        parquet_ids::read_dict_columns(path, &names).map(|cols| cols.into_iter().map(Some))
    }
    .map(|cols| cols.collect::<Vec<Option<DictColumn>>>());
    let mut required = vec![Wanted {
        name: &c.user,
        purpose: "user id; rename with --user-col",
    }];
    if dict_slices.is_none() {
        for s in &slice_cols {
            required.push(Wanted {
                name: s,
                purpose: "slice column named by --slices",
            });
        }
    }
    let t = Table::read(path, "users", &required, &[&c.consent])?;
    for (name, col) in slice_cols
        .iter()
        .zip(dict_slices.iter().flatten().flatten())
    {
        if col.rows() != t.height() {
            return Err(Error::BadTable {
                path: path.clone(),
                message: format!(
                    "the users table's column `{name}` has {} rows but its user ids {}",
                    col.rows(),
                    t.height()
                ),
            });
        }
    }
    if slice_cols.is_empty() {
        return Err(t.error("the users table has no slice column (only the user id); add demographic columns such as gender or age_band".into()));
    }
    let ids = t.ids(&c.user)?;
    // Row of each audited user in the users table.
    let mut row_of = vec![usize::MAX; audited.len()];
    let mut unknown = 0;
    let mut codes = Vec::new();
    lookup_column(audited, &ids, true, &mut codes);
    for (row, &u) in codes.iter().enumerate() {
        if u == UNKNOWN {
            unknown += 1;
        } else if row_of[u as usize] != usize::MAX {
            return Err(t.row_error(
                &c.user,
                row,
                format!(
                    "user `{}` appears twice in the users table (first at row {})",
                    join::masked(audited.id(u)),
                    row_of[u as usize] + 1
                ),
            ));
        } else {
            row_of[u as usize] = row;
        }
    }
    let missing = row_of.iter().filter(|&&r| r == usize::MAX).count();
    if 2 * (audited.len() - missing) < audited.len() && !cfg.allow_unmatched_ids {
        let unmatched_audited = (0..audited.len() as u32)
            .filter(|&u| row_of[u as usize] == usize::MAX)
            .map(|u| audited.id(u));
        let unmatched_rows = codes
            .iter()
            .zip(ids.iter())
            .filter(|(&u, _)| u == UNKNOWN)
            .map(|(_, id)| id.unwrap_or_default());
        return Err(t.error(join::message(
            audited.len() - missing,
            audited.len(),
            &join::Side {
                what: "users in the recommendations",
                unmatched: missing,
                sample: unmatched_audited.take(join::TRIED).collect(),
            },
            &join::Side {
                what: "user ids of this table",
                unmatched: unknown,
                sample: unmatched_rows.take(join::TRIED).collect(),
            },
            join::masked,
        )));
    }
    drop(codes);
    // Consent is opt-in: a user counts in slices when they have a users row and their consent
    // is true (where the table has a consent column); an empty consent is no consent.
    let consent = if t.has(&c.consent) {
        Some(t.booleans(&c.consent)?)
    } else {
        None
    };
    let consented = |r: usize| consent.as_ref().is_none_or(|cs| cs[r] == Some(true));
    let included: Vec<bool> = row_of
        .iter()
        .map(|&r| r != usize::MAX && consented(r))
        .collect();
    let without_consent = row_of
        .iter()
        .filter(|&&r| r != usize::MAX && !consented(r))
        .count();

    let mut out = Vec::new();
    for (k, name) in slice_cols.iter().enumerate() {
        let bucket = cfg.buckets.iter().find(|b| &b.column == name);
        // Each row's value as an index into `values` (few distinct values: a small vocabulary).
        let mut values = Vocab::new();
        let dict = dict_slices.as_mut().and_then(|cols| cols[k].take());
        let value_of: Vec<u32> = match (dict, bucket) {
            // A dictionary entry's value is interned at its first row; empty values stay
            // UNKNOWN. The values' order does not matter: the labels are sorted below.
            (Some(dict), _) => dict.into_codes(
                &mut values,
                |_, _: &mut (), _| UNKNOWN,
                |values, _, id| match id.trim() {
                    "" => UNKNOWN,
                    v => values.intern(v),
                },
            ),
            (None, Some(b)) => t
                .numbers(name)?
                .into_iter()
                .map(|v| v.map_or(UNKNOWN, |x| values.intern(&band_label(x, &b.edges))))
                .collect(),
            (None, None) => t
                .strings(name, false)?
                .iter()
                .map(|v| match v.map(str::trim) {
                    None | Some("") => UNKNOWN,
                    Some(s) => values.intern(s),
                })
                .collect(),
        };
        // Labels come from the included users only: a value held only by users who refused
        // consent (or have no recommendations) must not appear even as an empty group.
        let mut used = vec![false; values.len()];
        for u in (0..audited.len()).filter(|&u| included[u]) {
            if let Some(v) = used.get_mut(value_of[row_of[u]] as usize) {
                *v = true;
            }
        }
        let mut labels: Vec<(&str, u32)> = (0..values.len() as u32)
            .filter(|&v| used[v as usize])
            .map(|v| (values.id(v), v))
            .collect();
        labels.sort_unstable();
        let mut code_of_value = vec![Categorical::MISSING; values.len()];
        for (code, &(_, v)) in labels.iter().enumerate() {
            code_of_value[v as usize] = code as u32;
        }
        let codes = (0..audited.len())
            .map(|u| match included[u] {
                true => code_of_value
                    .get(value_of[row_of[u]] as usize)
                    .map_or(Categorical::MISSING, |&c| c),
                false => Categorical::MISSING,
            })
            .collect();
        out.push(Categorical {
            name: name.clone(),
            labels: labels.iter().map(|&(l, _)| l.to_string()).collect(),
            codes,
        });
    }
    Ok(UsersRead {
        slices: out,
        rows: t.height(),
        missing,
        slice_columns: slice_cols,
        without_recommendations: unknown,
        without_consent,
    })
}

/// Label of `x` for band edges `e`: `<e0`, `e0-e1`, ..., `>=en`.
pub fn band_label(x: f64, edges: &[f64]) -> String {
    let fmt = |v: f64| {
        if v.fract() == 0.0 {
            format!("{}", v as i64)
        } else {
            format!("{v}")
        }
    };
    match edges.iter().position(|&e| x < e) {
        Some(0) => format!("<{}", fmt(edges[0])),
        Some(i) => format!("{}-{}", fmt(edges[i - 1]), fmt(edges[i])),
        None => format!(">={}", fmt(*edges.last().expect("at least one edge"))),
    }
}

/// The truth rows of audited users as read: (user, relevant item), and the rows of other users
/// counted.
#[derive(Default)]
struct TruthRows {
    owner: Vec<u32>,
    relevant: Vec<Relevant>,
    unaudited: usize,
}

impl TruthRows {
    fn reserve(&mut self, rows: usize) {
        self.owner.reserve(rows);
        self.relevant.reserve(rows);
    }

    /// Keeps a row of user `u` (counted only when [`UNKNOWN`], not audited) with `relevance`,
    /// its item given by `item()`; the message of the error when the relevance is not finite (in
    /// any row, as the reading of a CSV file checks every number) or, in a kept row, negative.
    fn keep(
        &mut self,
        u: u32,
        relevance: f64,
        item: impl FnOnce() -> u32,
    ) -> std::result::Result<(), String> {
        if !relevance.is_finite() {
            return Err(table::not_finite(relevance, None));
        }
        if u == UNKNOWN {
            self.unaudited += 1;
            return Ok(());
        }
        if relevance < 0.0 {
            return Err(format!(
                "relevance {relevance} is negative; expected a number ≥ 0"
            ));
        }
        self.owner.push(u);
        self.relevant.push(Relevant {
            item: item(),
            relevance,
        });
        Ok(())
    }
}

fn read_truth(
    path: &std::path::Path,
    c: &ColumnNames,
    audited: &Vocab,
    items: &mut Vocab,
    summary: &mut InputSummary,
) -> Result<Csr<Relevant>> {
    // Keeps the rows `first..` of audited users (`user_codes` and `item_codes` from row `first`
    // on), with the relevance of `t` when it has the column (an empty relevance counts as 1);
    // `item_of(file row, code)` resolves an item that is not yet in the catalog.
    let keep_rows = |kept: &mut TruthRows,
                     t: Option<&Table>,
                     first: usize,
                     user_codes: &[u32],
                     item_codes: &[u32],
                     item_of: &mut dyn FnMut(usize, u32) -> u32|
     -> Result<()> {
        kept.reserve(user_codes.len());
        match t {
            Some(t) if t.has(&c.relevance) => t.each_number(&c.relevance, |row, x| {
                if row >= user_codes.len() {
                    return Ok(());
                }
                let (u, i) = (user_codes[row], item_codes[row]);
                kept.keep(u, x.unwrap_or(1.0), || item_of(first + row, i))
                    .map_err(|message| t.row_error(&c.relevance, row, message))
            }),
            _ => {
                for (row, (&u, &i)) in user_codes.iter().zip(item_codes).enumerate() {
                    kept.keep(u, 1.0, || item_of(first + row, i))
                        .expect("a relevance of 1 is not negative");
                }
                Ok(())
            }
        }
    };
    let mut kept = TruthRows::default();
    let n = match parquet_ids::read_id_pair(path, &c.user, &c.item) {
        // Ids through the Parquet dictionaries (an item new to the catalog is added only when its
        // row belongs to an audited user), then the relevance (if any) from the Parquet pages or
        // through polars.
        Some((user_ids, item_ids)) => {
            let users = user_ids.into_codes(
                &mut (),
                |_, memo, id| audited.get_memo(id, memo).unwrap_or(UNKNOWN),
                |_, _, _| UNKNOWN,
            );
            let item_codes = item_ids.into_codes(
                items,
                |v, _: &mut (), id| v.get(id).unwrap_or(UNKNOWN),
                |v, row, id| match users[row] {
                    UNKNOWN => UNKNOWN,
                    _ => v.intern(id),
                },
            );
            if users.is_empty() {
                return Err(table::empty(path, "truth"));
            }
            if table::column_names(path, "truth")?.contains(&c.relevance) {
                // The relevance from the Parquet pages (row groups on all cores, kept in file
                // order), or through polars when the column does not allow it.
                let n = users.len();
                kept.reserve(n);
                let mut read = 0;
                let mut rejected = None;
                let fast = parquet_numbers::fold_row_groups(
                    path,
                    &c.relevance,
                    || (usize::MAX, Vec::new()),
                    |(start, values), first, piece| {
                        *start = (*start).min(first);
                        values.extend_from_slice(piece);
                    },
                    |(start, values)| {
                        if start != read || read + values.len() > n {
                            return false;
                        }
                        for (row, &x) in (start..).zip(&values) {
                            if let Err(message) = kept.keep(users[row], x, || item_codes[row]) {
                                rejected = Some((row, message));
                                return false;
                            }
                        }
                        read += values.len();
                        true
                    },
                );
                if let Some((row, message)) = rejected {
                    return Err(Error::BadValue {
                        path: path.to_path_buf(),
                        column: c.relevance.clone(),
                        row: row + 1,
                        message,
                    });
                }
                if fast.is_some() && read == n {
                    n
                } else {
                    // Start over through polars.
                    kept = TruthRows::default();
                    let rows =
                        Table::read_chunks(path, "truth", &[], &[&c.relevance], CHUNK_ROWS, |t| {
                            let rows = t.row_offset..(t.row_offset + t.height()).min(users.len());
                            keep_rows(
                                &mut kept,
                                Some(t),
                                rows.start,
                                &users[rows.clone()],
                                &item_codes[rows],
                                &mut |_, i| i,
                            )
                        })?;
                    same_rows(path, "truth", rows, users.len())?
                }
            } else {
                keep_rows(&mut kept, None, 0, &users, &item_codes, &mut |_, i| i)?;
                users.len()
            }
        }
        None => Table::read_chunks(
            path,
            "truth",
            &id_columns(c),
            &[&c.relevance],
            CHUNK_ROWS,
            |t| {
                let users = t.ids(&c.user)?;
                let ids = t.ids(&c.item)?;
                // Known users and items are looked up on all cores; an item new to the catalog
                // is added only when its row belongs to an audited user.
                let (mut user_codes, mut item_codes) = (Vec::new(), Vec::new());
                rayon::join(
                    || lookup_column(audited, &users, true, &mut user_codes),
                    || lookup_column(items, &ids, false, &mut item_codes),
                );
                let first = t.row_offset;
                keep_rows(
                    &mut kept,
                    Some(t),
                    first,
                    &user_codes,
                    &item_codes,
                    &mut |row, i| match i {
                        UNKNOWN => items.intern(ids.get(row - first).expect("required column")),
                        i => i,
                    },
                )
            },
        )?,
    };
    summary.rows_read.insert("truth".into(), n);
    // Group by user (a counting sort), then per user by item, the highest relevance first, and
    // keep one row per item.
    let TruthRows {
        owner,
        relevant,
        unaudited,
    } = kept;
    let mut by_user = Csr::from_pairs(audited.len(), &owner, relevant);
    drop(owner);
    // Users in parallel; a duplicate item then sits right after its first row.
    by_user.par_rows_mut(|r| {
        r.sort_by(|a, b| {
            a.item
                .cmp(&b.item)
                .then(b.relevance.total_cmp(&a.relevance))
        })
    });
    summary.truth_rows_unaudited_users = unaudited;
    let duplicated = by_user.offsets().par_windows(2).any(|w| {
        by_user.values()[w[0]..w[1]]
            .windows(2)
            .any(|p| p[0].item == p[1].item)
    });
    if !duplicated {
        summary.truth_duplicate_rows = 0;
        return Ok(by_user);
    }
    let (offsets, mut values) = by_user.into_parts();
    let mut kept = Vec::with_capacity(offsets.len());
    kept.push(0);
    let mut write = 0;
    for u in 0..offsets.len() - 1 {
        for k in offsets[u]..offsets[u + 1] {
            if write == kept[u] || values[write - 1].item != values[k].item {
                values[write] = values[k];
                write += 1;
            }
        }
        kept.push(write);
    }
    summary.truth_duplicate_rows = values.len() - write;
    values.truncate(write);
    Ok(Csr::from_parts(kept, values))
}

/// History rows grouped by user, before the catalog size is known.
struct HistoryRows {
    /// Items of every history user, oldest first: the audited users (codes 0..n_audited), then
    /// the users without recommendations.
    all_users: Csr<u32>,
    n_audited: usize,
    /// Users with at least one history row.
    n_users: usize,
}

impl HistoryRows {
    /// Per-item interaction and distinct-user counts over every history user, then the lists of
    /// the audited users only. Distinct users come from each user's own (short) list, so no
    /// table-wide sort is needed: an item's count remembers the last user it counted, so a user
    /// listing an item twice counts once (no per-user sort either).
    fn finish(self, n_items: usize) -> History {
        let lists = &self.all_users;
        const USERS_PER_TASK: usize = 1 << 16;
        /// No user yet (user codes are below `u32::MAX`: they index the rows).
        const NO_USER: u32 = u32::MAX;
        let n_all = lists.n_rows();
        // Per item: [interactions, distinct users, last user counted], side by side so that an
        // item's three counts share one cache line.
        let counts = (0..n_all.div_ceil(USERS_PER_TASK))
            .into_par_iter()
            .map(|chunk| {
                let mut counts = vec![[0, 0, NO_USER]; n_items];
                let end = ((chunk + 1) * USERS_PER_TASK).min(n_all);
                for u in chunk * USERS_PER_TASK..end {
                    for &i in lists.row(u) {
                        let c = &mut counts[i as usize];
                        c[0] += 1;
                        if c[2] != u as u32 {
                            c[2] = u as u32;
                            c[1] += 1;
                        }
                    }
                }
                counts
            })
            .reduce(
                || vec![[0, 0, NO_USER]; n_items],
                |mut a, b| {
                    for (x, y) in a.iter_mut().zip(b) {
                        x[0] += y[0];
                        x[1] += y[1];
                    }
                    a
                },
            );
        let interactions = counts.iter().map(|c| c[0]).collect();
        let distinct_users = counts.iter().map(|c| c[1]).collect();
        drop(counts);
        let (mut offsets, mut values) = self.all_users.into_parts();
        offsets.truncate(self.n_audited + 1);
        values.truncate(offsets[self.n_audited]);
        values.shrink_to_fit();
        History {
            per_user: Csr::from_parts(offsets, values),
            distinct_users,
            interactions,
            n_users: self.n_users,
        }
    }
}

/// History timestamps as read: numbers, or text ordered as text (ISO 8601 dates sort correctly).
enum Timestamps {
    None,
    Numeric(Vec<f64>),
    Text(LabelColumn),
}

impl Timestamps {
    fn from_first_chunk(t: &Table, column: &str) -> Self {
        if !t.has(column) {
            Timestamps::None
        } else if t.holds_numbers(column).unwrap_or(false) {
            Timestamps::Numeric(Vec::new())
        } else {
            Timestamps::Text(LabelColumn::default())
        }
    }

    fn push_chunk(&mut self, t: &Table, column: &str) -> Result<()> {
        match self {
            Timestamps::None => {}
            Timestamps::Numeric(v) => v.extend(
                t.numbers(column)?
                    .into_iter()
                    .map(|x| x.unwrap_or(f64::NEG_INFINITY)),
            ),
            Timestamps::Text(labels) => labels.push_chunk(t, column)?,
        }
        Ok(())
    }

    /// One sortable number per row, `None` without a timestamp column.
    fn finish(self) -> Option<Vec<f64>> {
        match self {
            Timestamps::None => None,
            Timestamps::Numeric(v) => Some(v),
            Timestamps::Text(labels) => {
                Some(labels.finish().0.into_iter().map(f64::from).collect())
            }
        }
    }
}

/// Reads the history table: every row's user and item codes, grouped by user with a counting
/// sort, each user's rows oldest first.
///
/// Timestamps are only kept when they are needed: the first pass checks whether every user's
/// rows already come oldest first in file order (the usual layout of an interaction log); only
/// when they do not is the timestamp column read again in a second pass to sort each user's rows.
/// This keeps 8 bytes a row out of memory in the common case.
fn read_history(
    path: &std::path::Path,
    c: &ColumnNames,
    audited: &Vocab,
    items: &mut Vocab,
    summary: &mut InputSummary,
) -> Result<HistoryRows> {
    let n_audited = audited.len();
    // Users of the history without recommendations get codes n_audited, n_audited + 1, ...
    let mut others = Vocab::new();
    let mut user: Vec<u32> = Vec::new();
    let mut item: Vec<u32> = Vec::new();
    // Newest timestamp seen per user code while the rows are in order.
    let mut newest: Vec<f64> = Vec::new();
    let mut in_order = true;
    // The order found on the Parquet pages directly (`rows_in_time_order`), when they allow it.
    let mut fast_order: Option<bool> = None;
    let mut first = true;
    let mut is_text = false;
    // Whether the rows of each user come oldest first so far, given a chunk's rows and their
    // user codes (`n_users` codes in all so far).
    let mut check_order = |t: &Table, users: &[u32], n_users: usize| -> Result<()> {
        if first {
            is_text = matches!(
                Timestamps::from_first_chunk(t, &c.timestamp),
                Timestamps::Text(_)
            );
            first = false;
        }
        // Text timestamps are ranked only once the whole column is known: always sorted.
        if is_text {
            in_order = false;
        }
        if in_order && t.has(&c.timestamp) {
            newest.resize(n_users, f64::NEG_INFINITY);
            // A timestamp that is not finite counts as out of order: the second pass, which
            // reads the column to sort it, reports it with its row.
            let mut check = |x: Option<f64>, u: u32| {
                if x.is_some_and(|x| !x.is_finite()) {
                    return false;
                }
                let x = x.unwrap_or(f64::NEG_INFINITY);
                let last = &mut newest[u as usize];
                if x < *last {
                    return false;
                }
                *last = x;
                true
            };
            // Rows beyond `users` are not checked (as a zip of the two would not).
            let mut rows = users.iter();
            let in_place = t.all_numbers(&c.timestamp, |x| {
                rows.next().is_none_or(|&u| check(Some(x), u))
            })?;
            in_order = match in_place {
                Some(all) => all,
                None => t
                    .numbers(&c.timestamp)?
                    .into_iter()
                    .zip(users)
                    .all(|(x, &u)| check(x, u)),
            };
        }
        Ok(())
    };
    let n = match parquet_ids::read_id_pair(path, &c.user, &c.item) {
        // Ids through the Parquet dictionaries, then the timestamps (if any) through polars.
        Some((user_ids, item_ids)) => {
            rayon::join(
                || {
                    user = user_ids.into_codes(
                        &mut others,
                        |_, memo, id| audited.get_memo(id, memo).unwrap_or(UNKNOWN),
                        |others, _, id| n_audited as u32 + others.intern_repeated(id),
                    );
                },
                || item = encode_dict(items, item_ids),
            );
            let n_users = n_audited + others.len();
            if user.is_empty() {
                return Err(table::empty(path, "history"));
            }
            if table::column_names(path, "history")?.contains(&c.timestamp) {
                fast_order = rows_in_time_order(path, &c.timestamp, &user, n_users);
                if fast_order.is_none() {
                    let rows = Table::read_chunks(
                        path,
                        "history",
                        &[],
                        &[&c.timestamp],
                        CHUNK_ROWS,
                        |t| {
                            let users = user
                                .get(t.row_offset..t.row_offset + t.height())
                                .unwrap_or(&[]);
                            check_order(t, users, n_users)
                        },
                    )?;
                    same_rows(path, "history", rows, user.len())?;
                }
            }
            user.len()
        }
        None => Table::read_chunks(
            path,
            "history",
            &id_columns(c),
            &[&c.timestamp],
            CHUNK_ROWS,
            |t| {
                let start = user.len();
                // Users and items are independent vocabularies: encode both columns at once, and
                // check the time order of the users' rows while the items are looked up.
                let (user_ids, item_ids) = (t.ids(&c.user)?, t.ids(&c.item)?);
                let (checked, ()) = rayon::join(
                    || -> Result<()> {
                        lookup_column(audited, &user_ids, true, &mut user);
                        for (row, u) in user[start..].iter_mut().enumerate() {
                            if *u == UNKNOWN {
                                let id = user_ids.get(row).expect("required column");
                                *u = n_audited as u32 + others.intern_repeated(id);
                            }
                        }
                        check_order(t, &user[start..], n_audited + others.len())
                    },
                    || encode_column(items, &item_ids, false, &mut item),
                );
                checked
            },
        )?,
    };
    drop(newest);
    if let Some(ordered) = fast_order {
        in_order = ordered;
    }
    summary.rows_read.insert("history".into(), n);
    let time = if in_order {
        None
    } else {
        // Second pass: the timestamp column alone.
        let mut time = Timestamps::None;
        let mut first = true;
        Table::read_chunks(path, "history", &[], &[&c.timestamp], CHUNK_ROWS, |t| {
            if first {
                time = Timestamps::from_first_chunk(t, &c.timestamp);
                first = false;
            }
            time.push_chunk(t, &c.timestamp)
        })?;
        time.finish()
    };

    // Counting sort by user: row indices when timestamps must order them, else items directly.
    let n_all = n_audited + others.len();
    let by_user = match time {
        Some(_) => Csr::from_rows_of(n_all, &user, |r| r as u32),
        None => Csr::from_pairs(n_all, &user, std::mem::take(&mut item)),
    };
    drop(user);
    let (offsets, mut values) = by_user.into_parts();
    if let Some(ts) = &time {
        for u in 0..n_all {
            let rows = &mut values[offsets[u]..offsets[u + 1]];
            rows.sort_by(|&a, &b| ts[a as usize].total_cmp(&ts[b as usize]));
            for r in rows.iter_mut() {
                *r = item[*r as usize];
            }
        }
    }
    drop(item);
    let all_users = Csr::from_parts(offsets, values);
    let n_users = (0..n_all).filter(|&u| !all_users.row(u).is_empty()).count();
    summary.history_users = n_users;
    Ok(HistoryRows {
        all_users,
        n_audited,
        n_users,
    })
}

/// Whether every user's history rows come oldest first (each row's timestamp at least the
/// user's previous one; `users` holds each row's user code, below `n_users`), read from the
/// Parquet pages of the number column `column` row groups in parallel
/// ([`parquet_numbers::fold_row_groups`]); `None` when the column or file cannot take that path
/// or the row counts differ, and the caller reads the column through polars.
///
/// The same test as the sequential check (`x < newest[u]` fails, then `newest[u] = x`): within a
/// row group each run of rows of one user is checked row against previous row, and the runs
/// (user, first and last timestamp) are then checked in file order against each user's newest.
/// A timestamp that is not finite makes the rows out of order, as in the sequential check.
fn rows_in_time_order(
    path: &std::path::Path,
    column: &str,
    users: &[u32],
    n_users: usize,
) -> Option<bool> {
    /// One row group's runs of rows of one user: (user, first timestamp, last timestamp), and
    /// whether every run was in order and every row had a user.
    struct Runs {
        runs: Vec<(u32, f64, f64)>,
        in_order: bool,
        rows_known: bool,
    }
    let mut newest = vec![f64::NEG_INFINITY; n_users];
    let (mut in_order, mut every_row_known) = (true, true);
    parquet_numbers::fold_row_groups(
        path,
        column,
        || Runs {
            runs: Vec::new(),
            in_order: true,
            rows_known: true,
        },
        |r, first, values| {
            let Some(of_rows) = users.get(first..first + values.len()) else {
                r.rows_known = false;
                return;
            };
            if !r.in_order {
                return;
            }
            for (&u, &x) in of_rows.iter().zip(values) {
                // Not finite: out of order, and the caller's sorting pass reports it.
                if !x.is_finite() {
                    r.in_order = false;
                    return;
                }
                match r.runs.last_mut() {
                    Some(run) if run.0 == u => {
                        if x < run.2 {
                            r.in_order = false;
                            return;
                        }
                        run.2 = x;
                    }
                    _ => r.runs.push((u, x, x)),
                }
            }
        },
        |r| {
            if !r.rows_known {
                every_row_known = false;
                return false;
            }
            if !r.in_order {
                in_order = false;
                return false;
            }
            for (u, first, last) in r.runs {
                let newest = &mut newest[u as usize];
                if first < *newest {
                    in_order = false;
                    return false;
                }
                *newest = last;
            }
            true
        },
    )?;
    // A timestamp without a user code: the columns disagree, and polars' reading reports it.
    every_row_known.then_some(in_order)
}

/// The categories of each items-table row (`|`-separated names, each row's sorted and deduplicated)
/// and the sorted category names; no rows and no names without a category column. Item codes of
/// the table's rows are the rows themselves (its items come first in the vocabulary); the items
/// added from other tables have no category.
fn item_categories(t: Option<&Table>, c: &ColumnNames) -> Result<(Csr<u32>, Vec<String>)> {
    let Some(t) = t.filter(|t| t.has(&c.category)) else {
        return Ok((Csr::default(), Vec::new()));
    };
    let cats = t.strings(&c.category, false)?;
    let mut labels: Vec<String> = cats
        .iter()
        .flatten()
        .flat_map(|s| s.split('|').map(|x| x.trim().to_string()))
        .filter(|s| !s.is_empty())
        .collect();
    labels.sort();
    labels.dedup();
    let per_item = cats.iter().map(|v| {
        let mut cs: Vec<u32> = v
            .unwrap_or("")
            .split('|')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| labels.binary_search(&s.to_string()).unwrap() as u32)
            .collect();
        cs.sort_unstable();
        cs.dedup();
        cs
    });
    Ok((Csr::from_rows(per_item), labels))
}

/// The items' attributes: `categories` and `category_labels` from [`item_categories`] (padded
/// with empty rows for the items that are not in the table), the rest from the table `t`.
fn build_items(
    t: Option<&Table>,
    c: &ColumnNames,
    vocab: Vocab,
    (mut categories, category_labels): (Csr<u32>, Vec<String>),
    summary: &mut InputSummary,
) -> Result<Items> {
    let n = vocab.len();
    categories.pad_rows(n);
    let mut out = Items {
        ids: vocab.into_ids(),
        categories,
        category_labels,
        ..Items::default()
    };
    let Some(t) = t else {
        return Ok(out);
    };
    let rows = t.height();
    if t.has(&c.popularity) {
        let mut p: Vec<f64> = Vec::with_capacity(n);
        for (row, v) in t.numbers(&c.popularity)?.into_iter().enumerate() {
            match v {
                Some(x) if x >= 0.0 => p.push(x),
                Some(x) => {
                    return Err(t.row_error(
                        &c.popularity,
                        row,
                        format!("popularity {x} is negative; expected a number ≥ 0"),
                    ))
                }
                None => p.push(0.0),
            }
        }
        p.resize(n, 0.0);
        out.popularity = Some(p);
    }
    if t.has(&c.features) {
        let text = t.strings(&c.features, false)?;
        let mut vecs = Vec::with_capacity(n);
        let mut dim = None;
        for (row, v) in text.iter().enumerate() {
            let parsed: std::result::Result<Vec<f64>, String> = v
                .unwrap_or("")
                .split(|ch: char| ch == ';' || ch.is_whitespace())
                .filter(|s| !s.is_empty())
                .map(|s| match s.parse::<f64>() {
                    Ok(x) if x.is_finite() => Ok(x),
                    Ok(x) => Err(format!(
                        "in the feature vector, {}",
                        table::not_finite(x, Some(s))
                    )),
                    Err(_) => Err("expected numbers separated by spaces or `;`".into()),
                })
                .collect();
            let vec = parsed.map_err(|message| t.row_error(&c.features, row, message))?;
            if *dim.get_or_insert(vec.len()) != vec.len() {
                return Err(t.row_error(
                    &c.features,
                    row,
                    format!(
                        "feature vector has {} numbers; earlier rows have {}",
                        vec.len(),
                        dim.unwrap()
                    ),
                ));
            }
            vecs.push(vec);
        }
        let d = dim.unwrap_or(0);
        vecs.resize(n, vec![0.0; d]);
        out.features = Some(vecs);
    }
    let known = [&c.item, &c.category, &c.popularity, &c.features];
    for name in t.frame.get_column_names() {
        let name = name.to_string();
        if known.contains(&&name) {
            continue;
        }
        let values = t.strings(&name, false)?;
        let mut labels: Vec<String> = values
            .iter()
            .flatten()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        labels.sort();
        labels.dedup();
        let mut codes: Vec<u32> = values
            .iter()
            .map(|v| match v.map(str::trim).filter(|s| !s.is_empty()) {
                Some(s) => labels.binary_search(&s.to_string()).unwrap() as u32,
                None => Categorical::MISSING,
            })
            .collect();
        codes.resize(n, Categorical::MISSING);
        summary.item_group_columns.push(name.clone());
        out.groups.push(Categorical {
            name,
            labels,
            codes,
        });
    }
    debug_assert!(rows <= n);
    Ok(out)
}

/// Parquet files for the tests of the input modules.
#[cfg(test)]
pub(crate) mod test_files {
    use std::path::{Path, PathBuf};

    use polars::prelude::*;

    /// Writes `df` as the Parquet file `path` in row groups of `group_rows` rows (polars' writer
    /// dictionary-encodes text and repeated numbers).
    pub fn write_parquet(path: &Path, df: &mut DataFrame, group_rows: usize) {
        ParquetWriter::new(std::fs::File::create(path).unwrap())
            .with_row_group_size(Some(group_rows))
            .finish(df)
            .unwrap();
    }

    /// Writes `df` as `t.parquet` in `dir`, in row groups of `group_rows` rows; returns the path.
    pub fn parquet_in(dir: &Path, df: &mut DataFrame, group_rows: usize) -> PathBuf {
        let path = dir.join("t.parquet");
        write_parquet(&path, df, group_rows);
        path
    }

    /// A Parquet copy of the CSV file `csv` (column types as polars infers them, so numbers are
    /// stored as numbers) beside it, in row groups of `group_rows` rows.
    pub fn parquet_copy(csv: &Path, group_rows: usize) -> PathBuf {
        let mut df = LazyCsvReader::new(PlRefPath::new(csv.to_string_lossy().as_ref()))
            .with_has_header(true)
            .finish()
            .unwrap()
            .collect()
            .unwrap();
        let path = csv.with_extension("parquet");
        write_parquet(&path, &mut df, group_rows);
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The input configuration of `paths` with the default column names, lists cut at `k`,
    /// no buckets, and ids that must join.
    fn config(paths: TablePaths, k: usize) -> InputConfig {
        InputConfig {
            paths,
            columns: ColumnNames::default(),
            k,
            buckets: Vec::new(),
            allow_unmatched_ids: false,
        }
    }

    /// Loads the tables `(name, csv text)` from CSV, and again from Parquet copies in row groups
    /// of 3 rows (ids read through the dictionaries, numbers stored as integers).
    fn load_csv_and_parquet(tables: &[(&str, &str)]) -> [(Dataset, InputSummary); 2] {
        let dir = tempfile::tempdir().unwrap();
        let mut loaded = Vec::new();
        for ext in ["csv", "parquet"] {
            let mut paths = TablePaths::default();
            for (name, text) in tables {
                let csv = dir.path().join(format!("{name}.csv"));
                std::fs::write(&csv, text).unwrap();
                let path = if ext == "csv" {
                    csv
                } else {
                    test_files::parquet_copy(&csv, 3)
                };
                match *name {
                    "recs" => paths.recs = path,
                    "users" => paths.users = path,
                    "truth" => paths.truth = Some(path),
                    "history" => paths.history = Some(path),
                    _ => unreachable!(),
                }
            }
            let cfg = config(paths, 2);
            loaded.push(load(&cfg).unwrap());
        }
        loaded.try_into().unwrap()
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
    }

    #[test]
    fn truth_keeps_one_row_per_item_with_its_highest_relevance() {
        let recs = "user_id,item_id,rank\na,x,1\nb,y,1\n";
        let users = "user_id,g\na,1\nb,2\n";
        // a lists y twice (relevance 1 then 3) and x once; b lists x three times.
        let truth = "user_id,item_id,relevance\na,y,1\na,x,2\nb,x,1\na,y,3\nb,x,2\nb,x,2\n";
        let [csv, parquet] =
            load_csv_and_parquet(&[("recs", recs), ("users", users), ("truth", truth)]);
        assert_eq!(csv.0, parquet.0);
        let t = csv.0.truth.as_ref().unwrap();
        let row = |u: usize| -> Vec<(&str, f64)> {
            t.row(u)
                .iter()
                .map(|r| (csv.0.items.ids[r.item as usize].as_str(), r.relevance))
                .collect()
        };
        // Items x, y are codes 0, 1 (first seen in the recommendations).
        assert_eq!(row(0), [("x", 2.0), ("y", 3.0)]);
        assert_eq!(row(1), [("x", 2.0)]);
        assert_eq!(csv.1.truth_duplicate_rows, 3);
        let no_duplicates = "user_id,item_id,relevance\na,y,1\nb,x,1\n";
        let [csv, _] =
            load_csv_and_parquet(&[("recs", recs), ("users", users), ("truth", no_duplicates)]);
        assert_eq!(csv.1.truth_duplicate_rows, 0);
        assert_eq!(csv.0.truth.unwrap().n_values(), 2);
    }

    #[test]
    fn invalid_order_keys_are_named_by_their_row_in_csv_and_parquet() {
        let dir = tempfile::tempdir().unwrap();
        let users = dir.path().join("users.csv");
        std::fs::write(&users, "user_id,g\na,1\nb,2\n").unwrap();
        let cases = [
            ("rank", "1\n2\n1\n0\n2", "row 4", "rank 0 is invalid"),
            ("rank", "1\n2\n1.5\n3\n2", "row 3", "rank 1.5 is invalid"),
            (
                "score",
                "0.5\n0.2\n0.9\nNaN\n0.1",
                "row 4",
                "NaN (not a number)",
            ),
        ];
        for (column, keys, row, message) in cases {
            let mut csv = format!("user_id,item_id,{column}\n");
            for (r, key) in keys.split('\n').enumerate() {
                csv.push_str(&format!("{},i{r},{key}\n", ["a", "b"][r % 2]));
            }
            let csv_path = dir.path().join("recs.csv");
            std::fs::write(&csv_path, &csv).unwrap();
            let parquet_path = test_files::parquet_copy(&csv_path, 2);
            for recs in [csv_path, parquet_path] {
                let cfg = config(
                    TablePaths {
                        recs: recs.clone(),
                        users: users.clone(),
                        ..TablePaths::default()
                    },
                    10,
                );
                let err = load(&cfg).unwrap_err().to_string();
                assert!(
                    err.contains(row) && err.contains(message) && err.contains(column),
                    "{recs:?}: {err}"
                );
            }
        }
    }

    #[test]
    fn a_negative_relevance_is_named_by_its_row_in_csv_and_parquet() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let truth_csv = write(
            "truth.csv",
            "user_id,item_id,relevance\na,x,1\nb,y,2\nzz,x,-5\na,y,-1\nb,x,1\n",
        );
        let truth_parquet = test_files::parquet_copy(&truth_csv, 2);
        for truth in [truth_csv, truth_parquet] {
            let cfg = config(
                TablePaths {
                    recs: write("recs.csv", "user_id,item_id,rank\na,x,1\nb,y,1\n"),
                    users: write("users.csv", "user_id,g\na,1\nb,2\n"),
                    truth: Some(truth.clone()),
                    ..TablePaths::default()
                },
                10,
            );
            // Row 3 belongs to a user without recommendations: not checked.
            let err = load(&cfg).unwrap_err().to_string();
            assert!(
                err.contains("row 4") && err.contains("relevance -1 is negative"),
                "{truth:?}: {err}"
            );
        }
    }

    #[test]
    fn parquet_slice_columns_read_through_dictionaries_equal_the_csv_reading() {
        // Text slice columns over row groups of 3 rows: values with spaces around them, a blank
        // value (no group), a value held only by a user who refused consent, a users-table row
        // of a user without recommendations, and an audited user missing from the table.
        let users = "user_id,gender,region,consent\n\
                     a,F,north,true\n\
                     b, M ,south,true\n\
                     q,X,east,true\n\
                     c,F,  ,true\n\
                     d,X,west,false\n\
                     e, F,north,true\n";
        let recs = "user_id,item_id,rank\na,x,1\nb,y,1\nc,x,1\nd,z,1\ne,y,1\nf,x,1\n";
        let [csv, parquet] = load_csv_and_parquet(&[("recs", recs), ("users", users)]);
        assert_eq!(csv.1, parquet.1);
        assert_eq!(csv.0, parquet.0);
        let gender = &parquet.0.slices[0];
        assert_eq!(gender.name, "gender");
        assert_eq!(gender.labels, ["F", "M"]);
        let region = &parquet.0.slices[1];
        assert_eq!(region.labels, ["north", "south"]);
        let m = Categorical::MISSING;
        // Users a, b, c, d, e, f in recommendation order.
        assert_eq!(gender.codes, [0, 1, 0, m, 0, m]);
        assert_eq!(region.codes, [0, 1, m, m, 0, m]);

        // The Parquet copy did take the dictionary path.
        let dir = tempfile::tempdir().unwrap();
        let csv_path = dir.path().join("users.csv");
        std::fs::write(&csv_path, users).unwrap();
        let path = test_files::parquet_copy(&csv_path, 3);
        let cols = parquet_ids::read_dict_columns(&path, &["gender", "region"]).unwrap();
        assert_eq!(
            cols.iter().map(DictColumn::rows).collect::<Vec<_>>(),
            [6, 6]
        );
    }

    #[test]
    fn time_order_on_parquet_pages_is_the_sequential_check() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.parquet");
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let mut decided = [0, 0];
        for case in 0..200 {
            // Users in runs that come back later (and across row groups of 4 rows), timestamps
            // that mostly rise per user, sometimes with a step back.
            let n = rng.gen_range(1..40);
            let users: Vec<u32> = (0..n)
                .map(|r| (r / rng.gen_range(1..4)) as u32 % 6)
                .collect();
            let mut last = [0i64; 6];
            let time: Vec<i64> = users
                .iter()
                .map(|&u| {
                    let step = if rng.gen_bool(0.03) {
                        -1
                    } else {
                        rng.gen_range(0..2)
                    };
                    last[u as usize] += step;
                    last[u as usize]
                })
                .collect();
            test_files::write_parquet(&path, &mut df!("timestamp" => &time).unwrap(), 4);
            let mut newest = [f64::NEG_INFINITY; 6];
            let expected = users.iter().zip(&time).all(|(&u, &t)| {
                let ok = t as f64 >= newest[u as usize];
                newest[u as usize] = t as f64;
                ok
            });
            let got = rows_in_time_order(&path, "timestamp", &users, 6);
            assert_eq!(got, Some(expected), "case {case}: {users:?} {time:?}");
            decided[usize::from(expected)] += 1;
        }
        assert!(decided[0] > 20 && decided[1] > 20, "{decided:?}");
        // A timestamp row without a user code: left to polars.
        assert_eq!(rows_in_time_order(&path, "timestamp", &[], 6), None);
    }

    #[test]
    fn an_empty_parquet_id_is_reported_with_its_row() {
        // The dictionary path does not take a column with a null: polars reads it and the error
        // names the file row, as for CSV.
        let dir = tempfile::tempdir().unwrap();
        let recs = dir.path().join("recs.parquet");
        let mut df = df!(
            "user_id" => [Some("a"), Some("a"), None, Some("b")],
            "item_id" => ["x", "y", "x", "z"],
            "rank" => [1i64, 2, 1, 1],
        )
        .unwrap();
        ParquetWriter::new(std::fs::File::create(&recs).unwrap())
            .finish(&mut df)
            .unwrap();
        let users = dir.path().join("users.csv");
        std::fs::write(&users, "user_id,g\na,1\nb,2\n").unwrap();
        let cfg = config(
            TablePaths {
                recs,
                users,
                ..TablePaths::default()
            },
            10,
        );
        let err = load(&cfg).unwrap_err().to_string();
        assert!(err.contains("recs.parquet"), "{err}");
        assert!(err.contains("row 3") && err.contains("user_id"), "{err}");
    }

    #[test]
    fn pairwise_duplicate_check_agrees_with_sorting() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let item_code: Vec<u32> = (0..500).map(|_| rng.gen_range(0..60)).collect();
        for len in 0..=PAIRWISE_MAX_ROWS + 8 {
            for _ in 0..50 {
                let rows: Vec<u32> = (0..len).map(|_| rng.gen_range(0..500)).collect();
                let mut items: Vec<u32> = rows.iter().map(|&r| item_code[r as usize]).collect();
                items.sort_unstable();
                let sorted_finds = items.windows(2).any(|w| w[0] == w[1]);
                assert_eq!(
                    has_duplicate_item(&rows, &item_code),
                    sorted_finds,
                    "{rows:?}"
                );
            }
        }
    }

    #[test]
    fn a_duplicate_in_a_long_list_is_named_by_its_rows() {
        // 40 rows (beyond the pairwise check), item i7 at data rows 7 and 40.
        let mut recs = String::from("user_id,item_id,rank\n");
        for r in 1..=40 {
            let item = if r == 40 { 7 } else { r };
            recs.push_str(&format!("u,i{item},{r}\n"));
        }
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let cfg = config(
            TablePaths {
                recs: write("recs.csv", &recs),
                users: write("users.csv", "user_id,g\nu,1\n"),
                ..TablePaths::default()
            },
            50,
        );
        let err = load(&cfg).unwrap_err().to_string();
        assert!(
            err.contains("row 40") && err.contains("`i7` appears twice"),
            "{err}"
        );
        assert!(err.contains("first at row 7"), "{err}");
    }

    fn load_history(history: &str) -> (Dataset, InputSummary) {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let cfg = config(
            TablePaths {
                recs: write("recs.csv", "user_id,item_id,rank\na,x,1\nb,y,1\n"),
                users: write("users.csv", "user_id,g\na,1\nb,2\n"),
                history: Some(write("history.csv", history)),
                ..TablePaths::default()
            },
            10,
        );
        load(&cfg).unwrap()
    }

    fn items_of(ds: &Dataset, u: usize) -> Vec<&str> {
        let h = ds.history.as_ref().unwrap();
        h.per_user
            .row(u)
            .iter()
            .map(|&i| ds.items.ids[i as usize].as_str())
            .collect()
    }

    #[test]
    fn history_item_counts_span_the_tasks_of_users() {
        // 70,000 users (two tasks of 65,536): user u lists item u % 3 twice, then item 3 once.
        let n = 70_000;
        let rows = Csr::from_rows((0..n).map(|u| vec![u % 3, 3, u % 3]));
        let history = HistoryRows {
            all_users: rows,
            n_audited: 5,
            n_users: n as usize,
        }
        .finish(5);
        let per = |r: u32| (0..n).filter(|u| u % 3 == r).count() as u32;
        let (a, b, c) = (per(0), per(1), per(2));
        assert_eq!(history.interactions, [2 * a, 2 * b, 2 * c, n, 0]);
        assert_eq!(history.distinct_users, [a, b, c, n, 0]);
        // The lists of the audited users only.
        assert_eq!(history.per_user.n_rows(), 5);
        assert_eq!(history.per_user.row(4), [1, 3, 1]);
    }

    #[test]
    fn history_rows_in_time_order_keep_file_order() {
        let (ds, summary) =
            load_history("user_id,item_id,timestamp\nc,x,5\na,z,1\nb,x,2\na,x,3\na,z,3\nc,x,6\n");
        assert_eq!(items_of(&ds, 0), ["z", "x", "z"]);
        assert_eq!(items_of(&ds, 1), ["x"]);
        let h = ds.history.as_ref().unwrap();
        // Items x, y, z (recs order, then history): x 4 rows by a, b, c; z 2 rows by a.
        assert_eq!(h.interactions, [4, 0, 2]);
        assert_eq!(h.distinct_users, [3, 0, 1]);
        assert_eq!((h.n_users, summary.history_users), (3, 3));
        assert_eq!(h.per_user.n_rows(), 2);
    }

    #[test]
    fn history_rows_out_of_time_order_are_sorted_per_user() {
        // a's rows arrive 9, 1, 5 (and b's after a row of 9): sorted oldest first, ties in file
        // order; a missing timestamp sorts first.
        let (ds, _) =
            load_history("user_id,item_id,timestamp\na,x,9\na,y,1\nb,y,4\na,z,5\nb,x,\nb,z,4\n");
        assert_eq!(items_of(&ds, 0), ["y", "z", "x"]);
        assert_eq!(items_of(&ds, 1), ["x", "y", "z"]);
    }

    #[test]
    fn history_text_timestamps_and_no_timestamps() {
        let (ds, _) = load_history(
            "user_id,item_id,timestamp\na,x,2024-03-01\na,y,2023-12-31\nb,z,2024-01-01\n",
        );
        assert_eq!(items_of(&ds, 0), ["y", "x"]);
        let (ds, _) = load_history("user_id,item_id\na,y\nb,z\na,x\n");
        assert_eq!(items_of(&ds, 0), ["y", "x"]);
        assert_eq!(items_of(&ds, 1), ["z"]);
    }
}
