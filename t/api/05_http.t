# SPDX-License-Identifier: Apache-2.0
# The HTTP edges: methods, unknown endpoints, the body cap (JSON 413), and
# an unreachable or locked database (JSON 503, quickly).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use InviteTest;
use Time::HiRes qw(time);

plan tests => 37;

my $P = '/api/v1/findOrCreateInvite';
my $ok_body = {rid => 'GENERAL', days => 1, maxUses => 0};
reset_invites();

sub json_error {
    my ($res, $status, $name) = @_;
    is($res->code, $status, "$name: $status");
    like($res->header('Content-Type') // '', qr{^application/json}, "$name: JSON, not HTML");
    my $j = json_of($res);
    ok($j && $j->{success} == 0 && length($j->{error} // ''), "$name: success false with an error")
        or diag($res->content);
}

for my $m (qw(GET PUT DELETE)) {
    my $res = api_request($m => $P, user => 'admin');
    json_error($res, 405, "$m");
    is($res->header('Allow'), 'POST', "$m: Allow: POST");
}
json_error(api_post('/api/v1/noSuchEndpoint', $ok_body, user => 'admin'), 404,
           'unknown endpoint');

# Body cap: default 8 KiB, and a smaller configured one; Content-Length
# and chunked bodies alike.
json_error(api_post($P, '{"rid":"' . ('x' x 9000) . '","days":1,"maxUses":0}',
                    user => 'admin'), 413, 'body over 8 KiB');
json_error(api_post('/tinybody' . $P, '{"rid":"GENERAL","days":1,"maxUses":0,"pad":"' . ('y' x 64) . '"}',
                    user => 'admin'), 413, 'body over InviteMaxBodySize 64');
{
    my @chunks = ('{"rid":"GENERAL",', '"days":1,"maxUses":0,"pad":"', 'z' x 100, '"}');
    my $req = HTTP::Request->new(POST => Apache::TestRequest::resolve_url('/tinybody' . $P),
        ['X-User-Id' => $USER{admin}, 'X-Auth-Token' => $TOKEN{admin},
         'Content-Type' => 'application/json'],
        sub { shift @chunks });
    json_error(Apache::TestRequest::user_agent()->request($req), 413, 'chunked body over the cap');
}
{
    my @chunks = ('{"rid":"GENERAL",', '"days":1,"maxUses":0}');
    my $req = HTTP::Request->new(POST => Apache::TestRequest::resolve_url($P),
        ['X-User-Id' => $USER{admin}, 'X-Auth-Token' => $TOKEN{admin},
         'Content-Type' => 'application/json'],
        sub { shift @chunks });
    is(Apache::TestRequest::user_agent()->request($req)->code, 200, 'chunked body under the cap');
}
is(invite_count($USER{admin}, 'GENERAL'), 1, 'rejected bodies wrote nothing');

# A database that cannot be opened.
Apache::TestRequest::module('invite_nodb');
my $t = time;
my $res = api_post($P, $ok_body, user => 'admin',
                   url => 'http://' . Apache::TestRequest::hostport() . $P);
json_error($res, 503, 'no database');
ok(time - $t < 5, 'answered quickly');
Apache::TestRequest::module('default');

# A database that stays locked by another writer: creating fails with 503
# within a few seconds; finding an existing invite still works.
my $locker = InviteTest::dbh();
my $is_pg = engine() eq 'pgsql';
$locker->begin_work;
$locker->do($is_pg ? 'LOCK TABLE invites IN EXCLUSIVE MODE'
                   : 'UPDATE invites SET uses = uses WHERE 0 = 1');
$t = time;
$res = api_post($P, {rid => 'GENERAL', days => 30, maxUses => 100}, user => 'admin');
my $took = time - $t;
json_error($res, 503, 'database locked by another writer');
ok($took < 6, sprintf('503 within a bounded time (%.1f s)', $took));
$res = api_post($P, $ok_body, user => 'admin');
is($res->code, 200, 'reading an existing invite works during the lock');
$locker->rollback;
is(invite_count($USER{admin}, 'GENERAL'), 1, 'the failed create left nothing behind');
is(api_post($P, {rid => 'GENERAL', days => 30, maxUses => 100}, user => 'admin')->code, 200,
   'after the lock is gone creating works');
