//! Writers for the export shapes: CSV (dot-key header), NDJSON, a folder of JSON pages, and one
//! JSON response holding every row.
//! Each row is built in a reused buffer and written through a `BufWriter`: constant memory.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::gen::{Session, World, HOURS};
use crate::text::{csv_cell, json_str, push_amount_float, push_money, push_uint};

/// The 25 columns of TeamUp's instructed-sessions report, in export order.
pub const KEYS: [&str; 25] = [
    "id",
    "name",
    "offering_type.id",
    "offering_type.name",
    "instructor.id",
    "instructor.name",
    "instructor.thumbnail_url",
    "starts_at",
    "venue.id",
    "venue.name",
    "venue_timezone",
    "max_occupancy",
    "hours",
    "attended_count",
    "no_show_count",
    "late_cancel_count",
    "comped_counts.attended",
    "session_type",
    "instructor_pay_rate.id",
    "instructor_pay_rate.name",
    "instructor_pay_rate.type",
    "instructor_pay_rate.base",
    "instructor_pay_rate.tiers",
    "instructor_pay",
    "instructor_pay_calculation_pending",
];

/// Rows per JSON page (TeamUp's maximum `page_size`).
pub const PAGE_ROWS: u64 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Ndjson,
    Pages,
    /// One `{total, column_headers, rows}` response with every row.
    Json,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "csv" => Ok(Format::Csv),
            "ndjson" | "jsonl" => Ok(Format::Ndjson),
            "pages" => Ok(Format::Pages),
            "json" => Ok(Format::Json),
            _ => Err(format!("unknown format {s:?} (csv, ndjson, pages or json)")),
        }
    }
}

/// `column_headers` of a JSON response.
pub fn column_headers_json() -> Vec<u8> {
    let mut b = Vec::new();
    b.push(b'[');
    for (i, k) in KEYS.iter().enumerate() {
        if i > 0 {
            b.extend_from_slice(b", ");
        }
        let label: Vec<String> = k
            .split(['.', '_'])
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
            })
            .collect();
        b.extend_from_slice(b"{\"label\": ");
        json_str(&mut b, &label.join(" "));
        b.extend_from_slice(b", \"key\": ");
        json_str(&mut b, k);
        b.extend_from_slice(b", \"sortable\": true, \"required\": ");
        b.extend_from_slice(if i == 0 { b"true" } else { b"false" });
        b.push(b'}');
    }
    b.push(b']');
    b
}

/// Per-venue fixed cells.
struct VenueText {
    csv: Vec<u8>,
    json: Vec<u8>,
}

pub struct Sink<'w> {
    world: &'w World,
    format: Format,
    total: u64,
    venues: Vec<VenueText>,
    buf: Vec<u8>,
    out: Option<BufWriter<Box<dyn Write>>>,
    dir: PathBuf,
    written: u64,
    bytes: u64,
    headers: Vec<u8>,
}

fn open(path: &Path) -> io::Result<BufWriter<Box<dyn Write>>> {
    let w: Box<dyn Write> = if path == Path::new("-") {
        Box::new(io::stdout().lock())
    } else {
        Box::new(File::create(path)?)
    };
    Ok(BufWriter::with_capacity(1 << 20, w))
}

impl<'w> Sink<'w> {
    /// `out` is a file (or `-`) for csv/ndjson and a folder for pages (created; old pages
    /// in it are removed so a smaller export does not leave stale ones).
    pub fn new(world: &'w World, format: Format, out: &Path, total: u64) -> io::Result<Self> {
        let venues = world
            .venues
            .iter()
            .map(|v| {
                let mut csv = Vec::new();
                push_uint(&mut csv, u64::from(v.id));
                csv.push(b',');
                csv_cell(&mut csv, v.name);
                csv.push(b',');
                csv.extend_from_slice(v.tz_name.as_bytes());
                let mut json = Vec::new();
                json.extend_from_slice(b"\"venue\": {\"id\": ");
                push_uint(&mut json, u64::from(v.id));
                json.extend_from_slice(b", \"name\": ");
                json_str(&mut json, v.name);
                json.extend_from_slice(b"}, \"venue_timezone\": ");
                json_str(&mut json, v.tz_name);
                VenueText { csv, json }
            })
            .collect();
        let mut sink = Sink {
            world,
            format,
            total,
            venues,
            buf: Vec::with_capacity(4096),
            out: None,
            dir: out.to_path_buf(),
            written: 0,
            bytes: 0,
            headers: column_headers_json(),
        };
        match format {
            Format::Csv => {
                let mut w = open(out)?;
                let header = KEYS.join(",") + "\n";
                w.write_all(header.as_bytes())?;
                sink.bytes += header.len() as u64;
                sink.out = Some(w);
            }
            Format::Ndjson => sink.out = Some(open(out)?),
            Format::Json => {
                let mut w = open(out)?;
                let head = sink.response_head();
                w.write_all(&head)?;
                sink.bytes += head.len() as u64;
                sink.out = Some(w);
            }
            Format::Pages => {
                fs::create_dir_all(out)?;
                for e in fs::read_dir(out)? {
                    let p = e?.path();
                    let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    if n.starts_with("page-") && n.ends_with(".json") {
                        fs::remove_file(&p)?;
                    }
                }
            }
        }
        Ok(sink)
    }

    pub fn write(&mut self, s: &Session) -> io::Result<()> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        match self.format {
            Format::Csv => self.csv_row(&mut buf, s),
            Format::Ndjson => {
                self.json_row(&mut buf, s);
                buf.push(b'\n');
            }
            Format::Pages => {
                if self.written.is_multiple_of(PAGE_ROWS) {
                    self.close_page()?;
                    let name = format!("page-{:05}.json", self.written / PAGE_ROWS + 1);
                    let mut w = open(&self.dir.join(name))?;
                    let head = self.response_head();
                    w.write_all(&head)?;
                    self.bytes += head.len() as u64;
                    self.out = Some(w);
                } else {
                    buf.extend_from_slice(b", ");
                }
                self.json_row(&mut buf, s);
            }
            Format::Json => {
                if self.written > 0 {
                    buf.extend_from_slice(b",\n");
                }
                self.json_row(&mut buf, s);
            }
        }
        let out = self.out.as_mut().expect("open output");
        out.write_all(&buf)?;
        self.bytes += buf.len() as u64;
        self.written += 1;
        self.buf = buf;
        Ok(())
    }

    /// A response up to its rows' `[`.
    fn response_head(&self) -> Vec<u8> {
        let mut head = Vec::new();
        head.extend_from_slice(b"{\"total\": ");
        push_uint(&mut head, self.total);
        head.extend_from_slice(b", \"column_headers\": ");
        head.extend_from_slice(&self.headers);
        head.extend_from_slice(b", \"rows\": [");
        head
    }

    fn close_page(&mut self) -> io::Result<()> {
        if let Some(mut w) = self.out.take() {
            w.write_all(b"]}")?;
            self.bytes += 2;
            w.flush()?;
        }
        Ok(())
    }

    /// Flush and close; returns the bytes written.
    pub fn finish(mut self) -> io::Result<u64> {
        match self.format {
            Format::Pages => {
                if self.written == 0 {
                    let mut w = open(&self.dir.join("page-00001.json"))?;
                    w.write_all(b"{\"total\": 0, \"column_headers\": ")?;
                    w.write_all(&self.headers)?;
                    w.write_all(b", \"rows\": [")?;
                    self.out = Some(w);
                }
                self.close_page()?;
            }
            Format::Json => {
                self.close_page()?;
            }
            _ => {
                if let Some(mut w) = self.out.take() {
                    w.flush()?;
                }
            }
        }
        Ok(self.bytes)
    }

    fn money(&self, buf: &mut Vec<u8>, s: &Session) {
        let v = &self.world.venues[s.venue];
        if let Some(m) = s.reported {
            if s.reported_short_zero {
                buf.extend_from_slice(v.symbol.as_bytes());
                buf.push(b'0');
            } else {
                push_money(buf, v.symbol, m, v.dp);
            }
        }
    }

    fn csv_row(&self, b: &mut Vec<u8>, s: &Session) {
        let w = self.world;
        push_uint(b, s.id);
        b.push(b',');
        b.extend_from_slice(w.offerings[s.offering].csv.as_bytes());
        b.push(b',');
        b.extend_from_slice(w.instructors[s.instructor].csv.as_bytes());
        b.push(b',');
        s.start.push(b);
        b.push(b',');
        b.extend_from_slice(&self.venues[s.venue].csv);
        b.push(b',');
        push_uint(b, u64::from(s.max_occupancy));
        b.push(b',');
        b.extend_from_slice(HOURS[s.hours].0.as_bytes());
        for n in [s.attended, s.no_shows, s.late_cancels, s.comped] {
            b.push(b',');
            push_uint(b, u64::from(n));
        }
        b.push(b',');
        b.extend_from_slice(w.offerings[s.offering].session_type.as_bytes());
        b.push(b',');
        match s.rate {
            Some(r) => b.extend_from_slice(w.rates[r].csv.as_bytes()),
            None => b.extend_from_slice(b",,,,"),
        }
        b.push(b',');
        let start = b.len();
        self.money(b, s);
        if b[start..].contains(&b',') {
            b.insert(start, b'"');
            b.push(b'"');
        }
        b.extend_from_slice(if s.pending { b",true\n" } else { b",false\n" });
    }

    fn json_row(&self, b: &mut Vec<u8>, s: &Session) {
        let w = self.world;
        let v = &w.venues[s.venue];
        b.extend_from_slice(b"{\"id\": ");
        push_uint(b, s.id);
        b.extend_from_slice(b", ");
        b.extend_from_slice(w.offerings[s.offering].json.as_bytes());
        b.extend_from_slice(b", ");
        b.extend_from_slice(w.instructors[s.instructor].json.as_bytes());
        b.extend_from_slice(b", \"starts_at\": \"");
        s.start.push(b);
        b.extend_from_slice(b"\", ");
        b.extend_from_slice(&self.venues[s.venue].json);
        b.extend_from_slice(b", \"max_occupancy\": ");
        push_uint(b, u64::from(s.max_occupancy));
        b.extend_from_slice(b", \"hours\": ");
        b.extend_from_slice(HOURS[s.hours].0.as_bytes());
        b.extend_from_slice(b", \"attended_count\": ");
        push_uint(b, u64::from(s.attended));
        b.extend_from_slice(b", \"no_show_count\": ");
        push_uint(b, u64::from(s.no_shows));
        b.extend_from_slice(b", \"late_cancel_count\": ");
        push_uint(b, u64::from(s.late_cancels));
        b.extend_from_slice(b", \"comped_counts\": {\"attended\": ");
        push_uint(b, u64::from(s.comped));
        b.extend_from_slice(b"}, \"session_type\": \"");
        b.extend_from_slice(w.offerings[s.offering].session_type.as_bytes());
        b.extend_from_slice(b"\", \"instructor_pay_rate\": ");
        match s.rate {
            Some(r) => b.extend_from_slice(w.rates[r].json.as_bytes()),
            None => b.extend_from_slice(b"null"),
        }
        b.extend_from_slice(b", \"instructor_pay\": ");
        match s.reported {
            None => b.extend_from_slice(b"null"),
            Some(m) => {
                b.extend_from_slice(b"{\"decimal\": ");
                push_amount_float(b, m, v.dp);
                b.extend_from_slice(b", \"string\": \"");
                self.money(b, s);
                b.extend_from_slice(b"\", \"iso_currency_code\": \"");
                b.extend_from_slice(v.currency_lower.as_bytes());
                b.extend_from_slice(b"\", \"currency_symbol\": \"");
                b.extend_from_slice(v.symbol.as_bytes());
                b.extend_from_slice(b"\", \"currency_symbol_position\": \"before\"}");
            }
        }
        b.extend_from_slice(b", \"instructor_pay_calculation_pending\": ");
        b.extend_from_slice(if s.pending { b"true}" } else { b"false}" });
    }
}
