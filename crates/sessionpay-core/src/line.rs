//! One priced and reconciled session, and its figures in words: how ours was
//! worked out, and what TeamUp's would need.

use rust_decimal::Decimal;

use crate::calc::{compute_pay, Formula, PayBreakdown};
use crate::error::Result;
use crate::memo::PayMemo;
use crate::policy::RatePolicy;
use crate::rate::RateKind;
use crate::reconcile::{reconcile, Reason, Reconciliation, Status};
use crate::session::Session;

/// One priced and reconciled session.
#[derive(Debug, Clone)]
pub struct SessionLine {
    /// The session.
    pub session: Session,
    /// Its pay.
    pub pay: PayBreakdown,
    /// Its reconciliation.
    pub rec: Reconciliation,
}

impl SessionLine {
    /// Prices `session` under `policy` and reconciles TeamUp's figure with `tolerance`.
    ///
    /// # Errors
    /// [`crate::Error::Overflow`] in the pay or the reconciliation.
    pub fn price(session: Session, policy: &RatePolicy, tolerance: Decimal) -> Result<SessionLine> {
        let pay = compute_pay(&session, policy)?;
        SessionLine::reconciled(session, policy, pay, tolerance)
    }

    /// [`SessionLine::price`] with the pay from `memo`: the same line.
    ///
    /// # Errors
    /// As [`SessionLine::price`].
    pub fn price_with(
        session: Session,
        policy: &RatePolicy,
        tolerance: Decimal,
        memo: &mut PayMemo,
    ) -> Result<SessionLine> {
        let pay = memo.pay(&session, policy)?;
        SessionLine::reconciled(session, policy, pay, tolerance)
    }

    fn reconciled(
        session: Session,
        policy: &RatePolicy,
        pay: PayBreakdown,
        tolerance: Decimal,
    ) -> Result<SessionLine> {
        let rec = reconcile(&session, policy, &pay, tolerance)?;
        Ok(SessionLine { session, pay, rec })
    }
}

/// Both figures of a line in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// Our figure, step by step: `11 × 6.75 = 74.25 → 74.25`.
    pub computed: String,
    /// For a mismatch, TeamUp's figure: the change of policy that gives it,
    /// worked out the same way, or why none does; empty otherwise.
    pub reported: String,
}

impl Explanation {
    /// The explanation of `line`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use rust_decimal::Decimal;
    /// use sessionpay_core::*;
    ///
    /// let d = |s: &str| s.parse::<Decimal>().unwrap();
    /// let rate = PayRate::try_new(RateId(1), "pc".into(), RateKind::PerCustomer { base: d("5") })?;
    /// let session = Session {
    ///     id: SessionId(1), name: "Spin".into(), instructor: InstructorId(7), instructor_name: "Ana".into(),
    ///     venue: VenueId(101), venue_name: "Camden".into(), zone: chrono_tz::Europe::London,
    ///     starts_at: "2026-05-02T09:00:00Z".parse()?, hours: d("1"),
    ///     counts: Counts::try_new(4, 1, 0, 0)?, session_type: SessionType::Class,
    ///     rate: Some(Arc::new(rate)), reported: Some(d("20.00")), pending: false,
    ///     currency: Currency::try_from_code("GBP")?,
    /// };
    /// let line = SessionLine::price(session, &RatePolicy::default(), Decimal::ZERO)?;
    /// let e = Explanation::of(&line);
    /// assert_eq!(e.computed, "3 × 5 = 15 → 15.00");
    /// assert_eq!(e.reported, "with comped_counted: 4 × 5 = 20 → 20.00");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn of(line: &SessionLine) -> Explanation {
        Explanation {
            computed: explain_pay(line, &line.pay),
            reported: explain_reported(line),
        }
    }
}

/// Hours without trailing zeros (`1.5`, `1`).
pub fn format_hours(value: Decimal) -> String {
    value.normalize().to_string()
}

/// `pay` (the line's own, or another under a changed policy), step by step.
fn explain_pay(line: &SessionLine, pay: &PayBreakdown) -> String {
    let c = line.session.currency;
    let mut text = format!("{} = {}", formula_text(line, pay), pay.formula_amount.normalize());
    if pay.empty_session_pay_applied {
        text.push_str(&format!(
            "; nobody counted: empty-session pay {}",
            pay.raw.normalize()
        ));
    }
    if pay.cap_applied {
        text.push_str(&format!("; capped at {}", pay.raw.normalize()));
    }
    text.push_str(&format!(" → {}", c.format(pay.pay)));
    text
}

/// TeamUp's figure, explained when one change of policy gives it.
fn explain_reported(line: &SessionLine) -> String {
    let s = &line.session;
    let reported = || s.reported.map(|r| s.currency.format(r)).unwrap_or_default();
    match (line.rec.status, line.rec.reason, line.rec.matching_pay(s)) {
        (Status::Mismatch, Some(reason), Some(Ok(pay))) => {
            format!("with {}: {}", reason.as_str(), explain_pay(line, &pay))
        }
        (Status::Mismatch, Some(reason), Some(Err(e))) => format!("with {}: {e}", reason.as_str()),
        (Status::Mismatch, Some(Reason::WithinOneMinorUnit), None) => format!(
            "{} is one minor unit from ours; no single change of policy gives it",
            reported()
        ),
        (Status::Mismatch, _, _) => format!("no single change of policy gives {}", reported()),
        _ => String::new(),
    }
}

/// How the formula was applied to `line`, in words (`10 × 6.75`,
/// `graduated: 5 × 1.80 + 2 × 2.20`).
pub fn describe_formula(line: &SessionLine) -> String {
    formula_text(line, &line.pay)
}

/// How the formula of `pay` was applied to the session of `line`.
fn formula_text(line: &SessionLine, pay: &PayBreakdown) -> String {
    match pay.formula {
        Formula::Unrated => "unrated".to_string(),
        Formula::PerCustomer { base, customers } => format!("{customers} × {base}"),
        // By whole minutes the figure is base × minutes / 60, exactly: the
        // hours it stands for may not end, so they are not shown.
        Formula::PerHour {
            base,
            minutes: Some(m),
            ..
        } => format!("{} min × {base} / 60", format_hours(m)),
        Formula::PerHour {
            base,
            hours: h,
            minutes: None,
        } => format!("{} h × {base}", format_hours(h.round_dp(6))),
        Formula::Slab {
            tier,
            amount: a,
            customers,
        } => match tier {
            Some(i) => format!("slab: {customers} × {a} (tier {})", i + 1),
            None => format!("slab: {customers} customers, no tier holds them"),
        },
        Formula::Graduated { customers } => {
            let Some(RateKind::Tiered { tiers }) = line.session.rate.as_deref().map(|r| &r.kind) else {
                return format!("graduated: {customers} customers");
            };
            let bands: Vec<String> = (0..tiers.as_slice().len())
                .filter_map(|i| {
                    let n = tiers.customers_in(i, customers);
                    (n > 0).then(|| format!("{n} × {}", tiers.as_slice()[i].amount))
                })
                .collect();
            if bands.is_empty() {
                format!(
                    "graduated: {customers} customers, none in a tier ({})",
                    line.session.currency.format(Decimal::ZERO)
                )
            } else {
                format!("graduated: {}", bands.join(" + "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::rate::{PayRate, RateId, Tiers};
    use crate::session::Counts;
    use crate::HoursBasis;

    use crate::testing::{d, gbp, session};

    fn line(
        kind: Option<RateKind>,
        counts: Counts,
        hours: &str,
        reported: &str,
        policy: RatePolicy,
    ) -> SessionLine {
        let rate = kind.map(|k| Arc::new(PayRate::try_new(RateId(3), "r".into(), k).unwrap()));
        let reported = (!reported.is_empty()).then(|| d(reported));
        let session = session(rate, counts, hours, reported, gbp());
        SessionLine::price(session, &policy, Decimal::ZERO).unwrap()
    }

    fn tiered() -> RateKind {
        let t = crate::testing::tier;
        RateKind::Tiered {
            tiers: Tiers::try_new(vec![t(1, Some(5), "1.80"), t(6, None, "2.20")]).unwrap(),
        }
    }

    fn explained(line: &SessionLine) -> (String, String) {
        let e = Explanation::of(line);
        (e.computed, e.reported)
    }

    #[test]
    fn a_mismatch_one_change_explains_shows_teamups_figure_worked_out() {
        let counts = Counts::try_new(7, 0, 0, 0).unwrap();
        // Slab: 7 × 2.20 = 15.40; graduated: 5 × 1.80 + 2 × 2.20 = 13.40.
        let l = line(Some(tiered()), counts, "1", "13.40", RatePolicy::default());
        assert_eq!(l.rec.reason, Some(Reason::TierMode));
        assert_eq!(
            explained(&l),
            (
                "slab: 7 × 2.20 (tier 2) = 15.4 → 15.40".to_string(),
                "with tier_mode: graduated: 5 × 1.80 + 2 × 2.20 = 13.4 → 13.40".to_string()
            )
        );
    }

    #[test]
    fn the_cap_and_the_empty_session_pay_are_named_in_the_steps() {
        let pc = RateKind::PerCustomer { base: d("5") };
        let capped = RatePolicy {
            max_pay: Some(d("12")),
            ..Default::default()
        };
        let l = line(
            Some(pc.clone()),
            Counts::try_new(4, 0, 0, 0).unwrap(),
            "1",
            "20",
            capped,
        );
        assert_eq!(
            explained(&l),
            (
                "4 × 5 = 20; capped at 12 → 12.00".to_string(),
                "with cap: 4 × 5 = 20 → 20.00".to_string()
            )
        );
        let empty = RatePolicy {
            empty_session_pay: Some(d("15")),
            ..Default::default()
        };
        let l = line(Some(pc), Counts::default(), "1", "15", empty);
        assert_eq!(
            explained(&l),
            (
                "0 × 5 = 0; nobody counted: empty-session pay 15 → 15.00".to_string(),
                String::new()
            )
        );
    }

    #[test]
    fn a_mismatch_nothing_explains_says_so() {
        let pc = RateKind::PerCustomer { base: d("5") };
        let counts = Counts::try_new(4, 0, 0, 0).unwrap();
        let near = line(Some(pc.clone()), counts, "1", "20.01", RatePolicy::default());
        assert_eq!(
            explained(&near).1,
            "20.01 is one minor unit from ours; no single change of policy gives it"
        );
        let far = line(Some(pc), counts, "1", "18", RatePolicy::default());
        assert_eq!(explained(&far).1, "no single change of policy gives 18.00");
    }

    #[test]
    fn per_hour_formulas_show_hours_or_whole_minutes() {
        let ph = RateKind::PerHour { base: d("30") };
        let counts = Counts::default();
        let reported = line(Some(ph.clone()), counts, "0.750", "22.50", RatePolicy::default());
        assert_eq!(describe_formula(&reported), "0.75 h × 30");
        let minutes = RatePolicy {
            hours_basis: HoursBasis::Minutes,
            ..Default::default()
        };
        let by_minutes = line(Some(ph), counts, "0.83", "", minutes);
        assert_eq!(describe_formula(&by_minutes), "50 min × 30 / 60");
        assert_eq!(explained(&by_minutes).0, "50 min × 30 / 60 = 25 → 25.00");
        let unrated = line(None, counts, "1", "", RatePolicy::default());
        assert_eq!(
            explained(&unrated),
            ("unrated = 0 → 0.00".to_string(), String::new())
        );
    }

    #[test]
    fn graduated_counts_outside_every_tier_say_so() {
        let graduated = RatePolicy {
            tier_mode: crate::TierMode::Graduated,
            ..Default::default()
        };
        let l = line(Some(tiered()), Counts::default(), "1", "", graduated);
        assert_eq!(
            describe_formula(&l),
            "graduated: 0 customers, none in a tier (0.00)"
        );
        let slab = line(Some(tiered()), Counts::default(), "1", "", RatePolicy::default());
        assert_eq!(describe_formula(&slab), "slab: 0 customers, no tier holds them");
    }
}
