#!/usr/bin/perl
#
# A crash in the middle of a large plan loses the run, and only the run: the
# server is stopped with pg_ctl stop -m immediate (no shutdown checkpoint,
# WAL recovery at the next start) while dunning.plan() runs; after the
# restart no run is visible, not even a 'running' one, no action, entry of
# an action, event or anomaly, and the next plan gives the same proposals as
# a reference plan computed (and rolled back) before the crashes.
#
# Two crashes:
#   1. in the computation: as soon as the plan starts writing its proposals,
#      or after half the reference duration, whichever comes first;
#   2. in the writes, deterministically: another session holds
#      dunning.action_entry in SHARE mode, so the plan stops at its last
#      step, having written (not committed) its run, anomalies, actions and
#      events; the server is stopped while it waits.
#
# It stops and restarts the server, so it runs only on the suite's
# throwaway cluster (test/lib/cluster.sh: $PGHOST/data, server.log beside
# it), and leaves it running, whatever happens.
#
# Connection: PGHOST, PGPORT and PGUSER (a superuser), as test/check.sh sets.
# DUNNING_CRASH_CUSTOMERS: the ledger's size (10 entries per customer).

use strict;
use warnings;
use Cwd qw(realpath);
use File::Temp qw(tempdir);
use FindBin;
use lib "$FindBin::Bin/../lib";
use POSIX qw(WNOHANG);
use Test::More;
use Time::HiRes qw(sleep time);
use DunningTest qw(run psql_in pg_ctl);

$ENV{PGOPTIONS} = '-c client_min_messages=warning';
my $db = 'dunning_crash_' . $$;
my $as_of = '2026-06-30';
my $customers = $ENV{DUNNING_CRASH_CUSTOMERS} // 10000;   # a plan of a few seconds on 2 cores
my $dir = tempdir(CLEANUP => 1);
my $pghost = $ENV{PGHOST} // '';
my $data = "$pghost/data";

plan skip_all => 'PGHOST is not a directory holding the data directory data/ of a throwaway cluster '
               . '(test/lib/cluster.sh): this test stops the server, only the suite\'s own'
    unless $pghost =~ m{^/} && -d $data;

# SQL in this test's database (or in $database): psql's output without its
# final newline.
sub psql {
    my ($sql, $database) = @_;
    return psql_in($database // $db, $sql, chomp => 1);
}

# The server must be the one whose data directory is $PGHOST/data.
my $server_data = eval { psql('SHOW data_directory', 'postgres') } // '';
plan skip_all => "the server at PGHOST does not run from $data (it runs from '$server_data'): not stopping it"
    unless $server_data ne '' && realpath($server_data) eq realpath($data);
my $owner = getpwuid((stat($data))[4]);
plan skip_all => "run as root or as $owner, the owner of $data, to stop and start the server"
    unless $> == 0 || $> == (stat($data))[4];

my $armed = 1;   # from here on, the END block makes sure the server runs

# pg_ctl (DunningTest) runs on $data, from $pghost, as $owner when we are root.
sub server_running { (pg_ctl('status'))[0] == 0 }

# Starts the server as test/lib/cluster.sh does; true once it accepts
# connections.
sub start_server {
    my ($status, $out) = pg_ctl('-l', "$pghost/server.log", '-w', '-t', '120', 'start');
    diag("pg_ctl start: exit $status\n$out") if $status != 0;
    for (1 .. 600) {
        return 1 if system('psql -X -q -A -t -d postgres -c "SELECT 1" >/dev/null 2>&1') == 0;
        sleep 0.2;
    }
    return 0;
}

# Background psql sessions: pid => output file.
my %children;
sub background {
    my ($name, @sql) = @_;
    my $file = "$dir/$name.out";
    my $pid = fork() // die "fork: $!";
    if ($pid == 0) {
        open(STDOUT, '>', $file) or die "cannot write $file: $!";
        open(STDERR, '>&', \*STDOUT) or die "cannot dup: $!";
        exec('psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', $db, map { ('-c', $_) } @sql)
            or die "cannot run psql: $!";
    }
    $children{$pid} = $file;
    return $pid;
}

# Whether a background session has ended (its status is kept for finish()).
my %ended;
sub ended {
    my ($pid) = @_;
    return 1 if exists $ended{$pid};
    return 0 if waitpid($pid, WNOHANG) == 0;
    $ended{$pid} = $?;
    return 1;
}

# Waits for a background session: its exit status and output.
sub finish {
    my ($pid, $timeout) = @_;
    my $deadline = time + ($timeout // 60);
    until (ended($pid)) {
        if (time > $deadline) {
            diag("background psql $pid still running after ${\ ($timeout // 60)} s: killed");
            kill 'KILL', $pid;
            waitpid($pid, 0);
            $ended{$pid} = $?;
            last;
        }
        sleep 0.05;
    }
    my $status = delete $ended{$pid};
    my $file = delete $children{$pid};
    open(my $fh, '<', $file) or return ($status, '');
    local $/;
    return ($status, <$fh> // '');
}

sub cleanup {
    for my $pid (keys %children) {
        next if ended($pid);
        kill 'KILL', $pid;
        waitpid($pid, 0);
    }
    %children = ();
    unless (server_running()) {
        diag('the server is down: starting it again');
        start_server() or diag("could not start the server again: see $pghost/server.log");
    }
    eval { run('dropdb', '--if-exists', $db) };
}
$SIG{INT} = $SIG{TERM} = sub { exit 1 };   # so that the END block runs
END { local $?; cleanup() if $armed; }

# Everything the proposals say, without the identifiers and times that differ
# between runs; and the run's counts and anomalies.
my $digest_sql = <<'SQL';
SELECT count(*) || ' proposals ' || md5(string_agg(p.line, E'\n' ORDER BY p.line))
       || ' | run ' || (SELECT concat_ws(' ', r.as_of, r.status, r.entries, r.proposals, r.selected, r.anomalies)
                        FROM dunning.run r ORDER BY r.run_id DESC LIMIT 1)
       || ' | anomalies ' || (SELECT md5(COALESCE(string_agg(concat_ws('|', an.customer_id, an.entry_id, an.reason), E'\n'
                                                             ORDER BY an.customer_id, an.entry_id, an.reason), ''))
                              FROM dunning.anomaly an)
       || ' | events ' || (SELECT COALESCE(string_agg(e.status || ' ' || e.n, ', ' ORDER BY e.status), '')
                           FROM (SELECT ev.status, count(*) AS n FROM dunning.action_event ev GROUP BY ev.status) e)
FROM (
    SELECT concat_ws('|', a.customer_id, a.step, a.level, a.media, a.selected, a.exclusion_reason, a.profile_id,
                     a.scenario_id, a.template_id, a.auto_send, a.customer_in_dispute, a.has_disputed_entries,
                     a.collector, a.proposed_on, a.customer_name, a.email, a.language,
                     string_agg(concat_ws(':', ae.entry_id, ae.currency, ae.amount, ae.open_amount, ae.level_before,
                                          ae.selected, ae.exclusion_reason, ae.in_dispute, ae.due_date),
                                ',' ORDER BY ae.entry_id)) AS line
    FROM dunning.action a
    JOIN dunning.action_entry ae ON ae.action_id = a.action_id
    WHERE a.status = 'proposed'
    GROUP BY a.action_id
) p
SQL

# What a crashed plan may not leave behind.
my $leftovers_sql = <<'SQL';
SELECT concat_ws(' ', (SELECT count(*) FROM dunning.run), (SELECT count(*) FROM dunning.run WHERE status = 'running'),
                 (SELECT count(*) FROM dunning.action), (SELECT count(*) FROM dunning.action_entry),
                 (SELECT count(*) FROM dunning.action_event), (SELECT count(*) FROM dunning.anomaly),
                 (SELECT count(*) FROM dunning.customer_state), (SELECT count(*) FROM dunning.outbox))
SQL
my $nothing = '0 0 0 0 0 0 0 0';
my $nothing_label = 'runs, running runs, actions, action entries, events, anomalies, customer states, messages';

# The plan's backend, if it runs: state, seconds active, whether it has begun
# writing proposals (holds dunning.action in ROW EXCLUSIVE mode), whether it
# waits for a lock.
sub plan_backend {
    return psql(<<'SQL');
SELECT concat_ws(' ', a.pid, a.state, round(extract(epoch FROM clock_timestamp() - a.query_start)::numeric, 1),
                 EXISTS (SELECT FROM pg_locks l WHERE l.pid = a.pid AND l.granted AND l.mode = 'RowExclusiveLock'
                                                  AND l.relation = 'dunning.action'::regclass),
                 COALESCE(a.wait_event_type, '-'))
FROM pg_stat_activity a
WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND a.query LIKE 'SELECT dunning.plan(%'
SQL
}

sub crash_and_restart {
    my ($what) = @_;
    my ($status, $out) = pg_ctl('stop', '-m', 'immediate', '-w', '-t', '60');
    is($status, 0, "$what: pg_ctl stop -m immediate") or diag($out);
    ok(start_server(), "$what: the server starts again (crash recovery) and accepts connections")
        or BAIL_OUT("the server did not start again: see $pghost/server.log");
}

sub nothing_left {
    my ($what, $plan_pid) = @_;
    my ($status, $out) = finish($plan_pid);
    isnt($status, 0, "$what: the plan's psql failed") or diag("psql output:\n$out");
    like($out, qr/terminat|server closed the connection|connection to server was lost/i,
         "$what: it lost its connection to the server") or diag("psql output:\n$out");
    is(psql($leftovers_sql), $nothing, "$what: nothing left behind ($nothing_label)");
}

# A database with the benchmark's ledger, and the reference plan.
run('dropdb', '--if-exists', $db);
run('createdb', $db);
psql('CREATE EXTENSION dunning');
my $started = time;
run('psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-v', "n=$customers", '-v', "d=$as_of", '-d', $db,
    '-o', '/dev/null', '-f', "$FindBin::Bin/../bench/ledger.sql");
note(sprintf('ledger of %d customers built in %.1f s', $customers, time - $started));

$started = time;
my $reference = run('psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', $db,
                    '-c', 'BEGIN', '-c', "SELECT dunning.plan('$as_of')", '-c', $digest_sql, '-c', 'ROLLBACK');
my $duration = time - $started;
$reference = (split /\n/, $reference)[-1];
like($reference, qr/^[1-9]\d* proposals [0-9a-f]{32} \| run $as_of done /,
     sprintf('the reference plan (%.1f s, rolled back) makes proposals', $duration)) or diag($reference);
is(psql($leftovers_sql), $nothing, 'the reference plan left nothing behind');

# 1. Stopped while it computes.
my $plan = background('plan1', "SELECT dunning.plan('$as_of')");
my ($backend, $seen) = ('', 0);
my $deadline = time + 60 + 5 * $duration;
while (time < $deadline) {
    $backend = plan_backend();
    if ($backend =~ /^\d+ active ([\d.]+) (t|f) /) {
        $seen = 1;
        last if $2 eq 't' || $1 >= $duration / 2;
    }
    last if ended($plan);   # finished before the crash: reported below
    sleep 0.05;
}
ok($seen, 'crash 1: the plan runs') or diag("pg_stat_activity: '$backend'");
note("crash 1: stopping the server while the plan's backend is: $backend (pid state seconds writing wait)");
crash_and_restart('crash 1');
nothing_left('crash 1', $plan);

# 2. Stopped while it writes: held at its last step by a lock on
#    dunning.action_entry, after the run, anomalies, actions and events.
my $holder = background('holder', 'BEGIN', 'LOCK TABLE dunning.action_entry IN SHARE MODE', 'SELECT pg_sleep(600)');
$deadline = time + 60;
my $held = '';
while (time < $deadline && $held ne '1') {
    $held = psql(q{SELECT count(*) FROM pg_locks WHERE granted AND mode = 'ShareLock'
                   AND relation = 'dunning.action_entry'::regclass});
    sleep 0.05;
}
is($held, '1', 'crash 2: another session holds dunning.action_entry in SHARE mode');
$plan = background('plan2', "SELECT dunning.plan('$as_of')");
$deadline = time + 60 + 5 * $duration;
while (time < $deadline) {
    $backend = plan_backend();
    last if $backend =~ / active [\d.]+ t Lock$/;
    sleep 0.1;
}
like($backend, qr/ active [\d.]+ t Lock$/,
     'crash 2: the plan has written its proposals and waits for dunning.action_entry')
    or diag("pg_stat_activity: '$backend'");
my $written = psql(q{SELECT pg_relation_size('dunning.action') > 0 AND pg_relation_size('dunning.action_event') > 0});
is($written, 't', 'crash 2: dunning.action and dunning.action_event have pages (the uncommitted rows)');
crash_and_restart('crash 2');
nothing_left('crash 2', $plan);
my ($holder_status) = finish($holder);
isnt($holder_status, 0, 'crash 2: the session holding the lock was cut off too');
is(psql(q{SELECT pg_relation_size('dunning.action') > 0}), 't',
   'crash 2: the rows written before the crash are on disk, and invisible');

# The next plan: complete, and the same proposals as the reference.
$started = time;
my $after = run('psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', $db,
                '-c', "SELECT dunning.plan('$as_of')", '-c', $digest_sql);
$after = (split /\n/, $after)[-1];
is($after, $reference, sprintf('the plan after the crashes (%.1f s) gives the reference proposals', time - $started));
is(psql(q{SELECT count(*) || ' ' || string_agg(status, ' ') FROM dunning.run}), '1 done', 'one run, done');

done_testing();
