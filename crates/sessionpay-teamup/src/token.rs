//! The API token: read, checked, and masked in whatever a server echoes.

use std::fmt;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;

use crate::error::{Error, Result};
use crate::options::percent_encoded;

/// The API token and the environment variable it came from. It only ever
/// goes into the `Authorization` header; `Debug` does not show it.
#[derive(Clone)]
pub struct Token {
    value: String,
    var: String,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("var", &self.var)
            .field("value", &"[token]")
            .finish()
    }
}

impl Token {
    /// `value`, said to come from the environment variable `var` (which
    /// messages name). The library reads no environment: its caller reads
    /// the variable and passes the value.
    ///
    /// # Errors
    /// [`Error::TokenInvalid`] naming `var` when `value` has spaces, control or
    /// non-ASCII characters, which a header cannot carry.
    pub fn new(value: &str, var: &str) -> Result<Token> {
        if value.bytes().any(|b| !(0x21..=0x7e).contains(&b)) {
            return Err(Error::TokenInvalid {
                var: var.to_owned(),
                why: "it has spaces, control or non-ASCII characters",
            });
        }
        Ok(Token {
            value: value.to_owned(),
            var: var.to_owned(),
        })
    }

    /// The environment variable the token came from.
    pub fn var(&self) -> &str {
        &self.var
    }

    /// The value of the `Authorization` header.
    pub(crate) fn header(&self) -> String {
        format!("Token {}", self.value)
    }

    /// `text` with every form of the token a server might echo replaced by
    /// `[token]`: as sent, in any letter case, percent-encoded (either hex
    /// case), and the base64 of the token or of the whole `Authorization`
    /// header value (standard or URL-safe alphabet, padded or not).
    pub fn redact(&self, text: &str) -> String {
        let token = self.value.as_str();
        if token.is_empty() {
            return text.to_owned();
        }
        let mut out = replace_ascii_case_insensitive(text, token);
        let encoded = percent_encoded(token);
        if encoded != token {
            out = replace_ascii_case_insensitive(&out, &encoded);
        }
        for plain in [self.header(), token.to_owned()] {
            for engine in [&STANDARD, &URL_SAFE, &STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
                let form = engine.encode(&plain);
                out = out.replace(&form, "[token]");
            }
        }
        out
    }
}

/// `text` with every match of the ASCII `needle`, in any letter case, replaced by `[token]`.
fn replace_ascii_case_insensitive(text: &str, needle: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let wanted = needle.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    // ASCII lower-casing keeps every byte where it was, and an ASCII match
    // starts and ends on character boundaries of `text`.
    while let Some(i) = lower[at..].find(&wanted) {
        out.push_str(&text[at..at + i]);
        out.push_str("[token]");
        at += i + wanted.len();
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_that_cannot_be_a_header_are_refused_without_showing_them() {
        let err = Token::new("abc def\n", "MY_TOKEN").expect_err("bad token");
        let text = err.to_string();
        assert!(text.contains("MY_TOKEN"), "{text}");
        assert!(!text.contains("abc"), "{text}");
        let token = Token::new("s3cret-T0ken-9f8e7d", "MY_TOKEN").expect("good token");
        assert!(!format!("{token:?}").contains("s3cret"));
        assert_eq!(token.var(), "MY_TOKEN");
    }

    #[test]
    fn the_token_is_masked_in_every_form_a_server_may_echo() {
        let token = Token::new("Ab+/c=9x", "T").expect("token");
        let b64 = |s: &str| STANDARD.encode(s);
        let url_b64 = |s: &str| URL_SAFE_NO_PAD.encode(s);
        let forms = [
            "Ab+/c=9x".to_owned(),
            "AB+/C=9X".to_owned(),
            "ab+/c=9x".to_owned(),
            "Ab%2B%2Fc%3D9x".to_owned(),
            "ab%2b%2fc%3d9x".to_owned(),
            b64("Token Ab+/c=9x"),
            url_b64("Token Ab+/c=9x"),
            b64("Ab+/c=9x"),
        ];
        let echoed = format!("seen: {}", forms.join(" | "));
        let masked = token.redact(&echoed);
        for form in &forms {
            assert!(!masked.contains(form.as_str()), "{form} in {masked}");
        }
        assert_eq!(masked.matches("[token]").count(), forms.len(), "{masked}");
        assert!(masked.starts_with("seen: [token] | "), "{masked}");
        // Text around a match, non-ASCII included, is kept.
        assert_eq!(token.redact("é AB+/C=9X ü"), "é [token] ü");
    }
}
