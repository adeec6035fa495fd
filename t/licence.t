# SPDX-License-Identifier: Apache-2.0
# The licence: LICENSE is the Apache License 2.0 as Debian ships it, and
# every source file of the tree says so in an SPDX line at its head.
use strict;
use warnings;
use Test::More;
use FindBin;
use Cwd qw(abs_path);

my $top = abs_path("$FindBin::Bin/..");
sub slurp { open my $fh, '<', $_[0] or die "$_[0]: $!"; local $/; <$fh> }

my $debian = '/usr/share/common-licenses/Apache-2.0';
SKIP: {
    skip "no $debian on this machine", 1 unless -f $debian;
    is(slurp("$top/LICENSE"), slurp($debian), "LICENSE is Debian's $debian");
}
like(slurp("$top/debian/copyright"), qr/^License: Apache-2\.0$/m, 'debian/copyright: Apache-2.0');

# Source files: C, headers, Perl, shell, Lua, JavaScript, Python, the
# Makefile and the maintainer scripts (the test runs in a copy without .git,
# so the tree is walked).
my @missing;
my $n = 0;
my @dirs = ("$top");
while (my $d = shift @dirs) {
    opendir my $dh, $d or die "$d: $!";
    for my $e (sort grep { !/^\./ || $_ eq '.ci' } readdir $dh) {
        next if $e eq '.' || $e eq '..';
        my $p = "$d/$e";
        my $rel = substr($p, length($top) + 1);
        next if $rel =~ m{^(?:build|demo|fuzz/corpus|t/(?:var|logs|conf|htdocs|client/node_modules)|node_modules|\.libs|\.git)(?:/|$)};
        if (-d $p) { push @dirs, $p; next }
        next unless $rel =~ /\.(?:c|h|pl|pm|t|sh|lua|mjs|py|PL)$/
                 || $rel =~ m{^(?:Makefile|\.ci/run|debian/rules|debian/[\w.-]+\.(?:prerm|postinst|postrm)|t/sanitizer/httpd)$};
        next if $rel =~ m{^t/TEST$};   # written by Apache::Test
        $n++;
        open my $fh, '<', $p or die "$p: $!";
        my $head = join '', grep { defined } map { scalar <$fh> } 1 .. 3;
        push @missing, $rel unless $head =~ /SPDX-License-Identifier: Apache-2\.0/;
    }
}
cmp_ok($n, '>', 150, "$n source files looked at");
is("@missing", '', 'each has SPDX-License-Identifier: Apache-2.0 in its first lines');
done_testing();
