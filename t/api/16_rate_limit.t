# SPDX-License-Identifier: Apache-2.0
# Rocket.Chat's API rate limit (docs/api.md#rate-limit): 10 calls per 60 s per
# client address, route and method, HEAD counted as GET (/limited keeps
# that default; the suite's other locations turn it off), a fixed window
# counted before the check, 429 with Rocket.Chat's exact body above the
# limit, X-RateLimit-* on every counted call, nothing for callers holding
# api-bypass-rate-limit.
# Each part uses its own loopback source address (127.0.0.N), so each
# starts with fresh windows.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use InviteTest;
use Time::HiRes qw(time sleep);

plan tests => 59;

my $FIND = 'findOrCreateInvite';
my $BODY = {rid => 'OWNEDROOM', days => 1, maxUses => 0};
my $BLOCKED = qr/^\{"success":false,"error":"Error, too many requests\. Please slow down\. You must wait (\d+) seconds before trying this endpoint again\. \[error-too-many-requests\]"\}$/;

# POST findOrCreateInvite under a location prefix, as the room owner (no
# api-bypass-rate-limit) unless `user` says otherwise.
sub find_call {
    my ($prefix, $local, %o) = @_;
    my $body = exists $o{body} ? delete $o{body} : $BODY;
    my $user = exists $o{user} ? delete $o{user} : 'owner';
    return api_post("$prefix/api/v1/$FIND", $body, user => $user,
                    local => $local, %o);
}
sub limit_headers {
    my ($res) = @_;
    return map { $res->header("X-RateLimit-$_") } qw(Limit Remaining Reset);
}
sub no_limit_headers {
    my ($res) = @_;
    return !grep { defined } limit_headers($res);
}
sub now_ms { int(time * 1000) }

reset_invites();

# --- 10 calls pass, counting down; the 11th and later get 429 ---------
my $t0 = now_ms();
my (@codes, @remaining, %resets);
for my $i (1 .. 10) {
    my $res = find_call('/limited', '127.0.0.1');
    my ($limit, $remaining, $reset) = limit_headers($res);
    push @codes, $res->code;
    push @remaining, $remaining // 'none';
    $resets{$reset // 'none'}++;
    is($limit, 10, "call $i: X-RateLimit-Limit 10") if $i == 1 || $i == 10;
}
is("@codes", join(' ', (200) x 10), 'the first 10 calls in the window: 200');
is("@remaining", '9 8 7 6 5 4 3 2 1 0', 'X-RateLimit-Remaining counts down from 9 to 0');
is(scalar(keys %resets), 1, 'one X-RateLimit-Reset for the whole window');
my ($reset) = keys %resets;
ok($reset =~ /^\d{13}$/ && $reset >= $t0 + 60000 - 1000 && $reset <= now_ms() + 60000,
   'X-RateLimit-Reset: epoch milliseconds, 60 s after the first call') or diag("reset $reset, t0 $t0");

for my $n (11, 12) {
    my $res = find_call('/limited', '127.0.0.1');
    my $now = now_ms();
    is($res->code, 429, "call $n: 429");
    like($res->content, $BLOCKED, "call $n: Rocket.Chat's body, exactly");
    my ($wait) = $res->content =~ $BLOCKED;
    my ($limit, $remaining, $r) = limit_headers($res);
    ok(defined $wait && $wait >= 1 && $wait <= 60
       && abs($wait - ($r - $now) / 1000) <= 1.5,
       "call $n: N is the seconds left in the window, rounded up")
        or diag("wait $wait, reset $r, now $now");
    is("$limit $remaining $r", "10 0 $reset", "call $n: X-RateLimit-Limit 10, Remaining 0, the same Reset");
    is($res->header('Content-Type'), 'application/json', "call $n: application/json");
    is($res->header('Cache-Control'), 'no-store', "call $n: Cache-Control: no-store");
    is($res->header('Pragma'), 'no-cache', "call $n: Pragma: no-cache");
    is(json_of($res)->{errorType}, undef, "call $n: no errorType");
}
is(invite_count($USER{owner}, 'OWNEDROOM'), 1, 'the blocked calls did no work');

# The route follows the URL's one /api/v1/: a longer path naming the
# route again is no route (JSON 404), never a way around the window...
is(find_call('/limited/api/v1/x', '127.0.0.1')->code, 404,
   'a second /api/v1/ in the path: the JSON 404, not a fresh window');
# ... an inner location (one removeInvite id here) may turn the limit off ...
my $res = api_request(DELETE => '/limited/api/v1/removeInvite/open', user => 'owner');
ok($res->code == 400 && no_limit_headers($res),
   'a nested location with InviteRateLimit off: answered, no X-RateLimit-*')
    or diag($res->as_string);
# ... and another location with its own limit counts on its own.
$res = find_call('/shortlimit', '127.0.0.1');
is($res->code . ' ' . ($res->header('X-RateLimit-Remaining') // '-'), '200 2',
   'a location with its own InviteRateLimit has its own window');
# Another client address has its own window too.
$res = find_call('/limited', '127.0.0.2');
is($res->code . ' ' . ($res->header('X-RateLimit-Remaining') // '-'), '200 9',
   'another client address: its own window');

# --- other routes and methods have their own count --------------------
# 127.0.0.1 has used up findOrCreateInvite POST.  Every other route and
# method must not be refused for it: a route that applies the limit shows
# a fresh window (Remaining = limit - 1), the others no X-RateLimit-*.
my @others = (
    [GET    => "$FIND"],
    [GET    => 'listInvites'],
    [DELETE => 'removeInvite/AbCdEf'],
    [POST   => 'useInviteToken', '{"token":"AbCdEf"}'],
    [POST   => 'validateInviteToken', '{"token":"AbCdEf"}'],
);
for my $o (@others) {
    my ($method, $route, $body) = @$o;
    my $res = api_request($method => "/limited/api/v1/$route", user => 'owner',
                          local => '127.0.0.1', type => 'application/json',
                          body => $body);
    my $remaining = $res->header('X-RateLimit-Remaining');
    isnt($res->code, 429, "$method $route: not refused with findOrCreateInvite's count");
    ok(!defined $remaining || $remaining == 9, "$method $route: a fresh window if limited")
        or diag("Remaining $remaining");
}

# --- HEAD is GET: httpd serves it with the GET route, in GET's window ---
# Alternating GET and HEAD on listInvites: one count down from 9 to 0, and
# the 11th call is 429 whichever method it uses.
my @list = map { api_request($_ % 2 ? 'HEAD' : 'GET', '/limited/api/v1/listInvites',
                             user => 'owner', local => '127.0.0.7') } 1 .. 12;
is(join(' ', map { $_->header('X-RateLimit-Remaining') // '-' } @list[0 .. 9]),
   '9 8 7 6 5 4 3 2 1 0', 'GET and HEAD on listInvites count down one window');
is(join(' ', map { $_->code } @list[10, 11]), '429 429',
   '... and the 11th and 12th calls (HEAD, then GET) are 429');

# --- admin holds api-bypass-rate-limit: never limited, no headers ------
my @admin = map { find_call('/limited', '127.0.0.1', user => 'admin',
                            body => {rid => 'GENERAL', days => 1, maxUses => 0}) } 1 .. 12;
is(join(' ', map { $_->code } @admin), join(' ', (200) x 12), 'admin: 12 calls, all 200');
ok(!grep({ !no_limit_headers($_) } @admin), 'admin: no X-RateLimit-* headers');
is(db_value("SELECT COUNT(*) FROM permission_roles WHERE permission = 'api-bypass-rate-limit'"), 3,
   'the schema seeds api-bypass-rate-limit (admin, bot, app)');

# --- calls that fail authentication or the schema are not counted ------
my $ip = '127.0.0.3';
my @early;
push @early, find_call('/limited', $ip, user => [$USER{owner}, 'wrong-token']) for 1 .. 6;
push @early, find_call('/limited', $ip, user => undef) for 1 .. 3;
push @early, find_call('/limited', $ip, body => {rid => 'OWNEDROOM'}) for 1 .. 6;
push @early, api_request(GET => "/limited/api/v1/$FIND", user => 'owner', local => $ip) for 1 .. 3;
is(join(' ', map { $_->code } @early),
   join(' ', (401) x 9, (400) x 6, (405) x 3), '401, 400 invalid-params and 405 as usual');
ok(!grep({ !no_limit_headers($_) } @early), '... without X-RateLimit-*');
@remaining = map { find_call('/limited', $ip)->header('X-RateLimit-Remaining') // '-' } 1 .. 10;
is("@remaining", '9 8 7 6 5 4 3 2 1 0', 'then a full window of 10: none of them counted');

# --- the business checks run after the limit: their failures count -----
$ip = '127.0.0.4';
my @plain = map { find_call('/shortlimit', $ip, user => 'plain') } 1 .. 4;
is(join(' ', map { $_->code } @plain), '400 400 400 429',
   'not_authorized calls count; the 4th (limit 3) is 429, not 400');
is(join(' ', map { $_->header('X-RateLimit-Remaining') // '-' } @plain), '2 1 0 0',
   '... with X-RateLimit-Remaining 2 1 0 0');

# --- the window resets when its interval has elapsed (3 per 2 s) --------
$ip = '127.0.0.5';
my @short = map { find_call('/shortlimit', $ip) } 1 .. 4;
is(join(' ', map { $_->code } @short), '200 200 200 429', '/shortlimit: 3 calls pass, the 4th is 429');
my ($wait) = $short[3]->content =~ $BLOCKED;
ok(defined $wait && ($wait == 1 || $wait == 2), "... must wait 1 or 2 seconds (got " . ($wait // '?') . ")");
my $short_reset = $short[0]->header('X-RateLimit-Reset');
is($short[3]->header('X-RateLimit-Reset'), $short_reset, '... within one window');
my $left = ($short_reset - now_ms()) / 1000;
sleep($left + 0.2) if $left > -0.2;
$res = find_call('/shortlimit', $ip);
is($res->code, 200, 'after the reset time: 200 again');
is($res->header('X-RateLimit-Remaining'), 2, '... in a new window (Remaining 2)');
ok($res->header('X-RateLimit-Reset') >= $short_reset + 2000 - 50,
   '... whose Reset is at least 2 s later');

# --- InviteRateLimit off ------------------------------------------------
my @off = map { find_call('', '127.0.0.1') } 1 .. 15;
is(join(' ', map { $_->code } @off), join(' ', (200) x 15), 'InviteRateLimit off: 15 calls, all 200');
ok(!grep({ !no_limit_headers($_) } @off), '... and no X-RateLimit-*');

# --- concurrent calls over the server's processes: never above the limit --
my $N = 48;
my @conc = concurrently($N, sub {
    find_call('/limited', '127.0.0.6');
});
my %by_code;
$by_code{$_->[0]}++ for @conc;
is($by_code{200} // 0, 10, "$N concurrent calls from one client: exactly 10 succeed");
is($by_code{429} // 0, $N - 10, '... and the rest get 429');
# The timing log names the process that answered each call.
my %pids;
if (open my $log, '<', Apache::Test::vars('t_logs') . '/invite_timing.log') {
    while (<$log>) {
        my (undef, $status, $pid, $method, $uri) = split;
        $pids{$pid}++ if $uri eq "/limited/api/v1/$FIND" && $status == 429;
    }
}
SKIP: {
    # make test-valgrind runs the test server as one process (httpd -X).
    skip 'one process under valgrind (httpd -X)', 1
        if ($ENV{INVITE_TEST_SANITIZE} // '') eq 'valgrind';
    cmp_ok(scalar(keys %pids), '>=', 2, 'the 429s came from more than one process')
        or diag(join ' ', %pids);
}

my @again = map { find_call('/limited', '127.0.0.6')->code } 1 .. 3;
is("@again", '429 429 429', 'the window stays used up');

