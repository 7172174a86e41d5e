//! The generated case written as a partitioned folder (docs/scaling.md, "Partitioned input"):
//! `recs/`, `users/`, `truth/` and `history/` each hold `part-00000.<ext>`, … , one file per
//! partition, and the items table is `items.<ext>` beside them. Every row of user `u` is in
//! partition `pmod(xxhash64(user id), n)` ([`partition_of_key`]), the partition a Spark job gives
//! it, and a partition's rows are the whole-file rows of its users in the whole file's order.
//!
//! Chunks of users are generated as [`generate`](super::generate) does; each chunk's rows are
//! split by partition, each partition's share encoded (in parallel) and appended to that
//! partition's files (Parquet: one row group per chunk), so memory is bounded by one chunk and
//! the writers (one open file per partition and table, opened at the partition's first user; a
//! partition that gets no user has no file in any folder).

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{ensure, Context, Result};
use rayon::prelude::*;

use super::users::BlockRows;
use super::writers::{OutputTable, Sink};
use super::{chunks_of_blocks, Generator, GeneratorConfig};
use crate::data::{id_key, partition_of_key};

/// The subfolders of the partitioned tables, in the order of [`EncodedBlock::tables`]
/// (users, recs, truth, history).
///
/// [`EncodedBlock::tables`]: super::writers::EncodedBlock
pub const PARTITIONED_FOLDERS: [&str; 4] = ["users", "recs", "truth", "history"];

/// The CSV buffer of each partition's file (the whole-file sinks use 1 MiB).
const PARTITION_BUFFER: usize = 64 << 10;

/// The partitioned folder [`generate_partitioned`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedPartitions {
    /// The folder.
    pub dir: PathBuf,
    /// `items.<ext>` at the top of the folder.
    pub items: PathBuf,
    /// The names of the partitions written (`part-00000`, …), ascending; a partition that got no
    /// user is left out.
    pub partitions: Vec<String>,
    /// Rows of the users table.
    pub n_users: u64,
    /// Rows of the items table.
    pub n_items: u64,
    /// Rows of the recommendations table.
    pub n_rec_rows: u64,
    /// Rows of the truth table.
    pub n_truth_rows: u64,
    /// Rows of the history table.
    pub n_history_rows: u64,
}

/// The name of partition `p` of `n`: `part-` and `p` zero-padded to 5 digits, or to the digits of
/// `n - 1` if more, so that byte order is the order of the numbers.
pub fn partition_name(p: usize, n: usize) -> String {
    let width = n.saturating_sub(1).to_string().len().max(5);
    format!("part-{p:0width$}")
}

/// Writes the case of `cfg` as a folder of `n_partitions` partitions of users (see the module
/// docs) into `out_dir` (created if missing), replacing files of the same names.
pub fn generate_partitioned(
    cfg: &GeneratorConfig,
    out_dir: &Path,
    n_partitions: usize,
) -> Result<GeneratedPartitions> {
    cfg.validate()?;
    ensure!(
        n_partitions >= 1,
        "the number of partitions must be at least 1"
    );
    let ext = cfg.format.extension();
    for folder in PARTITIONED_FOLDERS {
        let sub = out_dir.join(folder);
        fs::create_dir_all(&sub)
            .with_context(|| format!("cannot create output directory {}", sub.display()))?;
    }
    let gen = Generator::new(cfg);
    let tables = [
        OutputTable::Users,
        OutputTable::Recs,
        OutputTable::Truth,
        OutputTable::History,
    ];
    let headers = tables.map(|t| gen.header(t));
    let path_of = |folder: &str, p: usize| {
        out_dir
            .join(folder)
            .join(format!("{}.{ext}", partition_name(p, n_partitions)))
    };
    let mut sinks: Vec<Option<[Sink; 4]>> = (0..n_partitions).map(|_| None).collect();
    let mut popularity = vec![0u64; cfg.n_items];

    for blocks in chunks_of_blocks(cfg.n_users) {
        let (chunk_start, chunk_end) = (blocks[0].0, blocks[blocks.len() - 1].1);
        let rows: Vec<BlockRows> = blocks
            .par_iter()
            .map(|&(start, end)| gen.block_rows(start, end))
            .collect();
        let part_of: Vec<u32> = (chunk_start..chunk_end)
            .into_par_iter()
            .map_init(Vec::new, |buf, u| {
                gen.user_id(u as u32, buf);
                let id = std::str::from_utf8(buf).expect("ids are ASCII");
                partition_of_key(id_key(id), n_partitions) as u32
            })
            .collect();
        let part = |u: u32| part_of[u as usize - chunk_start] as usize;
        let mut parts: Vec<BlockRows> = (0..n_partitions).map(|_| BlockRows::default()).collect();
        for block in rows {
            for &(_, item, _) in &block.history {
                popularity[item as usize] += 1;
            }
            for row in block.users {
                parts[part(row.0)].users.push(row);
            }
            for row in block.recs {
                parts[part(row.user)].recs.push(row);
            }
            for row in block.truth {
                parts[part(row.0)].truth.push(row);
            }
            for row in block.history {
                parts[part(row.0)].history.push(row);
            }
        }
        let encoded: Vec<Result<(usize, [super::writers::EncodedRows; 4])>> = parts
            .par_iter()
            .enumerate()
            .filter(|(_, rows)| !rows.users.is_empty())
            .map(|(p, rows)| Ok((p, gen.encode(rows)?)))
            .collect();
        drop(parts);
        for result in encoded {
            let (p, tables) = result?;
            if sinks[p].is_none() {
                let mut opened = Vec::with_capacity(4);
                for (folder, header) in PARTITIONED_FOLDERS.iter().zip(&headers) {
                    opened.push(Sink::open_buffered(
                        &path_of(folder, p),
                        cfg.format,
                        header,
                        PARTITION_BUFFER,
                    )?);
                }
                sinks[p] = Some(opened.try_into().ok().expect("four sinks"));
            }
            let open = sinks[p].as_mut().expect("opened above");
            for ((sink, table), folder) in open.iter_mut().zip(&tables).zip(PARTITIONED_FOLDERS) {
                sink.append(std::iter::once(table))
                    .with_context(|| format!("cannot write {}", path_of(folder, p).display()))?;
            }
        }
    }
    let mut partitions = Vec::new();
    for (p, open) in sinks.into_iter().enumerate() {
        let Some(open) = open else { continue };
        for (sink, folder) in open.into_iter().zip(PARTITIONED_FOLDERS) {
            sink.finish(&path_of(folder, p))?;
        }
        partitions.push(partition_name(p, n_partitions));
    }

    let items_path = out_dir.join(format!("items.{ext}"));
    let mut items = Sink::open(&items_path, cfg.format, &gen.header(OutputTable::Items))?;
    let items_part = gen.items_rows(&popularity)?;
    items.append(std::iter::once(&items_part))?;
    items.finish(&items_path)?;
    Ok(GeneratedPartitions {
        dir: out_dir.to_path_buf(),
        items: items_path,
        partitions,
        n_users: cfg.n_users as u64,
        n_items: cfg.n_items as u64,
        n_rec_rows: cfg.n_rec_rows(),
        n_truth_rows: (cfg.n_users * cfg.truth_per_user) as u64,
        n_history_rows: (cfg.n_users * cfg.history_per_user) as u64,
    })
}
