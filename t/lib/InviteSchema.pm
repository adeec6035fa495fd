# SPDX-License-Identifier: Apache-2.0
package InviteSchema;
# The statements of conf/schema-<engine>.sql, one by one and without
# comments, for the test harness and the import test to load with DBI.
use strict;
use warnings;

sub statements {
    my ($engine, $top) = @_;
    my $file = "$top/conf/schema-$engine.sql";
    open my $fh, '<:raw', $file or die "$file: $!";
    my $sql = join '', grep { !/^\s*--/ } <$fh>;
    $sql =~ s/--[^\n]*//g;
    return grep { /\S/ } split /;\s*(?:\n|$)/, $sql;
}

1;
