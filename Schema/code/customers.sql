-- Result object of a customer.
CREATE OR REPLACE FUNCTION customer_json(c record) RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN jsonb_build_object('id', c.id, 'name', c.name, 'email', c.email, 'phone', c.phone,
                       'billing_address', c.billing_address, 'shipping_address', c.shipping_address,
                       'payment_terms_days', c.payment_terms_days, 'tax_id', c.tax_id, 'notes', c.notes,
                       'archived', c.archived, 'created_at', ts_text(c.created_at),
                       'updated_at', ts_text(c.updated_at));
END
$$;

-- customer.create {name, email?, phone?, billing_address?, shipping_address?,
-- payment_terms_days?, tax_id?, notes?}.
CREATE OR REPLACE FUNCTION customer_create(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE c record;
BEGIN
    INSERT INTO customers (name, email, phone, billing_address, shipping_address, payment_terms_days, tax_id, notes)
    VALUES (req_text(p->>'name', 'name', 200),
            check_email(p->>'email', 'email'),
            check_text(p->>'phone', 'phone', 64),
            check_address(p->'billing_address', 'billing_address'),
            check_address(p->'shipping_address', 'shipping_address'),
            check_terms((p->>'payment_terms_days')::int, 'payment_terms_days'),
            check_text(p->>'tax_id', 'tax_id', 50),
            check_text(p->>'notes', 'notes', 10000))
    RETURNING * INTO c;
    PERFORM audit('customer', c.id, p);
    RETURN customer_json(c);
END
$$;

-- customer.update {id, ...create fields}: present fields are set, JSON null
-- clears an optional field (name cannot be cleared).
CREATE OR REPLACE FUNCTION customer_update(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE c record;
BEGIN
    UPDATE customers SET
        name = CASE WHEN p ? 'name' THEN req_text(p->>'name', 'name', 200) ELSE name END,
        email = CASE WHEN p ? 'email' THEN check_email(p->>'email', 'email') ELSE email END,
        phone = CASE WHEN p ? 'phone' THEN check_text(p->>'phone', 'phone', 64) ELSE phone END,
        billing_address = CASE WHEN p ? 'billing_address'
                               THEN check_address(p->'billing_address', 'billing_address') ELSE billing_address END,
        shipping_address = CASE WHEN p ? 'shipping_address'
                                THEN check_address(p->'shipping_address', 'shipping_address') ELSE shipping_address END,
        payment_terms_days = CASE WHEN p ? 'payment_terms_days'
                                  THEN check_terms((p->>'payment_terms_days')::int, 'payment_terms_days')
                                  ELSE payment_terms_days END,
        tax_id = CASE WHEN p ? 'tax_id' THEN check_text(p->>'tax_id', 'tax_id', 50) ELSE tax_id END,
        notes = CASE WHEN p ? 'notes' THEN check_text(p->>'notes', 'notes', 10000) ELSE notes END,
        updated_at = now()
    WHERE id = (p->>'id')::bigint
    RETURNING * INTO c;
    IF c.id IS NULL THEN
        PERFORM fail('FL002', format('customer %s not found', p->>'id'), 'id');
    END IF;
    PERFORM audit('customer', c.id, p - 'id');
    RETURN customer_json(c);
END
$$;

-- customer.archive {id}: idempotent; existing invoices are untouched.
CREATE OR REPLACE FUNCTION customer_archive(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE c record;
BEGIN
    UPDATE customers SET archived = true, updated_at = now() WHERE id = (p->>'id')::bigint RETURNING * INTO c;
    IF c.id IS NULL THEN
        PERFORM fail('FL002', format('customer %s not found', p->>'id'), 'id');
    END IF;
    PERFORM audit('customer', c.id, '{"archived": true}');
    RETURN customer_json(c);
END
$$;

-- customer.list {limit?, cursor?, search?, include_archived?}: search is a
-- case-insensitive substring of name or email; archived customers only when
-- include_archived is true.
CREATE OR REPLACE FUNCTION customer_list(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    lim int := page_limit(p);
    after bigint := page_after(p);
    pat text := CASE WHEN p->>'search' IS NOT NULL AND p->>'search' <> '' THEN like_pattern(p->>'search') END;
    arch boolean := coalesce((p->>'include_archived')::boolean, false);
    res jsonb;
    nxt text;
BEGIN
    SELECT coalesce(jsonb_agg(customer_json(r.c) ORDER BY r.k) FILTER (WHERE r.k <= lim), '[]'),
           CASE WHEN count(*) > lim THEN max((r.c).id) FILTER (WHERE r.k <= lim)::text END
      INTO res, nxt
      FROM (SELECT c, row_number() OVER (ORDER BY c.id) AS k
              FROM customers c
             WHERE c.id > after
               AND (arch OR NOT c.archived)
               AND (pat IS NULL OR c.name ILIKE pat OR c.email ILIKE pat)
             ORDER BY c.id LIMIT lim + 1) r;
    RETURN jsonb_build_object('items', res, 'next_cursor', nxt);
END
$$;

-- balance: sum of the customer's open invoices' balance_due, credit: sum of
-- the unapplied amounts of its payments, both in the tenant's currency;
-- balances: the same per currency [{currency, balance, credit}] (by code).
CREATE OR REPLACE FUNCTION customer_balance_json(p_customer_id bigint) RETURNS jsonb
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
        'balance', money_text(coalesce((SELECT t.balance FROM t WHERE t.currency = s.currency), 0), currency_decimals(s.currency)),
        'credit', money_text(coalesce((SELECT t.credit FROM t WHERE t.currency = s.currency), 0), currency_decimals(s.currency)),
        'balances', coalesce((SELECT jsonb_agg(jsonb_build_object('currency', t.currency,
                                                                  'balance', money_text(t.balance, currency_decimals(t.currency)),
                                                                  'credit', money_text(t.credit, currency_decimals(t.currency)))
                                               ORDER BY t.currency) FROM t), '[]'))
      FROM settings s);
END
$$;

-- customer.get {id}: as in 0002, plus customer_balance_json.
CREATE OR REPLACE FUNCTION customer_get(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE c record;
BEGIN
    SELECT * INTO c FROM customers WHERE id = (p->>'id')::bigint;
    IF c.id IS NULL THEN
        PERFORM fail('FL002', format('customer %s not found', p->>'id'), 'id');
    END IF;
    RETURN customer_json(c) || customer_balance_json(c.id);
END
$$;
