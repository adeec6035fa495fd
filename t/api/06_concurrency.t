# Identical concurrent requests create exactly one invite (spec §10.1),
# across the threads and the processes of the test server.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use InviteTest;
use POSIX ();

plan tests => 6;

my $P = '/api/v1/findOrCreateInvite';
my $N = 48;
reset_invites();

# Fork N clients that wait on one pipe, then fire together.
sub burst {
    my ($body, $users) = @_;
    pipe(my $go_r, my $go_w) or die $!;
    my @kids;
    for my $i (0 .. $N - 1) {
        pipe(my $r, my $w) or die $!;
        my $pid = fork // die $!;
        if (!$pid) {
            close $go_w; close $r;
            sysread($go_r, my $buf, 1);   # blocks until the parent closes
            my $res = api_post($P, $body, user => $users->[$i % @$users]);
            my $j = json_of($res) || {};
            print $w join(' ', $res->code, $j->{_id} // '-'), "\n";
            close $w;
            POSIX::_exit(0);
        }
        close $w;
        push @kids, [$pid, $r];
    }
    close $go_r;
    close $go_w;   # go
    my @out;
    for (@kids) {
        my ($pid, $r) = @$_;
        my $line = <$r> // "0 -\n";
        chomp $line;
        push @out, [split / /, $line];
        waitpid $pid, 0;
    }
    return @out;
}

my @res = burst({rid => 'GENERAL', days => 7, maxUses => 25}, ['admin']);
is(scalar(grep { $_->[0] == 200 } @res), $N, "$N concurrent identical requests: all 200");
my %ids = map { $_->[1] => 1 } @res;
is(scalar(keys %ids), 1, 'all carry the same _id');
is(invite_count($USER{admin}, 'GENERAL'), 1, 'exactly one row');

# Two creators racing: one invite each.
@res = burst({rid => 'GENERAL', days => 15, maxUses => 50}, ['admin', 'admin2']);
is(scalar(grep { $_->[0] == 200 } @res), $N, 'two creators: all 200');
%ids = map { $_->[1] => 1 } @res;
is(scalar(keys %ids), 2, 'two distinct _ids');
is(InviteTest::db_value('SELECT COUNT(*) FROM invites WHERE days = 15 AND max_uses = 50'), 2,
   'one row per creator');
