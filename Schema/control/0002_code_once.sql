-- Code once, data per tenant: every function lives in Schema/code/ (schema
-- folio_code for the tenant code, folio for the control functions) and is
-- re-applied as a whole when it changed; tenants remember how many tenant
-- migrations they have had, so `foliod migrate` touches only those behind.
ALTER TABLE folio.tenants ADD COLUMN tenant_migrations int NOT NULL DEFAULT 0;

-- The code applied last: a digest of Schema/code/, and when.
CREATE TABLE folio.code_version (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);
