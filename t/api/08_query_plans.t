# SPDX-License-Identifier: Apache-2.0
# Every statement mod_invite prepares is answered from indexes, on the
# engine under test (EXPLAIN QUERY PLAN on SQLite; EXPLAIN with sequential
# scans disabled on PostgreSQL, so a missing index shows as a Seq Scan).
# The plans are printed with diag(); docs/query-plans.md keeps a copy.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use InviteTest;
use Cwd qw(abs_path);

my $top = abs_path("$FindBin::Bin/../..");
my @stmts = map { [split /\t/, $_, 2] } grep { length } split /\n/, `$top/build/invite-sql-dump ${\ engine()}`;

plan tests => 1 + 2 * @stmts + 1 + 1;   # invite_sync_status: one more

is(scalar(@stmts), engine() eq 'pgsql' ? 15 : 17, 'every prepared statement of ' . engine());
my $dbh = InviteTest::dbh();
my $pg = engine() eq 'pgsql';
$dbh->do('SET enable_seqscan = off') if $pg;
for my $s (@stmts) {
    my ($label, $sql) = @$s;
    my $n = 0;
    # apr_dbd's format codes become the driver's placeholders.
    $sql =~ s/%(?:lld|d|s)/$pg ? '$' . ++$n : do { ++$n; '?' }/ge;
    my @args = map { $_ } (1) x $n;
    my $plan;
    if ($pg) {
        # Bind as text and let the server cast, like apr_dbd's PREPARE.
        my $rows = $dbh->selectall_arrayref("EXPLAIN $sql", undef, @args);
        $plan = join "\n", map { $_->[0] } @$rows;
    }
    else {
        my $rows = $dbh->selectall_arrayref("EXPLAIN QUERY PLAN $sql", undef, @args);
        $plan = join "\n", map { $_->[3] } @$rows;
    }
    diag("$label (" . engine() . "):\n$plan");
    # An INSERT ... VALUES searches nothing: SQLite prints no plan for it.
    ok(length $plan || ($label =~ /^invite_(?:create|use_outbox)$/ && !$pg), "$label: has a plan");
    if ($label eq 'invite_list') {
        # listInvites returns every row by design: one pass and a sort,
        # touching no other table.
        like($plan, qr/Seq Scan on invites|SCAN invites/, "$label: one pass over invites");
        unlike($plan, qr/Join|Nested|SEARCH|SubPlan/, "$label: and nothing else");
    }
    elsif ($label eq 'invite_sync_status') {
        # The server-status page counts join_outbox, which invite-sync
        # keeps near empty: one pass over it, sync_state by its key.
        unlike($plan, qr/(?:Seq Scan|SCAN) (?!join_outbox\b)(?!one_row\b|\(subquery|CONSTANT ROW)\w+/,
               "$label: no other table scanned");
        like($plan, qr/sync_state/, "$label: sync_state read");
    }
    elsif ($pg) {
        unlike($plan, qr/Seq Scan/, "$label: no sequential scan");
    }
    else {
        # Only the one-row derived tables of invite_find may be scanned.
        unlike($plan, qr/^SCAN (?!one_row\b|\(subquery|CONSTANT ROW)/m,
               "$label: no table scan");
    }
}
$dbh->do('RESET enable_seqscan') if $pg;
