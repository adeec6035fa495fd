# SPDX-License-Identifier: Apache-2.0
# Hostile input on every endpoint: each case asserts the exact status and
# the exact JSON error body.  Afterwards the database equals its dump from
# before (apart from invites that valid calls created) and the server
# still answers.  httpd's own protocol rejections, which stay httpd's HTML
# pages and never reach the module: a header line over
# LimitRequestFieldSize (8190 bytes) is a 400, a malformed chunk size is a
# 400, and %00 or %2F in the path is a 404 (ap_unescape_url); they are
# asserted as such at the end.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use InviteTest;
use HTTP::Request;
use IO::Socket::INET;

my $A = '/api/v1';
my ($F, $V, $U, $L) = ("$A/findOrCreateInvite", "$A/validateInviteToken", "$A/useInviteToken", "$A/listInvites");
my $R = "$A/removeInvite/AbCdEf";
my $hostport = Apache::TestRequest::hostport();

my $unauth = '{"success":false,"error":"You must be logged in to do this.","status":"error","message":"You must be logged in to do this."}';
sub params  { qq({"success":false,"errorType":"invalid-params","error":"$_[0]"}) }
my $no_rid   = params(q(must have required property 'rid'));
my $no_token = params(q(must have required property 'token'));
my $extra    = params('must NOT have additional properties');
my $too_big  = '{"success":false,"error":"Request body larger than 8192 bytes"}';
my $bad_room = '{"success":false,"error":"The rid field is invalid [error-invalid-room]","errorType":"error-invalid-room","details":{"method":"findOrCreateInvite","field":"rid"}}';
my $bad_token = '{"success":false,"error":"The invite token is invalid. [error-invalid-token]","errorType":"error-invalid-token","details":{"method":"validateInviteToken","field":"token"}}';
my $invalid  = '{"valid":false,"success":true}';
my $bad_id   = '{"success":false,"error":"Invalid Invitation _id [invalid-invitation-id]","errorType":"invalid-invitation-id","details":{"method":"removeInvite"}}';
my $bad_days = '{"success":false,"error":"Invite should expire in 1, 7, 15 or 30 days, or send 0 to never expire. [invalid-number-of-days]","errorType":"invalid-number-of-days"}';
sub method_not_allowed { qq({"success":false,"error":"Method $_[0] is not allowed here; use $_[1]"}) }

my $deep = ('[' x 3000) . (']' x 3000);
my $admin = [$USER{admin}, $TOKEN{admin}];
my $off_by_one = $TOKEN{admin}; substr($off_by_one, -1, 1) = chr(ord(substr($off_by_one, -1, 1)) + 1);

# [name, method, path, user, body, content type, status, exact body, extra headers]
my @cases = (
    # Bodies over the cap (8192), announced and chunked.
    ['F: Content-Length over the cap', 'POST', $F, $admin, 'x' x 9000, 'application/json', 413, $too_big],
    ['V: Content-Length over the cap', 'POST', $V, undef, 'x' x 9000, 'application/json', 413, $too_big],
    ['U: Content-Length over the cap', 'POST', $U, $admin, 'x' x 9000, 'application/json', 413, $too_big],
    ['F: chunked over the cap', 'POST', $F, $admin, [('y' x 1000) x 10], 'application/json', 413, $too_big],
    ['V: chunked over the cap', 'POST', $V, undef, [('y' x 1000) x 10], 'application/json', 413, $too_big],
    ['U: chunked over the cap', 'POST', $U, $admin, [('y' x 1000) x 10], 'application/json', 413, $too_big],
    # Nesting past jansson's depth limit: unparseable, so {} (docs/api.md#body-parsing).
    ['F: 3000-deep array', 'POST', $F, $admin, $deep, 'application/json', 400, $no_rid],
    ['V: 3000-deep array', 'POST', $V, undef, $deep, 'application/json', 400, $no_token],
    ['U: 3000-deep array', 'POST', $U, $admin, $deep, 'application/json', 400, $no_token],
    ['V: deep value under token', 'POST', $V, undef, qq({"token":$deep}), 'application/json', 400, $no_token],
    ['F: deep value under rid', 'POST', $F, $admin, qq({"rid":$deep,"days":1,"maxUses":1}), 'application/json', 400, $no_rid],
    # NUL bytes.
    ['V: \u0000 in the token', 'POST', $V, undef, '{"token":"Ab\u0000Cd"}', 'application/json', 400, $no_token],
    ['U: \u0000 in the token', 'POST', $U, $admin, '{"token":"Ab\u0000Cd"}', 'application/json', 400, $no_token],
    ['F: \u0000 in rid', 'POST', $F, $admin, '{"rid":"GEN\u0000ERAL","days":1,"maxUses":1}', 'application/json', 400, $no_rid],
    ['V: raw NUL byte in the body', 'POST', $V, undef, qq({"token":"Ab\0Cd"}), 'application/json', 400, $no_token],
    ['V: %00 in a form body', 'POST', $V, undef, 'token=Ab%00Cd', 'application/x-www-form-urlencoded', 400, $no_token],
    # Invalid UTF-8 (replaced by U+FFFD, as a JavaScript decoder does).
    ['V: invalid UTF-8 token', 'POST', $V, undef, qq({"token":"Ab\xff\xfeCd"}), 'application/json', 200, $invalid],
    ['U: invalid UTF-8 token', 'POST', $U, $admin, qq({"token":"Ab\xffCd"}), 'application/json', 400, $bad_token],
    ['F: invalid UTF-8 rid', 'POST', $F, $admin, qq({"rid":"GEN\xc3ERAL","days":1,"maxUses":1}), 'application/json', 400, $bad_room],
    ['V: overlong encoding of "/"', 'POST', $V, undef, qq({"token":"\xc0\xafetc"}), 'application/json', 200, $invalid],
    # Numbers.
    ['F: days 1e400', 'POST', $F, $admin, '{"rid":"GENERAL","days":1e400,"maxUses":1}', 'application/json', 400, $no_rid],
    ['F: days 2^63', 'POST', $F, $admin, '{"rid":"GENERAL","days":9223372036854775808,"maxUses":1}', 'application/json', 400, $bad_days],
    ['F: days -2^63', 'POST', $F, $admin, '{"rid":"GENERAL","days":-9223372036854775808,"maxUses":1}', 'application/json', 400, $bad_days],
    ['F: days 1.5', 'POST', $F, $admin, '{"rid":"GENERAL","days":1.5,"maxUses":1}', 'application/json', 400, params('must be integer')],
    ['F: days NaN', 'POST', $F, $admin, '{"rid":"GENERAL","days":NaN,"maxUses":1}', 'application/json', 400, $no_rid],
    # ajv coerces a string that == its number ("0x10" == 16): then not an allowed value.
    ['F: days "0x10"', 'POST', $F, $admin, '{"rid":"GENERAL","days":"0x10","maxUses":1}', 'application/json', 400, $bad_days],
    ['V: token 1e400', 'POST', $V, undef, '{"token":1e400}', 'application/json', 400, $no_token],
    ['V: token -0', 'POST', $V, undef, '{"token":-0}', 'application/json', 200, $invalid],
    # Lone surrogates: JSON.parse would keep them; jansson refuses the text.
    ['V: lone high surrogate', 'POST', $V, undef, '{"token":"\ud800"}', 'application/json', 400, $no_token],
    ['V: lone low surrogate', 'POST', $V, undef, '{"token":"\udc00x"}', 'application/json', 400, $no_token],
    ['F: lone surrogate in rid', 'POST', $F, $admin, '{"rid":"\udfff","days":1,"maxUses":1}', 'application/json', 400, $no_rid],
    # Duplicate keys: the last one wins, as in JSON.parse.
    ['F: duplicate rid, the last a bad one', 'POST', $F, $admin, '{"rid":"GENERAL","rid":"nosuch","days":1,"maxUses":1}', 'application/json', 400, $bad_room],
    ['V: duplicate token', 'POST', $V, undef, '{"token":"x","token":"y"}', 'application/json', 200, $invalid],
    ['V: duplicate token, last not a string', 'POST', $V, undef, '{"token":"x","token":{}}', 'application/json', 400, params('must be string')],
    # SQL-looking and format-string values.
    ['F: SQL in rid', 'POST', $F, $admin, q({"rid":"GENERAL' OR '1'='1","days":1,"maxUses":1}), 'application/json', 400, $bad_room],
    ['F: SQL comment in rid', 'POST', $F, $admin, q({"rid":"GENERAL'; DROP TABLE invites; --","days":1,"maxUses":1}), 'application/json', 400, $bad_room],
    ['V: SQL in the token', 'POST', $V, undef, q({"token":"' OR 1=1 --"}), 'application/json', 200, $invalid],
    ['U: SQL in the token', 'POST', $U, $admin, q({"token":"x' UNION SELECT * FROM login_tokens --"}), 'application/json', 400, $bad_token],
    ['V: format string token', 'POST', $V, undef, '{"token":"%s%s%n%x%lld"}', 'application/json', 200, $invalid],
    ['U: format string token', 'POST', $U, $admin, '{"token":"%n%n%n%n"}', 'application/json', 400, $bad_token],
    ['F: format string rid', 'POST', $F, $admin, '{"rid":"%s%n%p","days":1,"maxUses":1}', 'application/json', 400, $bad_room],
    ['R: SQL in the id', 'DELETE', "$A/removeInvite/x'%20OR%20'1'='1", $admin, undef, undef, 400, $bad_id],
    ['R: format string id', 'DELETE', "$A/removeInvite/%25s%25n%25x", $admin, undef, undef, 400, $bad_id],
    # Wrong and missing Content-Type.
    ['F: JSON as text/plain', 'POST', $F, $admin, '{"rid":"GENERAL","days":1,"maxUses":1}', 'text/plain', 400, $no_rid],
    ['F: JSON without a Content-Type', 'POST', $F, $admin, '{"rid":"GENERAL","days":1,"maxUses":1}', undef, 400, $no_rid],
    ['V: JSON without a Content-Type', 'POST', $V, undef, '{"token":"x"}', undef, 400, $no_token],
    ['U: multipart/form-data', 'POST', $U, $admin, "--b\r\n\r\nx\r\n--b--", 'multipart/form-data; boundary=b', 400, $no_token],
    ['V: application/xml', 'POST', $V, undef, '<token>x</token>', 'application/xml', 400, $no_token],
    ['F: empty body', 'POST', $F, $admin, '', 'application/json', 400, $no_rid],
    ['V: a JSON array', 'POST', $V, undef, '["token"]', 'application/json', 400, params('must be object')],
    ['V: a JSON string', 'POST', $V, undef, '"token"', 'application/json', 400, $no_token],
    ['V: extra field', 'POST', $V, undef, '{"token":"x","__proto__":{}}', 'application/json', 400, $extra],
    # Auth headers: oversized, repeated, empty, one byte off, another user's.
    ['F: 8000-byte token', 'POST', $F, [$USER{admin}, 'x' x 8000], '{"rid":"GENERAL","days":1,"maxUses":1}', 'application/json', 401, $unauth],
    ['F: 8000-byte user id', 'POST', $F, ['u' x 8000, $TOKEN{admin}], '{"rid":"GENERAL","days":1,"maxUses":1}', 'application/json', 401, $unauth],
    ['L: 8000-byte token', 'GET', $L, [$USER{admin}, 'x' x 8000], undef, undef, 401, $unauth],
    ['U: 8000-byte token', 'POST', $U, [$USER{admin}, 'x' x 8000], '{"token":"x"}', 'application/json', 401, $unauth],
    ['F: repeated X-User-Id', 'POST', $F, undef, '{"rid":"GENERAL","days":1,"maxUses":1}', 'application/json', 401, $unauth,
     ['X-User-Id' => $USER{admin}, 'X-User-Id' => $USER{admin}, 'X-Auth-Token' => $TOKEN{admin}]],
    ['L: repeated X-Auth-Token', 'GET', $L, undef, undef, undef, 401, $unauth,
     ['X-User-Id' => $USER{admin}, 'X-Auth-Token' => $TOKEN{admin}, 'X-Auth-Token' => $TOKEN{admin}]],
    ['R: empty X-User-Id', 'DELETE', $R, ['', $TOKEN{admin}], undef, undef, 401, $unauth],
    ['U: empty X-Auth-Token', 'POST', $U, [$USER{admin}, ''], '{"token":"x"}', 'application/json', 401, $unauth],
    ['F: token one byte off', 'POST', $F, [$USER{admin}, $off_by_one], '{"rid":"GENERAL","days":1,"maxUses":1}', 'application/json', 401, $unauth],
    ['L: token one byte off', 'GET', $L, [$USER{admin}, $off_by_one], undef, undef, 401, $unauth],
    ['R: token one byte off', 'DELETE', $R, [$USER{admin}, $off_by_one], undef, undef, 401, $unauth],
    ['U: token one byte off', 'POST', $U, [$USER{admin}, $off_by_one], '{"token":"x"}', 'application/json', 401, $unauth],
    ['F: token one byte short', 'POST', $F, [$USER{admin}, substr($TOKEN{admin}, 0, -1)], '{"rid":"GENERAL","days":1,"maxUses":1}', 'application/json', 401, $unauth],
    ['F: token with a trailing space', 'POST', $F, [$USER{admin}, "$TOKEN{admin} "], '{"rid":"GENERAL","days":1,"maxUses":1}', 'application/json', 200, undef],
    ['F: the stored hash as the token', 'POST', $F, [$USER{admin}, token_hash($TOKEN{admin})], '{"rid":"GENERAL","days":1,"maxUses":1}', 'application/json', 401, $unauth],
    ['F: a valid token of another user', 'POST', $F, [$USER{admin}, $TOKEN{plain}], '{"rid":"GENERAL","days":1,"maxUses":1}', 'application/json', 401, $unauth],
    ['L: a valid token of another user', 'GET', $L, [$USER{admin}, $TOKEN{owner}], undef, undef, 401, $unauth],
    ['R: a valid token of another user', 'DELETE', $R, [$USER{admin2}, $TOKEN{admin}], undef, undef, 401, $unauth],
    ['U: a valid token of another user', 'POST', $U, [$USER{plain}, $TOKEN{admin}], '{"token":"x"}', 'application/json', 401, $unauth],
    ['F: SQL in X-User-Id', 'POST', $F, ["x' OR '1'='1", $TOKEN{admin}], '{"rid":"GENERAL","days":1,"maxUses":1}', 'application/json', 401, $unauth],
    ['L: SQL in X-User-Id', 'GET', $L, ["' OR 1=1 --", 'x'], undef, undef, 401, $unauth],
    ['L: format string X-User-Id', 'GET', $L, ['%s%n%n', 'x'], undef, undef, 401, $unauth],
);
# Every endpoint with every wrong method.
my %allow = ($F => 'POST', $V => 'POST', $U => 'POST', $L => 'GET, HEAD', $R => 'DELETE');
for my $path ($F, $V, $U, $L, $R) {
    for my $m (qw(GET POST PUT DELETE PATCH OPTIONS)) {
        next if $allow{$path} =~ /\b$m\b/;
        push @cases, ["$m $path", $m, $path, $admin, undef, undef, 405, method_not_allowed($m, $allow{$path})];
    }
}

plan tests => 2 * @cases + 12;

# A sorted dump of every table.
my @TABLES = qw(users user_roles login_tokens rooms subscriptions subscription_roles permission_roles invites);
sub dump_db {
    my %d;
    for my $t (@TABLES) {
        my $rows = dbh()->selectall_arrayref("SELECT * FROM $t");
        $d{$t} = join "\n", sort map { join "\t", map { $_ // 'NULL' } @$_ } @$rows;
    }
    return \%d;
}
reset_invites();
my $before = dump_db();

for my $c (@cases) {
    my ($name, $method, $path, $user, $body, $type, $status, $want, $headers) = @$c;
    my @h = @{ $headers || [] };
    push @h, 'X-User-Id' => $user->[0], 'X-Auth-Token' => $user->[1] if $user;
    push @h, 'Content-Type' => $type if defined $type;
    if (ref $body eq 'ARRAY') {   # chunked
        my @chunks = @$body;
        $body = sub { shift @chunks };
    }
    my $req = HTTP::Request->new($method => Apache::TestRequest::resolve_url($path), \@h, $body);
    my $res = Apache::TestRequest::user_agent(keep_alive => 0)->request($req);
    is($res->code, $status, "$name: status $status");
    if (defined $want) {
        is($res->content, $want, "$name: exact JSON body");
    }
    elsif ($status == 200) {
        like($res->content, qr/^\{"_id":/, "$name: an invite");
    }
    else {
        fail("$name: no expected body given");
    }
}

# Expect: 100-continue with a body over the cap: refused before it is sent.
{
    my $s = IO::Socket::INET->new(PeerAddr => $hostport, Timeout => 5) or die $!;
    print $s "POST $F HTTP/1.1\r\nHost: $hostport\r\nX-User-Id: $USER{admin}\r\n"
           . "X-Auth-Token: $TOKEN{admin}\r\nContent-Type: application/json\r\n"
           . "Content-Length: 100000\r\nExpect: 100-continue\r\n\r\n";
    local $/;
    my $raw = <$s> // '';
    like($raw, qr{^HTTP/1\.1 413 }, 'Expect: 100-continue over the cap: 413, no 100 Continue first');
    like($raw, qr{\r\n\r\n\Q$too_big\E$}, 'Expect: 100-continue over the cap: exact JSON body');
}

# httpd's own rejections (never reach the module, stay httpd's HTML).
my $res = api_post($F, '{}', user => [$USER{admin}, 'x' x 10000]);
is($res->code, 400, 'a header line over LimitRequestFieldSize: httpd answers 400 itself');
unlike($res->header('Content-Type') // '', qr/json/, "... with httpd's page, not the module's JSON");
{
    my $s = IO::Socket::INET->new(PeerAddr => $hostport, Timeout => 5) or die $!;
    print $s "POST $V HTTP/1.1\r\nHost: $hostport\r\nContent-Type: application/json\r\n"
           . "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n";
    local $/;
    my $raw = <$s> // '';
    like($raw, qr{^HTTP/1\.1 400 }, 'a malformed chunk size: 400 (httpd\'s chunk filter)');
}

for my $path ("$A/removeInvite/Ab%00Cd", "$A/removeInvite/Ab%2FCd") {
    $res = api_request(DELETE => $path, user => 'admin');
    ok($res->code == 404 && ($res->header('Content-Type') // '') !~ /json/,
       "DELETE $path: httpd's own 404 (encoded NUL or slash in the path)");
}
$res = api_request(DELETE => "$A/removeInvite/", user => 'admin');
is($res->content, '{"success":false,"error":"Not found"}', 'removeInvite/ without an id: the JSON 404');

# The database is as it was, apart from invites that valid calls created.
my $created = db_value('SELECT COUNT(*) FROM invites');
is($created, 1, 'one invite created, by the one valid call (token with a trailing space is trimmed by HTTP)');
db_do('DELETE FROM invites');
my $after = dump_db();
is_deeply($after, $before, 'every table equals its dump from before');
my $final = api_post($F, {rid => 'GENERAL', days => 1, maxUses => 1}, user => 'admin');
is($final->code, 200, 'the server still answers');
is(json_of(api_post($V, {token => json_of($final)->{_id}}))->{valid}, JSON::PP::true(), 'and validates');
reset_invites();
