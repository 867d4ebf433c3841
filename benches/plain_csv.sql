-- `payroll --period month` over a CSV export as a data person would write it in DuckDB: the plain
-- query that sessionpay's CSV speed is measured against (payroll.sql, the fuller cross-check, also
-- handles every rounding mode, the minutes basis and currency inference, and is slower).
-- Variables as for payroll.sql (scripts/run_duckdb.py sets them): export_csv, rates_csv, venues_csv.
-- Covers what a generated export uses: the counting flags, slab and graduated tiers from the row's
-- own list, empty-session pay, the cap, half-up rounding to the minor unit, the reported basis.
SET threads = 2;
COPY (
WITH
rates AS (FROM read_csv(getvariable('rates_csv'), header = true, all_varchar = true)),
venues AS (SELECT venue_id::BIGINT AS venue_id, upper(currency) AS currency
           FROM read_csv(getvariable('venues_csv'), header = true, all_varchar = true)),
s AS (
    SELECT e.*, coalesce(r.count_comped, d.count_comped) = 'true' AS c_comped,
           coalesce(r.count_late_cancels, d.count_late_cancels) = 'true' AS c_late,
           coalesce(r.count_no_shows, d.count_no_shows) = 'true' AS c_noshow,
           coalesce(r.tier_mode, d.tier_mode) = 'graduated' AS graduated,
           nullif(CASE WHEN r.rate_id IS NULL THEN d.empty_session_pay ELSE r.empty_session_pay END, '')::DECIMAL(18, 6) AS empty_pay,
           nullif(CASE WHEN r.rate_id IS NULL THEN d.max_pay ELSE r.max_pay END, '')::DECIMAL(18, 6) AS max_pay,
           v.currency AS venue_currency
    FROM read_csv(getvariable('export_csv'), header = true, delim = ',', quote = '"', escape = '"',
        types = {'id': 'BIGINT', 'instructor.id': 'BIGINT', 'starts_at': 'TIMESTAMPTZ', 'venue.id': 'BIGINT',
                 'venue_timezone': 'VARCHAR', 'hours': 'DECIMAL(20, 16)', 'attended_count': 'INTEGER',
                 'no_show_count': 'INTEGER', 'late_cancel_count': 'INTEGER', 'comped_counts.attended': 'INTEGER',
                 'instructor_pay_rate.id': 'BIGINT', 'instructor_pay_rate.type': 'VARCHAR',
                 'instructor_pay_rate.base': 'DECIMAL(18, 6)', 'instructor_pay_rate.tiers': 'VARCHAR',
                 'instructor_pay': 'VARCHAR', 'instructor_pay_calculation_pending': 'BOOLEAN'}) e
    LEFT JOIN rates r ON r.rate_id = e."instructor_pay_rate.id"::VARCHAR
    LEFT JOIN venues v ON v.venue_id = e."venue.id"
    CROSS JOIN (FROM rates WHERE rate_id = '*') d
),
n AS (
    SELECT *, attended_count - CASE WHEN c_comped THEN 0 ELSE "comped_counts.attended" END
              + CASE WHEN c_late THEN late_cancel_count ELSE 0 END
              + CASE WHEN c_noshow THEN no_show_count ELSE 0 END AS customers,
           CASE WHEN "instructor_pay_rate.type" = 'per_customer_tiered' THEN from_json("instructor_pay_rate.tiers",
               '[{"lower_bound": "INTEGER", "upper_bound": "INTEGER", "per_customer_amount": {"amount": "DECIMAL(18, 6)", "currency": "VARCHAR"}}]') END AS tiers
    FROM s
),
c AS (
    SELECT *, coalesce(upper(tiers[1].per_customer_amount.currency), venue_currency) AS currency,
        CASE WHEN "instructor_pay_rate.id" IS NULL THEN 0
             WHEN customers = 0 AND empty_pay IS NOT NULL THEN empty_pay
             WHEN "instructor_pay_rate.type" = 'per_hour' THEN "instructor_pay_rate.base" * hours
             WHEN "instructor_pay_rate.type" = 'per_customer' THEN "instructor_pay_rate.base" * customers
             WHEN graduated THEN list_sum(list_transform(tiers, lambda t: t.per_customer_amount.amount
                 * greatest(0, least(customers, coalesce(t.upper_bound, customers)) - t.lower_bound + 1)))
             ELSE customers * coalesce(list_filter(tiers, lambda t: t.lower_bound <= customers
                 AND (t.upper_bound IS NULL OR customers <= t.upper_bound))[1].per_customer_amount.amount, 0)
        END AS raw_pay
    FROM n
),
p AS (
    SELECT *, CASE WHEN rounded > max_pay THEN max_pay ELSE rounded END::DECIMAL(18, 2) AS pay,
           regexp_replace(instructor_pay, '[^0-9.\-]', '', 'g')::DECIMAL(18, 2) AS reported,
           date_trunc('month', timezone(venue_timezone, starts_at))::DATE AS period_start
    FROM (SELECT *, CASE WHEN currency = 'JPY' THEN round(raw_pay, 0)::DECIMAL(18, 2)
                         ELSE round(raw_pay, 2)::DECIMAL(18, 2) END AS rounded FROM c)
),
agg AS (
    SELECT "instructor.id" AS instructor_id, currency, period_start,
        arg_max("instructor.name", (starts_at, id)) AS name, max((starts_at, id)) AS latest,
        count(*) AS sessions, sum(hours) AS hours,
        sum(CASE WHEN NOT instructor_pay_calculation_pending THEN customers ELSE 0 END) AS counted_customers,
        sum(CASE WHEN NOT instructor_pay_calculation_pending THEN pay ELSE 0 END) AS computed_pay,
        sum(CASE WHEN NOT instructor_pay_calculation_pending THEN coalesce(reported, 0) ELSE 0 END) AS reported_pay,
        count_if(NOT instructor_pay_calculation_pending AND "instructor_pay_rate.id" IS NOT NULL AND reported <> pay) AS mismatched_sessions,
        count_if(instructor_pay_calculation_pending) AS pending_sessions,
        count_if("instructor_pay_rate.id" IS NULL) AS unrated_sessions
    FROM p GROUP BY ALL
)
SELECT instructor_id, arg_max(name, latest) OVER (PARTITION BY instructor_id) AS instructor_name, currency,
    period_start, last_day(period_start) AS period_end, sessions, hours, counted_customers, computed_pay,
    reported_pay, reported_pay - computed_pay AS difference, mismatched_sessions, pending_sessions, unrated_sessions
FROM agg ORDER BY ALL
) TO '/dev/stdout' (HEADER, DELIMITER ',');
