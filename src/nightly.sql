-------------------------------------------------------------------------------
-- The nightly run (src/nightly.sql, appended after src/outbox.sql by the
-- Makefile): plan, then queue what may go out on its own (seed 004), and its
-- pg_cron job.  doc/scheduling.md is the DBA's guide.
-------------------------------------------------------------------------------

-- Safe to run twice a day and after missed nights: planning is idempotent,
-- an executed action is not proposed again, and each entry moves at most
-- one level per run.  as_of is for replaying a day; pg_cron calls it bare.
CREATE FUNCTION dunning.run_nightly(as_of date DEFAULT NULL) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    this_run bigint;
    queued_now integer;
BEGIN
    as_of := COALESCE(as_of, dunning.today());
    this_run := dunning.plan(as_of);
    -- Phone and other actions stay on the to-do list; unticked ones stay.
    queued_now := dunning.queue_messages(
        ARRAY(SELECT a.action_id FROM dunning.action a
              WHERE a.status = 'proposed' AND a.selected AND a.auto_send AND a.media IN ('email', 'letter')
              ORDER BY a.action_id),
        as_of);
    UPDATE dunning.run r SET queued = queued_now WHERE r.run_id = this_run;
    RETURN this_run;
END
$$;
COMMENT ON FUNCTION dunning.run_nightly(date) IS
    'plans for a date (default today in settings.timezone), then queues every selected email and letter proposal whose step has auto_send; returns the run id';

-- The pg_cron job's name and command: fixed text, never configurable.
CREATE FUNCTION dunning.nightly_job_name() RETURNS text
    LANGUAGE sql IMMUTABLE
RETURN 'dunning-nightly';

-- SECURITY INVOKER: the job belongs to, and runs as, the role that calls
-- this, which needs USAGE on pg_cron's schema and EXECUTE on run_nightly.
CREATE FUNCTION dunning.schedule_nightly(cron text DEFAULT '0 1 * * *') RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job bigint;
BEGIN
    IF cron IS NULL OR cron !~ '\S' THEN
        RAISE EXCEPTION 'cron must be a schedule such as ''0 1 * * *'', got %', COALESCE(pg_catalog.quote_literal(cron), 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension e WHERE e.extname = 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed in database %', pg_catalog.quote_ident(pg_catalog.current_database())
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('pg_cron keeps its jobs in database %s (cron.database_name).',
                                             COALESCE(pg_catalog.quote_ident(pg_catalog.current_setting('cron.database_name', true)),
                                                      'postgres')),
                  HINT = pg_catalog.format('Connect to that database and run: SELECT cron.schedule_in_database(%L, %L, %L, %L);',
                                           dunning.nightly_job_name(), cron, 'SELECT dunning.run_nightly()',
                                           pg_catalog.current_database());
    END IF;
    -- Named: scheduling again replaces the schedule instead of adding a job.
    SELECT cron.schedule(dunning.nightly_job_name(), cron, 'SELECT dunning.run_nightly()') INTO job;
    RETURN job;
END
$$;
COMMENT ON FUNCTION dunning.schedule_nightly(text) IS
    'registers (or reschedules) the pg_cron job dunning-nightly that calls dunning.run_nightly(); pg_cron schedules are in GMT';

CREATE FUNCTION dunning.unschedule_nightly() RETURNS boolean
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension e WHERE e.extname = 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed in database %', pg_catalog.quote_ident(pg_catalog.current_database())
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = pg_catalog.format('In pg_cron''s database, run: SELECT cron.unschedule(%L);', dunning.nightly_job_name());
    END IF;
    IF NOT EXISTS (SELECT FROM cron.job j WHERE j.jobname = dunning.nightly_job_name()) THEN
        RETURN false;
    END IF;
    RETURN cron.unschedule(dunning.nightly_job_name());
END
$$;
COMMENT ON FUNCTION dunning.unschedule_nightly() IS
    'removes the pg_cron job dunning-nightly; false when there was none';

REVOKE ALL ON FUNCTION dunning.run_nightly(date), dunning.nightly_job_name(),
                       dunning.schedule_nightly(text), dunning.unschedule_nightly()
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dunning.run_nightly(date) TO dunning_admin, dunning_collector;
GRANT EXECUTE ON FUNCTION dunning.nightly_job_name(), dunning.schedule_nightly(text), dunning.unschedule_nightly()
    TO dunning_admin;
