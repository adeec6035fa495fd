# SPDX-License-Identifier: Apache-2.0
# Find-or-create rules (docs/api.md#find-reuse to #find-success): which
# invite is reused, what a new one looks like, room-scoped roles, and the response shape and headers.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use InviteTest;
use Time::HiRes ();

plan tests => 47;

my $P = '/api/v1/findOrCreateInvite';
reset_invites();

sub post_ok {
    my ($user, $rid, $days, $uses) = @_;
    my $res = api_post($P, {rid => $rid, days => $days, maxUses => $uses}, user => $user);
    my $who = ref $user ? $user->[0] : $user;
    is($res->code, 200, "$who: $rid/$days/$uses gives 200") or diag($res->content);
    return (json_of($res) || {}, $res);
}

my $t0 = int(Time::HiRes::time() * 1000);
my ($a, $res) = post_ok('admin', 'GENERAL', 7, 5);
my $t1 = int(Time::HiRes::time() * 1000);

# Shape: key order, types, dates, headers.
my @keys = $res->content =~ /"([^"]+)":/g;
is("@keys", '_id days maxUses rid userId createdAt expires url uses _updatedAt success',
   "Rocket.Chat's key order");
is($res->header('Content-Type'), 'application/json', 'Content-Type');
is($res->header('Cache-Control'), 'no-store', 'Cache-Control: no-store');
is($a->{userId}, $USER{admin}, 'userId is the creator');
is($a->{rid}, 'GENERAL', 'rid');
is($a->{uses}, 0, 'uses 0');
like($res->content, qr/"days":7,"maxUses":5,/, 'days and maxUses are JSON integers');
like($res->content, qr/"uses":0,/, 'uses is a JSON integer');
my $iso = qr/^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{3})Z$/;
like($a->{createdAt}, $iso, 'createdAt is ISO-8601 UTC with milliseconds');
like($a->{_updatedAt}, $iso, '_updatedAt likewise');
like($a->{expires}, $iso, 'expires likewise');
my $stored = InviteTest::dbh()->selectrow_hashref(
    'SELECT created_at, expires, updated_at FROM invites WHERE id = ?', undef, $a->{_id});
ok($stored->{created_at} >= $t0 && $stored->{created_at} <= $t1,
   'createdAt is the time of the request');
is($stored->{expires} - $stored->{created_at}, 7 * 86400000,
   'expires = createdAt + 7 days (UTC server)');
ok($stored->{updated_at} >= $stored->{created_at}
   && $stored->{updated_at} - $stored->{created_at} < 1000,
   '_updatedAt is a second reading, at or after createdAt');
is(iso_ms($a->{createdAt}), $stored->{created_at}, 'createdAt keeps milliseconds');

sub iso_ms {
    my ($s) = @_;
    my ($Y, $M, $D, $h, $m, $sec, $ms) = $s =~ $iso or return -1;
    require Time::Local;
    return Time::Local::timegm($sec, $m, $h, $D, $M - 1, $Y) * 1000 + $ms;
}

# Same settings: the same invite.  Other settings or creator: another one.
my ($again) = post_ok('admin', 'GENERAL', 7, 5);
is($again->{_id}, $a->{_id}, 'same creator and settings: reused');
my ($other_days) = post_ok('admin', 'GENERAL', 15, 5);
isnt($other_days->{_id}, $a->{_id}, 'other days: a new invite');
my ($other_uses) = post_ok('admin', 'GENERAL', 7, 10);
isnt($other_uses->{_id}, $a->{_id}, 'other maxUses: a new invite');
my ($b) = post_ok('admin2', 'GENERAL', 7, 5);
isnt($b->{_id}, $a->{_id}, 'another creator gets their own invite');
is($b->{userId}, $USER{admin2}, '... created by them');

# Expired invites are not reused; the old row stays.
db_do('UPDATE invites SET expires = ? WHERE id = ?', $t0 - 1000, $a->{_id});
my ($fresh) = post_ok('admin', 'GENERAL', 7, 5);
isnt($fresh->{_id}, $a->{_id}, 'expired invite: a new one');
is(invite_count($USER{admin}, 'GENERAL'), 4, 'the expired row remains');
my ($fresh2) = post_ok('admin', 'GENERAL', 7, 5);
is($fresh2->{_id}, $fresh->{_id}, 'and the new one is reused');

# Used-up invites are not reused; unlimited ones always are.
db_do('UPDATE invites SET uses = max_uses WHERE id = ?', $fresh->{_id});
my ($fresh3) = post_ok('admin', 'GENERAL', 7, 5);
isnt($fresh3->{_id}, $fresh->{_id}, 'used-up invite: a new one');
my ($unlimited) = post_ok('admin', 'GENERAL', 0, 0);
db_do('UPDATE invites SET uses = 1000 WHERE id = ?', $unlimited->{_id});
my ($unlimited2) = post_ok('admin', 'GENERAL', 0, 0);
is($unlimited2->{_id}, $unlimited->{_id}, 'maxUses 0 is never used up');
is($unlimited2->{uses}, 1000, 'the stored uses are returned as they are');
is($unlimited2->{expires}, undef, 'days 0: expires null');

# Room-scoped roles: an owner or moderator only in their own room.
my ($owned) = post_ok('owner', 'OWNEDROOM', 1, 1);
is($owned->{rid}, 'OWNEDROOM', 'owner creates in their room');
$res = api_post($P, {rid => 'GENERAL', days => 1, maxUses => 1}, user => 'owner');
is(json_of($res)->{errorType}, 'not_authorized', 'owner elsewhere: not_authorized');
my ($moderated) = post_ok('moderator', 'MODROOM', 1, 1);
is($moderated->{rid}, 'MODROOM', 'moderator creates in their room');
# Role lists come from the database.
db_do("DELETE FROM permission_roles WHERE permission = 'create-invite-links' AND role = 'moderator'");
$res = api_post($P, {rid => 'MODROOM', days => 30, maxUses => 1}, user => 'moderator');
is(json_of($res)->{errorType}, 'not_authorized', 'permission revoked in the database');
db_do("INSERT INTO permission_roles (permission, role) VALUES ('create-invite-links', 'moderator')");
db_do("INSERT INTO permission_roles (permission, role) VALUES ('create-invite-links', 'user')");
my ($plain) = post_ok('plain', 'GENERAL', 1, 1);
is($plain->{userId}, $USER{plain}, 'permission granted to role user in the database');
db_do("DELETE FROM permission_roles WHERE role = 'user'");

# A user with several tokens may use any of them.
my ($m) = post_ok([$USER{multi}, 'multi-token-b'], 'GENERAL', 1, 0);
is($m->{userId}, $USER{multi}, 'the second of two tokens authenticates');
