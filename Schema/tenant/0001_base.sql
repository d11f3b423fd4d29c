-- Tenant base: settings, idempotency keys, the append-only audit trail.
-- Runs with search_path set to the tenant's schema; {{tenant_role}} is the
-- tenant's database role, {{tenant}} its slug, {{tenant_name}} and
-- {{currency}} come from tenant.create (all substituted as SQL literals or
-- identifiers by the migration runner).

-- ISO 4217 minor units (decimals) of a currency; NULL for an unknown code.
CREATE FUNCTION minor_units(code text) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN code IN ('BIF','CLP','DJF','GNF','ISK','JPY','KMF','KRW','PYG','RWF','UGX','UYI','VND','VUV','XAF','XOF','XPF') THEN 0
        WHEN code IN ('BHD','IQD','JOD','KWD','LYD','OMR','TND') THEN 3
        WHEN code IN ('CLF','UYW') THEN 4
        WHEN code IN ('AED','AFN','ALL','AMD','ANG','AOA','ARS','AUD','AWG','AZN','BAM','BBD','BDT','BGN','BMD','BND','BOB',
                      'BRL','BSD','BTN','BWP','BYN','BZD','CAD','CDF','CHF','CNY','COP','CRC','CUP','CVE','CZK','DKK','DOP',
                      'DZD','EGP','ERN','ETB','EUR','FJD','FKP','GBP','GEL','GHS','GIP','GMD','GTQ','GYD','HKD','HNL','HTG',
                      'HUF','IDR','ILS','INR','IRR','JMD','KES','KGS','KHR','KPW','KYD','KZT','LAK','LBP','LKR','LRD','LSL',
                      'MAD','MDL','MGA','MKD','MMK','MNT','MOP','MRU','MUR','MVR','MWK','MXN','MYR','MZN','NAD','NGN','NIO',
                      'NOK','NPR','NZD','PAB','PEN','PGK','PHP','PKR','PLN','QAR','RON','RSD','RUB','SAR','SBD','SCR','SDG',
                      'SEK','SGD','SHP','SLE','SOS','SRD','SSP','STN','SVC','SYP','SZL','THB','TJS','TMT','TOP','TRY','TTD',
                      'TWD','TZS','UAH','USD','UYU','UZS','VES','WST','XCD','YER','ZAR','ZMW','ZWG') THEN 2
    END
$$;

CREATE TABLE settings (
    singleton                 boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    tenant                    text NOT NULL,
    name                      text NOT NULL,
    currency                  text NOT NULL CONSTRAINT settings_currency_known CHECK (minor_units(currency) IS NOT NULL),
    timezone                  text NOT NULL DEFAULT 'UTC',
    tax_rounding              text NOT NULL DEFAULT 'line' CHECK (tax_rounding IN ('line', 'document')),
    payment_terms_days        int  NOT NULL DEFAULT 30 CHECK (payment_terms_days BETWEEN 0 AND 3650),
    invoice_number_format     text NOT NULL DEFAULT 'INV-{seq:06}',
    credit_note_number_format text NOT NULL DEFAULT 'CN-{seq:06}',
    legal_name                text,
    address                   jsonb,
    tax_id                    text,
    email                     text,
    phone                     text,
    updated_at                timestamptz NOT NULL DEFAULT now()
);
INSERT INTO settings (tenant, name, currency) VALUES ({{tenant}}, {{tenant_name}}, {{currency}});

-- Idempotency keys: one row per (method, key), written in the same transaction as the effect.
CREATE TABLE idempotency_keys (
    method       text NOT NULL,
    key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    params_hash  text NOT NULL,
    result       jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (method, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);

-- Raises a Folio error: FL602 invalid params (detail = field path), FL002 not found,
-- FL003 conflict, FL004 idempotency mismatch, FL001 forbidden.
CREATE FUNCTION fail(code text, message text, field text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = code, MESSAGE = message, DETAIL = coalesce(field, '');
END
$$;

-- Runs the API function `fn` once per (method, key): a replay with the same params
-- returns the stored result; other params raise FL004. A concurrent duplicate waits
-- on the key's unique index and then replays.
CREATE FUNCTION idempotent(p_method text, p_key text, p_fn text, p_params jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    h text := encode(sha256(convert_to(p_params::text, 'UTF8')), 'hex');
    prior idempotency_keys;
    r jsonb;
BEGIN
    INSERT INTO idempotency_keys (method, key, params_hash) VALUES (p_method, p_key, h)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        SELECT * INTO prior FROM idempotency_keys WHERE method = p_method AND key = p_key;
        IF prior.params_hash <> h THEN
            PERFORM fail('FL004', 'idempotency key reused with different params', 'idempotency_key');
        END IF;
        RETURN prior.result;
    END IF;
    EXECUTE format('SELECT %I($1)', p_fn) INTO r USING p_params;
    UPDATE idempotency_keys SET result = r WHERE method = p_method AND key = p_key;
    RETURN r;
END
$$;

-- Append-only audit trail: who, when, which method, which entity, what changed.
CREATE TABLE audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    uid        bigint NOT NULL,
    method     text NOT NULL,
    entity     text NOT NULL,
    entity_id  bigint,
    change     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'FL003', MESSAGE = 'audit_log is append-only';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Records one audit entry for the current request (uid and method come from the
-- transaction settings made by folio.enter). PL/pgSQL rather than SQL so its plan is
-- cached for the session instead of being parsed on every call.
CREATE FUNCTION audit(p_entity text, p_entity_id bigint, p_change jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_log (uid, method, entity, entity_id, change)
    VALUES (coalesce(nullif(current_setting('folio.uid', true), ''), '0')::bigint,
            coalesce(nullif(current_setting('folio.method', true), ''), 'sql'),
            p_entity, p_entity_id, p_change);
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON settings, idempotency_keys TO {{tenant_role}};
GRANT SELECT, INSERT ON audit_log TO {{tenant_role}};
