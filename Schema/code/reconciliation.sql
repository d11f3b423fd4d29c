-- A statement date in one of the supported formats ('YYYY-MM-DD',
-- 'DD/MM/YYYY', 'MM/DD/YYYY'; the latter two also with '.' or '-'), or NULL.
CREATE OR REPLACE FUNCTION parse_statement_date(v text, fmt text) RETURNS date
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    x text[];
    y int;
    mo int;
    d int;
BEGIN
    IF fmt = 'YYYY-MM-DD' THEN
        x := regexp_match(v, '^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$');
        y := x[1]::int; mo := x[2]::int; d := x[3]::int;
    ELSE
        x := regexp_match(v, '^([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})$');
        y := x[3]::int;
        IF fmt = 'DD/MM/YYYY' THEN d := x[1]::int; mo := x[2]::int; ELSE mo := x[1]::int; d := x[2]::int; END IF;
    END IF;
    IF x IS NULL OR y < 1 OR mo NOT BETWEEN 1 AND 12 OR d < 1
       OR d > extract(day FROM make_date(y, mo, 1) + interval '1 month - 1 day') THEN
        RETURN NULL;
    END IF;
    RETURN make_date(y, mo, d);
END
$$;

-- Result of reconcile.import / reconcile.get for a statement: {statement_id,
-- currency, created_at, lines: [{id, row, date, amount, reference, payer,
-- match, reason, invoice_id, number, customer_id, customer_name, status,
-- payment_id}], counts: {exact, partial, customer_amount, unmatched,
-- duplicate, confirmed}}. status: 'confirmed' (a payment records the line),
-- else 'duplicate' (the line was already known when this statement was
-- imported), else 'new'. The match counts count the statement's new lines;
-- duplicate counts its known ones; confirmed counts lines with a payment.
CREATE OR REPLACE FUNCTION reconcile_statement_json(st record) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT jsonb_build_object(
        'statement_id', st.id, 'currency', st.currency, 'created_at', ts_text(st.created_at),
        'lines', coalesce(jsonb_agg(jsonb_build_object(
                     'id', l.id, 'row', en.row_no, 'date', date_text(l.line_date),
                     'amount', money_text(l.amount, currency_decimals(l.currency)), 'reference', l.reference,
                     'payer', l.payer, 'match', l.match, 'reason', l.reason, 'invoice_id', l.invoice_id,
                     'number', i.number, 'customer_id', l.customer_id, 'customer_name', c.name,
                     'status', CASE WHEN pm.id IS NOT NULL THEN 'confirmed' WHEN en.known THEN 'duplicate' ELSE 'new' END,
                     'payment_id', pm.id) ORDER BY en.row_no) FILTER (WHERE en.row_no IS NOT NULL), '[]'),
        'counts', jsonb_build_object(
            'exact', count(*) FILTER (WHERE NOT en.known AND l.match = 'exact'),
            'partial', count(*) FILTER (WHERE NOT en.known AND l.match = 'partial'),
            'customer_amount', count(*) FILTER (WHERE NOT en.known AND l.match = 'customer_amount'),
            'unmatched', count(*) FILTER (WHERE NOT en.known AND l.match = 'unmatched'),
            'duplicate', count(*) FILTER (WHERE en.known),
            'confirmed', count(pm.id)))
      FROM (SELECT 1) one
      LEFT JOIN bank_statement_entries en ON en.statement_id = st.id
      LEFT JOIN bank_statement_lines l ON l.id = en.line_id
      LEFT JOIN invoices i ON i.id = l.invoice_id
      LEFT JOIN customers c ON c.id = l.customer_id
      LEFT JOIN payments pm ON pm.statement_line_id = l.id);
END
$$;

-- reconcile.import {csv, columns?: {date?, amount?, reference?, payer?},
-- date_format?, currency?}: parses the CSV text (RFC 4180: quoted fields with
-- "" escapes, commas and line breaks inside quotes; CRLF, LF or CR; blank
-- lines skipped; fields trimmed of spaces and tabs; the first non-blank row is
-- the header, its names matched case-insensitively; date and amount columns
-- required, reference and payer optional unless named in `columns`). Rows are
-- numbered as records in the text, the header being row 1. Amounts like
-- 1234.50 / -12.00 (at most the currency's minor-unit decimals), dates in
-- date_format and not in the future. Any bad row is FL602 'csv' naming the
-- row and column. Stores the statement and its new lines (known lines, by
-- fingerprint, are not stored again) and proposes a match for each new line
-- without writing payments:
--   exact            an invoice number in the reference (statement currency)
--                    whose balance due equals the amount;
--   partial          else such an invoice with another balance (an open one
--                    preferred, then the lowest id);
--   customer_amount  else a customer whose name equals the payer
--                    (case-insensitive) with an open invoice whose balance
--                    equals the amount (oldest due first);
--   unmatched        else; also every outgoing (negative, reason 'outgoing')
--                    or zero (reason 'zero') line.
-- -> reconcile_statement_json.
CREATE OR REPLACE FUNCTION reconcile_import(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    s record;
    csv text := p->>'csv';
    fmt text := coalesce(p->>'date_format', 'YYYY-MM-DD');
    cur text;
    m int;
    today date;
    wanted text[];
    given boolean[];
    keys text[] := ARRAY['date', 'amount', 'reference', 'payer'];
    idx int[] := ARRAY[NULL, NULL, NULL, NULL]::int[];
    parsed jsonb;
    hdr jsonb;
    hdr_names text[];
    bad jsonb;
    k int;
    j int;
    err text;
    lines_in statement_row[];
    st record;
BEGIN
    SELECT * INTO s FROM settings;
    IF left(csv, 1) = chr(65279) THEN
        csv := substr(csv, 2);   -- a UTF-8 byte order mark
    END IF;
    IF csv IS NULL OR btrim(csv, E' \t\r\n') = '' THEN
        PERFORM fail('FL602', 'csv is empty', 'csv');
    END IF;
    IF fmt NOT IN ('YYYY-MM-DD', 'DD/MM/YYYY', 'MM/DD/YYYY') THEN
        PERFORM fail('FL602', 'date_format must be YYYY-MM-DD, DD/MM/YYYY or MM/DD/YYYY', 'date_format');
    END IF;
    cur := check_currency(coalesce(p->>'currency', s.currency));
    m := currency_decimals(cur);
    today := (now() AT TIME ZONE s.timezone)::date;
    IF p->'columns' IS NOT NULL AND jsonb_typeof(p->'columns') NOT IN ('object', 'null') THEN
        PERFORM fail('FL602', 'columns must be an object', 'columns');
    END IF;
    FOR k IN 1..4 LOOP
        wanted[k] := lower(btrim(coalesce(p->'columns'->>keys[k], keys[k])));
        given[k] := p->'columns'->>keys[k] IS NOT NULL;
        IF wanted[k] = '' THEN
            PERFORM fail('FL602', format('column name for %s must not be blank', keys[k]), 'columns.' || keys[k]);
        END IF;
    END LOOP;

    -- Tokens: a quoted field, a run of unquoted text, a comma, a line break, or
    -- a stray quote (malformed). Every character starts a token, so the tokens
    -- cover the text; the row of a token counts the line breaks before it, its
    -- field the commas before it in its row. A cell with a stray quote or more
    -- than one text token (text after a closing quote) is malformed.
    WITH tok AS (
        SELECT x.o, x.t[1] AS tok
          FROM regexp_matches(csv, '"(?:[^"]|"")*"|[^,"\r\n]+|,|\r\n|\n|\r|"', 'g') WITH ORDINALITY AS x(t, o)),
    r AS (
        SELECT tok.o, tok.tok,
               CASE WHEN tok.tok IN (E'\r\n', E'\n', E'\r') THEN 'nl' WHEN tok.tok = ',' THEN 'sep'
                    WHEN tok.tok = '"' THEN 'bad' WHEN left(tok.tok, 1) = '"' THEN 'q' ELSE 'b' END AS kind,
               1 + count(*) FILTER (WHERE tok.tok IN (E'\r\n', E'\n', E'\r'))
                     OVER (ORDER BY tok.o ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS row_no
          FROM tok),
    f AS (
        SELECT r.o, r.tok, r.kind, r.row_no,
               1 + count(*) FILTER (WHERE r.kind = 'sep')
                     OVER (PARTITION BY r.row_no ORDER BY r.o ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS field_no
          FROM r WHERE r.kind <> 'nl'),
    cell AS (
        SELECT f.row_no, f.field_no, count(*) > 1 OR bool_or(f.kind = 'bad') AS bad,
               btrim(string_agg(CASE f.kind WHEN 'q' THEN replace(substr(f.tok, 2, length(f.tok) - 2), '""', '"')
                                            ELSE f.tok END, '' ORDER BY f.o), E' \t') AS v
          FROM f WHERE f.kind <> 'sep' GROUP BY f.row_no, f.field_no),
    rw AS (
        SELECT f.row_no, max(f.field_no + (f.kind = 'sep')::int) AS nf FROM f GROUP BY f.row_no),
    rowz AS (
        SELECT rw.row_no, rw.nf,
               coalesce(jsonb_object_agg(cell.field_no::text, cell.v) FILTER (WHERE cell.field_no IS NOT NULL), '{}') AS cells,
               min(cell.field_no) FILTER (WHERE cell.bad) AS bad_field
          FROM rw LEFT JOIN cell ON cell.row_no = rw.row_no
         GROUP BY rw.row_no, rw.nf)
    SELECT jsonb_agg(jsonb_build_array(rowz.row_no, rowz.nf, rowz.cells, rowz.bad_field) ORDER BY rowz.row_no)
      INTO parsed
      FROM rowz
     WHERE NOT (rowz.nf = 1 AND coalesce(rowz.cells->>'1', '') = '' AND rowz.bad_field IS NULL);

    IF parsed IS NULL THEN
        PERFORM fail('FL602', 'the CSV has no header row', 'csv');
    END IF;
    hdr := parsed->0;
    SELECT array_agg(lower(hdr->2->>g::text) ORDER BY g) INTO hdr_names FROM generate_series(1, (hdr->>1)::int) g;
    SELECT x.v INTO bad FROM jsonb_array_elements(parsed) WITH ORDINALITY AS x(v, o) WHERE x.v->>3 IS NOT NULL
     ORDER BY x.o LIMIT 1;
    IF bad IS NOT NULL THEN
        PERFORM fail('FL602', format('row %s, column %s: malformed quoted field (a stray quote, or text after a closing quote)',
                                     bad->>0, coalesce(hdr_names[(bad->>3)::int], '#' || (bad->>3))), 'csv');
    END IF;
    FOR k IN 1..4 LOOP
        idx[k] := array_position(hdr_names, wanted[k]);
        IF idx[k] IS NULL AND (k <= 2 OR given[k]) THEN
            PERFORM fail('FL602', format('the CSV header (row %s) has no column "%s"', hdr->>0, wanted[k]),
                         CASE WHEN given[k] THEN 'columns.' || keys[k] ELSE 'csv' END);
        END IF;
    END LOOP;
    IF jsonb_array_length(parsed) - 1 > 100000 THEN
        PERFORM fail('FL602', 'a statement holds at most 100000 rows', 'csv');
    END IF;

    -- Data rows: values, checks (first bad row wins), fingerprints.
    WITH d AS (
        SELECT (e.r->>0)::int AS row_no, (e.r->>1)::int AS nf,
               e.r->2->>idx[1]::text AS s_date, e.r->2->>idx[2]::text AS s_amount,
               nullif(e.r->2->>idx[3]::text, '') AS s_ref, nullif(e.r->2->>idx[4]::text, '') AS s_payer
          FROM jsonb_array_elements(parsed) WITH ORDINALITY AS e(r, o)
         WHERE e.o > 1),
    x AS (
        SELECT d.*, parse_statement_date(d.s_date, fmt) AS dt,
               CASE WHEN d.s_amount ~ '^[+-]?[0-9]{1,13}(\.[0-9]+)?$' THEN d.s_amount::numeric END AS amt
          FROM d),
    chk AS (
        SELECT x.*,
               CASE
                 WHEN x.nf < greatest(idx[1], idx[2], idx[3], idx[4])
                   THEN format('row %s has %s fields but the header has a column "%s" at position %s', x.row_no, x.nf,
                               hdr_names[greatest(idx[1], idx[2], idx[3], idx[4])], greatest(idx[1], idx[2], idx[3], idx[4]))
                 WHEN x.dt IS NULL
                   THEN format('row %s, column %s: "%s" is not a date in format %s', x.row_no, wanted[1],
                               coalesce(x.s_date, ''), fmt)
                 WHEN x.dt > today
                   THEN format('row %s, column %s: %s is in the future', x.row_no, wanted[1], date_text(x.dt))
                 WHEN x.amt IS NULL
                   THEN format('row %s, column %s: "%s" is not an amount like 1234.50 or -12.00', x.row_no, wanted[2],
                               coalesce(x.s_amount, ''))
                 WHEN x.amt <> round(x.amt, m)
                   THEN format('row %s, column %s: %s has more decimals than %s allows (%s)', x.row_no, wanted[2],
                               x.s_amount, cur, m)
                 WHEN length(x.s_ref) > 500
                   THEN format('row %s, column %s: longer than 500 characters', x.row_no, wanted[3])
                 WHEN length(x.s_payer) > 200
                   THEN format('row %s, column %s: longer than 200 characters', x.row_no, wanted[4])
               END AS err
          FROM x),
    fp AS (
        SELECT chk.*, row_number() OVER (PARTITION BY chk.dt, chk.amt, chk.s_ref, chk.s_payer ORDER BY chk.row_no) AS occ
          FROM chk)
    SELECT (array_agg(fp.err ORDER BY fp.row_no) FILTER (WHERE fp.err IS NOT NULL))[1],
           array_agg(ROW(fp.row_no, fp.dt, fp.amt, fp.s_ref, fp.s_payer, fp.occ,
                         encode(sha256(convert_to(jsonb_build_array(cur, date_text(fp.dt), money_text(fp.amt, m), fp.s_ref,
                                                                    fp.s_payer, fp.occ)::text, 'UTF8')), 'hex')
                        )::statement_row ORDER BY fp.row_no)
      INTO err, lines_in
      FROM fp;
    IF err IS NOT NULL THEN
        PERFORM fail('FL602', err, 'csv');
    END IF;

    INSERT INTO bank_statements (currency, date_format, columns, row_count, imported_by)
    VALUES (cur, fmt, jsonb_build_object('date', wanted[1], 'amount', wanted[2],
                                         'reference', CASE WHEN idx[3] IS NOT NULL THEN wanted[3] END,
                                         'payer', CASE WHEN idx[4] IS NOT NULL THEN wanted[4] END),
            coalesce(cardinality(lines_in), 0), current_uid())
    RETURNING * INTO st;

    -- New lines with their proposed match (lines already known keep theirs).
    INSERT INTO bank_statement_lines (statement_id, row_no, fingerprint, occurrence, line_date, amount, currency,
                                      reference, payer, match, reason, invoice_id, customer_id)
    SELECT st.id, r.row_no, r.fingerprint, r.occurrence, r.line_date, r.amount, cur, r.reference, r.payer,
           CASE WHEN nm.id IS NOT NULL AND nm.bal = r.amount THEN 'exact'
                WHEN nm.id IS NOT NULL THEN 'partial'
                WHEN ca.id IS NOT NULL THEN 'customer_amount'
                ELSE 'unmatched' END,
           CASE WHEN r.amount < 0 THEN 'outgoing' WHEN r.amount = 0 THEN 'zero' END,
           coalesce(nm.id, ca.id), coalesce(nm.customer_id, ca.customer_id)
      FROM unnest(lines_in) r
      LEFT JOIN LATERAL (
          SELECT i.id, i.customer_id, i.total - i.amount_paid - i.credited AS bal
            FROM invoices i
           WHERE r.amount > 0 AND r.reference IS NOT NULL AND upper(i.number) = ANY (reference_tokens(r.reference))
             AND i.currency = cur
           ORDER BY i.total - i.amount_paid - i.credited = r.amount DESC,
                    i.status IN ('issued', 'sent', 'partially_paid') DESC, i.id
           LIMIT 1) nm ON true
      LEFT JOIN LATERAL (
          SELECT i.id, i.customer_id
            FROM customers c JOIN invoices i ON i.customer_id = c.id
           WHERE nm.id IS NULL AND r.amount > 0 AND r.payer IS NOT NULL AND lower(c.name) = lower(r.payer)
             AND i.status IN ('issued', 'sent', 'partially_paid') AND i.currency = cur
             AND i.total - i.amount_paid - i.credited = r.amount
           ORDER BY i.due_date, i.issue_date, i.id
           LIMIT 1) ca ON true
     WHERE NOT EXISTS (SELECT 1 FROM bank_statement_lines l WHERE l.fingerprint = r.fingerprint)
     ORDER BY r.row_no
    ON CONFLICT (fingerprint) DO NOTHING;

    INSERT INTO bank_statement_entries (statement_id, row_no, line_id, known)
    SELECT st.id, r.row_no, l.id, l.statement_id <> st.id
      FROM unnest(lines_in) r JOIN bank_statement_lines l ON l.fingerprint = r.fingerprint
     ORDER BY r.row_no;

    PERFORM audit('bank_statement', st.id, jsonb_build_object(
        'rows', st.row_count, 'currency', cur,
        'new', (SELECT count(*) FROM bank_statement_entries WHERE statement_id = st.id AND NOT known)));
    RETURN reconcile_statement_json(st);
END
$$;

-- reconcile.get {statement_id} -> reconcile_statement_json.
CREATE OR REPLACE FUNCTION reconcile_get(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE st record;
BEGIN
    SELECT * INTO st FROM bank_statements WHERE id = (p->>'statement_id')::bigint;
    IF st.id IS NULL THEN
        PERFORM fail('FL002', format('statement %s not found', p->>'statement_id'), 'statement_id');
    END IF;
    RETURN reconcile_statement_json(st);
END
$$;

-- reconcile.confirm {statement_id, line_ids?}: records, in this one
-- transaction, a payment for every line of the statement (or only the listed
-- ones; a line not in the statement is FL002 'line_ids[i]') that has a match
-- and no payment yet: method bank_transfer, reference/payer from the line,
-- received_on = the line's date, statement_line_id set, allocated to the
-- matched invoice up to its current balance (none if it is no longer open),
-- the rest unapplied; discrepancies as for payment.record with explicit
-- allocations. Lines are locked, so confirming twice (or concurrently)
-- records each line once. -> {payments: [payment objects], confirmed, skipped}.
CREATE OR REPLACE FUNCTION reconcile_confirm(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    st record;
    ids bigint[];
    missing int;
    l record;
    c record;
    allocs payment_alloc[];
    pids bigint[] := '{}';
BEGIN
    SELECT * INTO st FROM bank_statements WHERE id = (p->>'statement_id')::bigint;
    IF st.id IS NULL THEN
        PERFORM fail('FL002', format('statement %s not found', p->>'statement_id'), 'statement_id');
    END IF;
    IF p->'line_ids' IS NOT NULL AND p->'line_ids' <> 'null' THEN
        IF jsonb_typeof(p->'line_ids') <> 'array' THEN
            PERFORM fail('FL602', 'line_ids must be an array of line ids', 'line_ids');
        END IF;
        SELECT min(e.n) INTO missing
          FROM jsonb_array_elements_text(p->'line_ids') WITH ORDINALITY AS e(v, n)
         WHERE NOT EXISTS (SELECT 1 FROM bank_statement_entries en
                            WHERE en.statement_id = st.id
                              AND en.line_id = CASE WHEN e.v ~ '^[0-9]{1,18}$' THEN e.v::bigint END);
        IF missing IS NOT NULL THEN
            PERFORM fail('FL002', format('line %s is not a line of statement %s', p->'line_ids'->>(missing - 1), st.id),
                         format('line_ids[%s]', missing - 1));
        END IF;
        SELECT coalesce(array_agg(DISTINCT e.v::bigint), '{}') INTO ids FROM jsonb_array_elements_text(p->'line_ids') AS e(v);
    ELSE
        SELECT coalesce(array_agg(en.line_id), '{}') INTO ids FROM bank_statement_entries en WHERE en.statement_id = st.id;
    END IF;

    PERFORM 1 FROM bank_statement_lines WHERE id = ANY (ids) ORDER BY id FOR UPDATE;
    PERFORM 1 FROM invoices
     WHERE id IN (SELECT bl.invoice_id FROM bank_statement_lines bl
                   WHERE bl.id = ANY (ids) AND bl.match <> 'unmatched' AND bl.invoice_id IS NOT NULL
                     AND NOT EXISTS (SELECT 1 FROM payments pm WHERE pm.statement_line_id = bl.id))
     ORDER BY id FOR NO KEY UPDATE;
    FOR l IN
        SELECT bl.*, en.row_no AS entry_row
          FROM bank_statement_lines bl
          JOIN bank_statement_entries en ON en.line_id = bl.id AND en.statement_id = st.id
         WHERE bl.id = ANY (ids) AND bl.match <> 'unmatched'
           AND NOT EXISTS (SELECT 1 FROM payments pm WHERE pm.statement_line_id = bl.id)
         ORDER BY en.row_no
    LOOP
        SELECT * INTO c FROM customers WHERE id = l.customer_id;
        SELECT coalesce(array_agg(ROW(i.id, least(l.amount, i.total - i.amount_paid - i.credited))::payment_alloc), '{}')
          INTO allocs
          FROM invoices i
         WHERE i.id = l.invoice_id AND i.customer_id = l.customer_id AND i.currency = l.currency
           AND i.status IN ('issued', 'sent', 'partially_paid') AND i.total - i.amount_paid - i.credited > 0;
        pids := pids || payment_write(c, l.currency, l.amount, l.line_date, 'bank_transfer', l.reference, l.payer,
                                      l.id, allocs, l.line_date);
    END LOOP;
    PERFORM audit('bank_statement', st.id, jsonb_build_object('confirmed', cardinality(pids), 'payments', pids));
    RETURN jsonb_build_object(
        'payments', coalesce((SELECT jsonb_agg(payment_json(pm) ORDER BY x.o)
                                FROM unnest(pids) WITH ORDINALITY AS x(id, o) JOIN payments pm ON pm.id = x.id), '[]'),
        'confirmed', cardinality(pids),
        'skipped', cardinality(ids) - cardinality(pids));
END
$$;
