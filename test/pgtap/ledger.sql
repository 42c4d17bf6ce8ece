-- ledger.sql: the ledger contract (SPEC.md, "The ledger contract").
--
-- Proves that the default relations dunning.customer and dunning.entry have
-- the contract's columns and types, their keys, the index by customer, and
-- checks that refuse typos (kind, settled_by, currency, attributes) while
-- loading what is merely incomplete; that dunning.ledger_contract lists the
-- contract; and that dunning.attach() accepts a DBA's own accounting schema
-- mapped onto the contract by views, refuses (with SQLSTATE and a message
-- naming the culprit, leaving dunning.settings as it was) a missing column,
-- a mistyped column, a relation that is not a table or view and a relation
-- the caller cannot read, the same through a direct UPDATE of
-- dunning.settings, and that dunning.detach() goes back to the defaults.
BEGIN;
SET client_min_messages = warning;
SELECT plan(106);

-------------------------------------------------------------------------------
-- dunning.customer
-------------------------------------------------------------------------------
SELECT has_table('dunning', 'customer', 'dunning.customer exists');
SELECT columns_are('dunning', 'customer',
    ARRAY['customer_id', 'name', 'email', 'language', 'collector', 'profile',
          'stop_dunning', 'in_dispute', 'attributes'],
    'dunning.customer has the columns of the customers contract');
SELECT col_type_is('dunning', 'customer', 'customer_id', 'text', 'customer.customer_id is text');
SELECT col_type_is('dunning', 'customer', 'name', 'text', 'customer.name is text');
SELECT col_type_is('dunning', 'customer', 'email', 'text', 'customer.email is text');
SELECT col_type_is('dunning', 'customer', 'language', 'text', 'customer.language is text');
SELECT col_type_is('dunning', 'customer', 'collector', 'text', 'customer.collector is text');
SELECT col_type_is('dunning', 'customer', 'profile', 'text', 'customer.profile is text');
SELECT col_type_is('dunning', 'customer', 'stop_dunning', 'boolean', 'customer.stop_dunning is boolean');
SELECT col_type_is('dunning', 'customer', 'in_dispute', 'boolean', 'customer.in_dispute is boolean');
SELECT col_type_is('dunning', 'customer', 'attributes', 'jsonb', 'customer.attributes is jsonb');
SELECT col_is_pk('dunning', 'customer', 'customer_id', 'customer_id is the primary key of dunning.customer');
SELECT col_default_is('dunning', 'customer', 'language', 'fr'::text, 'customer.language defaults to fr');
SELECT col_default_is('dunning', 'customer', 'stop_dunning', false, 'customer.stop_dunning defaults to false');
SELECT col_default_is('dunning', 'customer', 'in_dispute', false, 'customer.in_dispute defaults to false');
SELECT col_default_is('dunning', 'customer', 'attributes', '{}'::jsonb, 'customer.attributes defaults to {}');

-------------------------------------------------------------------------------
-- dunning.entry
-------------------------------------------------------------------------------
SELECT has_table('dunning', 'entry', 'dunning.entry exists');
SELECT columns_are('dunning', 'entry',
    ARRAY['entry_id', 'customer_id', 'document_number', 'kind', 'document_date', 'due_date',
          'amount', 'open_amount', 'currency', 'in_dispute', 'promised_on', 'settled_on', 'settled_by'],
    'dunning.entry has the columns of the entries contract');
SELECT col_type_is('dunning', 'entry', 'entry_id', 'text', 'entry.entry_id is text');
SELECT col_type_is('dunning', 'entry', 'customer_id', 'text', 'entry.customer_id is text');
SELECT col_type_is('dunning', 'entry', 'document_number', 'text', 'entry.document_number is text');
SELECT col_type_is('dunning', 'entry', 'kind', 'text', 'entry.kind is text');
SELECT col_type_is('dunning', 'entry', 'document_date', 'date', 'entry.document_date is date');
SELECT col_type_is('dunning', 'entry', 'due_date', 'date', 'entry.due_date is date');
SELECT col_type_is('dunning', 'entry', 'amount', 'numeric', 'entry.amount is numeric');
SELECT col_type_is('dunning', 'entry', 'open_amount', 'numeric', 'entry.open_amount is numeric');
SELECT col_type_is('dunning', 'entry', 'currency', 'text', 'entry.currency is text');
SELECT col_type_is('dunning', 'entry', 'in_dispute', 'boolean', 'entry.in_dispute is boolean');
SELECT col_type_is('dunning', 'entry', 'promised_on', 'date', 'entry.promised_on is date');
SELECT col_type_is('dunning', 'entry', 'settled_on', 'date', 'entry.settled_on is date');
SELECT col_type_is('dunning', 'entry', 'settled_by', 'text', 'entry.settled_by is text');
SELECT col_is_pk('dunning', 'entry', 'entry_id', 'entry_id is the primary key of dunning.entry');
SELECT has_index('dunning', 'entry', 'entry_customer_id_idx', 'customer_id',
                 'dunning.entry is indexed by customer_id');
SELECT hasnt_fk('dunning', 'entry', 'dunning.entry has no foreign key: an unknown customer is loaded, not refused');

-------------------------------------------------------------------------------
-- Checks of the default tables: typos refused, incomplete rows loaded.
-------------------------------------------------------------------------------
INSERT INTO dunning.customer (customer_id, name, email) VALUES ('C1', 'Dupont SA', 'compta@dupont.example');

SELECT lives_ok(
    $$INSERT INTO dunning.entry (entry_id, customer_id, kind, due_date, amount, open_amount, currency)
      VALUES ('E-INV', 'C1', 'invoice', DATE '2024-03-31', 1200.00, 1200.00, 'EUR'),
             ('E-CN', 'C1', 'credit_note', DATE '2024-03-31', -200.00, -200.00, 'EUR'),
             ('E-PAY', 'C1', 'payment', NULL, -300.00, -300.00, 'EUR'),
             ('E-OTH', 'C1', 'other', NULL, 15.00, 15.00, 'EUR')$$,
    'kinds invoice, credit_note, payment and other are accepted');
SELECT throws_ok(
    $$INSERT INTO dunning.entry (entry_id, customer_id, kind, amount, open_amount, currency)
      VALUES ('E-BAD', 'C1', 'refund', -10, -10, 'EUR')$$,
    '23514', 'new row for relation "entry" violates check constraint "entry_kind_is_known"',
    'kind refund is refused');
SELECT throws_ok(
    $$INSERT INTO dunning.entry (entry_id, customer_id, kind, amount, open_amount, currency)
      VALUES ('E-BAD', 'C1', 'Invoice', 10, 10, 'EUR')$$,
    '23514', 'new row for relation "entry" violates check constraint "entry_kind_is_known"',
    'kind Invoice (capitalised) is refused');
SELECT throws_ok(
    $$UPDATE dunning.entry SET kind = 'FAC' WHERE entry_id = 'E-INV'$$,
    '23514', 'new row for relation "entry" violates check constraint "entry_kind_is_known"',
    'an update to an unknown kind is refused');

SELECT lives_ok(
    $$UPDATE dunning.entry SET open_amount = 0, settled_on = DATE '2024-04-02', settled_by = 'payment'
       WHERE entry_id = 'E-INV'$$,
    'settled_by payment is accepted');
SELECT lives_ok(
    $$UPDATE dunning.entry SET open_amount = 0, settled_on = DATE '2024-04-02', settled_by = 'credit_note'
       WHERE entry_id = 'E-OTH'$$,
    'settled_by credit_note is accepted');
SELECT throws_ok(
    $$UPDATE dunning.entry SET settled_by = 'cash' WHERE entry_id = 'E-CN'$$,
    '23514', 'new row for relation "entry" violates check constraint "entry_settled_by_is_known"',
    'settled_by cash is refused');
SELECT throws_ok(
    $$UPDATE dunning.entry SET settled_by = 'invoice' WHERE entry_id = 'E-CN'$$,
    '23514', 'new row for relation "entry" violates check constraint "entry_settled_by_is_known"',
    'settled_by invoice is refused');

SELECT lives_ok(
    $$INSERT INTO dunning.entry (entry_id, customer_id, kind, due_date, amount, open_amount, currency)
      VALUES ('E-USD', 'C1', 'invoice', DATE '2024-03-31', 80, 80, 'USD')$$,
    'currency USD is accepted');
SELECT throws_ok(
    $$INSERT INTO dunning.entry (entry_id, customer_id, kind, amount, open_amount, currency)
      VALUES ('E-BAD', 'C1', 'invoice', 10, 10, 'eur')$$,
    '23514', 'new row for relation "entry" violates check constraint "entry_currency_is_iso_4217"',
    'currency eur (lower case) is refused');
SELECT throws_ok(
    $$INSERT INTO dunning.entry (entry_id, customer_id, kind, amount, open_amount, currency)
      VALUES ('E-BAD', 'C1', 'invoice', 10, 10, 'EURO')$$,
    '23514', 'new row for relation "entry" violates check constraint "entry_currency_is_iso_4217"',
    'currency EURO (four letters) is refused');
SELECT throws_ok(
    $$INSERT INTO dunning.entry (entry_id, customer_id, kind, amount, open_amount, currency)
      VALUES ('E-BAD', 'C1', 'invoice', 10, 10, 'E1R')$$,
    '23514', 'new row for relation "entry" violates check constraint "entry_currency_is_iso_4217"',
    'currency E1R (a digit) is refused');
SELECT throws_ok(
    $$INSERT INTO dunning.entry (entry_id, customer_id, kind, amount, open_amount, currency)
      VALUES ('E-BAD', 'C1', 'invoice', 10, 10, 'EU')$$,
    '23514', 'new row for relation "entry" violates check constraint "entry_currency_is_iso_4217"',
    'currency EU (two letters) is refused');

-- Incomplete rows are the planner's business (dunning.anomaly), not refused.
SELECT lives_ok(
    $$INSERT INTO dunning.entry (entry_id, customer_id, kind, due_date, amount, open_amount, currency)
      VALUES ('E-NODUE', 'C1', 'invoice', NULL, 50, 50, 'EUR'),
             ('E-NOCUR', 'C1', 'invoice', DATE '2024-03-31', 50, 50, NULL),
             ('E-STRANGER', 'C-UNKNOWN', 'invoice', DATE '2024-03-31', 50, 50, 'EUR')$$,
    'an entry without due date, one without currency and one of an unknown customer are loaded');

SELECT lives_ok(
    $$INSERT INTO dunning.customer (customer_id, name, attributes)
      VALUES ('C2', 'Martin SARL', '{"segment": "key_account", "revenue": 250000}')$$,
    'attributes as a JSON object are accepted');
SELECT throws_ok(
    $$INSERT INTO dunning.customer (customer_id, name, attributes) VALUES ('C-BAD', 'Bad', '["key_account"]')$$,
    '23514', 'new row for relation "customer" violates check constraint "customer_attributes_is_object"',
    'attributes as a JSON array are refused');
SELECT throws_ok(
    $$INSERT INTO dunning.customer (customer_id, name, attributes) VALUES ('C-BAD', 'Bad', '"key_account"')$$,
    '23514', 'new row for relation "customer" violates check constraint "customer_attributes_is_object"',
    'attributes as a JSON string are refused');
SELECT throws_ok(
    $$INSERT INTO dunning.customer (customer_id, name, attributes) VALUES ('C-BAD', 'Bad', 'null')$$,
    '23514', 'new row for relation "customer" violates check constraint "customer_attributes_is_object"',
    'attributes as JSON null are refused');
SELECT throws_ok(
    $$UPDATE dunning.customer SET attributes = '42' WHERE customer_id = 'C2'$$,
    '23514', 'new row for relation "customer" violates check constraint "customer_attributes_is_object"',
    'an update of attributes to a JSON number is refused');

SELECT results_eq(
    $$SELECT entry_id, kind, settled_by, currency FROM dunning.entry ORDER BY entry_id$$,
    $$VALUES ('E-CN', 'credit_note', NULL, 'EUR'),
             ('E-INV', 'invoice', 'payment', 'EUR'),
             ('E-NOCUR', 'invoice', NULL, NULL),
             ('E-NODUE', 'invoice', NULL, 'EUR'),
             ('E-OTH', 'other', 'credit_note', 'EUR'),
             ('E-PAY', 'payment', NULL, 'EUR'),
             ('E-STRANGER', 'invoice', NULL, 'EUR'),
             ('E-USD', 'invoice', NULL, 'USD')$$,
    'refused inserts and updates stored nothing in dunning.entry');
SELECT results_eq(
    $$SELECT customer_id, language, stop_dunning, in_dispute, attributes FROM dunning.customer ORDER BY customer_id$$,
    $$VALUES ('C1', 'fr', false, false, '{}'::jsonb),
             ('C2', 'fr', false, false, '{"segment": "key_account", "revenue": 250000}'::jsonb)$$,
    'refused inserts and updates stored nothing in dunning.customer; defaults filled in');

-------------------------------------------------------------------------------
-- dunning.ledger_contract
-------------------------------------------------------------------------------
SELECT has_view('dunning', 'ledger_contract', 'dunning.ledger_contract exists');
SELECT columns_are('dunning', 'ledger_contract', ARRAY['relation', 'position', 'column_name', 'data_type'],
                   'dunning.ledger_contract has relation, position, column_name, data_type');
SELECT results_eq(
    $$SELECT relation, position, column_name, pg_catalog.format_type(data_type, NULL)
        FROM dunning.ledger_contract ORDER BY relation, position$$,
    $$VALUES ('customers', 1, 'customer_id', 'text'),
             ('customers', 2, 'name', 'text'),
             ('customers', 3, 'email', 'text'),
             ('customers', 4, 'language', 'text'),
             ('customers', 5, 'collector', 'text'),
             ('customers', 6, 'profile', 'text'),
             ('customers', 7, 'stop_dunning', 'boolean'),
             ('customers', 8, 'in_dispute', 'boolean'),
             ('customers', 9, 'attributes', 'jsonb'),
             ('entries', 1, 'entry_id', 'text'),
             ('entries', 2, 'customer_id', 'text'),
             ('entries', 3, 'document_number', 'text'),
             ('entries', 4, 'kind', 'text'),
             ('entries', 5, 'document_date', 'date'),
             ('entries', 6, 'due_date', 'date'),
             ('entries', 7, 'amount', 'numeric'),
             ('entries', 8, 'open_amount', 'numeric'),
             ('entries', 9, 'currency', 'text'),
             ('entries', 10, 'in_dispute', 'boolean'),
             ('entries', 11, 'promised_on', 'date'),
             ('entries', 12, 'settled_on', 'date'),
             ('entries', 13, 'settled_by', 'text')$$,
    'dunning.ledger_contract lists the columns and types of the spec');
SELECT set_eq(
    $$SELECT CASE a.attrelid WHEN 'dunning.customer'::regclass THEN 'customers' ELSE 'entries' END,
             a.attname::text COLLATE "default", a.atttypid::regtype
        FROM pg_catalog.pg_attribute a
       WHERE a.attrelid IN ('dunning.customer'::regclass, 'dunning.entry'::regclass)
         AND a.attnum > 0 AND NOT a.attisdropped$$,
    $$SELECT relation, column_name, data_type FROM dunning.ledger_contract$$,
    'the default tables have exactly the columns and types of dunning.ledger_contract');

-------------------------------------------------------------------------------
-- A DBA's accounting schema, in French, mapped onto the contract by views.
-------------------------------------------------------------------------------
CREATE SCHEMA compta;
CREATE TABLE compta.clients (
    code_client         varchar(12) PRIMARY KEY,
    raison_sociale      varchar(120) NOT NULL,
    courriel            varchar(200),
    langue              char(2) NOT NULL DEFAULT 'FR',
    charge_recouvrement varchar(40),
    groupe_relance      varchar(40),
    stop_relance        char(1) NOT NULL DEFAULT 'N' CHECK (stop_relance IN ('O', 'N')),
    litige              boolean NOT NULL DEFAULT false,
    segment             varchar(20),
    ca_annuel           numeric(14, 2)
);
CREATE TABLE compta.ecritures (
    num_ecriture bigserial PRIMARY KEY,
    code_client  varchar(12) NOT NULL REFERENCES compta.clients,
    num_piece    varchar(20),
    type_piece   char(3) NOT NULL CHECK (type_piece IN ('FAC', 'AVO', 'REG', 'OD')),
    date_piece   date,
    echeance     date,
    montant_ttc  numeric(12, 2) NOT NULL,
    solde_cts    integer NOT NULL,              -- open amount in cents
    devise       char(3) NOT NULL DEFAULT 'EUR',
    litige       boolean NOT NULL DEFAULT false,
    promesse_le  date,
    lettre_le    date,
    lettre_par   char(3) CHECK (lettre_par IN ('REG', 'AVO'))
);
INSERT INTO compta.clients (code_client, raison_sociale, courriel, langue, stop_relance, segment, ca_annuel)
VALUES ('411DUP', 'Dupont SA', 'compta@dupont.example', 'FR', 'N', 'key_account', 250000),
       ('411SMI', 'Smith Ltd', NULL, 'EN', 'O', NULL, NULL);
INSERT INTO compta.ecritures (code_client, num_piece, type_piece, date_piece, echeance, montant_ttc, solde_cts,
                              lettre_le, lettre_par)
VALUES ('411DUP', 'F2024-001', 'FAC', DATE '2024-03-01', DATE '2024-03-31', 1200.00, 120000, NULL, NULL),
       ('411DUP', 'A2024-001', 'AVO', DATE '2024-03-05', NULL, -200.00, 0, DATE '2024-03-05', 'AVO'),
       ('411SMI', 'R2024-001', 'REG', DATE '2024-03-10', NULL, -300.00, -30000, NULL, NULL),
       ('411SMI', 'OD2024-01', 'OD', DATE '2024-03-11', NULL, 12.50, 1250, NULL, NULL);

CREATE VIEW compta.v_dunning_customers AS
SELECT c.code_client AS customer_id,                         -- varchar: accepted for text
       c.raison_sociale AS name,
       c.courriel AS email,
       pg_catalog.lower(c.langue)::text AS language,
       c.charge_recouvrement AS collector,
       c.groupe_relance AS profile,
       c.stop_relance = 'O' AS stop_dunning,
       c.litige AS in_dispute,
       pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('segment', c.segment,
                                                                  'revenue', c.ca_annuel)) AS attributes
  FROM compta.clients c;

CREATE VIEW compta.v_dunning_entries AS
SELECT e.num_ecriture::text AS entry_id,
       e.code_client AS customer_id,
       e.num_piece AS document_number,
       CASE e.type_piece WHEN 'FAC' THEN 'invoice' WHEN 'AVO' THEN 'credit_note'
                         WHEN 'REG' THEN 'payment' ELSE 'other' END AS kind,
       e.date_piece AS document_date,
       e.echeance AS due_date,
       e.montant_ttc AS amount,                              -- numeric(12,2): a numeric
       e.solde_cts / 100.0 AS open_amount,
       e.devise::text AS currency,
       e.litige AS in_dispute,
       e.promesse_le AS promised_on,
       e.lettre_le AS settled_on,
       CASE e.lettre_par WHEN 'REG' THEN 'payment' WHEN 'AVO' THEN 'credit_note' END AS settled_by
  FROM compta.ecritures e;

SELECT col_type_is('compta', 'v_dunning_customers', 'customer_id', 'character varying(12)',
                   'the DBA''s customers view has a varchar customer_id');
SELECT lives_ok($$SELECT dunning.attach('compta.v_dunning_customers', 'compta.v_dunning_entries')$$,
                'dunning.attach accepts views mapping the accounting tables onto the contract, varchar for text');
SELECT results_eq(
    $$SELECT customer_source, entry_source FROM dunning.settings$$,
    $$VALUES ('compta.v_dunning_customers'::regclass, 'compta.v_dunning_entries'::regclass)$$,
    'dunning.attach points settings.customer_source and entry_source at the views');
SELECT results_eq(
    $$SELECT e.kind, e.amount, e.open_amount, e.settled_by
        FROM compta.v_dunning_entries e ORDER BY e.entry_id::integer$$,
    $$VALUES ('invoice', 1200.00, 1200.00, NULL),
             ('credit_note', -200.00, 0.00, 'credit_note'),
             ('payment', -300.00, -300.00, NULL),
             ('other', 12.50, 12.50, NULL)$$,
    'the attached entries view translates the French codes into the contract''s kinds');
SELECT lives_ok('SELECT dunning.detach()', 'dunning.detach returns');
SELECT results_eq(
    $$SELECT customer_source, entry_source FROM dunning.settings$$,
    $$VALUES ('dunning.customer'::regclass, 'dunning.entry'::regclass)$$,
    'dunning.detach points the settings back at dunning.customer and dunning.entry');

CREATE MATERIALIZED VIEW compta.mv_dunning_customers AS SELECT * FROM compta.v_dunning_customers;
CREATE TABLE compta.dunning_entries_copy AS SELECT * FROM compta.v_dunning_entries;
SELECT lives_ok($$SELECT dunning.attach('compta.mv_dunning_customers', 'compta.dunning_entries_copy')$$,
                'dunning.attach accepts a materialized view and a table');
SELECT lives_ok('SELECT dunning.detach()', 'dunning.detach returns from them');

-------------------------------------------------------------------------------
-- Refusals.  Each leaves dunning.settings pointing at the defaults.
-------------------------------------------------------------------------------
-- A column missing.
CREATE VIEW compta.v_customers_no_collector AS
SELECT customer_id, name, email, language, profile, stop_dunning, in_dispute, attributes
  FROM compta.v_dunning_customers;
CREATE VIEW compta.v_entries_no_settled_by AS
SELECT entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount,
       currency, in_dispute, promised_on, settled_on
  FROM compta.v_dunning_entries;

SELECT throws_ok($$SELECT dunning.attach('compta.v_customers_no_collector', 'compta.v_dunning_entries')$$,
                 '42703', 'customers relation compta.v_customers_no_collector has no column "collector"',
                 'a customers view without collector is refused, naming the column and the view');
SELECT throws_ok($$SELECT dunning.attach('compta.v_dunning_customers', 'compta.v_entries_no_settled_by')$$,
                 '42703', 'entries relation compta.v_entries_no_settled_by has no column "settled_by"',
                 'an entries view without settled_by is refused, naming the column and the view');
SELECT throws_ok($$SELECT dunning.attach('compta.clients', 'compta.ecritures')$$,
                 '42703', 'customers relation compta.clients has no column "customer_id"',
                 'the raw accounting tables are refused: their columns have other names');

-- A column of the wrong type.
CREATE VIEW compta.v_entries_cents AS
SELECT entry_id, customer_id, document_number, kind, document_date, due_date,
       e.solde_cts AS amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by
  FROM compta.v_dunning_entries v JOIN compta.ecritures e ON e.num_ecriture::text = v.entry_id;
CREATE VIEW compta.v_entries_char_currency AS
SELECT entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount,
       e.devise AS currency, in_dispute, promised_on, settled_on, settled_by
  FROM compta.v_dunning_entries v JOIN compta.ecritures e ON e.num_ecriture::text = v.entry_id;
CREATE VIEW compta.v_customers_char_stop AS
SELECT customer_id, name, email, language, collector, profile,
       c.stop_relance AS stop_dunning, in_dispute, attributes
  FROM compta.v_dunning_customers v JOIN compta.clients c ON c.code_client = v.customer_id;
CREATE VIEW compta.v_customers_json AS
SELECT customer_id, name, email, language, collector, profile, stop_dunning, in_dispute,
       attributes::json AS attributes
  FROM compta.v_dunning_customers;

SELECT throws_ok($$SELECT dunning.attach('compta.v_dunning_customers', 'compta.v_entries_cents')$$,
                 '42804', 'column "amount" of entries relation compta.v_entries_cents has type integer, expected numeric',
                 'an integer amount (cents) is refused, naming the column, its type and the expected type');
SELECT throws_ok($$SELECT dunning.attach('compta.v_dunning_customers', 'compta.v_entries_char_currency')$$,
                 '42804', 'column "currency" of entries relation compta.v_entries_char_currency has type character, expected text',
                 'a char(3) currency is refused: only varchar stands in for text');
SELECT throws_ok($$SELECT dunning.attach('compta.v_customers_char_stop', 'compta.v_dunning_entries')$$,
                 '42804', 'column "stop_dunning" of customers relation compta.v_customers_char_stop has type character, expected boolean',
                 'a stop_dunning flag O/N is refused where a boolean is required');
SELECT throws_ok($$SELECT dunning.attach('compta.v_customers_json', 'compta.v_dunning_entries')$$,
                 '42804', 'column "attributes" of customers relation compta.v_customers_json has type json, expected jsonb',
                 'json attributes are refused where jsonb is required');

-- A relation that is neither a table nor a view.
SELECT throws_ok($$SELECT dunning.attach('compta.ecritures_num_ecriture_seq', 'compta.v_dunning_entries')$$,
                 '42809', 'customers relation compta.ecritures_num_ecriture_seq is not a table or a view',
                 'a sequence as customers relation is refused');
SELECT throws_ok($$SELECT dunning.attach('compta.v_dunning_customers', 'compta.clients_pkey')$$,
                 '42809', 'entries relation compta.clients_pkey is not a table or a view',
                 'an index as entries relation is refused');

-- Good customers, bad entries: nothing of the call is kept.
SELECT results_eq(
    $$SELECT customer_source, entry_source FROM dunning.settings$$,
    $$VALUES ('dunning.customer'::regclass, 'dunning.entry'::regclass)$$,
    'after the refused calls, dunning.settings still points at the defaults (even when the customers relation was good)');

-- A relation the caller cannot read: run as dunning_admin.
CREATE TABLE compta.clients_confidentiel AS SELECT * FROM compta.v_dunning_customers;
GRANT USAGE ON SCHEMA compta TO dunning_admin;
GRANT SELECT ON compta.v_dunning_customers, compta.v_dunning_entries TO dunning_admin;
SET ROLE dunning_admin;
SELECT throws_ok($$SELECT dunning.attach('compta.clients_confidentiel', 'compta.v_dunning_entries')$$,
                 '42501', 'permission denied: dunning_admin cannot read column "customer_id" of customers relation compta.clients_confidentiel',
                 'a customers table dunning_admin cannot SELECT is refused');
SELECT throws_ok($$UPDATE dunning.settings SET entry_source = 'compta.ecritures'$$,
                 '42703', 'entries relation compta.ecritures has no column "entry_id"',
                 'dunning_admin updating entry_source directly meets the same check');
RESET ROLE;
-- Column privileges count: every contract column must be readable, the others need not.
ALTER TABLE compta.clients_confidentiel ADD COLUMN notes_internes text;
GRANT SELECT (customer_id, name, email, language, collector, profile, stop_dunning, in_dispute)
   ON compta.clients_confidentiel TO dunning_admin;
SET ROLE dunning_admin;
SELECT throws_ok($$SELECT dunning.attach('compta.clients_confidentiel', 'compta.v_dunning_entries')$$,
                 '42501', 'permission denied: dunning_admin cannot read column "attributes" of customers relation compta.clients_confidentiel',
                 'a customers table with one contract column unreadable is refused, naming it');
RESET ROLE;
GRANT SELECT (attributes) ON compta.clients_confidentiel TO dunning_admin;
SET ROLE dunning_admin;
SELECT lives_ok($$SELECT dunning.attach('compta.clients_confidentiel', 'compta.v_dunning_entries')$$,
                'readable contract columns suffice, an unreadable extra column does not matter');
SELECT lives_ok($$SELECT dunning.attach('compta.v_dunning_customers', 'compta.v_dunning_entries')$$,
                'dunning_admin attaches the views it may read');
SELECT lives_ok('SELECT dunning.detach()', 'dunning_admin detaches');
RESET ROLE;

-- The planner, the outbox and the reports read the ledger as the
-- extension's owner (a superuser): a view, or anything it calls, that a
-- non-superuser owns could run that role's code as a superuser.  Refused
-- whoever attaches it, and again whenever it is read.
GRANT CREATE ON SCHEMA compta TO dunning_admin;
SET ROLE dunning_admin;
CREATE FUNCTION compta.whoami(t text) RETURNS text LANGUAGE sql AS 'SELECT t';
CREATE VIEW compta.v_customers_by_admin AS SELECT * FROM compta.v_dunning_customers;
CREATE VIEW compta.v_customers_calling_admin AS
    SELECT customer_id, compta.whoami(name) AS name, email, language, collector, profile, stop_dunning,
           in_dispute, attributes
    FROM compta.v_dunning_customers;
SELECT throws_ok($$SELECT dunning.attach('compta.v_customers_by_admin', 'compta.v_dunning_entries')$$,
                 '42501', 'customers relation compta.v_customers_by_admin runs view compta.v_customers_by_admin owned by role dunning_admin, which is not a superuser',
                 'a view owned by dunning_admin is refused: its owner could make it run anything as the extension''s owner');
RESET ROLE;
ALTER VIEW compta.v_customers_calling_admin OWNER TO CURRENT_USER;
SELECT throws_ok($$SELECT dunning.attach('compta.v_customers_calling_admin', 'compta.v_dunning_entries')$$,
                 '42501', 'customers relation compta.v_customers_calling_admin runs function compta.whoami(text) owned by role dunning_admin, which is not a superuser',
                 'a superuser''s view calling a function dunning_admin owns (and may redefine) is refused');
CREATE VIEW compta.v_customers_nested AS SELECT * FROM compta.v_customers_by_admin;
SELECT throws_ok($$SELECT dunning.attach('compta.v_customers_nested', 'compta.v_dunning_entries')$$,
                 '42501', 'customers relation compta.v_customers_nested runs view compta.v_customers_by_admin owned by role dunning_admin, which is not a superuser',
                 'a superuser''s view over a view dunning_admin owns is refused');
ALTER FUNCTION compta.whoami(text) OWNER TO CURRENT_USER;
SELECT lives_ok($$SELECT dunning.attach('compta.v_customers_calling_admin', 'compta.v_dunning_entries')$$,
                'once a superuser owns the view and the function it calls, the view is accepted');
-- Owned by a superuser when attached, given away later: the next read refuses it.
ALTER FUNCTION compta.whoami(text) OWNER TO dunning_admin;
SELECT throws_ok($$SELECT dunning.plan('2026-06-30')$$,
                 '42501', 'customers relation compta.v_customers_calling_admin runs function compta.whoami(text) owned by role dunning_admin, which is not a superuser',
                 'a plan re-checks the attached views and refuses to run code a non-superuser owns');
SELECT dunning.detach();
REVOKE CREATE ON SCHEMA compta FROM dunning_admin;

-- The check lives in the settings trigger: a direct UPDATE meets it too.
SELECT throws_ok($$UPDATE dunning.settings SET customer_source = 'compta.v_customers_no_collector'$$,
                 '42703', 'customers relation compta.v_customers_no_collector has no column "collector"',
                 'updating settings.customer_source directly to a view without collector is refused');
SELECT throws_ok($$UPDATE dunning.settings SET entry_source = 'compta.v_entries_cents'$$,
                 '42804', 'column "amount" of entries relation compta.v_entries_cents has type integer, expected numeric',
                 'updating settings.entry_source directly to a view with an integer amount is refused');
SELECT throws_ok($$UPDATE dunning.settings SET customer_source = 'compta.ecritures_num_ecriture_seq'$$,
                 '42809', 'customers relation compta.ecritures_num_ecriture_seq is not a table or a view',
                 'updating settings.customer_source directly to a sequence is refused');
SELECT throws_ok($$UPDATE dunning.settings SET customer_source = 0::oid$$,
                 '42P01', 'customers relation with OID 0 does not exist',
                 'updating settings.customer_source directly to an OID of no relation is refused');

SELECT results_eq(
    $$SELECT customer_source, entry_source, timezone FROM dunning.settings$$,
    $$VALUES ('dunning.customer'::regclass, 'dunning.entry'::regclass, 'UTC'::text)$$,
    'after every refusal dunning.settings is as installed');

-------------------------------------------------------------------------------
-- An attached table that later loses a column.  (A view cannot lose a
-- column: CREATE OR REPLACE VIEW refuses to drop one, and DROP VIEW makes a
-- new relation; a table can, by ALTER TABLE ... DROP COLUMN.)
-------------------------------------------------------------------------------
CREATE TABLE compta.clients_export AS SELECT * FROM compta.v_dunning_customers;
SELECT lives_ok($$SELECT dunning.attach('compta.clients_export', 'compta.v_dunning_entries')$$,
                'dunning.attach accepts the exported customers table');
ALTER TABLE compta.clients_export DROP COLUMN collector;
SELECT lives_ok($$UPDATE dunning.settings SET timezone = 'Europe/Paris'$$,
                'changing the timezone is not blocked by the attached table that lost a column');
SELECT results_eq(
    $$SELECT customer_source, entry_source, timezone FROM dunning.settings$$,
    $$VALUES ('compta.clients_export'::regclass, 'compta.v_dunning_entries'::regclass, 'Europe/Paris'::text)$$,
    'the timezone changed, the sources did not');
SELECT throws_ok($$SELECT dunning.attach('compta.clients_export', 'compta.v_dunning_entries')$$,
                 '42703', 'customers relation compta.clients_export has no column "collector"',
                 'attaching again the table that lost a column is refused: attach checks every column');
SELECT lives_ok('SELECT dunning.detach()', 'dunning.detach leaves the broken table');
SELECT results_eq(
    $$SELECT customer_source, entry_source FROM dunning.settings$$,
    $$VALUES ('dunning.customer'::regclass, 'dunning.entry'::regclass)$$,
    'dunning.detach is back on dunning.customer and dunning.entry');

-------------------------------------------------------------------------------
-- An attached relation cannot be dropped while attached (the event trigger
-- dunning_protect_attached_relations): regclass records no dependency.
-------------------------------------------------------------------------------
CREATE VIEW compta.v_attached_customers AS SELECT * FROM compta.v_dunning_customers;
CREATE VIEW compta.v_attached_entries AS SELECT * FROM compta.v_dunning_entries;
SELECT lives_ok($$SELECT dunning.attach('compta.v_attached_customers', 'compta.v_attached_entries')$$,
                'two views are attached');
SELECT throws_ok($$DROP VIEW compta.v_attached_entries$$,
                 '2BP01', 'cannot drop compta.v_attached_entries because dunning reads it as a ledger relation',
                 'an attached view cannot be dropped');
SELECT throws_like($$DROP SCHEMA compta CASCADE$$,
                   'cannot drop compta.v_attached_% because dunning reads it as a ledger relation',
                   'nor dropped with its schema');
SELECT has_view('compta', 'v_attached_entries', 'the attached view is still there');
-- The guard fires on every DROP: a role with no dunning privilege still
-- drops its own tables (the guard reads dunning.settings as its owner).
CREATE ROLE dunning_test_dropper;
GRANT USAGE, CREATE ON SCHEMA compta TO dunning_test_dropper;
SET ROLE dunning_test_dropper;
CREATE TABLE compta.scratch (x integer);
DROP TABLE compta.scratch;
RESET ROLE;
SELECT hasnt_table('compta', 'scratch', 'a role without dunning privileges dropped its own table');
SELECT lives_ok('SELECT dunning.detach()', 'detached');
SELECT lives_ok($$DROP VIEW compta.v_attached_entries$$, 'once detached, the view can be dropped');

SELECT * FROM finish();
ROLLBACK;
