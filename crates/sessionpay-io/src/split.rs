//! A fast CSV record splitter: RFC 4180 quoting, `\n` or `\r\n` endings, any
//! field length, searching for delimiters with `memchr` instead of a byte-at-a-time
//! state machine.
//!
//! It reads from any `io::Read` in large blocks and hands out one record at a
//! time as UTF-8 fields, with the record's byte offset, line and number. It can
//! stop at a byte offset, so a file can be split into ranges read in parallel.

use std::io::Read;

/// What went wrong splitting records.
#[derive(Debug)]
pub(crate) enum SplitError {
    Io(std::io::Error),
    /// The input ended inside a quoted field.
    UnclosedQuote {
        line: u64,
        record: u64,
    },
    /// A closing quote followed by something other than a delimiter.
    TextAfterQuote {
        line: u64,
        record: u64,
        field: usize,
    },
    /// A record larger than the limit.
    TooLong {
        line: u64,
        record: u64,
        limit: usize,
    },
    /// Bytes that are not UTF-8, in field `field`.
    Utf8 {
        line: u64,
        record: u64,
        field: usize,
        byte: usize,
    },
}

#[derive(Debug, Clone, Copy)]
struct FieldRef {
    start: u32,
    end: u32,
    /// The field had doubled quotes and lives, unescaped, in `scratch`.
    in_scratch: bool,
}

/// The largest record accepted: far beyond any real row, small enough that a
/// corrupt file cannot exhaust memory.
pub(crate) const MAX_RECORD: usize = 64 * 1024 * 1024;

/// Splits records out of a reader.
pub(crate) struct Splitter<R> {
    reader: R,
    buf: Vec<u8>,
    /// Start of the unconsumed bytes in `buf`.
    pos: usize,
    /// End of the filled bytes in `buf`.
    filled: usize,
    eof: bool,
    /// Absolute offset of `buf[0]`.
    base: u64,
    /// Stop before a record that starts at or after this absolute offset.
    limit: u64,
    scratch: Vec<u8>,
    fields: Vec<FieldRef>,
    /// The current record: its span in `buf`, number, first line.
    current: (usize, usize),
    current_record: u64,
    /// The number of the next record (the first is 0: a CSV header).
    record: u64,
    line: u64,
    next_line: u64,
}

impl<R: Read> Splitter<R> {
    /// A splitter over `reader`, whose first byte is at absolute offset `start`
    /// and which stops at a record starting at or after `limit`.
    pub(crate) fn new(reader: R, start: u64, limit: u64) -> Splitter<R> {
        Splitter {
            reader,
            buf: vec![0; 1 << 20],
            pos: 0,
            filled: 0,
            eof: false,
            base: start,
            limit,
            scratch: Vec::new(),
            fields: Vec::with_capacity(32),
            current: (0, 0),
            current_record: 0,
            record: 0,
            line: 1,
            next_line: 1,
        }
    }

    /// Absolute offset of the next unread record.
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Drops a UTF-8 byte-order mark at the current position.
    pub(crate) fn skip_bom(&mut self) -> Result<(), SplitError> {
        while self.filled - self.pos < 3 && !self.eof {
            self.fill()?;
        }
        if self.buf[self.pos..self.filled].starts_with(b"\xef\xbb\xbf") {
            self.pos += 3;
        }
        Ok(())
    }

    /// Moves unread bytes to the front and reads more; false at end of input.
    fn fill(&mut self) -> Result<bool, SplitError> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.filled, 0);
            self.base += self.pos as u64;
            self.filled -= self.pos;
            self.pos = 0;
        }
        if self.filled == self.buf.len() {
            let grown = (self.buf.len() * 2).min(MAX_RECORD + 1);
            if grown == self.buf.len() {
                return Err(SplitError::TooLong {
                    line: self.next_line,
                    record: self.record,
                    limit: MAX_RECORD,
                });
            }
            self.buf.resize(grown, 0);
        }
        loop {
            match self.reader.read(&mut self.buf[self.filled..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.filled += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(SplitError::Io(e)),
            }
        }
    }

    /// Reads the next record; `Ok(false)` at the end of the input or range.
    pub(crate) fn next_record(&mut self) -> Result<bool, SplitError> {
        loop {
            if self.offset() >= self.limit {
                return Ok(false);
            }
            if self.pos == self.filled && !self.fill()? {
                return Ok(false);
            }
            match self.parse_at(self.pos)? {
                Some((end, newlines)) => {
                    self.current = (self.pos, end);
                    self.pos = end;
                    self.line = self.next_line;
                    self.next_line += newlines;
                    self.current_record = self.record;
                    self.record += 1;
                    return Ok(true);
                }
                None => {
                    if !self.fill()? {
                        // The input ends inside a record: parse what is there.
                        match self.parse_at(self.pos)? {
                            Some(_) => continue,
                            None => {
                                return Err(SplitError::UnclosedQuote {
                                    line: self.next_line,
                                    record: self.record,
                                })
                            }
                        }
                    }
                }
            }
        }
    }

    /// Parses one record starting at `start`. `None` when it is not complete
    /// in the buffer (and the input has more). Returns the end (after the line
    /// ending) and how many lines the record spans.
    fn parse_at(&mut self, start: usize) -> Result<Option<(usize, u64)>, SplitError> {
        self.fields.clear();
        self.scratch.clear();
        let buf = &self.buf[..self.filled];
        let mut p = start;
        let mut newlines = 0u64;
        loop {
            // One field.
            if p < buf.len() && buf[p] == b'"' {
                // One pass over the quoted content: find the closing quote,
                // count line breaks, and unescape doubled quotes as they come.
                let mut i = p + 1;
                let mut escaped = false;
                let mut segment = p + 1;
                let from = self.scratch.len();
                let close = loop {
                    let Some(&b) = buf.get(i) else {
                        return Ok(None);
                    };
                    match b {
                        b'"' => match buf.get(i + 1) {
                            Some(b'"') => {
                                self.scratch.extend_from_slice(&buf[segment..=i]);
                                escaped = true;
                                i += 2;
                                segment = i;
                            }
                            None if !self.eof => return Ok(None),
                            _ => break i,
                        },
                        b'\n' => {
                            newlines += 1;
                            i += 1;
                        }
                        _ => i += 1,
                    }
                };
                let field = if escaped {
                    self.scratch.extend_from_slice(&buf[segment..close]);
                    FieldRef {
                        start: from as u32,
                        end: self.scratch.len() as u32,
                        in_scratch: true,
                    }
                } else {
                    FieldRef {
                        start: (p + 1 - start) as u32,
                        end: (close - start) as u32,
                        in_scratch: false,
                    }
                };
                self.fields.push(field);
                p = close + 1;
                match buf.get(p) {
                    Some(b',') => p += 1,
                    Some(b'\n') => return Ok(Some((p + 1, newlines + 1))),
                    Some(b'\r') => match buf.get(p + 1) {
                        Some(b'\n') => return Ok(Some((p + 2, newlines + 1))),
                        None if !self.eof => return Ok(None),
                        _ => return Ok(Some((p + 1, newlines + 1))),
                    },
                    None if self.eof => return Ok(Some((p, newlines))),
                    None => return Ok(None),
                    Some(_) => {
                        return Err(SplitError::TextAfterQuote {
                            line: self.next_line + newlines,
                            record: self.record,
                            field: self.fields.len() - 1,
                        })
                    }
                }
            } else {
                match memchr::memchr3(b',', b'\n', b'\r', &buf[p..]) {
                    Some(i) => {
                        let at = p + i;
                        self.fields.push(FieldRef {
                            start: (p - start) as u32,
                            end: (at - start) as u32,
                            in_scratch: false,
                        });
                        match buf[at] {
                            b',' => p = at + 1,
                            b'\n' => return Ok(Some((at + 1, newlines + 1))),
                            _ => match buf.get(at + 1) {
                                Some(b'\n') => return Ok(Some((at + 2, newlines + 1))),
                                None if !self.eof => return Ok(None),
                                _ => return Ok(Some((at + 1, newlines + 1))),
                            },
                        }
                    }
                    None if self.eof => {
                        self.fields.push(FieldRef {
                            start: (p - start) as u32,
                            end: (buf.len() - start) as u32,
                            in_scratch: false,
                        });
                        return Ok(Some((buf.len(), newlines)));
                    }
                    None => return Ok(None),
                }
            }
        }
    }

    /// The bytes of the current record, line ending included.
    pub(crate) fn raw_record(&self) -> &[u8] {
        &self.buf[self.current.0..self.current.1]
    }

    /// The number of fields of the current record.
    pub(crate) fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether the current record is a blank line.
    pub(crate) fn is_blank(&self) -> bool {
        self.fields.len() == 1 && {
            let f = self.fields[0];
            !f.in_scratch && self.raw_field(f).iter().all(u8::is_ascii_whitespace)
        }
    }

    /// Line (from 1) and number (the first record is 0) of the current record.
    pub(crate) fn position(&self) -> (u64, u64) {
        (self.line, self.current_record)
    }

    fn raw_field(&self, f: FieldRef) -> &[u8] {
        if f.in_scratch {
            &self.scratch[f.start as usize..f.end as usize]
        } else {
            &self.buf[self.current.0 + f.start as usize..self.current.0 + f.end as usize]
        }
    }

    /// The fields of the current record as text, checking once that they are
    /// UTF-8: the record and the unescaped quoted fields are each validated in
    /// one pass, and only a bad record is looked at field by field, to name
    /// the field and the byte.
    pub(crate) fn text_fields(&self) -> Result<Fields<'_>, SplitError> {
        let (a, b) = self.current;
        let record = simdutf8::basic::from_utf8(&self.buf[a..b]);
        let scratch = simdutf8::basic::from_utf8(&self.scratch);
        match (record, scratch) {
            (Ok(record), Ok(scratch)) => Ok(Fields {
                record,
                scratch,
                refs: &self.fields,
            }),
            _ => Err(self.utf8_error()),
        }
    }

    /// The first field of the current record that is not UTF-8.
    #[cold]
    fn utf8_error(&self) -> SplitError {
        let bad = self.fields.iter().enumerate().find_map(|(i, f)| {
            std::str::from_utf8(self.raw_field(*f))
                .err()
                .map(|e| (i, e.valid_up_to()))
        });
        // A record is its fields joined by ASCII (delimiters, quotes, line
        // endings), so when it is not UTF-8 one of its fields is not either;
        // the fallback only keeps this total.
        let (field, byte) = bad.unwrap_or((0, 0));
        SplitError::Utf8 {
            line: self.line,
            record: self.current_record,
            field,
            byte,
        }
    }
}

/// The text fields of one record.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields<'a> {
    record: &'a str,
    scratch: &'a str,
    refs: &'a [FieldRef],
}

impl<'a> Fields<'a> {
    /// Field `i`, or "" when there is none.
    pub(crate) fn get(&self, i: usize) -> &'a str {
        match self.refs.get(i) {
            Some(f) => {
                let text = if f.in_scratch { self.scratch } else { self.record };
                text.get(f.start as usize..f.end as usize).unwrap_or_default()
            }
            None => "",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(input: &[u8], block: usize) -> Vec<Vec<String>> {
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(self.1).min(out.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut s = Splitter::new(Trickle(input, block), 0, u64::MAX);
        let mut out = Vec::new();
        while s.next_record().unwrap() {
            let fields = s.text_fields().unwrap();
            out.push((0..s.len()).map(|i| fields.get(i).to_string()).collect());
        }
        out
    }

    #[test]
    fn quoting_line_endings_and_blocks_of_any_size() {
        let input = b"a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\nplain,,end";
        let expected: Vec<Vec<String>> = vec![
            vec!["a".into(), "b".into(), "c".into()],
            vec!["x, y".into(), "say \"hi\"".into(), "two\nlines".into()],
            vec!["plain".into(), "".into(), "end".into()],
        ];
        for block in [1, 2, 3, 7, 64, 4096] {
            assert_eq!(split(input, block), expected, "block {block}");
        }
    }

    #[test]
    fn lines_count_newlines_inside_quotes() {
        let input = b"h\n\"a\nb\"\nc\n";
        let mut s = Splitter::new(&input[..], 0, u64::MAX);
        let mut positions = Vec::new();
        while s.next_record().unwrap() {
            positions.push(s.position());
        }
        assert_eq!(positions, vec![(1, 0), (2, 1), (4, 2)]);
    }

    #[test]
    fn an_unclosed_quote_is_an_error_not_a_hang() {
        let mut s = Splitter::new(&b"a\n\"never closed,\nmore"[..], 0, u64::MAX);
        assert!(s.next_record().unwrap());
        assert!(matches!(
            s.next_record(),
            Err(SplitError::UnclosedQuote { record: 1, .. })
        ));
    }

    #[test]
    fn text_after_a_closing_quote_is_an_error() {
        let mut s = Splitter::new(&b"\"a\"b,c\n"[..], 0, u64::MAX);
        assert!(matches!(
            s.next_record(),
            Err(SplitError::TextAfterQuote { field: 0, .. })
        ));
    }

    #[test]
    fn invalid_utf8_names_the_field() {
        let mut s = Splitter::new(&b"ok,\xff\xfe\n"[..], 0, u64::MAX);
        assert!(s.next_record().unwrap());
        assert!(matches!(
            s.text_fields(),
            Err(SplitError::Utf8 {
                field: 1,
                byte: 0,
                ..
            })
        ));
    }

    #[test]
    fn a_range_stops_at_its_limit() {
        let input = b"r1\nr2\nr3\n";
        let mut s = Splitter::new(&input[..], 0, 4);
        let mut n = 0;
        while s.next_record().unwrap() {
            n += 1;
        }
        assert_eq!((n, s.offset()), (2, 6));
    }
}
