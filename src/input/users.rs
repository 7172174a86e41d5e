//! Reading the users table: each audited user's group in every slice column (numeric columns
//! named by a bucketing turned into bands), with the users who have no row or no consent kept out
//! of every slice.

use super::config::{InputConfig, InputSummary};
use super::join;
use super::parquet_ids::{self, DictColumn};
use super::table::{self, InputTable, Wanted};
use super::vocab::{lookup_column, Vocab, UNKNOWN};
use crate::data::Categorical;
use crate::error::{Error, Result};

/// The slice columns of the users table, and what its reading counted for the [`InputSummary`].
pub(super) struct UsersRead {
    slices: Vec<Categorical>,
    rows: usize,
    slice_columns: Vec<String>,
    without_recommendations: usize,
    missing: usize,
    without_consent: usize,
}

impl UsersRead {
    /// Puts the counts into `summary`; returns the slice columns.
    pub(super) fn record(self, summary: &mut InputSummary) -> Vec<Categorical> {
        summary.rows_read.insert("users".into(), self.rows);
        summary.slice_columns = self.slice_columns;
        summary.users_without_recommendations = self.without_recommendations;
        summary.users_missing_from_users_table = Some(self.missing);
        summary.users_without_consent = Some(self.without_consent);
        self.slices
    }
}

/// Reads the users table for the audited users `audited`: their slice columns, and what the
/// reading counted.
pub(super) fn read_users(cfg: &InputConfig, audited: &Vocab) -> Result<UsersRead> {
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
    let mut required = vec![c.user_id()];
    if dict_slices.is_none() {
        for s in &slice_cols {
            required.push(Wanted {
                name: s,
                purpose: "slice column named by --slices",
            });
        }
    }
    let t = InputTable::read(path, "users", &required, &[&c.consent])?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::test_files::{self, load_csv_and_parquet};

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
        // Users are numbered by key: each user's dense id is the rank of its key.
        let keys = &parquet.0.user_keys;
        assert!(keys.is_sorted());
        let dense = |id: &str| {
            let key = crate::data::id_key(id);
            keys.iter()
                .position(|&k| k == key)
                .expect("an audited user")
        };
        for (id, g, r) in [
            ("a", 0, 0),
            ("b", 1, 1),
            ("c", 0, m),
            ("d", m, m),
            ("e", 0, 0),
            ("f", m, m),
        ] {
            let u = dense(id);
            assert_eq!((gender.codes[u], region.codes[u]), (g, r), "user {id}");
        }

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
}
