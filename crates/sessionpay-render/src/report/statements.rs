//! Instructor statements: one HTML file per instructor and pay period, listing
//! each session in venue-local time with how its pay was computed and
//! TeamUp's figure beside it, plus an `index.html` linking them all.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use rust_decimal::Decimal;
use sessionpay_core::{
    describe_formula, Formula, InstructorId, PayrollRow, Period, RateKind, SessionLine, Status,
};
use sessionpay_io::OutputSet;

use super::markup::{cell, difference_cell, head, money, partial, plural, Esc, TAIL};
use super::{amount, Report};
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

/// Lower-case ASCII letters and digits, runs of anything else as one `-`,
/// at most 40 characters.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
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
            cell("", "Change", a.change),
            cell("", "What changed", &Esc(&a.what).to_string()),
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

fn session_row(h: &mut String, line: &SessionLine) {
    let s = &line.session;
    let c = s.currency;
    let local = s.starts_at.with_timezone(&s.zone);
    let status = line.rec.status;
    let when = format!(
        "{}<br><span class=\"note\">{}</span>",
        local.format("%a %Y-%m-%d %H:%M"),
        Esc(&local.format("%Z, UTC%:z").to_string())
    );
    let session = format!(
        "{}<br><span class=\"note\">{} · #{}</span>",
        Esc(&s.name),
        Esc(&s.venue_name),
        s.id.0
    );
    let verdict = format!(
        "<span class=\"tag st-{}\">{}</span>{}",
        status.as_str(),
        status.as_str(),
        line.rec
            .reason
            .map(|r| format!("<br><span class=\"note\">{}</span>", super::explain(r)))
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

/// The rate in words: its kind and amounts, then its name.
fn describe_rate(line: &SessionLine) -> String {
    let Some(rate) = line.session.rate.as_deref() else {
        return "none".to_string();
    };
    let kind = match &rate.kind {
        RateKind::PerCustomer { base } => format!("{} per customer", base.normalize()),
        RateKind::PerHour { base } => format!("{} per hour", base.normalize()),
        RateKind::Tiered { tiers } => {
            let bands: Vec<String> = tiers
                .as_slice()
                .iter()
                .map(|t| match t.upper {
                    Some(u) => format!("{}–{}: {}", t.lower, u, t.amount.normalize()),
                    None => format!("{}+: {}", t.lower, t.amount.normalize()),
                })
                .collect();
            format!("tiered per customer ({})", bands.join(", "))
        }
    };
    format!(
        "{}<br><span class=\"note\">{}</span>",
        Esc(&kind),
        Esc(&rate.name)
    )
}

/// How the pay came about: who was counted, the formula, then empty-session
/// pay, the cap and rounding where they applied.
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
    match p.formula {
        Formula::Unrated => steps.push(format!("no pay rate: {}", amount(c, Decimal::ZERO))),
        _ => steps.push(format!(
            "{} = {}",
            describe_formula(line),
            p.formula_amount.normalize()
        )),
    }
    if p.empty_session_pay_applied {
        steps.push(format!("nobody counted: empty-session pay {}", p.raw.normalize()));
    }
    if p.cap_applied {
        steps.push(format!("capped at {}", p.raw.normalize()));
    }
    if p.raw != p.pay {
        steps.push(format!("rounded {} to {}", p.raw.normalize(), amount(c, p.pay)));
    }
    if line.session.pending {
        steps.push("pending: not paid in this statement".to_string());
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
    fn slugs_are_plain_ascii() {
        assert_eq!(slug("Ana Nakamura"), "ana-nakamura");
        assert_eq!(slug("Uma Ní Bhriain"), "uma-n-bhriain");
        assert_eq!(slug("<script>alert(1)</script>"), "script-alert-1-script");
        assert_eq!(slug("../../etc/passwd"), "etc-passwd");
        assert_eq!(slug("李小龍"), "");
        assert!(slug(&"x".repeat(100)).len() <= 40);
    }
}
