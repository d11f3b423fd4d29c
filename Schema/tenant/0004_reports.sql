-- Tenant reports: the receivable events ledger behind as-of balances, the
-- indexes reports read, and the operators' views.

-------------------------------------------------------------------------------
-- Receivable events: the dated ledger behind as-of balances
-------------------------------------------------------------------------------

-- One row per dated change of an issued invoice's balance. amount > 0 lowers
-- the balance from on_date on (an allocation, a credit note); amount < 0 raises
-- it (an allocation reversed, or the undoing of a changed or deleted
-- allocation). Invariant (checked by audit_verify_more, kind 'ledger'): per
-- invoice, sum(amount) = amount_paid + credited. span = [issue_date,
-- greatest(issue_date, on_date)): the days on which the invoice was issued but
-- the event had not happened yet (empty for events on or before the issue date).
-- customer_id, currency and due_date are copied from the invoice (they never
-- change once it is issued) so that aging needs no invoice lookups for them.
-- Append-only, written only by the triggers below.
CREATE TABLE receivable_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id   bigint NOT NULL REFERENCES invoices,
    customer_id  bigint NOT NULL,
    currency     text NOT NULL,
    due_date     date NOT NULL,
    span         daterange NOT NULL,
    on_date      date NOT NULL,
    amount       numeric NOT NULL,
    source       text NOT NULL CHECK (source IN ('allocation', 'credit_note')),
    source_id    bigint NOT NULL
);

CREATE TRIGGER receivable_events_append_only BEFORE UPDATE OR DELETE ON receivable_events
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER receivable_events_no_truncate BEFORE TRUNCATE ON receivable_events
    FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();
CREATE TRIGGER receivable_events_alloc_insert AFTER INSERT ON payment_allocations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION receivable_events_from_allocations();
CREATE TRIGGER receivable_events_alloc_update AFTER UPDATE ON payment_allocations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION receivable_events_from_allocations();
CREATE TRIGGER receivable_events_alloc_delete AFTER DELETE ON payment_allocations
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION receivable_events_from_allocations();
CREATE TRIGGER receivable_events_credit_note AFTER INSERT ON credit_notes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION receivable_events_from_credit_notes();

-- Documents written before this migration.
INSERT INTO receivable_events (invoice_id, customer_id, currency, due_date, span, on_date, amount, source, source_id)
SELECT x.invoice_id, i.customer_id, i.currency, i.due_date,
       daterange(i.issue_date, greatest(i.issue_date, x.on_date)), x.on_date, x.amount, x.source, x.id
  FROM (SELECT a.id, a.invoice_id, a.allocated_on AS on_date, a.amount, 'allocation' AS source FROM payment_allocations a
        UNION ALL
        SELECT a.id, a.invoice_id, a.reversed_on, -a.amount, 'allocation' FROM payment_allocations a
         WHERE a.reversed_on IS NOT NULL
        UNION ALL
        SELECT n.id, n.invoice_id, n.issue_date, n.total, 'credit_note' FROM credit_notes n) x
  JOIN invoices i ON i.id = x.invoice_id
 ORDER BY x.on_date, x.source, x.id;
-- (indexes after the backfill: one bulk build instead of row by row)
CREATE INDEX receivable_events_span ON receivable_events USING gist (span)
    INCLUDE (invoice_id, customer_id, currency, due_date, amount) WHERE NOT isempty(span);
CREATE INDEX receivable_events_invoice ON receivable_events (invoice_id);

-- Open invoices with everything aging reads, for index-only scans.
CREATE INDEX invoices_open_aging ON invoices (issue_date)
    INCLUDE (id, customer_id, currency, due_date, total, amount_paid, credited)
    WHERE status IN ('issued', 'sent', 'partially_paid');
-- Sales and tax reports by credit note date.
CREATE INDEX credit_notes_issue_date ON credit_notes (issue_date);
-- audit.log filtered by entity, newest first.
CREATE INDEX audit_log_entity_id ON audit_log (entity, id);

-------------------------------------------------------------------------------
-- Operators' views (psql: SET search_path = t_<tenant>, folio_code; TABLE aged_receivables;)
-- Money columns are numeric rounded to the currency's minor unit; "today" is
-- today in the tenant's time zone. They need no server; aged_receivables calls
-- the shared aging code, which reads the tables of the search_path's tenant.
-------------------------------------------------------------------------------

CREATE VIEW open_invoices AS
SELECT i.id, i.number, i.customer_id, c.name AS customer, i.issue_date, i.due_date,
       greatest((SELECT (now() AT TIME ZONE s.timezone)::date FROM settings s) - i.due_date, 0) AS days_overdue,
       round(i.total, minor_units(i.currency)) AS total,
       round(i.total - i.amount_paid - i.credited, minor_units(i.currency)) AS balance_due,
       i.currency, i.status
  FROM invoices i JOIN customers c ON c.id = i.customer_id
 WHERE i.status IN ('issued', 'sent', 'partially_paid') AND i.total - i.amount_paid - i.credited <> 0
 ORDER BY i.due_date, i.series_period, i.seq;
COMMENT ON VIEW open_invoices IS
    'Issued invoices with a balance left, oldest due date first: days_overdue = days past the due date today (0 when not yet due), balance_due = total - amount_paid - credited.';

CREATE VIEW aged_receivables AS
SELECT a.customer_id, c.name AS customer, a.currency,
       round(a.current, minor_units(a.currency)) AS current, round(a.d1_30, minor_units(a.currency)) AS d1_30,
       round(a.d31_60, minor_units(a.currency)) AS d31_60, round(a.d61_90, minor_units(a.currency)) AS d61_90,
       round(a.d90_plus, minor_units(a.currency)) AS d90_plus, round(a.total, minor_units(a.currency)) AS total
  FROM aging_buckets((SELECT (now() AT TIME ZONE s.timezone)::date FROM settings s)) a
  JOIN customers c ON c.id = a.customer_id
 ORDER BY c.name, a.customer_id, a.currency;
COMMENT ON VIEW aged_receivables IS
    'report.aging as of today: per customer and currency, open balances by days past due (current = not yet due, then 1-30, 31-60, 61-90, over 90) and their total. For another date: SELECT * FROM aging_buckets(''2025-01-31'').';

CREATE VIEW customer_balances AS
SELECT b.customer_id, c.name AS customer, b.currency,
       round(b.open, minor_units(b.currency)) AS open_balance,
       round(b.credit, minor_units(b.currency)) AS unapplied_credit,
       round(b.open - b.credit, minor_units(b.currency)) AS net_balance
  FROM (SELECT u.customer_id, u.currency, sum(u.open) AS open, sum(u.credit) AS credit
          FROM (SELECT i.customer_id, i.currency, i.total - i.amount_paid - i.credited AS open, 0 AS credit
                  FROM invoices i WHERE i.status IN ('issued', 'sent', 'partially_paid')
                UNION ALL
                SELECT y.customer_id, y.currency, 0, y.unapplied FROM payments y WHERE y.unapplied > 0) u
         GROUP BY u.customer_id, u.currency
        HAVING sum(u.open) <> 0 OR sum(u.credit) <> 0) b
  JOIN customers c ON c.id = b.customer_id
 ORDER BY c.name, b.customer_id, b.currency;
COMMENT ON VIEW customer_balances IS
    'Per customer and currency: open_balance (what open invoices still ask), unapplied_credit (payments not allocated to invoices, net of refunds) and net_balance = open_balance - unapplied_credit.';

CREATE VIEW payments_unapplied AS
SELECT y.id AS payment_id, y.received_on, y.customer_id, c.name AS customer,
       round(y.amount, minor_units(y.currency)) AS amount, y.currency, y.method, y.reference,
       round(y.unapplied, minor_units(y.currency)) AS unapplied
  FROM payments y JOIN customers c ON c.id = y.customer_id
 WHERE y.unapplied > 0
 ORDER BY y.received_on, y.id;
COMMENT ON VIEW payments_unapplied IS
    'Payments with an amount not allocated to any invoice (customer credit), oldest first.';

-------------------------------------------------------------------------------
-- Privileges of the tenant role.
-------------------------------------------------------------------------------
GRANT SELECT, INSERT ON receivable_events TO {{tenant_role}};
GRANT SELECT ON open_invoices, aged_receivables, customer_balances, payments_unapplied TO {{tenant_role}};