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
-- chose (see doc/performance.md, "What the targets leave").
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

CREATE TABLE bench.copy_action (LIKE dunning.action INCLUDING ALL);
CREATE TABLE bench.copy_action_entry (LIKE dunning.action_entry INCLUDING ALL);
CREATE TABLE bench.copy_outbox (LIKE dunning.outbox INCLUDING ALL);
CREATE TABLE bench.copy_action_event (LIKE dunning.action_event INCLUDING ALL);
CREATE TABLE bench.copy_customer_state (LIKE dunning.customer_state INCLUDING ALL);
CREATE TEMP TABLE write_time (tbl text, seconds numeric, rows bigint) ON COMMIT DROP;

SELECT clock_timestamp() AS t0 \gset
INSERT INTO bench.copy_action SELECT * FROM night_action;
INSERT INTO write_time SELECT 'action', extract(epoch FROM clock_timestamp() - :'t0'::timestamptz), NULL;
SELECT clock_timestamp() AS t0 \gset
INSERT INTO bench.copy_action_entry SELECT * FROM night_action_entry;
INSERT INTO write_time SELECT 'action_entry', extract(epoch FROM clock_timestamp() - :'t0'::timestamptz), NULL;
SELECT clock_timestamp() AS t0 \gset
INSERT INTO bench.copy_outbox SELECT * FROM night_outbox;
INSERT INTO write_time SELECT 'outbox', extract(epoch FROM clock_timestamp() - :'t0'::timestamptz), NULL;
SELECT clock_timestamp() AS t0 \gset
INSERT INTO bench.copy_action_event SELECT * FROM night_action_event;
INSERT INTO write_time SELECT 'action_event', extract(epoch FROM clock_timestamp() - :'t0'::timestamptz), NULL;
SELECT clock_timestamp() AS t0 \gset
INSERT INTO bench.copy_customer_state SELECT * FROM night_customer_state;
INSERT INTO write_time SELECT 'customer_state', extract(epoch FROM clock_timestamp() - :'t0'::timestamptz), NULL;

UPDATE write_time w SET rows = CASE w.tbl
    WHEN 'action' THEN (SELECT count(*) FROM night_action)
    WHEN 'action_entry' THEN (SELECT count(*) FROM night_action_entry)
    WHEN 'outbox' THEN (SELECT count(*) FROM night_outbox)
    WHEN 'action_event' THEN (SELECT count(*) FROM night_action_event)
    WHEN 'customer_state' THEN (SELECT count(*) FROM night_customer_state) END;
INSERT INTO bench.result (phase, night, as_of, step, seconds, rows)
SELECT 'writes', :night, :'d', w.tbl, w.seconds, w.rows FROM write_time w;
\o
\if :verbose
SELECT format('    %-28s %10s s  %8s x floor  %10s rows', 'write floor: ' || w.tbl,
              to_char(w.seconds, 'FM999990.000'), to_char(w.seconds / NULLIF(bench.floor(), 0), 'FM99990.00'),
              w.rows)
FROM write_time w;
\o /dev/null
\endif
DROP TABLE bench.copy_action, bench.copy_action_entry, bench.copy_outbox, bench.copy_action_event,
           bench.copy_customer_state;
COMMIT;
\o
