//! Allocation-free text helpers: integers, fixed-point amounts, CSV cells, JSON strings.

/// Decimal digits of `v`.
pub fn push_int(buf: &mut Vec<u8>, v: i64) {
    if v < 0 {
        buf.push(b'-');
    }
    push_uint(buf, v.unsigned_abs());
}

pub fn push_uint(buf: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

/// Two digits, zero padded (0..=99).
pub fn push_2(buf: &mut Vec<u8>, v: u32) {
    buf.push(b'0' + (v / 10) as u8);
    buf.push(b'0' + (v % 10) as u8);
}

pub fn push_4(buf: &mut Vec<u8>, v: u32) {
    push_2(buf, v / 100);
    push_2(buf, v % 100);
}

/// `minor` units with `dp` decimals: `push_fixed(123450, 2)` = `1234.50`, `(-1, 2)` = `-0.01`.
pub fn push_fixed(buf: &mut Vec<u8>, minor: i64, dp: u32) {
    if minor < 0 {
        buf.push(b'-');
    }
    let m = minor.unsigned_abs();
    let unit = 10u64.pow(dp);
    push_uint(buf, m / unit);
    if dp > 0 {
        buf.push(b'.');
        let frac = m % unit;
        let start = buf.len();
        push_uint(buf, frac + unit); // leading 1 keeps the zero padding
        buf.remove(start);
    }
}

/// As Python prints a float of that value: `push_amount_float(180, 2)` = `1.8`, `300` = `3.0`,
/// `25000` = `250.0`; with `dp` 0 an integer (`1500`). This is how TeamUp's JSON shows numbers.
pub fn push_amount_float(buf: &mut Vec<u8>, minor: i64, dp: u32) {
    if dp == 0 {
        push_int(buf, minor);
        return;
    }
    let start = buf.len();
    push_fixed(buf, minor, dp);
    while buf.len() > start && buf[buf.len() - 1] == b'0' && buf[buf.len() - 2] != b'.' {
        buf.pop();
    }
}

/// TeamUp's formatted money: symbol first, minus after it, thousands commas:
/// `£1,234.50`, `$-0.01`, `¥1,500`.
pub fn push_money(buf: &mut Vec<u8>, symbol: &str, minor: i64, dp: u32) {
    buf.extend_from_slice(symbol.as_bytes());
    if minor < 0 {
        buf.push(b'-');
    }
    let m = minor.unsigned_abs();
    let unit = 10u64.pow(dp);
    let int = m / unit;
    let mut digits = Vec::with_capacity(20);
    push_uint(&mut digits, int);
    let n = digits.len();
    for (i, d) in digits.iter().enumerate() {
        if i > 0 && (n - i) % 3 == 0 {
            buf.push(b',');
        }
        buf.push(*d);
    }
    if dp > 0 {
        buf.push(b'.');
        let start = buf.len();
        push_uint(buf, m % unit + unit);
        buf.remove(start);
    }
}

/// One CSV cell, quoted when it holds a comma, quote or line break (RFC 4180).
pub fn csv_cell(buf: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        buf.push(b'"');
        for b in s.bytes() {
            if b == b'"' {
                buf.push(b'"');
            }
            buf.push(b);
        }
        buf.push(b'"');
    } else {
        buf.extend_from_slice(s.as_bytes());
    }
}

/// A JSON string literal (UTF-8 kept as is; quotes, backslashes and controls escaped).
pub fn json_str(buf: &mut Vec<u8>, s: &str) {
    buf.push(b'"');
    for b in s.bytes() {
        match b {
            b'"' => buf.extend_from_slice(b"\\\""),
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            0..=0x1f => {
                buf.extend_from_slice(b"\\u00");
                const HEX: &[u8; 16] = b"0123456789abcdef";
                buf.push(HEX[usize::from(b >> 4)]);
                buf.push(HEX[usize::from(b & 15)]);
            }
            _ => buf.push(b),
        }
    }
    buf.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut b = Vec::new();
        f(&mut b);
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn formats() {
        assert_eq!(s(|b| push_fixed(b, 123450, 2)), "1234.50");
        assert_eq!(s(|b| push_fixed(b, -1, 2)), "-0.01");
        assert_eq!(s(|b| push_fixed(b, 1500, 0)), "1500");
        assert_eq!(s(|b| push_fixed(b, 0, 3)), "0.000");
        assert_eq!(s(|b| push_amount_float(b, 180, 2)), "1.8");
        assert_eq!(s(|b| push_amount_float(b, 300, 2)), "3.0");
        assert_eq!(s(|b| push_amount_float(b, 375, 2)), "3.75");
        assert_eq!(s(|b| push_amount_float(b, 25000, 2)), "250.0");
        assert_eq!(s(|b| push_amount_float(b, 0, 2)), "0.0");
        assert_eq!(s(|b| push_amount_float(b, -1, 2)), "-0.01");
        assert_eq!(s(|b| push_money(b, "£", 123450, 2)), "£1,234.50");
        assert_eq!(s(|b| push_money(b, "¥", 1500, 0)), "¥1,500");
        assert_eq!(s(|b| push_money(b, "₹", 99999, 2)), "₹999.99");
        assert_eq!(s(|b| push_money(b, "$", -1, 2)), "$-0.01");
        assert_eq!(s(|b| push_money(b, "$", 123456789, 2)), "$1,234,567.89");
        assert_eq!(
            s(|b| csv_cell(b, "The \"Big\" Stretch")),
            "\"The \"\"Big\"\" Stretch\""
        );
        assert_eq!(s(|b| csv_cell(b, "Plain")), "Plain");
        assert_eq!(s(|b| json_str(b, "a\"b\\c\u{1}")), "\"a\\\"b\\\\c\\u0001\"");
        assert_eq!(s(|b| push_int(b, i64::MIN)), "-9223372036854775808");
    }
}
