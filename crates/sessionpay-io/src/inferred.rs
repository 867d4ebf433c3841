//! The writers of an inferred policy ([`sessionpay_core::Inferred`], what
//! `sessionpay rates infer` finds): the policy file itself, in the format
//! [`crate::read_policy`] reads, with the evidence in comments; the same as
//! JSON data; and the summary table of rates shown on stderr.
//!
//! The policy file sets the determined settings of each rate, says in
//! comments how many sessions back each, why the others stay at their
//! default, and which sessions no policy explains (outliers).

use std::io::{self, Write};

use rust_decimal::Decimal;
use serde_json::{json, Value};
use sessionpay_core::{
    Currency, Finding, Inferred, InferredRate as Rate, RatePolicy, Setting, SettingReport,
};

/// Outliers listed per rate in the comments of the policy file (JSON lists
/// all); the observations need keep no more session ids than this.
pub const OUTLIERS_IN_COMMENTS: usize = 20;

/// Writes `inferred` as a policy file (SPEC section 3) that `payroll` and
/// `reconcile --rates` read as it is.
///
/// # Errors
/// Whatever `out` returns.
pub fn write_inferred_policy(out: &mut dyn Write, inferred: &Inferred) -> io::Result<()> {
    Report(inferred).write_toml(out)
}

/// Writes `inferred` as JSON: each setting with its finding and tally, each
/// rate with every outlier session.
///
/// # Errors
/// Whatever `out` returns; [`io::ErrorKind::InvalidInput`] when some
/// outlier's session ids are not all at hand
/// ([`Inferred::outliers_complete`]).
pub fn write_inferred_json(out: &mut dyn Write, inferred: &Inferred) -> io::Result<()> {
    if !inferred.outliers_complete() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the JSON report lists every outlier session, and some outliers' ids were not kept",
        ));
    }
    Report(inferred).write_json(out)
}

/// Writes the table of rates: sessions seen and explained, the confidence,
/// the outliers, the undetermined settings and, in brackets, the weak ones.
///
/// # Errors
/// Whatever `out` returns.
pub fn write_inferred_table(out: &mut dyn Write, inferred: &Inferred) -> io::Result<()> {
    Report(inferred).write_table(out)
}

/// Groups the integer digits of a plain decimal by thousands
/// (`1234567.5` → `1,234,567.5`).
///
/// ```
/// assert_eq!(sessionpay_io::group("-1234567.50"), "-1,234,567.50");
/// assert_eq!(sessionpay_io::group("999"), "999");
/// ```
pub fn group(plain: &str) -> String {
    let (sign, digits) = match plain.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", plain),
    };
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let mut out = String::with_capacity(plain.len() + int.len() / 3);
    out.push_str(sign);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(frac) = frac {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// A rate's confidence as a percentage, `-` without sessions.
fn confidence_percent(rate: &Rate) -> String {
    match rate.confidence() {
        Some(c) => format!("{}%", (c * Decimal::ONE_HUNDRED).round_dp(2)),
        None => "-".to_string(),
    }
}

/// Why the sessions cannot tell a setting without evidence.
fn no_evidence_reason(rate: &Rate, setting: Setting) -> &'static str {
    match setting {
        Setting::CountComped if !rate.had_comped => "no session had a comped attendee",
        Setting::CountLateCancels if !rate.had_late_cancels => "no session had a late cancellation",
        Setting::CountNoShows if !rate.had_no_shows => "no session had a no-show",
        Setting::CountComped | Setting::CountLateCancels | Setting::CountNoShows
            if rate.kinds == ["per_hour"] =>
        {
            "a per-hour rate ignores counts unless an empty-session pay applies, and none does"
        }
        Setting::TierMode => "slab and graduated pay the same on every session",
        Setting::EmptySessionPay if rate.inference.empty_sessions == 0 => "no session had nobody counted",
        Setting::Rounding => "no session's pay falls on a rounding midpoint",
        Setting::HoursBasis => "every session's hours are whole minutes",
        _ => "no session's pay depends on it",
    }
}

/// The text of a setting's value, `none` for an unset amount.
fn shown(setting: Setting, policy: &RatePolicy) -> String {
    setting.value_text(policy).unwrap_or_else(|| "none".to_string())
}

/// The evidence for one setting, in words.
fn evidence(rate: &Rate, r: &SettingReport, min_support: u64) -> String {
    let policy = &rate.inference.policy;
    let value = shown(r.setting, policy);
    let default = shown(r.setting, &RatePolicy::default());
    let alternative = r.alternative.as_ref().map(|a| shown(r.setting, a));
    let s = |n: u64| if n == 1 { "" } else { "s" };
    // "1 session tells ..., 1 matches"; "2 sessions tell ..., 2 match".
    let one = |n: u64, ending: &'static str| if n == 1 { ending } else { "" };
    let tally = |alternative: &str| {
        format!(
            "{} session{} tell{} {value} from {alternative}: {} match{} {value}, {} match{} {alternative}",
            r.telling,
            s(r.telling),
            one(r.telling, "s"),
            r.explained_with_value,
            one(r.explained_with_value, "es"),
            r.explained_with_alternative,
            one(r.explained_with_alternative, "es")
        )
    };
    match (r.finding, &alternative) {
        (Finding::Determined, None) => match r.setting {
            Setting::MaxPay => match rate.inference.highest_pay {
                Some(high) => {
                    format!("no session was paid less than its formula; the highest pay was {high}")
                }
                None => "no session was paid less than its formula".to_string(),
            },
            _ => "nothing suggests another value".to_string(),
        },
        (Finding::Determined | Finding::Weak, alt) => {
            let told = match r.setting {
                Setting::EmptySessionPay if policy.empty_session_pay.is_none() => format!(
                    "{} of {} empty session{} (nobody counted) were paid by the formula",
                    r.explained_with_value,
                    r.telling,
                    s(r.telling)
                ),
                _ => tally(alt.as_deref().unwrap_or("none")),
            };
            if !r.finding.is_weak() {
                return told;
            }
            let why = if r.explained_with_alternative == 0 {
                "nothing contradicts it"
            } else {
                "without it no policy explains most of the sessions"
            };
            format!("weak: {told}; {why}, but it rests on fewer than the {min_support} sessions --min-support asks for")
        }
        (Finding::NoEvidence, _) => format!(
            "undetermined, default {default} kept: {}",
            no_evidence_reason(rate, r.setting)
        ),
        (Finding::TooLittleEvidence, alt) => {
            let alt = alt.clone().unwrap_or_else(|| "none".to_string());
            format!(
                "undetermined, default {default} kept: {}; a setting leaves its default only when it explains at least {min_support} more sessions, or more with none against it",
                tally(&alt)
            )
        }
    }
}

/// A figure as given, but at least at the currency's minor unit (`5405.0`
/// INR shows as `5405.00`), so every input shape shows it alike.
fn figure(amount: Decimal, currency: Currency) -> String {
    let mut shown = amount;
    if shown.scale() < currency.minor_units() {
        shown.rescale(currency.minor_units());
    }
    shown.to_string()
}

/// Text fit for a TOML comment: one line, no control characters.
fn comment_text(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// `n` with thousands separators, as the report page writes counts.
fn count(n: u64) -> String {
    group(&n.to_string())
}

struct Report<'a>(&'a Inferred);

impl Report<'_> {
    fn min_support(&self) -> u64 {
        self.0.min_support
    }

    fn write_toml(&self, out: &mut dyn Write) -> io::Result<()> {
        let (seen, explained) = self.0.totals();
        writeln!(
            out,
            "# Rate policy inferred by `sessionpay rates infer` from TeamUp's own figures:"
        )?;
        writeln!(
            out,
            "# {} of {} sessions with a final figure explained exactly, over {} rate{}.",
            count(explained),
            count(seen),
            self.0.rates.len(),
            if self.0.rates.len() == 1 { "" } else { "s" }
        )?;
        writeln!(
            out,
            "# Each [rates.N] sets what its sessions determine; a setting they cannot tell apart is"
        )?;
        writeln!(
            out,
            "# left out (its default applies), with a comment saying why. Outliers are the sessions"
        )?;
        writeln!(
            out,
            "# the policy does not explain: `sessionpay reconcile --rates` reports them as mismatches."
        )?;
        writeln!(
            out,
            "# A setting marked `weak` rests on fewer sessions than --min-support ({}) asks for; its comment says why it is kept.",
            self.min_support()
        )?;
        if self.0.unrated > 0 {
            writeln!(
                out,
                "# {} session(s) without a pay rate were not used.",
                count(self.0.unrated)
            )?;
        }
        for (venue, seen) in &self.0.venues {
            let currency = seen.currency;
            writeln!(out)?;
            writeln!(out, "[venues.{}]", venue.0)?;
            if seen.name.is_empty() {
                writeln!(out, "currency = \"{currency}\"")?;
            } else {
                writeln!(out, "currency = \"{currency}\"  # {}", comment_text(&seen.name))?;
            }
        }
        for rate in &self.0.rates {
            self.write_rate(out, rate)?;
        }
        Ok(())
    }

    fn write_rate(&self, out: &mut dyn Write, rate: &Rate) -> io::Result<()> {
        let i = &rate.inference;
        writeln!(out)?;
        let mut about = rate.kinds.join(", ");
        if !rate.bases.is_empty() {
            about.push_str(&format!(", base {}", rate.bases.join(", ")));
        }
        writeln!(
            out,
            "# Rate {} \"{}\" ({about})",
            rate.id.0,
            comment_text(&rate.name)
        )?;
        let mut unused = Vec::new();
        if rate.pending > 0 {
            unused.push(format!("{} pending", count(rate.pending)));
        }
        if rate.unreported > 0 {
            unused.push(format!("{} without a figure", count(rate.unreported)));
        }
        let unused = if unused.is_empty() {
            String::new()
        } else {
            format!(" ({} not used)", unused.join(", "))
        };
        if i.seen == 0 {
            writeln!(
                out,
                "# No session with a final figure{unused}: nothing to infer, the defaults apply."
            )?;
            return Ok(());
        }
        writeln!(
            out,
            "# {} of {} sessions with a final figure explained ({}){unused}.",
            count(i.explained),
            count(i.seen),
            confidence_percent(rate)
        )?;
        if !rate.explains_most() {
            writeln!(
                out,
                "# WARNING: no policy explains most of this rate's sessions; the settings below are the best found."
            )?;
        }
        let outliers = rate.outlier_sessions();
        if outliers > 0 {
            writeln!(
                out,
                "# Outliers ({}): session, reported, computed under this policy:",
                count(outliers)
            )?;
            for o in rate.listed_outliers(OUTLIERS_IN_COMMENTS) {
                writeln!(
                    out,
                    "#   {} reported {} {}, computed {}",
                    o.session,
                    figure(o.reported, o.currency),
                    o.currency,
                    o.currency.format(o.computed)
                )?;
            }
            if outliers > OUTLIERS_IN_COMMENTS as u64 {
                writeln!(
                    out,
                    "#   ... and {} more (`--format json` lists them all)",
                    count(outliers - OUTLIERS_IN_COMMENTS as u64)
                )?;
            }
        }
        writeln!(out, "[rates.{}]", rate.id.0)?;
        for r in &i.settings {
            let why = comment_text(&evidence(rate, r, self.min_support()));
            match (r.finding.is_determined(), r.setting.value_text(&i.policy)) {
                (true, Some(value)) => writeln!(out, "{} = {value}  # {why}", r.setting.key())?,
                (true, None) => writeln!(out, "# {}: none - {why}", r.setting.key())?,
                (false, _) => writeln!(out, "# {}: {why}", r.setting.key())?,
            }
        }
        Ok(())
    }

    fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        let (seen, explained) = self.0.totals();
        let venues: serde_json::Map<String, Value> = self
            .0
            .venues
            .iter()
            .map(|(v, seen)| (v.0.to_string(), json!({ "currency": seen.currency.code() })))
            .collect();
        let rates: Vec<Value> = self.0.rates.iter().map(|r| self.rate_json(r)).collect();
        let doc = json!({
            "sessions_seen": seen,
            "sessions_explained": explained,
            "unrated_sessions": self.0.unrated,
            "min_support": self.min_support(),
            "venues": venues,
            "rates": rates,
        });
        serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
        writeln!(out)
    }

    fn rate_json(&self, rate: &Rate) -> Value {
        let i = &rate.inference;
        let value_json = |setting: Setting, p: &RatePolicy| -> Value {
            match setting {
                Setting::CountComped => json!(p.count_comped),
                Setting::CountLateCancels => json!(p.count_late_cancels),
                Setting::CountNoShows => json!(p.count_no_shows),
                Setting::TierMode => json!(p.tier_mode.as_str()),
                Setting::EmptySessionPay => json!(p.empty_session_pay.map(|a| a.normalize().to_string())),
                Setting::MaxPay => json!(p.max_pay.map(|a| a.normalize().to_string())),
                Setting::Rounding => json!(p.rounding.as_str()),
                Setting::HoursBasis => json!(p.hours_basis.as_str()),
            }
        };
        let mut policy = serde_json::Map::new();
        for r in i.settings.iter().filter(|r| r.finding.is_determined()) {
            let v = value_json(r.setting, &i.policy);
            if !v.is_null() {
                policy.insert(r.setting.key().to_string(), v);
            }
        }
        let settings: Vec<Value> = i
            .settings
            .iter()
            .map(|r| {
                json!({
                    "setting": r.setting.key(),
                    "value": value_json(r.setting, &i.policy),
                    "determined": r.finding.is_determined(),
                    "finding": match r.finding {
                        Finding::Determined => "determined",
                        Finding::Weak => "weak",
                        Finding::NoEvidence => "no_evidence",
                        Finding::TooLittleEvidence => "too_little_evidence",
                    },
                    "alternative": r.alternative.as_ref().map(|a| value_json(r.setting, a)),
                    "telling_sessions": r.telling,
                    "explained_with_value": r.explained_with_value,
                    "explained_with_alternative": r.explained_with_alternative,
                    "evidence": evidence(rate, r, self.min_support()),
                })
            })
            .collect();
        let outliers: Vec<Value> = rate
            .listed_outliers(usize::MAX)
            .iter()
            .map(|o| {
                json!({
                    "session_id": o.session,
                    "reported": figure(o.reported, o.currency),
                    "computed": o.currency.format(o.computed),
                    "currency": o.currency.code(),
                })
            })
            .collect();
        json!({
            "rate_id": rate.id.0,
            "name": rate.name,
            "kinds": rate.kinds,
            "sessions_seen": i.seen,
            "sessions_explained": i.explained,
            "confidence": rate.confidence().map(|c| c.round_dp(4).to_string()),
            "highest_pay": i.highest_pay.map(|h| h.to_string()),
            "pending_sessions": rate.pending,
            "unreported_sessions": rate.unreported,
            "explains_most": rate.explains_most(),
            "policy": policy,
            "undetermined": rate.undetermined(),
            "weak": rate.weak(),
            "settings": settings,
            "outliers": outliers,
        })
    }

    fn write_table(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "{:>8}  {:<20} {:>9} {:>9} {:>9} {:>8}  undetermined",
            "rate", "kind", "seen", "explained", "confidence", "outliers"
        )?;
        for rate in &self.0.rates {
            let i = &rate.inference;
            let undetermined = rate.undetermined();
            let mut last = if undetermined.is_empty() {
                "-".to_string()
            } else {
                undetermined.join(", ")
            };
            let weak = rate.weak();
            if !weak.is_empty() {
                last.push_str(&format!(" (weak: {})", weak.join(", ")));
            }
            writeln!(
                out,
                "{:>8}  {:<20} {:>9} {:>9} {:>9} {:>8}  {last}",
                rate.id.0,
                rate.kinds.join(","),
                i.seen,
                i.explained,
                confidence_percent(rate),
                rate.outlier_sessions(),
            )?;
        }
        let (seen, explained) = self.0.totals();
        writeln!(
            out,
            "{:>8}  {:<20} {:>9} {:>9} {:>9}",
            "all",
            "",
            seen,
            explained,
            if seen > 0 {
                format!(
                    "{}%",
                    (Decimal::from(explained) * Decimal::ONE_HUNDRED / Decimal::from(seen)).round_dp(2)
                )
            } else {
                "-".to_string()
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use sessionpay_core::{
        pay_for, Counts, InferOptions, InstructorId, ObservationSet, PayRate, RateId, RateKind, Session,
        SessionId, SessionType, VenueId,
    };

    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    /// Sessions of one per-customer rate at 5 that counts late cancels,
    /// `wrong` of them paid a pound more, and the inference over them.
    fn inferred(right: u64, wrong: u64, examples: usize) -> Inferred {
        let gbp = Currency::try_from_code("GBP").unwrap();
        let rate = Arc::new(
            PayRate::try_new(
                RateId(3),
                "Group \"A\"\nline".into(),
                RateKind::PerCustomer { base: d("5") },
            )
            .unwrap(),
        );
        let truth = RatePolicy {
            count_late_cancels: true,
            ..Default::default()
        };
        let mut set = ObservationSet::new(examples);
        for id in 1..=right + wrong {
            let counts = Counts::try_new((id % 4) as u32 + 1, 0, (id % 3) as u32, 0).unwrap();
            let mut reported = pay_for(Some(&rate.kind), &counts, d("1"), gbp, &truth)
                .unwrap()
                .pay;
            if id > right {
                reported += Decimal::ONE;
            }
            set.add(&Session {
                id: SessionId(id),
                name: "Spin".into(),
                instructor: InstructorId(7),
                instructor_name: "Ana".into(),
                venue: VenueId(101),
                venue_name: "Camden".into(),
                zone: sessionpay_core::chrono_tz::Europe::London,
                starts_at: "2026-05-02T09:00:00Z".parse().unwrap(),
                hours: d("1"),
                counts,
                session_type: SessionType::Class,
                rate: Some(rate.clone()),
                reported: Some(reported),
                pending: false,
                currency: gbp,
            });
        }
        set.infer(&InferOptions::default()).unwrap()
    }

    fn text(write: fn(&mut dyn Write, &Inferred) -> io::Result<()>, inferred: &Inferred) -> String {
        let mut out = Vec::new();
        write(&mut out, inferred).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_policy_file_reads_back_as_the_inferred_overrides() {
        let mut found = inferred(40, 0, OUTLIERS_IN_COMMENTS);
        found.declare_venues([(VenueId(900), Currency::try_from_code("EUR").unwrap())]);
        let toml = text(write_inferred_policy, &found);
        let table = crate::parse_policy(&toml, Path::new("inferred.toml")).unwrap();
        assert_eq!(table.rates[&RateId(3)], found.rates[0].inference.overrides());
        assert_eq!(table.rates[&RateId(3)].count_late_cancels, Some(true));
        assert_eq!(table.venue_currencies[&VenueId(101)].code(), "GBP");
        assert_eq!(table.venue_currencies[&VenueId(900)].code(), "EUR");
        // The rate's name stays inside its one comment line.
        assert!(
            toml.contains("# Rate 3 \"Group \"A\" line\" (per_customer, base 5)\n"),
            "{toml}"
        );
        assert!(toml.contains("currency = \"GBP\"  # Camden\n"), "{toml}");
        assert!(toml.contains("# 40 of 40 sessions with a final figure explained exactly, over 1 rate.\n"));
    }

    #[test]
    fn the_policy_file_names_the_first_outliers_and_counts_the_rest() {
        let found = inferred(1000, 25, OUTLIERS_IN_COMMENTS);
        let toml = text(write_inferred_policy, &found);
        assert!(
            toml.contains("# Outliers (25): session, reported, computed under this policy:\n"),
            "{toml}"
        );
        assert!(toml.contains("#   1001 reported "), "{toml}");
        assert!(toml.contains("#   1020 reported "), "{toml}");
        assert!(!toml.contains("#   1021 reported "), "{toml}");
        assert!(
            toml.contains("#   ... and 5 more (`--format json` lists them all)\n"),
            "{toml}"
        );
        assert!(
            toml.contains("# 1,000 of 1,025 sessions with a final figure explained"),
            "{toml}"
        );
    }

    #[test]
    fn the_json_lists_every_outlier_and_refuses_to_list_a_part() {
        let found = inferred(100, 30, usize::MAX);
        let doc: Value = serde_json::from_str(&text(write_inferred_json, &found)).unwrap();
        let ids: Vec<u64> = doc["rates"][0]["outliers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["session_id"].as_u64().unwrap())
            .collect();
        assert_eq!(ids, (101..=130).collect::<Vec<u64>>());
        assert_eq!(doc["sessions_seen"], 130);
        assert_eq!(doc["rates"][0]["policy"]["count_late_cancels"], true);
        // One id kept per observation: those of two or three sessions are not all at hand.
        let partial = inferred(100, 30, 1);
        let err = write_inferred_json(&mut Vec::new(), &partial).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn the_table_has_a_row_per_rate_and_the_totals() {
        let table = text(write_inferred_table, &inferred(90, 10, OUTLIERS_IN_COMMENTS));
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3, "{table}");
        assert!(
            lines[1].starts_with("       3  per_customer               100        90    90.00%       10  "),
            "{table}"
        );
        assert_eq!(
            lines[2],
            "     all                             100        90       90%"
        );
    }

    #[test]
    fn thousands_are_grouped_in_the_integer_part_only() {
        for (plain, grouped) in [
            ("0", "0"),
            ("1234", "1,234"),
            ("-1234567.891", "-1,234,567.891"),
            ("123456", "123,456"),
        ] {
            assert_eq!(group(plain), grouped);
        }
    }
}
