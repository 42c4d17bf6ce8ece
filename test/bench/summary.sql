-- The summary table of the planner benchmark (test/bench/plan.sh).

\pset footer off
\pset null '-'

WITH night AS (
    SELECT r.phase, r.night,
           sum(r.seconds) FILTER (WHERE r.step = 'plan') AS plan,
           sum(r.seconds) FILTER (WHERE r.step IN ('send email', 'send letter', 'mark_done')) AS execute,
           sum(r.seconds) AS total,
           max(r.rss_kb) AS rss_kb
    FROM bench.result r
    WHERE r.phase IN ('cold', 'steady')
    GROUP BY r.phase, r.night),
steady AS (
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY n.plan) AS plan_median, max(n.plan) AS plan_max,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY n.execute) AS execute_median, max(n.execute) AS execute_max,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY n.total) AS total_median, max(n.total) AS total_max,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY n.rss_kb) AS rss_median, max(n.rss_kb) AS rss_max,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY bench.write_floor(n.night)) AS writes_median,
           count(*) AS nights
    FROM night n WHERE n.phase = 'steady'),
line (ord, what, seconds, rss_kb) AS (
    SELECT 10, 'floor: first run', (SELECT seconds FROM bench.result WHERE phase = 'floor' AND step = 'first run'), NULL::numeric
    UNION ALL SELECT 11, 'floor: warm run (the floor)', bench.floor(), NULL
    UNION ALL SELECT 12, 'floor: warm, no parallel worker', (SELECT seconds FROM bench.result WHERE phase = 'floor' AND step = 'warm, no parallel worker'), NULL
    UNION ALL SELECT 13, 'floor: backend peak RSS', NULL, (SELECT rss_kb FROM bench.result WHERE phase = 'floor' AND step = 'peak_rss')
    UNION ALL SELECT 20 + row_number() OVER (ORDER BY r.seq), 'cold night: ' || r.step, r.seconds, NULL
              FROM bench.result r WHERE r.phase = 'cold' AND r.step <> 'peak_rss'
    UNION ALL SELECT 30, 'cold night: execute (send + mark_done)', n.execute, NULL FROM night n WHERE n.phase = 'cold'
    UNION ALL SELECT 31, 'cold night: total', n.total, NULL FROM night n WHERE n.phase = 'cold'
    UNION ALL SELECT 32, 'cold night: backend peak RSS', NULL, n.rss_kb FROM night n WHERE n.phase = 'cold'
    UNION ALL SELECT 33, 'cold night: write floor (its rows, nothing computed)', bench.write_floor(0), NULL
    UNION ALL SELECT 40, format('steady nights (%s): plan, median', s.nights), s.plan_median::numeric, NULL FROM steady s
    UNION ALL SELECT 41, 'steady nights: plan, max', s.plan_max, NULL FROM steady s
    UNION ALL SELECT 42, 'steady nights: execute, median', s.execute_median::numeric, NULL FROM steady s
    UNION ALL SELECT 43, 'steady nights: execute, max', s.execute_max, NULL FROM steady s
    UNION ALL SELECT 44, 'steady nights: total, median', s.total_median::numeric, NULL FROM steady s
    UNION ALL SELECT 45, 'steady nights: total, max', s.total_max, NULL FROM steady s
    UNION ALL SELECT 46, 'steady nights: backend peak RSS, median', NULL, s.rss_median::numeric FROM steady s
    UNION ALL SELECT 47, 'steady nights: backend peak RSS, max', NULL, s.rss_max FROM steady s
    UNION ALL SELECT 48, 'steady nights: write floor, median', s.writes_median::numeric, NULL FROM steady s)
SELECT l.what AS "measure",
       to_char(l.seconds, 'FM999990.000') AS "seconds",
       to_char(l.seconds / NULLIF(bench.floor(), 0), 'FM99990.00') AS "x floor",
       to_char(l.rss_kb / 1024.0, 'FM999990.0') AS "peak RSS MiB"
FROM line l
ORDER BY l.ord;

\echo
\echo 'Targets (steady night at most 1.5x the floor, cold night at most 6x, backend peak RSS under 1 GiB):'
WITH night AS (
    SELECT r.phase, r.night, sum(r.seconds) AS total, max(r.rss_kb) AS rss_kb
    FROM bench.result r WHERE r.phase IN ('cold', 'steady')
    GROUP BY r.phase, r.night),
t (ord, target, ratio, ok) AS (
    SELECT 1, 'steady night (median) <= 1.5x floor',
           to_char(percentile_cont(0.5) WITHIN GROUP (ORDER BY n.total)::numeric / bench.floor(), 'FM9990.00') || 'x',
           percentile_cont(0.5) WITHIN GROUP (ORDER BY n.total)::numeric <= 1.5 * bench.floor()
    FROM night n WHERE n.phase = 'steady'
    UNION ALL
    SELECT 2, 'steady night (max) <= 1.5x floor',
           to_char(max(n.total) / bench.floor(), 'FM9990.00') || 'x',
           max(n.total) <= 1.5 * bench.floor()
    FROM night n WHERE n.phase = 'steady'
    UNION ALL
    SELECT 3, 'cold night <= 6x floor',
           to_char(n.total / bench.floor(), 'FM9990.00') || 'x', n.total <= 6 * bench.floor()
    FROM night n WHERE n.phase = 'cold'
    UNION ALL
    SELECT 4, 'backend peak RSS < 1 GiB (cold and steady)',
           to_char(max(n.rss_kb) / 1024.0, 'FM999990.0') || ' MiB', max(n.rss_kb) < 1024 * 1024
    FROM night n)
SELECT t.target, t.ratio AS "measured", CASE WHEN t.ok THEN 'met' ELSE 'NOT met' END AS "result"
FROM t ORDER BY t.ord;

\echo
\echo 'What the targets leave: reading the ledger (the floor) plus writing the night''s rows with nothing'
\echo 'computed (the write floor, test/bench/writes.sql), in all the tables a night writes, and in only the'
\echo 'two the spec fixes as one row per action and per message (action, outbox), with and without indexes:'
WITH steady AS (
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY bench.write_floor(n.night))::numeric AS all_tables,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY bench.write_floor(n.night, ARRAY['action', 'outbox']))::numeric
               AS fixed_tables,
           percentile_cont(0.5) WITHIN GROUP (
               ORDER BY bench.write_floor(n.night, ARRAY['action, no index', 'outbox, no index']))::numeric AS bare_tables
    FROM (SELECT DISTINCT r.night FROM bench.result r WHERE r.phase = 'writes' AND r.night > 0) n),
bound (ord, night, tables, target, seconds) AS (
    SELECT 1, 'cold night', 'all', 6.0, bench.floor() + bench.write_floor(0)
    UNION ALL
    SELECT 2, 'cold night', 'action, outbox', 6.0, bench.floor() + bench.write_floor(0, ARRAY['action', 'outbox'])
    UNION ALL
    SELECT 3, 'cold night', 'action, outbox, no index', 6.0,
           bench.floor() + bench.write_floor(0, ARRAY['action, no index', 'outbox, no index'])
    UNION ALL
    SELECT 4, 'steady night (median)', 'all', 1.5, bench.floor() + s.all_tables FROM steady s
    UNION ALL
    SELECT 5, 'steady night (median)', 'action, outbox', 1.5, bench.floor() + s.fixed_tables FROM steady s
    UNION ALL
    SELECT 6, 'steady night (median)', 'action, outbox, no index', 1.5, bench.floor() + s.bare_tables FROM steady s)
SELECT b.night, b.tables AS "rows written to", to_char(b.seconds, 'FM999990.000') AS "floor + write floor, s",
       to_char(b.seconds / bench.floor(), 'FM9990.00') || 'x' AS "x floor",
       b.target || 'x' AS target,
       CASE WHEN b.seconds > b.target * bench.floor() THEN 'the target is below this'
            ELSE format('leaves %sx the floor for everything else',
                        to_char(b.target - b.seconds / bench.floor(), 'FM990.00')) END AS "what is left"
FROM bound b
WHERE b.seconds IS NOT NULL
ORDER BY b.ord;

SELECT EXISTS (SELECT FROM bench.statement) AS have_statements \gset
\if :have_statements
\echo
\echo 'Slowest statements (pg_stat_statements, nested ones included; seconds summed over the phase):'
SELECT s.phase, s.rank AS "#", s.calls, to_char(s.seconds, 'FM999990.000') AS seconds, s.rows,
       CASE WHEN s.toplevel THEN 'top' ELSE 'nested' END AS level,
       left(s.query, 110) AS statement
FROM bench.statement s
ORDER BY s.phase, s.rank;
\endif
