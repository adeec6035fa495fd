# SPDX-License-Identifier: Apache-2.0
# invitectl, the admin command (docs/invitectl.8), on the engine under test:
# every subcommand and its bad input, on a database of its own (a SQLite
# file, or a PostgreSQL database created in the test cluster), checked with
# DBI.  Then, on the test server's database (reached through -f and the
# server's own t/conf/invite-db.conf), a user, room and personal access
# token made by invitectl create an invite through mod_invite.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use InviteTest;
use InviteCtl;
use DBI;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use Time::HiRes ();
use POSIX ();

my $top = "$FindBin::Bin/..";
my $ctl = "$top/build/invitectl";
my $engine = engine();
my $dir = tempdir(CLEANUP => 1);
my $ID_RE = qr/^[23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz]{17}$/;
my $now = int(Time::HiRes::time() * 1000);
my $DAY = 86400000;

ok(-x $ctl, "make built $ctl");

# ------------------------------------------------------------- helpers

sub slurp { InviteCtl::slurp(@_) }

# Runs invitectl; returns (exit status, stdout, stderr).
sub ctl { InviteCtl::run($ctl, $dir, @_) }

# A database of this file's own: the SQLite file, or a PostgreSQL database
# next to the suite's (same cluster, dropped at the end).
my $own = InviteCtl::own_database($engine, $engine eq 'pgsql' ? "invitectl_$$" : 'ctl', $dir);
my @DB = @{ $own->{db} };
my $dbh = $own->{connect};
my $db;
sub db { $db ||= $dbh->() }
sub val { my ($sql, @b) = @_; (db()->selectrow_array($sql, undef, @b))[0] }
sub col { my ($sql, @b) = @_; join ' ', @{ db()->selectcol_arrayref($sql, undef, @b) } }
sub table_exists {
    my ($t) = @_;
    return $engine eq 'pgsql'
        ? val('SELECT to_regclass(?) IS NOT NULL', $t) ? 1 : 0
        : val("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", $t);
}

# Checks one run: exit status, and stdout / stderr against regexps.
sub run_is {
    my ($args, $rc, $out_re, $err_re, $name) = @_;
    my ($got, $out, $err) = ctl(@$args);
    is($got, $rc, "$name: exit $rc") or diag("stdout: $out\nstderr: $err");
    like($out, $out_re, "$name: stdout") if $out_re;
    like($err, $err_re, "$name: stderr") if $err_re;
    return ($out, $err);
}

my $free_port = do {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0) or die $!;
    my $p = $s->sockport; close $s; $p;
};

# ---------------------------------------------------------- usage, help

run_is(['--help'], 0, qr/^Usage: invitectl .*\n.*migrate.*purge/s, qr/^$/, '--help');
run_is(['user', '--help'], 0, qr/user add \[--id ID\].*user roles \[--id\|--name\] USER.*user show \[--id\|--name\] USER/s, qr/^$/, 'user --help');
run_is(['help', 'token'], 0, qr/token revoke \[--id\|--name\] USER/, qr/^$/, 'help token');
{
    my ($version) = slurp("$top/include/invite_version.h") =~ /^#define INVITE_VERSION "([^"]+)"$/m;
    my ($schema) = slurp("$top/include/invite_sql.h") =~ /^#define INVITE_SCHEMA_VERSION (\d+)$/m;
    ok(defined $version && defined $schema, "the version ($version) and schema version ($schema) of the sources");
    run_is(['--version'], 0, qr/^invitectl \Q$version\E\nschema version $schema\n\z/, qr/^$/,
           '--version: the version, and the schema version this build serves');
    run_is(['--help'], 0, qr/^\s+--version\b/m, undef, '--help names --version');
}
run_is([], 2, qr/^$/, qr/^invitectl: no command\n.*--help/, 'no command');
run_is([@DB, 'frobnicate'], 2, qr/^$/, qr/^invitectl: unknown command 'frobnicate'/, 'unknown command');
run_is(['-x', 'stats'], 2, qr/^$/, qr/^invitectl: unknown option '-x'/, 'unknown global option');
run_is(['stats'], 2, qr/^$/, qr/^invitectl: no database: give -d DRIVER -p PARAMS or -f FILE/, 'no database');
run_is([@DB, 'user', 'add', '--bogus', 'x'], 2, qr/^$/, qr/^invitectl: unknown option '--bogus'\nTry 'invitectl user --help'/, 'unknown subcommand option');
run_is([@DB, 'user', 'add'], 2, qr/^$/, qr/^invitectl: bad 'user' arguments/, 'user add without a name');
run_is([@DB, 'purge', '--days', 'soon'], 2, qr/^$/, qr/--days is a number/, 'purge --days not a number');
run_is([@DB, 'purge', '--batch', '0'], 2, qr/^$/, qr/--batch is a number from 1 to 10000/, 'purge --batch 0');
run_is([@DB, 'room', 'add', '--type', 'z', 'r'], 2, qr/^$/, qr/--type is one of c, p, d, l, v/, 'room add --type z');
run_is([@DB, 'token', 'add', '--all', 'x'], 2, qr/^$/, qr/--all goes with 'token revoke'/, 'token add --all');
run_is([@DB, 'permission', 'grant', 'only-one'], 2, qr/^$/, qr/bad 'permission' arguments/, 'permission grant, one argument');
run_is(['-d', 'mysql', '-p', 'x', 'stats'], 1, qr/^$/, qr/^invitectl: unsupported driver 'mysql'/, 'unsupported driver');

# ------------------------------------------------------- database down

run_is(['-d', 'sqlite3', '-p', "$dir/none.db", 'stats'], 1, qr/^$/,
       qr/^invitectl: cannot open the database: no file \Q$dir\E\/none\.db \(invitectl init creates it\)/,
       'SQLite: a missing file is not created');
ok(!-e "$dir/none.db", '... and stays missing');
# The real cause, never "no file" for a missing directory nor sqlite3's
# "unable to open database file" for all of them.
for my $cmd ('init', 'stats') {
    run_is(['-d', 'sqlite3', '-p', "$dir/no/such/dir/x.db", $cmd], 1, qr/^$/,
           qr/^invitectl: cannot open the database: no directory \Q$dir\E\/no, on the way to \Q$dir\E\/no\/such\/dir\/x\.db$/,
           "SQLite: $cmd in a missing directory: the first one missing named");
}
ok(!-e "$dir/no", '... and none created');
{
    open my $fh, '>', "$dir/plain" or die; close $fh;
    run_is(['-d', 'sqlite3', '-p', "$dir/plain/x.db", 'init'], 1, qr/^$/,
           qr/^invitectl: cannot open the database: \Q$dir\E\/plain is not a directory, on the way to \Q$dir\E\/plain\/x\.db$/,
           'SQLite: a file where a directory should be');
}
symlink "$dir/gone.db", "$dir/dangling.db" or die;
run_is(['-d', 'sqlite3', '-p', "$dir/dangling.db", 'stats'], 1, qr/^$/,
       qr/^invitectl: cannot open the database: \Q$dir\E\/dangling\.db is a symbolic link to a missing file$/,
       'SQLite: a symbolic link to a missing file');
{
    open my $fh, '>', "$dir/locked.db" or die; close $fh;
    chmod 0, "$dir/locked.db";
    my ($rc, $out, $err) = ctl('-d', 'sqlite3', '-p', "$dir/locked.db", 'stats');
    # (root reads any file: the file is then an empty database.)
    is($rc, 1, 'SQLite: an unreadable file: exit 1');
    like($err, $> == 0 ? qr/^invitectl: / : qr/^invitectl: cannot open the database: cannot open \Q$dir\E\/locked\.db: Permission denied$/,
         '... cannot open the database, and why');
}
# A file that is there but cannot be opened is not said to be missing.
symlink 'loop.db', "$dir/loop.db" or die;
run_is(['-d', 'sqlite3', '-p', "$dir/loop.db", 'stats'], 1, qr/^$/,
       qr/^invitectl: cannot open the database: cannot open \Q$dir\E\/loop\.db: Too many levels of symbolic links$/,
       'SQLite: a symlink loop: cannot open, and why');
SKIP: {
    skip 'root searches, reads and writes anything', 14 if $> == 0;
    mkdir "$dir/shut" or die;
    open my $fh, '>', "$dir/shut/x.db" or die; close $fh;
    chmod 0, "$dir/shut";
    run_is(['-d', 'sqlite3', '-p', "$dir/shut/x.db", 'stats'], 1, qr/^$/,
           qr/^invitectl: cannot open the database: no search permission on the directory \Q$dir\E\/shut, on the way to \Q$dir\E\/shut\/x\.db$/,
           'SQLite: a file in a directory without search permission: that directory named');
    chmod 0700, "$dir/shut";
    mkdir "$dir/ro" or die;
    chmod 0555, "$dir/ro";
    run_is(['-d', 'sqlite3', '-p', "$dir/ro/x.db", 'init'], 1, qr/^$/,
           qr/^invitectl: cannot create the database: no write permission on the directory \Q$dir\E\/ro, to create \Q$dir\E\/ro\/x\.db$/,
           'SQLite: init in a directory without write permission');
    # A database that is there: a file the caller may not write (in a
    # directory it may), then neither (SQLite makes x.db-shm beside it).
    mkdir "$dir/rodb" or die;
    run_is(['-d', 'sqlite3', '-p', "$dir/rodb/x.db", 'init'], 0, qr/^initialised/, undef, 'SQLite: a database to make read-only');
    chmod 0444, "$dir/rodb/x.db";
    run_is(['-d', 'sqlite3', '-p', "$dir/rodb/x.db", 'user', 'add', 'ro'], 1, qr/^$/,
           qr/^invitectl: invitectl_user_add: attempt to write a readonly database \(no write permission on \Q$dir\E\/rodb\/x\.db\)$/,
           'SQLite: a file without write permission: said so');
    unlink "$dir/rodb/x.db-wal", "$dir/rodb/x.db-shm";
    chmod 0555, "$dir/rodb";
    run_is(['-d', 'sqlite3', '-p', "$dir/rodb/x.db", 'stats'], 1, qr/^$/,
           qr/^invitectl: cannot open the database: .*\(no write permission on \Q$dir\E\/rodb\/x\.db; no write permission on the directory \Q$dir\E\/rodb, where SQLite makes \Q$dir\E\/rodb\/x\.db-wal and -shm\)$/,
           '... and a directory without write permission: both said');
    chmod 0700, "$dir/rodb", "$dir/ro";
}
run_is(['-d', 'pgsql', '-p', "host=127.0.0.1 port=$free_port dbname=x user=u password=SeCrEt-pw connect_timeout=2", 'stats'],
       1, qr/^$/, qr/^invitectl: cannot open the database: .*\b$free_port\b/, 'PostgreSQL: nothing listens on the port');
unlike(slurp("$dir/err"), qr/SeCrEt-pw/, '... and the password is not in the message');
run_is(['-d', 'pgsql', '-p', "postgresql://u:SeCrEt-uri\@127.0.0.1:$free_port/x?connect_timeout=2", 'check'],
       1, qr/^$/, qr/^invitectl: cannot open the database: /, 'PostgreSQL URI: nothing listens');
unlike(slurp("$dir/err"), qr/SeCrEt-uri/, '... and the password is not in the message');
# A %-encoded password, as written and decoded: libpq quotes the value as
# written when its escapes are malformed, and the whole URI when the host
# is; a well-formed one on a closed port.
for (['malformed %-escape', "postgresql://u:SeCrEt%40pw%zz\@127.0.0.1:$free_port/x"],
     ['malformed host', "postgresql://u:SeCrEt%40pw\@[::1/x"],
     ['nothing listens', "postgresql://u:SeCrEt%40pw\@127.0.0.1:$free_port/x?connect_timeout=2"]) {
    my ($what, $uri) = @$_;
    my ($rc, $out, $err) = ctl('-d', 'pgsql', '-p', $uri, 'check');
    is($rc, 1, "PostgreSQL URI, %-encoded password, $what: exit 1");
    like($err, qr/^invitectl: cannot open the database: /, '... cannot open the database');
    unlike($out . $err, qr/SeCrEt(%40|\@)pw/, '... and neither form of the password is printed');
}
{   # a password of "*" is hidden once, not again in its own "***"
    my ($rc, $out, $err) = InviteCtl::run('timeout', $dir, '20', $ctl, '-d', 'pgsql', '-p', 'postgresql://u:*@[::1/x', 'check');
    is($rc, 1, 'PostgreSQL URI, the password "*": exit 1, in time');
    like($err, qr/^invitectl: cannot open the database: .*"postgresql:\/\/u:\*\*\*\@\[::1\/x"$/, '... the URI shown with "***"');
}

# ------------------------------------------------------------ not initialised

if ($engine eq 'sqlite3') {   # the file exists, without tables
    open my $fh, '>', "$dir/ctl.db" or die; close $fh;
}
run_is([@DB, 'check'], 1, qr/^$/, qr/^invitectl: no schema version in the database .*run 'invitectl init'/s,
       'check before init');
run_is([@DB, 'migrate'], 1, qr/^$/, qr/run 'invitectl init'/, 'migrate before init');

# ------------------------------------------------------------------ init

# The schema version this build serves (include/invite_sql.h): init makes
# it, and the test migrations below come after it.
my ($V) = slurp("$top/include/invite_sql.h") =~ /^#define INVITE_SCHEMA_VERSION (\d+)$/m;
my ($N1, $N2) = ($V + 1, $V + 2);
my ($F1, $F2) = (sprintf('%03d-notes.sql', $N1), sprintf('%03d-broken.sql', $N2));

# Without -u or -f, Apache's user is www-data, who cannot reach this
# test's directory (mode 0700): said on stderr, as a warning.
my $www_reach = getpwnam('www-data')
    ? qr/^invitectl: warning: Apache's user, www-data \(the default\), cannot reach \Q$dir\E\/ctl\.db: no search permission on the directory \Q$dir\E\ninvitectl: fix it with: chmod o\+x \Q$dir\E, or keep the database in a directory Apache's user may reach\n\z/
    : qr/^invitectl: warning: no user www-data \(Apache's user, the default\): cannot check that Apache may write \Q$dir\E\/ctl\.db\n\z/;
run_is([@DB, 'init'], 0, qr/^initialised: schema version $V$/, $engine eq 'sqlite3' ? $www_reach : qr/^$/,
       'init (SQLite: and the warning that www-data cannot reach the file)');
is(col('SELECT version FROM schema_version'), $V, "schema_version: $V");
cmp_ok(val('SELECT applied_at FROM schema_version'), '>=', $now - 60000, '... applied now (epoch ms)');
is(val('SELECT count(*) FROM permission_roles'), 7, 'permission_roles seeded');
ok(table_exists($_), "table $_ created") for qw(users user_roles login_tokens rooms subscriptions subscription_roles invites);
is(lc val('PRAGMA journal_mode'), 'wal', 'SQLite: WAL journal (the schema\'s PRAGMA ran)') if $engine eq 'sqlite3';
run_is([@DB, 'init'], 0, qr/^already initialised: schema version $V$/, qr/^$/, 'init again: nothing to do');
is(val('SELECT count(*) FROM schema_version'), 1, '... schema_version unchanged');

# check: the module's statements (as invite-sql-dump lists them) and the
# admin set all prepare.
my $module_stmts = () = `$top/build/invite-sql-dump $engine` =~ /^invite_\w+\t/mg;
cmp_ok($module_stmts, '>', 5, "invite-sql-dump lists $module_stmts module statements");
my $admin_stmts = () = `$top/build/invite-sql-dump --admin $engine` =~ /^invitectl_\w+\t/mg;
cmp_ok($admin_stmts, '>', 15, "invite-sql-dump --admin lists $admin_stmts invitectl statements");
my $write_line = $engine eq 'sqlite3' ? "write lock taken and released\n" : '';
run_is([@DB, 'check'], 0,
       qr/^schema version: $V \(this build serves $V\)\nmodule statements prepared: $module_stmts\nadmin statements prepared: $admin_stmts\n${write_line}ok$/,
       qr/^$/, 'check');

# check tries a write: a -shm that SQLite made while the file was
# read-only stays read-only once the file is fixed, and lets every read
# through.  (Root writes any file.)
SKIP: {
    skip 'SQLite file modes, as a user other than root', 8
        if $engine ne 'sqlite3' || $> == 0;
    my $ro = "$dir/roshm.db";
    my @RO = ('-u', scalar getpwuid($>), '-d', 'sqlite3', '-p', $ro);
    run_is([@RO, 'init'], 0, undef, qr/^$/, 'read-only -shm: a new database');
    chmod 0444, $ro or die $!;
    {
        my $h = DBI->connect("dbi:SQLite:dbname=$ro", '', '', { RaiseError => 1, PrintError => 0 });
        $h->selectrow_array('SELECT count(*) FROM invites');
        $h->disconnect;
    }
    chmod 0644, $ro or die $!;
    is(sprintf('%o', (stat "$ro-shm")[2] & 0777), '444', '... SQLite left its -shm read-only');
    run_is([@RO, 'check'], 1, qr/\nadmin statements prepared: \d+\n$/,
           qr/^invitectl: cannot write the database \(BEGIN IMMEDIATE\): attempt to write a readonly database; this user cannot write \Q$ro\E-shm\ninvitectl: check failed: 1 problem$/,
           'check: the write fails, naming the -shm');
    chmod 0644, "$ro-shm" or die $!;
    run_is([@RO, 'check'], 0, qr/\nwrite lock taken and released\nok$/, undef, 'check: -shm fixed');
}
run_is([@DB, 'migrate'], 0, qr/^schema version $V: up to date$/, qr/^$/, 'migrate: a new database needs none (and no warning)');

# ------------------------------------------------------- Apache's user

# init, and migrate when it applies a step, warn when Apache's user could
# not write the SQLite database (the file, or the directory where SQLite
# creates -wal, -shm and -journal files), all of it at once, with the
# fix; the exit status stays 0.  -u names that user, else User of -f
# (${NAME} from the environment, else from APACHE_ENVVARS), else
# www-data.  In a directory others may search:
my $pub = tempdir(CLEANUP => 1);
chmod 0755, $pub or die;
my $me = getpwuid($>);
sub write_file { my ($f, $text) = @_; open my $fh, '>', $f or die "$f: $!"; print $fh $text; close $fh }
sub cannot_write {   # the warning for a file and its directory
    my ($user, $from, $d) = @_;
    return qr/^invitectl: warning: Apache's user, $user \($from\), cannot write \Q$pub\E\/$d\/x\.db, nor the directory \Q$pub\E\/$d, where SQLite creates \Q$pub\E\/$d\/x\.db-wal, -shm and -journal: mod_invite will fail on it\ninvitectl: fix it with: chown $user: \Q$pub\E\/$d\/x\.db \Q$pub\E\/$d\n\z/;
}
mkdir "$pub/$_" or die for qw(a b c d e f);
write_file("$pub/nobody.conf", "User nobody\nDBDriver sqlite3\nDBDParams $pub/a/x.db\n");
run_is(['-f', "$pub/nobody.conf", 'init'], 0, qr/^initialised: schema version $V$/,
       cannot_write('nobody', "User in \Q$pub\E\/nobody\.conf", 'a'),
       'init, User nobody in -f: the file and the directory in one warning, with the chown that fixes both');
write_file("$pub/me.conf", "User $me\nDBDriver sqlite3\nDBDParams $pub/b/x.db\n");
run_is(['-f', "$pub/me.conf", 'init'], 0, qr/^initialised/, qr/^$/, "init, User $me (the owner) in -f: no warning");
run_is(['-f', "$pub/nobody.conf", '-u', $me, '-p', "$pub/c/x.db", 'init'], 0, qr/^initialised/, qr/^$/, '-u wins over User of -f');
my $step = sprintf '%03d-extra.sql', $V + 1;
mkdir "$pub/mig" or die;
write_file("$pub/mig/$step", "CREATE TABLE extra (id INTEGER);\n");
run_is(['-u', 'nobody', '-d', 'sqlite3', '-p', "$pub/b/x.db", 'migrate', '--migrations', "$pub/mig"], 0,
       qr/^applied \Q$step\E/, cannot_write('nobody', '-u', 'b'), 'migrate that applies a step, -u nobody: the warning');
run_is(['-u', 'nobody', '-d', 'sqlite3', '-p', "$pub/b/x.db", 'migrate', '--migrations', "$pub/mig"], 0,
       qr/up to date$/, qr/^$/, '... migrate with nothing to do: none');
chmod 0666, "$pub/b/x.db";
chmod 0777, "$pub/b";
write_file("$pub/mig/" . sprintf('%03d-more.sql', $V + 2), "CREATE TABLE more (id INTEGER);\n");
run_is(['-u', 'nobody', '-d', 'sqlite3', '-p', "$pub/b/x.db", 'migrate', '--migrations', "$pub/mig"], 0,
       qr/^applied /, qr/^$/, '... nor when others may write the file and the directory');
mkdir "$pub/closed", 0700 or die;
run_is(['-u', 'nobody', '-d', 'sqlite3', '-p', "$pub/closed/x.db", 'init'], 0, qr/^initialised/,
       qr/^invitectl: warning: Apache's user, nobody \(-u\), cannot reach \Q$pub\E\/closed\/x\.db: no search permission on the directory \Q$pub\E\/closed\ninvitectl: fix it with: chmod o\+x \Q$pub\E\/closed, or keep the database in a directory Apache's user may reach\n\z/,
       'init, -u nobody, a directory nobody may not search: said, with the fix');
run_is(['-u', 'no-such-user-ctl', '-d', 'sqlite3', '-p', "$pub/d/x.db", 'init'], 0, qr/^initialised/,
       qr/^invitectl: warning: no user no-such-user-ctl \(Apache's user, -u\): cannot check that Apache may write \Q$pub\E\/d\/x\.db\n\z/,
       'init, -u naming no user: said');
# Debian's apache2.conf: User ${APACHE_RUN_USER}, set in envvars.
write_file("$pub/envvars", "# as Debian's\nexport APACHE_RUN_USER=nobody\nexport APACHE_RUN_GROUP=nogroup\n");
write_file("$pub/debian.conf", "User \${APACHE_RUN_USER}\nDBDriver sqlite3\nDBDParams $pub/e/x.db\n");
{
    delete local $ENV{APACHE_RUN_USER};
    local $ENV{APACHE_ENVVARS} = "$pub/envvars";
    run_is(['-f', "$pub/debian.conf", 'init'], 0, qr/^initialised/,
           cannot_write('nobody', "User in \Q$pub\E\/debian\.conf, with \Q$pub\E\/envvars", 'e'),
           'User ${APACHE_RUN_USER} in -f: from APACHE_ENVVARS');
    local $ENV{APACHE_ENVVARS} = "$pub/no-envvars";
    my $www = getpwnam('www-data') ? cannot_write('www-data', "the default: User in \Q$pub\E\/debian\.conf is \\\$\\{APACHE_RUN_USER\\}, unset", 'f')
                                   : qr/^invitectl: warning: no user www-data /;
    run_is(['-f', "$pub/debian.conf", '-p', "$pub/f/x.db", 'init'], 0, qr/^initialised/, $www,
           '... unset there: www-data, and why');
    local $ENV{APACHE_RUN_USER} = $me;
    unlink "$pub/f/x.db" or die;
    run_is(['-f', "$pub/debian.conf", '-p', "$pub/f/x.db", 'init'], 0, qr/^initialised/, qr/^$/,
           '... set in the environment: that user');
}

my %stats0 = (users => 0, rooms => 0, subscriptions => 0, tokens => 0,
              'invites live' => 0, 'invites expired' => 0, 'invites used up' => 0,
              'schema version' => $V);
my ($out) = run_is([@DB, 'stats'], 0, undef, qr/^$/, 'stats, empty');
is_deeply({ $out =~ /^([^:\n]+): (\S+)$/mg }, \%stats0, "... all zero, version $V");

# ----------------------------------------------------------------- users

($out) = run_is([@DB, 'user', 'add', 'alice'], 0, qr/^\S+\n$/, qr/^$/, 'user add alice');
chomp(my $alice = $out);
like($alice, $ID_RE, '... prints a new 17-character Rocket.Chat id');
is(val('SELECT username FROM users WHERE id = ?', $alice), 'alice', '... stored');
run_is([@DB, 'user', 'add', '--id', 'bobUserId00000001', '--role', 'admin', '--role', 'user', 'bob'],
       0, qr/^bobUserId00000001\n$/, qr/^$/, 'user add --id --role --role bob');
is(col('SELECT role FROM user_roles WHERE user_id = ? ORDER BY role', 'bobUserId00000001'), 'admin user', '... global roles stored');
run_is([@DB, 'user', 'add', 'alice'], 1, qr/^$/, qr/^invitectl: the id '\w+' or the username 'alice' is taken, as a user's id or username$/,
       'user add: duplicate username');
run_is([@DB, 'user', 'add', '--id', 'bobUserId00000001', 'robert'], 1, qr/^$/, qr/is taken/, 'user add: duplicate id');
# Neither may ever be read as the other: a username that is a user's id
# (a Rocket.Chat user may pick one to look like the admin's id), an id
# that is a user's username.
run_is([@DB, 'user', 'add', 'bobUserId00000001'], 1, qr/^$/,
       qr/^invitectl: the id '\w+' or the username 'bobUserId00000001' is taken, as a user's id or username$/,
       "user add: a username that is another user's id");
run_is([@DB, 'user', 'add', '--id', 'alice', 'alice2'], 1, qr/^$/,
       qr/^invitectl: the id 'alice' or the username 'alice2' is taken/, "user add: an id that is another user's username");
is(val("SELECT count(*) FROM users WHERE username IN ('bobUserId00000001', 'alice2') OR id = 'alice'"), 0, '... neither stored');
run_is([@DB, 'user', 'add', '--role', 'x', '--role', 'x', 'carol'], 1, qr/^$/, qr/already has the role 'x'/,
       'user add with a role twice');
is(val("SELECT count(*) FROM users WHERE username = 'carol'"), 0, '... rolled back: no user carol');
run_is([@DB, 'user', 'roles', 'bob'], 0, qr/^admin\nuser\n$/, qr/^$/, 'user roles bob (by username)');
run_is([@DB, 'user', 'roles', 'bobUserId00000001', 'add', 'bot', 'app'], 0, qr/^$/, qr/^$/, 'user roles add (by id)');
run_is([@DB, 'user', 'roles', 'bob', 'del', 'user'], 0, qr/^$/, qr/^$/, 'user roles del');
is(col('SELECT role FROM user_roles WHERE user_id = ? ORDER BY role', 'bobUserId00000001'), 'admin app bot', '... roles now');
run_is([@DB, 'user', 'roles', 'bob', 'del', 'user'], 1, qr/^$/, qr/does not have the role 'user'/, 'user roles del: not held');
run_is([@DB, 'user', 'roles', 'bob', 'add', 'bot'], 1, qr/^$/, qr/already has the role 'bot'/, 'user roles add: duplicate');
run_is([@DB, 'user', 'roles', 'bob', 'swap', 'x'], 2, qr/^$/, qr/user roles USER \[add\|del ROLE\.\.\.\]/, 'user roles: bad action');
run_is([@DB, 'user', 'roles', 'nobody'], 1, qr/^$/, qr/^invitectl: no user 'nobody'$/, 'user roles: unknown user');
run_is([@DB, 'user', 'del', 'nobody'], 1, qr/^$/, qr/^invitectl: no user 'nobody'$/, 'user del: unknown user');

# Such a pair made elsewhere (by Rocket.Chat): mallory's username is bob's
# id.  A USER that names both is refused; --id and --name say which.
db()->do("INSERT INTO users (id, username) VALUES ('malloryId00000001', 'bobUserId00000001')");
db()->do("INSERT INTO user_roles (user_id, role) VALUES ('malloryId00000001', 'guest')");
db()->do("INSERT INTO login_tokens (user_id, hashed_token, created_at) VALUES (?, ?, NULL)", undef, @$_)
    for ['bobUserId00000001', 'bobsHash'], ['malloryId00000001', 'mallorysHash'];
my $both = qr/^invitectl: 'bobUserId00000001' is the id of one user and the username of another: say which with --id or --name$/;
run_is([@DB, 'token', 'revoke', 'bobUserId00000001', '--all'], 1, qr/^$/, $both, 'token revoke --all: a USER that names two users');
run_is([@DB, 'user', 'roles', 'bobUserId00000001', 'add', 'x'], 1, qr/^$/, $both, 'user roles add: the same');
run_is([@DB, 'user', 'roles', 'bobUserId00000001'], 1, qr/^$/, $both, 'user roles: the same');
run_is([@DB, 'user', 'del', 'bobUserId00000001'], 1, qr/^$/, $both, 'user del: the same');
run_is([@DB, 'token', 'list', 'bobUserId00000001'], 1, qr/^$/, $both, 'token list: the same');
is(col('SELECT hashed_token FROM login_tokens ORDER BY 1'), 'bobsHash mallorysHash', '... both users keep their tokens');
is(col("SELECT id FROM users WHERE id IN ('bobUserId00000001', 'malloryId00000001') ORDER BY 1"),
   'bobUserId00000001 malloryId00000001', '... both users stay');
run_is([@DB, 'user', 'roles', '--id', 'bobUserId00000001'], 0, qr/^admin\napp\nbot\n$/, qr/^$/, 'user roles --id: by id only');
run_is([@DB, 'user', 'roles', '--name', 'bobUserId00000001'], 0, qr/^guest\n$/, qr/^$/, 'user roles --name: by username only');
run_is([@DB, 'token', 'list', '--name', 'bobUserId00000001'], 0, qr/^mallorysHash\t-\n$/, qr/^$/, 'token list --name');
run_is([@DB, 'token', 'revoke', '--name', 'bobUserId00000001', '--all'], 0, qr/^$/, qr/^$/, 'token revoke --name --all');
is(col('SELECT hashed_token FROM login_tokens ORDER BY 1'), 'bobsHash', "... mallory's token only");
run_is([@DB, 'token', 'revoke', '--id', 'bobUserId00000001', 'bobsHash'], 0, qr/^$/, qr/^$/, 'token revoke --id HASH');
is(val('SELECT count(*) FROM login_tokens'), 0, "... bob's");
run_is([@DB, 'user', 'roles', '--id', 'bob'], 1, qr/^$/, qr/^invitectl: no user 'bob'$/, 'user roles --id USERNAME: no such id');
run_is([@DB, 'user', 'roles', '--id', '--name', 'bob'], 2, qr/^$/, qr/^invitectl: --id and --name exclude each other\n/, '--id with --name');
run_is([@DB, 'user', 'del', '--name', 'bobUserId00000001'], 0, qr/^$/, qr/^$/, 'user del --name');
is(col("SELECT id FROM users WHERE id IN ('bobUserId00000001', 'malloryId00000001')"), 'bobUserId00000001', '... mallory, not bob');
db()->do("INSERT INTO users (id, username) VALUES (?, 'twin')", undef, $_) for 'twinUserId0000001', 'twinUserId0000002';
run_is([@DB, 'user', 'roles', 'twin'], 1, qr/^$/, qr/^invitectl: 2 users have the username 'twin': name one by its id, with --id$/,
       'a username two users have');
run_is([@DB, 'user', 'roles', '--id', 'twinUserId0000002'], 0, qr/^$/, qr/^$/, '... one of them by --id');
db()->do("DELETE FROM users WHERE username = 'twin'");

# ----------------------------------------------------------------- rooms

($out) = run_is([@DB, 'room', 'add', 'general'], 0, qr/^\S+\n$/, qr/^$/, 'room add general');
chomp(my $general = $out);
like($general, $ID_RE, '... prints a new id');
is(val('SELECT t FROM rooms WHERE id = ?', $general), 'c', '... public by default');
run_is([@DB, 'room', 'add', '--id', 'privRoomId0000001', '--type', 'p', '--fname', 'Private Room', '--prid', $general, 'priv'],
       0, qr/^privRoomId0000001\n$/, qr/^$/, 'room add --id --type p --fname --prid');
is(join('|', db()->selectrow_array('SELECT t, name, fname, prid FROM rooms WHERE id = ?', undef, 'privRoomId0000001')),
   "p|priv|Private Room|$general", '... stored');
ok(!defined val('SELECT fname FROM rooms WHERE id = ?', $general), '... no --fname: NULL');
run_is([@DB, 'room', 'add', 'general'], 1, qr/^$/, qr/^invitectl: the id '\w+' or the name 'general' is taken, as a room's id or name$/,
       'room add: duplicate name');
run_is([@DB, 'room', 'add', '--id', $general, 'other'], 1, qr/^$/, qr/is taken/, 'room add: duplicate id');
run_is([@DB, 'room', 'add', $general], 1, qr/^$/, qr/^invitectl: the id '\w+' or the name '\Q$general\E' is taken/,
       "room add: a name that is another room's id");
run_is([@DB, 'room', 'add', '--id', 'general', 'general2'], 1, qr/^$/, qr/^invitectl: the id 'general' or the name 'general2' is taken/,
       "room add: an id that is another room's name");
is(val("SELECT count(*) FROM rooms WHERE name IN (?, 'general2') OR id = 'general'", $general), 0, '... neither stored');
run_is([@DB, 'room', 'del', 'nowhere'], 1, qr/^$/, qr/^invitectl: no room 'nowhere'$/, 'room del: unknown room');

# --------------------------------------------------------------- members

run_is([@DB, 'member', 'add', '--role', 'owner', '--role', 'moderator', 'alice', 'general'], 0, qr/^$/, qr/^$/,
       'member add --role owner --role moderator');
is(val('SELECT count(*) FROM subscriptions WHERE user_id = ? AND rid = ?', $alice, $general), 1, '... subscribed');
is(col('SELECT role FROM subscription_roles WHERE user_id = ? AND rid = ? ORDER BY role', $alice, $general),
   'moderator owner', '... with room roles');
run_is([@DB, 'member', 'add', 'alice', 'general'], 1, qr/^$/, qr/already a member/, 'member add: duplicate');
run_is([@DB, 'member', 'add', 'alice', 'nowhere'], 1, qr/^$/, qr/^invitectl: no room 'nowhere'$/, 'member add: unknown room');
run_is([@DB, 'member', 'add', 'nobody', 'general'], 1, qr/^$/, qr/^invitectl: no user 'nobody'$/, 'member add: unknown user');
run_is([@DB, 'member', 'del', 'bob', 'general'], 1, qr/^$/, qr/not a member/, 'member del: not a member');
run_is([@DB, 'member', 'add', 'bob', 'priv'], 0, qr/^$/, qr/^$/, 'member add bob priv');
run_is([@DB, 'member', 'add', 'bob', $general], 0, qr/^$/, qr/^$/, 'member add bob general (room by id)');
run_is([@DB, 'member', 'del', 'bob', 'general'], 0, qr/^$/, qr/^$/, 'member del');
is(val('SELECT count(*) FROM subscriptions WHERE user_id = ?', 'bobUserId00000001'), 1, '... one subscription left');
run_is([@DB, 'member', 'del', '--role', 'owner', 'bob', 'priv'], 2, qr/^$/, qr/--role goes with 'member add'/, 'member del --role');

# Bans (Rocket.Chat 8.4): a member's subscription marked BANNED, roles
# kept; a non-member gets a banned subscription; unban removes it.
run_is([@DB, 'member', 'ban', 'alice', 'general'], 0, qr/^$/, qr/^$/, 'member ban alice general');
is(val('SELECT status FROM subscriptions WHERE user_id = ? AND rid = ?', $alice, $general), 'BANNED', '... marked BANNED');
is(col('SELECT role FROM subscription_roles WHERE user_id = ? AND rid = ? ORDER BY role', $alice, $general),
   'moderator owner', '... room roles kept');
run_is([@DB, 'member', 'ban', 'alice', 'general'], 1, qr/^$/, qr/^invitectl: the user is already banned from the room$/, 'member ban: already banned');
run_is([@DB, 'member', 'unban', 'alice', 'general'], 0, qr/^$/, qr/^$/, 'member unban');
is(val('SELECT count(*) FROM subscriptions WHERE user_id = ? AND rid = ?', $alice, $general), 0, '... the subscription removed');
run_is([@DB, 'member', 'unban', 'alice', 'general'], 1, qr/^$/, qr/^invitectl: the user is not banned from the room$/, 'member unban: not banned');
run_is([@DB, 'member', 'ban', 'alice', 'general'], 0, qr/^$/, qr/^$/, 'member ban: a non-member');
is(val('SELECT status FROM subscriptions WHERE user_id = ? AND rid = ?', $alice, $general), 'BANNED', '... gets a banned subscription');
run_is([@DB, 'member', 'ban', '--role', 'owner', 'alice', 'general'], 2, qr/^$/, qr/--role goes with 'member add'/, 'member ban --role');
run_is([@DB, 'member', 'kick', 'alice', 'general'], 2, qr/^$/, qr/bad 'member' arguments/, 'member kick: no such subcommand');
run_is([@DB, 'member', 'unban', 'alice', 'general'], 0, qr/^$/, qr/^$/, '... unban');
run_is([@DB, 'member', 'add', '--role', 'owner', '--role', 'moderator', 'alice', 'general'], 0, qr/^$/, qr/^$/,
       '... and alice a member again, as before');

# user show: the id, username, global roles, the number of login tokens
# (never a hash), and each room with its room roles.
db()->do('INSERT INTO login_tokens (user_id, hashed_token, created_at) VALUES (?, ?, ?)', undef,
         'bobUserId00000001', $_, $now) for 'showHashOne', 'showHashTwo';
run_is([@DB, 'user', 'show', 'bob'], 0,
       qr/^id: bobUserId00000001\nusername: bob\nroles: admin, app, bot\nlogin tokens: 2\nrooms: 1\nroom: priv \(privRoomId0000001\)\n\z/,
       qr/^$/, 'user show bob (by username): id, username, roles, login tokens, rooms');
unlike(slurp("$dir/out"), qr/showHash/, '... and no token hash');
run_is([@DB, 'member', 'add', '--role', 'leader', 'bob', 'general'], 0, qr/^$/, qr/^$/, 'member add bob general, as leader');
my ($shown) = run_is([@DB, 'user', 'show', 'bobUserId00000001'], 0, qr/^id: bobUserId00000001\n(?:.*\n)*rooms: 2\n/, qr/^$/,
                     'user show (by id): two rooms');
is(join('|', sort $shown =~ /^room: (.*)$/mg), "general (\Q$general\E): leader|priv (privRoomId0000001)",
   '... each with its room roles');
run_is([@DB, 'member', 'del', 'bob', 'general'], 0, qr/^$/, qr/^$/, '... member del again');
run_is([@DB, 'user', 'show', 'alice'], 0,
       qr/^id: \Q$alice\E\nusername: alice\nroles: -\nlogin tokens: 0\nrooms: 1\nroom: general \(\Q$general\E\): moderator, owner\n\z/,
       qr/^$/, 'user show alice: no global role, two room roles');
db()->do("INSERT INTO users (id, username) VALUES ('eveUserId00000001', 'bobUserId00000001')");
run_is([@DB, 'user', 'show', 'bobUserId00000001'], 1, qr/^$/, $both, 'user show: a USER that names two users');
run_is([@DB, 'user', 'show', '--name', 'bobUserId00000001'], 0,
       qr/^id: eveUserId00000001\nusername: bobUserId00000001\nroles: -\nlogin tokens: 0\nrooms: 0\n\z/, qr/^$/,
       'user show --name: by username only');
run_is([@DB, 'user', 'show', '--id', 'bobUserId00000001'], 0, qr/^id: bobUserId00000001\nusername: bob\n/, qr/^$/,
       'user show --id: by id only');
run_is([@DB, 'user', 'show', 'nobody'], 1, qr/^$/, qr/^invitectl: no user 'nobody'$/, 'user show: unknown user');
run_is([@DB, 'user', 'show', 'bob', 'extra'], 2, qr/^$/, qr/^invitectl: bad 'user' arguments/, 'user show: two users');
db()->do("DELETE FROM users WHERE id = 'eveUserId00000001'");
db()->do("DELETE FROM login_tokens WHERE hashed_token IN ('showHashOne', 'showHashTwo')");
# A room named like another room's id (made elsewhere): refused, unless
# --id or --name says which.
db()->do("INSERT INTO rooms (id, t, name) VALUES ('evilRoomId0000001', 'c', 'privRoomId0000001')");
my $rboth = qr/^invitectl: 'privRoomId0000001' is the id of one room and the name of another: say which with --id or --name$/;
run_is([@DB, 'member', 'del', 'bob', 'privRoomId0000001'], 1, qr/^$/, $rboth, 'member del: a ROOM that names two rooms');
run_is([@DB, 'room', 'del', 'privRoomId0000001'], 1, qr/^$/, $rboth, 'room del: the same');
run_is([@DB, 'member', 'del', '--name', 'bob', 'privRoomId0000001'], 1, qr/^$/, qr/not a member/, 'member del --name: both by name');
run_is([@DB, 'member', 'add', '--id', 'bob', 'privRoomId0000001'], 1, qr/^$/, qr/^invitectl: no user 'bob'$/, 'member add --id: both by id');
run_is([@DB, 'room', 'del', '--name', 'privRoomId0000001'], 0, qr/^$/, qr/^$/, 'room del --name');
is(col("SELECT id FROM rooms WHERE id IN ('evilRoomId0000001', 'privRoomId0000001')"), 'privRoomId0000001', '... the other room, not priv');
is(val("SELECT count(*) FROM subscriptions WHERE rid = 'privRoomId0000001'"), 1, "... priv's member stays");

# ---------------------------------------------------------- input limits

# Names, roles, permissions, hashes and USER / ROOM arguments are 1 to 255
# bytes, ids given 1 to 64, none with a control character: refused before
# the database is touched, with a message that does not echo them.
my ($long, $longid) = ('n' x 256, 'i' x 65);
my $counts = sub {
    join ',', map { val("SELECT count(*) FROM $_") }
        qw(users user_roles rooms subscriptions subscription_roles permission_roles login_tokens);
};
my $before = $counts->();
for (
    [['user', 'add', "line\nbreak"], 'the username holds a control character (0x0a)'],
    [['user', 'add', $long], 'the username is longer than 255 bytes'],
    [['user', 'add', ''], 'empty username'],
    [['user', 'add', '--id', $longid, 'carol'], 'the id is longer than 64 bytes'],
    [['user', 'add', '--id', '', 'carol'], 'empty id'],
    [['user', 'add', '--role', "ro\x7fle", 'carol'], 'the role holds a control character (0x7f)'],
    [['user', 'roles', 'bob', 'add', "r\x01"], 'the role holds a control character (0x01)'],
    [['user', 'roles', "bob\t"], 'the user holds a control character (0x09)'],
    [['user', 'del', $long], 'the user is longer than 255 bytes'],
    [['user', 'show', "bob\n"], 'the user holds a control character (0x0a)'],
    [['room', 'add', "ro\eom"], 'the name holds a control character (0x1b)'],
    [['room', 'add', '--id', $longid, 'r2'], 'the id is longer than 64 bytes'],
    [['room', 'add', '--fname', $long, 'r2'], 'the fname is longer than 255 bytes'],
    [['room', 'add', '--prid', "p\n", 'r2'], 'the prid holds a control character (0x0a)'],
    [['room', 'del', "general\r"], 'the room holds a control character (0x0d)'],
    [['member', 'add', "bob\n", 'general'], 'the user holds a control character (0x0a)'],
    [['member', 'del', 'bob', $long], 'the room is longer than 255 bytes'],
    [['member', 'add', '--role', "own\ner", 'bob', 'general'], 'the role holds a control character (0x0a)'],
    [['permission', 'grant', "create\n", 'user'], 'the permission holds a control character (0x0a)'],
    [['permission', 'grant', 'create-invite-links', $long], 'the role is longer than 255 bytes'],
    [['token', 'add', "bob\n"], 'the user holds a control character (0x0a)'],
    [['token', 'revoke', 'bob', "hash\n"], 'the hash holds a control character (0x0a)'],
) {
    my ($args, $err) = @$_;
    (my $name = join ' ', map { length > 20 ? substr($_, 0, 4) . '...(' . length . ' bytes)' : $_ } @$args)
        =~ s/([\x00-\x1f\x7f])/sprintf '\\x%02x', ord $1/ge;
    run_is([@DB, @$args], 2, qr/^$/, qr/^invitectl: \Q$err\E\nTry 'invitectl $args->[0] --help'\.\n$/, "refused: $name");
}
is($counts->(), $before, '... and nothing of them stored');
my ($name255, $id64) = ('u' x 255, 'I' x 64);
run_is([@DB, 'user', 'add', '--id', $id64, '--role', 'r' x 255, $name255], 0, qr/^$id64\n$/, qr/^$/,
       'user add: a 255-byte username and role, a 64-byte id');
run_is([@DB, 'user', 'del', $name255], 0, qr/^$/, qr/^$/, '... user del by its 255-byte username');
run_is([@DB, 'room', 'add', '--id', $id64, '--prid', $id64, '--fname', 'f' x 255, $name255], 0, qr/^$id64\n$/, qr/^$/,
       'room add: a 255-byte name and fname, 64-byte id and prid');
run_is([@DB, 'room', 'del', $id64], 0, qr/^$/, qr/^$/, '... room del by its 64-byte id');
is($counts->(), $before, '... both gone');

# ----------------------------------------------------------- permissions

run_is([@DB, 'permission', 'grant', 'create-invite-links', 'user'], 0, qr/^$/, qr/^$/, 'permission grant');
is(val("SELECT count(*) FROM permission_roles WHERE permission = 'create-invite-links' AND role = 'user'"), 1, '... stored');
run_is([@DB, 'permission', 'grant', 'create-invite-links', 'user'], 1, qr/^$/, qr/'create-invite-links' is already granted to 'user'/,
       'permission grant: duplicate');
run_is([@DB, 'permission', 'revoke', 'create-invite-links', 'user'], 0, qr/^$/, qr/^$/, 'permission revoke');
is(val("SELECT count(*) FROM permission_roles WHERE permission = 'create-invite-links' AND role = 'user'"), 0, '... gone');
run_is([@DB, 'permission', 'revoke', 'create-invite-links', 'user'], 1, qr/^$/, qr/is not granted/, 'permission revoke: not granted');

# ---------------------------------------------------------------- tokens

my ($tok_out, $tok_err) = run_is([@DB, 'token', 'add', 'alice'], 0, qr/^[A-Za-z0-9_-]{43}\n$/, qr/^$/, 'token add');
chomp(my $token = $tok_out);
my $hash = token_hash($token);
is(val('SELECT hashed_token FROM login_tokens WHERE user_id = ?', $alice), $hash,
   'only base64(SHA-256(token)) is stored');
ok(!defined val('SELECT created_at FROM login_tokens WHERE user_id = ?', $alice),
   '... without created_at (a personal access token never expires)');
is(val('SELECT count(*) FROM login_tokens WHERE hashed_token = ?', $token), 0, '... never the token itself');
my ($list) = run_is([@DB, 'token', 'list', 'alice'], 0, qr/^\Q$hash\E\t-\n$/, qr/^$/, 'token list: the hash');
unlike($list, qr/\Q$token\E/, '... never the token');
my ($tok2) = run_is([@DB, 'token', 'add', $alice], 0, qr/^[A-Za-z0-9_-]{43}\n$/, qr/^$/, 'token add, user by id');
isnt($tok2, $tok_out, '... another token');
run_is([@DB, 'token', 'add', 'nobody'], 1, qr/^$/, qr/^invitectl: no user 'nobody'$/, 'token add: unknown user');
run_is([@DB, 'token', 'revoke', 'alice', $hash], 0, qr/^$/, qr/^$/, 'token revoke HASH');
is(val('SELECT count(*) FROM login_tokens WHERE hashed_token = ?', $hash), 0, '... deleted');
is(val('SELECT count(*) FROM login_tokens WHERE user_id = ?', $alice), 1, '... the other one stays');
run_is([@DB, 'token', 'revoke', 'alice', $hash], 1, qr/^$/, qr/no token with that hash/, 'token revoke: unknown hash');
run_is([@DB, 'token', 'revoke', 'alice', '--all'], 0, qr/^$/, qr/^$/, 'token revoke --all');
is(val('SELECT count(*) FROM login_tokens WHERE user_id = ?', $alice), 0, '... none left');
run_is([@DB, 'token', 'list', 'alice'], 0, qr/^$/, qr/^$/, 'token list: none');
run_is([@DB, 'token', 'add', 'alice'], 0, qr/^\S{43}\n$/, qr/^$/, 'token add again (for the delete below)');

# ---------------------------------------------------------- user/room del

run_is([@DB, 'user', 'del', 'alice'], 0, qr/^$/, qr/^$/, 'user del alice');
is(val('SELECT count(*) FROM users WHERE id = ?', $alice), 0, '... gone');
is(val("SELECT count(*) FROM $_ WHERE user_id = ?", $alice), 0, "... and her $_ rows")
    for qw(subscriptions subscription_roles login_tokens);
run_is([@DB, 'room', 'del', 'priv'], 0, qr/^$/, qr/^$/, 'room del priv');
is(val('SELECT count(*) FROM subscriptions WHERE rid = ?', 'privRoomId0000001'), 0, '... and its subscriptions');

# ----------------------------------------------------------------- purge

my %inv = (   # id => [days, max_uses, uses, expires, updated_at]
    expOld   => [1, 0, 0, $now - 40 * $DAY, $now - 41 * $DAY],
    expNew   => [1, 0, 0, $now - 1 * $DAY,  $now - 2 * $DAY],
    usedOld  => [0, 2, 2, undef,            $now - 40 * $DAY],
    usedNew  => [0, 2, 2, undef,            $now - 1 * $DAY],
    liveAll  => [0, 0, 7, undef,            $now - 90 * $DAY],
    liveDate => [7, 5, 1, $now + 2 * $DAY,  $now - 90 * $DAY],
);
for my $id (sort keys %inv) {
    my ($d, $m, $u, $e, $up) = @{ $inv{$id} };
    db()->do('INSERT INTO invites (id, days, max_uses, rid, user_id, created_at, expires, uses, updated_at, slot)'
             . ' VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)', undef,
             $id, $d, $m, $general, 'bobUserId00000001', $now - 100 * $DAY, $e, $u, $up);
}
($out) = run_is([@DB, 'stats'], 0, undef, qr/^$/, 'stats');
is_deeply({ $out =~ /^([^:\n]+): (\S+)$/mg },
          { %stats0, users => 1, rooms => 1, subscriptions => 0, tokens => 0,
            'invites live' => 2, 'invites expired' => 2, 'invites used up' => 2 },
          '... counts users, rooms, subscriptions, tokens and invites by state');
run_is([@DB, 'purge', '--days', '30', '--batch', '1'], 0, qr/^purged 2 invites$/, qr/^$/, 'purge --days 30 --batch 1');
is(col('SELECT id FROM invites ORDER BY id'), 'expNew liveAll liveDate usedNew', '... the two dead for over 30 days');
run_is([@DB, 'purge', '--days', '0'], 0, qr/^purged 2 invites$/, qr/^$/, 'purge --days 0');
is(col('SELECT id FROM invites ORDER BY id'), 'liveAll liveDate', '... every dead one; the live stay');
db()->do('INSERT INTO invites (id, days, max_uses, rid, user_id, created_at, expires, uses, updated_at)'
         . ' VALUES (?, 1, 0, ?, ?, 1, 2, 0, 1)', undef, "many$_", $general, 'u') for 1 .. 25;
run_is([@DB, 'purge', '--batch', '10'], 0, qr/^purged 25 invites$/, qr/^$/, 'purge in batches of 10 (default 30 days)');
is(val('SELECT count(*) FROM invites'), 2, '... all 25');

# ------------------------------------------ the join outbox and check's sync report

# Rows as useInviteToken writes them, for users and a room that exist (the
# foreign keys of PostgreSQL).
sub outbox_row {
    my ($user, $created) = @_;
    db()->do('INSERT INTO users (id, username) VALUES (?, ?) ON CONFLICT DO NOTHING', undef, $user, lc $user);
    db()->do('INSERT INTO join_outbox (user_id, rid, created_at, attempts, next_attempt_at) VALUES (?, ?, ?, 0, ?)',
             undef, $user, $general, $created, $created);
}
sub outbox_users { col('SELECT user_id FROM join_outbox ORDER BY user_id') }
run_is([@DB, 'purge', '--outbox-days', 'week'], 2, qr/^$/, qr/--outbox-days is a number of days/,
       'purge --outbox-days not a number');
my $t = int(Time::HiRes::time() * 1000);
outbox_row('obOld', $t - 10 * $DAY);
outbox_row('obMid', $t - 3 * $DAY);
outbox_row('obNew', $t);
run_is([@DB, 'purge', '--days', '0'], 0, qr/^purged 0 invites$/, qr/^$/, 'purge without --outbox-days');
is(outbox_users(), 'obMid obNew obOld', '... leaves the join outbox alone');
run_is([@DB, 'purge', '--outbox-days', '5'], 0, qr/^purged 0 invites\npurged 1 join outbox rows$/, qr/^$/,
       'purge --outbox-days 5');
is(outbox_users(), 'obMid obNew', '... the row written 10 days ago');
run_is([@DB, 'purge', '--outbox-days', '0', '--batch', '1'], 0, qr/^purged 0 invites\npurged 2 join outbox rows$/,
       qr/^$/, 'purge --outbox-days 0 --batch 1');
is(outbox_users(), '', '... every row, one batch at a time');

# Without invite-sync (no sync_state rows) check only mentions the outbox.
outbox_row('obWait', $t - 60_000);
run_is([@DB, 'check'], 0, qr/\njoin outbox: 1 pending, and no invite-sync has run on this database .*purge --outbox-days N\)\nok$/,
       qr/^$/, 'check without invite-sync: the outbox mentioned, no warning');

sub sync_state {
    my (%kv) = @_;
    db()->do('DELETE FROM sync_state');
    my $at = int(Time::HiRes::time() * 1000);
    db()->do('INSERT INTO sync_state (key, value, updated_at) VALUES (?, ?, ?)', undef, $_, $kv{$_}, $at)
        for sort keys %kv;
}
sub iso { POSIX::strftime('%Y-%m-%dT%H:%M:%S', gmtime(int($_[0] / 1000))) . sprintf('.%03dZ', $_[0] % 1000) }
$t = int(Time::HiRes::time() * 1000);
my %healthy = (source => 'rs0/rocketchat', last_ok_at => $t - 5000, last_event_at => $t - 7000,
               last_full_copy_at => $t - 3_600_000, resume_token => '{"_data":"8263"}');
db()->do('UPDATE join_outbox SET created_at = ?', undef, $t - 60_000);
sync_state(%healthy);
my ($sync) = run_is([@DB, 'check'], 0, qr/\nok$/, qr/^$/, 'check with invite-sync in step: exit 0');
like($sync, qr/^sync source: rs0\/rocketchat$/m, '... the source');
like($sync, qr/^sync last event: \Q${\ iso($t - 7000)}\E \((?:[789]|1[01]) s ago\)$/m, '... the last event, with its age');
like($sync, qr/^sync lag: [5-9] s$/m, '... the lag since the heartbeat');
like($sync, qr/^sync last full copy: \Q${\ iso($t - 3_600_000)}\E \(360[0-4] s ago\)$/m, '... the last full copy');
like($sync, qr/^join outbox: 1 pending\njoin outbox oldest: 6[0-4] s$/m, '... the outbox and its oldest row');
unlike($sync, qr/warning|8263/, '... no warning, and never the resume token');

sync_state(%healthy, last_ok_at => $t - 120_000);
($sync) = run_is([@DB, 'check'], 3, qr/\nok, with 1 warning$/, qr/^$/, 'invite-sync 2 minutes behind: exit 3');
like($sync, qr/^sync lag: 12[0-3] s\nsync last full copy/m, '... the lag');
like($sync, qr/^warning: invite-sync is 12[0-3] s behind \(over 60 s\): is it running\?/m, '... and the warning');

db()->do('UPDATE join_outbox SET created_at = ?', undef, $t - 600_000);
($sync) = run_is([@DB, 'check'], 3, qr/\nok, with 2 warnings$/, qr/^$/, 'and a join waiting 10 minutes: exit 3');
like($sync, qr/^warning: a join has waited 60[0-3] s in join_outbox \(over 300 s\)/m, '... its warning');

sync_state(%healthy, last_ok_at => 'not a time');
($sync) = run_is([@DB, 'check'], 3, qr/\nok, with 1 warning$/, qr/^$/,
                 'a heartbeat that is no time: the time its row was written');
like($sync, qr/^sync lag: [0-3] s$/m, '... lag from updated_at');
sync_state(map { $_ => $healthy{$_} } grep { $_ ne 'last_ok_at' } keys %healthy);
($sync) = run_is([@DB, 'check'], 3, qr/^sync lag: - \(no heartbeat recorded\)$/m, qr/^$/, 'no heartbeat at all: exit 3');
like($sync, qr/^warning: invite-sync has recorded no heartbeat/m, '... with a warning');
db()->do('DELETE FROM sync_state');
db()->do('DELETE FROM join_outbox');
db()->do("DELETE FROM users WHERE id LIKE 'ob%'");
run_is([@DB, 'check'], 0, qr/admin statements prepared: \d+\n(?:write lock taken and released\n)?ok$/, qr/^$/,
       'sync_state and the outbox empty: no sync lines');

# ------------------------------------------------------------- -f FILE

my $params = $DB[3];
(my $quoted = $params) =~ s/(["\\])/\\$1/g;
open my $conf, '>', "$dir/site.conf" or die;
print $conf <<"CONF";
# An Apache configuration: the first DBDriver and DBDParams count.
ServerName ctl.example.com
<IfModule dbd_module>
    dbdriver $engine
    DBDParams "$quoted"
</IfModule>
DBDriver mysql
DBDParams /nonexistent/second.db
CONF
close $conf;
run_is(['-f', "$dir/site.conf", 'check'], 0, qr/\nok\n$/, qr/^$/, '-f: the first DBDriver and quoted DBDParams');
run_is(['-f', "$dir/site.conf", 'user', 'roles', 'bob'], 0, qr/^admin\napp\nbot\n$/, qr/^$/, '-f: the same database');
open $conf, '>', "$dir/single.conf" or die;
(my $single = $params) =~ s/'/\\'/g;
print $conf "DBDriver $engine\nDBDParams \\\n  '$single'\n";
close $conf;
run_is(['-f', "$dir/single.conf", 'stats'], 0, qr/^users: 1$/m, qr/^$/, '-f: single quotes, a continued line');
open $conf, '>', "$dir/nodb.conf" or die;
print $conf "DBDriver $engine\n# DBDParams x\n";
close $conf;
run_is(['-f', "$dir/nodb.conf", 'stats'], 1, qr/^$/, qr/^invitectl: no DBDParams in \Q$dir\E\/nodb\.conf$/, '-f: no DBDParams');
run_is(['-f', "$dir/missing.conf", 'stats'], 1, qr/^$/, qr/^invitectl: cannot read \Q$dir\E\/missing\.conf: No such file or directory$/,
       '-f: no such file, said so');
run_is(['-f', "$dir/nodb.conf", '-p', $params, 'stats'], 0, qr/^users: 1$/m, qr/^$/, '-f with -p: -p wins');
# ${NAME}: from a Define before the line, else the environment, as httpd.
open $conf, '>', "$dir/vars.conf" or die;
print $conf "Define CTL_PARAMS \"$quoted\"\nDBDriver \${INVITE_CTL_ENGINE}\nDBDParams \"\${CTL_PARAMS}\"\n";
close $conf;
{
    local $ENV{INVITE_CTL_ENGINE} = $engine;
    run_is(['-f', "$dir/vars.conf", 'stats'], 0, qr/^users: 1$/m, qr/^$/, '-f: ${NAME} from a Define and from the environment');
}
# One that nothing defines is refused, not read literally (sqlite3 would
# create a file named after it): a variable of neither kind, one defined
# only after the line, one undefined again before it.
delete local $ENV{INVITE_CTL_UNSET};
delete local $ENV{CTL_GONE};
open $conf, '>', "$dir/undefined.conf" or die;
print $conf "DBDriver sqlite3\nDBDParams $dir/\${INVITE_CTL_UNSET}\nDefine INVITE_CTL_UNSET late\n";
close $conf;
run_is(['-f', "$dir/undefined.conf", 'init'], 1, qr/^$/,
       qr/^invitectl: DBDParams in \Q$dir\E\/undefined\.conf holds \$\{INVITE_CTL_UNSET\}, which no Define before it in the file and no environment variable sets: give -p PARAMS, or define it$/,
       '-f, init: an undefined ${NAME} (defined only later) is refused');
ok(!-e "$dir/\${INVITE_CTL_UNSET}", '... and no file named after it is created');
open $conf, '>', "$dir/undefined-again.conf" or die;
print $conf "Define CTL_GONE $dir\nUnDefine CTL_GONE\nDBDriver sqlite3\nDBDParams \${CTL_GONE}/ctl.db\n";
close $conf;
run_is(['-f', "$dir/undefined-again.conf", 'stats'], 1, qr/^$/,
       qr/^invitectl: DBDParams in \Q$dir\E\/undefined-again\.conf holds \$\{CTL_GONE\}, which /,
       '-f: a ${NAME} undefined again by UnDefine is refused');
open $conf, '>', "$dir/unclosed.conf" or die;
print $conf "DBDriver \${INVITE_CTL_UNSET\nDBDParams x.db\n";
close $conf;
run_is(['-f', "$dir/unclosed.conf", 'init'], 1, qr/^$/,
       qr/^invitectl: DBDriver in \Q$dir\E\/unclosed\.conf holds \$\{INVITE_CTL_UNSET, which .*: give -d DRIVER, or define it$/,
       '-f: a "${" without "}" is refused too');

# ------------------------------------------------------------ migrations

my %sql = (
    $F1 => <<'SQL',
-- the next version: a table and a row (a ; inside a string is fine)
CREATE TABLE notes (id INTEGER NOT NULL PRIMARY KEY, body TEXT);
INSERT INTO notes (id, body) VALUES (1, 'two; parts');
SQL
    $F2 => <<'SQL',
-- the one after fails midway: its DDL and data before the error roll back
CREATE TABLE broken (id INTEGER);
INSERT INTO notes (id, body) VALUES (3, 'from 003');
INSERT INTO no_such_table (id) VALUES (1);
CREATE TABLE after_error (id INTEGER);
SQL
);
mkdir "$dir/mig"; mkdir "$dir/mig/$engine";
for (keys %sql) { open my $fh, '>', "$dir/mig/$engine/$_" or die; print $fh $sql{$_}; close $fh }
open my $readme, '>', "$dir/mig/$engine/README" or die; print $readme "not a migration;\n"; close $readme;
run_is([@DB, 'migrate', '--status', '--migrations', "$dir/mig"], 0,
       qr/^schema version: $V\nlatest migration: $N2\nthis build serves: $V\npending: \Q$F1\E\npending: \Q$F2\E\n$/,
       qr/^$/, 'migrate --status: two pending');
run_is([@DB, 'migrate', "--migrations=$dir/mig"], 1, qr/^applied \Q$F1\E: schema version $N1\n$/,
       qr/^invitectl: \Q$F2\E, statement 3: .*no_such_table.*\ninvitectl: \Q$F2\E rolled back: nothing of it was applied\ninvitectl: migration failed: the database stays at schema version $N1\n$/,
       'migrate: the first applied, the second fails');
is(col('SELECT version FROM schema_version ORDER BY version'), "$V $N1", 'the first recorded, the second not');
is(col('SELECT body FROM notes ORDER BY id'), 'two; parts', "the first's data stays, the second's insert rolled back");
ok(!table_exists('broken'), "the second's table created before the error rolled back");
ok(!table_exists('after_error'), "nothing after the error ran");
run_is([@DB, 'check'], 1, qr/^schema version: $N1 \(this build serves $V\)/,
       qr/^invitectl: schema version $N1, but this build serves $V: the database is newer than this mod_invite\ninvitectl: check failed: 1 problem$/,
       'check: wrong schema version');
run_is([@DB, 'init'], 1, qr/^$/, qr/^invitectl: the database holds schema version $N1, this invitectl creates version $V/,
       'init refuses another schema version');
run_is([@DB, 'migrate'], 1, qr/^$/, qr/schema version $N1, newer than every migration known here \(latest $V\)/,
       'migrate with the built-in migrations refuses a newer database');
db()->do('INSERT INTO schema_version (version, applied_at) VALUES (' . ($N2 + 1) . ', 1)');
my $N3 = $N2 + 1;
run_is([@DB, 'migrate', '--migrations', "$dir/mig"], 1, qr/^$/,
       qr/^invitectl: the database holds schema version $N3, newer than every migration known here \(latest $N2\)/,
       'migrate refuses a database newer than every migration');
is(col('SELECT version FROM schema_version ORDER BY version'), "$V $N1 $N3", '... and changes nothing');
run_is([@DB, 'migrate', '--status', '--migrations', "$dir/mig"], 1, qr/^schema version: $N3\n/, qr/newer than every known migration/,
       'migrate --status on a newer database');
mkdir "$dir/dup";
for ('002-a.sql', '002-b.sql') { open my $fh, '>', "$dir/dup/$_" or die; close $fh }
run_is([@DB, 'migrate', '--migrations', "$dir/dup"], 1, qr/^$/, qr/two migrations numbered 002/, 'migrate: two files, one number');
run_is([@DB, 'migrate', '--migrations', "$dir/nodir"], 1, qr/^$/,
       qr/^invitectl: cannot read the directory \Q$dir\E\/nodir: No such file or directory$/, 'migrate: no such directory, said so');
SKIP: {
    skip 'root reads any file', 3 if $> == 0;
    mkdir "$dir/shutmig";
    open my $fh, '>', "$dir/shutmig/002-a.sql" or die; close $fh;
    chmod 0, "$dir/shutmig/002-a.sql";
    run_is([@DB, 'migrate', '--migrations', "$dir/shutmig"], 1, qr/^$/,
           qr/^invitectl: cannot read \Q$dir\E\/shutmig\/002-a\.sql: Permission denied$/, 'migrate: an unreadable migration, said so');
}

# ---------------------------------- against mod_invite, through the server

# The test server's database, through its own configuration file (for
# pgsql: DBDParams in double quotes holding single quotes).
my @SRV = ('-f', "$top/t/conf/invite-db.conf");
run_is([@SRV, 'check'], 0, qr/\nok\n$/, qr/^$/, "check on the server's database");
my $tag = sprintf '%05d', $$ % 100000;
($out) = run_is([@SRV, 'user', 'add', "ctl.owner$tag"], 0, qr/^\S{17}\n$/, qr/^$/, 'server: user add');
chomp(my $uid = $out);
($out) = run_is([@SRV, 'room', 'add', '--type', 'p', "ctlroom$tag"], 0, qr/^\S{17}\n$/, qr/^$/, 'server: room add');
chomp(my $rid = $out);
run_is([@SRV, 'member', 'add', '--role', 'owner', $uid, $rid], 0, qr/^$/, qr/^$/, 'server: member add --role owner');
($out) = run_is([@SRV, 'token', 'add', $uid], 0, qr/^\S{43}\n$/, qr/^$/, 'server: token add');
chomp(my $pat = $out);
my $res = api_post('/api/v1/findOrCreateInvite', { rid => $rid, days => 1, maxUses => 1 }, user => [$uid, $pat]);
is($res->code, 200, "the printed token authenticates: findOrCreateInvite 200") or diag($res->content);
my $j = json_of($res) || {};
is(($j->{rid} // '') . ' ' . ($j->{userId} // ''), "$rid $uid", '... an invite of the room, by the user');
$res = api_post('/api/v1/findOrCreateInvite', { rid => $rid, days => 1, maxUses => 1 }, user => [$uid, "x$pat"]);
is($res->code, 401, 'another token: 401');
run_is([@SRV, 'token', 'revoke', $uid, '--all'], 0, qr/^$/, qr/^$/, 'server: token revoke --all');
$res = api_post('/api/v1/findOrCreateInvite', { rid => $rid, days => 1, maxUses => 1 }, user => [$uid, $pat]);
is($res->code, 401, '... the revoked token: 401');
InviteTest::db_do('DELETE FROM invites WHERE user_id = ?', $uid);
run_is([@SRV, 'user', 'del', $uid], 0, qr/^$/, qr/^$/, 'server: user del');
run_is([@SRV, 'room', 'del', $rid], 0, qr/^$/, qr/^$/, 'server: room del');
is(InviteTest::db_value('SELECT count(*) FROM subscriptions WHERE user_id = ?', $uid), 0, "... nothing of it left");

$db->disconnect if $db;
InviteCtl::drop_database($own);
done_testing();
