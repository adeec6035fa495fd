# SPDX-License-Identifier: Apache-2.0
# PostgreSQL through PgBouncer (docs/postgresql.md#pgbouncer).  A second
# httpd whose DBDParams point at a PgBouncer in front of PostgreSQL:
#   - pool_mode = session: the core cases answer as they do directly, and
#     20 concurrent identical creates make one invite;
#   - pool_mode = transaction: mod_dbd's named prepared statements live in
#     one server session and the next transaction may run in another, so
#     requests fail ("prepared statement ... already exists" / "does not
#     exist"); every answer must still be a correct one or the module's
#     JSON 503, and no child may crash.
# In the pgsql suite PgBouncer fronts the suite's cluster; in the sqlite3
# suite the file starts a throwaway cluster of its own (scripts/pg-cluster.sh)
# and runs the same cases against it.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use InviteTest;
use InviteSchema;
use Cwd qw(abs_path);
use File::Path qw(make_path remove_tree);
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(sleep);
use HTTP::Response;
use JSON::PP;

plan tests => 50;

my $top = abs_path("$FindBin::Bin/../..");
my $API = '/api/v1';
my $dir = "$top/t/var/pgbouncer";
# Logs are read and asserted on: none from an earlier run (the sqlite3 and
# pgsql suites share the tree).
remove_tree($dir, glob("$top/t/var/pgbouncer-*"));
make_path($dir);

my $own_cluster;
if (engine() ne 'pgsql') {
    $own_cluster = "$top/t/var/pgbouncer-pg";
    my $env = `"$top/scripts/pg-cluster.sh" start "$own_cluster"`;
    die "pg-cluster.sh start failed\n" if $?;
    # INVITE_TEST_PG_DSN and INVITE_TEST_PG_PARAMS, as scripts/test.sh gets them.
    while ($env =~ /^(INVITE_TEST_PG_\w+)=(["'])(.*)\2$/mg) { $ENV{$1} = $3 }
    # InviteTest's database helpers follow the engine: this cluster.
    $ENV{INVITE_TEST_ENGINE} = 'pgsql';
    my $dbh = InviteTest::dbh();
    $dbh->do($_) for InviteSchema::statements('pgsql', $top), InviteTest::fixture_sql();
}
# host, port, dbname and user of the cluster (a libpq conninfo).
my %pg = $ENV{INVITE_TEST_PG_PARAMS} =~ /(\w+)=('[^']*'|\S+)/g;
my ($psql) = sort { ($b =~ /(\d+)/)[0] <=> ($a =~ /(\d+)/)[0] } glob('/usr/lib/postgresql/*/bin/psql');
$psql or die 'no psql';
my $port = InviteTest::free_port();

# ------------------------------------------------------------ PgBouncer
my $bouncer;   # pid
sub start_bouncer {
    my ($mode, %extra) = @_;
    my $extra = join '', map { "$_ = $extra{$_}\n" } sort keys %extra;
    open my $ini, '>', "$dir/pgbouncer.ini" or die $!;
    print $ini <<"INI";
[databases]
$pg{dbname} = host=$pg{host} port=$pg{port} dbname=$pg{dbname}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir = $dir
auth_type = trust
auth_file = $dir/userlist.txt
admin_users = $pg{user}
pool_mode = $mode
default_pool_size = 40
max_client_conn = 200
query_wait_timeout = 10
logfile = $dir/pgbouncer-$mode.log
$extra
INI
    close $ini;
    open my $users, '>', "$dir/userlist.txt" or die $!;
    print $users qq{"$pg{user}" ""\n};
    close $users;
    $bouncer = fork // die $!;
    if (!$bouncer) {
        open STDOUT, '>>', "$dir/pgbouncer-$mode.out";
        open STDERR, '>&', \*STDOUT;
        exec 'pgbouncer', "$dir/pgbouncer.ini" or POSIX::_exit(127);
    }
    for (1 .. 100) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port);
        if ($s && -S "$dir/.s.PGSQL.$port") { close $s; return 1; }
        return 0 if waitpid($bouncer, POSIX::WNOHANG()) == $bouncer;
        sleep 0.1;
    }
    return 0;
}
sub stop_bouncer {
    return unless $bouncer;
    kill 'TERM', $bouncer;   # immediate shutdown
    for (1 .. 50) { last if waitpid($bouncer, POSIX::WNOHANG()) != 0; sleep 0.1 }
    kill 'KILL', $bouncer and waitpid($bouncer, 0) if kill 0, $bouncer;
    undef $bouncer;
}
# A psql command through PgBouncer's socket: rows of a | b | c.
sub through_bouncer {
    my ($db, $sql) = @_;
    open my $out, '-|', $psql, '-X', '-A', '-t', '-h', $dir, '-p', $port,
        '-U', $pg{user}, '-d', $db, '-c', $sql or die $!;
    my @rows = map { chomp; [split /\|/] } <$out>;
    close $out;
    return @rows;
}
# Transactions PgBouncer has passed to the server for the database.
sub bouncer_transactions {
    my ($row) = grep { $_->[0] eq $pg{dbname} } through_bouncer('pgbouncer', 'SHOW STATS');
    return $row ? $row->[1] : -1;
}

# PgBouncer refuses libpq's options parameter, and its server_reset_query
# (DISCARD ALL) would undo a SET: the timeouts go on the role instead.
db_do("ALTER ROLE $pg{user} SET $_") for "lock_timeout = '2s'", "statement_timeout = '5s'";

my @hosts;
END {
    local $?;   # the test's exit status
    InviteTest::stop_second_host($_) for @hosts;
    stop_bouncer();
    if ($own_cluster) {
        system("$top/scripts/pg-cluster.sh", 'stop', $own_cluster);
    }
    elsif (engine() eq 'pgsql') {
        db_do("ALTER ROLE $pg{user} RESET $_") for qw(lock_timeout statement_timeout);
        db_do("DELETE FROM $_ WHERE user_id LIKE 'bouncerUser%'")
            for qw(subscriptions user_roles login_tokens);
        db_do("DELETE FROM users WHERE id LIKE 'bouncerUser%'");
    }
}
# An httpd with mod_invite reaching PostgreSQL only through PgBouncer,
# with the DBD settings docs/postgresql.md recommends for PostgreSQL (and $more).
sub start_host {
    my ($name, $more) = @_;
    my $h = InviteTest::start_second_host($top, name => $name, db => <<"DB");
DBDriver pgsql
DBDParams "host=127.0.0.1 port=$port dbname=$pg{dbname} user=$pg{user} connect_timeout=2 application_name=mod_invite"
DBDMin 1
DBDKeep 4
DBDMax 10
@{[ $more // '' ]}
DB
    push @hosts, $h;
    return $h;
}
sub stop_host {
    my ($h) = @_;
    InviteTest::stop_second_host($h);
    @hosts = grep { $_ != $h } @hosts;
}
sub error_log { local (@ARGV, $/) = ("$_[0]{dir}/error_log"); <> // '' }

# ------------------------------------------------------------- the cases
my $unauth = '{"success":false,"error":"You must be logged in to do this.","status":"error","message":"You must be logged in to do this."}';
my $no_max_uses = q({"success":false,"errorType":"invalid-params","error":"must have required property 'maxUses'"});
my $valid = '{"valid":true,"success":true}';
my $joined = '{"room":{"rid":"GENERAL","name":"general","t":"c"},"success":true}';
my $unavailable = '{"success":false,"error":"The invite database is unavailable. Try again later."}';

sub exact {
    my ($res, $status, $body, $name) = @_;
    is($res->code, $status, "$name: status $status");
    is($res->content, $body, "$name: exact body");
    like($res->header('Content-Type') // '', qr{^application/json}, "$name: JSON");
}

# A user in no room, to join GENERAL with an invite.
my $joiner = ['bouncerUser00001', 'bouncer-token-1'];
db_do('INSERT INTO users (id, username) VALUES (?, ?)', $joiner->[0], 'bounceruser1');
db_do('INSERT INTO user_roles (user_id, role) VALUES (?, ?)', $joiner->[0], 'user');
db_do('INSERT INTO login_tokens (user_id, hashed_token, created_at) VALUES (?, ?, NULL)',
      $joiner->[0], token_hash($joiner->[1]));
reset_invites();

# ---------------------------------------------------------- session mode
ok(start_bouncer('session'), "pgbouncer (session mode) on port $port");
is_deeply([map { $_->[0] } through_bouncer($pg{dbname}, 'SHOW lock_timeout'),
                           through_bouncer($pg{dbname}, 'SHOW lock_timeout')],
          ['2s', '2s'], "the role's lock_timeout survives PgBouncer's DISCARD ALL");
my $host = start_host('pgbouncer-session');
my $url = sub { "http://127.0.0.1:$host->{port}$API/$_[0]" };
my $before = bouncer_transactions();

my $create = {rid => 'GENERAL', days => 7, maxUses => 10};
my $res = api_post(undef, $create, user => 'admin', url => $url->('findOrCreateInvite'));
is($res->code, 200, 'findOrCreateInvite creates: 200');
my $id = (json_of($res) || {})->{_id} // '';
like($id, qr/^[23456789A-HJ-NP-Za-km-z]{6}$/, 'with an _id');
is(db_value('SELECT COUNT(*) FROM invites WHERE id = ?', $id), 1, 'in the database');
is((json_of(api_post(undef, $create, user => 'admin', url => $url->('findOrCreateInvite'))) || {})->{_id},
   $id, 'the same request finds the same invite');
exact(api_post(undef, $create, user => [$USER{admin}, 'wrong-token'], url => $url->('findOrCreateInvite')),
      401, $unauth, 'wrong token');
exact(api_post(undef, {rid => 'GENERAL', days => 7}, user => 'admin', url => $url->('findOrCreateInvite')),
      400, $no_max_uses, 'schema error');
exact(api_post(undef, {token => $id}, url => $url->('validateInviteToken')), 200, $valid,
      'validateInviteToken');
exact(api_post(undef, {token => $id}, user => $joiner, url => $url->('useInviteToken')), 200, $joined,
      'useInviteToken by a newcomer');
is(db_value('SELECT uses FROM invites WHERE id = ?', $id), 1, 'one use counted');
is(db_value("SELECT COUNT(*) FROM subscriptions WHERE user_id = ? AND rid = 'GENERAL'", $joiner->[0]), 1,
   'the newcomer is subscribed');
$res = api_request(GET => undef, user => 'admin', url => $url->('listInvites'));
is($res->code, 200, 'listInvites: 200');
is_deeply([map { $_->{_id} } @{ json_of($res) || [] }], [$id], 'lists the invite');
exact(api_request(DELETE => undef, user => 'admin', url => $url->("removeInvite/$id")), 200, 'true',
      'removeInvite');
is(db_value('SELECT COUNT(*) FROM invites WHERE id = ?', $id), 0, 'the row is gone');
ok(bouncer_transactions() >= $before + 10,
   'the requests went through pgbouncer (' . ($before) . ' -> ' . bouncer_transactions() . ' transactions)');

# Concurrency: one invite for 20 identical creates at once.
reset_invites();
my @res = concurrently(20, sub {
    api_post(undef, {rid => 'GENERAL', days => 30, maxUses => 25}, user => 'admin',
             url => $url->('findOrCreateInvite'));
});
is(scalar(grep { $_->[0] == 200 } @res), 20, '20 concurrent creates: all 200');
my %ids = map { $_->[1] => 1 } @res;
is(scalar(keys %ids), 1, 'one _id in every response') or diag(join ' ', sort keys %ids);
is(invite_count($USER{admin}, 'GENERAL'), 1, 'one row in the database');
stop_host($host);
stop_bouncer();
unlike(error_log($host), qr/prepared statement|\[(?:invite|dbd):(?:error|crit|alert|emerg)\]/,
       'session mode: no database error logged');
unlike(error_log($host), qr/Segmentation fault|exit signal/, 'session mode: no child crashed');

# ------------------------------------------------------ transaction mode
# The invite of the concurrent creates is the one to find, validate, list
# and use.
($id) = keys %ids;
$create = {rid => 'GENERAL', days => 30, maxUses => 25};

# Each case: a request and the correct answer.
my @cases = (
    [find => sub { api_post(undef, $create, user => 'admin', url => $url->('findOrCreateInvite')) },
     sub { $_[0]->code == 200 && ((json_of($_[0]) || {})->{_id} // '') eq $id }],
    [validate => sub { api_post(undef, {token => $id}, url => $url->('validateInviteToken')) },
     sub { $_[0]->code == 200 && $_[0]->content eq $valid }],
    [list => sub { api_request(GET => undef, user => 'admin', url => $url->('listInvites')) },
     sub { $_[0]->code == 200 && grep { $_->{_id} eq $id } @{ json_of($_[0]) || [] } }],
    [use => sub { api_post(undef, {token => $id}, user => 'admin', url => $url->('useInviteToken')) },
     sub { $_[0]->code == 200 && $_[0]->content eq $joined }],
    [unauth => sub { api_post(undef, $create, user => [$USER{admin}, 'wrong'], url => $url->('findOrCreateInvite')) },
     sub { $_[0]->code == 401 && $_[0]->content eq $unauth }],
);
# Sorts an answer: "ok", "503" (the module's JSON body) or what else it was.
sub verdict {
    my ($case, $res) = @_;
    return 'ok' if $case->[2]->($res);
    return '503' if $res->code == 503 && $res->content eq $unavailable
        && ($res->header('Content-Type') // '') =~ m{^application/json}
        && ($res->header('Retry-After') // '') ne '';
    (my $body = substr($res->content, 0, 120)) =~ s/\s+/ /g;
    return "$case->[0]: " . $res->code . " $body";
}
# Every case `one` (10) times one after the other, then `at_once` (3)
# times 5 times at once.  Options: bouncer (PgBouncer settings), dbd
# (mod_dbd directives), one, at_once.
# Returns the verdicts ("case verdict" => count), the prepared statement
# errors ("error" => count) and the host's error_log.
my $runs = 0;
sub transaction_mode {
    my ($what, %o) = @_;
    ok(start_bouncer('transaction', %{ $o{bouncer} || {} }), "pgbouncer restarted in transaction mode$what");
    my $h = start_host('pgbouncer-transaction-' . ++$runs, $o{dbd});
    $url = sub { "http://127.0.0.1:$h->{port}$API/$_[0]" };
    my %seen;
    for my $round (1 .. $o{one} // 10) {
        $seen{"$_->[0] " . verdict($_, $_->[1]->())}++ for @cases;
    }
    for my $round (1 .. $o{at_once} // 3) {
        my @got = concurrently(5 * @cases, sub {
            my $case = $cases[$_[0] % @cases];
            HTTP::Response->new(200, undef, undef,
                                JSON::PP->new->encode({_id => verdict($case, $case->[1]->())}));
        });
        $seen{$cases[$_->[-1] % @cases][0] . ' ' . join(' ', @$_[1 .. $#$_ - 1])}++ for @got;
    }
    stop_host($h);
    stop_bouncer();
    diag("transaction mode$what: $_ x $seen{$_}") for sort keys %seen;
    my @other = grep { !/ (ok|503)$/ } keys %seen;
    is(scalar(@other), 0, "transaction mode$what: every answer is correct or the JSON 503")
        or diag(join "\n", @other);
    my $log = error_log($h);
    unlike($log, qr/Segmentation fault|exit signal/, "transaction mode$what: no child crashed");
    my %why;
    $why{$1}++ while $log =~ /(prepared statement "\w+" (?:does not exist|already exists))/g;
    diag("transaction mode$what: $_ x $why{$_}") for sort keys %why;
    return (\%seen, \%why, $log);
}

# As it is: mod_invite prepares every statement on a connection's first
# use, each PREPARE
# its own transaction, so a new connection meets a server session that has
# them already ("already exists": mod_dbd drops it) and statements run in
# sessions that lack them ("does not exist").
my ($seen, $why) = transaction_mode('');
ok((grep { / 503$/ } keys %$seen), 'transaction mode fails: requests get 503');
ok(scalar(grep { /already exists/ } keys %$why),
   'named prepared statements that already exist (docs/postgresql.md)');

# A connection per request (DBDPersist Off) prepares every statement per
# request: no better.
($seen) = transaction_mode(', DBDPersist Off', dbd => 'DBDPersist Off');
ok((grep { / 503$/ } keys %$seen), 'DBDPersist Off: requests still get 503');

# Each server session used once (server_lifetime = 0), as load does at
# random: every statement runs in a session that never saw its PREPARE,
# and preparing it again cannot help.  Every answer is the 503.  (Fewer
# requests: each costs PostgreSQL a score of new backends.)
($seen, $why, my $log) = transaction_mode(', a new server session per transaction',
                                   bouncer => {server_lifetime => 0}, one => 2, at_once => 1);
is_deeply([sort keys %$seen], [sort map { "$_->[0] 503" } @cases], 'every request gets 503');
ok(scalar(grep { /does not exist/ } keys %$why),
   'named prepared statements that do not exist (docs/postgresql.md)');
like($log, qr/INV00850: .*pooler in transaction or statement mode/, 'the log names the likely cause');

is(db_value('SELECT COUNT(*) FROM (SELECT user_id, rid, days, max_uses FROM invites'
            . ' WHERE slot = 1 GROUP BY 1, 2, 3, 4 HAVING COUNT(*) > 1) AS d'), 0,
   'no duplicate live invites');
is(invite_count($USER{admin}, 'GENERAL'), 1, 'no invite created in transaction mode');
is(db_value('SELECT uses FROM invites WHERE id = ?', $id), 0, 'no use counted (admin is a member)');
