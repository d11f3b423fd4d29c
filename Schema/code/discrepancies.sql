-- discrepancy.list {status?, customer_id?, payment_id?, kind?, limit?,
-- cursor?}: discrepancy objects by id.
CREATE OR REPLACE FUNCTION discrepancy_list(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    lim int := page_limit(p);
    q text := 'SELECT d FROM discrepancies d WHERE d.id > $1';
    res jsonb;
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
        SELECT coalesce(jsonb_agg(discrepancy_json(r.d, i.number) ORDER BY (r.d).id), '[]')
          FROM (%s) r LEFT JOIN invoices i ON i.id = (r.d).invoice_id $q$, q)
       INTO res
      USING page_after(p), p->>'status', (p->>'customer_id')::bigint, (p->>'payment_id')::bigint, p->>'kind',
            lim + 1;
    RETURN page_of(res, lim);
END
$$;

-- discrepancy.get {id}.
CREATE OR REPLACE FUNCTION discrepancy_get(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE d record;
BEGIN
    SELECT * INTO d FROM discrepancies WHERE id = (p->>'id')::bigint;
    IF d.id IS NULL THEN
        PERFORM fail('FL002', format('discrepancy %s not found', p->>'id'), 'id');
    END IF;
    RETURN discrepancy_json(d, (SELECT number FROM invoices WHERE id = d.invoice_id));
END
$$;

-- discrepancy.resolve {id, note}: FL003 when already resolved.
CREATE OR REPLACE FUNCTION discrepancy_resolve(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    d record;
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
