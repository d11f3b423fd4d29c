-- Invoicing what was delivered (contract v1.1): invoice.create_from_order, and
-- the triggers that give an order's quantities back when an invoice made from it
-- is deleted (draft) or void.
--
-- An invoice cites exactly one order (its po_number): each of its lines is linked
-- to the order line it bills in order_invoice_lines, and order_lines.invoiced_qty
-- is the sum of those links not released. Drafts count, so two drafts can never
-- bill the same goods. The goods of a linked line left the stock when they were
-- delivered, so issuing the invoice does not move stock again (issue_draft_body skips
-- linked lines).

-- invoice.create_from_order {order_id, issue?, issue_date?} -> a draft (or, with
-- issue: true, the issued invoice) billing every line's delivered, not yet
-- invoiced quantity (with the tenant setting invoice_requires_receipt: received,
-- not yet invoiced) at the order's prices, for the order's customer and currency,
-- with its po_number and the latest such delivery's shipping date as
-- delivery_date. FL003 'order_id' when the order is cancelled, not confirmed, or
-- has nothing to invoice. The draft is made by invoice_create and issued by
-- invoice_issue (the same code as every invoice); the order row lock serializes
-- concurrent calls, and the order_lines CHECKs hold regardless.
CREATE OR REPLACE FUNCTION invoice_create_from_order(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    o record := order_find(p, true, 'order_id');
    st text := order_status_of(o);
    needs_receipt boolean := (SELECT s.invoice_requires_receipt FROM settings s);
    lines jsonb;
    links jsonb;
    inv jsonb;
    shipped date;
BEGIN
    IF p ? 'issue_date' AND NOT coalesce((p->>'issue')::boolean, false) THEN
        PERFORM fail('FL602', 'issue_date needs issue: true (or use invoice.issue)', 'issue_date');
    END IF;
    IF st IN ('received', 'cancelled') THEN
        PERFORM fail('FL003', format('order %s is %s and cannot be invoiced', o.id,
                                     CASE WHEN st = 'received' THEN 'not confirmed yet' ELSE 'cancelled' END), 'order_id');
    END IF;
    SELECT jsonb_agg(jsonb_build_object('item_id', x.item_id, 'description', x.description, 'qty', dec_text(x.open_qty),
                                        'unit_price', x.unit_price::text, 'tax_rate', x.tax_rate) ORDER BY x.line_no),
           jsonb_agg(jsonb_build_object('order_line_no', x.line_no, 'qty', x.open_qty) ORDER BY x.line_no)
      INTO lines, links
      FROM (SELECT l.*, CASE WHEN needs_receipt THEN l.received_qty ELSE l.delivered_qty END - l.invoiced_qty AS open_qty
              FROM order_lines l WHERE l.order_id = o.id) x
     WHERE x.open_qty > 0;
    IF lines IS NULL THEN
        PERFORM fail('FL003', format('order %s has nothing %s that is not invoiced yet', o.id,
                                     CASE WHEN needs_receipt THEN 'received' ELSE 'delivered' END), 'order_id');
    END IF;
    SELECT max(d.shipped_on) INTO shipped FROM deliveries d
     WHERE d.order_id = o.id AND (NOT needs_receipt OR d.status = 'received');
    inv := invoice_create(jsonb_build_object('customer_id', o.customer_id, 'currency', o.currency, 'lines', lines,
                                             'po_number', o.po_number, 'delivery_date', date_text(shipped)));
    INSERT INTO order_invoice_lines (invoice_id, line_no, order_id, order_line_no, qty)
    SELECT (inv->>'id')::bigint, e.n, o.id, (e.l->>'order_line_no')::int, (e.l->>'qty')::numeric
      FROM jsonb_array_elements(links) WITH ORDINALITY AS e(l, n);
    UPDATE order_lines l SET invoiced_qty = l.invoiced_qty + (e.l->>'qty')::numeric
      FROM jsonb_array_elements(links) AS e(l)
     WHERE l.order_id = o.id AND l.line_no = (e.l->>'order_line_no')::int;
    PERFORM audit('order', o.id, jsonb_build_object('invoice_id', (inv->>'id')::bigint, 'invoiced', links));
    IF coalesce((p->>'issue')::boolean, false) THEN
        RETURN invoice_issue(jsonb_strip_nulls(jsonb_build_object('id', inv->'id', 'issue_date', p->'issue_date')));
    END IF;
    RETURN inv;
END
$$;

-- Trigger of order_invoice_lines (BEFORE DELETE, per row): the link goes only
-- with its invoice (a draft deleted); then its quantity, unless already released,
-- goes back to the order line. Replacing the lines of a draft made from an order
-- (invoice.update with lines) is FL003 'lines'.
CREATE OR REPLACE FUNCTION order_invoice_lines_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM invoices i WHERE i.id = OLD.invoice_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'FL003', DETAIL = 'lines',
            MESSAGE = format('the lines of invoice %s bill order %s; delete the draft and make it again from the order',
                             OLD.invoice_id, OLD.order_id);
    END IF;
    IF OLD.released_at IS NULL THEN
        UPDATE order_lines SET invoiced_qty = invoiced_qty - OLD.qty
         WHERE order_id = OLD.order_id AND line_no = OLD.order_line_no;
    END IF;
    RETURN OLD;
END
$$;

-- Trigger of invoices (BEFORE UPDATE of a draft's customer, currency or PO
-- number): a draft made from an order keeps the order's (FL003 on the field).
CREATE OR REPLACE FUNCTION invoices_keep_order() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE ord bigint := (SELECT x.order_id FROM order_invoice_lines x WHERE x.invoice_id = NEW.id LIMIT 1);
BEGIN
    IF ord IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'FL003',
            DETAIL = CASE WHEN NEW.customer_id IS DISTINCT FROM OLD.customer_id THEN 'customer_id'
                          WHEN NEW.currency IS DISTINCT FROM OLD.currency THEN 'currency' ELSE 'po_number' END,
            MESSAGE = format('invoice %s bills order %s: its customer, currency and PO number are the order''s',
                             NEW.id, ord);
    END IF;
    RETURN NEW;
END
$$;

-- Trigger of invoices (AFTER UPDATE OF status, when it becomes void: voided, or
-- wholly credited): the quantities the invoice billed go back to its order's lines,
-- to be invoiced again. Partial credit notes give nothing back (an amount does
-- not say which goods it credits).
CREATE OR REPLACE FUNCTION invoices_release_order() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    WITH r AS (
        UPDATE order_invoice_lines SET released_at = now()
         WHERE invoice_id = NEW.id AND released_at IS NULL
        RETURNING order_id, order_line_no, qty)
    UPDATE order_lines l SET invoiced_qty = l.invoiced_qty - s.qty
      FROM (SELECT order_id, order_line_no, sum(qty) AS qty FROM r GROUP BY order_id, order_line_no) s
     WHERE l.order_id = s.order_id AND l.line_no = s.order_line_no;
    RETURN NULL;
END
$$;
