--
-- dunning.steps (a scenario's steps, packed) and the rule functions
-- dunning.next_level() and dunning.next_due_on().
--

SET datestyle = ISO;

-- Text I/O: enabled steps in order, name:days, then infinite.
SELECT s::dunning.steps AS steps
FROM (VALUES ('pre_due:5,R1:5,R2:15,R3:30,thanks:3'),
             ('R3:30,R1:5,R2:15'),           -- any order in, canonical order out
             ('R1:0,R7:365,infinite'),
             ('infinite,R2:10'),
             ('thanks:3'),
             ('')) AS v (s);

-- Bad input names the offending item.
SELECT 'R8:5'::dunning.steps;
SELECT 'R1'::dunning.steps;
SELECT 'R1:-1'::dunning.steps;
SELECT 'R1:366'::dunning.steps;
SELECT 'R1:5x'::dunning.steps;
SELECT 'R1:'::dunning.steps;
SELECT 'R1:5,R1:6'::dunning.steps;
SELECT 'R1:5,,R2:3'::dunning.steps;
SELECT 'R1:5,'::dunning.steps;
SELECT 'infinite,infinite'::dunning.steps;
SELECT ' R1:5'::dunning.steps;
\echo :LAST_ERROR_SQLSTATE

-- Binary I/O round trip.
CREATE TABLE steps_io (id integer, s dunning.steps);
INSERT INTO steps_io VALUES (1, 'pre_due:5,R1:5,R2:15,R3:30,thanks:3'), (2, 'R1:0,R7:365,infinite'), (3, '');
CREATE TABLE steps_copy (LIKE steps_io);
DO $$
DECLARE
    file text := current_setting('data_directory') || '/dunning_steps.bin';
BEGIN
    EXECUTE format('COPY steps_io TO %L (FORMAT binary)', file);
    EXECUTE format('COPY steps_copy FROM %L (FORMAT binary)', file);
END
$$;
SELECT c.id, c.s, c.s::text = o.s::text AS identical FROM steps_copy c JOIN steps_io o USING (id) ORDER BY c.id;
DROP TABLE steps_io, steps_copy;

-- The default scenarios, packed.
SELECT scenario_id, audience, enabled, steps FROM dunning.scenario_steps ORDER BY scenario_id;

-- next_level: one row per rule.  Planning date 2026-06-30 unless said.
SELECT rule, dunning.next_level(steps::dunning.steps, level::dunning.level, due_date::date,
                                as_of::date, is_credit) AS next_level
FROM (VALUES
    ('pre-due for a debit whose due date is ahead',      'pre_due:5,R1:5,R2:15', 'none', '2026-07-03', '2026-06-30', false),
    ('pre-due for a debit due far ahead (date comes later)', 'pre_due:5,R1:5,R2:15', 'none', '2026-09-30', '2026-06-30', false),
    ('no pre-due for a credit entry',                    'pre_due:5,R1:5,R2:15', 'none', '2026-07-03', '2026-06-30', true),
    ('no pre-due once the due date is today',            'pre_due:5,R1:5,R2:15', 'none', '2026-06-30', '2026-06-30', false),
    ('no pre-due once the due date has passed',          'pre_due:5,R1:5,R2:15', 'none', '2026-06-01', '2026-06-30', false),
    ('no pre-due when the step is disabled',             'R1:5,R2:15',           'none', '2026-07-03', '2026-06-30', false),
    ('R1 after P',                                       'pre_due:5,R1:5,R2:15', 'P',    '2026-06-01', '2026-06-30', false),
    ('R2 after R1',                                      'pre_due:5,R1:5,R2:15', 'R1',   '2026-06-01', '2026-06-30', false),
    ('a credit entry moves R1 to R2 like a debit',       'pre_due:5,R1:5,R2:15', 'R1',   '2026-06-01', '2026-06-30', true),
    ('disabled R3 skipped: R2 then R4',                  'R1:5,R2:15,R4:10',     'R2',   '2026-06-01', '2026-06-30', false),
    ('disabled R1: the first reminder is R2',            'R2:15,R3:30',          'none', '2026-06-01', '2026-06-30', false),
    ('last level reached, not infinite: nothing',        'R1:5,R2:15,R3:30',     'R3',   '2026-01-01', '2026-06-30', false),
    ('last level reached, infinite: the level repeats',  'R1:5,R2:15,R3:30,infinite', 'R3', '2026-01-01', '2026-06-30', false),
    ('above the last level (config shrank), infinite',   'R1:5,R2:15,infinite',  'R5',   '2026-01-01', '2026-06-30', false),
    ('above the last level (config shrank), not infinite', 'R1:5,R2:15',         'R5',   '2026-01-01', '2026-06-30', false),
    ('only thanks enabled: no reminder',                 'thanks:3',             'none', '2026-06-01', '2026-06-30', false),
    ('no enabled step: nothing',                         '',                     'none', '2026-06-01', '2026-06-30', false),
    ('infinite without any reminder level: nothing',     'pre_due:5,infinite',   'P',    '2026-06-01', '2026-06-30', false),
    ('due date years in the past: R1, one level only',   'pre_due:5,R1:5,R2:15', 'none', '2019-03-15', '2026-06-30', false)
) AS c (rule, steps, level, due_date, as_of, is_credit);

-- next_level is strict: no due date, no next level.
SELECT dunning.next_level('R1:5', 'none', NULL, '2026-06-30', false) IS NULL AS strict;

-- next_due_on: the date each step falls due.
SELECT rule, dunning.next_due_on(steps::dunning.steps, level::dunning.level, next_level::dunning.level,
                                 due_date::date, last_dunned_on::date) AS due_on
FROM (VALUES
    ('P: due date minus pre_due days',                 'pre_due:5,R1:5', 'none', 'P',  '2026-07-03', NULL),
    ('P across 29 February',                           'pre_due:5,R1:5', 'none', 'P',  '2028-03-05', NULL),
    ('R1: due date plus R1 days',                      'pre_due:5,R1:5', 'none', 'R1', '2026-06-20', NULL),
    ('R1 after P still counts from the due date',      'pre_due:5,R1:5', 'P',    'R1', '2026-06-20', '2026-06-15'),
    ('R1 across a month end',                          'R1:30',          'none', 'R1', '2026-01-31', NULL),
    ('R1 into 29 February',                            'R1:5',           'none', 'R1', '2028-02-24', NULL),
    ('R1 with zero days: on the due date',             'R1:0,R2:15',     'none', 'R1', '2026-06-30', NULL),
    ('R2: last execution plus R2 days',                'R1:5,R2:15',     'R1',   'R2', '2026-06-01', '2026-06-10'),
    ('R2 with zero days: the day of the last one',     'R1:5,R2:0',      'R1',   'R2', '2026-06-01', '2026-06-10'),
    ('R4 after R2 (R3 disabled): R4 days',             'R1:5,R2:15,R4:10', 'R2', 'R4', '2026-06-01', '2026-06-20'),
    ('first reminder at R2 (R1 disabled): from due date', 'R2:15',       'none', 'R2', '2026-06-01', NULL),
    ('R2 without a recorded execution: from due date', 'R1:5,R2:15',     'R1',   'R2', '2026-06-01', NULL),
    ('infinite repetition: last execution plus days',  'R1:5,R2:15,R3:30,infinite', 'R3', 'R3', '2026-01-01', '2026-06-10'),
    ('repetition above the last level uses its days',  'R1:5,R2:15,infinite', 'R5', 'R5', '2026-01-01', '2026-06-10'),
    ('due date years in the past: R1 long ago',        'R1:5,R2:15',     'none', 'R1', '2019-03-15', NULL),
    ('then R2 counts from R1''s execution, not the due date', 'R1:5,R2:15', 'R1', 'R2', '2019-03-15', '2026-06-30'),
    ('an infinite due date stays infinite',            'R1:5',           'none', 'R1', 'infinity',   NULL)
) AS c (rule, steps, level, next_level, due_date, last_dunned_on);

-- A NULL argument other than last_dunned_on gives NULL.
SELECT dunning.next_due_on('R1:5', 'none', 'R1', NULL, NULL) IS NULL AS no_due_date;

-- next_due_on refuses a next_level that cannot follow.
SELECT dunning.next_due_on('R1:5,R2:15', 'R2', 'R1', '2026-06-01', '2026-06-10');
SELECT dunning.next_due_on('R1:5,R2:15', 'R2', 'R2', '2026-06-01', '2026-06-10');
SELECT dunning.next_due_on('R1:5,R2:15,infinite', 'P', 'P', '2026-06-01', NULL);
SELECT dunning.next_due_on('R1:5,R2:15', 'R1', 'R3', '2026-06-01', '2026-06-10');
\echo :LAST_ERROR_SQLSTATE
SELECT dunning.next_due_on('R1:5', 'none', 'none', '2026-06-01', NULL);

-- next_reminder_on: next_level then next_due_on in one call, the date the
-- planner's scan tests on every open entry.  Every case: its date, and that
-- it agrees with the two functions composed.
SELECT rule, r.on AS next_reminder_on,
       r.on IS NOT DISTINCT FROM dunning.next_due_on(s, l, dunning.next_level(s, l, d, a, credit), d, last)
           AS same_as_composed
FROM (VALUES
    ('P for a debit due ahead',                  'pre_due:5,R1:5,R2:15', 'none', '2026-07-03', NULL,         '2026-06-30', false),
    ('no P for a credit: R1 from the due date',  'pre_due:5,R1:5,R2:15', 'none', '2026-07-03', NULL,         '2026-06-30', true),
    ('due date passed: R1',                      'pre_due:5,R1:5,R2:15', 'none', '2026-06-01', NULL,         '2026-06-30', false),
    ('after P, R1 still from the due date',      'pre_due:5,R1:5,R2:15', 'P',    '2026-06-20', '2026-06-15', '2026-06-30', false),
    ('R2 from the last execution',               'R1:5,R2:15',           'R1',   '2026-06-01', '2026-06-10', '2026-06-30', false),
    ('R3 disabled: R4 from the last execution',  'R1:5,R2:15,R4:10',     'R2',   '2026-06-01', '2026-06-20', '2026-06-30', false),
    ('last level, not infinite: none',           'R1:5,R2:15,R3:30',     'R3',   '2026-01-01', '2026-03-01', '2026-06-30', false),
    ('last level, infinite: repeats',            'R1:5,R2:15,R3:30,infinite', 'R3', '2026-01-01', '2026-06-10', '2026-06-30', false),
    ('R1 into 29 February',                      'R1:5',                 'none', '2028-02-24', NULL,         '2028-02-20', false),
    ('zero days: on the due date',               'R1:0,R2:15',           'none', '2026-06-30', NULL,         '2026-06-30', false),
    ('no enabled step: none',                    '',                     'none', '2026-06-01', NULL,         '2026-06-30', false)
) AS c (rule, s_text, l_text, d_text, last_text, a_text, credit)
CROSS JOIN LATERAL (SELECT c.s_text::dunning.steps AS s, c.l_text::dunning.level AS l, c.d_text::date AS d,
                           c.last_text::date AS last, c.a_text::date AS a) AS v
CROSS JOIN LATERAL (SELECT dunning.next_reminder_on(v.s, v.l, v.d, v.last, v.a, c.credit) AS on) AS r;

-- NULL steps, level, due date, as_of or is_credit: NULL; last_dunned_on may be NULL.
SELECT dunning.next_reminder_on(NULL, 'none', '2026-06-01', NULL, '2026-06-30', false) IS NULL AS no_steps,
       dunning.next_reminder_on('R1:5', 'none', NULL, NULL, '2026-06-30', false) IS NULL AS no_due_date,
       dunning.next_reminder_on('R1:5', 'none', '2026-06-01', NULL, NULL, false) IS NULL AS no_as_of;

-- statement_level: the account-statement level of a group of entries (seed
-- 003), each at its next level when that is due on as_of, else at its own.
SELECT g.grp, dunning.statement_level(g.level::dunning.level, g.next_level::dunning.level,
                                      g.next_due_on::date, DATE '2026-06-30') AS statement_level
FROM (VALUES
    ('seed 003: R3 due for R4, P and R1 not due', 'R3', 'R4', '2026-06-30'),
    ('seed 003: R3 due for R4, P and R1 not due', 'P',  'R1', '2026-07-05'),
    ('seed 003: R3 due for R4, P and R1 not due', 'R1', 'R2', '2026-07-10'),
    ('nothing due: the highest current level',   'R2', 'R3', '2026-07-10'),
    ('nothing due: the highest current level',   'R1', 'R2', '2026-07-01'),
    ('a lower entry due stays below a higher one', 'R1', 'R2', '2026-06-01'),
    ('a lower entry due stays below a higher one', 'R4', NULL, NULL),
    ('last level reached: its level',            'R3', NULL, NULL),
    ('no level at all: NULL',                    NULL, 'R1', '2026-06-01')
) AS g (grp, level, next_level, next_due_on)
GROUP BY g.grp ORDER BY g.grp;

-- Over no rows: NULL.
SELECT dunning.statement_level(NULL::dunning.level, NULL, NULL, NULL) IS NULL AS no_entry
WHERE false;

-- state_due_levels: the levels a customer's stored entries could be reminded
-- to on as_of (bit level::integer + 1), which decides whether the planner's
-- scan keeps a credit entry at R1 or above.
CREATE FUNCTION pg_temp.levels_of(mask integer) RETURNS text LANGUAGE sql AS $$
    SELECT COALESCE(string_agg(l::text, ',' ORDER BY l), '') FROM
        (SELECT n::dunning.level AS l FROM generate_series(-1, 7) AS n WHERE (mask >> (n + 1)) & 1 = 1) AS b
$$;
SELECT c.case_name, pg_temp.levels_of(dunning.state_due_levels(c.s::dunning.steps, c.levels::dunning.level[],
                                                               c.last::date[], DATE '2026-06-30')) AS due_levels
FROM (VALUES
    ('R1 executed 15 days ago: R2 due',         'R1:5,R2:15,R3:30', '{R1}',       '{2026-06-15}'),
    ('R1 executed 14 days ago: nothing',        'R1:5,R2:15,R3:30', '{R1}',       '{2026-06-16}'),
    ('R2 and R3 disabled: R1 goes to R4',       'R1:5,R4:10',       '{R1}',       '{2026-06-20}'),
    ('last level, not infinite: nothing',       'R1:5,R2:15',       '{R2}',       '{2026-01-01}'),
    ('last level, infinite: the level again',   'R1:5,R2:15,infinite', '{R2,R2}', '{2026-06-15,2026-06-20}'),
    ('no execution date: counted as due',       'R1:5,R2:15,R3:30', '{R2}',       '{NULL}'),
    ('none and P do not count',                 'pre_due:5,R1:5,R2:15', '{none,P,NULL}', '{NULL,2026-01-01,NULL}'),
    ('several levels at once',                  'R1:5,R2:15,R3:30', '{R1,R2,R1}', '{2026-06-01,2026-05-01,2026-06-29}'),
    ('no entry',                                'R1:5',             '{}',         '{}')
) AS c (case_name, s, levels, last);

-- Parallel arrays of different lengths are refused.
SELECT dunning.state_due_levels('R1:5,R2:15', '{R1,R1}', '{2026-06-01}', '2026-06-30');
