-- reporting.sql: the reporting views, every figure against a ledger built
-- for them.
--
-- SPEC.md, "Reporting views": "Amount to dun today (the home-page block),
-- ageing buckets per customer, reminders per level and media, collectors'
-- to-do lists, reminder counts per entry (infinite dunning)."
-- SPEC.md, "Roles and security": "`dunning_reader` (reporting views only)".
-- Seed 000: « Depuis la page d'accueil, dans le bloc "Montant à relancer",
-- vous avez un bouton "Je relance" » and « la liste des relances à effectuer
-- par média, par profil client et par niveau de relance ».
-- Seed 002: with infinite dunning « vous pouvez connaitre le nombre de
-- relances de l'écriture ».
--
-- Proves:
--   * dunning.ageing_on: every bucket edge (due today and tomorrow: not due;
--     1, 30 days: 1-30; 31, 60: 31-60; 61, 90: 61-90; 91: over 90), a
--     partly paid invoice by its open amount, credits apart, a settled
--     invoice left out, an open debit without due date in no_due_date, an
--     entry without currency on its own row (currency NULL), two currencies
--     never summed; names and collectors from the customers relation; the
--     ledger read through settings.entry_source / customer_source (an
--     attached view with quoted names and a varchar currency);
--   * dunning.dso_on: receivables / sales * period_days, the period's edges
--     (as_of - period_days out, the day after in, a future invoice out),
--     NULL without sales, 0 without receivables, another period; a bad
--     period refused;
--   * dunning.ageing and dunning.dso are the functions on dunning.today();
--   * dunning.amount_to_dun on two days: selected proposals per media, level
--     and currency, net of the credit note in the message, without the
--     unticked action, the unticked entry, the action whose every entry is
--     unticked, nor the thank-you;
--   * dunning.collector_todo: per collector (NULL too), media and currency,
--     and what mark_done takes off it;
--   * dunning.reminders_per_day after sends, a download, outbox deliveries
--     (sent, dead, cancelled because settled) and mark_done over four days;
--   * dunning.reminder_counts under infinite dunning (R2 repeated by phone:
--     level R2, reminder_count 4, three reminders at R2), beside finite
--     scenarios;
--   * dunning_reader reads each view and calls both functions, but reads
--     neither the ledger nor the planner's tables.
BEGIN;
SELECT plan(41);
SET LOCAL client_min_messages = warning;

-------------------------------------------------------------------------------
-- Configuration.
--   Forever (explicit), with email: R1 +5 by email, R2 +10 by phone, infinite.
--   Visit (explicit): R1 +5 by "other", nothing else.
--   Report only (explicit): both scenarios disabled, never planned; its
--   customers carry the ageing and DSO cases.
--   Standard as installed: with email pre-due J-5, R1 +5, R2 +15 by email,
--   R3 +30 letter, thanks +3; without email R1 +5 letter, ...
-------------------------------------------------------------------------------
CREATE TEMPORARY TABLE made_profiles AS
SELECT dunning.create_profile('Forever', 10, NULL) AS profile_id
UNION ALL SELECT dunning.create_profile('Visit', 20, NULL, NULL)
UNION ALL SELECT dunning.create_profile('Report only', 30, NULL, NULL);

UPDATE dunning.step st SET enabled = false
  FROM dunning.scenario sc JOIN dunning.profile p ON p.profile_id = sc.profile_id
 WHERE st.scenario_id = sc.scenario_id AND p.name = 'Forever' AND sc.audience = 'with_email'
   AND st.step IN ('pre_due', 'R3', 'thanks');
UPDATE dunning.step st SET days = 10, media = 'phone', template_id = NULL
  FROM dunning.scenario sc JOIN dunning.profile p ON p.profile_id = sc.profile_id
 WHERE st.scenario_id = sc.scenario_id AND p.name = 'Forever' AND sc.audience = 'with_email'
   AND st.step = 'R2';
UPDATE dunning.scenario sc SET infinite = true
  FROM dunning.profile p
 WHERE p.profile_id = sc.profile_id AND p.name = 'Forever' AND sc.audience = 'with_email';

UPDATE dunning.step st SET enabled = true, days = 5, media = 'other'
  FROM dunning.scenario sc JOIN dunning.profile p ON p.profile_id = sc.profile_id
 WHERE st.scenario_id = sc.scenario_id AND p.name = 'Visit' AND sc.audience = 'with_email'
   AND st.step = 'R1';
UPDATE dunning.scenario sc SET enabled = true
  FROM dunning.profile p
 WHERE p.profile_id = sc.profile_id AND p.name = 'Visit' AND sc.audience = 'with_email';

-- A message dies at its first failed attempt (for the "failed" count).
UPDATE dunning.settings SET max_attempts = 1;

-- The scenario of a profile and audience (ids depend on the sequence).
CREATE FUNCTION pg_temp.scn(profile_name text, aud text) RETURNS bigint
    LANGUAGE sql AS $$
    SELECT sc.scenario_id FROM dunning.scenario sc JOIN dunning.profile p ON p.profile_id = sc.profile_id
    WHERE p.name = profile_name AND sc.audience = aud::dunning.audience
$$;
-- The latest action of a customer at a step.
CREATE FUNCTION pg_temp.aid(of_customer text, at_step text) RETURNS bigint
    LANGUAGE sql AS $$
    SELECT pg_catalog.max(a.action_id) FROM dunning.action a
    WHERE a.customer_id = of_customer AND a.step = at_step::dunning.step_name
$$;

-------------------------------------------------------------------------------
-- The ledger.
-------------------------------------------------------------------------------
INSERT INTO dunning.customer (customer_id, name, email, collector, profile) VALUES
    ('ALPHA',   'Alpha SA',      'compta@alpha.example',   'ann', 'Report only'),  -- ageing, DSO
    ('KILO',    'Kilo SARL',     'compta@kilo.example',    'ann', 'Report only'),  -- sales, nothing open
    ('BRAVO',   'Bravo SA',      'compta@bravo.example',   'ann', NULL),           -- EUR + USD, credit note, pre-due
    ('CHARLIE', 'Charlie & Cie', NULL,                     'bob', NULL),           -- letter
    ('DELTA',   'Delta SAS',     'ap@delta.example',       'cid', 'Forever'),      -- infinite, phone
    ('ECHO',    'Echo Ltd',      'ap@echo.example',        NULL,  'Forever'),      -- infinite, no collector
    ('FOXTROT', 'Foxtrot',       'ap@foxtrot.example',     'ann', NULL),           -- action unticked
    ('GOLF',    'Golf',          'ap@golf.example',        'ann', NULL),           -- entry unticked, settled
    ('HOTEL',   'Hotel',         'ap@hotel.example',       'cid', 'Visit'),        -- "other" visit
    ('INDIA',   'India',         'ap@india.example',       'cid', 'Forever');      -- infinite, two entries

-- ALPHA's entries are aged on 2025-06-30 (days overdue = 2025-06-30 - due):
--   A-00  due 06-30:  0 days -> not due      A-M1 due 07-01: -1 -> not due
--   A-01  due 06-29:  1 -> 1-30              A-30 due 05-31: 30 -> 1-30
--   A-31  due 05-30: 31 -> 31-60             A-60 due 05-01: 60 -> 31-60
--   A-61  due 04-30: 61 -> 61-90             A-90 due 04-01: 90 -> 61-90
--   A-91  due 03-31: 91 -> over 90           A-U2 due 02-28: 122 -> over 90
-- Their document dates put them in or out of the DSO period (as_of - 90 =
-- 04-01 < document_date <= 06-30): A-60 (04-01) out, A-61 (04-02) in.
INSERT INTO dunning.entry (entry_id, customer_id, document_number, kind, document_date, due_date,
                           amount, open_amount, currency, settled_on, settled_by) VALUES
    ('A-00', 'ALPHA', 'F-A-00', 'invoice', DATE '2025-05-31', DATE '2025-06-30',  100.00,  100.00, 'EUR', NULL, NULL),
    ('A-M1', 'ALPHA', 'F-A-M1', 'invoice', DATE '2025-06-01', DATE '2025-07-01',  200.00,  200.00, 'EUR', NULL, NULL),
    ('A-F',  'ALPHA', 'F-A-F',  'invoice', DATE '2025-07-01', DATE '2025-07-31',   10.00,   10.00, 'EUR', NULL, NULL),
    ('A-01', 'ALPHA', 'F-A-01', 'invoice', DATE '2025-05-30', DATE '2025-06-29',   50.00,   50.00, 'EUR', NULL, NULL),
    ('A-30', 'ALPHA', 'F-A-30', 'invoice', DATE '2025-05-01', DATE '2025-05-31',  300.00,  300.00, 'EUR', NULL, NULL),
    ('A-PP', 'ALPHA', 'F-A-PP', 'invoice', DATE '2025-05-11', DATE '2025-06-10', 1000.00,  250.00, 'EUR', NULL, NULL),
    ('A-31', 'ALPHA', 'F-A-31', 'invoice', DATE '2025-04-30', DATE '2025-05-30',  400.00,  400.00, 'EUR', NULL, NULL),
    ('A-60', 'ALPHA', 'F-A-60', 'invoice', DATE '2025-04-01', DATE '2025-05-01',  500.00,  500.00, 'EUR', NULL, NULL),
    ('A-61', 'ALPHA', 'F-A-61', 'invoice', DATE '2025-04-02', DATE '2025-04-30',  600.00,  600.00, 'EUR', NULL, NULL),
    ('A-90', 'ALPHA', 'F-A-90', 'invoice', DATE '2025-03-02', DATE '2025-04-01',  700.00,  700.00, 'EUR', NULL, NULL),
    ('A-91', 'ALPHA', 'F-A-91', 'invoice', DATE '2025-03-01', DATE '2025-03-31',  800.00,  800.00, 'EUR', NULL, NULL),
    ('A-S',  'ALPHA', 'F-A-S',  'invoice', DATE '2025-06-01', DATE '2025-07-01',  900.00,    0.00, 'EUR', DATE '2025-06-20', 'payment'),
    ('A-CN', 'ALPHA', 'AV-A-1', 'credit_note', DATE '2025-06-15', NULL,         -150.00, -150.00, 'EUR', NULL, NULL),
    -- bad rows: an open debit without due date, an entry without currency
    ('A-ND', 'ALPHA', 'F-A-ND', 'invoice', DATE '2025-06-15', NULL,                75.00,   75.00, 'EUR', NULL, NULL),
    ('A-NC', 'ALPHA', 'F-A-NC', 'invoice', DATE '2025-05-02', DATE '2025-06-01',   60.00,   60.00, NULL,  NULL, NULL),
    ('A-U1', 'ALPHA', 'F-A-U1', 'invoice', DATE '2025-05-21', DATE '2025-06-20', 1000.00, 1000.00, 'USD', NULL, NULL),
    ('A-U2', 'ALPHA', 'F-A-U2', 'invoice', DATE '2025-01-29', DATE '2025-02-28', 2000.00, 2000.00, 'USD', NULL, NULL),
    ('K-1',  'KILO',  'F-K-1',  'invoice', DATE '2025-06-10', DATE '2025-07-10',  500.00,    0.00, 'EUR', DATE '2025-06-20', 'payment'),
    -- planned from 2025-03-10 on
    ('B-1',  'BRAVO',   'F-B-1',  'invoice',     DATE '2025-02-01', DATE '2025-03-01', 1000.00, 1000.00, 'EUR', NULL, NULL),
    ('B-2',  'BRAVO',   'F-B-2',  'invoice',     DATE '2025-02-02', DATE '2025-03-02',  400.00,  400.00, 'USD', NULL, NULL),
    ('B-3',  'BRAVO',   'F-B-3',  'invoice',     DATE '2025-02-11', DATE '2025-03-13',  300.00,  300.00, 'EUR', NULL, NULL),
    ('B-4',  'BRAVO',   'AV-B-4', 'credit_note', DATE '2025-03-05', NULL,              -100.00, -100.00, 'EUR', NULL, NULL),
    ('C-1',  'CHARLIE', 'F-C-1',  'invoice',     DATE '2025-02-01', DATE '2025-03-01',  250.00,  250.00, 'EUR', NULL, NULL),
    ('D-1',  'DELTA',   'F-D-1',  'invoice',     DATE '2025-02-01', DATE '2025-03-01',  600.00,  600.00, 'EUR', NULL, NULL),
    ('E-1',  'ECHO',    'F-E-1',  'invoice',     DATE '2025-02-01', DATE '2025-03-01',   80.00,   80.00, 'USD', NULL, NULL),
    ('F-1',  'FOXTROT', 'F-F-1',  'invoice',     DATE '2025-02-01', DATE '2025-03-01',   50.00,   50.00, 'EUR', NULL, NULL),
    ('G-1',  'GOLF',    'F-G-1',  'invoice',     DATE '2025-02-01', DATE '2025-03-01',   70.00,   70.00, 'EUR', NULL, NULL),
    ('G-2',  'GOLF',    'F-G-2',  'invoice',     DATE '2025-02-01', DATE '2025-03-01',   30.00,   30.00, 'EUR', NULL, NULL),
    ('H-1',  'HOTEL',   'F-H-1',  'invoice',     DATE '2025-02-08', DATE '2025-03-10',  450.00,  450.00, 'EUR', NULL, NULL),
    ('H-2',  'HOTEL',   'F-H-2',  'invoice',     DATE '2025-02-10', DATE '2025-03-12',  120.00,  120.00, 'USD', NULL, NULL),
    ('I-1',  'INDIA',   'F-I-1',  'invoice',     DATE '2025-01-20', DATE '2025-02-20',  100.00,  100.00, 'EUR', NULL, NULL),
    ('I-2',  'INDIA',   'F-I-2',  'invoice',     DATE '2025-02-01', DATE '2025-03-01',  200.00,  200.00, 'EUR', NULL, NULL);

-------------------------------------------------------------------------------
-- Nothing planned yet: the planner's views are empty.
-------------------------------------------------------------------------------
SELECT is_empty($$SELECT * FROM dunning.amount_to_dun$$, 'before any plan, nothing to dun');
SELECT results_eq(
    $$SELECT (SELECT count(*) FROM dunning.reminders_per_day), (SELECT count(*) FROM dunning.reminder_counts),
             (SELECT count(*) FROM dunning.collector_todo)$$,
    $$VALUES (0::bigint, 0::bigint, 0::bigint)$$,
    'before any plan, no reminder executed or counted, no to-do');

-------------------------------------------------------------------------------
-- Day 1: plan on 2025-03-10.
--   BRAVO (Standard, email): B-1 (due 03-01, R1 from 03-06) and B-2 (USD, R1
--     from 03-07) at R1 with the credit note B-4 (a credit joins the message
--     of its next level); B-3 (due 03-13) pre-due from 03-08.
--   CHARLIE (no email): R1 letter.  DELTA, ECHO, INDIA (Forever): R1 email.
--   FOXTROT: R1, unticked by the collector.  GOLF: R1, entry G-2 unticked.
--   HOTEL (Visit, R1 +5): H-1 due 03-10, R1 only from 03-15: nothing yet.
--   ALPHA, KILO: scenario disabled, nothing.
-------------------------------------------------------------------------------
CREATE TEMPORARY TABLE runs AS SELECT dunning.plan(DATE '2025-03-10') AS run_id;
CREATE TEMPORARY TABLE collector_calls AS
SELECT dunning.untick(pg_temp.aid('FOXTROT', 'R1')) IS NULL AS done
UNION ALL SELECT dunning.untick(pg_temp.aid('GOLF', 'R1'), 'G-2') IS NULL;

-- (email, R1, EUR): BRAVO 1000.00 - 100.00 (B-1, B-4) + DELTA 600.00 + GOLF
-- 70.00 (G-2 unticked) + INDIA 100.00 + 200.00 = 1870.00, 4 actions, 6
-- entries; FOXTROT's unticked 50.00 is not there.
-- (email, R1, USD): BRAVO 400.00 + ECHO 80.00 = 480.00.
SELECT results_eq(
    $$SELECT media::text, level::text, currency, actions, customers, entry_count, amount, proposed_on
      FROM dunning.amount_to_dun ORDER BY media, level, currency$$,
    $$VALUES ('email', 'P',  'EUR', 1::bigint, 1::bigint, 1::bigint,  300.00, DATE '2025-03-10'),
             ('email', 'R1', 'EUR', 4::bigint, 4::bigint, 6::bigint, 1870.00, DATE '2025-03-10'),
             ('email', 'R1', 'USD', 2::bigint, 2::bigint, 2::bigint,  480.00, DATE '2025-03-10'),
             ('letter', 'R1', 'EUR', 1::bigint, 1::bigint, 1::bigint, 250.00, DATE '2025-03-10')$$,
    'amount_to_dun on 03-10: per media, level and currency, net of the credit note, without the unticked action and entry');
SELECT results_eq(
    $$SELECT currency, sum(amount) FROM dunning.amount_to_dun GROUP BY currency ORDER BY currency$$,
    $$VALUES ('EUR', 2420.00), ('USD', 480.00)$$,
    'the home-page block: 300.00 + 1870.00 + 250.00 = 2420.00 EUR and 480.00 USD to dun, never summed together');
SELECT is_empty($$SELECT * FROM dunning.collector_todo$$,
                'collector_todo on 03-10: no phone or other action proposed');

-------------------------------------------------------------------------------
-- 2025-03-11: the emails are sent (6 actions: BRAVO's P and R1, DELTA's,
-- ECHO's, GOLF's and INDIA's R1; not FOXTROT's), CHARLIE's letter downloaded.  Then G-1
-- is paid (settled 03-12) before the sender claims: GOLF's message is
-- cancelled; BRAVO's pre-due message fails for good (max_attempts 1); the
-- four other reminders are delivered.
-------------------------------------------------------------------------------
SELECT is(dunning.send('email', NULL, NULL, DATE '2025-03-11'), 6, 'six email actions sent on 03-11');
CREATE TEMPORARY TABLE letters AS SELECT * FROM dunning.download_letters(NULL, NULL, DATE '2025-03-11');
UPDATE dunning.entry SET open_amount = 0, settled_on = DATE '2025-03-12', settled_by = 'payment'
 WHERE entry_id = 'G-1';
CREATE TEMPORARY TABLE claimed AS
SELECT c.message_id, c.token, c.customer_id, c.payload ->> 'step' AS step
FROM dunning.claim('reporting test', 10) c;
CREATE TEMPORARY TABLE outcomes AS
SELECT dunning.ack(c.message_id, c.token)::text AS outcome FROM claimed c WHERE c.step = 'R1'
UNION ALL
SELECT dunning.nack(c.message_id, c.token, 'mailbox full', '0') FROM claimed c WHERE c.step = 'pre_due';
SELECT results_eq(
    $$SELECT a.customer_id, a.step::text, a.status FROM dunning.action a
      WHERE a.executed_on = DATE '2025-03-11' ORDER BY a.customer_id, a.step$$,
    $$VALUES ('BRAVO', 'pre_due', 'failed'), ('BRAVO', 'R1', 'sent'), ('CHARLIE', 'R1', 'done'),
             ('DELTA', 'R1', 'sent'), ('ECHO', 'R1', 'sent'), ('GOLF', 'R1', 'cancelled'), ('INDIA', 'R1', 'sent')$$,
    'the setting of the scene: on 03-11 one reminder failed, four sent, one done, one cancelled');

-------------------------------------------------------------------------------
-- Day 2: plan on 2025-03-21.
--   BRAVO: B-3 (P executed 03-11) at R1 (03-13 + 5 = 03-18); B-1, B-2 R2
--     only from 03-26; the credit B-4 (at R1) waits for R2.
--   DELTA, INDIA (R1 on 03-11): R2 by phone (03-11 + 10 = 03-21), cid.
--   ECHO: the same, no collector.
--   HOTEL: R1 "other", H-1 (03-10 + 5) 450.00 EUR and H-2 (03-12 + 5)
--     120.00 USD, cid.
--   FOXTROT: R1, still unticked.  GOLF: R1 for G-2 alone, still unticked
--     (the action is ticked, its only entry is not); thanks for G-1
--     (settled 03-12 + 3).
-------------------------------------------------------------------------------
INSERT INTO runs SELECT dunning.plan(DATE '2025-03-21');
SELECT results_eq(
    $$SELECT a.customer_id, a.step::text, a.selected FROM dunning.action a
      WHERE a.status = 'proposed' ORDER BY 1, 2$$,
    $$VALUES ('BRAVO', 'R1', true), ('DELTA', 'R2', true), ('ECHO', 'R2', true), ('FOXTROT', 'R1', false),
             ('GOLF', 'R1', true), ('GOLF', 'thanks', true), ('HOTEL', 'R1', true), ('INDIA', 'R2', true)$$,
    'the setting of the scene: the proposals of 03-21');
-- (phone, R2, EUR): DELTA 600.00 + INDIA 100.00 + 200.00 = 900.00.
SELECT results_eq(
    $$SELECT media::text, level::text, currency, actions, customers, entry_count, amount, proposed_on
      FROM dunning.amount_to_dun ORDER BY media, level, currency$$,
    $$VALUES ('email', 'R1', 'EUR', 1::bigint, 1::bigint, 1::bigint, 300.00, DATE '2025-03-21'),
             ('other', 'R1', 'EUR', 1::bigint, 1::bigint, 1::bigint, 450.00, DATE '2025-03-21'),
             ('other', 'R1', 'USD', 1::bigint, 1::bigint, 1::bigint, 120.00, DATE '2025-03-21'),
             ('phone', 'R2', 'EUR', 2::bigint, 2::bigint, 3::bigint, 900.00, DATE '2025-03-21'),
             ('phone', 'R2', 'USD', 1::bigint, 1::bigint, 1::bigint,  80.00, DATE '2025-03-21')$$,
    'amount_to_dun on 03-21: no FOXTROT (unticked), no GOLF R1 (every entry unticked), no thank-you');
SELECT results_eq(
    $$SELECT collector, media::text, currency, actions, customers, entry_count, amount, highest_level::text,
             oldest_due_date
      FROM dunning.collector_todo ORDER BY collector, media, currency$$,
    $$VALUES ('cid', 'other', 'EUR', 1::bigint, 1::bigint, 1::bigint, 450.00, 'R1', DATE '2025-03-10'),
             ('cid', 'other', 'USD', 1::bigint, 1::bigint, 1::bigint, 120.00, 'R1', DATE '2025-03-12'),
             ('cid', 'phone', 'EUR', 2::bigint, 2::bigint, 3::bigint, 900.00, 'R2', DATE '2025-02-20'),
             (NULL,  'phone', 'USD', 1::bigint, 1::bigint, 1::bigint,  80.00, 'R2', DATE '2025-03-01')$$,
    'collector_todo on 03-21: cid''s calls (oldest I-1, due 02-20) and visits per currency; ECHO''s call has no collector');
SELECT bag_eq(
    $$SELECT collector, media, currency, count(DISTINCT action_id), sum(amount) FROM dunning.todo
      GROUP BY 1, 2, 3$$,
    $$SELECT collector, media, currency, actions, amount FROM dunning.collector_todo$$,
    'collector_todo sums dunning.todo');

-- cid calls DELTA and INDIA and visits HOTEL on 03-22.
CREATE TEMPORARY TABLE done_calls AS
SELECT dunning.mark_done(pg_temp.aid('DELTA', 'R2'), 'called', DATE '2025-03-22') IS NULL AS done
UNION ALL SELECT dunning.mark_done(pg_temp.aid('INDIA', 'R2'), 'called', DATE '2025-03-22') IS NULL
UNION ALL SELECT dunning.mark_done(pg_temp.aid('HOTEL', 'R1'), 'visited', DATE '2025-03-22') IS NULL;
SELECT results_eq(
    $$SELECT collector, media::text, currency, actions, amount FROM dunning.collector_todo$$,
    $$VALUES (NULL::text, 'phone', 'USD', 1::bigint, 80.00)$$,
    'what cid marked done left the to-do list; ECHO''s call is still there');

-------------------------------------------------------------------------------
-- Days 3 and 4: infinite dunning.  2025-04-01: DELTA's R2 (done 03-22)
-- repeats (03-22 + 10), done the same day; ECHO's R2, proposed since 03-21,
-- done too.  2025-04-11: DELTA's R2 repeats again, done.
-------------------------------------------------------------------------------
INSERT INTO runs SELECT dunning.plan(DATE '2025-04-01');
INSERT INTO done_calls
SELECT dunning.mark_done(pg_temp.aid('DELTA', 'R2'), 'called again', DATE '2025-04-01') IS NULL
UNION ALL SELECT dunning.mark_done(pg_temp.aid('ECHO', 'R2'), 'called', DATE '2025-04-01') IS NULL;
INSERT INTO runs SELECT dunning.plan(DATE '2025-04-11');
INSERT INTO done_calls
SELECT dunning.mark_done(pg_temp.aid('DELTA', 'R2'), 'called a third time', DATE '2025-04-11') IS NULL;

-------------------------------------------------------------------------------
-- Reminders per day.  03-11: P by email (BRAVO, failed); R1 by email
-- (BRAVO with B-1, B-2, B-4; DELTA; ECHO; GOLF with G-1; INDIA with I-1,
-- I-2 = 5 actions, 8 entries; 4 sent, GOLF cancelled); R1 letter (CHARLIE,
-- done).  03-22: R1 other (HOTEL, 2 entries); R2 phone (DELTA 1 + INDIA 2
-- entries).  04-01: R2 phone (DELTA, ECHO).  04-11: R2 phone (DELTA).
-------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT executed_on, level::text, media::text, actions, customers, entry_count,
             queued, sent, done, failed, cancelled
      FROM dunning.reminders_per_day ORDER BY executed_on, level, media$$,
    $$VALUES (DATE '2025-03-11', 'P',  'email',  1::bigint, 1::bigint, 1::bigint, 0::bigint, 0::bigint, 0::bigint, 1::bigint, 0::bigint),
             (DATE '2025-03-11', 'R1', 'email',  5::bigint, 5::bigint, 8::bigint, 0::bigint, 4::bigint, 0::bigint, 0::bigint, 1::bigint),
             (DATE '2025-03-11', 'R1', 'letter', 1::bigint, 1::bigint, 1::bigint, 0::bigint, 0::bigint, 1::bigint, 0::bigint, 0::bigint),
             (DATE '2025-03-22', 'R1', 'other',  1::bigint, 1::bigint, 2::bigint, 0::bigint, 0::bigint, 1::bigint, 0::bigint, 0::bigint),
             (DATE '2025-03-22', 'R2', 'phone',  2::bigint, 2::bigint, 3::bigint, 0::bigint, 0::bigint, 2::bigint, 0::bigint, 0::bigint),
             (DATE '2025-04-01', 'R2', 'phone',  2::bigint, 2::bigint, 2::bigint, 0::bigint, 0::bigint, 2::bigint, 0::bigint, 0::bigint),
             (DATE '2025-04-11', 'R2', 'phone',  1::bigint, 1::bigint, 1::bigint, 0::bigint, 0::bigint, 1::bigint, 0::bigint, 0::bigint)$$,
    'reminders_per_day: every execution per day, level and media, with its outcome');

-- A thank-you executed is not a reminder.
SELECT is(dunning.send('email', 'Standard', 'thanks', DATE '2025-04-11'), 1, 'GOLF''s thank-you is sent on 04-11');
SELECT is_empty($$SELECT * FROM dunning.reminders_per_day WHERE executed_on = DATE '2025-04-11' AND media = 'email'$$,
                'reminders_per_day leaves the thank-you out');

-- What is left to dun after 04-11 (every proposal refreshed by the plan of
-- 04-11): BRAVO's R1 for B-3 (300.00, since 03-21) and its R2 (B-1 1000.00
-- with the credit B-4 -100.00 = 900.00 EUR; B-2 400.00 USD), CHARLIE's R2
-- letter, INDIA's R2 call (100.00 + 200.00, since 04-01), ECHO's next R2
-- call (04-01 + 10).  Still not FOXTROT, GOLF's R1; GOLF's thank-you went.
SELECT results_eq(
    $$SELECT media::text, level::text, currency, actions, customers, entry_count, amount, proposed_on
      FROM dunning.amount_to_dun ORDER BY media, level, currency$$,
    $$VALUES ('email',  'R1', 'EUR', 1::bigint, 1::bigint, 1::bigint, 300.00, DATE '2025-04-11'),
             ('email',  'R2', 'EUR', 1::bigint, 1::bigint, 2::bigint, 900.00, DATE '2025-04-11'),
             ('email',  'R2', 'USD', 1::bigint, 1::bigint, 1::bigint, 400.00, DATE '2025-04-11'),
             ('letter', 'R2', 'EUR', 1::bigint, 1::bigint, 1::bigint, 250.00, DATE '2025-04-11'),
             ('phone',  'R2', 'EUR', 1::bigint, 1::bigint, 2::bigint, 300.00, DATE '2025-04-11'),
             ('phone',  'R2', 'USD', 1::bigint, 1::bigint, 1::bigint,  80.00, DATE '2025-04-11')$$,
    'amount_to_dun on 04-11: R1 and R2 side by side, the credit note in the R2 message');
SELECT results_eq(
    $$SELECT collector, media::text, currency, actions, customers, entry_count, amount, highest_level::text,
             oldest_due_date
      FROM dunning.collector_todo ORDER BY collector, media, currency$$,
    $$VALUES ('cid', 'phone', 'EUR', 1::bigint, 1::bigint, 2::bigint, 300.00, 'R2', DATE '2025-02-20'),
             (NULL,  'phone', 'USD', 1::bigint, 1::bigint, 1::bigint,  80.00, 'R2', DATE '2025-03-01')$$,
    'collector_todo on 04-11: INDIA''s repeated call for cid, ECHO''s without collector');

-------------------------------------------------------------------------------
-- Reminder counts.  DELTA's D-1: R1 (03-11) then R2 three times (03-22,
-- 04-01, 04-11): level R2, 4 reminders, 3 at R2.  ECHO's E-1: R1, R2 on
-- 04-01: 2 reminders, 1 at R2.  INDIA: R1, R2 on 03-22.  BRAVO's B-3: only
-- the pre-due reminder (P, no reminder counted).  GOLF's G-1 keeps R1 (its
-- message was cancelled after execution; the thank-you moves no level).
-------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT customer_id, entry_id, document_number, currency, level::text, reminder_count, last_dunned_on,
             reminders_at_level, last_media::text, profile, scenario_id, audience::text, infinite
      FROM dunning.reminder_counts ORDER BY customer_id, entry_id$$,
    $$VALUES ('BRAVO', 'B-1', 'F-B-1', 'EUR', 'R1', 1, DATE '2025-03-11', 1::bigint, 'email', 'Standard', pg_temp.scn('Standard', 'with_email'), 'with_email', false),
             ('BRAVO', 'B-2', 'F-B-2', 'USD', 'R1', 1, DATE '2025-03-11', 1::bigint, 'email', 'Standard', pg_temp.scn('Standard', 'with_email'), 'with_email', false),
             ('BRAVO', 'B-3', 'F-B-3', 'EUR', 'P',  0, DATE '2025-03-11', 1::bigint, 'email', 'Standard', pg_temp.scn('Standard', 'with_email'), 'with_email', false),
             ('BRAVO', 'B-4', 'AV-B-4', 'EUR', 'R1', 1, DATE '2025-03-11', 1::bigint, 'email', 'Standard', pg_temp.scn('Standard', 'with_email'), 'with_email', false),
             ('CHARLIE', 'C-1', 'F-C-1', 'EUR', 'R1', 1, DATE '2025-03-11', 1::bigint, 'letter', 'Standard', pg_temp.scn('Standard', 'without_email'), 'without_email', false),
             ('DELTA', 'D-1', 'F-D-1', 'EUR', 'R2', 4, DATE '2025-04-11', 3::bigint, 'phone', 'Forever', pg_temp.scn('Forever', 'with_email'), 'with_email', true),
             ('ECHO', 'E-1', 'F-E-1', 'USD', 'R2', 2, DATE '2025-04-01', 1::bigint, 'phone', 'Forever', pg_temp.scn('Forever', 'with_email'), 'with_email', true),
             ('GOLF', 'G-1', 'F-G-1', 'EUR', 'R1', 1, DATE '2025-03-11', 1::bigint, 'email', 'Standard', pg_temp.scn('Standard', 'with_email'), 'with_email', false),
             ('HOTEL', 'H-1', 'F-H-1', 'EUR', 'R1', 1, DATE '2025-03-22', 1::bigint, 'other', 'Visit', pg_temp.scn('Visit', 'with_email'), 'with_email', false),
             ('HOTEL', 'H-2', 'F-H-2', 'USD', 'R1', 1, DATE '2025-03-22', 1::bigint, 'other', 'Visit', pg_temp.scn('Visit', 'with_email'), 'with_email', false),
             ('INDIA', 'I-1', 'F-I-1', 'EUR', 'R2', 2, DATE '2025-03-22', 1::bigint, 'phone', 'Forever', pg_temp.scn('Forever', 'with_email'), 'with_email', true),
             ('INDIA', 'I-2', 'F-I-2', 'EUR', 'R2', 2, DATE '2025-03-22', 1::bigint, 'phone', 'Forever', pg_temp.scn('Forever', 'with_email'), 'with_email', true)$$,
    'reminder_counts: under infinite dunning the level stays R2 and the count grows (D-1: 4, three at R2); finite scenarios beside');
SELECT results_eq(
    $$SELECT rc.entry_id, rc.level::text, rc.reminder_count, rc.last_dunned_on
      FROM dunning.reminder_counts rc WHERE rc.infinite ORDER BY rc.entry_id$$,
    $$SELECT st.entry_id, st.level::text, st.reminder_count, st.last_dunned_on
      FROM dunning.entry_state st WHERE st.customer_id IN ('DELTA', 'ECHO', 'INDIA') ORDER BY st.entry_id$$,
    'the infinite entries'' counts are dunning.entry_state''s');

-------------------------------------------------------------------------------
-- Ageing on 2025-06-30 (after the days above: G-1 is paid).
-- ALPHA EUR: not due 100.00 (A-00, due today) + 200.00 (A-M1, tomorrow) +
--   10.00 (A-F) = 310.00; 1-30: 50.00 (A-01, 1 day) + 300.00 (A-30, 30
--   days) + 250.00 (A-PP's open amount, 20 days) = 600.00; 31-60: 400.00
--   (A-31) + 500.00 (A-60) = 900.00; 61-90: 600.00 (A-61) + 700.00 (A-90) =
--   1300.00; over 90: 800.00 (A-91); no due date: 75.00 (A-ND); overdue
--   600.00 + 900.00 + 1300.00 + 800.00 = 3600.00; open debits 310.00 +
--   3600.00 + 75.00 = 3985.00; credits -150.00; balance 3835.00; 13 open
--   entries (A-S is settled); oldest due date 03-31 (A-91).
-- ALPHA USD: 1000.00 at 10 days, 2000.00 at 122 days.  ALPHA NULL currency:
--   A-NC 60.00 at 29 days.
-- The planned customers' entries, due 02-20 to 03-13, are all over 90 days
--   (03-13 is 109 days before 06-30).
-------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT as_of_date, customer_id, customer_name, collector, currency, not_due, overdue_1_30, overdue_31_60,
             overdue_61_90, overdue_over_90, no_due_date, overdue, open_debits, open_credits, balance,
             entry_count, oldest_due_date
      FROM dunning.ageing_on(DATE '2025-06-30') ORDER BY customer_id, currency$$,
    $$VALUES (DATE '2025-06-30', 'ALPHA', 'Alpha SA', 'ann', 'EUR', 310.00, 600.00, 900.00, 1300.00, 800.00, 75.00, 3600.00, 3985.00, -150.00, 3835.00, 13::bigint, DATE '2025-03-31'),
             (DATE '2025-06-30', 'ALPHA', 'Alpha SA', 'ann', 'USD',   0.00, 1000.00, 0.00, 0.00, 2000.00, 0.00, 3000.00, 3000.00, 0.00, 3000.00, 2::bigint, DATE '2025-02-28'),
             (DATE '2025-06-30', 'ALPHA', 'Alpha SA', 'ann', NULL,    0.00, 60.00, 0.00, 0.00, 0.00, 0.00, 60.00, 60.00, 0.00, 60.00, 1::bigint, DATE '2025-06-01'),
             (DATE '2025-06-30', 'BRAVO', 'Bravo SA', 'ann', 'EUR',   0.00, 0.00, 0.00, 0.00, 1300.00, 0.00, 1300.00, 1300.00, -100.00, 1200.00, 3::bigint, DATE '2025-03-01'),
             (DATE '2025-06-30', 'BRAVO', 'Bravo SA', 'ann', 'USD',   0.00, 0.00, 0.00, 0.00, 400.00, 0.00, 400.00, 400.00, 0.00, 400.00, 1::bigint, DATE '2025-03-02'),
             (DATE '2025-06-30', 'CHARLIE', 'Charlie & Cie', 'bob', 'EUR', 0.00, 0.00, 0.00, 0.00, 250.00, 0.00, 250.00, 250.00, 0.00, 250.00, 1::bigint, DATE '2025-03-01'),
             (DATE '2025-06-30', 'DELTA', 'Delta SAS', 'cid', 'EUR',  0.00, 0.00, 0.00, 0.00, 600.00, 0.00, 600.00, 600.00, 0.00, 600.00, 1::bigint, DATE '2025-03-01'),
             (DATE '2025-06-30', 'ECHO', 'Echo Ltd', NULL, 'USD',     0.00, 0.00, 0.00, 0.00, 80.00, 0.00, 80.00, 80.00, 0.00, 80.00, 1::bigint, DATE '2025-03-01'),
             (DATE '2025-06-30', 'FOXTROT', 'Foxtrot', 'ann', 'EUR',  0.00, 0.00, 0.00, 0.00, 50.00, 0.00, 50.00, 50.00, 0.00, 50.00, 1::bigint, DATE '2025-03-01'),
             (DATE '2025-06-30', 'GOLF', 'Golf', 'ann', 'EUR',        0.00, 0.00, 0.00, 0.00, 30.00, 0.00, 30.00, 30.00, 0.00, 30.00, 1::bigint, DATE '2025-03-01'),
             (DATE '2025-06-30', 'HOTEL', 'Hotel', 'cid', 'EUR',      0.00, 0.00, 0.00, 0.00, 450.00, 0.00, 450.00, 450.00, 0.00, 450.00, 1::bigint, DATE '2025-03-10'),
             (DATE '2025-06-30', 'HOTEL', 'Hotel', 'cid', 'USD',      0.00, 0.00, 0.00, 0.00, 120.00, 0.00, 120.00, 120.00, 0.00, 120.00, 1::bigint, DATE '2025-03-12'),
             (DATE '2025-06-30', 'INDIA', 'India', 'cid', 'EUR',      0.00, 0.00, 0.00, 0.00, 300.00, 0.00, 300.00, 300.00, 0.00, 300.00, 2::bigint, DATE '2025-02-20')$$,
    'ageing_on 2025-06-30: every bucket, per customer and currency, the NULL currency on its own row');

-- One day later every ALPHA EUR entry moves on by a day: A-M1 (due 07-01)
-- is still not due, A-00 goes to 1-30, A-30 (31 days) to 31-60, A-60 (61)
-- to 61-90, A-90 (91) over 90.
--   not due 200.00 + 10.00 = 210.00; 1-30 100.00 + 50.00 + 250.00 = 400.00;
--   31-60 300.00 + 400.00 = 700.00; 61-90 500.00 + 600.00 = 1100.00;
--   over 90 700.00 + 800.00 = 1500.00; overdue 400.00 + 700.00 + 1100.00 +
--   1500.00 = 3700.00 (3985.00 - 210.00 not due - 75.00 undated).
SELECT results_eq(
    $$SELECT not_due, overdue_1_30, overdue_31_60, overdue_61_90, overdue_over_90, no_due_date, overdue
      FROM dunning.ageing_on(DATE '2025-07-01') WHERE customer_id = 'ALPHA' AND currency = 'EUR'$$,
    $$VALUES (210.00, 400.00, 700.00, 1100.00, 1500.00, 75.00, 3700.00)$$,
    'ageing_on 2025-07-01: each edge entry crosses into the next bucket');

SELECT set_eq(
    $$SELECT * FROM dunning.ageing$$,
    $$SELECT * FROM dunning.ageing_on(dunning.today())$$,
    'dunning.ageing is ageing_on(today)');
SELECT set_eq(
    $$SELECT * FROM dunning.ageing_on(NULL)$$,
    $$SELECT * FROM dunning.ageing_on(dunning.today())$$,
    'ageing_on(NULL) is ageing_on(today)');

-------------------------------------------------------------------------------
-- DSO on 2025-06-30 over 90 days: sales are invoices dated 04-02 .. 06-30.
-- ALPHA EUR: sales 100.00 (A-00) + 200.00 (A-M1) + 300.00 (A-30) + 400.00
--   (A-31) + 600.00 (A-61, dated 04-02) + 50.00 (A-01) + 1000.00 (A-PP, its
--   amount) + 900.00 (A-S, settled) + 75.00 (A-ND) = 3625.00; not A-60
--   (dated 04-01), A-90, A-91, A-F (dated 07-01) nor the credit note.
--   receivables = open debits 3985.00; dso = 3985.00 * 90 / 3625.00 =
--   98.937... = 98.9.
-- ALPHA USD: 3000.00 * 90 / 1000.00 (A-U1) = 270.0.  ALPHA NULL currency:
--   60.00 * 90 / 60.00 = 90.0.  KILO: sales 500.00, nothing open: 0.0.
-- The others invoiced in January and February: no sales, dso NULL.
-------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT customer_id, customer_name, currency, sales_from, sales_to, receivables, sales, dso
      FROM dunning.dso_on(DATE '2025-06-30') ORDER BY customer_id, currency$$,
    $$VALUES ('ALPHA', 'Alpha SA', 'EUR', DATE '2025-04-02', DATE '2025-06-30', 3985.00, 3625.00, 98.9),
             ('ALPHA', 'Alpha SA', 'USD', DATE '2025-04-02', DATE '2025-06-30', 3000.00, 1000.00, 270.0),
             ('ALPHA', 'Alpha SA', NULL,  DATE '2025-04-02', DATE '2025-06-30',   60.00,   60.00, 90.0),
             ('BRAVO', 'Bravo SA', 'EUR', DATE '2025-04-02', DATE '2025-06-30', 1300.00,    0.00, NULL),
             ('BRAVO', 'Bravo SA', 'USD', DATE '2025-04-02', DATE '2025-06-30',  400.00,    0.00, NULL),
             ('CHARLIE', 'Charlie & Cie', 'EUR', DATE '2025-04-02', DATE '2025-06-30', 250.00, 0.00, NULL),
             ('DELTA', 'Delta SAS', 'EUR', DATE '2025-04-02', DATE '2025-06-30', 600.00, 0.00, NULL),
             ('ECHO', 'Echo Ltd', 'USD', DATE '2025-04-02', DATE '2025-06-30', 80.00, 0.00, NULL),
             ('FOXTROT', 'Foxtrot', 'EUR', DATE '2025-04-02', DATE '2025-06-30', 50.00, 0.00, NULL),
             ('GOLF', 'Golf', 'EUR', DATE '2025-04-02', DATE '2025-06-30', 30.00, 0.00, NULL),
             ('HOTEL', 'Hotel', 'EUR', DATE '2025-04-02', DATE '2025-06-30', 450.00, 0.00, NULL),
             ('HOTEL', 'Hotel', 'USD', DATE '2025-04-02', DATE '2025-06-30', 120.00, 0.00, NULL),
             ('INDIA', 'India', 'EUR', DATE '2025-04-02', DATE '2025-06-30', 300.00, 0.00, NULL),
             ('KILO', 'Kilo SARL', 'EUR', DATE '2025-04-02', DATE '2025-06-30', 0.00, 500.00, 0.0)$$,
    'dso_on 2025-06-30 over 90 days: receivables / sales * 90, NULL without sales');
-- Over 30 days (sales dated 06-01 .. 06-30): A-M1 200.00 + A-S 900.00 +
-- A-ND 75.00 = 1175.00 (A-00, dated 05-31, is out); 3985.00 * 30 / 1175.00
-- = 101.744... = 101.7.
SELECT results_eq(
    $$SELECT sales_from, receivables, sales, dso FROM dunning.dso_on(DATE '2025-06-30', 30)
      WHERE customer_id = 'ALPHA' AND currency = 'EUR'$$,
    $$VALUES (DATE '2025-06-01', 3985.00, 1175.00, 101.7)$$,
    'dso_on over 30 days: another period, another figure');
SELECT set_eq(
    $$SELECT * FROM dunning.dso$$,
    $$SELECT * FROM dunning.dso_on(dunning.today(), 90)$$,
    'dunning.dso is dso_on(today, 90)');
SELECT throws_ok(
    $$SELECT * FROM dunning.dso_on(DATE '2025-06-30', 0)$$,
    '22023', 'period_days must be between 1 and 3660 days, got 0',
    'dso_on refuses a period of 0 days');
SELECT throws_ok(
    $$SELECT * FROM dunning.dso_on(DATE '2025-06-30', NULL)$$,
    '22023', 'period_days must be between 1 and 3660 days, got NULL',
    'dso_on refuses a NULL period');

-------------------------------------------------------------------------------
-- The ledger is read through settings: attached views (quoted names, a
-- varchar currency, upper-cased names) change the reports.
-------------------------------------------------------------------------------
CREATE SCHEMA "compta 2025";
CREATE VIEW "compta 2025"."Écritures ""EUR""" AS
SELECT e.entry_id, e.customer_id, e.document_number, e.kind, e.document_date, e.due_date, e.amount,
       e.open_amount, e.currency::varchar(3) AS currency, e.in_dispute, e.promised_on, e.settled_on, e.settled_by
FROM dunning.entry e WHERE e.currency = 'EUR' AND e.customer_id = 'ALPHA';
CREATE VIEW "compta 2025"."Clients" AS
SELECT c.customer_id, upper(c.name) AS name, c.email, c.language, 'zoe'::text AS collector, c.profile,
       c.stop_dunning, c.in_dispute, c.attributes
FROM dunning.customer c;
CREATE TEMPORARY TABLE attached AS
SELECT dunning.attach('"compta 2025"."Clients"', '"compta 2025"."Écritures ""EUR"""') IS NULL AS done;
SELECT results_eq(
    $$SELECT customer_id, customer_name, collector, currency, not_due, overdue, no_due_date, open_credits, balance
      FROM dunning.ageing_on(DATE '2025-06-30')$$,
    $$VALUES ('ALPHA', 'ALPHA SA', 'zoe', 'EUR', 310.00, 3600.00, 75.00, -150.00, 3835.00)$$,
    'ageing_on reads the attached relations: one customer, one currency, the view''s names and collector');
SELECT results_eq(
    $$SELECT customer_id, customer_name, currency, receivables, sales, dso FROM dunning.dso_on(DATE '2025-06-30')$$,
    $$VALUES ('ALPHA', 'ALPHA SA', 'EUR', 3985.00, 3625.00, 98.9)$$,
    'dso_on reads the attached relations');
CREATE TEMPORARY TABLE detached AS SELECT dunning.detach() IS NULL AS done;

-------------------------------------------------------------------------------
-- dunning_reader reads the reports, not what they are made of.
-------------------------------------------------------------------------------
SET ROLE dunning_reader;
SELECT results_eq(
    $$SELECT (SELECT count(*) FROM dunning.amount_to_dun), (SELECT count(*) FROM dunning.collector_todo),
             (SELECT count(*) FROM dunning.reminders_per_day), (SELECT count(*) FROM dunning.reminder_counts),
             (SELECT count(*) FROM dunning.ageing_on(DATE '2025-06-30')),
             (SELECT count(*) FROM dunning.dso_on(DATE '2025-06-30'))$$,
    $$VALUES (6::bigint, 2::bigint, 7::bigint, 12::bigint, 13::bigint, 14::bigint)$$,
    'dunning_reader reads amount_to_dun, collector_todo, reminders_per_day, reminder_counts and calls ageing_on and dso_on');
SELECT lives_ok($$SELECT * FROM dunning.ageing$$, 'dunning_reader reads dunning.ageing (today computed by the owner)');
SELECT lives_ok($$SELECT * FROM dunning.dso$$, 'dunning_reader reads dunning.dso');
SELECT results_eq(
    $$SELECT sum(overdue_over_90) FILTER (WHERE currency = 'USD'), sum(balance) FILTER (WHERE currency = 'EUR')
      FROM dunning.ageing_on(DATE '2025-06-30')$$,
    $$VALUES (2600.00, 6715.00)$$,
    'dunning_reader gets the figures: USD over 90 days 2000.00 + 400.00 + 80.00 + 120.00 = 2600.00; EUR balance 3835.00 + 1200.00 + 250.00 + 600.00 + 50.00 + 30.00 + 450.00 + 300.00 = 6715.00');
SELECT throws_ok($$SELECT * FROM dunning.entry$$, '42501', 'permission denied for table entry',
                 'dunning_reader cannot read the ledger (entries)');
SELECT throws_ok($$SELECT * FROM dunning.customer$$, '42501', 'permission denied for table customer',
                 'dunning_reader cannot read the ledger (customers)');
SELECT throws_ok($$SELECT * FROM dunning.action$$, '42501', 'permission denied for table action',
                 'dunning_reader cannot read dunning.action');
SELECT throws_ok($$SELECT * FROM dunning.action_entry$$, '42501', 'permission denied for table action_entry',
                 'dunning_reader cannot read dunning.action_entry');
SELECT throws_ok($$SELECT * FROM dunning.entry_state$$, '42501', 'permission denied for view entry_state',
                 'dunning_reader cannot read dunning.entry_state');
SELECT throws_ok($$SELECT * FROM dunning.customer_state$$, '42501', 'permission denied for table customer_state',
                 'dunning_reader cannot read dunning.customer_state');
SELECT throws_ok($$SELECT * FROM dunning.settings$$, '42501', 'permission denied for table settings',
                 'dunning_reader cannot read dunning.settings');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
