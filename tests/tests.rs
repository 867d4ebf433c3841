//! Integration tests: each module runs the real `sessionpay` binary.

// Issue 17: reconcile and sessions sorted in bounded memory, through temporary runs.
mod bounded;
// Help, exit statuses, `-o`, JSON output, payroll periods, tolerance, closed pipes.
mod cli;
// The conformance export: expected outputs, every shape, row order, repeats.
mod conformance;
// Every class of bad input: the message, exit status 2, no output.
mod errors;
// Issue 19, the command line: help snapshots, completions, man, --version, -o -, dates, messages.
mod interface;
// Hostile input, --skip-invalid, formula injection, full disks, interrupts, any order.
mod hostile;
// rates infer: known policies recovered from generated exports, outliers, undetermined settings.
mod infer;
// Issue 12, outputs: all or nothing, no input overwritten or changed, signals, umask, safe text.
mod loss_outputs;
// Header styles, BOM and CRLF, quoted fields, money cells, stdin, folders.
mod inputs;
// Issue 12, inputs: fetch paging, page totals, duplicate keys, policy ids, caps, FIFOs.
mod loss_inputs;
// Issue 15, real-world exports: labels, [columns], re-saved encodings and delimiters, workbooks.
mod real_exports;
// The parallel reader against the single pass: identical bytes, fallbacks.
mod parallel;
// A temporary folder per test and the binary run in it; CSV and decimal helpers.
mod util;
// The spreadsheet, report page and statements, read back and checked against the CSV.
mod report;
// Payroll provider import files: Gusto, Xero, BrightPay, templates; people.csv.
mod export;
// Issue 18, the pay ledger: close, adjustments, payroll --ledger, reliability.
mod ledger;
