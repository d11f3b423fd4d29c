-- Times report.aging on the tenant made by aging-1m.sql, as the server runs it: entered as
-- the tenant's role, for today and for dates in the past; then the year's report.sales and
-- report.tax. Output goes to /dev/null; psql's \timing lines are the measurement.
\timing on
BEGIN;
SELECT folio.enter(0, :'tenant', 'viewer', true, 'report.aging');
\o /dev/null
\echo aging today (3 runs)
SELECT report_aging('{}'); SELECT report_aging('{}'); SELECT report_aging('{}');
\echo aging 30 days ago
SELECT report_aging(jsonb_build_object('as_of', current_date - 30)); SELECT report_aging(jsonb_build_object('as_of', current_date - 30));
\echo aging a year ago
SELECT report_aging(jsonb_build_object('as_of', current_date - 365)); SELECT report_aging(jsonb_build_object('as_of', current_date - 365));
\echo aging 2 years ago
SELECT report_aging(jsonb_build_object('as_of', current_date - 730)); SELECT report_aging(jsonb_build_object('as_of', current_date - 730));
\echo sales of the last year by month, by customer
SELECT report_sales(jsonb_build_object('from', current_date - 365, 'to', current_date, 'group_by', 'month'));
SELECT report_sales(jsonb_build_object('from', current_date - 365, 'to', current_date, 'group_by', 'month'));
SELECT report_sales(jsonb_build_object('from', current_date - 365, 'to', current_date, 'group_by', 'customer'));
SELECT report_sales(jsonb_build_object('from', current_date - 365, 'to', current_date, 'group_by', 'customer'));
\echo tax of the last year
SELECT report_tax(jsonb_build_object('from', current_date - 365, 'to', current_date));
SELECT report_tax(jsonb_build_object('from', current_date - 365, 'to', current_date));
\echo operators view aged_receivables
TABLE aged_receivables; TABLE aged_receivables;
\o
COMMIT;
