-- Tenant base: settings, idempotency keys, the append-only audit trail.
--
-- Tenant migrations hold data only: tables, indexes, constraints, triggers and
-- views, never functions (those live once, in Schema/code/, schema folio_code).
-- Each runs as the table owner with search_path `t_<tenant>, folio_code`, so a
-- table lands in the tenant schema and a trigger or view names the shared
-- function. {{tenant_role}} is the tenant's database role, {{tenant}} its slug,
-- {{tenant_name}} and {{currency}} come from tenant.create (substituted as SQL
-- literals or identifiers by the migration runner). Append-only: a change is a
-- new file.

CREATE TABLE settings (
    singleton                 boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    tenant                    text NOT NULL,
    name                      text NOT NULL,
    currency                  text NOT NULL CONSTRAINT settings_currency_known CHECK (minor_units(currency) IS NOT NULL),
    timezone                  text NOT NULL DEFAULT 'UTC',
    tax_rounding              text NOT NULL DEFAULT 'line' CHECK (tax_rounding IN ('line', 'document')),
    payment_terms_days        int  NOT NULL DEFAULT 30 CHECK (payment_terms_days BETWEEN 0 AND 3650),
    invoice_number_format     text NOT NULL DEFAULT 'INV-{seq:06}',
    credit_note_number_format text NOT NULL DEFAULT 'CN-{seq:06}',
    legal_name                text,
    address                   jsonb,
    tax_id                    text,
    email                     text,
    phone                     text,
    updated_at                timestamptz NOT NULL DEFAULT now()
);
INSERT INTO settings (tenant, name, currency) VALUES ({{tenant}}, {{tenant_name}}, {{currency}});

-- Idempotency keys: one row per (method, key), written in the same transaction as the effect.
CREATE TABLE idempotency_keys (
    method       text NOT NULL,
    key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    params_hash  text NOT NULL,
    result       jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (method, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);

-- Append-only audit trail: who, when, which method, which entity, what changed.
CREATE TABLE audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    uid        bigint NOT NULL,
    method     text NOT NULL,
    entity     text NOT NULL,
    entity_id  bigint,
    change     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

GRANT SELECT, INSERT, UPDATE, DELETE ON settings, idempotency_keys TO {{tenant_role}};
GRANT SELECT, INSERT ON audit_log TO {{tenant_role}};