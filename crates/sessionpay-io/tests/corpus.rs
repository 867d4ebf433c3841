//! The fuzz corpus as a test: every seed in `fuzz/seeds/<target>/` runs
//! through the same check as `cargo fuzz run <target>` (`fuzz/checks.rs`),
//! on stable and without libFuzzer. A seed named `regress-*` is an input a
//! fuzzer once broke the readers with.
//!
//! Below, the limits of issue 5: a field over 1 MiB, a row of 10,000 columns
//! and a rate of 100 tiers each read correctly or fail clearly, without a hang.

use std::fs;
use std::io::Read;
use std::panic;
use std::path::{Path, PathBuf};

use sessionpay_core::RateKind;
use sessionpay_io::{Error, ParsedRow, Reader, Shape};

#[path = "../../../fuzz/checks.rs"]
mod checks;

fn seeds_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds")
}

/// Runs every seed of `target` through `check`, then fails naming each seed that panicked.
fn run_seeds(target: &str, check: fn(&[u8])) {
    let dir = seeds_dir().join(target);
    let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "{} holds no seeds", dir.display());
    let mut failed = Vec::new();
    for path in &paths {
        let data = fs::read(path).unwrap();
        if panic::catch_unwind(|| check(&data)).is_err() {
            failed.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    assert!(failed.is_empty(), "{target}: these seeds fail: {failed:?}");
}

#[test]
fn every_seed_folder_has_a_test() {
    let mut targets: Vec<String> = fs::read_dir(seeds_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    targets.sort();
    assert_eq!(
        targets,
        [
            "csv_rows",
            "json_fast",
            "json_rows",
            "money_cell",
            "ndjson_rows",
            "policy",
            "sniffed"
        ]
    );
}

#[test]
fn csv_rows_seeds() {
    run_seeds("csv_rows", checks::csv_rows);
}

#[test]
fn json_fast_seeds() {
    run_seeds("json_fast", checks::json_fast);
}

#[test]
fn json_rows_seeds() {
    run_seeds("json_rows", checks::json_rows);
}

#[test]
fn ndjson_rows_seeds() {
    run_seeds("ndjson_rows", checks::ndjson_rows);
}

#[test]
fn sniffed_seeds() {
    run_seeds("sniffed", checks::sniffed);
}

#[test]
fn money_cell_seeds() {
    run_seeds("money_cell", checks::money_cell);
}

#[test]
fn policy_seeds() {
    run_seeds("policy", checks::policy);
}

// The limits.

/// The columns every export has, in CSV header order.
const HEADER: &str = "id,name,instructor.id,starts_at,venue.id,venue_timezone,hours,attended_count,\
no_show_count,late_cancel_count,comped_counts.attended,instructor_pay_rate.id,instructor_pay_rate.type,\
instructor_pay_rate.base,instructor_pay_rate.tiers,instructor_pay,instructor_pay_calculation_pending";

/// A data row for [`HEADER`] with the session `name`.
fn csv_row(name: &str) -> String {
    format!("1,{name},7,2026-05-02T09:00:00Z,101,Europe/London,1,4,0,0,1,3,per_customer,5,[],£20.00,false")
}

/// The same row as a JSON object with `name` and `tiers`.
fn json_row(name: &str, kind: &str, tiers: &str) -> String {
    format!(
        r#"{{"id": 1, "name": "{name}", "instructor": {{"id": 7}}, "starts_at": "2026-05-02T09:00:00Z",
        "venue": {{"id": 101}}, "venue_timezone": "Europe/London", "hours": 1, "attended_count": 4,
        "no_show_count": 0, "late_cancel_count": 0, "comped_counts": {{"attended": 1}},
        "instructor_pay_rate": {{"id": 3, "type": "{kind}", "base": 5, "tiers": {tiers}}},
        "instructor_pay": "£20.00", "instructor_pay_calculation_pending": false}}"#
    )
    .replace('\n', " ")
}

/// Reads `input` whole. (How long that takes is for the benches to say,
/// not a test on a shared machine.)
fn read_all(input: impl Read, shape: Shape, name: &str) -> Result<Vec<ParsedRow>, Error> {
    let mut rows = Vec::new();
    let result = Reader::bytes(input, Path::new(name)).shape(shape).read(&mut rows);
    result.map(|_| rows)
}

const MIB: usize = 1 << 20;

#[test]
fn a_field_over_one_mib_reads_whole_in_every_shape() {
    let name = "n".repeat(MIB + MIB / 2);
    let csv = format!("{HEADER}\n{}\n", csv_row(&name));
    let quoted = format!("{HEADER}\n{}\n", csv_row(&format!("\"{name}\"\"\"")));
    let row = json_row(&name, "per_customer", "[]");
    let ndjson = format!("{row}\n{row}\n");
    let json = format!("{{\"rows\": [{row}]}}");
    for (input, shape, rows, expected) in [
        (&csv, Shape::Csv, 1, name.clone()),
        (&quoted, Shape::Csv, 1, format!("{name}\"")),
        (&ndjson, Shape::Ndjson, 2, name.clone()),
        (&json, Shape::Json, 1, name.clone()),
    ] {
        let read = read_all(input.as_bytes(), shape, "big").unwrap();
        assert_eq!(read.len(), rows, "{shape:?}");
        assert!(read.iter().all(|r| *r.draft.name == *expected), "{shape:?}");
    }
}

#[test]
fn a_field_over_one_mib_on_stdin_is_read_as_ndjson_or_refused_clearly() {
    // Without a shape (stdin), the shape is sniffed from the first line.
    let row = json_row(&"n".repeat(MIB + MIB / 2), "per_customer", "[]");
    for lines in [1, 2] {
        let ndjson = format!("{row}\n").repeat(lines);
        let mut rows = 0;
        let result = Reader::bytes(ndjson.as_bytes(), Path::new("<stdin>")).read(&mut |_| {
            rows += 1;
            Ok::<_, Error>(())
        });
        match result {
            Ok(_) => assert_eq!(rows, lines),
            Err(e) => assert!(e.to_string().contains("MiB"), "{lines} lines: {e}"),
        }
    }
}

#[test]
fn a_csv_record_over_64_mib_is_refused_clearly() {
    // 65 MiB of one unquoted field, generated as it is read.
    let input =
        std::io::Cursor::new(format!("{HEADER}\n")).chain(std::io::repeat(b'x').take(65 * MIB as u64));
    let err = read_all(input, Shape::Csv, "huge.csv").unwrap_err();
    assert_eq!(
        err.to_string(),
        "huge.csv: record 1 (line 2): a record is longer than 64 MiB; is this really a TeamUp export?"
    );
}

#[test]
fn a_row_of_ten_thousand_columns_reads() {
    let extra = 10_000 - HEADER.split(',').count();
    let header: String = std::iter::once(HEADER.to_string())
        .chain((0..extra).map(|i| format!("extra_{i}")))
        .collect::<Vec<_>>()
        .join(",");
    let row: String = std::iter::once(csv_row("Yoga"))
        .chain((0..extra).map(|i| i.to_string()))
        .collect::<Vec<_>>()
        .join(",");
    let csv = format!("{header}\n{row}\n{row}\n");
    let rows = read_all(csv.as_bytes(), Shape::Csv, "wide.csv").unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].draft.counts.attended(), 4);
    assert_eq!(rows[1].draft.reported.unwrap().to_string(), "20.00");

    // A data row that wide under a normal header is one clear error.
    let csv = format!("{HEADER}\n{row}\n");
    let err = read_all(csv.as_bytes(), Shape::Csv, "wide.csv").unwrap_err();
    assert_eq!(
        err.to_string(),
        "wide.csv: record 1 (line 2): expected 17 fields as in the header, but found 10000"
    );

    // And as JSON: a row object with 10,000 keys.
    let keys: String = (0..extra).map(|i| format!(", \"extra_{i}\": {i}")).collect();
    let row = json_row("Yoga", "per_customer", "[]");
    let wide = format!("{}{keys}}}", &row[..row.len() - 1]);
    let rows = read_all(format!("{wide}\n").as_bytes(), Shape::Ndjson, "wide.ndjson").unwrap();
    assert_eq!(rows.len(), 1);
}

/// 100 tiers of ten customers each, the last open-ended, as JSON.
fn hundred_tiers(overlap: bool) -> String {
    let tiers: Vec<String> = (0..100u32)
        .map(|i| {
            let lower = i * 10 + 1;
            let lower = if overlap && i == 50 { lower - 2 } else { lower };
            let upper = if i == 99 {
                "null".to_string()
            } else {
                (i * 10 + 10).to_string()
            };
            let amount = format!(r#"{{"amount": "{i}.25", "currency": "gbp"}}"#);
            format!(r#"{{"lower_bound": {lower}, "upper_bound": {upper}, "per_customer_amount": {amount}}}"#)
        })
        .collect();
    format!("[{}]", tiers.join(", "))
}

#[test]
fn a_rate_of_a_hundred_tiers_reads_in_order() {
    let tiers = hundred_tiers(false);
    let csv_tiers = format!("\"{}\"", tiers.replace('"', "\"\""));
    let csv = format!("{HEADER}\n{}\n", csv_row("Yoga"))
        .replace("per_customer,5,[]", &format!("per_customer_tiered,,{csv_tiers}"));
    let ndjson = format!("{}\n", json_row("Yoga", "per_customer_tiered", &tiers));
    for (input, shape) in [(csv, Shape::Csv), (ndjson, Shape::Ndjson)] {
        let rows = read_all(input.as_bytes(), shape, "tiers").unwrap();
        let rate = rows[0].draft.rate.as_deref().unwrap();
        let RateKind::Tiered { tiers } = &rate.kind else {
            panic!("{shape:?}: {rate:?}");
        };
        assert_eq!(tiers.as_slice().len(), 100, "{shape:?}");
        assert_eq!(tiers.index_holding(1), Some(0), "{shape:?}");
        assert_eq!(tiers.index_holding(505), Some(50), "{shape:?}");
        assert_eq!(tiers.index_holding(100_000), Some(99), "{shape:?}");
        assert_eq!(tiers.as_slice()[99].amount.to_string(), "99.25", "{shape:?}");
        assert_eq!(rows[0].evidence.tiers.unwrap().to_string(), "GBP", "{shape:?}");
    }
}

#[test]
fn a_hundred_tiers_that_overlap_name_the_tier() {
    let ndjson = format!(
        "{}\n",
        json_row("Yoga", "per_customer_tiered", &hundred_tiers(true))
    );
    let err = read_all(ndjson.as_bytes(), Shape::Ndjson, "tiers.ndjson").unwrap_err();
    assert_eq!(
        err.to_string(),
        "tiers.ndjson: line 1 (key \"instructor_pay_rate.tiers\"): \
         tier 50: lower bound 499 overlaps the previous tier, which ends at 500"
    );
}

/// The fast path takes every row TeamUp writes (not only declines them all,
/// which would pass `json_fast_seeds` too).
#[test]
fn the_fast_path_takes_every_exported_row() {
    for seed in ["generated.ndjson", "conformance-head.ndjson"] {
        let data = fs::read(seeds_dir().join("json_fast").join(seed)).unwrap();
        for line in data.split_inclusive(|&b| b == b'\n') {
            let (fast, strict) = sessionpay_io::fuzz::json_row_paths(line);
            assert!(strict.is_ok(), "{seed}: {strict:?}");
            assert_eq!(
                fast.as_ref(),
                strict.as_ref().ok(),
                "{seed}: {}",
                String::from_utf8_lossy(line)
            );
        }
        // Read in turn, as a file is, every row but those that teach a rate
        // is taken (most by the shape of an earlier row) and is the strict
        // reader's row.
        let lines = data.split_inclusive(|&b| b == b'\n');
        let mut taken = 0;
        let rows = sessionpay_io::fuzz::json_rows_in_turn(&data);
        for (line, (fast, strict)) in lines.zip(&rows) {
            assert!(strict.is_ok(), "{seed}: {strict:?}");
            if let Some(fast) = fast {
                taken += 1;
                assert_eq!(
                    Some(fast),
                    strict.as_ref().ok(),
                    "{seed}: {}",
                    String::from_utf8_lossy(line)
                );
            }
        }
        assert!(
            taken * 2 > rows.len(),
            "{seed}: {taken} of {} rows taken",
            rows.len()
        );
    }
}
