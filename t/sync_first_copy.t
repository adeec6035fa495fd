#!/usr/bin/perl
# SPDX-License-Identifier: Apache-2.0
# One path from Rocket.Chat to SQL, not two: invite-sync's first copy
# (`invite-sync --once`, from the documents below in the simulated replica
# set of t/lib/RCFake.pm) must give exactly the tables the retired one-shot
# import (scripts/import-rocketchat.pl --replace, from the same documents
# as mongoexport JSON) gave: t/data/first-copy-expected.txt, recorded
# before the import went, when this test ran both and compared them.  On
# the engine under test (SQLite, or a scratch schema of the suite's
# PostgreSQL cluster).
# The dataset: users with roles, tokens (hashed, PAT, legacy plain
# token, one with neither), inactive users, rooms of every type with a
# discussion's prid, subscriptions with roles, a BANNED and an ACTIVE one,
# permissions including one that replaces a seeded permission's roles, and
# broken records: missing FKs, missing and wrongly typed fields.
# rocketchat_invites too: plain --once leaves the invites table alone,
# `--once --invites` gives the invites rows the import made with --invites
# (t/data/first-copy-invites-expected.txt), never overwriting or deleting
# an invite SQL holds.
use strict;
use warnings;
use Test::More;
use FindBin;
use File::Temp qw(tempdir);
use JSON::PP ();
use BSON ();
use lib "$FindBin::Bin/lib";
use InviteSync;
use RCFake;

plan skip_all => "no $InviteSync::BIN (make)" unless -x $InviteSync::BIN;
my $engine = InviteSync::engine();
plan skip_all => 'pgsql run without INVITE_TEST_PG_DSN' if $engine eq 'pgsql' && !$ENV{INVITE_TEST_PG_DSN};

my $top = $InviteSync::TOP;
my $dir = tempdir(CLEANUP => 1);

# ------------------------------------------------------------ the dataset, as mongoexport prints it
my %DATA;
$DATA{users} = <<'JSON';
{"_id":"adminUser00000001","username":"admin","roles":["admin","user"],"active":true,"type":"user","createdAt":{"$date":"2019-03-01T10:00:00Z"},"services":{"password":{"bcrypt":"$2b$10$notarealhashnotarealhashnotarealhashnotarealhash"},"resume":{"loginTokens":[{"when":{"$date":"2020-07-21T09:32:09.563Z"},"hashedToken":"pwv1DlMc4agXVh8vXVtmRdToBr7PWMzF6M9rgEWgkKg="},{"when":{"$date":{"$numberLong":"1595323929999"}},"hashedToken":"SeK7fqtUzwm0Cf+v0/qKipVaYOuXL6rK777T29MgcTI="},{"hashedToken":"INgcBaAS0reTOGHUkTCjy0DSHC0XHhIgrq31OoS5WW4=","type":"personalAccessToken","createdAt":{"$date":"2021-01-01T00:00:00Z"},"lastTokenPart":"Z0kKgA","name":"ci bot","bypassTwoFactor":false}]}},"utcOffset":{"$numberInt":"2"}}
{"_id":"plainUser00000001","username":"plain","roles":["user"],"active":true,"type":"user","utcOffset":{"$numberLong":"0"}}
{"_id":"legacyUser0000001","username":"old.timer","roles":["user","user"],"services":{"resume":{"loginTokens":[{"when":{"$date":"2016-05-09T14:18:49.5Z"},"token":"legacy-plain-token"},{"when":{"$date":"2016-05-09T16:18:49.435+02:00"},"hashedToken":"epfRkPWuHhSp8tt0qhbcDJDZR/t0KHwpqsrl428DYGw="},{"when":{"$date":"2020-01-01T00:00:00Z"}}]}}}
{"_id":"goneUser000000001","username":"gone","roles":["admin"],"active":false,"services":{"resume":{"loginTokens":[{"when":{"$date":"2020-01-01T00:00:00Z"},"hashedToken":"HpnDD9OXzlo4lqG/HeVdInWP1VAKgh9uclzalGtJv9I="}]}}}
{"_id":"nonameUser0000001","roles":[],"services":{}}
{"_id":"nulUser0000000001","username":"bad\u0000name","roles":["admin"]}
{"_id":"botUser0000000001","username":"rocket.cat","roles":["bot"],"type":"bot","active":true,"services":{"resume":{"loginTokens":[{"hashedToken":"Cj3h9pyjWr3vsxNpC7Xzup2MRP1ZWYn6dpbn6sYt7TU=","type":"personalAccessToken","createdAt":{"$date":"2022-02-02T02:02:02Z"},"name":"deploy"}]}}}
{"_id":"numNameUser000001","username":42,"roles":["user"],"active":true}
{"_id":"strRolesUser00001","username":"str.roles","roles":"admin","active":true}
{"_id":"nullRoleUser00001","username":"null.role","roles":["user",null]}
{"_id":"numRoleUser000001","username":"num.role","roles":["user",7]}
{"_id":"badTokUser0000001","username":"bad.tokens","roles":["user"],"services":{"resume":{"loginTokens":[{"when":"yesterday","hashedToken":"Eyv4Bli1tY2bq2r2r2ZK1D2Cg4+vZVi3hL8XrK1sVd0="},{"when":{"$date":"2023-03-03T03:03:03Z"},"hashedToken":12345},"not-a-token"]}}}
{"_id":"manyRoles00000001","username":"many","roles":["user","leader","moderator","owner","livechat-agent"],"active":true,"services":{"resume":{"loginTokens":[{"when":{"$date":"2024-06-30T23:59:59.999Z"},"hashedToken":"3hGQv5V8Dz8s6mDkq1uT3n9dUeR+u2KXmLhE7B8KQ5I="}]}}}
JSON
$DATA{rooms} = <<'JSON';
{"_id":"GENERAL","t":"c","name":"general","default":true,"usersCount":{"$numberInt":"3"},"_updatedAt":{"$date":"2020-07-21T09:32:09.563Z"}}
{"_id":"privRoom000000001","t":"p","name":"o'brien's room","fname":"O'Brien's Room","u":{"_id":"adminUser00000001","username":"admin"}}
{"_id":"adminUser00000001plainUser00000001","t":"d","usernames":["admin","plain"],"uids":["adminUser00000001","plainUser00000001"]}
{"_id":"liveRoom000000001","t":"l","fname":"Caf\u00e9 visitor","v":{"_id":"visitor1","token":"visitor-token"}}
{"_id":"voipRoom000000001","t":"v","name":"voip-1"}
{"_id":"discRoom000000001","t":"p","name":"disc-1","fname":"Budget \\ talk :x","prid":"GENERAL"}
{"_id":"discRoom000000002","t":"c","name":"disc-2","prid":"privRoom000000001","fname":"\u65e5\u672c\u8a9e"}
{"_id":"noTypeRoom0000001","name":"typeless"}
{"_id":"numTypeRoom000001","t":5,"name":"numeric-type"}
{"_id":"numNameRoom000001","t":"c","name":99}
JSON
$DATA{subscriptions} = <<'JSON';
{"_id":"s1","rid":"GENERAL","u":{"_id":"adminUser00000001","username":"admin"},"t":"c","roles":["owner","moderator"],"ts":{"$date":"2020-07-21T09:32:09.563Z"}}
{"_id":"s2","rid":"GENERAL","u":{"_id":"plainUser00000001","username":"plain"},"t":"c"}
{"_id":"s3","rid":"privRoom000000001","u":{"_id":"plainUser00000001","username":"plain"},"t":"p","roles":["moderator"]}
{"_id":"s4","rid":"adminUser00000001plainUser00000001","u":{"_id":"adminUser00000001","username":"admin"},"t":"d"}
{"_id":"s5","rid":"adminUser00000001plainUser00000001","u":{"_id":"plainUser00000001","username":"plain"},"t":"d","status":"ACTIVE"}
{"_id":"s6","rid":"discRoom000000001","u":{"_id":"legacyUser0000001","username":"old.timer"},"t":"p","roles":["owner"],"status":"BANNED"}
{"_id":"s7","rid":"GENERAL","u":{"_id":"ghostUser00000001","username":"ghost"},"t":"c","roles":["owner"]}
{"_id":"s8","rid":"GENERAL","u":{"_id":"nulUser0000000001"},"t":"c"}
{"_id":"s9","rid":"deletedRoom000001","u":{"_id":"adminUser00000001"},"t":"c","roles":["owner"]}
{"_id":"s10","rid":"noTypeRoom0000001","u":{"_id":"adminUser00000001"},"t":"c"}
{"_id":"s11","u":{"_id":"adminUser00000001"},"t":"c"}
{"_id":"s12","rid":"GENERAL","u":{"_id":"goneUser000000001"},"t":"c","roles":["leader"]}
{"_id":"s13","rid":"discRoom000000002","u":{"_id":"manyRoles00000001"},"t":"c","roles":"owner"}
{"_id":"s14","rid":"GENERAL","u":{"_id":"manyRoles00000001"},"t":"c","roles":["owner","owner",3]}
{"_id":"s15","rid":"GENERAL","t":"c"}
{"_id":"s16","rid":42,"u":{"_id":"adminUser00000001"},"t":"c"}
{"_id":"s17","rid":"liveRoom000000001","u":{"_id":"botUser0000000001"},"t":"l","status":7}
JSON
$DATA{permissions} = <<'JSON';
{"_id":"create-invite-links","roles":["admin","owner","leader"],"_updatedAt":{"$date":"2020-07-21T09:32:09.563Z"}}
{"_id":"view-room-administration","roles":["admin"],"_updatedAt":{"$date":{"$numberLong":"1595323929563"}}}
{"_id":"change-setting-Foo","level":"settings","groupPermissionId":"manage-selected-settings","roles":[]}
{"_id":"api-bypass-rate-limit","roles":["admin","bot","app","user"]}
{"_id":"bad-roles-type","roles":"admin"}
{"_id":"no-roles"}
JSON

# rocketchat_invites (the import's --invites FILE, invite-sync's --invites):
# valid ones (days 0 / never expiring, expires null or absent, uses absent,
# _updatedAt absent, canonical and relaxed numbers and dates, numeric
# strings, two alike from one creator, a room and a user that are not
# copied), and broken ones: missing or wrongly typed fields, NUL in _id, an
# ObjectId _id.  kEpt01 is in SQL before the copy ($KEPT_INVITE) and must
# stay as it is there.
$DATA{invites} = <<'JSON';
{"_id":"Xk2mP9","days":7,"maxUses":25,"rid":"GENERAL","userId":"adminUser00000001","createdAt":{"$date":"2024-05-01T12:00:00.123Z"},"expires":{"$date":"2024-05-08T12:00:00.123Z"},"url":"https://chat.example.org/invite/Xk2mP9","uses":3,"_updatedAt":{"$date":"2024-05-02T08:00:00Z"}}
{"_id":"Yq7wR2","days":7,"maxUses":25,"rid":"GENERAL","userId":"adminUser00000001","createdAt":{"$date":"2024-05-03T09:15:00Z"},"expires":{"$date":"2024-05-10T09:15:00Z"},"uses":0,"_updatedAt":{"$date":"2024-05-03T09:15:00Z"}}
{"_id":"nEvEr0","days":0,"maxUses":0,"rid":"privRoom000000001","userId":"adminUser00000001","createdAt":{"$date":"2023-01-15T00:00:00Z"},"expires":null,"uses":{"$numberInt":"12"},"_updatedAt":{"$date":"2023-06-01T10:00:00.5Z"}}
{"_id":"noExp1","days":{"$numberInt":"0"},"maxUses":{"$numberInt":"10"},"rid":"discRoom000000002","userId":"manyRoles00000001","createdAt":{"$date":{"$numberLong":"1700000000000"}},"uses":{"$numberInt":"1"},"_updatedAt":{"$date":{"$numberLong":"1700000300000"}}}
{"_id":"noUses","days":1,"maxUses":1,"rid":"GENERAL","userId":"plainUser00000001","createdAt":{"$date":"2024-02-29T23:59:59.999Z"},"expires":{"$date":"2024-03-01T23:59:59.999Z"},"_updatedAt":{"$date":"2024-02-29T23:59:59.999Z"}}
{"_id":"noUpd1","days":30,"maxUses":100,"rid":"privRoom000000001","userId":"plainUser00000001","createdAt":{"$date":"2022-10-10T10:10:10Z"},"expires":{"$date":"2022-11-09T10:10:10Z"},"uses":4}
{"_id":"dbl15d","days":{"$numberDouble":"15.0"},"maxUses":{"$numberLong":"5"},"rid":"GENERAL","userId":"adminUser00000001","createdAt":{"$date":"2021-12-31T23:00:00+01:00"},"expires":{"$date":"2022-01-15T23:00:00+01:00"},"uses":{"$numberDouble":"2.0"},"_updatedAt":{"$date":"2022-01-01T00:00:00Z"}}
{"_id":"str15d","days":"15","maxUses":"50","rid":"GENERAL","userId":"plainUser00000001","createdAt":{"$date":"2024-03-03T03:03:03Z"},"expires":{"$date":"2024-03-18T03:03:03Z"},"uses":"7","_updatedAt":{"$date":"2024-03-04T03:03:03Z"}}
{"_id":"gh0st1","days":7,"maxUses":0,"rid":"deletedRoom000001","userId":"ghostUser00000001","createdAt":{"$date":"2024-01-01T00:00:00Z"},"expires":{"$date":"2024-01-08T00:00:00Z"},"uses":0,"_updatedAt":{"$date":"2024-01-01T00:00:00Z"}}
{"_id":"o'Neil","days":1,"maxUses":5,"rid":"privRoom000000001","userId":"adminUser00000001","createdAt":{"$date":"2024-04-04T04:04:04Z"},"expires":{"$date":"2024-04-05T04:04:04Z"},"uses":5,"_updatedAt":{"$date":"2024-04-04T05:00:00Z"}}
{"_id":"kEpt01","days":7,"maxUses":25,"rid":"privRoom000000001","userId":"adminUser00000001","createdAt":{"$date":"2024-06-01T00:00:00Z"},"expires":{"$date":"2024-06-08T00:00:00Z"},"uses":9,"_updatedAt":{"$date":"2024-06-02T00:00:00Z"}}
{"_id":"noRid1","days":7,"maxUses":0,"userId":"adminUser00000001","createdAt":{"$date":"2024-01-01T00:00:00Z"},"expires":{"$date":"2024-01-08T00:00:00Z"},"uses":0}
{"_id":"emptyR","days":7,"maxUses":0,"rid":"","userId":"adminUser00000001","createdAt":{"$date":"2024-01-01T00:00:00Z"}}
{"_id":"txtDay","days":"seven","maxUses":0,"rid":"GENERAL","userId":"adminUser00000001","createdAt":{"$date":"2024-01-01T00:00:00Z"}}
{"_id":"frac75","days":7.5,"maxUses":0,"rid":"GENERAL","userId":"adminUser00000001","createdAt":{"$date":"2024-01-01T00:00:00Z"}}
{"_id":"boolDy","days":true,"maxUses":0,"rid":"GENERAL","userId":"adminUser00000001","createdAt":{"$date":"2024-01-01T00:00:00Z"}}
{"_id":"nullDy","days":null,"maxUses":0,"rid":"GENERAL","userId":"adminUser00000001","createdAt":{"$date":"2024-01-01T00:00:00Z"}}
{"_id":"nul\u0000id","days":7,"maxUses":0,"rid":"GENERAL","userId":"adminUser00000001","createdAt":{"$date":"2024-01-01T00:00:00Z"}}
{"_id":{"$oid":"65a1b2c3d4e5f6a7b8c9d0e1"},"days":7,"maxUses":0,"rid":"GENERAL","userId":"adminUser00000001","createdAt":{"$date":"2024-01-01T00:00:00Z"}}
{"_id":"noCrt1","days":7,"maxUses":0,"rid":"GENERAL","userId":"adminUser00000001"}
{"_id":"noMax1","days":7,"rid":"GENERAL","userId":"adminUser00000001","createdAt":{"$date":"2024-01-01T00:00:00Z"}}
{"_id":"numUsr","days":7,"maxUses":0,"rid":"GENERAL","userId":42,"createdAt":{"$date":"2024-01-01T00:00:00Z"}}
{"_id":"badExp","days":7,"maxUses":0,"rid":"GENERAL","userId":"adminUser00000001","createdAt":{"$date":"2024-01-01T00:00:00Z"},"expires":"next week"}
{"_id":"badUse","days":7,"maxUses":0,"rid":"GENERAL","userId":"adminUser00000001","createdAt":{"$date":"2024-01-01T00:00:00Z"},"uses":"many"}
{"_id":"badUpd","days":7,"maxUses":0,"rid":"GENERAL","userId":"adminUser00000001","createdAt":{"$date":"2024-01-01T00:00:00Z"},"_updatedAt":"yesterday"}
JSON
# An invite created through mod_invite before the copy, whose id the copy
# also brings: SQL keeps its own row, slot and all.
my $KEPT_INVITE = "INSERT INTO invites (id, days, max_uses, rid, user_id, created_at, expires, uses, updated_at, slot) VALUES ('kEpt01', 1, 1, 'GENERAL', 'plainUser00000001', 1700000000000, 1700086400000, 1, 1700000500000, 1)";

my %COLL = (users => 'users', rooms => 'rocketchat_room', subscriptions => 'rocketchat_subscription',
            permissions => 'rocketchat_permissions', invites => 'rocketchat_invites');

# ------------------------------------------------------------ the first copy
my $fake = RCFake->start("$dir/mongo");
my $c = $fake->client;
{
    my $json = JSON::PP->new->utf8;
    my $bson = BSON->new(ordered => 1);
    local $SIG{__WARN__} = sub { warn @_ unless $_[0] =~ /isn't numeric/ };   # BSON.pm's +02:00 parsing
    for my $k (sort keys %COLL) {
        my @docs = map { $bson->extjson_to_perl($json->decode($_)) } grep { /\S/ } split /\n/, $DATA{$k};
        $c->insert($COLL{$k}, @docs);
        is(scalar(my @back = $c->find($COLL{$k}, {})), scalar(@docs), "the fake holds the $k documents (" . scalar(@docs) . ')');
    }
}
my ($db_sync, $db_args) = InviteSync::scratch_db("$dir/db", 'diff_sync');
$db_sync->do($KEPT_INVITE);
my $kept_row = InviteSync::dump_invites($db_sync);
is(scalar @$kept_row, 1, 'SQL holds one invite of its own before the copy');
my $settings = InviteSync::settings_file("$dir/invite-sync.conf", outbox => 'off');
my ($st, undef, $err) = InviteSync::run("$dir/run", mongo => $fake->url, settings => $settings, db => $db_args,
                                        args => ['--once']);
is($st, 0, 'invite-sync --once exits 0') or diag $err;
is_deeply(InviteSync::dump_invites($db_sync), $kept_row, 'plain --once leaves invites alone');
unlike($err, qr/rocketchat_invites|invites:/, 'plain --once neither reads nor counts rocketchat_invites');

# ------------------------------------------------------------ the comparison
my @tables = grep { $_ ne 'sync_subscription_ids' } sort keys %InviteSync::COLUMNS;
my $a = expected();
my $b = InviteSync::dump_tables($db_sync, @tables);
is_deeply([sort keys %$a], \@tables, 'the recorded import covers every table the copy writes');
for my $t (@tables) {
    cmp_ok(scalar @{ $a->{$t} || [] }, '>', 0, "import: $t has rows");
    is_deeply($b->{$t}, $a->{$t}, "$t: invite-sync --once gives the import's rows")
        or diag join "\n", InviteSync::dump_diff({ $t => $a->{$t} }, { $t => $b->{$t} });
}
# The subscription id map covers every subscription the copy wrote.
is(scalar @{ InviteSync::dump_tables($db_sync, 'sync_subscription_ids')->{sync_subscription_ids} },
   scalar @{ $b->{subscriptions} }, 'the copy maps each subscription it wrote to its _id');
# a few facts, so that two equally wrong outputs cannot pass
ok((grep { $_ eq 'legacyUser0000001|discRoom000000001|BANNED' } @{ $a->{subscriptions} }), 'the BANNED subscription is kept with its status');
ok((grep { $_ eq 'adminUser00000001|INgcBaAS0reTOGHUkTCjy0DSHC0XHhIgrq31OoS5WW4=|\N' } @{ $a->{login_tokens} }), 'the PAT has no created_at');
ok(!(grep { /^goneUser/ } @{ $a->{login_tokens} }), 'the inactive user has no tokens');
ok(!(grep { /^create-invite-links\|moderator$/ } @{ $a->{permission_roles} }), 'the seeded create-invite-links/moderator grant is replaced');

# ------------------------------------------------------------ --once --invites
# The switch-over's one copy of Rocket.Chat's invite links: the import's
# invites rows (t/data/first-copy-invites-expected.txt), the other tables
# as before.
($st, undef, $err) = InviteSync::run("$dir/run", mongo => $fake->url, settings => $settings, db => $db_args,
                                     args => ['--once', '--invites']);
is($st, 0, 'invite-sync --once --invites exits 0') or diag $err;
my $want = expected_invites();
cmp_ok(scalar @$want, '>', 5, 'the recorded import has invites');
is_deeply(InviteSync::dump_invites($db_sync), $want, "invites: --once --invites gives the import's rows")
    or diag join "\n", InviteSync::dump_diff({ invites => $want }, { invites => InviteSync::dump_invites($db_sync) });
my $b2 = InviteSync::dump_tables($db_sync, @tables);
is_deeply($b2->{$_}, $a->{$_}, "$_: unchanged by --invites") for @tables;
like($err, qr/^invite-sync: INV\d{5}: copy: rocketchat_invites: 25 rows copied, 14 skipped, /m,
     '--invites: the progress of rocketchat_invites (25 read, 14 malformed)');
like($err, qr/^invite-sync: INV\d{5}: invites: 10 copied, 15 skipped \(14 malformed, 1 already in the database/m,
     '--invites: the summary counts copied and skipped invites');
ok((grep { $_ eq $kept_row->[0] } @$want), 'the invite SQL held keeps its row (slot and all)');
ok((grep { /^nEvEr0\|0\|0\|.*\|\\N\|12\|\d+\|\\N$/ } @$want), 'days 0: expires NULL, slot NULL');
ok((grep { /^noUses\|.*\|0\|\d+\|\\N$/ } @$want), 'uses absent: 0');
ok(!(grep { /^(?:noRid1|txtDay|emptyR)\|/ || /\0/ } @$want), 'the broken invites are skipped');

# Copied again: nothing SQL holds is overwritten (an invite used here since).
$db_sync->do("UPDATE invites SET uses = uses + 1, updated_at = updated_at + 1 WHERE id = 'Yq7wR2'");
my $used = InviteSync::dump_invites($db_sync);
($st, undef, $err) = InviteSync::run("$dir/run", mongo => $fake->url, settings => $settings, db => $db_args,
                                     args => ['--once', '--invites']);
is($st, 0, '--once --invites again exits 0') or diag $err;
is_deeply(InviteSync::dump_invites($db_sync), $used, '--invites again: every invite SQL holds is kept as it is');
like($err, qr/^invite-sync: INV\d{5}: invites: 0 copied, 25 skipped \(14 malformed, 11 already in the database/m,
     '--invites again: all skipped');

# An invite removed through mod_invite stays removed by a plain copy (a
# resync).
$db_sync->do("DELETE FROM invites WHERE id = 'Xk2mP9'");
my $removed = InviteSync::dump_invites($db_sync);
($st, undef, $err) = InviteSync::run("$dir/run", mongo => $fake->url, settings => $settings, db => $db_args,
                                     args => ['--once']);
is($st, 0, 'plain --once after a removal exits 0') or diag $err;
is_deeply(InviteSync::dump_invites($db_sync), $removed, 'plain --once does not bring a removed invite back');

# --invites belongs to --once.
for my $args (['--invites'], ['--status', '--invites']) {
    ($st, undef, $err) = InviteSync::run("$dir/run", mongo => $fake->url, settings => $settings, db => $db_args,
                                         args => $args);
    is($st, 2, "@$args: a usage error (exit 2)");
    like($err, qr/--invites goes with --once only/, "@$args: says so");
}
is_deeply(InviteSync::dump_invites($db_sync), $removed, 'the refused runs wrote nothing');
my $help;
($st, $help) = InviteSync::run("$dir/run", args => ['--help']);
like($help, qr/\[--once \[--invites\]\]/, '--help: --invites in the usage');
like($help, qr/^  --invites +with --once: /m, '--help: what --invites does');

$fake->stop;
done_testing();

# The import's invites rows, as recorded: [rows in dump order].
sub expected_invites {
    my @rows;
    open my $fh, '<:encoding(UTF-8)', "$top/t/data/first-copy-invites-expected.txt"
        or die "first-copy-invites-expected.txt: $!";
    while (<$fh>) {
        next if /^#/;
        chomp;
        my ($table, $row) = split /\t/, $_, 2;
        push @rows, $row if $table eq 'invites';
    }
    return \@rows;
}

# The import's tables, as recorded: table -> [rows in dump order].
sub expected {
    my %t;
    open my $fh, '<:encoding(UTF-8)', "$top/t/data/first-copy-expected.txt" or die "first-copy-expected.txt: $!";
    while (<$fh>) {
        next if /^#/;
        chomp;
        my ($table, $row) = split /\t/, $_, 2;
        push @{ $t{$table} }, $row;
    }
    return \%t;
}
