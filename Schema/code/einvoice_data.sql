-- Data for EN 16931 e-invoices: VAT categories, the seller's and buyer's
-- electronic addresses, the seller's bank account, units of measure, and the
-- payment terms text. The documents themselves are built in Swift
-- (FolioEInvoice) from invoice_get/credit_note_get, tenant_get, customer_get
-- and einvoice_extras.

-- An EN 16931 VAT category for a rate of `percent` (default S when the percent
-- is above 0, else Z) with its exemption reason, which E, AE, K, G and O need
-- (FL602 on `category` / `exemption_reason`). Returns the category.
CREATE OR REPLACE FUNCTION check_vat_category(category text, percent numeric, reason text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE c text := coalesce(category, CASE WHEN percent > 0 THEN 'S' ELSE 'Z' END);
BEGIN
    IF c NOT IN ('S', 'Z', 'E', 'AE', 'K', 'G', 'O', 'L', 'M') THEN
        PERFORM fail('FL602', 'category must be one of S, Z, E, AE, K, G, O, L, M', 'category');
    END IF;
    IF c IN ('E', 'AE', 'K', 'G', 'O') AND (reason IS NULL OR btrim(reason) = '') THEN
        PERFORM fail('FL602', format('category %s needs an exemption_reason', c), 'exemption_reason');
    END IF;
    IF c IN ('Z', 'E', 'AE', 'K', 'G', 'O') AND percent <> 0 THEN
        PERFORM fail('FL602', format('category %s is a 0 percent rate', c), 'percent');
    END IF;
    IF c = 'S' AND percent <= 0 THEN
        PERFORM fail('FL602', 'category S (standard rate) needs a percent above 0', 'percent');
    END IF;
    IF length(reason) > 500 THEN
        PERFORM fail('FL602', 'exemption_reason must be at most 500 characters', 'exemption_reason');
    END IF;
    RETURN c;
END
$$;

-- An electronic address {scheme, id} (EAS scheme code such as 0088, 9930 or EM
-- for e-mail); JSON null gives NULL (FL602 on `field.x`).
CREATE OR REPLACE FUNCTION check_electronic_address(a jsonb, field text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE k text;
BEGIN
    IF a IS NULL OR jsonb_typeof(a) = 'null' THEN RETURN NULL; END IF;
    IF jsonb_typeof(a) <> 'object' THEN PERFORM fail('FL602', format('%s must be {scheme, id}', field), field); END IF;
    SELECT key INTO k FROM jsonb_each(a) WHERE key NOT IN ('scheme', 'id') ORDER BY key LIMIT 1;
    IF k IS NOT NULL THEN PERFORM fail('FL602', format('unknown field %s', k), field || '.' || k); END IF;
    IF jsonb_typeof(a->'scheme') IS DISTINCT FROM 'string' OR a->>'scheme' !~ '^([0-9]{4}|EM|AN|AQ|AS|AU)$' THEN
        PERFORM fail('FL602', 'scheme must be an EAS code: four digits such as 0088 or 9930, or EM, AN, AQ, AS, AU',
                     field || '.scheme');
    END IF;
    IF jsonb_typeof(a->'id') IS DISTINCT FROM 'string' OR btrim(a->>'id') = '' OR length(a->>'id') > 200 THEN
        PERFORM fail('FL602', 'id must be 1 to 200 characters', field || '.id');
    END IF;
    RETURN jsonb_build_object('scheme', a->>'scheme', 'id', btrim(a->>'id'));
END
$$;

-- Whether an IBAN (spaces allowed) has a valid ISO 13616 shape and mod-97 checksum.
CREATE OR REPLACE FUNCTION iban_valid(iban text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    s text := upper(replace(iban, ' ', ''));
    digits text := '';
    ch text;
    r int := 0;
    k int;
BEGIN
    IF s !~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$' THEN RETURN false; END IF;
    s := substr(s, 5) || substr(s, 1, 4);
    FOREACH ch IN ARRAY regexp_split_to_array(s, '') LOOP
        digits := digits || CASE WHEN ch ~ '[0-9]' THEN ch ELSE (ascii(ch) - 55)::text END;
    END LOOP;
    FOR k IN 1..length(digits) LOOP
        r := (r * 10 + substr(digits, k, 1)::int) % 97;
    END LOOP;
    RETURN r = 1;
END
$$;

-- A bank account {iban, bic?, name?}: the IBAN's checksum is checked and it is
-- stored without spaces, upper case (FL602 on `field.x`).
CREATE OR REPLACE FUNCTION check_payment_account(a jsonb, field text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE k text;
BEGIN
    IF a IS NULL OR jsonb_typeof(a) = 'null' THEN RETURN NULL; END IF;
    IF jsonb_typeof(a) <> 'object' THEN PERFORM fail('FL602', format('%s must be {iban, bic?, name?}', field), field); END IF;
    SELECT key INTO k FROM jsonb_each(a) WHERE key NOT IN ('iban', 'bic', 'name') ORDER BY key LIMIT 1;
    IF k IS NOT NULL THEN PERFORM fail('FL602', format('unknown field %s', k), field || '.' || k); END IF;
    IF jsonb_typeof(a->'iban') IS DISTINCT FROM 'string' OR NOT iban_valid(a->>'iban') THEN
        PERFORM fail('FL602', 'iban is not a valid IBAN (checksum or format)', field || '.iban');
    END IF;
    IF a->'bic' IS NOT NULL AND a->'bic' <> 'null'
       AND (jsonb_typeof(a->'bic') <> 'string' OR upper(a->>'bic') !~ '^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$') THEN
        PERFORM fail('FL602', 'bic must be 8 or 11 characters (ISO 9362)', field || '.bic');
    END IF;
    IF a->'name' IS NOT NULL AND a->'name' <> 'null'
       AND (jsonb_typeof(a->'name') <> 'string' OR length(a->>'name') > 200) THEN
        PERFORM fail('FL602', 'name must be a string of at most 200 characters', field || '.name');
    END IF;
    RETURN jsonb_strip_nulls(jsonb_build_object('iban', upper(replace(a->>'iban', ' ', '')),
                                                'bic', upper(a->>'bic'), 'name', a->>'name'));
END
$$;

-- A unit of measure code (UN/ECE Rec 20, e.g. C62, HUR, KGM; FL602 on `field`).
CREATE OR REPLACE FUNCTION check_unit(v text, field text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF v IS NULL OR v !~ '^[A-Z0-9]{1,3}$' THEN
        PERFORM fail('FL602', 'unit must be a UN/ECE Rec 20 code such as C62, HUR or KGM', field);
    END IF;
    RETURN v;
END
$$;

-- What an e-invoice of invoice/credit note `doc` needs besides the document,
-- the tenant and the customer: the payment terms text (the invoice's own, as
-- frozen at issue; a credit note's is its invoice's) and, for a credit note,
-- the issue date of the invoice it credits.
CREATE OR REPLACE FUNCTION einvoice_extras(doc jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE credited record;
BEGIN
    SELECT i.issue_date, terms_text(i.payment_terms_text, i.payment_terms_days) AS terms
      INTO credited FROM invoices i WHERE i.id = (doc->>'invoice_id')::bigint;
    RETURN jsonb_build_object(
        'payment_terms_text', coalesce(doc->>'payment_terms_text', credited.terms,
                                       terms_text_default(coalesce((doc->>'payment_terms_days')::int, 0))),
        'invoice_issue_date', date_text(credited.issue_date));
END
$$;

-- One page of export.invoices {from, to, format: "ubl", limit?, cursor?}: the
-- issued invoices (void included) with issue_date in from..to, by id, each
-- with what its e-invoice needs -> {count (all in the period), tenant,
-- rows: [{document, customer, extras}], next_cursor}. The documents are built
-- by the server (EInvoiceExport).
CREATE OR REPLACE FUNCTION einvoice_export_page(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    per daterange := report_period(p);
    lim int := page_limit(p);
    after bigint := page_after(p);
    res jsonb;
    nxt text;
BEGIN
    SELECT coalesce(jsonb_agg(jsonb_build_object('document', x.d, 'customer', customer_json(c), 'extras', einvoice_extras(x.d))
                              ORDER BY x.id) FILTER (WHERE x.k <= lim), '[]'),
           CASE WHEN count(*) > lim THEN max(x.id) FILTER (WHERE x.k <= lim)::text END
      INTO res, nxt
      FROM (SELECT i.id, i.customer_id, invoice_full_json(i) AS d, row_number() OVER (ORDER BY i.id) AS k
              FROM invoices i
             WHERE i.issue_date <@ per AND i.status <> 'draft' AND i.id > after
             ORDER BY i.id LIMIT lim + 1) x
      JOIN customers c ON c.id = x.customer_id;
    RETURN jsonb_build_object(
        'count', (SELECT count(*) FROM invoices i WHERE i.issue_date <@ per AND i.status <> 'draft'),
        'tenant', tenant_get('{}'), 'rows', res, 'next_cursor', nxt);
END
$$;
