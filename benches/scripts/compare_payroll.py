#!/usr/bin/env python3
"""Compare two payroll CSVs (SPEC 6 columns) numerically, row by row.

usage: compare_payroll.py A.csv B.csv [--ignore COL,COL] [--totals]
Rows are matched on (instructor_id, currency, period_start); amounts, hours and counts are
compared as exact decimals (`7.00` == `7`), text columns exactly. Prints per-currency totals of
each file with --totals. Exit 0 when equal, 1 when they differ (the first differences are
printed), 2 on bad input.
"""
import csv
import decimal
import sys
from collections import defaultdict

KEY = ("instructor_id", "currency", "period_start")
NUMERIC = ("sessions", "hours", "counted_customers", "computed_pay", "reported_pay", "difference",
           "mismatched_sessions", "pending_sessions", "unrated_sessions")
TEXT = ("instructor_name", "period_end")


def load(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out = {}
    for r in rows:
        k = tuple(r[c].strip() for c in KEY)
        if k in out:
            sys.exit(f"compare_payroll: {path}: duplicate row {k}")
        out[k] = r
    return out


def num(v):
    try:
        return decimal.Decimal(v.strip() or "0")
    except decimal.InvalidOperation:
        sys.exit(f"compare_payroll: not a number: {v!r}")


def totals(rows):
    t = defaultdict(lambda: defaultdict(decimal.Decimal))
    for (_, cur, _), r in rows.items():
        t[cur]["rows"] += 1
        for c in NUMERIC:
            if c in r:
                t[cur][c] += num(r[c])
    return t


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    ignore = set()
    for i, a in enumerate(sys.argv):
        if a == "--ignore" and i + 1 < len(sys.argv):
            ignore = set(sys.argv[i + 1].split(","))
            args = [x for x in args if x != sys.argv[i + 1]]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    a_path, b_path = args
    a, b = load(a_path), load(b_path)
    problems = []
    for k in sorted(set(a) | set(b), key=lambda k: (int(k[0]), k[1], k[2])):
        if k not in a or k not in b:
            problems.append(f"{k}: only in {a_path if k in a else b_path}")
            continue
        for c in NUMERIC:
            if c in ignore:
                continue
            if num(a[k].get(c, "")) != num(b[k].get(c, "")):
                problems.append(f"{k}: {c}: {a[k].get(c)!r} vs {b[k].get(c)!r}")
        for c in TEXT:
            if c not in ignore and a[k].get(c) != b[k].get(c):
                problems.append(f"{k}: {c}: {a[k].get(c)!r} vs {b[k].get(c)!r}")
    if "--totals" in sys.argv:
        for path, rows in ((a_path, a), (b_path, b)):
            print(f"totals of {path}:")
            for cur, t in sorted(totals(rows).items()):
                print(f"  {cur}: rows {t['rows']} sessions {t['sessions']} computed {t['computed_pay']} "
                      f"reported {t['reported_pay']} difference {t['difference']} "
                      f"mismatched {t['mismatched_sessions']} pending {t['pending_sessions']} "
                      f"unrated {t['unrated_sessions']}")
    if problems:
        print(f"DIFFER: {len(problems)} difference(s) between {a_path} and {b_path}:")
        for p in problems[:25]:
            print("  " + p)
        sys.exit(1)
    print(f"SAME: {len(a)} payroll rows equal ({a_path} vs {b_path})")


if __name__ == "__main__":
    main()
