//! How a run's inputs are shared among workers: a large plain CSV file in
//! byte ranges of whole records ([`crate::CsvPart`]), a large UTF-8 NDJSON
//! file in byte ranges of whole lines and a large JSON response (not in a
//! folder) in byte ranges of whole rows ([`NdjsonPart`]), and every other
//! input (a JSON page, a small file, a workbook) whole, file by file.
//!
//! Positions in a part count from the part's start (a worker does not know
//! how many lines come before it); a run that meets a bad row in parallel
//! reads its inputs again in one sequential pass, whose messages name the
//! file's own lines.

use std::path::Path;
use std::sync::atomic::AtomicU64;

use crate::error::Result;
pub use crate::ranges::NdjsonPart;
use crate::read::{read_head, Counting, Input, Shape, Summary};
use crate::sink::{ReadCache, RowSink};

/// One piece of work for a worker.
#[derive(Debug, Clone)]
pub enum InputPart {
    /// A byte range of a CSV file.
    Csv(crate::CsvPart),
    /// A byte range of an NDJSON file.
    Ndjson(NdjsonPart),
    /// The input of this index, read whole.
    Whole(usize),
}

/// Plans a parallel read of `inputs` in about `parts` pieces: `None` when
/// one sequential pass is the way (standard input, or a single input that
/// cannot be split).
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) for a file that cannot be read, and the header errors of a
/// CSV file.
pub fn plan_parts(inputs: &[Input], parts: usize, min_bytes: u64) -> Result<Option<Vec<InputPart>>> {
    if parts < 2 || inputs.is_empty() || inputs.iter().any(Input::is_stdin) {
        return Ok(None);
    }
    let mut plan = Vec::new();
    for (index, input) in inputs.iter().enumerate() {
        let split = match input.shape {
            Some(Shape::Csv) => crate::plan_input_parts(input, parts, min_bytes)?
                .map(|p| p.into_iter().map(InputPart::Csv).collect::<Vec<_>>()),
            Some(Shape::Ndjson) => plan_ndjson(&input.path, parts, min_bytes)?
                .map(|p| p.into_iter().map(InputPart::Ndjson).collect()),
            // A JSON file in a folder is a page, held with the others to their
            // `total`: it is read whole.
            Some(Shape::Json) if input.folder.is_none() => {
                crate::json_stream::plan_json(&input.path, parts, min_bytes)?
                    .map(|p| p.into_iter().map(InputPart::Ndjson).collect())
            }
            _ => None,
        };
        match split {
            Some(pieces) => plan.extend(pieces),
            None => plan.push(InputPart::Whole(index)),
        }
    }
    Ok((plan.len() > 1).then_some(plan))
}

/// Byte ranges of whole lines of a UTF-8 NDJSON file of at least
/// `min_bytes`; `None` for one that is smaller, another encoding (read
/// through the decoder in one pass) or not a plain file.
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) for a file that cannot be read.
pub fn plan_ndjson(path: &Path, parts: usize, min_bytes: u64) -> Result<Option<Vec<NdjsonPart>>> {
    let Some((mut file, size)) = crate::ranges::open_to_split(path, parts, min_bytes)? else {
        return Ok(None);
    };
    let (head, complete) = read_head(&mut file, path)?;
    let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&head);
    let plain = crate::workbook::Kind::of(&head).is_none()
        && crate::resave::Encoding::of(&head, complete) == crate::resave::Encoding::Utf8
        && text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if !plain {
        return Ok(None);
    }
    crate::parts::plan_line_ranges(&mut file, path, 0, size, parts, |start, end| {
        NdjsonPart::lines(path, start, end, size)
    })
}

/// Reads one NDJSON part into `sink`.
pub(crate) fn read_ndjson_part<S: RowSink>(
    part: &NdjsonPart,
    counter: &AtomicU64,
    cache: &mut ReadCache,
    sink: &mut S,
) -> Result<Summary, S::Error> {
    if let Some(rows) = &part.json {
        return crate::json_stream::read_part(part, rows, counter, cache, sink);
    }
    let path = &part.path;
    let file = crate::parts::open_part(path, part.start, part.size)?;
    let ReadCache {
        parser,
        fast,
        json_buf,
        ..
    } = cache;
    crate::ndjson::read_lines(
        Counting { inner: file, counter },
        path,
        crate::ndjson::Lines {
            start_byte: part.start,
            len: part.end - part.start,
            ..crate::ndjson::Lines::all()
        },
        crate::ndjson::Parsers { fast, strict: parser },
        json_buf,
        sink,
    )?;
    Ok(Summary::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::row::ParsedRow;
    use crate::source::Reader;
    use std::io::Write;

    fn row(id: u64) -> String {
        format!(
            "{{\"id\": {id}, \"instructor\": {{\"id\": 7}}, \"starts_at\": \"2026-05-02T09:00:00Z\", \
             \"venue\": {{\"id\": 101}}, \"venue_timezone\": \"Europe/London\", \"hours\": 1, \
             \"attended_count\": 4, \"no_show_count\": 0, \"late_cancel_count\": 0, \
             \"comped_counts\": {{\"attended\": 0}}, \"instructor_pay_rate\": {{\"id\": 3, \
             \"type\": \"per_customer\", \"base\": \"5\"}}, \"instructor_pay\": \"£20.00\", \
             \"instructor_pay_calculation_pending\": false}}\n"
        )
    }

    #[test]
    fn ndjson_parts_cover_the_file_in_whole_lines() {
        let mut text = String::from("\u{feff}");
        for id in 0..500 {
            text.push_str(&row(id));
            if id % 97 == 0 {
                text.push('\n');
            }
        }
        let mut file = tempfile::NamedTempFile::with_suffix(".ndjson").unwrap();
        file.write_all(text.as_bytes()).unwrap();
        let plan = plan_ndjson(file.path(), 7, 0).unwrap().unwrap();
        assert_eq!(plan.len(), 7);
        assert_eq!(plan[0].range().0, 0);
        assert_eq!(plan.last().unwrap().range().1, text.len() as u64);
        let mut ids = Vec::new();
        let mut cache = ReadCache::new(crate::Names::All);
        for (k, part) in plan.iter().enumerate() {
            if k > 0 {
                assert_eq!(part.range().0, plan[k - 1].range().1);
                assert_eq!(text.as_bytes()[part.range().0 as usize - 1], b'\n');
            }
            let counter = AtomicU64::new(0);
            read_ndjson_part(part, &counter, &mut cache, &mut |r: ParsedRow| {
                ids.push(r.draft.id.0);
                Ok::<_, Error>(())
            })
            .unwrap();
            assert_eq!(counter.into_inner(), part.range().1 - part.range().0);
        }
        assert_eq!(ids, (0..500).collect::<Vec<u64>>());
        // The whole file read in one pass gives the same rows.
        let mut all: Vec<ParsedRow> = Vec::new();
        Reader::bytes(text.as_bytes(), Path::new("x.ndjson"))
            .shape(Shape::Ndjson)
            .read(&mut all)
            .unwrap();
        assert_eq!(all.len(), 500);
    }

    #[test]
    fn small_or_other_files_are_read_whole() {
        let mut file = tempfile::NamedTempFile::with_suffix(".ndjson").unwrap();
        file.write_all(row(1).as_bytes()).unwrap();
        assert!(plan_ndjson(file.path(), 4, 1 << 20).unwrap().is_none());
        let mut utf16 = tempfile::NamedTempFile::with_suffix(".ndjson").unwrap();
        let text: Vec<u8> = "\u{feff}"
            .chars()
            .chain(row(1).chars())
            .flat_map(|c| {
                let mut b = [0u16; 2];
                c.encode_utf16(&mut b)
                    .iter()
                    .flat_map(|u| u.to_le_bytes())
                    .collect::<Vec<_>>()
            })
            .collect();
        utf16.write_all(&text).unwrap();
        assert!(plan_ndjson(utf16.path(), 4, 0).unwrap().is_none());
        let input = |path: &Path, shape| Input {
            path: path.to_path_buf(),
            shape: Some(shape),
            folder: None,
            columns: crate::ColumnMap::default(),
        };
        // Two small files: one piece each.
        let plan = plan_parts(
            &[
                input(file.path(), Shape::Ndjson),
                input(utf16.path(), Shape::Ndjson),
            ],
            4,
            1 << 20,
        )
        .unwrap()
        .unwrap();
        assert!(matches!(plan[..], [InputPart::Whole(0), InputPart::Whole(1)]));
        assert!(plan_parts(&[input(file.path(), Shape::Ndjson)], 4, 1 << 20)
            .unwrap()
            .is_none());
    }
}
