//! Reading one input table (CSV or Parquet, by extension) with polars, selecting only the columns
//! recaudit needs, and typed column access whose errors name the file, column and row.

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
}

impl Format {
    /// The format of `path` from its extension (`.csv`, `.parquet`, `.pq`).
    pub fn of(path: &Path) -> Result<Format> {
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

/// One loaded table: only the selected columns, in memory.
pub struct Table {
    /// The file it came from.
    pub path: PathBuf,
    /// Which input table (for messages).
    pub table: &'static str,
    /// The data.
    pub frame: DataFrame,
    /// Rows of the file before this frame (non-zero for the chunks of [`Table::read_chunks`]), so
    /// that errors name the row of the file.
    pub row_offset: usize,
}

fn read_error(path: &Path, table: &'static str, e: impl std::fmt::Display) -> Error {
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
            Some(p) => match p.column {
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
            },
            None => read_error(path, table, stopped),
        },
        _ => read_error(
            path,
            table,
            format!("the file is damaged or is not a Parquet file recaudit can read ({stopped})"),
        ),
    }
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

pub(crate) fn empty(path: &Path, table: &'static str) -> Error {
    Error::BadTable {
        path: path.to_path_buf(),
        message: format!("the {table} table has no rows"),
    }
}

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

/// Errors when a CSV header is not UTF-8 (polars reads it with replacement characters) or names
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
    })
}

impl Table {
    /// Reads `required` and those of `optional` that exist (and nothing else: the tool reads only
    /// the columns it needs). Errors when a required column is missing or the table is empty.
    pub fn read(
        path: &Path,
        table: &'static str,
        required: &[Wanted<'_>],
        optional: &[&str],
    ) -> Result<Table> {
        let selected = select_columns(path, table, required, optional)?;
        let lf =
            scan(path, table)?.select(selected.iter().map(|c| col(c.as_str())).collect::<Vec<_>>());
        let frame = polars_read(path, table, || lf.collect())?;
        if frame.height() == 0 {
            return Err(empty(path, table));
        }
        Ok(Table {
            path: path.to_path_buf(),
            table,
            frame,
            row_offset: 0,
        })
    }

    /// Like [`Table::read`], but hands the table to `each` in chunks of at most `chunk_rows` rows
    /// (Parquet only: a CSV is read whole), so that the text of large id columns never has to be
    /// in memory all at once. Returns the number of rows read.
    pub fn read_chunks(
        path: &Path,
        table: &'static str,
        required: &[Wanted<'_>],
        optional: &[&str],
        chunk_rows: usize,
        mut each: impl FnMut(&Table) -> Result<()>,
    ) -> Result<usize> {
        if Format::of(path)? == Format::Csv {
            let t = Table::read(path, table, required, optional)?;
            each(&t)?;
            return Ok(t.height());
        }
        let selected = select_columns(path, table, required, optional)?;
        let mut rows = 0;
        loop {
            let t = Table::read_slice(path, table, &selected, rows, chunk_rows)?;
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
    ) -> Result<Table> {
        let lf = scan(path, table)?
            .select(selected.iter().map(|c| col(c.as_str())).collect::<Vec<_>>())
            .slice(offset as i64, len as IdxSize);
        let frame = polars_read(path, table, || lf.collect())?;
        Ok(Table {
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

    fn series(&self, name: &str) -> Result<&Series> {
        self.frame
            .column(name)
            .map(|c| c.as_materialized_series())
            .map_err(|_| Error::MissingColumn {
                path: self.path.clone(),
                table: self.table,
                column: name.to_string(),
                purpose: "expected by recaudit".into(),
                available: self
                    .frame
                    .get_column_names()
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    fn bad(&self, column: &str, row: usize, message: String) -> Error {
        Error::BadValue {
            path: self.path.clone(),
            column: column.to_string(),
            row: self.row_offset + row + 1,
            message,
        }
    }

    /// A column as text (numbers are formatted), erroring on an empty value when `required`.
    /// A column of nested values (lists, structs) or of a type without a text form is an error
    /// naming the column.
    pub fn strings(&self, name: &str, required: bool) -> Result<StringChunked> {
        let s = self.series(name)?;
        if s.dtype().is_nested() {
            return Err(self.error(format!(
                "column `{}` holds nested values ({}); expected one plain value (text or a \
                 number) per row",
                shown(name),
                s.dtype()
            )));
        }
        let s = s.cast(&DataType::String).map_err(|_| {
            self.error(format!(
                "column `{}` has the type {}, which recaudit cannot read as text; expected text \
                 or numbers",
                shown(name),
                s.dtype()
            ))
        })?;
        let ca = s.str().expect("cast to String").clone();
        if required && ca.null_count() > 0 {
            let row = ca.iter().position(|v| v.is_none()).unwrap_or(0);
            return Err(self.bad(name, row, "empty value; every row needs one".into()));
        }
        Ok(ca)
    }

    /// An id column as text: [`strings`](Self::strings) with every value required, and an error
    /// for a column of decimal numbers (SPEC §1: ids are strings or integers; `7.0` would never
    /// match the `7` of another table).
    pub fn ids(&self, name: &str) -> Result<StringChunked> {
        let dtype = self.series(name)?.dtype();
        if dtype.is_float() {
            return Err(self.error(format!(
                "column `{}` holds decimal numbers ({dtype}); ids must be text or integers (`7.0` \
                 would not match the `7` of another table): store them as integers or text",
                shown(name)
            )));
        }
        self.strings(name, true)
    }

    /// Whether column `name` exists and has a numeric (or boolean) type.
    pub fn is_numeric(&self, name: &str) -> bool {
        self.series(name)
            .is_ok_and(|s| s.dtype().is_primitive_numeric() || s.dtype().is_bool())
    }

    /// A column of a numeric (or boolean) type as `f64`, without copying it into a `Vec`;
    /// `None` when the column holds text (then use [`numbers`](Self::numbers), which parses it).
    pub fn numeric(&self, name: &str) -> Result<Option<Float64Chunked>> {
        if !self.is_numeric(name) {
            return Ok(None);
        }
        let f = self
            .series(name)?
            .cast(&DataType::Float64)
            .map_err(|e| read_error(&self.path, self.table, e))?;
        Ok(Some(f.f64().expect("cast to f64").clone()))
    }

    /// Whether `keep(value)` holds for every value of a column of 32- or 64-bit numbers without
    /// empty values, read in place, each as the `f64` that [`numeric`](Self::numeric) gives
    /// (`x as f64`); stops at the first `false`. `None` for any other column (text, other types,
    /// empty values): use [`numeric`](Self::numeric) or [`numbers`](Self::numbers). Unlike them
    /// it copies nothing (the history's time-order check at 10M rows cast 20M timestamps into a
    /// new 160 MB column before it).
    pub fn all_numbers(
        &self,
        name: &str,
        mut keep: impl FnMut(f64) -> bool,
    ) -> Result<Option<bool>> {
        let s = self.series(name)?;
        if s.null_count() > 0 {
            return Ok(None);
        }
        fn all<T: NumericNative>(
            ca: &ChunkedArray<T::PolarsType>,
            mut keep: impl FnMut(T) -> bool,
        ) -> bool
        where
            T::PolarsType: PolarsNumericType<Native = T>,
        {
            ca.downcast_iter()
                .all(|a| a.values().iter().all(|&x| keep(x)))
        }
        let all = match s.dtype() {
            DataType::Float64 => all(s.f64().expect("f64"), keep),
            DataType::Float32 => all(s.f32().expect("f32"), |x: f32| keep(f64::from(x))),
            DataType::Int64 => all(s.i64().expect("i64"), |x: i64| keep(x as f64)),
            DataType::Int32 => all(s.i32().expect("i32"), |x: i32| keep(f64::from(x))),
            DataType::UInt64 => all(s.u64().expect("u64"), |x: u64| keep(x as f64)),
            DataType::UInt32 => all(s.u32().expect("u32"), |x: u32| keep(f64::from(x))),
            _ => return Ok(None),
        };
        Ok(Some(all))
    }

    /// Calls `each(row, value)` for every row of a numeric column in order (`None`: empty), as
    /// [`numbers`](Self::numbers) would give them, without collecting them first; stops at the
    /// first error, and errors at the first value that is not finite (NaN or infinite).
    pub fn each_number(
        &self,
        name: &str,
        mut each: impl FnMut(usize, Option<f64>) -> Result<()>,
    ) -> Result<()> {
        // In place when the column allows it (32/64-bit numbers, no empty value): the same values
        // (`x as f64`) without a cast copy of the column.
        let (mut row, mut failed) = (0, None);
        let in_place = self.all_numbers(name, |x| {
            let done = if x.is_finite() {
                each(row, Some(x))
            } else {
                Err(self.bad(name, row, not_finite(x, None)))
            };
            match done {
                Ok(()) => {
                    row += 1;
                    true
                }
                Err(e) => {
                    failed = Some(e);
                    false
                }
            }
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        if in_place.is_some() {
            return Ok(());
        }
        match self.numeric(name)? {
            Some(x) => x.iter().enumerate().try_for_each(|(row, v)| match v {
                Some(x) if !x.is_finite() => Err(self.bad(name, row, not_finite(x, None))),
                v => each(row, v),
            }),
            None => self
                .numbers(name)?
                .into_iter()
                .enumerate()
                .try_for_each(|(row, v)| each(row, v)),
        }
    }

    /// A numeric column, erroring (with the row) on a value that is not a number or not finite
    /// (NaN, infinite, or beyond the range of a 64-bit float such as `1e400`). Empty values are
    /// `None`.
    pub fn numbers(&self, name: &str) -> Result<Vec<Option<f64>>> {
        if let Some(x) = self.numeric(name)? {
            return x
                .iter()
                .enumerate()
                .map(|(row, v)| match v {
                    Some(x) if !x.is_finite() => Err(self.bad(name, row, not_finite(x, None))),
                    v => Ok(v),
                })
                .collect();
        }
        let text = self.strings(name, false)?;
        text.iter()
            .enumerate()
            .map(|(row, v)| match v.map(str::trim) {
                None | Some("") => Ok(None),
                Some(t) => match t.parse::<f64>() {
                    Ok(x) if x.is_finite() => Ok(Some(x)),
                    Ok(x) => Err(self.bad(name, row, not_finite(x, Some(t)))),
                    Err(_) => Err(self.bad(
                        name,
                        row,
                        format!("`{}` is not a number; expected a number", shown(t)),
                    )),
                },
            })
            .collect()
    }

    /// Whether column `name` holds numbers: it has a numeric type, or every value that is not
    /// empty reads as one (`NaN` and `inf` included: [`numbers`](Self::numbers) reports them).
    pub fn holds_numbers(&self, name: &str) -> Result<bool> {
        if self.is_numeric(name) {
            return Ok(true);
        }
        Ok(self
            .strings(name, false)?
            .iter()
            .flatten()
            .map(str::trim)
            .all(|t| t.is_empty() || t.parse::<f64>().is_ok()))
    }

    /// A boolean column, empty values `None`. Accepted (case-insensitive, spaces around them
    /// ignored): true/false, yes/no, y/n, 1/0, t/f; in Parquet also booleans and the integers
    /// 0 and 1.
    pub fn booleans(&self, name: &str) -> Result<Vec<Option<bool>>> {
        let text = self.strings(name, false)?;
        text.iter()
            .enumerate()
            .map(|(row, v)| {
                let t = v.map(str::trim).unwrap_or_default();
                match t.to_ascii_lowercase().as_str() {
                    "" => Ok(None),
                    "true" | "t" | "yes" | "y" | "1" => Ok(Some(true)),
                    "false" | "f" | "no" | "n" | "0" => Ok(Some(false)),
                    _ => Err(self.bad(
                        name,
                        row,
                        format!(
                            "`{}` is not a boolean; expected true/false, yes/no, y/n, 1/0 or t/f",
                            shown(t)
                        ),
                    )),
                }
            })
            .collect()
    }

    /// A table-level error for this file.
    pub fn error(&self, message: String) -> Error {
        Error::BadTable {
            path: self.path.clone(),
            message,
        }
    }

    /// A row-level error for this file.
    pub fn row_error(&self, column: &str, row: usize, message: String) -> Error {
        self.bad(column, row, message)
    }
}

/// Why `x`, read from a file (from the text `text` when the column holds text), is not accepted
/// as a number: it is NaN, infinite, or too large for a 64-bit float.
pub(crate) fn not_finite(x: f64, text: Option<&str>) -> String {
    let spelled_out = |t: &str| {
        let t = t.trim().trim_start_matches(['+', '-']).to_ascii_lowercase();
        t == "inf" || t == "infinity"
    };
    let sign = if x > 0.0 { "+" } else { "-" };
    match text {
        Some(t) if x.is_infinite() && !spelled_out(t) => format!(
            "`{}` is too large for a 64-bit float (it would be {sign}infinity); expected a finite \
             number",
            shown(t)
        ),
        Some(t) if x.is_nan() => format!(
            "`{}` is NaN (not a number); expected a finite number",
            shown(t)
        ),
        Some(t) => format!("`{}` is infinite; expected a finite number", shown(t)),
        None if x.is_nan() => "the value is NaN (not a number); expected a finite number".into(),
        None => format!("the value is {sign}infinity; expected a finite number"),
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
            let n = Table::read_chunks(&path, "test", &wanted, &["x"], chunk, |t| {
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
    fn all_numbers_and_each_number_read_the_values_numeric_gives() {
        let big = (1i64 << 53) + 1; // not an f64: rounds to 2^53, as the cast does
        let frame = df!(
            "i64" => [3i64, big, -7],
            "i32" => [3i32, 4, -7],
            "u32" => [3u32, 4, 7],
            "f64" => [0.5f64, -1.25, 1e300],
            "f32" => [0.5f32, -1.25, 3.0],
            "text" => ["1", "2", "3"],
            "empty" => [Some(1i64), None, Some(3)],
        )
        .unwrap();
        let t = Table {
            path: PathBuf::from("t.csv"),
            table: "test",
            frame,
            row_offset: 0,
        };
        for name in ["i64", "i32", "u32", "f64", "f32"] {
            let mut seen = Vec::new();
            let all = t.all_numbers(name, |x| {
                seen.push(x);
                true
            });
            let want: Vec<f64> = t
                .numeric(name)
                .unwrap()
                .unwrap()
                .into_no_null_iter()
                .collect();
            assert_eq!((all.unwrap(), seen), (Some(true), want), "{name}");
        }
        // Stops at the first false.
        let mut calls = 0;
        let all = t.all_numbers("i64", |x| {
            calls += 1;
            x < 0.0
        });
        assert_eq!((all.unwrap(), calls), (Some(false), 1));
        // each_number reads the first columns in place and the others through `numbers`: the
        // same values either way, and it stops at the first error.
        for name in ["i64", "i32", "u32", "f64", "f32", "text", "empty"] {
            let mut seen = Vec::new();
            t.each_number(name, |row, x| {
                seen.push((row, x));
                Ok(())
            })
            .unwrap();
            let want: Vec<(usize, Option<f64>)> =
                t.numbers(name).unwrap().into_iter().enumerate().collect();
            assert_eq!(seen, want, "{name}");
        }
        let mut calls = 0;
        let stopped = t.each_number("i64", |row, _| {
            calls += 1;
            if row == 1 {
                Err(t.row_error("i64", row, "stop".into()))
            } else {
                Ok(())
            }
        });
        assert!(stopped.is_err());
        assert_eq!(calls, 2);
        // Text and empty values are left to `numbers`.
        assert_eq!(t.all_numbers("text", |_| true).unwrap(), None);
        assert_eq!(t.all_numbers("empty", |_| true).unwrap(), None);
        assert!(t.all_numbers("absent", |_| true).is_err());
    }

    #[test]
    fn an_error_in_a_later_chunk_names_its_file_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = parquet(dir.path(), 10);
        let err = Table::read_chunks(&path, "test", &[], &["x"], 4, |t| {
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
