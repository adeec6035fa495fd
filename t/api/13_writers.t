# Concurrent creators spread over the test server's child processes: every
# request succeeds and none waits 100 ms or more in the server.  On SQLite
# two processes meeting SQLite's write lock would make apr_dbd's driver
# sleep 100 ms per retry (craft guide P1); the host-wide writer lock keeps
# them apart.  Timed by the server itself (%D in logs/invite_timing.log).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestUtil qw(t_cmp);
use InviteTest;
use Time::HiRes qw(sleep);

my $P = '/api/v1/findOrCreateInvite';
my @rooms = qw(GENERAL PRIVROOM LIVEROOM SPAREROOM);
my @days = (0, 1, 7, 15, 30);
my @uses = (0, 1, 5, 10, 25, 50, 100);
my @keys = map { my $r = $_; map { my $d = $_; map { [$r, $d, $_] } @uses } @days } @rooms;
my $ROUNDS = 2;
my $N = @keys / $ROUNDS;   # 70 requests a round, every one a new invite

plan tests => 3 * $ROUNDS + 3;

my $log = Apache::Test::vars('t_logs') . '/invite_timing.log';
reset_invites();
my $start = -s $log // 0;
for my $round (0 .. $ROUNDS - 1) {
    my @res = concurrently($N, sub {
        my ($room, $d, $u) = @{ $keys[$round * $N + $_[0]] };
        api_post($P, {rid => $room, days => $d, maxUses => $u}, user => 'admin');
    });
    is(scalar(grep { $_->[0] == 200 } @res), $N, "round $round: $N concurrent creators, all 200");
    my %ids = map { $_->[1] => 1 } @res;
    is(scalar(keys %ids), $N, "round $round: $N distinct invites");
    is(InviteTest::db_value("SELECT COUNT(*) FROM invites"), ($round + 1) * $N, "round $round: one row each");
}

sleep 0.2;   # the log is written after the response
open my $fh, '<', $log or die "$log: $!";
seek $fh, $start, 0;
my (@times, %pids);
while (<$fh>) {
    my ($us, $status, $pid, $method, $uri) = split;
    next unless $method eq 'POST' && $uri eq $P;
    push @times, $us;
    $pids{$pid} = 1;
}
is(scalar(@times), $ROUNDS * $N, 'every request was timed');
cmp_ok(scalar(keys %pids), '>=', 2, 'served by several child processes');
my ($max) = sort { $b <=> $a } @times;
cmp_ok($max, '<', 100_000, sprintf('slowest request %.1f ms in the server (< 100 ms)', $max / 1000));
