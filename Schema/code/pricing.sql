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
-- then percent): with the rate's EN 16931 category (no tax rate: Z), its
-- exemption reason when it has one, and the group's allowances and charges
-- when it has any (taxable already includes them).
CREATE OR REPLACE FUNCTION breakdown_entry(code text, percent numeric, taxable numeric, tax numeric, m int,
                                           category text, exemption_reason text, allowances numeric, charges numeric) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
RETURN jsonb_build_object('code', code, 'percent', dec_text(percent),
                          'taxable', money_text(taxable, m), 'tax', money_text(tax, m),
                          'category', coalesce(category, 'Z'))
       || CASE WHEN exemption_reason IS NOT NULL THEN jsonb_build_object('exemption_reason', exemption_reason)
               ELSE '{}'::jsonb END
       || CASE WHEN allowances <> 0 OR charges <> 0
               THEN jsonb_build_object('allowances', money_text(allowances, m), 'charges', money_text(charges, m))
               ELSE '{}'::jsonb END;

-- Totals of a document from its lines and its priced allowances and charges
-- (adj, see price_adjustments; '[]' for none), see doc_totals_t: lines and
-- adjustments are grouped by (tax code, percent), an allowance counting as a
-- negative amount and a charge as a positive one, each with its own line_tax;
-- each group's tax is group_tax(), subtotal (the taxable base = line amounts -
-- allowances + charges) and tax_total are the sums. audit_verify recomputes the
-- same sums set-based over all documents at once (see there).
CREATE OR REPLACE FUNCTION doc_totals_body(tenant_row anyelement, lines doc_line[], m int, mode text, adj jsonb) RETURNS doc_totals_t
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE r doc_totals_t;
BEGIN
    SELECT round(coalesce(sum(g.taxable), 0), m),
           round(coalesce(sum(g.tax), 0), m),
           coalesce(jsonb_agg(breakdown_entry(g.code, g.percent, g.taxable, g.tax, m, t.category, t.exemption_reason,
                                              g.allowances, g.charges)
                              ORDER BY g.code NULLS FIRST, g.percent), '[]'::jsonb)
      INTO r.subtotal, r.tax_total, r.tax_breakdown
      FROM (SELECT u.code, u.percent, sum(u.amount) AS taxable,
                   group_tax(sum(u.amount), sum(u.tax), u.percent, m, mode) AS tax,
                   sum(u.allowance) AS allowances, sum(u.charge) AS charges
              FROM (SELECT l.tax_rate AS code, l.tax_percent AS percent, l.amount, l.tax, 0 AS allowance, 0 AS charge
                      FROM unnest(lines) AS l
                    UNION ALL
                    SELECT a.code, a.percent, a.signed, line_tax(a.signed, a.percent, m),
                           CASE WHEN a.signed < 0 THEN -a.signed ELSE 0 END, greatest(a.signed, 0)
                      FROM (SELECT j->>'tax_rate' AS code, (j->>'tax_percent')::numeric AS percent,
                                   CASE WHEN j->>'kind' = 'allowance' THEN -(j->>'amount')::numeric
                                        ELSE (j->>'amount')::numeric END AS signed
                              FROM jsonb_array_elements(adj) AS j) a) u
             GROUP BY u.code, u.percent) g
      LEFT JOIN LATERAL (SELECT tr.category, tr.exemption_reason FROM tax_rates tr WHERE tr.code = g.code) t ON true;
    RETURN r;
END
$$;

-- doc_totals with this tenant's own plans or the shared ones (see tenant_plans()).
CREATE OR REPLACE FUNCTION doc_totals(lines doc_line[], m int, mode text, adj jsonb DEFAULT '[]') RETURNS doc_totals_t
LANGUAGE plpgsql AS $$
BEGIN
    IF tenant_plans() THEN
        RETURN doc_totals_body(NULL::settings, lines, m, mode, adj);
    END IF;
    RETURN doc_totals_body(NULL::shared_plans, lines, m, mode, adj);
END
$$;

-- Result form of one line. (PL/pgSQL: a SQL function taking the row would not
-- be inlined, its argument being used nine times, and would be planned anew on
-- every call; PL/pgSQL keeps the plan of its expression.)
CREATE OR REPLACE FUNCTION line_json(l doc_line, m int) RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN jsonb_build_object('line_no', l.line_no, 'item_id', l.item_id, 'description', l.description,
                              'qty', dec_text(l.qty), 'unit_price', l.unit_price::text, 'tax_rate', l.tax_rate,
                              'tax_percent', dec_text(l.tax_percent), 'amount', money_text(l.amount, m),
                              'tax', money_text(l.tax, m));
END
$$;

-- Result form of a line array.
CREATE OR REPLACE FUNCTION lines_json(lines doc_line[], m int) RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN (SELECT coalesce(jsonb_agg(line_json(l, m) ORDER BY l.line_no), '[]'::jsonb) FROM unnest(lines) AS l);
END
$$;

-- Validates and prices request lines [{description?, qty, unit_price?, item_id?,
-- tax_rate?, unit?, discount_percent? | discount_amount?, discount_reason?}] in
-- one set-based query (amount = line_amount - line_discount; the result form
-- carries unit and discount, see line_terms_json). A line with item_id takes the item's name
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
    SELECT array_agg(y.l ORDER BY y.n), jsonb_agg(line_json(y.l, m) || y.terms ORDER BY y.n),
           (array_agg(y.err ORDER BY y.n) FILTER (WHERE y.err IS NOT NULL))[1]
      INTO result.lines, result.lines_json, err
      FROM (SELECT x.n,
                   ROW(x.n, x.item_id, x.descr, x.qty, x.price, x.code, coalesce(t.percent, 0),
                       x.gross - x.discount, line_tax(x.gross - x.discount, coalesce(t.percent, 0), m))::doc_line AS l,
                   line_terms_json(x.unit, x.discount, x.disc_pct, x.disc_reason, m) AS terms,
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
                     WHEN x.unit IS NULL OR x.unit !~ '^[A-Z0-9]{1,3}$'
                       THEN 'FL602' || chr(31) || x.f || '.unit' || chr(31) || 'unit must be a UN/ECE Rec 20 code such as C62, HUR or KGM'
                     WHEN x.disc_pct IS NOT NULL AND x.disc_amt IS NOT NULL
                       THEN 'FL602' || chr(31) || x.f || '.discount_amount' || chr(31) || 'give discount_percent or discount_amount, not both'
                     WHEN x.disc_pct < 0 OR x.disc_pct > 100
                       THEN 'FL602' || chr(31) || x.f || '.discount_percent' || chr(31) || 'discount_percent must be between 0 and 100'
                     WHEN x.disc_amt < 0 OR x.disc_amt <> round(x.disc_amt, m)
                       THEN 'FL602' || chr(31) || x.f || '.discount_amount' || chr(31)
                            || format('discount_amount must be at least 0 with at most %s decimals', m)
                     WHEN x.discount > x.gross
                       THEN 'FL602' || chr(31) || x.f || '.discount_amount' || chr(31) || 'the discount is larger than the line''s amount'
                     WHEN length(x.disc_reason) > 1000
                       THEN 'FL602' || chr(31) || x.f || '.discount_reason' || chr(31) || 'discount_reason must be at most 1000 characters'
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
                           e.j ? 'tax_rate' AS explicit_code,
                           coalesce(r.unit, i.unit, 'C62') AS unit, r.discount_percent AS disc_pct,
                           r.discount_amount AS disc_amt, nullif(btrim(r.discount_reason), '') AS disc_reason,
                           line_amount(r.qty, coalesce(r.unit_price, i.unit_price), m) AS gross,
                           line_discount(line_amount(r.qty, coalesce(r.unit_price, i.unit_price), m),
                                         r.discount_percent, r.discount_amount, m) AS discount
                      FROM jsonb_array_elements(p_lines) WITH ORDINALITY AS e(j, n)
                     CROSS JOIN LATERAL jsonb_to_record(e.j) AS r(item_id bigint, description text, qty numeric,
                                                                  unit_price numeric, tax_rate text, unit text,
                                                                  discount_percent numeric, discount_amount numeric,
                                                                  discount_reason text)
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
