//! Pay periods, bucketed by the venue-local date of a session's start.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;

use crate::error::{Error, Result};

/// How sessions are bucketed into pay periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeriodKind {
    /// Calendar months (the default).
    Month,
    /// The 1st–15th and the 16th–end of each month.
    Semimonth,
    /// Seven days starting on `start`.
    Week {
        /// The first day of each week.
        start: Weekday,
    },
    /// Fourteen days, counted from `anchor` (which starts a fortnight).
    Fortnight {
        /// A date that starts a fortnight.
        anchor: NaiveDate,
    },
    /// One period holding everything.
    All,
}

/// A pay period: inclusive first and last dates.
///
/// [`PeriodKind::period_of`] gives `NaiveDate::MIN..=NaiveDate::MAX` for
/// [`PeriodKind::All`]; a payroll's rows carry [`DateRange::all_period`]
/// instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    /// The first day.
    pub start: NaiveDate,
    /// The last day.
    pub end: NaiveDate,
}

impl PeriodKind {
    /// The periods, from the one holding `first`, that end on or before
    /// `through`: a period still open on `through` is not whole.
    ///
    /// ```
    /// use sessionpay_core::chrono::NaiveDate;
    /// use sessionpay_core::PeriodKind;
    /// let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    /// let whole = PeriodKind::Month.whole_periods(date(2026, 3, 14), date(2026, 5, 30))?;
    /// let starts: Vec<_> = whole.iter().map(|p| p.start).collect();
    /// assert_eq!(starts, [date(2026, 3, 1), date(2026, 4, 1)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::DateOutOfRange`] at the very ends of the calendar.
    pub fn whole_periods(&self, first: NaiveDate, through: NaiveDate) -> Result<Vec<Period>> {
        let mut out = Vec::new();
        let mut period = self.period_of(first)?;
        while period.end <= through {
            out.push(period);
            let Some(next) = period.end.checked_add_days(Days::new(1)) else {
                break;
            };
            period = self.period_of(next)?;
        }
        Ok(out)
    }

    /// The period holding `date`.
    ///
    /// ```
    /// use chrono::{NaiveDate, Weekday};
    /// use sessionpay_core::PeriodKind;
    ///
    /// let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    /// let p = PeriodKind::Month.period_of(date(2024, 2, 29))?;
    /// assert_eq!((p.start, p.end), (date(2024, 2, 1), date(2024, 2, 29)));
    /// let p = PeriodKind::Semimonth.period_of(date(2026, 4, 16))?;
    /// assert_eq!((p.start, p.end), (date(2026, 4, 16), date(2026, 4, 30)));
    /// let p = PeriodKind::Week { start: Weekday::Sun }.period_of(date(2026, 11, 27))?; // a Friday
    /// assert_eq!((p.start, p.end), (date(2026, 11, 22), date(2026, 11, 28)));
    /// let p = PeriodKind::Fortnight { anchor: date(2026, 1, 5) }.period_of(date(2026, 1, 4))?;
    /// assert_eq!((p.start, p.end), (date(2025, 12, 22), date(2026, 1, 4)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::DateOutOfRange`] at the very ends of the calendar.
    pub fn period_of(&self, date: NaiveDate) -> Result<Period> {
        let out_of_range = |what| Error::DateOutOfRange { date, what };
        // The two ends, or the error naming the end past the calendar.
        let period = |start: Option<NaiveDate>, end: Option<NaiveDate>, what: [&'static str; 2]| {
            Ok(Period {
                start: start.ok_or_else(|| out_of_range(what[0]))?,
                end: end.ok_or_else(|| out_of_range(what[1]))?,
            })
        };
        // `len` days, the first of them `back` days before `date`.
        let days = |back: u64, len: u64, what| {
            let start = date.checked_sub_days(Days::new(back));
            period(
                start,
                start.and_then(|s| s.checked_add_days(Days::new(len - 1))),
                what,
            )
        };
        match *self {
            PeriodKind::Month => period(date.with_day(1), month_end(date), ["month start", "month end"]),
            PeriodKind::Semimonth => {
                let (start, end) = if date.day() <= 15 {
                    (date.with_day(1), date.with_day(15))
                } else {
                    (date.with_day(16), month_end(date))
                };
                period(start, end, ["semimonth start", "semimonth end"])
            }
            PeriodKind::Week { start } => {
                let back = date.weekday().days_since(start);
                days(u64::from(back), 7, ["week start", "week end"])
            }
            PeriodKind::Fortnight { anchor } => {
                let back = date.signed_duration_since(anchor).num_days().rem_euclid(14);
                days(back.unsigned_abs(), 14, ["fortnight start", "fortnight end"])
            }
            PeriodKind::All => Ok(Period {
                start: NaiveDate::MIN,
                end: NaiveDate::MAX,
            }),
        }
    }
}

/// The venue-local dates a payroll takes: from `from` to `to`, both
/// included, open at an end that is `None`. A range whose `from` is after
/// its `to` holds no date.
///
/// ```
/// use chrono::NaiveDate;
/// use sessionpay_core::DateRange;
///
/// let date = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
/// let may = DateRange::new(Some(date(5, 1)), Some(date(5, 31)));
/// assert!(may.contains(date(5, 31)) && !may.contains(date(6, 1)));
/// // Under `--period all` the one period is the range asked for, and at an
/// // open end the first or last date a session fell on.
/// let from_may = DateRange::new(Some(date(5, 1)), None);
/// let p = from_may.all_period(date(5, 3), date(7, 9));
/// assert_eq!((p.start, p.end), (date(5, 1), date(7, 9)));
/// assert_eq!(DateRange::OPEN.all_period(date(5, 3), date(7, 9)).start, date(5, 3));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DateRange {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

impl DateRange {
    /// Every date.
    pub const OPEN: DateRange = DateRange { from: None, to: None };

    /// The dates from `from` to `to`, both included (open when `None`).
    pub fn new(from: Option<NaiveDate>, to: Option<NaiveDate>) -> DateRange {
        DateRange { from, to }
    }

    /// The first date, if the range has one.
    pub fn from(&self) -> Option<NaiveDate> {
        self.from
    }

    /// The last date, if the range has one.
    pub fn to(&self) -> Option<NaiveDate> {
        self.to
    }

    /// Whether `date` is in the range.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.from.is_none_or(|f| f <= date) && self.to.is_none_or(|t| date <= t)
    }

    /// The one period of [`PeriodKind::All`] for sessions in the range whose
    /// first and last dates are `first` and `last`: the range's own ends,
    /// and `first` or `last` where it is open.
    pub fn all_period(&self, first: NaiveDate, last: NaiveDate) -> Period {
        Period {
            start: self.from.unwrap_or(first),
            end: self.to.unwrap_or(last),
        }
    }
}

fn month_end(date: NaiveDate) -> Option<NaiveDate> {
    date.with_day(1)?.checked_add_months(Months::new(1))?.pred_opt()
}

/// The venue-local date of an instant.
///
/// ```
/// use sessionpay_core::local_date;
///
/// // 23:30 UTC on 31 March is already 1 April in London (BST, +01:00).
/// let zone: chrono_tz::Tz = "Europe/London".parse()?;
/// assert_eq!(local_date("2026-03-31T23:30:00Z".parse()?, zone).to_string(), "2026-04-01");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn local_date(instant: DateTime<Utc>, zone: Tz) -> NaiveDate {
    instant.with_timezone(&zone).date_naive()
}

/// The venue-local start as ISO 8601 with the offset in force at that instant.
///
/// ```
/// use sessionpay_core::local_start;
///
/// let zone: chrono_tz::Tz = "Asia/Kolkata".parse()?;
/// assert_eq!(local_start("2026-06-21T07:30:00Z".parse()?, zone), "2026-06-21T13:00:00+05:30");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn local_start(instant: DateTime<Utc>, zone: Tz) -> String {
    instant
        .with_timezone(&zone)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// [`local_date`] with a memory per zone and UTC day, for many sessions in a
/// few zones.
///
/// For a day whose offset holds all day it remembers the local date at the
/// start of the UTC day and the second at which the local date turns over,
/// so a session on a known day costs one lookup and one comparison. A day
/// whose offset changes (a DST change) is always looked up in full.
///
/// ```
/// use sessionpay_core::{local_date, LocalDates};
///
/// let zone: chrono_tz::Tz = "Europe/London".parse()?;
/// let mut dates = LocalDates::default();
/// for t in ["2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z", "2026-06-30T23:30:00Z"] {
///     let instant = t.parse()?;
///     assert_eq!(dates.local_date(instant, zone), local_date(instant, zone));
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct LocalDates {
    /// The first few zones seen, each with its days side by side: a lookup
    /// is an index into a few kilobytes per zone, where a map over every
    /// (zone, day) would spread a payroll's working set across the cache.
    zones: Vec<ZoneDays>,
    /// Other zones and days far from the first: [`LocalDates::key`] of
    /// (zone, UTC day) → the local dates of that day, or `None` when the
    /// offset changes that day.
    days: rustc_hash::FxHashMap<u64, Option<UtcDay>>,
}

/// The days of one zone from UTC day `first` on (days since 1970-01-01):
/// `None` until looked up, then as in [`LocalDates::days`].
#[derive(Debug, Clone)]
struct ZoneDays {
    zone: Tz,
    first: i64,
    days: Vec<Option<Option<UtcDay>>>,
}

/// The local dates of one UTC day in one zone, at an offset that holds all day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct UtcDay {
    /// The second of the UTC day from which the local date is `after`
    /// (86 400, never, at a whole-day offset such as UTC).
    turn: u32,
    /// The local date before `turn`.
    before: NaiveDate,
    /// The local date from `turn` on.
    after: NaiveDate,
}

const DAY: i64 = 86_400;

/// 1970-01-01 as days from 0001-01-01 counted from 1 (chrono's `num_days_from_ce`).
const UNIX_EPOCH_DAYS_FROM_CE: i64 = 719_163;

impl UtcDay {
    /// The local dates of UTC day `day` (days since 1970-01-01) at `offset`
    /// seconds east of UTC; `None` off the ends of the calendar.
    fn at_offset(day: i64, offset: i32) -> Option<UtcDay> {
        let offset = i64::from(offset);
        let start = DateTime::from_timestamp(day.checked_mul(DAY)?.checked_add(offset)?, 0)?;
        let before = start.date_naive();
        // The local time of day at the start of the UTC day: the date turns
        // over when that reaches midnight.
        let into = offset.rem_euclid(DAY);
        if into == 0 {
            return Some(UtcDay {
                turn: 86_400,
                before,
                after: before,
            });
        }
        Some(UtcDay {
            turn: u32::try_from(DAY - into).ok()?,
            before,
            after: before.succ_opt()?,
        })
    }

    fn date(&self, second_of_day: u32) -> NaiveDate {
        if second_of_day < self.turn {
            self.before
        } else {
            self.after
        }
    }
}

impl LocalDates {
    /// Days remembered at most (a few years of a few dozen zones).
    const LIMIT: usize = 1 << 16;
    /// Zones given their own run of days.
    const ZONES: usize = 16;
    /// The longest run of days a zone is given (about 30 years).
    const SPAN: i64 = 11_000;

    /// One word for (zone, UTC date), from parts of the date that cost no
    /// calendar arithmetic: `year << 9 | ordinal` is a whole `i32` (chrono's
    /// years are within ±2^18) and tells dates apart.
    fn key(zone: Tz, utc_date: NaiveDate) -> u64 {
        // The ordinal is at most 366, so the cast is exact.
        let day = utc_date.year() << 9 | utc_date.ordinal() as i32;
        (zone as u64) << 32 | u64::from(day as u32)
    }

    /// The venue-local date of `instant` in `zone`.
    pub fn local_date(&mut self, instant: DateTime<Utc>, zone: Tz) -> NaiveDate {
        let seconds = instant.timestamp();
        let (day, second_of_day) = (seconds.div_euclid(DAY), seconds.rem_euclid(DAY) as u32);
        let known = match self.slot(zone, day) {
            Some(Some(known)) => *known,
            Some(slot) => *slot.insert(LocalDates::look_up(zone, day)),
            None => return self.local_date_by_map(instant, zone),
        };
        match known {
            Some(dates) => dates.date(second_of_day),
            None => local_date(instant, zone),
        }
    }

    /// The slot of UTC `day` in `zone`'s run of days, making or widening the
    /// run as needed; `None` beyond [`LocalDates::ZONES`] or [`LocalDates::SPAN`].
    fn slot(&mut self, zone: Tz, day: i64) -> Option<&mut Option<Option<UtcDay>>> {
        let at = match self.zones.iter().position(|z| z.zone == zone) {
            Some(at) => at,
            None if self.zones.len() < Self::ZONES => {
                self.zones.push(ZoneDays {
                    zone,
                    first: day,
                    days: Vec::new(),
                });
                self.zones.len() - 1
            }
            None => return None,
        };
        let z = &mut self.zones[at];
        let len = z.days.len() as i64;
        if day < z.first {
            let more = z.first - day;
            if more + len > Self::SPAN {
                return None;
            }
            // Widen by a year at a time, so a run of earlier days costs few copies.
            let more = more.max(366).min(Self::SPAN - len);
            z.days.splice(0..0, std::iter::repeat_n(None, more as usize));
            z.first -= more;
        } else if day - z.first >= len {
            let need = day - z.first + 1;
            if need > Self::SPAN {
                return None;
            }
            z.days.resize(need.max(len + 366).min(Self::SPAN) as usize, None);
        }
        z.days.get_mut((day - z.first) as usize)
    }

    /// [`LocalDates::local_date`] through the map of other zones and days.
    fn local_date_by_map(&mut self, instant: DateTime<Utc>, zone: Tz) -> NaiveDate {
        use chrono::Timelike;
        let utc = instant.naive_utc();
        let (utc_date, second_of_day) = (utc.date(), utc.time().num_seconds_from_midnight());
        let key = LocalDates::key(zone, utc_date);
        let known = match self.days.get(&key) {
            Some(known) => *known,
            None => {
                let day = i64::from(utc_date.num_days_from_ce()) - UNIX_EPOCH_DAYS_FROM_CE;
                let known = LocalDates::look_up(zone, day);
                if self.days.len() < Self::LIMIT {
                    self.days.insert(key, known);
                }
                known
            }
        };
        match known {
            Some(dates) => dates.date(second_of_day),
            None => local_date(instant, zone),
        }
    }

    /// The local dates of UTC day `day` in `zone`, when its offset holds all day.
    fn look_up(zone: Tz, day: i64) -> Option<UtcDay> {
        use chrono::{Offset, TimeZone};
        let at = |s: i64| {
            DateTime::from_timestamp(s, 0).map(|t| zone.offset_from_utc_datetime(&t.naive_utc()).fix())
        };
        match (at(day * DAY), at(day * DAY + DAY - 1)) {
            (Some(a), Some(b)) if a == b => UtcDay::at_offset(day, a.local_minus_utc()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_days_widen_both_ways_and_give_way_to_the_map() {
        let zones: Vec<Tz> = [
            "Europe/London",
            "America/New_York",
            "Asia/Kolkata",
            "Australia/Sydney",
            "Asia/Kathmandu",
            "America/St_Johns",
            "Pacific/Chatham",
            "Australia/Lord_Howe",
            "Pacific/Apia",
            "Asia/Tokyo",
            "Europe/Dublin",
            "America/Phoenix",
            "Africa/Casablanca",
            "America/Santiago",
            "Asia/Tehran",
            "Europe/Moscow",
            "Pacific/Kiritimati",
            "America/Sao_Paulo",
            "Africa/Cairo",
            "UTC",
        ]
        .iter()
        .map(|z| z.parse().unwrap())
        .collect();
        let mut dates = LocalDates::default();
        // Days in a scattered order: forwards, backwards past a year, and
        // further than a run may reach (over 30 years apart).
        let mut x: u64 = 7;
        for step in 0..40_000 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let spread = [400, 5_000, 40_000][step % 3] as i64;
            let day = 20_000 + (x >> 33) as i64 % spread - spread / 2;
            let second = (x >> 13) as i64 % DAY;
            let zone = zones[(x >> 7) as usize % zones.len()];
            let instant = DateTime::from_timestamp(day * DAY + second, 0).unwrap();
            assert_eq!(
                dates.local_date(instant, zone),
                local_date(instant, zone),
                "{zone} {instant}"
            );
        }
        assert_eq!(dates.zones.len(), LocalDates::ZONES);
        assert!(dates
            .zones
            .iter()
            .all(|z| z.days.len() as i64 <= LocalDates::SPAN));
        assert!(!dates.days.is_empty());
    }
    use chrono::NaiveDateTime;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn local(s: &str, zone: Tz) -> DateTime<Utc> {
        let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").unwrap();
        crate::StartsAt::Local(naive).to_utc(zone).unwrap()
    }

    #[test]
    fn sessions_either_side_of_local_midnight_around_dst_changes() {
        // (zone, a DST-change date, the offsets before and after)
        let cases: [(Tz, NaiveDate, &str, &str); 6] = [
            (chrono_tz::Europe::London, date(2026, 3, 29), "+00:00", "+01:00"),
            (chrono_tz::Europe::London, date(2026, 10, 25), "+01:00", "+00:00"),
            (chrono_tz::America::New_York, date(2026, 3, 8), "-05:00", "-04:00"),
            (
                chrono_tz::America::New_York,
                date(2026, 11, 1),
                "-04:00",
                "-05:00",
            ),
            (chrono_tz::Australia::Sydney, date(2026, 4, 5), "+11:00", "+10:00"),
            (
                chrono_tz::Australia::Sydney,
                date(2026, 10, 4),
                "+10:00",
                "+11:00",
            ),
        ];
        for (zone, change, before, after) in cases {
            let eve = change.pred_opt().unwrap();
            let late = local(&format!("{eve}T23:30"), zone);
            let early = local(&format!("{change}T00:30"), zone);
            assert_eq!(local_date(late, zone), eve, "{zone} {change}");
            assert_eq!(local_date(early, zone), change, "{zone} {change}");
            assert_eq!(local_start(late, zone), format!("{eve}T23:30:00{before}"));
            // The change happens at 01:00-03:00 local, after 00:30: the offset is still the old one.
            assert_eq!(local_start(early, zone), format!("{change}T00:30:00{before}"));
            let next = change.succ_opt().unwrap();
            let day_after = local(&format!("{next}T00:30"), zone);
            assert_eq!(local_start(day_after, zone), format!("{next}T00:30:00{after}"));
            // And 23:30 local on the change day still lands on the change day.
            let night = local(&format!("{change}T23:30"), zone);
            assert_eq!(local_date(night, zone), change);
        }
    }

    #[test]
    fn month_boundaries_follow_the_venue_not_utc() {
        // 2026-01-31T23:30 in New York is 2026-02-01T04:30Z: January there.
        let ny = chrono_tz::America::New_York;
        let t = utc("2026-02-01T04:30:00Z");
        let p = PeriodKind::Month.period_of(local_date(t, ny)).unwrap();
        assert_eq!(p.start, date(2026, 1, 1));
        // 2026-01-31T15:30Z is 2026-02-01T02:30+11:00 in Sydney: February there.
        let syd = chrono_tz::Australia::Sydney;
        let p = PeriodKind::Month
            .period_of(local_date(utc("2026-01-31T15:30:00Z"), syd))
            .unwrap();
        assert_eq!(p.start, date(2026, 2, 1));
    }

    #[test]
    fn remembered_offsets_agree_with_the_full_lookup_every_quarter_hour_of_a_dst_year() {
        let mut dates = LocalDates::default();
        for zone in [
            chrono_tz::Europe::London,
            chrono_tz::America::New_York,
            chrono_tz::Australia::Sydney,
            chrono_tz::Asia::Kolkata,
        ] {
            let mut t = utc("2026-01-01T00:00:00Z");
            while t < utc("2027-01-01T00:00:00Z") {
                assert_eq!(dates.local_date(t, zone), local_date(t, zone), "{t} in {zone}");
                t += chrono::Duration::minutes(15);
            }
        }
    }

    /// Zones with whole-hour, half-hour and 45-minute offsets either side of
    /// UTC, with and without DST (Lord Howe moves by half an hour), and Apia,
    /// which skipped 30 December 2011 moving from -10:00 to +14:00.
    const AWKWARD_ZONES: [Tz; 14] = [
        chrono_tz::UTC,
        chrono_tz::Europe::London,
        chrono_tz::Europe::Dublin,
        chrono_tz::America::New_York,
        chrono_tz::America::Bogota,
        chrono_tz::America::St_Johns,
        chrono_tz::Australia::Sydney,
        chrono_tz::Australia::Brisbane,
        chrono_tz::Australia::Lord_Howe,
        chrono_tz::Asia::Kolkata,
        chrono_tz::Asia::Kathmandu,
        chrono_tz::Pacific::Chatham,
        chrono_tz::Pacific::Kiritimati,
        chrono_tz::Pacific::Apia,
    ];

    #[test]
    fn remembered_dates_agree_with_the_full_lookup_at_odd_seconds_over_years() {
        // A step of 1h 59m 59s visits every time of day within a few weeks.
        let mut dates = LocalDates::default();
        for zone in AWKWARD_ZONES {
            let mut t = utc("2011-06-01T00:00:00Z");
            while t < utc("2013-01-01T00:00:00Z") {
                assert_eq!(dates.local_date(t, zone), local_date(t, zone), "{t} in {zone}");
                t += chrono::Duration::seconds(7_199);
            }
        }
    }

    #[test]
    fn remembered_dates_agree_every_minute_of_days_when_the_offset_changes() {
        // The UTC days either side of each change, and the day itself, minute by
        // minute, each day asked twice (the second time from memory).
        let days = [
            (chrono_tz::Europe::London, "2026-03-29"),
            (chrono_tz::Europe::London, "2026-10-25"),
            (chrono_tz::America::New_York, "2026-03-08"),
            (chrono_tz::America::New_York, "2026-11-01"),
            (chrono_tz::America::St_Johns, "2026-03-08"),
            (chrono_tz::America::St_Johns, "2026-11-01"),
            (chrono_tz::Australia::Sydney, "2026-04-04"),
            (chrono_tz::Australia::Sydney, "2026-10-03"),
            (chrono_tz::Australia::Lord_Howe, "2026-04-04"),
            (chrono_tz::Australia::Lord_Howe, "2026-10-03"),
            (chrono_tz::Pacific::Chatham, "2026-04-04"),
            (chrono_tz::Pacific::Chatham, "2026-09-26"),
            (chrono_tz::Pacific::Apia, "2011-12-29"),
            (chrono_tz::Pacific::Apia, "2011-12-30"),
        ];
        for (zone, day) in days {
            let mut dates = LocalDates::default();
            let middle = utc(&format!("{day}T00:00:00Z"));
            for _ in 0..2 {
                let mut t = middle - chrono::Duration::days(1);
                while t < middle + chrono::Duration::days(2) {
                    assert_eq!(dates.local_date(t, zone), local_date(t, zone), "{t} in {zone}");
                    t += chrono::Duration::minutes(1);
                }
            }
        }
    }

    #[test]
    fn remembered_dates_turn_over_on_the_exact_second() {
        // Local midnight at +05:30, +10:00, +05:45, -05:00 and UTC.
        let mut dates = LocalDates::default();
        let (ninth, tenth, eleventh) = (date(2026, 6, 9), date(2026, 6, 10), date(2026, 6, 11));
        for (zone, turn, before, after) in [
            (chrono_tz::Asia::Kolkata, "2026-06-10T18:30:00Z", tenth, eleventh),
            (
                chrono_tz::Australia::Brisbane,
                "2026-06-10T14:00:00Z",
                tenth,
                eleventh,
            ),
            (
                chrono_tz::Asia::Kathmandu,
                "2026-06-10T18:15:00Z",
                tenth,
                eleventh,
            ),
            (chrono_tz::America::Bogota, "2026-06-10T05:00:00Z", ninth, tenth),
            (chrono_tz::UTC, "2026-06-10T00:00:00Z", ninth, tenth),
        ] {
            let turn = utc(turn);
            for seconds in -2..=2 {
                let t = turn + chrono::Duration::seconds(seconds);
                let expected = if seconds < 0 { before } else { after };
                assert_eq!(local_date(t, zone), expected, "{t} in {zone}");
                assert_eq!(dates.local_date(t, zone), expected, "{t} in {zone}");
                // A fraction of a second does not move the date.
                let later = t + chrono::Duration::milliseconds(999);
                assert_eq!(dates.local_date(later, zone), expected, "{later} in {zone}");
            }
        }
    }

    #[test]
    fn remembered_dates_near_the_ends_of_the_calendar_agree() {
        // The first and last UTC days can only be asked in UTC: elsewhere the
        // local time is off chrono's calendar.
        let mut dates = LocalDates::default();
        let (first, last) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
        for (zone, t) in [
            (chrono_tz::UTC, first),
            (chrono_tz::UTC, last),
            (chrono_tz::Pacific::Kiritimati, last - chrono::Duration::days(1)),
            (chrono_tz::Pacific::Kiritimati, first + chrono::Duration::days(1)),
            (chrono_tz::America::Bogota, last - chrono::Duration::days(1)),
            (chrono_tz::America::Bogota, first + chrono::Duration::days(1)),
        ] {
            for _ in 0..2 {
                assert_eq!(dates.local_date(t, zone), local_date(t, zone), "{t} in {zone}");
            }
        }
    }

    #[test]
    fn kolkata_half_hour_offset() {
        let zone = chrono_tz::Asia::Kolkata;
        // 18:29 UTC is 23:59 local; 18:30 UTC is local midnight.
        assert_eq!(local_date(utc("2026-05-31T18:29:00Z"), zone), date(2026, 5, 31));
        assert_eq!(local_date(utc("2026-05-31T18:30:00Z"), zone), date(2026, 6, 1));
        assert_eq!(
            local_start(utc("2026-05-31T18:30:00Z"), zone),
            "2026-06-01T00:00:00+05:30"
        );
    }

    #[test]
    fn semimonths_split_on_the_fifteenth() {
        for (d, start, end) in [
            (date(2026, 2, 15), date(2026, 2, 1), date(2026, 2, 15)),
            (date(2026, 2, 16), date(2026, 2, 16), date(2026, 2, 28)),
            (date(2024, 2, 29), date(2024, 2, 16), date(2024, 2, 29)),
            (date(2026, 12, 31), date(2026, 12, 16), date(2026, 12, 31)),
        ] {
            let p = PeriodKind::Semimonth.period_of(d).unwrap();
            assert_eq!((p.start, p.end), (start, end), "{d}");
        }
    }

    #[test]
    fn weeks_start_on_the_chosen_day() {
        let friday = date(2026, 11, 27);
        for (start, first) in [
            (Weekday::Mon, date(2026, 11, 23)),
            (Weekday::Fri, date(2026, 11, 27)),
            (Weekday::Sat, date(2026, 11, 21)),
        ] {
            let p = PeriodKind::Week { start }.period_of(friday).unwrap();
            assert_eq!(p.start, first);
            assert_eq!(p.end, first + Days::new(6));
        }
    }

    #[test]
    fn fortnights_count_from_the_anchor_both_ways() {
        let anchor = date(2026, 1, 5);
        let kind = PeriodKind::Fortnight { anchor };
        assert_eq!(kind.period_of(anchor).unwrap().start, anchor);
        assert_eq!(kind.period_of(date(2026, 1, 18)).unwrap().start, anchor);
        assert_eq!(
            kind.period_of(date(2026, 1, 19)).unwrap().start,
            date(2026, 1, 19)
        );
        assert_eq!(
            kind.period_of(date(2025, 12, 21)).unwrap().start,
            date(2025, 12, 8)
        );
    }
}
