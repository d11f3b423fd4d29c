-- Tenant reports, audit trail queries, extra integrity checks, CSV import and
-- export, and operators' views.
--
-- Runs like 0001/0002/0003: as the table owner with search_path set to ONLY the
-- tenant schema, {{tenant_role}} being the tenant's NOLOGIN role. Conventions as
-- in 0002 (methods `a.b` = functions `a_b(p jsonb) RETURNS jsonb`, SECURITY
-- INVOKER; semantic errors through fail()).
--
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
-- report.aging and report.outstanding return json rather than jsonb (see
-- report_aging); every other method returns jsonb.

-------------------------------------------------------------------------------
-- Receivable events: the dated ledger behind as-of balances
-------------------------------------------------------------------------------

-- One row per dated change of an issued invoice's balance. amount > 0 lowers
-- the balance from on_date on (an allocation, a credit note); amount < 0 raises
-- it (an allocation reversed, or the undoing of a changed or deleted
-- allocation). Invariant (checked by audit_verify_more, kind 'ledger'): per
-- invoice, sum(amount) = amount_paid + credited. span = [issue_date,
-- greatest(issue_date, on_date)): the days on which the invoice was issued but
-- the event had not happened yet (empty for events on or before the issue date).
-- customer_id, currency and due_date are copied from the invoice (they never
-- change once it is issued) so that aging needs no invoice lookups for them.
-- Append-only, written only by the triggers below.
CREATE TABLE receivable_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id   bigint NOT NULL REFERENCES invoices,
    customer_id  bigint NOT NULL,
    currency     text NOT NULL,
    due_date     date NOT NULL,
    span         daterange NOT NULL,
    on_date      date NOT NULL,
    amount       numeric NOT NULL,
    source       text NOT NULL CHECK (source IN ('allocation', 'credit_note')),
    source_id    bigint NOT NULL
);

CREATE TRIGGER receivable_events_append_only BEFORE UPDATE OR DELETE ON receivable_events
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER receivable_events_no_truncate BEFORE TRUNCATE ON receivable_events
    FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();

-- Allocations: each allocation contributes +amount on allocated_on and, once
-- reversed, -amount on reversed_on. A statement's net change of contributions
-- (new rows' minus old rows') is appended, so a plain reversal appends one row
-- and an unchanged row appends nothing. Statement-level with transition tables.
CREATE FUNCTION receivable_events_from_allocations() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO receivable_events (invoice_id, customer_id, currency, due_date, span, on_date, amount, source, source_id)
        SELECT x.invoice_id, i.customer_id, i.currency, i.due_date,
               daterange(i.issue_date, greatest(i.issue_date, x.on_date)), x.on_date, x.amount, 'allocation', x.id
          FROM (SELECT n.id, n.invoice_id, n.allocated_on AS on_date, n.amount FROM new_rows n
                UNION ALL
                SELECT n.id, n.invoice_id, n.reversed_on, -n.amount FROM new_rows n WHERE n.reversed_on IS NOT NULL) x
          JOIN invoices i ON i.id = x.invoice_id
         ORDER BY x.id, x.on_date;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO receivable_events (invoice_id, customer_id, currency, due_date, span, on_date, amount, source, source_id)
        SELECT x.invoice_id, i.customer_id, i.currency, i.due_date,
               daterange(i.issue_date, greatest(i.issue_date, x.on_date)), x.on_date, x.amount, 'allocation', x.id
          FROM (SELECT c.id, c.invoice_id, c.on_date, sum(c.amount) AS amount
                  FROM (SELECT n.id, n.invoice_id, n.allocated_on AS on_date, n.amount FROM new_rows n
                        UNION ALL
                        SELECT n.id, n.invoice_id, n.reversed_on, -n.amount FROM new_rows n WHERE n.reversed_on IS NOT NULL
                        UNION ALL
                        SELECT o.id, o.invoice_id, o.allocated_on, -o.amount FROM old_rows o
                        UNION ALL
                        SELECT o.id, o.invoice_id, o.reversed_on, o.amount FROM old_rows o WHERE o.reversed_on IS NOT NULL) c
                 GROUP BY c.id, c.invoice_id, c.on_date
                HAVING sum(c.amount) <> 0) x
          JOIN invoices i ON i.id = x.invoice_id
         ORDER BY x.id, x.on_date;
    ELSE
        INSERT INTO receivable_events (invoice_id, customer_id, currency, due_date, span, on_date, amount, source, source_id)
        SELECT x.invoice_id, i.customer_id, i.currency, i.due_date,
               daterange(i.issue_date, greatest(i.issue_date, x.on_date)), x.on_date, x.amount, 'allocation', x.id
          FROM (SELECT o.id, o.invoice_id, o.allocated_on AS on_date, -o.amount AS amount FROM old_rows o
                UNION ALL
                SELECT o.id, o.invoice_id, o.reversed_on, o.amount FROM old_rows o WHERE o.reversed_on IS NOT NULL) x
          JOIN invoices i ON i.id = x.invoice_id
         ORDER BY x.id, x.on_date;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER receivable_events_alloc_insert AFTER INSERT ON payment_allocations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION receivable_events_from_allocations();
CREATE TRIGGER receivable_events_alloc_update AFTER UPDATE ON payment_allocations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION receivable_events_from_allocations();
CREATE TRIGGER receivable_events_alloc_delete AFTER DELETE ON payment_allocations
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION receivable_events_from_allocations();

-- Credit notes (append-only): +total on their issue date.
CREATE FUNCTION receivable_events_from_credit_notes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO receivable_events (invoice_id, customer_id, currency, due_date, span, on_date, amount, source, source_id)
    SELECT n.invoice_id, i.customer_id, i.currency, i.due_date,
           daterange(i.issue_date, greatest(i.issue_date, n.issue_date)), n.issue_date, n.total, 'credit_note', n.id
      FROM new_rows n JOIN invoices i ON i.id = n.invoice_id
     ORDER BY n.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER receivable_events_credit_note AFTER INSERT ON credit_notes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION receivable_events_from_credit_notes();

-- Documents written before this migration.
INSERT INTO receivable_events (invoice_id, customer_id, currency, due_date, span, on_date, amount, source, source_id)
SELECT x.invoice_id, i.customer_id, i.currency, i.due_date,
       daterange(i.issue_date, greatest(i.issue_date, x.on_date)), x.on_date, x.amount, x.source, x.id
  FROM (SELECT a.id, a.invoice_id, a.allocated_on AS on_date, a.amount, 'allocation' AS source FROM payment_allocations a
        UNION ALL
        SELECT a.id, a.invoice_id, a.reversed_on, -a.amount, 'allocation' FROM payment_allocations a
         WHERE a.reversed_on IS NOT NULL
        UNION ALL
        SELECT n.id, n.invoice_id, n.issue_date, n.total, 'credit_note' FROM credit_notes n) x
  JOIN invoices i ON i.id = x.invoice_id
 ORDER BY x.on_date, x.source, x.id;
-- (indexes after the backfill: one bulk build instead of row by row)
CREATE INDEX receivable_events_span ON receivable_events USING gist (span)
    INCLUDE (invoice_id, customer_id, currency, due_date, amount) WHERE NOT isempty(span);
CREATE INDEX receivable_events_invoice ON receivable_events (invoice_id);

-- Open invoices with everything aging reads, for index-only scans.
CREATE INDEX invoices_open_aging ON invoices (issue_date)
    INCLUDE (id, customer_id, currency, due_date, total, amount_paid, credited)
    WHERE status IN ('issued', 'sent', 'partially_paid');
-- Sales and tax reports by credit note date.
CREATE INDEX credit_notes_issue_date ON credit_notes (issue_date);
-- audit.log filtered by entity, newest first.
CREATE INDEX audit_log_entity_id ON audit_log (entity, id);

-------------------------------------------------------------------------------
-- As-of balances and aging
-------------------------------------------------------------------------------

-- Balances as of d of the invoices with a nonzero balance on d (optionally of
-- one customer): see the top of this file. Invoices issued after d are not
-- included; neither are drafts.
CREATE FUNCTION aging_lines(d date, cust bigint DEFAULT NULL)
RETURNS TABLE (invoice_id bigint, customer_id bigint, currency text, due_date date, balance numeric)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT coalesce(c.id, r.invoice_id), coalesce(c.customer_id, r.customer_id), coalesce(c.currency, r.currency),
           coalesce(c.due_date, r.due_date), coalesce(c.bal, 0) + coalesce(r.amt, 0)
      FROM (SELECT i.id, i.customer_id, i.currency, i.due_date, i.total - i.amount_paid - i.credited AS bal
              FROM invoices i
             WHERE i.status IN ('issued', 'sent', 'partially_paid') AND i.issue_date <= d
               AND (cust IS NULL OR i.customer_id = cust)) c
      FULL JOIN (SELECT e.invoice_id, min(e.customer_id) AS customer_id, min(e.currency) AS currency,
                        min(e.due_date) AS due_date, sum(e.amount) AS amt
                   FROM receivable_events e
                  WHERE e.span @> d AND NOT isempty(e.span) AND (cust IS NULL OR e.customer_id = cust)
                  GROUP BY e.invoice_id) r ON r.invoice_id = c.id
     WHERE coalesce(c.bal, 0) + coalesce(r.amt, 0) <> 0;
END
$$;

-- Aging buckets per (customer, currency) as of d: days past due = d - due_date;
-- current = not yet due (d <= due_date), then 1-30, 31-60, 61-90, over 90.
-- Customers (and currencies) whose buckets are all zero are left out. Sums the
-- open invoices' current balances and the correcting events straight into the
-- buckets (an invoice's events share its due date, so they land in its
-- bucket; zero balances add nothing): one hash aggregation per (customer,
-- currency, bucket), then a pivot; no per-invoice grouping. work_mem is raised
-- (ALTER FUNCTION below) so the aggregation stays in memory.
CREATE FUNCTION aging_buckets(d date, cust bigint DEFAULT NULL)
RETURNS TABLE (customer_id bigint, currency text, current numeric, d1_30 numeric, d31_60 numeric,
               d61_90 numeric, d90_plus numeric, total numeric)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT g.* FROM (
        SELECT y.customer_id, y.currency,
               coalesce(sum(y.bal) FILTER (WHERE y.b = 0), 0) AS b0,
               coalesce(sum(y.bal) FILTER (WHERE y.b = 1), 0) AS b1,
               coalesce(sum(y.bal) FILTER (WHERE y.b = 2), 0) AS b2,
               coalesce(sum(y.bal) FILTER (WHERE y.b = 3), 0) AS b3,
               coalesce(sum(y.bal) FILTER (WHERE y.b = 4), 0) AS b4,
               sum(y.bal) AS tot
          FROM (SELECT x.customer_id, x.currency, x.b, sum(x.bal) AS bal
                  FROM (SELECT i.customer_id, i.currency,
                               CASE WHEN i.due_date >= d THEN 0 WHEN i.due_date >= d - 30 THEN 1
                                    WHEN i.due_date >= d - 60 THEN 2 WHEN i.due_date >= d - 90 THEN 3 ELSE 4 END AS b,
                               i.total - i.amount_paid - i.credited AS bal
                          FROM invoices i
                         WHERE i.status IN ('issued', 'sent', 'partially_paid') AND i.issue_date <= d
                           AND (cust IS NULL OR i.customer_id = cust)
                        UNION ALL
                        SELECT e.customer_id, e.currency,
                               CASE WHEN e.due_date >= d THEN 0 WHEN e.due_date >= d - 30 THEN 1
                                    WHEN e.due_date >= d - 60 THEN 2 WHEN e.due_date >= d - 90 THEN 3 ELSE 4 END,
                               e.amount
                          FROM receivable_events e
                         WHERE e.span @> d AND NOT isempty(e.span) AND (cust IS NULL OR e.customer_id = cust)) x
                 GROUP BY x.customer_id, x.currency, x.b) y
         GROUP BY y.customer_id, y.currency) g
     WHERE g.b0 <> 0 OR g.b1 <> 0 OR g.b2 <> 0 OR g.b3 <> 0 OR g.b4 <> 0;
END
$$;

-- The bucket object {current, d1_30, d31_60, d61_90, d90_plus, total} as money text.
CREATE FUNCTION aging_json(cur numeric, b1 numeric, b2 numeric, b3 numeric, b4 numeric, tot numeric, m int) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object('current', money_text(cur, m), 'd1_30', money_text(b1, m), 'd31_60', money_text(b2, m),
                              'd61_90', money_text(b3, m), 'd90_plus', money_text(b4, m), 'total', money_text(tot, m))
$$;

-- report.aging {as_of?} -> {as_of, currency, customers: [{customer_id, name,
-- currency, current, d1_30, d31_60, d61_90, d90_plus, total}], totals: {currency,
-- current, ..., total}, totals_by_currency: [{currency, current, ..., total}]}.
-- as_of defaults to today in the tenant's time zone. One row per customer and
-- currency with a nonzero balance, ordered by name, customer_id, currency.
-- `totals` is for the tenant's currency (zeros when it has no open invoices);
-- totals_by_currency has one entry per currency present (tenant's first).
-- Returns json, not jsonb (the one deviation from the convention, also in
-- report.outstanding): with thousands of customers, building jsonb and
-- printing it again costs about as much as the aging itself. The dispatcher's
-- `SELECT report_aging($1::jsonb)::text` works the same; json keeps key order.
CREATE FUNCTION report_aging(p jsonb) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
    d date := coalesce((p->>'as_of')::date, tenant_today());
    base text := (SELECT s.currency FROM settings s);
    rows json;
    tots jsonb;
BEGIN
    WITH a AS MATERIALIZED (SELECT a.*, minor_units(a.currency) AS m FROM aging_buckets(d) a)
    SELECT (SELECT coalesce(json_agg(json_build_object(
                       'customer_id', a.customer_id, 'name', c.name, 'currency', a.currency,
                       'current', round(a.current, a.m)::text, 'd1_30', round(a.d1_30, a.m)::text,
                       'd31_60', round(a.d31_60, a.m)::text, 'd61_90', round(a.d61_90, a.m)::text,
                       'd90_plus', round(a.d90_plus, a.m)::text, 'total', round(a.total, a.m)::text)
                     ORDER BY c.name, a.customer_id, a.currency <> base, a.currency), '[]')
              FROM a JOIN customers c ON c.id = a.customer_id),
           (SELECT coalesce(jsonb_agg(jsonb_build_object('currency', t.currency)
                                      || aging_json(t.b0, t.b1, t.b2, t.b3, t.b4, t.tot, minor_units(t.currency))
                                      ORDER BY t.currency <> base, t.currency), '[]')
              FROM (SELECT a.currency, sum(a.current) AS b0, sum(a.d1_30) AS b1, sum(a.d31_60) AS b2,
                           sum(a.d61_90) AS b3, sum(a.d90_plus) AS b4, sum(a.total) AS tot
                      FROM a GROUP BY a.currency) t)
      INTO rows, tots;
    RETURN json_build_object(
        'as_of', date_text(d), 'currency', base, 'customers', rows,
        'totals', coalesce((SELECT e FROM jsonb_array_elements(tots) e WHERE e->>'currency' = base),
                           jsonb_build_object('currency', base) || aging_json(0, 0, 0, 0, 0, 0, minor_units(base))),
        'totals_by_currency', tots);
END
$$;

-- report.outstanding {customer_id?, as_of?} -> {as_of, customers: [{customer_id,
-- name, currency, count, balance_due, invoices: [{id, number, issue_date,
-- due_date, days_overdue, total, balance_due}]}], totals_by_currency:
-- [{currency, count, balance_due}]}: the invoices with a balance on as_of
-- (default today), by customer name and currency, each customer's invoices by
-- due date then number. days_overdue = max(0, as_of - due_date).
CREATE FUNCTION report_outstanding(p jsonb) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
    d date := coalesce((p->>'as_of')::date, tenant_today());
    cust bigint := (p->>'customer_id')::bigint;
    base text := (SELECT s.currency FROM settings s);
    res json;
    tots json;
BEGIN
    IF cust IS NOT NULL AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = cust) THEN
        PERFORM fail('FL002', format('customer %s not found', cust), 'customer_id');
    END IF;
    WITH g AS MATERIALIZED (
        SELECT l.customer_id, c.name, l.currency, minor_units(l.currency) AS m, count(*) AS n, sum(l.balance) AS bal,
               json_agg(json_build_object('id', i.id, 'number', i.number, 'issue_date', date_text(i.issue_date),
                                          'due_date', date_text(i.due_date), 'days_overdue', greatest(d - i.due_date, 0),
                                          'total', money_text(i.total, minor_units(l.currency)),
                                          'balance_due', money_text(l.balance, minor_units(l.currency)))
                        ORDER BY i.due_date, i.series_period, i.seq) AS invoices
          FROM aging_lines(d, cust) l
          JOIN invoices i ON i.id = l.invoice_id
          JOIN customers c ON c.id = l.customer_id
         GROUP BY l.customer_id, c.name, l.currency)
    SELECT (SELECT coalesce(json_agg(json_build_object('customer_id', g.customer_id, 'name', g.name, 'currency', g.currency,
                                                       'count', g.n, 'balance_due', money_text(g.bal, g.m),
                                                       'invoices', g.invoices)
                                     ORDER BY g.name, g.customer_id, g.currency <> base, g.currency), '[]') FROM g),
           (SELECT coalesce(json_agg(json_build_object('currency', t.currency, 'count', t.n,
                                                       'balance_due', money_text(t.bal, minor_units(t.currency)))
                                     ORDER BY t.currency <> base, t.currency), '[]')
              FROM (SELECT g.currency, sum(g.n) AS n, sum(g.bal) AS bal FROM g GROUP BY g.currency) t)
      INTO res, tots;
    RETURN json_build_object('as_of', date_text(d), 'customer_id', cust, 'customers', res, 'totals_by_currency', tots);
END
$$;

-- report.dso {as_of?, days?} -> {as_of, days, from, currency, receivables,
-- credit_sales, dso, by_currency: [{currency, receivables, credit_sales, dso}]}:
-- days sales outstanding = receivables on as_of / credit sales over the `days`
-- days ending on as_of (from = as_of - days + 1) x days. Receivables are the
-- balances as of as_of (as in aging); credit sales are the totals of invoices
-- issued in the period minus credit notes dated in it. dso has one decimal,
-- null when there were no credit sales. Top-level figures are the tenant's
-- currency; days 1..3650, default 90.
CREATE FUNCTION report_dso(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    d date := coalesce((p->>'as_of')::date, tenant_today());
    n int := coalesce((p->>'days')::int, 90);
    base text := (SELECT s.currency FROM settings s);
    f date;
    res jsonb;
BEGIN
    IF n NOT BETWEEN 1 AND 3650 THEN
        PERFORM fail('FL602', 'days must be between 1 and 3650', 'days');
    END IF;
    f := d - n + 1;
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'currency', x.currency, 'receivables', money_text(x.rec, minor_units(x.currency)),
               'credit_sales', money_text(x.sales, minor_units(x.currency)),
               'dso', CASE WHEN x.sales > 0 THEN round(x.rec / x.sales * n, 1)::text END)
             ORDER BY x.currency <> base, x.currency), '[]')
      INTO res
      FROM (SELECT c.currency, sum(c.rec) AS rec, sum(c.sales) AS sales
              FROM (SELECT a.currency, a.total AS rec, 0 AS sales FROM aging_buckets(d) a
                    UNION ALL
                    SELECT i.currency, 0, i.total FROM invoices i
                     WHERE i.issue_date BETWEEN f AND d AND i.status <> 'draft'
                    UNION ALL
                    SELECT cn.currency, 0, -cn.total FROM credit_notes cn WHERE cn.issue_date BETWEEN f AND d) c
             GROUP BY c.currency) x;
    RETURN jsonb_build_object('as_of', date_text(d), 'days', n, 'from', date_text(f), 'currency', base)
        || coalesce((SELECT e - 'currency' FROM jsonb_array_elements(res) e WHERE e->>'currency' = base),
                    jsonb_build_object('receivables', money_text(0, minor_units(base)),
                                       'credit_sales', money_text(0, minor_units(base)), 'dso', NULL))
        || jsonb_build_object('by_currency', res);
END
$$;

-------------------------------------------------------------------------------
-- Statement, sales, tax
-------------------------------------------------------------------------------

-- Checks a {from, to} period: both required, from <= to (FL602).
CREATE FUNCTION report_period(p jsonb) RETURNS daterange
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
CREATE FUNCTION report_statement(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    per daterange := report_period(p);
    f date := lower(per);
    t date := upper(per) - 1;
    c customers;
    cur text := coalesce(p->>'currency', (SELECT s.currency FROM settings s));
    m int;
    sums record;
    others jsonb;
BEGIN
    SELECT * INTO c FROM customers WHERE id = (p->>'customer_id')::bigint;
    IF c.id IS NULL THEN
        PERFORM fail('FL002', format('customer %s not found', p->>'customer_id'), 'customer_id');
    END IF;
    m := minor_units(check_currency(cur));
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
-- items by label), then currency.
CREATE FUNCTION report_sales(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    per daterange := report_period(p);
    f date := lower(per);
    t date := upper(per) - 1;
    g text := p->>'group_by';
    base text := (SELECT s.currency FROM settings s);
    rows jsonb;
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
                 WHERE i.issue_date BETWEEN f AND t AND i.status <> 'draft'
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
        SELECT a.kd, a.ki, a.currency, minor_units(a.currency) AS m,
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
                      WHEN 'customer' THEN (SELECT c.name FROM customers c WHERE c.id = r.ki)
                      ELSE coalesce((SELECT it.sku || ' ' || it.name FROM items it WHERE it.id = r.ki), '(no item)') END AS label
          FROM r),
    tt AS (
        SELECT a.currency, minor_units(a.currency) AS m,
               coalesce(sum(a.n) FILTER (WHERE a.kind = 1), 0) AS n_inv,
               coalesce(sum(a.net) FILTER (WHERE a.kind = 1), 0) AS inet, coalesce(sum(a.tax) FILTER (WHERE a.kind = 1), 0) AS itax,
               coalesce(sum(a.net) FILTER (WHERE a.kind = 2), 0) AS cnet, coalesce(sum(a.tax) FILTER (WHERE a.kind = 2), 0) AS ctax
          FROM agg a WHERE a.kind <> 3 GROUP BY a.currency)
    SELECT (SELECT coalesce(jsonb_agg(jsonb_build_object(
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
    RETURN jsonb_build_object('from', date_text(f), 'to', date_text(t), 'group_by', g, 'rows', rows,
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
CREATE FUNCTION report_tax(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    per daterange := report_period(p);
    f date := lower(per);
    t date := upper(per) - 1;
    base text := (SELECT s.currency FROM settings s);
    rates jsonb;
    tots jsonb;
BEGIN
    WITH b AS (
        SELECT i.currency, e->>'code' AS code, (e->>'percent')::numeric AS pct,
               (e->>'taxable')::numeric AS taxable, (e->>'tax')::numeric AS tax, 1 AS kind
          FROM invoices i CROSS JOIN LATERAL jsonb_array_elements(i.tax_breakdown) e
         WHERE i.issue_date BETWEEN f AND t AND i.status <> 'draft'
        UNION ALL
        SELECT n.currency, e->>'code', (e->>'percent')::numeric, (e->>'taxable')::numeric, (e->>'tax')::numeric, 2
          FROM credit_notes n CROSS JOIN LATERAL jsonb_array_elements(n.tax_breakdown) e
         WHERE n.issue_date BETWEEN f AND t),
    g AS (
        SELECT b.currency, minor_units(b.currency) AS m, b.code, b.pct,
               coalesce(sum(b.taxable) FILTER (WHERE b.kind = 1), 0) AS it, coalesce(sum(b.tax) FILTER (WHERE b.kind = 1), 0) AS ix,
               coalesce(sum(b.taxable) FILTER (WHERE b.kind = 2), 0) AS ct, coalesce(sum(b.tax) FILTER (WHERE b.kind = 2), 0) AS cx
          FROM b GROUP BY b.currency, b.code, b.pct)
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'currency', g.currency, 'code', g.code, 'percent', dec_text(g.pct),
               'invoiced_taxable', money_text(g.it, g.m), 'invoiced_tax', money_text(g.ix, g.m),
               'credited_taxable', money_text(g.ct, g.m), 'credited_tax', money_text(g.cx, g.m),
               'taxable', money_text(g.it - g.ct, g.m), 'tax', money_text(g.ix - g.cx, g.m))
             ORDER BY g.currency <> base, g.currency, g.code NULLS FIRST, g.pct), '[]')
      INTO rates FROM g;
    SELECT coalesce(jsonb_agg(jsonb_build_object('currency', x.currency,
                                                 'taxable', money_text(x.taxable, minor_units(x.currency)),
                                                 'tax', money_text(x.tax, minor_units(x.currency)))
                              ORDER BY x.currency <> base, x.currency), '[]')
      INTO tots
      FROM (SELECT r->>'currency' AS currency, sum((r->>'taxable')::numeric) AS taxable, sum((r->>'tax')::numeric) AS tax
              FROM jsonb_array_elements(rates) r GROUP BY r->>'currency') x;
    RETURN jsonb_build_object('from', date_text(f), 'to', date_text(t), 'rates', rates, 'totals_by_currency', tots);
END
$$;

-------------------------------------------------------------------------------
-- audit.log and audit_verify_more
-------------------------------------------------------------------------------

-- audit.log {entity?, entity_id?, from?, to?, limit?, cursor?} -> {items: [{id,
-- at, uid, method, entity, entity_id, change}], next_cursor}: the audit trail
-- NEWEST FIRST (by id, descending); from/to are dates, inclusive, in the
-- tenant's time zone; cursor is the last id of the previous page (opaque).
-- The query is built from the filters given, each planned for its own index.
CREATE FUNCTION audit_log(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    lim int := page_limit(p);
    c text := p->>'cursor';
    tz text := (SELECT s.timezone FROM settings s);
    q text := 'SELECT a FROM audit_log a WHERE true';
    res jsonb;
    nxt text;
BEGIN
    IF c IS NOT NULL AND c !~ '^[0-9]{1,18}$' THEN
        PERFORM fail('FL602', 'cursor is not a cursor returned by this list', 'cursor');
    END IF;
    IF p->>'from' IS NOT NULL AND p->>'to' IS NOT NULL AND (p->>'to')::date < (p->>'from')::date THEN
        PERFORM fail('FL602', 'to must not be before from', 'to');
    END IF;
    IF c IS NOT NULL THEN q := q || ' AND a.id < $1'; END IF;
    IF p->>'entity' IS NOT NULL THEN q := q || ' AND a.entity = $2'; END IF;
    IF p->>'entity_id' IS NOT NULL THEN q := q || ' AND a.entity_id = $3'; END IF;
    IF p->>'from' IS NOT NULL THEN q := q || ' AND a.at >= $4'; END IF;
    IF p->>'to' IS NOT NULL THEN q := q || ' AND a.at < $5'; END IF;
    q := q || ' ORDER BY a.id DESC LIMIT $6';
    EXECUTE format($q$
        SELECT coalesce(jsonb_agg(jsonb_build_object('id', (r.a).id, 'at', ts_text((r.a).at), 'uid', (r.a).uid,
                                                     'method', (r.a).method, 'entity', (r.a).entity,
                                                     'entity_id', (r.a).entity_id, 'change', (r.a).change)
                                  ORDER BY (r.a).id DESC) FILTER (WHERE r.n <= $7), '[]'),
               CASE WHEN count(*) > $7 THEN min((r.a).id) FILTER (WHERE r.n <= $7)::text END
          FROM (SELECT x.a, row_number() OVER (ORDER BY (x.a).id DESC) AS n FROM (%s) x) r $q$, q)
       INTO res, nxt
      USING c::bigint, p->>'entity', (p->>'entity_id')::bigint,
            ((p->>'from')::date)::timestamp AT TIME ZONE tz, ((p->>'to')::date + 1)::timestamp AT TIME ZONE tz,
            lim + 1, lim;
    RETURN jsonb_build_object('items', res, 'next_cursor', nxt);
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
CREATE FUNCTION audit_verify_more() RETURNS jsonb
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

-------------------------------------------------------------------------------
-- CSV: parsing, import, export
-------------------------------------------------------------------------------

-- A parsed CSV record: the line it starts on (1-based, as an editor or a
-- spreadsheet numbers it: the header is row 1), its fields (quotes removed,
-- "" unescaped), and whether it was well-formed (ok = false: a stray or
-- unterminated quote).
CREATE TYPE csv_record AS (line_no int, fields text[], ok boolean);

-- Parses CSV text (RFC 4180): comma separated, fields optionally in double
-- quotes, "" inside quotes for a quote, commas and line breaks allowed inside
-- quotes; lines end with CRLF, LF or CR; a leading byte order mark is ignored;
-- empty lines are skipped. Set-based: physical lines are joined into records
-- while their quotes are unbalanced, then each record is split by one regular
-- expression; a record whose pieces do not add up to its text is malformed.
CREATE FUNCTION csv_records(t text) RETURNS SETOF csv_record
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
CREATE FUNCTION csv_mapping(header csv_record, columns jsonb, known text[], required text[]) RETURNS jsonb
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

-- A data row for import: its line, its values {field: text or null} (blank
-- cells and surrounding spaces dropped), or why it could not be read.
CREATE TYPE csv_row AS (line_no int, v jsonb, problem text);

-- The data rows (every record after the header) mapped with csv_mapping.
-- Rows whose cells are all blank (",,,") are skipped like empty lines. A row
-- with fewer cells than the header has the missing ones blank; more cells
-- (non-blank) than the header, or bad quoting, is a problem.
CREATE FUNCTION csv_rows(recs csv_record[], mapping jsonb, width int) RETURNS csv_row[]
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
CREATE FUNCTION csv_fail(problems text[]) RETURNS void
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
CREATE FUNCTION csv_import_rows(p jsonb, known text[], required text[], OUT mapping jsonb, OUT rows csv_row[])
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
CREATE FUNCTION customer_csv_fields() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ARRAY['name', 'email', 'phone', 'tax_id', 'payment_terms_days', 'notes',
                 'billing_line1', 'billing_line2', 'billing_city', 'billing_region', 'billing_postal_code', 'billing_country',
                 'shipping_line1', 'shipping_line2', 'shipping_city', 'shipping_region', 'shipping_postal_code',
                 'shipping_country']
$$;

-- An address object from import values with the given prefix (NULL when empty).
CREATE FUNCTION csv_address(v jsonb, prefix text) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT nullif(jsonb_strip_nulls(jsonb_build_object(
        'line1', v->>(prefix || 'line1'), 'line2', v->>(prefix || 'line2'), 'city', v->>(prefix || 'city'),
        'region', v->>(prefix || 'region'), 'postal_code', v->>(prefix || 'postal_code'),
        'country', v->>(prefix || 'country'))), '{}'::jsonb)
$$;

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
CREATE FUNCTION import_customers(p jsonb) RETURNS jsonb
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
                (3, 'phone', CASE WHEN length(r.v->>'phone') > 50 THEN 'must be at most 50 characters' END),
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
CREATE FUNCTION import_items(p jsonb) RETURNS jsonb
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

-- One CSV field: quoted (quotes doubled) when it holds a comma, quote, line
-- break or surrounding spaces; NULL is an empty field. (translate/btrim, not
-- a regular expression: exports call this for every text cell.)
CREATE FUNCTION csv_field(v text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN v IS NULL THEN ''
                WHEN translate(v, E'",\r\n', '') = v AND btrim(v, E' \t') = v THEN v
                ELSE '"' || replace(v, '"', '""') || '"' END
$$;

-- One CSV line (without its CRLF).
CREATE FUNCTION csv_line(a text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT string_agg(csv_field(x), ',' ORDER BY o) FROM unnest(a) WITH ORDINALITY AS u(x, o)
$$;

-- The result of an export: csv -> {content_type: "text/csv", data, count} with
-- a header row and CRLF line ends (RFC 4180); json -> {items, count}.
CREATE FUNCTION export_result(fmt text, header text[], lines text[], items jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN coalesce(fmt, 'csv') = 'csv'
                THEN jsonb_build_object('content_type', 'text/csv', 'count', coalesce(cardinality(lines), 0),
                                        'data', csv_line(header) || E'\r\n'
                                                || coalesce(array_to_string(lines, E'\r\n') || E'\r\n', ''))
                ELSE jsonb_build_object('items', coalesce(items, '[]'), 'count', jsonb_array_length(coalesce(items, '[]')))
           END
$$;

-- Checks an export format (FL602 'format').
CREATE FUNCTION export_format(p jsonb) RETURNS text
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
CREATE FUNCTION export_invoices(p jsonb) RETURNS jsonb
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
          FROM invoices i JOIN customers c ON c.id = i.customer_id, LATERAL (SELECT minor_units(i.currency) AS m) x
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
          FROM invoices i JOIN customers c ON c.id = i.customer_id, LATERAL (SELECT minor_units(i.currency) AS m) x
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
CREATE FUNCTION export_payments(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    fmt text := export_format(p);
    per daterange := report_period(p);
    lines text[];
    items jsonb;
BEGIN
    WITH y AS (
        SELECT y.id, y.received_on, y.customer_id, c.name, y.amount, y.currency, y.method, y.reference,
               coalesce(a.total, 0) AS allocated, y.unapplied, y.refunded, minor_units(y.currency) AS m
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
CREATE FUNCTION export_customers(p jsonb) RETURNS jsonb
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

-------------------------------------------------------------------------------
-- Operators' views (psql: SET search_path = t_<tenant>; TABLE aged_receivables;)
-- Money columns are numeric rounded to the currency's minor unit; "today" is
-- today in the tenant's time zone. They need no server and no search_path
-- beyond naming the view.
-------------------------------------------------------------------------------

CREATE VIEW open_invoices AS
SELECT i.id, i.number, i.customer_id, c.name AS customer, i.issue_date, i.due_date,
       greatest((SELECT (now() AT TIME ZONE s.timezone)::date FROM settings s) - i.due_date, 0) AS days_overdue,
       round(i.total, minor_units(i.currency)) AS total,
       round(i.total - i.amount_paid - i.credited, minor_units(i.currency)) AS balance_due,
       i.currency, i.status
  FROM invoices i JOIN customers c ON c.id = i.customer_id
 WHERE i.status IN ('issued', 'sent', 'partially_paid') AND i.total - i.amount_paid - i.credited <> 0
 ORDER BY i.due_date, i.series_period, i.seq;
COMMENT ON VIEW open_invoices IS
    'Issued invoices with a balance left, oldest due date first: days_overdue = days past the due date today (0 when not yet due), balance_due = total - amount_paid - credited.';

CREATE VIEW aged_receivables AS
SELECT a.customer_id, c.name AS customer, a.currency,
       round(a.current, minor_units(a.currency)) AS current, round(a.d1_30, minor_units(a.currency)) AS d1_30,
       round(a.d31_60, minor_units(a.currency)) AS d31_60, round(a.d61_90, minor_units(a.currency)) AS d61_90,
       round(a.d90_plus, minor_units(a.currency)) AS d90_plus, round(a.total, minor_units(a.currency)) AS total
  FROM aging_buckets((SELECT (now() AT TIME ZONE s.timezone)::date FROM settings s)) a
  JOIN customers c ON c.id = a.customer_id
 ORDER BY c.name, a.customer_id, a.currency;
COMMENT ON VIEW aged_receivables IS
    'report.aging as of today: per customer and currency, open balances by days past due (current = not yet due, then 1-30, 31-60, 61-90, over 90) and their total. For another date: SELECT * FROM aging_buckets(''2025-01-31'').';

CREATE VIEW customer_balances AS
SELECT b.customer_id, c.name AS customer, b.currency,
       round(b.open, minor_units(b.currency)) AS open_balance,
       round(b.credit, minor_units(b.currency)) AS unapplied_credit,
       round(b.open - b.credit, minor_units(b.currency)) AS net_balance
  FROM (SELECT u.customer_id, u.currency, sum(u.open) AS open, sum(u.credit) AS credit
          FROM (SELECT i.customer_id, i.currency, i.total - i.amount_paid - i.credited AS open, 0 AS credit
                  FROM invoices i WHERE i.status IN ('issued', 'sent', 'partially_paid')
                UNION ALL
                SELECT y.customer_id, y.currency, 0, y.unapplied FROM payments y WHERE y.unapplied > 0) u
         GROUP BY u.customer_id, u.currency
        HAVING sum(u.open) <> 0 OR sum(u.credit) <> 0) b
  JOIN customers c ON c.id = b.customer_id
 ORDER BY c.name, b.customer_id, b.currency;
COMMENT ON VIEW customer_balances IS
    'Per customer and currency: open_balance (what open invoices still ask), unapplied_credit (payments not allocated to invoices, net of refunds) and net_balance = open_balance - unapplied_credit.';

CREATE VIEW payments_unapplied AS
SELECT y.id AS payment_id, y.received_on, y.customer_id, c.name AS customer,
       round(y.amount, minor_units(y.currency)) AS amount, y.currency, y.method, y.reference,
       round(y.unapplied, minor_units(y.currency)) AS unapplied
  FROM payments y JOIN customers c ON c.id = y.customer_id
 WHERE y.unapplied > 0
 ORDER BY y.received_on, y.id;
COMMENT ON VIEW payments_unapplied IS
    'Payments with an amount not allocated to any invoice (customer credit), oldest first.';

-- Functions that run outside the API's search_path (triggers fired by any
-- session, functions the views call) are pinned to this tenant's schema.
DO $pin$
BEGIN
    EXECUTE format('ALTER FUNCTION receivable_events_from_allocations() SET search_path = %I', current_schema());
    EXECUTE format('ALTER FUNCTION receivable_events_from_credit_notes() SET search_path = %I', current_schema());
    EXECUTE format('ALTER FUNCTION aging_lines(date, bigint) SET search_path = %I', current_schema());
    EXECUTE format('ALTER FUNCTION aging_buckets(date, bigint) SET search_path = %I', current_schema());
    ALTER FUNCTION aging_buckets(date, bigint) SET work_mem = '64MB';
    ALTER FUNCTION aging_lines(date, bigint) SET work_mem = '64MB';
END
$pin$;

-------------------------------------------------------------------------------
-- Privileges of the tenant role.
-------------------------------------------------------------------------------
GRANT SELECT, INSERT ON receivable_events TO {{tenant_role}};
GRANT SELECT ON open_invoices, aged_receivables, customer_balances, payments_unapplied TO {{tenant_role}};

-------------------------------------------------------------------------------
-- audit.verify: the document and payment checks of 0002/0003 plus the ledger
-- checks above, in one result.
-------------------------------------------------------------------------------

ALTER FUNCTION audit_verify(jsonb) RENAME TO audit_verify_ledger;

CREATE FUNCTION audit_verify(p jsonb) RETURNS jsonb
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
