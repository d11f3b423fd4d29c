-- Dispatch: the e-mail outbox and its attempt log, plus "sent by post".
-- invoice.send only queues a message; the server's OutboxSender claims due rows
-- (outbox_claim), renders the PDF, hands the MIME message to the sendmail
-- command and then records the outcome (outbox_done / outbox_failed). The
-- invoice becomes 'sent' only when the mailer accepted the message.

CREATE TABLE outbox (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id       bigint NOT NULL REFERENCES invoices,
    kind             text NOT NULL DEFAULT 'invoice' CHECK (kind IN ('invoice', 'reminder')),
    recipient        text NOT NULL,
    subject          text NOT NULL,
    status           text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts         int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    message_id       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE status = 'queued';
CREATE INDEX outbox_invoice ON outbox (invoice_id, id);
CREATE INDEX outbox_status ON outbox (status, id);

-- One row per delivery attempt (accepted or not). Append-only.
CREATE TABLE dispatch_attempts (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    outbox_id  bigint NOT NULL REFERENCES outbox,
    at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    ok         boolean NOT NULL,
    error      text
);
CREATE INDEX dispatch_attempts_outbox ON dispatch_attempts (outbox_id, id);
CREATE TRIGGER dispatch_attempts_append_only BEFORE UPDATE OR DELETE ON dispatch_attempts
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER dispatch_attempts_no_truncate BEFORE TRUNCATE ON dispatch_attempts
    FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();

GRANT SELECT, INSERT, UPDATE ON outbox TO {{tenant_role}};
GRANT SELECT, INSERT ON dispatch_attempts TO {{tenant_role}};