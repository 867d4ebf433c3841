//! Criterion benches for sessionpay (STYLE 8): one `define(c)` per area, names `area/op/case`.
//!
//! - `pay/one_session/*`: `sessionpay_core::pay_for` on one session, per rate type.
//! - `parse/{csv,ndjson}/100k`: a `sessionpay_io::Reader` over an in-memory export (MB/s).
//! - `json/{ndjson,pages,response}/{sessionpay,sonic-rs,simd-json}/100k`: the JSON shapes read
//!   by sessionpay's own scanner, and by the two SIMD JSON parsers into the same fields (MB/s).
//! - `payroll/month/100k`: one `sessionpay_engine` run (read, settle currencies, price,
//!   reconcile) aggregating by month, as `sessionpay payroll --period month` does (sessions/s).
//!
//! Every iteration asserts its result, so a wrong answer fails the bench. The exports are made
//! once per run with the `gen-export` library (seed 1), and the payroll is checked row by row
//! against the generator's own expected payroll.
//!
//! ```text
//! cargo bench --manifest-path benches/Cargo.toml                 # real run
//! cargo bench --manifest-path benches/Cargo.toml -- --test       # each bench once (CI)
//! cargo bench --manifest-path benches/Cargo.toml -- parse/       # one area
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, SamplingMode};

/// Settings shared by every bench: short warm-up and measurement, so a full run takes about a
/// minute on 2 cores.
fn settings() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
        .noise_threshold(0.03)
}

/// For benches of 10 ms and more (a whole export): few samples, one iteration each.
fn large(group: &mut BenchmarkGroup<'_, WallTime>) {
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(5));
}

/// The synthetic exports, generated once per run.
mod data {
    use std::fs;
    use std::path::PathBuf;
    use std::sync::OnceLock;

    use sessionpay_benches::truth::Payroll as Truth;
    use sessionpay_benches::{Format, Generator, Sink, World};
    use sessionpay_core::chrono::NaiveDate;
    use sessionpay_core::rust_decimal::Decimal;
    use sessionpay_io::{ColumnMap, Input, Shape};

    pub const SESSIONS: u64 = 100_000;
    const SEED: u64 = 1;
    const START_ID: u64 = 1_000_000;

    /// One row of the generator's expected payroll (SPEC 6 columns).
    #[derive(Debug)]
    pub struct ExpectedRow {
        pub instructor: u64,
        pub name: String,
        pub currency: String,
        pub start: NaiveDate,
        pub end: NaiveDate,
        pub sessions: u64,
        pub hours: Decimal,
        pub counted: u64,
        pub computed: Decimal,
        pub reported: Decimal,
        pub difference: Decimal,
        pub mismatched: u64,
        pub pending: u64,
        pub unrated: u64,
    }

    pub struct Export {
        pub csv: Vec<u8>,
        pub ndjson: Vec<u8>,
        /// The same sessions as pages of 100 rows, in order.
        pub pages: Vec<Vec<u8>>,
        /// The same sessions as one JSON response.
        pub response: Vec<u8>,
        pub rates_toml: String,
        pub expected: Vec<ExpectedRow>,
        /// Sessions with a planted (wrong) TeamUp figure: the mismatches to find.
        pub planted: u64,
    }

    /// A scratch file or folder of this run, `name` in Cargo's temporary folder for the benches.
    fn scratch(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("sessionpay-bench-{}-{name}", std::process::id()))
    }

    /// `bytes` written to the scratch file `name`, as an input of `shape` (the caller removes
    /// the file at `path`).
    pub fn scratch_input(name: &str, bytes: &[u8], shape: Shape) -> Input {
        let path = scratch(name);
        fs::write(&path, bytes).expect("write scratch input");
        Input {
            path,
            shape: Some(shape),
            folder: None,
            columns: ColumnMap::default(),
        }
    }

    /// The 100k-session export in CSV and NDJSON, its rates.toml and expected payroll.
    pub fn export() -> &'static Export {
        static EXPORT: OnceLock<Export> = OnceLock::new();
        EXPORT.get_or_init(|| {
            let world = World::new(SEED, World::default_instructors(SESSIONS));
            let mut truth = Truth::default();
            let csv = generate(&world, Format::Csv, Some(&mut truth));
            let ndjson = generate(&world, Format::Ndjson, None);
            let pages = generate_pages(&world);
            let response = generate(&world, Format::Json, None);
            assert_eq!(truth.sessions, SESSIONS);
            let mut expected_csv = Vec::new();
            truth
                .write_csv(&world, &mut expected_csv)
                .expect("expected payroll");
            Export {
                csv,
                ndjson,
                pages,
                response,
                rates_toml: world.rates_toml(SESSIONS),
                expected: parse_expected(&String::from_utf8(expected_csv).expect("UTF-8")),
                planted: truth.planted,
            }
        })
    }

    /// The library writes to files only: generate into a scratch file and read it back.
    fn generate(world: &World, format: Format, mut truth: Option<&mut Truth>) -> Vec<u8> {
        let ext = match format {
            Format::Csv => "csv",
            Format::Json => "json",
            _ => "ndjson",
        };
        let path = scratch(&format!("export.{ext}"));
        let mut sink = Sink::new(world, format, &path, SESSIONS).expect("create scratch export");
        for s in Generator::new(world, SESSIONS, START_ID) {
            sink.write(&s).expect("write scratch export");
            if let Some(t) = truth.as_deref_mut() {
                t.add(world, &s);
            }
        }
        sink.finish().expect("write scratch export");
        let bytes = fs::read(&path).expect("read scratch export");
        fs::remove_file(&path).expect("remove scratch export");
        bytes
    }

    /// The pages, in name order.
    fn generate_pages(world: &World) -> Vec<Vec<u8>> {
        let dir = scratch("pages");
        let mut sink = Sink::new(world, Format::Pages, &dir, SESSIONS).expect("create scratch pages");
        for s in Generator::new(world, SESSIONS, START_ID) {
            sink.write(&s).expect("write scratch pages");
        }
        sink.finish().expect("write scratch pages");
        let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
            .expect("read scratch pages")
            .map(|e| e.expect("read scratch pages").path())
            .collect();
        paths.sort();
        let pages = paths
            .iter()
            .map(|p| fs::read(p).expect("read scratch page"))
            .collect();
        fs::remove_dir_all(&dir).expect("remove scratch pages");
        pages
    }

    /// Parses the generator's payroll CSV (RFC 4180: names may hold quotes and commas).
    fn parse_expected(text: &str) -> Vec<ExpectedRow> {
        let mut records = Vec::new();
        let (mut record, mut field) = (Vec::new(), String::new());
        let (mut quoted, mut chars) = (false, text.chars().peekable());
        while let Some(c) = chars.next() {
            match (quoted, c) {
                (true, '"') if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                (true, '"') => quoted = false,
                (true, c) => field.push(c),
                (false, '"') => quoted = true,
                (false, ',') => record.push(std::mem::take(&mut field)),
                (false, '\n') => {
                    record.push(std::mem::take(&mut field));
                    records.push(std::mem::take(&mut record));
                }
                (false, c) => field.push(c),
            }
        }
        assert!(
            field.is_empty() && record.is_empty(),
            "expected payroll ends mid-row"
        );
        let header = records.remove(0);
        assert_eq!(header.len(), 14, "{header:?}");
        records
            .into_iter()
            .map(|r| {
                let n = |i: usize| r[i].parse::<u64>().expect("count");
                let d = |i: usize| r[i].parse::<Decimal>().expect("decimal");
                let date = |i: usize| r[i].parse::<NaiveDate>().expect("date");
                ExpectedRow {
                    instructor: n(0),
                    name: r[1].clone(),
                    currency: r[2].clone(),
                    start: date(3),
                    end: date(4),
                    sessions: n(5),
                    hours: d(6),
                    counted: n(7),
                    computed: d(8),
                    reported: d(9),
                    difference: d(10),
                    mismatched: n(11),
                    pending: n(12),
                    unrated: n(13),
                }
            })
            .collect()
    }
}

/// `pay/one_session/*`: the pay formula of SPEC 2 on one session, per rate type.
mod pay {
    use super::*;

    use sessionpay_core::rust_decimal::Decimal;
    use sessionpay_core::{pay_for, Counts, Currency, RateKind, RatePolicy, Tier, TierMode, Tiers};

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    pub fn define(c: &mut Criterion) {
        let gbp = Currency::try_from_code("GBP").expect("GBP");
        // 12 attended, 1 comped, 2 late cancels, 1 no-show: 11 counted by default.
        let counts = Counts::try_new(12, 1, 2, 1).expect("counts");
        // TeamUp's float for 50 minutes.
        let hours = d("0.8333333333333334");
        let tier = |lower, upper, amount: &str| Tier {
            lower,
            upper,
            amount: d(amount),
            currency: None,
        };
        let tiers = Tiers::try_new(vec![
            tier(1, Some(5), "1.80"),
            tier(6, Some(10), "2.20"),
            tier(11, None, "2.90"),
        ])
        .expect("tiers");
        let slab = RatePolicy {
            tier_mode: TierMode::Slab,
            ..RatePolicy::default()
        };
        let graduated = RatePolicy {
            tier_mode: TierMode::Graduated,
            ..RatePolicy::default()
        };
        let cases = [
            // 11 × 6.75
            (
                "per_customer",
                RateKind::PerCustomer { base: d("6.75") },
                RatePolicy::default(),
                d("74.25"),
            ),
            // 30 × 0.8333333333333334 = 25.000000000000002 → 25.00
            (
                "per_hour",
                RateKind::PerHour { base: d("30") },
                RatePolicy::default(),
                d("25.00"),
            ),
            // all 11 at the 11+ tier: 11 × 2.90
            (
                "tiered_slab",
                RateKind::Tiered { tiers: tiers.clone() },
                slab,
                d("31.90"),
            ),
            // 5 × 1.80 + 5 × 2.20 + 1 × 2.90
            (
                "tiered_graduated",
                RateKind::Tiered { tiers },
                graduated,
                d("22.90"),
            ),
        ];
        let mut group = c.benchmark_group("pay");
        for (case, kind, policy, expected) in &cases {
            group.bench_function(format!("one_session/{case}"), |b| {
                b.iter(|| {
                    let pay = pay_for(
                        Some(black_box(kind)),
                        black_box(&counts),
                        black_box(hours),
                        black_box(gbp),
                        black_box(policy),
                    )
                    .expect("pay")
                    .pay;
                    assert_eq!(pay, *expected, "{case}");
                    pay
                })
            });
        }
        group.finish();
    }
}

/// `parse/{csv,ndjson}/100k`: reading a whole in-memory export into typed sessions.
mod parse {
    use super::*;

    use std::path::Path;

    use criterion::Throughput;
    use sessionpay_io::{Error, ParsedRow, Reader, Shape};

    /// Rows read, and the sum of their ids (so every row must be seen and typed).
    fn read(bytes: &[u8], shape: Shape) -> (u64, u64) {
        let (mut rows, mut ids) = (0u64, 0u64);
        Reader::bytes(bytes, Path::new("bench-export"))
            .shape(shape)
            .read(&mut |row: ParsedRow| {
                rows += 1;
                ids = ids.wrapping_add(row.draft.id.0);
                Ok::<_, Error>(())
            })
            .expect("read export");
        (rows, ids)
    }

    pub fn define(c: &mut Criterion) {
        let export = data::export();
        // Both shapes hold the same sessions, so the same id sum.
        let (_, id_sum) = read(&export.csv, Shape::Csv);
        let mut group = c.benchmark_group("parse");
        large(&mut group);
        for (case, bytes, shape) in [
            ("csv/100k", &export.csv, Shape::Csv),
            ("ndjson/100k", &export.ndjson, Shape::Ndjson),
        ] {
            group.throughput(Throughput::Bytes(bytes.len() as u64));
            group.bench_function(case, |b| {
                b.iter(|| {
                    let got = read(black_box(bytes), black_box(shape));
                    assert_eq!(got, (data::SESSIONS, id_sum), "{case}");
                    got
                })
            });
        }
        group.finish();
    }
}

/// `json/{ndjson,pages,response}/{sessionpay,sonic-rs,simd-json}/100k`: the JSON shapes of the
/// same 100k sessions read on one thread by sessionpay's own scanner into sessions, and by the
/// two SIMD JSON parsers (serde, borrowed fields) into the fields payroll reads. Each checks the
/// row count and the sum of the ids.
mod json {
    use super::*;

    use std::borrow::Cow;
    use std::path::Path;

    use criterion::Throughput;
    use serde::Deserialize;
    use sessionpay_io::{Error, Names, ParsedRow, ReadCache, Reader, Shape};

    /// The fields payroll reads, as the two parsers give them (serde, strings borrowed). sonic-rs
    /// keeps the hours, TeamUp's figure and the rate object as their raw JSON text (exact; the
    /// rate is cached by it): [`SonicRow`]. simd-json reads every number as a binary float or an
    /// integer and keeps no text, so the hours and figures are `f64` (not exact) and the rate an
    /// owned value tree: [`SimdRow`].
    #[derive(Deserialize)]
    struct Row<'a, Number, Rate> {
        id: u64,
        #[serde(borrow)]
        instructor: Person<'a>,
        #[serde(borrow)]
        starts_at: Cow<'a, str>,
        venue: Id,
        #[serde(borrow)]
        venue_timezone: Cow<'a, str>,
        hours: Number,
        attended_count: u32,
        no_show_count: u32,
        late_cancel_count: u32,
        comped_counts: Comped,
        #[serde(borrow)]
        session_type: Cow<'a, str>,
        instructor_pay_rate: Rate,
        #[serde(borrow)]
        instructor_pay: Option<Pay<'a, Number>>,
        instructor_pay_calculation_pending: bool,
    }

    #[derive(Deserialize)]
    struct Pay<'a, Number> {
        decimal: Number,
        #[serde(borrow)]
        string: Cow<'a, str>,
    }

    type SonicRow<'a> = Row<'a, sonic_rs::LazyValue<'a>, sonic_rs::LazyValue<'a>>;
    type SimdRow<'a> = Row<'a, f64, Option<simd_json::OwnedValue>>;

    #[derive(Deserialize)]
    struct Person<'a> {
        id: u64,
        #[serde(borrow)]
        name: Cow<'a, str>,
    }

    #[derive(Deserialize)]
    struct Id {
        id: u64,
    }

    #[derive(Deserialize)]
    struct Comped {
        attended: u32,
    }

    #[derive(Deserialize)]
    struct Page<R> {
        rows: Vec<R>,
    }

    /// What each reader gives back: rows and the sum of their ids, and a sum of the lengths of
    /// what it extracted (so nothing is optimised away).
    type Got = (u64, u64);

    /// A number or rate as a parser gives it, weighed into the length a reader extracted.
    trait Extracted {
        fn weight(&self) -> usize;
    }

    impl Extracted for sonic_rs::LazyValue<'_> {
        fn weight(&self) -> usize {
            self.as_raw_str().len()
        }
    }

    impl Extracted for f64 {
        fn weight(&self) -> usize {
            usize::from(*self > 0.0)
        }
    }

    impl Extracted for Option<simd_json::OwnedValue> {
        fn weight(&self) -> usize {
            usize::from(self.is_none())
        }
    }

    /// Counts `row` into `got` and what it extracted into `len`.
    fn tally<N: Extracted, R: Extracted>(row: &Row<'_, N, R>, got: &mut Got, len: &mut usize) {
        got.0 += 1;
        got.1 = got.1.wrapping_add(row.id);
        *len += row.instructor.name.len()
            + row.starts_at.len()
            + row.venue_timezone.len()
            + row.hours.weight()
            + row.session_type.len()
            + row.instructor_pay_rate.weight()
            + row
                .instructor_pay
                .as_ref()
                .map_or(0, |p| p.decimal.weight() + p.string.len())
            + (row.instructor.id + row.venue.id) as usize
            + (row.attended_count + row.no_show_count + row.late_cancel_count + row.comped_counts.attended)
                as usize
            + usize::from(row.instructor_pay_calculation_pending);
    }

    /// sonic-rs over JSON responses (the pages, or the one large response).
    fn sonic_pages<'a>(pages: impl Iterator<Item = &'a [u8]>, want: Got, what: &str) -> usize {
        let (mut got, mut len) = ((0, 0), 0);
        for page in pages {
            let page: Page<SonicRow<'_>> = sonic_rs::from_slice(page).expect("sonic-rs page");
            page.rows.iter().for_each(|r| tally(r, &mut got, &mut len));
        }
        assert_eq!(got, want, "{what}");
        len
    }

    /// simd-json over JSON responses, each copied into `scratch` (it parses in place).
    fn simd_pages<'a>(
        pages: impl Iterator<Item = &'a [u8]>,
        scratch: &mut Vec<u8>,
        want: Got,
        what: &str,
    ) -> usize {
        let (mut got, mut len) = ((0, 0), 0);
        for page in pages {
            scratch.clear();
            scratch.extend_from_slice(page);
            let page: Page<SimdRow<'_>> = simd_json::serde::from_slice(scratch).expect("simd-json page");
            page.rows.iter().for_each(|r| tally(r, &mut got, &mut len));
        }
        assert_eq!(got, want, "{what}");
        len
    }

    /// sessionpay's reader over `bytes` (one of the pages, or the NDJSON), one cache throughout.
    fn ours(bytes: &[u8], shape: Shape, cache: &mut ReadCache, got: &mut Got) {
        Reader::bytes(bytes, Path::new("bench-export"))
            .shape(shape)
            .cache(cache)
            .read(&mut |row: ParsedRow| {
                got.0 += 1;
                got.1 = got.1.wrapping_add(row.draft.id.0);
                Ok::<_, Error>(())
            })
            .expect("read export");
    }

    pub fn define(c: &mut Criterion) {
        let export = data::export();
        let mut want = (0u64, 0u64);
        ours(
            &export.ndjson,
            Shape::Ndjson,
            &mut ReadCache::new(Names::All),
            &mut want,
        );
        assert_eq!(want.0, data::SESSIONS);
        let page_bytes: usize = export.pages.iter().map(Vec::len).sum();
        // The one response is read from a file, as a file that large is streamed.
        let response = data::scratch_input("response.json", &export.response, Shape::Json);
        let mut group = c.benchmark_group("json");
        large(&mut group);
        let check = |got: Got, case: &str| assert_eq!(got, want, "{case}");

        group.throughput(Throughput::Bytes(export.ndjson.len() as u64));
        group.bench_function("ndjson/sessionpay/100k", |b| {
            b.iter(|| {
                let mut got = (0, 0);
                ours(
                    black_box(&export.ndjson),
                    Shape::Ndjson,
                    &mut ReadCache::new(Names::All),
                    &mut got,
                );
                check(got, "ndjson/sessionpay");
            })
        });
        group.bench_function("ndjson/sonic-rs/100k", |b| {
            b.iter(|| {
                let (mut got, mut len) = ((0, 0), 0);
                for line in black_box(&export.ndjson)
                    .split(|&c| c == b'\n')
                    .filter(|l| !l.is_empty())
                {
                    let row: SonicRow<'_> = sonic_rs::from_slice(line).expect("sonic-rs row");
                    tally(&row, &mut got, &mut len);
                }
                check(got, "ndjson/sonic-rs");
                len
            })
        });
        group.bench_function("ndjson/simd-json/100k", |b| {
            let mut scratch = Vec::new();
            b.iter(|| {
                let (mut got, mut len) = ((0, 0), 0);
                for line in black_box(&export.ndjson)
                    .split(|&c| c == b'\n')
                    .filter(|l| !l.is_empty())
                {
                    // simd-json parses in place: each line is copied first, as it must be.
                    scratch.clear();
                    scratch.extend_from_slice(line);
                    let row: SimdRow<'_> = simd_json::serde::from_slice(&mut scratch).expect("simd-json row");
                    tally(&row, &mut got, &mut len);
                }
                check(got, "ndjson/simd-json");
                len
            })
        });

        group.throughput(Throughput::Bytes(page_bytes as u64));
        group.bench_function("pages/sessionpay/100k", |b| {
            b.iter(|| {
                let (mut got, mut cache) = ((0, 0), ReadCache::new(Names::All));
                for page in black_box(&export.pages) {
                    ours(page, Shape::Json, &mut cache, &mut got);
                }
                check(got, "pages/sessionpay");
            })
        });
        group.bench_function("pages/sonic-rs/100k", |b| {
            b.iter(|| {
                sonic_pages(
                    black_box(&export.pages).iter().map(Vec::as_slice),
                    want,
                    "pages/sonic-rs",
                )
            })
        });
        group.bench_function("pages/simd-json/100k", |b| {
            let mut scratch = Vec::new();
            b.iter(|| {
                let pages = black_box(&export.pages).iter().map(Vec::as_slice);
                simd_pages(pages, &mut scratch, want, "pages/simd-json")
            })
        });

        group.throughput(Throughput::Bytes(export.response.len() as u64));
        group.bench_function("response/sessionpay/100k", |b| {
            b.iter(|| {
                let mut got = (0u64, 0u64);
                let summary = Reader::input(black_box(&response))
                    .cache(&mut ReadCache::new(Names::All))
                    .read(&mut |row: ParsedRow| {
                        got.0 += 1;
                        got.1 = got.1.wrapping_add(row.draft.id.0);
                        Ok::<_, Error>(())
                    })
                    .expect("read response");
                assert_eq!(summary.total, Some(data::SESSIONS));
                check(got, "response/sessionpay");
            })
        });
        group.bench_function("response/sonic-rs/100k", |b| {
            b.iter(|| {
                sonic_pages(
                    std::iter::once(black_box(&export.response[..])),
                    want,
                    "response/sonic-rs",
                )
            })
        });
        group.bench_function("response/simd-json/100k", |b| {
            let mut scratch = Vec::new();
            b.iter(|| {
                let response = std::iter::once(black_box(&export.response[..]));
                simd_pages(response, &mut scratch, want, "response/simd-json")
            })
        });
        group.finish();
        std::fs::remove_file(&response.path).expect("remove scratch response");
    }
}

/// `payroll/month/100k`: `payroll --period month` as one engine run in-process, checked against the
/// generator's expected payroll.
mod payroll {
    use super::*;

    use std::path::Path;

    use criterion::Throughput;
    use sessionpay_core::{PayrollRow, PeriodKind, RateTable};
    use sessionpay_engine::{Keep, PayrollCollector, Run, RunOptions};
    use sessionpay_io::{parse_policy, Input, Shape};

    /// `sessionpay payroll --period month` in-process: one engine run over the export file
    /// (currencies, duplicates, parallel parts on as many threads as the CLI would use),
    /// priced, reconciled and aggregated by month.
    fn run(input: &Input, table: &RateTable) -> Vec<PayrollRow> {
        let (collected, _) = Run::new(std::slice::from_ref(input), table, RunOptions::default())
            .collect(|| PayrollCollector::new(PeriodKind::Month, None, None, Keep::None))
            .expect("read export");
        collected.finish().expect("payroll rows").rows
    }

    fn check(rows: &[PayrollRow], export: &data::Export) {
        let sessions: u64 = rows.iter().map(|r| r.totals.sessions).sum();
        assert_eq!(sessions, data::SESSIONS, "sessions over all rows");
        let mismatched: u64 = rows.iter().map(|r| r.totals.mismatched_sessions).sum();
        assert_eq!(mismatched, export.planted, "mismatches found = planted");
        assert_eq!(rows.len(), export.expected.len(), "payroll rows");
        for (got, want) in rows.iter().zip(&export.expected) {
            let t = &got.totals;
            let same = got.instructor.0 == want.instructor
                && *got.instructor_name == *want.name
                && got.currency.code() == want.currency
                && got.period.start == want.start
                && got.period.end == want.end
                && t.sessions == want.sessions
                && t.hours == want.hours
                && t.counted_customers == want.counted
                && t.computed_pay == want.computed
                && t.reported_pay == want.reported
                && got.difference == want.difference
                && t.mismatched_sessions == want.mismatched
                && t.pending_sessions == want.pending
                && t.unrated_sessions == want.unrated;
            assert!(
                same,
                "payroll row differs from the generator's:\n got {got:?}\nwant {want:?}"
            );
        }
    }

    pub fn define(c: &mut Criterion) {
        let export = data::export();
        let table = parse_policy(&export.rates_toml, Path::new("rates.toml")).expect("rates.toml");
        // The engine reads files, as the CLI does: the export goes to a scratch file.
        let input = data::scratch_input("payroll.csv", &export.csv, Shape::Csv);
        let mut group = c.benchmark_group("payroll");
        large(&mut group);
        group.throughput(Throughput::Elements(data::SESSIONS));
        group.bench_function("month/100k", |b| {
            b.iter(|| {
                let rows = run(black_box(&input), black_box(&table));
                check(&rows, export);
                rows
            })
        });
        group.finish();
        std::fs::remove_file(&input.path).expect("remove scratch export");
    }
}

criterion_group! {
    name = benches;
    config = settings();
    targets = pay::define, parse::define, json::define, payroll::define
}
criterion_main!(benches);
