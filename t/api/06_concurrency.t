# SPDX-License-Identifier: Apache-2.0
# Identical concurrent requests create exactly one invite (docs/api.md#races, 1),
# across the threads and the processes of the test server.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use InviteTest;

plan tests => 6;

my $P = '/api/v1/findOrCreateInvite';
my $N = 48;
reset_invites();

sub burst {
    my ($body, $users) = @_;
    return concurrently($N, sub { api_post($P, $body, user => $users->[$_[0] % @$users]) });
}

my @res = burst({rid => 'GENERAL', days => 7, maxUses => 25}, ['admin']);
is(scalar(grep { $_->[0] == 200 } @res), $N, "$N concurrent identical requests: all 200");
my %ids = map { $_->[1] => 1 } @res;
is(scalar(keys %ids), 1, 'all carry the same _id');
is(invite_count($USER{admin}, 'GENERAL'), 1, 'exactly one row');

# Two creators racing: one invite each.
@res = burst({rid => 'GENERAL', days => 15, maxUses => 50}, ['admin', 'admin2']);
is(scalar(grep { $_->[0] == 200 } @res), $N, 'two creators: all 200');
%ids = map { $_->[1] => 1 } @res;
is(scalar(keys %ids), 2, 'two distinct _ids');
is(InviteTest::db_value('SELECT COUNT(*) FROM invites WHERE days = 15 AND max_uses = 50'), 2,
   'one row per creator');
