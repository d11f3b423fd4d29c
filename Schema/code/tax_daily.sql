-- Daily tax totals (tenant table tax_daily, migration 0009) behind report.tax.

-- Adds one document's tax breakdown to tax_daily on its day (documents counts
-- breakdown entries: one per document and group), summing into existing rows. Rows are taken in key order so that
-- concurrent writers cannot deadlock. tenant_row is the trigger's NEW row, only
-- for its type: PL/pgSQL compiles a polymorphic function per argument type, so
-- each tenant's table gets its own warm plan (a shared one would be re-planned
-- whenever the connection last served another tenant).
CREATE OR REPLACE FUNCTION tax_daily_add(tenant_row anyelement, doc_kind text, on_day date, cur text, breakdown jsonb)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tax_daily AS t (day, kind, currency, code, percent, taxable, tax, documents)
    SELECT on_day, doc_kind, cur, e.code, e.percent, sum(e.taxable), sum(e.tax), count(*)
      FROM jsonb_to_recordset(breakdown) AS e(code text, percent numeric, taxable numeric, tax numeric)
     GROUP BY e.code, e.percent
     ORDER BY e.code, e.percent
    ON CONFLICT (day, kind, currency, code, percent)
    DO UPDATE SET taxable = t.taxable + excluded.taxable, tax = t.tax + excluded.tax,
                  documents = t.documents + excluded.documents;
END
$$;

-- Trigger: an invoice just issued adds its tax breakdown on its issue date.
CREATE OR REPLACE FUNCTION tax_daily_from_invoice() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tax_daily_add(NEW, 'invoice', NEW.issue_date, NEW.currency, NEW.tax_breakdown);
    RETURN NULL;
END
$$;

-- Trigger: a new credit note adds its tax breakdown on its issue date.
CREATE OR REPLACE FUNCTION tax_daily_from_credit_note() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tax_daily_add(NEW, 'credit_note', NEW.issue_date, NEW.currency, NEW.tax_breakdown);
    RETURN NULL;
END
$$;

-- tax_daily as the documents issued from..to say it should be (issued
-- invoices and credit notes, every breakdown entry): the migration's backfill
-- and audit.verify's reference.
CREATE OR REPLACE FUNCTION tax_daily_of_documents(from_date date, to_date date)
RETURNS TABLE (day date, kind text, currency text, code text, percent numeric, taxable numeric, tax numeric, documents bigint)
LANGUAGE sql STABLE AS $$
    SELECT d.day, d.kind, d.currency, e.code, e.percent, sum(e.taxable), sum(e.tax), count(*)
      FROM (SELECT i.issue_date AS day, 'invoice' AS kind, i.currency, i.tax_breakdown
              FROM invoices i WHERE i.issue_date BETWEEN from_date AND to_date
            UNION ALL
            SELECT n.issue_date, 'credit_note', n.currency, n.tax_breakdown
              FROM credit_notes n WHERE n.issue_date BETWEEN from_date AND to_date) d
     CROSS JOIN LATERAL jsonb_to_recordset(d.tax_breakdown) AS e(code text, percent numeric, taxable numeric, tax numeric)
     GROUP BY d.day, d.kind, d.currency, e.code, e.percent
$$;
