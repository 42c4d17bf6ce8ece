-- entry_state.sql: where entries stand, packed per customer.
--
-- SPEC "Manual trigger": "`dunning.entry_state(entry_id, level,
-- last_dunned_on, reminder_count, …)`: where each entry stands."  The
-- states live in dunning.customer_state, one row per customer with parallel
-- arrays (the planner joins them by customer); dunning.entry_state is the
-- per-entry view of it.  SPEC rule 9: a level changes, and the previous
-- reminder's execution date is set, only when a reminder is executed.
--
-- Proves that:
--   * INSERT through the view records an imported state (levels brought over
--     from another tool), in the customer's arrays, sorted by entry_id, with
--     level none and count 0 when not given;
--   * the view refuses a second state for an entry, NULL keys, UPDATE and
--     DELETE, each with its SQLSTATE and a message naming the entry, and a
--     refused statement changes nothing;
--   * dunning.entry_position finds an entry in its customer's arrays;
--   * the planner reads an imported state: an entry imported at R1 on
--     2024-03-01 gets R2 on 03-16 (+15), not R1 again;
--   * an execution merges into the arrays: the executed entry moves (level,
--     last_dunned_on, count), the customer's other entries keep theirs, a
--     customer with no state yet gets a row;
--   * the five arrays always have the same length (a CHECK);
--   * (and, on the way) a customer whose language has no template gets the
--     French one, rendered in French (subject with the planning date
--     16/03/2024, the entry line and the total as 400,00 €).
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT plan(18);

INSERT INTO dunning.customer (customer_id, name, email, collector) VALUES
    ('S1', 'Imprimerie Roux', 'compta@roux.example', 'ann'),
    ('S2', 'Garage Petit',    'compta@petit.example', 'bob');
UPDATE dunning.customer SET language = 'de' WHERE customer_id = 'S2';   -- no German template
INSERT INTO dunning.entry (entry_id, customer_id, document_number, kind, document_date, due_date,
                           amount, open_amount, currency) VALUES
    ('S1-B', 'S1', 'F-S1-B', 'invoice', DATE '2024-01-15', DATE '2024-02-15', 300.00, 300.00, 'EUR'),
    ('S1-A', 'S1', 'F-S1-A', 'invoice', DATE '2024-01-01', DATE '2024-02-01', 200.00, 200.00, 'EUR'),
    ('S1-C', 'S1', 'F-S1-C', 'invoice', DATE '2024-03-01', DATE '2024-04-30', 100.00, 100.00, 'EUR'),
    ('S2-A', 'S2', 'F-S2-A', 'invoice', DATE '2024-02-01', DATE '2024-03-01', 400.00, 400.00, 'EUR');

-------------------------------------------------------------------------------
-- Importing states through the view
-------------------------------------------------------------------------------
SELECT lives_ok(
    $$INSERT INTO dunning.entry_state (customer_id, entry_id, level, last_dunned_on, reminder_count)
      VALUES ('S1', 'S1-B', 'R1', DATE '2024-03-01', 1)$$,
    'a state is imported through the view');
SELECT lives_ok(
    $$INSERT INTO dunning.entry_state (customer_id, entry_id, level) VALUES ('S1', 'S1-A', 'P')$$,
    'a second entry of the same customer is imported');
SELECT results_eq(
    $$SELECT customer_id, entry_ids, levels::text[], last_dunned_on, reminder_counts, thanked_on
      FROM dunning.customer_state$$,
    $$VALUES ('S1', ARRAY['S1-A', 'S1-B'], ARRAY['P', 'R1'], ARRAY[NULL, DATE '2024-03-01'], ARRAY[0, 1],
              ARRAY[NULL::date, NULL])$$,
    'one row for the customer, its arrays sorted by entry_id; missing count 0, missing dates NULL');
SELECT results_eq(
    $$SELECT entry_id, level::text, last_dunned_on, reminder_count FROM dunning.entry_state ORDER BY entry_id$$,
    $$VALUES ('S1-A', 'P', NULL::date, 0), ('S1-B', 'R1', DATE '2024-03-01', 1)$$,
    'the view shows one row per entry');

SELECT throws_ok(
    $$INSERT INTO dunning.entry_state (customer_id, entry_id, level) VALUES ('S1', 'S1-B', 'R3')$$,
    '23505', 'entry ''S1-B'' of customer ''S1'' already has a state',
    'a second state for an entry is refused, naming it');
SELECT throws_ok(
    $$INSERT INTO dunning.entry_state (customer_id, entry_id, level) VALUES ('S1', NULL, 'R3')$$,
    '23502', 'customer_id and entry_id of an entry state cannot be NULL (got ''S1'', NULL)',
    'a NULL entry_id is refused');
SELECT throws_ok(
    $$UPDATE dunning.entry_state SET level = 'R5' WHERE entry_id = 'S1-B'$$,
    '0A000', 'dunning.entry_state takes INSERT only',
    'UPDATE through the view is refused');
SELECT throws_ok(
    $$DELETE FROM dunning.entry_state WHERE entry_id = 'S1-B'$$,
    '0A000', 'dunning.entry_state takes INSERT only',
    'DELETE through the view is refused');
SELECT results_eq(
    $$SELECT entry_id, level::text, reminder_count FROM dunning.entry_state ORDER BY entry_id$$,
    $$VALUES ('S1-A', 'P', 0), ('S1-B', 'R1', 1)$$,
    'the refused statements changed nothing');
SELECT throws_ok(
    $$UPDATE dunning.customer_state SET levels = ARRAY['R1']::dunning.level[] WHERE customer_id = 'S1'$$,
    '23514', NULL,
    'the arrays of a customer keep the same length');

-------------------------------------------------------------------------------
-- entry_position
-------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT dunning.entry_position(cs.entry_ids, 'S1-B'), dunning.entry_position(cs.entry_ids, 'S1-A'),
             dunning.entry_position(cs.entry_ids, 'S1-Z'), dunning.entry_position(ARRAY['x', NULL, 'y'], 'y')
      FROM dunning.customer_state cs WHERE cs.customer_id = 'S1'$$,
    $$VALUES (2, 1, NULL::integer, 3)$$,
    'entry_position: 1-based, NULL when absent, NULL elements skipped');

-------------------------------------------------------------------------------
-- The planner reads the imported states; an execution merges
-------------------------------------------------------------------------------
SELECT lives_ok($$SELECT dunning.plan(DATE '2024-03-16')$$, 'plan 2024-03-16');
SELECT results_eq(
    $$SELECT a.customer_id, a.step::text, ae.entry_id, ae.level_before::text
      FROM dunning.action a JOIN dunning.action_entry ae USING (action_id)
      WHERE a.status = 'proposed' ORDER BY 1, 2, 3$$,
    $$VALUES ('S1', 'R1', 'S1-A', 'P'), ('S1', 'R2', 'S1-B', 'R1'), ('S2', 'R1', 'S2-A', 'none')$$,
    'S1-B imported at R1 on 03-01 gets R2 on 03-16 (+15); S1-A imported at P gets R1; S1-C is not due');
SELECT is(dunning.send('email', NULL, 'R2', DATE '2024-03-16'), 1, 'the R2 is sent');
SELECT results_eq(
    $$SELECT entry_id, level::text, last_dunned_on, reminder_count FROM dunning.entry_state ORDER BY entry_id$$,
    $$VALUES ('S1-A', 'P', NULL::date, 0), ('S1-B', 'R2', DATE '2024-03-16', 2)$$,
    'the executed entry moves to R2, dated, counted; the other entry of the customer keeps its state');
SELECT is(dunning.send('email', NULL, 'R1', DATE '2024-03-16'), 2, 'the two R1 are sent');
SELECT results_eq(
    $$SELECT customer_id, entry_ids, levels::text[], last_dunned_on, reminder_counts
      FROM dunning.customer_state ORDER BY customer_id$$,
    $$VALUES ('S1', ARRAY['S1-A', 'S1-B'], ARRAY['R1', 'R2'], ARRAY[DATE '2024-03-16', DATE '2024-03-16'], ARRAY[1, 2]),
             ('S2', ARRAY['S2-A'], ARRAY['R1'], ARRAY[DATE '2024-03-16'], ARRAY[1])$$,
    'the merge updates S1''s arrays in place and gives S2 its first row');
-- The French reminder, rendered in French: its subject's {{as_of}} is the
-- planning date, its entry line and total are formatted the French way
-- (U+00A0 before the euro sign).
SELECT results_eq(
    $$SELECT o.subject, (o.payload ->> 'template_id')::bigint,
             pg_catalog.strpos(o.body, E'\n- facture F-S2-A du 01/02/2024, échue le 01/03/2024 (15 jours de retard) : 400,00\u00a0€\n') > 0,
             pg_catalog.strpos(o.body, E'\nTotal dû : 400,00\u00a0€\n') > 0
      FROM dunning.outbox o WHERE o.customer_id = 'S2'$$,
    $$SELECT 'Relance : factures échues au 16/03/2024', t.template_id, true, true
      FROM dunning.template t WHERE t.name = 'reminder' AND t.language = 'fr'$$,
    'a customer whose language has no template gets the French one');

SELECT * FROM finish();
ROLLBACK;
