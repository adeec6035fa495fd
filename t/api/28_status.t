# SPDX-License-Identifier: Apache-2.0
# mod_invite's lines on the server-status page (mod_status with
# mod_slotmem_shm): after a known sequence of requests, over new
# connections and so over several child processes, "?auto" shows exactly
# those requests per endpoint and status class, the invites created, the
# 401s and 503s, and the database time; the HTML page shows the table.
# (InviteRateLimitEvicted: t/api/35_rate_limit_evict.t.)
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use InviteTest;

plan tests => 35;

my $P = '/api/v1/findOrCreateInvite';
my $logs = Apache::Test::vars('t_logs');

sub counters {
    my $res = Apache::TestRequest::GET('/server-status?auto');
    die 'server-status: ' . $res->code unless $res->code == 200;
    my %c = $res->content =~ /^(Invite\w+): (\d+)$/mg;
    return \%c;
}

sub delta {
    my ($before, $after, $key) = @_;
    return ($after->{$key} // -1) - ($before->{$key} // 0);
}

reset_invites();
my $before = counters();
ok(exists $before->{InviteRequests_findOrCreateInvite_2xx}, 'the page has mod_invite lines');
ok(exists $before->{InviteDBTimeMaxUs}, 'and the database time');
ok(exists $before->{InviteRateLimitEvicted}, 'and the rate-limit windows lost');

# 20 finds and creates over 4 rooms x 5 settings: 5 creates, 15 finds.
my (%pids, $created);
truncate "$logs/invite_timing.log", 0;
for my $i (0 .. 19) {
    my $res = api_post($P, {rid => 'GENERAL', days => (0, 1, 7, 15, 30)[$i % 5], maxUses => 10}, user => 'admin');
    die 'find: ' . $res->code unless $res->code == 200;
}
is(invite_count($USER{admin}, 'GENERAL'), 5, 'five invites created by twenty requests');
sub serving_pids {
    open my $tl, '<', "$logs/invite_timing.log" or die $!;
    while (<$tl>) { my @f = split; $pids{$f[2]} = 1 if $f[4] eq $P }
}
serving_pids();
# httpd may give every new connection to one child for a while: more
# finds of an existing invite, counted, until a second child has served.
my $finds = 20;
unless (($ENV{INVITE_TEST_SANITIZE} // '') eq 'valgrind') {
    for (1 .. 300) {
        last if keys %pids > 1;
        my $res = api_post($P, {rid => 'GENERAL', days => 0, maxUses => 10}, user => 'admin');
        die 'find: ' . $res->code unless $res->code == 200;
        $finds++;
        serving_pids();
    }
}
SKIP: {
    skip 'one process under valgrind (httpd -X)', 1
        if ($ENV{INVITE_TEST_SANITIZE} // '') eq 'valgrind';
    cmp_ok(scalar(keys %pids), '>', 1, 'served by ' . scalar(keys %pids) . ' child processes');
}

is(api_post($P, {rid => 'GENERAL', days => 1, maxUses => 10},
            user => [$USER{admin}, 'wrong-token'])->code, 401, 'a 401');
is(api_post($P, {rid => 'GENERAL', days => 9, maxUses => 10}, user => 'admin')->code,
   400, 'a 400 (schema)');
is(api_post('/api/v1/validateInviteToken', {token => 'nosuch'})->code, 200, 'a validate');
is(api_request(GET => '/api/v1/noSuchEndpoint')->code, 404, 'a 404 elsewhere under the API');
is(api_request(DELETE => '/api/v1/listInvites', user => 'admin')->code, 405, 'a 405 on listInvites');
is(api_request(GET => '/api/v1/listInvites', user => 'admin')->code, 200, 'a list');

Apache::TestRequest::module('invite_nodb');
is(api_post($P, {rid => 'GENERAL', days => 1, maxUses => 10}, user => 'admin',
            url => 'http://' . Apache::TestRequest::hostport() . $P)->code, 503,
   'a 503 on the virtual host without a database');
Apache::TestRequest::module('default');

my $after = counters();
is(delta($before, $after, 'InviteRequests_findOrCreateInvite_2xx'), $finds, "findOrCreateInvite 2xx: $finds");
is(delta($before, $after, 'InviteRequests_findOrCreateInvite_4xx'), 2, 'findOrCreateInvite 4xx: 2');
is(delta($before, $after, 'InviteRequests_findOrCreateInvite_5xx'), 1, 'findOrCreateInvite 5xx: 1');
is(delta($before, $after, 'InviteRequests_validateInviteToken_2xx'), 1, 'validateInviteToken 2xx: 1');
is(delta($before, $after, 'InviteRequests_listInvites_2xx'), 1, 'listInvites 2xx: 1');
is(delta($before, $after, 'InviteRequests_listInvites_4xx'), 1, 'listInvites 4xx: 1 (405)');
is(delta($before, $after, 'InviteRequests_other_4xx'), 1, 'other 4xx: 1 (404)');
is(delta($before, $after, 'InviteRequests_useInviteToken_2xx'), 0, 'useInviteToken: none');
is(delta($before, $after, 'InviteRequests_removeInvite_2xx'), 0, 'removeInvite: none');
is(delta($before, $after, 'InviteCreated'), 5, 'invites created: 5');
is(delta($before, $after, 'Invite401'), 1, '401s: 1');
is(delta($before, $after, 'Invite503'), 1, '503s: 1');
# The 404 and the 405 never reach the database; the 400 has read the
# caller's login before it looks at the body.
is(delta($before, $after, 'InviteDBRequests'), $finds + 5, 'requests that used the database: ' . ($finds + 5));
cmp_ok($after->{InviteDBTimeMeanUs}, '>', 0, "mean database time $after->{InviteDBTimeMeanUs} us");
cmp_ok($after->{InviteDBTimeMaxUs}, '>=', $after->{InviteDBTimeMeanUs},
       "max database time $after->{InviteDBTimeMaxUs} us, at least the mean");
is(delta($before, counters(), 'InviteRequests_findOrCreateInvite_2xx'), $finds,
   'reading the page counts nothing');

my $html = Apache::TestRequest::GET('/server-status')->content;
like($html, qr{<h2>mod_invite</h2>}, 'the HTML page has the mod_invite section');
like($html, qr{<tr><td>findOrCreateInvite</td><td>\d+</td><td>(\d+)</td>}, 'with a row per endpoint');
like($html, qr{Invites created: \d+}, 'and the invites created');
like($html, qr{Rate-limit windows the cache lost before their end: \d+}, 'and the rate-limit windows lost');

# A graceful restart (logrotate does one every day) keeps the counts.
sub generation {
    my ($g) = Apache::TestRequest::GET('/server-status?auto')->content
              =~ /^ParentServerConfigGeneration: (\d+)$/m;
    return $g // -1;
}
my $kept = counters();
my $generation = generation();
InviteTest::graceful_restart();
my $now = $generation;
for (1 .. 100) {
    $now = generation();
    last if $now > $generation;
    select(undef, undef, undef, 0.1);
}
cmp_ok($now, '>', $generation, "a graceful restart: generation $generation -> $now");
my $again = counters();
my @keys = sort grep { !/DBTime|InviteSyncLag|InviteJoinOutbox/ } keys %$kept;   # counters only
is(join(' ', map { "$_=" . ($again->{$_} // '-') } @keys),
   join(' ', map { "$_=$kept->{$_}" } @keys), 'every count survives it');
cmp_ok($again->{InviteRequests_findOrCreateInvite_2xx}, '>=', $finds, '... the finds among them');
