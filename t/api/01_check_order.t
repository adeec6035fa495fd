# SPDX-License-Identifier: Apache-2.0
# The check table of findOrCreateInvite (docs/api.md#find-check-order) row
# by row, with the
# exact bodies, and the upstream end-to-end rows for this endpoint.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use InviteTest;

plan tests => 75;

my $P = '/api/v1/findOrCreateInvite';
reset_invites();

sub exact {
    my ($res, $status, $body, $name) = @_;
    is($res->code, $status, "$name: status $status");
    is($res->content, $body, "$name: exact body");
    like($res->header('Content-Type') // '', qr{^application/json}, "$name: JSON");
}

my $unauth = '{"success":false,"error":"You must be logged in to do this.","status":"error","message":"You must be logged in to do this."}';

# Row 1: authentication, before everything else (even a bad body).
exact(api_post($P, {rid => 'GENERAL', days => 1, maxUses => 10}), 401, $unauth,
      'e2e 1: no credentials');
exact(api_post($P, '[1,2]'), 401, $unauth, 'no credentials and a bad body');
exact(api_post($P, {rid => 'GENERAL', days => 1, maxUses => 10},
               user => [$USER{admin}, 'wrong-token']), 401, $unauth, 'wrong token');
exact(api_post($P, {rid => 'GENERAL', days => 1, maxUses => 10},
               user => ['noSuchUser', $TOKEN{admin}]), 401, $unauth, 'unknown user');
exact(api_post($P, {rid => 'GENERAL', days => 1, maxUses => 10},
               user => [$USER{plain}, $TOKEN{admin}]), 401, $unauth,
      "another user's token");
exact(api_post($P, {rid => 'GENERAL', days => 1, maxUses => 10},
               user => [$USER{notoken}, '']), 401, $unauth, 'empty token header');
exact(api_post($P, {rid => 'GENERAL', days => 1, maxUses => 10},
               user => [$USER{notoken}, 'anything']), 401, $unauth, 'user without tokens');

# Row 2: schema, after authentication.
exact(api_post($P, {rid => 'GENERAL', days => 1}, user => 'admin'), 400,
      q({"success":false,"errorType":"invalid-params","error":"must have required property 'maxUses'"}),
      'schema: missing maxUses');

# Row 5: empty rid.
my $rid_required = '{"success":false,"error":"The field rid is required [error-the-field-is-required]","errorType":"error-the-field-is-required","details":{"method":"findOrCreateInvite","field":"rid"}}';
exact(api_post($P, {rid => '', days => 1, maxUses => 10}, user => 'admin'), 400,
      $rid_required, 'empty rid');
exact(api_post($P, '{"rid":null,"days":1,"maxUses":10}', user => 'admin'), 400,
      $rid_required, 'null rid');

# Row 6: permission before existence.
my $not_authorized = '{"success":false,"error":"[not_authorized]","errorType":"not_authorized"}';
exact(api_post($P, {rid => 'GENERAL', days => 1, maxUses => 10}, user => 'plain'),
      400, $not_authorized, 'plain user in GENERAL');
exact(api_post($P, {rid => 'invalid', days => 1, maxUses => 10}, user => 'plain'),
      400, $not_authorized, 'plain user, nonexistent room: not_authorized first');

# Rows 7/8: subscription, then room existence.
my $invalid_room = '{"success":false,"error":"The rid field is invalid [error-invalid-room]","errorType":"error-invalid-room","details":{"method":"findOrCreateInvite","field":"rid"}}';
exact(api_post($P, {rid => 'invalid', days => 1, maxUses => 10}, user => 'admin'),
      400, $invalid_room, 'e2e 2: admin, invalid room id');
exact(api_post($P, {rid => 'LONELYROOM', days => 1, maxUses => 10}, user => 'admin'),
      400, $invalid_room, 'admin not subscribed to an existing room');

# Row 10: room types.
exact(api_post($P, {rid => 'DMROOM', days => 1, maxUses => 10}, user => 'admin'),
      400, '{"success":false,"error":"Cannot create invite links for this room type [error-room-type-not-allowed]","errorType":"error-room-type-not-allowed","details":{"method":"findOrCreateInvite"}}',
      'direct message room');
exact(api_post($P, {rid => 'ODDROOM', days => 1, maxUses => 10}, user => 'admin'),
      400, '{"success":false,"error":"Room type x not found"}', 'unregistered room type');

# Rows 12/13: the allowed lists, days first.
my $bad_days = '{"success":false,"error":"Invite should expire in 1, 7, 15 or 30 days, or send 0 to never expire. [invalid-number-of-days]","errorType":"invalid-number-of-days"}';
my $bad_uses = '{"success":false,"error":"Invite should be valid for 1, 5, 10, 25, 50, 100 or infinite (0) uses. [invalid-number-of-uses]","errorType":"invalid-number-of-uses"}';
exact(api_post($P, {rid => 'GENERAL', days => 2, maxUses => 10}, user => 'admin'),
      400, $bad_days, 'days 2');
exact(api_post($P, {rid => 'GENERAL', days => 2, maxUses => 3}, user => 'admin'),
      400, $bad_days, 'days 2 and maxUses 3: days reported');
exact(api_post($P, {rid => 'GENERAL', days => 1, maxUses => 3}, user => 'admin'),
      400, $bad_uses, 'maxUses 3');

is(invite_count($USER{admin}, 'GENERAL'), 0, 'no error path wrote an invite');

# Rows 14/15 and e2e 3/4: create, then return the same invite.
my $res = api_post($P, {rid => 'GENERAL', days => 1, maxUses => 10}, user => 'admin');
is($res->code, 200, 'e2e 3: create an invite for GENERAL');
my $first = json_of($res);
ok($first->{success}, 'e2e 3: success');
is($first->{days}, 1, 'e2e 3: days');
is($first->{maxUses}, 10, 'e2e 3: maxUses');
ok(exists $first->{uses}, 'e2e 3: has uses');
like($first->{_id} // '', qr/^[23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz]{6}$/,
     'e2e 3: _id of 6 unmistakable characters');

$res = api_post($P, {rid => 'GENERAL', days => 1, maxUses => 10}, user => 'admin');
is($res->code, 200, 'e2e 4: return the existing invite');
my $second = json_of($res);
is($second->{_id}, $first->{_id}, 'e2e 4: same _id');
is($res->content, api_post($P, {rid => 'GENERAL', days => 1, maxUses => 10},
                           user => 'admin')->content,
   'a found invite is returned byte for byte the same');
is(invite_count($USER{admin}, 'GENERAL'), 1, 'one row for the settings');

# Allowed room types: p and l, subscription and permission still needed.
for my $rid (qw(PRIVROOM LIVEROOM)) {
    my $r = api_post($P, {rid => $rid, days => 7, maxUses => 5}, user => 'admin');
    is($r->code, 200, "room type of $rid allows invites");
    is(json_of($r)->{rid}, $rid, "invite is for $rid");
}
exact(api_post($P, {rid => 'VOIPROOM', days => 1, maxUses => 1}, user => 'admin'),
      400, '{"success":false,"error":"Cannot create invite links for this room type [error-room-type-not-allowed]","errorType":"error-room-type-not-allowed","details":{"method":"findOrCreateInvite"}}',
      'registered type without invites (v)');
