//! Reading every input once: currencies settled, duplicates counted once,
//! each session priced and reconciled, then handed on.

use std::hash::{Hash, Hasher};
use std::path::PathBuf;

use rust_decimal::Decimal;
use rustc_hash::{FxHashMap as HashMap, FxHasher};
use sessionpay_core::{compute_pay, reconcile, CurrencyBook, RateTable};
use sessionpay_io::{Error, Input, Location, ParsedRow, Place, SessionLine};

/// What the pipeline saw, for the notes on stderr.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    /// Rows read, duplicates included.
    pub(crate) rows: u64,
    /// Rows that repeated an earlier row exactly and were counted once.
    pub(crate) duplicates: u64,
    /// The first such repeat, for the note.
    pub(crate) first_duplicate: Option<(u64, Place, Place)>,
}

struct Seen {
    hash: u64,
    input: u32,
    location: Location,
}

/// Reads `inputs` in order and hands every distinct session, priced and
/// reconciled, to `sink`.
///
/// Rows whose currency only other rows can tell are held until the end.
pub(crate) fn run(
    inputs: &[Input],
    table: &RateTable,
    tolerance: Decimal,
    sink: &mut dyn FnMut(SessionLine) -> anyhow::Result<()>,
) -> anyhow::Result<Stats> {
    let mut book = CurrencyBook::new(table.venue_currencies.clone());
    let mut seen: HashMap<u64, Seen> = HashMap::default();
    let mut stats = Stats::default();
    let mut deferred: Vec<(u32, ParsedRow)> = Vec::new();
    let names: Vec<PathBuf> = inputs.iter().map(Input::display_path).collect();
    let place = |input: u32, location: Location| Place {
        path: names[input as usize].clone(),
        location,
    };
    let mut failure: Option<anyhow::Error> = None;

    let mut accept = |input: u32,
                      row: ParsedRow,
                      seen: &mut HashMap<u64, Seen>,
                      stats: &mut Stats|
     -> anyhow::Result<()> {
        let session = row.session;
        let mut hasher = FxHasher::default();
        session.hash(&mut hasher);
        let hash = hasher.finish();
        match seen.get(&session.id.0) {
            Some(first) if first.hash == hash => {
                stats.duplicates += 1;
                if stats.first_duplicate.is_none() {
                    stats.first_duplicate = Some((
                        session.id.0,
                        place(first.input, first.location),
                        place(input, row.location),
                    ));
                }
                return Ok(());
            }
            Some(first) => {
                // Name the two places in input order, whichever was handled first.
                let mut places = [(first.input, first.location), (input, row.location)];
                places.sort();
                return Err(Error::ConflictingDuplicate {
                    id: session.id.0,
                    first: place(places[0].0, places[0].1),
                    second: place(places[1].0, places[1].1),
                }
                .into());
            }
            None => {
                seen.insert(
                    session.id.0,
                    Seen {
                        hash,
                        input,
                        location: row.location,
                    },
                );
            }
        }
        let policy = match &session.rate {
            Some(rate) => table.policy_for(rate.id),
            None => table.default_policy(),
        };
        let core_error = |source| Error::Core {
            place: place(input, row.location),
            source,
        };
        let pay = compute_pay(&session, &policy).map_err(core_error)?;
        let rec = reconcile(&session, &policy, &pay, tolerance).map_err(core_error)?;
        sink(SessionLine { session, pay, rec })
    };

    for (index, input) in inputs.iter().enumerate() {
        let index = index as u32;
        let path = input.display_path();
        let outcome = sessionpay_io::read_input(input, &mut |mut row| {
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
        });
        if let Err(e) = outcome {
            return Err(failure.take().unwrap_or_else(|| e.into()));
        }
    }
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
