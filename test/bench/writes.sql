-- The write floor of a night (test/bench/plan.sh): the time PostgreSQL needs
-- to write the rows the night left, with nothing computed.  The night's
-- rows are copied aside into temporary tables (held in memory: temp_buffers),
-- then inserted, table by table, into empty tables of the same definition
-- (LIKE ... INCLUDING ALL: columns, defaults, CHECKs, indexes; no foreign
-- key), each row once, and dropped:
--   - action: the actions the run proposed or refreshed (run_id) or that
--     were executed on :d;
--   - action_entry: the entries of the actions the run proposed or
--     refreshed (plan rewrites exactly these);
--   - outbox: the messages of the actions executed on :d;
--   - action_event: the events written since the run started;
--   - customer_state: the states of the customers who had an action
--     executed on :d.
-- It undercounts what a night writes (an action is written when proposed
-- and again when executed, a state once per execute call; compressed values
-- are copied without compressing them again; the foreign keys are not
-- checked), so a night cannot take less than the floor plus this with
-- these tables.  action and outbox are the relations the spec fixes as one
-- row per action and per message; the others are storage this extension
-- chose (see doc/performance.md, "What the targets leave").  Those two are
-- also written into tables without any index ('action, no index', 'outbox,
-- no index'), the least any design could write; write_floor() leaves these
-- two out of a night's total.
-- Variables: :night (0 for the cold night), :d (the night's date), :verbose.

\o /dev/null
SET client_min_messages = warning;
SET pg_stat_statements.track = none;   -- kept out of the night's slowest statements
SET temp_buffers = '4GB';   -- before the first temporary table of the session
CHECKPOINT;                 -- so that none falls inside the timed statements
BEGIN;
SELECT r.run_id, r.started_at FROM dunning.run r WHERE r.as_of = :'d' ORDER BY r.run_id DESC LIMIT 1 \gset

CREATE TEMP TABLE night_action ON COMMIT DROP AS
    SELECT a.* FROM dunning.action a WHERE a.run_id = :run_id OR a.executed_on = :'d';
CREATE TEMP TABLE night_action_entry ON COMMIT DROP AS
    SELECT ae.* FROM dunning.action_entry ae
    WHERE ae.action_id IN (SELECT a.action_id FROM night_action a WHERE a.run_id = :run_id);
CREATE TEMP TABLE night_outbox ON COMMIT DROP AS
    SELECT o.* FROM dunning.outbox o
    WHERE o.action_id IN (SELECT a.action_id FROM night_action a WHERE a.executed_on = :'d');
CREATE TEMP TABLE night_action_event ON COMMIT DROP AS
    SELECT e.* FROM dunning.action_event e WHERE e.at >= :'started_at';
CREATE TEMP TABLE night_customer_state ON COMMIT DROP AS
    SELECT s.* FROM dunning.customer_state s
    WHERE s.customer_id IN (SELECT a.customer_id FROM night_action a WHERE a.executed_on = :'d');
CREATE TEMP TABLE write_time (tbl text, seconds numeric, rows bigint) ON COMMIT DROP;

-- The table names are this script's constants.
DO $$
DECLARE
    copy record;
    t0 timestamptz;
    n bigint;
BEGIN
    FOR copy IN
        SELECT * FROM (VALUES
            ('action', 'copy_action', 'action', 'INCLUDING ALL'),
            ('action_entry', 'copy_action_entry', 'action_entry', 'INCLUDING ALL'),
            ('outbox', 'copy_outbox', 'outbox', 'INCLUDING ALL'),
            ('action_event', 'copy_action_event', 'action_event', 'INCLUDING ALL'),
            ('customer_state', 'copy_customer_state', 'customer_state', 'INCLUDING ALL'),
            ('action', 'bare_action', 'action, no index', 'INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE'),
            ('outbox', 'bare_outbox', 'outbox, no index', 'INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE'))
            AS v (source, target, label, including)
    LOOP
        EXECUTE format('CREATE TABLE bench.%I (LIKE dunning.%I %s)', copy.target, copy.source, copy.including);
        t0 := clock_timestamp();
        EXECUTE format('INSERT INTO bench.%I SELECT * FROM pg_temp.%I', copy.target, 'night_' || copy.source);
        GET DIAGNOSTICS n = ROW_COUNT;
        INSERT INTO write_time VALUES (copy.label, extract(epoch FROM clock_timestamp() - t0), n);
        EXECUTE format('DROP TABLE bench.%I', copy.target);
    END LOOP;
END
$$;

INSERT INTO bench.result (phase, night, as_of, step, seconds, rows)
SELECT 'writes', :night, :'d', w.tbl, w.seconds, w.rows FROM write_time w;
\o
\if :verbose
SELECT format('    %-28s %10s s  %8s x floor  %10s rows', 'write floor: ' || w.tbl,
              to_char(w.seconds, 'FM999990.000'), to_char(w.seconds / NULLIF(bench.floor(), 0), 'FM99990.00'),
              w.rows)
FROM write_time w;
\endif
\o /dev/null
COMMIT;
\o
