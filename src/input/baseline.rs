//! Reading a baseline run's recommendations (`--baseline-recs`): the same format, column names
//! and rules as the recommendations ([`read_lists`]), then each list set beside the audited user's
//! candidate list.
//!
//! The baseline's items are encoded apart and matched to the catalog by their id: an item of the
//! catalog keeps its code, an item found only in the baseline gets a code past the catalog (one
//! per item), so the two runs' lists compare by item id while the catalog, and every other metric,
//! stay those of the candidate run. Users are matched by id: an audited user without a baseline
//! list gets an empty row (their `rbo` is undefined), and a baseline user who is not audited is
//! counted and left out. When fewer than half of the audited users have a baseline list, the ids
//! probably do not join and the audit stops, as for the users table (`--allow-unmatched-ids`
//! audits anyway).

use std::path::Path;

use super::config::{InputConfig, InputSummary};
use super::join;
use super::recs::read_lists;
use super::vocab::Vocab;
use crate::data::{Csr, RecLists};
use crate::error::{Error, Result};

/// The name of the baseline's table in messages and in `input.rows_read`.
pub(super) const TABLE: &str = "baseline recommendations";

/// The baseline's lists, one row per audited user, and what the matching left out.
pub(super) struct BaselineLists {
    /// Per audited user (dense id), the baseline list in rank order, cut at k; empty when the
    /// user has none. Item codes are the catalog's, or past it for items only the baseline has.
    pub(super) lists: RecLists,
    /// Rows read from the file.
    pub(super) rows: usize,
    /// Audited users without a baseline list.
    pub(super) users_without_list: usize,
    /// Baseline users who are not audited.
    pub(super) users_not_audited: usize,
}

/// Reads the baseline's table at `path` with the recommendations' columns and cutoff (`cfg`), and
/// sets each list beside the audited user `users` holds, items coded by the catalog `items`.
pub(super) fn read_baseline(
    cfg: &InputConfig,
    path: &Path,
    users: &Vocab,
    items: &Vocab,
) -> Result<BaselineLists> {
    let mut own_items = Vocab::new();
    let mut scratch = InputSummary::default();
    let read = read_lists(cfg, path, TABLE, &mut own_items, &mut scratch)?;
    let rows = scratch.rows_read.get(TABLE).copied().unwrap_or(0);

    // The baseline's item codes in the catalog's coding.
    let mut next = items.len();
    let mut item_code = Vec::with_capacity(own_items.len());
    for i in 0..own_items.len() as u32 {
        let code = match items.get(own_items.id(i)) {
            Some(code) => code,
            None => {
                next += 1;
                u32::try_from(next - 1).map_err(|_| Error::BadTable {
                    path: path.to_path_buf(),
                    message: format!(
                        "the catalog and the {TABLE} hold more than {} distinct items together",
                        u32::MAX
                    ),
                })?
            }
        };
        item_code.push(code);
    }

    // The baseline user of each audited user.
    let mut of_user: Vec<Option<u32>> = vec![None; users.len()];
    let mut not_audited: Vec<&str> = Vec::new();
    let mut users_not_audited = 0;
    for b in 0..read.users.len() as u32 {
        match users.get(read.users.id(b)) {
            Some(u) => of_user[u as usize] = Some(b),
            None => {
                users_not_audited += 1;
                if not_audited.len() < join::TRIED {
                    not_audited.push(read.users.id(b));
                }
            }
        }
    }
    let users_without_list = of_user.iter().filter(|b| b.is_none()).count();
    if 2 * (users.len() - users_without_list) < users.len() && !cfg.allow_unmatched_ids {
        let unmatched_audited = (0..users.len() as u32)
            .filter(|&u| of_user[u as usize].is_none())
            .map(|u| users.id(u));
        return Err(Error::BadTable {
            path: path.to_path_buf(),
            message: join::message(
                users.len() - users_without_list,
                users.len(),
                &join::Side {
                    what: "users in the recommendations",
                    unmatched: users_without_list,
                    sample: unmatched_audited.take(join::TRIED).collect(),
                },
                &join::Side {
                    what: "user ids of the baseline",
                    unmatched: users_not_audited,
                    sample: not_audited,
                },
                join::masked,
            ),
        });
    }

    let mut offsets = Vec::with_capacity(users.len() + 1);
    offsets.push(0);
    let mut values = Vec::with_capacity(read.main.n_values());
    for b in &of_user {
        if let Some(b) = b {
            values.extend(
                read.main
                    .row(*b as usize)
                    .iter()
                    .map(|&i| item_code[i as usize]),
            );
        }
        offsets.push(values.len());
    }
    Ok(BaselineLists {
        lists: Csr::from_parts(offsets, values),
        rows,
        users_without_list,
        users_not_audited,
    })
}

#[cfg(test)]
mod tests {
    use crate::input::test_files;
    use crate::input::{load, InputConfig, TablePaths};

    #[test]
    fn lists_are_set_beside_the_audited_users_by_id() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| test_files::write(dir.path(), name, text);
        // Audited users a, b, c (in that order); the baseline has b, a and d (not audited), in
        // another order, with the item `new` that the candidate run never shows, and a list
        // longer than k = 2.
        let mut cfg = InputConfig::new(
            TablePaths {
                recs: write(
                    "recs.csv",
                    "user_id,item_id,rank\na,x,1\na,y,2\nb,z,1\nc,x,1\n",
                ),
                users: write("users.csv", "user_id,g\na,1\nb,2\nc,1\n"),
                baseline_recs: Some(write(
                    "base.csv",
                    "user_id,item_id,rank\nb,x,1\nd,x,1\na,y,1\na,new,2\na,z,3\nb,y,2\n",
                )),
                ..TablePaths::default()
            },
            2,
        );
        let (ds, summary) = load(&cfg).unwrap();
        // Catalog x, y, z (the candidate run's items); `new` is coded past it, as 3.
        assert_eq!(ds.items.n_items(), 3);
        let base = ds.baseline.as_ref().unwrap();
        assert_eq!(base.row(0), &[1, 3]); // a: y, new (z cut at k = 2)
        assert_eq!(base.row(1), &[0, 1]); // b: x, y
        assert!(base.row(2).is_empty()); // c: none
        assert_eq!(summary.users_without_baseline_list, Some(1));
        assert_eq!(summary.baseline_users_not_audited, Some(1));
        assert_eq!(summary.rows_read.get("baseline recommendations"), Some(&6));
        // The candidate run's summary is its own.
        assert_eq!(summary.recs_rows_beyond_k, 0);

        // Only c of a, b, c has a baseline list: the ids do not join.
        cfg.paths.baseline_recs = Some(write("base.csv", "user_id,item_id,rank\nc,x,1\n"));
        let err = load(&cfg).unwrap_err().to_string();
        assert!(
            err.contains("base.csv") && err.contains("only 1 of the 3 users"),
            "{err}"
        );
        cfg.allow_unmatched_ids = true;
        let (ds, _) = load(&cfg).unwrap();
        assert_eq!(ds.baseline.unwrap().row(2), &[0]);
    }
}
