-- audit.verify {} -> {ok, problems: [{kind, entity, id, number, message}],
-- truncated}. Set-based over all documents (window functions, no per-document
-- function calls; ~25 s per million invoices of 3 lines on a 2-core VM):
--   gap / duplicate   numbering per series (kind, period), by seq;
--   series            number_series.next_seq or last_hash disagreeing with the
--                     series' documents;
--   totals            stored subtotal/tax_total/total disagreeing with the lines
--                     (grouped per tax rate with group_tax, as doc_totals does),
--                     or a line's amount/tax disagreeing with line_amount/line_tax;
--   hash              the first document per series whose stored hash is not
--                     doc_hash(previous stored hash, number, body recomputed from
--                     the stored document and lines); the body seals the stored
--                     tax_breakdown too, so a changed breakdown shows up here;
--   credits           invoices.credited disagreeing with its credit notes.
-- Drafts are checked for totals only (they have no number or hash yet).
-- At most 1000 problems are listed (truncated = true when there were more).
CREATE OR REPLACE FUNCTION audit_verify_documents(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    inv_probs jsonb;
    cn_probs jsonb;
    series_probs jsonb;
    credit_probs jsonb;
    probs jsonb;
    n int;
BEGIN

    -- Invoices: one pass over the lines in (invoice, line_no) order gives each
    -- invoice's subtotal, sum of line taxes, line checks and canonical hash
    -- lines. Tax total per doc_totals: in 'line' mode the sum of group_tax over
    -- the rate groups is the sum of the line taxes; 'document' mode invoices are
    -- regrouped per (code, percent) with group_tax. Minor units come from a
    -- per-currency lookup (cm) so `m` is a plain column (SQL helpers that use a
    -- parameter twice are only inlined for cheap arguments).
    PERFORM set_config('work_mem', '128MB', true);
    WITH cm AS (
        SELECT c.currency, currency_decimals(c.currency) AS m FROM (SELECT DISTINCT currency FROM invoices) c),
    lt AS (
        SELECT l.invoice_id, min(cm.m) AS m, sum(l.amount) AS subtotal, sum(l.tax) AS line_tax,
               bool_and(l.amount = line_amount(l.qty, l.unit_price, cm.m)
                        AND l.tax = line_tax(l.amount, l.tax_percent, cm.m)) AS lines_ok,
               '[' || string_agg(hash_line(ROW(l.line_no, l.item_id, l.description, l.qty, l.unit_price, l.tax_rate,
                                               l.tax_percent, l.amount, l.tax)::doc_line, cm.m),
                                 ',' ORDER BY l.line_no) || ']' AS hl
          FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id JOIN cm ON cm.currency = i.currency
         GROUP BY l.invoice_id),
    dt AS (
        SELECT g.invoice_id, sum(g.tax) AS tax_total
          FROM (SELECT l.invoice_id,
                       group_tax(sum(l.amount), sum(l.tax), l.tax_percent, cm.m, i.tax_rounding) AS tax
                  FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id JOIN cm ON cm.currency = i.currency
                 WHERE i.tax_rounding = 'document'
                 GROUP BY l.invoice_id, l.tax_rate, l.tax_percent, cm.m, i.tax_rounding) g
         GROUP BY g.invoice_id),
    t AS (
        SELECT lt.invoice_id, lt.lines_ok, lt.hl, round(lt.subtotal, lt.m) AS subtotal,
               round(coalesce(dt.tax_total, lt.line_tax), lt.m) AS tax_total
          FROM lt LEFT JOIN dt ON dt.invoice_id = lt.invoice_id),
    inv AS (
        SELECT i.id, i.number, i.status, i.series_period, i.seq, i.hash, i.subtotal, i.tax_total, i.total,
               i.tax_breakdown, t.lines_ok,
               ROW(coalesce(t.subtotal, 0), coalesce(t.tax_total, 0), NULL)::doc_totals_t AS tot,
               CASE WHEN i.seq IS NOT NULL THEN
                   invoice_hash_body(i.issue_date, i.due_date, i.customer_id, i.currency, i.subtotal, i.tax_total,
                                     i.total, coalesce(t.hl, '[]'), i.tax_breakdown) END AS body
          FROM invoices i
          LEFT JOIN t ON t.invoice_id = i.id),
    chk AS (
        SELECT inv.*,
               lag(inv.seq) OVER w AS prev_seq,
               doc_hash(lag(inv.hash) OVER w, inv.number, inv.body) AS expected
          FROM inv
        WINDOW w AS (PARTITION BY inv.series_period ORDER BY inv.seq, inv.id))
    SELECT coalesce(jsonb_agg(jsonb_build_object('kind', x.kind, 'entity', 'invoice', 'id', x.id, 'number', x.number,
                                                 'message', x.message)
                              ORDER BY x.series_period NULLS FIRST, x.seq NULLS FIRST, x.id), '[]')
      INTO inv_probs
      FROM (
        SELECT 'totals' AS kind, id, number, seq, series_period,
               CASE WHEN lines_ok IS NULL THEN 'the invoice has no lines'
                    WHEN NOT lines_ok THEN 'a line''s amount or tax disagrees with its qty, unit price and percent'
                    ELSE format('stored totals (subtotal %s, tax %s, total %s) disagree with the lines (%s, %s, %s)',
                                subtotal, tax_total, total, (tot).subtotal, (tot).tax_total,
                                (tot).subtotal + (tot).tax_total) END AS message
          FROM chk
         WHERE (subtotal, tax_total, total) IS DISTINCT FROM ((tot).subtotal, (tot).tax_total, (tot).subtotal + (tot).tax_total)
            OR lines_ok IS NOT TRUE
        UNION ALL
        SELECT 'duplicate', id, number, seq, series_period,
               format('number %s repeats sequence %s of series %s', number, seq, series_period)
          FROM chk WHERE seq IS NOT NULL AND seq = prev_seq
        UNION ALL
        SELECT 'gap', id, number, seq, series_period,
               CASE WHEN seq - coalesce(prev_seq, 0) = 2
                    THEN format('sequence %s of series %s is missing before %s', seq - 1, series_period, number)
                    ELSE format('sequences %s to %s of series %s are missing before %s', coalesce(prev_seq, 0) + 1,
                                seq - 1, series_period, number) END
          FROM chk WHERE seq IS NOT NULL AND seq > coalesce(prev_seq, 0) + 1
        UNION ALL
        (SELECT DISTINCT ON (series_period) 'hash', id, number, seq, series_period,
               format('hash chain broken at %s (series %s): stored hash does not match its content and predecessor',
                      number, series_period)
          FROM chk WHERE seq IS NOT NULL AND hash IS DISTINCT FROM expected
         ORDER BY series_period, seq)
    ) x;

    -- Credit notes: the same checks.
    WITH cm AS (
        SELECT c.currency, currency_decimals(c.currency) AS m FROM (SELECT DISTINCT currency FROM credit_notes) c),
    lt AS (
        SELECT l.credit_note_id, min(cm.m) AS m, sum(l.amount) AS subtotal, sum(l.tax) AS line_tax,
               bool_and(l.amount = line_amount(l.qty, l.unit_price, cm.m)
                        AND l.tax = line_tax(l.amount, l.tax_percent, cm.m)) AS lines_ok,
               '[' || string_agg(hash_line(ROW(l.line_no, NULL, l.description, l.qty, l.unit_price, l.tax_rate,
                                               l.tax_percent, l.amount, l.tax)::doc_line, cm.m),
                                 ',' ORDER BY l.line_no) || ']' AS hl
          FROM credit_note_lines l JOIN credit_notes n ON n.id = l.credit_note_id JOIN cm ON cm.currency = n.currency
         GROUP BY l.credit_note_id),
    dt AS (
        SELECT g.credit_note_id, sum(g.tax) AS tax_total
          FROM (SELECT l.credit_note_id,
                       group_tax(sum(l.amount), sum(l.tax), l.tax_percent, cm.m, n.tax_rounding) AS tax
                  FROM credit_note_lines l JOIN credit_notes n ON n.id = l.credit_note_id
                  JOIN cm ON cm.currency = n.currency
                 WHERE n.tax_rounding = 'document'
                 GROUP BY l.credit_note_id, l.tax_rate, l.tax_percent, cm.m, n.tax_rounding) g
         GROUP BY g.credit_note_id),
    t AS (
        SELECT lt.credit_note_id, lt.lines_ok, lt.hl, round(lt.subtotal, lt.m) AS subtotal,
               round(coalesce(dt.tax_total, lt.line_tax), lt.m) AS tax_total
          FROM lt LEFT JOIN dt ON dt.credit_note_id = lt.credit_note_id),
    cn AS (
        SELECT n.id, n.number, n.series_period, n.seq, n.hash, n.subtotal, n.tax_total, n.total, n.tax_breakdown,
               t.lines_ok,
               ROW(coalesce(t.subtotal, 0), coalesce(t.tax_total, 0), NULL)::doc_totals_t AS tot,
               credit_note_hash_body(n.issue_date, n.invoice_id, n.invoice_number, n.customer_id, n.currency,
                                     n.reason, n.subtotal, n.tax_total, n.total, coalesce(t.hl, '[]'),
                                     n.tax_breakdown) AS body
          FROM credit_notes n
          LEFT JOIN t ON t.credit_note_id = n.id),
    chk AS (
        SELECT cn.*, lag(cn.seq) OVER w AS prev_seq, doc_hash(lag(cn.hash) OVER w, cn.number, cn.body) AS expected
          FROM cn
        WINDOW w AS (PARTITION BY cn.series_period ORDER BY cn.seq, cn.id))
    SELECT coalesce(jsonb_agg(jsonb_build_object('kind', x.kind, 'entity', 'credit_note', 'id', x.id,
                                                 'number', x.number, 'message', x.message)
                              ORDER BY x.series_period, x.seq, x.id), '[]')
      INTO cn_probs
      FROM (
        SELECT 'totals' AS kind, id, number, seq, series_period,
               CASE WHEN lines_ok IS NULL THEN 'the credit note has no lines'
                    WHEN NOT lines_ok THEN 'a line''s amount or tax disagrees with its qty, unit price and percent'
                    ELSE format('stored totals (subtotal %s, tax %s, total %s) disagree with the lines (%s, %s, %s)',
                                subtotal, tax_total, total, (tot).subtotal, (tot).tax_total,
                                (tot).subtotal + (tot).tax_total) END AS message
          FROM chk
         WHERE (subtotal, tax_total, total) IS DISTINCT FROM ((tot).subtotal, (tot).tax_total, (tot).subtotal + (tot).tax_total)
            OR lines_ok IS NOT TRUE
        UNION ALL
        SELECT 'duplicate', id, number, seq, series_period,
               format('number %s repeats sequence %s of series %s', number, seq, series_period)
          FROM chk WHERE seq = prev_seq
        UNION ALL
        SELECT 'gap', id, number, seq, series_period,
               format('sequences %s to %s of series %s are missing before %s', coalesce(prev_seq, 0) + 1, seq - 1,
                      series_period, number)
          FROM chk WHERE seq > coalesce(prev_seq, 0) + 1
        UNION ALL
        (SELECT DISTINCT ON (series_period) 'hash', id, number, seq, series_period,
               format('hash chain broken at %s (series %s): stored hash does not match its content and predecessor',
                      number, series_period)
          FROM chk WHERE hash IS DISTINCT FROM expected
         ORDER BY series_period, seq)
    ) x;

    -- Series rows against their documents (count, highest seq, head hash).
    SELECT coalesce(jsonb_agg(jsonb_build_object('kind', 'series', 'entity', 'number_series', 'id', NULL,
                                                 'number', NULL, 'message', x.message) ORDER BY x.k, x.per), '[]')
      INTO series_probs
      FROM (
    SELECT coalesce(s.kind, d.kind) AS k, coalesce(s.period, d.period) AS per,
           format('%s series %s: next number %s but %s documents up to sequence %s%s',
                  replace(coalesce(s.kind, d.kind), '_', ' '), coalesce(s.period, d.period), coalesce(s.next_seq, 1),
                  coalesce(d.cnt, 0), coalesce(d.max_seq, 0),
                  CASE WHEN s.last_hash IS DISTINCT FROM d.head_hash THEN ', and its head hash differs from the last document''s'
                       ELSE '' END) AS message
      FROM number_series s
      FULL JOIN (SELECT 'invoice' AS kind, series_period AS period, count(*) AS cnt, max(seq) AS max_seq,
                        (array_agg(hash ORDER BY seq DESC, id DESC))[1] AS head_hash
                   FROM invoices WHERE seq IS NOT NULL GROUP BY series_period
                 UNION ALL
                 SELECT 'credit_note', series_period, count(*), max(seq),
                        (array_agg(hash ORDER BY seq DESC, id DESC))[1]
                   FROM credit_notes GROUP BY series_period) d
        ON d.kind = s.kind AND d.period = s.period
     WHERE coalesce(s.next_seq, 1) - 1 <> coalesce(d.max_seq, 0)
        OR coalesce(s.next_seq, 1) - 1 <> coalesce(d.cnt, 0)
        OR s.last_hash IS DISTINCT FROM d.head_hash) x;

    -- Invoice credited amounts against their credit notes.
    SELECT coalesce(jsonb_agg(jsonb_build_object('kind', 'credits', 'entity', 'invoice', 'id', i.id, 'number', i.number,
                              'message', format('credited %s but its credit notes total %s', i.credited,
                                                coalesce(c.total, 0))) ORDER BY i.id), '[]')
      INTO credit_probs
      FROM invoices i
      LEFT JOIN (SELECT invoice_id, sum(total) AS total FROM credit_notes GROUP BY invoice_id) c ON c.invoice_id = i.id
     WHERE i.credited <> coalesce(c.total, 0);

    probs := inv_probs || cn_probs || series_probs || credit_probs;
    n := jsonb_array_length(probs);
    IF n > 1000 THEN
        probs := (SELECT jsonb_agg(e ORDER BY o) FROM jsonb_array_elements(probs) WITH ORDINALITY AS x(e, o) WHERE o <= 1000);
    END IF;
    RETURN jsonb_build_object('ok', n = 0, 'problems', probs, 'truncated', n > 1000);
END
$$;

-- audit.verify {} -> {ok, problems: [{kind, entity, id, number, message}],
-- truncated}: 0002's problems, then
--   paid_mismatch       invoice amount_paid differs from its active allocations;
--   over_allocated      an invoice's active allocations plus credits exceed its total;
--   allocation_mismatch an active allocation to a draft or void invoice, or to
--                       another customer's invoice or one in another currency
--                       than its payment;
--   payment_mismatch    payment unapplied <> amount - active allocations -
--                       refunded, or refunded <> sum of its refunds.
-- At most 1000 problems in all (truncated = true when there were more).
CREATE OR REPLACE FUNCTION audit_verify_ledger(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    base jsonb := audit_verify_documents(p);
    probs jsonb;
    n int;
BEGIN
    WITH act AS (
        SELECT a.invoice_id, sum(a.amount) AS amount FROM payment_allocations a WHERE a.reversed_on IS NULL
         GROUP BY a.invoice_id),
    inv AS (
        SELECT i.id, i.number, i.total, i.credited, i.amount_paid, coalesce(act.amount, 0) AS allocated
          FROM invoices i LEFT JOIN act ON act.invoice_id = i.id
         WHERE i.amount_paid <> 0 OR act.invoice_id IS NOT NULL),
    pact AS (
        SELECT a.payment_id, sum(a.amount) AS amount FROM payment_allocations a WHERE a.reversed_on IS NULL
         GROUP BY a.payment_id),
    pref AS (
        SELECT r.payment_id, sum(r.amount) AS amount FROM refunds r GROUP BY r.payment_id),
    x AS (
        SELECT 1 AS o, inv.id AS k, jsonb_build_object('kind', 'paid_mismatch', 'entity', 'invoice', 'id', inv.id,
                   'number', inv.number,
                   'message', format('amount_paid %s but its active allocations total %s', inv.amount_paid, inv.allocated)) AS j
          FROM inv WHERE inv.amount_paid <> inv.allocated
        UNION ALL
        SELECT 2, inv.id, jsonb_build_object('kind', 'over_allocated', 'entity', 'invoice', 'id', inv.id, 'number', inv.number,
                   'message', format('active allocations %s plus credits %s exceed the total %s', inv.allocated,
                                     inv.credited, inv.total))
          FROM inv WHERE inv.allocated + inv.credited > inv.total
        UNION ALL
        SELECT 3, a.id, jsonb_build_object('kind', 'allocation_mismatch', 'entity', 'payment_allocation', 'id', a.id,
                   'number', i.number,
                   'message', format('allocation %s of payment %s to invoice %s: %s', a.id, a.payment_id,
                                     coalesce(i.number, i.id::text),
                                     CASE WHEN i.status IN ('draft', 'void') THEN 'the invoice is ' || i.status
                                          WHEN i.customer_id <> pm.customer_id THEN 'the invoice belongs to another customer'
                                          ELSE format('the invoice is in %s, the payment in %s', i.currency, pm.currency) END))
          FROM payment_allocations a JOIN invoices i ON i.id = a.invoice_id JOIN payments pm ON pm.id = a.payment_id
         WHERE a.reversed_on IS NULL
           AND (i.status IN ('draft', 'void') OR i.customer_id <> pm.customer_id OR i.currency <> pm.currency)
        UNION ALL
        SELECT 4, pm.id, jsonb_build_object('kind', 'payment_mismatch', 'entity', 'payment', 'id', pm.id, 'number', NULL,
                   'message', format('amount %s, active allocations %s, refunded %s (refunds total %s) but unapplied %s',
                                     pm.amount, coalesce(pact.amount, 0), pm.refunded, coalesce(pref.amount, 0),
                                     pm.unapplied))
          FROM payments pm LEFT JOIN pact ON pact.payment_id = pm.id LEFT JOIN pref ON pref.payment_id = pm.id
         WHERE pm.unapplied <> pm.amount - coalesce(pact.amount, 0) - pm.refunded
            OR pm.refunded <> coalesce(pref.amount, 0))
    SELECT coalesce(jsonb_agg(x.j ORDER BY x.o, x.k), '[]') INTO probs FROM x;

    probs := (base->'problems') || probs;
    n := jsonb_array_length(probs);
    IF n > 1000 THEN
        probs := (SELECT jsonb_agg(e ORDER BY o) FROM jsonb_array_elements(probs) WITH ORDINALITY AS x(e, o) WHERE o <= 1000);
    END IF;
    RETURN jsonb_build_object('ok', n = 0, 'problems', probs,
                              'truncated', n > 1000 OR coalesce((base->>'truncated')::boolean, false));
END
$$;

-- More audit.verify checks, for audit_verify to append: an array of problems
-- {kind, entity, id, number, message} (at most 1000 per kind). amount_paid
-- against allocations and payments against allocations and refunds are
-- 0003's audit_verify checks (paid_mismatch, allocation_mismatch,
-- payment_mismatch), not repeated here.
--   balance      entity customer: per customer and currency, the open balance
--                (sum of issued invoices' total - amount_paid - credited) against
--                the documents (invoice totals - active allocations - credit notes);
--   ledger       entity invoice: amount_paid + credited against receivable_events
--                (the dated ledger behind as-of reports);
--   status       entity invoice: status disagreeing with the amounts (an open
--                status with nothing left to pay, paid/void with a balance,
--                partially_paid without payments, issued/sent with payments);
--   tax_percent  entity tax_rate: one tax code priced with different percents on
--                invoices issued on the same date;
--   stock        entity item: a tracked item's stock_qty against its stock
--                movements since its latest 'initial' movement.
CREATE OR REPLACE FUNCTION audit_verify_more() RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    probs jsonb := '[]';
    part jsonb;
BEGIN
    PERFORM set_config('work_mem', '128MB', true);

    -- Customer balances against the documents.
    SELECT coalesce(jsonb_agg(jsonb_build_object('kind', 'balance', 'entity', 'customer', 'id', x.customer_id,
                              'number', NULL,
                              'message', format('customer %s (%s), %s: open balance %s, but invoices %s - allocations %s - credit notes %s = %s',
                                                x.customer_id, c.name, x.currency, x.open, x.invoiced, x.allocated, x.credited,
                                                x.invoiced - x.allocated - x.credited))
                              ORDER BY x.customer_id, x.currency), '[]')
      INTO part
      FROM (SELECT s.customer_id, s.currency, sum(s.open) AS open, sum(s.invoiced) AS invoiced,
                   sum(s.allocated) AS allocated, sum(s.credited) AS credited
              FROM (SELECT i.customer_id, i.currency, sum(i.total - i.amount_paid - i.credited) AS open,
                           sum(i.total) AS invoiced, 0 AS allocated, 0 AS credited
                      FROM invoices i WHERE i.status <> 'draft' GROUP BY i.customer_id, i.currency
                    UNION ALL
                    SELECT i.customer_id, i.currency, 0, 0, sum(a.amount), 0
                      FROM payment_allocations a JOIN invoices i ON i.id = a.invoice_id
                     WHERE a.reversed_on IS NULL GROUP BY i.customer_id, i.currency
                    UNION ALL
                    SELECT n.customer_id, n.currency, 0, 0, 0, sum(n.total)
                      FROM credit_notes n GROUP BY n.customer_id, n.currency) s
             GROUP BY s.customer_id, s.currency
            HAVING sum(s.open) <> sum(s.invoiced) - sum(s.allocated) - sum(s.credited)
             ORDER BY s.customer_id, s.currency LIMIT 1000) x
      JOIN customers c ON c.id = x.customer_id;
    probs := probs || part;

    -- Invoices: the ledger, status.
    SELECT coalesce(jsonb_agg(jsonb_build_object('kind', y.kind, 'entity', 'invoice', 'id', y.id, 'number', y.number,
                                                 'message', y.message) ORDER BY y.id, y.kind), '[]')
      INTO part
      FROM (SELECT * FROM (
            SELECT 'ledger' AS kind, i.id, i.number,
                   format('amount_paid %s + credited %s disagree with its receivable events, which total %s',
                          i.amount_paid, i.credited, coalesce(e.total, 0)) AS message
              FROM invoices i
              LEFT JOIN (SELECT invoice_id, sum(amount) AS total FROM receivable_events GROUP BY invoice_id) e
                ON e.invoice_id = i.id
             WHERE i.amount_paid + i.credited <> coalesce(e.total, 0)
             ORDER BY i.id LIMIT 1000) q1
            UNION ALL
            SELECT * FROM (
            SELECT 'status', i.id, i.number,
                   format('status %s but total %s, paid %s, credited %s leave a balance of %s', i.status, i.total,
                          i.amount_paid, i.credited, i.total - i.amount_paid - i.credited)
              FROM invoices i
             WHERE (i.status IN ('issued', 'sent', 'partially_paid') AND i.total > 0
                    AND i.total - i.amount_paid - i.credited <= 0)
                OR (i.status IN ('paid', 'void') AND i.total - i.amount_paid - i.credited <> 0)
                OR (i.status = 'partially_paid' AND i.amount_paid = 0)
                OR (i.status IN ('issued', 'sent') AND i.amount_paid > 0)
             ORDER BY i.id LIMIT 1000) q2) y;
    probs := probs || part;

    -- One tax code, several percents, same issue date.
    SELECT coalesce(jsonb_agg(jsonb_build_object('kind', 'tax_percent', 'entity', 'tax_rate', 'id', t.id,
                              'number', x.code,
                              'message', format('tax rate %s was applied with percents %s on invoices issued on %s (%s)',
                                                x.code, x.pcts, date_text(x.d), x.nums))
                              ORDER BY x.d, x.code), '[]')
      INTO part
      FROM (SELECT i.issue_date AS d, l.tax_rate AS code,
                   string_agg(DISTINCT dec_text(l.tax_percent) || '%', ', ') AS pcts,
                   string_agg(DISTINCT i.number, ', ') AS nums
              FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
             WHERE i.status <> 'draft' AND l.tax_rate IS NOT NULL
             GROUP BY i.issue_date, l.tax_rate
            HAVING count(DISTINCT l.tax_percent) > 1
             ORDER BY 1, 2 LIMIT 1000) x
      LEFT JOIN tax_rates t ON t.code = x.code;
    probs := probs || part;

    -- Stock against movements (since the latest 'initial' of a tracked item).
    SELECT coalesce(jsonb_agg(jsonb_build_object('kind', 'stock', 'entity', 'item', 'id', x.id, 'number', x.sku,
                              'message', format('stock_qty %s but its stock movements add up to %s',
                                                dec_text(x.stock_qty), dec_text(x.moved)))
                              ORDER BY x.id), '[]')
      INTO part
      FROM (SELECT it.id, it.sku, it.stock_qty, coalesce(m.moved, 0) AS moved
              FROM items it
              LEFT JOIN LATERAL (
                  SELECT sum(sm.qty_delta) AS moved FROM stock_movements sm
                   WHERE sm.item_id = it.id
                     AND sm.id >= coalesce((SELECT max(s2.id) FROM stock_movements s2
                                             WHERE s2.item_id = it.id AND s2.reason = 'initial'), 0)) m ON true
             WHERE it.stock_qty IS NOT NULL AND it.stock_qty <> coalesce(m.moved, 0)
             ORDER BY it.id LIMIT 1000) x;
    probs := probs || part;
    RETURN probs;
END
$$;

CREATE OR REPLACE FUNCTION audit_verify(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    base jsonb := audit_verify_ledger(p);
    probs jsonb := (base->'problems') || audit_verify_more();
    n int := jsonb_array_length(probs);
BEGIN
    IF n > 1000 THEN
        probs := (SELECT jsonb_agg(e ORDER BY o) FROM jsonb_array_elements(probs) WITH ORDINALITY AS x(e, o) WHERE o <= 1000);
    END IF;
    RETURN jsonb_build_object('ok', n = 0, 'problems', probs,
                              'truncated', n > 1000 OR coalesce((base->>'truncated')::boolean, false));
END
$$;
