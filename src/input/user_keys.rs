//! Which users a table holds rows of, without reading anything else: the keys of its user ids
//! (a partitioned folder's check that every user's rows are in one partition,
//! `partial::read::global`).

use std::path::Path;

use rayon::prelude::*;

use crate::data::id_key;
use crate::error::Result;

use super::table::{InputTable, CHUNK_ROWS};
use super::ColumnNames;

/// The distinct keys ([`id_key`]) of the ids in the user column (`columns.user`) of the table at
/// `path` (`table` names it in messages), ascending. An empty id is an error naming its row, as
/// in the loader.
pub fn user_keys_of_table(
    path: &Path,
    table: &'static str,
    columns: &ColumnNames,
) -> Result<Vec<u64>> {
    let mut keys: Vec<u64> = Vec::new();
    InputTable::read_chunks(path, table, &[columns.user_id()], &[], CHUNK_ROWS, |t| {
        let ids = t.ids(&columns.user)?;
        keys.extend(ids.iter().flatten().map(id_key));
        Ok(())
    })?;
    keys.par_sort_unstable();
    keys.dedup();
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_user_once_in_key_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("truth.csv");
        std::fs::write(&path, "item_id,user_id\na,u2\nb,u1\nc,u2\n").unwrap();
        let mut expected = vec![id_key("u1"), id_key("u2")];
        expected.sort_unstable();
        let columns = ColumnNames::default();
        assert_eq!(
            user_keys_of_table(&path, "truth", &columns).unwrap(),
            expected
        );
        let renamed = ColumnNames {
            user: "uid".into(),
            ..ColumnNames::default()
        };
        let err = user_keys_of_table(&path, "truth", &renamed).unwrap_err();
        assert!(err.to_string().contains("uid"), "{err}");
        std::fs::write(&path, "item_id,user_id\na,u2\nd,\n").unwrap();
        let err = user_keys_of_table(&path, "truth", &columns).unwrap_err();
        assert!(err.to_string().contains("row 2"), "{err}");
    }
}
