//! Errors found in a partition's file by `audit --partitions N`, told in the input's terms: the
//! input table's file and its row, not the temporary partition file and its row (the temporary
//! folder is removed when the audit ends).

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::split::{partition, row_partitions};
use crate::error::Error;
use crate::input::table::Format;
use crate::input::TablePaths;

/// `e` with a path inside the temporary folder `dir` (the split of the tables `paths` by the
/// user column `user` into `n` partitions) replaced by the input table's file, and the row of a
/// partition's file by the row of the input table it was copied from.
pub(super) fn in_input_terms(
    e: Error,
    dir: &Path,
    paths: &TablePaths,
    user: &str,
    n: usize,
) -> Error {
    let source = |path: &Path| -> Option<(PathBuf, Option<usize>)> {
        let rel = path.strip_prefix(dir).ok()?;
        let first = rel.components().next()?.as_os_str().to_str()?;
        let src = match first {
            "recs" => Some(&paths.recs),
            "users" => Some(&paths.users),
            "truth" => paths.truth.as_ref(),
            "history" => paths.history.as_ref(),
            _ if first.starts_with("items.") => paths.items.as_ref(),
            _ => None,
        }?;
        let partition = rel
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.strip_prefix("part-"))
            .and_then(|p| p.parse().ok())
            .filter(|_| !first.starts_with("items."));
        Some((src.clone(), partition))
    };
    let input_path = |path: PathBuf| source(&path).map_or(path, |(src, _)| src);
    match e {
        Error::BadValue {
            path,
            column,
            row,
            message,
        } => match source(&path) {
            Some((src, Some(p))) => match input_row(&src, user, n, p, row) {
                Some(row) => Error::BadValue {
                    message: earlier_row_in_input_terms(message, |r| {
                        input_row(&src, user, n, p, r)
                    }),
                    path: src,
                    column,
                    row,
                },
                None => Error::BadValue {
                    path: src,
                    column,
                    row,
                    message: format!(
                        "{message} (the row number counts the rows of partition {p} of {n}: \
                         the input's row could not be found again)"
                    ),
                },
            },
            _ => Error::BadValue {
                path,
                column,
                row,
                message,
            },
        },
        Error::BadTable { path, message } => Error::BadTable {
            path: input_path(path),
            message,
        },
        Error::Read {
            path,
            table,
            message,
        } => Error::Read {
            path: input_path(path),
            table,
            message,
        },
        Error::MissingColumn {
            path,
            table,
            column,
            purpose,
            available,
        } => Error::MissingColumn {
            path: input_path(path),
            table,
            column,
            purpose,
            available,
        },
        other => other,
    }
}

/// `message` with the earlier row it names (the loader's "(first at row N)" of a repeated user
/// or item), a row of the same partition's file, given as the input's row by `input_row`.
fn earlier_row_in_input_terms(
    message: String,
    input_row: impl Fn(usize) -> Option<usize>,
) -> String {
    const AT: &str = "(first at row ";
    let Some(start) = message.find(AT).map(|i| i + AT.len()) else {
        return message;
    };
    let digits = message[start..]
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    match message[start..start + digits]
        .parse()
        .ok()
        .and_then(input_row)
    {
        Some(row) => format!("{}{row}{}", &message[..start], &message[start + digits..]),
        None => message,
    }
}

/// The 1-based data row of the input table `src` that is data row `row` of partition `p`'s file:
/// the `row`-th of its rows whose user goes to partition `p` of `n` (the split keeps the input's
/// order). `None` when the file cannot be read again or has fewer such rows.
fn input_row(src: &Path, user: &str, n: usize, p: usize, row: usize) -> Option<usize> {
    let mut seen = 0;
    let mut found = None;
    let mut each = |index: usize, partition: usize| {
        if partition == p {
            seen += 1;
            if seen == row {
                found = Some(index + 1);
            }
        }
        found.is_none()
    };
    match Format::of(src).ok()? {
        Format::Csv => {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(BufReader::new(File::open(src).ok()?));
            let mut record = csv::ByteRecord::new();
            reader.read_byte_record(&mut record).ok()?;
            let column = record.iter().position(|name| {
                String::from_utf8_lossy(name).trim_start_matches('\u{feff}') == user
            })?;
            let mut index = 0;
            while reader.read_byte_record(&mut record).ok()? {
                let id = record.get(column).unwrap_or_default();
                if !each(index, partition(id, n)) {
                    break;
                }
                index += 1;
            }
        }
        Format::Parquet => {
            let mut reader = ParquetReader::new(File::open(src).ok()?);
            let metadata = reader.get_metadata().ok()?.clone();
            let (mut offset, mut index) = (0, 0);
            'groups: for group in &metadata.row_groups {
                let len = group.num_rows();
                let mut reader = ParquetReader::new(File::open(src).ok()?)
                    .with_columns(Some(vec![user.to_string()]))
                    .with_slice(Some((offset, len)));
                reader.set_metadata(metadata.clone());
                let frame = reader.finish().ok()?;
                offset += len;
                for q in row_partitions(&frame, user, n).ok()? {
                    if !each(index, q as usize) {
                        break 'groups;
                    }
                    index += 1;
                }
            }
        }
        Format::Memory => return None,
    }
    found
}
