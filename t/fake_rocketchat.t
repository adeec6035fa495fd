# SPDX-License-Identifier: Apache-2.0
# The fake Rocket.Chat REST server the join outbox is delivered to
# (t/lib/fake-rocketchat.py through t/lib/FakeRocketChat.pm), tested on
# its own: the bot's credentials, Rocket.Chat's answers for channels.invite
# and groups.invite (docs/rocketchat.md, "The bot account"), a member
# already in the room as a success, the room types, and the failures a
# test can inject.
use strict;
use warnings;
use Test::More;
use FindBin;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use Time::HiRes qw(time);
use lib "$FindBin::Bin/lib";
use FakeRocketChat;

my $dir = tempdir(CLEANUP => 1);
my $rc = FakeRocketChat->start("$dir/rc", user_id => 'botUserId', token => 'bot-token',
                               rooms => { GENERAL => 'c', SECRET => { t => 'p', name => 'secret' } });
like($rc->port, qr/^\d+$/, 'the fake listens on a port of its own');
my $not_logged_in = 'You must be logged in to do this.';

# --- authentication -----------------------------------------------------------
for my $case ([0, 'no headers'], [['botUserId', 'wrong'], 'a wrong token'],
              [['someoneElse', 'bot-token'], 'another user id'], [['botUserId', ''], 'an empty token']) {
    my ($auth, $name) = @$case;
    my ($status, $body) = $rc->post('channels.invite', { roomId => 'GENERAL', userId => 'u1' }, auth => $auth);
    is($status, 401, "$name: 401");
    is_deeply($body, { success => JSON::PP::false, error => $not_logged_in, status => 'error',
                       message => $not_logged_in }, "$name: Rocket.Chat's 401 body");
}
is_deeply([$rc->members('GENERAL')], [], 'no call without credentials added anyone');

# --- success, then the same member again ---------------------------------------
my ($status, $body, $res) = $rc->post('channels.invite', { roomId => 'GENERAL', userId => 'u1' });
is($status, 200, 'channels.invite on a public room: 200');
is($res->{headers}{'content-type'}, 'application/json', 'application/json');
ok($body->{success} && JSON::PP::is_bool($body->{success}), 'success: true (a JSON boolean)');
is($body->{channel}{_id}, 'GENERAL', 'the answer carries the channel');
is($body->{channel}{t}, 'c', '... of type c');
is_deeply([$rc->members('GENERAL')], ['u1'], 'u1 is a member now');
($status, $body) = $rc->post('channels.invite', { roomId => 'GENERAL', userId => 'u1' });
is($status, 200, 'the same member again: 200, as Rocket.Chat answers');
ok($body->{success}, '... success: true');
is_deeply([$rc->members('GENERAL')], ['u1'], '... and still one member');

($status, $body) = $rc->post('groups.invite', { roomId => 'SECRET', userId => 'u2' });
is($status, 200, 'groups.invite on a private room: 200');
is($body->{group}{_id}, 'SECRET', 'the answer carries the group');
($status, $body) = $rc->post('groups.invite', { roomName => 'secret', username => 'u3' });
is($status, 200, 'groups.invite by roomName and username: 200');
is_deeply([$rc->members('SECRET')], ['u2', 'u3'], 'u2 and u3 are members of the group');

# --- the room's type and Rocket.Chat's 400 bodies --------------------------------
($status, $body) = $rc->post('channels.invite', { roomId => 'SECRET', userId => 'u4' });
is($status, 400, 'channels.invite on a private room: 400');
is_deeply($body, { success => JSON::PP::false, errorType => 'error-room-not-found',
                   error => 'The required "roomId" or "roomName" param provided does not match any channel [error-room-not-found]' },
          "... error-room-not-found, Rocket.Chat's body");
($status, $body) = $rc->post('groups.invite', { roomId => 'GENERAL', userId => 'u4' });
is($status . ' ' . ($body->{errorType} // ''), '400 error-room-not-found', 'groups.invite on a public room: 400 error-room-not-found');
like($body->{error}, qr/does not match any group \[error-room-not-found\]$/, '... "any group"');
($status, $body) = $rc->post('channels.invite', { roomId => 'NOSUCHROOM', userId => 'u4' });
is($status . ' ' . ($body->{errorType} // ''), '400 error-room-not-found', 'an unknown room: 400 error-room-not-found');
($status, $body) = $rc->post('groups.invite', { userId => 'u4' });
is($status . ' ' . ($body->{errorType} // ''), '400 error-room-param-not-provided', 'groups.invite without a room: error-room-param-not-provided');
($status, $body) = $rc->post('channels.invite', { roomId => 'GENERAL' });
is($status . ' ' . ($body->{errorType} // ''), '400 error-users-params-not-provided', 'no user: error-users-params-not-provided');
is_deeply([$rc->members('GENERAL')], ['u1'], 'none of the refused calls added a member');

# Known users only, once the fake has a user table.
$rc->state(users => { u1 => 'alice', u5 => 'bob' });
($status, $body) = $rc->post('channels.invite', { roomId => 'GENERAL', userId => 'ghost' });
is_deeply([$status, $body], [400, { success => JSON::PP::false, error => 'invalid-user-invite-list',
                                    errorType => 'Cannot invite if no users are provided' }],
          'channels.invite of an unknown user: 400, API.v1.failure\'s arguments as Rocket.Chat passes them');
($status, $body) = $rc->post('groups.invite', { roomId => 'SECRET', userId => 'ghost' });
is($status . ' ' . ($body->{errorType} // ''), '400 error-empty-invite-list', 'groups.invite of an unknown user: error-empty-invite-list');

# The bot's permissions and bans.
$rc->state(denied => ['p']);
($status, $body) = $rc->post('groups.invite', { roomId => 'SECRET', userId => 'u5' });
is_deeply([$status, $body], [400, { success => JSON::PP::false, error => 'Not allowed [error-not-allowed]',
                                    errorType => 'error-not-allowed', details => { method => 'addUsersToRoom' } }],
          'a bot without add-user-to-any-p-room: 400 error-not-allowed (up to 8.x)');
$rc->state(forbidden_status => 403);
($status, $body) = $rc->post('groups.invite', { roomId => 'SECRET', userId => 'u5' });
is($status . ' ' . ($body->{errorType} // ''), '403 error-forbidden', '... 403 error-forbidden as 9.0 answers');
($status, $body) = $rc->post('channels.invite', { roomId => 'GENERAL', userId => 'u5' });
is($status, 200, 'public rooms still allowed');
$rc->state(denied => [], banned => { GENERAL => ['u1'] });
($status, $body) = $rc->post('channels.invite', { roomId => 'GENERAL', userId => 'u1' });
is($status . ' ' . ($body->{errorType} // ''), '400 error-user-is-banned', 'a banned user: 400 error-user-is-banned (8.4+)');

# --- failure injection ------------------------------------------------------------
$rc->state(users => { map { ("f$_" => "f$_") } 1 .. 7 });
$rc->fail(2, 500);
my @st = map { ($rc->post('channels.invite', { roomId => 'GENERAL', userId => "f$_" }))[0] } 1 .. 3;
is("@st", '500 500 200', 'fail(2, 500): two 500s, then a success');
is_deeply([grep { /^f/ } $rc->members('GENERAL')], ['f3'], 'the failed calls added no one');
$rc->fail(1, 429);
($status, $body, $res) = $rc->post('channels.invite', { roomId => 'GENERAL', userId => 'f4' });
is($status, 429, 'fail(1, 429): 429');
like($body->{error}, qr/\[error-too-many-requests\]$/, "... Rocket.Chat's rate-limit body");
is($res->{headers}{'x-ratelimit-remaining'}, '0', '... X-RateLimit-Remaining: 0');
$rc->fail(1, 'close');
($status, $body, $res) = $rc->post('channels.invite', { roomId => 'GENERAL', userId => 'f5' });
is($status, 599, "fail(1, 'close'): the connection closes without an answer (HTTP::Tiny's 599)");
like($res->{content}, qr/closed|reset|EOF|Unexpected/i, '... the client saw the connection end')
    or diag($res->{content});
$rc->fail(1, 503, 0.5);
my $t0 = time;
($status) = $rc->post('channels.invite', { roomId => 'GENERAL', userId => 'f6' });
my $took = time - $t0;
ok($status == 503 && $took >= 0.45, sprintf('fail(1, 503, 0.5): 503 after %.2f s', $took));
($status) = $rc->post('channels.invite', { roomId => 'GENERAL', userId => 'f6' });
is($status, 200, 'then the fake answers again');

# A raw connection that sends half a request does not stop the others.
my $half = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $rc->port) or die "connect: $!";
print $half "POST /api/v1/channels.invite HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{";
($status) = $rc->post('channels.invite', { roomId => 'GENERAL', userId => 'f7' });
is($status, 200, 'a stalled client does not block the next call (threaded server)');
# Closed, the half request is answered and logged as a call without a room
# (its body is cut short) by the server's thread, in its own time: the log
# is compared once that call is in it.
my $before = () = $rc->calls;
close $half;
my $deadline = time + 10;
select undef, undef, undef, 0.05 while (() = $rc->calls) == $before && time < $deadline;
is(scalar(() = $rc->calls), $before + 1, 'the closed half request is logged as one call');

# --- the call log ------------------------------------------------------------------
my @calls = $rc->calls;
my @logged = $rc->logged_calls;
is(scalar @logged, scalar @calls, 'the log file holds one line per call (' . scalar(@calls) . ')');
is_deeply(\@logged, \@calls, 'the log file and GET /_fake/calls agree');
my @at = map { delete $_->{at} } @calls;
ok(!grep({ !defined || !/^\d{13}$/ } @at) && "@at" eq join(' ', sort { $a <=> $b } @at),
   'each call has its time (epoch ms), in order');
is_deeply($calls[0], { route => 'channels.invite', roomId => 'GENERAL', userId => 'u1', status => 401,
                       result => 'unauthorized' }, 'the first call: refused, 401');
is_deeply([map { "$_->{status} $_->{result}" } @calls[4, 5]], ['200 added', '200 already-member'],
          'a member added, then already a member');
is_deeply([map { "$_->{status} $_->{result}" } grep { ($_->{userId} // '') =~ /^f[1-3]$/ } @calls],
          ['500 injected', '500 injected', '200 added'], 'injected failures are logged as such');
my ($closed) = grep { ($_->{userId} // '') eq 'f5' } @calls;
is("$closed->{status} $closed->{result}", '0 injected', "a closed connection is logged with status 0");

# --- reset and stop ----------------------------------------------------------------
$rc->reset;
is_deeply([$rc->calls], [], 'reset: no calls');
is_deeply([$rc->members('GENERAL')], [], 'reset: no members');
my $pid = $rc->pid;
$rc->stop;
ok(!kill(0, $pid), 'stop: the process is gone');
my $refused = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $rc->port);
ok(!$refused, 'stop: nothing listens on its port any more');

done_testing();
