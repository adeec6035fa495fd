#!/usr/bin/perl
# SPDX-License-Identifier: Apache-2.0
# scripts/import-rocketchat.pl on small mongoexport samples: the SQL it
# writes is loaded into a fresh SQLite database built from
# conf/schema-sqlite3.sql and every table is compared row by row.  Also:
# loading twice changes nothing, --replace revokes, a broken export writes
# no data and no secret, and (when the Apache::Test pgsql run provides a
# cluster) the pgsql output gives the same rows in PostgreSQL.
use strict;
use warnings;
use Test::More;
use FindBin;
use File::Temp qw(tempdir);
use DBI;
use lib "$FindBin::Bin/lib";
use InviteSchema ();

my $top    = "$FindBin::Bin/..";
my $script = "$top/scripts/import-rocketchat.pl";
my $dir    = tempdir(CLEANUP => 1);

# ------------------------------------------------------------ samples
# Written exactly as mongoexport 100.x prints them: relaxed dates, trimmed
# fractions (Go drops trailing zeros), canonical $date/$number* wrappers.

# Hashed tokens: printf %s TOKEN | openssl dgst -sha256 -binary | base64
my %HASH = (
    'token-a'            => 'pwv1DlMc4agXVh8vXVtmRdToBr7PWMzF6M9rgEWgkKg=',
    'token-b'            => 'SeK7fqtUzwm0Cf+v0/qKipVaYOuXL6rK777T29MgcTI=',
    'pat-token'          => 'INgcBaAS0reTOGHUkTCjy0DSHC0XHhIgrq31OoS5WW4=',
    'legacy-plain-token' => 'MpJtL08xfUZx1SslzFGkw61tDAFzaVhH4E4Pe6799ns=',
    'gone-token'         => 'HpnDD9OXzlo4lqG/HeVdInWP1VAKgh9uclzalGtJv9I=',
    'old-hashed'         => 'epfRkPWuHhSp8tt0qhbcDJDZR/t0KHwpqsrl428DYGw=',
);

my $USERS = <<'JSON';
{"_id":"adminUser00000001","username":"admin","roles":["admin","user"],"active":true,"type":"user","createdAt":{"$date":"2019-03-01T10:00:00Z"},"services":{"password":{"bcrypt":"$2b$10$notarealhashnotarealhashnotarealhashnotarealhash"},"resume":{"loginTokens":[{"when":{"$date":"2020-07-21T09:32:09.563Z"},"hashedToken":"pwv1DlMc4agXVh8vXVtmRdToBr7PWMzF6M9rgEWgkKg="},{"when":{"$date":{"$numberLong":"1595323929999"}},"hashedToken":"SeK7fqtUzwm0Cf+v0/qKipVaYOuXL6rK777T29MgcTI="},{"hashedToken":"INgcBaAS0reTOGHUkTCjy0DSHC0XHhIgrq31OoS5WW4=","type":"personalAccessToken","createdAt":{"$date":"2021-01-01T00:00:00Z"},"lastTokenPart":"Z0kKgA","name":"ci bot","bypassTwoFactor":false}]}},"utcOffset":{"$numberInt":"2"}}
{"_id":"plainUser00000001","username":"plain","roles":["user"],"active":true,"type":"user","utcOffset":{"$numberLong":"0"}}
{"_id":"legacyUser0000001","username":"old.timer","roles":["user","user"],"services":{"resume":{"loginTokens":[{"when":{"$date":"2016-05-09T14:18:49.5Z"},"token":"legacy-plain-token"},{"when":{"$date":"2016-05-09T16:18:49.435+02:00"},"hashedToken":"epfRkPWuHhSp8tt0qhbcDJDZR/t0KHwpqsrl428DYGw="},{"when":{"$date":"2020-01-01T00:00:00Z"}}]}}}
{"_id":"goneUser000000001","username":"gone","roles":["admin"],"active":false,"services":{"resume":{"loginTokens":[{"when":{"$date":"2020-01-01T00:00:00Z"},"hashedToken":"HpnDD9OXzlo4lqG/HeVdInWP1VAKgh9uclzalGtJv9I="}]}}}
{"_id":"nonameUser0000001","roles":[],"services":{}}
{"_id":"nulUser0000000001","username":"bad\u0000name","roles":["admin"]}
{"username":"ghost","roles":["user"]}
JSON

my $ROOMS = <<'JSON';
{"_id":"GENERAL","t":"c","name":"general","default":true,"usersCount":{"$numberInt":"3"},"_updatedAt":{"$date":"2020-07-21T09:32:09.563Z"}}
{"_id":"privRoom000000001","t":"p","name":"o'brien's room","fname":"O'Brien's Room","u":{"_id":"adminUser00000001","username":"admin"}}
{"_id":"adminUser00000001plainUser00000001","t":"d","usernames":["admin","plain"],"uids":["adminUser00000001","plainUser00000001"]}
{"_id":"liveRoom000000001","t":"l","fname":"Caf\u00e9 visitor","v":{"_id":"visitor1","token":"visitor-token"}}
{"_id":"discRoom000000001","t":"p","name":"disc-1","fname":"Budget \\ talk :x","prid":"GENERAL"}
{"_id":"noTypeRoom0000001","name":"typeless"}
JSON

my $SUBSCRIPTIONS = <<'JSON';
{"_id":"s1","rid":"GENERAL","u":{"_id":"adminUser00000001","username":"admin"},"t":"c","roles":["owner","moderator"],"ts":{"$date":"2020-07-21T09:32:09.563Z"}}
{"_id":"s2","rid":"GENERAL","u":{"_id":"plainUser00000001","username":"plain"},"t":"c"}
{"_id":"s3","rid":"privRoom000000001","u":{"_id":"plainUser00000001","username":"plain"},"t":"p","roles":["moderator"]}
{"_id":"s4","rid":"adminUser00000001plainUser00000001","u":{"_id":"adminUser00000001","username":"admin"},"t":"d"}
{"_id":"s5","rid":"adminUser00000001plainUser00000001","u":{"_id":"plainUser00000001","username":"plain"},"t":"d","status":"ACTIVE"}
{"_id":"s6","rid":"discRoom000000001","u":{"_id":"legacyUser0000001","username":"old.timer"},"t":"p","roles":["owner"],"status":"BANNED"}
{"_id":"s7","rid":"GENERAL","u":{"_id":"ghostUser00000001","username":"ghost"},"t":"c","roles":["owner"]}
{"_id":"s8","rid":"GENERAL","u":{"_id":"nulUser0000000001"},"t":"c"}
{"_id":"s9","rid":"deletedRoom000001","u":{"_id":"adminUser00000001"},"t":"c","roles":["owner"]}
{"_id":"s10","rid":"noTypeRoom0000001","u":{"_id":"adminUser00000001"},"t":"c"}
{"_id":"s11","u":{"_id":"adminUser00000001"},"t":"c"}
JSON

my $PERMISSIONS = <<'JSON';
{"_id":"create-invite-links","roles":["admin","owner","leader"],"_updatedAt":{"$date":"2020-07-21T09:32:09.563Z"}}
{"_id":"view-room-administration","roles":["admin"],"_updatedAt":{"$date":{"$numberLong":"1595323929563"}}}
{"_id":"change-setting-Foo","level":"settings","groupPermissionId":"manage-selected-settings","roles":[]}
JSON

my $INVITES = <<'JSON';
{"_id":"Ab3dEf","days":{"$numberInt":"0"},"maxUses":{"$numberInt":"0"},"rid":"GENERAL","userId":"adminUser00000001","createdAt":{"$date":"2020-07-21T09:32:09.563Z"},"expires":null,"url":"https://chat.example.com/invite/Ab3dEf","uses":{"$numberInt":"2"},"_updatedAt":{"$date":"2020-07-22T10:00:00.001Z"}}
{"_id":"Xy9zW1","days":7,"maxUses":{"$numberLong":"25"},"rid":"privRoom000000001","userId":"plainUser00000001","createdAt":{"$date":{"$numberLong":"1609459200000"}},"expires":{"$date":{"$numberLong":"1610064000000"}},"url":"https://chat.example.com/invite/Xy9zW1","uses":0,"_updatedAt":{"$date":"2021-01-01T00:00:00Z"}}
{"_id":"Lp4Qr8","days":{"$numberDouble":"1.0"},"maxUses":1,"rid":"GENERAL","userId":"legacyUser0000001","createdAt":{"$date":"2024-02-28T23:59:59.9Z"},"expires":{"$date":"2024-02-29T23:59:59Z"}}
{"_id":"Bad001","days":1,"maxUses":"lots","rid":"GENERAL","userId":"adminUser00000001","createdAt":{"$date":"2024-02-28T23:59:59Z"},"expires":null}
JSON

sub write_file {
    my ($name, $text) = @_;
    open my $fh, '>:raw', "$dir/$name" or die "$dir/$name: $!";
    print $fh $text;
    close $fh or die $!;
    return "$dir/$name";
}

my %FILE = (
    users         => write_file('users.json', $USERS),
    rooms         => write_file('rocketchat_room.json', $ROOMS),
    subscriptions => write_file('rocketchat_subscription.json', $SUBSCRIPTIONS),
    permissions   => write_file('rocketchat_permissions.json', $PERMISSIONS),
    invites       => write_file('rocketchat_invites.json', $INVITES),
);
sub file_args {
    my (%over) = @_;
    my %f = (%FILE, %over);
    return map { ("--$_" => $f{$_}) } grep { defined $f{$_} } sort keys %f;
}

# ------------------------------------------------------------ helpers

# Runs the script; returns (exit status, stdout as UTF-8 text, stderr).
sub run_import {
    my (@args) = @_;
    my ($out, $err) = ("$dir/stdout", "$dir/stderr");
    open my $save_out, '>&', \*STDOUT or die $!;
    open my $save_err, '>&', \*STDERR or die $!;
    open STDOUT, '>', $out or die $!;
    open STDERR, '>', $err or die $!;
    my $rc = system $^X, $script, @args;
    open STDOUT, '>&', $save_out or die $!;
    open STDERR, '>&', $save_err or die $!;
    return ($rc >> 8, slurp($out, ':encoding(UTF-8)'), slurp($err, ':raw'));
}

sub slurp {
    my ($file, $layer) = @_;
    open my $fh, "<$layer", $file or die "$file: $!";
    local $/;
    return scalar <$fh>;
}

my $db_serial = 0;
sub fresh_sqlite {
    my $file = "$dir/invite-" . ++$db_serial . '.db';
    my $dbh = DBI->connect("dbi:SQLite:dbname=$file", '', '',
        { RaiseError => 1, PrintError => 0, AutoCommit => 1, sqlite_unicode => 1 });
    $dbh->do($_) for InviteSchema::statements('sqlite3', $top);
    return ($dbh, $file);
}

# The whole output in one go, the way the sqlite3 shell and psql read it.
sub load_sqlite {
    my ($dbh, $sql) = @_;
    local $dbh->{sqlite_allow_multiple_statements} = 1;
    return eval { $dbh->do($sql); 1 } ? '' : ($@ || 'failed');
}

my %COLUMNS = (
    users              => 'id, username',
    user_roles         => 'user_id, role',
    login_tokens       => 'user_id, hashed_token, created_at',
    rooms              => 'id, t, name, fname, prid',
    subscriptions      => 'user_id, rid, status',
    subscription_roles => 'user_id, rid, role',
    permission_roles   => 'permission, role',
    invites            => 'id, days, max_uses, rid, user_id, created_at, expires, uses, updated_at, slot',
);

# Every table's rows, sorted in Perl so that both engines compare alike.
sub dump_db {
    my ($dbh) = @_;
    my %d;
    for my $t (sort keys %COLUMNS) {
        my $rows = $dbh->selectall_arrayref("SELECT $COLUMNS{$t} FROM $t");
        $d{$t} = [ map { $_->[1] } sort { $a->[0] cmp $b->[0] }
                   map { [ join("\0", map { $_ // "\x{1}NULL" } @$_), [ map { defined ? "$_" : undef } @$_ ] ] } @$rows ];
    }
    return \%d;
}

# ------------------------------------------------------------ expectations

my ($ADMIN, $PLAIN, $LEGACY, $GONE, $NONAME) =
    qw(adminUser00000001 plainUser00000001 legacyUser0000001 goneUser000000001 nonameUser0000001);
my $DM = 'adminUser00000001plainUser00000001';

my %EXPECT = (
    users => [ [$ADMIN, 'admin'], [$GONE, 'gone'], [$LEGACY, 'old.timer'],
               [$NONAME, undef], [$PLAIN, 'plain'] ],
    user_roles => [ [$ADMIN, 'admin'], [$ADMIN, 'user'], [$GONE, 'admin'],
                    [$LEGACY, 'user'], [$PLAIN, 'user'] ],
    login_tokens => [ sort { $a->[0] cmp $b->[0] || $a->[1] cmp $b->[1] }
        [$ADMIN,  $HASH{'token-a'},            '1595323929563'],
        [$ADMIN,  $HASH{'token-b'},            '1595323929999'],
        [$ADMIN,  $HASH{'pat-token'},          undef],   # never expires
        [$LEGACY, $HASH{'legacy-plain-token'}, '1462803529500'],
        [$LEGACY, $HASH{'old-hashed'},         '1462803529435'] ],
    rooms => [ ['GENERAL', 'c', 'general', undef, undef],
               [$DM, 'd', undef, undef, undef],
               ['discRoom000000001', 'p', 'disc-1', 'Budget \\ talk :x', 'GENERAL'],
               ['liveRoom000000001', 'l', undef, "Caf\x{e9} visitor", undef],
               ['privRoom000000001', 'p', "o'brien's room", "O'Brien's Room", undef] ],
    # status: BANNED as Rocket.Chat 8.4 marks a banned member; any other
    # status is no ban.
    subscriptions => [ [$ADMIN, 'GENERAL', undef], [$ADMIN, $DM, undef],
                       [$LEGACY, 'discRoom000000001', 'BANNED'],
                       [$PLAIN, 'GENERAL', undef], [$PLAIN, $DM, undef],
                       [$PLAIN, 'privRoom000000001', undef] ],
    subscription_roles => [ [$ADMIN, 'GENERAL', 'moderator'], [$ADMIN, 'GENERAL', 'owner'],
                            [$LEGACY, 'discRoom000000001', 'owner'],
                            [$PLAIN, 'privRoom000000001', 'moderator'] ],
    # The seeded create-invite-links/moderator row is gone: Rocket.Chat's
    # document no longer grants it.  The seeded api-bypass-rate-limit rows
    # stay: the export has no document for it.
    permission_roles => [ ['api-bypass-rate-limit', 'admin'], ['api-bypass-rate-limit', 'app'],
                          ['api-bypass-rate-limit', 'bot'],
                          ['bulk-register-user', 'admin'],
                          ['create-invite-links', 'admin'], ['create-invite-links', 'leader'],
                          ['create-invite-links', 'owner'], ['view-room-administration', 'admin'] ],
    invites => [
        ['Ab3dEf', 0, 0, 'GENERAL', $ADMIN, '1595323929563', undef, 2, '1595412000001', undef],
        ['Lp4Qr8', 1, 1, 'GENERAL', $LEGACY, '1709164799900', '1709251199000', 0, '1709164799900', undef],
        ['Xy9zW1', 7, 25, 'privRoom000000001', $PLAIN, '1609459200000', '1610064000000', 0, '1609459200000', undef] ],
);
for my $rows (values %EXPECT) {     # compare as strings, like dump_db
    $_ = [ map { defined ? "$_" : undef } @$_ ] for @$rows;
}

sub check_tables {
    my ($got, $want, $label) = @_;
    is_deeply($got->{$_}, $want->{$_}, "$label: $_") for sort keys %COLUMNS;
}

# ------------------------------------------------------------ the import

my ($rc, $sql, $err) = run_import(file_args());
is($rc, 0, 'import exits 0');
like($sql, qr/\APRAGMA foreign_keys = ON;\nPRAGMA busy_timeout = \d+;\nBEGIN IMMEDIATE;\n/,
     'sqlite3 output opens one transaction');
like($sql, qr/\nCOMMIT;\n\z/, 'and commits it at the end');
is(scalar(() = $sql =~ /^(?:BEGIN|COMMIT)\b/mg), 2, 'exactly one BEGIN and one COMMIT');
my @inserts = $sql =~ /^INSERT .*$/mg;
is(scalar(grep { !/ ON CONFLICT DO NOTHING;\z/ } @inserts), 0,
   'every INSERT is ON CONFLICT DO NOTHING') or diag $sql;
like($sql, qr/'o''brien''s room'/, 'single quotes are doubled in literals');

my ($dbh) = fresh_sqlite();
is(load_sqlite($dbh, $sql), '', 'the output loads into a fresh SQLite database');
my $first = dump_db($dbh);
check_tables($first, \%EXPECT, 'first load');

# The summary: counts per table and every skip with its reason.
my %count = $err =~ /^  (\w+) +(\d+)$/mg;
is_deeply(\%count, { users => 5, user_roles => 5, login_tokens => 5, rooms => 5,
                     subscriptions => 6, subscription_roles => 4,
                     permission_roles => 4, invites => 3 },
          'summary counts the rows written per table') or diag $err;
for my $skip (
    [users         => 1, qr/username contains a NUL character \(\S*users\.json:6\)/],
    [users         => 1, qr/_id is missing \(\S*users\.json:7\)/],
    [login_tokens  => 1, qr/neither hashedToken nor token \(\S*users\.json:3\)/],
    [login_tokens  => 1, qr/user is deactivated \(active: false\) \(\S*users\.json:4\)/],
    [rooms         => 1, qr/t is missing/],
    [subscriptions => 2, qr/its user was not imported \(\S*:7, \S*:8\)/],
    [subscriptions => 2, qr/its room was not imported \(\S*:9, \S*:10\)/],
    [subscriptions => 1, qr/rid is missing/],
    [invites       => 1, qr/maxUses is not an integer/],
) {
    my ($what, $n, $re) = @$skip;
    like($err, qr/^  \Q$what\E +\Q$n\E  $re/m, "summary: $what skipped: $re");
}
is(scalar(() = $err =~ /^  \S+ +\d+  /mg), 9, 'no other skips reported');
my @secrets = (keys %HASH, values %HASH, qw(Ab3dEf Xy9zW1 Lp4Qr8 visitor-token));
is_deeply([ grep { index($err, $_) >= 0 } @secrets ], [], 'stderr names no token, hash or invite id');
is(index($sql, 'legacy-plain-token'), -1, 'a plain-text token is not copied into the SQL');

# ------------------------------------------------------------ re-running

my ($rc2, $sql2) = run_import(file_args());
is($rc2, 0, 'second run exits 0');
is($sql2, $sql, 'the same export gives the same SQL');
is(load_sqlite($dbh, $sql2), '', 'loading it again succeeds');
is_deeply(dump_db($dbh), $first, 'and changes nothing');

# An invite mod_invite created since (holding the slot) survives re-imports.
$dbh->do(q{INSERT INTO invites VALUES ('Mn7Op0', 1, 0, 'GENERAL', ?, 1, 86400001, 0, 1, 1)},
         undef, $PLAIN);

# A newer export: admin lost the admin role and token-b, plain left privRoom.
(my $users_v2 = $USERS) =~ s/"roles":\["admin","user"\]/"roles":["user"]/;
$users_v2 =~ s/\{"when":\{"\$date":\{"\$numberLong":"1595323929999"\}\},"hashedToken":"[^"]+"\},//
    or die 'sample edit failed';
(my $subs_v2 = $SUBSCRIPTIONS) =~ s/^.*"_id":"s3".*\n//m or die 'sample edit failed';
my %v2 = (users => write_file('users-v2.json', $users_v2),
          subscriptions => write_file('subscriptions-v2.json', $subs_v2));

my ($rc3, $sql3) = run_import(file_args(%v2));
is($rc3, 0, 'newer export without --replace');
is(load_sqlite($dbh, $sql3), '', 'loads');
is_deeply(dump_db($dbh)->{login_tokens}, $first->{login_tokens},
          'without --replace a token removed in Rocket.Chat stays (new rows only)');
ok((grep { $_->[0] eq $ADMIN && $_->[1] eq 'admin' } @{ dump_db($dbh)->{user_roles} }),
   'and so does a removed role');

my ($rc4, $sql4) = run_import('--replace', file_args(%v2));
is($rc4, 0, 'newer export with --replace');
like($sql4, qr/\nBEGIN IMMEDIATE;\nDELETE FROM subscription_roles;\n/,
     '--replace empties the tables inside the transaction');
is(load_sqlite($dbh, $sql4), '', 'loads');
my $replaced = dump_db($dbh);
is_deeply($replaced->{login_tokens}, [ grep { $_->[1] ne $HASH{'token-b'} } @{ $EXPECT{login_tokens} } ],
          '--replace revokes the removed token');
is_deeply($replaced->{user_roles}, [ grep { !($_->[0] eq $ADMIN && $_->[1] eq 'admin') } @{ $EXPECT{user_roles} } ],
          '--replace drops the removed role');
is_deeply($replaced->{subscription_roles}, [ grep { $_->[1] ne 'privRoom000000001' } @{ $EXPECT{subscription_roles} } ],
          '--replace drops the left room and its roles');
is_deeply([ map { $_->[0] } @{ $replaced->{invites} } ], [qw(Ab3dEf Lp4Qr8 Mn7Op0 Xy9zW1)],
          'invites, including one mod_invite created, are kept');
is_deeply($replaced->{users}, $EXPECT{users}, 'users are reloaded');

# ------------------------------------------------------------ failures

# A broken line: non-zero exit, nothing committed, the secret not echoed.
my $broken = write_file('users-broken.json',
    $USERS . qq({"_id":"x","services":{"resume":{"loginTokens":[{"token" "secret-abc-123"}]}}}\n));
my ($rc5, $sql5, $err5) = run_import(file_args(users => $broken));
isnt($rc5, 0, 'a line that is not JSON is fatal');
like($err5, qr/users-broken\.json:8: not a JSON document/, 'the error names file and line');
is(index($err5, 'secret-abc-123'), -1, 'without quoting the line');
like($sql5, qr/\nROLLBACK;\n\z/, 'the partial output ends in ROLLBACK');
my ($dbh5) = fresh_sqlite();
load_sqlite($dbh5, $sql5);
is($dbh5->selectrow_array('SELECT COUNT(*) FROM users'), 0, 'and loading it stores nothing');

my ($rc6, $sql6, $err6) = run_import('--users', $FILE{users});
is($rc6, 2, 'missing required options: usage error');
is($sql6, '', 'and no SQL');
my ($rc7) = run_import(file_args(), '--engine', 'mysql');
is($rc7, 2, 'unknown engine: usage error');

# ------------------------------------------------------------ other loaders

my ($rc8, $pg_sql) = run_import('--engine', 'pgsql', file_args());
is($rc8, 0, '--engine pgsql exits 0');
like($pg_sql, qr/\ASET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\nBEGIN;\n/,
     'pgsql output fixes the encoding and string syntax before BEGIN');
is($pg_sql =~ s/\A.*?^BEGIN;\n//msr, $sql =~ s/\A.*?^BEGIN IMMEDIATE;\n//msr,
   'and is otherwise the same SQL');

# The documented sqlite3 shell command, when the shell is installed.
if (grep { -x "$_/sqlite3" } split /:/, $ENV{PATH} // '') {
    my ($dbh9, $file9) = fresh_sqlite();
    $dbh9->disconnect;
    my $sql_file = "$dir/import.sql";
    open my $fh, '>:encoding(UTF-8)', $sql_file or die $!;
    print $fh $sql;
    close $fh or die $!;
    is(system("sqlite3 -bail \Q$file9\E < \Q$sql_file\E > /dev/null"), 0, 'sqlite3 -bail loads the file');
    $dbh9 = DBI->connect("dbi:SQLite:dbname=$file9", '', '',
        { RaiseError => 1, PrintError => 0, sqlite_unicode => 1 });
    is_deeply(dump_db($dbh9), $first, 'with the same rows as through DBI');
}
else {
    note 'sqlite3 shell not installed: shell load not checked';
}

# PostgreSQL: only in the Apache::Test pgsql run (scripts/test.sh), in a
# scratch schema of that cluster so the suite's own tables stay untouched.
if ($ENV{INVITE_TEST_PG_DSN} && eval { require DBD::Pg; 1 }) {
    my $pg = DBI->connect("dbi:Pg:$ENV{INVITE_TEST_PG_DSN}", '', '',
                          { RaiseError => 1, PrintError => 0, AutoCommit => 1,
                            pg_enable_utf8 => 1 });
    my $schema = "import_t_$$";
    $pg->do("CREATE SCHEMA $schema");
    $pg->do("SET search_path TO $schema");
    $pg->do($_) for InviteSchema::statements('pgsql', $top);
    ok(eval { $pg->do($pg_sql); 1 }, 'pgsql output loads into PostgreSQL') or diag $@;
    check_tables(dump_db($pg), \%EXPECT, 'PostgreSQL');
    ok(eval { $pg->do($pg_sql); 1 }, 'and loads again') or diag $@;
    check_tables(dump_db($pg), \%EXPECT, 'PostgreSQL after a second load');
    $pg->do("DROP SCHEMA $schema CASCADE");
    $pg->disconnect;
}
else {
    note 'INVITE_TEST_PG_DSN not set: PostgreSQL load not checked';
}

done_testing();
