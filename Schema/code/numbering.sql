-- Validates a number format: exactly one {seq} or {seq:0N} (N 1..12), any
-- number of {YYYY}, no other {...}, 1..64 characters, no control characters
-- (a number is printed on documents and used in file names and e-mail subjects).
CREATE OR REPLACE FUNCTION check_number_format(f text, field text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF f ~ '[[:cntrl:]]' THEN
        PERFORM fail('FL602', 'a number format must not contain control characters', field);
    END IF;
    IF f IS NULL OR length(f) NOT BETWEEN 1 AND 64
       OR (SELECT count(*) FROM regexp_matches(f, '\{seq(:0[0-9]+)?\}', 'g')) <> 1
       OR regexp_replace(f, '\{YYYY\}|\{seq\}|\{seq:0([1-9]|1[0-2])\}', '', 'g') ~ '[{}]' THEN
        PERFORM fail('FL602', 'a number format needs exactly one {seq} or {seq:0N} (N 1..12) and may hold {YYYY}', field);
    END IF;
    RETURN f;
END
$$;

-- Series period for a format and issue date: the year for {YYYY} formats, else 0.
CREATE OR REPLACE FUNCTION series_period(fmt text, d date) RETURNS int
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN strpos(fmt, '{YYYY}') > 0 THEN extract(year FROM d)::int ELSE 0 END;

-- A number format split for issue date d: {prefix, pad width (0 = none),
-- suffix}, with {YYYY} already replaced by the year. Computed before the series
-- lock so that formatting under the lock is plain concatenation.
CREATE OR REPLACE FUNCTION number_parts(fmt text, d date) RETURNS text[]
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE m text[] := regexp_match(replace(fmt, '{YYYY}', to_char(d, 'YYYY')), '^(.*?)\{seq(?::0([0-9]+))?\}(.*)$');
BEGIN
    RETURN ARRAY[m[1], coalesce(m[2], '0'), m[3]];
END
$$;

-- The number for seq from number_parts: seq zero-padded to at least the width
-- (never truncated) between prefix and suffix.
CREATE OR REPLACE FUNCTION seq_number(parts text[], seq bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN parts[1] || lpad(seq::text, greatest(length(seq::text), parts[2]::int), '0') || parts[3];

-- Canonical text forms for the hash chain are compact JSON built with string
-- operations (a JSON string for every text value, so nothing is ambiguous);
-- string building is ~2x cheaper than jsonb here, which matters to
-- audit_verify over millions of lines.

-- A text value as a JSON string (null as JSON null).
CREATE OR REPLACE FUNCTION json_str(v text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN coalesce(to_json(v)::text, 'null');

-- Canonical form of one line: [description, qty, unit_price, tax_rate,
-- tax_percent, amount, tax] with the numbers as JSON strings.
CREATE OR REPLACE FUNCTION hash_line(l doc_line, m int) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN '[' || json_str(l.description) || ',"' || dec_text(l.qty) || '","' || dec_text(l.unit_price) || '",'
           || json_str(l.tax_rate) || ',"' || dec_text(l.tax_percent) || '","' || money_text(l.amount, m) || '","'
           || money_text(l.tax, m) || '"]';

-- Canonical form of a document's lines: hash_line in line_no order, as a JSON
-- array (audit_verify builds the same aggregate inline). tenant_row: whose plans
-- (see tenant_plans()); its statement reads no table but is re-planned under
-- every other search path.
CREATE OR REPLACE FUNCTION hash_lines(tenant_row anyelement, lines doc_line[], m int) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN (SELECT '[' || coalesce(string_agg(hash_line(l, m), ',' ORDER BY l.line_no), '') || ']'
              FROM unnest(lines) AS l);
END
$$;

-- Link of the hash chain: sha256 hex of the previous document's hash in the
-- series ('' for the first), the number (as a JSON string) and the document's
-- canonical body (invoice_hash_body / credit_note_hash_body).
CREATE OR REPLACE FUNCTION doc_hash(prev text, number text, body text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN encode(sha256(convert_to(coalesce(prev, '') || to_jsonb(number)::text || body, 'UTF8')), 'hex');

-- Canonical body of an invoice for the hash chain: ["invoice", issue_date,
-- due_date, customer_id, currency, subtotal, tax_total, total, lines,
-- tax_breakdown]. The breakdown is sealed as its jsonb text (deterministic), so
-- audit_verify need not rebuild it: it is computed from the lines at issue and
-- any later change breaks the chain.
CREATE OR REPLACE FUNCTION invoice_hash_body(issue_date date, due_date date, customer_id bigint, currency text,
                                  subtotal numeric, tax_total numeric, total numeric, hlines text,
                                  breakdown jsonb) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN '["invoice","' || date_text(issue_date) || '","' || date_text(due_date) || '",' || customer_id || ','
           || json_str(currency) || ',"' || money_text(subtotal, currency_decimals(currency)) || '","'
           || money_text(tax_total, currency_decimals(currency)) || '","' || money_text(total, currency_decimals(currency)) || '",'
           || hlines || ',' || breakdown::text || ']';

-- Canonical body of a credit note for the hash chain: ["credit_note",
-- issue_date, invoice_id, invoice_number, customer_id, currency, reason,
-- subtotal, tax_total, total, lines, tax_breakdown].
CREATE OR REPLACE FUNCTION credit_note_hash_body(issue_date date, invoice_id bigint, invoice_number text, customer_id bigint,
                                      currency text, reason text, subtotal numeric, tax_total numeric, total numeric,
                                      hlines text, breakdown jsonb) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN '["credit_note","' || date_text(issue_date) || '",' || invoice_id || ',' || json_str(invoice_number) || ','
           || customer_id || ',' || json_str(currency) || ',' || json_str(reason) || ',"'
           || money_text(subtotal, currency_decimals(currency)) || '","' || money_text(tax_total, currency_decimals(currency))
           || '","' || money_text(total, currency_decimals(currency)) || '",' || hlines || ',' || breakdown::text || ']';

-- Takes the next number of a series for a document dated d with canonical body
-- `body`: locks the series row (creating it on first use), checks that d is not
-- before the series' latest issue date (FL602 'issue_date'), computes the hash
-- link and advances the series, all in one UPDATE. Call it LAST: the row lock
-- is held until commit. Waiters queue first on an advisory lock of the series,
-- so the UPDATE waits at most for one holder: two waits in a row (the tuple lock
-- behind an earlier waiter, then the holder's transaction) would each get a full
-- lock_timeout; lock_budget() before each wait keeps their sum within it.
-- Sets lock_timeout to what is left of the request's lock budget (folio.enter
-- starts it at the server's lock timeout minus the request's wait in the
-- server), so a request that waits for several locks in turn still gives up
-- within the lock timeout of its arrival. Outside a request: nothing changes.
CREATE OR REPLACE FUNCTION lock_budget() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    deadline text := current_setting('folio.lock_deadline', true);
BEGIN
    IF deadline <> '' THEN
        PERFORM set_config('lock_timeout',
                           greatest(deadline::bigint - (extract(epoch FROM clock_timestamp()) * 1000)::bigint, 1)::text, true);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION series_take_body(tenant_row anyelement, p_kind text, p_fmt text, d date, body text) RETURNS series_slot
LANGUAGE plpgsql AS $$
DECLARE
    per int := series_period(p_fmt, d);
    parts text[] := number_parts(p_fmt, d);
    r series_slot;
    last date;
BEGIN
    PERFORM lock_budget();
    PERFORM pg_advisory_xact_lock(hashtextextended(current_schema() || '/' || p_kind || '/' || per, 0));
    PERFORM lock_budget();
    FOR attempt IN 1..2 LOOP
        UPDATE number_series s
           SET next_seq = s.next_seq + 1,
               last_issue_date = d,
               last_hash = doc_hash(s.last_hash, seq_number(parts, s.next_seq), body)
         WHERE s.kind = p_kind AND s.period = per AND (s.last_issue_date IS NULL OR s.last_issue_date <= d)
        RETURNING per, s.next_seq - 1, seq_number(parts, s.next_seq - 1), s.last_hash
          INTO r.period, r.seq, r.number, r.hash;
        IF FOUND THEN RETURN r; END IF;
        EXIT WHEN attempt = 2;
        -- First use of the series, or the date is too early: find out which.
        INSERT INTO number_series (kind, period) VALUES (p_kind, per) ON CONFLICT DO NOTHING;
        SELECT last_issue_date INTO last FROM number_series WHERE kind = p_kind AND period = per FOR UPDATE;
        IF last > d THEN
            PERFORM fail('FL602', format('issue date %s is before %s, the latest issue date already used in this %s series',
                                         date_text(d), date_text(last), replace(p_kind, '_', ' ')), 'issue_date');
        END IF;
    END LOOP;
    RAISE EXCEPTION 'number series % % could not be advanced', p_kind, per;
END
$$;

-- series_take with this tenant's own plans or the shared ones (see tenant_plans()).
CREATE OR REPLACE FUNCTION series_take(p_kind text, p_fmt text, d date, body text) RETURNS series_slot
LANGUAGE plpgsql AS $$
BEGIN
    IF tenant_plans() THEN
        RETURN series_take_body(NULL::settings, p_kind, p_fmt, d, body);
    END IF;
    RETURN series_take_body(NULL::shared_plans, p_kind, p_fmt, d, body);
END
$$;
