--
-- Templates: dunning.render() formats and escapes, dunning.template_placeholders()
-- and the template guard refuse what cannot render (src/render.c).
--
\set SHOW_CONTEXT never

-- A message context as dunning.action_message() builds it.
CREATE TEMPORARY TABLE ctx AS SELECT jsonb_build_object(
    'customer_name', 'Dupont & Fils <SARL>', 'customer_id', 'C042',
    'customer_address', E'3 rue des Lilas\n69003 Lyon',
    'company_name', 'Atelier Durand', 'company_address', E'12 rue des Artisans\n69001 Lyon',
    'level', 'R2', 'step', 'R2', 'as_of', '2026-06-30', 'executed_on', '2028-02-29',
    'reminder_count', 2, 'entry_count', 3,
    'entries', jsonb_build_array(
        jsonb_build_object('document_number', 'FA-1', 'document_date', '2026-01-31', 'due_date', '2026-03-02',
                           'amount', 1234567.891, 'open_amount', 1234.5, 'currency', 'EUR',
                           'days_overdue', 120, 'dispute', false),
        jsonb_build_object('document_number', 'FA-2', 'document_date', '2026-05-01', 'due_date', '2026-06-01',
                           'amount', 0.005, 'open_amount', 999.995, 'currency', 'GBP',
                           'days_overdue', 29, 'dispute', true),
        jsonb_build_object('document_number', 'AV-3', 'document_date', '2026-06-15', 'due_date', NULL,
                           'amount', -250, 'open_amount', -250, 'currency', 'CHF',
                           'days_overdue', NULL, 'dispute', false)),
    'total_list', jsonb_build_array(
        jsonb_build_object('currency', 'CHF', 'total', -250),
        jsonb_build_object('currency', 'EUR', 'total', 1234.5),
        jsonb_build_object('currency', 'GBP', 'total', 999.995),
        jsonb_build_object('currency', 'USD', 'total', 12))) AS c;

-- Every placeholder, in French, English and another language.
CREATE TEMPORARY TABLE tpl AS SELECT
    E'{{customer_name}} ({{customer_id}}), {{level}}/{{step}}, {{as_of}}, {{executed_on}}, n={{reminder_count}}, {{entry_count}} entries\n'
    || E'{{#entries}}[{{document_number}} {{document_date}} {{due_date}} {{amount}} {{open_amount}} {{currency}} {{days_overdue}}{{dispute}}]\n{{/entries}}'
    || E'{{#totals}}<{{total}} {{currency}}>{{/totals}}\n{{totals}}' AS t;
SELECT dunning.render(t, c, 'fr', false) FROM tpl, ctx;
SELECT dunning.render(t, c, 'en', false) FROM tpl, ctx;
SELECT dunning.render(t, c, 'de', false) FROM tpl, ctx;

-- HTML: values escaped, address line breaks as <br>; the template's own
-- markup is left alone.  A plain-text rendering escapes nothing.
SELECT dunning.render('<p>{{customer_name}}<br>{{customer_address}}</p>', c, 'fr', true) FROM ctx;
SELECT dunning.render('{{customer_name}}', c, 'fr', false) FROM ctx;

-- Missing keys, empty sections and a context without them render as nothing.
SELECT dunning.render('[{{customer_address}}][{{#entries}}x{{/entries}}][{{totals}}]', '{}', 'fr', false);
SELECT dunning.render('{{#entries}}{{amount}}{{/entries}}', '{"entries": [{"amount": 5}]}', 'fr', false);
SELECT dunning.render('{{ customer_name }}', '{"customer_name": "spaces inside braces"}', 'en', false);
SELECT dunning.render('a', '[1]', 'fr', false);

-- The check: the names used, sections as #name.
SELECT dunning.template_placeholders('{{customer_name}} {{#entries}}{{amount}}{{/entries}} {{#totals}}{{total}}{{/totals}}', 'x', false);
SELECT dunning.template_placeholders('no placeholder at all', 'x', false);
-- Refusals, each naming the placeholder and the template.
SELECT dunning.template_placeholders('Dear {{customer_nme}}', 'the body of template "t" (en)', false);
SELECT dunning.template_placeholders('{{amount}}', 'the body of template "t" (en)', false);
SELECT dunning.template_placeholders('{{#totals}}{{amount}}{{/totals}}', 'the body of template "t" (en)', false);
SELECT dunning.template_placeholders('{{#entries}} {{document_number}}', 'the body of template "t" (en)', false);
SELECT dunning.template_placeholders('{{/entries}}', 'the body of template "t" (en)', false);
SELECT dunning.template_placeholders('{{#entries}}{{#totals}}{{/totals}}{{/entries}}', 'the body of template "t" (en)', false);
SELECT dunning.template_placeholders('{{#invoices}}{{/invoices}}', 'the body of template "t" (en)', false);
SELECT dunning.template_placeholders('Re: {{#entries}}{{/entries}}', 'the subject of template "t" (en)', true);
SELECT dunning.template_placeholders('Hello {{customer_name', 'the body of template "t" (en)', false);
-- (cut after 20 bytes at most, between two characters)
SELECT dunning.template_placeholders('{{aéééééééééééééé', 'the body of template "t" (fr)', false);
SELECT dunning.template_placeholders('{{Customer-Name}}', 'the body of template "t" (en)', false);
SELECT dunning.template_placeholders('{{}}', 'the body of template "t" (en)', false);

-- Saving templates: the guard calls the check, then wants the blocks.
INSERT INTO dunning.template (name, media, language, subject, body)
VALUES ('note', 'email', 'en', 'Hello {{customer_nam}}', '{{#entries}}{{amount}}{{/entries}}');
INSERT INTO dunning.template (name, media, language, subject, body)
VALUES ('note', 'email', 'en', 'Hello', 'Dear {{customer_name}}, you owe {{totals}}.');
INSERT INTO dunning.template (name, media, language, subject, body)
VALUES ('note', 'letter', 'en', 'Hello', '{{customer_name}} {{#entries}}{{amount}}{{/entries}}');
INSERT INTO dunning.template (name, media, language, subject, body)
VALUES ('note', 'email', 'en', 'Hello {{customer_name}}', 'Dear {{customer_name}}: {{#entries}}{{document_number}} {{open_amount}}{{/entries}}')
RETURNING name, media, language;
UPDATE dunning.template SET body = replace(body, '{{open_amount}}', '{{open_amont}}') WHERE name = 'reminder' AND language = 'fr';

-- The shipped templates all pass the guard (they are inserted before it exists).
UPDATE dunning.template SET body = body, subject = subject WHERE builtin;
SELECT name, language, media, dunning.template_placeholders(body, name, false) AS body_placeholders
  FROM dunning.template WHERE builtin ORDER BY name, language;

-- A printable letter document: one page per letter, the title escaped.
SELECT dunning.letter_document('Relance <R1>', 'fr', ARRAY['<p>page 1</p>', '<p>page 2</p>']) ~ '<title>Relance &lt;R1&gt;</title>' AS title_escaped,
       (SELECT count(*) FROM regexp_matches(dunning.letter_document('t', 'fr', ARRAY['a', 'b', 'c']), '<article class="letter">', 'g')) AS pages,
       dunning.letter_document('t', 'en', ARRAY['x']) ~ '@page \{ size: A4' AS a4;
