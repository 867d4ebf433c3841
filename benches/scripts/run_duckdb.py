#!/usr/bin/env python3
"""Run benches/payroll.sql with DuckDB: the payroll CSV goes to stdout.

usage: run_duckdb.py EXPORT.csv RATES.csv VENUES.csv [payroll.sql]
(RATES.csv and VENUES.csv come from rates_to_csv.py.) The time spent inside DuckDB (after
`import duckdb`) is reported on stderr as `duckdb-query-seconds: S`.
"""
import os
import sys
import time

import duckdb


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    export, rates, venues = (os.path.abspath(p) for p in sys.argv[1:4])
    sql_path = sys.argv[4] if len(sys.argv) == 5 else os.path.join(os.path.dirname(__file__), "..", "payroll.sql")
    with open(sql_path, encoding="utf-8") as f:
        sql = f.read()
    t0 = time.perf_counter()
    con = duckdb.connect()
    for name, value in (("export_csv", export), ("rates_csv", rates), ("venues_csv", venues)):
        con.execute(f"SET VARIABLE {name} = ?", [value])
    sys.stdout.flush()
    con.execute(sql)
    con.close()
    print(f"duckdb-query-seconds: {time.perf_counter() - t0:.3f}", file=sys.stderr)


if __name__ == "__main__":
    main()
