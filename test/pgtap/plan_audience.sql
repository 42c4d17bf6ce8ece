-- plan_audience.sql: which scenario a customer follows, and who handles it.
--
-- SPEC.md, "The ledger contract": customers' `email text` ("null or blank =
-- customer without email"), `collector text` ("who handles the customer"),
-- `profile text` ("explicit profile, optional"); "Rows that break the
-- contract [...] are skipped and recorded, with the reason, in
-- `dunning.anomaly`, which a run's summary counts."
-- SPEC.md, "Configuration": "`dunning.profile(profile_id, name, priority,
-- criteria)` [...] Membership is recomputed by every planning run; a
-- customer's explicit `profile` wins; everyone else falls to `Standard`."
-- "`dunning.scenario(...)`: exactly two per profile, `audience` `with_email`
-- and `without_email`"; steps: "`email` refused in a `without_email`
-- scenario".
-- SPEC.md, "The rules", 1: "Scenario: by the customer's profile and whether
-- it has an email; a disabled scenario or audience yields nothing."
-- 11: "Every action is assigned to the customer's collector."
--
-- Proves, planning on 2025-03-10 (every customer has an entry due
-- 2025-03-01, so R1 is due, and one due 2025-03-12, in its pre-due window
-- for customers with an email):
--   * a customer whose email is NULL, '' or '  ' follows the without_email
--     scenario (R1 by letter, no pre-due) and never gets an email action; a
--     customer with an email follows with_email (pre-due and R1 by email);
--   * losing or gaining an email moves the customer's open proposals to the
--     other audience on the next run;
--   * profiles: the explicit profile wins over criteria; among matching
--     profiles the lowest priority wins; Standard when nothing matches; an
--     unknown explicit profile is recorded in dunning.anomaly (and counted by
--     the run) and the customer falls back to criteria, else Standard;
--   * a disabled scenario yields no action (explain: 'scenario disabled')
--     while the same profile's other audience still works;
--   * every action carries its customer's collector, and follows a change.
BEGIN;
SELECT plan(21);
SET LOCAL client_min_messages = warning;

-------------------------------------------------------------------------------
-- Configuration: three profiles copying Standard's steps; Off's with_email
-- scenario is disabled.
-------------------------------------------------------------------------------
CREATE TEMPORARY TABLE made_profiles AS
SELECT dunning.create_profile('Key', 10, '{"attributes.segment": "key"}') AS profile_id
UNION ALL
SELECT dunning.create_profile('Big', 20, '{"attributes.revenue": {">=": 1000}}')
UNION ALL
SELECT dunning.create_profile('Off', 5, '{"attributes.segment": "off"}');
UPDATE dunning.scenario sc SET enabled = false
  FROM dunning.profile p
 WHERE p.profile_id = sc.profile_id AND p.name = 'Off' AND sc.audience = 'with_email';

-------------------------------------------------------------------------------
-- The ledger: two entries per customer.
-------------------------------------------------------------------------------
INSERT INTO dunning.customer (customer_id, name, email, collector, profile, attributes) VALUES
    ('AN1', 'Null email',   NULL,                 'ann', NULL,    '{}'),
    ('AN2', 'Empty email',  '',                   'ann', NULL,    '{}'),
    ('AN3', 'Blank email',  '  ',                 'bob', NULL,    '{}'),
    ('AM',  'With email',   'am@example.com',     'bob', NULL,    '{}'),
    ('PK',  'Key and big',  'pk@example.com',     'cid', NULL,    '{"segment": "key", "revenue": 5000}'),
    ('PB',  'Big only',     'pb@example.com',     'cid', NULL,    '{"revenue": 5000}'),
    ('PX',  'Explicit Big', 'px@example.com',     'dan', 'Big',   '{"segment": "key"}'),
    ('PG',  'Ghost',        'pg@example.com',     'dan', 'Ghost', '{}'),
    ('PGK', 'Ghost key',    'pgk@example.com',    'dan', 'Ghost', '{"segment": "key"}'),
    ('PS',  'Standard',     'ps@example.com',     NULL,  NULL,    '{"segment": "other", "revenue": 10}'),
    ('OE',  'Off email',    'oe@example.com',     'eve', NULL,    '{"segment": "off"}'),
    ('ON',  'Off no email', NULL,                 'eve', NULL,    '{"segment": "off"}');

INSERT INTO dunning.entry (entry_id, customer_id, document_number, kind, document_date, due_date,
                           amount, open_amount, currency)
SELECT c.customer_id || '-1', c.customer_id, 'F-' || c.customer_id || '-1', 'invoice',
       DATE '2025-02-01', DATE '2025-03-01', 100.00, 100.00, 'EUR'
FROM dunning.customer c
UNION ALL
SELECT c.customer_id || '-2', c.customer_id, 'F-' || c.customer_id || '-2', 'invoice',
       DATE '2025-02-12', DATE '2025-03-12', 200.00, 200.00, 'EUR'
FROM dunning.customer c;

CREATE TEMPORARY TABLE runs (as_of date, run_id bigint);
INSERT INTO pg_temp.runs SELECT DATE '2025-03-10', dunning.plan(DATE '2025-03-10');

-- Actions with their profile name and audience.
CREATE TEMPORARY VIEW planned AS
SELECT a.action_id, a.customer_id, a.step AS step_key, a.step::text AS step, a.media::text AS media, a.status,
       p.name AS profile, sc.audience::text AS audience, a.collector
FROM dunning.action a
JOIN dunning.profile p ON p.profile_id = a.profile_id
JOIN dunning.scenario sc ON sc.scenario_id = a.scenario_id AND sc.profile_id = a.profile_id;

-------------------------------------------------------------------------------
-- With and without email
-------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT customer_id, profile, audience, step, media FROM pg_temp.planned
      WHERE customer_id IN ('AN1', 'AN2', 'AN3') ORDER BY customer_id, step_key$$,
    $$VALUES ('AN1', 'Standard', 'without_email', 'R1', 'letter'),
             ('AN2', 'Standard', 'without_email', 'R1', 'letter'),
             ('AN3', 'Standard', 'without_email', 'R1', 'letter')$$,
    'a customer whose email is NULL, empty or blank follows the without_email scenario: R1 by letter, no pre-due');
SELECT is_empty(
    $$SELECT a.action_id FROM dunning.action a
      JOIN dunning.customer c ON c.customer_id = a.customer_id
      WHERE a.media = 'email' AND COALESCE(c.email, '') !~ '\S'$$,
    'no customer without an email has an email action, at any step');
SELECT results_eq(
    $$SELECT e.entry_id, e.verdict FROM dunning.explain('AN3', DATE '2025-03-10') e$$,
    $$VALUES ('AN3-1', 'due: proposed at R1'), ('AN3-2', 'not due until 2025-03-17')$$,
    'explain: without an email the entry due 2025-03-12 waits for R1 (2025-03-17), no pre-due');
SELECT results_eq(
    $$SELECT customer_id, profile, audience, step, media FROM pg_temp.planned
      WHERE customer_id = 'AM' ORDER BY step_key$$,
    $$VALUES ('AM', 'Standard', 'with_email', 'pre_due', 'email'),
             ('AM', 'Standard', 'with_email', 'R1', 'email')$$,
    'a customer with an email follows the with_email scenario: pre-due and R1 by email');
SELECT results_eq(
    $$SELECT pr.customer_id, pr.profile, pr.media::text, pr.step::text FROM dunning.proposal pr
      WHERE pr.customer_id IN ('AM', 'AN1') ORDER BY pr.customer_id, pr.step$$,
    $$VALUES ('AM', 'Standard', 'email', 'pre_due'), ('AM', 'Standard', 'email', 'R1'),
             ('AN1', 'Standard', 'letter', 'R1')$$,
    'dunning.proposal shows each proposal''s profile and media');

-------------------------------------------------------------------------------
-- Profiles
-------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT DISTINCT customer_id, profile FROM pg_temp.planned
      WHERE customer_id IN ('PK', 'PB', 'PX', 'PG', 'PGK', 'PS', 'ON') ORDER BY customer_id$$,
    $$VALUES ('ON', 'Off'), ('PB', 'Big'), ('PG', 'Standard'), ('PGK', 'Key'),
             ('PK', 'Key'), ('PS', 'Standard'), ('PX', 'Big')$$,
    'profiles: explicit wins (PX), lowest priority among matches (PK), criteria (PB, ON), Standard fallback (PS), unknown explicit falls back (PG, PGK)');
SELECT results_eq(
    $$SELECT customer_id, step, media FROM pg_temp.planned WHERE profile = 'Key' ORDER BY customer_id, step_key$$,
    $$VALUES ('PGK', 'pre_due', 'email'), ('PGK', 'R1', 'email'), ('PK', 'pre_due', 'email'), ('PK', 'R1', 'email')$$,
    'a profile made by create_profile plans with the steps it copied from Standard');
SELECT results_eq(
    $$SELECT an.customer_id, an.entry_id, an.reason FROM dunning.anomaly an
      WHERE an.run_id = (SELECT r.run_id FROM pg_temp.runs r WHERE r.as_of = DATE '2025-03-10')
      ORDER BY an.customer_id$$,
    $$VALUES ('PG', NULL::text, 'unknown profile ''Ghost'': Standard or criteria used'),
             ('PGK', NULL, 'unknown profile ''Ghost'': Standard or criteria used')$$,
    'an unknown explicit profile is recorded in dunning.anomaly, one row per customer');
SELECT results_eq(
    $$SELECT r.status, r.anomalies FROM dunning.run r
      WHERE r.run_id = (SELECT x.run_id FROM pg_temp.runs x WHERE x.as_of = DATE '2025-03-10')$$,
    $$VALUES ('done', 2::bigint)$$,
    'the run completes and counts the two unknown-profile anomalies');

-------------------------------------------------------------------------------
-- A disabled scenario
-------------------------------------------------------------------------------
SELECT is_empty(
    $$SELECT a.action_id FROM dunning.action a WHERE a.customer_id = 'OE'$$,
    'a customer whose scenario (Off, with_email) is disabled gets no action');
SELECT results_eq(
    $$SELECT e.entry_id, e.verdict FROM dunning.explain('OE', DATE '2025-03-10') e$$,
    $$VALUES ('OE-1', 'scenario disabled'), ('OE-2', 'scenario disabled')$$,
    'explain says why: scenario disabled');
SELECT results_eq(
    $$SELECT customer_id, profile, audience, step, media FROM pg_temp.planned WHERE customer_id = 'ON'$$,
    $$VALUES ('ON', 'Off', 'without_email', 'R1', 'letter')$$,
    'the same profile''s enabled audience (without_email) still plans');

-------------------------------------------------------------------------------
-- Collectors
-------------------------------------------------------------------------------
SELECT is(
    (SELECT pg_catalog.count(*) FROM dunning.action a), 18::bigint,
    '18 actions: R1 for the 11 customers with an enabled scenario, pre-due for the 7 of them with an email');
SELECT is_empty(
    $$SELECT a.action_id FROM dunning.action a
      JOIN dunning.customer c ON c.customer_id = a.customer_id
      WHERE a.collector IS DISTINCT FROM c.collector$$,
    'every action is assigned to its customer''s collector');
SELECT results_eq(
    $$SELECT pr.customer_id, pr.collector FROM dunning.proposal pr
      WHERE pr.step = 'R1' AND pr.customer_id IN ('AN3', 'PK', 'PS', 'ON') ORDER BY 1$$,
    $$VALUES ('AN3', 'bob'), ('ON', 'eve'), ('PK', 'cid'), ('PS', NULL::text)$$,
    'dunning.proposal shows the collector (NULL for a customer without one)');

-------------------------------------------------------------------------------
-- The next run follows the ledger: email lost or gained, collector changed.
-------------------------------------------------------------------------------
UPDATE dunning.customer SET email = ' ' WHERE customer_id = 'AM';
UPDATE dunning.customer SET email = 'an1@example.com' WHERE customer_id = 'AN1';
UPDATE dunning.customer SET collector = 'zoe' WHERE customer_id IN ('AN2', 'PK');
INSERT INTO pg_temp.runs SELECT DATE '2025-03-11', dunning.plan(DATE '2025-03-11');

SELECT results_eq(
    $$SELECT customer_id, audience, step, media, status FROM pg_temp.planned
      WHERE customer_id IN ('AM', 'AN1') ORDER BY customer_id, step_key$$,
    $$VALUES ('AM', 'with_email', 'pre_due', 'email', 'cancelled'),
             ('AM', 'without_email', 'R1', 'letter', 'proposed'),
             ('AN1', 'with_email', 'pre_due', 'email', 'proposed'),
             ('AN1', 'with_email', 'R1', 'email', 'proposed')$$,
    'an email blanked: R1 moves to the letter of without_email and the pre-due email is cancelled; an email gained: email R1 and pre-due');
SELECT is_empty(
    $$SELECT a.action_id FROM dunning.action a
      JOIN dunning.customer c ON c.customer_id = a.customer_id
      WHERE a.status = 'proposed' AND a.media = 'email' AND COALESCE(c.email, '') !~ '\S'$$,
    'after the refresh, no open proposal emails a customer without an email');
SELECT results_eq(
    $$SELECT customer_id, step, collector FROM pg_temp.planned
      WHERE customer_id IN ('AN2', 'PK') AND status = 'proposed' ORDER BY customer_id, step_key$$,
    $$VALUES ('AN2', 'R1', 'zoe'), ('PK', 'pre_due', 'zoe'), ('PK', 'R1', 'zoe')$$,
    'a change of collector in the ledger reassigns the open proposals on the next run');
SELECT is_empty(
    $$SELECT a.action_id FROM dunning.action a
      JOIN dunning.customer c ON c.customer_id = a.customer_id
      WHERE a.status = 'proposed' AND a.collector IS DISTINCT FROM c.collector$$,
    'after the refresh every open proposal is still assigned to its customer''s collector');

-------------------------------------------------------------------------------
-- Profile membership is recomputed by every run.
-------------------------------------------------------------------------------
UPDATE dunning.customer SET attributes = '{"revenue": 5000}' WHERE customer_id = 'PS';
UPDATE dunning.customer SET profile = NULL WHERE customer_id = 'PX';
INSERT INTO pg_temp.runs SELECT DATE '2025-03-11', dunning.plan(DATE '2025-03-11');
SELECT results_eq(
    $$SELECT DISTINCT customer_id, profile FROM pg_temp.planned
      WHERE customer_id IN ('PS', 'PX') AND status = 'proposed' ORDER BY 1$$,
    $$VALUES ('PS', 'Big'), ('PX', 'Key')$$,
    'membership is recomputed by every run: new attributes give Big, a removed explicit profile leaves Key by criteria');
SELECT results_eq(
    $$SELECT an.customer_id, an.reason FROM dunning.anomaly an
      WHERE an.run_id = (SELECT pg_catalog.max(r.run_id) FROM pg_temp.runs r) ORDER BY 1$$,
    $$VALUES ('PG', 'unknown profile ''Ghost'': Standard or criteria used'),
             ('PGK', 'unknown profile ''Ghost'': Standard or criteria used')$$,
    'every run records the unknown profiles again, under its own run_id');

SELECT * FROM finish();
ROLLBACK;
