//! One large JSON response (a single file of a million rows) read as a
//! stream through one reused buffer, and in byte ranges of whole rows by
//! several workers.
//!
//! The response's head (everything before the `[` of its `rows`) and its
//! tail (everything after the `]`) are each held to a MiB and checked as
//! one text, the rows left out ([`crate::fastjson::response`]): a key twice,
//! a `total` that is not a whole number, text after the response. Each row
//! is read where it starts by the row scan NDJSON lines go through, which
//! says where the row ends ([`crate::read::json_row_at`]). Anything not
//! plain has the strict reader read the file again from its start, passing
//! over the rows already handed out, so its result or error is the one
//! there is, as for a page.
//!
//! A part of the file starts at a row's `{`. Where the planner put the
//! starts was a guess (a `{` after `},` that opens an object with the first
//! row's first key), so every part checks that its range ends exactly where
//! a row starts after a `,`: the first part starts at the file's start, and
//! so each part's start is known right once the part before it has read
//! up to it. A part that finds otherwise is misaligned and the run reads
//! the file again in one pass.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::columns::ColumnMap;
use crate::error::{Error, Location, Result};
use crate::fastjson::FastJson;
use crate::ranges::{JsonRows, NdjsonPart};
use crate::read::{json_row_at, Counting, RowEnd, Shape, Skip, Summary};
use crate::row::RowParser;
use crate::sink::{ReadCache, RowSink};

/// The most bytes a response's head, or its tail, may take on the fast path.
const EDGE: usize = 1 << 20;

/// The buffer a read starts with; a longer row grows it, up to [`ROW_CAP`].
const CHUNK: usize = 1 << 20;

/// The most bytes of one row the fast path holds; a longer row goes to the
/// strict reader, which holds rows to the cap.
const ROW_CAP: usize = (crate::json::MAX_ROW / 2) as usize;

/// A reader's bytes in one reused buffer: `buf[pos..filled]` is read and
/// not yet used.
struct Window<'b, R> {
    reader: R,
    buf: &'b mut Vec<u8>,
    pos: usize,
    filled: usize,
    eof: bool,
    path: &'b Path,
}

impl<R: Read> Window<'_, R> {
    /// Reads more, keeping what is not used yet (moved to the front), with
    /// no more than `cap` bytes in hand: `false` at the end or the cap.
    fn more(&mut self, cap: usize) -> Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.filled, 0);
            self.filled -= self.pos;
            self.pos = 0;
        }
        if self.filled >= cap {
            return Ok(false);
        }
        if self.filled == self.buf.len() {
            let grown = (self.buf.len() * 2).clamp(CHUNK, cap.max(CHUNK));
            self.buf.resize(grown, 0);
        }
        let n = loop {
            match self.reader.read(&mut self.buf[self.filled..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io(self.path, e)),
            }
        };
        self.filled += n;
        self.eof = n == 0;
        Ok(n > 0)
    }

    /// The next byte that is not white space, passing over the white space;
    /// `None` at the end.
    fn next(&mut self) -> Result<Option<u8>> {
        loop {
            while let Some(&c) = self.buf[..self.filled].get(self.pos) {
                if !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                    return Ok(Some(c));
                }
                self.pos += 1;
            }
            if !self.more(ROW_CAP)? {
                return Ok(None);
            }
        }
    }
}

/// Where a read of rows starts and ends.
#[derive(Debug, Clone, Copy)]
struct Stretch {
    /// The reader starts at the file's start: the head comes first.
    from_head: bool,
    /// The reader ends at the file's end: the tail comes after the rows.
    /// Otherwise it ends where a row starts.
    to_tail: bool,
}

/// How a read of rows ended.
enum Outcome {
    /// Every row read.
    Done { rows: u64, total: Option<u64> },
    /// Something is not plain; `handed` rows were handed out before it.
    Strict { handed: u64 },
}

/// The readers a row goes through, and the buffer they read from.
struct With<'c> {
    path: &'c Path,
    fast: &'c mut FastJson,
    parser: &'c mut RowParser,
    buf: &'c mut Vec<u8>,
}

impl<'c> With<'c> {
    /// The parsers and buffer of `cache`, for the rows of `path`.
    fn of(cache: &'c mut ReadCache, path: &'c Path) -> With<'c> {
        let ReadCache {
            parser,
            fast,
            json_buf,
            ..
        } = cache;
        With {
            path,
            fast,
            parser,
            buf: json_buf,
        }
    }
}

/// Reads the rows of `stretch` from `reader` into `sink`. `head` is the
/// response's head when the reader does not start with it.
fn read_rows<S: RowSink>(
    reader: impl Read,
    stretch: Stretch,
    head: Option<&[u8]>,
    with: With<'_>,
    sink: &mut S,
) -> std::result::Result<Outcome, S::Error> {
    let With {
        path,
        fast,
        parser,
        buf,
    } = with;
    if buf.len() < CHUNK {
        buf.resize(CHUNK, 0);
    }
    let mut w = Window {
        reader,
        buf,
        pos: 0,
        filled: 0,
        eof: false,
        path,
    };
    let strict = |handed| Ok::<_, S::Error>(Outcome::Strict { handed });
    let mut keys = Vec::new();
    let mut own_head = Vec::new();
    if stretch.from_head {
        let end = loop {
            if let Some(end) = crate::fastjson::response_head(&w.buf[..w.filled], &mut keys) {
                break end;
            }
            if !w.more(EDGE)? {
                return strict(0);
            }
        };
        own_head.extend_from_slice(&w.buf[..end]);
        if simdutf8::basic::from_utf8(&own_head).is_err() {
            return strict(0);
        }
        w.pos = end;
        if w.next()? == Some(b']') {
            if !stretch.to_tail {
                return strict(0);
            }
            w.pos += 1;
            return tail(&mut w, &own_head, &mut keys, 0);
        }
    }
    let mut rows = 0u64;
    loop {
        // At a row's start: after the `[`, a `,` or at the stretch's start.
        match w.next()? {
            Some(b'{') => {}
            // The range ends where the next part's first row starts.
            None if !stretch.to_tail && rows > 0 => return Ok(Outcome::Done { rows, total: None }),
            _ => return strict(rows),
        }
        loop {
            let location = Location::JsonRow { row: rows + 1 };
            match json_row_at(&w.buf[w.pos..w.filled], None, path, location, fast, parser, sink)? {
                RowEnd::At(end) => {
                    w.pos += end;
                    rows += 1;
                    break;
                }
                RowEnd::NotJson => return strict(rows),
                RowEnd::Cut => {
                    if !w.more(ROW_CAP)? {
                        return strict(rows);
                    }
                }
            }
        }
        match w.next()? {
            Some(b',') => w.pos += 1,
            Some(b']') if stretch.to_tail => {
                w.pos += 1;
                let head = head.unwrap_or(&own_head);
                return tail(&mut w, head, &mut keys, rows);
            }
            _ => return strict(rows),
        }
    }
}

/// Reads what follows the rows and checks it with the head, as one response.
fn tail<R: Read, E>(
    w: &mut Window<'_, R>,
    head: &[u8],
    keys: &mut Vec<(usize, usize)>,
    rows: u64,
) -> std::result::Result<Outcome, E>
where
    E: From<Error>,
{
    while w.more(EDGE)? {}
    if !w.eof {
        return Ok(Outcome::Strict { handed: rows });
    }
    let tail = &w.buf[w.pos..w.filled];
    let mut skeleton = Vec::with_capacity(head.len() + 1 + tail.len());
    skeleton.extend_from_slice(head);
    skeleton.push(b']');
    skeleton.extend_from_slice(tail);
    let total = simdutf8::basic::from_utf8(tail)
        .ok()
        .and_then(|_| crate::fastjson::response(&skeleton, keys, |_| None));
    Ok(match total {
        Some(total) => Outcome::Done { rows, total },
        None => Outcome::Strict { handed: rows },
    })
}

/// Whether the first bytes of a file are those of a plain JSON response for
/// the fast path: UTF-8 without a byte-order mark, not a workbook or a policy,
/// an object first.
fn plain_head(head: &[u8], complete: bool) -> bool {
    crate::workbook::Kind::of(head).is_none()
        && !crate::read::policy_like(head)
        && crate::resave::Encoding::of(head, complete) == crate::resave::Encoding::Utf8
        && head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// Whether a JSON file is larger than a page (which is read whole) and so
/// is streamed by [`stream_file`].
pub(crate) fn is_large(file: &File) -> bool {
    file.metadata()
        .is_ok_and(|m| m.is_file() && m.len() > crate::read::WHOLE_RESPONSE)
}

/// Reads a JSON response file as a stream: the rows through the fast path
/// when the file is plain, the general way (the strict reader) otherwise.
pub(crate) fn stream_file<S: RowSink>(
    file: File,
    path: &Path,
    map: &ColumnMap,
    counter: &AtomicU64,
    cache: &mut ReadCache,
    sink: &mut S,
) -> std::result::Result<Summary, S::Error> {
    // What this read counted, taken back if the general way reads again.
    let mine = AtomicU64::new(0);
    let mut head = Vec::new();
    let mut reader = Counting {
        inner: Counting {
            inner: file,
            counter: &mine,
        },
        counter,
    };
    (&mut reader)
        .take(crate::read::HEAD as u64)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(path, e))?;
    let outcome = if plain_head(&head, head.len() < crate::read::HEAD) {
        let with = With::of(cache, path);
        let stretch = Stretch {
            from_head: true,
            to_tail: true,
        };
        read_rows(io::Cursor::new(head).chain(reader), stretch, None, with, sink)?
    } else {
        Outcome::Strict { handed: 0 }
    };
    match outcome {
        Outcome::Done { rows, total } => Ok(Summary {
            rows,
            total,
            ..Summary::default()
        }),
        Outcome::Strict { handed } => {
            // The general way, from the start: what it counts was counted
            // already as far as this read went.
            counter.fetch_sub(mine.load(Ordering::Relaxed), Ordering::Relaxed);
            let again = File::open(path).map_err(|e| Error::io(path, e))?;
            let again = Counting {
                inner: again,
                counter,
            };
            crate::read::read_text(
                again,
                Some(Shape::Json),
                path,
                map,
                cache,
                &mut Skip::new(handed, sink),
            )
        }
    }
}

/// Byte ranges of whole rows of one JSON response file of at least
/// `min_bytes`, each but the first starting at a row's `{`: `None` for a
/// file that is smaller, not plain, or whose rows could not be placed.
///
/// # Errors
/// [`Error::Io`] for a file that cannot be read.
pub(crate) fn plan_json(path: &Path, parts: usize, min_bytes: u64) -> Result<Option<Vec<NdjsonPart>>> {
    let Some((mut file, size)) = crate::ranges::open_to_split(path, parts, min_bytes)? else {
        return Ok(None);
    };
    let (head, complete) = crate::read::read_head(&mut file, path)?;
    if !plain_head(&head, complete) {
        return Ok(None);
    }
    let Some(head_end) = crate::fastjson::response_head(&head, &mut Vec::new()) else {
        return Ok(None);
    };
    // The first row's first key, as written (`"id"`): each part starts at a
    // `{` after `},` followed by it.
    let Some(key) = first_key(&head[head_end..]) else {
        return Ok(None);
    };
    let data = size - head_end as u64;
    let mut starts = vec![0u64];
    let mut window = vec![0u8; 256 * 1024];
    for k in 1..parts as u64 {
        let guess = head_end as u64 + data * k / parts as u64;
        let last = *starts.last().unwrap_or(&0);
        if guess <= last {
            continue;
        }
        file.seek(SeekFrom::Start(guess))
            .map_err(|e| Error::io(path, e))?;
        let n = read_full(&mut file, &mut window).map_err(|e| Error::io(path, e))?;
        if let Some(i) = row_start(&window[..n], key) {
            let start = guess + i as u64;
            if start > last && start < size {
                starts.push(start);
            }
        }
    }
    starts.push(size);
    let plan: Vec<NdjsonPart> = starts
        .windows(2)
        .map(|w| {
            NdjsonPart::json(
                path,
                w[0],
                w[1],
                size,
                JsonRows {
                    head_end: head_end as u64,
                },
            )
        })
        .collect();
    Ok((plan.len() > 1).then_some(plan))
}

/// As many bytes as `buf` holds, or up to the end.
fn read_full(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\n' | b'\r' | b'\t')
}

/// The first key of the object that `text` starts (after white space),
/// with its quotes, when it has no escape.
fn first_key(text: &[u8]) -> Option<&[u8]> {
    let at = text.iter().position(|&c| !is_ws(c))?;
    let text = &text[at..];
    if text.first() != Some(&b'{') {
        return None;
    }
    let at = 1 + text[1..].iter().position(|&c| !is_ws(c))?;
    let rest = &text[at..];
    if rest.first() != Some(&b'"') {
        return None;
    }
    let end = 1 + memchr::memchr2(b'"', b'\\', &rest[1..])?;
    (rest[end] == b'"').then(|| &rest[..=end])
}

/// The first place in `w` that looks like a row's start: a `{` after `},`
/// (white space between allowed) followed by `key` and a colon.
fn row_start(w: &[u8], key: &[u8]) -> Option<usize> {
    memchr::memchr_iter(b'{', w).find(|&i| {
        let before = || w[..i].iter().rev().copied().filter(|&c| !is_ws(c));
        let mut back = before();
        if back.next() != Some(b',') || back.next() != Some(b'}') {
            return false;
        }
        let Some(at) = w[i + 1..].iter().position(|&c| !is_ws(c)) else {
            return false;
        };
        let rest = &w[i + 1 + at..];
        rest.starts_with(key)
            && rest[key.len()..]
                .iter()
                .find(|&&c| !is_ws(c))
                .is_some_and(|&c| c == b':')
    })
}

/// Reads one part of a JSON response file into `sink`; a part whose range
/// does not end where a row starts, or holds anything not plain, is
/// misaligned (the run reads the file again in one pass).
pub(crate) fn read_part<S: RowSink>(
    part: &NdjsonPart,
    rows: &JsonRows,
    counter: &AtomicU64,
    cache: &mut ReadCache,
    sink: &mut S,
) -> std::result::Result<Summary, S::Error> {
    let (path, (start, end), size) = (part.path(), part.range(), part.size());
    let stretch = Stretch {
        from_head: start == 0,
        to_tail: end == size,
    };
    let mut head = Vec::new();
    if stretch.to_tail && !stretch.from_head {
        let file = crate::parts::open_part(path, 0, size)?;
        file.take(rows.head_end)
            .read_to_end(&mut head)
            .map_err(|e| Error::io(path, e))?;
    }
    let file = crate::parts::open_part(path, start, size)?;
    let reader = Counting {
        inner: file.take(end - start),
        counter,
    };
    let with = With::of(cache, path);
    let head = (!head.is_empty()).then_some(&head[..]);
    Ok(match read_rows(reader, stretch, head, with, sink)? {
        Outcome::Done { rows, total } => Summary {
            rows,
            total,
            ..Summary::default()
        },
        Outcome::Strict { .. } => Summary {
            misaligned: true,
            ..Summary::default()
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::Rejected;
    use crate::row::Names;
    use std::io::Write;

    fn row(id: u64) -> String {
        format!(
            "{{\"id\": {id}, \"name\": \"Spin }}, {{\\\"id\\\": [\", \"instructor\": {{\"id\": 7, \"name\": \"A\"}}, \
             \"starts_at\": \"2026-05-02T09:00:00Z\", \"venue\": {{\"id\": 101}}, \"venue_timezone\": \"Europe/London\", \
             \"hours\": 1, \"attended_count\": 4, \"no_show_count\": 0, \"late_cancel_count\": 0, \
             \"comped_counts\": {{\"attended\": 0}}, \"instructor_pay_rate\": {{\"id\": 3, \"type\": \"per_customer\", \
             \"base\": 5}}, \"labels\": [{{\"k\": 1}}, {{\"k\": 2}}], \"instructor_pay\": \"£20.00\", \
             \"instructor_pay_calculation_pending\": false}}"
        )
    }

    fn rows(ids: std::ops::Range<u64>, sep: &str) -> String {
        ids.map(row).collect::<Vec<_>>().join(sep)
    }

    type End = std::result::Result<(u64, Option<u64>, bool), String>;

    /// Each row (its place and id) or rejected row (its error), then the read's end.
    fn outcome(
        read: impl FnOnce(&mut dyn FnMut(Result<String, String>)) -> Result<Summary>,
    ) -> (Vec<String>, End) {
        let mut seen = Vec::new();
        let end = read(&mut |r| seen.push(r.unwrap_or_else(|e| e)));
        (
            seen,
            end.map(|s| (s.rows, s.total, s.misaligned))
                .map_err(|e| e.to_string()),
        )
    }

    fn sinks<'a>(
        f: &'a mut dyn FnMut(Result<String, String>),
    ) -> crate::Sinks<impl FnMut(crate::ParsedRow) -> Result<()> + 'a, impl FnMut(Rejected) -> Result<()> + 'a>
    {
        let f = std::rc::Rc::new(std::cell::RefCell::new(f));
        let g = std::rc::Rc::clone(&f);
        crate::Sinks {
            on_row: move |r: crate::ParsedRow| {
                (f.borrow_mut())(Ok(format!("{:?} {}", r.location, r.draft.id.0)));
                Ok(())
            },
            on_reject: move |r: Rejected| {
                (g.borrow_mut())(Err(format!("{} | {}", r.error, r.raw)));
                Ok(())
            },
        }
    }

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::with_suffix(".json").unwrap();
        file.write_all(text.as_bytes()).unwrap();
        file
    }

    /// The file streamed, and read by the strict reader (as before streaming).
    fn both(text: &str) -> [(Vec<String>, End); 2] {
        let f = file(text);
        let streamed = outcome(|on| {
            let mut cache = ReadCache::new(Names::All);
            let file = File::open(f.path()).unwrap();
            stream_file(
                file,
                f.path(),
                &ColumnMap::default(),
                &AtomicU64::new(0),
                &mut cache,
                &mut sinks(on),
            )
        });
        let strict = outcome(|on| {
            let mut parser = RowParser::new(Names::All);
            let file = io::BufReader::new(File::open(f.path()).unwrap());
            crate::read::read_json(file, f.path(), &mut parser, &mut sinks(on), crate::json::MAX_ROW)
        });
        [streamed, strict]
    }

    #[test]
    fn a_streamed_response_gives_what_the_strict_reader_gives() {
        // Over a MiB of rows, so rows are cut by the buffer's refills.
        let many = rows(0..2500, ",\n  ");
        let good = rows(1..4, ", ");
        let cases = [
            format!(
                "{{\"total\": 2500, \"column_headers\": [{{\"key\": \"id\"}}], \"rows\": [\n  {many}\n]}}\n"
            ),
            format!("{{\"rows\": [{many}], \"total\": 2500}}"),
            "{\"rows\": []}".to_string(),
            format!("{{\"rows\": [{many}, {{\"id\": 1, \"x\": [}}, {good}]}}"),
            format!(
                "{{\"rows\": [{many}, {}]}}",
                row(9).replace("\"hours\": 1", "\"hours\": 1, \"hours\": 2")
            ),
            format!(
                "{{\"rows\": [{many}, {}]}}",
                row(9).replace("\"hours\": 1", "\"hours\": -1")
            ),
            format!(
                "{{\"rows\": [{many}, {}]}}",
                row(9).replace("\"A\"", "\"\\u0041\"")
            ),
            format!("{{\"total\": 3, \"rows\": [{many}], \"total\": 3}}"),
            format!("{{\"total\": 3.5, \"rows\": [{good}]}}"),
            format!("{{\"rows\": [{many}]}} {{\"rows\": [{good}]}}"),
            format!("{{\"rows\": [{many}] x"),
            format!("{{\"rows\": [{many},]}}"),
            format!("{{\"rows\": [{many}"),
            format!("{{\"rows\": [{many}, 7]}}"),
            format!("{{\"rows\": [{}", &many[..many.len() - 40]),
            format!("[{good}]"),
        ];
        for text in &cases {
            let [streamed, strict] = both(text);
            assert_eq!(streamed, strict, "{}", &text[..text.len().min(300)]);
        }
        let [(seen, end), _] = both(&cases[0]);
        assert_eq!((seen.len(), end), (2500, Ok((2500, Some(2500), false))));
        assert_eq!(seen[2499], "JsonRow { row: 2500 } 2499");
        let [(seen, end), _] = both(&cases[3]);
        assert_eq!(seen.len(), 2500);
        let err = end.unwrap_err();
        assert!(err.contains(": line 2500, column "), "{err}");
    }

    #[test]
    fn parts_of_a_response_cover_its_rows_once_and_check_their_ends() {
        let text = format!(
            "{{\"total\": 3000, \"rows\": [\n{}\n], \"x\": 1}}",
            rows(0..3000, ",\n")
        );
        let f = file(&text);
        let plan = plan_json(f.path(), 7, 0).unwrap().unwrap();
        assert_eq!(plan.len(), 7);
        let mut cache = ReadCache::new(Names::All);
        let read = |part: &NdjsonPart, cache: &mut ReadCache| {
            let mut ids = Vec::new();
            let rows = part.json.clone().unwrap();
            let summary = read_part(
                part,
                &rows,
                &AtomicU64::new(0),
                cache,
                &mut |r: crate::ParsedRow| {
                    ids.push(r.draft.id.0);
                    Ok::<_, Error>(())
                },
            )
            .unwrap();
            (ids, summary)
        };
        let mut all = Vec::new();
        for (k, part) in plan.iter().enumerate() {
            let (start, end) = part.range();
            if k > 0 {
                assert_eq!(start, plan[k - 1].range().1);
                assert_eq!(&text.as_bytes()[start as usize..start as usize + 7], b"{\"id\": ");
            }
            assert!(end > start);
            let (ids, summary) = read(part, &mut cache);
            assert!(!summary.misaligned, "part {k}");
            all.extend(ids);
        }
        assert_eq!(all, (0..3000).collect::<Vec<u64>>());
        // A part whose range ends inside a row, or whose tail is not plain, is misaligned.
        let (start, end) = plan[2].range();
        let inside = NdjsonPart::json(
            f.path(),
            start,
            end - 3,
            text.len() as u64,
            plan[2].json.clone().unwrap(),
        );
        assert!(read(&inside, &mut cache).1.misaligned);
        let bad = file(&text.replace("\"x\": 1}", "\"x\": 1} x"));
        let last = plan.last().unwrap();
        let (start, end) = last.range();
        let last = NdjsonPart::json(bad.path(), start, end + 2, end + 2, last.json.clone().unwrap());
        assert!(read(&last, &mut cache).1.misaligned);
        // Too small, or not plain: read whole.
        assert!(plan_json(f.path(), 7, 1 << 30).unwrap().is_none());
        assert!(plan_json(file(&format!("\u{feff}{text}")).path(), 7, 0)
            .unwrap()
            .is_none());
        assert!(plan_json(file(&format!("{{\"rows\": [[{text}]]}}")).path(), 7, 0)
            .unwrap()
            .is_none());
    }

    #[test]
    fn a_row_start_is_a_brace_after_a_closing_one_that_opens_the_first_key() {
        assert_eq!(first_key(b" \n{ \"id\": 1}"), Some(&b"\"id\""[..]));
        assert_eq!(first_key(b"{\"i\\d\": 1}"), None);
        assert_eq!(first_key(b"[]"), None);
        let w = b"\"lower\": 1}, {\"lower\": 2}]}, \n {\"id\" : 4}";
        assert_eq!(row_start(w, b"\"id\""), Some(31));
        assert_eq!(row_start(w, b"\"lower\""), Some(13));
        assert_eq!(row_start(b"}, {\"idx\": 1}", b"\"id\""), None);
    }
}
