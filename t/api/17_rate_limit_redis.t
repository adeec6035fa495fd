# SPDX-License-Identifier: Apache-2.0
# The rate limit shared by two hosts through InviteRateLimitCache redis: a
# real redis-server on a free loopback port (started and stopped here, in
# a temporary directory) and two httpd instances using it.  Calls
# alternating between the hosts count in one window; the 11th is refused
# by either.  Concurrent calls over both hosts stay within the bound the
# docs/operations.md#several-hosts gives (hosts x limit per window).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use InviteTest;
use Cwd qw(abs_path);
use File::Temp qw(tempdir);
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(sleep);

my $REDIS_SO = '/usr/lib/apache2/modules/mod_socache_redis.so';
# The only reason to skip: httpd without its redis provider (scripts/deps.sh
# installs redis-server itself, so a missing server fails below).
plan skip_all => "$REDIS_SO is not installed" unless -e $REDIS_SO;
plan tests => 17;

my $top = abs_path("$FindBin::Bin/../..");
my $FIND = '/api/v1/findOrCreateInvite';
my $BLOCKED = qr/^\{"success":false,"error":"Error, too many requests\. Please slow down\. You must wait \d+ seconds before trying this endpoint again\. \[error-too-many-requests\]"\}$/;

# --- redis-server, bounded in time and always stopped -----------------
my $redis_dir = tempdir('invite-redis.XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $redis_port = InviteTest::free_port();
my $redis_pid = fork // die "fork: $!";
if (!$redis_pid) {
    open STDOUT, '>', "$redis_dir/redis.log";
    open STDERR, '>&', \*STDOUT;
    { no warnings 'exec';
      exec 'redis-server', '--bind', '127.0.0.1', '--port', $redis_port,
           '--dir', $redis_dir, '--save', '', '--appendonly', 'no',
           '--daemonize', 'no'; }
    POSIX::_exit(127);
}
my @hosts;
END {
    InviteTest::stop_second_host($_) for @hosts;
    if ($redis_pid) {
        kill 'TERM', $redis_pid;
        for (1 .. 50) {
            last if waitpid($redis_pid, POSIX::WNOHANG()) != 0;
            sleep 0.1;
        }
        kill 'KILL', $redis_pid if kill 0, $redis_pid;
        waitpid($redis_pid, 0);
    }
}
my $up;
for (1 .. 100) {
    last if waitpid($redis_pid, POSIX::WNOHANG()) != 0;   # it died
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $redis_port);
    if ($s) { $up = 1; close $s; last; }
    sleep 0.1;
}
ok($up, "redis-server listening on 127.0.0.1:$redis_port")
    or BAIL_OUT('redis-server did not start (is the redis-server package installed?)');

# --- two hosts, one redis ----------------------------------------------
my $conf = <<"CONF";
LoadModule socache_redis_module $REDIS_SO
InviteRateLimitCache redis:127.0.0.1:$redis_port
CONF
push @hosts, InviteTest::start_second_host($top, name => "redis-$_", conf => $conf)
    for qw(a b);
ok(@hosts == 2, "two httpd instances on ports $hosts[0]{port} and $hosts[1]{port}");
my @urls = map { "http://127.0.0.1:$_->{port}$FIND" } @hosts;

sub call {
    my ($host, $local, $user) = @_;
    return api_post($FIND, {rid => ($user // 'owner') eq 'admin' ? 'GENERAL' : 'OWNEDROOM',
                            days => 1, maxUses => 0},
                    user => $user // 'owner', url => $urls[$host], local => $local);
}

reset_invites();
my @res = map { call($_ % 2, '127.0.0.1') } 0 .. 9;
is(join(' ', map { $_->code } @res), join(' ', (200) x 10), '10 calls alternating between the hosts: 200');
is(join(' ', map { $_->header('X-RateLimit-Remaining') // '-' } @res), '9 8 7 6 5 4 3 2 1 0',
   '... counting down through one shared window');
my %reset = map { ($_->header('X-RateLimit-Reset') // '-') => 1 } @res;
is(scalar(keys %reset), 1, '... with one X-RateLimit-Reset');
for my $h (0, 1) {
    my $res = call($h, '127.0.0.1');
    is($res->code, 429, "the 11th call on host " . ($h + 1) . ": 429");
    like($res->content, $BLOCKED, '... with Rocket.Chat\'s body');
    is($res->header('X-RateLimit-Remaining'), 0, '... and X-RateLimit-Remaining 0');
}
my @admin = map { call($_ % 2, '127.0.0.1', 'admin') } 0 .. 11;
is(join(' ', map { $_->code } @admin), join(' ', (200) x 12), 'admin is never limited, on either host');
ok(!grep({ defined $_->header('X-RateLimit-Limit') } @admin), '... and gets no X-RateLimit-*');
my $res = call(0, '127.0.0.2');
is($res->header('X-RateLimit-Remaining'), 9, 'another client address has its own window');

# --- concurrent calls over both hosts ------------------------------------
# Exact within a host (its mutex); across hosts two read-modify-writes can
# overlap and one increment is lost.  docs/operations.md: at most hosts x limit.
my $N = 30;
my @conc = concurrently($N, sub { call($_[0] % 2, '127.0.0.3') });
my $ok = grep { $_->[0] == 200 } @conc;
my $blocked = grep { $_->[0] == 429 } @conc;
is($ok + $blocked, $N, "$N concurrent calls over both hosts: each 200 or 429");
ok($ok >= 10 && $ok <= 2 * 10, "at least the limit and at most 2 x the limit got through ($ok)");
diag("$ok of $N concurrent calls over two hosts got through (limit 10)") if $ok > 10;

# The redis server down: the hosts let calls through (fail open).
kill 'TERM', $redis_pid;
waitpid($redis_pid, 0);
$redis_pid = 0;
$res = call(1, '127.0.0.1');
ok($res->code == 200 && !defined $res->header('X-RateLimit-Limit'),
   'redis stopped: the call goes on (200) without X-RateLimit-*');
