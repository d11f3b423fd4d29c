-- Generates a tenant with 1,000,000 issued invoices, 1,000,000 payments, their allocations,
-- refunds and credit notes, directly in SQL (bypassing the API and its triggers; superuser only),
-- for the aging benchmark. Run: psql -v ON_ERROR_STOP=1 -f Benchmarks/aging-1m.sql, with search_path set
-- by the first statement below to the tenant created for it (deploy/bench --aging does all this).
SET search_path = :"schema", folio_code;
SET session_replication_role = replica;
SET maintenance_work_mem = '1GB'; SET work_mem = '256MB';
INSERT INTO tax_rates (code, name, percent) VALUES ('VAT20', 'Standard', 20);
INSERT INTO customers (name, email) SELECT 'Customer ' || lpad(g::text, 5, '0'), 'c' || g || '@x.org' FROM generate_series(1, 10000) g;
CREATE TEMP TABLE gen AS
SELECT g, d, net, tax, net + tax AS total, 1 + (g * 7919) % 10000 AS cust,
       CASE WHEN g % 50 = 3 THEN round((net + tax) * 0.1, 2) ELSE 0 END AS credit,
       least(d + (g * 13 % 76)::int, current_date) AS recv
  FROM (SELECT g, (current_date - 1096 + (g::bigint * 1095 / 1000000)::int)::date AS d,
               round((10 + (g * 37 % 9990))::numeric + (g % 100) / 100.0, 2) AS net FROM generate_series(1::bigint, 1000000) g) x,
       LATERAL (SELECT round(net * 0.2, 2) AS tax) t;
ALTER TABLE gen ADD COLUMN pay numeric, ADD COLUMN alloc boolean, ADD COLUMN rev date;
UPDATE gen SET pay = CASE WHEN g % 20 = 0 THEN 50 WHEN g % 20 = 1 THEN round((total - credit) / 2, 2) ELSE total - credit END,
               alloc = g % 20 <> 0,
               rev = CASE WHEN g % 100 = 2 THEN least(recv + 3, current_date) END;
INSERT INTO invoices (number, series_period, seq, status, customer_id, currency, issue_date, due_date, payment_terms_days,
                      tax_rounding, subtotal, tax_total, total, tax_breakdown, amount_paid, credited, hash, issued_at)
SELECT 'INV-' || lpad(g::text, 7, '0'), 0, g,
       invoice_status('issued', total, CASE WHEN alloc AND rev IS NULL THEN pay ELSE 0 END, credit, NULL),
       cust, 'EUR', d, d + 30, 30, 'line', net, tax, total,
       jsonb_build_array(jsonb_build_object('code', 'VAT20', 'percent', '20', 'taxable', net::text, 'tax', tax::text)),
       CASE WHEN alloc AND rev IS NULL THEN pay ELSE 0 END, credit, md5(g::text), now()
  FROM gen ORDER BY g;
INSERT INTO invoice_lines (invoice_id, line_no, description, qty, unit_price, tax_rate, tax_percent, amount, tax)
SELECT g, 1, 'Service', 1, net, 'VAT20', 20, net, tax FROM gen;
INSERT INTO payments (customer_id, amount, currency, received_on, method, unapplied, refunded)
SELECT cust, pay, 'EUR', recv, 'bank_transfer', CASE WHEN alloc THEN 0 ELSE pay END, CASE WHEN rev IS NOT NULL THEN pay ELSE 0 END
  FROM gen ORDER BY g;
INSERT INTO payment_allocations (payment_id, invoice_id, amount, allocated_on, reversed_on)
SELECT g, g, pay, recv, rev FROM gen WHERE alloc ORDER BY g;
INSERT INTO refunds (payment_id, amount, refunded_on, reason) SELECT g, pay, rev, 'bounced' FROM gen WHERE rev IS NOT NULL ORDER BY g;
INSERT INTO credit_notes (number, series_period, seq, invoice_id, invoice_number, customer_id, currency, issue_date, reason,
                          tax_rounding, subtotal, tax_total, total, tax_breakdown, hash)
SELECT 'CN-' || lpad(row_number() OVER (ORDER BY g)::text, 7, '0'), 0, row_number() OVER (ORDER BY g), g,
       'INV-' || lpad(g::text, 7, '0'), cust, 'EUR', least(d + 5, current_date), 'discount', 'line',
       round(credit / 1.2, 2), credit - round(credit / 1.2, 2), credit,
       jsonb_build_array(jsonb_build_object('code', 'VAT20', 'percent', '20', 'taxable', round(credit / 1.2, 2)::text,
                                            'tax', (credit - round(credit / 1.2, 2))::text)), md5('cn' || g)
  FROM gen WHERE credit > 0 ORDER BY g;
INSERT INTO receivable_events (invoice_id, customer_id, currency, due_date, span, on_date, amount, source, source_id)
SELECT x.invoice_id, i.customer_id, i.currency, i.due_date,
       daterange(i.issue_date, greatest(i.issue_date, x.on_date)), x.on_date, x.amount, x.source, x.id
  FROM (SELECT a.id, a.invoice_id, a.allocated_on AS on_date, a.amount, 'allocation' AS source FROM payment_allocations a
        UNION ALL
        SELECT a.id, a.invoice_id, a.reversed_on, -a.amount, 'allocation' FROM payment_allocations a WHERE a.reversed_on IS NOT NULL
        UNION ALL
        SELECT n.id, n.invoice_id, n.issue_date, n.total, 'credit_note' FROM credit_notes n) x
  JOIN invoices i ON i.id = x.invoice_id
 ORDER BY x.on_date, x.source, x.id;
-- What the triggers bypassed above would have kept: the series rows and the daily tax totals.
INSERT INTO number_series (kind, period, next_seq, last_issue_date, last_hash)
SELECT 'invoice', 0, max(seq) + 1, max(issue_date), (SELECT hash FROM invoices ORDER BY seq DESC LIMIT 1) FROM invoices
UNION ALL
SELECT 'credit_note', 0, max(seq) + 1, max(issue_date), (SELECT hash FROM credit_notes ORDER BY seq DESC LIMIT 1)
  FROM credit_notes;
INSERT INTO tax_daily (day, kind, currency, code, percent, taxable, tax, documents)
SELECT * FROM tax_daily_of_documents('-infinity', 'infinity');
RESET session_replication_role;
VACUUM ANALYZE;
SELECT count(*) AS invoices, count(*) FILTER (WHERE status IN ('issued','sent','partially_paid')) AS open FROM invoices;
SELECT (SELECT count(*) FROM payments) AS payments, (SELECT count(*) FROM payment_allocations) AS allocs,
       (SELECT count(*) FROM credit_notes) AS cns, (SELECT count(*) FROM receivable_events) AS events;
SELECT pg_size_pretty(pg_total_relation_size('invoices')) inv, pg_size_pretty(pg_total_relation_size('receivable_events')) ev,
       pg_size_pretty(pg_relation_size('receivable_events_span')) gist;
