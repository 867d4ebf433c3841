//! The parallel read of one large CSV file: its byte ranges taken from a
//! queue by one worker per thread, each into its own collector, merged at
//! the end. Anything unusual (a bad row, a session id in two ranges, a
//! quoted field spanning two ranges, a currency only another range can
//! tell) is a [`NeedsSequential`] outcome, not an error: the sequential pass
//! is the reference, and both give the same result.

use std::path::PathBuf;
use std::sync::atomic::AtomicU64;

use roaring::RoaringTreemap;
use sessionpay_core::{CurrencyBook, RateTable, Settled};
use sessionpay_io::{
    Input, InputPart, Location, ParsedRow, Place, ReadCache, Reader, Rejected, Sinks, Summary,
};

use crate::workers::{on_threads, Queue};
use crate::{Collector, Item, Pricer, Pricing, SeenIds, Stats};

/// Why a parallel run gave way to the sequential pass (see [`Stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NeedsSequential {
    /// A row could not be read, or a quoted field spans two parts.
    Unaligned,
    /// The same session id is in two places: only one pass in order can say
    /// which is the repeat and whether it is the same.
    RepeatedId,
    /// A venue's currency cannot be settled from what the parts saw.
    Currency,
    /// A session could not be priced or collected (the pass in order names it).
    Collecting,
    /// A worker stopped without a result.
    Worker,
    /// The pages of a folder do not add up to their `total`.
    Pages,
}

/// How a parallel run ended.
pub(crate) enum Parallel<C> {
    /// Every part read: the merged collector.
    Done(C, Box<Stats>),
    /// The run must be done again in one pass.
    NeedsSequential(NeedsSequential),
}

/// How one worker's share of the parts ended.
enum PartOutcome<C> {
    /// Every part it took was read.
    Read(Box<Share<C>>),
    /// It stopped; the others stop too.
    NeedsSequential(NeedsSequential),
}

/// Why a part's read stopped. The reader's own errors (a bad file, I/O)
/// send the run to the sequential pass too, which names them.
struct Stop(NeedsSequential);

impl From<sessionpay_io::Error> for Stop {
    fn from(_: sessionpay_io::Error) -> Stop {
        Stop(NeedsSequential::Unaligned)
    }
}

/// What every worker reads with.
pub(crate) struct Shared<'a> {
    pub(crate) table: &'a RateTable,
    pub(crate) pricing: &'a Pricing,
    pub(crate) counter: &'a AtomicU64,
    /// Whether the rate and venue ids are kept ([`crate::RunOptions::seen_ids`]).
    pub(crate) seen_ids: bool,
}

/// One worker's share of a parallel run.
struct Share<C> {
    book: CurrencyBook,
    ids: RoaringTreemap,
    deferred: Vec<ParsedRow>,
    collector: C,
    rows: u64,
    seen: SeenIds,
    /// What reading each whole input saw, by its index.
    summaries: Vec<(usize, Summary)>,
}

/// No place is named: a failure here only sends the run to the sequential pass.
fn nowhere() -> Place {
    Place {
        path: PathBuf::new(),
        location: Location::File,
    }
}

/// The parallel run over `parts` on `threads` workers.
pub(crate) fn run<C: Collector>(
    inputs: &[Input],
    parts: &[InputPart],
    threads: usize,
    shared: &Shared<'_>,
    make: &(impl Fn() -> C + Sync),
) -> Parallel<C> {
    let queue = Queue::new(parts);
    let outcomes = on_threads(threads.min(parts.len()), || {
        read_share(inputs, &queue, shared, make)
    });
    let mut shares = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        match outcome {
            Ok(PartOutcome::Read(share)) => shares.push(*share),
            Ok(PartOutcome::NeedsSequential(why)) => return Parallel::NeedsSequential(why),
            Err(_) => return Parallel::NeedsSequential(NeedsSequential::Worker),
        }
    }
    match merge(inputs, shares, shared) {
        Ok((collector, stats)) => Parallel::Done(collector, Box::new(stats)),
        Err(why) => Parallel::NeedsSequential(why),
    }
}

/// The shares as one collector, the rows whose currency waited for every
/// part added.
fn merge<C: Collector>(
    inputs: &[Input],
    mut shares: Vec<Share<C>>,
    shared: &Shared<'_>,
) -> Result<(C, Stats), NeedsSequential> {
    // The pages of each folder are held to their total, inputs in order, as
    // the sequential pass does; and the notes come in that order too.
    let mut summaries: Vec<Summary> = inputs.iter().map(|_| Summary::default()).collect();
    for share in &mut shares {
        for (index, summary) in share.summaries.drain(..) {
            summaries[index] = summary;
        }
    }
    let mut pages = sessionpay_io::PageCheck::new();
    let mut notes = Vec::new();
    for (input, mut summary) in inputs.iter().zip(summaries) {
        notes.append(&mut summary.notes);
        pages.add(input, summary).map_err(|_| NeedsSequential::Pages)?;
    }
    pages.finish().map_err(|_| NeedsSequential::Pages)?;
    // A session id in two ranges was counted twice: only one pass can say which to keep.
    let mut all_ids = RoaringTreemap::new();
    for share in &shares {
        if !(&all_ids & &share.ids).is_empty() {
            return Err(NeedsSequential::RepeatedId);
        }
        all_ids |= &share.ids;
    }
    let mut book = CurrencyBook::new(shared.table.venue_currencies.clone());
    for share in &shares {
        book.merge(&share.book).map_err(|_| NeedsSequential::Currency)?;
    }
    let mut stats = Stats {
        workers: shares.len(),
        notes,
        ..Stats::default()
    };
    let mut pricer = shared.pricing.pricer();
    for share in &mut shares {
        stats.rows += share.rows;
        stats.seen.merge(&share.seen);
        for row in std::mem::take(&mut share.deferred) {
            let session = book
                .settle_late(row.draft, &row.evidence)
                .map_err(|_| NeedsSequential::Currency)?;
            stats.seen.add(&session);
            if !all_ids.insert(session.id.0) {
                return Err(NeedsSequential::RepeatedId);
            }
            let item = C::Item::from_session(session, &mut pricer, nowhere)
                .map_err(|_| NeedsSequential::Collecting)?;
            share
                .collector
                .add(item)
                .map_err(|_| NeedsSequential::Collecting)?;
        }
    }
    let mut collector: Option<C> = None;
    for share in shares {
        match collector.as_mut() {
            None => collector = Some(share.collector),
            Some(c) => c
                .merge(share.collector)
                .map_err(|_| NeedsSequential::Collecting)?,
        }
    }
    collector.map(|c| (c, stats)).ok_or(NeedsSequential::Worker)
}

/// Reads parts from the queue until it is empty, or until this or another
/// worker needs the sequential pass.
fn read_share<C: Collector>(
    inputs: &[Input],
    queue: &Queue<'_, InputPart>,
    shared: &Shared<'_>,
    make: &(impl Fn() -> C + Sync),
) -> PartOutcome<C> {
    let mut share = Share {
        book: CurrencyBook::new(shared.table.venue_currencies.clone()),
        ids: RoaringTreemap::new(),
        deferred: Vec::new(),
        collector: make(),
        rows: 0,
        seen: SeenIds::new(shared.seen_ids),
        summaries: Vec::new(),
    };
    let names = share.collector.names();
    let mut pricer = shared.pricing.pricer();
    let on_row =
        |share: &mut Share<C>, pricer: &mut Pricer<'_>, row: ParsedRow| -> Result<(), NeedsSequential> {
            share.rows += 1;
            let settled = share
                .book
                .settle(row.draft, &row.evidence)
                .map_err(|_| NeedsSequential::Currency)?;
            match settled {
                Settled::Now(session) => {
                    share.seen.add(&session);
                    if !share.ids.insert(session.id.0) {
                        return Err(NeedsSequential::RepeatedId);
                    }
                    let item = C::Item::from_session(session, pricer, nowhere)
                        .map_err(|_| NeedsSequential::Collecting)?;
                    share.collector.add(item).map_err(|_| NeedsSequential::Collecting)
                }
                Settled::Later(draft) => {
                    share.deferred.push(ParsedRow { draft, ..row });
                    Ok(())
                }
            }
        };
    let mut cache = ReadCache::new(names);
    while let Some((index, part)) = queue.take() {
        let reader = match part {
            InputPart::Csv(part) => Reader::part(part),
            InputPart::Ndjson(part) => Reader::ndjson_part(part),
            InputPart::Whole(index) => Reader::input(&inputs[*index]),
        };
        let read = share
            .collector
            .begin_part(index)
            .map_err(|_| Stop(NeedsSequential::Collecting))
            .and_then(|()| {
                reader.counter(shared.counter).cache(&mut cache).read(&mut Sinks {
                    on_row: |row| on_row(&mut share, &mut pricer, row).map_err(Stop),
                    on_reject: |_: Rejected| Err(Stop(NeedsSequential::Unaligned)),
                })
            });
        let why = match read {
            Ok(summary) if !summary.misaligned => match share.collector.end_part(index) {
                Ok(()) => {
                    if let InputPart::Whole(index) = part {
                        share.summaries.push((*index, summary));
                    }
                    continue;
                }
                Err(_) => NeedsSequential::Collecting,
            },
            Ok(_) => NeedsSequential::Unaligned,
            Err(Stop(why)) => why,
        };
        queue.stop();
        return PartOutcome::NeedsSequential(why);
    }
    PartOutcome::Read(Box::new(share))
}
