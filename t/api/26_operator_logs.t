# SPDX-License-Identifier: Apache-2.0
# An operator's view of refusals: with LogLevel invite:debug (the
# /debuglog location of t/conf/extra.conf.in) each silent refusal says why
# in the error log - a body ignored for its Content-Type, a 401 (no such
# user, no token matches, token expired), a missing permission, an invalid
# room - naming the user id and never the token or its hash.  The answers
# are byte for byte those of a location at the default level, which logs
# none of it.  And the module's version line, once per configuration.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use InviteTest;

plan tests => 58;

my $DAY = 86_400_000;
my $now = int(time * 1000);
my $log = Apache::Test::vars('t_logs') . '/error_log';
my $D = '/debuglog/api/v1';
# The same settings at the suite's level (invite:info).
my $N = '/oneday/api/v1';
my $find = {rid => 'GENERAL', days => 0, maxUses => 0};

# A plain user (no role holding create-invite-links) in GENERAL, with a
# fresh token and one three days old (the location expires them after
# one); a user whose stored hash has a newline hashed in; and a user id
# that exists nowhere.
my %U = (plain => 'opsUser0000001', newline => 'opsNlUser00001', ghost => 'opsGhostUser01');
my @secrets = ('ops-token-1', 'ops-old-token', 'ops-nl-token', "ops-nl-token\n", 'ops-ghost-token');
db_do('DELETE FROM users WHERE id IN (?, ?)', $U{plain}, $U{newline});
db_do('INSERT INTO users (id, username) VALUES (?, ?)', $_, lc $_) for $U{plain}, $U{newline};
db_do("INSERT INTO user_roles (user_id, role) VALUES (?, 'user')", $U{plain});
db_do("INSERT INTO subscriptions (user_id, rid) VALUES (?, 'GENERAL')", $U{plain});
my $add_token = sub {
    db_do('INSERT INTO login_tokens (user_id, hashed_token, created_at) VALUES (?, ?, ?)',
          $_[0], token_hash($_[1]), $_[2]);
};
$add_token->($U{plain}, 'ops-token-1', $now);
$add_token->($U{plain}, 'ops-old-token', $now - 3 * $DAY - 60_000);
$add_token->($U{newline}, "ops-nl-token\n", $now);

# What the error log gained while $code ran.
sub logged {
    my ($code) = @_;
    my $before = -s $log // 0;
    my @res = $code->();
    open my $fh, '<', $log or die "$log: $!";
    seek $fh, $before, 0;
    local $/;
    my $text = <$fh> // '';
    return ($text, @res);
}

# The same request at the debug location and at the default one: the
# answers must be identical, and only the first may log.
sub both {
    my ($method, $route, %o) = @_;
    my $call = sub {
        my ($prefix) = @_;
        return $method eq 'POST' && !exists $o{body}
            ? api_post("$prefix/$route", $o{json}, %o)
            : api_request($method => "$prefix/$route", %o);
    };
    my ($quiet, $plain) = logged(sub { $call->($N) });
    my ($text, $res) = logged(sub { $call->($D) });
    return ($text, $res, $plain, $quiet);
}

# Checks one refusal: same status and body at both levels, no 007xx line
# at the default level, the debug line matching $want (and naming the
# user), no secret anywhere.
sub refusal {
    my ($label, $status, $want, @args) = @_;
    my ($text, $res, $plain, $quiet) = both(@args);
    ok($res->code == $status && $res->content eq $plain->content && $plain->code == $status,
       "$label: $status, the same body as without debug logging")
        or diag($res->code . ' ' . $res->content . ' / ' . $plain->code . ' ' . $plain->content);
    unlike($quiet, qr/INV007/, "$label: nothing logged at the default level");
    like($text, $want, "$label: the debug line says why") or diag($text);
    my @found = grep { index($text, $_) >= 0 || index($text, token_hash($_)) >= 0 } @secrets;
    is("@found", '', "$label: no token or hash in the line");
    return $text;
}

# 1. The body is ignored without a JSON or form Content-Type.
my $t = refusal('no Content-Type', 400,
    qr/INV00706: request body \(\d+ bytes\) for "\/debuglog\/api\/v1\/findOrCreateInvite" not read as parameters.*: the request has no Content-Type/,
    POST => 'findOrCreateInvite', user => 'admin', body => '{"rid":"GENERAL","days":0,"maxUses":0}');
my ($res) = api_request(POST => "$D/findOrCreateInvite", user => 'admin',
                        body => '{"rid":"GENERAL","days":0,"maxUses":0}');
like($res->content, qr/must have required property 'rid'/, 'no Content-Type: the schema error of an empty body');
refusal('text/plain', 400, qr/INV00706: .*Content-Type "text\/plain" is neither application\/json nor application\/x-www-form-urlencoded/,
    POST => 'validateInviteToken', type => 'text/plain', body => 'token=abc');
($t) = logged(sub { api_post("$D/validateInviteToken", {token => 'nosuch'}) });
unlike($t, qr/INV00706/, 'a JSON body is read: no line');

# 2. 401s: why, on each endpoint that authenticates.
refusal('newline hashed into the stored token', 401,
    qr/INV00701: user $U{newline}: authentication failure for "\/debuglog\/api\/v1\/findOrCreateInvite": no login token matches \(the user has 1\)/,
    POST => 'findOrCreateInvite', json => $find, user => [$U{newline}, 'ops-nl-token']);
refusal('no such user', 401,
    qr/INV00701: user $U{ghost}: authentication failure for "[^"]*findOrCreateInvite": no such user$/m,
    POST => 'findOrCreateInvite', json => $find, user => [$U{ghost}, 'ops-ghost-token']);
refusal('expired token', 401,
    qr/INV00701: user $U{plain}: authentication failure for "[^"]*findOrCreateInvite": login token expired: created 3 days ago, InviteLoginExpiration is 1 days/,
    POST => 'findOrCreateInvite', json => $find, user => [$U{plain}, 'ops-old-token']);
refusal('listInvites, wrong token', 401,
    qr/INV00701: user $U{plain}: authentication failure for "\/debuglog\/api\/v1\/listInvites": no login token matches \(the user has 2\)/,
    GET => 'listInvites', user => [$U{plain}, 'ops-ghost-token']);
refusal('removeInvite, expired token', 401,
    qr/INV00701: user $U{plain}: authentication failure for "[^"]*removeInvite\/nosuch": login token expired/,
    DELETE => 'removeInvite/nosuch', user => [$U{plain}, 'ops-old-token']);
refusal('useInviteToken, no such user', 401,
    qr/INV00701: user $U{ghost}: authentication failure for "[^"]*useInviteToken": no such user/,
    POST => 'useInviteToken', json => {token => 'nosuch'}, user => [$U{ghost}, 'ops-ghost-token']);
refusal('no X-Auth-Token', 401,
    qr/INV00702: user $U{plain}: authentication failure for "[^"]*findOrCreateInvite": no X-Auth-Token header/,
    POST => 'findOrCreateInvite', json => $find, headers => ['X-User-Id' => $U{plain}]);

# 3. Permissions and rooms.
refusal('not_authorized in a room', 400,
    qr/INV00703: user $U{plain}: not_authorized for "[^"]*findOrCreateInvite": permission create-invite-links missing for room GENERAL/,
    POST => 'findOrCreateInvite', json => $find, user => [$U{plain}, 'ops-token-1']);
refusal('not_authorized globally', 400,
    qr/INV00704: user $U{plain}: not_authorized for "[^"]*listInvites": permission create-invite-links missing \(no global role holds it\)/,
    GET => 'listInvites', user => [$U{plain}, 'ops-token-1']);
refusal('room not subscribed', 400,
    qr/INV00705: user $USER{admin}: error-invalid-room for "[^"]*findOrCreateInvite": room LONELYROOM exists but the user is not subscribed to it/,
    POST => 'findOrCreateInvite', json => {%$find, rid => 'LONELYROOM'}, user => 'admin');
refusal('room missing', 400,
    qr/INV00705: user $USER{admin}: error-invalid-room for "[^"]*findOrCreateInvite": room NOSUCHROOM does not exist/,
    POST => 'findOrCreateInvite', json => {%$find, rid => 'NOSUCHROOM'}, user => 'admin');

# A request that succeeds logs none of it.
($t, $res) = logged(sub { api_post("$D/findOrCreateInvite", $find, user => 'admin') });
is($res->code, 200, 'an allowed request at the debug location: 200');
unlike($t, qr/INV007/, 'and no refusal line');

# 4. The version, once per configuration (not in the first pass):
# as many lines as httpd's own "resuming normal operations".
open my $fh, '<', $log or die "$log: $!";
my $all = do { local $/; <$fh> };
my $versions = () = $all =~ /INV00750: mod_invite 0\.9\.0 \(jansson \d+\.\d+(?:\.\d+)?, OpenSSL \d+\.\d+\.\d+\S*\) configured/g;
my $starts = () = $all =~ /AH00489|AH00163/g;
cmp_ok($versions, '>=', 1, "the version line is logged ($versions times)");
is($versions, $starts, 'once per (re)configuration, as "resuming normal operations"');
