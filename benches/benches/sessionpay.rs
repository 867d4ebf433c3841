//! Criterion benches for sessionpay (STYLE 8): one `define(c)` per area, names `area/op/case`.
//!
//! - `pay/one_session/*`: `sessionpay_core::pay_for` on one session, per rate type.
//! - `parse/{csv,ndjson}/100k`: a `sessionpay_io::Reader` over an in-memory export (MB/s).
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
        pub rates_toml: String,
        pub expected: Vec<ExpectedRow>,
        /// Sessions with a planted (wrong) TeamUp figure: the mismatches to find.
        pub planted: u64,
    }

    /// The 100k-session export in CSV and NDJSON, its rates.toml and expected payroll.
    pub fn export() -> &'static Export {
        static EXPORT: OnceLock<Export> = OnceLock::new();
        EXPORT.get_or_init(|| {
            let world = World::new(SEED, World::default_instructors(SESSIONS));
            let mut truth = Truth::default();
            let csv = generate(&world, Format::Csv, Some(&mut truth));
            let ndjson = generate(&world, Format::Ndjson, None);
            assert_eq!(truth.sessions, SESSIONS);
            let mut expected_csv = Vec::new();
            truth
                .write_csv(&world, &mut expected_csv)
                .expect("expected payroll");
            Export {
                csv,
                ndjson,
                rates_toml: world.rates_toml(SESSIONS),
                expected: parse_expected(&String::from_utf8(expected_csv).expect("UTF-8")),
                planted: truth.planted,
            }
        })
    }

    /// The library writes to files only: generate into a scratch file and read it back.
    fn generate(world: &World, format: Format, mut truth: Option<&mut Truth>) -> Vec<u8> {
        let ext = if format == Format::Csv { "csv" } else { "ndjson" };
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("sessionpay-bench-{}.{ext}", std::process::id()));
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

/// `payroll/month/100k`: `payroll --period month` as one engine run in-process, checked against the
/// generator's expected payroll.
mod payroll {
    use super::*;

    use std::path::{Path, PathBuf};

    use criterion::Throughput;
    use sessionpay_core::{PayrollRow, PeriodKind, RateTable};
    use sessionpay_engine::{PayrollCollector, Run, RunOptions};
    use sessionpay_io::{parse_policy, Input, Shape};

    /// `sessionpay payroll --period month` in-process: one engine run over the export file
    /// (currencies, duplicates, parallel parts on as many threads as the CLI would use),
    /// priced, reconciled and aggregated by month.
    fn run(input: &Input, table: &RateTable) -> Vec<PayrollRow> {
        let (collected, _) = Run::new(std::slice::from_ref(input), table, RunOptions::default())
            .collect(|| PayrollCollector::new(PeriodKind::Month, None, None, false))
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
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("sessionpay-bench-payroll-{}.csv", std::process::id()));
        std::fs::write(&path, &export.csv).expect("write scratch export");
        let input = Input {
            path: path.clone(),
            shape: Some(Shape::Csv),
            folder: None,
            columns: sessionpay_io::ColumnMap::default(),
        };
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
        std::fs::remove_file(&path).expect("remove scratch export");
    }
}

criterion_group! {
    name = benches;
    config = settings();
    targets = pay::define, parse::define, payroll::define
}
criterion_main!(benches);
