--
-- The outbox and the nightly run: signatures, and every refusal as a DBA or
-- a sender's developer reads it (message, DETAIL, HINT; test/pgtap/outbox.sql
-- checks the SQLSTATEs).
--
\set VERBOSITY default
\set SHOW_CONTEXT never

-- What a sender gets back from claim.
SELECT pg_catalog.pg_get_function_identity_arguments(p.oid) AS arguments,
       pg_catalog.pg_get_function_result(p.oid) AS result, p.prosecdef AS security_definer,
       p.proconfig AS settings
  FROM pg_catalog.pg_proc p
 WHERE p.pronamespace = 'dunning'::regnamespace
   AND p.proname IN ('claim', 'ack', 'nack', 'run_nightly', 'schedule_nightly', 'unschedule_nightly')
 ORDER BY p.proname;

-- An empty outbox: nothing to claim, nothing in the status view.
SELECT * FROM dunning.claim('regress');
SELECT * FROM dunning.outbox_status;

-- Bad batch sizes, leases and senders.
SELECT * FROM dunning.claim('regress', 0);
SELECT * FROM dunning.claim('regress', 5000);
SELECT * FROM dunning.claim('regress', NULL);
SELECT * FROM dunning.claim('regress', 10, '-1 minute');
SELECT * FROM dunning.claim('regress', 10, '0.5 seconds');
SELECT * FROM dunning.claim('regress', 10, '1 year');
SELECT * FROM dunning.claim('', 10);

-- Unknown messages and missing tokens.
SELECT dunning.ack(123456789, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
SELECT dunning.nack(123456789, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'timeout');
SELECT dunning.ack(123456789, NULL);
SELECT dunning.nack(123456789, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'timeout', '-5 minutes');
SELECT dunning.nack(123456789, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'timeout', '1 month');

-- settings.max_attempts.
UPDATE dunning.settings SET max_attempts = 0;
UPDATE dunning.settings SET max_attempts = 101;
SELECT max_attempts FROM dunning.settings;

-- Scheduling where pg_cron is not installed: the call to run in its database.
SELECT dunning.schedule_nightly();
SELECT dunning.schedule_nightly('15 2 * * 1-5');
SELECT dunning.schedule_nightly('  ');
SELECT dunning.unschedule_nightly();

-- An admin who is not a superuser cannot read cron.database_name: the same
-- refusal, without it.
CREATE ROLE regress_dunning_admin IN ROLE dunning_admin;
SET ROLE regress_dunning_admin;
SELECT dunning.schedule_nightly();
RESET ROLE;
DROP ROLE regress_dunning_admin;
