-- Contract v1.1, customers' purchase orders, deliveries, stock: orders and their
-- lines with the ordered, delivered, received and invoiced quantities, deliveries
-- with their lines and tracking numbers (rows of their own), the link from
-- invoice lines to the order lines they bill, two tenant settings, and stock
-- movements of deliveries and of item.adjust_stock.

ALTER TABLE settings
    -- Only receipt-confirmed deliveries may be invoiced.
    ADD COLUMN invoice_requires_receipt boolean NOT NULL DEFAULT false,
    -- 'allow' (default: back orders are recorded) or 'forbid' (a movement that takes a
    -- tracked item's stock below zero is refused).
    ADD COLUMN negative_stock text NOT NULL DEFAULT 'allow' CHECK (negative_stock IN ('allow', 'forbid'));

-- A customer's purchase order as received. The status is never stored: it follows
-- from confirmed_at, cancelled_at and the lines' quantities (order_status()).
-- discrepancies are computed at create and update; confirming with
-- accept_discrepancies records that they were accepted.
CREATE TABLE orders (
    id                       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id              bigint NOT NULL REFERENCES customers,
    po_number                text NOT NULL CHECK (length(po_number) BETWEEN 1 AND 100),
    order_date               date NOT NULL,
    currency                 text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    buyer_contact            jsonb,
    billing_address          jsonb,
    shipping_address         jsonb,
    requested_delivery_date  date,
    signed_by                text,
    signed_on                date,
    signature_png            bytea CHECK (signature_png IS NULL OR octet_length(signature_png) <= 1048576),
    notes                    text,
    subtotal                 numeric NOT NULL,
    tax_total                numeric NOT NULL,
    total                    numeric NOT NULL,
    tax_breakdown            jsonb NOT NULL,
    discrepancies            jsonb NOT NULL DEFAULT '[]',
    discrepancies_accepted   boolean NOT NULL DEFAULT false,
    confirmed_at             timestamptz,
    cancelled_at             timestamptz,
    cancel_reason            text,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_customer_po ON orders (customer_id, po_number);

-- Order lines. delivered_qty: shipped in deliveries; received_qty: in deliveries
-- whose receipt is confirmed; invoiced_qty: on invoices made from the order that are
-- not void (drafts included, so two drafts cannot bill the same goods). The checks
-- hold whatever the concurrency; the functions lock the order row first.
CREATE TABLE order_lines (
    order_id       bigint NOT NULL REFERENCES orders,
    line_no        int NOT NULL,
    item_id        bigint REFERENCES items,
    sku            text,
    description    text NOT NULL,
    qty            numeric NOT NULL CHECK (qty > 0),
    unit_price     numeric NOT NULL CHECK (unit_price >= 0),
    tax_rate       text,
    tax_percent    numeric NOT NULL DEFAULT 0,
    amount         numeric NOT NULL,
    tax            numeric NOT NULL,
    delivered_qty  numeric NOT NULL DEFAULT 0,
    received_qty   numeric NOT NULL DEFAULT 0,
    invoiced_qty   numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (order_id, line_no),
    CONSTRAINT order_lines_delivered CHECK (delivered_qty BETWEEN 0 AND qty),
    CONSTRAINT order_lines_received CHECK (received_qty BETWEEN 0 AND delivered_qty),
    CONSTRAINT order_lines_invoiced CHECK (invoiced_qty BETWEEN 0 AND delivered_qty)
);
CREATE INDEX order_lines_item ON order_lines (item_id) WHERE item_id IS NOT NULL;

-- Deliveries (shipments) of an order: 'shipped', then 'received' once the buyer
-- confirmed receipt.
CREATE TABLE deliveries (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id     bigint NOT NULL REFERENCES orders,
    shipped_on   date NOT NULL,
    carrier      text,
    notes        text,
    status       text NOT NULL DEFAULT 'shipped' CHECK (status IN ('shipped', 'received')),
    received_by  text,
    received_on  date,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'received') = (received_on IS NOT NULL))
);
CREATE INDEX deliveries_order ON deliveries (order_id, id);

CREATE TABLE delivery_lines (
    delivery_id  bigint NOT NULL REFERENCES deliveries,
    order_id     bigint NOT NULL,
    line_no      bigint NOT NULL,
    qty          numeric NOT NULL CHECK (qty > 0),
    PRIMARY KEY (delivery_id, line_no),
    FOREIGN KEY (order_id, line_no) REFERENCES order_lines
);
CREATE INDEX delivery_lines_order_line ON delivery_lines (order_id, line_no);

-- One row per parcel's tracking number, in the order given.
CREATE TABLE delivery_tracking_numbers (
    delivery_id      bigint NOT NULL REFERENCES deliveries,
    position         int NOT NULL,
    tracking_number  text NOT NULL CHECK (length(tracking_number) BETWEEN 1 AND 100),
    PRIMARY KEY (delivery_id, position),
    UNIQUE (delivery_id, tracking_number)
);

-- Which order line an invoice line bills, and how much (foreign key columns are
-- bigints, as the distribution rules want, though the line numbers they name are ints). Deleting the draft deletes
-- the link (and gives the quantity back); voiding the invoice sets released_at (and
-- gives it back); changing a linked draft's lines is refused (order_invoice_lines_guard).
CREATE TABLE order_invoice_lines (
    invoice_id     bigint NOT NULL,
    line_no        bigint NOT NULL,
    order_id       bigint NOT NULL,
    order_line_no  bigint NOT NULL,
    qty            numeric NOT NULL CHECK (qty > 0),
    released_at    timestamptz,
    PRIMARY KEY (invoice_id, line_no),
    FOREIGN KEY (invoice_id, line_no) REFERENCES invoice_lines ON DELETE CASCADE,
    FOREIGN KEY (order_id, order_line_no) REFERENCES order_lines
);
CREATE INDEX order_invoice_lines_order ON order_invoice_lines (order_id, order_line_no);

CREATE TRIGGER order_invoice_lines_guard BEFORE DELETE ON order_invoice_lines
    FOR EACH ROW EXECUTE FUNCTION order_invoice_lines_guard();
CREATE TRIGGER invoices_keep_order BEFORE UPDATE OF customer_id, currency, po_number ON invoices
    FOR EACH ROW WHEN (OLD.status = 'draft' AND (NEW.customer_id, NEW.currency, NEW.po_number)
                       IS DISTINCT FROM (OLD.customer_id, OLD.currency, OLD.po_number))
    EXECUTE FUNCTION invoices_keep_order();
CREATE TRIGGER invoices_release_order AFTER UPDATE OF status ON invoices
    FOR EACH ROW WHEN (NEW.status = 'void' AND OLD.status <> 'void') EXECUTE FUNCTION invoices_release_order();
CREATE TRIGGER items_negative_stock BEFORE UPDATE OF stock_qty ON items
    FOR EACH ROW WHEN (NEW.stock_qty < 0 AND NEW.stock_qty < OLD.stock_qty) EXECUTE FUNCTION items_negative_stock();

-- Stock movements of deliveries ('delivery', with delivery_id) and of
-- item.adjust_stock ('adjustment' with its reason in note).
ALTER TABLE stock_movements
    ADD COLUMN delivery_id bigint,
    ADD COLUMN note text,
    DROP CONSTRAINT stock_movements_reason_check,
    ADD CONSTRAINT stock_movements_reason_check
        CHECK (reason IN ('initial', 'adjustment', 'invoice', 'void', 'delivery'));
CREATE INDEX stock_movements_delivery ON stock_movements (delivery_id) WHERE delivery_id IS NOT NULL;

GRANT SELECT, INSERT, UPDATE ON orders, order_lines, deliveries TO {{tenant_role}};
GRANT DELETE ON order_lines TO {{tenant_role}};
GRANT SELECT, INSERT ON delivery_lines, delivery_tracking_numbers TO {{tenant_role}};
GRANT SELECT, INSERT, UPDATE, DELETE ON order_invoice_lines TO {{tenant_role}};
