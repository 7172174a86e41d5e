//! Reading the recommendations table: the audited users and, per snapshot and sample, each
//! user's list sorted by rank (or by descending score, ties broken by item id) and cut at k.
//! [`EncodedRecs::into_key_order`] then numbers the users in ascending order of their keys
//! ([`id_key`]), so that no result depends on the order of the file's rows.

use std::path::Path;

use rayon::prelude::*;

use super::config::{ColumnNames, InputConfig, InputSummary};
use super::labels::LabelColumn;
use super::table::{self, InputTable, CHUNK_ROWS};
use super::vocab::{encode_column, Vocab};
use super::{parquet_ids, parquet_numbers};
use crate::data::{id_key, Csr, RecLists, Snapshot};
use crate::error::{shown, Error, Result};

/// The recommendations after encoding: the audited users and their lists.
pub(super) struct EncodedRecs {
    /// The audited users: in order of first appearance as read, in ascending (key, id) order
    /// after [`into_key_order`](Self::into_key_order).
    pub(super) users: Vocab,
    /// The main lists ([`Dataset::recs`](crate::data::Dataset::recs)).
    pub(super) main: RecLists,
    /// The lists per snapshot (none without several snapshots).
    pub(super) snapshots: Vec<Snapshot>,
    /// The sampled lists of the last snapshot (none without several samples).
    pub(super) samples: Vec<RecLists>,
    /// The labels of the snapshot and sample columns in their order, one or more each (empty
    /// without the column).
    pub(super) labels: [Vec<String>; 2],
}

/// Users per parallel task when sorting each user's rows.
const USERS_PER_TASK: usize = 1 << 14;

impl EncodedRecs {
    /// The users renumbered in ascending order of (key, id), the key being [`id_key`] of the
    /// id: the vocabulary and every per-user structure (the main lists, each snapshot's and each
    /// sample's lists). Returns the keys in the new order (ascending). Every later table is read
    /// through the renumbered vocabulary, so every order by dense user id in the audit is the
    /// keys' order, which a partition of the users reproduces by sorting its own users by key.
    /// Two ids with the same key (about n² / 2⁶⁵ pairs among n users) are ordered by their text.
    pub(super) fn into_key_order(mut self) -> (EncodedRecs, Vec<u64>) {
        let n = self.users.len();
        let users = &self.users;
        let mut by_key: Vec<(u64, u32)> = (0..n as u32)
            .into_par_iter()
            .map(|u| (id_key(users.id(u)), u))
            .collect();
        by_key.par_sort_unstable_by_key(|&(key, _)| key);
        // Equal keys (almost never): by id text.
        for run in by_key.chunk_by_mut(|a, b| a.0 == b.0) {
            if run.len() > 1 {
                run.sort_unstable_by(|a, b| users.id(a.1).cmp(users.id(b.1)));
            }
        }
        let (keys, order): (Vec<u64>, Vec<u32>) = by_key.into_par_iter().unzip();
        if order.iter().enumerate().all(|(i, &u)| i as u32 == u) {
            return (self, keys);
        }
        self.users.reorder(&order);
        self.main = self.main.permute_rows(&order);
        for s in &mut self.snapshots {
            s.lists = s.lists.permute_rows(&order);
        }
        for s in &mut self.samples {
            *s = s.permute_rows(&order);
        }
        (self, keys)
    }
}

/// Reads the recommendations table, adding its items to `items` in order of first appearance
/// and counting the rows read and cut into `summary`.
pub(super) fn read_recs(
    cfg: &InputConfig,
    items: &mut Vocab,
    summary: &mut InputSummary,
) -> Result<EncodedRecs> {
    read_lists(cfg, &cfg.paths.recs, "recommendations", items, summary)
}

/// Reads the table of lists at `path` (the recommendations, or a baseline run's in the same
/// format and under the same column names), named `table_name` in errors and in `summary.rows_read`.
pub(super) fn read_lists(
    cfg: &InputConfig,
    path: &Path,
    table_name: &'static str,
    items: &mut Vocab,
    summary: &mut InputSummary,
) -> Result<EncodedRecs> {
    let c = &cfg.columns;
    let names = table::column_names(path, table_name)?;
    let has = |n: &str| names.iter().any(|x| x == n);
    let by_rank = has(&c.rank);
    if !by_rank && !has(&c.score) {
        return Err(Error::MissingColumn {
            path: path.to_path_buf(),
            table: table_name,
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
    let id_pair = parquet_ids::read_id_pair(path, &c.user, &c.item);
    // Without list labels the order keys are read from the Parquet pages when the column allows
    // it (`order_keys_of_row_groups`), else through polars, chunk by chunk.
    let plain = !has_snapshot && !has_sample;
    if let Some((user_ids, _)) = id_pair.as_ref().filter(|_| !plain) {
        // The order keys' whole length at once: no copy as the column grows chunk by chunk.
        order.reserve_exact(user_ids.rows());
    }
    let mut snapshots = LabelColumn::default();
    let mut samples = LabelColumn::default();
    // The order keys and list labels of a chunk of rows.
    let mut read_rest = |t: &InputTable| -> Result<()> {
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
    let n = match id_pair {
        // Ids through the Parquet dictionaries, the other columns through polars, at once.
        Some((user_ids, item_ids)) => {
            let rows = user_ids.rows();
            let (keys, ((), ())) = rayon::join(
                || -> Result<(usize, Option<Vec<f64>>)> {
                    if plain {
                        if let Some(keys) = order_keys_of_row_groups(path, order_key, by_rank, rows)
                        {
                            return Ok((keys.len(), Some(keys)));
                        }
                    }
                    let n = InputTable::read_chunks(
                        path,
                        table_name,
                        &[],
                        &others,
                        CHUNK_ROWS,
                        &mut read_rest,
                    )?;
                    Ok((n, None))
                },
                || {
                    rayon::join(
                        || user_code = user_ids.encode(&mut users),
                        || item_code = item_ids.encode(items),
                    )
                },
            );
            let (n, keys) = keys?;
            if let Some(keys) = keys {
                order = keys;
            }
            table::same_rows(path, table_name, n, user_code.len())?
        }
        None => InputTable::read_chunks(path, table_name, &c.ids(), &others, CHUNK_ROWS, |t| {
            // The two vocabularies and the other columns are independent: all three at once.
            let (user_ids, item_ids) = (t.ids(&c.user)?, t.ids(&c.item)?);
            let ((), ((), rest)) = rayon::join(
                || user_code.extend(user_ids.iter().flatten().map(|u| users.intern_repeated(u))),
                || {
                    rayon::join(
                        || encode_column(items, &item_ids, false, &mut item_code),
                        || read_rest(t),
                    )
                },
            );
            rest
        })?,
    };
    summary.rows_read.insert(table_name.into(), n);
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
    let labels = [snapshot_labels.clone(), sample_labels.clone()];
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
        labels,
    })
}

/// The order key of every row (the rank, or the negated score) read from the Parquet pages of
/// `column`, row groups on all cores ([`parquet_numbers::fold_row_groups`]): the values
/// [`read_order_keys`] finds, `rows` of them expected. `None` when the column cannot take that
/// path, holds a value that is not a valid key, or the table has no rows: the chunked reading
/// then reports the row, or the empty table.
fn order_keys_of_row_groups(
    path: &Path,
    column: &str,
    by_rank: bool,
    rows: usize,
) -> Option<Vec<f64>> {
    /// One row group's keys, and whether each was valid.
    struct Keys {
        keys: Vec<f64>,
        valid: bool,
    }
    if rows == 0 {
        return None;
    }
    let mut keys: Vec<f64> = Vec::with_capacity(rows);
    let mut valid = true;
    parquet_numbers::fold_row_groups(
        path,
        column,
        || Keys {
            keys: Vec::new(),
            valid: true,
        },
        |k, _, values| {
            if !k.valid {
                return;
            }
            k.keys.reserve(values.len());
            for &x in values {
                let key = if by_rank {
                    is_rank(x).then_some(x)
                } else {
                    x.is_finite().then_some(-x)
                };
                match key {
                    Some(key) => k.keys.push(key),
                    None => {
                        k.valid = false;
                        return;
                    }
                }
            }
        },
        |k| {
            valid &= k.valid;
            keys.extend_from_slice(&k.keys);
            valid
        },
    )?;
    (valid && keys.len() == rows).then_some(keys)
}

/// The smallest rank that is not accepted: 2^53. From there on a 64-bit float does not hold
/// every integer (2^53 + 1 reads as 2^53, and 1000000000000000001 as 1000000000000000000), so two
/// different ranks could tie and a list be silently reordered. Every integer read as a value below
/// it is the integer written: a larger integer never rounds down below 2^53.
const RANK_LIMIT: f64 = 9_007_199_254_740_992.0;

/// Whether `r` is a valid rank: an integer from 1 to 2^53 − 1 ([`RANK_LIMIT`]; not NaN, not
/// infinite).
fn is_rank(r: f64) -> bool {
    (1.0..RANK_LIMIT).contains(&r) && r.fract() == 0.0
}

/// Why `r` is not a valid rank ([`is_rank`]), and what is expected.
fn rank_error_message(r: f64) -> String {
    if r >= RANK_LIMIT {
        format!(
            "the rank is too large (about {r:e}); ranks must be integers from 1 up to \
             2^53 − 1 = 9007199254740991 (larger integers are not held exactly, so two \
             different ranks could tie)"
        )
    } else {
        format!("rank {r} is invalid; expected an integer ≥ 1 (1 = top)")
    }
}

/// Appends the order key of every row of a recommendations chunk to `order`: the rank (an
/// integer ≥ 1) when `by_rank`, else the negated score ([`InputTable::each_number`] has already
/// rejected a value that is not finite).
fn read_order_keys(
    t: &InputTable,
    c: &ColumnNames,
    by_rank: bool,
    order: &mut Vec<f64>,
) -> Result<()> {
    order.reserve(t.height());
    if by_rank {
        t.check_number_type(&c.rank, "integers ≥ 1 (1 = top)")?;
        t.each_number(&c.rank, |row, r| {
            let r = r.ok_or_else(|| {
                t.row_error(&c.rank, row, "empty rank; expected an integer ≥ 1".into())
            })?;
            if !is_rank(r) {
                return Err(t.row_error(&c.rank, row, rank_error_message(r)));
            }
            order.push(r);
            Ok(())
        })
    } else {
        t.each_number(&c.score, |row, s| {
            let s = s.ok_or_else(|| {
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
    path: &Path,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::test_files;
    use crate::input::{load, TablePaths};
    use polars::prelude::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

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
                let cfg = InputConfig::new(
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

    /// The error of loading the recommendations `recs` (users `a` and `b`, lists cut at 10).
    fn recs_error(recs: std::path::PathBuf, users: &std::path::Path) -> String {
        let cfg = InputConfig::new(
            TablePaths {
                recs,
                users: users.to_path_buf(),
                ..TablePaths::default()
            },
            10,
        );
        match load(&cfg) {
            Ok(_) => panic!("loaded"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn ranks_from_2_to_the_53_are_rejected_in_csv_and_parquet() {
        // 2^53 − 1 = 9007199254740991 is the largest rank a 64-bit float holds with every smaller
        // integer; 2^53 + 1 would read as 2^53, and 10^18 + 1 as 10^18 (the hostile case: two
        // ranks that tie after reading). Row 3 holds the first rank too large; the Parquet copy
        // stores the ranks as 64-bit integers.
        let dir = tempfile::tempdir().unwrap();
        let users = test_files::write(dir.path(), "users.csv", "user_id,g\na,1\nb,2\n");
        for (too_large, about) in [
            ("9007199254740992", "about 9.007199254740992e15"),
            ("9007199254740993", "about 9.007199254740992e15"),
            ("1000000000000000001", "about 1e18"),
        ] {
            let csv = test_files::write(
                dir.path(),
                "recs.csv",
                &format!("user_id,item_id,rank\na,x,1\na,y,9007199254740991\nb,x,{too_large}\n"),
            );
            let parquet = test_files::parquet_copy(&csv, 2);
            for recs in [csv, parquet] {
                let err = recs_error(recs.clone(), &users);
                assert!(
                    err.contains("row 3, column `rank`: the rank is too large")
                        && err.contains(about)
                        && err.contains("2^53 − 1 = 9007199254740991"),
                    "{recs:?}: {err}"
                );
            }
        }
        // `1e18` is a whole number, but too large; `1e1`, `11.0` and `+12` are 10, 11 and 12.
        let csv = test_files::write(
            dir.path(),
            "recs.csv",
            "user_id,item_id,rank\na,x,1\nb,x,1e18\n",
        );
        let err = recs_error(csv, &users);
        assert!(
            err.contains("row 2, column `rank`: the rank is too large (about 1e18)"),
            "{err}"
        );
        let recs = "user_id,item_id,rank\na,x,+12\na,y,11.0\na,z,1e1\na,w,9007199254740991\n";
        for (ds, _) in
            test_files::load_csv_and_parquet(&[("recs", recs), ("users", "user_id,g\na,1\n")])
        {
            assert_eq!(test_files::list_of(&ds, 0), ["z", "y"]);
        }
    }

    #[test]
    fn a_rank_or_score_column_of_booleans_or_dates_is_named_with_its_type() {
        // A boolean rank would read as 1 for every row (every list one tie, ordered by item id),
        // a date as its count of days.
        let dir = tempfile::tempdir().unwrap();
        let users = test_files::write(dir.path(), "users.csv", "user_id,g\na,1\nb,2\n");
        let (u, i) = (["a", "a", "b"], ["x", "y", "x"]);
        let mut bool_rank =
            df!("user_id" => u, "item_id" => i, "rank" => [true, true, false]).unwrap();
        let mut bool_score =
            df!("user_id" => u, "item_id" => i, "score" => [true, false, true]).unwrap();
        let mut date_rank = df!("user_id" => u, "item_id" => i, "rank" => [1i32, 2, 1]).unwrap();
        date_rank
            .apply("rank", |s| s.cast(&DataType::Date).unwrap())
            .unwrap();
        for (df, message) in [
            (
                &mut bool_rank,
                "column `rank` has the type boolean; expected integers ≥ 1 (1 = top)",
            ),
            (
                &mut bool_score,
                "column `score` has the type boolean; expected numbers",
            ),
            (
                &mut date_rank,
                "column `rank` has the type date; expected integers ≥ 1 (1 = top)",
            ),
        ] {
            let path = dir.path().join("recs.parquet");
            test_files::write_parquet(&path, df, 2);
            let err = recs_error(path, &users);
            assert!(err.ends_with(message), "{err}");
        }
    }

    #[test]
    fn a_binary_id_that_is_not_utf8_is_named_by_its_row() {
        // Binary ids are read as text when they are UTF-8; row 3's `\xFF` is not.
        let dir = tempfile::tempdir().unwrap();
        let users = test_files::write(dir.path(), "users.csv", "user_id,g\na,1\nb,2\n");
        let path = dir.path().join("recs.parquet");
        for (ids, error) in [
            ([&b"a"[..], b"a", b"b"], None),
            (
                [&b"a"[..], b"a", b"b\xFF"],
                Some(
                    "row 3, column `user_id`: the value is not UTF-8 text (byte 0xFF at its byte \
                     2)",
                ),
            ),
        ] {
            let mut df = DataFrame::new_infer_height(vec![
                Series::new("user_id".into(), ids).into(),
                Series::new("item_id".into(), ["x", "y", "x"]).into(),
                Series::new("rank".into(), [1i64, 2, 1]).into(),
            ])
            .unwrap();
            assert_eq!(df.column("user_id").unwrap().dtype(), &DataType::Binary);
            test_files::write_parquet(&path, &mut df, 2);
            let cfg = InputConfig::new(
                TablePaths {
                    recs: path.clone(),
                    users: users.clone(),
                    ..TablePaths::default()
                },
                10,
            );
            match (load(&cfg), error) {
                (Ok(_), None) => {}
                (Err(e), Some(error)) => assert!(e.to_string().contains(error), "{e}"),
                (got, _) => panic!("{:?}", got.map(|_| ())),
            }
        }
    }

    #[test]
    fn order_keys_from_the_pages_are_those_of_the_chunked_reading() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.parquet");
        let c = ColumnNames::default();
        let mut rng = ChaCha8Rng::seed_from_u64(17);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
        for case in 0..80 {
            let n = rng.gen_range(1..60);
            let by_rank = case % 2 == 0;
            let column = if by_rank { "rank" } else { "score" };
            // Ranks as 64-bit, 32-bit and floating-point integers; scores as floats (±0 among
            // them) and integers.
            let mut df = match (by_rank, case % 3) {
                (true, 0) => {
                    df!(column => (0..n).map(|_| rng.gen_range(1i64..30)).collect::<Vec<_>>())
                }
                (true, 1) => {
                    df!(column => (0..n).map(|_| rng.gen_range(1i32..30)).collect::<Vec<_>>())
                }
                (true, _) => {
                    df!(column => (0..n).map(|_| rng.gen_range(1..30) as f64).collect::<Vec<_>>())
                }
                (false, 0) => {
                    df!(column => (0..n).map(|_| rng.gen_range(-9i64..9)).collect::<Vec<_>>())
                }
                (false, _) => df!(column => (0..n)
                    .map(|_| match rng.gen_range(0..6) {
                        0 => 0.0,
                        1 => -0.0,
                        _ => rng.gen_range(-5.0..5.0),
                    })
                    .collect::<Vec<f64>>()),
            }
            .unwrap();
            test_files::write_parquet(&path, &mut df, rng.gen_range(1..9));
            let mut want = Vec::new();
            InputTable::read_chunks(&path, "recs", &[], &[column], CHUNK_ROWS, |t| {
                read_order_keys(t, &c, by_rank, &mut want)
            })
            .unwrap();
            let got = order_keys_of_row_groups(&path, column, by_rank, n).expect("the pages");
            assert_eq!(bits(&got), bits(&want), "case {case}");
            // Another row count than the ids': left to the chunked reading.
            assert_eq!(
                order_keys_of_row_groups(&path, column, by_rank, n + 1),
                None
            );
        }
        // No rows: left to the chunked reading, which names the empty table.
        let mut empty = df!("rank" => Vec::<i64>::new()).unwrap();
        test_files::write_parquet(&path, &mut empty, 2);
        assert_eq!(order_keys_of_row_groups(&path, "rank", true, 0), None);
        // A key the chunked reading rejects (with its row), or an empty value: left to it.
        let invalid = [
            ("rank", df!("rank" => [1i64, 2, 0, 3])),
            ("rank", df!("rank" => [1.0, 2.5, 3.0])),
            ("rank", df!("rank" => [Some(1i64), None, Some(2)])),
            ("score", df!("score" => [0.5, f64::NAN, 0.1])),
            ("score", df!("score" => [0.5, f64::INFINITY])),
        ];
        for (column, df) in invalid {
            let mut df = df.unwrap();
            test_files::write_parquet(&path, &mut df, 2);
            let n = df.height();
            assert_eq!(
                order_keys_of_row_groups(&path, column, column == "rank", n),
                None,
                "{df}"
            );
        }
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
        let cfg = InputConfig::new(
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
        let write = |name: &str, text: &str| test_files::write(dir.path(), name, text);
        let cfg = InputConfig::new(
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
}
