-- The plain query a data person would write for `sessionpay payroll --period month` over the
-- NDJSON export: typed columns, exact DECIMAL, counted customers and the three pay rules as
-- CASE, tiers from the row's own list (slab or graduated), the policy's empty-session pay and
-- cap from rates.csv, rounded half away from zero to the minor unit, grouped per instructor x
-- currency x venue-local month. It leaves out what sessionpay also does: half_even rounding, the
-- minutes basis, currency inference beyond the figure's own code and [venues.N], the name and the
-- reported-figure columns; see benches/README.md.
SET threads = 2;
COPY (
WITH s AS (
    SELECT
        instructor.id AS instructor_id,
        venue.id AS venue_id,
        venue_timezone,
        CAST(starts_at AS TIMESTAMPTZ) AS starts_at,
        CAST(hours AS DECIMAL(38, 16)) AS hours,
        attended_count, no_show_count, late_cancel_count,
        comped_counts.attended AS comped,
        instructor_pay_rate.id AS rate_id,
        instructor_pay_rate.type AS rate_type,
        CAST(instructor_pay_rate.base AS DECIMAL(18, 6)) AS base,
        instructor_pay_rate.tiers AS tiers,
        upper(instructor_pay.iso_currency_code) AS figure_currency,
        instructor_pay_calculation_pending AS pending
    FROM read_ndjson(getvariable('export_csv'), columns = {
        'instructor': 'STRUCT(id BIGINT)', 'venue': 'STRUCT(id BIGINT)', 'starts_at': 'VARCHAR',
        'venue_timezone': 'VARCHAR', 'hours': 'VARCHAR', 'attended_count': 'INTEGER',
        'no_show_count': 'INTEGER', 'late_cancel_count': 'INTEGER',
        'comped_counts': 'STRUCT(attended INTEGER)',
        'instructor_pay_rate': 'STRUCT(id BIGINT, type VARCHAR, base VARCHAR, tiers STRUCT(lower_bound INTEGER, upper_bound INTEGER, per_customer_amount STRUCT(amount VARCHAR))[])',
        'instructor_pay': 'STRUCT(iso_currency_code VARCHAR)',
        'instructor_pay_calculation_pending': 'BOOLEAN'})
),
r AS (SELECT * FROM read_csv(getvariable('rates_csv'), all_varchar = true)),
v AS (SELECT * FROM read_csv(getvariable('venues_csv'), all_varchar = true)),
c AS (
    SELECT s.*,
        coalesce(s.figure_currency, v.currency) AS currency,
        coalesce(r.tier_mode, d.tier_mode) AS tier_mode,
        CAST(nullif(coalesce(r.empty_session_pay, d.empty_session_pay), '') AS DECIMAL(18, 6)) AS empty_pay,
        CAST(nullif(coalesce(r.max_pay, d.max_pay), '') AS DECIMAL(18, 6)) AS max_pay,
        s.attended_count
          - CASE WHEN coalesce(r.count_comped, d.count_comped) = 'true' THEN 0 ELSE s.comped END
          + CASE WHEN coalesce(r.count_late_cancels, d.count_late_cancels) = 'true' THEN s.late_cancel_count ELSE 0 END
          + CASE WHEN coalesce(r.count_no_shows, d.count_no_shows) = 'true' THEN s.no_show_count ELSE 0 END
          AS counted
    FROM s
    LEFT JOIN r ON r.rate_id = CAST(s.rate_id AS VARCHAR)
    CROSS JOIN (SELECT * FROM r WHERE rate_id = '*') d
    LEFT JOIN v ON v.venue_id = CAST(s.venue_id AS VARCHAR)
),
p AS (
    SELECT *,
        CASE
            WHEN rate_type IS NULL THEN 0
            WHEN counted = 0 AND empty_pay IS NOT NULL THEN empty_pay
            WHEN rate_type = 'per_customer' THEN base * counted
            WHEN rate_type = 'per_hour' THEN base * hours
            WHEN tier_mode = 'graduated' THEN coalesce(list_sum(list_transform(tiers, lambda t:
                greatest(0, least(counted, coalesce(t.upper_bound, counted)) - t.lower_bound + 1)
                * CAST(t.per_customer_amount.amount AS DECIMAL(18, 6)))), 0)
            ELSE coalesce(counted * CAST(list_extract(list_filter(tiers, lambda t:
                counted >= t.lower_bound AND (t.upper_bound IS NULL OR counted <= t.upper_bound)),
                1).per_customer_amount.amount AS DECIMAL(18, 6)), 0)
        END AS raw_pay
    FROM c
),
q AS (
    SELECT *,
        CASE currency WHEN 'JPY' THEN CAST(round(raw_pay, 0) AS DECIMAL(38, 2))
                      ELSE CAST(round(raw_pay, 2) AS DECIMAL(38, 2)) END AS rounded
    FROM p
)
SELECT
    instructor_id,
    currency,
    strftime(timezone(venue_timezone, starts_at), '%Y-%m-01') AS period_start,
    count(*) AS sessions,
    sum(hours) AS hours,
    -- a provisional session counts as a session and adds nothing else
    sum(CASE WHEN pending THEN 0 ELSE counted END) AS counted_customers,
    -- each branch cast to one type: DuckDB unifies DECIMAL(38,0) with (38,2) to (38,0)
    sum(CASE WHEN pending THEN 0
             WHEN max_pay < rounded THEN CAST(max_pay AS DECIMAL(38, 2))
             ELSE rounded END) AS computed_pay
FROM q
GROUP BY ALL
ORDER BY ALL
) TO '/dev/stdout' (HEADER, DELIMITER ',');
