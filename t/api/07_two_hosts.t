# SPDX-License-Identifier: Apache-2.0
# Two independent httpd instances on different ports share one database
# (the scale-out topology): concurrent identical requests split across
# both still create exactly one invite.  On SQLite the two hosts share the
# file; on PostgreSQL the server.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use InviteTest;
use Cwd qw(abs_path);

plan tests => 6;

my $P = '/api/v1/findOrCreateInvite';
my $N = 64;
my $top = abs_path("$FindBin::Bin/../..");
reset_invites();

my $host2 = InviteTest::start_second_host($top);
ok($host2->{port}, "second httpd listening on port $host2->{port}");

my @urls = (Apache::TestRequest::resolve_url($P), "http://127.0.0.1:$host2->{port}$P");
my @res = concurrently($N, sub {
    api_post($P, {rid => 'GENERAL', days => 30, maxUses => 10},
             user => 'admin', url => $urls[$_[0] % 2]);
});
InviteTest::stop_second_host($host2);

is(scalar(grep { $_->[0] == 200 } @res), $N, "$N concurrent requests over two hosts: all 200");
is(scalar(grep { $_->[0] == 200 && $_->[2] % 2 == 1 } @res), $N / 2, 'half of them answered by the second host');
my %ids = map { $_->[1] => 1 } @res;
is(scalar(keys %ids), 1, 'one _id in every response') or diag(join ' ', sort keys %ids);
is(invite_count($USER{admin}, 'GENERAL'), 1, 'exactly one row in the shared database');
is(db_value('SELECT slot FROM invites WHERE user_id = ?', $USER{admin}), 1, 'and it holds the creation slot');
