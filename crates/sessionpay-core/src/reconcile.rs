//! Reconciliation of one session: TeamUp's figure against the computed one (SPEC section 4).

use rust_decimal::Decimal;

use crate::calc::{pay_for, PayBreakdown};
use crate::error::Result;
use crate::money::{self, Currency};
use crate::policy::RatePolicy;
use crate::rate::RateKind;
use crate::session::{Counts, Session};

/// The verdict on one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// TeamUp's figure equals the computed one within the tolerance.
    Match,
    /// It does not.
    Mismatch,
    /// TeamUp's figure is provisional: never a mismatch.
    Pending,
    /// The session has no pay rate.
    Unrated,
    /// Not pending, rated, but TeamUp gave no figure.
    Unreported,
}

impl Status {
    /// The name in outputs.
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Match => "match",
            Status::Mismatch => "mismatch",
            Status::Pending => "pending",
            Status::Unrated => "unrated",
            Status::Unreported => "unreported",
        }
    }
}

/// Why a mismatch happened: the first single change of policy that makes it match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    /// It matches if comped attendees count.
    CompedCounted,
    /// It matches if comped attendees do not count.
    CompedNotCounted,
    /// It matches if late cancellations count.
    LateCancelsCounted,
    /// It matches if late cancellations do not count.
    LateCancelsNotCounted,
    /// It matches if no-shows count.
    NoShowsCounted,
    /// It matches if no-shows do not count.
    NoShowsNotCounted,
    /// It matches with the other tier mode.
    TierMode,
    /// It matches with the other rounding mode.
    Rounding,
    /// It matches with the other hours basis.
    HoursBasis,
    /// It matches without the configured cap, or with the cap at TeamUp's figure.
    Cap,
    /// Nobody was counted, and it matches with another empty-session pay (or none).
    EmptySessionPay,
    /// No single change explains it, but it is at most one minor unit off.
    WithinOneMinorUnit,
    /// Nothing explains it.
    Unexplained,
}

impl Reason {
    /// The name in outputs.
    pub fn as_str(&self) -> &'static str {
        match self {
            Reason::CompedCounted => "comped_counted",
            Reason::CompedNotCounted => "comped_not_counted",
            Reason::LateCancelsCounted => "late_cancels_counted",
            Reason::LateCancelsNotCounted => "late_cancels_not_counted",
            Reason::NoShowsCounted => "no_shows_counted",
            Reason::NoShowsNotCounted => "no_shows_not_counted",
            Reason::TierMode => "tier_mode",
            Reason::Rounding => "rounding",
            Reason::HoursBasis => "hours_basis",
            Reason::Cap => "cap",
            Reason::EmptySessionPay => "empty_session_pay",
            Reason::WithinOneMinorUnit => "within_one_minor_unit",
            Reason::Unexplained => "unexplained",
        }
    }

    /// Every reason, in the order they are tried.
    pub const ALL: [Reason; 13] = [
        Reason::CompedCounted,
        Reason::CompedNotCounted,
        Reason::LateCancelsCounted,
        Reason::LateCancelsNotCounted,
        Reason::NoShowsCounted,
        Reason::NoShowsNotCounted,
        Reason::TierMode,
        Reason::Rounding,
        Reason::HoursBasis,
        Reason::Cap,
        Reason::EmptySessionPay,
        Reason::WithinOneMinorUnit,
        Reason::Unexplained,
    ];
}

/// The reconciliation of one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Reconciliation {
    /// The verdict.
    pub status: Status,
    /// `reported − computed`, for `match` and `mismatch` only.
    pub difference: Option<Decimal>,
    /// For a mismatch, why.
    pub reason: Option<Reason>,
    /// For a mismatch explained by a policy change, the policy that matches.
    pub matching_policy: Option<RatePolicy>,
}

impl Reconciliation {
    /// For a mismatch that one change of policy explains, the pay of
    /// `session` (the one reconciled) under that change: how TeamUp's figure
    /// comes about. `None` for any other verdict.
    ///
    /// # Errors
    /// [`crate::Error::Overflow`], as pricing under the change can give.
    pub fn matching_pay(&self, session: &Session) -> Option<Result<PayBreakdown>> {
        let policy = self.matching_policy?;
        Some(pay_for(
            session.rate.as_deref().map(|r| &r.kind),
            &session.counts,
            session.hours,
            session.currency,
            &policy,
        ))
    }
}

/// Reconciles a session whose pay was computed under `policy` as `computed`.
///
/// ```
/// use std::sync::Arc;
/// use rust_decimal::Decimal;
/// use sessionpay_core::*;
///
/// let d = |s: &str| s.parse::<Decimal>().unwrap();
/// let rate = PayRate::try_new(RateId(1), "pc".into(), RateKind::PerCustomer { base: d("5") })?;
/// let mut s = Session {
///     id: SessionId(1), name: "Spin".into(), instructor: InstructorId(7), instructor_name: "Ana".into(),
///     venue: VenueId(101), venue_name: "Camden".into(), zone: chrono_tz::Europe::London,
///     starts_at: "2026-05-02T09:00:00Z".parse()?, hours: d("1"),
///     counts: Counts::try_new(4, 1, 0, 0)?, session_type: SessionType::Class,
///     rate: Some(Arc::new(rate)), reported: Some(d("20.00")), pending: false,
///     currency: Currency::try_from_code("GBP")?,
/// };
/// let policy = RatePolicy::default();
/// let computed = compute_pay(&s, &policy)?; // 3 counted (the comped one is out): 15.00
/// let r = reconcile(&s, &policy, &computed, Decimal::ZERO)?;
/// assert_eq!(r.status, Status::Mismatch);
/// assert_eq!(r.difference, Some(d("5.00")));
/// assert_eq!(r.reason, Some(Reason::CompedCounted)); // TeamUp counted the comped attendee
///
/// s.pending = true;
/// assert_eq!(reconcile(&s, &policy, &computed, Decimal::ZERO)?.status, Status::Pending);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`crate::Error::Overflow`] while computing the difference or a candidate.
pub fn reconcile(
    session: &Session,
    policy: &RatePolicy,
    computed: &PayBreakdown,
    tolerance: Decimal,
) -> Result<Reconciliation> {
    let kind = session.rate.as_deref().map(|r| &r.kind);
    reconcile_parts(
        kind,
        &session.counts,
        session.hours,
        session.currency,
        session.pending,
        session.reported,
        policy,
        computed,
        tolerance,
    )
}

/// [`reconcile`] on the parts of a session that matter to pay.
///
/// # Errors
/// [`crate::Error::Overflow`].
#[allow(clippy::too_many_arguments)]
pub fn reconcile_parts(
    kind: Option<&RateKind>,
    counts: &Counts,
    hours: Decimal,
    currency: Currency,
    pending: bool,
    reported: Option<Decimal>,
    policy: &RatePolicy,
    computed: &PayBreakdown,
    tolerance: Decimal,
) -> Result<Reconciliation> {
    let verdict = |status| Reconciliation {
        status,
        difference: None,
        reason: None,
        matching_policy: None,
    };
    if pending {
        return Ok(verdict(Status::Pending));
    }
    let Some(kind) = kind else {
        return Ok(verdict(Status::Unrated));
    };
    let Some(reported) = reported else {
        return Ok(verdict(Status::Unreported));
    };
    let difference = money::sub(reported, computed.pay, "difference")?;
    if difference.abs() <= tolerance {
        return Ok(Reconciliation {
            status: Status::Match,
            difference: Some(difference),
            reason: None,
            matching_policy: None,
        });
    }
    let (reason, matching_policy) = explain_mismatch(
        kind, counts, hours, currency, policy, computed, reported, tolerance,
    )?;
    Ok(Reconciliation {
        status: Status::Mismatch,
        difference: Some(difference),
        reason: Some(reason),
        matching_policy,
    })
}

/// The single policy changes tried for a mismatch, in SPEC order, each with its reason.
///
/// Only changes that differ from `policy` and can matter to this session are listed.
pub fn single_changes(
    kind: &RateKind,
    counts: &Counts,
    policy: &RatePolicy,
    computed: &PayBreakdown,
    reported: Decimal,
) -> Vec<(Reason, RatePolicy)> {
    let mut out = Vec::new();
    let p = *policy;
    // Each counting flag, flipped, where the session has such customers:
    // (customers, counted now, the reason either way, the flag to flip).
    type Flag = fn(&mut RatePolicy) -> &mut bool;
    let flags: [(u32, bool, Reason, Reason, Flag); 3] = [
        (
            counts.comped(),
            p.count_comped,
            Reason::CompedNotCounted,
            Reason::CompedCounted,
            |p| &mut p.count_comped,
        ),
        (
            counts.late_cancels(),
            p.count_late_cancels,
            Reason::LateCancelsNotCounted,
            Reason::LateCancelsCounted,
            |p| &mut p.count_late_cancels,
        ),
        (
            counts.no_shows(),
            p.count_no_shows,
            Reason::NoShowsNotCounted,
            Reason::NoShowsCounted,
            |p| &mut p.count_no_shows,
        ),
    ];
    for (customers, counted, if_counted, if_not, flag) in flags {
        if customers > 0 {
            let mut changed = p;
            *flag(&mut changed) = !counted;
            out.push((if counted { if_counted } else { if_not }, changed));
        }
    }
    if matches!(kind, RateKind::Tiered { .. }) {
        out.push((
            Reason::TierMode,
            RatePolicy {
                tier_mode: p.tier_mode.other(),
                ..p
            },
        ));
    }
    let other_rounding = match p.rounding {
        crate::RoundingMode::HalfUp => crate::RoundingMode::HalfEven,
        crate::RoundingMode::HalfEven => crate::RoundingMode::HalfUp,
    };
    out.push((
        Reason::Rounding,
        RatePolicy {
            rounding: other_rounding,
            ..p
        },
    ));
    if matches!(kind, RateKind::PerHour { .. }) {
        out.push((
            Reason::HoursBasis,
            RatePolicy {
                hours_basis: p.hours_basis.other(),
                ..p
            },
        ));
    }
    if p.max_pay.is_some() {
        out.push((Reason::Cap, RatePolicy { max_pay: None, ..p }));
        if !reported.is_sign_negative() {
            out.push((
                Reason::Cap,
                RatePolicy {
                    max_pay: Some(reported),
                    ..p
                },
            ));
        }
    }
    if computed.counted.total == 0 {
        if p.empty_session_pay.is_some() {
            out.push((
                Reason::EmptySessionPay,
                RatePolicy {
                    empty_session_pay: None,
                    ..p
                },
            ));
        }
        if !reported.is_sign_negative() {
            out.push((
                Reason::EmptySessionPay,
                RatePolicy {
                    empty_session_pay: Some(reported),
                    ..p
                },
            ));
        }
    }
    out
}

/// The reason for a mismatch, and the policy that would match when one does.
///
/// A cap is only suggested when the policy has one (changing or removing it);
/// a cap that the policy lacks is for `rates infer` to find across sessions,
/// since any underpayment would otherwise look like a cap.
///
/// # Errors
/// [`crate::Error::Overflow`].
#[allow(clippy::too_many_arguments)]
pub fn explain_mismatch(
    kind: &RateKind,
    counts: &Counts,
    hours: Decimal,
    currency: Currency,
    policy: &RatePolicy,
    computed: &PayBreakdown,
    reported: Decimal,
    tolerance: Decimal,
) -> Result<(Reason, Option<RatePolicy>)> {
    for (reason, candidate) in single_changes(kind, counts, policy, computed, reported) {
        let pay = pay_for(Some(kind), counts, hours, currency, &candidate)?.pay;
        if money::sub(reported, pay, "difference")?.abs() <= tolerance {
            return Ok((reason, Some(candidate)));
        }
    }
    let difference = money::sub(reported, computed.pay, "difference")?;
    if difference.abs() <= currency.minor_unit() {
        Ok((Reason::WithinOneMinorUnit, None))
    } else {
        Ok((Reason::Unexplained, None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::TierMode;
    use crate::rate::Tiers;

    use crate::testing::{d, gbp};

    fn why(
        kind: &RateKind,
        counts: Counts,
        hours: &str,
        policy: RatePolicy,
        reported: &str,
    ) -> Reconciliation {
        let computed = pay_for(Some(kind), &counts, d(hours), gbp(), &policy).unwrap();
        reconcile_parts(
            Some(kind),
            &counts,
            d(hours),
            gbp(),
            false,
            Some(d(reported)),
            &policy,
            &computed,
            Decimal::ZERO,
        )
        .unwrap()
    }

    #[test]
    fn each_single_change_is_named() {
        let pc = RateKind::PerCustomer { base: d("5") };
        let c = |a, comped, late, ns| Counts::try_new(a, comped, late, ns).unwrap();
        let default = RatePolicy::default();
        assert_eq!(
            why(&pc, c(4, 1, 0, 0), "1", default, "20").reason,
            Some(Reason::CompedCounted)
        );
        let counting = RatePolicy {
            count_comped: true,
            ..default
        };
        assert_eq!(
            why(&pc, c(4, 1, 0, 0), "1", counting, "15").reason,
            Some(Reason::CompedNotCounted)
        );
        assert_eq!(
            why(&pc, c(4, 0, 2, 0), "1", default, "30").reason,
            Some(Reason::LateCancelsCounted)
        );
        assert_eq!(
            why(&pc, c(4, 0, 0, 1), "1", default, "25").reason,
            Some(Reason::NoShowsCounted)
        );
        let t = crate::testing::tier;
        let tiered = RateKind::Tiered {
            tiers: Tiers::try_new(vec![t(1, Some(5), "1"), t(6, None, "2")]).unwrap(),
        };
        // Slab pays 14 for 7; graduated 5 + 4 = 9.
        assert_eq!(
            why(&tiered, c(7, 0, 0, 0), "1", default, "9").reason,
            Some(Reason::TierMode)
        );
        let ph = RateKind::PerHour { base: d("4.69") };
        assert_eq!(
            why(&ph, c(1, 0, 0, 0), "0.5", default, "2.34").reason,
            Some(Reason::Rounding)
        );
        let ph = RateKind::PerHour { base: d("30") };
        assert_eq!(
            why(&ph, c(1, 0, 0, 0), "0.83", default, "25.00").reason,
            Some(Reason::HoursBasis)
        );
        let capped = RatePolicy {
            max_pay: Some(d("10")),
            ..default
        };
        assert_eq!(
            why(&pc, c(4, 0, 0, 0), "1", capped, "20").reason,
            Some(Reason::Cap)
        );
        assert_eq!(
            why(&pc, c(4, 0, 0, 0), "1", capped, "12").reason,
            Some(Reason::Cap)
        );
        assert_eq!(
            why(&pc, c(0, 0, 0, 0), "1", default, "15").reason,
            Some(Reason::EmptySessionPay)
        );
        assert_eq!(
            why(&pc, c(4, 0, 0, 0), "1", default, "20.01").reason,
            Some(Reason::WithinOneMinorUnit)
        );
        assert_eq!(
            why(&pc, c(4, 0, 0, 0), "1", default, "19.99").reason,
            Some(Reason::WithinOneMinorUnit)
        );
        assert_eq!(
            why(&pc, c(4, 0, 0, 0), "1", default, "18").reason,
            Some(Reason::Unexplained)
        );
    }

    #[test]
    fn an_underpayment_without_a_configured_cap_is_not_blamed_on_a_cap() {
        let pc = RateKind::PerCustomer { base: d("5") };
        let r = why(
            &pc,
            Counts::try_new(4, 0, 0, 0).unwrap(),
            "1",
            RatePolicy::default(),
            "12",
        );
        assert_eq!(r.reason, Some(Reason::Unexplained));
    }

    #[test]
    fn the_matching_policy_comes_with_the_reason() {
        let t = crate::testing::tier;
        let tiered = RateKind::Tiered {
            tiers: Tiers::try_new(vec![t(1, Some(5), "1"), t(6, None, "2")]).unwrap(),
        };
        let r = why(
            &tiered,
            Counts::try_new(7, 0, 0, 0).unwrap(),
            "1",
            RatePolicy::default(),
            "9",
        );
        assert_eq!(r.matching_policy.map(|p| p.tier_mode), Some(TierMode::Graduated));
    }

    #[test]
    fn statuses_other_than_match_and_mismatch_have_no_difference() {
        let pc = RateKind::PerCustomer { base: d("5") };
        let counts = Counts::try_new(1, 0, 0, 0).unwrap();
        let p = RatePolicy::default();
        let computed = pay_for(Some(&pc), &counts, d("1"), gbp(), &p).unwrap();
        let run = |kind, pending, reported| {
            reconcile_parts(
                kind,
                &counts,
                d("1"),
                gbp(),
                pending,
                reported,
                &p,
                &computed,
                Decimal::ZERO,
            )
            .unwrap()
        };
        let pending = run(Some(&pc), true, Some(d("99")));
        assert_eq!((pending.status, pending.difference), (Status::Pending, None));
        let unrated = run(None, false, Some(d("5")));
        assert_eq!((unrated.status, unrated.difference), (Status::Unrated, None));
        let unreported = run(Some(&pc), false, None);
        assert_eq!(
            (unreported.status, unreported.difference),
            (Status::Unreported, None)
        );
        let matched = run(Some(&pc), false, Some(d("5")));
        assert_eq!(
            (matched.status, matched.difference),
            (Status::Match, Some(d("0.00")))
        );
    }
}
