#!/usr/bin/env python3
"""Convert a sessionpay rate policy (rates.toml, SPEC section 3) into the two CSV tables that
payroll.sql reads: rates.csv (one row per [rates.N], [defaults] and the SPEC defaults merged in,
plus a '*' row holding the defaults) and venues.csv (venue_id,currency).

usage: rates_to_csv.py RATES.toml OUT_RATES.csv OUT_VENUES.csv
Amounts are read as exact decimals (never floats). Unknown keys, wrong types and negative
amounts are errors, as in the SPEC.
"""
import csv
import decimal
import sys
import tomllib

SPEC_DEFAULTS = {
    "count_comped": False,
    "count_late_cancels": False,
    "count_no_shows": False,
    "tier_mode": "slab",
    "empty_session_pay": None,
    "max_pay": None,
    "rounding": "half_up",
    "hours_basis": "reported",
}
CHOICES = {"tier_mode": ("slab", "graduated"), "rounding": ("half_up", "half_even"),
           "hours_basis": ("reported", "minutes")}
COLUMNS = ["rate_id", *SPEC_DEFAULTS]


def fail(path, where, msg):
    sys.exit(f"rates_to_csv: {path}: {where}: {msg}")


def settings(path, where, table):
    out = {}
    for key, value in table.items():
        if key not in SPEC_DEFAULTS:
            fail(path, where, f"unknown key {key!r}")
        if key.startswith("count_"):
            if not isinstance(value, bool):
                fail(path, where, f"{key} must be true or false")
            out[key] = value
        elif key in CHOICES:
            if value not in CHOICES[key]:
                fail(path, where, f"{key} must be one of {CHOICES[key]}")
            out[key] = value
        else:  # amounts: strings or numbers, exact
            if isinstance(value, bool) or not isinstance(value, (str, int, decimal.Decimal)):
                fail(path, where, f"{key} must be an amount")
            try:
                amount = decimal.Decimal(str(value).strip())
            except decimal.InvalidOperation:
                fail(path, where, f"{key}: not a decimal: {value!r}")
            if not amount.is_finite() or amount < 0:
                fail(path, where, f"{key} must be a non-negative amount")
            out[key] = amount
    return out


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    path, rates_out, venues_out = sys.argv[1:]
    with open(path, "rb") as f:
        doc = tomllib.load(f, parse_float=decimal.Decimal)
    for key in doc:
        if key not in ("defaults", "rates", "venues"):
            fail(path, key, "unknown table")
    defaults = dict(SPEC_DEFAULTS)
    defaults.update(settings(path, "defaults", doc.get("defaults", {})))

    def cell(v):
        if v is None:
            return ""
        if isinstance(v, bool):
            return "true" if v else "false"
        return str(v)

    with open(rates_out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        w.writerow(["*", *(cell(defaults[c]) for c in SPEC_DEFAULTS)])
        for rid, table in sorted(doc.get("rates", {}).items(), key=lambda kv: int(kv[0])):
            merged = dict(defaults)
            merged.update(settings(path, f"rates.{rid}", table))
            w.writerow([int(rid), *(cell(merged[c]) for c in SPEC_DEFAULTS)])
    with open(venues_out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["venue_id", "currency"])
        for vid, table in sorted(doc.get("venues", {}).items(), key=lambda kv: int(kv[0])):
            for key in table:
                if key != "currency":
                    fail(path, f"venues.{vid}", f"unknown key {key!r}")
            cur = table.get("currency")
            if not isinstance(cur, str) or len(cur.strip()) != 3:
                fail(path, f"venues.{vid}", "currency must be a 3-letter ISO code")
            w.writerow([int(vid), cur.strip().upper()])


if __name__ == "__main__":
    main()
