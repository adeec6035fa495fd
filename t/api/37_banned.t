# SPDX-License-Identifier: Apache-2.0
# Banned members (Rocket.Chat 8.4.0, #39840; docs/api.md#use-invite-token):
# useInviteToken refuses a user whose subscription to the invite's room is
# BANNED, after the token and room-type checks and before anything is
# written: the exact 400 body, no use counted, the subscription as it was.
# findOrCreateInvite checks no ban in any release (the released source
# reads the subscription's existence only), so a banned creator who holds
# create-invite-links gets the invite.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use InviteTest;

plan tests => 12;

my $banned_body = '{"success":false,"error":"User is banned from this room [error-user-is-banned]","errorType":"error-user-is-banned","details":{"method":"useInviteToken"}}';

reset_invites();
my $made = api_post('/api/v1/findOrCreateInvite', {rid => 'GENERAL', days => 1, maxUses => 5},
                    user => 'admin');
my $id = (json_of($made) || {})->{_id} // 'none';
is($made->code, 200, 'an invite to GENERAL');

# Earlier files may have let joiner into GENERAL: put that back at the end.
my $was_member = db_value("SELECT count(*) FROM subscriptions WHERE user_id = ? AND rid = 'GENERAL'", $USER{joiner});
db_do("DELETE FROM subscriptions WHERE user_id = ? AND rid = 'GENERAL'", $USER{joiner});
db_do("INSERT INTO subscriptions (user_id, rid, status) VALUES (?, 'GENERAL', 'BANNED')", $USER{joiner});
my $res = api_post('/api/v1/useInviteToken', {token => $id}, user => 'joiner');
is($res->code . ' ' . $res->content, "400 $banned_body", 'a banned member: the exact 400 of Rocket.Chat 8.4 and later');
is(db_value('SELECT uses FROM invites WHERE id = ?', $id), 0, '... no use counted');
is(db_value("SELECT status FROM subscriptions WHERE user_id = ? AND rid = 'GENERAL'", $USER{joiner}),
   'BANNED', '... the subscription as it was');
is(db_value("SELECT count(*) FROM subscriptions WHERE user_id = ? AND rid = 'GENERAL'", $USER{joiner}), 1,
   '... and nothing joined');

# The token's own checks come first.
my $dead = api_post('/api/v1/useInviteToken', {token => 'NoSuch'}, user => 'joiner');
is(json_of($dead)->{errorType}, 'error-invalid-token', 'a banned member with an unknown token: the token error first');
db_do('UPDATE invites SET uses = max_uses WHERE id = ?', $id);
$res = api_post('/api/v1/useInviteToken', {token => $id}, user => 'joiner');
is(json_of($res)->{errorType}, 'error-invite-expired', '... and a used-up invite\'s');
db_do('UPDATE invites SET uses = 0 WHERE id = ?', $id);

# Any other status is no ban: a member, answered 200 and not counted.
db_do("UPDATE subscriptions SET status = 'ACTIVE' WHERE user_id = ? AND rid = 'GENERAL'", $USER{joiner});
$res = api_post('/api/v1/useInviteToken', {token => $id}, user => 'joiner');
is($res->code, 200, 'another status: a member as before');
is(db_value('SELECT uses FROM invites WHERE id = ?', $id), 0, '... not counted');
db_do("DELETE FROM subscriptions WHERE user_id = ? AND rid = 'GENERAL'", $USER{joiner});
db_do("INSERT INTO subscriptions (user_id, rid) VALUES (?, 'GENERAL')", $USER{joiner}) if $was_member;

# A banned room owner still gets the invite: no release checks a ban there.
db_do("UPDATE subscriptions SET status = 'BANNED' WHERE user_id = ? AND rid = 'OWNEDROOM'", $USER{owner});
$res = api_post('/api/v1/findOrCreateInvite', {rid => 'OWNEDROOM', days => 1, maxUses => 1}, user => 'owner');
is($res->code, 200, 'findOrCreateInvite by a banned owner: 200, as the released source answers');
ok((json_of($res) || {})->{_id}, '... with the invite');
db_do("UPDATE subscriptions SET status = NULL WHERE user_id = ? AND rid = 'OWNEDROOM'", $USER{owner});
is(db_value("SELECT count(*) FROM subscriptions WHERE status IS NOT NULL"), 0, 'the fixtures restored');
