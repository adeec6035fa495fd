# SPDX-License-Identifier: Apache-2.0
# useInviteToken under concurrency (docs/api.md#races, 2): N newcomers
# racing for an invite with maxUses M < N get exactly M joins, and `uses`
# never passes maxUses - across threads and processes of one host, and
# across two hosts sharing the database.  A newcomer who submits many
# times at once counts one use.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use InviteTest;
use Cwd qw(abs_path);

plan tests => 17;

my $USE = '/api/v1/useInviteToken';
my $top = abs_path("$FindBin::Bin/../..");

db_do("DELETE FROM subscriptions WHERE user_id LIKE 'raceNew%'");
db_do("DELETE FROM users WHERE id LIKE 'raceNew%'");
reset_invites();

# Newcomers: users with a login token and no subscription.
my @newcomers = map { sprintf 'raceNew%06d', $_ } 1 .. 40;
for my $id (@newcomers) {
    db_do('INSERT INTO users (id, username) VALUES (?, ?)', $id, lc $id);
    db_do('INSERT INTO login_tokens (user_id, hashed_token, created_at) VALUES (?, ?, NULL)',
          $id, token_hash("$id-token"));
}
sub put_invite {
    my ($id, $rid, $max) = @_;
    my $now = int(time * 1000);
    db_do('INSERT INTO invites (id, days, max_uses, rid, user_id, created_at, expires, uses, updated_at) '
          . 'VALUES (?, 0, ?, ?, ?, ?, NULL, 0, ?)', $id, $max, $rid, $USER{admin}, $now, $now);
}
sub joined {
    my ($rid, @users) = @_;
    my $n = 0;
    $n += db_value('SELECT COUNT(*) FROM subscriptions WHERE user_id = ? AND rid = ?', $_, $rid) for @users;
    return $n;
}
sub race {
    my ($token, $urls, @users) = @_;
    return concurrently(scalar @users, sub {
        my $u = $users[$_[0]];
        api_post($USE, {token => $token}, user => [$u, "$u-token"],
                 url => $urls->[$_[0] % @$urls]);
    });
}

# One host: 24 newcomers, 5 uses.
my @one = @newcomers[0 .. 23];
put_invite('RaceA1', 'GENERAL', 5);
my @res = race('RaceA1', [Apache::TestRequest::resolve_url($USE)], @one);
my @won = grep { $_->[0] == 200 } @res;
is(scalar(@won), 5, '24 newcomers racing for 5 uses: exactly 5 join');
is(scalar(grep { $_->[0] == 400 && $_->[1] eq 'error-invite-expired' } @res), 19,
   'the other 19 get error-invite-expired');
is(db_value("SELECT uses FROM invites WHERE id = 'RaceA1'"), 5, 'uses stops at maxUses');
is(joined('GENERAL', @one), 5, 'exactly 5 subscriptions');
is(joined('GENERAL', map { $one[$_->[2]] } @won), 5, 'and they are the winners');

# One newcomer submitting 12 times at once counts one use.
put_invite('RaceB1', 'SPAREROOM', 10);
my $dup = $newcomers[24];
@res = race('RaceB1', [Apache::TestRequest::resolve_url($USE)], ($dup) x 12);
is(scalar(grep { $_->[0] == 200 } @res), 12, 'a double submit: every request succeeds');
is(db_value("SELECT uses FROM invites WHERE id = 'RaceB1'"), 1, 'and counts one use');
is(joined('SPAREROOM', $dup), 1, 'one subscription');

# maxUses 1 and 10 newcomers: one join.
put_invite('RaceC1', 'PRIVROOM', 1);
@res = race('RaceC1', [Apache::TestRequest::resolve_url($USE)], @newcomers[25 .. 34]);
is(scalar(grep { $_->[0] == 200 } @res), 1, 'maxUses 1: one newcomer of 10 joins');
is(db_value("SELECT uses FROM invites WHERE id = 'RaceC1'"), 1, 'maxUses 1: uses 1');

# Two hosts sharing the database: 30 newcomers alternate between them.
my $host2 = InviteTest::start_second_host($top);
ok($host2->{port}, "second httpd listening on port $host2->{port}");
put_invite('RaceD1', 'LIVEROOM', 10);
my @two = @newcomers[0 .. 29];
@res = race('RaceD1', [Apache::TestRequest::resolve_url($USE), "http://127.0.0.1:$host2->{port}$USE"], @two);
InviteTest::stop_second_host($host2);
@won = grep { $_->[0] == 200 } @res;
is(scalar(@won), 10, 'two hosts, 30 newcomers, 10 uses: exactly 10 join');
is(scalar(grep { $_->[2] % 2 == 1 && ($_->[0] == 200 || $_->[0] == 400) } @res), 15,
   'the second host answered its half');
is(scalar(grep { $_->[0] == 400 && $_->[1] eq 'error-invite-expired' } @res), 20,
   'the other 20 get error-invite-expired');
is(db_value("SELECT uses FROM invites WHERE id = 'RaceD1'"), 10, 'uses stops at maxUses across hosts');
is(joined('LIVEROOM', @two), 10, 'exactly 10 subscriptions');
is(scalar(grep { $_->[0] != 200 && $_->[0] != 400 } @res), 0, 'no other status (no 5xx)');
