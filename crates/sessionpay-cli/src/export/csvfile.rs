//! The small CSV dialect of import files: reading `people.csv` (RFC 4180,
//! with or without a BOM, LF or CRLF) and writing records with any one-byte
//! delimiter.

/// A CSV record with the line it starts on (from 1).
pub(crate) struct Record {
    pub(crate) line: usize,
    pub(crate) fields: Vec<String>,
}

/// Splits CSV text into records; blank lines are skipped.
///
/// # Errors
/// The line of a quoted field that never ends, or of a quote inside an
/// unquoted field.
pub(crate) fn parse(text: &str) -> Result<Vec<Record>, (usize, &'static str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut line = 1;
    let mut start = 1;
    let mut quoted = false;
    let mut was_quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                other => field.push(other),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() && !was_quoted => {
                quoted = true;
                was_quoted = true;
            }
            '"' => return Err((line, "a quote inside an unquoted field")),
            ',' => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
                if !(fields.len() == 1 && fields[0].is_empty()) {
                    records.push(Record {
                        line: start,
                        fields: std::mem::take(&mut fields),
                    });
                }
                fields.clear();
                line += 1;
                start = line;
            }
            other => field.push(other),
        }
    }
    if quoted {
        return Err((start, "a quoted field that never ends"));
    }
    if !field.is_empty() || !fields.is_empty() || was_quoted {
        fields.push(field);
        records.push(Record { line: start, fields });
    }
    Ok(records)
}

/// Appends one record: fields holding the delimiter, a quote, CR or LF, or
/// leading or trailing spaces, are quoted.
pub(crate) fn write_record<S: AsRef<str>>(out: &mut Vec<u8>, fields: &[S], delimiter: u8, crlf: bool) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(delimiter);
        }
        let f = field.as_ref();
        let needs_quotes = f
            .bytes()
            .any(|b| b == delimiter || b == b'"' || b == b'\r' || b == b'\n')
            || f.starts_with(' ')
            || f.ends_with(' ');
        if needs_quotes {
            out.push(b'"');
            out.extend_from_slice(f.replace('"', "\"\"").as_bytes());
            out.push(b'"');
        } else {
            out.extend_from_slice(f.as_bytes());
        }
    }
    out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Vec<Vec<String>> {
        parse(text).unwrap().into_iter().map(|r| r.fields).collect()
    }

    #[test]
    fn quoted_fields_bom_and_crlf_are_read() {
        assert_eq!(
            fields("\u{feff}a,b\r\n\"x, \"\"y\"\"\",\"two\nlines\"\r\n\r\nlast,\n"),
            [vec!["a", "b"], vec!["x, \"y\"", "two\nlines"], vec!["last", ""]]
        );
        assert_eq!(fields("a,b"), [vec!["a", "b"]]);
        let lines: Vec<usize> = parse("h\n\"a\nb\"\nc\n")
            .unwrap()
            .iter()
            .map(|r| r.line)
            .collect();
        assert_eq!(lines, [1, 2, 4]);
    }

    #[test]
    fn broken_quotes_name_their_line() {
        assert_eq!(
            parse("a\n\"open\n").err(),
            Some((2, "a quoted field that never ends"))
        );
        assert_eq!(
            parse("a\nb\"c\n").err(),
            Some((2, "a quote inside an unquoted field"))
        );
    }

    #[test]
    fn records_are_quoted_only_where_needed() {
        let mut out = Vec::new();
        write_record(&mut out, &["plain", "a,b", "say \"hi\"", " pad", ""], b',', true);
        write_record(&mut out, &["a;b", "c,d"], b';', false);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "plain,\"a,b\",\"say \"\"hi\"\"\",\" pad\",\r\n\"a;b\";c,d\n"
        );
    }
}
