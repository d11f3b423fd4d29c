-- Payment terms text (contract v1.1 "Collections"): printed on every invoice
-- document and e-mail. The tenant's payment_terms_text when set, else derived
-- from the invoice's terms in days. Issuing freezes it on the invoice
-- (invoices.payment_terms_text); invoices issued before it existed derive it.

-- The text for `days` of terms: 'Due upon receipt' for 0, else 'Payment due
-- within N days' (NULL when the terms are unknown, e.g. a draft without any).
CREATE OR REPLACE FUNCTION terms_text_default(days int) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN days = 0 THEN 'Due upon receipt'
            WHEN days = 1 THEN 'Payment due within 1 day'
            WHEN days > 1 THEN 'Payment due within ' || days::text || ' days' END;

-- The terms text an invoice gets: the tenant's `setting` when set, else derived
-- from its `days` of terms.
CREATE OR REPLACE FUNCTION terms_text(setting text, days int) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN coalesce(setting, terms_text_default(days));

-- An issued invoice's terms text is part of the document: it never changes.
CREATE OR REPLACE FUNCTION invoices_terms_text_frozen() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'FL003', DETAIL = 'id',
        MESSAGE = format('invoice %s is issued; its payment terms text cannot change', OLD.number);
END
$$;
