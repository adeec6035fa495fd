#!/usr/bin/perl
# SPDX-License-Identifier: Apache-2.0
# invite-sync's smoke test, on the engine under test, against a scripted
# replica-set member on python3-mockupdb (t/lib/mockupdb-rs.py) that the
# real libmongoc client talks to over the wire:
#   - --once copies users, rooms, subscriptions and permissions into SQL
#     and stores the resume point and source; --status before and after;
#   - what it asks MongoDB: appname, a change stream with updateLookup
#     whose $project drops password hashes and e-mails, finds with
#     projections;
#   - refusals: a settings file others may read, a server that is not a
#     replica-set member, a MongoDB URL whose password is never shown;
#   - following: resumes from the stored token, applies events, SIGTERM
#     stops it and gives the lease back; a second daemon with --no-wait
#     exits 3; lost history (286) starts a full resync.
use strict;
use warnings;
use Test::More;
use FindBin;
use File::Temp qw(tempdir);
use JSON::PP ();
use POSIX ();
use Time::HiRes qw(sleep time);
use lib "$FindBin::Bin/lib";
use InviteTest qw();
use InviteCtl;

my $top = "$FindBin::Bin/..";
# INVITE_SYNC_BIN=build/asan/invite-sync: the sanitized build.
my $sync = $ENV{INVITE_SYNC_BIN} ? "$top/$ENV{INVITE_SYNC_BIN}" : "$top/build/invite-sync";
my $ctl = "$top/build/invitectl";
my $python = -x '/usr/bin/python3' ? '/usr/bin/python3' : 'python3';
my $engine = InviteTest::engine();

plan skip_all => "SKIP python3-mockupdb is not installed"
    if system($python, '-c', 'import mockupdb') != 0;
plan skip_all => "SKIP no PostgreSQL cluster for this run (INVITE_TEST_PG_DSN)"
    if $engine eq 'pgsql' && !$ENV{INVITE_TEST_PG_DSN};
ok(-x $sync, "make built $sync") or BAIL_OUT("no $sync");

my $dir = tempdir(CLEANUP => 1);
my $own = InviteCtl::own_database($engine, $engine eq 'pgsql' ? "sync_once_$$" : 'sync', $dir);
my @DB = ('--driver', $engine, '--params', $own->{params});
my ($rc, $out, $err) = InviteCtl::run($ctl, $dir, @{ $own->{db} }, 'init');
is($rc, 0, 'invitectl init') or diag($err);
my $db = $own->{connect}->();
sub val { my ($sql, @b) = @_; ($db->selectrow_array($sql, undef, @b))[0] }
sub col { my ($sql, @b) = @_; join ' ', map { $_ // 'NULL' } @{ $db->selectcol_arrayref($sql, undef, @b) } }

# ------------------------------------------------------------ the data
sub spew { my ($f, $s) = @_; open my $fh, '>', $f or die "$f: $!"; print $fh $s; close $fh }

spew("$dir/data.json", <<'JSON');
{"users": [
  {"_id": "uAlice", "username": "alice", "roles": ["user", "admin"], "active": true,
   "emails": [{"address": "alice@example.org"}],
   "services": {"password": {"bcrypt": "$2b$10$notarealhash"},
                "resume": {"loginTokens": [
     {"hashedToken": "aGFzaGVkLWFsaWNlLTE=", "when": {"$date": "2026-12-01T10:00:00Z"}},
     {"hashedToken": "cGF0LWFsaWNl", "type": "personalAccessToken",
      "createdAt": {"$date": "2026-11-01T00:00:00Z"}, "name": "ci"}]}}},
  {"_id": "uBob", "username": "bob", "roles": ["user"], "active": true,
   "services": {"resume": {"loginTokens": [
     {"hashedToken": "aGFzaGVkLWJvYg==", "when": {"$date": "2026-12-02T10:00:00Z"}}]}}},
  {"_id": "uGone", "username": "gone", "roles": ["user"], "active": false,
   "services": {"resume": {"loginTokens": [
     {"hashedToken": "Z29uZQ==", "when": {"$date": "2026-12-02T10:00:00Z"}}]}}}],
 "rocketchat_room": [
  {"_id": "GENERAL", "t": "c", "name": "general"},
  {"_id": "rPriv", "t": "p", "name": "secret-room", "fname": "Secret room"},
  {"_id": "rDisc", "t": "p", "name": "disc", "prid": "GENERAL"}],
 "rocketchat_subscription": [
  {"_id": "sA1", "rid": "GENERAL", "u": {"_id": "uAlice", "username": "alice"}, "roles": ["owner"]},
  {"_id": "sB1", "rid": "GENERAL", "u": {"_id": "uBob", "username": "bob"}},
  {"_id": "sB2", "rid": "rPriv", "u": {"_id": "uBob", "username": "bob"}},
  {"_id": "sX", "rid": "rNowhere", "u": {"_id": "uBob", "username": "bob"}}],
 "rocketchat_permissions": [
  {"_id": "create-invite-links", "roles": ["admin", "owner"]},
  {"_id": "view-c-room", "roles": ["user"]}]}
JSON

# ------------------------------------------------------------ the fake
my @fakes;
sub fake {
    my (@args) = @_;
    my $pf = "$dir/port." . scalar(@fakes);
    unlink $pf;
    my $pid = fork // die;
    if (!$pid) {
        open STDERR, '>>', "$dir/fake.err";
        exec $python, "$FindBin::Bin/lib/mockupdb-rs.py", '--port-file', $pf,
             '--log', "$dir/mongo.log", @args or POSIX::_exit(127);
    }
    push @fakes, $pid;
    for (1 .. 100) { last if -s $pf; sleep 0.1 }
    open my $fh, '<', $pf or die "the fake did not start: " . InviteCtl::slurp("$dir/fake.err");
    chomp(my $port = <$fh>);
    return ($pid, $port);
}
sub stop_fake { my ($pid) = @_; kill 'TERM', $pid; waitpid $pid, 0 }
END { kill 'TERM', @fakes if @fakes; InviteCtl::drop_database($own) if $own }

my ($fake, $port) = fake('--data', "$dir/data.json");
my $url = "mongodb://127.0.0.1:$port/rocketchat?replicaSet=rs0";
spew("$dir/sync.conf", "# test\nmongo_url = $url\n");
chmod 0600, "$dir/sync.conf";
my @CONF = ('--config', "$dir/sync.conf");

# ------------------------------------------------------------ usage
($rc, $out, $err) = InviteCtl::run($sync, $dir, '--help');
is($rc, 0, '--help: exit 0');
like($out, qr/^Usage: invite-sync \[-f HTTPD_CONF \| --driver NAME --params DBDPARAMS\]/m, '--help: the usage');
like($out, qr/--backoff-max SECS/, '--help: every option');
($rc, $out, $err) = InviteCtl::run($sync, $dir, '--version');
like($out, qr/^invite-sync \S+\nschema version \d+\nlibmongoc 1\.\d+\.\d+$/, '--version');
for my $bad (
    [['--bogus'], qr/unknown option '--bogus'/, 'an unknown option'],
    [['--heartbeat', 0, @DB], qr/--heartbeat takes 1 to 3600 seconds/, 'a bad --heartbeat'],
    [['--batch', 'x', @DB], qr/--batch takes 1 to 100000 events/, 'a bad --batch'],
    [['--heartbeat', 10, '--lease', 10, @DB], qr/--lease \(10 s\) must be longer than --heartbeat/,
     'a lease no longer than the heartbeat'],
    [['--once', '--status', @DB], qr/--once and --status do not go together/, '--once with --status'],
    [['--once'], qr/no database: give -f HTTPD_CONF or --driver NAME --params PARAMS/, 'no database'],
    [['--driver'], qr/--driver needs a value/, 'an option without its value'],
) {
    my ($args, $re, $name) = @$bad;
    ($rc, $out, $err) = InviteCtl::run($sync, $dir, @$args);
    is($rc, 2, "usage: $name: exit 2");
    like($err, $re, "usage: $name: said");
}
# -f: DBDriver and DBDParams from an Apache configuration, as invitectl -f.
spew("$dir/httpd.conf", "Define DBDIR $dir\nDBDriver $engine\nDBDParams \"$own->{params}\"\n");
($rc, $out, $err) = InviteCtl::run($sync, $dir, '-f', "$dir/httpd.conf", '--config', "$dir/none.conf", '--status');
is($rc, 1, '-f: read (--status on the database it names)');
like($err, qr/cannot read the settings file \S+none\.conf/, '--config FILE must exist');
($rc, $out, $err) = InviteCtl::run($sync, $dir, '-f', "$dir/httpd.conf", '--status');
like($out, qr/^last_ok_at: never$/m, '-f: --status on the database it names');

# ------------------------------------------------------------ --status
($rc, $out, $err) = InviteCtl::run($sync, $dir, @DB, @CONF, '--status');
is($rc, 1, '--status before any sync: exit 1') or diag($err);
like($out, qr/^last_ok_at: never$/m, '--status: never synced');
like($out, qr/^outbox: 0 pending$/m, '--status: the outbox');

# ------------------------------------------------------------ --once
my $t0 = time;
($rc, $out, $err) = InviteCtl::run($sync, $dir, @DB, @CONF, '--once');
is($rc, 0, '--once: exit 0') or diag($err);
like($err, qr/^invite-sync: INV\d{5}: copy: users: 3 rows copied, \d+ skipped, [\d.]+ s, \d+ rows\/s$/m,
     '--once: progress of users, with the rate');
like($err, qr/^invite-sync: INV\d{5}: copy: $_: \d+ rows copied/m, "--once: progress of $_")
    for qw(rocketchat_room rocketchat_subscription rocketchat_permissions);
like($err, qr/^invite-sync: INV\d{5}: full copy done in [\d.]+ s/m, '--once: the end of the copy');
unlike($err, qr/notarealhash|alice\@example|aGFzaGVk/, '--once: no secret, hash or e-mail in the log');

is(col('SELECT id FROM users ORDER BY id'), 'uAlice uBob uGone', 'SQL: the users');
is(col('SELECT username FROM users ORDER BY id'), 'alice bob gone', 'SQL: their usernames');
is(col("SELECT role FROM user_roles WHERE user_id = 'uAlice' ORDER BY role"), 'admin user',
   'SQL: alice\'s roles');
is(val("SELECT count(*) FROM login_tokens WHERE user_id = 'uAlice'"), 2, 'SQL: alice\'s two tokens');
is(val("SELECT count(*) FROM login_tokens WHERE user_id = 'uGone'"), 0,
   'SQL: an inactive user has no token');
is(col('SELECT id FROM rooms ORDER BY id'), 'GENERAL rDisc rPriv', 'SQL: the rooms');
is(col('SELECT t FROM rooms ORDER BY id'), 'c p p', 'SQL: their types');
is(col("SELECT user_id || '/' || rid FROM subscriptions ORDER BY user_id, rid"),
   'uAlice/GENERAL uBob/GENERAL uBob/rPriv', 'SQL: the subscriptions (the one of a missing room skipped)');
is(col("SELECT role FROM permission_roles WHERE permission = 'create-invite-links' ORDER BY role"),
   'admin owner', 'SQL: the roles of a permission');
is(val("SELECT value FROM sync_state WHERE key = 'source'"), 'rs0/rocketchat', 'SQL: the source');
my $token = val("SELECT value FROM sync_state WHERE key = 'resume_token'");
like($token // '', qr/^\{ "_data" : "82[0-9A-F]{16}" \}$/, 'SQL: the resume point, canonical Extended JSON');
cmp_ok(val("SELECT value FROM sync_state WHERE key = 'last_full_copy_at'") // 0, '>=', int($t0 * 1000) - 1000,
       'SQL: last_full_copy_at');

# What it asked: one line per command in the fake's log.
my @log = map { JSON::PP::decode_json($_) } split /\n/, InviteCtl::slurp("$dir/mongo.log");
my ($hello) = grep { ($_->{cmd} // '') =~ /^(?:hello|isMaster|ismaster)$/ && $_->{doc}{client} } @log;
is($hello && $hello->{doc}{client}{application}{name}, 'invite-sync', 'handshake: appname invite-sync');
my ($agg) = grep { $_->{cmd} eq 'aggregate' } @log;
my $cs = $agg ? $agg->{doc}{pipeline}[0]{'$changeStream'} : {};
is($cs->{fullDocument}, 'updateLookup', 'stream: fullDocument updateLookup');
ok(!exists $cs->{startAfter}, 'stream: the copy opens it without a token');
my ($proj) = grep { $_->{'$project'} } @{ $agg ? $agg->{doc}{pipeline} : [] };
is_deeply([sort grep { !$proj->{'$project'}{$_} } keys %{ $proj->{'$project'} || {} }],
          ['fullDocument.emails', 'fullDocument.services.password', 'updateDescription'],
          'stream: $project drops the update description, password hashes, e-mails');
my %finds = map { $_->{doc}{find} => $_->{doc}{projection} } grep { $_->{cmd} eq 'find' } @log;
is_deeply([sort keys %finds], [qw(rocketchat_permissions rocketchat_room rocketchat_subscription users)],
          'copy: a find per collection');
ok(!grep({ !$_ || exists $_->{emails} || exists $_->{'services.password'} || exists $_->{services} } values %finds),
   'copy: each with a projection, none with e-mails or passwords');

($rc, $out, $err) = InviteCtl::run($sync, $dir, @DB, @CONF, '--status');
is($rc, 0, '--status after the copy: exit 0') or diag($err);
like($out, qr/^source: rs0\/rocketchat$/m, '--status: source');
like($out, qr/^last_ok_at: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/m, '--status: last_ok_at');
like($out, qr/^lag: \d+ s$/m, '--status: lag');
like($out, qr/^outbox: 0 pending$/m, '--status: outbox');

# ------------------------------------------------------------ refusals
chmod 0644, "$dir/sync.conf";
($rc, $out, $err) = InviteCtl::run($sync, $dir, @DB, @CONF, '--once');
is($rc, 1, 'a settings file others may read: exit 1');
like($err, qr/refused: the settings file \S+ is readable by group or others/, '... and why');
unlike($err, qr/127\.0\.0\.1:$port/, '... without its contents');
chmod 0600, "$dir/sync.conf";

{
    local $ENV{INVITE_SYNC_MONGO_URL} = 'mongodb://sync:hunter2@127.0.0.1:1/rocketchat?replicaSet=rs0&connectTimeoutMS=500&serverSelectionTimeoutMS=500';
    ($rc, $out, $err) = InviteCtl::run($sync, $dir, @DB, @CONF, '--once');
    is($rc, 1, 'MongoDB unreachable with --once: exit 1');
    like($err, qr{mongodb://sync:\*\*\*\@127\.0\.0\.1:1/}, '... the URL shown without its password');
    unlike($err, qr/hunter2/, '... the password never');
}

my ($alone, $alone_port) = fake('--set-name', '', '--data', "$dir/data.json");
{
    local $ENV{INVITE_SYNC_MONGO_URL} = "mongodb://127.0.0.1:$alone_port/rocketchat";
    ($rc, $out, $err) = InviteCtl::run($sync, $dir, @DB, @CONF, '--once');
    is($rc, 1, 'not a replica-set member: exit 1');
    like($err, qr/not a replica-set member \(hello gives no setName\)/, '... and why');
}
stop_fake($alone);

# ------------------------------------------------------------ following
sub spawn_sync {
    my ($tag, @args) = @_;
    my $pid = fork // die;
    if (!$pid) {
        open STDOUT, '>', "$dir/$tag.out";
        open STDERR, '>', "$dir/$tag.err";
        exec $sync, @args or POSIX::_exit(127);
    }
    return $pid;
}
sub wait_for { my ($cond, $secs) = @_; my $end = time + $secs; while (time < $end) { return 1 if $cond->(); sleep 0.1 } $cond->() }
sub stop_sync { my ($pid) = @_; kill 'TERM', $pid; waitpid $pid, 0; $? >> 8 }

stop_fake($fake);
spew("$dir/events.json", <<'JSON');
[{"operationType": "update", "ns": {"db": "rocketchat", "coll": "users"}, "documentKey": {"_id": "uBob"},
  "fullDocument": {"_id": "uBob", "username": "bob", "roles": ["user"], "active": true,
   "services": {"resume": {"loginTokens": [
     {"hashedToken": "aGFzaGVkLWJvYg==", "when": {"$date": "2026-12-02T10:00:00Z"}},
     {"hashedToken": "bmV3LWJvYg==", "when": {"$date": "2026-12-07T10:00:00Z"}}]}}}},
 {"operationType": "delete", "ns": {"db": "rocketchat", "coll": "rocketchat_subscription"},
  "documentKey": {"_id": "sB2"}},
 {"operationType": "insert", "ns": {"db": "rocketchat", "coll": "rocketchat_room"}, "documentKey": {"_id": "rNew"},
  "fullDocument": {"_id": "rNew", "t": "c", "name": "new-room"}}]
JSON
($fake, $port) = fake('--data', "$dir/data.json", '--events', "$dir/events.json");
spew("$dir/sync.conf", "mongo_url = mongodb://127.0.0.1:$port/rocketchat?replicaSet=rs0\noutbox = off\n");
my $pid = spawn_sync('follow', @DB, @CONF, '--heartbeat', 1, '--lease', 5);
ok(wait_for(sub { val("SELECT count(*) FROM rooms WHERE id = 'rNew'") }, 15),
   'follow: the events arrive') or diag(InviteCtl::slurp("$dir/follow.err"));
is(val("SELECT count(*) FROM login_tokens WHERE user_id = 'uBob'"), 2, 'follow: a login (update) adds a token');
is(val("SELECT count(*) FROM subscriptions WHERE user_id = 'uBob' AND rid = 'rPriv'"), 0,
   'follow: a subscription delete (documentKey only) removes it');
my $token2 = val("SELECT value FROM sync_state WHERE key = 'resume_token'");
isnt($token2, $token, 'follow: the resume point moved with the events');
my @agg = grep { $_->{cmd} eq 'aggregate' } map { JSON::PP::decode_json($_) } split /\n/, InviteCtl::slurp("$dir/mongo.log");
is_deeply($agg[-1]{doc}{pipeline}[0]{'$changeStream'}{startAfter}, JSON::PP::decode_json($token),
          'follow: resumed with startAfter the stored token');

# A second daemon: refused with --no-wait while the first holds the lease.
($rc, $out, $err) = InviteCtl::run($sync, $dir, @DB, @CONF, '--no-wait');
is($rc, 3, 'second daemon with --no-wait: exit 3');
like($err, qr/the lease is held by \S+:$pid until /, '... naming the holder');

# The heartbeat: last_ok_at moves while idle.
my $ok1 = val("SELECT value FROM sync_state WHERE key = 'last_ok_at'");
ok(wait_for(sub { (val("SELECT value FROM sync_state WHERE key = 'last_ok_at'") // 0) > $ok1 }, 5),
   'follow: the heartbeat writes last_ok_at while idle');

# MongoDB goes away: reconnection with backoff (1 s, 2 s, ...), then the
# stream resumes from the stored token when it is back.
stop_fake($fake);
ok(wait_for(sub { InviteCtl::slurp("$dir/follow.err") =~ /trying again in 2 s/ }, 15),
   'MongoDB gone: backoff, doubling') or diag(InviteCtl::slurp("$dir/follow.err"));
like(InviteCtl::slurp("$dir/follow.err"), qr/^invite-sync: INV\d{5}: .*; trying again in 1 s$/m,
     'MongoDB gone: the first wait is 1 s');
spew("$dir/events2.json", <<'JSON');
[{"operationType": "replace", "ns": {"db": "rocketchat", "coll": "rocketchat_room"}, "documentKey": {"_id": "rNew"},
  "fullDocument": {"_id": "rNew", "t": "p", "name": "renamed-room"}}]
JSON
($fake) = fake('--port', $port, '--data', "$dir/data.json", '--events', "$dir/events2.json");
ok(wait_for(sub { (val("SELECT name FROM rooms WHERE id = 'rNew'") // '') eq 'renamed-room' }, 20),
   'MongoDB back: the stream resumes') or diag(InviteCtl::slurp("$dir/follow.err"));
my @agg2 = grep { $_->{cmd} eq 'aggregate' } map { JSON::PP::decode_json($_) } split /\n/, InviteCtl::slurp("$dir/mongo.log");
ok($agg2[-1]{doc}{pipeline}[0]{'$changeStream'}{startAfter}, 'MongoDB back: resumed with startAfter');

is(stop_sync($pid), 0, 'SIGTERM: exit 0');
like(InviteCtl::slurp("$dir/follow.err"), qr/^invite-sync: INV\d{5}: stopped$/m, 'SIGTERM: said');
is(val("SELECT count(*) FROM sync_lease WHERE owner LIKE ?", "%:$pid"), 0, 'SIGTERM: the lease is given back');

# Lost history: the stored token is refused (286): a full resync.
stop_fake($fake);
($fake, $port) = fake('--data', "$dir/data.json", '--history-lost');
spew("$dir/sync.conf", "mongo_url = mongodb://127.0.0.1:$port/rocketchat?replicaSet=rs0\noutbox = off\n");
my $copies = val("SELECT value FROM sync_state WHERE key = 'last_full_copy_at'");
$pid = spawn_sync('lost', @DB, @CONF, '--heartbeat', 1, '--lease', 5);
ok(wait_for(sub { (val("SELECT value FROM sync_state WHERE key = 'last_full_copy_at'") // 0) > $copies }, 15),
   'history lost: a full copy ran') or diag(InviteCtl::slurp("$dir/lost.err"));
is(stop_sync($pid), 0, 'history lost: SIGTERM, exit 0');
my $lost = InviteCtl::slurp("$dir/lost.err");
like($lost, qr/cannot resume the change stream from the stored point \(.*ChangeStreamHistoryLost\): full resync/,
     'history lost: said why');
is(val("SELECT count(*) FROM rooms WHERE id = 'rNew'"), 0, 'history lost: the copy replaced what the events had');
is(val("SELECT count(*) FROM subscriptions WHERE user_id = 'uBob' AND rid = 'rPriv'"), 1,
   'history lost: ... both ways');

undef $db;
done_testing();
