# SPDX-License-Identifier: Apache-2.0
# Concurrent creators spread over the test server's child processes: every
# request succeeds, each makes exactly one invite, and no write fails on a
# database lock.  On SQLite two processes meeting SQLite's write lock would
# send apr_dbd's driver into its sleep-and-retry loop (craft guide P1); the
# host-wide writer lock keeps them apart.  How long requests take is left to
# `make bench` (create p99): a timed assertion here would only measure the
# machine the suite runs on.
#
# Then a round across a graceful restart: the old generation's children
# finish their writes while the new generation's start, so both must take
# turns on the same writer lock, which the server keeps across restarts.
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

plan tests => 3 * $ROUNDS + 3 + 4;

my $errlog = Apache::Test::vars('t_logs') . '/error_log';
my $err_start = -s $errlog // 0;

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
is(scalar(@times), $ROUNDS * $N, 'every request was logged');
SKIP: {
    # make test-valgrind runs the test server as one process (httpd -X).
    skip 'one process under valgrind (httpd -X)', 1
        if ($ENV{INVITE_TEST_SANITIZE} // '') eq 'valgrind';
    cmp_ok(scalar(keys %pids), '>=', 2, 'served by several child processes');
}
open my $efh, '<', $errlog or die "$errlog: $!";
seek $efh, $err_start, 0;
my @locked = grep { /database is locked|INV00103/ } <$efh>;
is(scalar(@locked), 0, 'no write failed on a database lock') or diag(@locked);

# Creators across a graceful restart, which the first of them sends as it
# starts: the rest are in flight in children of either generation.
reset_invites();   # the slots of round 0 are free again
my @restart_keys = @keys[0 .. $N - 1];
$err_start = -s $errlog;
my @res = concurrently(scalar @restart_keys, sub {
    my ($room, $d, $u) = @{ $restart_keys[$_[0]] };
    InviteTest::graceful_restart() if $_[0] == 0;
    api_post($P, {rid => $room, days => $d, maxUses => $u}, user => 'admin');
});
is(scalar(grep { $_->[0] == 200 } @res), scalar @restart_keys,
   scalar(@restart_keys) . ' concurrent creators across a graceful restart, all 200')
    or diag(join "\n", map { "@$_" } @res);
is(InviteTest::db_value("SELECT COUNT(*) FROM invites"), scalar @restart_keys,
   'one row each');
my @kept;
for (1 .. 100) {   # the new generation's post_config
    open my $kfh, '<', $errlog or die "$errlog: $!";
    seek $kfh, $err_start, 0;
    @kept = grep { /INV00004: restart: the SQLite writer lock is kept/ } <$kfh>;
    last if @kept;
    sleep 0.1;
}
is(scalar(@kept), 1, 'the restart kept the SQLite writer lock');
open $efh, '<', $errlog or die "$errlog: $!";
seek $efh, $err_start, 0;
@locked = grep { /database is locked|INV00103|INV00109/ } <$efh>;
is(scalar(@locked), 0, 'across the restart, no write failed on a database lock') or diag(@locked);
