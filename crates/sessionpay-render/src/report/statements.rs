//! Instructor statements: one HTML file per instructor and pay period, listing
//! each session in venue-local time with how its pay was computed and
//! TeamUp's figure beside it, plus an `index.html` linking them all.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use rust_decimal::Decimal;
use sessionpay_core::{
    Currency, Formula, InstructorId, PayrollRow, Period, RateKind, Reason, SessionLine, Status,
};
use sessionpay_io::OutputSet;

use super::markup::{cell, difference_cell, group, head, money, partial, plural, Esc, TAIL};
use super::Report;
use crate::error::{Result, AMOUNT_OVERFLOW};

/// One statement: an instructor's rows (one per currency) of one period.
struct Statement<'a> {
    instructor: InstructorId,
    name: &'a str,
    period: Period,
    /// Each row with its sessions, sorted by start, and the adjustments
    /// carried into it.
    parts: Vec<Part<'a>>,
}

/// A row of a statement, its sessions and the adjustments carried into it.
type Part<'a> = (
    &'a PayrollRow,
    Vec<&'a SessionLine>,
    Vec<&'a super::AdjustmentLine>,
);

/// Writes the statements and the index into a folder staged in `outputs`,
/// which replaces `dir` as a whole when the outputs are committed.
pub(super) fn write(report: &Report<'_>, dir: &Path, outputs: &mut OutputSet) -> Result<()> {
    let statements = gather(report)?;
    let banner = super::partial_banner(report);
    let mut folder = outputs.folder(dir)?;
    let mut index = Vec::with_capacity(statements.len());
    for statement in &statements {
        let name = file_name(statement);
        let html = render(statement, banner.as_deref())?;
        folder.write(&name, html.as_bytes())?;
        index.push((name, statement));
    }
    folder.write("index.html", render_index(report, &index).as_bytes())?;
    outputs.add_folder(folder);
    Ok(())
}

/// The file name of a statement: period start, instructor id and a plain
/// ASCII form of the name (`2026-05-01_1010_ana-nakamura.html`).
fn file_name(statement: &Statement<'_>) -> String {
    let slug = slug(statement.name);
    if slug.is_empty() {
        format!("{}_{}.html", statement.period.start, statement.instructor.0)
    } else {
        format!(
            "{}_{}_{slug}.html",
            statement.period.start, statement.instructor.0
        )
    }
}

/// The name transliterated to ASCII (`Siobhán Müller` → `siobhan-muller`,
/// `李小龍` → `li-xiao-long`), then lower-case letters and digits with runs
/// of anything else as one `-`, at most 40 characters.
fn slug(name: &str) -> String {
    let plain = deunicode::deunicode(name);
    let mut out = String::new();
    for c in plain.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= 40 {
            break;
        }
    }
    out.trim_end_matches('-').to_string()
}

/// Groups rows by instructor and period, each row with the sessions the
/// payroll put in it.
fn gather<'a>(report: &Report<'a>) -> Result<Vec<Statement<'a>>> {
    let by_row = report.line_rows.group(report.lines)?;
    let mut groups: BTreeMap<(Period, InstructorId), Statement<'a>> = BTreeMap::new();
    let mut carried = std::collections::BTreeSet::new();
    for (row, mut sessions) in report.rows.iter().zip(by_row) {
        // Rows are sorted by instructor, currency and period: the first of
        // each instructor × currency takes its adjustments.
        let adjustments = if carried.insert((row.instructor, row.currency)) {
            report
                .adjustments
                .iter()
                .filter(|a| a.instructor == row.instructor && a.currency == row.currency)
                .collect()
        } else {
            Vec::new()
        };
        sessions.sort_by_key(|l| (l.session.starts_at, l.session.id));
        groups
            .entry((row.period, row.instructor))
            .or_insert_with(|| Statement {
                instructor: row.instructor,
                name: &row.instructor_name,
                period: row.period,
                parts: Vec::new(),
            })
            .parts
            .push((row, sessions, adjustments));
    }
    Ok(groups.into_values().collect())
}

fn render(statement: &Statement<'_>, banner: Option<&str>) -> Result<String> {
    let title = format!(
        "Pay statement: {} ({} to {})",
        statement.name, statement.period.start, statement.period.end
    );
    let mut h = head(&title);
    let _ = write!(
        h,
        "<header>\n<h1>Pay statement</h1>\n<p class=\"lead\"><b>{}</b> (instructor {}) · {} to {}</p>\n\
         <p class=\"note\">Times are the venue's local time. Pending sessions are listed but not paid \
         until TeamUp's figure is final.</p>\n</header>\n",
        Esc(statement.name),
        statement.instructor.0,
        statement.period.start,
        statement.period.end
    );
    if let Some(banner) = banner {
        h.push_str(&partial(banner));
    }
    for (row, sessions, adjustments) in &statement.parts {
        part(&mut h, row, sessions)?;
        adjustments_part(&mut h, row, adjustments)?;
    }
    let _ = writeln!(
        h,
        "<footer>Written by sessionpay {} from TeamUp's instructed-sessions report.</footer>",
        env!("CARGO_PKG_VERSION")
    );
    h.push_str(TAIL);
    Ok(h)
}

fn part(h: &mut String, row: &PayrollRow, sessions: &[&SessionLine]) -> Result<()> {
    let c = row.currency;
    let t = &row.totals;
    let _ = write!(
        h,
        "<section data-currency=\"{c}\">\n<h2>{c}</h2>\n<div class=\"cards\">\n<div class=\"card\">\n\
         <div class=\"note\">Pay for the period</div>\n<div class=\"big\" data-field=\"computed_pay\">{c} {}</div>\n<dl>\n\
         <dt>TeamUp's figure</dt><dd data-field=\"reported_pay\">{}</dd>\n\
         <dt>Difference (TeamUp − computed)</dt><dd data-field=\"difference\">{}</dd>\n\
         <dt>Sessions</dt><dd>{}</dd>\n<dt>Hours</dt><dd>{}</dd>\n<dt>Counted customers</dt><dd>{}</dd>\n\
         <dt>Pending sessions</dt><dd>{}</dd>\n</dl>\n</div>\n</div>\n",
        money(c, t.computed_pay),
        money(c, t.reported_pay),
        money(c, row.difference),
        t.sessions,
        sessionpay_io::hours(t.hours),
        t.counted_customers,
        t.pending_sessions,
    );
    h.push_str(
        "<h3>Sessions</h3>\n<div class=\"scroll\"><table class=\"stack\">\n<thead><tr><th>When (venue time)</th><th>Session</th>\
         <th class=\"num\">Hours</th><th>Rate</th><th>How it was computed</th><th class=\"num\">Pay</th>\
         <th class=\"num\">TeamUp</th><th class=\"num\">Difference</th><th>Status</th></tr></thead>\n<tbody>\n",
    );
    for line in sessions {
        session_row(h, line);
    }
    let _ = write!(
        h,
        "</tbody>\n<tfoot><tr><td colspan=\"5\">Total{}</td>{}{}{}<td class=\"blank\"></td></tr></tfoot>\n\
         </table></div>\n</section>\n",
        if t.pending_sessions > 0 {
            " (pending sessions left out)"
        } else {
            ""
        },
        cell("num", "Pay", &money(c, t.computed_pay)),
        cell("num", "TeamUp", &money(c, t.reported_pay)),
        difference_cell(c, row.difference),
    );
    Ok(())
}

/// The adjustments to earlier, closed periods carried into this row, and the total due.
fn adjustments_part(h: &mut String, row: &PayrollRow, lines: &[&super::AdjustmentLine]) -> Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let c = row.currency;
    let mut sum = Decimal::ZERO;
    for a in lines {
        sum = sum.checked_add(a.adjustment).ok_or(AMOUNT_OVERFLOW)?;
    }
    let due = row.totals.computed_pay.checked_add(sum).ok_or(AMOUNT_OVERFLOW)?;
    let _ = write!(
        h,
        "<section data-currency=\"{c}\" class=\"adjustments\">\n<h3>Adjustments to periods already paid</h3>\n\
         <div class=\"scroll\"><table class=\"stack\">\n<thead><tr><th>Session</th><th>Period</th><th>Change</th>\
         <th>What changed</th><th class=\"num\">Paid</th><th class=\"num\">Now</th><th class=\"num\">Adjustment</th>\
         </tr></thead>\n<tbody>\n"
    );
    for a in lines {
        let _ = writeln!(
            h,
            "<tr data-session=\"{}\">{}{}{}{}{}{}{}</tr>",
            a.session,
            cell("", "Session", &format!("#{}", a.session)),
            cell("nowrap", "Period", &a.period_start.to_string()),
            cell("", "Change", change_words(a.change)),
            cell("", "What changed", &Esc(&what_words(&a.what)).to_string()),
            cell("num", "Paid", &money(c, a.paid)),
            cell("num", "Now", &money(c, a.computed)),
            cell("num", "Adjustment", &money(c, a.adjustment)),
        );
    }
    let _ = write!(
        h,
        "</tbody>\n<tfoot><tr><td colspan=\"6\">Adjustments</td>{}</tr>\n\
         <tr><td colspan=\"6\">Total due (pay for the period + adjustments)</td>\
         <td class=\"num\" data-field=\"total_due\">{c} {}</td></tr></tfoot>\n</table></div>\n</section>\n",
        cell("num", "Adjustments", &money(c, sum)),
        money(c, due),
    );
    Ok(())
}

/// A ledger change in an instructor's words.
fn change_words(change: &str) -> &str {
    match change {
        "changed" => "pay changed since it was paid",
        "added" => "added after the period was paid",
        "removed" => "removed after the period was paid",
        other => other,
    }
}

/// What changed, as the ledger says it (`attended 12→14; rate 7→9`), with
/// the field names in words.
fn what_words(what: &str) -> String {
    what.split("; ")
        .map(|part| {
            match part {
                "rate amount or policy" => {
                    return "the rate's amounts or the studio's pay settings".to_string()
                }
                "not in the input" => return "no longer in TeamUp's report".to_string(),
                _ => {}
            }
            let (field, change) = part.split_once(' ').unwrap_or((part, ""));
            let field = match field {
                "attended" => "attendance",
                "comped" => "comped attendees",
                "late_cancels" => "late cancellations",
                "no_shows" => "no-shows",
                "hours" => "hours",
                "rate" => "pay rate",
                "period" => "pay period",
                "pending" => "pending",
                "currency" => "currency",
                _ => return part.to_string(),
            };
            format!("{field} {}", change.replace('→', " → "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn session_row(h: &mut String, line: &SessionLine) {
    let s = &line.session;
    let c = s.currency;
    let status = line.rec.status;
    let (day, zone) = when(line);
    let when = format!("{}<br><span class=\"note\">{}</span>", Esc(&day), Esc(&zone));
    let session = format!(
        "{}<br><span class=\"note\">{} · #{}</span>",
        Esc(&s.name),
        Esc(&s.venue_name),
        s.id.0
    );
    let verdict = format!(
        "<span class=\"tag st-{}\">{}</span>{}",
        status.as_str(),
        status_words(status),
        line.rec
            .reason
            .map(|r| format!("<br><span class=\"note\">{}</span>", Esc(reason_words(r))))
            .unwrap_or_default()
    );
    let _ = writeln!(
        h,
        "<tr class=\"{}\" data-session=\"{}\">{}{}{}{}{}{}{}{}{}</tr>",
        if status == Status::Pending { "pending" } else { "" },
        s.id.0,
        cell("nowrap", "When", &when),
        cell("", "Session", &session),
        cell("num", "Hours", &sessionpay_io::hours(s.hours)),
        cell("", "Rate", &describe_rate(line)),
        cell("how", "How", &how(line)),
        cell("num", "Pay", &money(c, line.pay.pay)),
        cell(
            "num",
            "TeamUp",
            &s.reported.map(|r| money(c, r)).unwrap_or_else(|| "—".to_string())
        ),
        match line.rec.difference {
            Some(d) => difference_cell(c, d),
            None => "<td class=\"num blank\"></td>".to_string(),
        },
        cell("", "Status", &verdict),
    );
}

/// When a session started, in the venue's time: the day and time
/// (`Tue 31 Mar 2026, 23:30`), and the zone (`EDT, UTC-04:00`).
fn when(line: &SessionLine) -> (String, String) {
    let local = line.session.starts_at.with_timezone(&line.session.zone);
    (
        local.format("%a %-d %b %Y, %H:%M").to_string(),
        local.format("%Z, UTC%:z").to_string(),
    )
}

/// A status in an instructor's words.
fn status_words(status: Status) -> &'static str {
    match status {
        Status::Match => "matches TeamUp",
        Status::Mismatch => "differs from TeamUp",
        Status::Pending => "pending",
        Status::Unrated => "no pay rate",
        Status::Unreported => "no figure from TeamUp",
    }
}

/// Why TeamUp's figure differs, in an instructor's words.
fn reason_words(reason: Reason) -> &'static str {
    match reason {
        Reason::CompedCounted => "TeamUp's figure counts comped attendees; this one does not",
        Reason::CompedNotCounted => "TeamUp's figure leaves out comped attendees; this one counts them",
        Reason::LateCancelsCounted => "TeamUp's figure counts late cancellations; this one does not",
        Reason::LateCancelsNotCounted => "TeamUp's figure leaves out late cancellations; this one counts them",
        Reason::NoShowsCounted => "TeamUp's figure counts no-shows; this one does not",
        Reason::NoShowsNotCounted => "TeamUp's figure leaves out no-shows; this one counts them",
        Reason::TierMode => "TeamUp applied the rate's tiers the other way (all customers at one tier's amount, or each tier's customers at its own)",
        Reason::Rounding => "TeamUp rounded the figure the other way",
        Reason::HoursBasis => "TeamUp counted the hours the other way (as reported, or by whole minutes)",
        Reason::Cap => "TeamUp capped the pay differently, or not at all",
        Reason::EmptySessionPay => "nobody was counted, and TeamUp paid a different flat amount for an empty session",
        Reason::WithinOneMinorUnit => "TeamUp's figure is off by the smallest coin (a penny or a cent) at most",
        Reason::Unexplained => "TeamUp's figure differs and no setting of the rate accounts for it: the studio will check it",
    }
}

/// The sign of a currency in an amount for reading: `£3.00`, `¥1,200`,
/// else the code (`CHF 3.00`).
fn symbol(currency: Currency) -> String {
    match currency.code() {
        "GBP" => "£".to_string(),
        "EUR" => "€".to_string(),
        "USD" => "$".to_string(),
        "JPY" => "¥".to_string(),
        "INR" => "₹".to_string(),
        "AUD" => "A$".to_string(),
        "NZD" => "NZ$".to_string(),
        "CAD" => "C$".to_string(),
        code => format!("{code} "),
    }
}

/// An amount for an instructor: the currency's sign and at least its minor
/// unit's places, more when the amount has them (a rate of `2.333`).
fn price(currency: Currency, value: Decimal) -> String {
    let places = currency.minor_units().max(value.normalize().scale());
    let plain = value.round_dp(places);
    let mut text = format!("{:.*}", places as usize, plain);
    let negative = text.starts_with('-');
    if negative {
        text.remove(0);
    }
    format!(
        "{}{}{}",
        if negative { "−" } else { "" },
        symbol(currency),
        group(&text)
    )
}

/// The rate in words (`£6.75 per customer`, `£40.00 an hour`, `per
/// customer by tier: 1–5 £1.80, 6+ £2.20`), then its name.
fn describe_rate(line: &SessionLine) -> String {
    let Some(rate) = line.session.rate.as_deref() else {
        return "none".to_string();
    };
    let c = line.session.currency;
    let kind = match &rate.kind {
        RateKind::PerCustomer { base } => format!("{} per customer", price(c, *base)),
        RateKind::PerHour { base } => format!("{} an hour", price(c, *base)),
        RateKind::Tiered { tiers } => {
            let bands: Vec<String> = tiers
                .as_slice()
                .iter()
                .map(|t| match t.upper {
                    Some(u) => format!("{}–{} {}", t.lower, u, price(c, t.amount)),
                    None => format!("{}+ {}", t.lower, price(c, t.amount)),
                })
                .collect();
            format!("per customer by tier: {}", bands.join(", "))
        }
    };
    format!(
        "{}<br><span class=\"note\">{}</span>",
        Esc(&kind),
        Esc(&rate.name)
    )
}

/// `n customer(s)`.
fn customers(n: u64) -> String {
    format!("{n} customer{}", plural(n))
}

/// What the session's formula paid for, in words: `4 customers at £3.00
/// each = £12.00`, `1.5 hours at £40.00 an hour = £60.00`, `the first 5
/// customers at £1.80 each and the next 2 at £2.20 = £13.40`.
fn paid_for(line: &SessionLine) -> String {
    let p = &line.pay;
    let c = line.session.currency;
    let total = price(c, p.formula_amount);
    match p.formula {
        Formula::Unrated => "no pay rate is set for this session, so nothing is paid for it".to_string(),
        Formula::PerCustomer { base, customers: n } => {
            format!("{} at {} each = {total}", customers(n), price(c, base))
        }
        Formula::PerHour {
            base,
            minutes: Some(m),
            ..
        } => format!(
            "{} minutes at {} an hour = {total}",
            m.normalize(),
            price(c, base)
        ),
        Formula::PerHour { base, hours, .. } => format!(
            "{} hour{} at {} an hour = {total}",
            sessionpay_io::hours(hours),
            if hours == Decimal::ONE { "" } else { "s" },
            price(c, base)
        ),
        Formula::Slab {
            tier: Some(i),
            amount,
            customers: n,
        } => {
            let band = tier_band(line, i).map(|b| format!(" (the {b} customers rate)"));
            format!(
                "{} at {} each{} = {total}",
                customers(n),
                price(c, amount),
                band.unwrap_or_default()
            )
        }
        Formula::Slab {
            tier: None,
            customers: n,
            ..
        } => format!("{}: no tier of the rate pays for that many", customers(n)),
        Formula::Graduated { customers: n } => {
            let Some(RateKind::Tiered { tiers }) = line.session.rate.as_deref().map(|r| &r.kind) else {
                return format!("{}: no tiers to pay them by", customers(n));
            };
            let mut bands: Vec<String> = Vec::new();
            for (i, tier) in tiers.as_slice().iter().enumerate() {
                let k = tiers.customers_in(i, n);
                if k == 0 {
                    continue;
                }
                let at = price(c, tier.amount);
                bands.push(match bands.len() {
                    0 => format!("the first {} at {at} each", customers(k)),
                    _ => format!("the next {k} at {at} each"),
                });
            }
            if bands.is_empty() {
                format!("{}: no tier of the rate pays for them", customers(n))
            } else {
                format!("{} = {total}", join_words(&bands))
            }
        }
    }
}

/// `a`, `a and b`, `a, b and c`.
fn join_words(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The customer counts tier `index` of the session's rate holds: `6–10`, `11+`.
fn tier_band(line: &SessionLine, index: usize) -> Option<String> {
    let Some(RateKind::Tiered { tiers }) = line.session.rate.as_deref().map(|r| &r.kind) else {
        return None;
    };
    let t = tiers.as_slice().get(index)?;
    Some(match t.upper {
        Some(u) => format!("{}–{u}", t.lower),
        None => format!("{}+", t.lower),
    })
}

/// How the pay came about, in an instructor's words: who was counted, what
/// the rate paid for, then empty-session pay, the cap and rounding where they
/// applied.
fn how(line: &SessionLine) -> String {
    let p = &line.pay;
    let c = line.session.currency;
    let mut steps: Vec<String> = Vec::new();
    let counts_customers = line
        .session
        .rate
        .as_deref()
        .is_some_and(|r| r.kind.counts_customers());
    if counts_customers {
        let n = &p.counted;
        let mut count = format!("{} attended", n.attended);
        if n.comped_excluded > 0 {
            let _ = write!(count, " − {} comped", n.comped_excluded);
        }
        if n.late_cancels_added > 0 {
            let _ = write!(
                count,
                " + {} late cancel{}",
                n.late_cancels_added,
                plural(n.late_cancels_added)
            );
        }
        if n.no_shows_added > 0 {
            let _ = write!(
                count,
                " + {} no-show{}",
                n.no_shows_added,
                plural(n.no_shows_added)
            );
        }
        let _ = write!(count, " = {} counted", n.total);
        steps.push(count);
    }
    steps.push(paid_for(line));
    if p.empty_session_pay_applied {
        steps.push(format!(
            "nobody was counted: a flat {} for the session",
            price(c, p.raw)
        ));
    }
    if p.cap_applied {
        steps.push(format!("pay capped at {}", price(c, p.raw)));
    }
    if p.raw != p.pay {
        steps.push(format!("rounded from {} to {}", price(c, p.raw), price(c, p.pay)));
    }
    if line.session.pending {
        steps.push("pending: TeamUp's figure is not final, so it is not paid in this statement".to_string());
    }
    steps
        .iter()
        .map(|s| Esc(s).to_string())
        .collect::<Vec<_>>()
        .join("<br>")
}

fn render_index(report: &Report<'_>, statements: &[(String, &Statement<'_>)]) -> String {
    let mut h = head("Pay statements");
    h.push_str("<header>\n<h1>Pay statements</h1>\n");
    if let Some(banner) = super::partial_banner(report) {
        h.push_str(&partial(&banner));
    }
    if let Some((first, last)) = report.span() {
        let _ = writeln!(h, "<p class=\"lead\">{first} to {last}</p>");
    }
    h.push_str(
        "</header>\n<div class=\"scroll\"><table>\n<thead><tr><th>Period</th><th>Instructor</th>\
         <th class=\"num\">Sessions</th><th class=\"num\">Pay</th><th>Statement</th></tr></thead>\n<tbody>\n",
    );
    for (file, s) in statements {
        let sessions: u64 = s.parts.iter().map(|(r, _, _)| r.totals.sessions).sum();
        let pay: Vec<String> = s
            .parts
            .iter()
            .map(|(r, _, _)| format!("{} {}", r.currency, money(r.currency, r.totals.computed_pay)))
            .collect();
        let _ = writeln!(
            h,
            "<tr><td class=\"nowrap\">{} – {}</td><td>{} <span class=\"note\">({})</span></td><td class=\"num\">{sessions}</td>\
             <td class=\"num\">{}</td><td><a href=\"{}\">{}</a></td></tr>",
            s.period.start,
            s.period.end,
            Esc(s.name),
            s.instructor.0,
            pay.join("<br>"),
            Esc(file),
            Esc(file),
        );
    }
    h.push_str("</tbody>\n</table></div>\n");
    h.push_str(TAIL);
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_for_instructors_carry_the_sign_and_every_digit() {
        let c = |code| Currency::try_from_code(code).unwrap();
        let d = |t: &str| t.parse::<Decimal>().unwrap();
        assert_eq!(price(c("GBP"), d("3")), "£3.00");
        assert_eq!(price(c("GBP"), d("2.333")), "£2.333");
        assert_eq!(price(c("GBP"), d("-5.5")), "−£5.50");
        assert_eq!(price(c("JPY"), d("1200")), "¥1,200");
        assert_eq!(price(c("KWD"), d("1.25")), "KWD 1.250");
        assert_eq!(price(c("USD"), d("12345.5")), "$12,345.50");
    }

    #[test]
    fn ledger_changes_read_as_words() {
        assert_eq!(
            what_words("attended 12→14; hours 0.5→1.5"),
            "attendance 12 → 14; hours 0.5 → 1.5"
        );
        assert_eq!(what_words("rate 7→9"), "pay rate 7 → 9");
        assert_eq!(
            what_words("rate amount or policy"),
            "the rate's amounts or the studio's pay settings"
        );
        assert_eq!(what_words("not in the input"), "no longer in TeamUp's report");
        assert_eq!(what_words(""), "");
        assert_eq!(change_words("added"), "added after the period was paid");
    }

    #[test]
    fn slugs_are_plain_ascii() {
        assert_eq!(slug("Ana Nakamura"), "ana-nakamura");
        assert_eq!(slug("Uma Ní Bhriain"), "uma-ni-bhriain");
        assert_eq!(slug("Siobhán Müller"), "siobhan-muller");
        assert_eq!(slug("Zoë Ng-Łukasz"), "zoe-ng-lukasz");
        assert_eq!(slug("<script>alert(1)</script>"), "script-alert-1-script");
        assert_eq!(slug("../../etc/passwd"), "etc-passwd");
        assert_eq!(slug("李小龍"), "li-xiao-long");
        assert_eq!(slug("🧘"), "lotus-position");
        assert_eq!(slug("\u{200b}"), "");
        assert!(slug(&"x".repeat(100)).len() <= 40);
        assert!(slug(&"李".repeat(100)).len() <= 40);
    }
}
