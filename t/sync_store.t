#!/usr/bin/perl
# SPDX-License-Identifier: Apache-2.0
# invite-sync's store on PostgreSQL: the C unit test t/unit/test_sync_store.c
# (built by make unit, which runs it on SQLite only) run against the pgsql
# suite's cluster, in a database of its own that it creates and drops.
use strict;
use warnings;
use Test::More;
use FindBin;

my $top    = "$FindBin::Bin/..";
# make test-asan: the sanitized build (scripts/test.sh makes it).
my $bin    = ($ENV{INVITE_TEST_SANITIZE} // '') eq 'asan' ? "$top/build/asan/test_sync_store"
                                                        : "$top/build/unit/test_sync_store";
my $params = $ENV{INVITE_TEST_PG_PARAMS} // '';

plan skip_all => 'PostgreSQL only (runs in the pgsql suite)'
    unless ($ENV{INVITE_TEST_ENGINE} // '') eq 'pgsql' && $params ne '';
plan skip_all => "$bin is not built (make unit)" unless -x $bin;

chdir $top or die "$top: $!\n";    # it reads conf/schema-*.sql
my $out = `$bin 2>&1`;
my $rc  = $? >> 8;
is($rc, 0, 'test_sync_store exits 0 on both engines');
like($out, qr/^# engine pgsql$/m, 'the PostgreSQL part ran');
my @failed = $out =~ /^(not ok .*)$/mg;
is(scalar @failed, 0, 'no unit test failed') or diag(join "\n", @failed);
my ($planned) = $out =~ /^1\.\.(\d+)$/m;
cmp_ok($planned // 0, '>', 400, 'every unit test ran (' . ($planned // 0) . ')');
done_testing();
