-- Collections (contract v1.1): payment terms text, reminder policy, reminders
-- with their fee and interest invoices, recurring schedules and the daily
-- scheduler's runs. The logic lives in Schema/code/payment_terms.sql,
-- reminders.sql, recurring.sql and scheduler_runs.sql.

-- Tenant settings. reminder_levels: [{level, days_past_due, fee, message}]
-- (checked by tenant.update); late_interest_percent: annual, simple, actual/365.
ALTER TABLE settings
    ADD COLUMN payment_terms_text     text,
    ADD COLUMN reminder_grace_days    int NOT NULL DEFAULT 3 CHECK (reminder_grace_days BETWEEN 0 AND 60),
    ADD COLUMN reminder_levels        jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(reminder_levels) = 'array'),
    ADD COLUMN late_interest_percent  numeric CHECK (late_interest_percent >= 0 AND late_interest_percent <= 100);

-- Invoices: the terms text printed on the document, frozen at issue like the
-- terms themselves (NULL on invoices issued before this migration: derived from
-- payment_terms_days). An invoice's reminder level is its highest reminder's,
-- not a column, so reminder.run never rewrites invoice rows.
ALTER TABLE invoices ADD COLUMN payment_terms_text text;
CREATE TRIGGER invoices_terms_text_frozen BEFORE UPDATE ON invoices
    FOR EACH ROW WHEN (OLD.status <> 'draft' AND NEW.payment_terms_text IS DISTINCT FROM OLD.payment_terms_text)
    EXECUTE FUNCTION invoices_terms_text_frozen();

-- Reminders: exactly one per (invoice, level), whoever runs reminder.run and
-- however often. status: queued (its e-mail waits in the outbox), sent,
-- to_print (the customer has no e-mail), cancelled (the invoice was paid, void
-- or disputed before it went), failed (the outbox gave up). interest_from/to:
-- the days whose interest this reminder charged (both included), so no day is
-- charged twice. fee_invoice_id / interest_invoice_id: its charge invoices.
-- invoice_id and customer_id carry no foreign keys: reminders are written in
-- bulk (100,000 in one run) and point at issued invoices, which are never
-- deleted, and customers, which are never deleted either.
CREATE TABLE reminders (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id           bigint NOT NULL,
    customer_id          bigint NOT NULL,
    level                int NOT NULL CHECK (level BETWEEN 1 AND 5),
    as_of                date NOT NULL,
    days_overdue         int NOT NULL,
    balance_due          numeric NOT NULL,
    message              text NOT NULL,
    fee                  numeric,
    status               text NOT NULL CHECK (status IN ('queued', 'sent', 'to_print', 'cancelled', 'failed')),
    channel              text NOT NULL CHECK (channel IN ('email', 'post')),
    fee_invoice_id       bigint REFERENCES invoices,
    interest_invoice_id  bigint REFERENCES invoices,
    interest_from        date,
    interest_to          date,
    created_at           timestamptz NOT NULL DEFAULT now(),
    sent_at              timestamptz,
    CONSTRAINT reminders_once_per_level UNIQUE (invoice_id, level)
);
CREATE INDEX reminders_customer ON reminders (customer_id, id);
CREATE INDEX reminders_status ON reminders (status, id);
-- Charge invoices (they get no reminders themselves).
CREATE INDEX reminders_fee_invoice ON reminders (fee_invoice_id) WHERE fee_invoice_id IS NOT NULL;
CREATE INDEX reminders_interest_invoice ON reminders (interest_invoice_id) WHERE interest_invoice_id IS NOT NULL;

-- A reminder's e-mail travels through the outbox like an invoice's (reminder_id:
-- its reminder, no foreign key for the bulk writes; reminders are never
-- deleted); a reminder whose invoice is paid, void or disputed when it is due
-- to go is cancelled.
ALTER TABLE outbox
    ADD COLUMN reminder_id bigint,
    DROP CONSTRAINT outbox_status_check,
    ADD CONSTRAINT outbox_status_check CHECK (status IN ('queued', 'sent', 'failed', 'cancelled'));
CREATE TRIGGER outbox_reminder_status AFTER UPDATE OF status ON outbox
    FOR EACH ROW WHEN (NEW.reminder_id IS NOT NULL AND NEW.status IS DISTINCT FROM OLD.status)
    EXECUTE FUNCTION reminder_follow_outbox();

-- Recurring schedules. day_of_month: '1'..'31' or 'last' (NULL: the start
-- date's day, weekly: unused). next_period is the number of the next period to
-- generate (period N starts at recurring_period_start(..., N)); next_date its start.
CREATE TABLE recurring_schedules (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id         bigint NOT NULL REFERENCES customers,
    lines               jsonb NOT NULL,
    interval            text NOT NULL CHECK (interval IN ('weekly', 'monthly', 'quarterly', 'yearly')),
    every               int NOT NULL DEFAULT 1 CHECK (every BETWEEN 1 AND 1000),
    day_of_month        text CHECK (day_of_month ~ '^([1-9]|[12][0-9]|3[01]|last)$'),
    start_date          date NOT NULL,
    end_date            date,
    count               int CHECK (count >= 1),
    auto_issue          boolean NOT NULL DEFAULT true,
    auto_send           boolean NOT NULL DEFAULT false,
    payment_terms_days  int CHECK (payment_terms_days BETWEEN 0 AND 3650),
    notes               text,
    po_number           text,
    currency            text CHECK (currency ~ '^[A-Z]{3}$'),
    status              text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'completed', 'cancelled')),
    next_period         int NOT NULL DEFAULT 0 CHECK (next_period >= 0),
    next_date           date,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recurring_schedules_due ON recurring_schedules (next_date, id) WHERE status = 'active';
CREATE INDEX recurring_schedules_status ON recurring_schedules (status, id);

-- One row per generated period: the key (schedule, period) makes each period
-- exactly once, also when runs race. invoice_id becomes NULL if the generated
-- draft is deleted (the period stays generated).
CREATE TABLE recurring_invoices (
    schedule_id   bigint NOT NULL REFERENCES recurring_schedules,
    period_no     int NOT NULL,
    period_start  date NOT NULL,
    period_end    date NOT NULL,
    invoice_id    bigint REFERENCES invoices ON DELETE SET NULL,
    as_of         date NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (schedule_id, period_no)
);
CREATE INDEX recurring_invoices_invoice ON recurring_invoices (invoice_id) WHERE invoice_id IS NOT NULL;

-- The daily scheduler's runs: one row per (tenant day, job); finished_at set
-- and error NULL = done (never run again); error set = retried next pass.
CREATE TABLE scheduler_runs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    day          date NOT NULL,
    job          text NOT NULL CHECK (job IN ('recurring.run', 'reminder.run')),
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    counts       jsonb,
    error        text,
    attempts     int NOT NULL DEFAULT 1,
    CONSTRAINT scheduler_runs_once UNIQUE (day, job)
);

GRANT SELECT, INSERT, UPDATE ON reminders, recurring_schedules, scheduler_runs TO {{tenant_role}};
GRANT SELECT, INSERT, UPDATE ON recurring_invoices TO {{tenant_role}};
