# SPDX-License-Identifier: Apache-2.0
# The rate limit's default shmcb cache holds the clients it is sized for:
# build/rl-shmcb-capacity (tools/rl_shmcb_capacity.c, make rl-capacity)
# loads httpd's mod_socache_shmcb.so and fills it with mod_invite's ids,
# values and hints.  At INVITE_RL_SHMCB_DEFAULT_BYTES it must keep every
# window of INVITE_RL_EXPECTED_CLIENTS clients that each use all 10 calls,
# which shmcb's own default of 524288 bytes does not.
use strict;
use warnings;
use Test::More;
use FindBin;
use Cwd qw(abs_path);

plan tests => 5;

my $top = abs_path("$FindBin::Bin/..");
my $tool = "$top/build/rl-shmcb-capacity";

my $check = `$tool --check 2>&1`;
is($?, 0, 'rl-shmcb-capacity --check: the default size holds the expected clients') or diag($check);
my ($bytes, $held, $expected) = $check =~ /shmcb of (\d+) bytes holds (\d+) clients of 10 calls .* expected clients (\d+)/;
ok(defined $held && $held >= $expected && $expected >= 1000,
   "... $held clients of 10 calls at $bytes bytes, at least the expected " . ($expected // '?'));

# shmcb's own default, and the smallest size it takes.
my $table = `$tool 0 8192 2>&1`;
is($?, 0, 'rl-shmcb-capacity 0 8192') or diag($table);
my %row = map { my @f = split; $f[0] => [@f[1 .. 3]] } grep { /^\s*\d+\s+\d+/ } split /\n/, $table;
ok($row{524288} && $row{524288}[2] < ($expected // 0),
   "shmcb's own 524288 bytes: fewer clients of 10 calls (" . ($row{524288}[2] // '?') . ')');
ok($row{8192} && $row{8192}[0] < 150 && $row{8192}[1] >= $row{8192}[0],
   "8192 bytes: a first loss after " . ($row{8192}[0] // '?') . ' one-call clients, '
   . ($row{8192}[1] // '?') . ' windows held when full');
