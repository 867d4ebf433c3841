//! Where the engine meets the io readers' callbacks.
//!
//! The readers push rows into closures that must return an io `Result`, and
//! stop at the first `Err`. The engine's own reasons to stop (a real error,
//! or "this needs the sequential pass") are kept here, the reader is handed a
//! marker it only passes back, and what comes out is typed again: this is
//! the only place the marker exists.

use std::path::PathBuf;

use sessionpay_io::{ParsedRow, Rejected, Sinks};

/// How a read through [`read_fed`] ended.
pub(crate) enum Fed<T, S> {
    /// The reader went to the end.
    Read(T),
    /// A callback stopped it, for this reason.
    Stopped(S),
    /// The reader failed by itself.
    Failed(sessionpay_io::Error),
}

/// Runs `read` with sinks over `on_row` and `on_reject`, whose errors are
/// the caller's own type `S`.
pub(crate) fn read_fed<T, S>(
    on_row: &mut impl FnMut(ParsedRow) -> Result<(), S>,
    on_reject: &mut impl FnMut(Rejected) -> Result<(), S>,
    read: impl FnOnce(&mut Sinks<'_>) -> sessionpay_io::Result<T>,
) -> Fed<T, S> {
    let mut row_stop: Option<S> = None;
    let mut reject_stop: Option<S> = None;
    let outcome = read(&mut Sinks {
        on_row: &mut |row| {
            on_row(row).map_err(|stop| {
                row_stop = Some(stop);
                marker()
            })
        },
        on_reject: &mut |rejected| {
            on_reject(rejected).map_err(|stop| {
                reject_stop = Some(stop);
                marker()
            })
        },
    });
    match (row_stop.or(reject_stop), outcome) {
        (Some(stop), _) => Fed::Stopped(stop),
        (None, Ok(done)) => Fed::Read(done),
        (None, Err(e)) => Fed::Failed(e),
    }
}

/// What a reader is given to stop it; it never leaves [`read_fed`].
fn marker() -> sessionpay_io::Error {
    sessionpay_io::Error::Shape {
        path: PathBuf::new(),
        problem: "stopped by the engine".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::path::Path;

    const CSV: &str =
        "id,instructor.id,starts_at,venue.id,venue_timezone,hours,attended_count,no_show_count,\
late_cancel_count,comped_counts.attended,instructor_pay_rate.id,instructor_pay_rate.type,\
instructor_pay_rate.base,instructor_pay,instructor_pay_calculation_pending\n\
1,7,2026-05-02T09:00:00Z,101,Europe/London,1,4,0,0,0,3,per_customer,5,£20.00,false\n\
2,7,2026-05-03T09:00:00Z,101,Europe/London,1,4,0,0,0,3,per_customer,5,£20.00,false\n";

    fn read(csv: &str, sinks: &mut Sinks<'_>) -> sessionpay_io::Result<()> {
        sessionpay_io::read_from_with(
            csv.as_bytes(),
            Some(sessionpay_io::Shape::Csv),
            Path::new("x.csv"),
            sinks,
        )
    }

    #[test]
    fn a_callback_stop_comes_back_as_its_own_reason() {
        let mut rows = 0;
        let fed = read_fed(
            &mut |_| {
                rows += 1;
                Err("enough")
            },
            &mut |_| Ok(()),
            |sinks| read(CSV, sinks),
        );
        assert!(matches!(fed, Fed::Stopped("enough")));
        assert_eq!(rows, 1, "the reader stops at the first stop");
    }

    #[test]
    fn a_read_to_the_end_and_a_reader_error_are_told_apart() {
        let fed: Fed<(), ()> = read_fed(&mut |_| Ok(()), &mut |_| Ok(()), |sinks| read(CSV, sinks));
        assert!(matches!(fed, Fed::Read(())));
        let fed: Fed<(), ()> = read_fed(&mut |_| Ok(()), &mut |_| Ok(()), |sinks| read("id\n1\n", sinks));
        match fed {
            Fed::Failed(e) => assert!(e.to_string().contains("x.csv"), "{e}"),
            _ => panic!("a header without the needed columns fails the reader"),
        }
    }
}
