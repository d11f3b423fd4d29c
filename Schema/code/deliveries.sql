-- Deliveries of customers' orders (contract v1.1): delivery.record,
-- delivery.confirm_receipt, delivery.get, delivery.list. A delivery ships parts
-- of an order's lines (never more than a line's undelivered quantity), carries
-- its tracking numbers as rows of their own, and moves the stock of tracked
-- items (reason 'delivery'). The order row is locked first, so concurrent
-- deliveries of one order run one after another and see each other's quantities.

-- The delivery result object.
CREATE OR REPLACE FUNCTION delivery_json(d record) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN jsonb_build_object(
        'id', d.id, 'order_id', d.order_id, 'status', d.status,
        'po_number', (SELECT o.po_number FROM orders o WHERE o.id = d.order_id),
        'customer_id', (SELECT o.customer_id FROM orders o WHERE o.id = d.order_id),
        'shipped_on', date_text(d.shipped_on), 'carrier', d.carrier, 'notes', d.notes,
        'tracking_numbers', (SELECT coalesce(jsonb_agg(t.tracking_number ORDER BY t.position), '[]')
                               FROM delivery_tracking_numbers t WHERE t.delivery_id = d.id),
        'lines', (SELECT coalesce(jsonb_agg(jsonb_build_object('line_no', dl.line_no, 'item_id', ol.item_id, 'sku', ol.sku,
                                                               'description', ol.description, 'qty', dec_text(dl.qty))
                                            ORDER BY dl.line_no), '[]')
                    FROM delivery_lines dl JOIN order_lines ol ON ol.order_id = dl.order_id AND ol.line_no = dl.line_no
                   WHERE dl.delivery_id = d.id),
        'received_by', d.received_by, 'received_on', date_text(d.received_on),
        'created_at', ts_text(d.created_at), 'updated_at', ts_text(d.updated_at));
END
$$;

-- Finds a delivery by {id} (FL002 when absent).
CREATE OR REPLACE FUNCTION delivery_find(p jsonb) RETURNS record
LANGUAGE plpgsql AS $$
DECLARE d record;
BEGIN
    SELECT * INTO d FROM deliveries WHERE id = (p->>'id')::bigint;
    IF d.id IS NULL THEN
        PERFORM fail('FL002', format('delivery %s not found', p->>'id'), 'id');
    END IF;
    RETURN d;
END
$$;

-- delivery.record {order_id, shipped_on, lines: [{line_no, qty}], carrier?,
-- tracking_numbers?, notes?} -> the delivery, status 'shipped'. The order must be
-- confirmed and not cancelled (FL003 'order_id'); each line_no must be the
-- order's, once (FL602 'lines[i].line_no'); qty at most what the line has left
-- to deliver (FL003 'lines[i].qty'); tracking numbers non-blank and distinct
-- (FL602 'tracking_numbers[i]'). Stock of tracked items moves (stock_move).
CREATE OR REPLACE FUNCTION delivery_record(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    o record := order_find(p, true, 'order_id');
    st text := order_status_of(o);
    bad record;
    d record;
BEGIN
    IF st IN ('received', 'cancelled') THEN
        PERFORM fail('FL003', format('order %s is %s: only confirmed orders are delivered', o.id,
                                     CASE WHEN st = 'received' THEN 'not confirmed yet' ELSE 'cancelled' END), 'order_id');
    END IF;
    SELECT e.n, format('lines[%s]', e.n - 1) AS f, ol.line_no AS known, (e.j->>'qty')::numeric AS qty,
           ol.qty - ol.delivered_qty AS open_qty,
           row_number() OVER (PARTITION BY e.j->>'line_no' ORDER BY e.n) AS times
      INTO bad
      FROM jsonb_array_elements(p->'lines') WITH ORDINALITY AS e(j, n)
      LEFT JOIN order_lines ol ON ol.order_id = o.id AND ol.line_no = (e.j->>'line_no')::int
     ORDER BY (ol.line_no IS NULL OR row_number() OVER (PARTITION BY e.j->>'line_no' ORDER BY e.n) > 1
               OR (e.j->>'qty')::numeric <= 0 OR (e.j->>'qty')::numeric > ol.qty - ol.delivered_qty) DESC, e.n
     LIMIT 1;
    IF bad.known IS NULL THEN
        PERFORM fail('FL602', format('order %s has no line %s', o.id, p->'lines'->(bad.n::int - 1)->>'line_no'), bad.f || '.line_no');
    ELSIF bad.times > 1 THEN
        PERFORM fail('FL602', format('line %s is given twice', bad.known), bad.f || '.line_no');
    ELSIF bad.qty <= 0 THEN
        PERFORM fail('FL602', 'qty must be greater than 0', bad.f || '.qty');
    ELSIF bad.qty > bad.open_qty THEN
        PERFORM fail('FL003', format('line %s has only %s left to deliver', bad.known, dec_text(bad.open_qty)), bad.f || '.qty');
    END IF;
    SELECT e.n, format('tracking_numbers[%s]', e.n - 1) AS f, btrim(e.t) = '' AS blank, length(e.t) > 100 AS long
      INTO bad
      FROM jsonb_array_elements_text(coalesce(p->'tracking_numbers', '[]')) WITH ORDINALITY AS e(t, n)
     WHERE btrim(e.t) = '' OR length(e.t) > 100
        OR e.n > (SELECT min(x.n) FROM jsonb_array_elements_text(p->'tracking_numbers') WITH ORDINALITY AS x(t, n) WHERE x.t = e.t)
     ORDER BY e.n LIMIT 1;
    IF bad.n IS NOT NULL THEN
        PERFORM fail('FL602', CASE WHEN bad.blank THEN 'a tracking number must not be blank'
                                   WHEN bad.long THEN 'a tracking number has at most 100 characters'
                                   ELSE 'this tracking number is given twice' END, bad.f);
    END IF;

    INSERT INTO deliveries (order_id, shipped_on, carrier, notes)
    VALUES (o.id, (p->>'shipped_on')::date, check_text(p->>'carrier', 'carrier', 200),
            check_text(p->>'notes', 'notes', 4000))
    RETURNING * INTO d;
    INSERT INTO delivery_lines (delivery_id, order_id, line_no, qty)
    SELECT d.id, o.id, (e.j->>'line_no')::int, (e.j->>'qty')::numeric
      FROM jsonb_array_elements(p->'lines') e(j);
    INSERT INTO delivery_tracking_numbers (delivery_id, position, tracking_number)
    SELECT d.id, e.n, e.t FROM jsonb_array_elements_text(coalesce(p->'tracking_numbers', '[]')) WITH ORDINALITY AS e(t, n);
    UPDATE order_lines ol SET delivered_qty = ol.delivered_qty + dl.qty
      FROM delivery_lines dl
     WHERE dl.delivery_id = d.id AND ol.order_id = o.id AND ol.line_no = dl.line_no;
    PERFORM stock_move((SELECT jsonb_agg(jsonb_build_object('item_id', ol.item_id, 'qty_delta', -dl.qty,
                                                            'field', format('lines[%s].qty', e.n - 1)) ORDER BY e.n)
                          FROM jsonb_array_elements(p->'lines') WITH ORDINALITY AS e(j, n)
                          JOIN delivery_lines dl ON dl.delivery_id = d.id AND dl.line_no = (e.j->>'line_no')::int
                          JOIN order_lines ol ON ol.order_id = o.id AND ol.line_no = dl.line_no
                         WHERE ol.item_id IS NOT NULL),
                       'delivery', delivery_id => d.id);
    PERFORM audit('delivery', d.id, jsonb_build_object('order_id', o.id, 'status', 'shipped',
                                                       'lines', p->'lines', 'tracking_numbers', p->'tracking_numbers'));
    RETURN delivery_json(d);
END
$$;

-- delivery.confirm_receipt {id, received_by, received_on}: a shipped delivery
-- (FL003 once received) becomes 'received'; received_on not before shipped_on
-- (FL602). Its quantities count as received on the order's lines.
CREATE OR REPLACE FUNCTION delivery_confirm_receipt(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    d record := delivery_find(p);
    o record := order_find(jsonb_build_object('id', d.order_id), true);
BEGIN
    SELECT * INTO d FROM deliveries WHERE id = d.id FOR UPDATE;
    IF d.status = 'received' THEN
        PERFORM fail('FL003', format('delivery %s was already received on %s', d.id, date_text(d.received_on)), 'id');
    END IF;
    IF (p->>'received_on')::date < d.shipped_on THEN
        PERFORM fail('FL602', format('received_on is before the shipping date %s', date_text(d.shipped_on)), 'received_on');
    END IF;
    UPDATE deliveries SET status = 'received', received_by = req_text(p->>'received_by', 'received_by', 200),
                          received_on = (p->>'received_on')::date, updated_at = now()
     WHERE id = d.id RETURNING * INTO d;
    UPDATE order_lines ol SET received_qty = ol.received_qty + dl.qty
      FROM delivery_lines dl
     WHERE dl.delivery_id = d.id AND ol.order_id = o.id AND ol.line_no = dl.line_no;
    PERFORM audit('delivery', d.id, jsonb_build_object('status', 'received', 'received_by', d.received_by,
                                                       'received_on', date_text(d.received_on)));
    RETURN delivery_json(d);
END
$$;

-- delivery.get {id}.
CREATE OR REPLACE FUNCTION delivery_get(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    RETURN delivery_json(delivery_find(p));
END
$$;

-- delivery.list {order_id?, status?, limit?, cursor?}: deliveries by id.
CREATE OR REPLACE FUNCTION delivery_list(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    lim int := page_limit(p);
    after bigint := page_after(p);
    ord bigint := (p->>'order_id')::bigint;
    st text := p->>'status';
BEGIN
    RETURN page_of((SELECT coalesce(jsonb_agg(delivery_json(d) ORDER BY d.id), '[]')
                      FROM (SELECT * FROM deliveries d
                             WHERE d.id > after AND (ord IS NULL OR d.order_id = ord) AND (st IS NULL OR d.status = st)
                             ORDER BY d.id LIMIT lim + 1) d), lim);
END
$$;
