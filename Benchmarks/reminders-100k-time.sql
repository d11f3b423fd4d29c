-- Times reminder.run on the tenant made by reminders-100k.sql, as the server runs it
-- (entered as the tenant's role): the first run over 100,000 open invoices (three levels
-- without charges: every overdue invoice gets its highest level), a repeated run (nothing
-- new), then the next day's run with a fee on levels 2 and 3 and 8 % interest (each new
-- reminder with its own interest invoice, and fee invoices). Output goes to /dev/null;
-- psql's \timing lines are the measurement.
\timing on
BEGIN;
SELECT folio.enter(0, :'tenant', 'clerk', true, 'reminder.run');
\o /dev/null
UPDATE settings SET reminder_grace_days = 3, late_interest_percent = NULL, reminder_levels =
    '[{"level": 1, "days_past_due": 0, "fee": null, "message": "Overdue"},
      {"level": 2, "days_past_due": 14, "fee": null, "message": "Second reminder"},
      {"level": 3, "days_past_due": 30, "fee": null, "message": "Final reminder"}]';
\o
\echo first run, 100,000 open invoices, no charges
\o /dev/null
SELECT reminder_run(jsonb_build_object('as_of', current_date - 1));
\o
\echo repeated run, nothing new
\o /dev/null
SELECT reminder_run(jsonb_build_object('as_of', current_date - 1));
UPDATE settings SET late_interest_percent = 8, reminder_levels =
    '[{"level": 1, "days_past_due": 0, "fee": null, "message": "Overdue"},
      {"level": 2, "days_past_due": 14, "fee": "5.00", "message": "Second reminder"},
      {"level": 3, "days_past_due": 30, "fee": "10.00", "message": "Final reminder"}]';
\o
\echo next day, fees and interest invoices for the new reminders
\o /dev/null
SELECT reminder_run('{}');
\o
SELECT count(*) AS reminders, count(fee_invoice_id) AS fee_invoices, count(interest_invoice_id) AS interest_invoices
  FROM reminders;
ROLLBACK;
