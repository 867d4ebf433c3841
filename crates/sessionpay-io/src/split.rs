//! A fast CSV record splitter: RFC 4180 quoting, `\n` or `\r\n` endings, any
//! field length, walking a SIMD bitmask of the structural bytes instead of a
//! byte-at-a-time state machine or a search per field.
//!
//! It reads from any `io::Read` in large blocks and hands out one record at a
//! time as UTF-8 fields, with the record's byte offset, line and number. It can
//! stop at a byte offset, so a file can be split into ranges read in parallel.

use std::borrow::Cow;
use std::io::Read;

use wide::u8x16;

/// What went wrong splitting records.
#[derive(Debug)]
pub(crate) enum SplitError {
    Io(std::io::Error),
    /// The input ended inside a quoted field. (`start`, here and below:
    /// the file offset of the record's first byte.)
    UnclosedQuote {
        line: u64,
        record: u64,
        start: u64,
    },
    /// A closing quote followed by something other than a delimiter.
    TextAfterQuote {
        line: u64,
        record: u64,
        start: u64,
        field: usize,
    },
    /// A record larger than the limit.
    TooLong {
        line: u64,
        record: u64,
        start: u64,
        limit: usize,
    },
    /// Bytes that are not UTF-8, in field `field`.
    Utf8 {
        line: u64,
        record: u64,
        start: u64,
        field: usize,
        byte: usize,
    },
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
    /// Where each field of the current record ends, from the record's
    /// start: field `i` stands in `ends[i - 1] + 1..ends[i]` (the first from
    /// 0), quotes included. A field that starts with a quote is quoted (it
    /// ends with its closing quote) and holds a doubled quote exactly when
    /// another quote stands inside: both are read off its bytes when it is
    /// asked for, so the split records one number a field.
    ends: Vec<u32>,
    /// The current record: its span in `buf`, number, first line.
    current: (usize, usize),
    current_record: u64,
    /// The number of the next record (the first is 0: a CSV header).
    record: u64,
    line: u64,
    next_line: u64,
    /// Where the next record would start and the cursor that goes on from
    /// there, kept from one record to the next until the buffer changes.
    cursor: Option<(usize, Cursor)>,
    /// The same for the quote-aware walk of [`Splitter::parse_fast`].
    fast: Option<(usize, Blocks)>,
    /// Records [`Splitter::parse_fast`] read (the tests check it is used).
    #[cfg(test)]
    fast_records: u64,
}

/// The structural bytes of a CSV record: `,` `"` `\n` `\r`.
const STRUCTURAL: [u8; 4] = [b',', b'"', b'\n', b'\r'];

/// The bytes a [`Cursor`] classifies at a time.
const BLOCK: usize = 64;

/// Bytes `16 * k..16 * (k + 1)` of `block`, for one SIMD compare.
#[inline(always)]
fn lanes(block: &[u8; BLOCK], k: usize) -> u8x16 {
    let mut lanes = [0u8; 16];
    lanes.copy_from_slice(&block[16 * k..16 * (k + 1)]);
    u8x16::new(lanes)
}

/// Bit `i` set when `block[i]` is a structural byte: 16 bytes per SIMD
/// compare (SSE2 on x86_64, NEON or scalar elsewhere, as `wide` picks).
#[inline]
fn structural_mask(block: &[u8; BLOCK]) -> u64 {
    let [comma, quote, lf, cr] = STRUCTURAL.map(u8x16::splat);
    let mut mask = 0u64;
    for k in 0..BLOCK / 16 {
        let v = lanes(block, k);
        let hit = v.simd_eq(comma) | v.simd_eq(quote) | v.simd_eq(lf) | v.simd_eq(cr);
        mask |= u64::from(hit.to_bitmask()) << (16 * k);
    }
    mask
}

/// Bit `i` set when `block[i]` is `byte`.
#[cold]
fn byte_mask(block: &[u8; BLOCK], byte: u8) -> u64 {
    let wanted = u8x16::splat(byte);
    let mut mask = 0u64;
    for k in 0..BLOCK / 16 {
        mask |= u64::from(lanes(block, k).simd_eq(wanted).to_bitmask()) << (16 * k);
    }
    mask
}

/// Walks the structural bytes of the buffer in order, classifying a block of
/// [`BLOCK`] bytes at a time, so finding the end of a short field costs a
/// few bit operations instead of a search call.
#[derive(Debug, Clone, Copy)]
struct Cursor {
    /// Where the current block starts in the buffer.
    base: usize,
    /// The structural bytes of the block not yet handed out.
    mask: u64,
}

impl Cursor {
    /// A cursor whose first block starts at `at` (`at <= filled`).
    fn at(buf: &[u8], at: usize, filled: usize) -> Cursor {
        Cursor {
            base: at,
            mask: Cursor::block(buf, at, filled),
        }
    }

    /// The mask of the block at `at`, without the bytes at or past `filled`
    /// (the buffer beyond holds stale bytes, or ends).
    fn block(buf: &[u8], at: usize, filled: usize) -> u64 {
        let valid = filled - at;
        match buf.get(at..at + BLOCK) {
            Some(block) => {
                let mut bytes = [0u8; BLOCK];
                bytes.copy_from_slice(block);
                let mask = structural_mask(&bytes);
                if valid < BLOCK {
                    mask & ((1u64 << valid) - 1)
                } else {
                    mask
                }
            }
            None => {
                let mut bytes = [0u8; BLOCK];
                bytes[..valid].copy_from_slice(&buf[at..filled]);
                structural_mask(&bytes)
            }
        }
    }

    /// Hands out the structural byte at `at`, which the caller has looked at
    /// and knows to be the next one.
    #[inline(always)]
    fn skip(&mut self, buf: &[u8], filled: usize, at: usize) {
        let next = self.next(buf, filled);
        debug_assert_eq!(next, Some(at));
    }

    /// The position of the next structural byte before `filled`, if any.
    #[inline(always)]
    fn next(&mut self, buf: &[u8], filled: usize) -> Option<usize> {
        while self.mask == 0 {
            let base = self.base + BLOCK;
            if base >= filled {
                return None;
            }
            self.base = base;
            self.mask = Cursor::block(buf, base, filled);
        }
        let at = self.base + self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(at)
    }
}

/// The longest record [`Splitter::parse_fast`] reads: far longer than a
/// real row, short enough that scanning it again after a read costs little.
const FAST_RECORD: usize = 64 * 1024;

/// The bits below bit `n` of a block (`n < 64`).
#[inline(always)]
fn below(n: usize) -> u64 {
    (1u64 << n) - 1
}

/// How many bits of `x` are set, for masks that are nearly always zero: the
/// x86-64 baseline has no `popcnt`, so `count_ones` is a dozen instructions.
#[inline(always)]
fn ones(x: u64) -> u64 {
    if x == 0 {
        0
    } else {
        u64::from(x.count_ones())
    }
}

/// Each bit set when the bits at or below it hold an odd number of ones:
/// with a quote mask, the bytes from an opening quote up to (not including)
/// its closing one.
#[inline(always)]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// One block of the buffer classified for [`Splitter::parse_fast`].
#[derive(Debug, Clone, Copy)]
struct Blocks {
    /// Where the block starts in the buffer.
    base: usize,
    /// `,` outside quotes, not yet handed out.
    commas: u64,
    /// `\n` and `\r` outside quotes (line endings), not yet handed out.
    endings: u64,
    /// `\n` inside quotes, not yet counted.
    lf: u64,
    /// Whether the block ends inside quotes, with a delimiter outside them,
    /// with a closing quote.
    carry: (bool, bool, bool),
}

impl Blocks {
    /// The block at `base` of the filled `buf`, after a block that ended as
    /// `carry` says. `None` when it is not whole there (the walk reads the
    /// buffer's last bytes), or when its quoting is not regular: a quote that
    /// opens anywhere but at the start of a field or right after a closing
    /// quote, or a closing quote followed by anything but a quote or a
    /// delimiter.
    #[inline(always)]
    fn at(buf: &[u8], base: usize, carry: (bool, bool, bool)) -> Option<Blocks> {
        let block: &[u8; BLOCK] = buf.get(base..base + BLOCK)?.try_into().ok()?;
        let [comma, quote, lf, cr] = STRUCTURAL.map(u8x16::splat);
        // `\n` and `\r` in one mask: only a break inside quotes (rare) needs
        // them apart, to count the lines there.
        let (mut quotes, mut commas, mut breaks) = (0u64, 0u64, 0u64);
        for k in 0..BLOCK / 16 {
            let v = lanes(block, k);
            quotes |= u64::from(v.simd_eq(quote).to_bitmask()) << (16 * k);
            commas |= u64::from(v.simd_eq(comma).to_bitmask()) << (16 * k);
            breaks |= u64::from((v.simd_eq(lf) | v.simd_eq(cr)).to_bitmask()) << (16 * k);
        }
        let (in_quotes, after_delim, after_close) = carry;
        let inside = prefix_xor(quotes) ^ if in_quotes { u64::MAX } else { 0 };
        let open = quotes & inside;
        let close = quotes & !inside;
        let commas = commas & !inside;
        let endings = breaks & !inside;
        let delims = commas | endings;
        let field_starts = delims << 1 | u64::from(after_delim);
        let after_closes = close << 1 | u64::from(after_close);
        if open & !(field_starts | after_closes) | after_closes & !(open | delims) != 0 {
            return None;
        }
        Some(Blocks {
            base,
            commas,
            endings,
            lf: if breaks & inside == 0 {
                0
            } else {
                byte_mask(block, b'\n') & inside
            },
            carry: (inside >> 63 == 1, delims >> 63 == 1, close >> 63 == 1),
        })
    }
}

impl<R: Read> Splitter<R> {
    /// A splitter over `reader`, whose first byte is at absolute offset `start`
    /// and which stops at a record starting at or after `limit`.
    pub(crate) fn new(reader: R, start: u64, limit: u64) -> Splitter<R> {
        Splitter::with_buffer(reader, start, limit, 1 << 20)
    }

    /// [`Splitter::new`] with a first buffer of `capacity` bytes (at least 1;
    /// it grows to hold a long record).
    fn with_buffer(reader: R, start: u64, limit: u64, capacity: usize) -> Splitter<R> {
        Splitter::reusing(reader, start, limit, vec![0; capacity.max(1)])
    }

    /// [`Splitter::new`] reading into `buf`, a buffer an earlier splitter gave
    /// back with [`Splitter::into_buffer`] (what it holds is never read before
    /// it is overwritten), so that reading many parts allocates one buffer.
    pub(crate) fn reusing(reader: R, start: u64, limit: u64, mut buf: Vec<u8>) -> Splitter<R> {
        if buf.is_empty() {
            buf.push(0);
        }
        Splitter {
            reader,
            buf,
            pos: 0,
            filled: 0,
            eof: false,
            base: start,
            limit,
            ends: Vec::with_capacity(32),
            current: (0, 0),
            current_record: 0,
            record: 0,
            line: 1,
            next_line: 1,
            cursor: None,
            fast: None,
            #[cfg(test)]
            fast_records: 0,
        }
    }

    /// Numbers lines from `line` (a text that stands for a file whose first
    /// lines were left out: a `sep=` line, the rows above a sheet's header).
    pub(crate) fn start_at_line(&mut self, line: u64) {
        self.line = line;
        self.next_line = line;
    }

    /// The buffer, for [`Splitter::reusing`].
    pub(crate) fn into_buffer(self) -> Vec<u8> {
        self.buf
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
        self.cursor = None;
        self.fast = None;
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
                    start: self.base + self.pos as u64,
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
                                    start: self.base + self.pos as u64,
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
    ///
    /// It walks the structural bytes (`,` `"` `\n` `\r`) from a [`Cursor`]
    /// instead of searching for each field's end: every structural byte is
    /// taken from the cursor exactly once, in order, so each step below that
    /// consumes a byte it has just looked at calls `next` for it.
    fn parse_at(&mut self, start: usize) -> Result<Option<(usize, u64)>, SplitError> {
        if let Some(end) = self.parse_fast(start) {
            #[cfg(test)]
            {
                self.fast_records += 1;
            }
            return Ok(Some(end));
        }
        self.fast = None;
        self.parse_walk(start)
    }

    /// [`Splitter::parse_at`] for a record whose quoting is regular (each
    /// field either has no quote or is quoted, with its inner quotes
    /// doubled), complete in the buffer and not at its very end: the common
    /// case, without a branch per quote. `None` for anything else, which
    /// [`Splitter::parse_walk`] then reads from the same start (and names
    /// the error, if there is one).
    ///
    /// Which bytes are inside quotes comes from a prefix XOR of each block's
    /// quote mask, so a delimiter inside a quoted field is never looked at.
    /// That reading agrees with RFC 4180 exactly when the quoting is regular,
    /// which [`Blocks::at`] checks for a whole block with a few masks.
    #[inline]
    fn parse_fast(&mut self, start: usize) -> Option<(usize, u64)> {
        self.ends.clear();
        let buf = &self.buf[..self.filled];
        let mut blocks = match self.fast {
            Some((at, blocks)) if at == start => blocks,
            _ => Blocks::at(buf, start, (false, true, false))?,
        };
        let mut newlines = 0u64;
        loop {
            let b = blocks.base;
            if blocks.endings != 0 {
                // The record ends in this block: its fields are the commas
                // before the line ending.
                let i = blocks.endings.trailing_zeros() as usize;
                let before = below(i);
                push_ends(&mut self.ends, blocks.commas & before, b, start);
                blocks.commas &= !before;
                blocks.endings &= blocks.endings - 1;
                let at = b + i;
                self.ends.push((at - start) as u32);
                // `\n`, or `\r` alone or before `\n`: one line break, with
                // those inside quotes.
                newlines += ones(blocks.lf & before) + 1;
                blocks.lf &= !before;
                let end = if buf[at] == b'\r' && buf.get(at + 1) == Some(&b'\n') {
                    if i + 1 == BLOCK {
                        // The `\n` opens the next block: start afresh after it.
                        self.fast = None;
                        return Some((at + 2, newlines));
                    }
                    blocks.endings &= blocks.endings - 1;
                    at + 2
                } else if buf[at] == b'\r' && at + 1 == buf.len() {
                    // A `\n` may follow: the walk waits for it.
                    return None;
                } else {
                    at + 1
                };
                self.fast = Some((end, blocks));
                return Some((end, newlines));
            }
            push_ends(&mut self.ends, blocks.commas, b, start);
            // The field goes on into the next block; a record longer than
            // any real row is left to the walk, so that one that needs the
            // buffer to grow many times is not scanned twice each time.
            if b >= start + FAST_RECORD {
                return None;
            }
            newlines += ones(blocks.lf);
            blocks = Blocks::at(buf, b + BLOCK, blocks.carry)?;
        }
    }

    /// The byte-by-byte reading of a record from `start` (see [`Splitter::parse_at`]).
    fn parse_walk(&mut self, start: usize) -> Result<Option<(usize, u64)>, SplitError> {
        self.ends.clear();
        let filled = self.filled;
        let whole = &self.buf[..];
        let buf = &whole[..filled];
        let mut cursor = match self.cursor {
            Some((at, cursor)) if at == start => cursor,
            _ => Cursor::at(whole, start, filled),
        };
        let mut p = start;
        let mut newlines = 0u64;
        let end = loop {
            // One field.
            if buf.get(p) == Some(&b'"') {
                // The opening quote. Then find the closing quote and count
                // line breaks; doubled quotes are left in place (most fields
                // that have them are never read as text, or only compared).
                cursor.skip(whole, filled, p);
                let close = loop {
                    let Some(i) = cursor.next(whole, filled) else {
                        return Ok(None);
                    };
                    match buf[i] {
                        b'"' => match buf.get(i + 1) {
                            Some(b'"') => cursor.skip(whole, filled, i + 1), // The second quote.
                            None if !self.eof => return Ok(None),
                            _ => break i,
                        },
                        b'\n' => newlines += 1,
                        _ => {}
                    }
                };
                p = close + 1;
                self.ends.push((p - start) as u32);
                match buf.get(p) {
                    Some(b',') => {
                        cursor.skip(whole, filled, p);
                        p += 1;
                    }
                    Some(b'\n') => {
                        cursor.skip(whole, filled, p);
                        break (p + 1, newlines + 1);
                    }
                    Some(b'\r') => {
                        cursor.skip(whole, filled, p);
                        match buf.get(p + 1) {
                            Some(b'\n') => {
                                cursor.skip(whole, filled, p + 1);
                                break (p + 2, newlines + 1);
                            }
                            None if !self.eof => return Ok(None),
                            _ => break (p + 1, newlines + 1),
                        }
                    }
                    None if self.eof => break (p, newlines),
                    None => return Ok(None),
                    Some(_) => {
                        return Err(SplitError::TextAfterQuote {
                            line: self.next_line + newlines,
                            record: self.record,
                            start: self.base + start as u64,
                            field: self.ends.len() - 1,
                        })
                    }
                }
            } else {
                // Up to the next delimiter or line ending; a quote here is text.
                let found = loop {
                    match cursor.next(whole, filled) {
                        Some(i) if buf[i] == b'"' => continue,
                        found => break found,
                    }
                };
                let Some(at) = found else {
                    if !self.eof {
                        return Ok(None);
                    }
                    self.ends.push((filled - start) as u32);
                    break (filled, newlines);
                };
                self.ends.push((at - start) as u32);
                match buf[at] {
                    b',' => p = at + 1,
                    b'\n' => break (at + 1, newlines + 1),
                    _ => match buf.get(at + 1) {
                        Some(b'\n') => {
                            cursor.skip(whole, filled, at + 1);
                            break (at + 2, newlines + 1);
                        }
                        None if !self.eof => return Ok(None),
                        _ => break (at + 1, newlines + 1),
                    },
                }
            }
        };
        // Every structural byte before `end` is consumed: the next record,
        // which starts there, goes on from this cursor.
        self.cursor = Some((end.0, cursor));
        Ok(Some(end))
    }

    /// The bytes of the current record, line ending included.
    pub(crate) fn raw_record(&self) -> &[u8] {
        &self.buf[self.current.0..self.current.1]
    }

    /// The number of fields of the current record.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the current record is a blank line.
    pub(crate) fn is_blank(&self) -> bool {
        self.len() == 1 && {
            let (text, escaped) = self.field(0);
            !escaped && text.iter().all(u8::is_ascii_whitespace)
        }
    }

    /// Line (from 1) and number (the first record is 0) of the current record.
    pub(crate) fn position(&self) -> (u64, u64, u64) {
        (self.base + self.current.0 as u64, self.line, self.current_record)
    }

    /// The bytes of field `i` (see [`Fields::raw`]).
    fn field(&self, i: usize) -> (&[u8], bool) {
        let (a, b) = span_of(&self.ends, i).unwrap_or_default();
        let raw = &self.buf[self.current.0 + a..self.current.0 + b];
        let (text, escaped) = content(raw);
        (&raw[text], escaped)
    }

    /// The fields of the current record as text, checking once that they are
    /// UTF-8: the record is validated in one pass (its escaped fields are then
    /// valid too: unescaping only drops ASCII quotes), and only a bad record
    /// is looked at field by field, to name the field and the byte.
    pub(crate) fn text_fields(&self) -> Result<Fields<'_>, SplitError> {
        let (a, b) = self.current;
        match simdutf8::basic::from_utf8(&self.buf[a..b]) {
            Ok(record) => Ok(Fields {
                record,
                ends: &self.ends,
            }),
            Err(_) => Err(self.utf8_error()),
        }
    }

    /// The first field of the current record that is not UTF-8.
    #[cold]
    fn utf8_error(&self) -> SplitError {
        let bad = (0..self.len()).find_map(|i| {
            // The byte is counted in the field's text, as its reader sees it.
            let text = match self.field(i) {
                (text, true) => unescape_bytes(text),
                (text, false) => text.to_vec(),
            };
            std::str::from_utf8(&text).err().map(|e| (i, e.valid_up_to()))
        });
        // A record is its fields joined by ASCII (delimiters, quotes, line
        // endings), so when it is not UTF-8 one of its fields is not either;
        // the fallback only keeps this total.
        let (field, byte) = bad.unwrap_or((0, 0));
        SplitError::Utf8 {
            line: self.line,
            record: self.current_record,
            start: self.base + self.current.0 as u64,
            field,
            byte,
        }
    }
}

/// The text fields of one record.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields<'a> {
    /// The record, validated.
    record: &'a str,
    /// See [`Splitter::ends`].
    ends: &'a [u32],
}

impl<'a> Fields<'a> {
    /// Field `i` as it stands in the record, and whether it still holds
    /// doubled quotes (see [`unescape`]); `("", false)` when there is none.
    pub(crate) fn raw(&self, i: usize) -> (&'a str, bool) {
        let Some((a, b)) = span_of(self.ends, i) else {
            return ("", false);
        };
        let raw = self.record.get(a..b).unwrap_or_default();
        // The quotes `content` leaves out are ASCII: its ends are boundaries.
        let (text, escaped) = content(raw.as_bytes());
        (raw.get(text).unwrap_or_default(), escaped)
    }

    /// The bytes of field `i` as it stands in the record, quotes included
    /// (empty when there is none): for a reading that wants plain ASCII and
    /// refuses a quote, without [`Fields::raw`]'s unquoting.
    #[inline]
    pub(crate) fn bytes(&self, i: usize) -> &'a [u8] {
        span_of(self.ends, i)
            .and_then(|(a, b)| self.record.as_bytes().get(a..b))
            .unwrap_or_default()
    }

    /// Fields `first..=last` as they stand in the record, quotes and
    /// delimiters included: two records with the same span have the same
    /// fields there. `None` when the record has no such fields.
    pub(crate) fn span(&self, first: usize, last: usize) -> Option<&'a str> {
        let (start, _) = span_of(self.ends, first)?;
        let (_, end) = span_of(self.ends, last)?;
        self.record.get(start..end)
    }

    /// The text of field `i`, or "" when there is none.
    pub(crate) fn get(&self, i: usize) -> Cow<'a, str> {
        match self.raw(i) {
            (text, true) => Cow::Owned(unescape(text)),
            (text, false) => Cow::Borrowed(text),
        }
    }
}

/// Where field `i` stands in its record, quotes included (see
/// [`Splitter::ends`]); `None` past the last field.
#[inline]
fn span_of(ends: &[u32], i: usize) -> Option<(usize, usize)> {
    let end = *ends.get(i)? as usize;
    let start = match i.checked_sub(1) {
        Some(before) => ends[before] as usize + 1,
        None => 0,
    };
    Some((start, end))
}

/// Where the text of a field that stands as `raw` is, and whether it still
/// holds doubled quotes: inside its quotes when it starts with one (a quoted
/// field ends with its closing quote, and any quote inside is one of a
/// pair), else the whole field as it stands.
#[inline]
fn content(raw: &[u8]) -> (std::ops::Range<usize>, bool) {
    match raw {
        [b'"', inner @ .., b'"'] => (1..raw.len() - 1, inner.contains(&b'"')),
        _ => (0..raw.len(), false),
    }
}

/// Adds to `ends` the place of each comma in `commas`, a mask of the block
/// at `base` whose commas all stand at or after the record's `start`.
#[inline(always)]
fn push_ends(ends: &mut Vec<u32>, mut commas: u64, base: usize, start: usize) {
    while commas != 0 {
        ends.push((base + commas.trailing_zeros() as usize - start) as u32);
        commas &= commas - 1;
    }
}

/// The text of a quoted field's content: each doubled quote read as one.
pub(crate) fn unescape(raw: &str) -> String {
    raw.replace("\"\"", "\"")
}

fn unescape_bytes(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        out.push(raw[i]);
        i += if raw[i] == b'"' && raw.get(i + 1) == Some(&b'"') {
            2
        } else {
            1
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(input: &[u8], block: usize) -> Vec<Vec<String>> {
        let mut s = Splitter::new(Trickle(input, block), 0, u64::MAX);
        let mut out = Vec::new();
        while s.next_record().unwrap() {
            let fields = s.text_fields().unwrap();
            out.push((0..s.len()).map(|i| fields.get(i).to_string()).collect());
        }
        out
    }

    /// Delivers at most `self.1` bytes per read.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(self.1).min(out.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// What splitting gave: each record's (start offset, line, fields as
    /// text or the UTF-8 error's field and byte), then the error that stopped it.
    type Outcome = (
        Vec<(u64, u64, Result<Vec<Vec<u8>>, (usize, usize)>)>,
        Option<String>,
    );

    fn run(input: &[u8], block: usize, capacity: usize, limit: u64) -> Outcome {
        let mut s = Splitter::with_buffer(Trickle(input, block), 0, limit, capacity);
        let mut records = Vec::new();
        loop {
            let start = s.offset();
            match s.next_record() {
                Ok(true) => {}
                Ok(false) => return (records, None),
                Err(e) => return (records, Some(describe(&e))),
            }
            let (byte, line, record) = s.position();
            assert_eq!(record, records.len() as u64);
            assert_eq!(byte, start, "a record's position is where it starts");
            let fields = match s.text_fields() {
                Ok(f) => Ok((0..s.len()).map(|i| f.get(i).as_bytes().to_vec()).collect()),
                Err(SplitError::Utf8 { field, byte, .. }) => Err((field, byte)),
                Err(e) => panic!("{e:?}"),
            };
            records.push((start, line, fields));
        }
    }

    fn describe(e: &SplitError) -> String {
        match e {
            SplitError::UnclosedQuote { line, record, .. } => {
                format!("unclosed at line {line}, record {record}")
            }
            SplitError::TextAfterQuote {
                line, record, field, ..
            } => {
                format!("text after quote at line {line}, record {record}, field {field}")
            }
            e => format!("{e:?}"),
        }
    }

    /// A plain byte-at-a-time reading of the same rules, over the whole input.
    fn reference(input: &[u8], limit: u64) -> Outcome {
        let mut records = Vec::new();
        let mut p = 0;
        let mut line = 1;
        while p < input.len() && (p as u64) < limit {
            let (start, first_line, record) = (p as u64, line, records.len());
            let mut fields: Vec<Vec<u8>> = Vec::new();
            loop {
                if input.get(p) == Some(&b'"') {
                    let mut field = Vec::new();
                    let mut i = p + 1;
                    loop {
                        match input.get(i) {
                            None => {
                                return (
                                    records,
                                    Some(format!("unclosed at line {first_line}, record {record}")),
                                )
                            }
                            Some(b'"') if input.get(i + 1) == Some(&b'"') => {
                                field.push(b'"');
                                i += 2;
                            }
                            Some(b'"') => break,
                            Some(&b) => {
                                line += u64::from(b == b'\n');
                                field.push(b);
                                i += 1;
                            }
                        }
                    }
                    fields.push(field);
                    p = i + 1;
                    if !matches!(input.get(p), None | Some(b',' | b'\n' | b'\r')) {
                        let field = fields.len() - 1;
                        let e = format!("text after quote at line {line}, record {record}, field {field}");
                        return (records, Some(e));
                    }
                } else {
                    let end = input[p..]
                        .iter()
                        .position(|b| matches!(b, b',' | b'\n' | b'\r'))
                        .map_or(input.len(), |i| p + i);
                    fields.push(input[p..end].to_vec());
                    p = end;
                }
                match input.get(p) {
                    Some(b',') => p += 1,
                    Some(b'\n') => {
                        p += 1;
                        line += 1;
                        break;
                    }
                    Some(_) => {
                        p += 1;
                        if input.get(p) == Some(&b'\n') {
                            p += 1;
                        }
                        line += 1;
                        break;
                    }
                    None => break,
                }
            }
            let bad = fields
                .iter()
                .enumerate()
                .find_map(|(i, f)| std::str::from_utf8(f).err().map(|e| (i, e.valid_up_to())));
            records.push((start, first_line, bad.map_or(Ok(fields), Err)));
        }
        (records, None)
    }

    #[test]
    fn the_structural_walk_agrees_with_a_plain_reading() {
        let mut rows = String::new();
        for i in 0..300 {
            let tiers = "\"[{\"\"upper_bound\"\": 6, \"\"amount\"\": 3.65}]\"";
            rows.push_str(&format!(
                "{i},\"Big, \"\"B\"\"\",Inés Müller,x\"y,{tiers},\"two\nlines\",\r\n"
            ));
            if i % 7 == 0 {
                rows.push_str("\n  \n");
            }
        }
        rows.push_str("last,no,newline");
        let input = rows.as_bytes();
        let expected = reference(input, u64::MAX);
        assert_eq!(expected.0.len(), 300 + 43 * 2 + 1);
        assert!(expected.1.is_none());
        // Every read size up to two blocks and past, and buffers that start
        // smaller than one block, than a record, or hold the whole input.
        for block in (1..=130).chain([4096, 1 << 20]) {
            for capacity in [1, 63, 64, 65, 200, 1 << 20] {
                assert_eq!(
                    run(input, block, capacity, u64::MAX),
                    expected,
                    "block {block}, capacity {capacity}"
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn any_input_splits_as_a_plain_reading_does(
            input in proptest::collection::vec(
                proptest::sample::select(&b"ab ,,\"\"\n\n\r\xc3\xa9\xff"[..]),
                0..400,
            ),
            block in 1usize..100,
            capacity in proptest::sample::select(&[1usize, 7, 64, 100, 1 << 20][..]),
            limit in 0u64..500,
        ) {
            let limit = if limit >= 400 { u64::MAX } else { limit };
            proptest::prop_assert_eq!(run(&input, block, capacity, limit), reference(&input, limit));
        }
    }

    /// A field as a spreadsheet or TeamUp writes it: plain, or quoted with
    /// its quotes doubled; now and then one that is not (a quote in a plain
    /// field, text after a closing quote, a quote never closed).
    fn field() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let text = |alphabet: &'static [&'static str]| {
            proptest::collection::vec(proptest::sample::select(alphabet), 0..40).prop_map(|v| v.concat())
        };
        prop_oneof![
            8 => text(&["a", "b", "7", " ", "é", ".", "-"]),
            8 => text(&["a", " ", ",", "\"\"", "\n", "\r\n", "\r", "é", "{", ":"]).prop_map(|t| format!("\"{t}\"")),
            1 => text(&["a", "\"", ","]).prop_map(|t| format!("x{t}")),
            1 => text(&["a", "\"\"", ","]).prop_map(|t| format!("\"{t}\"z")),
            1 => Just("\"open".to_string()),
        ]
    }

    proptest::proptest! {
        #[test]
        fn regular_records_split_as_a_plain_reading_does(
            records in proptest::collection::vec(
                (proptest::collection::vec(field(), 1..12), proptest::sample::select(&["\n", "\r\n", "\r"][..])),
                1..30,
            ),
            last_ending in proptest::bool::ANY,
            block in proptest::sample::select(&[1usize, 7, 64, 100, 1 << 20][..]),
            capacity in proptest::sample::select(&[1usize, 64, 100, 1 << 20][..]),
        ) {
            let mut input = String::new();
            for (i, (fields, ending)) in records.iter().enumerate() {
                input.push_str(&fields.join(","));
                if last_ending || i + 1 < records.len() {
                    input.push_str(ending);
                }
            }
            let input = input.as_bytes();
            proptest::prop_assert_eq!(run(input, block, capacity, u64::MAX), reference(input, u64::MAX));
        }
    }

    #[test]
    fn regular_records_take_the_fast_path_and_irregular_ones_the_walk() {
        let row = "1,\"The \"\"Big\"\" Stretch\",\"[{\"\"a\"\": 1, \"\"b\"\": null}]\",\"two\nlines\",£1,234.50\r\n";
        let input = row.repeat(50);
        let mut s = Splitter::new(input.as_bytes(), 0, u64::MAX);
        let mut n = 0;
        while s.next_record().unwrap() {
            let fields = s.text_fields().unwrap();
            assert_eq!(fields.get(1), "The \"Big\" Stretch");
            assert_eq!(fields.get(3), "two\nlines");
            n += 1;
        }
        assert_eq!(n, 50);
        // All but the records too near the end of the input to hold a whole block.
        assert!(s.fast_records >= 48, "{}", s.fast_records);
        let irregular = "1,x\"y,\"z\n".repeat(50);
        assert_eq!(
            run(irregular.as_bytes(), 1 << 20, 1 << 20, u64::MAX),
            reference(irregular.as_bytes(), u64::MAX)
        );
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
        assert_eq!(positions, vec![(0, 1, 0), (2, 2, 1), (8, 4, 2)]);
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
