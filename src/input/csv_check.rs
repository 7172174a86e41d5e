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

/// The first malformed row of the CSV text `bytes`.
pub fn first_problem(bytes: &[u8]) -> Option<Problem> {
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
            row += 1;
            fields.clear();
        }
    }
    None
}

/// The first data row (from 1) of the CSV file at `path` that does not have as many values as
/// its header, or is blank ([`first_uneven_row`]); `None` when every row fits (or the file cannot
/// be read again).
pub fn first_uneven_row_in(path: &Path) -> Option<usize> {
    let file = std::fs::File::open(path).ok()?;
    // SAFETY: as in `first_problem_in`: the map is only read.
    let map = unsafe { memmap2::Mmap::map(&file) }.ok()?;
    first_uneven_row(&map)
}

/// The first data row (from 1) of the CSV text `bytes` with another number of values than the
/// header, or blank (no byte but a `\r` before its line end); `None` when every row fits.
///
/// This is the check polars skips when it reads only some of a file's columns (it stops reading a
/// row at its last selected column), so it runs on every CSV table read, and it has to be cheap:
/// one pass over the bytes, 64 at a time, as bit masks of their separators, line ends and
/// quotes. The quotes' prefix XOR marks the bytes inside quoted values, whose separators and
/// line ends are text (a doubled `""` toggles twice). Rows are split as [`first_problem`] splits
/// them, except in malformed files (a `"` inside an unquoted value), which polars rejects anyway;
/// the error message comes from [`first_problem`], which names what is wrong.
pub fn first_uneven_row(bytes: &[u8]) -> Option<usize> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // The row being read (0: the header), where it starts, and its separators so far.
    let (mut row, mut row_start, mut separators) = (0usize, 0usize, 0u32);
    let mut header_separators = 0u32;
    // All ones while the previous block ended inside a quoted value.
    let mut in_quotes = 0u64;
    // Whether the row ending at byte `end` does not fit (and the header's count when it is row 0).
    let mut ends_uneven = |row: usize, row_start: usize, end: usize, separators: u32| -> bool {
        if row == 0 {
            header_separators = separators;
            return false;
        }
        let blank = separators == 0 && matches!(&bytes[row_start..end], b"" | b"\r");
        blank || separators != header_separators
    };
    for (k, block) in bytes.chunks(64).enumerate() {
        let (mut separator, mut line_end, quote) = block_masks(block);
        let quoted = prefix_xor(quote) ^ in_quotes;
        in_quotes = ((quoted as i64) >> 63) as u64;
        separator &= !quoted;
        line_end &= !quoted;
        while line_end != 0 {
            let at = line_end.trailing_zeros() as usize;
            let before = (1u64 << at) - 1;
            separators += (separator & before).count_ones();
            separator &= !before;
            let end = 64 * k + at;
            if ends_uneven(row, row_start, end, separators) {
                return Some(row);
            }
            (row, row_start, separators) = (row + 1, end + 1, 0);
            line_end &= line_end - 1;
        }
        separators += separator.count_ones();
    }
    // A last row without a line end.
    if row_start < bytes.len() && ends_uneven(row, row_start, bytes.len(), separators) {
        return Some(row);
    }
    None
}

/// The bit masks of the `,`, `\n` and `"` bytes of a block of at most 64 bytes (bit i: byte i).
fn block_masks(block: &[u8]) -> (u64, u64, u64) {
    #[cfg(target_arch = "x86_64")]
    if let Ok(block) = <&[u8; 64]>::try_from(block) {
        return full_block_masks(block);
    }
    let (mut separator, mut line_end, mut quote) = (0u64, 0u64, 0u64);
    for (i, &b) in block.iter().enumerate() {
        separator |= u64::from(b == b',') << i;
        line_end |= u64::from(b == b'\n') << i;
        quote |= u64::from(b == b'"') << i;
    }
    (separator, line_end, quote)
}

/// [`block_masks`] of a whole block, 16 bytes per SSE2 comparison (every x86-64 processor has
/// SSE2): three times as fast as the byte loop, which the compiler does not turn into these.
#[cfg(target_arch = "x86_64")]
fn full_block_masks(block: &[u8; 64]) -> (u64, u64, u64) {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};
    let mut masks = [0u64; 3];
    for (j, lane) in block.chunks_exact(16).enumerate() {
        // SAFETY: SSE2 is part of x86-64; `lane` is 16 readable bytes, and `loadu` allows any
        // alignment.
        unsafe {
            let v = _mm_loadu_si128(lane.as_ptr().cast());
            for (mask, byte) in masks.iter_mut().zip([b',', b'\n', b'"']) {
                let equal = _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(byte as i8)));
                *mask |= u64::from(equal as u16) << (16 * j);
            }
        }
    }
    (masks[0], masks[1], masks[2])
}

/// Bit i of the result is the XOR of bits 0..=i of `x`: with `x` the quotes of a block, the bytes
/// from an opening quote up to (not including) its closing one.
fn prefix_xor(mut x: u64) -> u64 {
    for shift in [1, 2, 4, 8, 16, 32] {
        x ^= x << shift;
    }
    x
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
    } else if let [(start, end)] = *fields {
        if matches!(&bytes[start..end], b"" | b"\r") {
            return Some(Problem {
                row,
                column: None,
                message: "the row is blank; remove blank lines (recaudit does not skip them)"
                    .into(),
            });
        }
    }
    if row > 0 && fields.len() != header.len() {
        let hint = if fields.len() > header.len() {
            "a value that contains `,` must be quoted"
        } else {
            "every row needs a value (maybe empty) for every column"
        };
        return Some(Problem {
            row,
            column: None,
            message: format!(
                "the row has {} values but the header has {} columns; {hint}",
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
            b"\xEF\xBB\xBFa,b\n1,\"x,\"\"y\"\"\nz\"\n3,\n",
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
        // Row 1 spans two lines, row 2 has a third value.
        let text = b"a,b\n1,\"x\ny\"\n3,4,5\n";
        let (row, column, message) = at(text).unwrap();
        assert_eq!((row, column), (2, None));
        assert_eq!(
            message,
            "the row has 3 values but the header has 2 columns; a value that contains `,` must be quoted"
        );
        assert_eq!(at(b"a,b\n1,2\n3,4,\n").unwrap().0, 2);
        assert_eq!(at(b"a,b\r\n1,2\r\n3,4,5\r\n").unwrap().0, 2);
        // Row 2 is blank (polars reads it as a row of empty values).
        let blank = "the row is blank; remove blank lines (recaudit does not skip them)";
        for text in [
            &b"a,b\n1,\"x\ny\"\n\n3,4,5\n"[..],
            b"a,b\r\n1,2\r\n\r\n",
            b"a\n1\n\n2\n",
        ] {
            assert_eq!(at(text), Some((2, None, blank.into())), "{text:?}");
        }
    }

    #[test]
    fn a_row_with_fewer_values_than_the_header_is_a_problem() {
        let (row, column, message) = at(b"a,b,c\n1,2,3\n4,5\n6,7,8\n").unwrap();
        assert_eq!((row, column), (2, None));
        assert_eq!(
            message,
            "the row has 2 values but the header has 3 columns; every row needs a value (maybe \
             empty) for every column"
        );
        // Empty values are values: `4,,` has three.
        assert_eq!(at(b"a,b,c\n1,2,3\n4,,\n,,\n"), None);
    }

    /// [`first_uneven_row`] and the row of [`first_problem`], which split rows alike.
    fn uneven(text: &[u8]) -> (Option<usize>, Option<usize>) {
        (first_uneven_row(text), first_problem(text).map(|p| p.row))
    }

    #[test]
    fn uneven_rows_are_found_as_the_full_check_finds_them() {
        let cases: [(&[u8], Option<usize>); 14] = [
            (b"a,b\n1,2\n3,4\n", None),
            (b"a,b\n1,2\n3,4", None),
            (b"a,b\r\n1,2\r\n3,4\r\n", None),
            (b"\xEF\xBB\xBFa,b\n1,2\n", None),
            (b"a,b\n", None),
            (b"a,b\n\"1,\n\"\"x\",2\n3,\"\"\n", None),
            (b"a,b\n1,2\n3,4,5\n", Some(2)),
            (b"a,b\n1,2\n3\n", Some(2)),
            (b"a,b\n1,2\n3,4,", Some(2)),
            (b"a,b\n1\n", Some(1)),
            (b"a,b\n1,2\n\n", Some(2)),
            (b"a,b\r\n1,2\r\n\r\n3,4\r\n", Some(2)),
            (b"a\n1\n\n", Some(2)),
            (b"a,b\n\"1,\n\"\"x\",2,3\n", Some(1)),
        ];
        for (text, row) in cases {
            assert_eq!(
                uneven(text),
                (row, row),
                "{}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn uneven_rows_are_found_across_blocks_of_64_bytes() {
        // Rows of three values, one of them quoted over a line break and holding separators and
        // doubled quotes, so that quoted values cross block boundaries at every offset; then one
        // row at a time is given a fourth value, or loses its last.
        let row = |k: usize| format!("u{k},\"it,em\n\"\"{}\"\"\",{k}\n", "x".repeat(k % 70));
        let rows: Vec<String> = (0..60).map(row).collect();
        let text = |rows: &[String]| format!("user_id,item_id,rank\n{}", rows.concat());
        assert_eq!(uneven(text(&rows).as_bytes()), (None, None));
        for k in (0..60).step_by(7) {
            for changed in [
                rows[k].replace('\n', ",9\n").replacen(",9\n", "\n", 1),
                rows[k]
                    .rsplit_once(',')
                    .map(|(head, _)| format!("{head}\n"))
                    .unwrap(),
            ] {
                let mut rows = rows.clone();
                rows[k] = changed;
                let text = text(&rows);
                assert_eq!(
                    uneven(text.as_bytes()),
                    (Some(k + 1), Some(k + 1)),
                    "{text}"
                );
            }
        }
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
