//! Strict reading of the small TOML files people write by hand (the rate
//! policy, export templates): each mistake names the file, the line and
//! column, and the key.

use std::path::Path;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::error::{Error, Location, Result};

/// A value of a parsed document, with where it starts in the text.
pub type TomlValue<'i> = Spanned<DeValue<'i>>;

/// The text of a TOML file and its path, for messages that say where a
/// value is.
///
/// ```
/// use std::path::Path;
/// use sessionpay_io::StrictToml;
///
/// let (toml, doc) = StrictToml::parse("name = 5\n", Path::new("t.toml"))?;
/// let (_, value) = doc.get_ref().iter().next().unwrap();
/// let err = toml.string(value, "name").unwrap_err();
/// assert_eq!(err.to_string(), "t.toml: line 1, column 8: key name: expected a string, but found a integer");
/// # Ok::<(), sessionpay_io::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct StrictToml<'a> {
    text: &'a str,
    path: &'a Path,
}

impl<'a> StrictToml<'a> {
    /// Parses `text`; `path` is only used in messages.
    ///
    /// # Errors
    /// [`Error::Syntax`] for broken TOML, at its line and column when known.
    pub fn parse(text: &'a str, path: &'a Path) -> Result<(StrictToml<'a>, Spanned<DeTable<'a>>)> {
        let toml = StrictToml { text, path };
        let doc = DeTable::parse(text).map_err(|e| Error::Syntax {
            path: path.to_path_buf(),
            location: e.span().map_or(Location::File, |s| toml.location(s.start)),
            message: format!("broken TOML: {}", e.message().trim()),
        })?;
        Ok((toml, doc))
    }

    /// The file, for messages.
    pub fn path(&self) -> &'a Path {
        self.path
    }

    /// Line and column (from 1) of a byte offset.
    pub fn location(&self, offset: usize) -> Location {
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.matches('\n').count() as u64 + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u64 + 1;
        Location::Text { line, column }
    }

    /// A mistake at a byte offset, under a key (`key {key}: {problem}`).
    pub fn error(&self, offset: usize, key: &str, problem: String) -> Error {
        Error::Syntax {
            path: self.path.to_path_buf(),
            location: self.location(offset),
            message: format!("key {key}: {problem}"),
        }
    }

    /// A mistake in a value, at where it starts.
    pub fn value_error(&self, value: &TomlValue<'_>, key: &str, problem: String) -> Error {
        self.error(value.span().start, key, problem)
    }

    fn expected(&self, value: &TomlValue<'_>, key: &str, what: &str) -> Error {
        self.value_error(
            value,
            key,
            format!("expected {what}, but found a {}", value.get_ref().type_str()),
        )
    }

    /// A string value.
    ///
    /// # Errors
    /// Another type, named.
    pub fn string<'v>(&self, value: &'v TomlValue<'_>, key: &str) -> Result<&'v str> {
        value
            .get_ref()
            .as_str()
            .ok_or_else(|| self.expected(value, key, "a string"))
    }

    /// A boolean value.
    ///
    /// # Errors
    /// Another type, named.
    pub fn boolean(&self, value: &TomlValue<'_>, key: &str) -> Result<bool> {
        value
            .get_ref()
            .as_bool()
            .ok_or_else(|| self.expected(value, key, "true or false"))
    }

    /// A table value.
    ///
    /// # Errors
    /// Another type, named.
    pub fn table<'v, 'i>(&self, value: &'v TomlValue<'i>, key: &str) -> Result<&'v DeTable<'i>> {
        value
            .get_ref()
            .as_table()
            .ok_or_else(|| self.expected(value, key, "a table"))
    }

    /// An array value.
    ///
    /// # Errors
    /// Another type, named.
    pub fn array<'v, 'i>(&self, value: &'v TomlValue<'i>, key: &str) -> Result<&'v [TomlValue<'i>]> {
        match value.get_ref() {
            DeValue::Array(items) => Ok(items.as_ref()),
            _ => Err(self.expected(value, key, "an array")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_count_lines_and_characters_from_one() {
        let (toml, _) = StrictToml::parse("a = 1\nb = \"éx\"\n", Path::new("t.toml")).unwrap();
        assert_eq!(toml.location(0), Location::Text { line: 1, column: 1 });
        // Columns count characters: `x` is byte 13 but column 7.
        assert_eq!(toml.location(13), Location::Text { line: 2, column: 7 });
        assert_eq!(toml.location(999), Location::Text { line: 3, column: 1 });
    }

    #[test]
    fn wrong_types_and_broken_toml_name_the_place() {
        let err = StrictToml::parse("[a\n", Path::new("t.toml")).unwrap_err();
        assert!(err.to_string().starts_with("t.toml: line 1, column"), "{err}");
        let (toml, doc) = StrictToml::parse("x = [1]\ny = true\n", Path::new("t.toml")).unwrap();
        let values: Vec<&TomlValue<'_>> = doc.get_ref().values().collect();
        assert_eq!(
            toml.table(values[0], "x").unwrap_err().to_string(),
            "t.toml: line 1, column 5: key x: expected a table, but found a array"
        );
        assert_eq!(toml.array(values[0], "x").unwrap().len(), 1);
        assert!(toml.boolean(values[1], "y").unwrap());
        assert_eq!(
            toml.array(values[1], "y").unwrap_err().to_string(),
            "t.toml: line 2, column 5: key y: expected an array, but found a boolean"
        );
    }
}
