-- Contract v1.1: an invoice's delivery date and service period (both ends or
-- neither), fixed once it is issued like every other content field.
ALTER TABLE invoices
    ADD COLUMN delivery_date date,
    ADD COLUMN period_start  date,
    ADD COLUMN period_end    date,
    ADD CONSTRAINT invoices_period_whole CHECK ((period_start IS NULL) = (period_end IS NULL)),
    ADD CONSTRAINT invoices_period_ordered CHECK (period_start <= period_end);
