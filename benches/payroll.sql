-- sessionpay's `payroll --period month` as one DuckDB query: an independent implementation of
-- SPEC sections 2 and 5 over a CSV export, to cross-check sessionpay's figures and compare speed.
--
-- Inputs (DuckDB variables, set before this script runs; benches/scripts/run_duckdb.py does it):
--   export_csv  the TeamUp CSV export (dot-key header, 25 columns as in shared/conformance/report.csv)
--   rates_csv   the rate policy: rate_id,count_comped,count_late_cancels,count_no_shows,tier_mode,
--               empty_session_pay,max_pay,rounding,hours_basis; one row per [rates.N] of rates.toml
--               with [defaults] and the SPEC defaults already merged in, plus a row with rate_id '*'
--               (the defaults) for rates the file does not name and for unrated rows
--   venues_csv  venue_id,currency from the [venues.N] tables of rates.toml
-- (benches/scripts/rates_to_csv.py writes both CSVs from rates.toml.)
-- Output: the payroll CSV of SPEC 6 on stdout, sorted by instructor_id, currency, period_start.
--
-- Money is DECIMAL throughout (never DOUBLE: DuckDB turns DECIMAL / INTEGER into DOUBLE, so the
-- only division, hours_basis = minutes, is done in HUGEINT). DuckDB's round(DECIMAL, n) rounds
-- half away from zero (SPEC half_up); round_even() is half_even.
-- The query streams (one pass over the CSV, no materialized intermediate), so memory stays flat
-- with the row count. Where tiers overlap beyond the SPEC's half-open rule, the first tier
-- holding the count wins (slab and graduated alike).
-- Limits of this cross-check (not of sessionpay): CSV with the dot-key header only; the currency
-- comes from the tiers or [venues.N] (else £/€/₹), without inference from other sessions; hours
-- with at most 16 decimals; no de-duplication of ids.

SET threads = 2;

COPY (
WITH
venues AS (
    SELECT venue_id::BIGINT AS venue_id, upper(trim(currency)) AS venue_currency
    FROM read_csv(getvariable('venues_csv'), header = true, all_varchar = true)
),
policy AS (
    SELECT rate_id,
           lower(count_comped) = 'true'       AS count_comped,
           lower(count_late_cancels) = 'true' AS count_late_cancels,
           lower(count_no_shows) = 'true'     AS count_no_shows,
           tier_mode,
           nullif(empty_session_pay, '')::DECIMAL(18, 6) AS empty_session_pay,
           nullif(max_pay, '')::DECIMAL(18, 6)           AS max_pay,
           rounding,
           hours_basis
    FROM read_csv(getvariable('rates_csv'), header = true, all_varchar = true)
),
defaults AS (SELECT * FROM policy WHERE rate_id = '*'),
rated AS (SELECT * EXCLUDE (rate_id), rate_id::BIGINT AS rate_id FROM policy WHERE rate_id <> '*'),

-- One row per session, typed. `tiers` is kept only for tiered rates.
s AS (
    SELECT
        "id"::BIGINT                                   AS id,
        "instructor.id"::BIGINT                        AS instructor_id,
        "instructor.name"                              AS instructor_name,
        "starts_at"                                    AS starts_at,
        "venue.id"::BIGINT                             AS venue_id,
        "venue_timezone"                               AS tz,
        "hours"::DECIMAL(20, 16)                       AS hours,
        "attended_count"::INTEGER                      AS attended,
        coalesce(nullif("no_show_count", '')::INTEGER, 0)          AS no_shows,
        coalesce(nullif("late_cancel_count", '')::INTEGER, 0)      AS late_cancels,
        coalesce(nullif("comped_counts.attended", '')::INTEGER, 0) AS comped,
        nullif("instructor_pay_rate.id", '')::BIGINT   AS rate_id,
        nullif("instructor_pay_rate.type", '')         AS rate_type,
        nullif("instructor_pay_rate.base", '')::DECIMAL(18, 6) AS base,
        CASE WHEN "instructor_pay_rate.type" = 'per_customer_tiered'
             THEN "instructor_pay_rate.tiers" END      AS tiers,
        upper(nullif(regexp_extract("instructor_pay_rate.tiers",
              '"currency"\s*:\s*"([A-Za-z]{3})"', 1), ''))          AS tier_currency,
        -- TeamUp's figure: a plain decimal or a formatted string (`£1,234.50`, `$-0.01`, `45.00 €`).
        nullif(regexp_replace(coalesce("instructor_pay", ''), '[^0-9.\-]', '', 'g'), '')::DECIMAL(38, 6)
                                                       AS reported,
        CASE WHEN contains("instructor_pay", '£') THEN 'GBP'
             WHEN contains("instructor_pay", '€') THEN 'EUR'
             WHEN contains("instructor_pay", '₹') THEN 'INR' END     AS symbol_currency,
        lower(coalesce("instructor_pay_calculation_pending", '')) = 'true' AS pending
    FROM read_csv(getvariable('export_csv'), header = true, all_varchar = true,
                  delim = ',', quote = '"', escape = '"')
),

-- Policy, currency, counted customers, venue-local date.
p AS (
    SELECT
        s.*,
        coalesce(r.count_comped, d.count_comped)             AS count_comped,
        coalesce(r.count_late_cancels, d.count_late_cancels) AS count_late_cancels,
        coalesce(r.count_no_shows, d.count_no_shows)         AS count_no_shows,
        coalesce(r.tier_mode, d.tier_mode)                   AS tier_mode,
        CASE WHEN r.rate_id IS NULL THEN d.empty_session_pay ELSE r.empty_session_pay END AS empty_session_pay,
        CASE WHEN r.rate_id IS NULL THEN d.max_pay ELSE r.max_pay END                     AS max_pay,
        coalesce(r.rounding, d.rounding)                     AS rounding,
        coalesce(r.hours_basis, d.hours_basis)               AS hours_basis,
        coalesce(s.tier_currency, v.venue_currency, s.symbol_currency) AS currency,
        s.attended
          - CASE WHEN coalesce(r.count_comped, d.count_comped) THEN 0 ELSE s.comped END
          + CASE WHEN coalesce(r.count_late_cancels, d.count_late_cancels) THEN s.late_cancels ELSE 0 END
          + CASE WHEN coalesce(r.count_no_shows, d.count_no_shows) THEN s.no_shows ELSE 0 END AS n,
        -- With an offset or Z: the instant, shown in the venue's zone. Without: already venue-local.
        CASE WHEN regexp_matches(s.starts_at, '(Z|z|[+-]\d\d(:?\d\d)?)$')
             THEN timezone(s.tz, s.starts_at::TIMESTAMPTZ)
             ELSE s.starts_at::TIMESTAMP END                AS local_ts
    FROM s
    CROSS JOIN defaults d
    LEFT JOIN rated r ON r.rate_id = s.rate_id
    LEFT JOIN venues v ON v.venue_id = s.venue_id
),

-- Tiers: parsed per row (bounds via from_json; amounts as their exact JSON text, since DuckDB's
-- JSON reader goes through DOUBLE), kept as a list of {lo, hi, amount}.
tl AS (
    SELECT p.*, list_transform(range(1, len(b) + 1), lambda i: {
               'lo': b[i].lower_bound,
               'hi': CASE WHEN b[i].upper_bound IS NOT NULL AND b[i + 1].lower_bound = b[i].upper_bound
                          THEN b[i].upper_bound - 1 ELSE b[i].upper_bound END,
               'amount': a[i]::DECIMAL(18, 6)}) AS tier_list
    FROM (SELECT p.*,
                 from_json(tiers, '[{"lower_bound": "BIGINT", "upper_bound": "BIGINT"}]') AS b,
                 regexp_extract_all(tiers, '"amount"\s*:\s*"?(-?[0-9][0-9.eE+\-]*)', 1) AS a
          FROM p) p
),
-- SPEC 2, steps 1 to 4.
pay AS (
    SELECT p.*,
        CASE WHEN p.currency IN ('BIF','CLP','DJF','GNF','ISK','JPY','KMF','KRW','PYG','RWF','UGX',
                                 'UYI','VND','VUV','XAF','XOF','XPF') THEN 0
             WHEN p.currency IN ('BHD','IQD','JOD','KWD','LYD','OMR','TND') THEN 3
             ELSE 2 END AS dp,
        -- hours_basis = minutes: raw = base * whole minutes / 60, kept as the exact numerator
        CASE WHEN p.rate_type = 'per_hour' AND p.hours_basis = 'minutes'
              AND NOT (p.n = 0 AND p.empty_session_pay IS NOT NULL)
             THEN p.base * round(p.hours * 60, 0) END AS minutes_num,
        CASE
            WHEN p.rate_id IS NULL OR p.rate_type IS NULL THEN 0::DECIMAL(38, 22)
            WHEN p.n = 0 AND p.empty_session_pay IS NOT NULL THEN p.empty_session_pay::DECIMAL(38, 22)
            WHEN p.rate_type = 'per_hour' AND p.hours_basis = 'minutes' THEN NULL
            WHEN p.rate_type = 'per_hour' THEN (p.base * p.hours)::DECIMAL(38, 22)
            WHEN p.rate_type = 'per_customer' THEN (p.base * p.n)::DECIMAL(38, 22)
            WHEN p.rate_type = 'per_customer_tiered' AND p.tier_mode = 'graduated'
                THEN coalesce(list_sum(list_transform(range(1, p.n + 1), lambda k:
                         coalesce(list_filter(p.tier_list, lambda t: t.lo <= k AND (t.hi IS NULL OR k <= t.hi))[1].amount, 0))),
                     0)::DECIMAL(38, 22)
            WHEN p.rate_type = 'per_customer_tiered'
                THEN (coalesce(list_filter(p.tier_list, lambda t: t.lo <= p.n AND (t.hi IS NULL OR p.n <= t.hi))[1].amount, 0)
                      * p.n)::DECIMAL(38, 22)
        END AS formula
    FROM tl p
),
capped AS (   -- step 3: the cap
    SELECT *,
        CASE WHEN minutes_num IS NOT NULL
                 THEN CASE WHEN max_pay IS NOT NULL AND minutes_num > max_pay * 60 THEN max_pay::DECIMAL(38, 22) END
             WHEN max_pay IS NOT NULL AND formula > max_pay THEN max_pay::DECIMAL(38, 22)
             ELSE formula END AS raw,
        -- minutes basis under the cap: num * 10^dp in integer units of 10^-6, to divide by 60
        CASE WHEN minutes_num IS NOT NULL AND NOT coalesce(minutes_num > max_pay * 60, false)
             THEN (minutes_num * 1000000)::HUGEINT * (CASE dp WHEN 0 THEN 1 WHEN 3 THEN 1000 ELSE 100 END)::HUGEINT
        END AS mx
    FROM pay
),
rounded AS (  -- step 4: round to the minor unit
    SELECT *,
        CASE
        WHEN mx IS NOT NULL THEN
            ((mx // 60000000 + CASE WHEN 2 * (mx % 60000000) > 60000000
                                     OR (2 * (mx % 60000000) = 60000000
                                         AND (rounding IS DISTINCT FROM 'half_even' OR (mx // 60000000) % 2 = 1))
                                   THEN 1 ELSE 0 END)::DECIMAL(34, 0)
            * CASE dp WHEN 0 THEN 1::DECIMAL(4, 3) WHEN 3 THEN 0.001::DECIMAL(4, 3) ELSE 0.01::DECIMAL(4, 3) END)::DECIMAL(38, 6)
        -- every branch cast to one type: DuckDB unifies DECIMAL(38,0) and DECIMAL(38,2) to
        -- DECIMAL(38,0), silently dropping the cents
        WHEN rounding = 'half_even' THEN
            CASE dp WHEN 0 THEN round_even(raw, 0)::DECIMAL(38, 6) WHEN 3 THEN round_even(raw, 3)::DECIMAL(38, 6)
                    ELSE round_even(raw, 2)::DECIMAL(38, 6) END
        ELSE
            CASE dp WHEN 0 THEN round(raw, 0)::DECIMAL(38, 6) WHEN 3 THEN round(raw, 3)::DECIMAL(38, 6)
                    ELSE round(raw, 2)::DECIMAL(38, 6) END
        END::DECIMAL(38, 6) AS computed
    FROM capped
),
agg AS (
    SELECT
        instructor_id,
        arg_max(instructor_name, (local_ts - to_seconds(0), id)) AS instructor_name,
        currency,
        date_trunc('month', local_ts)::DATE AS period_start,
        last_day(local_ts::DATE) AS period_end,
        any_value(dp) AS dp,
        count(*) AS sessions,
        sum(hours) AS hours,
        coalesce(sum(n) FILTER (WHERE NOT pending), 0) AS counted_customers,
        coalesce(sum(computed) FILTER (WHERE NOT pending), 0) AS computed_pay,
        coalesce(sum(coalesce(reported, 0)) FILTER (WHERE NOT pending), 0) AS reported_pay,
        count(*) FILTER (WHERE NOT pending AND rate_id IS NOT NULL AND reported IS NOT NULL
                         AND reported <> computed) AS mismatched_sessions,
        count(*) FILTER (WHERE pending) AS pending_sessions,
        count(*) FILTER (WHERE rate_id IS NULL) AS unrated_sessions
    FROM rounded
    GROUP BY instructor_id, currency, period_start, period_end
)
SELECT
    instructor_id, instructor_name, currency, period_start, period_end, sessions,
    CASE WHEN contains(hours::VARCHAR, '.') THEN rtrim(rtrim(hours::VARCHAR, '0'), '.') ELSE hours::VARCHAR END AS hours,
    counted_customers,
    CASE dp WHEN 0 THEN computed_pay::DECIMAL(38, 0)::VARCHAR WHEN 3 THEN computed_pay::DECIMAL(38, 3)::VARCHAR
            ELSE computed_pay::DECIMAL(38, 2)::VARCHAR END AS computed_pay,
    CASE dp WHEN 0 THEN reported_pay::DECIMAL(38, 0)::VARCHAR WHEN 3 THEN reported_pay::DECIMAL(38, 3)::VARCHAR
            ELSE reported_pay::DECIMAL(38, 2)::VARCHAR END AS reported_pay,
    CASE dp WHEN 0 THEN (reported_pay - computed_pay)::DECIMAL(38, 0)::VARCHAR
            WHEN 3 THEN (reported_pay - computed_pay)::DECIMAL(38, 3)::VARCHAR
            ELSE (reported_pay - computed_pay)::DECIMAL(38, 2)::VARCHAR END AS difference,
    mismatched_sessions, pending_sessions, unrated_sessions
FROM agg
ORDER BY instructor_id, currency, period_start
) TO '/dev/stdout' (HEADER, DELIMITER ',');
