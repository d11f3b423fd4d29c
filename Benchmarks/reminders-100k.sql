-- Generates 100,000 open issued invoices for the reminder.run benchmark, directly in SQL
-- (bypassing the API and its triggers; superuser only): 10,000 customers (every other one
-- with an e-mail), issue dates spread over the last 150 days, 30 days' terms, so about
-- four in five are overdue by 0..120 days. Run with -v schema=t_<tenant> (deploy/bench
-- --reminders does all this); Benchmarks/reminders-100k-time.sql times the runs.
SET search_path = :"schema", folio_code;
SET session_replication_role = replica;
SET maintenance_work_mem = '512MB'; SET work_mem = '128MB';
INSERT INTO customers (name, email)
SELECT 'Customer ' || lpad(g::text, 5, '0'), CASE WHEN g % 2 = 0 THEN 'c' || g || '@x.org' END FROM generate_series(1, 10000) g;
INSERT INTO invoices (number, series_period, seq, status, customer_id, currency, issue_date, due_date, payment_terms_days,
                      tax_rounding, subtotal, tax_total, total, tax_breakdown, hash, issued_at)
SELECT 'INV-' || lpad(g::text, 7, '0'), 0, g, 'issued', 1 + (g * 7919) % 10000, 'EUR', d, d + 30, 30, 'line',
       net, 0, net, '[]', md5(g::text), now()
  FROM (SELECT g, (current_date - 150 + (g * 150 / 100000)::int)::date AS d,
               round((10 + (g * 37 % 9990))::numeric + (g % 100) / 100.0, 2) AS net
          FROM generate_series(1::bigint, 100000) g) x
 ORDER BY g;
INSERT INTO invoice_lines (invoice_id, line_no, description, qty, unit_price, tax_percent, amount, tax)
SELECT id, 1, 'Service', 1, total, 0, total, 0 FROM invoices;
INSERT INTO number_series (kind, period, next_seq, last_issue_date, last_hash)
SELECT 'invoice', 0, max(seq) + 1, max(issue_date), (SELECT hash FROM invoices ORDER BY seq DESC LIMIT 1) FROM invoices;
ANALYZE;
