//! Exports a spreadsheet saved again: told once per file from its first
//! bytes (encoding, a `sep=` line, the delimiter) and turned, as it is read,
//! into the UTF-8, comma-separated, dot-decimal CSV the fast reader takes.
//! A UTF-8 comma-separated file does not come here: it goes to that reader
//! as it is.

use std::io::{self, BufRead, Read};

use crate::columns::{name_of, ColumnMap, Named};
use crate::field::Field;

/// How the bytes of a text input are to be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// UTF-8, with or without a byte-order mark.
    Utf8,
    /// UTF-16, little-endian, told by its byte-order mark.
    Utf16Le,
    /// UTF-16, big-endian, told by its byte-order mark.
    Utf16Be,
    /// Windows-1252: the first bytes are not valid UTF-8.
    Windows1252,
}

/// `String::from_utf8_lossy`, without its walk character by character when
/// the text is valid but for a character cut at its end (the common case
/// for a head cut from a file): a megabyte of head is read for every run.
fn utf8_lossy(text: &[u8]) -> std::borrow::Cow<'_, str> {
    match simdutf8::compat::from_utf8(text) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(e) if e.error_len().is_none() => match simdutf8::basic::from_utf8(&text[..e.valid_up_to()]) {
            Ok(valid) => {
                let mut out = String::with_capacity(valid.len() + 3);
                out.push_str(valid);
                // One replacement for the cut character, as the lossy reading gives.
                out.push(char::REPLACEMENT_CHARACTER);
                std::borrow::Cow::Owned(out)
            }
            Err(_) => String::from_utf8_lossy(text),
        },
        Err(_) => String::from_utf8_lossy(text),
    }
}

impl Encoding {
    /// The encoding of a text whose first bytes are `head` (`complete`: the
    /// whole input).
    pub(crate) fn of(head: &[u8], complete: bool) -> Encoding {
        if head.starts_with(b"\xff\xfe") {
            return Encoding::Utf16Le;
        }
        if head.starts_with(b"\xfe\xff") {
            return Encoding::Utf16Be;
        }
        // Without a byte-order mark, UTF-16 text shows as a zero byte beside
        // every ASCII character (never in a real export's text).
        let sample = &head[..head.len().min(512) & !1];
        if sample.len() >= 8 {
            let zeros = |parity: usize| sample.iter().skip(parity).step_by(2).filter(|&&b| b == 0).count();
            let half = sample.len() / 2;
            match (zeros(0), zeros(1)) {
                (even, 0) if even * 10 >= half * 8 => return Encoding::Utf16Be,
                (0, odd) if odd * 10 >= half * 8 => return Encoding::Utf16Le,
                _ => {}
            }
        }
        match simdutf8::compat::from_utf8(head) {
            Ok(_) => Encoding::Utf8,
            // Cut in the middle of a character by the end of the head.
            Err(e) if e.error_len().is_none() && !complete => Encoding::Utf8,
            // Valid UTF-8 characters beside the bad bytes: a damaged UTF-8
            // file, refused by the reader naming the field, not Windows-1252.
            Err(_) if head.utf8_chunks().any(|c| !c.valid().is_ascii()) => Encoding::Utf8,
            Err(_) => Encoding::Windows1252,
        }
    }

    fn decoder(self) -> Option<encoding_rs::Decoder> {
        match self {
            Encoding::Utf8 => None,
            Encoding::Utf16Le => Some(encoding_rs::UTF_16LE.new_decoder_with_bom_removal()),
            Encoding::Utf16Be => Some(encoding_rs::UTF_16BE.new_decoder_with_bom_removal()),
            Encoding::Windows1252 => Some(encoding_rs::WINDOWS_1252.new_decoder_without_bom_handling()),
        }
    }

    /// `head` as text, for telling the layout (the last character may be cut).
    pub(crate) fn decode_head(self, head: &[u8]) -> std::borrow::Cow<'_, str> {
        match self {
            Encoding::Utf8 => utf8_lossy(head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head)),
            Encoding::Utf16Le => encoding_rs::UTF_16LE.decode_with_bom_removal(head).0,
            Encoding::Utf16Be => encoding_rs::UTF_16BE.decode_with_bom_removal(head).0,
            Encoding::Windows1252 => encoding_rs::WINDOWS_1252.decode_without_bom_handling(head).0,
        }
    }

    /// The name for notes.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf16Le => "UTF-16 (little-endian)",
            Encoding::Utf16Be => "UTF-16 (big-endian)",
            Encoding::Windows1252 => "Windows-1252",
        }
    }

    /// `reader` decoded to UTF-8 as it is read.
    pub(crate) fn wrap<'r>(self, reader: impl Read + 'r) -> Box<dyn Read + 'r> {
        match self.decoder() {
            None => Box::new(reader),
            Some(decoder) => Box::new(Decoding {
                inner: reader,
                decoder,
                input: vec![0; 64 * 1024],
                start: 0,
                end: 0,
                eof: false,
                output: Vec::with_capacity(256 * 1024),
                at: 0,
                done: false,
            }),
        }
    }
}

/// A reader of UTF-8 decoded from another encoding with `encoding_rs`.
struct Decoding<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    output: Vec<u8>,
    at: usize,
    done: bool,
}

impl<R: Read> Read for Decoding<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.output.len() {
            if self.done {
                return Ok(0);
            }
            if self.start == self.end && !self.eof {
                self.start = 0;
                self.end = loop {
                    match self.inner.read(&mut self.input) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    }
                };
                self.eof = self.end == 0;
            }
            self.output.clear();
            self.at = 0;
            self.output.resize(256 * 1024, 0);
            let (result, read, written, _) =
                self.decoder
                    .decode_to_utf8(&self.input[self.start..self.end], &mut self.output, self.eof);
            self.start += read;
            self.output.truncate(written);
            if self.eof && result == encoding_rs::CoderResult::InputEmpty && self.start == self.end {
                self.done = true;
            }
        }
        let n = buf.len().min(self.output.len() - self.at);
        buf[..n].copy_from_slice(&self.output[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// How a CSV text is laid out: its delimiter, whether it starts with a
/// `sep=` line, and which columns may carry a decimal comma.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layout {
    pub(crate) delimiter: u8,
    pub(crate) sep_line: bool,
    /// Columns (by index) whose numbers may be written with a decimal comma.
    pub(crate) decimal_columns: Vec<usize>,
    /// The decimal mark the first lines show in those columns.
    pub(crate) mark: Mark,
}

/// The decimal mark of a semicolon- or tab-separated file, told from the
/// number cells of its first lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    /// Some cell can only be a decimal comma (`0,75`, `1.234,50`), none only a dot.
    Comma,
    /// Some cell can only be a decimal point (`0.75`, `1,234.50`), none only a comma.
    Dot,
    /// Neither, or both: each cell by itself, and one that could be either is refused.
    Unknown,
}

/// What one number cell says of the decimal mark.
fn evidence(text: &str) -> Option<Mark> {
    let (_, number, _) = number_part(text)?;
    let number = number.strip_prefix('-').unwrap_or(number);
    let after = |c: char| number.rsplit_once(c).map(|(_, f)| f.len());
    match (number.contains(','), number.contains('.')) {
        (true, true) if number.rfind(',') > number.rfind('.') => Some(Mark::Comma),
        (true, true) => Some(Mark::Dot),
        (true, false) if number.matches(',').count() == 1 && after(',') != Some(3) => Some(Mark::Comma),
        (false, true) if number.matches('.').count() == 1 && after('.') != Some(3) => Some(Mark::Dot),
        _ => None,
    }
}

/// Whether a number is written `2,700` or `2.700`: groups of three after
/// one or more separators of one kind, which could be thousands or a decimal mark.
fn could_be_either(text: &str) -> bool {
    let Some((_, number, _)) = number_part(text) else {
        return false;
    };
    let number = number.strip_prefix('-').unwrap_or(number);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    [',', '.'].into_iter().any(|sep| {
        let groups: Vec<&str> = number.split(sep).collect();
        groups.len() >= 2
            && (1..=3).contains(&groups[0].len())
            && digits(groups[0])
            && groups[1..].iter().all(|g| g.len() == 3 && digits(g))
    })
}

impl Layout {
    /// Whether the text is already what the fast reader takes.
    pub(crate) fn is_plain(&self) -> bool {
        self.delimiter == b',' && !self.sep_line
    }

    /// The layout of a CSV text that starts with `head`: a first line
    /// `sep=X` names the delimiter; otherwise it is the one of comma,
    /// semicolon and tab that makes the most header cells name a field
    /// (a tie goes to the comma, then the semicolon).
    pub(crate) fn of(head: &str, map: &ColumnMap) -> Layout {
        let mut lines = head.split('\n');
        let first = lines.next().unwrap_or("").trim_end_matches('\r');
        let named = |delimiter: u8, line: &str| {
            split_line(line, delimiter)
                .iter()
                .filter(|c| matches!(name_of(c, map), Named::Field(_)))
                .count()
        };
        let (delimiter, sep_line, header) = match sep_of(first) {
            Some(d) => (d, true, lines.next().unwrap_or("").trim_end_matches('\r')),
            None => {
                let mut best = (b',', named(b',', first));
                for d in [b';', b'\t'] {
                    let n = named(d, first);
                    if n > best.1 {
                        best = (d, n);
                    }
                }
                (best.0, false, first)
            }
        };
        // Decimal commas only where a comma cannot be the delimiter's stand-in.
        let decimal_columns = if !matches!(delimiter, b';' | b'\t') {
            Vec::new()
        } else {
            split_line(header, delimiter)
                .iter()
                .enumerate()
                .filter(|(_, c)| {
                    matches!(
                        name_of(c, map),
                        Named::Field(
                            Field::Hours
                                | Field::Attended
                                | Field::NoShows
                                | Field::LateCancels
                                | Field::Comped
                                | Field::RateBase
                                | Field::Pay
                        )
                    )
                })
                .map(|(i, _)| i)
                .collect()
        };
        let mut comma = false;
        let mut dot = false;
        if !decimal_columns.is_empty() {
            for line in lines.take(2000) {
                let cells = split_line(line.trim_end_matches('\r'), delimiter);
                for &i in &decimal_columns {
                    match cells.get(i).and_then(|c| evidence(c)) {
                        Some(Mark::Comma) => comma = true,
                        Some(Mark::Dot) => dot = true,
                        _ => {}
                    }
                }
            }
        }
        let mark = match (comma, dot) {
            (true, false) => Mark::Comma,
            (false, true) => Mark::Dot,
            _ => Mark::Unknown,
        };
        Layout {
            delimiter,
            sep_line,
            decimal_columns,
            mark,
        }
    }

    /// The name of the delimiter, for notes.
    pub(crate) fn delimiter_name(&self) -> &'static str {
        match self.delimiter {
            b';' => "semicolon",
            b'\t' => "tab",
            b'|' => "pipe",
            _ => "comma",
        }
    }
}

/// The delimiter a `sep=X` line names (as spreadsheets write it).
fn sep_of(line: &str) -> Option<u8> {
    let rest = line
        .trim_start_matches('\u{feff}')
        .trim_start_matches('"')
        .strip_prefix("sep=")?;
    match rest.trim_end_matches(['"', ' ']).as_bytes() {
        [b','] => Some(b','),
        [b';'] => Some(b';'),
        [b'\t'] | [] if rest.starts_with('\t') => Some(b'\t'),
        [b'|'] => Some(b'|'),
        _ => None,
    }
}

/// The cells of one line, quotes honoured, for telling the layout.
fn split_line(line: &str, delimiter: u8) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                if let Some(s) = cells.last_mut() {
                    s.push('"');
                }
            }
            '"' => quoted = !quoted,
            c if !quoted && c as u32 == u32::from(delimiter) => cells.push(String::new()),
            c => {
                if let Some(s) = cells.last_mut() {
                    s.push(c);
                }
            }
        }
    }
    cells
}

/// A number written with a decimal comma, as the dot-decimal text the
/// readers take: `0,75` is `0.75`, `1.234,50` and `1 234,50` are
/// `1234.50`. The whole text must be `-?D+,D+` or `-?D{1,3}(S DDD)+,D+`
/// with one group separator `S` (`.`, a space, a no-break space or a narrow
/// no-break space); anything else is `None` and stays as it is.
pub(crate) fn decimal_comma(text: &str) -> Option<String> {
    let (sign, body) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let (whole, fraction) = body.split_once(',')?;
    if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let whole = if digits(whole) {
        whole.to_string()
    } else {
        let separator = whole.chars().find(|c| !c.is_ascii_digit())?;
        if !matches!(separator, '.' | ' ' | '\u{a0}' | '\u{202f}') {
            return None;
        }
        let groups: Vec<&str> = whole.split(separator).collect();
        let first_ok = (1..=3).contains(&groups[0].len()) && digits(groups[0]);
        let rest_ok = groups[1..].iter().all(|g| g.len() == 3 && digits(g));
        if groups.len() < 2 || !first_ok || !rest_ok {
            return None;
        }
        groups.concat()
    };
    Some(format!("{sign}{whole}.{fraction}"))
}

/// A money cell or number with a decimal comma, its symbol or code kept:
/// `1.234,50 €` is `1234.50 €`, `£3,75` is `£3.75`, `0,5` is `0.5`.
pub(crate) fn decimal_comma_cell(text: &str) -> Option<String> {
    let (prefix, number, suffix) = number_part(text)?;
    decimal_comma(number).map(|n| format!("{prefix}{n}{suffix}"))
}

/// A cell cut into what stands before its number, the number, and after.
fn number_part(text: &str) -> Option<(&str, &str, &str)> {
    let trimmed = text.trim();
    let first = trimmed.find(|c: char| c.is_ascii_digit())?;
    let start = if trimmed[..first].ends_with('-') {
        first - 1
    } else {
        first
    };
    let end = trimmed.rfind(|c: char| c.is_ascii_digit())? + 1;
    let (prefix, number, suffix) = (&trimmed[..start], &trimmed[start..end], &trimmed[end..]);
    if prefix.chars().any(|c| c.is_ascii_digit()) || suffix.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((prefix, number, suffix))
}

/// A reader of a CSV text in `layout`, giving the same records comma-separated
/// with dot decimals: each field is cut out (quotes honoured), its decimal
/// comma turned into a dot when its column may carry one, and written again,
/// quoted when it holds a comma, a quote or a line break. A field this cannot
/// read whole (a quote left open, text after a closing quote) is passed on as
/// it stands, so the reader refuses it as it would in a comma-separated file.
/// Line breaks are kept, so line numbers stay those of the file.
pub(crate) struct Redelimit<R> {
    inner: R,
    layout: Layout,
    /// The current field's bytes as they stand.
    field: Vec<u8>,
    /// Inside quotes, and whether the last byte was a quote in quotes.
    quoted: bool,
    quote_seen: bool,
    column: usize,
    at_line_start: bool,
    skip_line: bool,
    out: Vec<u8>,
    at: usize,
    eof: bool,
    /// The line being read (from 1, as the file numbers it), and the header's cells.
    line: u64,
    header: Vec<String>,
    in_header: bool,
    error: Option<String>,
}

impl<R: BufRead> Redelimit<R> {
    pub(crate) fn new(inner: R, layout: Layout) -> Redelimit<R> {
        let skip_line = layout.sep_line;
        Redelimit {
            inner,
            layout,
            field: Vec::new(),
            quoted: false,
            quote_seen: false,
            column: 0,
            at_line_start: true,
            skip_line,
            out: Vec::with_capacity(256 * 1024),
            at: 0,
            eof: false,
            line: 1,
            header: Vec::new(),
            in_header: true,
            error: None,
        }
    }

    fn end_field(&mut self) {
        let raw = std::mem::take(&mut self.field);
        let was_quoted = raw.first() == Some(&b'"');
        let content: Option<Vec<u8>> = if was_quoted {
            let inner = &raw[1..];
            match inner.strip_suffix(b"\"") {
                Some(body) if well_quoted(body) => Some(unquote(body)),
                _ => None,
            }
        } else {
            Some(raw.clone())
        };
        let Some(mut content) = content else {
            // Not read whole: the reader names what is wrong.
            self.out.extend_from_slice(&raw);
            self.field = raw;
            self.field.clear();
            return;
        };
        if self.in_header {
            self.header.push(String::from_utf8_lossy(&content).into_owned());
        }
        if !self.in_header && self.layout.decimal_columns.contains(&self.column) {
            let text = String::from_utf8_lossy(&content).into_owned();
            let converted = match self.layout.mark {
                Mark::Dot => None,
                Mark::Comma if could_be_either(&text) => Some(text.replace('.', "").replace(',', ".")),
                Mark::Comma => decimal_comma_cell(&text),
                Mark::Unknown if could_be_either(&text) => None,
                Mark::Unknown => decimal_comma_cell(&text),
            };
            if self.error.is_none() && self.layout.mark == Mark::Unknown && could_be_either(&text) {
                self.error = Some(format!(
                    "line {} (column {:?}): {:?} could be a number with a thousands separator or with a decimal mark, and the file's other numbers do not tell which ({}-separated); write it without the separator",
                    self.line,
                    self.header.get(self.column).map_or("", String::as_str),
                    text.trim(),
                    self.layout.delimiter_name()
                ));
            }
            if let Some(converted) = converted {
                content = converted.into_bytes();
            }
        }
        let needs_quotes = was_quoted || content.iter().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'));
        if needs_quotes {
            self.out.push(b'"');
            for &b in &content {
                if b == b'"' {
                    self.out.push(b'"');
                }
                self.out.push(b);
            }
            self.out.push(b'"');
        } else {
            self.out.extend_from_slice(&content);
        }
        self.field = raw;
        self.field.clear();
    }

    /// Takes the bytes of one buffer from the inner reader; false at its end.
    fn step(&mut self) -> io::Result<bool> {
        let buf = match self.inner.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(true),
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            return Ok(false);
        }
        let buf = buf.to_vec();
        let n = buf.len();
        for &b in &buf {
            if b == b'\n' {
                self.line += 1;
            }
            if self.skip_line {
                if b == b'\n' {
                    self.skip_line = false;
                }
                continue;
            }
            if self.quoted {
                self.field.push(b);
                if b == b'"' {
                    self.quote_seen = !self.quote_seen;
                } else if self.quote_seen {
                    // The quote before this byte closed the field.
                    self.quoted = false;
                    self.quote_seen = false;
                    self.field.pop();
                    self.structural(b);
                }
                continue;
            }
            self.structural(b);
            if self.field.len() > crate::split::MAX_RECORD {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "a field is longer than {} MiB; is this really a TeamUp export?",
                        crate::split::MAX_RECORD >> 20
                    ),
                ));
            }
        }
        self.inner.consume(n);
        Ok(true)
    }

    /// One byte outside quotes.
    fn structural(&mut self, b: u8) {
        match b {
            b'"' if self.field.is_empty() => {
                self.field.push(b);
                self.quoted = true;
                self.quote_seen = false;
                self.at_line_start = false;
            }
            b'\n' | b'\r' => {
                if !self.at_line_start || !self.field.is_empty() {
                    // The newline is counted already: the field ended on the line before.
                    self.line -= u64::from(b == b'\n');
                    self.end_field();
                    self.line += u64::from(b == b'\n');
                }
                self.in_header = false;
                self.out.push(b);
                self.column = 0;
                self.at_line_start = true;
            }
            b if b == self.layout.delimiter => {
                self.end_field();
                self.out.push(b',');
                self.column += 1;
                self.at_line_start = false;
            }
            b => {
                self.field.push(b);
                self.at_line_start = false;
            }
        }
    }
}

/// Whether the inside of a quoted field has its quotes doubled.
fn well_quoted(body: &[u8]) -> bool {
    let mut i = 0;
    while i < body.len() {
        if body[i] == b'"' {
            if body.get(i + 1) != Some(&b'"') {
                return false;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    true
}

fn unquote(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        out.push(body[i]);
        i += if body[i] == b'"' { 2 } else { 1 };
    }
    out
}

impl<R: BufRead> Read for Redelimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.out.len() {
            if let Some(message) = self.error.take() {
                return Err(io::Error::new(io::ErrorKind::InvalidData, message));
            }
            if self.eof {
                return Ok(0);
            }
            self.out.clear();
            self.at = 0;
            if !self.step()? {
                self.eof = true;
                if self.quoted && self.quote_seen {
                    self.quoted = false;
                }
                if self.quoted || !self.field.is_empty() || !self.at_line_start {
                    if self.quoted {
                        // A quote never closed: passed on for the reader to refuse.
                        let raw = std::mem::take(&mut self.field);
                        self.out.extend_from_slice(&raw);
                    } else {
                        self.end_field();
                    }
                }
            }
        }
        let n = buf.len().min(self.out.len() - self.at);
        buf[..n].copy_from_slice(&self.out[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The quicker lossy reading gives what the standard one gives: on
        /// valid text, on text cut inside a character, on damaged text.
        #[test]
        fn the_lossy_head_reads_as_the_standard_lossy_reading(
            text in "\\PC{0,40}",
            cut in 0usize..200,
            damage in proptest::option::of((0usize..200, 0x80u8..=0xff)),
        ) {
            let mut bytes = text.into_bytes();
            bytes.truncate(cut.min(bytes.len()));
            if let Some((at, byte)) = damage {
                if !bytes.is_empty() {
                    let at = at % bytes.len();
                    bytes[at] = byte;
                }
            }
            prop_assert_eq!(utf8_lossy(&bytes), String::from_utf8_lossy(&bytes));
        }
    }

    fn redelimit(text: &str, delimiter: u8, decimal: &[usize], sep_line: bool) -> String {
        let layout = Layout {
            delimiter,
            sep_line,
            decimal_columns: decimal.to_vec(),
            mark: Mark::Comma,
        };
        let mut out = String::new();
        // A tiny buffer: fields cut across reads come out whole.
        Redelimit::new(io::BufReader::with_capacity(3, text.as_bytes()), layout)
            .read_to_string(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn semicolons_become_commas_and_decimal_commas_dots() {
        assert_eq!(
            redelimit("a;b;c\r\n1,5;\"x;y\";1.234,50 €\n", b';', &[0, 2], false),
            "a,b,c\r\n1.5,\"x;y\",1234.50 €\n"
        );
        assert_eq!(
            redelimit("sep=;\na;b\n\"Lee, \"\"D\"\"\";2,5", b';', &[], true),
            "a,b\n\"Lee, \"\"D\"\"\",\"2,5\""
        );
        assert_eq!(
            redelimit("a\tb\n1,25\t\"1,25\"\n", b'\t', &[0, 1], false),
            "a,b\n1.25,\"1.25\"\n"
        );
        // Text after a closing quote and a quote never closed are passed on as they stand.
        assert_eq!(redelimit("\"a\"b;c\n", b';', &[], false), "\"a\"b,c\n");
        assert_eq!(redelimit("a;\"b;c\n", b';', &[], false), "a,\"b;c\n");
    }

    #[test]
    fn a_dot_that_could_be_either_is_refused() {
        assert!(could_be_either("2.700 ¥") && could_be_either("¥2,700") && could_be_either("-1.234.567"));
        assert!(!could_be_either("0.75") && !could_be_either("1.234,5") && !could_be_either("12.3456"));
        assert_eq!(evidence("£74,25"), Some(Mark::Comma));
        assert_eq!(evidence("1.234,50 €"), Some(Mark::Comma));
        assert_eq!(evidence("₹4,900.00"), Some(Mark::Dot));
        assert_eq!(evidence("1.5"), Some(Mark::Dot));
        assert_eq!(evidence("¥2,700"), None);
        let layout = Layout {
            delimiter: b';',
            sep_line: false,
            decimal_columns: vec![1],
            mark: Mark::Unknown,
        };
        let mut out = String::new();
        let err = Redelimit::new(&b"id;pay\n1;3,5\n2;\"2.700 \xc2\xa5\"\n"[..], layout)
            .read_to_string(&mut out)
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("line 3 (column \"pay\"): \"2.700 \u{a5}\" could be"),
            "{err}"
        );
    }

    #[test]
    fn the_decimal_comma_rule_is_exact() {
        for (text, want) in [
            ("0,75", Some("0.75")),
            ("-3,75", Some("-3.75")),
            ("1.234,50", Some("1234.50")),
            ("12.345.678,9", Some("12345678.9")),
            ("1 234,50", Some("1234.50")),
            ("1,234.50", None),
            ("1.23,50", None),
            ("1234.567,8", None),
            ("1,", None),
            (",5", None),
            ("1,2,3", None),
        ] {
            assert_eq!(decimal_comma(text).as_deref(), want, "{text}");
        }
        assert_eq!(decimal_comma_cell("1.234,50 €").as_deref(), Some("1234.50 €"));
        assert_eq!(decimal_comma_cell("£3,75").as_deref(), Some("£3.75"));
        assert_eq!(decimal_comma_cell("-€5,00").as_deref(), Some("-€5.00"));
        assert_eq!(decimal_comma_cell("£3.75"), None);
        assert_eq!(decimal_comma_cell("3 x 4,5"), None);
    }

    #[test]
    fn layouts_are_told_from_the_header() {
        let map = ColumnMap::default();
        let l = Layout::of("id;hours;name\n1;0,5;x\n", &map);
        assert_eq!(
            (l.delimiter, l.sep_line, l.decimal_columns),
            (b';', false, vec![1])
        );
        let l = Layout::of("sep=\t\nid\thours\n", &map);
        assert_eq!((l.delimiter, l.sep_line), (b'\t', true));
        assert_eq!(Layout::of("\"sep=;\"\nid;hours\n", &map).delimiter, b';');
        let l = Layout::of("sep=|\nid|hours\n", &map);
        assert_eq!(
            (l.delimiter, l.sep_line, l.decimal_columns),
            (b'|', true, vec![]),
            "no decimal commas"
        );
        let l = Layout::of("id,\"a;b\",hours\n", &map);
        assert!(l.is_plain());
        assert!(
            Layout::of("x;y\n", &map).is_plain(),
            "nothing named: comma, as before"
        );
    }

    #[test]
    fn encodings_are_told_and_decoded() {
        assert_eq!(Encoding::of(b"id,name\n", true), Encoding::Utf8);
        assert_eq!(
            Encoding::of(b"Siobh\xc3", false),
            Encoding::Utf8,
            "cut in a character"
        );
        assert_eq!(Encoding::of(b"Siobh\xe1n", true), Encoding::Windows1252);
        assert_eq!(
            Encoding::of(b"\xc2\xa31 Siobh\xe1n", true),
            Encoding::Utf8,
            "damaged UTF-8"
        );
        assert_eq!(Encoding::of(b"\xff\xfei\x00", true), Encoding::Utf16Le);
        let le: Vec<u8> = "id,name\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = "id,name\n".encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(Encoding::of(&le, true), Encoding::Utf16Le, "no byte-order mark");
        assert_eq!(Encoding::of(&be, true), Encoding::Utf16Be, "no byte-order mark");
        let mut out = String::new();
        Encoding::Windows1252
            .wrap(&b"Siobh\xe1n \x80"[..])
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "Siobhán €");
        let utf16: Vec<u8> = [0xfeff_u16]
            .into_iter()
            .chain("£1,5".encode_utf16())
            .flat_map(u16::to_be_bytes)
            .collect();
        let mut out = String::new();
        Encoding::Utf16Be
            .wrap(&utf16[..])
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "£1,5");
        assert_eq!(Encoding::Utf16Be.decode_head(&utf16), "£1,5");
    }
}
