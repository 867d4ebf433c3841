//! `rates infer`: exports generated under known random policies, with a few
//! planted wrong figures, must give back every setting their sessions can
//! tell, report the others as undetermined, and make `reconcile` flag exactly
//! the planted sessions. The conformance export must give back its policy.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use rust_decimal::Decimal;
use serde_json::{json, Value};
use sessionpay_core::{
    pay_for, Counts, Currency, HoursBasis, RateId, RateKind, RatePolicy, RateTable, RoundingMode, Tier,
    TierMode, Tiers,
};

use crate::util::{Run, Table, TestDir};

/// splitmix64: a small deterministic generator (no `rand` dependency).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }

    fn percent(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// An amount of `units` of the currency's minor unit, at `extra` more decimals.
fn minor(units: u64, currency: Currency, extra: u32) -> Decimal {
    Decimal::new(units as i64, currency.minor_units() + extra)
}

struct Venue {
    id: u64,
    name: &'static str,
    zone: &'static str,
    currency: &'static str,
}

const VENUES: [Venue; 5] = [
    Venue {
        id: 201,
        name: "Camden",
        zone: "Europe/London",
        currency: "GBP",
    },
    Venue {
        id: 202,
        name: "Dublin",
        zone: "Europe/Dublin",
        currency: "EUR",
    },
    Venue {
        id: 203,
        name: "Shibuya",
        zone: "Asia/Tokyo",
        currency: "JPY",
    },
    Venue {
        id: 204,
        name: "Salmiya",
        zone: "Asia/Kuwait",
        currency: "KWD",
    },
    Venue {
        id: 205,
        name: "Brooklyn",
        zone: "America/New_York",
        currency: "USD",
    },
];

/// One pay rate of a generated export, with the policy TeamUp applied.
struct GenRate {
    id: u64,
    venue: usize,
    kind: RateKind,
    json: Value,
    truth: RatePolicy,
}

impl GenRate {
    fn currency(&self) -> Currency {
        Currency::try_from_code(VENUES[self.venue].currency).unwrap()
    }
}

/// One generated session.
struct GenSession {
    id: u64,
    rate: Option<usize>,
    venue: usize,
    counts: Counts,
    hours: Decimal,
    pending: bool,
    reported: Option<Decimal>,
    /// The figure was planted wrong on purpose.
    planted: bool,
}

struct Export {
    rates: Vec<GenRate>,
    sessions: Vec<GenSession>,
}

impl Export {
    /// The rows, one JSON object per line.
    fn ndjson(&self, reverse: bool) -> String {
        let mut rows: Vec<String> = self.sessions.iter().map(|s| self.row(s).to_string()).collect();
        if reverse {
            rows.reverse();
        }
        let mut out = rows.join("\n");
        out.push('\n');
        out
    }

    fn row(&self, s: &GenSession) -> Value {
        let venue = &VENUES[s.venue];
        let number = |x: Decimal| -> Value { serde_json::from_str(&x.to_string()).unwrap() };
        json!({
            "id": s.id,
            "name": "Flow",
            "instructor": {"id": 1000 + s.id % 7, "name": format!("Instructor {}", s.id % 7)},
            "starts_at": format!("2026-03-{:02}T10:00:00Z", 1 + s.id % 28),
            "venue": {"id": venue.id, "name": venue.name},
            "venue_timezone": venue.zone,
            "hours": number(s.hours),
            "attended_count": s.counts.attended(),
            "no_show_count": s.counts.no_shows(),
            "late_cancel_count": s.counts.late_cancels(),
            "comped_counts": {"attended": s.counts.comped()},
            "session_type": "class",
            "instructor_pay_rate": s.rate.map_or(Value::Null, |r| self.rates[r].json.clone()),
            "instructor_pay": match s.reported {
                Some(x) => json!({"decimal": number(x), "iso_currency_code": venue.currency.to_lowercase()}),
                None => Value::Null,
            },
            "instructor_pay_calculation_pending": s.pending,
        })
    }

    /// The sessions of a rate whose figure is final.
    fn final_sessions(&self, rate: usize) -> impl Iterator<Item = &GenSession> {
        self.sessions
            .iter()
            .filter(move |s| s.rate == Some(rate) && !s.pending && s.reported.is_some())
    }

    fn planted(&self) -> BTreeSet<u64> {
        self.sessions.iter().filter(|s| s.planted).map(|s| s.id).collect()
    }
}

fn pay(rate: &GenRate, s: &GenSession, policy: &RatePolicy) -> Decimal {
    pay_for(Some(&rate.kind), &s.counts, s.hours, rate.currency(), policy)
        .unwrap()
        .pay
}

/// A random rate of a random kind at a random venue, with a random policy.
fn random_rate(rng: &mut Rng, id: u64) -> GenRate {
    let venue = rng.range(0, VENUES.len() as u64 - 1) as usize;
    let currency = Currency::try_from_code(VENUES[venue].currency).unwrap();
    // Amounts scale with the minor unit: yen amounts are whole, dinar ones have 3 decimals.
    let scale = |units: u64| -> u64 {
        match currency.minor_units() {
            0 => units * 2,
            3 => units * 5,
            _ => units,
        }
    };
    let truth = RatePolicy {
        count_comped: rng.percent(50),
        count_late_cancels: rng.percent(50),
        count_no_shows: rng.percent(50),
        tier_mode: if rng.percent(50) {
            TierMode::Graduated
        } else {
            TierMode::Slab
        },
        rounding: if rng.percent(50) {
            RoundingMode::HalfEven
        } else {
            RoundingMode::HalfUp
        },
        hours_basis: if rng.percent(50) {
            HoursBasis::Minutes
        } else {
            HoursBasis::Reported
        },
        empty_session_pay: rng
            .percent(40)
            .then(|| minor(scale(rng.range(5, 20) * 100), currency, 0)),
        max_pay: None,
    };
    let kind_name = rng.pick(&["per_customer", "per_hour", "per_customer_tiered"]);
    let (kind, base, tiers) = match kind_name {
        "per_customer" => {
            // One rate in three has a base finer than the currency, so odd counts fall on midpoints.
            let base = if rng.percent(33) {
                minor(scale(rng.range(30, 90)) * 100 + 5, currency, 1)
            } else {
                minor(scale(rng.range(300, 900)), currency, 0)
            };
            (RateKind::PerCustomer { base }, base.to_string(), json!([]))
        }
        "per_hour" => {
            // An odd last digit: half an hour falls on a midpoint.
            let base = minor(scale(rng.range(1500, 4000)) | 1, currency, 0);
            (RateKind::PerHour { base }, base.to_string(), json!([]))
        }
        _ => {
            let first = rng.range(3, 6) as u32;
            let second = first + rng.range(3, 6) as u32;
            // Sometimes the bounds touch: the earlier tier is then half-open.
            let touching = rng.percent(30);
            let amounts: Vec<Decimal> = (0..3)
                .map(|_| minor(scale(rng.range(150, 400)), currency, 0))
                .collect();
            let bounds = [
                (1, Some(first)),
                (if touching { first } else { first + 1 }, Some(second)),
                (second + 1, None),
            ];
            let tiers: Vec<Tier> = bounds
                .iter()
                .zip(&amounts)
                .map(|(&(lower, upper), &amount)| Tier {
                    lower,
                    upper,
                    amount,
                    currency: Some(currency),
                })
                .collect();
            let json_tiers: Vec<Value> = tiers
                .iter()
                .map(|t| {
                    json!({
                        "lower_bound": t.lower,
                        "upper_bound": t.upper,
                        "per_customer_amount": {"amount": t.amount.to_string(), "currency": currency.code().to_lowercase()},
                    })
                })
                .collect();
            (
                RateKind::Tiered {
                    tiers: Tiers::try_new(tiers).unwrap(),
                },
                "0.00".to_string(),
                Value::Array(json_tiers),
            )
        }
    };
    let json = json!({
        "id": id,
        "name": format!("{} {kind_name} #{id}", VENUES[venue].name),
        "type": kind_name,
        "base": base,
        "tiers": tiers,
    });
    GenRate {
        id,
        venue,
        kind,
        json,
        truth,
    }
}

/// An export of `rates` random rates with about `per_rate` sessions each;
/// about `wrong` percent of the final figures are planted wrong.
fn generate(seed: u64, rates: u64, per_rate: u64, wrong: u64) -> Export {
    let mut rng = Rng(seed);
    let mut export = Export {
        rates: (1..=rates).map(|id| random_rate(&mut rng, id)).collect(),
        sessions: Vec::new(),
    };
    let mut next_id = 700_000 + seed * 100_000;
    for r in 0..export.rates.len() {
        // Some rates never see a comped attendee, a late cancel or a no-show:
        // their flags are then undetermined.
        let comped = rng.percent(75);
        let late = rng.percent(75);
        let no_shows = rng.percent(75);
        // Some per-hour rates only ever run whole minutes: hours basis undetermined.
        let hours: &[&str] = if rng.percent(50) {
            &["0.5", "0.75", "1", "1.25", "1.5", "0.83", "1.33", "0.67", "0.917"]
        } else {
            &["0.5", "0.75", "1", "1.25", "1.5", "2"]
        };
        let first = export.sessions.len();
        for _ in 0..rng.range(per_rate * 3 / 4, per_rate * 5 / 4) {
            let attended = if rng.percent(8) {
                0
            } else {
                rng.range(1, 22) as u32
            };
            let comped_count = if comped && attended > 0 && rng.percent(40) {
                rng.range(1, u64::from(attended.min(3))) as u32
            } else {
                0
            };
            let late_count = if late && rng.percent(35) {
                rng.range(1, 3) as u32
            } else {
                0
            };
            let no_show_count = if no_shows && rng.percent(35) {
                rng.range(1, 3) as u32
            } else {
                0
            };
            next_id += rng.range(1, 3);
            export.sessions.push(GenSession {
                id: next_id,
                rate: Some(r),
                venue: export.rates[r].venue,
                counts: Counts::try_new(attended, comped_count, late_count, no_show_count).unwrap(),
                hours: d(rng.pick(hours)),
                pending: rng.percent(2),
                reported: None,
                planted: false,
            });
        }
        // A cap that binds on about one session in six, when the rate has one.
        if rng.percent(40) {
            let rate = &export.rates[r];
            let mut pays: Vec<Decimal> = export.sessions[first..]
                .iter()
                .map(|s| pay(rate, s, &rate.truth))
                .collect();
            pays.sort();
            let cap = pays[pays.len() * 5 / 6].trunc();
            if cap > Decimal::ZERO {
                export.rates[r].truth.max_pay = Some(cap);
            }
        }
        let rate = &export.rates[r];
        let currency = rate.currency();
        for s in &mut export.sessions[first..] {
            let truth = pay(rate, s, &rate.truth);
            s.reported = match (s.pending, rng.percent(wrong)) {
                // A pending figure is provisional: absent or anything.
                (true, _) => rng.percent(50).then(|| truth + Decimal::ONE),
                (false, false) => Some(truth),
                (false, true) => {
                    s.planted = true;
                    // A manual edit: off by a minor unit, a few units, or a tenth.
                    let wrong = match rng.range(0, 3) {
                        0 => truth + currency.minor_unit(),
                        1 => (truth - currency.minor_unit()).max(Decimal::ZERO),
                        2 => truth + minor(rng.range(1, 9) * 100, currency, 0),
                        _ => currency.round(truth * d("1.1"), RoundingMode::HalfUp),
                    };
                    Some(if wrong == truth {
                        truth + currency.minor_unit()
                    } else {
                        wrong
                    })
                }
            };
        }
    }
    // A few sessions without a rate, and one final session without a figure.
    for venue in 0..VENUES.len() {
        next_id += 1;
        export.sessions.push(GenSession {
            id: next_id,
            rate: None,
            venue,
            counts: Counts::try_new(4, 0, 0, 0).unwrap(),
            hours: Decimal::ONE,
            pending: false,
            reported: Some(Decimal::ZERO),
            planted: false,
        });
    }
    next_id += 1;
    export.sessions.push(GenSession {
        id: next_id,
        rate: Some(0),
        venue: export.rates[0].venue,
        counts: Counts::try_new(4, 0, 0, 0).unwrap(),
        hours: Decimal::ONE,
        pending: false,
        reported: None,
        planted: false,
    });
    export
}

/// The settings of a policy as (key, value) for comparison, amounts normalised.
fn setting(policy: &RatePolicy, key: &str) -> String {
    match key {
        "count_comped" => policy.count_comped.to_string(),
        "count_late_cancels" => policy.count_late_cancels.to_string(),
        "count_no_shows" => policy.count_no_shows.to_string(),
        "tier_mode" => policy.tier_mode.as_str().to_string(),
        "rounding" => policy.rounding.as_str().to_string(),
        "hours_basis" => policy.hours_basis.as_str().to_string(),
        "empty_session_pay" => format!("{:?}", policy.empty_session_pay.map(|a| a.normalize())),
        "max_pay" => format!("{:?}", policy.max_pay.map(|a| a.normalize())),
        other => panic!("no setting {other}"),
    }
}

/// `policy` with one setting changed: the other value, or no amount.
fn flipped(policy: &RatePolicy, key: &str) -> Option<RatePolicy> {
    let p = *policy;
    Some(match key {
        "count_comped" => RatePolicy {
            count_comped: !p.count_comped,
            ..p
        },
        "count_late_cancels" => RatePolicy {
            count_late_cancels: !p.count_late_cancels,
            ..p
        },
        "count_no_shows" => RatePolicy {
            count_no_shows: !p.count_no_shows,
            ..p
        },
        "tier_mode" => RatePolicy {
            tier_mode: p.tier_mode.other(),
            ..p
        },
        "rounding" => RatePolicy {
            rounding: match p.rounding {
                RoundingMode::HalfUp => RoundingMode::HalfEven,
                RoundingMode::HalfEven => RoundingMode::HalfUp,
            },
            ..p
        },
        "hours_basis" => RatePolicy {
            hours_basis: p.hours_basis.other(),
            ..p
        },
        "empty_session_pay" => {
            p.empty_session_pay?;
            RatePolicy {
                empty_session_pay: None,
                ..p
            }
        }
        "max_pay" => {
            p.max_pay?;
            RatePolicy { max_pay: None, ..p }
        }
        other => panic!("no setting {other}"),
    })
}

const SETTINGS: [&str; 8] = [
    "count_comped",
    "count_late_cancels",
    "count_no_shows",
    "tier_mode",
    "empty_session_pay",
    "max_pay",
    "rounding",
    "hours_basis",
];

fn policy_file(dir: &TestDir, name: &str) -> RateTable {
    let text = String::from_utf8(dir.read(name)).unwrap();
    sessionpay_io::parse_policy(&text, Path::new(name)).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// The sessions `reconcile --rates RATES INPUT` reports as mismatches.
fn mismatches(dir: &TestDir, rates: &str, input: &str) -> BTreeSet<u64> {
    let run = dir.run(&["reconcile", "-q", "--rates", rates, input]);
    assert!(matches!(run.code, Some(0 | 1)), "{}", run.stderr);
    let table = Table::parse(&run.out());
    let (id, status) = (table.column("session_id"), table.column("status"));
    table
        .rows
        .iter()
        .filter(|r| r[status] == "mismatch")
        .map(|r| r[id].parse().unwrap())
        .collect()
}

/// The JSON report's entry for a rate.
fn rate_json(report: &Value, id: u64) -> &Value {
    report["rates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rate_id"] == id)
        .unwrap_or_else(|| panic!("rate {id} in the JSON report"))
}

fn determined(rate: &Value, key: &str) -> Option<bool> {
    rate["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["setting"] == key)
        .map(|s| s["determined"].as_bool().unwrap())
}

#[derive(Default, Debug)]
struct Checked {
    recovered: BTreeMap<String, u32>,
    undetermined: BTreeMap<String, u32>,
    ambiguous: Vec<String>,
}

/// Infers the policy of one generated export and checks it against the truth.
fn check_export(seed: u64, checked: &mut Checked) {
    let export = generate(seed, 12, 320, 1);
    let dir = TestDir::new();
    dir.write("export.ndjson", export.ndjson(false));
    let run = dir.run(&["rates", "infer", "export.ndjson", "-o", "inferred.toml"]);
    run.assert_code(0);
    assert!(
        run.stderr.contains("explained"),
        "the table of rates: {}",
        run.stderr
    );
    let json_run = dir.run(&["rates", "infer", "-q", "--format", "json", "export.ndjson"]);
    json_run.assert_code(0);
    let report: Value = serde_json::from_str(&json_run.out()).unwrap();
    let inferred = policy_file(&dir, "inferred.toml");

    for (r, rate) in export.rates.iter().enumerate() {
        let got = inferred.policy_for(RateId(rate.id));
        let entry = rate_json(&report, rate.id);
        let sessions: Vec<&GenSession> = export.final_sessions(r).collect();
        let same_pays = sessions
            .iter()
            .all(|s| pay(rate, s, &rate.truth) == pay(rate, s, &got));
        let context = format!(
            "seed {seed}, rate {} ({}): truth {:?}, inferred {:?}",
            rate.id, rate.json["type"], rate.truth, got
        );
        for key in SETTINGS {
            let applies = match key {
                "tier_mode" => matches!(rate.kind, RateKind::Tiered { .. }),
                "hours_basis" => matches!(rate.kind, RateKind::PerHour { .. }),
                _ => true,
            };
            if !applies {
                assert_eq!(determined(entry, key), None, "{context}: {key} does not apply");
                continue;
            }
            // A setting may differ from the truth only where another policy
            // pays every session of the rate exactly as the truth does (say, a
            // cap at the top figure against a rounding mode): then the sessions
            // cannot tell them apart.
            let differs = setting(&got, key) != setting(&rate.truth, key);
            let Some(other) = flipped(&rate.truth, key) else {
                // No amount in the truth: none may be inferred either, whatever
                // the planted figures suggest.
                if differs {
                    assert!(same_pays, "{context}: a spurious {key}");
                    checked.ambiguous.push(format!("{context}: {key}"));
                }
                continue;
            };
            let differ = |s: &&&GenSession| pay(rate, s, &rate.truth) != pay(rate, s, &other);
            let telling = sessions.iter().filter(differ).count();
            let telling_clean = sessions.iter().filter(differ).filter(|s| !s.planted).count();
            if telling_clean >= 3 {
                if differs {
                    assert!(same_pays, "{context}: {key} is told by {telling_clean} sessions");
                    checked.ambiguous.push(format!("{context}: {key}"));
                } else {
                    assert_eq!(determined(entry, key), Some(true), "{context}: {key}");
                    *checked
                        .recovered
                        .entry(format!("{key}={}", setting(&rate.truth, key)))
                        .or_default() += 1;
                }
            } else if telling == 0 && !matches!(key, "empty_session_pay" | "max_pay") {
                assert_eq!(
                    determined(entry, key),
                    Some(false),
                    "{context}: {key} cannot be told"
                );
                assert_eq!(
                    setting(&got, key),
                    setting(&RatePolicy::default(), key),
                    "{context}: undetermined {key} keeps its default"
                );
                *checked.undetermined.entry(key.to_string()).or_default() += 1;
            }
        }
    }

    // Under the inferred policy, the planted sessions and only they mismatch;
    // the report lists them as outliers.
    let planted = export.planted();
    assert!(planted.len() >= 10, "seed {seed}: {} planted", planted.len());
    assert_eq!(
        mismatches(&dir, "inferred.toml", "export.ndjson"),
        planted,
        "seed {seed}"
    );
    let outliers: BTreeSet<u64> = report["rates"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["outliers"].as_array().unwrap().iter())
        .map(|o| o["session_id"].as_u64().unwrap())
        .collect();
    assert_eq!(outliers, planted, "seed {seed}: outliers");
    let seen: u64 = report["sessions_seen"].as_u64().unwrap();
    let explained: u64 = report["sessions_explained"].as_u64().unwrap();
    assert_eq!(seen - explained, planted.len() as u64);

    // The same rows in another order give the same file.
    dir.write("reversed.ndjson", export.ndjson(true));
    let reversed = dir.run(&["rates", "infer", "-q", "reversed.ndjson"]);
    reversed.assert_code(0);
    assert_eq!(
        reversed.out(),
        String::from_utf8(dir.read("inferred.toml")).unwrap(),
        "seed {seed}: row order"
    );
}

#[test]
fn generated_exports_give_back_every_setting_their_sessions_tell() {
    let mut checked = Checked::default();
    for seed in 1..=4 {
        check_export(seed, &mut checked);
    }
    // The exports exercise every kind of setting, both ways.
    for key in [
        "count_comped=true",
        "count_comped=false",
        "count_no_shows=true",
        "tier_mode=graduated",
        "tier_mode=slab",
        "rounding=half_even",
        "rounding=half_up",
        "hours_basis=minutes",
    ] {
        assert!(
            checked.recovered.contains_key(key),
            "no rate recovered {key}: {checked:?}"
        );
    }
    assert!(
        checked.recovered.keys().any(|k| k.starts_with("max_pay=Some")),
        "{checked:?}"
    );
    assert!(
        checked
            .recovered
            .keys()
            .any(|k| k.starts_with("empty_session_pay=Some")),
        "{checked:?}"
    );
    for key in ["count_no_shows", "rounding", "hours_basis"] {
        assert!(
            checked.undetermined.contains_key(key),
            "nothing undetermined for {key}: {checked:?}"
        );
    }
    // Coincidences where two policies pay every session alike are rare.
    assert!(checked.ambiguous.len() <= 2, "{:#?}", checked.ambiguous);
}

/// One hand-built one-hour session at Camden (GBP) on `rate`, paid `paid`.
fn hand_row(id: u64, rate: &Value, attended: u32, comped: u32, late: u32, paid: &str) -> String {
    json!({
        "id": id, "instructor": {"id": 1, "name": "Ana"}, "starts_at": "2026-03-02T10:00:00Z",
        "venue": {"id": 101, "name": "Camden"}, "venue_timezone": "Europe/London", "hours": 1,
        "attended_count": attended, "no_show_count": 0, "late_cancel_count": late,
        "comped_counts": {"attended": comped},
        "instructor_pay_rate": rate,
        "instructor_pay": {"decimal": paid, "iso_currency_code": "gbp"},
        "instructor_pay_calculation_pending": false,
    })
    .to_string()
}

/// Writes `rows` as `x.ndjson`, runs `rates infer` on it into `inferred.toml`
/// and checks the exit status; gives the run and the file's text.
fn infer_rows(dir: &TestDir, rows: &[String], code: i32) -> (Run, String) {
    dir.write("x.ndjson", rows.join("\n"));
    let run = dir.run(&["rates", "infer", "x.ndjson", "-o", "inferred.toml"]);
    run.assert_code(code);
    let text = String::from_utf8(dir.read("inferred.toml")).unwrap();
    (run, text)
}

/// A per-customer rate of 5.00 with `id`.
fn five_per_customer(id: u64) -> Value {
    json!({"id": id, "name": "pc", "type": "per_customer", "base": "5.00", "tiers": []})
}

#[test]
fn undetermined_settings_are_left_out_with_a_comment_saying_why() {
    let dir = TestDir::new();
    let rate = five_per_customer(9);
    let row = |id, attended, comped, paid| hand_row(id, &rate, attended, comped, 0, paid);
    // Comped attendees count (4 + 1 comped paid 25), nobody ever no-showed or cancelled late.
    let rows = [
        row(1, 5, 1, "25.00"),
        row(2, 3, 2, "15.00"),
        row(3, 6, 0, "30.00"),
        row(4, 2, 1, "10.00"),
    ];
    dir.write("x.ndjson", rows.join("\n"));
    let run = dir.run(&["rates", "infer", "x.ndjson"]);
    run.assert_code(0);
    let out = run.out();
    assert!(
        out.contains("\n[rates.9]\ncount_comped = true  # 3 sessions tell true from false"),
        "{out}"
    );
    assert!(
        out.contains("# count_no_shows: undetermined, default false kept: no session had a no-show\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "# count_late_cancels: undetermined, default false kept: no session had a late cancellation\n"
        ),
        "{out}"
    );
    assert!(!out.contains("count_no_shows ="), "{out}");
    assert!(out.contains("[venues.101]\ncurrency = \"GBP\""), "{out}");
    assert!(
        run.stderr.contains("count_late_cancels, count_no_shows"),
        "{}",
        run.stderr
    );
    let table = sessionpay_io::parse_policy(&out, Path::new("inferred.toml")).unwrap();
    assert_eq!(table.rates[&RateId(9)].count_comped, Some(true));
    assert_eq!(table.rates[&RateId(9)].count_no_shows, None);
}

#[test]
fn a_rate_that_no_policy_explains_exits_1() {
    let dir = TestDir::new();
    let mut rng = Rng(42);
    let rate = five_per_customer(3);
    let rows: Vec<String> = (1..=40)
        .map(|id| {
            let attended = rng.range(1, 20) as u32;
            let paid = format!("{}.{:02}", rng.range(1, 90), rng.range(0, 99));
            hand_row(id, &rate, attended, 0, 0, &paid)
        })
        .collect();
    let (run, text) = infer_rows(&dir, &rows, 1);
    assert!(
        run.stderr
            .contains("rate 3: no policy explains most of its sessions"),
        "{}",
        run.stderr
    );
    assert!(text.contains("# WARNING: no policy explains most"), "{text}");
    sessionpay_io::parse_policy(&text, Path::new("inferred.toml")).unwrap();
}

#[test]
fn the_conformance_export_gives_back_its_policy_where_the_sessions_tell() {
    let dir = TestDir::new();
    for name in ["report.ndjson", "report.csv", "rates.toml"] {
        dir.copy(&format!("conformance/{name}"));
    }
    let run = dir.run(&["rates", "infer", "report.ndjson", "-o", "inferred.toml"]);
    run.assert_code(0);
    let json_run = dir.run(&["rates", "infer", "-q", "--format", "json", "report.ndjson"]);
    let report: Value = serde_json::from_str(&json_run.out()).unwrap();
    let truth = policy_file(&dir, "rates.toml");
    let inferred = policy_file(&dir, "inferred.toml");
    let mut determined_settings = 0;
    for rate in report["rates"].as_array().unwrap() {
        let id = RateId(rate["rate_id"].as_u64().unwrap());
        for s in rate["settings"].as_array().unwrap() {
            let key = s["setting"].as_str().unwrap();
            if s["determined"] == true {
                determined_settings += 1;
                let (got, want) = (inferred.policy_for(id).max_pay, truth.policy_for(id).max_pay);
                if key == "max_pay" && got.is_none() {
                    // "No cap" means no cap that any session reaches.
                    let highest: Decimal = rate["highest_pay"].as_str().unwrap().parse().unwrap();
                    assert!(want.is_none_or(|cap| cap >= highest), "rate {}: {want:?}", id.0);
                    continue;
                }
                assert_eq!(
                    setting(&inferred.policy_for(id), key),
                    setting(&truth.policy_for(id), key),
                    "rate {}: {key}",
                    id.0
                );
            }
        }
    }
    assert!(determined_settings > 80, "{determined_settings}");
    // Where rates.toml sets something the sessions cannot tell (a cap no
    // session reaches, the counting flags of per-hour rates), the pay of
    // every session is still the same: reconcile flags the same sessions.
    let expected = mismatches(&dir, "rates.toml", "report.ndjson");
    assert!(!expected.is_empty());
    assert_eq!(mismatches(&dir, "inferred.toml", "report.ndjson"), expected);
    // The inferred file carries the venue currencies, so it serves CSV exports whose money has only `$`.
    assert_eq!(mismatches(&dir, "inferred.toml", "report.csv"), expected);
    // The CSV export with the venue currencies of rates.toml gives the same file.
    let csv = dir.run(&["rates", "infer", "-q", "--rates", "rates.toml", "report.csv"]);
    csv.assert_code(0);
    assert_eq!(csv.out(), String::from_utf8(dir.read("inferred.toml")).unwrap());
}

/// Puts every planted figure right: the export as TeamUp would have it.
fn restore_planted(export: &mut Export) {
    let right: Vec<(usize, Decimal)> = export
        .sessions
        .iter()
        .enumerate()
        .filter(|(_, s)| s.planted)
        .map(|(i, s)| {
            let rate = &export.rates[s.rate.unwrap()];
            (i, pay(rate, s, &rate.truth))
        })
        .collect();
    for (i, figure) in right {
        export.sessions[i].reported = Some(figure);
        export.sessions[i].planted = false;
    }
}

/// With 5% of the final figures planted wrong, every rate gets the policy it
/// gets from the same export with those figures put right, and reconcile
/// under it flags exactly the planted sessions.
#[test]
fn five_percent_wrong_figures_leave_the_policy_of_the_clean_export() {
    for seed in [11, 12] {
        let mut export = generate(seed, 12, 320, 5);
        let planted = export.planted();
        assert!(planted.len() > 100, "seed {seed}: {} planted", planted.len());
        let dir = TestDir::new();
        dir.write("noisy.ndjson", export.ndjson(false));
        restore_planted(&mut export);
        dir.write("clean.ndjson", export.ndjson(false));
        for name in ["noisy", "clean"] {
            let run = dir.run(&[
                "rates",
                "infer",
                "-q",
                &format!("{name}.ndjson"),
                "-o",
                &format!("{name}.toml"),
            ]);
            run.assert_code(0);
        }
        let (noisy, clean) = (policy_file(&dir, "noisy.toml"), policy_file(&dir, "clean.toml"));
        for rate in &export.rates {
            let id = RateId(rate.id);
            assert_eq!(
                noisy.policy_for(id),
                clean.policy_for(id),
                "seed {seed}, rate {}",
                rate.id
            );
        }
        assert_eq!(
            mismatches(&dir, "noisy.toml", "noisy.ndjson"),
            planted,
            "seed {seed}"
        );
        assert_eq!(
            mismatches(&dir, "clean.toml", "clean.ndjson"),
            BTreeSet::new(),
            "seed {seed}"
        );
    }
}

/// `rates` random rates of 3 to 5 sessions each, with counts that make every
/// counting flag matter and, on half of them, a cap that cuts the top figure:
/// settings each session alone cannot tell apart, but all of them can together.
fn few_sessions_export(seed: u64, rates: u64) -> Export {
    let mut rng = Rng(seed);
    let mut export = Export {
        rates: (1..=rates).map(|id| random_rate(&mut rng, id)).collect(),
        sessions: Vec::new(),
    };
    let mut next_id = 900_000 + seed * 1_000;
    for r in 0..export.rates.len() {
        let first = export.sessions.len();
        for _ in 0..rng.range(3, 5) {
            let attended = if rng.percent(15) {
                0
            } else {
                rng.range(1, 14) as u32
            };
            let comped = if attended > 0 && rng.percent(50) {
                rng.range(1, u64::from(attended.min(2))) as u32
            } else {
                0
            };
            let late = if rng.percent(50) {
                rng.range(1, 2) as u32
            } else {
                0
            };
            let no_shows = if rng.percent(50) {
                rng.range(1, 2) as u32
            } else {
                0
            };
            next_id += 1;
            export.sessions.push(GenSession {
                id: next_id,
                rate: Some(r),
                venue: export.rates[r].venue,
                counts: Counts::try_new(attended, comped, late, no_shows).unwrap(),
                hours: d(rng.pick(&["0.5", "0.75", "1", "0.83", "1.33", "0.917", "1.5"])),
                pending: false,
                reported: None,
                planted: false,
            });
        }
        if rng.percent(50) {
            let rate = &export.rates[r];
            let top = export.sessions[first..]
                .iter()
                .map(|s| pay(rate, s, &rate.truth))
                .max()
                .unwrap();
            let cap = (top * d("0.9")).trunc();
            if cap > Decimal::ZERO {
                export.rates[r].truth.max_pay = Some(cap);
            }
        }
        let rate = &export.rates[r];
        for s in &mut export.sessions[first..] {
            s.reported = Some(pay(rate, s, &rate.truth));
        }
    }
    export
}

/// r13: on rates with 3 to 5 sessions whose figures need several settings at
/// once, `rates infer` gives a policy under which `reconcile` matches every
/// session, and marks the settings resting on a single session as weak.
#[test]
fn r13_rates_with_few_sessions_get_a_policy_that_matches_every_session() {
    let dir = TestDir::new();
    let mut weak = 0;
    for seed in 1..=2 {
        let export = few_sessions_export(seed, 10);
        let (input, output) = (format!("few{seed}.ndjson"), format!("few{seed}.toml"));
        dir.write(&input, export.ndjson(false));
        let run = dir.run(&["rates", "infer", &input, "-o", &output]);
        run.assert_code(0);
        assert!(!run.stderr.contains("no policy explains"), "{}", run.stderr);
        let run = dir.run(&["reconcile", "-q", "--rates", &output, &input]);
        let table = Table::parse(&run.out());
        let status = table.column("status");
        assert_eq!(table.rows.len(), export.sessions.len());
        let text = String::from_utf8(dir.read(&output)).unwrap();
        for row in &table.rows {
            assert_eq!(row[status], "match", "seed {seed}: {row:?}\n{text}");
        }
        run.assert_code(0);
        weak += text.matches("  # weak: ").count();
    }
    assert!(weak >= 5, "{weak} weak settings");
}

/// r13: the example, a 5-session tiered rate whose figures need
/// count_comped, count_late_cancels, graduated tiers and a cap of 80 at once.
/// Settings resting on a single session are set and marked weak, in the
/// policy file, the JSON and the table.
#[test]
fn r13_settings_resting_on_one_session_are_set_and_marked_weak() {
    let dir = TestDir::new();
    let rate = json!({"id": 7, "name": "Tiered", "type": "per_customer_tiered", "base": "0", "tiers": [
        {"lower_bound": 1, "upper_bound": 5, "per_customer_amount": {"amount": "10.00", "currency": "gbp"}},
        {"lower_bound": 6, "upper_bound": null, "per_customer_amount": {"amount": "12.00", "currency": "gbp"}},
    ]});
    // (attended, comped, late cancels, paid): 5 counted 50; 8 counted 86 capped at 80; 3; 7 counted 74; 3;
    // and one session with nobody, paid by the formula.
    let cases = [
        (4, 1, 1, "50.00"),
        (6, 2, 2, "80.00"),
        (3, 0, 0, "30.00"),
        (7, 1, 0, "74.00"),
        (2, 0, 1, "30.00"),
        (0, 0, 0, "0.00"),
    ];
    let rows: Vec<String> = cases
        .iter()
        .enumerate()
        .map(|(i, &(attended, comped, late, paid))| {
            hand_row(i as u64 + 1, &rate, attended, comped, late, paid)
        })
        .collect();
    let (run, text) = infer_rows(&dir, &rows, 0);
    assert!(
        run.stderr
            .contains("(weak: tier_mode, empty_session_pay, max_pay)"),
        "{}",
        run.stderr
    );
    for line in [
        "count_comped = true  # 3 sessions tell true from false: 3 match true, 0 match false\n",
        "tier_mode = \"graduated\"  # weak: 1 session tells \"graduated\" from \"slab\": 1 matches \"graduated\", 0 match \"slab\"; nothing contradicts it",
        "max_pay = \"80\"  # weak: 1 session tells \"80\" from none: 1 matches \"80\", 0 match none; nothing contradicts it",
        "# empty_session_pay: none - weak: 1 of 1 empty session (nobody counted) were paid by the formula; nothing contradicts it",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
    let table = policy_file(&dir, "inferred.toml");
    let policy = table.policy_for(RateId(7));
    assert!(policy.count_comped && policy.count_late_cancels);
    assert_eq!(policy.tier_mode, TierMode::Graduated);
    assert_eq!(policy.max_pay, Some(d("80")));
    assert_eq!(mismatches(&dir, "inferred.toml", "x.ndjson"), BTreeSet::new());

    let json_run = dir.run(&["rates", "infer", "-q", "--format", "json", "x.ndjson"]);
    json_run.assert_code(0);
    let report: Value = serde_json::from_str(&json_run.out()).unwrap();
    let rate = rate_json(&report, 7);
    assert_eq!(rate["weak"], json!(["tier_mode", "empty_session_pay", "max_pay"]));
    assert_eq!(determined(rate, "tier_mode"), Some(true));
    let finding = |key: &str| {
        rate["settings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["setting"] == key)
            .map(|s| s["finding"].as_str().unwrap().to_string())
    };
    assert_eq!(finding("tier_mode").as_deref(), Some("weak"));
    assert_eq!(finding("count_comped").as_deref(), Some("determined"));
    assert_eq!(rate["sessions_explained"], 6);
}

/// r13: exit 1 says no policy explains most of a rate's sessions, so it is
/// judged on the best combination: two of three sessions counted their comped
/// attendees and one did not, too few to settle count_comped against the one,
/// but without it only one of three is explained.
#[test]
fn r13_a_rate_the_best_policy_mostly_explains_exits_0_with_the_setting_weak() {
    let dir = TestDir::new();
    let rate = five_per_customer(4);
    let rows = [
        hand_row(1, &rate, 4, 1, 0, "20.00"),
        hand_row(2, &rate, 6, 2, 0, "30.00"),
        hand_row(3, &rate, 3, 1, 0, "10.00"),
    ];
    let (run, text) = infer_rows(&dir, &rows, 0);
    assert!(!run.stderr.contains("no policy explains"), "{}", run.stderr);
    assert!(
        text.contains("count_comped = true  # weak: 3 sessions tell true from false: 2 match true, 1 matches false; without it no policy explains most of the sessions"),
        "{text}"
    );
    assert!(
        text.contains("#   3 reported 10.00 GBP, computed 15.00"),
        "{text}"
    );
    assert_eq!(mismatches(&dir, "inferred.toml", "x.ndjson"), BTreeSet::from([3]));
}
