# SPDX-License-Identifier: Apache-2.0
# A rate-limit cache too small for its clients forgets windows: shmcb
# scrolls the oldest entries out of a full subcache, and a client that had
# used its 10 calls starts again from 0.  The loss is seen, counted on the
# server-status page (InviteRateLimitEvicted) and logged (INV00511), at
# most once a minute per process, with the count of windows lost since.
# A second httpd of one process with the smallest shmcb (8192 bytes,
# which holds about 110 windows: make rl-capacity).  And a third, with
# InviteRateLimitCache shmcb and no size: mod_invite's default size.
use strict;
use warnings FATAL => 'all';
use Cwd qw(abs_path);
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use InviteTest;

plan tests => 13;

my $top = abs_path("$FindBin::Bin/../..");
my $mods = '/usr/lib/apache2/modules';
my $host;
END { InviteTest::stop_second_host($host) if $host }
$host = InviteTest::start_second_host($top, name => 'rl-small-' . InviteTest::engine(), conf => <<"CONF");
LoadModule socache_shmcb_module $mods/mod_socache_shmcb.so
LoadModule slotmem_shm_module $mods/mod_slotmem_shm.so
LoadModule status_module $mods/mod_status.so
InviteRateLimitCache shmcb:(8192)
StartServers 1
ServerLimit 1
MaxRequestWorkers 16
<Location /server-status>
    SetHandler server-status
</Location>
CONF
my $base = "http://127.0.0.1:$host->{port}";
my $log = "$host->{dir}/error_log";

sub validate {
    my ($local) = @_;
    return api_post('/api/v1/validateInviteToken', {token => 'nosuch'},
                    url => "$base/api/v1/validateInviteToken", local => $local);
}
sub remaining { $_[0]->header('X-RateLimit-Remaining') // '-' }
sub evicted {
    my $res = api_request(GET => '/server-status?auto', url => "$base/server-status?auto");
    return $res->content =~ /^InviteRateLimitEvicted: (\d+)$/m ? $1 : 'none';
}
sub lost_lines {
    open my $fh, '<', $log or return ();
    return grep { /INV00511/ } <$fh>;
}
# One call each from `n` client addresses 127.P.x.y never seen before.
sub others {
    my ($prefix, $n) = @_;
    my @codes = map { validate(sprintf '127.%d.%d.%d', $prefix, 1 + $_ / 200, 1 + $_ % 200)->code }
                0 .. $n - 1;
    return scalar grep { $_ == 200 } @codes;
}

is(evicted(), 0, 'server-status: InviteRateLimitEvicted 0 at the start');

my $A = '127.0.0.10';
my @a = map { validate($A) } 1 .. 11;
is(join(' ', map { remaining($_) } @a), '9 8 7 6 5 4 3 2 1 0 0',
   'client A uses up its window');
is($a[10]->code, 429, '... its 11th call is 429');

is(others(1, 300), 300, '300 other addresses call once each');
my $res = validate($A);
is($res->code . ' ' . remaining($res), '200 9',
   'the 8192-byte cache has lost A\'s window: A starts again from 0');
is(evicted(), 1, 'server-status: InviteRateLimitEvicted 1');
my @lines = lost_lines();
is(scalar @lines, 1, 'one INV00511 line in the error log');
like($lines[0] // '', qr/\[invite:warn\].*INV00511: rate limit: the shmcb cache lost 1 window before its end/,
     '... a warning naming the cache and the count');

# Again: counted at once, logged only a minute after the last line.
validate($A) for 1 .. 9;
is(remaining(validate($A)), 0, 'A uses up its new window');
others(2, 300);
$res = validate($A);
is(remaining($res), 9, 'lost again');
is(evicted(), 2, 'server-status: InviteRateLimitEvicted 2');
is(scalar(lost_lines()), 1, 'still one INV00511 line: the next waits a minute');

# shmcb without a size: INVITE_RL_SHMCB_DEFAULT_BYTES, not shmcb's 524288.
my $default = InviteTest::start_second_host($top, name => 'rl-default-' . InviteTest::engine(), conf => <<"CONF");
LoadModule socache_shmcb_module $mods/mod_socache_shmcb.so
InviteRateLimitCache shmcb
LogLevel warn invite:info socache_shmcb:debug
CONF
InviteTest::stop_second_host($default);
my @alloc = do {
    open my $fh, '<', "$default->{dir}/error_log" or die $!;
    map { /shmcb_init allocated (\d+) bytes/ ? $1 : () } <$fh>;
};
my %sizes = map { $_ => 1 } @alloc;
is(join(' ', sort keys %sizes), '2240000',
   'InviteRateLimitCache shmcb: a cache of 2240000 bytes');
