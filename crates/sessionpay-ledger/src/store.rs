//! The ledger file: opened and checked, runs closed and voided, read back.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use rust_decimal::Decimal;
use rustc_hash::{FxHashMap, FxHashSet};
use sessionpay_core::chrono::NaiveDate;
use sessionpay_core::Period;
use sha2::Digest as _;

use crate::schema::{APPLICATION_ID, MIGRATIONS, VERSION};
use crate::{Error, Figure, Result};

/// How long a close waits for another to finish before it gives up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// An open sessionpay ledger.
#[derive(Debug)]
pub struct Ledger {
    conn: Connection,
    path: PathBuf,
}

/// A file read by a run: its path as given, size and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    /// The path as given on the command line.
    pub path: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its SHA-256, lowercase hex.
    pub sha256: String,
}

impl Digest {
    /// The size and SHA-256 of the file at `path`.
    ///
    /// # Errors
    /// [`Error::Checksum`] when it cannot be read.
    pub fn of(path: &Path) -> Result<Digest> {
        let unreadable = |source| Error::Checksum {
            path: path.to_path_buf(),
            source,
        };
        let mut file = std::fs::File::open(path).map_err(unreadable)?;
        let mut hasher = sha2::Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        let mut bytes = 0u64;
        loop {
            let n = file.read(&mut buf).map_err(unreadable)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            bytes += n as u64;
        }
        Ok(Digest {
            path: path.display().to_string(),
            bytes,
            sha256: format!("{:x}", hasher.finalize()),
        })
    }
}

/// What a close records besides the sessions.
#[derive(Debug, Clone)]
pub struct ClosePlan {
    /// When, RFC 3339 UTC.
    pub closed_at: String,
    /// sessionpay's version.
    pub tool_version: String,
    /// [`crate::kind_name`] of the period kind.
    pub period_kind: String,
    /// The `--through` date.
    pub through: NaiveDate,
    /// The options, as JSON text.
    pub options: String,
    /// Every input read.
    pub inputs: Vec<Digest>,
    /// The policy file, if any.
    pub policy: Option<Digest>,
    /// The default policy, as text.
    pub default_policy: String,
    /// Each rate seen: id, type and its policy as text.
    pub rates: Vec<(u64, &'static str, String)>,
    /// The whole periods to close, in order (the already closed are skipped).
    pub periods: Vec<Period>,
}

/// What a close did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    /// The run recorded, if any period was closed.
    pub run: Option<i64>,
    /// The periods closed, with their sessions.
    pub closed: Vec<(Period, u64)>,
    /// The periods skipped as closed already.
    pub skipped: Vec<Period>,
    /// Sessions of the closed periods paid already in an earlier run
    /// (their date moved): left to `adjustments`, not paid twice.
    pub paid_before: u64,
}

/// A period closed by a run not voided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClosedPeriod {
    /// The run.
    pub run: i64,
    /// The period.
    pub period: Period,
}

/// A session as a run not voided paid it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidSession {
    /// The run.
    pub run: i64,
    /// The instructor.
    pub instructor: u64,
    /// The currency.
    pub currency: sessionpay_core::Currency,
    /// The first day of its period.
    pub period_start: NaiveDate,
    /// The pay rate id.
    pub rate: Option<u64>,
    /// Attended, comped, late-cancelled and no-show customers.
    pub counts: [u32; 4],
    /// Hours.
    pub hours: Decimal,
    /// Pending when paid.
    pub pending: bool,
    /// What was paid.
    pub pay: Decimal,
}

/// One line of `ledger runs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    /// The run id.
    pub id: i64,
    /// When it was closed.
    pub closed_at: String,
    /// The version that closed it.
    pub tool_version: String,
    /// Its period kind.
    pub period_kind: String,
    /// Its `--through` date.
    pub through: String,
    /// First and last period start closed.
    pub first_period: String,
    /// The last period's end.
    pub last_period_end: String,
    /// Periods closed.
    pub periods: u64,
    /// Sessions paid.
    pub sessions: u64,
    /// Inputs read, as given.
    pub inputs: Vec<String>,
    /// When and why it was voided.
    pub voided: Option<(String, String)>,
}

/// `ledger show`: a run's summary, its files and periods, and totals per currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunDetail {
    /// The summary.
    pub summary: RunSummary,
    /// The options as JSON text.
    pub options: String,
    /// The inputs.
    pub inputs: Vec<Digest>,
    /// The policy file.
    pub policy: Option<Digest>,
    /// The periods with their sessions.
    pub periods: Vec<(String, String, u64)>,
    /// Sessions and total pay per currency.
    pub totals: BTreeMap<String, (u64, Decimal)>,
}

fn sqlite<'a>(path: &'a Path, what: &'static str) -> impl Fn(rusqlite::Error) -> Error + 'a {
    move |source| Error::Sqlite {
        path: path.to_path_buf(),
        what,
        source,
    }
}

/// What a file turned out to be.
enum Identity {
    /// A sessionpay ledger at a schema version this build knows.
    Ledger(i64),
    /// An SQLite file with nothing in it yet.
    Empty,
}

impl Ledger {
    /// Opens an existing ledger to read it (it is never written).
    ///
    /// # Errors
    /// [`Error::Missing`], [`Error::Foreign`], [`Error::Newer`], or SQLite's.
    pub fn open(path: &Path) -> Result<Ledger> {
        if !path.exists() {
            return Err(Error::Missing {
                path: path.to_path_buf(),
            });
        }
        // Read-write without create: a run killed mid-close leaves a hot
        // journal that only a writable connection can roll back.
        let ledger = Ledger::connect(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        match ledger.identity()? {
            Identity::Ledger(_) => Ok(ledger),
            Identity::Empty => Err(Error::Foreign {
                path: path.to_path_buf(),
                why: "an empty database; `sessionpay close` makes a ledger".into(),
            }),
        }
    }

    /// Opens the ledger to write it, creating it when the file is absent
    /// (or empty), and migrating an older schema.
    ///
    /// # Errors
    /// As [`Ledger::open`].
    pub fn open_or_create(path: &Path) -> Result<Ledger> {
        let fresh = std::fs::metadata(path).map(|m| m.len() == 0).unwrap_or(true);
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
        let mut ledger = Ledger::connect(path, flags)?;
        if !fresh {
            ledger.identity()?;
        }
        ledger.migrate()?;
        Ok(ledger)
    }

    fn connect(path: &Path, flags: OpenFlags) -> Result<Ledger> {
        let flags = flags | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(sqlite(path, "opening the ledger"))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(sqlite(path, "setting the busy timeout"))?;
        Ok(Ledger {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Tells a sessionpay ledger from anything else, reading only.
    fn identity(&self) -> Result<Identity> {
        identity_in(&self.conn, &self.path)
    }

    /// A transaction holding the write lock from its start (waiting for it
    /// up to the busy timeout); `what` names the step in its error.
    fn write_transaction(&mut self, what: &'static str) -> Result<rusqlite::Transaction<'_>> {
        self.conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sqlite(&self.path, what))
    }

    /// Brings an empty file or an older schema to [`VERSION`], in one transaction.
    fn migrate(&mut self) -> Result<()> {
        let path = self.path.clone();
        let tx = self.write_transaction("starting a transaction")?;
        // Checked again under the write lock: another close may have made it.
        let from = match identity_in(&tx, &path)? {
            Identity::Ledger(version) => version,
            Identity::Empty => 0,
        };
        if from == VERSION {
            return Ok(());
        }
        for step in &MIGRATIONS[usize::try_from(from).unwrap_or(0)..] {
            tx.execute_batch(step)
                .map_err(sqlite(&path, "creating the ledger's tables"))?;
        }
        tx.execute_batch(&crate::schema::append_only())
            .map_err(sqlite(&path, "creating the ledger's triggers"))?;
        tx.execute_batch(&format!(
            "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {VERSION};"
        ))
        .map_err(sqlite(&path, "marking the ledger"))?;
        tx.commit().map_err(sqlite(&path, "committing the schema"))
    }

    /// The period kind of the runs not voided, if any.
    ///
    /// # Errors
    /// SQLite's.
    pub fn period_kind(&self) -> Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT period_kind FROM active_runs ORDER BY id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(sqlite(&self.path, "reading the runs"))
    }

    /// Checks that `kind` is the period kind of the runs not voided.
    ///
    /// # Errors
    /// [`Error::PeriodMismatch`].
    pub fn check_kind(&self, kind: &str) -> Result<()> {
        match self.period_kind()? {
            Some(ledger) if ledger != kind => Err(Error::PeriodMismatch {
                path: self.path.clone(),
                ledger,
                asked: kind.to_string(),
            }),
            _ => Ok(()),
        }
    }

    /// The periods closed by runs not voided, in order.
    ///
    /// # Errors
    /// SQLite's, or a date that does not read back.
    pub fn closed_periods(&self) -> Result<Vec<ClosedPeriod>> {
        closed_in(&self.conn, &self.path)
    }

    /// Every session paid by a run not voided, by session id.
    ///
    /// # Errors
    /// SQLite's, or a value that does not read back.
    pub fn paid(&self) -> Result<FxHashMap<u64, PaidSession>> {
        self.with_paid(|rows| rows.collect())
    }

    /// Hands `read` every session paid by a run not voided, in ascending
    /// session id (of two rows of one id, the later last), read as it goes.
    ///
    /// # Errors
    /// SQLite's, a value that does not read back, or `read`'s.
    pub fn with_paid<T>(
        &self,
        read: impl FnOnce(&mut dyn Iterator<Item = Result<(u64, PaidSession)>>) -> Result<T>,
    ) -> Result<T> {
        let path = &self.path;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT rowid, run_id, session_id, instructor_id, currency, period_start, rate_id, \
                 attended, comped, late_cancels, no_shows, hours, pending, pay FROM paid \
                 WHERE run_id NOT IN (SELECT run_id FROM voids) ORDER BY session_id, rowid",
            )
            .map_err(sqlite(path, "reading the paid sessions"))?;
        let mut rows = stmt
            .query([])
            .map_err(sqlite(path, "reading the paid sessions"))?;
        let mut iter = std::iter::from_fn(|| match rows.next() {
            Ok(Some(r)) => Some(paid_row(r, path)),
            Ok(None) => None,
            Err(e) => Some(Err(sqlite(path, "reading the paid sessions")(e))),
        });
        read(&mut iter)
    }

    /// Records a run: in one transaction, under the write lock, closes every
    /// period of `plan` not closed already, paying the `figures` whose date is
    /// in one of them (less those an earlier run paid). Nothing is recorded
    /// when every period was closed already.
    ///
    /// # Errors
    /// [`Error::PeriodMismatch`], SQLite's (a lock held past the busy timeout).
    pub fn close(&mut self, plan: &ClosePlan, figures: &[Figure]) -> Result<Closed> {
        let path = self.path.clone();
        let err = |what| sqlite(&path, what);
        let tx = self.write_transaction("starting the close")?;
        let ledger_kind: Option<String> = tx
            .query_row(
                "SELECT period_kind FROM active_runs ORDER BY id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(err("reading the runs"))?;
        if let Some(ledger) = ledger_kind.filter(|k| *k != plan.period_kind) {
            return Err(Error::PeriodMismatch {
                path: path.clone(),
                ledger,
                asked: plan.period_kind.clone(),
            });
        }
        let already = closed_in(&tx, &path)?;
        let overlaps = |p: &Period| {
            already
                .iter()
                .any(|c| c.period.start <= p.end && p.start <= c.period.end)
        };
        let (skipped, to_close): (Vec<Period>, Vec<Period>) = plan.periods.iter().partition(|p| overlaps(p));
        if to_close.is_empty() {
            return Ok(Closed {
                run: None,
                closed: Vec::new(),
                skipped,
                paid_before: 0,
            });
        }
        let mut paid_ids = FxHashSet::default();
        {
            let mut stmt = tx
                .prepare("SELECT session_id FROM paid_now")
                .map_err(err("reading the paid sessions"))?;
            let ids = stmt
                .query_map([], |r| r.get::<_, i64>(0))
                .map_err(err("reading the paid sessions"))?;
            for id in ids {
                paid_ids.insert(id.map_err(err("reading the paid sessions"))? as u64);
            }
        }
        tx.execute(
            "INSERT INTO runs (closed_at, tool_version, period_kind, through, options, policy_path, \
             policy_sha256, default_policy) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                plan.closed_at,
                plan.tool_version,
                plan.period_kind,
                plan.through.to_string(),
                plan.options,
                plan.policy.as_ref().map(|p| p.path.clone()),
                plan.policy.as_ref().map(|p| p.sha256.clone()),
                plan.default_policy,
            ],
        )
        .map_err(err("recording the run"))?;
        let run = tx.last_insert_rowid();
        {
            let mut stmt = tx
                .prepare("INSERT INTO run_inputs (run_id, position, path, bytes, sha256) VALUES (?1, ?2, ?3, ?4, ?5)")
                .map_err(err("recording the inputs"))?;
            for (i, input) in plan.inputs.iter().enumerate() {
                stmt.execute(params![
                    run,
                    i as i64,
                    input.path,
                    input.bytes as i64,
                    input.sha256
                ])
                .map_err(err("recording the inputs"))?;
            }
            let mut stmt = tx
                .prepare("INSERT INTO run_rates (run_id, rate_id, rate_type, policy) VALUES (?1, ?2, ?3, ?4)")
                .map_err(err("recording the rates"))?;
            for (id, kind, policy) in &plan.rates {
                stmt.execute(params![run, *id as i64, kind, policy])
                    .map_err(err("recording the rates"))?;
            }
        }
        let mut counts = vec![0u64; to_close.len()];
        let mut paid_before = 0;
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO paid (run_id, session_id, instructor_id, currency, period_start, rate_id, \
                     attended, comped, late_cancels, no_shows, counted, hours, pending, pay) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                )
                .map_err(err("recording the sessions"))?;
            let mut starts: FxHashMap<NaiveDate, String> = FxHashMap::default();
            for f in figures {
                let Some(i) = to_close.iter().position(|p| p.start <= f.date && f.date <= p.end) else {
                    continue;
                };
                if paid_ids.contains(&f.session) {
                    paid_before += 1;
                    continue;
                }
                counts[i] += 1;
                let start = starts
                    .entry(to_close[i].start)
                    .or_insert_with(|| to_close[i].start.to_string());
                stmt.execute(params![
                    run,
                    f.session as i64,
                    f.instructor as i64,
                    f.currency.code(),
                    start.as_str(),
                    f.rate.map(|r| r as i64),
                    f.counts[0],
                    f.counts[1],
                    f.counts[2],
                    f.counts[3],
                    f.counted as i64,
                    f.hours.normalize().to_string(),
                    i64::from(f.pending),
                    f.pay.to_string(),
                ])
                .map_err(err("recording the sessions"))?;
            }
            let mut stmt = tx
                .prepare("INSERT INTO run_periods (run_id, period_start, period_end, sessions) VALUES (?1, ?2, ?3, ?4)")
                .map_err(err("recording the periods"))?;
            for (p, n) in to_close.iter().zip(&counts) {
                stmt.execute(params![run, p.start.to_string(), p.end.to_string(), *n as i64])
                    .map_err(err("recording the periods"))?;
            }
        }
        tx.commit().map_err(err("committing the run"))?;
        Ok(Closed {
            run: Some(run),
            closed: to_close.into_iter().zip(counts).collect(),
            skipped,
            paid_before,
        })
    }

    /// Voids a run by recording why; its periods are open again.
    ///
    /// # Errors
    /// [`Error::NoRun`], [`Error::AlreadyVoided`], SQLite's.
    pub fn void(&mut self, run: i64, why: &str, at: &str, tool_version: &str) -> Result<()> {
        let path = self.path.clone();
        let err = |what| sqlite(&path, what);
        let tx = self.write_transaction("starting the void")?;
        let exists: Option<i64> = tx
            .query_row("SELECT id FROM runs WHERE id = ?1", [run], |r| r.get(0))
            .optional()
            .map_err(err("reading the runs"))?;
        if exists.is_none() {
            return Err(Error::NoRun { path, run });
        }
        let voided: Option<String> = tx
            .query_row("SELECT voided_at FROM voids WHERE run_id = ?1", [run], |r| {
                r.get(0)
            })
            .optional()
            .map_err(err("reading the voids"))?;
        if let Some(at) = voided {
            return Err(Error::AlreadyVoided { path, run, at });
        }
        tx.execute(
            "INSERT INTO voids (run_id, voided_at, tool_version, why) VALUES (?1, ?2, ?3, ?4)",
            params![run, at, tool_version, why],
        )
        .map_err(err("recording the void"))?;
        tx.commit().map_err(err("committing the void"))
    }

    /// Every run, oldest first.
    ///
    /// # Errors
    /// SQLite's.
    pub fn runs(&self) -> Result<Vec<RunSummary>> {
        let path = &self.path;
        let err = |e| sqlite(path, "reading the runs")(e);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT r.id, r.closed_at, r.tool_version, r.period_kind, r.through, \
                 (SELECT min(period_start) FROM run_periods WHERE run_id = r.id), \
                 (SELECT max(period_end) FROM run_periods WHERE run_id = r.id), \
                 (SELECT count(*) FROM run_periods WHERE run_id = r.id), \
                 (SELECT coalesce(sum(sessions), 0) FROM run_periods WHERE run_id = r.id), \
                 v.voided_at, v.why \
                 FROM runs r LEFT JOIN voids v ON v.run_id = r.id ORDER BY r.id",
            )
            .map_err(err)?;
        let mut rows = stmt.query([]).map_err(err)?;
        let mut runs = Vec::new();
        while let Some(r) = rows.next().map_err(err)? {
            let voided_at: Option<String> = r.get(9).map_err(err)?;
            let why: Option<String> = r.get(10).map_err(err)?;
            runs.push(RunSummary {
                id: r.get(0).map_err(err)?,
                closed_at: r.get(1).map_err(err)?,
                tool_version: r.get(2).map_err(err)?,
                period_kind: r.get(3).map_err(err)?,
                through: r.get(4).map_err(err)?,
                first_period: r.get::<_, Option<String>>(5).map_err(err)?.unwrap_or_default(),
                last_period_end: r.get::<_, Option<String>>(6).map_err(err)?.unwrap_or_default(),
                periods: r.get::<_, i64>(7).map_err(err)? as u64,
                sessions: r.get::<_, i64>(8).map_err(err)? as u64,
                inputs: Vec::new(),
                voided: voided_at.map(|at| (at, why.unwrap_or_default())),
            });
        }
        for run in &mut runs {
            run.inputs = self.inputs(run.id)?.into_iter().map(|d| d.path).collect();
        }
        Ok(runs)
    }

    fn inputs(&self, run: i64) -> Result<Vec<Digest>> {
        let err = |e| sqlite(&self.path, "reading a run's inputs")(e);
        let mut stmt = self
            .conn
            .prepare_cached("SELECT path, bytes, sha256 FROM run_inputs WHERE run_id = ?1 ORDER BY position")
            .map_err(err)?;
        let rows = stmt
            .query_map([run], |r| {
                Ok(Digest {
                    path: r.get(0)?,
                    bytes: r.get::<_, i64>(1)? as u64,
                    sha256: r.get(2)?,
                })
            })
            .map_err(err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(err)
    }

    /// One run in full.
    ///
    /// # Errors
    /// [`Error::NoRun`], SQLite's, a figure that does not read back.
    pub fn show(&self, run: i64) -> Result<RunDetail> {
        let path = &self.path;
        let err = |e| sqlite(path, "reading the run")(e);
        let summary = self
            .runs()?
            .into_iter()
            .find(|r| r.id == run)
            .ok_or_else(|| Error::NoRun {
                path: path.clone(),
                run,
            })?;
        let (options, policy_path, policy_sha): (String, Option<String>, Option<String>) = self
            .conn
            .query_row(
                "SELECT options, policy_path, policy_sha256 FROM runs WHERE id = ?1",
                [run],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(err)?;
        let mut stmt = self
            .conn
            .prepare("SELECT period_start, period_end, sessions FROM run_periods WHERE run_id = ?1 ORDER BY period_start")
            .map_err(err)?;
        let periods = stmt
            .query_map([run], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64)))
            .map_err(err)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(err)?;
        let mut totals: BTreeMap<String, (u64, Decimal)> = BTreeMap::new();
        let mut stmt = self
            .conn
            .prepare("SELECT rowid, currency, pay FROM paid WHERE run_id = ?1")
            .map_err(err)?;
        let mut rows = stmt.query([run]).map_err(err)?;
        while let Some(r) = rows.next().map_err(err)? {
            let rowid: i64 = r.get(0).map_err(err)?;
            let currency: String = r.get(1).map_err(err)?;
            let pay: String = r.get(2).map_err(err)?;
            let value = Decimal::from_str_exact(&pay).map_err(|_| Error::Corrupt {
                path: path.clone(),
                table: "paid",
                row: rowid,
                column: "pay",
                value: pay.clone(),
            })?;
            let entry = totals.entry(currency).or_default();
            entry.0 += 1;
            entry.1 = entry
                .1
                .checked_add(value)
                .ok_or(sessionpay_core::Error::Overflow {
                    op: "a run's total pay",
                })?;
        }
        Ok(RunDetail {
            summary,
            options,
            inputs: self.inputs(run)?,
            policy: policy_path.map(|p| Digest {
                path: p,
                bytes: 0,
                sha256: policy_sha.unwrap_or_default(),
            }),
            periods,
            totals,
        })
    }
}

/// One row of `paid`, read back.
fn paid_row(r: &rusqlite::Row<'_>, path: &Path) -> Result<(u64, PaidSession)> {
    let get = |e| sqlite(path, "reading the paid sessions")(e);
    let rowid: i64 = r.get(0).map_err(get)?;
    let text = |i| -> Result<String> { r.get::<_, String>(i).map_err(get) };
    let corrupt = |column: &'static str, value: String| Error::Corrupt {
        path: path.to_path_buf(),
        table: "paid",
        row: rowid,
        column,
        value,
    };
    let start = text(5)?;
    let hours = text(11)?;
    let pay = text(13)?;
    let session: i64 = r.get(2).map_err(get)?;
    let count = |i| -> Result<u32> { r.get::<_, u32>(i).map_err(get) };
    Ok((
        u64::try_from(session).map_err(|_| corrupt("session_id", session.to_string()))?,
        PaidSession {
            run: r.get(1).map_err(get)?,
            instructor: r.get::<_, i64>(3).map_err(get)? as u64,
            currency: {
                let code = text(4)?;
                sessionpay_core::Currency::try_from_code(&code).map_err(|_| corrupt("currency", code))?
            },
            period_start: NaiveDate::from_str(&start).map_err(|_| corrupt("period_start", start.clone()))?,
            rate: r.get::<_, Option<i64>>(6).map_err(get)?.map(|v| v as u64),
            counts: [count(7)?, count(8)?, count(9)?, count(10)?],
            hours: Decimal::from_str_exact(&hours).map_err(|_| corrupt("hours", hours.clone()))?,
            pending: r.get::<_, i64>(12).map_err(get)? != 0,
            pay: Decimal::from_str_exact(&pay).map_err(|_| corrupt("pay", pay.clone()))?,
        },
    ))
}

fn identity_in(conn: &Connection, path: &Path) -> Result<Identity> {
    let pragma = |sql: &str| -> Result<i64> {
        conn.query_row(sql, [], |r| r.get(0)).map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase => {
                Error::Foreign {
                    path: path.to_path_buf(),
                    why: "not an SQLite database".into(),
                }
            }
            source => Error::Sqlite {
                path: path.to_path_buf(),
                what: "reading the ledger's header",
                source,
            },
        })
    };
    let app = pragma("PRAGMA application_id")?;
    let version = pragma("PRAGMA user_version")?;
    if app == APPLICATION_ID {
        if version > VERSION {
            return Err(Error::Newer {
                path: path.to_path_buf(),
                found: version,
                known: VERSION,
            });
        }
        return Ok(Identity::Ledger(version));
    }
    let objects = pragma("SELECT count(*) FROM sqlite_schema")?;
    if app == 0 && version == 0 && objects == 0 {
        return Ok(Identity::Empty);
    }
    Err(Error::Foreign {
        path: path.to_path_buf(),
        why: format!("an SQLite file with application id {app:#x} and {objects} table(s) or index(es)"),
    })
}

fn closed_in(conn: &Connection, path: &Path) -> Result<Vec<ClosedPeriod>> {
    let err = |e| sqlite(path, "reading the closed periods")(e);
    let mut stmt = conn
        .prepare(
            "SELECT rowid, run_id, period_start, period_end FROM run_periods \
             WHERE run_id IN (SELECT id FROM active_runs) ORDER BY period_start",
        )
        .map_err(err)?;
    let mut rows = stmt.query([]).map_err(err)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(err)? {
        let rowid: i64 = r.get(0).map_err(err)?;
        let date = |i: usize, column: &'static str| -> Result<NaiveDate> {
            let text: String = r.get(i).map_err(err)?;
            NaiveDate::from_str(&text).map_err(|_| Error::Corrupt {
                path: path.to_path_buf(),
                table: "run_periods",
                row: rowid,
                column,
                value: text,
            })
        };
        out.push(ClosedPeriod {
            run: r.get(1).map_err(err)?,
            period: Period {
                start: date(2, "period_start")?,
                end: date(3, "period_end")?,
            },
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> ClosePlan {
        let start = NaiveDate::from_ymd_opt(2026, 5, 1).expect("date");
        ClosePlan {
            closed_at: "2026-06-01T00:00:00Z".into(),
            tool_version: "test".into(),
            period_kind: "month".into(),
            through: NaiveDate::from_ymd_opt(2026, 5, 31).expect("date"),
            options: "{}".into(),
            inputs: Vec::new(),
            policy: None,
            default_policy: String::new(),
            rates: Vec::new(),
            periods: vec![Period {
                start,
                end: NaiveDate::from_ymd_opt(2026, 5, 31).expect("date"),
            }],
        }
    }

    #[test]
    fn rows_once_written_cannot_be_updated_or_deleted() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("pay.db");
        let mut ledger = Ledger::open_or_create(&path).expect("ledger");
        let closed = ledger.close(&plan(), &[]).expect("close");
        assert_eq!(closed.run, Some(1));
        assert_eq!(closed.closed.len(), 1, "an empty period is closed too");
        for sql in [
            "UPDATE runs SET through = '2026-06-30'",
            "DELETE FROM run_periods",
            "DELETE FROM runs",
        ] {
            let err = ledger.conn.execute(sql, []).expect_err(sql);
            assert!(err.to_string().contains("append-only"), "{sql}: {err}");
        }
        // Closing it again skips the period and records nothing.
        let again = ledger.close(&plan(), &[]).expect("close again");
        assert_eq!((again.run, again.skipped.len()), (None, 1));
        assert_eq!(ledger.runs().expect("runs").len(), 1);
    }

    #[test]
    fn a_void_names_the_run_and_is_recorded_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("pay.db");
        let mut ledger = Ledger::open_or_create(&path).expect("ledger");
        ledger.close(&plan(), &[]).expect("close");
        assert!(matches!(
            ledger.void(7, "typo", "now", "test"),
            Err(Error::NoRun { run: 7, .. })
        ));
        ledger
            .void(1, "typo", "2026-06-02T00:00:00Z", "test")
            .expect("void");
        assert!(matches!(
            ledger.void(1, "again", "now", "test"),
            Err(Error::AlreadyVoided { run: 1, .. })
        ));
        assert!(
            ledger.closed_periods().expect("closed").is_empty(),
            "its period is open again"
        );
        assert!(matches!(
            Ledger::open(&dir.path().join("none.db")),
            Err(Error::Missing { .. })
        ));
    }
}
