//! What keeps a hostile input file from hanging, aborting or crashing the process: the file type
//! is checked before anything opens the file, a Parquet footer's counts are checked against the
//! file size before anything is allocated from them, and a panic inside the readers (polars) is
//! caught and reported as an error naming the file.

use std::fs::{self, File};
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

use polars_parquet::parquet::metadata::FileMetadata;
use polars_parquet::parquet::page::CompressedPage;
use polars_parquet::parquet::read::{read_metadata, PageReader};

use crate::error::{Error, Result};

/// The most rows a table may have: rows are numbered with 32-bit integers (and polars, as built
/// here, reads at most this many).
pub const MAX_ROWS: u64 = u32::MAX as u64;

/// The most rows a Parquet file may claim per byte of its size. polars writes at most about 2,600
/// (measured: 10M rows of one constant text column in one row group take 3,821 bytes; three
/// columns of ids and ranks, a few bytes a row). A footer that claims more than its file can
/// hold is damaged or forged, and the readers would size their allocations from it.
pub const MAX_ROWS_PER_BYTE: u64 = 1 << 14;

/// Checks that `path` names a regular, non-empty file (symbolic links followed) and returns its
/// size (0 for a frame held in memory under `path`). Run before the file is opened: opening a named pipe blocks until a writer comes, and a
/// device such as `/dev/zero` never ends.
pub fn check_file(path: &Path, table: &'static str) -> Result<u64> {
    if super::memory::holds(path) {
        // A frame in memory ([`super::memory`]) is no file and has no size in bytes; a frame
        // without rows is reported by the readers, as a table without rows.
        return Ok(0);
    }
    let fail = |message: String| Error::Read {
        path: path.to_path_buf(),
        table,
        message,
    };
    let meta = match fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) => {
            let is_link = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
            return Err(fail(match e.kind() {
                std::io::ErrorKind::NotFound if is_link => format!(
                    "it is a symbolic link to `{}`, which does not exist",
                    fs::read_link(path).unwrap_or_default().display()
                ),
                std::io::ErrorKind::NotFound => "no such file".into(),
                _ if is_link => format!(
                    "it is a symbolic link that cannot be followed ({e}); does it point back to \
                     itself (a symlink loop)?"
                ),
                std::io::ErrorKind::PermissionDenied => "permission denied".into(),
                _ => e.to_string(),
            }));
        }
    };
    let kind = meta.file_type();
    if kind.is_dir() {
        return Err(fail(
            "it is a directory; expected a CSV or Parquet file".into(),
        ));
    }
    if !kind.is_file() {
        return Err(fail(format!(
            "it is {}, not a regular file; recaudit reads a table more than once, so it needs a \
             file on disk",
            special_file_kind(&kind)
        )));
    }
    if meta.len() == 0 {
        return Err(Error::BadTable {
            path: path.to_path_buf(),
            message: format!(
                "the file is empty (0 bytes); the {table} table needs at least a header line \
                 (CSV) or a Parquet footer"
            ),
        });
    }
    Ok(meta.len())
}

/// The size in bytes and the SHA-256 (lower-case hex) of the file at `path`, read in one
/// streaming pass of 64 KiB blocks. The file is checked first ([`check_file`]) so that a named
/// pipe or a device cannot hang the pass; `table` names the file in errors.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("abc.csv");
/// std::fs::write(&path, "abc").unwrap();
/// let (bytes, sha) = recaudit::input::files::sha256_file(&path, "users").unwrap();
/// assert_eq!(bytes, 3);
/// assert_eq!(sha, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
/// ```
pub fn sha256_file(path: &Path, table: &'static str) -> Result<(u64, String)> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let fail = |e: std::io::Error| Error::Read {
        path: path.to_path_buf(),
        table,
        message: format!("cannot read it to compute its SHA-256: {e}"),
    };
    check_file(path, table)?;
    let mut file = File::open(path).map_err(fail)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(fail(e)),
        };
        hasher.update(&buf[..n]);
        bytes += n as u64;
    }
    Ok((bytes, hex(&hasher.finalize())))
}

/// The SHA-256 of `bytes` in lower-case hex (a file already in memory, such as the policy).
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex(&Sha256::digest(bytes))
}

/// `bytes` as lower-case hexadecimal, two digits per byte.
fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = std::fmt::Write::write_fmt(&mut s, format_args!("{b:02x}"));
    }
    s
}

/// The largest settings, policy or audit.json file recaudit reads (1 GiB).
pub const MAX_TEXT_FILE: u64 = 1 << 30;

/// Reads a small text file (settings, policy, audit.json): a regular file of at most
/// [`MAX_TEXT_FILE`] bytes, checked before it is opened, so that a named pipe or a device cannot
/// hang the run. The error is the reason in words, for the caller to put after the path.
pub fn read_text_file(path: &Path) -> std::result::Result<String, String> {
    let meta = fs::metadata(path).map_err(|e| {
        let is_link = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        match e.kind() {
            std::io::ErrorKind::NotFound if is_link => {
                "it is a symbolic link to a file that does not exist".to_string()
            }
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            _ if is_link => format!("it is a symbolic link that cannot be followed ({e})"),
            _ => e.to_string(),
        }
    })?;
    let kind = meta.file_type();
    if kind.is_dir() {
        return Err("it is a directory, not a file".into());
    }
    if !kind.is_file() {
        return Err(format!(
            "it is {}, not a regular file",
            special_file_kind(&kind)
        ));
    }
    if meta.len() > MAX_TEXT_FILE {
        return Err(format!(
            "it is {} bytes, more than the {MAX_TEXT_FILE} bytes such a file can have",
            meta.len()
        ));
    }
    let bytes = fs::read(path).map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "it is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// What a file that is neither a directory nor a regular file is, in words.
fn special_file_kind(kind: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if kind.is_char_device() {
            return "a character device (such as /dev/null or /dev/zero)";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    let _ = kind;
    "a special file"
}

/// Reads the footer of the Parquet file at `path` (of `len` bytes) and checks its counts against
/// the file ([`footer_problem`]), before polars or the page readers allocate anything from them.
pub fn check_parquet_footer(path: &Path, table: &'static str, len: u64) -> Result<()> {
    let damaged = |detail: String| Error::Read {
        path: path.to_path_buf(),
        table,
        message: format!("the file is damaged or is not a Parquet file: {detail}"),
    };
    let file = File::open(path).map_err(|e| damaged(e.to_string()))?;
    let meta = guarded(|| read_metadata(&mut &file))
        .map_err(&damaged)?
        .map_err(|e| damaged(e.to_string()))?;
    if let Some(problem) = footer_problem(&meta, len) {
        return Err(damaged(problem));
    }
    match page_problem(path, &meta) {
        Some(problem) => Err(damaged(problem)),
        None => Ok(()),
    }
}

/// What is wrong with the page headers of the Parquet file at `path`: a data page claiming more
/// values than its row group has rows (or a negative count), which polars would size a buffer
/// from (a count of −1 asked for 2^61 bytes and aborted the process). Columns of lists may hold
/// more values than rows; their pages are bounded by [`MAX_ROWS`]. Only the page headers are read.
fn page_problem(path: &Path, meta: &FileMetadata) -> Option<String> {
    let file = super::parquet_ids::map_file(path)?;
    for (g, group) in meta.row_groups.iter().enumerate() {
        let rows = group.num_rows() as u64;
        for chunk in group.parquet_columns() {
            let range = chunk.byte_range();
            let (start, end) = (range.start as usize, range.end as usize);
            if start > end || end > file.len() {
                return Some(format!("row group {g} has a column chunk outside the file"));
            }
            let flat = chunk.descriptor().descriptor.max_rep_level == 0;
            let bound = if flat { rows } else { MAX_ROWS };
            let pages = PageReader::new(
                std::io::Cursor::new(file.clone().sliced(start..end)),
                chunk,
                Vec::new(),
                usize::MAX,
            );
            let mut values = 0u64;
            // A page takes at least one byte: a header that does not move the reader on (a page
            // size of 0 or less) ends the walk instead of looping.
            for page in pages.take(end - start + 1) {
                let Ok(CompressedPage::Data(page)) = page else {
                    // Unreadable headers are polars' to report; dictionary pages hold no rows.
                    continue;
                };
                let n = page.num_values() as u64;
                values = values.saturating_add(n);
                if n > bound || values > bound {
                    return Some(format!(
                        "a page of column `{}` in row group {g} claims {} values, more than the \
                         row group's {rows} rows",
                        crate::text::visible(&chunk.descriptor().path_in_schema.join(".")),
                        page.num_values() as i64 as i32,
                    ));
                }
            }
        }
    }
    None
}

/// What is wrong with a Parquet footer, checked against the size of its file (`len` bytes):
/// a column chunk outside the file, a row count that is not the sum of its row groups', more rows
/// than [`MAX_ROWS`], or more than [`MAX_ROWS_PER_BYTE`] rows per byte. `None` when it is
/// plausible.
pub fn footer_problem(meta: &FileMetadata, len: u64) -> Option<String> {
    let mut rows: u64 = 0;
    for (g, rg) in meta.row_groups.iter().enumerate() {
        rows = rows.saturating_add(rg.num_rows() as u64);
        for chunk in rg.parquet_columns() {
            let range = chunk.byte_range();
            if range.start > range.end || range.end > len || chunk.num_values() < 0 {
                return Some(format!(
                    "row group {} of column `{}` lies outside the file's {len} bytes",
                    g + 1,
                    chunk.descriptor().path_in_schema.join(".")
                ));
            }
        }
    }
    if rows != meta.num_rows as u64 {
        return Some(format!(
            "the footer claims {} rows but its row groups hold {rows}",
            meta.num_rows
        ));
    }
    if rows > MAX_ROWS {
        return Some(format!(
            "the footer claims {rows} rows; recaudit reads at most {MAX_ROWS} rows per table"
        ));
    }
    if rows > len.saturating_mul(MAX_ROWS_PER_BYTE) {
        return Some(format!(
            "the footer claims {rows} rows, more than a file of {len} bytes can hold"
        ));
    }
    None
}

/// Read calls into polars under way ([`guarded`]); while there are any, the panic hook stays
/// quiet.
static GUARDED: AtomicUsize = AtomicUsize::new(0);
static QUIET_HOOK: Once = Once::new();

/// Runs `read` (a call into polars or its Parquet pages), returning the message of a panic inside
/// it (on this thread or on the threads it waits for) as an error instead of unwinding further.
/// Meanwhile the panic hook prints nothing: the caller reports the failure, naming the file.
pub fn guarded<T>(read: impl FnOnce() -> T) -> std::result::Result<T, String> {
    QUIET_HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if GUARDED.load(Ordering::SeqCst) == 0 {
                previous(info);
            }
        }));
    });
    GUARDED.fetch_add(1, Ordering::SeqCst);
    let result = panic::catch_unwind(AssertUnwindSafe(read));
    GUARDED.fetch_sub(1, Ordering::SeqCst);
    result.map_err(|payload| panic_message(payload.as_ref()))
}

/// The message of a panic payload (a `&str` or a `String`; anything else has none).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guarded_panic_is_its_message() {
        assert_eq!(guarded(|| 7), Ok(7));
        let err = guarded(|| -> u8 { panic!("bad page {}", 3) }).unwrap_err();
        assert_eq!(err, "bad page 3");
        // A panic on a thread the guarded call waits for comes back as well.
        let err = guarded(|| rayon::join(|| 1, || -> u8 { panic!("in a worker") })).unwrap_err();
        assert_eq!(err, "in a worker");
    }

    #[test]
    fn file_kinds_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let msg = |p: &Path| check_file(p, "users").unwrap_err().to_string();
        assert!(msg(dir.path()).ends_with("it is a directory; expected a CSV or Parquet file"));
        let empty = dir.path().join("e.csv");
        std::fs::write(&empty, "").unwrap();
        assert!(msg(&empty).contains("the file is empty (0 bytes)"));
        let full = dir.path().join("f.csv");
        std::fs::write(&full, "a\n1\n").unwrap();
        assert_eq!(check_file(&full, "users").unwrap(), 4);
        #[cfg(unix)]
        {
            let missing = dir.path().join("missing.csv");
            let link = dir.path().join("dangling.csv");
            std::os::unix::fs::symlink(&missing, &link).unwrap();
            assert!(
                msg(&link).contains("a symbolic link to `") && msg(&link).contains("missing.csv"),
                "{}",
                msg(&link)
            );
            assert!(msg(Path::new("/dev/null")).contains("a character device"));
        }
    }
}
