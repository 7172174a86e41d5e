//! A number column read straight from a Parquet file's pages, row group by row group on all cores.
//!
//! The history's time-order check needs each row's timestamp once, in row order. polars decodes
//! the column into a new array first (160 MB for 20M rows, one chunk of rows after another, the
//! pages of a chunk on the cores its executor has). Here each row group is decoded page by page
//! into a small reused buffer and handed on at once, the row groups in parallel, so the values are
//! never all in memory.
//!
//! The fast path only takes what it fully understands: a flat `INT32`, `INT64` or `DOUBLE` column
//! with no logical type other than a signed integer (so not a date, time, timestamp, decimal or
//! unsigned integer), `PLAIN` or dictionary-encoded pages, no empty values, and a footer whose
//! counts its file can hold. Anything else (or a panic inside the page decoders) returns `None`,
//! and the caller reads the column through polars. Values are given as `f64` (`x as f64`),
//! as [`InputTable::all_numbers`](super::table::InputTable::all_numbers) gives them.

use polars_buffer::Buffer;
use polars_parquet::parquet::encoding::hybrid_rle::{HybridRleChunk, HybridRleDecoder};
use polars_parquet::parquet::encoding::Encoding;
use polars_parquet::parquet::metadata::ColumnChunkMetadata;
use polars_parquet::parquet::page::{split_buffer, DataPage};
use polars_parquet::parquet::schema::types::{
    IntegerType, PhysicalType, PrimitiveConvertedType, PrimitiveLogicalType,
};
use rayon::prelude::*;

use super::parquet_ids::{all_defined, chunk_pages, map_file, open_checked};
use std::path::Path;

/// Visits every value of the number column `column` of the Parquet file at `path`, row groups in
/// parallel: for each row group, `state = init()`, then `each(&mut state, first_row, values)` for
/// consecutive pieces of its values in row order (`first_row` is the file row of `values[0]`).
/// The states are handed to `merge` in file order, a few row groups (twice the threads) at a
/// time, so that only theirs are held at once; reading stops early when `merge` returns `false`.
///
/// `None` when the column cannot take this path (the file is not Parquet, the column is missing
/// or of another type, a value is empty, a page is damaged): then `merge` may have seen some
/// row groups, and the caller starts over through polars.
pub fn fold_row_groups<S: Send>(
    path: &Path,
    column: &str,
    init: impl Fn() -> S + Sync,
    each: impl Fn(&mut S, usize, &[f64]) + Sync,
    merge: impl FnMut(S) -> bool,
) -> Option<()> {
    super::files::guarded(|| fold_row_groups_unguarded(path, column, init, each, merge))
        .ok()
        .flatten()
}

/// [`fold_row_groups`] without its guard against panics.
fn fold_row_groups_unguarded<S: Send>(
    path: &Path,
    column: &str,
    init: impl Fn() -> S + Sync,
    each: impl Fn(&mut S, usize, &[f64]) + Sync,
    mut merge: impl FnMut(S) -> bool,
) -> Option<()> {
    let meta = open_checked(path)?;
    let mut tasks = Vec::with_capacity(meta.row_groups.len());
    let mut first_row = 0;
    for rg in &meta.row_groups {
        let mut under = rg.columns_under_root_iter(column)?;
        let chunk = under.next()?;
        if under.next().is_some() {
            return None;
        }
        let kind = NumberKind::of(chunk)?;
        tasks.push((chunk, kind, first_row, rg.num_rows()));
        first_row += rg.num_rows();
    }
    let mapped = map_file(path)?;
    for batch in tasks.chunks(2 * rayon::current_num_threads()) {
        let states: Vec<Option<S>> = batch
            .par_iter()
            .map(|&(chunk, kind, first_row, n_rows)| {
                let mut state = init();
                let decoded = decode_chunk(&mapped, chunk, kind, n_rows, |row, values| {
                    each(&mut state, first_row + row, values)
                })?;
                (decoded == n_rows).then_some(state)
            })
            .collect();
        for state in states {
            if !merge(state?) {
                return Some(());
            }
        }
    }
    Some(())
}

/// The physical types read, each value's bytes and how they become an `f64`.
#[derive(Debug, Clone, Copy)]
enum NumberKind {
    Int32,
    Int64,
    Double,
}

impl NumberKind {
    /// The kind of a flat, non-repeated column chunk with no logical type but a signed integer.
    fn of(chunk: &ColumnChunkMetadata) -> Option<NumberKind> {
        let d = &chunk.descriptor().descriptor;
        let t = &d.primitive_type;
        if d.max_rep_level != 0 || d.max_def_level > 1 {
            return None;
        }
        let signed_logical = match t.logical_type {
            None => true,
            Some(PrimitiveLogicalType::Integer(i)) => matches!(
                i,
                IntegerType::Int8 | IntegerType::Int16 | IntegerType::Int32 | IntegerType::Int64
            ),
            Some(_) => false,
        };
        let signed_converted = match t.converted_type {
            None => true,
            Some(c) => matches!(
                c,
                PrimitiveConvertedType::Int8
                    | PrimitiveConvertedType::Int16
                    | PrimitiveConvertedType::Int32
                    | PrimitiveConvertedType::Int64
            ),
        };
        match t.physical_type {
            _ if !(signed_logical && signed_converted) => None,
            PhysicalType::Int32 => Some(NumberKind::Int32),
            PhysicalType::Int64 => Some(NumberKind::Int64),
            PhysicalType::Double if t.logical_type.is_none() && t.converted_type.is_none() => {
                Some(NumberKind::Double)
            }
            _ => None,
        }
    }

    /// Bytes per `PLAIN` value.
    fn width(self) -> usize {
        match self {
            NumberKind::Int32 => 4,
            NumberKind::Int64 | NumberKind::Double => 8,
        }
    }

    /// The values of a `PLAIN` buffer, appended to `out`; `None` unless it holds exactly `n`.
    fn plain(self, buf: &[u8], n: usize, out: &mut Vec<f64>) -> Option<()> {
        if n.checked_mul(self.width()) != Some(buf.len()) {
            return None;
        }
        match self {
            NumberKind::Int32 => out.extend(
                buf.chunks_exact(4)
                    .map(|b| f64::from(i32::from_le_bytes(b.try_into().expect("4 bytes")))),
            ),
            NumberKind::Int64 => out.extend(
                buf.chunks_exact(8)
                    .map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes")) as f64),
            ),
            NumberKind::Double => out.extend(
                buf.chunks_exact(8)
                    .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes"))),
            ),
        }
        Some(())
    }
}

/// Decodes one column chunk of `n_rows` rows page by page, calling `each(row in the chunk,
/// values)` per page. Returns the number of values, or `None` on anything unexpected (a page
/// claiming more values than the rows left among them).
fn decode_chunk(
    file: &Buffer<u8>,
    chunk: &ColumnChunkMetadata,
    kind: NumberKind,
    n_rows: usize,
    mut each: impl FnMut(usize, &[f64]),
) -> Option<usize> {
    let mut pages = chunk_pages(file, chunk)?;
    let dictionary = match pages.read_dict_page().ok()? {
        Some(page) => {
            // Sized by `plain` from the page's bytes, not from the count the page claims.
            let mut values = Vec::new();
            kind.plain(&page.buffer, page.num_values, &mut values)?;
            Some(values)
        }
        None => None,
    };
    let (mut rows, mut values, mut index) = (0, Vec::new(), Vec::new());
    while let Some(item) = pages.next() {
        let page = item.ok()?.decompress(&mut pages).ok()?;
        if page.num_values() > n_rows - rows {
            return None;
        }
        values.clear();
        decode_page(&page, kind, dictionary.as_deref(), &mut index, &mut values)?;
        each(rows, &values);
        rows += values.len();
        pages.reuse_page_buffer(page);
    }
    super::parquet_ids::release_chunk(file, chunk);
    Some(rows)
}

/// Appends the values of one data page to `values` (`index` is scratch space for dictionary
/// indices). `None` when the page holds an empty value, is neither `PLAIN` nor dictionary-encoded
/// against `dictionary`, or an index is outside the dictionary.
fn decode_page(
    page: &DataPage,
    kind: NumberKind,
    dictionary: Option<&[f64]>,
    index: &mut Vec<u32>,
    values: &mut Vec<f64>,
) -> Option<()> {
    let n = page.num_values();
    let split = split_buffer(page).ok()?;
    if page.descriptor.max_def_level > 0 && !all_defined(split.def, n)? {
        return None;
    }
    match (page.encoding(), dictionary) {
        (Encoding::Plain, _) => kind.plain(split.values, n, values),
        (Encoding::RleDictionary | Encoding::PlainDictionary, Some(dict)) => {
            let (&bit_width, encoded) = split.values.split_first()?;
            if bit_width > 32 {
                return None;
            }
            index.clear();
            for chunk in HybridRleDecoder::new(encoded, u32::from(bit_width), n).into_chunk_iter() {
                match chunk.ok()? {
                    HybridRleChunk::Rle(value, size) => index.resize(index.len() + size, value),
                    HybridRleChunk::Bitpacked(d) => d.collect_into(index),
                }
            }
            if index.len() != n || index.iter().any(|&i| i as usize >= dict.len()) {
                return None;
            }
            values.extend(index.iter().map(|&i| dict[i as usize]));
            Some(())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;
    use polars_parquet::parquet::read::read_metadata;
    use std::fs::File;

    use crate::input::test_files::parquet_in as write;

    /// Every value with its file row, in row order, through `fold_row_groups`.
    fn values_of(path: &Path, column: &str) -> Option<Vec<(usize, f64)>> {
        let mut all = Vec::new();
        fold_row_groups(
            path,
            column,
            Vec::new,
            |seen, first, values| {
                seen.extend(values.iter().enumerate().map(|(k, &x)| (first + k, x)));
            },
            |seen| {
                all.extend(seen);
                true
            },
        )?;
        Some(all)
    }

    #[test]
    fn number_columns_give_every_value_in_row_order() {
        let dir = tempfile::tempdir().unwrap();
        // Few distinct values (dictionary pages) and many (plain pages), over 3 row groups.
        let n = 10_000;
        let repeated: Vec<i64> = (0..n).map(|r| (r % 7) * 1_000_000_007 - 3).collect();
        let distinct: Vec<i64> = (0..n).map(|r| r * r - 5_000).collect();
        let small: Vec<i32> = (0..n as i32).map(|r| r % 5 - 2).collect();
        let real: Vec<f64> = (0..n).map(|r| r as f64 / 3.0 - 7.5).collect();
        let mut df = df!(
            "repeated" => &repeated,
            "distinct" => &distinct,
            "small" => &small,
            "real" => &real,
        )
        .unwrap();
        let path = write(dir.path(), &mut df, 2_600);
        // Both page kinds are read: "repeated" has dictionaries, "distinct" none.
        let meta = read_metadata(&mut &File::open(&path).unwrap()).unwrap();
        assert!(meta.row_groups.len() > 1);
        for rg in &meta.row_groups {
            let dict = |c: &str| {
                let chunk = rg.columns_under_root_iter(c).unwrap().next().unwrap();
                chunk.dictionary_page_offset().is_some()
            };
            assert!(dict("repeated") && dict("small") && !dict("distinct") && !dict("real"));
        }
        let expect = |xs: Vec<f64>| Some(xs.into_iter().enumerate().collect::<Vec<_>>());
        assert_eq!(
            values_of(&path, "repeated"),
            expect(repeated.iter().map(|&x| x as f64).collect())
        );
        assert_eq!(
            values_of(&path, "distinct"),
            expect(distinct.iter().map(|&x| x as f64).collect())
        );
        assert_eq!(
            values_of(&path, "small"),
            expect(small.iter().map(|&x| f64::from(x)).collect())
        );
        assert_eq!(values_of(&path, "real"), expect(real));
    }

    #[test]
    fn merging_stops_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let mut df = df!("x" => (0..100i64).collect::<Vec<_>>()).unwrap();
        let path = write(dir.path(), &mut df, 10);
        let mut merged = 0;
        let done = fold_row_groups(
            &path,
            "x",
            || (),
            |_, _, _| {},
            |()| {
                merged += 1;
                merged < 3
            },
        );
        assert_eq!((done, merged), (Some(()), 3));
    }

    #[test]
    fn other_columns_are_left_to_polars() {
        let dir = tempfile::tempdir().unwrap();
        let mut df = df!(
            "with_null" => &[Some(1i64), None, Some(3)],
            "text" => &["1", "2", "3"],
            "unsigned" => &[1u32, 2, 3],
            "day" => &[1i32, 2, 3],
        )
        .unwrap();
        df.apply("day", |s| s.cast(&DataType::Date).unwrap())
            .unwrap();
        let path = write(dir.path(), &mut df, 2);
        for column in ["with_null", "text", "unsigned", "day", "absent"] {
            assert_eq!(values_of(&path, column), None, "{column}");
        }
        let csv = dir.path().join("t.csv");
        std::fs::write(&csv, "x\n1\n").unwrap();
        assert_eq!(values_of(&csv, "x"), None);
    }
}
