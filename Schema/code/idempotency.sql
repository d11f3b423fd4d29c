-- Runs the API function `fn` once per (method, key): a replay with the same params
-- returns the stored result; other params raise FL004. A concurrent duplicate waits
-- on the key's unique index and then replays.
CREATE OR REPLACE FUNCTION idempotent(p_method text, p_key text, p_fn text, p_params jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    h text := encode(sha256(convert_to(p_params::text, 'UTF8')), 'hex');
    prior record;
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

-- Deletes this tenant's idempotency keys older than 7 days (the contract keeps
-- them at least that long); returns how many. Called periodically by the server.
CREATE OR REPLACE FUNCTION idempotency_purge() RETURNS int
LANGUAGE plpgsql AS $$
DECLARE n int;
BEGIN
    DELETE FROM idempotency_keys WHERE created_at < now() - interval '7 days';
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
