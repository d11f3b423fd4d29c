-- Parses CSV text (RFC 4180): comma separated, fields optionally in double
-- quotes, "" inside quotes for a quote, commas and line breaks allowed inside
-- quotes; lines end with CRLF, LF or CR; a leading byte order mark is ignored;
-- empty lines are skipped. Set-based: physical lines are joined into records
-- while their quotes are unbalanced, then each record is split by one regular
-- expression; a record whose pieces do not add up to its text is malformed.
CREATE OR REPLACE FUNCTION csv_records(t text) RETURNS SETOF csv_record
LANGUAGE sql IMMUTABLE AS $$
    WITH l AS (
        SELECT u.n::int AS n, u.line, length(u.line) - length(replace(u.line, '"', '')) AS q
          FROM unnest(string_to_array(replace(replace(ltrim(t, chr(65279)), E'\r\n', E'\n'), E'\r', E'\n'), E'\n'))
               WITH ORDINALITY AS u(line, n)),
    c AS (SELECT l.n, l.line, sum(l.q) OVER (ORDER BY l.n) % 2 AS open FROM l),
    r AS (SELECT c.n, c.line,
                 coalesce(sum(1 - c.open) OVER (ORDER BY c.n ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS rec
            FROM c),
    recs AS (SELECT min(r.n) AS line_no, string_agg(r.line, E'\n' ORDER BY r.n) AS txt FROM r GROUP BY r.rec)
    SELECT ROW(recs.line_no, f.fields, f.len = length(recs.txt))::csv_record
      FROM recs
     CROSS JOIN LATERAL (
        SELECT array_agg(CASE WHEN left(x.m[1], 1) = '"' THEN replace(substr(x.m[1], 2, length(x.m[1]) - 2), '""', '"')
                              ELSE x.m[1] END ORDER BY x.o) AS fields,
               sum(length(x.m[1]) + length(x.m[2])) AS len
          FROM (SELECT y.m, y.o, min(y.o) FILTER (WHERE y.m[2] = '') OVER () AS last
                  FROM regexp_matches(recs.txt, '("(?:[^"]|"")*"|[^,"]*)(,|$)', 'g') WITH ORDINALITY AS y(m, o)) x
         WHERE x.o <= x.last) f
     WHERE recs.txt <> ''
     ORDER BY recs.line_no
$$;

-- Maps import fields to CSV columns: {field: {"i": column index (1-based),
-- "h": header text}}. Header names match case-insensitively, ignoring
-- surrounding spaces. `columns` {field: header name} maps fields explicitly;
-- other fields are taken from the column of their own name. Without `columns`
-- every (non-blank) header must be a known field; with it, unmapped columns are
-- ignored. Problems raise FL602: on 'columns.<field>' for a bad mapping, else
-- on 'csv' (duplicate or unknown header, missing required column).
CREATE OR REPLACE FUNCTION csv_mapping(header csv_record, columns jsonb, known text[], required text[]) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    names text[] := ARRAY(SELECT lower(btrim(h)) FROM unnest(header.fields) WITH ORDINALITY AS u(h, o) ORDER BY o);
    explicit boolean := columns IS NOT NULL AND jsonb_typeof(columns) <> 'null';
    mapping jsonb := '{}';
    used int[] := '{}';
    k text;
    v jsonb;
    i int;
    dup text;
BEGIN
    IF NOT header.ok THEN
        PERFORM fail('FL602', format('row %s: malformed quotes in the header row', header.line_no), 'csv');
    END IF;
    SELECT h INTO dup FROM unnest(names) h WHERE h <> '' GROUP BY h HAVING count(*) > 1 ORDER BY h LIMIT 1;
    IF dup IS NOT NULL THEN
        PERFORM fail('FL602', format('row %s column %s: appears twice in the header row', header.line_no, dup), 'csv');
    END IF;
    IF explicit THEN
        IF jsonb_typeof(columns) <> 'object' THEN
            PERFORM fail('FL602', 'columns must be an object {field: header name}', 'columns');
        END IF;
        FOR k, v IN SELECT e.key, e.value FROM jsonb_each(columns) e ORDER BY e.key LOOP
            IF NOT k = ANY (known) THEN
                PERFORM fail('FL602', format('unknown field %s (fields: %s)', k, array_to_string(known, ', ')), 'columns.' || k);
            END IF;
            IF jsonb_typeof(v) <> 'string' THEN
                PERFORM fail('FL602', format('columns.%s must be a header name', k), 'columns.' || k);
            END IF;
            i := array_position(names, lower(btrim(v #>> '{}')));
            IF i IS NULL THEN
                PERFORM fail('FL602', format('the header row has no column %s', v #>> '{}'), 'columns.' || k);
            END IF;
            mapping := mapping || jsonb_build_object(k, jsonb_build_object('i', i, 'h', btrim(header.fields[i])));
            used := used || i;
        END LOOP;
    END IF;
    FOR i IN 1..coalesce(cardinality(names), 0) LOOP
        CONTINUE WHEN names[i] = '' OR i = ANY (used);
        IF names[i] = ANY (known) AND NOT mapping ? names[i] THEN
            mapping := mapping || jsonb_build_object(names[i], jsonb_build_object('i', i, 'h', btrim(header.fields[i])));
        ELSIF NOT explicit THEN
            PERFORM fail('FL602', format('row %s column %s: unknown column (known columns: %s; or map columns with "columns")',
                                         header.line_no, btrim(header.fields[i]), array_to_string(known, ', ')), 'csv');
        END IF;
    END LOOP;
    SELECT f INTO k FROM unnest(required) f WHERE NOT mapping ? f LIMIT 1;
    IF k IS NOT NULL THEN
        PERFORM fail('FL602', format('row %s: the required column %s is missing', header.line_no, k), 'csv');
    END IF;
    RETURN mapping;
END
$$;

-- The data rows (every record after the header) mapped with csv_mapping.
-- Rows whose cells are all blank (",,,") are skipped like empty lines. A row
-- with fewer cells than the header has the missing ones blank; more cells
-- (non-blank) than the header, or bad quoting, is a problem.
CREATE OR REPLACE FUNCTION csv_rows(recs csv_record[], mapping jsonb, width int) RETURNS csv_row[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_agg(ROW(r.line_no,
                                  CASE WHEN r.ok THEN (SELECT coalesce(jsonb_object_agg(m.key, nullif(btrim(r.fields[(m.value->>'i')::int]), '')), '{}')
                                                         FROM jsonb_each(mapping) m) END,
                                  CASE WHEN NOT r.ok THEN 'malformed quotes (a field with a quote must be enclosed in quotes, and quotes inside doubled)'
                                       WHEN cardinality(r.fields) > width
                                            AND EXISTS (SELECT 1 FROM unnest(r.fields[width + 1:]) x WHERE btrim(x) <> '')
                                       THEN format('has %s cells but the header row has %s columns', cardinality(r.fields), width)
                                  END)::csv_row ORDER BY r.line_no), '{}')
      FROM unnest(recs) r
     WHERE NOT r.ok OR EXISTS (SELECT 1 FROM unnest(r.fields) x WHERE btrim(x) <> '')
$$;

-- Raises the FL602 'csv' error listing the import's problems (at most 50, then
-- how many more); nothing when there are none.
CREATE OR REPLACE FUNCTION csv_fail(problems text[]) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE n int := coalesce(cardinality(problems), 0);
BEGIN
    IF n > 0 THEN
        PERFORM fail('FL602', format('nothing was imported: %s problem%s: %s%s', n, CASE WHEN n > 1 THEN 's' ELSE '' END,
                                     array_to_string(problems[1:50], '; '),
                                     CASE WHEN n > 50 THEN format('; and %s more', n - 50) ELSE '' END), 'csv');
    END IF;
END
$$;

-- Reads the CSV of an import: records, header mapping and data rows.
CREATE OR REPLACE FUNCTION csv_import_rows(p jsonb, known text[], required text[], OUT mapping jsonb, OUT rows csv_row[])
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE recs csv_record[];
BEGIN
    IF p->>'csv' IS NULL THEN
        PERFORM fail('FL602', 'csv is required', 'csv');
    END IF;
    recs := ARRAY(SELECT r FROM csv_records(p->>'csv') r);
    IF cardinality(recs) = 0 THEN
        PERFORM fail('FL602', 'the CSV is empty: it needs a header row', 'csv');
    END IF;
    mapping := csv_mapping(recs[1], p->'columns', known, required);
    rows := csv_rows(recs[2:], mapping, cardinality(recs[1].fields));
END
$$;

-- The columns of customer import and export, in export order.
CREATE OR REPLACE FUNCTION customer_csv_fields() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY['name', 'email', 'phone', 'tax_id', 'payment_terms_days', 'notes',
                 'billing_line1', 'billing_line2', 'billing_city', 'billing_region', 'billing_postal_code', 'billing_country',
                 'shipping_line1', 'shipping_line2', 'shipping_city', 'shipping_region', 'shipping_postal_code',
                 'shipping_country'];

-- An address object from import values with the given prefix (NULL when empty).
CREATE OR REPLACE FUNCTION csv_address(v jsonb, prefix text) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN nullif(jsonb_strip_nulls(jsonb_build_object(
        'line1', v->>(prefix || 'line1'), 'line2', v->>(prefix || 'line2'), 'city', v->>(prefix || 'city'),
        'region', v->>(prefix || 'region'), 'postal_code', v->>(prefix || 'postal_code'),
        'country', v->>(prefix || 'country'))), '{}'::jsonb);

-- import.customers {csv, columns?} -> {imported, ids}: creates one customer per
-- data row, all or nothing. Columns (header names; see csv_mapping for
-- `columns` {field: header name}): name (required), email, phone, tax_id,
-- payment_terms_days, notes, billing_line1, billing_line2, billing_city,
-- billing_region, billing_postal_code, billing_country and the same six
-- shipping_*; exactly what export.customers writes. Every row is validated
-- first, by the rules of customer.create (req_text, check_email, check_text,
-- check_terms, check_address: applied here set-based, so every problem of every
-- row is found in one pass); if any row fails, nothing is written and FL602
-- 'csv' lists "row N column X: problem" (N = line of the row in the file, the
-- header being row 1; X = the header name). ids are in file order. One audit
-- entry per customer.
CREATE OR REPLACE FUNCTION import_customers(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    src record := csv_import_rows(p, customer_csv_fields(), ARRAY['name']);
    problems text[];
    ids bigint[];
BEGIN
    SELECT array_agg(x.msg ORDER BY x.line_no, x.o) INTO problems
      FROM (SELECT r.line_no, 0 AS o, format('row %s: %s', r.line_no, r.problem) AS msg
              FROM unnest(src.rows) r WHERE r.problem IS NOT NULL
            UNION ALL
            SELECT r.line_no, c.o, format('row %s column %s: %s', r.line_no, src.mapping->c.f->>'h', c.msg)
              FROM unnest(src.rows) r
             CROSS JOIN LATERAL (VALUES
                (1, 'name', CASE WHEN r.v->>'name' IS NULL THEN 'name is required'
                                 WHEN length(r.v->>'name') > 200 THEN 'must be at most 200 characters' END),
                (2, 'email', CASE WHEN length(r.v->>'email') > 254 OR r.v->>'email' !~ '^[^@\s]+@[^@\s]+$'
                                  THEN 'is not an e-mail address' END),
                (3, 'phone', CASE WHEN length(r.v->>'phone') > 64 THEN 'must be at most 64 characters' END),
                (4, 'tax_id', CASE WHEN length(r.v->>'tax_id') > 50 THEN 'must be at most 50 characters' END),
                (5, 'payment_terms_days', CASE WHEN r.v->>'payment_terms_days' !~ '^[0-9]{1,9}$'
                                                 OR (r.v->>'payment_terms_days')::int > 3650
                                               THEN 'must be a whole number of days between 0 and 3650' END),
                (6, 'notes', CASE WHEN length(r.v->>'notes') > 10000 THEN 'must be at most 10000 characters' END)) c(o, f, msg)
             WHERE r.problem IS NULL AND c.msg IS NOT NULL
            UNION ALL
            SELECT r.line_no, 10 + a.o, format('row %s column %s: must be at most 200 characters', r.line_no, src.mapping->a.f->>'h')
              FROM unnest(src.rows) r CROSS JOIN LATERAL unnest(customer_csv_fields()) WITH ORDINALITY AS a(f, o)
             WHERE r.problem IS NULL AND a.f ~ '^(billing|shipping)_' AND length(r.v->>a.f) > 200) x;
    PERFORM csv_fail(problems);
    WITH ins AS (
        INSERT INTO customers (name, email, phone, billing_address, shipping_address, payment_terms_days, tax_id, notes)
        SELECT r.v->>'name', r.v->>'email', r.v->>'phone', csv_address(r.v, 'billing_'), csv_address(r.v, 'shipping_'),
               (r.v->>'payment_terms_days')::int, r.v->>'tax_id', r.v->>'notes'
          FROM unnest(src.rows) r ORDER BY r.line_no
        RETURNING *)
    SELECT array_agg(ins.id ORDER BY ins.id) INTO ids
      FROM ins, LATERAL (SELECT audit('customer', ins.id, jsonb_strip_nulls(customer_json(ins) - 'id' - 'archived'
                                                                             - 'created_at' - 'updated_at'))) a;
    RETURN jsonb_build_object('imported', coalesce(cardinality(ids), 0), 'ids', coalesce(to_jsonb(ids), '[]'));
END
$$;

-- import.items {csv, columns?} -> {imported, ids}: like import.customers, one
-- item per row. Columns: sku (required, unique: a sku already in use or
-- repeated in the file is an error for that row), name (required), unit_price
-- (required, 0..10^12, at most 6 decimals), description, tax_rate (an existing,
-- not archived tax rate code), stock_qty (at most 3 decimals; present = stock
-- tracked, recorded as an 'initial' stock movement). Rules of item.create.
CREATE OR REPLACE FUNCTION import_items(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    src record := csv_import_rows(p, ARRAY['sku', 'name', 'unit_price', 'description', 'tax_rate', 'stock_qty'],
                                  ARRAY['sku', 'name', 'unit_price']);
    problems text[];
    ids bigint[];
    n int;
BEGIN
    SELECT array_agg(x.msg ORDER BY x.line_no, x.o) INTO problems
      FROM (SELECT r.line_no, 0 AS o, format('row %s: %s', r.line_no, r.problem) AS msg
              FROM unnest(src.rows) r WHERE r.problem IS NOT NULL
            UNION ALL
            SELECT r.line_no, c.o, format('row %s column %s: %s', r.line_no, src.mapping->c.f->>'h', c.msg)
              FROM (SELECT r.*, min(r.line_no) OVER (PARTITION BY r.v->>'sku') AS first_line
                      FROM unnest(src.rows) r WHERE r.problem IS NULL) r
              LEFT JOIN LATERAL (SELECT t.archived FROM tax_rates t WHERE t.code = r.v->>'tax_rate') t ON true
             CROSS JOIN LATERAL (VALUES
                (1, 'sku', CASE WHEN r.v->>'sku' IS NULL THEN 'sku is required'
                                WHEN length(r.v->>'sku') > 64 THEN 'must be at most 64 characters'
                                WHEN r.first_line < r.line_no THEN format('sku %s repeats row %s', r.v->>'sku', r.first_line)
                                WHEN EXISTS (SELECT 1 FROM items i WHERE i.sku = r.v->>'sku')
                                THEN format('an item with sku %s already exists', r.v->>'sku') END),
                (2, 'name', CASE WHEN r.v->>'name' IS NULL THEN 'name is required'
                                 WHEN length(r.v->>'name') > 200 THEN 'must be at most 200 characters' END),
                (3, 'unit_price', CASE WHEN r.v->>'unit_price' IS NULL THEN 'unit_price is required'
                                       WHEN r.v->>'unit_price' !~ '^[0-9]{1,13}(\.[0-9]{1,6})?$'
                                            OR (r.v->>'unit_price')::numeric > 1e12
                                       THEN 'must be a decimal between 0 and 1000000000000 with at most 6 decimals' END),
                (4, 'description', CASE WHEN length(r.v->>'description') > 2000 THEN 'must be at most 2000 characters' END),
                (5, 'tax_rate', CASE WHEN r.v->>'tax_rate' IS NOT NULL AND t.archived IS NULL
                                     THEN format('unknown tax rate %s', r.v->>'tax_rate')
                                     WHEN t.archived THEN format('tax rate %s is archived', r.v->>'tax_rate') END),
                (6, 'stock_qty', CASE WHEN r.v->>'stock_qty' !~ '^-?[0-9]{1,13}(\.[0-9]{1,3})?$'
                                           OR abs((r.v->>'stock_qty')::numeric) > 1e12
                                      THEN 'must be a decimal of at most 3 decimals, at most 1000000000000 in size' END)
             ) c(o, f, msg)
             WHERE c.msg IS NOT NULL) x;
    PERFORM csv_fail(problems);
    WITH ins AS (
        INSERT INTO items (sku, name, description, unit_price, tax_rate, stock_qty)
        SELECT r.v->>'sku', r.v->>'name', r.v->>'description', (r.v->>'unit_price')::numeric, r.v->>'tax_rate',
               (r.v->>'stock_qty')::numeric
          FROM unnest(src.rows) r ORDER BY r.line_no
        ON CONFLICT (sku) DO NOTHING
        RETURNING *),
    mv AS (
        INSERT INTO stock_movements (item_id, qty_delta, reason)
        SELECT ins.id, ins.stock_qty, 'initial' FROM ins WHERE ins.stock_qty IS NOT NULL ORDER BY ins.id)
    SELECT array_agg(ins.id ORDER BY ins.id) INTO ids
      FROM ins, LATERAL (SELECT audit('item', ins.id, jsonb_strip_nulls(item_json(ins) - 'id' - 'archived'
                                                                         - 'created_at' - 'updated_at'))) a;
    n := coalesce(cardinality(ids), 0);
    IF n <> cardinality(src.rows) THEN
        -- A concurrent call took one of the skus between the check and the insert.
        PERFORM fail('FL003', 'another request created an item with one of these skus meanwhile; nothing was imported', 'csv');
    END IF;
    RETURN jsonb_build_object('imported', n, 'ids', coalesce(to_jsonb(ids), '[]'));
END
$$;
