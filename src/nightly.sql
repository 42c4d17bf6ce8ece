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

-- The pg_cron job's name: one per database, since pg_cron keeps the jobs of
-- every database of the cluster in one table, by name and user.  A name is
-- at most 63 bytes: a database name too long for it is replaced by its md5.
-- The job's command is fixed text, never configurable.
CREATE FUNCTION dunning.nightly_job_name() RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
RETURN CASE WHEN pg_catalog.octet_length(pg_catalog.current_database()) <= 47
            THEN 'dunning-nightly ' || pg_catalog.current_database()
            ELSE 'dunning-nightly ' || pg_catalog.md5(pg_catalog.current_database()) END;

-- cron.database_name is readable by superusers (and pg_read_all_settings)
-- only: a plain admin gets NULL instead of an error.
CREATE FUNCTION dunning.cron_database() RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN pg_catalog.current_setting('cron.database_name', true);
EXCEPTION WHEN insufficient_privilege THEN
    RETURN NULL;
END
$$;

-- Refuses, with the call to run by hand, when pg_cron is not in this
-- database.
CREATE FUNCTION dunning.require_pg_cron(cron text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_extension e WHERE e.extname = 'pg_cron') THEN
        RETURN;
    END IF;
    RAISE EXCEPTION 'pg_cron is not installed in database %', pg_catalog.quote_ident(pg_catalog.current_database())
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = pg_catalog.format('pg_cron keeps its jobs in the database named by cron.database_name (%s).',
                                         COALESCE(pg_catalog.quote_ident(dunning.cron_database()),
                                                  'postgres unless postgresql.conf says otherwise')),
              HINT = CASE WHEN cron IS NULL
                          THEN pg_catalog.format('Connect to that database and run: SELECT cron.unschedule(%L);',
                                                 dunning.nightly_job_name())
                          ELSE pg_catalog.format('Connect to that database and run: SELECT cron.schedule_in_database(%L, %L, %L, %L);',
                                                 dunning.nightly_job_name(), cron, 'SELECT dunning.run_nightly()',
                                                 pg_catalog.current_database()) END;
END
$$;

-- SECURITY INVOKER: the job belongs to, and runs as, the role that calls
-- this, which needs USAGE on pg_cron's schema, EXECUTE on run_nightly, and
-- LOGIN (pg_cron connects as that role).
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
    PERFORM dunning.require_pg_cron(cron);
    IF NOT (SELECT r.rolcanlogin FROM pg_catalog.pg_roles r WHERE r.rolname = CURRENT_USER) THEN
        RAISE EXCEPTION 'the nightly job would run as role %, which cannot log in', pg_catalog.quote_ident(CURRENT_USER)
            USING ERRCODE = 'invalid_authorization_specification',
                  DETAIL = 'pg_cron runs a job by connecting as the role that scheduled it.',
                  HINT = 'Schedule it as a login role that is a member of dunning_admin (RESET ROLE first).';
    END IF;
    -- Named: scheduling again replaces the schedule instead of adding a job.
    SELECT cron.schedule(dunning.nightly_job_name(), cron, 'SELECT dunning.run_nightly()') INTO job;
    RETURN job;
END
$$;
COMMENT ON FUNCTION dunning.schedule_nightly(text) IS
    'registers (or reschedules) this database''s pg_cron job "dunning-nightly <database>" that calls dunning.run_nightly(); pg_cron schedules are in GMT';

CREATE FUNCTION dunning.unschedule_nightly() RETURNS boolean
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM dunning.require_pg_cron(NULL);
    -- cron.unschedule(name) finds the caller's own job only.
    IF NOT EXISTS (SELECT FROM cron.job j
                   WHERE j.jobname = dunning.nightly_job_name() AND j.username = CURRENT_USER) THEN
        RETURN false;
    END IF;
    RETURN cron.unschedule(dunning.nightly_job_name());
END
$$;
COMMENT ON FUNCTION dunning.unschedule_nightly() IS
    'removes this database''s pg_cron job scheduled by the current role; false when there was none';

REVOKE ALL ON FUNCTION dunning.run_nightly(date), dunning.nightly_job_name(), dunning.cron_database(),
                       dunning.require_pg_cron(text), dunning.schedule_nightly(text), dunning.unschedule_nightly()
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dunning.run_nightly(date) TO dunning_admin, dunning_collector;
-- The scheduling functions run with the admin's privileges, and so call
-- their helpers with them.
GRANT EXECUTE ON FUNCTION dunning.nightly_job_name(), dunning.cron_database(), dunning.require_pg_cron(text),
                          dunning.schedule_nightly(text), dunning.unschedule_nightly()
    TO dunning_admin;
