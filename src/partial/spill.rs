//! Sorted runs on disk and their k-way merge: the bounded-memory form of the audit's global sort
//! ([`PartialRanked`], docs/scaling.md "Not yet", item 3) and of the check that no user is in two
//! partitions.
//!
//! - [`SpillFile`]: one anonymous temporary file (`tempfile::tempfile`: the operating system
//!   removes it when it is closed, also when the process dies) to which sections are appended
//!   through a 64 KB buffer; a [`SectionReader`] reads one section back through its own buffer
//!   with positional reads, so any number of sections of the one file are read at once with one
//!   file descriptor.
//! - [`merge`]: the k-way merge of sorted [`Cursor`]s, a [`BinaryHeap`] of one head per cursor
//!   ordered by (head, cursor index): equal heads come from the earlier cursor first, which is
//!   the order of [`RankedRun::merge`](super::RankedRun::merge) folded over the runs in cursor
//!   order (it takes its left run on ties).
//! - [`RankedSource`]: a metric's merged entries (value, user key, slice codes) visited in
//!   (value, key) order, which is all the finish reads of the sorted runs
//!   (`partial::distribution`). [`PartialRanked`] is the in-memory source; [`SpilledRuns`] holds
//!   every partition's runs in a [`SpillFile`] (16 + 4 C bytes per entry: value f64, user key
//!   u64, C slice codes u32, little-endian) and merges the partitions' runs of a metric as
//!   streams at each visit.
//!
//! A record that cannot be read (the file shorter than its sections), a NaN value or a run out
//! of (value, key) order is an [`io::Error`] of kind `InvalidData` or `UnexpectedEof`, never a
//! panic.

use std::cmp::{Ordering, Reverse};
use std::collections::binary_heap::PeekMut;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::ops::Range;

use super::ranked::{PartialRanked, RankedRun};

/// The buffer of each reader of a section and of the writer.
pub(crate) const BUFFER: usize = 64 * 1024;

/// The smallest buffer of a reader: when many sections are read at once, each reader's buffer is
/// cut so that all of them together stay near 64 MB ([`reader_buffer`]).
const MIN_BUFFER: usize = 4 * 1024;

/// The buffer of each of `k` readers read at once: [`BUFFER`], cut to 64 MB / k but no smaller
/// than 4 KB.
pub(crate) fn reader_buffer(k: usize) -> usize {
    (BUFFER * 1024 / k.max(1)).clamp(MIN_BUFFER, BUFFER)
}

/// An anonymous temporary file of appended sections.
#[derive(Debug)]
pub(crate) struct SpillFile {
    file: File,
    len: u64,
}

impl SpillFile {
    /// An empty file in the system's temporary folder (`TMPDIR`).
    pub(crate) fn new() -> io::Result<SpillFile> {
        Ok(SpillFile {
            file: tempfile::tempfile()?,
            len: 0,
        })
    }

    /// Appends what `write` writes (through a 64 KB buffer) and returns its byte range.
    pub(crate) fn append(
        &mut self,
        write: impl FnOnce(&mut BufWriter<&File>) -> io::Result<()>,
    ) -> io::Result<Range<u64>> {
        let start = self.len;
        (&self.file).seek(SeekFrom::Start(start))?;
        let mut w = BufWriter::with_capacity(BUFFER, &self.file);
        write(&mut w)?;
        w.flush()?;
        drop(w);
        self.len = self.file.metadata()?.len();
        Ok(start..self.len)
    }

    /// A reader of the records of `width` bytes in `section`, buffering `buffer` bytes.
    pub(crate) fn reader(
        &self,
        section: Range<u64>,
        width: usize,
        buffer: usize,
    ) -> SectionReader<'_> {
        SectionReader {
            file: &self.file,
            next: section.start,
            end: section.end,
            width,
            buf: vec![0; buffer.max(width).max(1)],
            pos: 0,
            filled: 0,
        }
    }

    /// The file, for the tests that damage it.
    #[cfg(test)]
    pub(crate) fn file(&self) -> &File {
        &self.file
    }
}

/// Reads `buf.len()` bytes (fewer at the end of the file) at `offset` without moving the file's
/// cursor.
#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

/// The fixed-width records of one section of a [`SpillFile`], read through a buffer.
pub(crate) struct SectionReader<'a> {
    file: &'a File,
    /// The file offset of the first byte not yet in the buffer, and the section's end.
    next: u64,
    end: u64,
    width: usize,
    buf: Vec<u8>,
    pos: usize,
    filled: usize,
}

impl SectionReader<'_> {
    /// The next record, `None` at the section's end; an error when the file ends before the
    /// section or the section ends inside a record.
    pub(crate) fn record(&mut self) -> io::Result<Option<&[u8]>> {
        if self.filled - self.pos < self.width {
            let left = self.filled - self.pos;
            self.buf.copy_within(self.pos..self.filled, 0);
            self.pos = 0;
            self.filled = left;
            while self.filled < self.buf.len() && self.next < self.end {
                let want = (self.buf.len() - self.filled).min((self.end - self.next) as usize);
                let got = read_at(
                    self.file,
                    &mut self.buf[self.filled..self.filled + want],
                    self.next,
                )?;
                if got == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "the temporary run file ends at byte {} inside a section ending at {}",
                            self.next, self.end
                        ),
                    ));
                }
                self.filled += got;
                self.next += got as u64;
            }
            if self.filled == 0 {
                return Ok(None);
            }
            if self.filled < self.width {
                return Err(invalid(format!(
                    "a section of the temporary run file ends inside a record of {} bytes",
                    self.width
                )));
            }
        }
        let at = self.pos;
        self.pos += self.width;
        Ok(Some(&self.buf[at..at + self.width]))
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// A sorted stream of heads, the input of [`merge`].
pub(crate) trait Cursor {
    /// What the merge orders by.
    type Head: Ord + Copy;
    /// The current head, `None` when the stream is exhausted.
    fn head(&self) -> Option<Self::Head>;
    /// Moves to the next head (an error when the stream cannot be read or is out of order).
    fn advance(&mut self) -> io::Result<()>;
}

/// The k-way merge of `cursors` (each already at its first head): calls `visit(cursor, index)`
/// for each head in ascending (head, cursor index) order, the cursor still at that head, then
/// advances it.
pub(crate) fn merge<C: Cursor>(
    cursors: &mut [C],
    mut visit: impl FnMut(&C, usize) -> io::Result<()>,
) -> io::Result<()> {
    let mut heap: BinaryHeap<Reverse<(C::Head, usize)>> = cursors
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.head().map(|h| Reverse((h, i))))
        .collect();
    // The smallest head is replaced in place by its cursor's next one (one sift down), or
    // removed when the cursor is done.
    while let Some(mut top) = heap.peek_mut() {
        let Reverse((_, i)) = *top;
        visit(&cursors[i], i)?;
        cursors[i].advance()?;
        match cursors[i].head() {
            Some(h) => *top = Reverse((h, i)),
            None => {
                PeekMut::pop(top);
            }
        }
    }
    Ok(())
}

/// The order of the sorted runs: value by [`f64::total_cmp`], then user key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RankHead {
    pub(crate) value: f64,
    pub(crate) key: u64,
}

impl Ord for RankHead {
    fn cmp(&self, other: &Self) -> Ordering {
        self.value
            .total_cmp(&other.value)
            .then(self.key.cmp(&other.key))
    }
}

impl PartialOrd for RankHead {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for RankHead {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for RankHead {}

/// A run's entries with their slice codes, as a [`Cursor`].
pub(crate) trait RankCursor: Cursor<Head = RankHead> {
    /// The slice codes of the current entry.
    fn codes(&self) -> &[u32];
}

/// A [`RankedRun`] in memory as a cursor.
pub(crate) struct MemoryCursor<'a> {
    run: &'a RankedRun,
    at: usize,
}

impl<'a> MemoryCursor<'a> {
    pub(crate) fn new(run: &'a RankedRun) -> MemoryCursor<'a> {
        MemoryCursor { run, at: 0 }
    }
}

impl Cursor for MemoryCursor<'_> {
    type Head = RankHead;

    fn head(&self) -> Option<RankHead> {
        (self.at < self.run.len()).then(|| RankHead {
            value: self.run.values[self.at],
            key: self.run.keys[self.at],
        })
    }

    fn advance(&mut self) -> io::Result<()> {
        self.at += 1;
        Ok(())
    }
}

impl RankCursor for MemoryCursor<'_> {
    fn codes(&self) -> &[u32] {
        let c = self.run.columns;
        &self.run.codes[self.at * c..(self.at + 1) * c]
    }
}

/// One partition's run of one metric read from a [`SpillFile`]: records of 16 + 4 C bytes,
/// checked to be defined and in ascending (value, key) order as they are read.
pub(crate) struct FileCursor<'a> {
    reader: SectionReader<'a>,
    head: Option<RankHead>,
    codes: Vec<u32>,
}

impl<'a> FileCursor<'a> {
    /// A cursor at the first entry of the run in `section`.
    pub(crate) fn open(
        file: &'a SpillFile,
        section: Range<u64>,
        columns: usize,
        buffer: usize,
    ) -> io::Result<FileCursor<'a>> {
        let mut cursor = FileCursor {
            reader: file.reader(section, record_width(columns), buffer),
            head: None,
            codes: vec![0; columns],
        };
        cursor.read()?;
        Ok(cursor)
    }

    fn read(&mut self) -> io::Result<()> {
        let previous = self.head;
        let Some(record) = self.reader.record()? else {
            self.head = None;
            return Ok(());
        };
        let word = |at: usize| -> [u8; 8] { record[at..at + 8].try_into().expect("8 bytes") };
        let head = RankHead {
            value: f64::from_le_bytes(word(0)),
            key: u64::from_le_bytes(word(8)),
        };
        for (c, code) in self.codes.iter_mut().enumerate() {
            let at = 16 + 4 * c;
            *code = u32::from_le_bytes(record[at..at + 4].try_into().expect("4 bytes"));
        }
        if head.value.is_nan() || previous.is_some_and(|p| p > head) {
            return Err(invalid(
                "a run of the temporary run file is not in ascending (value, key) order of \
                 defined values"
                    .into(),
            ));
        }
        self.head = Some(head);
        Ok(())
    }
}

impl Cursor for FileCursor<'_> {
    type Head = RankHead;

    fn head(&self) -> Option<RankHead> {
        self.head
    }

    fn advance(&mut self) -> io::Result<()> {
        self.read()
    }
}

impl RankCursor for FileCursor<'_> {
    fn codes(&self) -> &[u32] {
        &self.codes
    }
}

/// The bytes of one entry of a run with `columns` slice columns.
pub(crate) fn record_width(columns: usize) -> usize {
    16 + 4 * columns
}

/// The merged entries of every metric's sorted run, as the finish reads them: each metric's
/// entries visited in ascending (value, key) order. Shared between threads: the finish reads
/// several metrics at once.
pub trait RankedSource: Sync {
    /// The metrics (runs).
    fn metrics(&self) -> usize;
    /// The slice columns of every entry.
    fn columns(&self) -> usize;
    /// Metric j's entries (every user with a defined value).
    fn len(&self, j: usize) -> usize;
    /// Calls `visit(value, user key, slice codes)` for each of metric j's entries, in order.
    fn visit(&self, j: usize, visit: &mut dyn FnMut(f64, u64, &[u32])) -> io::Result<()>;
}

/// Visits the merge of `cursors`.
fn visit_merged<C: RankCursor>(
    cursors: &mut [C],
    visit: &mut dyn FnMut(f64, u64, &[u32]),
) -> io::Result<()> {
    merge(cursors, |c, _| {
        let h = c.head().expect("a cursor in the heap has a head");
        visit(h.value, h.key, c.codes());
        Ok(())
    })
}

fn no_run(j: usize) -> io::Error {
    invalid(format!("no sorted run of metric {j}"))
}

impl RankedSource for PartialRanked {
    fn metrics(&self) -> usize {
        self.runs.len()
    }

    fn columns(&self) -> usize {
        self.runs.first().map_or(0, |r| r.columns)
    }

    fn len(&self, j: usize) -> usize {
        self.runs.get(j).map_or(0, RankedRun::len)
    }

    fn visit(&self, j: usize, visit: &mut dyn FnMut(f64, u64, &[u32])) -> io::Result<()> {
        let run = self.runs.get(j).ok_or_else(|| no_run(j))?;
        visit_merged(&mut [MemoryCursor::new(run)], visit)
    }
}

/// Every partition's sorted runs ([`PartialRanked`], one per metric) in a [`SpillFile`], the
/// runs of a metric merged as streams at each [`visit`](RankedSource::visit). Memory: per
/// partition and metric one byte range (16 bytes), and while a metric is visited one reader's
/// buffer per partition ([`reader_buffer`]).
#[derive(Debug)]
pub struct SpilledRuns {
    file: SpillFile,
    metrics: usize,
    columns: usize,
    /// `sections[p][j]`: partition p's run of metric j.
    sections: Vec<Vec<Range<u64>>>,
    /// Entries per metric over every partition.
    lens: Vec<usize>,
}

impl SpilledRuns {
    /// No runs yet, in a new temporary file.
    pub fn new() -> io::Result<SpilledRuns> {
        Ok(SpilledRuns {
            file: SpillFile::new()?,
            metrics: 0,
            columns: 0,
            sections: Vec::new(),
            lens: Vec::new(),
        })
    }

    /// Appends a partition's runs (the first sets the metrics and slice columns; every later one
    /// must have the same).
    pub fn push(&mut self, ranked: &PartialRanked) -> io::Result<()> {
        let columns = ranked.columns();
        if self.sections.is_empty() {
            self.metrics = ranked.runs.len();
            self.columns = columns;
            self.lens = vec![0; self.metrics];
        } else if ranked.runs.len() != self.metrics
            || ranked.runs.iter().any(|r| r.columns != self.columns)
        {
            return Err(invalid(format!(
                "a partition's sorted runs have {} metrics and {columns} slice columns, the \
                 first partition's {} and {}",
                ranked.runs.len(),
                self.metrics,
                self.columns
            )));
        }
        let mut sections = Vec::with_capacity(self.metrics);
        for (j, run) in ranked.runs.iter().enumerate() {
            sections.push(self.file.append(|w| {
                for i in 0..run.len() {
                    w.write_all(&run.values[i].to_le_bytes())?;
                    w.write_all(&run.keys[i].to_le_bytes())?;
                    for &code in &run.codes[i * run.columns..(i + 1) * run.columns] {
                        w.write_all(&code.to_le_bytes())?;
                    }
                }
                Ok(())
            })?);
            self.lens[j] += run.len();
        }
        self.sections.push(sections);
        Ok(())
    }

    /// Partitions pushed.
    pub fn partitions(&self) -> usize {
        self.sections.len()
    }

    /// Bytes written.
    pub fn bytes(&self) -> u64 {
        self.file.len
    }

    /// The file, for the tests that damage it.
    #[cfg(test)]
    pub(crate) fn spill_file(&self) -> &SpillFile {
        &self.file
    }
}

impl RankedSource for SpilledRuns {
    fn metrics(&self) -> usize {
        self.metrics
    }

    fn columns(&self) -> usize {
        self.columns
    }

    fn len(&self, j: usize) -> usize {
        self.lens.get(j).copied().unwrap_or(0)
    }

    fn visit(&self, j: usize, visit: &mut dyn FnMut(f64, u64, &[u32])) -> io::Result<()> {
        if j >= self.metrics {
            return Err(no_run(j));
        }
        let buffer = reader_buffer(self.sections.len());
        let mut cursors = self
            .sections
            .iter()
            .map(|s| FileCursor::open(&self.file, s[j].clone(), self.columns, buffer))
            .collect::<io::Result<Vec<_>>>()?;
        visit_merged(&mut cursors, visit)
    }
}

/// Ascending user keys as a [`Cursor`] over a section of a [`SpillFile`] (8 bytes each), checked
/// to ascend as they are read.
pub(crate) struct KeyCursor<'a> {
    reader: SectionReader<'a>,
    head: Option<u64>,
}

impl<'a> KeyCursor<'a> {
    /// A cursor at the first key of `section`.
    pub(crate) fn open(
        file: &'a SpillFile,
        section: Range<u64>,
        buffer: usize,
    ) -> io::Result<KeyCursor<'a>> {
        let mut cursor = KeyCursor {
            reader: file.reader(section, 8, buffer),
            head: None,
        };
        cursor.advance()?;
        Ok(cursor)
    }
}

impl Cursor for KeyCursor<'_> {
    type Head = u64;

    fn head(&self) -> Option<u64> {
        self.head
    }

    fn advance(&mut self) -> io::Result<()> {
        let previous = self.head;
        self.head = self
            .reader
            .record()?
            .map(|r| u64::from_le_bytes(r.try_into().expect("8 bytes")));
        if let (Some(p), Some(k)) = (previous, self.head) {
            if k < p {
                return Err(invalid(
                    "a partition's user keys in the temporary file do not ascend".into(),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "spill_tests.rs"]
mod tests;
