-- config_rules.sql: every rule of the configuration tables.
--
-- Proves, for dunning.step, dunning.scenario, dunning.profile,
-- dunning.create_profile(), dunning.settings and dunning.template, that each
-- rule of SPEC "Configuration" refuses what it must with its SQLSTATE and its
-- exact message, that a refused statement leaves the whole configuration as
-- it was, that what the rule allows still goes through, and that an INSERT
-- whose key exists is refused, except during a restore (check_function_bodies
-- off, see dunning.restoring()) where it replaces the row instead of adding
-- one.  For templates, that includes the placeholder rules checked when one
-- is saved (src/render.c): an unknown placeholder (named, with the template,
-- in the subject or the body; the old {{entries}} too), an entry placeholder
-- outside {{#entries}}, a section unclosed, wrongly closed or unknown, a
-- section in a subject, a body without {{#entries}}, a letter without
-- {{company_name}}, {{customer_name}} and {{customer_address}}; every test
-- template that is meant to pass those rules has the smallest valid body of
-- its media, so that it is refused for its own rule only.
\set ON_ERROR_STOP 1
BEGIN;
SELECT plan(254);

-------------------------------------------------------------------------------
-- Helpers (pg_temp, gone at the end of the session).
-------------------------------------------------------------------------------
-- Every configuration row as text, in a stable order (template texts as md5,
-- to keep failure diagnostics short).
CREATE FUNCTION pg_temp.config_rows() RETURNS TABLE (tbl text, r text)
    LANGUAGE sql AS $$
    SELECT x.tbl, x.r FROM (
        SELECT 'settings', s::text FROM dunning.settings s
        UNION ALL SELECT 'template', ROW(t.template_id, t.name, t.media, t.language, t.builtin,
                                         pg_catalog.md5(t.subject), pg_catalog.md5(t.body))::text
                    FROM dunning.template t
        UNION ALL SELECT 'profile', p::text FROM dunning.profile p
        UNION ALL SELECT 'scenario', c::text FROM dunning.scenario c
        UNION ALL SELECT 'step', st::text FROM dunning.step st
    ) AS x (tbl, r)
    ORDER BY x.tbl COLLATE "C", x.r COLLATE "C"
$$;

-- Two tests: the statement fails with this SQLSTATE and message, and the
-- configuration afterwards is the one before.
CREATE TEMP TABLE config_before (tbl text, r text);
CREATE FUNCTION pg_temp.refused(statement text, errcode text, errmsg text, description text)
    RETURNS SETOF text LANGUAGE plpgsql
    SET client_min_messages = warning   -- no "truncate cascades" notices
AS $$
BEGIN
    TRUNCATE config_before;
    INSERT INTO config_before SELECT * FROM pg_temp.config_rows();
    RETURN NEXT throws_ok(statement, errcode, errmsg, description);
    RETURN NEXT results_eq('SELECT * FROM pg_temp.config_rows()',
                           'SELECT * FROM config_before ORDER BY tbl COLLATE "C", r COLLATE "C"',
                           description || ': nothing changed');
END
$$;

CREATE FUNCTION pg_temp.sid(profile text, audience text) RETURNS bigint
    LANGUAGE sql AS $$
    SELECT s.scenario_id FROM dunning.scenario s JOIN dunning.profile p USING (profile_id)
     WHERE p.name = $1 AND s.audience = $2::dunning.audience
$$;
CREATE FUNCTION pg_temp.tid(name text, language text) RETURNS bigint
    LANGUAGE sql AS $$
    SELECT t.template_id FROM dunning.template t WHERE t.name = $1 AND t.language = $2
$$;

SELECT profile_id AS std FROM dunning.profile WHERE name = 'Standard' \gset
SELECT pg_temp.sid('Standard', 'with_email') AS sw, pg_temp.sid('Standard', 'without_email') AS so \gset
SELECT pg_temp.tid('reminder', 'fr') AS t_reminder, pg_temp.tid('reminder_letter', 'fr') AS t_letter,
       pg_temp.tid('formal_notice', 'fr') AS t_formal \gset

SELECT ok(NOT dunning.restoring(), 'the tests run outside restore mode');

-------------------------------------------------------------------------------
-- Step names: pre_due, R1..R7, thanks and nothing else.
-------------------------------------------------------------------------------
SELECT is(pg_catalog.enum_range(NULL::dunning.step_name)::text[],
          ARRAY['pre_due', 'R1', 'R2', 'R3', 'R4', 'R5', 'R6', 'R7', 'thanks'],
          'step names are pre_due, R1..R7, thanks, in this order');
SELECT * FROM pg_temp.refused(
    format($$INSERT INTO dunning.step (scenario_id, step) VALUES (%s, 'R8')$$, :sw),
    '22P02', 'invalid input value for enum dunning.step_name: "R8"',
    'an unknown step R8 is refused');

-------------------------------------------------------------------------------
-- The nine steps of a scenario cannot be deleted, added to, renamed or moved.
-------------------------------------------------------------------------------
SELECT * FROM pg_temp.refused(
    format($$DELETE FROM dunning.step WHERE scenario_id = %s AND step = 'R4'$$, :sw),
    '23001', format('step R4 of scenario %s cannot be deleted: every scenario has its nine steps', :sw),
    'a disabled step cannot be deleted');
SELECT * FROM pg_temp.refused(
    format($$DELETE FROM dunning.step WHERE scenario_id = %s AND step = 'R1'$$, :so),
    '23001', format('step R1 of scenario %s cannot be deleted: every scenario has its nine steps', :so),
    'an enabled step cannot be deleted');
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.step (scenario_id, step) VALUES (0, 'R4')$$,
    '23514', 'cannot insert step R4 of scenario 0: steps are created with their scenario',
    'a step cannot be inserted for a scenario that does not exist');
SELECT * FROM pg_temp.refused(
    format($$INSERT INTO dunning.step (scenario_id, step, enabled, days, media, template_id)
             VALUES (%s, 'R4', true, 45, 'letter', %s)$$, :sw, :t_formal),
    '23514', format('cannot insert step R4 of scenario %s: steps are created with their scenario', :sw),
    'a step whose key exists cannot be inserted again outside a restore');
SELECT * FROM pg_temp.refused(
    $$TRUNCATE dunning.step$$,
    '23001', 'dunning.step cannot be truncated: it holds rows that ship with the extension',
    'steps cannot be truncated');
SELECT * FROM pg_temp.refused(
    format($$UPDATE dunning.step SET step = 'R4' WHERE scenario_id = %s AND step = 'R3'$$, :so),
    '23514', format('scenario_id and step of step R3 of scenario %s cannot change', :so),
    'a step cannot be renamed');
SELECT * FROM pg_temp.refused(
    format($$UPDATE dunning.step SET scenario_id = %s WHERE scenario_id = %s AND step = 'R4'$$, :sw, :so),
    '23514', format('scenario_id and step of step R4 of scenario %s cannot change', :so),
    'a step cannot move to another scenario');

-------------------------------------------------------------------------------
-- During a restore, an INSERT whose key (scenario_id, step) exists replaces
-- that row.
-------------------------------------------------------------------------------
SET LOCAL check_function_bodies = off;
SELECT ok(dunning.restoring(), 'check_function_bodies = off is restore mode');
SELECT lives_ok(
    format($$INSERT INTO dunning.step (scenario_id, step, enabled, days, media, template_id, auto_send)
             VALUES (%s, 'R4', true, 45, 'letter', %s, true)$$, :sw, :t_formal),
    'during a restore, INSERT of an existing step is accepted');
SELECT results_eq(
    format($$SELECT st.step::text, st.enabled, st.days, st.media::text, st.template_id, st.auto_send
               FROM dunning.step st WHERE st.scenario_id = %s ORDER BY st.step$$, :sw),
    format($$VALUES ('pre_due', true, 5, 'email', %1$s::bigint, false),
                    ('R1', true, 5, 'email', %2$s, false),
                    ('R2', true, 15, 'email', %5$s, false),
                    ('R3', true, 30, 'letter', %3$s, false),
                    ('R4', true, 45, 'letter', %3$s, true),
                    ('R5', false, NULL, NULL, NULL, false),
                    ('R6', false, NULL, NULL, NULL, false),
                    ('R7', false, NULL, NULL, NULL, false),
                    ('thanks', true, 3, 'email', %4$s, false)$$,
           pg_temp.tid('pre_due', 'fr'), :t_reminder, :t_formal, pg_temp.tid('thanks', 'fr'),
           pg_temp.tid('second_reminder', 'fr')),
    'the INSERT replaced step R4 and left nine steps, the others unchanged');
SELECT * FROM pg_temp.refused(
    format($$INSERT INTO dunning.step (scenario_id, step, enabled, days, media, template_id)
             VALUES (%s, 'R5', true, 400, 'letter', %s)$$, :sw, :t_formal),
    '23514', 'days of step R5 must be between 0 and 365, got 400',
    'during a restore, a replacing INSERT of a step is checked like an UPDATE');
RESET check_function_bodies;

-------------------------------------------------------------------------------
-- days: 0..365.
-------------------------------------------------------------------------------
SELECT * FROM pg_temp.refused(
    format($$UPDATE dunning.step SET days = -1 WHERE scenario_id = %s AND step = 'R1'$$, :sw),
    '23514', 'days of step R1 must be between 0 and 365, got -1',
    'days = -1 is refused');
SELECT * FROM pg_temp.refused(
    format($$UPDATE dunning.step SET days = 366 WHERE scenario_id = %s AND step = 'R1'$$, :sw),
    '23514', 'days of step R1 must be between 0 and 365, got 366',
    'days = 366 is refused');
SELECT * FROM pg_temp.refused(
    format($$UPDATE dunning.step SET days = -1 WHERE scenario_id = %s AND step = 'R6'$$, :sw),
    '23514', 'days of step R6 must be between 0 and 365, got -1',
    'days out of range is refused on a disabled step too');
SELECT lives_ok(
    format($$UPDATE dunning.step SET days = 0 WHERE scenario_id = %s AND step = 'R1'$$, :sw),
    'days = 0 is accepted');
SELECT * FROM pg_temp.refused(
    format($$UPDATE dunning.step SET days = 0 WHERE scenario_id = %s AND step = 'pre_due'$$, :sw),
    '23514', 'days of step pre_due must be at least 1 (a pre-due reminder comes before the due date), got 0',
    'days = 0 is refused for the pre-due reminder, which would never fire');
SELECT lives_ok(
    format($$UPDATE dunning.step SET days = 365 WHERE scenario_id = %s AND step = 'R2'$$, :sw),
    'days = 365 is accepted');
SELECT results_eq(
    format($$SELECT st.days FROM dunning.step st WHERE st.scenario_id = %s AND st.step IN ('R1', 'R2')
              ORDER BY st.step$$, :sw),
    $$VALUES (0), (365)$$,
    'days 0 and 365 are stored');

-------------------------------------------------------------------------------
-- An enabled step needs days and a media.
-------------------------------------------------------------------------------
SELECT * FROM pg_temp.refused(
    format($$UPDATE dunning.step SET enabled = true WHERE scenario_id = %s AND step = 'R5'$$, :sw),
    '23514', format('step R5 of scenario %s is enabled and needs days', :sw),
    'an enabled step without days is refused');
SELECT * FROM pg_temp.refused(
    format($$UPDATE dunning.step SET enabled = true, days = 10 WHERE scenario_id = %s AND step = 'R5'$$, :sw),
    '23514', format('step R5 of scenario %s is enabled and needs a media', :sw),
    'an enabled step without media is refused');
SELECT * FROM pg_temp.refused(
    format($$UPDATE dunning.step SET days = NULL WHERE scenario_id = %s AND step = 'R1'$$, :so),
    '23514', format('step R1 of scenario %s is enabled and needs days', :so),
    'days of an enabled step cannot be cleared');
SELECT lives_ok(
    format($$UPDATE dunning.step SET days = 10 WHERE scenario_id = %s AND step = 'R5'$$, :sw),
    'a disabled step may have days and no media');

-------------------------------------------------------------------------------
-- media: email, letter, phone, other; email refused without email.
-------------------------------------------------------------------------------
SELECT is(pg_catalog.enum_range(NULL::dunning.media)::text[],
          ARRAY['email', 'letter', 'phone', 'other'],
          'media values are email, letter, phone, other');
SELECT * FROM pg_temp.refused(
    format($$UPDATE dunning.step SET media = 'fax' WHERE scenario_id = %s AND step = 'R6'$$, :sw),
    '22P02', 'invalid input value for enum dunning.media: "fax"',
    'an unknown media is refused');
SELECT * FROM pg_temp.refused(
    format($$UPDATE dunning.step SET media = 'email' WHERE scenario_id = %s AND step = 'R4'$$, :so),
    '23514', format('media of step R4 of scenario %s cannot be email: the scenario is for customers without email', :so),
    'email is refused in a without_email scenario, even on a disabled step');
SELECT * FROM pg_temp.refused(
    format($$UPDATE dunning.step SET media = 'email', template_id = %s WHERE scenario_id = %s AND step = 'R1'$$,
           :t_reminder, :so),
    '23514', format('media of step R1 of scenario %s cannot be email: the scenario is for customers without email', :so),
    'email is refused in a without_email scenario on an enabled step with an email template');
SELECT lives_ok(
    format($$UPDATE dunning.step SET enabled = true, days = 20, media = 'other' WHERE scenario_id = %s AND step = 'R4'$$, :so),
    'media other, without template, is accepted in a without_email scenario');
SELECT lives_ok(
    format($$UPDATE dunning.step SET enabled = true, days = 20, media = 'phone' WHERE scenario_id = %s AND step = 'R6'$$, :sw),
    'media phone, without template, is accepted in a with_email scenario');

-------------------------------------------------------------------------------
-- An enabled email or letter step needs a template.
-------------------------------------------------------------------------------
SELECT * FROM pg_temp.refused(
    format($$UPDATE dunning.step SET enabled = true, days = 3, media = 'email' WHERE scenario_id = %s AND step = 'R7'$$, :sw),
    '23514', format('step R7 of scenario %s sends by email and needs a template_id', :sw),
    'an enabled email step without template is refused');
SELECT * FROM pg_temp.refused(
    format($$UPDATE dunning.step SET enabled = true, days = 3, media = 'letter' WHERE scenario_id = %s AND step = 'R7'$$, :sw),
    '23514', format('step R7 of scenario %s sends by letter and needs a template_id', :sw),
    'an enabled letter step without template is refused');
SELECT * FROM pg_temp.refused(
    format($$UPDATE dunning.step SET template_id = NULL WHERE scenario_id = %s AND step = 'R1'$$, :so),
    '23514', format('step R1 of scenario %s sends by letter and needs a template_id', :so),
    'the template of an enabled letter step cannot be cleared');
SELECT lives_ok(
    format($$UPDATE dunning.step SET media = 'email' WHERE scenario_id = %s AND step = 'R7'$$, :sw),
    'a disabled email step may have no template');

-------------------------------------------------------------------------------
-- The template's media is the step's media.
-------------------------------------------------------------------------------
SELECT * FROM pg_temp.refused(
    format($$UPDATE dunning.step SET template_id = %s WHERE scenario_id = %s AND step = 'R3'$$, :t_reminder, :sw),
    '23514', format('template_id %s of step R3 has media email, but the step''s media is letter', :t_reminder),
    'an email template on a letter step is refused');
SELECT * FROM pg_temp.refused(
    format($$UPDATE dunning.step SET template_id = %s WHERE scenario_id = %s AND step = 'R1'$$, :t_letter, :sw),
    '23514', format('template_id %s of step R1 has media letter, but the step''s media is email', :t_letter),
    'a letter template on an email step is refused');
SELECT * FROM pg_temp.refused(
    format($$UPDATE dunning.step SET template_id = %s WHERE scenario_id = %s AND step = 'R3'$$, :t_letter, :so),
    '23514', format('template_id %s of step R3 has media letter, but the step''s media is phone', :t_letter),
    'a template on a phone step is refused');
SELECT * FROM pg_temp.refused(
    format($$UPDATE dunning.step SET media = 'phone' WHERE scenario_id = %s AND step = 'R1'$$, :so),
    '23514', format('template_id %s of step R1 has media letter, but the step''s media is phone', :t_letter),
    'a step keeping a letter template cannot switch to phone');
SELECT lives_ok(
    format($$UPDATE dunning.step SET media = 'phone', template_id = NULL WHERE scenario_id = %s AND step = 'R1'$$, :so),
    'a step switches to phone once its template is cleared');

-------------------------------------------------------------------------------
-- An enabled scenario keeps at least one enabled step.
-- Standard without_email now has R1 (phone), R2 (letter), R3 (phone), R4 (other).
-------------------------------------------------------------------------------
SELECT lives_ok(
    format($$UPDATE dunning.step SET enabled = false WHERE scenario_id = %s AND step IN ('R1', 'R2', 'R3')$$, :so),
    'steps of an enabled scenario can be disabled while one stays enabled');
SELECT * FROM pg_temp.refused(
    format($$UPDATE dunning.step SET enabled = false WHERE scenario_id = %s AND step = 'R4'$$, :so),
    '23514', format('switching off step R4 would leave scenario %s, which is enabled, without an enabled step', :so),
    'disabling the last enabled step of an enabled scenario is refused');
SELECT * FROM pg_temp.refused(
    format($$INSERT INTO dunning.step (scenario_id, step, enabled) VALUES (%s, 'R4', false)$$, :so),
    '23514', format('cannot insert step R4 of scenario %s: steps are created with their scenario', :so),
    'the last enabled step cannot be disabled through an INSERT either');
SELECT lives_ok(
    format($$UPDATE dunning.scenario SET enabled = false WHERE scenario_id = %s$$, :so),
    'a scenario can be disabled');
SELECT lives_ok(
    format($$UPDATE dunning.step SET enabled = false WHERE scenario_id = %s$$, :so),
    'once its scenario is disabled, its last step can be disabled');
SELECT is((SELECT pg_catalog.count(*) FROM dunning.step st WHERE st.scenario_id = :so AND st.enabled),
          0::bigint, 'the disabled scenario has no enabled step');
SELECT * FROM pg_temp.refused(
    format($$UPDATE dunning.scenario SET enabled = true WHERE scenario_id = %s$$, :so),
    '23514', format('scenario %s (without_email) cannot be enabled without an enabled step', :so),
    'enabling a scenario with no enabled step is refused');
SELECT * FROM pg_temp.refused(
    format($$INSERT INTO dunning.scenario (profile_id, audience, enabled) VALUES (%s, 'without_email', true)$$, :std),
    '23514', format('cannot insert a without_email scenario for profile %s: scenarios are created with their profile', :std),
    'a scenario cannot be enabled through an INSERT either');
SELECT lives_ok(
    format($$UPDATE dunning.step SET enabled = true WHERE scenario_id = %s AND step = 'R2'$$, :so),
    'a step of a disabled scenario can be enabled');
SELECT lives_ok(
    format($$UPDATE dunning.scenario SET enabled = true WHERE scenario_id = %s$$, :so),
    'a scenario with an enabled step can be enabled');

-------------------------------------------------------------------------------
-- Exactly two scenarios per profile, born with the profile.
-------------------------------------------------------------------------------
SELECT lives_ok($$INSERT INTO dunning.profile (name, priority) VALUES ('Export', 10)$$,
                'a profile can be inserted');
SELECT profile_id AS export FROM dunning.profile WHERE name = 'Export' \gset
SELECT pg_temp.sid('Export', 'with_email') AS ew, pg_temp.sid('Export', 'without_email') AS eo \gset
SELECT results_eq(
    format($$SELECT s.audience::text, s.enabled, s.infinite FROM dunning.scenario s
              WHERE s.profile_id = %s ORDER BY s.audience$$, :export),
    $$VALUES ('with_email', false, false), ('without_email', false, false)$$,
    'a new profile has its two scenarios, disabled');
SELECT results_eq(
    format($$SELECT s.audience::text, pg_catalog.array_agg(st.step::text ORDER BY st.step),
                    pg_catalog.bool_or(st.enabled), pg_catalog.bool_or(st.auto_send),
                    pg_catalog.count(st.days) + pg_catalog.count(st.media) + pg_catalog.count(st.template_id)
               FROM dunning.scenario s JOIN dunning.step st USING (scenario_id)
              WHERE s.profile_id = %s GROUP BY s.audience ORDER BY s.audience$$, :export),
    $$VALUES ('with_email', ARRAY['pre_due', 'R1', 'R2', 'R3', 'R4', 'R5', 'R6', 'R7', 'thanks'], false, false, 0::bigint),
             ('without_email', ARRAY['pre_due', 'R1', 'R2', 'R3', 'R4', 'R5', 'R6', 'R7', 'thanks'], false, false, 0::bigint)$$,
    'each scenario of a new profile has its nine steps, disabled and empty');
SELECT * FROM pg_temp.refused(
    format($$DELETE FROM dunning.scenario WHERE scenario_id = %s$$, :ew),
    '23001', format('scenario %s (with_email) cannot be deleted: every profile has exactly two scenarios', :ew),
    'a scenario cannot be deleted while its profile exists');
SELECT * FROM pg_temp.refused(
    format($$DELETE FROM dunning.scenario WHERE scenario_id = %s$$, :so),
    '23001', format('scenario %s (without_email) cannot be deleted: every profile has exactly two scenarios', :so),
    'a scenario of Standard cannot be deleted');
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.scenario (profile_id, audience) VALUES (0, 'with_email')$$,
    '23514', 'cannot insert a with_email scenario for profile 0: scenarios are created with their profile',
    'a scenario cannot be inserted for a profile that does not exist');
SELECT * FROM pg_temp.refused(
    format($$INSERT INTO dunning.scenario (profile_id, audience) VALUES (%s, 'with_email')$$, :export),
    '23514', format('cannot insert a with_email scenario for profile %s: scenarios are created with their profile', :export),
    'a third scenario cannot be inserted for a profile');
SELECT * FROM pg_temp.refused(
    $$TRUNCATE dunning.scenario CASCADE$$,
    '23001', 'dunning.scenario cannot be truncated: it holds rows that ship with the extension',
    'scenarios cannot be truncated');
SELECT * FROM pg_temp.refused(
    format($$INSERT INTO dunning.scenario (profile_id, audience) VALUES (%s, 'email_only')$$, :export),
    '22P02', 'invalid input value for enum dunning.audience: "email_only"',
    'a scenario cannot be inserted for another audience');
SELECT * FROM pg_temp.refused(
    format($$UPDATE dunning.scenario SET audience = 'without_email' WHERE scenario_id = %s$$, :ew),
    '23514', format('profile_id and audience of scenario %s cannot change', :ew),
    'the audience of a scenario cannot change');
SELECT * FROM pg_temp.refused(
    format($$UPDATE dunning.scenario SET profile_id = %s WHERE scenario_id = %s$$, :export, :sw),
    '23514', format('profile_id and audience of scenario %s cannot change', :sw),
    'the profile of a scenario cannot change');

-- During a restore, an INSERT of an existing (profile_id, audience) replaces
-- the scenario's options.
SET LOCAL check_function_bodies = off;
SELECT lives_ok(
    format($$INSERT INTO dunning.scenario (profile_id, audience, enabled, infinite)
             VALUES (%s, 'with_email', true, true)$$, :std),
    'during a restore, INSERT of an existing scenario is accepted');
RESET check_function_bodies;
SELECT results_eq(
    format($$SELECT s.scenario_id, s.audience::text, s.enabled, s.infinite FROM dunning.scenario s
              WHERE s.profile_id = %s ORDER BY s.audience$$, :std),
    format($$VALUES (%s::bigint, 'with_email', true, true), (%s, 'without_email', true, false)$$, :sw, :so),
    'the INSERT replaced the scenario, and Standard still has two');

-- Deleting a profile takes its scenarios and steps with it.
SELECT lives_ok($$DELETE FROM dunning.profile WHERE name = 'Export'$$, 'a profile other than Standard can be deleted');
SELECT is((SELECT pg_catalog.count(*) FROM dunning.scenario s WHERE s.scenario_id IN (:ew, :eo) OR s.profile_id = :export),
          0::bigint, 'its scenarios are gone');
SELECT is((SELECT pg_catalog.count(*) FROM dunning.step st WHERE st.scenario_id IN (:ew, :eo)),
          0::bigint, 'its steps are gone');

-------------------------------------------------------------------------------
-- Profiles: Standard stays; names are unique and not blank.
-------------------------------------------------------------------------------
SELECT * FROM pg_temp.refused(
    $$DELETE FROM dunning.profile WHERE name = 'Standard'$$,
    '23001', 'profile Standard cannot be deleted: it is the profile of every customer no other profile takes',
    'Standard cannot be deleted');
SELECT * FROM pg_temp.refused(
    $$UPDATE dunning.profile SET name = 'Default' WHERE name = 'Standard'$$,
    '23514', 'profile Standard cannot be renamed to "Default"',
    'Standard cannot be renamed');
SELECT * FROM pg_temp.refused(
    format($$INSERT INTO dunning.profile (profile_id, name, priority) VALUES (%s, 'Standard', 500)$$, :std),
    '23505', 'duplicate key value violates unique constraint "profile_pkey"',
    'a profile whose key exists cannot be inserted again outside a restore');
SELECT * FROM pg_temp.refused(
    $$TRUNCATE dunning.profile CASCADE$$,
    '23001', 'dunning.profile cannot be truncated: it holds rows that ship with the extension',
    'profiles cannot be truncated');
-- During a restore, an INSERT of an existing profile_id replaces the profile.
SET LOCAL check_function_bodies = off;
SELECT * FROM pg_temp.refused(
    format($$INSERT INTO dunning.profile (profile_id, name) VALUES (%s, 'Default')$$, :std),
    '23514', 'profile Standard cannot be renamed to "Default"',
    'during a restore, Standard cannot be renamed through a replacing INSERT');
SELECT lives_ok(
    format($$INSERT INTO dunning.profile (profile_id, name, priority) VALUES (%s, 'Standard', 500)$$, :std),
    'during a restore, INSERT of an existing profile is accepted');
RESET check_function_bodies;
SELECT results_eq(
    $$SELECT p.profile_id, p.name, p.priority, p.criteria,
             (SELECT pg_catalog.count(*) FROM dunning.scenario s WHERE s.profile_id = p.profile_id)
        FROM dunning.profile p$$,
    format($$VALUES (%s::bigint, 'Standard', 500, NULL::jsonb, 2::bigint)$$, :std),
    'the INSERT replaced Standard: one profile, still two scenarios');
SELECT lives_ok($$INSERT INTO dunning.profile (name) VALUES ('Export')$$, 'a second profile can be inserted');
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.profile (name) VALUES ('Standard')$$,
    '23505', 'duplicate key value violates unique constraint "profile_name_key"',
    'a second profile named Standard is refused');
SELECT * FROM pg_temp.refused(
    $$UPDATE dunning.profile SET name = 'Standard' WHERE name = 'Export'$$,
    '23505', 'duplicate key value violates unique constraint "profile_name_key"',
    'a profile cannot take the name of another');
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.profile (name) VALUES ('   ')$$,
    '23514', 'name of a profile must not be blank',
    'a blank profile name is refused on INSERT');
SELECT * FROM pg_temp.refused(
    $$UPDATE dunning.profile SET name = '' WHERE name = 'Export'$$,
    '23514', 'name of a profile must not be blank',
    'a blank profile name is refused on UPDATE');
SELECT lives_ok($$UPDATE dunning.profile SET name = 'Export customers' WHERE name = 'Export'$$,
                'a profile other than Standard can be renamed');

-------------------------------------------------------------------------------
-- dunning.create_profile(name, priority, criteria, copy_from).
-------------------------------------------------------------------------------
-- Standard's with_email scenario now has R4 (letter) too, and infinite = true.
SELECT lives_ok($$SELECT dunning.create_profile('Copy', 50, '{"language": "en"}', 'Standard')$$,
                'create_profile copying Standard');
SELECT results_eq(
    $$SELECT p.name, p.priority, p.criteria FROM dunning.profile p WHERE p.name = 'Copy'$$,
    $$VALUES ('Copy', 50, '{"language": "en"}'::jsonb)$$,
    'create_profile stores name, priority and criteria');
SELECT results_eq(
    $$SELECT s.audience::text, s.enabled, s.infinite FROM dunning.scenario s
        JOIN dunning.profile p USING (profile_id) WHERE p.name = 'Copy' ORDER BY s.audience$$,
    $$SELECT s.audience::text, s.enabled, s.infinite FROM dunning.scenario s
        JOIN dunning.profile p USING (profile_id) WHERE p.name = 'Standard' ORDER BY s.audience$$,
    'create_profile copies the scenarios'' enabled and infinite flags');
SELECT results_eq(
    $$SELECT s.audience::text, st.step::text, st.enabled, st.days, st.media::text, st.template_id, st.auto_send
        FROM dunning.step st JOIN dunning.scenario s USING (scenario_id) JOIN dunning.profile p USING (profile_id)
       WHERE p.name = 'Copy' ORDER BY s.audience, st.step$$,
    $$SELECT s.audience::text, st.step::text, st.enabled, st.days, st.media::text, st.template_id, st.auto_send
        FROM dunning.step st JOIN dunning.scenario s USING (scenario_id) JOIN dunning.profile p USING (profile_id)
       WHERE p.name = 'Standard' ORDER BY s.audience, st.step$$,
    'create_profile copies every step of copy_from');
SELECT results_eq(
    $$SELECT st.step::text, st.days, st.media::text FROM dunning.step st
       WHERE st.scenario_id = pg_temp.sid('Copy', 'with_email') AND st.enabled ORDER BY st.step$$,
    $$VALUES ('pre_due', 5, 'email'), ('R1', 0, 'email'), ('R2', 365, 'email'),
             ('R3', 30, 'letter'), ('R4', 45, 'letter'), ('R6', 20, 'phone'), ('thanks', 3, 'email')$$,
    'the copy has the steps Standard has now, not the seeded ones');
-- Copying from another profile than Standard.
SELECT lives_ok(
    $$UPDATE dunning.step SET enabled = true, days = 60, media = 'phone'
       WHERE scenario_id = pg_temp.sid('Copy', 'without_email') AND step = 'R7'$$,
    'a step of the copy can be changed');
SELECT lives_ok($$SELECT dunning.create_profile('Copy of copy', 60, NULL, 'Copy')$$,
                'create_profile copying a user profile');
SELECT results_eq(
    $$SELECT s.audience::text, st.step::text, st.enabled, st.days, st.media::text, st.template_id, st.auto_send
        FROM dunning.step st JOIN dunning.scenario s USING (scenario_id) JOIN dunning.profile p USING (profile_id)
       WHERE p.name = 'Copy of copy' ORDER BY s.audience, st.step$$,
    $$SELECT s.audience::text, st.step::text, st.enabled, st.days, st.media::text, st.template_id, st.auto_send
        FROM dunning.step st JOIN dunning.scenario s USING (scenario_id) JOIN dunning.profile p USING (profile_id)
       WHERE p.name = 'Copy' ORDER BY s.audience, st.step$$,
    'create_profile copies the steps of copy_from, not Standard''s');
SELECT is((SELECT st.enabled FROM dunning.step st
            WHERE st.scenario_id = pg_temp.sid('Copy of copy', 'without_email') AND st.step = 'R7'),
          true, 'the copy of the copy has R7 enabled');
-- copy_from NULL: disabled scenarios, empty steps.
SELECT lives_ok($$SELECT dunning.create_profile('Empty', 70, NULL, NULL)$$,
                'create_profile with copy_from NULL');
SELECT results_eq(
    $$SELECT s.audience::text, s.enabled, pg_catalog.count(*), pg_catalog.count(*) FILTER (WHERE st.enabled)
        FROM dunning.scenario s JOIN dunning.step st USING (scenario_id) JOIN dunning.profile p USING (profile_id)
       WHERE p.name = 'Empty' GROUP BY s.audience, s.enabled ORDER BY s.audience$$,
    $$VALUES ('with_email', false, 9::bigint, 0::bigint), ('without_email', false, 9::bigint, 0::bigint)$$,
    'copy_from NULL gives two disabled scenarios with nine disabled steps');
SELECT * FROM pg_temp.refused(
    $$SELECT dunning.create_profile('Nowhere', 10, NULL, 'No such profile')$$,
    'P0002', 'copy_from names no profile: "No such profile"',
    'create_profile refuses an unknown copy_from');

-------------------------------------------------------------------------------
-- Settings: exactly one row.
-------------------------------------------------------------------------------
SELECT * FROM pg_temp.refused(
    $$DELETE FROM dunning.settings$$,
    '23001', 'dunning.settings holds exactly one row: update it instead of deleting it',
    'settings cannot be deleted');
SELECT * FROM pg_temp.refused(
    $$TRUNCATE dunning.settings$$,
    '23001', 'dunning.settings cannot be truncated: it holds rows that ship with the extension',
    'settings cannot be truncated');
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.settings (grouping) VALUES ('account_statement')$$,
    '23505', 'dunning.settings holds exactly one row: update it instead of inserting another',
    'a second settings row cannot be inserted outside a restore');
-- During a restore, an INSERT replaces the one row and never adds a second.
SET LOCAL check_function_bodies = off;
SELECT lives_ok(
    $$INSERT INTO dunning.settings (grouping, exclude_promised, min_balance, timezone)
      VALUES ('account_statement', false, 25, 'Europe/Paris')$$,
    'during a restore, INSERT into settings is accepted');
SELECT results_eq(
    $$SELECT s.singleton, s.grouping::text, s.exclude_promised, s.exclude_disputed, s.min_balance, s.timezone
        FROM dunning.settings s$$,
    $$VALUES (true, 'account_statement', false, false, 25::numeric, 'Europe/Paris')$$,
    'the INSERT replaced the one settings row and added none');
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.settings (singleton, min_balance) VALUES (true, -1)$$,
    '23514', 'min_balance must be zero or more, got -1',
    'during a restore, a replacing INSERT into settings is checked like an UPDATE');
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.settings (singleton) VALUES (false)$$,
    '23505', 'dunning.settings holds exactly one row: update it instead of inserting another',
    'during a restore, a settings row with singleton = false is refused');
RESET check_function_bodies;
SELECT lives_ok($$UPDATE dunning.settings SET grouping = 'per_document', timezone = 'UTC'$$,
                'settings can be updated');

-- timezone: a known zone.
SELECT * FROM pg_temp.refused(
    $$UPDATE dunning.settings SET timezone = 'Mars/Olympus'$$,
    '22023', 'unknown time zone "Mars/Olympus" for timezone',
    'an unknown time zone is refused');
SELECT * FROM pg_temp.refused(
    $$UPDATE dunning.settings SET timezone = ''$$,
    '22023', 'unknown time zone "" for timezone',
    'an empty time zone is refused');
SELECT lives_ok($$UPDATE dunning.settings SET timezone = 'Europe/Paris'$$, 'time zone Europe/Paris is accepted');
SELECT is((SELECT s.timezone FROM dunning.settings s), 'Europe/Paris', 'time zone Europe/Paris is stored');

-- Thresholds: zero or more.
SELECT * FROM pg_temp.refused(
    $$UPDATE dunning.settings SET min_balance = -1$$,
    '23514', 'min_balance must be zero or more, got -1',
    'a negative min_balance is refused');
SELECT * FROM pg_temp.refused(
    $$UPDATE dunning.settings SET min_entry_amount = -0.01$$,
    '23514', 'min_entry_amount must be zero or more, got -0.01',
    'a negative min_entry_amount is refused');
SELECT lives_ok($$UPDATE dunning.settings SET min_balance = 0, min_entry_amount = 0$$,
                'zero thresholds are accepted');
SELECT lives_ok($$UPDATE dunning.settings SET min_balance = 100, min_entry_amount = 0.5$$,
                'positive thresholds are accepted');

-- grouping: per_document or account_statement.
SELECT * FROM pg_temp.refused(
    $$UPDATE dunning.settings SET grouping = 'weekly'$$,
    '22P02', 'invalid input value for enum dunning.grouping_mode: "weekly"',
    'an unknown grouping is refused');
SELECT is((SELECT pg_catalog.count(*) FROM dunning.settings), 1::bigint, 'settings still has exactly one row');

-------------------------------------------------------------------------------
-- Templates.
-------------------------------------------------------------------------------
-- media: email or letter.
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.template (name, media, language, body) VALUES ('call', 'phone', 'fr', 'Appeler {{#entries}}{{document_number}}{{/entries}}')$$,
    '23514', 'media of template "call" must be email or letter, got phone',
    'a phone template is refused');
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.template (name, media, language, body) VALUES ('misc', 'other', 'fr', 'Texte {{#entries}}{{document_number}}{{/entries}}')$$,
    '23514', 'media of template "misc" must be email or letter, got other',
    'an other template is refused');
SELECT * FROM pg_temp.refused(
    format($$UPDATE dunning.template SET media = 'phone' WHERE template_id = %s$$, :t_formal),
    '23514', 'media of template "formal_notice" must be email or letter, got phone',
    'a template cannot become a phone template');

-- language: two lowercase letters.
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.template (name, media, language, subject, body) VALUES ('note', 'letter', 'FR', 's',
                                                                       '{{company_name}} {{customer_name}} {{customer_address}} {{#entries}}{{document_number}}{{/entries}}')$$,
    '23514', 'language of template "note" must be a two-letter ISO 639-1 code such as fr or en, got "FR"',
    'an uppercase language is refused');
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.template (name, media, language, subject, body) VALUES ('note', 'letter', 'fra', 's',
                                                                       '{{company_name}} {{customer_name}} {{customer_address}} {{#entries}}{{document_number}}{{/entries}}')$$,
    '23514', 'language of template "note" must be a two-letter ISO 639-1 code such as fr or en, got "fra"',
    'a three-letter language is refused');
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.template (name, media, language, subject, body) VALUES ('note', 'letter', 'f', 's',
                                                                       '{{company_name}} {{customer_name}} {{customer_address}} {{#entries}}{{document_number}}{{/entries}}')$$,
    '23514', 'language of template "note" must be a two-letter ISO 639-1 code such as fr or en, got "f"',
    'a one-letter language is refused');

-- name and body not blank; an email needs a subject.
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.template (name, media, language, subject, body) VALUES (' ', 'letter', 'fr', 's',
                                                                    '{{company_name}} {{customer_name}} {{customer_address}} {{#entries}}{{document_number}}{{/entries}}')$$,
    '23514', 'name of a template must not be blank',
    'a blank template name is refused');
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.template (name, media, language, body) VALUES ('note', 'email', 'fr', 'Bonjour {{#entries}}{{document_number}}{{/entries}}')$$,
    '23514', 'subject of email template "note" (fr) must not be empty',
    'an email template without subject is refused');
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.template (name, media, language, subject, body) VALUES ('note', 'email', 'fr', '  ', 'Bonjour {{#entries}}{{document_number}}{{/entries}}')$$,
    '23514', 'subject of email template "note" (fr) must not be empty',
    'an email template with a blank subject is refused');
SELECT * FROM pg_temp.refused(
    format($$UPDATE dunning.template SET subject = NULL WHERE template_id = %s$$, :t_reminder),
    '23514', 'subject of email template "reminder" (fr) must not be empty',
    'the subject of an email template cannot be cleared');
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.template (name, media, language, subject, body) VALUES ('note', 'letter', 'fr', 's', '   ')$$,
    '23514', 'body of template "note" (fr) must not be empty',
    'a body of spaces is refused');
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.template (name, media, language, subject, body) VALUES ('blank_body', 'letter', 'fr', 's', E'\n\t\n')$$,
    '23514', 'body of template "blank_body" (fr) must not be empty',
    'a body of newlines and tabs is refused');
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.template (name, media, language, subject, body) VALUES (E'\n', 'letter', 'fr', 's',
                                                                    '{{company_name}} {{customer_name}} {{customer_address}} {{#entries}}{{document_number}}{{/entries}}')$$,
    '23514', 'name of a template must not be blank',
    'a template name of a newline is refused');
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.template (name, media, language, subject, body) VALUES ('tab_subject', 'email', 'fr', E'\t',
                                                                    'Texte {{#entries}}{{document_number}}{{/entries}}')$$,
    '23514', 'subject of email template "tab_subject" (fr) must not be empty',
    'an email subject of a tab is refused');
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.profile (name) VALUES (E'\t\n')$$,
    '23514', 'name of a profile must not be blank',
    'a profile name of a tab and a newline is refused');
SELECT lives_ok(
    $$INSERT INTO dunning.template (name, media, language, body) VALUES ('note', 'letter', 'fr',
                                                          '{{company_name}} {{customer_name}} {{customer_address}} Madame, Monsieur {{#entries}}{{document_number}}{{/entries}}')$$,
    'a letter template without subject is accepted');
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.template (name, media, language, subject, body) VALUES ('note', 'letter', 'fr', 's',
                                                                       '{{company_name}} {{customer_name}} {{customer_address}} {{#entries}}{{document_number}}{{/entries}}')$$,
    '23505', 'duplicate key value violates unique constraint "template_name_language_key"',
    'a second template of the same name and language is refused');

-- A name has one media in every language.
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.template (name, media, language, subject, body) VALUES ('reminder', 'letter', 'de', 's',
                                                                       '{{company_name}} {{customer_name}} {{customer_address}} {{#entries}}{{document_number}}{{/entries}}')$$,
    '23514', 'media of template "reminder" must be the same in every language, got letter for de',
    'a sibling of another media is refused');
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.template (name, media, language, subject, body) VALUES ('note', 'email', 'en', 's', 'Text {{#entries}}{{document_number}}{{/entries}}')$$,
    '23514', 'media of template "note" must be the same in every language, got email for en',
    'a sibling of another media is refused for a user template too');
SELECT lives_ok(
    $$INSERT INTO dunning.template (name, media, language, subject, body) VALUES ('reminder', 'email', 'de', 'Mahnung',
                                                                       'Text {{#entries}}{{document_number}}{{/entries}}')$$,
    'a sibling of the same media is accepted');

-- Placeholders and sections (src/render.c), checked when a template is
-- saved: every placeholder known where it stands, named in the message with
-- the template; sections {{#entries}} and {{#totals}} balanced, none in a
-- subject; a body lists its entries; a letter has the address blocks.
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.template (name, media, language, subject, body)
      VALUES ('bad', 'email', 'fr', 's', 'Bonjour {{customer_nme}} {{#entries}}{{document_number}}{{/entries}}')$$,
    '23514', 'unknown placeholder {{customer_nme}} in the body of template "bad" (fr)',
    'an unknown placeholder in a body is refused, naming it and the template');
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.template (name, media, language, subject, body)
      VALUES ('bad', 'email', 'fr', 's', 'Bonjour {{entries}} {{#entries}}{{document_number}}{{/entries}}')$$,
    '23514', 'unknown placeholder {{entries}} in the body of template "bad" (fr)',
    'the old {{entries}} placeholder is refused');
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.template (name, media, language, subject, body)
      VALUES ('bad', 'email', 'fr', 'Relance {{levle}}', 'Texte {{#entries}}{{document_number}}{{/entries}}')$$,
    '23514', 'unknown placeholder {{levle}} in the subject of template "bad" (fr)',
    'an unknown placeholder in a subject is refused');
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.template (name, media, language, subject, body)
      VALUES ('bad', 'email', 'fr', 's', '{{amount}} {{#entries}}{{document_number}}{{/entries}}')$$,
    '23514', 'unknown placeholder {{amount}} in the body of template "bad" (fr)',
    'an entry placeholder outside {{#entries}} is refused');
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.template (name, media, language, subject, body)
      VALUES ('bad', 'email', 'fr', 's', 'Texte {{#entries}}{{document_number}}')$$,
    '23514', 'section {{#entries}} is not closed in the body of template "bad" (fr)',
    'a section not closed is refused');
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.template (name, media, language, subject, body)
      VALUES ('bad', 'email', 'fr', 's', 'Texte {{#entries}}{{document_number}}{{/totals}}')$$,
    '23514', '{{/totals}} closes no open section in the body of template "bad" (fr)',
    'a section closed by the wrong name is refused');
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.template (name, media, language, subject, body)
      VALUES ('bad', 'email', 'fr', 's', '{{#invoices}}x{{/invoices}} {{#entries}}{{document_number}}{{/entries}}')$$,
    '23514', 'unknown section {{#invoices}} in the body of template "bad" (fr)',
    'an unknown section is refused');
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.template (name, media, language, subject, body)
      VALUES ('bad', 'email', 'fr', 'Relance {{#entries}}{{document_number}}{{/entries}}', 'Texte {{#entries}}{{document_number}}{{/entries}}')$$,
    '23514', 'section {{#entries}} in the subject of template "bad" (fr): a subject is one line, without sections',
    'a section in a subject is refused');
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.template (name, media, language, subject, body)
      VALUES ('bad', 'email', 'fr', 's', 'Bonjour {{customer_name}}, total {{totals}}')$$,
    '23514', 'the body of template "bad" (fr) has no {{#entries}} section',
    'a body without an {{#entries}} section is refused');
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.template (name, media, language, subject, body)
      VALUES ('bad', 'letter', 'fr', 's', '{{customer_name}} {{customer_address}} {{#entries}}{{document_number}}{{/entries}}')$$,
    '23514', 'the body of letter template "bad" (fr) lacks the address blocks: it must use {{company_name}}, {{customer_name}} and {{customer_address}}',
    'a letter body without {{company_name}} is refused');
SELECT * FROM pg_temp.refused(
    $$UPDATE dunning.template SET body = pg_catalog.replace(body, '{{open_amount}}', '{{open_amont}}')
       WHERE name = 'reminder' AND language = 'en'$$,
    '23514', 'unknown placeholder {{open_amont}} in the body of template "reminder" (en)',
    'an edit of a builtin template is checked too');
SELECT lives_ok(
    $$INSERT INTO dunning.template (name, media, language, subject, body)
      VALUES ('every_placeholder', 'email', 'fr', 'Relance {{level}} ({{step}}) au {{ as_of }}',
              '{{customer_name}} {{customer_id}} {{customer_address}} {{company_name}} {{company_address}} '
              '{{executed_on}} {{reminder_count}} {{entry_count}} {{totals}} '
              '{{#entries}}{{document_number}} {{document_date}} {{due_date}} {{amount}} {{open_amount}} '
              '{{currency}} {{days_overdue}}{{dispute}}{{/entries}} '
              '{{#totals}}{{total}} {{currency}}{{/totals}}')$$,
    'a template using every placeholder and both sections is accepted');

-- builtin: only the shipped templates, forever.
SELECT * FROM pg_temp.refused(
    $$INSERT INTO dunning.template (name, media, language, subject, body, builtin) VALUES ('fake', 'email', 'fr', 's',
                                                                             'Texte {{#entries}}{{document_number}}{{/entries}}', true)$$,
    '23514', 'builtin is true only for the templates that ship with the extension',
    'builtin cannot be set on INSERT');
SELECT * FROM pg_temp.refused(
    format($$UPDATE dunning.template SET builtin = false WHERE template_id = %s$$, :t_reminder),
    '23514', format('builtin of template %s cannot change', :t_reminder),
    'builtin of a shipped template cannot be cleared');
SELECT * FROM pg_temp.refused(
    $$UPDATE dunning.template SET builtin = true WHERE name = 'note' AND language = 'fr'$$,
    '23514', format('builtin of template %s cannot change', pg_temp.tid('note', 'fr')),
    'builtin of a user template cannot be set');
SELECT lives_ok(
    format($$UPDATE dunning.template SET subject = 'Relance', body = 'Texte {{#entries}}{{document_number}}{{/entries}}' WHERE template_id = %s$$, :t_reminder),
    'a builtin template can be edited');
SELECT * FROM pg_temp.refused(
    format($$INSERT INTO dunning.template (template_id, name, media, language, subject, body)
             VALUES (%s, 'reminder', 'email', 'fr', 'Relance', 'Autre texte {{#entries}}{{document_number}}{{/entries}}')$$, :t_reminder),
    '23505', 'duplicate key value violates unique constraint "template_pkey"',
    'a template whose key exists cannot be inserted again outside a restore');
-- During a restore, an INSERT of an existing template_id replaces its texts;
-- builtin stays as shipped.
SET LOCAL check_function_bodies = off;
SELECT lives_ok(
    format($$INSERT INTO dunning.template (template_id, name, media, language, subject, body, builtin)
             VALUES (%s, 'reminder', 'email', 'fr', 'Relance restaurée',
                     'Texte restauré {{#entries}}{{document_number}}{{/entries}}', false)$$, :t_reminder),
    'during a restore, INSERT of an existing template is accepted');
RESET check_function_bodies;
SELECT results_eq(
    $$SELECT t.template_id, t.subject, t.body, t.builtin FROM dunning.template t
       WHERE t.name = 'reminder' AND t.language = 'fr'$$,
    format($$VALUES (%s::bigint, 'Relance restaurée', 'Texte restauré {{#entries}}{{document_number}}{{/entries}}', true)$$, :t_reminder),
    'the INSERT replaced the template''s texts and kept builtin');
SELECT * FROM pg_temp.refused(
    $$TRUNCATE dunning.template CASCADE$$,
    '23001', 'dunning.template cannot be truncated: it holds rows that ship with the extension',
    'templates cannot be truncated');

-- Deleting: a builtin template never; a user template unless a step uses it.
SELECT * FROM pg_temp.refused(
    format($$DELETE FROM dunning.template WHERE template_id = %s$$, :t_letter),
    '23001', format('template %s ("reminder_letter", fr) ships with the extension and cannot be deleted', :t_letter),
    'a builtin template cannot be deleted');
SELECT * FROM pg_temp.refused(
    $$DELETE FROM dunning.template WHERE name = 'pre_due' AND language = 'en'$$,
    '23001', format('template %s ("pre_due", en) ships with the extension and cannot be deleted', pg_temp.tid('pre_due', 'en')),
    'a builtin template no step uses cannot be deleted either');
SELECT lives_ok($$DELETE FROM dunning.template WHERE name = 'reminder' AND language = 'de'$$,
                'a user template can be deleted');
SELECT is((SELECT pg_catalog.count(*) FROM dunning.template t WHERE t.name = 'reminder' AND t.language = 'de'),
          0::bigint, 'the user template is gone');

-- A template used by steps keeps its media and cannot be deleted.
SELECT lives_ok(
    format($$UPDATE dunning.step SET enabled = true, days = 40, media = 'letter',
                    template_id = pg_temp.tid('note', 'fr')
              WHERE scenario_id = %s AND step = 'R5'$$, :sw),
    'a step can use a user letter template');
SELECT * FROM pg_temp.refused(
    $$UPDATE dunning.template SET media = 'email', subject = 'Objet' WHERE name = 'note' AND language = 'fr'$$,
    '23514', format('media of template %s cannot change to email: steps of media letter use it', pg_temp.tid('note', 'fr')),
    'a template used by a step cannot change media');
SELECT * FROM pg_temp.refused(
    $$DELETE FROM dunning.template WHERE name = 'note' AND language = 'fr'$$,
    '23503', 'update or delete on table "template" violates foreign key constraint "step_template_id_fkey" on table "step"',
    'a template a step uses cannot be deleted');
SELECT lives_ok(
    format($$UPDATE dunning.step SET template_id = %s WHERE scenario_id = %s AND step = 'R5'$$, :t_formal, :sw),
    'the step can point at another template');
SELECT lives_ok(
    $$UPDATE dunning.template SET media = 'email', subject = 'Objet' WHERE name = 'note' AND language = 'fr'$$,
    'an unused user template can change media');

SELECT * FROM finish();
ROLLBACK;
