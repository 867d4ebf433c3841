//! The checks behind every fuzz target, one function per target.
//!
//! Shared by the fuzz targets (`fuzz/fuzz_targets/*.rs`) and by the corpus
//! test (`crates/sessionpay-io/tests/corpus.rs`), which both include this file
//! with `#[path]`, so a seed in `fuzz/seeds/<target>/` fails the same way under
//! `cargo test` as under `cargo fuzz`. A check returns normally for any input
//! and panics only when it finds a bug: a panic inside the parsers, or a
//! property that does not hold.

// Each fuzz target uses one function.
#![allow(dead_code)]

use std::io::{self, Read};
use std::path::Path;

use sessionpay_core::rust_decimal::Decimal;
use sessionpay_core::RateKind;
use sessionpay_io::{fuzz, parse_policy, Error, ParsedRow, Reader, Rejected, Shape, Sinks};

/// A [`Reader`] on CSV: rows are sane; reading in small chunks gives the same
/// rows and error as reading all at once; reading on past bad rows
/// (`--keep-going`) gives the same rows up to the first bad one, which is
/// the error that stops a normal read.
pub(crate) fn csv_rows(data: &[u8]) {
    rows_agree(data, Some(Shape::Csv), "fuzz.csv");
}

/// A [`Reader`] on one JSON response, as [`csv_rows`].
pub(crate) fn json_rows(data: &[u8]) {
    rows_agree(data, Some(Shape::Json), "fuzz.json");
}

/// A [`Reader`] on NDJSON, as [`csv_rows`].
pub(crate) fn ndjson_rows(data: &[u8]) {
    rows_agree(data, Some(Shape::Ndjson), "fuzz.ndjson");
}

/// A [`Reader`] without a shape, as standard input is read: rows are sane, and
/// reading in small chunks (a pipe) gives what reading all at once gives.
pub(crate) fn sniffed(data: &[u8]) {
    rows_agree(data, None, "<stdin>");
}

/// The fast JSON row path against the strict one, line by line: a row the
/// fast path takes is the row the strict reader makes of it, never one it
/// refuses. And the whole input as one response, read by the page scan, by
/// the stream and by the strict reader: the same rows, errors and end.
pub(crate) fn json_fast(data: &[u8]) {
    // The whole input as one JSON response: held whole as a page, streamed
    // as a large file, and read strictly, the three read the same.
    let [page, streamed, strict] = fuzz::json_response_paths(data);
    assert_eq!(
        page,
        strict,
        "a page read fast and strictly differ on {:?}",
        String::from_utf8_lossy(data)
    );
    assert_eq!(
        streamed,
        strict,
        "a response streamed and read strictly differ on {:?}",
        String::from_utf8_lossy(data)
    );
    for line in data.split_inclusive(|&b| b == b'\n') {
        let (fast, strict) = fuzz::json_row_paths(line);
        fast_is_strict(line, fast, strict);
    }
    // And the lines in turn by one reader, as a file's rows are read: a row
    // read by the shape of an earlier one is still the strict reader's row.
    let lines = data.split_inclusive(|&b| b == b'\n');
    for (line, (fast, strict)) in lines.zip(fuzz::json_rows_in_turn(data)) {
        fast_is_strict(line, fast, strict);
    }
}

/// A row the fast path took is the strict reader's row, never one it refuses.
fn fast_is_strict(line: &[u8], fast: Option<String>, strict: Result<String, String>) {
    let Some(fast) = fast else { return };
    match strict {
        Ok(strict) => assert_eq!(
            fast,
            strict,
            "the paths disagree on {:?}",
            String::from_utf8_lossy(line)
        ),
        Err(e) => panic!(
            "the fast path took {:?}, which the strict reader refuses: {e}",
            String::from_utf8_lossy(line)
        ),
    }
}

/// The single-value parsers on any UTF-8 text:
/// - a money cell without a symbol or code holds an amount whose text reads
///   back through `decimal` to the same amount and scale;
/// - a plain decimal is also a money cell, with the same amount and scale;
/// - a decimal's text reads back to the same decimal;
/// - `starts_at` returns.
pub(crate) fn money_cell(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let money = fuzz::money_cell(text);
    if let Ok((amount, None, None)) = money {
        round_trips(text, amount, "money_cell");
    }
    if let Ok(decimal) = fuzz::decimal(text) {
        round_trips(text, decimal, "decimal");
        match money {
            Ok((amount, code, symbol)) => assert!(
                same(amount, decimal) && code.is_none() && symbol.is_none(),
                "{text:?} is the decimal {decimal} but the money cell {amount} ({code:?}, {symbol:?})"
            ),
            Err(e) => panic!("{text:?} is the decimal {decimal} but not a money cell: {e}"),
        }
    }
    let _ = fuzz::starts_at(text);
}

/// `parse_policy` on any UTF-8 text: when it succeeds, every amount is zero or more.
pub(crate) fn policy(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(table) = parse_policy(text, Path::new("fuzz.toml")) else {
        return;
    };
    for overrides in std::iter::once(&table.defaults).chain(table.rates.values()) {
        for amount in [overrides.empty_session_pay, overrides.max_pay]
            .into_iter()
            .flatten()
        {
            assert!(amount >= Decimal::ZERO, "{text:?} gave the amount {amount}");
        }
        if let Err(e) = overrides.validate() {
            panic!("{text:?} was accepted, but its overrides are invalid: {e}");
        }
    }
}

/// What reading an input gave: each row read, then the error that stopped it.
#[derive(Debug, PartialEq)]
struct Outcome {
    rows: Vec<String>,
    error: Option<String>,
}

/// Reads `data` whole, in chunks of a few bytes, and on past bad rows,
/// checking every row and that the reads agree.
fn rows_agree(data: &[u8], shape: Option<Shape>, name: &str) {
    let whole = read(data, shape, name, data.len().max(1));
    // The chunk size comes from the input, so the fuzzer explores it too.
    let chunk = 1 + data.len() % 7;
    let chunked = read(data, shape, name, chunk);
    assert_eq!(
        whole, chunked,
        "reading at once and in chunks of {chunk} bytes disagree"
    );

    let (going, rejects) = keep_going(data, shape, name);
    assert!(
        going.rows.starts_with(&whole.rows),
        "reading on past bad rows changed the rows before the first: {whole:?} then {going:?}"
    );
    match rejects.first() {
        None => assert_eq!(whole, going, "no row was rejected, yet reading on differs"),
        Some(first) => assert_eq!(
            whole.error.as_ref(),
            Some(first),
            "the first rejected row is not the error that stops a normal read"
        ),
    }
}

/// Reads `data` whole, setting bad rows aside as `--keep-going` does.
fn keep_going(data: &[u8], shape: Option<Shape>, name: &str) -> (Outcome, Vec<String>) {
    let mut rows = Vec::new();
    let mut rejects = Vec::new();
    let result = reader(data, shape, name).read(&mut Sinks {
        on_row: |row: ParsedRow| {
            check_row(&row);
            rows.push(format!("{row:?}"));
            Ok(())
        },
        on_reject: |rejected: Rejected| {
            rejects.push(rejected.error.to_string());
            Ok::<_, Error>(())
        },
    });
    let outcome = Outcome {
        rows,
        error: result.err().map(|e| e.to_string()),
    };
    (outcome, rejects)
}

fn read(data: &[u8], shape: Option<Shape>, name: &str, chunk: usize) -> Outcome {
    let mut rows = Vec::new();
    let result = reader(Chunks { data, chunk }, shape, name).read(&mut |row: ParsedRow| {
        check_row(&row);
        rows.push(format!("{row:?}"));
        Ok::<_, Error>(())
    });
    Outcome {
        rows,
        error: result.err().map(|e| e.to_string()),
    }
}

/// A reader of `data` named `name`, in `shape` or sniffing it.
fn reader<'a>(data: impl Read + 'a, shape: Option<Shape>, name: &'a str) -> Reader<'a> {
    let reader = Reader::bytes(data, Path::new(name));
    match shape {
        Some(shape) => reader.shape(shape),
        None => reader,
    }
}

/// Invariants of every row a reader hands out.
fn check_row(row: &ParsedRow) {
    let s = &row.draft;
    assert!(
        s.counts.comped() <= s.counts.attended(),
        "comped {} > attended {} in {row:?}",
        s.counts.comped(),
        s.counts.attended()
    );
    assert!(s.hours >= Decimal::ZERO, "negative hours in {row:?}");
    if let Some(reported) = s.reported {
        assert!(reported.scale() <= 28, "reported figure {reported} in {row:?}");
    }
    if let Some(rate) = &s.rate {
        match &rate.kind {
            RateKind::PerCustomer { base } | RateKind::PerHour { base } => {
                assert!(*base >= Decimal::ZERO, "negative base in {row:?}")
            }
            RateKind::Tiered { tiers } => {
                assert!(!tiers.as_slice().is_empty(), "no tiers in {row:?}");
                for tier in tiers.as_slice() {
                    assert!(tier.amount >= Decimal::ZERO, "negative tier in {row:?}");
                    assert!(
                        tier.upper.is_none_or(|upper| upper >= tier.lower),
                        "upper below lower in {row:?}"
                    );
                }
            }
        }
    }
}

/// `text` parsed to `value`; `value`'s own text must read back to it exactly.
fn round_trips(text: &str, value: Decimal, what: &str) {
    let printed = value.to_string();
    match fuzz::decimal(&printed) {
        Ok(back) => assert!(
            same(back, value),
            "{what}({text:?}) = {printed}, which reads back as {back}"
        ),
        Err(e) => panic!("{what}({text:?}) = {printed}, which does not read back: {e}"),
    }
}

/// The same number with the same scale (`1.50` is not `1.5` here; `-0` is `0`).
fn same(a: Decimal, b: Decimal) -> bool {
    a == b && a.scale() == b.scale()
}

/// A reader that hands out at most `chunk` bytes per call, as a pipe may.
struct Chunks<'a> {
    data: &'a [u8],
    chunk: usize,
}

impl Read for Chunks<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.chunk.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}
