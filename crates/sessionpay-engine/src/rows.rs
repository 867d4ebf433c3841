//! Every session's output row, in session id order, in a fixed memory
//! budget: `reconcile` and `sessions`.
//!
//! Rows go to an [`ExternalSort`]. Given a sink (the staged output file),
//! the table streams: rows that come in ascending id order go straight to
//! the sink, and the sort takes them back at the first id out of order.
//!
//! A parallel read hands each worker whole parts, in input order; the parts
//! of an ascending file are ascending in part order. So while the table
//! streams, each worker holds the rows of its part (within its share of the
//! budget) until every earlier part is handed over, then hands them to the
//! one sort that streams: it sees the rows in file order. Once it has given
//! up streaming, each worker sorts its own rows, as without a sink, and the
//! sorts are merged at the end.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use sessionpay_io::{
    AtomicFile, ExternalSort, FileSink, Format, LineDigest, OutputSet, SessionLine, SortedSink, Table,
    TableEncoder,
};

use crate::{Collector, Result};

/// How the rows of a table are sorted: the budget, where runs go and the
/// sink the rows stream to. [`SortedTable::collector`] makes each worker's
/// [`SortedRows`].
///
/// ```
/// # use sessionpay_engine::{Run, RunOptions, SortedTable};
/// # use sessionpay_io::{Format, Table};
/// let (inputs, _) = sessionpay_io::expand_inputs(&["../../fixtures/conformance/report.csv".into()])?;
/// let policy = sessionpay_core::RateTable::default();
/// let folder = tempfile::tempdir()?;
/// let table = SortedTable::new(Table::Sessions, Format::Csv, folder.path(), 64 << 20, 1);
/// let (rows, _) = Run::new(&inputs, &policy, RunOptions::default()).collect(|| table.collector())?;
/// let mut out = Vec::new();
/// rows.write_table(&mut out)?;
/// assert!(out.starts_with(b"session_id,"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct SortedTable {
    table: Table,
    format: Format,
    folder: PathBuf,
    budget: usize,
    threads: usize,
    stream: Option<Arc<Stream>>,
}

/// The output file of a table, staged in the run's output set by
/// [`SortedTable::stage`]; [`SortedRows::finish_staged`] completes it.
#[derive(Debug)]
pub struct StagedTable {
    path: PathBuf,
    file: AtomicFile,
}

/// The sort every worker hands its parts to, in part order, while it streams.
#[derive(Debug)]
struct Stream {
    state: Mutex<StreamState>,
    turn: Condvar,
    folder: PathBuf,
    limit: usize,
    /// The sort stopped streaming: rows go to each worker's own sort as they come.
    gave_up: AtomicBool,
}

#[derive(Debug)]
struct StreamState {
    sort: Option<ExternalSort>,
    /// The part whose rows go next.
    next: usize,
    /// A worker stopped in the middle of a part: no turn will come.
    stopped: bool,
}

impl StreamState {
    fn streaming(&self) -> bool {
        self.sort.as_ref().is_some_and(ExternalSort::is_streaming)
    }
}

impl SortedTable {
    /// The rows of `table` in `format`, sorted in `budget` bytes shared by
    /// `threads` workers, runs in a new folder inside `folder`.
    pub fn new(table: Table, format: Format, folder: &Path, budget: usize, threads: usize) -> SortedTable {
        SortedTable {
            table,
            format,
            folder: folder.to_path_buf(),
            budget: budget.max(1),
            threads: threads.max(1),
            stream: None,
        }
    }

    /// This table, its rows streamed to `sink` while their ids ascend
    /// ([`ExternalSort::stream_to`]); [`SortedRows::finish_into_sink`]
    /// writes the rest. Half the budget goes to the sort that streams.
    #[must_use]
    pub fn stream_to(mut self, sink: Box<dyn SortedSink>) -> SortedTable {
        let limit = (self.budget / 2).max(1);
        self.stream = Some(Arc::new(Stream {
            state: Mutex::new(StreamState {
                sort: Some(ExternalSort::new(&self.folder, limit).stream_to(sink)),
                next: 0,
                stopped: false,
            }),
            turn: Condvar::new(),
            folder: self.folder.clone(),
            limit,
            gave_up: AtomicBool::new(false),
        }));
        self
    }

    /// Stages `path` in `outputs` for this table's rows. When the staged
    /// file can be written at offsets and read back (a file, not a device
    /// or a pipe), the rows stream into it while their ids ascend.
    ///
    /// # Errors
    /// The file cannot be created or written.
    pub fn stage(self, path: &Path, outputs: &mut OutputSet) -> Result<(SortedTable, StagedTable)> {
        let mut file = outputs.create(path)?;
        let error = |source| crate::Error::from(sessionpay_io::Error::io(path, source));
        let table = match file.staged_file().map_err(error)? {
            Some(handle) => {
                let sink = FileSink::table(handle, &self.encoder()).map_err(error)?;
                self.stream_to(Box::new(sink))
            }
            None => self,
        };
        let staged = StagedTable {
            path: path.to_path_buf(),
            file,
        };
        Ok((table, staged))
    }

    /// An encoder of this table's rows.
    pub fn encoder(&self) -> TableEncoder {
        TableEncoder::new(self.table, self.format)
    }

    /// The collector of one worker (or of the sequential pass).
    pub fn collector(&self) -> SortedRows {
        let budget = if self.stream.is_some() {
            self.budget / 2
        } else {
            self.budget
        };
        let share = (budget / self.threads).max(1);
        SortedRows {
            sort: ExternalSort::new(&self.folder, share),
            encoder: self.encoder(),
            tally: LineDigest::new(0),
            held: Held {
                part: None,
                has_turn: false,
                data: Vec::new(),
                rows: Vec::new(),
                limit: share,
                stream: self.stream.clone(),
            },
        }
    }
}

/// The bytes of rows held outside a part before they are handed over.
const HELD_OUTSIDE_PARTS: usize = 1 << 20;

/// The rows a worker holds for its turn.
#[derive(Debug)]
struct Held {
    /// The part being read.
    part: Option<usize>,
    /// Whether the rows of `part` go to the stream now (earlier parts are in).
    has_turn: bool,
    data: Vec<u8>,
    /// Each row's id and length.
    rows: Vec<(u64, usize)>,
    limit: usize,
    /// The sort that streams, shared by the workers.
    stream: Option<Arc<Stream>>,
}

/// Every priced session as its encoded output row, sorted by session id in
/// a fixed memory budget (the rest goes to temporary run files), with the
/// counts of statuses and reasons. Made by [`SortedTable::collector`].
#[derive(Debug)]
pub struct SortedRows {
    /// The rows this worker sorts itself (all of them without a sink).
    sort: ExternalSort,
    encoder: TableEncoder,
    /// The statuses and reasons of the lines taken (no line kept).
    pub tally: LineDigest,
    held: Held,
}

/// How the rows were written, for a note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowsWritten {
    /// Rows written.
    pub rows: u64,
    /// Temporary run files the sort wrote (0: it held every row in memory, or streamed them).
    pub runs: usize,
    /// Whether every row went straight to the sink as it came.
    pub streamed: bool,
}

fn lock(stream: &Stream) -> MutexGuard<'_, StreamState> {
    stream
        .state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn stopped(folder: &Path) -> crate::Error {
    sessionpay_io::Error::io(folder, io::Error::other("another worker stopped")).into()
}

impl SortedRows {
    /// Hands the rows held to the stream (after every earlier part's, while
    /// it streams) or to this worker's own sort.
    fn hand_over(&mut self) -> Result<()> {
        let Some(stream) = self.held.stream.clone() else {
            return Ok(());
        };
        let mut state = lock(&stream);
        if let (Some(part), false) = (self.held.part, self.held.has_turn) {
            while state.streaming() && state.next != part && !state.stopped {
                state = stream
                    .turn
                    .wait(state)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
            if state.stopped {
                return Err(stopped(&stream.folder));
            }
            self.held.has_turn = state.streaming();
        }
        let mut guard = if state.streaming() {
            Some(state)
        } else {
            stream.gave_up.store(true, Ordering::Relaxed);
            drop(state);
            None
        };
        let held = &mut self.held;
        let target = match guard.as_mut().and_then(|state| state.sort.as_mut()) {
            Some(sort) => sort,
            None => &mut self.sort,
        };
        let mut at = 0;
        for &(id, len) in &held.rows {
            let row = &held.data[at..at + len];
            target.push_with(id, |buf| {
                buf.extend_from_slice(row);
                Ok(())
            })?;
            at += len;
        }
        held.data.clear();
        held.rows.clear();
        Ok(())
    }

    /// The sort that streams, with this worker's rows in it.
    fn into_one_sort(mut self) -> io::Result<(ExternalSort, TableEncoder)> {
        self.hand_over().map_err(io::Error::other)?;
        let Some(stream) = self.held.stream.take() else {
            return Ok((
                std::mem::replace(&mut self.sort, ExternalSort::new(Path::new("."), 1)),
                self.encoder,
            ));
        };
        let mut all = lock(&stream)
            .sort
            .take()
            .ok_or_else(|| io::Error::other("the rows were already written"))?;
        let own = std::mem::replace(&mut self.sort, ExternalSort::new(&stream.folder, 1));
        if own.rows() > 0 {
            all.absorb(own).map_err(io::Error::other)?;
        }
        Ok((all, self.encoder))
    }

    /// Writes the table into the file [`SortedTable::stage`] staged (the
    /// rows not streamed into it yet) and adds it to `outputs`.
    ///
    /// # Errors
    /// The file, or a run file, cannot be read or written.
    pub fn finish_staged(self, staged: StagedTable, outputs: &mut OutputSet) -> Result<RowsWritten> {
        let StagedTable { path, mut file } = staged;
        let written = if self.has_sink() {
            self.finish_into_sink()
        } else {
            self.write_table(&mut file)
        };
        let written = written.map_err(|source| sessionpay_io::Error::io(&path, source))?;
        outputs.add(file)?;
        Ok(written)
    }

    /// Whether the rows go to a sink ([`SortedTable::stream_to`]).
    pub fn has_sink(&self) -> bool {
        self.held.stream.is_some()
    }

    /// Writes the rows not yet in the sink to it, so that it holds the whole
    /// table in id order, and finishes it.
    ///
    /// # Errors
    /// The sink's, or a run file that cannot be read or written; an error
    /// when the table has no sink.
    pub fn finish_into_sink(self) -> io::Result<RowsWritten> {
        let (sort, _) = self.into_one_sort()?;
        let streamed = sort.is_streaming();
        let (rows, runs) = (sort.rows(), sort.runs());
        sort.finish_into_sink()?
            .ok_or_else(|| io::Error::other("the table has no sink"))?;
        Ok(RowsWritten { rows, runs, streamed })
    }

    /// Writes the table to `out`: header, rows in id order, footer.
    ///
    /// # Errors
    /// `out`'s, or a run file that cannot be read or written; an error when
    /// the rows go to a sink.
    pub fn write_table(self, out: impl Write) -> io::Result<RowsWritten> {
        if self.has_sink() {
            return Err(io::Error::other("the table's rows go to its sink"));
        }
        let (sort, encoder) = self.into_one_sort()?;
        let (rows, runs) = (sort.rows(), sort.runs());
        encoder.write_rows(out, |row| sort.for_each_sorted(row))?;
        Ok(RowsWritten {
            rows,
            runs,
            streamed: false,
        })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        // A worker that stops within a part will not hand it over: the
        // others must not wait for it.
        if let (Some(stream), Some(_)) = (&self.stream, self.part) {
            lock(stream).stopped = true;
            stream.turn.notify_all();
        }
    }
}

impl Collector for SortedRows {
    type Item = SessionLine;

    fn add(&mut self, line: SessionLine) -> Result<()> {
        self.tally.add(&line)?;
        let id = line.session.id.0;
        let gave_up = self
            .held
            .stream
            .as_ref()
            .is_none_or(|s| s.gave_up.load(Ordering::Relaxed));
        if gave_up && self.held.rows.is_empty() {
            let encoder = &mut self.encoder;
            self.sort.push_with(id, |buf| encoder.encode(&line, buf))?;
            return Ok(());
        }
        let start = self.held.data.len();
        if let Err(source) = self.encoder.encode(&line, &mut self.held.data) {
            self.held.data.truncate(start);
            return Err(sessionpay_io::Error::io(self.sort_folder(), source).into());
        }
        self.held.rows.push((id, self.held.data.len() - start));
        // Rows outside a part (one pass in order) wait for no turn: a small batch will do.
        let limit = if self.held.part.is_some() {
            self.held.limit
        } else {
            self.held.limit.min(HELD_OUTSIDE_PARTS)
        };
        if self.held.data.len() + self.held.rows.len() * 16 >= limit {
            self.hand_over()?;
        }
        Ok(())
    }

    fn merge(&mut self, mut other: Self) -> Result<()> {
        other.hand_over()?;
        self.tally
            .merge(std::mem::replace(&mut other.tally, LineDigest::new(0)))?;
        let theirs = std::mem::replace(&mut other.sort, ExternalSort::new(Path::new("."), 1));
        if theirs.rows() > 0 {
            self.sort.absorb(theirs)?;
        }
        Ok(())
    }

    fn begin_part(&mut self, part: usize) -> Result<()> {
        self.held.part = Some(part);
        self.held.has_turn = false;
        Ok(())
    }

    fn end_part(&mut self, part: usize) -> Result<()> {
        self.hand_over()?;
        if let (Some(stream), true) = (&self.held.stream, self.held.has_turn) {
            let mut state = lock(stream);
            state.next = state.next.max(part + 1);
            stream.turn.notify_all();
        }
        self.held.part = None;
        self.held.has_turn = false;
        Ok(())
    }

    fn start_over(&mut self) -> Result<()> {
        let Some(stream) = &self.held.stream else {
            return Ok(());
        };
        let mut state = lock(stream);
        let sink = match state.sort.take() {
            Some(sort) => sort
                .into_empty_sink()
                .map_err(|source| sessionpay_io::Error::io(&stream.folder, source))?,
            None => None,
        };
        state.sort = sink.map(|sink| ExternalSort::new(&stream.folder, stream.limit).stream_to(sink));
        state.next = 0;
        state.stopped = false;
        stream.gave_up.store(false, Ordering::Relaxed);
        Ok(())
    }
}

impl SortedRows {
    fn sort_folder(&self) -> PathBuf {
        self.held
            .stream
            .as_ref()
            .map_or_else(|| PathBuf::from("."), |s| s.folder.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use sessionpay_core::RateTable;

    use crate::run::tests::{csv, row};
    use crate::{Lines, Run, RunOptions};

    /// Ids 0..300 (times 7) in order, shuffled, or in order but for a few swaps late.
    fn ids(order: &str) -> Vec<u64> {
        let mut ids: Vec<u64> = (0..300u64).map(|i| i * 7).collect();
        match order {
            "ascending" => {}
            "shuffled" => ids = (0..300u64).map(|i| (i * 7_919) % 300 * 7).collect(),
            "nearly" => {
                ids.swap(250, 280);
                ids.swap(120, 121);
            }
            // The first id again at the end: the parallel read gives up at its merge.
            "repeat" => ids.push(0),
            _ => unreachable!("{order}"),
        }
        ids
    }

    struct Case {
        table: Table,
        format: Format,
        limit: usize,
        threads: usize,
        sink: bool,
    }

    /// The bytes of `case` over `order`, how they were written, and what the
    /// writer of a sorted list gives.
    fn both_ways(case: &Case, order: &str) -> (Vec<u8>, RowsWritten, Vec<u8>) {
        let dir = tempfile::tempdir().expect("temp dir");
        let rows: Vec<String> = ids(order)
            .into_iter()
            .map(|id| row(id, (id % 5) as u32, if id % 3 == 0 { "1.00" } else { "5.00" }))
            .collect();
        let inputs = [csv(dir.path(), "a.csv", &rows)];
        // The venue's currency is known: no row waits for the end of the read.
        let mut policy = RateTable::default();
        policy.venue_currencies.insert(
            sessionpay_core::VenueId(101),
            sessionpay_core::Currency::try_from_code("GBP").expect("GBP"),
        );
        let options = RunOptions::default().threads(case.threads).parallel_min_bytes(1);
        let lines = Run::new(&inputs, &policy, options.clone())
            .collect(Lines::default)
            .expect("lines")
            .0
            .sorted();
        let mut expected = Vec::new();
        match case.table {
            Table::Reconcile => sessionpay_io::write_reconcile(&mut expected, &lines, case.format),
            Table::ReconcileExplained => {
                sessionpay_io::write_reconcile_explained(&mut expected, &lines, case.format)
            }
            Table::Sessions => sessionpay_io::write_sessions(&mut expected, &lines, case.format),
        }
        .expect("write");
        let spill = tempfile::tempdir().expect("spill dir");
        let mut table = SortedTable::new(case.table, case.format, spill.path(), case.limit, case.threads);
        let file = tempfile::tempfile().expect("output");
        if case.sink {
            let sink = sessionpay_io::FileSink::table(file.try_clone().expect("handle"), &table.encoder())
                .expect("sink");
            table = table.stream_to(Box::new(sink));
        }
        let (sorted, stats) = Run::new(&inputs, &policy, options)
            .collect(|| table.collector())
            .expect("rows");
        let parallel = (stats.workers, stats.gave_up_parallel);
        if order == "repeat" {
            // The worker that meets it, or one waiting for that worker's part, gives up.
            assert_eq!(parallel.1.is_some(), case.threads > 1, "{parallel:?}");
        } else {
            assert_eq!(
                parallel,
                (case.threads, None),
                "the parallel read, when there is one, is kept"
            );
        }
        assert_eq!(sorted.tally.sessions, 300);
        let mut got = Vec::new();
        let written = if case.sink {
            let written = sorted.finish_into_sink().expect("finish");
            std::io::Read::read_to_end(&mut &file, &mut got).expect("read back");
            written
        } else {
            sorted.write_table(&mut got).expect("write rows")
        };
        drop(table);
        assert_eq!(std::fs::read_dir(spill.path()).expect("list").count(), 0);
        (got, written, expected)
    }

    #[test]
    fn sorted_rows_write_what_the_sorted_list_writes_streamed_in_memory_or_through_runs() {
        for table in [Table::Reconcile, Table::ReconcileExplained, Table::Sessions] {
            for format in [Format::Csv, Format::Json] {
                for (limit, threads) in [(64 << 20, 1), (64 << 20, 3), (500, 1), (500, 3)] {
                    for sink in [false, true] {
                        for order in ["ascending", "shuffled", "nearly", "repeat"] {
                            let case = Case {
                                table,
                                format,
                                limit,
                                threads,
                                sink,
                            };
                            let (got, _, expected) = both_ways(&case, order);
                            assert!(
                                got == expected,
                                "{table:?} {format:?} limit {limit} threads {threads} sink {sink} {order}: {}",
                                String::from_utf8_lossy(&got)
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn ascending_rows_stream_straight_to_the_sink_from_every_worker_in_part_order() {
        for threads in [1, 2, 3] {
            for limit in [64 << 20, 4 << 10] {
                let case = Case {
                    table: Table::Sessions,
                    format: Format::Csv,
                    limit,
                    threads,
                    sink: true,
                };
                let (got, written, expected) = both_ways(&case, "ascending");
                assert!(got == expected);
                assert_eq!(
                    (written.rows, written.runs, written.streamed),
                    (300, 0, true),
                    "{threads} thread(s), {limit} bytes"
                );
                // Out of order: merged through the sort, all the same.
                let (got, written, expected) = both_ways(&case, "nearly");
                assert!(got == expected);
                assert!(!written.streamed);
            }
        }
    }
}
