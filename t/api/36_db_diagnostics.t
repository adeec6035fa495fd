# SPDX-License-Identifier: Apache-2.0
# The database layer tells the operator what is wrong.  A database without
# mod_invite's schema, with another schema version, or (SQLite) a file or
# directory httpd cannot write is not temporary: a JSON 503 without
# Retry-After, and one error line naming the database (never a password)
# and the fix.  So are a -shm left read-only, a connection SQLite opened
# read-only (never a 500) and a file replaced under a connection (never a
# write acknowledged to the old file).  A database that cannot be reached
# keeps its 503 with Retry-After.  Start-up names the version and each server's database, and
# an unrelated mod_dbd consumer in another virtual host (mod_authn_dbd)
# works beside InviteDBD On in the main server.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use InviteTest;
use InviteSchema;
use Cwd qw(abs_path);
use File::Path qw(make_path remove_tree);
use MIME::Base64 qw(encode_base64);
use Time::HiRes qw(sleep);

plan tests => 73 + 7;

my $top = abs_path("$FindBin::Bin/../..");
# The schema version this build serves (include/invite_sql.h).
my ($V) = do { local (@ARGV, $/) = ("$top/include/invite_sql.h"); <> }
          =~ /^#define INVITE_SCHEMA_VERSION (\d+)$/m;
my $log = "$top/t/logs/error_log";
my $user = getpwuid($>);
my $engine = engine();
my $P = '/api/v1/findOrCreateInvite';
my $body = {rid => 'GENERAL', days => 1, maxUses => 0};

sub log_size { -s $log // 0 }

# The error log from byte $from on, once it holds a line matching $want
# (at most 5 s).
sub log_since {
    my ($from, $want) = @_;
    my $text = '';
    for (1 .. 50) {
        open my $fh, '<', $log or die "$log: $!";
        seek $fh, $from, 0;
        local $/;
        $text = <$fh> // '';
        return $text if $text =~ $want;
        sleep 0.1;
    }
    return $text;
}

# The error log from byte $from on, half a second after the requests.
sub log_now {
    my ($from) = @_;
    sleep 0.5;
    open my $fh, '<', $log or die "$log: $!";
    seek $fh, $from, 0;
    local $/;
    return <$fh> // '';
}

# A request to one of the test server's virtual hosts.
sub on_vhost {
    my ($vhost, $call) = @_;
    Apache::TestRequest::module($vhost);
    my $base = 'http://' . Apache::TestRequest::hostport();
    Apache::TestRequest::module('default');
    return $call->($base);
}
sub find_on {
    my ($vhost, %o) = @_;
    on_vhost($vhost, sub { api_post($P, $body, user => 'admin', url => "$_[0]$P", %o) });
}

# 503, JSON, and not temporary.
sub refused {
    my ($res, $name) = @_;
    is($res->code, 503, "$name: 503");
    like($res->header('Content-Type') // '', qr{^application/json}, "$name: JSON");
    is($res->header('Retry-After'), undef, "$name: no Retry-After (not temporary)");
}

# --- start-up: version and database -----------------------------------------
open my $fh, '<', $log or die $!;
my $startup = do { local $/; <$fh> };
close $fh;
my ($main_line) = $startup =~ /(INV00911: mod_invite 0\.9\.0: the main server \S+ uses database [^\n]*)/;
ok($main_line, 'start-up: the version and the main server\'s database') or diag($startup);
if ($engine eq 'pgsql') {
    like($main_line // '', qr/uses database host=\S+ port=\d+ dbname=invite user=invite \(pgsql\)$/,
         '... host, port, dbname and user');
}
else {
    like($main_line // '', qr{uses database \Q$top\E/t/var/invite\.db \(sqlite3\)$}, '... its path');
}
like($startup, qr/INV00911: mod_invite 0\.9\.0: virtual host \S+ uses database \S*no-such-directory\/invite\.db \(sqlite3\)/,
     '... and each virtual host\'s own database');
unlike($startup, qr/INV00911[^\n]*password/i, 'no password in the start-up lines');
unlike($startup, qr/INV00910/, 'no shared-pool warning: the authn_dbd virtual host has its own database');

# --- no schema --------------------------------------------------------------
my $at = log_size();
my $res;
{
    $res = find_on('invite_noschema');
}
refused($res, 'no schema');
like(json_of($res)->{error} // '', qr/not set up/, '... saying the database is not set up');
my $text = log_since($at, qr/INV00903/);
my $db_re = $engine eq 'pgsql'
    ? qr/host=\S+ port=\d+ dbname=invite user=invite \(pgsql\)/
    : qr/\Q$top\E\/t\/var\/diag\/noschema\.db \(sqlite3\)/;
like($text, qr/INV00903: database $db_re has no mod_invite schema(?: \([^)]*\))?: run "invitectl -d $engine -p \S.* init"/,
     'no schema: the database and the invitectl init line') or diag($text);
if ($engine eq 'sqlite3') {
    like($text, qr/INV00903: [^\n]*the file is empty: SQLite creates a file where DBDParams names none, so first check DBDParams for a mistyped path/,
         '... and, for the empty file SQLite made, to check the path first');
}
else {
    unlike($text, qr/the file is empty/, '... (PostgreSQL: nothing about files)');
}
unlike($text, qr/INV00102|no database connection/, '... not blamed on the connection');
$at = log_size();
{
    $res = find_on('invite_noschema');
}
is($res->code, 503, 'no schema: still 503 on the next request');
like(log_since($at, qr/INV00903/), qr/INV00903/, '... checked again (a fixed database serves without a restart)');

# --- other schema versions --------------------------------------------------
$at = log_size();
{
    $res = find_on('invite_oldschema');
}
refused($res, 'older schema');
like(log_since($at, qr/INV00905/),
     qr/INV00905: database \S.* has schema version 0, older than the $V this mod_invite 0\.9\.0 serves: run "invitectl -d $engine -p \S.* migrate"/,
     '... saying to run invitectl migrate');
$at = log_size();
{
    $res = on_vhost('invite_newschema', sub {
        api_post('/api/v1/validateInviteToken', {token => 'abcdef'}, url => "$_[0]/api/v1/validateInviteToken") });
}
refused($res, 'newer schema (validateInviteToken)');
like(log_since($at, qr/INV00904/),
     qr/INV00904: database \S.* has schema version 99, newer than the $V this mod_invite 0\.9\.0 serves: upgrade mod_invite/,
     '... saying to upgrade mod_invite');

# --- a SQLite database that is not there: not temporary ----------------------
$at = log_size();
$res = find_on('invite_nodb');
refused($res, 'a database in a directory that does not exist');
like(log_since($at, qr/INV00121/),
     qr/INV00121: no such database \S*no-such-directory\/invite\.db \(sqlite3\) \(no directory \S*\/no-such-directory\): correct DBDParams, or create it with "invitectl -d sqlite3 -p \S+ init"/,
     '... the log line says no such database, and which directory is missing');
my $rw_missing = "$top/t/var/no-such-file.db";
$at = log_size();
$res = find_on('invite_rwmissing');
refused($res, 'file:...?mode=rw naming no file');
like(log_since($at, qr/INV00121/),
     qr/INV00121: no such database file:\S*no-such-file\.db\?mode=rw \(sqlite3\) \(no file \Q$rw_missing\E\)/,
     '... no such database, naming the file');
ok(!-e $rw_missing, '... and SQLite created no file there');

# --- SQLite: a file or directory httpd cannot write --------------------------
sub sqlite_db {
    my ($file) = @_;
    my $d = DBI->connect("dbi:SQLite:dbname=$file", '', '', { RaiseError => 1, PrintError => 0 });
    $d->do($_) for InviteSchema::statements('sqlite3', $top);
    $d->do($_) for InviteTest::fixture_sql();
    $d->disconnect;   # the last connection removes -wal and -shm
}
my $rodir = "$top/t/var/rodir";
my $rofile = "$top/t/var/rofile";
my $roshm = "$top/t/var/roshm";
END {
    chmod 0755, $rodir, $rofile if $rodir;
    chmod 0644, "$rofile/invite.db" if $rofile;
    chmod 0644, glob("$roshm/invite.db*") if $roshm;
}
for my $d ($rodir, $rofile, $roshm) {
    chmod 0755, $d if -d $d;
    remove_tree($d);
    make_path($d);
    sqlite_db("$d/invite.db");
}
ok(!-e "$rodir/invite.db-wal" && !-e "$rodir/invite.db-shm", 'no -wal or -shm files beside the database');

chmod 0555, $rodir or die $!;
$at = log_size();
{
    $res = find_on('invite_rodir');
}
refused($res, 'a directory httpd cannot write');
$text = log_since($at, qr/INV00902/);
like($text, qr/INV00902: the directory \Q$rodir\E of database \Q$rodir\E\/invite\.db \(sqlite3\) cannot be written by user \Q$user\E.*run "chown \Q$user $rodir\E"/,
     '... naming the directory, the database, the user and the fix') or diag($text);
unlike($text, qr/readonly database/, '... instead of "attempt to write a readonly database"');
chmod 0755, $rodir or die $!;
$res = find_on('invite_rodir');
is($res->code, 200, 'directory made writable: the same connections serve, without a restart')
    or diag($res->content);
ok(json_of($res)->{_id}, '... an invite was created');

chmod 0444, "$rofile/invite.db" or die $!;
$at = log_size();
{
    $res = find_on('invite_rofile');
}
refused($res, 'a database file httpd cannot write');
$text = log_since($at, qr/INV00901/);
like($text, qr/INV00901: database \Q$rofile\E\/invite\.db \(sqlite3\) cannot be written by user \Q$user\E: run "chown \Q$user $rofile\E\/invite\.db && chmod u\+rw \Q$rofile\E\/invite\.db", then "apache2ctl graceful"/,
     '... naming the file, the user and the fix') or diag($text);
is(scalar(() = $text =~ /INV00903|INV0090[45]/g), 0, '... and no schema complaint');
{
    $res = on_vhost('invite_rofile', sub {
        api_post('/api/v1/validateInviteToken', {token => 'abcdef'}, url => "$_[0]/api/v1/validateInviteToken") });
}
is($res->code, 503, 'a read-only file: reads are refused too (not a 500 on the first create)');
chmod 0644, "$rofile/invite.db" or die $!;

# A kept-alive client: its requests go to one httpd process, and so to the
# database connection that process keeps in its pool (DBDKeep 1).
my $kept = LWP::UserAgent->new(keep_alive => 1);
sub find_kept {
    my ($vhost, %o) = @_;
    on_vhost($vhost, sub { api_post($P, {%$body, %o}, user => 'admin', url => "$_[0]$P", agent => $kept) });
}

# The file fixed, the connections SQLite opened while it was read-only
# stay read-only: "attempt to write a readonly database" is never a 500.
# (A 503 and its 500 both close the client's connection, so which process
# serves each write is not known: each that meets such a connection
# fails.)
for my $n (1, 5, 10, 25) {
    my $code = on_vhost('invite_rofile', sub {
        api_post($P, {%$body, maxUses => $n}, user => 'admin', url => "$_[0]$P") })->code;
    ok($code == 200 || $code == 503, "file fixed, write $n: 200 or 503, never 500 (got $code)");
}

# A connection SQLite keeps read-only, on every write: PRAGMA query_only
# in DBDInitSQL.  Reads pass; each write is a 503 naming the database.
my $qo = "$top/t/var/queryonly";
remove_tree($qo);
make_path($qo);
sqlite_db("$qo/invite.db");
$res = on_vhost('invite_queryonly', sub {
    api_post('/api/v1/validateInviteToken', {token => 'abcdef'}, url => "$_[0]/api/v1/validateInviteToken") });
isnt($res->code, 503, 'a read-only connection: reads pass');
$at = log_size();
$res = find_on('invite_queryonly');
refused($res, 'a read-only connection: a write');
$text = log_since($at, qr/INV00921/);
like($text, qr/INV00921: invite_create on database \Q$qo\E\/invite\.db \(sqlite3\) was refused \(attempt to write a readonly database\) although user \Q$user\E can write its files: this connection is read-only/,
     '... naming the statement, the database and the cause') or diag($text);

# SQLite gives the -wal and -shm it creates the database file's mode: read
# while the file was read-only, the database keeps a read-only -shm after
# the file is fixed as INV00901 says.  Reads would pass, every write fail.
chmod 0444, "$roshm/invite.db" or die $!;
{
    my $d = DBI->connect("dbi:SQLite:dbname=$roshm/invite.db", '', '', { RaiseError => 1, PrintError => 0 });
    $d->selectrow_array('SELECT count(*) FROM invites');
    $d->disconnect;
}
chmod 0644, "$roshm/invite.db" or die $!;
is(sprintf('%o', (stat "$roshm/invite.db-shm")[2] & 0777), '444', 'SQLite left a read-only -shm beside the fixed file');
$at = log_size();
$res = find_on('invite_roshm');
refused($res, 'a read-only -shm');
$text = log_since($at, qr/INV00901/);
like($text, qr/INV00901: database \Q$roshm\E\/invite\.db \(sqlite3\) cannot be written by user \Q$user\E: run "chown \Q$user\E [^"]*\Q$roshm\E\/invite\.db-shm && chmod u\+rw [^"]*\Q$roshm\E\/invite\.db-shm"/,
     '... naming the -shm in the fix') or diag($text);
unlike($text, qr/chown \S+ \Q$roshm\E\/invite\.db /, '... and not the database file, which is writable');
chmod 0644, glob("$roshm/invite.db*");
$res = find_on('invite_roshm');
is($res->code, 200, '-shm fixed: served without a restart') or diag($res->content);

# A backup restored over the file while httpd runs: the connections still
# have the old file open, and a write to it would be lost.
my $moved = "$top/t/var/moved";
remove_tree($moved);
make_path($moved);
sqlite_db("$moved/invite.db");
$res = on_vhost('invite_moved', sub {
    api_post('/api/v1/validateInviteToken', {token => 'abcdef'},
             url => "$_[0]/api/v1/validateInviteToken", agent => $kept) });
isnt($res->code, 503, 'replaced file: the kept-alive process opens its connection');
sqlite_db("$moved/backup.db");
rename "$moved/backup.db", "$moved/invite.db" or die $!;
$at = log_size();
$res = find_kept('invite_moved', days => 7);
refused($res, 'a write after the file was replaced');
$text = log_since($at, qr/INV00922/);
like($text, qr/INV00922: database \Q$moved\E\/invite\.db \(sqlite3\) was moved, deleted or replaced since this connection opened it, so its writes would go to the old file: refused; run "apache2ctl graceful"/,
     '... naming the database and the restart') or diag($text);
{
    my $d = DBI->connect("dbi:SQLite:dbname=$moved/invite.db", '', '', { RaiseError => 1, PrintError => 0 });
    is($d->selectrow_array('SELECT count(*) FROM invites'), 0, '... and nothing was written to the file at that path');
    $d->disconnect;
}
unlink "$moved/invite.db";
$res = find_kept('invite_moved', days => 15);
is($res->code, 503, 'a deleted file: 503 too, never a write acknowledged');

# --- a healthy database: the checks cost nothing per request -----------------
$at = log_size();
for (1 .. 5) {
    is(api_post($P, $body, user => 'admin')->code, 200, "the default server serves ($_)");
}
unlike(log_now($at), qr/INV009/, 'no diagnostics for a healthy database');

# --- another mod_dbd consumer in another virtual host -------------------------
my $private = sub { my ($b, @h) = @_; on_vhost('invite_authndbd', sub {
    Apache::TestRequest::user_agent(keep_alive => 0)->get("$_[0]/private", @h) }) };
sub basic { ('Authorization' => 'Basic ' . encode_base64(join(':', @_), '')) }
$at = log_size();
is($private->(undef)->code, 401, 'mod_authn_dbd virtual host: 401 without credentials');
is($private->(undef, basic('alice', 'wonderland'))->code, 200,
   '... 200 for its user: its pool prepares its own statements, not mod_invite\'s');
is($private->(undef, basic('alice', 'queen'))->code, 401, '... 401 for a wrong password');
$text = log_now($at);
unlike($text, qr/invite_find|failed to prepare|AH00632|DBD.*prepare/i,
       '... and no failed prepares on its connections') or diag($text);

# The whole run: never a password, whatever failed.
$startup = do { open my $f, '<', $log or die $!; local $/; <$f> };
if ($engine eq 'pgsql') {
    unlike($startup, qr/INV00[19]\d\d[^\n]*(?:password|options=)/, 'no password or options in any INV line');
}
else {
    ok(1, 'no password on sqlite3');
}
my $mod_lines = () = $startup =~ /INV0090[1-6]/g;
cmp_ok($mod_lines, '>=', 6, 'every diagnostic above was logged');
