-- Contract v1.1 "Discounts, VAT categories and e-invoices (EN 16931)".
--
-- Tax rates: EN 16931 VAT category (S, Z, E, AE, K, G, O, L, M) and the
-- exemption reason the exempting categories need.
ALTER TABLE tax_rates
    ADD COLUMN category         text NOT NULL DEFAULT 'S'
        CHECK (category IN ('S', 'Z', 'E', 'AE', 'K', 'G', 'O', 'L', 'M')),
    ADD COLUMN exemption_reason text;
UPDATE tax_rates SET category = 'Z' WHERE percent = 0;

-- The seller's e-invoicing data; einvoice_attachment: what invoice.send attaches.
ALTER TABLE settings
    ADD COLUMN registration_id     text,
    ADD COLUMN electronic_address  jsonb,
    ADD COLUMN payment_account     jsonb,
    ADD COLUMN einvoice_attachment text NOT NULL DEFAULT 'pdf' CHECK (einvoice_attachment IN ('pdf', 'ubl', 'both'));

-- The buyer's electronic address {scheme, id}.
ALTER TABLE customers ADD COLUMN electronic_address jsonb;

-- An item's default unit of measure (UN/ECE Rec 20).
ALTER TABLE items ADD COLUMN unit text NOT NULL DEFAULT 'C62';

-- Lines: unit and discount. amount = line_amount(qty, unit_price) - discount;
-- discount_percent is kept when the discount was given as a percent.
ALTER TABLE invoice_lines
    ADD COLUMN unit             text NOT NULL DEFAULT 'C62',
    ADD COLUMN discount         numeric NOT NULL DEFAULT 0 CHECK (discount >= 0),
    ADD COLUMN discount_percent numeric,
    ADD COLUMN discount_reason  text;
ALTER TABLE credit_note_lines
    ADD COLUMN unit             text NOT NULL DEFAULT 'C62',
    ADD COLUMN discount         numeric NOT NULL DEFAULT 0 CHECK (discount >= 0),
    ADD COLUMN discount_percent numeric,
    ADD COLUMN discount_reason  text;

-- Document-level allowances and charges, priced (see price_adjustments), and
-- their totals; subtotal = line_total - allowance_total + charge_total.
ALTER TABLE invoices
    ADD COLUMN adjustments     jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN allowance_total numeric NOT NULL DEFAULT 0,
    ADD COLUMN charge_total    numeric NOT NULL DEFAULT 0;
