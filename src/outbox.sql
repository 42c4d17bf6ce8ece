-------------------------------------------------------------------------------
-- The outbox (src/outbox.sql, appended after src/planner.sql by the Makefile).
--
-- dunning.send() and dunning.run_nightly() queue one message per executed
-- email or letter action; sender applications take them with claim() and
-- report with ack() or nack().  The protocol, from a sender's side, is in
-- doc/senders.md.
--
--   queued --claim--> claimed --ack--> sent
--                        |  \--nack--> failed --(retry_in)--> claimed ...
--                        |             or dead after settings.max_attempts
--                        \--lease runs out--> claimable again (a new token),
--                                             or dead on the last attempt
--   queued or failed --claim finds every entry settled--> cancelled
--                       (a claimed message may have gone out: never cancelled)
--
-- available_at is when a message may next be claimed: when it was queued,
-- when its retry is due, or when its lease ends.  Leases and retries count
-- from the moment of the call (clock_timestamp(), read once per call), not
-- from the start of the sender's transaction or statement: a sender that
-- opened a transaction long before its claim, or loops in a DO block or a
-- procedure, still gets the whole lease and sees what became claimable.
-- One index on available_at serves every claim; a smaller one finds the
-- claimed and failed messages that have no attempt left.
-------------------------------------------------------------------------------

CREATE SEQUENCE dunning.message_id_seq;
CREATE TABLE dunning.outbox (
    message_id   bigint PRIMARY KEY DEFAULT pg_catalog.nextval('dunning.message_id_seq'::regclass),
    -- at most one message per action, whatever happens
    action_id    bigint NOT NULL CONSTRAINT outbox_one_message_per_action UNIQUE REFERENCES dunning.action,
    customer_id  text NOT NULL,
    media        dunning.media NOT NULL
        CONSTRAINT outbox_media_is_email_or_letter CHECK (media OPERATOR(pg_catalog.=) ANY
            (ARRAY['email', 'letter']::dunning.media[])),
    recipient    text,
    subject      text,
    body         text NOT NULL,
    payload      jsonb NOT NULL,
    status       text NOT NULL DEFAULT 'queued'
        CONSTRAINT outbox_status_is_known CHECK (status OPERATOR(pg_catalog.=) ANY
            (ARRAY['queued', 'claimed', 'sent', 'failed', 'dead', 'cancelled'])),
    attempts     integer NOT NULL DEFAULT 0,   -- claims so far
    available_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    claimed_by   text,
    claim_token  uuid,
    last_error   text,
    queued_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    finished_at  timestamptz                    -- when it became sent, dead or cancelled
);
CREATE INDEX outbox_claimable_idx ON dunning.outbox (available_at, message_id)
    WHERE status OPERATOR(pg_catalog.=) ANY (ARRAY['queued', 'failed', 'claimed']);
-- The leases that run out on their last attempt (and failed messages with
-- no attempt left), found without walking the queued messages.
CREATE INDEX outbox_lease_idx ON dunning.outbox (available_at)
    WHERE status OPERATOR(pg_catalog.=) ANY (ARRAY['claimed', 'failed']);
CREATE INDEX outbox_customer_id_idx ON dunning.outbox (customer_id);
COMMENT ON TABLE dunning.outbox IS
    'one row per email or letter to deliver, with its rendered text, every fact a sender needs, and its delivery state';

-- Executes actions of media email or letter and queues their messages: the
-- outbox half of dunning.send() and dunning.run_nightly().  The NOTIFY is
-- delivered when the transaction commits, and never if it rolls back.
CREATE FUNCTION dunning.queue_messages(action_ids bigint[], executed_on date) RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    executed integer;
BEGIN
    PERFORM dunning.check_executable(action_ids, executed_on);
    executed := dunning.execute_actions(action_ids, executed_on, 'queued');
    INSERT INTO dunning.outbox (action_id, customer_id, media, recipient, subject, body, payload)
    SELECT m.action_id, m.customer_id, m.media, m.recipient, m.subject,
           CASE WHEN m.media = 'letter' THEN dunning.letter_document(m.subject, m.language, ARRAY[m.body])
                ELSE m.body END,
           m.payload
    FROM dunning.action_message() m
    ORDER BY m.customer_id, m.action_id;   -- message ids in a stable order, run after run
    IF executed > 0 THEN
        PERFORM pg_catalog.pg_notify('dunning_outbox', executed::text);
    END IF;
    RETURN executed;
END
$$;
COMMENT ON FUNCTION dunning.queue_messages(bigint[], date) IS
    'executes email and letter actions into dunning.outbox and notifies channel dunning_outbox; returns how many';

-------------------------------------------------------------------------------
-- The sender's three calls.
-------------------------------------------------------------------------------
CREATE FUNCTION dunning.claim(sender text, max integer DEFAULT 10, lease interval DEFAULT '5 minutes')
    RETURNS TABLE (message_id bigint, token uuid, lease_expires_at timestamptz, attempt integer,
                   action_id bigint, customer_id text, media text, recipient text,
                   subject text, body text, payload jsonb)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s dunning.settings;
    r record;
    at_now timestamptz := pg_catalog.clock_timestamp();
    wanted integer := max;
    handed integer;
    cancelled integer;
BEGIN
    IF sender IS NULL OR sender !~ '\S' THEN
        RAISE EXCEPTION 'sender must name the sender, got %', COALESCE(pg_catalog.quote_literal(sender), 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF max IS NULL OR max < 1 OR max > 1000 THEN
        RAISE EXCEPTION 'max must be between 1 and 1000 messages, got %', COALESCE(max::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF lease IS NULL OR lease < '1 second' OR lease > '1 day' THEN
        RAISE EXCEPTION 'lease must be between 1 second and 1 day, got %', COALESCE(lease::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO s FROM dunning.settings;
    -- Read below with the owner's privileges: nothing in it may run code
    -- another role can change.
    PERFORM dunning.check_ledger_trust(s.entry_source, 'entries');

    -- A lease that ran out on the last allowed attempt, or a failed message
    -- with no attempt left (settings.max_attempts was lowered): dead, not
    -- handed out again.  SKIP LOCKED: claimers never wait for each other.
    WITH expired AS (
        SELECT o.message_id FROM dunning.outbox o
        WHERE o.status = ANY (ARRAY['claimed', 'failed']) AND o.available_at <= at_now
          AND o.attempts >= s.max_attempts
        ORDER BY o.available_at, o.message_id
        FOR UPDATE SKIP LOCKED),
    dead AS (
        UPDATE dunning.outbox o
           SET status = 'dead', finished_at = at_now,
               last_error = CASE WHEN o.status = 'claimed'
                                 THEN pg_catalog.format('the lease of sender %s ran out on attempt %s without an ack or nack',
                                                        o.claimed_by, o.attempts)
                                 ELSE o.last_error END
          FROM expired e
         WHERE o.message_id = e.message_id
        RETURNING o.action_id, o.last_error),
    dead_event AS (
        INSERT INTO dunning.action_event (action_id, status, note)
        SELECT d.action_id, 'failed', d.last_error FROM dead d)
    UPDATE dunning.action a SET status = 'failed' FROM dead d WHERE a.action_id = d.action_id;

    -- One statement: pick, check the ledger, claim or cancel.  The entries
    -- relation is the settings' regclass, printed quoted by PostgreSQL.
    -- Cancelled messages took places in the batch: pick again for them, so
    -- that an empty result means nothing is claimable.
    LOOP
        handed := 0;
        cancelled := 0;
        FOR r IN EXECUTE pg_catalog.format($q$
            WITH picked AS (
                SELECT o.message_id, o.action_id, o.status FROM dunning.outbox o
                WHERE o.status = ANY (ARRAY['queued', 'failed', 'claimed'])
                  AND o.available_at <= $5
                  -- a message with no attempt left is dead, even if the
                  -- statement above skipped it (locked by a late ack then)
                  AND (o.status = 'queued' OR o.attempts < $4)
                ORDER BY o.available_at, o.message_id
                LIMIT $2
                FOR UPDATE SKIP LOCKED),
            -- A reminder none of whose debit entries is still open in the
            -- ledger (paid, or gone) is cancelled rather than sent, unless
            -- its last claim ran out without a report (it may have gone
            -- out: it goes again); a nacked one did not go.
            -- A thank-you is about settled entries: it always goes.
            settled AS (
                SELECT p.message_id FROM picked p
                JOIN dunning.action a ON a.action_id = p.action_id
                WHERE p.status <> 'claimed' AND a.step <> 'thanks'
                  AND NOT EXISTS (SELECT FROM dunning.action_entry ae
                                  JOIN %s AS e ON e.entry_id = ae.entry_id AND e.customer_id = ae.customer_id
                                  WHERE ae.action_id = p.action_id AND ae.selected AND ae.open_amount > 0
                                    AND COALESCE(e.open_amount, 1) > 0)),
            changed AS (
                UPDATE dunning.outbox o
                   SET status = CASE WHEN st.message_id IS NULL THEN 'claimed' ELSE 'cancelled' END,
                       attempts = o.attempts + CASE WHEN st.message_id IS NULL THEN 1 ELSE 0 END,
                       claimed_by = CASE WHEN st.message_id IS NULL THEN $1 ELSE o.claimed_by END,
                       claim_token = CASE WHEN st.message_id IS NULL THEN pg_catalog.gen_random_uuid() ELSE o.claim_token END,
                       available_at = CASE WHEN st.message_id IS NULL THEN $5 + $3
                                           ELSE o.available_at END,
                       finished_at = CASE WHEN st.message_id IS NULL THEN NULL ELSE $5 END
                  FROM picked p
                  LEFT JOIN settled st ON st.message_id = p.message_id
                 WHERE o.message_id = p.message_id
                RETURNING o.*),
            cancelled_event AS (
                INSERT INTO dunning.action_event (action_id, status, note)
                SELECT c.action_id, 'cancelled', 'every entry was settled before the message was delivered'
                FROM changed c WHERE c.status = 'cancelled'),
            cancelled_action AS (
                UPDATE dunning.action a SET status = 'cancelled'
                  FROM changed c
                 WHERE c.status = 'cancelled' AND a.action_id = c.action_id)
            SELECT c.status, c.message_id, c.claim_token, c.available_at, c.attempts, c.action_id, c.customer_id,
                   c.media::text AS media, c.recipient, c.subject, c.body, c.payload
            FROM changed c
            ORDER BY c.message_id
            $q$, s.entry_source)
        USING sender, wanted, lease, s.max_attempts, at_now
        LOOP
            IF r.status = 'cancelled' THEN
                cancelled := cancelled + 1;
                CONTINUE;
            END IF;
            message_id := r.message_id;
            token := r.claim_token;
            lease_expires_at := r.available_at;
            attempt := r.attempts;
            action_id := r.action_id;
            customer_id := r.customer_id;
            media := r.media;
            recipient := r.recipient;
            subject := r.subject;
            body := r.body;
            payload := r.payload;
            RETURN NEXT;
            handed := handed + 1;
        END LOOP;
        wanted := wanted - handed;
        EXIT WHEN wanted = 0 OR cancelled = 0;
    END LOOP;
END
$$;
COMMENT ON FUNCTION dunning.claim(text, integer, interval) IS
    'hands a sender up to max messages to deliver, each with a token that acknowledges it until another claim replaces it (possible once the lease expires); never the same message to two senders';

-- Why a token does not (or no longer) ack or nack a message.  Returns
-- quietly only for a repeated ack of a message this token delivered.
CREATE FUNCTION dunning.check_token(message_id bigint, token uuid, verb text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m dunning.outbox;
BEGIN
    IF message_id IS NULL OR token IS NULL THEN
        RAISE EXCEPTION '% needs a message_id and its claim token, got message_id % and token %', verb,
                COALESCE(message_id::text, 'NULL'), COALESCE(token::text, 'NULL')
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO m FROM dunning.outbox o WHERE o.message_id = check_token.message_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown message_id %', message_id USING ERRCODE = 'no_data_found';
    END IF;
    IF m.claim_token IS DISTINCT FROM token THEN
        IF m.status = 'claimed' THEN
            RAISE EXCEPTION 'token % does not hold message %: sender % holds it under another claim',
                    token, message_id, m.claimed_by
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = 'The other sender delivers it and reports on it; this ' || verb || ' changed nothing.',
                      HINT = 'If it was your claim, its lease ran out: use a lease longer than a batch takes to deliver.';
        END IF;
        RAISE EXCEPTION 'token % does not hold message % (now %)', token, message_id, m.status
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'Only the token of the latest claim acknowledges a message; this ' || verb || ' changed nothing.';
    END IF;
    IF verb = 'ack' AND m.status = 'sent' THEN
        RETURN;   -- the same ack again (a retried call): already done
    END IF;
    RAISE EXCEPTION 'message % is % and no longer claimed: there is nothing to %', message_id, m.status, verb
        USING ERRCODE = 'object_not_in_prerequisite_state';
END
$$;

CREATE FUNCTION dunning.ack(message_id bigint, token uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m dunning.outbox;
BEGIN
    -- A concurrent re-claim holds the row: this waits for it, then finds
    -- the token changed and refuses.
    UPDATE dunning.outbox o SET status = 'sent', finished_at = pg_catalog.clock_timestamp()
     WHERE o.message_id = ack.message_id AND o.claim_token = ack.token AND o.status = 'claimed'
    RETURNING o.* INTO m;
    IF NOT FOUND THEN
        PERFORM dunning.check_token(message_id, token, 'ack');
        RETURN;
    END IF;
    INSERT INTO dunning.action_event (action_id, status, note)
    VALUES (m.action_id, 'sent', pg_catalog.format('delivered by sender %s on attempt %s', m.claimed_by, m.attempts));
    UPDATE dunning.action a SET status = 'sent' WHERE a.action_id = m.action_id;
END
$$;
COMMENT ON FUNCTION dunning.ack(bigint, uuid) IS
    'records a claimed message as delivered; refused when the token is not the message''s latest claim';

CREATE FUNCTION dunning.nack(message_id bigint, token uuid, error text, retry_in interval DEFAULT '5 minutes')
    RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m dunning.outbox;
    limit_attempts integer := (SELECT s.max_attempts FROM dunning.settings s);
    at_now timestamptz := pg_catalog.clock_timestamp();
BEGIN
    IF retry_in IS NULL OR retry_in < '0' OR retry_in > '7 days' THEN
        RAISE EXCEPTION 'retry_in must be between 0 and 7 days, got %', COALESCE(retry_in::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE dunning.outbox o
       SET status = CASE WHEN o.attempts >= limit_attempts THEN 'dead' ELSE 'failed' END,
           last_error = COALESCE(nack.error, 'no error given'),
           available_at = at_now + retry_in,
           finished_at = CASE WHEN o.attempts >= limit_attempts THEN at_now END
     WHERE o.message_id = nack.message_id AND o.claim_token = nack.token AND o.status = 'claimed'
    RETURNING o.* INTO m;
    IF NOT FOUND THEN
        PERFORM dunning.check_token(message_id, token, 'nack');   -- raises: a nack is never repeated
    END IF;
    INSERT INTO dunning.action_event (action_id, status, note)
    VALUES (m.action_id, 'failed',
            pg_catalog.format('attempt %s of %s by sender %s: %s%s', m.attempts, limit_attempts, m.claimed_by,
                              m.last_error, CASE WHEN m.status = 'dead' THEN ' (dead: no more attempts)' END));
    IF m.status = 'dead' THEN
        UPDATE dunning.action a SET status = 'failed' WHERE a.action_id = m.action_id;
    END IF;
    RETURN m.status;
END
$$;
COMMENT ON FUNCTION dunning.nack(bigint, uuid, text, interval) IS
    'records a failed delivery: the message is claimable again after retry_in, or dead after settings.max_attempts; returns failed or dead';

-- Per media and status: how many messages, and how old the oldest is.
CREATE VIEW dunning.outbox_status AS
SELECT o.media, o.status, pg_catalog.count(*) AS messages,
       pg_catalog.min(o.queued_at) AS oldest_queued_at,
       pg_catalog.now() - pg_catalog.min(o.queued_at) AS oldest_age
FROM dunning.outbox o
GROUP BY o.media, o.status;
COMMENT ON VIEW dunning.outbox_status IS 'outbox messages per media and status, with the age of the oldest';

SELECT pg_catalog.pg_extension_config_dump('dunning.outbox', '');
SELECT pg_catalog.pg_extension_config_dump('dunning.message_id_seq', '');

-------------------------------------------------------------------------------
-- Privileges.  dunning_sender gets the three calls and nothing else.
-------------------------------------------------------------------------------
REVOKE ALL ON dunning.outbox, dunning.outbox_status FROM PUBLIC;
REVOKE ALL ON SEQUENCE dunning.message_id_seq FROM PUBLIC;
REVOKE ALL ON FUNCTION dunning.queue_messages(bigint[], date), dunning.claim(text, integer, interval),
                       dunning.check_token(bigint, uuid, text), dunning.ack(bigint, uuid),
                       dunning.nack(bigint, uuid, text, interval)
    FROM PUBLIC;
GRANT SELECT ON dunning.outbox, dunning.outbox_status TO dunning_admin, dunning_collector;
GRANT SELECT ON dunning.outbox_status TO dunning_reader;
GRANT EXECUTE ON FUNCTION dunning.claim(text, integer, interval), dunning.ack(bigint, uuid),
                          dunning.nack(bigint, uuid, text, interval)
    TO dunning_sender;
