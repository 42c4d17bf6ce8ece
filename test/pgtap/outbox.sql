-- outbox.sql: the sender's protocol on dunning.outbox.
--
-- SPEC.md, "The outbox": "Senders call dunning.claim(sender text, max int,
-- lease interval) (concurrent senders never get the same message; each claim
-- carries a token), then dunning.ack(message_id, token) or
-- dunning.nack(message_id, token, error, retry_in); a message whose lease
-- expires is claimable again, and the old token no longer acknowledges it; a
-- message that keeps failing ends as dead after a configurable number of
-- attempts. [...] Each action yields at most one message, whatever happens."
-- Issue 4: "refuse a token that is no longer the message's [...] report that
-- clearly, do not silently succeed; attempts counted; a message ends dead
-- after settings.max_attempts (default 5) with its last error kept [...] a
-- message whose entries were all settled after it was queued but before it
-- is claimed is cancelled, not sent (the activity says so).
-- dunning.outbox_status view: per channel and status, counts and the age of
-- the oldest."  "Unknown message ids, wrong tokens, negative or absurd leases
-- and batch sizes are refused with a clear message and change nothing."
--
-- A pgTAP file runs in one transaction, where now() stands still (leases
-- count from the clock when claim is called): a lease running out is
-- written here as available_at moved into the past (the isolation spec
-- lease_expiry lets a real lease run out).
BEGIN;
SELECT plan(59);
SET LOCAL client_min_messages = warning;

-------------------------------------------------------------------------------
-- Seven customers, each with an invoice due on 2026-06-01: R1 on 2026-06-30.
-- O5 and O7 have two invoices; O6 and O7 have no email (letters, sent later).
-------------------------------------------------------------------------------
INSERT INTO dunning.customer (customer_id, name, email, language) VALUES
    ('O1', 'Un',     'ap@un.example',     'fr'),
    ('O2', 'Deux',   'ap@deux.example',   'fr'),
    ('O3', 'Trois',  'ap@trois.example',  'fr'),
    ('O4', 'Quatre', 'ap@quatre.example', 'en'),
    ('O5', 'Cinq',   'ap@cinq.example',   'fr'),
    ('O6', 'Six',    NULL,                'fr'),
    ('O7', 'Sept',   NULL,                'fr');
INSERT INTO dunning.entry (entry_id, customer_id, document_number, kind, document_date, due_date,
                           amount, open_amount, currency) VALUES
    ('O1-1', 'O1', 'FA-1', 'invoice', '2026-05-01', '2026-06-01', 100, 100, 'EUR'),
    ('O2-1', 'O2', 'FA-2', 'invoice', '2026-05-01', '2026-06-01', 200, 200, 'EUR'),
    ('O3-1', 'O3', 'FA-3', 'invoice', '2026-05-01', '2026-06-01', 300, 300, 'EUR'),
    ('O4-1', 'O4', 'FA-4', 'invoice', '2026-05-01', '2026-06-01', 400, 400, 'EUR'),
    ('O5-1', 'O5', 'FA-5', 'invoice', '2026-05-01', '2026-06-01', 500, 500, 'EUR'),
    ('O5-2', 'O5', 'FA-6', 'invoice', '2026-05-01', '2026-06-01', 600, 600, 'EUR'),
    ('O6-1', 'O6', 'FA-7', 'invoice', '2026-05-01', '2026-06-01', 700, 700, 'EUR'),
    ('O7-1', 'O7', 'FA-8', 'invoice', '2026-05-01', '2026-06-01', 800, 800, 'EUR'),
    ('O7-2', 'O7', 'FA-9', 'invoice', '2026-05-01', '2026-06-01', 900, 900, 'EUR');

SELECT dunning.plan('2026-06-30');
SELECT is(dunning.send('email', NULL, NULL, '2026-06-30'), 5, 'send queues the five emails');

CREATE FUNCTION pg_temp.msg(customer text) RETURNS bigint LANGUAGE sql
RETURN (SELECT o.message_id FROM dunning.outbox o WHERE o.customer_id = customer);
CREATE FUNCTION pg_temp.tok(customer text) RETURNS uuid LANGUAGE sql
RETURN (SELECT o.claim_token FROM dunning.outbox o WHERE o.customer_id = customer);

SELECT results_eq(
    $$SELECT o.customer_id, o.media::text, o.status, o.attempts, o.available_at = now(), o.claim_token IS NULL
        FROM dunning.outbox o ORDER BY o.message_id$$,
    $$VALUES ('O1', 'email', 'queued', 0, true, true), ('O2', 'email', 'queued', 0, true, true),
             ('O3', 'email', 'queued', 0, true, true), ('O4', 'email', 'queued', 0, true, true),
             ('O5', 'email', 'queued', 0, true, true)$$,
    'queued messages: no attempt, no token, claimable now');
SELECT results_eq(
    $$SELECT s.media::text, s.status, s.messages, s.oldest_age FROM dunning.outbox_status s ORDER BY 1, 2$$,
    $$VALUES ('email', 'queued', 5::bigint, interval '0')$$,
    'outbox_status: counts per media and status, and the age of the oldest');

-------------------------------------------------------------------------------
-- Bad calls: refused, nothing changed.
-------------------------------------------------------------------------------
CREATE TEMPORARY TABLE before_bad AS SELECT * FROM dunning.outbox;
SELECT throws_ok($$SELECT * FROM dunning.claim('s', 0)$$, '22023',
                 'max must be between 1 and 1000 messages, got 0', 'claim refuses max 0');
SELECT throws_ok($$SELECT * FROM dunning.claim('s', -5)$$, '22023',
                 'max must be between 1 and 1000 messages, got -5', 'claim refuses a negative max');
SELECT throws_ok($$SELECT * FROM dunning.claim('s', 1000000)$$, '22023',
                 'max must be between 1 and 1000 messages, got 1000000', 'claim refuses an absurd max');
SELECT throws_ok($$SELECT * FROM dunning.claim('s', 10, '0')$$, '22023',
                 'lease must be between 1 second and 1 day, got 00:00:00', 'claim refuses a zero lease');
SELECT throws_ok($$SELECT * FROM dunning.claim('s', 10, '-5 minutes')$$, '22023',
                 'lease must be between 1 second and 1 day, got -00:05:00', 'claim refuses a negative lease');
SELECT throws_ok($$SELECT * FROM dunning.claim('s', 10, '3 days')$$, '22023',
                 'lease must be between 1 second and 1 day, got 3 days', 'claim refuses an absurd lease');
SELECT throws_ok($$SELECT * FROM dunning.claim(' ', 10)$$, '22023',
                 'sender must name the sender, got '' ''', 'claim refuses a blank sender');
SELECT throws_ok($$SELECT * FROM dunning.claim(NULL, 10)$$, '22023',
                 'sender must name the sender, got NULL', 'claim refuses a NULL sender');
SELECT throws_ok($$SELECT dunning.ack(424242, '00000000-0000-0000-0000-000000000000')$$, 'P0002',
                 'unknown message_id 424242', 'ack refuses an unknown message id');
SELECT throws_ok(pg_catalog.format('SELECT dunning.ack(%s, NULL)', pg_temp.msg('O1')), '22004',
                 pg_catalog.format('ack needs a message_id and its claim token, got message_id %s and token NULL',
                                   pg_temp.msg('O1')),
                 'ack refuses a NULL token');
SELECT throws_ok(pg_catalog.format($$SELECT dunning.ack(%s, '00000000-0000-0000-0000-000000000000')$$, pg_temp.msg('O1')),
                 '55000',
                 pg_catalog.format('token 00000000-0000-0000-0000-000000000000 does not hold message %s (now queued)',
                                   pg_temp.msg('O1')),
                 'ack refuses a token for a message nobody claimed');
SELECT results_eq('SELECT * FROM dunning.outbox ORDER BY message_id', 'SELECT * FROM before_bad ORDER BY message_id',
                  'the refused calls changed nothing');

-------------------------------------------------------------------------------
-- claim: oldest first, disjoint batches, a token and a lease each.
-------------------------------------------------------------------------------
CREATE TEMPORARY TABLE batch_a AS SELECT * FROM dunning.claim('sender-a', 2);
CREATE TEMPORARY TABLE batch_b AS SELECT * FROM dunning.claim('sender-b', 10, '1 minute');
-- Leases count from the claim's statement, not from the transaction's start.
CREATE FUNCTION pg_temp.leased(expires timestamptz, lease interval) RETURNS boolean LANGUAGE sql
RETURN expires > now() + lease AND expires <= clock_timestamp() + lease;
SELECT results_eq('SELECT customer_id, attempt, pg_temp.leased(lease_expires_at, ''5 minutes'') FROM batch_a ORDER BY message_id',
                  $$VALUES ('O1', 1, true), ('O2', 1, true)$$,
                  'claim hands out the oldest messages first, up to max, with a 5-minute lease by default');
SELECT results_eq('SELECT customer_id, media, pg_temp.leased(lease_expires_at, ''1 minute'') FROM batch_b ORDER BY message_id',
                  $$VALUES ('O3', 'email', true), ('O4', 'email', true), ('O5', 'email', true)$$,
                  'a second claim gets the others, with its own lease');
SELECT is((SELECT count(*) FROM (SELECT token FROM batch_a UNION SELECT token FROM batch_b) t), 5::bigint,
          'every claimed message has its own token');
SELECT ok((SELECT bool_and(b.recipient = c.email AND b.subject IS NOT NULL AND b.body <> '' AND b.payload ->> 'customer_id' = b.customer_id)
             FROM batch_b b JOIN dunning.customer c USING (customer_id) WHERE b.media = 'email'),
          'a claimed email carries its recipient, subject, body and payload');
SELECT is_empty($$SELECT * FROM dunning.claim('sender-c', 10)$$, 'nothing is left to claim while the leases run');
SELECT results_eq(
    $$SELECT o.status, o.claimed_by, pg_catalog.count(*) FROM dunning.outbox o GROUP BY 1, 2 ORDER BY 2$$,
    $$VALUES ('claimed', 'sender-a', 2::bigint), ('claimed', 'sender-b', 3::bigint)$$,
    'the outbox records who holds each message');

-------------------------------------------------------------------------------
-- ack
-------------------------------------------------------------------------------
SELECT lives_ok(pg_catalog.format($$SELECT dunning.ack(%s, %L)$$, pg_temp.msg('O1'), pg_temp.tok('O1')),
                'ack with the claim''s token');
SELECT results_eq(
    $$SELECT o.status, o.finished_at > now(), a.status FROM dunning.outbox o JOIN dunning.action a USING (action_id)
       WHERE o.customer_id = 'O1'$$,
    $$VALUES ('sent', true, 'sent')$$,
    'the message and its action are sent');
SELECT lives_ok(pg_catalog.format($$SELECT dunning.ack(%s, %L)$$, pg_temp.msg('O1'), pg_temp.tok('O1')),
                'the same ack again (a retried call) is accepted');
SELECT results_eq(
    $$SELECT ev ->> 'status', ev ->> 'note' FROM dunning.activity a, jsonb_array_elements(a.history) ev
       WHERE a.customer_id = 'O1'$$,
    $$VALUES ('proposed', NULL), ('queued', NULL), ('sent', 'delivered by sender sender-a on attempt 1')$$,
    'the activity shows the delivery once, with its sender');
SELECT throws_ok(pg_catalog.format($$SELECT dunning.nack(%s, %L, 'late')$$, pg_temp.msg('O1'), pg_temp.tok('O1')),
                 '55000', pg_catalog.format('message %s is sent and no longer claimed: there is nothing to nack', pg_temp.msg('O1')),
                 'a sent message cannot be nacked');

-------------------------------------------------------------------------------
-- nack, retries, dead after settings.max_attempts.
-------------------------------------------------------------------------------
SELECT throws_ok(pg_catalog.format($$SELECT dunning.nack(%s, %L, 'x', '-1 minute')$$, pg_temp.msg('O2'), pg_temp.tok('O2')),
                 '22023', 'retry_in must be between 0 and 7 days, got -00:01:00', 'nack refuses a negative retry_in');
SELECT throws_ok(pg_catalog.format($$SELECT dunning.nack(%s, %L, 'x', '30 days')$$, pg_temp.msg('O2'), pg_temp.tok('O2')),
                 '22023', 'retry_in must be between 0 and 7 days, got 30 days', 'nack refuses an absurd retry_in');
SELECT is(dunning.nack(pg_temp.msg('O2'), pg_temp.tok('O2'), '451 mailbox busy', '10 minutes'), 'failed',
          'nack: the message failed, to be retried');
SELECT results_eq(
    $$SELECT o.status, o.attempts, o.last_error, pg_temp.leased(o.available_at, '10 minutes'), a.status
        FROM dunning.outbox o JOIN dunning.action a USING (action_id) WHERE o.customer_id = 'O2'$$,
    $$VALUES ('failed', 1, '451 mailbox busy', true, 'queued')$$,
    'a failed message keeps its error and is claimable again after retry_in; its action stays queued');
SELECT throws_ok(pg_catalog.format($$SELECT dunning.nack(%s, %L, 'again')$$, pg_temp.msg('O2'), pg_temp.tok('O2')),
                 '55000', pg_catalog.format('message %s is failed and no longer claimed: there is nothing to nack', pg_temp.msg('O2')),
                 'a second nack with the same token is refused');
SELECT is_empty($$SELECT * FROM dunning.claim('sender-c', 10)$$, 'a failed message waits for its retry time');
UPDATE dunning.outbox SET available_at = now() - interval '1 second' WHERE customer_id = 'O2';   -- the retry is due
SELECT results_eq($$SELECT customer_id, attempt FROM dunning.claim('sender-c', 10)$$, $$VALUES ('O2', 2)$$,
                  'once its retry is due, the failed message is claimed again: attempt 2');

UPDATE dunning.settings SET max_attempts = 2;
SELECT is(dunning.nack(pg_temp.msg('O2'), pg_temp.tok('O2'), '550 no such user', '0'), 'dead',
          'with max_attempts 2, the second failure is the last: dead');
SELECT results_eq(
    $$SELECT o.status, o.attempts, o.last_error, o.finished_at > now(), a.status
        FROM dunning.outbox o JOIN dunning.action a USING (action_id) WHERE o.customer_id = 'O2'$$,
    $$VALUES ('dead', 2, '550 no such user', true, 'failed')$$,
    'a dead message keeps its last error; its action failed');
SELECT results_eq(
    $$SELECT ev ->> 'status', ev ->> 'note' FROM dunning.activity a, jsonb_array_elements(a.history) ev
       WHERE a.customer_id = 'O2' AND ev ->> 'status' = 'failed'$$,
    $$VALUES ('failed', 'attempt 1 of 5 by sender sender-a: 451 mailbox busy'),
             ('failed', 'attempt 2 of 2 by sender sender-c: 550 no such user (dead: no more attempts)')$$,
    'the activity shows each failure, and the end');
SELECT is_empty($$SELECT * FROM dunning.claim('sender-c', 10)
                   WHERE customer_id = 'O2'$$, 'a dead message is never claimed again');
SELECT throws_ok('UPDATE dunning.settings SET max_attempts = 0', '23514', 'max_attempts must be between 1 and 100, got 0',
                 'max_attempts 0 is refused');

-------------------------------------------------------------------------------
-- A lease that runs out: claimable again with a new token, the old one
-- refused; on the last attempt, dead.
-------------------------------------------------------------------------------
CREATE TEMPORARY TABLE old_token AS SELECT pg_temp.tok('O3') AS token;
UPDATE dunning.outbox SET available_at = now() - interval '1 second' WHERE customer_id = 'O3';   -- sender-b's lease ran out
SELECT results_eq($$SELECT customer_id, attempt FROM dunning.claim('sender-d', 10)$$, $$VALUES ('O3', 2)$$,
                  'a message whose lease ran out is claimed again, attempt 2');
SELECT isnt(pg_temp.tok('O3'), (SELECT token FROM old_token), 'the new claim has a new token');
SELECT throws_ok(pg_catalog.format($$SELECT dunning.ack(%s, %L)$$, pg_temp.msg('O3'), (SELECT token FROM old_token)),
                 '55000',
                 pg_catalog.format('token %s does not hold message %s: sender sender-d holds it under another claim',
                                   (SELECT token FROM old_token), pg_temp.msg('O3')),
                 'the first sender''s late ack is refused, naming the sender that holds it now');
SELECT throws_ok(pg_catalog.format($$SELECT dunning.nack(%s, %L, 'late')$$, pg_temp.msg('O3'), (SELECT token FROM old_token)),
                 '55000', NULL, 'and so is its late nack');
SELECT results_eq($$SELECT status, claimed_by FROM dunning.outbox WHERE customer_id = 'O3'$$, $$VALUES ('claimed', 'sender-d')$$,
                  'the refused calls did not touch the new claim');
SELECT lives_ok(pg_catalog.format($$SELECT dunning.ack(%s, %L)$$, pg_temp.msg('O3'), pg_temp.tok('O3')),
                'the new token acknowledges it');

UPDATE dunning.outbox SET available_at = now() - interval '1 second' WHERE customer_id = 'O3';
UPDATE dunning.outbox SET available_at = now() - interval '1 second' WHERE customer_id = 'O4';   -- attempt 1 of 2 ran out
SELECT results_eq($$SELECT customer_id, attempt FROM dunning.claim('sender-e', 10)$$, $$VALUES ('O4', 2)$$,
                  'a sent message is not claimed when its old lease time passes');
UPDATE dunning.outbox SET available_at = now() - interval '1 second' WHERE customer_id = 'O4';   -- attempt 2 of 2 ran out
SELECT is_empty($$SELECT * FROM dunning.claim('sender-f', 10)$$, 'a lease that ran out on the last attempt is not handed out again');
SELECT results_eq(
    $$SELECT o.status, o.last_error, a.status FROM dunning.outbox o JOIN dunning.action a USING (action_id) WHERE o.customer_id = 'O4'$$,
    $$VALUES ('dead', 'the lease of sender sender-e ran out on attempt 2 without an ack or nack', 'failed')$$,
    'it is dead, and says why');

-------------------------------------------------------------------------------
-- Settled before delivery: cancelled, not sent.  The letters are queued,
-- then O6's invoice and one of O7's are paid, and both of O5's, whose email
-- sender-b claimed and whose lease runs out.
-------------------------------------------------------------------------------
SELECT is(dunning.send('letter', NULL, NULL, '2026-06-30'), 2, 'send queues the two letters');
UPDATE dunning.entry SET open_amount = 0, settled_on = '2026-07-01', settled_by = 'payment'
 WHERE entry_id IN ('O5-1', 'O5-2', 'O6-1', 'O7-1');
UPDATE dunning.outbox SET available_at = now() - interval '1 second' WHERE customer_id = 'O5';
SELECT results_eq($$SELECT customer_id, attempt FROM dunning.claim('sender-g', 2) ORDER BY customer_id$$,
                  $$VALUES ('O5', 2), ('O7', 1)$$,
                  'claim of 2: O5 (once claimed, it may have gone out: it goes again), O6 cancelled, and O7 in its place (one invoice still open)');
SELECT results_eq(
    $$SELECT o.status, o.attempts, o.finished_at > now(), a.status FROM dunning.outbox o JOIN dunning.action a USING (action_id)
       WHERE o.customer_id = 'O6'$$,
    $$VALUES ('cancelled', 0, true, 'cancelled')$$,
    'the settled letter is cancelled, never claimed, and its action with it');
SELECT results_eq(
    $$SELECT ev ->> 'status', ev ->> 'note' FROM dunning.activity a, jsonb_array_elements(a.history) ev
       WHERE a.customer_id = 'O6' AND ev ->> 'status' = 'cancelled'$$,
    $$VALUES ('cancelled', 'every entry was settled before the message was delivered')$$,
    'the activity says why it was cancelled');
SELECT throws_ok(pg_catalog.format($$SELECT dunning.ack(%s, '00000000-0000-0000-0000-000000000000')$$, pg_temp.msg('O6')),
                 '55000', pg_catalog.format('token 00000000-0000-0000-0000-000000000000 does not hold message %s (now cancelled)', pg_temp.msg('O6')),
                 'a cancelled message cannot be acknowledged');

-------------------------------------------------------------------------------
-- One message per action, whatever happens.
-------------------------------------------------------------------------------
SELECT throws_ok(
    $$INSERT INTO dunning.outbox (action_id, customer_id, media, body, payload)
      SELECT o.action_id, o.customer_id, o.media, 'again', '{}' FROM dunning.outbox o WHERE o.customer_id = 'O1'$$,
    '23505', NULL, 'a second message for an action is refused by a unique key');
SELECT is(dunning.send('email', NULL, NULL, '2026-06-30'), 0, 'sending again queues nothing');
SELECT results_eq(
    $$SELECT s.media::text, s.status, s.messages FROM dunning.outbox_status s ORDER BY 1, 2$$,
    $$VALUES ('email', 'claimed', 1::bigint), ('email', 'dead', 2::bigint), ('email', 'sent', 2::bigint),
             ('letter', 'cancelled', 1::bigint), ('letter', 'claimed', 1::bigint)$$,
    'outbox_status at the end');

-------------------------------------------------------------------------------
-- max_attempts lowered below a failed message's attempts: dead at the next
-- claim, not claimed once more.
-------------------------------------------------------------------------------
SELECT is(dunning.nack(pg_temp.msg('O7'), pg_temp.tok('O7'), 'printer jammed', '0'), 'failed',
          'O7''s letter fails on attempt 1 of 2');
UPDATE dunning.settings SET max_attempts = 1;
SELECT is_empty($$SELECT * FROM dunning.claim('sender-h', 10) WHERE customer_id = 'O7'$$,
                'with max_attempts lowered to 1, the failed letter is not claimed again');
SELECT results_eq(
    $$SELECT o.status, o.attempts, o.last_error, a.status FROM dunning.outbox o JOIN dunning.action a USING (action_id)
       WHERE o.customer_id = 'O7'$$,
    $$VALUES ('dead', 1, 'printer jammed', 'failed')$$,
    'it is dead, with its last error');

-------------------------------------------------------------------------------
-- An email template written in HTML: the customer's values are escaped.
-------------------------------------------------------------------------------
UPDATE dunning.template
   SET body = '<p>Dear {{customer_name}},</p><ul>{{#entries}}<li>{{document_number}}</li>{{/entries}}</ul>'
 WHERE name = 'reminder' AND language = 'fr';
INSERT INTO dunning.customer (customer_id, name, email, language) VALUES ('O8', 'Huit & <Fils>', 'ap@huit.example', 'fr');
INSERT INTO dunning.entry (entry_id, customer_id, document_number, kind, document_date, due_date,
                           amount, open_amount, currency)
VALUES ('O8-1', 'O8', 'FA-<10>', 'invoice', '2026-05-01', '2026-06-01', 100, 100, 'EUR');
SELECT dunning.plan('2026-06-30');
SELECT dunning.send('email', NULL, NULL, '2026-06-30');
SELECT is((SELECT o.body FROM dunning.outbox o WHERE o.customer_id = 'O8'),
          '<p>Dear Huit &amp; &lt;Fils&gt;,</p><ul><li>FA-&lt;10&gt;</li></ul>',
          'an email body whose template starts with a tag is HTML: every value is escaped');

SELECT * FROM finish();
ROLLBACK;
