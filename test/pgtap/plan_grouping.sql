-- plan_grouping.sql: per-document versus account-statement grouping
-- (SPEC "The rules" 5 and 6, seed 003).
--
-- Seed 003, per document: « on regroupe toutes les écritures qui ont le même
-- niveau de relance dans le même email ou courrier de relance. [...] le
-- client pourrait recevoir 3 relances : Une relance R4 avec les 5 premières
-- pièces de la situation de compte, Une relance R3 avec la pièce 1124847,
-- Une relance R1 avec La pièce 1126675. »
--
-- Seed 003, account statement: « toutes les écritures échues de la situation
-- de compte de vos clients seront groupées dans la même relance. Le niveau de
-- relance de la situation de compte est le niveau de relance le plus élevé de
-- toutes les écritures concernées. [...] Le client recevra une relance de
-- niveau R4 avec les 7 pièces de la situation de compte. Après cette relance,
-- toutes les écritures de l'exemple seront en niveau de relance R4. Même si
-- le client règle après les écritures qui étaient en niveau de relance R3
-- (les 5 premières de la situation de compte), les écritures qui étaient en
-- Prévenance et R3 resteront en niveau R4 et seront relancées en R5 à
-- l'étape suivante de la relance. »
--
-- and « si vous avez déjà commencé à relancer vos clients, vous ne pouvez
-- plus activer cette option. »
--
-- The ledger: customer C1 (with email, scenario Standard/with_email) and the
-- seven documents of the seed, their states arranged in dunning.entry_state
-- so that on 2024-06-14 five are due for R4, 1124847 for R3 and 1126675 (at
-- P, i.e. "en Prévenance") for R1.  R4 and R5 are enabled (10 days, email).
-- Customer C2 checks the word "échues" of rule 6: an entry not yet overdue
-- (in its pre-due window) is not part of the account statement.
--
-- Timeline: 2024-06-14 per document (plan, nothing executed); switch to
-- account statement; 2024-06-14 again (one R4 message, executed); the five
-- first are paid on 06-15; 06-23 nothing yet; 06-24 R5 for the two others;
-- switching back and forth is then refused.
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT plan(33);

-------------------------------------------------------------------------------
-- Configuration: R4 and R5 enabled by email in Standard/with_email.
-------------------------------------------------------------------------------
UPDATE dunning.step st
   SET enabled = true, days = 10, media = 'email',
       template_id = (SELECT t.template_id FROM dunning.template t WHERE t.name = 'reminder' AND t.language = 'fr')
  FROM dunning.scenario sc JOIN dunning.profile p ON p.profile_id = sc.profile_id
 WHERE st.scenario_id = sc.scenario_id AND p.name = 'Standard' AND sc.audience = 'with_email'
   AND st.step IN ('R4', 'R5');

SELECT results_eq(
    $$SELECT step::text, enabled, days, media::text FROM dunning.scenario_overview
       WHERE profile = 'Standard' AND audience = 'with_email' AND step BETWEEN 'R1' AND 'R7' ORDER BY step$$,
    $$VALUES ('R1', true, 5, 'email'), ('R2', true, 15, 'email'), ('R3', true, 30, 'letter'),
             ('R4', true, 10, 'email'), ('R5', true, 10, 'email'),
             ('R6', false, NULL, NULL), ('R7', false, NULL, NULL)$$,
    'test scenario: R1 5, R2 15, R3 30 (letter), R4 10, R5 10 by email');
SELECT is((SELECT grouping::text FROM dunning.settings), 'per_document', 'grouping starts per_document');

-------------------------------------------------------------------------------
-- The ledger of seed 003.
-------------------------------------------------------------------------------
INSERT INTO dunning.customer (customer_id, name, email, collector) VALUES
    ('C1', 'Maison Lefèvre', 'compta@lefevre.example', 'alice'),
    ('C2', 'Ateliers Morel', 'compta@morel.example', 'alice');

INSERT INTO dunning.entry (entry_id, customer_id, document_number, kind, document_date, due_date,
                           amount, open_amount, currency) VALUES
    ('E1', 'C1', '1120001', 'invoice', DATE '2023-12-01', DATE '2024-01-01', 100.00, 100.00, 'EUR'),
    ('E2', 'C1', '1120002', 'invoice', DATE '2023-12-02', DATE '2024-01-02', 200.00, 200.00, 'EUR'),
    ('E3', 'C1', '1120003', 'invoice', DATE '2023-12-03', DATE '2024-01-03', 300.00, 300.00, 'EUR'),
    ('E4', 'C1', '1120004', 'invoice', DATE '2023-12-04', DATE '2024-01-04', 400.00, 400.00, 'EUR'),
    ('E5', 'C1', '1120005', 'invoice', DATE '2023-12-05', DATE '2024-01-05', 500.00, 500.00, 'EUR'),
    ('E6', 'C1', '1124847', 'invoice', DATE '2024-02-15', DATE '2024-03-15', 650.00, 650.00, 'EUR'),
    ('E7', 'C1', '1126675', 'invoice', DATE '2024-05-06', DATE '2024-06-05', 780.00, 780.00, 'EUR'),
    -- C2: X1 overdue (R1 executed 05-25, R2 due 06-09); X2 falls due on
    -- 06-17, so on 06-14 it is in its pre-due window, not overdue.
    ('X1', 'C2', 'M-1', 'invoice', DATE '2024-04-20', DATE '2024-05-20', 1000.00, 1000.00, 'EUR'),
    ('X2', 'C2', 'M-2', 'invoice', DATE '2024-05-17', DATE '2024-06-17', 90.00, 90.00, 'EUR');

-- E1..E5 at R3 since 05-20 (R4 due 05-30); E6 at R2 since 05-10 (R3 due
-- 06-09); E7 at P since 05-31 (R1 due 06-05 + 5 = 06-10); X1 at R1 since 05-25.
INSERT INTO dunning.entry_state (customer_id, entry_id, level, last_dunned_on, reminder_count) VALUES
    ('C1', 'E1', 'R3', DATE '2024-05-20', 3),
    ('C1', 'E2', 'R3', DATE '2024-05-20', 3),
    ('C1', 'E3', 'R3', DATE '2024-05-20', 3),
    ('C1', 'E4', 'R3', DATE '2024-05-20', 3),
    ('C1', 'E5', 'R3', DATE '2024-05-20', 3),
    ('C1', 'E6', 'R2', DATE '2024-05-10', 2),
    ('C1', 'E7', 'P',  DATE '2024-05-31', 0),
    ('C2', 'X1', 'R1', DATE '2024-05-25', 1);

-------------------------------------------------------------------------------
-- 2024-06-14, per document: three messages, R4 (5 documents), R3 (1124847),
-- R1 (1126675).
-------------------------------------------------------------------------------
SELECT lives_ok($$SELECT dunning.plan(DATE '2024-06-14')$$, 'per document: plan 2024-06-14');

SELECT results_eq(
    $$SELECT step::text, level::text, media::text, status, selected, collector
        FROM dunning.action WHERE customer_id = 'C1' ORDER BY step$$,
    $$VALUES ('R1', 'R1', 'email', 'proposed', true, 'alice'),
             ('R3', 'R3', 'letter', 'proposed', true, 'alice'),
             ('R4', 'R4', 'email', 'proposed', true, 'alice')$$,
    'per document: one message per level, R1, R3 and R4');

SELECT results_eq(
    $$SELECT a.step::text, ae.document_number, ae.level_before::text
        FROM dunning.action_entry ae JOIN dunning.action a USING (action_id)
       WHERE a.customer_id = 'C1' ORDER BY a.step, ae.document_number$$,
    $$VALUES ('R1', '1126675', 'P'),
             ('R3', '1124847', 'R2'),
             ('R4', '1120001', 'R3'), ('R4', '1120002', 'R3'), ('R4', '1120003', 'R3'),
             ('R4', '1120004', 'R3'), ('R4', '1120005', 'R3')$$,
    'per document: R4 holds the five first documents, R3 holds 1124847, R1 holds 1126675');

SELECT results_eq(
    $$SELECT step::text, level::text, amount, currency, entry_count::int
        FROM dunning.proposal WHERE customer_id = 'C1' ORDER BY step$$,
    $$VALUES ('R1', 'R1', 780.00, 'EUR', 1), ('R3', 'R3', 650.00, 'EUR', 1), ('R4', 'R4', 1500.00, 'EUR', 5)$$,
    'per document: dunning.proposal shows the three messages with their amounts');

SELECT results_eq(
    $$SELECT entry_id, level::text, last_dunned_on, reminder_count
        FROM dunning.entry_state WHERE customer_id = 'C1' ORDER BY entry_id$$,
    $$VALUES ('E1', 'R3', DATE '2024-05-20', 3), ('E2', 'R3', DATE '2024-05-20', 3),
             ('E3', 'R3', DATE '2024-05-20', 3), ('E4', 'R3', DATE '2024-05-20', 3),
             ('E5', 'R3', DATE '2024-05-20', 3), ('E6', 'R2', DATE '2024-05-10', 2),
             ('E7', 'P', DATE '2024-05-31', 0)$$,
    'per document: proposing moves no level (rule 9)');

SELECT results_eq(
    $$SELECT a.step::text, ae.entry_id FROM dunning.action_entry ae JOIN dunning.action a USING (action_id)
       WHERE a.customer_id = 'C2' ORDER BY a.step$$,
    $$VALUES ('pre_due', 'X2'), ('R2', 'X1')$$,
    'per document: C2 gets R2 for its overdue X1 and a pre-due reminder for X2');

-------------------------------------------------------------------------------
-- Account statement, before anything was executed: the switch is allowed.
-------------------------------------------------------------------------------
SELECT lives_ok($$UPDATE dunning.settings SET grouping = 'account_statement'$$,
                'grouping can switch to account_statement while no reminder has been executed');
SELECT lives_ok($$SELECT dunning.plan(DATE '2024-06-14')$$, 'account statement: plan 2024-06-14');

SELECT results_eq(
    $$SELECT step::text, level::text, media::text, status FROM dunning.action
       WHERE customer_id = 'C1' AND status = 'proposed' ORDER BY step$$,
    $$VALUES ('R4', 'R4', 'email', 'proposed')$$,
    'account statement: one message, at R4, the highest level among the entries');

SELECT results_eq(
    $$SELECT ae.document_number, ae.level_before::text
        FROM dunning.action_entry ae JOIN dunning.action a USING (action_id)
       WHERE a.customer_id = 'C1' AND a.status = 'proposed' ORDER BY ae.document_number$$,
    $$VALUES ('1120001', 'R3'), ('1120002', 'R3'), ('1120003', 'R3'), ('1120004', 'R3'),
             ('1120005', 'R3'), ('1124847', 'R2'), ('1126675', 'P')$$,
    'account statement: the R4 message holds the seven documents');

SELECT results_eq(
    $$SELECT step::text, level::text, amount, currency, entry_count::int
        FROM dunning.proposal WHERE customer_id = 'C1'$$,
    $$VALUES ('R4', 'R4', 2930.00, 'EUR', 7)$$,
    'account statement: dunning.proposal shows one R4 message of 2930.00 EUR and 7 entries');

SELECT results_eq(
    $$SELECT step::text, status FROM dunning.action WHERE customer_id = 'C1' ORDER BY step$$,
    $$VALUES ('R1', 'cancelled'), ('R3', 'cancelled'), ('R4', 'proposed')$$,
    'account statement: the per-document R1 and R3 proposals are cancelled, R4 is kept in place');

SELECT results_eq(
    $$SELECT entry_id, next_step::text, verdict FROM dunning.explain('C1', DATE '2024-06-14')
       WHERE entry_id IN ('E1', 'E6', 'E7') ORDER BY entry_id$$,
    $$VALUES ('E1', 'R4', 'due: proposed at R4'),
             ('E6', 'R3', 'due: in the account statement at R4'),
             ('E7', 'R1', 'due: in the account statement at R4')$$,
    'account statement: explain says E6 and E7 go at R4 in the account statement');

-- Rule 6: "every overdue entry" (« toutes les écritures échues »).  X2 falls
-- due on 06-17: on 06-14 it is not overdue and is not in the statement.
SELECT results_eq(
    $$SELECT a.step::text, ae.entry_id FROM dunning.action_entry ae JOIN dunning.action a USING (action_id)
       WHERE a.customer_id = 'C2' AND a.status = 'proposed' AND a.step <> 'pre_due' ORDER BY ae.entry_id$$,
    $$VALUES ('R2', 'X1')$$,
    'account statement: an entry not yet overdue (X2, due 06-17) is not in the statement message');

-------------------------------------------------------------------------------
-- Execute the statement on 06-14: every entry of it is at R4.
-------------------------------------------------------------------------------
SELECT is(dunning.send('email', 'Standard', 'R4', DATE '2024-06-14'), 1,
          'account statement: the R4 message is sent');

SELECT results_eq(
    $$SELECT entry_id, level::text, last_dunned_on, reminder_count
        FROM dunning.entry_state WHERE customer_id = 'C1' ORDER BY entry_id$$,
    $$VALUES ('E1', 'R4', DATE '2024-06-14', 4), ('E2', 'R4', DATE '2024-06-14', 4),
             ('E3', 'R4', DATE '2024-06-14', 4), ('E4', 'R4', DATE '2024-06-14', 4),
             ('E5', 'R4', DATE '2024-06-14', 4), ('E6', 'R4', DATE '2024-06-14', 3),
             ('E7', 'R4', DATE '2024-06-14', 1)$$,
    'account statement: after the message every entry is at R4, also 1124847 (was R2) and 1126675 (was P)');

SELECT results_eq(
    $$SELECT a.step::text, a.status, a.executed_on, o.media::text, o.recipient
        FROM dunning.action a JOIN dunning.outbox o USING (action_id) WHERE a.customer_id = 'C1'$$,
    $$VALUES ('R4', 'queued', DATE '2024-06-14', 'email', 'compta@lefevre.example')$$,
    'account statement: one message in the outbox, the action queued on 06-14');

SELECT is(dunning.send('email', 'Standard', 'R2', DATE '2024-06-14'), 1, 'C2: its statement message is sent');
SELECT cmp_ok((SELECT COALESCE(max(level), 'none') FROM dunning.entry_state WHERE entry_id = 'X2'),
              '<', 'R1'::dunning.level,
              'C2: X2, not yet overdue, did not take the level of the statement (it stays at none or P)');

-------------------------------------------------------------------------------
-- The customer pays the five first documents on 06-15 (« Même si le client
-- règle après les écritures qui étaient en niveau de relance R3 »): the two
-- others stay at R4 and get R5 at the next step, 06-14 + 10 = 06-24.
-------------------------------------------------------------------------------
UPDATE dunning.entry SET open_amount = 0, settled_on = DATE '2024-06-15', settled_by = 'payment'
 WHERE entry_id IN ('E1', 'E2', 'E3', 'E4', 'E5');

SELECT lives_ok($$SELECT dunning.plan(DATE '2024-06-23')$$, 'account statement: plan 2024-06-23');
SELECT results_eq(
    $$SELECT step::text FROM dunning.action WHERE customer_id = 'C1' AND status = 'proposed' ORDER BY step$$,
    $$VALUES ('thanks')$$,
    '06-23: no reminder for C1 before R5 is due (only the thank-you for the paid documents)');
SELECT results_eq(
    $$SELECT entry_id, level::text, next_step::text, next_due_on, verdict
        FROM dunning.explain('C1', DATE '2024-06-23') WHERE entry_id IN ('E6', 'E7') ORDER BY entry_id$$,
    $$VALUES ('E6', 'R4', 'R5', DATE '2024-06-24', 'not due until 2024-06-24'),
             ('E7', 'R4', 'R5', DATE '2024-06-24', 'not due until 2024-06-24')$$,
    '06-23: explain says 1124847 and 1126675 are at R4 and get R5 on 06-24');

SELECT lives_ok($$SELECT dunning.plan(DATE '2024-06-24')$$, 'account statement: plan 2024-06-24');
SELECT results_eq(
    $$SELECT step::text, level::text FROM dunning.action
       WHERE customer_id = 'C1' AND status = 'proposed' AND step <> 'thanks'$$,
    $$VALUES ('R5', 'R5')$$,
    '06-24: the next reminder is R5');
SELECT results_eq(
    $$SELECT ae.document_number, ae.level_before::text
        FROM dunning.action_entry ae JOIN dunning.action a USING (action_id)
       WHERE a.customer_id = 'C1' AND a.status = 'proposed' AND a.step = 'R5' ORDER BY ae.document_number$$,
    $$VALUES ('1124847', 'R4'), ('1126675', 'R4')$$,
    '06-24: R5 holds the two documents that were at R2 (R3 due) and P (R1 due), both now R4');
SELECT results_eq(
    $$SELECT step::text, amount, currency, entry_count::int FROM dunning.proposal
       WHERE customer_id = 'C1' AND step = 'R5'$$,
    $$VALUES ('R5', 1430.00, 'EUR', 2)$$,
    '06-24: dunning.proposal shows R5 for 1430.00 EUR');
SELECT is(dunning.send('email', 'Standard', 'R5', DATE '2024-06-24'), 1, '06-24: R5 is sent');
SELECT results_eq(
    $$SELECT entry_id, level::text, last_dunned_on FROM dunning.entry_state
       WHERE customer_id = 'C1' AND entry_id IN ('E6', 'E7') ORDER BY entry_id$$,
    $$VALUES ('E6', 'R5', DATE '2024-06-24'), ('E7', 'R5', DATE '2024-06-24')$$,
    '06-24: 1124847 and 1126675 are at R5');

-------------------------------------------------------------------------------
-- Once reminders have been executed, account_statement cannot be switched on.
-------------------------------------------------------------------------------
SELECT lives_ok($$UPDATE dunning.settings SET grouping = 'per_document'$$,
                'grouping can go back to per_document');
SELECT throws_ok(
    $$UPDATE dunning.settings SET grouping = 'account_statement'$$,
    '23514', 'grouping cannot switch to account_statement: reminders have already been executed',
    'switching to account_statement is refused once a reminder has been executed');
SELECT is((SELECT grouping::text FROM dunning.settings), 'per_document',
          'the refused switch left grouping per_document');

SELECT * FROM finish();
ROLLBACK;
