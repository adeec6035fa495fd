# SPDX-License-Identifier: Apache-2.0
# The rest of the invite lifecycle (docs/api.md#other-routes): listInvites,
# removeInvite/:_id, useInviteToken and validateInviteToken, with the
# upstream end-to-end rows in their order (section 9), the exact bodies,
# the check order, and data left untouched by every refused request.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use InviteTest;

plan tests => 195;

my $API = '/api/v1';
reset_invites();
db_do("DELETE FROM subscriptions WHERE user_id LIKE 'lifeNew%'");
db_do("DELETE FROM users WHERE id LIKE 'lifeNew%'");

sub exact {
    my ($res, $status, $body, $name) = @_;
    is($res->code, $status, "$name: status $status");
    is($res->content, $body, "$name: exact body");
    like($res->header('Content-Type') // '', qr{^application/json}, "$name: JSON");
}

# A user with a login token and no subscriptions.
sub new_user {
    my ($id, $username) = @_;
    db_do('INSERT INTO users (id, username) VALUES (?, ?)', $id, $username);
    db_do('INSERT INTO user_roles (user_id, role) VALUES (?, ?)', $id, 'user');
    db_do('INSERT INTO login_tokens (user_id, hashed_token, created_at) VALUES (?, ?, NULL)',
          $id, token_hash("$id-token"));
    return [$id, "$id-token"];
}
sub uses_of { db_value('SELECT uses FROM invites WHERE id = ?', $_[0]) }
sub member  { db_value('SELECT COUNT(*) FROM subscriptions WHERE user_id = ? AND rid = ?', @_) }
sub use_token    { api_post("$API/useInviteToken", {token => $_[0]}, user => $_[1]) }
sub validate     { api_post("$API/validateInviteToken", {token => $_[0]}) }
sub validity     { my $j = json_of(validate($_[0])); $j && $j->{valid} ? 1 : 0 }
# An invite written straight into the database.
sub put_invite {
    my (%o) = @_;
    my $now = int(time * 1000);
    db_do('INSERT INTO invites (id, days, max_uses, rid, user_id, created_at, expires, uses, updated_at) '
          . 'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
          $o{id}, $o{days} // 0, $o{max_uses} // 0, $o{rid} // 'GENERAL', $USER{admin},
          $o{created_at} // $now, $o{expires}, $o{uses} // 0, $now);
    return $o{id};
}

my $unauth = '{"success":false,"error":"You must be logged in to do this.","status":"error","message":"You must be logged in to do this."}';
my $not_authorized = '{"success":false,"error":"[not_authorized]","errorType":"not_authorized"}';
my $invalid_id = '{"success":false,"error":"Invalid Invitation _id [invalid-invitation-id]","errorType":"invalid-invitation-id","details":{"method":"removeInvite"}}';
my $invalid_token = '{"success":false,"error":"The invite token is invalid. [error-invalid-token]","errorType":"error-invalid-token","details":{"method":"validateInviteToken","field":"token"}}';
my $expired = sub { '{"success":false,"error":"The invite token has expired. [error-invite-expired]","errorType":"error-invite-expired","details":{"method":"validateInviteToken","field":"' . $_[0] . '"}}' };

# ---------------------------------------------------------------- e2e rows
# 1-4: findOrCreateInvite (covered in depth by 01_check_order.t).
my $res = api_post("$API/findOrCreateInvite", {rid => 'GENERAL', days => 1, maxUses => 10}, user => 'admin');
is($res->code, 200, 'e2e 3: invite for GENERAL created');
my $id = json_of($res)->{_id};
like($id, qr/^[23456789A-HJ-NP-Za-km-z]{6}$/, 'e2e 3: it has an _id');
is(json_of(api_post("$API/findOrCreateInvite", {rid => 'GENERAL', days => 1, maxUses => 10}, user => 'admin'))->{_id},
   $id, 'e2e 4: the same invite again');

# 5-6: listInvites.
exact(api_request(GET => "$API/listInvites"), 401, $unauth, 'e2e 5: listInvites without login');
$res = api_request(GET => "$API/listInvites", user => 'admin');
is($res->code, 200, 'e2e 6: listInvites 200');
my $list = json_of($res);
is(ref $list, 'ARRAY', 'e2e 6: a bare JSON array');
is($list->[0]{_id}, $id, 'e2e 6: body[0]._id is the invite');

# 7-10: useInviteToken.
exact(api_request(POST => "$API/useInviteToken"), 401, $unauth, 'e2e 7: useInviteToken without login or body');
exact(use_token('invalid', 'admin'), 400, $invalid_token, 'e2e 8: invalid token');
exact(api_post("$API/useInviteToken", {}, user => 'admin'), 400,
      q({"success":false,"errorType":"invalid-params","error":"must have required property 'token'"}),
      'e2e 9: missing token');
exact(use_token($id, 'admin'), 200, '{"room":{"rid":"GENERAL","name":"general","t":"c"},"success":true}',
      'e2e 10: admin uses the invite of a room it is in');
is(uses_of($id), 0, 'e2e 10: a member counts no use');

# 11-12: validateInviteToken (credentials sent but not needed).
exact(api_post("$API/validateInviteToken", {token => 'invalid'}, user => 'admin'), 200,
      '{"valid":false,"success":true}', 'e2e 11: invalid token');
exact(api_post("$API/validateInviteToken", {token => $id}, user => 'admin'), 200,
      '{"valid":true,"success":true}', 'e2e 12: valid token');

# 13-16: removeInvite.
exact(api_request(DELETE => "$API/removeInvite/$id"), 401, $unauth, 'e2e 13: removeInvite without login');
exact(api_request(DELETE => "$API/removeInvite/invalid", user => 'admin'), 400, $invalid_id, 'e2e 14: unknown id');
exact(api_request(DELETE => "$API/removeInvite/$id", user => 'admin'), 200, 'true', 'e2e 15: removed');
is(db_value('SELECT COUNT(*) FROM invites WHERE id = ?', $id), 0, 'e2e 15: the row is gone');
exact(api_request(DELETE => "$API/removeInvite/$id", user => 'admin'), 400, $invalid_id, 'e2e 16: removed twice');

# ------------------------------------------------------------ listInvites
reset_invites();
exact(api_request(GET => "$API/listInvites", user => 'admin'), 200, '[]', 'no invites: an empty array');
my $t0 = 1_600_000_000_000;
put_invite(id => 'LstBBB', created_at => $t0 + 2000, days => 7, max_uses => 5, expires => $t0 + 7 * 86_400_000, uses => 2);
put_invite(id => 'LstAAA', created_at => $t0 + 1000);
put_invite(id => 'LstCCC', created_at => $t0 + 3000, rid => 'PRIVROOM');
$res = api_request(GET => "$API/listInvites", user => 'admin');
$list = json_of($res);
is_deeply([map { $_->{_id} } @$list], [qw(LstAAA LstBBB LstCCC)], 'every invite of every room, oldest first');
like($res->content, qr/^\[\{"_id":"LstAAA","days":0,"maxUses":0,"rid":"GENERAL","userId":"adminUserId000001","createdAt":"2020-09-13T12:26:41\.000Z","expires":null,"url":"","uses":0,"_updatedAt":"[^"]+"\},/,
     "elements in findOrCreateInvite's key order, url as stored (empty)");
like($res->content, qr/"_id":"LstBBB","days":7,"maxUses":5,"rid":"GENERAL","userId":"adminUserId000001","createdAt":"2020-09-13T12:26:42\.000Z","expires":"2020-09-20T12:26:40\.000Z","url":"","uses":2,/,
     'expires and uses as stored');
unlike($res->content, qr/"success"/, 'no success member on the bare array');
is($res->header('Cache-Control'), 'no-store', 'listInvites: Cache-Control no-store');
exact(api_request(GET => "$API/listInvites", user => 'owner'), 400, $not_authorized,
      'a room owner (create-invite-links only in its room) may not list');
exact(api_request(GET => "$API/listInvites", user => 'plain'), 400, $not_authorized, 'a plain user may not list');
exact(api_request(GET => "$API/listInvites", user => [$USER{admin}, 'wrong']), 401, $unauth, 'wrong token');
exact(api_request(GET => "$API/listInvites", user => ['noSuchUser', 'x']), 401, $unauth, 'unknown user');
$res = api_request(HEAD => "$API/listInvites", user => 'admin');
is($res->code, 200, 'HEAD listInvites: 200');
is($res->content, '', 'HEAD listInvites: no body');
$res = api_request(POST => "$API/listInvites", user => 'admin', body => '{}', type => 'application/json');
exact($res, 405, '{"success":false,"error":"Method POST is not allowed here; use GET, HEAD"}', 'POST listInvites');
is($res->header('Allow'), 'GET, HEAD', 'POST listInvites: Allow');

# ----------------------------------------------------------- removeInvite
exact(api_request(DELETE => "$API/removeInvite/LstAAA", user => 'owner'), 400, $not_authorized,
      'a room owner may not remove');
exact(api_request(DELETE => "$API/removeInvite/LstAAA", user => [$USER{admin}, 'wrong']), 401, $unauth,
      'remove with a wrong token');
exact(api_request(DELETE => "$API/removeInvite/nosuch", user => 'owner'), 400, $not_authorized,
      'permission is checked before the id');
is(db_value('SELECT COUNT(*) FROM invites'), 3, 'refused removals deleted nothing');
exact(api_request(DELETE => "$API/removeInvite/LstCCC", user => 'admin2'), 200, 'true',
      "any admin removes any invite (no ownership check)");
is(db_value("SELECT COUNT(*) FROM invites WHERE id = 'LstCCC'"), 0, 'that invite is gone');
is(db_value('SELECT COUNT(*) FROM invites'), 2, 'and only that one');
for my $path ("$API/removeInvite/", "$API/removeInvite", "$API/removeInvite/LstAAA/extra", "$API/noSuchRoute") {
    exact(api_request(DELETE => $path, user => 'admin'), 404, '{"success":false,"error":"Not found"}', "DELETE $path");
}
$res = api_request(GET => "$API/removeInvite/LstAAA", user => 'admin');
exact($res, 405, '{"success":false,"error":"Method GET is not allowed here; use DELETE"}', 'GET removeInvite');
is($res->header('Allow'), 'DELETE', 'GET removeInvite: Allow');
is(db_value('SELECT COUNT(*) FROM invites'), 2, 'nothing removed by the wrong method or path');

# ---------------------------------------------------- validateInviteToken
reset_invites();
my $now = int(time * 1000);
put_invite(id => 'VLive1');
put_invite(id => 'VExpd1', days => 1, expires => $now - 1);
put_invite(id => 'VSoon1', days => 1, expires => $now + 3_600_000);
put_invite(id => 'VUsed1', max_uses => 5, uses => 5);
put_invite(id => 'VLast1', max_uses => 5, uses => 4);
put_invite(id => 'VMany1', max_uses => 0, uses => 1000);
put_invite(id => 'VGone1', rid => 'NOSUCHROOM');
put_invite(id => 'VDirc1', rid => 'DMROOM');
is(validity('VLive1'), 1, 'a live invite is valid');
is(validity('VExpd1'), 0, 'an expired invite is not');
is(validity('VSoon1'), 1, 'one expiring later is');
is(validity('VUsed1'), 0, 'uses >= maxUses is not');
is(validity('VLast1'), 1, 'one use left is');
is(validity('VMany1'), 1, 'maxUses 0 never runs out');
is(validity('VGone1'), 0, 'an invite whose room is gone is not');
is(validity('VDirc1'), 1, 'room type is not validated here');
is(validity('vlive1'), 0, 'tokens are case-sensitive');
exact(validate(''), 200, '{"valid":false,"success":true}', 'empty token');
exact(api_post("$API/validateInviteToken", {}), 400,
      q({"success":false,"errorType":"invalid-params","error":"must have required property 'token'"}), 'no token');
exact(api_post("$API/validateInviteToken", {token => 'VLive1', extra => 1}), 400,
      '{"success":false,"errorType":"invalid-params","error":"must NOT have additional properties"}', 'extra field');
exact(api_post("$API/validateInviteToken", '{"token":123}'), 200, '{"valid":false,"success":true}',
      'a number is coerced to a string');
exact(api_post("$API/validateInviteToken", '{"token":{"a":1}}'), 400,
      '{"success":false,"errorType":"invalid-params","error":"must be string"}', 'an object token');
exact(api_post("$API/validateInviteToken", 'token=VLive1', type => 'application/x-www-form-urlencoded'), 200,
      '{"valid":true,"success":true}', 'a form body');
exact(api_post("$API/validateInviteToken", '{"token":"VLive1"}', type => 'text/plain'), 400,
      '{"success":false,"errorType":"invalid-params","error":"must have required property \'token\'"}',
      'JSON without its Content-Type is not JSON');
$res = api_request(GET => "$API/validateInviteToken");
is($res->code, 405, 'GET validateInviteToken: 405');
is($res->header('Allow'), 'POST', 'GET validateInviteToken: Allow POST');
is(db_value('SELECT SUM(uses) FROM invites'), 1009, 'validation changed no use count');

# --------------------------------------------------------- useInviteToken
my $newbie = new_user('lifeNew000001', 'lifenew1');
my $other  = new_user('lifeNew000002', 'lifenew2');
my $nameless = new_user('lifeNew000003', undef);
exact(api_post("$API/useInviteToken", '[1]'), 401, $unauth, 'no login and a bad body');
exact(api_post("$API/useInviteToken", '[1]', user => [$newbie->[0], 'wrong']), 401, $unauth, 'wrong token and a bad body');
exact(use_token('VLive1', [$newbie->[0], 'wrong']), 401, $unauth, 'wrong token');
exact(api_post("$API/useInviteToken", {token => 'VLive1', more => 1}, user => $newbie), 400,
      '{"success":false,"errorType":"invalid-params","error":"must NOT have additional properties"}', 'extra field');
exact(use_token('', $newbie), 400,
      '{"success":false,"error":"The invite token is invalid. [error-invalid-token]","errorType":"error-invalid-token","details":{"method":"useInviteToken","field":"token"}}',
      'empty token');
exact(use_token('VExpd1', $newbie), 400, $expired->('expires'), 'expired invite');
exact(use_token('VUsed1', $newbie), 400, $expired->('maxUses'), 'used-up invite');
exact(use_token('VGone1', $newbie), 400,
      '{"success":false,"error":"The invite token is invalid. [error-invalid-room]","errorType":"error-invalid-room","details":{"method":"validateInviteToken","field":"rid"}}',
      'room gone');
exact(use_token('VDirc1', $newbie), 400,
      q({"success":false,"error":"Can't join room of this type via invite [error-room-type-not-allowed]","errorType":"error-room-type-not-allowed","details":{"method":"useInviteToken","field":"token"}}),
      'a direct-message room');
put_invite(id => 'VOddr1', rid => 'ODDROOM');
exact(use_token('VOddr1', $newbie), 400, '{"success":false,"error":"Room type x not found"}', 'an unregistered room type');
is(member($newbie->[0], 'DMROOM') + member($newbie->[0], 'ODDROOM') + member($newbie->[0], 'GENERAL'), 0,
   'no refused use subscribed the user');
is(db_value('SELECT SUM(uses) FROM invites'), 1009, 'no refused use counted');

# A newcomer joins: subscribed with no room roles, one use counted.
exact(use_token('VLast1', $newbie), 200, '{"room":{"rid":"GENERAL","name":"general","t":"c"},"success":true}',
      'a newcomer uses the last use');
is(uses_of('VLast1'), 5, 'one use counted');
is(member($newbie->[0], 'GENERAL'), 1, 'the newcomer is subscribed');
is(db_value('SELECT COUNT(*) FROM subscription_roles WHERE user_id = ?', $newbie->[0]), 0, 'with no room roles');
ok(db_value("SELECT updated_at FROM invites WHERE id = 'VLast1'") >= $now, '_updatedAt moved');
exact(use_token('VLast1', $other), 400, $expired->('maxUses'), 'the next newcomer finds it used up');
is(member($other->[0], 'GENERAL'), 0, 'and is not subscribed');
exact(use_token('VLive1', $newbie), 200, '{"room":{"rid":"GENERAL","name":"general","t":"c"},"success":true}',
      'a member again');
is(uses_of('VLive1'), 0, 'a member counts nothing');

# Room fields: prid and fname when set, in Rocket.Chat's order.
db_do("UPDATE rooms SET fname = 'Private Room', prid = 'GENERAL' WHERE id = 'PRIVROOM'");
put_invite(id => 'VPriv1', rid => 'PRIVROOM', max_uses => 10);
exact(use_token('VPriv1', $newbie), 200,
      '{"room":{"rid":"PRIVROOM","prid":"GENERAL","fname":"Private Room","name":"privroom","t":"p"},"success":true}',
      'a private discussion: rid, prid, fname, name, t');
is(uses_of('VPriv1'), 1, 'counted');
db_do("UPDATE rooms SET fname = NULL, prid = NULL WHERE id = 'PRIVROOM'");
put_invite(id => 'VLivc1', rid => 'LIVEROOM');
exact(use_token('VLivc1', $other), 200, '{"room":{"rid":"LIVEROOM","name":"liveroom","t":"l"},"success":true}',
      'a livechat room allows invites');

# A user without a username counts a use but joins later (at setUsername).
exact(use_token('VPriv1', $nameless), 200,
      '{"room":{"rid":"PRIVROOM","name":"privroom","t":"p"},"success":true}', 'a user without a username');
is(uses_of('VPriv1'), 2, 'counts a use');
is(member($nameless->[0], 'PRIVROOM'), 0, 'and is not subscribed yet');

# Through findOrCreateInvite, as the clients do it.
reset_invites();
$res = api_post("$API/findOrCreateInvite", {rid => 'SPAREROOM', days => 7, maxUses => 1}, user => 'admin');
my $spare = json_of($res)->{_id};
is(validity($spare), 1, 'a created invite validates');
is(use_token($spare, $other)->code, 200, 'and takes a newcomer');
is(validity($spare), 0, 'maxUses 1: used up after one newcomer');
isnt(json_of(api_post("$API/findOrCreateInvite", {rid => 'SPAREROOM', days => 7, maxUses => 1}, user => 'admin'))->{_id},
     $spare, 'findOrCreateInvite then makes a new invite');
