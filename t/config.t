# SPDX-License-Identifier: Apache-2.0
# InviteDBD checks the DBDriver of its server (the statement set mod_invite
# prepares on its connections), read from
# the configuration tree (apache2 -t on small configurations): in any
# order, a virtual host's own DBDriver first, a clear error without one or
# with an engine mod_invite does not speak.  The rate limit's directives,
# and its socache provider checked when httpd starts.
use strict;
use warnings;
use Test::More;
use FindBin;
use File::Temp qw(tempdir);
use Cwd qw(abs_path);

my $top = abs_path("$FindBin::Bin/..");
my $dir = tempdir(CLEANUP => 1);
my $mods = '/usr/lib/apache2/modules';
# make test-asan and make test-valgrind: the sanitizer's wrapper.
my $httpd = $ENV{INVITE_TEST_HTTPD} || '/usr/sbin/apache2';

# Writes $dir/httpd.conf: a minimal server on `port` with mod_dbd and
# mod_invite loaded, then `body`.
sub write_conf {
    my ($port, $body) = @_;
    open my $fh, '>', "$dir/httpd.conf" or die $!;
    print $fh <<CONF;
ServerRoot "$dir"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile "$dir/httpd.pid"
DefaultRuntimeDir "$dir"
ErrorLog "$dir/error.log"
LoadModule mpm_event_module $mods/mod_mpm_event.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule dbd_module $mods/mod_dbd.so
LoadModule invite_module $top/.libs/mod_invite.so
$body
CONF
    close $fh;
}

# apache2 -t on a configuration body; returns [exit status, output].
sub config_test {
    my ($body) = @_;
    write_conf(1, $body);
    my $out = `$httpd -t -f "$dir/httpd.conf" 2>&1`;
    return [$? >> 8, $out];
}

# (InviteRateLimit off: the default limit needs mod_socache_shmcb, which
# these minimal servers do not load; the provider is checked below.)
my $r = config_test("DBDriver sqlite3\nDBDParams $dir/x.db\nInviteDBD On\nInviteRateLimit off\n");
is($r->[0], 0, 'sqlite3, DBDriver first: syntax OK') or diag($r->[1]);
$r = config_test("InviteDBD On\nDBDriver pgsql\nDBDParams \"dbname=x\"\nInviteRateLimit off\n");
is($r->[0], 0, 'pgsql, DBDriver after InviteDBD: syntax OK') or diag($r->[1]);
$r = config_test("<IfModule dbd_module>\nDBDriver sqlite3\n</IfModule>\nInviteDBD On\nInviteRateLimit off\n");
is($r->[0], 0, 'DBDriver inside <IfModule>: found') or diag($r->[1]);
$r = config_test("InviteRateLimit off\nDBDriver pgsql\n<VirtualHost 127.0.0.1:1>\nDBDriver sqlite3\nInviteDBD On\n</VirtualHost>\n");
is($r->[0], 0, "a virtual host's own DBDriver") or diag($r->[1]);
$r = config_test("InviteDBD On\n");
isnt($r->[0], 0, 'no DBDriver: configuration error');
like($r->[1], qr/InviteDBD: no DBDriver for this server/, '... saying so');
# A SQLite database that is not there: apache2 -t says so (a warning, as
# requests would get a JSON 503 until it is there), naming what is missing.
$r = config_test("DBDriver sqlite3\nDBDParams $dir/no-dir/invite.db\nInviteDBD On\nInviteRateLimit off\n");
is($r->[0], 0, 'a SQLite database in a missing directory: a warning, not an error') or diag($r->[1]);
like($r->[1], qr{INV00603: the main server \S+: no such database \Q$dir\E/no-dir/invite\.db \(no directory \Q$dir\E/no-dir, DBDParams \S+httpd\.conf:\d+\): requests will get a JSON 503}, '... naming the database, the missing directory and the line') or diag($r->[1]);
$r = config_test("DBDriver sqlite3\nDBDParams \"file:$dir/typo.db?mode=rw\"\nInviteDBD On\nInviteRateLimit off\n");
like($r->[1], qr{INV00603: .*no such database \Q$dir\E/typo\.db \(no file \Q$dir\E/typo\.db, }, 'a missing file, named through a file: URI') or diag($r->[1]);
open my $db_file, '>', "$dir/there.db" or die $!;
close $db_file;
$r = config_test("DBDriver sqlite3\nDBDParams $dir/there.db\nInviteDBD On\nInviteRateLimit off\n");
unlike($r->[1], qr/INV00603/, 'a database that is there: no warning');

# mod_dbd or mod_invite refuses a driver mod_invite does not speak.
$r = config_test("DBDriver odbc\nInviteDBD On\n");
isnt($r->[0], 0, 'another driver: configuration error');
like($r->[1], qr/odbc/i, '... naming it');

# The suite's own configuration refuses a mod_invite the machine already
# loads (its LoadModule would be skipped and the installed copy tested).
my ($guard) = do {
    open my $in, '<', "$top/t/conf/extra.conf.in" or die $!;
    local $/;
    <$in> =~ /(<IfModule mod_invite\.c>.*?<\/IfModule>)/s;
};
ok($guard, 't/conf/extra.conf.in guards against a preloaded mod_invite');
$guard =~ s/\@top_dir\@/$top/g;
$r = config_test("DBDriver sqlite3\n$guard\n");
isnt($r->[0], 0, 'mod_invite already loaded: the suite configuration fails');
like($r->[1], qr/mod_invite is already loaded by the machine/, '... saying why');
$r = config_test("DBDriver sqlite3\nInviteLoginExpiration -1\n");
isnt($r->[0], 0, 'InviteLoginExpiration -1: configuration error');
$r = config_test("DBDriver sqlite3\nInviteIdLength 5\n");
like($r->[1], qr/InviteIdLength must be from 6/, 'InviteIdLength 5: refused, naming the range');
$r = config_test("DBDriver sqlite3\nInviteIdLength 64\nInviteLoginExpiration 0\n");
is($r->[0], 0, 'InviteIdLength 64 and InviteLoginExpiration 0 are accepted') or diag($r->[1]);
# --- URL settings: http or https, a host, no query, fragment or credentials
for my $d ('InviteSiteUrl', 'InviteDeepLinkUrl', 'InviteCdnPrefix') {
    for my $good ('https://chat.example.com', 'https://h.example.org/chat',
                  'http://localhost:3000', 'https://links.example.org/',
                  'https://[::1]:8443/chat/') {
        $r = config_test("<Location /api/v1>\n$d $good\n</Location>\n");
        is($r->[0], 0, "$d $good: accepted") or diag($r->[1]);
    }
    my @bad = (
        ['htps://chat.example.com', qr/has the scheme 'htps': it must be http or https/],
        ['ftp://files.example.com', qr/has the scheme 'ftp'/],
        ['chat.example.com', qr/is not a valid absolute URL/],
        ['https://chat.example.com/?a=1', qr/has a query/],
        ['https://chat.example.com/#top', qr/has a fragment/],
        ['"https://chat.example.com/a b"', qr/has a space at character 27/],
        ['https://chat.example.com/{x}', qr/has '\{' at character 26/],
        ['https://user:pw@chat.example.com', qr/has a user name or password/],
        ['https://chat.example.com:99999', qr/has the port '99999'/],
    );
    for my $b (@bad) {
        my ($url, $says) = @$b;
        (my $plain = $url) =~ s/^"|"$//g;
        $r = config_test("$d $url\n");
        isnt($r->[0], 0, "$d $url: configuration error");
        like($r->[1], qr/\Q$d: '$plain'\E $says/, '... naming the directive, the value and what is wrong');
    }
}
# --- the rate limit's directives and its socache provider ----------------
for my $bad ('InviteRateLimit 0 60', 'InviteRateLimit 10', 'InviteRateLimit off 5',
             'InviteRateLimit 10 abc', 'InviteRateLimit 10 0', 'InviteRateLimitCache ""') {
    $r = config_test("$bad\n");
    isnt($r->[0], 0, "$bad: configuration error") or diag($r->[1]);
}
$r = config_test("<VirtualHost 127.0.0.1:1>\nInviteRateLimitCache shmcb\n</VirtualHost>\n");
isnt($r->[0], 0, 'InviteRateLimitCache in a virtual host: configuration error');
$r = config_test("InviteRateLimit 5 10\n<Location /x>\nInviteRateLimit off\n</Location>\n");
is($r->[0], 0, 'InviteRateLimit in the server and a location: syntax OK') or diag($r->[1]);

# Starts httpd in the foreground on a free port with `$body`: returns
# [exit status or 'running', error log, apache2 -t's exit status, its
# output].  Every refusal must come from both (check_config runs in -t).
sub start_test {
    my ($body) = @_;
    require IO::Socket::INET;
    require POSIX;
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0) or die $!;
    my $port = $s->sockport;
    close $s;
    unlink "$dir/error.log";
    $body =~ s/\@PORT\@/$port/g;
    write_conf($port, "DBDriver sqlite3\nDBDParams $dir/x.db\nDBDMin 0\n$body");
    my $pid = fork // die $!;
    if (!$pid) {
        open STDOUT, '>>', "$dir/error.log";
        open STDERR, '>&', \*STDOUT;
        { no warnings 'exec'; exec $httpd, '-DFOREGROUND', '-f', "$dir/httpd.conf"; }
        POSIX::_exit(127);
    }
    my $t = `$httpd -t -f "$dir/httpd.conf" 2>&1`;
    my $t_status = $? >> 8;
    my $status = 'running';
    # A failing post_config exits well within 2 s (within 20 s under the
    # sanitizers' httpd, valgrind's above all).
    my $ticks = { asan => 40, valgrind => 200 }->{$ENV{INVITE_TEST_SANITIZE} // ''} // 20;
    for (1 .. $ticks) {
        if (waitpid($pid, POSIX::WNOHANG()) == $pid) { $status = $? >> 8; last; }
        select(undef, undef, undef, 0.1);
    }
    if ($status eq 'running') {
        kill 'TERM', $pid;
        waitpid($pid, 0);
    }
    my $log = '';
    if (open my $l, '<', "$dir/error.log") { local $/; $log = <$l> // ''; }
    return [$status, $log, $t_status, $t];
}

# A configuration httpd refuses to start is refused by apache2 -t as well,
# with the same INV line: a reload (configtest, then graceful) must never
# meet a refusal first at start-up, which takes the whole server down.
sub t_refuses {
    my ($r, $name) = @_;
    my %codes = map { $_ => 1 } $r->[1] =~ /\b(INV\d{5}):/g;
    isnt($r->[2], 0, "$name: apache2 -t refuses it too") or diag($r->[3]);
    ok(%codes && !grep({ index($r->[3], $_) < 0 } keys %codes),
       "$name: apache2 -t says why (" . join(', ', sort keys %codes) . ')') or diag($r->[3]);
}

$r = start_test("InviteDBD On\n");
isnt($r->[0], 'running', 'rate limit on (default) without a socache provider: httpd does not start');
t_refuses($r, 'rate limit on (default) without a socache provider: httpd does not start');
like($r->[1], qr/LoadModule socache_shmcb_module \S*mod_socache_shmcb\.so.*a2enmod socache_shmcb/,
     '... naming the LoadModule line and a2enmod socache_shmcb');
$r = start_test("InviteDBD On\nInviteRateLimit off\n");
is($r->[0], 'running', 'InviteRateLimit off for the server: no provider needed') or diag($r->[1]);
$r = start_test("<Location /api/v1>\nInviteSiteUrl https://chat.example.com\n</Location>\n");
is($r->[0], 'running', 'module loaded but no InviteDBD: no provider needed') or diag($r->[1]);
$r = start_test("InviteDBD On\nInviteRateLimit off\n<Location /api/v1>\nInviteRateLimit 5 60\n</Location>\n");
isnt($r->[0], 'running', 'off for the server but on in a location: the provider is needed');
t_refuses($r, 'off for the server but on in a location: the provider is needed');
$r = start_test("InviteDBD On\nInviteRateLimitCache nosuch:x\n");
like($r->[1], qr/provider 'nosuch'.*LoadModule socache_nosuch_module/,
     'InviteRateLimitCache with an unknown provider: named in the error');
t_refuses($r, 'InviteRateLimitCache with an unknown provider');
$r = start_test("LoadModule socache_shmcb_module $mods/mod_socache_shmcb.so\nInviteDBD On\nInviteRateLimitCache \"shmcb:$dir/rl(100)\"\n");
isnt($r->[0], 'running', 'InviteRateLimitCache shmcb with a size it refuses: httpd does not start');
like($r->[1], qr/INV00502: InviteRateLimitCache shmcb: /, '... naming the directive and the provider') or diag($r->[1]);
t_refuses($r, 'InviteRateLimitCache shmcb with a size it refuses');
$r = start_test("LoadModule socache_shmcb_module $mods/mod_socache_shmcb.so\nInviteDBD On\n");
is($r->[0], 'running', 'with mod_socache_shmcb: starts') or diag($r->[1]);

# --- SetHandler invite where no InviteDBD On prepares the statements -----
my $api = "<Location /api/v1>\nSetHandler invite\n</Location>\n";
$r = start_test($api);
isnt($r->[0], 'running', 'SetHandler invite without InviteDBD anywhere: httpd does not start');
t_refuses($r, 'SetHandler invite without InviteDBD anywhere: httpd does not start');
like($r->[1], qr/INV00601: the main server 127\.0\.0\.1 uses SetHandler invite \(\S+httpd\.conf:15\) without InviteDBD On.*add InviteDBD On to the main server/,
     '... naming the main server, the SetHandler line and the fix') or diag($r->[1]);
my $vhost = "<VirtualHost 127.0.0.1:\@PORT\@>\nServerName vh.example.com\n$api</VirtualHost>\n";
$r = start_test($vhost);
isnt($r->[0], 'running', 'a virtual host with SetHandler invite, no InviteDBD anywhere: httpd does not start');
t_refuses($r, 'a virtual host with SetHandler invite, no InviteDBD anywhere: httpd does not start');
like($r->[1], qr/INV00602: virtual host vh\.example\.com:[1-9]\d* \(\S+httpd\.conf:14\) uses SetHandler invite \(\S+httpd\.conf:17\) without InviteDBD On.*add InviteDBD On to this virtual host or to the main server/,
     '... naming the virtual host, its definition, the SetHandler line and the fix') or diag($r->[1]);
unlike($r->[1], qr/INV00601/, '... and not the main server, which does not use the handler');
$r = start_test("InviteRateLimit off\nInviteDBD On\n$vhost");
is($r->[0], 'running', 'InviteDBD On in the main server: the virtual host inherits it') or diag($r->[1]);
$r = start_test("InviteRateLimit off\nInviteDBD On\n$api<VirtualHost 127.0.0.1:\@PORT\@>\nServerName vh.example.com\n</VirtualHost>\n");
is($r->[0], 'running', "... and uses the main server's SetHandler") or diag($r->[1]);
$r = start_test("InviteRateLimit off\n<VirtualHost 127.0.0.1:\@PORT\@>\nServerName vh.example.com\nDBDriver sqlite3\nDBDParams $dir/y.db\nInviteDBD On\n$api</VirtualHost>\n");
is($r->[0], 'running', 'a virtual host with its own DBDriver and InviteDBD On') or diag($r->[1]);
# The main server's sections reach every virtual host, and the main
# server itself where a listener is left to it.
my $own = "InviteRateLimit off\n$api<VirtualHost %s>\nServerName vh.example.com\nInviteDBD On\n</VirtualHost>\n";
$r = start_test(sprintf($own, "*:\@PORT\@"));
is($r->[0], 'running', "the main server's SetHandler, used only by a virtual host with InviteDBD On") or diag($r->[1]);
$r = start_test(sprintf($own, "127.0.0.2:\@PORT\@"));
isnt($r->[0], 'running', '... but the listener also reaches the main server: httpd does not start');
t_refuses($r, '... but the listener also reaches the main server: httpd does not start');
like($r->[1], qr/INV00601: the main server/, '... naming the main server') or diag($r->[1]);
$r = start_test("InviteRateLimit off\n$api<VirtualHost *:\@PORT\@>\nServerName vh.example.com\n</VirtualHost>\n");
like($r->[1], qr/INV00602: virtual host vh\.example\.com:\d+ \(\S+httpd\.conf:18\) uses SetHandler invite \(\S+httpd\.conf:16\)/,
     "a virtual host without InviteDBD inheriting the main server's SetHandler: named") or diag($r->[1]);
t_refuses($r, "a virtual host inheriting the main server's SetHandler without InviteDBD");
$r = start_test("<IfModule nosuch_module>\n$api</IfModule>\n<IfDefine NOSUCH_DEFINE>\n$api</IfDefine>\n");
is($r->[0], 'running', 'SetHandler invite only in sections httpd skips: starts') or diag($r->[1]);

# --- links built from ServerName: said at start-up ------------------------
$r = start_test("InviteRateLimit off\nInviteDBD On\n$api");
like($r->[1], qr{\[invite:warn\].*INV00604: the main server 127\.0\.0\.1(?::\d+)? uses SetHandler invite \(\S+httpd\.conf:\d+\) without InviteSiteUrl: invite links are built from its ServerName as http://127\.0\.0\.1(?::\d+)? \(http: every proxy link says secure=no\); set InviteSiteUrl},
     'SetHandler invite without InviteSiteUrl: a warning at start-up naming the URL links get') or diag($r->[1]);
like($r->[1], qr{INV00605: the main server 127\.0\.0\.1(?::\d+)? uses SetHandler invite \(\S+httpd\.conf:\d+\) without InviteMailFrom: sendInvitationEmail answers "Error trying to send email: Invalid from address" until it is set},
     '... and without InviteMailFrom: a notice that sendInvitationEmail cannot send');
$r = start_test("InviteRateLimit off\nInviteDBD On\nInviteSiteUrl https://chat.example.com\nInviteMailFrom noreply\@chat.example.com\n$api");
unlike($r->[1], qr/INV00604/, '... none with InviteSiteUrl');
unlike($r->[1], qr/INV00605/, '... nor with InviteMailFrom');

# --- mod_invite and another mod_dbd consumer on one pool ------------------
# start_test's main server has DBDriver sqlite3 and DBDParams x.db.
my $consumer = "<VirtualHost 127.0.0.1:\@PORT\@>\nServerName auth.example.com\nDBDPrepareSQL \"SELECT 1\" other_label\n</VirtualHost>\n";
my $invite_vh = "<VirtualHost 127.0.0.1:\@PORT\@>\nServerName api.example.com\n%sInviteDBD On\n$api</VirtualHost>\n";
$r = start_test("InviteRateLimit off\n" . sprintf($invite_vh, '') . $consumer);
is($r->[0], 'running', 'mod_invite and DBDPrepareSQL on the main server\'s pool: starts') or diag($r->[1]);
like($r->[1], qr/INV00910: virtual host api\.example\.com:\d+ \(\S+httpd\.conf:15\) with InviteDBD On takes its DBDriver\/DBDParams from the main server \(\S+httpd\.conf:11\), and virtual host auth\.example\.com:\d+ uses the same mod_dbd connection pool \(DBDPrepareSQL, \S+httpd\.conf:24\).*own DBDriver and DBDParams in its virtual host, or keep both consumers' tables in one database/,
     '... warns once, naming both servers, the DBDriver line and the consumer') or diag($r->[1]);
is(scalar(() = $r->[1] =~ /INV00910/g), 1, '... one line');
$r = start_test("InviteRateLimit off\n" . sprintf($invite_vh, "DBDriver sqlite3\nDBDParams $dir/own.db\n") . $consumer);
is($r->[0], 'running', 'mod_invite with its own DBDriver/DBDParams beside it: starts') or diag($r->[1]);
unlike($r->[1], qr/INV00910/, '... no warning');
like($r->[1], qr/INV00911: mod_invite \d+\.\d+\.\d+: virtual host api\.example\.com:\d+ uses database \Q$dir\E\/own\.db \(sqlite3\)/,
     '... and start-up names its database');
$r = start_test("LoadModule authn_core_module $mods/mod_authn_core.so\nLoadModule auth_basic_module $mods/mod_auth_basic.so\nLoadModule authn_dbd_module $mods/mod_authn_dbd.so\nInviteRateLimit off\nInviteDBD On\n<Location /private>\nAuthBasicProvider dbd\n</Location>\n");
like($r->[1], qr/INV00910: the main server .*\(AuthBasicProvider, /,
     'AuthBasicProvider dbd in the main server, InviteDBD On there too: warned') or diag($r->[1]);
done_testing();
