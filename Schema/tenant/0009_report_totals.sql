-- Period reports on big tenants: a covering index for report.sales and daily tax
-- totals for report.tax (Schema/code/tax_daily.sql keeps them).

-- report.sales by day, month or customer reads issued invoices by issue date
-- (issue_date is set exactly when an invoice is not a draft) with everything it
-- sums: index-only scans instead of a heap fetch per invoice.
CREATE INDEX invoices_sales ON invoices (issue_date)
    INCLUDE (customer_id, currency, subtotal, tax_total) WHERE issue_date IS NOT NULL;

-- Per issue date, kind (invoice, credit_note), currency, tax code (NULL: the
-- no-tax group) and percent: the sums of the documents' stored tax_breakdown
-- (taxable, tax) and how many documents contributed. An invoice adds its
-- breakdown when it is issued, a credit note when it is written (both are
-- frozen from then on, and void invoices stay in sales), so report.tax reads a
-- few rows per day instead of every document's jsonb. Written only by the
-- triggers below; audit.verify --full compares it with the documents.
CREATE TABLE tax_daily (
    day        date NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
    currency   text NOT NULL,
    code       text,
    percent    numeric NOT NULL,
    taxable    numeric NOT NULL,
    tax        numeric NOT NULL,
    documents  bigint NOT NULL
);
CREATE UNIQUE INDEX tax_daily_key ON tax_daily (day, kind, currency, code, percent) NULLS NOT DISTINCT;

CREATE TRIGGER tax_daily_invoice_issued AFTER UPDATE ON invoices
    FOR EACH ROW WHEN (OLD.status = 'draft' AND NEW.status <> 'draft') EXECUTE FUNCTION tax_daily_from_invoice();
CREATE TRIGGER tax_daily_credit_note AFTER INSERT ON credit_notes
    FOR EACH ROW EXECUTE FUNCTION tax_daily_from_credit_note();
CREATE TRIGGER tax_daily_no_truncate BEFORE TRUNCATE ON tax_daily FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();

-- Documents written before this migration.
INSERT INTO tax_daily (day, kind, currency, code, percent, taxable, tax, documents)
SELECT * FROM tax_daily_of_documents('-infinity', 'infinity');

GRANT SELECT, INSERT, UPDATE ON tax_daily TO {{tenant_role}};
