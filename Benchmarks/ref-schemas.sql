-- The physical baseline of invoice issuing: per schema ref_1 ... ref_:count the
-- minimal tables an issued invoice needs (a number counter, the invoice, its lines),
-- no functions, triggers or audit. deploy/bench runs it with psql -v count=N; it drops
-- every ref_<n> schema first so each bench run starts from the same state.
-- \gexec runs each generated string as its own statement (its own transaction), so a
-- thousand schemas never need a thousand schemas' worth of locks at once.
SET client_min_messages = warning;  -- no "drop cascades to" notice per table

SELECT format('DROP SCHEMA %I CASCADE', nspname)
  FROM pg_namespace WHERE nspname ~ '^ref_[0-9]+$' ORDER BY nspname
\gexec

SELECT format($sql$
    CREATE SCHEMA ref_%1$s;
    CREATE TABLE ref_%1$s.counter (id int PRIMARY KEY, next_no bigint);
    INSERT INTO ref_%1$s.counter VALUES (1, 0);
    CREATE TABLE ref_%1$s.invoices (
        id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        number      bigint NOT NULL UNIQUE,
        customer_id bigint NOT NULL,
        issued_at   date NOT NULL,
        total       numeric NOT NULL);
    CREATE TABLE ref_%1$s.invoice_lines (
        id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        invoice_id  bigint NOT NULL REFERENCES ref_%1$s.invoices,
        description text,
        qty         numeric,
        unit_price  numeric,
        amount      numeric);
    CREATE INDEX ON ref_%1$s.invoice_lines (invoice_id);
    $sql$, n)
  FROM generate_series(1, :count) AS n
\gexec
