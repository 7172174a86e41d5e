//! The main tables of an audit as CSV files, written beside the report in `tables/` for
//! spreadsheets and scripts:
//!
//! - `metrics_by_group.csv`: every per-user metric, overall and per published slice group, with
//!   its interval, the comparison with the column's reference group (ratio with interval,
//!   adjusted p-value, significance, four-fifths flag);
//! - `corpus_by_group.csv`: every corpus value (coverage, Gini, personalisation, the shares of
//!   item groups), overall and per published slice group;
//! - `exposure_shares.csv`: each item group's share of exposure with its interval, overall and per
//!   published slice group, beside its share of the catalog;
//! - `gates.csv`: every gate outcome, when a policy was judged.
//!
//! Numbers are written in full precision (the shortest text that reads back as the same `f64`, as
//! in `audit.json`), an undefined number as an empty cell. Labels from the data go through
//! [`csv_safe`](crate::text::csv_safe) so that a spreadsheet does not run them as formulas. Only
//! published groups are in the result, so only they appear; the overall rows have the column
//! `overall` and the group `all`.

mod rows;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::result::AuditResult;

/// The folder of the tables inside an output folder.
pub const TABLES_DIR: &str = "tables";

/// One table written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableFile {
    /// What the table holds, for a link text (`Metrics by group`).
    pub title: &'static str,
    /// Its path relative to the output folder (`tables/metrics_by_group.csv`), for a link.
    pub path: PathBuf,
}

/// A table: its file name, title, header and rows of cells.
struct Table {
    file: &'static str,
    title: &'static str,
    header: &'static [&'static str],
    rows: Vec<Vec<String>>,
}

/// The tables of `result` (with `gates.csv` only when gates were judged), in the order a page
/// lists them.
fn tables(result: &AuditResult) -> Vec<Table> {
    let mut out = vec![
        Table {
            file: "metrics_by_group.csv",
            title: "Metrics by group",
            header: rows::METRIC_HEADER,
            rows: rows::metrics_by_group(result),
        },
        Table {
            file: "corpus_by_group.csv",
            title: "Corpus values by group",
            header: rows::CORPUS_HEADER,
            rows: rows::corpus_by_group(result),
        },
        Table {
            file: "exposure_shares.csv",
            title: "Exposure shares",
            header: rows::EXPOSURE_HEADER,
            rows: rows::exposure_shares(result),
        },
    ];
    if let Some(gates) = &result.gates {
        out.push(Table {
            file: "gates.csv",
            title: "Gates",
            header: rows::GATE_HEADER,
            rows: rows::gates(gates),
        });
    }
    out
}

/// The tables [`write_tables`] writes for `result`, without writing them (for links to them).
pub fn table_files(result: &AuditResult) -> Vec<TableFile> {
    tables(result)
        .into_iter()
        .map(|t| TableFile {
            title: t.title,
            path: Path::new(TABLES_DIR).join(t.file),
        })
        .collect()
}

/// Writes the tables of `result` into `out_dir/tables/` and returns them, paths relative to
/// `out_dir`.
pub fn write_tables(result: &AuditResult, out_dir: &Path) -> Result<Vec<TableFile>> {
    let dir = out_dir.join(TABLES_DIR);
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("{}: cannot create the folder", dir.display()))?;
    let mut written = Vec::new();
    for table in tables(result) {
        let path = dir.join(table.file);
        write_csv(&path, &table)?;
        written.push(TableFile {
            title: table.title,
            path: Path::new(TABLES_DIR).join(table.file),
        });
    }
    Ok(written)
}

fn write_csv(path: &Path, table: &Table) -> Result<()> {
    let fail = || format!("{}: cannot write", path.display());
    let mut w = csv::Writer::from_path(path).with_context(fail)?;
    w.write_record(table.header).with_context(fail)?;
    for row in &table.rows {
        w.write_record(row).with_context(fail)?;
    }
    w.flush().with_context(fail)
}

#[cfg(test)]
mod tests;
