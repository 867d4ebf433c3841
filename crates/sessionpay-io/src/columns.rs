//! Which header cell holds which field: the dot keys and flat spellings, the
//! report's display labels (matched loosely, see docs/INPUTS.md), and a
//! studio's own labels from the `[columns]` table of the policy file or a
//! saved JSON response (`--columns-from`).

use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, Location, Result};
use crate::field::Field;

/// Header texts a studio maps to field keys: the `[columns]` table of the
/// policy file, or the `column_headers` of a saved JSON response. Cheap to
/// clone; the default maps nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMap {
    entries: Arc<Vec<Mapped>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Mapped {
    /// The header text, folded for comparison (trimmed, lower case).
    label: String,
    /// The header text as written.
    written: String,
    field: Field,
    /// Where the mapping was made, for messages (`rates.toml line 12`).
    source: String,
}

/// Folds a header text for comparison with a mapped one: trimmed, without a
/// byte-order mark, lower case.
fn fold(text: &str) -> String {
    text.trim_start_matches('\u{feff}').trim().to_lowercase()
}

impl ColumnMap {
    /// Whether nothing is mapped.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds `label = key`; `source` says where, for messages.
    ///
    /// # Errors
    /// A message for an unknown key, or for a label or a field already mapped
    /// (naming the earlier mapping).
    pub(crate) fn insert(&mut self, label: &str, key: &str, source: String) -> Result<(), String> {
        // A column of the report that is not read: known, and left unplaced.
        if UNUSED.contains(&key.trim()) {
            return Ok(());
        }
        let field = Field::from_key(key).ok_or_else(|| {
            format!(
                "unknown field key {key:?}; expected one of {}",
                Field::ALL.map(Field::key).join(", ")
            )
        })?;
        let folded = fold(label);
        if let Some(other) = self.entries.iter().find(|m| m.label == folded) {
            if other.field == field {
                return Ok(());
            }
            return Err(format!(
                "{label:?} is already mapped to {} ({})",
                other.field.key(),
                other.source
            ));
        }
        if let Some(other) = self.entries.iter().find(|m| m.field == field) {
            return Err(format!(
                "{} is already mapped from {:?} ({}); a field takes one column",
                field.key(),
                other.written,
                other.source
            ));
        }
        Arc::make_mut(&mut self.entries).push(Mapped {
            label: folded,
            written: label.to_string(),
            field,
            source,
        });
        Ok(())
    }

    /// Both maps in one: `other`'s entries after this one's.
    ///
    /// # Errors
    /// The text of the problem when an entry of `other` names a header cell or a field this map already gives another meaning.
    pub fn merged(&self, other: &ColumnMap) -> std::result::Result<ColumnMap, String> {
        let mut out = self.clone();
        for m in other.entries.iter() {
            out.insert(&m.written, m.field.key(), m.source.clone())?;
        }
        Ok(out)
    }

    /// The labels and keys of a saved JSON response's `column_headers`
    /// (`[{"key": "attended_count", "label": "Attended"}, ...]`, or an object
    /// of key to label): what `--columns-from` reads.
    ///
    /// # Errors
    /// [`Error::Io`], [`Error::Syntax`] for broken JSON, [`Error::Shape`] for
    /// a document without `column_headers` or with a key sessionpay does not
    /// know twice.
    pub fn from_report_file(path: &Path) -> Result<ColumnMap> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
        let value: serde_json::Value = serde_json::from_slice(text).map_err(|e| Error::Syntax {
            path: path.to_path_buf(),
            location: Location::Text {
                line: e.line() as u64,
                column: e.column() as u64,
            },
            message: format!("broken JSON: {e}"),
        })?;
        let shape = |problem: String| Error::Shape {
            path: path.to_path_buf(),
            problem,
        };
        let headers = value.get("column_headers").ok_or_else(|| {
            shape(
                "expected a saved report response with \"column_headers\" (label and key of each column)"
                    .into(),
            )
        })?;
        let mut pairs: Vec<(String, String)> = Vec::new();
        match headers {
            serde_json::Value::Array(list) => {
                for (i, item) in list.iter().enumerate() {
                    let text = |k: &str| item.get(k).and_then(|v| v.as_str()).map(str::to_string);
                    match (text("label").or_else(|| text("name")), text("key")) {
                        (Some(label), Some(key)) => pairs.push((label, key)),
                        _ => {
                            return Err(shape(format!(
                                "column_headers[{i}]: expected an object with \"label\" and \"key\", but found {}",
                                crate::row::truncate(&item.to_string())
                            )))
                        }
                    }
                }
            }
            serde_json::Value::Object(map) => {
                for (key, label) in map {
                    match label.as_str() {
                        Some(label) => pairs.push((label.to_string(), key.clone())),
                        None => {
                            return Err(shape(format!(
                                "column_headers.{key}: expected the label as text, but found {label}"
                            )))
                        }
                    }
                }
            }
            other => {
                return Err(shape(format!(
                    "expected \"column_headers\" as a list, but found {}",
                    crate::row::truncate(&other.to_string())
                )))
            }
        }
        let mut map = ColumnMap::default();
        for (i, (label, key)) in pairs.iter().enumerate() {
            // Columns this program has no use for (max_occupancy, ...) are left out.
            if Field::from_key(key).is_none() {
                continue;
            }
            map.insert(label, key, format!("{} column_headers[{i}]", path.display()))
                .map_err(|p| shape(format!("column_headers[{i}]: {p}")))?;
        }
        Ok(map)
    }

    fn lookup(&self, cell: &str) -> Option<&Mapped> {
        if self.entries.is_empty() {
            return None;
        }
        let folded = fold(cell);
        self.entries.iter().find(|m| m.label == folded)
    }
}

/// The words of a header text, normalised so that TeamUp's labels, the dot
/// keys and the flat spellings of one field come out the same: lower case,
/// punctuation and parentheses as spaces, `no show` and `time zone` as one
/// word, singular, `cancellation` as `cancel`, `free` and `comp` as `comped`,
/// `count`, `number` and `of` left out, and the words sorted.
pub(crate) fn words(text: &str) -> Vec<String> {
    // camelCase words apart first: `instructorPayRateId`.
    let mut spaced = String::with_capacity(text.len() + 8);
    let mut previous_lower = false;
    for c in text.trim_start_matches('\u{feff}').chars() {
        if c.is_uppercase() && previous_lower {
            spaced.push(' ');
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        spaced.extend(
            c.to_lowercase()
                .map(|c| if c.is_alphanumeric() { c } else { ' ' }),
        );
    }
    let raw: Vec<&str> = spaced.split_whitespace().collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        let (word, step) = match (raw[i], raw.get(i + 1).copied()) {
            ("no", Some("show" | "shows")) => ("noshow".to_string(), 2),
            ("time", Some("zone" | "zones")) => ("timezone".to_string(), 2),
            (w, _) => (w.to_string(), 1),
        };
        i += step;
        let word = match word.as_str() {
            "count" | "counts" | "number" | "of" | "the" | "no" | "num" | "nr" => continue,
            "cancels" | "cancel" | "cancellation" | "cancellations" | "cancelled" | "canceled"
            | "cancelation" | "cancelations" => "cancel".to_string(),
            "noshows" => "noshow".to_string(),
            "free" | "comp" | "comps" | "complimentary" => "comped".to_string(),
            "identifier" => "id".to_string(),
            w if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") => w[..w.len() - 1].to_string(),
            w => w.to_string(),
        };
        out.push(word);
    }
    out.sort();
    out
}

/// Display labels beyond the keys and flat spellings of [`Field::names`].
fn labels(field: Field) -> &'static [&'static str] {
    match field {
        Field::Id => &["Session ID"],
        Field::Name => &["Session", "Session Name", "Class", "Class Name"],
        Field::OfferingTypeId => &["Offering Type ID"],
        Field::OfferingTypeName => &["Offering Type", "Offering Type Name", "Offering"],
        Field::InstructorId => &["Instructor ID", "Staff ID"],
        Field::InstructorName => &["Instructor", "Instructor Name", "Staff", "Staff Name"],
        Field::StartsAt => &["Starts At", "Start", "Start Time", "Starts", "Start Date Time"],
        Field::VenueId => &["Venue ID", "Location ID"],
        Field::VenueName => &["Venue", "Venue Name", "Location", "Location Name"],
        Field::VenueTimezone => &["Venue Time Zone", "Time Zone", "Venue Timezone"],
        Field::MaxOccupancy => &["Max Occupancy", "Capacity"],
        Field::Hours => &["Hours", "Duration (hours)", "Hours Taught"],
        Field::Attended => &["Attended", "Attendance", "Attendees", "Number Attended"],
        Field::NoShows => &["No Shows", "No-show Count", "No Show"],
        Field::LateCancels => &["Late Cancels", "Late Cancellations", "Late Cancel Count"],
        Field::Comped => &[
            "Attended (Comped)",
            "Comped",
            "Attended (Free)",
            "Comped Attended",
        ],
        Field::SessionType => &["Session Type"],
        Field::RateId => &["Pay Rate ID", "Rate ID", "Instructor Pay Rate ID"],
        Field::RateName => &["Pay Rate", "Pay Rate Name", "Rate Name", "Instructor Pay Rate"],
        Field::RateType => &["Pay Rate Type", "Rate Type", "Instructor Pay Rate Type"],
        Field::RateBase => &["Pay Rate Base", "Rate Base", "Base Rate", "Base"],
        Field::RateTiers => &["Pay Rate Tiers", "Rate Tiers", "Tiers"],
        Field::Pay => &["Instructor Pay", "Pay", "Pay Amount"],
        Field::PayCurrency => &[
            "Instructor Pay Currency",
            "Currency",
            "Pay Currency",
            "ISO Currency Code",
        ],
        Field::Pending => &[
            "Instructor Pay Calculation Pending",
            "Pay Calculation Pending",
            "Calculation Pending",
            "Pending",
            "Pay Pending",
        ],
    }
}

/// Header texts that could name more than one field: refused, so that the
/// studio says which it means in `[columns]`.
const AMBIGUOUS: &[(&str, &[Field])] = &[
    (
        "Type",
        &[Field::SessionType, Field::RateType, Field::OfferingTypeName],
    ),
    ("Rate", &[Field::RateName, Field::RateBase]),
];

/// Columns of the report that sessionpay has no use for: known, so that a
/// missing-column message does not list them as unplaced.
const UNUSED: &[&str] = &[
    "instructor.thumbnail_url",
    "instructor_thumbnail_url",
    "Instructor Thumbnail URL",
];

/// What a header cell names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Named {
    /// One field.
    Field(Field),
    /// A column of the report that is not read.
    Unused,
    /// Nothing known.
    Unknown,
    /// Several fields at once.
    Ambiguous(Vec<Field>),
}

/// What `cell` names, by the studio's map first, then the keys, spellings
/// and labels.
pub(crate) fn name_of(cell: &str, map: &ColumnMap) -> Named {
    if let Some(m) = map.lookup(cell) {
        return Named::Field(m.field);
    }
    let wanted = words(cell);
    if wanted.is_empty() {
        return Named::Unknown;
    }
    let forms = forms();
    if let Some((_, fields)) = forms.ambiguous.iter().find(|(w, _)| *w == wanted) {
        return Named::Ambiguous(fields.to_vec());
    }
    let mut found: Vec<Field> = Vec::new();
    for (_, field) in forms.words.iter().filter(|(w, _)| *w == wanted) {
        if !found.contains(field) {
            found.push(*field);
        }
    }
    match found.as_slice() {
        [] if forms.unused.contains(&wanted) => Named::Unused,
        [] => {
            let squashed = squashed(cell);
            match forms.squashed.iter().find(|(s, _)| *s == squashed) {
                Some((_, field)) => Named::Field(*field),
                None => Named::Unknown,
            }
        }
        [one] => Named::Field(*one),
        _ => Named::Ambiguous(found),
    }
}

/// Every spelling's words and squashed text, worked out once.
struct Forms {
    words: Vec<(Vec<String>, Field)>,
    squashed: Vec<(String, Field)>,
    ambiguous: Vec<(Vec<String>, &'static [Field])>,
    unused: Vec<Vec<String>>,
}

fn forms() -> &'static Forms {
    static FORMS: std::sync::OnceLock<Forms> = std::sync::OnceLock::new();
    FORMS.get_or_init(|| {
        let spellings = || {
            Field::ALL
                .into_iter()
                .flat_map(|f| f.names().iter().chain(labels(f)).map(move |n| (*n, f)))
        };
        Forms {
            words: spellings().map(|(n, f)| (words(n), f)).collect(),
            squashed: spellings().map(|(n, f)| (squashed(n), f)).collect(),
            ambiguous: AMBIGUOUS.iter().map(|(l, f)| (words(l), *f)).collect(),
            unused: UNUSED.iter().map(|u| words(u)).collect(),
        }
    })
}

/// Letters and digits only, lower case: `instructorpayrateid`.
fn squashed(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Which column holds each field (indexed by `Field as usize`).
///
/// # Errors
/// Two cells naming one field, a cell naming several, or a required field
/// no cell names (with the unplaced cells and a `[columns]` snippet).
pub(crate) fn place_columns(names: &[String], map: &ColumnMap, path: &Path) -> Result<Vec<Option<usize>>> {
    let shape = |problem: String| Error::Shape {
        path: path.to_path_buf(),
        problem,
    };
    let mut columns: Vec<Option<usize>> = vec![None; Field::ALL.len()];
    let mut unplaced: Vec<usize> = Vec::new();
    for (i, cell) in names.iter().enumerate() {
        match name_of(cell, map) {
            Named::Field(field) => {
                if let Some(first) = columns[field as usize] {
                    return Err(shape(format!(
                        "columns {:?} and {:?} both hold {}; map one of them to another field in [columns] of the policy file, or remove it",
                        names[first],
                        cell,
                        field.key()
                    )));
                }
                columns[field as usize] = Some(i);
            }
            Named::Ambiguous(fields) => {
                return Err(shape(format!(
                    "column {cell:?} could be {}; say which in [columns] of the policy file (\"{}\" = \"{}\")",
                    fields.iter().map(|f| f.key()).collect::<Vec<_>>().join(" or "),
                    cell.trim(),
                    fields[0].key()
                )));
            }
            Named::Unused => {}
            Named::Unknown => unplaced.push(i),
        }
    }
    if let Some(missing) = Field::ALL
        .into_iter()
        .find(|f| f.is_required() && columns[*f as usize].is_none())
    {
        let hint = if names.len() == 1 {
            Some("the header has one column: is the file comma-separated?".to_string())
        } else if unplaced.is_empty() {
            None
        } else {
            Some(snippet(names, &unplaced, &columns))
        };
        return Err(Error::MissingColumn {
            path: path.to_path_buf(),
            column: missing.key(),
            hint,
        });
    }
    Ok(columns)
}

/// The unplaced cells and a ready-to-paste `[columns]` table with a best
/// guess for each (the most similar field no cell holds yet).
fn snippet(names: &[String], unplaced: &[usize], columns: &[Option<usize>]) -> String {
    let free: Vec<Field> = Field::ALL
        .into_iter()
        .filter(|f| columns[*f as usize].is_none())
        .collect();
    // Every (cell, field) pair by similarity, best first; each is used once.
    let mut pairs: Vec<(f64, usize, Field)> = Vec::new();
    for &i in unplaced {
        let cell = words(&names[i]).join(" ");
        for &field in &free {
            let score = field
                .names()
                .iter()
                .chain(labels(field))
                .map(|n| strsim::sorensen_dice(&cell, &words(n).join(" ")))
                .fold(0.0, f64::max);
            pairs.push((score, i, field));
        }
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut guess: Vec<Option<Field>> = vec![None; names.len()];
    let mut taken: Vec<Field> = Vec::new();
    for (score, i, field) in pairs {
        if guess[i].is_none() && !taken.contains(&field) && (score > 0.0 || field.is_required()) {
            guess[i] = Some(field);
            taken.push(field);
        }
    }
    let listed = unplaced
        .iter()
        .map(|&i| format!("{:?}", names[i]))
        .collect::<Vec<_>>()
        .join(", ");
    let mut out = format!(
        "the header cells that name no field: {listed}; to map them, put this in the policy file (given with --rates), checking each guess:\n[columns]"
    );
    for &i in unplaced {
        let label = toml_string(names[i].trim());
        match guess[i] {
            Some(field) => out.push_str(&format!("\n{label} = \"{}\"", field.key())),
            None => out.push_str(&format!("\n# {label} = \"?\"")),
        }
    }
    out
}

/// A TOML basic string holding `text`.
fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(cell: &str) -> Named {
        name_of(cell, &ColumnMap::default())
    }

    #[test]
    fn teamup_labels_name_their_fields() {
        for (cell, f) in [
            ("Attended", Field::Attended),
            ("No Shows", Field::NoShows),
            ("Late Cancels", Field::LateCancels),
            ("Attended (Comped)", Field::Comped),
            ("Instructor", Field::InstructorName),
            ("Instructor ID", Field::InstructorId),
            ("Venue", Field::VenueName),
            ("Venue ID", Field::VenueId),
            ("Pay Rate Type", Field::RateType),
            ("Pay Rate", Field::RateName),
            ("Offering Type", Field::OfferingTypeName),
            ("Number of Late Cancellations", Field::LateCancels),
            ("no-show count", Field::NoShows),
            ("Attended (Free)", Field::Comped),
            ("Venue Time Zone", Field::VenueTimezone),
            ("instructor_pay_rate.id", Field::RateId),
            ("Instructor Pay Rate Id", Field::RateId),
            ("Comped Counts Attended", Field::Comped),
            ("  STARTS AT ", Field::StartsAt),
            ("\u{feff}id", Field::Id),
            ("instructorPayRateId", Field::RateId),
            ("instructorpayrateid", Field::RateId),
            ("NOSHOWCOUNT", Field::NoShows),
            ("Late-Cancel Count", Field::LateCancels),
        ] {
            assert_eq!(field(cell), Named::Field(f), "{cell}");
        }
        assert_eq!(field("Max Occupancy"), Named::Field(Field::MaxOccupancy));
        assert_eq!(field("Instructor Thumbnail URL"), Named::Unused);
        assert_eq!(field("Asistentes"), Named::Unknown);
        assert!(matches!(field("Type"), Named::Ambiguous(f) if f.len() == 3));
    }

    #[test]
    fn no_spelling_names_two_fields() {
        let mut seen = std::collections::BTreeMap::new();
        for f in Field::ALL {
            for name in f.names().iter().chain(labels(f)) {
                let previous = seen.insert(words(name), f);
                assert!(
                    previous.is_none_or(|p| p == f),
                    "{name} names {previous:?} and {f:?}"
                );
            }
        }
        for unused in UNUSED {
            assert!(!seen.contains_key(&words(unused)), "{unused}");
        }
        let mut squashes = std::collections::BTreeMap::new();
        for f in Field::ALL {
            for name in f.names().iter().chain(labels(f)) {
                let previous = squashes.insert(squashed(name), f);
                assert!(
                    previous.is_none_or(|p| p == f),
                    "{name} squashed names {previous:?} and {f:?}"
                );
            }
        }
    }

    #[test]
    fn a_studio_map_wins_and_refuses_a_field_twice() {
        let mut map = ColumnMap::default();
        map.insert("Asistentes", "attended_count", "p line 2".into())
            .unwrap();
        assert_eq!(name_of(" asistentes ", &map), Named::Field(Field::Attended));
        let err = map
            .insert("Presentes", "attended_count", "p line 3".into())
            .unwrap_err();
        assert!(
            err.contains("already mapped from \"Asistentes\" (p line 2)"),
            "{err}"
        );
        let err = map.insert("X", "attended", "p line 4".into()).unwrap_err();
        assert!(err.starts_with("unknown field key \"attended\""), "{err}");
    }
}
