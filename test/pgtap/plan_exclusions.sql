-- plan_exclusions.sql: what the planner leaves out, and how it shows it.
--
-- SPEC.md, "The rules", 8: "Exclusions stay visible as unticked, with a
-- reason: customer `stop_dunning`, below `min_balance`/`min_entry_amount`,
-- promise to pay not yet expired (when `exclude_promised`), dispute (only
-- when `exclude_disputed`). Disputed customers and entries are always
-- flagged."
-- SPEC.md, "Configuration": `exclude_promised` (default true),
-- `exclude_disputed` (default false: disputes are flagged, not excluded),
-- `min_balance` and `min_entry_amount` (thresholds, default 0).
-- Seed 000: "Des clients et écritures peuvent être exclus de la relance,
-- autrement dit décochés dans la liste [...] Stop relance [...] Seuils de
-- relance - Les écritures avec des promesses à venir si l'option est activée.
-- Les clients en litige et écritures en litige sont identifiables
-- visuellement dans cette liste."
--
-- Proves, on one ledger planned on 2025-03-10 (every invoice due 2025-03-01,
-- so R1 falls due on 2025-03-06):
--   * stop_dunning unticks the customer's action with reason 'stop_dunning',
--     and a collector cannot tick it (nor one of its entries);
--   * min_balance compares the customer's balance per currency (credit notes
--     included): below it the action is unticked ('below min_balance'), at it
--     the action stays ticked;
--   * min_entry_amount unticks the entry ('below min_entry_amount'), at it the
--     entry stays ticked;
--   * a promise to pay unticks the entry ('promise to pay by <date>') up to
--     and including the promised date; the day after, the entry is included
--     again; an action whose every entry is excluded is unticked ('every
--     entry excluded'); with exclude_promised off a promise excludes nothing;
--   * disputes are flagged (customer_in_dispute, has_disputed_entries) but
--     stay ticked by default; with exclude_disputed the customer's action is
--     unticked ('customer in dispute') and a disputed entry is unticked
--     ('entry in dispute'), and the action's history records the exclusion;
--   * excluded actions stay in dunning.proposal and dunning.batch, unticked;
--   * dunning.send executes only ticked actions and ticked entries;
--   * stop_dunning set on a customer whose action a collector had ticked
--     (when nothing excluded it) still unticks the action: the stale tick
--     does not send a reminder to a stopped customer.
BEGIN;
SELECT plan(34);
SET LOCAL client_min_messages = warning;

-------------------------------------------------------------------------------
-- The ledger.
-------------------------------------------------------------------------------
UPDATE dunning.settings SET min_balance = 100, min_entry_amount = 10;

INSERT INTO dunning.customer (customer_id, name, email, collector, stop_dunning, in_dispute) VALUES
    ('XA', 'Alpha',   'alpha@example.com',   'ann', false, false),  -- nothing excluded
    ('XB', 'Bravo',   'bravo@example.com',   'ann', true,  false),  -- stop_dunning
    ('XC', 'Charlie', 'charlie@example.com', 'bob', false, false),  -- balance 80 < 100
    ('XK', 'Kilo',    'kilo@example.com',    'bob', false, false),  -- balance exactly 100
    ('XH', 'Hotel',   'hotel@example.com',   'bob', false, false),  -- 150 - 100 credit = 50
    ('XD', 'Delta',   'delta@example.com',   'bob', false, false),  -- one entry under 10
    ('XE', 'Echo',    'echo@example.com',    'ann', false, false),  -- only entry promised
    ('XQ', 'Quebec',  'quebec@example.com',  'ann', false, false),  -- one of two promised
    ('XP', 'Papa',    'papa@example.com',    'ann', false, false),  -- promised far ahead
    ('XF', 'Foxtrot', 'foxtrot@example.com', 'ann', false, true),   -- customer in dispute
    ('XG', 'Golf',    'golf@example.com',    'ann', false, false),  -- one entry in dispute
    ('XW', 'Whiskey', 'whiskey@example.com', 'ann', false, false),  -- only entry in dispute
    ('XS', 'Sierra',  'sierra@example.com',  'bob', false, false);  -- stopped after a tick

INSERT INTO dunning.entry (entry_id, customer_id, document_number, kind, document_date, due_date,
                           amount, open_amount, currency, in_dispute, promised_on) VALUES
    ('XA-1', 'XA', 'F-XA-1', 'invoice',     DATE '2025-02-01', DATE '2025-03-01', 500.00, 500.00, 'EUR', false, NULL),
    ('XB-1', 'XB', 'F-XB-1', 'invoice',     DATE '2025-02-01', DATE '2025-03-01', 400.00, 400.00, 'EUR', false, NULL),
    ('XC-1', 'XC', 'F-XC-1', 'invoice',     DATE '2025-02-01', DATE '2025-03-01',  80.00,  80.00, 'EUR', false, NULL),
    ('XK-1', 'XK', 'F-XK-1', 'invoice',     DATE '2025-02-01', DATE '2025-03-01', 100.00, 100.00, 'EUR', false, NULL),
    ('XH-1', 'XH', 'F-XH-1', 'invoice',     DATE '2025-02-01', DATE '2025-03-01', 150.00, 150.00, 'EUR', false, NULL),
    ('XH-2', 'XH', 'A-XH-2', 'credit_note', DATE '2025-02-15', DATE '2025-02-15', -100.00, -100.00, 'EUR', false, NULL),
    ('XD-1', 'XD', 'F-XD-1', 'invoice',     DATE '2025-02-01', DATE '2025-03-01', 500.00, 500.00, 'EUR', false, NULL),
    ('XD-2', 'XD', 'F-XD-2', 'invoice',     DATE '2025-02-01', DATE '2025-03-01',   5.00,   5.00, 'EUR', false, NULL),
    ('XD-3', 'XD', 'F-XD-3', 'invoice',     DATE '2025-02-01', DATE '2025-03-01',  10.00,  10.00, 'EUR', false, NULL),
    ('XE-1', 'XE', 'F-XE-1', 'invoice',     DATE '2025-02-01', DATE '2025-03-01', 300.00, 300.00, 'EUR', false, DATE '2025-03-12'),
    ('XQ-1', 'XQ', 'F-XQ-1', 'invoice',     DATE '2025-02-01', DATE '2025-03-01', 300.00, 300.00, 'EUR', false, DATE '2025-03-12'),
    ('XQ-2', 'XQ', 'F-XQ-2', 'invoice',     DATE '2025-02-01', DATE '2025-03-01', 200.00, 200.00, 'EUR', false, NULL),
    ('XP-1', 'XP', 'F-XP-1', 'invoice',     DATE '2025-02-01', DATE '2025-03-01', 350.00, 350.00, 'EUR', false, DATE '2025-03-31'),
    ('XF-1', 'XF', 'F-XF-1', 'invoice',     DATE '2025-02-01', DATE '2025-03-01', 200.00, 200.00, 'EUR', false, NULL),
    ('XG-1', 'XG', 'F-XG-1', 'invoice',     DATE '2025-02-01', DATE '2025-03-01', 200.00, 200.00, 'EUR', true,  NULL),
    ('XG-2', 'XG', 'F-XG-2', 'invoice',     DATE '2025-02-01', DATE '2025-03-01', 300.00, 300.00, 'EUR', false, NULL),
    ('XW-1', 'XW', 'F-XW-1', 'invoice',     DATE '2025-02-01', DATE '2025-03-01', 250.00, 250.00, 'EUR', true,  NULL),
    ('XS-1', 'XS', 'F-XS-1', 'invoice',     DATE '2025-02-10', DATE '2025-03-10', 300.00, 300.00, 'EUR', false, NULL);

-- The runs of this file, by planning date.
CREATE TEMPORARY TABLE runs (as_of date, run_id bigint);

-- The R1 action of a customer.
CREATE FUNCTION pg_temp.action_of(of_customer text) RETURNS bigint
    LANGUAGE sql AS $$
    SELECT a.action_id FROM dunning.action a WHERE a.customer_id = of_customer AND a.step = 'R1'
$$;

INSERT INTO pg_temp.runs SELECT DATE '2025-03-10', dunning.plan(DATE '2025-03-10');

-------------------------------------------------------------------------------
-- stop_dunning
-------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT p.step::text, p.media::text, p.amount, p.currency, p.entry_count, p.selected, p.exclusion_reason
      FROM dunning.proposal p WHERE p.customer_id = 'XB'$$,
    $$VALUES ('R1', 'email', 400.00, 'EUR', 1::bigint, false, 'stop_dunning')$$,
    'a stop_dunning customer''s due R1 is proposed, unticked, with reason stop_dunning');
SELECT throws_ok(
    $$SELECT dunning.tick(pg_temp.action_of('XB'))$$,
    '22023', 'customer XB is marked stop_dunning: clear it on the customer record to remind them',
    'a collector cannot tick the action of a stop_dunning customer');
SELECT throws_ok(
    $$SELECT dunning.tick(pg_temp.action_of('XB'), 'XB-1')$$,
    '22023', 'customer XB is marked stop_dunning: clear it on the customer record to remind them',
    'nor one of its entries');
SELECT throws_like(
    $$SELECT dunning.untick(pg_temp.action_of('XA'), 'XB-1')$$,
    'action % holds no entry ''XB-1''',
    'unticking an entry the action does not hold is refused, naming the entry');

-------------------------------------------------------------------------------
-- min_balance (customer balance per currency, credit notes included)
-------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT p.customer_id, p.amount, p.selected, p.exclusion_reason
      FROM dunning.proposal p WHERE p.customer_id IN ('XC', 'XH', 'XK') ORDER BY p.customer_id$$,
    $$VALUES ('XC', 80.00, false, 'below min_balance'),
             ('XH', 50.00, false, 'below min_balance'),
             ('XK', 100.00, true, NULL::text)$$,
    'min_balance 100: a balance of 80, or of 150 less a 100 credit note, is unticked ''below min_balance''; a balance of exactly 100 is ticked');

-------------------------------------------------------------------------------
-- min_entry_amount (per entry)
-------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT ae.entry_id, ae.selected, ae.exclusion_reason
      FROM dunning.action_entry ae WHERE ae.action_id = pg_temp.action_of('XD') ORDER BY ae.entry_id$$,
    $$VALUES ('XD-1', true, NULL::text), ('XD-2', false, 'below min_entry_amount'), ('XD-3', true, NULL)$$,
    'min_entry_amount 10: an entry of 5 is unticked ''below min_entry_amount'', entries of 10 and 500 stay ticked');
SELECT results_eq(
    $$SELECT p.amount, p.entry_count, p.selected_amount, p.selected_entry_count, p.selected, p.exclusion_reason
      FROM dunning.proposal p WHERE p.customer_id = 'XD'$$,
    $$VALUES (515.00, 3::bigint, 510.00, 2::bigint, true, NULL::text)$$,
    'the action keeps the small entry visible (3 entries, 515) but counts only the ticked ones (2, 510); the action stays ticked');

-------------------------------------------------------------------------------
-- Promises to pay
-------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT ae.entry_id, ae.selected, ae.exclusion_reason
      FROM dunning.action_entry ae WHERE ae.customer_id IN ('XE', 'XQ', 'XP') ORDER BY ae.entry_id$$,
    $$VALUES ('XE-1', false, 'promise to pay by 2025-03-12'),
             ('XP-1', false, 'promise to pay by 2025-03-31'),
             ('XQ-1', false, 'promise to pay by 2025-03-12'),
             ('XQ-2', true, NULL::text)$$,
    'an entry promised for a later date is unticked ''promise to pay by <date>''; an unpromised one beside it is not');
SELECT results_eq(
    $$SELECT p.customer_id, p.selected, p.exclusion_reason
      FROM dunning.proposal p WHERE p.customer_id IN ('XE', 'XQ') ORDER BY p.customer_id$$,
    $$VALUES ('XE', false, 'every entry excluded'), ('XQ', true, NULL::text)$$,
    'an action whose only entry is promised is unticked ''every entry excluded''; one with an unpromised entry stays ticked');

-------------------------------------------------------------------------------
-- Disputes: flagged, not excluded, by default
-------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT p.customer_id, p.customer_in_dispute, p.has_disputed_entries, p.selected, p.exclusion_reason
      FROM dunning.proposal p WHERE p.customer_id IN ('XA', 'XF', 'XG', 'XW') ORDER BY p.customer_id$$,
    $$VALUES ('XA', false, false, true, NULL::text),
             ('XF', true, false, true, NULL),
             ('XG', false, true, true, NULL),
             ('XW', false, true, true, NULL)$$,
    'by default a customer in dispute and actions holding disputed entries are flagged and stay ticked');
SELECT results_eq(
    $$SELECT ae.entry_id, ae.in_dispute, ae.selected, ae.exclusion_reason
      FROM dunning.action_entry ae WHERE ae.customer_id IN ('XG', 'XW') ORDER BY ae.entry_id$$,
    $$VALUES ('XG-1', true, true, NULL::text), ('XG-2', false, true, NULL), ('XW-1', true, true, NULL)$$,
    'by default a disputed entry is flagged in_dispute and stays ticked');

-------------------------------------------------------------------------------
-- Excluded actions stay visible
-------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT p.customer_id, p.selected FROM dunning.proposal p ORDER BY p.customer_id$$,
    $$VALUES ('XA', true), ('XB', false), ('XC', false), ('XD', true), ('XE', false), ('XF', true),
             ('XG', true), ('XH', false), ('XK', true), ('XP', false), ('XQ', true), ('XW', true)$$,
    'every customer with a due entry has its one proposal, excluded ones included (unticked)');
SELECT results_eq(
    $$SELECT b.media::text, b.profile, b.step::text, b.currency, b.actions, b.selected_actions
      FROM dunning.batch b$$,
    $$VALUES ('email', 'Standard', 'R1', 'EUR', 12::bigint, 7::bigint)$$,
    'the batch counts the excluded actions among its actions but not among its selected ones');
SELECT results_eq(
    $$SELECT a.customer_id, ev.status, ev.note
      FROM dunning.action a JOIN dunning.action_event ev ON ev.action_id = a.action_id
      WHERE a.customer_id IN ('XA', 'XB', 'XE') ORDER BY a.customer_id$$,
    $$VALUES ('XA', 'proposed', NULL::text), ('XB', 'excluded', 'stop_dunning'),
             ('XE', 'excluded', 'every entry excluded')$$,
    'the history records an action born excluded as excluded, with its reason');

-------------------------------------------------------------------------------
-- The promise date itself, and the day after
-------------------------------------------------------------------------------
INSERT INTO pg_temp.runs SELECT DATE '2025-03-12', dunning.plan(DATE '2025-03-12');
SELECT results_eq(
    $$SELECT ae.entry_id, ae.selected, ae.exclusion_reason
      FROM dunning.action_entry ae WHERE ae.customer_id IN ('XE', 'XQ') ORDER BY ae.entry_id$$,
    $$VALUES ('XE-1', false, 'promise to pay by 2025-03-12'), ('XQ-1', false, 'promise to pay by 2025-03-12'),
             ('XQ-2', true, NULL::text)$$,
    'on the promised date itself the promise is not expired: the entries stay excluded');
SELECT results_eq(
    $$SELECT p.selected, p.exclusion_reason FROM dunning.proposal p WHERE p.customer_id = 'XE'$$,
    $$VALUES (false, 'every entry excluded')$$,
    'on the promised date the action of the promised entry stays unticked');

INSERT INTO pg_temp.runs SELECT DATE '2025-03-13', dunning.plan(DATE '2025-03-13');
SELECT results_eq(
    $$SELECT ae.entry_id, ae.selected, ae.exclusion_reason
      FROM dunning.action_entry ae WHERE ae.customer_id IN ('XE', 'XQ', 'XP') ORDER BY ae.entry_id$$,
    $$VALUES ('XE-1', true, NULL::text), ('XP-1', false, 'promise to pay by 2025-03-31'),
             ('XQ-1', true, NULL), ('XQ-2', true, NULL)$$,
    'the day after the promised date the unkept promise excludes nothing: the entries are ticked again (a later promise still excludes)');
SELECT results_eq(
    $$SELECT p.customer_id, p.amount, p.selected, p.exclusion_reason
      FROM dunning.proposal p WHERE p.customer_id IN ('XE', 'XQ') ORDER BY p.customer_id$$,
    $$VALUES ('XE', 300.00, true, NULL::text), ('XQ', 500.00, true, NULL)$$,
    'the day after the promised date the refreshed action is ticked, with no reason');
SELECT is(
    (SELECT pg_catalog.count(*) FROM dunning.action a WHERE a.customer_id = 'XE'),
    1::bigint,
    'the promised entry comes back in the same action, not a new one');

-------------------------------------------------------------------------------
-- exclude_disputed
-------------------------------------------------------------------------------
UPDATE dunning.settings SET exclude_disputed = true;
INSERT INTO pg_temp.runs SELECT DATE '2025-03-13', dunning.plan(DATE '2025-03-13');
SELECT results_eq(
    $$SELECT p.customer_id, p.customer_in_dispute, p.has_disputed_entries, p.selected, p.exclusion_reason
      FROM dunning.proposal p WHERE p.customer_id IN ('XA', 'XF', 'XG', 'XW') ORDER BY p.customer_id$$,
    $$VALUES ('XA', false, false, true, NULL::text),
             ('XF', true, false, false, 'customer in dispute'),
             ('XG', false, true, true, NULL),
             ('XW', false, true, false, 'every entry excluded')$$,
    'with exclude_disputed a customer in dispute is unticked ''customer in dispute''; a disputed entry unticks the action only when it is its only entry; flags stay');
SELECT results_eq(
    $$SELECT ae.entry_id, ae.selected, ae.exclusion_reason
      FROM dunning.action_entry ae WHERE ae.customer_id IN ('XG', 'XW') ORDER BY ae.entry_id$$,
    $$VALUES ('XG-1', false, 'entry in dispute'), ('XG-2', true, NULL::text), ('XW-1', false, 'entry in dispute')$$,
    'with exclude_disputed a disputed entry is unticked ''entry in dispute'', the others stay ticked');
SELECT results_eq(
    $$SELECT a.customer_id, a.status FROM dunning.action a WHERE a.customer_id IN ('XF', 'XW') ORDER BY 1$$,
    $$VALUES ('XF', 'proposed'), ('XW', 'proposed')$$,
    'an action excluded on a refresh stays a proposal (visible), it is not cancelled');
SELECT is(
    (SELECT ac.history -> -1 ->> 'status' FROM dunning.activity ac WHERE ac.customer_id = 'XF'),
    'excluded',
    'the history of an action a refresh excludes ends with status excluded');

-------------------------------------------------------------------------------
-- exclude_promised off
-------------------------------------------------------------------------------
UPDATE dunning.settings SET exclude_promised = false;
INSERT INTO pg_temp.runs SELECT DATE '2025-03-13', dunning.plan(DATE '2025-03-13');
SELECT results_eq(
    $$SELECT ae.entry_id, ae.selected, ae.exclusion_reason FROM dunning.action_entry ae WHERE ae.customer_id = 'XP'$$,
    $$VALUES ('XP-1', true, NULL::text)$$,
    'with exclude_promised off a promise not yet expired excludes nothing');
SELECT results_eq(
    $$SELECT p.selected, p.exclusion_reason FROM dunning.proposal p WHERE p.customer_id = 'XP'$$,
    $$VALUES (true, NULL::text)$$,
    'with exclude_promised off the promised customer''s action is ticked');

-------------------------------------------------------------------------------
-- dunning.send executes what is ticked, and only that
-------------------------------------------------------------------------------
SELECT is(dunning.send('email', NULL, NULL, DATE '2025-03-13'), 7,
    'send(''email'') executes the 7 ticked actions and reports 7');
SELECT results_eq(
    $$SELECT o.customer_id FROM dunning.outbox o ORDER BY o.customer_id$$,
    $$VALUES ('XA'), ('XD'), ('XE'), ('XG'), ('XK'), ('XP'), ('XQ')$$,
    'one message is queued for each ticked action');
SELECT results_eq(
    $$SELECT a.customer_id, a.status, a.selected, a.exclusion_reason
      FROM dunning.action a WHERE a.status = 'proposed' ORDER BY a.customer_id$$,
    $$VALUES ('XB', 'proposed', false, 'stop_dunning'), ('XC', 'proposed', false, 'below min_balance'),
             ('XF', 'proposed', false, 'customer in dispute'), ('XH', 'proposed', false, 'below min_balance'),
             ('XW', 'proposed', false, 'every entry excluded')$$,
    'the unticked actions are left proposed, with their reasons');
SELECT is_empty(
    $$SELECT o.customer_id FROM dunning.outbox o
      WHERE o.customer_id IN ('XB', 'XC', 'XF', 'XH', 'XW')$$,
    'no message is queued for an unticked action');
SELECT results_eq(
    $$SELECT o.customer_id, pg_catalog.jsonb_path_query_array(o.payload, '$.entries[*].entry_id')
      FROM dunning.outbox o WHERE o.customer_id IN ('XD', 'XG') ORDER BY o.customer_id$$,
    $$VALUES ('XD', '["XD-1", "XD-3"]'::jsonb), ('XG', '["XG-2"]'::jsonb)$$,
    'a queued message carries only the ticked entries (not the one under min_entry_amount, not the disputed one)');
SELECT results_eq(
    $$SELECT st.entry_id, st.level::text FROM dunning.entry_state st
      WHERE st.customer_id IN ('XD', 'XG') ORDER BY st.entry_id$$,
    $$VALUES ('XD-1', 'R1'), ('XD-3', 'R1'), ('XG-2', 'R1')$$,
    'only the ticked entries move to R1; excluded entries keep their level');
SELECT is_empty(
    $$SELECT st.entry_id FROM dunning.entry_state st WHERE st.customer_id IN ('XB', 'XC', 'XF', 'XH', 'XW')$$,
    'the entries of unticked actions do not move');

-------------------------------------------------------------------------------
-- stop_dunning set after the collector ticked the action
-------------------------------------------------------------------------------
-- XS-1 (due 2025-03-10) reaches R1 on 2025-03-15.  The collector unticks and
-- ticks the action again (a tick given when nothing excluded it); the next
-- day the customer record gets "Stop relance".
INSERT INTO pg_temp.runs SELECT DATE '2025-03-15', dunning.plan(DATE '2025-03-15');
CREATE TEMPORARY TABLE collector_calls AS
SELECT dunning.untick(pg_temp.action_of('XS')) IS NULL AS done
UNION ALL
SELECT dunning.tick(pg_temp.action_of('XS')) IS NULL;
UPDATE dunning.customer SET stop_dunning = true WHERE customer_id = 'XS';
INSERT INTO pg_temp.runs SELECT DATE '2025-03-16', dunning.plan(DATE '2025-03-16');
SELECT results_eq(
    $$SELECT p.selected, p.exclusion_reason FROM dunning.proposal p WHERE p.customer_id = 'XS'$$,
    $$VALUES (false, 'stop_dunning')$$,
    'stop_dunning set after a collector''s tick: the action is unticked with reason stop_dunning (the old tick does not override the stop)');
SELECT is(dunning.send('email', NULL, NULL, DATE '2025-03-16'), 0,
    'nothing is sent to the stopped customer');

SELECT * FROM finish();
ROLLBACK;
