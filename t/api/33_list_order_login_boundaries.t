# SPDX-License-Identifier: Apache-2.0
# Orders and boundaries an off-by-one or a wrong column would move:
# - listInvites lists in creation order (created_at, then id), with ids
#   and updated_at that sort the other way, so neither would pass;
# - login-token expiry at the millisecond, at statement level with a
#   chosen cutoff (as t/api/23_boundaries.t does for invites): a token
#   created exactly at the cutoff is accepted (Meteor keeps
#   when >= oldestValidDate), one a millisecond older is not, in every
#   statement that reads the tokens; and through the endpoints, tokens
#   seconds on either side of InviteLoginExpiration 1;
# - validateInviteToken of an invite whose room is gone.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use InviteTest;
use Time::HiRes qw(time);

plan tests => 10;

my $T = 1_700_000_000_000;
reset_invites();

# --- listInvites: creation order ------------------------------------------
# [id, created_at, updated_at], inserted in neither order.
my @invites = (['YyTie1', $T + 3000, $T], ['MmMid1', $T + 1000, $T + 2000],
               ['BbTie1', $T + 3000, $T + 500], ['ZzOld1', $T, $T + 3000],
               ['AaNew1', $T + 2000, $T + 1000]);
for (@invites) {
    db_do('INSERT INTO invites (id, days, max_uses, rid, user_id, created_at, expires, uses, updated_at) '
          . "VALUES (?, 0, 0, 'GENERAL', ?, ?, NULL, 0, ?)", $_->[0], $USER{admin}, $_->[1], $_->[2]);
}
my $want = 'ZzOld1 MmMid1 AaNew1 BbTie1 YyTie1';
is(join(' ', map { $_->[0] } @{ InviteTest::run_statement('invite_list') }), $want,
   'invite_list: by created_at, ties by id (not by id, nor updated_at, nor insertion)');
my $list = json_of(api_request(GET => '/api/v1/listInvites', user => 'inviter'));
is(join(' ', map { $_->{_id} } @{ ref $list eq 'ARRAY' ? $list : [] }), $want,
   'listInvites answers in that order');
is(join(' ', map { $_->{createdAt} } @{ ref $list eq 'ARRAY' ? $list : [] }[0, 1]),
   '2023-11-14T22:13:20.000Z 2023-11-14T22:13:21.000Z', 'the first element is the oldest');

# --- validateInviteToken: the room must exist -----------------------------
db_do("UPDATE invites SET rid = 'NOSUCHROOM' WHERE id = 'AaNew1'");
is(json_of(api_post('/api/v1/validateInviteToken', {token => 'AaNew1'}))->{valid}, JSON::PP::false(),
   'an invite whose room is gone is invalid');
is(json_of(api_post('/api/v1/validateInviteToken', {token => 'MmMid1'}))->{valid}, JSON::PP::true(),
   'its neighbour, whose room exists, is valid');
reset_invites();

# --- login-token expiry at the millisecond, statement level ----------------
my $uid = 'edgeUser00000001';
db_do('DELETE FROM login_tokens WHERE user_id = ?', $uid);
db_do('DELETE FROM users WHERE id = ?', $uid);
db_do('INSERT INTO users (id, username) VALUES (?, ?)', $uid, 'edge');
my $C = $T;   # the cutoff: now - InviteLoginExpiration days
my %created = ('edge-older' => $C - 1, 'edge-at' => $C, 'edge-newer' => $C + 1, 'edge-pat' => undef);
db_do('INSERT INTO login_tokens (user_id, hashed_token, created_at) VALUES (?, ?, ?)',
      $uid, token_hash($_), $created{$_}) for sort keys %created;
my $accepted = join ' ', sort map { token_hash($_) } qw(edge-at edge-newer edge-pat);
sub hashes { join ' ', sort split / /, $_[0] // '' }
my %rows = (
    invite_auth      => [$uid, $C, $uid, $uid],
    invite_use_facts => [$uid, $C, $uid, $uid, $uid, 'NoInvite'],
    invite_find      => [$uid, $C, $uid, $uid, 'GENERAL', $uid, 'GENERAL', 'GENERAL', $uid,
                         $uid, 'GENERAL', 0, 0, $T],
);
for my $label (sort keys %rows) {
    my $tokens = InviteTest::run_statement($label, @{ $rows{$label} })->[0][0];
    is(hashes($tokens), $accepted,
       "$label: created at the cutoff or later (or never) is accepted, 1 ms before is not");
}

# --- through the endpoints: InviteLoginExpiration 1, seconds either side ---
my $DAY = 86_400_000;
my $now = int(time * 1000);
db_do('DELETE FROM login_tokens WHERE user_id = ?', $uid);
db_do("INSERT INTO user_roles (user_id, role) VALUES (?, 'admin')", $uid);
db_do("INSERT INTO subscriptions (user_id, rid) VALUES (?, 'GENERAL')", $uid);
db_do('INSERT INTO login_tokens (user_id, hashed_token, created_at) VALUES (?, ?, ?)',
      $uid, token_hash($_->[0]), $_->[1]) for ['edge-young', $now - $DAY + 3000], ['edge-old', $now - $DAY - 3000];
my $inv = json_of(api_post('/api/v1/findOrCreateInvite', {rid => 'GENERAL', days => 0, maxUses => 0},
                           user => 'admin'))->{_id};
sub codes {
    my ($token) = @_;
    my $u = [$uid, $token];
    return join ' ', map { $_->code }
        api_post('/oneday/api/v1/findOrCreateInvite', {rid => 'GENERAL', days => 0, maxUses => 0}, user => $u),
        api_request(GET => '/oneday/api/v1/listInvites', user => $u),
        api_post('/oneday/api/v1/useInviteToken', {token => $inv}, user => $u),
        api_request(DELETE => '/oneday/api/v1/removeInvite/NoSuchInvite', user => $u);
}
is(codes('edge-young'), '200 200 200 400', 'InviteLoginExpiration 1: a token 3 s short of a day is accepted everywhere');
is(codes('edge-old'), '401 401 401 401', 'a token 3 s past a day is refused everywhere');

db_do('DELETE FROM subscriptions WHERE user_id = ?', $uid);
db_do('DELETE FROM user_roles WHERE user_id = ?', $uid);
db_do('DELETE FROM login_tokens WHERE user_id = ?', $uid);
db_do('DELETE FROM users WHERE id = ?', $uid);
reset_invites();
