-- plan_criteria.sql: profile criteria as the planner evaluates them
-- (dunning.criteria_match), and the profile each customer gets.
--
-- SPEC "Configuration": criteria over customer columns and attributes, as
-- data; membership recomputed by every run; an explicit profile wins;
-- everyone else falls to Standard.  A missing or null field, or a value of
-- another JSON type, never matches, whatever the operator.
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT plan(18);

CREATE TEMPORARY TABLE c (label text, customer jsonb);
INSERT INTO c VALUES
    ('paris_big', '{"customer_id": "C1", "name": "Durand", "email": "a@d.example", "language": "fr",
                    "collector": "Claire", "stop_dunning": false, "in_dispute": false,
                    "attributes": {"segment": "grand_compte", "revenue": 250000, "region": "IDF", "vip": true}}'),
    ('small_en',  '{"customer_id": "C2", "name": "Smith", "email": null, "language": "en",
                    "collector": "Hugo", "stop_dunning": false, "in_dispute": true,
                    "attributes": {"segment": "pme", "revenue": "n/a"}}');

SELECT is(dunning.criteria_match('{"language": "fr"}', customer), label = 'paris_big', 'equality on a column: ' || label)
FROM c ORDER BY label;
SELECT is(dunning.criteria_match('{"attributes.segment": {"in": ["grand_compte", "public"]}}', customer),
          label = 'paris_big', 'membership in a list: ' || label)
FROM c ORDER BY label;
SELECT is(dunning.criteria_match('{"attributes.revenue": {">=": 100000, "<": 1000000}}', customer),
          label = 'paris_big', 'a range of numbers; a string revenue never compares with a number: ' || label)
FROM c ORDER BY label;
SELECT is(dunning.criteria_match('{"email": {"<>": "x@y.example"}}', customer),
          label = 'paris_big', 'a null email matches no test, not even <>: ' || label)
FROM c ORDER BY label;
SELECT is(dunning.criteria_match('{"attributes.vip": true}', customer),
          label = 'paris_big', 'a missing attribute matches nothing: ' || label)
FROM c ORDER BY label;
SELECT is(dunning.criteria_match('{"in_dispute": true, "language": "en"}', customer),
          label = 'small_en', 'every test must hold: ' || label)
FROM c ORDER BY label;
SELECT is(dunning.criteria_match('{"name": {">": "E"}}', customer),
          label = 'small_en', 'strings compare as strings: ' || label)
FROM c ORDER BY label;

-- The profile each customer gets from a run.
SELECT dunning.create_profile('Grands comptes', 10, '{"attributes.segment": "grand_compte"}') IS NOT NULL AS created;
SELECT dunning.create_profile('Anglophones', 20, '{"language": "en"}') IS NOT NULL AS created;
SELECT dunning.create_profile('Francophones', 30, '{"language": "fr"}') IS NOT NULL AS created;
SELECT dunning.create_profile('Tous grands', 5, '{"attributes.revenue": {">=": 100000}}') IS NOT NULL AS created;
INSERT INTO dunning.customer (customer_id, name, email, language, profile, attributes) VALUES
    ('K1', 'Durand', 'a@d.example', 'fr', NULL, '{"segment": "grand_compte", "revenue": 50000}'),
    ('K2', 'Smith', 'b@s.example', NULL, NULL, '{}'),
    ('K3', 'Jones', 'c@j.example', 'en', 'Grands comptes', '{}'),
    ('K4', 'Big', 'd@b.example', 'fr', NULL, '{"segment": "grand_compte", "revenue": 500000}'),
    ('K5', 'Lopez', 'e@l.example', 'en', NULL, '{}');
INSERT INTO dunning.entry (entry_id, customer_id, kind, due_date, amount, open_amount, currency)
SELECT 'E' || k, k, 'invoice', DATE '2026-06-01', 100, 100, 'EUR' FROM unnest(ARRAY['K1', 'K2', 'K3', 'K4', 'K5']) AS k;
SELECT lives_ok($$SELECT dunning.plan(DATE '2026-06-30')$$, 'plan');
SELECT results_eq(
    $$SELECT a.customer_id, p.name FROM dunning.action a JOIN dunning.profile p USING (profile_id)
       WHERE a.status = 'proposed' ORDER BY a.customer_id$$,
    $$VALUES ('K1', 'Grands comptes'), ('K2', 'Francophones'), ('K3', 'Grands comptes'),
             ('K4', 'Tous grands'), ('K5', 'Anglophones')$$,
    'criteria by priority (Tous grands before Grands comptes), explicit profile wins, a NULL language is French');
DELETE FROM dunning.profile WHERE name IN ('Francophones', 'Anglophones');
SELECT lives_ok($$SELECT dunning.plan(DATE '2026-07-01')$$, 'plan again without the language profiles');
SELECT results_eq(
    $$SELECT a.customer_id, p.name FROM dunning.action a JOIN dunning.profile p USING (profile_id)
       WHERE a.status = 'proposed' AND a.customer_id IN ('K2', 'K5') ORDER BY a.customer_id$$,
    $$VALUES ('K2', 'Standard'), ('K5', 'Standard')$$,
    'membership is recomputed by every run: without a matching profile, Standard');

SELECT * FROM finish();
ROLLBACK;
