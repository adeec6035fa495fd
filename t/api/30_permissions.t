# SPDX-License-Identifier: Apache-2.0
# Who gets through each route, and which refusal the others get, with
# callers that tell the permissions apart (admin holds both):
#   admin     global admin: create-invite-links and api-bypass-rate-limit
#   inviter   create-invite-links through a custom global role, no bypass
#   bot       api-bypass-rate-limit (role bot), no create-invite-links
#   owner     owner of OWNEDROOM only; moderator: moderator of MODROOM only
#   plain     neither
# findOrCreateInvite takes the permission globally or from the room's
# roles; listInvites and removeInvite only globally; useInviteToken needs
# a login only; validateInviteToken not even that.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use InviteTest;

plan tests => 24;

my $API = '/api/v1';
my %ROOM_OF = (admin => 'GENERAL', inviter => 'GENERAL', bot => 'GENERAL',
               owner => 'OWNEDROOM', moderator => 'MODROOM', plain => 'GENERAL');
my @CALLERS = qw(admin inviter bot owner moderator plain);
my $WRONG = [$USER{inviter}, 'wrong-token'];
reset_invites();

# "code errorType" (or "code -") of a response.
sub outcome {
    my ($res) = @_;
    my $j = json_of($res);
    return $res->code . ' ' . ((ref $j eq 'HASH' && $j->{errorType}) || '-');
}
# { caller => $outcome->(caller) } for every caller.
sub by_caller {
    my ($outcome) = @_;
    my %got;
    for my $c (@CALLERS) {   # (the requests clobber $_)
        $got{$c} = $outcome->($c);
    }
    return \%got;
}
sub find { api_post("$API/findOrCreateInvite", {rid => $_[1], days => 1, maxUses => 0}, user => $_[0]) }

# --- findOrCreateInvite: global role or a role in the room ---------------
is_deeply(by_caller(sub { outcome(find($_[0], $ROOM_OF{$_[0]})) }),
          { admin => '200 -', inviter => '200 -', bot => '400 not_authorized',
                   owner => '200 -', moderator => '200 -', plain => '400 not_authorized' },
          'findOrCreateInvite in a room of theirs: who gets through');
is(outcome(find('owner', 'GENERAL')), '400 not_authorized', 'a room owner holds nothing in another room');
is(outcome(find('moderator', 'OWNEDROOM')), '400 not_authorized', 'a moderator holds nothing in another room');
is(outcome(find('inviter', 'OWNEDROOM')), '400 error-invalid-room',
   'the custom role passes the permission check anywhere, then the room check');
is(outcome(find($WRONG, 'GENERAL')), '401 -', 'a wrong token: 401');

# --- listInvites: the global permission only -----------------------------
is_deeply(by_caller(sub { outcome(api_request(GET => "$API/listInvites", user => $_[0])) }),
          { admin => '200 -', inviter => '200 -', bot => '400 not_authorized',
                   owner => '400 not_authorized', moderator => '400 not_authorized',
                   plain => '400 not_authorized' },
          'listInvites: only holders of the global create-invite-links');
my $list = json_of(api_request(GET => "$API/listInvites", user => 'inviter'));
is(ref $list eq 'ARRAY' ? scalar @$list : -1, 4, 'the inviter sees every invite (4)');
is(outcome(api_request(GET => "$API/listInvites", user => $WRONG)), '401 -', 'listInvites, a wrong token: 401');
is(outcome(api_request(GET => "$API/listInvites")), '401 -', 'listInvites without login: 401');

# --- removeInvite: the global permission only ----------------------------
my @ids = map { $_->{_id} } @$list;
my $victim = $ids[2];   # the owner's, in OWNEDROOM
for my $who (qw(bot owner moderator plain)) {
    is(outcome(api_request(DELETE => "$API/removeInvite/$victim", user => $who)), '400 not_authorized',
       "removeInvite: $who is refused");
}
is(db_value('SELECT COUNT(*) FROM invites WHERE id = ?', $victim), 1, '... and the invite is still there');
is(outcome(api_request(DELETE => "$API/removeInvite/$victim", user => $WRONG)), '401 -',
   'removeInvite, a wrong token: 401');
my $res = api_request(DELETE => "$API/removeInvite/$victim", user => 'inviter');
is($res->code . ' ' . $res->content, '200 true', 'the inviter removes it');
is(db_value('SELECT COUNT(*) FROM invites WHERE id = ?', $victim), 0, '... and it is gone');
is(outcome(api_request(DELETE => "$API/removeInvite/$victim", user => 'inviter')), '400 invalid-invitation-id',
   'removing it again: invalid-invitation-id');
$res = api_request(DELETE => "$API/removeInvite/$ids[3]", user => 'admin');
is($res->code . ' ' . $res->content, '200 true', 'admin removes any invite');

# --- useInviteToken: a login, no permission ------------------------------
my $general = $list->[0];   # admin's, in GENERAL
db_do("DELETE FROM subscriptions WHERE user_id = ? AND rid = 'GENERAL'", $USER{bot});
is(outcome(api_post("$API/useInviteToken", {token => $general->{_id}}, user => 'bot')), '200 -',
   'useInviteToken: bot, no create-invite-links, joins');
is(db_value("SELECT COUNT(*) FROM subscriptions WHERE user_id = ? AND rid = 'GENERAL'", $USER{bot}), 1,
   '... and is a member again');
is(outcome(api_post("$API/useInviteToken", {token => $general->{_id}}, user => 'plain')), '200 -',
   'useInviteToken: a plain member gets the room');
is(outcome(api_post("$API/useInviteToken", {token => $general->{_id}}, user => $WRONG)), '401 -',
   'useInviteToken, a wrong token: 401');

# --- validateInviteToken: no login at all --------------------------------
is(json_of(api_post("$API/validateInviteToken", {token => $general->{_id}}))->{valid}, JSON::PP::true(),
   'validateInviteToken without login: valid');
reset_invites();
