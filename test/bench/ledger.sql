-- The synthetic ledger of the planner benchmark (test/bench/plan.sh), built
-- set-based: generate_series and INSERT ... SELECT, no loop.
--
--   psql -v n=100000 -v d=2026-06-30 -f test/bench/ledger.sql
--
-- :n customers, each with 10 entries: 9 invoices and 1 credit note, amounts
-- 10-5000 EUR, due dates uniform over the 180 days before :d and the 30
-- after.  About 90% of customers have an email address, a collector and
-- attributes; about 1% of entries are in dispute and 1% carry a promise to
-- pay (from :d - 10 to :d + 30); 5% of invoices are partly paid.  One
-- profile besides Standard ("Key accounts", chosen by criteria on
-- attributes.segment, a copy of Standard's steps) so that the profile
-- criteria are evaluated as in a real configuration.  random() is seeded:
-- the same :n gives the same ledger.

SET client_min_messages = warning;
SELECT setseed(0.4242);

SELECT dunning.create_profile('Key accounts', 10, '{"attributes.segment": "grand_compte"}');

INSERT INTO dunning.customer (customer_id, name, email, language, collector, in_dispute, attributes)
SELECT g.customer_id,
       'Customer ' || g.i,
       CASE WHEN g.r_email < 0.9 THEN 'ap.' || g.i || '@customer.example' END,
       CASE WHEN g.r_lang < 0.8 THEN 'fr' ELSE 'en' END,
       CASE WHEN g.r_coll < 0.9 THEN 'collector_' || lpad((1 + g.i % 20)::text, 2, '0') END,
       g.r_disp < 0.005,
       CASE WHEN g.r_attr < 0.9 THEN
           jsonb_build_object(
               'segment', CASE WHEN g.r_seg < 0.7 THEN 'pme' WHEN g.r_seg < 0.8 THEN 'grand_compte' ELSE 'public' END,
               'region', (ARRAY['ARA', 'BFC', 'BRE', 'CVL', 'COR', 'GES', 'HDF', 'IDF', 'NOR', 'NAQ',
                                'OCC', 'PDL', 'PAC'])[1 + g.i % 13],
               'revenue', (g.r_seg * 5000000)::int)
       ELSE '{}' END
FROM (SELECT i, 'C' || lpad(i::text, 8, '0') AS customer_id,
             random() AS r_email, random() AS r_lang, random() AS r_coll, random() AS r_disp,
             random() AS r_attr, random() AS r_seg
      FROM generate_series(1, :n) AS i) AS g;

INSERT INTO dunning.entry (entry_id, customer_id, document_number, kind, document_date, due_date,
                           amount, open_amount, currency, in_dispute, promised_on)
SELECT g.entry_id, g.customer_id,
       CASE WHEN g.k < 10 THEN 'FA-' ELSE 'AV-' END || g.entry_id,
       CASE WHEN g.k < 10 THEN 'invoice' ELSE 'credit_note' END,
       g.due_date - (30 + 15 * g.terms),
       g.due_date,
       g.amount,
       CASE WHEN g.r_part < 0.05 AND g.k < 10 THEN round(g.amount / 2, 2) ELSE g.amount END,
       'EUR',
       g.r_disp < 0.01,
       CASE WHEN g.r_prom < 0.01 THEN date :'d' - 10 + g.prom_days END
FROM (SELECT 'E' || lpad(i::text, 8, '0') || '-' || lpad(k::text, 2, '0') AS entry_id,
             'C' || lpad(i::text, 8, '0') AS customer_id,
             k,
             date :'d' - 180 + floor(random() * 211)::int AS due_date,
             floor(random() * 3)::int AS terms,
             CASE WHEN k < 10 THEN 1 ELSE -1 END * round((10 + random() * 4990)::numeric, 2) AS amount,
             random() AS r_part, random() AS r_disp, random() AS r_prom,
             floor(random() * 41)::int AS prom_days
      FROM generate_series(1, :n) AS i
      CROSS JOIN generate_series(1, 10) AS k) AS g;

VACUUM ANALYZE dunning.customer;
VACUUM ANALYZE dunning.entry;
VACUUM ANALYZE;
