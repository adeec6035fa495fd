# SPDX-License-Identifier: Apache-2.0
# Schema migration from a database of the first schema (version 1, from
# before schema versions: t/data/schema-v1-<engine>.sql, the schema files
# as they were) to the version this build serves, with invitectl's
# built-in migrations, on the engine of the suite:
#   - before: mod_invite answers a JSON 503 and logs what to run; init
#     refuses the database;
#   - migrate records version 1, applies each step (SQLite: 002 makes every
#     table WITHOUT ROWID, 003 widens invites_live_lookup to hold a find
#     answer) and says so; every row of every table stays as it was, the
#     indexes are there again with the columns of the newest schema, the
#     foreign keys still cascade;
#   - after: invitectl check passes and mod_invite finds the invite made
#     before the migration.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use InviteTest;
use InviteCtl;
use DBI;
use File::Temp qw(tempdir);
use Time::HiRes ();

my $engine = engine();
plan tests => ($engine eq 'sqlite3' ? 31 + 12 : 30 + 10) + 4;

my $top = "$FindBin::Bin/..";
my $ctl = "$top/build/invitectl";
my $dir = tempdir(CLEANUP => 1);
my $now = int(Time::HiRes::time() * 1000);
my ($V) = do { local (@ARGV, $/) = ("$top/include/invite_sql.h"); <> }
          =~ /^#define INVITE_SCHEMA_VERSION (\d+)$/m;
my @TABLES = qw(users user_roles login_tokens rooms subscriptions
                subscription_roles permission_roles invites);

sub slurp { InviteCtl::slurp(@_) }
sub ctl { InviteCtl::run($ctl, $dir, @_) }

# A database of this file's own, and the mod_dbd lines that reach it.
my $own = InviteCtl::own_database($engine, $engine eq 'pgsql' ? "invite_migrate_$$" : 'v1', $dir);
my @DB = @{ $own->{db} };
my $dbd = $engine eq 'pgsql' ? qq{DBDriver pgsql\nDBDParams "$own->{params}"}
                             : "DBDriver sqlite3\nDBDParams $own->{params}";
my $dbh = $own->{connect}->();
my @hosts;
my ($live, $live_dbh);
END {
    InviteTest::stop_second_host($_) for @hosts;
    undef $dbh;
    undef $live_dbh;
    InviteCtl::drop_database($own) if $own;
    InviteCtl::drop_database($live) if $live;
}

# Every row of every table, sorted: what the migration must keep.
sub snapshot {
    my %rows;
    for my $t (@TABLES) {
        my $r = $dbh->selectall_arrayref("SELECT * FROM $t");
        $rows{$t} = [sort map { join "\x1f", map { $_ // '<NULL>' } @$_ } @$r];
    }
    return \%rows;
}

# ------------------------------------------- a database of the first schema
my ($uid, $token, $rid) = ('migrateUser00001', 'migrate-token-1', 'MIGRATEROOM');
# The first schema, and an admin of one room with a login token.
sub first_schema {
    my ($dbh) = @_;
    my $sql = slurp("$top/t/data/schema-v1-$engine.sql");
    $sql = join '', grep { !/^\s*--/ } split /^/m, $sql;
    $sql =~ s/--[^\n]*//g;
    $dbh->do($_) for grep { /\S/ } split /;\s*(?:\n|$)/, $sql;
    $dbh->do("INSERT INTO users (id, username) VALUES (?, 'migrate.admin')", undef, $uid);
    $dbh->do("INSERT INTO user_roles (user_id, role) VALUES (?, 'admin'), (?, 'user')", undef, $uid, $uid);
    $dbh->do('INSERT INTO login_tokens (user_id, hashed_token, created_at) VALUES (?, ?, ?), (?, ?, NULL)',
             undef, $uid, token_hash($token), $now, $uid, token_hash('another-token'));
    $dbh->do("INSERT INTO rooms (id, t, name) VALUES (?, 'c', 'migrated')", undef, $rid);
    $dbh->do('INSERT INTO subscriptions (user_id, rid) VALUES (?, ?)', undef, $uid, $rid);
    $dbh->do("INSERT INTO subscription_roles (user_id, rid, role) VALUES (?, ?, 'owner')", undef, $uid, $rid);
}
first_schema($dbh);
my $insert = 'INSERT INTO invites (id, days, max_uses, rid, user_id, created_at, expires,'
           . ' uses, updated_at, slot) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
$dbh->do($insert, undef, 'Mig001', 7, 5, $rid, $uid, $now - 1000, $now + 7 * 86400000, 0, $now - 1000, 1);
$dbh->do($insert, undef, 'Mig002', 1, 5, $rid, $uid, $now - 9000, $now + 86400000, 5, $now - 500, undef);
my $before = snapshot();
is(scalar(@{ $before->{invites} }), 2, 'a first-schema database with two invites');

# --------------------------------------------------------------- before
my $create = { rid => $rid, days => 7, maxUses => 5 };
my $host = InviteTest::start_second_host($top, name => "migrate-$engine", db => $dbd);
push @hosts, $host;
my $url = "http://127.0.0.1:$host->{port}/api/v1/findOrCreateInvite";
my $res = api_post(undef, $create, user => [$uid, $token], url => $url);
is($res->code, 503, 'mod_invite on the first schema: 503');
is($res->header('Retry-After'), undef, '... without Retry-After (it is not temporary)');
like(slurp("$host->{dir}/error_log"), qr/INV00903: .* from before schema versions, run "invitectl -d \Q$engine\E -p .* migrate"/,
     '... and the log says to run invitectl migrate');
InviteTest::stop_second_host($host);
@hosts = ();

my ($rc, $out, $err) = ctl(@DB, 'init');
is($rc, 1, 'init refuses the database');
like($err, qr/^invitectl: the database holds mod_invite's tables from before schema versions: run 'invitectl migrate'$/,
     '... saying to migrate');
($rc, $out, $err) = ctl(@DB, 'migrate', '--status');
like($out, qr/^schema version: 1\n(?:.*\n)*pending: 002-without-rowid\.sql\n/,
     'migrate --status: version 1, 002 pending') or diag($err);

# -------------------------------------------------------------- migrate
($rc, $out, $err) = ctl(@DB, 'migrate');
is($rc, 0, 'migrate: exit 0') or diag($err);
my $steps = $V - 1;
like($out, qr/^recorded schema version 1: the database predates schema versions\n(?:applied \d{3}-[\w-]+\.sql: schema version \d+\n){$steps}schema version $V: up to date\nrunning servers take the new schema up on their next request: no restart needed\n\z/,
     'migrate: version 1 recorded, then each step, then what happens next');
# (On SQLite, a warning that Apache's user, www-data, cannot reach the
# test's directory: t/invitectl.t checks it.)
is($err =~ s/^invitectl: (?:warning|fix it with): .*\n//mgr, '', '... nothing else on stderr');
is(join(' ', @{ $dbh->selectcol_arrayref('SELECT version FROM schema_version ORDER BY version') }),
   join(' ', 1 .. $V), 'schema_version: every step recorded');
my $after = snapshot();
# What the steps add to the rows: 004 gives each subscription a status
# (NULL: not banned) and grants bulk-register-user to admin.
my %added = (subscriptions => sub { map { "$_\x1f<NULL>" } @_ },
             permission_roles => sub { sort @_, "bulk-register-user\x1fadmin" });
is_deeply($after->{$_}, [ $added{$_} ? $added{$_}->(@{ $before->{$_} }) : @{ $before->{$_} } ],
          "$_: every row as it was" . ($added{$_} ? ', with what 004 adds' : '')) for @TABLES;

if ($engine eq 'sqlite3') {
    my $rowid = $dbh->selectcol_arrayref(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
      . " AND sql NOT LIKE '%WITHOUT ROWID'");
    is("@$rowid", '', 'SQLite: every table WITHOUT ROWID');
}
else {
    is($dbh->selectrow_array("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"),
       scalar(@TABLES) + 1 + 4, 'PostgreSQL: the same tables, schema_version and 005\'s four sync tables');
}
# 005 adds invite-sync's tables and the join outbox, empty.
for my $t (qw(sync_state sync_lease sync_subscription_ids join_outbox)) {
    is($dbh->selectrow_array("SELECT count(*) FROM $t"), 0, "005: $t made, empty");
}
my $indexes = $engine eq 'pgsql'
    ? $dbh->selectcol_arrayref("SELECT indexname FROM pg_indexes WHERE tablename = 'invites' AND indexname LIKE 'invites_%' AND indexname <> 'invites_pkey' ORDER BY 1")
    : $dbh->selectcol_arrayref("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'invites' AND name LIKE 'invites_%' ORDER BY 1");
is("@$indexes", 'invites_by_creator_settings invites_live_lookup', "invites' indexes made again");
if ($engine eq 'sqlite3') {
    my $columns = $dbh->selectcol_arrayref("SELECT name FROM pragma_index_info('invites_live_lookup') ORDER BY seqno");
    is("@$columns", 'user_id rid days max_uses created_at id expires uses updated_at',
       'SQLite: invites_live_lookup holds a find answer (003)');
}

($rc, $out, $err) = ctl(@DB, 'check');
is($rc, 0, 'invitectl check passes on the migrated database') or diag("$out$err");
($rc, $out) = ctl(@DB, 'migrate');
is($out, "schema version $V: up to date\n", 'migrate again: nothing to do');

# ---------------------------------------------------------------- after
$host = InviteTest::start_second_host($top, name => "migrate-$engine-after", db => $dbd);
push @hosts, $host;
$url = "http://127.0.0.1:$host->{port}/api/v1/findOrCreateInvite";
$res = api_post(undef, $create, user => [$uid, $token], url => $url);
is($res->code, 200, 'mod_invite on the migrated database: 200') or diag($res->content);
is((json_of($res) || {})->{_id}, 'Mig001', '... the invite made before the migration');
$res = api_post(undef, { rid => $rid, days => 1, maxUses => 5 }, user => [$uid, $token], url => $url);
my $new = (json_of($res) || {})->{_id} // '';
ok($res->code == 200 && $new ne 'Mig002' && length($new) == 6,
   'a used-up invite is replaced by a new one') or diag($res->code, ' ', $res->content);
is($dbh->selectrow_array('SELECT slot FROM invites WHERE id = ?', undef, $new), 1, '... holding the slot');
is(api_post(undef, $create, user => [$uid, 'wrong-token'], url => $url)->code, 401,
   'a wrong token: 401');

# The foreign keys still cascade: invitectl deletes the user.
($rc, $out, $err) = ctl(@DB, 'user', 'del', $uid);
is($rc, 0, 'invitectl user del') or diag($err);
is($dbh->selectrow_array(
       'SELECT (SELECT count(*) FROM user_roles) + (SELECT count(*) FROM login_tokens)'
     . ' + (SELECT count(*) FROM subscriptions) + (SELECT count(*) FROM subscription_roles)'),
   0, "... and its roles, tokens, subscriptions and room roles go with it");

# ------------------------------------------ migrated while httpd serves
# A database of schema version 2 (the first schema with step 002 only)
# under a running server: 503 until invitectl migrate, then 200 from the
# same children, whose connections notice the changed schema, check its
# version again and prepare their statements afresh, with no restart.
$live = InviteCtl::own_database($engine, $engine eq 'pgsql' ? "invite_live_$$" : 'live', $dir);
my @LIVE = @{ $live->{db} };
$live_dbh = $live->{connect}->();
first_schema($live_dbh);
my $steps_dir = "$dir/only-002";
mkdir $steps_dir or die $!;
my ($step2) = glob("$top/conf/migrations/$engine/002-*.sql");
system('cp', $step2, "$steps_dir/") == 0 or die "cp $step2";
($rc, $out, $err) = ctl(@LIVE, 'migrate', '--migrations', $steps_dir);
like($out, qr/schema version 2: up to date\n/, 'a database of schema version 2') or diag($err);
$dbd = $engine eq 'pgsql' ? qq{DBDriver pgsql\nDBDParams "$live->{params}"}
                          : "DBDriver sqlite3\nDBDParams $live->{params}";
$host = InviteTest::start_second_host($top, name => "migrate-$engine-live", db => $dbd);
push @hosts, $host;
$url = "http://127.0.0.1:$host->{port}/api/v1/findOrCreateInvite";
# Enough requests for every connection of both children to serve some.
sub statuses {
    join ' ', map { api_post(undef, $create, user => [$uid, $token], url => $url)->code } 1 .. 12;
}
my $all_200 = join ' ', ('200') x 12;
my $all_503 = join ' ', ('503') x 12;
is(statuses(), $all_503, 'schema version 2 under a running server: 503');
like(slurp("$host->{dir}/error_log"), qr/INV00905: .* has schema version 2, older than the $V/,
     '... saying so');
($rc, $out, $err) = ctl(@LIVE, 'migrate');
like($out, qr/schema version $V: up to date\n/, 'invitectl migrate while httpd runs') or diag($err);
like($out, qr/running servers take the new schema up on their next request: no restart/,
     '... saying what happens next');
is(statuses(), $all_200, 'the same server answers 200 at once, without a restart');
# The schema changed under connections that served: they carry on.
if ($engine eq 'pgsql') {
    # A column of every find's answer changes type.
    $live_dbh->do('ALTER TABLE invites ALTER COLUMN uses TYPE bigint');
}
else {
    $live_dbh->do($_) for 'CREATE TABLE invite_probe (x INTEGER)', 'DROP TABLE invite_probe';
}
# A statement that fails inside a transaction takes the transaction with
# it: that request gets the 503 with Retry-After, its connection's next
# one is served.
my @first = map { my $res = api_post(undef, $create, user => [$uid, $token], url => $url);
                  $res->code == 503 && !defined $res->header('Retry-After') ? 'no-retry' : $res->code } 1 .. 12;
ok(!grep({ $_ ne '200' && $_ ne '503' } @first),
   'a schema changed under set-up connections: 200, or 503 with Retry-After, never a 500') or diag("@first");
is(statuses(), $all_200, '... then 200 from every connection');
unlike(slurp("$host->{dir}/error_log"), qr/INV00103/, '... and never a failed statement in the log');
like(slurp("$host->{dir}/error_log"), qr/INV00120: \w+: the schema of .* changed under this connection's statements/,
     '... as the connections noticed and said');
if ($engine eq 'sqlite3') {
    # A newer version under set-up connections: refused as at start.
    $live_dbh->do($_) for 'INSERT INTO schema_version VALUES (99, 0)',
                          'CREATE TABLE invite_probe (x INTEGER)', 'DROP TABLE invite_probe';
    is(statuses(), $all_503, 'a newer schema version under set-up connections: 503');
    like(slurp("$host->{dir}/error_log"), qr/INV00904: .* has schema version 99, newer than/,
         '... saying to upgrade mod_invite');
}
InviteTest::stop_second_host($host);
