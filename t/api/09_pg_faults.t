# PostgreSQL going away and coming back: while it is down requests get a
# JSON 503 within a bounded time and httpd stays up; afterwards requests
# succeed again without any restart of Apache, after a stop followed by a
# start and after a fast restart (which leaves pooled connections whose
# server-side prepared statements are gone: craft guide P7).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use InviteTest;
use Cwd qw(abs_path);
use Time::HiRes qw(time);

plan tests => 16, need { 'PostgreSQL only (runs in the pgsql suite)' => engine() eq 'pgsql' };

my $top = abs_path("$FindBin::Bin/../..");
my $cluster = $ENV{INVITE_TEST_PG_CLUSTER} or die 'INVITE_TEST_PG_CLUSTER unset';
my $P = '/api/v1/findOrCreateInvite';
my $pidfile = "$top/t/logs/httpd.pid";
sub httpd_pid { open my $fh, '<', $pidfile or return 0; my $p = <$fh>; chomp $p; $p }
sub pg { system("$top/scripts/pg-cluster.sh", $_[0], $cluster) == 0 or die "pg-cluster $_[0] failed" }

# Requests over new connections, so that they reach many pooled database
# connections in several httpd processes.  Returns the status codes.
sub burst {
    my ($n, $days) = @_;
    my @codes;
    for my $i (1 .. $n) {
        my $res = api_post($P, {rid => 'GENERAL', days => $days // 1, maxUses => 0}, user => 'admin');
        push @codes, $res->code;
        diag($res->content) if $res->code != 200 && $res->code != 503;
    }
    return @codes;
}
sub all_are { my ($want, @c) = @_; !grep { $_ != $want } @c }

reset_invites();
my $pid = httpd_pid();
ok($pid, "test server pid $pid");
ok(all_are(200, burst(30)), 'warm-up: every request 200');

# 1. Fast restart: each pooled connection's next statement fails once; the
#    module reconnects, prepares its statements again and retries.
pg('restart');
my @codes = burst(30);
ok(all_are(200, @codes), 'after a fast restart every request is 200') or diag("@codes");
ok(all_are(200, burst(5, 7)), 'creating works too');

# 2. Stop: JSON 503 quickly, httpd stays up.
pg('down');
my $t = time;
my $res = api_post($P, {rid => 'GENERAL', days => 1, maxUses => 0}, user => 'admin');
my $took = time - $t;
is($res->code, 503, 'database down: 503');
like($res->header('Content-Type') // '', qr{^application/json}, '... with JSON');
is((json_of($res) || {})->{success}, JSON::PP::false(), '... success false');
ok($took < 5, sprintf('... within a bounded time (%.2f s)', $took));
@codes = burst(10);
ok(all_are(503, @codes), 'every request while down is 503') or diag("@codes");
is(httpd_pid(), $pid, 'httpd is still the same server');

# 3. Start again: service returns without touching Apache.
pg('up');
@codes = burst(30);
ok(all_are(200, @codes), 'after the database is back every request is 200') or diag("@codes");
ok(all_are(200, burst(3, 15)), 'creating works too');

# 4. Two fast restarts in a row, with traffic between.
pg('restart');
ok(all_are(200, burst(10)), 'second fast restart: 200');
pg('restart');
ok(all_are(200, burst(10)), 'third fast restart: 200');

is(httpd_pid(), $pid, 'the same httpd served throughout');
open my $log, '<', "$top/t/logs/error_log" or die $!;
is(scalar(grep { /SIGUSR1|SIGHUP|Graceful restart/ } <$log>), 0, 'Apache was never restarted');
