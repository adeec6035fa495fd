# SPDX-License-Identifier: Apache-2.0
# Boundaries that an off-by-one would move, pinned exactly:
# - the body cap: a body of exactly InviteMaxBodySize bytes is read, one
#   more byte is a 413, with Content-Length and chunked;
# - the live-invite predicate of the statements, run with a chosen "now":
#   an invite is dead at exactly its `expires` millisecond and once
#   uses == max_uses (find, the cached lookup, the slot release and the
#   write of useInviteToken all share it).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use InviteTest;
use HTTP::Request;

plan tests => 19;

my $P = '/tinybody/api/v1/findOrCreateInvite';   # InviteMaxBodySize 64
reset_invites();

# A findOrCreateInvite body padded with spaces to exactly $n bytes.
sub body_of { my $b = '{"rid":"GENERAL","days":1,"maxUses":0}'; $b . (' ' x ($_[0] - length $b)) }
is(length body_of(64), 64, 'the padded body has 64 bytes');
is(api_post($P, body_of(64), user => 'admin')->code, 200, 'Content-Length: exactly the cap is read');
is(api_post($P, body_of(65), user => 'admin')->code, 413, 'Content-Length: one byte over is a 413');
for my $n (64, 65) {
    my @chunks = map { substr(body_of($n), $_ * 16, 16) } 0 .. int(($n - 1) / 16);
    my $req = HTTP::Request->new(POST => Apache::TestRequest::resolve_url($P),
        ['X-User-Id' => $USER{admin}, 'X-Auth-Token' => $TOKEN{admin},
         'Content-Type' => 'application/json'], sub { shift @chunks });
    my $res = Apache::TestRequest::user_agent(keep_alive => 0)->request($req);
    is($res->code, $n == 64 ? 200 : 413, "chunked: $n bytes " . ($n == 64 ? 'are read' : 'are a 413'));
}

# The statements themselves, with "now" bound by the test.
my $pg = engine() eq 'pgsql';
sub run_sql { InviteTest::run_statement(@_) }
my $T = 1_700_000_000_000;
db_do('DELETE FROM invites');
db_do("INSERT INTO invites (id, days, max_uses, rid, user_id, created_at, expires, uses, updated_at, slot) "
      . "VALUES ('BndExp', 1, 0, 'GENERAL', ?, ?, ?, 0, ?, 1)", $USER{admin}, $T - 86_400_000, $T, $T);
db_do("INSERT INTO invites (id, days, max_uses, rid, user_id, created_at, expires, uses, updated_at, slot) "
      . "VALUES ('BndUse', 0, 5, 'GENERAL', ?, ?, NULL, 4, ?, 1)", $USER{admin}, $T, $T);
my @exp = ($USER{admin}, 'GENERAL', 1, 0);    # creator and settings of BndExp
my @use = ($USER{admin}, 'GENERAL', 0, 5);

is(scalar @{ run_sql('invite_find_invite', @exp, $T - 1) }, 1, 'find: alive 1 ms before expires');
is(scalar @{ run_sql('invite_find_invite', @exp, $T) }, 0, 'find: dead at exactly expires');
is(scalar @{ run_sql('invite_find_invite', @use, $T) }, 1, 'find: alive at uses = max_uses - 1');
is(run_sql('invite_slot_holder', $T - 1, @exp)->[0][-1], 1, 'slot holder: live 1 ms before expires');
is(run_sql('invite_slot_holder', $T, @exp)->[0][-1], 0, 'slot holder: dead at exactly expires');

# The use write counts only while the invite is live (and then it is not).
db_do("DELETE FROM subscriptions WHERE user_id = 'bndUser000000001'");
db_do("DELETE FROM users WHERE id = 'bndUser000000001'");
db_do("INSERT INTO users (id, username) VALUES ('bndUser000000001', 'bnd')");
my $u = 'bndUser000000001';
sub use_write {   # the number of uses counted
    my ($token, $now) = @_;
    if ($pg) {
        return run_sql('invite_use', $token, $now, $u, $u, $now, $u, $u, $now, $now, 0)->[0][1];
    }
    return run_sql('invite_use', $now, $token, $now, $u);
}
is(use_write('BndExp', $T) + 0, 0, 'use: nothing counted at exactly expires');
is(use_write('BndUse', $T) + 0, 1, 'use: the last use (4 of 5) is counted');
is(db_value("SELECT uses FROM invites WHERE id = 'BndUse'"), 5, 'uses reaches max_uses');
db_do("DELETE FROM subscriptions WHERE user_id = ?", $u);   # a newcomer again
is(use_write('BndUse', $T) + 0, 0, 'use: nothing counted once uses = max_uses');
is(db_value("SELECT uses FROM invites WHERE id = 'BndUse'"), 5, 'uses never passes max_uses');
is(scalar @{ run_sql('invite_find_invite', @use, $T) }, 0, 'find: dead at uses = max_uses');

# Validation: the same boundaries through the endpoint, with real time.
my $now = int(time * 1000);
db_do("UPDATE invites SET expires = ? WHERE id = 'BndExp'", $now);
is(json_of(api_post('/api/v1/validateInviteToken', {token => 'BndExp'}))->{valid}, JSON::PP::false(),
   'validateInviteToken: an invite whose expires has come is invalid');
is(json_of(api_post('/api/v1/validateInviteToken', {token => 'BndUse'}))->{valid}, JSON::PP::false(),
   'validateInviteToken: uses = max_uses is invalid');
db_do("UPDATE invites SET uses = 4 WHERE id = 'BndUse'");
is(json_of(api_post('/api/v1/validateInviteToken', {token => 'BndUse'}))->{valid}, JSON::PP::true(),
   'validateInviteToken: one use left is valid');
db_do("DELETE FROM users WHERE id = ?", $u);
reset_invites();
