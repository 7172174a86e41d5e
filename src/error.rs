//! The library's error type: every message names the file, and where it applies the column and row,
//! and says what was expected.

use std::path::PathBuf;

/// What went wrong, with enough context for a user to fix the input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened or parsed.
    #[error("{path}: cannot read the {table} table: {message}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Which input table (recommendations, users, ...).
        table: &'static str,
        /// The reader's message.
        message: String,
    },
    /// The file's extension is not one recaudit reads.
    #[error("{path}: unsupported file type; expected .csv or .parquet")]
    UnsupportedFormat {
        /// The file.
        path: PathBuf,
    },
    /// A required column is missing.
    #[error("{path}: the {table} table has no column `{column}` ({purpose}); its columns are: {available}")]
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
    #[error("{path}: row {row}, column `{column}`: {message}")]
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
    #[error("{path}: {message}")]
    BadTable {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The settings are inconsistent.
    #[error("invalid settings: {0}")]
    Config(String),
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The most characters of an input value that a message shows.
const SHOWN_CHARS: usize = 60;

/// An input value as a message shows it: control characters escaped (a value cannot move the
/// cursor or recolour the terminal), and cut after [`SHOWN_CHARS`] characters with `…` (a
/// megabyte-long value does not fill the screen).
pub fn shown(value: &str) -> String {
    let mut out = String::new();
    for (n, c) in value.chars().enumerate() {
        if n == SHOWN_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_values_are_escaped_and_cut() {
        assert_eq!(shown("two"), "two");
        assert_eq!(shown("a\tb\u{1b}[2J"), "a\\tb\\u{1b}[2J");
        let long = "x".repeat(1_000);
        assert_eq!(shown(&long), format!("{}…", "x".repeat(60)));
        assert_eq!(shown(&"é".repeat(60)), "é".repeat(60));
    }
}
