-- A priced document line (invoice or credit note), in memory.
DO $$ BEGIN
    CREATE TYPE doc_line AS (
        line_no      int,
        item_id      bigint,
        description  text,
        qty          numeric,
        unit_price   numeric,
        tax_rate     text,      -- tax rate code, NULL = no tax
        tax_percent  numeric,   -- percent priced with (0 when no tax rate)
        amount       numeric,   -- line_amount(qty, unit_price, m)
        tax          numeric    -- line_tax(amount, tax_percent, m)
    );
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

-- Document totals: subtotal (sum of line amounts), tax_total, and tax_breakdown
-- [{code, percent, taxable, tax}] ordered by code (no-tax group first), percent.
DO $$ BEGIN
    CREATE TYPE doc_totals_t AS (subtotal numeric, tax_total numeric, tax_breakdown jsonb);
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

-- Lines priced from a request, with their result form (built in the same pass).
DO $$ BEGIN
    CREATE TYPE priced_lines AS (lines doc_line[], lines_json jsonb);
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

-- Result of series_take.
DO $$ BEGIN
    CREATE TYPE series_slot AS (period int, seq bigint, number text, hash text);
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

-- One allocation of a payment to an invoice, in memory.
DO $$ BEGIN
    CREATE TYPE payment_alloc AS (invoice_id bigint, amount numeric);
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

-- A parsed statement row.
DO $$ BEGIN
    CREATE TYPE statement_row AS (row_no int, line_date date, amount numeric, reference text, payer text,
                                  occurrence int, fingerprint text);
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

-- A parsed CSV record: the line it starts on (1-based, as an editor or a
-- spreadsheet numbers it: the header is row 1), its fields (quotes removed,
-- "" unescaped), and whether it was well-formed (ok = false: a stray or
-- unterminated quote).
DO $$ BEGIN
    CREATE TYPE csv_record AS (line_no int, fields text[], ok boolean);
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

-- A data row for import: its line, its values {field: text or null} (blank
-- cells and surrounding spaces dropped), or why it could not be read.
DO $$ BEGIN
    CREATE TYPE csv_row AS (line_no int, v jsonb, problem text);
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

-- The argument type that selects the shared compiled copy of a function taking a
-- tenant_row (see tenant_plans() in 01_helpers.sql).
DO $$ BEGIN
    CREATE TYPE shared_plans AS (unused int);
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
