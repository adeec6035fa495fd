# SPDX-License-Identifier: Apache-2.0
# InviteAuthCache (in /cached/api/v1, 2 seconds): a process reuses a
# caller's authentication, roles, subscription and room type for at most
# that long, never a failed authentication and never an invite.  One
# keep-alive connection keeps every request on the same child process.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use InviteTest;
use LWP::UserAgent;
use HTTP::Request;
use JSON::PP;
use Time::HiRes qw(sleep time);

plan tests => 15;

my $TTL = 2;
my $ua = LWP::UserAgent->new(keep_alive => 1);
my $hostport = Apache::TestRequest::hostport();
sub post {
    my ($prefix, $token, $body) = @_;
    my $req = HTTP::Request->new(POST => "http://$hostport$prefix/api/v1/findOrCreateInvite",
        ['X-User-Id' => $USER{multi}, 'X-Auth-Token' => $token,
         'Content-Type' => 'application/json'],
        JSON::PP->new->canonical->encode($body // {rid => 'GENERAL', days => 1, maxUses => 0}));
    return $ua->request($req);
}
sub id_of { (json_of($_[0]) || {})->{_id} // '' }
my $hash_b = token_hash('multi-token-b');

reset_invites();
my $res = post('/cached', 'multi-token-b');
is($res->code, 200, 'cached location: 200, the caller is now cached');
my $id = id_of($res);

# A revoked token keeps working for at most the TTL in this process.
db_do('DELETE FROM login_tokens WHERE hashed_token = ?', $hash_b);
my $t0 = time;
$res = post('/cached', 'multi-token-b');
is($res->code, 200, 'token revoked: still accepted from the cache');
is(id_of($res), $id, '... with the invite read from the database');
is(post('', 'multi-token-b')->code, 401, 'a location without the cache refuses it at once');
sleep($TTL + 0.3 - (time - $t0));
is(post('/cached', 'multi-token-b')->code, 401, "after $TTL s the revoked token is refused");
db_do('INSERT INTO login_tokens (user_id, hashed_token, created_at) VALUES (?, ?, NULL)',
      $USER{multi}, $hash_b);

# A permission taken from the caller's role: granted for at most the TTL.
is(post('/cached', 'multi-token-b')->code, 200, 'token restored: 200');
db_do("DELETE FROM permission_roles WHERE permission = 'create-invite-links' AND role = 'admin'");
$t0 = time;
is(post('/cached', 'multi-token-b')->code, 200, 'permission removed: still granted from the cache');
sleep($TTL + 0.3 - (time - $t0));
$res = post('/cached', 'multi-token-b');
is($res->code, 400, "after $TTL s the permission is gone");
is((json_of($res) || {})->{errorType}, 'not_authorized', '... not_authorized');
db_do("INSERT INTO permission_roles (permission, role) VALUES ('create-invite-links', 'admin')");
$t0 = time;

# A failed authentication is never cached: a new token works at once.
is(post('/cached', 'multi-token-c')->code, 401, 'an unknown token: 401');
db_do('INSERT INTO login_tokens (user_id, hashed_token, created_at) VALUES (?, ?, NULL)',
      $USER{multi}, token_hash('multi-token-c'));
is(post('/cached', 'multi-token-c')->code, 200, 'the same token once stored: 200 at once');
db_do('DELETE FROM login_tokens WHERE hashed_token = ?', token_hash('multi-token-c'));

# Invites are never cached: a deleted invite is created anew.  (The
# denial above was cached too, for the same bounded time.)
sleep($TTL + 0.3 - (time - $t0));
is(post('/cached', 'multi-token-b')->code, 200, 'permission back after the TTL: 200');
reset_invites();
$res = post('/cached', 'multi-token-b');
is($res->code, 200, 'after the invites were deleted: 200');
isnt(id_of($res), $id, '... with a new invite, not a remembered one');
is(InviteTest::db_value('SELECT COUNT(*) FROM invites'), 1, '... stored in the database');
