-- Records one audit entry for the current request (uid and method come from the
-- transaction settings made by folio.enter). PL/pgSQL rather than SQL so its plan is
-- cached for the session instead of being parsed on every call.
CREATE OR REPLACE FUNCTION audit_body(tenant_row anyelement, p_entity text, p_entity_id bigint, p_change jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_log (uid, method, entity, entity_id, change)
    VALUES (coalesce(nullif(current_setting('folio.uid', true), ''), '0')::bigint,
            coalesce(nullif(current_setting('folio.method', true), ''), 'sql'),
            p_entity, p_entity_id, p_change);
END
$$;

-- audit with this tenant's own plans or the shared ones (see tenant_plans()).
CREATE OR REPLACE FUNCTION audit(p_entity text, p_entity_id bigint, p_change jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF tenant_plans() THEN
        PERFORM audit_body(NULL::settings, p_entity, p_entity_id, p_change);
    ELSE
        PERFORM audit_body(NULL::shared_plans, p_entity, p_entity_id, p_change);
    END IF;
END
$$;

-- audit.log {entity?, entity_id?, from?, to?, limit?, cursor?} -> {items: [{id,
-- at, uid, method, entity, entity_id, change}], next_cursor}: the audit trail
-- NEWEST FIRST (by id, descending); from/to are dates, inclusive, in the
-- tenant's time zone; cursor is the last id of the previous page (opaque).
-- The query is built from the filters given, each planned for its own index.
CREATE OR REPLACE FUNCTION audit_log(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    lim int := page_limit(p);
    c text := p->>'cursor';
    tz text := (SELECT s.timezone FROM settings s);
    q text := 'SELECT a FROM audit_log a WHERE true';
    res jsonb;
BEGIN
    IF c IS NOT NULL AND c !~ '^[0-9]{1,18}$' THEN
        PERFORM fail('FL602', 'cursor is not a cursor returned by this list', 'cursor');
    END IF;
    IF p->>'from' IS NOT NULL AND p->>'to' IS NOT NULL AND (p->>'to')::date < (p->>'from')::date THEN
        PERFORM fail('FL602', 'to must not be before from', 'to');
    END IF;
    IF c IS NOT NULL THEN q := q || ' AND a.id < $1'; END IF;
    IF p->>'entity' IS NOT NULL THEN q := q || ' AND a.entity = $2'; END IF;
    IF p->>'entity_id' IS NOT NULL THEN q := q || ' AND a.entity_id = $3'; END IF;
    IF p->>'from' IS NOT NULL THEN q := q || ' AND a.at >= $4'; END IF;
    IF p->>'to' IS NOT NULL THEN q := q || ' AND a.at < $5'; END IF;
    q := q || ' ORDER BY a.id DESC LIMIT $6';
    EXECUTE format($q$
        SELECT coalesce(jsonb_agg(jsonb_build_object('id', (r.a).id, 'at', ts_text((r.a).at), 'uid', (r.a).uid,
                                                     'method', (r.a).method, 'entity', (r.a).entity,
                                                     'entity_id', (r.a).entity_id, 'change', (r.a).change)
                                  ORDER BY (r.a).id DESC), '[]')
          FROM (%s) r $q$, q)
       INTO res
      USING c::bigint, p->>'entity', (p->>'entity_id')::bigint,
            ((p->>'from')::date)::timestamp AT TIME ZONE tz, ((p->>'to')::date + 1)::timestamp AT TIME ZONE tz,
            lim + 1;
    RETURN page_of(res, lim);
END
$$;
