-- sessionpay's `payroll --period month` as one DuckDB script: an independent implementation of
-- SPEC sections 2 and 5 over a CSV export, to cross-check sessionpay's figures and race it.
--
-- Inputs (DuckDB variables, set before this script runs; benches/scripts/run_duckdb.py does it):
--   export_csv  the TeamUp CSV export (dot-key header, as in shared/conformance/report.csv)
--   rates_csv   the rate policy: rate_id,count_comped,count_late_cancels,count_no_shows,tier_mode,
--               empty_session_pay,max_pay,rounding,hours_basis; one row per [rates.N] of rates.toml
--               with [defaults] and the SPEC defaults already merged in, plus a row with rate_id '*'
--               (the defaults) for rates the file does not name and for unrated rows
--   venues_csv  venue_id,currency from the [venues.N] tables of rates.toml
-- (benches/scripts/rates_to_csv.py writes both CSVs from rates.toml.)
-- Output: the payroll CSV of SPEC 6 on stdout, sorted by instructor_id, currency, period_start.
--
-- Money is DECIMAL throughout, never DOUBLE. read_csv types the numeric columns itself (exactly, from
-- their text). round(DECIMAL, n) rounds half away from zero (SPEC half_up), round_even() half to even.
-- The export is read once, streaming: memory stays flat with the row count. Needs DuckDB 1.3 or
-- later (`lambda x:` syntax).
-- For speed: no per-row JSON (each tier set is parsed once, and its pay for 0..255 customers looked
-- up); the reported figure without a regexp in the common case; the time zone only near month ends.
-- Tiers are taken in the listed order and, where they overlap beyond the half-open rule, the first
-- tier holding the count wins (sessionpay refuses such tiers).
-- Limits of this cross-check (not of sessionpay): CSV with the dot-key header only; the currency
-- comes from the tiers or [venues.N] (else £/€/₹), without inference from other sessions; hours
-- with at most 16 decimals and amounts (bases, tier amounts, caps, empty-session pay) with at most 6
-- (DECIMAL(18, 6) would round more away before the pay is worked out); no de-duplication of ids;
-- malformed numbers fail the query; a local time in the hour skipped when clocks go forward is not
-- an error.

SET threads = 2;
SET preserve_insertion_order = false;
-- DuckDB 2.0's partial_aggregate_pushdown fuses every projection between a GROUP BY and the join
-- below it into the GROUP BY's input, so that pay, TeamUp's figure and the tier parse are computed
-- twice per row (10-15% more CPU here; 2x when rows parse their own tiers). Off where the optimizer
-- exists: a plain SET naming an unknown optimizer is an error.
SET VARIABLE unwanted_optimizers = (SELECT coalesce(string_agg(name, ','), '') FROM duckdb_optimizers()
                                    WHERE name = 'partial_aggregate_pushdown');
SET disabled_optimizers = getvariable('unwanted_optimizers');

-- Tiers JSON text -> [{lo, hi, amount}] in the listed order; hi is the effective upper bound (the
-- half-open rule applied). Bounds via from_json; amounts as their exact JSON text (DuckDB's JSON
-- reader goes through DOUBLE). b and a are the two parses of the same text.
CREATE OR REPLACE TEMP MACRO tier_list(b, a) AS
    list_transform(b, lambda x, i: {'lo': x.lower_bound,
        'hi': CASE WHEN x.upper_bound IS NOT NULL AND b[i + 1].lower_bound = x.upper_bound
                   THEN x.upper_bound - 1 ELSE x.upper_bound END,
        'amount': a[i]::DECIMAL(18, 6)});
CREATE OR REPLACE TEMP MACRO tier_bounds(txt) AS from_json(txt, '[{"lower_bound": "BIGINT", "upper_bound": "BIGINT"}]');
CREATE OR REPLACE TEMP MACRO tier_amounts(txt) AS regexp_extract_all(txt, '"amount"\s*:\s*"?(-?[0-9][0-9.eE+\-]*)', 1);
CREATE OR REPLACE TEMP MACRO tier_currency(txt) AS upper(nullif(regexp_extract(txt, '"currency"\s*:\s*"([A-Za-z]{3})"', 1), ''));
-- The amount of the first tier holding k (0 when none does).
CREATE OR REPLACE TEMP MACRO tier_amount(tl, k) AS
    coalesce(list_filter(tl, lambda t: t.lo <= k AND (t.hi IS NULL OR k <= t.hi))[1].amount, 0);
-- Slab: n customers at the amount of the tier holding n. Graduated: customer k at the tier holding k.
CREATE OR REPLACE TEMP MACRO tier_slab(tl, n) AS (tier_amount(tl, n) * n)::DECIMAL(18, 6);
CREATE OR REPLACE TEMP MACRO tier_graduated(tl, n) AS
    coalesce(list_sum(list_transform(range(1, n + 1), lambda k: tier_amount(tl, k))), 0)::DECIMAL(18, 6);
-- Minor-unit digits of an ISO 4217 code.
CREATE OR REPLACE TEMP MACRO minor_digits(c) AS
    CASE WHEN list_contains(['BIF','CLP','DJF','GNF','ISK','JPY','KMF','KRW','PYG','RWF','UGX','UYI','VND','VUV',
                             'XAF','XOF','XPF'], c) THEN 0
         WHEN list_contains(['BHD','IQD','JOD','KWD','LYD','OMR','TND'], c) THEN 3
         ELSE 2 END;
-- x rounded to dp (0, 2 or 3) decimals, half away from zero or half to even.
CREATE OR REPLACE TEMP MACRO round_to(x, dp, half_even) AS
    CASE WHEN half_even THEN
        CASE dp WHEN 2 THEN round_even(x, 2)::DECIMAL(18, 3) WHEN 0 THEN round_even(x, 0)::DECIMAL(18, 3)
                ELSE round_even(x, 3)::DECIMAL(18, 3) END
    ELSE
        CASE dp WHEN 2 THEN round(x, 2)::DECIMAL(18, 3) WHEN 0 THEN round(x, 0)::DECIMAL(18, 3)
                ELSE round(x, 3)::DECIMAL(18, 3) END
    END;

-- The instant of venue-local time lt; in the hour repeated when clocks go back, the earlier one
-- (DuckDB's timezone() gives the later).
CREATE OR REPLACE TEMP MACRO local_instant(tz, lt) AS
    CASE WHEN timezone(tz, timezone(tz, lt) - INTERVAL 1 HOUR) = lt THEN timezone(tz, lt) - INTERVAL 1 HOUR
         WHEN timezone(tz, timezone(tz, lt) - INTERVAL 30 MINUTE) = lt THEN timezone(tz, lt) - INTERVAL 30 MINUTE
         ELSE timezone(tz, lt) END;

-- Tier sets seen in the first 20,000 rows: parsed once, their slab and graduated pay for 0 to 255
-- customers kept in two constant lists (entry (pos - 1) * 256 + n + 1). Rows with another tier set,
-- or more customers, parse their own tiers (slower, same figures).
CREATE OR REPLACE TEMP TABLE tier_sets AS
    SELECT row_number() OVER (ORDER BY tiers_text) AS pos, tiers_text,
           tier_list(tier_bounds(tiers_text), tier_amounts(tiers_text)) AS tl,
           tier_currency(tiers_text) AS currency, minor_digits(tier_currency(tiers_text)) AS dp
    FROM (SELECT DISTINCT "instructor_pay_rate.tiers" AS tiers_text
          FROM (FROM read_csv(getvariable('export_csv'), header = true, all_varchar = true, delim = ',',
                              quote = '"', escape = '"', sample_size = 2048) LIMIT 20000)
          WHERE "instructor_pay_rate.type" = 'per_customer_tiered');
SET VARIABLE tier_slab = (SELECT list(tier_slab(tl, n) ORDER BY pos, n) FROM tier_sets, range(0, 256) r(n));
SET VARIABLE tier_graduated = (SELECT list(tier_graduated(tl, n) ORDER BY pos, n) FROM tier_sets, range(0, 256) r(n));

COPY (
WITH
policy AS (
    SELECT rate_id,
           lower(count_comped) = 'true'       AS count_comped,
           lower(count_late_cancels) = 'true' AS count_late_cancels,
           lower(count_no_shows) = 'true'     AS count_no_shows,
           tier_mode = 'graduated'            AS graduated,
           nullif(empty_session_pay, '')::DECIMAL(18, 6) AS empty_session_pay,
           nullif(max_pay, '')::DECIMAL(18, 6)           AS max_pay,
           rounding = 'half_even'             AS half_even,
           hours_basis = 'minutes'            AS minutes_basis
    FROM read_csv(getvariable('rates_csv'), header = true, all_varchar = true)
),
defaults AS (SELECT * EXCLUDE (rate_id) FROM policy WHERE rate_id = '*'),
rated AS (SELECT * EXCLUDE (rate_id), rate_id::BIGINT AS rate_id FROM policy WHERE rate_id <> '*'),
venues AS (
    SELECT venue_id::BIGINT AS venue_id, upper(trim(currency)) AS currency, minor_digits(upper(trim(currency))) AS dp
    FROM read_csv(getvariable('venues_csv'), header = true, all_varchar = true)
),
s AS (
    SELECT
        "id" AS id,
        "instructor.id" AS instructor_id,
        "instructor.name" AS instructor_name,
        "starts_at" AS starts_at,
        "venue.id" AS venue_id,
        "venue_timezone" AS tz,
        "hours" AS hours,
        coalesce("attended_count", 0) AS attended,
        coalesce("no_show_count", 0) AS no_shows,
        coalesce("late_cancel_count", 0) AS late_cancels,
        coalesce("comped_counts.attended", 0) AS comped,
        "instructor_pay_rate.id" AS rate_id,
        nullif("instructor_pay_rate.type", '') AS rate_type,
        "instructor_pay_rate.base" AS base,
        CASE WHEN "instructor_pay_rate.type" = 'per_customer_tiered' THEN "instructor_pay_rate.tiers" END AS tiers_text,
        "instructor_pay" AS pay_cell,
        coalesce("instructor_pay_calculation_pending", false) AS pending
    FROM read_csv(getvariable('export_csv'), header = true, delim = ',', quote = '"', escape = '"',
        types = {'id': 'BIGINT', 'instructor.id': 'BIGINT', 'starts_at': 'VARCHAR', 'venue.id': 'BIGINT',
                 'venue_timezone': 'VARCHAR', 'hours': 'DECIMAL(20, 16)', 'attended_count': 'INTEGER',
                 'no_show_count': 'INTEGER', 'late_cancel_count': 'INTEGER', 'comped_counts.attended': 'INTEGER',
                 'instructor_pay_rate.id': 'BIGINT', 'instructor_pay_rate.type': 'VARCHAR',
                 'instructor_pay_rate.base': 'DECIMAL(18, 6)', 'instructor_pay_rate.tiers': 'VARCHAR',
                 'instructor_pay': 'VARCHAR', 'instructor_pay_calculation_pending': 'BOOLEAN'})
),
-- The policy (rates that rates.csv does not name, and unrated rows, take its '*' row), the venue's
-- currency, the tier set. Counted customers n.
p AS (
    SELECT s.*,
        coalesce(r.graduated, d.graduated) AS graduated,
        CASE WHEN r.rate_id IS NULL THEN d.empty_session_pay ELSE r.empty_session_pay END AS empty_session_pay,
        CASE WHEN r.rate_id IS NULL THEN d.max_pay ELSE r.max_pay END AS max_pay,
        coalesce(r.half_even, d.half_even) AS half_even,
        coalesce(r.minutes_basis, d.minutes_basis) AS minutes_basis,
        s.attended
          - CASE WHEN coalesce(r.count_comped, d.count_comped) THEN 0 ELSE s.comped END
          + CASE WHEN coalesce(r.count_late_cancels, d.count_late_cancels) THEN s.late_cancels ELSE 0 END
          + CASE WHEN coalesce(r.count_no_shows, d.count_no_shows) THEN s.no_shows ELSE 0 END AS n,
        v.currency AS venue_currency, v.dp AS venue_dp,
        ts.pos AS tier_pos, ts.currency AS tier_currency, ts.dp AS tier_dp
    FROM s
    LEFT JOIN rated r ON r.rate_id = s.rate_id
    LEFT JOIN venues v ON v.venue_id = s.venue_id
    LEFT JOIN tier_sets ts ON ts.tiers_text = s.tiers_text
    CROSS JOIN defaults d
),
-- Tiered pay (looked up, or this row's tiers parsed), currency and minor unit, TeamUp's figure, instant.
q AS (
    SELECT p.*,
        CASE WHEN tier_pos IS NOT NULL AND n BETWEEN 0 AND 255 THEN
            CASE WHEN graduated THEN getvariable('tier_graduated')[(tier_pos - 1) * 256 + n + 1]
                 ELSE getvariable('tier_slab')[(tier_pos - 1) * 256 + n + 1] END END AS tiered,
        CASE WHEN tiers_text IS NOT NULL AND (tier_pos IS NULL OR n NOT BETWEEN 0 AND 255)
             THEN tier_list(tier_bounds(tiers_text), tier_amounts(tiers_text)) END AS tl,
        CASE WHEN tier_pos IS NULL AND tiers_text IS NOT NULL THEN tier_currency(tiers_text) ELSE tier_currency END AS tc,
        -- `£1,234.50`, `$-0.01`: drop the symbol and the commas; anything else (`45.00 €`, `-£3`): regexp
        coalesce(try_cast(replace(CASE WHEN starts_with(pay_cell, '$') OR starts_with(pay_cell, '£')
                                         OR starts_with(pay_cell, '€') OR starts_with(pay_cell, '¥')
                                         OR starts_with(pay_cell, '₹') THEN pay_cell[2:] ELSE pay_cell END, ',', '')
                          AS DECIMAL(18, 6)),
                 try_cast(regexp_replace(pay_cell, '[^0-9.\-]', '', 'g') AS DECIMAL(18, 6))) AS reported,
        -- With an offset or Z: an instant. Without: venue-local time.
        CASE WHEN regexp_matches(starts_at, '(Z|z|[+-]\d\d(:?\d\d)?)$') THEN starts_at::TIMESTAMPTZ END AS instant_
    FROM p
),
t AS (
    SELECT q.*,
        coalesce(tc, venue_currency,
                 CASE WHEN contains(pay_cell, '£') THEN 'GBP' WHEN contains(pay_cell, '€') THEN 'EUR'
                      WHEN contains(pay_cell, '₹') THEN 'INR' END) AS currency,
        CASE WHEN tc IS NOT NULL THEN coalesce(tier_dp, minor_digits(tc))
             WHEN venue_currency IS NOT NULL THEN venue_dp
             ELSE 2 END AS dp,
        -- The venue-local month. An instant 2 to 27 days into its UTC month is in the same local
        -- month (UTC offsets are under a day); only the others go through the time zone.
        CASE WHEN instant_ IS NULL THEN date_trunc('month', starts_at::TIMESTAMP)
             WHEN day(make_timestamp(epoch_us(instant_))) BETWEEN 2 AND 27
                 THEN date_trunc('month', make_timestamp(epoch_us(instant_)))
             ELSE date_trunc('month', timezone(tz, instant_)) END::DATE AS period_start,
        CASE WHEN instant_ IS NOT NULL THEN instant_ ELSE local_instant(tz, starts_at::TIMESTAMP) END AS instant
    FROM q
),
u AS (
    SELECT t.*,
        CASE WHEN rate_type = 'per_hour' AND minutes_basis
             THEN (base * round(hours * 60, 0) * 1000000)::HUGEINT
                  * (CASE dp WHEN 0 THEN 1 WHEN 3 THEN 1000 ELSE 100 END)::HUGEINT END AS mx
    FROM t
),
-- SPEC 2, steps 1, 2 and 4: the formula (or the empty-session pay), rounded to the minor unit.
pay AS (
    SELECT u.*,
        CASE
            WHEN rate_id IS NULL OR rate_type IS NULL THEN 0::DECIMAL(18, 3)
            WHEN n = 0 AND empty_session_pay IS NOT NULL THEN round_to(empty_session_pay, dp, half_even)
            WHEN rate_type = 'per_hour' AND minutes_basis THEN
                -- base * whole minutes / 60, exactly: mx in units of 10^-(dp + 6) / 60, divided only
                -- here, in integers, with the rounding (a quotient cut short first would round midpoints wrong)
                ((mx // 60000000 + CASE WHEN 2 * (mx % 60000000) > 60000000
                                         OR (2 * (mx % 60000000) = 60000000 AND (NOT half_even OR (mx // 60000000) % 2 = 1))
                                        THEN 1 ELSE 0 END)::DECIMAL(38, 0)
                 * CASE dp WHEN 0 THEN 1::DECIMAL(4, 3) WHEN 3 THEN 0.001::DECIMAL(4, 3) ELSE 0.01::DECIMAL(4, 3) END)::DECIMAL(18, 3)
            WHEN rate_type = 'per_hour' THEN round_to(base * hours, dp, half_even)
            WHEN rate_type = 'per_customer' THEN round_to((base * n)::DECIMAL(38, 6), dp, half_even)
            WHEN rate_type = 'per_customer_tiered' THEN
                round_to(CASE WHEN tl IS NULL THEN tiered WHEN graduated THEN tier_graduated(tl, n) ELSE tier_slab(tl, n) END,
                         dp, half_even)
        END AS rounded
    FROM u
),
-- Step 3, the cap, after rounding: rounding is monotonic, so round(min(raw, cap)) = min(round(raw), round(cap)).
capped AS (
    SELECT *,
        CASE WHEN max_pay IS NULL OR rounded IS NULL THEN rounded
             ELSE least(rounded, round_to(max_pay, dp, half_even)) END AS computed
    FROM pay
),
agg AS (
    SELECT
        instructor_id, currency, period_start,
        arg_max(instructor_name, epoch_us(instant)::HUGEINT * 18446744073709551616 + id) AS name,
        max(epoch_us(instant)::HUGEINT * 18446744073709551616 + id) AS name_key,
        count(*) AS sessions,
        sum(hours) AS hours,
        sum(CASE WHEN pending THEN 0 ELSE n END) AS counted_customers,
        sum(CASE WHEN pending THEN 0 ELSE computed END) AS computed_pay,
        sum(CASE WHEN pending THEN 0 ELSE coalesce(reported, 0) END) AS reported_pay,
        count_if(NOT pending AND rate_id IS NOT NULL AND reported <> computed) AS mismatched_sessions,
        count_if(pending) AS pending_sessions,
        count_if(rate_id IS NULL) AS unrated_sessions
    FROM capped
    GROUP BY instructor_id, currency, period_start
)
SELECT
    instructor_id,
    -- the name on the instructor's latest session (by instant; ties to the higher id), in every row
    arg_max(name, name_key) OVER (PARTITION BY instructor_id) AS instructor_name,
    currency, period_start, last_day(period_start) AS period_end, sessions,
    CASE WHEN contains(hours::VARCHAR, '.') THEN rtrim(rtrim(hours::VARCHAR, '0'), '.') ELSE hours::VARCHAR END AS hours,
    counted_customers,
    CASE minor_digits(currency) WHEN 0 THEN computed_pay::DECIMAL(38, 0)::VARCHAR
         WHEN 3 THEN computed_pay::DECIMAL(38, 3)::VARCHAR ELSE computed_pay::DECIMAL(38, 2)::VARCHAR END AS computed_pay,
    CASE minor_digits(currency) WHEN 0 THEN reported_pay::DECIMAL(38, 0)::VARCHAR
         WHEN 3 THEN reported_pay::DECIMAL(38, 3)::VARCHAR ELSE reported_pay::DECIMAL(38, 2)::VARCHAR END AS reported_pay,
    CASE minor_digits(currency) WHEN 0 THEN (reported_pay - computed_pay)::DECIMAL(38, 0)::VARCHAR
         WHEN 3 THEN (reported_pay - computed_pay)::DECIMAL(38, 3)::VARCHAR
         ELSE (reported_pay - computed_pay)::DECIMAL(38, 2)::VARCHAR END AS difference,
    mismatched_sessions, pending_sessions, unrated_sessions
FROM agg
ORDER BY instructor_id, currency, period_start
) TO '/dev/stdout' (HEADER, DELIMITER ',');
