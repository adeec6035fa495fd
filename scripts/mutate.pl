#!/usr/bin/perl
# make mutate: a small, repeatable mutation run over the core's decisions.
# Each mutant is one realistic bug, applied to a throwaway copy of the
# tree; the fast suites that should notice it run there (the C unit tests,
# and for SQL and HTTP mutants the named Apache::Test files on SQLite).  A
# mutant is "killed" when a suite fails.  Prints one line per mutant and
# the score; exits non-zero when a mutant survives or does not apply.
#
#   scripts/mutate.pl [ID...]     (all mutants by default)
use strict;
use warnings;
use File::Temp qw(tempdir);
use Cwd qw(abs_path);
use FindBin;

my $top = abs_path("$FindBin::Bin/..");

# [id, file, original (must occur exactly once), mutant, tests]
# tests: 'unit' and/or Apache::Test files (run on SQLite).
my @MUTANTS = (
    ['order-auth-schema', 'src/invite_find.c',
     "    if (!f->authenticated) {\n        return INVITE_FIND_UNAUTHORIZED;\n    }\n    if (f->schema_error) {\n        return INVITE_FIND_INVALID_PARAMS;\n    }",
     "    if (f->schema_error) {\n        return INVITE_FIND_INVALID_PARAMS;\n    }\n    if (!f->authenticated) {\n        return INVITE_FIND_UNAUTHORIZED;\n    }",
     ['unit']],
    ['order-permission-room', 'src/invite_find.c',
     "    if (!f->granted) {\n        return INVITE_FIND_NOT_AUTHORIZED;\n    }\n    if (!f->subscribed || !f->room_type) {\n        return INVITE_FIND_INVALID_ROOM;\n    }",
     "    if (!f->subscribed || !f->room_type) {\n        return INVITE_FIND_INVALID_ROOM;\n    }\n    if (!f->granted) {\n        return INVITE_FIND_NOT_AUTHORIZED;\n    }",
     ['unit']],
    ['days-list', 'src/invite_find.c', 'days == 15 || days == 30', 'days == 15', ['unit']],
    ['uses-list', 'src/invite_find.c', '|| n == 100;', '|| n == 1000;', ['unit']],
    ['room-type-v', 'src/invite_find.c', '{ "d", "v" }', '{ "d" }', ['unit']],
    ['live-expires', 'src/invite_sql.c', 'a "expires > " now', 'a "expires >= " now',
     ['t/api/23_boundaries.t']],
    ['live-uses', 'src/invite_sql.c', 'a "uses < " a "max_uses)"', 'a "uses <= " a "max_uses)"',
     ['t/api/23_boundaries.t']],
    ['slot-release', 'src/invite_sql.c', '"   AND slot = 1 AND NOT (" LIVE("", "%lld") ")"',
     '"   AND slot = 1 AND (" LIVE("", "%lld") ")"', ['t/api/03_reuse.t']],
    ['use-not-member', 'src/invite_sql.c',
     '"   AND " NOT_MEMBER("%s", "invites.rid") },', '"   AND %s IS NOT NULL" },',
     ['t/api/19_use_concurrency.t']],
    ['token-compare', 'src/invite_token.c', 'found |= CRYPTO_memcmp(list, hash, hl) == 0;',
     'found |= CRYPTO_memcmp(list, hash, hl - 1) == 0;', ['unit']],
    ['token-first-only', 'src/invite_token.c', "        list += n;\n        list += strspn(list, \" \");\n    }",
     "        break;\n    }", ['unit']],
    ['expiry-inclusive', 'src/invite_use.c', 'f->expires <= now', 'f->expires < now', ['unit']],
    ['used-up', 'src/invite_use.c', 'f->uses >= f->max_uses', 'f->uses > f->max_uses', ['unit']],
    ['member-counts', 'src/invite_use.c', 'return f->subscribed ? INVITE_USE_MEMBER : INVITE_USE_JOIN;',
     'return INVITE_USE_JOIN;', ['unit']],
    ['coerce-bool', 'src/invite_body.c', "    case JSON_TRUE:\n        iv = 1;", "    case JSON_TRUE:\n        iv = 0;", ['unit']],
    ['coerce-fraction', 'src/invite_body.c', '|| (isfinite(d) && !is_whole(d)))', '|| !isfinite(d))', ['unit']],
    ['key-order', 'src/invite_json.c',
     "    set_new(o, \"days\", json_integer(inv->days), &failed);\n    set_new(o, \"maxUses\", json_integer(inv->max_uses), &failed);",
     "    set_new(o, \"maxUses\", json_integer(inv->max_uses), &failed);\n    set_new(o, \"days\", json_integer(inv->days), &failed);",
     ['unit']],
    ['expiry-days', 'src/invite_time.c', "(wall_us / 1000)\n           + (invite_ms_t)days * INVITE_MS_PER_DAY;",
     "(wall_us / 1000)\n           + (invite_ms_t)(days + 1) * INVITE_MS_PER_DAY;", ['unit']],
    ['body-cap-length', 'src/mod_invite_http.c', '!*end && n > cap', '!*end && n >= cap', ['t/api/23_boundaries.t']],
    ['body-cap-read', 'src/mod_invite_http.c', 'if (total > cap) {', 'if (total >= cap) {', ['t/api/23_boundaries.t']],
    ['rate-limit', 'src/invite_ratelimit_core.c', 'return w->count <= limit;', 'return w->count <= limit + 1;', ['unit']],
);

my %want = map { $_ => 1 } @ARGV;
my @run = grep { !%want || $want{$_->[0]} } @MUTANTS;
die "no such mutant: @ARGV\n" unless @run;

my ($killed, $survived, $broken) = (0, 0, 0);
for my $m (@run) {
    my ($id, $file, $from, $to, $tests) = @$m;
    my $dir = tempdir("mod-invite-mutant.XXXXXX", TMPDIR => 1, CLEANUP => 1);
    system("cd '$top' && tar --exclude=.git --exclude=./build --exclude=./demo -cf - . | tar -xf - -C '$dir'") == 0
        or die "copy failed\n";
    my $path = "$dir/$file";
    open my $in, '<', $path or die "$path: $!";
    my $src = do { local $/; <$in> };
    close $in;
    my $n = () = $src =~ /\Q$from\E/g;
    if ($n != 1) {
        printf "%-22s NOT APPLIED (%d matches in %s)\n", $id, $n, $file;
        $broken++;
        next;
    }
    $src =~ s/\Q$from\E/$to/;
    open my $out, '>', $path or die $!;
    print $out $src;
    close $out;

    my $caught = '';
    for my $t (@$tests) {
        my $cmd = $t eq 'unit'
            ? "cd '$dir' && make -s unit >'$dir/mutant.log' 2>&1"
            : "cd '$dir' && INVITE_TEST_QUICK=1 scripts/test.sh $t >'$dir/mutant.log' 2>&1";
        if (system($cmd) != 0) { $caught = $t; last; }
    }
    if ($caught) {
        printf "%-22s killed by %s\n", $id, $caught;
        $killed++;
    }
    else {
        printf "%-22s SURVIVED (%s in %s)\n", $id, join(',', @$tests), $file;
        $survived++;
    }
}
my $total = $killed + $survived;
printf "mutation score: %d of %d killed%s\n", $killed, $total,
       $broken ? ", $broken not applied" : '';
exit(($survived || $broken) ? 1 : 0);
