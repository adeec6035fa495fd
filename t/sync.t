# SPDX-License-Identifier: Apache-2.0
# invite-sync following a Rocket.Chat: the real build/invite-sync, through
# the real libmongoc, against the simulated replica-set member of
# t/lib/RCFake.pm (written to as Rocket.Chat writes), into the suite's own
# database, checked by mod_invite's HTTP answers and by the SQL.  Every
# wait is a deadline with polling.  The fake starts with the suite's
# fixtures (InviteSync::seed_fixtures), so the full copy leaves the module
# the data the other files used.
#
# Scenarios (issue 18): the full copy; a login reaches the module (200)
# within 2 s; a logout gives 401 within 2 s; a role change, a permission
# change, a new room and member, a room rename, a removed subscription, a
# ban and a deleted user each take effect; a restart, and a kill -9 in the
# middle of a stream, lose and double nothing (the SQL compared with an
# independent `invite-sync --once` into a scratch database); a lost
# history (286) and an invalidate start a full resync that converges;
# MongoDB unreachable: backoff, then recovery; SQL down (PostgreSQL
# stopped, SQLite's write lock held): nothing lost; a second daemon waits
# or, with --no-wait, is refused; SQLite lock contention with the module's
# invite writers; the join outbox delivered to a fake Rocket.Chat REST
# server exactly once across REST failures and daemon restarts; no secret
# in the daemon's logs.
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
use POSIX ();

plan skip_all => "no $InviteSync::BIN (make)" unless -x $InviteSync::BIN;

my $engine = engine();
my $dir = tempdir(CLEANUP => 1);
my $API = '/api/v1';
my @secrets;    # tokens, their hashes, the bot's token: never in a log
my $bot_token = 'bot-secret-token-4711';
push @secrets, $bot_token;

# ------------------------------------------------------------ helpers
sub outcome {
    my ($res) = @_;
    my $j = json_of($res);
    return $res->code . ' ' . ((ref $j eq 'HASH' && $j->{errorType}) || '-');
}
sub find_invite {
    my ($user, $rid) = @_;
    return outcome(api_post("$API/findOrCreateInvite", { rid => $rid, days => 1, maxUses => 0 }, user => $user));
}
# A user id / token pair the module is asked with.
sub as { [ $_[0], $_[1] ] }
my $serial = 0;
sub new_token { my $t = sprintf 'syncTok%04d-%s', ++$serial, $_[0] // 'x'; push @secrets, $t, token_hash($t); $t }

# Checks that $cond turns true within $secs of now (the deadline).
sub arrives {
    my ($secs, $cond, $name) = @_;
    my $dt = InviteSync::within($secs, $cond);
    ok($dt, $dt ? sprintf('%s (%.2f s)', $name, $dt) : "$name: not within $secs s");
    return $dt;
}

# ------------------------------------------------------------ the fake MongoDB and Rocket.Chat
# MongoDB with a password (SCRAM-SHA-256), which must never be printed.
my $mongo_pw = 'Mongo-Pw-0815-secret';
push @secrets, $mongo_pw;
my $fake = RCFake->start("$dir/mongo", auth => "invite-sync:$mongo_pw");
my $mongo = $fake->client;
my $subs = InviteSync::seed_fixtures($mongo);

my $rc;
if (eval { require FakeRocketChat; 1 }) {
    $rc = FakeRocketChat->start("$dir/rc", user_id => 'botUserId00000001', token => $bot_token,
                                rooms => { map { ($_ => $InviteTest::FIXTURE_ROOMS{$_}) } grep { $InviteTest::FIXTURE_ROOMS{$_} =~ /^[cp]$/ } keys %InviteTest::FIXTURE_ROOMS });
}
my $settings = InviteSync::settings_file("$dir/invite-sync.conf",
    $rc ? (rocketchat_url => $rc->url, bot_user_id => 'botUserId00000001', bot_token => $bot_token, outbox => 'on')
        : (outbox => 'off'));
my %RUN = (mongo => $fake->url, settings => $settings);
my @FAST = ('--heartbeat', 1, '--lease', 3, '--backoff-max', 2, '-v');

# An independent full copy into a scratch database: the state the live
# database must have converged to.
my $scratch_n = 0;
sub reference_dump {
    my ($dbh, $db) = InviteSync::scratch_db("$dir/scratch", 'ref' . ++$scratch_n);
    my ($rc_once, $out, $err) = InviteSync::run("$dir/once", %RUN, db => $db, args => ['--once']);
    die "invite-sync --once into the scratch database exited $rc_once: $err" if $rc_once;
    my $d = InviteSync::dump_tables($dbh);
    $dbh->disconnect;
    return $d;
}
sub live_dump { InviteSync::dump_tables(InviteTest::dbh()) }
# The live database equals a fresh full copy (within $secs).
sub converges {
    my ($secs, $name) = @_;
    my $want = reference_dump();
    my @diff;
    my $dt = InviteSync::within($secs, sub { @diff = InviteSync::dump_diff(live_dump(), $want); !@diff });
    ok($dt, $dt ? sprintf('%s: the SQL equals a fresh full copy (%.2f s)', $name, $dt)
                : "$name: the SQL still differs from a fresh full copy after $secs s")
        or diag join "\n", @diff[0 .. ($#diff < 20 ? $#diff : 19)];
}

# ------------------------------------------------------------ the full copy
my ($st, $out, $err) = InviteSync::run("$dir/once", %RUN, args => ['--once', '-v']);
is($st, 0, 'invite-sync --once: exit 0') or diag $err;
like($err, qr/users\D+\d+/, '... progress per collection on stderr (users)');
like($err, qr/rocketchat_subscription\D+\d+/, '... (subscriptions)');
my $all_logs = $err;
is(db_value('SELECT COUNT(*) FROM users'), scalar keys %InviteTest::FIXTURE_USERS, '... the fixture users, as copied');
is(db_value('SELECT COUNT(*) FROM login_tokens WHERE hashed_token = ?', token_hash($TOKEN{admin})), 1,
   '... with their tokens');
ok(defined db_value("SELECT value FROM sync_state WHERE key = 'resume_token'"), '... and a resume point');
is(find_invite('admin', 'GENERAL'), '200 -', 'the module answers with the copied data');
converges(5, 'after the full copy');
($st, $out) = InviteSync::run("$dir/once", %RUN, args => ['--status']);
is($st, 0, 'invite-sync --status: exit 0');
like($out, qr/^lag: \d+ s$/m, '... the lag');
like($out, qr/^outbox: \d+ pending$/m, '... the outbox');

# ------------------------------------------------------------ following
my $d = InviteSync->daemon("$dir/d1", %RUN, args => [@FAST]);
ok($d->wait_log(qr/following|change stream/i, 15), 'the daemon follows the change stream') or diag $d->log;

my $admin = $USER{admin};
my $tok = new_token('login');
is(outcome(api_post("$API/findOrCreateInvite", { rid => 'GENERAL', days => 1, maxUses => 0 }, user => as($admin, $tok))),
   '401 -', 'a token Rocket.Chat has not issued yet: 401');
$mongo->login($admin, token_hash($tok));
arrives(2, sub { find_invite(as($admin, $tok), 'GENERAL') eq '200 -' }, 'a login reaches the module: 200 within 2 s');
$mongo->logout($admin, token_hash($tok));
arrives(2, sub { find_invite(as($admin, $tok), 'GENERAL') eq '401 -' }, 'a logout gives 401 within 2 s');

my $tok2 = new_token('destroy');
$mongo->login($admin, token_hash($tok2));
arrives(2, sub { find_invite(as($admin, $tok2), 'GENERAL') eq '200 -' }, 'another login');
$mongo->destroy_token($admin, token_hash($tok2));
arrives(2, sub { find_invite(as($admin, $tok2), 'GENERAL') eq '401 -' }, "Meteor's destroyToken (\$pull \$or): 401");

# roles: inviter holds create-invite-links through its global role 'inviter'
$mongo->remove_user_role($USER{inviter}, 'inviter');
arrives(2, sub { find_invite('inviter', 'GENERAL') eq '400 not_authorized' }, 'a global role removed: not_authorized');
$mongo->add_user_role($USER{inviter}, 'inviter');
arrives(2, sub { find_invite('inviter', 'GENERAL') eq '200 -' }, '... and given back: 200');

# permissions: the role loses the permission
$mongo->set_permission('create-invite-links', qw(admin owner moderator));
arrives(2, sub { find_invite('inviter', 'GENERAL') eq '400 not_authorized' }, 'a permission\'s roles changed: not_authorized');
$mongo->set_permission('create-invite-links', qw(admin owner moderator inviter));
arrives(2, sub { find_invite('inviter', 'GENERAL') eq '200 -' }, '... and back');

# a new room with a member who owns it
$mongo->add_room('SYNCROOM0000001', 'c', name => 'sync-room');
$mongo->add_subscription('sub-plain-syncroom', 'SYNCROOM0000001', $USER{plain}, roles => ['owner']);
arrives(2, sub { find_invite('plain', 'SYNCROOM0000001') eq '200 -' }, 'a new room and its owner: 200');
$mongo->set_subscription_roles('sub-plain-syncroom');
arrives(2, sub { find_invite('plain', 'SYNCROOM0000001') eq '400 not_authorized' }, 'the room role taken away: not_authorized');

# rename
$mongo->rename_room('SPAREROOM', 'renamed-room', 'Renamed Room');
arrives(2, sub { (db_value("SELECT name || '/' || fname FROM rooms WHERE id = 'SPAREROOM'") // '') eq 'renamed-room/Renamed Room' },
        'a room rename reaches SQL');

# a removed subscription (its delete event carries only _id)
is(find_invite('owner', 'OWNEDROOM'), '200 -', 'the owner of OWNEDROOM creates invites there');
$mongo->delete_subscription($subs->{"$USER{owner} OWNEDROOM"});
arrives(2, sub { find_invite('owner', 'OWNEDROOM') ne '200 -' }, 'the subscription deleted: refused');
is(db_value("SELECT COUNT(*) FROM subscriptions WHERE user_id = ? AND rid = 'OWNEDROOM'", $USER{owner}), 0,
   '... no subscription row left');

# a ban (8.4: status BANNED)
my $inv = json_of(api_post("$API/findOrCreateInvite", { rid => 'GENERAL', days => 1, maxUses => 0 }, user => 'admin'));
my $inv_id = $inv->{_id} // 'none';
push @secrets, $inv_id;
$mongo->ban($subs->{"$USER{plain} GENERAL"});
arrives(2, sub { outcome(api_post("$API/useInviteToken", { token => $inv_id }, user => 'plain')) eq '400 error-user-is-banned' },
        'a ban: useInviteToken refused with error-user-is-banned');
$mongo->unban($subs->{"$USER{plain} GENERAL"});
arrives(2, sub { outcome(api_post("$API/useInviteToken", { token => $inv_id }, user => 'plain')) eq '200 -' }, '... lifted');

# a deleted user
$mongo->delete_user($USER{moderator});
arrives(2, sub { find_invite('moderator', 'MODROOM') eq '401 -' }, 'a deleted user: 401');
is(db_value('SELECT COUNT(*) FROM subscriptions WHERE user_id = ?', $USER{moderator}), 0, '... and the memberships are gone');

# deactivation: the tokens go
$mongo->add_user('syncUser00000001', username => 'sync.one', roles => ['admin'],
                 tokens => [ { hashedToken => token_hash(my $t1 = new_token('deact')), when => int(time * 1000) } ]);
# (an admin, but in no room: past the login, refused by the room check)
arrives(2, sub { find_invite(as('syncUser00000001', $t1), 'GENERAL') eq '400 error-invalid-room' },
        'a new user with a token: logged in');
$mongo->deactivate('syncUser00000001');
arrives(2, sub { find_invite(as('syncUser00000001', $t1), 'GENERAL') eq '401 -' }, 'deactivated: 401');

# presence writes change nothing
# (then a login: once it is seen, the stream, which is ordered, has been
# applied past the presence updates)
my $before = live_dump();
$mongo->presence($USER{admin}, $_ % 2 ? 'away' : 'online') for 1 .. 5;
my $marker = new_token('marker');
$mongo->login($USER{admin2}, token_hash($marker));
arrives(2, sub { find_invite(as($USER{admin2}, $marker), 'GENERAL') eq '200 -' }, 'presence updates, then a login: applied');
my $after = live_dump();
$after->{login_tokens} = [ grep { index($_, token_hash($marker)) < 0 } @{ $after->{login_tokens} } ];
is_deeply($after, $before, 'presence-only updates leave the SQL as it was');
$mongo->logout($USER{admin2}, token_hash($marker));
arrives(2, sub { find_invite(as($USER{admin2}, $marker), 'GENERAL') eq '401 -' }, '... the marker logged out');
converges(3, 'while following');

# ------------------------------------------------------------ restart: nothing lost, nothing doubled
is($d->stop, 0, 'SIGTERM: the daemon exits 0');
my @down_tokens = map { new_token("down$_") } 1 .. 20;
$mongo->login($admin, token_hash($_)) for @down_tokens;
$mongo->logout($admin, token_hash($_)) for @down_tokens[0 .. 4];
$mongo->add_room('SYNCROOM0000002', 'p', name => 'while-down');
$mongo->add_subscription('sub-admin-room2', 'SYNCROOM0000002', $admin, roles => ['owner'], t => 'p');
$mongo->delete_subscription('sub-plain-syncroom');
$d = $d->restart;
arrives(5, sub { find_invite(as($admin, $down_tokens[-1]), 'GENERAL') eq '200 -' }, 'after a restart the changes made while down arrive');
is(find_invite(as($admin, $down_tokens[0]), 'GENERAL'), '401 -', '... including the logouts');
converges(5, 'after a restart');

# kill -9 while a stream of events is applied
my @burst = map { new_token("burst$_") } 1 .. 300;
my $writer = InviteSync::background(sub { my $c = $fake->client; $c->login($USER{admin2}, token_hash($_)) for @burst });
InviteSync::within(10, sub { db_value('SELECT COUNT(*) FROM login_tokens WHERE user_id = ?', $USER{admin2}) > 30 });
$d->kill;
waitpid $writer, 0;
my $applied = db_value('SELECT COUNT(*) FROM login_tokens WHERE user_id = ?', $USER{admin2});
note "killed with $applied of 301 tokens applied";
$d = $d->restart;
arrives(10, sub { db_value('SELECT COUNT(*) FROM login_tokens WHERE user_id = ?', $USER{admin2}) == 301 },
        'kill -9 in the middle of 300 logins: after a restart all 301 tokens are there, once each');
converges(5, 'after kill -9');

# ------------------------------------------------------------ lost history: full resync
is($d->stop, 0, 'stopped again');
my $lost_tok = new_token('lost');
$mongo->login($USER{admin2}, token_hash($lost_tok));
$mongo->delete_room('SYNCROOM0000002');
$mongo->add_user('syncUser00000002', username => 'sync.two', roles => ['user']);
$mongo->truncate_history;
$d = $d->restart;
ok($d->wait_log(qr/(?:ChangeStreamHistoryLost|history is lost).*: full resync/, 15), 'history lost while down (286): the daemon says so and copies again')
    or diag $d->log;
arrives(10, sub { find_invite(as($USER{admin2}, $lost_tok), 'GENERAL') eq '200 -' }, '... the login made before the loss arrives');
is(db_value("SELECT COUNT(*) FROM rooms WHERE id = 'SYNCROOM0000002'"), 0, '... the deleted room is gone');
converges(5, 'after a full resync');

# invalidate while following
$mongo->invalidate;
my $inv_tok = new_token('inval');
$mongo->login($admin, token_hash($inv_tok));
arrives(10, sub { find_invite(as($admin, $inv_tok), 'GENERAL') eq '200 -' }, 'an invalidate: the daemon resyncs and goes on');
like($d->log, qr/invalidate on .*: the stream ends here: full resync/, '... and logs why');

# a watched collection dropped (and made again, as Rocket.Chat's start-up would)
$mongo->drop_collection('rocketchat_permissions');
ok($d->wait_log(qr/drop on rocketchat_permissions: the stream ends here: full resync/, 10),
   'a dropped collection: full resync, and the log says why') or diag $d->log;
$mongo->set_permission('create-invite-links', qw(admin owner moderator));
arrives(5, sub { find_invite('inviter', 'GENERAL') eq '400 not_authorized' }, '... and follows the collection made again');
$mongo->set_permission('create-invite-links', qw(admin owner moderator inviter));
$mongo->set_permission('api-bypass-rate-limit', qw(admin bot app));
$mongo->set_permission('bulk-register-user', 'admin');
arrives(2, sub { find_invite('inviter', 'GENERAL') eq '200 -' }, '... all of it');
converges(5, 'after a dropped collection');

# ------------------------------------------------------------ MongoDB unreachable
$fake->kill;
ok($d->wait_log(qr/trying again in \d+ s/, 15), 'MongoDB down: the daemon retries with a delay') or diag $d->log;
sleep 1;   # let it back off once more (the deadline below covers --backoff-max 2)
ok($d->running, '... and keeps running');
$fake->restart;
my $back_tok = new_token('back');
$mongo = $fake->client;
$mongo->login($admin, token_hash($back_tok));
arrives(8, sub { find_invite(as($admin, $back_tok), 'GENERAL') eq '200 -' }, 'MongoDB back: the daemon reconnects and applies');

# ------------------------------------------------------------ SQL down: nothing lost
my @sql_down = map { new_token("sqldown$_") } 1 .. 5;
if ($engine eq 'pgsql') {
    my $cluster = $ENV{INVITE_TEST_PG_CLUSTER};
    SKIP: {
        skip 'INVITE_TEST_PG_CLUSTER unset', 3 unless $cluster;
        system("$InviteSync::TOP/scripts/pg-cluster.sh", 'down', $cluster) == 0 or die 'pg down';
        $mongo->login($admin, token_hash($_)) for @sql_down;
        $mongo->logout($admin, token_hash($back_tok));
        sleep 2;
        ok($d->running, 'PostgreSQL down: the daemon keeps running');
        system("$InviteSync::TOP/scripts/pg-cluster.sh", 'up', $cluster) == 0 or die 'pg up';
        arrives(15, sub { my $ok = eval { find_invite(as($admin, $sql_down[-1]), 'GENERAL') eq '200 -' }; $ok },
                'PostgreSQL back: the events written meanwhile arrive') or diag $d->log;
        is(find_invite(as($admin, $back_tok), 'GENERAL'), '401 -', '... the logout too');
    }
}
else {
    my $lock = InviteTest::connect_db();
    $lock->do('BEGIN IMMEDIATE');
    my $t0 = time;
    $mongo->login($admin, token_hash($_)) for @sql_down;
    $mongo->logout($admin, token_hash($back_tok));
    sleep 3;
    ok($d->running, 'SQLite write lock held for 3 s: the daemon keeps running');
    $lock->do('COMMIT');
    $lock->disconnect;
    arrives(10, sub { find_invite(as($admin, $sql_down[-1]), 'GENERAL') eq '200 -' }, 'the lock released: the events arrive');
    is(find_invite(as($admin, $back_tok), 'GENERAL'), '401 -', '... the logout too');
}
converges(5, 'after SQL was away');

# ------------------------------------------------------------ one writer
{
    my ($s2, undef, $e2) = InviteSync::run("$dir/second", %RUN, args => [@FAST, '--no-wait'], timeout => 20);
    is($s2, 3, 'a second daemon with --no-wait: exit 3');
    like($e2, qr/lease is held by/, '... saying who holds the lease') or diag $e2;
    $all_logs .= $e2;
    my $second = InviteSync->daemon("$dir/d2", %RUN, args => [@FAST]);
    ok($second->wait_log(qr/waiting: the lease is held by/, 10), 'a second daemon without --no-wait waits, and says so')
        or diag $second->log;
    my $solo = new_token('solo');
    is($d->stop, 0, 'the first one stops');
    $mongo->login($admin, token_hash($solo));
    arrives(10, sub { find_invite(as($admin, $solo), 'GENERAL') eq '200 -' }, 'the waiting daemon takes over and applies');
    $all_logs .= $d->log(1);
    $d = $second;
}

# ------------------------------------------------------------ lock contention with the module's writers
{
    reset_invites();
    my @many = map { new_token("cont$_") } 1 .. 200;
    my $w = InviteSync::background(sub { my $c = $fake->client; $c->login($USER{multi}, token_hash($_)) for @many });
    my @codes;
    for my $days (0, 1, 7, 15, 30) {
        for my $uses (0, 1, 5, 10, 25, 50, 100) {
            push @codes, api_post("$API/findOrCreateInvite", { rid => 'GENERAL', days => $days, maxUses => $uses },
                                  user => 'admin')->code;
        }
    }
    waitpid $w, 0;
    is(scalar(grep { $_ == 200 } @codes), 35, 'invites created while the sync applies 200 logins: all 35 answered 200')
        or diag "@codes";
    arrives(10, sub { db_value('SELECT COUNT(*) FROM login_tokens WHERE user_id = ?', $USER{multi}) == 202 },
            '... and all 200 logins applied');
    is(db_value('SELECT COUNT(*) FROM invites'), 35, '... the 35 invites are there');
}

# ------------------------------------------------------------ the join outbox
SKIP: {
    skip 'no fake Rocket.Chat (t/lib/FakeRocketChat.pm)', 12 unless $rc;
    my $joiner = $USER{joiner};
    my $gen = json_of(api_post("$API/findOrCreateInvite", { rid => 'GENERAL', days => 1, maxUses => 0 }, user => 'admin'));
    push @secrets, $gen->{_id} // ();
    is($d->stop, 0, 'daemon stopped: the join waits in the outbox');
    my $res = api_post("$API/useInviteToken", { token => $gen->{_id} }, user => 'joiner');
    is($res->code, 200, 'the newcomer joins GENERAL through an invite');
    is(db_value("SELECT COUNT(*) FROM join_outbox WHERE user_id = ? AND rid = 'GENERAL'", $joiner), 1,
       '... and the module wrote an outbox row in the same transaction');
    ($st, undef, $err) = InviteSync::run("$dir/once", %RUN, args => ['--once']);
    is($st, 0, 'a full copy while the join is pending');
    $all_logs .= $err;
    is(db_value("SELECT COUNT(*) FROM subscriptions WHERE user_id = ? AND rid = 'GENERAL'", $joiner), 1,
       '... keeps the joined subscription Rocket.Chat does not know yet');
    $d = $d->restart;
    arrives(10, sub { !db_value('SELECT COUNT(*) FROM join_outbox WHERE user_id = ?', $joiner) }, 'the daemon delivers it; the row is deleted');
    my @ok = grep { $_->{status} == 200 } $rc->calls;
    is(scalar(@ok), 1, '... one call to Rocket.Chat') or diag explain [ $rc->calls ];
    is(($ok[0] || {})->{route} // '', 'channels.invite', '... channels.invite for a public room');
    is(($ok[0] || {})->{userId} // '', $joiner, '... with the newcomer');

    # Rocket.Chat's own subscription then arrives through the stream
    $mongo->add_subscription('sub-joiner-general-rc', 'GENERAL', $joiner, roles => []);
    arrives(2, sub { (db_value("SELECT COUNT(*) FROM sync_subscription_ids WHERE sub_id = 'sub-joiner-general-rc'") // 0) == 1 },
            "Rocket.Chat's subscription arrives and is mapped");

    # REST failures and a restart: still exactly one delivery
    $rc->reset;
    $rc->fail(2, 500);
    db_do("INSERT INTO join_outbox (user_id, rid, created_at, attempts, next_attempt_at) VALUES (?, 'PRIVROOM', ?, 0, ?)",
          $joiner, int(time * 1000), int(time * 1000));
    InviteSync::within(5, sub { grep { $_->{status} == 500 } $rc->calls });
    $d = $d->restart;
    arrives(20, sub { !db_value("SELECT COUNT(*) FROM join_outbox WHERE rid = 'PRIVROOM'") }, 'after two 500s and a restart the row is delivered');
    sleep 1.5;
    my @calls = $rc->calls;
    is(scalar(grep { $_->{status} == 200 } @calls), 1, '... exactly once (' . scalar(@calls) . ' calls)')
        or diag explain \@calls;
    is((grep { $_->{status} == 200 } @calls)[0]{route} // '', 'groups.invite', '... groups.invite for a private room');
}

# ------------------------------------------------------------ the end
is($d->stop, 0, 'the daemon stops with 0');
$all_logs .= $d->log(1) . InviteSync::slurp("$dir/d2/sync.log");
$all_logs .= InviteSync::slurp($_) for glob("$dir/once/*.err"), glob("$dir/second/*.err");
push @secrets, map { ($_, token_hash($_)) } map { @{ $_->[1] } } values %InviteTest::FIXTURE_USERS;
my @found = grep { index($all_logs, $_) >= 0 } @secrets;
is(scalar(@found), 0, 'no token, token hash, bot token or invite id in the daemon\'s logs ('
   . length($all_logs) . ' bytes)') or diag "found: @found[0 .. ($#found < 5 ? $#found : 5)]";
cmp_ok(length $all_logs, '>', 200, '... which are not empty');
# for t/zz_secrets_in_logs.t too (it reads t/var/*.log)
if (open my $keep, '>', "$InviteSync::TOP/t/var/invite-sync-test.log") { print $keep $all_logs; close $keep }
$fake->stop;
$rc->stop if $rc;

done_testing();
