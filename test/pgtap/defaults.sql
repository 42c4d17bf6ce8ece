-- defaults.sql: what CREATE EXTENSION dunning seeds.
--
-- Proves that a fresh install holds exactly: the one settings row with the
-- documented defaults (company name and address empty); the one profile
-- Standard (criteria NULL); its two scenarios, enabled and not infinite, each
-- with its nine steps; the enabled steps of SPEC "Configuration" (with email:
-- pre-due J-5 on pre_due, R1 J+5 on reminder, R2 +15 on second_reminder, R3
-- +30 by letter on formal_notice, thanks J+3; without email: R1 J+5 and R2
-- +15 by letter on reminder_letter, R3 +30 by phone) on the French
-- templates; the twelve builtin templates (pre_due, reminder,
-- second_reminder, reminder_letter, formal_notice, thanks, each in French and
-- English) with their media; that every one of them passes the template
-- guard (they are inserted before its trigger exists); and auto_send off
-- everywhere.
\set ON_ERROR_STOP 1
BEGIN;
SELECT plan(15);

-------------------------------------------------------------------------------
-- Settings: exactly one row, with the documented defaults.
-------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT s.singleton, s.grouping::text, s.exclude_promised, s.exclude_disputed,
             s.skip_thanks_for_credit_notes, s.thanks_only_if_dunned,
             s.min_balance, s.min_entry_amount, s.timezone,
             s.company_name, s.company_address,
             s.customer_source, s.entry_source
        FROM dunning.settings s$$,
    $$VALUES (true, 'per_document', true, false, false, true,
              0::numeric, 0::numeric, 'UTC',
              '', '',
              'dunning.customer'::regclass, 'dunning.entry'::regclass)$$,
    'settings: one row with the documented defaults'
);

-------------------------------------------------------------------------------
-- Profiles: only Standard, given by no criteria.
-------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT p.name, p.criteria FROM dunning.profile p$$,
    $$VALUES ('Standard', NULL::jsonb)$$,
    'profile: only Standard, with criteria NULL'
);

-------------------------------------------------------------------------------
-- Scenarios: exactly two, both Standard's, enabled, not infinite.
-------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT p.name, s.audience::text, s.enabled, s.infinite
        FROM dunning.scenario s JOIN dunning.profile p USING (profile_id)
       ORDER BY s.audience$$,
    $$VALUES ('Standard', 'with_email', true, false),
             ('Standard', 'without_email', true, false)$$,
    'scenario: exactly with_email and without_email of Standard, enabled, not infinite'
);

-------------------------------------------------------------------------------
-- Steps: nine per scenario, pre_due, R1..R7, thanks, and no others.
-------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT s.audience::text, pg_catalog.array_agg(st.step::text ORDER BY st.step)
        FROM dunning.step st JOIN dunning.scenario s USING (scenario_id)
       GROUP BY s.audience ORDER BY s.audience$$,
    $$VALUES ('with_email', ARRAY['pre_due', 'R1', 'R2', 'R3', 'R4', 'R5', 'R6', 'R7', 'thanks']),
             ('without_email', ARRAY['pre_due', 'R1', 'R2', 'R3', 'R4', 'R5', 'R6', 'R7', 'thanks'])$$,
    'step: each scenario has exactly its nine steps'
);
SELECT is((SELECT pg_catalog.count(*) FROM dunning.step), 18::bigint,
          'step: 18 rows in all, none outside the two scenarios');

-- The enabled steps, their offsets, media and templates.
SELECT results_eq(
    $$SELECT s.audience::text, st.step::text, st.days, st.media::text, t.name
        FROM dunning.step st
        JOIN dunning.scenario s USING (scenario_id)
        LEFT JOIN dunning.template t USING (template_id)
       WHERE st.enabled
       ORDER BY s.audience, st.step$$,
    $$VALUES ('with_email', 'pre_due', 5, 'email', 'pre_due'),
             ('with_email', 'R1', 5, 'email', 'reminder'),
             ('with_email', 'R2', 15, 'email', 'second_reminder'),
             ('with_email', 'R3', 30, 'letter', 'formal_notice'),
             ('with_email', 'thanks', 3, 'email', 'thanks'),
             ('without_email', 'R1', 5, 'letter', 'reminder_letter'),
             ('without_email', 'R2', 15, 'letter', 'reminder_letter'),
             ('without_email', 'R3', 30, 'phone', NULL)$$,
    'step: the enabled steps of Standard, with days, media and template'
);

-- The disabled steps carry nothing.
SELECT is_empty(
    $$SELECT st.scenario_id, st.step FROM dunning.step st
       WHERE NOT st.enabled
         AND (st.days IS NOT NULL OR st.media IS NOT NULL OR st.template_id IS NOT NULL)$$,
    'step: disabled steps have no days, media or template'
);

-- Steps name the French templates.
SELECT results_eq(
    $$SELECT DISTINCT t.language FROM dunning.step st JOIN dunning.template t USING (template_id)$$,
    $$VALUES ('fr')$$,
    'step: every template a step names is the French one'
);

-- auto_send is off everywhere.
SELECT is_empty(
    $$SELECT st.scenario_id, st.step FROM dunning.step st WHERE st.auto_send$$,
    'step: auto_send is false on every step'
);

-------------------------------------------------------------------------------
-- Templates: fr and en for each of the six names, media, builtin, texts.
-------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT t.name, t.language, t.media::text, t.builtin
        FROM dunning.template t ORDER BY t.name, t.language$$,
    $$VALUES ('formal_notice', 'en', 'letter', true),
             ('formal_notice', 'fr', 'letter', true),
             ('pre_due', 'en', 'email', true),
             ('pre_due', 'fr', 'email', true),
             ('reminder', 'en', 'email', true),
             ('reminder', 'fr', 'email', true),
             ('reminder_letter', 'en', 'letter', true),
             ('reminder_letter', 'fr', 'letter', true),
             ('second_reminder', 'en', 'email', true),
             ('second_reminder', 'fr', 'email', true),
             ('thanks', 'en', 'email', true),
             ('thanks', 'fr', 'email', true)$$,
    'template: the twelve builtin templates, fr and en, with their media'
);
-- The seeded rows go in before the template guard's trigger exists: saving
-- each of them again runs every rule of the guard (placeholders, sections,
-- the {{#entries}} section, a letter's address blocks) on its subject and body.
SELECT lives_ok(
    $$UPDATE dunning.template SET subject = subject, body = body$$,
    'template: every builtin template passes the template guard');
SELECT is_empty(
    $$SELECT t.name, t.language FROM dunning.template t
       WHERE pg_catalog.btrim(COALESCE(t.subject, '')) = ''$$,
    'template: every seeded template has a non-empty subject'
);
SELECT is_empty(
    $$SELECT t.name, t.language FROM dunning.template t
       WHERE pg_catalog.btrim(t.body) = ''$$,
    'template: every seeded template has a non-empty body'
);
-- The two languages of a name are different texts (not a copy left untranslated).
SELECT is_empty(
    $$SELECT f.name FROM dunning.template f JOIN dunning.template e USING (name)
       WHERE f.language = 'fr' AND e.language = 'en'
         AND (f.body = e.body OR f.subject = e.subject)$$,
    'template: the English texts differ from the French ones'
);

-- The sequences start after the seeded rows (a user row never takes a seeded id).
SELECT ok(
    (SELECT pg_catalog.max(t.template_id) FROM dunning.template t)
        < pg_catalog.nextval('dunning.template_id_seq'),
    'template_id_seq is past the seeded templates'
);

SELECT * FROM finish();
ROLLBACK;
