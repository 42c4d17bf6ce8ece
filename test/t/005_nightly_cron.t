#!/usr/bin/perl
#
# pg_cron for real: dunning.schedule_nightly('* * * * *') registers the job
# "dunning-nightly <database>" in pg_cron's database (cron.database_name,
# postgres in the suite's cluster); the test waits until cron.job_run_details shows a run of
# it that succeeded, checks what dunning.run_nightly() did (a run for today
# in settings.timezone, the reminders due today queued in dunning.outbox),
# then unschedules.  Scheduling twice keeps one job; unscheduling twice says
# true, then false.  In a database without pg_cron, schedule_nightly() fails
# with a HINT giving the cron.schedule_in_database() call to make, and that
# call works, and the two databases' jobs live side by side.
#
# pg_cron 1.4 starts a job at the start of a minute, through a libpq
# connection to cron.host (default localhost) unless
# cron.use_background_workers is on.  The suite's cluster listens on a Unix
# socket only: when its jobs could not connect, and the cluster is the
# suite's throwaway one ($PGHOST/data), the test points cron.host at the
# socket directory (ALTER SYSTEM, restart) and puts it back at the end.
#
# Connection: PGHOST, PGPORT and PGUSER (a superuser), as test/check.sh sets.

use strict;
use warnings;
use Cwd qw(realpath);
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Time::HiRes qw(sleep time);
use DunningTest qw(run psql_in psql_error_in pg_ctl);

$ENV{PGOPTIONS} = '-c client_min_messages=warning';
my $other = 'dunning_cron_other_' . $$;
my $job_name;       # "dunning-nightly <database>", per database
my $wait_for_run = 150;   # seconds: the next minute, and the run

# SQL in database $db: psql's output without its final newline.
sub psql {
    my ($db, $sql) = @_;
    return psql_in($db, $sql, chomp => 1);
}

# SQL that must fail in database $db, with VERBOSITY verbose (SQLSTATE,
# DETAIL, HINT); returns its error output, '' if it succeeded.
sub psql_error {
    my ($db, $sql) = @_;
    return psql_error_in($db, $sql, verbose => 1);
}

# Restarts the suite's cluster (pg_ctl: as the owner of $PGHOST/data).
sub restart {
    my ($status, $out) = pg_ctl('-l', "$ENV{PGHOST}/server.log", '-w', '-t', '60', '-m', 'fast', 'restart');
    die "pg_ctl restart failed: $out" if $status != 0;
}

my $cron_db = eval { psql('postgres', q{SELECT current_setting('cron.database_name', true)}) } // '';
plan skip_all => 'pg_cron is not in shared_preload_libraries (no cron.database_name)' if $cron_db eq '';

# Can pg_cron's jobs connect?  Else fix it, on the suite's cluster only.
my ($workers, $cron_host, $listen) = split /\|/, psql($cron_db,
    q{SELECT current_setting('cron.use_background_workers'), current_setting('cron.host'),
             current_setting('listen_addresses')});
my $changed_cron_host = 0;
if ($workers ne 'on' && $cron_host !~ m{^/} && $listen eq '') {
    my $ours = defined $ENV{PGHOST} && -d "$ENV{PGHOST}/data"
        && realpath("$ENV{PGHOST}/data") eq realpath(psql($cron_db, 'SHOW data_directory'));
    plan skip_all => "pg_cron connects to cron.host = $cron_host, but the server listens on no TCP address: "
                   . "its jobs would fail with 'connection failed' (and this is not the suite's cluster, "
                   . "\$PGHOST/data, to reconfigure)" unless $ours;
    diag("pg_cron jobs cannot connect to cron.host = $cron_host (listen_addresses is empty): "
         . "setting cron.host to $ENV{PGHOST} and restarting the cluster for this test");
    psql($cron_db, "ALTER SYSTEM SET cron.host = '$ENV{PGHOST}'");
    $changed_cron_host = 1;
    restart();
}

my $had_cron = psql($cron_db, q{SELECT count(*) FROM pg_extension WHERE extname = 'pg_cron'});
plan skip_all => "dunning is already installed in database $cron_db: this test installs and drops its own"
    if psql($cron_db, q{SELECT count(*) FROM pg_extension WHERE extname = 'dunning'}) ne '0';

my $installed = 0;
sub cleanup {
    if ($installed) {
        eval { psql($cron_db, 'SELECT dunning.unschedule_nightly()') };
        eval { psql($cron_db, "SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname LIKE 'dunning-nightly %'") };
        eval { psql($cron_db, 'DROP EXTENSION IF EXISTS dunning') };
        eval { psql($cron_db, 'DROP EXTENSION IF EXISTS pg_cron') } unless $had_cron;
        $installed = 0;
    }
    eval { run('dropdb', '--if-exists', $other) };
    if ($changed_cron_host) {
        eval { psql($cron_db, 'ALTER SYSTEM RESET cron.host') };
        eval { restart() };
        diag("could not restart the cluster: $@") if $@;
        $changed_cron_host = 0;
    }
}
$SIG{INT} = $SIG{TERM} = sub { exit 1 };   # so that the END block runs
END { local $?; cleanup(); }

psql($cron_db, 'CREATE EXTENSION IF NOT EXISTS pg_cron');
psql($cron_db, 'CREATE EXTENSION dunning');
$installed = 1;
$job_name = psql($cron_db, 'SELECT dunning.nightly_job_name()');
is($job_name, "dunning-nightly $cron_db", 'the job is named after its database');
my $other_job = "dunning-nightly $other";

# A ledger dated from today (settings.timezone, UTC): R1 is due 5 days after
# the due date, so invoices due 20 days ago are due today, whatever the day.
# Two customers with an email (R1 email), one without (R1 letter); one
# invoice not yet overdue enough, one not due at all, one paid.
is(psql($cron_db, q{SELECT step || ' ' || days || ' ' || media FROM dunning.scenario_overview
                    WHERE profile = 'Standard' AND step = 'R1' ORDER BY audience}),
   "R1 5 email\nR1 5 letter", 'Standard: R1, 5 days after the due date, by email or by letter');
psql($cron_db, <<'SQL');
INSERT INTO dunning.customer (customer_id, name, email) VALUES
    ('K1', 'Cron One', 'one@customer.example'),
    ('K2', 'Cron Two', 'two@customer.example'),
    ('K3', 'Cron Three', NULL),
    ('K4', 'Cron Four', 'four@customer.example');
INSERT INTO dunning.entry (entry_id, customer_id, document_number, kind, document_date, due_date,
                           amount, open_amount, currency)
SELECT e.entry_id, e.customer_id, 'FA-' || e.entry_id, 'invoice', dunning.today() + e.due - 30,
       dunning.today() + e.due, e.amount, e.open_amount, 'EUR'
FROM (VALUES ('KE1', 'K1', -20, 100.00, 100.00),
             ('KE2', 'K2', -20, 250.00, 120.00),
             ('KE3', 'K3', -20, 80.00, 80.00),
             ('KE4', 'K4', -2, 300.00, 300.00),    -- R1 in 3 days
             ('KE5', 'K4', 30, 400.00, 400.00),    -- not due
             ('KE6', 'K1', -20, 90.00, 0)) AS e (entry_id, customer_id, due, amount, open_amount);
UPDATE dunning.step SET auto_send = true WHERE media IN ('email', 'letter');
SQL

# In a database without pg_cron: a clear error, and the call to make instead.
run('createdb', $other);
psql($other, 'CREATE EXTENSION dunning');
for my $case (['SELECT dunning.schedule_nightly()', '0 1 * * *'],
              [q{SELECT dunning.schedule_nightly('30 2 * * 1-5')}, '30 2 * * 1-5']) {
    my ($sql, $schedule) = @$case;
    my $err = psql_error($other, $sql);
    like($err, qr/^ERROR:  55000: pg_cron is not installed in database \Q$other\E$/m,
         "$sql in $other fails: pg_cron is not installed there (object_not_in_prerequisite_state)") or diag($err);
    like($err, qr/^DETAIL:  pg_cron keeps its jobs in the database named by cron\.database_name \(\Q$cron_db\E\)\.$/m,
         "$sql in $other: the DETAIL names pg_cron's database") or diag($err);
    my $call = "SELECT cron.schedule_in_database('$other_job', '$schedule', 'SELECT dunning.run_nightly()', '$other');";
    like($err, qr/^HINT:  .*\Q$call\E$/m, "$sql in $other: the HINT gives $call") or diag($err);
}
like(psql_error($other, 'SELECT dunning.unschedule_nightly()'),
     qr/^ERROR:  55000: pg_cron is not installed in database \Q$other\E\n(?:.*\n)*?HINT:  .*\Qcron.unschedule('$other_job')\E/m,
     "unschedule_nightly() in $other fails too, with a HINT");

# The HINT's call works in pg_cron's database: a job for the other database.
my ($hint) = psql_error($other, 'SELECT dunning.schedule_nightly()') =~ /^HINT:  .*?: (SELECT cron\.schedule_in_database.*)$/m;
ok(defined $hint && eval { psql($cron_db, $hint); 1 }, "the HINT's call runs in $cron_db") or diag($@);
is(psql($cron_db, "SELECT schedule || ' ' || command || ' ' || database FROM cron.job WHERE jobname = '$other_job'"),
   "0 1 * * * SELECT dunning.run_nightly() $other", "it schedules run_nightly() in $other at 01:00");

# pg_cron names jobs per user across the cluster: each database's job has
# its own name, so scheduling here leaves the other database's job alone,
# and unscheduling here removes only this one.
psql($cron_db, 'SELECT dunning.schedule_nightly()');
is(psql($cron_db, "SELECT string_agg(database, ' ' ORDER BY database) FROM cron.job WHERE jobname LIKE 'dunning-nightly %'"),
   join(' ', sort($cron_db, $other)), "schedule_nightly() in $cron_db keeps the job of $other and adds its own");
is(psql($cron_db, 'SELECT dunning.unschedule_nightly()'), 't', "unschedule_nightly() in $cron_db removes its own job");
is(psql($cron_db, "SELECT string_agg(database, ' ') FROM cron.job WHERE jobname LIKE 'dunning-nightly %'"),
   $other, "and leaves the job of $other");
psql($cron_db, "SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname LIKE 'dunning-nightly %'");

# A role that cannot log in cannot own the job (pg_cron connects as it).
psql($cron_db, 'CREATE ROLE dunning_cron_nologin_' . $$ . ' IN ROLE dunning_admin');
psql($cron_db, 'GRANT USAGE ON SCHEMA cron TO dunning_cron_nologin_' . $$);
like(psql_error($cron_db, 'SET ROLE dunning_cron_nologin_' . $$ . '; SELECT dunning.schedule_nightly()'),
     qr/^ERROR:  28000: the nightly job would run as role dunning_cron_nologin_\d+, which cannot log in$/m,
     'schedule_nightly() as a role that cannot log in is refused');
psql($cron_db, 'REVOKE USAGE ON SCHEMA cron FROM dunning_cron_nologin_' . $$);
psql($cron_db, 'DROP ROLE dunning_cron_nologin_' . $$);

# Scheduling twice keeps one job: the second call reschedules it.
my $job = psql($cron_db, 'SELECT dunning.schedule_nightly()');
like($job, qr/^\d+$/, "schedule_nightly() returns the job id ($job)");
is(psql($cron_db, "SELECT schedule || ' | ' || command || ' | ' || database || ' | ' || active FROM cron.job WHERE jobname = '$job_name'"),
   "0 1 * * * | SELECT dunning.run_nightly() | $cron_db | true", "one job $job_name, at 01:00 by default, in pg_cron's database");
my $scheduled_at = time;
is(psql($cron_db, q{SELECT dunning.schedule_nightly('* * * * *')}), $job, 'schedule_nightly again returns the same job id');
is(psql($cron_db, "SELECT jobid || ' ' || schedule FROM cron.job WHERE jobname = '$job_name'"),
   "$job * * * * *", 'still one job, now every minute');
my $today = psql($cron_db, 'SELECT dunning.today()');
is(psql($cron_db, 'SELECT count(*) FROM dunning.run'), '0', 'no run yet');

# Wait for pg_cron to run it.
my $details = '';
my $deadline = time + $wait_for_run;
while (time < $deadline) {
    $details = psql($cron_db, "SELECT runid || ' ' || status || ' ' || COALESCE(return_message, '') FROM cron.job_run_details
                               WHERE jobid = $job AND status IN ('succeeded', 'failed') ORDER BY runid LIMIT 1");
    last if $details ne '';
    sleep 1;
}
my $waited = sprintf('%.0f', time - $scheduled_at);
like($details, qr/^\d+ succeeded /, "pg_cron ran the job and it succeeded (after ${waited} s)")
    or diag("cron.job_run_details: " . ($details || "no finished run in $wait_for_run s") . "\n"
            . psql($cron_db, "SELECT * FROM cron.job_run_details WHERE jobid = $job"));

# Unschedule at once (before the next minute), twice.
is(psql($cron_db, 'SELECT dunning.unschedule_nightly()'), 't', 'unschedule_nightly() removes the job: true');
is(psql($cron_db, 'SELECT dunning.unschedule_nightly()'), 'f', 'unschedule_nightly() again: false');
is(psql($cron_db, "SELECT count(*) FROM cron.job WHERE jobname = '$job_name' OR jobid = $job"), '0',
   'cron.job no longer has the job');

# What the nightly run did: one run for today, the three reminders due
# today queued and notified, nothing else.
my $today_after = psql($cron_db, 'SELECT dunning.today()');
my $first = psql($cron_db, q{SELECT as_of || ' ' || status || ' ' || proposals || ' ' || COALESCE(queued::text, 'NULL')
                              FROM dunning.run ORDER BY run_id LIMIT 1});
like($first, qr/^(?:\Q$today\E|\Q$today_after\E) done /, "the job made a run for today ($today), done") or diag($first);
is((split / /, $first)[3], '3', 'the run records 3 messages queued');
is(psql($cron_db, q{SELECT count(*) FROM dunning.run WHERE queued > 0}), '1', 'one run queued messages')
    or diag(psql($cron_db, 'SELECT * FROM dunning.run'));
is(psql($cron_db, q{SELECT string_agg(customer_id || ' ' || media || ' ' || status || ' ' || attempts, ', ' ORDER BY customer_id)
                    FROM dunning.outbox}),
   'K1 email queued 0, K2 email queued 0, K3 letter queued 0', 'the outbox holds the 3 messages, queued: K1 and K2 by email, K3 by letter');
is(psql($cron_db, q{SELECT string_agg(a.customer_id || ' ' || a.step || ' ' || a.status, ', ' ORDER BY a.customer_id)
                    FROM dunning.action a JOIN dunning.run r ON r.run_id = a.run_id AND r.as_of = a.executed_on
                    WHERE a.status <> 'proposed'}),
   'K1 R1 queued, K2 R1 queued, K3 R1 queued', 'their actions are R1, executed on the run date, queued');
is(psql($cron_db, q{SELECT count(*) FROM dunning.action WHERE status = 'proposed' AND selected AND auto_send
                    AND media IN ('email', 'letter')}),
   '0', 'no selected email or letter proposal with auto_send is left behind');

cleanup();
is(psql($cron_db, "SELECT count(*) FROM pg_extension WHERE extname = 'dunning'"), '0', "dunning dropped from $cron_db");

done_testing();
