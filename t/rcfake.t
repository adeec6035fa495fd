#!/usr/bin/perl
# SPDX-License-Identifier: Apache-2.0
# The simulated replica-set member of t/lib/RCFake.pm, checked before the
# sync tests trust it: its update operators and matching on their own;
# then over the wire with libmongoc 1.23's own change-stream code
# (t/lib/rcfake_watch.c, built here), and with pymongo when Debian's
# python3-pymongo is installed: handshake, events of Rocket.Chat's writes
# in order, updateLookup, the $match and $project of invite-sync's
# pipeline, resume tokens (resumeAfter, startAfter, idle
# postBatchResumeToken), history loss (286), invalidate, find cursors in
# batches, a restart that keeps documents and history, and several
# connections at once.
use strict;
use warnings;
use Test::More;
use FindBin;
use File::Temp qw(tempdir);
use Time::HiRes qw(time sleep);
use lib "$FindBin::Bin/lib";
use RCFake;
use BSON::Types qw(bson_time);

my $dir = tempdir(CLEANUP => 1);

# ------------------------------------------------------------ operators
{
    my $d = RCFake::odoc(_id => 'u', roles => ['user'],
        services => RCFake::odoc(resume => RCFake::odoc(loginTokens => [
            RCFake::odoc(when => bson_time(1), hashedToken => 'A'),
            RCFake::odoc(hashedToken => 'P', type => 'personalAccessToken'),
            RCFake::odoc(when => bson_time(2), token => 'plain') ])));
    RCFake::apply_update($d, { '$addToSet' => { roles => 'admin' } });
    RCFake::apply_update($d, { '$addToSet' => { roles => { '$each' => ['admin', 'bot'] } } });
    is_deeply($d->{roles}, [qw(user admin bot)], '$addToSet adds once, $each');
    RCFake::apply_update($d, { '$pull' => { roles => { '$in' => ['bot', 'none'] } } });
    is_deeply($d->{roles}, [qw(user admin)], '$pull with an operator condition');
    RCFake::apply_update($d, { '$pull' => { 'services.resume.loginTokens' => { hashedToken => 'A' } } });
    is_deeply([ map { $_->{hashedToken} // $_->{token} } @{ $d->{services}{resume}{loginTokens} } ], [qw(P plain)],
              '$pull {hashedToken: X} (unsetOneLoginToken)');
    RCFake::apply_update($d, { '$pull' => { 'services.resume.loginTokens' =>
        { '$or' => [ { hashedToken => 'plain' }, { token => 'plain' } ] } } });
    is_deeply([ map { $_->{hashedToken} } @{ $d->{services}{resume}{loginTokens} } ], ['P'],
              '$pull {$or: [{hashedToken}, {token}]} (destroyToken)');
    RCFake::apply_update($d, { '$push' => { 'services.resume.loginTokens' => RCFake::odoc(when => bson_time(3), hashedToken => 'B') } });
    RCFake::apply_update($d, { '$pull' => { 'services.resume.loginTokens' =>
        { when => { '$exists' => 1 }, hashedToken => { '$ne' => 'C' } } } });
    is_deeply([ map { $_->{hashedToken} } @{ $d->{services}{resume}{loginTokens} } ], ['P'],
              '$pull of non-PAT tokens but one (removeNonPATLoginTokensExcept) keeps the PAT');
    RCFake::apply_update($d, { '$set' => { 'a.b' => 1, name => 'x' }, '$unset' => { roles => 1 } });
    ok(!exists $d->{roles} && $d->{a}{b} == 1 && $d->{name} eq 'x', '$set of a dotted path, $unset');
    ok(RCFake::matches($d, { 'services.resume.loginTokens.hashedToken' => 'P' }), 'match through an array of documents');
    ok(!RCFake::matches($d, { 'services.resume.loginTokens.hashedToken' => 'A' }), '... and not what is gone');
    ok(RCFake::matches($d, { 'ns.coll' => undef }), '{f: null} matches a missing field');
    ok(RCFake::matches({ ns => { coll => 'users' }, operationType => 'update' },
                       { 'ns.coll' => { '$in' => ['users', 'x'] }, operationType => { '$in' => ['insert', 'update'] } }),
       'the $match of invite-sync\'s pipeline');
    my $p = RCFake::project($d, { 'services.resume.loginTokens' => 0, name => 0 });
    ok(!exists $p->{name} && !exists $p->{services}{resume}{loginTokens} && exists $d->{name}, 'exclusion $project, on a copy');
    $p = RCFake::project($d, { 'services.resume.loginTokens.hashedToken' => 1 });
    is_deeply([ sort keys %$p ], [qw(_id services)], 'inclusion projection keeps _id and the path');
    is_deeply($p->{services}{resume}{loginTokens}, [ { hashedToken => 'P' } ], '... through arrays');
}

# ------------------------------------------------------------ the wire
my $fake = RCFake->start("$dir/mongo");
my $c = $fake->client;
my $h = $c->hello;
is($h->{setName}, 'rs0', 'hello: setName rs0');
ok($h->{isWritablePrimary}, '... writable primary');
is_deeply($h->{hosts}, [$fake->host], '... its own address in hosts');
is($h->{maxWireVersion}, 17, '... maxWireVersion 17');

$c->add_user('uA', username => 'alice', roles => ['user'], tokens => [ { hashedToken => 'H0', when => 1_600_000_000_000 } ]);
$c->add_user('uB', username => 'bob');
$c->add_user('uC', username => 'carol');
my $dup = $c->command('rocketchat', [insert => 'users', documents => [ { _id => 'uA' } ]], raw => 1);
is($dup->{writeErrors}[0]{code}, 11000, 'a duplicate _id is a write error 11000');
my @found = $c->find('users', { username => { '$in' => ['alice', 'carol'] } }, projection => { username => 1 }, batch => 1);
is_deeply([ map { "$_->{_id}=$_->{username}" } @found ], ['uA=alice', 'uC=carol'], 'find with filter, projection, batches of 1');

# ------------------------------------------------------------ libmongoc
my $watch;
{
    my $cflags = `pkg-config --cflags --libs libmongoc-1.0 2>/dev/null`;
    chomp $cflags;
    if ($cflags && system("cc -Wall -Wextra -Werror -o $dir/rcfake_watch $FindBin::Bin/lib/rcfake_watch.c $cflags") == 0) {
        $watch = "$dir/rcfake_watch";
    }
}

# Runs rcfake_watch for $secs; calls $during->() once the stream is open;
# returns its output lines.
sub watch {
    my ($secs, $during, @resume) = @_;
    my $pid = open(my $fh, '-|') // die "fork: $!";
    if (!$pid) {
        open STDERR, '>&', \*STDOUT;
        exec $watch, $fake->url, 'rocketchat', $secs, @resume or exit 127;
    }
    my @lines;
    while (my $l = <$fh>) {
        chomp $l;
        push @lines, $l;
        if ($l eq 'ready') { sleep 0.4; $during->() if $during }
    }
    close $fh;
    return @lines;
}
sub events { map { /^event (.*)$/ ? JSON::PP->new->decode($1) : () } @_ }
use JSON::PP ();

SKIP: {
    skip 'libmongoc-dev or cc missing: rcfake_watch not built', 15 unless $watch;
    my @out = watch(2, sub {
        $c->login('uA', 'H1');
        $c->logout('uA', 'H0');
        $c->insert('rocketchat_message', { _id => 'm1', msg => 'not watched' });
        $c->add_room('R1', 'c', name => 'general');
        $c->add_subscription('S1', 'R1', 'uA', roles => ['owner']);
        $c->delete_subscription('S1');
        $c->presence('uB', 'online');
        $c->set_permission('create-invite-links', 'admin', 'owner');
    });
    is(scalar(grep { /^doc / } @out), 3, 'libmongoc: find through getMore (batchSize 2) returns the 3 users');
    my @ev = events(@out);
    is_deeply([ map { "$_->{operationType} $_->{ns}{coll}" } @ev ],
              ['update users', 'update users', 'insert rocketchat_room', 'insert rocketchat_subscription',
               'delete rocketchat_subscription', 'update users', 'insert rocketchat_permissions'],
              'libmongoc: the events in order, the unwatched collection filtered out by $match')
        or diag join "\n", @out;
    is_deeply([ map { $_->{hashedToken} } @{ $ev[1]{fullDocument}{services}{resume}{loginTokens} } ], ['H1'],
              'logout: fullDocument (updateLookup) without the pulled token');
    ok(!grep({ exists $_->{updateDescription} } @ev), '$project removed updateDescription');
    ok(!grep({ $_->{fullDocument} && (exists $_->{fullDocument}{emails} || exists $_->{fullDocument}{services}{password}) } @ev),
       '... and the e-mails and password hash');
    is_deeply($ev[4]{documentKey}, { _id => 'S1' }, 'subscription delete: documentKey only');
    ok(!exists $ev[4]{fullDocument}, '... no fullDocument');
    my ($tok) = map { /^token (.*)$/ ? $1 : () } @out;
    like($tok // '', qr/^{ "_data" : "82[0-9A-F]+" }$/, 'a final resume token');
    my @idle = map { /^idle (.*)$/ ? $1 : () } @out;
    ok(@idle >= 2, 'idle getMores return empty batches with a postBatchResumeToken (' . scalar(@idle) . ')');

    # resume after the second event: the rest again
    my $t2 = JSON::PP->new->canonical->encode($ev[1]{_id});
    my @re = events(watch(1, undef, 'resumeAfter', $t2));
    is_deeply([ map { $_->{_id}{_data} } @re ], [ map { $_->{_id}{_data} } @ev[2 .. $#ev] ],
              'resumeAfter the second event: the five after it, nothing doubled');
    my @sa = events(watch(1, sub { $c->rename_room('R1', 'lobby') }, 'startAfter', $tok));
    is_deeply([ map { "$_->{operationType} $_->{fullDocument}{name}" } @sa ], ['update lobby'],
              'startAfter the last token: only the new event');

    $fake->kill;
    $fake->restart;
    $c = $fake->client;
    is(scalar(my @u = $c->find('users', {})), 3, 'after kill -9 and restart: the documents are there');
    my @after = events(watch(1, undef, 'resumeAfter', $t2));
    is(scalar(@after), scalar(@re) + 1, '... and the history: resuming gives the same events and the rename');

    $c->truncate_history;
    my @lost = watch(1, undef, 'resumeAfter', $t2);
    ok((grep { /^error \d+ 286 / } @lost), 'after rcfakeTruncate, resuming from an older token: error 286')
        or diag join "\n", @lost;

    my @inv = watch(2, sub { $c->invalidate });
    ok((grep { /"operationType" : "invalidate"/ } @inv), 'rcfakeInvalidate: an invalidate event reaches the stream')
        or diag join "\n", @inv;
}

# ------------------------------------------------------------ authentication
SKIP: {
    skip 'rcfake_watch not built', 3 unless $watch;
    my $secure = RCFake->start("$dir/secure", auth => 'syncer:pw-4711');
    my $sc = $secure->client;
    $sc->add_user('uS', username => 'secure');
    my $anon = RCFake::Client->new(host => '127.0.0.1', port => $secure->port);
    is($anon->command('rocketchat', [find => 'users'], raw => 1)->{code}, 13, 'with --auth, no login: Unauthorized (13)');
    my @ok = `$watch '@{[ $secure->url ]}' rocketchat 1 2>&1`;
    ok((grep { /^doc .*"secure"/ } @ok), 'libmongoc logs in with SCRAM-SHA-256 and reads') or diag @ok;
    (my $bad = $secure->url) =~ s/pw-4711/wrong/;
    my @no = `$watch '$bad' rocketchat 1 2>&1`;
    ok((grep { /^error \d+ \d+ Authentication failed/ } @no), '... and a wrong password is refused') or diag @no;
    $secure->stop;
}

# ------------------------------------------------------------ concurrency
{
    my @clients = map { $fake->client } 1 .. 8;
    my $pid = fork // die;
    if (!$pid) {
        my $cc = $fake->client;
        $cc->add_user("k$_", username => "k$_") for 1 .. 50;
        exit 0;
    }
    for my $i (1 .. 50) { $clients[$i % 8]->command('admin', [ping => 1]) }
    waitpid $pid, 0;
    is($?, 0, 'a second process writes while eight connections ping');
    is(scalar(my @k = $c->find('users', { username => { '$regex' => '^k' } })), 50, '... all 50 documents there');
}

# ------------------------------------------------------------ pymongo
my $py = '/usr/bin/python3';
SKIP: {
    skip 'python3-pymongo not installed', 1 unless -x $py && system("$py -c 'import pymongo' 2>/dev/null") == 0;
    my $script = "$dir/check.py";
    open my $fh, '>', $script or die $!;
    print $fh <<'PY';
import sys
from pymongo import MongoClient
c = MongoClient(sys.argv[1], serverSelectionTimeoutMS=5000)
db = c.rocketchat
out = []
with db.watch([{"$match": {"ns.coll": "users"}}], full_document="updateLookup", max_await_time_ms=200) as s:
    s.try_next()
    start = s.resume_token
    db.users.update_one({"_id": "uC"}, {"$addToSet": {"roles": "admin"}})
    ev = s.next()
    out.append("%s %s" % (ev["operationType"], ",".join(ev["fullDocument"]["roles"])))
    db.users.delete_one({"_id": "uC"})
    ev = s.next()
    out.append("%s %s" % (ev["operationType"], ev["documentKey"]["_id"]))
with db.watch(resume_after=start) as s:
    out.append("resumed " + s.next()["operationType"])
with db.watch(start_after=start) as s:
    out.append("started " + s.next()["operationType"])
out.append("find %d" % len(list(db.users.find({}, batch_size=7))))
ts = db.command("ping")["operationTime"]
db.users.insert_one({"_id": "uT"})
with db.watch(start_at_operation_time=ts) as s:
    e1 = s.next(); e2 = s.next()
    out.append("at %s %s" % (e1["operationType"], e2["documentKey"]["_id"]))
print(";".join(out))
PY
    close $fh;
    my $res = `$py $script '@{[ $fake->url ]}' 2>&1`;
    chomp $res;
    is($res, 'update user,admin;delete uC;resumed update;started update;find 52;at delete uT',
       'pymongo: watch, updateLookup, resume_after, start_after, find in batches, start_at_operation_time from a ping');
}

$fake->stop;
ok(!$fake->running, 'the fake stops');
done_testing();
