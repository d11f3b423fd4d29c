-- Tenant payments: payments and their allocations to invoices, refunds,
-- discrepancies ("lockstep": a payment never lands silently at a wrong
-- amount), bank statement reconciliation, invoice disputes and the invoice
-- communication log, customer balances, idempotency key purging.
--
-- Runs like 0001/0002: as the table owner with search_path set to ONLY the
-- tenant schema; {{tenant_role}} is the tenant's role that executes the API
-- functions (same conventions as 0002: `a.b` is `a_b(p jsonb) RETURNS jsonb`,
-- semantic checks raise through fail(): FL602 invalid params with the field
-- path, FL002 not found, FL003 conflict).
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

-------------------------------------------------------------------------------
-- Helpers
-------------------------------------------------------------------------------

-- Plans: the busy functions below run with plan_cache_mode =
-- force_generic_plan. Their statements are keyed by ids and arrays whose
-- generic plans are index lookups anyway; without it plpgsql re-plans the
-- larger statements on every call (measured: payment.record 2.0 -> 1.0 ms).

-- The caller's uid (set by folio.enter), 0 outside a request.
CREATE FUNCTION current_uid() RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('folio.uid', true), ''), '0')::bigint
$$;

-- A money amount given as a decimal string for currency `cur`: required, > 0,
-- at most the currency's minor-unit decimals (FL602 on `field`).
CREATE FUNCTION check_money(v text, cur text, field text) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    m int := minor_units(cur);
    x numeric;
BEGIN
    IF v IS NULL THEN
        PERFORM fail('FL602', format('%s is required', field), field);
    END IF;
    IF v !~ '^[+-]?[0-9]{1,13}(\.[0-9]+)?$' THEN
        PERFORM fail('FL602', format('%s must be a decimal amount like "12.50"', field), field);
    END IF;
    x := v::numeric;
    IF x <= 0 THEN
        PERFORM fail('FL602', format('%s must be greater than 0', field), field);
    END IF;
    IF x <> round(x, m) THEN
        PERFORM fail('FL602', format('%s has more decimals than %s allows (%s)', field, cur, m), field);
    END IF;
    RETURN round(x, m);
END
$$;

-- Candidate invoice numbers in a payment reference (upper case): the reference
-- split into tokens at white space and , ; ( ) [ ] { } " ' < > |, each token
-- as is and without leading/trailing . : # ! ? *, the parts of a token split at
-- / + & : = #, and every two adjacent tokens joined by one space (formats such
-- as "INV {seq}"). An invoice is named by a reference when its upper-cased
-- number is one of these (a whole-token, case-insensitive match).
CREATE FUNCTION reference_tokens(ref text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    w text[];
BEGIN
    IF ref IS NULL THEN RETURN '{}'; END IF;
    w := array_remove(regexp_split_to_array(upper(ref), '[\s,;()\[\]{}"''<>|]+'), '');
    IF w = '{}' THEN RETURN '{}'; END IF;
    RETURN (SELECT coalesce(array_agg(DISTINCT c.t), '{}')
              FROM (SELECT x.t FROM unnest(w) AS x(t)
                    UNION ALL SELECT btrim(x.t, '.:#!?*') FROM unnest(w) AS x(t)
                    UNION ALL SELECT btrim(s.s, '.:#!?*') FROM unnest(w) AS x(t), regexp_split_to_table(x.t, '[/+&:=#]') AS s(s)
                    UNION ALL SELECT w[k] || ' ' || w[k + 1] FROM generate_series(1, cardinality(w) - 1) AS k) c
             WHERE c.t <> '' AND length(c.t) <= 64);
END
$$;

-- Invoice numbers are looked up case-insensitively (references, statements).
CREATE INDEX invoices_number_upper ON invoices (upper(number));
-- A customer's open invoices (automatic allocation, balances, matching).
CREATE INDEX invoices_customer_open ON invoices (customer_id, id) WHERE status IN ('issued', 'sent', 'partially_paid');
-- Customers by payer name (statement matching).
CREATE INDEX customers_name_lower ON customers (lower(name));

-- Ids of the invoices (any customer, any status) a reference names.
CREATE FUNCTION reference_invoice_ids(ref text) RETURNS bigint[]
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    toks text[] := reference_tokens(ref);
BEGIN
    IF toks = '{}' THEN RETURN '{}'; END IF;
    RETURN (SELECT coalesce(array_agg(i.id ORDER BY i.id), '{}') FROM invoices i WHERE upper(i.number) = ANY (toks));
END
$$;

-------------------------------------------------------------------------------
-- Bank statements (reconciliation). A statement line is stored once per
-- tenant, keyed by its fingerprint; every import records which lines it
-- contained (bank_statement_entries), new or already known.
-------------------------------------------------------------------------------

CREATE TABLE bank_statements (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    currency     text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    date_format  text NOT NULL,
    columns      jsonb NOT NULL,        -- {date, amount, reference, payer}: header names used
    row_count    int NOT NULL,          -- data rows (blank lines not counted)
    imported_by  bigint NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- One bank line, with the match proposed when it was first imported.
-- fingerprint = sha256 of [currency, date, amount, reference, payer, occurrence]
-- where occurrence numbers identical lines within one statement text.
CREATE TABLE bank_statement_lines (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    statement_id  bigint NOT NULL REFERENCES bank_statements,   -- the import that first brought it
    row_no        int NOT NULL,                                 -- its CSV row there (header = row 1)
    fingerprint   text NOT NULL UNIQUE,
    occurrence    int NOT NULL,
    line_date     date NOT NULL,
    amount        numeric NOT NULL,
    currency      text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    reference     text,
    payer         text,
    match         text NOT NULL CHECK (match IN ('exact', 'partial', 'customer_amount', 'unmatched')),
    reason        text CHECK (reason IN ('outgoing', 'zero')),  -- why an unmatched line can never be a payment
    invoice_id    bigint REFERENCES invoices,
    customer_id   bigint REFERENCES customers,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT bank_statement_lines_match CHECK ((match = 'unmatched') = (customer_id IS NULL)
                                                 AND (match = 'unmatched') = (invoice_id IS NULL)
                                                 AND (match = 'unmatched' OR amount > 0))
);
CREATE INDEX bank_statement_lines_statement ON bank_statement_lines (statement_id, row_no);
CREATE INDEX bank_statement_lines_invoice ON bank_statement_lines (invoice_id) WHERE invoice_id IS NOT NULL;

-- The rows of each import: new lines and lines already known (known = true).
CREATE TABLE bank_statement_entries (
    statement_id  bigint NOT NULL REFERENCES bank_statements,
    row_no        int NOT NULL,
    line_id       bigint NOT NULL REFERENCES bank_statement_lines,
    known         boolean NOT NULL,
    PRIMARY KEY (statement_id, row_no)
);
CREATE INDEX bank_statement_entries_line ON bank_statement_entries (line_id);

-------------------------------------------------------------------------------
-- Payments, allocations, refunds, discrepancies, invoice events
-------------------------------------------------------------------------------

CREATE TABLE payments (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id        bigint NOT NULL REFERENCES customers,
    amount             numeric NOT NULL CHECK (amount > 0),
    currency           text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    received_on        date NOT NULL,
    method             text NOT NULL CHECK (method IN ('bank_transfer', 'card', 'cash', 'cheque', 'other')),
    reference          text,
    payer              text,
    unapplied          numeric NOT NULL,
    refunded           numeric NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL DEFAULT now(),
    statement_line_id  bigint NULL REFERENCES bank_statement_lines,
    CONSTRAINT payments_unapplied_range CHECK (unapplied >= 0 AND unapplied <= amount),
    CONSTRAINT payments_refunded_range CHECK (refunded >= 0 AND refunded <= amount)
);
CREATE INDEX payments_customer ON payments (customer_id, id);
CREATE INDEX payments_received_on ON payments (received_on, id);
CREATE INDEX payments_customer_credit ON payments (customer_id) WHERE unapplied > 0;
-- A statement line becomes at most one payment.
CREATE UNIQUE INDEX payments_statement_line ON payments (statement_line_id) WHERE statement_line_id IS NOT NULL;

-- allocated_on: the payment's received_on for allocations made when recording
-- it (also the part of a partially reversed allocation that stays), the
-- application date for later credit applications (payment.allocate).
CREATE TABLE payment_allocations (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payment_id    bigint NOT NULL REFERENCES payments,
    invoice_id    bigint NOT NULL REFERENCES invoices,
    amount        numeric NOT NULL CHECK (amount > 0),
    allocated_on  date NOT NULL,
    reversed_on   date NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_allocations_invoice ON payment_allocations (invoice_id, id);
CREATE INDEX payment_allocations_payment ON payment_allocations (payment_id, id);

CREATE TABLE refunds (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payment_id   bigint NOT NULL REFERENCES payments,
    amount       numeric NOT NULL CHECK (amount > 0),
    refunded_on  date NOT NULL,
    reason       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_payment ON refunds (payment_id, id);

-- kind: overpayment, underpayment, reference_mismatch, other_customer,
-- void_invoice. currency: of `amount` (the payment's, or the invoice's for a
-- reference naming an invoice in another currency).
CREATE TABLE discrepancies (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payment_id       bigint REFERENCES payments,
    invoice_id       bigint REFERENCES invoices,
    customer_id      bigint REFERENCES customers,
    kind             text NOT NULL,
    amount           numeric,
    message          text NOT NULL,
    status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    resolution_note  text,
    resolved_by      bigint,
    resolved_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    currency         text CHECK (currency ~ '^[A-Z]{3}$')
);
CREATE INDEX discrepancies_status ON discrepancies (status, id);
CREATE INDEX discrepancies_customer ON discrepancies (customer_id, id);
CREATE INDEX discrepancies_payment ON discrepancies (payment_id, id);
CREATE INDEX discrepancies_invoice ON discrepancies (invoice_id) WHERE invoice_id IS NOT NULL;

-- Append-only communication log of an invoice. A dispute is open while the
-- invoice's latest dispute/dispute_resolved event is a 'dispute'.
CREATE TABLE invoice_events (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id      bigint NOT NULL REFERENCES invoices,
    kind            text NOT NULL CHECK (kind IN ('note', 'dispute', 'dispute_resolved')),
    text            text NOT NULL,
    uid             bigint NOT NULL,
    at              timestamptz NOT NULL DEFAULT clock_timestamp(),
    resolution      text CHECK (resolution IN ('credited', 'confirmed')),   -- dispute_resolved only
    credit_note_id  bigint REFERENCES credit_notes                          -- resolution 'credited'
);
CREATE INDEX invoice_events_invoice ON invoice_events (invoice_id, id);

-------------------------------------------------------------------------------
-- History guards
-------------------------------------------------------------------------------

-- Payments: only unapplied and refunded change (refunded only upwards); never deleted.
CREATE FUNCTION payments_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'FL003', DETAIL = 'payment_id',
        MESSAGE = format('payment %s cannot be %s', OLD.id, CASE WHEN TG_OP = 'DELETE' THEN 'deleted' ELSE 'rewritten' END);
END
$$;
CREATE TRIGGER payments_guard_update BEFORE UPDATE ON payments FOR EACH ROW
    WHEN ((NEW.id, NEW.customer_id, NEW.amount, NEW.currency, NEW.received_on, NEW.method, NEW.reference, NEW.payer,
           NEW.created_at, NEW.statement_line_id)
          IS DISTINCT FROM (OLD.id, OLD.customer_id, OLD.amount, OLD.currency, OLD.received_on, OLD.method,
                            OLD.reference, OLD.payer, OLD.created_at, OLD.statement_line_id)
          OR NEW.refunded < OLD.refunded)
    EXECUTE FUNCTION payments_guard();
CREATE TRIGGER payments_guard_delete BEFORE DELETE ON payments FOR EACH ROW EXECUTE FUNCTION payments_guard();

-- Allocations: only reversed_on may be set, once; never deleted.
CREATE FUNCTION payment_allocations_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'FL003',
        MESSAGE = 'payment allocations are never deleted or changed; a refund only sets reversed_on';
END
$$;
CREATE TRIGGER payment_allocations_guard_update BEFORE UPDATE ON payment_allocations FOR EACH ROW
    WHEN ((NEW.id, NEW.payment_id, NEW.invoice_id, NEW.amount, NEW.allocated_on, NEW.created_at)
          IS DISTINCT FROM (OLD.id, OLD.payment_id, OLD.invoice_id, OLD.amount, OLD.allocated_on, OLD.created_at)
          OR OLD.reversed_on IS NOT NULL)
    EXECUTE FUNCTION payment_allocations_guard();
CREATE TRIGGER payment_allocations_guard_delete BEFORE DELETE ON payment_allocations
    FOR EACH ROW EXECUTE FUNCTION payment_allocations_guard();

-- Discrepancies: only resolved (once); never deleted.
CREATE FUNCTION discrepancies_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'FL003', MESSAGE = 'discrepancies are only ever resolved, never changed or deleted';
END
$$;
CREATE TRIGGER discrepancies_guard_update BEFORE UPDATE ON discrepancies FOR EACH ROW
    WHEN ((NEW.id, NEW.payment_id, NEW.invoice_id, NEW.customer_id, NEW.kind, NEW.amount, NEW.message, NEW.created_at,
           NEW.currency)
          IS DISTINCT FROM (OLD.id, OLD.payment_id, OLD.invoice_id, OLD.customer_id, OLD.kind, OLD.amount, OLD.message,
                            OLD.created_at, OLD.currency)
          OR OLD.status = 'resolved')
    EXECUTE FUNCTION discrepancies_guard();
CREATE TRIGGER discrepancies_guard_delete BEFORE DELETE ON discrepancies FOR EACH ROW EXECUTE FUNCTION discrepancies_guard();

-- Refunds, the invoice log and the statements are append-only (append_only()
-- and no_truncate() come from 0002).
CREATE TRIGGER refunds_append_only BEFORE UPDATE OR DELETE ON refunds FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER invoice_events_append_only BEFORE UPDATE OR DELETE ON invoice_events
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER bank_statements_append_only BEFORE UPDATE OR DELETE ON bank_statements
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER bank_statement_lines_append_only BEFORE UPDATE OR DELETE ON bank_statement_lines
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER bank_statement_entries_append_only BEFORE UPDATE OR DELETE ON bank_statement_entries
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER payments_no_truncate BEFORE TRUNCATE ON payments FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();
CREATE TRIGGER payment_allocations_no_truncate BEFORE TRUNCATE ON payment_allocations
    FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();
CREATE TRIGGER refunds_no_truncate BEFORE TRUNCATE ON refunds FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();
CREATE TRIGGER discrepancies_no_truncate BEFORE TRUNCATE ON discrepancies FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();
CREATE TRIGGER invoice_events_no_truncate BEFORE TRUNCATE ON invoice_events FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();
CREATE TRIGGER bank_statements_no_truncate BEFORE TRUNCATE ON bank_statements FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();
CREATE TRIGGER bank_statement_lines_no_truncate BEFORE TRUNCATE ON bank_statement_lines
    FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();
CREATE TRIGGER bank_statement_entries_no_truncate BEFORE TRUNCATE ON bank_statement_entries
    FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();

-------------------------------------------------------------------------------
-- Result objects
-------------------------------------------------------------------------------

-- Discrepancy object; `number` is its invoice's number (or NULL).
CREATE FUNCTION discrepancy_json(d discrepancies, number text) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
        'id', d.id, 'kind', d.kind, 'payment_id', d.payment_id, 'invoice_id', d.invoice_id, 'number', number,
        'customer_id', d.customer_id, 'amount', money_text(d.amount, minor_units(d.currency)), 'currency', d.currency,
        'message', d.message, 'status', d.status, 'resolution_note', d.resolution_note,
        'resolved_by', d.resolved_by, 'resolved_at', ts_text(d.resolved_at), 'created_at', ts_text(d.created_at))
$$;

-- Payment object: {id, customer_id, customer_name, amount, currency,
-- received_on, method, reference, payer, allocations: [{id, invoice_id,
-- number, amount, allocated_on, reversed_on}] (all, reversed included, by id),
-- unapplied, refunded, refunds: [{id, amount, refunded_on, reason,
-- created_at}], discrepancies: [discrepancy objects], statement_line_id,
-- created_at}.
CREATE FUNCTION payment_json(pm payments) RETURNS jsonb
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
DECLARE m int := minor_units(pm.currency);
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

CREATE FUNCTION payment_json(p_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT payment_json(pm) FROM payments pm WHERE pm.id = p_id);
END
$$;

-------------------------------------------------------------------------------
-- Allocation core
-------------------------------------------------------------------------------

-- One allocation of a payment to an invoice, in memory.
CREATE TYPE payment_alloc AS (invoice_id bigint, amount numeric);

-- Validates explicit allocations [{invoice_id | number, amount}] of a payment
-- by customer c in currency cur, at most `cap` in total, and returns them in
-- the given order. The invoices are locked (id order) before their balances
-- are read. Errors name the first bad element (zero-based): exactly one of
-- invoice_id/number (FL602), amount > 0 with at most the minor-unit decimals
-- (FL602 .amount), unknown invoice (FL002), an invoice given twice (FL602),
-- another customer's, draft, void or already paid invoice or one in another
-- currency (FL003 .invoice_id/.number), more than the balance due (FL003
-- .amount); then a total above `cap` (FL003 'allocations', message cap_text).
CREATE FUNCTION check_allocations(p_allocs jsonb, c customers, cur text, cap numeric, cap_text text)
RETURNS payment_alloc[]
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    m int := minor_units(cur);
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
CREATE FUNCTION apply_allocations(pid bigint, plan payment_alloc[], on_date date) RETURNS void
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
                                        'amount_paid', money_text(upd.amount_paid, minor_units(upd.currency))))
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
CREATE FUNCTION payment_write(c customers, cur text, amt numeric, received date, meth text, ref text, payer_name text,
                              line_id bigint, allocs payment_alloc[], alloc_on date) RETURNS bigint
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    m int := minor_units(cur);
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
CREATE FUNCTION settle_overpayment(pid bigint, note text) RETURNS void
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    IF (SELECT unapplied FROM payments WHERE id = pid) = 0 THEN
        UPDATE discrepancies
           SET status = 'resolved', resolution_note = note, resolved_by = current_uid(), resolved_at = now()
         WHERE payment_id = pid AND kind = 'overpayment' AND status = 'open';
    END IF;
END
$$;

-------------------------------------------------------------------------------
-- payment.*
-------------------------------------------------------------------------------

-- payment.record {customer_id, amount, received_on, method, reference?,
-- payer?, currency?, allocations?: [{invoice_id | number, amount}]} -> payment.
-- currency defaults to the tenant's; received_on not in the future (tenant
-- time zone). Without allocations: automatic (see payment_write); with
-- "allocations": [] nothing is allocated (all becomes customer credit).
CREATE FUNCTION payment_record(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    s settings;
    c customers;
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
                                    format('the payment amount %s %s', money_text(amt, minor_units(cur)), cur));
    END IF;
    -- Two statements: payment_json (STABLE) must see what payment_write wrote.
    pid := payment_write(c, cur, amt, d, meth, ref, payer_name, NULL, allocs, d);
    RETURN payment_json(pid);
END
$$;

-- payment.get {id}.
CREATE FUNCTION payment_get(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE pm payments;
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
CREATE FUNCTION payment_list(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    lim int := page_limit(p);
    q text := 'SELECT pm FROM payments pm WHERE pm.id > $1';
    res jsonb;
    nxt text;
BEGIN
    IF p->>'customer_id' IS NOT NULL THEN q := q || ' AND pm.customer_id = $2'; END IF;
    IF p->>'received_from' IS NOT NULL THEN q := q || ' AND pm.received_on >= $3'; END IF;
    IF p->>'received_to' IS NOT NULL THEN q := q || ' AND pm.received_on <= $4'; END IF;
    q := q || ' ORDER BY pm.id LIMIT $5';
    EXECUTE format($q$
        SELECT coalesce(jsonb_agg(payment_json(r.pm) ORDER BY (r.pm).id) FILTER (WHERE r.n <= $6), '[]'),
               CASE WHEN count(*) > $6 THEN max((r.pm).id) FILTER (WHERE r.n <= $6)::text END
          FROM (SELECT x.pm, row_number() OVER (ORDER BY (x.pm).id) AS n FROM (%s) x) r $q$, q)
       INTO res, nxt
      USING page_after(p), (p->>'customer_id')::bigint, (p->>'received_from')::date, (p->>'received_to')::date,
            lim + 1, lim;
    RETURN jsonb_build_object('items', res, 'next_cursor', nxt);
END
$$;

-- payment.allocate {payment_id, allocations: [{invoice_id | number, amount}]}:
-- applies the payment's unapplied credit (same rules as payment.record; the
-- total may not exceed the unapplied credit: FL003 'allocations'); the
-- allocations are dated today. -> payment.
CREATE FUNCTION payment_allocate(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    pm payments;
    c customers;
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
    m := minor_units(pm.currency);
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
CREATE FUNCTION payment_refund(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    pm payments;
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
    m := minor_units(pm.currency);
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

-------------------------------------------------------------------------------
-- discrepancy.*
-------------------------------------------------------------------------------

-- discrepancy.list {status?, customer_id?, payment_id?, kind?, limit?,
-- cursor?}: discrepancy objects by id.
CREATE FUNCTION discrepancy_list(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    lim int := page_limit(p);
    q text := 'SELECT d FROM discrepancies d WHERE d.id > $1';
    res jsonb;
    nxt text;
BEGIN
    IF p->>'status' IS NOT NULL THEN
        IF p->>'status' NOT IN ('open', 'resolved') THEN
            PERFORM fail('FL602', 'status must be open or resolved', 'status');
        END IF;
        q := q || ' AND d.status = $2';
    END IF;
    IF p->>'customer_id' IS NOT NULL THEN q := q || ' AND d.customer_id = $3'; END IF;
    IF p->>'payment_id' IS NOT NULL THEN q := q || ' AND d.payment_id = $4'; END IF;
    IF p->>'kind' IS NOT NULL THEN
        IF p->>'kind' NOT IN ('overpayment', 'underpayment', 'reference_mismatch', 'other_customer', 'void_invoice') THEN
            PERFORM fail('FL602', 'kind must be one of overpayment, underpayment, reference_mismatch, other_customer, void_invoice',
                         'kind');
        END IF;
        q := q || ' AND d.kind = $5';
    END IF;
    q := q || ' ORDER BY d.id LIMIT $6';
    EXECUTE format($q$
        SELECT coalesce(jsonb_agg(discrepancy_json(r.d, i.number) ORDER BY (r.d).id) FILTER (WHERE r.n <= $7), '[]'),
               CASE WHEN count(*) > $7 THEN max((r.d).id) FILTER (WHERE r.n <= $7)::text END
          FROM (SELECT x.d, row_number() OVER (ORDER BY (x.d).id) AS n FROM (%s) x) r
          LEFT JOIN invoices i ON i.id = (r.d).invoice_id $q$, q)
       INTO res, nxt
      USING page_after(p), p->>'status', (p->>'customer_id')::bigint, (p->>'payment_id')::bigint, p->>'kind',
            lim + 1, lim;
    RETURN jsonb_build_object('items', res, 'next_cursor', nxt);
END
$$;

-- discrepancy.get {id}.
CREATE FUNCTION discrepancy_get(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE d discrepancies;
BEGIN
    SELECT * INTO d FROM discrepancies WHERE id = (p->>'id')::bigint;
    IF d.id IS NULL THEN
        PERFORM fail('FL002', format('discrepancy %s not found', p->>'id'), 'id');
    END IF;
    RETURN discrepancy_json(d, (SELECT number FROM invoices WHERE id = d.invoice_id));
END
$$;

-- discrepancy.resolve {id, note}: FL003 when already resolved.
CREATE FUNCTION discrepancy_resolve(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    d discrepancies;
    note text;
BEGIN
    SELECT * INTO d FROM discrepancies WHERE id = (p->>'id')::bigint FOR NO KEY UPDATE;
    IF d.id IS NULL THEN
        PERFORM fail('FL002', format('discrepancy %s not found', p->>'id'), 'id');
    END IF;
    note := req_text(p->>'note', 'note', 2000);
    IF d.status = 'resolved' THEN
        PERFORM fail('FL003', format('discrepancy %s is already resolved', d.id), 'id');
    END IF;
    UPDATE discrepancies
       SET status = 'resolved', resolution_note = note, resolved_by = current_uid(), resolved_at = now()
     WHERE id = d.id
    RETURNING * INTO d;
    PERFORM audit('discrepancy', d.id, jsonb_build_object('status', 'resolved', 'note', note));
    RETURN discrepancy_json(d, (SELECT number FROM invoices WHERE id = d.invoice_id));
END
$$;

-------------------------------------------------------------------------------
-- reconcile.*: bank statement import and confirmation
-------------------------------------------------------------------------------

-- A parsed statement row.
CREATE TYPE statement_row AS (row_no int, line_date date, amount numeric, reference text, payer text,
                              occurrence int, fingerprint text);

-- A statement date in one of the supported formats ('YYYY-MM-DD',
-- 'DD/MM/YYYY', 'MM/DD/YYYY'; the latter two also with '.' or '-'), or NULL.
CREATE FUNCTION parse_statement_date(v text, fmt text) RETURNS date
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    x text[];
    y int;
    mo int;
    d int;
BEGIN
    IF fmt = 'YYYY-MM-DD' THEN
        x := regexp_match(v, '^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$');
        y := x[1]::int; mo := x[2]::int; d := x[3]::int;
    ELSE
        x := regexp_match(v, '^([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})$');
        y := x[3]::int;
        IF fmt = 'DD/MM/YYYY' THEN d := x[1]::int; mo := x[2]::int; ELSE mo := x[1]::int; d := x[2]::int; END IF;
    END IF;
    IF x IS NULL OR y < 1 OR mo NOT BETWEEN 1 AND 12 OR d < 1
       OR d > extract(day FROM make_date(y, mo, 1) + interval '1 month - 1 day') THEN
        RETURN NULL;
    END IF;
    RETURN make_date(y, mo, d);
END
$$;

-- Result of reconcile.import / reconcile.get for a statement: {statement_id,
-- currency, created_at, lines: [{id, row, date, amount, reference, payer,
-- match, reason, invoice_id, number, customer_id, customer_name, status,
-- payment_id}], counts: {exact, partial, customer_amount, unmatched,
-- duplicate, confirmed}}. status: 'confirmed' (a payment records the line),
-- else 'duplicate' (the line was already known when this statement was
-- imported), else 'new'. The match counts count the statement's new lines;
-- duplicate counts its known ones; confirmed counts lines with a payment.
CREATE FUNCTION reconcile_statement_json(st bank_statements) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'statement_id', st.id, 'currency', st.currency, 'created_at', ts_text(st.created_at),
        'lines', coalesce(jsonb_agg(jsonb_build_object(
                     'id', l.id, 'row', en.row_no, 'date', date_text(l.line_date),
                     'amount', money_text(l.amount, minor_units(l.currency)), 'reference', l.reference,
                     'payer', l.payer, 'match', l.match, 'reason', l.reason, 'invoice_id', l.invoice_id,
                     'number', i.number, 'customer_id', l.customer_id, 'customer_name', c.name,
                     'status', CASE WHEN pm.id IS NOT NULL THEN 'confirmed' WHEN en.known THEN 'duplicate' ELSE 'new' END,
                     'payment_id', pm.id) ORDER BY en.row_no) FILTER (WHERE en.row_no IS NOT NULL), '[]'),
        'counts', jsonb_build_object(
            'exact', count(*) FILTER (WHERE NOT en.known AND l.match = 'exact'),
            'partial', count(*) FILTER (WHERE NOT en.known AND l.match = 'partial'),
            'customer_amount', count(*) FILTER (WHERE NOT en.known AND l.match = 'customer_amount'),
            'unmatched', count(*) FILTER (WHERE NOT en.known AND l.match = 'unmatched'),
            'duplicate', count(*) FILTER (WHERE en.known),
            'confirmed', count(pm.id)))
      FROM (SELECT 1) one
      LEFT JOIN bank_statement_entries en ON en.statement_id = st.id
      LEFT JOIN bank_statement_lines l ON l.id = en.line_id
      LEFT JOIN invoices i ON i.id = l.invoice_id
      LEFT JOIN customers c ON c.id = l.customer_id
      LEFT JOIN payments pm ON pm.statement_line_id = l.id
$$;

-- reconcile.import {csv, columns?: {date?, amount?, reference?, payer?},
-- date_format?, currency?}: parses the CSV text (RFC 4180: quoted fields with
-- "" escapes, commas and line breaks inside quotes; CRLF, LF or CR; blank
-- lines skipped; fields trimmed of spaces and tabs; the first non-blank row is
-- the header, its names matched case-insensitively; date and amount columns
-- required, reference and payer optional unless named in `columns`). Rows are
-- numbered as records in the text, the header being row 1. Amounts like
-- 1234.50 / -12.00 (at most the currency's minor-unit decimals), dates in
-- date_format and not in the future. Any bad row is FL602 'csv' naming the
-- row and column. Stores the statement and its new lines (known lines, by
-- fingerprint, are not stored again) and proposes a match for each new line
-- without writing payments:
--   exact            an invoice number in the reference (statement currency)
--                    whose balance due equals the amount;
--   partial          else such an invoice with another balance (an open one
--                    preferred, then the lowest id);
--   customer_amount  else a customer whose name equals the payer
--                    (case-insensitive) with an open invoice whose balance
--                    equals the amount (oldest due first);
--   unmatched        else; also every outgoing (negative, reason 'outgoing')
--                    or zero (reason 'zero') line.
-- -> reconcile_statement_json.
CREATE FUNCTION reconcile_import(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    s settings;
    csv text := p->>'csv';
    fmt text := coalesce(p->>'date_format', 'YYYY-MM-DD');
    cur text;
    m int;
    today date;
    wanted text[];
    given boolean[];
    keys text[] := ARRAY['date', 'amount', 'reference', 'payer'];
    idx int[] := ARRAY[NULL, NULL, NULL, NULL]::int[];
    parsed jsonb;
    hdr jsonb;
    hdr_names text[];
    bad jsonb;
    k int;
    j int;
    err text;
    lines_in statement_row[];
    st bank_statements;
BEGIN
    SELECT * INTO s FROM settings;
    IF left(csv, 1) = chr(65279) THEN
        csv := substr(csv, 2);   -- a UTF-8 byte order mark
    END IF;
    IF csv IS NULL OR btrim(csv, E' \t\r\n') = '' THEN
        PERFORM fail('FL602', 'csv is empty', 'csv');
    END IF;
    IF fmt NOT IN ('YYYY-MM-DD', 'DD/MM/YYYY', 'MM/DD/YYYY') THEN
        PERFORM fail('FL602', 'date_format must be YYYY-MM-DD, DD/MM/YYYY or MM/DD/YYYY', 'date_format');
    END IF;
    cur := check_currency(coalesce(p->>'currency', s.currency));
    m := minor_units(cur);
    today := (now() AT TIME ZONE s.timezone)::date;
    IF p->'columns' IS NOT NULL AND jsonb_typeof(p->'columns') NOT IN ('object', 'null') THEN
        PERFORM fail('FL602', 'columns must be an object', 'columns');
    END IF;
    FOR k IN 1..4 LOOP
        wanted[k] := lower(btrim(coalesce(p->'columns'->>keys[k], keys[k])));
        given[k] := p->'columns'->>keys[k] IS NOT NULL;
        IF wanted[k] = '' THEN
            PERFORM fail('FL602', format('column name for %s must not be blank', keys[k]), 'columns.' || keys[k]);
        END IF;
    END LOOP;

    -- Tokens: a quoted field, a run of unquoted text, a comma, a line break, or
    -- a stray quote (malformed). Every character starts a token, so the tokens
    -- cover the text; the row of a token counts the line breaks before it, its
    -- field the commas before it in its row. A cell with a stray quote or more
    -- than one text token (text after a closing quote) is malformed.
    WITH tok AS (
        SELECT x.o, x.t[1] AS tok
          FROM regexp_matches(csv, '"(?:[^"]|"")*"|[^,"\r\n]+|,|\r\n|\n|\r|"', 'g') WITH ORDINALITY AS x(t, o)),
    r AS (
        SELECT tok.o, tok.tok,
               CASE WHEN tok.tok IN (E'\r\n', E'\n', E'\r') THEN 'nl' WHEN tok.tok = ',' THEN 'sep'
                    WHEN tok.tok = '"' THEN 'bad' WHEN left(tok.tok, 1) = '"' THEN 'q' ELSE 'b' END AS kind,
               1 + count(*) FILTER (WHERE tok.tok IN (E'\r\n', E'\n', E'\r'))
                     OVER (ORDER BY tok.o ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS row_no
          FROM tok),
    f AS (
        SELECT r.o, r.tok, r.kind, r.row_no,
               1 + count(*) FILTER (WHERE r.kind = 'sep')
                     OVER (PARTITION BY r.row_no ORDER BY r.o ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS field_no
          FROM r WHERE r.kind <> 'nl'),
    cell AS (
        SELECT f.row_no, f.field_no, count(*) > 1 OR bool_or(f.kind = 'bad') AS bad,
               btrim(string_agg(CASE f.kind WHEN 'q' THEN replace(substr(f.tok, 2, length(f.tok) - 2), '""', '"')
                                            ELSE f.tok END, '' ORDER BY f.o), E' \t') AS v
          FROM f WHERE f.kind <> 'sep' GROUP BY f.row_no, f.field_no),
    rw AS (
        SELECT f.row_no, max(f.field_no + (f.kind = 'sep')::int) AS nf FROM f GROUP BY f.row_no),
    rowz AS (
        SELECT rw.row_no, rw.nf,
               coalesce(jsonb_object_agg(cell.field_no::text, cell.v) FILTER (WHERE cell.field_no IS NOT NULL), '{}') AS cells,
               min(cell.field_no) FILTER (WHERE cell.bad) AS bad_field
          FROM rw LEFT JOIN cell ON cell.row_no = rw.row_no
         GROUP BY rw.row_no, rw.nf)
    SELECT jsonb_agg(jsonb_build_array(rowz.row_no, rowz.nf, rowz.cells, rowz.bad_field) ORDER BY rowz.row_no)
      INTO parsed
      FROM rowz
     WHERE NOT (rowz.nf = 1 AND coalesce(rowz.cells->>'1', '') = '' AND rowz.bad_field IS NULL);

    IF parsed IS NULL THEN
        PERFORM fail('FL602', 'the CSV has no header row', 'csv');
    END IF;
    hdr := parsed->0;
    SELECT array_agg(lower(hdr->2->>g::text) ORDER BY g) INTO hdr_names FROM generate_series(1, (hdr->>1)::int) g;
    SELECT x.v INTO bad FROM jsonb_array_elements(parsed) WITH ORDINALITY AS x(v, o) WHERE x.v->>3 IS NOT NULL
     ORDER BY x.o LIMIT 1;
    IF bad IS NOT NULL THEN
        PERFORM fail('FL602', format('row %s, column %s: malformed quoted field (a stray quote, or text after a closing quote)',
                                     bad->>0, coalesce(hdr_names[(bad->>3)::int], '#' || (bad->>3))), 'csv');
    END IF;
    FOR k IN 1..4 LOOP
        idx[k] := array_position(hdr_names, wanted[k]);
        IF idx[k] IS NULL AND (k <= 2 OR given[k]) THEN
            PERFORM fail('FL602', format('the CSV header (row %s) has no column "%s"', hdr->>0, wanted[k]),
                         CASE WHEN given[k] THEN 'columns.' || keys[k] ELSE 'csv' END);
        END IF;
    END LOOP;
    IF jsonb_array_length(parsed) - 1 > 100000 THEN
        PERFORM fail('FL602', 'a statement holds at most 100000 rows', 'csv');
    END IF;

    -- Data rows: values, checks (first bad row wins), fingerprints.
    WITH d AS (
        SELECT (e.r->>0)::int AS row_no, (e.r->>1)::int AS nf,
               e.r->2->>idx[1]::text AS s_date, e.r->2->>idx[2]::text AS s_amount,
               nullif(e.r->2->>idx[3]::text, '') AS s_ref, nullif(e.r->2->>idx[4]::text, '') AS s_payer
          FROM jsonb_array_elements(parsed) WITH ORDINALITY AS e(r, o)
         WHERE e.o > 1),
    x AS (
        SELECT d.*, parse_statement_date(d.s_date, fmt) AS dt,
               CASE WHEN d.s_amount ~ '^[+-]?[0-9]{1,13}(\.[0-9]+)?$' THEN d.s_amount::numeric END AS amt
          FROM d),
    chk AS (
        SELECT x.*,
               CASE
                 WHEN x.nf < greatest(idx[1], idx[2], idx[3], idx[4])
                   THEN format('row %s has %s fields but the header has a column "%s" at position %s', x.row_no, x.nf,
                               hdr_names[greatest(idx[1], idx[2], idx[3], idx[4])], greatest(idx[1], idx[2], idx[3], idx[4]))
                 WHEN x.dt IS NULL
                   THEN format('row %s, column %s: "%s" is not a date in format %s', x.row_no, wanted[1],
                               coalesce(x.s_date, ''), fmt)
                 WHEN x.dt > today
                   THEN format('row %s, column %s: %s is in the future', x.row_no, wanted[1], date_text(x.dt))
                 WHEN x.amt IS NULL
                   THEN format('row %s, column %s: "%s" is not an amount like 1234.50 or -12.00', x.row_no, wanted[2],
                               coalesce(x.s_amount, ''))
                 WHEN x.amt <> round(x.amt, m)
                   THEN format('row %s, column %s: %s has more decimals than %s allows (%s)', x.row_no, wanted[2],
                               x.s_amount, cur, m)
                 WHEN length(x.s_ref) > 500
                   THEN format('row %s, column %s: longer than 500 characters', x.row_no, wanted[3])
                 WHEN length(x.s_payer) > 200
                   THEN format('row %s, column %s: longer than 200 characters', x.row_no, wanted[4])
               END AS err
          FROM x),
    fp AS (
        SELECT chk.*, row_number() OVER (PARTITION BY chk.dt, chk.amt, chk.s_ref, chk.s_payer ORDER BY chk.row_no) AS occ
          FROM chk)
    SELECT (array_agg(fp.err ORDER BY fp.row_no) FILTER (WHERE fp.err IS NOT NULL))[1],
           array_agg(ROW(fp.row_no, fp.dt, fp.amt, fp.s_ref, fp.s_payer, fp.occ,
                         encode(sha256(convert_to(jsonb_build_array(cur, date_text(fp.dt), money_text(fp.amt, m), fp.s_ref,
                                                                    fp.s_payer, fp.occ)::text, 'UTF8')), 'hex')
                        )::statement_row ORDER BY fp.row_no)
      INTO err, lines_in
      FROM fp;
    IF err IS NOT NULL THEN
        PERFORM fail('FL602', err, 'csv');
    END IF;

    INSERT INTO bank_statements (currency, date_format, columns, row_count, imported_by)
    VALUES (cur, fmt, jsonb_build_object('date', wanted[1], 'amount', wanted[2],
                                         'reference', CASE WHEN idx[3] IS NOT NULL THEN wanted[3] END,
                                         'payer', CASE WHEN idx[4] IS NOT NULL THEN wanted[4] END),
            coalesce(cardinality(lines_in), 0), current_uid())
    RETURNING * INTO st;

    -- New lines with their proposed match (lines already known keep theirs).
    INSERT INTO bank_statement_lines (statement_id, row_no, fingerprint, occurrence, line_date, amount, currency,
                                      reference, payer, match, reason, invoice_id, customer_id)
    SELECT st.id, r.row_no, r.fingerprint, r.occurrence, r.line_date, r.amount, cur, r.reference, r.payer,
           CASE WHEN nm.id IS NOT NULL AND nm.bal = r.amount THEN 'exact'
                WHEN nm.id IS NOT NULL THEN 'partial'
                WHEN ca.id IS NOT NULL THEN 'customer_amount'
                ELSE 'unmatched' END,
           CASE WHEN r.amount < 0 THEN 'outgoing' WHEN r.amount = 0 THEN 'zero' END,
           coalesce(nm.id, ca.id), coalesce(nm.customer_id, ca.customer_id)
      FROM unnest(lines_in) r
      LEFT JOIN LATERAL (
          SELECT i.id, i.customer_id, i.total - i.amount_paid - i.credited AS bal
            FROM invoices i
           WHERE r.amount > 0 AND r.reference IS NOT NULL AND upper(i.number) = ANY (reference_tokens(r.reference))
             AND i.currency = cur
           ORDER BY i.total - i.amount_paid - i.credited = r.amount DESC,
                    i.status IN ('issued', 'sent', 'partially_paid') DESC, i.id
           LIMIT 1) nm ON true
      LEFT JOIN LATERAL (
          SELECT i.id, i.customer_id
            FROM customers c JOIN invoices i ON i.customer_id = c.id
           WHERE nm.id IS NULL AND r.amount > 0 AND r.payer IS NOT NULL AND lower(c.name) = lower(r.payer)
             AND i.status IN ('issued', 'sent', 'partially_paid') AND i.currency = cur
             AND i.total - i.amount_paid - i.credited = r.amount
           ORDER BY i.due_date, i.issue_date, i.id
           LIMIT 1) ca ON true
     WHERE NOT EXISTS (SELECT 1 FROM bank_statement_lines l WHERE l.fingerprint = r.fingerprint)
     ORDER BY r.row_no
    ON CONFLICT (fingerprint) DO NOTHING;

    INSERT INTO bank_statement_entries (statement_id, row_no, line_id, known)
    SELECT st.id, r.row_no, l.id, l.statement_id <> st.id
      FROM unnest(lines_in) r JOIN bank_statement_lines l ON l.fingerprint = r.fingerprint
     ORDER BY r.row_no;

    PERFORM audit('bank_statement', st.id, jsonb_build_object(
        'rows', st.row_count, 'currency', cur,
        'new', (SELECT count(*) FROM bank_statement_entries WHERE statement_id = st.id AND NOT known)));
    RETURN reconcile_statement_json(st);
END
$$;

-- reconcile.get {statement_id} -> reconcile_statement_json.
CREATE FUNCTION reconcile_get(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE st bank_statements;
BEGIN
    SELECT * INTO st FROM bank_statements WHERE id = (p->>'statement_id')::bigint;
    IF st.id IS NULL THEN
        PERFORM fail('FL002', format('statement %s not found', p->>'statement_id'), 'statement_id');
    END IF;
    RETURN reconcile_statement_json(st);
END
$$;

-- reconcile.confirm {statement_id, line_ids?}: records, in this one
-- transaction, a payment for every line of the statement (or only the listed
-- ones; a line not in the statement is FL002 'line_ids[i]') that has a match
-- and no payment yet: method bank_transfer, reference/payer from the line,
-- received_on = the line's date, statement_line_id set, allocated to the
-- matched invoice up to its current balance (none if it is no longer open),
-- the rest unapplied; discrepancies as for payment.record with explicit
-- allocations. Lines are locked, so confirming twice (or concurrently)
-- records each line once. -> {payments: [payment objects], confirmed, skipped}.
CREATE FUNCTION reconcile_confirm(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    st bank_statements;
    ids bigint[];
    missing int;
    l record;
    c customers;
    allocs payment_alloc[];
    pids bigint[] := '{}';
BEGIN
    SELECT * INTO st FROM bank_statements WHERE id = (p->>'statement_id')::bigint;
    IF st.id IS NULL THEN
        PERFORM fail('FL002', format('statement %s not found', p->>'statement_id'), 'statement_id');
    END IF;
    IF p->'line_ids' IS NOT NULL AND p->'line_ids' <> 'null' THEN
        IF jsonb_typeof(p->'line_ids') <> 'array' THEN
            PERFORM fail('FL602', 'line_ids must be an array of line ids', 'line_ids');
        END IF;
        SELECT min(e.n) INTO missing
          FROM jsonb_array_elements_text(p->'line_ids') WITH ORDINALITY AS e(v, n)
         WHERE NOT EXISTS (SELECT 1 FROM bank_statement_entries en
                            WHERE en.statement_id = st.id
                              AND en.line_id = CASE WHEN e.v ~ '^[0-9]{1,18}$' THEN e.v::bigint END);
        IF missing IS NOT NULL THEN
            PERFORM fail('FL002', format('line %s is not a line of statement %s', p->'line_ids'->>(missing - 1), st.id),
                         format('line_ids[%s]', missing - 1));
        END IF;
        SELECT coalesce(array_agg(DISTINCT e.v::bigint), '{}') INTO ids FROM jsonb_array_elements_text(p->'line_ids') AS e(v);
    ELSE
        SELECT coalesce(array_agg(en.line_id), '{}') INTO ids FROM bank_statement_entries en WHERE en.statement_id = st.id;
    END IF;

    PERFORM 1 FROM bank_statement_lines WHERE id = ANY (ids) ORDER BY id FOR UPDATE;
    PERFORM 1 FROM invoices
     WHERE id IN (SELECT bl.invoice_id FROM bank_statement_lines bl
                   WHERE bl.id = ANY (ids) AND bl.match <> 'unmatched' AND bl.invoice_id IS NOT NULL
                     AND NOT EXISTS (SELECT 1 FROM payments pm WHERE pm.statement_line_id = bl.id))
     ORDER BY id FOR NO KEY UPDATE;
    FOR l IN
        SELECT bl.*, en.row_no AS entry_row
          FROM bank_statement_lines bl
          JOIN bank_statement_entries en ON en.line_id = bl.id AND en.statement_id = st.id
         WHERE bl.id = ANY (ids) AND bl.match <> 'unmatched'
           AND NOT EXISTS (SELECT 1 FROM payments pm WHERE pm.statement_line_id = bl.id)
         ORDER BY en.row_no
    LOOP
        SELECT * INTO c FROM customers WHERE id = l.customer_id;
        SELECT coalesce(array_agg(ROW(i.id, least(l.amount, i.total - i.amount_paid - i.credited))::payment_alloc), '{}')
          INTO allocs
          FROM invoices i
         WHERE i.id = l.invoice_id AND i.customer_id = l.customer_id AND i.currency = l.currency
           AND i.status IN ('issued', 'sent', 'partially_paid') AND i.total - i.amount_paid - i.credited > 0;
        pids := pids || payment_write(c, l.currency, l.amount, l.line_date, 'bank_transfer', l.reference, l.payer,
                                      l.id, allocs, l.line_date);
    END LOOP;
    PERFORM audit('bank_statement', st.id, jsonb_build_object('confirmed', cardinality(pids), 'payments', pids));
    RETURN jsonb_build_object(
        'payments', coalesce((SELECT jsonb_agg(payment_json(pm) ORDER BY x.o)
                                FROM unnest(pids) WITH ORDINALITY AS x(id, o) JOIN payments pm ON pm.id = x.id), '[]'),
        'confirmed', cardinality(pids),
        'skipped', cardinality(ids) - cardinality(pids));
END
$$;

-------------------------------------------------------------------------------
-- Disputes and the invoice communication log
-------------------------------------------------------------------------------

-- The invoice's latest dispute or dispute_resolved event (all NULL when none):
-- the invoice is disputed when its kind is 'dispute'.
CREATE FUNCTION invoice_dispute_event(p_invoice_id bigint) RETURNS invoice_events
LANGUAGE plpgsql STABLE AS $$
DECLARE e invoice_events;
BEGIN
    SELECT * INTO e FROM invoice_events
     WHERE invoice_id = p_invoice_id AND kind IN ('dispute', 'dispute_resolved')
     ORDER BY id DESC LIMIT 1;
    RETURN e;
END
$$;

-- Payment and dispute fields of the full invoice object: disputed, dispute
-- (null or {reason, opened_at, opened_by}), events [{id, kind, text, uid, at}
-- (dispute_resolved events also carry resolution and credit_note_id)], and
-- allocations [{id, payment_id, amount, allocated_on, reversed_on}].
CREATE FUNCTION invoice_extra_json(i invoices) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE de invoice_events := invoice_dispute_event(i.id);
BEGIN
    RETURN jsonb_build_object(
        'disputed', coalesce(de.kind = 'dispute', false),
        'dispute', CASE WHEN de.kind = 'dispute'
                        THEN jsonb_build_object('reason', de.text, 'opened_at', ts_text(de.at), 'opened_by', de.uid) END,
        'events', coalesce((
            SELECT jsonb_agg(jsonb_build_object('id', e.id, 'kind', e.kind, 'text', e.text, 'uid', e.uid, 'at', ts_text(e.at))
                             || CASE WHEN e.kind = 'dispute_resolved'
                                     THEN jsonb_build_object('resolution', e.resolution, 'credit_note_id', e.credit_note_id)
                                     ELSE '{}'::jsonb END
                             ORDER BY e.id)
              FROM invoice_events e WHERE e.invoice_id = i.id), '[]'),
        'allocations', coalesce((
            SELECT jsonb_agg(jsonb_build_object('id', a.id, 'payment_id', a.payment_id,
                                                'amount', money_text(a.amount, minor_units(i.currency)),
                                                'allocated_on', date_text(a.allocated_on),
                                                'reversed_on', date_text(a.reversed_on)) ORDER BY a.id)
              FROM payment_allocations a WHERE a.invoice_id = i.id), '[]'));
END
$$;

-- Full invoice result (invoice.get and the dispute/note methods): as in 0002,
-- plus invoice_extra_json.
CREATE OR REPLACE FUNCTION invoice_full_json(i invoices) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT invoice_json(i, (SELECT c.name FROM customers c WHERE c.id = i.customer_id),
                        lines_json(invoice_lines_of(i.id), minor_units(i.currency)), tenant_today())
           || invoice_extra_json(i)
$$;

-- The params key an invoice was given by (for error fields).
CREATE FUNCTION invoice_key(p jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p->>'id' IS NOT NULL THEN 'id' ELSE 'number' END
$$;

-- invoice.dispute {id | number, reason}: issued, not void invoices only
-- (FL003), not already disputed (FL003). -> invoice.
CREATE FUNCTION invoice_dispute(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    i invoices := invoice_find(p, true);
    reason text := req_text(p->>'reason', 'reason', 2000);
    de invoice_events;
BEGIN
    IF i.status = 'draft' THEN
        PERFORM fail('FL003', format('invoice %s is a draft; only issued invoices can be disputed', i.id), invoice_key(p));
    ELSIF i.status = 'void' THEN
        PERFORM fail('FL003', format('invoice %s is void and cannot be disputed', i.number), invoice_key(p));
    END IF;
    de := invoice_dispute_event(i.id);
    IF de.kind = 'dispute' THEN
        PERFORM fail('FL003', format('invoice %s is already disputed (since %s)', i.number, ts_text(de.at)), invoice_key(p));
    END IF;
    INSERT INTO invoice_events (invoice_id, kind, text, uid) VALUES (i.id, 'dispute', reason, current_uid())
    RETURNING * INTO de;
    PERFORM audit('invoice', i.id, jsonb_build_object('event', 'dispute', 'event_id', de.id, 'reason', reason));
    RETURN invoice_full_json(i);
END
$$;

-- invoice.resolve_dispute {id | number, resolution: 'credited' | 'confirmed',
-- note?, credit_note_id?}: the invoice must be disputed (FL003; a dispute
-- stays resolvable after the invoice was voided). 'credited' needs a credit
-- note of this invoice: credit_note_id (FL002 unknown, FL003 another
-- invoice's) or else the invoice's latest (FL003 'credit_note_id' when it has
-- none); credit_note_id with 'confirmed' is FL602. The event's text is the
-- note, or a generated one. -> invoice.
CREATE FUNCTION invoice_resolve_dispute(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    i invoices;
    res text := p->>'resolution';
    note text;
    cn credit_notes;
    de invoice_events;
BEGIN
    IF res IS NULL OR res NOT IN ('credited', 'confirmed') THEN
        PERFORM fail('FL602', 'resolution must be credited or confirmed', 'resolution');
    END IF;
    IF res = 'confirmed' AND p->>'credit_note_id' IS NOT NULL THEN
        PERFORM fail('FL602', 'credit_note_id only goes with resolution credited', 'credit_note_id');
    END IF;
    note := check_text(p->>'note', 'note', 2000, false);
    i := invoice_find(p, true);
    de := invoice_dispute_event(i.id);
    IF de.kind IS DISTINCT FROM 'dispute' THEN
        PERFORM fail('FL003', format('invoice %s is not disputed', coalesce(i.number, i.id::text)), invoice_key(p));
    END IF;
    IF res = 'credited' THEN
        IF p->>'credit_note_id' IS NOT NULL THEN
            SELECT * INTO cn FROM credit_notes WHERE id = (p->>'credit_note_id')::bigint;
            IF cn.id IS NULL THEN
                PERFORM fail('FL002', format('credit note %s not found', p->>'credit_note_id'), 'credit_note_id');
            ELSIF cn.invoice_id <> i.id THEN
                PERFORM fail('FL003', format('credit note %s is for invoice %s, not %s', cn.number, cn.invoice_number,
                                             i.number), 'credit_note_id');
            END IF;
        ELSE
            SELECT * INTO cn FROM credit_notes WHERE invoice_id = i.id ORDER BY id DESC LIMIT 1;
            IF cn.id IS NULL THEN
                PERFORM fail('FL003', format('invoice %s has no credit note; issue one (credit_note.create) first', i.number),
                             'credit_note_id');
            END IF;
        END IF;
    END IF;
    INSERT INTO invoice_events (invoice_id, kind, text, uid, resolution, credit_note_id)
    VALUES (i.id, 'dispute_resolved',
            coalesce(note, CASE WHEN res = 'credited' THEN format('credited by credit note %s', cn.number)
                                ELSE 'confirmed as correct' END),
            current_uid(), res, cn.id)
    RETURNING * INTO de;
    PERFORM audit('invoice', i.id, jsonb_build_object('event', 'dispute_resolved', 'event_id', de.id,
                                                      'resolution', res, 'credit_note_id', cn.id));
    RETURN invoice_full_json(i);
END
$$;

-- invoice.note {id | number, text}: appends a note (any status). -> invoice.
CREATE FUNCTION invoice_note(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    i invoices := invoice_find(p, false);
    t text := req_text(p->>'text', 'text', 10000);
    ev invoice_events;
BEGIN
    INSERT INTO invoice_events (invoice_id, kind, text, uid) VALUES (i.id, 'note', t, current_uid()) RETURNING * INTO ev;
    PERFORM audit('invoice', i.id, jsonb_build_object('event', 'note', 'event_id', ev.id));
    RETURN invoice_full_json(i);
END
$$;

-------------------------------------------------------------------------------
-- Customer balance
-------------------------------------------------------------------------------

-- balance: sum of the customer's open invoices' balance_due, credit: sum of
-- the unapplied amounts of its payments, both in the tenant's currency;
-- balances: the same per currency [{currency, balance, credit}] (by code).
CREATE FUNCTION customer_balance_json(p_customer_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (WITH inv AS (
        SELECT i.currency, sum(i.total - i.amount_paid - i.credited) AS balance
          FROM invoices i
         WHERE i.customer_id = p_customer_id AND i.status IN ('issued', 'sent', 'partially_paid')
         GROUP BY i.currency),
    cr AS (
        SELECT pm.currency, sum(pm.unapplied) AS credit
          FROM payments pm WHERE pm.customer_id = p_customer_id AND pm.unapplied > 0
         GROUP BY pm.currency),
    t AS (
        SELECT coalesce(inv.currency, cr.currency) AS currency, coalesce(inv.balance, 0) AS balance,
               coalesce(cr.credit, 0) AS credit
          FROM inv FULL JOIN cr ON cr.currency = inv.currency)
    SELECT jsonb_build_object(
        'balance', money_text(coalesce((SELECT t.balance FROM t WHERE t.currency = s.currency), 0), minor_units(s.currency)),
        'credit', money_text(coalesce((SELECT t.credit FROM t WHERE t.currency = s.currency), 0), minor_units(s.currency)),
        'balances', coalesce((SELECT jsonb_agg(jsonb_build_object('currency', t.currency,
                                                                  'balance', money_text(t.balance, minor_units(t.currency)),
                                                                  'credit', money_text(t.credit, minor_units(t.currency)))
                                               ORDER BY t.currency) FROM t), '[]'))
      FROM settings s);
END
$$;

-- customer.get {id}: as in 0002, plus customer_balance_json.
CREATE OR REPLACE FUNCTION customer_get(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE c customers;
BEGIN
    SELECT * INTO c FROM customers WHERE id = (p->>'id')::bigint;
    IF c.id IS NULL THEN
        PERFORM fail('FL002', format('customer %s not found', p->>'id'), 'id');
    END IF;
    RETURN customer_json(c) || customer_balance_json(c.id);
END
$$;

-------------------------------------------------------------------------------
-- audit.verify, extended
-------------------------------------------------------------------------------

-- 0002's verifier (numbering, totals, hash chains, series, credits) keeps
-- running unchanged under this name; audit_verify adds the payment checks.
ALTER FUNCTION audit_verify(jsonb) RENAME TO audit_verify_documents;

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
CREATE FUNCTION audit_verify(p jsonb) RETURNS jsonb
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

-------------------------------------------------------------------------------
-- Idempotency key retention
-------------------------------------------------------------------------------

-- Deletes this tenant's idempotency keys older than 7 days (the contract keeps
-- them at least that long); returns how many. Called periodically by the server.
CREATE FUNCTION idempotency_purge() RETURNS int
LANGUAGE plpgsql AS $$
DECLARE n int;
BEGIN
    DELETE FROM idempotency_keys WHERE created_at < now() - interval '7 days';
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
-- Pinned to this schema, so the server may call <schema>.idempotency_purge()
-- without entering the tenant.
DO $pin$
BEGIN
    EXECUTE format('ALTER FUNCTION idempotency_purge() SET search_path = %I', current_schema());
END
$pin$;

-------------------------------------------------------------------------------
-- Privileges of the tenant role. History tables get SELECT, INSERT only (plus
-- UPDATE where a row lock or a guarded change needs it; the triggers above
-- keep them honest).
-------------------------------------------------------------------------------
GRANT SELECT, INSERT, UPDATE ON payments, payment_allocations, discrepancies TO {{tenant_role}};
GRANT SELECT, INSERT ON refunds, invoice_events, bank_statements, bank_statement_entries TO {{tenant_role}};
-- UPDATE only for the row locks of reconcile.confirm (the lines are append-only).
GRANT SELECT, INSERT, UPDATE ON bank_statement_lines TO {{tenant_role}};
