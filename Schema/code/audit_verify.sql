-- The checks behind audit.verify, each scoped to a set of rows so that the
-- incremental run (only what is new since the last verification) and the full
-- run (everything, in chunks: audit_progress.sql) share them. Every check
-- returns a jsonb array of problems {kind, entity, id, number, message}:
--   totals / gap / duplicate / hash   documents (audit_invoice_documents,
--                                     audit_credit_note_documents);
--   credits / paid_mismatch / over_allocated / ledger / status
--                                     invoices (audit_invoice_states);
--   payment_mismatch                  payments (audit_payment_states);
--   allocation_mismatch               allocations (audit_allocations);
--   balance                           customers (audit_customer_balances);
--   tax_percent / tax_daily           issue dates (audit_tax_percents, audit_tax_daily);
--   stock                             items (audit_stock);
--   order_quantities                  orders (audit_orders, order_audit.sql; incremental runs:
--                                     the orders and deliveries in new audit entries and the
--                                     orders of the invoices checked);
--   series                            number series (audit_series_heads, audit_series_tails).
-- The entry point audit_verify is at the end of audit_progress.sql.

-- Document checks of invoices `ids`: either drafts (totals only: they have no
-- number or hash yet) or issued invoices of ONE series, the first of which
-- follows (after_seq, after_hash) in the series (0 and NULL at its start):
--   totals     stored subtotal/tax_total/total disagreeing with the lines
--              (grouped per tax rate with group_tax, as doc_totals does), or a
--              line's amount/tax disagreeing with line_amount/line_tax;
--   gap / duplicate   seq not following the previous one;
--   hash       the first invoice whose stored hash is not doc_hash(previous
--              stored hash, number, body recomputed from the stored document
--              and lines); the body seals tax_breakdown, so a changed
--              breakdown shows up here too.
-- Set-based (one pass over the lines, window functions): ~25 µs per invoice.
CREATE OR REPLACE FUNCTION audit_invoice_documents(ids bigint[], after_seq bigint, after_hash text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    probs jsonb;
BEGIN
    -- Minor units come from a per-currency lookup (cm) so `m` is a plain column
    -- (SQL helpers that use a parameter twice are only inlined for cheap
    -- arguments). In 'line' mode the tax total is the sum of the line taxes;
    -- 'document' mode invoices are regrouped per (code, percent) with group_tax.
    WITH cm AS (
        SELECT c.currency, currency_decimals(c.currency) AS m
          FROM (SELECT DISTINCT i.currency FROM invoices i WHERE i.id = ANY (ids)) c),
    -- Allowances (negative) and charges (positive) count like lines of their rate.
    aj AS (
        SELECT i.id AS invoice_id, a->>'tax_rate' AS tax_rate, (a->>'tax_percent')::numeric AS tax_percent,
               CASE WHEN a->>'kind' = 'allowance' THEN -(a->>'amount')::numeric ELSE (a->>'amount')::numeric END AS amount,
               cm.m
          FROM invoices i JOIN cm ON cm.currency = i.currency, jsonb_array_elements(i.adjustments) a
         WHERE i.id = ANY (ids) AND i.adjustments <> '[]'::jsonb),
    ajt AS (
        SELECT aj.invoice_id, sum(aj.amount) AS amount, sum(line_tax(aj.amount, aj.tax_percent, aj.m)) AS tax
          FROM aj GROUP BY aj.invoice_id),
    lt AS (
        SELECT l.invoice_id, min(cm.m) AS m, sum(l.amount) AS subtotal, sum(l.tax) AS line_tax,
               bool_and(l.amount = line_amount(l.qty, l.unit_price, cm.m) - l.discount
                        AND l.tax = line_tax(l.amount, l.tax_percent, cm.m)) AS lines_ok,
               '[' || string_agg(hash_line(ROW(l.line_no, l.item_id, l.description, l.qty, l.unit_price, l.tax_rate,
                                               l.tax_percent, l.amount, l.tax)::doc_line, cm.m),
                                 ',' ORDER BY l.line_no) || ']' AS hl
          FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id JOIN cm ON cm.currency = i.currency
         WHERE l.invoice_id = ANY (ids)
         GROUP BY l.invoice_id),
    dt AS (
        SELECT g.invoice_id, sum(g.tax) AS tax_total
          FROM (SELECT l.invoice_id,
                       group_tax(sum(l.amount), sum(l.tax), l.tax_percent, cm.m, i.tax_rounding) AS tax
                  FROM (SELECT x.invoice_id, x.tax_rate, x.tax_percent, x.amount, x.tax FROM invoice_lines x
                         WHERE x.invoice_id = ANY (ids)
                        UNION ALL
                        SELECT aj.invoice_id, aj.tax_rate, aj.tax_percent, aj.amount, 0 FROM aj) l
                  JOIN invoices i ON i.id = l.invoice_id JOIN cm ON cm.currency = i.currency
                 WHERE i.tax_rounding = 'document'
                 GROUP BY l.invoice_id, l.tax_rate, l.tax_percent, cm.m, i.tax_rounding) g
         GROUP BY g.invoice_id),
    t AS (
        SELECT lt.invoice_id, lt.lines_ok, lt.hl, round(lt.subtotal + coalesce(ajt.amount, 0), lt.m) AS subtotal,
               round(coalesce(dt.tax_total, lt.line_tax + coalesce(ajt.tax, 0)), lt.m) AS tax_total
          FROM lt LEFT JOIN dt ON dt.invoice_id = lt.invoice_id LEFT JOIN ajt ON ajt.invoice_id = lt.invoice_id),
    inv AS (
        SELECT i.id, i.number, i.series_period, i.seq, i.hash, i.subtotal, i.tax_total, i.total, t.lines_ok,
               ROW(coalesce(t.subtotal, 0), coalesce(t.tax_total, 0), NULL)::doc_totals_t AS tot,
               CASE WHEN i.seq IS NOT NULL THEN
                   invoice_hash_body(i.issue_date, i.due_date, i.customer_id, i.currency, i.subtotal, i.tax_total,
                                     i.total, coalesce(t.hl, '[]'), i.tax_breakdown) END AS body
          FROM invoices i LEFT JOIN t ON t.invoice_id = i.id
         WHERE i.id = ANY (ids)),
    chk AS (
        SELECT inv.*,
               CASE WHEN row_number() OVER w = 1 THEN after_seq ELSE lag(inv.seq) OVER w END AS prev_seq,
               doc_hash(CASE WHEN row_number() OVER w = 1 THEN after_hash ELSE lag(inv.hash) OVER w END,
                        inv.number, inv.body) AS expected
          FROM inv
        WINDOW w AS (ORDER BY inv.seq, inv.id))
    SELECT coalesce(jsonb_agg(jsonb_build_object('kind', x.kind, 'entity', 'invoice', 'id', x.id, 'number', x.number,
                                                 'message', x.message)
                              ORDER BY x.seq NULLS FIRST, x.id, x.kind), '[]')
      INTO probs
      FROM (
        SELECT 'totals' AS kind, id, number, seq,
               CASE WHEN lines_ok IS NULL THEN 'the invoice has no lines'
                    WHEN NOT lines_ok THEN 'a line''s amount or tax disagrees with its qty, unit price and percent'
                    ELSE format('stored totals (subtotal %s, tax %s, total %s) disagree with the lines (%s, %s, %s)',
                                subtotal, tax_total, total, (tot).subtotal, (tot).tax_total,
                                (tot).subtotal + (tot).tax_total) END AS message
          FROM chk
         WHERE (subtotal, tax_total, total) IS DISTINCT FROM ((tot).subtotal, (tot).tax_total, (tot).subtotal + (tot).tax_total)
            OR lines_ok IS NOT TRUE
        UNION ALL
        SELECT 'duplicate', id, number, seq,
               format('number %s repeats sequence %s of series %s', number, seq, series_period)
          FROM chk WHERE seq IS NOT NULL AND seq = prev_seq
        UNION ALL
        SELECT 'gap', id, number, seq,
               CASE WHEN seq - coalesce(prev_seq, 0) = 2
                    THEN format('sequence %s of series %s is missing before %s', seq - 1, series_period, number)
                    ELSE format('sequences %s to %s of series %s are missing before %s', coalesce(prev_seq, 0) + 1,
                                seq - 1, series_period, number) END
          FROM chk WHERE seq IS NOT NULL AND seq > coalesce(prev_seq, 0) + 1
        UNION ALL
        (SELECT 'hash', id, number, seq,
               format('hash chain broken at %s (series %s): stored hash does not match its content and predecessor',
                      number, series_period)
          FROM chk WHERE seq IS NOT NULL AND hash IS DISTINCT FROM expected
         ORDER BY seq LIMIT 1)
    ) x;
    RETURN probs;
END
$$;

-- Document checks of credit notes `ids` (all of ONE series, the first following
-- (after_seq, after_hash)): totals, gap, duplicate, hash as for invoices.
CREATE OR REPLACE FUNCTION audit_credit_note_documents(ids bigint[], after_seq bigint, after_hash text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    probs jsonb;
BEGIN
    WITH cm AS (
        SELECT c.currency, currency_decimals(c.currency) AS m
          FROM (SELECT DISTINCT n.currency FROM credit_notes n WHERE n.id = ANY (ids)) c),
    lt AS (
        SELECT l.credit_note_id, min(cm.m) AS m, sum(l.amount) AS subtotal, sum(l.tax) AS line_tax,
               bool_and(l.amount = line_amount(l.qty, l.unit_price, cm.m) - l.discount
                        AND l.tax = line_tax(l.amount, l.tax_percent, cm.m)) AS lines_ok,
               '[' || string_agg(hash_line(ROW(l.line_no, NULL, l.description, l.qty, l.unit_price, l.tax_rate,
                                               l.tax_percent, l.amount, l.tax)::doc_line, cm.m),
                                 ',' ORDER BY l.line_no) || ']' AS hl
          FROM credit_note_lines l JOIN credit_notes n ON n.id = l.credit_note_id JOIN cm ON cm.currency = n.currency
         WHERE l.credit_note_id = ANY (ids)
         GROUP BY l.credit_note_id),
    dt AS (
        SELECT g.credit_note_id, sum(g.tax) AS tax_total
          FROM (SELECT l.credit_note_id,
                       group_tax(sum(l.amount), sum(l.tax), l.tax_percent, cm.m, n.tax_rounding) AS tax
                  FROM credit_note_lines l JOIN credit_notes n ON n.id = l.credit_note_id
                  JOIN cm ON cm.currency = n.currency
                 WHERE l.credit_note_id = ANY (ids) AND n.tax_rounding = 'document'
                 GROUP BY l.credit_note_id, l.tax_rate, l.tax_percent, cm.m, n.tax_rounding) g
         GROUP BY g.credit_note_id),
    t AS (
        SELECT lt.credit_note_id, lt.lines_ok, lt.hl, round(lt.subtotal, lt.m) AS subtotal,
               round(coalesce(dt.tax_total, lt.line_tax), lt.m) AS tax_total
          FROM lt LEFT JOIN dt ON dt.credit_note_id = lt.credit_note_id),
    cn AS (
        SELECT n.id, n.number, n.series_period, n.seq, n.hash, n.subtotal, n.tax_total, n.total, t.lines_ok,
               ROW(coalesce(t.subtotal, 0), coalesce(t.tax_total, 0), NULL)::doc_totals_t AS tot,
               credit_note_hash_body(n.issue_date, n.invoice_id, n.invoice_number, n.customer_id, n.currency,
                                     n.reason, n.subtotal, n.tax_total, n.total, coalesce(t.hl, '[]'),
                                     n.tax_breakdown) AS body
          FROM credit_notes n LEFT JOIN t ON t.credit_note_id = n.id
         WHERE n.id = ANY (ids)),
    chk AS (
        SELECT cn.*,
               CASE WHEN row_number() OVER w = 1 THEN after_seq ELSE lag(cn.seq) OVER w END AS prev_seq,
               doc_hash(CASE WHEN row_number() OVER w = 1 THEN after_hash ELSE lag(cn.hash) OVER w END,
                        cn.number, cn.body) AS expected
          FROM cn
        WINDOW w AS (ORDER BY cn.seq, cn.id))
    SELECT coalesce(jsonb_agg(jsonb_build_object('kind', x.kind, 'entity', 'credit_note', 'id', x.id,
                                                 'number', x.number, 'message', x.message)
                              ORDER BY x.seq, x.id, x.kind), '[]')
      INTO probs
      FROM (
        SELECT 'totals' AS kind, id, number, seq,
               CASE WHEN lines_ok IS NULL THEN 'the credit note has no lines'
                    WHEN NOT lines_ok THEN 'a line''s amount or tax disagrees with its qty, unit price and percent'
                    ELSE format('stored totals (subtotal %s, tax %s, total %s) disagree with the lines (%s, %s, %s)',
                                subtotal, tax_total, total, (tot).subtotal, (tot).tax_total,
                                (tot).subtotal + (tot).tax_total) END AS message
          FROM chk
         WHERE (subtotal, tax_total, total) IS DISTINCT FROM ((tot).subtotal, (tot).tax_total, (tot).subtotal + (tot).tax_total)
            OR lines_ok IS NOT TRUE
        UNION ALL
        SELECT 'duplicate', id, number, seq,
               format('number %s repeats sequence %s of series %s', number, seq, series_period)
          FROM chk WHERE seq = prev_seq
        UNION ALL
        SELECT 'gap', id, number, seq,
               format('sequences %s to %s of series %s are missing before %s', coalesce(prev_seq, 0) + 1, seq - 1,
                      series_period, number)
          FROM chk WHERE seq > coalesce(prev_seq, 0) + 1
        UNION ALL
        (SELECT 'hash', id, number, seq,
               format('hash chain broken at %s (series %s): stored hash does not match its content and predecessor',
                      number, series_period)
          FROM chk WHERE hash IS DISTINCT FROM expected
         ORDER BY seq LIMIT 1)
    ) x;
    RETURN probs;
END
$$;

-- Invoice checks of invoices `ids` against what moved their balance:
--   credits          credited disagreeing with its credit notes;
--   paid_mismatch    amount_paid disagreeing with its active allocations;
--   over_allocated   active allocations plus credits exceeding the total;
--   ledger           amount_paid + credited disagreeing with its receivable events
--                    (the dated ledger behind as-of reports);
--   status           status disagreeing with the amounts (an open status with
--                    nothing left to pay, paid/void with a balance,
--                    partially_paid without payments, issued/sent with payments).
-- Index lookups per invoice (credit notes, allocations, events by invoice_id).
CREATE OR REPLACE FUNCTION audit_invoice_states(ids bigint[]) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    WITH inv AS (
        SELECT i.id, i.number, i.status, i.total, i.amount_paid, i.credited,
               (SELECT coalesce(sum(n.total), 0) FROM credit_notes n WHERE n.invoice_id = i.id) AS cn_total,
               (SELECT coalesce(sum(a.amount), 0) FROM payment_allocations a
                 WHERE a.invoice_id = i.id AND a.reversed_on IS NULL) AS allocated,
               (SELECT coalesce(sum(e.amount), 0) FROM receivable_events e WHERE e.invoice_id = i.id) AS events
          FROM invoices i WHERE i.id = ANY (ids))
    SELECT coalesce(jsonb_agg(jsonb_build_object('kind', x.kind, 'entity', 'invoice', 'id', x.id, 'number', x.number,
                                                 'message', x.message) ORDER BY x.id, x.o), '[]')
      FROM (
        SELECT 1 AS o, 'credits' AS kind, id, number,
               format('credited %s but its credit notes total %s', credited, cn_total) AS message
          FROM inv WHERE credited <> cn_total
        UNION ALL
        SELECT 2, 'paid_mismatch', id, number, format('amount_paid %s but its active allocations total %s', amount_paid, allocated)
          FROM inv WHERE amount_paid <> allocated
        UNION ALL
        SELECT 3, 'over_allocated', id, number,
               format('active allocations %s plus credits %s exceed the total %s', allocated, credited, total)
          FROM inv WHERE allocated + credited > total
        UNION ALL
        SELECT 4, 'ledger', id, number,
               format('amount_paid %s + credited %s disagree with its receivable events, which total %s',
                      amount_paid, credited, events)
          FROM inv WHERE status <> 'draft' AND amount_paid + credited <> events
        UNION ALL
        SELECT 5, 'status', id, number,
               format('status %s but total %s, paid %s, credited %s leave a balance of %s', status, total,
                      amount_paid, credited, total - amount_paid - credited)
          FROM inv
         WHERE (status IN ('issued', 'sent', 'partially_paid') AND total > 0 AND total - amount_paid - credited <= 0)
            OR (status IN ('paid', 'void') AND total - amount_paid - credited <> 0)
            OR (status = 'partially_paid' AND amount_paid = 0)
            OR (status IN ('issued', 'sent') AND amount_paid > 0)) x
$$;

-- payment_mismatch for payments `ids`: unapplied <> amount - active allocations
-- - refunded, or refunded <> sum of its refunds.
CREATE OR REPLACE FUNCTION audit_payment_states(ids bigint[]) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('kind', 'payment_mismatch', 'entity', 'payment', 'id', x.id,
                   'number', NULL,
                   'message', format('amount %s, active allocations %s, refunded %s (refunds total %s) but unapplied %s',
                                     x.amount, x.allocated, x.refunded, x.refunds, x.unapplied)) ORDER BY x.id), '[]')
      FROM (SELECT pm.id, pm.amount, pm.refunded, pm.unapplied,
                   (SELECT coalesce(sum(a.amount), 0) FROM payment_allocations a
                     WHERE a.payment_id = pm.id AND a.reversed_on IS NULL) AS allocated,
                   (SELECT coalesce(sum(r.amount), 0) FROM refunds r WHERE r.payment_id = pm.id) AS refunds
              FROM payments pm WHERE pm.id = ANY (ids)) x
     WHERE x.unapplied <> x.amount - x.allocated - x.refunded OR x.refunded <> x.refunds
$$;

-- allocation_mismatch for allocations `ids`: an active allocation to a draft or
-- void invoice, to another customer's invoice, or to one in another currency
-- than its payment.
CREATE OR REPLACE FUNCTION audit_allocations(ids bigint[]) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('kind', 'allocation_mismatch', 'entity', 'payment_allocation',
                   'id', a.id, 'number', i.number,
                   'message', format('allocation %s of payment %s to invoice %s: %s', a.id, a.payment_id,
                                     coalesce(i.number, i.id::text),
                                     CASE WHEN i.status IN ('draft', 'void') THEN 'the invoice is ' || i.status
                                          WHEN i.customer_id <> pm.customer_id THEN 'the invoice belongs to another customer'
                                          ELSE format('the invoice is in %s, the payment in %s', i.currency, pm.currency) END))
                   ORDER BY a.id), '[]')
      FROM payment_allocations a JOIN invoices i ON i.id = a.invoice_id JOIN payments pm ON pm.id = a.payment_id
     WHERE a.id = ANY (ids) AND a.reversed_on IS NULL
       AND (i.status IN ('draft', 'void') OR i.customer_id <> pm.customer_id OR i.currency <> pm.currency)
$$;

-- balance for customers `ids`: per customer and currency, the open balance (sum
-- of issued invoices' total - amount_paid - credited) against the documents
-- (invoice totals - active allocations - credit notes).
CREATE OR REPLACE FUNCTION audit_customer_balances(ids bigint[]) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('kind', 'balance', 'entity', 'customer', 'id', x.customer_id,
                              'number', NULL,
                              'message', format('customer %s (%s), %s: open balance %s, but invoices %s - allocations %s - credit notes %s = %s',
                                                x.customer_id, c.name, x.currency, x.open, x.invoiced, x.allocated, x.credited,
                                                x.invoiced - x.allocated - x.credited))
                              ORDER BY x.customer_id, x.currency), '[]')
      FROM (SELECT s.customer_id, s.currency, sum(s.open) AS open, sum(s.invoiced) AS invoiced,
                   sum(s.allocated) AS allocated, sum(s.credited) AS credited
              FROM (SELECT i.customer_id, i.currency, sum(i.total - i.amount_paid - i.credited) AS open,
                           sum(i.total) AS invoiced, 0 AS allocated, 0 AS credited
                      FROM invoices i WHERE i.customer_id = ANY (ids) AND i.status <> 'draft'
                     GROUP BY i.customer_id, i.currency
                    UNION ALL
                    SELECT i.customer_id, i.currency, 0, 0, sum(a.amount), 0
                      FROM invoices i JOIN payment_allocations a ON a.invoice_id = i.id
                     WHERE i.customer_id = ANY (ids) AND a.reversed_on IS NULL GROUP BY i.customer_id, i.currency
                    UNION ALL
                    SELECT n.customer_id, n.currency, 0, 0, 0, sum(n.total)
                      FROM credit_notes n WHERE n.customer_id = ANY (ids) GROUP BY n.customer_id, n.currency) s
             GROUP BY s.customer_id, s.currency
            HAVING sum(s.open) <> sum(s.invoiced) - sum(s.allocated) - sum(s.credited)
             ORDER BY s.customer_id, s.currency LIMIT 1000) x
      JOIN customers c ON c.id = x.customer_id
$$;

-- tax_percent for invoices issued from..to: one tax code priced with different
-- percents on invoices issued on the same date. The lines are looked up per
-- invoice (OFFSET 0 keeps the planner from a hash join over all lines, which
-- its estimate for a parameter date range would choose even for one day).
CREATE OR REPLACE FUNCTION audit_tax_percents(from_date date, to_date date) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('kind', 'tax_percent', 'entity', 'tax_rate', 'id', t.id,
                              'number', x.code,
                              'message', format('tax rate %s was applied with percents %s on invoices issued on %s (%s)',
                                                x.code, x.pcts, date_text(x.d), x.nums))
                              ORDER BY x.d, x.code), '[]')
      FROM (SELECT i.issue_date AS d, l.tax_rate AS code,
                   string_agg(DISTINCT dec_text(l.tax_percent) || '%', ', ') AS pcts,
                   string_agg(DISTINCT i.number, ', ') AS nums
              FROM invoices i
             CROSS JOIN LATERAL (SELECT l.tax_rate, l.tax_percent FROM invoice_lines l
                                  WHERE l.invoice_id = i.id AND l.tax_rate IS NOT NULL OFFSET 0) l
             WHERE i.issue_date BETWEEN from_date AND to_date AND i.status <> 'draft'
             GROUP BY i.issue_date, l.tax_rate
            HAVING count(DISTINCT l.tax_percent) > 1
             ORDER BY 1, 2 LIMIT 1000) x
      LEFT JOIN tax_rates t ON t.code = x.code
$$;

-- tax_daily for days from..to: the daily tax totals report.tax reads against
-- the documents issued on those days.
CREATE OR REPLACE FUNCTION audit_tax_daily(from_date date, to_date date) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('kind', 'tax_daily', 'entity', 'tax_daily', 'id', NULL, 'number', NULL,
               'message', format('%s tax totals of %s (%s, tax %s at %s%%): taxable %s, tax %s, %s documents, but the documents say %s, %s, %s',
                                 replace(coalesce(s.kind, d.kind), '_', ' '), date_text(coalesce(s.day, d.day)),
                                 coalesce(s.currency, d.currency), coalesce(coalesce(s.code, d.code), 'none'),
                                 dec_text(coalesce(s.percent, d.percent)), coalesce(s.taxable, 0), coalesce(s.tax, 0),
                                 coalesce(s.documents, 0), coalesce(d.taxable, 0), coalesce(d.tax, 0), coalesce(d.documents, 0)))
               ORDER BY coalesce(s.day, d.day), coalesce(s.kind, d.kind), coalesce(s.code, d.code)), '[]')
      FROM (SELECT * FROM tax_daily t WHERE t.day BETWEEN from_date AND to_date) s
      FULL JOIN tax_daily_of_documents(from_date, to_date) d
        ON d.day = s.day AND d.kind = s.kind AND d.currency = s.currency AND d.code IS NOT DISTINCT FROM s.code
       AND d.percent = s.percent
     WHERE (s.taxable, s.tax, s.documents) IS DISTINCT FROM (d.taxable, d.tax, d.documents)
$$;

-- stock for items `ids`: a tracked item's stock_qty against its stock movements
-- since its latest 'initial' movement.
CREATE OR REPLACE FUNCTION audit_stock(ids bigint[]) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('kind', 'stock', 'entity', 'item', 'id', x.id, 'number', x.sku,
                              'message', format('stock_qty %s but its stock movements add up to %s',
                                                dec_text(x.stock_qty), dec_text(x.moved)))
                              ORDER BY x.id), '[]')
      FROM (SELECT it.id, it.sku, it.stock_qty, stock_moved(it.id) AS moved FROM items it
             WHERE it.id = ANY (ids) AND it.stock_qty IS NOT NULL) x
     WHERE x.stock_qty <> x.moved
$$;

-- Each series' last document (kind, period, seq, hash, id), for every
-- number_series row and every period that has documents (next_seq and
-- last_hash are NULL when its row is missing). Periods come from a skip scan
-- of the (series_period, seq) indexes, heads from one index lookup each.
CREATE OR REPLACE FUNCTION audit_series_heads()
RETURNS TABLE (kind text, period int, next_seq bigint, last_hash text, head_seq bigint, head_hash text, head_id bigint)
LANGUAGE sql STABLE AS $$
    WITH RECURSIVE ip AS (
        SELECT (SELECT min(v.series_period) FROM invoices v WHERE v.seq IS NOT NULL) AS per
        UNION ALL
        SELECT (SELECT min(v.series_period) FROM invoices v WHERE v.seq IS NOT NULL AND v.series_period > ip.per)
          FROM ip WHERE ip.per IS NOT NULL),
    cp AS (
        SELECT (SELECT min(n.series_period) FROM credit_notes n) AS per
        UNION ALL
        SELECT (SELECT min(n.series_period) FROM credit_notes n WHERE n.series_period > cp.per) FROM cp WHERE cp.per IS NOT NULL),
    ser AS (
        SELECT s.kind, s.period FROM number_series s
        UNION SELECT 'invoice', ip.per FROM ip WHERE ip.per IS NOT NULL
        UNION SELECT 'credit_note', cp.per FROM cp WHERE cp.per IS NOT NULL)
    SELECT x.kind, x.period, s.next_seq, s.last_hash, coalesce(hi.seq, hc.seq), coalesce(hi.hash, hc.hash),
           coalesce(hi.id, hc.id)
      FROM ser x
      LEFT JOIN number_series s ON s.kind = x.kind AND s.period = x.period
      LEFT JOIN LATERAL (
          SELECT v.seq, v.hash, v.id FROM invoices v
           WHERE x.kind = 'invoice' AND v.series_period = x.period AND v.seq IS NOT NULL
           ORDER BY v.seq DESC LIMIT 1) hi ON true
      LEFT JOIN LATERAL (
          SELECT n.seq, n.hash, n.id FROM credit_notes n
           WHERE x.kind = 'credit_note' AND n.series_period = x.period
           ORDER BY n.seq DESC LIMIT 1) hc ON true
     ORDER BY x.kind, x.period
$$;

-- series (cheap, incremental): a number_series row whose next_seq does not
-- follow its last document, or whose last_hash is not that document's hash.
CREATE OR REPLACE FUNCTION audit_series_tails() RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('kind', 'series', 'entity', 'number_series', 'id', NULL, 'number', NULL,
               'message', format('%s series %s: next number %s but its last document has sequence %s%s',
                                 replace(h.kind, '_', ' '), h.period, coalesce(h.next_seq, 1), coalesce(h.head_seq, 0),
                                 CASE WHEN h.last_hash IS DISTINCT FROM h.head_hash
                                      THEN ', and its head hash differs from the last document''s' ELSE '' END))
               ORDER BY h.kind, h.period), '[]')
      FROM audit_series_heads() h
     WHERE coalesce(h.next_seq, 1) - 1 <> coalesce(h.head_seq, 0) OR h.last_hash IS DISTINCT FROM h.head_hash
$$;

-- The first 1000 of `probs` as the audit.verify result fields {ok, problems,
-- truncated}; `total` is how many problems there were in all.
CREATE OR REPLACE FUNCTION audit_result(probs jsonb, total bigint) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object(
        'ok', total = 0,
        'problems', CASE WHEN jsonb_array_length(probs) <= 1000 THEN probs
                         ELSE (SELECT jsonb_agg(e ORDER BY o) FROM jsonb_array_elements(probs) WITH ORDINALITY AS x(e, o)
                                WHERE o <= 1000) END,
        'truncated', total > 1000)
$$;
