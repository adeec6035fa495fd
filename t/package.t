# The Debian package (make deb; scripts/test.sh builds it into build/deb/
# before the suite): its files, control fields and maintainer scripts,
# lintian, and the packaged module at work.  The package is extracted
# into a scratch root; an httpd of its own loads what its invite.load
# names (with the dependencies of its "# Depends:" line, as a2enmod would)
# and its invite.conf, and answers findOrCreateInvite from a database
# made with the package's invitectl: on SQLite, or on PostgreSQL in a
# database of its own in the suite's cluster.  A missing package fails.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Cwd qw(abs_path);
use File::Path qw(make_path remove_tree);
use InviteTest;

my $top = abs_path("$FindBin::Bin/..");
my $engine = InviteTest::engine();
my $arch = `dpkg --print-architecture`;
chomp $arch;
my ($deb) = grep { !/-dbgsym_/ } glob("$top/build/deb/libapache2-mod-invite_*_$arch.deb");
ok($deb, "make deb built the package in build/deb/")
    or do { diag('run make deb (scripts/test.sh does, as root)'); done_testing(); exit 1 };
my ($changes) = glob("$top/build/deb/mod-invite_*_$arch.changes");

# --- control fields and maintainer scripts -------------------------------
my %f = map { /^([\w-]+):\s*(.*)$/ ? ($1 => $2) : () } split /\n(?! )/, `dpkg-deb -f "$deb"`;
is($f{Package}, 'libapache2-mod-invite', 'Package');
is($f{Architecture}, $arch, 'Architecture');
my $changelog_version = `cd "$top" && dpkg-parsechangelog -S Version`;
chomp $changelog_version;
is($f{Version}, $changelog_version, "Version is debian/changelog's");
my @depends = split /\s*,\s*/, $f{Depends} // '';
ok((grep { $_ eq 'libaprutil1-dbd-sqlite3 | libaprutil1-dbd-pgsql' } @depends),
   'Depends: the apr_dbd drivers as alternatives') or diag("Depends: $f{Depends}");
ok((grep { /^apache2-api-\d+$/ } @depends), "Depends: the Apache API (dh_apache2)");
ok((grep { /^libjansson4\b/ } @depends), 'Depends: libjansson4 (shlibs)');
my $ctl = "$top/t/var/package/control";
remove_tree("$top/t/var/package");
make_path($ctl);
system('dpkg-deb', '-e', $deb, $ctl) == 0 or die "dpkg-deb -e failed";
like(slurp("$ctl/postinst"), qr/for conf in invite\s.*apache2_invoke enmod \$conf/s,
     'postinst enables the module through apache2-maintscript-helper');
like(slurp("$ctl/prerm"), qr/for conf in invite\s.*apache2_invoke dismod \$conf/s, 'prerm disables it');
is(slurp("$ctl/conffiles"),
   "/etc/apache2/mods-available/invite.conf\n/etc/apache2/mods-available/invite.load\n",
   'the mods-available files are conffiles');

# --- the file list --------------------------------------------------------
my $doc = 'usr/share/doc/libapache2-mod-invite';
# The schemas and example sites of conf/, the documents of docs/.
my @want = (qw(etc/apache2/mods-available/invite.load
               etc/apache2/mods-available/invite.conf
               usr/lib/apache2/modules/mod_invite.so),
            map({ 'usr/share/mod-invite/' . s{.*/}{}r } glob("$top/conf/schema-*.sql $top/conf/site-*.conf")),
            "$doc/copyright", "$doc/changelog.gz",
            map { "$doc/$_" } 'README', 'SECURITY.md',
                map { s{.*/}{}r } glob("$top/docs/*.md"));
# invitectl, its manual page and the schema migrations.
push @want, 'usr/sbin/invitectl', 'usr/share/man/man8/invitectl.8.gz';
push @want, map { s{^\Q$top\E/conf/}{usr/share/mod-invite/}r }
            glob("$top/conf/migrations/*/[0-9][0-9][0-9]-*.sql");
# Files and links (not directories), as paths without the leading ./
my @files = map { m{^[-lh]\S+\s+\S+\s+\d+\s+\S+\s+\S+\s+\./(.*?)(?: -> .*| link to .*)?$} ? $1 : () }
            split /\n/, `dpkg-deb -c "$deb"`;
my %have = map { $_ => 1 } @files;
# dh_compress compresses the larger documents: either name will do.
my @missing = grep { !$have{$_} && !($_ =~ m{^\Q$doc\E/} && $have{"$_.gz"}) } @want;
my %wanted = map { ($_ => 1, "$_.gz" => 1) } @want;
my @extra = grep { !$wanted{$_} } @files;
is("@missing", '', 'every expected file is in the package');
is("@extra", '', 'and nothing else');

# --- lintian --------------------------------------------------------------
ok($changes, 'make deb left the .changes');
my $lintian = `lintian --pedantic --display-info "$changes" 2>&1`;
is($?, 0, 'lintian exits 0');
is($lintian, '', 'lintian has nothing to say (info and pedantic included)');

# --- the packaged module at work ------------------------------------------
my $root = "$top/t/var/package/root";
make_path($root);
system('dpkg-deb', '-x', $deb, $root) == 0 or die "dpkg-deb -x failed";
my $load = slurp("$root/etc/apache2/mods-available/invite.load");
my ($deps) = $load =~ /^# Depends: (.*)$/m;
ok($deps && $deps =~ /\bdbd\b/, 'invite.load depends on dbd') or diag($load);
my ($so) = $load =~ m{^LoadModule invite_module (\S+)$}m;
is($so, '/usr/lib/apache2/modules/mod_invite.so', 'invite.load loads the installed module');
ok(-f "$root$so", '... which the package holds');
# What a2enmod invite enables: the dependencies' .load files, then the
# package's invite.load (the module taken from the scratch root).
my $loads = join '', map { slurp("/etc/apache2/mods-available/$_.load") } split ' ', $deps // '';
(my $invite_load = $load) =~ s{^LoadModule invite_module \S+$}{LoadModule invite_module $root$so}m;

# The database: a file in t/var/package, or a database of its own in the
# suite's PostgreSQL cluster.
my ($dsn, $params, $dsn_db);
if ($engine eq 'pgsql') {
    $dsn_db = 'invite_package';
    my $suite = InviteTest::dbh();
    local $suite->{PrintWarn} = 0;   # NOTICE: ... does not exist, skipping
    InviteTest::db_do("DROP DATABASE IF EXISTS $dsn_db");
    InviteTest::db_do("CREATE DATABASE $dsn_db");
    ($dsn = "dbi:Pg:$ENV{INVITE_TEST_PG_DSN}") =~ s/\bdbname=invite\b/dbname=$dsn_db/;
    ($params = $ENV{INVITE_TEST_PG_PARAMS}) =~ s/\bdbname=invite\b/dbname=$dsn_db/;
}
else {
    $params = "$top/t/var/package/invite.db";
    $dsn = "dbi:SQLite:dbname=$params";
}
my $db = "DBDriver $engine\nDBDParams \"$params\"";
# A user with the admin role and a login token, in a room, all made by
# the package's invitectl (the schema too).
my @db = ("$root/usr/sbin/invitectl", '-d', $engine, '-p', $params);
like(run([@db, 'init']) // '', qr/^initialised: schema version \d+$/,
     "the package's invitectl init ($engine)");
like(run([@db, 'check']) // '', qr/\nok$/, 'invitectl check: schema version and every statement');
my $uid = run([@db, qw(user add --role admin package.admin)]) // '';
like($uid, qr/^\w{17}$/, 'invitectl user add: a user id');
my $rid = run([@db, qw(room add pkgroom)]) // '';
like($rid, qr/^\w{17}$/, 'invitectl room add: a room id');
is(run([@db, 'member', 'add', $uid, $rid]), '', 'invitectl member add');
my $token = run([@db, qw(token add package.admin)]) // '';
like($token, qr/^\S{20,}$/, 'invitectl token add: a token');
my $dbh = DBI->connect($dsn, '', '', { RaiseError => 1, PrintError => 0, PrintWarn => 0 });

# The packaged module is a release build: plain apache2, even under make
# test-asan and make test-valgrind.
my $host = eval {
    InviteTest::start_second_host($top, name => 'package/httpd', load => "$loads$invite_load",
        db => $db, conf => "Include $root/etc/apache2/mods-available/invite.conf",
        httpd => '/usr/sbin/apache2');
};
ok($host, "httpd runs the packaged module with the packaged invite.conf ($engine)")
    or diag($@, slurp("$top/t/var/package/httpd/error_log"));
my $res = $host && api_post('/api/v1/findOrCreateInvite', { rid => $rid, days => 7, maxUses => 5 },
                            user => [$uid, $token],
                            url => "http://127.0.0.1:$host->{port}/api/v1/findOrCreateInvite");
InviteTest::stop_second_host($host) if $host;
is($res && $res->code, 200, 'findOrCreateInvite: 200') or diag($res && $res->as_string);
is($res && $res->header('Content-Type'), 'application/json', 'application/json');
my $j = $res && json_of($res) || {};
my @keys = $res ? $res->content =~ /"(\w+)":/g : ();
is("@keys", '_id days maxUses rid userId createdAt expires url uses _updatedAt success',
   "Rocket.Chat's keys, in its order");
is_deeply([@$j{qw(rid userId days maxUses uses)}, JSON::PP::is_bool($j->{success}) && $j->{success} ? 'true' : 'false'],
          [$rid, $uid, 7, 5, 0, 'true'],
          'rid, userId, days, maxUses, uses, success');
like($j->{_id} // '', qr/^[23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz]{6}$/,
     'a six-character _id');
is($j->{url}, "https://go.rocket.chat/invite?host=chat.example.com&path=invite%2F" . ($j->{_id} // ''),
   'the deep link');
is(scalar $dbh->selectrow_array('SELECT COUNT(*) FROM invites WHERE id = ? AND rid = ? AND user_id = ?',
                                undef, $j->{_id} // '', $rid, $uid),
   1, "the invite is in the package's database");
# (mpm_event's AH10159 about the small MaxRequestWorkers is an [error] too.)
my $log = slurp("$top/t/var/package/httpd/error_log");
ok(index($log, $token) < 0 && index($log, token_hash($token)) < 0,
   'the error log holds neither the token nor its hash');
unlike($log, qr/\[(?:invite:(?:error|warn)|\w+:(?:emerg|alert|crit))\]/,
       'mod_invite logged no error or warning');
$dbh->disconnect;
InviteTest::db_do("DROP DATABASE $dsn_db WITH (FORCE)") if $dsn_db;

done_testing();

# Runs a command; its standard output without the last newline, or undef
# (with a diagnostic) when it fails.
sub run {
    my ($cmd) = @_;
    open my $fh, '-|', @$cmd or return undef;
    my $out = do { local $/; <$fh> } // '';
    close $fh;
    if ($?) { diag("@$cmd: exit status " . ($? >> 8)); return undef; }
    chomp $out;
    return $out;
}

sub slurp {
    my ($file) = @_;
    open my $fh, '<', $file or return '';
    local $/;
    return <$fh> // '';
}
