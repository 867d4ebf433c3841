//! `sessionpay rates infer`: the policy of each rate that explains TeamUp's figures.
//!
//! Every input is read once by the same engine run as `reconcile` (currencies,
//! duplicates) into [`sessionpay_engine::Observations`], which also runs the
//! search per rate; this module holds the flags and writes what it found.
//!
//! The output is a policy file (SPEC section 3) that `payroll` and
//! `reconcile --rates` read as it is: the determined settings of each rate,
//! comments with the evidence, the settings left at their default because the
//! sessions cannot tell, and the sessions no policy explains (outliers).

use std::collections::BTreeMap;
use std::io::{self, Write};

use rust_decimal::Decimal;
use serde_json::{json, Value};
use sessionpay_core::{
    Currency, Finding, InferOptions, RatePolicy, RateTable, Setting, SettingReport, VenueId,
};
use sessionpay_engine::{InferredRate as Rate, Observations, Run};

use crate::args::{InferArgs, InferFormat};
use crate::resolve::{expand, guard, label_inputs, run_options};
use crate::run::emit_to;
use crate::ui::{Notes, Outcome, BYTES_READ};

/// Outliers listed per rate in the comments of the TOML output (JSON lists all).
const OUTLIERS_IN_COMMENTS: usize = 20;

/// Runs `sessionpay rates infer`.
pub(crate) fn run(args: &InferArgs) -> anyhow::Result<Outcome> {
    let mut notes = Notes::new(args.quiet);
    let mut inputs = expand(&args.paths.inputs, &mut notes)?;
    let mut outputs = guard(
        &inputs,
        &args
            .rates
            .as_deref()
            .into_iter()
            .chain(args.columns_from.path.as_deref())
            .collect::<Vec<_>>(),
        &args.output.path.as_deref().into_iter().collect::<Vec<_>>(),
        &[],
    )?;
    let (table, columns) = match &args.rates {
        Some(path) => {
            let policy = sessionpay_io::read_policy(path)?;
            let table = policy.table;
            if !table.rates.is_empty() || table.defaults != Default::default() {
                notes.say(format!(
                    "{}: only its [venues] currencies are used; the rates are inferred afresh",
                    path.display()
                ));
            }
            (table, policy.columns)
        }
        None => (RateTable::default(), Default::default()),
    };
    label_inputs(&mut inputs, columns, args.columns_from.path.as_deref())?;

    // One reading path for every command (currencies, duplicates, parallel
    // reading); the observations take sessions unpriced.
    let options = run_options(Decimal::ZERO);
    let (observations, stats) = Run::new(&inputs, &table, options)
        .progress(&BYTES_READ)
        .collect(Observations::default)?;
    notes.stats(&stats);

    let inferred = observations.infer(
        &InferOptions {
            min_support: args.min_support,
        },
        options.threads,
    )?;
    let mut venues: BTreeMap<VenueId, (Currency, String)> = table
        .venue_currencies
        .iter()
        .map(|(v, c)| (*v, (*c, String::new())))
        .collect();
    for (venue, seen) in inferred.venues {
        venues.insert(venue, (seen.currency, seen.name));
    }
    let report = Report {
        rates: inferred.rates,
        venues,
        unrated: inferred.unrated,
        min_support: args.min_support,
    };

    let write = |out: &mut dyn Write| match args.format {
        InferFormat::Toml => report.write_toml(out),
        InferFormat::Json => report.write_json(out),
    };
    emit_to(args.output.path.as_deref(), &mut outputs, |out| {
        write(out).map_err(anyhow::Error::from)
    })?;
    outputs.commit()?;
    if !args.quiet {
        let mut err = io::stderr().lock();
        report.write_table(&mut err)?;
    }
    let unexplained: Vec<&Rate> = report.rates.iter().filter(|r| !r.explains_most()).collect();
    for rate in &unexplained {
        notes.say(format!(
            "rate {}: no policy explains most of its sessions ({} of {}); its figures follow some other rule",
            rate.id.0, rate.inference.explained, rate.inference.seen
        ));
    }
    Ok(if unexplained.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Mismatch
    })
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
fn group(n: u64) -> String {
    sessionpay_render::group(&n.to_string())
}

struct Report {
    rates: Vec<Rate>,
    venues: BTreeMap<VenueId, (Currency, String)>,
    unrated: u64,
    min_support: u64,
}

impl Report {
    fn totals(&self) -> (u64, u64) {
        self.rates.iter().fold((0, 0), |(seen, explained), r| {
            (seen + r.inference.seen, explained + r.inference.explained)
        })
    }

    fn write_toml(&self, out: &mut dyn Write) -> io::Result<()> {
        let (seen, explained) = self.totals();
        writeln!(
            out,
            "# Rate policy inferred by `sessionpay rates infer` from TeamUp's own figures:"
        )?;
        writeln!(
            out,
            "# {} of {} sessions with a final figure explained exactly, over {} rate{}.",
            group(explained),
            group(seen),
            self.rates.len(),
            if self.rates.len() == 1 { "" } else { "s" }
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
            self.min_support
        )?;
        if self.unrated > 0 {
            writeln!(
                out,
                "# {} session(s) without a pay rate were not used.",
                group(self.unrated)
            )?;
        }
        for (venue, (currency, name)) in &self.venues {
            writeln!(out)?;
            writeln!(out, "[venues.{}]", venue.0)?;
            if name.is_empty() {
                writeln!(out, "currency = \"{currency}\"")?;
            } else {
                writeln!(out, "currency = \"{currency}\"  # {}", comment_text(name))?;
            }
        }
        for rate in &self.rates {
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
            unused.push(format!("{} pending", group(rate.pending)));
        }
        if rate.unreported > 0 {
            unused.push(format!("{} without a figure", group(rate.unreported)));
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
            group(i.explained),
            group(i.seen),
            confidence_percent(rate)
        )?;
        if !rate.explains_most() {
            writeln!(
                out,
                "# WARNING: no policy explains most of this rate's sessions; the settings below are the best found."
            )?;
        }
        if !rate.outliers.is_empty() {
            writeln!(
                out,
                "# Outliers ({}): session, reported, computed under this policy:",
                group(rate.outliers.len() as u64)
            )?;
            for o in rate.outliers.iter().take(OUTLIERS_IN_COMMENTS) {
                writeln!(
                    out,
                    "#   {} reported {} {}, computed {}",
                    o.session,
                    figure(o.reported, o.currency),
                    o.currency,
                    o.currency.format(o.computed)
                )?;
            }
            if rate.outliers.len() > OUTLIERS_IN_COMMENTS {
                writeln!(
                    out,
                    "#   ... and {} more (`--format json` lists them all)",
                    group((rate.outliers.len() - OUTLIERS_IN_COMMENTS) as u64)
                )?;
            }
        }
        writeln!(out, "[rates.{}]", rate.id.0)?;
        for r in &i.settings {
            let why = comment_text(&evidence(rate, r, self.min_support));
            match (r.finding.is_determined(), r.setting.value_text(&i.policy)) {
                (true, Some(value)) => writeln!(out, "{} = {value}  # {why}", r.setting.key())?,
                (true, None) => writeln!(out, "# {}: none - {why}", r.setting.key())?,
                (false, _) => writeln!(out, "# {}: {why}", r.setting.key())?,
            }
        }
        Ok(())
    }

    fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        let (seen, explained) = self.totals();
        let venues: serde_json::Map<String, Value> = self
            .venues
            .iter()
            .map(|(v, (c, _))| (v.0.to_string(), json!({ "currency": c.code() })))
            .collect();
        let rates: Vec<Value> = self.rates.iter().map(|r| self.rate_json(r)).collect();
        let doc = json!({
            "sessions_seen": seen,
            "sessions_explained": explained,
            "unrated_sessions": self.unrated,
            "min_support": self.min_support,
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
                    "evidence": evidence(rate, r, self.min_support),
                })
            })
            .collect();
        let outliers: Vec<Value> = rate
            .outliers
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
        for rate in &self.rates {
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
                rate.outliers.len(),
            )?;
        }
        let (seen, explained) = self.totals();
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
