//! The rate policy file (SPEC section 3), read strictly: every mistake names
//! the file, the line and the key.

use std::path::Path;

use rust_decimal::Decimal;
use sessionpay_core::{
    Currency, HoursBasis, PolicyOverrides, RateId, RateTable, RoundingMode, TierMode, VenueId,
};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::columns::ColumnMap;
use crate::error::{Error, Location, Result};
use crate::toml_strict::{StrictToml, TomlValue};
use crate::value;

/// Reads and validates a policy file.
///
/// # Errors
/// [`Error::Io`] when it cannot be read, [`Error::Syntax`] for broken TOML,
/// an unknown key, a wrong type or a negative amount.
pub fn read_policy_file(path: &Path) -> Result<RateTable> {
    read_policy(path).map(|p| p.table)
}

/// A policy file read whole: the rates, the studio's header labels and
/// where each `[rates.N]` and `[venues.N]` section stands.
#[derive(Debug, Clone, Default)]
pub struct PolicyFile {
    /// The settings of every rate and venue.
    pub table: RateTable,
    /// The `[columns]` table: header texts mapped to field keys.
    pub columns: ColumnMap,
    /// Every `[rates.N]` and `[venues.N]` section, in the file's order.
    pub sections: Vec<PolicySection>,
}

/// One `[rates.N]` or `[venues.N]` section of a policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySection {
    /// `rates` or `venues`.
    pub kind: &'static str,
    /// The id.
    pub id: u64,
    /// The line its name stands on, from 1.
    pub line: u64,
}

/// [`read_policy_file`], keeping the `[columns]` table and the sections' lines.
///
/// # Errors
/// As [`read_policy_file`]; a path that does not exist says it is the
/// policy file that is missing.
pub fn read_policy(path: &Path) -> Result<PolicyFile> {
    let bytes = std::fs::read(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::Shape {
                path: path.to_path_buf(),
                problem: "the rate policy file given with --rates does not exist (is the path mistyped?)"
                    .into(),
            }
        } else {
            Error::io(path, e)
        }
    })?;
    let text = String::from_utf8(bytes).map_err(|e| Error::Syntax {
        path: path.to_path_buf(),
        location: Location::File,
        message: format!("not valid UTF-8 (byte {})", e.utf8_error().valid_up_to()),
    })?;
    parse_policy_file(&text, path)
}

/// Parses policy text; `path` is only used in messages.
///
/// ```
/// use std::path::Path;
/// use sessionpay_core::{RateId, TierMode};
///
/// let table = sessionpay_io::parse_policy(
///     "[defaults]\ncount_comped = true\n\n[rates.17]\ntier_mode = \"graduated\"\nmax_pay = 80.10\n",
///     Path::new("rates.toml"),
/// )?;
/// let p = table.policy_for(RateId(17));
/// assert!(p.count_comped);
/// assert_eq!(p.tier_mode, TierMode::Graduated);
/// assert_eq!(p.max_pay.unwrap().to_string(), "80.10"); // exact, not via f64
/// let err = sessionpay_io::parse_policy("[rates.1]\nmax_pay = \"-5\"\n", Path::new("rates.toml")).unwrap_err();
/// assert_eq!(err.to_string(), "rates.toml: line 2, column 11: key rates.1.max_pay: expected an amount of zero or more, but found \"-5\"");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// As [`read_policy_file`].
pub fn parse_policy(text: &str, path: &Path) -> Result<RateTable> {
    parse_policy_file(text, path).map(|p| p.table)
}

/// [`parse_policy`], keeping the `[columns]` table and the sections' lines.
///
/// # Errors
/// As [`read_policy_file`].
pub fn parse_policy_file(text: &str, path: &Path) -> Result<PolicyFile> {
    let (p, doc) = StrictToml::parse(text, path)?;
    let mut table = RateTable::default();
    let mut columns = ColumnMap::default();
    let mut sections = Vec::new();
    let mut rate_ids = Sections::default();
    let mut venue_ids = Sections::default();
    for (key, value) in doc.get_ref().iter() {
        match key.get_ref().as_ref() {
            "defaults" => {
                let t = p.table(value, "defaults")?;
                table.defaults = p.overrides(t, "defaults")?;
            }
            "rates" => {
                for (id, rate) in p.table(value, "rates")? {
                    let (rate_id, name) = p.section(id, "rates", &mut rate_ids, &mut sections)?;
                    let overrides = p.overrides(p.table(rate, &name)?, &name)?;
                    table.rates.insert(RateId(rate_id), overrides);
                }
            }
            "venues" => {
                for (id, venue) in p.table(value, "venues")? {
                    let (venue_id, name) = p.section(id, "venues", &mut venue_ids, &mut sections)?;
                    for (k, v) in p.table(venue, &name)? {
                        let key_name = format!("{name}.{}", k.get_ref());
                        match k.get_ref().as_ref() {
                            "currency" => {
                                let code = p.string(v, &key_name)?;
                                let currency = Currency::try_from_code(code).map_err(|_| {
                                    p.error(v.span().start, &key_name, format!("expected an ISO 4217 currency code such as GBP, but found {code:?}"))
                                })?;
                                table.venue_currencies.insert(VenueId(venue_id), currency);
                            }
                            other => {
                                return Err(p.error(
                                    k.span().start,
                                    &key_name,
                                    format!("unknown key {other:?}; a venue takes only currency"),
                                ))
                            }
                        }
                    }
                }
            }
            "columns" => {
                for (label, field) in p.table(value, "columns")? {
                    let name = format!("columns.{:?}", label.get_ref());
                    let key = p.string(field, &name)?;
                    let line = p.line(label.span().start);
                    columns
                        .insert(label.get_ref(), key, format!("{} line {line}", path.display()))
                        .map_err(|problem| p.error(label.span().start, &name, problem))?;
                }
            }
            other => {
                return Err(p.error(
                    key.span().start,
                    other,
                    format!(
                        "unknown key {other:?}; expected [defaults], [rates.ID], [venues.ID] or [columns]"
                    ),
                ))
            }
        }
    }
    sections.sort_by_key(|s| s.line);
    Ok(PolicyFile {
        table,
        columns,
        sections,
    })
}

/// The sections seen for one kind of id: the id as a number, where its
/// section's key starts and how it was spelt.
type Sections = std::collections::HashMap<u64, (usize, String)>;

const SETTINGS: &str = "count_comped, count_late_cancels, count_no_shows, tier_mode, empty_session_pay, max_pay, rounding, hours_basis";

/// The policy's own readers of keys, beside the shared strict ones.
type PolicyParser<'a> = StrictToml<'a>;

impl PolicyParser<'_> {
    fn id(&self, key: &Spanned<std::borrow::Cow<'_, str>>, name: &str) -> Result<u64> {
        value::id(key.get_ref()).map_err(|_| {
            self.error(
                key.span().start,
                name,
                format!("expected a numeric id, but found {:?}", key.get_ref()),
            )
        })
    }

    /// The line (from 1) of a byte offset.
    fn line(&self, offset: usize) -> u64 {
        match self.location(offset) {
            Location::Text { line, .. } => line,
            _ => 0,
        }
    }

    /// Opens a `[rates.ID]` or `[venues.ID]` section: its id (as
    /// [`unique_id`](Self::unique_id) reads it), recorded in `sections` with
    /// its line, and its dotted name for messages.
    fn section(
        &self,
        key: &Spanned<std::borrow::Cow<'_, str>>,
        kind: &'static str,
        seen: &mut Sections,
        sections: &mut Vec<PolicySection>,
    ) -> Result<(u64, String)> {
        let id = self.unique_id(key, kind, seen)?;
        sections.push(PolicySection {
            kind,
            id,
            line: self.line(key.span().start),
        });
        Ok((id, format!("{kind}.{}", key.get_ref())))
    }

    /// The id of a `[rates.ID]` or `[venues.ID]` section, normalised (`015`
    /// and `" 15"` are 15), refused when another section already has it.
    fn unique_id(
        &self,
        key: &Spanned<std::borrow::Cow<'_, str>>,
        kind: &str,
        seen: &mut Sections,
    ) -> Result<u64> {
        let name = format!("{kind}.{}", key.get_ref());
        let id = self.id(key, &name)?;
        let text: &str = key.get_ref();
        let bare = !text.is_empty()
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        let spelt = if bare {
            text.to_string()
        } else {
            format!("{text:?}")
        };
        let here = (key.span().start, spelt);
        if let Some(other) = seen.get(&id) {
            // Name the later one, whatever order the table hands them out in.
            let (first, second) = if other.0 < here.0 {
                (other, &here)
            } else {
                (&here, other)
            };
            return Err(self.error(
                second.0,
                &format!("{kind}.{}", second.1),
                format!(
                    "a second section for id {id}: line {} already has {kind}.{} (ids are read as whole numbers)",
                    self.line(first.0),
                    first.1
                ),
            ));
        }
        seen.insert(id, here);
        Ok(id)
    }

    /// An amount: a string, integer or float, read exactly from its text.
    fn amount(&self, value: &TomlValue<'_>, key: &str) -> Result<Decimal> {
        let text: String = match value.get_ref() {
            DeValue::String(s) => s.to_string(),
            DeValue::Integer(i) if i.radix() == 10 => i.as_str().replace('_', ""),
            DeValue::Float(f) => f.as_str().replace('_', ""),
            other => {
                return Err(self.error(
                    value.span().start,
                    key,
                    format!(
                        "expected an amount (a string or a number), but found a {}",
                        other.type_str()
                    ),
                ))
            }
        };
        let amount = value::decimal(&text).map_err(|p| self.error(value.span().start, key, p))?;
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(self.error(
                value.span().start,
                key,
                format!("expected an amount of zero or more, but found {text:?}"),
            ));
        }
        Ok(amount)
    }

    fn choice<T>(
        &self,
        value: &TomlValue<'_>,
        key: &str,
        parse: fn(&str) -> Option<T>,
        expected: &str,
    ) -> Result<T> {
        let s = self.string(value, key)?;
        parse(s).ok_or_else(|| {
            self.error(
                value.span().start,
                key,
                format!("expected {expected}, but found {s:?}"),
            )
        })
    }

    fn overrides(&self, table: &DeTable<'_>, prefix: &str) -> Result<PolicyOverrides> {
        let mut o = PolicyOverrides::default();
        for (k, v) in table {
            let key = format!("{prefix}.{}", k.get_ref());
            match k.get_ref().as_ref() {
                "count_comped" => o.count_comped = Some(self.boolean(v, &key)?),
                "count_late_cancels" => o.count_late_cancels = Some(self.boolean(v, &key)?),
                "count_no_shows" => o.count_no_shows = Some(self.boolean(v, &key)?),
                "tier_mode" => {
                    o.tier_mode =
                        Some(self.choice(v, &key, TierMode::from_name, "\"slab\" or \"graduated\"")?)
                }
                "rounding" => {
                    o.rounding =
                        Some(self.choice(v, &key, RoundingMode::from_name, "\"half_up\" or \"half_even\"")?)
                }
                "hours_basis" => {
                    o.hours_basis =
                        Some(self.choice(v, &key, HoursBasis::from_name, "\"reported\" or \"minutes\"")?)
                }
                "empty_session_pay" => o.empty_session_pay = Some(self.amount(v, &key)?),
                "max_pay" => o.max_pay = Some(self.amount(v, &key)?),
                other => {
                    return Err(self.error(
                        k.span().start,
                        &key,
                        format!("unknown key {other:?}; expected one of {SETTINGS}"),
                    ))
                }
            }
        }
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse_policy(text, Path::new("rates.toml"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn the_conformance_policy_reads() {
        let text = std::fs::read_to_string("../../fixtures/conformance/rates.toml").unwrap();
        let table = parse_policy(&text, Path::new("rates.toml")).unwrap();
        assert_eq!(table.rates.len(), 21);
        assert_eq!(table.venue_currencies.len(), 7);
        assert_eq!(table.policy_for(RateId(21)).max_pay, Some(Decimal::new(12000, 0)));
        assert_eq!(table.policy_for(RateId(20)).tier_mode, TierMode::Graduated);
    }

    #[test]
    fn amounts_are_exact_in_every_notation() {
        for (text, expected) in [
            ("\"80.10\"", "80.10"),
            ("80", "80"),
            ("80.1", "80.1"),
            ("0.30", "0.30"),
            ("1_000", "1000"),
        ] {
            let t = parse_policy(&format!("[defaults]\nmax_pay = {text}\n"), Path::new("p.toml")).unwrap();
            assert_eq!(t.defaults.max_pay.unwrap().to_string(), expected, "{text}");
        }
    }

    #[test]
    fn mistakes_name_the_line_and_key() {
        assert_eq!(
            err("[rates.3]\ncount_comped = true\ncount_noshows = true\n"),
            "rates.toml: line 3, column 1: key rates.3.count_noshows: unknown key \"count_noshows\"; expected one of count_comped, count_late_cancels, count_no_shows, tier_mode, empty_session_pay, max_pay, rounding, hours_basis"
        );
        assert_eq!(
            err("[defaults]\ncount_comped = \"yes\"\n"),
            "rates.toml: line 2, column 16: key defaults.count_comped: expected true or false, but found a string"
        );
        assert_eq!(
            err("[rates.x]\ncount_comped = true\n"),
            "rates.toml: line 1, column 8: key rates.x: expected a numeric id, but found \"x\""
        );
        assert_eq!(
            err("[venues.103]\ncurrency = \"$\"\n"),
            "rates.toml: line 2, column 12: key venues.103.currency: expected an ISO 4217 currency code such as GBP, but found \"$\""
        );
        assert_eq!(
            err("[rates.1]\ntier_mode = \"stepped\"\n"),
            "rates.toml: line 2, column 13: key rates.1.tier_mode: expected \"slab\" or \"graduated\", but found \"stepped\""
        );
        assert!(
            err("[rates.1\n").starts_with("rates.toml: line 1, column"),
            "{}",
            err("[rates.1\n")
        );
        assert!(err("[payroll]\n").contains("unknown key \"payroll\""));
        assert_eq!(
            err("[rates.15]\nmax_pay = 1\n\n[rates.015]\nmax_pay = 2\n"),
            "rates.toml: line 4, column 8: key rates.015: a second section for id 15: line 1 already has rates.15 (ids are read as whole numbers)"
        );
        assert_eq!(
            err("[rates.\" 15\"]\nmax_pay = 1\n[rates.15]\n"),
            "rates.toml: line 3, column 8: key rates.15: a second section for id 15: line 1 already has rates.\" 15\" (ids are read as whole numbers)"
        );
        assert_eq!(
            err("[venues.0101]\ncurrency = \"GBP\"\n[venues.101]\ncurrency = \"EUR\"\n"),
            "rates.toml: line 3, column 9: key venues.101: a second section for id 101: line 1 already has venues.0101 (ids are read as whole numbers)"
        );
        // A rate and a venue may share a number.
        assert!(parse_policy(
            "[rates.15]\n[venues.15]\ncurrency = \"GBP\"\n",
            Path::new("p.toml")
        )
        .is_ok());
        assert!(
            err("[rates.1.5]\n").contains("expected"),
            "{}",
            err("[rates.1.5]\n")
        );
        assert!(err("[defaults]\nmax_pay = true\n").contains("expected an amount"));
        assert!(err("[defaults]\nmax_pay = 0x10\n").contains("expected an amount"));
    }
}
