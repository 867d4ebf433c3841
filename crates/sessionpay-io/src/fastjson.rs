//! The fast path for JSON rows: one pass over a row object's bytes that
//! validates all of it, checks every object for a key written twice, keeps
//! only the spans payroll reads (names, thumbnails and offering types are
//! passed over) and builds the session from them without a `Value` tree.
//!
//! It takes only rows whose every spelling it knows. Anything else, from a
//! `\u` escape to a flat alias such as `instructor_id` or a value of an odd
//! type, is handed back (`None`) and the strict reader reads that row: its
//! result, or its error, is then the only one there is. A rate is taken
//! from a cache keyed by the raw bytes of its `instructor_pay_rate` object;
//! a rate not seen yet sends its row to the strict reader once, and the rate
//! that reader made is kept for the rows after it ([`FastJson::learn`]).
//! Numbers are read from their text, never through a binary float.

use std::sync::Arc;

use rustc_hash::FxHashMap;
use sessionpay_core::chrono_tz::Tz;
use sessionpay_core::{
    Counts, Currency, CurrencyEvidence, InstructorId, PayRate, RateKind, SessionDraft, SessionId,
    SessionType, Unsettled, VenueId,
};

use crate::error::Location;
use crate::field::Field;
use crate::row::{Names, ParsedRow};
use crate::value;

/// Deeper than this, the strict reader (and its recursion limit) decides.
const MAX_DEPTH: usize = 64;

/// Caches stop growing past this many entries, as the strict reader's do.
const CACHE_LIMIT: usize = 65_536;

/// Rates remembered by their raw text at most.
const RATE_LIMIT: usize = 4_096;

/// A byte range of the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Span {
    start: usize,
    end: usize,
}

/// A scalar value as the strict reader would see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Scalar {
    /// The key is not in the row.
    #[default]
    Absent,
    Null,
    /// A string's content; `true` when it holds an escape.
    Str(Span, bool),
    /// A number's text.
    Num(Span),
    Bool(bool),
}

/// The rate object, as it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum RateCell {
    #[default]
    Absent,
    Null,
    Object(Span),
}

/// TeamUp's figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum PayCell {
    #[default]
    Absent,
    Scalar(Scalar),
    Object {
        decimal: Scalar,
        string: Scalar,
        code: Scalar,
    },
}

/// The spans of one row that payroll reads.
#[derive(Debug, Default)]
struct Spans {
    id: Scalar,
    name: Scalar,
    offering_type_id: Scalar,
    instructor_id: Scalar,
    instructor_name: Scalar,
    starts_at: Scalar,
    venue_id: Scalar,
    venue_name: Scalar,
    venue_timezone: Scalar,
    max_occupancy: Scalar,
    hours: Scalar,
    attended: Scalar,
    no_shows: Scalar,
    late_cancels: Scalar,
    comped: Scalar,
    session_type: Scalar,
    pending: Scalar,
    rate: RateCell,
    pay: PayCell,
}

/// What the fast path could not do with a row: the strict reader reads it,
/// and the rate it makes may be learnt under `rate`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Declined {
    rate: Option<Span>,
    /// One past the row's closing brace, when the scan got that far.
    pub(crate) end: Option<usize>,
}

/// A validating scanner over one JSON text.
struct Scan<'a> {
    b: &'a [u8],
    pos: usize,
    /// Keys of the objects open now, for the doubled-key check.
    keys: &'a mut Vec<(usize, usize)>,
}

impl<'a> Scan<'a> {
    #[inline]
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.pos) {
            if matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    #[inline]
    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            Some(())
        } else {
            None
        }
    }

    /// A string at `pos` (its opening quote): its content and whether it
    /// holds an escape. A `\u` escape or a control character is declined.
    #[inline]
    fn string(&mut self) -> Option<(Span, bool)> {
        debug_assert_eq!(self.peek(), Some(b'"'));
        let b = self.b;
        let start = self.pos + 1;
        let mut i = start;
        let mut escaped = false;
        loop {
            // Eight bytes at a time up to the first quote, backslash or
            // control character; the last few bytes of the text one by one.
            while let Some(word) = b.get(i..i + 8) {
                let mut bytes = [0u8; 8];
                bytes.copy_from_slice(word);
                let found = special(u64::from_le_bytes(bytes));
                if found != 0 {
                    i += (found.trailing_zeros() / 8) as usize;
                    break;
                }
                i += 8;
            }
            match *b.get(i)? {
                b'"' => {
                    self.pos = i + 1;
                    return Some((Span { start, end: i }, escaped));
                }
                b'\\' => {
                    match b.get(i + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        _ => return None,
                    }
                    escaped = true;
                    i += 2;
                }
                c if c < 0x20 => return None,
                _ => i += 1,
            }
        }
    }

    /// A number at `pos`, held to JSON's grammar.
    fn number(&mut self) -> Option<Span> {
        let start = self.pos;
        let b = self.b;
        let mut i = start;
        let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                while digit(i) {
                    i += 1;
                }
            }
            _ => return None,
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            if !digit(i) {
                return None;
            }
            while digit(i) {
                i += 1;
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !digit(i) {
                return None;
            }
            while digit(i) {
                i += 1;
            }
        }
        // A number runs into a letter or digit only in broken JSON.
        if b.get(i).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'.') {
            return None;
        }
        self.pos = i;
        Some(Span { start, end: i })
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        if self.b.get(self.pos..self.pos + word.len())? == word {
            self.pos += word.len();
            Some(())
        } else {
            None
        }
    }

    /// A scalar value; an array or object is declined.
    #[inline]
    fn scalar(&mut self) -> Option<Scalar> {
        self.ws();
        Some(match self.peek()? {
            b'"' => {
                let (span, escaped) = self.string()?;
                Scalar::Str(span, escaped)
            }
            b'n' => {
                self.literal(b"null")?;
                Scalar::Null
            }
            b't' => {
                self.literal(b"true")?;
                Scalar::Bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                Scalar::Bool(false)
            }
            _ => Scalar::Num(self.number()?),
        })
    }

    /// Any value, validated and passed over.
    fn skip(&mut self, depth: usize) -> Option<()> {
        self.ws();
        match self.peek()? {
            b'{' => self.object(depth + 1, |scan, _| scan.skip(depth + 1)),
            b'[' => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                self.pos += 1;
                self.ws();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Some(());
                }
                loop {
                    self.skip(depth + 1)?;
                    self.ws();
                    match self.peek()? {
                        b',' => self.pos += 1,
                        b']' => {
                            self.pos += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            _ => self.scalar().map(drop),
        }
    }

    /// An object at `pos`: each key (checked against the others of the
    /// object; one with an escape is declined) is handed to `value`, which
    /// reads its value.
    fn object(
        &mut self,
        depth: usize,
        mut value: impl FnMut(&mut Self, &'a [u8]) -> Option<()>,
    ) -> Option<()> {
        if depth >= MAX_DEPTH {
            return None;
        }
        self.eat(b'{')?;
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Some(());
        }
        let frame = self.keys.len();
        loop {
            self.ws();
            if self.peek()? != b'"' {
                return None;
            }
            let (key, escaped) = self.string()?;
            if escaped {
                return None;
            }
            let b = self.b;
            let text = &b[key.start..key.end];
            if self.keys[frame..]
                .iter()
                .any(|&(s, e)| e - s == text.len() && &b[s..e] == text)
            {
                return None;
            }
            self.keys.push((key.start, key.end));
            self.eat(b':')?;
            value(self, text)?;
            self.ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    self.keys.truncate(frame);
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// The raw span of the value at `pos`, validated.
    fn raw(&mut self, depth: usize) -> Option<Span> {
        self.ws();
        let start = self.pos;
        self.skip(depth)?;
        Some(Span { start, end: self.pos })
    }
}

/// The bytes of `x` (little-endian) that are a quote, a backslash or a
/// control character, each as its high bit. Bytes above the lowest such byte
/// may be flagged wrongly (a borrow runs upward), so only the lowest set bit
/// is to be read.
#[inline]
fn special(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let quote = zero(x ^ (ONES * u64::from(b'"')));
    let backslash = zero(x ^ (ONES * u64::from(b'\\')));
    let control = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
    quote | backslash | control
}

/// Whether a key the fast path does not read could be a spelling of a field
/// (or the parent of one): such a row goes to the strict reader.
fn names_a_field(key: &[u8]) -> bool {
    key.contains(&b'.')
        || Field::ALL.iter().any(|f| {
            f.names().iter().any(|n| {
                n.as_bytes() == key
                    || n.split_once('.')
                        .is_some_and(|(outer, _)| outer.as_bytes() == key)
            })
        })
}

/// Reads the spans of the row object at `pos`, leaving `pos` just after it;
/// `None` declines it. `known_rate` tells the text of a rate object already
/// learnt.
fn scan_row(scan: &mut Scan<'_>, spans: &mut Spans, known_rate: impl Fn(&[u8]) -> bool) -> Option<()> {
    scan.object(1, |scan, key| {
        match key {
            b"id" => spans.id = scan.scalar()?,
            b"name" => spans.name = scan.scalar()?,
            b"starts_at" => spans.starts_at = scan.scalar()?,
            b"venue_timezone" => spans.venue_timezone = scan.scalar()?,
            b"max_occupancy" => spans.max_occupancy = scan.scalar()?,
            b"hours" => spans.hours = scan.scalar()?,
            b"attended_count" => spans.attended = scan.scalar()?,
            b"no_show_count" => spans.no_shows = scan.scalar()?,
            b"late_cancel_count" => spans.late_cancels = scan.scalar()?,
            b"session_type" => spans.session_type = scan.scalar()?,
            b"instructor_pay_calculation_pending" => spans.pending = scan.scalar()?,
            b"offering_type" => {
                scan.ws();
                if scan.peek()? == b'n' {
                    spans.offering_type_id = scan.scalar()?;
                    if spans.offering_type_id != Scalar::Null {
                        return None;
                    }
                } else {
                    scan.object(2, |scan, key| match key {
                        b"id" => {
                            spans.offering_type_id = scan.scalar()?;
                            Some(())
                        }
                        _ => scan.skip(2),
                    })?;
                }
            }
            b"instructor" => scan.object(2, |scan, key| {
                match key {
                    b"id" => spans.instructor_id = scan.scalar()?,
                    b"name" => spans.instructor_name = scan.scalar()?,
                    _ => scan.skip(2)?,
                }
                Some(())
            })?,
            b"venue" => scan.object(2, |scan, key| {
                match key {
                    b"id" => spans.venue_id = scan.scalar()?,
                    b"name" => spans.venue_name = scan.scalar()?,
                    b"timezone" => return None,
                    _ => scan.skip(2)?,
                }
                Some(())
            })?,
            b"comped_counts" => {
                scan.ws();
                if scan.peek()? == b'n' {
                    spans.comped = scan.scalar()?;
                    if spans.comped != Scalar::Null {
                        return None;
                    }
                } else {
                    scan.object(2, |scan, key| match key {
                        b"attended" => {
                            spans.comped = scan.scalar()?;
                            Some(())
                        }
                        _ => scan.skip(2),
                    })?;
                }
            }
            b"instructor_pay_rate" => {
                scan.ws();
                match scan.peek()? {
                    b'{' => {
                        // The text of a rate already learnt was checked
                        // whole when it was learnt: the same text needs only
                        // its end found.
                        let start = scan.pos;
                        let end = match object_end(scan.b, start) {
                            Some(end) if known_rate(&scan.b[start..end]) => {
                                scan.pos = end;
                                end
                            }
                            _ => scan.raw(1)?.end,
                        };
                        spans.rate = RateCell::Object(Span { start, end });
                    }
                    _ => {
                        if scan.scalar()? != Scalar::Null {
                            return None;
                        }
                        spans.rate = RateCell::Null;
                    }
                }
            }
            b"instructor_pay" => {
                scan.ws();
                if scan.peek()? == b'{' {
                    let (mut decimal, mut string, mut code) =
                        (Scalar::Absent, Scalar::Absent, Scalar::Absent);
                    scan.object(2, |scan, key| {
                        match key {
                            b"decimal" => decimal = scan.scalar()?,
                            b"string" => string = scan.scalar()?,
                            b"iso_currency_code" => code = scan.scalar()?,
                            _ => scan.skip(2)?,
                        }
                        Some(())
                    })?;
                    spans.pay = PayCell::Object {
                        decimal,
                        string,
                        code,
                    };
                } else {
                    spans.pay = PayCell::Scalar(scan.scalar()?);
                }
            }
            other => {
                if names_a_field(other) {
                    return None;
                }
                scan.skip(1)?;
            }
        }
        Some(())
    })
}

/// The fast reader's caches: names, zones and rates, each parsed once.
#[derive(Debug)]
pub(crate) struct FastJson {
    keep: Names,
    empty: Arc<str>,
    names: FxHashMap<Box<str>, Arc<str>>,
    zones: FxHashMap<Box<str>, Tz>,
    rates: FxHashMap<Box<[u8]>, Option<Arc<PayRate>>>,
    keys: Vec<(usize, usize)>,
    scratch: String,
}

impl FastJson {
    pub(crate) fn new(keep: Names) -> FastJson {
        FastJson {
            keep,
            empty: Arc::from(String::new()),
            names: FxHashMap::default(),
            zones: FxHashMap::default(),
            rates: FxHashMap::default(),
            keys: Vec::new(),
            scratch: String::new(),
        }
    }

    /// The session of one JSON row object (`line`, white space around it
    /// allowed), or `Err` when the strict reader must read it.
    pub(crate) fn row(&mut self, line: &[u8], location: Location) -> Result<ParsedRow, Declined> {
        let start = line
            .iter()
            .position(|c| !matches!(c, b' ' | b'\n' | b'\r' | b'\t'));
        let start = start.unwrap_or(line.len());
        let (row, end) = self.row_at(&line[start..], None, location)?;
        // Only white space may follow the row.
        if line[start + end..]
            .iter()
            .all(|c| matches!(c, b' ' | b'\n' | b'\r' | b'\t'))
        {
            Ok(row)
        } else {
            Err(Declined::default())
        }
    }

    /// The session of the JSON row object at the start of `b` and the
    /// offset just after it (what follows is not read), or `Err` when the
    /// strict reader must read it. The spans a [`Declined`] keeps count
    /// from the start of `b`. `valid` is `b` when it is known to be UTF-8
    /// (a page checked whole), so the row is not checked again.
    pub(crate) fn row_at(
        &mut self,
        b: &[u8],
        valid: Option<&str>,
        location: Location,
    ) -> Result<(ParsedRow, usize), Declined> {
        let mut declined = Declined::default();
        let mut spans = Spans::default();
        self.keys.clear();
        let mut scan = Scan {
            b,
            pos: 0,
            keys: &mut self.keys,
        };
        let rates = &self.rates;
        if scan_row(&mut scan, &mut spans, |raw| rates.contains_key(raw)).is_none() {
            return Err(declined);
        }
        let end = scan.pos;
        declined.end = Some(end);
        // The row ends with a brace, so `end` is a character's boundary.
        let text = match valid.and_then(|v| v.get(..end)) {
            Some(text) => text,
            None => match simdutf8::basic::from_utf8(&b[..end]) {
                Ok(text) => text,
                Err(_) => return Err(declined),
            },
        };
        // Only a row read whole is known to take its rate from that object
        // alone (no flat spelling beside it): only then is its rate learnt.
        if let RateCell::Object(span) = spans.rate {
            declined.rate = Some(span);
        }
        match self.build(text, &spans, location) {
            Some(row) => Ok((row, end)),
            None => Err(declined),
        }
    }

    /// Keeps the rate the strict reader made of a row this path declined.
    pub(crate) fn learn(&mut self, line: &[u8], declined: Declined, row: &ParsedRow) {
        if let Some(span) = declined.rate {
            if self.rates.len() < RATE_LIMIT {
                if let Some(raw) = line.get(span.start..span.end) {
                    self.rates.insert(raw.into(), row.draft.rate.clone());
                }
            }
        }
    }

    fn build(&mut self, text: &str, s: &Spans, location: Location) -> Option<ParsedRow> {
        // Present (`Some`) with its text (`None` when null or blank); a
        // string with an escape is declined.
        let opt = |v: Scalar| -> Option<Option<&str>> {
            match v {
                Scalar::Absent | Scalar::Null => Some(None),
                Scalar::Str(_, true) => None,
                Scalar::Str(span, false) => {
                    let t = text.get(span.start..span.end)?;
                    Some((!t.trim().is_empty()).then_some(t))
                }
                Scalar::Num(span) => Some(Some(text.get(span.start..span.end)?)),
                Scalar::Bool(b) => Some(Some(if b { "true" } else { "false" })),
            }
        };
        let req = |v: Scalar| -> Option<&str> {
            if v == Scalar::Absent {
                return None;
            }
            opt(v)?
        };
        let present = |v: Scalar| (v != Scalar::Absent).then_some(());
        let id = value::id(req(s.id)?).ok()?;
        if let Some(t) = opt(s.offering_type_id)? {
            value::id(t).ok()?;
        }
        if let Some(t) = opt(s.max_occupancy)? {
            value::count(t).ok()?;
        }
        let instructor = value::id(req(s.instructor_id)?).ok()?;
        let venue = value::id(req(s.venue_id)?).ok()?;
        let zone = self.zone(req(s.venue_timezone)?.trim())?;
        let starts_at = value::starts_at(req(s.starts_at)?).ok()?;
        let hours = value::decimal(req(s.hours)?).ok()?;
        if hours.is_sign_negative() && !hours.is_zero() {
            return None;
        }
        let count = |v: Scalar| -> Option<u32> {
            present(v)?;
            match opt(v)? {
                None => Some(0),
                Some(t) => value::count(t).ok(),
            }
        };
        let counts = Counts::try_new(
            count(s.attended)?,
            count(s.comped)?,
            count(s.late_cancels)?,
            count(s.no_shows)?,
        )
        .ok()?;
        let session_type = match opt(s.session_type)? {
            None => SessionType::Class,
            Some(t) => SessionType::from_name(t.trim())?,
        };
        present(s.pending)?;
        let pending = match opt(s.pending)? {
            None => false,
            Some(t) => value::boolean(t).ok()?,
        };
        let rate = match s.rate {
            RateCell::Absent => return None,
            RateCell::Null => None,
            RateCell::Object(span) => self
                .rates
                .get(text.as_bytes().get(span.start..span.end)?)?
                .clone(),
        };
        let mut evidence = CurrencyEvidence::default();
        let reported = match s.pay {
            PayCell::Absent => return None,
            PayCell::Scalar(Scalar::Null) => None,
            PayCell::Scalar(v @ Scalar::Num(_)) => Some(value::decimal(opt(v)??).ok()?),
            PayCell::Scalar(v @ Scalar::Str(..)) => match opt(v)? {
                None => None,
                Some(t) => {
                    let m = value::money(t).ok()?;
                    evidence.reported_code = m.code;
                    evidence.symbol = m.symbol;
                    Some(m.amount)
                }
            },
            PayCell::Scalar(_) => return None,
            PayCell::Object {
                decimal,
                string,
                code,
            } => {
                let formatted = match string {
                    Scalar::Str(_, false) => match opt(string)? {
                        Some(t) => Some(value::money(t).ok()?),
                        None => None,
                    },
                    Scalar::Absent | Scalar::Null => None,
                    _ => return None,
                };
                if let Some(f) = &formatted {
                    evidence.symbol = f.symbol;
                    evidence.reported_code = f.code;
                }
                match code {
                    Scalar::Absent | Scalar::Null => {}
                    Scalar::Str(span, false) => {
                        let code = text.get(span.start..span.end)?;
                        let reported = Currency::try_from_code(code).ok()?;
                        // `instructor_pay.iso_currency_code` is also a field of its own.
                        if Currency::try_from_code(code.trim()).ok()? != reported {
                            return None;
                        }
                        evidence.reported_code = Some(reported);
                    }
                    _ => return None,
                }
                match decimal {
                    Scalar::Num(_) | Scalar::Str(_, false) => Some(value::decimal(opt(decimal)??).ok()?),
                    Scalar::Absent | Scalar::Null => formatted.map(|f| f.amount),
                    _ => return None,
                }
            }
        };
        if let Some(RateKind::Tiered { tiers }) = rate.as_deref().map(|r| &r.kind) {
            evidence.tiers = tiers.currency();
        }
        let starts_at = starts_at.to_utc(zone).ok()?;
        let instructor_name = self.name(text, s.instructor_name)?;
        let (name, venue_name) = match self.keep {
            Names::All => (self.name(text, s.name)?, self.name(text, s.venue_name)?),
            Names::InstructorOnly => (Arc::clone(&self.empty), Arc::clone(&self.empty)),
        };
        let draft = SessionDraft {
            id: SessionId(id),
            name,
            instructor: InstructorId(instructor),
            instructor_name,
            venue: VenueId(venue),
            venue_name,
            zone,
            starts_at,
            hours,
            counts,
            session_type,
            rate,
            reported,
            pending,
            currency: Unsettled,
        };
        Some(ParsedRow {
            location,
            draft,
            evidence,
        })
    }

    fn zone(&mut self, text: &str) -> Option<Tz> {
        if let Some(zone) = self.zones.get(text) {
            return Some(*zone);
        }
        let zone: Tz = text.parse().ok()?;
        if self.zones.len() < CACHE_LIMIT {
            self.zones.insert(text.into(), zone);
        }
        Some(zone)
    }

    /// A free-text name, shared with earlier rows of the same text; its
    /// escapes (all but `\u`, which the scan declined) undone.
    fn name(&mut self, text: &str, v: Scalar) -> Option<Arc<str>> {
        let t: &str = match v {
            Scalar::Absent | Scalar::Null => "",
            Scalar::Str(span, false) | Scalar::Num(span) => text.get(span.start..span.end)?,
            Scalar::Str(span, true) => {
                let raw = text.get(span.start..span.end)?;
                self.scratch.clear();
                let mut chars = raw.chars();
                while let Some(c) = chars.next() {
                    if c != '\\' {
                        self.scratch.push(c);
                        continue;
                    }
                    self.scratch.push(match chars.next()? {
                        'b' => '\u{8}',
                        'f' => '\u{c}',
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        other => other,
                    });
                }
                &self.scratch
            }
            Scalar::Bool(b) => {
                if b {
                    "true"
                } else {
                    "false"
                }
            }
        };
        let t = if t.trim().is_empty() { "" } else { t };
        if let Some(name) = self.names.get(t) {
            return Some(Arc::clone(name));
        }
        let name: Arc<str> = Arc::from(t);
        if self.names.len() < CACHE_LIMIT {
            self.names.insert(t.into(), Arc::clone(&name));
        }
        Some(name)
    }
}

/// One past the closing brace of the object whose `{` is at `start`, found
/// by counting braces outside strings (a string's end is found with
/// `memchr`, its escapes passed over); `None` when the text ends first.
///
/// Nothing else is checked: the object is only known to be JSON once the row
/// scan (or the strict reader) has read it.
pub(crate) fn object_end(b: &[u8], start: usize) -> Option<usize> {
    debug_assert_eq!(b.get(start), Some(&b'{'));
    let mut depth = 0usize;
    let mut i = start;
    loop {
        match *b.get(i)? {
            b'"' => {
                i = string_end(b, i + 1)?;
                continue;
            }
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
}

/// One past the closing quote of the string whose content starts at `at`
/// (its escapes passed over; nothing else is checked).
#[inline]
fn string_end(b: &[u8], mut at: usize) -> Option<usize> {
    loop {
        while let Some(word) = b.get(at..at + 8) {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(word);
            let found = special(u64::from_le_bytes(bytes));
            if found != 0 {
                at += (found.trailing_zeros() / 8) as usize;
                break;
            }
            at += 8;
        }
        match *b.get(at)? {
            b'"' => return Some(at + 1),
            b'\\' => at += 2,
            _ => at += 1,
        }
    }
}

/// Scans a whole JSON response `{"total": …, "rows": [ … ]}` held in
/// `bytes` and validates all of it but the rows, which are handed to
/// `on_row` by their start (the offset of their `{`) in order as they come:
/// it reads the row and says where it ends, or `None` to stop the scan.
///
/// The response's `total` when the whole of it is plain; `None` when
/// anything in it is not (a key twice, a `total` that is not a whole
/// number, text after it, no `rows` …) or `on_row` stopped, and the strict
/// reader says what it is.
pub(crate) fn response(
    bytes: &[u8],
    keys: &mut Vec<(usize, usize)>,
    mut on_row: impl FnMut(usize) -> Option<usize>,
) -> Option<Option<u64>> {
    keys.clear();
    let mut scan = Scan {
        b: bytes,
        pos: 0,
        keys,
    };
    let mut saw_rows = false;
    let mut total = None;
    scan.object(0, |scan, key| {
        match key {
            b"rows" => {
                saw_rows = true;
                scan.eat(b'[')?;
                scan.ws();
                if scan.peek()? == b']' {
                    scan.pos += 1;
                    return Some(());
                }
                loop {
                    scan.ws();
                    if scan.peek()? != b'{' {
                        return None;
                    }
                    scan.pos = on_row(scan.pos)?;
                    scan.ws();
                    match scan.peek()? {
                        b',' => scan.pos += 1,
                        b']' => {
                            scan.pos += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b"total" => total = scan.total()?,
            _ => scan.skip(0)?,
        }
        Some(())
    })?;
    scan.ws();
    (saw_rows && scan.pos == bytes.len()).then_some(total)
}

/// The offset just after the `[` of the `rows` of the JSON response that
/// `bytes` starts: `None` when the text before it is not plain (as for
/// [`response`]) or `bytes` ends first.
pub(crate) fn response_head(bytes: &[u8], keys: &mut Vec<(usize, usize)>) -> Option<usize> {
    keys.clear();
    let mut scan = Scan {
        b: bytes,
        pos: 0,
        keys,
    };
    let mut found = None;
    // The scan stops at the rows, so its own outcome is moot.
    let _ = scan.object(0, |scan, key| match key {
        b"rows" => {
            scan.eat(b'[')?;
            found = Some(scan.pos);
            None
        }
        b"total" => scan.total().map(drop),
        _ => scan.skip(0),
    });
    found
}

impl Scan<'_> {
    /// A response's `total`: null or a whole number.
    fn total(&mut self) -> Option<Option<u64>> {
        match self.scalar()? {
            Scalar::Null => Some(None),
            Scalar::Num(span) => {
                let text = self.b.get(span.start..span.end)?;
                if !text.iter().all(u8::is_ascii_digit) {
                    return None;
                }
                Some(Some(std::str::from_utf8(text).ok()?.parse().ok()?))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first quote, backslash or control character, byte by byte.
    fn first_special(bytes: &[u8; 8]) -> Option<usize> {
        bytes.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20)
    }

    #[test]
    fn the_lowest_special_byte_of_a_word_is_found_exactly() {
        let mut words: Vec<[u8; 8]> = vec![
            *b"abcdefgh",
            *b"ab\"defgh",
            *b"\\bcdefg\"",
            *b"\x1f\x20\x7f\x80\xc3\xa9\"\0",
        ];
        // Every byte value at every place, among plain bytes and after a special one.
        for place in 0..8 {
            for value in 0..=255u8 {
                let mut w = *b"xxxxxxxx";
                w[place] = value;
                words.push(w);
                let mut w = *b"\x01\x01\x01\x01\x01\x01\x01\x01";
                w[place] = value;
                words.push(w);
                let mut w = [value; 8];
                w[7 - place] = b'a';
                words.push(w);
            }
        }
        for w in words {
            let found = special(u64::from_le_bytes(w));
            let got = (found != 0).then(|| (found.trailing_zeros() / 8) as usize);
            assert_eq!(got, first_special(&w), "{w:?}");
        }
    }

    #[test]
    fn strings_end_at_their_quote_and_decline_controls_and_unicode_escapes() {
        let read = |text: &[u8]| {
            let mut keys = Vec::new();
            let mut scan = Scan {
                b: text,
                pos: 0,
                keys: &mut keys,
            };
            scan.string()
                .map(|(span, escaped)| (span.start, span.end, escaped, scan.pos))
        };
        assert_eq!(read(b"\"\""), Some((1, 1, false, 2)));
        assert_eq!(read(b"\"short\" tail"), Some((1, 6, false, 7)));
        assert_eq!(
            read(b"\"a string longer than eight bytes\""),
            Some((1, 33, false, 34))
        );
        assert_eq!(read(b"\"esc \\\" aped \\\\\""), Some((1, 15, true, 16)));
        assert_eq!(
            read("\"caf\u{e9} na\u{ef}ve caf\u{e9}s\"".as_bytes()),
            Some((1, 20, false, 21))
        );
        assert_eq!(read(b"\"a \\u0041 b\""), None);
        assert_eq!(read(b"\"a \\x b\""), None);
        assert_eq!(read(b"\"tab\there and later\""), None);
        assert_eq!(read(b"\"no end, long enough to pass a word"), None);
        assert_eq!(read(b"\"ends in \\"), None);
    }

    #[test]
    fn a_learnt_rate_is_taken_by_its_text_and_only_by_the_same_text() {
        let line = |rate: &str| {
            format!(
                "{{\"id\": 1, \"instructor\": {{\"id\": 7}}, \"starts_at\": \"2026-05-02T09:00:00Z\", \
                 \"venue\": {{\"id\": 101}}, \"venue_timezone\": \"Europe/London\", \"hours\": 1, \
                 \"attended_count\": 4, \"no_show_count\": 0, \"late_cancel_count\": 0, \
                 \"comped_counts\": {{\"attended\": 0}}, \"instructor_pay_rate\": {rate}, \
                 \"instructor_pay\": \"£20.00\", \"instructor_pay_calculation_pending\": false}}"
            )
        };
        // Learnt from the strict reader, then taken by the fast path from its text.
        let (fast, strict) =
            crate::fuzz::json_row_paths(line(r#"{"id": 3, "type": "per_customer", "base": 5}"#).as_bytes());
        assert!(fast.is_some());
        assert_eq!(fast, strict.ok());
        // A key twice in the rate object is refused by both, cached or not.
        for rate in [
            r#"{"id": 3, "type": "per_customer", "base": 5, "base": 6}"#,
            r#"{"id": 3, "type": "per_customer", "base": 5, "x": {"a": 1, "a": 2}}"#,
        ] {
            let (fast, strict) = crate::fuzz::json_row_paths(line(rate).as_bytes());
            assert_eq!(fast, None, "{rate}");
            assert!(
                strict
                    .unwrap_err()
                    .starts_with("doubled key instructor_pay_rate."),
                "{rate}"
            );
        }
    }
}
