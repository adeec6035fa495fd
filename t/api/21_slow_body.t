# SPDX-License-Identifier: Apache-2.0
# A request without both auth headers is answered 401 before its body is
# read, so a client without credentials cannot hold a worker by sending a
# body slowly (or never).  The unread body then ends the connection.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use InviteTest;
use IO::Socket::INET;
use IO::Select;

my @routes = (['POST', '/api/v1/findOrCreateInvite'], ['POST', '/api/v1/useInviteToken'],
              ['GET', '/api/v1/listInvites'], ['DELETE', '/api/v1/removeInvite/AbCdEf']);
plan tests => 4 * @routes + 3 + 3 * 6;

my $hostport = Apache::TestRequest::hostport();
my $unauth = '{"success":false,"error":"You must be logged in to do this.","status":"error","message":"You must be logged in to do this."}';

# Sends the head of a request announcing a body, and none of the body.
# Returns the raw response read within $wait seconds ('' if none came).
sub head_only {
    my ($method, $path, $extra, $wait, $length) = @_;
    $length //= "Content-Length: 100\r\n";
    my $s = IO::Socket::INET->new(PeerAddr => $hostport, Timeout => 5) or die "connect: $!";
    print $s "$method $path HTTP/1.1\r\nHost: $hostport\r\nContent-Type: application/json\r\n"
           . "$length$extra\r\n";
    my ($raw, $sel) = ('', IO::Select->new($s));
    my $deadline = time + $wait;
    while (time < $deadline) {
        next unless $sel->can_read(0.2);
        my $n = sysread($s, my $buf, 65536);
        last unless $n;   # the server closed the connection
        $raw .= $buf;
    }
    close $s;
    return $raw;
}

for my $r (@routes) {
    my ($method, $path) = @$r;
    # The server's own read timeout (Timeout, RequestReadTimeout) is far
    # longer than this wait: an answer now means the body was not awaited.
    my $raw = head_only($method, $path, '', 5);
    like($raw, qr{^HTTP/1\.1 401 }, "$method $path, no credentials, body never sent: 401 at once");
    like($raw, qr{\r\n\r\n\Q$unauth\E$}, "$method $path: the exact 401 body");
    like($raw, qr{\r\nConnection: close\r\n}i, "$method $path: the connection is closed, not drained");
    $raw = head_only($method, $path, "X-User-Id: $USER{admin}\r\n", 5);
    like($raw, qr{^HTTP/1\.1 401 }, "$method $path, only X-User-Id: 401 at once");
}

# Answers that never need the body do not read it either, whoever sends
# it: an unknown route (404), a wrong method (405), and the GET and DELETE
# routes once the headers are there (valid or not).  Each is answered at
# once and the connection closes, however long the announced body; the
# server would otherwise drain up to LimitRequestBody (1 GiB) of it.
my $creds = "X-User-Id: $USER{admin}\r\nX-Auth-Token: $TOKEN{admin}\r\n";
my $forged = "X-User-Id: $USER{admin}\r\nX-Auth-Token: forged\r\n";
for my $c (['POST', '/api/v1/noSuchRoute', '', 404],
           ['POST', '/api/v1/listInvites', '', 405],
           ['GET', '/api/v1/listInvites', $forged, 401],
           ['GET', '/api/v1/listInvites', $creds, 200],
           ['DELETE', '/api/v1/removeInvite/NoSuchId', $forged, 401],
           ['DELETE', '/api/v1/removeInvite/NoSuchId', $creds, 400]) {
    my ($method, $path, $extra, $status) = @$c;
    my $what = "$method $path" . ($extra eq $creds ? ' (logged in)' : $extra ? ' (forged token)' : '');
    my $raw = head_only($method, $path, $extra, 5, "Content-Length: 1000000000\r\n");
    like($raw, qr{^HTTP/1\.1 $status }, "$what, a body announced and never sent: $status at once");
    like($raw, qr{\r\nContent-Type: application/json\r\n}i, "$what: JSON");
    like($raw, qr{\r\nConnection: close\r\n}i, "$what: the connection is closed, not drained");
}

# With credentials the body is awaited, as it must be (and a complete
# request is answered as usual).
my $raw = head_only('POST', '/api/v1/useInviteToken',
                    "X-User-Id: $USER{admin}\r\nX-Auth-Token: $TOKEN{admin}\r\n", 1);
is($raw, '', 'with credentials the server waits for the body');
my $res = api_post('/api/v1/useInviteToken', {token => 'nosuch'}, user => 'admin');
is($res->code, 400, 'and answers once it comes');
# No body at all: the connection may stay open.
$raw = head_only('GET', '/api/v1/listInvites', '', 1, '');
ok($raw =~ m{^HTTP/1\.1 401 } && $raw !~ m{\r\nConnection: close}i,
   'a 401 without a pending body keeps the connection');
