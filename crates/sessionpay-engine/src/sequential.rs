//! The reference pass: inputs in order, rows in order. A row whose currency
//! only later rows can tell waits until every input is read; a session id
//! seen before is counted once when the rows are the same and is an error
//! when they differ.

use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;

use rustc_hash::{FxHashMap as HashMap, FxHasher};
use sessionpay_core::{CurrencyBook, RateTable};
use sessionpay_io::{Error as IoError, Input, Location, ParsedRow, Place, Rejected};

use crate::feed::{read_fed, Fed};
use crate::{Collector, Error, Item, Pricing, RejectSink, Result, Stats};

/// Where a session id was first seen, and what its row held.
struct Seen {
    hash: u64,
    input: u32,
    location: Location,
}

fn content_hash(row: &ParsedRow) -> u64 {
    let mut hasher = FxHasher::default();
    row.session.hash(&mut hasher);
    hasher.finish()
}

/// Settles duplicates and hands each new session to the collector.
struct Accept<'a, C> {
    names: Vec<PathBuf>,
    pricing: &'a Pricing,
    collector: &'a mut C,
    seen: HashMap<u64, Seen>,
    stats: Stats,
}

impl<C: Collector> Accept<'_, C> {
    fn place(&self, input: u32, location: Location) -> Place {
        Place {
            path: self.names[input as usize].clone(),
            location,
        }
    }

    fn row(&mut self, input: u32, row: ParsedRow) -> Result<()> {
        let hash = content_hash(&row);
        let id = row.session.id.0;
        match self.seen.get(&id) {
            Some(first) if first.hash == hash => {
                self.stats.duplicates += 1;
                if self.stats.first_duplicate.is_none() {
                    self.stats.first_duplicate = Some((
                        id,
                        self.place(first.input, first.location),
                        self.place(input, row.location),
                    ));
                }
                return Ok(());
            }
            Some(first) => {
                // Name the two places in input order, whichever was handled first.
                let mut places = [(first.input, first.location), (input, row.location)];
                places.sort();
                return Err(IoError::ConflictingDuplicate {
                    id,
                    first: self.place(places[0].0, places[0].1),
                    second: self.place(places[1].0, places[1].1),
                }
                .into());
            }
            None => {
                self.stats.seen.add(&row.session);
                self.seen.insert(
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
        let item = C::Item::from_session(row.session, self.pricing, || self.place(input, location))?;
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
) -> Result<Stats> {
    let mut book = CurrencyBook::new(table.venue_currencies.clone());
    let mut accept = Accept {
        names: inputs.iter().map(Input::display_path).collect(),
        pricing,
        collector,
        seen: HashMap::default(),
        stats: Stats {
            workers: 1,
            ..Stats::default()
        },
    };
    let mut deferred: Vec<(u32, ParsedRow)> = Vec::new();
    let mut pages = sessionpay_io::PageCheck::new();

    for (index, input) in inputs.iter().enumerate() {
        let index = index as u32;
        let path = input.display_path();
        let mut on_reject = |rejected: Rejected| -> Result<()> {
            match rejects.as_mut() {
                Some(sink) => sink(rejected),
                None => Err(rejected.error.into()),
            }
        };
        let mut on_row = |mut row: ParsedRow| -> Result<()> {
            accept.stats.rows += 1;
            let currency = book
                .decide(row.session.venue, &row.evidence)
                .map_err(|source| IoError::Core {
                    place: Place {
                        path: path.clone(),
                        location: row.location,
                    },
                    source,
                })?;
            match currency {
                Some(currency) => {
                    row.session.currency = currency;
                    accept.row(index, row)
                }
                None => {
                    deferred.push((index, row));
                    Ok(())
                }
            }
        };
        let fed = read_fed(&mut on_row, &mut on_reject, |sinks| {
            sessionpay_io::read_input_summary(input, counter, sinks)
        });
        match fed {
            Fed::Read(mut summary) => {
                accept.stats.notes.append(&mut summary.notes);
                pages.add(input, summary)?;
            }
            Fed::Stopped(e) => return Err(e),
            Fed::Failed(e) => return Err(Error::Io(e)),
        }
    }
    pages.finish()?;
    for (index, mut row) in deferred {
        let currency = book
            .decide_late(row.session.venue, &row.evidence)
            .map_err(|source| IoError::Core {
                place: accept.place(index, row.location),
                source,
            })?;
        row.session.currency = currency;
        accept.row(index, row)?;
    }
    Ok(accept.stats)
}
