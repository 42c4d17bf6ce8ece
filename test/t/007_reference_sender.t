#!/usr/bin/perl
#
# The reference sender (sender/dunning-sender) against a real SMTP server on
# loopback (aiosmtpd, Debian's python3-aiosmtpd, with a small handler that
# writes each message it accepts to a file and refuses one recipient):
#
#   1. A nightly run queues emails (French and English, so encoded subjects
#      and quoted-printable bodies) and letters.  The sender, run with
#      DUNNING_ONCE=1 as a role granted dunning_sender only, delivers every
#      email exactly once, with the outbox's recipient, subject and body and
#      a Message-ID made of message_id, writes every letter as an HTML file,
#      and acks everything.
#   2. With settings.max_attempts = 2 and DUNNING_RETRY_IN = 0, an address
#      the server refuses (550 on RCPT) ends failed, then dead, the server's
#      reply in last_error; the other messages are delivered.
#   3. The sender runs as a service: it connects again after its backend is
#      terminated; a nightly run's NOTIFY wakes it long before its idle
#      wait; customers with invalid addresses ('not-an-address', an address
#      with a line break in it) get a nack each, and the sender goes on; an
#      email whose body is an HTML document goes as text/html; SIGTERM stops
#      it promptly with exit code 0.
#   4. SIGTERM in the middle of a delivery (a server that waits 1 s before
#      it answers DATA): that email is finished and acked, the rest of the
#      batch given back with a nack, claimable at once; exit code 0.
#   5. The SMTP server dies in the middle of a batch: that email is nacked
#      with the error, the other emails of the batch untried, the letter
#      written; nothing more is claimed; exit code 1 (DUNNING_ONCE).
#   6. An incomplete or invalid configuration, or a role without
#      dunning_sender: exit code 2, naming the variable (or the GRANT).
#
# Connection: PGHOST, PGPORT and PGUSER (a superuser), as test/check.sh sets.

use strict;
use warnings;
use Encode qw(decode);
use File::Temp qw(tempdir);
use FindBin;
use lib "$FindBin::Bin/../lib";
use IO::Socket::INET;
use JSON::PP;
use MIME::QuotedPrint qw(decode_qp);
use POSIX qw(WNOHANG WIFEXITED WEXITSTATUS _exit);
use Time::HiRes qw(time sleep);
use Test::More;
use DunningTest qw(run psql_in create_extension slurp poll_every drop_now_and_at_exit);

$ENV{PGOPTIONS} = '-c client_min_messages=warning';
my $root     = "$FindBin::Bin/../..";
my $sender   = "$root/sender/dunning-sender";
my $db       = 'dunning_refsender_' . $$;
my $role     = 'tap_refsender_' . $$;       # LOGIN, cluster-wide: dropped at the end
my $dir      = tempdir(CLEANUP => !$ENV{TAP_KEEP_TMP});
my $maildir  = "$dir/mail";                 # one file per accepted message
my $letters  = "$dir/letters";
my $FROM     = 'Accounts receivable <ar@billing.example>';
my $REFUSED  = 'refused@customer.example';
my %children;                               # pid => name, while running
my $json     = JSON::PP->new->utf8;
mkdir($_) or die "mkdir $_: $!" for $maildir, $letters;
chmod(0777, $letters);                      # the sender may run as another user than the test

# SQL in this test's database as the superuser: psql's output.
sub psql {
    my ($sql) = @_;
    return psql_in($db, $sql);
}

# Runs a query returning one json value, decoded.
sub psql_json {
    my ($sql) = @_;
    return $json->decode(psql($sql));
}

# Waits for a child; returns its wait status, or undef after $timeout seconds.
sub wait_child {
    my ($pid, $timeout) = @_;
    my $deadline = time() + $timeout;
    while (1) {
        if (waitpid($pid, WNOHANG) == $pid) {
            delete $children{$pid};
            return $?;
        }
        return undef if time() >= $deadline;
        sleep(0.02);
    }
}

# Polls $cond every 0.05 s until it returns true or $timeout seconds pass.
sub poll {
    my ($timeout, $cond) = @_;
    return poll_every(0.05, $timeout, $cond);
}

# Starts a program in the background with extra environment, stdout and
# stderr into $log; returns its pid.
sub spawn {
    my ($name, $log, $env, @cmd) = @_;
    my $pid = fork() // die "cannot fork: $!";
    if ($pid == 0) {
        open(STDIN, '<', '/dev/null') or _exit(127);
        open(STDOUT, '>>', $log) or _exit(127);
        open(STDERR, '>&', \*STDOUT) or _exit(127);
        while (my ($k, $v) = each %$env) {
            if (defined $v) { $ENV{$k} = $v } else { delete $ENV{$k} }
        }
        exec(@cmd) or _exit(127);
    }
    $children{$pid} = $name;
    return $pid;
}

$SIG{INT} = $SIG{TERM} = sub { exit 1 };   # so that the database and the role are dropped
$SIG{PIPE} = 'IGNORE';

#------------------------------------------------------------------------------
# The sender's binary, and the SMTP server.
#------------------------------------------------------------------------------
# Drops what a killed run of this test left behind; ours at exit.
drop_now_and_at_exit(database => $db, role => $role, children => \%children);

# make is a no-op when the binary is up to date; its output goes to stderr,
# not into the TAP stream.
ok(system('sh', '-c', 'make -s -C "$1" >&2', 'sh', "$root/sender") == 0 && -x $sender,
   'make -C sender builds sender/dunning-sender')
    or do { diag('needs libpq-dev and libcurl4-openssl-dev'); done_testing(); exit 1 };

# Debian's python3-aiosmtpd is for /usr/bin/python3, which may not be the
# first python3 on PATH.
my ($python) = grep { system("$_ -c 'import aiosmtpd' >/dev/null 2>&1") == 0 } '/usr/bin/python3', 'python3';
ok($python, 'a python3 with the aiosmtpd module: ' . ($python // 'none'))
    or do { diag('apt-get install python3-aiosmtpd'); done_testing(); exit 1 };

# The handler: refuses RCPT for the addresses given after the folder, and
# writes each accepted message as "MAIL FROM: ...", "RCPT TO: ..." lines, an
# empty line and the message as received, to a file renamed into place
# before it answers 250.
open(my $py, '>', "$dir/tapsmtp.py") or die "$dir/tapsmtp.py: $!";
print $py <<'PY';
import asyncio
import itertools
import os

DELAY = float(os.environ.get('TAPSMTP_DELAY', '0'))   # seconds before answering DATA


class Handler:
    def __init__(self, folder, refused):
        self.folder = folder
        self.refused = {a.lower() for a in refused}
        self.serial = itertools.count(1)

    @classmethod
    def from_cli(cls, parser, *args):
        return cls(args[0], args[1:])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refused:
            return '550 5.1.1 <%s>: Recipient address rejected: test refusal' % address
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        name = '%d-%06d.eml' % (os.getpid(), next(self.serial))
        if DELAY:
            open(os.path.join(self.folder, '.receiving-' + name), 'w').close()
            await asyncio.sleep(DELAY)
        tmp = os.path.join(self.folder, '.' + name)
        with open(tmp, 'wb') as f:
            f.write(('MAIL FROM: %s\n' % envelope.mail_from).encode())
            for rcpt in envelope.rcpt_tos:
                f.write(('RCPT TO: %s\n' % rcpt).encode())
            f.write(b'\n')
            f.write(envelope.original_content)
        os.rename(tmp, os.path.join(self.folder, name))
        return '250 2.0.0 Ok: queued as %s' % name
PY
close($py);

# Starts aiosmtpd on a free loopback port (probed, then bound by the server:
# another program may take it in between, so try a few); returns its pid and
# port.
sub start_smtp {
    my ($name, $folder, $delay, @refused) = @_;
    for my $try (1 .. 5) {
        my $probe = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp', Listen => 1)
            or die "cannot bind a loopback port: $!";
        my $port = $probe->sockport;
        close($probe);
        my $pid = spawn($name, "$dir/$name.log", { PYTHONPATH => $dir, TAPSMTP_DELAY => $delay },
                        $python, '-m', 'aiosmtpd', '-n', '-l', "127.0.0.1:$port",
                        '-c', 'tapsmtp.Handler', $folder, @refused);
        poll(15, sub { IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
                       || defined wait_child($pid, 0) });
        return ($pid, $port) if exists $children{$pid}
            && IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp');
        kill('KILL', $pid);
        wait_child($pid, 5);
        note("$name did not start on port $port (try $try): " . slurp("$dir/$name.log"));
    }
    return;
}
my ($smtp_pid, $smtp_port) = start_smtp('smtp', $maildir, 0, $REFUSED);
ok($smtp_pid, "aiosmtpd listens on 127.0.0.1:$smtp_port")
    or do { diag('no SMTP server: ' . slurp("$dir/smtp.log")); done_testing(); exit 1 };

# The environment of a sender run: the sender's role, and nothing of ours.
sub sender_env {
    my (%extra) = @_;
    return {
        PGUSER => $role, PGDATABASE => $db, PGOPTIONS => undef, DUNNING_SENDER_DSN => undef,
        DUNNING_SENDER_NAME => 'tap-sender', DUNNING_SMTP_URL => "smtp://127.0.0.1:$smtp_port",
        DUNNING_SMTP_FROM => $FROM, DUNNING_LETTER_DIR => $letters, DUNNING_SMTP_TLS => 'off',
        DUNNING_SMTP_TIMEOUT => 10, DUNNING_BATCH => 7, DUNNING_LEASE => '1 minute',
        DUNNING_RETRY_IN => '1 hour', DUNNING_IDLE_WAIT => 30, DUNNING_ONCE => undef,
        %extra,
    };
}

# Runs the sender to completion; returns (wait status or undef on timeout, log).
my $runs = 0;
sub run_sender {
    my ($timeout, %extra) = @_;
    my $log = "$dir/sender-" . ++$runs . '.log';
    my $pid = spawn("sender-$runs", $log, sender_env(%extra), $sender);
    my $status = wait_child($pid, $timeout);
    if (!defined $status) {
        kill('KILL', $pid);
        wait_child($pid, 5);
    }
    return ($status, slurp($log));
}

# The received messages, parsed: envelope, headers (unfolded, by lower-case
# name; Subject decoded), body decoded into characters with \n line ends.
my %seen_file;
sub new_mail {
    my @mail;
    opendir(my $dh, $maildir) or die "$maildir: $!";
    for my $f (sort grep { /\.eml$/ && !$seen_file{$_} } readdir($dh)) {
        $seen_file{$f} = 1;
        my $raw = slurp("$maildir/$f");
        my ($envelope, $message) = split(/\n\n/, $raw, 2);
        my ($head, $body) = split(/\r\n\r\n/, $message, 2);
        my %m = (file => $f, raw => $message, rcpt => [], header => {});
        for (split /\n/, $envelope) {
            $m{from} = $1 if /^MAIL FROM: (.*)$/;
            push @{ $m{rcpt} }, $1 if /^RCPT TO: (.*)$/;
        }
        $head =~ s/\r\n[ \t]+/ /g;
        for (split /\r\n/, $head) {
            my ($k, $v) = /^([^:]+):\s*(.*)$/ or next;
            push @{ $m{header}{lc $k} }, $v;
        }
        my $cte = lc($m{header}{'content-transfer-encoding'}[0] // '7bit');
        $body = decode_qp($body) if $cte eq 'quoted-printable';
        $body = decode('UTF-8', $body);
        $body =~ s/\r\n/\n/g;
        $m{body} = $body;
        $m{subject} = decode('MIME-Header', $m{header}{subject}[0] // '');
        push @mail, \%m;
    }
    closedir($dh);
    return @mail;
}

# What the outbox says should have arrived, by message_id.
sub outbox_rows {
    my ($where) = @_;
    my $rows = psql_json(qq{SELECT coalesce(json_agg(json_build_object(
        'message_id', message_id, 'customer_id', customer_id, 'media', media, 'recipient', recipient,
        'subject', subject, 'body', body, 'status', status, 'attempts', attempts, 'last_error', last_error,
        'customer_name', payload->>'customer_name', 'claimed_by', claimed_by) ORDER BY message_id), '[]')
        FROM dunning.outbox WHERE $where});
    return { map { $_->{message_id} => $_ } @$rows };
}

# Checks the received mail against the outbox emails, exactly once each.
sub check_mail {
    my ($label, $expected, @mail) = @_;
    my (%by_id, @problems);
    for my $m (@mail) {
        my ($id) = ($m->{header}{'message-id'}[0] // '') =~ /^<dunning-(\d+)\@billing\.example>$/
            or push(@problems, "$m->{file}: Message-ID " . ($m->{header}{'message-id'}[0] // 'missing')), next;
        push @{ $by_id{$id} }, $m;
    }
    for my $id (sort { $a <=> $b } keys %by_id) {
        push @problems, "message $id arrived " . scalar(@{ $by_id{$id} }) . ' times' if @{ $by_id{$id} } > 1;
        push @problems, "message $id arrived but is not expected" unless $expected->{$id};
    }
    for my $id (sort { $a <=> $b } keys %$expected) {
        my $o = $expected->{$id};
        my $m = $by_id{$id} ? $by_id{$id}[0] : undef;
        if (!$m) { push @problems, "message $id to $o->{recipient} did not arrive"; next }
        my $h = $m->{header};
        my $body = $o->{body};
        $body .= "\n" unless $body =~ /\n\z/;
        my $html = $o->{body} =~ /^\s*(<!DOCTYPE html|<html)/i;
        my %want = (
            'envelope sender'    => [$m->{from}, 'ar@billing.example'],
            'envelope recipient' => [join(',', @{ $m->{rcpt} }), $o->{recipient}],
            'To address'         => [($h->{to}[0] // '') =~ /<([^>]*)>$/ ? $1 : '', $o->{recipient}],
            'To name'            => [decode('MIME-Header', ($h->{to}[0] // '') =~ s/\s*<[^>]*>$//r) =~ s/^"(.*)"$/$1/r =~ s/\\(.)/$1/gr,
                                     $o->{customer_name}],
            'From'               => [$h->{from}[0], '"Accounts receivable" <ar@billing.example>'],
            'Subject'            => [$m->{subject}, $o->{subject}],
            'body'               => [$m->{body}, $body],
            'Content-Type'       => [$h->{'content-type'}[0], ($html ? 'text/html' : 'text/plain') . '; charset=UTF-8'],
            'MIME-Version'       => [$h->{'mime-version'}[0], '1.0'],
            'X-Dunning-Message-Id' => [$h->{'x-dunning-message-id'}[0], $id],
        );
        for my $k (sort keys %want) {
            my ($got, $exp) = map { $_ // '(none)' } @{ $want{$k} };
            push @problems, "message $id: $k is '$got', expected '$exp'" if $got ne $exp;
        }
        push @problems, "message $id: no Date header" unless ($h->{date}[0] // '') =~ /^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [-+]\d{4}$/;
        push @problems, "message $id: a header line longer than 998" if grep { length > 998 } split /\r\n/, $m->{raw};
        push @problems, "message $id: 8-bit bytes in a 7-bit message" if $m->{raw} =~ /[^\x00-\x7f]/;
    }
    is(scalar(@problems), 0, $label) or diag(join("\n", @problems[0 .. ($#problems < 30 ? $#problems : 29)]));
}

sub html_escape {
    my ($t) = @_;
    $t =~ s/&/&amp;/g; $t =~ s/</&lt;/g; $t =~ s/>/&gt;/g; $t =~ s/"/&quot;/g;
    return $t;
}

# Checks the letter files against the outbox letters.
sub check_letters {
    my ($label, $expected) = @_;
    my @problems;
    opendir(my $dh, $letters) or die "$letters: $!";
    my @files = sort grep { !/^\.\.?$/ } readdir($dh);
    closedir($dh);
    my %want = map { ("$_-$expected->{$_}{customer_id}.html" => $expected->{$_}) } keys %$expected;
    push @problems, "unexpected file $_" for grep { !$want{$_} } @files;
    for my $f (sort keys %want) {
        my $o = $want{$f};
        if (!-f "$letters/$f") { push @problems, "$f is missing"; next }
        my $got = decode('UTF-8', slurp("$letters/$f"));
        my $exp = $o->{body} =~ /^\s*(<!DOCTYPE html|<html)/i ? $o->{body}
            : '<!DOCTYPE html><html><head><meta charset="utf-8">'
              . qq{<meta name="dunning-message-id" content="$o->{message_id}"><title>}
              . html_escape($o->{customer_name} // $o->{recipient})
              . '</title><style>@page{size:A4;margin:2cm}'
              . '.letter{page-break-after:always;white-space:pre-wrap;font-family:serif}</style>'
              . '</head><body><div class="letter"><h1>' . html_escape($o->{subject} // '') . '</h1>'
              . html_escape($o->{body}) . "</div></body></html>\n";
        push @problems, "$f differs:\n--- got\n$got\n--- expected\n$exp" if $got ne $exp;
    }
    is(scalar(@problems), 0, $label) or diag(join("\n", @problems));
}

#------------------------------------------------------------------------------
# The database, the ledger and the sender's role.
#------------------------------------------------------------------------------
run('createdb', $db);
ok(create_extension($db), 'CREATE EXTENSION') or do { done_testing(); exit 1 };

# Customers $from .. $to, each owing one invoice due on 2026-06-10: R1 on
# 2026-06-30, by email for those with an address, by letter for the others.
sub add_customers {
    my ($from, $to, $email_sql) = @_;
    psql(<<"SQL");
INSERT INTO dunning.customer (customer_id, name, email, language)
SELECT 'C' || lpad(i::text, 3, '0'),
       CASE WHEN i % 5 = 0 THEN 'Café "Les Amis" & Fils ' || i ELSE 'Customer ' || i END,
       $email_sql, CASE WHEN i % 2 = 0 THEN 'en' ELSE 'fr' END
FROM generate_series($from, $to) AS i;
INSERT INTO dunning.entry (entry_id, customer_id, document_number, kind, document_date, due_date,
                           amount, open_amount, currency)
SELECT 'E' || lpad(i::text, 3, '0'), 'C' || lpad(i::text, 3, '0'), 'FA-' || i, 'invoice',
       date '2026-05-01', date '2026-06-10', 100 + i, 100 + i, 'EUR'
FROM generate_series($from, $to) AS i;
SQL
}

my $EMAILS  = 30;
my $LETTERS = 5;
add_customers(1, $EMAILS, q{'ap.' || i || '@customer.example'});
add_customers($EMAILS + 1, $EMAILS + $LETTERS, 'NULL');
psql(<<"SQL");
UPDATE dunning.step SET auto_send = true WHERE media IN ('email', 'letter');
CREATE ROLE "$role" LOGIN IN ROLE dunning_sender;
SELECT dunning.run_nightly('2026-06-30');
SQL
is(psql(q{SELECT string_agg(media || ' ' || status || ' ' || n, ', ' ORDER BY media)
          FROM (SELECT media, status, count(*) AS n FROM dunning.outbox GROUP BY 1, 2) s}),
   "email queued $EMAILS, letter queued $LETTERS\n", "run_nightly queued $EMAILS emails and $LETTERS letters");
ok(psql(q{SELECT count(*) FROM dunning.outbox WHERE subject ~ '[^\x01-\x7f]'}) > 0,
   'some subjects are not ASCII (French): they go as encoded words');

#------------------------------------------------------------------------------
# 1. Everything delivered, exactly once, as the outbox says.
#------------------------------------------------------------------------------
my $t0 = time();
my ($status, $log) = run_sender(60, DUNNING_ONCE => 1);
ok(defined $status && WIFEXITED($status) && WEXITSTATUS($status) == 0, 'DUNNING_ONCE: the sender drains the outbox and exits 0')
    or diag('status ' . ($status // 'none (killed after 60 s)') . "\n$log");
note(sprintf('%d emails and %d letters in %.2f s', $EMAILS, $LETTERS, time() - $t0));
my $expected = outbox_rows(q{media = 'email'});
check_mail("all $EMAILS emails arrived once each, with the outbox's recipient, subject and body", $expected, new_mail());
check_letters("all $LETTERS letters are written as HTML files with the outbox's text", outbox_rows(q{media = 'letter'}));
is(psql(q{SELECT string_agg(status || ' ' || attempts || ' ' || claimed_by || ' ' || n, ', ')
          FROM (SELECT status, attempts, claimed_by, count(*) AS n FROM dunning.outbox GROUP BY 1, 2, 3) s}),
   'sent 1 tap-sender ' . ($EMAILS + $LETTERS) . "\n", 'every message is sent, on its first attempt, by tap-sender');
is(scalar(() = $log =~ /^\S+ dunning-sender\[\d+\]: message \d+ (email|letter) .*: sent$/mg), $EMAILS + $LETTERS,
   'the sender logs one line per message')
    or diag($log);
my @parts = (new_mail(), new_mail());
is(scalar(@parts), 0, 'no other mail arrived');

#------------------------------------------------------------------------------
# 2. A refused recipient: failed, then dead after settings.max_attempts.
#------------------------------------------------------------------------------
add_customers(101, 105, q{CASE WHEN i = 101 THEN '} . $REFUSED . q{' ELSE 'ap.' || i || '@customer.example' END});
psql(q{UPDATE dunning.settings SET max_attempts = 2; SELECT dunning.run_nightly('2026-06-30')});
my $refused_id = psql(qq{SELECT message_id FROM dunning.outbox WHERE recipient = '$REFUSED'}) =~ s/\n//r;
ok($refused_id, "the nightly run queued a message to $REFUSED");
($status, $log) = run_sender(60, DUNNING_ONCE => 1, DUNNING_RETRY_IN => '0');
ok(defined $status && WIFEXITED($status) && WEXITSTATUS($status) == 0, 'the sender exits 0 after the refusals')
    or diag('status ' . ($status // 'none') . "\n$log");
my $refused = outbox_rows("message_id = $refused_id")->{$refused_id};
is("$refused->{status} $refused->{attempts}", 'dead 2', 'the refused message is dead after 2 attempts');
like($refused->{last_error} // '', qr/^SMTP: .*550.* server replied 550 5\.1\.1 <\Q$REFUSED\E>: Recipient address rejected: test refusal$/,
     "last_error has the server's refusal") or diag($refused->{last_error});
my @history = split /\n/, psql(qq{SELECT e.note FROM dunning.action_event e JOIN dunning.outbox o USING (action_id)
                                WHERE o.message_id = $refused_id AND e.status = 'failed' ORDER BY e.at});
ok(@history == 2 && $history[0] =~ /^attempt 1 of 2 by sender tap-sender: SMTP: .*550.*test refusal$/
   && $history[1] =~ /^attempt 2 of 2 by sender tap-sender: SMTP: .*550.*test refusal \(dead: no more attempts\)$/,
   'the history has the failed attempt, then the dead one') or diag(join("\n", @history));
like($log, qr/message $refused_id email to \Q$REFUSED\E \(customer C101, action \d+, attempt 1\): not delivered, failed, retried in 0: SMTP: .*550/,
     'the sender logs the first refusal as failed');
like($log, qr/message $refused_id email to \Q$REFUSED\E \(customer C101, action \d+, attempt 2\): not delivered, dead \(no attempt left\): SMTP: .*550/,
     'and the second as dead');
$expected = outbox_rows(q{customer_id BETWEEN 'C102' AND 'C105'});
is(scalar(keys %$expected), 4, 'four other messages were queued with it');
check_mail('the other four arrived once each, as the outbox says', $expected, new_mail());
is(psql(q{SELECT string_agg(DISTINCT status, ',') FROM dunning.outbox WHERE customer_id BETWEEN 'C102' AND 'C105'}),
   "sent\n", 'and are sent');

#------------------------------------------------------------------------------
# 3. As a service: NOTIFY wakes it, invalid addresses are nacked, SIGTERM.
#------------------------------------------------------------------------------
psql(q{UPDATE dunning.settings SET max_attempts = 5});
my $service_log = "$dir/service.log";
my $service = spawn('service', $service_log, sender_env(DUNNING_IDLE_WAIT => 600, PGAPPNAME => 'tap-service'), $sender);
# Its backend, idle after a claim (the backends of the runs before may still
# be exiting: they are told apart by application_name).
my $idle_backend = sub {
    psql(q{SELECT string_agg(pid::text, ',') FROM pg_stat_activity WHERE application_name = 'tap-service'
           AND datname = current_database() AND state = 'idle' AND query LIKE '%dunning.claim(%'}) =~ s/\n//r;
};
my $backend = '';
ok(poll(20, sub { ($backend = $idle_backend->()) =~ /^\d+$/ }),
   'the service connects, claims nothing and waits on LISTEN dunning_outbox')
    or diag(slurp($service_log));
is($backend =~ /^\d+$/ ? psql("SELECT pg_terminate_backend($backend)") : "no backend\n", "t\n",
   "the service's backend is terminated (pg_terminate_backend)");
ok(poll(20, sub { my $p = $idle_backend->(); $p =~ /^\d+$/ && $p ne $backend }),
   'the service connects again, claims, and waits on LISTEN again')
    or diag(slurp($service_log));
like(slurp($service_log), qr/database: FATAL: terminating connection due to administrator command\n.*the database connection is lost: .*\n.*connected to the database again\n/,
     'it logs the lost connection and the new one') or diag(slurp($service_log));
sleep(0.3);   # let it be in poll(), past its first empty claim
add_customers(201, 204, q{CASE i WHEN 201 THEN 'not-an-address' WHEN 202 THEN E'evil@example.com\r\nBcc: x@example.com'
                                 ELSE 'ap.' || i || '@customer.example' END});
# English emails from now on have an HTML body: they go as text/html.
psql(q{UPDATE dunning.template SET body = '<!DOCTYPE html><html><body><p>' || repeat('A long line. ', 100)
       || '</p><pre>' || body || '</pre></body></html>' WHERE media = 'email' AND language = 'en'});
$t0 = time();
psql(q{SELECT dunning.run_nightly('2026-06-30')});
my $settled = sub { psql(q{SELECT count(*) FROM dunning.outbox WHERE customer_id BETWEEN 'C201' AND 'C204'
                            AND status IN ('sent', 'failed')}) eq "4\n" };
ok(poll(20, $settled), 'NOTIFY dunning_outbox wakes the service: the new messages are reported long before its idle wait (600 s)')
    or diag(slurp($service_log));
note(sprintf('woken and done in %.2f s', time() - $t0));
my $invalid = outbox_rows(q{customer_id IN ('C201', 'C202')});
is(join(' | ', map { "$_->{status} $_->{attempts} " . ($_->{last_error} // '') } @{$invalid}{sort { $a <=> $b } keys %$invalid}),
   'failed 1 not an email address (no @) | failed 1 not an email address (it contains a line break)',
   'the invalid addresses are nacked with the reason, to be retried');
ok(!defined wait_child($service, 0), 'the service is still running after the invalid addresses');
my @mail = new_mail();
check_mail('the two valid ones arrived, once each', outbox_rows(q{customer_id IN ('C203', 'C204')}), @mail);
is(join(' ', map { "$_->{rcpt}[0]: $_->{header}{'content-type'}[0]" } sort { $a->{rcpt}[0] cmp $b->{rcpt}[0] } @mail),
   'ap.203@customer.example: text/plain; charset=UTF-8 ap.204@customer.example: text/html; charset=UTF-8',
   'the French one as text/plain, the English one, whose body is an HTML document, as text/html');
like(slurp($service_log), qr/message \d+ email to evil\@example\.com\\r\\nBcc: x\@example\.com \(customer C202, action \d+, attempt 1\): not delivered, failed, retried in 1 hour: not an email address \(it contains a line break\)$/m,
     'the log line shows the address escaped, on one line');

$t0 = time();
kill('TERM', $service);
$status = wait_child($service, 10);
my $stopped_in = time() - $t0;
ok(defined $status && WIFEXITED($status) && WEXITSTATUS($status) == 0, 'SIGTERM: the service exits 0')
    or diag('status ' . ($status // 'none (still running after 10 s)') . "\n" . slurp($service_log));
cmp_ok($stopped_in, '<', 2, sprintf('promptly (%.2f s)', $stopped_in));
like(slurp($service_log), qr/stopped by SIGTERM\n.*: 2 sent, 2 failed, 0 dead, 0 refused reports, 0 given back; exiting with 0\n\z/,
     'it logs why it stopped and what it did');
ok(poll(10, sub { psql(q{SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tap-service'
                             AND datname = current_database()}) eq "0\n" }),
   'its connection is closed');

#------------------------------------------------------------------------------
# 4. SIGTERM in the middle of a batch: the email being sent is finished and
# acknowledged; the rest of the batch is not started, and given back at once.
#------------------------------------------------------------------------------
my $slowdir = "$dir/slowmail";
mkdir($slowdir) or die "mkdir $slowdir: $!";
my ($slow_pid, $slow_port) = start_smtp('slow-smtp', $slowdir, 1);
ok($slow_pid, "a slow aiosmtpd (1 s before it answers DATA) listens on 127.0.0.1:$slow_port");
add_customers(301, 304, q{'ap.' || i || '@customer.example'});
psql(q{SELECT dunning.run_nightly('2026-06-30')});
my $busy_log = "$dir/busy.log";
my $busy = spawn('busy', $busy_log, sender_env(DUNNING_SMTP_URL => "smtp://127.0.0.1:$slow_port",
                                               DUNNING_SENDER_NAME => 'tap-busy'), $sender);
ok(poll(20, sub { opendir(my $dh, $slowdir) or return 0; scalar grep { /^\.receiving-/ } readdir($dh) }),
   'the sender claims the four and is in the middle of the first one')
    or diag(slurp($busy_log));
$t0 = time();
kill('TERM', $busy);
$status = wait_child($busy, 10);
$stopped_in = time() - $t0;
ok(defined $status && WIFEXITED($status) && WEXITSTATUS($status) == 0,
   sprintf('SIGTERM during a delivery: exit 0 after %.2f s', $stopped_in))
    or diag('status ' . ($status // 'none (still running after 10 s)') . "\n" . slurp($busy_log));
my $batch = outbox_rows(q{customer_id BETWEEN 'C301' AND 'C304'});
is(join(' ', map { "$_->{status}/$_->{attempts}" } @{$batch}{sort { $a <=> $b } keys %$batch}),
   'sent/1 failed/1 failed/1 failed/1',
   'the email being sent was finished and acknowledged, the next three were not started');
is(psql(q{SELECT string_agg(DISTINCT last_error, ', ') || ' ' || bool_and(available_at <= now())
          FROM dunning.outbox WHERE customer_id BETWEEN 'C301' AND 'C304' AND status = 'failed'}),
   "not delivered: the sender stopped before delivering it true\n",
   'they were given back with a nack, claimable again at once');
opendir(my $slow_dh, $slowdir) or die "$slowdir: $!";
is(scalar(grep { /^\d.*\.eml$/ } readdir($slow_dh)), 1, 'one email reached the slow server');
closedir($slow_dh);

#------------------------------------------------------------------------------
# 5. The SMTP server dies in the middle of a batch: the email being sent is
# nacked with the error, the other emails of the batch are nacked untried,
# letters still go; then nothing is claimed while the server does not answer
# (each claim would cost its messages an attempt): with DUNNING_ONCE the
# sender exits 1, although DUNNING_RETRY_IN = 0 makes the emails claimable.
#------------------------------------------------------------------------------
add_customers(401, 404, q{CASE WHEN i < 404 THEN 'ap.' || i || '@customer.example' END});
psql(q{SELECT dunning.run_nightly('2026-06-30')});
unlink(glob("$slowdir/.receiving-*"));
my $outage_log = "$dir/outage.log";
my $outage = spawn('outage', $outage_log, sender_env(DUNNING_SMTP_URL => "smtp://127.0.0.1:$slow_port",
                                                     DUNNING_SENDER_NAME => 'tap-outage', DUNNING_ONCE => 1,
                                                     DUNNING_RETRY_IN => '0'), $sender);
ok(poll(20, sub { opendir(my $dh, $slowdir) or return 0; scalar grep { /^\.receiving-/ } readdir($dh) }),
   'the sender claims the three given back and four new messages, and is in the middle of the first email')
    or diag(slurp($outage_log));
kill('KILL', $slow_pid);
wait_child($slow_pid, 5);
$status = wait_child($outage, 20);
ok(defined $status && WIFEXITED($status) && WEXITSTATUS($status) == 1,
   'the SMTP server is killed: the sender exits 1 (DUNNING_ONCE, no SMTP server)')
    or diag('status ' . ($status // 'none (still running after 20 s)') . "\n" . slurp($outage_log));
is(psql(q{SELECT string_agg(media || ' ' || status || ' ' || attempts || ' ' ||
                            CASE WHEN last_error IS NULL THEN '-'
                                 WHEN last_error ~ '^not tried: the SMTP server failed on an earlier email \(SMTP: ' THEN 'untried'
                                 WHEN last_error ~ '^SMTP: ' THEN 'smtp-error' ELSE last_error END || ' ' || n, ', '
                            ORDER BY media, status, attempts, n)
          FROM (SELECT media, status, attempts, last_error ~ '^SMTP: ' AS tried, min(last_error) AS last_error, count(*) AS n
                FROM dunning.outbox WHERE claimed_by = 'tap-outage' GROUP BY 1, 2, 3, 4) s}),
   "email failed 1 untried 3, email failed 2 smtp-error 1, email failed 2 untried 2, letter sent 1 - 1\n",
   'one email nacked with the SMTP error, the six others untried, each claimed once more only; the letter sent')
    or diag(slurp($outage_log));
like(slurp($outage_log), qr/the SMTP server failed \(SMTP: .*\): the other emails of this batch are given back untried/,
     'the sender logs the failed server');
like(slurp($outage_log), qr/the SMTP server is unavailable \(SMTP: .*\): claiming nothing\n/,
     'and does not claim again while it does not answer');

#------------------------------------------------------------------------------
# 6. An incomplete configuration: exit code 2, naming what is missing.
#------------------------------------------------------------------------------
($status, $log) = run_sender(10, DUNNING_ONCE => 1, DUNNING_SMTP_URL => undef);
ok(defined $status && WIFEXITED($status) && WEXITSTATUS($status) == 2, 'without DUNNING_SMTP_URL the sender exits 2')
    or diag('status ' . ($status // 'none') . "\n$log");
like($log, qr/not starting:\n  DUNNING_SMTP_URL is not set/, 'naming DUNNING_SMTP_URL');
($status, $log) = run_sender(10, DUNNING_ONCE => 1, DUNNING_SMTP_FROM => undef, DUNNING_LETTER_DIR => "$dir/nowhere");
ok(defined $status && WIFEXITED($status) && WEXITSTATUS($status) == 2
   && $log =~ /DUNNING_SMTP_FROM is not set/ && $log =~ m{DUNNING_LETTER_DIR \Q$dir\E/nowhere does not exist},
   'without DUNNING_SMTP_FROM and with a missing letter folder it exits 2, naming both')
    or diag('status ' . ($status // 'none') . "\n$log");
($status, $log) = run_sender(10, DUNNING_ONCE => 1, DUNNING_LEASE => 'five minutes');
ok(defined $status && WIFEXITED($status) && WEXITSTATUS($status) == 2 && $log =~ /DUNNING_LEASE is "five minutes": not an interval/,
   'an invalid DUNNING_LEASE: exit 2, named')
    or diag('status ' . ($status // 'none') . "\n$log");
($status, $log) = run_sender(10, DUNNING_ONCE => 1, PGUSER => 'postgres', PGOPTIONS => '-c role=pg_monitor');
ok(defined $status && WIFEXITED($status) && WEXITSTATUS($status) == 2
   && $log =~ /role pg_monitor may not call dunning\.claim, ack and nack in database \Q$db\E: GRANT dunning_sender TO pg_monitor/,
   'a role without dunning_sender: exit 2, with the GRANT to run')
    or diag('status ' . ($status // 'none') . "\n$log");
is(psql(q{SELECT count(*) FROM dunning.outbox WHERE status NOT IN ('sent', 'failed', 'dead')}), "0\n",
   'the refused starts claimed nothing');

kill('TERM', $smtp_pid);
wait_child($smtp_pid, 5);
done_testing();
