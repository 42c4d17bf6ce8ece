#!/usr/bin/perl
#
# A rolled-back transaction leaves nothing behind: dunning.plan(),
# dunning.send(), dunning.run_nightly() and dunning.claim() called between
# BEGIN and ROLLBACK change no row of any dunning table, and the session,
# which LISTENs on channel dunning_outbox, receives no notification (a NOTIFY
# is delivered at commit only).  The positive control, the same send
# committed, shows the notification with its payload (the number of messages
# queued) and changes the tables: so the checks can fail.  A claim rolled
# back leaves its messages queued with attempts 0.
#
# Each scenario is one psql session: LISTEN dunning_outbox; BEGIN; ...;
# ROLLBACK; a trivial query (psql prints notifications after each command).
# The tables are compared, from other connections, by row count and md5 of
# their rows in order.
#
# Connection: PGHOST, PGPORT and PGUSER (a superuser), as test/check.sh sets.

use strict;
use warnings;
use File::Temp qw(tempdir);
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use DunningTest qw(run psql_in);

$ENV{PGOPTIONS} = '-c client_min_messages=warning';
my $db = 'dunning_rollback_' . $$;
my $dir = tempdir(CLEANUP => 1);
my $ledger = "$FindBin::Bin/../data/sample_ledger.sql";
my $notification = qr/^Asynchronous notification "dunning_outbox"(?: with payload "([^"]*)")? received from server process with PID \d+\.$/m;

# SQL in this test's database: psql's output, each row ending in "\n".
sub psql {
    my ($sql) = @_;
    return psql_in($db, $sql);
}

# One psql session that LISTENs on dunning_outbox, then runs $script;
# returns its exit status and everything it printed (stdout and stderr).
my $sessions = 0;
sub session {
    my ($script) = @_;
    my $file = "$dir/session" . ++$sessions . '.sql';
    open(my $fh, '>', $file) or die "cannot write $file: $!";
    print $fh "LISTEN dunning_outbox;\n$script";
    close($fh);
    my $out = `psql -X -q -A -t -v ON_ERROR_STOP=1 -d '$db' -f '$file' 2>&1`;
    return ($? >> 8, $out);
}

# Every dunning table written by planning, executing or sending: row count
# and md5 of its rows sorted by their text.
my @tables = qw(run action action_entry action_event customer_state selection anomaly outbox step);
sub snapshot {
    my $sql = join("\nUNION ALL\n", map {
        "SELECT '$_', count(*), md5(COALESCE(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM dunning.$_ t"
    } @tables);
    my %snap = map { my ($t, $n, $md5) = split /\|/; ($t => "$n rows, md5 $md5") } split /\n/, psql($sql);
    return \%snap;
}

# The same content, table by table.
sub same_tables {
    my ($before, $what) = @_;
    my $after = snapshot();
    is($after->{$_}, $before->{$_}, "$what: dunning.$_ unchanged") for @tables;
}

sub no_notification {
    my ($status, $out, $what) = @_;
    is($status, 0, "$what: the session succeeded") or diag($out);
    unlike($out, $notification, "$what: no notification on dunning_outbox") or diag($out);
}

run('dropdb', '--if-exists', $db);
END { local $?; eval { run('dropdb', '--if-exists', $db) }; }   # local: keeps the exit status
run('createdb', $db);
psql('CREATE EXTENSION dunning');
run('psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $db, '-f', $ledger);
my $run = psql(q{SELECT dunning.plan('2026-06-30')});
chomp $run;
my $emails = psql(q{SELECT count(*) FROM dunning.action WHERE status = 'proposed' AND selected AND media = 'email'});
chomp $emails;
cmp_ok($emails, '>', 0, "the plan for 2026-06-30 proposes selected emails ($emails)");
my $before = snapshot();

# 1. plan, rolled back: the same date again (proposals refreshed) and a later
#    one (new proposals, others cancelled).
my ($status, $out) = session(<<'SQL');
BEGIN;
SELECT dunning.plan('2026-06-30') AS again \gset
SELECT 'again ' || count(*) FROM dunning.action WHERE run_id = :again;
SELECT dunning.plan('2026-07-20') AS later \gset
SELECT 'later ' || count(*) FROM dunning.action WHERE run_id = :later;
ROLLBACK;
SELECT 'after';
SQL
no_notification($status, $out, 'plan rolled back');
like($out, qr/^again [1-9]\d*$/m, 'plan rolled back: the plan of the same date refreshed proposals') or diag($out);
like($out, qr/^later [1-9]\d*$/m, 'plan rolled back: the plan of a later date made proposals') or diag($out);
same_tables($before, 'plan rolled back');

# 2. send, rolled back: the messages were queued inside the transaction.
($status, $out) = session(<<'SQL');
BEGIN;
SELECT 'sent ' || dunning.send('email', NULL, NULL, '2026-06-30');
SELECT 'outbox ' || count(*) FROM dunning.outbox;
ROLLBACK;
SELECT 'after';
SQL
no_notification($status, $out, 'send rolled back');
like($out, qr/^sent $emails$/m, "send rolled back: send queued the $emails emails in the transaction") or diag($out);
like($out, qr/^outbox $emails$/m, 'send rolled back: the outbox held them in the transaction') or diag($out);
same_tables($before, 'send rolled back');

# 3. plan, send and claim in one transaction, and the nightly run with
#    auto_send, rolled back.
($status, $out) = session(<<'SQL');
BEGIN;
SELECT 'plan ' || dunning.plan('2026-07-01');
SELECT 'sent ' || dunning.send('email', NULL, NULL, '2026-07-01');
SELECT 'claimed ' || count(*) FROM dunning.claim('rollback-test', 1000);
UPDATE dunning.step SET auto_send = true WHERE media IN ('email', 'letter');
SELECT dunning.run_nightly('2026-07-02') AS nightly \gset
SELECT 'nightly ' || queued FROM dunning.run WHERE run_id = :nightly;
ROLLBACK;
SELECT 'after';
SQL
no_notification($status, $out, 'plan, send, claim and run_nightly rolled back');
like($out, qr/^sent [1-9]\d*$/m, 'plan, send, claim and run_nightly rolled back: send queued messages') or diag($out);
like($out, qr/^claimed [1-9]\d*$/m, 'plan, send, claim and run_nightly rolled back: claim handed them out') or diag($out);
like($out, qr/^nightly [1-9]\d*$/m, 'plan, send, claim and run_nightly rolled back: run_nightly queued messages') or diag($out);
same_tables($before, 'plan, send, claim and run_nightly rolled back');

# 4. The positive control: the same send, committed, notifies with the
#    number of messages, and the tables change.
($status, $out) = session(<<'SQL');
BEGIN;
SELECT 'sent ' || dunning.send('email', NULL, NULL, '2026-06-30');
COMMIT;
SELECT 'after';
SQL
is($status, 0, 'send committed: the session succeeded') or diag($out);
like($out, qr/^sent $emails$/m, "send committed: $emails emails queued") or diag($out);
my @payloads = $out =~ /$notification/g;
is_deeply(\@payloads, [$emails], "send committed: one notification on dunning_outbox, payload \"$emails\"")
    or diag($out);
like($out, qr/^sent $emails\n$notification\nafter$/m, 'send committed: the notification arrives at COMMIT')
    or diag($out);
my $sent = snapshot();
isnt($sent->{$_}, $before->{$_}, "send committed: dunning.$_ changed") for qw(action action_event customer_state outbox);
is(psql(q{SELECT status, attempts, count(*) FROM dunning.outbox GROUP BY 1, 2}), "queued|0|$emails\n",
   "send committed: $emails messages queued, attempts 0");

# 5. claim, rolled back: the messages stay queued with attempts 0, unclaimed.
($status, $out) = session(<<'SQL');
BEGIN;
SELECT 'claimed ' || count(*) FROM dunning.claim('rollback-test', 1000);
SELECT 'claimed rows ' || count(*) FROM dunning.outbox WHERE status = 'claimed' AND attempts = 1;
ROLLBACK;
SELECT 'after';
SQL
no_notification($status, $out, 'claim rolled back');
like($out, qr/^claimed $emails$/m, "claim rolled back: claim handed out the $emails messages") or diag($out);
like($out, qr/^claimed rows $emails$/m, 'claim rolled back: they were claimed in the transaction') or diag($out);
same_tables($sent, 'claim rolled back');
is(psql(q{SELECT status, attempts, claimed_by IS NULL, claim_token IS NULL, count(*) FROM dunning.outbox GROUP BY 1, 2, 3, 4}),
   "queued|0|t|t|$emails\n", 'claim rolled back: every message still queued, attempts 0, no claimer, no token');

# ... and they can be claimed for real afterwards, as first attempts.
is(psql(q{SELECT count(*) FILTER (WHERE attempt = 1) || ' of ' || count(*) FROM dunning.claim('after-rollback', 1000)}),
   "$emails of $emails\n", 'after the rolled-back claim, a claim hands out every message as attempt 1');

done_testing();
