# SPDX-License-Identifier: Apache-2.0
# The README's runnable blocks: the lines between "    # NAME" and
# "    # end of NAME" (indented four spaces, as every code block of the
# README), for the tests that run them as an administrator would
# (t/site_examples.t: the quick start; t/package.t: the install and
# upgrade steps and the quick start).
package ReadmeBlock;
use strict;
use warnings;

# The block's text without its indentation, or undef when there is none.
sub block {
    my ($top, $name) = @_;
    open my $fh, '<', "$top/README" or die "$top/README: $!";
    my $readme = do { local $/; <$fh> };
    my ($text) = $readme =~ /^    # \Q$name\E\n(.*?)^    # end of \Q$name\E$/ms;
    return undef unless defined $text;
    $text =~ s/^    //mg;
    return $text;
}

1;
