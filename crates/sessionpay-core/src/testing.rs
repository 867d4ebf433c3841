//! Small helpers the unit tests of several modules share.

use std::sync::Arc;

use rust_decimal::Decimal;

use crate::money::Currency;
use crate::rate::{PayRate, Tier};
use crate::session::{Counts, InstructorId, Session, SessionId, SessionType, VenueId};

/// An exact decimal from its text.
pub(crate) fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// Pounds sterling (two decimal places).
pub(crate) fn gbp() -> Currency {
    Currency::try_from_code("GBP").unwrap()
}

/// A tier from `lower` to `upper` (open above when `None`) paying `amount`.
pub(crate) fn tier(lower: u32, upper: Option<u32>, amount: &str) -> Tier {
    Tier {
        lower,
        upper,
        amount: d(amount),
        currency: None,
    }
}

/// A class at Camden on 2 May 2026 with these figures; the rest is fixed.
pub(crate) fn session(
    rate: Option<Arc<PayRate>>,
    counts: Counts,
    hours: &str,
    reported: Option<Decimal>,
    currency: Currency,
) -> Session {
    Session {
        id: SessionId(1),
        name: "Spin".into(),
        instructor: InstructorId(7),
        instructor_name: "Ana".into(),
        venue: VenueId(101),
        venue_name: "Camden".into(),
        zone: chrono_tz::Europe::London,
        starts_at: "2026-05-02T09:00:00Z".parse().unwrap(),
        hours: d(hours),
        counts,
        session_type: SessionType::Class,
        rate,
        reported,
        pending: false,
        currency,
    }
}
