-- plan_thanks.sql: the thank-you step (SPEC "The rules" 7 and
-- "Configuration" settings, seed 002).
--
-- Seed 002: « 1 remerciement → afin de prévenir votre client de la réception
-- de son dernier règlement. Le remerciement sera déclenché X jours après la
-- date du règlement. Ce règlement doit être lettré avec la ou les factures
-- dans votre comptabilité. Une écriture peut être exclue des relances si elle
-- a été soldée par un avoir et que l'option suivante est activée : « Ignorer
-- le remerciement des factures soldées par un avoir ». »
-- SPEC rule 7: « for an invoice settled on S, thanks is due at S + days,
-- once; none for invoices settled by a credit note when
-- skip_thanks_for_credit_notes is set. »  Settings: thanks_only_if_dunned
-- (default true) thanks only invoices that were dunned (level above none).
--
-- The 30-day window, as the code has it (dunning.propose): a thank-you is
-- proposed while as_of - (settled_on + days) < 30, i.e. up to 29 days late;
-- from 30 days late on it is not proposed, and a proposal still waiting is
-- cancelled by the next run.
--
-- Ledger (Standard/with_email, thanks J+3 by email), every invoice settled
-- (open_amount 0):
--   C1  T1 dunned (R1 on 05-01), settled 05-10 by payment: thanks on 05-13;
--   C2  T2 never dunned, settled 05-10 by payment;
--   C3  T3 dunned, settled 05-20 by a credit note; T4 dunned, settled 05-20
--       by payment: thanks on 05-23;
--   C4  T5 dunned, settled 04-10 (thanks due 04-13, 29 days late on 05-12);
--       T6 dunned, settled 04-09 (thanks due 04-12, 30 days late on 05-12).
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT plan(34);

SELECT results_eq(
    $$SELECT s.thanks_only_if_dunned, s.skip_thanks_for_credit_notes FROM dunning.settings s$$,
    $$VALUES (true, false)$$,
    'defaults: thanks_only_if_dunned true, skip_thanks_for_credit_notes false');
SELECT results_eq(
    $$SELECT enabled, days, media::text FROM dunning.scenario_overview
       WHERE profile = 'Standard' AND audience = 'with_email' AND step = 'thanks'$$,
    $$VALUES (true, 3, 'email')$$,
    'Standard/with_email thanks 3 days after settlement, by email');

INSERT INTO dunning.customer (customer_id, name, email, collector) VALUES
    ('C1', 'Pharmacie Dubois', 'compta@dubois.example', 'david'),
    ('C2', 'Fromagerie Henry', 'compta@henry.example', 'david'),
    ('C3', 'Librairie Mercier', 'compta@mercier.example', 'david'),
    ('C4', 'Opticien Garnier', 'compta@garnier.example', 'david');

INSERT INTO dunning.entry (entry_id, customer_id, document_number, kind, document_date, due_date,
                           amount, open_amount, currency, settled_on, settled_by) VALUES
    ('T1', 'C1', 'F-11', 'invoice', DATE '2024-03-26', DATE '2024-04-26', 410.00, 0, 'EUR', DATE '2024-05-10', 'payment'),
    ('T2', 'C2', 'F-21', 'invoice', DATE '2024-04-10', DATE '2024-05-10', 220.00, 0, 'EUR', DATE '2024-05-10', 'payment'),
    ('T3', 'C3', 'F-31', 'invoice', DATE '2024-03-01', DATE '2024-04-01', 330.00, 0, 'EUR', DATE '2024-05-20', 'credit_note'),
    ('T4', 'C3', 'F-32', 'invoice', DATE '2024-03-01', DATE '2024-04-01', 340.00, 0, 'EUR', DATE '2024-05-20', 'payment'),
    ('T5', 'C4', 'F-41', 'invoice', DATE '2024-01-15', DATE '2024-02-15', 150.00, 0, 'EUR', DATE '2024-04-10', 'payment'),
    ('T6', 'C4', 'F-42', 'invoice', DATE '2024-01-14', DATE '2024-02-14', 160.00, 0, 'EUR', DATE '2024-04-09', 'payment');
INSERT INTO dunning.entry_state (customer_id, entry_id, level, last_dunned_on, reminder_count) VALUES
    ('C1', 'T1', 'R1', DATE '2024-05-01', 1),
    ('C3', 'T3', 'R1', DATE '2024-04-06', 1),
    ('C3', 'T4', 'R1', DATE '2024-04-06', 1),
    ('C4', 'T5', 'R2', DATE '2024-03-10', 2),
    ('C4', 'T6', 'R2', DATE '2024-03-10', 2);

-------------------------------------------------------------------------------
-- 05-12: T1's thank-you is not due before 05-13; T5 is 29 days late (still
-- proposed), T6 30 days late (not proposed).
-------------------------------------------------------------------------------
SELECT lives_ok($$SELECT dunning.plan(DATE '2024-05-12')$$, 'plan 2024-05-12');
SELECT results_eq(
    $$SELECT a.customer_id, a.step::text, a.level::text, a.media::text, ae.entry_id
        FROM dunning.action a JOIN dunning.action_entry ae USING (action_id)
       WHERE a.status = 'proposed' ORDER BY a.customer_id, ae.entry_id$$,
    $$VALUES ('C4', 'thanks', NULL::text, 'email', 'T5')$$,
    '05-12: the only thank-you is C4''s for T5 (29 days late); none for T1 before 05-13, none for T6 (30 days late)');
SELECT results_eq(
    $$SELECT entry_id, verdict FROM dunning.explain('C4', DATE '2024-05-12') ORDER BY entry_id$$,
    $$VALUES ('T5', 'settled: thank-you due'), ('T6', 'settled')$$,
    '05-12: explain: T5 thank-you due, T6 just settled');
SELECT results_eq(
    $$SELECT verdict FROM dunning.explain('C1', DATE '2024-05-12')$$,
    $$VALUES ('settled')$$,
    '05-12: explain: T1 settled, its thank-you not yet due');

-------------------------------------------------------------------------------
-- 05-13 = 05-10 + 3: T1's thank-you.  The never-dunned T2 gets none.
-------------------------------------------------------------------------------
SELECT lives_ok($$SELECT dunning.plan(DATE '2024-05-13')$$, 'plan 2024-05-13');
SELECT results_eq(
    $$SELECT a.customer_id, a.step::text, a.level::text, a.media::text, ae.entry_id
        FROM dunning.action a JOIN dunning.action_entry ae USING (action_id)
       WHERE a.status = 'proposed' ORDER BY a.customer_id, ae.entry_id$$,
    $$VALUES ('C1', 'thanks', NULL::text, 'email', 'T1')$$,
    '05-13: a thank-you for T1 (dunned, settled 05-10); none for T2, never dunned');
SELECT results_eq(
    $$SELECT step::text, status FROM dunning.action WHERE customer_id = 'C4'$$,
    $$VALUES ('thanks', 'cancelled')$$,
    '05-13: C4''s thank-you, now 30 days late, is withdrawn');
SELECT results_eq(
    $$SELECT step::text, level, amount, currency, entry_count::int FROM dunning.proposal WHERE customer_id = 'C1'$$,
    $$VALUES ('thanks', NULL::dunning.level, 0::numeric, 'EUR', 1)$$,
    '05-13: dunning.proposal shows the thank-you without a level');
SELECT results_eq(
    $$SELECT verdict FROM dunning.explain('C1', DATE '2024-05-13')$$,
    $$VALUES ('settled: thank-you due')$$,
    '05-13: explain: T1 thank-you due');

SELECT is(dunning.send('email', NULL, 'thanks', DATE '2024-05-13'), 1, '05-13: the thank-you is sent');
SELECT results_eq(
    $$SELECT entry_id, level::text, last_dunned_on, reminder_count, thanked_on FROM dunning.entry_state
       WHERE customer_id = 'C1'$$,
    $$VALUES ('T1', 'R1', DATE '2024-05-01', 1, DATE '2024-05-13')$$,
    '05-13: T1 is thanked on 05-13; its level, last reminder and count are unchanged');
SELECT results_eq(
    $$SELECT o.media::text, o.recipient, o.payload ->> 'step' FROM dunning.outbox o
       JOIN dunning.action a USING (action_id) WHERE a.customer_id = 'C1'$$,
    $$VALUES ('email', 'compta@dubois.example', 'thanks')$$,
    '05-13: one thank-you email in the outbox');

-------------------------------------------------------------------------------
-- 05-14: once thanked, never again.  thanks_only_if_dunned = false: the
-- never-dunned T2 gets its thank-you too.
-------------------------------------------------------------------------------
SELECT lives_ok($$SELECT dunning.plan(DATE '2024-05-14')$$, 'plan 2024-05-14');
SELECT is((SELECT count(*)::int FROM dunning.action WHERE status = 'proposed'), 0,
          '05-14: nothing proposed: T1 was thanked, T2 was never dunned');
SELECT results_eq(
    $$SELECT verdict FROM dunning.explain('C1', DATE '2024-05-14')$$,
    $$VALUES ('settled: thanked on 2024-05-13')$$,
    '05-14: explain: T1 settled, thanked on 05-13');

UPDATE dunning.settings SET thanks_only_if_dunned = false;
SELECT lives_ok($$SELECT dunning.plan(DATE '2024-05-14')$$, 'plan 2024-05-14 with thanks_only_if_dunned = false');
SELECT results_eq(
    $$SELECT a.customer_id, a.step::text, ae.entry_id
        FROM dunning.action a JOIN dunning.action_entry ae USING (action_id)
       WHERE a.status = 'proposed' ORDER BY a.customer_id, ae.entry_id$$,
    $$VALUES ('C2', 'thanks', 'T2')$$,
    '05-14: with thanks_only_if_dunned = false the never-dunned T2 gets a thank-you; T1 not again');
SELECT is(dunning.send('email', NULL, 'thanks', DATE '2024-05-14'), 1, '05-14: T2''s thank-you is sent');
SELECT results_eq(
    $$SELECT entry_id, level::text, last_dunned_on, reminder_count, thanked_on FROM dunning.entry_state
       WHERE customer_id = 'C2'$$,
    $$VALUES ('T2', 'none', NULL::date, 0, DATE '2024-05-14')$$,
    '05-14: T2 is thanked and still at none');
UPDATE dunning.settings SET thanks_only_if_dunned = true;

SELECT lives_ok($$SELECT dunning.plan(DATE '2024-05-15')$$, 'plan 2024-05-15');
SELECT is((SELECT count(*)::int FROM dunning.action WHERE status = 'proposed'), 0,
          '05-15: nothing proposed: T1 and T2 are thanked once each');

-------------------------------------------------------------------------------
-- 05-23 = 05-20 + 3: C3's thank-you.  With skip_thanks_for_credit_notes,
-- T3, settled by a credit note, leaves it; T4, settled by payment, stays.
-------------------------------------------------------------------------------
SELECT lives_ok($$SELECT dunning.plan(DATE '2024-05-22')$$, 'plan 2024-05-22');
SELECT is((SELECT count(*)::int FROM dunning.action WHERE status = 'proposed'), 0,
          '05-22: nothing proposed, C3''s thank-you falls on 05-23');

SELECT lives_ok($$SELECT dunning.plan(DATE '2024-05-23')$$, 'plan 2024-05-23');
SELECT results_eq(
    $$SELECT a.customer_id, a.step::text, ae.entry_id
        FROM dunning.action a JOIN dunning.action_entry ae USING (action_id)
       WHERE a.status = 'proposed' ORDER BY a.customer_id, ae.entry_id$$,
    $$VALUES ('C3', 'thanks', 'T3'), ('C3', 'thanks', 'T4')$$,
    '05-23: skip_thanks_for_credit_notes false: one thank-you for T3 and T4');

UPDATE dunning.settings SET skip_thanks_for_credit_notes = true;
SELECT lives_ok($$SELECT dunning.plan(DATE '2024-05-23')$$, 'plan 2024-05-23 with skip_thanks_for_credit_notes = true');
SELECT results_eq(
    $$SELECT a.customer_id, a.step::text, ae.entry_id
        FROM dunning.action a JOIN dunning.action_entry ae USING (action_id)
       WHERE a.status = 'proposed' ORDER BY a.customer_id, ae.entry_id$$,
    $$VALUES ('C3', 'thanks', 'T4')$$,
    '05-23: skip_thanks_for_credit_notes true: T3 (settled by a credit note) is left out, T4 (payment) stays');
SELECT is(dunning.send('email', NULL, 'thanks', DATE '2024-05-23'), 1, '05-23: C3''s thank-you is sent');
SELECT results_eq(
    $$SELECT entry_id, thanked_on FROM dunning.entry_state WHERE customer_id = 'C3' ORDER BY entry_id$$,
    $$VALUES ('T3', NULL::date), ('T4', DATE '2024-05-23')$$,
    '05-23: T4 is thanked, T3 is not');
SELECT results_eq(
    $$SELECT entry_id, verdict FROM dunning.explain('C3', DATE '2024-05-24') ORDER BY entry_id$$,
    $$VALUES ('T3', 'settled'), ('T4', 'settled: thanked on 2024-05-23')$$,
    '05-24: explain: T3 settled (no thank-you), T4 thanked on 05-23');

SELECT lives_ok($$SELECT dunning.plan(DATE '2024-05-24')$$, 'plan 2024-05-24');
SELECT is((SELECT count(*)::int FROM dunning.action WHERE status = 'proposed'), 0,
          '05-24: nothing proposed, T3 is not thanked later either');

SELECT * FROM finish();
ROLLBACK;
