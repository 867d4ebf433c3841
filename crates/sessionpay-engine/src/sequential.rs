//! The reference pass: inputs in order, rows in order. A row whose currency
//! only later rows can tell waits until every input is read; a session id
//! seen before is counted once when the rows are the same and is an error
//! when they differ.

use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;

use rustc_hash::FxHasher;
use sessionpay_core::{CurrencyBook, RateTable, Session, Settled};
use sessionpay_io::{Error as IoError, Input, Location, ParsedRow, Place, Reader, Rejected, Sinks};

use crate::seen::{Seen, SeenPlaces};
use crate::{Collector, Item, Pricer, Pricing, RejectSink, Result, SeenIds, Stats};

fn content_hash(session: &Session) -> u64 {
    let mut hasher = FxHasher::default();
    session.hash(&mut hasher);
    hasher.finish()
}

/// The place of `location` in input number `input` of `names`.
fn place_in(names: &[PathBuf], input: u32, location: Location) -> Place {
    Place {
        path: names[input as usize].clone(),
        location,
    }
}

/// Settles duplicates and hands each new session to the collector.
struct Accept<'a, C> {
    names: Vec<PathBuf>,
    pricer: Pricer<'a>,
    collector: &'a mut C,
    seen: SeenPlaces,
    stats: Stats,
}

impl<C: Collector> Accept<'_, C> {
    fn place(&self, input: u32, location: Location) -> Place {
        place_in(&self.names, input, location)
    }

    fn session(&mut self, input: u32, location: Location, session: Session) -> Result<()> {
        let hash = content_hash(&session);
        let id = session.id.0;
        let here = Seen {
            hash,
            input,
            location,
        };
        let first = self
            .seen
            .first_or_insert(id, here)
            .map_err(|source| crate::Error::Write {
                path: self.seen.folder().map_or_else(
                    || PathBuf::from("(the session ids seen)"),
                    |folder| folder.join("(the temporary file of the session ids seen)"),
                ),
                source,
            })?;
        match first {
            Some(first) if first.hash == hash => {
                self.stats.duplicates += 1;
                if self.stats.first_duplicate.is_none() {
                    self.stats.first_duplicate = Some((
                        id,
                        self.place(first.input, first.location),
                        self.place(input, location),
                    ));
                }
                return Ok(());
            }
            Some(first) => {
                // Name the two places in input order, whichever was handled first.
                let mut places = [(first.input, first.location), (input, location)];
                places.sort();
                return Err(IoError::ConflictingDuplicate {
                    id,
                    first: self.place(places[0].0, places[0].1),
                    second: self.place(places[1].0, places[1].1),
                }
                .into());
            }
            None => self.stats.seen.add(&session),
        }
        let names = &self.names;
        let item = C::Item::from_session(session, &mut self.pricer, || place_in(names, input, location))?;
        self.collector.add(item)
    }
}

/// Reads every input in order into `collector`, rows that cannot be read to
/// `rejects` when given (else the first stops the run).
pub(crate) fn run<C: Collector>(
    inputs: &[Input],
    table: &RateTable,
    pricing: &Pricing,
    counter: &AtomicU64,
    collector: &mut C,
    mut rejects: Option<RejectSink<'_>>,
    options: &crate::RunOptions,
) -> Result<Stats> {
    let mut book = CurrencyBook::new(table.venue_currencies.clone());
    let mut accept = Accept {
        names: inputs.iter().map(Input::display_path).collect(),
        pricer: pricing.pricer(),
        collector,
        seen: SeenPlaces::new(options.spill_folder.as_deref()),
        stats: Stats {
            workers: 1,
            seen: SeenIds::new(options.seen_ids),
            ..Stats::default()
        },
    };
    let mut deferred: Vec<(u32, ParsedRow)> = Vec::new();
    let mut pages = sessionpay_io::PageCheck::new();
    // One cache for every input: a folder of pages learns its rates once,
    // not once a page.
    let mut cache = sessionpay_io::ReadCache::new(sessionpay_io::Names::All);

    for (index, input) in inputs.iter().enumerate() {
        let index = index as u32;
        let path = input.display_path();
        let on_reject = |rejected: Rejected| -> Result<()> {
            match rejects.as_mut() {
                Some(sink) => sink(rejected),
                None => Err(rejected.error.into()),
            }
        };
        let on_row = |row: ParsedRow| -> Result<()> {
            accept.stats.rows += 1;
            let location = row.location;
            let settled = book
                .settle(row.draft, &row.evidence)
                .map_err(|source| IoError::Core {
                    place: Place {
                        path: path.clone(),
                        location,
                    },
                    source,
                })?;
            match settled {
                Settled::Now(session) => accept.session(index, location, session),
                Settled::Later(draft) => {
                    deferred.push((index, ParsedRow { draft, ..row }));
                    Ok(())
                }
            }
        };
        let mut summary = Reader::input(input)
            .counter(counter)
            .cache(&mut cache)
            .read(&mut Sinks { on_row, on_reject })?;
        accept.stats.notes.append(&mut summary.notes);
        pages.add(input, summary)?;
    }
    pages.finish()?;
    for (index, row) in deferred {
        let session = book
            .settle_late(row.draft, &row.evidence)
            .map_err(|source| IoError::Core {
                place: accept.place(index, row.location),
                source,
            })?;
        accept.session(index, row.location, session)?;
    }
    Ok(accept.stats)
}
