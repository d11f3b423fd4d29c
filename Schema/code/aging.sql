-- Balances as of d of the invoices with a nonzero balance on d (optionally of
-- one customer): see the top of this file. Invoices issued after d are not
-- included; neither are drafts.
CREATE OR REPLACE FUNCTION aging_lines(d date, cust bigint DEFAULT NULL)
RETURNS TABLE (invoice_id bigint, customer_id bigint, currency text, due_date date, balance numeric)
LANGUAGE plpgsql STABLE SET work_mem = '64MB' AS $$
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
-- bucket; zero balances add nothing) in ONE hash aggregation per (customer,
-- currency) with a filtered sum per bucket (rather than aggregating per
-- customer, currency and bucket and pivoting afterwards: a fifth of the groups,
-- no second pass); the total is the sum of the buckets, not another numeric
-- addition per row. The numeric additions are most of the cost.
-- work_mem is raised (SET below) so the aggregation stays in memory; JIT is off
-- because compiling costs more than it saves on a query of this size.
CREATE OR REPLACE FUNCTION aging_buckets(d date, cust bigint DEFAULT NULL)
RETURNS TABLE (customer_id bigint, currency text, current numeric, d1_30 numeric, d31_60 numeric,
               d61_90 numeric, d90_plus numeric, total numeric)
LANGUAGE plpgsql STABLE SET work_mem = '64MB' SET jit = off AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT g.customer_id, g.currency, g.b0, g.b1, g.b2, g.b3, g.b4, g.b0 + g.b1 + g.b2 + g.b3 + g.b4 FROM (
        SELECT x.customer_id, x.currency,
               coalesce(sum(x.bal) FILTER (WHERE x.b = 0), 0) AS b0,
               coalesce(sum(x.bal) FILTER (WHERE x.b = 1), 0) AS b1,
               coalesce(sum(x.bal) FILTER (WHERE x.b = 2), 0) AS b2,
               coalesce(sum(x.bal) FILTER (WHERE x.b = 3), 0) AS b3,
               coalesce(sum(x.bal) FILTER (WHERE x.b = 4), 0) AS b4
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
         GROUP BY x.customer_id, x.currency) g
     WHERE g.b0 <> 0 OR g.b1 <> 0 OR g.b2 <> 0 OR g.b3 <> 0 OR g.b4 <> 0;
END
$$;

-- The bucket object {current, d1_30, d31_60, d61_90, d90_plus, total} as money text.
CREATE OR REPLACE FUNCTION aging_json(cur numeric, b1 numeric, b2 numeric, b3 numeric, b4 numeric, tot numeric, m int) RETURNS jsonb
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
CREATE OR REPLACE FUNCTION report_aging(p jsonb) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
    d date := coalesce((p->>'as_of')::date, tenant_today());
    base text := (SELECT s.currency FROM settings s);
    rows json;
    tots jsonb;
BEGIN
    -- Rows become objects through json_agg of a row (its column names are the
    -- keys, in order): about half the cost of json_build_object per row.
    WITH a AS MATERIALIZED (SELECT a.*, currency_decimals(a.currency) AS m FROM aging_buckets(d) a)
    SELECT (SELECT coalesce(json_agg(r ORDER BY r.name, r.customer_id, r.currency <> base, r.currency), '[]')
              FROM (SELECT a.customer_id, c.name, a.currency,
                           round(a.current, a.m)::text AS current, round(a.d1_30, a.m)::text AS d1_30,
                           round(a.d31_60, a.m)::text AS d31_60, round(a.d61_90, a.m)::text AS d61_90,
                           round(a.d90_plus, a.m)::text AS d90_plus, round(a.total, a.m)::text AS total
                      FROM a JOIN customers c ON c.id = a.customer_id) r),
           (SELECT coalesce(jsonb_agg(jsonb_build_object('currency', t.currency)
                                      || aging_json(t.b0, t.b1, t.b2, t.b3, t.b4, t.tot, currency_decimals(t.currency))
                                      ORDER BY t.currency <> base, t.currency), '[]')
              FROM (SELECT a.currency, sum(a.current) AS b0, sum(a.d1_30) AS b1, sum(a.d31_60) AS b2,
                           sum(a.d61_90) AS b3, sum(a.d90_plus) AS b4, sum(a.total) AS tot
                      FROM a GROUP BY a.currency) t)
      INTO rows, tots;
    RETURN json_build_object(
        'as_of', date_text(d), 'currency', base, 'customers', rows,
        'totals', coalesce((SELECT e FROM jsonb_array_elements(tots) e WHERE e->>'currency' = base),
                           jsonb_build_object('currency', base) || aging_json(0, 0, 0, 0, 0, 0, currency_decimals(base))),
        'totals_by_currency', tots);
END
$$;

-- report.outstanding {customer_id?, as_of?} -> {as_of, customers: [{customer_id,
-- name, currency, count, balance_due, invoices: [{id, number, issue_date,
-- due_date, days_overdue, total, balance_due}]}], totals_by_currency:
-- [{currency, count, balance_due}]}: the invoices with a balance on as_of
-- (default today), by customer name and currency, each customer's invoices by
-- due date then number. days_overdue = max(0, as_of - due_date).
CREATE OR REPLACE FUNCTION report_outstanding(p jsonb) RETURNS json
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
        SELECT l.customer_id, c.name, l.currency, currency_decimals(l.currency) AS m, count(*) AS n, sum(l.balance) AS bal,
               json_agg(json_build_object('id', i.id, 'number', i.number, 'issue_date', date_text(i.issue_date),
                                          'due_date', date_text(i.due_date), 'days_overdue', greatest(d - i.due_date, 0),
                                          'total', money_text(i.total, currency_decimals(l.currency)),
                                          'balance_due', money_text(l.balance, currency_decimals(l.currency)))
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
                                                       'balance_due', money_text(t.bal, currency_decimals(t.currency)))
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
CREATE OR REPLACE FUNCTION report_dso(p jsonb) RETURNS jsonb
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
               'currency', x.currency, 'receivables', money_text(x.rec, currency_decimals(x.currency)),
               'credit_sales', money_text(x.sales, currency_decimals(x.currency)),
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
                    jsonb_build_object('receivables', money_text(0, currency_decimals(base)),
                                       'credit_sales', money_text(0, currency_decimals(base)), 'dso', NULL))
        || jsonb_build_object('by_currency', res);
END
$$;
