//! The audit of one-file-per-table input in bounded memory (`recaudit audit --partitions N`):
//! every table that holds users' rows is split by user into a partitioned folder (section 7's
//! layout, docs/scaling.md), streaming, and the folder is audited one partition at a time.
//!
//! Every row goes to partition `pmod(xxhash64(user id), n)` ([`partition_of_key`], the partition
//! a Spark job gives the user), the id as the loader reads it (a CSV field's text, a Parquet
//! integer's decimal text), so a user's rows of every table land in one partition, in the input's
//! order. A CSV table is split record by record (the `csv` crate: the fields' text is kept, the
//! loader reads every CSV column as text); a Parquet table row group by row group, each
//! partition's rows buffered up to a share of [`BUFFER_ROWS`] and appended as a row group through
//! polars' batched writer. Memory: one row group of the input, the buffers and the writers; the
//! folder takes about the input's size on disk. The items table is not split: the folder links
//! to it.

use std::fs::{self, File};
use std::io::BufReader;
use std::path::{Path, PathBuf};

use polars::io::parquet::write::BatchedWriter;
use polars::prelude::*;
use rayon::prelude::*;

use super::layout::PARTITIONED_TABLES;
use super::origin::in_input_terms;
use crate::data::{partition_of_key, ID_KEY_SEED};
use crate::error::{Error, Result};
use crate::input::table::Format;
use crate::input::TablePaths;
use crate::result::AuditResult;
use crate::settings::AuditConfig;

/// Parquet rows buffered over all partitions of a table before they are written: each
/// partition's buffer is written as a row group when it holds `BUFFER_ROWS / n` rows (at least
/// [`MIN_GROUP_ROWS`]).
const BUFFER_ROWS: usize = 2_000_000;
/// The smallest row group written before the end of a table.
const MIN_GROUP_ROWS: usize = 8_192;
/// The write buffer of each partition's CSV file.
const CSV_BUFFER: usize = 64 << 10;

/// What [`split_tables`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitTables {
    /// The names of the partitions written (`part-00000`, …): those that got rows.
    pub partitions: Vec<String>,
    /// Rows of each partitioned table (recs, users, truth, history; 0 for a table not given).
    pub rows: [u64; 4],
}

/// Audits the tables of `cfg.paths` (one file each) as a partitioned folder of `n` partitions
/// of users, split into a temporary folder under `temp_dir` (the system's temporary folder,
/// `TMPDIR`, when `None`) and removed at the end, success or not. `settings.paths` of the result
/// names the input files, as the one-pass audit's does. A differentially private audit and a
/// baseline run's lists are refused before anything is split (as [`super::audit_folder`] does).
pub fn audit_split(cfg: &AuditConfig, n: usize, temp_dir: Option<&Path>) -> Result<AuditResult> {
    super::check_folder_settings(cfg)?;
    let builder = tempfile::Builder::new()
        .prefix("recaudit-partitions-")
        .to_owned();
    let dir = match temp_dir {
        Some(parent) => builder.tempdir_in(parent),
        None => builder.tempdir(),
    }
    .map_err(|e| {
        let parent = temp_dir.map_or_else(std::env::temp_dir, Path::to_path_buf);
        Error::BadTable {
            path: parent,
            message: format!("cannot create the temporary folder of the partitions: {e}"),
        }
    })?;
    split_tables(&cfg.paths, &cfg.columns.user, n, dir.path())?;
    let mut result = super::audit_folder_with(dir.path(), cfg, super::Placement::SplitByUser)
        .map_err(|e| in_input_terms(e, dir.path(), &cfg.paths, &cfg.columns.user, n))?;
    result.settings.paths = cfg.paths.clone();
    dir.close()
        .map_err(|e| Error::Config(format!("cannot remove the partitions: {e}")))?;
    Ok(result)
}

/// Splits the recs, users, truth and history tables of `paths` into `dir` (existing, empty) by
/// the partition of each row's user (column `user`) among `n`: `TABLE/part-00000.<ext>`, … (CSV
/// stays CSV, Parquet stays Parquet), and links the items table as `items.<ext>`. A partition
/// without rows in any table gets no file. Errors name the file: a table that cannot be read, no
/// column `user`, a CSV record without that field, a partition holding rows of some table but no
/// recommendations or no users (fewer partitions fix it), and a frame held in memory (not a file).
pub fn split_tables(paths: &TablePaths, user: &str, n: usize, dir: &Path) -> Result<SplitTables> {
    if n == 0 {
        return Err(Error::Config(
            "the number of partitions must be at least 1".into(),
        ));
    }
    let tables: [Option<&PathBuf>; 4] = [
        Some(&paths.recs),
        Some(&paths.users),
        paths.truth.as_ref(),
        paths.history.as_ref(),
    ];
    let mut rows_of: Vec<Option<Vec<u64>>> = Vec::new();
    for (table, src) in PARTITIONED_TABLES.iter().zip(tables) {
        let Some(src) = src else {
            rows_of.push(None);
            continue;
        };
        let out = dir.join(table);
        fs::create_dir_all(&out).map_err(|e| Error::BadTable {
            path: out.clone(),
            message: format!("cannot create the partitions' folder: {e}"),
        })?;
        let rows = match Format::of(src)? {
            Format::Csv => split_csv(src, table_name(table), user, n, &out)?,
            Format::Parquet => split_parquet(src, table_name(table), user, n, &out)?,
            Format::Memory => {
                return Err(Error::BadTable {
                    path: src.clone(),
                    message: "a frame held in memory cannot be split into partitions; give the \
                              table as a file"
                        .into(),
                })
            }
        };
        rows_of.push(Some(rows));
    }
    // Every partition that got rows has recommendations and users.
    let mut partitions = Vec::new();
    for p in 0..n {
        let has = |t: usize| rows_of[t].as_ref().is_some_and(|r| r[p] > 0);
        if !(0..4).any(has) {
            continue;
        }
        for (t, table) in PARTITIONED_TABLES.iter().enumerate() {
            if rows_of[t].is_some() && !has(t) {
                let holder = (0..4).find(|&u| has(u)).expect("a table has rows");
                return Err(Error::BadTable {
                    path: tables[holder].expect("given").clone(),
                    message: format!(
                        "split into {n} partitions, partition {p} gets rows of the \
                         {} table but none of the {table} table, and every partition's \
                         files must hold rows: give fewer partitions (--partitions)",
                        PARTITIONED_TABLES[holder]
                    ),
                });
            }
        }
        partitions.push(crate::generate::partition_name(p, n));
    }
    if let Some(items) = &paths.items {
        link_items(items, dir)?;
    }
    let total = |t: usize| rows_of[t].as_ref().map_or(0, |r| r.iter().sum());
    Ok(SplitTables {
        partitions,
        rows: [total(0), total(1), total(2), total(3)],
    })
}

/// The table's name as the loader's messages give it.
fn table_name(table: &str) -> &'static str {
    match table {
        "recs" => "recommendations",
        "users" => "users",
        "truth" => "truth",
        _ => "history",
    }
}

/// The items table in the folder: a symbolic link to it (a copy where links fail).
fn link_items(items: &Path, dir: &Path) -> Result<()> {
    let ext = match Format::of(items)? {
        Format::Csv => "csv",
        _ => "parquet",
    };
    let link = dir.join(format!("items.{ext}"));
    let target = fs::canonicalize(items).unwrap_or_else(|_| items.to_path_buf());
    #[cfg(unix)]
    let linked = std::os::unix::fs::symlink(&target, &link).is_ok();
    #[cfg(not(unix))]
    let linked = false;
    if !linked {
        fs::copy(&target, &link).map_err(|e| Error::Read {
            path: items.to_path_buf(),
            table: "items",
            message: format!("cannot copy it beside the partitions: {e}"),
        })?;
    }
    Ok(())
}

/// The partition of the user id `id` (its bytes as the loader reads them).
pub(super) fn partition(id: &[u8], n: usize) -> usize {
    partition_of_key(xxhash_rust::xxh64::xxh64(id, ID_KEY_SEED), n)
}

/// The path of partition `p`'s file in `out`.
fn part_path(out: &Path, p: usize, n: usize, ext: &str) -> PathBuf {
    out.join(format!("{}.{ext}", crate::generate::partition_name(p, n)))
}

/// Splits the CSV file `src` record by record; returns each partition's rows.
fn split_csv(
    src: &Path,
    table: &'static str,
    user: &str,
    n: usize,
    out: &Path,
) -> Result<Vec<u64>> {
    crate::input::files::check_file(src, table)?;
    // What the one-pass reader refuses is refused here too, before anything is split, with its
    // message: the `csv` crate below reads more leniently (it skips blank lines, takes a lone
    // `\r` as a line end and a stray `"` as text). The header's checks, then every row's
    // number of values, quotes and bytes in one pass.
    crate::input::table::column_names(src, table)?;
    if let Some(p) = crate::input::csv_check::first_problem_in(src) {
        return Err(crate::input::table::csv_problem_error(src, p));
    }
    let read_error = |message: String| Error::Read {
        path: src.to_path_buf(),
        table,
        message,
    };
    let file = File::open(src).map_err(|e| read_error(e.to_string()))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(BufReader::with_capacity(1 << 20, file));
    let mut record = csv::ByteRecord::new();
    let more = reader
        .read_byte_record(&mut record)
        .map_err(|e| read_error(e.to_string()))?;
    if !more {
        return Err(read_error("the file is empty".into()));
    }
    let header = record.clone();
    let names: Vec<String> = header
        .iter()
        .map(|f| {
            String::from_utf8_lossy(f)
                .trim_start_matches('\u{feff}')
                .to_string()
        })
        .collect();
    let Some(column) = names.iter().position(|c| c == user) else {
        return Err(missing_user(src, table, user, &names));
    };
    let mut writers: Vec<Option<csv::Writer<File>>> = (0..n).map(|_| None).collect();
    let mut rows = vec![0u64; n];
    let write_error = |path: &Path, e: &dyn std::fmt::Display| Error::BadTable {
        path: path.to_path_buf(),
        message: format!("cannot write the partition: {e}"),
    };
    let mut line = 1u64;
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| read_error(e.to_string()))?
    {
        line += 1;
        let Some(id) = record.get(column) else {
            return Err(read_error(format!(
                "record {line} has {} fields and no `{user}` (field {})",
                record.len(),
                column + 1
            )));
        };
        let p = partition(id, n);
        if writers[p].is_none() {
            let path = part_path(out, p, n, "csv");
            let file = File::create(&path).map_err(|e| write_error(&path, &e))?;
            let mut w = csv::WriterBuilder::new()
                .flexible(true)
                .buffer_capacity(CSV_BUFFER)
                .from_writer(file);
            w.write_byte_record(&header)
                .map_err(|e| write_error(&path, &e))?;
            writers[p] = Some(w);
        }
        let w = writers[p].as_mut().expect("opened above");
        w.write_byte_record(&record)
            .map_err(|e| write_error(&part_path(out, p, n, "csv"), &e))?;
        rows[p] += 1;
    }
    for (p, w) in writers.into_iter().enumerate() {
        if let Some(mut w) = w {
            w.flush()
                .map_err(|e| write_error(&part_path(out, p, n, "csv"), &e))?;
        }
    }
    Ok(rows)
}

/// The error of a table without the user column.
fn missing_user(src: &Path, table: &'static str, user: &str, names: &[String]) -> Error {
    Error::MissingColumn {
        path: src.to_path_buf(),
        table,
        column: user.to_string(),
        purpose: "user id, by which the rows are split into partitions; rename with --user-col"
            .into(),
        available: names.join(", "),
    }
}

/// One partition's Parquet output: the rows buffered and the writer (opened at the first write).
#[derive(Default)]
struct ParquetPart {
    buffered: Vec<DataFrame>,
    buffered_rows: usize,
    writer: Option<BatchedWriter<File>>,
    rows: u64,
}

impl ParquetPart {
    /// Writes the buffered rows as one row group.
    fn flush(&mut self, path: &Path) -> Result<()> {
        if self.buffered.is_empty() {
            return Ok(());
        }
        let write_error = |e: &dyn std::fmt::Display| Error::BadTable {
            path: path.to_path_buf(),
            message: format!("cannot write the partition: {e}"),
        };
        let mut frames = std::mem::take(&mut self.buffered).into_iter();
        let mut frame = frames.next().expect("not empty");
        for f in frames {
            frame.vstack_mut(&f).map_err(|e| write_error(&e))?;
        }
        frame.rechunk_mut_par();
        if self.writer.is_none() {
            let file = File::create(path).map_err(|e| write_error(&e))?;
            let writer = ParquetWriter::new(file)
                .batched(frame.schema())
                .map_err(|e| write_error(&e))?;
            self.writer = Some(writer);
        }
        let writer = self.writer.as_mut().expect("opened above");
        writer.write_batch(&frame).map_err(|e| write_error(&e))?;
        self.buffered_rows = 0;
        Ok(())
    }
}

/// Splits the Parquet file `src` row group by row group; returns each partition's rows.
fn split_parquet(
    src: &Path,
    table: &'static str,
    user: &str,
    n: usize,
    out: &Path,
) -> Result<Vec<u64>> {
    let len = crate::input::files::check_file(src, table)?;
    crate::input::files::check_parquet_footer(src, table, len)?;
    let read_error = |e: PolarsError| Error::Read {
        path: src.to_path_buf(),
        table,
        message: e.to_string(),
    };
    let open = || {
        File::open(src).map_err(|e| Error::Read {
            path: src.to_path_buf(),
            table,
            message: e.to_string(),
        })
    };
    let mut reader = ParquetReader::new(open()?);
    let schema = reader.schema().map_err(read_error)?;
    if !schema.contains(user) {
        let names: Vec<String> = schema.iter_names().map(|c| c.to_string()).collect();
        return Err(missing_user(src, table, user, &names));
    }
    let metadata = reader.get_metadata().map_err(read_error)?.clone();
    let group_rows = (BUFFER_ROWS / n).max(MIN_GROUP_ROWS);
    let mut parts: Vec<ParquetPart> = (0..n).map(|_| ParquetPart::default()).collect();
    let mut offset = 0;
    for group in &metadata.row_groups {
        let len = group.num_rows();
        if len == 0 {
            continue;
        }
        let mut reader = ParquetReader::new(open()?).with_slice(Some((offset, len)));
        reader.set_metadata(metadata.clone());
        let frame = reader.finish().map_err(read_error)?;
        offset += len;
        let of = row_partitions(&frame, user, n).map_err(read_error)?;
        let mut indices: Vec<Vec<IdxSize>> = vec![Vec::new(); n];
        for (row, &p) in of.iter().enumerate() {
            indices[p as usize].push(row as IdxSize);
        }
        let taken: Vec<(usize, DataFrame)> = indices
            .into_par_iter()
            .enumerate()
            .filter(|(_, rows)| !rows.is_empty())
            .map(|(p, rows)| {
                let rows = IdxCa::from_vec("rows".into(), rows);
                frame.take(&rows).map(|f| (p, f))
            })
            .collect::<PolarsResult<_>>()
            .map_err(read_error)?;
        drop(frame);
        for (p, rows) in taken {
            let part = &mut parts[p];
            part.buffered_rows += rows.height();
            part.rows += rows.height() as u64;
            part.buffered.push(rows);
            if part.buffered_rows >= group_rows {
                part.flush(&part_path(out, p, n, "parquet"))?;
            }
        }
    }
    let mut rows = Vec::with_capacity(n);
    for (p, mut part) in parts.into_iter().enumerate() {
        let path = part_path(out, p, n, "parquet");
        part.flush(&path)?;
        if let Some(w) = &part.writer {
            w.finish().map_err(|e| Error::BadTable {
                path: path.clone(),
                message: format!("cannot write the partition: {e}"),
            })?;
        }
        rows.push(part.rows);
    }
    Ok(rows)
}

/// The partition of every row of `frame` by its `user` column: text as it is, integers by their
/// decimal text (as the loader reads ids); a missing id goes to partition 0, where the loader
/// reports it.
pub(super) fn row_partitions(frame: &DataFrame, user: &str, n: usize) -> PolarsResult<Vec<u32>> {
    let column = frame.column(user)?.as_materialized_series();
    let text = match column.dtype() {
        DataType::String => column.clone(),
        _ => column.cast(&DataType::String)?,
    };
    let ids = text.str()?;
    Ok(ids
        .iter()
        .map(|id| id.map_or(0, |id| partition(id.as_bytes(), n)) as u32)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::id_key;

    fn read(path: &Path) -> DataFrame {
        ParquetReader::new(File::open(path).unwrap())
            .finish()
            .unwrap()
    }

    /// A CSV split keeps quoted fields (commas, a line break) as they are, in the input's order;
    /// a Parquet split of integer ids puts each row in the partition of the id's decimal text,
    /// one row group at a time, so a user's CSV and Parquet rows meet; the items table is linked.
    #[test]
    fn splits_quoted_csv_and_integer_parquet_ids_by_the_users_partition() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in");
        fs::create_dir(&input).unwrap();
        let users: Vec<String> = (1..=40).map(|u: i64| u.to_string()).collect();
        let mut csv_text = String::from("user_id,gender,note\n");
        for (i, u) in users.iter().enumerate() {
            csv_text.push_str(&format!("{u},F,\"a, \"\"quoted\"\"\nnote {i}\"\n"));
        }
        fs::write(input.join("users.csv"), &csv_text).unwrap();
        // recs: integer user ids 1..=40 (three rows each), written in row groups of 16 rows.
        let ids: Vec<i64> = (1..=40).flat_map(|u| [u, u, u]).collect();
        let ranks: Vec<i32> = (0..ids.len()).map(|r| (r % 3) as i32 + 1).collect();
        let items: Vec<String> = (0..ids.len()).map(|r| format!("i{r}")).collect();
        let mut recs = DataFrame::new(
            ids.len(),
            vec![
                Column::new("user_id".into(), ids.clone()),
                Column::new("item_id".into(), items),
                Column::new("rank".into(), ranks),
            ],
        )
        .unwrap();
        ParquetWriter::new(File::create(input.join("recs.parquet")).unwrap())
            .with_row_group_size(Some(16))
            .finish(&mut recs)
            .unwrap();
        fs::write(input.join("items.csv"), "item_id\ni0\n").unwrap();
        let paths = TablePaths {
            recs: input.join("recs.parquet"),
            users: input.join("users.csv"),
            items: Some(input.join("items.csv")),
            truth: None,
            history: None,
            baseline_recs: None,
        };
        let n = 7;
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        let split = split_tables(&paths, "user_id", n, &out).unwrap();
        assert_eq!(split.rows, [120, 40, 0, 0]);
        let part = |id: &str| partition_of_key(id_key(id), n);
        for p in 0..n {
            let name = crate::generate::partition_name(p, n);
            let mine: Vec<usize> = (1..=40).filter(|&u| part(&u.to_string()) == p).collect();
            // Users: the same ids as text, keyed by their text.
            let users_file = out.join("users").join(format!("{name}.csv"));
            let want: String = std::iter::once("user_id,gender,note\n".to_string())
                .chain(
                    users
                        .iter()
                        .enumerate()
                        .filter(|(_, u)| part(u) == p)
                        .map(|(i, u)| format!("{u},F,\"a, \"\"quoted\"\"\nnote {i}\"\n")),
                )
                .collect();
            if want.lines().count() > 1 {
                assert_eq!(fs::read_to_string(&users_file).unwrap(), want, "{p}");
            } else {
                assert!(!users_file.exists(), "{p}");
            }
            let recs_file = out.join("recs").join(format!("{name}.parquet"));
            if mine.is_empty() {
                assert!(!recs_file.exists(), "{p}");
                continue;
            }
            let got = read(&recs_file);
            let got_ids: Vec<i64> = got
                .column("user_id")
                .unwrap()
                .i64()
                .unwrap()
                .into_no_null_iter()
                .collect();
            let want_ids: Vec<i64> = ids
                .iter()
                .copied()
                .filter(|&u| part(&u.to_string()) == p)
                .collect();
            assert_eq!(got_ids, want_ids, "{p}");
        }
        assert_eq!(
            fs::read_to_string(out.join("items.csv")).unwrap(),
            "item_id\ni0\n"
        );
    }
}
