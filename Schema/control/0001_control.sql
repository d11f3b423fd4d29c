-- Control schema: the tenant registry and memberships. Nothing else lives here;
-- every invoicing table lives in its tenant's own schema, and the functions in
-- Schema/code/.
CREATE SCHEMA IF NOT EXISTS folio;

CREATE TABLE folio.tenants (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug          text NOT NULL UNIQUE CHECK (slug ~ '^[a-z][a-z0-9_]{1,39}$'),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    currency      text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    schema_name   text NOT NULL UNIQUE,
    role_name     text NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE folio.memberships (
    tenant_id   bigint NOT NULL REFERENCES folio.tenants ON DELETE CASCADE,
    uid         bigint NOT NULL CHECK (uid BETWEEN 0 AND 4294967295),
    role        text NOT NULL CHECK (role IN ('owner', 'clerk', 'viewer')),
    granted_by  bigint NOT NULL,
    granted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, uid)
);
CREATE INDEX memberships_uid ON folio.memberships (uid);

-- Idempotency keys of the control methods (tenant.create, grant, revoke), per tenant and method.
CREATE TABLE folio.idempotency_keys (
    tenant       text NOT NULL,
    method       text NOT NULL,
    key          text NOT NULL,
    params_hash  text NOT NULL,
    result       jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, method, key)
);
CREATE INDEX idempotency_keys_created_at ON folio.idempotency_keys (created_at);

REVOKE ALL ON SCHEMA folio FROM PUBLIC;
-- Tenant roles get no temporary tables (they could shadow tenant tables in search_path).
DO $$ BEGIN
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END $$;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
