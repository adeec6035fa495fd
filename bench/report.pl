#!/usr/bin/env perl
# SPDX-License-Identifier: Apache-2.0
# bench/report.pl - the results table of bench/run.sh, and its checks.
#
#   perl bench/report.pl --meta meta.txt --runs runs.tsv [--rss rss.tsv] --out results.md
#
# runs.tsv: one row per wrk run (engine, workload, rep, rps, p50_ms, p99_ms,
# non2xx, unexpected, requests, read_errors, timeouts, made, wrk_rc, and
# the run's changes to the database: created (invites), subscribed
# (subscriptions), used (sum of uses); mailed, the mails the relay took, and
# relay_cpu_s, its CPU seconds, NA without one); rep "warmup" and "rss" rows are
# checked but not reported.  Engine static rows measure a ceiling file;
# their workload is its name.  Prints the report and writes it to --out.
# Exits 1 when a check failed: wrk failed or gave no numbers, a request got
# a status (or body) other than its workload's (%EXPECT), a connect error
# or timeout, a read-only workload wrote, use wrote other than one
# subscription and one use per request, remove deleted fewer invites than
# it got 200s, mail's relay took fewer mails than it got answers (or
# another workload mailed), a probe failed, an error-level line or crash in an httpd
# error log, or a run is missing.  wrk's read/write errors are reported
# only: httpd closing a keep-alive connection at MaxKeepAliveRequests races
# wrk's next request.
use strict;
use warnings;
use Getopt::Long qw(GetOptions);

my %o;
GetOptions(\%o, 'meta=s', 'runs=s', 'rss=s', 'statements=s', 'out=s') && $o{meta} && $o{runs} && $o{out}
    or die "usage: $0 --meta FILE --runs FILE [--rss FILE] [--statements FILE] --out FILE\n";

# What each workload's answers must be.  Those with a `script` entry are
# checked by bench/wrk/common.lua's expect() ("Unexpected responses"), the
# others by wrk's non-2xx count.
my %EXPECT = (
    find         => { status => '2xx' },
    create       => { status => '2xx' },
    mixed        => { status => '2xx' },
    reject       => { status => '401', script => 1 },
    validate     => { status => '200 {"valid":true,"success":true}', script => 1 },
    use          => { status => '200', script => 1 },
    'use-member' => { status => '200', script => 1 },
    remove       => { status => '200 true', script => 1 },
    list         => { status => '200', script => 1 },
    mail         => { status => '200 {"success":true}', script => 1 },
    'find-sync'  => { status => '2xx' },
);
my %READ_ONLY = map { $_ => 1 } qw(find reject validate use-member list mail find-sync);

my %m;
open my $fh, '<', $o{meta} or die "$0: $o{meta}: $!\n";
while (<$fh>) { chomp; $m{$1} = $2 if /^([\w-]+)=(.*)$/ }
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
    my $x = $r->{engine} eq 'static' ? { status => '2xx' } : $EXPECT{$r->{workload}};
    if ($x->{script}) {
        push @problems, "$what: the count of unexpected responses is missing"
            unless num($r->{unexpected});
        push @problems, "$what: $r->{unexpected} responses other than $x->{status}"
            if num($r->{unexpected}) && $r->{unexpected} > 0;
    } elsif ($r->{non2xx} > 0) {
        push @problems, "$what: $r->{non2xx} non-2xx responses";
    }
    push @problems, "$what: $r->{timeouts} connect errors or timeouts" if $r->{timeouts} > 0;
    my ($inv, $sub, $use) = map { num($_) ? $_ : 0 } @$r{qw(created subscribed used)};
    my $req = num($r->{requests}) ? $r->{requests} : 0;
    if ($r->{engine} eq 'static') {
        # a file: nothing to check in a database
    } elsif ($READ_ONLY{$r->{workload}}) {
        push @problems, "$what: wrote (invites $inv, subscriptions $sub, uses $use)"
            if $inv || $sub || $use;
    } elsif ($r->{workload} eq 'use') {
        push @problems, "$what: $sub subscriptions but $use uses added" if $sub != $use || $inv;
        push @problems, "$what: " . ($req - $sub) . " of $req requests were member repeats"
            if $sub < $req;
    } elsif ($r->{workload} eq 'remove') {
        push @problems, "$what: " . (-$inv) . " invites deleted for $req requests"
            if -$inv < $req || $sub || $use;
    }
    # Each mail answer means the relay took that mail (the module waits for
    # its 250); wrk does not count the requests in flight when it stops.
    if (num($r->{mailed}) && $r->{engine} ne 'static') {
        if ($r->{workload} eq 'mail') {
            push @problems, "$what: the relay took $r->{mailed} mails for $req requests"
                if $r->{mailed} < $req;
        } elsif ($r->{mailed}) {
            push @problems, "$what: the relay took $r->{mailed} mails";
        }
    }
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
my @rows = ((map { ['static', $_] } split ' ', $m{ceilings} // 'static'),
            map { my $e = $_; map { [$e, $_] } split ' ', $m{workloads} } split ' ', $m{engines});
my %stat;
for my $row (@rows) {
    my $key = "@$row";
    my @r = grep { num($_->{rps}) } @{$by{$key} || []};
    push @problems, "$key: " . scalar(@r) . " of $m{repeats} runs produced numbers"
        if @r != $m{repeats};
    next unless @r;
    my $script = $row->[0] ne 'static' && $EXPECT{$row->[1]}{script};
    $stat{$key} = {
        rps   => median(map { $_->{rps} } @r),
        min   => (sort { $a <=> $b } map { $_->{rps} } @r)[0],
        max   => (sort { $b <=> $a } map { $_->{rps} } @r)[0],
        p50   => median(map { $_->{p50_ms} } grep { num($_->{p50_ms}) } @r),
        p99   => median(map { $_->{p99_ms} } grep { num($_->{p99_ms}) } @r),
        bad   => sum(map { $script ? (num($_->{unexpected}) ? $_->{unexpected} : 0) : $_->{non2xx} } @r),
        rw    => sum(map { $_->{read_errors} } @r),
        to    => sum(map { $_->{timeouts} } @r),
        reqs  => sum(map { num($_->{requests}) ? $_->{requests} : 0 } @r),
        map({ my $k = $_; ($k => $row->[0] eq 'static' ? undef
                                 : sum(map { num($_->{$k}) ? $_->{$k} : 0 } @r)) }
            qw(created subscribed used mailed)),
    };
}
sub ceiling {                   # workload -> [its ceiling's name, median req/s]
    my $c = $m{"ceiling_$_[0]"} // 'static';
    return [$c, $stat{"static $c"} ? $stat{"static $c"}{rps} : undef];
}
# What the measured runs wrote, in words.
sub writes {
    my ($w, $s) = @_;
    my @w;
    my $share = sub { $s->{reqs} ? sprintf(' (%.0f%% of requests)', 100 * abs($_[0]) / $s->{reqs}) : '' };
    push @w, sprintf('%+d invites%s', $s->{created}, $w =~ /^(create|mixed|remove)$/ ? $share->($s->{created}) : '')
        if $s->{created};
    push @w, sprintf('%+d subscriptions%s', $s->{subscribed}, $w eq 'use' ? $share->($s->{subscribed}) : '')
        if $s->{subscribed};
    push @w, sprintf('%+d uses', $s->{used}) if $s->{used};
    push @w, sprintf('%d mails%s', $s->{mailed}, $w eq 'mail' ? $share->($s->{mailed}) : '')
        if $s->{mailed};
    push @w, sprintf('%d member repeats', $s->{reqs} - $s->{subscribed})
        if $w eq 'use' && $s->{reqs} > $s->{subscribed};
    return @w ? join(', ', @w) : 'none';
}

# ------------------------------------------------------------ report
my $fmt_ms = sub { defined $_[0] ? sprintf('%.2f', $_[0]) : 'n/a' };
my @out;
push @out, '# mod_invite benchmark (make bench)', '';
push @out, $m{smoke} ? '**Smoke run (make bench-smoke): tiny data set, 1-second runs; the numbers are not a measurement.**' : (), $m{smoke} ? '' : ();
push @out, "- Date: $m{date}",
    "- CPU: $m{cpu}; $m{cores} cores",
    "- Software: $m{httpd}; SQLite $m{sqlite}; $m{postgres}; $m{wrk}",
    "- Module: git $m{module}",
    "- Load: wrk -t1 -c$m{connections} -d$m{duration}s --timeout " . ($m{timeout} // 2) . "s --latency, after a $m{warmup}s warm-up of the same script; "
        . "$m{repeats} repeat(s), alternating engines, static interleaved"
        . ($m{list_seed} ? "; list and list.json with -c$m{list_connections}" : ''),
    "- Pinning: $m{pinning}",
    "- httpd (all three instances): event MPM, StartServers 2, MinSpareThreads 25, MaxSpareThreads 75, "
        . "ThreadLimit 64, ThreadsPerChild 25, MaxRequestWorkers 150, MaxConnectionsPerChild 0; "
        . "KeepAlive On, MaxKeepAliveRequests 100, KeepAliveTimeout 5; no access log; LogLevel warn",
    "- Database pool: $m{pool}; SQLite: WAL, DBDInitSQL \"PRAGMA synchronous = NORMAL\"; "
        . "PostgreSQL 15: fsync on, synchronous_commit off, shared_buffers 256MB, Unix socket",
    "- Extra module configuration: $m{extra_conf}",
    ($m{mail_relay} ? "- Mail relay (mail): $m{mail_relay}" : ()),
    "- Data set: seed.pl $m{seed}",
    "  ($m{seed_rows})",
    '';
push @out, "- Data set of list: seed.pl $m{list_seed}", "  ($m{list_seed_rows})", ''
    if $m{list_seed};
push @out, '| engine | workload | req/s (median) | min-max | p50 ms | p99 ms | bad status | timeouts | read errors | writes | vs static |',
           '|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|';
for my $row (@rows) {
    my $s = $stat{"@$row"} or next;
    my ($c, $crps) = @{ceiling($row->[1])};
    my $vs = $row->[0] eq 'static' ? ($c eq $row->[1] ? '1.00' : 'n/a')
           : $crps ? sprintf('%.2f', $s->{rps} / $crps) . ($c eq 'static' ? '' : " ($c)") : 'n/a';
    push @out, sprintf '| %s | %s | %.0f | %.0f-%.0f | %s | %s | %d | %d | %d | %s | %s |',
        @$row, $s->{rps}, $s->{min}, $s->{max}, $fmt_ms->($s->{p50}), $fmt_ms->($s->{p99}),
        $s->{bad}, $s->{to}, $s->{rw}, $row->[0] eq 'static' ? '-' : writes($row->[1], $s), $vs;
}
push @out, '',
    q{req/s, p50, p99: medians over the repeats; bad status: responses other than the }
    . q{workload's (below), summed; timeouts: wrk's connect errors and timeouts; }
    . q{read errors: wrk's read/write errors, from requests sent on a connection httpd is }
    . q{closing after MaxKeepAliveRequests (wrk reconnects); writes: what the measured runs }
    . q{changed in the database (invites and subscriptions rows, the sum of uses; member }
    . q{repeats: use requests that added no subscription; mails: those the relay took); }
    . q{vs static: median req/s over }
    . q{that of the static file holding the workload's answer (static rows: the files; }
    . q{static.json unless named).}, '',
    'Expected answers: ' . join('; ', map { "$_ $EXPECT{$_}{status}" } grep { $EXPECT{$_} } split ' ', $m{workloads}) . '.',
    'Static files: ' . join('; ', map { sprintf '%s.json %s bytes', $_, $m{"ceiling_bytes_$_"} // '?' } split ' ', $m{ceilings} // 'static') . '.', '';

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

# mail: how much of the servers' CPU the test relay took (it shares CPU 0).
my @mail = grep { $stat{"$_ mail"} } split ' ', $m{engines};
if (@mail) {
    push @out, '## mail and its relay', '',
        'The relay (t/lib/smtp-sink.py --discard, Python) shares the servers\' CPU: its CPU seconds '
        . 'over the measured seconds, and per mail it took (medians over the repeats). '
        . 'The rest of a request (1 / req/s less the relay\'s share, the core being saturated) is what '
        . 'httpd, the module and libcurl spent.', '',
        '| engine | mail req/s | relay CPU share | relay us per mail | rest of a request us |',
        '|---|---:|---:|---:|---:|';
    for my $e (@mail) {
        my @r = grep { num($_->{relay_cpu_s}) && num($_->{mailed}) && $_->{mailed} > 0 && num($_->{rps}) }
                @{$by{"$e mail"} || []};
        next unless @r;
        my $share = median(map { $_->{relay_cpu_s} / $m{duration} } @r);
        my $us = median(map { 1e6 * $_->{relay_cpu_s} / $_->{mailed} } @r);
        my $req_us = 1e6 / $stat{"$e mail"}{rps};
        push @out, sprintf '| %s | %.0f | %.0f%% | %.0f | %.0f |', $e, $stat{"$e mail"}{rps},
            100 * $share, $us, $req_us - $us;
    }
    push @out, '';
}

# invite-sync: find beside the sync's writes, and the store's own speed.
my @sync_load = map { $m{$_} } sort { ($a =~ /(\d+)$/)[0] <=> ($b =~ /(\d+)$/)[0] } grep { /^sync_load_\d+$/ } keys %m;
my @sync_apply = map { $m{$_} } sort { ($a =~ /(\d+)$/)[0] <=> ($b =~ /(\d+)$/)[0] } grep { /^sync_apply_\d+$/ } keys %m;
if (@sync_load || @sync_apply) {
    push @out, '## invite-sync', '';
    my @fs = grep { $stat{"$_ find-sync"} && $stat{"$_ find"} } split ' ', $m{engines};
    if (@fs) {
        push @out, "find-sync is find while invite-sync's store applies $m{sync_rate} login and logout events "
            . 'a second to the same database (a transaction every 200 ms, as the daemon batches; '
            . 'bench/sync_apply_bench.c --load, on the servers\' CPU). Its spread is set beside find\'s.', '',
            '| engine | find req/s (min-max) | find-sync req/s (min-max) | ratio | find-sync p99 ms |',
            '|---|---:|---:|---:|---:|';
        for my $e (@fs) {
            my ($f, $s) = ($stat{"$e find"}, $stat{"$e find-sync"});
            push @out, sprintf '| %s | %.0f (%.0f-%.0f) | %.0f (%.0f-%.0f) | %.2f | %s |', $e, $f->{rps}, $f->{min}, $f->{max},
                $s->{rps}, $s->{min}, $s->{max}, $s->{rps} / $f->{rps}, $s->{p99};
        }
        push @out, '', 'The load as kept (per measured run):', '', map({ "    $_" } @sync_load), '';
    }
    if (@sync_apply) {
        push @out, 'The store alone (bench/sync_apply_bench.c, no MongoDB; one core):', '',
            map({ "    $_" } @sync_apply), '';
    }
}

# The find statement measured alone (run.sh, "statement alone"): engine,
# statement, executions/s, us per execution, how.
if ($o{statements} && -s $o{statements}) {
    open $fh, '<', $o{statements} or die "$0: $o{statements}: $!\n";
    my @st = map { chomp; [split /\t/] } <$fh>;
    close $fh;
    my $static_us = $stat{'static static'} ? 1e6 / $stat{'static static'}{rps} : undef;
    push @out, '## The find statement alone', '',
        'invite_find without httpd, on the data set as loaded: SQLite on one connection in a tight loop '
        . 'over the find targets (bench/statement-loop.c, on the servers\' CPU); PostgreSQL through '
        . 'pgbench -M prepared (16 clients on wrk\'s CPU, the cluster on the servers\' CPU). '
        . 'A find request costs the servers\' CPU 1 / (find req/s): the core is saturated. '
        . (defined $static_us ? sprintf('The static file costs %.1f us a request.', $static_us) : ''), '',
        '| engine | statement | executions/s | us per execution | find request us | statement / request | how |',
        '|---|---|---:|---:|---:|---:|---|';
    for my $r (@st) {
        my ($e, $label, $eps, $us, $how) = @$r;
        my $find = $stat{"$e find"};
        my $req_us = $find ? 1e6 / $find->{rps} : undef;
        push @out, sprintf '| %s | %s | %s | %s | %s | %s | %s |', $e, $label, $eps, $us,
            defined $req_us ? sprintf('%.1f', $req_us) : 'n/a',
            defined $req_us ? sprintf('%.0f%%', 100 * $us / $req_us) : 'n/a', $how;
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
