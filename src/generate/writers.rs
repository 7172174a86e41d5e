//! The output files: the tables and their columns, the encoded rows of a block, and the sinks
//! that append them to a CSV file or as one row group of a Parquet file.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use polars::io::parquet::write::BatchedWriter;
use polars::prelude::{DataFrame, ParquetWriter};

use super::users::Generator;
use super::OutputFormat;

/// One of the five generated tables.
#[derive(Debug, Clone, Copy)]
pub(super) enum OutputTable {
    Users,
    Recs,
    Truth,
    History,
    Items,
}

/// The encoded rows of one table for one block of users (or the whole items table).
pub(super) enum EncodedRows {
    /// CSV lines, without the header.
    Csv(Vec<u8>),
    /// A data frame for the Parquet writer.
    Frame(DataFrame),
}

/// The encoded rows of one block of users.
pub(super) struct EncodedBlock {
    /// Users, recs, truth, history.
    pub(super) tables: [EncodedRows; 4],
    /// The item of every history row (the items table counts them as popularity).
    pub(super) history_items: Vec<u32>,
}

impl Generator<'_> {
    /// The column names of `table`.
    pub(super) fn header(&self, table: OutputTable) -> Vec<&'static str> {
        match table {
            OutputTable::Users => vec![
                "user_id",
                "gender",
                "age_band",
                "region",
                "country_tier",
                "tenure_band",
                "consent",
            ],
            OutputTable::Recs if self.cfg.n_snapshots > 1 => {
                vec!["user_id", "item_id", "rank", "score", "snapshot"]
            }
            OutputTable::Recs => vec!["user_id", "item_id", "rank", "score"],
            OutputTable::Truth => vec!["user_id", "item_id", "relevance"],
            OutputTable::History => vec!["user_id", "item_id", "timestamp"],
            OutputTable::Items => vec!["item_id", "category", "provider", "popularity"],
        }
    }

    /// The items table; `popularity` is the number of history users of each item.
    pub(super) fn items_rows(&self, popularity: &[u64]) -> Result<EncodedRows> {
        Ok(match self.cfg.format {
            OutputFormat::Csv => EncodedRows::Csv(self.items_csv(popularity)),
            OutputFormat::Parquet => EncodedRows::Frame(self.items_frame(popularity)?),
        })
    }
}

/// An output file being written.
pub(super) enum Sink {
    Csv(BufWriter<File>),
    Parquet {
        file: Option<File>,
        writer: Option<Box<BatchedWriter<File>>>,
    },
}

impl Sink {
    /// Creates the file at `path` (CSV: with its header line, through a 1 MiB buffer).
    pub(super) fn open(path: &Path, format: OutputFormat, header: &[&str]) -> Result<Sink> {
        Sink::open_buffered(path, format, header, 1 << 20)
    }

    /// [`Sink::open`] with a CSV buffer of `capacity` bytes (a partitioned output holds one sink
    /// per partition and table).
    pub(super) fn open_buffered(
        path: &Path,
        format: OutputFormat,
        header: &[&str],
        capacity: usize,
    ) -> Result<Sink> {
        let file =
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(match format {
            OutputFormat::Csv => {
                let mut w = BufWriter::with_capacity(capacity, file);
                w.write_all(header.join(",").as_bytes())
                    .and_then(|_| w.write_all(b"\n"))
                    .with_context(|| format!("cannot write {}", path.display()))?;
                Sink::Csv(w)
            }
            OutputFormat::Parquet => Sink::Parquet {
                file: Some(file),
                writer: None,
            },
        })
    }

    /// Appends the parts of one chunk in order (Parquet: as one row group).
    pub(super) fn append<'p>(
        &mut self,
        parts: impl Iterator<Item = &'p EncodedRows>,
    ) -> Result<()> {
        match self {
            Sink::Csv(w) => {
                for part in parts {
                    if let EncodedRows::Csv(bytes) = part {
                        w.write_all(bytes)?;
                    }
                }
            }
            Sink::Parquet { file, writer } => {
                let mut frame: Option<DataFrame> = None;
                for part in parts {
                    if let EncodedRows::Frame(df) = part {
                        match frame.as_mut() {
                            Some(f) => {
                                f.vstack_mut(df)?;
                            }
                            None => frame = Some(df.clone()),
                        }
                    }
                }
                let Some(mut frame) = frame else {
                    return Ok(());
                };
                frame.rechunk_mut_par();
                if writer.is_none() {
                    let f = file
                        .take()
                        .expect("the file is open until the writer exists");
                    *writer = Some(Box::new(ParquetWriter::new(f).batched(frame.schema())?));
                }
                writer
                    .as_mut()
                    .expect("created above")
                    .write_batch(&frame)?;
            }
        }
        Ok(())
    }

    /// Flushes and closes the file (Parquet: writes the footer).
    pub(super) fn finish(self, path: &Path) -> Result<()> {
        match self {
            Sink::Csv(mut w) => w
                .flush()
                .with_context(|| format!("cannot write {}", path.display()))?,
            Sink::Parquet { writer, .. } => {
                if let Some(w) = writer {
                    w.finish()
                        .with_context(|| format!("cannot write {}", path.display()))?;
                }
            }
        }
        Ok(())
    }
}
