--
-- dunning.level: text and binary I/O, order, btree and hash support,
-- min/max, casts, and the errors of bad input.
--

-- Every value round-trips through text, in order.
SELECT v.name, v.name::dunning.level AS level,
       v.name::dunning.level::text = v.name AS round_trips,
       v.name::dunning.level::integer AS number
FROM (VALUES ('none'), ('P'), ('R1'), ('R2'), ('R3'), ('R4'), ('R5'), ('R6'), ('R7')) AS v (name)
ORDER BY v.name::dunning.level;

-- Names are read case-insensitively and written canonically.
SELECT 'NONE'::dunning.level, 'p'::dunning.level, 'r2'::dunning.level;

-- Anything else is refused with SQLSTATE 22P02 and the value quoted.
SELECT 'R8'::dunning.level;
\echo :LAST_ERROR_SQLSTATE
SELECT 'R0'::dunning.level;
\echo :LAST_ERROR_SQLSTATE
SELECT ''::dunning.level;
\echo :LAST_ERROR_SQLSTATE
SELECT 'X'::dunning.level;
\echo :LAST_ERROR_SQLSTATE
SELECT ' R1 '::dunning.level;
\echo :LAST_ERROR_SQLSTATE
SELECT 'R1 '::dunning.level;
\echo :LAST_ERROR_SQLSTATE
SELECT 'pre_due'::dunning.level;
\echo :LAST_ERROR_SQLSTATE

-- All six comparison operators follow none < P < R1 < ... < R7.
SELECT a.l AS a, b.l AS b, a.l < b.l AS lt, a.l <= b.l AS le, a.l = b.l AS eq,
       a.l <> b.l AS ne, a.l >= b.l AS ge, a.l > b.l AS gt
FROM (VALUES ('none'::dunning.level), ('P'), ('R1'), ('R7')) AS a (l),
     (VALUES ('P'::dunning.level), ('R1')) AS b (l)
ORDER BY a.l, b.l;

-- A table of 9,000 levels, 1,000 of each.
CREATE TABLE levels (id integer PRIMARY KEY, l dunning.level NOT NULL);
INSERT INTO levels SELECT i, ((i % 9) - 1)::dunning.level FROM generate_series(1, 9000) AS i;
ANALYZE levels;

-- Sorting, grouping and DISTINCT.
SELECT l, count(*) FROM levels GROUP BY l ORDER BY l DESC;
SELECT DISTINCT l FROM levels WHERE l <= 'R1' ORDER BY l;

-- A btree index is used for equality, ranges and ORDER BY.
CREATE INDEX levels_l_idx ON levels (l);
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM levels WHERE l = 'R3';
SELECT count(*) FROM levels WHERE l = 'R3';
EXPLAIN (COSTS OFF) SELECT id FROM levels WHERE l > 'R5';
SELECT count(*) FROM levels WHERE l > 'R5';
EXPLAIN (COSTS OFF) SELECT id, l FROM levels ORDER BY l LIMIT 3;
SELECT id, l FROM levels ORDER BY l, id LIMIT 3;
DROP INDEX levels_l_idx;

-- A hash index too.
CREATE INDEX levels_l_hash ON levels USING hash (l);
EXPLAIN (COSTS OFF) SELECT id FROM levels WHERE l = 'P';
SELECT count(*) FROM levels WHERE l = 'P';
DROP INDEX levels_l_hash;
RESET enable_seqscan;
RESET enable_bitmapscan;

-- Hash aggregation and hash joins.
SET enable_sort = off;
EXPLAIN (COSTS OFF) SELECT l, count(*) FROM levels GROUP BY l;
SELECT l, count(*) FROM levels GROUP BY l ORDER BY 1;
RESET enable_sort;
SET enable_mergejoin = off;
SET enable_nestloop = off;
EXPLAIN (COSTS OFF)
SELECT w.l, count(*) FROM levels AS x JOIN (VALUES ('R1'::dunning.level), ('R7')) AS w (l) ON x.l = w.l GROUP BY w.l;
SELECT w.l, count(*) FROM levels AS x JOIN (VALUES ('R1'::dunning.level), ('R7')) AS w (l) ON x.l = w.l
GROUP BY w.l ORDER BY w.l;
RESET enable_mergejoin;
RESET enable_nestloop;

-- min and max, without schema dunning on the search_path.
SELECT min(l), max(l) FROM levels;
SELECT min(l), max(l) FROM levels WHERE l BETWEEN 'P' AND 'R4';
SELECT max(l) FROM levels WHERE false;

-- Binary I/O: COPY out and back in, every value identical.
CREATE TABLE levels_copy (LIKE levels);
DO $$
DECLARE
    file text := current_setting('data_directory') || '/dunning_levels.bin';
BEGIN
    EXECUTE format('COPY levels TO %L (FORMAT binary)', file);
    EXECUTE format('COPY levels_copy FROM %L (FORMAT binary)', file);
END
$$;
SELECT count(*) AS copied,
       count(*) FILTER (WHERE c.l = o.l) AS identical
FROM levels_copy AS c JOIN levels AS o USING (id);
-- Binary input re-validates: a 2-byte 9 (written as a smallint) is refused.
DO $$
DECLARE
    file text := current_setting('data_directory') || '/dunning_levels.bin';
BEGIN
    EXECUTE format('COPY (SELECT 1, 9::smallint) TO %L (FORMAT binary)', file);
    EXECUTE format('COPY levels_copy FROM %L (FORMAT binary)', file);
EXCEPTION WHEN invalid_binary_representation THEN
    RAISE NOTICE 'refused with SQLSTATE %: %', SQLSTATE, SQLERRM;
END
$$;
-- The binary form is the level number as a 2-byte integer.
SELECT dunning.level_send('R3'), dunning.level_send('none'), dunning.level_send('P');

-- Casts to and from integer: none = -1, P = 0, Rk = k.
SELECT 'none'::dunning.level::integer, 'P'::dunning.level::integer, 'R7'::dunning.level::integer;
SELECT (-1)::dunning.level, 0::dunning.level, 3::dunning.level, 7::dunning.level;
SELECT 8::dunning.level;
\echo :LAST_ERROR_SQLSTATE
SELECT (-2)::dunning.level;
\echo :LAST_ERROR_SQLSTATE
-- The integer casts are explicit only.
SELECT 'R2'::dunning.level + 1;
\echo :LAST_ERROR_SQLSTATE

DROP TABLE levels, levels_copy;
