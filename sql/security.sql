--
-- A hostile search_path cannot capture the extension's code: a user's own
-- = operator on text, lower(), btrim() and jsonb_typeof() in schema public,
-- searched before pg_catalog, are never called by the install script, the
-- configuration guards or the functions.
--
CREATE FUNCTION public.captured_text_eq(text, text) RETURNS boolean
    LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'captured: public.= was called'; END $$;
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.captured_text_eq);
CREATE FUNCTION public.lower(text) RETURNS text
    LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'captured: public.lower was called'; END $$;
CREATE FUNCTION public.btrim(text) RETURNS text
    LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'captured: public.btrim was called'; END $$;
CREATE FUNCTION public.jsonb_typeof(jsonb) RETURNS text
    LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'captured: public.jsonb_typeof was called'; END $$;
SET search_path = public, pg_catalog;
\set SHOW_CONTEXT never

-- The traps work for unqualified code.
SELECT 'a'::text = 'a'::text;
SELECT lower('A');
SELECT btrim(' a ');

-- Install under the hostile path.
DROP EXTENSION dunning;
CREATE EXTENSION dunning;

-- Configuration, through every guard.  (This file's own comparisons of text
-- name OPERATOR(pg_catalog.=): the trap is for the extension, not for us.)
UPDATE dunning.settings SET timezone = 'Europe/Paris', min_balance = 10;
SELECT dunning.create_profile('Grands comptes', 10,
    '{"attributes.segment": {"in": ["grand_compte"]}, "language": "fr"}') > 0 AS created;
UPDATE dunning.step SET days = 7
 WHERE step = 'R1' AND scenario_id IN (SELECT scenario_id FROM dunning.scenario_overview WHERE profile OPERATOR(pg_catalog.=) 'Grands comptes');
UPDATE dunning.step SET enabled = false
 WHERE step = 'pre_due' AND scenario_id IN (SELECT scenario_id FROM dunning.scenario_overview WHERE profile OPERATOR(pg_catalog.=) 'Grands comptes');
SELECT profile, audience, step, days, enabled FROM dunning.scenario_overview
 WHERE step IN ('pre_due', 'R1') ORDER BY profile, audience, step;
INSERT INTO dunning.template (name, media, language, subject, body)
VALUES ('courtesy', 'email', 'fr', 'Bonjour', 'Corps {{#entries}}{{document_number}}{{/entries}}');
DELETE FROM dunning.template WHERE name OPERATOR(pg_catalog.=) 'courtesy';
DELETE FROM dunning.profile WHERE name OPERATOR(pg_catalog.=) 'Grands comptes';
SELECT dunning.attach('dunning.customer', 'dunning.entry');
SELECT dunning.detach();
INSERT INTO dunning.customer (customer_id, name, attributes) VALUES ('C1', 'Durand SARL', '{"segment": "pme"}');
INSERT INTO dunning.entry (entry_id, customer_id, kind, amount, open_amount, currency)
VALUES ('E1', 'C1', 'invoice', 100, 100, 'EUR');

-- Refusals still carry the extension's own messages.
UPDATE dunning.step SET days = 400 WHERE step = 'R1' AND scenario_id = 1;
SELECT dunning.criteria_check('{"language": {"like": "f%"}}');
DELETE FROM dunning.profile WHERE name OPERATOR(pg_catalog.=) 'Standard';
UPDATE dunning.settings SET timezone = 'Mars/Olympus_Mons';

-- The level operators resolve to the extension's, on any path.
SELECT 'R2'::dunning.level < 'R3', max(l) FROM (VALUES ('P'::dunning.level), ('R1')) AS v (l);

SELECT name, language FROM dunning.template WHERE template_id = 1;
SELECT timezone, min_balance FROM dunning.settings;

RESET search_path;
DELETE FROM dunning.entry;
DELETE FROM dunning.customer;
DROP OPERATOR public.= (text, text);
DROP FUNCTION public.captured_text_eq(text, text), public.lower(text), public.btrim(text),
    public.jsonb_typeof(jsonb);
