-- audit.verify, incremental and full. The checks are in audit_verify.sql; this
-- file decides what they look at and remembers how far the books are verified
-- (tenant tables audit_marks and audit_jobs, migration 0008).
--
-- Incremental (audit.verify {}): only what is new since the marks, plus cheap
-- invariants. Per series the documents after the last verified seq, their hash
-- chain linked to the hash the last verified document had, and that document
-- must still carry that hash; the series rows against their last documents;
-- every draft; the invoices, payments, allocations and customers touched by new
-- receivable events, allocations, payments and refunds; tax percents and the
-- daily tax totals on the new documents' issue dates; items with new stock
-- movements. The marks move on only
-- when nothing was found, so a problem keeps being reported.
--
-- Full (audit.verify {full: true}, or the job methods): every document, invoice,
-- payment, allocation, customer, issue date, item and order, in chunks (stages below)
-- of a job; each audit.verify_step runs chunks for about a second in its own
-- transaction, so no request nears the statement timeout. A finished job moves
-- the marks to the bounds it verified, whatever it found (its problems are its
-- result, and the incremental run shows the last full run's outcome).

-- Stages of a full job, in order.
CREATE OR REPLACE FUNCTION audit_job_stages() RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['invoice_series', 'credit_note_series', 'drafts', 'invoices', 'payments', 'allocations',
                 'customers', 'tax_dates', 'items', 'orders', 'series', 'done']
$$;

-- What a job verifies, fixed when it starts: each series' last document
-- {kind, period, seq, hash} and the highest id of each table it walks by id
-- (documents and rows added later are the next incremental run's).
CREATE OR REPLACE FUNCTION audit_job_bounds() RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'series', (SELECT coalesce(jsonb_agg(jsonb_build_object('kind', h.kind, 'period', h.period, 'seq', h.head_seq,
                                                                'hash', h.head_hash) ORDER BY h.kind, h.period), '[]')
                     FROM audit_series_heads() h WHERE h.head_seq IS NOT NULL),
        'invoices', (SELECT coalesce(max(id), 0) FROM invoices),
        'payments', (SELECT coalesce(max(id), 0) FROM payments),
        'payment_allocations', (SELECT coalesce(max(id), 0) FROM payment_allocations),
        'refunds', (SELECT coalesce(max(id), 0) FROM refunds),
        'receivable_events', (SELECT coalesce(max(id), 0) FROM receivable_events),
        'stock_movements', (SELECT coalesce(max(id), 0) FROM stock_movements),
        'customers', (SELECT coalesce(max(id), 0) FROM customers),
        'items', (SELECT coalesce(max(id), 0) FROM items),
        'orders', (SELECT coalesce(max(id), 0) FROM orders),
        'audit_log', (SELECT coalesce(max(id), 0) FROM audit_log),
        'first_date', least((SELECT min(issue_date) FROM invoices WHERE issue_date IS NOT NULL),
                            (SELECT min(issue_date) FROM credit_notes)),
        'last_date', greatest((SELECT max(issue_date) FROM invoices WHERE issue_date IS NOT NULL),
                              (SELECT max(issue_date) FROM credit_notes)))
$$;

-- How many units (documents, rows, days) a job with these bounds verifies, for progress.
CREATE OR REPLACE FUNCTION audit_job_total(b jsonb) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce((SELECT sum((e->>'seq')::bigint) FROM jsonb_array_elements(b->'series') e), 0)
         + (b->>'invoices')::bigint + (b->>'payments')::bigint + (b->>'payment_allocations')::bigint
         + (b->>'customers')::bigint + (b->>'items')::bigint + coalesce((b->>'orders')::bigint, 0)
         + coalesce((b->>'last_date')::date - (b->>'first_date')::date + 1, 0) + 1
$$;

-- The marks a job's bounds stand for: [{subject, last_id, last_hash}].
CREATE OR REPLACE FUNCTION audit_bounds_marks(b jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT (SELECT coalesce(jsonb_agg(jsonb_build_object('subject', (e->>'kind') || '/' || (e->>'period'),
                                                         'last_id', (e->>'seq')::bigint, 'last_hash', e->>'hash')), '[]')
              FROM jsonb_array_elements(b->'series') e)
        || (SELECT jsonb_agg(jsonb_build_object('subject', t, 'last_id', (b->>t)::bigint))
              FROM unnest(ARRAY['payments', 'payment_allocations', 'refunds', 'receivable_events', 'stock_movements',
                                'audit_log']) t
             WHERE b ? t)
$$;

-- Moves marks forward (never back: a concurrent run may have gone further).
CREATE OR REPLACE FUNCTION audit_save_marks(marks jsonb) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO audit_marks AS m (subject, last_id, last_hash, verified_at)
    SELECT e->>'subject', (e->>'last_id')::bigint, e->>'last_hash', now() FROM jsonb_array_elements(marks) e
    ON CONFLICT (subject) DO UPDATE SET last_id = excluded.last_id, last_hash = excluded.last_hash,
                                        verified_at = excluded.verified_at
     WHERE m.last_id <= excluded.last_id
$$;

-- The next chunk size: doubled (up to `most`) after a chunk that took under a
-- quarter second, halved (down to `least_k`) after one over a second, so that a
-- chunk stays well within a step however big the documents or customers are.
CREATE OR REPLACE FUNCTION audit_next_chunk(k int, started timestamptz, least_k int, most int) RETURNS int
LANGUAGE sql VOLATILE AS $$
    SELECT CASE WHEN clock_timestamp() - started < interval '250 ms' THEN least(k * 2, most)
                WHEN clock_timestamp() - started > interval '1 second' THEN greatest(k / 2, least_k)
                ELSE k END
$$;

-- One chunk of a full job: verifies the next rows of `stage` after `pos` up to
-- `bounds` and returns {stage, position, done, problems}: where the next chunk
-- starts (the next stage once this one is through), the units verified, and the
-- problems found. Series are walked by seq, each chunk chained to the hash of
-- the document before it (only the first broken hash of a series is listed);
-- tables by id; issue dates a few days at a time. Chunk sizes adapt to how long
-- the last chunk took (position.k, audit_next_chunk).
CREATE OR REPLACE FUNCTION audit_job_chunk(stage text, pos jsonb, bounds jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    nxt text := (audit_job_stages())[array_position(audit_job_stages(), stage) + 1];
    lo bigint := coalesce((pos->>'after')::bigint, 0);
    hi bigint;
    k int;
    i int;
    ser jsonb;
    ids bigint[];
    probs jsonb;
    last_seq bigint;
    last_hash text;
    d0 date;
    d1 date;
    t0 timestamptz := clock_timestamp();
BEGIN
    IF stage IN ('invoice_series', 'credit_note_series') THEN
        i := coalesce((pos->>'i')::int, 0);
        SELECT e INTO ser FROM jsonb_array_elements(bounds->'series') WITH ORDINALITY AS x(e, o)
         WHERE e->>'kind' = replace(stage, '_series', '') ORDER BY o OFFSET i LIMIT 1;
        IF ser IS NULL THEN
            RETURN jsonb_build_object('stage', nxt, 'position', '{}'::jsonb, 'done', 0, 'problems', '[]'::jsonb);
        END IF;
        hi := (ser->>'seq')::bigint;
        k := coalesce((pos->>'k')::int, 1000);
        IF stage = 'invoice_series' THEN
            ids := ARRAY(SELECT v.id FROM invoices v WHERE v.series_period = (ser->>'period')::int
                                                      AND v.seq > lo AND v.seq <= hi ORDER BY v.seq LIMIT k);
            probs := audit_invoice_documents(ids, lo, pos->>'hash');
            SELECT v.seq, v.hash INTO last_seq, last_hash FROM invoices v WHERE v.id = ids[cardinality(ids)];
        ELSE
            ids := ARRAY(SELECT n.id FROM credit_notes n WHERE n.series_period = (ser->>'period')::int
                                                           AND n.seq > lo AND n.seq <= hi ORDER BY n.seq LIMIT k);
            probs := audit_credit_note_documents(ids, lo, pos->>'hash');
            SELECT n.seq, n.hash INTO last_seq, last_hash FROM credit_notes n WHERE n.id = ids[cardinality(ids)];
        END IF;
        IF (pos->>'hash_broken')::boolean THEN
            probs := (SELECT coalesce(jsonb_agg(e ORDER BY o), '[]') FROM jsonb_array_elements(probs) WITH ORDINALITY AS x(e, o)
                       WHERE e->>'kind' <> 'hash');
        END IF;
        IF cardinality(ids) < k OR last_seq >= hi THEN
            RETURN jsonb_build_object('stage', stage, 'position', jsonb_build_object('i', i + 1), 'done', hi - lo,
                                      'problems', probs);
        END IF;
        RETURN jsonb_build_object('stage', stage, 'done', last_seq - lo, 'problems', probs,
                                  'position', jsonb_build_object('i', i, 'after', last_seq, 'hash', last_hash,
                                      'k', audit_next_chunk(k, t0, 50, 20000),
                                      'hash_broken', coalesce((pos->>'hash_broken')::boolean, false)
                                                     OR probs @> '[{"kind": "hash"}]'));
    ELSIF stage = 'tax_dates' THEN
        d0 := coalesce((pos->>'after_date')::date + 1, (bounds->>'first_date')::date);
        IF d0 IS NULL OR d0 > (bounds->>'last_date')::date THEN
            RETURN jsonb_build_object('stage', nxt, 'position', '{}'::jsonb, 'done', 0, 'problems', '[]'::jsonb);
        END IF;
        k := coalesce((pos->>'k')::int, 8);
        d1 := least(d0 + k - 1, (bounds->>'last_date')::date);
        probs := audit_tax_percents(d0, d1) || audit_tax_daily(d0, d1);
        RETURN jsonb_build_object('stage', stage, 'done', d1 - d0 + 1, 'problems', probs,
                                  'position', jsonb_build_object('after_date', d1, 'k', audit_next_chunk(k, t0, 1, 366)));
    ELSIF stage = 'series' THEN
        -- The walk above found every gap and duplicate, so the series rows need
        -- only be compared with their last documents.
        RETURN jsonb_build_object('stage', nxt, 'position', '{}'::jsonb, 'done', 1, 'problems', audit_series_tails());
    END IF;

    -- Tables walked by id.
    hi := coalesce((bounds->>CASE stage WHEN 'drafts' THEN 'invoices' WHEN 'allocations' THEN 'payment_allocations'
                                        ELSE stage END)::bigint, 0);
    k := coalesce((pos->>'k')::int, CASE WHEN stage IN ('customers', 'items') THEN 200 ELSE 2000 END);
    IF stage = 'drafts' THEN
        ids := ARRAY(SELECT v.id FROM invoices v WHERE v.status = 'draft' AND v.id > lo AND v.id <= hi ORDER BY v.id LIMIT k);
        probs := audit_invoice_documents(ids, 0, NULL);
    ELSIF stage = 'invoices' THEN
        ids := ARRAY(SELECT v.id FROM invoices v WHERE v.id > lo AND v.id <= hi ORDER BY v.id LIMIT k);
        probs := audit_invoice_states(ids);
    ELSIF stage = 'payments' THEN
        ids := ARRAY(SELECT y.id FROM payments y WHERE y.id > lo AND y.id <= hi ORDER BY y.id LIMIT k);
        probs := audit_payment_states(ids);
    ELSIF stage = 'allocations' THEN
        ids := ARRAY(SELECT a.id FROM payment_allocations a WHERE a.id > lo AND a.id <= hi ORDER BY a.id LIMIT k);
        probs := audit_allocations(ids);
    ELSIF stage = 'customers' THEN
        ids := ARRAY(SELECT c.id FROM customers c WHERE c.id > lo AND c.id <= hi ORDER BY c.id LIMIT k);
        probs := audit_customer_balances(ids);
    ELSIF stage = 'items' THEN
        ids := ARRAY(SELECT it.id FROM items it WHERE it.id > lo AND it.id <= hi ORDER BY it.id LIMIT k);
        probs := audit_stock(ids);
    ELSIF stage = 'orders' THEN
        ids := ARRAY(SELECT o.id FROM orders o WHERE o.id > lo AND o.id <= hi ORDER BY o.id LIMIT k);
        probs := audit_orders(ids);
    ELSE
        RAISE EXCEPTION 'unknown audit stage %', stage;
    END IF;
    IF cardinality(ids) < k THEN
        RETURN jsonb_build_object('stage', nxt, 'position', '{}'::jsonb,
                                  'done', CASE WHEN stage = 'drafts' THEN 0 ELSE hi - lo END, 'problems', probs);
    END IF;
    RETURN jsonb_build_object('stage', stage,
                              'position', jsonb_build_object('after', ids[k], 'k', audit_next_chunk(k, t0, 10, 50000)),
                              'done', CASE WHEN stage = 'drafts' THEN 0 ELSE ids[k] - lo END, 'problems', probs);
END
$$;

-- checked: {subject: {from, to}} of a full job's bounds (every series from seq
-- 1, every table from id 1).
CREATE OR REPLACE FUNCTION audit_bounds_checked(b jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(jsonb_object_agg(e->>'subject', jsonb_build_object('from', 1, 'to', (e->>'last_id')::bigint)), '{}')
      FROM jsonb_array_elements(audit_bounds_marks(b)) e WHERE (e->>'last_id')::bigint > 0
$$;

-- A job as the job methods return it: {id, state (running | done), stage, done,
-- total, percent, steps, started_at, updated_at, finished_at, result}; result
-- (once done) is what audit.verify returns, with mode "full".
CREATE OR REPLACE FUNCTION audit_job_json(jid bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', j.id, 'state', CASE WHEN j.finished_at IS NULL THEN 'running' ELSE 'done' END, 'stage', j.stage,
        'done', least(j.done, j.total), 'total', j.total,
        'percent', CASE WHEN j.finished_at IS NOT NULL THEN 100 ELSE least(99, j.done * 100 / greatest(j.total, 1)) END,
        'steps', j.steps, 'problems_found', j.problem_count,
        'started_at', ts_text(j.started_at), 'updated_at', ts_text(j.updated_at), 'finished_at', ts_text(j.finished_at),
        'result', CASE WHEN j.finished_at IS NOT NULL THEN
                      audit_result(j.problems, j.problem_count)
                      || jsonb_build_object('mode', 'full', 'job', j.id, 'checked', audit_bounds_checked(j.bounds)) END)
      FROM audit_jobs j WHERE j.id = jid
$$;

-- Runs job `jid` chunk by chunk until it is done or `budget` has passed (NULL:
-- to the end), then stores where it got (and, when done, moves the marks to its
-- bounds). The job row is locked meanwhile: concurrent steps of one job queue.
CREATE OR REPLACE FUNCTION audit_job_run(jid bigint, budget interval) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    j record;
    r jsonb;
    st text;
    pos jsonb;
    n bigint;
    cnt bigint;
    probs jsonb;
    t0 timestamptz := clock_timestamp();
BEGIN
    PERFORM set_config('work_mem', '64MB', true);
    SELECT * INTO j FROM audit_jobs WHERE id = jid FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM fail('FL002', format('audit job %s not found', jid), 'id');
    END IF;
    st := j.stage; pos := j.position; n := j.done; cnt := j.problem_count; probs := j.problems;
    WHILE st <> 'done' LOOP
        r := audit_job_chunk(st, pos, j.bounds);
        st := r->>'stage'; pos := r->'position'; n := n + (r->>'done')::bigint;
        cnt := cnt + jsonb_array_length(r->'problems');
        IF jsonb_array_length(probs) < 1000 AND jsonb_array_length(r->'problems') > 0 THEN
            probs := (SELECT jsonb_agg(e ORDER BY o) FROM jsonb_array_elements(probs || (r->'problems'))
                             WITH ORDINALITY AS x(e, o) WHERE o <= 1000);
        END IF;
        EXIT WHEN budget IS NOT NULL AND clock_timestamp() - t0 >= budget;
    END LOOP;
    IF st = 'done' AND j.finished_at IS NULL THEN
        PERFORM audit_save_marks(audit_bounds_marks(j.bounds));
    END IF;
    UPDATE audit_jobs
       SET stage = st, position = pos, done = n, problem_count = cnt, problems = probs, steps = steps + 1,
           updated_at = now(), finished_at = CASE WHEN st = 'done' THEN coalesce(finished_at, now()) END
     WHERE id = jid;
    RETURN audit_job_json(jid);
END
$$;

-- audit.verify_start {} -> the new job (state running, nothing done yet): a
-- full verification up to what exists now; advance it with audit.verify_step.
CREATE OR REPLACE FUNCTION audit_verify_start(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    b jsonb := audit_job_bounds();
    jid bigint;
BEGIN
    INSERT INTO audit_jobs (started_by, stage, bounds, total)
    VALUES (nullif(current_setting('folio.uid', true), '')::bigint, (audit_job_stages())[1], b, audit_job_total(b))
    RETURNING id INTO jid;
    RETURN audit_job_json(jid);
END
$$;

-- audit.verify_step {id} -> the job after about a second more of verification
-- (its own transaction); state done with the result once finished. Steps of a
-- finished job just return it.
CREATE OR REPLACE FUNCTION audit_verify_step(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    RETURN audit_job_run((p->>'id')::bigint, interval '1 second');
END
$$;

-- audit.verify_status {id} -> the job, without advancing it.
CREATE OR REPLACE FUNCTION audit_verify_status(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    r jsonb := audit_job_json((p->>'id')::bigint);
BEGIN
    IF r IS NULL THEN
        PERFORM fail('FL002', format('audit job %s not found', p->>'id'), 'id');
    END IF;
    RETURN r;
END
$$;

-- The highest id of a table the incremental run walks (NULL-safe 0).
CREATE OR REPLACE FUNCTION audit_mark(subj text) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT m.last_id FROM audit_marks m WHERE m.subject = subj), 0)
$$;

-- The incremental run (see the top of this file) -> {ok, problems, truncated,
-- mode: "incremental", checked: {subject: {from, to}}, last_full: {job,
-- finished_at, ok} | null}.
CREATE OR REPLACE FUNCTION audit_verify_new() RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    probs jsonb := '[]';
    checked jsonb := '{}';
    marks jsonb := '[]';
    h record;
    anchor record;
    subj text;
    mk bigint;
    mh text;
    ids bigint[];
    new_inv bigint[] := '{}';
    new_cn bigint[] := '{}';
    inv_ids bigint[];
    alloc_ids bigint[];
    pay_ids bigint[];
    lo jsonb := '{}';
    hi jsonb := '{}';
    t text;
    d0 date;
    d1 date;
    n int;
BEGIN
    -- Nothing verified yet: this run would check everything in one request,
    -- which on big books ends in the statement timeout. Say what to do instead.
    IF NOT EXISTS (SELECT 1 FROM audit_marks)
       AND (SELECT coalesce(sum(x.head_seq), 0) FROM audit_series_heads() x) > 100000 THEN
        PERFORM fail('FL003', 'nothing has been verified yet and the books are big: run a full verification first '
                              '(audit.verify_start and audit.verify_step, or folio audit verify --full)');
    END IF;
    -- Series: the documents after each mark, chained to the mark's hash.
    FOR h IN SELECT * FROM audit_series_heads() LOOP
        subj := h.kind || '/' || h.period;
        SELECT m.last_id, m.last_hash INTO mk, mh FROM audit_marks m WHERE m.subject = subj;
        mk := coalesce(mk, 0);
        IF mk > 0 THEN
            IF h.kind = 'invoice' THEN
                SELECT v.id, v.number, v.hash INTO anchor FROM invoices v WHERE v.series_period = h.period AND v.seq = mk;
            ELSE
                SELECT n.id, n.number, n.hash INTO anchor FROM credit_notes n WHERE n.series_period = h.period AND n.seq = mk;
            END IF;
            IF anchor.id IS NULL OR anchor.hash IS DISTINCT FROM mh THEN
                probs := probs || jsonb_build_array(jsonb_build_object(
                    'kind', 'hash', 'entity', h.kind, 'id', anchor.id, 'number', anchor.number,
                    'message', format('%s series %s: the last verified document (sequence %s) %s', replace(h.kind, '_', ' '),
                                      h.period, mk, CASE WHEN anchor.id IS NULL THEN 'is gone'
                                                         ELSE 'no longer carries the hash it was verified with' END)));
            END IF;
        END IF;
        IF h.head_seq > mk THEN
            IF h.kind = 'invoice' THEN
                ids := ARRAY(SELECT v.id FROM invoices v WHERE v.series_period = h.period AND v.seq > mk AND v.seq <= h.head_seq
                              ORDER BY v.seq);
                probs := probs || audit_invoice_documents(ids, mk, mh);
                new_inv := new_inv || ids;
            ELSE
                ids := ARRAY(SELECT n.id FROM credit_notes n WHERE n.series_period = h.period AND n.seq > mk AND n.seq <= h.head_seq
                              ORDER BY n.seq);
                probs := probs || audit_credit_note_documents(ids, mk, mh);
                new_cn := new_cn || ids;
            END IF;
            checked := checked || jsonb_build_object(subj, jsonb_build_object('from', mk + 1, 'to', h.head_seq));
            marks := marks || jsonb_build_array(jsonb_build_object('subject', subj, 'last_id', h.head_seq, 'last_hash', h.head_hash));
        END IF;
    END LOOP;
    probs := probs || audit_series_tails();
    probs := probs || audit_invoice_documents(ARRAY(SELECT v.id FROM invoices v WHERE v.status = 'draft'), 0, NULL);

    -- Tables: the rows after each mark (up to the highest id now).
    FOREACH t IN ARRAY ARRAY['payments', 'payment_allocations', 'refunds', 'receivable_events', 'stock_movements',
                             'audit_log'] LOOP
        lo := lo || jsonb_build_object(t, audit_mark(t));
        EXECUTE format('SELECT coalesce(max(id), 0) FROM %I', t) INTO mk;
        hi := hi || jsonb_build_object(t, mk);
        IF mk > (lo->>t)::bigint THEN
            checked := checked || jsonb_build_object(t, jsonb_build_object('from', (lo->>t)::bigint + 1, 'to', mk));
            marks := marks || jsonb_build_array(jsonb_build_object('subject', t, 'last_id', mk));
        END IF;
    END LOOP;
    -- Invoices newly issued or whose balance moved (a new receivable event).
    inv_ids := ARRAY(SELECT unnest(new_inv)
                     UNION
                     SELECT e.invoice_id FROM receivable_events e
                      WHERE e.id > (lo->>'receivable_events')::bigint AND e.id <= (hi->>'receivable_events')::bigint);
    -- Allocations new or changed (a changed one leaves a receivable event).
    alloc_ids := ARRAY(SELECT a.id FROM payment_allocations a
                        WHERE a.id > (lo->>'payment_allocations')::bigint AND a.id <= (hi->>'payment_allocations')::bigint
                       UNION
                       SELECT e.source_id FROM receivable_events e
                        WHERE e.id > (lo->>'receivable_events')::bigint AND e.id <= (hi->>'receivable_events')::bigint
                          AND e.source = 'allocation');
    -- Payments new, allocated or refunded.
    pay_ids := ARRAY(SELECT y.id FROM payments y
                      WHERE y.id > (lo->>'payments')::bigint AND y.id <= (hi->>'payments')::bigint
                     UNION
                     SELECT a.payment_id FROM payment_allocations a WHERE a.id = ANY (alloc_ids)
                     UNION
                     SELECT r.payment_id FROM refunds r
                      WHERE r.id > (lo->>'refunds')::bigint AND r.id <= (hi->>'refunds')::bigint);
    probs := probs || audit_invoice_states(inv_ids) || audit_payment_states(pay_ids) || audit_allocations(alloc_ids);
    probs := probs || audit_customer_balances(ARRAY(SELECT v.customer_id FROM invoices v WHERE v.id = ANY (inv_ids)
                                                    UNION
                                                    SELECT y.customer_id FROM payments y WHERE y.id = ANY (pay_ids)));
    SELECT min(x.day), max(x.day) INTO d0, d1
      FROM (SELECT v.issue_date AS day FROM invoices v WHERE v.id = ANY (new_inv)
            UNION ALL
            SELECT n.issue_date FROM credit_notes n WHERE n.id = ANY (new_cn)) x;
    IF d0 IS NOT NULL THEN
        probs := probs || audit_tax_percents(d0, d1) || audit_tax_daily(d0, d1);
    END IF;
    probs := probs || audit_stock(ARRAY(SELECT DISTINCT s.item_id FROM stock_movements s
                                         WHERE s.id > (lo->>'stock_movements')::bigint
                                           AND s.id <= (hi->>'stock_movements')::bigint));
    -- Orders changed since (every change to an order or a delivery leaves an audit
    -- entry), and those whose invoices were checked above (a void releases lines).
    probs := probs || audit_orders(ARRAY(
        SELECT a.entity_id FROM audit_log a
         WHERE a.id > (lo->>'audit_log')::bigint AND a.id <= (hi->>'audit_log')::bigint AND a.entity = 'order'
        UNION
        SELECT d.order_id FROM audit_log a JOIN deliveries d ON d.id = a.entity_id
         WHERE a.id > (lo->>'audit_log')::bigint AND a.id <= (hi->>'audit_log')::bigint AND a.entity = 'delivery'
        UNION
        SELECT x.order_id FROM order_invoice_lines x WHERE x.invoice_id = ANY (inv_ids)));

    n := jsonb_array_length(probs);
    IF n = 0 THEN
        PERFORM audit_save_marks(marks);
    END IF;
    RETURN audit_result(probs, n) || jsonb_build_object(
        'mode', 'incremental', 'checked', checked,
        'last_full', (SELECT jsonb_build_object('job', j.id, 'finished_at', ts_text(j.finished_at), 'ok', j.problem_count = 0)
                        FROM audit_jobs j WHERE j.finished_at IS NOT NULL ORDER BY j.finished_at DESC, j.id DESC LIMIT 1));
END
$$;

-- audit.verify {full?} -> {ok, problems: [{kind, entity, id, number, message}],
-- truncated, mode, checked, ...}: incremental by default; full: true runs a
-- whole full job in this one request (fine for small tenants; big ones use
-- audit.verify_start/_step, which `folio audit verify --full` drives).
CREATE OR REPLACE FUNCTION audit_verify(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    job jsonb;
BEGIN
    IF coalesce((p->>'full')::boolean, false) THEN
        job := audit_verify_start('{}');
        RETURN audit_job_run((job->>'id')::bigint, NULL)->'result';
    END IF;
    RETURN audit_verify_new();
END
$$;
