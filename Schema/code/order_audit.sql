-- The audit.verify check of customers' orders (full runs: stage 'orders' in
-- audit_progress.sql): each order line's delivered, received and invoiced
-- quantities against the deliveries, receipts and invoice lines they sum up.

-- order_quantities for orders `ids`: a line whose delivered_qty is not the sum
-- of its delivery lines, received_qty not the sum of those in received
-- deliveries, or invoiced_qty not the sum of its unreleased invoice links.
CREATE OR REPLACE FUNCTION audit_orders(ids bigint[]) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'kind', 'order_quantities', 'entity', 'order', 'id', x.order_id, 'number', x.po_number,
               'message', format('line %s: delivered %s, received %s, invoiced %s, but its deliveries add up to %s, '
                                 'their receipts to %s and its invoices to %s', x.line_no,
                                 dec_text(x.delivered_qty), dec_text(x.received_qty), dec_text(x.invoiced_qty),
                                 dec_text(x.shipped), dec_text(x.received), dec_text(x.billed)))
               ORDER BY x.order_id, x.line_no), '[]')
      FROM (SELECT l.order_id, o.po_number, l.line_no, l.delivered_qty, l.received_qty, l.invoiced_qty,
                   coalesce(d.shipped, 0) AS shipped, coalesce(d.received, 0) AS received, coalesce(b.billed, 0) AS billed
              FROM order_lines l
              JOIN orders o ON o.id = l.order_id
              LEFT JOIN LATERAL (SELECT sum(dl.qty) AS shipped, sum(dl.qty) FILTER (WHERE dv.status = 'received') AS received
                                   FROM delivery_lines dl JOIN deliveries dv ON dv.id = dl.delivery_id
                                  WHERE dl.order_id = l.order_id AND dl.line_no = l.line_no) d ON true
              LEFT JOIN LATERAL (SELECT sum(x.qty) AS billed FROM order_invoice_lines x
                                  WHERE x.order_id = l.order_id AND x.order_line_no = l.line_no
                                    AND x.released_at IS NULL) b ON true
             WHERE l.order_id = ANY (ids)) x
     WHERE (x.delivered_qty, x.received_qty, x.invoiced_qty) IS DISTINCT FROM (x.shipped, x.received, x.billed)
$$;
