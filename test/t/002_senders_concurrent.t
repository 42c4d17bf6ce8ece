#!/usr/bin/perl
#
# Sixteen senders at once: 20,000 messages queued by dunning.run_nightly()
# are claimed in batches of 50 and acknowledged by 16 concurrent sender
# connections, each logging every delivery before it acks.  Every message is
# delivered exactly once, by the token that acknowledged it, on its first
# attempt; none is left queued or claimed; several senders shared the work.
#
# The senders log in as a role that is only granted dunning_sender (and
# INSERT on the delivery log): that role is enough to claim and ack.
#
# Connection: PGHOST, PGPORT and PGUSER (a superuser), as test/check.sh sets.

use strict;
use warnings;
use File::Temp qw(tempdir);
use POSIX qw(WNOHANG _exit);
use Time::HiRes qw(time sleep);
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use DunningTest qw(run psql_in psql_error_in create_extension slurp drop_now_and_at_exit);

$ENV{PGOPTIONS} = '-c client_min_messages=warning';
my $db      = 'dunning_senders_' . $$;
my $role    = 'tap_sender_' . $$;          # LOGIN, cluster-wide: dropped at the end
my $dir     = tempdir(CLEANUP => 1);
my $SENDERS = 16;
my $BATCH   = 50;
my $MESSAGES = 20_000;
my $TIMEOUT = 300;                          # seconds for the whole sender run
my %children;                               # pid => sender name, while running

# SQL in this test's database as the superuser (or as $as): psql's output.
sub psql {
    my ($sql, $as) = @_;
    return psql_in($db, $sql, as => $as);
}

# SQL that must fail, as $as: its error output ('' if it succeeded).
sub psql_error {
    my ($sql, $as) = @_;
    return psql_error_in($db, $sql, as => $as);
}

# Starts psql in the background, output into $out; returns its pid.
sub spawn_psql {
    my ($name, $out, @args) = @_;
    my $pid = fork() // die "cannot fork: $!";
    if ($pid == 0) {
        open(STDIN, '<', '/dev/null') or _exit(127);
        open(STDOUT, '>', $out) or _exit(127);
        open(STDERR, '>&', \*STDOUT) or _exit(127);
        $ENV{PGAPPNAME} = $name;
        exec('psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $db, @args) or _exit(127);
    }
    $children{$pid} = $name;
    return $pid;
}

$SIG{INT} = $SIG{TERM} = sub { exit 1 };   # so that the database and the role are dropped

drop_now_and_at_exit(database => $db, role => $role, children => \%children);
run('createdb', $db);
ok(create_extension($db), 'CREATE EXTENSION') or BAIL_OUT('cannot create the extension');

# 20,000 customers with an email address, each owing one invoice due on
# 2026-06-10: R1 (email, 5 days after the due date) is due on 2026-06-30.
psql(<<"SQL");
INSERT INTO dunning.customer (customer_id, name, email)
SELECT 'C' || lpad(i::text, 6, '0'), 'Customer ' || i, 'ap.' || i || '\@customer.example'
FROM generate_series(1, $MESSAGES) AS i;
INSERT INTO dunning.entry (entry_id, customer_id, document_number, kind, document_date, due_date,
                           amount, open_amount, currency)
SELECT 'E' || lpad(i::text, 6, '0'), 'C' || lpad(i::text, 6, '0'), 'FA-' || i, 'invoice',
       date '2026-05-01', date '2026-06-10', 100 + i % 900, 100 + i % 900, 'EUR'
FROM generate_series(1, $MESSAGES) AS i;
UPDATE dunning.step SET auto_send = true WHERE media IN ('email', 'letter');
SQL
psql(q{SELECT dunning.run_nightly('2026-06-30')});
is(psql(q{SELECT media || ' ' || status || ' ' || count(*) FROM dunning.outbox GROUP BY media, status}),
   "email queued $MESSAGES\n", "run_nightly queued exactly $MESSAGES emails");

# The sender's login: dunning_sender, INSERT on the delivery log, nothing else.
psql(<<"SQL");
CREATE ROLE "$role" LOGIN IN ROLE dunning_sender;
CREATE TABLE public.delivery (
    message_id   bigint NOT NULL,
    token        uuid NOT NULL,
    sender       text NOT NULL,
    batch        integer NOT NULL,
    backend_pid  integer NOT NULL DEFAULT pg_backend_pid(),
    delivered_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
GRANT INSERT ON public.delivery TO "$role";
SQL
is(psql(qq{SELECT string_agg(b.rolname, ',' ORDER BY b.rolname) FROM pg_auth_members m
           JOIN pg_roles b ON b.oid = m.roleid JOIN pg_roles r ON r.oid = m.member
           WHERE r.rolname = '$role'}),
   "dunning_sender\n", 'the login role is a member of dunning_sender only');
like(psql_error('SELECT count(*) FROM dunning.outbox', $role), qr/permission denied for table outbox/,
     'the login role cannot read the outbox directly');
like(psql_error('SELECT count(*) FROM public.delivery', $role), qr/permission denied for table delivery/,
     'the login role cannot read the delivery log, only append to it');

# Claim a batch (commit), log each message as delivered (commit), ack each
# with its token (commit), until claim hands out nothing.
sub sender_sql {
    my ($name) = @_;
    return <<"SQL";
DO \$sender\$
DECLARE
    ids    bigint[];
    tokens uuid[];
    batch  integer := 0;
BEGIN
    LOOP
        SELECT array_agg(c.message_id ORDER BY c.message_id), array_agg(c.token ORDER BY c.message_id)
          INTO ids, tokens
          FROM dunning.claim('$name', $BATCH, '5 minutes') AS c;
        COMMIT;
        EXIT WHEN ids IS NULL;
        batch := batch + 1;
        INSERT INTO public.delivery (message_id, token, sender, batch)
        SELECT u.message_id, u.token, '$name', batch FROM unnest(ids, tokens) AS u (message_id, token);
        COMMIT;
        FOR i IN 1 .. array_length(ids, 1) LOOP
            PERFORM dunning.ack(ids[i], tokens[i]);
        END LOOP;
        COMMIT;
    END LOOP;
    RAISE WARNING 'sender $name: % batches', batch;
END
\$sender\$
SQL
}

my $start = time();
my %out;
for my $i (1 .. $SENDERS) {
    my $name = sprintf('sender-%02d', $i);
    $out{$name} = "$dir/$name.out";
    spawn_psql($name, $out{$name}, '-U', $role, '-c', sender_sql($name));
}
my %exit;
my $deadline = time() + $TIMEOUT;
while (%children) {
    my $pid = waitpid(-1, WNOHANG);
    if ($pid > 0) {
        $exit{ delete $children{$pid} } = $? if exists $children{$pid};
        next;
    }
    if (time() > $deadline) {
        diag("senders still running after ${TIMEOUT}s: " . join(', ', sort values %children));
        kill('KILL', $_) for keys %children;
        $exit{ delete $children{$_} } = -1 for keys %children;
        last;
    }
    sleep(0.05);
}
my $elapsed = time() - $start;
note(sprintf('%d senders delivered %d messages in %.1f s', $SENDERS, $MESSAGES, $elapsed));

my @failed = grep { $exit{$_} != 0 } sort keys %out;
is(scalar(@failed), 0, "all $SENDERS sender connections finished without an error")
    or diag(join('', map { "--- $_ (status $exit{$_}):\n" . slurp($out{$_}) } @failed));

# Every message delivered exactly once, by the token that acked it.
is(psql(q{SELECT count(*) || ' ' || count(DISTINCT message_id) FROM public.delivery}),
   "$MESSAGES $MESSAGES\n", "the log has $MESSAGES deliveries of $MESSAGES distinct messages");
is(psql(q{SELECT count(*) FROM (SELECT message_id FROM public.delivery GROUP BY message_id HAVING count(*) > 1) d}),
   "0\n", 'no message was delivered twice')
    or diag(psql(q{SELECT message_id, string_agg(sender || '/' || batch, ', ') FROM public.delivery
                   GROUP BY message_id HAVING count(*) > 1 ORDER BY message_id LIMIT 20}));
is(psql(q{SELECT count(*) FROM dunning.outbox o WHERE NOT EXISTS (SELECT FROM public.delivery d WHERE d.message_id = o.message_id)}),
   "0\n", 'every outbox message was delivered');
is(psql(q{SELECT status || ' ' || count(*) FROM dunning.outbox GROUP BY status ORDER BY status}),
   "sent $MESSAGES\n", 'every outbox message is sent: none queued, claimed, failed or dead')
    or diag(psql('SELECT * FROM dunning.outbox_status'));
is(psql(q{SELECT count(*) FROM dunning.outbox o JOIN public.delivery d USING (message_id)
          WHERE o.claim_token = d.token AND o.claimed_by = d.sender AND o.attempts = 1 AND o.finished_at IS NOT NULL}),
   "$MESSAGES\n", 'each message was acked by the token and sender that delivered it, on its first attempt');
is(psql(q{SELECT status || ' ' || count(*) FROM dunning.action GROUP BY status ORDER BY status}),
   "sent $MESSAGES\n", 'every action is sent');
is(psql(q{SELECT count(*) || ' ' || count(DISTINCT action_id) FROM dunning.action_event WHERE status = 'sent'}),
   "$MESSAGES $MESSAGES\n", 'one sent event per action');
is(psql('SELECT count(*) FROM dunning.claim($$late$$, 1000)', $role), "0\n", 'nothing is left to claim');

# The work was shared: batches of 50 went to several senders at once.
my $per_sender = psql(q{SELECT sender || ' ' || count(*) || ' ' || count(DISTINCT batch) FROM public.delivery
                        GROUP BY sender ORDER BY sender});
my $senders = () = $per_sender =~ /\n/g;
cmp_ok($senders, '>', 1, 'more than one sender delivered messages') or diag($per_sender);
note("deliveries and batches per sender:\n$per_sender");
is(psql(q{SELECT count(*) FROM (SELECT sender, batch FROM public.delivery GROUP BY sender, batch HAVING count(*) > 50) b}),
   "0\n", 'no batch was larger than 50');
cmp_ok(psql(q{WITH span AS (SELECT sender, min(delivered_at) AS first, max(delivered_at) AS last
                          FROM public.delivery GROUP BY sender)
              SELECT count(*) FROM span a JOIN span b ON a.sender < b.sender
              WHERE a.first < b.last AND b.first < a.last}) + 0, '>', 0,
       'senders delivered at the same time (their first-to-last delivery spans overlap)');

done_testing();
