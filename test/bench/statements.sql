-- Keeps the slowest statements of a phase from pg_stat_statements (loaded by
-- test/bench/plan.sh unless BENCH_STATEMENTS=0), then resets its counters.
-- Variable: :phase.

INSERT INTO bench.statement (phase, rank, toplevel, calls, seconds, rows, query)
SELECT :'phase', row_number() OVER (ORDER BY s.total_exec_time DESC), s.toplevel, s.calls,
       round((s.total_exec_time / 1000)::numeric, 3), s.rows,
       regexp_replace(s.query, '\s+', ' ', 'g')
FROM pg_stat_statements s
WHERE s.dbid = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
  AND s.query !~ 'bench\.|pg_stat_statements'
ORDER BY s.total_exec_time DESC
LIMIT :top;
SELECT pg_stat_statements_reset();
