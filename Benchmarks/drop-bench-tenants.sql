-- Removes the bench tenants (slug starting with :'prefix') so deploy/bench --fresh
-- times tenant.create again: schema, role (and its grants), control rows. Folio has no
-- tenant deletion method; this is for the bench's throw-away tenants only.
-- Per tenant two transactions: first its control rows go (so a running foliod no
-- longer enters it), then its schema and role. A request that entered before can
-- still hold a table the DROP needs next while waiting for one the DROP holds: the
-- deadlock is retried.
SET client_min_messages = warning;  -- no "drop cascades to" notice per table

SELECT unnest(ARRAY[
           format('DELETE FROM folio.idempotency_keys WHERE tenant = %L; DELETE FROM folio.tenants WHERE id = %s',
                  slug, id),
           format($f$DO $do$ BEGIN
                        FOR attempt IN 1..20 LOOP
                            BEGIN
                                DROP SCHEMA IF EXISTS %I CASCADE;
                                EXIT;
                            EXCEPTION WHEN deadlock_detected THEN PERFORM pg_sleep(0.05 * attempt);
                            END;
                        END LOOP;
                    END $do$; DROP OWNED BY %I; DROP ROLE %I$f$,
                  schema_name, role_name, role_name)])
  FROM folio.tenants
 WHERE starts_with(slug, :'prefix') AND substr(slug, length(:'prefix') + 1) ~ '^[0-9]+$'
 ORDER BY id
\gexec
