//! The generator's own payroll (SPEC 5, `--period month`): what sessionpay should print for the
//! generated export, aggregated while streaming (memory grows with instructors x months only).

use std::collections::BTreeMap;
use std::io::{self, Write};

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use crate::gen::{Session, World};
use crate::text::{csv_cell, push_fixed, push_int, push_uint};

#[derive(Debug, Default)]
struct Agg {
    sessions: u64,
    hours: Decimal,
    counted: i64,
    computed: i64,
    reported: i64,
    mismatched: u64,
    pending: u64,
    unrated: u64,
}

/// Key: instructor id, currency, venue-local year and month.
type Key = (u32, &'static str, i32, u32);

#[derive(Debug, Default)]
pub struct Payroll {
    rows: BTreeMap<Key, (u32, Agg)>,
    pub sessions: u64,
    pub pending: u64,
    pub unrated: u64,
    pub planted: u64,
}

impl Payroll {
    pub fn add(&mut self, w: &World, s: &Session) {
        let v = &w.venues[s.venue];
        let local = s.start.local.date();
        let key = (
            w.instructors[s.instructor].id,
            v.currency,
            local.year(),
            local.month(),
        );
        let (_, a) = self.rows.entry(key).or_insert_with(|| (v.dp, Agg::default()));
        a.sessions += 1;
        a.hours += w.hours[s.hours];
        self.sessions += 1;
        if s.rate.is_none() {
            a.unrated += 1;
            self.unrated += 1;
        }
        if s.planted {
            self.planted += 1;
        }
        if s.pending {
            a.pending += 1;
            self.pending += 1;
            return;
        }
        a.counted += i64::from(s.counted);
        a.computed += s.computed;
        a.reported += s.reported.unwrap_or(0);
        if s.rate.is_some() && s.reported.is_some_and(|r| r != s.computed) {
            a.mismatched += 1;
        }
    }

    /// The payroll CSV of SPEC 6, sorted by instructor, currency, period.
    pub fn write_csv(&self, w: &World, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(
            b"instructor_id,instructor_name,currency,period_start,period_end,sessions,hours,\
counted_customers,computed_pay,reported_pay,difference,mismatched_sessions,pending_sessions,unrated_sessions\n",
        )?;
        let mut b = Vec::new();
        for (&(iid, cur, y, m), (dp, a)) in &self.rows {
            b.clear();
            let name = &w.instructors[(iid - 1000) as usize].name;
            let first = NaiveDate::from_ymd_opt(y, m, 1).expect("date");
            let next = if m == 12 {
                NaiveDate::from_ymd_opt(y + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(y, m + 1, 1)
            };
            let last = next.expect("date").pred_opt().expect("date");
            push_uint(&mut b, u64::from(iid));
            b.push(b',');
            csv_cell(&mut b, name);
            b.push(b',');
            b.extend_from_slice(cur.as_bytes());
            b.extend_from_slice(format!(",{first},{last},").as_bytes());
            push_uint(&mut b, a.sessions);
            b.push(b',');
            b.extend_from_slice(a.hours.normalize().to_string().as_bytes());
            b.push(b',');
            push_int(&mut b, a.counted);
            for x in [a.computed, a.reported, a.reported - a.computed] {
                b.push(b',');
                push_fixed(&mut b, x, *dp);
            }
            for x in [a.mismatched, a.pending, a.unrated] {
                b.push(b',');
                push_uint(&mut b, x);
            }
            b.push(b'\n');
            out.write_all(&b)?;
        }
        Ok(())
    }
}
