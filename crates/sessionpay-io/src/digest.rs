//! What a review of many sessions shows of them without keeping them all:
//! counts per status, counts and differences per reason, and the biggest
//! mismatches per currency.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use sessionpay_core::{Currency, Reason, Status};

use crate::SessionLine;

/// Counts of sessions by status and reason, and the `keep` biggest
/// mismatches of each currency: the same whatever order the lines come in.
#[derive(Debug, Clone, Default)]
pub struct LineDigest {
    keep: usize,
    /// Sessions counted.
    pub sessions: u64,
    /// Sessions per status.
    pub by_status: BTreeMap<Status, u64>,
    /// Mismatches per reason: how many, and their differences summed per currency.
    pub by_reason: BTreeMap<Reason, (u64, BTreeMap<Currency, Decimal>)>,
    /// Per currency: how many mismatches, and the biggest (at most `2 × keep` between trims).
    mismatches: BTreeMap<Currency, (u64, Vec<SessionLine>)>,
}

/// The biggest difference first, then the lower session id.
fn biggest_first(a: &SessionLine, b: &SessionLine) -> std::cmp::Ordering {
    let d = |l: &SessionLine| l.rec.difference.unwrap_or_default().abs();
    d(b).cmp(&d(a)).then(a.session.id.cmp(&b.session.id))
}

impl LineDigest {
    /// A digest that keeps the `keep` biggest mismatches of each currency.
    pub fn new(keep: usize) -> LineDigest {
        LineDigest {
            keep,
            ..LineDigest::default()
        }
    }

    /// The digest of `lines`.
    ///
    /// # Errors
    /// As [`LineDigest::add`].
    pub fn of(lines: &[SessionLine], keep: usize) -> sessionpay_core::Result<LineDigest> {
        let mut digest = LineDigest::new(keep);
        for line in lines {
            digest.add(line)?;
        }
        Ok(digest)
    }

    /// Counts `line`, and keeps it if it is among the biggest mismatches.
    ///
    /// # Errors
    /// A sum of differences out of range.
    pub fn add(&mut self, line: &SessionLine) -> sessionpay_core::Result<()> {
        self.sessions += 1;
        *self.by_status.entry(line.rec.status).or_default() += 1;
        if let Some(reason) = line.rec.reason {
            let entry = self.by_reason.entry(reason).or_default();
            entry.0 += 1;
            let sum = entry.1.entry(line.session.currency).or_default();
            *sum = add(*sum, line.rec.difference.unwrap_or_default())?;
        }
        if line.rec.status == Status::Mismatch {
            let (count, kept) = self.mismatches.entry(line.session.currency).or_default();
            *count += 1;
            if self.keep > 0 {
                kept.push(line.clone());
                if kept.len() >= 2 * self.keep {
                    trim(kept, self.keep);
                }
            }
        }
        Ok(())
    }

    /// Adds what `other` counted and kept.
    ///
    /// # Errors
    /// A sum of differences out of range.
    pub fn merge(&mut self, other: LineDigest) -> sessionpay_core::Result<()> {
        self.sessions += other.sessions;
        for (status, n) in other.by_status {
            *self.by_status.entry(status).or_default() += n;
        }
        for (reason, (n, sums)) in other.by_reason {
            let entry = self.by_reason.entry(reason).or_default();
            entry.0 += n;
            for (currency, d) in sums {
                let sum = entry.1.entry(currency).or_default();
                *sum = add(*sum, d)?;
            }
        }
        for (currency, (n, mut lines)) in other.mismatches {
            let (count, kept) = self.mismatches.entry(currency).or_default();
            *count += n;
            kept.append(&mut lines);
            trim(kept, self.keep);
        }
        Ok(())
    }

    /// Sessions with `status`.
    pub fn count(&self, status: Status) -> u64 {
        self.by_status.get(&status).copied().unwrap_or(0)
    }

    /// Per currency with a mismatch: how many, and the biggest, biggest first.
    pub fn biggest(&self) -> impl Iterator<Item = (Currency, u64, Vec<&SessionLine>)> + '_ {
        self.mismatches.iter().map(|(currency, (count, kept))| {
            let mut list: Vec<&SessionLine> = kept.iter().collect();
            list.sort_by(|a, b| biggest_first(a, b));
            list.truncate(self.keep);
            (*currency, *count, list)
        })
    }
}

fn add(a: Decimal, b: Decimal) -> sessionpay_core::Result<Decimal> {
    a.checked_add(b).ok_or(sessionpay_core::Error::Overflow {
        op: "the differences of a reason",
    })
}

fn trim(kept: &mut Vec<SessionLine>, keep: usize) {
    kept.sort_by(biggest_first);
    kept.truncate(keep);
}
