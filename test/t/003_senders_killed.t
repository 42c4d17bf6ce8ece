#!/usr/bin/perl
#
# Senders that die holding claims.  Two senders claim a batch with a 2-second
# lease, log some of it as delivered and ack part of that, then die:
#
#   A: its backend is terminated (pg_terminate_backend) while it sleeps in
#      pg_sleep, inside a transaction holding one more, uncommitted, ack;
#   B: its psql client process is killed with SIGKILL while its connection
#      is idle.
#
# Healthy senders then run until nothing is left, waiting for the leases to
# run out.  Nothing is lost: every message is delivered and sent.  The only
# duplicates are the dead senders' delivered-but-unacknowledged messages;
# what they acked is never delivered again, and their late acks are refused
# for messages others took over.  Last, one message whose lease runs out is
# claimed by a second sender: the first sender's ack is refused while the
# second holds it ("does not hold ...: sender ... holds it"), and after it is sent.
#
# Connection: PGHOST, PGPORT and PGUSER (a superuser), as test/check.sh sets.

use strict;
use warnings;
use File::Temp qw(tempdir);
use IO::Handle;
use POSIX qw(WNOHANG WIFSIGNALED WTERMSIG WIFEXITED WEXITSTATUS _exit);
use Time::HiRes qw(time sleep);
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use DunningTest qw(run psql_in create_extension slurp poll_every drop_now_and_at_exit);

$ENV{PGOPTIONS} = '-c client_min_messages=warning';
my $db       = 'dunning_killed_' . $$;
my $role     = 'tap_sender_' . $$;          # LOGIN, cluster-wide: dropped at the end
my $dir      = tempdir(CLEANUP => 1);
my $MESSAGES = 300;
my $LEASE    = '2 seconds';                 # the killed senders' lease
my $CLAIMED  = 40;                          # each killed sender claims this many,
my $LOGGED   = 20;                          # logs the first 20 as delivered,
my $ACKED    = 10;                          # and acks the first 10 of those
my %children;                               # pid => name, while running

# SQL in this test's database as the superuser (or as $as): psql's output.
sub psql {
    my ($sql, $as) = @_;
    return psql_in($db, $sql, as => $as);
}

# Runs SQL as $as (or the superuser); returns (ok, stdout and stderr).
sub psql_try {
    my ($sql, $as) = @_;
    my $pid = open(my $fh, '-|') // die "cannot fork: $!";
    if ($pid == 0) {
        open(STDERR, '>&', \*STDOUT) or _exit(127);
        exec('psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', $db,
             ($as ? ('-U', $as) : ()), '-c', $sql) or _exit(127);
    }
    local $/;
    my $out = <$fh> // '';
    close($fh);
    return ($? == 0, $out);
}

# Starts psql in the background as the sender role, output into a file.
# With $stdin, psql reads its script from a pipe returned for the caller to
# write to; otherwise it runs @args (-c ...).  Returns (pid, pipe).
sub spawn_sender {
    my ($name, $stdin, @args) = @_;
    my ($r, $w);
    if ($stdin) {
        pipe($r, $w) or die "cannot pipe: $!";
    }
    my $pid = fork() // die "cannot fork: $!";
    if ($pid == 0) {
        if ($r) {
            close($w);
            open(STDIN, '<&', $r) or _exit(127);
        } else {
            open(STDIN, '<', '/dev/null') or _exit(127);
        }
        open(STDOUT, '>', "$dir/$name.out") or _exit(127);
        open(STDERR, '>&', \*STDOUT) or _exit(127);
        $ENV{PGAPPNAME} = $name;
        exec('psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $db, '-U', $role, @args) or _exit(127);
    }
    $children{$pid} = $name;
    if ($w) {
        close($r);
        $w->autoflush(1);
    }
    return ($pid, $w);
}

# Waits for a child; returns its wait status, or undef after $timeout seconds.
sub wait_child {
    my ($pid, $timeout) = @_;
    my $deadline = time() + $timeout;
    while (time() < $deadline) {
        if (waitpid($pid, WNOHANG) == $pid) {
            delete $children{$pid};
            return $?;
        }
        sleep(0.05);
    }
    return undef;
}

# Polls $cond every 0.1 s until it returns true or $timeout seconds pass.
sub poll {
    my ($timeout, $cond) = @_;
    return poll_every(0.1, $timeout, $cond);
}

$SIG{INT} = $SIG{TERM} = sub { exit 1 };   # so that the database and the role are dropped
$SIG{PIPE} = 'IGNORE';

drop_now_and_at_exit(database => $db, role => $role, children => \%children);
run('createdb', $db);
ok(create_extension($db), 'CREATE EXTENSION') or BAIL_OUT('cannot create the extension');

# $MESSAGES customers, each owing one invoice due on 2026-06-10: an R1 email
# each on 2026-06-30.
psql(<<"SQL");
INSERT INTO dunning.customer (customer_id, name, email)
SELECT 'C' || lpad(i::text, 4, '0'), 'Customer ' || i, 'ap.' || i || '\@customer.example'
FROM generate_series(1, $MESSAGES) AS i;
INSERT INTO dunning.entry (entry_id, customer_id, document_number, kind, document_date, due_date,
                           amount, open_amount, currency)
SELECT 'E' || lpad(i::text, 4, '0'), 'C' || lpad(i::text, 4, '0'), 'FA-' || i, 'invoice',
       date '2026-05-01', date '2026-06-10', 100 + i, 100 + i, 'EUR'
FROM generate_series(1, $MESSAGES) AS i;
UPDATE dunning.step SET auto_send = true WHERE media IN ('email', 'letter');
SELECT dunning.run_nightly('2026-06-30');

-- What each sender claimed (a test's instrument: logged in the claim's own
-- transaction) and what it delivered to the outside world.
CREATE ROLE "$role" LOGIN IN ROLE dunning_sender;
CREATE TABLE public.claim_log (
    message_id bigint NOT NULL,
    token      uuid NOT NULL,
    sender     text NOT NULL,
    lease_expires_at timestamptz NOT NULL
);
CREATE TABLE public.delivery (
    message_id   bigint NOT NULL,
    token        uuid NOT NULL,
    sender       text NOT NULL,
    delivered_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
GRANT INSERT ON public.claim_log, public.delivery TO "$role";
SQL
is(psql(q{SELECT status || ' ' || count(*) FROM dunning.outbox GROUP BY status}), "queued $MESSAGES\n",
   "run_nightly queued $MESSAGES messages");

# The start of a killed sender's work: claim a batch with a short lease (and
# log the claim), commit; log the first $LOGGED as delivered, commit; ack the
# first $ACKED of those, commit.  $tail follows.
sub killed_sender_sql {
    my ($name, $tail) = @_;
    return <<"SQL";
DO \$sender\$
DECLARE
    ids    bigint[];
    tokens uuid[];
BEGIN
    SELECT array_agg(c.message_id ORDER BY c.message_id), array_agg(c.token ORDER BY c.message_id)
      INTO ids, tokens
      FROM dunning.claim('$name', $CLAIMED, '$LEASE') AS c;
    INSERT INTO public.claim_log (message_id, token, sender, lease_expires_at)
    SELECT u.message_id, u.token, '$name', now() + interval '$LEASE' FROM unnest(ids, tokens) AS u (message_id, token);
    COMMIT;
    INSERT INTO public.delivery (message_id, token, sender)
    SELECT u.message_id, u.token, '$name' FROM unnest(ids[1:$LOGGED], tokens[1:$LOGGED]) AS u (message_id, token);
    COMMIT;
    FOR i IN 1 .. $ACKED LOOP
        PERFORM dunning.ack(ids[i], tokens[i]);
    END LOOP;
    COMMIT;
    $tail
END
\$sender\$;
SQL
}

sub activity {
    my ($name) = @_;
    return psql(qq{SELECT pid, state, coalesce(wait_event, '') FROM pg_stat_activity
                   WHERE datname = current_database() AND application_name = '$name'});
}

sub counts_of {
    my ($name) = @_;
    return psql(qq{SELECT (SELECT count(*) FROM public.claim_log WHERE sender = '$name') || ' '
                       || (SELECT count(*) FROM public.delivery WHERE sender = '$name') || ' '
                       || (SELECT count(*) FROM dunning.outbox WHERE claimed_by = '$name' AND status = 'sent') || ' '
                       || (SELECT count(*) FROM dunning.outbox WHERE claimed_by = '$name' AND status = 'claimed')});
}

#------------------------------------------------------------------------------
# Case A: the backend is terminated while the sender sleeps in pg_sleep, one
# more ack done but not committed.
#------------------------------------------------------------------------------
my ($pid_a) = spawn_sender('killed-a', 0, '-c', killed_sender_sql('killed-a', <<"SQL"));
-- the next ack, not committed: the sender is killed holding its row lock
    PERFORM dunning.ack(ids[$ACKED + 1], tokens[$ACKED + 1]);
    PERFORM pg_sleep(600);
SQL
my $backend_a;
ok(poll(60, sub { my ($p, $s, $w) = split /\|/, activity('killed-a') =~ s/\n//r;
                  $backend_a = $p if defined $w && $w eq 'PgSleep'; defined $backend_a }),
   'sender A claims, logs, acks and sleeps')
    or diag('sender A: ' . activity('killed-a') . slurp("$dir/killed-a.out"));
is(counts_of('killed-a'), "$CLAIMED $LOGGED $ACKED " . ($CLAIMED - $ACKED) . "\n",
   "sender A claimed $CLAIMED, delivered $LOGGED, and $ACKED acks are committed");
is(psql(qq{SELECT count(*) FROM pg_locks
           WHERE pid = $backend_a AND relation = 'dunning.outbox'::regclass AND mode = 'RowExclusiveLock' AND granted}),
   "1\n", "sender A's open transaction has written to the outbox (its uncommitted ack)")
    if $backend_a;
is(psql("SELECT pg_terminate_backend($backend_a)"), "t\n", "pg_terminate_backend on sender A's backend ($backend_a)")
    if $backend_a;
my $status_a = wait_child($pid_a, 30);
ok(defined $status_a && WIFEXITED($status_a) && WEXITSTATUS($status_a) != 0, "sender A's psql exits with an error")
    or diag('status ' . ($status_a // 'none (still running)'));
like(slurp("$dir/killed-a.out"), qr/terminating connection due to administrator command/,
     "sender A's psql reports its connection terminated");
ok(poll(30, sub { activity('killed-a') eq '' }), "sender A's backend is gone");
is(counts_of('killed-a'), "$CLAIMED $LOGGED $ACKED " . ($CLAIMED - $ACKED) . "\n",
   "the uncommitted ack rolled back: $ACKED of sender A's acks count");

#------------------------------------------------------------------------------
# Case B: the psql client is killed with SIGKILL while its connection is idle
# (the sender "delivering" in its own process).
#------------------------------------------------------------------------------
my ($pid_b, $to_b) = spawn_sender('killed-b', 1);
print $to_b killed_sender_sql('killed-b', '');
my $backend_b;
ok(poll(60, sub { my ($p, $s) = split /\|/, activity('killed-b') =~ s/\n//r;
                  $backend_b = $p if defined $s && $s eq 'idle'
                      && counts_of('killed-b') eq "$CLAIMED $LOGGED $ACKED " . ($CLAIMED - $ACKED) . "\n";
                  defined $backend_b }),
   "sender B claims $CLAIMED, delivers $LOGGED, acks $ACKED and idles")
    or diag('sender B: ' . activity('killed-b') . counts_of('killed-b') . slurp("$dir/killed-b.out"));
kill('KILL', $pid_b);
my $status_b = wait_child($pid_b, 30);
close($to_b);
ok(defined $status_b && WIFSIGNALED($status_b) && WTERMSIG($status_b) == 9, "sender B's psql is killed by SIGKILL")
    or diag('status ' . ($status_b // 'none (still running)'));
ok(poll(30, sub { activity('killed-b') eq '' }), "sender B's backend notices and goes away");

my $killed = q{('killed-a', 'killed-b')};
is(psql(qq{SELECT count(*) FROM dunning.outbox WHERE claimed_by IN $killed AND status = 'claimed'}),
   2 * ($CLAIMED - $ACKED) . "\n", "the killed senders' unacked messages are still claimed by them");

#------------------------------------------------------------------------------
# Healthy senders: rounds of two, each looping until claim hands out nothing;
# between rounds, wait for the killed senders' leases to run out.
#------------------------------------------------------------------------------
sub healthy_sender_sql {
    my ($name) = @_;
    return <<"SQL";
DO \$sender\$
DECLARE
    ids    bigint[];
    tokens uuid[];
BEGIN
    LOOP
        SELECT array_agg(c.message_id ORDER BY c.message_id), array_agg(c.token ORDER BY c.message_id)
          INTO ids, tokens
          FROM dunning.claim('$name', 25, '5 minutes') AS c;
        INSERT INTO public.claim_log (message_id, token, sender, lease_expires_at)
        SELECT u.message_id, u.token, '$name', now() + interval '5 minutes' FROM unnest(ids, tokens) AS u (message_id, token);
        COMMIT;
        EXIT WHEN ids IS NULL;
        INSERT INTO public.delivery (message_id, token, sender)
        SELECT u.message_id, u.token, '$name' FROM unnest(ids, tokens) AS u (message_id, token);
        COMMIT;
        FOR i IN 1 .. array_length(ids, 1) LOOP
            PERFORM dunning.ack(ids[i], tokens[i]);
        END LOOP;
        COMMIT;
    END LOOP;
END
\$sender\$
SQL
}

my $pending_sql = q{SELECT count(*) FROM dunning.outbox WHERE status IN ('queued', 'claimed', 'failed')};
my ($round, $healthy_ok, $start) = (0, 1, time());
while (1) {
    $round++;
    my @pids = map { (spawn_sender("healthy-$round-$_", 0, '-c', healthy_sender_sql("healthy-$round-$_")))[0] } 1 .. 2;
    for my $pid (@pids) {
        my $name = $children{$pid};
        my $status = wait_child($pid, 120);
        if (!defined $status || $status != 0) {
            $healthy_ok = 0;
            diag("healthy sender $name failed (status " . ($status // 'still running') . "):\n"
                 . slurp("$dir/$name.out"));
        }
    }
    last if !$healthy_ok || psql($pending_sql) eq "0\n" || time() - $start > 60;
    sleep(0.25);   # the leases run out: poll again
}
ok($healthy_ok, 'the healthy senders ran without an error');
is(psql($pending_sql), "0\n", "nothing left queued, claimed or failed after $round rounds of healthy senders")
    or diag(psql(q{SELECT status, claimed_by, count(*), min(available_at), max(available_at), now()
                   FROM dunning.outbox GROUP BY 1, 2 ORDER BY 1, 2}));
note(sprintf('healthy senders: %d rounds in %.1f s', $round, time() - $start));

#------------------------------------------------------------------------------
# Nothing lost; the only duplicates are the killed senders' delivered but
# unacknowledged messages.
#------------------------------------------------------------------------------
is(psql(q{SELECT status || ' ' || count(*) FROM dunning.outbox GROUP BY status}), "sent $MESSAGES\n",
   "all $MESSAGES messages are sent");
is(psql(q{SELECT count(*) FROM dunning.outbox o WHERE NOT EXISTS (SELECT FROM public.delivery d WHERE d.message_id = o.message_id)}),
   "0\n", 'every message was delivered at least once');
is(psql(q{SELECT count(*) FROM dunning.outbox o JOIN public.delivery d ON d.message_id = o.message_id AND d.token = o.claim_token}),
   "$MESSAGES\n", "each message's acknowledging token is one that delivered it");

psql(<<"SQL");
-- The killed senders' claims, and whether their ack committed (an acked
-- message keeps the token that acked it).
CREATE TABLE public.killed_claim AS
SELECT c.message_id, c.token, c.sender, o.claim_token = c.token AS acked,
       EXISTS (SELECT FROM public.delivery d WHERE d.message_id = c.message_id AND d.token = c.token) AS delivered
FROM public.claim_log c JOIN dunning.outbox o USING (message_id)
WHERE c.sender IN $killed;
CREATE TABLE public.duplicate AS
SELECT message_id, count(*) AS deliveries FROM public.delivery GROUP BY message_id HAVING count(*) > 1;
SQL
is(psql(q{SELECT sender || ' ' || count(*) FILTER (WHERE acked) || ' ' || count(*) FILTER (WHERE delivered AND NOT acked)
          || ' ' || count(*) FILTER (WHERE NOT delivered) FROM public.killed_claim GROUP BY sender ORDER BY sender}),
   join('', map { "$_ $ACKED " . ($LOGGED - $ACKED) . ' ' . ($CLAIMED - $LOGGED) . "\n" } qw(killed-a killed-b)),
   'per killed sender: acked, delivered but not acked, claimed but not delivered');
is(psql(q{SELECT count(*) FROM public.duplicate d
          WHERE NOT EXISTS (SELECT FROM public.killed_claim k WHERE k.message_id = d.message_id AND NOT k.acked)}),
   "0\n", "every message delivered twice is one of the killed senders' claimed but unacked messages")
    or diag(psql(q{SELECT d.message_id, string_agg(l.sender, ', ') FROM public.duplicate d
                   JOIN public.delivery l USING (message_id) GROUP BY 1 ORDER BY 1}));
is(psql(q{SELECT count(*) || ' ' || coalesce(max(deliveries), 0) FROM public.duplicate}),
   2 * ($LOGGED - $ACKED) . " 2\n",
   'exactly the killed senders\' delivered-but-unacked messages were delivered again, once each');
is(psql(q{SELECT count(*) FROM public.killed_claim k JOIN public.delivery d USING (message_id) WHERE k.acked}),
   2 * $ACKED . "\n", "the killed senders' acked messages were delivered once, by them, and never again");
is(psql(q{SELECT count(*) FROM public.killed_claim k JOIN dunning.outbox o USING (message_id)
          WHERE NOT k.acked AND o.attempts = 2 AND o.claimed_by LIKE 'healthy-%'}),
   2 * ($CLAIMED - $ACKED) . "\n", "the killed senders' unacked messages were claimed again (attempt 2) and acked by healthy senders");
is(psql(q{SELECT attempts || ' ' || count(*) FROM dunning.outbox o
          WHERE NOT EXISTS (SELECT FROM public.killed_claim k WHERE k.message_id = o.message_id AND NOT k.acked)
          GROUP BY attempts}),
   '1 ' . ($MESSAGES - 2 * ($CLAIMED - $ACKED)) . "\n",
   'every other message was claimed once');
is(psql(q{SELECT status || ' ' || count(*) FROM dunning.action GROUP BY status}), "sent $MESSAGES\n",
   'every action is sent');

#------------------------------------------------------------------------------
# Late calls with a killed sender's tokens.
#------------------------------------------------------------------------------
my ($taken_id, $taken_token) = split /\|/, psql(q{SELECT message_id, token FROM public.killed_claim
                                                  WHERE sender = 'killed-a' AND delivered AND NOT acked
                                                  ORDER BY message_id LIMIT 1}) =~ s/\n//r;
my $row_sql = "SELECT status, claimed_by, claim_token, attempts, finished_at FROM dunning.outbox WHERE message_id = $taken_id";
my $row_before = psql($row_sql);
my ($ok, $out) = psql_try("SELECT dunning.ack($taken_id, '$taken_token')", $role);
ok(!$ok, "a late ack with sender A's token for message $taken_id, since acked by another, is refused");
like($out, qr/token \Q$taken_token\E does not hold message $taken_id \(now sent\)/,
     'the refusal says that token does not hold the message, now sent');
is(psql($row_sql), $row_before, 'the refused ack changed nothing');
($ok, $out) = psql_try("SELECT dunning.nack($taken_id, '$taken_token', 'late', '1 minute')", $role);
ok(!$ok && $out =~ /does not hold message $taken_id/, "a late nack with sender A's token is refused too") or diag($out);
is(psql($row_sql), $row_before, 'the refused nack changed nothing');

my ($undelivered_id, $undelivered_token) = split /\|/, psql(q{SELECT message_id, token FROM public.killed_claim
                                                          WHERE sender = 'killed-b' AND NOT delivered
                                                          ORDER BY message_id LIMIT 1}) =~ s/\n//r;
($ok, $out) = psql_try("SELECT dunning.ack($undelivered_id, '$undelivered_token')", $role);
ok(!$ok && $out =~ /token \Q$undelivered_token\E does not hold message $undelivered_id \(now sent\)/,
   "a late ack with sender B's token is refused the same way") or diag($out);

my ($own_id, $own_token) = split /\|/, psql(q{SELECT message_id, token FROM public.killed_claim
                                              WHERE sender = 'killed-a' AND acked ORDER BY message_id LIMIT 1}) =~ s/\n//r;
my $own_sql = "SELECT status, claimed_by, claim_token, attempts, finished_at FROM dunning.outbox WHERE message_id = $own_id";
my $own_before = psql($own_sql);
($ok, $out) = psql_try("SELECT dunning.ack($own_id, '$own_token')", $role);
ok($ok, "sender A's ack repeated for a message it acked itself is accepted (a retried call)") or diag($out);
is(psql($own_sql), $own_before, 'and changes nothing');

#------------------------------------------------------------------------------
# While another sender holds the message: "holds it under another claim".  One more
# customer, one more message; probe-1 claims it with a 1-second lease, the
# lease runs out, probe-2 claims it.
#------------------------------------------------------------------------------
psql(<<'SQL');
INSERT INTO dunning.customer (customer_id, name, email) VALUES ('LATE', 'Late customer', 'ap@late.example');
INSERT INTO dunning.entry (entry_id, customer_id, document_number, kind, document_date, due_date, amount, open_amount, currency)
VALUES ('ELATE', 'LATE', 'FA-LATE', 'invoice', '2026-05-01', '2026-06-10', 100, 100, 'EUR');
SELECT dunning.run_nightly('2026-06-30');
SQL
is(psql(q{SELECT customer_id || ' ' || status FROM dunning.outbox WHERE status <> 'sent'}), "LATE queued\n",
   'one more message queued');
my ($late_id, $token1, $expires1) = split /\|/,
    psql(q{SELECT message_id, token, lease_expires_at FROM dunning.claim('probe-1', 10, '1 second')}, $role) =~ s/\n//r;
ok(poll(30, sub { psql("SELECT clock_timestamp() > '$expires1'") eq "t\n" }), "probe-1's 1-second lease runs out");
my ($id2, $token2, $attempt2) = split /\|/,
    psql(q{SELECT message_id, token, attempt FROM dunning.claim('probe-2', 10, '5 minutes')}, $role) =~ s/\n//r;
is("$id2 $attempt2", "$late_id 2", 'probe-2 claims the message again, attempt 2');
isnt($token2, $token1, 'with a new token');
($ok, $out) = psql_try("SELECT dunning.ack($late_id, '$token1')", $role);
ok(!$ok, "probe-1's ack is refused while probe-2 holds the message");
like($out, qr/token \Q$token1\E does not hold message $late_id: sender probe-2 holds it under another claim/,
     'the refusal says the token does not hold the message, and who holds it');
is(psql("SELECT status || ' ' || claimed_by || ' ' || (claim_token = '$token2') FROM dunning.outbox WHERE message_id = $late_id"),
   "claimed probe-2 true\n", 'the message is still claimed by probe-2');
($ok, $out) = psql_try("SELECT dunning.ack($late_id, '$token2')", $role);
ok($ok, "probe-2's ack is accepted") or diag($out);
($ok, $out) = psql_try("SELECT dunning.ack($late_id, '$token1')", $role);
ok(!$ok && $out =~ /token \Q$token1\E does not hold message $late_id \(now sent\)/,
   "probe-1's ack is refused once the message is sent") or diag($out);

done_testing();
