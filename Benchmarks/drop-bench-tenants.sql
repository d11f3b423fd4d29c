-- Removes the bench tenants (slug starting with :'prefix') so deploy/bench --fresh
-- times tenant.create again: schema, role (and its grants), control rows. Folio has no
-- tenant deletion method; this is for the bench's throw-away tenants only.
-- Per tenant two transactions: first its control rows go (so a running foliod no
-- longer enters it), then its schema and role (a request that entered before only
-- delays the DROP; it cannot deadlock with it).
SET client_min_messages = warning;  -- no "drop cascades to" notice per table

SELECT unnest(ARRAY[
           format('DELETE FROM folio.idempotency_keys WHERE tenant = %L; DELETE FROM folio.tenants WHERE id = %s',
                  slug, id),
           format('DROP SCHEMA IF EXISTS %I CASCADE; DROP OWNED BY %I; DROP ROLE %I',
                  schema_name, role_name, role_name)])
  FROM folio.tenants
 WHERE starts_with(slug, :'prefix') AND substr(slug, length(:'prefix') + 1) ~ '^[0-9]+$'
 ORDER BY id
\gexec
