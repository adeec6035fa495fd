# SPDX-License-Identifier: Apache-2.0
# Bad input never changes the data: the whole invites table is identical
# before and after every kind of rejected request.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use InviteTest;

my $P = '/api/v1/findOrCreateInvite';
my @bad = (
    [401, 'no credentials', sub { api_post($P, {rid => 'GENERAL', days => 1, maxUses => 0}) }],
    [401, 'wrong token', sub { api_post($P, {rid => 'GENERAL', days => 1, maxUses => 0}, user => [$USER{admin}, 'x']) }],
    [400, 'malformed JSON', sub { api_post($P, '{"rid":', user => 'admin') }],
    [400, 'extra property', sub { api_post($P, '{"rid":"GENERAL","days":1,"maxUses":0,"x":1}', user => 'admin') }],
    [400, 'wrong type', sub { api_post($P, '{"rid":"GENERAL","days":[],"maxUses":0}', user => 'admin') }],
    [400, 'empty rid', sub { api_post($P, {rid => '', days => 1, maxUses => 0}, user => 'admin') }],
    [400, 'not authorized', sub { api_post($P, {rid => 'GENERAL', days => 1, maxUses => 0}, user => 'plain') }],
    [400, 'unknown room', sub { api_post($P, {rid => 'NOPE', days => 1, maxUses => 0}, user => 'admin') }],
    [400, 'direct room', sub { api_post($P, {rid => 'DMROOM', days => 1, maxUses => 0}, user => 'admin') }],
    [400, 'bad days', sub { api_post($P, {rid => 'GENERAL', days => 3, maxUses => 0}, user => 'admin') }],
    [400, 'bad maxUses', sub { api_post($P, {rid => 'GENERAL', days => 1, maxUses => 2}, user => 'admin') }],
    [400, 'SQL in rid', sub { api_post($P, {rid => "GENERAL'; DELETE FROM invites; --", days => 1, maxUses => 0}, user => 'admin') }],
    [401, 'SQL in user id', sub { api_post($P, {rid => 'GENERAL', days => 1, maxUses => 0}, user => ["x' OR '1'='1", 'x']) }],
    [413, 'body too large', sub { api_post($P, '{"rid":"' . ('A' x 10000) . '"}', user => 'admin') }],
    [405, 'wrong method', sub { api_request(DELETE => $P, user => 'admin') }],
    [404, 'unknown endpoint', sub { api_post('/api/v1/findOrCreateInvit', {rid => 'GENERAL', days => 1, maxUses => 0}, user => 'admin') }],
);

plan tests => 2 * @bad + 1;

reset_invites();
# Some existing rows, including an expired one holding its slot.
for my $b ({rid => 'GENERAL', days => 1, maxUses => 0}, {rid => 'PRIVROOM', days => 7, maxUses => 5}) {
    api_post($P, $b, user => 'admin')->code == 200 or die 'setup failed';
}
db_do("UPDATE invites SET expires = 1 WHERE rid = 'PRIVROOM'");

sub snapshot {
    join "\n", map { join '|', map { $_ // 'NULL' } @$_ }
        @{ InviteTest::dbh()->selectall_arrayref('SELECT * FROM invites ORDER BY id') };
}
my $before = snapshot();
for my $case (@bad) {
    my ($status, $name, $req) = @$case;
    is($req->()->code, $status, "$name: $status");
    is(snapshot(), $before, "$name: invites unchanged");
}
is(db_value('SELECT COUNT(*) FROM invites'), 2, 'still two invites');
