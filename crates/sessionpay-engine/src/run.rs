//! A run: its inputs, policy and options, and how it chooses between the
//! parallel read and the sequential pass.

use std::sync::atomic::AtomicU64;

use sessionpay_core::RateTable;
use sessionpay_io::{Input, InputPart, Place, Rejected};

use crate::parallel::{self, NeedsSequential, Parallel};
use crate::{sequential, Collector, Pricing, Result, RunOptions};

/// Parts per worker: workers take the next unread part as they finish one,
/// so a worker slowed by the machine (or the last large part) leaves the
/// others less to wait for. Each part costs a file open and a refill of the
/// worker's read buffer.
const PARTS_PER_WORKER: usize = 16;

/// Where rows that cannot be read go when the run is to go on without them.
pub type RejectSink<'a> = &'a mut dyn FnMut(Rejected) -> Result<()>;

/// What a run saw, for the notes of a command line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stats {
    /// Rows read, duplicates included.
    pub rows: u64,
    /// Rows that repeated an earlier row exactly and were counted once.
    pub duplicates: u64,
    /// The first such repeat: the session id, where it was first and where again.
    pub first_duplicate: Option<(u64, Place, Place)>,
    /// Parallel workers used (1: one sequential pass).
    pub workers: usize,
    /// Why a parallel read was given up for the sequential pass, if it was.
    pub gave_up_parallel: Option<NeedsSequential>,
    /// What the readers said of how they read the inputs (a workbook, a
    /// re-saved file's encoding), for notes.
    pub notes: Vec<String>,
    /// The pay rate and venue ids the sessions had.
    pub seen: SeenIds,
}

/// The pay rate and venue ids sessions had: a policy section none of them
/// has is worth a warning (a mistyped id is the usual cause). Kept only
/// when [`RunOptions::seen_ids`] asks for them: two set inserts a session
/// are a cost a run without a policy file need not pay.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SeenIds {
    /// Pay rate ids.
    pub rates: rustc_hash::FxHashSet<u64>,
    /// Venue ids.
    pub venues: rustc_hash::FxHashSet<u64>,
    /// Whether ids are kept at all.
    on: bool,
}

impl SeenIds {
    /// An empty set that keeps the ids it is given when `on`.
    pub(crate) fn new(on: bool) -> SeenIds {
        SeenIds {
            on,
            ..SeenIds::default()
        }
    }

    #[inline]
    pub(crate) fn add(&mut self, session: &sessionpay_core::Session) {
        if !self.on {
            return;
        }
        if let Some(rate) = &session.rate {
            self.rates.insert(rate.id.0);
        }
        self.venues.insert(session.venue.0);
    }

    pub(crate) fn merge(&mut self, other: &SeenIds) {
        self.on |= other.on;
        self.rates.extend(&other.rates);
        self.venues.extend(&other.venues);
    }
}

/// One reading of some inputs under a policy, into collectors.
///
/// ```no_run
/// # use sessionpay_engine::{Run, RunOptions, Collector, Result};
/// # use sessionpay_io::SessionLine;
/// struct Count(u64);
/// impl Collector for Count {
///     type Item = SessionLine;
///     fn add(&mut self, _: SessionLine) -> Result<()> { self.0 += 1; Ok(()) }
///     fn merge(&mut self, other: Count) -> Result<()> { self.0 += other.0; Ok(()) }
/// }
/// let (inputs, _skipped) = sessionpay_io::expand_inputs(&["export.csv".into()])?;
/// let table = sessionpay_core::RateTable::default();
/// let (count, stats) = Run::new(&inputs, &table, RunOptions::default()).collect(|| Count(0))?;
/// assert_eq!(count.0 + stats.duplicates, stats.rows);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Run<'a> {
    inputs: &'a [Input],
    table: &'a RateTable,
    options: RunOptions,
    progress: Option<&'a AtomicU64>,
    rejects: Option<RejectSink<'a>>,
}

impl<'a> Run<'a> {
    /// A run reading `inputs` in order, priced under `table`.
    pub fn new(inputs: &'a [Input], table: &'a RateTable, options: RunOptions) -> Run<'a> {
        Run {
            inputs,
            table,
            options,
            progress: None,
            rejects: None,
        }
    }

    /// Adds the bytes read to `counter` as they are read (for a progress bar).
    #[must_use]
    pub fn progress(self, counter: &'a AtomicU64) -> Run<'a> {
        Run {
            progress: Some(counter),
            ..self
        }
    }

    /// Hands rows that cannot be read to `sink` and goes on, instead of
    /// stopping at the first. Rejects keep their order: the run is one
    /// sequential pass.
    #[must_use]
    pub fn rejects(self, sink: RejectSink<'a>) -> Run<'a> {
        Run {
            rejects: Some(sink),
            ..self
        }
    }

    /// Reads the inputs and hands every distinct session, its currency
    /// settled (and priced and reconciled when the collector's item is a
    /// line), to a collector made by `make`; gives the merged collector.
    ///
    /// # Errors
    /// The first input, row, duplicate or collector error, naming where it is.
    pub fn collect<C: Collector>(self, make: impl Fn() -> C + Sync) -> Result<(C, Stats)> {
        let own_counter = AtomicU64::new(0);
        let counter = self.progress.unwrap_or(&own_counter);
        let pricing = Pricing::new(self.table, self.options.tolerance);
        let threads = if self.rejects.is_some() {
            1
        } else {
            self.options.threads.max(1)
        };
        let mut gave_up_parallel = None;
        if let Some(parts) = parallel_plan(self.inputs, threads, self.options.parallel_min_bytes)? {
            let shared = parallel::Shared {
                table: self.table,
                pricing: &pricing,
                counter,
                seen_ids: self.options.seen_ids,
            };
            match parallel::run(self.inputs, &parts, threads, &shared, &make) {
                Parallel::Done(collector, stats) => return Ok((collector, *stats)),
                // The reason is not an error: the sequential pass, the
                // reference, finds the real one if there is any.
                Parallel::NeedsSequential(why) => gave_up_parallel = Some(why),
            }
        }
        let mut collector = make();
        if gave_up_parallel.is_some() {
            collector.start_over()?;
        }
        let mut stats = sequential::run(
            self.inputs,
            self.table,
            &pricing,
            counter,
            &mut collector,
            self.rejects,
            &self.options,
        )?;
        stats.gave_up_parallel = gave_up_parallel;
        Ok((collector, stats))
    }
}

fn parallel_plan(inputs: &[Input], threads: usize, min_bytes: u64) -> Result<Option<Vec<InputPart>>> {
    if threads < 2 {
        return Ok(None);
    }
    Ok(sessionpay_io::plan_parts(
        inputs,
        threads * PARTS_PER_WORKER,
        min_bytes,
    )?)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    use std::path::Path;

    use sessionpay_io::SessionLine;

    use crate::{Error, Lines};

    const HEADER: &str = "id,instructor.id,starts_at,venue.id,venue_timezone,hours,attended_count,\
no_show_count,late_cancel_count,comped_counts.attended,instructor_pay_rate.id,instructor_pay_rate.type,\
instructor_pay_rate.base,instructor_pay,instructor_pay_calculation_pending\n";

    /// A row of rate 3 (5 per customer, in pounds) with `attended` customers and TeamUp's `paid`.
    pub(crate) fn row(id: u64, attended: u32, paid: &str) -> String {
        format!("{id},7,2026-05-02T09:00:00Z,101,Europe/London,1,{attended},0,0,0,3,per_customer,5,£{paid},false\n")
    }

    /// `rows` as a CSV file in `dir`, as an input.
    pub(crate) fn csv(dir: &Path, name: &str, rows: &[String]) -> Input {
        let path = dir.join(name);
        std::fs::write(&path, format!("{HEADER}{}", rows.concat())).expect("write test export");
        Input {
            path,
            shape: Some(sessionpay_io::Shape::Csv),
            folder: None,
            columns: sessionpay_io::ColumnMap::default(),
        }
    }

    fn ids(lines: &[SessionLine]) -> Vec<u64> {
        let mut ids: Vec<u64> = lines.iter().map(|l| l.session.id.0).collect();
        ids.sort_unstable();
        ids
    }

    /// A collector that refuses the session with id 13.
    #[derive(Debug)]
    struct Refuses13;

    impl Collector for Refuses13 {
        type Item = SessionLine;

        fn add(&mut self, line: SessionLine) -> Result<()> {
            if line.session.id.0 == 13 {
                return Err(sessionpay_core::Error::NegativeHours {
                    hours: line.session.hours,
                }
                .into());
            }
            Ok(())
        }

        fn merge(&mut self, _: Refuses13) -> Result<()> {
            Ok(())
        }
    }

    #[test]
    fn an_exact_repeat_is_counted_once_and_named_at_both_places() {
        let dir = tempfile::tempdir().expect("temp dir");
        let a = csv(dir.path(), "a.csv", &[row(1, 4, "20.00"), row(2, 2, "10.00")]);
        let b = csv(dir.path(), "b.csv", &[row(2, 2, "10.00")]);
        let inputs = [a, b];
        let table = RateTable::default();
        let (lines, stats) = Run::new(&inputs, &table, RunOptions::default())
            .collect(Lines::default)
            .expect("run");
        assert_eq!(ids(&lines.0), [1, 2]);
        assert_eq!((stats.rows, stats.duplicates, stats.workers), (3, 1, 1));
        let (id, first, again) = stats.first_duplicate.expect("a repeat");
        assert_eq!(id, 2);
        assert_eq!(first.path, dir.path().join("a.csv"));
        assert_eq!(again.path, dir.path().join("b.csv"));
    }

    #[test]
    fn the_ids_sessions_had_are_kept_only_when_asked_for() {
        let dir = tempfile::tempdir().expect("temp dir");
        let inputs = [csv(dir.path(), "big.csv", &many(2000))];
        let table = RateTable::default();
        for threads in [1, 2] {
            let options = RunOptions::default().parallel_min_bytes(1).threads(threads);
            let (_, stats) = Run::new(&inputs, &table, options.clone())
                .collect(Lines::default)
                .expect("run");
            assert!(stats.seen.rates.is_empty() && stats.seen.venues.is_empty());
            let (_, stats) = Run::new(&inputs, &table, options.seen_ids(true))
                .collect(Lines::default)
                .expect("run");
            assert_eq!(stats.workers, threads);
            assert_eq!(stats.seen.rates.iter().copied().collect::<Vec<_>>(), [3]);
            assert_eq!(stats.seen.venues.iter().copied().collect::<Vec<_>>(), [101]);
        }
    }

    #[test]
    fn a_collector_error_comes_back_as_itself() {
        let dir = tempfile::tempdir().expect("temp dir");
        let inputs = [csv(
            dir.path(),
            "a.csv",
            &[row(12, 1, "5.00"), row(13, 1, "5.00")],
        )];
        let table = RateTable::default();
        let err = Run::new(&inputs, &table, RunOptions::default().threads(1))
            .collect(|| Refuses13)
            .expect_err("the collector refuses a session");
        assert!(
            matches!(err, Error::Core(sessionpay_core::Error::NegativeHours { .. })),
            "{err:?}"
        );
    }

    #[test]
    fn rejected_rows_go_to_the_sink_in_order_and_the_run_goes_on() {
        let dir = tempfile::tempdir().expect("temp dir");
        let bad = "9,7,not-a-date,101,Europe/London,1,1,0,0,0,3,per_customer,5,£5.00,false\n".to_string();
        let inputs = [csv(
            dir.path(),
            "a.csv",
            &[row(1, 1, "5.00"), bad, row(2, 1, "5.00")],
        )];
        let table = RateTable::default();
        let mut rejected = Vec::new();
        let (lines, _) = Run::new(&inputs, &table, RunOptions::default().parallel_min_bytes(1))
            .rejects(&mut |r| {
                rejected.push(r.raw);
                Ok(())
            })
            .collect(Lines::default)
            .expect("run");
        assert_eq!(ids(&lines.0), [1, 2]);
        assert_eq!(rejected.len(), 1);
        assert!(rejected[0].contains("not-a-date"), "{rejected:?}");

        // Without a sink, the first bad row stops the run, naming it.
        let err = Run::new(&inputs, &table, RunOptions::default())
            .collect(Lines::default)
            .expect_err("a bad row");
        assert!(err.to_string().contains("not-a-date"), "{err}");
    }

    #[test]
    fn a_rejects_sink_error_stops_the_run_with_that_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let bad = "9,7,not-a-date,101,Europe/London,1,1,0,0,0,3,per_customer,5,£5.00,false\n".to_string();
        let inputs = [csv(dir.path(), "a.csv", &[bad])];
        let table = RateTable::default();
        let err = Run::new(&inputs, &table, RunOptions::default())
            .rejects(&mut |_| {
                Err(Error::Write {
                    path: "rejects.csv".into(),
                    source: std::io::Error::other("disk full"),
                })
            })
            .collect(Lines::default)
            .expect_err("the sink fails");
        assert_eq!(err.to_string(), "writing rejects.csv");
    }

    fn many(n: u64) -> Vec<String> {
        (1..=n).map(|id| row(id, (id % 7) as u32, "5.00")).collect()
    }

    #[test]
    fn a_parallel_read_gives_what_the_sequential_pass_gives() {
        let dir = tempfile::tempdir().expect("temp dir");
        let inputs = [csv(dir.path(), "big.csv", &many(2000))];
        let table = RateTable::default();
        let options = RunOptions::default().parallel_min_bytes(1);
        let (parallel, stats) = Run::new(&inputs, &table, options.clone().threads(3))
            .collect(Lines::default)
            .expect("parallel run");
        assert_eq!((stats.workers, stats.gave_up_parallel), (3, None));
        let (sequential, stats) = Run::new(&inputs, &table, options.threads(1))
            .collect(Lines::default)
            .expect("sequential run");
        assert_eq!(stats.workers, 1);
        let text = |lines: Lines| format!("{:?}", lines.sorted());
        assert_eq!(text(parallel), text(sequential));
    }

    #[test]
    fn a_repeated_id_in_two_parts_sends_the_run_to_the_sequential_pass() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut rows = many(2000);
        rows.push(row(1, 1, "5.00"));
        let inputs = [csv(dir.path(), "big.csv", &rows)];
        let table = RateTable::default();
        let options = RunOptions::default().parallel_min_bytes(1).threads(2);
        let (lines, stats) = Run::new(&inputs, &table, options)
            .collect(Lines::default)
            .expect("run");
        assert_eq!(stats.gave_up_parallel, Some(NeedsSequential::RepeatedId));
        assert_eq!((stats.workers, stats.duplicates), (1, 1));
        assert_eq!(lines.0.len(), 2000);
    }

    #[test]
    fn a_bad_row_in_a_part_is_reported_by_the_sequential_pass() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut rows = many(2000);
        rows.insert(
            1500,
            "9999,7,not-a-date,101,Europe/London,1,1,0,0,0,3,per_customer,5,£5.00,false\n".into(),
        );
        let inputs = [csv(dir.path(), "big.csv", &rows)];
        let table = RateTable::default();
        let options = RunOptions::default().parallel_min_bytes(1).threads(2);
        let err = Run::new(&inputs, &table, options)
            .collect(Lines::default)
            .expect_err("a bad row");
        // The sequential pass names the exact line (the header is line 1).
        assert!(err.to_string().contains("line 1502"), "{err}");
    }
}
