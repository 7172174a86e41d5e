//! Id columns read straight from a Parquet file's dictionary pages.
//!
//! A Parquet writer stores a text column with few distinct values (user and item ids) as a
//! dictionary per row group plus, per row, an index into it (Apache Parquet format,
//! "Dictionary Encoding"). polars turns that back into one string per row, and recaudit then
//! hashes every row's string to find its dense index. Reading the indices instead costs one
//! lookup per dictionary entry and an array read per row, and the text of the rows is never in
//! memory.
//!
//! The fast path only takes what it fully understands: a flat UTF-8 byte-array column, every
//! data page dictionary-encoded, no empty values. Anything else (a `PLAIN` page after the
//! dictionary grew too large, a null, an integer id column, a damaged page, a footer whose
//! counts its file cannot hold, a panic inside the page decoders) returns `None`, and the caller
//! reads the file through polars, with the messages of that reading.

use std::fs::File;
use std::io::Cursor;
use std::ops::Range;
use std::path::Path;

use polars_buffer::Buffer;
use polars_parquet::parquet::encoding::hybrid_rle::{HybridRleChunk, HybridRleDecoder};
use polars_parquet::parquet::encoding::Encoding;
use polars_parquet::parquet::metadata::{ColumnChunkMetadata, FileMetadata};
use polars_parquet::parquet::page::{split_buffer, DataPage};
use polars_parquet::parquet::read::{read_metadata, BasicDecompressor, PageReader};
use polars_parquet::parquet::schema::types::{
    PhysicalType, PrimitiveConvertedType, PrimitiveLogicalType,
};
use rayon::prelude::*;

use super::vocab::{Vocab, UNKNOWN};

/// An id column as stored: each row's index into the dictionary of its row group.
#[derive(Debug, Default)]
pub struct DictColumn {
    /// Per row, the index of its id in its row group's dictionary.
    index: Vec<u32>,
    /// The row groups, in file order.
    groups: Vec<DictGroup>,
}

/// One row group's rows and dictionary.
#[derive(Debug, Default)]
struct DictGroup {
    rows: Range<usize>,
    /// The dictionary's ids, one after another; entry e is `text[ends[e - 1]..ends[e]]`.
    text: String,
    ends: Vec<usize>,
}

impl DictGroup {
    fn entry(&self, e: usize) -> &str {
        let start = if e == 0 { 0 } else { self.ends[e - 1] };
        &self.text[start..self.ends[e]]
    }

    fn len(&self) -> usize {
        self.ends.len()
    }
}

/// The user and item columns (`user`, `item`) of a Parquet table through their dictionaries, or
/// `None` when the file is not Parquet or either column cannot take the fast path.
pub fn read_id_pair(path: &Path, user: &str, item: &str) -> Option<(DictColumn, DictColumn)> {
    if super::table::Format::of(path).ok()? != super::table::Format::Parquet {
        return None;
    }
    let mut both = read_dict_columns(path, &[user, item])?;
    let items = both.pop()?;
    Some((both.pop()?, items))
}

/// Reads `columns` of the Parquet file at `path` through their dictionaries (row groups and
/// columns in parallel), or `None` when any of them cannot take the fast path.
pub fn read_dict_columns(path: &Path, columns: &[&str]) -> Option<Vec<DictColumn>> {
    super::files::guarded(|| read_dict_columns_unguarded(path, columns))
        .ok()
        .flatten()
}

/// [`read_dict_columns`] without its guard against panics.
fn read_dict_columns_unguarded(path: &Path, columns: &[&str]) -> Option<Vec<DictColumn>> {
    let meta = open_checked(path)?;
    let mut starts = Vec::with_capacity(meta.row_groups.len());
    let mut n_rows = 0;
    for rg in &meta.row_groups {
        starts.push(n_rows);
        n_rows += rg.num_rows();
    }
    // The chunk of every (column, row group), checked before anything is decoded.
    let mut chunks: Vec<Vec<&ColumnChunkMetadata>> = Vec::with_capacity(columns.len());
    for name in columns {
        let mut of_column = Vec::with_capacity(meta.row_groups.len());
        for rg in &meta.row_groups {
            let mut under = rg.columns_under_root_iter(name)?;
            let chunk = under.next()?;
            if under.next().is_some() || !is_flat_text(chunk) {
                return None;
            }
            of_column.push(chunk);
        }
        chunks.push(of_column);
    }
    // Every column's index array, cut into one slice per row group; a task per (column, row
    // group) fills its slice.
    let mut index: Vec<Vec<u32>> = columns
        .iter()
        .map(|_| zeroed(n_rows))
        .collect::<Option<_>>()?;
    let mut tasks: Vec<(&ColumnChunkMetadata, usize, &mut [u32])> = Vec::new();
    for (of_column, idx) in chunks.iter().zip(index.iter_mut()) {
        let mut rest: &mut [u32] = idx;
        for ((&chunk, &start), rg) in of_column.iter().zip(&starts).zip(&meta.row_groups) {
            let (head, tail) = rest.split_at_mut(rg.num_rows());
            tasks.push((chunk, start, head));
            rest = tail;
        }
    }
    let mapped = map_file(path)?;
    let groups: Vec<Option<DictGroup>> = tasks
        .into_par_iter()
        .map(|(chunk, start, out)| {
            let mut group = decode_chunk(&mapped, chunk, out)?;
            group.rows = start..start + out.len();
            Some(group)
        })
        .collect();
    let mut groups = groups.into_iter();
    index
        .into_iter()
        .map(|index| {
            Some(DictColumn {
                index,
                groups: groups
                    .by_ref()
                    .take(starts.len())
                    .collect::<Option<Vec<_>>>()?,
            })
        })
        .collect()
}

/// `n` zeros, or `None` when no allocation can hold them. `n` comes from a footer (checked against
/// its file's size, but it may still be forged), and a failed allocation would abort the process.
fn zeroed(n: usize) -> Option<Vec<u32>> {
    // The probe reserves without writing (no page is touched); `vec!` then asks for zeroed
    // memory, which large blocks get from fresh pages without a pass of writes.
    Vec::<u32>::new().try_reserve_exact(n).ok()?;
    Some(vec![0u32; n])
}

/// The Parquet footer of the regular file at `path`, `None` unless the footer is plausible for
/// the file's size ([`footer_problem`](super::files::footer_problem)): the row counts size the
/// allocations of the readers.
pub(super) fn open_checked(path: &Path) -> Option<FileMetadata> {
    let info = std::fs::metadata(path).ok()?;
    if !info.is_file() {
        return None;
    }
    let meta = read_metadata(&mut &File::open(path).ok()?).ok()?;
    super::files::footer_problem(&meta, info.len())
        .is_none()
        .then_some(meta)
}

/// The first column of the Parquet file at `path` whose type the reader behind polars cannot
/// read (decimals: polars is built without them), with that type, e.g. `("rank",
/// "decimal(10, 0)")`; `None` when every column's type is readable or the footer cannot be read.
/// It names the column when a read fails (the reader itself says only that it failed).
pub(super) fn unreadable_column(path: &Path) -> Option<(String, String)> {
    let meta = open_checked(path)?;
    meta.schema().columns().iter().find_map(|c| {
        let t = &c.descriptor.primitive_type;
        let decimal = match (t.logical_type, t.converted_type) {
            (Some(PrimitiveLogicalType::Decimal(p, s)), _)
            | (_, Some(PrimitiveConvertedType::Decimal(p, s))) => Some((p, s)),
            _ => None,
        };
        decimal.map(|(p, s)| (c.path_in_schema.join("."), format!("decimal({p}, {s})")))
    })
}

/// The Parquet file at `path` mapped into memory (as polars' own reader maps it), or `None`.
///
/// A column chunk is then read where the page cache holds it, instead of being copied into a
/// new buffer: on this project's VM a fresh page costs far more than the copy (zeroing the pages
/// of those buffers takes a fifth of the time of reading the history's timestamps).
pub(super) fn map_file(path: &Path) -> Option<Buffer<u8>> {
    let file = File::open(path).ok()?;
    // SAFETY: the map is only read. As for polars' reader, a file changed by another process
    // while it is read is outside the contract (it may give wrong values or a SIGBUS).
    let map = unsafe { memmap2::Mmap::map(&file) }.ok()?;
    Some(Buffer::from_owner(map))
}

/// The decompressed pages of `chunk` in the mapped `file`, or `None` when its byte range is
/// outside the file.
pub(super) fn chunk_pages(
    file: &Buffer<u8>,
    chunk: &ColumnChunkMetadata,
) -> Option<BasicDecompressor> {
    let range = chunk.byte_range();
    let (start, end) = (
        usize::try_from(range.start).ok()?,
        usize::try_from(range.end).ok()?,
    );
    if start > end || end > file.len() {
        return None;
    }
    let reader = PageReader::new(
        Cursor::new(file.clone().sliced(start..end)),
        chunk,
        Vec::new(),
        usize::MAX,
    );
    Some(BasicDecompressor::new(reader, Vec::new()))
}

/// Hands back the mapped pages of `chunk` in the mapped `file` once the chunk is decoded. They
/// are the file's pages (the page cache keeps them, and a later read maps them again), but while
/// mapped they count in the process's resident memory: without this, every page read so far
/// (0.9 GB at the end of a 100M-row reading, its peak). Pages shared with the chunks beside it
/// are left mapped.
pub(super) fn release_chunk(file: &Buffer<u8>, chunk: &ColumnChunkMetadata) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: sysconf only reads a system setting.
        let page = match unsafe { libc::sysconf(libc::_SC_PAGESIZE) } {
            n if n > 0 => n as usize,
            _ => return,
        };
        let range = chunk.byte_range();
        let (Ok(start), Ok(end)) = (usize::try_from(range.start), usize::try_from(range.end))
        else {
            return;
        };
        if start >= end || end > file.len() {
            return;
        }
        let base = file.as_ptr() as usize;
        let (first, last) = (
            (base + start).next_multiple_of(page),
            (base + end) / page * page,
        );
        if first < last {
            // SAFETY: whole pages inside the file's read-only shared mapping, which `file` keeps
            // alive; for such a mapping MADV_DONTNEED only unmaps the pages from this process
            // (their contents stay the file's), so nothing that reads them sees a change.
            unsafe {
                libc::madvise(
                    first as *mut libc::c_void,
                    last - first,
                    libc::MADV_DONTNEED,
                );
            }
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = (file, chunk);
}

/// Whether `chunk` is a top-level, non-repeated, at most nullable UTF-8 byte-array column.
fn is_flat_text(chunk: &ColumnChunkMetadata) -> bool {
    let d = &chunk.descriptor().descriptor;
    let t = &d.primitive_type;
    t.physical_type == PhysicalType::ByteArray
        && d.max_rep_level == 0
        && d.max_def_level <= 1
        && (matches!(t.logical_type, Some(PrimitiveLogicalType::String))
            || matches!(t.converted_type, Some(PrimitiveConvertedType::Utf8)))
}

/// Decodes one column chunk: its dictionary, and each row's index into `out` (one slot per
/// row). `None` when a page is not dictionary-encoded, a value is null, or anything is
/// inconsistent.
fn decode_chunk(
    file: &Buffer<u8>,
    chunk: &ColumnChunkMetadata,
    out: &mut [u32],
) -> Option<DictGroup> {
    let mut pages = chunk_pages(file, chunk)?;
    let dict = pages.read_dict_page().ok()??;
    let group = parse_plain_dictionary(&dict.buffer, dict.num_values)?;
    let mut filled = 0;
    while let Some(item) = pages.next() {
        let page = item.ok()?.decompress(&mut pages).ok()?;
        // A page may not claim more values than its row group has rows left.
        let n = page.num_values();
        if n > out.len() - filled {
            return None;
        }
        decode_page(&page, group.len(), &mut out[filled..filled + n])?;
        filled += n;
        pages.reuse_page_buffer(page);
    }
    release_chunk(file, chunk);
    (filled == out.len()).then_some(group)
}

/// The entries of a `PLAIN` byte-array dictionary page: each a 4-byte little-endian length and
/// the bytes. `None` unless there are exactly `n` valid UTF-8 entries.
fn parse_plain_dictionary(buf: &[u8], n: usize) -> Option<DictGroup> {
    // Each entry takes at least its 4-byte length: a page claiming more entries is damaged, and
    // the claim must not size the allocations.
    if n > buf.len() / 4 {
        return None;
    }
    let mut group = DictGroup {
        rows: 0..0,
        text: String::with_capacity(buf.len() - 4 * n),
        ends: Vec::with_capacity(n),
    };
    let mut rest = buf;
    for _ in 0..n {
        let (len, tail) = rest.split_first_chunk::<4>()?;
        let len = u32::from_le_bytes(*len) as usize;
        let (entry, tail) = (tail.get(..len)?, tail.get(len..)?);
        group.text.push_str(std::str::from_utf8(entry).ok()?);
        group.ends.push(group.text.len());
        rest = tail;
    }
    rest.is_empty().then_some(group)
}

/// Writes the dictionary indices of one data page into `index`, one per value of the page.
/// `None` when the page is not dictionary-encoded, holds a null, holds another number of values
/// than `index` has slots, or an index is outside the dictionary (`dict_len`).
fn decode_page(page: &DataPage, dict_len: usize, index: &mut [u32]) -> Option<()> {
    if !matches!(
        page.encoding(),
        Encoding::RleDictionary | Encoding::PlainDictionary
    ) {
        return None;
    }
    let n = page.num_values();
    let split = split_buffer(page).ok()?;
    if page.descriptor.max_def_level > 0 && !all_defined(split.def, n)? {
        return None;
    }
    let (&bit_width, values) = split.values.split_first()?;
    if bit_width > 32 {
        return None;
    }
    if index.len() != n {
        return None;
    }
    // Runs and bit-packed blocks of 32 values are written straight into their rows.
    let mut filled = 0;
    let decoder = HybridRleDecoder::new(values, u32::from(bit_width), n);
    for chunk in decoder.into_chunk_iter() {
        match chunk.ok()? {
            HybridRleChunk::Rle(value, size) => {
                index.get_mut(filled..filled + size)?.fill(value);
                filled += size;
            }
            HybridRleChunk::Bitpacked(mut d) => {
                let mut chunks = d.chunked();
                let mut block = [0u32; 32];
                while let Some(len) = chunks.next_into(&mut block) {
                    index
                        .get_mut(filled..filled + len)?
                        .copy_from_slice(&block[..len]);
                    filled += len;
                }
            }
        }
    }
    (filled == n && index.iter().all(|&i| (i as usize) < dict_len)).then_some(())
}

/// Whether every one of `n` definition levels (bit width 1) is 1: no null.
pub(super) fn all_defined(def: &[u8], n: usize) -> Option<bool> {
    let mut seen = 0;
    let mut scratch = Vec::new();
    for chunk in HybridRleDecoder::new(def, 1, n).into_chunk_iter() {
        match chunk.ok()? {
            HybridRleChunk::Rle(value, size) => {
                if value != 1 {
                    return Some(false);
                }
                seen += size;
            }
            HybridRleChunk::Bitpacked(d) => {
                scratch.clear();
                d.collect_into(&mut scratch);
                if scratch.iter().any(|&v| v != 1) {
                    return Some(false);
                }
                seen += scratch.len();
            }
        }
    }
    Some(seen == n)
}

impl DictColumn {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.index.len()
    }

    /// Entries of all the row groups' dictionaries (at least the number of distinct ids).
    pub fn dictionary_entries(&self) -> usize {
        self.groups.iter().map(DictGroup::len).sum()
    }

    /// The code of every row, in place of its dictionary index: `known(state, memo, id)` for each
    /// dictionary entry (on all cores, entries in order within a task, each task with its own
    /// `memo`, e.g. a [`Memo`](super::vocab::Memo) when the entries follow the vocabulary's
    /// order; [`UNKNOWN`] when it has none), and for a row whose entry is unknown,
    /// `unknown(state, row, id)` in row order, whose code is remembered for the entry's later
    /// rows unless it is [`UNKNOWN`]. Interning in `unknown` therefore gives the codes of one
    /// sequential pass over the rows.
    pub fn into_codes<S: Sync, M: Default>(
        self,
        state: &mut S,
        known: impl Fn(&S, &mut M, &str) -> u32 + Sync,
        mut unknown: impl FnMut(&mut S, usize, &str) -> u32,
    ) -> Vec<u32> {
        let DictColumn { mut index, groups } = self;
        for g in &groups {
            let mut code_of: Vec<u32> = (0..g.len())
                .into_par_iter()
                .map_init(M::default, |memo, e| known(state, memo, g.entry(e)))
                .collect();
            let rows = &mut index[g.rows.clone()];
            if code_of.contains(&UNKNOWN) {
                for (r, i) in rows.iter_mut().enumerate() {
                    let e = *i as usize;
                    let mut code = code_of[e];
                    if code == UNKNOWN {
                        code = unknown(state, g.rows.start + r, g.entry(e));
                        code_of[e] = code;
                    }
                    *i = code;
                }
            } else {
                rows.par_chunks_mut(1 << 16)
                    .for_each(|c| c.iter_mut().for_each(|i| *i = code_of[*i as usize]));
            }
        }
        index
    }

    /// The vocabulary index of every row, adding new ids to `vocab` in row order (the indices of
    /// one sequential pass of [`Vocab::intern`]).
    pub fn encode(self, vocab: &mut Vocab) -> Vec<u32> {
        if vocab.is_empty() {
            // A new vocabulary (the users of the recommendations): nothing to look up first,
            // every entry is interned at its first row.
            vocab.reserve(self.dictionary_entries());
            return self.into_codes(vocab, |_, _: &mut (), _| UNKNOWN, |v, _, id| v.intern(id));
        }
        self.into_codes(
            vocab,
            |v, _: &mut (), id| v.get(id).unwrap_or(UNKNOWN),
            |v, _, id| v.intern(id),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    use crate::input::test_files::parquet_in as write;

    /// The ids of every row as polars reads them.
    fn polars_ids(path: &Path, column: &str) -> Vec<String> {
        let df = LazyFrame::scan_parquet(
            PlRefPath::new(path.to_string_lossy().as_ref()),
            ScanArgsParquet::default(),
        )
        .unwrap()
        .collect()
        .unwrap();
        df.column(column)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|s| s.unwrap().to_string())
            .collect()
    }

    /// The ids of every row through the dictionaries (codes = first-appearance order).
    fn dict_ids(path: &Path, columns: &[&str]) -> Option<Vec<Vec<String>>> {
        let cols = read_dict_columns(path, columns)?;
        Some(
            cols.into_iter()
                .map(|c| {
                    let mut seen: Vec<String> = Vec::new();
                    let codes = c.into_codes(
                        &mut (),
                        |_, _: &mut (), _| UNKNOWN,
                        |_, _, id| {
                            seen.push(id.to_string());
                            seen.len() as u32 - 1
                        },
                    );
                    codes.iter().map(|&k| seen[k as usize].clone()).collect()
                })
                .collect(),
        )
    }

    #[test]
    fn dictionary_ids_equal_what_polars_reads() {
        let dir = tempfile::tempdir().unwrap();
        let n = 10_000;
        // Users in runs (grouped), items cycling through 97 values, some long, some non-ASCII.
        let users: Vec<String> = (0..n).map(|r| format!("user-{}", r / 7)).collect();
        let items: Vec<String> = (0..n)
            .map(|r| match r % 97 {
                0 => "an item id much longer than twelve bytes".to_string(),
                1 => "é✓".to_string(),
                k => format!("i{k}"),
            })
            .collect();
        let mut df =
            df!("user" => &users, "item" => &items, "x" => (0..n as i64).collect::<Vec<_>>())
                .unwrap();
        for group_rows in [n, 3_000, 1_024] {
            let path = write(dir.path(), &mut df, group_rows);
            let got = dict_ids(&path, &["user", "item"]).expect("dictionary-encoded");
            assert_eq!(got[0], polars_ids(&path, "user"));
            assert_eq!(got[1], polars_ids(&path, "item"));
            assert_eq!(got[1], items);
        }
    }

    #[test]
    fn codes_follow_first_appearance_and_known_ids() {
        let dir = tempfile::tempdir().unwrap();
        let mut df = df!("id" => ["b", "a", "b", "c", "a", "d"]).unwrap();
        let path = write(dir.path(), &mut df, 4);
        let col = read_dict_columns(&path, &["id"]).unwrap().pop().unwrap();
        // "a" is known as 100; the others are numbered in order of first appearance, and
        // "c" is left unknown (its rows stay UNKNOWN and are asked about again).
        let mut asked = Vec::new();
        let mut next = 0;
        let codes = col.into_codes(
            &mut (),
            |_, _: &mut (), id| if id == "a" { 100 } else { UNKNOWN },
            |_, row, id| {
                asked.push((row, id.to_string()));
                if id == "c" {
                    return UNKNOWN;
                }
                next += 1;
                next
            },
        );
        assert_eq!(codes, [1, 100, 1, UNKNOWN, 100, 2]);
        assert_eq!(
            asked,
            [
                (0, "b".to_string()),
                (3, "c".to_string()),
                (5, "d".to_string())
            ]
        );
    }

    #[test]
    fn columns_the_fast_path_does_not_take_fall_back() {
        let dir = tempfile::tempdir().unwrap();
        // A null id: polars must report it.
        let mut df = df!("id" => [Some("a"), None, Some("b")]).unwrap();
        let path = write(dir.path(), &mut df, 10);
        assert!(read_dict_columns(&path, &["id"]).is_none());
        // Integer ids.
        let mut df = df!("id" => [1i64, 2, 1]).unwrap();
        let path = write(dir.path(), &mut df, 10);
        assert!(read_dict_columns(&path, &["id"]).is_none());
        // A missing column, and a file that is not Parquet.
        let mut df = df!("id" => ["a", "b"]).unwrap();
        let path = write(dir.path(), &mut df, 10);
        assert!(read_dict_columns(&path, &["other"]).is_none());
        let csv = dir.path().join("t.csv");
        std::fs::write(&csv, "id\na\n").unwrap();
        assert!(read_dict_columns(&csv, &["id"]).is_none());
    }
}
