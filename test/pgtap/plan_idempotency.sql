-- plan_idempotency.sql: planning again, the same day or later.
--
-- SPEC.md, "The rules", 10: "Planning is idempotent: running it twice for
-- the same D, or again after a crash, yields the same proposals, never a
-- duplicate, and never loses a collector's unticking."
-- 9: "A level changes [...] only when a reminder is executed [...], never
-- when it is proposed."
-- SPEC.md, "Running": "`dunning.plan(as_of date default today) returns
-- bigint` (the run id): recompute profiles and proposals"; "A past day can
-- be replayed".
-- SPEC.md, "Manual trigger": "`dunning.activity` view: every action ever
-- made with its status history (proposed, excluded, queued, sent, failed,
-- done, cancelled)."
--
-- Proves, on a ledger planned on 2025-03-10 (entries due 2025-03-01, R1 due):
--   * planning 2025-03-10 twice keeps the same action_ids, the same
--     action_entry rows and the same history, with one proposal per customer
--     and step, and moves no entry's level;
--   * planning a later date refreshes the open proposals in place: an entry
--     paid in between leaves its action, a changed open amount follows, a
--     newly due entry joins, and a proposal no longer due (paid, or a pre-due
--     whose due date has come) is cancelled with its history;
--   * a collector's unticking of an action and of one entry survives the next
--     runs for the same customer and step;
--   * a date before the last run's is refused (22023) and records nothing;
--   * a run inside a rolled-back savepoint (a crash) leaves no run and no
--     proposal, and the next run is not held to its date;
--   * planning the same date again after sending proposes the sent entries
--     nothing again.
BEGIN;
SELECT plan(28);
SET LOCAL client_min_messages = warning;

-------------------------------------------------------------------------------
-- The ledger.
-------------------------------------------------------------------------------
INSERT INTO dunning.customer (customer_id, name, email, collector) VALUES
    ('IA', 'Alpha',   'alpha@example.com',   'ann'),  -- one entry paid, one new due
    ('IB', 'Bravo',   'bravo@example.com',   'ann'),  -- partial payment
    ('IC', 'Charlie', 'charlie@example.com', 'bob'),  -- pre-due, then due date reached
    ('ID', 'Delta',   'delta@example.com',   'bob'),  -- paid in full
    ('IT', 'Tango',   'tango@example.com',   'bob'),  -- action unticked by the collector
    ('IU', 'Uniform', 'uniform@example.com', 'bob');  -- one entry unticked by the collector

INSERT INTO dunning.entry (entry_id, customer_id, document_number, kind, document_date, due_date,
                           amount, open_amount, currency) VALUES
    ('IA-1', 'IA', 'F-IA-1', 'invoice', DATE '2025-02-01', DATE '2025-03-01', 500.00, 500.00, 'EUR'),
    ('IA-2', 'IA', 'F-IA-2', 'invoice', DATE '2025-02-02', DATE '2025-03-02', 200.00, 200.00, 'EUR'),
    ('IB-1', 'IB', 'F-IB-1', 'invoice', DATE '2025-02-01', DATE '2025-03-01', 400.00, 400.00, 'EUR'),
    ('IC-1', 'IC', 'F-IC-1', 'invoice', DATE '2025-02-12', DATE '2025-03-12', 300.00, 300.00, 'EUR'),
    ('ID-1', 'ID', 'F-ID-1', 'invoice', DATE '2025-02-01', DATE '2025-03-01', 100.00, 100.00, 'EUR'),
    ('IT-1', 'IT', 'F-IT-1', 'invoice', DATE '2025-02-01', DATE '2025-03-01', 250.00, 250.00, 'EUR'),
    ('IU-1', 'IU', 'F-IU-1', 'invoice', DATE '2025-02-01', DATE '2025-03-01', 100.00, 100.00, 'EUR'),
    ('IU-2', 'IU', 'F-IU-2', 'invoice', DATE '2025-02-01', DATE '2025-03-01', 150.00, 150.00, 'EUR');

CREATE TEMPORARY TABLE runs (as_of date, run_id bigint);

-- What a proposal is, without the run that last refreshed it.
CREATE TEMPORARY VIEW actions_now AS
SELECT a.action_id, a.customer_id, a.step, a.level, a.media, a.status, a.selected, a.exclusion_reason,
       a.collector, a.scenario_id, a.proposed_on
FROM dunning.action a;
CREATE FUNCTION pg_temp.action_of(of_customer text, at_step text) RETURNS bigint
    LANGUAGE sql AS $$
    SELECT pg_catalog.max(a.action_id) FROM dunning.action a
    WHERE a.customer_id = of_customer AND a.step = at_step::dunning.step_name
$$;

-------------------------------------------------------------------------------
-- The same date twice
-------------------------------------------------------------------------------
INSERT INTO pg_temp.runs SELECT DATE '2025-03-10', dunning.plan(DATE '2025-03-10');
CREATE TEMPORARY TABLE first_actions AS SELECT * FROM pg_temp.actions_now;
CREATE TEMPORARY TABLE first_entries AS SELECT * FROM dunning.action_entry;
CREATE TEMPORARY TABLE first_events AS SELECT action_id, status, note FROM dunning.action_event;

INSERT INTO pg_temp.runs SELECT DATE '2025-03-10', dunning.plan(DATE '2025-03-10');

SELECT results_eq(
    $$SELECT customer_id, step::text FROM pg_temp.first_actions ORDER BY customer_id, step$$,
    $$VALUES ('IA', 'R1'), ('IB', 'R1'), ('IC', 'pre_due'), ('ID', 'R1'), ('IT', 'R1'), ('IU', 'R1')$$,
    'the first run proposes R1 to the customers with an overdue entry and pre-due to IC');
SELECT bag_eq(
    $$SELECT * FROM pg_temp.actions_now$$,
    $$SELECT * FROM pg_temp.first_actions$$,
    'planning the same date again keeps the same actions: same action_ids, steps, levels, media, selection');
SELECT bag_eq(
    $$SELECT * FROM dunning.action_entry$$,
    $$SELECT * FROM pg_temp.first_entries$$,
    'planning the same date again leaves the same rows in dunning.action_entry');
SELECT is_empty(
    $$SELECT a.customer_id, a.step FROM dunning.action a
      GROUP BY a.customer_id, a.step HAVING pg_catalog.count(*) > 1$$,
    'no customer has two actions for one step');
SELECT bag_eq(
    $$SELECT action_id, status, note FROM dunning.action_event$$,
    $$SELECT * FROM pg_temp.first_events$$,
    'the second run adds nothing to the actions'' history');
SELECT results_eq(
    $$SELECT r.as_of, r.status, r.proposals, r.selected FROM dunning.run r
      WHERE r.run_id IN (SELECT x.run_id FROM pg_temp.runs x) ORDER BY r.run_id$$,
    $$VALUES (DATE '2025-03-10', 'done', 6::bigint, 6::bigint), (DATE '2025-03-10', 'done', 6::bigint, 6::bigint)$$,
    'both runs are recorded, each with the same 6 proposals, all selected');
SELECT is_empty(
    $$SELECT st.entry_id FROM dunning.entry_state st
      WHERE st.customer_id IN ('IA', 'IB', 'IC', 'ID', 'IT', 'IU')$$,
    'planning moves no entry''s level');

-------------------------------------------------------------------------------
-- The collector unticks; the ledger moves; a later date.
-------------------------------------------------------------------------------
SELECT lives_ok($$SELECT dunning.untick(pg_temp.action_of('IT', 'R1'))$$,
    'the collector unticks the R1 action of IT');
SELECT lives_ok($$SELECT dunning.untick(pg_temp.action_of('IU', 'R1'), 'IU-2')$$,
    'the collector unticks entry IU-2 of the R1 action of IU');

INSERT INTO pg_temp.runs SELECT DATE '2025-03-10', dunning.plan(DATE '2025-03-10');
SELECT results_eq(
    $$SELECT a.customer_id, a.selected FROM dunning.action a WHERE a.customer_id IN ('IT', 'IU') ORDER BY 1$$,
    $$VALUES ('IT', false), ('IU', true)$$,
    'an untick survives a run for the same date');

UPDATE dunning.entry SET open_amount = 0, settled_on = DATE '2025-03-11', settled_by = 'payment'
 WHERE entry_id IN ('IA-2', 'ID-1');
UPDATE dunning.entry SET open_amount = 150.00 WHERE entry_id = 'IB-1';
INSERT INTO dunning.entry (entry_id, customer_id, document_number, kind, document_date, due_date,
                           amount, open_amount, currency)
VALUES ('IA-3', 'IA', 'F-IA-3', 'invoice', DATE '2025-02-06', DATE '2025-03-06', 75.00, 75.00, 'EUR');

INSERT INTO pg_temp.runs SELECT DATE '2025-03-12', dunning.plan(DATE '2025-03-12');

SELECT results_eq(
    $$SELECT a.action_id, a.status, a.proposed_on FROM dunning.action a WHERE a.customer_id IN ('IA', 'IB') ORDER BY 1$$,
    $$SELECT f.action_id, 'proposed'::text, DATE '2025-03-12' FROM pg_temp.first_actions f
      WHERE f.customer_id IN ('IA', 'IB') ORDER BY 1$$,
    'a later date refreshes the open proposals in place: same action_ids, proposed on the new date');
SELECT results_eq(
    $$SELECT ae.entry_id, ae.open_amount FROM dunning.action_entry ae
      WHERE ae.action_id = pg_temp.action_of('IA', 'R1') ORDER BY ae.entry_id$$,
    $$VALUES ('IA-1', 500.00), ('IA-3', 75.00)$$,
    'an entry paid in between leaves the action; an entry due since joins it');
SELECT results_eq(
    $$SELECT ae.entry_id, ae.amount, ae.open_amount FROM dunning.action_entry ae
      WHERE ae.action_id = pg_temp.action_of('IB', 'R1')$$,
    $$VALUES ('IB-1', 400.00, 150.00)$$,
    'an open amount changed in the ledger follows into the action');
SELECT results_eq(
    $$SELECT pr.customer_id, pr.amount, pr.entry_count FROM dunning.proposal pr
      WHERE pr.customer_id IN ('IA', 'IB') ORDER BY 1$$,
    $$VALUES ('IA', 575.00, 2::bigint), ('IB', 150.00, 1::bigint)$$,
    'dunning.proposal shows the refreshed amounts');
SELECT results_eq(
    $$SELECT ac.customer_id, ac.step::text, ac.status, ac.note,
             pg_catalog.jsonb_path_query_array(ac.history, '$[*].status')
      FROM dunning.activity ac WHERE ac.customer_id IN ('IC', 'ID') ORDER BY 1$$,
    $$VALUES ('IC', 'pre_due', 'cancelled', 'no longer due on 2025-03-12', '["proposed", "cancelled"]'::jsonb),
             ('ID', 'R1', 'cancelled', 'no longer due on 2025-03-12', '["proposed", "cancelled"]'::jsonb)$$,
    'a proposal no longer due (entry paid; pre-due once the due date has come) is cancelled, with its history');
SELECT is_empty(
    $$SELECT pr.action_id FROM dunning.proposal pr WHERE pr.customer_id IN ('IC', 'ID')$$,
    'a cancelled proposal leaves dunning.proposal');
SELECT results_eq(
    $$SELECT a.action_id, a.selected, a.exclusion_reason FROM dunning.action a WHERE a.customer_id = 'IT'$$,
    $$SELECT f.action_id, false, NULL::text FROM pg_temp.first_actions f WHERE f.customer_id = 'IT'$$,
    'the collector''s untick of an action survives the next night''s refresh (same action, still unticked)');
SELECT results_eq(
    $$SELECT ae.entry_id, ae.selected FROM dunning.action_entry ae
      WHERE ae.action_id = pg_temp.action_of('IU', 'R1') ORDER BY 1$$,
    $$VALUES ('IU-1', true), ('IU-2', false)$$,
    'the collector''s untick of one entry survives the next night''s refresh');
SELECT results_eq(
    $$SELECT pr.customer_id, pr.selected, pr.amount, pr.selected_amount FROM dunning.proposal pr
      WHERE pr.customer_id IN ('IT', 'IU') ORDER BY 1$$,
    $$VALUES ('IT', false, 250.00, 250.00), ('IU', true, 250.00, 100.00)$$,
    'dunning.proposal shows the kept unticks');

-------------------------------------------------------------------------------
-- A date before the last run's
-------------------------------------------------------------------------------
SELECT throws_ok(
    $$SELECT dunning.plan(DATE '2025-03-11')$$,
    '22023', 'as_of 2025-03-11 is before the date of the last run, 2025-03-12',
    'planning a date before the last run''s is refused');
SELECT is(
    (SELECT pg_catalog.count(*) FROM dunning.run r WHERE r.as_of = DATE '2025-03-11'), 0::bigint,
    'the refused date records no run');

-------------------------------------------------------------------------------
-- A crash: the run is rolled back.
-------------------------------------------------------------------------------
CREATE TEMPORARY TABLE before_crash AS SELECT * FROM pg_temp.actions_now;
CREATE TEMPORARY TABLE runs_before_crash AS SELECT r.run_id FROM dunning.run r;
SAVEPOINT crash;
INSERT INTO dunning.entry (entry_id, customer_id, document_number, kind, document_date, due_date,
                           amount, open_amount, currency)
VALUES ('IC-9', 'IC', 'F-IC-9', 'invoice', DATE '2025-02-01', DATE '2025-03-01', 90.00, 90.00, 'EUR');
CREATE TEMPORARY TABLE crashed_run AS SELECT dunning.plan(DATE '2025-03-20') AS run_id;
ROLLBACK TO SAVEPOINT crash;

SELECT is_empty(
    $$SELECT r.run_id FROM dunning.run r EXCEPT SELECT b.run_id FROM pg_temp.runs_before_crash b$$,
    'a run rolled back leaves no row in dunning.run');
SELECT bag_eq(
    $$SELECT * FROM pg_temp.actions_now$$,
    $$SELECT * FROM pg_temp.before_crash$$,
    'a run rolled back leaves the proposals as they were');
SELECT lives_ok(
    $$INSERT INTO pg_temp.runs SELECT DATE '2025-03-15', dunning.plan(DATE '2025-03-15')$$,
    'after the rollback, planning 2025-03-15 (before the rolled-back 2025-03-20) is accepted');

-------------------------------------------------------------------------------
-- Replaying a date after sending
-------------------------------------------------------------------------------
SELECT is(dunning.send('email', NULL, NULL, DATE '2025-03-15'), 3,
    'on 2025-03-15 send executes the three ticked R1 actions (IA, IB, IU), not the unticked one of IT');
INSERT INTO pg_temp.runs SELECT DATE '2025-03-15', dunning.plan(DATE '2025-03-15');
SELECT results_eq(
    $$SELECT a.customer_id, a.step::text, a.status FROM dunning.action a
      WHERE a.customer_id IN ('IA', 'IB') AND a.status <> 'cancelled' ORDER BY 1$$,
    $$VALUES ('IA', 'R1', 'queued'), ('IB', 'R1', 'queued')$$,
    'planning the same date again after sending proposes nothing again to the customers whose reminders went');
SELECT is_empty(
    $$SELECT ae.entry_id FROM dunning.action_entry ae
      JOIN dunning.action a ON a.action_id = ae.action_id
      WHERE a.status = 'proposed'
        AND EXISTS (SELECT FROM dunning.action_entry done_ae
                    JOIN dunning.action done ON done.action_id = done_ae.action_id
                    WHERE done.status IN ('queued', 'sent', 'done') AND done_ae.selected
                      AND done_ae.entry_id = ae.entry_id AND done.step = a.step)$$,
    'no open proposal holds an entry already executed at the same step');
SELECT results_eq(
    $$SELECT a.selected FROM dunning.action a WHERE a.customer_id = 'IT'$$,
    $$VALUES (false)$$,
    'the untick of IT''s action is still there after a send and another run');

SELECT * FROM finish();
ROLLBACK;
