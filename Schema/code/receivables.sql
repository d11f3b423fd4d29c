-- Allocations: each allocation contributes +amount on allocated_on and, once
-- reversed, -amount on reversed_on. A statement's net change of contributions
-- (new rows' minus old rows') is appended, so a plain reversal appends one row
-- and an unchanged row appends nothing. Statement-level with transition tables.
CREATE OR REPLACE FUNCTION receivable_events_from_allocations() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO receivable_events (invoice_id, customer_id, currency, due_date, span, on_date, amount, source, source_id)
        SELECT x.invoice_id, i.customer_id, i.currency, i.due_date,
               daterange(i.issue_date, greatest(i.issue_date, x.on_date)), x.on_date, x.amount, 'allocation', x.id
          FROM (SELECT n.id, n.invoice_id, n.allocated_on AS on_date, n.amount FROM new_rows n
                UNION ALL
                SELECT n.id, n.invoice_id, n.reversed_on, -n.amount FROM new_rows n WHERE n.reversed_on IS NOT NULL) x
          JOIN invoices i ON i.id = x.invoice_id
         ORDER BY x.id, x.on_date;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO receivable_events (invoice_id, customer_id, currency, due_date, span, on_date, amount, source, source_id)
        SELECT x.invoice_id, i.customer_id, i.currency, i.due_date,
               daterange(i.issue_date, greatest(i.issue_date, x.on_date)), x.on_date, x.amount, 'allocation', x.id
          FROM (SELECT c.id, c.invoice_id, c.on_date, sum(c.amount) AS amount
                  FROM (SELECT n.id, n.invoice_id, n.allocated_on AS on_date, n.amount FROM new_rows n
                        UNION ALL
                        SELECT n.id, n.invoice_id, n.reversed_on, -n.amount FROM new_rows n WHERE n.reversed_on IS NOT NULL
                        UNION ALL
                        SELECT o.id, o.invoice_id, o.allocated_on, -o.amount FROM old_rows o
                        UNION ALL
                        SELECT o.id, o.invoice_id, o.reversed_on, o.amount FROM old_rows o WHERE o.reversed_on IS NOT NULL) c
                 GROUP BY c.id, c.invoice_id, c.on_date
                HAVING sum(c.amount) <> 0) x
          JOIN invoices i ON i.id = x.invoice_id
         ORDER BY x.id, x.on_date;
    ELSE
        INSERT INTO receivable_events (invoice_id, customer_id, currency, due_date, span, on_date, amount, source, source_id)
        SELECT x.invoice_id, i.customer_id, i.currency, i.due_date,
               daterange(i.issue_date, greatest(i.issue_date, x.on_date)), x.on_date, x.amount, 'allocation', x.id
          FROM (SELECT o.id, o.invoice_id, o.allocated_on AS on_date, -o.amount AS amount FROM old_rows o
                UNION ALL
                SELECT o.id, o.invoice_id, o.reversed_on, o.amount FROM old_rows o WHERE o.reversed_on IS NOT NULL) x
          JOIN invoices i ON i.id = x.invoice_id
         ORDER BY x.id, x.on_date;
    END IF;
    RETURN NULL;
END
$$;

-- Credit notes (append-only): +total on their issue date.
CREATE OR REPLACE FUNCTION receivable_events_from_credit_notes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO receivable_events (invoice_id, customer_id, currency, due_date, span, on_date, amount, source, source_id)
    SELECT n.invoice_id, i.customer_id, i.currency, i.due_date,
           daterange(i.issue_date, greatest(i.issue_date, n.issue_date)), n.issue_date, n.total, 'credit_note', n.id
      FROM new_rows n JOIN invoices i ON i.id = n.invoice_id
     ORDER BY n.id;
    RETURN NULL;
END
$$;
