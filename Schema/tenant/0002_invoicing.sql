-- Tenant invoicing: customers, items and stock, tax rates, invoices, credit notes,
-- gapless number series with a hash chain, and the audit verifier.
--
-- Runs like 0001_base.sql: as the table owner with search_path set to ONLY the
-- tenant schema (so every name below is unqualified and lands in that schema);
-- {{tenant_role}} is the tenant's NOLOGIN role that executes the API functions.
--
-- Conventions
--  * Every RPC method `a.b` is the function `a_b(p jsonb) RETURNS jsonb`, SECURITY
--    INVOKER, run by the tenant role in one transaction. `p` has already been
--    checked for structure by the server (no unknown fields, required fields
--    present, JSON types, decimal formats, enums); these functions do every
--    semantic check and raise through fail(): FL602 invalid params (detail = field
--    path, zero-based like `lines[2].qty`), FL002 not found, FL003 conflict.
--  * Money is `numeric`, never float. An amount is rounded to the currency's minor
--    unit (minor_units()) half away from zero (numeric round()). In results money
--    is a string with exactly the minor-unit decimals; qty and percent are shown
--    with trailing zeros trimmed; unit_price as stored (as given).
--  * Dates are 'YYYY-MM-DD', timestamps RFC 3339 UTC with microseconds.
--  * Citus schema-based sharding: all objects live in the tenant schema, keys are
--    bigint identities, foreign keys stay inside the schema, and document numbers
--    come from the number_series table, never from a sequence.
--  * Lists are ordered by id; the cursor is the last returned id as text
--    (opaque to clients); next_cursor is null on the last page.

-------------------------------------------------------------------------------
-- Small shared helpers
-------------------------------------------------------------------------------

-- Money text: exactly the currency's minor-unit decimals ("12.50", JPY "13").
CREATE FUNCTION money_text(x numeric, m int) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT round(x, m)::text $$;

-- Decimal text without trailing zeros ("1.5", "20"), for qty and percent.
CREATE FUNCTION dec_text(x numeric) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT trim_scale(x)::text $$;

-- 'YYYY-MM-DD' independent of DateStyle.
CREATE FUNCTION date_text(d date) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT to_char(d, 'YYYY-MM-DD') $$;

-- RFC 3339 timestamp in UTC, independent of the session's TimeZone.
CREATE FUNCTION ts_text(t timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

-- Today in the tenant's time zone (issue dates, overdue).
CREATE FUNCTION tenant_today() RETURNS date
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT (now() AT TIME ZONE s.timezone)::date FROM settings s);
END
$$;

-- Page size: `limit` 1..500, default 50.
CREATE FUNCTION page_limit(p jsonb) RETURNS int
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE n int := coalesce((p->>'limit')::int, 50);
BEGIN
    IF n NOT BETWEEN 1 AND 500 THEN
        PERFORM fail('FL602', 'limit must be between 1 and 500', 'limit');
    END IF;
    RETURN n;
END
$$;

-- Cursor: the last id of the previous page as text; absent = from the start.
CREATE FUNCTION page_after(p jsonb) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE c text := p->>'cursor';
BEGIN
    IF c IS NULL THEN RETURN 0; END IF;
    IF c !~ '^[0-9]{1,18}$' THEN
        PERFORM fail('FL602', 'cursor is not a cursor returned by this list', 'cursor');
    END IF;
    RETURN c::bigint;
END
$$;

-- Substring pattern for ILIKE with %, _ and \ in the search text taken literally.
CREATE FUNCTION like_pattern(s text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT '%' || regexp_replace(s, '([\\%_])', '\\\1', 'g') || '%'
$$;

-- Checks an optional text value: NULL passes; longer than maxlen (or blank when
-- not allow_blank) is FL602 on `field`.
CREATE FUNCTION check_text(v text, field text, maxlen int, allow_blank boolean DEFAULT true) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF v IS NOT NULL THEN
        IF length(v) > maxlen THEN
            PERFORM fail('FL602', format('%s must be at most %s characters', field, maxlen), field);
        END IF;
        IF NOT allow_blank AND btrim(v) = '' THEN
            PERFORM fail('FL602', format('%s must not be blank', field), field);
        END IF;
    END IF;
    RETURN v;
END
$$;

-- Required non-blank text.
CREATE FUNCTION req_text(v text, field text, maxlen int) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF v IS NULL THEN
        PERFORM fail('FL602', format('%s is required', field), field);
    END IF;
    RETURN check_text(v, field, maxlen, false);
END
$$;

-- Payment terms in days: 0..3650.
CREATE FUNCTION check_terms(v int, field text) RETURNS int
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF v IS NOT NULL AND v NOT BETWEEN 0 AND 3650 THEN
        PERFORM fail('FL602', 'payment terms must be between 0 and 3650 days', field);
    END IF;
    RETURN v;
END
$$;

-- A loose e-mail check: one @ with something on both sides, no spaces.
CREATE FUNCTION check_email(v text, field text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF v IS NOT NULL AND (length(v) > 254 OR v !~ '^[^@\s]+@[^@\s]+$') THEN
        PERFORM fail('FL602', format('%s is not an e-mail address', field), field);
    END IF;
    RETURN v;
END
$$;

-- Postal address object {line1, line2, city, region, postal_code, country}, all
-- optional strings. JSON null (or absent) gives NULL; other keys or non-string
-- values are FL602 on `field.key`. Null members are dropped.
CREATE FUNCTION check_address(a jsonb, field text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE k text;
BEGIN
    IF a IS NULL OR jsonb_typeof(a) = 'null' THEN RETURN NULL; END IF;
    IF jsonb_typeof(a) <> 'object' THEN
        PERFORM fail('FL602', format('%s must be an object', field), field);
    END IF;
    SELECT key INTO k FROM jsonb_each(a)
     WHERE key NOT IN ('line1', 'line2', 'city', 'region', 'postal_code', 'country') ORDER BY key LIMIT 1;
    IF k IS NOT NULL THEN
        PERFORM fail('FL602', format('unknown address field %s', k), field || '.' || k);
    END IF;
    SELECT key INTO k FROM jsonb_each(a)
     WHERE jsonb_typeof(value) NOT IN ('string', 'null') OR length(value #>> '{}') > 200 ORDER BY key LIMIT 1;
    IF k IS NOT NULL THEN
        PERFORM fail('FL602', format('address field %s must be a string of at most 200 characters', k), field || '.' || k);
    END IF;
    RETURN jsonb_strip_nulls(a);
END
$$;

-------------------------------------------------------------------------------
-- Tax rates
-------------------------------------------------------------------------------

-- Tax rates by code. Lines keep the code and the percent they were priced with,
-- so changing a rate's percent never changes an issued document. Rates are never
-- deleted (only archived), so a line's code always resolves.
CREATE TABLE tax_rates (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        text NOT NULL UNIQUE,
    name        text NOT NULL,
    percent     numeric NOT NULL CHECK (percent BETWEEN 0 AND 100),
    archived    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Result object of a tax rate.
CREATE FUNCTION tax_rate_json(t tax_rates) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object('id', t.id, 'code', t.code, 'name', t.name, 'percent', dec_text(t.percent),
                              'archived', t.archived, 'created_at', ts_text(t.created_at),
                              'updated_at', ts_text(t.updated_at))
$$;

-- Percent 0..100.
CREATE FUNCTION check_percent(v numeric, field text) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF v IS NULL OR v < 0 OR v > 100 THEN
        PERFORM fail('FL602', 'percent must be between 0 and 100', field);
    END IF;
    RETURN v;
END
$$;

-- tax_rate.create {code, name, percent}: code unique (FL003 'code').
CREATE FUNCTION tax_rate_create(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE t tax_rates;
BEGIN
    IF p->>'code' IS NULL OR p->>'code' !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$' THEN
        PERFORM fail('FL602', 'code must be 1 to 32 letters, digits, ".", "_" or "-"', 'code');
    END IF;
    INSERT INTO tax_rates (code, name, percent)
    VALUES (p->>'code', req_text(p->>'name', 'name', 200), check_percent((p->>'percent')::numeric, 'percent'))
    ON CONFLICT (code) DO NOTHING
    RETURNING * INTO t;
    IF t.id IS NULL THEN
        PERFORM fail('FL003', format('tax rate %s already exists', p->>'code'), 'code');
    END IF;
    PERFORM audit('tax_rate', t.id, p);
    RETURN tax_rate_json(t);
END
$$;

-- tax_rate.get {code}.
CREATE FUNCTION tax_rate_get(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE t tax_rates;
BEGIN
    SELECT * INTO t FROM tax_rates WHERE code = p->>'code';
    IF t.id IS NULL THEN
        PERFORM fail('FL002', format('tax rate %s not found', p->>'code'), 'code');
    END IF;
    RETURN tax_rate_json(t);
END
$$;

-- tax_rate.update {code, name?, percent?}. A new percent applies to lines priced
-- from now on and to drafts when they are issued (invoice_issue re-reads the
-- current percent); issued invoices and credit notes keep theirs.
CREATE FUNCTION tax_rate_update(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE t tax_rates;
BEGIN
    UPDATE tax_rates SET
        name = CASE WHEN p ? 'name' THEN req_text(p->>'name', 'name', 200) ELSE name END,
        percent = CASE WHEN p ? 'percent' THEN check_percent((p->>'percent')::numeric, 'percent') ELSE percent END,
        updated_at = now()
    WHERE code = p->>'code'
    RETURNING * INTO t;
    IF t.id IS NULL THEN
        PERFORM fail('FL002', format('tax rate %s not found', p->>'code'), 'code');
    END IF;
    PERFORM audit('tax_rate', t.id, p);
    RETURN tax_rate_json(t);
END
$$;

-- tax_rate.archive {code} (extra method): an archived rate cannot be put on new
-- items or lines; existing items, drafts and documents keep it.
CREATE FUNCTION tax_rate_archive(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE t tax_rates;
BEGIN
    UPDATE tax_rates SET archived = true, updated_at = now() WHERE code = p->>'code' RETURNING * INTO t;
    IF t.id IS NULL THEN
        PERFORM fail('FL002', format('tax rate %s not found', p->>'code'), 'code');
    END IF;
    PERFORM audit('tax_rate', t.id, '{"archived": true}');
    RETURN tax_rate_json(t);
END
$$;

-- tax_rate.list {limit?, cursor?}: every rate, archived ones included (flagged).
CREATE FUNCTION tax_rate_list(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    lim int := page_limit(p);
    after bigint := page_after(p);
    res jsonb;
    nxt text;
BEGIN
    SELECT coalesce(jsonb_agg(tax_rate_json(r.t) ORDER BY r.k) FILTER (WHERE r.k <= lim), '[]'),
           CASE WHEN count(*) > lim THEN max((r.t).id) FILTER (WHERE r.k <= lim)::text END
      INTO res, nxt
      FROM (SELECT t, row_number() OVER (ORDER BY t.id) AS k
              FROM tax_rates t WHERE t.id > after ORDER BY t.id LIMIT lim + 1) r;
    RETURN jsonb_build_object('items', res, 'next_cursor', nxt);
END
$$;

-------------------------------------------------------------------------------
-- Customers
-------------------------------------------------------------------------------

-- Customers. Archived customers stay readable but get no new invoices.
CREATE TABLE customers (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                text NOT NULL,
    email               text,
    phone               text,
    billing_address     jsonb,
    shipping_address    jsonb,
    payment_terms_days  int CHECK (payment_terms_days BETWEEN 0 AND 3650),
    tax_id              text,
    notes               text,
    archived            boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

-- Result object of a customer.
CREATE FUNCTION customer_json(c customers) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object('id', c.id, 'name', c.name, 'email', c.email, 'phone', c.phone,
                              'billing_address', c.billing_address, 'shipping_address', c.shipping_address,
                              'payment_terms_days', c.payment_terms_days, 'tax_id', c.tax_id, 'notes', c.notes,
                              'archived', c.archived, 'created_at', ts_text(c.created_at),
                              'updated_at', ts_text(c.updated_at))
$$;

-- customer.create {name, email?, phone?, billing_address?, shipping_address?,
-- payment_terms_days?, tax_id?, notes?}.
CREATE FUNCTION customer_create(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE c customers;
BEGIN
    INSERT INTO customers (name, email, phone, billing_address, shipping_address, payment_terms_days, tax_id, notes)
    VALUES (req_text(p->>'name', 'name', 200),
            check_email(p->>'email', 'email'),
            check_text(p->>'phone', 'phone', 50),
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

-- customer.get {id}.
CREATE FUNCTION customer_get(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE c customers;
BEGIN
    SELECT * INTO c FROM customers WHERE id = (p->>'id')::bigint;
    IF c.id IS NULL THEN
        PERFORM fail('FL002', format('customer %s not found', p->>'id'), 'id');
    END IF;
    RETURN customer_json(c);
END
$$;

-- customer.update {id, ...create fields}: present fields are set, JSON null
-- clears an optional field (name cannot be cleared).
CREATE FUNCTION customer_update(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE c customers;
BEGIN
    UPDATE customers SET
        name = CASE WHEN p ? 'name' THEN req_text(p->>'name', 'name', 200) ELSE name END,
        email = CASE WHEN p ? 'email' THEN check_email(p->>'email', 'email') ELSE email END,
        phone = CASE WHEN p ? 'phone' THEN check_text(p->>'phone', 'phone', 50) ELSE phone END,
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
CREATE FUNCTION customer_archive(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE c customers;
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
CREATE FUNCTION customer_list(p jsonb) RETURNS jsonb
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

-------------------------------------------------------------------------------
-- Items and stock
-------------------------------------------------------------------------------

-- Catalogue items. stock_qty NULL = stock not tracked; otherwise the running
-- stock level, always equal to the sum of the item's stock_movements (it may go
-- negative: back orders are recorded, not refused).
CREATE TABLE items (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku          text NOT NULL UNIQUE,
    name         text NOT NULL,
    description  text,
    unit_price   numeric NOT NULL CHECK (unit_price >= 0),
    tax_rate     text REFERENCES tax_rates (code),
    stock_qty    numeric,
    archived     boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX items_tax_rate ON items (tax_rate) WHERE tax_rate IS NOT NULL;

-- Stock ledger, append-only: one row per change of a tracked item's stock.
-- reason: 'initial' (item created with stock), 'adjustment' (item.update of
-- stock_qty), 'invoice' (issued line, negative), 'void' (invoice voided, the
-- reverse of the invoice's movements).
CREATE TABLE stock_movements (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id         bigint NOT NULL REFERENCES items,
    qty_delta       numeric NOT NULL,
    reason          text NOT NULL CHECK (reason IN ('initial', 'adjustment', 'invoice', 'void')),
    invoice_id      bigint,
    credit_note_id  bigint,
    at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stock_movements_item ON stock_movements (item_id, id);
CREATE INDEX stock_movements_invoice ON stock_movements (invoice_id) WHERE invoice_id IS NOT NULL;

-- Result object of an item.
CREATE FUNCTION item_json(i items) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object('id', i.id, 'sku', i.sku, 'name', i.name, 'description', i.description,
                              'unit_price', i.unit_price::text, 'tax_rate', i.tax_rate,
                              'stock_qty', dec_text(i.stock_qty), 'archived', i.archived,
                              'created_at', ts_text(i.created_at), 'updated_at', ts_text(i.updated_at))
$$;

-- A tax rate code given for an item or line must exist and not be archived (FL602).
CREATE FUNCTION check_tax_code(v text, field text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE arch boolean;
BEGIN
    IF v IS NULL THEN RETURN NULL; END IF;
    SELECT archived INTO arch FROM tax_rates WHERE code = v;
    IF arch IS NULL THEN
        PERFORM fail('FL602', format('unknown tax rate %s', v), field);
    ELSIF arch THEN
        PERFORM fail('FL602', format('tax rate %s is archived', v), field);
    END IF;
    RETURN v;
END
$$;

-- unit_price 0 .. 10^12.
CREATE FUNCTION check_price(v numeric, field text) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF v IS NULL OR v < 0 OR v > 1e12 THEN
        PERFORM fail('FL602', 'unit_price must be between 0 and 1000000000000', field);
    END IF;
    RETURN v;
END
$$;

-- Stock quantity |q| <= 10^12.
CREATE FUNCTION check_stock(v numeric, field text) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF v IS NOT NULL AND abs(v) > 1e12 THEN
        PERFORM fail('FL602', 'stock_qty is out of range', field);
    END IF;
    RETURN v;
END
$$;

-- item.create {sku, name, unit_price, description?, tax_rate?, stock_qty?}:
-- sku unique (FL003 'sku'); stock_qty present = stock tracked (an 'initial'
-- movement records it).
CREATE FUNCTION item_create(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE i items;
BEGIN
    INSERT INTO items (sku, name, description, unit_price, tax_rate, stock_qty)
    VALUES (req_text(p->>'sku', 'sku', 64), req_text(p->>'name', 'name', 200),
            check_text(p->>'description', 'description', 2000),
            check_price((p->>'unit_price')::numeric, 'unit_price'),
            check_tax_code(p->>'tax_rate', 'tax_rate'),
            check_stock((p->>'stock_qty')::numeric, 'stock_qty'))
    ON CONFLICT (sku) DO NOTHING
    RETURNING * INTO i;
    IF i.id IS NULL THEN
        PERFORM fail('FL003', format('an item with sku %s already exists', p->>'sku'), 'sku');
    END IF;
    IF i.stock_qty IS NOT NULL THEN
        INSERT INTO stock_movements (item_id, qty_delta, reason) VALUES (i.id, i.stock_qty, 'initial');
    END IF;
    PERFORM audit('item', i.id, p);
    RETURN item_json(i);
END
$$;

-- Finds an item by {id} or {sku} (FL002 when absent).
CREATE FUNCTION item_find(p jsonb, lock boolean DEFAULT false) RETURNS items
LANGUAGE plpgsql AS $$
DECLARE i items;
BEGIN
    IF p ? 'id' AND p->'id' <> 'null' THEN
        IF lock THEN
            SELECT * INTO i FROM items WHERE id = (p->>'id')::bigint FOR UPDATE;
        ELSE
            SELECT * INTO i FROM items WHERE id = (p->>'id')::bigint;
        END IF;
        IF i.id IS NULL THEN PERFORM fail('FL002', format('item %s not found', p->>'id'), 'id'); END IF;
    ELSIF p->>'sku' IS NOT NULL THEN
        SELECT * INTO i FROM items WHERE sku = p->>'sku';
        IF i.id IS NULL THEN PERFORM fail('FL002', format('item %s not found', p->>'sku'), 'sku'); END IF;
    ELSE
        PERFORM fail('FL602', 'give id or sku', 'id');
    END IF;
    RETURN i;
END
$$;

-- item.get {id} or {sku}.
CREATE FUNCTION item_get(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    RETURN item_json(item_find(p));
END
$$;

-- item.update {id, sku?, name?, unit_price?, description?, tax_rate?, stock_qty?}:
-- null clears description/tax_rate; stock_qty sets the stock level (an
-- 'adjustment' movement records the difference), null stops tracking.
CREATE FUNCTION item_update(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    old items := item_find(jsonb_build_object('id', p->'id'), true);
    i items;
BEGIN
    IF p ? 'sku' AND p->>'sku' IS DISTINCT FROM old.sku
       AND EXISTS (SELECT 1 FROM items WHERE sku = p->>'sku') THEN
        PERFORM fail('FL003', format('an item with sku %s already exists', p->>'sku'), 'sku');
    END IF;
    UPDATE items SET
        sku = CASE WHEN p ? 'sku' THEN req_text(p->>'sku', 'sku', 64) ELSE sku END,
        name = CASE WHEN p ? 'name' THEN req_text(p->>'name', 'name', 200) ELSE name END,
        description = CASE WHEN p ? 'description' THEN check_text(p->>'description', 'description', 2000) ELSE description END,
        unit_price = CASE WHEN p ? 'unit_price' THEN check_price((p->>'unit_price')::numeric, 'unit_price') ELSE unit_price END,
        tax_rate = CASE WHEN p ? 'tax_rate' THEN check_tax_code(p->>'tax_rate', 'tax_rate') ELSE tax_rate END,
        stock_qty = CASE WHEN p ? 'stock_qty' THEN check_stock((p->>'stock_qty')::numeric, 'stock_qty') ELSE stock_qty END,
        updated_at = now()
    WHERE id = old.id
    RETURNING * INTO i;
    IF i.stock_qty IS NOT NULL AND i.stock_qty IS DISTINCT FROM old.stock_qty THEN
        INSERT INTO stock_movements (item_id, qty_delta, reason)
        VALUES (i.id, i.stock_qty - coalesce(old.stock_qty, 0),
                CASE WHEN old.stock_qty IS NULL THEN 'initial' ELSE 'adjustment' END);
    END IF;
    PERFORM audit('item', i.id, p - 'id');
    RETURN item_json(i);
END
$$;

-- item.archive {id}: archived items cannot be put on new lines.
CREATE FUNCTION item_archive(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE i items;
BEGIN
    UPDATE items SET archived = true, updated_at = now() WHERE id = (p->>'id')::bigint RETURNING * INTO i;
    IF i.id IS NULL THEN
        PERFORM fail('FL002', format('item %s not found', p->>'id'), 'id');
    END IF;
    PERFORM audit('item', i.id, '{"archived": true}');
    RETURN item_json(i);
END
$$;

-- item.list {limit?, cursor?, search?, include_archived?}: search is a
-- case-insensitive substring of sku or name.
CREATE FUNCTION item_list(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    lim int := page_limit(p);
    after bigint := page_after(p);
    pat text := CASE WHEN p->>'search' IS NOT NULL AND p->>'search' <> '' THEN like_pattern(p->>'search') END;
    arch boolean := coalesce((p->>'include_archived')::boolean, false);
    res jsonb;
    nxt text;
BEGIN
    SELECT coalesce(jsonb_agg(item_json(r.i) ORDER BY r.k) FILTER (WHERE r.k <= lim), '[]'),
           CASE WHEN count(*) > lim THEN max((r.i).id) FILTER (WHERE r.k <= lim)::text END
      INTO res, nxt
      FROM (SELECT i, row_number() OVER (ORDER BY i.id) AS k
              FROM items i
             WHERE i.id > after
               AND (arch OR NOT i.archived)
               AND (pat IS NULL OR i.sku ILIKE pat OR i.name ILIKE pat)
             ORDER BY i.id LIMIT lim + 1) r;
    RETURN jsonb_build_object('items', res, 'next_cursor', nxt);
END
$$;

-------------------------------------------------------------------------------
-- Pricing and totals: the one place where amounts and tax are computed.
-- Invoices, credit notes, results, audit_verify (and later reports) all go
-- through line_amount/line_tax/group_tax and doc_totals, so they always agree.
-------------------------------------------------------------------------------

-- A priced document line (invoice or credit note), in memory.
CREATE TYPE doc_line AS (
    line_no      int,
    item_id      bigint,
    description  text,
    qty          numeric,
    unit_price   numeric,
    tax_rate     text,      -- tax rate code, NULL = no tax
    tax_percent  numeric,   -- percent priced with (0 when no tax rate)
    amount       numeric,   -- line_amount(qty, unit_price, m)
    tax          numeric    -- line_tax(amount, tax_percent, m)
);

-- Document totals: subtotal (sum of line amounts), tax_total, and tax_breakdown
-- [{code, percent, taxable, tax}] ordered by code (no-tax group first), percent.
CREATE TYPE doc_totals_t AS (subtotal numeric, tax_total numeric, tax_breakdown jsonb);

-- Lines priced from a request, with their result form (built in the same pass).
CREATE TYPE priced_lines AS (lines doc_line[], lines_json jsonb);

-- A line's amount: round(qty x unit_price) to the minor unit, half away from zero.
CREATE FUNCTION line_amount(qty numeric, unit_price numeric, m int) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT round(qty * unit_price, m) $$;

-- A line's tax on its already rounded amount. In 'line' mode this is the tax;
-- in 'document' mode it is shown per line for information only.
CREATE FUNCTION line_tax(amount numeric, percent numeric, m int) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT round(amount * percent / 100, m) $$;

-- Tax of one (code, percent) group: 'line' mode = sum of the rounded line taxes;
-- 'document' mode (EN 16931) = round(sum of the group's amounts x percent).
CREATE FUNCTION group_tax(taxable numeric, sum_line_tax numeric, percent numeric, m int, mode text) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN mode = 'document' THEN round(taxable * percent / 100, m) ELSE sum_line_tax END
$$;

-- One tax_breakdown entry (doc_totals orders them by code, no-tax group first,
-- then percent).
CREATE FUNCTION breakdown_entry(code text, percent numeric, taxable numeric, tax numeric, m int) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object('code', code, 'percent', dec_text(percent),
                              'taxable', money_text(taxable, m), 'tax', money_text(tax, m))
$$;

-- Totals of a document from its lines (see doc_totals_t): lines are grouped by
-- (tax code, percent), each group's tax is group_tax(), subtotal and tax_total
-- are the sums. audit_verify recomputes the same sums set-based over all
-- documents at once (see there).
CREATE FUNCTION doc_totals(lines doc_line[], m int, mode text) RETURNS doc_totals_t
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE r doc_totals_t;
BEGIN
    SELECT round(coalesce(sum(g.taxable), 0), m),
           round(coalesce(sum(g.tax), 0), m),
           coalesce(jsonb_agg(breakdown_entry(g.code, g.percent, g.taxable, g.tax, m)
                              ORDER BY g.code NULLS FIRST, g.percent), '[]'::jsonb)
      INTO r.subtotal, r.tax_total, r.tax_breakdown
      FROM (SELECT l.tax_rate AS code, l.tax_percent AS percent, sum(l.amount) AS taxable,
                   group_tax(sum(l.amount), sum(l.tax), l.tax_percent, m, mode) AS tax
              FROM unnest(lines) AS l
             GROUP BY l.tax_rate, l.tax_percent) g;
    RETURN r;
END
$$;

-- Result form of one line.
CREATE FUNCTION line_json(l doc_line, m int) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object('line_no', l.line_no, 'item_id', l.item_id, 'description', l.description,
                              'qty', dec_text(l.qty), 'unit_price', l.unit_price::text, 'tax_rate', l.tax_rate,
                              'tax_percent', dec_text(l.tax_percent), 'amount', money_text(l.amount, m),
                              'tax', money_text(l.tax, m))
$$;

-- Result form of a line array.
CREATE FUNCTION lines_json(lines doc_line[], m int) RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN (SELECT coalesce(jsonb_agg(line_json(l, m) ORDER BY l.line_no), '[]'::jsonb) FROM unnest(lines) AS l);
END
$$;

-- Validates and prices request lines [{description?, qty, unit_price?, item_id?,
-- tax_rate?}] in one set-based query. A line with item_id takes the item's name
-- (as description), unit_price and tax_rate unless the line gives them; an
-- explicit "tax_rate": null means no tax. Tax percents are the current ones.
-- Errors name the first bad line: FL602 'lines[i].x', FL002 unknown item,
-- FL003 archived item.
CREATE FUNCTION price_lines(p_lines jsonb, m int, field text DEFAULT 'lines') RETURNS priced_lines
LANGUAGE plpgsql STABLE AS $$
DECLARE
    result priced_lines;
    err text;
BEGIN
    IF p_lines IS NULL OR jsonb_typeof(p_lines) <> 'array' OR jsonb_array_length(p_lines) NOT BETWEEN 1 AND 1000 THEN
        PERFORM fail('FL602', 'a document needs 1 to 1000 lines', field);
    END IF;
    SELECT array_agg(y.l ORDER BY y.n), jsonb_agg(line_json(y.l, m) ORDER BY y.n),
           (array_agg(y.err ORDER BY y.n) FILTER (WHERE y.err IS NOT NULL))[1]
      INTO result.lines, result.lines_json, err
      FROM (SELECT x.n,
                   ROW(x.n, x.item_id, x.descr, x.qty, x.price, x.code, coalesce(t.percent, 0),
                       line_amount(x.qty, x.price, m),
                       line_tax(line_amount(x.qty, x.price, m), coalesce(t.percent, 0), m))::doc_line AS l,
                   CASE
                     WHEN x.item_id IS NOT NULL AND x.found IS NULL
                       THEN 'FL002' || chr(31) || x.f || '.item_id' || chr(31) || format('item %s not found', x.item_id)
                     WHEN x.item_archived
                       THEN 'FL003' || chr(31) || x.f || '.item_id' || chr(31) || format('item %s is archived', x.item_id)
                     WHEN x.qty IS NULL OR x.qty <= 0 OR x.qty > 1e9
                       THEN 'FL602' || chr(31) || x.f || '.qty' || chr(31) || 'qty must be greater than 0 and at most 1000000000'
                     WHEN x.descr IS NULL OR btrim(x.descr) = ''
                       THEN 'FL602' || chr(31) || x.f || '.description' || chr(31) || 'a line without item_id needs a description'
                     WHEN length(x.descr) > 2000
                       THEN 'FL602' || chr(31) || x.f || '.description' || chr(31) || 'description must be at most 2000 characters'
                     WHEN x.price IS NULL
                       THEN 'FL602' || chr(31) || x.f || '.unit_price' || chr(31) || 'a line without item_id needs a unit_price'
                     WHEN x.price < 0 OR x.price > 1e12
                       THEN 'FL602' || chr(31) || x.f || '.unit_price' || chr(31) || 'unit_price must be between 0 and 1000000000000'
                     WHEN x.code IS NOT NULL AND t.id IS NULL
                       THEN 'FL602' || chr(31) || x.f || '.tax_rate' || chr(31) || format('unknown tax rate %s', x.code)
                     WHEN t.archived AND x.explicit_code
                       THEN 'FL602' || chr(31) || x.f || '.tax_rate' || chr(31) || format('tax rate %s is archived', x.code)
                   END AS err
              FROM (SELECT e.n::int AS n, format('%s[%s]', field, e.n - 1) AS f,
                           r.item_id, i.id AS found, i.archived AS item_archived,
                           coalesce(r.description, i.name) AS descr, r.qty,
                           coalesce(r.unit_price, i.unit_price) AS price,
                           CASE WHEN e.j ? 'tax_rate' THEN r.tax_rate ELSE i.tax_rate END AS code,
                           e.j ? 'tax_rate' AS explicit_code
                      FROM jsonb_array_elements(p_lines) WITH ORDINALITY AS e(j, n)
                     CROSS JOIN LATERAL jsonb_to_record(e.j) AS r(item_id bigint, description text, qty numeric,
                                                                  unit_price numeric, tax_rate text)
                      -- LATERAL keeps these per-line index lookups whatever the table sizes
                      LEFT JOIN LATERAL (SELECT * FROM items WHERE items.id = r.item_id) i ON true) x
              LEFT JOIN LATERAL (SELECT * FROM tax_rates WHERE tax_rates.code = x.code) t ON true) y;
    IF err IS NOT NULL THEN
        PERFORM fail(split_part(err, chr(31), 1), split_part(err, chr(31), 3), split_part(err, chr(31), 2));
    END IF;
    RETURN result;
END
$$;

-------------------------------------------------------------------------------
-- Number series and the hash chain
-------------------------------------------------------------------------------

-- Gapless number series, one row per (kind, period): period is the issue year
-- when the kind's number format holds {YYYY} (yearly series restarting at 1),
-- else 0. next_seq is the next number to hand out; last_issue_date keeps numbers
-- chronological; last_hash is the hash of the series' latest document (the
-- head of its hash chain). Rows are created on first use and locked FOR UPDATE
-- (by an UPDATE) as the last step of issuing, so the lock is held briefly.
-- Format changes: the series key is (kind, period) only, so changing the text
-- around {seq} continues the same counter (A-12 then B-13: still gapless and
-- chronological within the series); adding or removing {YYYY} moves issuing to
-- the yearly series / the period-0 series, each gapless on its own. A new number
-- that collides with an existing one is refused (FL003).
CREATE TABLE number_series (
    kind             text NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
    period           int NOT NULL,
    next_seq         bigint NOT NULL DEFAULT 1 CHECK (next_seq >= 1),
    last_issue_date  date,
    last_hash        text,
    PRIMARY KEY (kind, period)
);

-- Validates a number format: exactly one {seq} or {seq:0N} (N 1..12), any
-- number of {YYYY}, no other {...}, 1..64 characters.
CREATE FUNCTION check_number_format(f text, field text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF f IS NULL OR length(f) NOT BETWEEN 1 AND 64
       OR (SELECT count(*) FROM regexp_matches(f, '\{seq(:0[0-9]+)?\}', 'g')) <> 1
       OR regexp_replace(f, '\{YYYY\}|\{seq\}|\{seq:0([1-9]|1[0-2])\}', '', 'g') ~ '[{}]' THEN
        PERFORM fail('FL602', 'a number format needs exactly one {seq} or {seq:0N} (N 1..12) and may hold {YYYY}', field);
    END IF;
    RETURN f;
END
$$;

-- Series period for a format and issue date: the year for {YYYY} formats, else 0.
CREATE FUNCTION series_period(fmt text, d date) RETURNS int
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN strpos(fmt, '{YYYY}') > 0 THEN extract(year FROM d)::int ELSE 0 END
$$;

-- A number format split for issue date d: {prefix, pad width (0 = none),
-- suffix}, with {YYYY} already replaced by the year. Computed before the series
-- lock so that formatting under the lock is plain concatenation.
CREATE FUNCTION number_parts(fmt text, d date) RETURNS text[]
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE m text[] := regexp_match(replace(fmt, '{YYYY}', to_char(d, 'YYYY')), '^(.*?)\{seq(?::0([0-9]+))?\}(.*)$');
BEGIN
    RETURN ARRAY[m[1], coalesce(m[2], '0'), m[3]];
END
$$;

-- The number for seq from number_parts: seq zero-padded to at least the width
-- (never truncated) between prefix and suffix.
CREATE FUNCTION seq_number(parts text[], seq bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT parts[1] || lpad(seq::text, greatest(length(seq::text), parts[2]::int), '0') || parts[3]
$$;

-- Formats a document number: {YYYY} = issue year, {seq:0N} = seq zero-padded to
-- at least N digits (never truncated), {seq} = seq. (series_take uses the two
-- parts above directly; this is the one-call form for other code.)
CREATE FUNCTION format_number(fmt text, seq bigint, d date) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT seq_number(number_parts(fmt, d), seq)
$$;

-- Canonical text forms for the hash chain are compact JSON built with string
-- operations (a JSON string for every text value, so nothing is ambiguous);
-- string building is ~2x cheaper than jsonb here, which matters to
-- audit_verify over millions of lines.

-- A text value as a JSON string (null as JSON null).
CREATE FUNCTION json_str(v text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT coalesce(to_json(v)::text, 'null') $$;

-- Canonical form of one line: [description, qty, unit_price, tax_rate,
-- tax_percent, amount, tax] with the numbers as JSON strings.
CREATE FUNCTION hash_line(l doc_line, m int) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT '[' || json_str(l.description) || ',"' || dec_text(l.qty) || '","' || dec_text(l.unit_price) || '",'
           || json_str(l.tax_rate) || ',"' || dec_text(l.tax_percent) || '","' || money_text(l.amount, m) || '","'
           || money_text(l.tax, m) || '"]'
$$;

-- Canonical form of a document's lines: hash_line in line_no order, as a JSON
-- array (invoice_issue and audit_verify build the same aggregate inline).
CREATE FUNCTION hash_lines(lines doc_line[], m int) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN (SELECT '[' || coalesce(string_agg(hash_line(l, m), ',' ORDER BY l.line_no), '') || ']'
              FROM unnest(lines) AS l);
END
$$;

-- Link of the hash chain: sha256 hex of the previous document's hash in the
-- series ('' for the first), the number (as a JSON string) and the document's
-- canonical body (invoice_hash_body / credit_note_hash_body).
CREATE FUNCTION doc_hash(prev text, number text, body text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT encode(sha256(convert_to(coalesce(prev, '') || to_jsonb(number)::text || body, 'UTF8')), 'hex')
$$;

-- Canonical body of an invoice for the hash chain: ["invoice", issue_date,
-- due_date, customer_id, currency, subtotal, tax_total, total, lines,
-- tax_breakdown]. The breakdown is sealed as its jsonb text (deterministic), so
-- audit_verify need not rebuild it: it is computed from the lines at issue and
-- any later change breaks the chain.
CREATE FUNCTION invoice_hash_body(issue_date date, due_date date, customer_id bigint, currency text,
                                  subtotal numeric, tax_total numeric, total numeric, hlines text,
                                  breakdown jsonb) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT '["invoice","' || date_text(issue_date) || '","' || date_text(due_date) || '",' || customer_id || ','
           || json_str(currency) || ',"' || money_text(subtotal, minor_units(currency)) || '","'
           || money_text(tax_total, minor_units(currency)) || '","' || money_text(total, minor_units(currency)) || '",'
           || hlines || ',' || breakdown::text || ']'
$$;

-- Canonical body of a credit note for the hash chain: ["credit_note",
-- issue_date, invoice_id, invoice_number, customer_id, currency, reason,
-- subtotal, tax_total, total, lines, tax_breakdown].
CREATE FUNCTION credit_note_hash_body(issue_date date, invoice_id bigint, invoice_number text, customer_id bigint,
                                      currency text, reason text, subtotal numeric, tax_total numeric, total numeric,
                                      hlines text, breakdown jsonb) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT '["credit_note","' || date_text(issue_date) || '",' || invoice_id || ',' || json_str(invoice_number) || ','
           || customer_id || ',' || json_str(currency) || ',' || json_str(reason) || ',"'
           || money_text(subtotal, minor_units(currency)) || '","' || money_text(tax_total, minor_units(currency))
           || '","' || money_text(total, minor_units(currency)) || '",' || hlines || ',' || breakdown::text || ']'
$$;

-- Result of series_take.
CREATE TYPE series_slot AS (period int, seq bigint, number text, hash text);

-- Takes the next number of a series for a document dated d with canonical body
-- `body`: locks the series row (creating it on first use), checks that d is not
-- before the series' latest issue date (FL602 'issue_date'), computes the hash
-- link and advances the series, all in one UPDATE. Call it LAST: the row lock
-- is held until commit.
CREATE FUNCTION series_take(p_kind text, p_fmt text, d date, body text) RETURNS series_slot
LANGUAGE plpgsql AS $$
DECLARE
    per int := series_period(p_fmt, d);
    parts text[] := number_parts(p_fmt, d);
    r series_slot;
    last date;
BEGIN
    FOR attempt IN 1..2 LOOP
        UPDATE number_series s
           SET next_seq = s.next_seq + 1,
               last_issue_date = d,
               last_hash = doc_hash(s.last_hash, seq_number(parts, s.next_seq), body)
         WHERE s.kind = p_kind AND s.period = per AND (s.last_issue_date IS NULL OR s.last_issue_date <= d)
        RETURNING per, s.next_seq - 1, seq_number(parts, s.next_seq - 1), s.last_hash
          INTO r.period, r.seq, r.number, r.hash;
        IF FOUND THEN RETURN r; END IF;
        EXIT WHEN attempt = 2;
        -- First use of the series, or the date is too early: find out which.
        INSERT INTO number_series (kind, period) VALUES (p_kind, per) ON CONFLICT DO NOTHING;
        SELECT last_issue_date INTO last FROM number_series WHERE kind = p_kind AND period = per FOR UPDATE;
        IF last > d THEN
            PERFORM fail('FL602', format('issue date %s is before %s, the latest issue date already used in this %s series',
                                         date_text(d), date_text(last), replace(p_kind, '_', ' ')), 'issue_date');
        END IF;
    END LOOP;
    RAISE EXCEPTION 'number series % % could not be advanced', p_kind, per;
END
$$;

-------------------------------------------------------------------------------
-- Invoices
-------------------------------------------------------------------------------

-- Invoices. A draft has no number, no dates and no hash; its stored totals are
-- recomputed on every change. Issuing assigns number/seq/series_period, dates,
-- the applied payment terms, the totals and the hash; from then on only
-- status, amount_paid, credited and the bookkeeping columns (sent_at,
-- voided_at, void_reason, updated_at) may change (triggers below).
-- balance_due is not stored: it is always total - amount_paid - credited
-- (voiding credits the whole balance, so a void invoice's balance is 0).
-- tax_breakdown is stored (as returned) so lists need not read lines;
-- tax_rounding is the mode the totals were computed with.
CREATE TABLE invoices (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number              text,
    series_period       int,
    seq                 bigint,
    status              text NOT NULL DEFAULT 'draft'
                        CHECK (status IN ('draft', 'issued', 'sent', 'partially_paid', 'paid', 'void')),
    customer_id         bigint NOT NULL REFERENCES customers,
    -- A known ISO 4217 code (checked by the functions through minor_units()); the
    -- constraint is only the shape: a CHECK calling minor_units() would re-inline
    -- that function at every statement start and cost ~0.5 ms per single-row write.
    currency            text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    issue_date          date,
    due_date            date,
    payment_terms_days  int CHECK (payment_terms_days BETWEEN 0 AND 3650),
    po_number           text,
    notes               text,
    tax_rounding        text NOT NULL CHECK (tax_rounding IN ('line', 'document')),
    subtotal            numeric NOT NULL,
    tax_total           numeric NOT NULL,
    total               numeric NOT NULL,
    tax_breakdown       jsonb NOT NULL,
    amount_paid         numeric NOT NULL DEFAULT 0 CHECK (amount_paid >= 0),
    credited            numeric NOT NULL DEFAULT 0 CHECK (credited >= 0),
    hash                text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    issued_at           timestamptz,
    sent_at             timestamptz,
    voided_at           timestamptz,
    void_reason         text,
    CONSTRAINT invoices_paid_within_total CHECK (amount_paid + credited <= total),
    CONSTRAINT invoices_issued_complete CHECK (
        (status = 'draft' AND number IS NULL AND seq IS NULL AND issue_date IS NULL AND hash IS NULL)
        OR (status <> 'draft' AND number IS NOT NULL AND seq IS NOT NULL AND series_period IS NOT NULL
            AND issue_date IS NOT NULL AND due_date IS NOT NULL AND hash IS NOT NULL))
);
-- Numbers are unique; (series_period, seq) is unique and gives audit_verify its order.
CREATE UNIQUE INDEX invoices_number ON invoices (number) WHERE number IS NOT NULL;
CREATE UNIQUE INDEX invoices_series_seq ON invoices (series_period, seq) WHERE seq IS NOT NULL;
-- List filters, each in id order for keyset paging.
CREATE INDEX invoices_customer ON invoices (customer_id, id);
CREATE INDEX invoices_status ON invoices (status, id);
CREATE INDEX invoices_issue_date ON invoices (issue_date, id) WHERE issue_date IS NOT NULL;
-- Open (balance-carrying) invoices for overdue lists and aging.
CREATE INDEX invoices_open_due ON invoices (due_date, id) WHERE status IN ('issued', 'sent', 'partially_paid');

-- Invoice lines. Priced when the draft is created/updated (and re-priced with the
-- current tax percents on issue); frozen once the invoice is not a draft.
CREATE TABLE invoice_lines (
    invoice_id   bigint NOT NULL REFERENCES invoices ON DELETE CASCADE,
    line_no      int NOT NULL,
    item_id      bigint REFERENCES items,
    description  text NOT NULL,
    qty          numeric NOT NULL CHECK (qty > 0),
    unit_price   numeric NOT NULL CHECK (unit_price >= 0),
    tax_rate     text,
    tax_percent  numeric NOT NULL DEFAULT 0,
    amount       numeric NOT NULL,
    tax          numeric NOT NULL,
    PRIMARY KEY (invoice_id, line_no)
);
CREATE INDEX invoice_lines_item ON invoice_lines (item_id) WHERE item_id IS NOT NULL;

-- Status of an issued invoice from its amounts, for invoice and (later) payment
-- code: draft and void stay; balance 0 with payments = 'paid'; balance 0 reached
-- through credit notes alone (no payments) = 'void' (fully cancelled); some
-- payment = 'partially_paid'; else 'sent' once sent, else 'issued'. An invoice
-- with total 0 and nothing paid or credited stays 'issued'/'sent'.
CREATE FUNCTION invoice_status(status text, total numeric, amount_paid numeric, credited numeric, sent_at timestamptz)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN status IN ('draft', 'void') THEN status
        WHEN total - amount_paid - credited <= 0 AND amount_paid > 0 THEN 'paid'
        WHEN total - amount_paid - credited <= 0 AND credited > 0 THEN 'void'
        WHEN amount_paid > 0 THEN 'partially_paid'
        WHEN sent_at IS NOT NULL THEN 'sent'
        ELSE 'issued'
    END
$$;

-- Whether an invoice is overdue on day d: open status, balance left, due before d.
CREATE FUNCTION invoice_overdue(i invoices, d date) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT i.status IN ('issued', 'sent', 'partially_paid') AND i.due_date < d
           AND i.total - i.amount_paid - i.credited > 0
$$;

-- The invoice result object; `lines` NULL omits the lines (lists).
CREATE FUNCTION invoice_json(i invoices, customer_name text, lines jsonb, today date) RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE m int := minor_units(i.currency);
BEGIN
    RETURN jsonb_build_object(
        'id', i.id, 'number', i.number, 'status', i.status, 'overdue', invoice_overdue(i, today),
        'customer_id', i.customer_id, 'customer_name', customer_name, 'currency', i.currency,
        'issue_date', date_text(i.issue_date), 'due_date', date_text(i.due_date),
        'payment_terms_days', i.payment_terms_days, 'po_number', i.po_number, 'notes', i.notes,
        'tax_rounding', i.tax_rounding,
        'subtotal', money_text(i.subtotal, m), 'tax_total', money_text(i.tax_total, m),
        'total', money_text(i.total, m), 'tax_breakdown', i.tax_breakdown,
        'amount_paid', money_text(i.amount_paid, m), 'credited', money_text(i.credited, m),
        'balance_due', money_text(i.total - i.amount_paid - i.credited, m),
        'created_at', ts_text(i.created_at), 'updated_at', ts_text(i.updated_at),
        'issued_at', ts_text(i.issued_at), 'sent_at', ts_text(i.sent_at),
        'voided_at', ts_text(i.voided_at), 'void_reason', i.void_reason)
        || CASE WHEN lines IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('lines', lines) END;
END
$$;

-- An invoice's stored lines.
CREATE FUNCTION invoice_lines_of(p_invoice_id bigint) RETURNS doc_line[]
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT array_agg(ROW(l.line_no, l.item_id, l.description, l.qty, l.unit_price, l.tax_rate, l.tax_percent,
                             l.amount, l.tax)::doc_line ORDER BY l.line_no)
          FROM invoice_lines l WHERE l.invoice_id = p_invoice_id);
END
$$;

-- Full invoice result (with lines) read from the tables.
CREATE FUNCTION invoice_full_json(i invoices) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT invoice_json(i, (SELECT c.name FROM customers c WHERE c.id = i.customer_id),
                        lines_json(invoice_lines_of(i.id), minor_units(i.currency)), tenant_today())
$$;

-- Finds an invoice by {id} or {number} (keys named by id_key/number_key),
-- optionally locking it. FL002 when absent, FL602 when neither key is given.
CREATE FUNCTION invoice_find(p jsonb, lock boolean, id_key text DEFAULT 'id', number_key text DEFAULT 'number')
RETURNS invoices
LANGUAGE plpgsql AS $$
DECLARE i invoices;
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
CREATE FUNCTION draft_customer(p_id bigint) RETURNS customers
LANGUAGE plpgsql STABLE AS $$
DECLARE c customers;
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
CREATE FUNCTION check_currency(v text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF minor_units(v) IS NULL THEN
        PERFORM fail('FL602', format('unknown currency %s', v), 'currency');
    END IF;
    RETURN v;
END
$$;

-- invoice.create {customer_id, lines, currency?, notes?, payment_terms_days?,
-- po_number?} -> draft invoice.
CREATE FUNCTION invoice_create(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    s settings;
    c customers;
    cur text;
    m int;
    pl priced_lines;
    tot doc_totals_t;
    i invoices;
BEGIN
    SELECT * INTO s FROM settings;
    c := draft_customer((p->>'customer_id')::bigint);
    cur := check_currency(coalesce(p->>'currency', s.currency));
    m := minor_units(cur);
    pl := price_lines(p->'lines', m);
    tot := doc_totals(pl.lines, m, s.tax_rounding);
    INSERT INTO invoices (customer_id, currency, payment_terms_days, po_number, notes, tax_rounding,
                          subtotal, tax_total, total, tax_breakdown)
    VALUES (c.id, cur, check_terms((p->>'payment_terms_days')::int, 'payment_terms_days'),
            check_text(p->>'po_number', 'po_number', 100), check_text(p->>'notes', 'notes', 10000),
            s.tax_rounding, tot.subtotal, tot.tax_total, tot.subtotal + tot.tax_total, tot.tax_breakdown)
    RETURNING * INTO i;
    INSERT INTO invoice_lines (invoice_id, line_no, item_id, description, qty, unit_price, tax_rate, tax_percent, amount, tax)
    SELECT i.id, x.line_no, x.item_id, x.description, x.qty, x.unit_price, x.tax_rate, x.tax_percent, x.amount, x.tax
      FROM unnest(pl.lines) AS x;
    PERFORM audit('invoice', i.id, jsonb_build_object('status', 'draft', 'customer_id', c.id, 'currency', cur,
                                                      'lines', cardinality(pl.lines), 'total', money_text(i.total, m)));
    RETURN invoice_json(i, c.name, pl.lines_json, (now() AT TIME ZONE s.timezone)::date);
END
$$;

-- Locks a draft for a change (FL002 absent, FL003 not a draft).
CREATE FUNCTION draft_for_change(p_id bigint, what text) RETURNS invoices
LANGUAGE plpgsql AS $$
DECLARE i invoices;
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
-- payment_terms_days?, po_number?}: drafts only (FL003). `lines` replaces all
-- lines; a currency change re-rounds the existing lines; null clears notes,
-- po_number and payment_terms_days. Totals are recomputed with the tenant's
-- current tax_rounding.
CREATE FUNCTION invoice_update(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    s settings;
    i invoices := draft_for_change((p->>'id')::bigint, 'changed');
    c customers;
    cur text;
    m int;
    lines doc_line[];
    tot doc_totals_t;
BEGIN
    SELECT * INTO s FROM settings;
    IF p ? 'customer_id' THEN
        c := draft_customer((p->>'customer_id')::bigint);
    ELSE
        SELECT * INTO c FROM customers WHERE id = i.customer_id;
    END IF;
    cur := CASE WHEN p ? 'currency' THEN check_currency(coalesce(p->>'currency', s.currency)) ELSE i.currency END;
    m := minor_units(cur);
    IF p ? 'lines' THEN
        lines := (price_lines(p->'lines', m)).lines;
        DELETE FROM invoice_lines WHERE invoice_id = i.id;
        INSERT INTO invoice_lines (invoice_id, line_no, item_id, description, qty, unit_price, tax_rate, tax_percent, amount, tax)
        SELECT i.id, x.line_no, x.item_id, x.description, x.qty, x.unit_price, x.tax_rate, x.tax_percent, x.amount, x.tax
          FROM unnest(lines) AS x;
    ELSE
        SELECT array_agg(ROW(x.line_no, x.item_id, x.description, x.qty, x.unit_price, x.tax_rate, x.tax_percent,
                             a.amt, line_tax(a.amt, x.tax_percent, m))::doc_line ORDER BY x.line_no)
          INTO lines
          FROM unnest(invoice_lines_of(i.id)) AS x, LATERAL (SELECT line_amount(x.qty, x.unit_price, m) AS amt) a;
        IF cur <> i.currency THEN
            UPDATE invoice_lines l SET amount = x.amount, tax = x.tax
              FROM unnest(lines) AS x
             WHERE l.invoice_id = i.id AND l.line_no = x.line_no AND (l.amount, l.tax) IS DISTINCT FROM (x.amount, x.tax);
        END IF;
    END IF;
    tot := doc_totals(lines, m, s.tax_rounding);
    UPDATE invoices SET
        customer_id = c.id,
        currency = cur,
        payment_terms_days = CASE WHEN p ? 'payment_terms_days'
                                  THEN check_terms((p->>'payment_terms_days')::int, 'payment_terms_days')
                                  ELSE payment_terms_days END,
        po_number = CASE WHEN p ? 'po_number' THEN check_text(p->>'po_number', 'po_number', 100) ELSE po_number END,
        notes = CASE WHEN p ? 'notes' THEN check_text(p->>'notes', 'notes', 10000) ELSE notes END,
        tax_rounding = s.tax_rounding,
        subtotal = tot.subtotal, tax_total = tot.tax_total, total = tot.subtotal + tot.tax_total,
        tax_breakdown = tot.tax_breakdown,
        updated_at = now()
    WHERE id = i.id
    RETURNING * INTO i;
    PERFORM audit('invoice', i.id, (p - 'id' - 'lines')
                  || jsonb_build_object('lines', cardinality(lines), 'total', money_text(i.total, m)));
    RETURN invoice_json(i, c.name, lines_json(lines, m), (now() AT TIME ZONE s.timezone)::date);
END
$$;

-- invoice.delete {id}: drafts only (FL003) -> {}.
CREATE FUNCTION invoice_delete(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE i invoices := draft_for_change((p->>'id')::bigint, 'deleted');
BEGIN
    DELETE FROM invoices WHERE id = i.id;
    PERFORM audit('invoice', i.id, '{"deleted": true}');
    RETURN '{}'::jsonb;
END
$$;

-- invoice.issue {id, issue_date?}: drafts only (FL003). Re-prices the lines with
-- the tax percents valid now and the tenant's current tax_rounding, computes
-- terms (invoice's, else customer's, else tenant's) and due date, records stock
-- movements for tracked items, and only then takes the next number from the
-- series (row lock held until commit) and stores number and hash.
CREATE FUNCTION invoice_issue(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    s settings;
    i invoices;
    r record;
    today date;
    d date;
    m int;
    lines doc_line[];
    lj jsonb;
    hl text;
    res jsonb;
    changed boolean;
    n_items int;
    tot doc_totals_t;
    terms int;
    due date;
    slot series_slot;
BEGIN
    SELECT * INTO s FROM settings;
    SELECT iv AS inv, c.name AS customer_name, c.payment_terms_days AS customer_terms INTO r
      FROM invoices iv JOIN customers c ON c.id = iv.customer_id
     WHERE iv.id = (p->>'id')::bigint FOR NO KEY UPDATE OF iv;
    i := r.inv;
    IF i.id IS NULL THEN
        PERFORM fail('FL002', format('invoice %s not found', p->>'id'), 'id');
    ELSIF i.status <> 'draft' THEN
        PERFORM fail('FL003', format('invoice %s is already %s', i.number,
                     CASE WHEN i.status = 'void' THEN 'void' ELSE 'issued' END), 'id');
    END IF;
    today := (now() AT TIME ZONE s.timezone)::date;
    d := coalesce((p->>'issue_date')::date, today);
    IF d > today THEN
        PERFORM fail('FL602', format('issue date %s is in the future (today is %s)', date_text(d), date_text(today)), 'issue_date');
    END IF;
    m := minor_units(i.currency);

    -- Re-price with the current percents (only rows that changed are written);
    -- the result and hash forms of the lines come from the same pass.
    SELECT array_agg(y.l ORDER BY y.line_no), jsonb_agg(line_json(y.l, m) ORDER BY y.line_no),
           '[' || coalesce(string_agg(hash_line(y.l, m), ',' ORDER BY y.line_no), '') || ']',
           bool_or(y.changed), count(DISTINCT (y.l).item_id)
      INTO lines, lj, hl, changed, n_items
      FROM (SELECT l.line_no,
                   ROW(l.line_no, l.item_id, l.description, l.qty, l.unit_price, l.tax_rate, x.pct, x.amt,
                       line_tax(x.amt, x.pct, m))::doc_line AS l,
                   x.pct <> l.tax_percent OR x.amt <> l.amount OR line_tax(x.amt, x.pct, m) <> l.tax AS changed
              FROM invoice_lines l
              LEFT JOIN LATERAL (SELECT tr.percent FROM tax_rates tr WHERE tr.code = l.tax_rate) t ON true
             CROSS JOIN LATERAL (SELECT coalesce(t.percent, l.tax_percent) AS pct,
                                        line_amount(l.qty, l.unit_price, m) AS amt) x
             WHERE l.invoice_id = i.id) y;
    IF changed THEN
        UPDATE invoice_lines l SET tax_percent = x.tax_percent, amount = x.amount, tax = x.tax
          FROM unnest(lines) AS x
         WHERE l.invoice_id = i.id AND l.line_no = x.line_no
           AND (l.tax_percent, l.amount, l.tax) IS DISTINCT FROM (x.tax_percent, x.amount, x.tax);
    END IF;
    tot := doc_totals(lines, m, s.tax_rounding);
    terms := coalesce(i.payment_terms_days, r.customer_terms, s.payment_terms_days);
    due := d + terms;

    -- Stock: one movement per line of a tracked item. With several items their
    -- rows are locked in id order first (before the series lock) so concurrent
    -- issues cannot deadlock; a single item needs no ordering. NO KEY UPDATE
    -- (what the stock UPDATE takes anyway) does not conflict with the KEY SHARE
    -- locks that foreign key checks of concurrent invoice.create calls take.
    IF n_items > 0 THEN
        IF n_items > 1 THEN
            PERFORM 1 FROM items WHERE id IN (SELECT x.item_id FROM unnest(lines) x) AND stock_qty IS NOT NULL
              ORDER BY id FOR NO KEY UPDATE;
        END IF;
        WITH mv AS (
            INSERT INTO stock_movements (item_id, qty_delta, reason, invoice_id)
            SELECT x.item_id, -x.qty, 'invoice', i.id
              FROM unnest(lines) x JOIN items it ON it.id = x.item_id
             WHERE it.stock_qty IS NOT NULL
             ORDER BY x.line_no
            RETURNING item_id, qty_delta)
        UPDATE items it SET stock_qty = it.stock_qty + d.delta
          FROM (SELECT item_id, sum(qty_delta) AS delta FROM mv GROUP BY item_id) d
         WHERE it.id = d.item_id;
    END IF;

    -- The result is built before the series lock; only the number is added after.
    i.status := 'issued'; i.issue_date := d; i.due_date := due; i.payment_terms_days := terms;
    i.tax_rounding := s.tax_rounding; i.subtotal := tot.subtotal; i.tax_total := tot.tax_total;
    i.total := tot.subtotal + tot.tax_total; i.tax_breakdown := tot.tax_breakdown;
    i.issued_at := now(); i.updated_at := now();
    res := invoice_json(i, r.customer_name, lj, today);

    -- Number and hash link, under the series row lock (held until commit): from
    -- here on only the invoice row and its audit entry are written.
    slot := series_take('invoice', s.invoice_number_format, d,
                        invoice_hash_body(d, due, i.customer_id, i.currency, tot.subtotal, tot.tax_total,
                                          tot.subtotal + tot.tax_total, hl, tot.tax_breakdown));
    IF EXISTS (SELECT 1 FROM invoices WHERE number = slot.number) THEN
        PERFORM fail('FL003', format('invoice number %s is already used; change the invoice number format', slot.number),
                     'id');
    END IF;
    UPDATE invoices SET
        status = 'issued', number = slot.number, series_period = slot.period, seq = slot.seq,
        issue_date = d, due_date = due, payment_terms_days = terms, tax_rounding = s.tax_rounding,
        subtotal = tot.subtotal, tax_total = tot.tax_total, total = tot.subtotal + tot.tax_total,
        tax_breakdown = tot.tax_breakdown, hash = slot.hash, issued_at = now(), updated_at = now()
    WHERE id = i.id;
    PERFORM audit('invoice', i.id, jsonb_build_object('status', 'issued', 'number', slot.number,
                                                      'issue_date', date_text(d), 'due_date', date_text(due),
                                                      'total', money_text(i.total, m), 'hash', slot.hash));
    RETURN res || jsonb_build_object('number', slot.number);
END
$$;

-- invoice.get {id} or {number}.
CREATE FUNCTION invoice_get(p jsonb) RETURNS jsonb
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
CREATE FUNCTION invoice_list(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    lim int := page_limit(p);
    q text := 'SELECT i FROM invoices i WHERE i.id > $1';
    res jsonb;
    nxt text;
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
        SELECT coalesce(jsonb_agg(invoice_json(r.i, c.name, NULL, $8) ORDER BY (r.i).id)
                        FILTER (WHERE r.n <= $9), '[]'),
               CASE WHEN count(*) > $9 THEN max((r.i).id) FILTER (WHERE r.n <= $9)::text END
          FROM (SELECT x.i, row_number() OVER (ORDER BY (x.i).id) AS n FROM (%s) x) r
          JOIN customers c ON c.id = (r.i).customer_id $q$, q)
       INTO res, nxt
      USING page_after(p), p->>'status', (p->>'customer_id')::bigint, (p->>'overdue_as_of')::date,
            (p->>'issued_from')::date, (p->>'issued_to')::date, lim + 1, tenant_today(), lim;
    RETURN jsonb_build_object('items', res, 'next_cursor', nxt);
END
$$;

-------------------------------------------------------------------------------
-- Credit notes
-------------------------------------------------------------------------------

-- Credit notes: own gapless series and hash chain, fully immutable once written
-- (header and lines). total reduces the invoice's balance via invoices.credited.
CREATE TABLE credit_notes (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number          text NOT NULL,
    series_period   int NOT NULL,
    seq             bigint NOT NULL,
    invoice_id      bigint NOT NULL REFERENCES invoices,
    invoice_number  text NOT NULL,
    customer_id     bigint NOT NULL REFERENCES customers,
    currency        text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    issue_date      date NOT NULL,
    reason          text NOT NULL,
    tax_rounding    text NOT NULL CHECK (tax_rounding IN ('line', 'document')),
    subtotal        numeric NOT NULL,
    tax_total       numeric NOT NULL,
    total           numeric NOT NULL CHECK (total >= 0),
    tax_breakdown   jsonb NOT NULL,
    hash            text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX credit_notes_number ON credit_notes (number);
CREATE UNIQUE INDEX credit_notes_series_seq ON credit_notes (series_period, seq);
CREATE INDEX credit_notes_invoice ON credit_notes (invoice_id, id);
CREATE INDEX credit_notes_customer ON credit_notes (customer_id, id);

-- Credit note lines (no item link: credit notes do not move stock; voiding does).
CREATE TABLE credit_note_lines (
    credit_note_id  bigint NOT NULL REFERENCES credit_notes,
    line_no         int NOT NULL,
    description     text NOT NULL,
    qty             numeric NOT NULL CHECK (qty > 0),
    unit_price      numeric NOT NULL CHECK (unit_price >= 0),
    tax_rate        text,
    tax_percent     numeric NOT NULL DEFAULT 0,
    amount          numeric NOT NULL,
    tax             numeric NOT NULL,
    PRIMARY KEY (credit_note_id, line_no)
);

-- The credit note result object; `lines` NULL omits the lines (lists).
CREATE FUNCTION credit_note_json(n credit_notes, lines jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE m int := minor_units(n.currency);
BEGIN
    RETURN jsonb_build_object(
        'id', n.id, 'number', n.number, 'invoice_id', n.invoice_id, 'invoice_number', n.invoice_number,
        'customer_id', n.customer_id, 'currency', n.currency, 'issue_date', date_text(n.issue_date),
        'reason', n.reason, 'tax_rounding', n.tax_rounding,
        'subtotal', money_text(n.subtotal, m), 'tax_total', money_text(n.tax_total, m),
        'total', money_text(n.total, m), 'tax_breakdown', n.tax_breakdown,
        'created_at', ts_text(n.created_at))
        || CASE WHEN lines IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('lines', lines) END;
END
$$;

-- A credit note's stored lines.
CREATE FUNCTION credit_note_lines_of(p_id bigint) RETURNS doc_line[]
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT array_agg(ROW(l.line_no, NULL, l.description, l.qty, l.unit_price, l.tax_rate, l.tax_percent,
                             l.amount, l.tax)::doc_line ORDER BY l.line_no)
          FROM credit_note_lines l WHERE l.credit_note_id = p_id);
END
$$;

-- Splits a gross credit `amount` over an invoice's tax groups (from its stored
-- tax_breakdown) in proportion to each group's gross (taxable + tax); the
-- rounding remainder goes to the largest group. Each group becomes one line
-- whose net n is the largest with n + line_tax(n) <= the group's share, so the
-- tax per rate stays right; what cannot be reached that way (at most one minor
-- unit per group) is added to the no-tax group's line, or to an extra no-tax
-- "rounding" line.
CREATE FUNCTION split_credit(i invoices, amount numeric) RETURNS doc_line[]
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    m int := minor_units(i.currency);
    u numeric := power(10::numeric, -m);
    gross_sum numeric;
    g record;
    share numeric;
    net numeric;
    leftover numeric := 0;
    n int := 0;
    lines doc_line[] := '{}';
    shares numeric[];
    codes text[];
    pcts numeric[];
    biggest int;
    k int;
BEGIN
    SELECT array_agg(b->>'code' ORDER BY o), array_agg((b->>'percent')::numeric ORDER BY o),
           array_agg((b->>'taxable')::numeric + (b->>'tax')::numeric ORDER BY o),
           sum((b->>'taxable')::numeric + (b->>'tax')::numeric)
      INTO codes, pcts, shares, gross_sum
      FROM jsonb_array_elements(i.tax_breakdown) WITH ORDINALITY AS e(b, o);
    IF gross_sum IS NULL OR gross_sum = 0 THEN
        -- Nothing to split over (a zero invoice): one no-tax line.
        RETURN ARRAY[ROW(1, NULL, format('Credit on %s', i.number), 1, amount, NULL, 0, amount, 0)::doc_line];
    END IF;
    biggest := 1;
    FOR k IN 1..cardinality(shares) LOOP
        IF shares[k] > shares[biggest] THEN biggest := k; END IF;
    END LOOP;
    -- Proportional shares, remainder to the largest group.
    SELECT array_agg(round(amount * s / gross_sum, m) ORDER BY o) INTO shares
      FROM unnest(shares) WITH ORDINALITY AS x(s, o);
    shares[biggest] := shares[biggest] + (amount - (SELECT sum(s) FROM unnest(shares) s));
    FOR k IN 1..cardinality(shares) LOOP
        share := shares[k];
        CONTINUE WHEN share = 0;
        net := round(share * 100 / (100 + pcts[k]), m);
        WHILE net > 0 AND net + line_tax(net, pcts[k], m) > share LOOP net := net - u; END LOOP;
        WHILE net + u + line_tax(net + u, pcts[k], m) <= share LOOP net := net + u; END LOOP;
        leftover := leftover + (share - net - line_tax(net, pcts[k], m));
        n := n + 1;
        lines := lines || ROW(n, NULL, format('Credit on %s (%s)', i.number,
                                            coalesce(codes[k] || ' ' || dec_text(pcts[k]) || '%', 'no tax')),
                              1, net, codes[k], pcts[k], net, line_tax(net, pcts[k], m))::doc_line;
    END LOOP;
    IF leftover <> 0 THEN
        k := (SELECT o FROM unnest(lines) WITH ORDINALITY AS x(line_no, item_id, description, qty, unit_price,
                     tax_rate, tax_percent, amt, tax, o) WHERE x.tax_rate IS NULL LIMIT 1);
        IF k IS NOT NULL THEN
            lines[k].unit_price := lines[k].unit_price + leftover;
            lines[k].amount := lines[k].amount + leftover;
        ELSE
            n := n + 1;
            lines := lines || ROW(n, NULL, format('Credit on %s (rounding)', i.number), 1, leftover, NULL, 0,
                                  leftover, 0)::doc_line;
        END IF;
    END IF;
    RETURN lines;
END
$$;

-- Writes a credit note for invoice i (locked by the caller) with the given lines:
-- totals, hash link and number from the credit note series (series lock taken
-- last), header and lines, then the invoice's credited/status. p_void marks
-- invoice.void (status 'void' whatever the amounts). Returns the result object.
CREATE FUNCTION credit_note_write(i invoices, lines doc_line[], p_reason text, d date, p_void boolean) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    s settings;
    m int := minor_units(i.currency);
    tot doc_totals_t;
    slot series_slot;
    n credit_notes;
    new_status text;
BEGIN
    SELECT * INTO s FROM settings;
    tot := doc_totals(lines, m, s.tax_rounding);
    slot := series_take('credit_note', s.credit_note_number_format, d,
                        credit_note_hash_body(d, i.id, i.number, i.customer_id, i.currency, p_reason,
                                              tot.subtotal, tot.tax_total, tot.subtotal + tot.tax_total,
                                              hash_lines(lines, m), tot.tax_breakdown));
    IF EXISTS (SELECT 1 FROM credit_notes WHERE number = slot.number) THEN
        PERFORM fail('FL003', format('credit note number %s is already used; change the credit note number format',
                                     slot.number), 'invoice_id');
    END IF;
    INSERT INTO credit_notes (number, series_period, seq, invoice_id, invoice_number, customer_id, currency,
                              issue_date, reason, tax_rounding, subtotal, tax_total, total, tax_breakdown, hash)
    VALUES (slot.number, slot.period, slot.seq, i.id, i.number, i.customer_id, i.currency, d, p_reason,
            s.tax_rounding, tot.subtotal, tot.tax_total, tot.subtotal + tot.tax_total, tot.tax_breakdown, slot.hash)
    RETURNING * INTO n;
    INSERT INTO credit_note_lines (credit_note_id, line_no, description, qty, unit_price, tax_rate, tax_percent,
                                   amount, tax)
    SELECT n.id, x.line_no, x.description, x.qty, x.unit_price, x.tax_rate, x.tax_percent, x.amount, x.tax
      FROM unnest(lines) AS x;
    new_status := CASE WHEN p_void THEN 'void'
                       ELSE invoice_status(i.status, i.total, i.amount_paid, i.credited + n.total, i.sent_at) END;
    UPDATE invoices SET
        credited = credited + n.total,
        status = new_status,
        voided_at = CASE WHEN new_status = 'void' THEN now() ELSE voided_at END,
        void_reason = CASE WHEN new_status = 'void' THEN p_reason ELSE void_reason END,
        updated_at = now()
    WHERE id = i.id;
    PERFORM audit('credit_note', n.id, jsonb_build_object('number', n.number, 'invoice_id', i.id,
                                                          'total', money_text(n.total, m), 'hash', n.hash));
    PERFORM audit('invoice', i.id, jsonb_build_object('status', new_status,
                                                      'credited', money_text(i.credited + n.total, m),
                                                      'credit_note', n.number));
    RETURN credit_note_json(n, lines_json(lines, m));
END
$$;

-- invoice.void {id} or {number}, reason -> the credit note cancelling the
-- balance. Drafts (delete them instead), void invoices and invoices with
-- payments allocated are FL003. With nothing credited yet the credit note
-- mirrors the invoice's lines (identical totals); otherwise the remaining
-- balance is split over the tax groups like credit_note.create {amount}.
-- Restores stock: the reverse of the invoice's stock movements. Dated today.
CREATE FUNCTION invoice_void(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    i invoices := invoice_find(p, true);
    reason text := req_text(p->>'reason', 'reason', 2000);
    lines doc_line[];
    cn credit_notes;
BEGIN
    IF i.status = 'draft' THEN
        PERFORM fail('FL003', format('draft invoice %s cannot be voided; delete it instead', i.id), 'id');
    ELSIF i.status = 'void' THEN
        PERFORM fail('FL003', format('invoice %s is already void', i.number), 'id');
    ELSIF i.amount_paid > 0 THEN
        PERFORM fail('FL003', format('invoice %s cannot be voided: payments are still allocated to it', i.number), 'id');
    END IF;
    IF i.credited = 0 THEN
        lines := invoice_lines_of(i.id);
        lines := (SELECT array_agg(ROW(x.line_no, NULL, x.description, x.qty, x.unit_price, x.tax_rate, x.tax_percent,
                                       x.amount, x.tax)::doc_line ORDER BY x.line_no) FROM unnest(lines) x);
    ELSE
        lines := split_credit(i, i.total - i.amount_paid - i.credited);
    END IF;
    -- Stock back: reverse every movement the issue recorded (item rows locked in
    -- id order first, as invoice_issue does, so concurrent calls cannot deadlock).
    PERFORM 1 FROM items
     WHERE id IN (SELECT sm.item_id FROM stock_movements sm WHERE sm.invoice_id = i.id AND sm.reason = 'invoice')
       AND stock_qty IS NOT NULL
     ORDER BY id FOR NO KEY UPDATE;
    WITH mv AS (
        INSERT INTO stock_movements (item_id, qty_delta, reason, invoice_id)
        SELECT sm.item_id, -sm.qty_delta, 'void', i.id
          FROM stock_movements sm WHERE sm.invoice_id = i.id AND sm.reason = 'invoice'
         ORDER BY sm.id
        RETURNING item_id, qty_delta)
    UPDATE items it SET stock_qty = it.stock_qty + d.delta
      FROM (SELECT item_id, sum(qty_delta) AS delta FROM mv GROUP BY item_id) d
     WHERE it.id = d.item_id AND it.stock_qty IS NOT NULL;
    RETURN credit_note_write(i, lines, reason, tenant_today(), true);
END
$$;

-- credit_note.create {invoice_id or invoice_number, reason, lines? | amount?,
-- issue_date?}: exactly one of lines/amount (FL602 'lines' when neither,
-- 'amount' when both). lines
-- [{description, qty, unit_price, tax_rate?}] are priced like invoice lines;
-- amount (gross, > 0) is split over the invoice's tax groups (split_credit).
-- The total must be > 0 and not exceed the invoice's balance_due (FL003 on
-- 'amount' / 'lines'); the invoice must be issued and not void (FL003).
-- issue_date: default today, not in the future, not before the invoice's issue
-- date nor the series' latest (FL602 'issue_date').
-- Status rule: a credit that brings the balance to 0 makes the invoice 'paid'
-- when payments were made, else 'void' (fully cancelled); see invoice_status.
-- Credit notes do not move stock (only invoice.void does).
CREATE FUNCTION credit_note_create(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    i invoices;
    reason text;
    today date := tenant_today();
    d date;
    m int;
    lines doc_line[];
    total numeric;
    bal numeric;
    which text;
BEGIN
    IF p->'lines' IS NOT NULL AND p->'lines' <> 'null' AND p->'amount' IS NOT NULL AND p->'amount' <> 'null' THEN
        PERFORM fail('FL602', 'give exactly one of lines or amount, not both', 'amount');
    ELSIF (p->'lines' IS NULL OR p->'lines' = 'null') AND (p->'amount' IS NULL OR p->'amount' = 'null') THEN
        PERFORM fail('FL602', 'give exactly one of lines or amount', 'lines');
    END IF;
    i := invoice_find(p, true, 'invoice_id', 'invoice_number');
    reason := req_text(p->>'reason', 'reason', 2000);
    IF i.status = 'draft' THEN
        PERFORM fail('FL003', format('draft invoice %s has not been issued', i.id), 'invoice_id');
    ELSIF i.status = 'void' THEN
        PERFORM fail('FL003', format('invoice %s is void', i.number), 'invoice_id');
    END IF;
    d := coalesce((p->>'issue_date')::date, today);
    IF d > today THEN
        PERFORM fail('FL602', format('issue date %s is in the future (today is %s)', date_text(d), date_text(today)), 'issue_date');
    ELSIF d < i.issue_date THEN
        PERFORM fail('FL602', format('issue date %s is before the invoice''s issue date %s', date_text(d),
                                     date_text(i.issue_date)), 'issue_date');
    END IF;
    m := minor_units(i.currency);
    bal := i.total - i.amount_paid - i.credited;
    IF p->'amount' IS NOT NULL AND p->'amount' <> 'null' THEN
        which := 'amount';
        total := (p->>'amount')::numeric;
        IF total <= 0 OR total <> round(total, m) THEN
            PERFORM fail('FL602', format('amount must be greater than 0 with at most %s decimals', m), 'amount');
        END IF;
        IF total > bal THEN
            PERFORM fail('FL003', format('credit of %s exceeds the balance due %s of invoice %s',
                                         money_text(total, m), money_text(bal, m), i.number), 'amount');
        END IF;
        lines := split_credit(i, total);
    ELSE
        which := 'lines';
        IF EXISTS (SELECT 1 FROM jsonb_array_elements(p->'lines') e WHERE e ? 'item_id') THEN
            PERFORM fail('FL602', 'credit note lines take no item_id', 'lines');
        END IF;
        lines := (price_lines(p->'lines', m)).lines;
        SELECT t.subtotal + t.tax_total INTO total
          FROM doc_totals(lines, m, (SELECT tax_rounding FROM settings)) t;
        IF total <= 0 THEN
            PERFORM fail('FL602', 'the credit note total must be greater than 0', 'lines');
        END IF;
        IF total > bal THEN
            PERFORM fail('FL003', format('credit of %s exceeds the balance due %s of invoice %s',
                                         money_text(total, m), money_text(bal, m), i.number), 'lines');
        END IF;
    END IF;
    RETURN credit_note_write(i, lines, reason, d, false);
END
$$;

-- credit_note.get {id} or {number}.
CREATE FUNCTION credit_note_get(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE n credit_notes;
BEGIN
    IF p->>'id' IS NOT NULL THEN
        SELECT * INTO n FROM credit_notes WHERE id = (p->>'id')::bigint;
        IF n.id IS NULL THEN PERFORM fail('FL002', format('credit note %s not found', p->>'id'), 'id'); END IF;
    ELSIF p->>'number' IS NOT NULL THEN
        SELECT * INTO n FROM credit_notes WHERE number = p->>'number';
        IF n.id IS NULL THEN PERFORM fail('FL002', format('credit note %s not found', p->>'number'), 'number'); END IF;
    ELSE
        PERFORM fail('FL602', 'give id or number', 'id');
    END IF;
    RETURN credit_note_json(n, lines_json(credit_note_lines_of(n.id), minor_units(n.currency)));
END
$$;

-- credit_note.list {invoice_id?, customer_id?, limit?, cursor?}: credit note
-- objects without lines, by id.
CREATE FUNCTION credit_note_list(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    lim int := page_limit(p);
    after bigint := page_after(p);
    inv bigint := (p->>'invoice_id')::bigint;
    cus bigint := (p->>'customer_id')::bigint;
    res jsonb;
    nxt text;
BEGIN
    SELECT coalesce(jsonb_agg(credit_note_json(r.n, NULL) ORDER BY (r.n).id) FILTER (WHERE r.k <= lim), '[]'),
           CASE WHEN count(*) > lim THEN max((r.n).id) FILTER (WHERE r.k <= lim)::text END
      INTO res, nxt
      FROM (SELECT n, row_number() OVER (ORDER BY n.id) AS k
              FROM credit_notes n
             WHERE n.id > after AND (inv IS NULL OR n.invoice_id = inv) AND (cus IS NULL OR n.customer_id = cus)
             ORDER BY n.id LIMIT lim + 1) r;
    RETURN jsonb_build_object('items', res, 'next_cursor', nxt);
END
$$;

-------------------------------------------------------------------------------
-- Settings
-------------------------------------------------------------------------------

-- The tenant result object.
CREATE FUNCTION tenant_json(s settings) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object('tenant', s.tenant, 'name', s.name, 'currency', s.currency, 'timezone', s.timezone,
                              'tax_rounding', s.tax_rounding, 'payment_terms_days', s.payment_terms_days,
                              'invoice_number_format', s.invoice_number_format,
                              'credit_note_number_format', s.credit_note_number_format,
                              'legal_name', s.legal_name, 'address', s.address, 'tax_id', s.tax_id,
                              'email', s.email, 'phone', s.phone, 'updated_at', ts_text(s.updated_at))
$$;

-- tenant.get {}.
CREATE FUNCTION tenant_get(p jsonb) RETURNS jsonb
LANGUAGE sql STABLE AS $$ SELECT tenant_json(s) FROM settings s $$;

-- tenant.update {tax_rounding?, payment_terms_days?, invoice_number_format?,
-- credit_note_number_format?, legal_name?, address?, tax_id?, email?, phone?,
-- timezone?}: null clears legal_name/address/tax_id/email/phone; the others
-- cannot be null. A new tax_rounding applies to drafts as they change or are
-- issued; issued documents keep theirs. Number formats: see number_series.
CREATE FUNCTION tenant_update(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE s settings;
BEGIN
    IF p ? 'timezone' AND (p->>'timezone' IS NULL OR length(p->>'timezone') > 64
                           OR NOT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = p->>'timezone')) THEN
        PERFORM fail('FL602', format('unknown time zone %s', coalesce(p->>'timezone', 'null')), 'timezone');
    END IF;
    IF p ? 'tax_rounding' AND p->>'tax_rounding' IS DISTINCT FROM 'line' AND p->>'tax_rounding' IS DISTINCT FROM 'document' THEN
        PERFORM fail('FL602', 'tax_rounding must be line or document', 'tax_rounding');
    END IF;
    IF p ? 'payment_terms_days' AND p->>'payment_terms_days' IS NULL THEN
        PERFORM fail('FL602', 'payment_terms_days cannot be null', 'payment_terms_days');
    END IF;
    UPDATE settings SET
        timezone = coalesce(p->>'timezone', timezone),
        tax_rounding = coalesce(p->>'tax_rounding', tax_rounding),
        payment_terms_days = CASE WHEN p ? 'payment_terms_days'
                                  THEN check_terms((p->>'payment_terms_days')::int, 'payment_terms_days')
                                  ELSE payment_terms_days END,
        invoice_number_format = CASE WHEN p ? 'invoice_number_format'
                                     THEN check_number_format(p->>'invoice_number_format', 'invoice_number_format')
                                     ELSE invoice_number_format END,
        credit_note_number_format = CASE WHEN p ? 'credit_note_number_format'
                                         THEN check_number_format(p->>'credit_note_number_format', 'credit_note_number_format')
                                         ELSE credit_note_number_format END,
        legal_name = CASE WHEN p ? 'legal_name' THEN check_text(p->>'legal_name', 'legal_name', 200) ELSE legal_name END,
        address = CASE WHEN p ? 'address' THEN check_address(p->'address', 'address') ELSE address END,
        tax_id = CASE WHEN p ? 'tax_id' THEN check_text(p->>'tax_id', 'tax_id', 50) ELSE tax_id END,
        email = CASE WHEN p ? 'email' THEN check_email(p->>'email', 'email') ELSE email END,
        phone = CASE WHEN p ? 'phone' THEN check_text(p->>'phone', 'phone', 50) ELSE phone END,
        updated_at = now()
    RETURNING * INTO s;
    PERFORM audit('tenant', NULL, p);
    RETURN tenant_json(s);
END
$$;

-------------------------------------------------------------------------------
-- Immutability triggers: history cannot be rewritten through DML, whoever runs
-- it (the tenant role or the owning login role).
-------------------------------------------------------------------------------

-- Issued invoices: only status (forward), amount_paid, credited and the
-- bookkeeping columns may change; a void invoice changes no more; issued
-- invoices cannot be deleted.
CREATE FUNCTION invoices_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION USING ERRCODE = 'FL003', DETAIL = 'id',
            MESSAGE = format('invoice %s is issued and cannot be deleted', OLD.number);
    END IF;
    IF (NEW.id, NEW.number, NEW.series_period, NEW.seq, NEW.customer_id, NEW.currency, NEW.issue_date, NEW.due_date,
        NEW.payment_terms_days, NEW.po_number, NEW.notes, NEW.tax_rounding, NEW.subtotal, NEW.tax_total, NEW.total,
        NEW.tax_breakdown, NEW.hash, NEW.created_at, NEW.issued_at)
       IS DISTINCT FROM
       (OLD.id, OLD.number, OLD.series_period, OLD.seq, OLD.customer_id, OLD.currency, OLD.issue_date, OLD.due_date,
        OLD.payment_terms_days, OLD.po_number, OLD.notes, OLD.tax_rounding, OLD.subtotal, OLD.tax_total, OLD.total,
        OLD.tax_breakdown, OLD.hash, OLD.created_at, OLD.issued_at)
       OR NEW.status = 'draft'
       OR (OLD.status = 'void' AND (NEW.status, NEW.amount_paid, NEW.credited, NEW.voided_at, NEW.void_reason)
                                   IS DISTINCT FROM (OLD.status, OLD.amount_paid, OLD.credited, OLD.voided_at, OLD.void_reason)) THEN
        RAISE EXCEPTION USING ERRCODE = 'FL003', DETAIL = 'id',
            MESSAGE = format('invoice %s is %s; its content cannot change (issue a credit note instead)',
                             OLD.number, replace(OLD.status, '_', ' '));
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER invoices_guard_update BEFORE UPDATE ON invoices
    FOR EACH ROW WHEN (OLD.status <> 'draft') EXECUTE FUNCTION invoices_guard();
CREATE TRIGGER invoices_guard_delete BEFORE DELETE ON invoices
    FOR EACH ROW WHEN (OLD.status <> 'draft') EXECUTE FUNCTION invoices_guard();

-- Invoices are born drafts: an INSERT of anything else would bypass numbering.
CREATE FUNCTION invoices_born_draft() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'FL003', MESSAGE = 'invoices are created as drafts and numbered by invoice.issue';
END
$$;
CREATE TRIGGER invoices_born_draft BEFORE INSERT ON invoices
    FOR EACH ROW WHEN (NEW.status <> 'draft' OR NEW.number IS NOT NULL OR NEW.hash IS NOT NULL
                       OR NEW.amount_paid <> 0 OR NEW.credited <> 0)
    EXECUTE FUNCTION invoices_born_draft();

-- No TRUNCATE of documents, lines, series or the stock ledger.
CREATE FUNCTION no_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'FL003', MESSAGE = format('%s cannot be truncated', TG_TABLE_NAME);
END
$$;
CREATE TRIGGER invoices_no_truncate BEFORE TRUNCATE ON invoices FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();
CREATE TRIGGER invoice_lines_no_truncate BEFORE TRUNCATE ON invoice_lines FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();
CREATE TRIGGER credit_notes_no_truncate BEFORE TRUNCATE ON credit_notes FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();
CREATE TRIGGER credit_note_lines_no_truncate BEFORE TRUNCATE ON credit_note_lines FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();
CREATE TRIGGER number_series_no_truncate BEFORE TRUNCATE ON number_series FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();
CREATE TRIGGER stock_movements_no_truncate BEFORE TRUNCATE ON stock_movements FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();

-- Invoice lines may only be inserted, changed or deleted while their invoice
-- (old and new) is a draft. Statement-level with transition tables: one check
-- per statement, not per line.
CREATE FUNCTION invoice_lines_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE num text;
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT i.number INTO num FROM new_rows r JOIN invoices i ON i.id = r.invoice_id WHERE i.status <> 'draft' LIMIT 1;
    END IF;
    IF num IS NULL AND TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT i.number INTO num FROM old_rows r JOIN invoices i ON i.id = r.invoice_id WHERE i.status <> 'draft' LIMIT 1;
    END IF;
    IF num IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'FL003', DETAIL = 'lines',
            MESSAGE = format('invoice %s is issued; its lines cannot change', num);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER invoice_lines_guard_insert AFTER INSERT ON invoice_lines
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION invoice_lines_guard();
CREATE TRIGGER invoice_lines_guard_update AFTER UPDATE ON invoice_lines
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION invoice_lines_guard();
CREATE TRIGGER invoice_lines_guard_delete AFTER DELETE ON invoice_lines
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION invoice_lines_guard();

-- Credit notes, their lines and the stock ledger are append-only.
CREATE FUNCTION append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'FL003', MESSAGE = format('%s is append-only', TG_TABLE_NAME);
END
$$;
CREATE TRIGGER credit_notes_append_only BEFORE UPDATE OR DELETE ON credit_notes
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER credit_note_lines_append_only BEFORE UPDATE OR DELETE ON credit_note_lines
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER stock_movements_append_only BEFORE UPDATE OR DELETE ON stock_movements
    FOR EACH ROW EXECUTE FUNCTION append_only();

-- Credit note lines can only be added in the (sub)transaction that wrote the
-- credit note itself: later additions would change a numbered document.
CREATE FUNCTION credit_note_lines_same_tx() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows r
                 JOIN credit_note_lines l ON l.credit_note_id = r.credit_note_id AND l.line_no = r.line_no
                 JOIN credit_notes n ON n.id = r.credit_note_id
                WHERE NOT (n.xmin = l.xmin)) THEN
        RAISE EXCEPTION USING ERRCODE = 'FL003', MESSAGE = 'credit notes are immutable; lines cannot be added later';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER credit_note_lines_same_tx AFTER INSERT ON credit_note_lines
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION credit_note_lines_same_tx();

-- Number series never go back and are never deleted.
CREATE FUNCTION number_series_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'FL003', MESSAGE = 'number series cannot go back or be deleted';
END
$$;
CREATE TRIGGER number_series_forward BEFORE UPDATE ON number_series
    FOR EACH ROW WHEN (NEW.next_seq < OLD.next_seq OR NEW.kind <> OLD.kind OR NEW.period <> OLD.period)
    EXECUTE FUNCTION number_series_guard();
CREATE TRIGGER number_series_no_delete BEFORE DELETE ON number_series
    FOR EACH ROW EXECUTE FUNCTION number_series_guard();

-- The two guards that read tables fire in whatever session touches the tables
-- (e.g. the owner with another search_path): pin them to this tenant's schema.
DO $pin$
BEGIN
    EXECUTE format('ALTER FUNCTION invoice_lines_guard() SET search_path = %I', current_schema());
    EXECUTE format('ALTER FUNCTION credit_note_lines_same_tx() SET search_path = %I', current_schema());
END
$pin$;

-------------------------------------------------------------------------------
-- audit.verify
-------------------------------------------------------------------------------

-- audit.verify {} -> {ok, problems: [{kind, entity, id, number, message}],
-- truncated}. Set-based over all documents (window functions, no per-document
-- function calls; ~25 s per million invoices of 3 lines on a 2-core VM):
--   gap / duplicate   numbering per series (kind, period), by seq;
--   series            number_series.next_seq or last_hash disagreeing with the
--                     series' documents;
--   totals            stored subtotal/tax_total/total disagreeing with the lines
--                     (grouped per tax rate with group_tax, as doc_totals does),
--                     or a line's amount/tax disagreeing with line_amount/line_tax;
--   hash              the first document per series whose stored hash is not
--                     doc_hash(previous stored hash, number, body recomputed from
--                     the stored document and lines); the body seals the stored
--                     tax_breakdown too, so a changed breakdown shows up here;
--   credits           invoices.credited disagreeing with its credit notes.
-- Drafts are checked for totals only (they have no number or hash yet).
-- At most 1000 problems are listed (truncated = true when there were more).
CREATE FUNCTION audit_verify(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    inv_probs jsonb;
    cn_probs jsonb;
    series_probs jsonb;
    credit_probs jsonb;
    probs jsonb;
    n int;
BEGIN

    -- Invoices: one pass over the lines in (invoice, line_no) order gives each
    -- invoice's subtotal, sum of line taxes, line checks and canonical hash
    -- lines. Tax total per doc_totals: in 'line' mode the sum of group_tax over
    -- the rate groups is the sum of the line taxes; 'document' mode invoices are
    -- regrouped per (code, percent) with group_tax. Minor units come from a
    -- per-currency lookup (cm) so `m` is a plain column (SQL helpers that use a
    -- parameter twice are only inlined for cheap arguments).
    PERFORM set_config('work_mem', '128MB', true);
    WITH cm AS (
        SELECT c.currency, minor_units(c.currency) AS m FROM (SELECT DISTINCT currency FROM invoices) c),
    lt AS (
        SELECT l.invoice_id, min(cm.m) AS m, sum(l.amount) AS subtotal, sum(l.tax) AS line_tax,
               bool_and(l.amount = line_amount(l.qty, l.unit_price, cm.m)
                        AND l.tax = line_tax(l.amount, l.tax_percent, cm.m)) AS lines_ok,
               '[' || string_agg(hash_line(ROW(l.line_no, l.item_id, l.description, l.qty, l.unit_price, l.tax_rate,
                                               l.tax_percent, l.amount, l.tax)::doc_line, cm.m),
                                 ',' ORDER BY l.line_no) || ']' AS hl
          FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id JOIN cm ON cm.currency = i.currency
         GROUP BY l.invoice_id),
    dt AS (
        SELECT g.invoice_id, sum(g.tax) AS tax_total
          FROM (SELECT l.invoice_id,
                       group_tax(sum(l.amount), sum(l.tax), l.tax_percent, cm.m, i.tax_rounding) AS tax
                  FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id JOIN cm ON cm.currency = i.currency
                 WHERE i.tax_rounding = 'document'
                 GROUP BY l.invoice_id, l.tax_rate, l.tax_percent, cm.m, i.tax_rounding) g
         GROUP BY g.invoice_id),
    t AS (
        SELECT lt.invoice_id, lt.lines_ok, lt.hl, round(lt.subtotal, lt.m) AS subtotal,
               round(coalesce(dt.tax_total, lt.line_tax), lt.m) AS tax_total
          FROM lt LEFT JOIN dt ON dt.invoice_id = lt.invoice_id),
    inv AS (
        SELECT i.id, i.number, i.status, i.series_period, i.seq, i.hash, i.subtotal, i.tax_total, i.total,
               i.tax_breakdown, t.lines_ok,
               ROW(coalesce(t.subtotal, 0), coalesce(t.tax_total, 0), NULL)::doc_totals_t AS tot,
               CASE WHEN i.seq IS NOT NULL THEN
                   invoice_hash_body(i.issue_date, i.due_date, i.customer_id, i.currency, i.subtotal, i.tax_total,
                                     i.total, coalesce(t.hl, '[]'), i.tax_breakdown) END AS body
          FROM invoices i
          LEFT JOIN t ON t.invoice_id = i.id),
    chk AS (
        SELECT inv.*,
               lag(inv.seq) OVER w AS prev_seq,
               doc_hash(lag(inv.hash) OVER w, inv.number, inv.body) AS expected
          FROM inv
        WINDOW w AS (PARTITION BY inv.series_period ORDER BY inv.seq, inv.id))
    SELECT coalesce(jsonb_agg(jsonb_build_object('kind', x.kind, 'entity', 'invoice', 'id', x.id, 'number', x.number,
                                                 'message', x.message)
                              ORDER BY x.series_period NULLS FIRST, x.seq NULLS FIRST, x.id), '[]')
      INTO inv_probs
      FROM (
        SELECT 'totals' AS kind, id, number, seq, series_period,
               CASE WHEN lines_ok IS NULL THEN 'the invoice has no lines'
                    WHEN NOT lines_ok THEN 'a line''s amount or tax disagrees with its qty, unit price and percent'
                    ELSE format('stored totals (subtotal %s, tax %s, total %s) disagree with the lines (%s, %s, %s)',
                                subtotal, tax_total, total, (tot).subtotal, (tot).tax_total,
                                (tot).subtotal + (tot).tax_total) END AS message
          FROM chk
         WHERE (subtotal, tax_total, total) IS DISTINCT FROM ((tot).subtotal, (tot).tax_total, (tot).subtotal + (tot).tax_total)
            OR lines_ok IS NOT TRUE
        UNION ALL
        SELECT 'duplicate', id, number, seq, series_period,
               format('number %s repeats sequence %s of series %s', number, seq, series_period)
          FROM chk WHERE seq IS NOT NULL AND seq = prev_seq
        UNION ALL
        SELECT 'gap', id, number, seq, series_period,
               CASE WHEN seq - coalesce(prev_seq, 0) = 2
                    THEN format('sequence %s of series %s is missing before %s', seq - 1, series_period, number)
                    ELSE format('sequences %s to %s of series %s are missing before %s', coalesce(prev_seq, 0) + 1,
                                seq - 1, series_period, number) END
          FROM chk WHERE seq IS NOT NULL AND seq > coalesce(prev_seq, 0) + 1
        UNION ALL
        (SELECT DISTINCT ON (series_period) 'hash', id, number, seq, series_period,
               format('hash chain broken at %s (series %s): stored hash does not match its content and predecessor',
                      number, series_period)
          FROM chk WHERE seq IS NOT NULL AND hash IS DISTINCT FROM expected
         ORDER BY series_period, seq)
    ) x;

    -- Credit notes: the same checks.
    WITH cm AS (
        SELECT c.currency, minor_units(c.currency) AS m FROM (SELECT DISTINCT currency FROM credit_notes) c),
    lt AS (
        SELECT l.credit_note_id, min(cm.m) AS m, sum(l.amount) AS subtotal, sum(l.tax) AS line_tax,
               bool_and(l.amount = line_amount(l.qty, l.unit_price, cm.m)
                        AND l.tax = line_tax(l.amount, l.tax_percent, cm.m)) AS lines_ok,
               '[' || string_agg(hash_line(ROW(l.line_no, NULL, l.description, l.qty, l.unit_price, l.tax_rate,
                                               l.tax_percent, l.amount, l.tax)::doc_line, cm.m),
                                 ',' ORDER BY l.line_no) || ']' AS hl
          FROM credit_note_lines l JOIN credit_notes n ON n.id = l.credit_note_id JOIN cm ON cm.currency = n.currency
         GROUP BY l.credit_note_id),
    dt AS (
        SELECT g.credit_note_id, sum(g.tax) AS tax_total
          FROM (SELECT l.credit_note_id,
                       group_tax(sum(l.amount), sum(l.tax), l.tax_percent, cm.m, n.tax_rounding) AS tax
                  FROM credit_note_lines l JOIN credit_notes n ON n.id = l.credit_note_id
                  JOIN cm ON cm.currency = n.currency
                 WHERE n.tax_rounding = 'document'
                 GROUP BY l.credit_note_id, l.tax_rate, l.tax_percent, cm.m, n.tax_rounding) g
         GROUP BY g.credit_note_id),
    t AS (
        SELECT lt.credit_note_id, lt.lines_ok, lt.hl, round(lt.subtotal, lt.m) AS subtotal,
               round(coalesce(dt.tax_total, lt.line_tax), lt.m) AS tax_total
          FROM lt LEFT JOIN dt ON dt.credit_note_id = lt.credit_note_id),
    cn AS (
        SELECT n.id, n.number, n.series_period, n.seq, n.hash, n.subtotal, n.tax_total, n.total, n.tax_breakdown,
               t.lines_ok,
               ROW(coalesce(t.subtotal, 0), coalesce(t.tax_total, 0), NULL)::doc_totals_t AS tot,
               credit_note_hash_body(n.issue_date, n.invoice_id, n.invoice_number, n.customer_id, n.currency,
                                     n.reason, n.subtotal, n.tax_total, n.total, coalesce(t.hl, '[]'),
                                     n.tax_breakdown) AS body
          FROM credit_notes n
          LEFT JOIN t ON t.credit_note_id = n.id),
    chk AS (
        SELECT cn.*, lag(cn.seq) OVER w AS prev_seq, doc_hash(lag(cn.hash) OVER w, cn.number, cn.body) AS expected
          FROM cn
        WINDOW w AS (PARTITION BY cn.series_period ORDER BY cn.seq, cn.id))
    SELECT coalesce(jsonb_agg(jsonb_build_object('kind', x.kind, 'entity', 'credit_note', 'id', x.id,
                                                 'number', x.number, 'message', x.message)
                              ORDER BY x.series_period, x.seq, x.id), '[]')
      INTO cn_probs
      FROM (
        SELECT 'totals' AS kind, id, number, seq, series_period,
               CASE WHEN lines_ok IS NULL THEN 'the credit note has no lines'
                    WHEN NOT lines_ok THEN 'a line''s amount or tax disagrees with its qty, unit price and percent'
                    ELSE format('stored totals (subtotal %s, tax %s, total %s) disagree with the lines (%s, %s, %s)',
                                subtotal, tax_total, total, (tot).subtotal, (tot).tax_total,
                                (tot).subtotal + (tot).tax_total) END AS message
          FROM chk
         WHERE (subtotal, tax_total, total) IS DISTINCT FROM ((tot).subtotal, (tot).tax_total, (tot).subtotal + (tot).tax_total)
            OR lines_ok IS NOT TRUE
        UNION ALL
        SELECT 'duplicate', id, number, seq, series_period,
               format('number %s repeats sequence %s of series %s', number, seq, series_period)
          FROM chk WHERE seq = prev_seq
        UNION ALL
        SELECT 'gap', id, number, seq, series_period,
               format('sequences %s to %s of series %s are missing before %s', coalesce(prev_seq, 0) + 1, seq - 1,
                      series_period, number)
          FROM chk WHERE seq > coalesce(prev_seq, 0) + 1
        UNION ALL
        (SELECT DISTINCT ON (series_period) 'hash', id, number, seq, series_period,
               format('hash chain broken at %s (series %s): stored hash does not match its content and predecessor',
                      number, series_period)
          FROM chk WHERE hash IS DISTINCT FROM expected
         ORDER BY series_period, seq)
    ) x;

    -- Series rows against their documents (count, highest seq, head hash).
    SELECT coalesce(jsonb_agg(jsonb_build_object('kind', 'series', 'entity', 'number_series', 'id', NULL,
                                                 'number', NULL, 'message', x.message) ORDER BY x.k, x.per), '[]')
      INTO series_probs
      FROM (
    SELECT coalesce(s.kind, d.kind) AS k, coalesce(s.period, d.period) AS per,
           format('%s series %s: next number %s but %s documents up to sequence %s%s',
                  replace(coalesce(s.kind, d.kind), '_', ' '), coalesce(s.period, d.period), coalesce(s.next_seq, 1),
                  coalesce(d.cnt, 0), coalesce(d.max_seq, 0),
                  CASE WHEN s.last_hash IS DISTINCT FROM d.head_hash THEN ', and its head hash differs from the last document''s'
                       ELSE '' END) AS message
      FROM number_series s
      FULL JOIN (SELECT 'invoice' AS kind, series_period AS period, count(*) AS cnt, max(seq) AS max_seq,
                        (array_agg(hash ORDER BY seq DESC, id DESC))[1] AS head_hash
                   FROM invoices WHERE seq IS NOT NULL GROUP BY series_period
                 UNION ALL
                 SELECT 'credit_note', series_period, count(*), max(seq),
                        (array_agg(hash ORDER BY seq DESC, id DESC))[1]
                   FROM credit_notes GROUP BY series_period) d
        ON d.kind = s.kind AND d.period = s.period
     WHERE coalesce(s.next_seq, 1) - 1 <> coalesce(d.max_seq, 0)
        OR coalesce(s.next_seq, 1) - 1 <> coalesce(d.cnt, 0)
        OR s.last_hash IS DISTINCT FROM d.head_hash) x;

    -- Invoice credited amounts against their credit notes.
    SELECT coalesce(jsonb_agg(jsonb_build_object('kind', 'credits', 'entity', 'invoice', 'id', i.id, 'number', i.number,
                              'message', format('credited %s but its credit notes total %s', i.credited,
                                                coalesce(c.total, 0))) ORDER BY i.id), '[]')
      INTO credit_probs
      FROM invoices i
      LEFT JOIN (SELECT invoice_id, sum(total) AS total FROM credit_notes GROUP BY invoice_id) c ON c.invoice_id = i.id
     WHERE i.credited <> coalesce(c.total, 0);

    probs := inv_probs || cn_probs || series_probs || credit_probs;
    n := jsonb_array_length(probs);
    IF n > 1000 THEN
        probs := (SELECT jsonb_agg(e ORDER BY o) FROM jsonb_array_elements(probs) WITH ORDINALITY AS x(e, o) WHERE o <= 1000);
    END IF;
    RETURN jsonb_build_object('ok', n = 0, 'problems', probs, 'truncated', n > 1000);
END
$$;

-------------------------------------------------------------------------------
-- Privileges of the tenant role. Documents' history tables get SELECT, INSERT
-- only; drafts need UPDATE/DELETE on invoices and lines (the triggers above keep
-- issued ones frozen).
-------------------------------------------------------------------------------
GRANT SELECT, INSERT, UPDATE ON tax_rates, customers, items TO {{tenant_role}};
GRANT SELECT, INSERT, UPDATE, DELETE ON invoices, invoice_lines TO {{tenant_role}};
GRANT SELECT, INSERT, UPDATE ON number_series TO {{tenant_role}};
GRANT SELECT, INSERT ON credit_notes, credit_note_lines, stock_movements TO {{tenant_role}};
