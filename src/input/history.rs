//! Reading the history table: each user's past items, oldest first, and per item its interaction
//! and distinct-user counts over every history user (audited or not).

use std::path::Path;

use rayon::prelude::*;

use super::config::{ColumnNames, InputSummary};
use super::labels::LabelColumn;
use super::table::{self, InputTable, CHUNK_ROWS};
use super::vocab::{encode_column, lookup_column, Vocab, UNKNOWN};
use super::{parquet_ids, parquet_numbers};
use crate::data::{Csr, History};
use crate::error::Result;

/// History rows grouped by user, before the catalog size is known.
pub(super) struct HistoryRows {
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
    pub(super) fn finish(self, n_items: usize) -> History {
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
    Text(Box<LabelColumn>),
}

impl Timestamps {
    fn from_first_chunk(t: &InputTable, column: &str) -> Self {
        if !t.has(column) {
            Timestamps::None
        } else if t.holds_numbers(column).unwrap_or(false) {
            Timestamps::Numeric(Vec::new())
        } else {
            Timestamps::Text(Box::new(LabelColumn::timestamps()))
        }
    }

    fn push_chunk(&mut self, t: &InputTable, column: &str) -> Result<()> {
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
pub(super) fn read_history(
    path: &Path,
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
    // The rows grouped by user, sorted while the time order was checked (`rows_in_time_order`).
    let mut sorted_early: Option<Csr<u32>> = None;
    let mut first = true;
    let mut is_text = false;
    // Whether the rows of each user come oldest first so far, given a chunk's rows and their
    // user codes (`n_users` codes in all so far).
    let mut check_order = |t: &InputTable, users: &[u32], n_users: usize| -> Result<()> {
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
                || item = item_ids.encode(items),
            );
            let n_users = n_audited + others.len();
            if user.is_empty() {
                return Err(table::empty(path, "history"));
            }
            if table::column_names(path, "history")?.contains(&c.timestamp) {
                // The counting sort by user does not depend on the time order: it runs while
                // the timestamps are checked (whose last row group leaves a core idle), and is
                // kept when the rows turn out to be in order.
                let (order, by_user) = rayon::join(
                    || rows_in_time_order(path, &c.timestamp, &user, n_users),
                    || Csr::from_pairs_of(n_users, &user, &item),
                );
                fast_order = order;
                sorted_early = Some(by_user);
                if fast_order.is_none() {
                    let rows = InputTable::read_chunks(
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
                    table::same_rows(path, "history", rows, user.len())?;
                }
            }
            user.len()
        }
        None => InputTable::read_chunks(
            path,
            "history",
            &c.ids(),
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
    if !in_order {
        // Sorted by time below instead.
        sorted_early = None;
    }
    let time = if in_order {
        None
    } else {
        // Second pass: the timestamp column alone.
        let mut time = Timestamps::None;
        let mut first = true;
        InputTable::read_chunks(path, "history", &[], &[&c.timestamp], CHUNK_ROWS, |t| {
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
        None => match sorted_early.take() {
            Some(by_user) => {
                drop(std::mem::take(&mut item));
                by_user
            }
            None => Csr::from_pairs(n_all, &user, std::mem::take(&mut item)),
        },
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
fn rows_in_time_order(path: &Path, column: &str, users: &[u32], n_users: usize) -> Option<bool> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Dataset;
    use crate::input::test_files;
    use crate::input::{load, InputConfig, InputSummary, TablePaths};
    use polars::prelude::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

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

    fn load_history(history: &str) -> (Dataset, InputSummary) {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| test_files::write(dir.path(), name, text);
        let cfg = InputConfig::new(
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
        // A missing date is the oldest, as a missing number is; ties keep the file order.
        let (ds, _) = load_history(
            "user_id,item_id,timestamp\na,x,2024-03-01\na,y,\na,w,2024-03-01\na,z,2023-12-31\n\
             b,z,\n",
        );
        assert_eq!(items_of(&ds, 0), ["y", "z", "x", "w"]);
        assert_eq!(items_of(&ds, 1), ["z"]);
        let (ds, _) = load_history("user_id,item_id\na,y\nb,z\na,x\n");
        assert_eq!(items_of(&ds, 0), ["y", "x"]);
        assert_eq!(items_of(&ds, 1), ["z"]);
    }
}
