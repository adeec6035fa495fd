# SPDX-License-Identifier: Apache-2.0
# Opt-in (make test-live): invite-sync against a REAL replica set and a
# REAL Rocket.Chat.  INVITE_TEST_MONGO_URL names the replica set (a
# test Rocket.Chat's database; the account needs readWrite: the test
# writes as Rocket.Chat does, through RCFake::Client, SCRAM-SHA-256 and TLS
# from the URL), INVITE_TEST_ROCKETCHAT_URL, _USER_ID and _TOKEN the REST
# API and the bot (docs/rocketchat.md, "The bot account").  The same
# scenarios as t/sync.t on test users and a test room made here and
# removed at the end: login 200 and logout 401 within 2 s, role change,
# room rename, removed subscription, ban, deleted user, restart and
# resume, and a join handed to Rocket.Chat once, whose real subscription
# then comes back through the change stream.  Without the variables:
# a visible SKIP line.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use InviteTest;
use InviteSync;
use RCFake;
use Time::HiRes qw(time sleep);
use File::Temp qw(tempdir);
use HTTP::Tiny;
use JSON::PP ();

my $url = $ENV{INVITE_TEST_MONGO_URL};
if (!$url) {
    print STDERR "SKIP no MongoDB replica set (INVITE_TEST_MONGO_URL unset)\n";
    plan skip_all => 'no MongoDB replica set (INVITE_TEST_MONGO_URL unset)';
}
plan skip_all => "no $InviteSync::BIN (make)" unless -x $InviteSync::BIN;
my ($rc_url, $bot_id, $bot_token) = @ENV{qw(INVITE_TEST_ROCKETCHAT_URL INVITE_TEST_ROCKETCHAT_USER_ID INVITE_TEST_ROCKETCHAT_TOKEN)};

my $dir = tempdir(CLEANUP => 1);
my $API = '/api/v1';
my $mongo = RCFake::Client->new(url => $url);
ok($mongo->hello->{setName}, "a replica set ($mongo->{hello}{setName})");
my @secrets = grep { defined && length } $bot_token, ($url =~ m{^mongodb://[^:/@]+:([^@/]+)@} ? $1 : ());

sub outcome {
    my ($res) = @_;
    my $j = json_of($res);
    return $res->code . ' ' . ((ref $j eq 'HASH' && $j->{errorType}) || '-');
}
sub find_invite { outcome(api_post("$API/findOrCreateInvite", { rid => $_[1], days => 1, maxUses => 0 }, user => $_[0])) }
sub arrives {
    my ($secs, $cond, $name) = @_;
    my $dt = InviteSync::within($secs, $cond);
    ok($dt, $dt ? sprintf('%s (%.2f s)', $name, $dt) : "$name: not within $secs s");
}
my $n = 0;
sub token { my $t = sprintf 'liveTok-%d-%d-%04d', $$, time, ++$n; push @secrets, $t, token_hash($t); $t }

# ------------------------------------------------------------ test data in the real Rocket.Chat
my $tag = sprintf 'invSyncLive%d%d', $$, time % 100000;
my ($ua, $ub, $room) = ("${tag}A", "${tag}B", "${tag}R");
my $ta = token();
$mongo->add_user($ua, username => lc "${tag}.a", roles => ['user'],
                 tokens => [ { hashedToken => token_hash($ta), when => int(time * 1000) } ]);
$mongo->add_user($ub, username => lc "${tag}.b", roles => ['user']);
$mongo->add_room($room, 'c', name => lc "${tag}-room");
$mongo->add_subscription("${tag}SA", $room, $ua, roles => ['owner']);
END {
    if ($mongo) {   # leave the test Rocket.Chat as it was
        eval {
            $mongo->delete('rocketchat_subscription', { rid => $room }, many => 1);
            $mongo->delete('rocketchat_room', { _id => $room });
            $mongo->delete('users', { _id => { '$in' => [$ua, $ub] } }, many => 1);
        };
    }
}

my $settings = InviteSync::settings_file("$dir/invite-sync.conf",
    $rc_url ? (rocketchat_url => $rc_url, bot_user_id => $bot_id // '', bot_token => $bot_token // '', outbox => 'on')
            : (outbox => 'off'));
my %RUN = (mongo => $url, settings => $settings);
my ($st, undef, $err) = InviteSync::run("$dir/once", %RUN, args => ['--once'], timeout => 600);
is($st, 0, 'invite-sync --once from the real replica set') or diag $err;
my $all_logs = $err;
is(find_invite([$ua, $ta], $room), '200 -', 'the test room\'s owner creates an invite');

my $d = InviteSync->daemon("$dir/d", %RUN, args => ['--heartbeat', 2, '--lease', 6, '--backoff-max', 5]);
ok($d->wait_log(qr/following/i, 30), 'the daemon follows') or diag $d->log;

my $t2 = token();
$mongo->login($ua, token_hash($t2));
arrives(2, sub { find_invite([$ua, $t2], $room) eq '200 -' }, 'a login reaches the module within 2 s');
$mongo->logout($ua, token_hash($t2));
arrives(2, sub { find_invite([$ua, $t2], $room) eq '401 -' }, 'a logout gives 401 within 2 s');

$mongo->set_subscription_roles("${tag}SA");
arrives(2, sub { find_invite([$ua, $ta], $room) eq '400 not_authorized' }, 'the room role removed: not_authorized');
$mongo->set_subscription_roles("${tag}SA", 'owner');
arrives(2, sub { find_invite([$ua, $ta], $room) eq '200 -' }, '... given back');
$mongo->set_user_roles($ua, 'user', 'admin');
arrives(2, sub { db_value("SELECT COUNT(*) FROM user_roles WHERE user_id = ? AND role = 'admin'", $ua) == 1 }, 'a global role change');
$mongo->rename_room($room, lc "${tag}-renamed");
arrives(2, sub { (db_value('SELECT name FROM rooms WHERE id = ?', $room) // '') eq lc "${tag}-renamed" }, 'a room rename');
$mongo->ban("${tag}SA");
arrives(2, sub { (db_value('SELECT status FROM subscriptions WHERE user_id = ? AND rid = ?', $ua, $room) // '') eq 'BANNED' }, 'a ban');
$mongo->unban("${tag}SA");

# restart: changes made while down arrive
is($d->stop, 0, 'the daemon stops');
my $t3 = token();
$mongo->login($ua, token_hash($t3));
$d = $d->restart;
arrives(10, sub { find_invite([$ua, $t3], $room) eq '200 -' }, 'after a restart the login made while down arrives');

# the outbox: a join handed to the real Rocket.Chat once; its subscription comes back
SKIP: {
    skip 'INVITE_TEST_ROCKETCHAT_URL unset: the outbox is not checked', 4 unless $rc_url;
    my $tb = token();
    $mongo->login($ub, token_hash($tb));
    arrives(2, sub { db_value('SELECT COUNT(*) FROM login_tokens WHERE user_id = ?', $ub) == 1 }, 'the newcomer\'s login');
    my $inv = json_of(api_post("$API/findOrCreateInvite", { rid => $room, days => 1, maxUses => 0 }, user => [$ua, $ta]));
    push @secrets, $inv->{_id} // ();
    is(api_post("$API/useInviteToken", { token => $inv->{_id} }, user => [$ub, $tb])->code, 200, 'the newcomer joins here');
    arrives(30, sub { !db_value('SELECT COUNT(*) FROM join_outbox WHERE user_id = ?', $ub) }, 'the join is delivered to Rocket.Chat');
    arrives(10, sub { db_value('SELECT COUNT(*) FROM sync_subscription_ids WHERE user_id = ? AND rid = ?', $ub, $room) == 1 },
            "Rocket.Chat's own subscription comes back through the change stream");
}

# the subscription removed, the user deleted
$mongo->delete_subscription("${tag}SA");
arrives(2, sub { find_invite([$ua, $ta], $room) ne '200 -' }, 'a removed subscription');
$mongo->delete_user($ua);
arrives(2, sub { find_invite([$ua, $ta], $room) eq '401 -' }, 'a deleted user: 401');

is($d->stop, 0, 'the daemon stops with 0');
$all_logs .= $d->log(1);
my @found = grep { index($all_logs, $_) >= 0 } @secrets;
is(scalar(@found), 0, 'no token, password or invite id in the daemon\'s logs');
done_testing();
