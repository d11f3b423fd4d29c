-- New outbox rows are announced (outbox_announce: NOTIFY folio_outbox) so that the
-- sender visits the tenants with mail to send, not every tenant on every pass.
CREATE TRIGGER outbox_announce AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_announce();
