-- An invoice that may be sent (by mail or post): issued, not a draft, not void.
CREATE OR REPLACE FUNCTION dispatchable_invoice(i record) RETURNS record
LANGUAGE plpgsql AS $$
BEGIN
    IF i.status IN ('draft', 'void') THEN
        PERFORM fail('FL003', format('invoice %s is %s and cannot be sent', coalesce(i.number, i.id::text), i.status), 'id');
    END IF;
    RETURN i;
END
$$;

-- Marks an invoice sent (first time only) and recomputes its status.
CREATE OR REPLACE FUNCTION invoice_set_sent(p_id bigint) RETURNS record
LANGUAGE plpgsql AS $$
DECLARE i record;
BEGIN
    UPDATE invoices
       SET sent_at = coalesce(sent_at, now()),
           status = invoice_status(status, total, amount_paid, credited, coalesce(sent_at, now())),
           updated_at = CASE WHEN sent_at IS NULL THEN now() ELSE updated_at END
     WHERE id = p_id
    RETURNING * INTO i;
    RETURN i;
END
$$;

-- invoice.send {id? | number?, to?, kind?}: queues the invoice (or a reminder)
-- for e-mail. `to` defaults to the customer's e-mail; none is FL602 on 'to'.
CREATE OR REPLACE FUNCTION invoice_send(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    i record := dispatchable_invoice(invoice_find(p, true));
    k text := coalesce(p->>'kind', 'invoice');
    rcpt text := check_email(nullif(btrim(p->>'to'), ''), 'to');
    tenant_name text := (SELECT s.name FROM settings s);
    o record;
BEGIN
    IF k NOT IN ('invoice', 'reminder') THEN
        PERFORM fail('FL602', 'kind must be invoice or reminder', 'kind');
    END IF;
    IF rcpt IS NULL THEN
        SELECT c.email INTO rcpt FROM customers c WHERE c.id = i.customer_id;
        IF rcpt IS NULL OR btrim(rcpt) = '' THEN
            PERFORM fail('FL602', 'the customer has no e-mail address; give to', 'to');
        END IF;
    END IF;
    INSERT INTO outbox (invoice_id, kind, recipient, subject)
    VALUES (i.id, k, rcpt,
            CASE k WHEN 'invoice' THEN format('Invoice %s from %s', i.number, tenant_name)
                   ELSE format('Reminder: invoice %s from %s', i.number, tenant_name) END)
    RETURNING * INTO o;
    PERFORM audit('invoice', i.id, jsonb_build_object('queued', k, 'outbox_id', o.id, 'recipient', rcpt));
    RETURN jsonb_build_object('outbox_id', o.id, 'invoice_id', i.id, 'number', i.number,
                              'status', o.status, 'recipient', o.recipient);
END
$$;

CREATE OR REPLACE FUNCTION outbox_json(o record) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT jsonb_build_object(
        'id', o.id, 'invoice_id', o.invoice_id, 'kind', o.kind,
        'number', (SELECT i.number FROM invoices i WHERE i.id = o.invoice_id),
        'recipient', o.recipient, 'subject', o.subject, 'status', o.status, 'attempts', o.attempts,
        'next_attempt_at', CASE WHEN o.status = 'queued' THEN ts_text(o.next_attempt_at) END,
        'last_error', o.last_error, 'message_id', o.message_id,
        'created_at', ts_text(o.created_at), 'sent_at', ts_text(o.sent_at),
        'attempts_log', coalesce((SELECT jsonb_agg(jsonb_build_object('at', ts_text(a.at), 'ok', a.ok, 'error', a.error)
                                                   ORDER BY a.id)
                                    FROM dispatch_attempts a WHERE a.outbox_id = o.id), '[]')));
END
$$;

-- dispatch.list {invoice_id?, status?, limit?, cursor?}: outbox entries by id
-- with their attempts.
CREATE OR REPLACE FUNCTION dispatch_list(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    lim int := page_limit(p);
    after bigint := page_after(p);
    st text := p->>'status';
    inv bigint := (p->>'invoice_id')::bigint;
BEGIN
    IF st IS NOT NULL AND st NOT IN ('queued', 'sent', 'failed') THEN
        PERFORM fail('FL602', 'status must be queued, sent or failed', 'status');
    END IF;
    RETURN page_of((SELECT coalesce(jsonb_agg(outbox_json(o) ORDER BY o.id), '[]')
                      FROM (SELECT * FROM outbox
                             WHERE id > after AND (st IS NULL OR status = st) AND (inv IS NULL OR invoice_id = inv)
                             ORDER BY id LIMIT lim + 1) o), lim);
END
$$;

-- For the sender: claims up to `max` due queued rows (skipping rows another
-- sender holds) and leases them for `lease` so a concurrent sender leaves them
-- alone while this one delivers; a sender that dies mid-way leaves them to be
-- retried after the lease. Returns [{id, invoice_id, kind, recipient, subject,
-- attempts, invoice, tenant, customer, reminder}] (reminder: the letter's data
-- for a reminder's e-mail, see reminder_letter_json).
CREATE OR REPLACE FUNCTION outbox_claim(p_max int, p_lease interval DEFAULT '10 minutes') RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE r jsonb;
BEGIN
    WITH due AS (
        SELECT id FROM outbox
         WHERE status = 'queued' AND next_attempt_at <= now()
         ORDER BY next_attempt_at, id
         LIMIT p_max
           FOR UPDATE SKIP LOCKED
    ), claimed AS (
        UPDATE outbox o SET next_attempt_at = now() + p_lease
          FROM due WHERE o.id = due.id
        RETURNING o.*
    )
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'id', c.id, 'invoice_id', c.invoice_id, 'kind', c.kind, 'recipient', c.recipient,
               'subject', c.subject, 'attempts', c.attempts,
               'invoice', invoice_full_json(i),
               'tenant', tenant_get('{}'),
               'customer', (SELECT customer_json(cu) FROM customers cu WHERE cu.id = i.customer_id),
               'einvoice_extras', einvoice_extras(jsonb_build_object('payment_terms_text', i.payment_terms_text,
                                                                  'payment_terms_days', i.payment_terms_days)),
               'reminder', CASE WHEN c.reminder_id IS NOT NULL THEN reminder_letter_json(c.reminder_id) END)
             ORDER BY c.id), '[]')
      INTO r
      FROM claimed c JOIN invoices i ON i.id = c.invoice_id;
    RETURN r;
END
$$;

-- When this tenant's queued mail is next due (a retry, an expired lease), as
-- Unix seconds, or NULL: the sender comes back to the tenant then, unasked.
CREATE OR REPLACE FUNCTION outbox_next_due() RETURNS numeric
LANGUAGE sql STABLE AS $$
    SELECT extract(epoch FROM min(next_attempt_at)) FROM outbox WHERE status = 'queued'
$$;

-- Trigger (per statement) on outbox: new mail is announced on channel
-- folio_outbox with the tenant's schema, so the sender visits this tenant on its
-- next pass instead of visiting every tenant (delivered at commit, and only then).
CREATE OR REPLACE FUNCTION outbox_announce() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('folio_outbox', TG_TABLE_SCHEMA);
    RETURN NULL;
END
$$;

-- The mailer accepted outbox row `p_id`: record the attempt, mark it sent and
-- (for an invoice) the invoice sent.
CREATE OR REPLACE FUNCTION outbox_done(p_id bigint, p_message_id text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE o record;
BEGIN
    UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = now(), message_id = p_message_id,
                      last_error = NULL
     WHERE id = p_id AND status = 'queued'
    RETURNING * INTO o;
    IF o.id IS NULL THEN RETURN NULL; END IF;
    INSERT INTO dispatch_attempts (outbox_id, ok) VALUES (o.id, true);
    IF o.kind = 'invoice' THEN
        PERFORM invoice_set_sent(o.invoice_id);
    END IF;
    PERFORM audit('invoice', o.invoice_id, jsonb_build_object('sent', o.kind, 'outbox_id', o.id,
                                                               'recipient', o.recipient, 'message_id', p_message_id));
    RETURN outbox_json(o);
END
$$;

-- A delivery attempt failed: record it and retry after base * 2^(attempts-1)
-- (base 1 minute: 1, 2, 4, ... minutes, capped at 6 hours); after 10 attempts
-- the row is 'failed' for good.
CREATE OR REPLACE FUNCTION outbox_failed(p_id bigint, p_error text, base interval DEFAULT '1 minute') RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE o record;
BEGIN
    UPDATE outbox
       SET attempts = attempts + 1,
           last_error = left(p_error, 2000),
           status = CASE WHEN attempts + 1 >= 10 THEN 'failed' ELSE 'queued' END,
           next_attempt_at = now() + least(base * power(2, least(attempts, 20)), interval '6 hours')
     WHERE id = p_id AND status = 'queued'
    RETURNING * INTO o;
    IF o.id IS NULL THEN RETURN NULL; END IF;
    INSERT INTO dispatch_attempts (outbox_id, ok, error) VALUES (o.id, false, left(p_error, 2000));
    RETURN outbox_json(o);
END
$$;

-- invoice.mark_sent {ids}: the batch-print path, "sent by post". Each invoice
-- must be issued and not void (FL003); already sent ones keep their sent_at.
CREATE OR REPLACE FUNCTION invoice_mark_sent(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v jsonb;
    i record;
    acc jsonb := '[]';
BEGIN
    IF jsonb_typeof(p->'ids') IS DISTINCT FROM 'array' OR jsonb_array_length(p->'ids') = 0 THEN
        PERFORM fail('FL602', 'ids must be a non-empty array', 'ids');
    END IF;
    FOR v IN SELECT value FROM jsonb_array_elements(p->'ids') ORDER BY (value #>> '{}')::bigint LOOP
        i := dispatchable_invoice(invoice_find(jsonb_build_object('id', v), true));
        i := invoice_set_sent(i.id);
        PERFORM audit('invoice', i.id, jsonb_build_object('sent', 'post'));
        acc := acc || jsonb_build_object('id', i.id, 'number', i.number, 'status', i.status, 'sent_at', ts_text(i.sent_at));
    END LOOP;
    RETURN jsonb_build_object('items', acc);
END
$$;
