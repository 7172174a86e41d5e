//! The library's error type: every message names the file, and where it applies the column and row,
//! and says what was expected. Paths, column names and messages quote the user's files, so they are
//! shown as [`visible`] shows them (control and bidi characters escaped).

use std::path::{Path, PathBuf};

use crate::text::{visible, visible_lines};

/// A path as [`visible`] shows it.
fn shown_path(path: &Path) -> String {
    visible(&path.to_string_lossy()).into_owned()
}

/// What went wrong, with enough context for a user to fix the input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened or parsed.
    #[error(
        "{}: cannot read the {table} table: {}",
        shown_path(path),
        visible_lines(message)
    )]
    Read {
        /// The file.
        path: PathBuf,
        /// Which input table (recommendations, users, ...).
        table: &'static str,
        /// The reader's message.
        message: String,
    },
    /// The file's extension is not one recaudit reads.
    #[error(
        "{}: unsupported file type; expected .csv or .parquet",
        shown_path(path)
    )]
    UnsupportedFormat {
        /// The file.
        path: PathBuf,
    },
    /// A required column is missing.
    #[error(
        "{}: the {table} table has no column `{}` ({}); its columns are: {}",
        shown_path(path),
        shown(column),
        visible(purpose),
        shown_names(available)
    )]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// Which input table.
        table: &'static str,
        /// The missing column.
        column: String,
        /// What the column is for and how to name another one.
        purpose: String,
        /// The columns the file does have, comma-separated.
        available: String,
    },
    /// A value in one row is invalid.
    #[error(
        "{}: row {row}, column `{}`: {}",
        shown_path(path),
        shown(column),
        visible(message)
    )]
    BadValue {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
        /// 1-based data row (the header is not counted; in a CSV this is line row + 1).
        row: usize,
        /// What was found and what was expected.
        message: String,
    },
    /// A table is unusable as a whole.
    #[error("{}: {}", shown_path(path), visible(message))]
    BadTable {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The settings are inconsistent.
    #[error("invalid settings: {}", visible(.0))]
    Config(String),
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The most characters of an input value that a message shows.
const SHOWN_CHARS: usize = 60;

/// An input value as a message shows it: as [`visible`] shows it (a value cannot move the cursor,
/// recolour the terminal or reorder the line), and cut after 60 characters (`SHOWN_CHARS`) with `…`
/// (a megabyte-long value does not fill the screen).
pub fn shown(value: &str) -> String {
    let cut: String = value.chars().take(SHOWN_CHARS).collect();
    let mut out = visible(&cut).into_owned();
    if value.chars().nth(SHOWN_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// Names separated by `, ` (a file's columns) as a message shows them: each as [`shown`] shows it,
/// so that one megabyte-long column name does not fill the screen.
fn shown_names(names: &str) -> String {
    names.split(", ").map(shown).collect::<Vec<_>>().join(", ")
}

/// A message that quotes input names between backticks (`` `name` ``), as the terminal shows it:
/// every quoted name as [`shown`] shows it (cut after 60 characters), the rest as [`visible`]
/// shows it. For the notes of an audit, whose full text stays in audit.json.
pub fn shown_quoted(message: &str) -> String {
    message
        .split('`')
        .enumerate()
        .map(|(k, part)| {
            if k % 2 == 1 {
                shown(part)
            } else {
                visible(part).into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("`")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_values_are_escaped_and_cut() {
        assert_eq!(shown("two"), "two");
        assert_eq!(shown("a\tb\u{1b}[2J"), "a\\u{9}b\\u{1B}[2J");
        let long = "x".repeat(1_000);
        assert_eq!(shown(&long), format!("{}…", "x".repeat(60)));
        assert_eq!(shown(&"é".repeat(60)), "é".repeat(60));
    }

    #[test]
    fn long_names_in_messages_are_cut() {
        let long = "x".repeat(10_000);
        let cut = format!("{}…", "x".repeat(60));
        let err = Error::BadValue {
            path: "t.csv".into(),
            column: long.clone(),
            row: 3,
            message: "empty value".into(),
        };
        assert_eq!(
            err.to_string(),
            format!("t.csv: row 3, column `{cut}`: empty value")
        );
        let err = Error::MissingColumn {
            path: "t.csv".into(),
            table: "users",
            column: "user_id".into(),
            purpose: "user id".into(),
            available: format!("a, {long}, b"),
        };
        assert_eq!(
            err.to_string(),
            format!("t.csv: the users table has no column `user_id` (user id); its columns are: a, {cut}, b")
        );
        assert_eq!(
            shown_quoted(&format!("Column `{long}` is not audited: `a\tb`.")),
            format!("Column `{cut}` is not audited: `a\\u{{9}}b`.")
        );
    }
}
