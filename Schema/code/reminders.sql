-- Reminders (contract v1.1 "Collections"): the tenant's reminder policy, the
-- set-based reminder.run with its fee and interest invoices, reminder.list, and
-- the reminder side of the outbox (re-check before sending, status follow-up,
-- the letter's data).

-- The collections settings of the tenant result (tenant.get / tenant.update).
CREATE OR REPLACE FUNCTION collections_settings_json(s record) RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN jsonb_build_object('payment_terms_text', s.payment_terms_text,
                              'reminder_grace_days', s.reminder_grace_days,
                              'reminder_levels', s.reminder_levels,
                              'late_interest_percent', CASE WHEN s.late_interest_percent IS NOT NULL
                                                            THEN to_char_percent(s.late_interest_percent) END);
END
$$;

-- An annual percent as text with two decimals at least ("8.00", "7.125").
CREATE OR REPLACE FUNCTION to_char_percent(x numeric) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN scale(trim_scale(x)) <= 2 THEN round(x, 2)::text ELSE trim_scale(x)::text END;

-- reminder_levels as given to tenant.update, checked and normalised: levels
-- 1..n in order, days_past_due >= 0 and strictly increasing, fee a money
-- amount of the tenant's currency (>= 0, at most its minor unit) or null,
-- message non-blank (default: a standard wording per level). FL602 naming
-- reminder_levels[i].field.
CREATE OR REPLACE FUNCTION reminder_levels_check(v jsonb, cur text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    m int := currency_decimals(cur);
    e jsonb;
    k int := 0;
    prev int := -1;
    d int;
    fee numeric;
    msg text;
    res jsonb := '[]';
BEGIN
    IF v IS NULL OR jsonb_typeof(v) <> 'array' THEN
        PERFORM fail('FL602', 'reminder_levels must be an array', 'reminder_levels');
    END IF;
    IF jsonb_array_length(v) > 5 THEN
        PERFORM fail('FL602', 'reminder_levels has at most 5 levels', 'reminder_levels');
    END IF;
    FOR e IN SELECT x FROM jsonb_array_elements(v) x LOOP
        IF (e->>'level')::int IS DISTINCT FROM k + 1 THEN
            PERFORM fail('FL602', format('reminder_levels[%s].level must be %s (levels are numbered 1, 2, ... in order)', k, k + 1),
                         format('reminder_levels[%s].level', k));
        END IF;
        d := (e->>'days_past_due')::int;
        IF d IS NULL OR d < 0 OR d <= prev THEN
            PERFORM fail('FL602', format('reminder_levels[%s].days_past_due must be at least 0 and greater than the previous level''s', k),
                         format('reminder_levels[%s].days_past_due', k));
        END IF;
        fee := NULL;
        IF e->>'fee' IS NOT NULL THEN
            fee := (e->>'fee')::numeric;
            IF fee < 0 OR fee <> round(fee, m) THEN
                PERFORM fail('FL602', format('reminder_levels[%s].fee must be an amount of %s with at most %s decimals', k, cur, m),
                             format('reminder_levels[%s].fee', k));
            END IF;
        END IF;
        msg := check_text(e->>'message', format('reminder_levels[%s].message', k), 2000, false);
        res := res || jsonb_build_array(jsonb_build_object(
            'level', k + 1, 'days_past_due', d, 'fee', money_text(fee, m),
            'message', coalesce(msg, CASE k WHEN 0 THEN 'This invoice is overdue. Please pay the balance due.'
                                            WHEN 1 THEN 'Second reminder: this invoice is still unpaid. Please pay it now.'
                                            ELSE 'Final reminder: please pay this invoice immediately.' END)));
        prev := d;
        k := k + 1;
    END LOOP;
    RETURN res;
END
$$;

-- The collections part of tenant.update {payment_terms_text?, reminder_grace_days?,
-- reminder_levels?, late_interest_percent?}: null clears payment_terms_text
-- (derived text) and late_interest_percent (no interest).
CREATE OR REPLACE FUNCTION collections_settings_update(p jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE s record;
BEGIN
    IF NOT (p ? 'payment_terms_text' OR p ? 'reminder_grace_days' OR p ? 'reminder_levels' OR p ? 'late_interest_percent') THEN
        RETURN;
    END IF;
    SELECT * INTO s FROM settings;
    IF p ? 'reminder_grace_days' AND ((p->>'reminder_grace_days') IS NULL OR (p->>'reminder_grace_days')::int NOT BETWEEN 0 AND 60) THEN
        PERFORM fail('FL602', 'reminder_grace_days must be between 0 and 60', 'reminder_grace_days');
    END IF;
    IF p ? 'late_interest_percent' AND (p->>'late_interest_percent')::numeric NOT BETWEEN 0 AND 100 THEN
        PERFORM fail('FL602', 'late_interest_percent must be between 0 and 100', 'late_interest_percent');
    END IF;
    UPDATE settings SET
        payment_terms_text = CASE WHEN p ? 'payment_terms_text'
                                  THEN check_text(p->>'payment_terms_text', 'payment_terms_text', 500, false)
                                  ELSE payment_terms_text END,
        reminder_grace_days = coalesce((p->>'reminder_grace_days')::int, reminder_grace_days),
        reminder_levels = CASE WHEN p ? 'reminder_levels' THEN reminder_levels_check(p->'reminder_levels', s.currency)
                               ELSE reminder_levels END,
        late_interest_percent = CASE WHEN p ? 'late_interest_percent' THEN (p->>'late_interest_percent')::numeric
                                     ELSE late_interest_percent END;
END
$$;

-- Ids of the invoices whose dispute is open (latest dispute event is 'dispute').
CREATE OR REPLACE FUNCTION disputed_invoice_ids() RETURNS bigint[]
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT coalesce(array_agg(e.invoice_id), '{}')
              FROM (SELECT DISTINCT ON (ev.invoice_id) ev.invoice_id, ev.kind
                      FROM invoice_events ev WHERE ev.kind IN ('dispute', 'dispute_resolved')
                     ORDER BY ev.invoice_id, ev.id DESC) e
             WHERE e.kind = 'dispute');
END
$$;

-- An invoice's reminder_level: its highest reminder's level, 0 without any. An
-- invoice without its hash (a draft, or one being issued) has had none, so
-- issuing looks nothing up.
CREATE OR REPLACE FUNCTION invoice_reminder_level(i record) RETURNS int
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF i.hash IS NULL THEN RETURN 0; END IF;
    RETURN coalesce((SELECT max(r.level) FROM reminders r WHERE r.invoice_id = i.id), 0);
END
$$;

-- The reminder result object.
CREATE OR REPLACE FUNCTION reminder_json(r record) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    inv record;
    m int;
BEGIN
    SELECT i.number, i.currency INTO inv FROM invoices i WHERE i.id = r.invoice_id;
    m := currency_decimals(inv.currency);
    RETURN jsonb_build_object(
        'id', r.id, 'invoice_id', r.invoice_id, 'number', inv.number, 'customer_id', r.customer_id,
        'level', r.level, 'as_of', date_text(r.as_of), 'days_overdue', r.days_overdue,
        'balance_due', money_text(r.balance_due, m), 'currency', inv.currency, 'message', r.message,
        'fee', money_text(r.fee, m), 'status', r.status, 'channel', r.channel,
        'fee_invoice_number', (SELECT i.number FROM invoices i WHERE i.id = r.fee_invoice_id),
        'interest_invoice_number', (SELECT i.number FROM invoices i WHERE i.id = r.interest_invoice_id),
        'interest_from', date_text(r.interest_from), 'interest_to', date_text(r.interest_to),
        'created_at', ts_text(r.created_at), 'sent_at', ts_text(r.sent_at));
END
$$;

-- Issues a fee or interest charge for reminder r as its own invoice (through
-- invoice.create with issue: true, so it is numbered in the invoice series
-- like any invoice), without tax, in the overdue invoice's currency, naming the
-- overdue invoice in the line and in notes. Returns the issued invoice.
CREATE OR REPLACE FUNCTION reminder_charge_invoice(r record, overdue_number text, cur text, d date,
                                                   description text, amount numeric) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE res jsonb;
BEGIN
    res := invoice_create(jsonb_build_object(
        'customer_id', r.customer_id, 'currency', cur, 'issue', true, 'issue_date', date_text(d),
        'notes', format('Charged with reminder level %s for overdue invoice %s.', r.level, overdue_number),
        'lines', jsonb_build_array(jsonb_build_object(
            'description', description, 'qty', '1', 'unit_price', amount::text))));
    RETURN res;
END
$$;

-- reminder.run {as_of?}: makes the reminders due on as_of (default the tenant's
-- today; a future date is FL602 'as_of'). Set-based: one statement finds every
-- open invoice's highest level reached (due_date + grace + days_past_due <=
-- as_of), skips the disputed and those that already had that level, and writes
-- the reminders (ON CONFLICT on (invoice, level): never twice) and the outbox
-- e-mails (customers with an e-mail; the others are to_print); one audit entry. Then, per new reminder with a fee or
-- interest only, the charge invoices. Runs are serialised per tenant by an
-- advisory lock, so a slower run with an earlier as_of cannot make a lower level
-- after a higher one. -> {as_of, created, skipped: {disputed, not_due}}.
CREATE OR REPLACE FUNCTION reminder_run(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    s record;
    today date;
    run_day date;
    first_id bigint;
    last_id bigint;
    n_created bigint;
    n_disputed bigint;
    n_not_due bigint;
    r record;
    d date;
    m int;
    start_day date;
    interest numeric;
    balance_days numeric;
    n_balances bigint;
    balances_text text;
    first_balance numeric;
    fee_id bigint;
    interest_id bigint;
BEGIN
    SELECT * INTO s FROM settings;
    today := (now() AT TIME ZONE s.timezone)::date;
    run_day := coalesce((p->>'as_of')::date, today);
    IF run_day > today THEN
        PERFORM fail('FL602', format('as_of %s is in the future (today is %s)', date_text(run_day), date_text(today)), 'as_of');
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('folio.reminder_run'), hashtext(current_schema()));

    WITH lv AS (
        SELECT (l->>'level')::int AS level, (l->>'days_past_due')::int AS dpd, (l->>'fee')::numeric AS fee,
               l->>'message' AS message
          FROM jsonb_array_elements(s.reminder_levels) l
    ), had AS (
        SELECT x.invoice_id, max(x.level) AS level FROM reminders x GROUP BY x.invoice_id
    ), charges AS (
        SELECT x.fee_invoice_id AS invoice_id FROM reminders x WHERE x.fee_invoice_id IS NOT NULL
        UNION ALL
        SELECT x.interest_invoice_id FROM reminders x WHERE x.interest_invoice_id IS NOT NULL
    ), op AS (
        SELECT i.id, i.customer_id, i.number, i.due_date, coalesce(had.level, 0) AS reminder_level,
               i.total - i.amount_paid - i.credited AS balance,
               (SELECT max(lv.level) FROM lv WHERE i.due_date + s.reminder_grace_days + lv.dpd <= run_day) AS reached
          FROM invoices i LEFT JOIN had ON had.invoice_id = i.id
         WHERE i.status IN ('issued', 'sent', 'partially_paid') AND i.total - i.amount_paid - i.credited > 0
           AND i.id NOT IN (SELECT charges.invoice_id FROM charges)
    ), disp AS (
        SELECT unnest(disputed_invoice_ids()) AS invoice_id
    ), todo AS (
        SELECT op.*, op.id IN (SELECT disp.invoice_id FROM disp) AS disputed
          FROM op WHERE op.reached > op.reminder_level
    ), ins AS (
        INSERT INTO reminders (invoice_id, customer_id, level, as_of, days_overdue, balance_due, message, fee, status, channel)
        SELECT t.id, t.customer_id, t.reached, run_day, run_day - t.due_date, t.balance, lv.message, lv.fee,
               CASE WHEN nullif(btrim(c.email), '') IS NULL THEN 'to_print' ELSE 'queued' END,
               CASE WHEN nullif(btrim(c.email), '') IS NULL THEN 'post' ELSE 'email' END
          FROM todo t JOIN lv ON lv.level = t.reached JOIN customers c ON c.id = t.customer_id
         WHERE NOT t.disputed
         ORDER BY t.id
        ON CONFLICT (invoice_id, level) DO NOTHING
        RETURNING *
    ), mail AS (
        INSERT INTO outbox (invoice_id, kind, recipient, subject, reminder_id)
        SELECT ins.invoice_id, 'reminder', btrim(c.email),
               format('Reminder %s: invoice %s from %s', ins.level, i.number, s.name), ins.id
          FROM ins JOIN customers c ON c.id = ins.customer_id JOIN invoices i ON i.id = ins.invoice_id
         WHERE ins.channel = 'email'
         ORDER BY ins.id
    )
    SELECT (SELECT min(ins.id) FROM ins), (SELECT max(ins.id) FROM ins), (SELECT count(*) FROM ins),
           (SELECT count(*) FROM todo WHERE todo.disputed),
           (SELECT count(*) FROM op WHERE op.reached IS NULL)
      INTO first_id, last_id, n_created, n_disputed, n_not_due;
    -- Only runs insert reminders and they hold the lock: the new ones are exactly first_id..last_id.

    -- One audit entry per run (the reminders themselves are the detailed record).
    IF n_created > 0 THEN
        PERFORM audit('reminder', NULL, jsonb_build_object('as_of', date_text(run_day), 'created', n_created,
                                                           'first_id', first_id, 'last_id', last_id));
    END IF;

    -- Fee and interest invoices: one issue per charge (numbers are consecutive),
    -- only for the reminders just made that carry one.
    IF n_created > 0 AND (s.late_interest_percent > 0
                                     OR EXISTS (SELECT 1 FROM jsonb_array_elements(s.reminder_levels) l
                                                 WHERE (l->>'fee')::numeric > 0)) THEN
        d := greatest(run_day, (SELECT max(i.issue_date) FROM invoices i WHERE i.issue_date IS NOT NULL));
        FOR r IN SELECT rm.*, i.number, i.currency, i.due_date, i.total AS invoice_total, c.archived
                   FROM reminders rm JOIN invoices i ON i.id = rm.invoice_id JOIN customers c ON c.id = rm.customer_id
                  WHERE rm.id BETWEEN first_id AND last_id AND (rm.fee > 0 OR s.late_interest_percent > 0)
                  ORDER BY rm.id LOOP
            CONTINUE WHEN r.archived;   -- an archived customer gets no new invoices
            m := currency_decimals(r.currency);
            fee_id := NULL;
            interest_id := NULL;
            IF r.fee > 0 THEN
                fee_id := (reminder_charge_invoice(r, r.number, r.currency, d,
                           format('Reminder fee (level %s) for invoice %s', r.level, r.number), r.fee)->>'id')::bigint;
            END IF;
            IF s.late_interest_percent > 0 THEN
                start_day := coalesce((SELECT max(x.interest_to) FROM reminders x WHERE x.invoice_id = r.invoice_id),
                                      r.due_date) + 1;
                IF run_day >= start_day THEN
                    -- Each day's own balance: the total less the allocations dated on or
                    -- before it (and not reversed by then) and the credit notes dated on
                    -- or before it; in segments from each date it changed.
                    WITH ev AS (
                        SELECT a.allocated_on AS on_date, a.amount FROM payment_allocations a WHERE a.invoice_id = r.invoice_id
                        UNION ALL
                        SELECT a.reversed_on, -a.amount FROM payment_allocations a
                         WHERE a.invoice_id = r.invoice_id AND a.reversed_on IS NOT NULL
                        UNION ALL
                        SELECT n.issue_date, n.total FROM credit_notes n WHERE n.invoice_id = r.invoice_id
                    ), cut AS (
                        SELECT start_day AS f
                        UNION
                        SELECT ev.on_date FROM ev WHERE ev.on_date > start_day AND ev.on_date <= run_day
                    ), seg AS (
                        SELECT cut.f, coalesce(lead(cut.f) OVER (ORDER BY cut.f), run_day + 1) - cut.f AS n_days,
                               greatest(r.invoice_total - coalesce((SELECT sum(ev.amount) FROM ev WHERE ev.on_date <= cut.f), 0),
                                        0) AS bal
                          FROM cut
                    ), chg AS (
                        SELECT seg.*, seg.bal IS DISTINCT FROM lag(seg.bal) OVER (ORDER BY seg.f) AS changed FROM seg
                    )
                    SELECT sum(chg.bal * chg.n_days), count(*) FILTER (WHERE chg.changed),
                           string_agg(format('%s %s from %s', money_text(chg.bal, m), r.currency, date_text(chg.f)), ', '
                                      ORDER BY chg.f) FILTER (WHERE chg.changed),
                           (array_agg(chg.bal ORDER BY chg.f))[1]
                      INTO balance_days, n_balances, balances_text, first_balance
                      FROM chg;
                    interest := round(balance_days * s.late_interest_percent / 100 / 365, m);
                    IF interest > 0 THEN
                        interest_id := (reminder_charge_invoice(r, r.number, r.currency, d,
                            CASE WHEN n_balances = 1
                                 THEN format('Late interest %s%% p.a. on %s %s of invoice %s, %s to %s (%s days)',
                                             dec_text(s.late_interest_percent), money_text(first_balance, m), r.currency,
                                             r.number, date_text(start_day), date_text(run_day), run_day - start_day + 1)
                                 ELSE format('Late interest %s%% p.a. on the balance of invoice %s, %s to %s (%s days)%s',
                                             dec_text(s.late_interest_percent), r.number, date_text(start_day),
                                             date_text(run_day), run_day - start_day + 1,
                                             CASE WHEN n_balances <= 20 THEN ': ' || balances_text ELSE '' END) END,
                            interest)->>'id')::bigint;
                    END IF;
                END IF;
            END IF;
            IF fee_id IS NOT NULL OR interest_id IS NOT NULL THEN
                UPDATE reminders SET fee_invoice_id = fee_id, interest_invoice_id = interest_id,
                                     interest_from = CASE WHEN interest_id IS NOT NULL THEN start_day END,
                                     interest_to = CASE WHEN interest_id IS NOT NULL THEN run_day END
                 WHERE id = r.id;
            END IF;
        END LOOP;
    END IF;

    RETURN jsonb_build_object(
        'as_of', date_text(run_day),
        'created', coalesce((SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                                 'reminder_id', rm.id, 'invoice_id', rm.invoice_id, 'number', i.number, 'level', rm.level,
                                 'status', rm.status,
                                 'fee_invoice_number', (SELECT f.number FROM invoices f WHERE f.id = rm.fee_invoice_id),
                                 'interest_invoice_number', (SELECT f.number FROM invoices f WHERE f.id = rm.interest_invoice_id)))
                               ORDER BY rm.id)
                               FROM reminders rm JOIN invoices i ON i.id = rm.invoice_id
                              WHERE rm.id BETWEEN first_id AND last_id), '[]'),
        'skipped', jsonb_build_object('disputed', n_disputed, 'not_due', n_not_due));
END
$$;

-- reminder.list {invoice_id?, customer_id?, status?, limit?, cursor?}: reminders by id.
CREATE OR REPLACE FUNCTION reminder_list(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    lim int := page_limit(p);
    after bigint := page_after(p);
    st text := p->>'status';
    inv bigint := (p->>'invoice_id')::bigint;
    cus bigint := (p->>'customer_id')::bigint;
BEGIN
    RETURN page_of((SELECT coalesce(jsonb_agg(reminder_json(r) ORDER BY r.id), '[]')
                      FROM (SELECT * FROM reminders
                             WHERE id > after AND (st IS NULL OR status = st) AND (inv IS NULL OR invoice_id = inv)
                       AND (cus IS NULL OR customer_id = cus)
                             ORDER BY id LIMIT lim + 1) r), lim);
END
$$;

-- Before the sender claims e-mail: reminders due to go whose invoice is now
-- paid, void or disputed are cancelled (outbox row and reminder). Returns how many.
CREATE OR REPLACE FUNCTION reminder_recheck_outbox() RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    n int;
    disputed bigint[];
BEGIN
    IF NOT EXISTS (SELECT 1 FROM outbox WHERE status = 'queued' AND next_attempt_at <= now() AND reminder_id IS NOT NULL) THEN
        RETURN 0;
    END IF;
    disputed := disputed_invoice_ids();
    UPDATE outbox o SET status = 'cancelled', last_error = 'invoice is ' ||
               CASE WHEN i.status IN ('paid', 'void') THEN i.status
                    WHEN i.total - i.amount_paid - i.credited <= 0 THEN 'settled' ELSE 'disputed' END
      FROM invoices i
     WHERE o.status = 'queued' AND o.next_attempt_at <= now() AND o.reminder_id IS NOT NULL AND i.id = o.invoice_id
       AND (i.status IN ('paid', 'void') OR i.total - i.amount_paid - i.credited <= 0
            OR i.id = ANY (disputed));
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

-- Trigger on outbox: a reminder's status follows its e-mail (sent, cancelled, failed).
CREATE OR REPLACE FUNCTION reminder_follow_outbox() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE reminders SET status = NEW.status,
                         sent_at = CASE WHEN NEW.status = 'sent' THEN NEW.sent_at ELSE sent_at END
     WHERE id = NEW.reminder_id;
    RETURN NULL;
END
$$;

-- The reminder letter's data: the reminder, its overdue invoice (days overdue,
-- total, paid, balance), its charges (fee and interest invoices with their
-- totals), the tenant and the customer. For the letter PDF (e-mail and print).
CREATE OR REPLACE FUNCTION reminder_letter_json(p_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    r record;
    i record;
    m int;
BEGIN
    SELECT * INTO r FROM reminders WHERE id = p_id;
    IF r.id IS NULL THEN RETURN NULL; END IF;
    SELECT * INTO i FROM invoices WHERE id = r.invoice_id;
    m := currency_decimals(i.currency);
    RETURN reminder_json(r) || jsonb_build_object(
        'invoices', jsonb_build_array(jsonb_build_object(
            'number', i.number, 'issue_date', date_text(i.issue_date), 'due_date', date_text(i.due_date),
            'days_overdue', r.as_of - i.due_date, 'total', money_text(i.total, m),
            'balance_due', money_text(i.total - i.amount_paid - i.credited, m))),
        'charges', coalesce((SELECT jsonb_agg(jsonb_build_object('kind', x.kind, 'number', f.number,
                                                                 'description', (SELECT l.description FROM invoice_lines l
                                                                                  WHERE l.invoice_id = f.id AND l.line_no = 1),
                                                                 'total', money_text(f.total, m)) ORDER BY x.ord)
                               FROM (VALUES (1, 'fee', r.fee_invoice_id), (2, 'interest', r.interest_invoice_id)) x(ord, kind, fid)
                               JOIN invoices f ON f.id = x.fid), '[]'),
        'total_due', money_text(i.total - i.amount_paid - i.credited
                                + coalesce((SELECT sum(f.total - f.amount_paid - f.credited) FROM invoices f
                                             WHERE f.id IN (r.fee_invoice_id, r.interest_invoice_id)), 0), m),
        'tenant', tenant_get('{}'),
        'customer', (SELECT customer_json(c) FROM customers c WHERE c.id = r.customer_id));
END
$$;

-- reminder.letters {ids?}: the letters of the given reminders, or of every
-- to_print reminder (at most 500, oldest first) whose invoice is still open
-- and not disputed. For reminder.print_batch.
CREATE OR REPLACE FUNCTION reminder_letters(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    ids bigint[];
    missing bigint;
    disputed bigint[] := disputed_invoice_ids();
BEGIN
    IF p ? 'ids' THEN
        SELECT array_agg(x::bigint) INTO ids FROM jsonb_array_elements_text(p->'ids') x;
        SELECT x INTO missing FROM unnest(ids) x WHERE NOT EXISTS (SELECT 1 FROM reminders r WHERE r.id = x) LIMIT 1;
        IF missing IS NOT NULL THEN
            PERFORM fail('FL002', format('reminder %s not found', missing), 'ids');
        END IF;
    ELSE
        SELECT coalesce(array_agg(r.id ORDER BY r.id), '{}') INTO ids
          FROM (SELECT r.id FROM reminders r JOIN invoices i ON i.id = r.invoice_id
                 WHERE r.status = 'to_print' AND i.status NOT IN ('paid', 'void')
                   AND i.total - i.amount_paid - i.credited > 0
                   AND NOT i.id = ANY (disputed)
                 ORDER BY r.id LIMIT 500) r;
    END IF;
    RETURN (SELECT coalesce(jsonb_agg(reminder_letter_json(x) ORDER BY o), '[]') FROM unnest(ids) WITH ORDINALITY u(x, o));
END
$$;

-- reminder.mark_sent {ids}: to_print reminders posted (after reminder.print_batch)
-- become sent; one whose invoice is now paid, void or disputed becomes
-- cancelled instead. Other statuses: FL003. -> {items: [reminder]}.
CREATE OR REPLACE FUNCTION reminder_mark_sent(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    x bigint;
    r record;
    i record;
    acc jsonb := '[]';
    disputed bigint[] := disputed_invoice_ids();
BEGIN
    FOR x IN SELECT DISTINCT v::bigint FROM jsonb_array_elements_text(p->'ids') v ORDER BY 1 LOOP
        SELECT * INTO r FROM reminders WHERE id = x FOR UPDATE;
        IF r.id IS NULL THEN PERFORM fail('FL002', format('reminder %s not found', x), 'ids'); END IF;
        IF r.status <> 'to_print' THEN
            PERFORM fail('FL003', format('reminder %s is %s, not to_print', x, r.status), 'ids');
        END IF;
        SELECT * INTO i FROM invoices WHERE id = r.invoice_id;
        UPDATE reminders
           SET status = CASE WHEN i.status IN ('paid', 'void') OR i.total - i.amount_paid - i.credited <= 0
                                  OR i.id = ANY (disputed) THEN 'cancelled'
                             ELSE 'sent' END,
               sent_at = now()
         WHERE id = x RETURNING * INTO r;
        PERFORM audit('invoice', r.invoice_id, jsonb_build_object('reminder_id', r.id, 'status', r.status, 'channel', 'post'));
        acc := acc || reminder_json(r);
    END LOOP;
    RETURN jsonb_build_object('items', acc);
END
$$;
