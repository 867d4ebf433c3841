-- The plain query a data person would write for `sessionpay payroll --period month` over the
-- NDJSON export: typed columns, exact DECIMAL, counted customers and the three pay rules as
-- CASE, tiers from the row's own list (slab), rounded to the minor unit, grouped per
-- instructor x currency x venue-local month. It takes the policy's count flags from rates.csv
-- and ignores the rest of the policy (tier_mode graduated, max_pay, empty_session_pay,
-- rounding modes, the minutes basis) and currency inference; see benches/README.md.
SET threads = 2;
COPY (
WITH s AS (
    SELECT
        id,
        instructor.id AS instructor_id,
        venue_timezone,
        CAST(starts_at AS TIMESTAMPTZ) AS starts_at,
        CAST(hours AS DECIMAL(38, 16)) AS hours,
        attended_count, no_show_count, late_cancel_count,
        comped_counts.attended AS comped,
        instructor_pay_rate.id AS rate_id,
        instructor_pay_rate.type AS rate_type,
        CAST(instructor_pay_rate.base AS DECIMAL(18, 4)) AS base,
        instructor_pay_rate.tiers AS tiers,
        upper(instructor_pay.iso_currency_code) AS currency,
        instructor_pay_calculation_pending AS pending
    FROM read_ndjson(getvariable('export_csv'), columns = {
        'id': 'BIGINT', 'instructor': 'STRUCT(id BIGINT)', 'starts_at': 'VARCHAR',
        'venue_timezone': 'VARCHAR', 'hours': 'VARCHAR', 'attended_count': 'INTEGER',
        'no_show_count': 'INTEGER', 'late_cancel_count': 'INTEGER',
        'comped_counts': 'STRUCT(attended INTEGER)',
        'instructor_pay_rate': 'STRUCT(id BIGINT, type VARCHAR, base VARCHAR, tiers STRUCT(lower_bound INTEGER, upper_bound INTEGER, per_customer_amount STRUCT(amount VARCHAR, currency VARCHAR))[])',
        'instructor_pay': 'STRUCT(iso_currency_code VARCHAR)',
        'instructor_pay_calculation_pending': 'BOOLEAN'})
),
r AS (SELECT * FROM read_csv(getvariable('rates_csv'), all_varchar = true)),
c AS (
    SELECT s.*,
        s.attended_count
          - CASE WHEN coalesce(r.count_comped, d.count_comped) = 'true' THEN 0 ELSE s.comped END
          + CASE WHEN coalesce(r.count_late_cancels, d.count_late_cancels) = 'true' THEN s.late_cancel_count ELSE 0 END
          + CASE WHEN coalesce(r.count_no_shows, d.count_no_shows) = 'true' THEN s.no_show_count ELSE 0 END
          AS counted
    FROM s
    LEFT JOIN r ON r.rate_id = CAST(s.rate_id AS VARCHAR)
    CROSS JOIN (SELECT * FROM r WHERE rate_id = '*') d
),
p AS (
    SELECT *,
        CASE rate_type
            WHEN 'per_customer' THEN base * counted
            WHEN 'per_hour' THEN base * hours
            WHEN 'per_customer_tiered' THEN counted * CAST(list_extract(list_filter(tiers,
                t -> counted >= t.lower_bound AND (t.upper_bound IS NULL OR counted <= t.upper_bound)),
                1).per_customer_amount.amount AS DECIMAL(18, 4))
            ELSE 0
        END AS raw_pay
    FROM c
)
SELECT
    instructor_id,
    currency,
    strftime(timezone(venue_timezone, starts_at), '%Y-%m') AS period,
    count(*) AS sessions,
    sum(CAST(round(coalesce(raw_pay, 0), CASE currency WHEN 'JPY' THEN 0 ELSE 2 END) AS DECIMAL(38, 2))) AS computed_pay
FROM p
GROUP BY ALL
ORDER BY ALL
) TO '/dev/stdout' (HEADER, DELIMITER ',');
