-- Bookkeeping of the planner benchmark (test/bench/plan.sh): where the
-- measured times go, and how they are printed.  In schema bench, next to the
-- extension's tables in the benchmark database.

SET client_min_messages = warning;
CREATE SCHEMA bench;

CREATE TABLE bench.result (
    seq      serial PRIMARY KEY,
    phase    text NOT NULL,      -- floor, cold, steady, writes (step: the table)
    night    integer,            -- 0 for the cold night, 1..30 for the steady ones
    as_of    date,
    step     text NOT NULL,      -- plan, send email, send letter, mark_done, peak_rss, a table, ...
    seconds  numeric,
    rows     bigint,
    rss_kb   bigint
);

-- The floor: the second (warm) run of the reference query.
CREATE FUNCTION bench.floor() RETURNS numeric
    LANGUAGE sql STABLE
RETURN (SELECT r.seconds FROM bench.result r WHERE r.phase = 'floor' AND r.step = 'warm');

-- A night's write floor (test/bench/writes.sql): the time to write its rows
-- with nothing computed, in all its tables (not counting the copies without
-- index) or in those named.
CREATE FUNCTION bench.write_floor(night integer, tables text[] DEFAULT NULL) RETURNS numeric
    LANGUAGE sql STABLE
RETURN (SELECT sum(r.seconds) FROM bench.result r
        WHERE r.phase = 'writes' AND r.night = write_floor.night
          AND CASE WHEN write_floor.tables IS NULL THEN r.step NOT LIKE '%, no index'
                   ELSE r.step = ANY (write_floor.tables) END);

-- Records one measured statement, started at t0 and just finished; returns
-- the line to print.
CREATE FUNCTION bench.record(phase text, night integer, as_of date, step text, t0 timestamptz, rows bigint)
    RETURNS text
    LANGUAGE plpgsql
AS $$
DECLARE
    secs numeric := extract(epoch FROM clock_timestamp() - t0);
BEGIN
    INSERT INTO bench.result (phase, night, as_of, step, seconds, rows)
    VALUES (phase, night, as_of, step, secs, rows);
    RETURN format('    %-28s %10s s  %8s x floor  %10s rows',
                  step, to_char(secs, 'FM999990.000'),
                  COALESCE(to_char(secs / NULLIF(bench.floor(), 0), 'FM99990.00'), '-'),
                  COALESCE(rows::text, '-'));
END
$$;

-- Peak resident set size of this backend (VmHWM of /proc/<pid>/status):
-- private memory plus the shared buffers it touched.
CREATE FUNCTION bench.peak_rss(phase text, night integer, as_of date) RETURNS text
    LANGUAGE plpgsql
AS $$
DECLARE
    kb bigint := (regexp_match(pg_read_file('/proc/' || pg_backend_pid() || '/status'),
                               'VmHWM:\s+(\d+) kB'))[1]::bigint;
BEGIN
    INSERT INTO bench.result (phase, night, as_of, step, rss_kb) VALUES (phase, night, as_of, 'peak_rss', kb);
    RETURN format('    %-28s %10s MiB', 'backend peak RSS (VmHWM)', to_char(kb / 1024.0, 'FM999990.0'));
END
$$;

-- One line per steady night.
CREATE FUNCTION bench.night_line(phase text, night integer) RETURNS text
    LANGUAGE sql STABLE
RETURN (
    SELECT format('  night %2s  %s  plan %9s s  execute %9s s  total %9s s  %7s x floor  peak %8s MiB  proposals %s  write floor %s s',
                  night_line.night, min(r.as_of),
                  to_char(sum(r.seconds) FILTER (WHERE r.step = 'plan'), 'FM99990.000'),
                  to_char(sum(r.seconds) FILTER (WHERE r.step <> 'plan'), 'FM99990.000'),
                  to_char(sum(r.seconds), 'FM99990.000'),
                  to_char(sum(r.seconds) / NULLIF(bench.floor(), 0), 'FM9990.00'),
                  to_char(max(r.rss_kb) / 1024.0, 'FM999990.0'),
                  max(r.rows) FILTER (WHERE r.step = 'plan'),
                  COALESCE(to_char(bench.write_floor(night_line.night), 'FM99990.000'), '-'))
    FROM bench.result r
    WHERE r.phase = night_line.phase AND r.night = night_line.night);

-- The slowest statements, from pg_stat_statements when it is loaded.
CREATE TABLE bench.statement (
    phase    text NOT NULL,
    rank     integer NOT NULL,
    toplevel boolean,
    calls    bigint,
    seconds  numeric,
    rows     bigint,
    query    text
);
