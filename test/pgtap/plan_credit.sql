-- plan_credit.sql: credit entries (credit notes and payments, negative
-- open_amount) in the planner (SPEC "The rules" 2 and 5, seeds 002 and 003).
--
-- Seed 002: « Lors des relances, les avoirs ne sont jamais inclus dans les
-- prévenances. Ils sont néanmoins pris en compte dès le premier niveau de
-- relance. »
-- Seed 003: « Pour qu'une écriture au crédit soit prise en compte dans une
-- relance, il faut qu'elle soit au même niveau de relance que les écritures
-- au débit. »
-- SPEC "Manual trigger": dunning.proposal has one row per currency when a
-- customer owes in several; amounts are never summed across currencies.
--
-- Proves: a credit note and a payment due in 3 days get no pre-due reminder
-- while the debits beside them do; at R1 the credits join the debits' R1
-- message, and at R2 again; dunning.proposal sums debits and credits per
-- currency; a credit entry due at a level where its customer has no debit
-- entry makes no message of its own, and does not join a message of another
-- level.
--
-- Ledger (Standard/with_email: pre_due J-5, R1 J+5, R2 +15):
--   C1  I1 invoice 1000 EUR, K1 credit note -200 EUR, I2 invoice 500 USD,
--       P1 payment -100 USD, all due 2024-03-04;
--   C2  J1 invoice 700 EUR due 2024-02-01, at R1 since 02-26 (R2 due 03-12);
--       L1 credit note -150 EUR dated 02-28 without due date (R1 due 03-04).
-- Days: 03-01 (pre-due), 03-08, 03-09 (R1), 03-12 (C2's R2), 03-24 (C1's R2).
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT plan(42);

INSERT INTO dunning.customer (customer_id, name, email, collector) VALUES
    ('C1', 'Boulangerie Roux', 'compta@roux.example', 'bruno'),
    ('C2', 'Garage Petit', 'compta@petit.example', 'bruno');

INSERT INTO dunning.entry (entry_id, customer_id, document_number, kind, document_date, due_date,
                           amount, open_amount, currency) VALUES
    ('I1', 'C1', 'F-101', 'invoice',     DATE '2024-02-03', DATE '2024-03-04', 1000.00, 1000.00, 'EUR'),
    ('K1', 'C1', 'A-201', 'credit_note', DATE '2024-02-20', DATE '2024-03-04', -200.00, -200.00, 'EUR'),
    ('I2', 'C1', 'F-102', 'invoice',     DATE '2024-02-03', DATE '2024-03-04',  500.00,  500.00, 'USD'),
    ('P1', 'C1', 'R-301', 'payment',     DATE '2024-02-25', DATE '2024-03-04', -100.00, -100.00, 'USD'),
    ('J1', 'C2', 'F-501', 'invoice',     DATE '2024-01-02', DATE '2024-02-01',  700.00,  700.00, 'EUR'),
    ('L1', 'C2', 'A-601', 'credit_note', DATE '2024-02-28', NULL,              -150.00, -150.00, 'EUR');
INSERT INTO dunning.entry_state (customer_id, entry_id, level, last_dunned_on, reminder_count) VALUES
    ('C2', 'J1', 'R1', DATE '2024-02-26', 1);

-------------------------------------------------------------------------------
-- 2024-03-01: due in 3 days.  Pre-due reminder for the debits only.
-------------------------------------------------------------------------------
SELECT lives_ok($$SELECT dunning.plan(DATE '2024-03-01')$$, 'plan 2024-03-01');

SELECT results_eq(
    $$SELECT customer_id, step::text, level::text, media::text FROM dunning.action
       WHERE status = 'proposed' ORDER BY customer_id, step$$,
    $$VALUES ('C1', 'pre_due', 'P', 'email')$$,
    '03-01: one pre-due reminder, for C1; the lone credit of C2 makes none');
SELECT results_eq(
    $$SELECT ae.entry_id FROM dunning.action_entry ae JOIN dunning.action a USING (action_id)
       WHERE a.customer_id = 'C1' AND a.step = 'pre_due' ORDER BY ae.entry_id$$,
    $$VALUES ('I1'), ('I2')$$,
    '03-01: the pre-due reminder holds the invoices, not the credit note K1 nor the payment P1 due the same day');
SELECT results_eq(
    $$SELECT step::text, amount, currency, entry_count::int FROM dunning.proposal
       WHERE customer_id = 'C1' ORDER BY currency$$,
    $$VALUES ('pre_due', 1000.00, 'EUR', 1), ('pre_due', 500.00, 'USD', 1)$$,
    '03-01: the pre-due proposal shows only debit amounts, one row per currency');
SELECT results_eq(
    $$SELECT entry_id, next_step::text, next_due_on, verdict FROM dunning.explain('C1', DATE '2024-03-01')
       ORDER BY entry_id$$,
    $$VALUES ('I1', 'pre_due', DATE '2024-02-28', 'due: proposed at P'),
             ('I2', 'pre_due', DATE '2024-02-28', 'due: proposed at P'),
             ('K1', 'R1', DATE '2024-03-09', 'credit entry: joins a message at R1 only'),
             ('P1', 'R1', DATE '2024-03-09', 'credit entry: joins a message at R1 only')$$,
    '03-01: explain: the invoices are due for P; the credits skip P and wait for R1 on 03-09');

SELECT is(dunning.send('email', NULL, 'pre_due', DATE '2024-03-01'), 1, '03-01: the pre-due reminder is sent');
SELECT results_eq(
    $$SELECT entry_id, level::text, last_dunned_on, reminder_count FROM dunning.entry_state
       WHERE customer_id = 'C1' ORDER BY entry_id$$,
    $$VALUES ('I1', 'P', DATE '2024-03-01', 0), ('I2', 'P', DATE '2024-03-01', 0)$$,
    '03-01: the invoices are at P; the credits have no state (still none)');

-------------------------------------------------------------------------------
-- 2024-03-08: the credit note L1 of C2 is due for R1 (02-28 + 5 = 03-04), but
-- C2 has no debit at R1: no message.
-------------------------------------------------------------------------------
SELECT lives_ok($$SELECT dunning.plan(DATE '2024-03-08')$$, 'plan 2024-03-08');
SELECT is((SELECT count(*)::int FROM dunning.action WHERE status = 'proposed'), 0,
          '03-08: nothing proposed (C1''s R1 falls on 03-09; C2 has only a credit due)');
SELECT results_eq(
    $$SELECT entry_id, level::text, next_step::text, next_due_on, verdict
        FROM dunning.explain('C2', DATE '2024-03-08') ORDER BY entry_id$$,
    $$VALUES ('J1', 'R1', 'R2', DATE '2024-03-12', 'not due until 2024-03-12'),
             ('L1', 'none', 'R1', DATE '2024-03-04', 'credit entry: joins a message at R1 only')$$,
    '03-08: explain: L1 is due at R1 but waits for a debit at its level');

-------------------------------------------------------------------------------
-- 2024-03-09: R1.  The credits join the invoices' R1 message.
-------------------------------------------------------------------------------
SELECT lives_ok($$SELECT dunning.plan(DATE '2024-03-09')$$, 'plan 2024-03-09');
SELECT results_eq(
    $$SELECT customer_id, step::text, level::text FROM dunning.action WHERE status = 'proposed'
       ORDER BY customer_id, step$$,
    $$VALUES ('C1', 'R1', 'R1')$$,
    '03-09: one message, C1 at R1 (still none for C2)');
SELECT results_eq(
    $$SELECT ae.entry_id, ae.open_amount, ae.currency, ae.level_before::text
        FROM dunning.action_entry ae JOIN dunning.action a USING (action_id)
       WHERE a.status = 'proposed' ORDER BY ae.entry_id$$,
    $$VALUES ('I1', 1000.00, 'EUR', 'P'), ('I2', 500.00, 'USD', 'P'),
             ('K1', -200.00, 'EUR', 'none'), ('P1', -100.00, 'USD', 'none')$$,
    '03-09: the R1 message holds the invoices and, at the same level, the credit note and the payment');
SELECT results_eq(
    $$SELECT step::text, level::text, amount, currency, entry_count::int FROM dunning.proposal
       WHERE customer_id = 'C1' ORDER BY currency$$,
    $$VALUES ('R1', 'R1', 800.00, 'EUR', 2), ('R1', 'R1', 400.00, 'USD', 2)$$,
    '03-09: dunning.proposal sums debits and credits per currency: 800.00 EUR and 400.00 USD');
SELECT results_eq(
    $$SELECT currency, actions::int, amount FROM dunning.batch WHERE step = 'R1' ORDER BY currency$$,
    $$VALUES ('EUR', 1, 800.00), ('USD', 1, 400.00)$$,
    '03-09: dunning.batch keeps the currencies apart too');

SELECT is(dunning.send('email', NULL, 'R1', DATE '2024-03-09'), 1, '03-09: R1 is sent');
SELECT results_eq(
    $$SELECT entry_id, level::text, last_dunned_on, reminder_count FROM dunning.entry_state
       WHERE customer_id = 'C1' ORDER BY entry_id$$,
    $$VALUES ('I1', 'R1', DATE '2024-03-09', 1), ('I2', 'R1', DATE '2024-03-09', 1),
             ('K1', 'R1', DATE '2024-03-09', 1), ('P1', 'R1', DATE '2024-03-09', 1)$$,
    '03-09: the credits sent with R1 are at R1 like the invoices');
SELECT results_eq(
    $$SELECT o.payload -> 'totals' FROM dunning.outbox o JOIN dunning.action a USING (action_id)
       WHERE a.customer_id = 'C1' AND a.step = 'R1'$$,
    $$VALUES ('{"EUR": 800.00, "USD": 400.00}'::jsonb)$$,
    '03-09: the message''s totals are net of the credits, per currency');

-------------------------------------------------------------------------------
-- 2024-03-12: J1 of C2 is due for R2; L1 is still due for R1, a level where
-- C2 has no debit: the R2 message holds J1 alone and no R1 message is made.
-------------------------------------------------------------------------------
SELECT lives_ok($$SELECT dunning.plan(DATE '2024-03-12')$$, 'plan 2024-03-12');
SELECT results_eq(
    $$SELECT customer_id, step::text FROM dunning.action WHERE status = 'proposed' ORDER BY customer_id, step$$,
    $$VALUES ('C2', 'R2')$$,
    '03-12: one message, C2''s R2; no R1 message for the credit note alone');
SELECT results_eq(
    $$SELECT ae.entry_id FROM dunning.action_entry ae JOIN dunning.action a USING (action_id)
       WHERE a.status = 'proposed' AND a.customer_id = 'C2'$$,
    $$VALUES ('J1')$$,
    '03-12: the credit note at another level (none, due R1) does not join the R2 message');
SELECT results_eq(
    $$SELECT step::text, amount, currency, entry_count::int FROM dunning.proposal WHERE customer_id = 'C2'$$,
    $$VALUES ('R2', 700.00, 'EUR', 1)$$,
    '03-12: C2''s R2 proposal is the debit alone, 700.00 EUR');
SELECT is(dunning.send('email', NULL, 'R2', DATE '2024-03-12'), 1, '03-12: C2''s R2 is sent');
SELECT results_eq(
    $$SELECT entry_id, level::text FROM dunning.entry_state WHERE customer_id = 'C2' ORDER BY entry_id$$,
    $$VALUES ('J1', 'R2')$$,
    '03-12: J1 is at R2; L1, never in a message, has no level');

-------------------------------------------------------------------------------
-- 2024-03-24: R2 for C1 (03-09 + 15).  Credits and debits move together.
-------------------------------------------------------------------------------
SELECT lives_ok($$SELECT dunning.plan(DATE '2024-03-23')$$, 'plan 2024-03-23');
SELECT is((SELECT count(*)::int FROM dunning.action WHERE status = 'proposed'), 0,
          '03-23: nothing proposed, C1''s R2 falls on 03-24');
SELECT lives_ok($$SELECT dunning.plan(DATE '2024-03-24')$$, 'plan 2024-03-24');
SELECT results_eq(
    $$SELECT ae.entry_id, ae.level_before::text FROM dunning.action_entry ae JOIN dunning.action a USING (action_id)
       WHERE a.status = 'proposed' AND a.customer_id = 'C1' AND a.step = 'R2' ORDER BY ae.entry_id$$,
    $$VALUES ('I1', 'R1'), ('I2', 'R1'), ('K1', 'R1'), ('P1', 'R1')$$,
    '03-24: C1''s R2 message holds the invoices and the credits, all at R1');
SELECT results_eq(
    $$SELECT step::text, amount, currency, entry_count::int FROM dunning.proposal
       WHERE customer_id = 'C1' ORDER BY currency$$,
    $$VALUES ('R2', 800.00, 'EUR', 2), ('R2', 400.00, 'USD', 2)$$,
    '03-24: R2 amounts are again net per currency');
SELECT is((SELECT count(*)::int FROM dunning.action WHERE status = 'proposed' AND customer_id = 'C2'), 0,
          '03-24: still nothing for C2 (J1''s R3 on 04-11; L1 alone at its level)');
SELECT is(dunning.send('email', NULL, 'R2', DATE '2024-03-24'), 1, '03-24: C1''s R2 is sent');
SELECT results_eq(
    $$SELECT entry_id, level::text, reminder_count FROM dunning.entry_state
       WHERE customer_id = 'C1' ORDER BY entry_id$$,
    $$VALUES ('I1', 'R2', 2), ('I2', 'R2', 2), ('K1', 'R2', 2), ('P1', 'R2', 2)$$,
    '03-24: all four entries of C1 are at R2');

-------------------------------------------------------------------------------
-- A credit note too recent to be "due" by its own date still counts from the
-- first level (seed 002: « pris en compte dès le premier niveau »): C3's
-- credit note of 06-05, without a due date, joins the R1 message of 06-06.
-------------------------------------------------------------------------------
INSERT INTO dunning.customer (customer_id, name, email, collector) VALUES
    ('C3', 'Fleurs Martin', 'compta@fleurs.example', 'bruno');
INSERT INTO dunning.entry (entry_id, customer_id, document_number, kind, document_date, due_date,
                           amount, open_amount, currency) VALUES
    ('M1', 'C3', 'F-701', 'invoice',     DATE '2024-05-02', DATE '2024-06-01', 900.00, 900.00, 'EUR'),
    ('N1', 'C3', 'A-801', 'credit_note', DATE '2024-06-05', NULL,             -120.00, -120.00, 'EUR');
SELECT lives_ok($$SELECT dunning.plan(DATE '2024-06-06')$$, 'plan 2024-06-06');
SELECT results_eq(
    $$SELECT ae.entry_id, ae.open_amount FROM dunning.action_entry ae JOIN dunning.action a USING (action_id)
       WHERE a.customer_id = 'C3' AND a.status = 'proposed' AND a.step = 'R1' ORDER BY ae.entry_id$$,
    $$VALUES ('M1', 900.00), ('N1', -120.00)$$,
    '06-06: the recent credit note joins the first R1 message of its customer');
SELECT results_eq(
    $$SELECT amount, currency FROM dunning.proposal WHERE customer_id = 'C3'$$,
    $$VALUES (780.00, 'EUR')$$,
    '06-06: the R1 message asks for the net amount');

-------------------------------------------------------------------------------
-- A message whose only debit is excluded (a promise) holds no claim: the
-- credit note beside it does not make it go.
-------------------------------------------------------------------------------
INSERT INTO dunning.customer (customer_id, name, email, collector) VALUES
    ('C4', 'Menuiserie Blanc', 'compta@blanc.example', 'bruno');
INSERT INTO dunning.entry (entry_id, customer_id, document_number, kind, document_date, due_date,
                           amount, open_amount, currency, promised_on) VALUES
    ('Q1', 'C4', 'F-901', 'invoice',     DATE '2024-05-02', DATE '2024-06-01', 400.00, 400.00, 'EUR', DATE '2024-07-31'),
    ('Q2', 'C4', 'A-902', 'credit_note', DATE '2024-05-20', DATE '2024-05-20', -50.00, -50.00, 'EUR', NULL);
SELECT lives_ok($$SELECT dunning.plan(DATE '2024-06-07')$$, 'plan 2024-06-07');
SELECT results_eq(
    $$SELECT selected, exclusion_reason FROM dunning.action WHERE customer_id = 'C4' AND status = 'proposed'$$,
    $$VALUES (false, 'every entry excluded')$$,
    '06-07: the promised invoice is excluded, so is its message, credit note or not');
SELECT is(dunning.send('email', NULL, NULL, DATE '2024-06-07') >= 0 AND NOT EXISTS (
              SELECT FROM dunning.outbox o JOIN dunning.action a USING (action_id) WHERE a.customer_id = 'C4'),
          true, '06-07: nothing is sent to C4');

-------------------------------------------------------------------------------
-- With R1 disabled the first reminder is R2.  A credit note at R1 (a level
-- brought over from another tool, its own next reminder weeks away) is then
-- one step below the first level, which any new invoice reaches: it joins
-- the R2 message of C5's new invoice.
-------------------------------------------------------------------------------
SELECT sc.scenario_id AS standard_with_email FROM dunning.scenario sc JOIN dunning.profile p USING (profile_id)
WHERE p.name = 'Standard' AND sc.audience = 'with_email' \gset
UPDATE dunning.step SET enabled = false WHERE step = 'R1' AND scenario_id = :standard_with_email;
INSERT INTO dunning.customer (customer_id, name, email, collector) VALUES
    ('C5', 'Cave Morel', 'compta@morel.example', 'bruno');
INSERT INTO dunning.entry (entry_id, customer_id, document_number, kind, document_date, due_date,
                           amount, open_amount, currency) VALUES
    ('S1', 'C5', 'F-951', 'invoice',     DATE '2024-05-10', DATE '2024-06-10', 300.00, 300.00, 'EUR'),
    ('S2', 'C5', 'A-952', 'credit_note', DATE '2024-06-01', DATE '2024-06-01', -60.00, -60.00, 'EUR');
INSERT INTO dunning.entry_state (customer_id, entry_id, level, last_dunned_on, reminder_count)
VALUES ('C5', 'S2', 'R1', DATE '2024-06-30', 1);
SELECT lives_ok($$SELECT dunning.plan(DATE '2024-07-01')$$, 'plan 2024-07-01, R1 disabled');
SELECT results_eq(
    $$SELECT a.step::text, ae.entry_id, ae.level_before::text FROM dunning.action_entry ae JOIN dunning.action a USING (action_id)
       WHERE a.customer_id = 'C5' AND a.status = 'proposed' ORDER BY ae.entry_id$$,
    $$VALUES ('R2', 'S1', 'none'), ('R2', 'S2', 'R1')$$,
    '07-01: the new invoice''s first reminder is R2, and the credit note at R1 joins it');

-------------------------------------------------------------------------------
-- Infinite dunning with R1 alone: R1 repeats, and a credit note at R1 joins
-- the R1 of a new invoice, though neither its own repetition nor that of the
-- older invoice is due.
-------------------------------------------------------------------------------
UPDATE dunning.step SET enabled = (step = 'R1')
WHERE step IN ('R1', 'R2', 'R3') AND scenario_id = :standard_with_email;
UPDATE dunning.scenario SET infinite = true WHERE scenario_id = :standard_with_email;
INSERT INTO dunning.customer (customer_id, name, email, collector) VALUES
    ('C6', 'Imprimerie Roy', 'compta@roy.example', 'bruno');
INSERT INTO dunning.entry (entry_id, customer_id, document_number, kind, document_date, due_date,
                           amount, open_amount, currency) VALUES
    ('T1', 'C6', 'F-961', 'invoice',     DATE '2024-05-01', DATE '2024-06-01', 100.00, 100.00, 'EUR'),
    ('T2', 'C6', 'A-962', 'credit_note', DATE '2024-06-20', DATE '2024-06-20', -30.00, -30.00, 'EUR'),
    ('T3', 'C6', 'F-963', 'invoice',     DATE '2024-06-02', DATE '2024-07-02',  80.00,  80.00, 'EUR');
INSERT INTO dunning.entry_state (customer_id, entry_id, level, last_dunned_on, reminder_count)
VALUES ('C6', 'T1', 'R1', DATE '2024-07-05', 1), ('C6', 'T2', 'R1', DATE '2024-07-05', 1);
SELECT lives_ok($$SELECT dunning.plan(DATE '2024-07-08')$$, 'plan 2024-07-08, R1 alone, infinite');
SELECT results_eq(
    $$SELECT a.step::text, ae.entry_id, ae.level_before::text FROM dunning.action_entry ae JOIN dunning.action a USING (action_id)
       WHERE a.customer_id = 'C6' AND a.status = 'proposed' ORDER BY ae.entry_id$$,
    $$VALUES ('R1', 'T2', 'R1'), ('R1', 'T3', 'none')$$,
    '07-08: the new invoice''s R1 holds the credit note at R1, not the invoice whose repetition waits until 07-10');

SELECT * FROM finish();
ROLLBACK;
