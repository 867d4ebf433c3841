//! Property tests of the core's invariants (STYLE section 7): caps hold, rounding is
//! idempotent, payroll totals do not depend on order or on how the input is split,
//! a session reconciles against its own figure, tiered pay agrees with a naive loop.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use proptest::sample::select;
use rust_decimal::Decimal;
use sessionpay_core::*;

// ---------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------

const CURRENCIES: [&str; 3] = ["GBP", "JPY", "KWD"];

const ZONES: [&str; 6] = [
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "America/Phoenix",
];

fn currency() -> impl Strategy<Value = Currency> {
    select(&CURRENCIES[..]).prop_map(|c| Currency::try_from_code(c).unwrap())
}

fn zone() -> impl Strategy<Value = Tz> {
    select(&ZONES[..]).prop_map(|z| z.parse::<Tz>().unwrap())
}

fn rounding() -> impl Strategy<Value = RoundingMode> {
    select(&RoundingMode::ALL[..])
}

/// A non-negative amount with 0 to 4 decimal places, up to 1000.
fn amount() -> impl Strategy<Value = Decimal> {
    (0u32..=4)
        .prop_flat_map(|scale| (0i64..=1000 * 10i64.pow(scale)).prop_map(move |m| Decimal::new(m, scale)))
}

/// Any decimal, positive or negative, with up to 12 decimal places.
fn any_decimal() -> impl Strategy<Value = Decimal> {
    (any::<i64>(), 0u32..=12).prop_map(|(m, s)| Decimal::new(m, s))
}

/// Hours with 2 decimal places in `0..=4`.
fn hours() -> impl Strategy<Value = Decimal> {
    (0i64..=400).prop_map(|h| Decimal::new(h, 2))
}

/// Counts with `comped <= attended`.
fn counts() -> impl Strategy<Value = Counts> {
    (0u32..=40)
        .prop_flat_map(|attended| (Just(attended), 0..=attended, 0u32..=8, 0u32..=8))
        .prop_map(|(a, c, l, n)| Counts::try_new(a, c, l, n).unwrap())
}

/// How a tier follows the one before it.
#[derive(Debug, Clone, Copy)]
enum Link {
    /// `lower == previous upper`: the previous tier becomes half-open.
    Shared,
    /// `lower == previous upper + 1`.
    Adjacent,
    /// A hole of `k` counts no tier holds.
    Gap(u32),
}

fn link() -> impl Strategy<Value = Link> {
    prop_oneof![
        Just(Link::Shared),
        Just(Link::Adjacent),
        (1u32..=4).prop_map(Link::Gap)
    ]
}

/// A valid tier list, built from sorted bounds: a first lower bound, then per tier a
/// width and how it links to the previous tier; the last tier may be open-ended.
fn tiers() -> impl Strategy<Value = Tiers> {
    (
        0u32..=3,
        prop::collection::vec((0u32..=8, link(), amount()), 1..=4),
        any::<bool>(),
        prop::option::of(currency()),
    )
        .prop_map(|(first_lower, specs, open_last, currency)| {
            let count = specs.len();
            let mut out: Vec<Tier> = Vec::with_capacity(count);
            // Widths decided so far, so a `Shared` link never empties the previous tier.
            for (i, (width, link, amount)) in specs.iter().copied().enumerate() {
                let lower = match out.last_mut() {
                    None => first_lower,
                    Some(previous) => {
                        let previous_upper = previous.upper.expect("only the last tier is open");
                        match link {
                            Link::Shared if previous_upper > previous.lower => previous_upper,
                            Link::Shared | Link::Adjacent => previous_upper + 1,
                            Link::Gap(k) => previous_upper + 1 + k,
                        }
                    }
                };
                let upper = if i + 1 == count && open_last {
                    None
                } else {
                    Some(lower + width)
                };
                out.push(Tier {
                    lower,
                    upper,
                    amount,
                    currency,
                });
            }
            Tiers::try_new(out.clone())
                .unwrap_or_else(|e| panic!("generator built invalid tiers {out:?}: {e}"))
        })
}

fn rate_kind() -> impl Strategy<Value = RateKind> {
    prop_oneof![
        amount().prop_map(|base| RateKind::PerCustomer { base }),
        amount().prop_map(|base| RateKind::PerHour { base }),
        tiers().prop_map(|tiers| RateKind::Tiered { tiers }),
    ]
}

fn rate() -> impl Strategy<Value = Arc<PayRate>> {
    (1u64..=30, rate_kind())
        .prop_map(|(id, kind)| Arc::new(PayRate::try_new(RateId(id), format!("rate {id}"), kind).unwrap()))
}

fn policy() -> impl Strategy<Value = RatePolicy> {
    (
        (any::<bool>(), any::<bool>(), any::<bool>()),
        select(&[TierMode::Slab, TierMode::Graduated][..]),
        prop::option::of(amount()),
        prop::option::of(amount()),
        rounding(),
        select(&[HoursBasis::Reported, HoursBasis::Minutes][..]),
    )
        .prop_map(
            |((count_comped, count_late_cancels, count_no_shows), tier_mode, empty, cap, rounding, basis)| {
                RatePolicy {
                    count_comped,
                    count_late_cancels,
                    count_no_shows,
                    tier_mode,
                    empty_session_pay: empty,
                    max_pay: cap,
                    rounding,
                    hours_basis: basis,
                }
            },
        )
}

fn period_kind() -> impl Strategy<Value = PeriodKind> {
    const WEEKDAYS: [chrono::Weekday; 3] = [chrono::Weekday::Mon, chrono::Weekday::Sun, chrono::Weekday::Wed];
    prop_oneof![
        Just(PeriodKind::Month),
        Just(PeriodKind::Semimonth),
        select(&WEEKDAYS[..]).prop_map(|start| PeriodKind::Week { start }),
        (0i64..5000).prop_map(|days| PeriodKind::Fortnight {
            anchor: NaiveDate::from_ymd_opt(2010, 1, 1).unwrap() + chrono::Days::new(days as u64),
        }),
        Just(PeriodKind::All),
    ]
}

/// An instant between 2000 and 2040, on a whole minute.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    // 2000-01-01T00:00:00Z .. 2040-01-01T00:00:00Z in minutes.
    (15_778_080i64..=36_816_480).prop_map(|m| DateTime::from_timestamp(m * 60, 0).unwrap())
}

/// A session whose parts are all random; `id` is set by the caller.
fn session() -> impl Strategy<Value = Session> {
    (
        (1u64..=5, select(&["Ana", "Bo", "Cé, Dü"][..])),
        (1u64..=4, zone(), currency()),
        instant(),
        hours(),
        counts(),
        prop::option::weighted(0.9, rate()),
        prop::option::of(amount()),
        prop::bool::weighted(0.15),
    )
        .prop_map(
            |(
                (instructor, name),
                (venue, zone, currency),
                starts_at,
                hours,
                counts,
                rate,
                reported,
                pending,
            )| {
                Session {
                    id: SessionId(0),
                    name: "Class".into(),
                    instructor: InstructorId(instructor),
                    instructor_name: name.into(),
                    venue: VenueId(venue),
                    venue_name: format!("Venue {venue}").into(),
                    zone,
                    starts_at,
                    hours,
                    counts,
                    session_type: SessionType::Class,
                    rate,
                    reported,
                    pending,
                    currency,
                }
            },
        )
}

/// Sessions with distinct ids, each with the policy it is priced under.
fn sessions(max: usize) -> impl Strategy<Value = Vec<(Session, RatePolicy)>> {
    prop::collection::vec((session(), policy()), 0..=max).prop_map(|mut v| {
        for (i, (s, _)) in v.iter_mut().enumerate() {
            s.id = SessionId(500_000 + i as u64);
        }
        v
    })
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn priced(session: &Session, policy: &RatePolicy) -> (PayBreakdown, Reconciliation) {
    let pay = compute_pay(session, policy).expect("no overflow at these sizes");
    let rec = reconcile(session, policy, &pay, Decimal::ZERO).expect("no overflow at these sizes");
    (pay, rec)
}

fn payroll_of<'a>(kind: PeriodKind, items: impl IntoIterator<Item = &'a (Session, RatePolicy)>) -> Payroll {
    let mut payroll = Payroll::new(kind);
    for (session, policy) in items {
        let (pay, rec) = priced(session, policy);
        payroll.add(session, &pay, &rec).unwrap();
    }
    payroll
}

/// Whether tier `i` holds count `k`, read straight from SPEC section 2 (not from `Tiers`).
fn naive_holds(tiers: &[Tier], i: usize, k: u64) -> bool {
    let t = &tiers[i];
    if k < u64::from(t.lower) {
        return false;
    }
    match t.upper {
        None => true,
        Some(upper) => {
            let half_open = tiers.get(i + 1).is_some_and(|next| next.lower == upper);
            if half_open {
                k < u64::from(upper)
            } else {
                k <= u64::from(upper)
            }
        }
    }
}

/// The amount of the tier holding `k`, 0 when none does.
fn naive_amount(tiers: &[Tier], k: u64) -> Decimal {
    let holding: Vec<usize> = (0..tiers.len()).filter(|&i| naive_holds(tiers, i, k)).collect();
    assert!(
        holding.len() <= 1,
        "count {k} held by tiers {holding:?} of {tiers:?}"
    );
    holding.first().map_or(Decimal::ZERO, |&i| tiers[i].amount)
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

proptest! {
    /// The cap is never exceeded: `pay <= round(max_pay)` for a rated session with a cap.
    #[test]
    fn the_cap_is_never_exceeded(mut s in session(), rate in rate(), mut policy in policy(), cap in amount()) {
        s.rate = Some(rate);
        policy.max_pay = Some(cap);
        let pay = compute_pay(&s, &policy).unwrap();
        let rounded_cap = s.currency.round(cap, policy.rounding);
        prop_assert!(pay.pay <= rounded_cap, "pay {} > rounded cap {} ({:?})", pay.pay, rounded_cap, pay);
        prop_assert!(pay.raw <= cap, "raw {} > cap {}", pay.raw, cap);
    }

    /// Rounding is idempotent and gives exactly the minor unit's decimal places.
    #[test]
    fn rounding_is_idempotent_at_the_minor_unit(x in any_decimal(), currency in currency()) {
        for mode in RoundingMode::ALL {
            let once = currency.round(x, mode);
            let twice = currency.round(once, mode);
            prop_assert_eq!(once, twice, "{:?} {}", mode, x);
            prop_assert_eq!(once.to_string(), twice.to_string());
            prop_assert_eq!(once.scale(), currency.minor_units(), "{:?} {} -> {}", mode, x, once);
            let half_unit = currency.minor_unit() / Decimal::TWO;
            prop_assert!((once - x).abs() <= half_unit, "{:?} {} -> {} is off by more than half a unit", mode, x, once);
        }
    }

    /// Payroll rows depend neither on the order sessions are added nor on how they are
    /// split into partial payrolls and merged.
    #[test]
    fn payroll_is_independent_of_order_and_split(
        kind in period_kind(),
        (items, shuffled, parts, part_order) in sessions(40).prop_flat_map(|items| {
            let n = items.len();
            let order: Vec<usize> = (0..n).collect();
            (
                Just(items),
                Just(order).prop_shuffle(),
                prop::collection::vec(0usize..4, n),
                Just(vec![0usize, 1, 2, 3]).prop_shuffle(),
            )
        })
    ) {
        let expected = payroll_of(kind, &items).rows().unwrap();
        prop_assert_eq!(expected.iter().map(|r| r.totals.sessions).sum::<u64>(), items.len() as u64);

        let in_shuffled_order = payroll_of(kind, shuffled.iter().map(|&i| &items[i])).rows().unwrap();
        prop_assert_eq!(&in_shuffled_order, &expected);

        let mut partial: Vec<Payroll> = (0..4)
            .map(|p| payroll_of(kind, items.iter().zip(&parts).filter(|(_, &q)| q == p).map(|(it, _)| it)))
            .collect();
        let mut merged = Payroll::new(kind);
        for p in part_order {
            merged.merge(std::mem::replace(&mut partial[p], Payroll::new(kind))).unwrap();
        }
        prop_assert_eq!(&merged.rows().unwrap(), &expected);
    }

    /// A rated, settled session whose reported figure is its own computed pay matches exactly.
    #[test]
    fn a_session_reconciles_against_its_own_figure(mut s in session(), rate in rate(), policy in policy()) {
        s.rate = Some(rate);
        s.pending = false;
        let computed = compute_pay(&s, &policy).unwrap();
        s.reported = Some(computed.pay);
        let rec = reconcile(&s, &policy, &computed, Decimal::ZERO).unwrap();
        prop_assert_eq!(rec.status, Status::Match);
        prop_assert_eq!(rec.difference, Some(Decimal::ZERO));
        prop_assert_eq!(rec.reason, None);
    }

    /// Graduated pay never falls when one more customer is counted (no empty-session pay,
    /// which by design may exceed the pay of one customer).
    #[test]
    fn graduated_pay_never_falls_with_one_more_customer(
        tiers in tiers(),
        currency in currency(),
        mut policy in policy(),
        n in 0u32..=80,
    ) {
        policy.tier_mode = TierMode::Graduated;
        policy.empty_session_pay = None;
        policy.count_comped = false;
        let kind = RateKind::Tiered { tiers: tiers.clone() };
        let at = |n: u32| pay_for(Some(&kind), &Counts::try_new(n, 0, 0, 0).unwrap(), Decimal::ONE, currency, &policy);
        let (now, more) = (at(n).unwrap(), at(n + 1).unwrap());
        prop_assert!(more.raw >= now.raw, "raw fell from {} to {} at n = {}", now.raw, more.raw, n);
        prop_assert!(more.pay >= now.pay, "pay fell from {} to {} at n = {}", now.pay, more.pay, n);
        let (a, b) = (
            tiered_amount(&tiers, u64::from(n), TierMode::Graduated).unwrap(),
            tiered_amount(&tiers, u64::from(n) + 1, TierMode::Graduated).unwrap(),
        );
        prop_assert!(b >= a, "graduated amount fell from {} to {} at n = {}", a, b, n);
    }

    /// Slab pay of `n` is `n ×` the amount of the tier holding `n`; graduated pay is the sum
    /// over `k = 1..=n` of the amount of the tier holding `k` (a naive loop, up to 60).
    #[test]
    fn tiered_pay_agrees_with_a_naive_loop(tiers in tiers(), n in 0u64..=60) {
        let list = tiers.as_slice();
        let slab = tiered_amount(&tiers, n, TierMode::Slab).unwrap();
        prop_assert_eq!(slab, Decimal::from(n) * naive_amount(list, n), "slab, n = {}, {:?}", n, list);
        let graduated = tiered_amount(&tiers, n, TierMode::Graduated).unwrap();
        let naive: Decimal = (1..=n).map(|k| naive_amount(list, k)).sum();
        prop_assert_eq!(graduated, naive, "graduated, n = {}, {:?}", n, list);
        // And the index agrees with the naive reading.
        let index = tiers.index_holding(n);
        let naive_index = (0..list.len()).find(|&i| naive_holds(list, i, n));
        prop_assert_eq!(index, naive_index, "index of n = {}, {:?}", n, list);
    }

    /// Payroll totals: the rows' sessions add up to the sessions added, and their computed
    /// pay to the pay of the sessions that are not pending (per currency).
    #[test]
    fn payroll_totals_add_up(kind in period_kind(), items in sessions(40)) {
        let mut payroll = Payroll::new(kind);
        let mut expected_pay: std::collections::BTreeMap<Currency, Decimal> = Default::default();
        let mut expected_reported: std::collections::BTreeMap<Currency, Decimal> = Default::default();
        let (mut pending, mut unrated, mut hours) = (0u64, 0u64, Decimal::ZERO);
        for (session, policy) in &items {
            let (pay, rec) = priced(session, policy);
            payroll.add(session, &pay, &rec).unwrap();
            hours += session.hours;
            pending += u64::from(session.pending);
            unrated += u64::from(session.rate.is_none());
            if !session.pending {
                *expected_pay.entry(session.currency).or_default() += pay.pay;
                *expected_reported.entry(session.currency).or_default() += session.reported.unwrap_or_default();
            }
        }
        let rows = payroll.rows().unwrap();
        prop_assert_eq!(rows.iter().map(|r| r.totals.sessions).sum::<u64>(), items.len() as u64);
        prop_assert_eq!(rows.iter().map(|r| r.totals.pending_sessions).sum::<u64>(), pending);
        prop_assert_eq!(rows.iter().map(|r| r.totals.unrated_sessions).sum::<u64>(), unrated);
        prop_assert_eq!(rows.iter().map(|r| r.totals.hours).sum::<Decimal>(), hours);
        let mut got_pay: std::collections::BTreeMap<Currency, Decimal> = Default::default();
        let mut got_reported: std::collections::BTreeMap<Currency, Decimal> = Default::default();
        for r in &rows {
            *got_pay.entry(r.currency).or_default() += r.totals.computed_pay;
            *got_reported.entry(r.currency).or_default() += r.totals.reported_pay;
            prop_assert_eq!(r.difference, r.totals.reported_pay - r.totals.computed_pay);
        }
        // Currencies with only pending sessions have a zero sum on both sides.
        expected_pay.retain(|_, v| !v.is_zero());
        got_pay.retain(|_, v| !v.is_zero());
        expected_reported.retain(|_, v| !v.is_zero());
        got_reported.retain(|_, v| !v.is_zero());
        prop_assert_eq!(got_pay, expected_pay);
        prop_assert_eq!(got_reported, expected_reported);
    }

    /// `local_date` is the date part of `local_start`.
    #[test]
    fn local_date_is_the_date_of_local_start(instant in instant(), seconds in 0i64..60, zone in zone()) {
        let instant = instant + chrono::Duration::seconds(seconds);
        let start = local_start(instant, zone);
        let date: NaiveDate = start[..10].parse().unwrap();
        prop_assert_eq!(local_date(instant, zone), date, "{} in {}", start, zone);
        // The offset in the text is the zone's at that instant.
        let back = DateTime::parse_from_rfc3339(&start).unwrap();
        prop_assert_eq!(back.with_timezone(&Utc), instant);
    }
}

// ---------------------------------------------------------------------------
// r13: the minutes basis against an exact oracle
// ---------------------------------------------------------------------------

/// The pay in minor units of `base` per hour for `minutes`, from the rules
/// alone: the fraction `base × minutes / 60` in integers (`base = m / 10^s`),
/// rounded once to `places` decimals with `mode`.
fn oracle_minutes_pay(base: Decimal, minutes: i128, places: u32, mode: RoundingMode) -> i128 {
    let numerator = base.mantissa() * minutes * 10i128.pow(places);
    let denominator = 60 * 10i128.pow(base.scale());
    let (whole, rest) = (numerator / denominator, numerator % denominator);
    match (2 * rest).cmp(&denominator) {
        std::cmp::Ordering::Less => whole,
        std::cmp::Ordering::Greater => whole + 1,
        std::cmp::Ordering::Equal => match mode {
            RoundingMode::HalfUp => whole + 1,
            RoundingMode::HalfEven => whole + whole % 2,
        },
    }
}

/// `minutes / 60` hours as an export shows them: to `places` decimals, half-up.
fn hours_shown(minutes: i64, places: u32) -> Decimal {
    (Decimal::from(minutes) / Decimal::from(60))
        .round_dp_with_strategy(places, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    /// Every minute count from 1 to 180, both roundings and three minor units, for
    /// any base with up to 3 decimals: the pay is the oracle's, whichever way
    /// the export writes the hours (6 decimals, or TeamUp's 16-digit float).
    #[test]
    fn r13_minutes_basis_pays_the_exact_fraction_rounded_once(
        scale in 0u32..=3,
        mantissa in prop_oneof![0i64..=100_000, 0i64..=10_000_000_000],
    ) {
        let base = Decimal::new(mantissa, scale);
        let kind = RateKind::PerHour { base };
        let counts = Counts::try_new(3, 0, 0, 0).unwrap();
        for code in CURRENCIES {
            let currency = Currency::try_from_code(code).unwrap();
            for rounding in RoundingMode::ALL {
                let policy = RatePolicy { hours_basis: HoursBasis::Minutes, rounding, ..Default::default() };
                for minutes in 1..=180i64 {
                    let want = oracle_minutes_pay(base, i128::from(minutes), currency.minor_units(), rounding);
                    for places in [6, 16] {
                        let hours = hours_shown(minutes, places);
                        let pay = pay_for(Some(&kind), &counts, hours, currency, &policy).unwrap().pay;
                        prop_assert_eq!(pay.scale(), currency.minor_units());
                        prop_assert_eq!(
                            pay.mantissa(), want,
                            "{} {}/h, {} min ({} h), {:?}: {}", code, base, minutes, hours, rounding, pay
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn the_minutes_oracle_agrees_with_the_issue_table() {
    let d = |s: &str| s.parse::<Decimal>().unwrap();
    assert_eq!(oracle_minutes_pay(d("25.05"), 50, 2, RoundingMode::HalfUp), 2088);
    assert_eq!(oracle_minutes_pay(d("6"), 5, 0, RoundingMode::HalfUp), 1);
    assert_eq!(oracle_minutes_pay(d("10.11"), 10, 2, RoundingMode::HalfEven), 168);
    assert_eq!(oracle_minutes_pay(d("10.11"), 10, 2, RoundingMode::HalfUp), 169);
    assert_eq!(oracle_minutes_pay(d("10"), 1, 2, RoundingMode::HalfUp), 17);
}

/// Near the top of `Decimal`'s range an amount cannot carry the minor unit's places
/// (GBP `1e27` would round to `1000000000000000000000000000.0`): `checked_round` refuses it,
/// and so the pay of such a session is an overflow error, never an amount at the wrong scale.
#[test]
fn amounts_too_large_for_the_minor_unit_are_refused() {
    let big = [Decimal::MAX, Decimal::from_i128_with_scale(10i128.pow(27), 0)];
    for code in CURRENCIES {
        let currency = Currency::try_from_code(code).unwrap();
        for x in big {
            for mode in RoundingMode::ALL {
                match currency.checked_round(x, mode) {
                    Some(r) => assert_eq!(r.scale(), currency.minor_units(), "{code} {mode:?}: {x} -> {r}"),
                    None => assert!(
                        currency.minor_units() > 0,
                        "{code}: a whole-unit currency always fits"
                    ),
                }
            }
        }
        let kind = RateKind::PerHour {
            base: Decimal::from_i128_with_scale(10i128.pow(27), 0),
        };
        let counts = Counts::try_new(0, 0, 0, 0).unwrap();
        let result = pay_for(
            Some(&kind),
            &counts,
            Decimal::ONE,
            currency,
            &RatePolicy::default(),
        );
        if currency.minor_units() > 0 {
            assert!(
                matches!(result, Err(sessionpay_core::Error::Overflow { .. })),
                "{code}: {result:?}"
            );
        }
    }
}
