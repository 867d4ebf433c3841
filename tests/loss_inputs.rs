//! Issue 12, the input side: every way an input could lose or misassign a
//! session without a word is refused, exit status 2, with a message naming
//! the file, the place and the value.

use crate::util::TestDir;

#[test]
fn a_tolerance_with_underscores_or_an_exponent_is_a_usage_error() {
    let dir = TestDir::new();
    let name = dir.copy("shapes/rows.ndjson");
    for bad in ["0_01", "1e-2", "+0.01"] {
        let run = dir.run(&["reconcile", "--tolerance", bad, &name]);
        run.assert_code(2);
        assert!(run.stdout.is_empty());
        assert!(
            run.stderr
                .contains(&format!("expected an amount such as 0.01, but found \"{bad}\"")),
            "{bad}: {}",
            run.stderr
        );
    }
    dir.run(&["reconcile", "--tolerance", "0.01", &name])
        .assert_code(1);
}

#[test]
fn two_policy_sections_for_one_id_are_refused_naming_both_lines() {
    let dir = TestDir::new();
    let name = dir.copy("shapes/rows.ndjson");
    dir.write(
        "rates.toml",
        "[rates.3]\ncount_comped = true\n\n[rates.003]\ncount_comped = false\n",
    );
    dir.run(&["payroll", "--rates", "rates.toml", &name])
        .assert_error(
            "rates.toml: line 4, column 8: key rates.003: a second section for id 3: \
         line 1 already has rates.3 (ids are read as whole numbers)",
        );
    dir.write(
        "venues.toml",
        "[venues.\" 1\"]\ncurrency = \"GBP\"\n[venues.1]\ncurrency = \"EUR\"\n",
    );
    dir.run(&["payroll", "--rates", "venues.toml", &name])
        .assert_error(
            "venues.toml: line 3, column 9: key venues.1: a second section for id 1: \
         line 1 already has venues.\" 1\" (ids are read as whole numbers)",
        );
}
