//! The one way to read rows: a [`Reader`] over a source (an input, any byte
//! stream, a part of a large CSV file) handing each row to a [`RowSink`]
//! whose errors are the caller's own.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::atomic::AtomicU64;

use crate::columns::ColumnMap;
use crate::error::Error;
use crate::parts::CsvPart;
use crate::read::{Counting, Input, Shape, Summary};
use crate::row::Names;
pub use crate::sink::{ReadCache, RowSink, Sinks};

enum Source<'a> {
    Input(&'a Input),
    Bytes(Box<dyn Read + 'a>, &'a Path),
    Part(&'a CsvPart),
    Ndjson(&'a crate::ranges::NdjsonPart),
}

/// One read of one source, set up step by step and run by [`Reader::read`].
///
/// ```
/// use std::path::Path;
/// use sessionpay_io::{Reader, Shape};
///
/// let csv = "id,instructor.id,starts_at,venue.id,venue_timezone,hours,attended_count,no_show_count,\
/// late_cancel_count,comped_counts.attended,instructor_pay_rate.id,instructor_pay_rate.type,\
/// instructor_pay_rate.base,instructor_pay,instructor_pay_calculation_pending\n\
/// 1,7,2026-05-02T09:00:00Z,101,Europe/London,1,4,0,0,0,3,per_customer,5,£20.00,false\n";
/// let mut rows = Vec::new();
/// Reader::bytes(csv.as_bytes(), Path::new("x.csv")).shape(Shape::Csv).read(&mut rows)?;
/// assert_eq!(rows[0].draft.id.0, 1);
/// # Ok::<(), sessionpay_io::Error>(())
/// ```
pub struct Reader<'a> {
    source: Source<'a>,
    shape: Option<Shape>,
    columns: Option<&'a ColumnMap>,
    counter: Option<&'a AtomicU64>,
    cache: Option<&'a mut ReadCache>,
}

impl<'a> Reader<'a> {
    fn new(source: Source<'a>) -> Reader<'a> {
        Reader {
            source,
            shape: None,
            columns: None,
            counter: None,
            cache: None,
        }
    }

    /// Reads an input: a file, or standard input, in the shape and with the
    /// header labels the input names.
    pub fn input(input: &'a Input) -> Reader<'a> {
        Reader {
            shape: input.shape,
            columns: Some(&input.columns),
            ..Reader::new(Source::Input(input))
        }
    }

    /// Reads any byte stream, named `path` in messages; its shape is sniffed
    /// from the content unless [`Reader::shape`] gives it.
    pub fn bytes(reader: impl Read + 'a, path: &'a Path) -> Reader<'a> {
        Reader::new(Source::Bytes(Box::new(reader), path))
    }

    /// Reads the records of one part of a CSV file (see
    /// [`crate::plan_input_parts`]). The summary says whether the part was
    /// misaligned. Row positions in messages are only right for the first
    /// part: on any error in a later part, read the file again in one pass.
    pub fn part(part: &'a CsvPart) -> Reader<'a> {
        Reader::new(Source::Part(part))
    }

    /// A reader of one byte range of an NDJSON file, as
    /// [`crate::plan_parts`] planned it.
    pub fn ndjson_part(part: &'a crate::ranges::NdjsonPart) -> Reader<'a> {
        Reader::new(Source::Ndjson(part))
    }

    /// The shape, when the caller knows it.
    #[must_use]
    pub fn shape(mut self, shape: Shape) -> Reader<'a> {
        self.shape = Some(shape);
        self
    }

    /// The studio's own header labels.
    #[must_use]
    pub fn columns(mut self, columns: &'a ColumnMap) -> Reader<'a> {
        self.columns = Some(columns);
        self
    }

    /// Adds the bytes read to `counter` as the read goes (for a progress bar).
    #[must_use]
    pub fn counter(mut self, counter: &'a AtomicU64) -> Reader<'a> {
        self.counter = Some(counter);
        self
    }

    /// Keeps what the read learns in `cache`, for the next read; without
    /// one, every name is kept and nothing outlives the read.
    #[must_use]
    pub fn cache(mut self, cache: &'a mut ReadCache) -> Reader<'a> {
        self.cache = Some(cache);
        self
    }

    /// Reads every row into `sink`, streaming.
    ///
    /// # Errors
    /// An error of the source as a whole, or what the sink returns.
    pub fn read<S: RowSink>(self, sink: &mut S) -> Result<Summary, S::Error> {
        let uncounted = AtomicU64::new(0);
        let counter = self.counter.unwrap_or(&uncounted);
        let mut own = None;
        let cache = match self.cache {
            Some(cache) => cache,
            None => own.insert(ReadCache::new(Names::All)),
        };
        let default_columns = ColumnMap::default();
        let columns = self.columns.unwrap_or(&default_columns);
        match self.source {
            Source::Input(input) => {
                let name = input.display_path();
                let reader: Box<dyn Read> = if input.is_stdin() {
                    Box::new(io::stdin().lock())
                } else {
                    let file = File::open(&input.path).map_err(|e| Error::io(&name, e))?;
                    if self.shape == Some(Shape::Json) && crate::json_stream::is_large(&file) {
                        // A response larger than a page is streamed.
                        return crate::json_stream::stream_file(
                            file,
                            &input.path,
                            columns,
                            counter,
                            cache,
                            sink,
                        );
                    }
                    Box::new(file)
                };
                let reader = Counting {
                    inner: reader,
                    counter,
                };
                crate::read::read_text(reader, self.shape, &name, columns, cache, sink)
            }
            Source::Bytes(reader, path) => {
                let reader = Counting {
                    inner: reader,
                    counter,
                };
                crate::read::read_text(reader, self.shape, path, columns, cache, sink)
            }
            Source::Part(part) => crate::parts::read_part(part, counter, cache, sink),
            Source::Ndjson(part) => crate::plan::read_ndjson_part(part, counter, cache, sink),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::row::ParsedRow;
    use crate::sink::Rejected;

    const CSV: &str =
        "id,instructor.id,starts_at,venue.id,venue_timezone,hours,attended_count,no_show_count,\
late_cancel_count,comped_counts.attended,instructor_pay_rate.id,instructor_pay_rate.type,\
instructor_pay_rate.base,instructor_pay,instructor_pay_calculation_pending\n\
1,7,2026-05-02T09:00:00Z,101,Europe/London,1,4,0,0,0,3,per_customer,5,£20.00,false\n\
2,7,2026-05-03T09:00:00Z,101,Europe/London,1,4,0,0,0,3,per_customer,5,£20.00,false\n";

    /// A sink's own reason to stop.
    #[derive(Debug, PartialEq)]
    enum Stop {
        Enough,
        Reader(String),
    }

    impl From<Error> for Stop {
        fn from(e: Error) -> Stop {
            Stop::Reader(e.to_string())
        }
    }

    fn read(csv: &str, sink: &mut impl RowSink<Error = Stop>) -> Result<Summary, Stop> {
        Reader::bytes(csv.as_bytes(), Path::new("x.csv"))
            .shape(Shape::Csv)
            .read(sink)
    }

    #[test]
    fn a_sink_stop_comes_back_as_its_own_reason() {
        let mut rows = 0;
        let stopped = read(CSV, &mut |_| {
            rows += 1;
            Err(Stop::Enough)
        });
        assert_eq!(stopped.unwrap_err(), Stop::Enough);
        assert_eq!(rows, 1, "the reader stops at the first stop");
    }

    #[test]
    fn a_sink_stop_in_a_json_response_ends_the_read_wherever_it_comes() {
        let row = |id: u32| {
            format!(
                r#"{{"id": {id}, "instructor": {{"id": 7}}, "starts_at": "2026-05-02T09:00:00Z",
                "venue": {{"id": 101}}, "venue_timezone": "Europe/London", "hours": 1,
                "attended_count": 4, "no_show_count": 0, "late_cancel_count": 0,
                "comped_counts": {{"attended": 0}},
                "instructor_pay_rate": {{"id": 3, "type": "per_customer", "base": 5}},
                "instructor_pay": "£20.00", "instructor_pay_calculation_pending": false}}"#
            )
        };
        let rows = [row(1), row(2), row(3)].join(", ");
        // "total" after "rows", and a second response after the first: neither is read.
        let json = format!(r#"{{"rows": [{rows}], "total": 3}} {{"rows": [{rows}]}}"#);
        for stop_at in [1, 2, 3] {
            let mut seen = Vec::new();
            let read = Reader::bytes(json.as_bytes(), Path::new("r.json"))
                .shape(Shape::Json)
                .read(&mut |row: ParsedRow| {
                    seen.push(row.draft.id.0);
                    if row.draft.id.0 == stop_at {
                        Err(Stop::Enough)
                    } else {
                        Ok(())
                    }
                });
            assert_eq!(read.unwrap_err(), Stop::Enough, "stopping at row {stop_at}");
            assert_eq!(seen, (1..=stop_at).collect::<Vec<u64>>());
        }
        let mut all = Vec::new();
        let summary = Reader::bytes(json.as_bytes(), Path::new("r.json"))
            .read(&mut all)
            .unwrap();
        assert_eq!(all.len(), 6);
        assert_eq!(summary.total, Some(3));
    }

    #[test]
    fn a_read_to_the_end_and_a_reader_error_are_told_apart() {
        let mut rows = 0;
        let read_all = read(CSV, &mut |_| {
            rows += 1;
            Ok(())
        });
        assert!(read_all.is_ok());
        assert_eq!(rows, 2);
        match read("id\n1\n", &mut |_| Ok(())) {
            Err(Stop::Reader(e)) => assert!(e.contains("x.csv"), "{e}"),
            other => panic!("a header without the needed columns fails the reader: {other:?}"),
        }
    }

    #[test]
    fn bad_rows_go_to_the_reject_sink_and_reading_goes_on() {
        let bad = CSV.replace("2026-05-03T09", "tomorrow");
        let mut good = Vec::new();
        let mut bad_rows = Vec::new();
        let summary = read(
            &bad,
            &mut Sinks {
                on_row: |row: ParsedRow| {
                    good.push(row.draft.id.0);
                    Ok(())
                },
                on_reject: |r: Rejected| {
                    bad_rows.push(r.raw);
                    Ok(())
                },
            },
        );
        assert!(summary.is_ok());
        assert_eq!(good, [1]);
        assert_eq!(bad_rows.len(), 1);
        assert!(bad_rows[0].starts_with("2,7,tomorrow"), "{bad_rows:?}");
        // A vector of rows stops at the bad one, with the reader's error.
        let mut rows = Vec::new();
        let err = Reader::bytes(bad.as_bytes(), Path::new("x.csv"))
            .read(&mut rows)
            .unwrap_err();
        assert!(err.to_string().contains("starts_at"), "{err}");
        assert_eq!(rows.len(), 1);
    }
}
