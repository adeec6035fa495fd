# SPDX-License-Identifier: Apache-2.0
# InviteRocketChatVersion (docs/api.md#releases): every refusal of the
# five classic routes answered under 8 (/rc8) and 9 (/rc9), exact status
# and body; only the permission refusals of findOrCreateInvite,
# listInvites and removeInvite differ (9.0's 403 error-forbidden).
# sendInvitationEmail's refusals under both values: t/api/39.  Then a
# server that names no release answers as 9, the newest.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use InviteTest;
use Cwd qw(abs_path);

my $unauth = '{"success":false,"error":"You must be logged in to do this.","status":"error","message":"You must be logged in to do this."}';
my $na400 = '400 {"success":false,"error":"[not_authorized]","errorType":"not_authorized"}';
my $na403 = '403 {"success":false,"error":"[not_authorized]","errorType":"error-forbidden"}';
my $invalid_token = '{"success":false,"error":"The invite token is invalid. [error-invalid-token]","errorType":"error-invalid-token","details":{"method":"validateInviteToken","field":"token"}}';
my $expired = '{"success":false,"error":"The invite token has expired. [error-invite-expired]","errorType":"error-invite-expired","details":{"method":"validateInviteToken","field":"%s"}}';
my $banned = '{"success":false,"error":"User is banned from this room [error-user-is-banned]","errorType":"error-user-is-banned","details":{"method":"useInviteToken"}}';

reset_invites();
my $id = (json_of(api_post('/rc9/api/v1/findOrCreateInvite', {rid => 'GENERAL', days => 1, maxUses => 1},
                           user => 'admin')) || {})->{_id} // 'none';
my $dead = (json_of(api_post('/rc9/api/v1/findOrCreateInvite', {rid => 'GENERAL', days => 7, maxUses => 1},
                             user => 'admin')) || {})->{_id} // 'none';
db_do('UPDATE invites SET uses = 1 WHERE id = ?', $dead);
# Earlier files may have let joiner into GENERAL: put that back at the end.
my $was_member = db_value("SELECT count(*) FROM subscriptions WHERE user_id = ? AND rid = 'GENERAL'", $USER{joiner});
db_do("DELETE FROM subscriptions WHERE user_id = ? AND rid = 'GENERAL'", $USER{joiner});
db_do("INSERT INTO subscriptions (user_id, rid, status) VALUES (?, 'GENERAL', 'BANNED')", $USER{joiner});

# [name, method, route, body, user, answer under 8, answer under 9 (undef:
# the same)]
my @cases = (
    ['find: no login', POST => 'findOrCreateInvite', {rid => 'GENERAL', days => 1, maxUses => 1}, undef, "401 $unauth"],
    ['find: schema', POST => 'findOrCreateInvite', {rid => 'GENERAL', days => 1}, 'admin',
     q(400 {"success":false,"errorType":"invalid-params","error":"must have required property 'maxUses'"})],
    ['find: empty rid', POST => 'findOrCreateInvite', {rid => '', days => 1, maxUses => 1}, 'admin',
     '400 {"success":false,"error":"The field rid is required [error-the-field-is-required]","errorType":"error-the-field-is-required","details":{"method":"findOrCreateInvite","field":"rid"}}'],
    ['find: no permission', POST => 'findOrCreateInvite', {rid => 'GENERAL', days => 1, maxUses => 1}, 'plain', $na400, $na403],
    ['find: no permission, no room', POST => 'findOrCreateInvite', {rid => 'invalid', days => 1, maxUses => 1}, 'plain', $na400, $na403],
    ['find: no such room', POST => 'findOrCreateInvite', {rid => 'invalid', days => 1, maxUses => 1}, 'admin',
     '400 {"success":false,"error":"The rid field is invalid [error-invalid-room]","errorType":"error-invalid-room","details":{"method":"findOrCreateInvite","field":"rid"}}'],
    ['find: days', POST => 'findOrCreateInvite', {rid => 'GENERAL', days => 2, maxUses => 1}, 'admin',
     '400 {"success":false,"error":"Invite should expire in 1, 7, 15 or 30 days, or send 0 to never expire. [invalid-number-of-days]","errorType":"invalid-number-of-days"}'],
    ['find: maxUses', POST => 'findOrCreateInvite', {rid => 'GENERAL', days => 1, maxUses => 2}, 'admin',
     '400 {"success":false,"error":"Invite should be valid for 1, 5, 10, 25, 50, 100 or infinite (0) uses. [invalid-number-of-uses]","errorType":"invalid-number-of-uses"}'],
    ['list: no login', GET => 'listInvites', undef, undef, "401 $unauth"],
    ['list: no permission', GET => 'listInvites', undef, 'owner', $na400, $na403],
    ['remove: no login', DELETE => "removeInvite/$id", undef, undef, "401 $unauth"],
    ['remove: no permission', DELETE => "removeInvite/$id", undef, 'plain', $na400, $na403],
    ['remove: no such invite', DELETE => 'removeInvite/NoSuch', undef, 'admin',
     '400 {"success":false,"error":"Invalid Invitation _id [invalid-invitation-id]","errorType":"invalid-invitation-id","details":{"method":"removeInvite"}}'],
    ['use: no login', POST => 'useInviteToken', {token => $id}, undef, "401 $unauth"],
    ['use: schema', POST => 'useInviteToken', {}, 'joiner',
     q(400 {"success":false,"errorType":"invalid-params","error":"must have required property 'token'"})],
    ['use: empty token', POST => 'useInviteToken', {token => ''}, 'joiner',
     '400 {"success":false,"error":"The invite token is invalid. [error-invalid-token]","errorType":"error-invalid-token","details":{"method":"useInviteToken","field":"token"}}'],
    ['use: unknown token', POST => 'useInviteToken', {token => 'NoSuch'}, 'plain', "400 $invalid_token"],
    ['use: used up', POST => 'useInviteToken', {token => $dead}, 'plain', '400 ' . sprintf($expired, 'maxUses')],
    ['use: banned', POST => 'useInviteToken', {token => $id}, 'joiner', "400 $banned"],
    ['validate: schema', POST => 'validateInviteToken', {}, undef,
     q(400 {"success":false,"errorType":"invalid-params","error":"must have required property 'token'"})],
    ['validate: unknown token', POST => 'validateInviteToken', {token => 'NoSuch'}, undef,
     '200 {"valid":false,"success":true}'],
);
plan tests => 2 * @cases + 3;

sub call {
    my ($prefix, $c) = @_;
    my (undef, $method, $route, $body, $user) = @$c;
    my $path = "$prefix/api/v1/$route";
    my $res = defined $body ? api_post($path, $body, $user ? (user => $user) : ())
                            : api_request($method => $path, $user ? (user => $user) : ());
    return $res->code . ' ' . $res->content;
}

for my $c (@cases) {
    my ($name, $m, $r, $b, $u, $v8, $v9) = @$c;
    is(call('/rc8', $c), $v8, "8: $name");
    is(call('/rc9', $c), $v9 // $v8, "9: $name" . (defined $v9 ? ' (403 error-forbidden)' : ''));
}
is(db_value('SELECT uses FROM invites WHERE id = ?', $id), 0, 'no refusal counted a use');
db_do("DELETE FROM subscriptions WHERE user_id = ? AND rid = 'GENERAL'", $USER{joiner});
db_do("INSERT INTO subscriptions (user_id, rid) VALUES (?, 'GENERAL')", $USER{joiner}) if $was_member;

# A server that names no release: 9, the newest.
my $top = abs_path("$FindBin::Bin/../..");
my $host = InviteTest::start_second_host($top, name => 'rc-default-' . engine());
my $res = api_request(GET => undef, user => 'owner',
                      url => "http://127.0.0.1:$host->{port}/api/v1/listInvites");
is($res->code . ' ' . $res->content, $na403, 'no InviteRocketChatVersion: the 403 of 9.x');
$res = api_request(GET => undef, user => 'admin',
                   url => "http://127.0.0.1:$host->{port}/api/v1/listInvites");
is($res->code, 200, '... and the admin still lists');
InviteTest::stop_second_host($host);
