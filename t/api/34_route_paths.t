# SPDX-License-Identifier: Apache-2.0
# The route is the path after its one /api/v1/.  httpd applies <Location>
# sections to the whole path, so a route found anywhere else in it (after
# a second /api/v1/) would be served under the outer location's rules:
# its Require, its rate limit, or a site that gave mod_invite one route.
# Such paths get the JSON 404; paths httpd normalises (//, /./, %2e, /../)
# meet the route's own rules.  Then httpd's own refusals, answered in
# JSON through the example sites' ErrorDocuments.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use InviteTest;
use IO::Socket::INET;
use IO::Select;

plan tests => 51;

my $not_found = '{"success":false,"error":"Not found"}';

reset_invites();
my $made = api_post('/api/v1/findOrCreateInvite', {rid => 'GENERAL', days => 1, maxUses => 5},
                    user => 'admin');
my $id = (json_of($made) || {})->{_id} // 'none';
is($made->code, 200, 'an invite to list and remove');

sub not_routed {
    my ($res, $what) = @_;
    is($res->code . ' ' . $res->content, "404 $not_found", "$what: the JSON 404");
}

# 1. One location for every route, with rules per route inside it.
is(api_request(GET => '/routed/api/v1/listInvites', user => 'admin')->code, 403,
   'listInvites: Require all denied holds');
for my $p ('/routed/api/v1//listInvites', '/routed/api/v1/./listInvites',
           '/routed/api/v1/%2e/listInvites', '/routed/api/v1/%2E/listInvites',
           '/routed/api/v1/x/../listInvites', '/routed/api/v1/x/%2e%2e/listInvites',
           '/routed/api/v1/listInvites/', '/routed//api/v1/listInvites',
           '/routed/api/v1/listInvites/api/v1/listInvites') {
    is(api_request(GET => $p, user => 'admin')->code, 403, "GET $p: the route's Require holds");
}
for my $p ('/routed/api/v1/x/api/v1/listInvites', '/routed/api/v1/api/v1/listInvites',
           '/routed/api/v1/x/%2e%2e/api/v1/listInvites', '/routed/api/v1/%61pi/v1/x/api/v1/listInvites') {
    not_routed(api_request(GET => $p, user => 'admin'), "GET $p");
}
not_routed(api_request(DELETE => "/routed/api/v1/x/api/v1/removeInvite/$id", user => 'admin'),
           'DELETE removeInvite behind a second /api/v1/');
is(api_request(DELETE => "/routed/api/v1/removeInvite/$id", user => 'admin')->code, 403,
   'DELETE removeInvite: Require all denied holds');
is(api_request(DELETE => "/routed/api/v1//removeInvite/$id", user => 'admin')->code, 403,
   'DELETE removeInvite with //: Require all denied holds');
is(db_value('SELECT COUNT(*) FROM invites WHERE id = ?', $id), 1, 'the invite is still there');

# The per-route rate limit (2 per 60 s) cannot be stepped around either.
my $V = '/routed/api/v1/validateInviteToken';
for my $n (1, 2) {
    my $res = api_post($V, {token => $id});
    is($res->code . ' ' . ($res->header('X-RateLimit-Limit') // '-'), '200 2',
       "validateInviteToken call $n: 200 under its own limit of 2");
}
for my $p ($V, '/routed/api/v1//validateInviteToken', '/routed/api/v1/./validateInviteToken',
           '/routed/api/v1/%2e/validateInviteToken', '/routed/api/v1/x/../validateInviteToken') {
    is(api_post($p, {token => $id})->code, 429, "POST $p: counted in the same window, 429");
}
for my $p ('/routed/api/v1/x/api/v1/validateInviteToken', "$V/", '/routed/api/v1/api/v1/validateInviteToken') {
    not_routed(api_post($p, {token => $id}), "POST $p");
}

# 2. A location that gives mod_invite one route: nothing else is reached
# through it.
not_routed(api_request(GET => '/oneroute/api/v1/useInviteToken/x/api/v1/listInvites', user => 'admin'),
           'GET listInvites behind the one route');
not_routed(api_post('/oneroute/api/v1/useInviteToken/api/v1/findOrCreateInvite',
                    {rid => 'SPAREROOM', days => 1, maxUses => 1}, user => 'admin'),
           'POST findOrCreateInvite behind the one route');
is(invite_count($USER{admin}, 'SPAREROOM'), 0, 'and no invite was made');
not_routed(api_request(DELETE => "/oneroute/api/v1/useInviteToken/api/v1/removeInvite/$id", user => 'admin'),
           'DELETE removeInvite behind the one route');
is(db_value('SELECT COUNT(*) FROM invites WHERE id = ?', $id), 1, 'the invite is still there');
{
    my $res = api_request(GET => '/oneroute/api/v1/listInvites', user => 'admin');
    ok($res->code != 200 && ($res->header('Content-Type') // '') !~ m{^application/json},
       'the other routes there are not mod_invite\'s') or diag($res->as_string);
}
is(api_post('/oneroute/api/v1/useInviteToken', {token => 'nosuch'}, user => 'joiner')->code, 400,
   'the one route itself is served');

# 3. httpd's own refusals, in JSON, with httpd's status.
Apache::TestRequest::module('invite_errordocs');
my $hostport = Apache::TestRequest::hostport();

# Sends raw bytes; returns (status, content type, body) of the answer.
sub raw {
    my ($bytes) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => $hostport, Timeout => 5) or die "connect: $!";
    print $s $bytes;
    my ($raw, $sel) = ('', IO::Select->new($s));
    my $deadline = time + 5;
    while (time < $deadline) {
        next unless $sel->can_read(0.2);
        my $n = sysread($s, my $buf, 65536);
        last unless $n;
        $raw .= $buf;
        last if $raw =~ /\r\n\r\n/ && $raw =~ /Content-Length: (\d+)/i
                && length($raw) - index($raw, "\r\n\r\n") - 4 >= $1;
    }
    close $s;
    my ($status) = $raw =~ m{^HTTP/1\.1 (\d+)};
    my ($type) = $raw =~ m{\r\nContent-Type: ([^\r]*)\r\n}i;
    my ($body) = $raw =~ m{\r\n\r\n(.*)\z}s;
    return ($status // 0, $type // '', $body // '');
}

my $h = "Host: $hostport\r\n";
my $long = 'a' x 9000;
my @refusals = (
    ['bad chunking', 400, "POST /api/v1/validateInviteToken HTTP/1.1\r\n$h"
        . "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n"],
    ['an invalid Content-Length', 400, "POST /api/v1/validateInviteToken HTTP/1.1\r\n$h"
        . "Content-Length: abc\r\n\r\n"],
    ['%2F in the path', 404, "GET /api/v1/removeInvite%2Fx HTTP/1.1\r\n$h\r\n"],
    ['%00 in the path', 404, "GET /api/v1/listInvites%00 HTTP/1.1\r\n$h\r\n"],
    ['an over-long header', 400, "GET /api/v1/listInvites HTTP/1.1\r\n${h}X-Long: $long\r\n\r\n"],
    ['an over-long URL', 414, "GET /api/v1/$long HTTP/1.1\r\n$h\r\n"],
    ['a body over LimitRequestBody', 413, "POST /api/v1/validateInviteToken HTTP/1.1\r\n$h"
        . "Content-Type: application/json\r\nContent-Length: 200\r\n\r\n" . ('{' x 200)],
);
for my $r (@refusals) {
    my ($what, $status, $bytes) = @$r;
    my ($got, $type, $body) = raw($bytes);
    is($got, $status, "$what: httpd's $status");
    my $j = eval { JSON::PP::decode_json($body) };
    ok($type =~ m{^application/json} && $j && $j->{success} == JSON::PP::false()
       && length($j->{error} // ''), "$what: a JSON error, not httpd's HTML page")
        or diag("$type: $body");
}
{
    my ($got, $type, $body) = raw("GET /api/v1/error HTTP/1.1\r\n$h\r\n");
    is("$got $body", "404 $not_found", 'the ErrorDocument path asked for directly is an unknown route');
}
