# SPDX-License-Identifier: Apache-2.0
# Round trips to PostgreSQL per request, counted in the server's statement
# log (log_statement = all, application_name = mod_invite): the find path
# is one statement; creating adds one more (release and insert together).
# A connection's one-off set-up at its first use (PREPAREs, the schema
# version, the session statement) is not counted, but a schema check
# without its set-up would be.
# The other endpoints: one statement per read, one more for a write (a
# newcomer's join and its join_outbox row are one statement).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use InviteTest;
use Time::HiRes qw(sleep);

plan tests => 24, need { 'PostgreSQL only (runs in the pgsql suite)' => engine() eq 'pgsql' };

my $cluster = $ENV{INVITE_TEST_PG_CLUSTER} or die 'INVITE_TEST_PG_CLUSTER unset';
my $log = "$cluster/server.log";
my $P = '/api/v1/findOrCreateInvite';

# The statements mod_invite's connections sent while $code ran.
# Waits until the server's log has stopped growing for half a second (it
# writes asynchronously; slower under the sanitizers), at most 10 s.
sub log_settles {
    my $size = -s $log;
    for (1 .. 100) {
        sleep 0.5;
        my $now = -s $log;
        return if $now == $size;
        $size = $now;
    }
}

sub statements_during {
    my ($code) = @_;
    log_settles();   # nothing of an earlier test's requests is counted
    my $start = -s $log;
    $code->();
    log_settles();
    open my $fh, '<', $log or die $!;
    seek $fh, $start, 0;
    my (@s, $setups);
    while (<$fh>) {
        next unless /\[mod_invite\] LOG:\s+(?:execute (\w+)|statement: (.*))/;
        my $stmt = $1 // $2;
        # A connection's first use sets it up once: its statements are
        # prepared, its schema version read, its session statement run.
        if ($stmt =~ /^PREPARE (invite_\w+)/) {
            $setups++ if $1 eq 'invite_schema_version';
            next;
        }
        next if $stmt eq 'invite_session';
        push @s, $stmt;
    }
    # One schema check per set-up; a check without its PREPARE would be
    # one per request, and stays in the list.
    for (1 .. $setups // 0) {
        my ($i) = grep { $s[$_] eq 'invite_schema_version' } 0 .. $#s;
        splice @s, $i, 1 if defined $i;
    }
    return @s;
}

reset_invites();
my @s = statements_during(sub {
    is(api_post($P, {rid => 'GENERAL', days => 1, maxUses => 5}, user => 'admin')->code, 200, 'create');
});
is("@s", 'invite_find invite_create',
   'create path: two statements, two round trips, no explicit transaction');

@s = statements_during(sub {
    is(api_post($P, {rid => 'GENERAL', days => 1, maxUses => 5}, user => 'admin')->code, 200, 'find');
});
is("@s", 'invite_find', 'find path: one statement, one round trip');

@s = statements_during(sub {
    is(api_post($P, {rid => 'GENERAL', days => 2, maxUses => 5}, user => 'admin')->code, 400, 'bad days');
});
is("@s", 'invite_find', 'an error after authentication: one statement');

@s = statements_during(sub {
    is(api_post($P, {rid => 'GENERAL', days => 1, maxUses => 5}, user => [$USER{admin}, 'bad'])->code,
       401, 'bad token');
});
is("@s", 'invite_find', 'a failed authentication: one statement');

@s = statements_during(sub {
    is(api_post($P, {rid => 'GENERAL', days => 1, maxUses => 5})->code, 401, 'no credentials');
});
is(scalar(@s), 0, 'missing credentials: no database work');
is(invite_count($USER{admin}, 'GENERAL'), 1, 'one invite');

# The rest of the lifecycle.
my $id = json_of(api_post($P, {rid => 'GENERAL', days => 1, maxUses => 5}, user => 'admin'))->{_id};
db_do("DELETE FROM join_outbox WHERE user_id = 'tripNew000001'");
db_do("DELETE FROM users WHERE id = 'tripNew000001'");
db_do("INSERT INTO users (id, username) VALUES ('tripNew000001', 'tripnew')");
db_do("INSERT INTO login_tokens (user_id, hashed_token, created_at) VALUES ('tripNew000001', ?, NULL)",
      token_hash('trip-token'));
my $newbie = ['tripNew000001', 'trip-token'];
my @rt = (   # in this order: removal comes last
    'validateInviteToken: one statement' => [
        sub { api_post('/api/v1/validateInviteToken', {token => $id}) }, 200, 'invite_validate'],
    'validateInviteToken, empty token: no database work' => [
        sub { api_post('/api/v1/validateInviteToken', {token => ''}) }, 200, ''],
    'useInviteToken, a member: one statement' => [
        sub { api_post('/api/v1/useInviteToken', {token => $id}, user => 'admin') }, 200, 'invite_use_facts'],
    # The write also records the join in join_outbox (a CTE of invite_use).
    'useInviteToken, a newcomer: one read and one atomic write' => [
        sub { api_post('/api/v1/useInviteToken', {token => $id}, user => $newbie) }, 200,
        'invite_use_facts invite_use'],
    'listInvites: authentication, then the list' => [
        sub { api_request(GET => '/api/v1/listInvites', user => 'admin') }, 200, 'invite_auth invite_list'],
    'removeInvite: authentication, then one delete' => [
        sub { api_request(DELETE => "/api/v1/removeInvite/$id", user => 'admin') }, 200,
        'invite_auth invite_remove'],
);
while (my ($name, $case) = splice @rt, 0, 2) {
    my ($call, $status, $want) = @$case;
    my $code;
    @s = statements_during(sub { $code = $call->()->code });
    is($code, $status, "$name: status $status");
    is("@s", $want, $name);
}
is(db_value("SELECT count(*) FROM join_outbox WHERE user_id = 'tripNew000001' AND rid = 'GENERAL'"), 1,
   "the newcomer's one write also recorded the join in join_outbox");
