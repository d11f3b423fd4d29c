-- The credit note result object; `lines` NULL omits the lines (lists).
CREATE OR REPLACE FUNCTION credit_note_json(n record, lines jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE m int := currency_decimals(n.currency);
BEGIN
    RETURN jsonb_build_object(
        'id', n.id, 'number', n.number, 'invoice_id', n.invoice_id, 'invoice_number', n.invoice_number,
        'customer_id', n.customer_id, 'currency', n.currency, 'issue_date', date_text(n.issue_date),
        'reason', n.reason, 'tax_rounding', n.tax_rounding,
        -- (credit notes have no document-level allowances or charges: line_total = subtotal)
        'line_total', money_text(n.subtotal, m), 'allowance_total', money_text(0, m), 'charge_total', money_text(0, m),
        'subtotal', money_text(n.subtotal, m), 'tax_total', money_text(n.tax_total, m),
        'total', money_text(n.total, m), 'tax_breakdown', n.tax_breakdown,
        'created_at', ts_text(n.created_at))
        || CASE WHEN lines IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('lines', lines) END;
END
$$;

-- A credit note's stored lines.
CREATE OR REPLACE FUNCTION credit_note_lines_of(p_id bigint) RETURNS doc_line[]
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT array_agg(ROW(l.line_no, NULL, l.description, l.qty, l.unit_price, l.tax_rate, l.tax_percent,
                             l.amount, l.tax)::doc_line ORDER BY l.line_no)
          FROM credit_note_lines l WHERE l.credit_note_id = p_id);
END
$$;

-- Splits a gross credit `amount` over an invoice's tax groups (from its stored
-- tax_breakdown) in proportion to each group's gross (taxable + tax); the
-- rounding remainder goes to the largest group. Each group becomes one line
-- whose net n is the largest with n + line_tax(n) <= the group's share, so the
-- tax per rate stays right; what cannot be reached that way (at most one minor
-- unit per group) is added to the no-tax group's line, or to an extra no-tax
-- "rounding" line.
CREATE OR REPLACE FUNCTION split_credit(i record, amount numeric) RETURNS doc_line[]
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    m int := currency_decimals(i.currency);
    u numeric := power(10::numeric, -m);
    gross_sum numeric;
    g record;
    share numeric;
    net numeric;
    leftover numeric := 0;
    n int := 0;
    lines doc_line[] := '{}';
    shares numeric[];
    codes text[];
    pcts numeric[];
    biggest int;
    k int;
BEGIN
    SELECT array_agg(b->>'code' ORDER BY o), array_agg((b->>'percent')::numeric ORDER BY o),
           array_agg((b->>'taxable')::numeric + (b->>'tax')::numeric ORDER BY o),
           sum((b->>'taxable')::numeric + (b->>'tax')::numeric)
      INTO codes, pcts, shares, gross_sum
      FROM jsonb_array_elements(i.tax_breakdown) WITH ORDINALITY AS e(b, o);
    IF gross_sum IS NULL OR gross_sum = 0 THEN
        -- Nothing to split over (a zero invoice): one no-tax line.
        RETURN ARRAY[ROW(1, NULL, format('Credit on %s', i.number), 1, amount, NULL, 0, amount, 0)::doc_line];
    END IF;
    biggest := 1;
    FOR k IN 1..cardinality(shares) LOOP
        IF shares[k] > shares[biggest] THEN biggest := k; END IF;
    END LOOP;
    -- Proportional shares, remainder to the largest group.
    SELECT array_agg(round(amount * s / gross_sum, m) ORDER BY o) INTO shares
      FROM unnest(shares) WITH ORDINALITY AS x(s, o);
    shares[biggest] := shares[biggest] + (amount - (SELECT sum(s) FROM unnest(shares) s));
    FOR k IN 1..cardinality(shares) LOOP
        share := shares[k];
        CONTINUE WHEN share = 0;
        net := round(share * 100 / (100 + pcts[k]), m);
        WHILE net > 0 AND net + line_tax(net, pcts[k], m) > share LOOP net := net - u; END LOOP;
        WHILE net + u + line_tax(net + u, pcts[k], m) <= share LOOP net := net + u; END LOOP;
        leftover := leftover + (share - net - line_tax(net, pcts[k], m));
        n := n + 1;
        lines := lines || ROW(n, NULL, format('Credit on %s (%s)', i.number,
                                            coalesce(codes[k] || ' ' || dec_text(pcts[k]) || '%', 'no tax')),
                              1, net, codes[k], pcts[k], net, line_tax(net, pcts[k], m))::doc_line;
    END LOOP;
    IF leftover <> 0 THEN
        k := (SELECT o FROM unnest(lines) WITH ORDINALITY AS x(line_no, item_id, description, qty, unit_price,
                     tax_rate, tax_percent, amt, tax, o) WHERE x.tax_rate IS NULL LIMIT 1);
        IF k IS NOT NULL THEN
            lines[k].unit_price := lines[k].unit_price + leftover;
            lines[k].amount := lines[k].amount + leftover;
        ELSE
            n := n + 1;
            lines := lines || ROW(n, NULL, format('Credit on %s (rounding)', i.number), 1, leftover, NULL, 0,
                                  leftover, 0)::doc_line;
        END IF;
    END IF;
    RETURN lines;
END
$$;

-- Writes a credit note for invoice i (locked by the caller) with the given lines:
-- totals, hash link and number from the credit note series (series lock taken
-- last), header and lines, then the invoice's credited/status. p_void marks
-- invoice.void (status 'void' whatever the amounts). Returns the result object.
CREATE OR REPLACE FUNCTION credit_note_write(i record, lines doc_line[], p_reason text, d date, p_void boolean,
                                             lj jsonb DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    s record;
    m int := currency_decimals(i.currency);
    tot doc_totals_t;
    slot series_slot;
    n record;
    new_status text;
BEGIN
    SELECT * INTO s FROM settings;
    tot := doc_totals(lines, m, s.tax_rounding);
    slot := series_take('credit_note', s.credit_note_number_format, d,
                        credit_note_hash_body(d, i.id, i.number, i.customer_id, i.currency, p_reason,
                                              tot.subtotal, tot.tax_total, tot.subtotal + tot.tax_total,
                                              hash_lines(NULL::shared_plans, lines, m), tot.tax_breakdown));
    IF EXISTS (SELECT 1 FROM credit_notes WHERE number = slot.number) THEN
        PERFORM fail('FL003', format('credit note number %s is already used; change the credit note number format',
                                     slot.number), 'invoice_id');
    END IF;
    INSERT INTO credit_notes (number, series_period, seq, invoice_id, invoice_number, customer_id, currency,
                              issue_date, reason, tax_rounding, subtotal, tax_total, total, tax_breakdown, hash)
    VALUES (slot.number, slot.period, slot.seq, i.id, i.number, i.customer_id, i.currency, d, p_reason,
            s.tax_rounding, tot.subtotal, tot.tax_total, tot.subtotal + tot.tax_total, tot.tax_breakdown, slot.hash)
    RETURNING * INTO n;
    -- Units and discounts come from the lines' result form lj (same order), when given.
    INSERT INTO credit_note_lines (credit_note_id, line_no, description, qty, unit_price, tax_rate, tax_percent,
                                   amount, tax, unit, discount, discount_percent, discount_reason)
    SELECT n.id, x.line_no, x.description, x.qty, x.unit_price, x.tax_rate, x.tax_percent, x.amount, x.tax,
           coalesce(e.j->>'unit', 'C62'), coalesce((e.j->>'discount_amount')::numeric, 0),
           (e.j->>'discount_percent')::numeric, e.j->>'discount_reason'
      FROM unnest(lines) WITH ORDINALITY AS x(line_no, item_id, description, qty, unit_price, tax_rate,
                                             tax_percent, amount, tax, k)
      LEFT JOIN jsonb_array_elements(coalesce(lj, '[]')) WITH ORDINALITY AS e(j, k) ON e.k = x.k;
    new_status := CASE WHEN p_void THEN 'void'
                       ELSE invoice_status(i.status, i.total, i.amount_paid, i.credited + n.total, i.sent_at) END;
    UPDATE invoices SET
        credited = credited + n.total,
        status = new_status,
        voided_at = CASE WHEN new_status = 'void' THEN now() ELSE voided_at END,
        void_reason = CASE WHEN new_status = 'void' THEN p_reason ELSE void_reason END,
        updated_at = now()
    WHERE id = i.id;
    PERFORM audit('credit_note', n.id, jsonb_build_object('number', n.number, 'invoice_id', i.id,
                                                          'total', money_text(n.total, m), 'hash', n.hash));
    PERFORM audit('invoice', i.id, jsonb_build_object('status', new_status,
                                                      'credited', money_text(i.credited + n.total, m),
                                                      'credit_note', n.number));
    RETURN credit_note_json(n, credit_note_lines_json(n.id, m));
END
$$;

-- invoice.void {id} or {number}, reason -> the credit note cancelling the
-- balance. Drafts (delete them instead), void invoices and invoices with
-- payments allocated are FL003. With nothing credited yet the credit note
-- mirrors the invoice's lines (identical totals); otherwise the remaining
-- balance is split over the tax groups like credit_note.create {amount}.
-- Restores stock: the reverse of the invoice's stock movements. Dated today.
CREATE OR REPLACE FUNCTION invoice_void(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    i record := invoice_find(p, true);
    reason text := req_text(p->>'reason', 'reason', 2000);
    lines doc_line[];
    lj jsonb;
    cn record;
BEGIN
    IF i.status = 'draft' THEN
        PERFORM fail('FL003', format('draft invoice %s cannot be voided; delete it instead', i.id), 'id');
    ELSIF i.status = 'void' THEN
        PERFORM fail('FL003', format('invoice %s is already void', i.number), 'id');
    ELSIF i.amount_paid > 0 THEN
        PERFORM fail('FL003', format('invoice %s cannot be voided: payments are still allocated to it', i.number), 'id');
    END IF;
    -- (An invoice with allowances or charges is credited per tax group: its lines
    -- alone do not add up to its total.)
    IF i.credited = 0 AND i.adjustments = '[]'::jsonb THEN
        lj := invoice_lines_json(i.id, currency_decimals(i.currency));
        lines := invoice_lines_of(i.id);
        lines := (SELECT array_agg(ROW(x.line_no, NULL, x.description, x.qty, x.unit_price, x.tax_rate, x.tax_percent,
                                       x.amount, x.tax)::doc_line ORDER BY x.line_no) FROM unnest(lines) x);
    ELSE
        lines := split_credit(i, i.total - i.amount_paid - i.credited);
    END IF;
    -- Stock back: reverse every movement the issue recorded (item rows locked in
    -- id order first, as invoice_issue does, so concurrent calls cannot deadlock).
    PERFORM 1 FROM items
     WHERE id IN (SELECT sm.item_id FROM stock_movements sm WHERE sm.invoice_id = i.id AND sm.reason = 'invoice')
       AND stock_qty IS NOT NULL
     ORDER BY id FOR NO KEY UPDATE;
    WITH mv AS (
        INSERT INTO stock_movements (item_id, qty_delta, reason, invoice_id)
        SELECT sm.item_id, -sm.qty_delta, 'void', i.id
          FROM stock_movements sm WHERE sm.invoice_id = i.id AND sm.reason = 'invoice'
         ORDER BY sm.id
        RETURNING item_id, qty_delta)
    UPDATE items it SET stock_qty = it.stock_qty + d.delta
      FROM (SELECT item_id, sum(qty_delta) AS delta FROM mv GROUP BY item_id) d
     WHERE it.id = d.item_id AND it.stock_qty IS NOT NULL;
    RETURN credit_note_write(i, lines, reason, tenant_today(), true, lj);
END
$$;

-- credit_note.create {invoice_id or invoice_number, reason, lines? | amount?,
-- issue_date?}: exactly one of lines/amount (FL602 'lines' when neither,
-- 'amount' when both). lines
-- [{description, qty, unit_price, tax_rate?}] are priced like invoice lines;
-- amount (gross, > 0) is split over the invoice's tax groups (split_credit).
-- The total must be > 0 and not exceed the invoice's balance_due (FL003 on
-- 'amount' / 'lines'); the invoice must be issued and not void (FL003).
-- issue_date: default today, not in the future, not before the invoice's issue
-- date nor the series' latest (FL602 'issue_date').
-- Status rule: a credit that brings the balance to 0 makes the invoice 'paid'
-- when payments were made, else 'void' (fully cancelled); see invoice_status.
-- Credit notes do not move stock (only invoice.void does).
CREATE OR REPLACE FUNCTION credit_note_create(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    i record;
    reason text;
    today date := tenant_today();
    d date;
    m int;
    lines doc_line[];
    pl priced_lines;
    total numeric;
    bal numeric;
BEGIN
    IF p->'lines' IS NOT NULL AND p->'lines' <> 'null' AND p->'amount' IS NOT NULL AND p->'amount' <> 'null' THEN
        PERFORM fail('FL602', 'give exactly one of lines or amount, not both', 'amount');
    ELSIF (p->'lines' IS NULL OR p->'lines' = 'null') AND (p->'amount' IS NULL OR p->'amount' = 'null') THEN
        PERFORM fail('FL602', 'give exactly one of lines or amount', 'lines');
    END IF;
    i := invoice_find(p, true, 'invoice_id', 'invoice_number');
    reason := req_text(p->>'reason', 'reason', 2000);
    IF i.status = 'draft' THEN
        PERFORM fail('FL003', format('draft invoice %s has not been issued', i.id), 'invoice_id');
    ELSIF i.status = 'void' THEN
        PERFORM fail('FL003', format('invoice %s is void', i.number), 'invoice_id');
    END IF;
    d := coalesce((p->>'issue_date')::date, today);
    IF d > today THEN
        PERFORM fail('FL602', format('issue date %s is in the future (today is %s)', date_text(d), date_text(today)), 'issue_date');
    ELSIF d < i.issue_date THEN
        PERFORM fail('FL602', format('issue date %s is before the invoice''s issue date %s', date_text(d),
                                     date_text(i.issue_date)), 'issue_date');
    END IF;
    m := currency_decimals(i.currency);
    bal := i.total - i.amount_paid - i.credited;
    IF p->'amount' IS NOT NULL AND p->'amount' <> 'null' THEN
        total := (p->>'amount')::numeric;
        IF total <= 0 OR total <> round(total, m) THEN
            PERFORM fail('FL602', format('amount must be greater than 0 with at most %s decimals', m), 'amount');
        END IF;
        IF total > bal THEN
            PERFORM fail('FL003', format('credit of %s exceeds the balance due %s of invoice %s',
                                         money_text(total, m), money_text(bal, m), i.number), 'amount');
        END IF;
        lines := split_credit(i, total);
    ELSE
        IF EXISTS (SELECT 1 FROM jsonb_array_elements(p->'lines') e WHERE e ? 'item_id') THEN
            PERFORM fail('FL602', 'credit note lines take no item_id', 'lines');
        END IF;
        pl := price_lines(p->'lines', m);
        lines := pl.lines;
        SELECT t.subtotal + t.tax_total INTO total
          FROM doc_totals(lines, m, (SELECT tax_rounding FROM settings)) t;
        IF total <= 0 THEN
            PERFORM fail('FL602', 'the credit note total must be greater than 0', 'lines');
        END IF;
        IF total > bal THEN
            PERFORM fail('FL003', format('credit of %s exceeds the balance due %s of invoice %s',
                                         money_text(total, m), money_text(bal, m), i.number), 'lines');
        END IF;
    END IF;
    RETURN credit_note_write(i, lines, reason, d, false, pl.lines_json);
END
$$;

-- credit_note.get {id} or {number}.
CREATE OR REPLACE FUNCTION credit_note_get(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE n record;
BEGIN
    IF p->>'id' IS NOT NULL THEN
        SELECT * INTO n FROM credit_notes WHERE id = (p->>'id')::bigint;
        IF n.id IS NULL THEN PERFORM fail('FL002', format('credit note %s not found', p->>'id'), 'id'); END IF;
    ELSIF p->>'number' IS NOT NULL THEN
        SELECT * INTO n FROM credit_notes WHERE number = p->>'number';
        IF n.id IS NULL THEN PERFORM fail('FL002', format('credit note %s not found', p->>'number'), 'number'); END IF;
    ELSE
        PERFORM fail('FL602', 'give id or number', 'id');
    END IF;
    RETURN credit_note_json(n, credit_note_lines_json(n.id, currency_decimals(n.currency)));
END
$$;

-- credit_note.list {invoice_id?, customer_id?, limit?, cursor?}: credit note
-- objects without lines, by id.
CREATE OR REPLACE FUNCTION credit_note_list(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    lim int := page_limit(p);
    after bigint := page_after(p);
    inv bigint := (p->>'invoice_id')::bigint;
    cus bigint := (p->>'customer_id')::bigint;
BEGIN
    RETURN page_of((SELECT coalesce(jsonb_agg(credit_note_json(n, NULL) ORDER BY n.id), '[]')
                      FROM (SELECT * FROM credit_notes n
                             WHERE n.id > after AND (inv IS NULL OR n.invoice_id = inv) AND (cus IS NULL OR n.customer_id = cus)
                             ORDER BY n.id LIMIT lim + 1) n), lim);
END
$$;
