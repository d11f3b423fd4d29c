-- One CSV field: quoted (quotes doubled) when it holds a comma, quote, line
-- break or surrounding spaces; NULL is an empty field. (translate/btrim, not
-- a regular expression: exports call this for every text cell.)
CREATE OR REPLACE FUNCTION csv_field(v text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN v IS NULL THEN ''
                WHEN translate(v, E'",\r\n', '') = v AND btrim(v, E' \t') = v THEN v
                ELSE '"' || replace(v, '"', '""') || '"' END;

-- One CSV line (without its CRLF).
CREATE OR REPLACE FUNCTION csv_line(a text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT string_agg(csv_field(x), ',' ORDER BY o) FROM unnest(a) WITH ORDINALITY AS u(x, o)
$$;

-- The result of an export: csv -> {content_type: "text/csv", data, count} with
-- a header row and CRLF line ends (RFC 4180); json -> {items, count}.
CREATE OR REPLACE FUNCTION export_result(fmt text, header text[], lines text[], items jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE
RETURN CASE WHEN coalesce(fmt, 'csv') = 'csv'
                THEN jsonb_build_object('content_type', 'text/csv', 'count', coalesce(cardinality(lines), 0),
                                        'data', csv_line(header) || E'\r\n'
                                                || coalesce(array_to_string(lines, E'\r\n') || E'\r\n', ''))
                ELSE jsonb_build_object('items', coalesce(items, '[]'), 'count', jsonb_array_length(coalesce(items, '[]')))
           END;

-- Checks an export format (FL602 'format').
CREATE OR REPLACE FUNCTION export_format(p jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF coalesce(p->>'format', 'csv') NOT IN ('csv', 'json') THEN
        PERFORM fail('FL602', 'format must be csv or json', 'format');
    END IF;
    RETURN coalesce(p->>'format', 'csv');
END
$$;

-- export.invoices {from, to, format: csv|json (default csv)}: issued invoices
-- (void included) with issue_date in from..to, by issue date and number. CSV
-- columns: number, issue_date, due_date, customer (name), currency, subtotal,
-- tax_total, total, amount_paid, credited, balance_due, status; JSON items have
-- the same fields plus id and customer_id. Amounts are the current ones.
CREATE OR REPLACE FUNCTION export_invoices(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    fmt text := export_format(p);
    per daterange := report_period(p);
    lines text[];
    items jsonb;
BEGIN
    IF fmt = 'csv' THEN
        SELECT array_agg(concat_ws(',', csv_field(i.number), date_text(i.issue_date), date_text(i.due_date),
                                   csv_field(c.name), csv_field(i.currency), money_text(i.subtotal, x.m),
                                   money_text(i.tax_total, x.m), money_text(i.total, x.m),
                                   money_text(i.amount_paid, x.m), money_text(i.credited, x.m),
                                   money_text(i.total - i.amount_paid - i.credited, x.m), csv_field(i.status))
                         ORDER BY i.issue_date, i.series_period, i.seq)
          INTO lines
          FROM invoices i JOIN customers c ON c.id = i.customer_id, LATERAL (SELECT currency_decimals(i.currency) AS m) x
         WHERE i.issue_date <@ per AND i.status <> 'draft';
    ELSE
        SELECT jsonb_agg(jsonb_build_object('id', i.id, 'number', i.number, 'issue_date', date_text(i.issue_date),
                                            'due_date', date_text(i.due_date), 'customer_id', i.customer_id,
                                            'customer', c.name, 'currency', i.currency,
                                            'subtotal', money_text(i.subtotal, x.m), 'tax_total', money_text(i.tax_total, x.m),
                                            'total', money_text(i.total, x.m), 'amount_paid', money_text(i.amount_paid, x.m),
                                            'credited', money_text(i.credited, x.m),
                                            'balance_due', money_text(i.total - i.amount_paid - i.credited, x.m),
                                            'status', i.status)
                         ORDER BY i.issue_date, i.series_period, i.seq)
          INTO items
          FROM invoices i JOIN customers c ON c.id = i.customer_id, LATERAL (SELECT currency_decimals(i.currency) AS m) x
         WHERE i.issue_date <@ per AND i.status <> 'draft';
    END IF;
    RETURN export_result(fmt, ARRAY['number', 'issue_date', 'due_date', 'customer', 'currency', 'subtotal', 'tax_total',
                                    'total', 'amount_paid', 'credited', 'balance_due', 'status'], lines, items);
END
$$;

-- export.payments {from, to, format}: payments received in from..to, by date
-- and id. CSV columns: id, received_on, customer (name), amount, currency,
-- method, reference, allocated (active allocations), unapplied, refunded; JSON
-- items the same plus customer_id.
CREATE OR REPLACE FUNCTION export_payments(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    fmt text := export_format(p);
    per daterange := report_period(p);
    lines text[];
    items jsonb;
BEGIN
    WITH y AS (
        SELECT y.id, y.received_on, y.customer_id, c.name, y.amount, y.currency, y.method, y.reference,
               coalesce(a.total, 0) AS allocated, y.unapplied, y.refunded, currency_decimals(y.currency) AS m
          FROM payments y JOIN customers c ON c.id = y.customer_id
          LEFT JOIN LATERAL (SELECT sum(pa.amount) AS total FROM payment_allocations pa
                              WHERE pa.payment_id = y.id AND pa.reversed_on IS NULL) a ON true
         WHERE y.received_on <@ per)
    SELECT array_agg(concat_ws(',', y.id::text, date_text(y.received_on), csv_field(y.name), money_text(y.amount, y.m),
                               csv_field(y.currency), csv_field(y.method), csv_field(y.reference),
                               money_text(y.allocated, y.m), money_text(y.unapplied, y.m), money_text(y.refunded, y.m))
                     ORDER BY y.received_on, y.id) FILTER (WHERE fmt = 'csv'),
           jsonb_agg(jsonb_build_object('id', y.id, 'received_on', date_text(y.received_on), 'customer_id', y.customer_id,
                                        'customer', y.name, 'amount', money_text(y.amount, y.m), 'currency', y.currency,
                                        'method', y.method, 'reference', y.reference,
                                        'allocated', money_text(y.allocated, y.m), 'unapplied', money_text(y.unapplied, y.m),
                                        'refunded', money_text(y.refunded, y.m)) ORDER BY y.received_on, y.id)
             FILTER (WHERE fmt = 'json')
      INTO lines, items
      FROM y;
    RETURN export_result(fmt, ARRAY['id', 'received_on', 'customer', 'amount', 'currency', 'method', 'reference',
                                    'allocated', 'unapplied', 'refunded'], lines, items);
END
$$;

-- export.customers {format, include_archived?}: customers by id. CSV columns
-- are exactly import.customers' (customer_csv_fields), so an export imports
-- as is; JSON items are customer objects (as customer.get).
CREATE OR REPLACE FUNCTION export_customers(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    fmt text := export_format(p);
    arch boolean := coalesce((p->>'include_archived')::boolean, false);
    lines text[];
    items jsonb;
BEGIN
    SELECT array_agg(concat_ws(',', csv_field(c.name), csv_field(c.email), csv_field(c.phone), csv_field(c.tax_id),
                               csv_field(c.payment_terms_days::text), csv_field(c.notes),
                               csv_field(c.billing_address->>'line1'), csv_field(c.billing_address->>'line2'),
                               csv_field(c.billing_address->>'city'), csv_field(c.billing_address->>'region'),
                               csv_field(c.billing_address->>'postal_code'), csv_field(c.billing_address->>'country'),
                               csv_field(c.shipping_address->>'line1'), csv_field(c.shipping_address->>'line2'),
                               csv_field(c.shipping_address->>'city'), csv_field(c.shipping_address->>'region'),
                               csv_field(c.shipping_address->>'postal_code'), csv_field(c.shipping_address->>'country'))
                     ORDER BY c.id) FILTER (WHERE fmt = 'csv'),
           jsonb_agg(customer_json(c) ORDER BY c.id) FILTER (WHERE fmt = 'json')
      INTO lines, items
      FROM customers c
     WHERE arch OR NOT c.archived;
    RETURN export_result(fmt, customer_csv_fields(), lines, items);
END
$$;
