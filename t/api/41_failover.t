# SPDX-License-Identifier: Apache-2.0
# PostgreSQL failover under load (docs/postgresql.md#failover).  Two
# throwaway clusters of this test's own (scripts/pg-failover.sh): node a
# the primary, node b its synchronous standby.  An httpd whose DBDParams
# name both (host=a,b target_session_attrs=read-write, the documented
# timeouts) serves finds, creates and uses by newcomers against small
# maxUses throughout, while
#   1. the primary is stopped hard (immediate mode) and, a second later,
#      the standby promoted;
#   2. the old primary comes back as a standby of the new one (pg_rewind),
#      and every pooled connection is made to reconnect, meeting it first;
#   3. the new primary is set read-only for a while (the module's own
#      recognition of a server that takes no writes, SQLSTATE 25006);
#   4. its synchronous standby stops, and a commit's wait for it is
#      cancelled: answered 503, never 200, as it stands on one node;
# and an httpd without target_session_attrs, which libpq connects to the
# standby first in the list: the JSON 503, never a read from a standby.
# Asserted: the same httpd throughout and no child crashed; every answer
# 200, the JSON 503 with Retry-After only during the switch, or the
# used-up 400 of a use; the window from promotion to the first 200 under
# 5 s; every create and use answered 200 is on the new primary; one
# invite per creator and settings; uses never past maxUses.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use InviteTest;
use InviteSchema;
use Cwd qw(abs_path);
use DBI;
use File::Path qw(make_path remove_tree);
use JSON::PP;
use LWP::UserAgent;
use POSIX ();
use Time::HiRes qw(time sleep);

plan tests => 34, need { 'PostgreSQL only (runs in the pgsql suite)' => engine() eq 'pgsql' };

my $top = abs_path("$FindBin::Bin/../..");
my $dir = "$top/t/var/failover";
my $load = "$top/t/var/failover-load";
remove_tree($dir, $load);
make_path($load);
my $pair = "$top/scripts/pg-failover.sh";
sub pair { system($pair, $_[0], $dir, @_[1 .. $#_]) == 0 or die "pg-failover.sh @_ failed" }

my $started = 1;   # for END: a skipped file never gets here
my %env = `"$pair" start "$dir"` =~ /^(INVITE_FAILOVER_\w+)="?(.*?)"?$/mg;
die "pg-failover.sh start failed\n" if $? || !$env{INVITE_FAILOVER_PARAMS};
my %port = (a => $env{INVITE_FAILOVER_PORT_A}, b => $env{INVITE_FAILOVER_PORT_B});
my $host;
END {
    return unless $started;
    local $?;
    InviteTest::stop_second_host($host) if $host;
    system($pair, 'stop', $dir);
    # The clients' logs stay for a failed run to be read.
    remove_tree($load) if Test::More->builder->is_passing;
}
# A connection to one node.
sub node {
    DBI->connect("dbi:Pg:host=127.0.0.1;port=$port{$_[0]};dbname=invite;user=invite", '', '',
                 { RaiseError => 1, AutoCommit => 1, PrintError => 0 });
}

# ------------------------------------------------------------ the data
# Creators (admin, in GENERAL), use-invite creators, newcomers (in no
# room): ids of 17 characters, as Rocket.Chat's.
my $W = 3;           # load processes
my $NEWCOMERS = 500; # per load process
my $USE_INVITES = 150;
my $MAX_USES = 5;
my $uid = sub { sprintf '%s%0*d', $_[0], 17 - length $_[0], $_[1] };
{
    my $dbh = node('a');
    $dbh->do($_) for InviteSchema::statements('pgsql', $top), InviteTest::fixture_sql();
    $dbh->begin_work;
    my $user = $dbh->prepare('INSERT INTO users (id, username) VALUES (?, ?)');
    my $role = $dbh->prepare('INSERT INTO user_roles (user_id, role) VALUES (?, ?)');
    my $tok = $dbh->prepare('INSERT INTO login_tokens (user_id, hashed_token, created_at) VALUES (?, ?, NULL)');
    my $sub = $dbh->prepare("INSERT INTO subscriptions (user_id, rid) VALUES (?, 'GENERAL')");
    for my $i (0 .. 19 + $USE_INVITES) {
        my $id = $uid->('foCreat', $i);
        $user->execute($id, lc $id); $role->execute($id, 'admin');
        $tok->execute($id, token_hash("tok-$id")); $sub->execute($id);
    }
    for my $i (0 .. $W * $NEWCOMERS - 1) {
        my $id = $uid->('foNew', $i);
        $user->execute($id, lc $id); $role->execute($id, 'user');
        $tok->execute($id, token_hash("tok-$id"));
    }
    $dbh->commit;
}

$host = InviteTest::start_second_host($top, name => 'failover-httpd', db => <<"DB");
DBDriver pgsql
DBDParams "$env{INVITE_FAILOVER_PARAMS}"
DBDMin 1
DBDKeep 4
DBDMax 10
DBDExptime 60
DB
my $base = "http://127.0.0.1:$host->{port}/api/v1";
my $pidfile = "$host->{dir}/run/httpd.pid";
sub httpd_pid { open my $fh, '<', $pidfile or return 0; my $p = <$fh>; chomp $p; $p }
my $parent;
# httpd listens before its parent writes the pid file.
for (1 .. 50) { last if $parent = httpd_pid(); sleep 0.1 }
ok($parent, "httpd on DBDParams \"$env{INVITE_FAILOVER_PARAMS}\"");

my $ua = LWP::UserAgent->new(keep_alive => 1, timeout => 30);
sub call {
    my ($ua, $path, $body, $who) = @_;
    return $ua->post("$base/$path", 'Content-Type' => 'application/json',
                     'X-User-Id' => $who, 'X-Auth-Token' => "tok-$who",
                     Content => JSON::PP->new->canonical->encode($body));
}
# The invites the newcomers use, maxUses small.
my @tokens;
for my $i (0 .. $USE_INVITES - 1) {
    my $res = call($ua, 'findOrCreateInvite', {rid => 'GENERAL', days => 1, maxUses => $MAX_USES},
                   $uid->('foCreat', 20 + $i));
    push @tokens, (json_of($res) || {})->{_id} // die 'no use invite: ' . $res->content;
}
is(scalar(@tokens), $USE_INVITES, "$USE_INVITES invites of maxUses $MAX_USES for the newcomers");

# ------------------------------------------------------------ the load
# Each process: finds and creates (findOrCreateInvite, 20 creators x 35
# settings: the first of a key creates, the next find) and uses (each
# newcomer once, a random invite), one after another, logging
# "sent answered op key code id-or-error retry-after" per request.
my @workers;
for my $w (0 .. $W - 1) {
    my $pid = fork // die $!;
    if (!$pid) {
        srand($$ ^ time);
        my $ua = LWP::UserAgent->new(keep_alive => 1, timeout => 30);
        open my $log, '>', "$load/$w.log" or die $!;
        $log->autoflush(1);
        my $n = 0;
        until (-e "$load/stop") {
            my ($op, $key, $path, $body, $who);
            if (rand() < 0.6 || $n >= $NEWCOMERS) {
                my ($c, $d, $m) = (int rand 20, (0, 1, 7, 15, 30)[rand 5], (0, 1, 5, 10, 25, 50, 100)[rand 7]);
                ($op, $who, $path, $body) = ('find', $uid->('foCreat', $c), 'findOrCreateInvite',
                                             {rid => 'GENERAL', days => $d, maxUses => $m});
                $key = "$who/$d/$m";
            }
            else {
                my $t = $tokens[rand @tokens];
                ($op, $who, $path, $body) = ('use', $uid->('foNew', $w * $NEWCOMERS + $n++),
                                             'useInviteToken', {token => $t});
                $key = "$who/$t";
            }
            my $t0 = time;
            my $res = call($ua, $path, $body, $who);
            my $t1 = time;
            my $j = json_of($res);
            my $what = ref $j eq 'HASH' ? ($j->{_id} // $j->{errorType}
                                           // ($j->{room} ? 'joined' : $j->{success} ? 'ok' : 'json'))
                                        : 'not-json';
            printf $log "%.4f %.4f %s %s %d %s %s\n", $t0, $t1, $op, $key, $res->code,
                $what, $res->header('Retry-After') // '-';
            sleep 0.02;   # a modest load: two cores for httpd, both nodes and this
        }
        close $log;
        POSIX::_exit(0);
    }
    push @workers, $pid;
}
sub mark { my $t = time; diag(sprintf '%.3f %s', $t, $_[0]); $t }
my $t_start = mark('load started');
sleep 5;
my $t_kill = mark('primary (a) stopped in immediate mode');
pair('kill', 'a');
my $t_killed = time;
sleep 1;
my $t_promote = mark('standby (b) promoted');
pair('promote', 'b');
mark('promotion done');
sleep 6;
my $t_rejoin = mark('old primary (a) rejoining as a standby of b (pg_rewind)');
pair('rejoin', 'a', 'b');
# Every pooled connection to b is broken: each reconnects, meeting a
# (first in the host list, now a standby) before b.
my $t_rejoined = mark('a streams to b synchronously; mod_invite backends on b terminated');
node('b')->do("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'mod_invite'");
sleep 5;
open my $stop, '>', "$load/stop" or die $!;
close $stop;
waitpid $_, 0 for @workers;
my $t_end = mark('load stopped');
# A backend terminated while its commit waited for the standby: PostgreSQL
# warns that the commit stands on the primary alone, so the module
# answers 503 (INV01103) even when its retry then succeeds.
my $unconfirmed = () = (do { local (@ARGV, $/) = ("$host->{dir}/error_log"); <> } // '') =~ /INV01103: /g;

my @log;
for my $w (0 .. $W - 1) {
    open my $fh, '<', "$load/$w.log" or die $!;
    push @log, map { chomp; my @f = split / /; { t0 => $f[0], t1 => $f[1], op => $f[2], key => $f[3],
                                                   code => $f[4], what => $f[5], retry => $f[6] } } <$fh>;
}
@log = sort { $a->{t1} <=> $b->{t1} } @log;
my %codes;
$codes{"$_->{op} $_->{code}"}++ for @log;
diag(scalar(@log) . ' requests: ' . join(', ', map { "$_ x $codes{$_}" } sort keys %codes));

# ------------------------------------------------------------ answers
is(scalar(grep { $_->{code} == 500 } @log), 0, 'no 500');
my @odd = grep { !($_->{code} == 200 || $_->{code} == 503
                   || ($_->{code} == 400 && $_->{op} eq 'use' && $_->{what} eq 'error-invite-expired')) } @log;
is(scalar(@odd), 0, 'every answer 200, 503, or a use of a used-up invite (400)')
    or diag(join "\n", map { "$_->{op} $_->{key} $_->{code} $_->{what}" } @odd[0 .. ($#odd < 9 ? $#odd : 9)]);
my @u = grep { $_->{code} == 503 } @log;
ok(@u > 0, scalar(@u) . ' answers 503 while no primary was there');
is(scalar(grep { $_->{what} ne 'json' || $_->{retry} eq '-' } @u), 0, 'each the JSON 503 with Retry-After');
my ($first) = grep { $_->{code} == 200 && $_->{t0} > $t_killed } @log;
ok($first && $first->{t1} > $t_promote, 'a 200 after the promotion');
my $window = $first ? $first->{t1} - $t_promote : 99;
ok($window < 5, sprintf('window from promotion to the first 200: %.2f s (from the stop: %.2f s)',
                        $window, $first ? $first->{t1} - $t_kill : 99));
is(scalar(grep { $_->{t1} < $t_kill } @u), 0, 'no 503 before the primary stopped');
my @late = grep { $_->{t0} > $first->{t1} + 0.5 && $_->{t1} < $t_rejoined } @u;
is(scalar(@late), 0, sprintf('no 503 sent after the first 200 (the last answered %.2f s after the promotion)',
                             (@late ? $late[-1]{t1} : $u[-1]{t1}) - $t_promote));
my @after = grep { $_->{t0} > $t_rejoined } @log;
my $after503 = grep { $_->{code} == 503 } @after;
ok(@after > 20 && !grep({ $_->{code} != 200 && $_->{code} != 400 && $_->{code} != 503 } @after)
   && $after503 <= $unconfirmed,
   scalar(@after) . " requests after the old primary came back as a standby: $after503 answered 503,"
   . " each a commit its standby did not confirm (INV01103 x $unconfirmed)")
    or diag(grep { /INV0(?:0102|0103|110\d):/ } split /^/, do { local (@ARGV, $/) = ("$host->{dir}/error_log"); <> });
sub rate { my ($from, $to) = @_; scalar(grep { $_->{t1} >= $from && $_->{t1} < $to } @log) / ($to - $from) }
diag(sprintf 'req/s: %.1f before the stop, %.1f after the first 200, %.1f after the rejoin',
             rate($t_start + 1, $t_kill), rate($first->{t1}, $t_rejoin), rate($t_rejoined, $t_end));

# ------------------------------------------------------------ the database
my $db = node('b');
my ($in_recovery) = $db->selectrow_array('SELECT pg_is_in_recovery()');
ok(!$in_recovery, 'b is the primary');
my %ack_invite;   # creator/days/maxUses => {id => 1}
$ack_invite{$_->{key}}{$_->{what}} = 1 for grep { $_->{op} eq 'find' && $_->{code} == 200 } @log;
my @two = grep { keys %{ $ack_invite{$_} } > 1 } keys %ack_invite;
is(scalar(@two), 0, 'one _id answered per creator and settings');
my $lookup = $db->prepare('SELECT user_id, days, max_uses FROM invites WHERE id = ?');
my @lost = grep {
    my ($who, $d, $m) = split m{/};
    my ($id) = keys %{ $ack_invite{$_} };
    my $row = $db->selectrow_arrayref($lookup, undef, $id);
    !$row || "@$row" ne "$who $d $m";
} keys %ack_invite;
is(scalar(@lost), 0, scalar(keys %ack_invite) . ' invites answered 200 (found or created): all on the new primary')
    or diag("missing: @lost[0 .. ($#lost < 9 ? $#lost : 9)]");
my @uses = grep { $_->{op} eq 'use' && $_->{code} == 200 } @log;
my %uses_of;
my $sub = $db->prepare("SELECT COUNT(*) FROM subscriptions WHERE user_id = ? AND rid = 'GENERAL'");
my @unjoined = grep {
    my ($who, $t) = split m{/}, $_->{key};
    $uses_of{$t}++;
    !($db->selectrow_array($sub, undef, $who))[0];
} @uses;
is(scalar(@unjoined), 0, scalar(@uses) . ' uses answered 200: every newcomer subscribed on the new primary');
my $counted = $db->prepare('SELECT uses FROM invites WHERE id = ?');
my @short = grep { ($db->selectrow_array($counted, undef, $_))[0] < $uses_of{$_} } keys %uses_of;
is(scalar(@short), 0, 'each invite counts at least the uses answered 200');
is($db->selectrow_array('SELECT COUNT(*) FROM invites WHERE max_uses > 0 AND uses > max_uses'), 0,
   'uses never past maxUses');
is($db->selectrow_array('SELECT COUNT(*) FROM (SELECT user_id, rid, days, max_uses FROM invites'
                        . ' WHERE slot = 1 GROUP BY 1, 2, 3, 4 HAVING COUNT(*) > 1) AS d'), 0,
   'no duplicate live invite for a creator and settings');
my $acked = keys(%ack_invite) + @uses;
diag("acknowledged writes checked on the new primary: $acked ("
     . scalar(keys %ack_invite) . ' invites, ' . scalar(@uses) . ' uses)');
# The old primary, now a synchronous standby, has them too.
my ($on_a) = node('a')->selectrow_array('SELECT COUNT(*) FROM invites');
is($on_a, $db->selectrow_array('SELECT COUNT(*) FROM invites'), 'the new standby (a) holds every invite');

# ------------------------------------------------------------ no target_session_attrs
# DBDParams without target_session_attrs=read-write: libpq connects to
# the first host, a, now a standby.  The module recognises it (it reports
# in_hot_standby) and, connected to it again, refuses to answer from it:
# the JSON 503 and INV01102, never a read from a standby.
(my $any = $env{INVITE_FAILOVER_PARAMS}) =~ s/ target_session_attrs=\S+//;
my $host_any = InviteTest::start_second_host($top, name => 'failover-any', db => <<"DB");
DBDriver pgsql
DBDParams "$any"
DB
my $res = LWP::UserAgent->new(timeout => 30)->post(
    "http://127.0.0.1:$host_any->{port}/api/v1/findOrCreateInvite", 'Content-Type' => 'application/json',
    'X-User-Id' => $uid->('foCreat', 20), 'X-Auth-Token' => 'tok-' . $uid->('foCreat', 20),
    Content => '{"rid":"GENERAL","days":1,"maxUses":5}');
InviteTest::stop_second_host($host_any);
ok($res->code == 503 && json_of($res) && $res->header('Retry-After'),
   'without target_session_attrs, on the standby: the JSON 503 (' . $res->code . ')');
like(do { local (@ARGV, $/) = ("$host_any->{dir}/error_log"); <> } // '', qr/INV01102: /,
     '... naming the fix (INV01102)');

# ------------------------------------------------------------ read-only
# No server takes writes: a primary set read-only.  Writes are refused
# as read-only (25006) on a pooled connection, which the module connects
# again - finding no primary, so the JSON 503 - and service returns when
# the primary takes writes again, without a restart.
# Until a new session of b sees the setting (the reload is asynchronous).
sub read_only_is {
    my ($want) = @_;
    $db->do('SELECT pg_reload_conf()');
    for (1 .. 100) {
        my ($v) = node('b')->selectrow_array('SHOW default_transaction_read_only');
        return 1 if $v eq $want;
        sleep 0.05;
    }
    die "default_transaction_read_only is not $want";
}
$db->do("ALTER SYSTEM SET default_transaction_read_only = on");
read_only_is('on');
# Keys the load never used: each a create.
my @ro = map { call($ua, 'findOrCreateInvite', {rid => 'GENERAL', days => 30, maxUses => 25},
                    $uid->('foCreat', 20 + $_)) } 0 .. 5;
is(join(' ', map { $_->code } @ro), join(' ', (503) x 6), 'read-only primary: creates get 503');
ok(!grep({ !json_of($_) || !$_->header('Retry-After') } @ro), '... the JSON 503 with Retry-After');
$db->do("ALTER SYSTEM RESET default_transaction_read_only");
read_only_is('off');
my @rw = map { call($ua, 'findOrCreateInvite', {rid => 'GENERAL', days => 30, maxUses => 25},
                    $uid->('foCreat', 20 + $_)) } 0 .. 5;
is(join(' ', map { $_->code } @rw), join(' ', (200) x 6), 'writable again: creates get 200')
    or diag($rw[0]->content);

# ------------------------------------------------------------ standby gone
# The synchronous standby (a) stops: each commit on b waits for it.
# Cancelling the wait (pg_cancel_backend, as an operator might) makes
# PostgreSQL report the commit a success, with a warning, though it
# stands on the primary alone: the module answers 503 (INV01103).
pair('kill', 'a');
my $bg = InviteTest::in_background(sub {
    call(LWP::UserAgent->new(timeout => 30), 'findOrCreateInvite',
         {rid => 'GENERAL', days => 15, maxUses => 25}, $uid->('foCreat', 30));
});
my $waiting = 0;
for (1 .. 100) {
    ($waiting) = $db->selectrow_array("SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'");
    last if $waiting;
    sleep 0.1;
}
ok($waiting, 'the standby stopped: a create waits for it');
$db->do("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE wait_event = 'SyncRep'");
is($bg->()->[0], 503, 'its wait cancelled: 503, not 200');
is($db->selectrow_array('SELECT COUNT(*) FROM invites WHERE user_id = ? AND days = 15 AND max_uses = 25',
                        undef, $uid->('foCreat', 30)), 1, '... its commit standing on the primary alone');
# The same with the backend terminated (a failover tool's way): the
# connection is lost, the module connects again and its retry finds the
# invite - still only on the primary, so still 503.
$bg = InviteTest::in_background(sub {
    call(LWP::UserAgent->new(timeout => 30), 'findOrCreateInvite',
         {rid => 'GENERAL', days => 15, maxUses => 25}, $uid->('foCreat', 31));
});
$waiting = 0;
for (1 .. 100) {
    ($waiting) = $db->selectrow_array("SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'");
    last if $waiting;
    sleep 0.1;
}
$db->do("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event = 'SyncRep'");
is($waiting && $bg->()->[0], 503, 'its backend terminated while it waited: 503, not 200');
pair('sync', 'b', 'off');
my $again = call($ua, 'findOrCreateInvite', {rid => 'GENERAL', days => 15, maxUses => 25}, $uid->('foCreat', 30));
is($again->code, 200, 'synchronous replication off: the same create answers 200');

# ------------------------------------------------------------ httpd
my $errors = do { local (@ARGV, $/) = ("$host->{dir}/error_log"); <> } // '';
like($errors, qr/INV01100: /, 'the module logged the server that takes no writes (INV01100)');
like($errors, qr/INV01103: /, 'and the commit its standby did not confirm (INV01103)');
is(httpd_pid(), $parent, 'the same httpd parent throughout');
unlike($errors, qr/Segmentation fault|exit signal/, 'no child crashed');
ok($errors !~ /SIGUSR1|SIGHUP|Graceful restart/ && (() = $errors =~ /resuming normal operations/g) == 1,
   'httpd was never restarted');
