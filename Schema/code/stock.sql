-- Stock of tracked items (contract v1.1): movements of deliveries and manual
-- adjustments, the tenant's negative_stock rule, item.adjust_stock and
-- report.stock. Issuing an invoice moves stock in issue_draft_body (invoices.sql) for
-- lines that no delivery moved already; voiding reverses that (credit_notes.sql).
-- An item's stock_qty always equals the sum of its stock_movements since its
-- latest 'initial' one (audit_stock checks it).

-- Moves stock: moves [{item_id, qty_delta, field}] (untracked items are
-- skipped), one stock_movements row each with `reason` (and delivery_id / note).
-- The tracked items are locked in id order first (as issuing does, so concurrent
-- movers cannot deadlock); with negative_stock 'forbid' a move that takes an
-- item below zero is FL003 on the move's `field`.
CREATE OR REPLACE FUNCTION stock_move(moves jsonb, reason text, delivery_id bigint DEFAULT NULL, note text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE bad record;
BEGIN
    IF moves IS NULL OR jsonb_array_length(moves) = 0 THEN RETURN; END IF;
    PERFORM 1 FROM items
     WHERE id IN (SELECT (m->>'item_id')::bigint FROM jsonb_array_elements(moves) m) AND stock_qty IS NOT NULL
     ORDER BY id FOR NO KEY UPDATE;
    IF (SELECT s.negative_stock FROM settings s) = 'forbid' THEN
        SELECT it.sku, it.stock_qty, x.field, a.after INTO bad
          FROM (SELECT m->>'field' AS field, (m->>'item_id')::bigint AS item_id, e.n,
                       sum((m->>'qty_delta')::numeric) OVER (PARTITION BY m->>'item_id' ORDER BY e.n) AS delta
                  FROM jsonb_array_elements(moves) WITH ORDINALITY AS e(m, n)) x
          JOIN items it ON it.id = x.item_id
          CROSS JOIN LATERAL (SELECT it.stock_qty + x.delta AS after) a(after)
         WHERE it.stock_qty IS NOT NULL AND it.stock_qty + x.delta < 0 AND x.delta < 0
         ORDER BY x.n LIMIT 1;
        IF bad.sku IS NOT NULL THEN
            PERFORM fail('FL003', format('item %s has %s in stock; this would take it to %s (negative stock is forbidden)',
                                         bad.sku, dec_text(bad.stock_qty), dec_text(bad.after)), bad.field);
        END IF;
    END IF;
    WITH mv AS (
        INSERT INTO stock_movements (item_id, qty_delta, reason, delivery_id, note)
        SELECT (e.m->>'item_id')::bigint, (e.m->>'qty_delta')::numeric, stock_move.reason, stock_move.delivery_id,
               stock_move.note
          FROM jsonb_array_elements(moves) WITH ORDINALITY AS e(m, n)
          JOIN items it ON it.id = (e.m->>'item_id')::bigint
         WHERE it.stock_qty IS NOT NULL
         ORDER BY e.n
        RETURNING item_id, qty_delta)
    UPDATE items it SET stock_qty = it.stock_qty + d.delta, updated_at = now()
      FROM (SELECT item_id, sum(qty_delta) AS delta FROM mv GROUP BY item_id) d
     WHERE it.id = d.item_id;
END
$$;

-- Trigger of items (BEFORE UPDATE OF stock_qty, when it falls below zero): with
-- negative_stock 'forbid' refuses the change, whoever makes it (issuing an
-- invoice, item.update). FL003 (stock_move checks first, naming the field).
CREATE OR REPLACE FUNCTION items_negative_stock() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT s.negative_stock FROM settings s) = 'forbid' THEN
        RAISE EXCEPTION USING ERRCODE = 'FL003',
            MESSAGE = format('item %s has %s in stock; this would take it to %s (negative stock is forbidden)',
                             NEW.sku, dec_text(OLD.stock_qty), dec_text(NEW.stock_qty));
    END IF;
    RETURN NEW;
END
$$;

-- item.adjust_stock {id, qty_delta, reason}: adds qty_delta (not 0, FL602) to the
-- item's stock, recorded as an 'adjustment' movement with the reason as its note.
-- An item that did not track stock starts tracking it at 0 (an 'initial'
-- movement of 0 first).
CREATE OR REPLACE FUNCTION item_adjust_stock(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    i record := item_find(jsonb_build_object('id', p->'id'), true);
    delta numeric := (p->>'qty_delta')::numeric;
    reason text := req_text(p->>'reason', 'reason', 2000);
BEGIN
    IF delta = 0 THEN
        PERFORM fail('FL602', 'qty_delta must not be 0', 'qty_delta');
    END IF;
    PERFORM check_stock(coalesce(i.stock_qty, 0) + delta, 'qty_delta');
    IF i.stock_qty IS NULL THEN
        UPDATE items SET stock_qty = 0, updated_at = now() WHERE id = i.id;
        INSERT INTO stock_movements (item_id, qty_delta, reason) VALUES (i.id, 0, 'initial');
    END IF;
    PERFORM stock_move(jsonb_build_array(jsonb_build_object('item_id', i.id, 'qty_delta', delta, 'field', 'qty_delta')),
                       'adjustment', note => reason);
    SELECT * INTO i FROM items WHERE id = i.id;
    PERFORM audit('item', i.id, jsonb_build_object('qty_delta', dec_text(delta), 'reason', reason,
                                                   'stock_qty', dec_text(i.stock_qty)));
    RETURN item_json(i);
END
$$;

-- What an item's stock movements add up to since its latest 'initial' movement:
-- equal to its stock_qty unless the books were changed behind the server's back
-- (report.stock and audit.verify compare the two).
CREATE OR REPLACE FUNCTION stock_moved(p_item_id bigint) RETURNS numeric
LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(sm.qty_delta), 0) FROM stock_movements sm
     WHERE sm.item_id = p_item_id
       AND sm.id >= coalesce((SELECT max(s2.id) FROM stock_movements s2
                               WHERE s2.item_id = p_item_id AND s2.reason = 'initial'), 0)
$$;

-- report.stock {below?, limit?, cursor?} -> {items: [{id, sku, name, stock_qty,
-- movements_qty}], next_cursor}: stock-tracked items (archived ones too) by id;
-- movements_qty is the sum of the item's movements since its latest 'initial'
-- one, which equals stock_qty unless the books were tampered with; `below` keeps
-- the items whose stock_qty is under it.
CREATE OR REPLACE FUNCTION report_stock(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    lim int := page_limit(p);
    after bigint := page_after(p);
    below numeric := (p->>'below')::numeric;
BEGIN
    RETURN page_of((
        SELECT coalesce(jsonb_agg(jsonb_build_object('id', r.id, 'sku', r.sku, 'name', r.name,
                                                     'stock_qty', dec_text(r.stock_qty), 'movements_qty', dec_text(r.moved),
                                                     'archived', r.archived) ORDER BY r.id), '[]')
          FROM (SELECT it.id, it.sku, it.name, it.stock_qty, it.archived, stock_moved(it.id) AS moved
              FROM items it
             WHERE it.id > after AND it.stock_qty IS NOT NULL AND (below IS NULL OR it.stock_qty < below)
             ORDER BY it.id LIMIT lim + 1) r), lim);
END
$$;
