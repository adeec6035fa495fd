# SPDX-License-Identifier: Apache-2.0
package InviteTest;
# Shared by the Apache::Test suite: fixture data, database access for
# assertions, and request helpers.  The engine under test comes from
# INVITE_TEST_ENGINE (sqlite3 by default, or pgsql with INVITE_TEST_PG_DSN
# naming the throwaway cluster).
use strict;
use warnings;
use Exporter 'import';
use DBI;
use Digest::SHA qw(sha256);
use MIME::Base64 qw(encode_base64);
use JSON::PP;
use Apache::TestRequest ();
use HTTP::Request;
use LWP::UserAgent;

our @EXPORT = qw(%USER %TOKEN api_post api_request dbh db_value db_do
                 invite_count token_hash json_of reset_invites engine
                 concurrently);

# id => [ global roles, token(s), { room => [room roles] } ]
our %FIXTURE_USERS = (
    adminUserId000001 => [ [qw(admin user)], ['admin-token-1'],
        { GENERAL => [], PRIVROOM => [], DMROOM => [], LIVEROOM => [],
          VOIPROOM => [], ODDROOM => [], SPAREROOM => [] } ],
    adminUserId000002 => [ [qw(admin user)], ['admin-token-2'],
        { GENERAL => [] } ],
    ownerUserId000001 => [ ['user'], ['owner-token-1'],
        { GENERAL => [], OWNEDROOM => ['owner'] } ],
    moderUserId000001 => [ ['user'], ['moder-token-1'],
        { MODROOM => ['moderator'], GENERAL => [] } ],
    plainUserId000001 => [ ['user'], ['plain-token-1'], { GENERAL => [] } ],
    multiUserId000001 => [ [qw(admin)], ['multi-token-a', 'multi-token-b'],
        { GENERAL => [] } ],
    notokUserId000001 => [ [qw(admin)], [], { GENERAL => [] } ],
    # In no room: joins GENERAL with an invite (t/api/20_api_client.t).
    joinerUserId00001 => [ ['user'], ['joiner-token-1'], {} ],
);
our %FIXTURE_ROOMS = (
    GENERAL => 'c', PRIVROOM => 'p', DMROOM => 'd', LIVEROOM => 'l',
    VOIPROOM => 'v', ODDROOM => 'x', OWNEDROOM => 'c', MODROOM => 'c',
    SPAREROOM => 'c', LONELYROOM => 'c',
);

our %USER = (
    admin  => 'adminUserId000001', admin2 => 'adminUserId000002',
    owner  => 'ownerUserId000001', moderator => 'moderUserId000001',
    plain  => 'plainUserId000001', multi => 'multiUserId000001',
    notoken => 'notokUserId000001', joiner => 'joinerUserId00001',
);
our %TOKEN = map { $_ => ($FIXTURE_USERS{$USER{$_}}[1][0] // 'none') } keys %USER;

sub engine { $ENV{INVITE_TEST_ENGINE} || 'sqlite3' }

sub token_hash { encode_base64(sha256($_[0]), '') }

# The SQL that loads the fixtures (portable between the two engines).
sub fixture_sql {
    my @sql;
    for my $rid (sort keys %FIXTURE_ROOMS) {
        push @sql, "INSERT INTO rooms (id, t, name) VALUES ('$rid', '$FIXTURE_ROOMS{$rid}', '" . lc($rid) . "')";
    }
    for my $uid (sort keys %FIXTURE_USERS) {
        my ($roles, $tokens, $subs) = @{ $FIXTURE_USERS{$uid} };
        push @sql, "INSERT INTO users (id, username) VALUES ('$uid', '" . lc($uid) . "')";
        push @sql, "INSERT INTO user_roles (user_id, role) VALUES ('$uid', '$_')" for @$roles;
        push @sql, "INSERT INTO login_tokens (user_id, hashed_token, created_at) VALUES ('$uid', '" . token_hash($_) . "', " . int(time * 1000) . ')' for @$tokens;
        for my $rid (sort keys %$subs) {
            push @sql, "INSERT INTO subscriptions (user_id, rid) VALUES ('$uid', '$rid')";
            push @sql, "INSERT INTO subscription_roles (user_id, rid, role) VALUES ('$uid', '$rid', '$_')" for @{ $subs->{$rid} };
        }
    }
    push @sql, "INSERT INTO permission_roles (permission, role) VALUES ('$_->[0]', '$_->[1]')"
        for @InviteTest::FIXTURE_GRANTS;
    return @sql;
}

my $dbh;
sub dbh {
    # A PostgreSQL restart (t/api/09_pg_faults.t) ends the old connection.
    return $dbh if $dbh && (engine() ne 'pgsql' || $dbh->ping);
    return $dbh = connect_db();
}
# A new connection to the database under test, apart from dbh()'s (e.g.
# to hold a lock while a request runs).
sub connect_db {
    my $dbh;
    if (engine() eq 'pgsql') {
        $dbh = DBI->connect("dbi:Pg:$ENV{INVITE_TEST_PG_DSN}", '', '',
                            { RaiseError => 1, AutoCommit => 1, PrintError => 0 });
    }
    else {
        my $file = $ENV{INVITE_TEST_SQLITE_DB} || 't/var/invite.db';
        $dbh = DBI->connect("dbi:SQLite:dbname=$file", '', '',
                            { RaiseError => 1, AutoCommit => 1, PrintError => 0,
                              sqlite_use_immediate_transaction => 1 });
        $dbh->sqlite_busy_timeout(10000);
    }
    return $dbh;
}
sub db_do    { my ($sql, @bind) = @_; dbh()->do($sql, undef, @bind) }
sub db_value { my ($sql, @bind) = @_; (dbh()->selectrow_array($sql, undef, @bind))[0] }
sub invite_count {
    my ($uid, $rid) = @_;
    db_value('SELECT COUNT(*) FROM invites WHERE user_id = ? AND rid = ?', $uid, $rid);
}
sub reset_invites { db_do('DELETE FROM invites') }

# apachectl -k graceful for the test server: USR1 to its parent.
sub graceful_restart {
    my $pidfile = Apache::Test::vars('t_logs') . '/httpd.pid';
    open my $pf, '<', $pidfile or die "$pidfile: $!";
    chomp(my $parent = <$pf>);
    kill 'USR1', $parent or die "graceful: $!";
}

# Forks $n clients that wait on one pipe and then all run $request->($i)
# (returning an HTTP::Response) at once.  Returns [code, _id, i] per client
# (the errorType in place of _id for an error body, '-' for neither).
sub concurrently {
    my ($n, $request) = @_;
    pipe(my $go_r, my $go_w) or die $!;
    my @kids;
    for my $i (0 .. $n - 1) {
        pipe(my $r, my $w) or die $!;
        my $pid = fork // die $!;
        if (!$pid) {
            close $go_w; close $r;
            sysread($go_r, my $buf, 1);   # blocks until the parent closes
            print $w result_line($request->($i), $i), "\n";
            close $w;
            require POSIX;
            POSIX::_exit(0);
        }
        close $w;
        push @kids, [$pid, $r];
    }
    close $go_r;
    close $go_w;   # go
    my @out;
    for (@kids) {
        my ($pid, $r) = @$_;
        my $line = <$r> // "0 - -\n";
        chomp $line;
        push @out, [split / /, $line];
        waitpid $pid, 0;
    }
    return @out;
}

# "code _id-or-errorType i" for a response, as concurrently() reports it.
sub result_line {
    my ($res, $i) = @_;
    my $j = json_of($res);
    return join(' ', $res->code,
                (ref $j eq 'HASH' && ($j->{_id} || $j->{errorType})) || '-', $i);
}

sub json_of {
    my ($res) = @_;
    my $v = eval { JSON::PP->new->allow_nonref->decode($res->content) };
    return $v;
}

# api_request(METHOD, path, user => 'admin' | [id, token] | undef,
#             body => string, type => content type, headers => [...],
#             url => absolute URL, local => source address,
#             agent => the LWP::UserAgent to send it with)
sub api_request {
    my ($method, $path, %o) = @_;
    my @h;
    if (my $u = $o{user}) {
        my ($id, $tok) = ref $u ? @$u : ($USER{$u}, $TOKEN{$u});
        push @h, 'X-User-Id' => $id, 'X-Auth-Token' => $tok;
    }
    push @h, 'Content-Type' => $o{type} if defined $o{type};
    push @h, @{ $o{headers} || [] };
    my $url = $o{url} || Apache::TestRequest::resolve_url($path);
    my $req = HTTP::Request->new($method => $url, \@h,
                                defined $o{body} ? $o{body} : undef);
    # local => '127.0.0.N': another loopback source address, another client
    # for the rate limit.
    return LWP::UserAgent->new(keep_alive => 0, local_address => $o{local})
        ->request($req) if $o{local};
    return $o{agent}->request($req) if $o{agent};
    return Apache::TestRequest::user_agent(keep_alive => 0)->request($req);
}

# POST a JSON body (a hash ref is encoded; a string is sent as is).
sub api_post {
    my ($path, $body, %o) = @_;
    $body = JSON::PP->new->canonical->encode($body) if ref $body;
    return api_request(POST => $path, type => 'application/json',
                       body => $body, %o);
}

1;

package InviteTest;

# make test-asan and make test-valgrind run second hosts under the
# sanitizer too (t/sanitizer/httpd).
sub httpd { $ENV{INVITE_TEST_HTTPD} || '/usr/sbin/apache2' }

# A TCP port on 127.0.0.1 that nothing listens on.
sub free_port {
    require IO::Socket::INET;
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0)
        or die "no free port: $!";
    my $p = $s->sockport;
    close $s;
    return $p;
}

# The start of an extra httpd's configuration in $dir: its files there
# (pid file in $dir/run), the MPM, mod_authz_core and mod_dbd.
sub extra_host_conf {
    my ($dir) = @_;
    my $mods = '/usr/lib/apache2/modules';
    return <<"CONF";
ServerRoot "$dir"
ServerName 127.0.0.1
PidFile "$dir/run/httpd.pid"
DefaultRuntimeDir "$dir/run"
ErrorLog "$dir/error_log"
LogLevel warn invite:info
LoadModule mpm_event_module $mods/mod_mpm_event.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule dbd_module $mods/mod_dbd.so
CONF
}

# Starts httpd (or $httpd) on $dir/httpd.conf and waits until it listens on $port;
# returns { dir, port }, or dies.  stop_second_host stops it.
sub start_extra_host {
    my ($dir, $port, $httpd) = @_;
    require IO::Socket::INET;
    $httpd //= httpd();
    system($httpd, '-f', "$dir/httpd.conf", '-k', 'start') == 0
        or die "httpd on $dir/httpd.conf did not start";
    for (1 .. 100) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port);
        if ($s) { close $s; return { dir => $dir, port => $port, httpd => $httpd }; }
        select(undef, undef, undef, 0.1);
    }
    die "httpd on $dir/httpd.conf is not listening on $port";
}

# A second, independent httpd with mod_invite on the same database (the
# engine's t/conf/invite-db.conf), for multi-host tests.  Options: name
# (its directory under t/var, default host2), conf (server-level
# directives; default InviteRateLimit off, so that it needs no socache)
# db (the mod_dbd directives, in place of t/conf/invite-db.conf), load
# (the line that loads mod_invite; default this tree's build; mod_dbd is
# loaded already) and httpd (default httpd() above).
sub start_second_host {
    my ($top, %o) = @_;
    my $dir = "$top/t/var/" . ($o{name} // 'host2');
    my $conf = $o{conf} // 'InviteRateLimit off';
    my $db = $o{db} // qq{Include "$top/t/conf/invite-db.conf"};
    my $load = $o{load} // "LoadModule invite_module $top/.libs/mod_invite.so";
    $load =~ s/^LoadModule dbd_module .*\n?//mg;   # extra_host_conf has it
    require File::Path;
    File::Path::make_path("$dir/run");
    my $port = free_port();
    open my $fh, '>', "$dir/httpd.conf" or die $!;
    print $fh extra_host_conf($dir), <<"CONF";
Listen 127.0.0.1:$port
$load
StartServers 2
ThreadsPerChild 16
MaxRequestWorkers 32
$db
InviteDBD On
$conf
<Location /api/v1>
    SetHandler invite
    InviteSiteUrl https://chat.example.com
</Location>
CONF
    close $fh;
    return start_extra_host($dir, $port, $o{httpd});
}

sub stop_second_host {
    my ($h) = @_;
    system($h->{httpd}, '-f', "$h->{dir}/httpd.conf", '-k', 'stop');
    for (1 .. 50) {
        last unless -e "$h->{dir}/run/httpd.pid";
        select(undef, undef, undef, 0.1);
    }
}

1;

package InviteTest;

# Fixtures that tell the two permissions apart (t/api/30_permissions.t):
# `inviter` holds create-invite-links through a custom global role and
# not api-bypass-rate-limit; `bot` holds api-bypass-rate-limit (the
# schema grants it to bot) and not create-invite-links.  Neither is
# admin, which holds both.
our @FIXTURE_GRANTS = (['create-invite-links', 'inviter']);
$FIXTURE_USERS{inviterUserId0001} = [ [qw(user inviter)], ['inviter-token-1'],
                                      { GENERAL => [] } ];
$FIXTURE_USERS{botUserId00000001} = [ ['bot'], ['bot-token-1'], { GENERAL => [] } ];
@USER{qw(inviter bot)} = qw(inviterUserId0001 botUserId00000001);
$TOKEN{$_} = $FIXTURE_USERS{$USER{$_}}[1][0] for qw(inviter bot);

1;

package InviteTest;

# Runs $request->() (returning an HTTP::Response) in a child process and
# returns a function that waits for it and returns [code, _id or
# errorType or '-'], for a test that acts on the database while the
# request runs (e.g. releases a lock it waits for).  The child leaves the
# parent's database handles alone and ends with _exit.
sub in_background {
    my ($request) = @_;
    pipe(my $r, my $w) or die $!;
    my $pid = fork // die $!;
    if (!$pid) {
        close $r;
        print $w result_line($request->(), 0), "\n";
        close $w;
        require POSIX;
        POSIX::_exit(0);
    }
    close $w;
    return sub {
        my $line = <$r> // "0 - -\n";
        chomp $line;
        waitpid $pid, 0;
        return [(split / /, $line)[0, 1]];
    };
}

1;

package InviteTest;

# Runs one of the module's statements (as build/invite-sql-dump prints
# them for the engine) on dbh() with the arguments the test chooses - a
# chosen "now" among them.  Returns the rows of a query, else the number
# of rows changed.
my %STATEMENT;
sub run_statement {
    my ($label, @args) = @_;
    if (!%STATEMENT) {
        require Cwd;
        require File::Basename;
        my $top = Cwd::abs_path(File::Basename::dirname(__FILE__) . '/../..');
        %STATEMENT = map { split /\t/, $_, 2 } grep { length }
                     split /\n/, `$top/build/invite-sql-dump ${\ engine()}`;
    }
    my $n = 0;
    my $pg = engine() eq 'pgsql';
    defined(my $sql = $STATEMENT{$label}) or die "no statement $label";
    $sql =~ s/%(?:lld|d|s)/$pg ? '$' . ++$n : '?'/ge;
    my $sth = dbh()->prepare($sql);
    $sth->execute(@args);
    return $sth->{NUM_OF_FIELDS} ? $sth->fetchall_arrayref : $sth->rows;
}

1;
