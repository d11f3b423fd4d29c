-- The invoice's latest dispute or dispute_resolved event (all NULL when none):
-- the invoice is disputed when its kind is 'dispute'.
CREATE OR REPLACE FUNCTION invoice_dispute_event(p_invoice_id bigint) RETURNS record
LANGUAGE plpgsql STABLE AS $$
DECLARE e record;
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
CREATE OR REPLACE FUNCTION invoice_extra_json(i record) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE de record := invoice_dispute_event(i.id);
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
                                                'amount', money_text(a.amount, currency_decimals(i.currency)),
                                                'allocated_on', date_text(a.allocated_on),
                                                'reversed_on', date_text(a.reversed_on)) ORDER BY a.id)
              FROM payment_allocations a WHERE a.invoice_id = i.id), '[]'));
END
$$;

-- Full invoice result (invoice.get and the dispute/note methods): as in 0002,
-- plus invoice_extra_json.
CREATE OR REPLACE FUNCTION invoice_full_json(i record) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT invoice_json(i, (SELECT c.name FROM customers c WHERE c.id = i.customer_id),
                        invoice_lines_json(i.id, currency_decimals(i.currency)), tenant_today())
           || invoice_extra_json(i));
END
$$;

-- The params key an invoice was given by (for error fields).
CREATE OR REPLACE FUNCTION invoice_key(p jsonb) RETURNS text
LANGUAGE sql IMMUTABLE
RETURN CASE WHEN p->>'id' IS NOT NULL THEN 'id' ELSE 'number' END;

-- invoice.dispute {id | number, reason}: issued, not void invoices only
-- (FL003), not already disputed (FL003). -> invoice.
CREATE OR REPLACE FUNCTION invoice_dispute(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    i record := invoice_find(p, true);
    reason text := req_text(p->>'reason', 'reason', 2000);
    de record;
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
CREATE OR REPLACE FUNCTION invoice_resolve_dispute(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    i record;
    res text := p->>'resolution';
    note text;
    cn record;
    de record;
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
    SELECT * INTO cn FROM credit_notes LIMIT 0;  -- a shape for cn.* below when nothing is credited
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
CREATE OR REPLACE FUNCTION invoice_note(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    i record := invoice_find(p, false);
    t text := req_text(p->>'text', 'text', 4000);
    ev record;
BEGIN
    INSERT INTO invoice_events (invoice_id, kind, text, uid) VALUES (i.id, 'note', t, current_uid()) RETURNING * INTO ev;
    PERFORM audit('invoice', i.id, jsonb_build_object('event', 'note', 'event_id', ev.id));
    RETURN invoice_full_json(i);
END
$$;
