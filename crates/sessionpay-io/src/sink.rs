//! Where a reader hands its rows ([`RowSink`]) and what it keeps from one
//! input to the next ([`ReadCache`]): the types every reader module shares,
//! kept apart from the [`Reader`](crate::Reader) that drives them.

use crate::error::Error;
use crate::row::{Names, ParsedRow, RowParser};

/// Where a reader hands its rows: good rows to [`RowSink::row`], rows that
/// cannot be read to [`RowSink::reject`]. Either stops the read by returning
/// an error, which comes back from [`Reader::read`](crate::Reader::read) as it is. Errors of the
/// input as a whole (broken syntax, a missing column, I/O) always stop, as
/// the sink's own error type made from the reader's [`Error`].
pub trait RowSink {
    /// What stops a read: the reader's errors become one of these.
    type Error: From<Error>;

    /// Takes a good row.
    ///
    /// # Errors
    /// Whatever the sink wants the read to stop with.
    fn row(&mut self, row: ParsedRow) -> Result<(), Self::Error>;

    /// Takes a row that cannot be read; by default it stops the read.
    ///
    /// # Errors
    /// Whatever the sink wants the read to stop with.
    fn reject(&mut self, rejected: Rejected) -> Result<(), Self::Error> {
        Err(rejected.error.into())
    }
}

/// Every row, kept; the first bad row stops the read.
impl RowSink for Vec<ParsedRow> {
    type Error = Error;

    fn row(&mut self, row: ParsedRow) -> Result<(), Error> {
        self.push(row);
        Ok(())
    }
}

/// A closure over good rows; the first bad row stops the read.
impl<F, E> RowSink for F
where
    F: FnMut(ParsedRow) -> Result<(), E>,
    E: From<Error>,
{
    type Error = E;

    fn row(&mut self, row: ParsedRow) -> Result<(), E> {
        self(row)
    }
}

/// Two closures as a sink: one over good rows, one over bad rows.
#[derive(Debug)]
pub struct Sinks<R, J> {
    /// Takes each good row.
    pub on_row: R,
    /// Takes each bad row.
    pub on_reject: J,
}

impl<R, J, E> RowSink for Sinks<R, J>
where
    R: FnMut(ParsedRow) -> Result<(), E>,
    J: FnMut(Rejected) -> Result<(), E>,
    E: From<Error>,
{
    type Error = E;

    fn row(&mut self, row: ParsedRow) -> Result<(), E> {
        (self.on_row)(row)
    }

    fn reject(&mut self, rejected: Rejected) -> Result<(), E> {
        (self.on_reject)(rejected)
    }
}

/// What a reader learns from its rows (each distinct rate, zone and name
/// parsed once) and its read buffer, kept from one read to the next: a
/// worker takes many small parts for the price of one large one.
#[derive(Debug)]
pub struct ReadCache {
    pub(crate) parser: RowParser,
    /// The buffer a part's splitter reads into, handed from one part to the next.
    pub(crate) buf: Vec<u8>,
    /// The fast JSON path's caches.
    pub(crate) fast: crate::fastjson::FastJson,
    /// The buffer JSON text is read into, reused from read to read.
    pub(crate) json_buf: Vec<u8>,
}

impl ReadCache {
    /// A cache for reads keeping `names` in the sessions they make.
    pub fn new(names: Names) -> ReadCache {
        ReadCache {
            parser: RowParser::new(names),
            buf: Vec::new(),
            fast: crate::fastjson::FastJson::new(names),
            json_buf: Vec::new(),
        }
    }
}

/// A row that could not be read, with where it is, why, and its text.
#[derive(Debug)]
pub struct Rejected {
    /// Why, naming the file, the place, the column and the value.
    pub error: Error,
    /// The row as it stands in the input (lossy UTF-8), for the rejects file.
    pub raw: String,
}

/// Hands a row that cannot be read to the sink, its text made only then.
pub(crate) fn reject<S: RowSink>(
    sink: &mut S,
    error: Error,
    raw: impl FnOnce() -> String,
) -> Result<(), S::Error> {
    sink.reject(Rejected { error, raw: raw() })
}
