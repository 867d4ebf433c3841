//! Splitting one large CSV file into byte ranges that can be read in parallel.
//!
//! Each range starts just after a newline. Whether that newline really ends a
//! record (and is not inside a quoted field) is only known once the range
//! before it has been read: a part's [`crate::Summary`] says whether its last
//! record ended exactly where the next range starts. When a part is
//! misaligned, the caller reads the file again in one pass.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use std::sync::atomic::AtomicU64;

use crate::columns::ColumnMap;
use crate::error::{Error, Result};
use crate::read::{
    is_plain_csv, read_csv_header, read_csv_records, read_head, Counting, CsvHeader, Input, Summary,
};
use crate::sink::{ReadCache, RowSink};
use crate::split::Splitter;

/// One byte range of a CSV file, ready to read on its own.
#[derive(Debug, Clone)]
pub struct CsvPart {
    path: PathBuf,
    header: Arc<CsvHeader>,
    start: u64,
    end: u64,
    /// The file's size when it was planned (a file that changes underneath is refused).
    size: u64,
}

impl CsvPart {
    /// The byte range `[start, end)`.
    pub fn range(&self) -> (u64, u64) {
        (self.start, self.end)
    }
}

/// Plans up to `parts` ranges of a CSV file of at least `min_bytes` of data;
/// `None` for a smaller file (not worth splitting), and for anything but a
/// regular file: a named pipe can be read only once, in one pass, so it is
/// not even opened here.
///
/// # Errors
/// [`Error::Io`], or a bad header (as the sequential reader reports it).
pub fn plan_csv_parts(path: &Path, parts: usize, min_bytes: u64) -> Result<Option<Vec<CsvPart>>> {
    plan_parts(path, &ColumnMap::default(), parts, min_bytes)
}

/// [`plan_csv_parts`] for an input, with its header labels; `None` as well
/// for a file that is not UTF-8 and comma-separated (a spreadsheet re-save,
/// a workbook), which is read in one pass through the normalising reader.
///
/// # Errors
/// As [`plan_csv_parts`].
pub fn plan_input_parts(input: &Input, parts: usize, min_bytes: u64) -> Result<Option<Vec<CsvPart>>> {
    plan_parts(&input.path, &input.columns, parts, min_bytes)
}

fn plan_parts(path: &Path, map: &ColumnMap, parts: usize, min_bytes: u64) -> Result<Option<Vec<CsvPart>>> {
    if !std::fs::metadata(path).map_err(|e| Error::io(path, e))?.is_file() {
        return Ok(None);
    }
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let size = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let (head, complete) = read_head(&mut file, path)?;
    if !is_plain_csv(&head, complete, map) {
        return Ok(None);
    }
    file.rewind().map_err(|e| Error::io(path, e))?;
    let (header, data_start) = {
        let mut split = Splitter::new(&mut file, 0, u64::MAX);
        let header = read_csv_header(&mut split, path, map)?;
        (header, split.offset())
    };
    let data = size.saturating_sub(data_start);
    if parts < 2 || data < min_bytes {
        return Ok(None);
    }
    let header = Arc::new(header);
    plan_line_ranges(&mut file, path, data_start, size, parts, |start, end| CsvPart {
        path: path.to_path_buf(),
        header: Arc::clone(&header),
        start,
        end,
        size,
    })
}

/// Splits `[data_start, size)` of `file` into up to `parts` ranges, each
/// starting just after a newline found from an even split, and makes a part
/// of each with `part(start, end)`; `None` when that leaves a single range.
pub(crate) fn plan_line_ranges<P>(
    file: &mut File,
    path: &Path,
    data_start: u64,
    size: u64,
    parts: usize,
    mut part: impl FnMut(u64, u64) -> P,
) -> Result<Option<Vec<P>>> {
    let data = size.saturating_sub(data_start);
    let mut starts = vec![data_start];
    for k in 1..parts as u64 {
        let guess = data_start + data * k / parts as u64;
        match next_line_start(file, guess, size).map_err(|e| Error::io(path, e))? {
            Some(s) if s > *starts.last().unwrap_or(&0) && s < size => starts.push(s),
            _ => {}
        }
    }
    starts.push(size);
    let plan = starts.windows(2).map(|w| part(w[0], w[1])).collect::<Vec<_>>();
    Ok((plan.len() > 1).then_some(plan))
}

/// Opens a planned part's file at `start`, refusing one whose size is no
/// longer the `size` it had when it was planned.
pub(crate) fn open_part(path: &Path, start: u64, size: u64) -> Result<File> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let now = file.metadata().map_err(|e| Error::io(path, e))?.len();
    if now != size {
        return Err(Error::Shape {
            path: path.to_path_buf(),
            problem: "the file changed while it was being read".into(),
        });
    }
    file.seek(SeekFrom::Start(start))
        .map_err(|e| Error::io(path, e))?;
    Ok(file)
}

/// The offset just after the first `\n` at or after `from - 1`.
fn next_line_start(file: &mut File, from: u64, size: u64) -> std::io::Result<Option<u64>> {
    let mut at = from.saturating_sub(1);
    file.seek(SeekFrom::Start(at))?;
    // A row is a few hundred bytes: a page at a time finds its end without
    // zeroing and reading a large buffer for each of the many split points.
    let mut buf = [0u8; 4096];
    while at < size {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        if let Some(i) = memchr::memchr(b'\n', &buf[..n]) {
            return Ok(Some(at + i as u64 + 1));
        }
        at += n as u64;
    }
    Ok(None)
}

/// Reads the records of one part into `sink`, with what `cache` learned
/// from the parts before; the summary says whether the part was misaligned:
/// its last record did not end exactly at the part's end, because a quoted
/// field spanned the split.
pub(crate) fn read_part<S: RowSink>(
    part: &CsvPart,
    counter: &AtomicU64,
    cache: &mut ReadCache,
    sink: &mut S,
) -> Result<Summary, S::Error> {
    let path = &part.path;
    let file = open_part(path, part.start, part.size)?;
    let mut buf = std::mem::take(&mut cache.buf);
    if buf.is_empty() {
        buf = vec![0; PART_BUFFER];
    }
    let mut split = Splitter::reusing(Counting { inner: file, counter }, part.start, part.end, buf);
    let read = read_csv_records(&mut split, &part.header, path, &mut cache.parser, sink);
    let misaligned = split.offset() != part.end;
    cache.buf = split.into_buffer();
    read.map(|()| Summary {
        misaligned,
        ..Summary::default()
    })
}

/// The read buffer of a part: small enough to stay in a core's L2 cache
/// between the kernel's copy into it and the splitter's pass (as the NDJSON
/// reader's).
const PART_BUFFER: usize = 1 << 17;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::row::{Names, ParsedRow};
    use crate::source::{Reader, Sinks};
    use std::io::Write;

    /// The ids of a part's rows, and whether it was aligned.
    fn read_ids(part: &CsvPart, ids: &mut Vec<u64>) -> Result<bool> {
        let summary = Reader::part(part).read(&mut |row: ParsedRow| {
            ids.push(row.draft.id.0);
            Ok::<_, Error>(())
        })?;
        Ok(!summary.misaligned)
    }

    /// The required columns and a name, last.
    const HEADER: &str = "id,instructor.id,starts_at,venue.id,venue_timezone,hours,attended_count,\
        no_show_count,late_cancel_count,comped_counts.attended,instructor_pay_rate.id,\
        instructor_pay_rate.type,instructor_pay_rate.base,instructor_pay,\
        instructor_pay_calculation_pending,name\n";

    #[test]
    fn parts_cover_the_file_and_a_quoted_newline_is_caught() {
        let mut rows = String::from(HEADER);
        for i in 0..200 {
            let name = if i == 120 {
                "\"two\nlines\"".to_string()
            } else {
                format!("class {i}")
            };
            rows.push_str(&format!(
                "{i},7,2026-05-02T09:00:00Z,101,Europe/London,1,4,0,0,0,3,per_customer,5,£20.00,false,{name}\n"
            ));
        }
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(rows.as_bytes()).unwrap();
        let plan = plan_csv_parts(file.path(), 4, 0).unwrap().unwrap();
        assert_eq!(
            plan.first().unwrap().range().0,
            rows.find('\n').unwrap() as u64 + 1
        );
        assert_eq!(plan.last().unwrap().range().1, rows.len() as u64);
        let mut ids = Vec::new();
        let mut aligned = true;
        for part in &plan {
            aligned &= read_ids(part, &mut ids).unwrap_or(false);
        }
        if aligned {
            ids.sort_unstable();
            assert_eq!(ids, (0..200).collect::<Vec<u64>>());
        }
        // Splits placed inside the quoted field are reported as misaligned.
        let inside = rows.find("two\n").unwrap() as u64 + 4;
        let header = Arc::clone(&plan[0].header);
        let size = rows.len() as u64;
        let before = CsvPart {
            path: file.path().to_path_buf(),
            header: Arc::clone(&header),
            start: plan[0].range().0,
            end: inside,
            size,
        };
        assert!(!read_ids(&before, &mut Vec::new()).unwrap());
    }

    #[test]
    fn one_reader_takes_many_parts_in_any_order() {
        let mut rows = String::from(HEADER);
        for i in 0..3000 {
            // Quoted names of many lengths: the reused buffer holds stale bytes of
            // other parts past what each read fills.
            let name = "x\"\"y".repeat(i % 500);
            rows.push_str(&format!(
                "{i},7,2026-05-02T09:00:00Z,101,Europe/London,1,4,0,0,0,3,per_customer,5,£20.00,false,\"{name}\"\n"
            ));
        }
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(rows.as_bytes()).unwrap();
        let plan = plan_csv_parts(file.path(), 7, 0).unwrap().unwrap();
        let mut cache = ReadCache::new(Names::All);
        let mut seen = Vec::new();
        let counter = AtomicU64::new(0);
        for part in plan.iter().rev().chain(plan.iter()) {
            let summary = Reader::part(part)
                .counter(&counter)
                .cache(&mut cache)
                .read(&mut Sinks {
                    on_row: |row: ParsedRow| {
                        assert_eq!(row.draft.name.len(), 3 * (row.draft.id.0 as usize % 500));
                        seen.push(row.draft.id.0);
                        Ok(())
                    },
                    on_reject: |rejected: crate::Rejected| Err(rejected.error),
                })
                .unwrap();
            assert!(!summary.misaligned);
        }
        // Every byte of every part is counted, each part being read twice.
        assert!(counter.into_inner() >= 2 * (rows.len() - HEADER.len()) as u64);
        seen.sort_unstable();
        let twice: Vec<u64> = (0..3000).flat_map(|i| [i, i]).collect();
        assert_eq!(seen, twice);
    }

    #[test]
    fn small_files_are_not_split() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(b"id,instructor.id,starts_at,venue.id,venue_timezone,hours,attended_count,no_show_count,late_cancel_count,comped_counts.attended,instructor_pay_rate.id,instructor_pay_rate.type,instructor_pay_rate.base,instructor_pay,instructor_pay_calculation_pending\n").unwrap();
        assert!(plan_csv_parts(file.path(), 2, 1 << 20).unwrap().is_none());
    }
}
