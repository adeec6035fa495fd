#!/usr/bin/perl
# SPDX-License-Identifier: Apache-2.0
# sanitizer-scan.pl asan|valgrind DIR WHAT: reads the reports the test
# servers left in DIR (t/sanitizer/httpd writes them) and fails on any
# sanitizer error and on any leak not suppressed by t/sanitizer/*.supp.
# A leak whose stack reaches mod_invite (mod_invite.so, its sources) is
# named as the module's; suppressions only ever cover other code.
use strict;
use warnings;

my ($mode, $dir, $what) = @ARGV;
die "usage: $0 asan|valgrind DIR WHAT\n" unless $mode && $dir && $what;
# A frame of the module: its .so, a source file of this tree (file.c:LINE,
# so that e.g. .../src/libsanitizer/...cpp is not taken for one), or an
# invite_ function.
my $ours = qr{mod_invite\.so|mod_invite\.c:\d|/src/[\w/]+\.c:\d|invite_\w+\s*\(};
my (@errors, @module_leaks, @other_leaks);
my $files = 0;

sub slurp { open my $fh, '<', $_[0] or die "$_[0]: $!"; local $/; <$fh> }

if ($mode eq 'asan') {
    for my $f (sort glob("$dir/asan.* $dir/ubsan.*")) {
        $files++;
        my $text = slurp($f);
        (my $name = $f) =~ s{.*/}{};
        # ASan errors and UBSan reports (both halt the process).
        while ($text =~ /^(==\d+==ERROR: AddressSanitizer.*?)(?=^SUMMARY:|\z)/msg) {
            push @errors, "$name: $1";
        }
        while ($text =~ /^(.*runtime error:.*?)(?=^\S|\z)/mg) {
            push @errors, "$name: $1";
        }
        for my $block ($text =~ /^((?:Direct|Indirect) leak of .*?)(?:\n\n|\z)/msg) {
            push @{ $block =~ $ours ? \@module_leaks : \@other_leaks }, "$name: $block";
        }
    }
}
elsif ($mode eq 'valgrind') {
    for my $f (sort glob("$dir/vg.*.log")) {
        $files++;
        my $text = slurp($f);
        (my $name = $f) =~ s{.*/}{};
        my ($n) = $text =~ /ERROR SUMMARY: (\d+) errors/;
        if (!defined $n) {
            push @errors, "$name: no ERROR SUMMARY (the process did not exit normally)";
            next;
        }
        next if $n == 0;
        # Errors and definite leaks (--errors-for-leak-kinds=definite).
        for my $block (split /\n(?===\d+== \n)/, $text) {
            $block =~ s/^==\d+== ?//mg;
            next unless $block =~ /\S/;
            if ($block =~ /definitely lost in/) {
                push @{ $block =~ $ours ? \@module_leaks : \@other_leaks }, "$name: $block";
            }
            elsif ($block =~ /^\s*(Invalid|Conditional|Use of uninit|Syscall param|Mismatched|Source and destination|Argument .* of function)/m) {
                push @errors, "$name: $block";
            }
        }
        push @errors, "$name: ERROR SUMMARY: $n errors" unless @errors || @module_leaks || @other_leaks;
    }
}
else { die "unknown mode $mode\n" }

# ASan writes a report file only when it has something to say; memcheck
# writes one per process, so none means httpd did not run under it.
die "FAIL: $what: no memcheck logs in $dir (was httpd run under valgrind?)\n"
    if $mode eq 'valgrind' && !$files;
print STDERR "== $_\n" for @errors;
print STDERR "== leak in module code: $_\n" for @module_leaks;
print STDERR "== leak outside the module (suppress it in t/sanitizer/ with the reason it is not ours, or fix it): $_\n"
    for @other_leaks;
if (@errors || @module_leaks || @other_leaks) {
    printf STDERR "FAIL: %s: %d error(s), %d module leak(s), %d other leak(s) in %d report file(s)\n",
        $what, scalar @errors, scalar @module_leaks, scalar @other_leaks, $files;
    exit 1;
}
print "$what: $mode clean ($files process report(s), no errors, no unsuppressed leaks)\n";
