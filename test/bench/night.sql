-- One night of the planner benchmark (test/bench/plan.sh), in one session:
-- plan, then execute every selected proposal (emails, letters, phone and
-- other actions), each statement timed with clock_timestamp(), then the
-- backend's peak memory.  Variables: :phase (cold or steady), :night, :d
-- (the planning and execution date), :verbose (1: print each statement),
-- :explain (1: auto_explain every statement over :explain_min),
-- :analyze_after_plan (1: ANALYZE the action tables after plan()).

\if :explain
LOAD 'auto_explain';
SET auto_explain.log_min_duration = :'explain_min';
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_analyze = on;
SET auto_explain.log_buffers = on;
\endif
\if :verbose
\else
\o /dev/null
\endif

SELECT clock_timestamp() AS t0 \gset
SELECT dunning.plan(:'d') AS run_id \gset
SELECT bench.record(:'phase', :night, :'d', 'plan', :'t0',
                    (SELECT r.proposals FROM dunning.run r WHERE r.run_id = :run_id));

-- BENCH_ANALYZE_AFTER_PLAN=1: a workaround, not what a user runs: fresh
-- statistics of the tables plan() has just filled, before they are read.
\if :analyze_after_plan
SELECT clock_timestamp() AS t0 \gset
ANALYZE dunning.action, dunning.action_entry;
SELECT bench.record(:'phase', :night, :'d', 'analyze (workaround)', :'t0', NULL);
\endif

SELECT clock_timestamp() AS t0 \gset
SELECT dunning.send('email', executed_on => :'d') AS n \gset
SELECT bench.record(:'phase', :night, :'d', 'send email', :'t0', :n);

SELECT clock_timestamp() AS t0 \gset
SELECT dunning.send('letter', executed_on => :'d') AS n \gset
SELECT bench.record(:'phase', :night, :'d', 'send letter', :'t0', :n);

-- Phone and other actions: one set-based statement.  The todo view has one
-- row per action and currency; the ledger has one currency, DISTINCT only
-- guards against a second one.
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) AS n FROM (
    SELECT dunning.mark_done(t.action_id, 'bench', :'d') AS done
    FROM (SELECT DISTINCT td.action_id FROM dunning.todo td) AS t) AS m \gset
SELECT bench.record(:'phase', :night, :'d', 'mark_done', :'t0', :n);

SELECT bench.peak_rss(:'phase', :night, :'d');
\o
