-- Result object of an item.
CREATE OR REPLACE FUNCTION item_json(i record) RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN jsonb_build_object('id', i.id, 'sku', i.sku, 'name', i.name, 'description', i.description,
                       'unit_price', i.unit_price::text, 'tax_rate', i.tax_rate, 'unit', i.unit,
                       'stock_qty', dec_text(i.stock_qty), 'archived', i.archived,
                       'created_at', ts_text(i.created_at), 'updated_at', ts_text(i.updated_at));
END
$$;

-- A tax rate code given for an item or line must exist and not be archived (FL602).
CREATE OR REPLACE FUNCTION check_tax_code(v text, field text) RETURNS text
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
CREATE OR REPLACE FUNCTION check_price(v numeric, field text) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF v IS NULL OR v < 0 OR v > 1e12 THEN
        PERFORM fail('FL602', 'unit_price must be between 0 and 1000000000000', field);
    END IF;
    RETURN v;
END
$$;

-- Stock quantity |q| <= 10^12.
CREATE OR REPLACE FUNCTION check_stock(v numeric, field text) RETURNS numeric
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
CREATE OR REPLACE FUNCTION item_create(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE i record;
BEGIN
    INSERT INTO items (sku, name, description, unit_price, tax_rate, stock_qty, unit)
    VALUES (req_text(p->>'sku', 'sku', 64), req_text(p->>'name', 'name', 200),
            check_text(p->>'description', 'description', 4000),
            check_price((p->>'unit_price')::numeric, 'unit_price'),
            check_tax_code(p->>'tax_rate', 'tax_rate'),
            check_stock((p->>'stock_qty')::numeric, 'stock_qty'),
            check_unit(coalesce(p->>'unit', 'C62'), 'unit'))
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
CREATE OR REPLACE FUNCTION item_find(p jsonb, lock boolean DEFAULT false) RETURNS record
LANGUAGE plpgsql AS $$
DECLARE i record;
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
CREATE OR REPLACE FUNCTION item_get(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    RETURN item_json(item_find(p));
END
$$;

-- item.update {id, sku?, name?, unit_price?, description?, tax_rate?, stock_qty?}:
-- null clears description/tax_rate; stock_qty sets the stock level (an
-- 'adjustment' movement records the difference), null stops tracking.
CREATE OR REPLACE FUNCTION item_update(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    old record := item_find(jsonb_build_object('id', p->'id'), true);
    i record;
BEGIN
    IF p ? 'sku' AND p->>'sku' IS DISTINCT FROM old.sku
       AND EXISTS (SELECT 1 FROM items WHERE sku = p->>'sku') THEN
        PERFORM fail('FL003', format('an item with sku %s already exists', p->>'sku'), 'sku');
    END IF;
    UPDATE items SET
        sku = CASE WHEN p ? 'sku' THEN req_text(p->>'sku', 'sku', 64) ELSE sku END,
        name = CASE WHEN p ? 'name' THEN req_text(p->>'name', 'name', 200) ELSE name END,
        description = CASE WHEN p ? 'description' THEN check_text(p->>'description', 'description', 4000) ELSE description END,
        unit_price = CASE WHEN p ? 'unit_price' THEN check_price((p->>'unit_price')::numeric, 'unit_price') ELSE unit_price END,
        tax_rate = CASE WHEN p ? 'tax_rate' THEN check_tax_code(p->>'tax_rate', 'tax_rate') ELSE tax_rate END,
        stock_qty = CASE WHEN p ? 'stock_qty' THEN check_stock((p->>'stock_qty')::numeric, 'stock_qty') ELSE stock_qty END,
        unit = CASE WHEN p ? 'unit' THEN check_unit(p->>'unit', 'unit') ELSE unit END,
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
CREATE OR REPLACE FUNCTION item_archive(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE i record;
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
CREATE OR REPLACE FUNCTION item_list(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    lim int := page_limit(p);
    after bigint := page_after(p);
    pat text := CASE WHEN p->>'search' IS NOT NULL AND p->>'search' <> '' THEN like_pattern(p->>'search') END;
    arch boolean := coalesce((p->>'include_archived')::boolean, false);
BEGIN
    RETURN page_of((SELECT coalesce(jsonb_agg(item_json(i) ORDER BY i.id), '[]')
                      FROM (SELECT * FROM items i
                             WHERE i.id > after AND (arch OR NOT i.archived)
                               AND (pat IS NULL OR i.sku ILIKE pat OR i.name ILIKE pat)
                             ORDER BY i.id LIMIT lim + 1) i), lim);
END
$$;
