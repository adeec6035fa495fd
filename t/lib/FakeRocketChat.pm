# SPDX-License-Identifier: Apache-2.0
package FakeRocketChat;
# The fake Rocket.Chat REST server (t/lib/fake-rocketchat.py) that the join
# outbox is delivered to: start one on a free loopback port, shape its
# state, read back the calls it took, stop it.
#
#   my $rc = FakeRocketChat->start($dir, user_id => 'botid', token => 'tok',
#                                  rooms => { GENERAL => 'c', PRIV => 'p' });
#   ... invite-sync with rocketchat_url = $rc->url ...
#   $rc->state(members => { GENERAL => ['u1'] }, banned => {...}, denied => ['p']);
#   $rc->fail(2, 500);            # the next 2 calls answer 500 ('close': no answer)
#   my @calls = $rc->calls;       # ({route, roomId, userId, status, result, at}, ...)
#   my @uids  = $rc->members('GENERAL');
#   $rc->post('channels.invite', { roomId => ..., userId => ... }, auth => 0);
#   $rc->stop;
use strict;
use warnings;
use File::Path qw(make_path remove_tree);
use HTTP::Tiny;
use JSON::PP ();
use FindBin;
use PyServer;

my $script = "$FindBin::Bin/lib/fake-rocketchat.py";
$script = "$FindBin::Bin/../lib/fake-rocketchat.py" unless -e $script;
my $json = JSON::PP->new->canonical;

sub start {
    my ($class, $dir, %opt) = @_;
    remove_tree($dir);
    make_path($dir);
    my @args = ('--log', "$dir/calls.jsonl");
    push @args, '--user-id', $opt{user_id} if defined $opt{user_id};
    push @args, '--token', $opt{token} if defined $opt{token};
    my $rooms = $opt{rooms} || {};
    push @args, map { ('--room', "$_=" . (ref $rooms->{$_} ? "$rooms->{$_}{t}:$rooms->{$_}{name}" : $rooms->{$_})) }
                sort keys %$rooms;
    my $users = $opt{users} || {};
    push @args, map { ('--user', "$_=$users->{$_}") } sort keys %$users;
    push @args, '--port', $opt{port} if $opt{port};
    my ($pid, $port) = PyServer::spawn("$dir/server.log", "$dir/port", $script, @args);
    return bless { dir => $dir, pid => $pid, port => $port, user_id => $opt{user_id}, token => $opt{token},
                   http => HTTP::Tiny->new(timeout => 10, keep_alive => 0) }, $class;
}

sub port { $_[0]{port} }
sub url  { 'http://127.0.0.1:' . $_[0]{port} }
sub pid  { $_[0]{pid} }
sub log_file { "$_[0]{dir}/calls.jsonl" }
sub server_log { PyServer::slurp("$_[0]{dir}/server.log") }

sub stop {
    my ($self) = @_;
    PyServer::stop(delete $self->{pid});
}

sub DESTROY { $_[0]->stop }

# POST a JSON body to a path; returns (status, decoded body or undef, raw
# response).
sub _post {
    my ($self, $path, $body, %h) = @_;
    my $res = $self->{http}->post($self->url . $path, {
        headers => { 'Content-Type' => 'application/json', %h },
        content => $json->encode($body) });
    my $data = eval { $json->decode($res->{content}) };
    return ($res->{status}, $data, $res);
}

sub _control {
    my ($self, $path, $body) = @_;
    my ($status, undef, $res) = $self->_post($path, $body);
    die "fake-rocketchat $path: $status $res->{content}" unless $status == 200;
    return 1;
}

# The next $count calls to the invite routes fail with $status (500, 429,
# 503, ... or 'close'), each after $delay seconds.
sub fail {
    my ($self, $count, $status, $delay) = @_;
    return $self->_control('/_fake/fail', { count => $count, status => $status // 500,
                                            delay => $delay // 0 });
}

# Merges into the fake's state: rooms => {RID => 'c'|'p'|{t, name}}, users
# => {UID => USERNAME}, members => {RID => [UID...]}, banned => {RID =>
# [UID...]}, denied => ['c', 'p'] (room types the bot may not add to),
# forbidden_status => 400|403.
sub state { my ($self, %s) = @_; return $self->_control('/_fake/state', \%s) }

# Forgets the calls, the members and pending failures.
sub reset { $_[0]->_control('/_fake/reset', {}) }

# The calls taken, in order (from the fake itself).
sub calls {
    my ($self) = @_;
    my $res = $self->{http}->get($self->url . '/_fake/calls');
    die "fake-rocketchat /_fake/calls: $res->{status}" unless $res->{status} == 200;
    return @{ $json->decode($res->{content}) };
}

# The calls as the log file holds them (one JSON object a line).
sub logged_calls {
    my ($self) = @_;
    return map { $json->decode($_) } grep { /\S/ } split /\n/, PyServer::slurp($self->log_file);
}

# The user ids the fake holds as members of a room.
sub members {
    my ($self, $rid) = @_;
    my $res = $self->{http}->get($self->url . '/_fake/members?roomId=' . $rid);
    die "fake-rocketchat /_fake/members: $res->{status}" unless $res->{status} == 200;
    return @{ $json->decode($res->{content}) };
}

# A call to a route as invite-sync makes it: ('channels.invite', {roomId,
# userId}); auth => 0 sends no credentials, auth => [uid, token] others.
sub post {
    my ($self, $route, $body, %opt) = @_;
    my $auth = exists $opt{auth} ? $opt{auth} : [$self->{user_id} // 'bot', $self->{token} // 'token'];
    my %h = $auth ? ('X-User-Id' => $auth->[0], 'X-Auth-Token' => $auth->[1]) : ();
    return $self->_post("/api/v1/$route", $body, %h);
}

1;
