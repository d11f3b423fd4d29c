-- Result object of a tax rate.
CREATE OR REPLACE FUNCTION tax_rate_json(t record) RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN jsonb_build_object('id', t.id, 'code', t.code, 'name', t.name, 'percent', dec_text(t.percent),
                       'category', t.category, 'exemption_reason', t.exemption_reason,
                       'archived', t.archived, 'created_at', ts_text(t.created_at),
                       'updated_at', ts_text(t.updated_at));
END
$$;

-- Percent 0..100.
CREATE OR REPLACE FUNCTION check_percent(v numeric, field text) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF v IS NULL OR v < 0 OR v > 100 THEN
        PERFORM fail('FL602', 'percent must be between 0 and 100', field);
    END IF;
    RETURN v;
END
$$;

-- tax_rate.create {code, name, percent, category?, exemption_reason?}: code
-- unique (FL003 'code'); category and reason: see check_vat_category.
CREATE OR REPLACE FUNCTION tax_rate_create(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE t record;
BEGIN
    IF p->>'code' IS NULL OR p->>'code' !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$' THEN
        PERFORM fail('FL602', 'code must be 1 to 32 letters, digits, ".", "_" or "-"', 'code');
    END IF;
    INSERT INTO tax_rates (code, name, percent, category, exemption_reason)
    VALUES (p->>'code', req_text(p->>'name', 'name', 200), check_percent((p->>'percent')::numeric, 'percent'),
            check_vat_category(p->>'category', (p->>'percent')::numeric, nullif(btrim(p->>'exemption_reason'), '')),
            nullif(btrim(p->>'exemption_reason'), ''))
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
CREATE OR REPLACE FUNCTION tax_rate_get(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE t record;
BEGIN
    SELECT * INTO t FROM tax_rates WHERE code = p->>'code';
    IF t.id IS NULL THEN
        PERFORM fail('FL002', format('tax rate %s not found', p->>'code'), 'code');
    END IF;
    RETURN tax_rate_json(t);
END
$$;

-- tax_rate.update {code, name?, percent?, category?, exemption_reason?} (the
-- category, its reason and the percent are checked together, see
-- check_vat_category; a percent change alone keeps the category, except that
-- a default one follows it: S above 0 %, Z at 0 %). A new percent applies to lines priced
-- from now on and to drafts when they are issued (invoice_issue re-reads the
-- current percent); issued invoices and credit notes keep theirs.
CREATE OR REPLACE FUNCTION tax_rate_update(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE t record;
BEGIN
    UPDATE tax_rates SET
        name = CASE WHEN p ? 'name' THEN req_text(p->>'name', 'name', 200) ELSE name END,
        percent = CASE WHEN p ? 'percent' THEN check_percent((p->>'percent')::numeric, 'percent') ELSE percent END,
        -- A category left at its default follows a new percent (Z <-> S).
        category = CASE WHEN p ? 'category' THEN p->>'category'
                        WHEN p ? 'percent' AND category = CASE WHEN percent > 0 THEN 'S' ELSE 'Z' END
                        THEN CASE WHEN (p->>'percent')::numeric > 0 THEN 'S' ELSE 'Z' END
                        ELSE category END,
        exemption_reason = CASE WHEN p ? 'exemption_reason' THEN nullif(btrim(p->>'exemption_reason'), '')
                                ELSE exemption_reason END,
        updated_at = now()
    WHERE code = p->>'code'
    RETURNING * INTO t;
    IF t.id IS NULL THEN
        PERFORM fail('FL002', format('tax rate %s not found', p->>'code'), 'code');
    END IF;
    PERFORM check_vat_category(t.category, t.percent, t.exemption_reason);
    PERFORM audit('tax_rate', t.id, p);
    RETURN tax_rate_json(t);
END
$$;

-- tax_rate.archive {code}: an archived rate cannot be put on new
-- items or lines; existing items, drafts and documents keep it.
CREATE OR REPLACE FUNCTION tax_rate_archive(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE t record;
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
CREATE OR REPLACE FUNCTION tax_rate_list(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    lim int := page_limit(p);
BEGIN
    RETURN page_of((SELECT coalesce(jsonb_agg(tax_rate_json(t) ORDER BY t.id), '[]')
                      FROM (SELECT * FROM tax_rates t WHERE t.id > page_after(p) ORDER BY t.id LIMIT lim + 1) t), lim);
END
$$;
