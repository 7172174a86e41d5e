//! Reading the truth table: the relevant items of each audited user, one row per (user, item)
//! with its highest relevance; rows of users without recommendations are counted and dropped.

use std::path::Path;

use rayon::prelude::*;

use super::config::{ColumnNames, InputSummary};
use super::table::{self, InputTable, CHUNK_ROWS};
use super::values::finite_or_reason;
use super::vocab::{lookup_column, Vocab, UNKNOWN};
use super::{parquet_ids, parquet_numbers};
use crate::data::{Csr, Relevant};
use crate::error::{Error, Result};

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
        match kept_relevance(u, relevance)? {
            None => self.unaudited += 1,
            Some(relevance) => {
                self.owner.push(u);
                self.relevant.push(Relevant {
                    item: item(),
                    relevance,
                });
            }
        }
        Ok(())
    }

    /// The rows grouped by user (a counting sort, each user's rows in the order read), and the
    /// count of rows of users not audited.
    fn by_user(self, n_users: usize) -> (Csr<Relevant>, usize) {
        let by_user = Csr::from_pairs(n_users, &self.owner, self.relevant);
        (by_user, self.unaudited)
    }
}

/// The relevance of a row of user `u` when it is kept (`None` when `u` is [`UNKNOWN`], not
/// audited); the message of the error when the relevance is not finite (in any row, as the
/// reading of a CSV file checks every number) or, in a kept row, negative.
fn kept_relevance(u: u32, relevance: f64) -> std::result::Result<Option<f64>, String> {
    let relevance = finite_or_reason(relevance, None)?;
    if u == UNKNOWN {
        return Ok(None);
    }
    if relevance < 0.0 {
        return Err(format!(
            "relevance {relevance} is negative; expected a number ≥ 0"
        ));
    }
    Ok(Some(relevance))
}

/// The truth rows of audited users placed straight into their users' runs as they are read:
/// when every row's user is known before the relevance is read (the Parquet path), each user's
/// count gives the runs' places, so the rows need not be held in file order and then sorted.
/// Each user's rows keep the order read, as [`TruthRows::by_user`] gives them.
struct PlacedTruthRows {
    offsets: Vec<usize>,
    values: Vec<Relevant>,
    /// Where the next row of each user goes in `values`.
    next: Vec<usize>,
    unaudited: usize,
}

impl PlacedTruthRows {
    /// Room for the rows of `n_users` users, the rows' users being `users` ([`UNKNOWN`] for a
    /// user not audited).
    fn new(n_users: usize, users: &[u32]) -> Self {
        let mut offsets = vec![0usize; n_users + 1];
        for &u in users.iter().filter(|&&u| u != UNKNOWN) {
            offsets[u as usize + 1] += 1;
        }
        for i in 0..n_users {
            offsets[i + 1] += offsets[i];
        }
        let next = offsets[..n_users].to_vec();
        let values = vec![Relevant::default(); offsets[n_users]];
        PlacedTruthRows {
            offsets,
            values,
            next,
            unaudited: 0,
        }
    }

    /// [`TruthRows::keep`] of a row of user `u` (one of the users given to [`Self::new`], in the
    /// order they were given) with its item.
    fn keep(&mut self, u: u32, relevance: f64, item: u32) -> std::result::Result<(), String> {
        match kept_relevance(u, relevance)? {
            None => self.unaudited += 1,
            Some(relevance) => {
                let at = &mut self.next[u as usize];
                self.values[*at] = Relevant { item, relevance };
                *at += 1;
            }
        }
        Ok(())
    }

    /// Prefetches, in two stages, the places of the rows after `users[0]` (the users of the rows
    /// from the one about to be kept on): the next free place of the user 16 rows on, the row's
    /// slot at that place for the user 8 rows on. The users are in file order and their places
    /// scattered over the whole table; each keep would otherwise wait on memory twice.
    #[inline]
    fn prefetch_for(&self, users: &[u32]) {
        if let Some(next) = users.get(16).and_then(|&u| self.next.get(u as usize)) {
            crate::data::prefetch(next);
        }
        let slot = users.get(8).and_then(|&u| self.next.get(u as usize));
        if let Some(value) = slot.and_then(|&at| self.values.get(at)) {
            crate::data::prefetch(value);
        }
    }

    /// The rows grouped by user and the count of rows of users not audited, once every row
    /// given to [`Self::new`] has been kept.
    fn by_user(self) -> (Csr<Relevant>, usize) {
        debug_assert!(
            (0..self.next.len()).all(|u| self.next[u] == self.offsets[u + 1]),
            "every row placed"
        );
        (Csr::from_parts(self.offsets, self.values), self.unaudited)
    }
}

/// Reads the truth table for the audited users `audited`, adding the items new to the catalog
/// (of audited users only) to `items`: each user's relevant items by item code.
pub(super) fn read_truth(
    path: &Path,
    c: &ColumnNames,
    audited: &Vocab,
    items: &mut Vocab,
    summary: &mut InputSummary,
) -> Result<Csr<Relevant>> {
    // Keeps the rows `first..` of audited users (`user_codes` and `item_codes` from row `first`
    // on), with the relevance of `t` when it has the column (an empty relevance counts as 1);
    // `item_of(file row, code)` resolves an item that is not yet in the catalog.
    let keep_rows = |kept: &mut TruthRows,
                     t: Option<&InputTable>,
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
    // The rows placed by user as they are read, on the Parquet path with a relevance column.
    let mut placed: Option<PlacedTruthRows> = None;
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
                let mut rows = PlacedTruthRows::new(audited.len(), &users);
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
                            rows.prefetch_for(&users[row..]);
                            if let Err(message) = rows.keep(users[row], x, item_codes[row]) {
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
                    placed = Some(rows);
                    n
                } else {
                    // Start over through polars.
                    drop(rows);
                    let rows = InputTable::read_chunks(
                        path,
                        "truth",
                        &[],
                        &[&c.relevance],
                        CHUNK_ROWS,
                        |t| {
                            let rows = t.row_offset..(t.row_offset + t.height()).min(users.len());
                            keep_rows(
                                &mut kept,
                                Some(t),
                                rows.start,
                                &users[rows.clone()],
                                &item_codes[rows],
                                &mut |_, i| i,
                            )
                        },
                    )?;
                    table::same_rows(path, "truth", rows, users.len())?
                }
            } else {
                keep_rows(&mut kept, None, 0, &users, &item_codes, &mut |_, i| i)?;
                users.len()
            }
        }
        None => {
            InputTable::read_chunks(path, "truth", &c.ids(), &[&c.relevance], CHUNK_ROWS, |t| {
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
            })?
        }
    };
    summary.rows_read.insert("truth".into(), n);
    // Group by user (a counting sort, unless placed so as read), then per user by item, the
    // highest relevance first, and keep one row per item.
    let (mut by_user, unaudited) = match placed {
        Some(placed) => placed.by_user(),
        None => kept.by_user(audited.len()),
    };
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

/// Name of the truth table's optional column of observation propensities (docs/inputs.md).
pub const PROPENSITY_COLUMN: &str = "propensity";

/// The `propensity` column of the truth table, when it has one: the propensity of every row of
/// `truth` (in the order of its values), each the probability that the (user, item) interaction
/// was observed. Every row of an audited user must hold a finite number in (0, 1]; of duplicate
/// rows of one (user, item), the smallest propensity is kept (the largest weight). The error
/// names the file, the row and the column.
pub(super) fn read_truth_propensity(
    path: &Path,
    c: &ColumnNames,
    audited: &Vocab,
    items: &Vocab,
    truth: &Csr<Relevant>,
) -> Result<Option<Vec<f64>>> {
    if !table::column_names(path, "truth")?
        .iter()
        .any(|n| n == PROPENSITY_COLUMN)
    {
        return Ok(None);
    }
    let offsets = truth.offsets();
    let mut propensity = vec![f64::INFINITY; truth.n_values()];
    InputTable::read_chunks(
        path,
        "truth",
        &c.ids(),
        &[PROPENSITY_COLUMN],
        CHUNK_ROWS,
        |t| {
            let users = t.ids(&c.user)?;
            let ids = t.ids(&c.item)?;
            let (mut user_codes, mut item_codes) = (Vec::new(), Vec::new());
            lookup_column(audited, &users, true, &mut user_codes);
            lookup_column(items, &ids, false, &mut item_codes);
            let expected = "expected a propensity in (0, 1] (the probability that the interaction was observed)";
            t.each_number(PROPENSITY_COLUMN, |row, x| {
                let u = user_codes[row];
                if u == UNKNOWN {
                    return Ok(());
                }
                let p = match x {
                    Some(p) if p > 0.0 && p <= 1.0 => p,
                    Some(p) => {
                        return Err(t.row_error(
                            PROPENSITY_COLUMN,
                            row,
                            format!("propensity {p} is out of range; {expected}"),
                        ))
                    }
                    None => {
                        return Err(t.row_error(
                            PROPENSITY_COLUMN,
                            row,
                            format!("the propensity is empty; {expected}"),
                        ))
                    }
                };
                let (start, end) = (offsets[u as usize], offsets[u as usize + 1]);
                let at = truth.values()[start..end]
                    .binary_search_by_key(&item_codes[row], |r| r.item)
                    .expect("every truth row of an audited user is kept");
                let slot = &mut propensity[start + at];
                *slot = slot.min(p);
                Ok(())
            })
        },
    )?;
    Ok(Some(propensity))
}

#[cfg(test)]
mod tests {
    use crate::input::test_files::{self, load_csv_and_parquet};
    use crate::input::{load, InputConfig, TablePaths};

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
    fn rows_of_interleaved_users_are_grouped_alike_with_and_without_relevance() {
        // Users interleaved, a user without recommendations, an item new to the catalog: the
        // Parquet reading (ids through the dictionaries) gives what the CSV reading gives.
        let recs = "user_id,item_id,rank
a,x,1
b,y,1
c,z,1
";
        let users = "user_id,g
a,1
b,2
c,1
";
        let with = "user_id,item_id,relevance
c,y,2
a,x,1
q,x,1
b,new,3
c,x,1
a,z,0.5
b,y,1
";
        let without = "user_id,item_id
c,y
a,x
q,x
b,new
c,x
a,z
b,y
";
        for (truth, graded) in [(with, true), (without, false)] {
            let [csv, parquet] =
                load_csv_and_parquet(&[("recs", recs), ("users", users), ("truth", truth)]);
            assert_eq!(csv.0, parquet.0);
            assert_eq!(csv.1, parquet.1);
            assert_eq!(parquet.1.truth_rows_unaudited_users, 1);
            let ds = &parquet.0;
            let t = ds.truth.as_ref().unwrap();
            let dense = |id: &str| {
                let key = crate::data::id_key(id);
                ds.user_keys.iter().position(|&k| k == key).unwrap()
            };
            let row = |id: &str| -> Vec<(&str, f64)> {
                t.row(dense(id))
                    .iter()
                    .map(|r| (ds.items.ids[r.item as usize].as_str(), r.relevance))
                    .collect()
            };
            let g = |x: f64| if graded { x } else { 1.0 };
            // Items x, y, z are codes 0, 1, 2 (the recommendations'), `new` is 3.
            assert_eq!(row("a"), [("x", g(1.0)), ("z", g(0.5))]);
            assert_eq!(row("b"), [("y", g(1.0)), ("new", g(3.0))]);
            assert_eq!(row("c"), [("x", g(1.0)), ("y", g(2.0))]);
        }
    }

    #[test]
    fn a_negative_relevance_is_named_by_its_row_in_csv_and_parquet() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| test_files::write(dir.path(), name, text);
        let truth_csv = write(
            "truth.csv",
            "user_id,item_id,relevance\na,x,1\nb,y,2\nzz,x,-5\na,y,-1\nb,x,1\n",
        );
        let truth_parquet = test_files::parquet_copy(&truth_csv, 2);
        for truth in [truth_csv, truth_parquet] {
            let cfg = InputConfig::new(
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
    fn propensities_are_read_and_checked_in_csv_and_parquet() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| test_files::write(dir.path(), name, text);
        let recs = write("recs.csv", "user_id,item_id,rank\na,x,1\nb,y,1\n");
        let users = write("users.csv", "user_id,g\na,1\nb,2\n");
        let load_with = |truth: std::path::PathBuf| {
            let cfg = InputConfig::new(
                TablePaths {
                    recs: recs.clone(),
                    users: users.clone(),
                    truth: Some(truth),
                    ..TablePaths::default()
                },
                10,
            );
            load(&cfg)
        };
        // a: y (0.5), x (0.2, and a duplicate row with 0.1: the smallest is kept); b: x (1).
        // Row 4 belongs to a user without recommendations: not checked.
        let good = write(
            "good.csv",
            "user_id,item_id,relevance,propensity\na,y,1,0.5\na,x,1,0.2\nb,x,2,1\nzz,x,1,7\na,x,1,0.1\n",
        );
        for truth in [good.clone(), test_files::parquet_copy(&good, 2)] {
            let (ds, _) = load_with(truth.clone()).unwrap();
            let t = ds.truth.as_ref().unwrap();
            let p = ds.truth_propensity.as_ref().unwrap();
            let by_item: Vec<(String, f64)> = t
                .values()
                .iter()
                .zip(p)
                .map(|(r, &p)| (ds.items.ids[r.item as usize].clone(), p))
                .collect();
            // Truth rows by user (a, then b), each by item code (x = 0, y = 1).
            assert_eq!(
                by_item,
                [("x".into(), 0.1), ("y".into(), 0.5), ("x".into(), 1.0)],
                "{truth:?}"
            );
        }
        let bad = write(
            "bad.csv",
            "user_id,item_id,propensity\na,y,0.5\nb,x,0.3\na,x,1.25\n",
        );
        for truth in [bad.clone(), test_files::parquet_copy(&bad, 2)] {
            let err = load_with(truth.clone()).unwrap_err().to_string();
            assert!(
                err.contains("row 3")
                    && err.contains("`propensity`")
                    && err.contains(
                        "propensity 1.25 is out of range; expected a propensity in (0, 1]"
                    ),
                "{truth:?}: {err}"
            );
        }
        // Without the column: no propensities.
        let plain = write("plain.csv", "user_id,item_id\na,y\n");
        assert!(load_with(plain).unwrap().0.truth_propensity.is_none());
    }
}
