//! A run: its inputs, policy and options, and how it chooses between the
//! parallel read and the sequential pass.

use std::sync::atomic::AtomicU64;

use sessionpay_core::RateTable;
use sessionpay_io::{CsvPart, Input, Place, Rejected, Shape};

use crate::parallel::{self, NeedsSequential, Parallel};
use crate::{sequential, Collector, Pricing, Result, RunOptions};

/// Parts per worker: workers take the next unread part as they finish one,
/// so a worker slowed by the machine (or the last large part) leaves the
/// others less to wait for. Each part costs a file open and a 1 MiB buffer.
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
            };
            match parallel::run(&parts, threads, &shared, &make) {
                Parallel::Done(collector, stats) => return Ok((collector, stats)),
                // The reason is not an error: the sequential pass, the
                // reference, finds the real one if there is any.
                Parallel::NeedsSequential(why) => gave_up_parallel = Some(why),
            }
        }
        let mut collector = make();
        let mut stats = sequential::run(
            self.inputs,
            self.table,
            &pricing,
            counter,
            &mut collector,
            self.rejects,
        )?;
        stats.gave_up_parallel = gave_up_parallel;
        Ok((collector, stats))
    }
}

fn parallel_plan(inputs: &[Input], threads: usize, min_bytes: u64) -> Result<Option<Vec<CsvPart>>> {
    match inputs {
        [input] if threads > 1 && !input.is_stdin() && input.shape == Some(Shape::Csv) => Ok(
            sessionpay_io::plan_csv_parts(&input.path, threads * PARTS_PER_WORKER, min_bytes)?,
        ),
        _ => Ok(None),
    }
}
