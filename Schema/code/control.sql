-- The control schema's functions: authorization, entering a tenant, memberships,
-- tenant lists and the control methods' idempotency keys. Re-applied as a whole
-- like every file here; names are qualified (schema folio), and no tenant code
-- (schema folio_code) calls them.

-- Rank of a membership role: a method needing `clerk` admits clerks and owners.
CREATE OR REPLACE FUNCTION folio.role_rank(role text) RETURNS int
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE role WHEN 'viewer' THEN 1 WHEN 'clerk' THEN 2 WHEN 'owner' THEN 3 ELSE 0 END
$$;

-- Checks that a caller may act on a tenant with at least role `p_need` and returns
-- the tenant. Forbidden and unknown tenants raise the same FL001 error for
-- non-administrators (so a caller learns nothing about tenants it cannot see);
-- an administrator asking for an unknown tenant gets FL002.
CREATE OR REPLACE FUNCTION folio.authorize(p_uid bigint, p_slug text, p_need text, p_admin boolean)
RETURNS folio.tenants
LANGUAGE plpgsql STABLE AS $$
DECLARE
    t folio.tenants;
    held text;
BEGIN
    SELECT * INTO t FROM folio.tenants WHERE slug = p_slug;
    IF p_admin THEN
        IF t.id IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'FL002', MESSAGE = 'tenant not found', DETAIL = 'tenant';
        END IF;
    ELSE
        SELECT role INTO held FROM folio.memberships WHERE tenant_id = t.id AND uid = p_uid;
        IF held IS NULL OR folio.role_rank(held) < folio.role_rank(p_need) THEN
            RAISE EXCEPTION USING ERRCODE = 'FL001', MESSAGE = 'forbidden';
        END IF;
    END IF;
    RETURN t;
END
$$;

-- Enters a tenant for the rest of the current transaction: authorizes the caller,
-- then switches to the tenant's role and schema (SET LOCAL semantics), and records
-- the caller and method for the audit trail. `p_tenant_plans`: the connection gives
-- this tenant its own plans of the hottest functions (folio_code.tenant_plans()).
-- `p_queued_ms`: how long the request waited in the server before it got here.
CREATE OR REPLACE FUNCTION folio.enter(p_uid bigint, p_slug text, p_need text, p_admin boolean, p_method text,
                                       p_tenant_plans boolean DEFAULT false, p_queued_ms int DEFAULT 0)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t folio.tenants := folio.authorize(p_uid, p_slug, p_need, p_admin);
    budget bigint := (extract(epoch FROM current_setting('lock_timeout')::interval) * 1000)::bigint;
BEGIN
    -- The lock timeout counts from the request's arrival: what it waited in the
    -- server's queues is taken off, and lock_budget() re-applies what is left
    -- before each further lock wait (PostgreSQL's lock_timeout is per wait).
    IF budget > 0 THEN
        budget := greatest(budget - p_queued_ms, 1);
        PERFORM set_config('lock_timeout', budget::text, true),
                set_config('folio.lock_deadline',
                           ((extract(epoch FROM clock_timestamp()) * 1000)::bigint + budget)::text, true);
    END IF;
    -- Last: this function's statements are all planned under the connection's
    -- own search path, so none of them is re-planned for the next tenant.
    PERFORM set_config('folio.uid', p_uid::text, true), set_config('folio.tenant', t.slug, true),
            set_config('folio.method', p_method, true),
            set_config('folio.tenant_plans', CASE WHEN p_tenant_plans THEN 'on' ELSE 'off' END, true),
            set_config('search_path', quote_ident(t.schema_name) || ', folio_code', true),
            set_config('role', t.role_name, true);
END
$$;

-- The tenant object of the contract, as the control schema knows it.
CREATE OR REPLACE FUNCTION folio.tenant_json(t folio.tenants) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('tenant', t.slug, 'name', t.name, 'currency', t.currency,
                              'schema', t.schema_name,
                              'created_at', to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
$$;

-- system.whoami's memberships of a uid.
CREATE OR REPLACE FUNCTION folio.memberships_of(p_uid bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('tenant', t.slug, 'role', m.role) ORDER BY t.id), '[]')
    FROM folio.memberships m JOIN folio.tenants t ON t.id = m.tenant_id
    WHERE m.uid = p_uid
$$;

-- tenant.list: every tenant for an administrator, else the caller's own, with the
-- caller's role; by id, `p_limit` a page after the tenant id `p_after`.
CREATE OR REPLACE FUNCTION folio.tenant_list(p_uid bigint, p_admin boolean, p_limit int, p_after bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    page jsonb;
    ids bigint[];
BEGIN
    SELECT coalesce(jsonb_agg(x.j ORDER BY x.id), '[]'), array_agg(x.id ORDER BY x.id)
      INTO page, ids
      FROM (SELECT t.id, folio.tenant_json(t) || jsonb_build_object('role', m.role) AS j
              FROM folio.tenants t
              LEFT JOIN folio.memberships m ON m.tenant_id = t.id AND m.uid = p_uid
             WHERE (p_admin OR m.uid IS NOT NULL) AND t.id > p_after
             ORDER BY t.id LIMIT p_limit + 1) x;
    RETURN jsonb_build_object(
        'items', CASE WHEN jsonb_array_length(page) > p_limit THEN page - p_limit ELSE page END,
        'next_cursor', CASE WHEN jsonb_array_length(page) > p_limit THEN ids[p_limit]::text END);
END
$$;

-- tenant.grant: adds or changes a membership (owners of the tenant and administrators).
CREATE OR REPLACE FUNCTION folio.grant_membership(p_caller bigint, p_admin boolean, p_slug text, p_uid bigint, p_role text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    t folio.tenants := folio.authorize(p_caller, p_slug, 'owner', p_admin);
    m folio.memberships;
BEGIN
    INSERT INTO folio.memberships (tenant_id, uid, role, granted_by)
    VALUES (t.id, p_uid, p_role, p_caller)
    ON CONFLICT (tenant_id, uid) DO UPDATE SET role = excluded.role, granted_by = excluded.granted_by, granted_at = now()
    RETURNING * INTO m;
    RETURN jsonb_build_object('tenant', t.slug, 'uid', m.uid, 'role', m.role, 'granted_by', m.granted_by,
                              'granted_at', to_char(m.granted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'));
END
$$;

-- tenant.revoke: removes a membership; FL002 when the uid is not a member.
CREATE OR REPLACE FUNCTION folio.revoke_membership(p_caller bigint, p_admin boolean, p_slug text, p_uid bigint)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    t folio.tenants := folio.authorize(p_caller, p_slug, 'owner', p_admin);
BEGIN
    DELETE FROM folio.memberships WHERE tenant_id = t.id AND uid = p_uid;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'FL002', MESSAGE = format('uid %s is not a member of %s', p_uid, t.slug), DETAIL = 'uid';
    END IF;
    RETURN '{}'::jsonb;
END
$$;

-- tenant.members: the memberships of one tenant by uid, `p_limit` a page after
-- the uid `p_after`.
CREATE OR REPLACE FUNCTION folio.tenant_members(p_caller bigint, p_admin boolean, p_slug text, p_limit int, p_after bigint)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    t folio.tenants := folio.authorize(p_caller, p_slug, 'owner', p_admin);
    page jsonb;
BEGIN
    SELECT coalesce(jsonb_agg(jsonb_build_object('uid', uid, 'role', role, 'granted_by', granted_by,
                                                 'granted_at', to_char(granted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
                              ORDER BY uid), '[]')
      INTO page
      FROM (SELECT * FROM folio.memberships WHERE tenant_id = t.id AND uid > p_after ORDER BY uid LIMIT p_limit + 1) m;
    RETURN jsonb_build_object(
        'items', CASE WHEN jsonb_array_length(page) > p_limit THEN page - p_limit ELSE page END,
        'next_cursor', CASE WHEN jsonb_array_length(page) > p_limit THEN page->(p_limit - 1)->>'uid' END);
END
$$;

-- Claims an idempotency key of a control method. Returns NULL when the caller should
-- act (and then store its result with folio.idempotency_store), else the stored
-- result; raises FL004 when the key was used with other params.
CREATE OR REPLACE FUNCTION folio.idempotency_claim(p_tenant text, p_method text, p_key text, p_params jsonb)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    h text := encode(sha256(convert_to(p_params::text, 'UTF8')), 'hex');
    prior folio.idempotency_keys;
BEGIN
    INSERT INTO folio.idempotency_keys (tenant, method, key, params_hash)
    VALUES (p_tenant, p_method, p_key, h) ON CONFLICT DO NOTHING;
    IF FOUND THEN
        RETURN NULL;
    END IF;
    SELECT * INTO prior FROM folio.idempotency_keys WHERE tenant = p_tenant AND method = p_method AND key = p_key;
    IF prior.params_hash <> h THEN
        RAISE EXCEPTION USING ERRCODE = 'FL004', MESSAGE = 'idempotency key reused with different params', DETAIL = 'idempotency_key';
    END IF;
    RETURN prior.result;
END
$$;

CREATE OR REPLACE FUNCTION folio.idempotency_store(p_tenant text, p_method text, p_key text, p_result jsonb)
RETURNS jsonb
LANGUAGE sql AS $$
    UPDATE folio.idempotency_keys SET result = p_result
    WHERE tenant = p_tenant AND method = p_method AND key = p_key
    RETURNING result
$$;

