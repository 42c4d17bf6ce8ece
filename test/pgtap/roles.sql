-- roles.sql: the four roles of dunning and what each may do.
--
-- Proves that dunning_admin, dunning_collector, dunning_sender and
-- dunning_reader exist as NOLOGIN, non-superuser roles; that the privileges
-- on schema dunning, its tables, views, sequences, types and functions are
-- exactly those granted at the end of src/dunning.sql (for each role and for
-- PUBLIC, so that an extra or a missing grant fails); and, by SET ROLE, that a
-- role holding none of them reaches nothing, that a collector reads but does
-- not write, that the admin runs the whole configuration flow, and that
-- senders and readers see no configuration or ledger but can use
-- dunning.level.
BEGIN;
SELECT plan(298);

-------------------------------------------------------------------------------
-- The roles.
-------------------------------------------------------------------------------
SELECT has_role('dunning_admin');
SELECT has_role('dunning_collector');
SELECT has_role('dunning_sender');
SELECT has_role('dunning_reader');
SELECT isnt_superuser('dunning_admin');
SELECT isnt_superuser('dunning_collector');
SELECT isnt_superuser('dunning_sender');
SELECT isnt_superuser('dunning_reader');

SELECT results_eq(
    $$SELECT r.rolname::text COLLATE "default", r.rolcanlogin, r.rolcreatedb, r.rolcreaterole,
             r.rolreplication, r.rolbypassrls
        FROM pg_catalog.pg_roles r
       WHERE r.rolname IN ('dunning_admin', 'dunning_collector', 'dunning_sender', 'dunning_reader')
       ORDER BY r.rolname$$,
    $$VALUES ('dunning_admin', false, false, false, false, false),
             ('dunning_collector', false, false, false, false, false),
             ('dunning_reader', false, false, false, false, false),
             ('dunning_sender', false, false, false, false, false)$$,
    'the four roles are NOLOGIN and hold no other attribute'
);

SELECT is_empty(
    $$SELECT m.member::regrole::text, m.roleid::regrole::text
        FROM pg_catalog.pg_auth_members m
       WHERE m.member::regrole::text IN ('dunning_admin', 'dunning_collector', 'dunning_sender', 'dunning_reader')$$,
    'none of the four roles is a member of another role'
);

-------------------------------------------------------------------------------
-- Schema.
-------------------------------------------------------------------------------
SELECT schema_privs_are('dunning', 'dunning_admin', ARRAY['USAGE']);
SELECT schema_privs_are('dunning', 'dunning_collector', ARRAY['USAGE']);
SELECT schema_privs_are('dunning', 'dunning_sender', ARRAY['USAGE']);
SELECT schema_privs_are('dunning', 'dunning_reader', ARRAY['USAGE']);
SELECT schema_privs_are('dunning', 'public', ARRAY[]::name[]);

-------------------------------------------------------------------------------
-- Tables and views: dunning_admin.
-------------------------------------------------------------------------------
SELECT table_privs_are('dunning', 'settings', 'dunning_admin', ARRAY['SELECT', 'UPDATE']);
SELECT table_privs_are('dunning', 'template', 'dunning_admin', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
SELECT table_privs_are('dunning', 'profile', 'dunning_admin', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
SELECT table_privs_are('dunning', 'scenario', 'dunning_admin', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
SELECT table_privs_are('dunning', 'step', 'dunning_admin', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
SELECT table_privs_are('dunning', 'customer', 'dunning_admin', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']);
SELECT table_privs_are('dunning', 'entry', 'dunning_admin', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']);
SELECT table_privs_are('dunning', 'scenario_overview', 'dunning_admin', ARRAY['SELECT']);
SELECT table_privs_are('dunning', 'ledger_contract', 'dunning_admin', ARRAY['SELECT']);
SELECT table_privs_are('dunning', 'scenario_steps', 'dunning_admin', ARRAY['SELECT']);
SELECT table_privs_are('dunning', 'scenario_steps', 'dunning_collector', ARRAY['SELECT']);
SELECT table_privs_are('dunning', 'scenario_steps', 'dunning_sender', ARRAY[]::name[]);
SELECT table_privs_are('dunning', 'scenario_steps', 'dunning_reader', ARRAY[]::name[]);

-- dunning_collector: reads configuration and ledger, not the contract view.
SELECT table_privs_are('dunning', 'settings', 'dunning_collector', ARRAY['SELECT']);
SELECT table_privs_are('dunning', 'template', 'dunning_collector', ARRAY['SELECT']);
SELECT table_privs_are('dunning', 'profile', 'dunning_collector', ARRAY['SELECT']);
SELECT table_privs_are('dunning', 'scenario', 'dunning_collector', ARRAY['SELECT']);
SELECT table_privs_are('dunning', 'step', 'dunning_collector', ARRAY['SELECT']);
SELECT table_privs_are('dunning', 'customer', 'dunning_collector', ARRAY['SELECT']);
SELECT table_privs_are('dunning', 'entry', 'dunning_collector', ARRAY['SELECT']);
SELECT table_privs_are('dunning', 'scenario_overview', 'dunning_collector', ARRAY['SELECT']);
SELECT table_privs_are('dunning', 'ledger_contract', 'dunning_collector', ARRAY[]::name[]);

-- dunning_sender: no table at all (it reaches the outbox through claim, ack
-- and nack only).
SELECT table_privs_are('dunning', 'settings', 'dunning_sender', ARRAY[]::name[]);
SELECT table_privs_are('dunning', 'template', 'dunning_sender', ARRAY[]::name[]);
SELECT table_privs_are('dunning', 'profile', 'dunning_sender', ARRAY[]::name[]);
SELECT table_privs_are('dunning', 'scenario', 'dunning_sender', ARRAY[]::name[]);
SELECT table_privs_are('dunning', 'step', 'dunning_sender', ARRAY[]::name[]);
SELECT table_privs_are('dunning', 'customer', 'dunning_sender', ARRAY[]::name[]);
SELECT table_privs_are('dunning', 'entry', 'dunning_sender', ARRAY[]::name[]);
SELECT table_privs_are('dunning', 'scenario_overview', 'dunning_sender', ARRAY[]::name[]);
SELECT table_privs_are('dunning', 'ledger_contract', 'dunning_sender', ARRAY[]::name[]);

-- dunning_reader: nothing (the reporting views do not exist yet).
SELECT table_privs_are('dunning', 'settings', 'dunning_reader', ARRAY[]::name[]);
SELECT table_privs_are('dunning', 'template', 'dunning_reader', ARRAY[]::name[]);
SELECT table_privs_are('dunning', 'profile', 'dunning_reader', ARRAY[]::name[]);
SELECT table_privs_are('dunning', 'scenario', 'dunning_reader', ARRAY[]::name[]);
SELECT table_privs_are('dunning', 'step', 'dunning_reader', ARRAY[]::name[]);
SELECT table_privs_are('dunning', 'customer', 'dunning_reader', ARRAY[]::name[]);
SELECT table_privs_are('dunning', 'entry', 'dunning_reader', ARRAY[]::name[]);
SELECT table_privs_are('dunning', 'scenario_overview', 'dunning_reader', ARRAY[]::name[]);
SELECT table_privs_are('dunning', 'ledger_contract', 'dunning_reader', ARRAY[]::name[]);

-- The planner's tables and views: admins and collectors read them all (they
-- change only through the SECURITY DEFINER functions), readers the views.
SELECT table_privs_are('dunning', t, r, CASE WHEN r IN ('dunning_admin', 'dunning_collector') THEN ARRAY['SELECT']
                                              WHEN r = 'dunning_reader' AND t IN ('proposal', 'batch', 'todo', 'activity', 'outbox_status') THEN ARRAY['SELECT']
                                              ELSE ARRAY[]::name[] END)
FROM unnest(ARRAY['run', 'customer_state', 'entry_state', 'action', 'action_entry', 'action_event', 'selection', 'anomaly',
                  'outbox', 'outbox_status', 'proposal', 'batch', 'todo', 'activity']) AS t,
     unnest(ARRAY['dunning_admin', 'dunning_collector', 'dunning_sender', 'dunning_reader', 'public']) AS r;

-- The reporting views: readers, admins and collectors read them all.
SELECT table_privs_are('dunning', t, r, CASE WHEN r IN ('dunning_admin', 'dunning_collector', 'dunning_reader')
                                              THEN ARRAY['SELECT'] ELSE ARRAY[]::name[] END)
FROM unnest(ARRAY['amount_to_dun', 'collector_todo', 'reminders_per_day', 'reminder_counts', 'ageing', 'dso']) AS t,
     unnest(ARRAY['dunning_admin', 'dunning_collector', 'dunning_sender', 'dunning_reader', 'public']) AS r;

-- PUBLIC: nothing.
SELECT table_privs_are('dunning', 'settings', 'public', ARRAY[]::name[]);
SELECT table_privs_are('dunning', 'template', 'public', ARRAY[]::name[]);
SELECT table_privs_are('dunning', 'profile', 'public', ARRAY[]::name[]);
SELECT table_privs_are('dunning', 'scenario', 'public', ARRAY[]::name[]);
SELECT table_privs_are('dunning', 'step', 'public', ARRAY[]::name[]);
SELECT table_privs_are('dunning', 'customer', 'public', ARRAY[]::name[]);
SELECT table_privs_are('dunning', 'entry', 'public', ARRAY[]::name[]);
SELECT table_privs_are('dunning', 'scenario_overview', 'public', ARRAY[]::name[]);
SELECT table_privs_are('dunning', 'ledger_contract', 'public', ARRAY[]::name[]);

-- And for whatever relation schema dunning holds, now or later.
SELECT is_empty(
    $$SELECT c.oid::regclass::text, p.priv
        FROM pg_catalog.pg_class c
       CROSS JOIN pg_catalog.unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE',
                                          'REFERENCES', 'TRIGGER']) AS p (priv)
       WHERE c.relnamespace = 'dunning'::regnamespace
         AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
         AND pg_catalog.has_table_privilege('public', c.oid, p.priv)
      UNION ALL
      SELECT c.oid::regclass::text, p.priv
        FROM pg_catalog.pg_class c
       CROSS JOIN pg_catalog.unnest(ARRAY['SELECT', 'UPDATE', 'USAGE']) AS p (priv)
       WHERE c.relnamespace = 'dunning'::regnamespace AND c.relkind = 'S'
         AND pg_catalog.has_sequence_privilege('public', c.oid, p.priv)$$,
    'PUBLIC holds no privilege on any relation of schema dunning'
);

-------------------------------------------------------------------------------
-- Sequences.
-------------------------------------------------------------------------------
SELECT sequence_privs_are('dunning', 'template_id_seq', 'dunning_admin', ARRAY['USAGE', 'SELECT']);
SELECT sequence_privs_are('dunning', 'profile_id_seq', 'dunning_admin', ARRAY['USAGE', 'SELECT']);
SELECT sequence_privs_are('dunning', 'template_id_seq', 'dunning_collector', ARRAY[]::name[]);
SELECT sequence_privs_are('dunning', 'profile_id_seq', 'dunning_collector', ARRAY[]::name[]);
SELECT sequence_privs_are('dunning', 'template_id_seq', 'dunning_sender', ARRAY[]::name[]);
SELECT sequence_privs_are('dunning', 'profile_id_seq', 'dunning_sender', ARRAY[]::name[]);
SELECT sequence_privs_are('dunning', 'template_id_seq', 'dunning_reader', ARRAY[]::name[]);
SELECT sequence_privs_are('dunning', 'profile_id_seq', 'dunning_reader', ARRAY[]::name[]);
SELECT sequence_privs_are('dunning', 'template_id_seq', 'public', ARRAY[]::name[]);
SELECT sequence_privs_are('dunning', 'profile_id_seq', 'public', ARRAY[]::name[]);

-------------------------------------------------------------------------------
-- Types: level for all four roles, the value lists for all but the sender.
-------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT t.oid::regtype::text, g.grantee::text
        FROM pg_catalog.pg_type t
       CROSS JOIN pg_catalog.unnest(ARRAY['public', 'dunning_admin', 'dunning_collector',
                                          'dunning_sender', 'dunning_reader']) WITH ORDINALITY AS g (grantee, o)
       WHERE t.typnamespace = 'dunning'::regnamespace AND t.typtype IN ('b', 'e', 'd') AND t.typcategory <> 'A'
         AND pg_catalog.has_type_privilege(g.grantee, t.oid, 'USAGE')
       ORDER BY 1, g.o$$,
    $$VALUES ('dunning.audience', 'dunning_admin'), ('dunning.audience', 'dunning_collector'),
             ('dunning.audience', 'dunning_reader'),
             ('dunning.grouping_mode', 'dunning_admin'), ('dunning.grouping_mode', 'dunning_collector'),
             ('dunning.grouping_mode', 'dunning_reader'),
             ('dunning.level', 'dunning_admin'), ('dunning.level', 'dunning_collector'),
             ('dunning.level', 'dunning_sender'), ('dunning.level', 'dunning_reader'),
             ('dunning.media', 'dunning_admin'), ('dunning.media', 'dunning_collector'),
             ('dunning.media', 'dunning_reader'),
             ('dunning.step_name', 'dunning_admin'), ('dunning.step_name', 'dunning_collector'),
             ('dunning.step_name', 'dunning_reader'),
             ('dunning.steps', 'dunning_admin'), ('dunning.steps', 'dunning_collector'),
             ('dunning.steps', 'dunning_reader')$$,
    'USAGE on the types of schema dunning: level for the four roles, steps and the value lists for all but the sender, nothing for PUBLIC'
);

-------------------------------------------------------------------------------
-- Functions.
-------------------------------------------------------------------------------
SELECT function_privs_are('dunning', 'attach', ARRAY['regclass', 'regclass'], 'dunning_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('dunning', 'attach', ARRAY['regclass', 'regclass'], 'dunning_collector', ARRAY[]::name[]);
SELECT function_privs_are('dunning', 'attach', ARRAY['regclass', 'regclass'], 'dunning_sender', ARRAY[]::name[]);
SELECT function_privs_are('dunning', 'attach', ARRAY['regclass', 'regclass'], 'dunning_reader', ARRAY[]::name[]);
SELECT function_privs_are('dunning', 'attach', ARRAY['regclass', 'regclass'], 'public', ARRAY[]::name[]);

SELECT function_privs_are('dunning', 'detach', ARRAY[]::name[], 'dunning_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('dunning', 'detach', ARRAY[]::name[], 'dunning_collector', ARRAY[]::name[]);
SELECT function_privs_are('dunning', 'detach', ARRAY[]::name[], 'dunning_sender', ARRAY[]::name[]);
SELECT function_privs_are('dunning', 'detach', ARRAY[]::name[], 'dunning_reader', ARRAY[]::name[]);
SELECT function_privs_are('dunning', 'detach', ARRAY[]::name[], 'public', ARRAY[]::name[]);

SELECT function_privs_are('dunning', 'create_profile', ARRAY['text', 'integer', 'jsonb', 'text'], 'dunning_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('dunning', 'create_profile', ARRAY['text', 'integer', 'jsonb', 'text'], 'dunning_collector', ARRAY[]::name[]);
SELECT function_privs_are('dunning', 'create_profile', ARRAY['text', 'integer', 'jsonb', 'text'], 'dunning_sender', ARRAY[]::name[]);
SELECT function_privs_are('dunning', 'create_profile', ARRAY['text', 'integer', 'jsonb', 'text'], 'dunning_reader', ARRAY[]::name[]);
SELECT function_privs_are('dunning', 'create_profile', ARRAY['text', 'integer', 'jsonb', 'text'], 'public', ARRAY[]::name[]);

SELECT function_privs_are('dunning', 'criteria_check', ARRAY['jsonb'], 'dunning_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('dunning', 'criteria_check', ARRAY['jsonb'], 'dunning_collector', ARRAY[]::name[]);
SELECT function_privs_are('dunning', 'criteria_check', ARRAY['jsonb'], 'dunning_sender', ARRAY[]::name[]);
SELECT function_privs_are('dunning', 'criteria_check', ARRAY['jsonb'], 'dunning_reader', ARRAY[]::name[]);
SELECT function_privs_are('dunning', 'criteria_check', ARRAY['jsonb'], 'public', ARRAY[]::name[]);

SELECT function_privs_are('dunning', 'check_ledger_relation', ARRAY['regclass', 'text'], 'dunning_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('dunning', 'check_ledger_relation', ARRAY['regclass', 'text'], 'dunning_collector', ARRAY[]::name[]);
SELECT function_privs_are('dunning', 'check_ledger_relation', ARRAY['regclass', 'text'], 'dunning_sender', ARRAY[]::name[]);
SELECT function_privs_are('dunning', 'check_ledger_relation', ARRAY['regclass', 'text'], 'dunning_reader', ARRAY[]::name[]);
SELECT function_privs_are('dunning', 'check_ledger_relation', ARRAY['regclass', 'text'], 'public', ARRAY[]::name[]);

SELECT function_privs_are('dunning', 'level_in', ARRAY['cstring'], 'dunning_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('dunning', 'level_in', ARRAY['cstring'], 'dunning_collector', ARRAY['EXECUTE']);
SELECT function_privs_are('dunning', 'level_in', ARRAY['cstring'], 'dunning_sender', ARRAY['EXECUTE']);
SELECT function_privs_are('dunning', 'level_in', ARRAY['cstring'], 'dunning_reader', ARRAY['EXECUTE']);
SELECT function_privs_are('dunning', 'level_in', ARRAY['cstring'], 'public', ARRAY[]::name[]);

-- The min aggregate lives in pg_catalog (so that max(level) needs no
-- search_path); the install script grants it to the four roles, and
-- "nothing for PUBLIC" holds for it too.
SELECT function_privs_are('pg_catalog', 'min', ARRAY['dunning.level'], 'dunning_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('pg_catalog', 'min', ARRAY['dunning.level'], 'dunning_collector', ARRAY['EXECUTE']);
SELECT function_privs_are('pg_catalog', 'min', ARRAY['dunning.level'], 'dunning_sender', ARRAY['EXECUTE']);
SELECT function_privs_are('pg_catalog', 'min', ARRAY['dunning.level'], 'dunning_reader', ARRAY['EXECUTE']);
SELECT function_privs_are('pg_catalog', 'min', ARRAY['dunning.level'], 'public', ARRAY[]::name[]);

-- Every function of the extension, wherever it lives: who may execute it.
CREATE TEMPORARY TABLE dunning_function ON COMMIT DROP AS
SELECT p.oid, pg_catalog.format('%s.%s(%s)', n.nspname, p.proname,
                                pg_catalog.pg_get_function_identity_arguments(p.oid)) AS signature
  FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'dunning'
    OR EXISTS (SELECT FROM pg_catalog.pg_depend d
                WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid
                  AND d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.deptype = 'e'
                  AND d.refobjid = (SELECT e.oid FROM pg_catalog.pg_extension e
                                     WHERE e.extname = 'dunning'));

CREATE TEMPORARY TABLE dunning_level_function (signature text) ON COMMIT DROP;
INSERT INTO dunning_level_function VALUES
    ('dunning.level_in(cstring)'), ('dunning.level_out(dunning.level)'),
    ('dunning.level_recv(internal)'), ('dunning.level_send(dunning.level)'),
    ('dunning.level_eq(dunning.level, dunning.level)'), ('dunning.level_ne(dunning.level, dunning.level)'),
    ('dunning.level_lt(dunning.level, dunning.level)'), ('dunning.level_le(dunning.level, dunning.level)'),
    ('dunning.level_gt(dunning.level, dunning.level)'), ('dunning.level_ge(dunning.level, dunning.level)'),
    ('dunning.level_cmp(dunning.level, dunning.level)'), ('dunning.level_sortsupport(internal)'),
    ('dunning.level_hash(dunning.level)'), ('dunning.level_hash_extended(dunning.level, bigint)'),
    ('dunning.level_smaller(dunning.level, dunning.level)'), ('dunning.level_larger(dunning.level, dunning.level)'),
    ('pg_catalog.min(dunning.level)'), ('pg_catalog.max(dunning.level)'),
    ('dunning.level_to_int4(dunning.level)'), ('dunning.int4_to_level(integer)');

-- The steps type and the rule functions: for reporting SQL, not for senders.
CREATE TEMPORARY TABLE dunning_rule_function (signature text) ON COMMIT DROP;
INSERT INTO dunning_rule_function VALUES
    ('dunning.steps_in(cstring)'), ('dunning.steps_out(dunning.steps)'),
    ('dunning.steps_recv(internal)'), ('dunning.steps_send(dunning.steps)'),
    ('dunning.next_level(steps dunning.steps, level dunning.level, due_date date, as_of date, is_credit boolean)'),
    ('dunning.next_due_on(steps dunning.steps, level dunning.level, next_level dunning.level, due_date date, last_dunned_on date)'),
    ('dunning.next_reminder_on(steps dunning.steps, level dunning.level, due_date date, last_dunned_on date, as_of date, is_credit boolean)'),
    ('dunning.statement_level(level dunning.level, next_level dunning.level, next_due_on date, as_of date)'),
    ('dunning.today()'), ('dunning.level_step(level dunning.level)'),
    ('dunning.criteria_match(criteria jsonb, customer jsonb)'),
    ('dunning.profile_of(criteria jsonb[], profile_ids bigint[], customer_id text, name text, email text, language text, collector text, stop_dunning boolean, in_dispute boolean, attributes jsonb)');

-- The planner and the collector's actions: collectors and admins.
CREATE TEMPORARY TABLE dunning_planner_function (signature text) ON COMMIT DROP;
INSERT INTO dunning_planner_function VALUES
    ('dunning.plan(as_of date)'), ('dunning.explain(customer_id text, as_of date)'),
    ('dunning.send(media text, profile text, step text, executed_on date)'),
    ('dunning.download_letters(profile text, step text, executed_on date)'),
    ('dunning.mark_done(action_id bigint, note text, executed_on date)'),
    ('dunning.tick(action_id bigint)'), ('dunning.untick(action_id bigint)'),
    ('dunning.tick(action_id bigint, entry_id text)'), ('dunning.untick(action_id bigint, entry_id text)'),
    ('dunning.run_nightly(as_of date)'),
    ('dunning.render(template text, context jsonb, language text, html boolean)'),
    ('dunning.letter_document(title text, language text, pages text[])'), ('dunning.html_escape(t text)');

-- The reporting functions behind dunning.ageing and dunning.dso: readers,
-- collectors and admins.
CREATE TEMPORARY TABLE dunning_reporting_function (signature text) ON COMMIT DROP;
INSERT INTO dunning_reporting_function VALUES
    ('dunning.ageing_on(as_of date)'), ('dunning.dso_on(as_of date, period_days integer)');

-- The outbox protocol: senders only.
CREATE TEMPORARY TABLE dunning_sender_function (signature text) ON COMMIT DROP;
INSERT INTO dunning_sender_function VALUES
    ('dunning.claim(sender text, max integer, lease interval)'), ('dunning.ack(message_id bigint, token uuid)'),
    ('dunning.nack(message_id bigint, token uuid, error text, retry_in interval)');

SELECT is_empty(
    $$SELECT f.signature FROM dunning_function f
       WHERE pg_catalog.has_function_privilege('public', f.oid, 'EXECUTE')$$,
    'PUBLIC may execute no function of the extension'
);
SELECT set_eq(
    $$SELECT f.signature FROM dunning_function f
       WHERE pg_catalog.has_function_privilege('dunning_sender', f.oid, 'EXECUTE')$$,
    $$SELECT signature FROM dunning_level_function UNION ALL SELECT signature FROM dunning_sender_function$$,
    'dunning_sender may execute the level functions, claim, ack and nack, and nothing else'
);
SELECT set_eq(
    $$SELECT f.signature FROM dunning_function f
       WHERE pg_catalog.has_function_privilege('dunning_reader', f.oid, 'EXECUTE')$$,
    $$SELECT signature FROM dunning_level_function UNION ALL SELECT signature FROM dunning_rule_function
      UNION ALL SELECT signature FROM dunning_reporting_function$$,
    'dunning_reader may execute the level, rule and reporting functions and nothing else'
);
SELECT set_eq(
    $$SELECT f.signature FROM dunning_function f
       WHERE pg_catalog.has_function_privilege('dunning_collector', f.oid, 'EXECUTE')$$,
    $$SELECT signature FROM dunning_level_function UNION ALL SELECT signature FROM dunning_rule_function
      UNION ALL SELECT signature FROM dunning_planner_function
      UNION ALL SELECT signature FROM dunning_reporting_function$$,
    'dunning_collector may execute the level, rule, planner and reporting functions and nothing else'
);
SELECT set_eq(
    $$SELECT f.signature FROM dunning_function f
       WHERE pg_catalog.has_function_privilege('dunning_admin', f.oid, 'EXECUTE')$$,
    $$SELECT signature FROM dunning_level_function
      UNION ALL
      SELECT signature FROM dunning_rule_function
      UNION ALL
      SELECT signature FROM dunning_planner_function
      UNION ALL
      SELECT signature FROM dunning_reporting_function
      UNION ALL
      VALUES ('dunning.criteria_check(criteria jsonb)'),
             ('dunning.check_ledger_relation(relation regclass, contract text)'),
             ('dunning.attach(customers regclass, entries regclass)'),
             ('dunning.detach()'),
             ('dunning.create_profile(name text, priority integer, criteria jsonb, copy_from text)'),
             ('dunning.restoring()'),
             ('dunning.template_placeholders(template text, what text, subject boolean)'),
             ('dunning.check_ledger_trust(relation regclass, contract text)'),
             ('dunning.schedule_nightly(cron text)'), ('dunning.unschedule_nightly()'),
             ('dunning.nightly_job_name()'), ('dunning.cron_database()'), ('dunning.require_pg_cron(cron text)')$$,
    'dunning_admin may execute the level, rule, planner and reporting functions, the six configuration functions and the scheduling ones, no trigger, internal or sender function'
);

-------------------------------------------------------------------------------
-- A role holding none of the four reaches nothing of schema dunning.
-------------------------------------------------------------------------------
CREATE ROLE dunning_test_nobody;
SET ROLE dunning_test_nobody;

SELECT throws_ok('SELECT * FROM dunning.settings', '42501', 'permission denied for schema dunning',
                 'a role without dunning roles cannot read dunning.settings');
SELECT throws_ok('SELECT * FROM dunning.template', '42501', 'permission denied for schema dunning',
                 'a role without dunning roles cannot read dunning.template');
SELECT throws_ok('SELECT * FROM dunning.profile', '42501', 'permission denied for schema dunning',
                 'a role without dunning roles cannot read dunning.profile');
SELECT throws_ok('SELECT * FROM dunning.scenario', '42501', 'permission denied for schema dunning',
                 'a role without dunning roles cannot read dunning.scenario');
SELECT throws_ok('SELECT * FROM dunning.step', '42501', 'permission denied for schema dunning',
                 'a role without dunning roles cannot read dunning.step');
SELECT throws_ok('SELECT * FROM dunning.customer', '42501', 'permission denied for schema dunning',
                 'a role without dunning roles cannot read dunning.customer');
SELECT throws_ok('SELECT * FROM dunning.entry', '42501', 'permission denied for schema dunning',
                 'a role without dunning roles cannot read dunning.entry');
SELECT throws_ok('SELECT * FROM dunning.scenario_overview', '42501', 'permission denied for schema dunning',
                 'a role without dunning roles cannot read dunning.scenario_overview');
SELECT throws_ok('SELECT * FROM dunning.ledger_contract', '42501', 'permission denied for schema dunning',
                 'a role without dunning roles cannot read dunning.ledger_contract');
SELECT throws_ok($$SELECT dunning.attach('pg_catalog.pg_class', 'pg_catalog.pg_class')$$,
                 '42501', 'permission denied for schema dunning',
                 'a role without dunning roles cannot call dunning.attach');
SELECT throws_ok('SELECT dunning.detach()', '42501', 'permission denied for schema dunning',
                 'a role without dunning roles cannot call dunning.detach');
SELECT throws_ok($$SELECT dunning.create_profile('Intrus')$$, '42501', 'permission denied for schema dunning',
                 'a role without dunning roles cannot call dunning.create_profile');
SELECT throws_ok($$UPDATE dunning.settings SET timezone = 'Europe/Paris'$$,
                 '42501', 'permission denied for schema dunning',
                 'a role without dunning roles cannot update dunning.settings');
SELECT throws_ok($$SELECT 'R2'::dunning.level$$, '42501', 'permission denied for schema dunning',
                 'a role without dunning roles cannot use the dunning.level type');
RESET ROLE;

SELECT results_eq(
    $$SELECT timezone, (SELECT count(*) FROM dunning.profile) FROM dunning.settings$$,
    $$VALUES ('UTC'::text, 1::bigint)$$,
    'the refused statements of a role without dunning roles changed nothing'
);

-------------------------------------------------------------------------------
-- dunning_collector reads configuration and ledger, writes nothing.
-------------------------------------------------------------------------------
SET ROLE dunning_collector;
SELECT lives_ok('SELECT * FROM dunning.settings', 'dunning_collector reads dunning.settings');
SELECT lives_ok('SELECT * FROM dunning.template', 'dunning_collector reads dunning.template');
SELECT lives_ok('SELECT * FROM dunning.profile', 'dunning_collector reads dunning.profile');
SELECT lives_ok('SELECT * FROM dunning.scenario', 'dunning_collector reads dunning.scenario');
SELECT lives_ok('SELECT * FROM dunning.step', 'dunning_collector reads dunning.step');
SELECT lives_ok('SELECT * FROM dunning.customer', 'dunning_collector reads dunning.customer');
SELECT lives_ok('SELECT * FROM dunning.entry', 'dunning_collector reads dunning.entry');
SELECT is((SELECT count(*) FROM dunning.scenario_overview), 18::bigint,
          'dunning_collector reads the 18 steps of Standard in dunning.scenario_overview');
SELECT is((SELECT max(l) FROM (VALUES ('R1'::dunning.level), ('R3'), ('P')) AS v (l)), 'R3'::dunning.level,
          'dunning_collector uses dunning.level and its max aggregate');
SELECT throws_ok($$UPDATE dunning.step SET days = 7 WHERE step = 'R1'$$,
                 '42501', 'permission denied for table step',
                 'dunning_collector cannot update a step');
SELECT throws_ok($$INSERT INTO dunning.customer (customer_id, name) VALUES ('C-COLL', 'Martin SARL')$$,
                 '42501', 'permission denied for table customer',
                 'dunning_collector cannot insert a customer');
SELECT throws_ok($$UPDATE dunning.settings SET timezone = 'Europe/Paris'$$,
                 '42501', 'permission denied for table settings',
                 'dunning_collector cannot update dunning.settings');
SELECT throws_ok($$SELECT dunning.attach('dunning.customer', 'dunning.entry')$$,
                 '42501', 'permission denied for function attach',
                 'dunning_collector cannot call dunning.attach');
RESET ROLE;

SELECT results_eq(
    $$SELECT st.days, (SELECT count(*) FROM dunning.customer), (SELECT timezone FROM dunning.settings)
        FROM dunning.step st JOIN dunning.scenario sc USING (scenario_id)
       WHERE sc.audience = 'with_email' AND st.step = 'R1'$$,
    $$VALUES (5, 0::bigint, 'UTC'::text)$$,
    'the refused statements of dunning_collector changed nothing'
);

-------------------------------------------------------------------------------
-- dunning_admin runs the whole configuration flow.
-------------------------------------------------------------------------------
SET ROLE dunning_admin;
SELECT lives_ok(
    $$UPDATE dunning.step st SET days = 7
        FROM dunning.scenario sc, dunning.profile p
       WHERE sc.scenario_id = st.scenario_id AND p.profile_id = sc.profile_id
         AND p.name = 'Standard' AND sc.audience = 'with_email' AND st.step = 'R1'$$,
    'dunning_admin updates a step'
);
SELECT lives_ok(
    $$SELECT dunning.create_profile('Grands comptes', 10,
                                    '{"attributes.segment": {"in": ["key_account"]}}')$$,
    'dunning_admin creates a profile with dunning.create_profile'
);
SELECT results_eq(
    $$SELECT count(DISTINCT scenario_id), count(*), count(*) FILTER (WHERE enabled)
        FROM dunning.scenario_overview WHERE profile = 'Grands comptes'$$,
    $$VALUES (2::bigint, 18::bigint, 8::bigint)$$,
    'the profile''s triggers made its two scenarios and eighteen steps, copied from Standard, as dunning_admin'
);
SELECT lives_ok($$DELETE FROM dunning.profile WHERE name = 'Grands comptes'$$,
                'dunning_admin deletes the profile');
SELECT is((SELECT count(*) FROM dunning.scenario), 2::bigint,
          'deleting the profile took its scenarios with it');
SELECT lives_ok(
    $$INSERT INTO dunning.template (name, media, language, subject, body)
      VALUES ('relance_courtoise', 'email', 'fr', 'Petit rappel',
              'Bonjour {{customer_name}}, {{#entries}}{{document_number}} {{open_amount}}{{/entries}}')$$,
    'dunning_admin inserts a template'
);
SELECT lives_ok($$DELETE FROM dunning.template WHERE name = 'relance_courtoise'$$,
                'dunning_admin deletes the template');
SELECT lives_ok($$UPDATE dunning.settings SET timezone = 'Europe/Paris', min_balance = 10$$,
                'dunning_admin updates dunning.settings');
SELECT lives_ok(
    $$INSERT INTO dunning.customer (customer_id, name, email) VALUES ('C-ADM', 'Dupont SA', 'compta@dupont.example')$$,
    'dunning_admin inserts a customer'
);
SELECT lives_ok(
    $$INSERT INTO dunning.entry (entry_id, customer_id, kind, due_date, amount, open_amount, currency)
      VALUES ('E-ADM', 'C-ADM', 'invoice', DATE '2024-01-31', 120.00, 120.00, 'EUR')$$,
    'dunning_admin inserts an entry'
);
SELECT lives_ok('SELECT * FROM dunning.ledger_contract', 'dunning_admin reads dunning.ledger_contract');
SELECT lives_ok($$SELECT dunning.attach('dunning.customer', 'dunning.entry')$$,
                'dunning_admin calls dunning.attach');
SELECT lives_ok('SELECT dunning.detach()', 'dunning_admin calls dunning.detach');
SELECT lives_ok('TRUNCATE dunning.entry, dunning.customer', 'dunning_admin truncates the default ledger tables');
SELECT throws_ok($$DELETE FROM dunning.profile WHERE name = 'Standard'$$,
                 '23001', 'profile Standard cannot be deleted: it is the profile of every customer no other profile takes',
                 'what dunning_admin cannot do, the guards refuse (not a permission error)');
SELECT throws_ok('DELETE FROM dunning.settings', '42501', 'permission denied for table settings',
                 'dunning_admin has no DELETE on dunning.settings');
RESET ROLE;

SELECT results_eq(
    $$SELECT s.timezone, s.min_balance, s.customer_source::text, s.entry_source::text,
             (SELECT st.days FROM dunning.step st JOIN dunning.scenario sc USING (scenario_id)
               WHERE sc.audience = 'with_email' AND st.step = 'R1'),
             (SELECT count(*) FROM dunning.profile), (SELECT count(*) FROM dunning.template),
             (SELECT count(*) FROM dunning.customer)
        FROM dunning.settings s$$,
    $$VALUES ('Europe/Paris'::text, 10::numeric, 'dunning.customer', 'dunning.entry', 7, 1::bigint, 12::bigint, 0::bigint)$$,
    'dunning_admin''s flow left what it should: settings and step updated, no extra profile or template'
);

-------------------------------------------------------------------------------
-- dunning_reader and dunning_sender: no configuration, no ledger, but the
-- level type.
-------------------------------------------------------------------------------
SET ROLE dunning_reader;
SELECT throws_ok('SELECT * FROM dunning.settings', '42501', 'permission denied for table settings',
                 'dunning_reader cannot read dunning.settings');
SELECT throws_ok('SELECT * FROM dunning.template', '42501', 'permission denied for table template',
                 'dunning_reader cannot read dunning.template');
SELECT throws_ok('SELECT * FROM dunning.profile', '42501', 'permission denied for table profile',
                 'dunning_reader cannot read dunning.profile');
SELECT throws_ok('SELECT * FROM dunning.scenario', '42501', 'permission denied for table scenario',
                 'dunning_reader cannot read dunning.scenario');
SELECT throws_ok('SELECT * FROM dunning.step', '42501', 'permission denied for table step',
                 'dunning_reader cannot read dunning.step');
SELECT throws_ok('SELECT * FROM dunning.customer', '42501', 'permission denied for table customer',
                 'dunning_reader cannot read dunning.customer');
SELECT throws_ok('SELECT * FROM dunning.entry', '42501', 'permission denied for table entry',
                 'dunning_reader cannot read dunning.entry');
SELECT throws_ok('SELECT * FROM dunning.scenario_overview', '42501', 'permission denied for view scenario_overview',
                 'dunning_reader cannot read dunning.scenario_overview');
SELECT throws_ok('SELECT * FROM dunning.ledger_contract', '42501', 'permission denied for view ledger_contract',
                 'dunning_reader cannot read dunning.ledger_contract');
SELECT throws_ok($$SELECT dunning.attach('dunning.customer', 'dunning.entry')$$,
                 '42501', 'permission denied for function attach',
                 'dunning_reader cannot call dunning.attach');
SELECT ok('R2'::dunning.level < 'R3', 'dunning_reader compares levels');
SELECT is((SELECT min(l) FROM (VALUES ('R4'::dunning.level), ('none'), ('R1')) AS v (l)), 'none'::dunning.level,
          'dunning_reader uses the min aggregate of dunning.level');
SELECT lives_ok('SELECT dunning.today()', 'dunning_reader asks dunning.today() (it reads settings.timezone for it)');
SELECT lives_ok('SELECT * FROM dunning.amount_to_dun', 'dunning_reader reads dunning.amount_to_dun');
SELECT lives_ok('SELECT * FROM dunning.collector_todo', 'dunning_reader reads dunning.collector_todo');
SELECT lives_ok('SELECT * FROM dunning.reminders_per_day', 'dunning_reader reads dunning.reminders_per_day');
SELECT lives_ok('SELECT * FROM dunning.reminder_counts', 'dunning_reader reads dunning.reminder_counts');
SELECT lives_ok('SELECT * FROM dunning.ageing', 'dunning_reader reads dunning.ageing');
SELECT lives_ok('SELECT * FROM dunning.dso', 'dunning_reader reads dunning.dso');
RESET ROLE;

SET ROLE dunning_sender;
SELECT throws_ok('SELECT * FROM dunning.settings', '42501', 'permission denied for table settings',
                 'dunning_sender cannot read dunning.settings');
SELECT throws_ok('SELECT * FROM dunning.template', '42501', 'permission denied for table template',
                 'dunning_sender cannot read dunning.template');
SELECT throws_ok('SELECT * FROM dunning.profile', '42501', 'permission denied for table profile',
                 'dunning_sender cannot read dunning.profile');
SELECT throws_ok('SELECT * FROM dunning.scenario', '42501', 'permission denied for table scenario',
                 'dunning_sender cannot read dunning.scenario');
SELECT throws_ok('SELECT * FROM dunning.step', '42501', 'permission denied for table step',
                 'dunning_sender cannot read dunning.step');
SELECT throws_ok('SELECT * FROM dunning.customer', '42501', 'permission denied for table customer',
                 'dunning_sender cannot read dunning.customer');
SELECT throws_ok('SELECT * FROM dunning.entry', '42501', 'permission denied for table entry',
                 'dunning_sender cannot read dunning.entry');
SELECT throws_ok('SELECT * FROM dunning.scenario_overview', '42501', 'permission denied for view scenario_overview',
                 'dunning_sender cannot read dunning.scenario_overview');
SELECT throws_ok('SELECT * FROM dunning.ledger_contract', '42501', 'permission denied for view ledger_contract',
                 'dunning_sender cannot read dunning.ledger_contract');
SELECT throws_ok($$SELECT dunning.attach('dunning.customer', 'dunning.entry')$$,
                 '42501', 'permission denied for function attach',
                 'dunning_sender cannot call dunning.attach');
SELECT ok('R2'::dunning.level < 'R3', 'dunning_sender compares levels');
SELECT throws_ok('SELECT * FROM dunning.outbox', '42501', 'permission denied for table outbox',
                 'dunning_sender cannot read dunning.outbox but through claim');
SELECT throws_ok($$SELECT dunning.plan('2026-06-30')$$, '42501', 'permission denied for function plan',
                 'dunning_sender cannot plan');
SELECT is_empty('SELECT * FROM dunning.claim(''roles test'', 10)', 'dunning_sender claims (an empty outbox here)');
SELECT throws_ok('SELECT * FROM dunning.ageing', '42501', 'permission denied for view ageing',
                 'dunning_sender cannot read the reporting views');
SELECT throws_ok($$SELECT * FROM dunning.ageing_on('2026-06-30')$$, '42501', 'permission denied for function ageing_on',
                 'dunning_sender cannot call the reporting functions');
SELECT throws_ok('CREATE TEMPORARY TABLE sender_media (m dunning.media)',
                 '42501', 'permission denied for type dunning.media',
                 'dunning_sender has no USAGE on dunning.media');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
