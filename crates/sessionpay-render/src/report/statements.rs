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
use sessionpay_io::{ExternalSort, OutputSet, StatementKey};

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
    Vec<&'a sessionpay_core::Adjustment>,
);

/// Writes the statements and the index into a folder staged in `outputs`,
/// which replaces `dir` as a whole when the outputs are committed; returns
/// how many statements it wrote.
pub(super) fn write(report: &Report<'_>, dir: &Path, outputs: &mut OutputSet) -> Result<usize> {
    let statements = gather(report)?;
    let banner = super::partial_banner(report);
    let mut folder = outputs.folder(dir)?;
    let mut index = Vec::with_capacity(statements.len());
    for statement in &statements {
        let name = file_name(statement.name, statement.instructor, statement.period);
        let html = render(statement, banner.as_deref())?;
        folder.write(&name, html.as_bytes())?;
        index.push((name, statement.entry()));
    }
    folder.write("index.html", render_index(report, &index).as_bytes())?;
    outputs.add_folder(folder);
    Ok(index.len())
}

/// Encodes a line as its row of a statement's table, for [`write_sorted`].
pub(super) fn encode_line(line: &SessionLine, out: &mut Vec<u8>) -> std::io::Result<()> {
    let mut h = String::new();
    session_row(&mut h, line);
    out.extend_from_slice(h.as_bytes());
    Ok(())
}

/// [`write`] from `sorted`: every line of the report's range encoded by
/// [`encode_line`] and sorted by [`sessionpay_io::statement_key`]
/// (`report.lines` is not read). One statement is in memory at a time.
pub(super) fn write_sorted(
    report: &Report<'_>,
    sorted: ExternalSort<StatementKey>,
    dir: &Path,
    outputs: &mut OutputSet,
) -> Result<usize> {
    let banner = super::partial_banner(report);
    let folder = outputs.folder(dir)?;
    let adjustments = carried(report);
    // The rows in the order their statements list them, as `gather` gives.
    let mut order: Vec<usize> = (0..report.rows.len()).collect();
    order.sort_by_key(|&i| {
        let r = &report.rows[i];
        (r.period, r.instructor, r.currency)
    });
    let mut walk = Walk {
        report,
        banner: banner.as_deref(),
        adjustments,
        order,
        next: 0,
        open: None,
        statement: None,
        folder,
        index: Vec::new(),
        failed: None,
    };
    let streamed = sorted.for_each_sorted_keyed(|key, row| {
        walk.line(key, row).map_err(|e| {
            walk.failed = Some(e);
            std::io::Error::other("a statement could not be written")
        })
    });
    if let Some(failed) = walk.failed.take() {
        return Err(failed);
    }
    streamed?;
    walk.finish()?;
    let Walk {
        mut folder, index, ..
    } = walk;
    folder.write("index.html", render_index(report, &index).as_bytes())?;
    outputs.add_folder(folder);
    Ok(index.len())
}

/// The statement being written from the sorted lines, and where it stands.
struct Walk<'r, 'a> {
    report: &'r Report<'a>,
    banner: Option<&'r str>,
    /// The adjustments each row (by its index in `report.rows`) carries.
    adjustments: Vec<Vec<&'a sessionpay_core::Adjustment>>,
    /// Indices of `report.rows` in statement order.
    order: Vec<usize>,
    /// The next of `order` to open.
    next: usize,
    /// The row whose sessions are arriving: its index, the sessions still
    /// to come and the period bytes of its lines' keys.
    open: Option<(usize, u64, Option<[u8; 4]>)>,
    /// The statement being written: its entry and its HTML so far.
    statement: Option<(Entry<'a>, String)>,
    folder: sessionpay_io::Folder,
    index: Vec<(String, Entry<'a>)>,
    failed: Option<crate::Error>,
}

impl<'a> Walk<'_, 'a> {
    /// Takes the next line in statement order.
    fn line(&mut self, key: &StatementKey, row_html: &[u8]) -> Result<()> {
        loop {
            match &mut self.open {
                Some((at, left, period)) if *left > 0 => {
                    let row = &self.report.rows[*at];
                    let want =
                        sessionpay_io::statement_row_key(row.period.start, row.instructor.0, row.currency);
                    let mine = period.get_or_insert_with(|| head4(key));
                    if key[4..16] != want[4..16] || *mine != head4(key) {
                        return Err(misplaced());
                    }
                    *left -= 1;
                    let html = std::str::from_utf8(row_html).map_err(|_| misplaced())?;
                    if let Some((_, h)) = &mut self.statement {
                        h.push_str(html);
                    }
                    return Ok(());
                }
                _ => {
                    if self.next >= self.order.len() {
                        return Err(misplaced());
                    }
                    self.open_next()?;
                }
            }
        }
    }

    /// Closes the open row and opens the next, starting its statement when it is a new one.
    fn open_next(&mut self) -> Result<()> {
        self.close_row()?;
        let at = self.order[self.next];
        self.next += 1;
        let rows: &'a [PayrollRow] = self.report.rows;
        let row = &rows[at];
        let same = self
            .statement
            .as_ref()
            .is_some_and(|(e, _)| e.period == row.period && e.instructor == row.instructor);
        if !same {
            self.flush()?;
            let mut h = String::new();
            statement_head(
                &mut h,
                &row.instructor_name,
                row.instructor,
                row.period,
                self.banner,
            );
            let entry = Entry {
                instructor: row.instructor,
                name: &row.instructor_name,
                period: row.period,
                rows: Vec::new(),
            };
            self.statement = Some((entry, h));
        }
        if let Some((entry, h)) = &mut self.statement {
            entry.rows.push(row);
            part_head(h, row);
        }
        self.open = Some((at, row.totals.sessions, None));
        Ok(())
    }

    /// Ends the open row's table and adds its adjustments.
    fn close_row(&mut self) -> Result<()> {
        let Some((at, left, _)) = self.open.take() else {
            return Ok(());
        };
        if left > 0 {
            return Err(misplaced());
        }
        let row = &self.report.rows[at];
        if let Some((_, h)) = &mut self.statement {
            part_foot(h, row);
            adjustments_part(h, row, &self.adjustments[at])?;
        }
        Ok(())
    }

    /// Writes the statement being built.
    fn flush(&mut self) -> Result<()> {
        if let Some((entry, mut h)) = self.statement.take() {
            statement_foot(&mut h);
            let name = file_name(entry.name, entry.instructor, entry.period);
            self.folder.write(&name, h.as_bytes())?;
            self.index.push((name, entry));
        }
        Ok(())
    }

    /// After the last line: the rows left (with no sessions), then the last statement.
    fn finish(&mut self) -> Result<()> {
        while self.next < self.order.len() {
            self.open_next()?;
        }
        self.close_row()?;
        self.flush()
    }
}

fn head4(key: &StatementKey) -> [u8; 4] {
    [key[0], key[1], key[2], key[3]]
}

/// The sorted lines do not follow the payroll's rows: a bug, not bad input.
fn misplaced() -> crate::Error {
    crate::Error::Write(std::io::Error::other(
        "the sorted session lines do not match the payroll's rows",
    ))
}

/// The adjustments each row (by its index in `report.rows`) carries: the
/// first row of each instructor × currency takes theirs.
fn carried<'a>(report: &Report<'a>) -> Vec<Vec<&'a sessionpay_core::Adjustment>> {
    let mut carried = std::collections::BTreeSet::new();
    report
        .rows
        .iter()
        .map(|row| {
            if carried.insert((row.instructor, row.currency)) {
                report
                    .adjustments
                    .iter()
                    .filter(|a| a.instructor == row.instructor && a.currency == row.currency)
                    .collect()
            } else {
                Vec::new()
            }
        })
        .collect()
}

/// What the index shows of a statement.
struct Entry<'a> {
    instructor: InstructorId,
    name: &'a str,
    period: Period,
    rows: Vec<&'a PayrollRow>,
}

impl<'a> Statement<'a> {
    fn entry(&self) -> Entry<'a> {
        Entry {
            instructor: self.instructor,
            name: self.name,
            period: self.period,
            rows: self.parts.iter().map(|(r, _, _)| *r).collect(),
        }
    }
}

/// The file name of a statement: period start, instructor id and a plain
/// ASCII form of the name (`2026-05-01_1010_ana-nakamura.html`).
fn file_name(name: &str, instructor: InstructorId, period: Period) -> String {
    let slug = slug(name);
    if slug.is_empty() {
        format!("{}_{}.html", period.start, instructor.0)
    } else {
        format!("{}_{}_{slug}.html", period.start, instructor.0)
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
    // Rows are sorted by instructor, currency and period: the first of
    // each instructor × currency takes its adjustments.
    for ((row, mut sessions), adjustments) in report.rows.iter().zip(by_row).zip(carried(report)) {
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
    let mut h = String::new();
    statement_head(
        &mut h,
        statement.name,
        statement.instructor,
        statement.period,
        banner,
    );
    for (row, sessions, adjustments) in &statement.parts {
        part_head(&mut h, row);
        for line in sessions {
            session_row(&mut h, line);
        }
        part_foot(&mut h, row);
        adjustments_part(&mut h, row, adjustments)?;
    }
    statement_foot(&mut h);
    Ok(h)
}

/// A statement's page up to its first row.
fn statement_head(
    h: &mut String,
    name: &str,
    instructor: InstructorId,
    period: Period,
    banner: Option<&str>,
) {
    let title = format!("Pay statement: {} ({} to {})", name, period.start, period.end);
    h.push_str(&head(&title));
    let _ = write!(
        h,
        "<header>\n<h1>Pay statement</h1>\n<p class=\"lead\"><b>{}</b> (instructor {}) · {} to {}</p>\n\
         <p class=\"note\">Times are the venue's local time. Pending sessions are listed but not paid \
         until TeamUp's figure is final.</p>\n</header>\n",
        Esc(name),
        instructor.0,
        period.start,
        period.end
    );
    if let Some(banner) = banner {
        h.push_str(&partial(banner));
    }
}

/// A statement's page after its last row.
fn statement_foot(h: &mut String) {
    let _ = writeln!(
        h,
        "<footer>Written by sessionpay {} from TeamUp's instructed-sessions report.</footer>",
        env!("CARGO_PKG_VERSION")
    );
    h.push_str(TAIL);
}

/// A row's card and the head of its table of sessions.
fn part_head(h: &mut String, row: &PayrollRow) {
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
}

/// The foot of a row's table of sessions.
fn part_foot(h: &mut String, row: &PayrollRow) {
    let c = row.currency;
    let t = &row.totals;
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
}

/// The adjustments to earlier, closed periods carried into this row, and the total due.
fn adjustments_part(h: &mut String, row: &PayrollRow, lines: &[&sessionpay_core::Adjustment]) -> Result<()> {
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
fn change_words(change: sessionpay_core::Change) -> &'static str {
    match change {
        sessionpay_core::Change::Changed => "pay changed since it was paid",
        sessionpay_core::Change::Added => "added after the period was paid",
        sessionpay_core::Change::Removed => "removed after the period was paid",
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

fn render_index(report: &Report<'_>, statements: &[(String, Entry<'_>)]) -> String {
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
        let sessions: u64 = s.rows.iter().map(|r| r.totals.sessions).sum();
        let pay: Vec<String> = s
            .rows
            .iter()
            .map(|r| format!("{} {}", r.currency, money(r.currency, r.totals.computed_pay)))
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

    use sessionpay_core::{Payroll, PeriodKind};

    /// Sessions of four instructors at a London (GBP) and a New York (USD)
    /// venue over three months, in a scrambled order of ids and starts.
    fn lines(n: u64) -> Vec<SessionLine> {
        let mut csv = String::from(crate::report::TEST_HEADER);
        for i in 0..n {
            let id = 1000 + (i * 7919) % n;
            let instructor = 1 + (i * 31) % 4;
            let (venue, zone) = if i % 3 == 0 {
                (103, "America/New_York")
            } else {
                (101, "Europe/London")
            };
            // Starts repeat, so ties are broken by the id.
            let day = 1 + (i * 13) % 28;
            let month = 4 + (i * 5) % 3;
            let hour = 6 + (i * 11) % 4;
            let paid = if i % 5 == 0 { "21.00" } else { "20.00" };
            let pending = i % 17 == 0;
            csv.push_str(&format!(
                "{id},{instructor},Ana {instructor},2026-{month:02}-{day:02}T{hour:02}:30:00Z,{venue},{zone},1,4,0,0,0,3,per_customer,5,{paid},{pending}\n"
            ));
        }
        crate::report::priced_lines(&csv, |venue| if venue == 103 { "USD" } else { "GBP" })
    }

    fn folder_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        files.sort();
        files
    }

    #[test]
    fn statements_from_the_sorted_lines_are_the_statements_from_every_line() {
        let mut all = lines(300);
        let tmp = tempfile::tempdir().unwrap();
        for kind in [
            PeriodKind::Month,
            PeriodKind::Week {
                start: sessionpay_core::chrono::Weekday::Mon,
            },
            PeriodKind::All,
        ] {
            let mut payroll = Payroll::new(kind);
            let mut refs = Vec::new();
            // Both ways over lines in id order, the sort's over lines in any order.
            all.sort_by_key(|l| l.session.id);
            for line in &all {
                refs.extend(payroll.add(&line.session, &line.pay, &line.rec).unwrap());
            }
            let (rows, line_rows) = payroll.rows_for(refs.iter().copied()).unwrap();
            let report = Report {
                rows: &rows,
                lines: &all,
                line_rows: &line_rows,
                inputs: &[],
                policy: None,
                period: kind,
                from: None,
                to: None,
                rejected: 0,
                adjustments: &[],
                ledger: false,
            };
            let memory = tmp.path().join("memory");
            let mut outputs = OutputSet::new(Default::default());
            write(&report, &memory, &mut outputs).unwrap();
            outputs.commit().unwrap();
            let want = folder_files(&memory);
            assert!(want.len() > 4, "{kind:?}: {} files", want.len());
            for limit in [1, 4096, usize::MAX / 2] {
                let mut sort: ExternalSort<StatementKey> = ExternalSort::new(tmp.path(), limit);
                for (line, row) in all.iter().zip(&refs).rev() {
                    let key = sessionpay_io::statement_key(row.period_start(), line);
                    sort.push_with(key, |buf| encode_line(line, buf)).unwrap();
                }
                let sorted = tmp.path().join(format!("sorted-{limit}"));
                let mut outputs = OutputSet::new(Default::default());
                write_sorted(&report, sort, &sorted, &mut outputs).unwrap();
                outputs.commit().unwrap();
                assert!(folder_files(&sorted) == want, "{kind:?} with a budget of {limit}");
                std::fs::remove_dir_all(&sorted).unwrap();
            }
            std::fs::remove_dir_all(&memory).unwrap();
            assert_eq!(
                std::fs::read_dir(tmp.path()).unwrap().count(),
                0,
                "no run is left"
            );
        }
    }

    #[test]
    fn sorted_lines_that_do_not_fit_the_rows_are_an_error_not_a_statement() {
        let all = lines(20);
        let mut payroll = Payroll::new(PeriodKind::Month);
        let refs: Vec<_> = all
            .iter()
            .filter_map(|l| payroll.add(&l.session, &l.pay, &l.rec).unwrap())
            .collect();
        let (rows, line_rows) = payroll.rows_for(refs.iter().copied()).unwrap();
        let report = Report {
            rows: &rows,
            lines: &all,
            line_rows: &line_rows,
            inputs: &[],
            policy: None,
            period: PeriodKind::Month,
            from: None,
            to: None,
            rejected: 0,
            adjustments: &[],
            ledger: false,
        };
        let tmp = tempfile::tempdir().unwrap();
        // One line short, then one line too many.
        for skip in [Some(3), None] {
            let mut sort: ExternalSort<StatementKey> = ExternalSort::new(tmp.path(), 1 << 20);
            for (i, (line, row)) in all.iter().zip(&refs).enumerate() {
                if Some(i) != skip {
                    let key = sessionpay_io::statement_key(row.period_start(), line);
                    sort.push_with(key, |buf| encode_line(line, buf)).unwrap();
                }
            }
            if skip.is_none() {
                let key = sessionpay_io::statement_key(refs[0].period_start(), &all[0]);
                sort.push_with(key, |buf| encode_line(&all[0], buf)).unwrap();
            }
            let mut outputs = OutputSet::new(Default::default());
            let err = write_sorted(&report, sort, &tmp.path().join("st"), &mut outputs)
                .expect_err("the lines do not fit the rows");
            assert!(
                err.to_string().contains("do not match the payroll's rows"),
                "{err}"
            );
        }
    }

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
        assert_eq!(
            change_words(sessionpay_core::Change::Added),
            "added after the period was paid"
        );
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
