--
-- dunning.entry_list() (src/message.c): the entries of a message as jsonb,
-- the same value jsonb_agg(jsonb_build_object(...)) gives, built in C.
--
\set SHOW_CONTEXT never

CREATE TEMPORARY TABLE e (action_id int, entry_id text, document_number text, document_date date,
                          due_date date, amount numeric, open_amount numeric, currency text,
                          in_dispute boolean, as_of date);
INSERT INTO e VALUES
    (1, 'E1', 'FA-1', '2026-01-31', '2026-03-02', 1234567.891, 1234.50, 'EUR', false, '2026-06-30'),
    (1, 'E2', NULL,   '2024-02-29', '2024-02-29', 0.005, 999.995, 'GBP', true, '2026-06-30'),
    (1, 'E3', 'AV-3', '2026-06-15', NULL, -250, -250, 'CHF', false, '2026-06-30'),
    (2, 'E4', 'FA-4', NULL, '2026-07-05', 'NaN', 'Infinity', NULL, NULL, '2026-06-30'),
    (2, 'E5', 'FA-5', '-infinity', 'infinity', 10, 10, 'EUR', false, '2026-06-30'),
    (3, 'E6', 'FA-6', '2026-06-01', '2026-06-10', 0, 0.00, 'EUR', false, NULL),
    (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

-- One action's list, in the order given.
SELECT jsonb_pretty(dunning.entry_list(entry_id, document_number, document_date, due_date, amount,
                                       open_amount, currency, in_dispute, as_of ORDER BY due_date, entry_id))
FROM e WHERE action_id = 1;

-- Equal to what jsonb_build_object() gives wherever SQL can compute it (it
-- cannot subtract infinite dates: action 2 has them, and entry_list gives
-- days_overdue NULL there, shown below).
SELECT action_id,
       dunning.entry_list(entry_id, document_number, document_date, due_date, amount, open_amount,
                          currency, in_dispute, as_of ORDER BY entry_id)
       = jsonb_agg(jsonb_build_object(
             'entry_id', entry_id, 'document_number', COALESCE(document_number, entry_id),
             'document_date', document_date, 'due_date', due_date, 'amount', amount,
             'open_amount', open_amount, 'currency', currency, 'in_dispute', in_dispute,
             'dispute', in_dispute, 'days_overdue', as_of - due_date) ORDER BY entry_id) AS same
FROM e WHERE action_id <> 2 GROUP BY action_id ORDER BY action_id;

-- NaN and infinite amounts as strings (JSON has no number for them), as
-- jsonb_build_object() writes them; infinite dates as "infinity".
SELECT jsonb_pretty(dunning.entry_list(entry_id, document_number, document_date, due_date, amount,
                                       open_amount, currency, in_dispute, as_of ORDER BY entry_id))
FROM e WHERE action_id = 2;

-- No entry: NULL, as jsonb_agg().
SELECT dunning.entry_list(entry_id, document_number, document_date, due_date, amount, open_amount,
                          currency, in_dispute, as_of) IS NULL AS is_null
FROM e WHERE false;

--
-- dunning.total_list() and dunning.total_map(): the sums per currency, the
-- same values as jsonb_agg(... ORDER BY currency) and jsonb_object_agg() of
-- GROUP BY currency sums.
--
INSERT INTO e (action_id, entry_id, open_amount, currency) VALUES
    (5, 'T1', 100.10, 'USD'), (5, 'T2', -20, 'EUR'), (5, 'T3', 0.005, 'USD'), (5, 'T4', NULL, 'GBP'),
    (5, 'T5', 3, 'CHF'),
    -- sorted by the collation, as ORDER BY sorts (compared below, not shown)
    (6, 'T6', 7, 'chf'), (6, 'T7', 3, 'CHF'), (6, 'T8', 1, 'Eur'), (6, 'T9', 2, 'éur');
SELECT jsonb_pretty(dunning.total_list(currency, open_amount)) AS total_list,
       jsonb_pretty(dunning.total_map(currency, open_amount)) AS total_map
FROM e WHERE action_id = 5;

SELECT s.action_id,
       s.list = (SELECT jsonb_agg(jsonb_build_object('currency', t.currency, 'total', t.total) ORDER BY t.currency)
                 FROM (SELECT currency, sum(open_amount) AS total FROM e
                       WHERE e.action_id = s.action_id GROUP BY currency) t) AS same_list,
       s.map = (SELECT jsonb_object_agg(t.currency, t.total)
                FROM (SELECT currency, sum(open_amount) AS total FROM e
                      WHERE e.action_id = s.action_id GROUP BY currency) t) AS same_map
FROM (SELECT action_id, dunning.total_list(currency, open_amount) AS list,
             dunning.total_map(currency, open_amount) AS map
      FROM e WHERE action_id IN (1, 3, 5, 6) GROUP BY action_id) s
ORDER BY s.action_id;

-- An entry without a currency: its own line in the list (last, as ORDER BY
-- puts NULL), and no key in the map.
SELECT dunning.total_list(currency, open_amount), dunning.total_map(currency, open_amount)
FROM e WHERE action_id = 4 OR entry_id = 'E1';

-- No entry: NULL, as jsonb_agg() and jsonb_object_agg().
SELECT dunning.total_list(currency, open_amount) IS NULL AS list_is_null,
       dunning.total_map(currency, open_amount) IS NULL AS map_is_null
FROM e WHERE false;

-- Sorted in the collation of the input, as ORDER BY sorts: in "C" by bytes,
-- in ICU's root collation letter by letter, lower case first.
SELECT dunning.total_list(currency COLLATE "C", open_amount) -> 0 ->> 'currency' AS first_in_c,
       dunning.total_list(currency COLLATE "und-x-icu", open_amount) -> 0 ->> 'currency' AS first_in_icu
FROM e WHERE action_id = 6;
SELECT c.coll,
       CASE c.coll WHEN 'C' THEN dunning.total_list(e.currency COLLATE "C", e.open_amount)
                   ELSE dunning.total_list(e.currency COLLATE "und-x-icu", e.open_amount) END
       = CASE c.coll WHEN 'C' THEN (SELECT jsonb_agg(jsonb_build_object('currency', t.cur, 'total', t.total) ORDER BY t.cur COLLATE "C")
                                    FROM (SELECT currency AS cur, sum(open_amount) AS total FROM e WHERE action_id = 6 GROUP BY 1) t)
                     ELSE (SELECT jsonb_agg(jsonb_build_object('currency', t.cur, 'total', t.total) ORDER BY t.cur COLLATE "und-x-icu")
                           FROM (SELECT currency AS cur, sum(open_amount) AS total FROM e WHERE action_id = 6 GROUP BY 1) t) END
       AS same_order
FROM e CROSS JOIN (VALUES ('C'), ('und-x-icu')) AS c (coll)
WHERE e.action_id = 6 GROUP BY c.coll ORDER BY c.coll;

-- Many actions and entries (values copied out of each row, not pointed
-- to), in the order given and in none: the same as the SQL.
CREATE TEMPORARY TABLE many AS
SELECT g % 700 AS action_id, 'M' || g AS entry_id,
       CASE WHEN g % 5 = 0 THEN NULL ELSE 'DOC-' || g END AS document_number,
       DATE '2026-01-01' + g % 300 AS document_date, DATE '2026-02-01' + g % 200 AS due_date,
       (g * 7 % 10000) / 100.0 AS amount, (g * 3 % 10000) / 100.0 - 20 AS open_amount,
       (ARRAY['EUR', 'GBP', 'CHF'])[1 + g % 3] AS currency, g % 11 = 0 AS in_dispute,
       DATE '2026-06-30' AS as_of
FROM generate_series(1, 20000) AS g;
SELECT count(*) AS actions,
       count(*) FILTER (WHERE l = s_l) AS same_ordered,
       count(*) FILTER (WHERE lu = s_lu) AS same_unordered,
       count(*) FILTER (WHERE tl = s_tl AND tm = s_tm) AS same_totals
FROM (SELECT m.action_id,
             dunning.entry_list(entry_id, document_number, document_date, due_date, amount, open_amount,
                                currency, in_dispute, as_of ORDER BY due_date, entry_id) AS l,
             jsonb_agg(jsonb_build_object('entry_id', entry_id, 'document_number', COALESCE(document_number, entry_id),
                                          'document_date', document_date, 'due_date', due_date, 'amount', amount,
                                          'open_amount', open_amount, 'currency', currency, 'in_dispute', in_dispute,
                                          'dispute', in_dispute, 'days_overdue', as_of - due_date)
                       ORDER BY due_date, entry_id) AS s_l,
             dunning.entry_list(entry_id, document_number, document_date, due_date, amount, open_amount,
                                currency, in_dispute, as_of) AS lu,
             jsonb_agg(jsonb_build_object('entry_id', entry_id, 'document_number', COALESCE(document_number, entry_id),
                                          'document_date', document_date, 'due_date', due_date, 'amount', amount,
                                          'open_amount', open_amount, 'currency', currency, 'in_dispute', in_dispute,
                                          'dispute', in_dispute, 'days_overdue', as_of - due_date)) AS s_lu,
             dunning.total_list(currency, open_amount) AS tl, dunning.total_map(currency, open_amount) AS tm
      FROM many m GROUP BY m.action_id) a
JOIN (SELECT t.action_id,
             jsonb_agg(jsonb_build_object('currency', t.currency, 'total', t.total) ORDER BY t.currency) AS s_tl,
             jsonb_object_agg(t.currency, t.total) AS s_tm
      FROM (SELECT action_id, currency, sum(open_amount) AS total FROM many GROUP BY 1, 2) t
      GROUP BY t.action_id) b USING (action_id);

-- The final functions leave their state as it was: as window functions,
-- each row sees the list and the totals so far.
SELECT entry_id,
       jsonb_array_length(dunning.entry_list(entry_id, document_number, document_date, due_date, amount,
                                             open_amount, currency, in_dispute, as_of)
                          OVER (ORDER BY entry_id)) AS entries_so_far,
       dunning.total_map(currency, open_amount) OVER (ORDER BY entry_id) AS totals_so_far
FROM e WHERE action_id = 1
ORDER BY entry_id;
