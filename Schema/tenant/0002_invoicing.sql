-- Tenant invoicing: tax rates, customers, items and stock, number series,
-- invoices, credit notes, and the triggers that keep issued history immutable.

-------------------------------------------------------------------------------
-- Tax rates
-------------------------------------------------------------------------------

-- Tax rates by code. Lines keep the code and the percent they were priced with,
-- so changing a rate's percent never changes an issued document. Rates are never
-- deleted (only archived), so a line's code always resolves.
CREATE TABLE tax_rates (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        text NOT NULL UNIQUE,
    name        text NOT NULL,
    percent     numeric NOT NULL CHECK (percent BETWEEN 0 AND 100),
    archived    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-------------------------------------------------------------------------------
-- Customers
-------------------------------------------------------------------------------

-- Customers. Archived customers stay readable but get no new invoices.
CREATE TABLE customers (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                text NOT NULL,
    email               text,
    phone               text,
    billing_address     jsonb,
    shipping_address    jsonb,
    payment_terms_days  int CHECK (payment_terms_days BETWEEN 0 AND 3650),
    tax_id              text,
    notes               text,
    archived            boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

-------------------------------------------------------------------------------
-- Items and stock
-------------------------------------------------------------------------------

-- Catalogue items. stock_qty NULL = stock not tracked; otherwise the running
-- stock level, always equal to the sum of the item's stock_movements (it may go
-- negative: back orders are recorded, not refused).
CREATE TABLE items (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku          text NOT NULL UNIQUE,
    name         text NOT NULL,
    description  text,
    unit_price   numeric NOT NULL CHECK (unit_price >= 0),
    tax_rate     text REFERENCES tax_rates (code),
    stock_qty    numeric,
    archived     boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX items_tax_rate ON items (tax_rate) WHERE tax_rate IS NOT NULL;

-- Stock ledger, append-only: one row per change of a tracked item's stock.
-- reason: 'initial' (item created with stock), 'adjustment' (item.update of
-- stock_qty), 'invoice' (issued line, negative), 'void' (invoice voided, the
-- reverse of the invoice's movements).
CREATE TABLE stock_movements (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id         bigint NOT NULL REFERENCES items,
    qty_delta       numeric NOT NULL,
    reason          text NOT NULL CHECK (reason IN ('initial', 'adjustment', 'invoice', 'void')),
    invoice_id      bigint,
    credit_note_id  bigint,
    at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stock_movements_item ON stock_movements (item_id, id);
CREATE INDEX stock_movements_invoice ON stock_movements (invoice_id) WHERE invoice_id IS NOT NULL;

-------------------------------------------------------------------------------
-- Number series and the hash chain
-------------------------------------------------------------------------------

-- Gapless number series, one row per (kind, period): period is the issue year
-- when the kind's number format holds {YYYY} (yearly series restarting at 1),
-- else 0. next_seq is the next number to hand out; last_issue_date keeps numbers
-- chronological; last_hash is the hash of the series' latest document (the
-- head of its hash chain). Rows are created on first use and locked FOR UPDATE
-- (by an UPDATE) as the last step of issuing, so the lock is held briefly.
-- Format changes: the series key is (kind, period) only, so changing the text
-- around {seq} continues the same counter (A-12 then B-13: still gapless and
-- chronological within the series); adding or removing {YYYY} moves issuing to
-- the yearly series / the period-0 series, each gapless on its own. A new number
-- that collides with an existing one is refused (FL003).
CREATE TABLE number_series (
    kind             text NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
    period           int NOT NULL,
    next_seq         bigint NOT NULL DEFAULT 1 CHECK (next_seq >= 1),
    last_issue_date  date,
    last_hash        text,
    PRIMARY KEY (kind, period)
);

-------------------------------------------------------------------------------
-- Invoices
-------------------------------------------------------------------------------

-- Invoices. A draft has no number, no dates and no hash; its stored totals are
-- recomputed on every change. Issuing assigns number/seq/series_period, dates,
-- the applied payment terms, the totals and the hash; from then on only
-- status, amount_paid, credited and the bookkeeping columns (sent_at,
-- voided_at, void_reason, updated_at) may change (triggers below).
-- balance_due is not stored: it is always total - amount_paid - credited
-- (voiding credits the whole balance, so a void invoice's balance is 0).
-- tax_breakdown is stored (as returned) so lists need not read lines;
-- tax_rounding is the mode the totals were computed with.
CREATE TABLE invoices (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number              text,
    series_period       int,
    seq                 bigint,
    status              text NOT NULL DEFAULT 'draft'
                        CHECK (status IN ('draft', 'issued', 'sent', 'partially_paid', 'paid', 'void')),
    customer_id         bigint NOT NULL REFERENCES customers,
    -- A known ISO 4217 code (checked by the functions through minor_units()); the
    -- constraint is only the shape: a CHECK calling minor_units() would re-inline
    -- that function at every statement start and cost ~0.5 ms per single-row write.
    currency            text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    issue_date          date,
    due_date            date,
    payment_terms_days  int CHECK (payment_terms_days BETWEEN 0 AND 3650),
    po_number           text,
    notes               text,
    tax_rounding        text NOT NULL CHECK (tax_rounding IN ('line', 'document')),
    subtotal            numeric NOT NULL,
    tax_total           numeric NOT NULL,
    total               numeric NOT NULL,
    tax_breakdown       jsonb NOT NULL,
    amount_paid         numeric NOT NULL DEFAULT 0 CHECK (amount_paid >= 0),
    credited            numeric NOT NULL DEFAULT 0 CHECK (credited >= 0),
    hash                text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    issued_at           timestamptz,
    sent_at             timestamptz,
    voided_at           timestamptz,
    void_reason         text,
    CONSTRAINT invoices_paid_within_total CHECK (amount_paid + credited <= total),
    CONSTRAINT invoices_issued_complete CHECK (
        (status = 'draft' AND number IS NULL AND seq IS NULL AND issue_date IS NULL AND hash IS NULL)
        OR (status <> 'draft' AND number IS NOT NULL AND seq IS NOT NULL AND series_period IS NOT NULL
            AND issue_date IS NOT NULL AND due_date IS NOT NULL AND hash IS NOT NULL))
);
-- Numbers are unique; (series_period, seq) is unique and gives audit_verify its order.
CREATE UNIQUE INDEX invoices_number ON invoices (number) WHERE number IS NOT NULL;
CREATE UNIQUE INDEX invoices_series_seq ON invoices (series_period, seq) WHERE seq IS NOT NULL;
-- List filters, each in id order for keyset paging.
CREATE INDEX invoices_customer ON invoices (customer_id, id);
CREATE INDEX invoices_status ON invoices (status, id);
CREATE INDEX invoices_issue_date ON invoices (issue_date, id) WHERE issue_date IS NOT NULL;
-- Open (balance-carrying) invoices for overdue lists and aging.
CREATE INDEX invoices_open_due ON invoices (due_date, id) WHERE status IN ('issued', 'sent', 'partially_paid');

-- Invoice lines. Priced when the draft is created/updated (and re-priced with the
-- current tax percents on issue); frozen once the invoice is not a draft.
CREATE TABLE invoice_lines (
    invoice_id   bigint NOT NULL REFERENCES invoices ON DELETE CASCADE,
    line_no      int NOT NULL,
    item_id      bigint REFERENCES items,
    description  text NOT NULL,
    qty          numeric NOT NULL CHECK (qty > 0),
    unit_price   numeric NOT NULL CHECK (unit_price >= 0),
    tax_rate     text,
    tax_percent  numeric NOT NULL DEFAULT 0,
    amount       numeric NOT NULL,
    tax          numeric NOT NULL,
    PRIMARY KEY (invoice_id, line_no)
);
CREATE INDEX invoice_lines_item ON invoice_lines (item_id) WHERE item_id IS NOT NULL;

-------------------------------------------------------------------------------
-- Credit notes
-------------------------------------------------------------------------------

-- Credit notes: own gapless series and hash chain, fully immutable once written
-- (header and lines). total reduces the invoice's balance via invoices.credited.
CREATE TABLE credit_notes (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number          text NOT NULL,
    series_period   int NOT NULL,
    seq             bigint NOT NULL,
    invoice_id      bigint NOT NULL REFERENCES invoices,
    invoice_number  text NOT NULL,
    customer_id     bigint NOT NULL REFERENCES customers,
    currency        text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    issue_date      date NOT NULL,
    reason          text NOT NULL,
    tax_rounding    text NOT NULL CHECK (tax_rounding IN ('line', 'document')),
    subtotal        numeric NOT NULL,
    tax_total       numeric NOT NULL,
    total           numeric NOT NULL CHECK (total >= 0),
    tax_breakdown   jsonb NOT NULL,
    hash            text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX credit_notes_number ON credit_notes (number);
CREATE UNIQUE INDEX credit_notes_series_seq ON credit_notes (series_period, seq);
CREATE INDEX credit_notes_invoice ON credit_notes (invoice_id, id);
CREATE INDEX credit_notes_customer ON credit_notes (customer_id, id);

-- Credit note lines (no item link: credit notes do not move stock; voiding does).
CREATE TABLE credit_note_lines (
    credit_note_id  bigint NOT NULL REFERENCES credit_notes,
    line_no         int NOT NULL,
    description     text NOT NULL,
    qty             numeric NOT NULL CHECK (qty > 0),
    unit_price      numeric NOT NULL CHECK (unit_price >= 0),
    tax_rate        text,
    tax_percent     numeric NOT NULL DEFAULT 0,
    amount          numeric NOT NULL,
    tax             numeric NOT NULL,
    PRIMARY KEY (credit_note_id, line_no)
);
CREATE TRIGGER invoices_guard_update BEFORE UPDATE ON invoices
    FOR EACH ROW WHEN (OLD.status <> 'draft') EXECUTE FUNCTION invoices_guard();
CREATE TRIGGER invoices_guard_delete BEFORE DELETE ON invoices
    FOR EACH ROW WHEN (OLD.status <> 'draft') EXECUTE FUNCTION invoices_guard();
CREATE TRIGGER invoices_born_draft BEFORE INSERT ON invoices
    FOR EACH ROW WHEN (NEW.status <> 'draft' OR NEW.number IS NOT NULL OR NEW.hash IS NOT NULL
                       OR NEW.amount_paid <> 0 OR NEW.credited <> 0)
    EXECUTE FUNCTION invoices_born_draft();
CREATE TRIGGER invoices_no_truncate BEFORE TRUNCATE ON invoices FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();
CREATE TRIGGER invoice_lines_no_truncate BEFORE TRUNCATE ON invoice_lines FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();
CREATE TRIGGER credit_notes_no_truncate BEFORE TRUNCATE ON credit_notes FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();
CREATE TRIGGER credit_note_lines_no_truncate BEFORE TRUNCATE ON credit_note_lines FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();
CREATE TRIGGER number_series_no_truncate BEFORE TRUNCATE ON number_series FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();
CREATE TRIGGER stock_movements_no_truncate BEFORE TRUNCATE ON stock_movements FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();
CREATE TRIGGER invoice_lines_guard_insert AFTER INSERT ON invoice_lines
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION invoice_lines_guard();
CREATE TRIGGER invoice_lines_guard_update AFTER UPDATE ON invoice_lines
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION invoice_lines_guard();
CREATE TRIGGER invoice_lines_guard_delete AFTER DELETE ON invoice_lines
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION invoice_lines_guard();
CREATE TRIGGER credit_notes_append_only BEFORE UPDATE OR DELETE ON credit_notes
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER credit_note_lines_append_only BEFORE UPDATE OR DELETE ON credit_note_lines
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER stock_movements_append_only BEFORE UPDATE OR DELETE ON stock_movements
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER credit_note_lines_same_tx AFTER INSERT ON credit_note_lines
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION credit_note_lines_same_tx();
CREATE TRIGGER number_series_forward BEFORE UPDATE ON number_series
    FOR EACH ROW WHEN (NEW.next_seq < OLD.next_seq OR NEW.kind <> OLD.kind OR NEW.period <> OLD.period)
    EXECUTE FUNCTION number_series_guard();
CREATE TRIGGER number_series_no_delete BEFORE DELETE ON number_series
    FOR EACH ROW EXECUTE FUNCTION number_series_guard();

-------------------------------------------------------------------------------
-- Privileges of the tenant role. Documents' history tables get SELECT, INSERT
-- only; drafts need UPDATE/DELETE on invoices and lines (the triggers above keep
-- issued ones frozen).
-------------------------------------------------------------------------------
GRANT SELECT, INSERT, UPDATE ON tax_rates, customers, items TO {{tenant_role}};
GRANT SELECT, INSERT, UPDATE, DELETE ON invoices, invoice_lines TO {{tenant_role}};
GRANT SELECT, INSERT, UPDATE ON number_series TO {{tenant_role}};
GRANT SELECT, INSERT ON credit_notes, credit_note_lines, stock_movements TO {{tenant_role}};