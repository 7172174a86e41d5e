//! Files and loads for the tests of the input modules: Parquet files and copies, CSV texts
//! written into a folder, and the same tables loaded from CSV and from Parquet.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::{load, InputConfig, InputSummary, TablePaths};
use crate::data::Dataset;

/// The item ids of user `u`'s main list in `ds`, in rank order.
pub fn list_of(ds: &Dataset, u: usize) -> Vec<&str> {
    ds.recs
        .row(u)
        .iter()
        .map(|&i| ds.items.ids[i as usize].as_str())
        .collect()
}

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

/// Writes `text` as the file `name` in `dir`; returns its path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Loads the tables `(name, csv text)` from CSV, and again from Parquet copies in row groups
/// of 3 rows (ids read through the dictionaries, numbers stored as integers), lists cut at 2.
pub fn load_csv_and_parquet(tables: &[(&str, &str)]) -> [(Dataset, InputSummary); 2] {
    let dir = tempfile::tempdir().unwrap();
    let mut loaded = Vec::new();
    for ext in ["csv", "parquet"] {
        let mut paths = TablePaths::default();
        for (name, text) in tables {
            let csv = write(dir.path(), &format!("{name}.csv"), text);
            let path = if ext == "csv" {
                csv
            } else {
                parquet_copy(&csv, 3)
            };
            paths.set(name, path);
        }
        loaded.push(load(&InputConfig::new(paths, 2)).unwrap());
    }
    loaded.try_into().unwrap()
}
