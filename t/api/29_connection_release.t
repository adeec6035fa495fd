# SPDX-License-Identifier: Apache-2.0
# A request gives its database connection back to mod_dbd's pool as soon
# as its answer is known, not when the answer has been sent and logged: a
# slow client must not hold a connection the process's other requests
# wait for.  A second httpd of one process with a pool of one connection
# sends listInvites through mod_ratelimit at 1 KiB/s (seconds for the
# answer); finds on the same server meanwhile are answered at once.  While
# the connection stayed with the request pool, each waited for the whole
# slow answer.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use InviteTest;
use Cwd qw(abs_path);
use Time::HiRes qw(time sleep);

plan tests => 9;

my $top = abs_path("$FindBin::Bin/../..");
my $mods = '/usr/lib/apache2/modules';
my $FINDS = 5;

# Enough invites for a list of about 3 KB: 3 s at 1 KiB/s.
reset_invites();
my $made = 0;
for my $rid (qw(GENERAL PRIVROOM LIVEROOM)) {
    for my $days (1, 7, 15, 30) {
        $made++ if api_post('/api/v1/findOrCreateInvite',
                            {rid => $rid, days => $days, maxUses => 5},
                            user => 'admin')->code == 200;
    }
}
is($made, 12, '12 invites to list');

my $host = InviteTest::start_second_host($top,
    name => 'onepool',
    db => qq{Include "$top/t/conf/invite-db.conf"\nDBDMin 0\nDBDKeep 1\nDBDMax 1},
    conf => <<"CONF");
InviteRateLimit off
# One process of 16 threads, one connection for them all.
ServerLimit 1
StartServers 1
MaxRequestWorkers 16
MinSpareThreads 1
MaxSpareThreads 16
<IfModule !mod_ratelimit.c>
    LoadModule ratelimit_module $mods/mod_ratelimit.so
</IfModule>
<IfModule !mod_env.c>
    LoadModule env_module $mods/mod_env.so
</IfModule>
<Location /slow/api/v1>
    SetHandler invite
    InviteSiteUrl https://chat.example.com
    SetOutputFilter RATE_LIMIT
    SetEnv rate-limit 1
</Location>
CONF
my $base = "http://127.0.0.1:$host->{port}";

# The slow list, in a child process: "code invites seconds end-time".
pipe(my $r, my $w) or die $!;
my $t0 = time;
my $pid = fork // die $!;
if (!$pid) {
    close $r;
    my $res = InviteTest::api_request(GET => '/slow/api/v1/listInvites', user => 'admin',
                                      url => "$base/slow/api/v1/listInvites");
    my $j = json_of($res);
    my $n = ref $j eq 'HASH' && ref $j->{invites} eq 'ARRAY' ? scalar @{ $j->{invites} }
          : ref $j eq 'ARRAY' ? scalar @$j : -1;
    printf $w "%d %d %.3f %.3f\n", $res->code, $n, time - $t0, time;
    close $w;
    require POSIX;
    POSIX::_exit(0);
}
close $w;

sleep 0.5;   # the list has its answer and is being sent
my (@codes, @seconds);
for (1 .. $FINDS) {
    my $t = time;
    my $res = api_post('/api/v1/findOrCreateInvite', {rid => 'GENERAL', days => 7, maxUses => 5},
                       user => 'admin', url => "$base/api/v1/findOrCreateInvite");
    push @codes, $res->code;
    push @seconds, time - $t;
}
my $finds_done = time;
chomp(my $line = <$r> // '0 -1 0 0');
waitpid $pid, 0;
my ($code, $n, $list_seconds, $list_done) = split ' ', $line;
InviteTest::stop_second_host($host);

is($code, 200, 'the slow list: 200');
cmp_ok($n, '>=', 12, 'with every invite');
cmp_ok($list_seconds, '>=', 2, "the slow list took seconds to send (${list_seconds} s)");
is(scalar(grep { $_ == 200 } @codes), $FINDS, "$FINDS finds on the same server meanwhile: all 200");
cmp_ok($finds_done, '<', $list_done, 'all of them answered before the list was sent');
SKIP: {
    # make test-valgrind: one slow process (httpd -X), where any bound
    # measures valgrind.
    skip 'under valgrind', 1 if ($ENV{INVITE_TEST_SANITIZE} // '') eq 'valgrind';
    my ($slowest) = sort { $b <=> $a } @seconds;
    cmp_ok($slowest, '<', 1, sprintf('none waited for the connection (slowest %.3f s)', $slowest));
}

# The pool of one is free again, and nothing was logged against it.
my $host_log = "$top/t/var/onepool/error_log";
open my $fh, '<', $host_log or die "$host_log: $!";
my @log = <$fh>;
is(scalar(grep { /INV00110/ } @log), 0, 'no statement after its connection went back');
is(scalar(grep { /\[(?:\w+:)?(?:error|crit|alert|emerg)\]/ } @log), 0, 'no error logged by the second host')
    or diag(@log);
