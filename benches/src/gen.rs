//! The session stream: one synthetic instructed session at a time (constant memory).

use chrono::{Datelike, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone, Timelike};
use rust_decimal::Decimal;

use crate::model::{self, Instructor, OfferingType, Rate, Venue};
use crate::pay;
use crate::rng::Rng;

/// Session durations as TeamUp reports them (a float of the duration in hours), with weights.
/// 45 minutes is 0.75; 50 minutes is 50/60 printed as a float.
pub const HOURS: [(&str, u32); 6] = [
    ("0.5", 18),
    ("0.75", 16),
    ("1.0", 33),
    ("1.5", 16),
    ("2.0", 15),
    ("0.8333333333333334", 2),
];

/// First venue-local day of the generated range, and its length in days (about two years).
pub const FIRST_DAY: (i32, u32, u32) = (2025, 1, 1);
pub const DAYS: u32 = 730;

/// Everything that is fixed for a seed.
#[derive(Debug)]
pub struct World {
    pub seed: u64,
    pub venues: Vec<Venue>,
    pub offerings: Vec<OfferingType>,
    pub instructors: Vec<Instructor>,
    pub rates: Vec<Rate>,
    /// Rate indexes per venue index.
    pub rates_by_venue: Vec<Vec<usize>>,
    pub hours: Vec<Decimal>,
}

impl World {
    pub fn new(seed: u64, instructors: usize) -> Self {
        let venues = model::venues();
        let offerings = model::offering_types();
        let instructors = model::instructors(seed, instructors, &venues);
        let rates = model::rates(seed, &venues);
        let mut rates_by_venue = vec![Vec::new(); venues.len()];
        for (i, r) in rates.iter().enumerate() {
            rates_by_venue[r.venue].push(i);
        }
        let hours = HOURS.iter().map(|(h, _)| h.parse().expect("decimal")).collect();
        World {
            seed,
            venues,
            offerings,
            instructors,
            rates,
            rates_by_venue,
            hours,
        }
    }

    /// Default instructor count for `sessions`: 40 up to 200k sessions, then one per 5,000.
    pub fn default_instructors(sessions: u64) -> usize {
        (sessions / 5000).clamp(40, 5000) as usize
    }

    pub fn rates_toml(&self, sessions: u64) -> String {
        model::rates_toml(self.seed, sessions, &self.venues, &self.rates)
    }
}

/// Start instant: venue-local wall time, UTC, the venue's offset then, and which one is printed.
#[derive(Debug, Clone, Copy)]
pub struct Start {
    pub local: NaiveDateTime,
    pub utc: NaiveDateTime,
    pub offset_secs: i32,
    /// Printed as UTC with `Z` (else local time with `+HH:MM`/`-HH:MM`).
    pub zulu: bool,
}

impl Start {
    /// `2026-05-02T02:00:00+01:00` or `2026-05-02T01:00:00Z`.
    pub fn push(&self, buf: &mut Vec<u8>) {
        use crate::text::{push_2, push_4};
        let t = if self.zulu { self.utc } else { self.local };
        push_4(buf, t.year() as u32);
        buf.push(b'-');
        push_2(buf, t.month());
        buf.push(b'-');
        push_2(buf, t.day());
        buf.push(b'T');
        push_2(buf, t.hour());
        buf.push(b':');
        push_2(buf, t.minute());
        buf.extend_from_slice(b":00");
        if self.zulu {
            buf.push(b'Z');
        } else {
            buf.push(if self.offset_secs < 0 { b'-' } else { b'+' });
            let m = self.offset_secs.unsigned_abs() / 60;
            push_2(buf, m / 60);
            buf.push(b':');
            push_2(buf, m % 60);
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Session {
    pub id: u64,
    pub offering: usize,
    pub instructor: usize,
    pub venue: usize,
    /// None: the whole rate is null (unrated).
    pub rate: Option<usize>,
    pub start: Start,
    pub max_occupancy: u32,
    /// Index into `HOURS` / `World::hours`.
    pub hours: usize,
    pub attended: u32,
    pub no_shows: u32,
    pub late_cancels: u32,
    pub comped: u32,
    pub pending: bool,
    /// TeamUp's figure in minor units; None = null.
    pub reported: Option<i64>,
    /// A pending zero, printed short (`$0`), as TeamUp does.
    pub reported_short_zero: bool,
    /// Pay by SPEC 2 under the generated policy, minor units (0 when unrated).
    pub computed: i64,
    pub counted: u32,
    /// TeamUp's figure was planted off the computed one.
    pub planted: bool,
}

/// Deterministic stream of `n` sessions.
pub struct Generator<'w> {
    world: &'w World,
    rng: Rng,
    next_id: u64,
    left: u64,
    first_day: NaiveDate,
    hour_weights: Vec<u32>,
}

impl<'w> Generator<'w> {
    pub fn new(world: &'w World, sessions: u64, start_id: u64) -> Self {
        Generator {
            world,
            rng: Rng::fork(world.seed, 3),
            next_id: start_id,
            left: sessions,
            first_day: NaiveDate::from_ymd_opt(FIRST_DAY.0, FIRST_DAY.1, FIRST_DAY.2).expect("date"),
            hour_weights: HOURS.iter().map(|(_, w)| *w).collect(),
        }
    }

    fn start(&mut self, venue: &Venue) -> Start {
        let rng = &mut self.rng;
        let day = self.first_day + TimeDelta::days(rng.below(u64::from(DAYS)) as i64);
        // Mostly 06:00..21:45 local, 5% at any quarter hour (night, DST changes).
        let quarter = if rng.chance(1, 20) {
            rng.below(96)
        } else {
            24 + rng.below(64)
        } as u32;
        let wall = day.and_hms_opt(quarter / 4, (quarter % 4) * 15, 0).expect("time");
        let dt = match venue.tz.from_local_datetime(&wall).earliest() {
            Some(dt) => dt,
            // In the hour skipped when clocks go forward: the session is an hour later.
            None => venue
                .tz
                .from_local_datetime(&(wall + TimeDelta::hours(1)))
                .earliest()
                .expect("an hour after a gap exists"),
        };
        Start {
            local: dt.naive_local(),
            utc: dt.naive_utc(),
            offset_secs: dt.offset().fix().local_minus_utc(),
            zulu: rng.chance(1, 2),
        }
    }
}

impl Iterator for Generator<'_> {
    type Item = Session;

    fn next(&mut self) -> Option<Session> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let w = self.world;
        let id = self.next_id;
        self.next_id += 1 + self.rng.below(3);

        let instructor = self.rng.below(w.instructors.len() as u64) as usize;
        let ivs = &w.instructors[instructor].venues;
        let venue = if ivs.len() == 1 || self.rng.chance(7, 10) {
            ivs[0]
        } else {
            ivs[1 + self.rng.below(ivs.len() as u64 - 1) as usize]
        };
        let v = &w.venues[venue];
        let rate = if self.rng.chance(1, 1000) {
            None
        } else {
            let rs = &w.rates_by_venue[venue];
            Some(rs[self.rng.below(rs.len() as u64) as usize])
        };
        let offering = self.rng.below(w.offerings.len() as u64) as usize;
        let start = self.start(v);
        let rng = &mut self.rng;
        let one_to_one = w.offerings[offering].one_to_one;
        let max_occupancy = if one_to_one {
            1
        } else {
            *rng.pick(&[8u32, 12, 16, 20, 25, 30])
        };
        let hours = rng.weighted(&self.hour_weights);
        let attended = if one_to_one {
            rng.below(2) as u32
        } else {
            // Skewed towards fuller classes: max of two uniforms.
            let a = rng.below(u64::from(max_occupancy) + 1) as u32;
            let b = rng.below(u64::from(max_occupancy) + 1) as u32;
            a.max(b)
        };
        let comped = if attended == 0 || rng.chance(55, 100) {
            0
        } else {
            1 + rng.below(u64::from(attended.min(7))) as u32
        };
        let no_shows = if rng.chance(65, 100) {
            0
        } else {
            rng.range(1, 6) as u32
        };
        let late_cancels = if rng.chance(80, 100) {
            0
        } else {
            rng.range(1, 3) as u32
        };
        let pending = rng.chance(1, 100);

        let r = rate.map(|i| &w.rates[i]);
        let counted = pay::counted(r, attended, comped, late_cancels, no_shows);
        let computed = r.map_or(0, |r| {
            pay::to_minor(pay::raw_pay(r, counted, w.hours[hours]), v.dp)
        });
        let mut planted = false;
        let (reported, reported_short_zero) = if pending {
            if rng.chance(35, 100) {
                (Some(0), true)
            } else {
                (None, false)
            }
        } else if r.is_some() && rng.chance(1, 200) {
            planted = true;
            let delta = if rng.chance(3, 5) {
                if rng.chance(1, 2) {
                    1
                } else {
                    -1
                }
            } else {
                let d = rng.range(2, 2000);
                if rng.chance(1, 2) {
                    d
                } else {
                    -d
                }
            };
            (Some(computed + delta), false)
        } else {
            (Some(computed), false)
        };
        Some(Session {
            id,
            offering,
            instructor,
            venue,
            rate,
            start,
            max_occupancy,
            hours,
            attended,
            no_shows,
            late_cancels,
            comped,
            pending,
            reported,
            reported_short_zero,
            computed,
            counted,
            planted,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left as usize, Some(self.left as usize))
    }
}
