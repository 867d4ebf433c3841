//! NDJSON: one row object a line, read through one reused buffer.
//!
//! Every raw newline ends a record (a newline inside a JSON string is
//! escaped), so a file is cut into lines with `memchr` and, for the workers,
//! into byte ranges at newlines ([`crate::plan`]). Each line goes to the fast
//! path ([`crate::fastjson`]) and, when that declines it, to the strict
//! reader, whose result or error is the one there is either way.

use std::io::{self, Read};
use std::path::Path;

use crate::error::{Error, Location};
use crate::fastjson::FastJson;
use crate::row::RowParser;
use crate::sink::reject;
use crate::sink::RowSink;
use crate::strict::{duplicate_key, json_message, parse_strict_row};

/// The most bytes an NDJSON line may take: the same cap as a CSV record.
pub(crate) const MAX_LINE: usize = crate::split::MAX_RECORD;

/// The buffer a read starts with; a longer line grows it, up to the cap.
/// Small enough to stay in a core's L2 cache (512 KiB on the AMD hosts
/// measured) beside the run's tables, between the kernel's copy into it and
/// the scan that reads it.
const CHUNK: usize = 1 << 17;

/// Where a read of lines starts, and the caps it is held to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lines {
    /// The number of the first line read, from 1.
    pub(crate) first_line: u64,
    /// The byte offset of the first line in its file (0: the file's start,
    /// where a byte-order mark is passed over).
    pub(crate) start_byte: u64,
    /// The most bytes to read.
    pub(crate) len: u64,
    /// The most bytes a line may take.
    pub(crate) cap: usize,
}

impl Lines {
    /// A whole file or stream.
    pub(crate) fn all() -> Lines {
        Lines {
            first_line: 1,
            start_byte: 0,
            len: u64::MAX,
            cap: MAX_LINE,
        }
    }
}

/// The readers a line may go through.
pub(crate) struct Parsers<'a> {
    pub(crate) fast: &'a mut FastJson,
    pub(crate) strict: &'a mut RowParser,
}

/// Reads the lines of `reader` as NDJSON rows into `sink`, `buf` holding
/// what is read (reused from read to read).
pub(crate) fn read_lines<S: RowSink>(
    mut reader: impl Read,
    path: &Path,
    at: Lines,
    parsers: Parsers<'_>,
    buf: &mut Vec<u8>,
    sink: &mut S,
) -> Result<(), S::Error> {
    let Parsers { fast, strict } = parsers;
    if buf.len() < CHUNK {
        buf.resize(CHUNK, 0);
    }
    let too_long = |line: u64, byte: u64| Error::Syntax {
        path: path.to_path_buf(),
        location: Location::Ndjson { line, byte },
        message: format!(
            "a line is longer than {} MiB; is this really a TeamUp export?",
            at.cap >> 20
        ),
    };
    let mut filled = 0usize;
    let mut number = at.first_line - 1;
    // The file offset of buf[0].
    let mut offset = at.start_byte;
    let mut left = at.len;
    let mut eof = false;
    loop {
        let mut next = 0usize;
        loop {
            let (line, done) = match memchr::memchr(b'\n', &buf[next..filled]) {
                Some(i) => (&buf[next..next + i + 1], true),
                None if eof && next < filled => (&buf[next..filled], true),
                None => (&buf[..0], false),
            };
            if !done {
                break;
            }
            number += 1;
            let start = offset + next as u64;
            if line.len() > at.cap {
                return Err(too_long(number, start).into());
            }
            next += line.len();
            one_line(line, path, number, start, fast, strict, sink)?;
        }
        if eof {
            return Ok(());
        }
        // What is left is the start of a line: move it to the front.
        buf.copy_within(next..filled, 0);
        filled -= next;
        offset += next as u64;
        if filled > at.cap {
            return Err(too_long(number + 1, offset).into());
        }
        if filled == buf.len() {
            let grown = (buf.len() * 2).min(at.cap + 2);
            buf.resize(grown.max(filled + 1), 0);
        }
        let room = (buf.len() - filled).min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = loop {
            match reader.read(&mut buf[filled..filled + room]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io(path, e).into()),
            }
        };
        filled += n;
        left -= n as u64;
        eof = n == 0 || left == 0;
    }
}

/// One line: the fast path, else the strict reader.
fn one_line<S: RowSink>(
    line: &[u8],
    path: &Path,
    number: u64,
    start_byte: u64,
    fast: &mut FastJson,
    strict: &mut RowParser,
    sink: &mut S,
) -> Result<(), S::Error> {
    let text = if start_byte == 0 {
        line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line)
    } else {
        line
    };
    if text.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    let location = Location::Ndjson {
        line: number,
        byte: start_byte,
    };
    let declined = match fast.row(text, location) {
        Ok(row) => return sink.row(row),
        Err(declined) => declined,
    };
    match crate::json::from_slice(text) {
        Ok((value, None)) => match parse_strict_row(&value, path, location, strict) {
            Ok(row) => {
                fast.learn(text, declined, &row);
                sink.row(row)
            }
            Err(error) => reject(sink, error, || value.to_string()),
        },
        Ok((value, Some(key))) => reject(sink, duplicate_key(path, location, key), || value.to_string()),
        Err(e) => {
            let error = Error::Syntax {
                path: path.to_path_buf(),
                location,
                message: json_message(&e, text.last() != Some(&b'\n')),
            };
            reject(sink, error, || {
                String::from_utf8_lossy(text).trim_end().to_string()
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::row::{Names, ParsedRow};

    fn lines(text: &[u8], cap: usize, chunk_reads: usize) -> (Vec<u64>, Option<String>) {
        let mut fast = FastJson::new(Names::All);
        let mut strict = RowParser::new(Names::All);
        let seen = std::cell::RefCell::new(Vec::new());
        let mut buf = Vec::new();
        let reader = Trickle {
            text,
            at: 0,
            step: chunk_reads,
        };
        let result = read_lines(
            reader,
            Path::new("x.ndjson"),
            Lines { cap, ..Lines::all() },
            Parsers {
                fast: &mut fast,
                strict: &mut strict,
            },
            &mut buf,
            &mut crate::Sinks {
                on_row: |r: ParsedRow| {
                    seen.borrow_mut().push(r.draft.id.0);
                    Ok::<_, Error>(())
                },
                on_reject: |r: crate::Rejected| {
                    if let Some(Location::Ndjson { line, .. }) = r.error.place().map(|p| p.location) {
                        seen.borrow_mut().push(1000 + line);
                    }
                    Ok(())
                },
            },
        );
        let err = result.err().map(|e| e.to_string());
        (seen.into_inner(), err)
    }

    /// A reader handing out at most `step` bytes a read.
    struct Trickle<'a> {
        text: &'a [u8],
        at: usize,
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.step).min(self.text.len() - self.at);
            buf[..n].copy_from_slice(&self.text[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    #[test]
    fn lines_are_cut_at_newlines_however_the_reads_come_and_capped() {
        // Rows lacking fields are refused (1000 + line); blank lines are passed over.
        let text = b"{\"id\": 1}\n\n  \n{\"id\": 2}\n{\"id\": 3}";
        for step in [1, 2, 7, 1 << 20] {
            let (seen, err) = lines(text, 64, step);
            assert_eq!(seen, [1001, 1004, 1005], "step {step}");
            assert_eq!(err, None);
        }
        // A line of 11 bytes with its newline fits a cap of 11, not of 10.
        let text = b"{\"id\": 1}\n{\"id\": 22}\n";
        assert_eq!(lines(text, 11, 3).1, None);
        let (seen, err) = lines(text, 10, 3);
        assert_eq!(seen, [1001]);
        assert!(err.unwrap().contains("line 2"));
        // A last line without its newline is held to the cap too.
        let (seen, err) = lines(b"{\"id\": 1}\n{\"id\": 2222222}", 10, 4);
        assert_eq!(seen, [1001]);
        assert!(err.unwrap().contains("line 2"));
    }
}
