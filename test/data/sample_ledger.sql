-- A sample ledger for the dunning demo (test/demo.sh, README "Quick start").
--
-- The story.  Atelier Durand SARL, a French SME near Lyon, designs, makes and
-- fits furniture and fittings for professionals: restaurants, hotels, shops,
-- town halls, schools, associations, and a few customers abroad.  It sells on
-- credit (30, 45 or 60 days, within the French legal limit of 60 days), so its
-- accounts receivable hold about a quarter of a million euros (and some pounds
-- and Swiss francs) that three collectors chase: Claire Martin, Hugo Bernard
-- and Sofia Lopes.  This file loads its
-- customer file and its open (and recently settled) ledger entries as they
-- stand on the evening of 2026-06-30, the planning date the demo uses:
--
--     SELECT dunning.plan(date '2026-06-30');
--
-- Every date below is a literal, so the demo gives the same result whenever
-- it runs.  Invoices (factures, FA-), credit notes (avoirs, AV-) and payments
-- (règlements, RG-) are in EUR unless said otherwise; amounts are signed
-- (positive: the customer owes; negative: credit in the customer's favour).
-- No customer has an explicit profile: the profiles' criteria decide, on
-- attributes such as {"segment": "pme" | "grand_compte" | "public", "region",
-- "siren" (French customers) or "vat" (foreign ones), "legal_form", "country"}.
--
-- Who illustrates what, on 2026-06-30:
--   pre-due window (due within 5 days)   C001, C003, C019, C021, C029, C035
--   not yet due, later                   C001, C002, C014, C018, C022, C025, C027 (and others)
--   overdue 1-30 days                    C002, C008, C013, C021, C036 (and many others)
--   overdue 31-60 days                   C004 and C015 (town halls), C009, C023, C032
--   overdue 61-90 days                   C006 (no email: letters), C016, C028, C033
--   overdue more than 90 days            C007 (no email), C012, C027, C030, C031
--   key accounts, every bucket           C003 Boulangeries Perrin, C034 Chevalier Matériaux
--   partly paid invoices                 C003, C008, C015, C030
--   thank-you (settled 10-29 June)       by payment: C001, C002, C004, C005, C010, C013,
--                                        C014, C021, C022, C025, C026, C027, C028, C029,
--                                        C034;
--                                        by a credit note: C003, C017, C034
--   open credit notes (negative)         C011, C013, C024 (GBP), C033
--   unallocated payment (negative)       C018
--   promise to pay                       still running (after 30 June): C009, C028, C032;
--                                        expired, not kept: C010, C030
--   disputes                             customers in dispute: C011, C019;
--                                        disputed entries: C011, C019, C034
--   stop_dunning (safeguard proceedings) C012
--   without email (NULL or '')           C006, C007, C016, C023, C031, C032
--   small amounts (thresholds)           C020
--   several currencies                   C024 in EUR and GBP; C027 (British, 'en') in GBP;
--                                        C026 (Swiss, 'fr') in CHF; C025 (Belgian, 'fr')
--                                        and C028 (Irish, 'en') in EUR
--
-- Two rows are wrong on purpose, to show that a bad row never stops a run: the
-- planner skips them and records them in dunning.anomaly.  They are marked
-- ANOMALY below: an open invoice of C034 without a due date, and an invoice
-- of customer C999, who is not in dunning.customer.
--
-- Run with psql after CREATE EXTENSION dunning:
--     psql -v ON_ERROR_STOP=1 -f test/data/sample_ledger.sql
-- It inserts into dunning.customer and dunning.entry only, in one transaction.

BEGIN;

-------------------------------------------------------------------------------
-- Customers (profile NULL everywhere: the profiles decide)
-------------------------------------------------------------------------------
INSERT INTO dunning.customer
    (customer_id, name, email, language, collector, profile, stop_dunning, in_dispute, attributes)
VALUES
    ('C001', 'Brasserie du Vieux Port SARL', 'compta@brasserie-vieuxport.example', 'fr', 'Claire Martin', NULL, false, false,
     '{"segment": "pme", "region": "Provence-Alpes-Côte d''Azur", "siren": "812345676", "legal_form": "SARL", "city": "Marseille", "country": "FR"}'),
    ('C002', 'Hôtel Les Alpilles SAS', 'marion.giraud@hotel-alpilles.example', 'fr', 'Claire Martin', NULL, false, false,
     '{"segment": "pme", "region": "Provence-Alpes-Côte d''Azur", "siren": "793450123", "legal_form": "SAS", "city": "Saint-Rémy-de-Provence", "country": "FR"}'),
    ('C003', 'Boulangeries Perrin SAS', 'compta@boulangeries-perrin.example', 'fr', 'Hugo Bernard', NULL, false, false,
     '{"segment": "grand_compte", "region": "Auvergne-Rhône-Alpes", "siren": "402187652", "legal_form": "SAS", "city": "Lyon", "country": "FR"}'),
    ('C004', 'Mairie de Saint-Genis-Laval', 'compta@saint-genis-laval.example', 'fr', 'Sofia Lopes', NULL, false, false,
     '{"segment": "public", "region": "Auvergne-Rhône-Alpes", "siren": "216902049", "legal_form": "commune", "city": "Saint-Genis-Laval", "country": "FR"}'),
    ('C005', 'Cabinet Lefèvre & Associés', 'paul.lefevre@cabinet-lefevre.example', 'fr', 'Claire Martin', NULL, false, false,
     '{"segment": "pme", "region": "Île-de-France", "siren": "488771205", "legal_form": "SCP", "city": "Paris", "country": "FR"}'),
    ('C006', 'Restaurant La Table de Léa EURL', NULL, 'fr', 'Hugo Bernard', NULL, false, false,
     '{"segment": "pme", "region": "Auvergne-Rhône-Alpes", "siren": "851209346", "legal_form": "EURL", "city": "Annecy", "country": "FR"}'),
    ('C007', 'Garage Moreau Frères SARL', '', 'fr', 'Hugo Bernard', NULL, false, false,
     '{"segment": "pme", "region": "Auvergne-Rhône-Alpes", "siren": "384502712", "legal_form": "SARL", "city": "Saint-Étienne", "country": "FR"}'),
    ('C008', 'Association Les Amis du Théâtre de Lyon', 'jeanne.vidal@amis-theatre-lyon.example', 'fr', 'Claire Martin', NULL, false, false,
     '{"segment": "pme", "region": "Auvergne-Rhône-Alpes", "siren": "775603186", "legal_form": "association", "city": "Lyon", "country": "FR"}'),
    ('C009', 'Pharmacie Centrale de Villeurbanne SELARL', 'compta@pharmacie-centrale-villeurbanne.example', 'fr', 'Claire Martin', NULL, false, false,
     '{"segment": "pme", "region": "Auvergne-Rhône-Alpes", "siren": "523098762", "legal_form": "SELARL", "city": "Villeurbanne", "country": "FR"}'),
    ('C010', 'Coiffure Élégance EURL', 'nadia.benali@coiffure-elegance.example', 'fr', 'Sofia Lopes', NULL, false, false,
     '{"segment": "pme", "region": "Auvergne-Rhône-Alpes", "siren": "890124563", "legal_form": "EURL", "city": "Grenoble", "country": "FR"}'),
    ('C011', 'Groupe Hôtelier Riviera SA', 'compta@riviera-hotels.example', 'fr', 'Claire Martin', NULL, false, true,
     '{"segment": "grand_compte", "region": "Provence-Alpes-Côte d''Azur", "siren": "312876543", "legal_form": "SA", "city": "Nice", "country": "FR"}'),
    ('C012', 'Librairie Papeterie Dumas SARL', 'compta@librairie-dumas.example', 'fr', 'Sofia Lopes', NULL, true, false,
     '{"segment": "pme", "region": "Auvergne-Rhône-Alpes", "siren": "441902376", "legal_form": "SARL", "city": "Clermont-Ferrand", "country": "FR"}'),
    ('C013', 'Bistrot Chez Marcel SARL', 'marcel.dupuis@chez-marcel.example', 'fr', 'Hugo Bernard', NULL, false, false,
     '{"segment": "pme", "region": "Auvergne-Rhône-Alpes", "siren": "834712093", "legal_form": "SARL", "city": "Lyon", "country": "FR"}'),
    ('C014', 'Camping Les Pins SAS', 'compta@camping-lespins.example', 'fr', 'Claire Martin', NULL, false, false,
     '{"segment": "pme", "region": "Occitanie", "siren": "506219831", "legal_form": "SAS", "city": "Argelès-sur-Mer", "country": "FR"}'),
    ('C015', 'Mairie de Villefranche-sur-Saône', 'compta@villefranche.example', 'fr', 'Sofia Lopes', NULL, false, false,
     '{"segment": "public", "region": "Auvergne-Rhône-Alpes", "siren": "216902643", "legal_form": "commune", "city": "Villefranche-sur-Saône", "country": "FR"}'),
    ('C016', 'Collège Jean Moulin', NULL, 'fr', 'Sofia Lopes', NULL, false, false,
     '{"segment": "public", "region": "Auvergne-Rhône-Alpes", "siren": "196901128", "legal_form": "EPLE", "city": "Bron", "country": "FR"}'),
    ('C017', 'Boucherie Girard EURL', 'compta@boucherie-girard.example', 'fr', 'Hugo Bernard', NULL, false, false,
     '{"segment": "pme", "region": "Auvergne-Rhône-Alpes", "siren": "809567431", "legal_form": "EURL", "city": "Villeurbanne", "country": "FR"}'),
    ('C018', 'Menuiserie Roux SAS', 'lucas.roux@menuiserie-roux.example', 'fr', 'Hugo Bernard', NULL, false, false,
     '{"segment": "pme", "region": "Auvergne-Rhône-Alpes", "siren": "428376156", "legal_form": "SAS", "city": "Chambéry", "country": "FR"}'),
    ('C019', 'Fromagerie Bonnet SARL', 'compta@fromagerie-bonnet.example', 'fr', 'Hugo Bernard', NULL, false, true,
     '{"segment": "pme", "region": "Auvergne-Rhône-Alpes", "siren": "493261085", "legal_form": "SARL", "city": "Thônes", "country": "FR"}'),
    ('C020', 'Cave à Vins Fournier SARL', 'julien.fournier@cave-fournier.example', 'fr', 'Sofia Lopes', NULL, false, false,
     '{"segment": "pme", "region": "Bourgogne-Franche-Comté", "siren": "876540121", "legal_form": "SARL", "city": "Beaune", "country": "FR"}'),
    ('C021', 'Clinique Vétérinaire des Monts d''Or SELARL', 'compta@veto-montsdor.example', 'fr', 'Claire Martin', NULL, false, false,
     '{"segment": "pme", "region": "Auvergne-Rhône-Alpes", "siren": "819073560", "legal_form": "SELARL", "city": "Limonest", "country": "FR"}'),
    ('C022', 'Agence Immobilière Lambert SARL', 'sophie.lambert@agence-lambert.example', 'fr', 'Claire Martin', NULL, false, false,
     '{"segment": "pme", "region": "Île-de-France", "siren": "534187901", "legal_form": "SARL", "city": "Versailles", "country": "FR"}'),
    ('C023', 'Crèche associative Les Petits Loups', NULL, 'fr', 'Sofia Lopes', NULL, false, false,
     '{"segment": "pme", "region": "Auvergne-Rhône-Alpes", "siren": "752034181", "legal_form": "association", "city": "Vénissieux", "country": "FR"}'),
    ('C024', 'Maison Mercier Événements SAS', 'compta@mercier-evenements.example', 'fr', 'Claire Martin', NULL, false, false,
     '{"segment": "grand_compte", "region": "Île-de-France", "siren": "410983274", "legal_form": "SAS", "city": "Paris", "country": "FR"}'),
    ('C025', 'Brasserie Vandenberghe SRL', 'compta@brasserie-vandenberghe.example', 'fr', 'Hugo Bernard', NULL, false, false,
     '{"segment": "pme", "region": "Bruxelles-Capitale", "vat": "BE0478123985", "legal_form": "SRL", "city": "Bruxelles", "country": "BE"}'),
    ('C026', 'Hôtel du Lac Léman SA', 'compta@hotel-lac-leman.example', 'fr', 'Sofia Lopes', NULL, false, false,
     '{"segment": "pme", "region": "Vaud", "vat": "CHE-112.347.853", "legal_form": "SA", "city": "Lausanne", "country": "CH"}'),
    ('C027', 'Thornbury Hotels Ltd', 'james.whitaker@thornbury-hotels.example', 'en', 'Claire Martin', NULL, false, false,
     '{"segment": "grand_compte", "region": "Greater London", "vat": "GB284716335", "legal_form": "Ltd", "city": "London", "country": "GB"}'),
    ('C028', 'O''Sullivan Hospitality Ltd', 'siobhan.osullivan@osullivan-hospitality.example', 'en', 'Hugo Bernard', NULL, false, false,
     '{"segment": "pme", "region": "Leinster", "vat": "IE6388047V", "legal_form": "Ltd", "city": "Dublin", "country": "IE"}'),
    ('C029', 'Mairie d''Annecy', 'compta@annecy.example', 'fr', 'Sofia Lopes', NULL, false, false,
     '{"segment": "public", "region": "Auvergne-Rhône-Alpes", "siren": "217400100", "legal_form": "commune", "city": "Annecy", "country": "FR"}'),
    ('C030', 'Domaine des Coteaux SAS', 'compta@domaine-des-coteaux.example', 'fr', 'Claire Martin', NULL, false, false,
     '{"segment": "pme", "region": "Auvergne-Rhône-Alpes", "siren": "398720144", "legal_form": "SAS", "city": "Villié-Morgon", "country": "FR"}'),
    ('C031', 'Institut de Beauté Sérénité EURL', '', 'fr', 'Hugo Bernard', NULL, false, false,
     '{"segment": "pme", "region": "Auvergne-Rhône-Alpes", "siren": "883412074", "legal_form": "EURL", "city": "Valence", "country": "FR"}'),
    ('C032', 'Association Sportive de Caluire Basket', NULL, 'fr', 'Claire Martin', NULL, false, false,
     '{"segment": "pme", "region": "Auvergne-Rhône-Alpes", "siren": "784123903", "legal_form": "association", "city": "Caluire-et-Cuire", "country": "FR"}'),
    ('C033', 'Auberge du Pont SARL', 'compta@auberge-du-pont.example', 'fr', 'Sofia Lopes', NULL, false, false,
     '{"segment": "pme", "region": "Bourgogne-Franche-Comté", "siren": "497851238", "legal_form": "SARL", "city": "Dole", "country": "FR"}'),
    ('C034', 'Chevalier Matériaux SAS', 'compta@chevalier-materiaux.example', 'fr', 'Hugo Bernard', NULL, false, false,
     '{"segment": "grand_compte", "region": "Auvergne-Rhône-Alpes", "siren": "332198761", "legal_form": "SAS", "city": "Valence", "country": "FR"}'),
    ('C035', 'Salon de Thé Margaux EURL', 'emma.laurent@salon-margaux.example', 'fr', 'Sofia Lopes', NULL, false, false,
     '{"segment": "pme", "region": "Nouvelle-Aquitaine", "siren": "901237859", "legal_form": "EURL", "city": "Bordeaux", "country": "FR"}'),
    ('C036', 'Le Petit Comptoir SNC', 'compta@petit-comptoir.example', 'fr', 'Claire Martin', NULL, false, false,
     '{"segment": "pme", "region": "Occitanie", "siren": "845609213", "legal_form": "SNC", "city": "Toulouse", "country": "FR"}');

-------------------------------------------------------------------------------
-- Entries (écritures), per customer, by document date.  Amounts are signed:
-- invoices positive, credit notes (avoirs) and payments (règlements) negative.
-------------------------------------------------------------------------------

-- C001 Brasserie du Vieux Port SARL: two invoices in the pre-due window (due 2
-- and 4 July), one due end of July; an invoice paid on 12 June (thank-you)
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0001', 'C001', 'FA-2026-0128', 'invoice',     '2026-05-06', '2026-06-05',   1120.44,      0.00, 'EUR', false, NULL,         '2026-06-12', 'payment'),
    ('E0002', 'C001', 'FA-2026-0193', 'invoice',     '2026-06-02', '2026-07-02',   1840.50,   1840.50, 'EUR', false, NULL,         NULL,         NULL),
    ('E0003', 'C001', 'FA-2026-0199', 'invoice',     '2026-06-04', '2026-07-04',    612.36,    612.36, 'EUR', false, NULL,         NULL,         NULL),
    ('E0004', 'C001', 'RG-2026-0220', 'payment',     '2026-06-12', '2026-06-12',  -1120.44,      0.00, 'EUR', false, NULL,         '2026-06-12', 'payment'),
    ('E0005', 'C001', 'FA-2026-0232', 'invoice',     '2026-06-28', '2026-07-28',   2315.80,   2315.80, 'EUR', false, NULL,         NULL,         NULL);

-- C002 Hôtel Les Alpilles SAS: overdue 1-30 days (R1, R2 by email) and one
-- invoice not yet due
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0006', 'C002', 'FA-2026-0059', 'invoice',     '2026-03-31', '2026-05-15',   2214.90,      0.00, 'EUR', false, NULL,         '2026-06-11', 'payment'),
    ('E0007', 'C002', 'FA-2026-0106', 'invoice',     '2026-04-26', '2026-06-10',   1265.40,   1265.40, 'EUR', false, NULL,         NULL,         NULL),
    ('E0008', 'C002', 'FA-2026-0170', 'invoice',     '2026-05-23', '2026-06-22',   3480.12,   3480.12, 'EUR', false, NULL,         NULL,         NULL),
    ('E0009', 'C002', 'RG-2026-0215', 'payment',     '2026-06-11', '2026-06-11',  -2214.90,      0.00, 'EUR', false, NULL,         '2026-06-11', 'payment'),
    ('E0010', 'C002', 'FA-2026-0220', 'invoice',     '2026-06-15', '2026-07-15',    980.64,    980.64, 'EUR', false, NULL,         NULL,         NULL);

-- C003 Boulangeries Perrin SAS: key account: invoices in every ageing bucket,
-- one partly paid, a settled credit note
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0011', 'C003', 'FA-2026-0005', 'invoice',     '2026-01-14', '2026-03-15',   4850.28,   1850.28, 'EUR', false, NULL,         NULL,         NULL),
    ('E0012', 'C003', 'FA-2026-0023', 'invoice',     '2026-02-19', '2026-04-20',   2690.35,   2690.35, 'EUR', false, NULL,         NULL,         NULL),
    ('E0013', 'C003', 'FA-2026-0041', 'invoice',     '2026-03-19', '2026-05-18',   5120.76,   5120.76, 'EUR', false, NULL,         NULL,         NULL),
    ('E0014', 'C003', 'FA-2026-0049', 'invoice',     '2026-03-26', '2026-05-25',    420.00,      0.00, 'EUR', false, NULL,         '2026-06-15', 'credit_note'),
    ('E0015', 'C003', 'FA-2026-0089', 'invoice',     '2026-04-16', '2026-06-15',   3745.60,   3745.60, 'EUR', false, NULL,         NULL,         NULL),
    ('E0016', 'C003', 'FA-2026-0122', 'invoice',     '2026-05-02', '2026-07-01',   1988.04,   1988.04, 'EUR', false, NULL,         NULL,         NULL),
    ('E0017', 'C003', 'FA-2026-0166', 'invoice',     '2026-05-21', '2026-07-20',   6210.48,   6210.48, 'EUR', false, NULL,         NULL,         NULL),
    ('E0018', 'C003', 'RG-2026-0225', 'payment',     '2026-06-15', '2026-06-15',  -3000.00,      0.00, 'EUR', false, NULL,         '2026-06-15', 'payment'),
    ('E0019', 'C003', 'AV-2026-0007', 'credit_note', '2026-06-15', '2026-06-15',   -420.00,      0.00, 'EUR', false, NULL,         '2026-06-15', 'credit_note');

-- C004 Mairie de Saint-Genis-Laval: town hall, pays late: overdue 31-60 days;
-- one invoice paid on 18 June
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0020', 'C004', 'FA-2026-0061', 'invoice',     '2026-03-31', '2026-04-30',   2980.80,      0.00, 'EUR', false, NULL,         '2026-06-18', 'payment'),
    ('E0021', 'C004', 'FA-2026-0083', 'invoice',     '2026-04-12', '2026-05-12',   7860.96,   7860.96, 'EUR', false, NULL,         NULL,         NULL),
    ('E0022', 'C004', 'FA-2026-0112', 'invoice',     '2026-04-28', '2026-05-28',   1430.25,   1430.25, 'EUR', false, NULL,         NULL,         NULL),
    ('E0023', 'C004', 'FA-2026-0184', 'invoice',     '2026-05-30', '2026-06-29',    645.30,    645.30, 'EUR', false, NULL,         NULL,         NULL),
    ('E0024', 'C004', 'RG-2026-0231', 'payment',     '2026-06-18', '2026-06-18',  -2980.80,      0.00, 'EUR', false, NULL,         '2026-06-18', 'payment');

-- C005 Cabinet Lefèvre & Associés: good payer: two invoices paid in June
-- (thank-you reminders), a new one not yet due
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0025', 'C005', 'FA-2026-0095', 'invoice',     '2026-04-20', '2026-05-20',    860.40,      0.00, 'EUR', false, NULL,         '2026-06-11', 'payment'),
    ('E0026', 'C005', 'FA-2026-0139', 'invoice',     '2026-05-09', '2026-06-08',   2150.16,      0.00, 'EUR', false, NULL,         '2026-06-24', 'payment'),
    ('E0027', 'C005', 'RG-2026-0217', 'payment',     '2026-06-11', '2026-06-11',   -860.40,      0.00, 'EUR', false, NULL,         '2026-06-11', 'payment'),
    ('E0028', 'C005', 'FA-2026-0229', 'invoice',     '2026-06-24', '2026-07-24',   1374.00,   1374.00, 'EUR', false, NULL,         NULL,         NULL),
    ('E0029', 'C005', 'RG-2026-0246', 'payment',     '2026-06-24', '2026-06-24',  -2150.16,      0.00, 'EUR', false, NULL,         '2026-06-24', 'payment');

-- C006 Restaurant La Table de Léa EURL: no email (NULL): overdue 61-90 and
-- 1-30 days, reminded by letter
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0030', 'C006', 'FA-2026-0035', 'invoice',     '2026-03-11', '2026-04-10',   1385.52,   1385.52, 'EUR', false, NULL,         NULL,         NULL),
    ('E0031', 'C006', 'FA-2026-0052', 'invoice',     '2026-03-26', '2026-04-25',    742.90,    742.90, 'EUR', false, NULL,         NULL,         NULL),
    ('E0032', 'C006', 'FA-2026-0152', 'invoice',     '2026-05-15', '2026-06-14',    528.00,    528.00, 'EUR', false, NULL,         NULL,         NULL);

-- C007 Garage Moreau Frères SARL: no email (''): overdue more than 90 days,
-- letters then phone
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0033', 'C007', 'FA-2025-1192', 'invoice',     '2025-12-21', '2026-01-20',   2460.00,   2460.00, 'EUR', false, NULL,         NULL,         NULL),
    ('E0034', 'C007', 'FA-2026-0007', 'invoice',     '2026-01-19', '2026-02-18',   1118.75,   1118.75, 'EUR', false, NULL,         NULL,         NULL),
    ('E0035', 'C007', 'FA-2026-0025', 'invoice',     '2026-02-23', '2026-03-25',    895.20,    895.20, 'EUR', false, NULL,         NULL,         NULL);

-- C008 Association Les Amis du Théâtre de Lyon: association, invoice overdue
-- 1-30 days and partly paid on 19 June
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0036', 'C008', 'FA-2026-0130', 'invoice',     '2026-05-06', '2026-06-05',   1650.00,    650.00, 'EUR', false, NULL,         NULL,         NULL),
    ('E0037', 'C008', 'FA-2026-0210', 'invoice',     '2026-06-09', '2026-07-09',    318.00,    318.00, 'EUR', false, NULL,         NULL,         NULL),
    ('E0038', 'C008', 'RG-2026-0234', 'payment',     '2026-06-19', '2026-06-19',  -1000.00,      0.00, 'EUR', false, NULL,         '2026-06-19', 'payment');

-- C009 Pharmacie Centrale de Villeurbanne SELARL: promise to pay by 10 July
-- (after the planning date): excluded while it runs
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0039', 'C009', 'FA-2026-0064', 'invoice',     '2026-03-31', '2026-05-15',   3215.70,   3215.70, 'EUR', false, '2026-07-10', NULL,         NULL),
    ('E0040', 'C009', 'FA-2026-0133', 'invoice',     '2026-05-06', '2026-06-20',    948.30,    948.30, 'EUR', false, '2026-07-10', NULL,         NULL);

-- C010 Coiffure Élégance EURL: promise to pay by 15 June not kept (expired):
-- dunned again; an older invoice paid on 14 June
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0041', 'C010', 'FA-2026-0058', 'invoice',     '2026-03-29', '2026-04-28',   1076.04,   1076.04, 'EUR', false, '2026-06-15', NULL,         NULL),
    ('E0042', 'C010', 'FA-2026-0118', 'invoice',     '2026-04-30', '2026-05-30',    645.00,      0.00, 'EUR', false, NULL,         '2026-06-14', 'payment'),
    ('E0043', 'C010', 'FA-2026-0151', 'invoice',     '2026-05-13', '2026-06-12',    489.90,    489.90, 'EUR', false, NULL,         NULL,         NULL),
    ('E0044', 'C010', 'RG-2026-0224', 'payment',     '2026-06-14', '2026-06-14',   -645.00,      0.00, 'EUR', false, NULL,         '2026-06-14', 'payment');

-- C011 Groupe Hôtelier Riviera SA: customer in dispute (litige on two
-- invoices: rooms fitted late); an open credit note
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0045', 'C011', 'FA-2026-0013', 'invoice',     '2026-01-30', '2026-03-31',  11480.40,  11480.40, 'EUR', true,  NULL,         NULL,         NULL),
    ('E0046', 'C011', 'FA-2026-0037', 'invoice',     '2026-03-11', '2026-05-10',   8925.50,   8925.50, 'EUR', true,  NULL,         NULL,         NULL),
    ('E0047', 'C011', 'FA-2026-0109', 'invoice',     '2026-04-26', '2026-06-25',   4310.88,   4310.88, 'EUR', false, NULL,         NULL,         NULL),
    ('E0048', 'C011', 'FA-2026-0176', 'invoice',     '2026-05-26', '2026-07-25',   6740.00,   6740.00, 'EUR', false, NULL,         NULL,         NULL),
    ('E0049', 'C011', 'AV-2026-0004', 'credit_note', '2026-06-02', '2026-06-02',  -1250.00,  -1250.00, 'EUR', false, NULL,         NULL,         NULL);

-- C012 Librairie Papeterie Dumas SARL: stop_dunning (safeguard proceedings):
-- overdue but never reminded
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0050', 'C012', 'FA-2026-0004', 'invoice',     '2026-01-11', '2026-02-10',   1840.00,   1840.00, 'EUR', false, NULL,         NULL,         NULL),
    ('E0051', 'C012', 'FA-2026-0019', 'invoice',     '2026-02-10', '2026-03-12',   2205.60,   2205.60, 'EUR', false, NULL,         NULL,         NULL),
    ('E0052', 'C012', 'FA-2026-0040', 'invoice',     '2026-03-16', '2026-04-15',    675.36,    675.36, 'EUR', false, NULL,         NULL,         NULL);

-- C013 Bistrot Chez Marcel SARL: an open credit note (goods returned) next to
-- overdue invoices; an invoice paid on 26 June
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0053', 'C013', 'FA-2026-0098', 'invoice',     '2026-04-22', '2026-05-22',    538.20,      0.00, 'EUR', false, NULL,         '2026-06-26', 'payment'),
    ('E0054', 'C013', 'FA-2026-0124', 'invoice',     '2026-05-02', '2026-06-01',   1290.24,   1290.24, 'EUR', false, NULL,         NULL,         NULL),
    ('E0055', 'C013', 'FA-2026-0163', 'invoice',     '2026-05-19', '2026-06-18',    815.40,    815.40, 'EUR', false, NULL,         NULL,         NULL),
    ('E0056', 'C013', 'AV-2026-0005', 'credit_note', '2026-06-10', '2026-06-10',   -215.40,   -215.40, 'EUR', false, NULL,         NULL,         NULL),
    ('E0057', 'C013', 'RG-2026-0250', 'payment',     '2026-06-26', '2026-06-26',   -538.20,      0.00, 'EUR', false, NULL,         '2026-06-26', 'payment');

-- C014 Camping Les Pins SAS: seasonal customer: two invoices not yet due (15
-- and 30 July), one paid on 15 June
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0058', 'C014', 'FA-2026-0091', 'invoice',     '2026-04-16', '2026-05-31',   4150.56,      0.00, 'EUR', false, NULL,         '2026-06-15', 'payment'),
    ('E0059', 'C014', 'FA-2026-0188', 'invoice',     '2026-05-31', '2026-07-15',   5680.32,   5680.32, 'EUR', false, NULL,         NULL,         NULL),
    ('E0060', 'C014', 'FA-2026-0223', 'invoice',     '2026-06-15', '2026-07-30',   3920.00,   3920.00, 'EUR', false, NULL,         NULL,         NULL),
    ('E0061', 'C014', 'RG-2026-0226', 'payment',     '2026-06-15', '2026-06-15',  -4150.56,      0.00, 'EUR', false, NULL,         '2026-06-15', 'payment');

-- C015 Mairie de Villefranche-sur-Saône: town hall: overdue 31-60 days and
-- partly paid on 22 June
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0062', 'C015', 'FA-2026-0071', 'invoice',     '2026-04-05', '2026-05-05',   9640.08,   4640.08, 'EUR', false, NULL,         NULL,         NULL),
    ('E0063', 'C015', 'FA-2026-0178', 'invoice',     '2026-05-27', '2026-06-26',   2180.50,   2180.50, 'EUR', false, NULL,         NULL,         NULL),
    ('E0064', 'C015', 'RG-2026-0239', 'payment',     '2026-06-22', '2026-06-22',  -5000.00,      0.00, 'EUR', false, NULL,         '2026-06-22', 'payment');

-- C016 Collège Jean Moulin: no email (NULL), public school: overdue 61-90 and
-- 31-60 days
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0065', 'C016', 'FA-2026-0034', 'invoice',     '2026-03-09', '2026-04-08',   3860.40,   3860.40, 'EUR', false, NULL,         NULL,         NULL),
    ('E0066', 'C016', 'FA-2026-0100', 'invoice',     '2026-04-22', '2026-05-22',   1215.00,   1215.00, 'EUR', false, NULL,         NULL,         NULL),
    ('E0067', 'C016', 'FA-2026-0205', 'invoice',     '2026-06-06', '2026-07-06',    456.00,    456.00, 'EUR', false, NULL,         NULL,         NULL);

-- C017 Boucherie Girard EURL: invoice settled by a credit note on 16 June
-- (thank-you unless skip_thanks_for_credit_notes)
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0068', 'C017', 'FA-2026-0134', 'invoice',     '2026-05-06', '2026-06-05',    540.00,      0.00, 'EUR', false, NULL,         '2026-06-16', 'credit_note'),
    ('E0069', 'C017', 'FA-2026-0212', 'invoice',     '2026-06-10', '2026-07-10',   1320.72,   1320.72, 'EUR', false, NULL,         NULL,         NULL),
    ('E0070', 'C017', 'AV-2026-0009', 'credit_note', '2026-06-16', '2026-06-16',   -540.00,      0.00, 'EUR', false, NULL,         '2026-06-16', 'credit_note');

-- C018 Menuiserie Roux SAS: unallocated payment of 26 June (open payment,
-- negative) next to two open invoices
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0071', 'C018', 'FA-2026-0073', 'invoice',     '2026-04-05', '2026-05-20',   2870.40,   2870.40, 'EUR', false, NULL,         NULL,         NULL),
    ('E0072', 'C018', 'FA-2026-0142', 'invoice',     '2026-05-10', '2026-06-24',   1945.80,   1945.80, 'EUR', false, NULL,         NULL,         NULL),
    ('E0073', 'C018', 'FA-2026-0213', 'invoice',     '2026-06-12', '2026-07-27',   1102.56,   1102.56, 'EUR', false, NULL,         NULL,         NULL),
    ('E0074', 'C018', 'RG-2026-0252', 'payment',     '2026-06-26', '2026-06-26',  -1500.00,  -1500.00, 'EUR', false, NULL,         NULL,         NULL);

-- C019 Fromagerie Bonnet SARL: customer in dispute (cheese counter delivered
-- damaged): one disputed invoice, one pre-due
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0075', 'C019', 'FA-2026-0043', 'invoice',     '2026-03-19', '2026-04-18',   2390.16,   2390.16, 'EUR', true,  NULL,         NULL,         NULL),
    ('E0076', 'C019', 'FA-2026-0115', 'invoice',     '2026-04-29', '2026-05-29',   1148.60,   1148.60, 'EUR', false, NULL,         NULL,         NULL),
    ('E0077', 'C019', 'FA-2026-0195', 'invoice',     '2026-06-03', '2026-07-03',    760.08,    760.08, 'EUR', false, NULL,         NULL,         NULL);

-- C020 Cave à Vins Fournier SARL: small amounts (for a min_entry_amount /
-- min_balance threshold)
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0078', 'C020', 'FA-2026-0104', 'invoice',     '2026-04-25', '2026-05-25',     84.50,     84.50, 'EUR', false, NULL,         NULL,         NULL),
    ('E0079', 'C020', 'FA-2026-0157', 'invoice',     '2026-05-16', '2026-06-15',    126.00,    126.00, 'EUR', false, NULL,         NULL,         NULL),
    ('E0080', 'C020', 'FA-2026-0182', 'invoice',     '2026-05-29', '2026-06-28',     92.40,     92.40, 'EUR', false, NULL,         NULL,         NULL),
    ('E0081', 'C020', 'FA-2026-0215', 'invoice',     '2026-06-12', '2026-07-12',    148.20,    148.20, 'EUR', false, NULL,         NULL,         NULL);

-- C021 Clinique Vétérinaire des Monts d'Or SELARL: overdue 1-30 days and two
-- invoices in the pre-due window (1 and 5 July)
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0082', 'C021', 'FA-2026-0094', 'invoice',     '2026-04-16', '2026-05-16',   1212.00,      0.00, 'EUR', false, NULL,         '2026-06-17', 'payment'),
    ('E0083', 'C021', 'FA-2026-0160', 'invoice',     '2026-05-17', '2026-06-16',   1575.00,   1575.00, 'EUR', false, NULL,         NULL,         NULL),
    ('E0084', 'C021', 'FA-2026-0190', 'invoice',     '2026-06-01', '2026-07-01',   2040.24,   2040.24, 'EUR', false, NULL,         NULL,         NULL),
    ('E0085', 'C021', 'FA-2026-0204', 'invoice',     '2026-06-05', '2026-07-05',    365.90,    365.90, 'EUR', false, NULL,         NULL,         NULL),
    ('E0086', 'C021', 'RG-2026-0230', 'payment',     '2026-06-17', '2026-06-17',  -1212.00,      0.00, 'EUR', false, NULL,         '2026-06-17', 'payment');

-- C022 Agence Immobilière Lambert SARL: two invoices paid in June (10 and 29
-- June), a new one due mid-July
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0087', 'C022', 'FA-2026-0088', 'invoice',     '2026-04-15', '2026-05-15',   1890.00,      0.00, 'EUR', false, NULL,         '2026-06-10', 'payment'),
    ('E0088', 'C022', 'FA-2026-0158', 'invoice',     '2026-05-16', '2026-06-15',    720.00,      0.00, 'EUR', false, NULL,         '2026-06-29', 'payment'),
    ('E0089', 'C022', 'RG-2026-0214', 'payment',     '2026-06-10', '2026-06-10',  -1890.00,      0.00, 'EUR', false, NULL,         '2026-06-10', 'payment'),
    ('E0090', 'C022', 'FA-2026-0228', 'invoice',     '2026-06-18', '2026-07-18',   1460.16,   1460.16, 'EUR', false, NULL,         NULL,         NULL),
    ('E0091', 'C022', 'RG-2026-0253', 'payment',     '2026-06-29', '2026-06-29',   -720.00,      0.00, 'EUR', false, NULL,         '2026-06-29', 'payment');

-- C023 Crèche associative Les Petits Loups: no email (NULL), association:
-- overdue 31-60 and 1-30 days
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0092', 'C023', 'FA-2026-0079', 'invoice',     '2026-04-08', '2026-05-08',   1120.80,   1120.80, 'EUR', false, NULL,         NULL,         NULL),
    ('E0093', 'C023', 'FA-2026-0145', 'invoice',     '2026-05-10', '2026-06-09',    680.00,    680.00, 'EUR', false, NULL,         NULL,         NULL);

-- C024 Maison Mercier Événements SAS: owes in EUR and in GBP (a London event):
-- one reminder per currency; an open GBP credit note
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0094', 'C024', 'FA-2026-0047', 'invoice',     '2026-03-23', '2026-04-22',   1980.00,   1980.00, 'EUR', false, NULL,         NULL,         NULL),
    ('E0095', 'C024', 'FA-2026-0121', 'invoice',     '2026-04-30', '2026-05-30',   6480.36,   6480.36, 'EUR', false, NULL,         NULL,         NULL),
    ('E0096', 'C024', 'FA-2026-0154', 'invoice',     '2026-05-15', '2026-06-14',   4250.00,   4250.00, 'GBP', false, NULL,         NULL,         NULL),
    ('E0097', 'C024', 'FA-2026-0217', 'invoice',     '2026-06-14', '2026-07-14',   2890.50,   2890.50, 'GBP', false, NULL,         NULL,         NULL),
    ('E0098', 'C024', 'AV-2026-0013', 'credit_note', '2026-06-20', '2026-06-20',   -350.00,   -350.00, 'GBP', false, NULL,         NULL,         NULL);

-- C025 Brasserie Vandenberghe SRL: Belgian customer, French-speaking, in EUR;
-- an invoice paid on 16 June
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0099', 'C025', 'FA-2026-0017', 'invoice',     '2026-02-04', '2026-04-05',   3150.72,   3150.72, 'EUR', false, NULL,         NULL,         NULL),
    ('E0100', 'C025', 'FA-2026-0070', 'invoice',     '2026-04-03', '2026-06-02',   2890.20,      0.00, 'EUR', false, NULL,         '2026-06-16', 'payment'),
    ('E0101', 'C025', 'FA-2026-0077', 'invoice',     '2026-04-07', '2026-06-06',   2475.60,   2475.60, 'EUR', false, NULL,         NULL,         NULL),
    ('E0102', 'C025', 'FA-2026-0136', 'invoice',     '2026-05-08', '2026-07-07',   1630.00,   1630.00, 'EUR', false, NULL,         NULL,         NULL),
    ('E0103', 'C025', 'RG-2026-0229', 'payment',     '2026-06-16', '2026-06-16',  -2890.20,      0.00, 'EUR', false, NULL,         '2026-06-16', 'payment');

-- C026 Hôtel du Lac Léman SA: Swiss customer, French-speaking, in CHF; an
-- invoice paid on 25 June
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0104', 'C026', 'FA-2026-0097', 'invoice',     '2026-04-20', '2026-05-20',   7850.00,   7850.00, 'CHF', false, NULL,         NULL,         NULL),
    ('E0105', 'C026', 'FA-2026-0146', 'invoice',     '2026-05-11', '2026-06-10',   1980.00,      0.00, 'CHF', false, NULL,         '2026-06-25', 'payment'),
    ('E0106', 'C026', 'FA-2026-0181', 'invoice',     '2026-05-28', '2026-06-27',   3120.40,   3120.40, 'CHF', false, NULL,         NULL,         NULL),
    ('E0107', 'C026', 'RG-2026-0249', 'payment',     '2026-06-25', '2026-06-25',  -1980.00,      0.00, 'CHF', false, NULL,         '2026-06-25', 'payment');

-- C027 Thornbury Hotels Ltd: British customer, English, in GBP: over 90 days,
-- 31-60 days, not yet due; one paid
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0108', 'C027', 'FA-2026-0010', 'invoice',     '2026-01-19', '2026-03-20',   5640.00,   5640.00, 'GBP', false, NULL,         NULL,         NULL),
    ('E0109', 'C027', 'FA-2026-0053', 'invoice',     '2026-03-27', '2026-05-26',   3280.50,   3280.50, 'GBP', false, NULL,         NULL,         NULL),
    ('E0110', 'C027', 'FA-2026-0067', 'invoice',     '2026-04-02', '2026-06-01',   1760.00,      0.00, 'GBP', false, NULL,         '2026-06-22', 'payment'),
    ('E0111', 'C027', 'FA-2026-0140', 'invoice',     '2026-05-09', '2026-07-08',   2145.00,   2145.00, 'GBP', false, NULL,         NULL,         NULL),
    ('E0112', 'C027', 'RG-2026-0241', 'payment',     '2026-06-22', '2026-06-22',  -1760.00,      0.00, 'GBP', false, NULL,         '2026-06-22', 'payment');

-- C028 O'Sullivan Hospitality Ltd: Irish customer, English, in EUR: overdue
-- 61-90 and 1-30 days; promise to pay by 3 July
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0113', 'C028', 'FA-2026-0065', 'invoice',     '2026-03-31', '2026-04-30',   4380.00,   4380.00, 'EUR', false, '2026-07-03', NULL,         NULL),
    ('E0114', 'C028', 'FA-2026-0110', 'invoice',     '2026-04-27', '2026-05-27',   1540.00,      0.00, 'EUR', false, NULL,         '2026-06-20', 'payment'),
    ('E0115', 'C028', 'FA-2026-0164', 'invoice',     '2026-05-20', '2026-06-19',   2295.36,   2295.36, 'EUR', false, NULL,         NULL,         NULL),
    ('E0116', 'C028', 'RG-2026-0238', 'payment',     '2026-06-20', '2026-06-20',  -1540.00,      0.00, 'EUR', false, NULL,         '2026-06-20', 'payment');

-- C029 Mairie d'Annecy: town hall: an invoice in the pre-due window (4 July),
-- one paid on 23 June
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0117', 'C029', 'FA-2026-0116', 'invoice',     '2026-04-29', '2026-05-29',   3360.00,      0.00, 'EUR', false, NULL,         '2026-06-23', 'payment'),
    ('E0118', 'C029', 'FA-2026-0201', 'invoice',     '2026-06-04', '2026-07-04',   5420.40,   5420.40, 'EUR', false, NULL,         NULL,         NULL),
    ('E0119', 'C029', 'RG-2026-0244', 'payment',     '2026-06-23', '2026-06-23',  -3360.00,      0.00, 'EUR', false, NULL,         '2026-06-23', 'payment');

-- C030 Domaine des Coteaux SAS: wine estate, long overdue (over 90 days),
-- partly paid; a promise of 31 May broken
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0120', 'C030', 'FA-2025-1187', 'invoice',     '2025-11-16', '2026-01-15',   9870.00,   8870.00, 'EUR', false, NULL,         NULL,         NULL),
    ('E0121', 'C030', 'FA-2025-1193', 'invoice',     '2025-12-29', '2026-02-27',   4215.30,   4215.30, 'EUR', false, '2026-05-31', NULL,         NULL),
    ('E0122', 'C030', 'FA-2026-0011', 'invoice',     '2026-01-27', '2026-03-28',   2760.84,   2760.84, 'EUR', false, NULL,         NULL,         NULL),
    ('E0123', 'C030', 'FA-2026-0085', 'invoice',     '2026-04-13', '2026-06-12',   1840.00,   1840.00, 'EUR', false, NULL,         NULL,         NULL),
    ('E0124', 'C030', 'RG-2026-0223', 'payment',     '2026-06-12', '2026-06-12',  -1000.00,      0.00, 'EUR', false, NULL,         '2026-06-12', 'payment');

-- C031 Institut de Beauté Sérénité EURL: no email (''): over 90 days and 1-30
-- days
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0125', 'C031', 'FA-2026-0016', 'invoice',     '2026-02-03', '2026-03-05',    465.00,    465.00, 'EUR', false, NULL,         NULL,         NULL),
    ('E0126', 'C031', 'FA-2026-0148', 'invoice',     '2026-05-12', '2026-06-11',    318.60,    318.60, 'EUR', false, NULL,         NULL,         NULL);

-- C032 Association Sportive de Caluire Basket: no email (NULL), association:
-- overdue 31-60 days, promise to pay by 15 July
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0127', 'C032', 'FA-2026-0076', 'invoice',     '2026-04-06', '2026-05-06',   1740.00,   1740.00, 'EUR', false, '2026-07-15', NULL,         NULL),
    ('E0128', 'C032', 'FA-2026-0175', 'invoice',     '2026-05-24', '2026-06-23',    264.00,    264.00, 'EUR', false, NULL,         NULL,         NULL);

-- C033 Auberge du Pont SARL: overdue 61-90 days with an open credit note of
-- April
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0129', 'C033', 'FA-2026-0029', 'invoice',     '2026-03-04', '2026-04-03',   2185.20,   2185.20, 'EUR', false, NULL,         NULL,         NULL),
    ('E0130', 'C033', 'FA-2026-0055', 'invoice',     '2026-03-28', '2026-04-27',   1096.40,   1096.40, 'EUR', false, NULL,         NULL,         NULL),
    ('E0131', 'C033', 'AV-2026-0003', 'credit_note', '2026-04-20', '2026-04-20',   -186.40,   -186.40, 'EUR', false, NULL,         NULL,         NULL),
    ('E0132', 'C033', 'FA-2026-0169', 'invoice',     '2026-05-21', '2026-06-20',    745.80,    745.80, 'EUR', false, NULL,         NULL,         NULL);

-- C034 Chevalier Matériaux SAS: key account with a long history: every bucket,
-- one disputed invoice, an invoice settled by payment, one by a credit note,
-- and an invoice keyed without its due date (ANOMALY, see below)
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0133', 'C034', 'FA-2025-1189', 'invoice',     '2025-12-07', '2026-02-05',   3420.00,   3420.00, 'EUR', false, NULL,         NULL,         NULL),
    ('E0134', 'C034', 'FA-2026-0001', 'invoice',     '2026-01-09', '2026-03-10',   6985.20,   6985.20, 'EUR', true,  NULL,         NULL,         NULL),
    ('E0135', 'C034', 'FA-2026-0022', 'invoice',     '2026-02-13', '2026-04-14',   4560.48,   4560.48, 'EUR', false, NULL,         NULL,         NULL),
    ('E0136', 'C034', 'FA-2026-0028', 'invoice',     '2026-03-01', '2026-04-30',   4000.00,      0.00, 'EUR', false, NULL,         '2026-06-19', 'payment'),
    ('E0137', 'C034', 'FA-2026-0031', 'invoice',     '2026-03-06', '2026-05-05',    980.00,      0.00, 'EUR', false, NULL,         '2026-06-17', 'credit_note'),
    ('E0138', 'C034', 'FA-2026-0046', 'invoice',     '2026-03-20', '2026-05-19',  11240.00,  11240.00, 'EUR', false, NULL,         NULL,         NULL),
    ('E0139', 'C034', 'FA-2026-0103', 'invoice',     '2026-04-24', '2026-06-23',   7315.20,   7315.20, 'EUR', false, NULL,         NULL,         NULL),
    ('E0140', 'C034', 'FA-2026-0172', 'invoice',     '2026-05-23', '2026-07-22',   5890.40,   5890.40, 'EUR', false, NULL,         NULL,         NULL),
    -- ANOMALY (deliberate): an open invoice keyed without its due date.
    -- The planner skips it and records it in dunning.anomaly.
    ('E0141', 'C034', 'FA-2026-0207', 'invoice',     '2026-06-08', NULL,           2640.00,   2640.00, 'EUR', false, NULL,         NULL,         NULL),
    ('E0142', 'C034', 'AV-2026-0011', 'credit_note', '2026-06-17', '2026-06-17',   -980.00,      0.00, 'EUR', false, NULL,         '2026-06-17', 'credit_note'),
    ('E0143', 'C034', 'RG-2026-0235', 'payment',     '2026-06-19', '2026-06-19',  -4000.00,      0.00, 'EUR', false, NULL,         '2026-06-19', 'payment');

-- C035 Salon de Thé Margaux EURL: two invoices not yet due, one in the pre-due
-- window (3 July)
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0144', 'C035', 'FA-2026-0198', 'invoice',     '2026-06-03', '2026-07-03',    428.50,    428.50, 'EUR', false, NULL,         NULL,         NULL),
    ('E0145', 'C035', 'FA-2026-0234', 'invoice',     '2026-06-29', '2026-07-29',    612.00,    612.00, 'EUR', false, NULL,         NULL,         NULL);

-- C036 Le Petit Comptoir SNC: overdue 1-30 days (one due yesterday, 29 June)
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0146', 'C036', 'FA-2026-0127', 'invoice',     '2026-05-04', '2026-06-03',   1134.00,   1134.00, 'EUR', false, NULL,         NULL,         NULL),
    ('E0147', 'C036', 'FA-2026-0187', 'invoice',     '2026-05-30', '2026-06-29',    587.25,    587.25, 'EUR', false, NULL,         NULL,         NULL),
    ('E0148', 'C036', 'FA-2026-0226', 'invoice',     '2026-06-17', '2026-07-17',    903.12,    903.12, 'EUR', false, NULL,         NULL,         NULL);

-- ANOMALY (deliberate): an invoice of customer C999, who is not in
-- dunning.customer (an account closed in the customer file but not in the
-- ledger).  The planner skips it and records it in dunning.anomaly.
INSERT INTO dunning.entry
    (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency, in_dispute, promised_on, settled_on, settled_by)
VALUES
    ('E0149', 'C999', 'FA-2026-0082', 'invoice',     '2026-04-10', '2026-05-10',   1250.00,   1250.00, 'EUR', false, NULL,         NULL,         NULL);

-- Postal addresses, for the letters ({{customer_address}} reads the
-- customer's attributes.address).  Made up from the city, like the rest.
UPDATE dunning.customer c
   SET attributes = c.attributes || jsonb_build_object('address',
           format(E'%s, %s\n%s%s', 2 + (substr(c.customer_id, 2)::int * 7) % 90,
                  (ARRAY['rue de la République', 'avenue Jean Jaurès', 'place du Marché', 'rue Victor Hugo',
                         'boulevard Gambetta', 'chemin des Vignes'])[1 + substr(c.customer_id, 2)::int % 6],
                  upper(c.attributes ->> 'city'),
                  CASE c.attributes ->> 'country'
                       WHEN 'BE' THEN E'\nBELGIQUE' WHEN 'CH' THEN E'\nSUISSE' WHEN 'GB' THEN E'\nROYAUME-UNI'
                       WHEN 'IE' THEN E'\nIRLANDE'
                       WHEN 'FR' THEN '' ELSE E'\n' || (c.attributes ->> 'country') END))
 WHERE c.attributes ? 'city';

COMMIT;
