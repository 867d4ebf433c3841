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
//!
//! Rows of one export are written alike: the same keys in the same order,
//! with the same spacing. The first row of each such [`Shape`] is read key by
//! key; the rows after it are held against its text between values and only
//! their values are read, which skips matching and checking every key.

use std::sync::Arc;

use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use sessionpay_core::chrono_tz::Tz;
use sessionpay_core::{
    Counts, Currency, CurrencyEvidence, InstructorId, Name, PayRate, RateKind, SessionDraft, SessionId,
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
    /// A number's text, and its value when it is a plain one.
    Num(Span, Plain),
    Bool(bool),
}

/// The value of a number read by the scan, when it has no sign and no
/// exponent, at most 18 digits and at most 15 after its point: those
/// digits as one integer (below 2^60) and, in the top four bits, how many
/// follow the point. Any other number is [`Plain::NONE`], and its text is
/// read as the strict reader reads it.
///
/// Ids, counts, hours and figures are such numbers in every export, so the
/// row's build takes them from here instead of reading their digits again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Plain(u64);

impl Plain {
    const NONE: Plain = Plain(u64::MAX);
    const DIGITS: u64 = (1 << 60) - 1;

    /// `digits` with `scale` of them after the point, when both fit.
    #[inline]
    fn new(digits: u64, count: u32, scale: u32) -> Plain {
        if count > 18 || scale > 15 {
            return Plain::NONE;
        }
        Plain(digits | u64::from(scale) << 60)
    }

    /// The whole number, when the text had no point.
    #[inline]
    fn whole(self) -> Option<u64> {
        (self != Plain::NONE && self.0 >> 60 == 0).then_some(self.0)
    }

    /// The number as `value::decimal` reads its text.
    #[inline]
    fn decimal(self) -> Option<Decimal> {
        (self != Plain::NONE).then(|| {
            // Below 2^60, so the cast keeps every digit.
            Decimal::new((self.0 & Plain::DIGITS) as i64, (self.0 >> 60) as u32)
        })
    }
}

/// The rate object, as it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum RateCell {
    #[default]
    Absent,
    Null,
    /// A rate learnt before, by its place in [`Rates`].
    Known(usize),
    /// A rate not learnt yet: the strict reader makes it.
    Object(Span),
}

/// TeamUp's figure: a scalar, or an object whose cells are
/// [`Spans::pay_decimal`], [`Spans::pay_string`] and [`Spans::pay_code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum PayCell {
    #[default]
    Absent,
    Scalar(Scalar),
    Object,
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
    pay_decimal: Scalar,
    pay_string: Scalar,
    pay_code: Scalar,
}

impl Spans {
    /// The cell of `field`; `None` for a field the fast path does not keep
    /// as a scalar (names of offering types, the rate's parts, the pay).
    fn cell(&mut self, field: Field) -> Option<&mut Scalar> {
        Some(match field {
            Field::Id => &mut self.id,
            Field::Name => &mut self.name,
            Field::OfferingTypeId => &mut self.offering_type_id,
            Field::InstructorId => &mut self.instructor_id,
            Field::InstructorName => &mut self.instructor_name,
            Field::StartsAt => &mut self.starts_at,
            Field::VenueId => &mut self.venue_id,
            Field::VenueName => &mut self.venue_name,
            Field::VenueTimezone => &mut self.venue_timezone,
            Field::MaxOccupancy => &mut self.max_occupancy,
            Field::Hours => &mut self.hours,
            Field::Attended => &mut self.attended,
            Field::NoShows => &mut self.no_shows,
            Field::LateCancels => &mut self.late_cancels,
            Field::Comped => &mut self.comped,
            Field::SessionType => &mut self.session_type,
            Field::Pending => &mut self.pending,
            Field::OfferingTypeName
            | Field::RateId
            | Field::RateName
            | Field::RateType
            | Field::RateBase
            | Field::RateTiers
            | Field::Pay
            | Field::PayCurrency => return None,
        })
    }
}

/// What the scan does with one value of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// A scalar, kept as its field's cell.
    Cell(Field),
    /// A scalar that must be null (`offering_type` or `comped_counts` that
    /// is not an object), kept as its field's cell.
    Null(Field),
    /// One of the `instructor_pay` object's scalars.
    PayDecimal,
    PayString,
    PayCode,
    /// `instructor_pay_rate`: an object, or null.
    Rate,
    /// `instructor_pay` as a scalar.
    PayScalar,
    /// `instructor_pay` is an object; this takes none of its text (its
    /// cells follow).
    PayObject,
    /// A value payroll does not read, validated and passed over at this
    /// depth.
    Skip(usize),
}

/// One value the row scan read: where it stood and what it was.
#[derive(Debug, Clone, Copy)]
struct Step {
    start: usize,
    end: usize,
    slot: Slot,
}

/// The shape of a row read before: its text between values (keys,
/// punctuation and white space, to the byte) and what each value is.
///
/// A row whose text between its values is the same, byte for byte, has the
/// same keys in the same objects, so none is doubled; only its values need
/// reading, each as its [`Slot`] says (and validated as the full scan would).
/// A row that differs anywhere is read by the full scan.
#[derive(Debug)]
struct Shape {
    /// The text between values, one piece after another.
    text: Box<[u8]>,
    /// Where each piece ends in `text`, and the value that follows it; the
    /// last piece (the row's end) follows the last value.
    steps: Box<[(usize, Slot)]>,
    /// Rows read by this shape, to keep the busiest first.
    hits: u64,
}

/// Row shapes remembered at most.
const SHAPE_LIMIT: usize = 4;

/// A learnt rate is looked for by this many first bytes of its text.
const HEAD: usize = 24;

/// A rate's raw text and the rate the strict reader made of it (`None`
/// where it found no rate in that object).
type Learnt = (Box<[u8]>, Option<Arc<PayRate>>);

/// Rates learnt from the strict reader, by the raw text of their object.
#[derive(Debug, Default)]
struct Rates {
    learnt: Vec<Learnt>,
    by_text: FxHashMap<Box<[u8]>, usize>,
    /// The rates whose text is at least [`HEAD`] bytes long, by those bytes
    /// (a few each).
    by_head: FxHashMap<[u8; HEAD], Vec<usize>>,
}

impl Rates {
    /// The learnt rate whose text `b` starts with, and that text's length.
    /// A rate's text is a whole object, so the object at the start of `b` is
    /// that text and ends with it.
    #[inline]
    fn at_start(&self, b: &[u8]) -> Option<(usize, usize)> {
        let head: [u8; HEAD] = b.get(..HEAD)?.try_into().ok()?;
        self.by_head.get(&head)?.iter().find_map(|&i| {
            let (text, _) = self.learnt.get(i)?;
            b.starts_with(text).then_some((i, text.len()))
        })
    }

    fn insert(&mut self, text: &[u8], rate: Option<Arc<PayRate>>) {
        if self.learnt.len() >= RATE_LIMIT || self.by_text.contains_key(text) {
            return;
        }
        let at = self.learnt.len();
        self.learnt.push((text.into(), rate));
        self.by_text.insert(text.into(), at);
        if let Some(head) = text.get(..HEAD).and_then(|h| <[u8; HEAD]>::try_from(h).ok()) {
            let same = self.by_head.entry(head).or_default();
            if same.len() < 8 {
                same.push(at);
            }
        }
    }
}

/// What the fast path could not do with a row: the strict reader reads it,
/// and the rate it makes may be learnt under `rate`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Declined {
    rate: Option<Span>,
    /// One past the row's closing brace, when the scan got that far.
    pub(crate) end: Option<usize>,
}

/// Whether `a` and `b` hold the same bytes. The texts between a row's values
/// are mostly 4 to 32 bytes: those are compared by their first and last 16,
/// 8 or 4 bytes (overlapping in the middle), in line, without a call.
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if a.len() > 32 {
        return a == b;
    }
    same_ends::<16>(a, b)
        .or_else(|| same_ends::<8>(a, b))
        .or_else(|| same_ends::<4>(a, b))
        .unwrap_or_else(|| a.iter().zip(b).all(|(x, y)| x == y))
}

/// Whether the first `N` and the last `N` bytes of `a` and `b` are the
/// same; `None` when either is shorter than `N`.
#[inline(always)]
fn same_ends<const N: usize>(a: &[u8], b: &[u8]) -> Option<bool> {
    Some(a.first_chunk::<N>()? == b.first_chunk::<N>()? && a.last_chunk::<N>()? == b.last_chunk::<N>()?)
}

/// A validating scanner over one JSON text.
struct Scan<'a> {
    b: &'a [u8],
    pos: usize,
    /// Keys of the objects open now, for the doubled-key check.
    keys: &'a mut Vec<(usize, usize)>,
}

impl<'a> Scan<'a> {
    /// A scan of `b` from its start; `keys` (emptied) holds the keys of the
    /// objects open as it goes.
    fn new(b: &'a [u8], keys: &'a mut Vec<(usize, usize)>) -> Scan<'a> {
        keys.clear();
        Scan { b, pos: 0, keys }
    }

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
            i = next_special(b, i);
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

    /// A number at `pos`, held to JSON's grammar, and its [`Plain`] value.
    fn number(&mut self) -> Option<(Span, Plain)> {
        let start = self.pos;
        let b = self.b;
        let mut i = start;
        let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
        // The digits as one integer (wrapping: past 18 digits it is not
        // used), and how many there are.
        let mut digits = 0u64;
        let mut count = 0u32;
        let negative = b.get(i) == Some(&b'-');
        if negative {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') => {
                i += 1;
                count = 1;
            }
            Some(b'1'..=b'9') => take_digits(b, &mut i, &mut digits, &mut count),
            _ => return None,
        }
        let whole = count;
        if b.get(i) == Some(&b'.') {
            i += 1;
            if !digit(i) {
                return None;
            }
            take_digits(b, &mut i, &mut digits, &mut count);
        }
        let mut plain = if negative {
            Plain::NONE
        } else {
            Plain::new(digits, count, count - whole)
        };
        if matches!(b.get(i), Some(b'e' | b'E')) {
            plain = Plain::NONE;
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
        Some((Span { start, end: i }, plain))
    }

    /// `word` at `pos`, passed over.
    #[inline]
    fn literal(&mut self, word: &[u8]) -> Option<()> {
        if same_bytes(self.b.get(self.pos..self.pos + word.len())?, word) {
            self.pos += word.len();
            Some(())
        } else {
            None
        }
    }

    /// A scalar value; an array or object is declined.
    // Always inlined: the call and its returned value cost more than a
    // number or a short string takes to read.
    #[inline(always)]
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
            _ => {
                let (span, plain) = self.number()?;
                Scalar::Num(span, plain)
            }
        })
    }

    /// Any value, validated and passed over.
    fn skip(&mut self, depth: usize) -> Option<()> {
        self.ws();
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' => self.object(depth + 1, |scan, _| scan.skip(depth + 1)),
            b'[' => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                self.array(|scan| scan.skip(depth + 1))
            }
            _ => self.scalar().map(drop),
        }
    }

    /// An array at `pos`: each element is read by `element`, which starts
    /// at the element's first byte or at the white space before it.
    fn array(&mut self, mut element: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.eat(b'[')?;
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Some(());
        }
        loop {
            element(self)?;
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

/// Passes over the digits of `b` from `i`, adding each to `digits`
/// (wrapping: a [`Plain`] value takes at most 18) and counting them.
#[inline(always)]
fn take_digits(b: &[u8], i: &mut usize, digits: &mut u64, count: &mut u32) {
    while let Some(d) = b.get(*i).map(|c| c.wrapping_sub(b'0')).filter(|d| *d < 10) {
        *digits = digits.wrapping_mul(10).wrapping_add(u64::from(d));
        // Saturating: a number of four billion digits must not count as a few.
        *count = count.saturating_add(1);
        *i += 1;
    }
}

/// Where to look for the first quote, backslash or control character of
/// `b` from `at`: eight bytes at a time up to the word that holds one, which
/// gives its place; within the last few bytes of `b`, `at` itself, for the
/// caller to read them one by one.
#[inline]
fn next_special(b: &[u8], mut at: usize) -> usize {
    while let Some(word) = b.get(at..at + 8) {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        let found = special(u64::from_le_bytes(bytes));
        if found != 0 {
            return at + (found.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    at
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

/// Whether `t` is empty or white space alone, as `t.trim().is_empty()`
/// says, without trimming a text that starts with a plain ASCII character.
#[inline]
fn blank(t: &str) -> bool {
    match t.as_bytes().first() {
        None => true,
        Some(&c) if c.is_ascii() && !c.is_ascii_whitespace() && c != 0x0b => false,
        Some(_) => t.trim().is_empty(),
    }
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

/// Reads the value at `pos` as `slot` says, into `spans`.
#[inline(always)]
fn read_value(scan: &mut Scan<'_>, spans: &mut Spans, slot: Slot, rates: &Rates) -> Option<()> {
    match slot {
        Slot::Cell(field) => *spans.cell(field)? = scan.scalar()?,
        Slot::Null(field) => {
            if scan.scalar()? != Scalar::Null {
                return None;
            }
            *spans.cell(field)? = Scalar::Null;
        }
        Slot::PayDecimal => spans.pay_decimal = scan.scalar()?,
        Slot::PayString => spans.pay_string = scan.scalar()?,
        Slot::PayCode => spans.pay_code = scan.scalar()?,
        Slot::Rate => {
            scan.ws();
            let start = scan.pos;
            if scan.peek()? != b'{' {
                if scan.scalar()? != Scalar::Null {
                    return None;
                }
                spans.rate = RateCell::Null;
            } else if let Some((known, len)) = rates.at_start(&scan.b[start..]) {
                // The text of a rate already learnt was checked whole when
                // it was learnt: the same text needs no reading again.
                scan.pos = start + len;
                spans.rate = RateCell::Known(known);
            } else {
                let known = object_end(scan.b, start)
                    .and_then(|end| Some((end, *rates.by_text.get(&scan.b[start..end])?)));
                spans.rate = match known {
                    Some((end, known)) => {
                        scan.pos = end;
                        RateCell::Known(known)
                    }
                    None => RateCell::Object(scan.raw(1)?),
                };
            }
        }
        Slot::PayScalar => spans.pay = PayCell::Scalar(scan.scalar()?),
        Slot::PayObject => spans.pay = PayCell::Object,
        Slot::Skip(depth) => scan.skip(depth)?,
    }
    Some(())
}

/// Reads the spans of the row object at `pos` key by key, leaving `pos`
/// just after it, and notes each value it read in `trace`; `None` declines
/// the row.
fn scan_row(scan: &mut Scan<'_>, spans: &mut Spans, trace: &mut Vec<Step>, rates: &Rates) -> Option<()> {
    let mut read = |scan: &mut Scan<'_>, slot: Slot| -> Option<()> {
        scan.ws();
        let start = scan.pos;
        read_value(scan, spans, slot, rates)?;
        trace.push(Step {
            start,
            end: scan.pos,
            slot,
        });
        Some(())
    };
    scan.object(1, |scan, key| match key {
        b"id" => read(scan, Slot::Cell(Field::Id)),
        b"name" => read(scan, Slot::Cell(Field::Name)),
        b"starts_at" => read(scan, Slot::Cell(Field::StartsAt)),
        b"venue_timezone" => read(scan, Slot::Cell(Field::VenueTimezone)),
        b"max_occupancy" => read(scan, Slot::Cell(Field::MaxOccupancy)),
        b"hours" => read(scan, Slot::Cell(Field::Hours)),
        b"attended_count" => read(scan, Slot::Cell(Field::Attended)),
        b"no_show_count" => read(scan, Slot::Cell(Field::NoShows)),
        b"late_cancel_count" => read(scan, Slot::Cell(Field::LateCancels)),
        b"session_type" => read(scan, Slot::Cell(Field::SessionType)),
        b"instructor_pay_calculation_pending" => read(scan, Slot::Cell(Field::Pending)),
        b"instructor_pay_rate" => read(scan, Slot::Rate),
        b"offering_type" => null_or_object(scan, &mut read, b"id", Field::OfferingTypeId),
        b"instructor" => scan.object(2, |scan, key| match key {
            b"id" => read(scan, Slot::Cell(Field::InstructorId)),
            b"name" => read(scan, Slot::Cell(Field::InstructorName)),
            _ => read(scan, Slot::Skip(2)),
        }),
        b"venue" => scan.object(2, |scan, key| match key {
            b"id" => read(scan, Slot::Cell(Field::VenueId)),
            b"name" => read(scan, Slot::Cell(Field::VenueName)),
            b"timezone" => None,
            _ => read(scan, Slot::Skip(2)),
        }),
        b"comped_counts" => null_or_object(scan, &mut read, b"attended", Field::Comped),
        b"instructor_pay" => {
            scan.ws();
            if scan.peek()? != b'{' {
                return read(scan, Slot::PayScalar);
            }
            read(scan, Slot::PayObject)?;
            scan.object(2, |scan, key| match key {
                b"decimal" => read(scan, Slot::PayDecimal),
                b"string" => read(scan, Slot::PayString),
                b"iso_currency_code" => read(scan, Slot::PayCode),
                _ => read(scan, Slot::Skip(2)),
            })
        }
        other => {
            if names_a_field(other) {
                return None;
            }
            read(scan, Slot::Skip(1))
        }
    })
}

/// `offering_type` and `comped_counts`: null, or an object of which only
/// `wanted` is kept, as `field`'s cell.
fn null_or_object<'a>(
    scan: &mut Scan<'a>,
    read: &mut impl FnMut(&mut Scan<'a>, Slot) -> Option<()>,
    wanted: &[u8],
    field: Field,
) -> Option<()> {
    scan.ws();
    if scan.peek()? == b'n' {
        return read(scan, Slot::Null(field));
    }
    scan.object(2, |scan, key| {
        let slot = if key == wanted {
            Slot::Cell(field)
        } else {
            Slot::Skip(2)
        };
        read(scan, slot)
    })
}

impl Shape {
    /// The shape of the row `b[..end]` whose values `trace` lists in order.
    fn of(b: &[u8], end: usize, trace: &[Step]) -> Option<Shape> {
        let mut text = Vec::with_capacity(end);
        let mut steps = Vec::with_capacity(trace.len());
        let mut from = 0;
        for step in trace {
            text.extend_from_slice(b.get(from..step.start)?);
            steps.push((text.len(), step.slot));
            from = step.end;
        }
        text.extend_from_slice(b.get(from..end)?);
        Some(Shape {
            text: text.into(),
            steps: steps.into(),
            hits: 0,
        })
    }

    /// Reads the row at `pos` if its text between values is this shape's,
    /// leaving `pos` just after it; `None` when it is not (or a value is
    /// one the full scan would decline).
    #[inline]
    fn read(&self, scan: &mut Scan<'_>, spans: &mut Spans, rates: &Rates) -> Option<()> {
        let mut from = 0;
        for &(to, slot) in self.steps.iter() {
            scan.literal(self.text.get(from..to)?)?;
            read_value(scan, spans, slot, rates)?;
            from = to;
        }
        scan.literal(self.text.get(from..)?)
    }
}

/// The fast reader's caches: names, zones and rates, each parsed once, and
/// the shapes of the rows read so far.
#[derive(Debug)]
pub(crate) struct FastJson {
    keep: Names,
    names: FxHashMap<Box<str>, Arc<str>>,
    zones: FxHashMap<Box<str>, Tz>,
    rates: Rates,
    /// The busiest first.
    shapes: Vec<Shape>,
    keys: Vec<(usize, usize)>,
    trace: Vec<Step>,
    scratch: String,
}

impl FastJson {
    pub(crate) fn new(keep: Names) -> FastJson {
        FastJson {
            keep,
            names: FxHashMap::default(),
            zones: FxHashMap::default(),
            rates: Rates::default(),
            shapes: Vec::new(),
            keys: Vec::new(),
            trace: Vec::new(),
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
        let end = match self.scan(b, &mut spans) {
            Some(end) => end,
            None => return Err(declined),
        };
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

    /// Reads the spans of the row object at the start of `b`, by a shape
    /// read before when its text fits one and key by key otherwise (then
    /// keeping its shape), and says where the row ends; `None` declines it.
    fn scan(&mut self, b: &[u8], spans: &mut Spans) -> Option<usize> {
        let mut scan = Scan::new(b, &mut self.keys);
        for i in 0..self.shapes.len() {
            if self.shapes[i].read(&mut scan, spans, &self.rates).is_some() {
                self.shapes[i].hits += 1;
                if i > 0 && self.shapes[i].hits > self.shapes[i - 1].hits {
                    self.shapes.swap(i, i - 1);
                }
                return Some(scan.pos);
            }
            scan.pos = 0;
            *spans = Spans::default();
        }
        scan.keys.clear();
        self.trace.clear();
        scan_row(&mut scan, spans, &mut self.trace, &self.rates)?;
        let end = scan.pos;
        if let Some(shape) = Shape::of(b, end, &self.trace) {
            if self.shapes.len() == SHAPE_LIMIT {
                self.shapes.pop();
            }
            self.shapes.push(shape);
        }
        Some(end)
    }

    /// Keeps the rate the strict reader made of a row this path declined.
    pub(crate) fn learn(&mut self, line: &[u8], declined: Declined, row: &ParsedRow) {
        if let Some(span) = declined.rate {
            if let Some(raw) = line.get(span.start..span.end) {
                self.rates.insert(raw, row.draft.rate.clone());
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
                    Some((!blank(t)).then_some(t))
                }
                Scalar::Num(span, _) => Some(Some(text.get(span.start..span.end)?)),
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
        // A number's value as the scan read it, when it is plain; what its
        // text reads as otherwise (the same value: the tests hold them to it).
        let whole = |v: Scalar| match v {
            Scalar::Num(_, plain) => plain.whole(),
            _ => None,
        };
        let an_id = |v: Scalar| whole(v).or_else(|| value::id(req(v)?).ok());
        let decimal = |v: Scalar| -> Option<Decimal> {
            match v {
                Scalar::Num(_, plain) => plain.decimal(),
                _ => None,
            }
            .or_else(|| value::decimal(req(v)?).ok())
        };
        let count = |v: Scalar| -> Option<u32> {
            if let Some(n) = whole(v) {
                return u32::try_from(n).ok();
            }
            present(v)?;
            match opt(v)? {
                None => Some(0),
                Some(t) => value::count(t).ok(),
            }
        };
        let id = an_id(s.id)?;
        if opt(s.offering_type_id)?.is_some() {
            an_id(s.offering_type_id)?;
        }
        if opt(s.max_occupancy)?.is_some() {
            count(s.max_occupancy)?;
        }
        let instructor = an_id(s.instructor_id)?;
        let venue = an_id(s.venue_id)?;
        let zone = self.zone(req(s.venue_timezone)?.trim())?;
        let starts_at = value::starts_at(req(s.starts_at)?).ok()?;
        let hours = decimal(s.hours)?;
        if hours.is_sign_negative() && !hours.is_zero() {
            return None;
        }
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
            RateCell::Known(known) => self.rates.learnt.get(known)?.1.clone(),
            // Not learnt yet: the strict reader makes it.
            RateCell::Object(_) => return None,
        };
        let mut evidence = CurrencyEvidence::default();
        let reported = match s.pay {
            PayCell::Absent => return None,
            PayCell::Scalar(Scalar::Null) => None,
            PayCell::Scalar(v @ Scalar::Num(..)) => Some(decimal(v)?),
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
            PayCell::Object => {
                let (pay_decimal, string, code) = (s.pay_decimal, s.pay_string, s.pay_code);
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
                        let trimmed = code.trim();
                        if trimmed.len() != code.len() && Currency::try_from_code(trimmed).ok()? != reported {
                            return None;
                        }
                        evidence.reported_code = Some(reported);
                    }
                    _ => return None,
                }
                match pay_decimal {
                    Scalar::Num(..) | Scalar::Str(_, false) => Some(decimal(pay_decimal)?),
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
            Names::All => (
                Name::from(self.name(text, s.name)?),
                Name::from(self.name(text, s.venue_name)?),
            ),
            Names::InstructorOnly => (Name::default(), Name::default()),
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
            Scalar::Str(span, false) | Scalar::Num(span, _) => text.get(span.start..span.end)?,
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
        at = next_special(b, at);
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
    let mut scan = Scan::new(bytes, keys);
    let mut saw_rows = false;
    let mut total = None;
    scan.object(0, |scan, key| {
        match key {
            b"rows" => {
                saw_rows = true;
                scan.array(|scan| {
                    scan.ws();
                    if scan.peek()? != b'{' {
                        return None;
                    }
                    scan.pos = on_row(scan.pos)?;
                    Some(())
                })?;
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
    let mut scan = Scan::new(bytes, keys);
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
            Scalar::Num(span, _) => {
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

    /// What the scan reads of `text` as a number: its span's end and value.
    fn scanned(text: &str) -> Option<(usize, Plain)> {
        let mut keys = Vec::new();
        let mut scan = Scan::new(text.as_bytes(), &mut keys);
        scan.number().map(|(span, plain)| (span.end, plain))
    }

    #[test]
    fn a_plain_number_is_one_without_sign_or_exponent_and_of_few_digits() {
        let plain = |t: &str| scanned(t).map(|(_, p)| p);
        assert_eq!(plain("1062").and_then(Plain::whole), Some(1062));
        assert_eq!(plain("0").and_then(Plain::whole), Some(0));
        assert_eq!(
            plain("49.13").and_then(Plain::decimal).map(|d| d.to_string()),
            Some("49.13".into())
        );
        assert_eq!(
            plain("0.750").and_then(Plain::decimal).map(|d| d.to_string()),
            Some("0.750".into())
        );
        assert_eq!(plain("1.5").and_then(Plain::whole), None);
        for t in ["-3", "1e2", "2.5E-1", "1234567890123456789", "0.1234567890123456"] {
            assert_eq!(plain(t), Some(Plain::NONE), "{t}");
        }
        assert_eq!(
            plain("123456789012345678").and_then(Plain::whole),
            Some(123_456_789_012_345_678)
        );
        assert_eq!(plain("01"), None, "a leading zero is not JSON");
    }

    proptest::proptest! {
        /// The value the scan gives a number is the one its text reads as,
        /// to the scale, as an id, a count and a decimal.
        #[test]
        fn a_plain_number_has_the_value_its_text_reads_as(
            text in "-?(0|[1-9][0-9]{0,20})(\\.[0-9]{1,18})?([eE][+-]?[0-9]{1,2})?",
        ) {
            let (end, plain) = scanned(&text).expect("the pattern is JSON's number");
            proptest::prop_assert_eq!(end, text.len());
            if let Some(d) = plain.decimal() {
                let read = value::decimal(&text).expect("a plain number reads as a decimal");
                proptest::prop_assert_eq!((d.mantissa(), d.scale()), (read.mantissa(), read.scale()));
            }
            match plain.whole() {
                Some(n) => {
                    proptest::prop_assert_eq!(value::id(&text), Ok(n));
                    proptest::prop_assert_eq!(value::count(&text).ok(), u32::try_from(n).ok());
                }
                None => proptest::prop_assert!(
                    plain == Plain::NONE || text.contains('.'),
                    "only a number with a point, or one that is not plain, has no whole value"
                ),
            }
        }
    }

    #[test]
    fn texts_compare_as_their_bytes_do_at_every_length_and_place() {
        let text: Vec<u8> = (0..48u8).map(|i| b'a' + i % 26).collect();
        for n in 0..=text.len() {
            let a = &text[..n];
            assert!(same_bytes(a, &text[..n]), "{n}");
            for at in 0..n {
                let mut b = a.to_vec();
                b[at] ^= 0x20;
                assert!(!same_bytes(a, &b), "{n} bytes, byte {at} differs");
            }
            if n > 0 {
                assert!(!same_bytes(a, &text[..n - 1]), "{n} against one byte fewer");
                assert!(!same_bytes(&text[1..n], &text[..n - 1]) || n == 1, "{n} shifted");
            }
        }
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
    fn blank_is_trim_is_empty() {
        let mut texts: Vec<String> = [
            "", " ", "a", " a", "a ", "\u{a0}", "\u{a0}x", "\u{3000}", "\u{b}", "\u{1c}", "é", "\t\n",
        ]
        .iter()
        .map(|t| t.to_string())
        .collect();
        texts.extend((0..=0x7fu8).map(|c| char::from(c).to_string()));
        for t in texts {
            assert_eq!(blank(&t), t.trim().is_empty(), "{t:?}");
        }
    }

    #[test]
    fn a_literal_is_taken_only_when_every_byte_is_the_same() {
        let text = b"{\"id\": 1, \"name\": \"x\"}";
        for len in 0..=text.len() {
            let mut keys = Vec::new();
            let mut scan = Scan::new(text, &mut keys);
            assert_eq!(scan.literal(&text[..len]), Some(()), "{len}");
            assert_eq!(scan.pos, len);
            for at in 0..len {
                let mut word = text[..len].to_vec();
                word[at] ^= 1;
                scan.pos = 0;
                assert_eq!(scan.literal(&word), None, "{len} {at}");
                assert_eq!(scan.pos, 0);
            }
        }
        let mut keys = Vec::new();
        let mut scan = Scan::new(text, &mut keys);
        scan.pos = 20;
        assert_eq!(scan.literal(b"\"x\"} and more"), None);
    }

    #[test]
    fn strings_end_at_their_quote_and_decline_controls_and_unicode_escapes() {
        let read = |text: &[u8]| {
            let mut keys = Vec::new();
            let mut scan = Scan::new(text, &mut keys);
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

    /// A row of the generated export's shape, with a rate object or `null`.
    fn teacher(rate: &str) -> String {
        format!(
            "{{\"id\": 1000000, \"name\": \"The \\\"Big\\\" Stretch\", \"offering_type\": {{\"id\": 8, \"name\": \"Stretch\"}}, \
             \"instructor\": {{\"id\": 1012, \"name\": \"Ana M\u{fc}ller\", \"thumbnail_url\": \"https://cdn.example.test/i/1012.png\"}}, \
             \"starts_at\": \"2026-08-01T19:00:00Z\", \"venue\": {{\"id\": 105, \"name\": \"Phoenix\"}}, \
             \"venue_timezone\": \"America/Phoenix\", \"max_occupancy\": 8, \"hours\": 1.5, \"attended_count\": 7, \
             \"no_show_count\": 0, \"late_cancel_count\": 0, \"comped_counts\": {{\"attended\": 1}}, \
             \"session_type\": \"class\", \"instructor_pay_rate\": {rate}, \
             \"instructor_pay\": {{\"decimal\": 36.0, \"string\": \"$36.00\", \"iso_currency_code\": \"usd\", \
             \"currency_symbol\": \"$\"}}, \"instructor_pay_calculation_pending\": false}}"
        )
    }

    const RATE: &str =
        r#"{"id": 10, "name": "Phoenix per hour #10", "type": "per_hour", "base": "24.00", "tiers": []}"#;

    /// Two fast readers that know the rate of `teacher`: one has read
    /// `teacher` (and keeps its shape), the other has read nothing.
    fn taught_and_fresh(teacher: &[u8]) -> (FastJson, FastJson) {
        let location = Location::Ndjson { line: 1, byte: 0 };
        let mut taught = FastJson::new(Names::All);
        let mut fresh = FastJson::new(Names::All);
        if let Err(declined) = taught.row(teacher, location) {
            let (value, doubled) = crate::json::from_slice(teacher).unwrap();
            assert_eq!(doubled, None);
            let mut strict = crate::row::RowParser::new(Names::All);
            let row = crate::strict::parse_strict_row(
                &value,
                std::path::Path::new("t.ndjson"),
                location,
                &mut strict,
            )
            .unwrap();
            taught.learn(teacher, declined, &row);
            fresh.learn(teacher, declined, &row);
        }
        assert_eq!(taught.shapes.len(), 1);
        assert!(fresh.shapes.is_empty());
        (taught, fresh)
    }

    /// What a reader makes of `row`: its `Debug` text, or `None` when declined.
    fn read(fast: &mut FastJson, row: &[u8]) -> Option<String> {
        let location = Location::Ndjson { line: 2, byte: 0 };
        fast.row(row, location).ok().map(|r| format!("{r:?}"))
    }

    #[test]
    fn a_row_of_a_known_shape_is_read_by_it_and_as_the_full_scan_reads_it() {
        for rate in [RATE, "null"] {
            let teacher = teacher(rate);
            let (mut taught, mut fresh) = taught_and_fresh(teacher.as_bytes());
            let other = teacher
                .replace("1000000", "1000001")
                .replace("\"Stretch\"", "\"Yin \\\\ Yang\"")
                .replace("1.5", "\"0.75\"")
                .replace("\"no_show_count\": 0", "\"no_show_count\": null")
                .replace("36.0", "18");
            assert_ne!(other, teacher);
            let by_shape = read(&mut taught, other.as_bytes());
            assert!(by_shape.is_some(), "{rate}");
            assert_eq!(taught.shapes[0].hits, 1, "{rate}: read by the shape");
            assert_eq!(by_shape, read(&mut fresh, other.as_bytes()), "{rate}");
        }
    }

    #[test]
    fn a_row_unlike_every_shape_is_read_in_full_and_its_shape_kept() {
        let teacher = teacher(RATE);
        let (mut taught, mut fresh) = taught_and_fresh(teacher.as_bytes());
        for other in [
            teacher.replace("\"max_occupancy\": 8, ", ""),
            teacher.replace(", \"name\": \"Phoenix\"", ""),
            teacher.replace("\"hours\": 1.5", "\"hours\":1.5"),
            teacher.replace("\"comped_counts\": {\"attended\": 1}", "\"comped_counts\": null"),
        ] {
            let before = taught.shapes.len();
            let row = read(&mut taught, other.as_bytes());
            assert!(row.is_some(), "{other}");
            assert_eq!(row, read(&mut fresh, other.as_bytes()), "{other}");
            assert_eq!(taught.shapes.len(), (before + 1).min(SHAPE_LIMIT), "{other}");
        }
        // A value the full scan would refuse is refused by the shape too.
        for other in [
            teacher.replace("\"hours\": 1.5", "\"hours\": {\"a\": 1}"),
            teacher.replace("\"hours\": 1.5", "\"hours\": 1.5.5"),
            teacher.replace("\"Phoenix\"", "\"Pho\\u0065nix\""),
            teacher.replace("\"comped_counts\": {\"attended\": 1}", "\"comped_counts\": 1"),
            teacher.replace(
                "\"currency_symbol\": \"$\"",
                "\"currency_symbol\": {\"a\": 1, \"a\": 2}",
            ),
        ] {
            assert_eq!(read(&mut taught, other.as_bytes()), None, "{other}");
            assert_eq!(read(&mut fresh, other.as_bytes()), None, "{other}");
        }
    }

    proptest::proptest! {
        /// Any edit of a row of a known shape is read by the reader that
        /// knows the shape as a reader that does not reads it.
        #[test]
        fn an_edited_row_is_read_as_the_full_scan_reads_it(
            null_rate: bool,
            edits in proptest::collection::vec(
                (0usize..2000, 0u8..3, proptest::sample::select(
                    b"\"\\{}[],: 09-.entfalsu\x01\xc3\xa9".to_vec()
                )),
                1..4,
            ),
        ) {
            let teacher = teacher(if null_rate { "null" } else { RATE });
            let (mut taught, mut fresh) = taught_and_fresh(teacher.as_bytes());
            let mut row = teacher.into_bytes();
            for (at, op, byte) in edits {
                let at = at % row.len();
                match op {
                    0 => row[at] = byte,
                    1 => row.insert(at, byte),
                    _ => {
                        row.remove(at);
                    }
                }
            }
            proptest::prop_assert_eq!(read(&mut taught, &row), read(&mut fresh, &row));
        }
    }
}
