# SPDX-License-Identifier: Apache-2.0
# Runs last (after t/api/ and the other t/*.t): no login token, and no
# hash of one, appears in any log the suite's servers wrote - the error
# logs at the suite's LogLevel (invite:info), the access and timing logs,
# and the second hosts' logs.  The module never logs a token or a hash;
# this checks that nothing it says, and nothing httpd says about its
# requests, carries one.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use InviteTest;
use File::Find;
use MIME::Base64 qw(encode_base64);

my $logs = Apache::Test::vars('t_logs');
my @files;
find(sub { push @files, $File::Find::name if -f && (/_log$/ || /\.log$/) },
     $logs, "$FindBin::Bin/var");

# Every token the suite uses: the fixtures', and those tests make up.
my @tokens = map { @{ $_->[1] } } values %InviteTest::FIXTURE_USERS;
push @tokens, map { "aged-$_" } qw(fresh d89 d91 d2 ancient pat);
push @tokens, 'trip-token', map({ sprintf 'raceNew%06d-token', $_ } 1 .. 40),
              map({ sprintf 'lifeNew%06d-token', $_ } 1 .. 3), 'bouncer-token-1';
push @tokens, 'ops-token-1', 'ops-old-token', 'ops-nl-token', "ops-nl-token\n",
              'ops-ghost-token';   # t/api/26_operator_logs.t
my @secrets = map { ($_, token_hash($_)) } @tokens;

plan tests => 3 + @files;

cmp_ok(scalar(@files), '>=', 3, 'the suite left its logs (' . scalar(@files) . ' files)');
ok((grep { m{/error_log$} && -s } @files), 'the error log is not empty');
# The search works on these files: what requests do leave is found.
my ($access) = grep { m{/access_log$} } @files;
ok($access && do { local (@ARGV, $/) = $access; <> =~ m{/api/v1/findOrCreateInvite} },
   'the access log holds the requests (so a token in it would be found)');
for my $f (@files) {
    open my $fh, '<', $f or die "$f: $!";
    local $/;
    my $text = <$fh> // '';
    my @found = grep { index($text, $_) >= 0 } @secrets;
    is(scalar(@found), 0, "$f: no token or token hash") or diag("found: @found");
}
