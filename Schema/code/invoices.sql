-- Status of an issued invoice from its amounts, for invoice and (later) payment
-- code: draft and void stay; balance 0 with payments = 'paid'; balance 0 reached
-- through credit notes alone (no payments) = 'void' (fully cancelled); some
-- payment = 'partially_paid'; else 'sent' once sent, else 'issued'. An invoice
-- with total 0 and nothing paid or credited stays 'issued'/'sent'.
CREATE OR REPLACE FUNCTION invoice_status(status text, total numeric, amount_paid numeric, credited numeric, sent_at timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
        WHEN status IN ('draft', 'void') THEN status
        WHEN total - amount_paid - credited <= 0 AND amount_paid > 0 THEN 'paid'
        WHEN total - amount_paid - credited <= 0 AND credited > 0 THEN 'void'
        WHEN amount_paid > 0 THEN 'partially_paid'
        WHEN sent_at IS NOT NULL THEN 'sent'
        ELSE 'issued'
    END;

-- Whether an invoice is overdue on day d: open status, balance left, due before d.
-- (Plain SQL: inlined into the caller's plan.)
CREATE OR REPLACE FUNCTION invoice_overdue(status text, due_date date, balance numeric, d date) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN status IN ('issued', 'sent', 'partially_paid') AND due_date < d AND balance > 0;

-- The invoice result object; `lines` NULL omits the lines (lists).
CREATE OR REPLACE FUNCTION invoice_json_body(tenant_row anyelement, i record, customer_name text, lines jsonb, today date) RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE m int := currency_decimals(i.currency);
BEGIN
    RETURN jsonb_build_object(
        'id', i.id, 'number', i.number, 'status', i.status, 'overdue', invoice_overdue(i.status, i.due_date, i.total - i.amount_paid - i.credited, today),
        'customer_id', i.customer_id, 'customer_name', customer_name, 'currency', i.currency,
        'issue_date', date_text(i.issue_date), 'due_date', date_text(i.due_date),
        'payment_terms_days', i.payment_terms_days, 'po_number', i.po_number, 'notes', i.notes,
        'delivery_date', date_text(i.delivery_date), 'period_start', date_text(i.period_start),
        'period_end', date_text(i.period_end), 'tax_rounding', i.tax_rounding,
        'line_total', money_text(i.subtotal + i.allowance_total - i.charge_total, m),
        'allowance_total', money_text(i.allowance_total, m), 'charge_total', money_text(i.charge_total, m),
        'subtotal', money_text(i.subtotal, m), 'tax_total', money_text(i.tax_total, m),
        'total', money_text(i.total, m), 'tax_breakdown', i.tax_breakdown,
        'amount_paid', money_text(i.amount_paid, m), 'credited', money_text(i.credited, m),
        'balance_due', money_text(i.total - i.amount_paid - i.credited, m),
        'created_at', ts_text(i.created_at), 'updated_at', ts_text(i.updated_at),
        'issued_at', ts_text(i.issued_at), 'sent_at', ts_text(i.sent_at),
        'voided_at', ts_text(i.voided_at), 'void_reason', i.void_reason,
        'payment_terms_text', terms_text(i.payment_terms_text, i.payment_terms_days),
        'reminder_level', invoice_reminder_level(i))
        || adjustments_json(i.adjustments)
        || CASE WHEN lines IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('lines', lines) END;
END
$$;

-- invoice_json with this tenant's own plans or the shared ones (see tenant_plans()).
CREATE OR REPLACE FUNCTION invoice_json(i record, customer_name text, lines jsonb, today date) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    IF tenant_plans() THEN
        RETURN invoice_json_body(NULL::settings, i, customer_name, lines, today);
    END IF;
    RETURN invoice_json_body(NULL::shared_plans, i, customer_name, lines, today);
END
$$;

-- An invoice's stored lines.
CREATE OR REPLACE FUNCTION invoice_lines_of(p_invoice_id bigint) RETURNS doc_line[]
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT array_agg(ROW(l.line_no, l.item_id, l.description, l.qty, l.unit_price, l.tax_rate, l.tax_percent,
                             l.amount, l.tax)::doc_line ORDER BY l.line_no)
          FROM invoice_lines l WHERE l.invoice_id = p_invoice_id);
END
$$;

-- Finds an invoice by {id} or {number} (keys named by id_key/number_key),
-- optionally locking it. FL002 when absent, FL602 when neither key is given.
CREATE OR REPLACE FUNCTION invoice_find(p jsonb, lock boolean, id_key text DEFAULT 'id', number_key text DEFAULT 'number')
RETURNS record
LANGUAGE plpgsql AS $$
DECLARE i record;
BEGIN
    IF p->>id_key IS NOT NULL THEN
        IF p->>number_key IS NOT NULL THEN
            PERFORM fail('FL602', format('give %s or %s, not both', id_key, number_key), number_key);
        END IF;
        IF lock THEN
            SELECT * INTO i FROM invoices WHERE id = (p->>id_key)::bigint FOR NO KEY UPDATE;
        ELSE
            SELECT * INTO i FROM invoices WHERE id = (p->>id_key)::bigint;
        END IF;
        IF i.id IS NULL THEN PERFORM fail('FL002', format('invoice %s not found', p->>id_key), id_key); END IF;
    ELSIF p->>number_key IS NOT NULL THEN
        IF lock THEN
            SELECT * INTO i FROM invoices WHERE number = p->>number_key FOR NO KEY UPDATE;
        ELSE
            SELECT * INTO i FROM invoices WHERE number = p->>number_key;
        END IF;
        IF i.id IS NULL THEN PERFORM fail('FL002', format('invoice %s not found', p->>number_key), number_key); END IF;
    ELSE
        PERFORM fail('FL602', format('give %s or %s', id_key, number_key), id_key);
    END IF;
    RETURN i;
END
$$;

-- Customer for a new or changed draft: must exist (FL002) and not be archived
-- (FL003), both on field customer_id. Returns (name, payment_terms_days).
CREATE OR REPLACE FUNCTION draft_customer(p_id bigint) RETURNS record
LANGUAGE plpgsql STABLE AS $$
DECLARE c record;
BEGIN
    SELECT * INTO c FROM customers WHERE id = p_id;
    IF c.id IS NULL THEN
        PERFORM fail('FL002', format('customer %s not found', p_id), 'customer_id');
    ELSIF c.archived THEN
        PERFORM fail('FL003', format('customer %s (%s) is archived and cannot get new invoices', c.id, c.name), 'customer_id');
    END IF;
    RETURN c;
END
$$;

-- A currency for a document: known ISO 4217 code (FL602 'currency').
CREATE OR REPLACE FUNCTION check_currency(v text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF minor_units(v) IS NULL THEN
        PERFORM fail('FL602', format('unknown currency %s', v), 'currency');
    END IF;
    RETURN v;
END
$$;

-- The service period of an invoice from {period_start, period_end}: both or
-- neither, start on or before end (FL602 naming the field at fault).
CREATE OR REPLACE FUNCTION check_period(p jsonb) RETURNS daterange
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    s date := (p->>'period_start')::date;
    e date := (p->>'period_end')::date;
BEGIN
    IF s IS NULL AND e IS NULL THEN RETURN NULL; END IF;
    IF s IS NULL THEN PERFORM fail('FL602', 'period_start is required with period_end', 'period_start'); END IF;
    IF e IS NULL THEN PERFORM fail('FL602', 'period_end is required with period_start', 'period_end'); END IF;
    IF e < s THEN PERFORM fail('FL602', 'period_end is before period_start', 'period_end'); END IF;
    RETURN daterange(s, e, '[]');
END
$$;

-- The issue date of a request: given or the tenant's today, never in the future (FL602).
CREATE OR REPLACE FUNCTION check_issue_date(p jsonb, today date) RETURNS date
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE d date := coalesce((p->>'issue_date')::date, today);
BEGIN
    IF d > today THEN
        PERFORM fail('FL602', format('issue date %s is in the future (today is %s)', date_text(d), date_text(today)), 'issue_date');
    END IF;
    RETURN d;
END
$$;

-- invoice.create {customer_id, lines, currency?, notes?, payment_terms_days?,
-- po_number?, delivery_date?, period_start?, period_end?, issue?, issue_date?}
-- -> the draft, or with issue: true the issued invoice, made in this one
-- transaction (the draft is written, then issued by issue_draft_body). The
-- tenant_row type flows down to every body it calls (see tenant_plans()), so
-- one warm tenant's path is planned once per connection: generic plans from the
-- first call (its statements are key lookups and inserts, whose plans do not
-- depend on the values), not after five custom ones.
CREATE OR REPLACE FUNCTION invoice_create_body(tenant_row anyelement, p jsonb) RETURNS jsonb
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    s record;
    c record;
    cur text;
    m int;
    pl priced_lines;
    adj jsonb;
    tot doc_totals_t;
    period daterange := check_period(p);
    issue boolean := coalesce((p->>'issue')::boolean, false);
    today date;
    d date;
    i record;
BEGIN
    SELECT * INTO s FROM settings;
    today := (now() AT TIME ZONE s.timezone)::date;
    IF issue THEN
        d := check_issue_date(p, today);
    ELSIF p ? 'issue_date' THEN
        PERFORM fail('FL602', 'issue_date needs issue: true (or use invoice.issue)', 'issue_date');
    END IF;
    -- The customer read here (this plan is the tenant's); draft_customer names what is wrong.
    SELECT * INTO c FROM customers WHERE id = (p->>'customer_id')::bigint;
    IF c.id IS NULL OR c.archived THEN
        c := draft_customer((p->>'customer_id')::bigint);
    END IF;
    -- (The tenant's own currency was checked when it was set.)
    cur := CASE WHEN p->>'currency' IS NULL THEN s.currency ELSE check_currency(p->>'currency') END;
    m := currency_decimals(cur);
    pl := price_lines_body(tenant_row, p->'lines', m);
    -- (The common case, no allowances or charges, costs no extra call.)
    adj := CASE WHEN p ? 'allowances' OR p ? 'charges' THEN price_adjustments(adjustments_spec(p), pl.lines, m)
                ELSE '[]'::jsonb END;
    tot := doc_totals_body(tenant_row, pl.lines, m, s.tax_rounding, adj);
    IF adj <> '[]'::jsonb THEN PERFORM check_adjusted_total(tot); END IF;
    INSERT INTO invoices (customer_id, currency, payment_terms_days, po_number, notes, delivery_date,
                          period_start, period_end, tax_rounding, subtotal, tax_total, total, tax_breakdown,
                          adjustments, allowance_total, charge_total, payment_terms_text)
    VALUES (c.id, cur, check_terms((p->>'payment_terms_days')::int, 'payment_terms_days'),
            check_text(p->>'po_number', 'po_number', 100), check_text(p->>'notes', 'notes', 4000),
            (p->>'delivery_date')::date, lower(period), upper(period) - 1,
            s.tax_rounding, tot.subtotal, tot.tax_total, tot.subtotal + tot.tax_total, tot.tax_breakdown,
            adj, adjustments_total(adj, 'allowance'), adjustments_total(adj, 'charge'),
            terms_text(s.payment_terms_text, coalesce((p->>'payment_terms_days')::int, c.payment_terms_days, s.payment_terms_days)))
    RETURNING * INTO i;
    PERFORM invoice_lines_insert(tenant_row, i.id, pl);
    IF issue THEN
        RETURN issue_draft_body(tenant_row, i, c.name, c.payment_terms_days, s, d, today, pl.lines, pl.lines_json,
                                tot, 'created');
    END IF;
    PERFORM audit_body(tenant_row, 'invoice', i.id,
                       jsonb_build_object('status', 'draft', 'customer_id', c.id, 'currency', cur,
                                          'lines', cardinality(pl.lines), 'total', money_text(i.total, m)));
    RETURN invoice_json_body(tenant_row, i, c.name, pl.lines_json, today);
END
$$;

-- invoice_create with this tenant's own plans or the shared ones (see tenant_plans()).
CREATE OR REPLACE FUNCTION invoice_create(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    IF tenant_plans() THEN
        RETURN invoice_create_body(NULL::settings, p);
    END IF;
    RETURN invoice_create_body(NULL::shared_plans, p);
END
$$;

-- Locks a draft for a change (FL002 absent, FL003 not a draft).
CREATE OR REPLACE FUNCTION draft_for_change(p_id bigint, what text) RETURNS record
LANGUAGE plpgsql AS $$
DECLARE i record;
BEGIN
    SELECT * INTO i FROM invoices WHERE id = p_id FOR NO KEY UPDATE;
    IF i.id IS NULL THEN
        PERFORM fail('FL002', format('invoice %s not found', p_id), 'id');
    ELSIF i.status <> 'draft' THEN
        PERFORM fail('FL003', format('invoice %s is %s and can no longer be %s', i.number,
                                     replace(i.status, '_', ' '), what), 'id');
    END IF;
    RETURN i;
END
$$;

-- invoice.update {id, customer_id?, lines?, currency?, notes?,
-- payment_terms_days?, po_number?, delivery_date?, period_start?, period_end?,
-- allowances?, charges?}: drafts only (FL003). `lines` replaces all lines; a currency change re-rounds
-- the existing lines; null clears notes, po_number, delivery_date and
-- payment_terms_days; the period changes as a whole (both ends or neither). Totals are recomputed with the tenant's
-- current tax_rounding.
CREATE OR REPLACE FUNCTION invoice_update(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    s record;
    i record := draft_for_change((p->>'id')::bigint, 'changed');
    c record;
    cur text;
    m int;
    pl priced_lines;
    lines doc_line[];
    adj jsonb;
    tot doc_totals_t;
    period daterange := check_period(p);
BEGIN
    SELECT * INTO s FROM settings;
    IF p ? 'customer_id' THEN
        c := draft_customer((p->>'customer_id')::bigint);
    ELSE
        SELECT * INTO c FROM customers WHERE id = i.customer_id;
    END IF;
    cur := CASE WHEN p ? 'currency' THEN check_currency(coalesce(p->>'currency', s.currency)) ELSE i.currency END;
    m := currency_decimals(cur);
    IF p ? 'lines' THEN
        pl := price_lines(p->'lines', m);
        lines := pl.lines;
        DELETE FROM invoice_lines WHERE invoice_id = i.id;
        PERFORM invoice_lines_insert(NULL::shared_plans, i.id, pl);
    ELSE
        SELECT array_agg(ROW(x.line_no, x.item_id, x.description, x.qty, x.unit_price, x.tax_rate, x.tax_percent,
                             a.amt, line_tax(a.amt, x.tax_percent, m))::doc_line ORDER BY x.line_no)
          INTO lines
          FROM invoice_lines x,
               LATERAL (SELECT line_amount(x.qty, x.unit_price, m)
                               - least(line_discount(line_amount(x.qty, x.unit_price, m), x.discount_percent, x.discount, m),
                                       line_amount(x.qty, x.unit_price, m)) AS amt) a
         WHERE x.invoice_id = i.id;
        IF cur <> i.currency THEN
            UPDATE invoice_lines l SET amount = x.amount, tax = x.tax, discount = line_amount(l.qty, l.unit_price, m) - x.amount
              FROM unnest(lines) AS x
             WHERE l.invoice_id = i.id AND l.line_no = x.line_no AND (l.amount, l.tax) IS DISTINCT FROM (x.amount, x.tax);
        END IF;
    END IF;
    -- Allowances and charges: a list given replaces that list; the stored ones are re-priced.
    adj := price_adjustments(adjustments_spec(adjustments_json(adjustments_respec(i.adjustments))
                                              || jsonb_strip_nulls(jsonb_build_object('allowances', p->'allowances',
                                                                                      'charges', p->'charges'))),
                             lines, m);
    tot := doc_totals(lines, m, s.tax_rounding, adj);
    PERFORM check_adjusted_total(tot);
    UPDATE invoices SET
        customer_id = c.id,
        currency = cur,
        payment_terms_days = CASE WHEN p ? 'payment_terms_days'
                                  THEN check_terms((p->>'payment_terms_days')::int, 'payment_terms_days')
                                  ELSE payment_terms_days END,
        po_number = CASE WHEN p ? 'po_number' THEN check_text(p->>'po_number', 'po_number', 100) ELSE po_number END,
        delivery_date = CASE WHEN p ? 'delivery_date' THEN (p->>'delivery_date')::date ELSE delivery_date END,
        period_start = CASE WHEN p ? 'period_start' OR p ? 'period_end' THEN lower(period) ELSE period_start END,
        period_end = CASE WHEN p ? 'period_start' OR p ? 'period_end' THEN upper(period) - 1 ELSE period_end END,
        notes = CASE WHEN p ? 'notes' THEN check_text(p->>'notes', 'notes', 4000) ELSE notes END,
        payment_terms_text = terms_text(s.payment_terms_text, coalesce(
            CASE WHEN p ? 'payment_terms_days' THEN (p->>'payment_terms_days')::int ELSE i.payment_terms_days END,
            c.payment_terms_days, s.payment_terms_days)),
        tax_rounding = s.tax_rounding,
        subtotal = tot.subtotal, tax_total = tot.tax_total, total = tot.subtotal + tot.tax_total,
        tax_breakdown = tot.tax_breakdown,
        adjustments = adj, allowance_total = adjustments_total(adj, 'allowance'),
        charge_total = adjustments_total(adj, 'charge'),
        updated_at = now()
    WHERE id = i.id
    RETURNING * INTO i;
    PERFORM audit('invoice', i.id, (p - 'id' - 'lines')
                  || jsonb_build_object('lines', cardinality(lines), 'total', money_text(i.total, m)));
    RETURN invoice_json(i, c.name, invoice_lines_json(i.id, m), (now() AT TIME ZONE s.timezone)::date);
END
$$;

-- invoice.delete {id}: drafts only (FL003) -> {}.
CREATE OR REPLACE FUNCTION invoice_delete(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE i record := draft_for_change((p->>'id')::bigint, 'deleted');
BEGIN
    DELETE FROM invoices WHERE id = i.id;
    PERFORM audit('invoice', i.id, '{"deleted": true}');
    RETURN '{}'::jsonb;
END
$$;

-- invoice.issue {id, issue_date?}: drafts only (FL003). Re-prices the lines with
-- the tax percents valid now and the tenant's current tax_rounding, then issues
-- the draft (issue_draft_body), all with the tenant_row's plans (generic from the
-- first call, as invoice_create_body's).
CREATE OR REPLACE FUNCTION invoice_issue_body(tenant_row anyelement, p jsonb) RETURNS jsonb
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    s record;
    i record;
    r record;
    today date;
    d date;
    m int;
    lines doc_line[];
    lj jsonb;
    changed boolean;
    adj jsonb;
    tot doc_totals_t;
BEGIN
    SELECT * INTO s FROM settings;
    SELECT iv AS inv, c.name AS customer_name, c.payment_terms_days AS customer_terms INTO r
      FROM invoices iv JOIN customers c ON c.id = iv.customer_id
     WHERE iv.id = (p->>'id')::bigint FOR NO KEY UPDATE OF iv;
    IF NOT FOUND THEN
        PERFORM fail('FL002', format('invoice %s not found', p->>'id'), 'id');
    END IF;
    i := r.inv;
    IF i.status <> 'draft' THEN
        PERFORM fail('FL003', format('invoice %s is already %s', i.number,
                     CASE WHEN i.status = 'void' THEN 'void' ELSE 'issued' END), 'id');
    END IF;
    today := (now() AT TIME ZONE s.timezone)::date;
    d := check_issue_date(p, today);
    m := currency_decimals(i.currency);

    -- Re-price with the current percents (only rows that changed are written);
    -- the result form of the lines comes from the same pass.
    SELECT array_agg(y.l ORDER BY y.line_no),
           jsonb_agg(line_json(y.l, m) || line_terms_json(y.unit, y.discount, y.discount_percent, y.discount_reason, m)
                     ORDER BY y.line_no),
           bool_or(y.changed)
      INTO lines, lj, changed
      FROM (SELECT l.line_no, l.unit, l.discount, l.discount_percent, l.discount_reason,
                   ROW(l.line_no, l.item_id, l.description, l.qty, l.unit_price, l.tax_rate, x.pct, x.amt,
                       line_tax(x.amt, x.pct, m))::doc_line AS l,
                   x.pct <> l.tax_percent OR x.amt <> l.amount OR line_tax(x.amt, x.pct, m) <> l.tax AS changed
              FROM invoice_lines l
              LEFT JOIN LATERAL (SELECT tr.percent FROM tax_rates tr WHERE tr.code = l.tax_rate) t ON true
             CROSS JOIN LATERAL (SELECT coalesce(t.percent, l.tax_percent) AS pct,
                                        line_amount(l.qty, l.unit_price, m) - l.discount AS amt) x
             WHERE l.invoice_id = i.id) y;
    IF changed THEN
        UPDATE invoice_lines l SET tax_percent = x.tax_percent, amount = x.amount, tax = x.tax
          FROM unnest(lines) AS x
         WHERE l.invoice_id = i.id AND l.line_no = x.line_no
           AND (l.tax_percent, l.amount, l.tax) IS DISTINCT FROM (x.tax_percent, x.amount, x.tax);
    END IF;
    -- Allowances and charges re-priced the same way (a percent of the lines as
    -- they are now, the current tax percents).
    IF i.adjustments <> '[]'::jsonb THEN
        adj := price_adjustments(adjustments_respec(i.adjustments), lines, m);
        IF adj IS DISTINCT FROM i.adjustments THEN
            UPDATE invoices SET adjustments = adj, allowance_total = adjustments_total(adj, 'allowance'),
                                charge_total = adjustments_total(adj, 'charge')
             WHERE id = i.id
            RETURNING * INTO i;
        END IF;
    END IF;
    tot := doc_totals_body(tenant_row, lines, m, s.tax_rounding, i.adjustments);
    IF i.adjustments <> '[]'::jsonb THEN PERFORM check_adjusted_total(tot); END IF;
    RETURN issue_draft_body(tenant_row, i, r.customer_name, r.customer_terms, s, d, today, lines, lj, tot, 'issued');
END
$$;

-- invoice_issue with this tenant's own plans or the shared ones (see tenant_plans()).
CREATE OR REPLACE FUNCTION invoice_issue(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    IF tenant_plans() THEN
        RETURN invoice_issue_body(NULL::settings, p);
    END IF;
    RETURN invoice_issue_body(NULL::shared_plans, p);
END
$$;

-- Issues the draft i (locked or just written by this transaction) dated d with
-- its priced lines: computes terms (invoice's, else customer's, else tenant's)
-- and due date, records stock movements for tracked items (not for lines billing
-- an order's delivered goods: the delivery moved those), and only then takes
-- the next number from the series (row lock held until commit) and stores
-- number and hash, with one audit entry (`how`: 'issued', or 'created' when the
-- draft was made in the same call).
CREATE OR REPLACE FUNCTION issue_draft_body(tenant_row anyelement, i record, customer_name text, customer_terms int, s record, d date, today date,
                                       lines doc_line[], lj jsonb, tot doc_totals_t, how text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    m int := currency_decimals(i.currency);
    terms int := coalesce(i.payment_terms_days, customer_terms, s.payment_terms_days);
    due date := d + terms;
    n_items int;
    res jsonb;
    slot series_slot;
    inv record := i;
BEGIN
    -- Stock: one movement per line of a tracked item. With several items their
    -- rows are locked in id order first (before the series lock) so concurrent
    -- issues cannot deadlock; a single item needs no ordering. NO KEY UPDATE
    -- (what the stock UPDATE takes anyway) does not conflict with the KEY SHARE
    -- locks that foreign key checks of concurrent invoice.create calls take.
    SELECT count(DISTINCT x.item_id) INTO n_items FROM unnest(lines) x;
    IF n_items > 0 THEN
        IF n_items > 1 THEN
            PERFORM 1 FROM items WHERE id IN (SELECT x.item_id FROM unnest(lines) x) AND stock_qty IS NOT NULL
              ORDER BY id FOR NO KEY UPDATE;
        END IF;
        WITH mv AS (
            INSERT INTO stock_movements (item_id, qty_delta, reason, invoice_id)
            SELECT x.item_id, -x.qty, 'invoice', inv.id
              FROM unnest(lines) x JOIN items it ON it.id = x.item_id
             WHERE it.stock_qty IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM order_invoice_lines o WHERE o.invoice_id = inv.id AND o.line_no = x.line_no)
             ORDER BY x.line_no
            RETURNING item_id, qty_delta)
        UPDATE items it SET stock_qty = it.stock_qty + d.delta
          FROM (SELECT item_id, sum(qty_delta) AS delta FROM mv GROUP BY item_id) d
         WHERE it.id = d.item_id;
    END IF;

    -- The result is built before the series lock; only the number is added after.
    inv.status := 'issued'; inv.issue_date := d; inv.due_date := due; inv.payment_terms_days := terms;
    inv.tax_rounding := s.tax_rounding; inv.subtotal := tot.subtotal; inv.tax_total := tot.tax_total;
    inv.total := tot.subtotal + tot.tax_total; inv.tax_breakdown := tot.tax_breakdown;
    inv.issued_at := now(); inv.updated_at := now();
    inv.payment_terms_text := terms_text(s.payment_terms_text, terms);
    res := invoice_json_body(tenant_row, inv, customer_name, lj, today);

    -- Number and hash link, under the series row lock (held until commit): from
    -- here on only the invoice row and its audit entry are written.
    slot := series_take_body(tenant_row, 'invoice', s.invoice_number_format, d,
                             invoice_hash_body(d, due, inv.customer_id, inv.currency, tot.subtotal, tot.tax_total,
                                               tot.subtotal + tot.tax_total, hash_lines(tenant_row, lines, m),
                                               tot.tax_breakdown));
    IF EXISTS (SELECT 1 FROM invoices WHERE number = slot.number) THEN
        PERFORM fail('FL003', format('invoice number %s is already used; change the invoice number format', slot.number),
                     'id');
    END IF;
    UPDATE invoices SET
        status = 'issued', number = slot.number, series_period = slot.period, seq = slot.seq,
        issue_date = d, due_date = due, payment_terms_days = terms, tax_rounding = s.tax_rounding,
        subtotal = tot.subtotal, tax_total = tot.tax_total, total = inv.total,
        tax_breakdown = tot.tax_breakdown, hash = slot.hash, issued_at = inv.issued_at, updated_at = inv.updated_at,
        payment_terms_text = inv.payment_terms_text
    WHERE id = inv.id;
    PERFORM audit_body(tenant_row, 'invoice', inv.id,
                       jsonb_build_object('status', 'issued', 'how', how, 'number', slot.number,
                                          'customer_id', inv.customer_id, 'lines', cardinality(lines),
                                          'issue_date', date_text(d), 'due_date', date_text(due),
                                          'total', money_text(inv.total, m), 'hash', slot.hash));
    RETURN res || jsonb_build_object('number', slot.number);
END
$$;

-- invoice.get {id} or {number}.
CREATE OR REPLACE FUNCTION invoice_get(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    RETURN invoice_full_json(invoice_find(p, false));
END
$$;

-- invoice.list {status?, customer_id?, overdue_as_of?, issued_from?, issued_to?,
-- limit?, cursor?}: invoice objects without lines, by id. overdue_as_of D keeps
-- issued, non-void invoices with balance_due > 0 and due_date < D; issued_from/to
-- bound issue_date (inclusive). The query is built from the filters given so each
-- call is planned for its own index (1,000,000 invoices).
CREATE OR REPLACE FUNCTION invoice_list(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    lim int := page_limit(p);
    q text := 'SELECT i FROM invoices i WHERE i.id > $1';
    res jsonb;
BEGIN
    IF p->>'status' IS NOT NULL THEN q := q || ' AND i.status = $2'; END IF;
    IF p->>'customer_id' IS NOT NULL THEN q := q || ' AND i.customer_id = $3'; END IF;
    IF p->>'overdue_as_of' IS NOT NULL THEN
        q := q || ' AND i.status IN (''issued'', ''sent'', ''partially_paid'') AND i.due_date < $4'
                  ' AND i.total - i.amount_paid - i.credited > 0';
    END IF;
    IF p->>'issued_from' IS NOT NULL THEN q := q || ' AND i.issue_date >= $5'; END IF;
    IF p->>'issued_to' IS NOT NULL THEN q := q || ' AND i.issue_date <= $6'; END IF;
    q := q || ' ORDER BY i.id LIMIT $7';
    EXECUTE format($q$
        SELECT coalesce(jsonb_agg(invoice_json(r.i, c.name, NULL, $8) ORDER BY (r.i).id), '[]')
          FROM (%s) r JOIN customers c ON c.id = (r.i).customer_id $q$, q)
       INTO res
      USING page_after(p), p->>'status', (p->>'customer_id')::bigint, (p->>'overdue_as_of')::date,
            (p->>'issued_from')::date, (p->>'issued_to')::date, lim + 1, tenant_today();
    RETURN page_of(res, lim);
END
$$;
