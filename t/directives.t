# SPDX-License-Identifier: Apache-2.0
# docs/directives.md documents exactly the directives the module registers:
# every AP_INIT_* of mod_invite.c and src/*.c has a "## Name Directive"
# section and every such section a registered directive, each section has
# the manual's Description, Syntax, Default, Context, Status and Module
# lines, and its Context is the one the command table's flags give.
use strict;
use warnings;
use Test::More;
use FindBin;
use Cwd qw(abs_path);

my $top = abs_path("$FindBin::Bin/..");

sub slurp {
    my ($path) = @_;
    open my $fh, '<', $path or die "$path: $!";
    local $/;
    return <$fh>;
}

# --- the command tables ---------------------------------------------------
my @sources = ("$top/mod_invite.c", glob("$top/src/*.c"), glob("$top/src/*/*.c"));
my $code = join "\n", map { my $c = slurp($_); $c =~ s{/\*.*?\*/}{ }gs; $c } @sources;

# name => { flags => [...], fn => handler }
my %registered;
while ($code =~ /\bAP_INIT_\w+\s*\(\s*"([^"]+)"\s*,\s*(\w+)\s*,(.*?)"/gs) {
    my ($name, $fn, $rest) = ($1, $2, $3);
    my @flags = $rest =~ /\b(RSRC_CONF|ACCESS_CONF|OR_[A-Z]+)\b/g;
    ok(!$registered{$name}, "$name is registered once");
    $registered{$name} = { flags => \@flags, fn => $fn };
}
cmp_ok(scalar keys %registered, '>=', 11, 'the command tables were found')
    or diag('no AP_INIT_ in ' . join(' ', @sources));

# The manual's Context for a directive: its flags, narrowed to the main
# server when its handler calls ap_check_cmd_context(cmd, GLOBAL_ONLY).
sub expected_context {
    my ($d) = @_;
    my %f = map { $_ => 1 } @{ $d->{flags} };
    my ($body) = $code =~ /\b\Q$d->{fn}\E\s*\([^;{)]*\)\s*\{(.*?)\n\}/s;
    my @ctx;
    if ($f{RSRC_CONF}) {
        push @ctx, 'server config';
        push @ctx, 'virtual host' unless $body && $body =~ /\bGLOBAL_ONLY\b/;
    }
    push @ctx, 'directory' if $f{ACCESS_CONF};
    push @ctx, '.htaccess' if grep { /^OR_/ } keys %f;
    return join ', ', @ctx;
}

# --- the document ---------------------------------------------------------
my $doc = slurp("$top/docs/directives.md");
my %documented;
my @order;
for my $section (split /^(?=## )/m, $doc) {
    next unless $section =~ /\A## (\S+) Directive[ \t]*$/m;
    my $name = $1;
    ok(!$documented{$name}, "$name is documented once");
    push @order, $name;
    my %field;
    # | Label: | value |  (a value may hold escaped pipes: \|)
    while ($section =~ /^\|\s*([A-Za-z ]+):\s*\|\s*(.*?)\s*\|\s*$/mg) {
        $field{$1} = $2;
    }
    $documented{$name} = \%field;
}

my @missing = grep { !$documented{$_} } sort keys %registered;
my @extra = grep { !$registered{$_} } sort keys %documented;
ok(!@missing, 'every registered directive is documented')
    or diag("not in docs/directives.md: @missing");
ok(!@extra, 'every documented directive is registered')
    or diag("documented but not registered by the C sources: @extra");
is_deeply(\@order, [sort { lc $a cmp lc $b } @order],
          'directive sections are in alphabetical order, as the manual');

for my $name (sort keys %documented) {
    my $f = $documented{$name};
    my @absent = grep { !defined $f->{$_} || $f->{$_} eq '' }
                 qw(Description Syntax Default Context Status Module);
    ok(!@absent, "$name: Description, Syntax, Default, Context, Status, Module")
        or diag("$name lacks: @absent");
    is($f->{Status}, 'External', "$name: Status External");
    is($f->{Module}, 'mod_invite', "$name: Module mod_invite");
    like($f->{Syntax} // '', qr/\A`\Q$name\E\b/, "$name: Syntax starts with the name");
    like($f->{Default} // '', qr/\A(?:`\Q$name\E\b|none\z|the )/,
         "$name: Default names the directive, or says none");
    next unless $registered{$name};
    is($f->{Context}, expected_context($registered{$name}),
       "$name: Context matches the command table's flags");
    if (grep { /^OR_/ } @{ $registered{$name}{flags} }) {
        ok($f->{Override}, "$name: allowed in .htaccess, so an Override line");
    }
    else {
        ok(!exists $f->{Override}, "$name: not allowed in .htaccess, so no Override line");
    }
}

# The index lists every directive section.
for my $name (sort keys %documented) {
    like($doc, qr/^- \[\Q$name\E\]\(#\L$name\E-directive\)$/m, "$name is in the index");
}
done_testing();
