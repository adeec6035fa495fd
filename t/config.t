# InviteDBD registers the statement set of the server's DBDriver, read from
# the configuration tree (apache2 -t on small configurations): in any
# order, a virtual host's own DBDriver first, a clear error without one or
# with an engine mod_invite does not speak.
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

# apache2 -t on a configuration body; returns [exit status, output].
sub config_test {
    my ($body) = @_;
    open my $fh, '>', "$dir/httpd.conf" or die $!;
    print $fh <<CONF;
ServerRoot "$dir"
ServerName 127.0.0.1
Listen 127.0.0.1:1
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
    my $out = `$httpd -t -f "$dir/httpd.conf" 2>&1`;
    return [$? >> 8, $out];
}

my $r = config_test("DBDriver sqlite3\nDBDParams $dir/x.db\nInviteDBD On\n");
is($r->[0], 0, 'sqlite3, DBDriver first: syntax OK') or diag($r->[1]);
$r = config_test("InviteDBD On\nDBDriver pgsql\nDBDParams \"dbname=x\"\n");
is($r->[0], 0, 'pgsql, DBDriver after InviteDBD: syntax OK') or diag($r->[1]);
$r = config_test("<IfModule dbd_module>\nDBDriver sqlite3\n</IfModule>\nInviteDBD On\n");
is($r->[0], 0, 'DBDriver inside <IfModule>: found') or diag($r->[1]);
$r = config_test("DBDriver pgsql\n<VirtualHost 127.0.0.1:1>\nDBDriver sqlite3\nInviteDBD On\n</VirtualHost>\n");
is($r->[0], 0, "a virtual host's own DBDriver") or diag($r->[1]);
$r = config_test("InviteDBD On\n");
isnt($r->[0], 0, 'no DBDriver: configuration error');
like($r->[1], qr/InviteDBD: no DBDriver for this server/, '... saying so');
# mod_dbd or mod_invite refuses a driver mod_invite does not speak.
$r = config_test("DBDriver odbc\nInviteDBD On\n");
isnt($r->[0], 0, 'another driver: configuration error');
like($r->[1], qr/odbc/i, '... naming it');
done_testing();
