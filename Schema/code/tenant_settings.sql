-- The tenant result object.
CREATE OR REPLACE FUNCTION tenant_json(s record) RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN jsonb_build_object('tenant', s.tenant, 'name', s.name, 'currency', s.currency, 'timezone', s.timezone,
                       'tax_rounding', s.tax_rounding, 'payment_terms_days', s.payment_terms_days,
                       'invoice_number_format', s.invoice_number_format,
                       'credit_note_number_format', s.credit_note_number_format,
                       'legal_name', s.legal_name, 'address', s.address, 'tax_id', s.tax_id,
                       'email', s.email, 'phone', s.phone, 'updated_at', ts_text(s.updated_at));
END
$$;

-- tenant.get {}.
CREATE OR REPLACE FUNCTION tenant_get(p jsonb) RETURNS jsonb
LANGUAGE sql STABLE AS $$ SELECT tenant_json(s) FROM settings s $$;

-- tenant.update {tax_rounding?, payment_terms_days?, invoice_number_format?,
-- credit_note_number_format?, legal_name?, address?, tax_id?, email?, phone?,
-- timezone?}: null clears legal_name/address/tax_id/email/phone; the others
-- cannot be null. A new tax_rounding applies to drafts as they change or are
-- issued; issued documents keep theirs. Number formats: see number_series.
CREATE OR REPLACE FUNCTION tenant_update(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE s record;
BEGIN
    IF p ? 'timezone' AND (p->>'timezone' IS NULL OR length(p->>'timezone') > 64
                           OR NOT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = p->>'timezone')) THEN
        PERFORM fail('FL602', format('unknown time zone %s', coalesce(p->>'timezone', 'null')), 'timezone');
    END IF;
    IF p ? 'tax_rounding' AND p->>'tax_rounding' IS DISTINCT FROM 'line' AND p->>'tax_rounding' IS DISTINCT FROM 'document' THEN
        PERFORM fail('FL602', 'tax_rounding must be line or document', 'tax_rounding');
    END IF;
    IF p ? 'payment_terms_days' AND p->>'payment_terms_days' IS NULL THEN
        PERFORM fail('FL602', 'payment_terms_days cannot be null', 'payment_terms_days');
    END IF;
    UPDATE settings SET
        timezone = coalesce(p->>'timezone', timezone),
        tax_rounding = coalesce(p->>'tax_rounding', tax_rounding),
        payment_terms_days = CASE WHEN p ? 'payment_terms_days'
                                  THEN check_terms((p->>'payment_terms_days')::int, 'payment_terms_days')
                                  ELSE payment_terms_days END,
        invoice_number_format = CASE WHEN p ? 'invoice_number_format'
                                     THEN check_number_format(p->>'invoice_number_format', 'invoice_number_format')
                                     ELSE invoice_number_format END,
        credit_note_number_format = CASE WHEN p ? 'credit_note_number_format'
                                         THEN check_number_format(p->>'credit_note_number_format', 'credit_note_number_format')
                                         ELSE credit_note_number_format END,
        legal_name = CASE WHEN p ? 'legal_name' THEN check_text(p->>'legal_name', 'legal_name', 200) ELSE legal_name END,
        address = CASE WHEN p ? 'address' THEN check_address(p->'address', 'address') ELSE address END,
        tax_id = CASE WHEN p ? 'tax_id' THEN check_text(p->>'tax_id', 'tax_id', 50) ELSE tax_id END,
        email = CASE WHEN p ? 'email' THEN check_email(p->>'email', 'email') ELSE email END,
        phone = CASE WHEN p ? 'phone' THEN check_text(p->>'phone', 'phone', 64) ELSE phone END,
        updated_at = now()
    RETURNING * INTO s;
    PERFORM audit('tenant', NULL, p);
    RETURN tenant_json(s);
END
$$;
