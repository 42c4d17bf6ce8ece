-- plan_levels.sql: how an entry climbs the levels (SPEC "The rules" 3, 4 and
-- 9, seeds 002 and 004).
--
-- SPEC rule 3: « R1 is due at due_date + R1.days; R(k) at last reminder's
-- execution date + Rk.days (seed 004). Disabled levels are skipped. An entry
-- moves at most one level per run, so a missed night never fires R1, R2 and
-- R3 at once. »
-- Seed 002: « Vous pouvez désactiver les étapes qui ne sont pas utiles dans
-- votre scénario » and « Lorsqu'une écriture arrive à la dernière étape du
-- scénario, elle atteint le niveau de relance maximal et elle n'est par
-- conséquent plus relancée » ; with infinite dunning « la dernière étape du
-- scénario sera proposée indéfiniement [...] La relance infinie n'impacte pas
-- le niveau de relance de l'écriture qui restera le niveau de relance maximal
-- du scénario. Cependant, vous pouvez connaitre le nombre de relances de
-- l'écriture ».
--
-- Three parts on one timeline (plan dates only move forward):
--   A. 2024-01/02, C1 (with email), R2 disabled in Standard/with_email: after
--      R1 (executed 01-17, two days after it was proposed) comes R3, due
--      01-17 + 30 = 02-16; then the last level is reached.
--   B. 2024-03..05, C2 (without email: R1 +5 letter, R2 +15 letter, R3 +30
--      phone), an invoice due 2020-01-01: the planner runs every 10 days and
--      the entry moves one level per execution, never several; an unexecuted
--      proposal stays at its level; after R3, nothing more.
--   C. 2024-05..09, C3 (with email) at R3 (the last enabled level of
--      with_email, R2 being disabled) since 05-01; with_email made infinite:
--      R3 repeats every 30 days after the previous execution, the level stays
--      R3, reminder_count grows by one per execution.
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT plan(64);

-------------------------------------------------------------------------------
-- A. A disabled level is skipped.
-------------------------------------------------------------------------------
UPDATE dunning.step st SET enabled = false
  FROM dunning.scenario sc JOIN dunning.profile p ON p.profile_id = sc.profile_id
 WHERE st.scenario_id = sc.scenario_id AND p.name = 'Standard' AND sc.audience = 'with_email'
   AND st.step = 'R2';
SELECT results_eq(
    $$SELECT step::text, enabled, days FROM dunning.scenario_overview
       WHERE profile = 'Standard' AND audience = 'with_email' AND step BETWEEN 'R1' AND 'R7' ORDER BY step$$,
    $$VALUES ('R1', true, 5), ('R2', false, 15), ('R3', true, 30), ('R4', false, NULL),
             ('R5', false, NULL), ('R6', false, NULL), ('R7', false, NULL)$$,
    'A: with_email has R1 (5 days) and R3 (30 days); R2 is disabled');

INSERT INTO dunning.customer (customer_id, name, email, collector)
VALUES ('C1', 'Menuiserie Blanc', 'compta@blanc.example', 'chloe');
INSERT INTO dunning.entry (entry_id, customer_id, document_number, kind, document_date, due_date,
                           amount, open_amount, currency)
VALUES ('E1', 'C1', 'F-1', 'invoice', DATE '2023-12-10', DATE '2024-01-10', 300.00, 300.00, 'EUR');

SELECT lives_ok($$SELECT dunning.plan(DATE '2024-01-15')$$, 'A: plan 2024-01-15');
SELECT results_eq(
    $$SELECT step::text, level::text, media::text FROM dunning.action WHERE customer_id = 'C1' AND status = 'proposed'$$,
    $$VALUES ('R1', 'R1', 'email')$$,
    'A: 01-15 (due 01-10 + 5): R1 is proposed');
SELECT is(dunning.send('email', NULL, 'R1', DATE '2024-01-17'), 1, 'A: R1 is executed on 01-17');
SELECT results_eq(
    $$SELECT level::text, last_dunned_on, reminder_count FROM dunning.entry_state WHERE entry_id = 'E1'$$,
    $$VALUES ('R1', DATE '2024-01-17', 1)$$,
    'A: E1 is at R1, last dunned on its execution date 01-17');

SELECT lives_ok($$SELECT dunning.plan(DATE '2024-02-01')$$, 'A: plan 2024-02-01');
SELECT is((SELECT count(*)::int FROM dunning.action WHERE customer_id = 'C1' AND status = 'proposed'), 0,
          'A: 02-01 (R1 + 15 days, what disabled R2 would have waited): nothing proposed');
SELECT lives_ok($$SELECT dunning.plan(DATE '2024-02-15')$$, 'A: plan 2024-02-15');
SELECT is((SELECT count(*)::int FROM dunning.action WHERE customer_id = 'C1' AND status = 'proposed'), 0,
          'A: 02-15: nothing proposed yet');
SELECT results_eq(
    $$SELECT level::text, next_step::text, next_due_on, verdict FROM dunning.explain('C1', DATE '2024-02-15')$$,
    $$VALUES ('R1', 'R3', DATE '2024-02-16', 'not due until 2024-02-16')$$,
    'A: explain: after R1 comes R3 (R2 skipped), due 01-17 + 30 = 02-16');

SELECT lives_ok($$SELECT dunning.plan(DATE '2024-02-16')$$, 'A: plan 2024-02-16');
SELECT results_eq(
    $$SELECT step::text, level::text, media::text FROM dunning.action WHERE customer_id = 'C1' AND status = 'proposed'$$,
    $$VALUES ('R3', 'R3', 'letter')$$,
    'A: 02-16: R3 is proposed, by letter');
SELECT results_eq(
    $$SELECT ae.entry_id, ae.level_before::text FROM dunning.action_entry ae JOIN dunning.action a USING (action_id)
       WHERE a.customer_id = 'C1' AND a.status = 'proposed'$$,
    $$VALUES ('E1', 'R1')$$,
    'A: the R3 message holds E1, which was at R1');
SELECT is((SELECT count(*)::int FROM dunning.download_letters(NULL, 'R3', DATE '2024-02-16')), 1,
          'A: the R3 letter is downloaded on 02-16');
SELECT results_eq(
    $$SELECT level::text, last_dunned_on, reminder_count FROM dunning.entry_state WHERE entry_id = 'E1'$$,
    $$VALUES ('R3', DATE '2024-02-16', 2)$$,
    'A: E1 went from R1 straight to R3');

SELECT lives_ok($$SELECT dunning.plan(DATE '2024-02-20')$$, 'A: plan 2024-02-20');
SELECT results_eq(
    $$SELECT level::text, next_step::text, next_due_on, verdict FROM dunning.explain('C1', DATE '2024-02-20')$$,
    $$VALUES ('R3', NULL::text, NULL::date, 'last level reached')$$,
    'A: R3 is the last enabled level: explain says last level reached');

-- Out of the way of part C, where with_email becomes infinite.
DELETE FROM dunning.entry WHERE customer_id = 'C1';

-------------------------------------------------------------------------------
-- B. A planner that runs every 10 days: one level per execution.
-------------------------------------------------------------------------------
INSERT INTO dunning.customer (customer_id, name, email, collector)
VALUES ('C2', 'Transports Girard', NULL, 'chloe');
INSERT INTO dunning.entry (entry_id, customer_id, document_number, kind, document_date, due_date,
                           amount, open_amount, currency)
VALUES ('F1', 'C2', 'F-2019-88', 'invoice', DATE '2019-12-01', DATE '2020-01-01', 1200.00, 1200.00, 'EUR');

SELECT lives_ok($$SELECT dunning.plan(DATE '2024-03-01')$$, 'B: plan 2024-03-01');
SELECT results_eq(
    $$SELECT step::text, level::text, media::text, proposed_on FROM dunning.action WHERE customer_id = 'C2'$$,
    $$VALUES ('R1', 'R1', 'letter', DATE '2024-03-01')$$,
    'B: 03-01, an entry four years overdue: R1 only, not R2 nor R3');
SELECT results_eq(
    $$SELECT level::text, next_step::text, verdict FROM dunning.explain('C2', DATE '2024-03-01')$$,
    $$VALUES ('none', 'R1', 'due: proposed at R1')$$,
    'B: explain: at none, proposed at R1');

-- Not executed: ten days later it is still R1, the same proposal refreshed.
SELECT lives_ok($$SELECT dunning.plan(DATE '2024-03-11')$$, 'B: plan 2024-03-11');
SELECT results_eq(
    $$SELECT step::text, level::text, status, proposed_on FROM dunning.action WHERE customer_id = 'C2'$$,
    $$VALUES ('R1', 'R1', 'proposed', DATE '2024-03-11')$$,
    'B: 03-11, R1 not executed: still R1, the same action refreshed, no level jumped');
SELECT is((SELECT count(*)::int FROM dunning.entry_state WHERE entry_id = 'F1'), 0,
          'B: proposing twice moved no level (F1 has no state yet)');
SELECT is((SELECT count(*)::int FROM dunning.download_letters(NULL, NULL, DATE '2024-03-11')), 1,
          'B: the R1 letter is downloaded on 03-11');
SELECT results_eq(
    $$SELECT level::text, last_dunned_on, reminder_count FROM dunning.entry_state WHERE entry_id = 'F1'$$,
    $$VALUES ('R1', DATE '2024-03-11', 1)$$,
    'B: F1 is at R1');

SELECT lives_ok($$SELECT dunning.plan(DATE '2024-03-21')$$, 'B: plan 2024-03-21');
SELECT is((SELECT count(*)::int FROM dunning.action WHERE customer_id = 'C2' AND status = 'proposed'), 0,
          'B: 03-21: nothing (R2 falls on 03-11 + 15 = 03-26)');
SELECT results_eq(
    $$SELECT level::text, next_step::text, next_due_on, verdict FROM dunning.explain('C2', DATE '2024-03-21')$$,
    $$VALUES ('R1', 'R2', DATE '2024-03-26', 'not due until 2024-03-26')$$,
    'B: explain: R2 not due until 03-26');

SELECT lives_ok($$SELECT dunning.plan(DATE '2024-03-31')$$, 'B: plan 2024-03-31');
SELECT results_eq(
    $$SELECT step::text, level::text, media::text FROM dunning.action WHERE customer_id = 'C2' AND status = 'proposed'$$,
    $$VALUES ('R2', 'R2', 'letter')$$,
    'B: 03-31: R2 only, not R3');
SELECT is((SELECT count(*)::int FROM dunning.download_letters(NULL, NULL, DATE '2024-03-31')), 1,
          'B: the R2 letter is downloaded on 03-31');
SELECT results_eq(
    $$SELECT level::text, last_dunned_on, reminder_count FROM dunning.entry_state WHERE entry_id = 'F1'$$,
    $$VALUES ('R2', DATE '2024-03-31', 2)$$,
    'B: F1 is at R2');

SELECT lives_ok($$SELECT dunning.plan(DATE '2024-04-10')$$, 'B: plan 2024-04-10');
SELECT lives_ok($$SELECT dunning.plan(DATE '2024-04-20')$$, 'B: plan 2024-04-20');
SELECT is((SELECT count(*)::int FROM dunning.action WHERE customer_id = 'C2' AND status = 'proposed'), 0,
          'B: 04-10 and 04-20: nothing (R3 falls on 03-31 + 30 = 04-30)');

SELECT lives_ok($$SELECT dunning.plan(DATE '2024-04-30')$$, 'B: plan 2024-04-30');
SELECT results_eq(
    $$SELECT step::text, level::text, media::text FROM dunning.action WHERE customer_id = 'C2' AND status = 'proposed'$$,
    $$VALUES ('R3', 'R3', 'phone')$$,
    'B: 04-30: R3, a phone call');
SELECT lives_ok(
    $$SELECT dunning.mark_done((SELECT action_id FROM dunning.action WHERE customer_id = 'C2' AND status = 'proposed'),
                               'promised to pay next week', DATE '2024-04-30')$$,
    'B: the call is marked done on 04-30');
SELECT results_eq(
    $$SELECT level::text, last_dunned_on, reminder_count FROM dunning.entry_state WHERE entry_id = 'F1'$$,
    $$VALUES ('R3', DATE '2024-04-30', 3)$$,
    'B: F1 is at R3 after three executions, one level each');
SELECT results_eq(
    $$SELECT step::text, status, executed_on FROM dunning.action WHERE customer_id = 'C2' ORDER BY step$$,
    $$VALUES ('R1', 'done', DATE '2024-03-11'), ('R2', 'done', DATE '2024-03-31'), ('R3', 'done', DATE '2024-04-30')$$,
    'B: three actions for C2, R1, R2 and R3, each executed once');

SELECT lives_ok($$SELECT dunning.plan(DATE '2024-05-10')$$, 'B: plan 2024-05-10');
SELECT results_eq(
    $$SELECT level::text, next_step::text, next_due_on, verdict FROM dunning.explain('C2', DATE '2024-05-10')$$,
    $$VALUES ('R3', NULL::text, NULL::date, 'last level reached')$$,
    'B: explain: last level reached');

-------------------------------------------------------------------------------
-- C. The last level, without and then with infinite dunning.
-------------------------------------------------------------------------------
INSERT INTO dunning.customer (customer_id, name, email, collector)
VALUES ('C3', 'Imprimerie Caron', 'compta@caron.example', 'chloe');
INSERT INTO dunning.entry (entry_id, customer_id, document_number, kind, document_date, due_date,
                           amount, open_amount, currency)
VALUES ('G1', 'C3', 'F-77', 'invoice', DATE '2023-12-20', DATE '2024-01-20', 450.00, 450.00, 'EUR');
-- At R3 (R1, then R3: R2 is disabled) since 05-01.
INSERT INTO dunning.entry_state (customer_id, entry_id, level, last_dunned_on, reminder_count)
VALUES ('C3', 'G1', 'R3', DATE '2024-05-01', 2);

SELECT lives_ok($$SELECT dunning.plan(DATE '2024-05-31')$$, 'C: plan 2024-05-31, not infinite');
SELECT is((SELECT count(*)::int FROM dunning.action WHERE customer_id IN ('C2', 'C3') AND status = 'proposed'), 0,
          'C: 05-31, 30 days after the last level of C2 and C3: nothing more without infinite dunning');
SELECT results_eq(
    $$SELECT verdict FROM dunning.explain('C3', DATE '2024-05-31')$$,
    $$VALUES ('last level reached')$$,
    'C: explain: last level reached');

UPDATE dunning.scenario sc SET infinite = true
  FROM dunning.profile p
 WHERE p.profile_id = sc.profile_id AND p.name = 'Standard' AND sc.audience = 'with_email';

SELECT lives_ok($$SELECT dunning.plan(DATE '2024-05-31')$$, 'C: plan 2024-05-31, with_email infinite');
SELECT results_eq(
    $$SELECT customer_id, step::text, level::text, media::text FROM dunning.action
       WHERE customer_id IN ('C2', 'C3') AND status = 'proposed'$$,
    $$VALUES ('C3', 'R3', 'R3', 'letter')$$,
    'C: 05-31 = 05-01 + 30: the last level R3 is proposed again for C3 (C2''s scenario is not infinite)');
SELECT is((SELECT count(*)::int FROM dunning.download_letters(NULL, 'R3', DATE '2024-05-31')), 1,
          'C: the repeated R3 letter is downloaded on 05-31');
SELECT results_eq(
    $$SELECT level::text, last_dunned_on, reminder_count FROM dunning.entry_state WHERE entry_id = 'G1'$$,
    $$VALUES ('R3', DATE '2024-05-31', 3)$$,
    'C: G1 stays at R3, its reminder count grows to 3');

SELECT lives_ok($$SELECT dunning.plan(DATE '2024-06-29')$$, 'C: plan 2024-06-29');
SELECT is((SELECT count(*)::int FROM dunning.action WHERE customer_id = 'C3' AND status = 'proposed'), 0,
          'C: 06-29: not before 05-31 + 30');
SELECT results_eq(
    $$SELECT level::text, reminder_count, next_step::text, next_due_on, verdict FROM dunning.explain('C3', DATE '2024-06-29')$$,
    $$VALUES ('R3', 3, 'R3', DATE '2024-06-30', 'not due until 2024-06-30')$$,
    'C: explain: R3 again on 06-30');

SELECT lives_ok($$SELECT dunning.plan(DATE '2024-06-30')$$, 'C: plan 2024-06-30');
-- Executed three days late: the next one counts from 07-03.
SELECT is((SELECT count(*)::int FROM dunning.download_letters(NULL, 'R3', DATE '2024-07-03')), 1,
          'C: 06-30: R3 proposed again, downloaded on 07-03');
SELECT results_eq(
    $$SELECT level::text, last_dunned_on, reminder_count FROM dunning.entry_state WHERE entry_id = 'G1'$$,
    $$VALUES ('R3', DATE '2024-07-03', 4)$$,
    'C: G1 stays at R3, its reminder count grows to 4');

SELECT lives_ok($$SELECT dunning.plan(DATE '2024-08-01')$$, 'C: plan 2024-08-01');
SELECT is((SELECT count(*)::int FROM dunning.action WHERE customer_id = 'C3' AND status = 'proposed'), 0,
          'C: 08-01 (06-30 + 32): nothing, the interval runs from the execution on 07-03');
SELECT lives_ok($$SELECT dunning.plan(DATE '2024-08-02')$$, 'C: plan 2024-08-02');
SELECT results_eq(
    $$SELECT step::text, level::text FROM dunning.action WHERE customer_id = 'C3' AND status = 'proposed'$$,
    $$VALUES ('R3', 'R3')$$,
    'C: 08-02 = 07-03 + 30: R3 again');
SELECT is((SELECT count(*)::int FROM dunning.download_letters(NULL, 'R3', DATE '2024-08-02')), 1,
          'C: the third repetition is downloaded on 08-02');
SELECT results_eq(
    $$SELECT level::text, last_dunned_on, reminder_count FROM dunning.entry_state WHERE entry_id = 'G1'$$,
    $$VALUES ('R3', DATE '2024-08-02', 5)$$,
    'C: G1 stays at R3 (the maximum), reminder count 5: one per execution');
SELECT results_eq(
    $$SELECT step::text, level::text, status, executed_on FROM dunning.action WHERE customer_id = 'C3' ORDER BY action_id$$,
    $$VALUES ('R3', 'R3', 'done', DATE '2024-05-31'), ('R3', 'R3', 'done', DATE '2024-07-03'),
             ('R3', 'R3', 'done', DATE '2024-08-02')$$,
    'C: three R3 actions, one per repetition');

SELECT lives_ok($$SELECT dunning.plan(DATE '2024-09-01')$$, 'C: plan 2024-09-01');
SELECT is((SELECT count(*)::int FROM dunning.action WHERE customer_id = 'C2' AND status = 'proposed'), 0,
          'C: 09-01: C2, whose scenario is not infinite, still gets nothing');

SELECT * FROM finish();
ROLLBACK;
