#!/usr/bin/perl
# SPDX-License-Identifier: Apache-2.0
# make check-layers (run by make unit): the #include lines keep the layers
# of src/mod_invite_private.h, each calling only those below it:
#
#   mod_invite.c > src/handle/ > glue (config_walk > config > ratelimit >
#   http > db > status) > core (include/, src/invite_*.c)
#
#   - include/*.h and src/invite_*.c (the httpd-free core) include no
#     httpd header and no header of src/;
#   - no glue file (src/mod_invite_*.[ch]) includes a header of
#     src/handle/, nor the header of a glue file above its own;
#   - src/mod_invite_db_error.h belongs to mod_invite_db.c: no other file
#     includes it;
#   - the headers of src/ and src/handle/ include one another without a
#     cycle.
# Prints the broken rules and exits 1, or one line and exits 0.
use strict;
use warnings;
use FindBin;

chdir "$FindBin::Bin/.." or die "$!\n";

# Glue units, lowest first: a file may include the headers of its own
# unit and of the units below it.
my @GLUE = qw(status db http ratelimit config config_walk);
my %rank = map { $GLUE[$_] => $_ } 0 .. $#GLUE;
$rank{db_error} = $rank{db};    # mod_invite_db.c's own helper
$rank{ratelimit_socache} = $rank{ratelimit};

# Headers that belong to httpd (apr, apr-util, jansson and the C library
# are allowed in the core).
my $HTTPD = qr{^(?:httpd|http_\w+|ap_\w+|mod_\w+|util_\w+|scoreboard|mpm_\w+)\.h$};

sub includes {
    my ($file) = @_;
    open my $in, '<', $file or die "$file: $!\n";
    my @inc;
    while (<$in>) {
        push @inc, [$1, $2] if /^\s*#\s*include\s*([<"])([^>"]+)[>"]/;
    }
    return @inc;
}

sub unit_of {    # "db" for src/mod_invite_db.c, mod_invite_db.h, ...
    my ($name) = @_;
    return $name =~ m{(?:^|/)mod_invite_(\w+)\.[ch]$} ? $1 : undef;
}

my @errors;
my @core = (glob('include/*.h'), glob('src/invite_*.c'));
my @glue = (glob('src/mod_invite_*.c'), glob('src/mod_invite_*.h'));
my @handle = (glob('src/handle/*.c'), glob('src/handle/*.h'));

for my $f (@core) {
    for my $i (includes($f)) {
        my ($kind, $name) = @$i;
        push @errors, "$f includes httpd's <$name>: include/ and the core are httpd-free"
            if $name =~ $HTTPD && $kind eq '<';
        push @errors, "$f includes $name, a header of src/: the core is below the glue"
            if $kind eq '"' && ($name =~ /^mod_invite_|handle/ || -e "src/$name");
    }
}

for my $f (@glue) {
    my $own = unit_of($f);
    for my $i (includes($f)) {
        my ($kind, $name) = @$i;
        next unless $kind eq '"';
        if ($name =~ m{handle} || -e "src/handle/$name") {
            push @errors, "$f includes $name: no glue file calls up into src/handle/";
            next;
        }
        my $unit = unit_of($name);
        next if !defined $unit || $unit eq 'private';
        if (!exists $rank{$unit}) {
            push @errors, "$f includes $name, a glue header of no known layer (scripts/check-layers.pl \@GLUE)";
        }
        elsif (defined $own && exists $rank{$own} && $rank{$unit} > $rank{$own}) {
            push @errors, "$f includes $name: mod_invite_$unit is above mod_invite_$own";
        }
    }
}

for my $f (@core, @glue, @handle, 'mod_invite.c', glob('tools/*.c'),
           glob('fuzz/*.[ch]'), glob('t/unit/*.[ch]')) {
    next if $f =~ m{src/mod_invite_db(?:_error)?\.c$};
    for my $i (includes($f)) {
        push @errors, "$f includes mod_invite_db_error.h, which is mod_invite_db.c's own"
            if $i->[1] =~ /mod_invite_db_error\.h$/;
    }
}

# No cycle among the headers of src/.
my %edges;
for my $h (glob('src/*.h'), glob('src/handle/*.h')) {
    (my $dir = $h) =~ s{/[^/]+$}{};
    for my $i (includes($h)) {
        next unless $i->[0] eq '"';
        my ($t) = grep { -e $_ } ("$dir/$i->[1]", "src/$i->[1]");
        push @{ $edges{$h} }, $t if $t;
    }
}
my %state;    # 1: on the path, 2: done
my @path;
sub visit {
    my ($h) = @_;
    return if ($state{$h} // 0) == 2;
    if (($state{$h} // 0) == 1) {
        my @cycle = (@path[(grep { $path[$_] eq $h } 0 .. $#path)[0] .. $#path], $h);
        push @errors, 'include cycle: ' . join(' -> ', @cycle);
        return;
    }
    $state{$h} = 1;
    push @path, $h;
    visit($_) for @{ $edges{$h} // [] };
    pop @path;
    $state{$h} = 2;
}
visit($_) for sort keys %edges;

if (@errors) {
    print STDERR "check-layers: $_\n" for @errors;
    exit 1;
}
printf "check-layers: %d files keep the layers\n",
    scalar(@core) + scalar(@glue) + scalar(@handle) + 1;
