-- plan_anomalies.sql: ledger rows that break the contract.
--
-- SPEC.md, "The ledger contract": "Rows that break the contract (null due
-- date on an open debit entry, unknown customer, currency missing, …) never
-- abort a run: they are skipped and recorded, with the reason, in
-- `dunning.anomaly`, which a run's summary counts."
-- SPEC.md, "Running": "`dunning.run`: one row per run (as-of date, start,
-- end, status, counts)."
--
-- dunning.entry lets a NULL currency and a NULL due date in (its currency
-- check passes NULL), and has no foreign key to dunning.customer, so the
-- first part uses the default tables directly. The second part attaches
-- views (dunning.attach) to bring in what the default tables refuse: a
-- customer_id listed twice and an unknown kind.
--
-- Proves that, planning on 2025-03-10:
--   * an open debit entry with a NULL due date, an entry of an unknown
--     customer, an entry with a NULL currency and an open credit entry with
--     neither due date nor document date are each recorded in dunning.anomaly
--     (run, customer, entry, reason) and held by no action;
--   * every other entry, including the other entries of the same customers,
--     gets its proposal in the same run, which completes ('done') and counts
--     the anomalies; a settled entry without a due date and a credit note
--     dated only by its document are no anomaly;
--   * explain shows the anomaly as the entry's verdict;
--   * through attached views (with two customers whose customer_id is NULL,
--     which are no duplicate and hide no one), a customer_id listed twice, an unknown kind,
--     an entry_id listed twice, a NULL entry_id and a NULL amount are
--     recorded too, the customer's valid entry still gets its proposal, and
--     the next run refreshes everyone else's proposals.
BEGIN;
SELECT plan(18);
SET LOCAL client_min_messages = warning;

-------------------------------------------------------------------------------
-- The ledger.
-------------------------------------------------------------------------------
INSERT INTO dunning.customer (customer_id, name, email, collector) VALUES
    ('NA', 'Alpha',   'alpha@example.com', 'ann'),  -- one entry without due date
    ('NB', 'Bravo',   NULL,                'ann'),  -- one entry without currency
    ('NC', 'Charlie', 'charlie@example.com', 'bob'),  -- credit notes, one undated
    ('ND', 'Delta',   'delta@example.com', 'bob'),  -- settled entry without due date
    ('NE', 'Echo',    'echo@example.com',  'bob');  -- its only entry is an anomaly

INSERT INTO dunning.entry (entry_id, customer_id, document_number, kind, document_date, due_date,
                           amount, open_amount, currency, settled_on, settled_by) VALUES
    ('NA-1', 'NA', 'F-NA-1', 'invoice',     DATE '2025-02-01', DATE '2025-03-01', 500.00, 500.00, 'EUR', NULL, NULL),
    ('NA-2', 'NA', 'F-NA-2', 'invoice',     DATE '2025-02-01', NULL,              200.00, 200.00, 'EUR', NULL, NULL),
    ('NB-1', 'NB', 'F-NB-1', 'invoice',     DATE '2025-02-01', DATE '2025-03-01', 400.00, 400.00, 'EUR', NULL, NULL),
    ('NB-2', 'NB', 'F-NB-2', 'invoice',     DATE '2025-02-01', DATE '2025-03-01', 400.00, 400.00, NULL,  NULL, NULL),
    ('NZ-1', 'NZ', 'F-NZ-1', 'invoice',     DATE '2025-02-01', DATE '2025-03-01', 900.00, 900.00, 'EUR', NULL, NULL),
    ('NC-1', 'NC', 'F-NC-1', 'invoice',     DATE '2025-02-01', DATE '2025-03-01', 300.00, 300.00, 'EUR', NULL, NULL),
    ('NC-2', 'NC', 'A-NC-2', 'credit_note', DATE '2025-02-01', NULL,              -50.00, -50.00, 'EUR', NULL, NULL),
    ('NC-3', 'NC', 'A-NC-3', 'credit_note', NULL,              NULL,              -20.00, -20.00, 'EUR', NULL, NULL),
    ('ND-1', 'ND', 'F-ND-1', 'invoice',     DATE '2025-01-01', NULL,              100.00,   0.00, 'EUR', DATE '2025-03-05', 'payment'),
    ('ND-2', 'ND', 'F-ND-2', 'invoice',     DATE '2025-02-01', DATE '2025-03-01', 120.00, 120.00, 'EUR', NULL, NULL),
    ('NE-1', 'NE', 'F-NE-1', 'invoice',     DATE '2025-02-01', NULL,              700.00, 700.00, 'EUR', NULL, NULL);

CREATE TEMPORARY TABLE runs (as_of date, run_id bigint);
INSERT INTO pg_temp.runs SELECT DATE '2025-03-10', dunning.plan(DATE '2025-03-10');
CREATE FUNCTION pg_temp.run_of(d date) RETURNS bigint
    LANGUAGE sql AS $$ SELECT pg_catalog.max(r.run_id) FROM pg_temp.runs r WHERE r.as_of = d $$;

-------------------------------------------------------------------------------
-- Recorded, with the reason
-------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT an.customer_id, an.entry_id, an.reason FROM dunning.anomaly an
      WHERE an.run_id = pg_temp.run_of(DATE '2025-03-10') ORDER BY an.entry_id$$,
    $$VALUES ('NA', 'NA-2', 'open debit entry without due date'),
             ('NB', 'NB-2', 'missing currency'),
             ('NC', 'NC-3', 'open credit entry without due date or document date'),
             ('NE', 'NE-1', 'open debit entry without due date'),
             ('NZ', 'NZ-1', 'unknown customer')$$,
    'each row breaking the contract is recorded in dunning.anomaly with its customer, entry and reason');
SELECT results_eq(
    $$SELECT r.status, r.finished_at IS NOT NULL, r.anomalies FROM dunning.run r
      WHERE r.run_id = pg_temp.run_of(DATE '2025-03-10')$$,
    $$VALUES ('done', true, 5::bigint)$$,
    'the run completes and its summary counts the 5 anomalies');
SELECT is_empty(
    $$SELECT ae.entry_id FROM dunning.action_entry ae
      WHERE ae.entry_id IN ('NA-2', 'NB-2', 'NC-3', 'NE-1', 'NZ-1')$$,
    'no action holds an anomalous entry');
SELECT is_empty(
    $$SELECT a.action_id FROM dunning.action a WHERE a.customer_id IN ('NE', 'NZ')$$,
    'a customer whose only entry is an anomaly, and an unknown customer, get no action');

-------------------------------------------------------------------------------
-- Everyone else is planned in the same run
-------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT pr.customer_id, pr.step::text, pr.media::text, pr.amount, pr.currency, pr.entry_count, pr.selected
      FROM dunning.proposal pr ORDER BY pr.customer_id$$,
    $$VALUES ('NA', 'R1', 'email',  500.00, 'EUR', 1::bigint, true),
             ('NB', 'R1', 'letter', 400.00, 'EUR', 1::bigint, true),
             ('NC', 'R1', 'email',  250.00, 'EUR', 2::bigint, true),
             ('ND', 'R1', 'email',  120.00, 'EUR', 1::bigint, true)$$,
    'every other entry, the same customers'' included, gets its proposal in the same run');
SELECT results_eq(
    $$SELECT ae.entry_id FROM dunning.action_entry ae WHERE ae.customer_id = 'NC' ORDER BY 1$$,
    $$VALUES ('NC-1'), ('NC-2')$$,
    'a credit note dated only by its document date is no anomaly: it joins the R1 message');
SELECT is_empty(
    $$SELECT an.entry_id FROM dunning.anomaly an WHERE an.entry_id IN ('ND-1', 'NC-2')$$,
    'a settled entry without a due date and a credit note with a document date are not anomalies');
SELECT results_eq(
    $$SELECT r.proposals, r.selected FROM dunning.run r WHERE r.run_id = pg_temp.run_of(DATE '2025-03-10')$$,
    $$VALUES (4::bigint, 4::bigint)$$,
    'the run counts its 4 proposals, all selected');

-------------------------------------------------------------------------------
-- explain
-------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT e.entry_id, e.verdict FROM dunning.explain('NA', DATE '2025-03-10') e ORDER BY e.entry_id$$,
    $$VALUES ('NA-1', 'due: proposed at R1'), ('NA-2', 'anomaly: open debit entry without due date')$$,
    'explain gives the anomaly as the verdict of the skipped entry');
SELECT results_eq(
    $$SELECT e.entry_id, e.verdict FROM dunning.explain('NB', DATE '2025-03-10') e ORDER BY e.entry_id$$,
    $$VALUES ('NB-1', 'due: proposed at R1'), ('NB-2', 'anomaly: missing currency')$$,
    'explain: missing currency');

-------------------------------------------------------------------------------
-- Through attached views: a duplicated customer_id, an unknown kind
-------------------------------------------------------------------------------
CREATE TABLE public.tap_anomaly_extra_customer (LIKE dunning.customer);
INSERT INTO public.tap_anomaly_extra_customer (customer_id, name, email, collector, stop_dunning, in_dispute, attributes)
VALUES ('NX', 'X-ray one', 'x1@example.com', 'ann', false, false, '{}'),
       ('NX', 'X-ray two', 'x2@example.com', 'ann', false, false, '{}'),
       ('NY', 'Yankee',    'y@example.com',  'ann', false, false, '{}');
CREATE VIEW public.tap_anomaly_customers AS
    SELECT * FROM dunning.customer UNION ALL SELECT * FROM public.tap_anomaly_extra_customer
    UNION ALL   -- two customers without customer_id: not a duplicate, and no entry is theirs
    SELECT NULL, n.name, NULL, 'fr', 'ann', NULL, false, false, '{}'
    FROM (VALUES ('Nobody one'), ('Nobody two')) AS n (name);
CREATE VIEW public.tap_anomaly_entries AS
    SELECT * FROM dunning.entry
    UNION ALL
    SELECT 'NX-1', 'NX', 'F-NX-1', 'invoice', DATE '2025-02-01', DATE '2025-03-01', 80.00, 80.00, 'EUR',
           false, NULL::date, NULL::date, NULL::text
    UNION ALL
    SELECT 'NK-1', 'NC', 'R-NK-1', 'refund', DATE '2025-02-01', DATE '2025-03-01', 60.00, 60.00, 'EUR',
           false, NULL::date, NULL::date, NULL::text
    UNION ALL   -- NY-1 twice, an entry without entry_id, one without amount, and a valid one
    SELECT * FROM (VALUES
        ('NY-1', 'NY', 'F-NY-1', 'invoice', DATE '2025-02-01', DATE '2025-03-01', 10.00, 10.00, 'EUR'),
        ('NY-1', 'NY', 'F-NY-1', 'invoice', DATE '2025-02-01', DATE '2025-03-01', 10.00, 10.00, 'EUR'),
        (NULL,   'NY', 'F-NY-0', 'invoice', DATE '2025-02-01', DATE '2025-03-01', 20.00, 20.00, 'EUR'),
        ('NY-2', 'NY', 'F-NY-2', 'invoice', DATE '2025-02-01', DATE '2025-03-01', NULL,  30.00, 'EUR'),
        ('NY-3', 'NY', 'F-NY-3', 'invoice', DATE '2025-02-01', DATE '2025-03-01', 40.00, 40.00, 'EUR')
    ) AS ny (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency)
    CROSS JOIN (VALUES (false, NULL::date, NULL::date, NULL::text)) AS rest;
SELECT lives_ok(
    $$SELECT dunning.attach('public.tap_anomaly_customers', 'public.tap_anomaly_entries')$$,
    'views over the ledger are attached');

CREATE TEMPORARY TABLE actions_before AS
SELECT a.customer_id, a.action_id FROM dunning.action a WHERE a.status = 'proposed';
INSERT INTO pg_temp.runs SELECT DATE '2025-03-11', dunning.plan(DATE '2025-03-11');

SELECT results_eq(
    $$SELECT an.customer_id, an.entry_id, an.reason FROM dunning.anomaly an
      WHERE an.run_id = pg_temp.run_of(DATE '2025-03-11') ORDER BY an.entry_id$$,
    $$VALUES ('NA', 'NA-2', 'open debit entry without due date'),
             ('NB', 'NB-2', 'missing currency'),
             ('NC', 'NC-3', 'open credit entry without due date or document date'),
             ('NE', 'NE-1', 'open debit entry without due date'),
             ('NC', 'NK-1', 'unknown kind ''refund'''),
             ('NX', 'NX-1', 'customer_id appears more than once in the customers relation'),
             ('NY', 'NY-1', 'entry_id appears more than once in the entries relation'),
             ('NY', 'NY-1', 'entry_id appears more than once in the entries relation'),
             ('NY', 'NY-2', 'missing amount'),
             ('NZ', 'NZ-1', 'unknown customer'),
             ('NY', NULL,   'missing entry_id')$$,
    'through attached views an unknown kind, a customer_id or entry_id listed twice, a NULL entry_id and a NULL amount are recorded too, beside the others');
SELECT results_eq(
    $$SELECT r.status, r.anomalies FROM dunning.run r WHERE r.run_id = pg_temp.run_of(DATE '2025-03-11')$$,
    $$VALUES ('done', 11::bigint)$$,
    'the run on the views completes and counts its 11 anomalies');
SELECT results_eq(
    $$SELECT ae.entry_id, ae.amount FROM dunning.action_entry ae
      JOIN dunning.action a ON a.action_id = ae.action_id AND a.status = 'proposed'
      WHERE a.customer_id = 'NY'$$,
    $$VALUES ('NY-3', 40.00)$$,
    'the valid entry of that customer is proposed, alone');
SELECT results_eq(
    $$SELECT a.customer_id, a.action_id FROM dunning.action a WHERE a.status = 'proposed' AND a.customer_id <> 'NY' ORDER BY 1$$,
    $$SELECT b.customer_id, b.action_id FROM pg_temp.actions_before b ORDER BY 1$$,
    'everyone else''s proposals are refreshed in place; the duplicated customer gets none');
SELECT results_eq(
    $$SELECT ae.entry_id FROM dunning.action_entry ae WHERE ae.customer_id = 'NC' ORDER BY 1$$,
    $$VALUES ('NC-1'), ('NC-2')$$,
    'the entry of unknown kind is held by no action');
-- A level brought over from another tool: explain still shows where the
-- entry stands, though the customer cannot be matched.
INSERT INTO dunning.entry_state (customer_id, entry_id, level, last_dunned_on, reminder_count)
VALUES ('NX', 'NX-1', 'R2', DATE '2025-02-01', 2);
SELECT results_eq(
    $$SELECT e.entry_id, e.level, e.last_dunned_on, e.reminder_count FROM dunning.explain('NX', DATE '2025-03-11') e$$,
    $$VALUES ('NX-1', 'R2'::dunning.level, DATE '2025-02-01', 2)$$,
    'explain shows the stored state of an entry whose customer is listed twice');
SELECT results_eq(
    $$SELECT e.entry_id, e.verdict FROM dunning.explain('NX', DATE '2025-03-11') e$$,
    $$VALUES ('NX-1', 'anomaly: customer_id appears more than once in the customers relation')$$,
    'explain tells a customer listed twice why its entry is skipped');

SELECT * FROM finish();
ROLLBACK;
