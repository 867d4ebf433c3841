//! The fixed cast of the synthetic export: venues, offering types, and the seeded
//! instructors and pay rates (with their rate policy).

use chrono_tz::Tz;
use rust_decimal::Decimal;

use crate::rng::Rng;
use crate::text::{csv_cell, json_str, push_amount_float, push_int};

/// A venue. Amounts of a venue are generated in "standard cents" (GBP-like magnitudes)
/// and multiplied by `scale` into hundredths of the venue's major unit.
#[derive(Debug)]
pub struct Venue {
    pub id: u32,
    pub name: &'static str,
    /// Prefix of the rate names ("Docklands per hour #4").
    pub short: &'static str,
    pub tz_name: &'static str,
    pub tz: Tz,
    /// ISO 4217, upper case.
    pub currency: &'static str,
    pub currency_lower: &'static str,
    pub symbol: &'static str,
    /// ISO 4217 minor unit (JPY 0).
    pub dp: u32,
    /// Relative share of sessions.
    pub weight: u32,
    /// Standard cents -> hundredths of this currency's major unit.
    pub scale: i64,
}

pub fn venues() -> Vec<Venue> {
    let v =
        |id, name, short, tz_name: &'static str, currency, currency_lower, symbol, dp, weight, scale| Venue {
            id,
            name,
            short,
            tz_name,
            tz: tz_name.parse().expect("known zone"),
            currency,
            currency_lower,
            symbol,
            dp,
            weight,
            scale,
        };
    vec![
        v(
            101,
            "Camden Studio",
            "Camden Studio",
            "Europe/London",
            "GBP",
            "gbp",
            "£",
            2,
            590,
            1,
        ),
        v(
            102,
            "Docklands, Dublin",
            "Docklands",
            "Europe/Dublin",
            "EUR",
            "eur",
            "€",
            2,
            340,
            1,
        ),
        v(
            103,
            "Brooklyn Loft",
            "Brooklyn Loft",
            "America/New_York",
            "USD",
            "usd",
            "$",
            2,
            530,
            1,
        ),
        v(
            104,
            "Bondi Beach",
            "Bondi Beach",
            "Australia/Sydney",
            "AUD",
            "aud",
            "$",
            2,
            350,
            1,
        ),
        v(
            105,
            "Phoenix Desert",
            "Phoenix Desert",
            "America/Phoenix",
            "USD",
            "usd",
            "$",
            2,
            260,
            1,
        ),
        v(
            106,
            "Kolkata Central",
            "Kolkata Central",
            "Asia/Kolkata",
            "INR",
            "inr",
            "₹",
            2,
            260,
            100,
        ),
        v(
            107,
            "Tokyo Shibuya",
            "Tokyo Shibuya",
            "Asia/Tokyo",
            "JPY",
            "jpy",
            "¥",
            0,
            660,
            100,
        ),
    ]
}

#[derive(Debug)]
pub struct OfferingType {
    pub id: u32,
    pub name: &'static str,
    pub session_type: &'static str,
    /// One-to-one sessions (capacity 1).
    pub one_to_one: bool,
    /// CSV cells `name,offering_type.id,offering_type.name` (no leading/trailing comma).
    pub csv: String,
    /// JSON members `"name": ..., "offering_type": {...}`.
    pub json: String,
}

pub fn offering_types() -> Vec<OfferingType> {
    let raw: [(u32, &str, &str, bool); 9] = [
        (1, "Yoga Flow", "class", false),
        (2, "HIIT", "class", false),
        (3, "Reformer Pilates", "class", false),
        (4, "Spin 45", "class", false),
        (5, "Beginners' Course", "course_session", false),
        (6, "Personal Training", "class", true),
        (7, "Boxing, Bags & Burpees", "class", false),
        (8, "The \"Big\" Stretch", "class", false),
        (9, "Barre à la Carte, \"Level 2\"", "class", false),
    ];
    raw.iter()
        .map(|&(id, name, session_type, one_to_one)| {
            let mut csv = Vec::new();
            csv_cell(&mut csv, name);
            csv.push(b',');
            push_int(&mut csv, i64::from(id));
            csv.push(b',');
            csv_cell(&mut csv, name);
            let mut json = Vec::new();
            json.extend_from_slice(b"\"name\": ");
            json_str(&mut json, name);
            json.extend_from_slice(b", \"offering_type\": {\"id\": ");
            push_int(&mut json, i64::from(id));
            json.extend_from_slice(b", \"name\": ");
            json_str(&mut json, name);
            json.push(b'}');
            OfferingType {
                id,
                name,
                session_type,
                one_to_one,
                csv: String::from_utf8(csv).expect("utf8"),
                json: String::from_utf8(json).expect("utf8"),
            }
        })
        .collect()
}

#[derive(Debug)]
pub struct Instructor {
    pub id: u32,
    pub name: String,
    /// Venue indexes; the first is the home venue.
    pub venues: Vec<usize>,
    /// CSV cells `instructor.id,instructor.name,instructor.thumbnail_url`.
    pub csv: String,
    /// JSON member `"instructor": {...}`.
    pub json: String,
}

const FIRST: [&str; 24] = [
    "Niamh", "Kofi", "Yuki", "Siobhán", "Olu", "Rafa", "Quinn", "Jo", "Chloé", "Ana", "Gus", "Uma", "Zoë",
    "Mateo", "Priya", "Søren", "Amara", "Lars", "Inés", "Dev", "Hana", "Tomás", "Bea", "Kai",
];
const LAST: [&str; 20] = [
    "Chen",
    "Ní Bhriain",
    "Müller",
    "O'Brien",
    "Murphy",
    "Smith",
    "Singh",
    "Nakamura",
    "Haddad",
    "Kowalski",
    "García",
    "Okafor",
    "Björk",
    "D'Souza",
    "van der Berg",
    "Smith, Jr.",
    "\"Coach\" Lee",
    "Ferreira",
    "Dubois",
    "Sato",
];

pub fn instructors(seed: u64, count: usize, venues: &[Venue]) -> Vec<Instructor> {
    let mut rng = Rng::fork(seed, 1);
    let weights: Vec<u32> = venues.iter().map(|v| v.weight).collect();
    (0..count)
        .map(|i| {
            let id = 1000 + i as u32;
            let name = format!("{} {}", rng.pick(&FIRST), rng.pick(&LAST));
            let mut vs = vec![rng.weighted(&weights)];
            let extra = if rng.chance(15, 100) {
                2
            } else if rng.chance(40, 100) {
                1
            } else {
                0
            };
            while vs.len() < 1 + extra {
                let v = rng.weighted(&weights);
                if !vs.contains(&v) {
                    vs.push(v);
                }
            }
            let thumb = format!("https://cdn.example.test/i/{id}.png");
            let mut csv = Vec::new();
            push_int(&mut csv, i64::from(id));
            csv.push(b',');
            csv_cell(&mut csv, &name);
            csv.push(b',');
            csv_cell(&mut csv, &thumb);
            let mut json = Vec::new();
            json.extend_from_slice(b"\"instructor\": {\"id\": ");
            push_int(&mut json, i64::from(id));
            json.extend_from_slice(b", \"name\": ");
            json_str(&mut json, &name);
            json.extend_from_slice(b", \"thumbnail_url\": ");
            json_str(&mut json, &thumb);
            json.push(b'}');
            Instructor {
                id,
                name,
                venues: vs,
                csv: String::from_utf8(csv).expect("utf8"),
                json: String::from_utf8(json).expect("utf8"),
            }
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateType {
    PerCustomer,
    PerHour,
    Tiered,
}

impl RateType {
    pub fn key(self) -> &'static str {
        match self {
            RateType::PerCustomer => "per_customer",
            RateType::PerHour => "per_hour",
            RateType::Tiered => "per_customer_tiered",
        }
    }
    fn label(self) -> &'static str {
        match self {
            RateType::PerCustomer => "per customer",
            RateType::PerHour => "per hour",
            RateType::Tiered => "per customer tiered",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TierMode {
    Slab,
    Graduated,
}

#[derive(Debug, Clone)]
pub struct Tier {
    pub lower: u32,
    /// None = open-ended.
    pub upper: Option<u32>,
    /// Hundredths of the major unit.
    pub amount: i64,
}

/// The rate policy of SPEC section 2 (rounding is always half_up, hours_basis reported).
#[derive(Debug, Clone)]
pub struct Policy {
    pub count_comped: bool,
    pub count_late_cancels: bool,
    pub count_no_shows: bool,
    pub tier_mode: TierMode,
    /// Whether `tier_mode` is written to rates.toml (slab is the default).
    pub write_tier_mode: bool,
    /// Hundredths of the major unit (always a whole minor unit).
    pub empty_session_pay: Option<i64>,
    pub max_pay: Option<i64>,
    /// Whether `rounding = "half_up"` is written explicitly.
    pub write_rounding: bool,
}

#[derive(Debug)]
pub struct Rate {
    pub id: u32,
    pub venue: usize,
    pub kind: RateType,
    pub name: String,
    /// Hundredths of the major unit (`base` is printed with 2 decimals, as TeamUp does).
    pub base: i64,
    pub tiers: Vec<Tier>,
    pub policy: Policy,
    pub base_dec: Decimal,
    pub tier_amounts: Vec<Decimal>,
    pub empty_session_pay_dec: Option<Decimal>,
    pub max_pay_dec: Option<Decimal>,
    /// CSV cells `id,name,type,base,tiers`.
    pub csv: String,
    /// JSON object of `instructor_pay_rate`.
    pub json: String,
}

/// Rates: 3 to 5 per venue, every type at each venue, ids 1.. in shuffled venue order.
pub fn rates(seed: u64, venues: &[Venue]) -> Vec<Rate> {
    let mut rng = Rng::fork(seed, 2);
    let mut specs: Vec<(usize, RateType)> = Vec::new();
    for vi in 0..venues.len() {
        let mut kinds = vec![RateType::PerCustomer, RateType::PerHour, RateType::Tiered];
        let extra = rng.below(3);
        for _ in 0..extra {
            kinds.push(*rng.pick(&[RateType::PerCustomer, RateType::PerHour, RateType::Tiered]));
        }
        for k in kinds {
            specs.push((vi, k));
        }
    }
    rng.shuffle(&mut specs);
    specs
        .into_iter()
        .enumerate()
        .map(|(i, (vi, kind))| make_rate(&mut rng, i as u32 + 1, vi, &venues[vi], kind))
        .collect()
}

fn round_up_to(x: i64, step: i64) -> i64 {
    (x + step - 1) / step * step
}

fn make_rate(rng: &mut Rng, id: u32, vi: usize, venue: &Venue, kind: RateType) -> Rate {
    let s = venue.scale;
    let mut tiers = Vec::new();
    let base = match kind {
        RateType::PerHour => rng.range(80, 180) * 25 * s,
        RateType::PerCustomer => {
            let c = if rng.chance(1, 5) {
                rng.range(50, 160) * 5
            } else {
                rng.range(10, 32) * 25
            };
            // Half-yen bases make JPY rounding matter (`712.50` x 3 customers).
            let half = if venue.dp == 0 && rng.chance(1, 4) { 50 } else { 0 };
            c * s + half
        }
        RateType::Tiered => {
            let count = rng.range(2, 4) as usize;
            let mut lower = 1u32;
            let mut amount = rng.range(30, 80) * 5;
            for t in 0..count {
                let upper = if t + 1 == count {
                    None
                } else {
                    Some(lower + rng.range(3, 7) as u32)
                };
                tiers.push(Tier {
                    lower,
                    upper,
                    amount: amount * s,
                });
                if let Some(u) = upper {
                    lower = u + 1;
                }
                amount += rng.range(4, 20) * 5;
            }
            0
        }
    };
    let tier_mode = if kind == RateType::Tiered && rng.chance(1, 2) {
        TierMode::Graduated
    } else {
        TierMode::Slab
    };
    let write_tier_mode = kind == RateType::Tiered && (tier_mode == TierMode::Graduated || rng.chance(1, 2));
    let count_comped = rng.chance(1, 2);
    let count_late_cancels = rng.chance(2, 5);
    let count_no_shows = rng.chance(3, 10);
    let max_pay = if rng.chance(1, 4) {
        // Whole major units, so a JPY cap is whole yen too.
        let unit = 100 * s;
        let m = match kind {
            RateType::PerHour => base * rng.range(12, 18) / 10,
            RateType::PerCustomer => base * rng.range(8, 16),
            RateType::Tiered => tiers.last().map_or(0, |t| t.amount) * rng.range(8, 16),
        };
        Some(round_up_to(m.max(unit), unit))
    } else {
        None
    };
    let empty_session_pay = if rng.chance(1, 4) {
        Some(rng.range(2, 6) * 250 * s)
    } else {
        None
    };
    let write_rounding = rng.chance(1, 3);
    let policy = Policy {
        count_comped,
        count_late_cancels,
        count_no_shows,
        tier_mode,
        write_tier_mode,
        empty_session_pay,
        max_pay,
        write_rounding,
    };
    let name = format!("{} {} #{}", venue.short, kind.label(), id);
    let base_txt = {
        let mut b = Vec::new();
        crate::text::push_fixed(&mut b, base, 2);
        String::from_utf8(b).expect("utf8")
    };
    let tiers_json = {
        let mut b = Vec::new();
        b.push(b'[');
        for (i, t) in tiers.iter().enumerate() {
            if i > 0 {
                b.extend_from_slice(b", ");
            }
            b.extend_from_slice(b"{\"upper_bound\": ");
            match t.upper {
                Some(u) => push_int(&mut b, i64::from(u)),
                None => b.extend_from_slice(b"null"),
            }
            b.extend_from_slice(b", \"lower_bound\": ");
            push_int(&mut b, i64::from(t.lower));
            b.extend_from_slice(b", \"per_customer_amount\": {\"amount\": ");
            push_amount_float(&mut b, t.amount, 2);
            b.extend_from_slice(b", \"currency\": \"");
            b.extend_from_slice(venue.currency_lower.as_bytes());
            b.extend_from_slice(b"\"}}");
        }
        b.push(b']');
        String::from_utf8(b).expect("utf8")
    };
    let mut csv = Vec::new();
    push_int(&mut csv, i64::from(id));
    csv.push(b',');
    csv_cell(&mut csv, &name);
    csv.push(b',');
    csv.extend_from_slice(kind.key().as_bytes());
    csv.push(b',');
    csv.extend_from_slice(base_txt.as_bytes());
    csv.push(b',');
    csv_cell(&mut csv, &tiers_json);
    let mut json = Vec::new();
    json.extend_from_slice(b"{\"id\": ");
    push_int(&mut json, i64::from(id));
    json.extend_from_slice(b", \"name\": ");
    json_str(&mut json, &name);
    json.extend_from_slice(b", \"type\": \"");
    json.extend_from_slice(kind.key().as_bytes());
    json.extend_from_slice(b"\", \"base\": \"");
    json.extend_from_slice(base_txt.as_bytes());
    json.extend_from_slice(b"\", \"tiers\": ");
    json.extend_from_slice(tiers_json.as_bytes());
    json.push(b'}');
    Rate {
        id,
        venue: vi,
        kind,
        name,
        base,
        base_dec: Decimal::new(base, 2),
        tier_amounts: tiers.iter().map(|t| Decimal::new(t.amount, 2)).collect(),
        empty_session_pay_dec: policy.empty_session_pay.map(|a| Decimal::new(a, 2)),
        max_pay_dec: policy.max_pay.map(|a| Decimal::new(a, 2)),
        tiers,
        policy,
        csv: String::from_utf8(csv).expect("utf8"),
        json: String::from_utf8(json).expect("utf8"),
    }
}

/// rates.toml in the format of SPEC section 3.
pub fn rates_toml(seed: u64, sessions: u64, venues: &[Venue], rates: &[Rate]) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Rate policy of a synthetic export: gen-export --seed {seed} --sessions {sessions}"
    );
    let _ = writeln!(
        s,
        "# (sessionpay-benches). TeamUp's figures in the export follow this policy,"
    );
    let _ = writeln!(s, "# except for ~0.5% planted discrepancies.\n");
    let _ = writeln!(
        s,
        "[defaults]\nrounding = \"half_up\"\nhours_basis = \"reported\"\n"
    );
    for v in venues {
        let _ = writeln!(s, "[venues.{}]\ncurrency = \"{}\"\n", v.id, v.currency);
    }
    let mut sorted: Vec<&Rate> = rates.iter().collect();
    sorted.sort_by_key(|r| r.id);
    for r in sorted {
        let p = &r.policy;
        let dp = venues[r.venue].dp;
        let _ = writeln!(s, "[rates.{}]", r.id);
        let _ = writeln!(s, "count_comped = {}", p.count_comped);
        let _ = writeln!(s, "count_late_cancels = {}", p.count_late_cancels);
        let _ = writeln!(s, "count_no_shows = {}", p.count_no_shows);
        if p.write_tier_mode {
            let m = if p.tier_mode == TierMode::Graduated {
                "graduated"
            } else {
                "slab"
            };
            let _ = writeln!(s, "tier_mode = \"{m}\"");
        }
        let amount = |a: i64| {
            let mut b = Vec::new();
            crate::text::push_fixed(&mut b, a / 10i64.pow(2 - dp), dp);
            String::from_utf8(b).expect("utf8")
        };
        if let Some(m) = p.max_pay {
            let _ = writeln!(s, "max_pay = \"{}\"", amount(m));
        }
        if let Some(e) = p.empty_session_pay {
            let _ = writeln!(s, "empty_session_pay = \"{}\"", amount(e));
        }
        if p.write_rounding {
            let _ = writeln!(s, "rounding = \"half_up\"");
        }
        s.push('\n');
    }
    s
}
