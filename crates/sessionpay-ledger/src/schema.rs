//! The ledger's schema, versioned by `PRAGMA user_version` and marked as a
//! sessionpay ledger by `PRAGMA application_id`. `docs/LEDGER.md` says what
//! every table and column means.
//!
//! Money is exact decimal text (never REAL), ids are INTEGER, dates are
//! `YYYY-MM-DD` text, times RFC 3339 UTC text. Triggers refuse every UPDATE
//! and DELETE: a run closed by mistake is voided by a row in `voids`.

/// `PRAGMA application_id` of a sessionpay ledger: "SPLG" as a big-endian integer.
pub const APPLICATION_ID: i64 = 0x5350_4C47;

/// The schema version this build writes; [`MIGRATIONS`] has one step per version.
pub const VERSION: i64 = 2;

/// The steps from version `i` to `i + 1`, run in order in one transaction.
pub const MIGRATIONS: &[&str] = &[V1, V2];

/// The tables kept append-only: each gets triggers refusing UPDATE and DELETE.
pub const TABLES: [&str; 6] = ["runs", "run_inputs", "run_periods", "run_rates", "paid", "voids"];

/// The triggers that keep [`TABLES`] append-only (run after the migrations).
pub fn append_only() -> String {
    let mut sql = String::new();
    for table in TABLES {
        for (what, name) in [("UPDATE", "kept"), ("DELETE", "not_deleted")] {
            sql.push_str(&format!(
                "CREATE TRIGGER IF NOT EXISTS {table}_{name} BEFORE {what} ON {table} \
                 BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;\n"
            ));
        }
    }
    sql
}

/// Version 1: runs, their inputs, periods, rate policies and paid sessions, and voids.
const V1: &str = "
CREATE TABLE runs (
    id             INTEGER PRIMARY KEY,
    closed_at      TEXT NOT NULL,
    tool_version   TEXT NOT NULL,
    period_kind    TEXT NOT NULL,
    through        TEXT NOT NULL,
    options        TEXT NOT NULL,
    policy_path    TEXT,
    policy_sha256  TEXT,
    default_policy TEXT NOT NULL
) STRICT;
CREATE TABLE run_inputs (
    run_id   INTEGER NOT NULL REFERENCES runs(id),
    position INTEGER NOT NULL,
    path     TEXT NOT NULL,
    bytes    INTEGER NOT NULL,
    sha256   TEXT NOT NULL,
    PRIMARY KEY (run_id, position)
) STRICT;
CREATE TABLE run_periods (
    run_id       INTEGER NOT NULL REFERENCES runs(id),
    period_start TEXT NOT NULL,
    period_end   TEXT NOT NULL,
    sessions     INTEGER NOT NULL,
    PRIMARY KEY (run_id, period_start)
) STRICT;
CREATE TABLE run_rates (
    run_id    INTEGER NOT NULL REFERENCES runs(id),
    rate_id   INTEGER NOT NULL,
    rate_type TEXT NOT NULL,
    policy    TEXT NOT NULL,
    PRIMARY KEY (run_id, rate_id)
) STRICT;
CREATE TABLE paid (
    run_id        INTEGER NOT NULL REFERENCES runs(id),
    session_id    INTEGER NOT NULL,
    instructor_id INTEGER NOT NULL,
    currency      TEXT NOT NULL,
    period_start  TEXT NOT NULL,
    rate_id       INTEGER,
    attended      INTEGER NOT NULL,
    comped        INTEGER NOT NULL,
    late_cancels  INTEGER NOT NULL,
    no_shows      INTEGER NOT NULL,
    counted       INTEGER NOT NULL,
    hours         TEXT NOT NULL,
    pending       INTEGER NOT NULL,
    pay           TEXT NOT NULL
) STRICT;
CREATE TABLE voids (
    run_id       INTEGER PRIMARY KEY REFERENCES runs(id),
    voided_at    TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    why          TEXT NOT NULL
) STRICT;
CREATE VIEW active_runs AS
    SELECT * FROM runs WHERE id NOT IN (SELECT run_id FROM voids);
CREATE VIEW paid_now AS
    SELECT * FROM paid WHERE run_id NOT IN (SELECT run_id FROM voids);
";

/// Version 2: the paid sessions indexed by session id, so `adjustments` and
/// `payroll --ledger` read them in order (a join, not a table in memory).
const V2: &str = "
CREATE INDEX paid_by_session ON paid (session_id);
";
