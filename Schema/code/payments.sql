-- Tenant payments: payments and their allocations to invoices, refunds,
-- discrepancies ("lockstep": a payment never lands silently at a wrong
-- amount), bank statement reconciliation, invoice disputes and the invoice
-- communication log, customer balances, idempotency key purging.
--
-- Invariants, kept by every function here and checked by audit_verify:
--  * invoices.amount_paid = sum of the invoice's allocations with reversed_on
--    IS NULL; invoices.status = invoice_status(...) of the new amounts;
--  * payments.unapplied = amount - sum(active allocations) - refunded, and
--    payments.refunded = sum of the payment's refunds.
-- Allocations are never deleted: a refund sets reversed_on (and re-inserts the
-- part of a partially reversed allocation that stays).
-- Locking: a payment row (FOR NO KEY UPDATE) before invoices; invoices always
-- FOR NO KEY UPDATE in id order, before their balances are read for a change;
-- statement lines (FOR UPDATE, id order) before invoices. So concurrent
-- payments never over-allocate an invoice and cannot deadlock each other.

-- Discrepancy object; `number` is its invoice's number (or NULL).
CREATE OR REPLACE FUNCTION discrepancy_json(d record, number text) RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN jsonb_build_object(
        'id', d.id, 'kind', d.kind, 'payment_id', d.payment_id, 'invoice_id', d.invoice_id, 'number', number,
        'customer_id', d.customer_id, 'amount', money_text(d.amount, currency_decimals(d.currency)), 'currency', d.currency,
        'message', d.message, 'status', d.status, 'resolution_note', d.resolution_note,
        'resolved_by', d.resolved_by, 'resolved_at', ts_text(d.resolved_at), 'created_at', ts_text(d.created_at));
END
$$;

-- Payment object: {id, customer_id, customer_name, amount, currency,
-- received_on, method, reference, payer, allocations: [{id, invoice_id,
-- number, amount, allocated_on, reversed_on}] (all, reversed included, by id),
-- unapplied, refunded, refunds: [{id, amount, refunded_on, reason,
-- created_at}], discrepancies: [discrepancy objects], statement_line_id,
-- created_at}.
CREATE OR REPLACE FUNCTION payment_json(pm record) RETURNS jsonb
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
DECLARE m int := currency_decimals(pm.currency);
BEGIN
    RETURN jsonb_build_object(
        'id', pm.id, 'customer_id', pm.customer_id,
        'customer_name', (SELECT c.name FROM customers c WHERE c.id = pm.customer_id),
        'amount', money_text(pm.amount, m), 'currency', pm.currency, 'received_on', date_text(pm.received_on),
        'method', pm.method, 'reference', pm.reference, 'payer', pm.payer,
        'allocations', coalesce((
            SELECT jsonb_agg(jsonb_build_object('id', a.id, 'invoice_id', a.invoice_id, 'number', i.number,
                                                'amount', money_text(a.amount, m),
                                                'allocated_on', date_text(a.allocated_on),
                                                'reversed_on', date_text(a.reversed_on)) ORDER BY a.id)
              FROM payment_allocations a JOIN invoices i ON i.id = a.invoice_id
             WHERE a.payment_id = pm.id), '[]'),
        'unapplied', money_text(pm.unapplied, m), 'refunded', money_text(pm.refunded, m),
        'refunds', coalesce((
            SELECT jsonb_agg(jsonb_build_object('id', r.id, 'amount', money_text(r.amount, m),
                                                'refunded_on', date_text(r.refunded_on), 'reason', r.reason,
                                                'created_at', ts_text(r.created_at)) ORDER BY r.id)
              FROM refunds r WHERE r.payment_id = pm.id), '[]'),
        'discrepancies', coalesce((
            SELECT jsonb_agg(discrepancy_json(d, i.number) ORDER BY d.id)
              FROM discrepancies d LEFT JOIN invoices i ON i.id = d.invoice_id
             WHERE d.payment_id = pm.id), '[]'),
        'statement_line_id', pm.statement_line_id,
        'created_at', ts_text(pm.created_at));
END
$$;

CREATE OR REPLACE FUNCTION payment_json(p_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT payment_json(pm) FROM payments pm WHERE pm.id = p_id);
END
$$;

-- Validates explicit allocations [{invoice_id | number, amount}] of a payment
-- by customer c in currency cur, at most `cap` in total, and returns them in
-- the given order. The invoices are locked (id order) before their balances
-- are read. Errors name the first bad element (zero-based): exactly one of
-- invoice_id/number (FL602), amount > 0 with at most the minor-unit decimals
-- (FL602 .amount), unknown invoice (FL002), an invoice given twice (FL602),
-- another customer's, draft, void or already paid invoice or one in another
-- currency (FL003 .invoice_id/.number), more than the balance due (FL003
-- .amount); then a total above `cap` (FL003 'allocations', message cap_text).
CREATE OR REPLACE FUNCTION check_allocations(p_allocs jsonb, c record, cur text, cap numeric, cap_text text)
RETURNS payment_alloc[]
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    m int := currency_decimals(cur);
    res payment_alloc[];
    err text;
    total numeric;
BEGIN
    IF jsonb_typeof(p_allocs) IS DISTINCT FROM 'array' THEN
        PERFORM fail('FL602', 'allocations must be an array', 'allocations');
    ELSIF jsonb_array_length(p_allocs) > 1000 THEN
        PERFORM fail('FL602', 'at most 1000 allocations per call', 'allocations');
    END IF;
    -- Lock every invoice named (by id or number), in id order; balances are read below, after the locks.
    PERFORM 1 FROM invoices i
     WHERE i.id IN (SELECT (e->>'invoice_id')::bigint FROM jsonb_array_elements(p_allocs) e WHERE e->>'invoice_id' IS NOT NULL
                    UNION ALL
                    SELECT iv.id FROM jsonb_array_elements(p_allocs) e JOIN invoices iv ON iv.number = e->>'number'
                     WHERE e->>'invoice_id' IS NULL)
     ORDER BY i.id FOR NO KEY UPDATE;
    SELECT array_agg(ROW(y.inv_id, y.amt)::payment_alloc ORDER BY y.n),
           (array_agg(y.err ORDER BY y.n) FILTER (WHERE y.err IS NOT NULL))[1],
           sum(y.amt)
      INTO res, err, total
      FROM (SELECT x.n, x.inv_id, x.amt,
                   CASE
                     WHEN x.has_id AND x.has_number
                       THEN 'FL602' || chr(31) || x.f || '.number' || chr(31) || 'give invoice_id or number, not both'
                     WHEN NOT x.has_id AND NOT x.has_number
                       THEN 'FL602' || chr(31) || x.f || '.invoice_id' || chr(31) || 'give invoice_id or number'
                     WHEN x.amt IS NULL OR x.amt <= 0
                       THEN 'FL602' || chr(31) || x.f || '.amount' || chr(31) || 'amount must be a decimal amount greater than 0'
                     WHEN x.amt <> round(x.amt, m)
                       THEN 'FL602' || chr(31) || x.f || '.amount' || chr(31)
                            || format('amount has more decimals than %s allows (%s)', cur, m)
                     WHEN x.inv_id IS NULL
                       THEN 'FL002' || chr(31) || x.key || chr(31) || format('invoice %s not found', x.given)
                     WHEN x.dup > 1
                       THEN 'FL602' || chr(31) || x.key || chr(31) || format('invoice %s is given more than once', x.given)
                     WHEN x.customer_id <> c.id
                       THEN 'FL003' || chr(31) || x.key || chr(31)
                            || format('invoice %s belongs to another customer, not to %s', x.given, c.name)
                     WHEN x.status = 'draft'
                       THEN 'FL003' || chr(31) || x.key || chr(31) || format('invoice %s is a draft and cannot be paid', x.given)
                     WHEN x.status = 'void'
                       THEN 'FL003' || chr(31) || x.key || chr(31) || format('invoice %s is void and cannot be paid', x.number)
                     WHEN x.currency <> cur
                       THEN 'FL003' || chr(31) || x.key || chr(31)
                            || format('invoice %s is in %s but the payment is in %s', x.number, x.currency, cur)
                     WHEN x.bal <= 0
                       THEN 'FL003' || chr(31) || x.key || chr(31) || format('invoice %s is already paid', x.number)
                     WHEN x.amt > x.bal
                       THEN 'FL003' || chr(31) || x.f || '.amount' || chr(31)
                            || format('allocation of %s exceeds the balance due %s of invoice %s',
                                      money_text(x.amt, m), money_text(x.bal, m), x.number)
                   END AS err
              FROM (SELECT e.n, format('allocations[%s]', e.n - 1) AS f,
                           e.j->>'invoice_id' IS NOT NULL AS has_id, e.j->>'number' IS NOT NULL AS has_number,
                           format('allocations[%s].%s', e.n - 1,
                                  CASE WHEN e.j->>'invoice_id' IS NOT NULL THEN 'invoice_id' ELSE 'number' END) AS key,
                           coalesce(e.j->>'invoice_id', e.j->>'number') AS given,
                           CASE WHEN e.j->>'amount' ~ '^[+-]?[0-9]{1,13}(\.[0-9]+)?$' THEN (e.j->>'amount')::numeric END AS amt,
                           i.id AS inv_id, i.number, i.customer_id, i.status, i.currency,
                           i.total - i.amount_paid - i.credited AS bal,
                           row_number() OVER (PARTITION BY i.id ORDER BY e.n) AS dup
                      FROM jsonb_array_elements(p_allocs) WITH ORDINALITY AS e(j, n)
                      LEFT JOIN LATERAL (
                          SELECT iv.* FROM invoices iv
                           WHERE iv.id = CASE WHEN e.j->>'invoice_id' IS NOT NULL THEN (e.j->>'invoice_id')::bigint
                                              ELSE (SELECT v.id FROM invoices v WHERE v.number = e.j->>'number') END) i
                        ON e.j->>'invoice_id' IS NULL OR e.j->>'number' IS NULL) x) y;
    IF err IS NOT NULL THEN
        PERFORM fail(split_part(err, chr(31), 1), split_part(err, chr(31), 3), split_part(err, chr(31), 2));
    END IF;
    IF coalesce(total, 0) > cap THEN
        PERFORM fail('FL003', format('allocations total %s %s, more than %s', money_text(total, m), cur, cap_text), 'allocations');
    END IF;
    RETURN coalesce(res, '{}');
END
$$;

-- Writes allocations of payment pid dated on_date (invoices already locked by
-- the caller) and updates the invoices' amount_paid and status.
CREATE OR REPLACE FUNCTION apply_allocations(pid bigint, plan payment_alloc[], on_date date) RETURNS void
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE changed jsonb;
BEGIN
    IF coalesce(cardinality(plan), 0) = 0 THEN RETURN; END IF;
    INSERT INTO payment_allocations (payment_id, invoice_id, amount, allocated_on)
    SELECT pid, x.invoice_id, x.amount, on_date FROM unnest(plan) WITH ORDINALITY AS x(invoice_id, amount, o) ORDER BY x.o;
    WITH upd AS (
        UPDATE invoices i
           SET amount_paid = i.amount_paid + t.amt,
               status = invoice_status(i.status, i.total, i.amount_paid + t.amt, i.credited, i.sent_at),
               updated_at = now()
          FROM (SELECT x.invoice_id, sum(x.amount) AS amt FROM unnest(plan) x GROUP BY x.invoice_id) t
         WHERE i.id = t.invoice_id
        RETURNING i.id, i.status, i.amount_paid, i.currency)
    SELECT jsonb_agg(jsonb_build_object('id', upd.id, 'status', upd.status,
                                        'amount_paid', money_text(upd.amount_paid, currency_decimals(upd.currency))))
      INTO changed FROM upd;
    PERFORM audit('invoice', (x.e->>'id')::bigint, (x.e - 'id') || jsonb_build_object('payment_id', pid))
       FROM jsonb_array_elements(changed) AS x(e);
END
$$;

-- Records a payment (already validated) of customer c: explicit allocations
-- `allocs` (validated and locked by check_allocations) or, when NULL,
-- automatic allocation over the customer's open invoices in the payment's
-- currency: the invoices the reference names first, then oldest due date,
-- oldest issue date, id. Stores and returns the payment id; the discrepancies
-- are computed from the balances before the payment:
--   overpayment         something is left unapplied (amount = unapplied);
--   underpayment        an explicitly allocated invoice (automatic: an open
--                       invoice of the customer named by the reference) still
--                       has a balance (amount = what is left);
--   reference_mismatch  the reference names invoices of the customer (not
--                       void) whose balances (summed when several) differ from
--                       the payment amount, or one in another currency
--                       (amount = that invoice's balance before the payment);
--   other_customer      the reference names another customer's invoice;
--   void_invoice        the reference names a void invoice of the customer.
CREATE OR REPLACE FUNCTION payment_write(c record, cur text, amt numeric, received date, meth text, ref text, payer_name text,
                              line_id bigint, allocs payment_alloc[], alloc_on date) RETURNS bigint
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    m int := currency_decimals(cur);
    auto boolean := allocs IS NULL;
    named bigint[] := reference_invoice_ids(ref);
    plan payment_alloc[];
    locked bigint[];
    allocated numeric;
    pid bigint;
    kinds jsonb;
BEGIN
    IF auto THEN
        -- Only invoices locked here are candidates: one that turns open later
        -- (a concurrent refund) is not locked by this payment, so it is left alone.
        SELECT coalesce(array_agg(l.id), '{}') INTO locked
          FROM (SELECT i.id FROM invoices i
                 WHERE i.customer_id = c.id AND i.status IN ('issued', 'sent', 'partially_paid') AND i.currency = cur
                 ORDER BY i.id FOR NO KEY UPDATE) l;
        SELECT coalesce(array_agg(ROW(x.id, x.take)::payment_alloc ORDER BY x.k), '{}') INTO plan
          FROM (SELECT o.id, o.k, least(o.bal, greatest(amt - coalesce(sum(o.bal) OVER w, 0), 0)) AS take
                  FROM (SELECT i.id, i.total - i.amount_paid - i.credited AS bal,
                               row_number() OVER (ORDER BY i.id = ANY (named) DESC, i.due_date, i.issue_date, i.id) AS k
                          FROM invoices i
                         WHERE i.id = ANY (locked) AND i.status IN ('issued', 'sent', 'partially_paid')
                           AND i.total - i.amount_paid - i.credited > 0) o
                WINDOW w AS (ORDER BY o.k ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)) x
         WHERE x.take > 0;
    ELSE
        plan := allocs;
    END IF;
    allocated := coalesce((SELECT sum(x.amount) FROM unnest(plan) x), 0);
    INSERT INTO payments (customer_id, amount, currency, received_on, method, reference, payer, unapplied, statement_line_id)
    VALUES (c.id, amt, cur, received, meth, ref, payer_name, amt - allocated, line_id)
    RETURNING id INTO pid;

    WITH pl AS (SELECT x.invoice_id, sum(x.amount) AS amount FROM unnest(plan) x GROUP BY x.invoice_id),
    nm AS (SELECT i.id, i.number, i.customer_id, i.status, i.currency, i.total - i.amount_paid - i.credited AS bal
             FROM invoices i WHERE i.id = ANY (named)),
    own AS (SELECT * FROM nm WHERE nm.customer_id = c.id AND nm.status <> 'void'),
    own_sum AS (SELECT sum(own.bal) AS bal FROM own WHERE own.currency = cur),
    unpaid AS (
        SELECT i.id, i.number, i.total - i.amount_paid - i.credited - coalesce(pl.amount, 0) AS left_due
          FROM invoices i LEFT JOIN pl ON pl.invoice_id = i.id
         WHERE i.id = ANY (CASE WHEN auto
                                THEN ARRAY(SELECT own.id FROM own WHERE own.currency = cur
                                              AND own.status IN ('issued', 'sent', 'partially_paid'))
                                ELSE ARRAY(SELECT pl.invoice_id FROM pl) END)),
    d (o, k, kind, invoice_id, amount, currency, message) AS (
        SELECT 1, 0::bigint, 'overpayment', NULL::bigint, amt - allocated, cur,
               format('payment of %s %s leaves %s %s unapplied as customer credit', money_text(amt, m), cur,
                      money_text(amt - allocated, m), cur)
         WHERE amt - allocated > 0
        UNION ALL
        SELECT 2, unpaid.id, 'underpayment', unpaid.id, unpaid.left_due, cur,
               format('invoice %s still has %s %s due after this payment', unpaid.number, money_text(unpaid.left_due, m), cur)
          FROM unpaid WHERE unpaid.left_due > 0
        UNION ALL
        SELECT 3, own.id, 'reference_mismatch', own.id, own.bal, own.currency,
               CASE WHEN own.currency <> cur
                    THEN format('the reference names invoice %s, which is in %s, but the payment is in %s',
                                own.number, own.currency, cur)
                    ELSE format('the reference names invoice %s with balance due %s %s, but the payment is %s %s',
                                own.number, money_text(own.bal, m), cur, money_text(amt, m), cur) END
          FROM own, own_sum WHERE own.currency <> cur OR own_sum.bal <> amt
        UNION ALL
        SELECT 4, nm.id, 'other_customer', nm.id, NULL::numeric, NULL::text,
               format('the reference names invoice %s, which belongs to another customer (%s)', nm.number,
                      (SELECT oc.name FROM customers oc WHERE oc.id = nm.customer_id))
          FROM nm WHERE nm.customer_id <> c.id
        UNION ALL
        SELECT 5, nm.id, 'void_invoice', nm.id, NULL::numeric, NULL::text,
               format('the reference names invoice %s, which is void', nm.number)
          FROM nm WHERE nm.customer_id = c.id AND nm.status = 'void'),
    ins AS (
        INSERT INTO discrepancies (payment_id, invoice_id, customer_id, kind, amount, currency, message)
        SELECT pid, d.invoice_id, c.id, d.kind, d.amount, d.currency, d.message FROM d ORDER BY d.o, d.k
        RETURNING kind)
    SELECT jsonb_agg(ins.kind) INTO kinds FROM ins;

    PERFORM apply_allocations(pid, plan, alloc_on);
    PERFORM audit('payment', pid, jsonb_build_object(
        'customer_id', c.id, 'amount', money_text(amt, m), 'currency', cur, 'received_on', date_text(received),
        'method', meth, 'unapplied', money_text(amt - allocated, m), 'statement_line_id', line_id,
        'allocations', (SELECT jsonb_agg(jsonb_build_object('invoice_id', x.invoice_id, 'amount', money_text(x.amount, m)))
                          FROM unnest(plan) x),
        'discrepancies', coalesce(kinds, '[]')));
    RETURN pid;
END
$$;

-- Resolves the open overpayment discrepancies of a payment once nothing is
-- left unapplied (its credit was applied or refunded).
CREATE OR REPLACE FUNCTION settle_overpayment(pid bigint, note text) RETURNS void
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    IF (SELECT unapplied FROM payments WHERE id = pid) = 0 THEN
        UPDATE discrepancies
           SET status = 'resolved', resolution_note = note, resolved_by = current_uid(), resolved_at = now()
         WHERE payment_id = pid AND kind = 'overpayment' AND status = 'open';
    END IF;
END
$$;

-- payment.record {customer_id, amount, received_on, method, reference?,
-- payer?, currency?, allocations?: [{invoice_id | number, amount}]} -> payment.
-- currency defaults to the tenant's; received_on not in the future (tenant
-- time zone). Without allocations: automatic (see payment_write); with
-- "allocations": [] nothing is allocated (all becomes customer credit).
CREATE OR REPLACE FUNCTION payment_record(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    s record;
    c record;
    cur text;
    amt numeric;
    d date;
    today date;
    meth text := p->>'method';
    ref text;
    payer_name text;
    allocs payment_alloc[];
    pid bigint;
BEGIN
    SELECT * INTO s FROM settings;
    SELECT * INTO c FROM customers WHERE id = (p->>'customer_id')::bigint;
    IF c.id IS NULL THEN
        PERFORM fail('FL002', format('customer %s not found', p->>'customer_id'), 'customer_id');
    END IF;
    cur := check_currency(coalesce(p->>'currency', s.currency));
    amt := check_money(p->>'amount', cur, 'amount');
    today := (now() AT TIME ZONE s.timezone)::date;
    d := (p->>'received_on')::date;
    IF d IS NULL THEN
        PERFORM fail('FL602', 'received_on is required', 'received_on');
    ELSIF d > today THEN
        PERFORM fail('FL602', format('received_on %s is in the future (today is %s)', date_text(d), date_text(today)),
                     'received_on');
    END IF;
    IF meth IS NULL OR meth NOT IN ('bank_transfer', 'card', 'cash', 'cheque', 'other') THEN
        PERFORM fail('FL602', 'method must be one of bank_transfer, card, cash, cheque, other', 'method');
    END IF;
    ref := check_text(nullif(btrim(p->>'reference'), ''), 'reference', 500);
    payer_name := check_text(nullif(btrim(p->>'payer'), ''), 'payer', 200);
    IF p->'allocations' IS NOT NULL AND p->'allocations' <> 'null' THEN
        allocs := check_allocations(p->'allocations', c, cur, amt,
                                    format('the payment amount %s %s', money_text(amt, currency_decimals(cur)), cur));
    END IF;
    -- Two statements: payment_json (STABLE) must see what payment_write wrote.
    pid := payment_write(c, cur, amt, d, meth, ref, payer_name, NULL, allocs, d);
    RETURN payment_json(pid);
END
$$;

-- payment.get {id}.
CREATE OR REPLACE FUNCTION payment_get(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE pm record;
BEGIN
    SELECT * INTO pm FROM payments WHERE id = (p->>'id')::bigint;
    IF pm.id IS NULL THEN
        PERFORM fail('FL002', format('payment %s not found', p->>'id'), 'id');
    END IF;
    RETURN payment_json(pm);
END
$$;

-- payment.list {customer_id?, received_from?, received_to?, limit?, cursor?}:
-- payment objects by id; received_from/to bound received_on (inclusive).
CREATE OR REPLACE FUNCTION payment_list(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    lim int := page_limit(p);
    q text := 'SELECT pm FROM payments pm WHERE pm.id > $1';
    res jsonb;
BEGIN
    IF p->>'customer_id' IS NOT NULL THEN q := q || ' AND pm.customer_id = $2'; END IF;
    IF p->>'received_from' IS NOT NULL THEN q := q || ' AND pm.received_on >= $3'; END IF;
    IF p->>'received_to' IS NOT NULL THEN q := q || ' AND pm.received_on <= $4'; END IF;
    q := q || ' ORDER BY pm.id LIMIT $5';
    EXECUTE format($q$
        SELECT coalesce(jsonb_agg(payment_json(r.pm) ORDER BY (r.pm).id), '[]') FROM (%s) r $q$, q)
       INTO res
      USING page_after(p), (p->>'customer_id')::bigint, (p->>'received_from')::date, (p->>'received_to')::date,
            lim + 1;
    RETURN page_of(res, lim);
END
$$;

-- payment.allocate {payment_id, allocations: [{invoice_id | number, amount}]}:
-- applies the payment's unapplied credit (same rules as payment.record; the
-- total may not exceed the unapplied credit: FL003 'allocations'); the
-- allocations are dated today. -> payment.
CREATE OR REPLACE FUNCTION payment_allocate(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    pm record;
    c record;
    m int;
    allocs payment_alloc[];
    total numeric;
BEGIN
    SELECT * INTO pm FROM payments WHERE id = (p->>'payment_id')::bigint FOR NO KEY UPDATE;
    IF pm.id IS NULL THEN
        PERFORM fail('FL002', format('payment %s not found', p->>'payment_id'), 'payment_id');
    END IF;
    IF jsonb_typeof(p->'allocations') IS DISTINCT FROM 'array' OR jsonb_array_length(p->'allocations') = 0 THEN
        PERFORM fail('FL602', 'give at least one allocation', 'allocations');
    END IF;
    m := currency_decimals(pm.currency);
    SELECT * INTO c FROM customers WHERE id = pm.customer_id;
    allocs := check_allocations(p->'allocations', c, pm.currency, pm.unapplied,
                                format('the payment''s unapplied credit %s %s', money_text(pm.unapplied, m), pm.currency));
    total := (SELECT sum(x.amount) FROM unnest(allocs) x);
    UPDATE payments SET unapplied = unapplied - total WHERE id = pm.id;
    PERFORM apply_allocations(pm.id, allocs, tenant_today());
    PERFORM audit('payment', pm.id, jsonb_build_object(
        'applied', (SELECT jsonb_agg(jsonb_build_object('invoice_id', x.invoice_id, 'amount', money_text(x.amount, m)))
                      FROM unnest(allocs) x),
        'unapplied', money_text(pm.unapplied - total, m)));
    PERFORM settle_overpayment(pm.id, 'credit applied to invoices');
    RETURN payment_json(pm.id);
END
$$;

-- payment.refund {payment_id, amount?, reason, refunded_on?}: amount defaults
-- to everything not yet refunded (FL003 'payment_id' when nothing is left);
-- more than that is FL003 'amount'. refunded_on: default today, not in the
-- future nor before received_on (FL602). The refund takes the unapplied
-- credit first, then reverses allocations latest first (allocated_on, id):
-- a partially reversed allocation is reversed and the part that stays is
-- re-inserted dated the refund day (so a balance as of any earlier date still
-- counts the original allocation exactly once). Invoices' amount_paid/status
-- follow. -> payment.
CREATE OR REPLACE FUNCTION payment_refund(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    pm record;
    m int;
    reason text;
    today date := tenant_today();
    d date;
    amt numeric;
    from_credit numeric;
    rest numeric;
    rid bigint;
    changed jsonb;
BEGIN
    SELECT * INTO pm FROM payments WHERE id = (p->>'payment_id')::bigint FOR NO KEY UPDATE;
    IF pm.id IS NULL THEN
        PERFORM fail('FL002', format('payment %s not found', p->>'payment_id'), 'payment_id');
    END IF;
    m := currency_decimals(pm.currency);
    IF p->>'amount' IS NOT NULL THEN
        amt := check_money(p->>'amount', pm.currency, 'amount');
    END IF;
    reason := req_text(p->>'reason', 'reason', 2000);
    d := coalesce((p->>'refunded_on')::date, today);
    IF d > today THEN
        PERFORM fail('FL602', format('refunded_on %s is in the future (today is %s)', date_text(d), date_text(today)),
                     'refunded_on');
    ELSIF d < pm.received_on THEN
        PERFORM fail('FL602', format('refunded_on %s is before the payment was received (%s)', date_text(d),
                                     date_text(pm.received_on)), 'refunded_on');
    END IF;
    IF amt IS NULL THEN
        amt := pm.amount - pm.refunded;
        IF amt = 0 THEN
            PERFORM fail('FL003', format('payment %s is already fully refunded', pm.id), 'payment_id');
        END IF;
    ELSIF amt > pm.amount - pm.refunded THEN
        PERFORM fail('FL003', format('refund of %s %s exceeds the %s %s still refundable on payment %s',
                                     money_text(amt, m), pm.currency, money_text(pm.amount - pm.refunded, m),
                                     pm.currency, pm.id), 'amount');
    END IF;
    from_credit := least(pm.unapplied, amt);
    rest := amt - from_credit;
    IF rest > 0 THEN
        PERFORM 1 FROM invoices
         WHERE id IN (SELECT a.invoice_id FROM payment_allocations a WHERE a.payment_id = pm.id AND a.reversed_on IS NULL)
         ORDER BY id FOR NO KEY UPDATE;
        WITH pick AS (
            SELECT q.id, q.invoice_id, q.amount, q.allocated_on, q.take FROM (
                SELECT a.id, a.invoice_id, a.amount, a.allocated_on,
                       least(a.amount, greatest(rest - coalesce(sum(a.amount) OVER w, 0), 0)) AS take
                  FROM payment_allocations a
                 WHERE a.payment_id = pm.id AND a.reversed_on IS NULL
                WINDOW w AS (ORDER BY a.allocated_on DESC, a.id DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)) q
             WHERE q.take > 0),
        rev AS (
            UPDATE payment_allocations a SET reversed_on = d FROM pick WHERE a.id = pick.id RETURNING a.id),
        keep AS (
            INSERT INTO payment_allocations (payment_id, invoice_id, amount, allocated_on)
            SELECT pm.id, pick.invoice_id, pick.amount - pick.take, d
              FROM pick WHERE pick.take < pick.amount ORDER BY pick.id
            RETURNING id),
        upd AS (
            UPDATE invoices i
               SET amount_paid = i.amount_paid - t.amt,
                   status = invoice_status(i.status, i.total, i.amount_paid - t.amt, i.credited, i.sent_at),
                   updated_at = now()
              FROM (SELECT pick.invoice_id, sum(pick.take) AS amt FROM pick GROUP BY pick.invoice_id) t
             WHERE i.id = t.invoice_id
            RETURNING i.id, i.status, i.amount_paid, t.amt)
        SELECT jsonb_agg(jsonb_build_object('id', upd.id, 'status', upd.status,
                                            'amount_paid', money_text(upd.amount_paid, m),
                                            'reversed', money_text(upd.amt, m)))
          INTO changed FROM upd;
        PERFORM audit('invoice', (x.e->>'id')::bigint, (x.e - 'id') || jsonb_build_object('payment_id', pm.id))
           FROM jsonb_array_elements(changed) AS x(e);
    END IF;
    INSERT INTO refunds (payment_id, amount, refunded_on, reason) VALUES (pm.id, amt, d, reason) RETURNING id INTO rid;
    UPDATE payments SET refunded = refunded + amt, unapplied = unapplied - from_credit WHERE id = pm.id;
    PERFORM audit('refund', rid, jsonb_build_object('payment_id', pm.id, 'amount', money_text(amt, m),
                                                    'refunded_on', date_text(d), 'reason', reason,
                                                    'from_credit', money_text(from_credit, m),
                                                    'reversed', money_text(rest, m)));
    PERFORM audit('payment', pm.id, jsonb_build_object('refunded', money_text(pm.refunded + amt, m),
                                                       'unapplied', money_text(pm.unapplied - from_credit, m)));
    PERFORM settle_overpayment(pm.id, 'unapplied credit refunded');
    RETURN payment_json(pm.id);
END
$$;
