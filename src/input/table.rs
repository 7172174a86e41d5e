//! Reading one input table (CSV or Parquet, by extension) with polars, selecting only the columns
//! recaudit needs, whole or in chunks of rows, with errors that name the file; the typed access
//! to its columns is in `values`.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::{csv_check, files};
use crate::error::{shown, Error, Result};

/// File format, taken from the extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header line.
    Csv,
    /// Apache Parquet.
    Parquet,
    /// A frame held in memory under the path ([`memory`](super::memory)).
    Memory,
}

impl Format {
    /// The format of `path`: [`Format::Memory`] when a frame is registered under it, else from
    /// its extension (`.csv`, `.parquet`, `.pq`).
    pub fn of(path: &Path) -> Result<Format> {
        if super::memory::holds(path) {
            return Ok(Format::Memory);
        }
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .as_deref()
        {
            Some("csv") => Ok(Format::Csv),
            Some("parquet") | Some("pq") => Ok(Format::Parquet),
            _ => Err(Error::UnsupportedFormat {
                path: path.to_path_buf(),
            }),
        }
    }
}

/// A column recaudit asks for: its name in the file and what it is for (used in error messages).
#[derive(Debug, Clone)]
pub struct Wanted<'a> {
    /// Column name in the file.
    pub name: &'a str,
    /// What it is for, and the flag that renames it (e.g. "user id; rename with --user-col").
    pub purpose: &'a str,
}

/// One input table as read: only the selected columns (of the whole file, or of a chunk of its
/// rows), in memory.
pub struct InputTable {
    /// The file it came from.
    pub path: PathBuf,
    /// Which input table (for messages).
    pub table: &'static str,
    /// The data.
    pub frame: DataFrame,
    /// Rows of the file before this frame (non-zero for the chunks of
    /// [`InputTable::read_chunks`]), so that errors name the row of the file.
    pub row_offset: usize,
}

/// An error reading the file at `path` (the `table` table), with the reader's message.
pub(super) fn read_error(path: &Path, table: &'static str, e: impl std::fmt::Display) -> Error {
    Error::Read {
        path: path.to_path_buf(),
        table,
        message: e.to_string(),
    }
}

/// The first line of a reader's message, as messages show it.
fn first_line(message: &str) -> String {
    shown(message.lines().next().unwrap_or_default())
}

/// The error of a read that failed inside polars (its message, or the message of its panic when
/// `panicked`), reworded to name what is wrong: for a CSV file the first malformed row, found by
/// reading the file again, with its column; for a Parquet file, that it is damaged.
fn reading_failed(path: &Path, table: &'static str, message: &str, panicked: bool) -> Error {
    // A panic's message is about polars' internals (an assertion, a join of its threads): it
    // is left out.
    let stopped = if panicked {
        "its reader failed on it".to_string()
    } else {
        first_line(message)
    };
    match Format::of(path) {
        Ok(Format::Csv) => match csv_check::first_problem_in(path) {
            Some(p) => csv_problem_error(path, p),
            None => read_error(path, table, stopped),
        },
        Ok(Format::Memory) => read_error(path, table, stopped),
        _ => match super::parquet_ids::unreadable_column(path) {
            Some((column, type_name)) => Error::BadTable {
                path: path.to_path_buf(),
                message: format!(
                    "column `{}` has the type {type_name}, which recaudit cannot read; store it \
                     as integers or floating-point numbers (or as text for ids and labels)",
                    shown(&column)
                ),
            },
            None => read_error(
                path,
                table,
                format!(
                    "the file is damaged or is not a Parquet file recaudit can read ({stopped})"
                ),
            ),
        },
    }
}

/// The error of the malformed row `p` of the CSV file at `path` ([`csv_check::first_problem`]),
/// naming its row and, when one value is at fault, its column.
pub(crate) fn csv_problem_error(path: &Path, p: csv_check::Problem) -> Error {
    match p.column {
        Some(column) => Error::BadValue {
            path: path.to_path_buf(),
            column,
            row: p.row,
            message: p.message,
        },
        None if p.row == 0 => Error::BadTable {
            path: path.to_path_buf(),
            message: p.message,
        },
        None => Error::BadTable {
            path: path.to_path_buf(),
            message: format!("row {}: {}", p.row, p.message),
        },
    }
}

/// Errors when a row of the CSV file at `path` does not have as many values as the header has
/// columns, or is blank ([`csv_check::first_uneven_row_in`]): polars does not check the rows when
/// it reads only some of the columns. The message is [`csv_check::first_problem`]'s, which names
/// what is wrong (the same row, or a malformed row before it).
fn check_csv_rows(path: &Path) -> Result<()> {
    let Some(row) = csv_check::first_uneven_row_in(path) else {
        return Ok(());
    };
    Err(match csv_check::first_problem_in(path) {
        Some(p) => csv_problem_error(path, p),
        None => Error::BadTable {
            path: path.to_path_buf(),
            message: format!(
                "row {row}: the row does not have as many values as the header has columns"
            ),
        },
    })
}

/// Runs `read`, a call into polars that reads the file at `path`, turning its error or its panic
/// into an error that names the file ([`reading_failed`]).
fn polars_read<T>(
    path: &Path,
    table: &'static str,
    read: impl FnOnce() -> PolarsResult<T>,
) -> Result<T> {
    match files::guarded(read) {
        Ok(Ok(t)) => Ok(t),
        Ok(Err(e)) => Err(reading_failed(path, table, &e.to_string(), false)),
        Err(panic) => Err(reading_failed(path, table, &panic, true)),
    }
}

/// The error of a table without rows.
pub(super) fn empty(path: &Path, table: &'static str) -> Error {
    Error::BadTable {
        path: path.to_path_buf(),
        message: format!("the {table} table has no rows"),
    }
}

/// `rows` (read by polars) when it equals `dict_rows` (read through the dictionaries).
pub(super) fn same_rows(
    path: &Path,
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

/// Rows read per chunk of a Parquet table (the text of one chunk's ids is dropped before the next
/// is read; the encoded rows take 20 bytes each). polars decodes a chunk's row groups in
/// parallel, so a chunk should span several: measured at 10M rows (history in row groups of 4M),
/// 8M-row chunks read in 3.7–4.4 s against 4.1–4.8 s for 4M, for 200 MB more memory; the 100M
/// peak did not change (4.8 GB).
pub(super) const CHUNK_ROWS: usize = 8_000_000;

/// The columns to read: `required` (an error names a missing one and lists the file's columns)
/// and those of `optional` that exist. Nothing else is read: the tool reads only what it needs.
fn select_columns(
    path: &Path,
    table: &'static str,
    required: &[Wanted<'_>],
    optional: &[&str],
) -> Result<Vec<String>> {
    let available = column_names(path, table)?;
    for w in required {
        if !available.iter().any(|c| c == w.name) {
            return Err(Error::MissingColumn {
                path: path.to_path_buf(),
                table,
                column: w.name.to_string(),
                purpose: w.purpose.to_string(),
                available: available.join(", "),
            });
        }
    }
    let mut selected: Vec<String> = required.iter().map(|w| w.name.to_string()).collect();
    for o in optional {
        if available.iter().any(|c| c == o) && !selected.iter().any(|s| s == o) {
            selected.push(o.to_string());
        }
    }
    Ok(selected)
}

/// The column names of a file, without reading its rows.
pub fn column_names(path: &Path, table: &'static str) -> Result<Vec<String>> {
    let mut lf = scan(path, table)?;
    let schema = polars_read(path, table, || lf.collect_schema())?;
    let names: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
    if Format::of(path)? == Format::Csv {
        check_csv_header(path, &names)?;
    }
    Ok(names)
}

/// Errors when a CSV header is not UTF-8 (polars reads it with replacement characters; checked
/// first, since a file in another encoding may hold any byte), holds a line break that is a lone
/// `\r` (a file with CR-only line endings, which polars reads as one long header line), or names
/// a column twice (polars renames the second `name_duplicated_0`, and which one a flag meant is
/// then unknown).
fn check_csv_header(path: &Path, names: &[String]) -> Result<()> {
    if names.iter().any(|n| n.contains('\u{FFFD}')) {
        if let Some(p) = csv_check::first_problem_in(path).filter(|p| p.row == 0) {
            return Err(Error::BadTable {
                path: path.to_path_buf(),
                message: p.message,
            });
        }
    }
    // A `\r` at the very end is part of a CRLF line ending, which polars leaves on an empty
    // header line's last name; only one inside a name means a line break.
    if names
        .iter()
        .any(|n| n.trim_end_matches('\r').contains('\r'))
    {
        return Err(Error::BadTable {
            path: path.to_path_buf(),
            message: "the header holds a line break that is a lone carriage return (`\\r`): the \
                      file seems to use CR-only (old Mac) line endings; save it with LF or CRLF \
                      line endings"
                .into(),
        });
    }
    for name in names {
        let Some((first, n)) = name.rsplit_once("_duplicated_") else {
            continue;
        };
        if n.parse::<usize>().is_ok() && names.iter().any(|m| m == first) {
            return Err(Error::BadTable {
                path: path.to_path_buf(),
                message: format!(
                    "the header names the column `{}` more than once; column names must be unique",
                    shown(first)
                ),
            });
        }
    }
    Ok(())
}

/// A lazy scan of the file at `path`, once it is known to be a regular, non-empty file of a
/// known format (and, for Parquet, one whose footer is plausible).
fn scan(path: &Path, table: &'static str) -> Result<LazyFrame> {
    if let Some(frame) = super::memory::frame(path) {
        return Ok(frame.lazy());
    }
    let len = files::check_file(path, table)?;
    let format = Format::of(path)?;
    if format == Format::Parquet {
        files::check_parquet_footer(path, table, len)?;
    }
    let pl_path = PlRefPath::new(path.to_string_lossy().as_ref());
    polars_read(path, table, || match format {
        // Every CSV column is read as text and converted by recaudit, so that a bad value is
        // reported with its row instead of failing the whole parse.
        Format::Csv => LazyCsvReader::new(pl_path)
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .finish(),
        Format::Parquet => LazyFrame::scan_parquet(pl_path, ScanArgsParquet::default()),
        Format::Memory => unreachable!("a frame in memory is scanned above"),
    })
}

impl InputTable {
    /// Reads `required` and those of `optional` that exist (and nothing else: the tool reads only
    /// the columns it needs). Errors when a required column is missing or the table is empty.
    pub fn read(
        path: &Path,
        table: &'static str,
        required: &[Wanted<'_>],
        optional: &[&str],
    ) -> Result<InputTable> {
        let selected = select_columns(path, table, required, optional)?;
        let lf =
            scan(path, table)?.select(selected.iter().map(|c| col(c.as_str())).collect::<Vec<_>>());
        let frame = if Format::of(path)? == Format::Csv {
            // The rows' lengths are checked here, on another core while polars parses the file.
            let (frame, rows) = rayon::join(
                || polars_read(path, table, || lf.collect()),
                || check_csv_rows(path),
            );
            let frame = frame?;
            rows?;
            frame
        } else {
            polars_read(path, table, || lf.collect())?
        };
        if frame.height() == 0 {
            return Err(empty(path, table));
        }
        Ok(InputTable {
            path: path.to_path_buf(),
            table,
            frame,
            row_offset: 0,
        })
    }

    /// Like [`InputTable::read`], but hands the table to `each` in chunks of at most `chunk_rows` rows
    /// (Parquet only: a CSV is read whole), so that the text of large id columns never has to be
    /// in memory all at once. Returns the number of rows read.
    pub fn read_chunks(
        path: &Path,
        table: &'static str,
        required: &[Wanted<'_>],
        optional: &[&str],
        chunk_rows: usize,
        mut each: impl FnMut(&InputTable) -> Result<()>,
    ) -> Result<usize> {
        if Format::of(path)? == Format::Csv {
            let t = InputTable::read(path, table, required, optional)?;
            each(&t)?;
            return Ok(t.height());
        }
        let selected = select_columns(path, table, required, optional)?;
        let mut rows = 0;
        loop {
            let t = InputTable::read_slice(path, table, &selected, rows, chunk_rows)?;
            if t.height() == 0 {
                return if rows == 0 {
                    Err(empty(path, table))
                } else {
                    Ok(rows)
                };
            }
            rows += t.height();
            each(&t)?;
            if t.height() < chunk_rows {
                return Ok(rows);
            }
        }
    }

    fn read_slice(
        path: &Path,
        table: &'static str,
        selected: &[String],
        offset: usize,
        len: usize,
    ) -> Result<InputTable> {
        let lf = scan(path, table)?
            .select(selected.iter().map(|c| col(c.as_str())).collect::<Vec<_>>())
            .slice(offset as i64, len as IdxSize);
        let frame = polars_read(path, table, || lf.collect())?;
        Ok(InputTable {
            path: path.to_path_buf(),
            table,
            frame,
            row_offset: offset,
        })
    }

    /// Number of rows.
    pub fn height(&self) -> usize {
        self.frame.height()
    }

    /// Whether the table has column `name`.
    pub fn has(&self, name: &str) -> bool {
        self.frame.column(name).is_ok()
    }

    /// A table-level error for this file.
    pub fn error(&self, message: String) -> Error {
        Error::BadTable {
            path: self.path.clone(),
            message,
        }
    }

    /// A row-level error for this file: `row` counts from 0 within this table (or chunk), and the
    /// error names the row of the file (from 1).
    pub fn row_error(&self, column: &str, row: usize, message: String) -> Error {
        Error::BadValue {
            path: self.path.clone(),
            column: column.to_string(),
            row: self.row_offset + row + 1,
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Parquet file of `n` rows: `id` = "r0", "r1", ... and `x` = 0, 1, ...
    fn parquet(dir: &Path, n: usize) -> PathBuf {
        let path = dir.join("t.parquet");
        let mut df = df!(
            "id" => (0..n).map(|i| format!("r{i}")).collect::<Vec<_>>(),
            "x" => (0..n as i64).collect::<Vec<_>>(),
        )
        .unwrap();
        ParquetWriter::new(std::fs::File::create(&path).unwrap())
            .finish(&mut df)
            .unwrap();
        path
    }

    #[test]
    fn chunks_cover_every_row_once_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = parquet(dir.path(), 10);
        let wanted = [Wanted {
            name: "id",
            purpose: "test",
        }];
        for chunk in [1, 3, 5, 10, 20] {
            let mut seen: Vec<(usize, String, f64)> = Vec::new();
            let n = InputTable::read_chunks(&path, "test", &wanted, &["x"], chunk, |t| {
                assert!(t.height() <= chunk);
                let ids = t.strings("id", true)?;
                t.each_number("x", |row, x| {
                    let id = ids.get(row).unwrap().to_string();
                    seen.push((t.row_offset + row, id, x.unwrap()));
                    Ok(())
                })
            })
            .unwrap();
            assert_eq!(n, 10, "chunk {chunk}");
            let want: Vec<(usize, String, f64)> =
                (0..10).map(|i| (i, format!("r{i}"), i as f64)).collect();
            assert_eq!(seen, want, "chunk {chunk}");
        }
    }

    #[test]
    fn csv_rows_must_fit_the_header_whatever_columns_are_read() {
        // Only `id` is read: polars does not look at the rest of a row, recaudit does.
        let dir = tempfile::tempdir().unwrap();
        let wanted = [Wanted {
            name: "id",
            purpose: "test",
        }];
        let read = |text: &str| {
            let path = crate::input::test_files::write(dir.path(), "t.csv", text);
            InputTable::read(&path, "test", &wanted, &[]).map(|t| t.height())
        };
        assert_eq!(read("id,x,note\na,1,\nb,2,\"n,o\nte\"\n").unwrap(), 2);
        for (text, message) in [
            (
                "id,x,note\na,1,n\nb,2,n,EXTRA\n",
                "row 2: the row has 4 values but the header has 3 columns; a value that contains \
                 `,` must be quoted",
            ),
            (
                "id,x,note\na,1,n\nb,2\n",
                "row 2: the row has 2 values but the header has 3 columns; every row needs a \
                 value (maybe empty) for every column",
            ),
            (
                "id,x,note\na,1,n\n\nb,2,n\n",
                "row 2: the row is blank; remove blank lines (recaudit does not skip them)",
            ),
        ] {
            let err = read(text).unwrap_err().to_string();
            assert!(err.ends_with(&format!("t.csv: {message}")), "{err}");
        }
    }

    #[test]
    fn a_csv_file_with_cr_only_line_endings_is_named_as_such() {
        // polars reads the whole file as its header line: `b\ru1`, `F\ru2` ... as column names.
        let dir = tempfile::tempdir().unwrap();
        let path = crate::input::test_files::write(dir.path(), "u.csv", "id,b\ru1,F\ru2,M\r");
        let err = column_names(&path, "users").unwrap_err().to_string();
        assert!(err.contains("CR-only (old Mac) line endings"), "{err}");
        assert!(!err.contains("u1"), "{err}");
        // CRLF is read.
        let path = crate::input::test_files::write(dir.path(), "u.csv", "id,b\r\nu1,F\r\n");
        assert_eq!(column_names(&path, "users").unwrap(), ["id", "b"]);
        // A file in another encoding may hold a lone `\r` byte too: not UTF-8 is what is wrong.
        let path = dir.path().join("latin.csv");
        std::fs::write(&path, b"id,g\xe9nder\r\x01x\nu1,F\n").unwrap();
        let err = column_names(&path, "users").unwrap_err().to_string();
        assert!(err.contains("not valid UTF-8 (byte 0xE9"), "{err}");
    }

    #[test]
    fn an_error_in_a_later_chunk_names_its_file_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = parquet(dir.path(), 10);
        let err = InputTable::read_chunks(&path, "test", &[], &["x"], 4, |t| {
            t.each_number("x", |row, x| match x {
                Some(6.0) => Err(t.row_error("x", row, "six".into())),
                _ => Ok(()),
            })
        })
        .unwrap_err();
        // x = 6 is the 7th data row of the file (rows count from 1).
        assert!(
            matches!(&err, Error::BadValue { row: 7, column, .. } if column == "x"),
            "{err}"
        );
    }
}
