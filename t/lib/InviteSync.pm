# SPDX-License-Identifier: Apache-2.0
package InviteSync;
# Running build/invite-sync in the tests (t/sync*.t): the database
# arguments of the engine under test, a settings file, the daemon in the
# background with its stderr in a file, deadlines with polling, scratch
# databases for an independent `invite-sync --once`, and a canonical dump
# of the tables the sync writes (rows sorted, NULL marked) to compare two
# databases.
#
#   my $d = InviteSync->daemon($dir, mongo => $fake->url, settings => {...});
#   InviteSync::within(2, sub { ... true when done ... })   # seconds taken or undef
#   $d->log; $d->stop; $d->kill; $d->running;
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path);
use Time::HiRes qw(time sleep);
use POSIX ();
use DBI;
use InviteSchema ();

our $TOP = abs_path(dirname(__FILE__) . '/../..');
# INVITE_SYNC_BIN=build/asan/invite-sync: the sanitized build.
our $BIN = $ENV{INVITE_SYNC_BIN} ? "$TOP/$ENV{INVITE_SYNC_BIN}" : "$TOP/build/invite-sync";
our $runs = 0;

sub engine { $ENV{INVITE_TEST_ENGINE} || 'sqlite3' }

# --driver/--params for the suite's database.
sub db_args {
    return ('--driver', 'pgsql', '--params', $ENV{INVITE_TEST_PG_PARAMS}) if engine() eq 'pgsql';
    return ('--driver', 'sqlite3', '--params', $ENV{INVITE_TEST_SQLITE_DB} || "$TOP/t/var/invite.db");
}

# A settings file (mode 0600) with key = value lines.
sub settings_file {
    my ($file, %kv) = @_;
    my $old = umask 077;
    open my $fh, '>', $file or die "$file: $!";
    print $fh "# written by the test suite\n";
    print $fh "$_ = $kv{$_}\n" for sort keys %kv;
    close $fh or die $!;
    umask $old;
    chmod 0600, $file;
    return $file;
}

# Polls $cond every 25 ms until it is true or $secs have passed; returns
# the seconds it took (a true value, at least 0.001) or undef.
sub within {
    my ($secs, $cond) = @_;
    my $t0 = time;
    while (1) {
        my $ok = $cond->();
        my $dt = time - $t0;
        return $dt > 0.001 ? $dt : 0.001 if $ok;
        return undef if $dt > $secs;
        sleep 0.025;
    }
}

# Runs invite-sync to its end (e.g. --once, --status): (exit status,
# stdout, stderr).
sub run {
    my ($dir, %o) = @_;
    make_path($dir);
    my $n = ++$runs;
    my ($out, $err) = ("$dir/run$n.out", "$dir/run$n.err");
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        _child_env(%o);
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $out or POSIX::_exit(127);
        open STDERR, '>', $err or POSIX::_exit(127);
        exec $BIN, _args(%o) or POSIX::_exit(127);
    }
    my $deadline = time + ($o{timeout} // 60);
    my $st;
    while (1) {
        last if waitpid($pid, POSIX::WNOHANG()) == $pid && do { $st = $?; 1 };
        if (time > $deadline) { kill 'KILL', $pid; waitpid $pid, 0; $st = -1; last }
        sleep 0.02;
    }
    return ($st < 0 ? -1 : $st >> 8, slurp($out), slurp($err));
}

sub _args {
    my (%o) = @_;
    return ($o{db} ? @{ $o{db} } : db_args()), ($o{settings} ? ('--config', $o{settings}) : ()), @{ $o{args} || [] };
}
sub _child_env {
    my (%o) = @_;
    delete @ENV{qw(INVITE_SYNC_MONGO_URL INVITE_SYNC_ROCKETCHAT_URL INVITE_SYNC_BOT_USER_ID INVITE_SYNC_BOT_TOKEN)};
    $ENV{INVITE_SYNC_MONGO_URL} = $o{mongo} if defined $o{mongo};
    $ENV{$_} = $o{env}{$_} for keys %{ $o{env} || {} };
}

# The daemon in the background, its stderr appended to $dir/sync.log.
sub daemon {
    my ($class, $dir, %o) = @_;
    make_path($dir);
    my $log = $o{log} // "$dir/sync.log";
    my $self = bless { dir => $dir, log => $log, opt => \%o, creator => $$ }, $class;
    $self->{log_start} = -s $log // 0;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        _child_env(%o);
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $log or POSIX::_exit(127);
        open STDERR, '>&', \*STDOUT or POSIX::_exit(127);
        exec $BIN, _args(%o) or POSIX::_exit(127);
    }
    $self->{pid} = $pid;
    return $self;
}
sub pid { $_[0]{pid} }
sub running {
    my ($self) = @_;
    return 0 unless $self->{pid};
    if (waitpid($self->{pid}, POSIX::WNOHANG()) == $self->{pid}) {
        $self->{status} = $? >> 8;
        $self->{signal} = $? & 127;
        delete $self->{pid};
        return 0;
    }
    return 1;
}
sub status { $_[0]{status} }
# The daemon's stderr since this start (all of the file with $all).
sub log {
    my ($self, $all) = @_;
    my $t = slurp($self->{log});
    return $all ? $t : substr($t, $self->{log_start} <= length $t ? $self->{log_start} : 0);
}
sub log_file { $_[0]{log} }
# Waits for a line matching $re in this start's log; the seconds or undef.
sub wait_log { my ($self, $re, $secs) = @_; within($secs // 10, sub { $self->log =~ $re }) }

# SIGTERM; waits up to $secs for the exit; returns the exit status (undef
# if it had to be killed).
sub stop {
    my ($self, $secs) = @_;
    return $self->{status} unless $self->{pid};
    kill 'TERM', $self->{pid};
    my $ok = within($secs // 10, sub { !$self->running });
    if (!$ok) { $self->kill; return undef }
    return $self->{status};
}
sub kill {
    my ($self) = @_;
    return unless $self->{pid};
    CORE::kill('KILL', $self->{pid});
    waitpid $self->{pid}, 0;
    delete $self->{pid};
    $self->{status} = undef;
}
# Starts again with the same options, the log appended.
sub restart {
    my ($self) = @_;
    $self->stop if $self->{pid};
    return InviteSync->daemon($self->{dir}, %{ $self->{opt} }, log => $self->{log});
}
sub DESTROY { local ($@, $?); $_[0]->kill if $_[0]{pid} && $_[0]{creator} == $$ }

# Runs $code in a child process (e.g. a writer to MongoDB while the test
# asks the module); returns its pid for waitpid.
sub background {
    my ($code) = @_;
    my $pid = fork // die "fork: $!";
    if (!$pid) { $code->(); POSIX::_exit(0) }
    return $pid;
}

sub slurp { my ($f) = @_; open my $fh, '<:raw', $f or return ''; local $/; <$fh> // '' }

# ------------------------------------------------------------ databases

# A scratch database of the engine under test with the current schema:
# (dbh, [--driver, NAME, --params, PARAMS]).  SQLite: a file in $dir;
# PostgreSQL: a schema of the suite's cluster, reached through search_path.
sub scratch_db {
    my ($dir, $name) = @_;
    if (engine() eq 'pgsql') {
        my $schema = "scratch_$name";
        my $dbh = DBI->connect("dbi:Pg:$ENV{INVITE_TEST_PG_DSN}", '', '',
                               { RaiseError => 1, PrintError => 0, AutoCommit => 1, pg_enable_utf8 => 1 });
        $dbh->do('SET client_min_messages = warning');
        $dbh->do("DROP SCHEMA IF EXISTS $schema CASCADE");
        $dbh->do("CREATE SCHEMA $schema");
        $dbh->do("SET search_path TO $schema");
        $dbh->do($_) for InviteSchema::statements('pgsql', $TOP);
        (my $params = $ENV{INVITE_TEST_PG_PARAMS}) =~ s/application_name=\S+/application_name=invite_sync_scratch/;
        $params =~ s/options='([^']*)'/options='$1 -c search_path=$schema'/
            or $params .= " options='-c search_path=$schema'";
        return ($dbh, ['--driver', 'pgsql', '--params', $params]);
    }
    make_path($dir);
    my $file = "$dir/$name.db";
    unlink $file, "$file-wal", "$file-shm";
    my $dbh = DBI->connect("dbi:SQLite:dbname=$file", '', '',
                           { RaiseError => 1, PrintError => 0, AutoCommit => 1, sqlite_unicode => 1 });
    $dbh->sqlite_busy_timeout(10000);
    $dbh->do($_) for InviteSchema::statements('sqlite3', $TOP);
    return ($dbh, ['--driver', 'sqlite3', '--params', $file]);
}

# The tables invite-sync writes, in a fixed column order.
our %COLUMNS = (
    users                 => 'id, username',
    user_roles            => 'user_id, role',
    login_tokens          => 'user_id, hashed_token, created_at',
    rooms                 => 'id, t, name, fname, prid',
    subscriptions         => 'user_id, rid, status',
    subscription_roles    => 'user_id, rid, role',
    permission_roles      => 'permission, role',
    sync_subscription_ids => 'sub_id, user_id, rid',
);

# { table => [ "col1|col2|..." sorted ] }: NULL is \N.
sub dump_tables {
    my ($dbh, @tables) = @_;
    @tables = sort keys %COLUMNS unless @tables;
    my %d;
    for my $t (@tables) {
        my $rows = $dbh->selectall_arrayref("SELECT $COLUMNS{$t} FROM $t");
        $d{$t} = [ sort map { join '|', map { defined ? "$_" : '\N' } @$_ } @$rows ];
    }
    return \%d;
}

# The invites table, the columns of t/data/first-copy-invites-expected.txt:
# [ "id|days|...|slot" sorted ] (\N: NULL).
sub dump_invites {
    my ($dbh) = @_;
    my $rows = $dbh->selectall_arrayref('SELECT id, days, max_uses, rid, user_id, created_at, expires, uses,'
                                        . ' updated_at, slot FROM invites');
    return [ sort map { join '|', map { defined ? "$_" : '\N' } @$_ } @$rows ];
}

# Where two dumps differ: a list of "table: -row" / "table: +row" lines.
sub dump_diff {
    my ($a, $b) = @_;
    my @out;
    for my $t (sort keys %{ { %$a, %$b } }) {
        my %ra = map { ($_ => 1) } @{ $a->{$t} || [] };
        my %rb = map { ($_ => 1) } @{ $b->{$t} || [] };
        push @out, map { "$t: -$_" } grep { !$rb{$_} } @{ $a->{$t} || [] };
        push @out, map { "$t: +$_" } grep { !$ra{$_} } @{ $b->{$t} || [] };
        push @out, "$t: row count " . scalar(@{ $a->{$t} || [] }) . ' vs ' . scalar(@{ $b->{$t} || [] })
            if !@out && @{ $a->{$t} || [] } != @{ $b->{$t} || [] };
    }
    return @out;
}

# ------------------------------------------------------------ the suite's fixtures in MongoDB

# Writes the suite's fixture users, rooms, subscriptions and permissions
# (t/lib/InviteTest.pm, conf/schema-*.sql's seeded grants) into the fake
# as Rocket.Chat documents, so that a full copy gives the module the data
# the other tests left it with.  Returns { "uid rid" => subscription id }.
sub seed_fixtures {
    my ($c) = @_;
    my %sub;
    for my $rid (sort keys %InviteTest::FIXTURE_ROOMS) {
        $c->add_room($rid, $InviteTest::FIXTURE_ROOMS{$rid}, name => lc $rid);
    }
    my $now = int(time * 1000);
    for my $uid (sort keys %InviteTest::FIXTURE_USERS) {
        my ($roles, $tokens, $subs) = @{ $InviteTest::FIXTURE_USERS{$uid} };
        $c->add_user($uid, username => lc $uid, roles => [@$roles],
                     tokens => [ map { { hashedToken => InviteTest::token_hash($_), when => $now } } @$tokens ]);
        for my $rid (sort keys %$subs) {
            my $sid = "sub-$uid-$rid";
            $c->add_subscription($sid, $rid, $uid, roles => [ @{ $subs->{$rid} } ], t => $InviteTest::FIXTURE_ROOMS{$rid});
            $sub{"$uid $rid"} = $sid;
        }
    }
    my %grants = ('create-invite-links' => [qw(admin owner moderator)],
                  'api-bypass-rate-limit' => [qw(admin bot app)], 'bulk-register-user' => ['admin']);
    push @{ $grants{ $_->[0] } }, $_->[1] for @InviteTest::FIXTURE_GRANTS;
    $c->set_permission($_, @{ $grants{$_} }) for sort keys %grants;
    return \%sub;
}

1;
