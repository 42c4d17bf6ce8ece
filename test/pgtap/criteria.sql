-- criteria.sql: the jsonb language of profile criteria.
--
-- Proves that dunning.criteria_check(jsonb), and with it INSERT and UPDATE of
-- dunning.profile, accept NULL and every documented form (a bare scalar for
-- equality on string and boolean fields; =, <>, <, <=, >, >= and a non-empty
-- "in" on attributes.<key>; several operators in one test), and refuse each
-- malformed criteria with SQLSTATE 23514 and a message naming the field,
-- operator or value, leaving the stored profiles unchanged.
\set ON_ERROR_STOP 1
BEGIN;
SELECT plan(226);

-------------------------------------------------------------------------------
-- Helpers (pg_temp, gone at the end of the session).
-------------------------------------------------------------------------------
-- The profile whose criteria every UPDATE below tries to change.
INSERT INTO dunning.profile (name, priority, criteria) VALUES ('Target', 10, '{"language": "fr"}');

-- Every profile row as text, in a stable order.
CREATE FUNCTION pg_temp.profiles() RETURNS text
    LANGUAGE sql AS $$
    SELECT pg_catalog.string_agg(p::text, ' ' ORDER BY p.profile_id) FROM dunning.profile p
$$;

-- Four tests: criteria_check, INSERT and UPDATE all accept the criteria, and
-- both profiles store it as given.
CREATE FUNCTION pg_temp.accepted(criteria jsonb, description text)
    RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
    RETURN NEXT lives_ok(format('SELECT dunning.criteria_check(%L::jsonb)', criteria),
                         'criteria_check accepts ' || description);
    RETURN NEXT lives_ok(format('INSERT INTO dunning.profile (name, criteria) VALUES (%L, %L::jsonb)',
                                'accepted: ' || description, criteria),
                         'INSERT accepts ' || description);
    RETURN NEXT lives_ok(format('UPDATE dunning.profile SET criteria = %L::jsonb WHERE name = %L',
                                criteria, 'Target'),
                         'UPDATE accepts ' || description);
    RETURN NEXT results_eq(
        format('SELECT p.criteria FROM dunning.profile p WHERE p.name IN (%L, %L) ORDER BY p.name',
               'accepted: ' || description, 'Target'),
        format('VALUES (%1$L::jsonb), (%1$L::jsonb)', criteria),
        'INSERT and UPDATE store ' || description);
END
$$;

-- Four tests: criteria_check, INSERT and UPDATE all refuse the criteria with
-- SQLSTATE 23514 and this message, and the profiles are as they were.
CREATE FUNCTION pg_temp.refused(criteria jsonb, errmsg text, description text)
    RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    before text := pg_temp.profiles();
BEGIN
    RETURN NEXT throws_ok(format('SELECT dunning.criteria_check(%L::jsonb)', criteria),
                          '23514', errmsg, 'criteria_check refuses ' || description);
    RETURN NEXT throws_ok(format('INSERT INTO dunning.profile (name, criteria) VALUES (%L, %L::jsonb)',
                                 'refused', criteria),
                          '23514', errmsg, 'INSERT refuses ' || description);
    RETURN NEXT throws_ok(format('UPDATE dunning.profile SET criteria = %L::jsonb WHERE name = %L',
                                 criteria, 'Target'),
                          '23514', errmsg, 'UPDATE refuses ' || description);
    RETURN NEXT is(pg_temp.profiles(), before,
                   'after refusing ' || description || ', no profile added and Target unchanged');
END
$$;

-------------------------------------------------------------------------------
-- Accepted: NULL (a profile given only by the customers' profile column).
-------------------------------------------------------------------------------
SELECT lives_ok($$SELECT dunning.criteria_check(NULL)$$, 'criteria_check accepts NULL');
SELECT lives_ok($$INSERT INTO dunning.profile (name, criteria) VALUES ('accepted: NULL', NULL)$$,
                'INSERT accepts NULL criteria');
SELECT lives_ok($$UPDATE dunning.profile SET criteria = NULL WHERE name = 'Target'$$,
                'UPDATE accepts NULL criteria');
SELECT results_eq(
    $$SELECT p.criteria FROM dunning.profile p WHERE p.name IN ('accepted: NULL', 'Target')$$,
    $$VALUES (NULL::jsonb), (NULL::jsonb)$$,
    'INSERT and UPDATE store NULL criteria');

-------------------------------------------------------------------------------
-- Accepted: a bare scalar tests equality; string fields take strings.
-------------------------------------------------------------------------------
SELECT * FROM pg_temp.accepted('{"customer_id": "C001"}', 'a string on customer_id');
SELECT * FROM pg_temp.accepted('{"name": "ACME"}', 'a string on name');
SELECT * FROM pg_temp.accepted('{"email": "billing@acme.example"}', 'a string on email');
SELECT * FROM pg_temp.accepted('{"language": "en"}', 'a string on language');
SELECT * FROM pg_temp.accepted('{"collector": "alice"}', 'a string on collector');

-- Boolean fields take booleans.
SELECT * FROM pg_temp.accepted('{"stop_dunning": true}', 'a boolean on stop_dunning');
SELECT * FROM pg_temp.accepted('{"in_dispute": false}', 'a boolean on in_dispute');
SELECT * FROM pg_temp.accepted('{"stop_dunning": {"<>": true}, "in_dispute": {"in": [true, false]}}',
                               '<> and in on boolean fields');

-- Operators on string fields.
SELECT * FROM pg_temp.accepted('{"language": {"in": ["en", "de"]}}', 'in on a string field');
SELECT * FROM pg_temp.accepted('{"collector": {"<>": "bob"}}', '<> on a string field');

-- attributes.<key>: every operator, with numbers, strings and booleans.
SELECT * FROM pg_temp.accepted('{"attributes.segment": "public"}', 'a bare string on an attribute');
SELECT * FROM pg_temp.accepted('{"attributes.employees": 250}', 'a bare number on an attribute');
SELECT * FROM pg_temp.accepted('{"attributes.vip": true}', 'a bare boolean on an attribute');
SELECT * FROM pg_temp.accepted('{"attributes.vip": {"=": false}}', '= with a boolean on an attribute');
SELECT * FROM pg_temp.accepted('{"attributes.segment": {"<>": "retail"}}', '<> with a string on an attribute');
SELECT * FROM pg_temp.accepted('{"attributes.revenue": {"<": 1000000}}', '< with a number on an attribute');
SELECT * FROM pg_temp.accepted('{"attributes.revenue": {"<=": 99.5}}', '<= with a number on an attribute');
SELECT * FROM pg_temp.accepted('{"attributes.since": {">": "2020-01-01"}}', '> with a string on an attribute');
SELECT * FROM pg_temp.accepted('{"attributes.revenue": {">=": 0}}', '>= with zero on an attribute');
SELECT * FROM pg_temp.accepted('{"attributes.segment": {"in": ["key_account", 3, true]}}',
                               'in with mixed scalars on an attribute');

-- Several operators in one test object (a range), several fields together.
SELECT * FROM pg_temp.accepted('{"attributes.revenue": {">=": 100000, "<": 1000000}}', 'a range on an attribute');
SELECT * FROM pg_temp.accepted(
    '{"language": "en", "attributes.segment": {"in": ["key_account", "public"]}, "attributes.revenue": {">=": 100000, "<": 1000000}}',
    'the documented example');

-------------------------------------------------------------------------------
-- Refused: criteria that are not an object, or an empty one.
-------------------------------------------------------------------------------
SELECT * FROM pg_temp.refused('[{"language": "en"}]',
    'profile criteria must be a JSON object of field tests, got [{"language": "en"}]', 'an array');
SELECT * FROM pg_temp.refused('"en"',
    'profile criteria must be a JSON object of field tests, got "en"', 'a string');
SELECT * FROM pg_temp.refused('42',
    'profile criteria must be a JSON object of field tests, got 42', 'a number');
SELECT * FROM pg_temp.refused('null',
    'profile criteria must be a JSON object of field tests, got null', 'a JSON null');
SELECT * FROM pg_temp.refused('{}',
    'profile criteria {} test no field', 'an empty object');

-------------------------------------------------------------------------------
-- Refused: unknown fields.
-------------------------------------------------------------------------------
SELECT * FROM pg_temp.refused('{"country": "FR"}',
    'unknown field "country" in profile criteria', 'the unknown field country');
SELECT * FROM pg_temp.refused('{"attributes.": "x"}',
    'unknown field "attributes." in profile criteria', 'attributes. with an empty key');
SELECT * FROM pg_temp.refused('{"attributes": {"segment": "public"}}',
    'unknown field "attributes" in profile criteria', 'attributes without a key');
SELECT * FROM pg_temp.refused('{"profile": "Export"}',
    'unknown field "profile" in profile criteria', 'the field profile');
SELECT * FROM pg_temp.refused('{"Language": "en"}',
    'unknown field "Language" in profile criteria', 'a field with the wrong case');
SELECT * FROM pg_temp.refused('{"language": "en", "country": "FR"}',
    'unknown field "country" in profile criteria', 'an unknown field next to a valid one');

-------------------------------------------------------------------------------
-- Refused: unknown operators and empty tests.
-------------------------------------------------------------------------------
SELECT * FROM pg_temp.refused('{"name": {"like": "ACME%"}}',
    'unknown operator "like" for field "name" in profile criteria', 'the operator like');
SELECT * FROM pg_temp.refused('{"name": {"~": "^ACME"}}',
    'unknown operator "~" for field "name" in profile criteria', 'the operator ~');
SELECT * FROM pg_temp.refused('{"attributes.revenue": {">=": 0, "!=": 5}}',
    'unknown operator "!=" for field "attributes.revenue" in profile criteria', 'an unknown operator next to a valid one');
SELECT * FROM pg_temp.refused('{"name": {}}',
    'empty test {} for field "name" in profile criteria', 'an empty test object');

-------------------------------------------------------------------------------
-- Refused: "in" takes a non-empty array.
-------------------------------------------------------------------------------
SELECT * FROM pg_temp.refused('{"language": {"in": "en"}}',
    'operator "in" for field "language" needs a non-empty JSON array, got "en"', 'in with a string');
SELECT * FROM pg_temp.refused('{"attributes.segment": {"in": {"a": 1}}}',
    'operator "in" for field "attributes.segment" needs a non-empty JSON array, got {"a": 1}', 'in with an object');
SELECT * FROM pg_temp.refused('{"language": {"in": []}}',
    'operator "in" for field "language" needs a non-empty JSON array, got []', 'in with an empty array');

-------------------------------------------------------------------------------
-- Refused: values of the wrong type for the field.
-------------------------------------------------------------------------------
-- A number, a boolean on a string field.
SELECT * FROM pg_temp.refused('{"language": 5}',
    'value 5 cannot be used with operator "=" on field "language" in profile criteria', 'a number on a string field');
SELECT * FROM pg_temp.refused('{"customer_id": {"in": ["C001", 42]}}',
    'value 42 cannot be used with operator "in" on field "customer_id" in profile criteria', 'a number in the in-list of a string field');
SELECT * FROM pg_temp.refused('{"email": true}',
    'value true cannot be used with operator "=" on field "email" in profile criteria', 'a boolean on a string field');
-- A string on a boolean field.
SELECT * FROM pg_temp.refused('{"stop_dunning": "true"}',
    'value "true" cannot be used with operator "=" on field "stop_dunning" in profile criteria', 'a string on a boolean field');
SELECT * FROM pg_temp.refused('{"in_dispute": 1}',
    'value 1 cannot be used with operator "=" on field "in_dispute" in profile criteria', 'a number on a boolean field');
-- An ordering operator on a boolean.
SELECT * FROM pg_temp.refused('{"stop_dunning": {">": false}}',
    'value false cannot be used with operator ">" on field "stop_dunning" in profile criteria', '> on a boolean field');
SELECT * FROM pg_temp.refused('{"in_dispute": {"<=": true}}',
    'value true cannot be used with operator "<=" on field "in_dispute" in profile criteria', '<= on a boolean field');
SELECT * FROM pg_temp.refused('{"attributes.vip": {"<": true}}',
    'value true cannot be used with operator "<" on field "attributes.vip" in profile criteria', '< with a boolean on an attribute');

-------------------------------------------------------------------------------
-- Refused: objects, arrays and null as values.
-------------------------------------------------------------------------------
SELECT * FROM pg_temp.refused('{"attributes.segment": {"=": {"a": 1}}}',
    'value {"a": 1} cannot be used with operator "=" on field "attributes.segment" in profile criteria', 'an object as a value');
SELECT * FROM pg_temp.refused('{"attributes.segment": ["key_account", "public"]}',
    'value ["key_account", "public"] cannot be used with operator "=" on field "attributes.segment" in profile criteria', 'an array as a bare value');
SELECT * FROM pg_temp.refused('{"attributes.revenue": {">=": [1]}}',
    'value [1] cannot be used with operator ">=" on field "attributes.revenue" in profile criteria', 'an array as an operand');
SELECT * FROM pg_temp.refused('{"attributes.segment": {"in": [["a"]]}}',
    'value ["a"] cannot be used with operator "in" on field "attributes.segment" in profile criteria', 'an array inside an in-list');
SELECT * FROM pg_temp.refused('{"attributes.segment": null}',
    'value null cannot be used with operator "=" on field "attributes.segment" in profile criteria', 'null as a bare value');
SELECT * FROM pg_temp.refused('{"language": {"<>": null}}',
    'value null cannot be used with operator "<>" on field "language" in profile criteria', 'null as an operand');
SELECT * FROM pg_temp.refused('{"attributes.segment": {"in": ["a", null]}}',
    'value null cannot be used with operator "in" on field "attributes.segment" in profile criteria', 'null inside an in-list');

-------------------------------------------------------------------------------
-- After all the refusals, Target still holds the last accepted criteria.
-------------------------------------------------------------------------------
SELECT is((SELECT p.criteria FROM dunning.profile p WHERE p.name = 'Target'),
          '{"language": "en", "attributes.segment": {"in": ["key_account", "public"]}, "attributes.revenue": {">=": 100000, "<": 1000000}}'::jsonb,
          'Target keeps the criteria of its last accepted UPDATE');
SELECT is((SELECT pg_catalog.count(*) FROM dunning.profile p WHERE p.name = 'refused'), 0::bigint,
          'no refused INSERT left a profile');

SELECT * FROM finish();
ROLLBACK;
