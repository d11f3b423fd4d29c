-- branding.get {} -> {accent_color, footer, has_logo, logo_bytes, html_template, updated_at}
CREATE OR REPLACE FUNCTION branding_json(b record) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN jsonb_build_object('accent_color', b.accent_color, 'footer', b.footer,
                       'has_logo', b.logo_png IS NOT NULL, 'logo_bytes', octet_length(b.logo_png),
                       'html_template', b.html_template, 'updated_at', ts_text(b.updated_at));
END
$$;

CREATE OR REPLACE FUNCTION branding_get(p jsonb) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT branding_json(b) FROM branding b
$$;

-- branding.update {logo_png_base64?, accent_color?, footer?, html_template?}: a JSON
-- null clears a setting. The logo must be a PNG (checked by its signature).
CREATE OR REPLACE FUNCTION branding_update(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    b record;
    logo bytea;
BEGIN
    SELECT * INTO b FROM branding FOR UPDATE;
    IF p ? 'logo_png_base64' THEN
        IF jsonb_typeof(p->'logo_png_base64') = 'null' THEN
            b.logo_png := NULL;
        ELSE
            BEGIN
                logo := decode(p->>'logo_png_base64', 'base64');
            EXCEPTION WHEN others THEN
                PERFORM fail('FL602', 'logo_png_base64 is not valid base64', 'logo_png_base64');
            END;
            IF substring(logo FROM 1 FOR 8) <> '\x89504e470d0a1a0a'::bytea THEN
                PERFORM fail('FL602', 'the logo must be a PNG image', 'logo_png_base64');
            END IF;
            IF octet_length(logo) > 1048576 THEN
                PERFORM fail('FL602', 'the logo must be at most 1 MiB', 'logo_png_base64');
            END IF;
            b.logo_png := logo;
        END IF;
    END IF;
    IF p ? 'accent_color' THEN
        IF p->>'accent_color' IS NOT NULL AND p->>'accent_color' !~ '^#[0-9A-Fa-f]{6}$' THEN
            PERFORM fail('FL602', 'accent_color must look like #1A2B3C', 'accent_color');
        END IF;
        b.accent_color := p->>'accent_color';
    END IF;
    IF p ? 'footer' THEN b.footer := p->>'footer'; END IF;
    IF p ? 'html_template' THEN b.html_template := p->>'html_template'; END IF;
    UPDATE branding SET logo_png = b.logo_png, accent_color = b.accent_color, footer = b.footer,
                        html_template = b.html_template, updated_at = now()
    RETURNING * INTO b;
    PERFORM audit('branding', NULL, p - 'logo_png_base64'
                  || CASE WHEN p ? 'logo_png_base64' THEN '{"logo": "changed"}'::jsonb ELSE '{}'::jsonb END);
    RETURN branding_json(b);
END
$$;

-- What the renderer needs, in one value: {accent_color, footer, logo_png_base64, html_template}.
CREATE OR REPLACE FUNCTION branding_for_render() RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('accent_color', b.accent_color, 'footer', b.footer,
                              'logo_png_base64', translate(encode(b.logo_png, 'base64'), E'\n', ''),
                              'html_template', b.html_template)
    FROM branding b
$$;
