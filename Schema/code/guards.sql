CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'FL003', MESSAGE = 'audit_log is append-only';
END
$$;

-- Issued invoices: only status (forward), amount_paid, credited and the
-- bookkeeping columns may change; a void invoice changes no more; issued
-- invoices cannot be deleted.
CREATE OR REPLACE FUNCTION invoices_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION USING ERRCODE = 'FL003', DETAIL = 'id',
            MESSAGE = format('invoice %s is issued and cannot be deleted', OLD.number);
    END IF;
    IF (NEW.id, NEW.number, NEW.series_period, NEW.seq, NEW.customer_id, NEW.currency, NEW.issue_date, NEW.due_date,
        NEW.payment_terms_days, NEW.po_number, NEW.notes, NEW.tax_rounding, NEW.subtotal, NEW.tax_total, NEW.total,
        NEW.tax_breakdown, NEW.hash, NEW.created_at, NEW.issued_at, NEW.delivery_date, NEW.period_start, NEW.period_end,
        NEW.adjustments, NEW.allowance_total, NEW.charge_total)
       IS DISTINCT FROM
       (OLD.id, OLD.number, OLD.series_period, OLD.seq, OLD.customer_id, OLD.currency, OLD.issue_date, OLD.due_date,
        OLD.payment_terms_days, OLD.po_number, OLD.notes, OLD.tax_rounding, OLD.subtotal, OLD.tax_total, OLD.total,
        OLD.tax_breakdown, OLD.hash, OLD.created_at, OLD.issued_at, OLD.delivery_date, OLD.period_start, OLD.period_end,
        OLD.adjustments, OLD.allowance_total, OLD.charge_total)
       OR NEW.status = 'draft'
       OR (OLD.status = 'void' AND (NEW.status, NEW.amount_paid, NEW.credited, NEW.voided_at, NEW.void_reason)
                                   IS DISTINCT FROM (OLD.status, OLD.amount_paid, OLD.credited, OLD.voided_at, OLD.void_reason)) THEN
        RAISE EXCEPTION USING ERRCODE = 'FL003', DETAIL = 'id',
            MESSAGE = format('invoice %s is %s; its content cannot change (issue a credit note instead)',
                             OLD.number, replace(OLD.status, '_', ' '));
    END IF;
    RETURN NEW;
END
$$;

-- Invoices are born drafts: an INSERT of anything else would bypass numbering.
CREATE OR REPLACE FUNCTION invoices_born_draft() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'FL003', MESSAGE = 'invoices are created as drafts and numbered by invoice.issue';
END
$$;

-- No TRUNCATE of documents, lines, series or the stock ledger.
CREATE OR REPLACE FUNCTION no_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'FL003', MESSAGE = format('%s cannot be truncated', TG_TABLE_NAME);
END
$$;

-- Invoice lines may only be inserted, changed or deleted while their invoice
-- (old and new) is a draft. Statement-level with transition tables: one check
-- per statement, not per line.
CREATE OR REPLACE FUNCTION invoice_lines_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE num text;
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT i.number INTO num FROM new_rows r JOIN invoices i ON i.id = r.invoice_id WHERE i.status <> 'draft' LIMIT 1;
    END IF;
    IF num IS NULL AND TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT i.number INTO num FROM old_rows r JOIN invoices i ON i.id = r.invoice_id WHERE i.status <> 'draft' LIMIT 1;
    END IF;
    IF num IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'FL003', DETAIL = 'lines',
            MESSAGE = format('invoice %s is issued; its lines cannot change', num);
    END IF;
    RETURN NULL;
END
$$;

-- Credit notes, their lines and the stock ledger are append-only.
CREATE OR REPLACE FUNCTION append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'FL003', MESSAGE = format('%s is append-only', TG_TABLE_NAME);
END
$$;

-- Credit note lines can only be added in the (sub)transaction that wrote the
-- credit note itself: later additions would change a numbered document.
CREATE OR REPLACE FUNCTION credit_note_lines_same_tx() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows r
                 JOIN credit_note_lines l ON l.credit_note_id = r.credit_note_id AND l.line_no = r.line_no
                 JOIN credit_notes n ON n.id = r.credit_note_id
                WHERE NOT (n.xmin = l.xmin)) THEN
        RAISE EXCEPTION USING ERRCODE = 'FL003', MESSAGE = 'credit notes are immutable; lines cannot be added later';
    END IF;
    RETURN NULL;
END
$$;

-- Number series never go back and are never deleted.
CREATE OR REPLACE FUNCTION number_series_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'FL003', MESSAGE = 'number series cannot go back or be deleted';
END
$$;

-- Payments: only unapplied and refunded change (refunded only upwards); never deleted.
CREATE OR REPLACE FUNCTION payments_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'FL003', DETAIL = 'payment_id',
        MESSAGE = format('payment %s cannot be %s', OLD.id, CASE WHEN TG_OP = 'DELETE' THEN 'deleted' ELSE 'rewritten' END);
END
$$;

-- Allocations: only reversed_on may be set, once; never deleted.
CREATE OR REPLACE FUNCTION payment_allocations_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'FL003',
        MESSAGE = 'payment allocations are never deleted or changed; a refund only sets reversed_on';
END
$$;

-- Discrepancies: only resolved (once); never deleted.
CREATE OR REPLACE FUNCTION discrepancies_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'FL003', MESSAGE = 'discrepancies are only ever resolved, never changed or deleted';
END
$$;
