# SPDX-License-Identifier: Apache-2.0
# The rate limit on every route, not only findOrCreateInvite
# (t/api/16_rate_limit.t): refused calls (authentication, schema) are never
# counted and carry no X-RateLimit-*; holders of api-bypass-rate-limit are
# never limited and get no headers, holders of create-invite-links alone
# are; validateInviteToken has no login, so nobody is exempt; a window's
# count holds through its last second and ends at X-RateLimit-Reset.
# Source addresses 127.0.3.N: windows of their own.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use InviteTest;
use Time::HiRes qw(time sleep);

plan tests => 5 * 2 + 12 + 5 * 6;

reset_invites();
my $inv = json_of(api_post('/api/v1/findOrCreateInvite', {rid => 'GENERAL', days => 0, maxUses => 0},
                           user => 'admin'))->{_id};
my $WRONG = [$USER{inviter}, 'wrong-token'];

# Each route: how to call it, a body that fails its schema, and a caller
# without api-bypass-rate-limit who gets through (login routes).
my @ROUTES = (
    { name => 'findOrCreateInvite', method => 'POST', path => 'findOrCreateInvite',
      body => {rid => 'GENERAL', days => 1, maxUses => 0}, bad => {rid => 'GENERAL'},
      user => 'inviter', login => 1 },
    { name => 'useInviteToken', method => 'POST', path => 'useInviteToken',
      body => {token => $inv}, bad => {tokn => $inv}, user => 'inviter', login => 1 },
    { name => 'validateInviteToken', method => 'POST', path => 'validateInviteToken',
      body => {token => $inv}, bad => {} },
    { name => 'listInvites', method => 'GET', path => 'listInvites', user => 'inviter', login => 1 },
    { name => 'removeInvite', method => 'DELETE', path => 'removeInvite/NoSuchInvite',
      user => 'inviter', login => 1 },
);

# Calls route $r under $prefix from $ip; %o: user (default the route's),
# body (default the route's).
sub call {
    my ($r, $prefix, $ip, %o) = @_;
    my $user = exists $o{user} ? $o{user} : $r->{user};
    my $body = exists $o{body} ? $o{body} : $r->{body};
    my @body = defined $body
        ? (type => 'application/json', body => JSON::PP->new->canonical->encode($body)) : ();
    return api_request($r->{method} => "$prefix/api/v1/$r->{path}", user => $user, local => $ip, @body);
}
sub headers { join ' ', map { $_[0]->header("X-RateLimit-$_") // '-' } qw(Limit Remaining Reset) }
sub has_no_headers { !grep { headers($_) ne '- - -' } @_ }
sub codes { join ' ', map { $_->code } @_ }
sub now_ms { int(time * 1000) }

# --- refused calls are not counted ----------------------------------------
my $n = 10;
for my $r (@ROUTES) {
    my $ip = '127.0.3.' . $n++;
    my (@refused, @want);
    if ($r->{login}) {
        push @refused, call($r, '/limited', $ip, user => $WRONG) for 1 .. 3;
        push @refused, call($r, '/limited', $ip, user => undef) for 1 .. 2;
        push @want, (401) x 5;
    }
    if ($r->{bad}) {
        push @refused, call($r, '/limited', $ip, body => $r->{bad}) for 1 .. 3;
        push @want, (400) x 3;
    }
    ok(codes(@refused) eq "@want" && has_no_headers(@refused),
       "$r->{name}: refused calls (" . codes(@refused) . ') carry no X-RateLimit-*')
        or diag(join ' | ', map { headers($_) } @refused);
    my $res = call($r, '/limited', $ip);
    is($res->header('X-RateLimit-Remaining'), 9, "$r->{name}: the next call opens the window (Remaining 9)");
}

# --- who is limited: api-bypass-rate-limit, not create-invite-links ------
# 12 calls each on /limited (10 per 60 s), each caller and route from an
# address of its own.
sub twelve {
    my ($r, $user) = @_;
    my $ip = '127.0.3.' . $n++;
    return map { call($r, '/limited', $ip, user => $user) } 1 .. 12;
}
my %want_bypass = (findOrCreateInvite => [admin => 200, bot => 400],
                   useInviteToken => [admin => 200, bot => 200],
                   listInvites => [admin => 200, bot => 400],
                   removeInvite => [admin => 400, bot => 400]);
for my $r (grep { $_->{login} } @ROUTES) {
    my %want = @{ $want_bypass{$r->{name}} };
    for my $user (sort keys %want) {
        my @res = twelve($r, $user);
        ok(codes(@res) eq join(' ', ($want{$user}) x 12) && has_no_headers(@res),
           "$r->{name}: $user (api-bypass-rate-limit) is never limited, no headers")
            or diag(codes(@res));
    }
    next if $r->{name} eq 'findOrCreateInvite';   # t/api/16_rate_limit.t
    my @res = twelve($r, 'inviter');
    is(join(' ', map { $_->code == 429 ? 429 : 'ok' } @res), join(' ', ('ok') x 10, 429, 429),
       "$r->{name}: inviter (create-invite-links, no bypass) is limited: 429 from the 11th call");
}
my @res = twelve($ROUTES[2], 'admin');
is(join(' ', map { $_->code } @res), join(' ', (200) x 10, 429, 429),
   'validateInviteToken: no login, so even admin\'s headers exempt nobody');

# --- the window holds through its last second, then resets ---------------
# /shortlimit allows 3 calls per 2 s.  Every route uses up a window; a
# call 500 ms before its X-RateLimit-Reset is still refused in the same
# window, and one 100 ms after it opens the next.
my @events;
for my $r (@ROUTES) {
    my $ip = '127.0.3.' . $n++;
    my @four = map { call($r, '/shortlimit', $ip) } 1 .. 4;
    my ($reset) = map { $_->header('X-RateLimit-Reset') // 0 } $four[0];
    is(join(' ', map { $_->header('X-RateLimit-Remaining') // '-' } @four), '2 1 0 0',
       "$r->{name}: Remaining 2 1 0 0 in one window");
    is(join(' ', map { $_->code == 429 ? 429 : 'ok' } @four), 'ok ok ok 429', "$r->{name}: the 4th call is 429");
    push @events, [$reset - 500, 'held', $r, $ip, $reset], [$reset + 100, 'reset', $r, $ip, $reset];
}
for my $e (sort { $a->[0] <=> $b->[0] } @events) {
    my ($at, $what, $r, $ip, $reset) = @$e;
    my $left = ($at - now_ms()) / 1000;
    sleep $left if $left > 0;
    my $res = call($r, '/shortlimit', $ip);
    if ($what eq 'held') {
        is($res->code . ' ' . headers($res), "429 3 0 $reset",
           "$r->{name}: 500 ms before the reset the window still counts (429, same Reset)");
        my ($wait) = $res->content =~ /You must wait (\d+) seconds/;
        is($wait, 1, "$r->{name}: ... and says to wait 1 second");
    }
    else {
        my $next = $res->header('X-RateLimit-Reset') // 0;
        ok($res->code != 429 && $res->header('X-RateLimit-Remaining') eq '2'
           && $next >= $reset + 2000, "$r->{name}: after the reset, a new window (Remaining 2)")
            or diag($res->code . ' ' . headers($res));
        my $j = json_of($res);
        is(ref $j eq 'HASH' ? $j->{errorType} : undef, $r->{name} eq 'removeInvite' ? 'invalid-invitation-id' : undef,
           "$r->{name}: ... and the call does its work");
    }
}
reset_invites();
