//! A memory budget as a person writes it (`64MiB`).

/// A size in bytes: digits, optionally followed by KiB, MiB or GiB (or K, M, G; powers of 1024).
///
/// # Errors
/// The unit is not one of those, or the size is zero or too large.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = t.split_at(digits);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kib" | "kb" => 10,
        "m" | "mib" | "mb" => 20,
        "g" | "gib" | "gb" => 30,
        _ => return Err(format!("expected a size such as 64MiB, but found {text:?}")),
    };
    let size = number
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(1usize << shift))
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("expected a size of at least one byte such as 64MiB, but found {text:?}"))?;
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_powers_of_1024() {
        assert_eq!(parse_size("64MiB").unwrap(), 64 << 20);
        assert_eq!(parse_size("512k").unwrap(), 512 << 10);
        assert_eq!(parse_size("1 GiB").unwrap(), 1 << 30);
        assert_eq!(parse_size("4096").unwrap(), 4096);
        for bad in ["", "0", "MiB", "-1MiB", "1.5MiB", "1TiB", "99999999999999999999"] {
            let err = parse_size(bad);
            assert!(err.is_err(), "{bad:?} gave {err:?}");
        }
    }
}
