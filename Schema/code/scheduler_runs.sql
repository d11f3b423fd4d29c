-- The daily scheduler (contract v1.1 "Collections"): foliod visits each tenant
-- when its next check is due and, once a day after --scheduler-time in the tenant's time zone, runs
-- recurring.run then reminder.run for that local day. A run is guarded twice:
-- a transaction-level advisory lock per (tenant, job) taken with try (a second
-- server skips instead of waiting) and the unique row (day, job) in
-- scheduler_runs, which once finished without error is never run again.

-- The jobs due now for this tenant: [{job, day}] in order (recurring.run,
-- reminder.run), for the tenant's local day, when its local time is at or past
-- p_time (HH:MM) and the tenant existed at that moment (a tenant created later
-- in the day is first visited the next day); jobs of that day already finished
-- without error are left out. Returns {jobs, next_check}: next_check (Unix
-- seconds) is when to look again if nothing is due, the tenant's next scheduler
-- time but at most an hour away (so a changed time zone is seen within the hour).
CREATE OR REPLACE FUNCTION scheduler_due(p_time text, p_created timestamptz) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    tz text := (SELECT s.timezone FROM settings s);
    local_ts timestamp := now() AT TIME ZONE tz;
    run_day date := local_ts::date;
    next_run timestamptz := ((run_day + CASE WHEN local_ts::time < p_time::time THEN 0 ELSE 1 END) + p_time::time)
                            AT TIME ZONE tz;
    next_check numeric := extract(epoch FROM least(next_run, now() + interval '1 hour'));
BEGIN
    IF local_ts::time < p_time::time OR p_created > ((run_day + p_time::time) AT TIME ZONE tz) THEN
        RETURN jsonb_build_object('jobs', '[]'::jsonb, 'next_check', next_check);
    END IF;
    RETURN jsonb_build_object(
        'jobs', (SELECT coalesce(jsonb_agg(jsonb_build_object('job', j.job, 'day', date_text(run_day)) ORDER BY j.ord), '[]')
                   FROM (VALUES (1, 'recurring.run'), (2, 'reminder.run')) j(ord, job)
                  WHERE NOT EXISTS (SELECT 1 FROM scheduler_runs r
                                     WHERE r.day = run_day AND r.job = j.job
                                       AND r.finished_at IS NOT NULL AND r.error IS NULL)),
        'next_check', next_check);
END
$$;

-- The scheduler run result object.
CREATE OR REPLACE FUNCTION scheduler_run_json(r record) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN jsonb_build_object('id', r.id, 'job', r.job, 'day', date_text(r.day), 'started_at', ts_text(r.started_at),
                              'finished_at', ts_text(r.finished_at), 'counts', r.counts, 'error', r.error,
                              'attempts', r.attempts);
END
$$;

-- Runs job p_job ('recurring.run' or 'reminder.run') for day p_day in this
-- transaction, unless another server holds the job's lock or the day's run is
-- already finished (then NULL). Records the run with its counts; an error
-- aborts the transaction and the caller records it with scheduler_failed.
CREATE OR REPLACE FUNCTION scheduler_run(p_job text, p_day date) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    res jsonb;
    job_counts jsonb;
BEGIN
    IF p_job NOT IN ('recurring.run', 'reminder.run') THEN
        PERFORM fail('FL602', format('unknown scheduler job %s', p_job), 'job');
    END IF;
    IF NOT pg_try_advisory_xact_lock(hashtext('folio.scheduler'), hashtext(current_schema() || '/' || p_job)) THEN
        RETURN NULL;
    END IF;
    SELECT * INTO r FROM scheduler_runs WHERE day = p_day AND job = p_job;
    IF r.id IS NOT NULL AND r.finished_at IS NOT NULL AND r.error IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO scheduler_runs (day, job) VALUES (p_day, p_job)
    ON CONFLICT (day, job) DO UPDATE SET started_at = now(), attempts = scheduler_runs.attempts + 1
    RETURNING * INTO r;
    IF p_job = 'recurring.run' THEN
        res := recurring_run(jsonb_build_object('as_of', date_text(p_day)));
        job_counts := jsonb_build_object('generated', jsonb_array_length(res->'generated'),
                                     'failed', jsonb_array_length(res->'failed'));
    ELSE
        res := reminder_run(jsonb_build_object('as_of', date_text(p_day)));
        job_counts := jsonb_build_object('created', jsonb_array_length(res->'created'),
                                     'disputed', res->'skipped'->'disputed', 'not_due', res->'skipped'->'not_due');
    END IF;
    UPDATE scheduler_runs SET finished_at = clock_timestamp(), counts = job_counts, error = NULL
     WHERE id = r.id RETURNING * INTO r;
    RETURN scheduler_run_json(r);
END
$$;

-- Records a failed run of p_job for p_day (retried on the next pass).
CREATE OR REPLACE FUNCTION scheduler_failed(p_job text, p_day date, p_error text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
    INSERT INTO scheduler_runs (day, job, error) VALUES (p_day, p_job, left(p_error, 2000))
    ON CONFLICT (day, job) DO UPDATE SET error = left(p_error, 2000), finished_at = NULL,
                                         attempts = scheduler_runs.attempts + 1
    WHERE scheduler_runs.finished_at IS NULL OR scheduler_runs.error IS NOT NULL
    RETURNING * INTO r;
    RETURN scheduler_run_json(r);
END
$$;

-- scheduler.list {job?, limit?, cursor?}: the scheduler's runs by id.
CREATE OR REPLACE FUNCTION scheduler_list(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    lim int := page_limit(p);
    after bigint := page_after(p);
    j text := p->>'job';
BEGIN
    RETURN page_of((SELECT coalesce(jsonb_agg(scheduler_run_json(r) ORDER BY r.id), '[]')
                      FROM (SELECT * FROM scheduler_runs WHERE id > after AND (j IS NULL OR job = j) ORDER BY id LIMIT lim + 1) r), lim);
END
$$;
