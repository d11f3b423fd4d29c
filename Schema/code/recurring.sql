-- Recurring invoices (contract v1.1 "Collections"): schedules, their periods,
-- and recurring.run, which makes each period's invoice through invoice.create
-- (with issue: true when auto_issue), exactly once per (schedule, period).

-- The date in the month starting at `m` with day `anchor`, or the month's last
-- day when the month is shorter (anchor 31 = 'last').
CREATE OR REPLACE FUNCTION month_day(m date, anchor int) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN m + (least(anchor, extract(day FROM (m + interval '1 month' - interval '1 day'))::int) - 1);

-- The anchor day of a monthly, quarterly or yearly schedule: day_of_month
-- ('last' = 31), else the start date's day.
CREATE OR REPLACE FUNCTION recurring_anchor(start_date date, day_of_month text) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN day_of_month = 'last' THEN 31
            ELSE coalesce(day_of_month::int, extract(day FROM start_date)::int) END;

-- Start of period n (0-based): weekly, start_date + 7 x every x n days; else the
-- anchor day of the month `every x n` months (x3 quarterly, x12 yearly) after
-- the first month, which is the start date's month, or the next one when the
-- anchor day there falls before the start date. Computed from the first month
-- every time, so a short month never moves the anchor (31 -> Feb 28/29 -> Mar 31).
CREATE OR REPLACE FUNCTION recurring_period_start(start_date date, iv text, every int, day_of_month text, n int) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN iv = 'weekly' THEN start_date + 7 * every * n
    ELSE month_day((date_trunc('month', start_date)
                    + make_interval(months => every * n * CASE iv WHEN 'monthly' THEN 1 WHEN 'quarterly' THEN 3 ELSE 12 END
                                              + CASE WHEN month_day(date_trunc('month', start_date)::date,
                                                                    recurring_anchor(start_date, day_of_month)) < start_date
                                                     THEN 1 ELSE 0 END))::date,
                   recurring_anchor(start_date, day_of_month)) END;

-- Start of a schedule row's period n.
CREATE OR REPLACE FUNCTION recurring_start_of(sc record, n int) RETURNS date
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN recurring_period_start(sc.start_date, sc.interval, sc.every, sc.day_of_month, n);
END
$$;

-- Whether period n lies beyond the schedule's count or end date.
CREATE OR REPLACE FUNCTION recurring_beyond(sc record, n int) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN (sc.count IS NOT NULL AND n >= sc.count) OR (sc.end_date IS NOT NULL AND recurring_start_of(sc, n) > sc.end_date);
END
$$;

-- The schedule result object.
CREATE OR REPLACE FUNCTION recurring_json(sc record) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN jsonb_build_object(
        'id', sc.id, 'customer_id', sc.customer_id,
        'customer_name', (SELECT c.name FROM customers c WHERE c.id = sc.customer_id),
        'lines', sc.lines, 'interval', sc.interval, 'every', sc.every,
        'day_of_month', CASE WHEN sc.day_of_month = 'last' THEN to_jsonb('last'::text) ELSE to_jsonb(sc.day_of_month::int) END,
        'start_date', date_text(sc.start_date), 'end_date', date_text(sc.end_date), 'count', sc.count,
        'auto_issue', sc.auto_issue, 'auto_send', sc.auto_send, 'payment_terms_days', sc.payment_terms_days,
        'notes', sc.notes, 'po_number', sc.po_number, 'currency', sc.currency, 'status', sc.status,
        'next_date', CASE WHEN sc.status IN ('active', 'paused') THEN date_text(sc.next_date) END,
        'periods_generated', (SELECT count(*) FROM recurring_invoices ri WHERE ri.schedule_id = sc.id),
        'created_at', ts_text(sc.created_at), 'updated_at', ts_text(sc.updated_at));
END
$$;

-- Checks the fields of recurring.create / recurring.update (merged onto the
-- stored schedule for update) and returns the values to store; FL602 naming the field.
CREATE OR REPLACE FUNCTION recurring_check(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    s record;
    cur text;
    dom text := p->>'day_of_month';
BEGIN
    SELECT * INTO s FROM settings;
    PERFORM draft_customer((p->>'customer_id')::bigint);
    cur := check_currency(coalesce(p->>'currency', s.currency));
    PERFORM price_lines(p->'lines', currency_decimals(cur));
    IF p->>'interval' IS NULL OR p->>'interval' NOT IN ('weekly', 'monthly', 'quarterly', 'yearly') THEN
        PERFORM fail('FL602', 'interval must be weekly, monthly, quarterly or yearly', 'interval');
    END IF;
    IF dom IS NOT NULL THEN
        IF p->>'interval' = 'weekly' THEN
            PERFORM fail('FL602', 'day_of_month does not apply to weekly schedules', 'day_of_month');
        END IF;
        IF dom !~ '^([1-9]|[12][0-9]|3[01]|last)$' THEN
            PERFORM fail('FL602', 'day_of_month must be 1..31 or "last"', 'day_of_month');
        END IF;
    END IF;
    IF (p->>'every')::int < 1 THEN PERFORM fail('FL602', 'every must be at least 1', 'every'); END IF;
    IF (p->>'count')::int < 1 THEN PERFORM fail('FL602', 'count must be at least 1', 'count'); END IF;
    IF (p->>'end_date')::date < (p->>'start_date')::date THEN
        PERFORM fail('FL602', 'end_date is before start_date', 'end_date');
    END IF;
    PERFORM check_terms((p->>'payment_terms_days')::int, 'payment_terms_days');
    PERFORM check_text(p->>'notes', 'notes', 10000);
    PERFORM check_text(p->>'po_number', 'po_number', 100);
    RETURN p;
END
$$;

-- Sets a schedule's next_date and, when its next period lies beyond count or
-- end date, status 'completed' (a completed schedule whose limits were raised
-- becomes active again).
CREATE OR REPLACE FUNCTION recurring_settle(p_id bigint) RETURNS record
LANGUAGE plpgsql AS $$
DECLARE sc record;
BEGIN
    SELECT * INTO sc FROM recurring_schedules WHERE id = p_id;
    UPDATE recurring_schedules
       SET next_date = recurring_start_of(sc, sc.next_period),
           status = CASE WHEN sc.status = 'cancelled' THEN 'cancelled'
                         WHEN recurring_beyond(sc, sc.next_period) THEN 'completed'
                         WHEN sc.status = 'completed' THEN 'active'
                         ELSE sc.status END,
           updated_at = now()
     WHERE id = p_id
    RETURNING * INTO sc;
    RETURN sc;
END
$$;

-- recurring.create {customer_id, lines, interval, start_date, every?,
-- day_of_month?, end_date?, count?, auto_issue?, auto_send?,
-- payment_terms_days?, notes?, po_number?, currency?} -> schedule.
CREATE OR REPLACE FUNCTION recurring_create(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v jsonb := recurring_check(p);
    sc record;
BEGIN
    INSERT INTO recurring_schedules (customer_id, lines, interval, every, day_of_month, start_date, end_date, count,
                                     auto_issue, auto_send, payment_terms_days, notes, po_number, currency)
    VALUES ((v->>'customer_id')::bigint, v->'lines', v->>'interval', coalesce((v->>'every')::int, 1), v->>'day_of_month',
            (v->>'start_date')::date, (v->>'end_date')::date, (v->>'count')::int,
            coalesce((v->>'auto_issue')::boolean, true), coalesce((v->>'auto_send')::boolean, false),
            (v->>'payment_terms_days')::int, v->>'notes', v->>'po_number', v->>'currency')
    RETURNING * INTO sc;
    sc := recurring_settle(sc.id);
    PERFORM audit('recurring', sc.id, p);
    RETURN recurring_json(sc);
END
$$;

-- A schedule locked for a change (FL002 when absent).
CREATE OR REPLACE FUNCTION recurring_for_change(p_id bigint) RETURNS record
LANGUAGE plpgsql AS $$
DECLARE sc record;
BEGIN
    SELECT * INTO sc FROM recurring_schedules WHERE id = p_id FOR UPDATE;
    IF sc.id IS NULL THEN PERFORM fail('FL002', format('recurring schedule %s not found', p_id), 'id'); END IF;
    RETURN sc;
END
$$;

-- recurring.get {id} -> schedule with invoices [{invoice_id, number, period_start, period_end}].
CREATE OR REPLACE FUNCTION recurring_get(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE sc record;
BEGIN
    SELECT * INTO sc FROM recurring_schedules WHERE id = (p->>'id')::bigint;
    IF sc.id IS NULL THEN PERFORM fail('FL002', format('recurring schedule %s not found', p->>'id'), 'id'); END IF;
    RETURN recurring_json(sc) || jsonb_build_object('invoices', coalesce((
        SELECT jsonb_agg(jsonb_build_object('invoice_id', ri.invoice_id, 'number', i.number, 'status', i.status,
                                            'period_start', date_text(ri.period_start),
                                            'period_end', date_text(ri.period_end)) ORDER BY ri.period_no)
          FROM recurring_invoices ri LEFT JOIN invoices i ON i.id = ri.invoice_id
         WHERE ri.schedule_id = sc.id), '[]'));
END
$$;

-- recurring.list {status?, customer_id?, limit?, cursor?}: schedules by id.
CREATE OR REPLACE FUNCTION recurring_list(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    lim int := page_limit(p);
    after bigint := page_after(p);
    st text := p->>'status';
    cus bigint := (p->>'customer_id')::bigint;
BEGIN
    RETURN page_of((SELECT coalesce(jsonb_agg(recurring_json(r) ORDER BY r.id), '[]')
                      FROM (SELECT * FROM recurring_schedules
                             WHERE id > after AND (st IS NULL OR status = st) AND (cus IS NULL OR customer_id = cus)
                             ORDER BY id LIMIT lim + 1) r), lim);
END
$$;

-- recurring.update {id, + create fields}: the timing (interval, every,
-- day_of_month, start_date) only while nothing was generated (FL003); a
-- cancelled schedule does not change (FL003). null clears end_date, count,
-- day_of_month, payment_terms_days, notes, po_number, currency.
CREATE OR REPLACE FUNCTION recurring_update(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    sc record := recurring_for_change((p->>'id')::bigint);
    merged jsonb;
    k text;
BEGIN
    IF sc.status = 'cancelled' THEN
        PERFORM fail('FL003', format('recurring schedule %s is cancelled', sc.id), 'id');
    END IF;
    IF sc.next_period > 0 THEN
        FOREACH k IN ARRAY ARRAY['interval', 'every', 'day_of_month', 'start_date'] LOOP
            IF p ? k THEN
                PERFORM fail('FL003', format('recurring schedule %s has generated invoices; its %s cannot change (cancel it and create a new one)',
                                             sc.id, k), k);
            END IF;
        END LOOP;
    END IF;
    merged := jsonb_build_object(
        'customer_id', sc.customer_id, 'lines', sc.lines, 'interval', sc.interval, 'every', sc.every,
        'day_of_month', sc.day_of_month, 'start_date', sc.start_date, 'end_date', sc.end_date, 'count', sc.count,
        'auto_issue', sc.auto_issue, 'auto_send', sc.auto_send, 'payment_terms_days', sc.payment_terms_days,
        'notes', sc.notes, 'po_number', sc.po_number, 'currency', sc.currency) || (p - 'id');
    merged := recurring_check(jsonb_strip_nulls(merged));
    UPDATE recurring_schedules SET
        customer_id = (merged->>'customer_id')::bigint, lines = merged->'lines', interval = merged->>'interval',
        every = coalesce((merged->>'every')::int, 1), day_of_month = merged->>'day_of_month',
        start_date = (merged->>'start_date')::date, end_date = (merged->>'end_date')::date, count = (merged->>'count')::int,
        auto_issue = coalesce((merged->>'auto_issue')::boolean, true), auto_send = coalesce((merged->>'auto_send')::boolean, false),
        payment_terms_days = (merged->>'payment_terms_days')::int, notes = merged->>'notes', po_number = merged->>'po_number',
        currency = merged->>'currency'
     WHERE id = sc.id;
    sc := recurring_settle(sc.id);
    PERFORM audit('recurring', sc.id, p);
    RETURN recurring_json(sc);
END
$$;

-- recurring.pause {id}: active -> paused (else FL003).
CREATE OR REPLACE FUNCTION recurring_pause(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE sc record := recurring_for_change((p->>'id')::bigint);
BEGIN
    IF sc.status <> 'active' THEN
        PERFORM fail('FL003', format('recurring schedule %s is %s, not active', sc.id, sc.status), 'id');
    END IF;
    UPDATE recurring_schedules SET status = 'paused', updated_at = now() WHERE id = sc.id RETURNING * INTO sc;
    PERFORM audit('recurring', sc.id, '{"status": "paused"}');
    RETURN recurring_json(sc);
END
$$;

-- recurring.resume {id, skip_missed?}: paused -> active (else FL003). Missed
-- periods are generated by the next run, or with skip_missed skipped: the next
-- period is the first starting after the tenant's today.
CREATE OR REPLACE FUNCTION recurring_resume(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    sc record := recurring_for_change((p->>'id')::bigint);
    today date := tenant_today();
    n int;
BEGIN
    IF sc.status <> 'paused' THEN
        PERFORM fail('FL003', format('recurring schedule %s is %s, not paused', sc.id, sc.status), 'id');
    END IF;
    n := sc.next_period;
    IF coalesce((p->>'skip_missed')::boolean, false) THEN
        WHILE recurring_start_of(sc, n) <= today AND NOT recurring_beyond(sc, n) LOOP
            n := n + 1;
        END LOOP;
    END IF;
    UPDATE recurring_schedules SET status = 'active', next_period = n WHERE id = sc.id;
    sc := recurring_settle(sc.id);
    PERFORM audit('recurring', sc.id, jsonb_build_object('status', 'active', 'next_date', date_text(sc.next_date),
                                                         'skip_missed', coalesce((p->>'skip_missed')::boolean, false)));
    RETURN recurring_json(sc);
END
$$;

-- recurring.cancel {id}: active or paused -> cancelled, for good (else FL003).
CREATE OR REPLACE FUNCTION recurring_cancel(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE sc record := recurring_for_change((p->>'id')::bigint);
BEGIN
    IF sc.status NOT IN ('active', 'paused') THEN
        PERFORM fail('FL003', format('recurring schedule %s is %s', sc.id, sc.status), 'id');
    END IF;
    UPDATE recurring_schedules SET status = 'cancelled', updated_at = now() WHERE id = sc.id RETURNING * INTO sc;
    PERFORM audit('recurring', sc.id, '{"status": "cancelled"}');
    RETURN recurring_json(sc);
END
$$;

-- recurring.run {as_of?}: for every active schedule (locked, so concurrent runs
-- take turns and the second sees what the first made), every period starting on
-- or before as_of and not yet generated, in order: the period row first (the
-- key (schedule, period) makes it once), then the invoice through
-- invoice.create, dated as_of when auto_issue, carrying period_start and
-- period_end; auto_send queues it for e-mail when the customer has an address.
-- A schedule whose invoice cannot be made (e.g. archived customer) is reported
-- in `failed` and left as it was; the others go on.
-- -> {as_of, generated: [{schedule_id, invoice_id, number, period_start, period_end}], failed: [{schedule_id, message}]}.
CREATE OR REPLACE FUNCTION recurring_run(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    today date := tenant_today();
    run_day date := coalesce((p->>'as_of')::date, today);
    sc record;
    n int;
    ps date;
    pe date;
    inv jsonb;
    email text;
    gen jsonb := '[]';
    made jsonb;
    failed jsonb := '[]';
BEGIN
    IF run_day > today THEN
        PERFORM fail('FL602', format('as_of %s is in the future (today is %s)', date_text(run_day), date_text(today)), 'as_of');
    END IF;
    FOR sc IN SELECT * FROM recurring_schedules WHERE status = 'active' AND next_date <= run_day ORDER BY id FOR UPDATE LOOP
        BEGIN
            made := '[]';
            n := sc.next_period;
            WHILE NOT recurring_beyond(sc, n) AND recurring_start_of(sc, n) <= run_day LOOP
                ps := recurring_start_of(sc, n);
                pe := recurring_start_of(sc, n + 1) - 1;
                INSERT INTO recurring_invoices (schedule_id, period_no, period_start, period_end, as_of)
                VALUES (sc.id, n, ps, pe, run_day)
                ON CONFLICT DO NOTHING;
                IF FOUND THEN
                    inv := invoice_create(jsonb_strip_nulls(jsonb_build_object(
                        'customer_id', sc.customer_id, 'lines', sc.lines, 'currency', sc.currency, 'notes', sc.notes,
                        'po_number', sc.po_number, 'payment_terms_days', sc.payment_terms_days,
                        'period_start', date_text(ps), 'period_end', date_text(pe)))
                        || CASE WHEN sc.auto_issue THEN jsonb_build_object('issue', true, 'issue_date', date_text(run_day))
                                ELSE '{}'::jsonb END);
                    UPDATE recurring_invoices SET invoice_id = (inv->>'id')::bigint WHERE schedule_id = sc.id AND period_no = n;
                    IF sc.auto_issue AND sc.auto_send THEN
                        SELECT nullif(btrim(c.email), '') INTO email FROM customers c WHERE c.id = sc.customer_id;
                        IF email IS NOT NULL THEN
                            PERFORM invoice_send(jsonb_build_object('id', (inv->>'id')::bigint));
                        END IF;
                    END IF;
                    made := made || jsonb_build_object('schedule_id', sc.id, 'invoice_id', (inv->>'id')::bigint,
                                                       'number', inv->'number', 'status', inv->'status',
                                                       'period_start', date_text(ps), 'period_end', date_text(pe));
                END IF;
                n := n + 1;
            END LOOP;
            UPDATE recurring_schedules SET next_period = n WHERE id = sc.id;
            PERFORM recurring_settle(sc.id);
            gen := gen || made;
        EXCEPTION WHEN SQLSTATE 'FL602' OR SQLSTATE 'FL003' OR SQLSTATE 'FL002' THEN
            failed := failed || jsonb_build_object('schedule_id', sc.id, 'message', SQLERRM);
        END;
    END LOOP;
    RETURN jsonb_build_object('as_of', date_text(run_day), 'generated', gen, 'failed', failed);
END
$$;
