//! One message for stderr as a line of text or, for `--message-format json`,
//! a JSON object with the place an input error is about.

use crate::{Error, Location};

/// The value a field's problem quotes: the text in quotes after its last
/// "but found " (the readers' messages put the value there), when it reads
/// as a quoted string.
fn found_value(problem: &str) -> Option<String> {
    let at = problem.rfind("but found \"")? + "but found ".len();
    let mut stream = serde_json::Deserializer::from_str(&problem[at..]).into_iter::<String>();
    stream.next()?.ok()
}

/// One message on stderr, as text or as a JSON line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    level: &'static str,
    text: String,
    file: Option<String>,
    /// The CSV record (header 0), the JSON response's row.
    record: Option<u64>,
    line: Option<u64>,
    column: Option<u64>,
    /// The offset in the file of the CSV record's or NDJSON line's first byte.
    byte: Option<u64>,
    /// The CSV column or JSON key.
    field: Option<String>,
    /// The offending value, as the problem quotes it.
    value: Option<String>,
}

impl Message {
    /// A message of `level` (`note`, `warning` or `error`), placed nowhere yet.
    pub fn new(level: &'static str, text: &str) -> Message {
        Message {
            level,
            text: text.to_string(),
            file: None,
            record: None,
            line: None,
            column: None,
            byte: None,
            field: None,
            value: None,
        }
    }

    /// The file, line and column of an input error.
    pub fn place(&mut self, err: &Error) {
        if let Some(place) = err.place() {
            self.file = Some(crate::Shown(&place.path).to_string());
            match place.location {
                Location::File => {}
                Location::Csv { record, line, byte } => {
                    (self.record, self.line, self.byte) = (Some(record), Some(line), Some(byte));
                }
                Location::Ndjson { line, byte } => (self.line, self.byte) = (Some(line), Some(byte)),
                Location::JsonRow { row } => self.record = Some(row),
                Location::Text { line, column } => (self.line, self.column) = (Some(line), Some(column)),
            }
        }
        if let Error::Field { column, problem, .. } = err {
            self.field = Some(column.clone());
            self.value = found_value(problem);
        }
    }

    /// The message as a line for stderr: `sessionpay: text`, or the JSON object
    /// `{"level", "message", "file", "record", "line", "column", "byte", "field", "value"}`
    /// (the last seven where known).
    pub fn line(&self, json: bool) -> String {
        if !json {
            let warning = if self.level == "warning" { "warning: " } else { "" };
            return format!("sessionpay: {warning}{}\n", crate::printable_lines(&self.text));
        }
        let string = |text: &str| serde_json::Value::String(text.to_string()).to_string();
        let mut out = format!(
            "{{\"level\":{},\"message\":{}",
            string(self.level),
            string(&self.text)
        );
        if let Some(file) = &self.file {
            out.push_str(&format!(",\"file\":{}", string(file)));
        }
        for (key, number) in [
            ("record", self.record),
            ("line", self.line),
            ("column", self.column),
            ("byte", self.byte),
        ] {
            if let Some(number) = number {
                out.push_str(&format!(",\"{key}\":{number}"));
            }
        }
        if let Some(field) = &self.field {
            out.push_str(&format!(",\"field\":{}", string(field)));
        }
        if let Some(value) = &self.value {
            out.push_str(&format!(",\"value\":{}", string(value)));
        }
        out.push_str("}\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_a_problem_quotes_is_found() {
        assert_eq!(
            found_value("expected a date-time such as 2026-05-02T09:00:00Z, but found \"2026-99\"")
                .as_deref(),
            Some("2026-99")
        );
        assert_eq!(
            found_value(r#"but found "say \"hi\"" here"#).as_deref(),
            Some("say \"hi\"")
        );
        assert_eq!(found_value("no value named"), None);
        assert_eq!(found_value("but found \"unterminated"), None);
    }

    #[test]
    fn messages_are_text_or_json_lines() {
        let mut m = Message::new("warning", "a \"quoted\" word");
        assert_eq!(m.line(false), "sessionpay: warning: a \"quoted\" word\n");
        assert_eq!(
            m.line(true),
            "{\"level\":\"warning\",\"message\":\"a \\\"quoted\\\" word\"}\n"
        );
        m.file = Some("x.csv".into());
        m.line = Some(3);
        m.value = Some("v".into());
        let parsed: serde_json::Value = serde_json::from_str(&m.line(true)).expect("json");
        assert_eq!(
            (parsed["file"].as_str(), parsed["line"].as_u64()),
            (Some("x.csv"), Some(3))
        );
        assert_eq!(parsed["value"], "v");
    }
}
