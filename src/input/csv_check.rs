//! The first malformed row of a CSV file, found by reading it again when polars' CSV reader fails
//! without saying where (a row with more fields than the header, bytes that are not UTF-8, a
//! badly quoted field). It runs only on that error path.
//!
//! Rows are split as polars splits them (as configured in [`super::table`]): `,` separates
//! fields, a row ends at `\n` (a `\r` before it belongs to the line ending), a field that starts
//! with `"` is quoted until the next lone `"` (`""` inside it is a quote; separators and line
//! breaks inside it are text), a `"` inside a value that does not start with one is malformed
//! (polars' count of rows goes wrong on it), and a blank line is a row of empty values. A UTF-8
//! byte-order mark before the header is skipped. The csv crate is not used because it skips blank
//! lines, and the rows it numbered would then not be the rows polars and recaudit number.

use std::path::Path;

/// A malformed row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based data row (0: the header line).
    pub row: usize,
    /// The column of the value at fault, from the header (`None` when the row as a whole is).
    pub column: Option<String>,
    /// What is wrong, and what was expected.
    pub message: String,
}

/// The first malformed row of the CSV file at `path`, `None` when every row is well formed (or
/// the file cannot be read again).
pub fn first_problem_in(path: &Path) -> Option<Problem> {
    let file = std::fs::File::open(path).ok()?;
    // SAFETY: the map is only read; a file changed while it is read may give a wrong row number
    // in this error message, nothing worse.
    let map = unsafe { memmap2::Mmap::map(&file) }.ok()?;
    first_problem(&map)
}

/// [`first_problem_in`], where a blank line is a malformed row too (`audit --partitions`, whose
/// splitter would skip it where the one-pass reader refuses it), as is a file whose lines end in
/// a lone carriage return.
pub fn first_problem_or_blank_row_in(path: &Path) -> Option<Problem> {
    let file = std::fs::File::open(path).ok()?;
    // SAFETY: as in `first_problem_in`.
    let map = unsafe { memmap2::Mmap::map(&file) }.ok()?;
    first_problem_with(&map, true)
}

/// The first malformed row of the CSV text `bytes`.
pub fn first_problem(bytes: &[u8]) -> Option<Problem> {
    first_problem_with(bytes, false)
}

/// [`first_problem`]; with `blank_rows`, a blank line is a malformed row, and so is a header
/// line holding a lone carriage return (a file with classic Mac OS line endings).
fn first_problem_with(bytes: &[u8], blank_rows: bool) -> Option<Problem> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut header: Vec<String> = Vec::new();
    // The current row: its index (0 = header) and where each of its fields starts and ends.
    let mut row = 0;
    let mut fields: Vec<(usize, usize)> = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        // One field, from `pos`.
        let (start, end, next) =
            if bytes[pos] == b'"' {
                let mut i = pos + 1;
                loop {
                    match bytes[i..].iter().position(|&b| b == b'"') {
                        None => return Some(problem(
                            &header,
                            row,
                            fields.len(),
                            "a quoted value is never closed: its opening `\"` has no closing `\"` \
                             before the end of the file"
                                .into(),
                        )),
                        Some(q) if bytes.get(i + q + 1) == Some(&b'"') => i += q + 2,
                        Some(q) => {
                            i += q + 1;
                            break;
                        }
                    }
                }
                (pos, i, i)
            } else {
                let len = bytes[pos..]
                    .iter()
                    .position(|&b| b == b',' || b == b'\n')
                    .unwrap_or(bytes.len() - pos);
                // polars finds where rows end by counting every `"` of a chunk, so one inside an
                // unquoted value throws its row count off (its error says only that the counts
                // differ).
                if bytes[pos..pos + len].contains(&b'"') {
                    return Some(problem(
                        &header,
                        row,
                        fields.len(),
                        "a `\"` inside a value that is not quoted; quote the whole value \
                         (`\"...\"`) and write each `\"` in it twice (`\"\"`)"
                            .into(),
                    ));
                }
                (pos, pos + len, pos + len)
            };
        // What follows the field: a separator, the end of the row (maybe after `\r`) or the file.
        let after = match bytes.get(next) {
            Some(b'\r') if matches!(bytes.get(next + 1), None | Some(b'\n')) => next + 1,
            _ => next,
        };
        fields.push((start, end));
        let ends_row = match bytes.get(after) {
            None => true,
            Some(b'\n') => true,
            Some(b',') => false,
            Some(_) => {
                return Some(problem(
                    &header,
                    row,
                    fields.len() - 1,
                    "a quoted value has text after its closing `\"`; a `\"` inside a quoted \
                     value must be doubled (`\"\"`)"
                        .into(),
                ))
            }
        };
        pos = after + 1;
        if bytes.get(after) == Some(&b',') && pos == bytes.len() {
            // A trailing separator at the end of the file: one more, empty field.
            fields.push((pos, pos));
        }
        if ends_row || pos >= bytes.len() {
            if let Some(p) = check_row(bytes, &mut header, row, &fields) {
                return Some(p);
            }
            if blank_rows {
                if let Some(p) = blank_row(bytes, row, &fields) {
                    return Some(p);
                }
            }
            row += 1;
            fields.clear();
        }
    }
    None
}

/// A blank data row (one empty field), or a header line that holds a lone `\r`.
fn blank_row(bytes: &[u8], row: usize, fields: &[(usize, usize)]) -> Option<Problem> {
    let lone_cr = |&(start, end): &(usize, usize)| {
        bytes[start..end]
            .windows(2)
            .any(|w| w[0] == b'\r' && w[1] != b'\n')
    };
    if row == 0 && fields.iter().any(lone_cr) {
        return Some(Problem {
            row,
            column: None,
            message: "its lines end in a lone carriage return (`\\r`, as on classic Mac OS); save \
                      it with `\\n` or `\\r\\n` line endings"
                .into(),
        });
    }
    match fields {
        [(start, end)] if row > 0 && matches!(&bytes[*start..*end], b"" | b"\r") => Some(Problem {
            row,
            column: None,
            message: "the row is blank: remove blank lines (every row needs a user id)".into(),
        }),
        _ => None,
    }
}

/// Checks one complete row (`fields` of row `row`; row 0 is the header, whose names it records).
fn check_row(
    bytes: &[u8],
    header: &mut Vec<String>,
    row: usize,
    fields: &[(usize, usize)],
) -> Option<Problem> {
    for (k, &(start, end)) in fields.iter().enumerate() {
        if let Err(e) = std::str::from_utf8(&bytes[start..end]) {
            return Some(problem(
                header,
                row,
                k,
                format!(
                    "the value is not valid UTF-8 (byte 0x{:02X} at its byte {}); save the file \
                     as UTF-8",
                    bytes[start + e.valid_up_to()],
                    e.valid_up_to() + 1
                ),
            ));
        }
    }
    if row == 0 {
        header.extend(
            fields
                .iter()
                .map(|&(s, e)| unquote(&String::from_utf8_lossy(&bytes[s..e]))),
        );
    } else if fields.len() > header.len() {
        return Some(Problem {
            row,
            column: None,
            message: format!(
                "the row has {} values but the header has {} columns; a value that contains `,` \
                 must be quoted",
                fields.len(),
                header.len()
            ),
        });
    }
    None
}

/// A header name as polars reads it: without its quotes, `""` as `"`.
fn unquote(field: &str) -> String {
    match field.strip_prefix('"').and_then(|f| f.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => field.to_string(),
    }
}

/// A problem with field `k` of row `row` (the column named from the header when it has one).
fn problem(header: &[String], row: usize, k: usize, message: String) -> Problem {
    Problem {
        row,
        column: if row == 0 {
            None
        } else {
            header.get(k).cloned()
        },
        message: if row == 0 {
            format!("the header line, column {}: {message}", k + 1)
        } else {
            message
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &[u8]) -> Option<(usize, Option<String>, String)> {
        first_problem(text).map(|p| (p.row, p.column, p.message))
    }

    #[test]
    fn well_formed_files_have_no_problem() {
        for text in [
            &b"a,b\n1,2\n3,4\n"[..],
            b"a,b\r\n1,2\r\n3,4",
            b"\xEF\xBB\xBFa,b\n1,\"x,\"\"y\"\"\nz\"\n\n3\n",
            b"a,b\n1,2\n",
            b"a\n",
            b"a,b\n\"\",\n",
            b"a,b\n1,caf\xC3\xA9\n",
        ] {
            assert_eq!(at(text), None, "{}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn rows_count_blank_lines_and_quoted_line_breaks_as_polars_does() {
        // Row 1 spans two lines, row 2 is blank, row 3 has a third value.
        let text = b"a,b\n1,\"x\ny\"\n\n3,4,5\n";
        let (row, column, message) = at(text).unwrap();
        assert_eq!((row, column), (3, None));
        assert_eq!(
            message,
            "the row has 3 values but the header has 2 columns; a value that contains `,` must be quoted"
        );
        assert_eq!(at(b"a,b\n1,2\n3,4,\n").unwrap().0, 2);
        assert_eq!(at(b"a,b\r\n1,2\r\n3,4,5\r\n").unwrap().0, 2);
    }

    #[test]
    fn bad_bytes_and_quotes_name_their_column() {
        let (row, column, message) = at(b"id,name\n1,ok\n2,caf\xE9\n").unwrap();
        assert_eq!((row, column.as_deref()), (2, Some("name")));
        assert!(message.starts_with("the value is not valid UTF-8 (byte 0xE9 at its byte 4)"));
        let (row, column, message) = at(b"id,rank\n1,2\n2,\"1\"x\n").unwrap();
        assert_eq!((row, column.as_deref()), (2, Some("rank")));
        assert!(message.contains("text after its closing `\"`"), "{message}");
        let (row, column, message) = at(b"id,rank\n1,2\n\"2,3\n4,5\n").unwrap();
        assert_eq!((row, column.as_deref()), (2, Some("id")));
        assert!(message.contains("never closed"), "{message}");
        let (row, column, message) = at(b"id,score\n1,2\n2,<b>\"</b>\n").unwrap();
        assert_eq!((row, column.as_deref()), (2, Some("score")));
        assert_eq!(
            message,
            "a `\"` inside a value that is not quoted; quote the whole value (`\"...\"`) and \
             write each `\"` in it twice (`\"\"`)"
        );
        let (row, column, message) = at(b"id,\"ra\xFFnk\"\n1,2\n").unwrap();
        assert_eq!((row, column), (0, None));
        assert!(message.starts_with("the header line, column 2: the value is not valid UTF-8"));
    }
}
