# SPDX-License-Identifier: Apache-2.0
# The join outbox (issue 18, docs/rocketchat.md): a useInviteToken that
# subscribes a newcomer writes one join_outbox row (user, room, now, 0
# attempts, due now) in the join's own statement (PostgreSQL) or
# transaction (SQLite), for invite-sync to hand the join to Rocket.Chat.
# A member, a refused use (used up, expired, banned), a newcomer without
# a username and a location with InviteJoinOutbox Off write none; a row
# already there stays as it was; an outbox write that fails rolls the
# join back.  The server-status page shows invite-sync's lag from
# sync_state and the rows waiting, read when it is asked for.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use InviteTest;

plan tests => 46;

my $USE = '/api/v1/useInviteToken';
my $pg = engine() eq 'pgsql';

db_do("DELETE FROM join_outbox");
db_do("DELETE FROM sync_state");
db_do("DELETE FROM subscriptions WHERE user_id LIKE 'outNew%'");
db_do("DELETE FROM users WHERE id LIKE 'outNew%'");
reset_invites();

my $n = 0;
sub newcomer {   # a user with a login token, in no room
    my (%o) = @_;
    my $id = sprintf 'outNew%06d', ++$n;
    db_do('INSERT INTO users (id, username) VALUES (?, ?)', $id, exists $o{username} ? $o{username} : lc $id);
    db_do('INSERT INTO login_tokens (user_id, hashed_token, created_at) VALUES (?, ?, NULL)',
          $id, token_hash("$id-token"));
    return [$id, "$id-token"];
}
sub put_invite {
    my ($id, $rid, %o) = @_;
    my $now = int(time * 1000);
    db_do('INSERT INTO invites (id, days, max_uses, rid, user_id, created_at, expires, uses, updated_at) '
          . 'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', $id, $o{days} // 0, $o{max} // 0, $rid, $USER{admin},
          $now, $o{expires}, $o{uses} // 0, $now);
}
sub use_invite {
    my ($token, $user, $prefix) = @_;
    return api_post(($prefix // '') . $USE, {token => $token}, user => $user);
}
sub outbox_rows {   # "user/rid" of every row, sorted
    my $rows = dbh()->selectall_arrayref('SELECT user_id, rid FROM join_outbox ORDER BY user_id, rid');
    return join ' ', map { "$_->[0]/$_->[1]" } @$rows;
}
sub uses { db_value('SELECT uses FROM invites WHERE id = ?', $_[0]) }
sub member { db_value('SELECT count(*) FROM subscriptions WHERE user_id = ? AND rid = ?', @_) }

# --- a newcomer's join writes exactly one row ---------------------------------
put_invite('OutGen', 'GENERAL', max => 10);
my $a = newcomer();
my $t0 = int(time * 1000);
my $res = use_invite('OutGen', $a);
my $t1 = int(time * 1000);
is($res->code, 200, 'a newcomer joins GENERAL');
is(member($a->[0], 'GENERAL'), 1, '... subscribed');
is(outbox_rows(), "$a->[0]/GENERAL", '... and exactly one outbox row, for that user and room');
my ($created, $attempts, $next, $error) = dbh()->selectrow_array(
    'SELECT created_at, attempts, next_attempt_at, last_error FROM join_outbox WHERE user_id = ?', undef, $a->[0]);
ok($created >= $t0 - 1000 && $created <= $t1 + 1000, "... created now ($created, request between $t0 and $t1)");
is($attempts, 0, '... no attempt yet');
is($next, $created, '... due at once');
is($error, undef, '... no error');

# --- the same member again: nothing --------------------------------------------
$res = use_invite('OutGen', $a);
is($res->code, 200, 'the same member uses the invite again: 200');
is(uses('OutGen'), 1, '... not counted');
is(outbox_rows(), "$a->[0]/GENERAL", '... and no second row');
is(db_value('SELECT created_at FROM join_outbox WHERE user_id = ?', $a->[0]), $created, '... the row as it was');

# A fixture member (in GENERAL from the start): nothing either.
$res = use_invite('OutGen', 'plain');
is($res->code, 200, 'a member from before uses the invite: 200');
is(db_value('SELECT count(*) FROM join_outbox WHERE user_id = ?', $USER{plain}), 0, '... no outbox row');

# --- a private group: the row names that room ------------------------------------
put_invite('OutPriv', 'PRIVROOM', max => 10);
my $b = newcomer();
is(use_invite('OutPriv', $b)->code, 200, 'a newcomer joins a private group');
is(db_value('SELECT rid FROM join_outbox WHERE user_id = ?', $b->[0]), 'PRIVROOM', '... its row names PRIVROOM');

# --- refused uses write nothing --------------------------------------------------
my $before = outbox_rows();
put_invite('OutFull', 'GENERAL', max => 1, uses => 1);
my $c = newcomer();
$res = use_invite('OutFull', $c);
is((json_of($res) || {})->{errorType}, 'error-invite-expired', 'maxUses reached: refused');
is(member($c->[0], 'GENERAL'), 0, '... not subscribed');
is(outbox_rows(), $before, '... no outbox row');

put_invite('OutOld', 'GENERAL', days => 1, max => 0, expires => int(time * 1000) - 1000);
$res = use_invite('OutOld', $c);
is((json_of($res) || {})->{errorType}, 'error-invite-expired', 'an expired invite: refused');
is(outbox_rows(), $before, '... no outbox row');

db_do("INSERT INTO subscriptions (user_id, rid, status) VALUES (?, 'GENERAL', 'BANNED')", $c->[0]);
$res = use_invite('OutGen', $c);
is((json_of($res) || {})->{errorType}, 'error-user-is-banned', 'a banned user: refused');
is(outbox_rows(), $before, '... no outbox row');
db_do("DELETE FROM subscriptions WHERE user_id = ?", $c->[0]);

# A newcomer without a username counts a use but joins later (Rocket.Chat
# subscribes at setUsername): no subscription, so no row.
my $nameless = newcomer(username => '');
my $uses = uses('OutGen');
is(use_invite('OutGen', $nameless)->code, 200, 'a newcomer without a username: 200');
is(uses('OutGen'), $uses + 1, '... counted');
is(db_value('SELECT count(*) FROM join_outbox WHERE user_id = ?', $nameless->[0]), 0, '... no outbox row');

# --- InviteJoinOutbox Off --------------------------------------------------------
my $d = newcomer();
is(use_invite('OutGen', $d, '/nooutbox')->code, 200, 'InviteJoinOutbox Off: a newcomer joins');
is(member($d->[0], 'GENERAL'), 1, '... subscribed');
is(db_value('SELECT count(*) FROM join_outbox WHERE user_id = ?', $d->[0]), 0, '... and no outbox row');

# --- a row left from an earlier join (removed meanwhile, not yet delivered) -------
my $e = newcomer();
db_do('INSERT INTO join_outbox (user_id, rid, created_at, attempts, next_attempt_at, last_error) '
      . "VALUES (?, 'GENERAL', 1000, 3, 2000, 'HTTP 502')", $e->[0]);
is(use_invite('OutGen', $e)->code, 200, 'a newcomer whose earlier join waits in the outbox: 200');
is(member($e->[0], 'GENERAL'), 1, '... subscribed');
is(join(' ', dbh()->selectrow_array('SELECT created_at, attempts, next_attempt_at, last_error FROM join_outbox WHERE user_id = ?',
                                    undef, $e->[0])),
   '1000 3 2000 HTTP 502', '... the waiting row as it was, one row');

# --- an outbox that cannot be written rolls the join back ---------------------------
if ($pg) {
    db_do(q{CREATE OR REPLACE FUNCTION invite_test_refuse() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'join_outbox refused by the test'; END $$ LANGUAGE plpgsql});
    db_do('CREATE TRIGGER invite_test_refuse BEFORE INSERT ON join_outbox FOR EACH ROW EXECUTE FUNCTION invite_test_refuse()');
}
else {
    db_do(q{CREATE TRIGGER invite_test_refuse BEFORE INSERT ON join_outbox
            BEGIN SELECT RAISE(ABORT, 'join_outbox refused by the test'); END});
}
my $f = newcomer();
$uses = uses('OutGen');
$res = use_invite('OutGen', $f);
cmp_ok($res->code, '>=', 500, 'the outbox write fails: ' . $res->code);
like($res->content, qr/"success":false/, '... a JSON error');
is(member($f->[0], 'GENERAL'), 0, '... not subscribed: the join rolled back');
is(uses('OutGen'), $uses, '... and not counted');
db_do('DROP TRIGGER invite_test_refuse' . ($pg ? ' ON join_outbox' : ''));
db_do('DROP FUNCTION invite_test_refuse()') if $pg;
is(use_invite('OutGen', $f)->code, 200, 'the outbox writable again: the newcomer joins');
is(db_value('SELECT count(*) FROM join_outbox WHERE user_id = ?', $f->[0]), 1, '... with the row');

# --- server-status: the lag and the rows waiting ----------------------------------
sub status_auto {
    my $r = Apache::TestRequest::GET('/server-status?auto');
    return ($r->code, $r->content);
}
my $waiting = db_value('SELECT count(*) FROM join_outbox');
my ($code, $page) = status_auto();
is($code, 200, 'server-status?auto');
like($page, qr/^InviteSyncLag: -$/m, '... never synced: InviteSyncLag -');
like($page, qr/^InviteJoinOutbox: $waiting$/m, "... InviteJoinOutbox: $waiting, the rows waiting");

my $ok_at = int(time * 1000) - 42_000;
db_do("INSERT INTO sync_state (key, value, updated_at) VALUES ('last_ok_at', ?, ?)", $ok_at, $ok_at);
($code, $page) = status_auto();
my ($lag) = $page =~ /^InviteSyncLag: (\d+)$/m;
ok(defined $lag && $lag >= 42 && $lag <= 52, 'a heartbeat 42 s ago: InviteSyncLag ' . ($lag // 'missing'));
my $html = Apache::TestRequest::GET('/server-status')->content;
like($html, qr/invite-sync lag: (4\d|5[0-2]) s/, '... and on the HTML page');
like($html, qr/join_outbox\): $waiting</, '... with the rows waiting');

# The page does not depend on the database: with the tables gone from
# under it (an older schema), it still answers, showing "-".
db_do('DELETE FROM sync_state');
db_do('ALTER TABLE join_outbox RENAME TO join_outbox_away');
($code, $page) = status_auto();
db_do('ALTER TABLE join_outbox_away RENAME TO join_outbox');
is($code, 200, 'the outbox table gone: the page still answers 200');
like($page, qr/^InviteJoinOutbox: -$/m, '... InviteJoinOutbox -');
like($page, qr/^InviteRequests_useInviteToken_2xx: \d+$/m, '... with the counters');

db_do("DELETE FROM join_outbox");
db_do("DELETE FROM subscriptions WHERE user_id LIKE 'outNew%'");
db_do("DELETE FROM users WHERE id LIKE 'outNew%'");
reset_invites();
