//! An external merge sort of encoded output rows keyed by session id (or by
//! any fixed-size [`SortKey`]), in a fixed memory budget.
//!
//! Rows are kept in one byte buffer with an index of `(key, place)`; when the
//! two reach the budget the index is sorted (skipped when the rows came in
//! ascending order) and written out as a *run*: a temporary file of
//! `key, length (u32 LE), bytes` records. At the end the runs and
//! what is still in memory are merged through a heap, at most [`FAN_IN`]
//! files at a time. The temporary files live in one folder per sorter,
//! removed when the sorter is dropped and, on a signal, by
//! [`remove_pending_files`](crate::remove_pending_files).
//!
//! Given a [`SortedSink`] ([`ExternalSort::stream_to`]), rows that come in
//! ascending key order skip the run files: each full buffer goes straight to
//! the sink, and at the first key out of order what the sink holds is taken
//! back as the first run.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use sessionpay_core::{Currency, SessionLine};

use crate::atomic::{committing, pending_dirs};
use crate::error::{Error, Result};

/// The memory budget of a sort unless told otherwise: 64 MiB.
pub const DEFAULT_SORT_MEMORY: usize = 64 << 20;

/// Runs merged at once; more are first merged in groups into longer runs.
const FAN_IN: usize = 64;

/// The buffer of each run file read or written while merging.
const RUN_BUFFER: usize = 64 << 10;

/// What rows are sorted by: a small value of fixed size, written to run
/// files as its bytes.
pub trait SortKey: Copy + Ord + std::fmt::Debug {
    /// Writes the key's bytes.
    ///
    /// # Errors
    /// `out`'s.
    fn write_to(&self, out: &mut impl Write) -> io::Result<()>;
    /// Reads back what [`SortKey::write_to`] wrote.
    ///
    /// # Errors
    /// `input`'s, or its end.
    fn read_from(input: &mut impl Read) -> io::Result<Self>;
    /// The key as a number, for keys that are one: only those can be
    /// streamed out ([`ExternalSort::stream_to`]), whose keys are kept as
    /// gaps between numbers.
    fn as_number(&self) -> Option<u64> {
        None
    }
    /// The key of a number [`SortKey::as_number`] gave.
    fn from_number(_number: u64) -> Option<Self> {
        None
    }
}

/// A session id, 8 bytes little-endian.
impl SortKey for u64 {
    fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(&self.to_le_bytes())
    }
    fn read_from(input: &mut impl Read) -> io::Result<Self> {
        let mut bytes = [0u8; 8];
        input.read_exact(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }
    fn as_number(&self) -> Option<u64> {
        Some(*self)
    }
    fn from_number(number: u64) -> Option<Self> {
        Some(number)
    }
}

/// Bytes compared in order: a key built of big-endian fields.
impl<const N: usize> SortKey for [u8; N] {
    fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(self)
    }
    fn read_from(input: &mut impl Read) -> io::Result<Self> {
        let mut bytes = [0u8; N];
        input.read_exact(&mut bytes)?;
        Ok(bytes)
    }
}

/// The key that orders session lines as statements list them: the row's
/// period start, instructor and currency (in the order of [`Period`],
/// [`InstructorId`] and [`Currency`]), then the session's start and id.
///
/// [`Period`]: sessionpay_core::Period
/// [`InstructorId`]: sessionpay_core::InstructorId
pub type StatementKey = [u8; 36];

/// The first 16 bytes of a [`StatementKey`]: those of the payroll row.
pub fn statement_row_key(period_start: NaiveDate, instructor: u64, currency: Currency) -> [u8; 16] {
    let mut key = [0u8; 16];
    // A signed day count orders as unsigned once its sign bit is flipped.
    let days = period_start.num_days_from_ce().cast_unsigned() ^ 1 << 31;
    key[..4].copy_from_slice(&days.to_be_bytes());
    key[4..12].copy_from_slice(&instructor.to_be_bytes());
    // Currency orders by its code, then its minor units.
    let code = currency.code().as_bytes();
    key[12..12 + code.len().min(3)].copy_from_slice(&code[..code.len().min(3)]);
    key[15] = u8::try_from(currency.minor_units()).unwrap_or(u8::MAX);
    key
}

/// The [`StatementKey`] of `line`, in the row of the period starting `period_start`.
pub fn statement_key(period_start: NaiveDate, line: &SessionLine) -> StatementKey {
    let s = &line.session;
    let mut key = [0u8; 36];
    key[..16].copy_from_slice(&statement_row_key(period_start, s.instructor.0, s.currency));
    let secs = s.starts_at.timestamp().cast_unsigned() ^ 1 << 63;
    key[16..24].copy_from_slice(&secs.to_be_bytes());
    key[24..28].copy_from_slice(&s.starts_at.timestamp_subsec_nanos().to_be_bytes());
    key[28..].copy_from_slice(&s.id.0.to_be_bytes());
    key
}

/// Takes rows' bytes one at a time, in order, failing as the output they go
/// to fails: what [`SortedSink::take_back`] hands its rows to, and what
/// [`TableEncoder::write_rows`](crate::TableEncoder::write_rows) gives rows to.
pub type EachRow<'a> = dyn FnMut(&[u8]) -> io::Result<()> + 'a;

/// Where an [`ExternalSort`] writes its rows as they come while their keys
/// ascend (see [`ExternalSort::stream_to`]), and the rows sorted at the end.
pub trait SortedSink: Send + std::fmt::Debug {
    /// Writes `row` after the rows written before it.
    ///
    /// # Errors
    /// The output's.
    fn write_row(&mut self, row: &[u8]) -> io::Result<()>;
    /// Hands every row written so far to `each`, in the order written (their
    /// lengths are `lens`), and forgets them: the next row written is the first.
    ///
    /// # Errors
    /// The output's, or `each`'s.
    fn take_back(&mut self, lens: &mut dyn Iterator<Item = usize>, each: &mut EachRow<'_>) -> io::Result<()>;
    /// Called once every row is written.
    ///
    /// # Errors
    /// The output's.
    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The bytes written to a [`FileSink`] before they go to its file.
const SINK_BUFFER: usize = 256 << 10;

/// A table written into a file as a [`SortedSink`]: its header first, each
/// row after its separator, its footer at the end (a
/// [`TableEncoder`](crate::TableEncoder)'s). It writes at offsets, from the
/// file's start, through a handle of its own (the staged `-o` file's,
/// [`AtomicFile::staged_file`](crate::AtomicFile::staged_file)); rows taken
/// back are read from the file, which is then cut back to its header.
///
/// ```
/// use sessionpay_io::{Format, SortedSink, Table, TableEncoder};
/// let encoder = TableEncoder::new(Table::Sessions, Format::Json);
/// let file = tempfile::tempfile()?;
/// let mut sink = sessionpay_io::FileSink::table(file.try_clone()?, &encoder)?;
/// sink.write_row(b"{}")?;
/// sink.finish()?;
/// let mut text = String::new();
/// std::io::Read::read_to_string(&mut &file, &mut text)?;
/// assert_eq!(text, "[\n{}\n]\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct FileSink {
    file: File,
    /// Where the rows start: the header's length.
    start: u64,
    /// Bytes in the file (the buffer's not counted).
    written: u64,
    buffer: Vec<u8>,
    rows: u64,
    /// Before the first row, and before each other.
    separators: [&'static [u8]; 2],
    /// After no row, and after some.
    footers: [&'static [u8]; 2],
}

impl FileSink {
    /// `file` as the table `encoder` writes, its header written.
    ///
    /// # Errors
    /// The file's.
    pub fn table(file: File, encoder: &crate::TableEncoder) -> io::Result<FileSink> {
        let header = encoder.header()?;
        let mut sink = FileSink {
            file,
            start: header.len() as u64,
            written: 0,
            buffer: header,
            rows: 0,
            separators: [encoder.separator(true), encoder.separator(false)],
            footers: [encoder.footer(true), encoder.footer(false)],
        };
        sink.flush_buffer()?;
        sink.file.set_len(sink.start)?;
        Ok(sink)
    }

    fn flush_buffer(&mut self) -> io::Result<()> {
        use std::os::unix::fs::FileExt;
        self.file.write_all_at(&self.buffer, self.written)?;
        self.written += self.buffer.len() as u64;
        self.buffer.clear();
        Ok(())
    }
}

/// Reads a file from an offset on, through a handle others may share.
struct ReadAt<'a> {
    file: &'a File,
    at: u64,
}

impl Read for ReadAt<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let n = self.file.read_at(buf, self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

impl SortedSink for FileSink {
    fn write_row(&mut self, row: &[u8]) -> io::Result<()> {
        let separator = self.separators[usize::from(self.rows > 0)];
        self.buffer.extend_from_slice(separator);
        self.buffer.extend_from_slice(row);
        self.rows += 1;
        if self.buffer.len() >= SINK_BUFFER {
            self.flush_buffer()?;
        }
        Ok(())
    }

    fn take_back(&mut self, lens: &mut dyn Iterator<Item = usize>, each: &mut EachRow<'_>) -> io::Result<()> {
        self.flush_buffer()?;
        let mut input = BufReader::with_capacity(
            RUN_BUFFER,
            ReadAt {
                file: &self.file,
                at: self.start,
            },
        );
        let mut row = Vec::new();
        for (i, len) in lens.enumerate() {
            let separator = self.separators[usize::from(i > 0)];
            row.resize(separator.len(), 0);
            input.read_exact(&mut row)?;
            if row != separator {
                return Err(io::Error::other("a streamed row is not where it was written"));
            }
            row.resize(len, 0);
            input.read_exact(&mut row)?;
            each(&row)?;
        }
        self.file.set_len(self.start)?;
        self.written = self.start;
        self.rows = 0;
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        let footer = self.footers[usize::from(self.rows > 0)];
        self.buffer.extend_from_slice(footer);
        self.flush_buffer()
    }
}

/// Rows kept as plain bytes, one after the other (for tests and small outputs).
impl SortedSink for Vec<u8> {
    fn write_row(&mut self, row: &[u8]) -> io::Result<()> {
        self.extend_from_slice(row);
        Ok(())
    }
    fn take_back(&mut self, lens: &mut dyn Iterator<Item = usize>, each: &mut EachRow<'_>) -> io::Result<()> {
        let mut at = 0;
        for len in lens {
            let row = self
                .get(at..at + len)
                .ok_or_else(|| io::Error::other("a streamed row is missing"))?;
            each(row)?;
            at += len;
        }
        self.clear();
        Ok(())
    }
}

/// The rows streamed out so far: the sink, and of each row its key's gap
/// after the one before and its length (two varints), in memory until they
/// fill a quarter of the budget, then appended to a file among the runs.
#[derive(Debug)]
struct Streamed {
    sink: Box<dyn SortedSink>,
    last: Option<u64>,
    index: Vec<u8>,
    /// The index's older bytes.
    index_file: Option<(PathBuf, BufWriter<File>)>,
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// The keys and lengths of the rows streamed, read back from their index;
/// a read error ends the rows and is kept in `error`.
struct Gaps<R> {
    input: R,
    last: u64,
    error: Option<io::Error>,
}

impl<R: BufRead> Gaps<R> {
    fn new(input: R) -> Gaps<R> {
        Gaps {
            input,
            last: 0,
            error: None,
        }
    }

    fn varint(&mut self) -> io::Result<Option<u64>> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let mut byte = [0u8];
            if self.input.read(&mut byte)? == 0 {
                return if shift == 0 {
                    Ok(None)
                } else {
                    Err(io::Error::other("the index of the streamed rows is cut short"))
                };
            }
            n |= u64::from(byte[0] & 0x7f) << shift;
            if byte[0] < 0x80 {
                return Ok(Some(n));
            }
        }
        Err(io::Error::other("the index of the streamed rows is damaged"))
    }

    fn next_row(&mut self) -> io::Result<Option<(u64, usize)>> {
        let Some(gap) = self.varint()? else {
            return Ok(None);
        };
        let len = self
            .varint()?
            .ok_or_else(|| io::Error::other("the index of the streamed rows is cut short"))?;
        self.last = self
            .last
            .checked_add(gap)
            .ok_or_else(|| io::Error::other("the index of the streamed rows is damaged"))?;
        let len = usize::try_from(len).map_err(io::Error::other)?;
        Ok(Some((self.last, len)))
    }
}

impl<R: BufRead> Iterator for Gaps<R> {
    type Item = (u64, usize);
    fn next(&mut self) -> Option<(u64, usize)> {
        if self.error.is_some() {
            return None;
        }
        self.next_row().unwrap_or_else(|e| {
            self.error = Some(e);
            None
        })
    }
}

/// Where one row is in the buffer.
#[derive(Debug, Clone, Copy)]
struct Entry<K> {
    key: K,
    start: usize,
    len: usize,
}

/// A folder of run files, registered for removal on a signal.
#[derive(Debug)]
struct SpillDir {
    dir: Option<tempfile::TempDir>,
    path: PathBuf,
}

impl SpillDir {
    fn create(folder: &Path) -> Result<SpillDir> {
        let dir = tempfile::Builder::new()
            .prefix(".sessionpay-sort-")
            .tempdir_in(folder)
            .map_err(|source| Error::io(folder, source))?;
        let path = dir.path().to_path_buf();
        pending_dirs().push(path.clone());
        Ok(SpillDir { dir: Some(dir), path })
    }
}

impl Drop for SpillDir {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            let _ = dir.close();
        }
        pending_dirs().retain(|p| *p != self.path);
    }
}

/// Rows given in any order, handed back sorted by id, in bounded memory.
///
/// ```
/// let folder = tempfile::tempdir()?;
/// // A budget of 64 bytes: nearly every row goes to a run file.
/// let mut sort = sessionpay_io::ExternalSort::new(folder.path(), 64);
/// for id in [5u64, 1, 4, 2, 3] {
///     sort.push_with(id, |buf| Ok(buf.extend_from_slice(format!("row {id}\n").as_bytes())))?;
/// }
/// let mut out = Vec::new();
/// sort.for_each_sorted(|row| out.write_all(row))?;
/// assert_eq!(out, b"row 1\nrow 2\nrow 3\nrow 4\nrow 5\n");
/// # use std::io::Write;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ExternalSort<K: SortKey = u64> {
    folder: PathBuf,
    limit: usize,
    data: Vec<u8>,
    index: Vec<Entry<K>>,
    /// Every id so far came after the one before.
    ascending: bool,
    runs: Vec<PathBuf>,
    spills: Vec<SpillDir>,
    /// Run files made so far, for their names.
    made: u64,
    rows: u64,
    /// Where rows go as they come while every key so far ascends.
    stream: Option<Streamed>,
    /// Rows handed to the sink and kept there.
    streamed: u64,
    /// The sink once its rows were taken back: the sorted rows go there at the end.
    stream_back: Option<Box<dyn SortedSink>>,
}

impl<K: SortKey> ExternalSort<K> {
    /// A sort that keeps at most about `limit` bytes of rows in memory and
    /// writes the rest to run files in a new folder inside `folder`.
    pub fn new(folder: &Path, limit: usize) -> ExternalSort<K> {
        ExternalSort {
            folder: folder.to_path_buf(),
            limit: limit.max(1),
            data: Vec::new(),
            index: Vec::new(),
            ascending: true,
            runs: Vec::new(),
            spills: Vec::new(),
            made: 0,
            rows: 0,
            stream: None,
            streamed: 0,
            stream_back: None,
        }
    }

    /// This sort, writing its rows to `sink` as they come for as long as
    /// every key is at least the one before: a full buffer goes to the sink,
    /// not to a run file, and [`ExternalSort::finish_into_sink`] writes the rest.
    /// At the first key lower than one already in the sink, the rows in it
    /// are taken back as the first run and the sort goes on as usual. Of
    /// each row streamed the sort keeps a few bytes (its key's gap after the
    /// one before and its length) within its budget: when they fill a
    /// quarter of it, they are appended to a file beside the runs.
    ///
    /// Keys that are not numbers ([`SortKey::as_number`]) are never streamed.
    pub fn stream_to(mut self, sink: Box<dyn SortedSink>) -> ExternalSort<K> {
        if self.index.is_empty() && self.runs.is_empty() && self.rows == 0 {
            self.stream = Some(Streamed {
                sink,
                last: None,
                index: Vec::new(),
                index_file: None,
            });
        }
        self
    }

    /// Rows written to the sink of [`ExternalSort::stream_to`] and still there.
    pub fn streamed(&self) -> u64 {
        self.streamed
    }

    /// Rows taken so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Run files written so far (0 when everything fit in memory).
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    fn used(&self) -> usize {
        self.data.len()
            + self.index.len() * std::mem::size_of::<Entry<K>>()
            + self.stream.as_ref().map_or(0, |s| s.index.len())
    }

    /// Takes the row of key `id`, which `encode` appends to the buffer it is given.
    ///
    /// # Errors
    /// `encode`'s error, or [`Error::Io`] when a run file cannot be written.
    pub fn push_with(&mut self, id: K, encode: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> Result<()> {
        let start = self.data.len();
        if let Err(source) = encode(&mut self.data) {
            self.data.truncate(start);
            return Err(Error::io(&self.folder, source));
        }
        if self.index.last().is_some_and(|last| last.key > id) {
            self.ascending = false;
        }
        if self.index.is_empty() {
            if let Some(last) = self.stream.as_ref().and_then(|s| s.last) {
                if id.as_number().is_none_or(|n| n < last) {
                    self.ascending = false;
                }
            }
        }
        self.index.push(Entry {
            key: id,
            start,
            len: self.data.len() - start,
        });
        self.rows += 1;
        if self.used() >= self.limit {
            self.spill()?;
        }
        Ok(())
    }

    /// Takes every row of `other`; the budget becomes the sum of both.
    ///
    /// # Errors
    /// [`Error::Io`] when a run file cannot be written.
    pub fn absorb(&mut self, mut other: ExternalSort<K>) -> Result<()> {
        // Streamed rows and other sorts' rows are merged, not concatenated.
        self.take_back()?;
        other.take_back()?;
        if self.used().saturating_add(other.used()) >= self.limit.saturating_add(other.limit) {
            // Both would not fit together: `other` writes its own run
            // rather than being copied here first (a peak of both twice).
            other.spill()?;
        }
        self.runs.append(&mut other.runs);
        if self.spills.is_empty() {
            // New runs go in the first folder: keep its names apart.
            self.made = other.made;
        }
        self.spills.append(&mut other.spills);
        self.limit = self.limit.saturating_add(other.limit);
        self.rows += other.rows;
        if let (Some(last), Some(first)) = (self.index.last(), other.index.first()) {
            if last.key > first.key {
                self.ascending = false;
            }
        }
        self.ascending &= other.ascending;
        let offset = self.data.len();
        self.data.extend_from_slice(&other.data);
        self.index.extend(other.index.iter().map(|e| Entry {
            start: e.start + offset,
            ..*e
        }));
        if self.used() >= self.limit {
            self.spill()?;
        }
        Ok(())
    }

    fn sort_memory(&mut self) {
        if !self.ascending {
            self.index.sort_unstable_by_key(|e| e.key);
        }
    }

    fn new_run(&mut self) -> Result<(PathBuf, BufWriter<File>)> {
        // A signal handler removing the runs waits for this, and this for it.
        let _turn = committing();
        if self.spills.is_empty() {
            self.spills.push(SpillDir::create(&self.folder)?);
        }
        let dir = &self.spills[0].path;
        let path = dir.join(format!("run-{}", self.made));
        self.made += 1;
        let file = File::create_new(&path).map_err(|source| Error::io(&path, source))?;
        Ok((path, BufWriter::with_capacity(RUN_BUFFER, file)))
    }

    /// Writes the rows in memory to the sink, when they and the rows there
    /// ascend: whether they went.
    fn stream_memory(&mut self) -> Result<bool> {
        if !self.ascending || self.stream.is_none() {
            return Ok(false);
        }
        if self.index.iter().any(|e| e.key.as_number().is_none()) {
            return Ok(false);
        }
        if self
            .stream
            .as_ref()
            .is_some_and(|s| s.index.len() >= self.limit / 4)
        {
            self.save_stream_index()?;
        }
        let Some(stream) = self.stream.as_mut() else {
            return Ok(false);
        };
        for e in &self.index {
            let number = e.key.as_number().unwrap_or_default();
            let gap = number - stream.last.unwrap_or(0);
            stream
                .sink
                .write_row(&self.data[e.start..e.start + e.len])
                .map_err(|source| Error::io(&self.folder, source))?;
            put_varint(&mut stream.index, gap);
            put_varint(&mut stream.index, e.len as u64);
            stream.last = Some(number);
            self.streamed += 1;
        }
        self.data.clear();
        self.index.clear();
        Ok(true)
    }

    /// Appends the index of the streamed rows in memory to its file.
    fn save_stream_index(&mut self) -> Result<()> {
        if self.stream.as_ref().is_some_and(|s| s.index_file.is_none()) {
            let made = self.new_run()?;
            if let Some(stream) = self.stream.as_mut() {
                stream.index_file = Some(made);
            }
        }
        let Some(Streamed {
            index,
            index_file: Some((path, out)),
            ..
        }) = self.stream.as_mut()
        else {
            return Ok(());
        };
        out.write_all(index).map_err(|source| Error::io(&path, source))?;
        index.clear();
        Ok(())
    }

    /// Moves the rows in the sink to the first run and stops streaming.
    fn take_back(&mut self) -> Result<()> {
        let Some(mut stream) = self.stream.take() else {
            return Ok(());
        };
        let streamed = std::mem::take(&mut self.streamed);
        if streamed == 0 {
            self.stream_back = Some(stream.sink);
            return Ok(());
        }
        let tail = std::mem::take(&mut stream.index);
        let saved: Box<dyn Read> = match stream.index_file.take() {
            None => Box::new(io::empty()),
            Some((path, out)) => {
                let file = out
                    .into_inner()
                    .map_err(|e| e.into_error())
                    .and_then(|_| File::open(&path))
                    .map_err(|source| Error::io(&path, source))?;
                // The index's file goes once it is read (or when the folder does).
                let _ = std::fs::remove_file(&path);
                Box::new(file)
            }
        };
        let (path, mut out) = self.new_run()?;
        let gaps = std::cell::RefCell::new(Gaps::new(BufReader::with_capacity(
            RUN_BUFFER,
            saved.chain(&tail[..]),
        )));
        let key = std::cell::Cell::new(0u64);
        let mut lens = std::iter::from_fn(|| {
            let (k, len) = gaps.borrow_mut().next()?;
            key.set(k);
            Some(len)
        });
        let mut taken = 0u64;
        let written = stream
            .sink
            .take_back(&mut lens, &mut |row| {
                let key =
                    K::from_number(key.get()).ok_or_else(|| io::Error::other("a streamed row has no key"))?;
                taken += 1;
                write_record(&mut out, &key, row)
            })
            .and_then(|()| gaps.borrow_mut().error.take().map_or(Ok(()), Err))
            .and_then(|()| {
                if taken == streamed {
                    Ok(())
                } else {
                    Err(io::Error::other(format!(
                        "{taken} of the {streamed} rows streamed were read back"
                    )))
                }
            })
            .and_then(|()| out.flush());
        written.map_err(|source| Error::io(&path, source))?;
        // The streamed rows came before any in memory: the first run.
        self.runs.insert(0, path);
        self.stream_back = Some(stream.sink);
        Ok(())
    }

    /// Whether every row so far went, or goes, straight to the sink as it
    /// came (every key so far ascended): see [`ExternalSort::stream_to`].
    pub fn is_streaming(&self) -> bool {
        self.stream.is_some() && self.ascending
    }

    /// Drops every row, those in the sink of [`ExternalSort::stream_to`]
    /// included, and hands the sink back empty (`None` without one).
    ///
    /// # Errors
    /// The sink's, when it cannot forget its rows.
    pub fn into_empty_sink(mut self) -> io::Result<Option<Box<dyn SortedSink>>> {
        let sink = match (self.stream.take(), self.stream_back.take()) {
            (Some(stream), _) => Some(stream.sink),
            (None, back) => back,
        };
        let Some(mut sink) = sink else {
            return Ok(None);
        };
        sink.take_back(&mut std::iter::empty(), &mut |_| Ok(()))?;
        Ok(Some(sink))
    }

    /// Writes what is in memory, sorted, as one more run (or to the sink
    /// while streaming).
    fn spill(&mut self) -> Result<()> {
        if self.index.is_empty() {
            return Ok(());
        }
        if self.stream_memory()? {
            return Ok(());
        }
        self.take_back()?;
        self.sort_memory();
        let (path, mut out) = self.new_run()?;
        let written = self
            .index
            .iter()
            .try_for_each(|e| write_record(&mut out, &e.key, &self.data[e.start..e.start + e.len]))
            .and_then(|()| out.flush());
        written.map_err(|source| Error::io(&path, source))?;
        self.runs.push(path);
        self.data.clear();
        self.index.clear();
        self.ascending = true;
        Ok(())
    }

    /// Whether the rows go to a sink ([`ExternalSort::stream_to`]): then
    /// [`ExternalSort::finish_into_sink`] writes them.
    pub fn has_sink(&self) -> bool {
        self.stream.is_some() || self.stream_back.is_some()
    }

    /// Writes the rows not yet in the sink of [`ExternalSort::stream_to`]
    /// to it, so that it holds every row in ascending key order, and hands
    /// the sink back (`None` without one, and nothing written).
    ///
    /// # Errors
    /// The sink's error, or a run file that cannot be read or written.
    pub fn finish_into_sink(mut self) -> io::Result<Option<Box<dyn SortedSink>>> {
        if self.stream.is_some() {
            if self.stream_memory().map_err(io::Error::other)? {
                let mut sink = self.stream.take().map(|s| s.sink);
                if let Some(sink) = sink.as_mut() {
                    sink.finish()?;
                }
                return Ok(sink);
            }
            self.take_back().map_err(io::Error::other)?;
        }
        let Some(mut sink) = self.stream_back.take() else {
            return Ok(None);
        };
        self.for_each_sorted_keyed(|_, row| sink.write_row(row))?;
        sink.finish()?;
        Ok(Some(sink))
    }

    /// Hands every row to `emit` in ascending id order (rows of equal ids in
    /// the order they came), then removes the run files.
    ///
    /// # Errors
    /// `emit`'s error, or a run file that cannot be read or written (its
    /// [`Error::Io`] as the source of an [`io::Error`]).
    pub fn for_each_sorted(self, mut emit: impl FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
        self.for_each_sorted_keyed(|_, row| emit(row))
    }

    /// [`ExternalSort::for_each_sorted`], each row handed over with its key.
    ///
    /// # Errors
    /// As [`ExternalSort::for_each_sorted`].
    pub fn for_each_sorted_keyed(
        mut self,
        mut emit: impl FnMut(&K, &[u8]) -> io::Result<()>,
    ) -> io::Result<()> {
        // Rows already in a sink are merged with the rest, not lost.
        self.take_back().map_err(io::Error::other)?;
        self.sort_memory();
        if self.runs.is_empty() {
            return self
                .index
                .iter()
                .try_for_each(|e| emit(&e.key, &self.data[e.start..e.start + e.len]));
        }
        // Keep the final merge within FAN_IN files: merge the oldest runs
        // into longer ones first (the one in memory is the last source).
        while self.runs.len() >= FAN_IN {
            let group: Vec<PathBuf> = self.runs.drain(..FAN_IN).collect();
            let (path, mut out) = self.new_run().map_err(io::Error::other)?;
            let sources = open_runs::<K>(&group)?;
            merge(sources, &mut |key, row| write_record(&mut out, key, row))
                .and_then(|()| out.flush())
                .map_err(|e| in_run(&path, e))?;
            for done in &group {
                let _ = std::fs::remove_file(done);
            }
            self.runs.push(path);
        }
        let mut sources = open_runs(&self.runs)?;
        sources.push(Source::Memory {
            data: &self.data,
            index: &self.index,
            at: 0,
        });
        merge(sources, &mut |key, row| emit(key, row))
    }
}

fn in_run(path: &Path, source: io::Error) -> io::Error {
    io::Error::other(Error::io(path, source))
}

fn write_record<K: SortKey>(out: &mut impl Write, key: &K, row: &[u8]) -> io::Result<()> {
    let len = u32::try_from(row.len()).map_err(|_| io::Error::other("a row over 4 GiB cannot be sorted"))?;
    key.write_to(out)?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(row)
}

fn open_runs<'a, K: SortKey>(paths: &[PathBuf]) -> io::Result<Vec<Source<'a, K>>> {
    paths
        .iter()
        .map(|path| {
            let file = File::open(path).map_err(|e| in_run(path, e))?;
            Ok(Source::File {
                path: path.clone(),
                reader: BufReader::with_capacity(RUN_BUFFER, file),
                row: Vec::new(),
            })
        })
        .collect()
}

/// One sorted input of a merge.
enum Source<'a, K> {
    File {
        path: PathBuf,
        reader: BufReader<File>,
        row: Vec<u8>,
    },
    Memory {
        data: &'a [u8],
        index: &'a [Entry<K>],
        at: usize,
    },
}

impl<K: SortKey> Source<'_, K> {
    /// Moves to the next row: its key, or `None` at the end.
    fn advance(&mut self, first: bool) -> io::Result<Option<K>> {
        match self {
            Source::File { path, reader, row } => {
                let end = reader.fill_buf().map_err(|e| in_run(path, e))?.is_empty();
                if end {
                    return Ok(None);
                }
                let read = K::read_from(reader).map_err(|e| in_run(path, e))?;
                let mut len = [0u8; 4];
                reader.read_exact(&mut len).map_err(|e| in_run(path, e))?;
                row.resize(u32::from_le_bytes(len) as usize, 0);
                reader.read_exact(row).map_err(|e| in_run(path, e))?;
                Ok(Some(read))
            }
            Source::Memory { index, at, .. } => {
                if !first {
                    *at += 1;
                }
                Ok(index.get(*at).map(|e| e.key))
            }
        }
    }

    fn row(&self) -> &[u8] {
        match self {
            Source::File { row, .. } => row,
            Source::Memory { data, index, at } => {
                let e = index[*at];
                &data[e.start..e.start + e.len]
            }
        }
    }
}

/// Merges sorted sources; ties go to the earlier source.
fn merge<K: SortKey>(
    mut sources: Vec<Source<'_, K>>,
    emit: &mut dyn FnMut(&K, &[u8]) -> io::Result<()>,
) -> io::Result<()> {
    let mut heap = BinaryHeap::with_capacity(sources.len());
    for (i, source) in sources.iter_mut().enumerate() {
        if let Some(id) = source.advance(true)? {
            heap.push(Reverse((id, i)));
        }
    }
    while let Some(Reverse((id, i))) = heap.pop() {
        emit(&id, sources[i].row())?;
        if let Some(next) = sources[i].advance(false)? {
            heap.push(Reverse((next, i)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    fn sorted_by_external(
        folder: &Path,
        limit: usize,
        rows: &[(u64, Vec<u8>)],
        workers: usize,
    ) -> (Vec<u8>, usize) {
        let mut sorts: Vec<ExternalSort> = (0..workers.max(1))
            .map(|_| ExternalSort::new(folder, limit))
            .collect();
        for (i, (id, row)) in rows.iter().enumerate() {
            let n = sorts.len();
            sorts[i % n]
                .push_with(*id, |buf| {
                    buf.extend_from_slice(row);
                    Ok(())
                })
                .expect("push");
        }
        let mut all = sorts.remove(0);
        for other in sorts {
            all.absorb(other).expect("absorb");
        }
        let runs = all.runs();
        let mut out = Vec::new();
        all.for_each_sorted(|row| {
            out.extend_from_slice(row);
            Ok(())
        })
        .expect("sorted");
        (out, runs)
    }

    fn sorted_in_memory(rows: &[(u64, Vec<u8>)]) -> Vec<u8> {
        let mut rows = rows.to_vec();
        rows.sort_by_key(|(id, _)| *id);
        rows.concat_rows()
    }

    trait ConcatRows {
        fn concat_rows(self) -> Vec<u8>;
    }

    impl ConcatRows for Vec<(u64, Vec<u8>)> {
        fn concat_rows(self) -> Vec<u8> {
            self.into_iter().flat_map(|(_, row)| row).collect()
        }
    }

    fn distinct(ids: Vec<u64>) -> Vec<(u64, Vec<u8>)> {
        let mut seen = std::collections::HashSet::new();
        ids.into_iter()
            .filter(|id| seen.insert(*id))
            .map(|id| {
                (
                    id,
                    format!("{id},{}\n", "x".repeat((id % 7) as usize)).into_bytes(),
                )
            })
            .collect()
    }

    proptest! {
        #[test]
        fn the_external_sort_gives_what_an_in_memory_sort_gives(
            ids in proptest::collection::vec(0u64..5_000, 0..600),
            limit in 1usize..400,
            workers in 1usize..4,
        ) {
            let folder = tempfile::tempdir().expect("temp dir");
            let rows = distinct(ids);
            let (out, _) = sorted_by_external(folder.path(), limit, &rows, workers);
            prop_assert_eq!(out, sorted_in_memory(&rows));
            prop_assert_eq!(std::fs::read_dir(folder.path()).expect("list").count(), 0);
        }
    }

    /// A sink whose bytes the test keeps a hold of.
    #[derive(Debug, Default, Clone)]
    struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl SortedSink for Shared {
        fn write_row(&mut self, row: &[u8]) -> io::Result<()> {
            self.0.lock().expect("lock").write_row(row)
        }
        fn take_back(
            &mut self,
            lens: &mut dyn Iterator<Item = usize>,
            each: &mut EachRow<'_>,
        ) -> io::Result<()> {
            self.0.lock().expect("lock").take_back(lens, each)
        }
    }

    /// `rows` through a sort streaming to a sink with a memory `limit`: the
    /// sink's bytes, and whether a run file was there after any row.
    fn streamed(folder: &Path, limit: usize, rows: &[(u64, Vec<u8>)]) -> (Vec<u8>, bool) {
        let kept = Shared::default();
        let mut sort = ExternalSort::new(folder, limit).stream_to(Box::new(kept.clone()));
        let mut ran = false;
        for (id, row) in rows {
            sort.push_with(*id, |buf| {
                buf.extend_from_slice(row);
                Ok(())
            })
            .expect("push");
            ran |= sort.runs() > 0 || std::fs::read_dir(folder).expect("list").count() > 0;
        }
        drop(sort.finish_into_sink().expect("finish").expect("a sink"));
        let bytes = kept.0.lock().expect("lock").clone();
        (bytes, ran)
    }

    /// Ids `0..n` ascending, with `swaps` pairs swapped (at places given
    /// as fractions of the length), or shuffled.
    fn ids(n: u64, swaps: &[(u16, u16)], shuffle: Option<u64>) -> Vec<u64> {
        let mut ids: Vec<u64> = (0..n).map(|i| i * 3).collect();
        if n > 0 {
            for &(a, b) in swaps {
                let at = |f: u16| (u64::from(f) * (n - 1) / u64::from(u16::MAX)) as usize;
                ids.swap(at(a), at(b));
            }
        }
        if let Some(seed) = shuffle {
            let mut state = seed | 1;
            for i in (1..ids.len()).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                ids.swap(i, (state % (i as u64 + 1)) as usize);
            }
        }
        ids
    }

    proptest! {
        #[test]
        fn a_streaming_sort_gives_what_an_in_memory_sort_gives(
            n in 0u64..800,
            swaps in proptest::collection::vec((any::<u16>(), any::<u16>()), 0..4),
            late in any::<bool>(),
            shuffle in proptest::option::weighted(0.2, any::<u64>()),
            limit in prop_oneof![1usize..600, 4_000usize..12_000],
        ) {
            // A signal handler's test elsewhere removes every run folder.
            let _serial = crate::testing::serial();
            let folder = tempfile::tempdir().expect("temp dir");
            // Swaps late in the input only, or anywhere.
            let swaps: Vec<(u16, u16)> = swaps
                .into_iter()
                .map(|(a, b)| if late { (a / 8 + 57_000, b / 8 + 57_000) } else { (a, b) })
                .collect();
            let rows = distinct(ids(n, &swaps, shuffle));
            let (out, ran) = streamed(folder.path(), limit, &rows);
            prop_assert_eq!(out, sorted_in_memory(&rows));
            let ascending = rows.windows(2).all(|w| w[0].0 <= w[1].0);
            // The index of streamed rows (at most 4 bytes a row here) stays in memory.
            if ascending && rows.len() * 4 < limit / 4 {
                prop_assert!(!ran, "ascending rows made a run file");
            }
            prop_assert_eq!(std::fs::read_dir(folder.path()).expect("list").count(), 0);
        }
    }

    #[test]
    fn ascending_rows_stream_out_with_no_run_and_a_late_low_id_is_merged_in() {
        let _serial = crate::testing::serial();
        let folder = tempfile::tempdir().expect("temp dir");
        let mut sort = ExternalSort::new(folder.path(), 32 << 10).stream_to(Box::new(Vec::new()));
        for id in 0..3_000u64 {
            sort.push_with(id * 2 + 1, |b| {
                b.write_all(format!("{}\n", id * 2 + 1).as_bytes())
            })
            .expect("push");
        }
        assert!(sort.streamed() > 2_000, "{} streamed", sort.streamed());
        assert_eq!(sort.runs(), 0);
        assert_eq!(std::fs::read_dir(folder.path()).expect("list").count(), 0);
        // A low id: the streamed rows become the first run.
        sort.push_with(0, |b| b.write_all(b"0\n")).expect("push");
        for id in 3_000..3_100u64 {
            sort.push_with(id * 2 + 1, |b| {
                b.write_all(format!("{}\n", id * 2 + 1).as_bytes())
            })
            .expect("push");
        }
        let mut out = Vec::new();
        sort.for_each_sorted(|row| out.write_all(row)).expect("sorted");
        let expected: String = std::iter::once(0)
            .chain((0..3_100u64).map(|id| id * 2 + 1))
            .map(|id| format!("{id}\n"))
            .collect();
        assert_eq!(String::from_utf8(out).expect("text"), expected);
    }

    /// The table `rows` make in a [`FileSink`] through a sort streaming to
    /// it with a budget of `limit`, and the rows streamed at the end.
    fn through_a_file_sink(limit: usize, ids: &[u64]) -> (String, u64) {
        let folder = tempfile::tempdir().expect("temp dir");
        let encoder = crate::TableEncoder::new(crate::Table::Sessions, crate::Format::Json);
        let file = tempfile::tempfile().expect("temp file");
        let sink = FileSink::table(file.try_clone().expect("handle"), &encoder).expect("sink");
        let mut sort = ExternalSort::new(folder.path(), limit).stream_to(Box::new(sink));
        for id in ids {
            sort.push_with(*id, |b| write!(b, "{{\"id\":{id}}}"))
                .expect("push");
        }
        // The rows not streamed yet are those of the last buffer.
        let streamed = if sort.runs() == 0 { sort.streamed() } else { 0 };
        drop(sort.finish_into_sink().expect("finish").expect("a sink"));
        assert_eq!(std::fs::read_dir(folder.path()).expect("list").count(), 0);
        let mut text = String::new();
        (&file).read_to_string(&mut text).expect("read");
        (text, streamed)
    }

    #[test]
    fn a_long_ascending_stream_keeps_its_index_in_a_file_and_a_late_low_id_reads_it_back() {
        let _serial = crate::testing::serial();
        let ascending: Vec<u64> = (1..=20_000).collect();
        let table = |ids: &[u64]| {
            let rows: Vec<String> = ids.iter().map(|id| format!("{{\"id\":{id}}}")).collect();
            format!("[\n{}\n]\n", rows.join(",\n"))
        };
        // 2 KiB: the index of 20,000 rows (about 2 bytes each) goes to a file many times.
        let (text, streamed) = through_a_file_sink(2 << 10, &ascending);
        assert!(
            streamed > 19_900,
            "{streamed} rows streamed before the last buffer"
        );
        assert!(text == table(&ascending), "the streamed table differs");
        let mut late = ascending.clone();
        late.push(0);
        // The low id takes the streamed rows back (their index from its file) at the end.
        let (text, _) = through_a_file_sink(2 << 10, &late);
        let mut sorted = late.clone();
        sorted.sort_unstable();
        assert!(text == table(&sorted), "the merged table differs");
        assert_eq!(through_a_file_sink(64, &[]).0, "[]\n");
    }

    #[test]
    fn more_runs_than_the_fan_in_are_merged_in_rounds() {
        let folder = tempfile::tempdir().expect("temp dir");
        let rows = distinct(
            (0..3_000u64)
                .map(|i| i.wrapping_mul(2_654_435_761) % 100_000)
                .collect(),
        );
        let (out, runs) = sorted_by_external(folder.path(), 1, &rows, 1);
        assert!(runs > FAN_IN * FAN_IN / 2, "{runs} runs");
        assert_eq!(out, sorted_in_memory(&rows));
    }

    #[test]
    fn ascending_rows_that_fit_write_no_run() {
        let folder = tempfile::tempdir().expect("temp dir");
        let rows = distinct((0..1_000).collect());
        let (out, runs) = sorted_by_external(folder.path(), DEFAULT_SORT_MEMORY, &rows, 2);
        assert_eq!(runs, 0);
        assert_eq!(out, sorted_in_memory(&rows));
    }

    #[test]
    fn a_dropped_sort_leaves_nothing_and_a_signal_handler_removes_its_runs() {
        let _serial = crate::testing::serial();
        let folder = tempfile::tempdir().expect("temp dir");
        let mut sort = ExternalSort::new(folder.path(), 1);
        sort.push_with(2, |b| b.write_all(b"two")).expect("push");
        assert_eq!(std::fs::read_dir(folder.path()).expect("list").count(), 1);
        drop(sort);
        assert_eq!(std::fs::read_dir(folder.path()).expect("list").count(), 0);

        let mut sort = ExternalSort::new(folder.path(), 1);
        sort.push_with(2, |b| b.write_all(b"two")).expect("push");
        crate::remove_pending_files();
        assert_eq!(std::fs::read_dir(folder.path()).expect("list").count(), 0);
        drop(sort);
    }

    #[test]
    fn an_encoder_error_takes_nothing() {
        let folder = tempfile::tempdir().expect("temp dir");
        let mut sort = ExternalSort::new(folder.path(), DEFAULT_SORT_MEMORY);
        let err = sort
            .push_with(1, |b| {
                b.extend_from_slice(b"half");
                Err(io::Error::other("no"))
            })
            .expect_err("the encoder fails");
        assert!(matches!(err, Error::Io { .. }), "{err:?}");
        sort.push_with(2, |b| b.write_all(b"two")).expect("push");
        let mut out = Vec::new();
        sort.for_each_sorted(|row| out.write_all(row)).expect("sorted");
        assert_eq!(out, b"two");
    }
}
