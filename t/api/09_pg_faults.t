# SPDX-License-Identifier: Apache-2.0
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
use POSIX ();
use DBI;
use HTTP::Response;

plan tests => 22, need { 'PostgreSQL only (runs in the pgsql suite)' => engine() eq 'pgsql' };

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

# 5. Backends terminated again and again while invites are created: the
#    old create path's BEGIN could fail on a dying connection inside
#    apr-util's pgsql driver and crash the process; now creating is one
#    statement, and every answer is 200 or a JSON 503.
my $killer = fork // die $!;
if (!$killer) {
    # Its own connection: the parent's cached handle must not be shared.
    InviteTest::dbh()->{InactiveDestroy} = 1;
    my $dbh = DBI->connect("dbi:Pg:$ENV{INVITE_TEST_PG_DSN}", '', '',
                           { RaiseError => 1, AutoCommit => 1, PrintError => 0 });
    my $until = time + 3;
    while (time < $until) {
        $dbh->do("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                 . " WHERE application_name = 'mod_invite' AND pid <> pg_backend_pid()");
        Time::HiRes::sleep(0.005);
    }
    require POSIX;
    POSIX::_exit(0);
}
my (@killed, $i);
my @keys = map { my $d = $_; map { [$d, $_] } (0, 1, 5, 10, 25, 50, 100) } (0, 1, 7, 15, 30);
while (waitpid($killer, POSIX::WNOHANG()) == 0) {
    my @round = @keys[map { $i++ % @keys } 1 .. 20];
    push @killed, concurrently(scalar @round, sub {
        my $k = $round[$_[0]];
        my $res = api_post($P, {rid => 'PRIVROOM', days => $k->[0], maxUses => $k->[1]},
                           user => 'admin');
        my $j = json_of($res);
        # code, "json" when the body is a JSON object
        return HTTP::Response->new($res->code, undef, undef,
            JSON::PP->new->encode({_id => ref $j eq 'HASH' ? 'json' : 'not-json'}));
    });
}
my %codes;
$codes{$_->[0]}++ for @killed;
ok(@killed >= 20, scalar(@killed) . ' creates while backends were being terminated');
is(scalar(grep { $_->[0] != 200 && $_->[0] != 503 } @killed), 0,
   'each answered 200 or 503 (' . join(', ', map { "$_: $codes{$_}" } sort keys %codes) . ')');
is(scalar(grep { $_->[1] ne 'json' } @killed), 0, 'every answer is JSON');
ok(all_are(200, burst(10, 30)), 'afterwards every request is 200');
is(InviteTest::db_value("SELECT COUNT(*) FROM (SELECT user_id, rid, days, max_uses FROM invites"
                        . " WHERE slot = 1 GROUP BY 1, 2, 3, 4 HAVING COUNT(*) > 1) AS d"), 0,
   'no duplicate live invites');
open my $elog, '<', "$top/t/logs/error_log" or die $!;
is(scalar(grep { /exit signal|Segmentation/ } <$elog>), 0, 'no child process died');

is(httpd_pid(), $pid, 'the same httpd served throughout');
open my $log, '<', "$top/t/logs/error_log" or die $!;
is(scalar(grep { /SIGUSR1|SIGHUP|Graceful restart/ } <$log>), 0, 'Apache was never restarted');
