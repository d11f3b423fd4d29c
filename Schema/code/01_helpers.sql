-- Shared helpers of the tenant code: errors, text formats of money, dates and
-- timestamps, paging, and the checks of common params.
--
-- Every file under Schema/code/ is re-applied as a whole by `foliod migrate`
-- (CREATE OR REPLACE, in one transaction; functions no file defines any more
-- are dropped) into the one shared schema `folio_code`. A request reaches it
-- through the search_path that folio.enter sets: `t_<tenant>, folio_code`, so
-- every unqualified table name below is the calling tenant's own table, and
-- every statement runs under the tenant's role (SECURITY INVOKER): PostgreSQL
-- itself refuses another tenant's tables.
--
-- Conventions
--  * Every RPC method `a.b` is the function `a_b(p jsonb) RETURNS jsonb`, SECURITY
--    INVOKER, run by the tenant role in one transaction. `p` has already been
--    checked for structure by the server (no unknown fields, required fields
--    present, JSON types, decimal formats, enums); these functions do every
--    semantic check and raise through fail(): FL602 invalid params (detail = field
--    path, zero-based like `lines[2].qty`), FL002 not found, FL003 conflict.
--  * Money is `numeric`, never float. An amount is rounded to the currency's minor
--    unit (minor_units()) half away from zero (numeric round()). In results money
--    is a string with exactly the minor-unit decimals; qty and percent are shown
--    with trailing zeros trimmed; unit_price as stored (as given).
--  * Dates are 'YYYY-MM-DD', timestamps RFC 3339 UTC with microseconds.
--  * A function takes or returns a tenant table's row as `record` (so those are
--    PL/pgSQL): the row types belong to the tenant schemas, which all have the
--    same shape.
--  * Composite types (00_types.sql) are created once and never changed in place:
--    a new shape gets a new name.
--  * Citus schema-based sharding: all data lives in the tenant schema, keys are
--    bigint identities, foreign keys stay inside the schema, document numbers
--    come from the number_series table, never from a sequence, and no function
--    here touches the control schema `folio`.
--  * Lists are ordered by id; the cursor is the last returned id as text
--    (opaque to clients); next_cursor is null on the last page.

-- Decimals of a currency known to be valid (a document's or the tenant's): the
-- ISO 4217 exceptions, else 2. Small enough to inline cheaply, which the planner
-- does in every statement that formats money.
CREATE OR REPLACE FUNCTION currency_decimals(code text) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
        WHEN strpos('BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF', code) > 0 THEN 0
        WHEN strpos('BHD IQD JOD KWD LYD OMR TND', code) > 0 THEN 3
        WHEN strpos('CLF UYW', code) > 0 THEN 4
        ELSE 2
    END;

-- ISO 4217 minor units (decimals) of a currency; NULL for an unknown code (the
-- check of a currency given in a request or tenant setting). The codes are
-- space-separated lists of three letters, so a match cannot straddle two codes.
CREATE OR REPLACE FUNCTION minor_units(code text) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
        WHEN code ~ '^[A-Z]{3}$'
             AND strpos('BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF BHD IQD JOD KWD '
                        'LYD OMR TND CLF UYW AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND '
                        'BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN '
                        'ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES '
                        'KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK '
                        'MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD '
                        'SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS '
                        'UAH USD UYU UZS VES WST XCD YER ZAR ZMW ZWG', code) > 0
        THEN currency_decimals(code)
    END;

-- Whether this connection gives the hottest functions (pricing, totals, issuing,
-- numbering, the result object, the audit row) plans of their own per tenant.
-- PostgreSQL re-plans a statement whenever it runs under another search path than
-- it was planned under, so shared code re-plans on every switch of tenant. PL/pgSQL
-- compiles a polymorphic function once per argument type: each of those functions
-- is a `<name>_body(tenant_row anyelement, ...)` that its wrapper calls with
-- NULL::settings (the tenant's own row type: a copy per tenant, always planned for
-- that tenant) while this is on, else with NULL::shared_plans (one copy for all).
-- folio.enter turns it on for the request when the pooled connection counts the
-- tenant among its first --warm-tenants tenants, which bounds the memory the copies
-- take (about 1 MB per tenant and backend). Operators' psql sessions leave it off.
CREATE OR REPLACE FUNCTION tenant_plans() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN coalesce(current_setting('folio.tenant_plans', true), '') = 'on';

-- Raises a Folio error: FL602 invalid params (detail = field path), FL002 not found,
-- FL003 conflict, FL004 idempotency mismatch, FL001 forbidden.
CREATE OR REPLACE FUNCTION fail(code text, message text, field text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = code, MESSAGE = message, DETAIL = coalesce(field, '');
END
$$;

-- Money text: exactly the currency's minor-unit decimals ("12.50", JPY "13").
CREATE OR REPLACE FUNCTION money_text(x numeric, m int) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN round(x, m)::text;

-- Decimal text without trailing zeros ("1.5", "20"), for qty and percent.
CREATE OR REPLACE FUNCTION dec_text(x numeric) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN trim_scale(x)::text;

-- 'YYYY-MM-DD' independent of DateStyle.
CREATE OR REPLACE FUNCTION date_text(d date) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN to_char(d, 'YYYY-MM-DD');

-- RFC 3339 timestamp in UTC, independent of the session's TimeZone.
CREATE OR REPLACE FUNCTION ts_text(t timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');

-- Today in the tenant's time zone (issue dates, overdue).
CREATE OR REPLACE FUNCTION tenant_today() RETURNS date
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT (now() AT TIME ZONE s.timezone)::date FROM settings s);
END
$$;

-- Page size: `limit` 1..500, default 50.
CREATE OR REPLACE FUNCTION page_limit(p jsonb) RETURNS int
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE n int := coalesce((p->>'limit')::int, 50);
BEGIN
    IF n NOT BETWEEN 1 AND 500 THEN
        PERFORM fail('FL602', 'limit must be between 1 and 500', 'limit');
    END IF;
    RETURN n;
END
$$;

-- Cursor: the last id of the previous page as text; absent = from the start.
CREATE OR REPLACE FUNCTION page_after(p jsonb) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE c text := p->>'cursor';
BEGIN
    IF c IS NULL THEN RETURN 0; END IF;
    IF c !~ '^[0-9]{1,18}$' THEN
        PERFORM fail('FL602', 'cursor is not a cursor returned by this list', 'cursor');
    END IF;
    RETURN c::bigint;
END
$$;

-- Substring pattern for ILIKE with %, _ and \ in the search text taken literally.
CREATE OR REPLACE FUNCTION like_pattern(s text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN '%' || regexp_replace(s, '([\\%_])', '\\\1', 'g') || '%';

-- A list page from up to lim + 1 item objects in cursor order, each with its
-- "id": {items: the first lim, next_cursor: the last item's id when there are
-- more, else null}. Every list selects lim + 1 rows and ends with this.
CREATE OR REPLACE FUNCTION page_of(rows jsonb, lim int) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN jsonb_array_length(rows) > lim
            THEN jsonb_build_object('items', rows - lim, 'next_cursor', rows->(lim - 1)->>'id')
            ELSE jsonb_build_object('items', rows, 'next_cursor', NULL) END;

-- Checks an optional text value: NULL passes; longer than maxlen (or blank when
-- not allow_blank) is FL602 on `field`.
CREATE OR REPLACE FUNCTION check_text(v text, field text, maxlen int, allow_blank boolean DEFAULT true) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF v IS NOT NULL THEN
        IF length(v) > maxlen THEN
            PERFORM fail('FL602', format('%s must be at most %s characters', field, maxlen), field);
        END IF;
        IF NOT allow_blank AND btrim(v) = '' THEN
            PERFORM fail('FL602', format('%s must not be blank', field), field);
        END IF;
    END IF;
    RETURN v;
END
$$;

-- Required non-blank text.
CREATE OR REPLACE FUNCTION req_text(v text, field text, maxlen int) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF v IS NULL THEN
        PERFORM fail('FL602', format('%s is required', field), field);
    END IF;
    RETURN check_text(v, field, maxlen, false);
END
$$;

-- Payment terms in days: 0..3650.
CREATE OR REPLACE FUNCTION check_terms(v int, field text) RETURNS int
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF v IS NOT NULL AND v NOT BETWEEN 0 AND 3650 THEN
        PERFORM fail('FL602', 'payment terms must be between 0 and 3650 days', field);
    END IF;
    RETURN v;
END
$$;

-- A loose e-mail check: one @ with something on both sides, no spaces.
CREATE OR REPLACE FUNCTION check_email(v text, field text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF v IS NOT NULL AND (length(v) > 254 OR v !~ '^[^@\s]+@[^@\s]+$') THEN
        PERFORM fail('FL602', format('%s is not an e-mail address', field), field);
    END IF;
    RETURN v;
END
$$;

-- Postal address object {line1, line2, city, region, postal_code, country}, all
-- optional strings. JSON null (or absent) gives NULL; other keys or non-string
-- values are FL602 on `field.key`. Null members are dropped.
CREATE OR REPLACE FUNCTION check_address(a jsonb, field text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE k text;
BEGIN
    IF a IS NULL OR jsonb_typeof(a) = 'null' THEN RETURN NULL; END IF;
    IF jsonb_typeof(a) <> 'object' THEN
        PERFORM fail('FL602', format('%s must be an object', field), field);
    END IF;
    SELECT key INTO k FROM jsonb_each(a)
     WHERE key NOT IN ('line1', 'line2', 'city', 'region', 'postal_code', 'country') ORDER BY key LIMIT 1;
    IF k IS NOT NULL THEN
        PERFORM fail('FL602', format('unknown address field %s', k), field || '.' || k);
    END IF;
    SELECT key INTO k FROM jsonb_each(a)
     WHERE jsonb_typeof(value) NOT IN ('string', 'null') OR length(value #>> '{}') > 200 ORDER BY key LIMIT 1;
    IF k IS NOT NULL THEN
        PERFORM fail('FL602', format('address field %s must be a string of at most 200 characters', k), field || '.' || k);
    END IF;
    RETURN jsonb_strip_nulls(a);
END
$$;


-- Plans: the busy functions below run with plan_cache_mode =
-- force_generic_plan. Their statements are keyed by ids and arrays whose
-- generic plans are index lookups anyway; without it plpgsql re-plans the
-- larger statements on every call (measured: payment.record 2.0 -> 1.0 ms).

-- The caller's uid (set by folio.enter), 0 outside a request.
CREATE OR REPLACE FUNCTION current_uid() RETURNS bigint
LANGUAGE sql STABLE
RETURN coalesce(nullif(current_setting('folio.uid', true), ''), '0')::bigint;

-- A money amount given as a decimal string for currency `cur`: required, > 0,
-- at most the currency's minor-unit decimals (FL602 on `field`).
CREATE OR REPLACE FUNCTION check_money(v text, cur text, field text) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    m int := currency_decimals(cur);
    x numeric;
BEGIN
    IF v IS NULL THEN
        PERFORM fail('FL602', format('%s is required', field), field);
    END IF;
    IF v !~ '^[+-]?[0-9]{1,13}(\.[0-9]+)?$' THEN
        PERFORM fail('FL602', format('%s must be a decimal amount like "12.50"', field), field);
    END IF;
    x := v::numeric;
    IF x <= 0 THEN
        PERFORM fail('FL602', format('%s must be greater than 0', field), field);
    END IF;
    IF x <> round(x, m) THEN
        PERFORM fail('FL602', format('%s has more decimals than %s allows (%s)', field, cur, m), field);
    END IF;
    RETURN round(x, m);
END
$$;

-- Candidate invoice numbers in a payment reference (upper case): the reference
-- split into tokens at white space and , ; ( ) [ ] { } " ' < > |, each token
-- as is and without leading/trailing . : # ! ? *, the parts of a token split at
-- / + & : = #, and every two adjacent tokens joined by one space (formats such
-- as "INV {seq}"). An invoice is named by a reference when its upper-cased
-- number is one of these (a whole-token, case-insensitive match).
CREATE OR REPLACE FUNCTION reference_tokens(ref text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    w text[];
BEGIN
    IF ref IS NULL THEN RETURN '{}'; END IF;
    w := array_remove(regexp_split_to_array(upper(ref), '[\s,;()\[\]{}"''<>|]+'), '');
    IF w = '{}' THEN RETURN '{}'; END IF;
    RETURN (SELECT coalesce(array_agg(DISTINCT c.t), '{}')
              FROM (SELECT x.t FROM unnest(w) AS x(t)
                    UNION ALL SELECT btrim(x.t, '.:#!?*') FROM unnest(w) AS x(t)
                    UNION ALL SELECT btrim(s.s, '.:#!?*') FROM unnest(w) AS x(t), regexp_split_to_table(x.t, '[/+&:=#]') AS s(s)
                    UNION ALL SELECT w[k] || ' ' || w[k + 1] FROM generate_series(1, cardinality(w) - 1) AS k) c
             WHERE c.t <> '' AND length(c.t) <= 64);
END
$$;

-- Ids of the invoices (any customer, any status) a reference names.
CREATE OR REPLACE FUNCTION reference_invoice_ids(ref text) RETURNS bigint[]
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    toks text[] := reference_tokens(ref);
BEGIN
    IF toks = '{}' THEN RETURN '{}'; END IF;
    RETURN (SELECT coalesce(array_agg(i.id ORDER BY i.id), '{}') FROM invoices i WHERE upper(i.number) = ANY (toks));
END
$$;
