-- Branding of the tenant's documents: logo (PNG), accent colour, footer text and an
-- optional Mustache template replacing the built-in HTML one. Owners change it with
-- branding.update; invoice.render and the e-mail sender use it.

CREATE TABLE branding (
    singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    logo_png       bytea CHECK (logo_png IS NULL OR octet_length(logo_png) <= 1048576),
    accent_color   text CHECK (accent_color IS NULL OR accent_color ~ '^#[0-9A-Fa-f]{6}$'),
    footer         text CHECK (footer IS NULL OR length(footer) <= 1000),
    html_template  text,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
INSERT INTO branding DEFAULT VALUES;

GRANT SELECT, UPDATE ON branding TO {{tenant_role}};