-- plan_execution.sql: executing proposals, and explaining them.
--
-- SPEC.md, "The rules", 9: "A level changes, and 'the previous reminder's
-- execution date' is set, only when a reminder is executed (dispatched to
-- the outbox, downloaded, or marked done), never when it is proposed."
-- SPEC.md, "Manual trigger": "`dunning.proposal` view: one row per proposed
-- action [...] `amount` and `currency` (one row per currency when a customer
-- owes in several)"; "`dunning.send(media text, profile text default null,
-- step text default null, executed_on date default today) returns integer`
-- sends everything of a media, or one batch, and returns how many actions it
-- executed; `dunning.download_letters(…)` returns printable HTML documents,
-- one per customer, and marks them executed; `dunning.todo` lists
-- phone/other actions per collector and `dunning.mark_done(action_id, note
-- text, executed_on date default today)` records the outcome."
-- SPEC.md, "The outbox": "one row per message to deliver (email or letter):
-- recipient, rendered subject and body, a jsonb payload with every fact a
-- sender needs [...] Each action yields at most one message, whatever
-- happens."
-- SPEC.md, "Configuration": "Bodies use placeholders for the customer, the
-- level, the table of entries, totals per currency"; "every rule enforced
-- with a clear error".
-- Seed 000: email "Envoyer", letters "Télécharger", phone and other "la
-- sélection des clients"; "toutes vos actions de relance avec leurs statuts".
--
-- Proves, on a ledger planned on 2025-03-10:
--   * a customer owing in two currencies gets one dunning.proposal row per
--     currency, and neither the batch nor the message sums currencies;
--   * dunning.todo lists the ticked phone actions per collector;
--   * dunning.explain: 'due: proposed at R1' / 'due: proposed at P', 'not due
--     until <date>', 'excluded: <the entry's reason>', an unknown customer
--     refused;
--   * bad calls are refused with SQLSTATE and message and change nothing:
--     send('fax'), send('phone'), an unknown profile or step, executed_on
--     before the planning date (send, download_letters, mark_done),
--     mark_done of an email action or of an unticked action, an unknown
--     action_id;
--   * send: one outbox row per action (recipient, subject and body rendered
--     from the step's template in the customer's language: French dates and
--     amounts "01/03/2025", "500,00 €" for a French customer, "1 March
--     2025", "£700.00" for an English one (entry_state.sql: French for a
--     language without template), the planning date in the subject, the
--     entries with their days overdue, the totals per currency never summed
--     ("500,00 € + 300,00 $"), the company name from dunning.settings, not
--     escaped in an email; payload with the entries), status queued with
--     executed_on and history; the entries' level, last_dunned_on and
--     reminder_count move (P counts no reminder); a second send queues
--     nothing more; send of one batch (profile, step) executes only that
--     batch; send('letter') queues a printable HTML document of one page
--     (<article class="letter">) with the company's and the customer's
--     blocks HTML-escaped, the execution date, the table of entries and the
--     total;
--   * no message goes out without an entry (every entry unticked);
--   * download_letters: one HTML document per customer (two letters of the
--     same customer in one document, one page each), the customer's name
--     escaped in the title and the letter, its address from attributes with
--     <br> line breaks, the letters marked done;
--   * mark_done: the phone action done with its note, off the to-do list;
--   * an executed action can no longer be marked done, ticked or unticked.
BEGIN;
SELECT plan(57);
SET LOCAL client_min_messages = warning;

-------------------------------------------------------------------------------
-- Configuration: profile Phone (R1 by phone for customers with an email) and
-- profile Quiet (Standard's steps), both given explicitly.
-------------------------------------------------------------------------------
CREATE TEMPORARY TABLE made_profiles AS
SELECT dunning.create_profile('Phone', 10, NULL) AS profile_id
UNION ALL
SELECT dunning.create_profile('Quiet', 20, NULL);
UPDATE dunning.step st SET media = 'phone', template_id = NULL
  FROM dunning.scenario sc JOIN dunning.profile p ON p.profile_id = sc.profile_id
 WHERE st.scenario_id = sc.scenario_id AND p.name = 'Phone' AND sc.audience = 'with_email'
   AND st.step = 'R1';

-------------------------------------------------------------------------------
-- The ledger.
-------------------------------------------------------------------------------
INSERT INTO dunning.customer (customer_id, name, email, language, collector, profile) VALUES
    ('EA', 'Alpha SA',      'compta@alpha.example', 'fr', 'ann', NULL),     -- R1, pre-due, not due
    ('EE', 'Echo Ltd',      'ap@echo.example',      'en', 'ann', NULL),     -- English
    ('EL', 'Durand & Fils', NULL,                   'fr', 'bob', NULL),     -- letters
    ('EM', 'Multi',         'ap@multi.example',     'fr', 'ann', NULL),     -- EUR and USD
    ('EX', 'X-ray',         'ap@xray.example',      'fr', 'ann', NULL),     -- one entry promised
    ('EY', 'Yankee',        'ap@yankee.example',    'fr', 'ann', NULL),     -- its only entry promised
    ('EP', 'Papa',          'ap@papa.example',      'fr', 'cid', 'Phone'),  -- phone
    ('EQ', 'Quebec',        'ap@quebec.example',    'fr', 'cid', 'Phone'),  -- phone, unticked
    ('EV', 'Victor',        'ap@victor.example',    'fr', 'dan', 'Quiet'),  -- every entry unticked
    ('EK', 'Kilo & Co',     NULL,                   'fr', 'dan', 'Quiet');  -- letter sent, not downloaded
-- The letters' address blocks: the company's from the settings, EL's from its
-- attributes (EK has none: its address renders as nothing).
UPDATE dunning.customer SET attributes = '{"address": "3 rue des Lilas\n69003 Lyon"}' WHERE customer_id = 'EL';
UPDATE dunning.settings SET company_name = 'Atelier Durand & Cie', company_address = E'12 rue des Artisans\n69001 Lyon';

INSERT INTO dunning.entry (entry_id, customer_id, document_number, kind, document_date, due_date,
                           amount, open_amount, currency, promised_on) VALUES
    ('EA-1', 'EA', 'F-EA-1', 'invoice', DATE '2025-02-01', DATE '2025-03-01', 500.00, 500.00, 'EUR', NULL),
    ('EA-2', 'EA', 'F-EA-2', 'invoice', DATE '2025-02-02', DATE '2025-03-02', 200.00, 120.50, 'EUR', NULL),
    ('EA-3', 'EA', 'F-EA-3', 'invoice', DATE '2025-02-12', DATE '2025-03-12',  80.00,  80.00, 'EUR', NULL),
    ('EA-4', 'EA', 'F-EA-4', 'invoice', DATE '2025-02-28', DATE '2025-03-30',  90.00,  90.00, 'EUR', NULL),
    ('EE-1', 'EE', 'F-EE-1', 'invoice', DATE '2025-02-01', DATE '2025-03-01', 700.00, 700.00, 'GBP', NULL),
    ('EL-1', 'EL', 'F-EL-1', 'invoice', DATE '2025-02-01', DATE '2025-03-01', 300.00, 300.00, 'EUR', NULL),
    ('EL-2', 'EL', 'F-EL-2', 'invoice', DATE '2025-02-20', DATE '2025-03-20', 250.00, 250.00, 'EUR', NULL),
    ('EM-1', 'EM', 'F-EM-1', 'invoice', DATE '2025-02-01', DATE '2025-03-01', 500.00, 500.00, 'EUR', NULL),
    ('EM-2', 'EM', 'F-EM-2', 'invoice', DATE '2025-02-01', DATE '2025-03-01', 300.00, 300.00, 'USD', NULL),
    ('EX-1', 'EX', 'F-EX-1', 'invoice', DATE '2025-02-01', DATE '2025-03-01', 400.00, 400.00, 'EUR', NULL),
    ('EX-2', 'EX', 'F-EX-2', 'invoice', DATE '2025-02-01', DATE '2025-03-01', 100.00, 100.00, 'EUR', DATE '2025-03-15'),
    ('EY-1', 'EY', 'F-EY-1', 'invoice', DATE '2025-02-01', DATE '2025-03-01', 200.00, 200.00, 'EUR', DATE '2025-03-15'),
    ('EP-1', 'EP', 'F-EP-1', 'invoice', DATE '2025-02-01', DATE '2025-03-01', 250.00, 250.00, 'EUR', NULL),
    ('EQ-1', 'EQ', 'F-EQ-1', 'invoice', DATE '2025-02-01', DATE '2025-03-01', 150.00, 150.00, 'EUR', NULL),
    ('EV-1', 'EV', 'F-EV-1', 'invoice', DATE '2025-02-01', DATE '2025-03-01', 150.00, 150.00, 'EUR', NULL),
    ('EK-1', 'EK', 'F-EK-1', 'invoice', DATE '2025-02-01', DATE '2025-03-01', 420.00, 420.00, 'EUR', NULL);

CREATE TEMPORARY TABLE runs (as_of date, run_id bigint);
INSERT INTO pg_temp.runs SELECT DATE '2025-03-10', dunning.plan(DATE '2025-03-10');

-- The latest action of a customer at a step.
CREATE FUNCTION pg_temp.aid(of_customer text, at_step text) RETURNS bigint
    LANGUAGE sql AS $$
    SELECT pg_catalog.max(a.action_id) FROM dunning.action a
    WHERE a.customer_id = of_customer AND a.step = at_step::dunning.step_name
$$;

-- The collector's choices of the day.
CREATE TEMPORARY TABLE collector_calls AS
SELECT dunning.untick(pg_temp.aid('EQ', 'R1')) IS NULL AS done
UNION ALL
SELECT dunning.untick(pg_temp.aid('EV', 'R1'), 'EV-1') IS NULL;

-------------------------------------------------------------------------------
-- Currencies are never summed
-------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT pr.action_id, pr.amount, pr.currency, pr.entry_count FROM dunning.proposal pr
      WHERE pr.customer_id = 'EM' ORDER BY pr.currency$$,
    $$VALUES (pg_temp.aid('EM', 'R1'), 500.00, 'EUR', 1::bigint),
             (pg_temp.aid('EM', 'R1'), 300.00, 'USD', 1::bigint)$$,
    'a customer owing in EUR and USD gets one proposal row per currency for its one action, amounts not summed');
SELECT results_eq(
    $$SELECT b.currency, b.actions, b.amount FROM dunning.batch b
      WHERE b.media = 'email' AND b.profile = 'Standard' AND b.step = 'R1' AND b.currency <> 'EUR'
      ORDER BY b.currency$$,
    $$VALUES ('GBP', 1::bigint, 700.00), ('USD', 1::bigint, 300.00)$$,
    'the batch totals per currency: GBP and USD each on their own row');

-------------------------------------------------------------------------------
-- The to-do list
-------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT t.collector, t.action_id, t.customer_id, t.media::text, t.step::text, t.amount, t.currency
      FROM dunning.todo t ORDER BY t.collector, t.customer_id$$,
    $$VALUES ('cid', pg_temp.aid('EP', 'R1'), 'EP', 'phone', 'R1', 250.00, 'EUR')$$,
    'dunning.todo lists the ticked phone action under its collector, not the unticked one');
-- With its only entry unticked, mark_done would refuse it: it leaves the list.
SELECT dunning.untick(pg_temp.aid('EP', 'R1'), 'EP-1');
SELECT is_empty($$SELECT * FROM dunning.todo t WHERE t.customer_id = 'EP'$$,
                'a phone action whose every entry is unticked is not on the to-do list');
SELECT dunning.tick(pg_temp.aid('EP', 'R1'), 'EP-1');

-------------------------------------------------------------------------------
-- explain
-------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT e.entry_id, e.next_step::text, e.next_due_on, e.verdict
      FROM dunning.explain('EA', DATE '2025-03-10') e ORDER BY e.entry_id$$,
    $$VALUES ('EA-1', 'R1', DATE '2025-03-06', 'due: proposed at R1'),
             ('EA-2', 'R1', DATE '2025-03-07', 'due: proposed at R1'),
             ('EA-3', 'pre_due', DATE '2025-03-07', 'due: proposed at P'),
             ('EA-4', 'pre_due', DATE '2025-03-25', 'not due until 2025-03-25')$$,
    'explain: due entries are proposed at R1 or P; the one due 2025-03-30 is not due until its pre-due on 2025-03-25');
SELECT results_eq(
    $$SELECT e.entry_id, e.verdict FROM dunning.explain('EX', DATE '2025-03-10') e ORDER BY e.entry_id$$,
    $$VALUES ('EX-1', 'due: proposed at R1'), ('EX-2', 'excluded: promise to pay by 2025-03-15')$$,
    'explain: an entry excluded by a promise says so, beside a due one');
SELECT results_eq(
    $$SELECT e.entry_id, e.verdict FROM dunning.explain('EY', DATE '2025-03-10') e$$,
    $$VALUES ('EY-1', 'excluded: promise to pay by 2025-03-15')$$,
    'explain: an entry excluded by a promise says so even when it is the only entry of its action');
SELECT throws_ok(
    $$SELECT * FROM dunning.explain('NOBODY', DATE '2025-03-10')$$,
    'P0002', 'unknown customer_id ''NOBODY''',
    'explain refuses an unknown customer');

-------------------------------------------------------------------------------
-- Bad calls change nothing
-------------------------------------------------------------------------------
CREATE TEMPORARY VIEW everything AS
SELECT 'action' AS what, a.action_id::text AS id,
       pg_catalog.concat_ws('|', a.status, a.selected, a.executed_on, a.note) AS state
FROM dunning.action a
UNION ALL SELECT 'outbox', o.action_id::text, o.message_id::text FROM dunning.outbox o
UNION ALL SELECT 'entry_state', st.entry_id, pg_catalog.concat_ws('|', st.level, st.last_dunned_on, st.reminder_count)
          FROM dunning.entry_state st
UNION ALL SELECT 'event', ev.action_id::text, ev.status FROM dunning.action_event ev
UNION ALL SELECT 'selection', sel.customer_id || '/' || sel.step || '/' || sel.entry_id, sel.selected::text
          FROM dunning.selection sel;
CREATE TEMPORARY TABLE before_bad_calls AS SELECT * FROM pg_temp.everything;

SELECT throws_ok(
    $$SELECT dunning.send('fax', NULL, NULL, DATE '2025-03-11')$$,
    '22023', 'send takes media email or letter, got ''fax''',
    'send refuses an unknown media');
SELECT throws_ok(
    $$SELECT dunning.send('phone', NULL, NULL, DATE '2025-03-11')$$,
    '22023', 'send takes media email or letter, got ''phone''',
    'send refuses phone (phone actions are marked done)');
SELECT throws_ok(
    $$SELECT dunning.send('email', 'Nope', NULL, DATE '2025-03-11')$$,
    '22023', 'unknown profile "Nope"',
    'send refuses an unknown profile');
SELECT throws_ok(
    $$SELECT dunning.send('email', NULL, 'R9', DATE '2025-03-11')$$,
    '22023', 'unknown step "R9": a step is one of pre_due, R1, R2, R3, R4, R5, R6, R7, thanks',
    'send refuses an unknown step');
SELECT throws_ok(
    $$SELECT dunning.send('email', NULL, NULL, DATE '2025-03-09')$$,
    '22023', 'executed_on 2025-03-09 is before the planning date 2025-03-10',
    'send refuses an execution date before the planning date');
SELECT throws_ok(
    $$SELECT * FROM dunning.download_letters(NULL, NULL, DATE '2025-03-09')$$,
    '22023', 'executed_on 2025-03-09 is before the planning date 2025-03-10',
    'download_letters refuses an execution date before the planning date');
SELECT throws_ok(
    pg_catalog.format($$SELECT dunning.mark_done(%s, 'called', DATE '2025-03-09')$$, pg_temp.aid('EP', 'R1')),
    '22023', 'executed_on 2025-03-09 is before the planning date 2025-03-10',
    'mark_done refuses an execution date before the planning date');
SELECT throws_ok(
    pg_catalog.format($$SELECT dunning.mark_done(%s, 'called', DATE '2025-03-11')$$, pg_temp.aid('EA', 'R1')),
    '22023',
    pg_catalog.format('action %s is by email: send it with dunning.send() or dunning.download_letters()', pg_temp.aid('EA', 'R1')),
    'mark_done refuses an email action');
SELECT throws_ok(
    pg_catalog.format($$SELECT dunning.mark_done(%s, 'called', DATE '2025-03-11')$$, pg_temp.aid('EQ', 'R1')),
    '22023',
    pg_catalog.format('action %s is unticked: tick it before marking it done', pg_temp.aid('EQ', 'R1')),
    'mark_done refuses an unticked action');
SELECT throws_ok(
    $$SELECT dunning.mark_done(-1, 'called', DATE '2025-03-11')$$,
    'P0002', 'unknown action_id -1',
    'mark_done refuses an unknown action_id');
SELECT throws_ok(
    $$SELECT dunning.untick(-1)$$,
    'P0002', 'unknown action_id -1',
    'untick refuses an unknown action_id');
SELECT bag_eq(
    $$SELECT * FROM pg_temp.everything$$,
    $$SELECT * FROM pg_temp.before_bad_calls$$,
    'the refused calls changed nothing: actions, outbox, entry states, history, selections');
SELECT is_empty($$SELECT * FROM dunning.entry_state$$,
    'nothing has moved a level yet: planning alone never does');

-------------------------------------------------------------------------------
-- send: email
-------------------------------------------------------------------------------
SELECT is(dunning.send('email', 'Standard', 'pre_due', DATE '2025-03-11'), 1,
    'send of one batch (Standard, pre_due) executes its one action');
SELECT results_eq(
    $$SELECT o.action_id, o.media::text, o.recipient, o.subject FROM dunning.outbox o$$,
    $$VALUES (pg_temp.aid('EA', 'pre_due'), 'email', 'compta@alpha.example', 'Rappel : échéance prochaine de vos factures')$$,
    'only the batch''s action is queued');
SELECT is(dunning.send('email', 'Standard', NULL, DATE '2025-03-11'), 4,
    'send(''email'', ''Standard'') executes the 4 ticked email actions of Standard left (EA, EE, EM, EX; not EY, unticked)');

SELECT results_eq(
    $$SELECT o.customer_id, o.media::text, o.recipient, o.subject, o.status
      FROM dunning.outbox o WHERE o.customer_id <> 'EV' ORDER BY o.customer_id, o.action_id$$,
    $$VALUES ('EA', 'email', 'compta@alpha.example', 'Rappel : échéance prochaine de vos factures', 'queued'),
             ('EA', 'email', 'compta@alpha.example', 'Relance : factures échues au 10/03/2025', 'queued'),
             ('EE', 'email', 'ap@echo.example', 'Reminder: invoices overdue on 10 March 2025', 'queued'),
             ('EM', 'email', 'ap@multi.example', 'Relance : factures échues au 10/03/2025', 'queued'),
             ('EX', 'email', 'ap@xray.example', 'Relance : factures échues au 10/03/2025', 'queued')$$,
    'one queued message per action, to the customer''s email, subject rendered in the customer''s language (the planning date, French or English)');
SELECT is(
    (SELECT o.body FROM dunning.outbox o WHERE o.action_id = pg_temp.aid('EA', 'R1')),
    E'Bonjour,\n\nSauf erreur de notre part, les factures suivantes restent impayées à ce jour :\n\n'
    || E'- facture F-EA-1 du 01/02/2025, échue le 01/03/2025 (9 jours de retard) : 500,00\u00a0€\n'
    || E'- facture F-EA-2 du 02/02/2025, échue le 02/03/2025 (8 jours de retard) : 120,50\u00a0€\n'
    || E'\nTotal dû : 620,50\u00a0€\n\n'
    || E'Nous vous remercions de bien vouloir procéder à leur règlement dans les meilleurs délais. '
    || E'Si votre paiement a croisé ce message, merci de ne pas en tenir compte.\n\n'
    || E'Cordialement,\nLe service comptabilité\nAtelier Durand & Cie',
    'the body is the template with the entries (number, dates, days overdue, open amount), the total and the company name (not escaped in an email), in French');
SELECT results_eq(
    $$SELECT o.payload ->> 'customer_id', o.payload ->> 'customer_name', o.payload ->> 'email',
             o.payload ->> 'step', o.payload ->> 'level', o.payload ->> 'collector',
             pg_catalog.jsonb_path_query_array(o.payload, '$.entries[*].entry_id'),
             pg_catalog.jsonb_path_query_array(o.payload, '$.entries[*].open_amount'),
             o.payload -> 'totals'
      FROM dunning.outbox o WHERE o.action_id = pg_temp.aid('EA', 'R1')$$,
    $$VALUES ('EA', 'Alpha SA', 'compta@alpha.example', 'R1', 'R1', 'ann',
              '["EA-1", "EA-2"]'::jsonb, '[500.00, 120.50]'::jsonb, '{"EUR": 620.50}'::jsonb)$$,
    'the payload carries the customer, the step and level, the entries and the totals');
SELECT results_eq(
    $$SELECT pg_catalog.strpos(o.body, E'\n- invoice F-EE-1 of 1 February 2025, due on 1 March 2025 (9 days overdue): £700.00\n') > 0,
             pg_catalog.strpos(o.body, E'\nAmount due: £700.00\n') > 0,
             pg_catalog.strpos(o.body, E'Accounts receivable\nAtelier Durand & Cie') > 0
      FROM dunning.outbox o WHERE o.action_id = pg_temp.aid('EE', 'R1')$$,
    $$VALUES (true, true, true)$$,
    'an English customer''s body comes from the English template, with its entry and GBP total formatted the English way');
SELECT results_eq(
    $$SELECT pg_catalog.strpos(o.body, E'\n- facture F-EM-1 du 01/02/2025, échue le 01/03/2025 (9 jours de retard) : 500,00\u00a0€\n'
                                       || E'- facture F-EM-2 du 01/02/2025, échue le 01/03/2025 (9 jours de retard) : 300,00\u00a0$\n') > 0,
             pg_catalog.strpos(o.body, E'\nTotal dû : 500,00\u00a0€ + 300,00\u00a0$\n') > 0,
             o.payload -> 'totals'
      FROM dunning.outbox o WHERE o.action_id = pg_temp.aid('EM', 'R1')$$,
    $$VALUES (true, true, '{"EUR": 500.00, "USD": 300.00}'::jsonb)$$,
    'a message in two currencies gives a total per currency, never summed');
SELECT results_eq(
    $$SELECT pg_catalog.jsonb_path_query_array(o.payload, '$.entries[*].entry_id')
      FROM dunning.outbox o WHERE o.action_id = pg_temp.aid('EX', 'R1')$$,
    $$VALUES ('["EX-1"]'::jsonb)$$,
    'the promised entry is not in the message');
SELECT results_eq(
    $$SELECT a.customer_id, a.step::text, a.status, a.executed_on,
             ac.history -> -1 ->> 'status', ac.history -> -1 ->> 'executed_on'
      FROM dunning.action a JOIN dunning.activity ac ON ac.action_id = a.action_id
      WHERE a.media = 'email' AND a.customer_id IN ('EA', 'EE', 'EM', 'EX', 'EY')
      ORDER BY a.customer_id, a.step$$,
    $$VALUES ('EA', 'pre_due', 'queued', DATE '2025-03-11', 'queued', '2025-03-11'),
             ('EA', 'R1', 'queued', DATE '2025-03-11', 'queued', '2025-03-11'),
             ('EE', 'R1', 'queued', DATE '2025-03-11', 'queued', '2025-03-11'),
             ('EM', 'R1', 'queued', DATE '2025-03-11', 'queued', '2025-03-11'),
             ('EX', 'R1', 'queued', DATE '2025-03-11', 'queued', '2025-03-11'),
             ('EY', 'R1', 'proposed', NULL::date, 'excluded', NULL::text)$$,
    'sent actions are queued with their execution date, in their history too; the unticked one stays proposed');
SELECT results_eq(
    $$SELECT st.entry_id, st.level::text, st.last_dunned_on, st.reminder_count
      FROM dunning.entry_state st ORDER BY st.entry_id$$,
    $$VALUES ('EA-1', 'R1', DATE '2025-03-11', 1), ('EA-2', 'R1', DATE '2025-03-11', 1),
             ('EA-3', 'P', DATE '2025-03-11', 0), ('EE-1', 'R1', DATE '2025-03-11', 1),
             ('EM-1', 'R1', DATE '2025-03-11', 1), ('EM-2', 'R1', DATE '2025-03-11', 1),
             ('EX-1', 'R1', DATE '2025-03-11', 1)$$,
    'sending moves the entries: level, last_dunned_on, reminder_count (a pre-due counts no reminder; the promised entry stays)');
SELECT is(dunning.send('email', 'Standard', NULL, DATE '2025-03-11'), 0,
    'a second send has nothing left to execute');
SELECT results_eq(
    $$SELECT pg_catalog.count(*), pg_catalog.count(DISTINCT o.action_id) FROM dunning.outbox o$$,
    $$VALUES (5::bigint, 5::bigint)$$,
    'still one message per action after the second send');

-------------------------------------------------------------------------------
-- No message without an entry
-------------------------------------------------------------------------------
-- EV's action is ticked but the collector unticked its only entry.  Sending
-- it would mail a reminder listing nothing; a refusal is acceptable too.
DO $$
BEGIN
    PERFORM dunning.send('email', 'Quiet', NULL, DATE '2025-03-11');
EXCEPTION WHEN OTHERS THEN
    NULL;
END
$$;
SELECT is_empty(
    $$SELECT o.message_id FROM dunning.outbox o
      WHERE o.customer_id = 'EV'
         OR CASE WHEN pg_catalog.jsonb_typeof(o.payload -> 'entries') = 'array'
                 THEN pg_catalog.jsonb_array_length(o.payload -> 'entries') ELSE 0 END = 0$$,
    'no message is queued for an action whose every entry the collector unticked');

-------------------------------------------------------------------------------
-- send: letter (to the outbox)
-------------------------------------------------------------------------------
SELECT is(dunning.send('letter', 'Quiet', NULL, DATE '2025-03-11'), 1,
    'send(''letter'', ''Quiet'') executes the Quiet letter');
SELECT results_eq(
    $$SELECT o.media::text, o.subject, o.recipient, pg_catalog.split_part(o.body, E'\n', 1),
             pg_catalog.strpos(o.body, E'\n<html lang="fr">\n') > 0,
             pg_catalog.strpos(o.body, '<title>Relance R1 : factures échues</title>') > 0,
             (SELECT pg_catalog.count(*) FROM pg_catalog.regexp_matches(o.body, '<article class="letter">', 'g')),
             pg_catalog.strpos(o.body, E'<div class="sender"><strong>Atelier Durand &amp; Cie</strong><br>12 rue des Artisans<br>\n69001 Lyon</div>') > 0,
             pg_catalog.strpos(o.body, '<div class="recipient"><strong>Kilo &amp; Co</strong><br></div>') > 0,
             pg_catalog.strpos(o.body, '<p class="date">Le 11/03/2025</p>') > 0,
             pg_catalog.strpos(o.body, E'<tr><td>F-EK-1</td><td>01/02/2025</td><td>01/03/2025</td><td class="num">9</td>'
                                       || E'<td class="num">420,00\u00a0€</td><td class="num">420,00\u00a0€</td></tr>') > 0,
             pg_catalog.strpos(o.body, E'<th colspan="5">Total dû (EUR)</th><td class="num">420,00\u00a0€</td>') > 0,
             pg_catalog.strpos(o.body, 'Kilo & Co') = 0,
             a.status
      FROM dunning.outbox o JOIN dunning.action a ON a.action_id = o.action_id
      WHERE o.customer_id = 'EK'$$,
    $$VALUES ('letter', 'Relance R1 : factures échues', 'Kilo & Co', '<!DOCTYPE html>', true, true, 1::bigint,
              true, true, true, true, true, true, 'queued')$$,
    'a letter sent to the outbox is a printable document of one page, with the company and the customer''s name escaped, its execution date, entries and total');

-------------------------------------------------------------------------------
-- download_letters
-------------------------------------------------------------------------------
CREATE TEMPORARY TABLE downloaded AS
SELECT * FROM dunning.download_letters('Standard', NULL, DATE '2025-03-11');
SELECT results_eq(
    $$SELECT d.customer_id, d.customer_name, d.action_ids FROM pg_temp.downloaded d$$,
    $$VALUES ('EL', 'Durand & Fils', ARRAY[pg_temp.aid('EL', 'R1')])$$,
    'download_letters returns one document for the one Standard letter');
SELECT results_eq(
    $$SELECT pg_catalog.split_part(d.document, E'\n', 1),
             pg_catalog.strpos(d.document, '<title>Durand &amp; Fils</title>') > 0,
             (SELECT pg_catalog.count(*) FROM pg_catalog.regexp_matches(d.document, '<article class="letter">', 'g')),
             pg_catalog.strpos(d.document, E'<div class="recipient"><strong>Durand &amp; Fils</strong><br>3 rue des Lilas<br>\n69003 Lyon</div>') > 0,
             pg_catalog.strpos(d.document, E'<p class="subject">Objet : relance de factures échues<br>Réf. client : EL</p>') > 0,
             pg_catalog.strpos(d.document, E'<tr><td>F-EL-1</td><td>01/02/2025</td><td>01/03/2025</td><td class="num">9</td>'
                                           || E'<td class="num">300,00\u00a0€</td><td class="num">300,00\u00a0€</td></tr>') > 0,
             pg_catalog.strpos(d.document, E'<th colspan="5">Total dû (EUR)</th><td class="num">300,00\u00a0€</td>') > 0,
             pg_catalog.strpos(d.document, 'Durand & Fils') = 0
      FROM pg_temp.downloaded d$$,
    $$VALUES ('<!DOCTYPE html>', true, 1::bigint, true, true, true, true, true)$$,
    'the document is HTML with the name escaped, one page: the rendered letter with the customer''s address, its entries and total');
SELECT results_eq(
    $$SELECT a.status, a.executed_on, ac.history -> -1 ->> 'status'
      FROM dunning.action a JOIN dunning.activity ac ON ac.action_id = a.action_id
      WHERE a.action_id = pg_temp.aid('EL', 'R1')$$,
    $$VALUES ('done', DATE '2025-03-11', 'done')$$,
    'a downloaded letter is done, on its execution date');
SELECT results_eq(
    $$SELECT st.level::text, st.last_dunned_on, st.reminder_count FROM dunning.entry_state st WHERE st.entry_id = 'EL-1'$$,
    $$VALUES ('R1', DATE '2025-03-11', 1)$$,
    'downloading moves the entry like sending does');
SELECT is_empty(
    $$SELECT * FROM dunning.download_letters(NULL, NULL, DATE '2025-03-11')$$,
    'a second download has no letter left');

-------------------------------------------------------------------------------
-- mark_done
-------------------------------------------------------------------------------
SELECT lives_ok(
    pg_catalog.format($$SELECT dunning.mark_done(%s, 'promised to pay on Friday', DATE '2025-03-11')$$,
                      pg_temp.aid('EP', 'R1')),
    'mark_done records the phone call');
SELECT results_eq(
    $$SELECT a.status, a.executed_on, a.note, ac.history -> -1 ->> 'status', ac.history -> -1 ->> 'note'
      FROM dunning.action a JOIN dunning.activity ac ON ac.action_id = a.action_id
      WHERE a.action_id = pg_temp.aid('EP', 'R1')$$,
    $$VALUES ('done', DATE '2025-03-11', 'promised to pay on Friday', 'done', 'promised to pay on Friday')$$,
    'the phone action is done with its note and date, in its history too');
SELECT results_eq(
    $$SELECT st.level::text, st.last_dunned_on, st.reminder_count FROM dunning.entry_state st WHERE st.entry_id = 'EP-1'$$,
    $$VALUES ('R1', DATE '2025-03-11', 1)$$,
    'marking done moves the entry like sending does');
SELECT is_empty($$SELECT * FROM dunning.todo t WHERE t.customer_id = 'EP'$$,
    'a done phone action leaves the to-do list');
SELECT is_empty(
    $$SELECT o.message_id FROM dunning.outbox o WHERE o.media IN ('phone', 'other')$$,
    'a phone action never reaches the outbox');

-------------------------------------------------------------------------------
-- An executed action no longer changes
-------------------------------------------------------------------------------
SELECT throws_ok(
    pg_catalog.format($$SELECT dunning.mark_done(%s, 'again', DATE '2025-03-12')$$, pg_temp.aid('EP', 'R1')),
    '22023', pg_catalog.format('action %s is already done: only proposed actions change', pg_temp.aid('EP', 'R1')),
    'mark_done refuses an action already done');
SELECT throws_ok(
    pg_catalog.format($$SELECT dunning.untick(%s)$$, pg_temp.aid('EA', 'R1')),
    '22023', pg_catalog.format('action %s is already queued: only proposed actions change', pg_temp.aid('EA', 'R1')),
    'untick refuses an action already sent');
SELECT throws_ok(
    pg_catalog.format($$SELECT dunning.untick(%s, 'EA-1')$$, pg_temp.aid('EA', 'R1')),
    '22023', pg_catalog.format('action %s is already queued: only proposed actions change', pg_temp.aid('EA', 'R1')),
    'untick of one entry refuses an action already sent');
SELECT throws_ok(
    pg_catalog.format($$SELECT dunning.tick(%s)$$, pg_temp.aid('EL', 'R1')),
    '22023', pg_catalog.format('action %s is already done: only proposed actions change', pg_temp.aid('EL', 'R1')),
    'tick refuses a letter already downloaded');
SELECT results_eq(
    $$SELECT a.status, a.selected, a.note FROM dunning.action a WHERE a.action_id = pg_temp.aid('EP', 'R1')$$,
    $$VALUES ('done', true, 'promised to pay on Friday')$$,
    'the refused calls left the executed action as it was');

-------------------------------------------------------------------------------
-- Two letters of one customer: one document
-------------------------------------------------------------------------------
-- On 2025-03-26, EL-1 (R1 on 2025-03-11) is due at R2 (+15) and EL-2 (due
-- 2025-03-20) at R1 (+5): two letter actions for EL.
INSERT INTO pg_temp.runs SELECT DATE '2025-03-26', dunning.plan(DATE '2025-03-26');
SELECT results_eq(
    $$SELECT a.step::text, a.media::text FROM dunning.action a
      WHERE a.customer_id = 'EL' AND a.status = 'proposed' ORDER BY a.step$$,
    $$VALUES ('R1', 'letter'), ('R2', 'letter')$$,
    'on 2025-03-26 EL has two letter proposals: R1 for EL-2 and R2 for EL-1');
DELETE FROM pg_temp.downloaded;
INSERT INTO pg_temp.downloaded SELECT * FROM dunning.download_letters(NULL, NULL, DATE '2025-03-26');
SELECT results_eq(
    $$SELECT d.customer_id, d.action_ids,
             (SELECT pg_catalog.count(*) FROM pg_catalog.regexp_matches(d.document, '<article class="letter">', 'g')),
             (SELECT pg_catalog.count(*) FROM pg_catalog.regexp_matches(d.document, '<html[ >]', 'g')),
             pg_catalog.strpos(d.document, '<tr><td>F-EL-1</td><td>01/02/2025</td><td>01/03/2025</td><td class="num">25</td>') > 0,
             pg_catalog.strpos(d.document, '<tr><td>F-EL-2</td><td>20/02/2025</td><td>20/03/2025</td><td class="num">6</td>') > 0
      FROM pg_temp.downloaded d WHERE d.customer_id = 'EL'$$,
    $$VALUES ('EL', ARRAY[pg_temp.aid('EL', 'R1'), pg_temp.aid('EL', 'R2')], 2::bigint, 1::bigint, true, true)$$,
    'download_letters returns one document per customer holding both of its letters, one page each with its own entry');
SELECT results_eq(
    $$SELECT st.entry_id, st.level::text, st.last_dunned_on, st.reminder_count
      FROM dunning.entry_state st WHERE st.customer_id = 'EL' ORDER BY 1$$,
    $$VALUES ('EL-1', 'R2', DATE '2025-03-26', 2), ('EL-2', 'R1', DATE '2025-03-26', 1)$$,
    'each letter moved its own entry: EL-1 to R2 (second reminder), EL-2 to R1');

-------------------------------------------------------------------------------
-- The history names the collector who acted (the login role), not the
-- owner of the SECURITY DEFINER functions.
-------------------------------------------------------------------------------
CREATE ROLE dunning_test_claire LOGIN IN ROLE dunning_collector;
SET SESSION AUTHORIZATION dunning_test_claire;
DO $$
BEGIN
    PERFORM dunning.untick(a.action_id) FROM dunning.action a
     WHERE a.status = 'proposed' ORDER BY a.action_id LIMIT 1;
END
$$;
RESET SESSION AUTHORIZATION;
SELECT results_eq(
    $$SELECT ev.by_role FROM dunning.action_event ev WHERE ev.status = 'unticked' ORDER BY ev.at DESC LIMIT 1$$,
    $$VALUES ('dunning_test_claire')$$,
    'an untick is recorded with the collector''s login role');
SELECT results_eq(
    $$SELECT sel.changed_by FROM dunning.selection sel ORDER BY sel.changed_at DESC LIMIT 1$$,
    $$VALUES ('dunning_test_claire')$$,
    'the remembered untick names the collector too');

SELECT * FROM finish();
ROLLBACK;
