//! HTML building blocks shared by the report page and the statements:
//! escaping, amounts for reading, the one inline style sheet.

use std::fmt;

use rust_decimal::Decimal;
use sessionpay_core::Currency;

/// Text escaped for HTML element content and quoted attribute values.
///
/// Every name, label and path from an export or the command line goes
/// through this: `<script>` in an instructor's name stays text.
pub(super) struct Esc<'a>(pub(super) &'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..i])?;
            f.write_str(match rest.as_bytes()[i] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[i + 1..];
        }
        f.write_str(rest)
    }
}

/// An amount for reading: the exact figure of the CSV summary with its
/// thousands grouped by commas (`12,345.50`, `-3.00`, JPY `1,200`).
pub(super) fn money(currency: Currency, value: Decimal) -> String {
    group(&super::amount(currency, value))
}

pub use sessionpay_io::group;

/// The `s` of a plural: `""` for one, else `"s"`.
pub(super) fn plural<N: PartialEq + From<u8>>(n: N) -> &'static str {
    if n == N::from(1) {
        ""
    } else {
        "s"
    }
}

/// A `<td>` of a difference; a non-zero one is marked for colour.
pub(super) fn difference_cell(currency: Currency, value: Decimal) -> String {
    let class = if value.is_zero() { "num" } else { "num off" };
    cell(class, "Difference", &money(currency, value))
}

/// A `<td>` with a label, which narrow screens show beside the value when a
/// `table.stack` turns each row into a card. `content` is markup already.
pub(super) fn cell(class: &str, label: &str, content: &str) -> String {
    format!("<td class=\"{class}\" data-label=\"{label}\"><div>{content}</div></td>")
}

/// The style sheet of every page: readable on a phone (narrow screens get
/// scrolling tables and stacked cards) and on A4 paper (`@page`, `@media print`).
/// System fonts only: the page loads nothing.
pub(super) const STYLE: &str = r#"
:root { --ink: #1b1f24; --muted: #5b6570; --line: #d8dde3; --band: #f4f6f8; --accent: #1f5fa8;
  --ok: #2e7d32; --bad: #c62828; --wait: #b7791f; --none: #7a7f87; --unrep: #6a3d9a; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 20px 40px; }
h1 { font-size: 1.7rem; margin: 0 0 4px; }
h2 { font-size: 1.2rem; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 1rem; margin: 18px 0 6px; }
p { margin: 6px 0; }
.lead { color: var(--muted); margin: 0 0 4px; }
.note { color: var(--muted); font-size: .9em; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(230px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; break-inside: avoid; }
.card h3 { margin: 0 0 6px; font-size: 1.05rem; }
.card .big { font-size: 1.45rem; font-weight: 650; font-variant-numeric: tabular-nums; }
.card dl { display: grid; grid-template-columns: 1fr auto; gap: 2px 10px; margin: 8px 0 0; font-size: .92em; }
.card dt { color: var(--muted); }
.card dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; width: 100%; font-size: .92em; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: var(--band); font-weight: 600; white-space: nowrap; }
tfoot td { font-weight: 650; border-top: 2px solid var(--ink); }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.wide th { white-space: normal; vertical-align: bottom; }
table.wide th, table.wide td { padding: 5px 6px; }
.off { color: var(--bad); }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 8px 28px; }
.nowrap { white-space: nowrap; }
.how { font-size: .9em; color: var(--muted); }
.tag { display: inline-block; padding: 0 6px; border-radius: 4px; font-size: .85em; border: 1px solid currentColor; }
.st-match { color: var(--ok); } .st-mismatch { color: var(--bad); } .st-pending { color: var(--wait); }
.st-unrated { color: var(--none); } .st-unreported { color: var(--unrep); }
tr.pending td { color: var(--muted); }
figure { margin: 8px 0 16px; break-inside: avoid; }
figcaption { font-weight: 600; margin-bottom: 4px; }
svg { display: block; width: 100%; height: auto; max-width: 760px; }
svg.bar { max-width: none; height: 28px; }
.print-only { display: none; }
svg text { font: 12px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; fill: var(--ink); }
.legend { list-style: none; padding: 0; margin: 6px 0; display: flex; flex-wrap: wrap; gap: 4px 16px; }
.swatch { display: inline-block; width: .9em; height: .9em; border-radius: 2px; vertical-align: -1px; margin-right: 5px; }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85em; word-break: break-all; }
footer { margin-top: 32px; color: var(--muted); font-size: .85em; }
* { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
@media (max-width: 600px) {
  body { font-size: 14px; }
  main { padding: 14px 12px 28px; }
  h1 { font-size: 1.35rem; }
  th, td { padding: 4px 6px; }
  table.stack, table.stack tbody, table.stack tfoot, table.stack tr { display: block; }
  table.stack thead { display: none; }
  table.stack tr { border-bottom: 1px solid var(--line); padding: 6px 0; }
  table.stack td { display: flex; justify-content: space-between; gap: 12px; border: 0; padding: 2px 0;
    text-align: right; white-space: normal; }
  table.stack td::before { content: attr(data-label); color: var(--muted); text-align: left; flex: none; }
  table.stack td:empty, table.stack td.blank { display: none; }
  table.stack tfoot td { border: 0; }
}
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { font-size: 9.5pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; margin-top: 18pt; }
  h3 { break-after: avoid; }
  .scroll { overflow: visible; }
  table { font-size: 8.5pt; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  th { white-space: normal; }
  svg { max-width: 170mm; }
  svg.bar { max-width: none; height: 8mm; }
  a { color: inherit; text-decoration: none; }
  .screen-only, #chart { display: none; }
  .print-only { display: block; }
}
"#;

/// The banner of a partial payroll, in plain sight at the top of a page.
pub(super) fn partial(banner: &str) -> String {
    format!(
        "<p class=\"partial\" role=\"alert\" style=\"border:2px solid #b00020;background:#fdecea;color:#7a0014;\
         padding:.6em 1em;font-weight:bold\">{}</p>\n",
        Esc(banner)
    )
}

/// The start of a page: doctype, charset, viewport, title and style.
pub(super) fn head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"sessionpay {}\">\n<title>{}</title>\n<style>{STYLE}</style>\n\
         </head>\n<body>\n<main>\n",
        env!("CARGO_PKG_VERSION"),
        Esc(title)
    )
}

/// The end of a page.
pub(super) const TAIL: &str = "</main>\n</body>\n</html>\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_quotes_are_escaped() {
        let name = r#"<script>alert("x")</script> & O'Brien"#;
        assert_eq!(
            Esc(name).to_string(),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; O&#39;Brien"
        );
        assert_eq!(Esc("Uma Ní Bhriain").to_string(), "Uma Ní Bhriain");
    }

    #[test]
    fn thousands_are_grouped_without_changing_digits() {
        for (plain, grouped) in [
            ("0.00", "0.00"),
            ("999.99", "999.99"),
            ("1000.00", "1,000.00"),
            ("-1234567.50", "-1,234,567.50"),
            ("1200", "1,200"),
            ("123456", "123,456"),
            ("12.345", "12.345"),
        ] {
            assert_eq!(group(plain), grouped);
            assert_eq!(group(plain).replace(',', ""), plain);
        }
    }
}
