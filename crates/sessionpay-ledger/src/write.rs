//! The ledger's outputs: adjustments, the payroll with carried adjustments,
//! and the runs, as CSV or JSON.

use std::io::{self, Write};

use sessionpay_io::{
    csv_io, csv_writer, json_object, payroll_cells, write_json_objects as json_objects, Format, JsonArray,
    ADJUSTMENT_COLUMNS, PAYROLL_COLUMNS,
};

use crate::{Adjustment, Carried, Closed, RunDetail, RunSummary};

/// Writes what a close did: `period_start,period_end,sessions,status`, the
/// periods closed then those skipped as closed already.
///
/// # Errors
/// The writer's.
pub fn write_closed(mut out: impl Write, done: &Closed) -> io::Result<()> {
    writeln!(out, "period_start,period_end,sessions,status")?;
    for (p, n) in &done.closed {
        writeln!(out, "{},{},{n},closed", p.start, p.end)?;
    }
    for p in &done.skipped {
        writeln!(out, "{},{},,skipped (closed already)", p.start, p.end)?;
    }
    Ok(())
}

/// The cells of an adjustment, in [`ADJUSTMENT_COLUMNS`]' order.
fn adjustment_cells(a: &Adjustment) -> [String; 9] {
    [
        a.session.to_string(),
        a.instructor.0.to_string(),
        a.currency.code().to_string(),
        a.period_start.to_string(),
        a.currency.format(a.paid),
        a.currency.format(a.computed),
        a.currency.format(a.adjustment),
        a.change.as_str().to_string(),
        a.what.clone(),
    ]
}

/// Writes adjustments one at a time, as CSV or JSON, holding none.
pub struct AdjustmentWriter<W: Write> {
    out: Option<csv::Writer<W>>,
    json: Option<JsonArray<W>>,
    rows: u64,
}

impl<W: Write> AdjustmentWriter<W> {
    /// Starts the output (the CSV header, or the JSON array).
    ///
    /// # Errors
    /// The writer's.
    pub fn new(out: W, format: Format) -> io::Result<AdjustmentWriter<W>> {
        match format {
            Format::Json => Ok(AdjustmentWriter {
                out: None,
                json: Some(JsonArray::new(out)?),
                rows: 0,
            }),
            _ => {
                let mut w = csv_writer(out);
                w.write_record(ADJUSTMENT_COLUMNS).map_err(csv_io)?;
                Ok(AdjustmentWriter {
                    out: Some(w),
                    json: None,
                    rows: 0,
                })
            }
        }
    }

    /// Writes one adjustment.
    ///
    /// # Errors
    /// The writer's.
    pub fn write(&mut self, a: &Adjustment) -> io::Result<()> {
        self.rows += 1;
        if let Some(w) = &mut self.out {
            return w.write_record(adjustment_cells(a)).map_err(csv_io);
        }
        if let Some(array) = &mut self.json {
            array.push(json_object(&ADJUSTMENT_COLUMNS, adjustment_cells(a)).as_bytes())?;
        }
        Ok(())
    }

    /// Adjustments written.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Ends the output and flushes it.
    ///
    /// # Errors
    /// The writer's.
    pub fn finish(self) -> io::Result<u64> {
        if let Some(mut w) = self.out {
            w.flush()?;
        }
        if let Some(array) = self.json {
            array.finish()?.flush()?;
        }
        Ok(self.rows)
    }
}

/// Writes the adjustments.
///
/// # Errors
/// The writer's.
pub fn write_adjustments(out: impl Write, rows: &[Adjustment], format: Format) -> io::Result<()> {
    let mut w = AdjustmentWriter::new(out, format)?;
    for a in rows {
        w.write(a)?;
    }
    w.finish().map(|_| ())
}

/// Writes the payroll rows as `sessionpay payroll` does, with two more
/// columns at the end: `adjustments` and `total_due`.
///
/// # Errors
/// The writer's.
pub fn write_carried(mut out: impl Write, rows: &[Carried], format: Format) -> io::Result<()> {
    let extra = |c: &Carried| {
        [
            c.row.currency.format(c.adjustments),
            c.row.currency.format(c.total_due),
        ]
    };
    match format {
        Format::Json => {
            let columns: Vec<&str> = PAYROLL_COLUMNS
                .into_iter()
                .chain(["adjustments", "total_due"])
                .collect();
            json_objects(
                out,
                rows.iter().map(|c| {
                    let cells = payroll_cells(&c.row).into_iter().chain(extra(c));
                    json_object(&columns, cells)
                }),
            )
        }
        _ => {
            let plain: Vec<_> = rows.iter().map(|c| c.row.clone()).collect();
            let mut buf = Vec::new();
            sessionpay_io::write_payroll(&mut buf, &plain, format)?;
            let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(&buf[..]);
            let mut w = csv_writer(&mut out);
            for (i, record) in reader.records().enumerate() {
                let mut record = record.map_err(csv_io)?;
                match i.checked_sub(1).and_then(|r| rows.get(r)) {
                    None => {
                        record.push_field("adjustments");
                        record.push_field("total_due");
                    }
                    Some(c) => {
                        for cell in extra(c) {
                            record.push_field(&cell);
                        }
                    }
                }
                w.write_record(&record).map_err(csv_io)?;
            }
            w.flush()
        }
    }
}

/// The columns of `sessionpay ledger runs`.
pub const RUN_COLUMNS: [&str; 12] = [
    "run_id",
    "closed_at",
    "tool_version",
    "period_kind",
    "through",
    "first_period_start",
    "last_period_end",
    "periods",
    "sessions",
    "status",
    "void_reason",
    "inputs",
];

fn run_cells(r: &RunSummary) -> [String; 12] {
    [
        r.id.to_string(),
        r.closed_at.clone(),
        r.tool_version.clone(),
        r.period_kind.clone(),
        r.through.clone(),
        r.first_period.clone(),
        r.last_period_end.clone(),
        r.periods.to_string(),
        r.sessions.to_string(),
        match &r.voided {
            Some((at, _)) => format!("voided {at}"),
            None => "closed".into(),
        },
        r.voided.as_ref().map(|(_, why)| why.clone()).unwrap_or_default(),
        r.inputs.join(" "),
    ]
}

/// Writes `ledger runs`.
///
/// # Errors
/// The writer's.
pub fn write_runs(out: impl Write, runs: &[RunSummary], format: Format) -> io::Result<()> {
    match format {
        Format::Json => json_objects(out, runs.iter().map(|r| json_object(&RUN_COLUMNS, run_cells(r)))),
        _ => {
            let mut w = csv_writer(out);
            w.write_record(RUN_COLUMNS).map_err(csv_io)?;
            for r in runs {
                let mut cells = run_cells(r);
                for cell in &mut cells {
                    *cell = sessionpay_io::neutralise(cell).into_owned();
                }
                w.write_record(cells).map_err(csv_io)?;
            }
            w.flush()
        }
    }
}

/// Writes `ledger show RUN` as text: the run, its files, its periods and its totals.
///
/// # Errors
/// The writer's.
pub fn write_show(mut out: impl Write, run: &RunDetail) -> io::Result<()> {
    let s = &run.summary;
    writeln!(out, "run {}", s.id)?;
    writeln!(out, "closed at     {}", s.closed_at)?;
    writeln!(out, "by            sessionpay {}", s.tool_version)?;
    writeln!(out, "periods       {} through {}", s.period_kind, s.through)?;
    match &s.voided {
        Some((at, why)) => writeln!(out, "status        voided {at}: {why}")?,
        None => writeln!(out, "status        closed")?,
    }
    writeln!(out, "options       {}", run.options)?;
    if let Some(policy) = &run.policy {
        writeln!(out, "policy        {}  sha256 {}", policy.path, policy.sha256)?;
    }
    for input in &run.inputs {
        writeln!(
            out,
            "input         {}  {} bytes  sha256 {}",
            input.path, input.bytes, input.sha256
        )?;
    }
    for (start, end, sessions) in &run.periods {
        writeln!(out, "period        {start} to {end}: {sessions} session(s)")?;
    }
    for (currency, (sessions, total)) in &run.totals {
        writeln!(out, "paid          {currency} {total} over {sessions} session(s)")?;
    }
    out.flush()
}
