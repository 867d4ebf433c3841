//! Where each session id of a sequential pass was first seen, in bounded
//! memory: the ids themselves in a [`RoaringTreemap`] (a few bits each for
//! the dense ids of an export), and each first place with the hash of its
//! row as a fixed-size record, kept in a buffer and written, sorted by id,
//! as runs to one anonymous temporary file when the buffer is full. Only a
//! repeated id (rare) looks its first place up; a small index of every
//! run, and the block of each run read last, make that one read at most.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use roaring::RoaringTreemap;
use sessionpay_io::Location;

/// Where a session id was first seen, and what its row held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seen {
    pub(crate) hash: u64,
    pub(crate) input: u32,
    pub(crate) location: Location,
}

/// A record's bytes: id, hash, input, location kind and its two numbers.
const RECORD: usize = 8 + 8 + 4 + 1 + 8 + 8;

/// Records per index entry (and per block read back).
const BLOCK: usize = 256;

/// Records kept in memory before they go to a run (about 4.6 MiB).
const BUFFER_RECORDS: usize = 128 * 1024;

fn encode(id: u64, seen: &Seen, out: &mut [u8]) {
    let (kind, a, b) = match seen.location {
        Location::File => (0u8, 0, 0),
        Location::Csv { record, line } => (1, record, line),
        Location::Ndjson { line } => (2, line, 0),
        Location::JsonRow { row } => (3, row, 0),
        Location::Text { line, column } => (4, line, column),
    };
    out[0..8].copy_from_slice(&id.to_le_bytes());
    out[8..16].copy_from_slice(&seen.hash.to_le_bytes());
    out[16..20].copy_from_slice(&seen.input.to_le_bytes());
    out[20] = kind;
    out[21..29].copy_from_slice(&a.to_le_bytes());
    out[29..37].copy_from_slice(&b.to_le_bytes());
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(b)
}

fn decode(bytes: &[u8]) -> (u64, Seen) {
    let mut input = [0u8; 4];
    input.copy_from_slice(&bytes[16..20]);
    let (a, b) = (u64_at(bytes, 21), u64_at(bytes, 29));
    let location = match bytes[20] {
        1 => Location::Csv { record: a, line: b },
        2 => Location::Ndjson { line: a },
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
    buffer: Vec<(u64, Seen)>,
    file: Option<File>,
    written: u64,
    runs: Vec<Run>,
}

impl Default for SeenPlaces {
    fn default() -> SeenPlaces {
        SeenPlaces::with_buffer(BUFFER_RECORDS)
    }
}

impl SeenPlaces {
    /// Places that keep up to `limit` records in memory.
    fn with_buffer(limit: usize) -> SeenPlaces {
        SeenPlaces {
            ids: RoaringTreemap::new(),
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
        let file = match &mut self.file {
            Some(file) => file,
            None => self.file.insert(tempfile::tempfile()?),
        };
        let mut bytes = vec![0u8; self.buffer.len() * RECORD];
        for (chunk, (id, seen)) in bytes.chunks_exact_mut(RECORD).zip(&self.buffer) {
            encode(*id, seen, chunk);
        }
        file.write_all_at(&bytes, self.written)?;
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
                    .read_exact_at(&mut bytes, at)?;
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
                },
                1 => Location::Ndjson { line: i },
                2 => Location::JsonRow { row: i },
                _ => Location::File,
            },
        }
    }

    /// Every id's first place is found again, in memory or in a run, in any
    /// order of the ids and of the repeats.
    fn check(limit: usize, ids: &[u64], repeats: &[u64]) {
        let mut places = SeenPlaces::with_buffer(limit);
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
