-- A line's amount: round(qty x unit_price) to the minor unit, half away from zero.
CREATE OR REPLACE FUNCTION line_amount(qty numeric, unit_price numeric, m int) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN round(qty * unit_price, m);

-- A line's tax on its already rounded amount. In 'line' mode this is the tax;
-- in 'document' mode it is shown per line for information only.
CREATE OR REPLACE FUNCTION line_tax(amount numeric, percent numeric, m int) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN round(amount * percent / 100, m);

-- Tax of one (code, percent) group: 'line' mode = sum of the rounded line taxes;
-- 'document' mode (EN 16931) = round(sum of the group's amounts x percent).
CREATE OR REPLACE FUNCTION group_tax(taxable numeric, sum_line_tax numeric, percent numeric, m int, mode text) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN mode = 'document' THEN round(taxable * percent / 100, m) ELSE sum_line_tax END;

-- One tax_breakdown entry (doc_totals orders them by code, no-tax group first,
-- then percent).
CREATE OR REPLACE FUNCTION breakdown_entry(code text, percent numeric, taxable numeric, tax numeric, m int) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
RETURN jsonb_build_object('code', code, 'percent', dec_text(percent),
                              'taxable', money_text(taxable, m), 'tax', money_text(tax, m));

-- Totals of a document from its lines (see doc_totals_t): lines are grouped by
-- (tax code, percent), each group's tax is group_tax(), subtotal and tax_total
-- are the sums. audit_verify recomputes the same sums set-based over all
-- documents at once (see there).
CREATE OR REPLACE FUNCTION doc_totals_body(tenant_row anyelement, lines doc_line[], m int, mode text) RETURNS doc_totals_t
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE r doc_totals_t;
BEGIN
    SELECT round(coalesce(sum(g.taxable), 0), m),
           round(coalesce(sum(g.tax), 0), m),
           coalesce(jsonb_agg(breakdown_entry(g.code, g.percent, g.taxable, g.tax, m)
                              ORDER BY g.code NULLS FIRST, g.percent), '[]'::jsonb)
      INTO r.subtotal, r.tax_total, r.tax_breakdown
      FROM (SELECT l.tax_rate AS code, l.tax_percent AS percent, sum(l.amount) AS taxable,
                   group_tax(sum(l.amount), sum(l.tax), l.tax_percent, m, mode) AS tax
              FROM unnest(lines) AS l
             GROUP BY l.tax_rate, l.tax_percent) g;
    RETURN r;
END
$$;

-- doc_totals with this tenant's own plans or the shared ones (see tenant_plans()).
CREATE OR REPLACE FUNCTION doc_totals(lines doc_line[], m int, mode text) RETURNS doc_totals_t
LANGUAGE plpgsql AS $$
BEGIN
    IF tenant_plans() THEN
        RETURN doc_totals_body(NULL::settings, lines, m, mode);
    END IF;
    RETURN doc_totals_body(NULL::shared_plans, lines, m, mode);
END
$$;

-- Result form of one line.
CREATE OR REPLACE FUNCTION line_json(l doc_line, m int) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
RETURN jsonb_build_object('line_no', l.line_no, 'item_id', l.item_id, 'description', l.description,
                              'qty', dec_text(l.qty), 'unit_price', l.unit_price::text, 'tax_rate', l.tax_rate,
                              'tax_percent', dec_text(l.tax_percent), 'amount', money_text(l.amount, m),
                              'tax', money_text(l.tax, m));

-- Result form of a line array.
CREATE OR REPLACE FUNCTION lines_json(lines doc_line[], m int) RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN (SELECT coalesce(jsonb_agg(line_json(l, m) ORDER BY l.line_no), '[]'::jsonb) FROM unnest(lines) AS l);
END
$$;

-- Validates and prices request lines [{description?, qty, unit_price?, item_id?,
-- tax_rate?}] in one set-based query. A line with item_id takes the item's name
-- (as description), unit_price and tax_rate unless the line gives them; an
-- explicit "tax_rate": null means no tax. Tax percents are the current ones.
-- Errors name the first bad line: FL602 'lines[i].x', FL002 unknown item,
-- FL003 archived item.
CREATE OR REPLACE FUNCTION price_lines_body(tenant_row anyelement, p_lines jsonb, m int, field text DEFAULT 'lines') RETURNS priced_lines
LANGUAGE plpgsql STABLE AS $$
DECLARE
    result priced_lines;
    err text;
BEGIN
    IF p_lines IS NULL OR jsonb_typeof(p_lines) <> 'array' OR jsonb_array_length(p_lines) NOT BETWEEN 1 AND 1000 THEN
        PERFORM fail('FL602', 'a document needs 1 to 1000 lines', field);
    END IF;
    SELECT array_agg(y.l ORDER BY y.n), jsonb_agg(line_json(y.l, m) ORDER BY y.n),
           (array_agg(y.err ORDER BY y.n) FILTER (WHERE y.err IS NOT NULL))[1]
      INTO result.lines, result.lines_json, err
      FROM (SELECT x.n,
                   ROW(x.n, x.item_id, x.descr, x.qty, x.price, x.code, coalesce(t.percent, 0),
                       line_amount(x.qty, x.price, m),
                       line_tax(line_amount(x.qty, x.price, m), coalesce(t.percent, 0), m))::doc_line AS l,
                   CASE
                     WHEN x.item_id IS NOT NULL AND x.found IS NULL
                       THEN 'FL002' || chr(31) || x.f || '.item_id' || chr(31) || format('item %s not found', x.item_id)
                     WHEN x.item_archived
                       THEN 'FL003' || chr(31) || x.f || '.item_id' || chr(31) || format('item %s is archived', x.item_id)
                     WHEN x.qty IS NULL OR x.qty <= 0 OR x.qty > 1e9
                       THEN 'FL602' || chr(31) || x.f || '.qty' || chr(31) || 'qty must be greater than 0 and at most 1000000000'
                     WHEN x.descr IS NULL OR btrim(x.descr) = ''
                       THEN 'FL602' || chr(31) || x.f || '.description' || chr(31) || 'a line without item_id needs a description'
                     WHEN length(x.descr) > 2000
                       THEN 'FL602' || chr(31) || x.f || '.description' || chr(31) || 'description must be at most 2000 characters'
                     WHEN x.price IS NULL
                       THEN 'FL602' || chr(31) || x.f || '.unit_price' || chr(31) || 'a line without item_id needs a unit_price'
                     WHEN x.price < 0 OR x.price > 1e12
                       THEN 'FL602' || chr(31) || x.f || '.unit_price' || chr(31) || 'unit_price must be between 0 and 1000000000000'
                     WHEN x.code IS NOT NULL AND t.id IS NULL
                       THEN 'FL602' || chr(31) || x.f || '.tax_rate' || chr(31) || format('unknown tax rate %s', x.code)
                     WHEN t.archived AND x.explicit_code
                       THEN 'FL602' || chr(31) || x.f || '.tax_rate' || chr(31) || format('tax rate %s is archived', x.code)
                   END AS err
              FROM (SELECT e.n::int AS n, format('%s[%s]', field, e.n - 1) AS f,
                           r.item_id, i.id AS found, i.archived AS item_archived,
                           coalesce(r.description, i.name) AS descr, r.qty,
                           coalesce(r.unit_price, i.unit_price) AS price,
                           CASE WHEN e.j ? 'tax_rate' THEN r.tax_rate ELSE i.tax_rate END AS code,
                           e.j ? 'tax_rate' AS explicit_code
                      FROM jsonb_array_elements(p_lines) WITH ORDINALITY AS e(j, n)
                     CROSS JOIN LATERAL jsonb_to_record(e.j) AS r(item_id bigint, description text, qty numeric,
                                                                  unit_price numeric, tax_rate text)
                      -- LATERAL keeps these per-line index lookups whatever the table sizes
                      LEFT JOIN LATERAL (SELECT * FROM items WHERE items.id = r.item_id) i ON true) x
              LEFT JOIN LATERAL (SELECT * FROM tax_rates WHERE tax_rates.code = x.code) t ON true) y;
    IF err IS NOT NULL THEN
        PERFORM fail(split_part(err, chr(31), 1), split_part(err, chr(31), 3), split_part(err, chr(31), 2));
    END IF;
    RETURN result;
END
$$;

-- price_lines with this tenant's own plans or the shared ones (see tenant_plans()).
CREATE OR REPLACE FUNCTION price_lines(p_lines jsonb, m int, field text DEFAULT 'lines') RETURNS priced_lines
LANGUAGE plpgsql AS $$
BEGIN
    IF tenant_plans() THEN
        RETURN price_lines_body(NULL::settings, p_lines, m, field);
    END IF;
    RETURN price_lines_body(NULL::shared_plans, p_lines, m, field);
END
$$;
