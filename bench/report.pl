#!/usr/bin/env perl
# bench/report.pl - the results table of bench/run.sh, and its checks.
#
#   perl bench/report.pl --meta meta.txt --runs runs.tsv [--rss rss.tsv] --out results.md
#
# runs.tsv: one row per wrk run (engine, workload, rep, rps, p50_ms, p99_ms,
# non2xx, non401, requests, read_errors, timeouts, wrk_rc, created); rep "warmup"
# and "rss" rows are checked but not reported.  Prints the report and
# writes it to --out.  Exits 1 when a check failed: wrk failed or gave no
# numbers, a request got a wrong status (reject: anything but 401, others:
# non-2xx), a connect error or timeout, find or reject inserted invites, a
# probe failed, an error-level line or crash in an httpd error log, or a run
# is missing.  wrk's read/write errors are reported only: httpd closing a
# keep-alive connection at MaxKeepAliveRequests races wrk's next request.
use strict;
use warnings;
use Getopt::Long qw(GetOptions);

my %o;
GetOptions(\%o, 'meta=s', 'runs=s', 'rss=s', 'out=s') && $o{meta} && $o{runs} && $o{out}
    or die "usage: $0 --meta FILE --runs FILE [--rss FILE] --out FILE\n";

my %m;
open my $fh, '<', $o{meta} or die "$0: $o{meta}: $!\n";
while (<$fh>) { chomp; $m{$1} = $2 if /^(\w+)=(.*)$/ }
close $fh;

my (@runs, @problems);
open $fh, '<', $o{runs} or die "$0: $o{runs}: $!\n";
my $head = <$fh>;
chomp $head;
my @cols = split /\t/, $head;
while (<$fh>) {
    chomp;
    my %r;
    @r{@cols} = split /\t/, $_, -1;
    push @runs, \%r;
}
close $fh;

sub num { return defined $_[0] && $_[0] =~ /^-?[\d.]+$/ }
sub median {
    my @v = sort { $a <=> $b } @_;
    return undef unless @v;
    return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
}
sub sum { my $s = 0; $s += $_ for @_; return $s }

# ------------------------------------------------------------ checks
for my $r (@runs) {
    my $what = "$r->{engine} $r->{workload} (run $r->{rep})";
    push @problems, "$what: wrk exited with status $r->{wrk_rc}" if $r->{wrk_rc} ne '0';
    push @problems, "$what: no Requests/sec in wrk's output" unless num($r->{rps});
    push @problems, "$what: no requests made" unless num($r->{requests}) && $r->{requests} > 0;
    if ($r->{workload} eq 'reject') {
        push @problems, "$what: the non-401 count is missing" unless num($r->{non401});
        push @problems, "$what: $r->{non401} responses other than 401"
            if num($r->{non401}) && $r->{non401} > 0;
    } elsif ($r->{non2xx} > 0) {
        push @problems, "$what: $r->{non2xx} non-2xx responses";
    }
    push @problems, "$what: $r->{timeouts} connect errors or timeouts" if $r->{timeouts} > 0;
    push @problems, "$what: the invites table changed by $r->{created} rows"
        if ($r->{workload} eq 'find' || $r->{workload} eq 'reject')
        && num($r->{created}) && $r->{created} != 0;
}
push @problems, "$m{probe_failures} probe requests got a wrong status"
    if ($m{probe_failures} // 0) > 0;
for my $k (sort grep { /^errorlog_/ } keys %m) {
    (my $name = $k) =~ s/^errorlog_//;
    push @problems, "$name: $m{$k} error-level lines or crashes in its error log"
        if $m{$k} =~ /^\d+$/ && $m{$k} > 0;
}

# ------------------------------------------------------------ aggregate
my @measured = grep { $_->{rep} =~ /^\d+$/ } @runs;
my %by;                         # "engine workload" -> [runs]
push @{$by{"$_->{engine} $_->{workload}"}}, $_ for @measured;
my @rows = (['static', 'static'],
            map { my $e = $_; map { [$e, $_] } split ' ', $m{workloads} } split ' ', $m{engines});
my %stat;
for my $row (@rows) {
    my $key = "@$row";
    my @r = grep { num($_->{rps}) } @{$by{$key} || []};
    push @problems, "$key: " . scalar(@r) . " of $m{repeats} runs produced numbers"
        if @r != $m{repeats};
    next unless @r;
    my $reject = $row->[1] eq 'reject';
    $stat{$key} = {
        rps   => median(map { $_->{rps} } @r),
        min   => (sort { $a <=> $b } map { $_->{rps} } @r)[0],
        max   => (sort { $b <=> $a } map { $_->{rps} } @r)[0],
        p50   => median(map { $_->{p50_ms} } grep { num($_->{p50_ms}) } @r),
        p99   => median(map { $_->{p99_ms} } grep { num($_->{p99_ms}) } @r),
        bad   => sum(map { $reject ? (num($_->{non401}) ? $_->{non401} : 0) : $_->{non2xx} } @r),
        rw    => sum(map { $_->{read_errors} } @r),
        to    => sum(map { $_->{timeouts} } @r),
        reqs  => sum(map { num($_->{requests}) ? $_->{requests} : 0 } @r),
        new   => $row->[0] eq 'static' ? undef : sum(map { num($_->{created}) ? $_->{created} : 0 } @r),
    };
}
my $static = $stat{'static static'} ? $stat{'static static'}{rps} : undef;

# ------------------------------------------------------------ report
my $fmt_ms = sub { defined $_[0] ? sprintf('%.2f', $_[0]) : 'n/a' };
my @out;
push @out, '# mod_invite benchmark (make bench)', '';
push @out, $m{smoke} ? '**Smoke run (make bench-smoke): tiny data set, 1-second runs; the numbers are not a measurement.**' : (), $m{smoke} ? '' : ();
push @out, "- Date: $m{date}",
    "- CPU: $m{cpu}; $m{cores} cores",
    "- Software: $m{httpd}; SQLite $m{sqlite}; $m{postgres}; $m{wrk}",
    "- Module: git $m{module}",
    "- Load: wrk -t1 -c$m{connections} -d$m{duration}s --latency, after a $m{warmup}s warm-up of the same script; "
        . "$m{repeats} repeat(s), alternating engines, static interleaved",
    "- Pinning: $m{pinning}",
    "- httpd (all three instances): event MPM, StartServers 2, MinSpareThreads 25, MaxSpareThreads 75, "
        . "ThreadLimit 64, ThreadsPerChild 25, MaxRequestWorkers 150, MaxConnectionsPerChild 0; "
        . "KeepAlive On, MaxKeepAliveRequests 100, KeepAliveTimeout 5; no access log; LogLevel warn",
    "- Database pool: $m{pool}; SQLite: WAL, DBDInitSQL \"PRAGMA synchronous = NORMAL\"; "
        . "PostgreSQL 15: fsync on, synchronous_commit off, shared_buffers 256MB, Unix socket",
    "- Extra module configuration: $m{extra_conf}",
    "- Data set: seed.pl $m{seed}",
    "  ($m{seed_rows})",
    '';
push @out, '| engine | workload | req/s (median) | min-max | p50 ms | p99 ms | bad status | timeouts | read errors | new invites | vs static |',
           '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|';
for my $row (@rows) {
    my $s = $stat{"@$row"} or next;
    my $new = !defined $s->{new} ? '-'
            : $row->[1] =~ /^(create|mixed)$/ && $s->{reqs}
            ? sprintf('%d (%.0f%% of requests)', $s->{new}, 100 * $s->{new} / $s->{reqs})
            : $s->{new};
    push @out, sprintf '| %s | %s | %.0f | %.0f-%.0f | %s | %s | %d | %d | %d | %s | %s |',
        @$row, $s->{rps}, $s->{min}, $s->{max}, $fmt_ms->($s->{p50}), $fmt_ms->($s->{p99}),
        $s->{bad}, $s->{to}, $s->{rw}, $new, $static ? sprintf('%.2f', $s->{rps} / $static) : 'n/a';
}
push @out, '',
    q{req/s, p50, p99: medians over the repeats; bad status: responses other than 2xx }
    . q{(reject: other than 401), summed; timeouts: wrk's connect errors and timeouts; }
    . q{read errors: wrk's read/write errors, from requests sent on a connection httpd is }
    . q{closing after MaxKeepAliveRequests (wrk reconnects); new invites: rows the measured }
    . q{runs added to invites; vs static: median req/s over the static file's.}, '';

my @mix = grep { $stat{"$_ find"} && $stat{"$_ create"} && $stat{"$_ mixed"} } split ' ', $m{engines};
if (@mix) {
    push @out, '## mixed against its expectation', '',
        'Expected req/s of 90% find and 10% create: 1 / (0.9 / find + 0.1 / create).', '',
        '| engine | find | create | expected mixed | mixed | mixed / expected |',
        '|---|---:|---:|---:|---:|---:|';
    for my $e (@mix) {
        my ($f, $c, $x) = map { $stat{"$e $_"}{rps} } qw(find create mixed);
        my $exp = 1 / (0.9 / $f + 0.1 / $c);
        push @out, sprintf '| %s | %.0f | %.0f | %.0f | %.0f | %.2f |', $e, $f, $c, $exp, $x, $x / $exp;
    }
    push @out, '';
}

if ($o{rss} && -s $o{rss}) {
    my (%meta, @children);
    open $fh, '<', $o{rss} or die "$0: $o{rss}: $!\n";
    while (<$fh>) {
        chomp;
        if (/^#(\w+)\t(.*)$/) { $meta{$1} = $2; next }
        push @children, [split /\t/];
    }
    close $fh;
    push @out, '## Memory', '',
        sprintf('VmRSS of the %s instance\'s httpd children before and after %s find requests '
            . '(children alive at both points: %d; children before: %s, after: %s).',
            $meta{engine} // '?', $meta{requests} // '?', scalar @children,
            $meta{before} // '?', $meta{after} // '?'), '';
    if (@children) {
        push @out, '| child pid | before KiB | after KiB | growth KiB |', '|---:|---:|---:|---:|';
        push @out, map { sprintf '| %d | %d | %d | %d |', @$_ } @children;
        my ($max) = sort { $b <=> $a } map { $_->[3] } @children;
        push @out, '', "Largest growth: $max KiB.";
    } else {
        push @out, 'No child lived through the whole run.';
    }
    push @out, '';
}

if (@problems) {
    push @out, '## Problems', '', map({ "- $_" } @problems), '';
}
my $text = join("\n", @out) . "\n";
print $text;
open my $w, '>', $o{out} or die "$0: $o{out}: $!\n";
print {$w} $text;
close $w or die "$0: $o{out}: $!\n";
exit(@problems ? 1 : 0);
