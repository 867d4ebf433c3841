//! Template-driven import files (`--to template --template FILE`): the
//! columns, header, delimiter, date format and earning codes come from a
//! small TOML file, for fixed-layout imports such as ADP, Paychex and Sage.
//!
//! ```toml
//! name = "ADP Workforce Now paydata"   # shown in messages
//! header = true                        # write a header row (default true)
//! delimiter = ","                      # one character (default ",")
//! line_ending = "crlf"                 # "crlf" (default) or "lf"
//! date_format = "%m/%d/%Y"             # strftime, for date fields (default "%Y-%m-%d")
//! currencies = ["USD"]                 # refuse others (default: any)
//!
//! [earnings]
//! default = "CLS"                      # the earning code of class pay (required)
//! course_session = "CRS"               # optional: sessions of courses
//! class = "CLS"                        # optional: classes, events and appointments
//! rates = { 17 = "PT" }                # optional: by TeamUp pay rate id (wins over the above)
//!
//! [[columns]]
//! header = "Co Code"
//! value = "ABC"                        # a fixed text
//! [[columns]]
//! header = "File #"
//! person = "file_number"               # a column of people.csv (optional = true allows blanks)
//! [[columns]]
//! header = "Earnings 3 Amount"
//! field = "amount"                     # a computed field, see FIELDS
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use chrono::NaiveDate;
use sessionpay_core::{Currency, RateId, SessionType};
use sessionpay_io::{SessionLine, StrictToml, TomlValue};

use super::people::{column_name, People};
use super::{write_record, PayLine};
use crate::error::{Error, Result};

/// The fields a column may take, with what they hold.
pub const FIELDS: [(&str, &str); 13] = [
    ("instructor_id", "TeamUp's instructor id"),
    (
        "instructor_name",
        "the name on the instructor's latest session in the export",
    ),
    ("first_name", "first_name from people.csv"),
    ("last_name", "last_name from people.csv"),
    (
        "full_name",
        "first_name and last_name from people.csv, with a space between",
    ),
    ("currency", "the ISO code, e.g. USD"),
    ("period_start", "the first day of the pay period, in date_format"),
    ("period_end", "the last day of the pay period, in date_format"),
    ("earning_code", "the code from [earnings]"),
    (
        "amount",
        "the computed pay at the currency's minor unit, e.g. 1234.50",
    ),
    ("hours", "the hours of the sessions, e.g. 7.5"),
    ("sessions", "the number of sessions"),
    (
        "counted_customers",
        "the counted customers of the sessions that are not pending",
    ),
];

/// A parsed template.
#[derive(Debug)]
pub struct Template {
    /// The name shown in messages (the file's path unless it gives one).
    pub name: String,
    header: bool,
    delimiter: u8,
    crlf: bool,
    date_format: String,
    /// The currencies it takes; `None` for any.
    pub currencies: Option<Vec<Currency>>,
    earnings: Earnings,
    columns: Vec<Column>,
}

/// Earning codes: by pay rate, by session type, else the default.
#[derive(Debug)]
struct Earnings {
    default: String,
    class: Option<String>,
    course_session: Option<String>,
    rates: BTreeMap<RateId, String>,
}

#[derive(Debug)]
struct Column {
    header: String,
    source: Source,
    date_format: Option<String>,
}

#[derive(Debug)]
enum Source {
    Value(String),
    Field(&'static str),
    Person { column: String, optional: bool },
}

impl Template {
    /// Reads a template file.
    ///
    /// # Errors
    /// An unreadable file, broken TOML, or a mistake in it: each names the
    /// file, the line and the key.
    pub fn read(path: &Path) -> Result<Template> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            what: "cannot read it",
            source,
        })?;
        Template::parse(&text, path)
    }

    /// Parses template text; `path` is used in messages.
    ///
    /// # Errors
    /// As [`Template::read`].
    pub fn parse(text: &str, path: &Path) -> Result<Template> {
        let (toml, doc) = StrictToml::parse(text, path)?;
        let p = Parser { toml };
        let mut t = Template {
            name: path.display().to_string(),
            header: true,
            delimiter: b',',
            crlf: true,
            date_format: "%Y-%m-%d".to_string(),
            currencies: None,
            earnings: Earnings {
                default: String::new(),
                class: None,
                course_session: None,
                rates: BTreeMap::new(),
            },
            columns: Vec::new(),
        };
        let mut saw_earnings = false;
        for (key, value) in doc.get_ref().iter() {
            let k = key.get_ref().as_ref();
            match k {
                "name" => t.name = p.toml.string(value, k)?.to_string(),
                "header" => t.header = p.toml.boolean(value, k)?,
                "delimiter" => {
                    let d = p.toml.string(value, k)?;
                    t.delimiter = match d.as_bytes() {
                        [b] if d.is_ascii() && *b != b'"' && *b != b'\n' && *b != b'\r' => *b,
                        _ => {
                            return Err(p.error(
                                value,
                                k,
                                format!(
                                    "expected one character such as \",\", \";\" or \"\\t\", but found {d:?}"
                                ),
                            ))
                        }
                    };
                }
                "line_ending" => {
                    t.crlf = match p.toml.string(value, k)? {
                        "crlf" => true,
                        "lf" => false,
                        other => {
                            return Err(p.error(
                                value,
                                k,
                                format!("expected \"crlf\" or \"lf\", but found {other:?}"),
                            ))
                        }
                    }
                }
                "date_format" => t.date_format = p.date_format(value, k)?,
                "currencies" => {
                    let items = p.toml.array(value, k)?;
                    let mut list = Vec::new();
                    for (i, item) in items.iter().enumerate() {
                        let name = format!("{k}[{i}]");
                        let code = p.toml.string(item, &name)?;
                        list.push(Currency::try_from_code(code).map_err(|_| {
                            p.error(
                                item,
                                &name,
                                format!("expected an ISO 4217 code such as USD, but found {code:?}"),
                            )
                        })?);
                    }
                    t.currencies = Some(list);
                }
                "earnings" => {
                    saw_earnings = true;
                    t.earnings = p.earnings(value)?;
                }
                "columns" => {
                    for (i, item) in p.toml.array(value, k)?.iter().enumerate() {
                        t.columns.push(p.column(item, &format!("columns[{i}]"))?);
                    }
                }
                other => {
                    return Err(p.error_at(
                        key.span().start,
                        other,
                        format!(
                        "unknown key {other:?}; expected name, header, delimiter, line_ending, date_format, \
                             currencies, [earnings] or [[columns]]"
                    ),
                    ))
                }
            }
        }
        if !saw_earnings {
            return Err(Error::Template(format!(
                "{}: no [earnings] table; give at least default = \"<your earning code>\"",
                path.display()
            )));
        }
        if t.columns.is_empty() {
            return Err(Error::Template(format!(
                "{}: no [[columns]]; give each column a header and a value, field or person",
                path.display()
            )));
        }
        Ok(t)
    }

    /// The earning code of a session.
    pub fn earning_code(&self, line: &SessionLine) -> &str {
        let e = &self.earnings;
        if let Some(code) = line.session.rate.as_deref().and_then(|r| e.rates.get(&r.id)) {
            return code;
        }
        let by_type = match line.session.session_type {
            SessionType::Class => e.class.as_deref(),
            SessionType::CourseSession => e.course_session.as_deref(),
        };
        by_type.unwrap_or(&e.default)
    }

    /// Whether any session could get another code than the default, so the
    /// payroll must be split by session.
    pub fn splits(&self) -> bool {
        let e = &self.earnings;
        [&e.class, &e.course_session]
            .into_iter()
            .flatten()
            .chain(e.rates.values())
            .any(|code| *code != e.default)
    }

    /// The default earning code.
    pub fn default_code(&self) -> &str {
        &self.earnings.default
    }

    /// The people.csv columns the template needs filled in for everyone.
    pub fn required_people_columns(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for column in &self.columns {
            if let Source::Person { column, optional } = &column.source {
                if !optional && !out.contains(&column.as_str()) {
                    out.push(column.as_str());
                }
            }
        }
        out
    }

    /// Every people.csv column the template reads (unless optional) must be in the header.
    ///
    /// # Errors
    /// Names the first column missing from people.csv.
    pub fn check_people(&self, people: &People) -> Result<()> {
        for column in &self.columns {
            if let Source::Person {
                column: name,
                optional,
            } = &column.source
            {
                if !*optional && !people.has_column(name) {
                    return Err(Error::Template(format!(
                        "{}: no {name} column, which the template {} reads for {:?}",
                        people.path().display(),
                        self.name,
                        column.header
                    )));
                }
            }
        }
        Ok(())
    }

    /// Writes the file of one currency and period.
    ///
    /// # Errors
    /// A date that `date_format` cannot write.
    pub(crate) fn write(&self, lines: &[PayLine<'_>], people: &People, out: &mut Vec<u8>) -> Result<()> {
        if self.header {
            let headers: Vec<&str> = self.columns.iter().map(|c| c.header.as_str()).collect();
            write_record(out, &headers, self.delimiter, self.crlf)?;
        }
        for line in lines {
            let person = people.get(line.row.instructor);
            let person_value = |column: &str| person.map_or("", |p| p.get(column)).to_string();
            let mut fields = Vec::with_capacity(self.columns.len());
            for column in &self.columns {
                let cell = match &column.source {
                    Source::Value(v) => v.clone(),
                    Source::Person { column, .. } => {
                        sessionpay_io::neutralise(&person_value(column)).into_owned()
                    }
                    Source::Field(field) => {
                        let date_format = column.date_format.as_deref().unwrap_or(&self.date_format);
                        let date = |d: NaiveDate| format_date(d, date_format);
                        match *field {
                            "instructor_id" => line.row.instructor.0.to_string(),
                            "instructor_name" => {
                                sessionpay_io::neutralise(&line.row.instructor_name).into_owned()
                            }
                            "first_name" => {
                                sessionpay_io::neutralise(&person_value("first_name")).into_owned()
                            }
                            "last_name" => sessionpay_io::neutralise(&person_value("last_name")).into_owned(),
                            "full_name" => sessionpay_io::neutralise(&format!(
                                "{} {}",
                                person_value("first_name"),
                                person_value("last_name")
                            ))
                            .into_owned(),
                            "currency" => line.row.currency.code().to_string(),
                            "period_start" => date(line.row.period.start)?,
                            "period_end" => date(line.row.period.end)?,
                            "earning_code" => line.code.to_string(),
                            "amount" => line.row.currency.format(line.amount),
                            "hours" => sessionpay_io::hours(line.hours),
                            "sessions" => line.sessions.to_string(),
                            _ => line.counted_customers.to_string(),
                        }
                    }
                };
                fields.push(cell);
            }
            write_record(out, &fields, self.delimiter, self.crlf)?;
        }
        Ok(())
    }
}

/// A date in a strftime format, or an error for a format that cannot write
/// dates (a time field such as `%H`).
fn format_date(date: NaiveDate, format: &str) -> Result<String> {
    let mut out = String::new();
    write!(out, "{}", date.format(format))
        .map_err(|_| Error::Template(format!("the date format {format:?} cannot write a date")))?;
    Ok(out)
}

/// The template's own readers of keys, beside the shared strict ones.
struct Parser<'a> {
    toml: StrictToml<'a>,
}

impl Parser<'_> {
    fn error_at(&self, offset: usize, key: &str, problem: String) -> Error {
        self.toml.error(offset, key, problem).into()
    }

    fn error(&self, value: &TomlValue<'_>, key: &str, problem: String) -> Error {
        self.toml.value_error(value, key, problem).into()
    }

    fn date_format(&self, value: &TomlValue<'_>, key: &str) -> Result<String> {
        let f = self.toml.string(value, key)?;
        let sample = NaiveDate::from_ymd_opt(2026, 5, 31).unwrap_or_default();
        format_date(sample, f).map_err(|_| {
            self.error(
                value,
                key,
                format!(
                    "expected a strftime date format such as \"%Y-%m-%d\" or \"%m/%d/%Y\", but found {f:?}"
                ),
            )
        })?;
        Ok(f.to_string())
    }

    fn earnings(&self, value: &TomlValue<'_>) -> Result<Earnings> {
        let table = self.toml.table(value, "earnings")?;
        let mut e = Earnings {
            default: String::new(),
            class: None,
            course_session: None,
            rates: BTreeMap::new(),
        };
        let mut has_default = false;
        for (k, v) in table {
            let key = format!("earnings.{}", k.get_ref());
            match k.get_ref().as_ref() {
                "default" => {
                    e.default = self.toml.string(v, &key)?.to_string();
                    has_default = true;
                }
                "class" => e.class = Some(self.toml.string(v, &key)?.to_string()),
                "course_session" => e.course_session = Some(self.toml.string(v, &key)?.to_string()),
                "rates" => {
                    for (id, code) in self.toml.table(v, &key)? {
                        let name = format!("{key}.{}", id.get_ref());
                        let rate: u64 = id.get_ref().parse().map_err(|_| {
                            self.error_at(
                                id.span().start,
                                &name,
                                format!("expected a TeamUp pay rate id, but found {:?}", id.get_ref()),
                            )
                        })?;
                        e.rates
                            .insert(RateId(rate), self.toml.string(code, &name)?.to_string());
                    }
                }
                other => {
                    return Err(self.error_at(
                        k.span().start,
                        &key,
                        format!("unknown key {other:?}; expected default, class, course_session or rates"),
                    ))
                }
            }
        }
        if !has_default {
            return Err(self.error(
                value,
                "earnings",
                "no default; give default = \"<your earning code>\"".to_string(),
            ));
        }
        Ok(e)
    }

    fn column(&self, value: &TomlValue<'_>, name: &str) -> Result<Column> {
        let table = self.toml.table(value, name)?;
        let mut header = None;
        let mut sources = Vec::new();
        let mut optional = false;
        let mut date_format = None;
        for (k, v) in table {
            let key = format!("{name}.{}", k.get_ref());
            match k.get_ref().as_ref() {
                "header" => header = Some(self.toml.string(v, &key)?.to_string()),
                "value" => sources.push(Source::Value(self.toml.string(v, &key)?.to_string())),
                "field" => {
                    let f = self.toml.string(v, &key)?;
                    let field = FIELDS.iter().find(|(n, _)| *n == f).map(|(n, _)| *n).ok_or_else(|| {
                        let names: Vec<&str> = FIELDS.iter().map(|(n, _)| *n).collect();
                        self.error(v, &key, format!("unknown field {f:?}; expected one of {}", names.join(", ")))
                    })?;
                    sources.push(Source::Field(field));
                }
                "person" => sources.push(Source::Person {
                    column: column_name(self.toml.string(v, &key)?),
                    optional: false,
                }),
                "optional" => optional = self.toml.boolean(v, &key)?,
                "date_format" => date_format = Some(self.date_format(v, &key)?),
                other => {
                    return Err(self.error_at(
                        k.span().start,
                        &key,
                        format!("unknown key {other:?}; expected header, value, field, person, optional or date_format"),
                    ))
                }
            }
        }
        let mut source = match (sources.pop(), sources.is_empty()) {
            (Some(s), true) => s,
            _ => {
                return Err(self.error(
                    value,
                    name,
                    "expected exactly one of value, field or person".to_string(),
                ))
            }
        };
        if let Source::Person { optional: o, .. } = &mut source {
            *o = optional;
        }
        Ok(Column {
            header: header.unwrap_or_default(),
            source,
            date_format,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Template> {
        Template::parse(text, Path::new("t.toml"))
    }

    const MINIMAL: &str =
        "[earnings]\ndefault = \"CLS\"\n[[columns]]\nheader = \"Amount\"\nfield = \"amount\"\n";

    #[test]
    fn a_minimal_template_has_defaults() {
        let t = parse(MINIMAL).unwrap();
        assert!(t.header && t.crlf);
        assert_eq!((t.delimiter, t.date_format.as_str()), (b',', "%Y-%m-%d"));
        assert_eq!(t.default_code(), "CLS");
        assert!(!t.splits());
    }

    #[test]
    fn the_shipped_examples_parse() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/templates");
        for name in ["adp.toml", "paychex.toml", "sage.toml"] {
            let path = dir.join(name);
            Template::read(&path).unwrap_or_else(|e| panic!("{name}: {e:#}"));
        }
    }

    #[test]
    fn mistakes_name_the_line_and_key() {
        let err = |text: &str| format!("{:#}", parse(text).err().unwrap());
        assert_eq!(
            err(&format!(
                "{MINIMAL}[[columns]]\nheader = \"x\"\nfield = \"amout\"\n"
            )),
            "t.toml: line 8, column 9: key columns[1].field: unknown field \"amout\"; expected one of \
             instructor_id, instructor_name, first_name, last_name, full_name, currency, period_start, \
             period_end, earning_code, amount, hours, sessions, counted_customers"
        );
        assert_eq!(
            err(&format!("date_format = \"%H:%M\"\n{MINIMAL}")),
            "t.toml: line 1, column 15: key date_format: expected a strftime date format such as \
             \"%Y-%m-%d\" or \"%m/%d/%Y\", but found \"%H:%M\""
        );
        assert_eq!(
            err(&format!("{MINIMAL}[[columns]]\nvalue = \"a\"\nperson = \"b\"\n")),
            "t.toml: line 6, column 1: key columns[1]: expected exactly one of value, field or person"
        );
        assert_eq!(
            err("[[columns]]\nvalue = \"a\"\n"),
            "t.toml: no [earnings] table; give at least default = \"<your earning code>\""
        );
        assert_eq!(
            err(&format!("colour = \"red\"\n{MINIMAL}")),
            "t.toml: line 1, column 1: key colour: unknown key \"colour\"; expected name, header, delimiter, \
             line_ending, date_format, currencies, [earnings] or [[columns]]"
        );
        assert!(err("delimiter = \",,\"\n").contains("key delimiter: expected one character"));
    }
}
