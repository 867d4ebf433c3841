//! Streaming readers for every export shape: CSV, one JSON response, JSON pages, NDJSON, stdin.

use std::borrow::Cow;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::columns::ColumnMap;
use crate::error::{Error, Location, Result};
use crate::field::Field;
use crate::row::{Cell, ParsedRow, RowAccess, RowParser};
pub use crate::sink::Rejected;
use crate::sink::{reject, RowSink};
use crate::split::{Fields, SplitError, Splitter};
use crate::strict::{duplicate_key, json_message, parse_json_row, parse_strict_row};

/// The shape of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// CSV with a header row.
    Csv,
    /// One JSON response `{total, column_headers, rows}` (or a bare array of rows).
    Json,
    /// One JSON row object per line.
    Ndjson,
    /// A workbook (`.xlsx`, `.xls`, `.ods`): the first sheet whose header
    /// names the report's columns.
    Workbook,
}

impl Shape {
    /// The shape a file name says, by its extension.
    pub fn from_path(path: &Path) -> Option<Shape> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Shape::Csv),
            "json" => Some(Shape::Json),
            "ndjson" | "jsonl" => Some(Shape::Ndjson),
            "xlsx" | "xlsm" | "xls" | "ods" => Some(Shape::Workbook),
            _ => None,
        }
    }

    /// What the shape is called in messages.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Csv => "CSV",
            Shape::Json => "JSON",
            Shape::Ndjson => "NDJSON",
            Shape::Workbook => "a workbook",
        }
    }
}

/// One input to read: a file or standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// The path, or `-` for standard input.
    pub path: PathBuf,
    /// The shape, when the name tells it; sniffed from the content otherwise.
    pub shape: Option<Shape>,
    /// The folder named on the command line that this file was found in
    /// (its JSON pages are held to their `total`, see [`crate::PageCheck`]).
    pub folder: Option<PathBuf>,
    /// The studio's own header labels (`[columns]`, `--columns-from`).
    pub columns: ColumnMap,
}

impl Input {
    /// Whether this is standard input.
    pub fn is_stdin(&self) -> bool {
        self.path.as_os_str() == "-"
    }

    /// The name to show in messages.
    pub fn display_path(&self) -> PathBuf {
        if self.is_stdin() {
            PathBuf::from("<stdin>")
        } else {
            self.path.clone()
        }
    }
}

/// Expands command-line inputs: files as given, folders into their export
/// files (`.csv`, `.json`, `.ndjson`, `.jsonl`) in name order, `-` as stdin.
///
/// Returns the inputs and the files in folders that were passed over.
///
/// # Errors
/// [`Error::Io`] for a path that cannot be read, [`Error::Shape`] for an
/// empty folder.
pub fn expand_inputs(paths: &[PathBuf]) -> Result<(Vec<Input>, Vec<PathBuf>)> {
    let mut inputs = Vec::new();
    let mut skipped = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(Input {
                path: path.clone(),
                shape: None,
                folder: None,
                columns: ColumnMap::default(),
            });
            continue;
        }
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.is_dir() {
            let mut entries = Vec::new();
            for entry in std::fs::read_dir(path).map_err(|e| Error::io(path, e))? {
                let entry = entry.map_err(|e| Error::io(path, e))?;
                let p = entry.path();
                let hidden = p
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.'));
                if p.is_file() && !hidden {
                    entries.push(p);
                }
            }
            entries.sort();
            let before = inputs.len();
            for p in entries {
                // A workbook in a folder is often an output (a payroll
                // spreadsheet): read one only when it is named.
                match Shape::from_path(&p).filter(|s| *s != Shape::Workbook) {
                    Some(shape) => inputs.push(Input {
                        path: p,
                        shape: Some(shape),
                        folder: Some(path.clone()),
                        columns: ColumnMap::default(),
                    }),
                    None => skipped.push(p),
                }
            }
            if inputs.len() == before {
                return Err(Error::Shape {
                    path: path.clone(),
                    problem: "the folder holds no .csv, .json, .ndjson or .jsonl file".into(),
                });
            }
        } else {
            inputs.push(Input {
                path: path.clone(),
                shape: Shape::from_path(path),
                folder: None,
                columns: ColumnMap::default(),
            });
        }
    }
    Ok((inputs, skipped))
}

/// What reading one input saw, for checks that span inputs (the pages of a
/// folder, see [`crate::PageCheck`]) and for notes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// The rows of a JSON response's `rows` array, read or refused.
    pub rows: u64,
    /// The `total` a JSON response states.
    pub total: Option<u64>,
    /// How the input was read, where that is worth a note: a workbook or
    /// UTF-16 text under a `.csv` name, Windows-1252, several JSON responses.
    pub notes: Vec<String>,
    /// A part of a CSV file whose last record did not end exactly at the
    /// part's end (a quoted field spans the split): read the file again in
    /// one pass.
    pub misaligned: bool,
}

/// A reader that adds what it reads to a counter.
pub(crate) struct Counting<'a, R> {
    pub(crate) inner: R,
    pub(crate) counter: &'a AtomicU64,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Reads the rows of a text (or workbook) input; `shape` `None` sniffs it
/// from the content.
pub(crate) fn read_text<S: RowSink>(
    mut reader: impl Read,
    shape: Option<Shape>,
    path: &Path,
    map: &ColumnMap,
    cache: &mut crate::sink::ReadCache,
    sink: &mut S,
) -> Result<Summary, S::Error> {
    if shape == Some(Shape::Json) {
        // A JSON response (an API page of about 100 KB) goes straight into the
        // reused buffer, and the head checks below run on that buffer: a folder
        // of 10,000 pages would otherwise pay two 256 KiB buffers, a growing
        // head and two copies of every page.
        let buf = &mut cache.json_buf;
        buf.clear();
        (&mut reader)
            .take(WHOLE_RESPONSE + 1)
            .read_to_end(buf)
            .map_err(|e| Error::io(path, e))?;
        let head = &buf[..buf.len().min(HEAD)];
        let complete = buf.len() < HEAD;
        // The whole page is checked as UTF-8 once, here; then the encoding
        // needs only its first bytes (a byte-order mark, UTF-16's zero bytes):
        // the rest of what it checks is what this check found.
        let text = simdutf8::basic::from_utf8(buf).ok();
        let told = match text {
            Some(_) => &head[..head.len().min(512)],
            None => head,
        };
        let plain = buf.len() as u64 <= WHOLE_RESPONSE
            && crate::workbook::Kind::of(head).is_none()
            && !policy_like(head)
            && crate::resave::Encoding::of(told, complete && text.is_none()) == crate::resave::Encoding::Utf8;
        if plain {
            let crate::sink::ReadCache { parser, fast, .. } = cache;
            return match text {
                Some(text) => scan_json_text(text, path, fast, parser, sink),
                None => scan_json_response(buf, path, fast, parser, sink),
            };
        }
        // Anything else takes the general way, which gives its notes and errors.
        let read = std::mem::take(buf);
        return read_text_general(Cursor::new(read).chain(reader), shape, path, map, cache, sink);
    }
    read_text_general(reader, shape, path, map, cache, sink)
}

fn read_text_general<S: RowSink>(
    reader: impl Read,
    shape: Option<Shape>,
    path: &Path,
    map: &ColumnMap,
    cache: &mut crate::sink::ReadCache,
    sink: &mut S,
) -> Result<Summary, S::Error> {
    let crate::sink::ReadCache {
        parser,
        fast,
        buf: _,
        json_buf,
    } = cache;
    let mut reader = BufReader::with_capacity(256 * 1024, reader);
    let (head, complete) = read_head(&mut reader, path)?;
    let mut notes = Vec::new();
    if let Some(kind) = crate::workbook::Kind::of(&head) {
        if shape != Some(Shape::Workbook) {
            notes.push(format!(
                "{} is a workbook, not {}: read by its content",
                path.display(),
                shape.map_or("a text export", Shape::name)
            ));
        }
        let sheet = crate::workbook::to_csv(Cursor::new(head).chain(reader), kind, path, map)?;
        let mut split = Splitter::new(BufReader::new(sheet.file), 0, u64::MAX);
        split.start_at_line(sheet.header_row);
        let header = read_csv_header(&mut split, path, map)?;
        read_csv_records(&mut split, &header, path, parser, sink)?;
        return Ok(Summary {
            notes,
            ..Summary::default()
        });
    }
    if shape == Some(Shape::Workbook) {
        return Err(Error::Shape {
            path: path.to_path_buf(),
            problem: "not a workbook (.xlsx, .xls or .ods) although its name says so".into(),
        }
        .into());
    }
    if policy_like(&head) {
        return Err(Error::Shape {
            path: path.to_path_buf(),
            problem: "this is a rate policy, not an export; pass it with --rates".into(),
        }
        .into());
    }
    let encoding = crate::resave::Encoding::of(&head, complete);
    match encoding {
        crate::resave::Encoding::Utf8 => {}
        crate::resave::Encoding::Windows1252 => notes.push(format!(
            "{} is not valid UTF-8: read as Windows-1252",
            path.display()
        )),
        other => notes.push(format!(
            "{} is {} text, not UTF-8: read by its content",
            path.display(),
            other.name()
        )),
    }
    // The layout is told from the same first MiB, as text, once the shape is known.
    let layout_head =
        matches!(shape, None | Some(Shape::Csv)).then(|| encoding.decode_head(&head).into_owned());
    let decoded = encoding.wrap(Cursor::new(head).chain(reader));
    let (shape, prefix, rest): (Shape, Vec<u8>, Box<dyn Read>) = match shape {
        Some(shape) => (shape, Vec::new(), decoded),
        None => {
            let mut buffered = BufReader::with_capacity(256 * 1024, decoded);
            let (shape, prefix) = sniff(&mut buffered, path)?;
            (shape, prefix, Box::new(buffered))
        }
    };
    // What sniffing read comes first again.
    let reader = BufReader::with_capacity(256 * 1024, Cursor::new(prefix).chain(rest));
    match shape {
        Shape::Csv | Shape::Workbook => {
            let layout = crate::resave::Layout::of(layout_head.as_deref().unwrap_or(""), map);
            if layout.is_plain() {
                read_csv(reader, path, map, parser, sink)?;
            } else {
                if layout.delimiter != b',' {
                    notes.push(format!(
                        "{} is {}-separated{}",
                        path.display(),
                        layout.delimiter_name(),
                        if layout.decimal_columns.is_empty() {
                            ""
                        } else {
                            "; numbers with a decimal comma read as decimals"
                        }
                    ));
                }
                let sep_line = layout.sep_line;
                let redelimited = crate::resave::Redelimit::new(reader, layout);
                let mut split = Splitter::new(redelimited, 0, u64::MAX);
                if sep_line {
                    split.start_at_line(2);
                }
                let header = read_csv_header(&mut split, path, map)?;
                read_csv_records(&mut split, &header, path, parser, sink)?;
            }
            Ok(Summary {
                notes,
                ..Summary::default()
            })
        }
        Shape::Ndjson => crate::ndjson::read_lines(
            reader,
            path,
            crate::ndjson::Lines::all(),
            crate::ndjson::Parsers { fast, strict: parser },
            json_buf,
            sink,
        )
        .map(|()| Summary {
            notes,
            ..Summary::default()
        }),
        Shape::Json => {
            let mut summary = read_json_fast(reader, path, fast, parser, json_buf, sink)?;
            summary.notes.splice(0..0, notes);
            Ok(summary)
        }
    }
}

/// Whether a CSV file that starts with `head` is UTF-8 and comma-separated,
/// for the fast readers as they are (and not a workbook or policy under a
/// `.csv` name).
pub(crate) fn is_plain_csv(head: &[u8], complete: bool, map: &ColumnMap) -> bool {
    crate::workbook::Kind::of(head).is_none()
        && !policy_like(head)
        && crate::resave::Encoding::of(head, complete) == crate::resave::Encoding::Utf8
        && crate::resave::Layout::of(&crate::resave::Encoding::Utf8.decode_head(head), map).is_plain()
}

/// The bytes the encoding, the layout and a workbook are told from.
pub(crate) const HEAD: usize = 1 << 20;

/// Up to [`HEAD`] bytes from the start, and whether that is all there is.
pub(crate) fn read_head(reader: &mut impl Read, path: &Path) -> Result<(Vec<u8>, bool)> {
    let mut head = Vec::new();
    let n = reader
        .take(HEAD as u64)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(path, e))?;
    Ok((head, n < HEAD))
}

/// Whether a text starts like a rate policy file: its first line that is
/// neither blank nor a comment is `[defaults]`, `[rates…`, `[venues…` or
/// `[columns]`.
pub(crate) fn policy_like(head: &[u8]) -> bool {
    let mut text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    // Blank and comment lines skipped without splitting every line: a JSON
    // page is one line of 100 KB.
    loop {
        text = text.trim_ascii_start();
        if text.first() != Some(&b'#') {
            break;
        }
        text = memchr::memchr(b'\n', text).map_or(&[][..], |i| &text[i + 1..]);
    }
    // No prefix holds white space, so the line's first bytes tell.
    let window = &text[..text.len().min(16)];
    let first = window.split(|&b| b == b'\n').next().filter(|l| !l.is_empty());
    first.is_some_and(|l| {
        [
            &b"[defaults]"[..],
            b"[rates.",
            b"[venues.",
            b"[columns]",
            b"[rates]",
            b"[venues]",
        ]
        .iter()
        .any(|p| l.starts_with(p))
    })
}

/// The most that is read to tell a shape: a first line longer than this is
/// one JSON document, not NDJSON.
const SNIFF_LIMIT: usize = 1 << 20;

/// Tells the shape from the first bytes: `{` then a first line holding a
/// whole object without `rows` is NDJSON, `{` or `[` otherwise JSON, anything
/// else CSV. Reads whole lines however the reader delivers them, and returns
/// what it read.
fn sniff(reader: &mut impl BufRead, path: &Path) -> Result<(Shape, Vec<u8>)> {
    let mut prefix = Vec::new();
    // Through the first line that is not blank (or the limit, or the end).
    loop {
        let before = prefix.len();
        let n = reader
            .take((SNIFF_LIMIT - before.min(SNIFF_LIMIT)) as u64)
            .read_until(b'\n', &mut prefix)
            .map_err(|e| Error::io(path, e))?;
        let line = &prefix[before..];
        let blank = line.iter().all(u8::is_ascii_whitespace) || line == b"\xef\xbb\xbf\n";
        if n == 0 || !blank || prefix.len() >= SNIFF_LIMIT {
            break;
        }
    }
    let text = prefix.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&prefix);
    let start = text.iter().position(|b| !b.is_ascii_whitespace());
    let shape = match start.map(|i| text[i]) {
        Some(b'[') => Shape::Json,
        Some(b'{') => {
            let first_line = text
                .split(|&b| b == b'\n')
                .find(|l| l.iter().any(|b| !b.is_ascii_whitespace()));
            match first_line.map(serde_json::from_slice::<Value>) {
                Some(Ok(Value::Object(m))) if !m.contains_key("rows") => Shape::Ndjson,
                // A first line too long to read whole: a report names "rows" near its start.
                Some(Err(_)) if prefix.len() >= SNIFF_LIMIT && !has_top_level_key(text, b"rows") => {
                    Shape::Ndjson
                }
                _ => Shape::Json,
            }
        }
        _ => Shape::Csv,
    };
    Ok((shape, prefix))
}

/// Whether the JSON text starts an object with `key` among its top-level
/// keys (as far as the text goes).
fn has_top_level_key(text: &[u8], key: &[u8]) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut start = 0;
    for (i, &b) in text.iter().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => {
                    in_string = false;
                    let is_key = text[i + 1..].iter().find(|c| !c.is_ascii_whitespace()) == Some(&b':');
                    if depth == 1 && is_key && &text[start..i] == key {
                        return true;
                    }
                }
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                start = i + 1;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// One CSV record seen through its file's header. A cell is cut out of the
/// record when it is asked for: a payroll never asks for some of them.
struct CsvRow<'a> {
    fields: Fields<'a>,
    header: &'a CsvHeader,
}

impl RowAccess for CsvRow<'_> {
    #[inline]
    fn get(&self, field: Field) -> Option<Cell<'_>> {
        let column = self.header.columns[field as usize]?;
        Some(match self.fields.raw(column) {
            (text, false) => Cell::Text(text),
            (raw, true) => Cell::Quoted(raw),
        })
    }

    #[inline]
    fn plain(&self, field: Field) -> Option<&[u8]> {
        Some(self.fields.bytes(self.header.columns[field as usize]?))
    }

    fn has_required_fields(&self) -> bool {
        // read_csv_header refuses a header without them, and every record
        // has the header's width.
        true
    }

    fn rate_span(&self) -> Option<&str> {
        let (first, last) = self.header.rate_columns?;
        self.fields.span(first, last)
    }

    fn column_name(&self, field: Field) -> Cow<'_, str> {
        match self.header.columns[field as usize] {
            Some(i) => Cow::Borrowed(&self.header.names[i]),
            None => Cow::Borrowed(field.key()),
        }
    }
}

/// A CSV header: its cells and which column holds each field.
#[derive(Debug, Clone)]
pub(crate) struct CsvHeader {
    pub(crate) names: Vec<String>,
    pub(crate) columns: Vec<Option<usize>>,
    /// The first and last columns of the rate, when its five fields (id,
    /// name, type, base, tiers) stand side by side in that order.
    rate_columns: Option<(usize, usize)>,
}

/// Reads and checks the header row.
pub(crate) fn read_csv_header<R: Read>(
    split: &mut Splitter<R>,
    path: &Path,
    map: &crate::columns::ColumnMap,
) -> Result<CsvHeader> {
    split.skip_bom().map_err(|e| split_error(e, path, &[]))?;
    if !split.next_record().map_err(|e| split_error(e, path, &[]))? {
        return Err(Error::Shape {
            path: path.to_path_buf(),
            problem: "the file is empty: expected a header row".into(),
        });
    }
    let fields = split.text_fields().map_err(|e| split_error(e, path, &[]))?;
    let names: Vec<String> = (0..split.len()).map(|i| fields.get(i).into_owned()).collect();
    let columns = crate::columns::place_columns(&names, map, path)?;
    let rate = [
        Field::RateId,
        Field::RateName,
        Field::RateType,
        Field::RateBase,
        Field::RateTiers,
    ]
    .map(|f| columns[f as usize]);
    let rate_columns = match rate {
        [Some(first), ..] if rate.iter().enumerate().all(|(k, c)| *c == Some(first + k)) => {
            Some((first, first + rate.len() - 1))
        }
        _ => None,
    };
    Ok(CsvHeader {
        names,
        columns,
        rate_columns,
    })
}

/// Reads data records until the splitter's limit, handing each parsed row to the sink.
pub(crate) fn read_csv_records<R: Read, S: RowSink>(
    split: &mut Splitter<R>,
    header: &CsvHeader,
    path: &Path,
    parser: &mut RowParser,
    sink: &mut S,
) -> Result<(), S::Error> {
    let width = header.names.len();
    while split
        .next_record()
        .map_err(|e| split_error(e, path, &header.names))?
    {
        let (byte, line, record) = split.position();
        let location = Location::Csv { record, line, byte };
        if split.is_blank() {
            continue;
        }
        let raw = |split: &Splitter<R>| String::from_utf8_lossy(split.raw_record()).trim_end().to_string();
        if split.len() != width {
            let error = Error::Row {
                path: path.to_path_buf(),
                location,
                problem: format!(
                    "expected {width} fields as in the header, but found {}",
                    split.len()
                ),
            };
            reject(sink, error, || raw(split))?;
            continue;
        }
        let fields = match split.text_fields() {
            Ok(fields) => fields,
            Err(e) => {
                reject(sink, split_error(e, path, &header.names), || raw(split))?;
                continue;
            }
        };
        let row = CsvRow { fields, header };
        match parser.parse(&row, path, location) {
            Ok(parsed) => sink.row(parsed)?,
            Err(error) => reject(sink, error, || raw(split))?,
        }
    }
    Ok(())
}

fn read_csv<S: RowSink>(
    reader: impl Read,
    path: &Path,
    map: &ColumnMap,
    parser: &mut RowParser,
    sink: &mut S,
) -> Result<(), S::Error> {
    let mut split = Splitter::new(reader, 0, u64::MAX);
    let header = read_csv_header(&mut split, path, map)?;
    read_csv_records(&mut split, &header, path, parser, sink)
}

pub(crate) fn split_error(e: SplitError, path: &Path, headers: &[String]) -> Error {
    let path = path.to_path_buf();
    let column = |i: usize| headers.get(i).cloned().unwrap_or_else(|| format!("#{}", i + 1));
    let at = |record, line, byte| Location::Csv { record, line, byte };
    match e {
        SplitError::Io(source) => Error::Io { path, source },
        SplitError::UnclosedQuote { line, record, start } => Error::Syntax {
            path,
            location: at(record, line, start),
            message: "a quoted field is never closed (the file looks truncated)".into(),
        },
        SplitError::TextAfterQuote {
            line,
            record,
            start,
            field,
        } => Error::Field {
            path,
            location: at(record, line, start),
            column: column(field),
            problem: "text after the closing quote of a quoted field (a quote inside it must be doubled)"
                .into(),
        },
        SplitError::TooLong {
            line,
            record,
            start,
            limit,
        } => Error::Syntax {
            path,
            location: at(record, line, start),
            message: format!(
                "a record is longer than {} MiB; is this really a TeamUp export?",
                limit >> 20
            ),
        },
        SplitError::Utf8 {
            line,
            record,
            start,
            field,
            byte,
        } => Error::Field {
            path,
            location: at(record, line, start),
            column: column(field),
            problem: format!("not valid UTF-8 (at byte {byte} of the field); re-export the file as UTF-8"),
        },
    }
}

/// The most bytes of a JSON response read whole for the fast path (a page
/// of the API is about 100 KB); a larger one is streamed by [`read_json`].
pub(crate) const WHOLE_RESPONSE: u64 = 16 << 20;

/// Reads one JSON response: a page read whole and scanned by the fast path
/// when it is plain, each row then read as NDJSON lines are; the strict
/// streaming reader otherwise.
fn read_json_fast<S: RowSink>(
    mut reader: impl Read,
    path: &Path,
    fast: &mut crate::fastjson::FastJson,
    parser: &mut RowParser,
    buf: &mut Vec<u8>,
    sink: &mut S,
) -> Result<Summary, S::Error> {
    buf.clear();
    (&mut reader)
        .take(WHOLE_RESPONSE + 1)
        .read_to_end(buf)
        .map_err(|e| Error::io(path, e))?;
    if buf.len() as u64 > WHOLE_RESPONSE {
        return read_json(
            Cursor::new(&buf[..]).chain(reader),
            path,
            parser,
            sink,
            crate::json::MAX_ROW,
        );
    }
    scan_json_response(buf, path, fast, parser, sink)
}

/// Reads one JSON response held whole in `buf`: scanned by the fast path
/// when it is plain, the strict reader otherwise.
pub(crate) fn scan_json_response<S: RowSink>(
    buf: &[u8],
    path: &Path,
    fast: &mut crate::fastjson::FastJson,
    parser: &mut RowParser,
    sink: &mut S,
) -> Result<Summary, S::Error> {
    match simdutf8::basic::from_utf8(buf) {
        Ok(text) => scan_json_text(text, path, fast, parser, sink),
        Err(_) => read_json(buf, path, parser, sink, crate::json::MAX_ROW),
    }
}

/// [`scan_json_response`] on a response known to be UTF-8.
fn scan_json_text<S: RowSink>(
    text: &str,
    path: &Path,
    fast: &mut crate::fastjson::FastJson,
    parser: &mut RowParser,
    sink: &mut S,
) -> Result<Summary, S::Error> {
    let buf = text.as_bytes();
    let strict = |parser: &mut RowParser, sink: &mut S, handed: u64| {
        // The strict reader reads it all, and says what is wrong and where;
        // the rows it hands out first are those already handed out.
        read_json(
            buf,
            path,
            parser,
            &mut Skip::new(handed, sink),
            crate::json::MAX_ROW,
        )
    };
    let mut rows = 0u64;
    let mut failure = None;
    let mut keys = Vec::new();
    let total = crate::fastjson::response(buf, &mut keys, |start| {
        let location = Location::JsonRow { row: rows + 1 };
        match json_row_at(
            &buf[start..],
            text.get(start..),
            path,
            location,
            fast,
            parser,
            sink,
        ) {
            Ok(RowEnd::At(end)) => {
                rows += 1;
                Some(start + end)
            }
            Ok(RowEnd::NotJson | RowEnd::Cut) => None,
            Err(e) => {
                failure = Some(e);
                None
            }
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    match total {
        Some(total) => Ok(Summary {
            rows,
            total,
            ..Summary::default()
        }),
        None => strict(parser, sink, rows),
    }
}

/// Where a row read by [`json_row_at`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowEnd {
    /// Just before this offset: the row was handed out.
    At(usize),
    /// The row is not JSON (or is over half the row cap): the strict
    /// reader must read the whole text to say where it breaks.
    NotJson,
    /// The text ends inside the row: nothing was handed out.
    Cut,
}

/// Reads the JSON row object at the start of `b` (what follows it is not
/// read) into `sink`: by the fast path, else by the strict reader. `text` is
/// `b` when it is known to be UTF-8.
pub(crate) fn json_row_at<S: RowSink>(
    b: &[u8],
    text: Option<&str>,
    path: &Path,
    location: Location,
    fast: &mut crate::fastjson::FastJson,
    parser: &mut RowParser,
    sink: &mut S,
) -> Result<RowEnd, S::Error> {
    let declined = match fast.row_at(b, text, location) {
        Ok((row, end)) => {
            sink.row(row)?;
            return Ok(RowEnd::At(end));
        }
        Err(declined) => declined,
    };
    let Some(end) = declined.end.or_else(|| crate::fastjson::object_end(b, 0)) else {
        return Ok(RowEnd::Cut);
    };
    if end as u64 > crate::json::MAX_ROW / 2 {
        return Ok(RowEnd::NotJson);
    }
    let text = &b[..end];
    match crate::json::from_slice(text) {
        Ok((value, None)) => match parse_strict_row(&value, path, location, parser) {
            Ok(row) => {
                fast.learn(text, declined, &row);
                sink.row(row)?;
            }
            Err(error) => reject(sink, error, || value.to_string())?,
        },
        Ok((value, Some(key))) => reject(sink, duplicate_key(path, location, key), || value.to_string())?,
        Err(_) => return Ok(RowEnd::NotJson),
    }
    Ok(RowEnd::At(end))
}

/// A sink that passes over the first `left` rows (good or bad) it is handed:
/// the strict reader reading again what the fast path has handed out.
pub(crate) struct Skip<'s, S> {
    left: u64,
    sink: &'s mut S,
}

impl<'s, S> Skip<'s, S> {
    pub(crate) fn new(left: u64, sink: &'s mut S) -> Skip<'s, S> {
        Skip { left, sink }
    }
}

impl<S: RowSink> RowSink for Skip<'_, S> {
    type Error = S::Error;

    fn row(&mut self, row: ParsedRow) -> Result<(), S::Error> {
        if self.left > 0 {
            self.left -= 1;
            return Ok(());
        }
        self.sink.row(row)
    }

    fn reject(&mut self, rejected: Rejected) -> Result<(), S::Error> {
        if self.left > 0 {
            self.left -= 1;
            return Ok(());
        }
        self.sink.reject(rejected)
    }
}

/// Reads one JSON response, handing out each element of `rows` as it is parsed.
pub(crate) fn read_json<S: RowSink>(
    reader: impl Read,
    path: &Path,
    parser: &mut RowParser,
    sink: &mut S,
    cap: u64,
) -> Result<Summary, S::Error> {
    let gauge = crate::json::Gauge::new(cap);
    let mut state = JsonState {
        path,
        parser,
        sink,
        failure: None,
        rows: 0,
        saw_rows: false,
        total: None,
        gauge: &gauge,
    };
    let mut de = serde_json::Deserializer::from_reader(crate::json::Metered::new(reader, &gauge));
    // Several responses one after another (pages piped together) are read in turn.
    let mut responses = 0u64;
    let mut trailing: Option<serde_json::Error> = None;
    let outcome = loop {
        let (rows_before, saw_before) = (state.rows, state.saw_rows);
        state.saw_rows = false;
        let read = (&mut state).deserialize(&mut de);
        if state.failure.is_some() {
            // The sink stopped the read: what the parser made of the rest is moot.
            break Ok(());
        }
        let saw = state.saw_rows;
        state.saw_rows |= saw_before;
        if let Some(t) = trailing.take() {
            // What follows a response is not one: the trailing text is the error.
            if !saw && state.rows == rows_before {
                break Err(t);
            }
        }
        responses += 1;
        if let Err(e) = read {
            break Err(e);
        }
        if !saw {
            break Ok(());
        }
        match de.end() {
            Ok(()) => break Ok(()),
            Err(t) => trailing = Some(t),
        }
    };
    if let Some(failure) = state.failure.take() {
        return Err(failure);
    }
    if gauge.was_over() {
        return Err(Error::Syntax {
            path: path.to_path_buf(),
            location: Location::JsonRow { row: state.rows + 1 },
            message: format!(
                "a row is longer than {} MiB; is this really a TeamUp export?",
                gauge.cap() >> 20
            ),
        }
        .into());
    }
    let summary = Summary {
        rows: state.rows,
        total: state.total,
        misaligned: false,
        notes: if responses > 1 {
            vec![format!(
                "{} holds {responses} JSON responses one after another: read in turn",
                path.display()
            )]
        } else {
            Vec::new()
        },
    };
    let outcome = match outcome {
        Ok(()) if state.saw_rows => return Ok(summary),
        Ok(()) => Err(Error::Shape {
            path: path.to_path_buf(),
            problem: "not a TeamUp report: expected an object with a \"rows\" array".into(),
        }),
        Err(e) => {
            let location = Location::Text {
                line: e.line() as u64,
                column: e.column() as u64,
            };
            if e.classify() == serde_json::error::Category::Data {
                Err(Error::Shape {
                    path: path.to_path_buf(),
                    problem: format!("not a TeamUp report: {e}"),
                })
            } else {
                Err(Error::Syntax {
                    path: path.to_path_buf(),
                    location,
                    message: json_message(&e, true),
                })
            }
        }
    };
    outcome.map_err(S::Error::from)
}

/// A JSON read under way. Its visitor cannot return the sink's error through
/// serde, so a sink's stop is kept in `failure` and the visitor returns at
/// once, reading no further row.
struct JsonState<'a, S: RowSink> {
    path: &'a Path,
    parser: &'a mut RowParser,
    sink: &'a mut S,
    failure: Option<S::Error>,
    rows: u64,
    saw_rows: bool,
    total: Option<u64>,
    gauge: &'a crate::json::Gauge,
}

impl<S: RowSink> JsonState<'_, S> {
    fn row(&mut self, value: &Value, duplicate: Option<String>) -> Result<(), S::Error> {
        self.rows += 1;
        let location = Location::JsonRow { row: self.rows };
        match duplicate {
            None => parse_json_row(value, self.path, location, self.parser, self.sink),
            Some(key) => reject(self.sink, duplicate_key(self.path, location, key), || {
                value.to_string()
            }),
        }
    }

    fn rows<'de, A: SeqAccess<'de>>(&mut self, mut seq: A) -> Result<(), A::Error> {
        self.saw_rows = true;
        loop {
            let duplicate = std::cell::Cell::new(None);
            self.gauge.start_row();
            let next = seq.next_element_seed(crate::json::Strict::new(&duplicate));
            self.gauge.end_row();
            let Some(value) = next? else {
                return Ok(());
            };
            if let Err(e) = self.row(&value, duplicate.take()) {
                self.failure = Some(e);
                return Ok(());
            }
        }
    }
}

impl<'de, S: RowSink> DeserializeSeed<'de> for &mut JsonState<'_, S> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, S: RowSink> Visitor<'de> for &mut JsonState<'_, S> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a report object with a \"rows\" array")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen: Vec<String> = Vec::new();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if seen.iter().any(|k| *k == key) {
                return Err(serde::de::Error::custom(format!("{key:?} appears twice")));
            }
            seen.push(key.to_string());
            match &*key {
                "rows" => {
                    map.next_value_seed(RowsSeed(&mut *self))?;
                    if self.failure.is_some() {
                        return Ok(());
                    }
                }
                "total" => {
                    self.total = match map.next_value::<Value>()? {
                        Value::Null => None,
                        Value::Number(n) if n.as_u64().is_some() => n.as_u64(),
                        other => {
                            return Err(serde::de::Error::custom(format!(
                                "expected \"total\" as a whole number, but found {other}"
                            )))
                        }
                    }
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.rows(seq)
    }
}

struct RowsSeed<'s, 'a, S: RowSink>(&'s mut JsonState<'a, S>);

impl<'de, S: RowSink> DeserializeSeed<'de> for RowsSeed<'_, '_, S> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, S: RowSink> Visitor<'de> for RowsSeed<'_, '_, S> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"rows\" as an array of row objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.0.rows(seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_is_told_by_its_first_line_that_is_not_blank_or_a_comment() {
        for (text, policy) in [
            ("[defaults]\nrounding = \"half_up\"\n", true),
            ("\u{feff}  \n# rates of 2026\n\n  [rates.7]\ntype = 1\n", true),
            ("# [defaults] in a comment only\n", false),
            ("#\r\n\t[venues.101]  \r\n", true),
            ("[columns]", true),
            ("[rates\n.7]", false),
            ("[1, 2]", false),
            ("{\"total\": 1, \"rows\": []}", false),
            ("id,instructor.id\n[defaults]\n", false),
            ("", false),
            ("   \n  # only comments", false),
        ] {
            assert_eq!(policy_like(text.as_bytes()), policy, "{text:?}");
        }
    }

    #[test]
    fn top_level_keys_are_told_from_nested_ones() {
        assert!(has_top_level_key(
            br#"{"total": 3, "column_headers": [{"key": "rows"}], "rows": ["#,
            b"rows"
        ));
        assert!(!has_top_level_key(
            br#"{"id": 1, "name": "rows", "x": {"rows": 1}}"#,
            b"rows"
        ));
        assert!(!has_top_level_key(
            br#"{"id": 1, "name": "a \"rows\": b"#,
            b"rows"
        ));
    }

    #[test]
    fn a_json_row_past_the_cap_stops_the_file_naming_the_row() {
        let small = r#"{"id": 1}"#;
        let big = format!(r#"{{"id": 2, "name": "{}"}}"#, "x".repeat(500));
        let text = format!(r#"{{"total": 2, "rows": [{small}, {big}]}}"#);
        let mut parser = RowParser::new(crate::Names::All);
        let mut rows = 0;
        let err = read_json(
            text.as_bytes(),
            Path::new("r.json"),
            &mut parser,
            &mut crate::Sinks {
                on_row: |_| Ok(()),
                on_reject: |_| {
                    rows += 1;
                    Ok::<_, Error>(())
                },
            },
            100,
        )
        .unwrap_err();
        assert_eq!(rows, 1, "the first row was read (and refused: it lacks fields)");
        assert!(
            matches!(
                err,
                Error::Syntax {
                    location: Location::JsonRow { row: 2 },
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("a row is longer than"), "{err}");
    }

    #[test]
    fn shapes_are_sniffed_whatever_the_reads_deliver() {
        let ndjson = b"{\"id\": 1}\n{\"id\": 2}\n";
        let json = b"{\"total\": 0, \"rows\": []}";
        for (text, shape) in [
            (&ndjson[..], Shape::Ndjson),
            (&json[..], Shape::Json),
            (&b"id,name\n"[..], Shape::Csv),
        ] {
            let mut reader = BufReader::with_capacity(2, text);
            let (found, prefix) = sniff(&mut reader, Path::new("-")).unwrap();
            assert_eq!(found, shape);
            assert!(text.starts_with(&prefix));
        }
    }
}

#[cfg(test)]
mod quoted_tests {
    use super::*;

    const HEADER: &str =
        "id,name,instructor.id,instructor.name,starts_at,venue.id,venue.name,venue_timezone,\
        hours,attended_count,no_show_count,late_cancel_count,comped_counts.attended,instructor_pay_rate.id,\
        instructor_pay_rate.name,instructor_pay_rate.type,instructor_pay_rate.base,instructor_pay_rate.tiers,\
        instructor_pay,instructor_pay_calculation_pending\n";

    fn sessions(body: &str) -> Result<Vec<crate::ParsedRow>> {
        let text = format!("{HEADER}{body}");
        let mut rows = Vec::new();
        crate::Reader::bytes(text.as_bytes(), Path::new("q.csv"))
            .shape(Shape::Csv)
            .read(&mut rows)?;
        Ok(rows)
    }

    #[test]
    fn doubled_quotes_are_read_once_whatever_the_caches_saw() {
        let tiers = r#""[{""lower_bound"": 0, ""upper_bound"": null, ""per_customer_amount"": {""amount"": ""2.50"", ""currency"": ""GBP""}}]""#;
        let row = |id: u32, name: &str, pay: &str| {
            format!(
                "{id},{name},7,{name},2026-05-02T09:00:00Z,101,{name},Europe/London,1,4,0,0,0,3,\"Tiered, \"\"A\"\"\",\
                 per_customer_tiered,,{tiers},{pay},false\n"
            )
        };
        // The same raw text quoted (doubled quotes) and unquoted (quotes as
        // text), each twice so the second comes from the caches.
        let body = [
            row(1, r#""Dev ""Coach"" Lee""#, r#""£10.00""#),
            row(2, r#"Dev ""Coach"" Lee"#, "£10.00"),
            row(3, r#""Dev ""Coach"" Lee""#, r#""£10.00""#),
            row(4, r#"Dev ""Coach"" Lee"#, "£10.00"),
        ]
        .concat();
        let rows = sessions(&body).unwrap();
        let names: Vec<(&str, &str, &str)> = rows
            .iter()
            .map(|r| (&*r.draft.name, &*r.draft.instructor_name, &*r.draft.venue_name))
            .collect();
        let quoted = r#"Dev "Coach" Lee"#;
        let plain = r#"Dev ""Coach"" Lee"#;
        assert_eq!(
            names,
            [
                (quoted, quoted, quoted),
                (plain, plain, plain),
                (quoted, quoted, quoted),
                (plain, plain, plain)
            ]
        );
        for r in &rows {
            let rate = r.draft.rate.as_deref().unwrap();
            assert_eq!(rate.name, r#"Tiered, "A""#);
            assert!(
                matches!(&rate.kind, sessionpay_core::RateKind::Tiered { tiers } if tiers.as_slice()[0].amount.to_string() == "2.50")
            );
            assert_eq!(r.draft.reported.unwrap().to_string(), "10.00");
        }
        // A doubled quote where a figure should be names the unescaped value.
        let err = sessions(&row(5, "n", r#""£1""0""#)).unwrap_err().to_string();
        assert!(err.contains(r#""£1\"0""#), "{err}");
    }
}

/// Reads CSV `text`, giving what `each` makes of every session read and,
/// apart, every rejected row's message.
#[cfg(test)]
fn read_each<T>(text: &str, mut each: impl FnMut(ParsedRow) -> T) -> (Vec<T>, Vec<String>) {
    let (mut rows, mut rejected) = (Vec::new(), Vec::new());
    crate::Reader::bytes(text.as_bytes(), Path::new("t.csv"))
        .shape(Shape::Csv)
        .read(&mut crate::Sinks {
            on_row: |row: ParsedRow| {
                rows.push(each(row));
                Ok(())
            },
            on_reject: |r: Rejected| {
                rejected.push(r.error.to_string());
                Ok::<_, Error>(())
            },
        })
        .expect("a read of sinks that never fail");
    (rows, rejected)
}

#[cfg(test)]
mod number_tests {
    use super::*;
    use sessionpay_core::Counts;

    const HEADER: &str = "id,offering_type.id,instructor.id,starts_at,venue.id,venue_timezone,max_occupancy,\
        hours,attended_count,no_show_count,late_cancel_count,comped_counts.attended,instructor_pay_rate.id,\
        instructor_pay_rate.type,instructor_pay,instructor_pay_calculation_pending\n";

    /// Id, instructor, venue, hours and counts of a session read.
    type Numbers = (u64, u64, u64, String, Counts);

    /// The numbers of each row's session, or its error.
    fn read(body: &str) -> Vec<std::result::Result<Numbers, String>> {
        let (rows, rejected) = read_each(&format!("{HEADER}{body}"), |row| {
            let d = row.draft;
            Ok((d.id.0, d.instructor.0, d.venue.0, d.hours.to_string(), d.counts))
        });
        rows.into_iter().chain(rejected.into_iter().map(Err)).collect()
    }

    /// Plain digits are read without unquoting; any other spelling of a
    /// number (quoted, padded, a whole decimal) takes the general reading,
    /// and both give the same session.
    #[test]
    fn numbers_read_alike_plain_quoted_or_padded() {
        let row = |cells: [&str; 9]| {
            let [id, offering, instructor, venue, max, hours, attended, no_shows, comped] = cells;
            format!(
                "{id},{offering},{instructor},2026-05-02T09:00:00Z,{venue},Europe/London,{max},{hours},\
                 {attended},{no_shows},0,{comped},,,£0.00,false\n"
            )
        };
        let plain = read(&row(["12", "7", "301", "101", "20", "1.5", "4", "1", "2"]));
        let expected = Counts::try_new(4, 2, 0, 1).unwrap();
        assert_eq!(plain, [Ok((12, 301, 101, "1.5".to_string(), expected))]);
        for cells in [
            [r#""12""#, "7", "301", "101", "20", "1.5", "4", "1", "2"],
            ["12", r#""7""#, r#""301""#, "101", "20", "1.5", "4", "1", "2"],
            ["12", "7", "301", r#""101""#, r#""20""#, r#""1.5""#, "4", "1", "2"],
            ["12", "", "301", "101", "", "1.5", r#""4""#, r#""1""#, r#""2""#],
            [" 12", "7", "301 ", "101", "20", " 1.5", "4.0", "1", "2"],
        ] {
            assert_eq!(read(&row(cells)), plain, "{cells:?}");
        }
        // What neither reading takes is refused whichever way it is spelt.
        for cells in [
            ["12", "7", "301", "101", "x", "1.5", "4", "1", "2"],
            ["12", "7", "301", "101", r#""x""#, "1.5", "4", "1", "2"],
            ["12", "7", "301", "101", "20", "-1.5", "4", "1", "2"],
            ["12", "7", "301", "101", "20", "1.5", "4", r#""-1""#, "2"],
        ] {
            let read = read(&row(cells));
            assert!(matches!(read.as_slice(), [Err(_)]), "{cells:?}: {read:?}");
        }
    }
}

#[cfg(test)]
mod rate_span_tests {
    use super::*;

    const HEADER: &str = "id,instructor.id,starts_at,venue.id,venue_timezone,hours,attended_count,\
        no_show_count,late_cancel_count,comped_counts.attended,instructor_pay_rate.id,\
        instructor_pay_rate.name,instructor_pay_rate.type,instructor_pay_rate.base,\
        instructor_pay_rate.tiers,instructor_pay,instructor_pay_calculation_pending\n";

    /// (id, rate base or the error) of each row.
    fn read(body: &str) -> Vec<(u64, std::result::Result<String, String>)> {
        let (mut out, rejected) = read_each(&format!("{HEADER}{body}"), |row| {
            let rate = match row.draft.rate.as_deref().map(|r| &r.kind) {
                Some(sessionpay_core::RateKind::PerCustomer { base }) => {
                    format!("{} {base}", row.draft.rate.as_ref().unwrap().name)
                }
                other => format!("{other:?}"),
            };
            (row.draft.id.0, Ok(rate))
        });
        out.extend(rejected.into_iter().map(|e| (0, Err(e))));
        out
    }

    #[test]
    fn rows_with_the_same_rate_text_share_it_and_bad_ones_fail_every_time() {
        let row = |id: u32, rate: &str| {
            format!("{id},7,2026-05-02T09:00:00Z,101,Europe/London,1,4,0,0,0,{rate},£20.00,false\n")
        };
        let body = [
            row(1, "3,A,per_customer,5,[]"),
            row(2, "3,A,per_customer,5,[]"),
            row(3, "\"3\",A,per_customer,5,[]"),
            row(4, "3,A,per_customer,6,[]"),
            row(5, "3,\"A\",per_customer,6,[]"),
            row(6, "3,A\",per_customer,6,[]"),
            row(7, "3,A,per_customer,x,[]"),
            row(8, "3,A,per_customer,x,[]"),
            row(9, ",,,,"),
            row(10, ",,,,"),
            // Row 3's id with the quote as text: an id that is not a number.
            row(11, "3\",A,per_customer,5,[]"),
        ]
        .concat();
        let got = read(&body);
        let ok = |id: u64, s: &str| (id, Ok(s.to_string()));
        assert_eq!(
            got[..8],
            [
                ok(1, "A 5"),
                ok(2, "A 5"),
                ok(3, "A 5"),
                ok(4, "A 6"),
                ok(5, "A 6"),
                ok(6, "A\" 6"),
                ok(9, "None"),
                ok(10, "None"),
            ]
        );
        // Row 8 repeats row 7's bad rate exactly: it is refused too, not taken from a cache.
        assert_eq!(got.len(), 11);
        for (_, e) in &got[8..10] {
            assert!(
                e.as_ref().unwrap_err().contains("instructor_pay_rate.base"),
                "{e:?}"
            );
        }
        assert!(
            got[10].1.as_ref().unwrap_err().contains("instructor_pay_rate.id"),
            "{:?}",
            got[10]
        );
    }
}

#[cfg(test)]
mod response_tests {
    use super::*;

    pub(crate) fn row(id: u64) -> String {
        format!(
            r#"{{"id": {id}, "name": "Spin {{\"}}\" [", "instructor": {{"id": 7, "name": "A"}}, "starts_at": "2026-05-02T09:00:00Z",
            "venue": {{"id": 101}}, "venue_timezone": "Europe/London", "hours": 1,
            "attended_count": 4, "no_show_count": 0, "late_cancel_count": 0,
            "comped_counts": {{"attended": 0}},
            "instructor_pay_rate": {{"id": 3, "type": "per_customer", "base": 5}},
            "instructor_pay": "£20.00", "instructor_pay_calculation_pending": false}}"#
        )
    }

    /// How a read ended: the rows and the `total`, or its error.
    type End = std::result::Result<(u64, Option<u64>), String>;

    /// Each row (its id) or rejected row (its error), then the read's own end.
    fn outcome(text: &str, strict: bool) -> (Vec<String>, End) {
        let seen = std::cell::RefCell::new(Vec::new());
        let mut parser = RowParser::new(crate::Names::All);
        let mut fast = crate::fastjson::FastJson::new(crate::Names::All);
        let mut sink = crate::Sinks {
            on_row: |r: crate::ParsedRow| {
                seen.borrow_mut()
                    .push(format!("{:?} {}", r.location, r.draft.id.0));
                Ok::<_, Error>(())
            },
            on_reject: |r: Rejected| {
                seen.borrow_mut().push(format!("{} | {}", r.error, r.raw));
                Ok(())
            },
        };
        let path = Path::new("p.json");
        let read = if strict {
            read_json(
                text.as_bytes(),
                path,
                &mut parser,
                &mut sink,
                crate::json::MAX_ROW,
            )
        } else {
            scan_json_response(text.as_bytes(), path, &mut fast, &mut parser, &mut sink)
        };
        let end = read.map(|s| (s.rows, s.total)).map_err(|e| e.to_string());
        (seen.into_inner(), end)
    }

    #[test]
    fn a_page_read_by_the_fast_path_gives_what_the_strict_reader_gives() {
        let rows = |ids: &[u64]| ids.iter().map(|&i| row(i)).collect::<Vec<_>>().join(", ");
        let good = rows(&[1, 2, 3]);
        let cases = [
            format!(r#"{{"total": 3, "rows": [{good}]}}"#),
            format!(r#"{{"rows": [{good}], "total": 3}}"#),
            format!("{{\"rows\": [\n{good}\n]}}\n"),
            // A row that is not JSON, in the middle and at the end.
            format!(
                r#"{{"total": 3, "rows": [{}, {{"id": 2, "x": [}}, {}]}}"#,
                row(1),
                row(3)
            ),
            format!(r#"{{"total": 3, "rows": [{}, {{"id": 2, "x": tru}}]}}"#, row(1)),
            format!(
                r#"{{"total": 3, "rows": [{}, {}]}}"#,
                row(1),
                row(2).replace("\"hours\": 1", "\"hours\": 1,")
            ),
            // A key twice in a row, and a row the strict reader refuses.
            format!(
                r#"{{"total": 3, "rows": [{}, {}, {}]}}"#,
                row(1),
                row(2).replace("\"hours\": 1", "\"hours\": 1, \"hours\": 2"),
                row(3)
            ),
            format!(
                r#"{{"total": 3, "rows": [{}, {}]}}"#,
                row(1),
                row(2).replace("\"hours\": 1", "\"hours\": -1")
            ),
            // A brace or quote in a string, escaped or not.
            format!(
                r#"{{"total": 1, "rows": [{}]}}"#,
                row(1).replace("\"A\"", r#""A}} {{\\\"\\\\""#)
            ),
            // Unusual responses: the strict reader throughout.
            format!(r#"{{"total": 3, "total": 3, "rows": [{good}]}}"#),
            format!(r#"{{"total": 3.0, "rows": [{good}]}}"#),
            format!(r#"{{"total": 3, "rows": [{good}]}} {{"rows": []}}"#),
            format!(r#"{{"total": 3, "rows": [{good}]"#),
            format!(r#"{{"total": 3, "rows": [{good},]}}"#),
            format!(r#"{{"total": 3, "rows": [{good}] x}}"#),
            format!(r#"{{"total": 3, "rows": [{}, 7]}}"#, row(1)),
        ];
        for text in &cases {
            assert_eq!(outcome(text, false), outcome(text, true), "{text}");
        }
        let (seen, end) = outcome(&cases[0], false);
        assert_eq!((seen.len(), end), (3, Ok((3, Some(3)))));
        let (seen, end) = outcome(&cases[3], false);
        assert_eq!(seen, ["JsonRow { row: 1 } 1"]);
        let err = end.unwrap_err();
        assert!(err.starts_with("p.json: line 6, column"), "{err}");
        let (seen, end) = outcome(&cases[6], false);
        assert_eq!(seen.len(), 3);
        assert!(seen[1].contains("twice"), "{seen:?}");
        assert_eq!(end, Ok((3, Some(3))));
    }
}
