#!/usr/bin/perl
#
# pg_dump keeps what the extension holds: a database whose configuration was
# changed (settings, shipped steps and templates edited, a profile created,
# another created and deleted, the ledger attached to a DBA's views) and whose
# ledger has rows is dumped, restored into new databases (custom format with
# pg_restore, plain format with psql), and every row of every table and every
# sequence position compared: identical, and no default row duplicated.
#
# It also installs the extension in two databases of the same cluster: the
# roles are cluster-wide, the second CREATE EXTENSION must find them.
#
# Connection: PGHOST, PGPORT and PGUSER (a superuser), as test/check.sh sets.

use strict;
use warnings;
use File::Temp qw(tempdir);
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use DunningTest qw(run psql_in psql_error_in);

$ENV{PGOPTIONS} = '-c client_min_messages=warning';
my $prefix = 'dunning_dump_' . $$;
my ($src, $custom, $plain, $second) = map { "${prefix}_$_" } qw(src custom plain second);
my $dir = tempdir(CLEANUP => 1);

sub drop_all {
    run('dropdb', '--if-exists', $_) for ($src, $custom, $plain, $second);
}
drop_all();
END { drop_all() if defined $src; }

# Two databases install the extension; the roles exist once, NOLOGIN.
run('createdb', $src);
run('createdb', $second);
ok(eval { psql_in($src, 'CREATE EXTENSION dunning'); 1 }, 'CREATE EXTENSION in a first database');
ok(eval { psql_in($second, 'CREATE EXTENSION dunning'); 1 }, 'CREATE EXTENSION in a second database of the cluster')
    or diag($@);
is(psql_in($second, q{SELECT count(*) FROM pg_roles WHERE rolname LIKE 'dunning\_%' AND NOT rolcanlogin}),
   "4\n", 'the four roles exist once, NOLOGIN');

# Change the configuration and fill the ledger.
psql_in($src, <<'SQL');
-- A DBA's own accounting tables and the views that map them to the contract.
CREATE SCHEMA compta;
CREATE TABLE compta.clients (code text PRIMARY KEY, raison_sociale text, courriel text);
CREATE TABLE compta.ecritures (num text PRIMARY KEY, code_client text, piece text, type_piece text,
                               date_piece date, echeance date, montant numeric(12,2), solde numeric(12,2));
INSERT INTO compta.clients VALUES ('411DUR', 'Durand SARL', 'compta@durand.example');
INSERT INTO compta.ecritures VALUES ('1', '411DUR', 'FA-1', 'FAC', '2026-05-01', '2026-05-31', 1200, 1200),
                                    ('2', '411XXX', 'FA-2', 'FAC', '2026-05-01', '2026-05-31', 50, 50);  -- unknown customer: an anomaly
CREATE VIEW compta.v_clients AS
SELECT code AS customer_id, raison_sociale AS name, courriel AS email, 'fr'::text AS language,
       NULL::text AS collector, NULL::text AS profile, false AS stop_dunning, false AS in_dispute,
       '{}'::jsonb AS attributes
FROM compta.clients;
CREATE VIEW compta.v_ecritures AS
SELECT num AS entry_id, code_client AS customer_id, piece AS document_number,
       CASE type_piece WHEN 'FAC' THEN 'invoice' WHEN 'AVO' THEN 'credit_note' ELSE 'other' END AS kind,
       date_piece AS document_date, echeance AS due_date, montant::numeric AS amount,
       solde::numeric AS open_amount, 'EUR'::text AS currency, false AS in_dispute,
       NULL::date AS promised_on, NULL::date AS settled_on, NULL::text AS settled_by
FROM compta.ecritures;
SELECT dunning.attach('compta.v_clients', 'compta.v_ecritures');

UPDATE dunning.settings
   SET timezone = 'Europe/Paris', min_balance = 25.50, exclude_disputed = true,
       grouping = 'account_statement';

-- Shipped rows edited.
UPDATE dunning.step SET days = 7 WHERE scenario_id = 1 AND step = 'R1';
UPDATE dunning.step SET auto_send = true WHERE scenario_id = 1 AND step = 'R2';
UPDATE dunning.step SET enabled = false WHERE scenario_id = 1 AND step = 'pre_due';
UPDATE dunning.scenario SET infinite = true WHERE scenario_id = 2;
UPDATE dunning.template SET body = 'Hello {{customer_name}}, please pay {{totals}}: {{#entries}}{{document_number}} {{/entries}}'
 WHERE name = 'reminder' AND language = 'en';

-- A profile created then deleted, so that identifiers have gaps; then one kept.
SELECT dunning.create_profile('Temporaire', 50);
DELETE FROM dunning.profile WHERE name = 'Temporaire';
INSERT INTO dunning.template (name, media, language, subject, body)
VALUES ('final_notice', 'letter', 'fr', 'Dernier avis',
        '{{company_name}} {{customer_name}} {{customer_address}} Dernier avis avant contentieux : {{#entries}}{{document_number}} {{/entries}}{{totals}}');
SELECT dunning.create_profile('Grands comptes', 10,
    '{"attributes.segment": "grand_compte", "attributes.encours": {">=": 50000}}');
SELECT dunning.create_profile('Collectivités', 20, '{"attributes.segment": "public"}', NULL);
UPDATE dunning.step s SET enabled = true, days = 45, media = 'letter',
       template_id = (SELECT template_id FROM dunning.template WHERE name = 'reminder_letter' AND language = 'fr')
  FROM dunning.scenario sc JOIN dunning.profile p USING (profile_id)
 WHERE s.scenario_id = sc.scenario_id AND p.name = 'Collectivités' AND s.step = 'R1';
UPDATE dunning.scenario sc SET enabled = true
  FROM dunning.profile p WHERE sc.profile_id = p.profile_id AND p.name = 'Collectivités';
UPDATE dunning.step s SET enabled = true, days = 20, media = 'letter',
       template_id = (SELECT template_id FROM dunning.template WHERE name = 'final_notice')
  FROM dunning.scenario sc JOIN dunning.profile p USING (profile_id)
 WHERE s.scenario_id = sc.scenario_id AND p.name = 'Grands comptes' AND s.step = 'R4';
UPDATE dunning.scenario sc SET enabled = false
  FROM dunning.profile p
 WHERE sc.profile_id = p.profile_id AND p.name = 'Grands comptes' AND sc.audience = 'without_email';

-- Ledger rows in the default tables too.
INSERT INTO dunning.customer (customer_id, name, email, collector, attributes)
VALUES ('C001', 'Boulangerie Martin', 'contact@martin.example', 'Claire', '{"segment": "pme"}'),
       ('C002', 'Mairie de Saint-Flour', NULL, 'Hugo', '{"segment": "public"}');
INSERT INTO dunning.entry (entry_id, customer_id, document_number, kind, document_date, due_date,
                           amount, open_amount, currency, in_dispute, promised_on)
VALUES ('E1', 'C001', 'FA-2026-0001', 'invoice', '2026-04-01', '2026-05-01', 1234.56, 1234.56, 'EUR', false, NULL),
       ('E2', 'C001', 'AV-2026-0001', 'credit_note', '2026-04-15', '2026-04-15', -100, -100, 'EUR', false, NULL),
       ('E3', 'C002', 'FA-2026-0002', 'invoice', '2026-03-01', NULL, 560, 560, NULL, true, '2026-07-15');

-- History: a planning run on the attached views, a send, an untick, a second run.
SELECT dunning.plan('2026-06-15');
SELECT dunning.send('email', executed_on => '2026-06-15');
SELECT dunning.plan('2026-07-05');
SELECT dunning.untick(action_id) FROM dunning.action WHERE status = 'proposed';
SQL

# Dump once, restore twice.
run('pg_dump', '-Fc', '-f', "$dir/dump.custom", $src);
run('createdb', $custom);
ok(eval { run('pg_restore', '--exit-on-error', '-d', $custom, "$dir/dump.custom"); 1 },
   'pg_restore of the custom-format dump succeeds') or diag($@);
run('pg_dump', '-Fp', '-f', "$dir/dump.sql", $src);
run('createdb', $plain);
ok(eval { run('psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $plain, '-f', "$dir/dump.sql"); 1 },
   'psql restore of the plain-format dump succeeds') or diag($@);

my %order_by = (
    settings => 'singleton',
    template => 'template_id',
    profile  => 'profile_id',
    scenario => 'scenario_id',
    step     => 'scenario_id, step',
    customer => 'customer_id',
    entry    => 'entry_id',
    run          => 'run_id',
    customer_state => 'customer_id',
    entry_state  => 'customer_id, entry_id',
    anomaly      => 'run_id, entry_id, reason',
    action       => 'action_id',
    action_entry => 'action_id, entry_id',
    action_event => 'action_id, at, status',
    selection    => 'customer_id, step, entry_id',
    outbox       => 'message_id',
);
for my $table (sort keys %order_by) {
    my $sql = "COPY (SELECT * FROM dunning.$table ORDER BY $order_by{$table}) TO STDOUT";
    my $want = psql_in($src, $sql);
    isnt($want, '', "dunning.$table has rows in the source");
    for my $db ($custom, $plain) {
        is(psql_in($db, $sql), $want, "dunning.$table identical after restore into " . ($db eq $custom ? 'custom' : 'plain'));
    }
}
for my $seq (qw(template_id_seq profile_id_seq run_id_seq action_id_seq message_id_seq)) {
    my $sql = "SELECT last_value, is_called FROM dunning.$seq";
    my $want = psql_in($src, $sql);
    is(psql_in($_, $sql), $want, "dunning.$seq position kept") for ($custom, $plain);
}

# No default duplicated, and the rules still hold in the restored database.
for my $db ($custom, $plain) {
    is(psql_in($db, <<'SQL'), "1|1|12|2|18\n", 'one settings row, one Standard, twelve shipped templates, two scenarios and 18 steps per profile');
SELECT (SELECT count(*) FROM dunning.settings),
       (SELECT count(*) FROM dunning.profile WHERE name = 'Standard'),
       (SELECT count(*) FROM dunning.template WHERE builtin),
       (SELECT min(n) FROM (SELECT count(*) AS n FROM dunning.scenario GROUP BY profile_id) s),
       (SELECT min(n) FROM (SELECT count(*) AS n FROM dunning.step JOIN dunning.scenario USING (scenario_id) GROUP BY profile_id) s)
SQL
    is(psql_in($db, q{SELECT customer_source, entry_source FROM dunning.settings}),
       "compta.v_clients|compta.v_ecritures\n", 'the attached views are still attached');
    like(psql_error_in($db, q{DELETE FROM dunning.profile WHERE name = 'Standard'}),
         qr/profile Standard cannot be deleted/, 'the restored database still refuses to delete Standard');
    ok(eval { psql_in($db, q{SELECT dunning.create_profile('Après restauration', 20)}); 1 },
       'a new profile can be created after the restore (sequences are past the restored ids)') or diag($@);
}

done_testing();
