-- nightly.sql: dunning.run_nightly() and the pg_cron job's functions.
--
-- SPEC.md, "Running": "dunning.run_nightly(): plan, then dispatch every
-- selected proposal whose step has auto_send (email and letter go to the
-- outbox; phone and other stay on the to-do list).
-- dunning.schedule_nightly(cron text default '0 1 * * *'): registers the
-- pg_cron job (01:00 UTC, seed 004); a clear error when pg_cron is missing".
-- Issue 4: "safe to run twice in a day and after a missed night (no
-- duplicate, no burst)"; "otherwise a clear error that prints the exact
-- cron.schedule_in_database call to run in pg_cron's database".
-- Seed 004: "La fonctionnalité "Envoi auto" permet d'envoyer
-- automatiquement toutes les actions de relance, pour lesquelles le choix se
-- positionne sur "Oui"."
--
-- This database has no pg_cron (it is preloaded in the cluster, created in
-- database postgres only): test/t/005_nightly_cron.t runs the job for real.
BEGIN;
SELECT plan(20);
SET LOCAL client_min_messages = warning;

-------------------------------------------------------------------------------
-- Auto-send on the email steps of the Standard scenario with email, and on
-- R1 of profile Phone (by phone); not on letters.
-------------------------------------------------------------------------------
CREATE TEMPORARY TABLE made_profiles AS SELECT dunning.create_profile('Phone', 10, NULL) AS profile_id;
UPDATE dunning.step st SET media = 'phone', template_id = NULL
  FROM dunning.scenario sc JOIN dunning.profile p ON p.profile_id = sc.profile_id
 WHERE st.scenario_id = sc.scenario_id AND p.name = 'Phone' AND sc.audience = 'with_email' AND st.step = 'R1';
UPDATE dunning.step st SET auto_send = true
  FROM dunning.scenario sc
 WHERE st.scenario_id = sc.scenario_id AND sc.audience = 'with_email' AND st.media IN ('email', 'phone');

-- Every invoice due on 2026-06-01: R1 due on 2026-06-06.
INSERT INTO dunning.customer (customer_id, name, email, language, profile) VALUES
    ('N1', 'Email auto',   'ap@n1.example', 'fr', NULL),
    ('N2', 'Letter',       NULL,            'fr', NULL),
    ('N3', 'Unticked',     'ap@n3.example', 'fr', NULL),
    ('N4', 'Phone',        'ap@n4.example', 'fr', 'Phone');
INSERT INTO dunning.entry (entry_id, customer_id, document_number, kind, document_date, due_date,
                           amount, open_amount, currency) VALUES
    ('N1-1', 'N1', 'FA-1', 'invoice', '2026-05-01', '2026-06-01', 100, 100, 'EUR'),
    ('N2-1', 'N2', 'FA-2', 'invoice', '2026-05-01', '2026-06-01', 200, 200, 'EUR'),
    ('N3-1', 'N3', 'FA-3', 'invoice', '2026-05-01', '2026-06-01', 300, 300, 'EUR'),
    ('N4-1', 'N4', 'FA-4', 'invoice', '2026-05-01', '2026-06-01', 400, 400, 'EUR');

-- A collector unticks N3 after the afternoon's plan: the night keeps it.
SELECT dunning.plan('2026-06-30');
SELECT dunning.untick((SELECT a.action_id FROM dunning.action a WHERE a.customer_id = 'N3'));

CREATE TEMPORARY TABLE night1 AS SELECT dunning.run_nightly('2026-06-30') AS run_id;
SELECT results_eq(
    $$SELECT r.as_of, r.proposals, r.queued, r.status FROM dunning.run r WHERE r.run_id = (SELECT run_id FROM night1)$$,
    $$VALUES (date '2026-06-30', 4::bigint, 1::bigint, 'done')$$,
    'run_nightly plans the date and records how many messages it queued');
SELECT results_eq(
    $$SELECT o.customer_id, o.media::text, o.status FROM dunning.outbox o ORDER BY 1$$,
    $$VALUES ('N1', 'email', 'queued')$$,
    'only the selected email proposal whose step has auto_send is queued');
SELECT results_eq(
    $$SELECT a.customer_id, a.status, a.selected, a.executed_on FROM dunning.action a ORDER BY 1$$,
    $$VALUES ('N1', 'queued', true, date '2026-06-30'), ('N2', 'proposed', true, NULL::date),
             ('N3', 'proposed', false, NULL), ('N4', 'proposed', true, NULL)$$,
    'the letter (no auto_send), the unticked email and the phone call stay proposed');
SELECT results_eq($$SELECT customer_id, media::text FROM dunning.todo$$, $$VALUES ('N4', 'phone')$$,
                  'the phone call waits on the to-do list, auto_send or not');
SELECT results_eq($$SELECT entry_id, level::text, last_dunned_on FROM dunning.entry_state ORDER BY 1$$,
                  $$VALUES ('N1-1', 'R1', date '2026-06-30')$$,
                  'the queued reminder moved its entry to R1');

-- Twice the same day: no duplicate.
CREATE TEMPORARY TABLE night2 AS SELECT dunning.run_nightly('2026-06-30') AS run_id;
SELECT isnt((SELECT run_id FROM night2), (SELECT run_id FROM night1), 'a second run the same day is a run of its own');
SELECT is((SELECT r.queued FROM dunning.run r WHERE r.run_id = (SELECT run_id FROM night2)), 0::bigint,
          'the second run the same day queues nothing');
SELECT is((SELECT count(*) FROM dunning.outbox), 1::bigint, 'still one message');
SELECT is((SELECT count(*) FROM dunning.action WHERE status = 'proposed'), 3::bigint,
          'still three proposals, none duplicated');

-- The collector ticks N3 again: the next night sends it.
SELECT dunning.tick((SELECT a.action_id FROM dunning.action a WHERE a.customer_id = 'N3'));
SELECT dunning.run_nightly('2026-07-01');
SELECT results_eq($$SELECT o.customer_id FROM dunning.outbox o ORDER BY o.message_id$$, $$VALUES ('N1'), ('N3')$$,
                  'ticked again, N3''s reminder goes the next night');

-- Three months without a night: one level per run, no burst.
CREATE TEMPORARY TABLE late AS SELECT dunning.run_nightly('2026-09-30') AS run_id;
SELECT results_eq(
    $$SELECT a.customer_id, a.step::text, a.status FROM dunning.action a
       WHERE a.run_id = (SELECT run_id FROM late) ORDER BY 1$$,
    $$VALUES ('N1', 'R2', 'queued'), ('N2', 'R1', 'proposed'), ('N3', 'R2', 'queued'), ('N4', 'R1', 'proposed')$$,
    'after missed nights, each customer gets the next step only (R2, not R2 and R3); the letter and the call are still waiting at R1');
SELECT results_eq($$SELECT entry_id, level::text FROM dunning.entry_state WHERE entry_id IN ('N1-1', 'N3-1') ORDER BY 1$$,
                  $$VALUES ('N1-1', 'R2'), ('N3-1', 'R2')$$,
                  'their entries are at R2');
SELECT is((SELECT r.queued FROM dunning.run r WHERE r.run_id = (SELECT run_id FROM late)), 2::bigint,
          'the late night queued two messages');
SELECT is((SELECT count(*) FROM dunning.outbox), (SELECT count(DISTINCT action_id) FROM dunning.outbox),
          'one message per action');

-- Bad date: refused, nothing changed.
SELECT throws_ok($$SELECT dunning.run_nightly('2026-06-01')$$, '22023',
                 'as_of 2026-06-01 is before the date of the last run, 2026-09-30',
                 'a night before the last run is refused');

-------------------------------------------------------------------------------
-- Scheduling without pg_cron in this database: the exact call to run there.
-------------------------------------------------------------------------------
SELECT throws_ok($$SELECT dunning.schedule_nightly()$$, '55000',
                 pg_catalog.format('pg_cron is not installed in database %s', pg_catalog.quote_ident(pg_catalog.current_database())),
                 'schedule_nightly without pg_cron here: a clear error');
CREATE FUNCTION pg_temp.error_hint(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    hint text;
BEGIN
    EXECUTE sql;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS hint = PG_EXCEPTION_HINT;
    RETURN hint;
END
$$;
SELECT is(pg_temp.error_hint($$SELECT dunning.schedule_nightly('30 1 * * *')$$),
          pg_catalog.format('Connect to that database and run: SELECT cron.schedule_in_database(%L, ''30 1 * * *'', ''SELECT dunning.run_nightly()'', %L);',
                            'dunning-nightly ' || pg_catalog.current_database(), pg_catalog.current_database()),
          'its hint is the exact cron.schedule_in_database call, with this database and the schedule');
SELECT throws_ok($$SELECT dunning.unschedule_nightly()$$, '55000',
                 pg_catalog.format('pg_cron is not installed in database %s', pg_catalog.quote_ident(pg_catalog.current_database())),
                 'unschedule_nightly without pg_cron here: the same error');
SELECT throws_ok($$SELECT dunning.schedule_nightly(NULL)$$, '22023',
                 'cron must be a schedule such as ''0 1 * * *'', got NULL', 'a NULL schedule is refused');
SELECT is(dunning.nightly_job_name(), 'dunning-nightly ' || pg_catalog.current_database(),
          'the job is named after the database: pg_cron keeps every database''s jobs in one table');

SELECT * FROM finish();
ROLLBACK;
