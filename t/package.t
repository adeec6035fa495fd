# SPDX-License-Identifier: Apache-2.0
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
use ReadmeBlock ();
use LWP::UserAgent;
use JSON::PP ();

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

# --- invite-sync, the second package ----------------------------------------
{
    my ($sync) = grep { !/-dbgsym_/ } glob("$top/build/deb/invite-sync_*_$arch.deb");
    ok($sync, 'make deb built invite-sync too');
    my %s = $sync ? map { /^([\w-]+):\s*(.*)$/ ? ($1 => $2) : () } split /\n(?! )/, `dpkg-deb -f "$sync"` : ();
    is($s{Package} // '', 'invite-sync', 'invite-sync: Package');
    is($s{Version} // '', $changelog_version, "invite-sync: Version is debian/changelog's");
    my @d = split /\s*,\s*/, $s{Depends} // '';
    ok((grep { $_ eq "libapache2-mod-invite (= $changelog_version)" } @d),
       'invite-sync: Depends on the module of the same version') or diag("Depends: $s{Depends}");
    ok((grep { /^libmongoc-1\.0-0\b/ } @d), 'invite-sync: Depends on libmongoc (shlibs)') or diag("Depends: $s{Depends}");
    my $sdoc = 'usr/share/doc/invite-sync';
    my @swant = ('usr/sbin/invite-sync', 'usr/share/man/man8/invite-sync.8.gz',
                 'lib/systemd/system/invite-sync.service', "$sdoc/copyright", "$sdoc/changelog.gz",
                 "$sdoc/rocketchat.md", "$sdoc/examples/invite-sync.conf.example",
                 'usr/share/lintian/overrides/invite-sync');
    my @sfiles = $sync ? map { m{^[-lh]\S+\s+\S+\s+\d+\s+\S+\s+\S+\s+\./(.*?)(?: -> .*| link to .*)?$} ? $1 : () }
                         split /\n/, `dpkg-deb -c "$sync"` : ();
    my %shave = map { $_ => 1 } @sfiles;
    my %swanted = map { ($_ => 1, "$_.gz" => 1) } @swant;
    is(join(' ', grep { !$shave{$_} && !($_ =~ m{^\Q$sdoc\E/} && $shave{"$_.gz"}) } @swant), '',
       'invite-sync: the daemon, its manual page, its unit, rocketchat.md and the example settings');
    is(join(' ', grep { !$swanted{$_} } @sfiles), '', 'invite-sync: and nothing else (the lintian override aside)');
    my $sroot = "$top/t/var/package/invite-sync";
    remove_tree($sroot);
    make_path("$sroot/DEBIAN");
    if ($sync) {
        system('dpkg-deb', '-x', $sync, $sroot) == 0 or die "dpkg-deb -x failed";
        system('dpkg-deb', '-e', $sync, "$sroot/DEBIAN") == 0 or die "dpkg-deb -e failed";
    }
    like(slurp("$sroot/DEBIAN/postinst") // '', qr/deb-systemd-helper enable 'invite-sync\.service'/,
         'invite-sync: the postinst enables the unit (dh_installsystemd)');
    ok(!-e "$sroot/DEBIAN/conffiles", 'invite-sync: no conffiles (the settings file is the administrator\'s)');
    my $unit = slurp("$sroot/lib/systemd/system/invite-sync.service") // '';
    is($unit, slurp("$top/conf/invite-sync.service"), 'invite-sync: the unit is conf/invite-sync.service');
    like($unit, qr{^ConditionPathExists=/etc/mod-invite/invite-sync\.conf$}m,
         'invite-sync: the unit runs only once the settings file exists');
    like($unit, qr{^ExecStart=/usr/sbin/invite-sync .*--config %d/invite-sync\.conf$}m,
         'invite-sync: the unit runs the packaged daemon with the settings handed over by systemd');
  SKIP: {
        skip 'no systemd-analyze', 1 unless -x '/usr/bin/systemd-analyze';
        # The unit as packaged, its daemon and manual page taken from the
        # extracted package.
        (my $u = $unit) =~ s{/usr/sbin/invite-sync}{$sroot/usr/sbin/invite-sync}g;
        spew("$sroot/invite-sync.service", $u);
        my $out = `MANPATH="$sroot/usr/share/man" systemd-analyze verify "$sroot/invite-sync.service" 2>&1`;
        is($? . $out, '0', 'invite-sync: systemd-analyze verify accepts the unit');
    }
}

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

# --- the wrong database path: every document names the one path -------------
# (The Debian section once said /var/lib/invite/invite.db, a directory
# nothing creates: invitectl then fails with "unable to open database file".)
{
    my @bad;
    for my $f (grep { -f } map { glob("$top/$_") } qw(README docs/* conf/*.conf conf/migrations/README debian/*)) {
        open my $fh, '<', $f or next;
        while (my $line = <$fh>) {
            push @bad, "$f:$.: $1" while $line =~ m{(/var/lib/(?!mod\\?-invite\b|apache2\b|libapache2-mod-invite\b)[\w.-]+)}g;
        }
    }
    is("@bad", '', 'the documents name /var/lib/mod-invite as the database directory, nothing else');
}

# The example sites' comments give the README's install steps (the TLS
# site with its own name and mod_ssl: its database lines).
{
    my @lines = split /\n/, ReadmeBlock::block($top, 'install') // '';
    my $plain = slurp("$top/conf/site-example.conf");
    my @missing = grep { index($plain, "#      $_\n") < 0 } @lines;
    ok(@lines && !@missing, "conf/site-example.conf's comments give the README's install steps")
        or diag(join "\n", 'missing:', @missing);
    my $tls = slurp("$top/conf/site-example-tls.conf");
    my @db = grep { m{/var/lib/mod-invite} } @lines;
    @missing = grep { index($tls, "#      $_\n") < 0 } @db;
    ok(@db == 2 && !@missing, "conf/site-example-tls.conf's comments: the README's database lines")
        or diag(join "\n", 'missing:', @missing);
}

# --- the administrator's way, on a scratch root standing in for the machine -
# The SQLite suite only (the steps are SQLite's).  $sys stands in for /:
# its own /etc/apache2 (Debian's layout, a default site on a port of its
# own) served by an httpd started from there, the package unpacked into
# it, the maintainer scripts and apache2-maintscript-helper run as they
# are with the machine's paths moved under $sys (moved() below), and the
# README's install, quick start and upgrade lines run as they stand, with
# the same paths moved and the port 8080 taken from the example site.
# Stand-ins act as root would: runuser -u www-data and install -o/-g
# www-data as the test's user; systemctl, invoke-rc.d and apache2ctl on
# the scratch httpd (apache2ctl's configtest before graceful and restart
# included), each call logged in $sys/run/actions.
if ($engine eq 'sqlite3') {
    admin_run();
}


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

# The administrator's way (see above).
my ($sys, $bin, %sysenv, $sys_conf);
sub moved {
    my ($text) = @_;
    my $dirs = join '|', map { quotemeta } qw(etc/apache2 var/lib/apache2 var/lib/libapache2-mod-invite
        var/lib/mod-invite usr/share/apache2 usr/share/mod-invite usr/sbin/a2 usr/bin/logger
        usr/lib/apache2/modules/mod_invite.so);
    my $n = $text =~ s{(?<![\w./-])/($dirs)}{$sys/$1}g;
    return wantarray ? ($text, $n) : $text;
}

sub spew {
    my ($file, $text, $mode) = @_;
    open my $fh, '>', $file or die "$file: $!";
    print $fh $text;
    close $fh or die "$file: $!";
    chmod $mode, $file if $mode;
}

# Runs shell text in the scratch machine's environment: exit status and
# output (stdout and stderr).
sub sys_sh {
    my ($script, @args) = @_;
    my $file = "$sys/run/step.sh";
    spew($file, $script, 0755);
    local %ENV = (%ENV, %sysenv);
    my $out = `"$file" @args 2>&1`;
    return ($? >> 8, $out);
}

# A maintainer script of the package, run as dpkg runs it.
sub maintscript {
    my ($name, @args) = @_;
    local %ENV = (%ENV, DPKG_MAINTSCRIPT_NAME => $name,
                  DPKG_MAINTSCRIPT_PACKAGE => 'libapache2-mod-invite');
    return sys_sh(scalar moved(slurp("$ctl/$name")), @args);
}

# dpkg's unpack (the files, invite.load's module moved) and its removal
# of the files (the conffiles too on purge).
sub unpack_package {
    system('dpkg-deb', '-x', $deb, $sys) == 0 or die "dpkg-deb -x failed";
    my $load = "$sys/etc/apache2/mods-available/invite.load";
    spew($load, scalar moved(slurp($load)));
    my $site = "$sys/usr/share/mod-invite/site-example.conf";
    my $text = slurp($site);
    $text =~ s{^(\s*DBDParams) (/var/lib/mod-invite/)}{"$1 " . scalar moved($2)}me;
    $text =~ s/^Listen 8080$/Listen 127.0.0.1:$_[0]/m;
    $text =~ s/<VirtualHost \*:8080>/<VirtualHost *:$_[0]>/;
    spew($site, $text);
}
sub remove_files {
    my ($purge) = @_;
    my %conffile = map { $_ => 1 } split /\n/, slurp("$ctl/conffiles");
    for (split /\n/, `dpkg-deb -c "$deb"`) {
        my ($path) = m{^[-l]\S+\s+\S+\s+\d+\s+\S+\s+\S+\s+\.(/\S+)} or next;
        unlink "$sys$path" if $purge || !$conffile{$path};
    }
}

sub http_get {
    my ($port, $path, $body) = @_;
    my $ua = LWP::UserAgent->new(keep_alive => 0, timeout => 10);
    return $body
        ? $ua->post("http://127.0.0.1:$port$path", 'Content-Type' => 'application/json', Content => $body)
        : $ua->get("http://127.0.0.1:$port$path");
}
# Waits (graceful and restart return before the new generation serves)
# for $want to hold of the answer; the last answer.
sub wait_for {
    my ($want, @req) = @_;
    my $res;
    for (1 .. 100) {
        $res = http_get(@req);
        return $res if $want->($res);
        select(undef, undef, undef, 0.1);
    }
    return $res;
}
sub validate_answers {
    my ($port, $code, $name) = @_;
    my $res = wait_for(sub { $_[0]->code == $code }, $port, '/api/v1/validateInviteToken', '{"token":"none"}');
    my $want = $code == 200 ? '{"valid":false,"success":true}' : $res->content;
    is($res->code . ' ' . $res->content, "$code $want", $name)
        or diag($res->as_string, slurp("$sys/var/log/apache2/error.log"));
}
sub default_site_serves {
    my ($port, $name) = @_;
    my $res = wait_for(sub { $_[0]->code == 200 }, $port, '/index.html');
    is($res->code . ' ' . $res->content, "200 the default site\n", $name)
        or diag($res->as_string, slurp("$sys/var/log/apache2/error.log"));
}
sub readme_block {
    my ($name, %port) = @_;
    my $text = ReadmeBlock::block($top, $name);
    ok(defined $text, "README: the $name block is there") or return undef;
    my ($moved, $n) = moved($text);
    $moved =~ s/127\.0\.0\.1:8080\b/127.0.0.1:$port{port}/g if $port{port};
    return ($moved, $n, $text);
}
sub actions { my $a = slurp("$sys/run/actions"); spew("$sys/run/actions", ''); return $a }

sub admin_run {
    $sys = "$top/t/var/package/system";
    $bin = "$top/t/var/package/bin";
    remove_tree($sys, $bin);
    make_path((map { "$sys/$_" } qw(run var/log/apache2 var/lib/apache2 var/www/html usr/sbin usr/share/apache2)),
              (map { ("$sys/etc/apache2/$_-available", "$sys/etc/apache2/$_-enabled") } qw(mods sites conf)));
    make_path($bin);
    %sysenv = (PATH => "$bin:$sys/usr/sbin:$ENV{PATH}", SCRATCH_ROOT => $sys,
               APACHE_CONFDIR => "$sys/etc/apache2", APACHE_STATE_DIRECTORY => "$sys/var/lib/apache2");
    my ($port0, $port1) = (InviteTest::free_port(), InviteTest::free_port());
    $port1 = InviteTest::free_port() while $port1 == $port0;

    # The machine: Debian's apache2 layout, a default site on its port.
    $sys_conf = "$sys/etc/apache2/apache2.conf";
    system("cp -a /etc/apache2/mods-available/. '$sys/etc/apache2/mods-available/'") == 0 or die "cp";
    unlink glob("$sys/etc/apache2/mods-available/invite.*");
    spew($sys_conf, <<CONF);
# Debian's apache2.conf, in short, in the scratch root.
ServerRoot "$sys/etc/apache2"
ServerName 127.0.0.1
PidFile "$sys/run/apache2.pid"
DefaultRuntimeDir "$sys/run"
ErrorLog "$sys/var/log/apache2/error.log"
LogLevel warn
IncludeOptional mods-enabled/*.load
IncludeOptional mods-enabled/*.conf
Include ports.conf
IncludeOptional conf-enabled/*.conf
IncludeOptional sites-enabled/*.conf
CONF
    spew("$sys/etc/apache2/ports.conf", "Listen 127.0.0.1:$port0\n");
    spew("$sys/etc/apache2/envvars", "# (the scratch root's: empty)\n");
    spew("$sys/etc/apache2/sites-available/000-default.conf", <<CONF);
<VirtualHost *:$port0>
    DocumentRoot "$sys/var/www/html"
    <Directory "$sys/var/www/html">
        Require all granted
    </Directory>
</VirtualHost>
CONF
    spew("$sys/var/www/html/index.html", "the default site\n");
    # Root's tools, for the scratch root (see above).
    spew("$bin/apache2ctl", <<'SH', 0755);
#!/bin/bash
# apache2ctl on the scratch root's apache2.conf, as the test's user.
conf="$SCRATCH_ROOT/etc/apache2/apache2.conf"
echo "apache2ctl $*" >> "$SCRATCH_ROOT/run/actions"
case $1 in
configtest) exec /usr/sbin/apache2 -t -f "$conf" ;;
-V|-M|-S) exec /usr/sbin/apache2 -f "$conf" "$1" ;;
start|stop) exec /usr/sbin/apache2 -f "$conf" -k "$1" ;;
graceful|restart)
    # As apache2ctl: never with a configuration that does not parse.
    /usr/sbin/apache2 -t -f "$conf" || exit 1
    exec /usr/sbin/apache2 -f "$conf" -k "$1" ;;
*) echo "apache2ctl (scratch root): $1 is not done here" >&2; exit 2 ;;
esac
SH
    spew("$bin/systemctl", <<'SH', 0755);
#!/bin/bash
# systemctl ACTION apache2, as apache2.service does it (reload: graceful).
echo "systemctl $*" >> "$SCRATCH_ROOT/run/actions"
[ "$2" = apache2 ] || { echo "systemctl (scratch root): apache2 only" >&2; exit 2; }
case $1 in reload) exec apache2ctl graceful ;; start|stop|restart) exec apache2ctl "$1" ;; esac
echo "systemctl (scratch root): $1 is not done here" >&2; exit 2
SH
    spew("$bin/invoke-rc.d", <<'SH', 0755);
#!/bin/bash
# invoke-rc.d apache2 ACTION, as /etc/init.d/apache2 does it.
echo "invoke-rc.d $*" >> "$SCRATCH_ROOT/run/actions"
[ "$1" = apache2 ] || { echo "invoke-rc.d (scratch root): apache2 only" >&2; exit 2; }
case $2 in reload) exec apache2ctl graceful ;; start|stop|restart) exec apache2ctl "$2" ;; esac
echo "invoke-rc.d (scratch root): $2 is not done here" >&2; exit 2
SH
    spew("$bin/runuser", <<'SH', 0755);
#!/bin/bash
# runuser -u www-data -- COMMAND: the test's user stands in for www-data.
[ "$1" = -u ] && [ "$2" = www-data ] && [ "$3" = -- ] ||
  { echo "runuser (scratch root): only runuser -u www-data -- COMMAND" >&2; exit 2; }
shift 3
exec "$@"
SH
    spew("$bin/install", <<'SH', 0755);
#!/bin/bash
# install: -o www-data and -g www-data become the test's user and group.
args=()
while [ $# -gt 0 ]; do
  case $1 in
  -o|-g) [ "$2" = www-data ] || { echo "install (scratch root): $1 $2: www-data only" >&2; exit 2; }
         if [ "$1" = -o ]; then args+=(-o "$(id -un)"); else args+=(-g "$(id -gn)"); fi
         shift 2 ;;
  *) args+=("$1"); shift ;;
  esac
done
exec /usr/bin/install "${args[@]}"
SH
    # a2enmod and friends honour APACHE_CONFDIR; a2query is moved.
    symlink('/usr/sbin/a2enmod', "$sys/usr/sbin/$_") for qw(a2enmod a2dismod a2ensite a2dissite a2enconf a2disconf);
    spew("$sys/usr/sbin/a2query", scalar moved(slurp('/usr/sbin/a2query')), 0755);
    spew("$sys/usr/share/apache2/apache2-maintscript-helper",
         scalar moved(slurp('/usr/share/apache2/apache2-maintscript-helper')));
    my ($rc, $out) = sys_sh("set -e\na2enmod -q mpm_event authz_core reqtimeout\na2ensite -q 000-default\napache2ctl start\n");
    is($rc, 0, 'the scratch machine: its Apache starts') or diag($out);
    my $started = !$rc;
    default_site_serves($port0, 'the scratch machine serves its default site');
    actions();

    # apt install: unpack, postinst configure.
    unpack_package($port1);
    ($rc, $out) = maintscript('postinst', 'configure');
    is($rc, 0, 'postinst configure') or diag($out);
    ok(-l "$sys/etc/apache2/mods-enabled/$_", "postinst: mods-enabled/$_")
        for qw(invite.load invite.conf dbd.load socache_shmcb.load);
    like(actions(), qr/^invoke-rc\.d apache2 restart$/m, 'postinst: apache2 restarted');
    default_site_serves($port0, 'the default site, with mod_invite loaded');

    # The README's install steps, as they stand.
    my ($install, $n, $text) = readme_block('install');
    $install //= '';
    my @ctl = grep { /\binvitectl\b/ } split /\n/, $text // '';
    ok(@ctl && !grep({ !/^runuser -u www-data -- invitectl / } @ctl),
       "install: invitectl runs as Apache's user (runuser -u www-data)") or diag(@ctl);
    like($text // '', qr{^install -d -o www-data -g www-data -m 750 /var/lib/mod-invite$}m,
         "install: the database's directory, Apache's user's (install -d)");
    is($n, 4, 'install: four paths moved into the scratch root');
    ($rc, $out) = sys_sh("set -e\n$install");
    is($rc, 0, 'install: every line succeeds') or diag($install, $out);
    my @st = stat("$sys/var/lib/mod-invite");
    ok(@st && ($st[2] & 07777) == 0750 && $st[4] == $>, 'install: /var/lib/mod-invite, 750, Apache\'s user\'s');
    @st = stat("$sys/var/lib/mod-invite/invite.db");
    ok(@st && $st[4] == $>, "install: invite.db, Apache's user's");
    ok(-l "$sys/etc/apache2/sites-enabled/invite-example.conf", 'install: the site is enabled');
    like(actions(), qr/^systemctl reload apache2\napache2ctl graceful$/m, 'install: Apache reloaded gracefully');
    validate_answers($port1, 200, 'install: validateInviteToken answers on the example site');

    # The quick start, on the installed site.
    my ($quick) = readme_block('quick start', port => $port1);
    ($rc, $out) = sys_sh("set -e\n" . ($quick // 'false') . "\necho\necho \"rid=\$rid\"\n");
    my ($json, $rid) = $out =~ /^(\{.*\})\nrid=(\w+)$/ms;
    my $j = eval { JSON::PP::decode_json($json // '') } || {};
    ok(!$rc && $j->{success} && $j->{rid} eq ($rid // '-') && length($j->{_id} // '') == 6,
       'quick start: curl gets the new invite') or diag($out);

    # A database one schema version behind the package's (version 1, and
    # every packaged migration but the last), then the README's upgrade
    # steps.
    unlink glob("$sys/var/lib/mod-invite/invite.db*");
    my $db1 = "$sys/var/lib/mod-invite/invite.db";
    my $old = DBI->connect("dbi:SQLite:dbname=$db1", '', '',
                           { RaiseError => 1, sqlite_allow_multiple_statements => 1 });
    $old->do(slurp("$top/t/data/schema-v1-sqlite3.sql"));
    $old->disconnect;
    my @steps = sort glob("$sys/usr/share/mod-invite/migrations/sqlite3/[0-9][0-9][0-9]-*.sql");
    pop @steps;
    my $older = "$top/t/var/package/migrations-but-the-last";
    remove_tree($older);
    make_path($older);
    system('cp', @steps, $older) == 0 or die "cp" if @steps;
    my $behind = run(["$sys/usr/sbin/invitectl", '-d', 'sqlite3', '-p', $db1, 'migrate', '--migrations', $older]);
    ok(defined $behind, 'upgrade: a database one schema version behind') or diag($behind);
    ($rc, $out) = sys_sh("apache2ctl graceful\n");
    validate_answers($port1, 503, 'upgrade: a database of schema version 1 gets a 503');
    like(slurp("$sys/var/log/apache2/error.log"), qr/INV00905: .*has schema version \d+, older .*"invitectl .* migrate"/,
         'upgrade: the error log says to run invitectl migrate');
    my ($upgrade, $un) = readme_block('upgrade');
    is($un, 1, 'upgrade: the database path moved into the scratch root');
    ($rc, $out) = sys_sh("set -e\n" . ($upgrade // 'false'));
    is($rc, 0, 'upgrade: every line succeeds') or diag($upgrade, $out);
    like(actions(), qr/^systemctl reload apache2\napache2ctl graceful$/m, 'upgrade: Apache reloaded gracefully');
    validate_answers($port1, 200, 'upgrade: validateInviteToken answers again');

    # Why the prerm disables the site: the module alone disabled, this
    # Apache would not start (a copy of its /etc/apache2).
    my $copy = "$top/t/var/package/etc-module-only";
    remove_tree($copy);
    system('cp', '-a', "$sys/etc/apache2", $copy) == 0 or die "cp";
    (my $conf = slurp("$copy/apache2.conf")) =~ s{^ServerRoot .*$}{ServerRoot "$copy"}m;
    spew("$copy/apache2.conf", $conf);
    {
        local %ENV = (%ENV, APACHE_CONFDIR => $copy, APACHE_STATE_DIRECTORY => "$copy/state");
        system("/usr/sbin/a2dismod -q invite >/dev/null 2>&1");
    }
    my $t = `/usr/sbin/apache2 -t -f "$copy/apache2.conf" 2>&1`;
    ok($? != 0 && $t =~ /site-example\.conf needs mod_invite/,
       'without the prerm disabling the site, a2dismod invite leaves an Apache that does not start')
        or diag($t);

    # apt remove: prerm remove, the files (not the conffiles), postrm remove.
    ($rc, $out) = maintscript('prerm', 'remove');
    is($rc, 0, 'remove: prerm remove') or diag($out);
    like($out, qr/^libapache2-mod-invite: disabling site invite-example, which uses mod_invite /m,
         'remove: the prerm names the site it disables');
    unlike($out, qr/disabling site 000-default/, 'remove: and leaves the default site alone');
    ok(!-e "$sys/etc/apache2/sites-enabled/invite-example.conf"
       && -l "$sys/etc/apache2/sites-enabled/000-default.conf", 'remove: invite-example disabled, 000-default not');
    ok(!-e "$sys/etc/apache2/mods-enabled/invite.load", 'remove: the module disabled');
    is(slurp("$sys/var/lib/libapache2-mod-invite/disabled"), "site invite-example\n",
       'remove: the site recorded for a reinstall');
    remove_files(0);
    ($rc, $out) = maintscript('postrm', 'remove');
    is($rc, 0, 'remove: postrm remove') or diag($out);
    like(actions(), qr/^invoke-rc\.d apache2 restart$/m, 'remove: apache2 restarted');
    ($rc, $out) = sys_sh("apache2ctl configtest\n");
    is($rc, 0, 'remove: apache2ctl configtest passes') or diag($out);
    default_site_serves($port0, 'remove: Apache serves its default site');
    ok(!http_get($port1, '/')->is_success, 'remove: and no longer the invite site');

    # apt install again: the module and the site back.
    unpack_package($port1);
    ($rc, $out) = maintscript('postinst', 'configure', $f{Version});
    is($rc, 0, 'reinstall: postinst configure') or diag($out);
    like($out, qr/enabling site invite-example again/, 'reinstall: the postinst names the site it enables again');
    ok(-l "$sys/etc/apache2/sites-enabled/invite-example.conf" && -l "$sys/etc/apache2/mods-enabled/invite.load",
       'reinstall: the module and the site enabled again');
    ok(!-e "$sys/var/lib/libapache2-mod-invite", 'reinstall: the record is gone');
    validate_answers($port1, 200, 'reinstall: validateInviteToken answers again');
    actions();

    # apt purge: prerm remove, files, postrm remove, conffiles, postrm purge.
    ($rc, $out) = maintscript('prerm', 'remove');
    is($rc, 0, 'purge: prerm remove') or diag($out);
    like($out, qr/disabling site invite-example/, 'purge: the prerm names the site it disables');
    remove_files(1);
    my @rcs = map { (maintscript('postrm', $_))[0] } qw(remove purge);
    is("@rcs", '0 0', 'purge: postrm remove, postrm purge');
    my @left = grep { -e || -l } map { "$sys/$_" } qw(etc/apache2/mods-enabled/invite.load
        etc/apache2/mods-enabled/invite.conf etc/apache2/mods-available/invite.load
        etc/apache2/sites-enabled/invite-example.conf var/lib/libapache2-mod-invite
        var/lib/apache2/site/disabled_by_maint/invite-example
        var/lib/apache2/module/disabled_by_maint/invite usr/lib/apache2/modules/mod_invite.so);
    is("@left", '', 'purge: nothing of the package or its records is left');
    ok(-f "$sys/etc/apache2/sites-available/invite-example.conf" && -s "$sys/var/lib/mod-invite/invite.db",
       'purge: the site file and the database stay');
    like(actions(), qr/^invoke-rc\.d apache2 restart$/m, 'purge: apache2 restarted');
    ($rc, $out) = sys_sh("apache2ctl configtest\n");
    is($rc, 0, 'purge: apache2ctl configtest passes') or diag($out);
    default_site_serves($port0, 'purge: Apache serves its default site');
    ($rc, $out) = sys_sh(<<'SH');
set -e
apache2ctl stop
for i in $(seq 100); do [ -e "$SCRATCH_ROOT/run/apache2.pid" ] || break; sleep 0.1; done
apache2ctl start
SH
    is($rc, 0, 'purge: Apache stops and starts again') or diag($out);
    default_site_serves($port0, 'purge: after a fresh start too');
    unlike(slurp("$sys/var/log/apache2/error.log"), qr/\[\w+:(?:emerg|alert|crit)\]/,
           'the scratch Apache logged nothing critical') or diag(slurp("$sys/var/log/apache2/error.log"));
}
# (By its pid: apache2 -k stop reads the configuration first, which a
# failed removal may have broken.)
END {
    my $pid = $sys && slurp("$sys/run/apache2.pid");
    kill 'TERM', $1 if $pid && $pid =~ /^(\d+)/;
}
