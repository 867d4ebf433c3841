//! Reading every input once: currencies settled, duplicates counted once,
//! each session priced and reconciled, then handed to a collector.
//!
//! A single large CSV file is cut into byte ranges that one worker per core
//! takes from a queue, each into its own collector; the collectors are merged
//! at the end. Anything unusual
//! in that run (a bad row, a repeated session id, a quoted field spanning two
//! ranges, a currency only another range can tell) makes it start again in
//! one sequential pass, which is the reference: both give the same output.

use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use roaring::RoaringTreemap;
use rust_decimal::Decimal;
use rustc_hash::{FxHashMap as HashMap, FxHasher};
use sessionpay_core::{compute_pay, reconcile, CurrencyBook, RateId, RatePolicy, RateTable};
use sessionpay_io::{
    CsvPart, Error, Input, Location, Names, ParsedRow, PartReader, Place, Rejected, SessionLine, Shape, Sinks,
};

/// Where priced sessions go: a payroll accumulator, a list of lines, ...
pub(crate) trait Collector: Sized {
    /// Takes one priced session.
    fn add(&mut self, line: SessionLine) -> anyhow::Result<()>;
    /// Takes everything another collector of the same run took.
    fn merge(&mut self, other: Self) -> anyhow::Result<()>;

    /// The names this collector's output shows. The parallel reader skips the
    /// others (the sequential pass keeps every name: its duplicate check
    /// compares whole rows).
    fn names(&self) -> Names {
        Names::All
    }
}

/// Bytes of input read so far by every reader of this process, for the
/// progress bar.
pub(crate) static BYTES_READ: AtomicU64 = AtomicU64::new(0);

/// What the pipeline saw, for the notes on stderr.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    /// Rows read, duplicates included.
    pub(crate) rows: u64,
    /// Rows that repeated an earlier row exactly and were counted once.
    pub(crate) duplicates: u64,
    /// The first such repeat, for the note.
    pub(crate) first_duplicate: Option<(u64, Place, Place)>,
    /// Parallel workers used (1: one sequential pass).
    pub(crate) workers: usize,
    /// What the readers said of how they read the inputs.
    pub(crate) notes: Vec<String>,
    /// The pay rate and venue ids of the sessions read.
    pub(crate) ids: SeenIds,
}

/// The pay rate and venue ids sessions had, for policy sections no session has.
#[derive(Debug, Default)]
pub(crate) struct SeenIds {
    pub(crate) rates: rustc_hash::FxHashSet<u64>,
    pub(crate) venues: rustc_hash::FxHashSet<u64>,
}

impl SeenIds {
    fn add(&mut self, session: &sessionpay_core::Session) {
        if let Some(rate) = &session.rate {
            self.rates.insert(rate.id.0);
        }
        self.venues.insert(session.venue.0);
    }

    fn merge(&mut self, other: &SeenIds) {
        self.rates.extend(&other.rates);
        self.venues.extend(&other.venues);
    }
}

/// Parts per worker: workers take the next unread part as they finish one,
/// so a worker slowed by the machine (or the last large part) leaves the
/// others less to wait for. Each part costs a file open and a 1 MiB buffer.
const PARTS_PER_WORKER: usize = 16;

/// Files at least this large are split across cores (`SESSIONPAY_PARALLEL_MIN_BYTES`
/// lowers it, so tests can take the parallel path on small files).
const PARALLEL_MIN_BYTES: u64 = 4 << 20;

fn parallel_min_bytes() -> u64 {
    std::env::var("SESSIONPAY_PARALLEL_MIN_BYTES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(PARALLEL_MIN_BYTES)
}

/// Reads `inputs` and hands every distinct session, priced and reconciled, to
/// a collector made by `make`; returns the merged collector.
pub(crate) fn run<C: Collector + Send>(
    inputs: &[Input],
    table: &RateTable,
    tolerance: Decimal,
    threads: usize,
    make: &(dyn Fn() -> C + Sync),
) -> anyhow::Result<(C, Stats)> {
    run_with(inputs, table, tolerance, threads, make, None)
}

/// Where rows that cannot be read go when the run is to go on without them.
pub(crate) type RejectSink<'a> = &'a mut dyn FnMut(Rejected) -> anyhow::Result<()>;

/// [`run`], handing rows that cannot be read to `rejects` (and going on)
/// instead of stopping at the first.
pub(crate) fn run_with<C: Collector + Send>(
    inputs: &[Input],
    table: &RateTable,
    tolerance: Decimal,
    threads: usize,
    make: &(dyn Fn() -> C + Sync),
    rejects: Option<RejectSink<'_>>,
) -> anyhow::Result<(C, Stats)> {
    let policies = Policies::new(table);
    // Rejects are rare, and their order matters to the rejects file: one pass.
    let threads = if rejects.is_some() { 1 } else { threads };
    if let Some(parts) = parallel_plan(inputs, threads)? {
        if let Some(done) = run_parallel(&parts, threads, table, &policies, tolerance, make) {
            return Ok(done);
        }
    }
    let mut collector = make();
    let stats = run_sequential(inputs, table, &policies, tolerance, &mut collector, rejects)?;
    Ok((collector, stats))
}

fn parallel_plan(inputs: &[Input], threads: usize) -> anyhow::Result<Option<Vec<CsvPart>>> {
    match inputs {
        [input] if threads > 1 && !input.is_stdin() && input.shape == Some(Shape::Csv) => Ok(
            sessionpay_io::plan_input_parts(input, threads * PARTS_PER_WORKER, parallel_min_bytes())?,
        ),
        _ => Ok(None),
    }
}

/// Every rate's resolved policy, looked up once per session.
struct Policies {
    by_rate: HashMap<RateId, RatePolicy>,
    default: RatePolicy,
}

impl Policies {
    fn new(table: &RateTable) -> Policies {
        Policies {
            by_rate: table
                .rates
                .keys()
                .map(|id| (*id, table.policy_for(*id)))
                .collect(),
            default: table.default_policy(),
        }
    }

    fn of(&self, rate: Option<RateId>) -> RatePolicy {
        rate.and_then(|id| self.by_rate.get(&id).copied())
            .unwrap_or(self.default)
    }
}

/// Prices and reconciles one session under its rate's policy.
fn price(
    row: ParsedRow,
    policies: &Policies,
    tolerance: Decimal,
    place: impl Fn() -> Place,
) -> anyhow::Result<SessionLine> {
    let session = row.session;
    let policy = policies.of(session.rate.as_ref().map(|r| r.id));
    let core_error = |source| Error::Core {
        place: place(),
        source,
    };
    let pay = compute_pay(&session, &policy).map_err(core_error)?;
    let rec = reconcile(&session, &policy, &pay, tolerance).map_err(core_error)?;
    Ok(SessionLine { session, pay, rec })
}

fn content_hash(row: &ParsedRow) -> u64 {
    let mut hasher = FxHasher::default();
    row.session.hash(&mut hasher);
    hasher.finish()
}

/// One worker's share of a parallel run.
struct Share<C> {
    book: CurrencyBook,
    ids: RoaringTreemap,
    deferred: Vec<ParsedRow>,
    collector: C,
    rows: u64,
    seen: SeenIds,
}

/// The parallel run, or `None` when it must be done again sequentially.
fn run_parallel<C: Collector + Send>(
    parts: &[CsvPart],
    threads: usize,
    table: &RateTable,
    policies: &Policies,
    tolerance: Decimal,
    make: &(dyn Fn() -> C + Sync),
) -> Option<(C, Stats)> {
    let queue = Queue {
        parts,
        next: AtomicUsize::new(0),
        failed: AtomicBool::new(false),
    };
    let shares: Vec<Option<Share<C>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.min(parts.len()))
            .map(|_| scope.spawn(|| read_share(&queue, table, policies, tolerance, make)))
            .collect();
        handles.into_iter().map(|h| h.join().ok().flatten()).collect()
    });
    let mut shares: Vec<Share<C>> = shares.into_iter().collect::<Option<_>>()?;
    // A session id in two ranges was counted twice: only one pass can say which to keep.
    let mut all_ids = RoaringTreemap::new();
    for share in &shares {
        if !(&all_ids & &share.ids).is_empty() {
            return None;
        }
        all_ids |= &share.ids;
    }
    let mut book = CurrencyBook::new(table.venue_currencies.clone());
    for share in &shares {
        book.merge(&share.book).ok()?;
    }
    let mut stats = Stats {
        workers: shares.len(),
        ..Stats::default()
    };
    let mut collector: Option<C> = None;
    for share in shares.iter_mut() {
        stats.rows += share.rows;
        stats.ids.merge(&share.seen);
        for mut row in std::mem::take(&mut share.deferred) {
            row.session.currency = book.decide_late(row.session.venue, &row.evidence).ok()?;
            stats.ids.add(&row.session);
            if !all_ids.insert(row.session.id.0) {
                return None;
            }
            let line = price(row, policies, tolerance, || Place {
                path: PathBuf::new(),
                location: Location::File,
            })
            .ok()?;
            share.collector.add(line).ok()?;
        }
    }
    for share in shares {
        match collector.as_mut() {
            None => collector = Some(share.collector),
            Some(c) => c.merge(share.collector).ok()?,
        }
    }
    Some((collector?, stats))
}

/// The parts of a parallel run, handed out in order to whichever worker asks.
struct Queue<'a> {
    parts: &'a [CsvPart],
    next: AtomicUsize,
    /// A worker met something that needs the sequential pass: the others stop.
    failed: AtomicBool,
}

impl Queue<'_> {
    fn take(&self) -> Option<&CsvPart> {
        if self.failed.load(Ordering::Relaxed) {
            return None;
        }
        self.parts.get(self.next.fetch_add(1, Ordering::Relaxed))
    }
}

/// Reads parts from the queue until it is empty; `None` on anything that
/// needs the sequential pass.
fn read_share<C: Collector + Send>(
    queue: &Queue<'_>,
    table: &RateTable,
    policies: &Policies,
    tolerance: Decimal,
    make: &(dyn Fn() -> C + Sync),
) -> Option<Share<C>> {
    let mut share = Share {
        book: CurrencyBook::new(table.venue_currencies.clone()),
        ids: RoaringTreemap::new(),
        deferred: Vec::new(),
        collector: make(),
        rows: 0,
        seen: SeenIds::default(),
    };
    let names = share.collector.names();
    let mut on_row = |mut row: ParsedRow| {
        share.rows += 1;
        share.seen.add(&row.session);
        let fallback = || Error::Shape {
            path: PathBuf::new(),
            problem: "needs a sequential pass".into(),
        };
        match share
            .book
            .decide(row.session.venue, &row.evidence)
            .map_err(|_| fallback())?
        {
            Some(currency) => {
                row.session.currency = currency;
                if !share.ids.insert(row.session.id.0) {
                    return Err(fallback());
                }
                let line = price(row, policies, tolerance, || Place {
                    path: PathBuf::new(),
                    location: Location::File,
                })
                .map_err(|_| fallback())?;
                share.collector.add(line).map_err(|_| fallback())?;
            }
            None => share.deferred.push(row),
        }
        Ok(())
    };
    let mut reader = PartReader::new(names);
    while let Some(part) = queue.take() {
        let aligned = reader.read(
            part,
            &BYTES_READ,
            &mut Sinks {
                on_row: &mut on_row,
                on_reject: &mut |rejected| Err(rejected.error),
            },
        );
        if !matches!(aligned, Ok(true)) {
            queue.failed.store(true, Ordering::Relaxed);
            return None;
        }
    }
    Some(share)
}

struct Seen {
    hash: u64,
    input: u32,
    location: Location,
}

/// The reference pass: inputs in order, rows in order.
fn run_sequential<C: Collector>(
    inputs: &[Input],
    table: &RateTable,
    policies: &Policies,
    tolerance: Decimal,
    collector: &mut C,
    mut rejects: Option<RejectSink<'_>>,
) -> anyhow::Result<Stats> {
    let mut book = CurrencyBook::new(table.venue_currencies.clone());
    let mut seen: HashMap<u64, Seen> = HashMap::default();
    let mut stats = Stats {
        workers: 1,
        ..Stats::default()
    };
    let mut deferred: Vec<(u32, ParsedRow)> = Vec::new();
    let names: Vec<PathBuf> = inputs.iter().map(Input::display_path).collect();
    let place = |input: u32, location: Location| Place {
        path: names[input as usize].clone(),
        location,
    };
    let mut failure: Option<anyhow::Error> = None;
    let mut pages = sessionpay_io::PageCheck::new();

    let mut accept = |input: u32,
                      row: ParsedRow,
                      seen: &mut HashMap<u64, Seen>,
                      stats: &mut Stats|
     -> anyhow::Result<()> {
        let hash = content_hash(&row);
        let id = row.session.id.0;
        match seen.get(&id) {
            Some(first) if first.hash == hash => {
                stats.duplicates += 1;
                if stats.first_duplicate.is_none() {
                    stats.first_duplicate =
                        Some((id, place(first.input, first.location), place(input, row.location)));
                }
                return Ok(());
            }
            Some(first) => {
                // Name the two places in input order, whichever was handled first.
                let mut places = [(first.input, first.location), (input, row.location)];
                places.sort();
                return Err(Error::ConflictingDuplicate {
                    id,
                    first: place(places[0].0, places[0].1),
                    second: place(places[1].0, places[1].1),
                }
                .into());
            }
            None => {
                stats.ids.add(&row.session);
                seen.insert(
                    id,
                    Seen {
                        hash,
                        input,
                        location: row.location,
                    },
                );
            }
        }
        let location = row.location;
        let line = price(row, policies, tolerance, || place(input, location))?;
        collector.add(line)
    };

    for (index, input) in inputs.iter().enumerate() {
        let index = index as u32;
        let path = input.display_path();
        let mut reject_failure: Option<anyhow::Error> = None;
        let mut on_reject = |rejected: Rejected| -> sessionpay_io::Result<()> {
            match rejects.as_mut() {
                Some(sink) => {
                    if let Err(e) = sink(rejected) {
                        reject_failure = Some(e);
                        return Err(Error::Shape {
                            path: path.clone(),
                            problem: "stopped".into(),
                        });
                    }
                    Ok(())
                }
                None => Err(rejected.error),
            }
        };
        let mut on_row = |mut row: ParsedRow| {
            stats.rows += 1;
            let currency = book
                .decide(row.session.venue, &row.evidence)
                .map_err(|source| Error::Core {
                    place: Place {
                        path: path.clone(),
                        location: row.location,
                    },
                    source,
                })?;
            match currency {
                Some(currency) => {
                    row.session.currency = currency;
                    if let Err(e) = accept(index, row, &mut seen, &mut stats) {
                        failure = Some(e);
                        return Err(Error::Shape {
                            path: path.clone(),
                            problem: "stopped".into(),
                        });
                    }
                }
                None => deferred.push((index, row)),
            }
            Ok(())
        };
        let outcome = sessionpay_io::read_input_summary(
            input,
            &BYTES_READ,
            &mut Sinks {
                on_row: &mut on_row,
                on_reject: &mut on_reject,
            },
        );
        match outcome {
            Ok(mut summary) => {
                stats.notes.append(&mut summary.notes);
                pages.add(input, summary)?
            }
            Err(e) => {
                return Err(failure
                    .take()
                    .or(reject_failure.take())
                    .unwrap_or_else(|| e.into()))
            }
        }
    }
    pages.finish()?;
    for (index, mut row) in deferred {
        let currency = book
            .decide_late(row.session.venue, &row.evidence)
            .map_err(|source| Error::Core {
                place: place(index, row.location),
                source,
            })?;
        row.session.currency = currency;
        accept(index, row, &mut seen, &mut stats)?;
    }
    Ok(stats)
}
