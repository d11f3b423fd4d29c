-- Money in reports: every amount is reported in its document's currency and
-- never converted. Report rows carry `currency`; totals are given per currency
-- (`totals_by_currency`), and where the contract wants one `totals` object it is
-- the tenant's default currency (with a `currency` field saying so).
--
-- Balance as of a date D (aging, outstanding, DSO): an issued invoice counts when
-- issue_date <= D; its balance as of D is
--     total - allocations with allocated_on <= D and not reversed on or before D
--           - credit notes with issue_date <= D.
-- Status plays no part: an invoice voided (or fully credited, or paid) after D
-- still shows the balance it had on D. Invoices with a zero balance on D are
-- left out.
--
-- How that stays fast with millions of documents: receivable_events (below) is
-- a ledger of every dated change of an invoice's balance (allocations, their
-- reversals, credit notes), maintained by triggers, each row carrying the span
-- [invoice issue date, event date). The balance as of D is
--     current balance (total - amount_paid - credited)
--   + the events dated after D of invoices issued on or before D,
-- and those events are exactly the rows whose span contains D: one GiST
-- "stabbing" lookup. Invoices with a current balance come from a covering
-- partial index over open invoices. So aging costs about the number of invoices
-- open on D (plus the customers listed), not the number of invoices.
--
-- report.aging, report.outstanding and report.sales return json rather than
-- jsonb (see report_aging); every other method returns jsonb.

-- Checks a {from, to} period: both required, from <= to (FL602).
CREATE OR REPLACE FUNCTION report_period(p jsonb) RETURNS daterange
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF p->>'from' IS NULL THEN PERFORM fail('FL602', 'from is required', 'from'); END IF;
    IF p->>'to' IS NULL THEN PERFORM fail('FL602', 'to is required', 'to'); END IF;
    IF (p->>'to')::date < (p->>'from')::date THEN
        PERFORM fail('FL602', 'to must not be before from', 'to');
    END IF;
    RETURN daterange((p->>'from')::date, (p->>'to')::date, '[]');
END
$$;

-- report.statement {customer_id, from, to, currency?} -> {customer_id, name,
-- currency, from, to, opening_balance, entries: [{date, kind, id, number,
-- reference, description, amount, balance}], closing_balance, invoiced,
-- credited, paid, refunded, other_currencies}: the customer's account in one
-- currency (default the tenant's): opening balance = everything dated before
-- `from`; entries dated from..to in date order (on one date: invoices, credit
-- notes, payments, refunds, each by id); amount > 0 raises what the customer
-- owes (invoice, refund), < 0 lowers it (credit note, payment, also its
-- unapplied part). other_currencies lists the customer's other currencies.
CREATE OR REPLACE FUNCTION report_statement(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    per daterange := report_period(p);
    f date := lower(per);
    t date := upper(per) - 1;
    c record;
    cur text := coalesce(p->>'currency', (SELECT s.currency FROM settings s));
    m int;
    sums record;
    others jsonb;
BEGIN
    SELECT * INTO c FROM customers WHERE id = (p->>'customer_id')::bigint;
    IF c.id IS NULL THEN
        PERFORM fail('FL002', format('customer %s not found', p->>'customer_id'), 'customer_id');
    END IF;
    m := currency_decimals(check_currency(cur));
    WITH e AS (
        SELECT i.issue_date AS d, 1 AS k, 'invoice' AS kind, i.id, i.number, i.po_number AS reference,
               format('Invoice %s, due %s', i.number, date_text(i.due_date)) AS description, i.total AS amount
          FROM invoices i
         WHERE i.customer_id = c.id AND i.currency = cur AND i.status <> 'draft'
        UNION ALL
        SELECT n.issue_date, 2, 'credit_note', n.id, n.number, n.invoice_number,
               format('Credit note %s on %s: %s', n.number, n.invoice_number, n.reason), -n.total
          FROM credit_notes n
         WHERE n.customer_id = c.id AND n.currency = cur
        UNION ALL
        SELECT y.received_on, 3, 'payment', y.id, NULL, y.reference,
               format('Payment (%s)', y.method), -y.amount
          FROM payments y
         WHERE y.customer_id = c.id AND y.currency = cur
        UNION ALL
        SELECT r.refunded_on, 4, 'refund', r.id, NULL, NULL,
               coalesce('Refund: ' || r.reason, 'Refund') || format(' (payment %s)', y.id), r.amount
          FROM refunds r JOIN payments y ON y.id = r.payment_id
         WHERE y.customer_id = c.id AND y.currency = cur)
    SELECT coalesce(sum(x.amount) FILTER (WHERE x.d < f), 0) AS opening,
           coalesce(sum(x.amount) FILTER (WHERE x.d >= f AND x.kind = 'invoice'), 0) AS invoiced,
           coalesce(-sum(x.amount) FILTER (WHERE x.d >= f AND x.kind = 'credit_note'), 0) AS credited,
           coalesce(-sum(x.amount) FILTER (WHERE x.d >= f AND x.kind = 'payment'), 0) AS paid,
           coalesce(sum(x.amount) FILTER (WHERE x.d >= f AND x.kind = 'refund'), 0) AS refunded,
           coalesce(sum(x.amount), 0) AS closing,
           coalesce(jsonb_agg(jsonb_build_object('date', date_text(x.d), 'kind', x.kind, 'id', x.id, 'number', x.number,
                                                 'reference', x.reference, 'description', x.description,
                                                 'amount', money_text(x.amount, m), 'balance', money_text(x.run, m))
                              ORDER BY x.d, x.k, x.id) FILTER (WHERE x.d >= f), '[]') AS entries
      INTO sums
      FROM (SELECT e.*, sum(e.amount) OVER (ORDER BY e.d, e.k, e.id) AS run FROM e WHERE e.d <= t) x;
    SELECT coalesce(jsonb_agg(DISTINCT z.currency), '[]') INTO others
      FROM (SELECT i.currency FROM invoices i WHERE i.customer_id = c.id AND i.status <> 'draft'
            UNION SELECT y.currency FROM payments y WHERE y.customer_id = c.id) z
     WHERE z.currency <> cur;
    RETURN jsonb_build_object(
        'customer_id', c.id, 'name', c.name, 'currency', cur, 'from', date_text(f), 'to', date_text(t),
        'opening_balance', money_text(sums.opening, m), 'entries', sums.entries,
        'closing_balance', money_text(sums.closing, m),
        'invoiced', money_text(sums.invoiced, m), 'credited', money_text(sums.credited, m),
        'paid', money_text(sums.paid, m), 'refunded', money_text(sums.refunded, m),
        'other_currencies', others);
END
$$;

-- report.sales {from, to, group_by: day|month|customer|item} -> {from, to,
-- group_by, rows: [{key, label, currency, invoices, invoiced_net, invoiced_tax,
-- invoiced_gross, credited_net, credited_tax, credited_gross, net, tax,
-- gross}], totals_by_currency: [{currency, same figures}]}: issued invoices
-- (void ones included: their cancelling credit note is a credit) by issue date
-- in from..to, and credit notes by their own issue date in from..to, shown
-- separately (credited_*); net/tax/gross = invoiced minus credited.
-- key: day 'YYYY-MM-DD', month 'YYYY-MM', customer the customer id, item the
-- item id (null for lines without an item); label: the date/month, customer
-- name, or "SKU name". Item rows sum the lines' amounts and line taxes (in
-- 'document' tax rounding a line's tax is informational, so item tax may differ
-- from the invoices' tax by rounding); credit notes carry no items, so with
-- group_by item they are only in totals_by_currency. Rows by key (customers and
-- items by label), then currency. Returns json, not jsonb, like report.aging:
-- with thousands of customers, building jsonb rows cost more than the
-- aggregation itself. A year of a million-invoice tenant is a few
-- hundred thousand index-only rows (invoices_sales): work_mem keeps their
-- aggregation in memory, and JIT (which the row estimates would switch on) costs
-- more to compile than it saves.
-- (It returned jsonb before: a function's result type cannot be replaced.)
DROP FUNCTION IF EXISTS report_sales(jsonb);
CREATE OR REPLACE FUNCTION report_sales(p jsonb) RETURNS json
LANGUAGE plpgsql STABLE SET work_mem = '64MB' SET jit = off AS $$
DECLARE
    per daterange := report_period(p);
    f date := lower(per);
    t date := upper(per) - 1;
    g text := p->>'group_by';
    base text := (SELECT s.currency FROM settings s);
    rows json;
    tots jsonb;
BEGIN
    IF g IS NULL OR g NOT IN ('day', 'month', 'customer', 'item') THEN
        PERFORM fail('FL602', 'group_by must be day, month, customer or item', 'group_by');
    END IF;
    -- Documents (lines for items) summed per (date key, id key, currency, kind),
    -- kind 1 = invoices, 2 = credit notes, 3 = invoice lines.
    WITH agg AS MATERIALIZED (
        SELECT d.kd, d.ki, d.currency, d.kind, count(*) AS n, sum(d.net) AS net, sum(d.tax) AS tax
          FROM (SELECT CASE g WHEN 'day' THEN i.issue_date WHEN 'month' THEN date_trunc('month', i.issue_date)::date END AS kd,
                       CASE WHEN g = 'customer' THEN i.customer_id END AS ki,
                       i.currency, 1 AS kind, i.subtotal AS net, i.tax_total AS tax
                  FROM invoices i
                 WHERE i.issue_date BETWEEN f AND t  -- set exactly when not a draft; index-only (invoices_sales)
                UNION ALL
                SELECT CASE g WHEN 'day' THEN n.issue_date WHEN 'month' THEN date_trunc('month', n.issue_date)::date END,
                       CASE WHEN g = 'customer' THEN n.customer_id END,
                       n.currency, 2, n.subtotal, n.tax_total
                  FROM credit_notes n
                 WHERE n.issue_date BETWEEN f AND t
                UNION ALL
                SELECT NULL, l.item_id, i.currency, 3, l.amount, l.tax
                  FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id
                 WHERE g = 'item' AND i.issue_date BETWEEN f AND t AND i.status <> 'draft') d
         GROUP BY d.kd, d.ki, d.currency, d.kind),
    r AS (
        SELECT a.kd, a.ki, a.currency, currency_decimals(a.currency) AS m,
               coalesce(sum(a.n) FILTER (WHERE a.kind = 1), 0) AS n_inv, coalesce(sum(a.n) FILTER (WHERE a.kind = 3), 0) AS n_lines,
               coalesce(sum(a.net) FILTER (WHERE a.kind <> 2), 0) AS inet, coalesce(sum(a.tax) FILTER (WHERE a.kind <> 2), 0) AS itax,
               coalesce(sum(a.net) FILTER (WHERE a.kind = 2), 0) AS cnet, coalesce(sum(a.tax) FILTER (WHERE a.kind = 2), 0) AS ctax
          FROM agg a
         WHERE g <> 'item' OR a.kind = 3
         GROUP BY a.kd, a.ki, a.currency),
    lab AS (
        SELECT r.*,
               CASE g WHEN 'day' THEN to_jsonb(date_text(r.kd)) WHEN 'month' THEN to_jsonb(to_char(r.kd, 'YYYY-MM'))
                      ELSE coalesce(to_jsonb(r.ki), 'null'::jsonb) END AS key,
               CASE g WHEN 'day' THEN date_text(r.kd) WHEN 'month' THEN to_char(r.kd, 'YYYY-MM')
                      WHEN 'customer' THEN c.name
                      ELSE coalesce(it.sku || ' ' || it.name, '(no item)') END AS label
          FROM r
          LEFT JOIN customers c ON g = 'customer' AND c.id = r.ki
          LEFT JOIN items it ON g = 'item' AND it.id = r.ki),
    tt AS (
        SELECT a.currency, currency_decimals(a.currency) AS m,
               coalesce(sum(a.n) FILTER (WHERE a.kind = 1), 0) AS n_inv,
               coalesce(sum(a.net) FILTER (WHERE a.kind = 1), 0) AS inet, coalesce(sum(a.tax) FILTER (WHERE a.kind = 1), 0) AS itax,
               coalesce(sum(a.net) FILTER (WHERE a.kind = 2), 0) AS cnet, coalesce(sum(a.tax) FILTER (WHERE a.kind = 2), 0) AS ctax
          FROM agg a WHERE a.kind <> 3 GROUP BY a.currency)
    SELECT (SELECT coalesce(json_agg(json_build_object(
                   'key', x.key, 'label', x.label, 'currency', x.currency,
                   CASE WHEN g = 'item' THEN 'lines' ELSE 'invoices' END, CASE WHEN g = 'item' THEN x.n_lines ELSE x.n_inv END,
                   'invoiced_net', money_text(x.inet, x.m), 'invoiced_tax', money_text(x.itax, x.m),
                   'invoiced_gross', money_text(x.inet + x.itax, x.m),
                   'credited_net', money_text(x.cnet, x.m), 'credited_tax', money_text(x.ctax, x.m),
                   'credited_gross', money_text(x.cnet + x.ctax, x.m),
                   'net', money_text(x.inet - x.cnet, x.m), 'tax', money_text(x.itax - x.ctax, x.m),
                   'gross', money_text(x.inet + x.itax - x.cnet - x.ctax, x.m))
                 ORDER BY CASE WHEN g IN ('customer', 'item') THEN x.label END, x.kd, x.ki, x.currency <> base, x.currency), '[]')
              FROM lab x),
           (SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'currency', x.currency, 'invoices', x.n_inv,
                   'invoiced_net', money_text(x.inet, x.m), 'invoiced_tax', money_text(x.itax, x.m),
                   'invoiced_gross', money_text(x.inet + x.itax, x.m),
                   'credited_net', money_text(x.cnet, x.m), 'credited_tax', money_text(x.ctax, x.m),
                   'credited_gross', money_text(x.cnet + x.ctax, x.m),
                   'net', money_text(x.inet - x.cnet, x.m), 'tax', money_text(x.itax - x.ctax, x.m),
                   'gross', money_text(x.inet + x.itax - x.cnet - x.ctax, x.m))
                 ORDER BY x.currency <> base, x.currency), '[]')
              FROM tt x)
      INTO rows, tots;
    RETURN json_build_object('from', date_text(f), 'to', date_text(t), 'group_by', g, 'rows', rows,
                             'totals_by_currency', tots);
END
$$;

-- report.tax {from, to} -> {from, to, rates: [{currency, code, percent,
-- invoiced_taxable, invoiced_tax, credited_taxable, credited_tax, taxable,
-- tax}], totals_by_currency: [{currency, taxable, tax}]}: per (currency, tax
-- code, percent) from the stored tax_breakdown of invoices issued in from..to
-- (void ones included) minus that of credit notes dated in from..to. code null
-- is the no-tax group. Ordered by currency (tenant's first), code (null first),
-- percent.
CREATE OR REPLACE FUNCTION report_tax(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    per daterange := report_period(p);
    f date := lower(per);
    t date := upper(per) - 1;
    base text := (SELECT s.currency FROM settings s);
    rates jsonb;
    tots jsonb;
BEGIN
    -- The daily totals (tax_daily, kept by triggers) instead of every
    -- document's breakdown: a few rows per day of the period.
    WITH g AS (
        SELECT d.currency, currency_decimals(d.currency) AS m, d.code, d.percent AS pct,
               coalesce(sum(d.taxable) FILTER (WHERE d.kind = 'invoice'), 0) AS it,
               coalesce(sum(d.tax) FILTER (WHERE d.kind = 'invoice'), 0) AS ix,
               coalesce(sum(d.taxable) FILTER (WHERE d.kind = 'credit_note'), 0) AS ct,
               coalesce(sum(d.tax) FILTER (WHERE d.kind = 'credit_note'), 0) AS cx
          FROM tax_daily d WHERE d.day BETWEEN f AND t
         GROUP BY d.currency, d.code, d.percent)
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'currency', g.currency, 'code', g.code, 'percent', dec_text(g.pct),
               'invoiced_taxable', money_text(g.it, g.m), 'invoiced_tax', money_text(g.ix, g.m),
               'credited_taxable', money_text(g.ct, g.m), 'credited_tax', money_text(g.cx, g.m),
               'taxable', money_text(g.it - g.ct, g.m), 'tax', money_text(g.ix - g.cx, g.m))
             ORDER BY g.currency <> base, g.currency, g.code NULLS FIRST, g.pct), '[]')
      INTO rates FROM g;
    SELECT coalesce(jsonb_agg(jsonb_build_object('currency', x.currency,
                                                 'taxable', money_text(x.taxable, currency_decimals(x.currency)),
                                                 'tax', money_text(x.tax, currency_decimals(x.currency)))
                              ORDER BY x.currency <> base, x.currency), '[]')
      INTO tots
      FROM (SELECT r->>'currency' AS currency, sum((r->>'taxable')::numeric) AS taxable, sum((r->>'tax')::numeric) AS tax
              FROM jsonb_array_elements(rates) r GROUP BY r->>'currency') x;
    RETURN jsonb_build_object('from', date_text(f), 'to', date_text(t), 'rates', rates, 'totals_by_currency', tots);
END
$$;
