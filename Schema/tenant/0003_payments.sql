-- Tenant payments: bank statements, payments, allocations, refunds,
-- discrepancies, invoice events (disputes, notes), and their history guards.

-- Invoice numbers are looked up case-insensitively (references, statements).
CREATE INDEX invoices_number_upper ON invoices (upper(number));
-- A customer's open invoices (automatic allocation, balances, matching).
CREATE INDEX invoices_customer_open ON invoices (customer_id, id) WHERE status IN ('issued', 'sent', 'partially_paid');
-- Customers by payer name (statement matching).
CREATE INDEX customers_name_lower ON customers (lower(name));

-------------------------------------------------------------------------------
-- Bank statements (reconciliation). A statement line is stored once per
-- tenant, keyed by its fingerprint; every import records which lines it
-- contained (bank_statement_entries), new or already known.
-------------------------------------------------------------------------------

CREATE TABLE bank_statements (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    currency     text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    date_format  text NOT NULL,
    columns      jsonb NOT NULL,        -- {date, amount, reference, payer}: header names used
    row_count    int NOT NULL,          -- data rows (blank lines not counted)
    imported_by  bigint NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- One bank line, with the match proposed when it was first imported.
-- fingerprint = sha256 of [currency, date, amount, reference, payer, occurrence]
-- where occurrence numbers identical lines within one statement text.
CREATE TABLE bank_statement_lines (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    statement_id  bigint NOT NULL REFERENCES bank_statements,   -- the import that first brought it
    row_no        int NOT NULL,                                 -- its CSV row there (header = row 1)
    fingerprint   text NOT NULL UNIQUE,
    occurrence    int NOT NULL,
    line_date     date NOT NULL,
    amount        numeric NOT NULL,
    currency      text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    reference     text,
    payer         text,
    match         text NOT NULL CHECK (match IN ('exact', 'partial', 'customer_amount', 'unmatched')),
    reason        text CHECK (reason IN ('outgoing', 'zero')),  -- why an unmatched line can never be a payment
    invoice_id    bigint REFERENCES invoices,
    customer_id   bigint REFERENCES customers,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT bank_statement_lines_match CHECK ((match = 'unmatched') = (customer_id IS NULL)
                                                 AND (match = 'unmatched') = (invoice_id IS NULL)
                                                 AND (match = 'unmatched' OR amount > 0))
);
CREATE INDEX bank_statement_lines_statement ON bank_statement_lines (statement_id, row_no);
CREATE INDEX bank_statement_lines_invoice ON bank_statement_lines (invoice_id) WHERE invoice_id IS NOT NULL;

-- The rows of each import: new lines and lines already known (known = true).
CREATE TABLE bank_statement_entries (
    statement_id  bigint NOT NULL REFERENCES bank_statements,
    row_no        int NOT NULL,
    line_id       bigint NOT NULL REFERENCES bank_statement_lines,
    known         boolean NOT NULL,
    PRIMARY KEY (statement_id, row_no)
);
CREATE INDEX bank_statement_entries_line ON bank_statement_entries (line_id);

-------------------------------------------------------------------------------
-- Payments, allocations, refunds, discrepancies, invoice events
-------------------------------------------------------------------------------

CREATE TABLE payments (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id        bigint NOT NULL REFERENCES customers,
    amount             numeric NOT NULL CHECK (amount > 0),
    currency           text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    received_on        date NOT NULL,
    method             text NOT NULL CHECK (method IN ('bank_transfer', 'card', 'cash', 'cheque', 'other')),
    reference          text,
    payer              text,
    unapplied          numeric NOT NULL,
    refunded           numeric NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL DEFAULT now(),
    statement_line_id  bigint NULL REFERENCES bank_statement_lines,
    CONSTRAINT payments_unapplied_range CHECK (unapplied >= 0 AND unapplied <= amount),
    CONSTRAINT payments_refunded_range CHECK (refunded >= 0 AND refunded <= amount)
);
CREATE INDEX payments_customer ON payments (customer_id, id);
CREATE INDEX payments_received_on ON payments (received_on, id);
CREATE INDEX payments_customer_credit ON payments (customer_id) WHERE unapplied > 0;
-- A statement line becomes at most one payment.
CREATE UNIQUE INDEX payments_statement_line ON payments (statement_line_id) WHERE statement_line_id IS NOT NULL;

-- allocated_on: the payment's received_on for allocations made when recording
-- it (also the part of a partially reversed allocation that stays), the
-- application date for later credit applications (payment.allocate).
CREATE TABLE payment_allocations (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payment_id    bigint NOT NULL REFERENCES payments,
    invoice_id    bigint NOT NULL REFERENCES invoices,
    amount        numeric NOT NULL CHECK (amount > 0),
    allocated_on  date NOT NULL,
    reversed_on   date NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_allocations_invoice ON payment_allocations (invoice_id, id);
CREATE INDEX payment_allocations_payment ON payment_allocations (payment_id, id);

CREATE TABLE refunds (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payment_id   bigint NOT NULL REFERENCES payments,
    amount       numeric NOT NULL CHECK (amount > 0),
    refunded_on  date NOT NULL,
    reason       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_payment ON refunds (payment_id, id);

-- kind: overpayment, underpayment, reference_mismatch, other_customer,
-- void_invoice. currency: of `amount` (the payment's, or the invoice's for a
-- reference naming an invoice in another currency).
CREATE TABLE discrepancies (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payment_id       bigint REFERENCES payments,
    invoice_id       bigint REFERENCES invoices,
    customer_id      bigint REFERENCES customers,
    kind             text NOT NULL,
    amount           numeric,
    message          text NOT NULL,
    status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    resolution_note  text,
    resolved_by      bigint,
    resolved_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    currency         text CHECK (currency ~ '^[A-Z]{3}$')
);
CREATE INDEX discrepancies_status ON discrepancies (status, id);
CREATE INDEX discrepancies_customer ON discrepancies (customer_id, id);
CREATE INDEX discrepancies_payment ON discrepancies (payment_id, id);
CREATE INDEX discrepancies_invoice ON discrepancies (invoice_id) WHERE invoice_id IS NOT NULL;

-- Append-only communication log of an invoice. A dispute is open while the
-- invoice's latest dispute/dispute_resolved event is a 'dispute'.
CREATE TABLE invoice_events (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id      bigint NOT NULL REFERENCES invoices,
    kind            text NOT NULL CHECK (kind IN ('note', 'dispute', 'dispute_resolved')),
    text            text NOT NULL,
    uid             bigint NOT NULL,
    at              timestamptz NOT NULL DEFAULT clock_timestamp(),
    resolution      text CHECK (resolution IN ('credited', 'confirmed')),   -- dispute_resolved only
    credit_note_id  bigint REFERENCES credit_notes                          -- resolution 'credited'
);
CREATE INDEX invoice_events_invoice ON invoice_events (invoice_id, id);
CREATE TRIGGER payments_guard_update BEFORE UPDATE ON payments FOR EACH ROW
    WHEN ((NEW.id, NEW.customer_id, NEW.amount, NEW.currency, NEW.received_on, NEW.method, NEW.reference, NEW.payer,
           NEW.created_at, NEW.statement_line_id)
          IS DISTINCT FROM (OLD.id, OLD.customer_id, OLD.amount, OLD.currency, OLD.received_on, OLD.method,
                            OLD.reference, OLD.payer, OLD.created_at, OLD.statement_line_id)
          OR NEW.refunded < OLD.refunded)
    EXECUTE FUNCTION payments_guard();
CREATE TRIGGER payments_guard_delete BEFORE DELETE ON payments FOR EACH ROW EXECUTE FUNCTION payments_guard();
CREATE TRIGGER payment_allocations_guard_update BEFORE UPDATE ON payment_allocations FOR EACH ROW
    WHEN ((NEW.id, NEW.payment_id, NEW.invoice_id, NEW.amount, NEW.allocated_on, NEW.created_at)
          IS DISTINCT FROM (OLD.id, OLD.payment_id, OLD.invoice_id, OLD.amount, OLD.allocated_on, OLD.created_at)
          OR OLD.reversed_on IS NOT NULL)
    EXECUTE FUNCTION payment_allocations_guard();
CREATE TRIGGER payment_allocations_guard_delete BEFORE DELETE ON payment_allocations
    FOR EACH ROW EXECUTE FUNCTION payment_allocations_guard();
CREATE TRIGGER discrepancies_guard_update BEFORE UPDATE ON discrepancies FOR EACH ROW
    WHEN ((NEW.id, NEW.payment_id, NEW.invoice_id, NEW.customer_id, NEW.kind, NEW.amount, NEW.message, NEW.created_at,
           NEW.currency)
          IS DISTINCT FROM (OLD.id, OLD.payment_id, OLD.invoice_id, OLD.customer_id, OLD.kind, OLD.amount, OLD.message,
                            OLD.created_at, OLD.currency)
          OR OLD.status = 'resolved')
    EXECUTE FUNCTION discrepancies_guard();
CREATE TRIGGER discrepancies_guard_delete BEFORE DELETE ON discrepancies FOR EACH ROW EXECUTE FUNCTION discrepancies_guard();

-- Refunds, the invoice log and the statements are append-only (append_only()
-- and no_truncate() come from 0002).
CREATE TRIGGER refunds_append_only BEFORE UPDATE OR DELETE ON refunds FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER invoice_events_append_only BEFORE UPDATE OR DELETE ON invoice_events
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER bank_statements_append_only BEFORE UPDATE OR DELETE ON bank_statements
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER bank_statement_lines_append_only BEFORE UPDATE OR DELETE ON bank_statement_lines
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER bank_statement_entries_append_only BEFORE UPDATE OR DELETE ON bank_statement_entries
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER payments_no_truncate BEFORE TRUNCATE ON payments FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();
CREATE TRIGGER payment_allocations_no_truncate BEFORE TRUNCATE ON payment_allocations
    FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();
CREATE TRIGGER refunds_no_truncate BEFORE TRUNCATE ON refunds FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();
CREATE TRIGGER discrepancies_no_truncate BEFORE TRUNCATE ON discrepancies FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();
CREATE TRIGGER invoice_events_no_truncate BEFORE TRUNCATE ON invoice_events FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();
CREATE TRIGGER bank_statements_no_truncate BEFORE TRUNCATE ON bank_statements FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();
CREATE TRIGGER bank_statement_lines_no_truncate BEFORE TRUNCATE ON bank_statement_lines
    FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();
CREATE TRIGGER bank_statement_entries_no_truncate BEFORE TRUNCATE ON bank_statement_entries
    FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();

-------------------------------------------------------------------------------
-- Privileges of the tenant role. History tables get SELECT, INSERT only (plus
-- UPDATE where a row lock or a guarded change needs it; the triggers above
-- keep them honest).
-------------------------------------------------------------------------------
GRANT SELECT, INSERT, UPDATE ON payments, payment_allocations, discrepancies TO {{tenant_role}};
GRANT SELECT, INSERT ON refunds, invoice_events, bank_statements, bank_statement_entries TO {{tenant_role}};
-- UPDATE only for the row locks of reconcile.confirm (the lines are append-only).
GRANT SELECT, INSERT, UPDATE ON bank_statement_lines TO {{tenant_role}};