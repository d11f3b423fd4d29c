-- Customers' purchase orders (contract v1.1): order.create, order.update,
-- order.confirm, order.cancel, order.get, order.list.
--
-- An order's status is never stored: order_status() derives it from
-- confirmed_at, cancelled_at and the lines' ordered, delivered and invoiced
-- quantities, so it cannot fall out of step with them. Every function that
-- changes an order's quantities (deliveries, receipts, invoicing) first locks the
-- order row (order_find(..., true)), so they run one after another per order;
-- the CHECK constraints of order_lines hold whatever happens.

-- The status of an order from its dates and its lines' quantity sums:
-- cancelled; received (not confirmed yet); invoiced (every line fully invoiced);
-- partially_invoiced (something invoiced); delivered (every line fully
-- shipped); partially_delivered (something shipped); else confirmed.
CREATE OR REPLACE FUNCTION order_status(confirmed_at timestamptz, cancelled_at timestamptz, all_invoiced boolean,
                                        any_invoiced boolean, all_delivered boolean, any_delivered boolean) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
        WHEN cancelled_at IS NOT NULL THEN 'cancelled'
        WHEN confirmed_at IS NULL THEN 'received'
        WHEN all_invoiced THEN 'invoiced'
        WHEN any_invoiced THEN 'partially_invoiced'
        WHEN all_delivered THEN 'delivered'
        WHEN any_delivered THEN 'partially_delivered'
        ELSE 'confirmed'
    END;

-- The status of order o (reads its lines).
CREATE OR REPLACE FUNCTION order_status_of(o record) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT order_status(o.confirmed_at, o.cancelled_at, bool_and(l.invoiced_qty >= l.qty),
                                bool_or(l.invoiced_qty > 0), bool_and(l.delivered_qty >= l.qty), bool_or(l.delivered_qty > 0))
              FROM order_lines l WHERE l.order_id = o.id);
END
$$;

-- The order result object, with its lines (and their ordered, delivered,
-- received and invoiced quantities), deliveries and invoices.
CREATE OR REPLACE FUNCTION order_json(o record) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE m int := currency_decimals(o.currency);
BEGIN
    RETURN jsonb_build_object(
        'id', o.id, 'status', order_status_of(o), 'customer_id', o.customer_id,
        'customer_name', (SELECT c.name FROM customers c WHERE c.id = o.customer_id),
        'po_number', o.po_number, 'order_date', date_text(o.order_date), 'currency', o.currency,
        'buyer_contact', o.buyer_contact, 'billing_address', o.billing_address, 'shipping_address', o.shipping_address,
        'requested_delivery_date', date_text(o.requested_delivery_date),
        'signed_by', o.signed_by, 'signed_on', date_text(o.signed_on), 'has_signature', o.signature_png IS NOT NULL,
        'notes', o.notes, 'subtotal', money_text(o.subtotal, m), 'tax_total', money_text(o.tax_total, m),
        'total', money_text(o.total, m), 'tax_breakdown', o.tax_breakdown,
        'discrepancies', o.discrepancies, 'discrepancies_accepted', o.discrepancies_accepted,
        'confirmed_at', ts_text(o.confirmed_at), 'cancelled_at', ts_text(o.cancelled_at),
        'cancel_reason', o.cancel_reason, 'created_at', ts_text(o.created_at), 'updated_at', ts_text(o.updated_at))
    || jsonb_build_object(
        'lines', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                      'line_no', l.line_no, 'item_id', l.item_id, 'sku', l.sku, 'description', l.description,
                      'qty', dec_text(l.qty), 'unit_price', l.unit_price::text, 'tax_rate', l.tax_rate,
                      'tax_percent', dec_text(l.tax_percent), 'amount', money_text(l.amount, m), 'tax', money_text(l.tax, m),
                      'delivered_qty', dec_text(l.delivered_qty), 'received_qty', dec_text(l.received_qty),
                      'invoiced_qty', dec_text(l.invoiced_qty)) ORDER BY l.line_no), '[]')
                    FROM order_lines l WHERE l.order_id = o.id),
        'deliveries', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', d.id, 'shipped_on', date_text(d.shipped_on),
                                                                    'status', d.status) ORDER BY d.id), '[]')
                         FROM deliveries d WHERE d.order_id = o.id),
        'invoices', (SELECT coalesce(jsonb_agg(jsonb_build_object('invoice_id', i.id, 'number', i.number, 'status', i.status)
                                               ORDER BY i.id), '[]')
                       FROM invoices i WHERE i.id IN (SELECT x.invoice_id FROM order_invoice_lines x WHERE x.order_id = o.id)));
END
$$;

-- Finds an order by id (key `field` of p), optionally locking it (FL002 when absent).
CREATE OR REPLACE FUNCTION order_find(p jsonb, lock boolean, field text DEFAULT 'id') RETURNS record
LANGUAGE plpgsql AS $$
DECLARE o record;
BEGIN
    IF lock THEN
        SELECT * INTO o FROM orders WHERE id = (p->>field)::bigint FOR UPDATE;
    ELSE
        SELECT * INTO o FROM orders WHERE id = (p->>field)::bigint;
    END IF;
    IF o.id IS NULL THEN
        PERFORM fail('FL002', format('order %s not found', p->>field), field);
    END IF;
    RETURN o;
END
$$;

-- A signature image given as base64: a PNG of at most 1 MiB (FL602 on
-- signature_png_base64); JSON null gives NULL.
CREATE OR REPLACE FUNCTION check_signature_png(v jsonb) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE png bytea;
BEGIN
    IF v IS NULL OR jsonb_typeof(v) = 'null' THEN RETURN NULL; END IF;
    BEGIN
        png := decode(v #>> '{}', 'base64');
    EXCEPTION WHEN others THEN
        PERFORM fail('FL602', 'signature_png_base64 is not valid base64', 'signature_png_base64');
    END;
    IF octet_length(png) > 1048576 THEN
        PERFORM fail('FL602', 'the signature image must be at most 1 MiB', 'signature_png_base64');
    END IF;
    IF substring(png FROM 1 FOR 8) IS DISTINCT FROM '\x89504e470d0a1a0a'::bytea THEN
        PERFORM fail('FL602', 'the signature image must be a PNG', 'signature_png_base64');
    END IF;
    RETURN png;
END
$$;

-- Buyer contact {name?, email?, phone?}: JSON null gives NULL; null members are dropped.
CREATE OR REPLACE FUNCTION check_buyer_contact(v jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF v IS NULL OR jsonb_typeof(v) = 'null' THEN RETURN NULL; END IF;
    PERFORM check_email(v->>'email', 'buyer_contact.email');
    RETURN nullif(jsonb_strip_nulls(v), '{}'::jsonb);
END
$$;

-- Writes the lines of order o from request lines [{item_id or sku, qty,
-- unit_price?, description?}], replacing any. A line names an item by item_id
-- (unknown id: FL002) or by sku; an sku that names no item is kept as written
-- (description defaults to the sku, unit_price to 0, no tax). Lines are priced
-- like invoice lines (price_lines: the item's name, price and tax rate unless
-- given, the currency's rounding), so the order's totals are what invoicing
-- everything will bill.
CREATE OR REPLACE FUNCTION order_write_lines(o record, p_lines jsonb, m int, mode text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    bad record;
    priced priced_lines;
    tot doc_totals_t;
    found jsonb;
BEGIN
    -- The first line naming no item, both keys, or an unknown item id.
    SELECT e.n::int AS n, format('lines[%s]', e.n - 1) AS f,
           e.j ? 'item_id' AND e.j ? 'sku' AS both_keys, NOT (e.j ? 'item_id' OR e.j ? 'sku') AS no_key
      INTO bad
      FROM jsonb_array_elements(p_lines) WITH ORDINALITY AS e(j, n)
     WHERE (e.j ? 'item_id' AND e.j ? 'sku') OR NOT (e.j ? 'item_id' OR e.j ? 'sku')
        OR (e.j ? 'item_id' AND NOT EXISTS (SELECT 1 FROM items i WHERE i.id = (e.j->>'item_id')::bigint))
     ORDER BY e.n LIMIT 1;
    IF bad.n IS NOT NULL THEN
        IF bad.both_keys THEN
            PERFORM fail('FL602', 'give item_id or sku, not both', bad.f || '.sku');
        ELSIF bad.no_key THEN
            PERFORM fail('FL602', 'a line needs item_id or sku', bad.f || '.item_id');
        ELSE
            PERFORM fail('FL002', 'item not found', bad.f || '.item_id');
        END IF;
    END IF;
    -- Each line with the item it names and the line as price_lines takes it.
    found := (SELECT jsonb_agg(jsonb_build_object(
                         'n', e.n, 'sku', coalesce(i.sku, e.j->>'sku'),
                         'line', CASE WHEN i.id IS NOT NULL
                                      THEN jsonb_strip_nulls(jsonb_build_object('item_id', i.id, 'qty', e.j->'qty',
                                                                                'unit_price', e.j->'unit_price',
                                                                                'description', e.j->'description'))
                                      ELSE jsonb_build_object('description', coalesce(e.j->>'description', e.j->>'sku'),
                                                              'qty', e.j->'qty',
                                                              'unit_price', coalesce(e.j->>'unit_price', '0')) END)
                     ORDER BY e.n)
                FROM jsonb_array_elements(p_lines) WITH ORDINALITY AS e(j, n)
                LEFT JOIN LATERAL (SELECT it.id, it.sku FROM items it
                                    WHERE e.j ? 'item_id' AND it.id = (e.j->>'item_id')::bigint
                                   UNION ALL
                                   SELECT it.id, it.sku FROM items it
                                    WHERE NOT e.j ? 'item_id' AND it.sku = e.j->>'sku') i ON true);
    priced := price_lines((SELECT jsonb_agg(x->'line' ORDER BY (x->>'n')::int) FROM jsonb_array_elements(found) x), m);
    tot := doc_totals(priced.lines, m, mode);
    DELETE FROM order_lines WHERE order_id = o.id;
    INSERT INTO order_lines (order_id, line_no, item_id, sku, description, qty, unit_price, tax_rate, tax_percent, amount, tax)
    SELECT o.id, l.line_no, l.item_id, f->>'sku', l.description, l.qty, l.unit_price, l.tax_rate, l.tax_percent, l.amount, l.tax
      FROM unnest(priced.lines) l
      JOIN jsonb_array_elements(found) f ON (f->>'n')::int = l.line_no;
    UPDATE orders SET subtotal = tot.subtotal, tax_total = tot.tax_total, total = tot.subtotal + tot.tax_total,
                      tax_breakdown = tot.tax_breakdown
     WHERE id = o.id;
END
$$;

-- The discrepancies of order o, from its stored lines and the catalogue as it is
-- now: `unknown_sku` (a line whose sku names no item), `price_differs` (a line's
-- unit price is not its item's), `duplicate_po_number` (other orders of the same
-- customer, not cancelled, with the same po_number).
CREATE OR REPLACE FUNCTION order_discrepancies(o record) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE others bigint[];
BEGIN
    others := ARRAY(SELECT x.id FROM orders x
                     WHERE x.customer_id = o.customer_id AND x.po_number = o.po_number AND x.id <> o.id
                       AND x.cancelled_at IS NULL ORDER BY x.id);
    RETURN (SELECT coalesce(jsonb_agg(d.v ORDER BY d.n, d.k), '[]') FROM (
        SELECT l.line_no AS n, 1 AS k,
               CASE WHEN l.item_id IS NULL
                    THEN jsonb_build_object('kind', 'unknown_sku', 'line_no', l.line_no, 'sku', l.sku,
                                            'message', format('line %s: no item has sku %s', l.line_no, l.sku))
                    ELSE jsonb_build_object('kind', 'price_differs', 'line_no', l.line_no, 'sku', l.sku,
                                            'unit_price', l.unit_price::text, 'item_price', i.unit_price::text,
                                            'message', format('line %s: unit price %s differs from the price %s of item %s',
                                                              l.line_no, l.unit_price, i.unit_price, i.sku)) END AS v
          FROM order_lines l LEFT JOIN items i ON i.id = l.item_id
         WHERE l.order_id = o.id AND (l.item_id IS NULL OR l.unit_price <> i.unit_price)
        UNION ALL
        SELECT 2147483647, 2,
               jsonb_build_object('kind', 'duplicate_po_number', 'order_ids', to_jsonb(others),
                                  'message', format('the customer already has order %s with PO number %s',
                                                    array_to_string(others, ', '), o.po_number))
         WHERE cardinality(others) > 0) d);
END
$$;

-- Writes the content fields of p into order o (those present; null clears the
-- optional ones), then its lines when given, and recomputes the discrepancies
-- (every update recomputes all of them, so a price corrected in the catalogue or
-- a duplicate cancelled since resolves them).
CREATE OR REPLACE FUNCTION order_write(o record, p jsonb, s record) RETURNS record
LANGUAGE plpgsql AS $$
DECLARE
    cust bigint := o.customer_id;
    c record;
BEGIN
    IF p ? 'customer_id' THEN
        c := draft_customer((p->>'customer_id')::bigint);
        cust := c.id;
    END IF;
    UPDATE orders SET
        customer_id = cust,
        po_number = CASE WHEN p ? 'po_number' THEN req_text(p->>'po_number', 'po_number', 100) ELSE po_number END,
        order_date = CASE WHEN p ? 'order_date' THEN (p->>'order_date')::date ELSE order_date END,
        buyer_contact = CASE WHEN p ? 'buyer_contact' THEN check_buyer_contact(p->'buyer_contact') ELSE buyer_contact END,
        billing_address = CASE WHEN p ? 'billing_address' THEN check_address(p->'billing_address', 'billing_address')
                               ELSE billing_address END,
        shipping_address = CASE WHEN p ? 'shipping_address' THEN check_address(p->'shipping_address', 'shipping_address')
                                ELSE shipping_address END,
        requested_delivery_date = CASE WHEN p ? 'requested_delivery_date' THEN (p->>'requested_delivery_date')::date
                                       ELSE requested_delivery_date END,
        signed_by = CASE WHEN p ? 'signed_by' THEN check_text(p->>'signed_by', 'signed_by', 200, false) ELSE signed_by END,
        signed_on = CASE WHEN p ? 'signed_on' THEN (p->>'signed_on')::date ELSE signed_on END,
        signature_png = CASE WHEN p ? 'signature_png_base64' THEN check_signature_png(p->'signature_png_base64')
                             ELSE signature_png END,
        notes = CASE WHEN p ? 'notes' THEN check_text(p->>'notes', 'notes', 10000) ELSE notes END,
        updated_at = now()
    WHERE id = o.id
    RETURNING * INTO o;
    IF p ? 'lines' THEN
        PERFORM order_write_lines(o, p->'lines', currency_decimals(o.currency), s.tax_rounding);
    END IF;
    UPDATE orders SET discrepancies = order_discrepancies(o) WHERE id = o.id RETURNING * INTO o;
    RETURN o;
END
$$;

-- order.create {customer_id, po_number, order_date, lines, currency?,
-- buyer_contact?, billing_address?, shipping_address?, requested_delivery_date?,
-- signed_by?, signed_on?, signature_png_base64?, notes?} -> the order, status
-- 'received', with its discrepancies.
CREATE OR REPLACE FUNCTION order_create(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    s record;
    c record := draft_customer((p->>'customer_id')::bigint);
    o record;
BEGIN
    SELECT * INTO s FROM settings;
    INSERT INTO orders (customer_id, po_number, order_date, currency, subtotal, tax_total, total, tax_breakdown)
    VALUES (c.id, req_text(p->>'po_number', 'po_number', 100), (p->>'order_date')::date,
            check_currency(coalesce(p->>'currency', s.currency)), 0, 0, 0, '[]')
    RETURNING * INTO o;
    o := order_write(o, p - 'customer_id' - 'currency', s);
    PERFORM audit('order', o.id, jsonb_build_object('status', 'received', 'customer_id', c.id, 'po_number', o.po_number,
                                                    'lines', jsonb_array_length(p->'lines'),
                                                    'total', money_text(o.total, currency_decimals(o.currency)),
                                                    'discrepancies', jsonb_array_length(o.discrepancies)));
    RETURN order_json(o);
END
$$;

-- order.update {id, + any create field but currency}: only while the order is
-- 'received' (FL003); `lines` replaces all lines; discrepancies are recomputed.
CREATE OR REPLACE FUNCTION order_update(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    s record;
    o record := order_find(p, true);
BEGIN
    SELECT * INTO s FROM settings;
    IF order_status_of(o) <> 'received' THEN
        PERFORM fail('FL003', format('order %s is %s and can no longer be changed', o.id,
                                     replace(order_status_of(o), '_', ' ')), 'id');
    END IF;
    o := order_write(o, p - 'id', s);
    PERFORM audit('order', o.id, (p - 'id' - 'lines' - 'signature_png_base64')
                  || jsonb_build_object('discrepancies', jsonb_array_length(o.discrepancies))
                  || CASE WHEN p ? 'lines' THEN jsonb_build_object('lines', jsonb_array_length(p->'lines')) ELSE '{}' END
                  || CASE WHEN p ? 'signature_png_base64' THEN '{"signature": "changed"}'::jsonb ELSE '{}' END);
    RETURN order_json(o);
END
$$;

-- order.confirm {id, accept_discrepancies?}: a 'received' order (FL003 'id'
-- otherwise) that is signed (FL003 'signed_by') and dated (FL003 'signed_on'),
-- without discrepancies unless accept_discrepancies is true (FL003
-- 'accept_discrepancies').
CREATE OR REPLACE FUNCTION order_confirm(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    o record := order_find(p, true);
    st text := order_status_of(o);
    accept boolean := coalesce((p->>'accept_discrepancies')::boolean, false);
BEGIN
    IF st <> 'received' THEN
        PERFORM fail('FL003', format('order %s is %s, not awaiting confirmation', o.id, replace(st, '_', ' ')), 'id');
    ELSIF o.signed_by IS NULL THEN
        PERFORM fail('FL003', format('order %s is not signed: set signed_by with order.update', o.id), 'signed_by');
    ELSIF o.signed_on IS NULL THEN
        PERFORM fail('FL003', format('order %s is signed but not dated: set signed_on with order.update', o.id), 'signed_on');
    ELSIF jsonb_array_length(o.discrepancies) > 0 AND NOT accept THEN
        PERFORM fail('FL003', format('order %s has %s unresolved discrepancies (%s): clarify them with the buyer and '
                                     'update the order, or confirm with accept_discrepancies',
                                     o.id, jsonb_array_length(o.discrepancies),
                                     (SELECT string_agg(DISTINCT d->>'kind', ', ') FROM jsonb_array_elements(o.discrepancies) d)),
                     'accept_discrepancies');
    END IF;
    UPDATE orders SET confirmed_at = now(), updated_at = now(),
                      discrepancies_accepted = jsonb_array_length(discrepancies) > 0
     WHERE id = o.id RETURNING * INTO o;
    PERFORM audit('order', o.id, jsonb_build_object('status', 'confirmed',
                                                    'accepted_discrepancies', o.discrepancies_accepted));
    RETURN order_json(o);
END
$$;

-- order.cancel {id, reason}: FL003 once anything was delivered, or when already
-- cancelled.
CREATE OR REPLACE FUNCTION order_cancel(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    o record := order_find(p, true);
    reason text := req_text(p->>'reason', 'reason', 2000);
BEGIN
    IF o.cancelled_at IS NOT NULL THEN
        PERFORM fail('FL003', format('order %s is already cancelled', o.id), 'id');
    ELSIF EXISTS (SELECT 1 FROM deliveries d WHERE d.order_id = o.id) THEN
        PERFORM fail('FL003', format('order %s cannot be cancelled: goods were already delivered', o.id), 'id');
    END IF;
    UPDATE orders SET cancelled_at = now(), cancel_reason = reason, updated_at = now()
     WHERE id = o.id RETURNING * INTO o;
    PERFORM audit('order', o.id, jsonb_build_object('status', 'cancelled', 'reason', reason));
    RETURN order_json(o);
END
$$;

-- order.get {id}.
CREATE OR REPLACE FUNCTION order_get(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    RETURN order_json(order_find(p, false));
END
$$;

-- order.list {status?, customer_id?, po_number?, limit?, cursor?}: orders (with
-- their lines' quantities, as order.get), by id.
CREATE OR REPLACE FUNCTION order_list(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    lim int := page_limit(p);
    after bigint := page_after(p);
    st text := p->>'status';
    cust bigint := (p->>'customer_id')::bigint;
    po text := p->>'po_number';
BEGIN
    RETURN page_of((SELECT coalesce(jsonb_agg(order_json(o) ORDER BY o.id), '[]')
                      FROM (SELECT * FROM orders o
                             WHERE o.id > after
                               AND (cust IS NULL OR o.customer_id = cust)
                               AND (po IS NULL OR o.po_number = po)
                               AND (st IS NULL OR order_status_of(o) = st)
                             ORDER BY o.id LIMIT lim + 1) o), lim);
END
$$;

-- The signature image of order `id` as base64 (NULL without one), for the
-- order document.
CREATE OR REPLACE FUNCTION order_signature_for_render(p_id bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT translate(encode(o.signature_png, 'base64'), E'\n', '') FROM orders o WHERE o.id = p_id
$$;
