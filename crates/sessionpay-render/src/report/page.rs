//! The report page for a payroll review meeting: one self-contained HTML file
//! (inline style and SVG; no script, font, image or link to load).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sessionpay_core::{Currency, InstructorId, PayrollTotals, Period, Status};
use sessionpay_io::LineDigest;

use super::inputs::{checksums, Checksum};
use super::markup::{cell, difference_cell, head, money, partial, plural, Esc, TAIL};
use super::{describe_period, explain, Report};
use crate::error::{Error, Result, AMOUNT_OVERFLOW};

/// How many mismatches the page lists per currency.
pub(crate) const BIGGEST: usize = 10;
/// How many instructors a bar chart shows per currency (the table has all).
const CHART_MAX: usize = 40;

/// The statuses in the order the page shows them, with their colours.
const STATUSES: [(Status, &str); 5] = [
    (Status::Match, "#2e7d32"),
    (Status::Mismatch, "#c62828"),
    (Status::Pending, "#b7791f"),
    (Status::Unrated, "#7a7f87"),
    (Status::Unreported, "#6a3d9a"),
];

/// The totals of one currency: the sum of its summary rows.
#[derive(Default)]
struct CurrencyTotals {
    instructors: BTreeSet<InstructorId>,
    totals: PayrollTotals,
}

/// Writes the page.
pub(super) fn write(report: &Report<'_>, digest: Option<&LineDigest>, out: &mut dyn Write) -> Result<()> {
    match digest {
        Some(digest) => render_to(report, digest, out),
        None => render_to(report, &LineDigest::of(report.lines, BIGGEST)?, out),
    }
}

fn overflow() -> Error {
    AMOUNT_OVERFLOW
}

fn add(a: Decimal, b: Decimal) -> Result<Decimal> {
    a.checked_add(b).ok_or_else(overflow)
}

/// Writes the page to `out`, a part at a time: the summary table of a
/// large payroll (76,000 rows at ten million sessions) is tens of MB.
fn render_to(report: &Report<'_>, digest: &LineDigest, out: &mut dyn Write) -> Result<()> {
    let mut by_currency: BTreeMap<Currency, CurrencyTotals> = BTreeMap::new();
    for row in report.rows {
        let t = by_currency.entry(row.currency).or_default();
        t.instructors.insert(row.instructor);
        t.totals.merge(&row.totals)?;
    }
    let sessions: u64 = by_currency.values().map(|t| t.totals.sessions).sum();
    let instructors: BTreeSet<InstructorId> = report.rows.iter().map(|r| r.instructor).collect();

    let mut h = head("Payroll review");
    h.push_str("<header>\n<h1>Payroll review</h1>\n");
    if let Some(banner) = super::partial_banner(report) {
        h.push_str(&partial(&banner));
    }
    match report.span() {
        Some((first, last)) => {
            let _ = writeln!(
                h,
                "<p class=\"lead\">{first} to {last} · pay periods: {}</p>",
                Esc(&describe_period(report.period))
            );
        }
        None => h.push_str("<p class=\"lead\">No sessions in range.</p>\n"),
    }
    let _ = writeln!(
        h,
        "<p class=\"lead\">{} instructor{}, {sessions} session{}, {} currenc{}. Venue-local dates.</p>\n</header>",
        instructors.len(),
        plural(instructors.len()),
        plural(sessions),
        by_currency.len(),
        if by_currency.len() == 1 { "y" } else { "ies" },
    );

    let due = if report.ledger {
        let mut due: BTreeMap<Currency, (Decimal, Decimal)> = BTreeMap::new();
        for (row, adjustments) in report.rows.iter().zip(report.carried()?) {
            let d = due.entry(row.currency).or_default();
            d.0 = add(d.0, adjustments)?;
            d.1 = add(d.1, add(row.totals.computed_pay, adjustments)?)?;
        }
        Some(due)
    } else {
        None
    };
    totals_section(&mut h, &by_currency, due.as_ref())?;
    chart_section(&mut h, report)?;
    reconciliation_section(&mut h, digest);
    differences_section(&mut h, digest);
    payroll_section(&mut h, report, out)?;
    inputs_section(&mut h, &checksums(report)?);
    let _ = writeln!(
        h,
        "<footer>Written by sessionpay {}. Computed pay is sessionpay's exact figure under the rate \
         policy; reported pay is TeamUp's. Pending sessions are counted but left out of the amounts.</footer>",
        env!("CARGO_PKG_VERSION")
    );
    h.push_str(TAIL);
    out.write_all(h.as_bytes())?;
    Ok(())
}

/// A card per currency; with a ledger (`due`: each currency's adjustments
/// and total due) those two as well.
fn totals_section(
    h: &mut String,
    by_currency: &BTreeMap<Currency, CurrencyTotals>,
    due: Option<&BTreeMap<Currency, (Decimal, Decimal)>>,
) -> Result<()> {
    h.push_str("<section id=\"totals\">\n<h2>Totals per currency</h2>\n");
    if by_currency.is_empty() {
        h.push_str("<p>No pay to show.</p>\n");
    }
    h.push_str("<div class=\"cards\">\n");
    for (currency, t) in by_currency {
        let c = *currency;
        let tt = &t.totals;
        let difference = tt.difference()?;
        let _ = write!(
            h,
            "<div class=\"card\" data-currency=\"{c}\">\n<h3>{c}</h3>\n\
             <div class=\"note\">Computed pay</div>\n<div class=\"big\" data-field=\"computed_pay\">{}</div>\n<dl>\n\
             <dt>Reported by TeamUp</dt><dd data-field=\"reported_pay\">{}</dd>\n\
             <dt>Difference</dt><dd data-field=\"difference\" class=\"{}\">{}</dd>\n\
             <dt>Instructors</dt><dd>{}</dd>\n<dt>Sessions</dt><dd data-field=\"sessions\">{}</dd>\n\
             <dt>Hours</dt><dd>{}</dd>\n<dt>Counted customers</dt><dd>{}</dd>\n\
             <dt>Mismatched sessions</dt><dd>{}</dd>\n<dt>Pending sessions</dt><dd>{}</dd>\n\
             <dt>Unrated sessions</dt><dd>{}</dd>\n",
            money(c, tt.computed_pay),
            money(c, tt.reported_pay),
            sign_class(difference),
            money(c, difference),
            t.instructors.len(),
            tt.sessions,
            sessionpay_io::hours(tt.hours),
            tt.counted_customers,
            tt.mismatched_sessions,
            tt.pending_sessions,
            tt.unrated_sessions,
        );
        if let Some((adjustments, total)) = due.and_then(|d| d.get(currency)) {
            let _ = write!(
                h,
                "<dt>Adjustments to closed periods</dt><dd data-field=\"adjustments\">{}</dd>\n\
                 <dt>Total due</dt><dd data-field=\"total_due\">{}</dd>\n",
                money(c, *adjustments),
                money(c, *total)
            );
        }
        h.push_str("</dl>\n</div>\n");
    }
    h.push_str("</div>\n</section>\n");
    Ok(())
}

fn sign_class(value: Decimal) -> &'static str {
    if value.is_zero() {
        ""
    } else {
        "off"
    }
}

/// A horizontal bar chart per currency: each instructor's computed pay over
/// the report's range, largest first.
fn chart_section(h: &mut String, report: &Report<'_>) -> Result<()> {
    let mut pay: BTreeMap<Currency, BTreeMap<InstructorId, (&str, Decimal)>> = BTreeMap::new();
    for row in report.rows {
        let entry = pay
            .entry(row.currency)
            .or_default()
            .entry(row.instructor)
            .or_insert((&row.instructor_name, Decimal::ZERO));
        entry.1 = add(entry.1, row.totals.computed_pay)?;
    }
    h.push_str("<section id=\"chart\">\n<h2>Pay per instructor</h2>\n");
    if pay.is_empty() {
        h.push_str("<p>No pay to show.</p>\n");
    }
    h.push_str("<div class=\"charts\">\n");
    for (currency, instructors) in pay {
        let mut bars: Vec<(InstructorId, &str, Decimal)> = instructors
            .into_iter()
            .map(|(id, (name, p))| (id, name, p))
            .collect();
        bars.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
        let hidden = bars.len().saturating_sub(CHART_MAX);
        bars.truncate(CHART_MAX);
        bar_chart(h, currency, &bars, hidden)?;
    }
    h.push_str("</div>\n</section>\n");
    Ok(())
}

/// Width of the chart's drawing, in SVG units; each bar gets a label line above it.
const CHART_W: i64 = 400;

fn bar_chart(
    h: &mut String,
    currency: Currency,
    bars: &[(InstructorId, &str, Decimal)],
    hidden: usize,
) -> Result<()> {
    const ROW: usize = 36;
    let max = bars.iter().map(|b| b.2).max().unwrap_or(Decimal::ZERO);
    let height = ROW * bars.len() + 4;
    let _ = write!(
        h,
        "<figure>\n<figcaption>Computed pay in {currency}</figcaption>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {CHART_W} {height}\" role=\"img\" \
         aria-label=\"Computed pay per instructor in {currency}\">\n"
    );
    for (i, (id, name, pay)) in bars.iter().enumerate() {
        let y = i * ROW;
        // Pixel widths are geometry, not money: a decimal ratio rounded to a tenth.
        let width = if max.is_zero() {
            Decimal::ZERO
        } else {
            pay.checked_mul(Decimal::from(CHART_W))
                .and_then(|w| w.checked_div(max))
                .ok_or_else(overflow)?
                .round_dp(1)
        };
        let _ = writeln!(
            h,
            "<g><title>{} ({id}): {currency} {}</title>\
             <text x=\"0\" y=\"{}\">{}</text>\
             <text x=\"{CHART_W}\" y=\"{}\" text-anchor=\"end\" font-weight=\"600\">{}</text>\
             <rect x=\"0\" y=\"{}\" width=\"{CHART_W}\" height=\"12\" rx=\"2\" fill=\"#eef1f4\"/>\
             <rect x=\"0\" y=\"{}\" width=\"{width}\" height=\"12\" rx=\"2\" fill=\"#1f5fa8\"/></g>",
            Esc(name),
            money(currency, *pay),
            y + 13,
            Esc(&truncate(name, 48)),
            y + 13,
            money(currency, *pay),
            y + 18,
            y + 18,
            id = id.0,
        );
    }
    h.push_str("</svg>\n");
    if hidden > 0 {
        let _ = writeln!(
            h,
            "<p class=\"note\">And {hidden} more instructor{} paid in {currency}: see the payroll table.</p>",
            plural(hidden)
        );
    }
    h.push_str("</figure>\n");
    Ok(())
}

/// At most `max` characters, with an ellipsis when cut.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(max - 1).collect();
        cut.push('…');
        cut
    }
}

fn reconciliation_section(h: &mut String, digest: &LineDigest) {
    let by_status = &digest.by_status;
    let by_reason = &digest.by_reason;
    let total: u64 = by_status.values().sum();
    h.push_str("<section id=\"reconciliation\">\n<h2>Reconciliation with TeamUp</h2>\n");
    let _ = writeln!(
        h,
        "<p>{total} session{} compared with TeamUp's figures.</p>",
        plural(total)
    );
    if total > 0 {
        let _ = write!(
            h,
            "<figure>\n<svg class=\"bar\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {CHART_W} 28\" \
             preserveAspectRatio=\"none\" role=\"img\" aria-label=\"Sessions by status\">\n"
        );
        let mut x = Decimal::ZERO;
        for (status, colour) in STATUSES {
            let n = by_status.get(&status).copied().unwrap_or(0);
            if n == 0 {
                continue;
            }
            // Geometry again: the share of the bar, to a tenth of a unit. A count
            // times 480 fits a Decimal many times over, so plain operators are safe.
            let w = (Decimal::from(n) * Decimal::from(CHART_W) / Decimal::from(total)).round_dp(1);
            let _ = writeln!(
                h,
                "<rect x=\"{x}\" y=\"2\" width=\"{w}\" height=\"24\" fill=\"{colour}\"><title>{}: {n}</title></rect>",
                status.as_str()
            );
            x += w;
        }
        h.push_str("</svg>\n<ul class=\"legend\">\n");
        for (status, colour) in STATUSES {
            let n = by_status.get(&status).copied().unwrap_or(0);
            let _ = writeln!(
                h,
                "<li><span class=\"swatch\" style=\"background:{colour}\"></span>{} <b data-status=\"{}\">{n}</b></li>",
                status_label(status),
                status.as_str()
            );
        }
        h.push_str("</ul>\n</figure>\n");
    }
    h.push_str("<h3>Mismatches by reason</h3>\n");
    if by_reason.is_empty() {
        h.push_str("<p>No mismatches: every reported figure matches.</p>\n");
    } else {
        h.push_str(
            "<div class=\"scroll\"><table class=\"stack\">\n<thead><tr><th>Reason</th><th class=\"num\">Sessions</th>\
             <th class=\"num\">Difference</th><th>What it means</th></tr></thead>\n<tbody>\n",
        );
        for (reason, (n, sums)) in by_reason {
            let sums: Vec<String> = sums
                .iter()
                .map(|(c, d)| format!("{c} {}", money(*c, *d)))
                .collect();
            let _ = writeln!(
                h,
                "<tr>{}{}{}{}</tr>",
                cell("nowrap", "Reason", reason.as_str()),
                cell("num", "Sessions", &n.to_string()),
                cell("num", "Difference", &sums.join("<br>")),
                cell("", "What it means", explain(*reason)),
            );
        }
        h.push_str("</tbody>\n</table></div>\n");
    }
    h.push_str("</section>\n");
}

fn status_label(status: Status) -> &'static str {
    match status {
        Status::Match => "Match",
        Status::Mismatch => "Mismatch",
        Status::Pending => "Pending (TeamUp's figure is provisional)",
        Status::Unrated => "Unrated (no pay rate)",
        Status::Unreported => "Unreported (no figure from TeamUp)",
    }
}

fn differences_section(h: &mut String, digest: &LineDigest) {
    h.push_str("<section id=\"differences\">\n<h2>Biggest differences</h2>\n");
    let mut none = true;
    for (currency, count, list) in digest.biggest() {
        none = false;
        let more = (count as usize).saturating_sub(list.len());
        let _ = write!(
            h,
            "<h3>{currency}</h3>\n<div class=\"scroll\"><table class=\"stack\">\n<thead><tr><th>Session</th><th>Local start</th>\
             <th>Instructor</th><th>Class</th><th class=\"num\">Computed</th><th class=\"num\">Reported</th>\
             <th class=\"num\">Difference</th><th>Reason</th></tr></thead>\n<tbody>\n"
        );
        for line in list {
            let s = &line.session;
            let _ = writeln!(
                h,
                "<tr>{}{}{}{}{}{}{}{}</tr>",
                cell("", "Session", &s.id.0.to_string()),
                cell("nowrap", "Local start", &local_when(s.starts_at, s.zone)),
                cell(
                    "",
                    "Instructor",
                    &format!(
                        "{} <span class=\"note\">({})</span>",
                        Esc(&s.instructor_name),
                        s.instructor.0
                    )
                ),
                cell("", "Class", &Esc(&s.name).to_string()),
                cell("num", "Computed", &money(currency, line.pay.pay)),
                cell(
                    "num",
                    "Reported",
                    &s.reported.map(|r| money(currency, r)).unwrap_or_default()
                ),
                difference_cell(currency, line.rec.difference.unwrap_or_default()),
                cell(
                    "nowrap",
                    "Reason",
                    line.rec.reason.map(|r| r.as_str()).unwrap_or_default()
                ),
            );
        }
        h.push_str("</tbody>\n</table></div>\n");
        if more > 0 {
            let _ = writeln!(
                h,
                "<p class=\"note\">And {more} smaller mismatch{} in {currency}: <code>sessionpay reconcile</code> lists them all.</p>",
                if more == 1 { "" } else { "es" }
            );
        }
    }
    if none {
        h.push_str("<p>None.</p>\n");
    }
    h.push_str("</section>\n");
}

/// How many rows of a long table print: the rest show on screen only.
pub(crate) const PRINT_ROWS: usize = 30;

/// A session's start as a date in the venue's time: `Mon 28 Sep 2026, 04:45 (+10:00)`.
fn local_when<Z: chrono::TimeZone>(instant: DateTime<Utc>, zone: Z) -> String
where
    Z::Offset: std::fmt::Display,
{
    instant
        .with_timezone(&zone)
        .format("%a %-d %b %Y, %H:%M (%:z)")
        .to_string()
}

/// A pay period as dates to read: `1–31 May 2026`, `28 Dec 2026 – 3 Jan 2027`.
fn period_words(period: Period) -> String {
    use chrono::Datelike;
    let (a, b) = (period.start, period.end);
    if a == b {
        a.format("%-d %b %Y").to_string()
    } else if (a.year(), a.month()) == (b.year(), b.month()) {
        format!("{}–{}", a.format("%-d"), b.format("%-d %b %Y"))
    } else if a.year() == b.year() {
        format!("{} – {}", a.format("%-d %b"), b.format("%-d %b %Y"))
    } else {
        format!("{} – {}", a.format("%-d %b %Y"), b.format("%-d %b %Y"))
    }
}

/// The summary rows, as the CSV has them; with a ledger, each row's
/// adjustments and total due too. Past [`PRINT_ROWS`] rows, the rest are
/// left off the printed page (the CSV has them all).
fn payroll_section(h: &mut String, report: &Report<'_>, out: &mut dyn Write) -> Result<()> {
    let carried = report.carried()?;
    h.push_str(
        "<section id=\"payroll\">\n<h2>Payroll by instructor</h2>\n<div class=\"scroll\"><table class=\"wide\">\n\
         <thead><tr><th>Instructor</th><th>Cur.</th><th>Period</th><th class=\"num\">Sessions</th>\
         <th class=\"num\">Hours</th><th class=\"num\">Customers</th><th class=\"num\">Computed</th>\
         <th class=\"num\">Reported</th><th class=\"num\">Difference</th><th class=\"num\">Mis&shy;matched</th>\
         <th class=\"num\">Pending</th><th class=\"num\">Unrated</th>",
    );
    if report.ledger {
        h.push_str("<th class=\"num\">Adjust&shy;ments</th><th class=\"num\">Total due</th>");
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for (i, (r, adjustments)) in report.rows.iter().zip(&carried).enumerate() {
        let t = &r.totals;
        let c = r.currency;
        let _ = write!(
            h,
            "<tr data-instructor=\"{}\"{}><td>{} <span class=\"note\">({})</span></td><td>{c}</td>\
             <td class=\"nowrap\" title=\"{} to {}\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>{}\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>",
            r.instructor.0,
            if i >= PRINT_ROWS { " class=\"screen-only\"" } else { "" },
            Esc(&r.instructor_name),
            r.instructor.0,
            r.period.start,
            r.period.end,
            period_words(r.period),
            t.sessions,
            sessionpay_io::hours(t.hours),
            t.counted_customers,
            money(c, t.computed_pay),
            money(c, t.reported_pay),
            difference_cell(c, r.difference),
            t.mismatched_sessions,
            t.pending_sessions,
            t.unrated_sessions,
        );
        if report.ledger {
            let due = add(t.computed_pay, *adjustments)?;
            let _ = write!(
                h,
                "<td class=\"num\" data-field=\"adjustments\">{}</td><td class=\"num\" data-field=\"total_due\">{}</td>",
                money(c, *adjustments),
                money(c, due)
            );
        }
        h.push_str("</tr>\n");
        if h.len() >= 1 << 16 {
            out.write_all(h.as_bytes())?;
            h.clear();
        }
    }
    h.push_str("</tbody>\n</table></div>\n");
    print_note(h, report.rows.len(), "rows", "the CSV summary has them all");
    h.push_str("</section>\n");
    Ok(())
}

/// The line a printed page shows under a table cut at [`PRINT_ROWS`].
fn print_note(h: &mut String, rows: usize, what: &str, rest: &str) {
    if rows > PRINT_ROWS {
        let _ = writeln!(
            h,
            "<p class=\"note print-only\">Printed: the first {PRINT_ROWS} of {rows} {what}; {rest}.</p>"
        );
    }
}

fn inputs_section(h: &mut String, sums: &[Checksum]) {
    h.push_str(
        "<section id=\"inputs\">\n<h2>Inputs</h2>\n<p class=\"note\">SHA-256 of each file read, so the \
         report can be matched to the files on record.</p>\n<div class=\"scroll\"><table>\n\
         <thead><tr><th>File</th><th>What</th><th class=\"num\">Bytes</th><th>SHA-256</th></tr></thead>\n<tbody>\n",
    );
    for sum in sums {
        let path = sum.path.display().to_string();
        match &sum.digest {
            Some((size, hex)) => {
                let _ = writeln!(
                    h,
                    "<tr><td class=\"mono\">{}</td><td>{}</td><td class=\"num\">{size}</td><td class=\"mono\">{hex}</td></tr>",
                    Esc(&path),
                    sum.role
                );
            }
            None => {
                let _ = writeln!(
                    h,
                    "<tr><td class=\"mono\">{}</td><td>{}</td><td class=\"num\"></td><td>standard input: read once \
                     as a stream, so no checksum</td></tr>",
                    Esc(&path),
                    sum.role
                );
            }
        }
    }
    h.push_str("</tbody>\n</table></div>\n</section>\n");
}
