//! An external merge sort of encoded output rows keyed by session id, in a
//! fixed memory budget.
//!
//! Rows are kept in one byte buffer with an index of `(id, place)`; when the
//! two reach the budget the index is sorted (skipped when the rows came in
//! ascending order) and written out as a *run*: a temporary file of
//! `id (u64 LE), length (u32 LE), bytes` records. At the end the runs and
//! what is still in memory are merged through a heap, at most [`FAN_IN`]
//! files at a time. The temporary files live in one folder per sorter,
//! removed when the sorter is dropped and, on a signal, by
//! [`remove_pending_files`](crate::remove_pending_files).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::atomic::{committing, pending_dirs};
use crate::error::{Error, Result};

/// The memory budget of a sort unless told otherwise: 64 MiB.
pub const DEFAULT_SORT_MEMORY: usize = 64 << 20;

/// Runs merged at once; more are first merged in groups into longer runs.
const FAN_IN: usize = 64;

/// The buffer of each run file read or written while merging.
const RUN_BUFFER: usize = 64 << 10;

/// Where one row is in the buffer.
#[derive(Debug, Clone, Copy)]
struct Entry {
    id: u64,
    start: usize,
    len: usize,
}

/// What a row costs in memory beyond its bytes.
const ENTRY_COST: usize = std::mem::size_of::<Entry>();

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
            .map_err(|source| Error::Io {
                path: folder.to_path_buf(),
                source,
            })?;
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
pub struct ExternalSort {
    folder: PathBuf,
    limit: usize,
    data: Vec<u8>,
    index: Vec<Entry>,
    /// Every id so far came after the one before.
    ascending: bool,
    runs: Vec<PathBuf>,
    spills: Vec<SpillDir>,
    /// Run files made so far, for their names.
    made: u64,
    rows: u64,
}

impl ExternalSort {
    /// A sort that keeps at most about `limit` bytes of rows in memory and
    /// writes the rest to run files in a new folder inside `folder`.
    pub fn new(folder: &Path, limit: usize) -> ExternalSort {
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
        }
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
        self.data.len() + self.index.len() * ENTRY_COST
    }

    /// Takes the row of `id`, which `encode` appends to the buffer it is given.
    ///
    /// # Errors
    /// `encode`'s error, or [`Error::Io`] when a run file cannot be written.
    pub fn push_with(&mut self, id: u64, encode: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> Result<()> {
        let start = self.data.len();
        if let Err(source) = encode(&mut self.data) {
            self.data.truncate(start);
            return Err(Error::Io {
                path: self.folder.clone(),
                source,
            });
        }
        if self.index.last().is_some_and(|last| last.id > id) {
            self.ascending = false;
        }
        self.index.push(Entry {
            id,
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
    pub fn absorb(&mut self, mut other: ExternalSort) -> Result<()> {
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
            if last.id > first.id {
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
            self.index.sort_unstable_by_key(|e| e.id);
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
        let file = File::create_new(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        Ok((path, BufWriter::with_capacity(RUN_BUFFER, file)))
    }

    /// Writes what is in memory, sorted, as one more run.
    fn spill(&mut self) -> Result<()> {
        if self.index.is_empty() {
            return Ok(());
        }
        self.sort_memory();
        let (path, mut out) = self.new_run()?;
        let written = self
            .index
            .iter()
            .try_for_each(|e| write_record(&mut out, e.id, &self.data[e.start..e.start + e.len]))
            .and_then(|()| out.flush());
        written.map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        self.runs.push(path);
        self.data.clear();
        self.index.clear();
        self.ascending = true;
        Ok(())
    }

    /// Hands every row to `emit` in ascending id order (rows of equal ids in
    /// the order they came), then removes the run files.
    ///
    /// # Errors
    /// `emit`'s error, or a run file that cannot be read or written (its
    /// [`Error::Io`] as the source of an [`io::Error`]).
    pub fn for_each_sorted(mut self, mut emit: impl FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
        self.sort_memory();
        if self.runs.is_empty() {
            return self
                .index
                .iter()
                .try_for_each(|e| emit(&self.data[e.start..e.start + e.len]));
        }
        // Keep the final merge within FAN_IN files: merge the oldest runs
        // into longer ones first (the one in memory is the last source).
        while self.runs.len() >= FAN_IN {
            let group: Vec<PathBuf> = self.runs.drain(..FAN_IN).collect();
            let (path, mut out) = self.new_run().map_err(io::Error::other)?;
            let sources = open_runs(&group)?;
            merge(sources, &mut |id, row| write_record(&mut out, id, row))
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
        merge(sources, &mut |_, row| emit(row))
    }
}

fn in_run(path: &Path, source: io::Error) -> io::Error {
    io::Error::other(Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn write_record(out: &mut impl Write, id: u64, row: &[u8]) -> io::Result<()> {
    let len = u32::try_from(row.len()).map_err(|_| io::Error::other("a row over 4 GiB cannot be sorted"))?;
    out.write_all(&id.to_le_bytes())?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(row)
}

fn open_runs(paths: &[PathBuf]) -> io::Result<Vec<Source<'static>>> {
    paths
        .iter()
        .map(|path| {
            let file = File::open(path).map_err(|e| in_run(path, e))?;
            Ok(Source::File {
                path: path.clone(),
                reader: BufReader::with_capacity(RUN_BUFFER, file),
                id: 0,
                row: Vec::new(),
            })
        })
        .collect()
}

/// One sorted input of a merge.
enum Source<'a> {
    File {
        path: PathBuf,
        reader: BufReader<File>,
        id: u64,
        row: Vec<u8>,
    },
    Memory {
        data: &'a [u8],
        index: &'a [Entry],
        at: usize,
    },
}

impl Source<'_> {
    /// Moves to the next row: its id, or `None` at the end.
    fn advance(&mut self, first: bool) -> io::Result<Option<u64>> {
        match self {
            Source::File {
                path,
                reader,
                id,
                row,
            } => {
                let end = reader.fill_buf().map_err(|e| in_run(path, e))?.is_empty();
                if end {
                    return Ok(None);
                }
                let mut head = [0u8; 12];
                reader.read_exact(&mut head).map_err(|e| in_run(path, e))?;
                let (id_bytes, len_bytes) = head.split_at(8);
                // OK because split_at(8) of 12 bytes gives 8 and 4.
                *id = u64::from_le_bytes(id_bytes.try_into().unwrap_or_default());
                let len = u32::from_le_bytes(len_bytes.try_into().unwrap_or_default()) as usize;
                row.resize(len, 0);
                reader.read_exact(row).map_err(|e| in_run(path, e))?;
                Ok(Some(*id))
            }
            Source::Memory { index, at, .. } => {
                if !first {
                    *at += 1;
                }
                Ok(index.get(*at).map(|e| e.id))
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
fn merge(mut sources: Vec<Source<'_>>, emit: &mut dyn FnMut(u64, &[u8]) -> io::Result<()>) -> io::Result<()> {
    let mut heap = BinaryHeap::with_capacity(sources.len());
    for (i, source) in sources.iter_mut().enumerate() {
        if let Some(id) = source.advance(true)? {
            heap.push(Reverse((id, i)));
        }
    }
    while let Some(Reverse((id, i))) = heap.pop() {
        emit(id, sources[i].row())?;
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
        let _serial = crate::atomic::tests::serial();
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
