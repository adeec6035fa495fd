# SPDX-License-Identifier: Apache-2.0
# InviteLoginExpiration (default 90 days, as Rocket.Chat's
# Accounts_LoginExpiration; 0 = never): a login token older than that is
# refused with the normal 401 on every endpoint that needs a login, using
# login_tokens.created_at; a token without created_at (a personal access
# token) never expires.  And InviteIdLength: longer ids, same alphabet.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use InviteTest;

plan tests => 30;

my $DAY = 86_400_000;
my $now = int(time * 1000);
my $unauth = '{"success":false,"error":"You must be logged in to do this.","status":"error","message":"You must be logged in to do this."}';
reset_invites();

# One admin, subscribed to GENERAL, with tokens of several ages.
my $uid = 'agedUser00000001';
db_do('DELETE FROM users WHERE id = ?', $uid);
db_do('INSERT INTO users (id, username) VALUES (?, ?)', $uid, 'aged');
db_do("INSERT INTO user_roles (user_id, role) VALUES (?, 'admin')", $uid);
db_do("INSERT INTO subscriptions (user_id, rid) VALUES (?, 'GENERAL')", $uid);
my %age = (fresh => $now - $DAY / 2, d89 => $now - 89 * $DAY, d91 => $now - 91 * $DAY,
           d2 => $now - 2 * $DAY, ancient => 0);
for my $t (keys %age) {
    db_do('INSERT INTO login_tokens (user_id, hashed_token, created_at) VALUES (?, ?, ?)',
          $uid, token_hash("aged-$t"), $age{$t});
}
db_do('INSERT INTO login_tokens (user_id, hashed_token, created_at) VALUES (?, ?, NULL)',
      $uid, token_hash('aged-pat'));

my $id = json_of(api_post('/api/v1/findOrCreateInvite', {rid => 'GENERAL', days => 0, maxUses => 0},
                          user => [$uid, 'aged-fresh']))->{_id};
ok($id, 'a fresh token works');

# Every login endpoint, by token, under a location prefix.
sub calls {
    my ($prefix, $token) = @_;
    my $u = [$uid, "aged-$token"];
    return (
        api_post("$prefix/api/v1/findOrCreateInvite", {rid => 'GENERAL', days => 0, maxUses => 0}, user => $u),
        api_request(GET => "$prefix/api/v1/listInvites", user => $u),
        api_post("$prefix/api/v1/useInviteToken", {token => $id}, user => $u),
        api_request(DELETE => "$prefix/api/v1/removeInvite/nosuch", user => $u),
    );
}
my @names = qw(findOrCreateInvite listInvites useInviteToken removeInvite);
sub accepted {
    my ($prefix, $token, $want_ok, $label) = @_;
    my @res = calls($prefix, $token);
    for my $i (0 .. $#res) {
        my $res = $res[$i];
        if ($want_ok) {
            isnt($res->code, 401, "$label: $names[$i] accepts it");
        }
        else {
            ok($res->code == 401 && $res->content eq $unauth, "$label: $names[$i] answers the normal 401");
        }
    }
}
accepted('', 'd89', 1, 'default 90 days, an 89-day-old token');
accepted('', 'd91', 0, 'default 90 days, a 91-day-old token');
accepted('', 'pat', 1, 'a token without created_at (personal access token)');
accepted('/noexpiry', 'ancient', 1, 'InviteLoginExpiration 0, a token from 1970');
accepted('/oneday', 'd2', 0, 'InviteLoginExpiration 1, a 2-day-old token');
accepted('/oneday', 'fresh', 1, 'InviteLoginExpiration 1, a 12-hour-old token');
is(db_value('SELECT COUNT(*) FROM invites'), 1, 'refused calls created nothing');

# InviteIdLength 24: longer ids, same alphabet, still working links.
my $res = api_post('/longids/api/v1/findOrCreateInvite', {rid => 'SPAREROOM', days => 0, maxUses => 0}, user => 'admin');
my $long = json_of($res)->{_id};
like($long, qr/^[23456789A-HJ-NP-Za-km-z]{24}$/, 'InviteIdLength 24: a 24-symbol id of the same alphabet');
like(json_of($res)->{url}, qr{invite%2F\Q$long\E$}, 'the link carries it');
is(json_of(api_post('/api/v1/validateInviteToken', {token => $long}))->{valid}, JSON::PP::true(),
   'and it validates');
like(json_of(api_post('/api/v1/findOrCreateInvite', {rid => 'PRIVROOM', days => 0, maxUses => 0}, user => 'admin'))->{_id},
     qr/^[23456789A-HJ-NP-Za-km-z]{6}$/, 'elsewhere the default stays 6');
