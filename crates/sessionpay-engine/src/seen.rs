//! Where each session id of a sequential pass was first seen, in bounded
//! memory: the ids themselves in a [`RoaringTreemap`] (a few bits each for
//! the dense ids of an export), and each first place with the hash of its
//! row as a fixed-size record, kept in a buffer and written, sorted by id,
//! as runs to one anonymous temporary file in the run's spill folder
//! ([`crate::RunOptions::spill_folder`]) when the buffer is full; without
//! one, the records stay in memory. Only a
//! repeated id (rare) looks its first place up; a small index of every
//! run, and the block of each run read last, make that one read at most.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use roaring::RoaringTreemap;
use sessionpay_io::Location;

/// Where a session id was first seen, and what its row held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seen {
    pub(crate) hash: u64,
    pub(crate) input: u32,
    pub(crate) location: Location,
}

/// A record's bytes: id, hash, input, location kind and its three numbers.
const RECORD: usize = 8 + 8 + 4 + 1 + 8 + 8 + 8;

/// Records per index entry (and per block read back).
const BLOCK: usize = 256;

/// Records kept in memory before they go to a run (about 5.6 MiB).
const BUFFER_RECORDS: usize = 128 * 1024;

fn encode(id: u64, seen: &Seen, out: &mut [u8]) {
    let (kind, a, b, c) = match seen.location {
        Location::File => (0u8, 0, 0, 0),
        Location::Csv { record, line, byte } => (1, record, line, byte),
        Location::Ndjson { line, byte } => (2, line, byte, 0),
        Location::JsonRow { row } => (3, row, 0, 0),
        Location::Text { line, column } => (4, line, column, 0),
    };
    out[0..8].copy_from_slice(&id.to_le_bytes());
    out[8..16].copy_from_slice(&seen.hash.to_le_bytes());
    out[16..20].copy_from_slice(&seen.input.to_le_bytes());
    out[20] = kind;
    out[21..29].copy_from_slice(&a.to_le_bytes());
    out[29..37].copy_from_slice(&b.to_le_bytes());
    out[37..45].copy_from_slice(&c.to_le_bytes());
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(b)
}

fn decode(bytes: &[u8]) -> (u64, Seen) {
    let mut input = [0u8; 4];
    input.copy_from_slice(&bytes[16..20]);
    let (a, b, c) = (u64_at(bytes, 21), u64_at(bytes, 29), u64_at(bytes, 37));
    let location = match bytes[20] {
        1 => Location::Csv {
            record: a,
            line: b,
            byte: c,
        },
        2 => Location::Ndjson { line: a, byte: b },
        3 => Location::JsonRow { row: a },
        4 => Location::Text { line: a, column: b },
        _ => Location::File,
    };
    (
        u64_at(bytes, 0),
        Seen {
            hash: u64_at(bytes, 8),
            input: u32::from_le_bytes(input),
            location,
        },
    )
}

/// Where the runs are: an anonymous file, or memory without a folder for one.
enum Runs {
    File(File),
    Memory(Vec<u8>),
}

impl Runs {
    fn append(&mut self, bytes: &[u8], at: u64) -> io::Result<()> {
        match self {
            Runs::File(file) => file.write_all_at(bytes, at),
            Runs::Memory(kept) => {
                kept.extend_from_slice(bytes);
                Ok(())
            }
        }
    }

    fn read_at(&self, out: &mut [u8], at: u64) -> io::Result<()> {
        match self {
            Runs::File(file) => file.read_exact_at(out, at),
            Runs::Memory(kept) => {
                let start = usize::try_from(at).map_err(io::Error::other)?;
                let bytes = kept
                    .get(start..start + out.len())
                    .ok_or_else(|| io::Error::other("a run is cut short"))?;
                out.copy_from_slice(bytes);
                Ok(())
            }
        }
    }
}

/// One sorted run in the file.
struct Run {
    /// Offset of its first record.
    start: u64,
    /// Records in it.
    len: usize,
    /// The first id of every block of [`BLOCK`] records.
    firsts: Vec<u64>,
    last: u64,
    /// The block read last: its number and bytes.
    cached: Option<(usize, Vec<u8>)>,
}

/// The first place of every session id seen.
pub(crate) struct SeenPlaces {
    ids: RoaringTreemap,
    /// Records kept in memory before they go to a run.
    limit: usize,
    /// Where the run file goes (none: the runs stay in memory).
    folder: Option<PathBuf>,
    buffer: Vec<(u64, Seen)>,
    file: Option<Runs>,
    written: u64,
    runs: Vec<Run>,
}

impl SeenPlaces {
    /// Places whose records past a few MiB go to an anonymous file in
    /// `folder` (or stay in memory without one).
    pub(crate) fn new(folder: Option<&Path>) -> SeenPlaces {
        SeenPlaces::with_buffer(folder, BUFFER_RECORDS)
    }

    /// Places that keep up to `limit` records in memory.
    fn with_buffer(folder: Option<&Path>, limit: usize) -> SeenPlaces {
        SeenPlaces {
            ids: RoaringTreemap::new(),
            folder: folder.map(Path::to_path_buf),
            limit: limit.max(1),
            buffer: Vec::new(),
            file: None,
            written: 0,
            runs: Vec::new(),
        }
    }

    /// Where `id` was first seen, or `None` (and it is taken with `seen`)
    /// when it is new.
    pub(crate) fn first_or_insert(&mut self, id: u64, seen: Seen) -> io::Result<Option<Seen>> {
        if self.ids.insert(id) {
            self.buffer.push((id, seen));
            if self.buffer.len() >= self.limit {
                self.spill()?;
            }
            return Ok(None);
        }
        self.find(id).map(Some)
    }

    fn spill(&mut self) -> io::Result<()> {
        if !self.buffer.is_sorted_by_key(|(id, _)| *id) {
            self.buffer.sort_unstable_by_key(|(id, _)| *id);
        }
        let file = match (&mut self.file, &self.folder) {
            (Some(file), _) => file,
            (None, Some(folder)) => self.file.insert(Runs::File(tempfile::tempfile_in(folder)?)),
            (None, None) => self.file.insert(Runs::Memory(Vec::new())),
        };
        let mut bytes = vec![0u8; self.buffer.len() * RECORD];
        for (chunk, (id, seen)) in bytes.chunks_exact_mut(RECORD).zip(&self.buffer) {
            encode(*id, seen, chunk);
        }
        file.append(&bytes, self.written)?;
        let firsts = self.buffer.iter().step_by(BLOCK).map(|(id, _)| *id).collect();
        let last = self.buffer.last().map_or(0, |(id, _)| *id);
        self.runs.push(Run {
            start: self.written,
            len: self.buffer.len(),
            firsts,
            last,
            cached: None,
        });
        self.written += bytes.len() as u64;
        self.buffer.clear();
        Ok(())
    }

    /// The folder of the run file, for errors.
    pub(crate) fn folder(&self) -> Option<&Path> {
        self.folder.as_deref()
    }

    /// The record of an id known to be taken.
    fn find(&mut self, id: u64) -> io::Result<Seen> {
        if let Some((_, seen)) = self.buffer.iter().find(|(i, _)| *i == id) {
            return Ok(*seen);
        }
        let file = self.file.as_ref();
        for run in &mut self.runs {
            if run.firsts.first().is_none_or(|first| id < *first) || id > run.last {
                continue;
            }
            let block = run.firsts.partition_point(|first| *first <= id) - 1;
            let records = (run.len - block * BLOCK).min(BLOCK);
            if run.cached.as_ref().is_none_or(|(b, _)| *b != block) {
                let mut bytes = vec![0u8; records * RECORD];
                let at = run.start + (block * BLOCK * RECORD) as u64;
                file.ok_or_else(|| io::Error::other("no run file"))?
                    .read_at(&mut bytes, at)?;
                run.cached = Some((block, bytes));
            }
            let Some((_, bytes)) = &run.cached else { continue };
            let found = bytes.chunks_exact(RECORD).map(decode).find(|(i, _)| *i == id);
            if let Some((_, seen)) = found {
                return Ok(seen);
            }
        }
        Err(io::Error::other(format!(
            "session id {id} was seen but its place is lost"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    fn seen(i: u64) -> Seen {
        Seen {
            hash: i.wrapping_mul(0x9E37_79B9_7F4A_7C15),
            input: (i % 3) as u32,
            location: match i % 4 {
                0 => Location::Csv {
                    record: i,
                    line: i + 1,
                    byte: i * 100,
                },
                1 => Location::Ndjson {
                    line: i,
                    byte: i * 90,
                },
                2 => Location::JsonRow { row: i },
                _ => Location::File,
            },
        }
    }

    /// Every id's first place is found again, in memory or in a run, in any
    /// order of the ids and of the repeats.
    fn check(limit: usize, ids: &[u64], repeats: &[u64]) {
        let folder = tempfile::tempdir().expect("temp dir");
        check_in(Some(folder.path()), limit, ids, repeats);
        check_in(None, limit, ids, repeats);
    }

    fn check_in(folder: Option<&Path>, limit: usize, ids: &[u64], repeats: &[u64]) {
        let mut places = SeenPlaces::with_buffer(folder, limit);
        let mut first = std::collections::HashMap::new();
        for (n, id) in ids.iter().enumerate() {
            let s = seen(n as u64);
            let got = places.first_or_insert(*id, s).expect("insert");
            match first.get(id) {
                Some(want) => assert_eq!(got, Some(*want)),
                None => {
                    assert_eq!(got, None);
                    first.insert(*id, s);
                }
            }
        }
        for id in repeats {
            let got = places.first_or_insert(*id, seen(u64::MAX)).expect("lookup");
            assert_eq!(got, first.get(id).copied(), "id {id}");
            first.entry(*id).or_insert(seen(u64::MAX));
        }
    }

    #[test]
    fn first_places_are_found_in_memory_and_in_runs() {
        let n = 3 * BLOCK as u64 * 5 + 17;
        let ascending: Vec<u64> = (0..n).map(|i| 10 + i * 3).collect();
        let shuffled: Vec<u64> = (0..n).map(|i| (i * 2_654_435_761) % (n * 7)).collect();
        let repeats: Vec<u64> = (0..2_000).map(|i| 10 + ((i * 7_919) % n) * 3).collect();
        check(BLOCK * 5, &ascending, &repeats);
        check(BLOCK * 5, &shuffled, &shuffled[..2_000]);
        check(BLOCK * 5 + 3, &shuffled, &repeats);
        check(BUFFER_RECORDS, &shuffled, &repeats);
    }

    #[test]
    fn the_runs_go_to_an_anonymous_file_in_the_folder_given_and_nothing_is_left() {
        let folder = tempfile::tempdir().expect("temp dir");
        let mut places = SeenPlaces::with_buffer(Some(folder.path()), 8);
        for id in 0..100 {
            assert_eq!(places.first_or_insert(id, seen(id)).expect("insert"), None);
        }
        let Some(Runs::File(file)) = &places.file else {
            panic!("no run file");
        };
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            let link = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())).expect("fd link");
            let folder = folder.path().canonicalize().expect("folder");
            assert!(link.starts_with(&folder), "{link:?} is not in {folder:?}");
        }
        assert!(file.metadata().expect("metadata").len() > 0);
        assert_eq!(places.first_or_insert(3, seen(0)).expect("lookup"), Some(seen(3)));
        // Nothing is named in the folder while the run goes on, or after.
        assert_eq!(std::fs::read_dir(folder.path()).expect("list").count(), 0);
        drop(places);
        assert_eq!(std::fs::read_dir(folder.path()).expect("list").count(), 0);

        // A folder that is not there is an error, not a file somewhere else.
        let mut places = SeenPlaces::with_buffer(Some(&folder.path().join("gone")), 8);
        let err = (0..100)
            .try_for_each(|id| places.first_or_insert(id, seen(id)).map(drop))
            .expect_err("no folder");
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    proptest! {
        #[test]
        fn a_repeat_gets_the_first_place_of_its_id(
            ids in proptest::collection::vec(0u64..400, 0..300),
            limit in 1usize..40,
        ) {
            check(limit, &ids, &ids);
        }
    }
}
