//! The conformance export (`fixtures/conformance/`), driven through the core.
//!
//! The core has no parser, so this test maps each NDJSON row to a [`Session`] and
//! `rates.toml` to a [`RateTable`] itself, then prices, reconciles (tolerance 0) and
//! builds the monthly payroll, and compares every figure of `expected_reconcile.csv`
//! and `expected_payroll_month.csv` numerically (`5.00` equals `5.0`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde_json::Value;
use sessionpay_core::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/conformance")
        .join(name)
}

// The library does no I/O; its tests may read fixtures (clippy.toml).
#[allow(clippy::disallowed_methods)]
fn read(name: &str) -> String {
    let path = fixture(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// An exact decimal from text; `what` names it in the panic.
fn dec(text: &str, what: &str) -> Decimal {
    Decimal::from_str_exact(text).unwrap_or_else(|e| panic!("{what}: {text:?} is not a decimal: {e}"))
}

// ---------------------------------------------------------------------------
// rates.toml -> RateTable
// ---------------------------------------------------------------------------

fn toml_amount(value: &toml::Value, what: &str) -> Decimal {
    match value {
        toml::Value::String(s) => dec(s, what),
        toml::Value::Integer(i) => Decimal::from(*i),
        other => panic!("{what}: expected an amount, found {other:?}"),
    }
}

fn toml_bool(value: &toml::Value, what: &str) -> bool {
    value
        .as_bool()
        .unwrap_or_else(|| panic!("{what}: expected a bool, found {value:?}"))
}

fn toml_str<'a>(value: &'a toml::Value, what: &str) -> &'a str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{what}: expected a string, found {value:?}"))
}

fn overrides(table: &toml::Table, section: &str) -> PolicyOverrides {
    let mut o = PolicyOverrides::default();
    for (key, value) in table {
        let what = format!("rates.toml [{section}] {key}");
        match key.as_str() {
            "count_comped" => o.count_comped = Some(toml_bool(value, &what)),
            "count_late_cancels" => o.count_late_cancels = Some(toml_bool(value, &what)),
            "count_no_shows" => o.count_no_shows = Some(toml_bool(value, &what)),
            "tier_mode" => o.tier_mode = Some(TierMode::from_name(toml_str(value, &what)).expect(&what)),
            "rounding" => o.rounding = Some(RoundingMode::from_name(toml_str(value, &what)).expect(&what)),
            "hours_basis" => {
                o.hours_basis = Some(HoursBasis::from_name(toml_str(value, &what)).expect(&what))
            }
            "empty_session_pay" => o.empty_session_pay = Some(toml_amount(value, &what)),
            "max_pay" => o.max_pay = Some(toml_amount(value, &what)),
            _ => panic!("{what}: unknown key"),
        }
    }
    o.validate()
        .unwrap_or_else(|e| panic!("rates.toml [{section}]: {e}"));
    o
}

fn sub_table<'a>(value: &'a toml::Value, what: &str) -> &'a toml::Table {
    value
        .as_table()
        .unwrap_or_else(|| panic!("{what}: expected a table"))
}

fn rate_table(text: &str) -> RateTable {
    let doc: toml::Table = text.parse().expect("rates.toml parses");
    let mut table = RateTable::default();
    for (key, value) in &doc {
        match key.as_str() {
            "defaults" => table.defaults = overrides(sub_table(value, "[defaults]"), "defaults"),
            "rates" => {
                for (id, rate) in sub_table(value, "[rates]") {
                    let section = format!("rates.{id}");
                    let id = RateId(id.parse().expect(&section));
                    table
                        .rates
                        .insert(id, overrides(sub_table(rate, &section), &section));
                }
            }
            "venues" => {
                for (id, venue) in sub_table(value, "[venues]") {
                    let section = format!("venues.{id}");
                    for key in sub_table(venue, &section).keys() {
                        assert_eq!(key, "currency", "rates.toml [{section}]: unknown key");
                    }
                    let code = toml_str(&venue["currency"], &section);
                    let currency = Currency::try_from_code(code).expect(&section);
                    table
                        .venue_currencies
                        .insert(VenueId(id.parse().expect(&section)), currency);
                }
            }
            _ => panic!("rates.toml: unknown section [{key}]"),
        }
    }
    table
}

// ---------------------------------------------------------------------------
// NDJSON row -> Session
// ---------------------------------------------------------------------------

/// Field access on one row, naming the session in every panic.
struct Row<'a> {
    id: u64,
    value: &'a Value,
}

impl<'a> Row<'a> {
    fn get(&self, path: &str) -> &'a Value {
        path.split('.')
            .try_fold(self.value, |v, key| v.get(key))
            .unwrap_or_else(|| panic!("session {}: no field {path}", self.id))
    }

    fn u64(&self, path: &str) -> u64 {
        self.get(path)
            .as_u64()
            .unwrap_or_else(|| panic!("session {}: {path} is not a whole number", self.id))
    }

    fn u32(&self, path: &str) -> u32 {
        u32::try_from(self.u64(path)).unwrap_or_else(|_| panic!("session {}: {path} is too large", self.id))
    }

    fn str(&self, path: &str) -> &'a str {
        self.get(path)
            .as_str()
            .unwrap_or_else(|| panic!("session {}: {path} is not a string", self.id))
    }

    /// A decimal from a JSON number's exact text (or a string), never through `f64`.
    fn dec_of(&self, value: &Value, path: &str) -> Decimal {
        let text = match value {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            other => panic!("session {}: {path} is not a number: {other}", self.id),
        };
        dec(&text, &format!("session {}: {path}", self.id))
    }

    fn currency(&self, code: &str, path: &str) -> Currency {
        Currency::try_from_code(code).unwrap_or_else(|e| panic!("session {}: {path}: {e}", self.id))
    }
}

fn rate_of(row: &Row<'_>) -> Option<Arc<PayRate>> {
    let rate = row.get("instructor_pay_rate");
    if rate.is_null() {
        return None;
    }
    let id = RateId(row.u64("instructor_pay_rate.id"));
    let name = row.str("instructor_pay_rate.name").to_string();
    let kind = match row.str("instructor_pay_rate.type") {
        "per_customer" => RateKind::PerCustomer {
            base: row.dec_of(row.get("instructor_pay_rate.base"), "instructor_pay_rate.base"),
        },
        "per_hour" => RateKind::PerHour {
            base: row.dec_of(row.get("instructor_pay_rate.base"), "instructor_pay_rate.base"),
        },
        "per_customer_tiered" => {
            let list = row
                .get("instructor_pay_rate.tiers")
                .as_array()
                .unwrap_or_else(|| panic!("session {}: tiers is not a list", row.id));
            let tiers = list
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let tier = Row { id: row.id, value: t };
                    let path = format!("tiers[{i}]");
                    let money = tier.get("per_customer_amount");
                    Tier {
                        lower: tier.u32("lower_bound"),
                        upper: match tier.get("upper_bound") {
                            Value::Null => None,
                            _ => Some(tier.u32("upper_bound")),
                        },
                        amount: row.dec_of(&money["amount"], &format!("{path}.amount")),
                        currency: money
                            .get("currency")
                            .and_then(Value::as_str)
                            .map(|c| row.currency(c, &format!("{path}.currency"))),
                    }
                })
                .collect();
            RateKind::Tiered {
                tiers: Tiers::try_new(tiers).unwrap_or_else(|e| panic!("session {}: {e}", row.id)),
            }
        }
        other => panic!("session {}: unknown rate type {other:?}", row.id),
    };
    Some(Arc::new(
        PayRate::try_new(id, name, kind).unwrap_or_else(|e| panic!("session {}: {e}", row.id)),
    ))
}

fn session_of(value: &Value, table: &RateTable) -> Session {
    let id = value["id"].as_u64().expect("every row has a numeric id");
    let row = Row { id, value };
    let zone: Tz = row
        .str("venue_timezone")
        .parse()
        .unwrap_or_else(|e| panic!("session {id}: venue_timezone: {e}"));
    let starts_text = row.str("starts_at");
    let starts = match DateTime::parse_from_rfc3339(starts_text) {
        Ok(t) => StartsAt::Instant(t),
        Err(_) => StartsAt::Local(
            NaiveDateTime::from_str(starts_text).unwrap_or_else(|e| panic!("session {id}: starts_at: {e}")),
        ),
    };
    let starts_at = starts
        .to_utc(zone)
        .unwrap_or_else(|e| panic!("session {id}: {e}"));
    let rate = rate_of(&row);
    let venue = VenueId(row.u64("venue.id"));
    let pay = row.get("instructor_pay");
    let reported = match pay {
        Value::Null => None,
        _ => match &pay["decimal"] {
            Value::Null => None,
            v => Some(row.dec_of(v, "instructor_pay.decimal")),
        },
    };
    let reported_code = pay
        .get("iso_currency_code")
        .and_then(Value::as_str)
        .map(|c| row.currency(c, "instructor_pay.iso_currency_code"));
    let tiers_currency = rate.as_deref().and_then(|r| match &r.kind {
        RateKind::Tiered { tiers } => tiers.currency(),
        _ => None,
    });
    let currency = reported_code
        .or(tiers_currency)
        .or_else(|| table.venue_currency(venue))
        .unwrap_or_else(|| panic!("session {id}: no currency for venue {}", venue.0));
    let session = Session {
        id: SessionId(id),
        name: row.str("name").into(),
        instructor: InstructorId(row.u64("instructor.id")),
        instructor_name: row.str("instructor.name").into(),
        venue,
        venue_name: row.str("venue.name").into(),
        zone,
        starts_at,
        hours: row.dec_of(row.get("hours"), "hours"),
        counts: Counts::try_new(
            row.u32("attended_count"),
            row.u32("comped_counts.attended"),
            row.u32("late_cancel_count"),
            row.u32("no_show_count"),
        )
        .unwrap_or_else(|e| panic!("session {id}: {e}")),
        session_type: SessionType::from_name(row.str("session_type"))
            .unwrap_or_else(|| panic!("session {id}: unknown session_type")),
        rate,
        reported,
        pending: row
            .get("instructor_pay_calculation_pending")
            .as_bool()
            .unwrap_or_else(|| panic!("session {id}: instructor_pay_calculation_pending is not a bool")),
        currency,
    };
    session.validate().unwrap_or_else(|e| panic!("session {id}: {e}"));
    session
}

// ---------------------------------------------------------------------------
// The run and the comparison
// ---------------------------------------------------------------------------

struct Priced {
    session: Session,
    pay: PayBreakdown,
    rec: Reconciliation,
}

fn run() -> (Vec<Priced>, Payroll) {
    let table = rate_table(&read("rates.toml"));
    let mut priced = Vec::new();
    let mut payroll = Payroll::new(PeriodKind::Month);
    for (line_no, line) in read("report.ndjson").lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("report.ndjson line {}: {e}", line_no + 1));
        let session = session_of(&value, &table);
        let policy = match &session.rate {
            Some(rate) => table.policy_for(rate.id),
            None => table.default_policy(),
        };
        let id = session.id.0;
        let pay = compute_pay(&session, &policy).unwrap_or_else(|e| panic!("session {id}: {e}"));
        let rec =
            reconcile(&session, &policy, &pay, Decimal::ZERO).unwrap_or_else(|e| panic!("session {id}: {e}"));
        payroll
            .add(&session, &pay, &rec)
            .unwrap_or_else(|e| panic!("session {id}: {e}"));
        priced.push(Priced { session, pay, rec });
    }
    (priced, payroll)
}

/// The expected CSV as header-keyed records.
fn expected(name: &str) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap_or_else(|e| panic!("{name}: {e}"));
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// Collects column mismatches, naming the row and column, to report them all at once.
#[derive(Default)]
struct Diffs(Vec<String>);

impl Diffs {
    fn text(&mut self, row: &str, column: &str, expected: &str, got: &str) {
        if expected != got {
            self.0
                .push(format!("{row}: {column}: expected {expected:?}, got {got:?}"));
        }
    }

    /// Numeric comparison; an empty expected cell means "no figure".
    fn number(&mut self, row: &str, column: &str, expected: &str, got: Option<Decimal>) {
        let want = (!expected.is_empty()).then(|| dec(expected, &format!("{row}: expected {column}")));
        if want != got {
            let got = got.map(|d| d.to_string()).unwrap_or_default();
            self.0
                .push(format!("{row}: {column}: expected {expected:?}, got {got:?}"));
        }
    }

    fn finish(self, what: &str) {
        if !self.0.is_empty() {
            let shown: Vec<&str> = self.0.iter().take(40).map(String::as_str).collect();
            panic!(
                "{what}: {} differences; first {}:\n{}",
                self.0.len(),
                shown.len(),
                shown.join("\n")
            );
        }
    }
}

fn cell<'a>(record: &'a BTreeMap<String, String>, column: &str) -> &'a str {
    record
        .get(column)
        .unwrap_or_else(|| panic!("expected file has no column {column}"))
}

#[test]
fn every_session_reconciles_as_expected() {
    let (priced, _) = run();
    assert_eq!(priced.len(), 3000, "sessions in report.ndjson");
    let expected = expected("expected_reconcile.csv");
    assert_eq!(expected.len(), 3000, "rows of expected_reconcile.csv");

    let by_id: BTreeMap<u64, &Priced> = priced.iter().map(|p| (p.session.id.0, p)).collect();
    assert_eq!(by_id.len(), priced.len(), "session ids are unique");
    let mut diffs = Diffs::default();
    for record in &expected {
        let id_text = cell(record, "session_id");
        let row = format!("session {id_text}");
        let Some(p) = id_text.parse().ok().and_then(|id: u64| by_id.get(&id)) else {
            diffs
                .0
                .push(format!("{row}: in expected_reconcile.csv but not computed"));
            continue;
        };
        let s = &p.session;
        diffs.text(
            &row,
            "instructor_id",
            cell(record, "instructor_id"),
            &s.instructor.0.to_string(),
        );
        diffs.text(
            &row,
            "local_start",
            cell(record, "local_start"),
            &local_start(s.starts_at, s.zone),
        );
        let rate_id = s.rate.as_ref().map(|r| r.id.0.to_string()).unwrap_or_default();
        diffs.text(&row, "pay_rate_id", cell(record, "pay_rate_id"), &rate_id);
        diffs.number(
            &row,
            "counted_customers",
            cell(record, "counted_customers"),
            Some(Decimal::from(p.pay.counted.total)),
        );
        diffs.number(
            &row,
            "computed_pay",
            cell(record, "computed_pay"),
            Some(p.pay.pay),
        );
        diffs.number(&row, "reported_pay", cell(record, "reported_pay"), s.reported);
        diffs.number(&row, "difference", cell(record, "difference"), p.rec.difference);
        diffs.text(&row, "currency", cell(record, "currency"), s.currency.code());
        diffs.text(&row, "status", cell(record, "status"), p.rec.status.as_str());
        // The difference is shown exactly for match and mismatch rows.
        let shows_difference = matches!(p.rec.status, Status::Match | Status::Mismatch);
        if shows_difference != p.rec.difference.is_some() {
            let status = p.rec.status.as_str();
            diffs.0.push(format!(
                "{row}: difference: {:?} for status {status}",
                p.rec.difference
            ));
        }
    }
    diffs.finish("expected_reconcile.csv");
}

#[test]
fn the_monthly_payroll_is_as_expected() {
    let (priced, payroll) = run();
    assert_eq!(priced.len(), 3000, "sessions in report.ndjson");
    let rows = payroll.rows().expect("payroll rows");
    let expected = expected("expected_payroll_month.csv");
    assert_eq!(expected.len(), 827, "rows of expected_payroll_month.csv");
    assert_eq!(rows.len(), 827, "payroll rows computed");

    type Key = (String, String, String);
    let key_of = |r: &BTreeMap<String, String>| -> Key {
        (
            cell(r, "instructor_id").to_string(),
            cell(r, "currency").to_string(),
            cell(r, "period_start").to_string(),
        )
    };
    let mut by_key: BTreeMap<Key, &BTreeMap<String, String>> = BTreeMap::new();
    for r in &expected {
        assert!(
            by_key.insert(key_of(r), r).is_none(),
            "duplicate expected row {:?}",
            key_of(r)
        );
    }

    let mut diffs = Diffs::default();
    for got in &rows {
        let key: Key = (
            got.instructor.0.to_string(),
            got.currency.code().to_string(),
            got.period.start.to_string(),
        );
        let row = format!("payroll row {}/{}/{}", key.0, key.1, key.2);
        let Some(want) = by_key.remove(&key) else {
            diffs
                .0
                .push(format!("{row}: computed but not in expected_payroll_month.csv"));
            continue;
        };
        let t = &got.totals;
        diffs.text(
            &row,
            "instructor_name",
            cell(want, "instructor_name"),
            &got.instructor_name,
        );
        diffs.text(
            &row,
            "period_end",
            cell(want, "period_end"),
            &got.period.end.to_string(),
        );
        let whole = |n: u64| Some(Decimal::from(n));
        diffs.number(&row, "sessions", cell(want, "sessions"), whole(t.sessions));
        diffs.number(&row, "hours", cell(want, "hours"), Some(t.hours));
        diffs.number(
            &row,
            "counted_customers",
            cell(want, "counted_customers"),
            whole(t.counted_customers),
        );
        diffs.number(
            &row,
            "computed_pay",
            cell(want, "computed_pay"),
            Some(t.computed_pay),
        );
        diffs.number(
            &row,
            "reported_pay",
            cell(want, "reported_pay"),
            Some(t.reported_pay),
        );
        diffs.number(&row, "difference", cell(want, "difference"), Some(got.difference));
        diffs.number(
            &row,
            "mismatched_sessions",
            cell(want, "mismatched_sessions"),
            whole(t.mismatched_sessions),
        );
        diffs.number(
            &row,
            "pending_sessions",
            cell(want, "pending_sessions"),
            whole(t.pending_sessions),
        );
        diffs.number(
            &row,
            "unrated_sessions",
            cell(want, "unrated_sessions"),
            whole(t.unrated_sessions),
        );
    }
    for key in by_key.keys() {
        diffs.0.push(format!(
            "payroll row {}/{}/{}: expected but not computed",
            key.0, key.1, key.2
        ));
    }
    diffs.finish("expected_payroll_month.csv");
}
