-- Line discounts, document-level allowances and charges (contract v1.1,
-- "Discounts, VAT categories and e-invoices"). A line's amount is
-- line_amount(qty, unit_price) - discount; the discount is line_discount().
-- Allowances and charges are priced by price_adjustments() into the stored form
-- [{kind, amount, percent, base, reason, tax_rate, tax_percent}] that
-- doc_totals() folds into the tax groups.

-- A line's discount on its rounded gross amount: a percent of it, or a fixed
-- amount, rounded half away from zero to the minor unit; 0 without either.
CREATE OR REPLACE FUNCTION line_discount(gross numeric, pct numeric, amt numeric, m int) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN pct IS NOT NULL THEN round(gross * pct / 100, m) ELSE round(coalesce(amt, 0), m) END;

-- The unit and discount fields of a line's result form (merged into line_json).
CREATE OR REPLACE FUNCTION line_terms_json(unit text, discount numeric, pct numeric, reason text, m int) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
RETURN jsonb_build_object('unit', unit,
                          'discount_amount', CASE WHEN discount <> 0 OR pct IS NOT NULL THEN money_text(discount, m) END,
                          'discount_percent', dec_text(pct), 'discount_reason', reason);

-- Result form of an invoice's stored lines, with units and discounts.
CREATE OR REPLACE FUNCTION invoice_lines_json(p_invoice_id bigint, m int) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT coalesce(jsonb_agg(line_json(ROW(l.line_no, l.item_id, l.description, l.qty, l.unit_price, l.tax_rate,
                                                    l.tax_percent, l.amount, l.tax)::doc_line, m)
                                      || line_terms_json(l.unit, l.discount, l.discount_percent, l.discount_reason, m)
                                      ORDER BY l.line_no), '[]'::jsonb)
              FROM invoice_lines l WHERE l.invoice_id = p_invoice_id);
END
$$;

-- Result form of a credit note's stored lines, with units and discounts.
CREATE OR REPLACE FUNCTION credit_note_lines_json(p_id bigint, m int) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT coalesce(jsonb_agg(line_json(ROW(l.line_no, NULL, l.description, l.qty, l.unit_price, l.tax_rate,
                                                    l.tax_percent, l.amount, l.tax)::doc_line, m)
                                      || line_terms_json(l.unit, l.discount, l.discount_percent, l.discount_reason, m)
                                      ORDER BY l.line_no), '[]'::jsonb)
              FROM credit_note_lines l WHERE l.credit_note_id = p_id);
END
$$;

-- Writes priced lines (price_lines) of invoice p_invoice_id, with the unit and
-- discount of each line taken from its result form (same order); planned with
-- the tenant_row's plans (see tenant_plans()).
CREATE OR REPLACE FUNCTION invoice_lines_insert(tenant_row anyelement, p_invoice_id bigint, pl priced_lines) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO invoice_lines (invoice_id, line_no, item_id, description, qty, unit_price, tax_rate, tax_percent,
                               amount, tax, unit, discount, discount_percent, discount_reason)
    SELECT p_invoice_id, x.line_no, x.item_id, x.description, x.qty, x.unit_price, x.tax_rate, x.tax_percent,
           x.amount, x.tax, j->>'unit', coalesce((j->>'discount_amount')::numeric, 0),
           (j->>'discount_percent')::numeric, j->>'discount_reason'
      FROM unnest(pl.lines) WITH ORDINALITY AS x(line_no, item_id, description, qty, unit_price, tax_rate,
                                                 tax_percent, amount, tax, n)
      JOIN jsonb_array_elements(pl.lines_json) WITH ORDINALITY AS e(j, n) ON e.n = x.n;
END
$$;

-- Allowances and charges of a request as one spec array: each element of
-- p->'allowances' and p->'charges' with its kind and index (for error fields).
CREATE OR REPLACE FUNCTION adjustments_spec(p jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE k text;
BEGIN
    IF NOT (p ? 'allowances' OR p ? 'charges') THEN RETURN '[]'::jsonb; END IF;
    FOREACH k IN ARRAY ARRAY['allowances', 'charges'] LOOP
        IF p ? k AND jsonb_typeof(p->k) NOT IN ('array', 'null') THEN
            PERFORM fail('FL602', format('%s must be an array', k), k);
        END IF;
    END LOOP;
    RETURN (SELECT coalesce(jsonb_agg(e.j || jsonb_build_object('kind', e.kind, 'ix', e.n - 1) ORDER BY e.o, e.n), '[]')
              FROM (SELECT 'allowance' AS kind, 1 AS o, a.j, a.n
                      FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p->'allowances') = 'array' THEN p->'allowances'
                                                     ELSE '[]' END) WITH ORDINALITY AS a(j, n)
                    UNION ALL
                    SELECT 'charge', 2, c.j, c.n
                      FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p->'charges') = 'array' THEN p->'charges'
                                                     ELSE '[]' END) WITH ORDINALITY AS c(j, n)) e);
END
$$;

-- Prices allowances and charges: spec [{kind, amount? | percent?, reason,
-- tax_rate?, ix?}] (a request's, see adjustments_spec, or a stored list being
-- re-priced) -> the stored form [{kind, amount, percent, base, reason,
-- tax_rate, tax_percent}] with current tax percents. A percent applies to the
-- sum of the line amounts with the same tax_rate (base), rounded half away from
-- zero to the minor unit. Errors (FL602) name `allowances[i].x`/`charges[i].x`.
CREATE OR REPLACE FUNCTION price_adjustments(spec jsonb, lines doc_line[], m int) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    res jsonb;
    err text;
BEGIN
    IF spec IS NULL OR spec = '[]'::jsonb THEN RETURN '[]'::jsonb; END IF;
    IF jsonb_array_length(spec) > 100 THEN
        PERFORM fail('FL602', 'at most 100 allowances and charges', 'allowances');
    END IF;
    SELECT jsonb_agg(jsonb_build_object('kind', y.kind, 'amount', money_text(y.amt, m), 'percent', dec_text(y.pct),
                                        'base', CASE WHEN y.pct IS NOT NULL THEN money_text(y.base, m) END,
                                        'reason', y.reason, 'tax_rate', y.code, 'tax_percent', dec_text(y.tax_pct))
                     ORDER BY y.o),
           (array_agg(y.err ORDER BY y.o) FILTER (WHERE y.err IS NOT NULL))[1]
      INTO res, err
      FROM (SELECT x.*, coalesce(t.percent, 0) AS tax_pct,
                   CASE WHEN x.pct IS NOT NULL THEN round(x.base * x.pct / 100, m) ELSE x.given END AS amt,
                   CASE
                     WHEN x.kind NOT IN ('allowance', 'charge') OR jsonb_typeof(x.j) <> 'object'
                       THEN 'FL602' || chr(31) || x.f || chr(31) || 'must be an object {amount or percent, reason, tax_rate}'
                     WHEN (SELECT k FROM jsonb_object_keys(x.j) k
                            WHERE k NOT IN ('amount', 'percent', 'reason', 'tax_rate', 'kind', 'ix', 'base', 'tax_percent')
                            LIMIT 1) IS NOT NULL
                       THEN 'FL602' || chr(31) || x.f || '.' || (SELECT k FROM jsonb_object_keys(x.j) k
                            WHERE k NOT IN ('amount', 'percent', 'reason', 'tax_rate', 'kind', 'ix', 'base', 'tax_percent')
                            LIMIT 1) || chr(31) || 'unknown field'
                     WHEN x.j->'amount' IS NOT NULL AND x.j->'amount' <> 'null'
                          AND x.j->'percent' IS NOT NULL AND x.j->'percent' <> 'null'
                       THEN 'FL602' || chr(31) || x.f || '.percent' || chr(31) || 'give amount or percent, not both'
                     WHEN x.pct IS NULL AND x.given IS NULL
                       THEN 'FL602' || chr(31) || x.f || '.amount' || chr(31) || 'give amount or percent'
                     WHEN x.bad_number
                       THEN 'FL602' || chr(31) || x.f || CASE WHEN x.pct IS NULL THEN '.amount' ELSE '.percent' END
                            || chr(31) || 'must be a decimal string like "12.50"'
                     WHEN x.given IS NOT NULL AND (x.given <= 0 OR x.given <> round(x.given, m) OR x.given > 1e13)
                       THEN 'FL602' || chr(31) || x.f || '.amount' || chr(31)
                            || format('amount must be greater than 0 with at most %s decimals', m)
                     WHEN x.pct IS NOT NULL AND (x.pct <= 0 OR x.pct > 100)
                       THEN 'FL602' || chr(31) || x.f || '.percent' || chr(31) || 'percent must be greater than 0 and at most 100'
                     WHEN x.reason IS NULL OR btrim(x.reason) = '' OR length(x.reason) > 1000
                       THEN 'FL602' || chr(31) || x.f || '.reason' || chr(31) || 'a reason of 1 to 1000 characters is required'
                     WHEN x.code IS NOT NULL AND t.code IS NULL
                       THEN 'FL602' || chr(31) || x.f || '.tax_rate' || chr(31) || format('unknown tax rate %s', x.code)
                     WHEN x.pct IS NOT NULL AND round(x.base * x.pct / 100, m) <= 0
                       THEN 'FL602' || chr(31) || x.f || '.percent' || chr(31)
                            || format('no line amount with tax rate %s to take the percent of', coalesce(x.code, 'none'))
                   END AS err
              FROM (SELECT s.o, s.j, s.kind, s.f, s.code, s.reason, s.bad_number,
                           CASE WHEN NOT s.bad_number THEN (s.j->>'amount')::numeric END AS given,
                           CASE WHEN NOT s.bad_number THEN (s.j->>'percent')::numeric END AS pct,
                           (SELECT coalesce(sum(l.amount), 0) FROM unnest(lines) l
                             WHERE l.tax_rate IS NOT DISTINCT FROM s.code) AS base
                      FROM (SELECT e.o, e.j, e.j->>'kind' AS kind,
                                   format('%ss[%s]', coalesce(e.j->>'kind', 'allowance'), coalesce(e.j->>'ix', (e.o - 1)::text)) AS f,
                                   CASE WHEN jsonb_typeof(e.j->'tax_rate') = 'string' THEN e.j->>'tax_rate' END AS code,
                                   CASE WHEN jsonb_typeof(e.j->'reason') = 'string' THEN e.j->>'reason' END AS reason,
                                   coalesce(jsonb_typeof(e.j->'amount') NOT IN ('string', 'null')
                                            OR e.j->>'amount' !~ '^[0-9]{1,13}(\.[0-9]{1,6})?$', false)
                                   OR coalesce(jsonb_typeof(e.j->'percent') NOT IN ('string', 'null')
                                               OR e.j->>'percent' !~ '^[0-9]{1,3}(\.[0-9]{1,4})?$', false) AS bad_number
                              FROM jsonb_array_elements(spec) WITH ORDINALITY AS e(j, o)) s) x
              LEFT JOIN LATERAL (SELECT tr.code, tr.percent FROM tax_rates tr WHERE tr.code = x.code) t ON true) y;
    IF err IS NOT NULL THEN
        PERFORM fail(split_part(err, chr(31), 1), split_part(err, chr(31), 3), split_part(err, chr(31), 2));
    END IF;
    RETURN res;
END
$$;

-- Sum of the priced adjustments of one kind ('allowance' or 'charge'). This and
-- adjustments_json are PL/pgSQL: with a subquery a SQL function is not inlined
-- and is planned anew on every call, even for the usual empty list.
CREATE OR REPLACE FUNCTION adjustments_total(adj jsonb, k text) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    IF adj = '[]'::jsonb THEN RETURN 0; END IF;
    RETURN coalesce((SELECT sum((a->>'amount')::numeric) FROM jsonb_array_elements(adj) a WHERE a->>'kind' = k), 0);
END
$$;

-- Result form of the stored adjustments: {allowances: [...], charges: [...]}.
CREATE OR REPLACE FUNCTION adjustments_json(adj jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    IF adj = '[]'::jsonb THEN RETURN '{"allowances": [], "charges": []}'::jsonb; END IF;
    RETURN jsonb_build_object(
        'allowances', coalesce((SELECT jsonb_agg(a - 'kind' ORDER BY o) FROM jsonb_array_elements(adj) WITH ORDINALITY e(a, o)
                                 WHERE a->>'kind' = 'allowance'), '[]'::jsonb),
        'charges', coalesce((SELECT jsonb_agg(a - 'kind' ORDER BY o) FROM jsonb_array_elements(adj) WITH ORDINALITY e(a, o)
                              WHERE a->>'kind' = 'charge'), '[]'::jsonb));
END
$$;

-- Stored adjustments back to a spec for re-pricing (a percent is priced again,
-- a fixed amount kept), with each one's index within its kind.
CREATE OR REPLACE FUNCTION adjustments_respec(adj jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN coalesce((SELECT jsonb_agg(x.v ORDER BY x.o)
                   FROM (SELECT e.o, (CASE WHEN e.a->>'percent' IS NOT NULL THEN e.a - 'amount' ELSE e.a - 'percent' END)
                                     - 'base' - 'tax_percent'
                                     || jsonb_build_object('ix', row_number() OVER (PARTITION BY e.a->>'kind' ORDER BY e.o) - 1) AS v
                           FROM jsonb_array_elements(adj) WITH ORDINALITY e(a, o)) x), '[]'::jsonb);

-- Allowances may not take a document below zero (FL602 'allowances').
CREATE OR REPLACE FUNCTION check_adjusted_total(tot doc_totals_t) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF tot.subtotal < 0 OR tot.subtotal + tot.tax_total < 0 THEN
        PERFORM fail('FL602', 'the allowances exceed the amount of the lines', 'allowances');
    END IF;
END
$$;
