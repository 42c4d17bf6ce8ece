package DunningTest;

# Helpers shared by the TAP scripts in test/t/: running commands and psql,
# installing the extension, cleaning up a test's database and role, and
# pg_ctl on the suite's throwaway cluster (test/lib/cluster.sh).
#
# A script loads it with
#
#   use FindBin;
#   use lib "$FindBin::Bin/../lib";
#   use DunningTest qw(run psql_in ...);
#
# Connection: PGHOST, PGPORT and PGUSER (a superuser), as test/check.sh sets.

use strict;
use warnings;
use Exporter qw(import);
use POSIX qw(_exit);
use Test::More ();
use Time::HiRes qw(sleep);

our @EXPORT_OK = qw(run psql_in psql_error_in create_extension slurp poll_every drop_now_and_at_exit pg_ctl);

# Runs a command, returns its standard output; dies if it fails.
sub run {
    my @cmd = @_;
    open(my $fh, '-|', @cmd) or die "cannot run @cmd: $!";
    local $/;
    my $out = <$fh> // '';
    close($fh) or die "command failed (exit " . ($? >> 8) . "): @cmd\n";
    return $out;
}

# Runs $sql in database $db (psql -X -q -A -t -v ON_ERROR_STOP=1: unaligned,
# tuples only); returns what psql prints, each row ending in "\n"; dies if
# it fails.  Options:
#   as => ROLE    connect as ROLE (-U) instead of PGUSER;
#   chomp => 1    remove the final newline (one value, or rows joined by "\n").
sub psql_in {
    my ($db, $sql, %opt) = @_;
    my $out = run('psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', $db,
                  ($opt{as} ? ('-U', $opt{as}) : ()), '-c', $sql);
    chomp $out if $opt{chomp};
    return $out;
}

# Runs $sql, which must fail, in database $db; returns psql's error output,
# '' if it succeeded.  Options:
#   as => ROLE      connect as ROLE (-U) instead of PGUSER;
#   verbose => 1    VERBOSITY verbose: the SQLSTATE, DETAIL and HINT lines too.
sub psql_error_in {
    my ($db, $sql, %opt) = @_;
    my $pid = open(my $fh, '-|') // die "cannot fork: $!";
    if ($pid == 0) {
        open(STDERR, '>&', \*STDOUT) or _exit(127);
        open(STDOUT, '>', '/dev/null') or _exit(127);
        # STDERR now goes where STDOUT went: the pipe.
        exec('psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', ($opt{verbose} ? ('-v', 'VERBOSITY=verbose') : ()),
             '-d', $db, ($opt{as} ? ('-U', $opt{as}) : ()), '-c', $sql)
            or _exit(127);
    }
    local $/;
    my $err = <$fh> // '';
    close($fh);
    return $? == 0 ? '' : $err;
}

# CREATE EXTENSION dunning in database $db; true if it worked, else the error
# goes to diag.  It creates the cluster-wide roles when they are missing; two
# databases installing at once (prove -j) can collide on them: try again.
sub create_extension {
    my ($db) = @_;
    my $err = '';
    for my $try (1 .. 5) {
        my $out = '';
        my $pid = open(my $fh, '-|') // die "cannot fork: $!";
        if ($pid == 0) {
            open(STDERR, '>&', \*STDOUT) or _exit(127);
            exec('psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $db, '-c', 'CREATE EXTENSION dunning') or _exit(127);
        }
        { local $/; $out = <$fh> // ''; }
        close($fh);
        return 1 if $? == 0;
        $err = $out;
        last unless $out =~ /pg_authid_rolname_index/;
        Test::More::note("CREATE EXTENSION collided with another installing the roles, try $try: $out");
        sleep(0.5);
    }
    Test::More::diag($err);
    return 0;
}

# A file's content as bytes; '' if it cannot be read.
sub slurp {
    my ($file) = @_;
    open(my $fh, '<:raw', $file) or return '';
    local $/;
    return <$fh> // '';
}

# Calls $cond every $every seconds until it returns true (1) or $timeout
# seconds pass (0); $cond is called once more after the deadline.
sub poll_every {
    my ($every, $timeout, $cond) = @_;
    my $deadline = Time::HiRes::time() + $timeout;
    while (1) {
        return 1 if $cond->();
        return 0 if Time::HiRes::time() > $deadline;
        sleep($every);
    }
}

# A test's own database and LOGIN role (a role is cluster-wide), dropped now
# (what a killed run of the test left behind) and again when the process that
# called this exits (at the end, on die, or through exit in the script's
# INT/TERM handler), after the processes still in %$children (pid => name)
# are killed and reaped.  Failures only warn; the exit status is kept.
# Arguments: database => NAME, role => NAME, children => \%children.
my @dropped_at_exit;
sub drop_now_and_at_exit {
    my (%what) = @_;
    $what{pid} = $$;
    push @dropped_at_exit, \%what;
    _drop(\%what);
}

sub _drop {
    my ($what) = @_;
    return unless $$ == $what->{pid};   # not in a forked child
    my $children = $what->{children} // {};
    kill('KILL', $_) for keys %$children;
    waitpid($_, 0) for keys %$children;
    %$children = ();
    eval { run('dropdb', '--if-exists', '--force', $what->{database}); 1 } or warn $@;
    eval { run('psql', '-X', '-q', '-d', 'postgres', '-c', qq{DROP ROLE IF EXISTS "$what->{role}"}); 1 } or warn $@;
}

END {
    my $status = $?;
    _drop($_) for reverse @dropped_at_exit;
    $? = $status;
}

# pg_ctl on the suite's throwaway cluster, whose data directory is
# $PGHOST/data: run from $PGHOST (as test/lib/cluster.sh does), as the data
# directory's owner when we are root.  Returns (exit code, output).
sub pg_ctl {
    my @args = @_;
    my $data = "$ENV{PGHOST}/data";
    my $bindir = $ENV{PG_CONFIG} ? `$ENV{PG_CONFIG} --bindir` : '/usr/lib/postgresql/15/bin';
    chomp $bindir;
    my @cmd = ("$bindir/pg_ctl", '-D', $data, @args);
    if ($> == 0) {
        my $owner = getpwuid((stat($data))[4]);
        unshift @cmd, 'runuser', '-u', $owner, '--';
    }
    my $out = `cd '$ENV{PGHOST}' && @cmd 2>&1`;
    return ($? >> 8, $out);
}

1;
