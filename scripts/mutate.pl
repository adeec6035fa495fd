#!/usr/bin/perl
# SPDX-License-Identifier: Apache-2.0
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
# tests: 'unit' and/or Apache::Test files, run on SQLite, or on PostgreSQL
# when named 'pgsql:t/api/...' (a throwaway cluster, as make test starts).
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
     ['t/api/31_use_race_locked.t']],
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

    # useInviteToken's race: the mechanisms t/api/31_use_race_locked.t
    # holds a lock against, on each engine (use-not-member above is the
    # sqlite3 double submit's; the load of t/api/19_use_concurrency.t
    # does not always make that race happen).
    ['use-for-update', 'src/invite_sql.c', '"     AND " LIVE("i.", "%lld") " FOR UPDATE OF i),"',
     '"     AND " LIVE("i.", "%lld") "),"', ['pgsql:t/api/31_use_race_locked.t']],
    ['use-joined-gate', 'src/invite_sql.c', '"     AND (EXISTS (SELECT 1 FROM joined)"',
     '"     AND (EXISTS (SELECT 1 FROM target)"', ['pgsql:t/api/31_use_race_locked.t']],
    ['use-live-sqlite', 'src/invite_sql.c', '" WHERE id = %s AND " LIVE("", "%lld")',
     '" WHERE id = %s AND %lld > 0"', ['t/api/31_use_race_locked.t']],
    ['use-counted-rows', 'src/handle/invite_handle_use.c', '*counted = rc == INVITE_DB_OK && nrows == 1;',
     '*counted = rc == INVITE_DB_OK;', ['t/api/31_use_race_locked.t']],
    ['use-no-reread', 'src/handle/invite_handle_use.c', "        if (!counted) {\n", "        if (0) {\n",
     ['t/api/31_use_race_locked.t']],
    # The rate limit of every route.
    ['rl-use-schema', 'src/handle/invite_handle_use.c',
     "    if (q.facts.authenticated && !q.facts.schema_error\n",
     "    if (q.facts.authenticated\n", ['t/api/32_rate_limit_routes.t']],
    ['rl-use-auth', 'src/handle/invite_handle_use.c',
     "    if (q.facts.authenticated && !q.facts.schema_error\n",
     "    if (!q.facts.schema_error\n", ['t/api/32_rate_limit_routes.t']],
    ['rl-use-bypass', 'src/handle/invite_handle_use.c', 'q.rate_limit_exempt, &done)) {',
     '0, &done)) {', ['t/api/32_rate_limit_routes.t']],
    ['rl-use-bypass-sql', 'src/invite_sql.c',
     "    HOLDS_GLOBALLY(\"api-bypass-rate-limit\") \",\" \\\n    \" (SELECT CASE WHEN u.username",
     "    HOLDS_GLOBALLY(\"create-invite-links\") \",\" \\\n    \" (SELECT CASE WHEN u.username",
     ['t/api/32_rate_limit_routes.t']],
    ['rl-admin-bypass', 'src/handle/invite_handle_common.c',
     'caller->rate_limit_exempt = invite_db_flag(row[INVITE_AUTH_COL_BYPASS]);',
     'caller->rate_limit_exempt = invite_db_flag(row[INVITE_AUTH_COL_GRANTED]);',
     ['t/api/32_rate_limit_routes.t']],
    ['rl-validate-schema', 'src/handle/invite_handle_validate.c',
     "    if (schema_error) {\n        return invite_http_send_json(r, HTTP_BAD_REQUEST,\n            invite_json_invalid_params(r->pool, schema_error));\n    }\n    /* No login, so nobody is exempt. */\n    if (invite_ratelimit_check(r, cfg, \"validateInviteToken\", 0, &done)) {\n        return done;\n    }\n",
     "    if (invite_ratelimit_check(r, cfg, \"validateInviteToken\", 0, &done)) {\n        return done;\n    }\n    if (schema_error) {\n        return invite_http_send_json(r, HTTP_BAD_REQUEST,\n            invite_json_invalid_params(r->pool, schema_error));\n    }\n",
     ['t/api/32_rate_limit_routes.t']],
    ['rl-entry-expiry', 'src/mod_invite_ratelimit.c', 'apr_time_from_msec(w->reset + 1000)',
     'apr_time_from_msec(w->reset - 1000)', ['t/api/32_rate_limit_routes.t']],
    ['rl-store', 'src/invite_ratelimit_core.c', '*store = w->count <= limit;', '*store = w->count < limit;',
     ['t/api/32_rate_limit_routes.t']],
    # Permissions of listInvites and removeInvite.
    ['perm-admin-column', 'src/handle/invite_handle_common.c',
     'caller->granted = invite_db_flag(row[INVITE_AUTH_COL_GRANTED]);',
     'caller->granted = invite_db_flag(row[INVITE_AUTH_COL_BYPASS]);', ['t/api/30_permissions.t']],
    ['perm-auth-sql', 'src/invite_sql.c',
     'AUTH_SQL(SQLITE_TOKENS, "create-invite-links")',
     'AUTH_SQL(SQLITE_TOKENS, "api-bypass-rate-limit")',
     ['t/api/30_permissions.t']],
    ['perm-bypass-grants', 'src/handle/invite_handle_common.c', '    if (!caller.granted) {',
     '    if (!caller.granted && !caller.rate_limit_exempt) {', ['t/api/30_permissions.t']],
    ['remove-none', 'src/handle/invite_handle_remove.c', 'if (nrows == 0) {', 'if (nrows < 0) {',
     ['t/api/30_permissions.t']],
    # listInvites' order, validateInviteToken, login expiry.
    ['list-order-id', 'src/invite_sql.c', '" FROM " invites " ORDER BY created_at, id"',
     '" FROM " invites " ORDER BY id"', ['t/api/33_list_order_login_boundaries.t']],
    ['list-order-updated', 'src/invite_sql.c', '" FROM " invites " ORDER BY created_at, id"',
     '" FROM " invites " ORDER BY updated_at, id"', ['t/api/33_list_order_login_boundaries.t']],
    ['validate-room', 'src/handle/invite_handle_validate.c',
     'f.room_found = invite_db_flag(col[INVITE_VALIDATE_COL_ROOM]);', 'f.room_found = 1;',
     ['t/api/33_list_order_login_boundaries.t']],
    ['validate-room-sql', 'src/invite_sql.c', 'FROM rooms r WHERE r.id = i.rid)', 'FROM rooms r WHERE r.id = i.id)',
     ['t/api/33_list_order_login_boundaries.t']],
    ['login-at-cutoff', 'src/invite_sql.c', 'created_at >= %lld', 'created_at > %lld',
     ['t/api/33_list_order_login_boundaries.t']],
    ['login-pat', 'src/invite_sql.c', '(created_at IS NULL OR created_at >= %lld)', '(created_at >= %lld)',
     ['t/api/33_list_order_login_boundaries.t']],
    ['login-cutoff-days', 'src/mod_invite_config.c', 'now - (invite_ms_t)days * INVITE_MS_PER_DAY',
     'now - (invite_ms_t)(days + 1) * INVITE_MS_PER_DAY', ['t/api/33_list_order_login_boundaries.t']],
    # Banned members (Rocket.Chat 8.4): the refusal in the check order and
    # the ban read from the subscription's status.
    ['use-banned', 'src/invite_use.c', "    if (f->banned) {\n        return INVITE_USE_BANNED;\n    }\n", "",
     ['unit']],
    ['use-banned-sql', 'src/invite_sql.c', "THEN 2 ELSE 1 END", "THEN 1 ELSE 1 END",
     ['t/api/37_banned.t']],
    # Rocket.Chat 9.0's 403 and the invitation mail route.
    ['rc9-forbidden', 'src/invite_json.c', 'if (rc_version < 9 || !forbidden_in_9(error)) {',
     'if (rc_version < 10 || !forbidden_in_9(error)) {', ['unit']],
    ['rc-default', 'include/invite_core.h', '#define INVITE_RC_VERSION_DEFAULT 9',
     '#define INVITE_RC_VERSION_DEFAULT 8', ['t/api/38_rc_versions.t']],
    ['mail-permission', 'src/handle/invite_handle_send_email.c', '    else if (!caller.granted) {',
     '    else if (0) {', ['t/api/39_send_invitation_email.t']],
    ['mail-permission-sql', 'src/invite_sql.c', 'AUTH_SQL(SQLITE_TOKENS, "bulk-register-user")',
     'AUTH_SQL(SQLITE_TOKENS, "create-invite-links")', ['t/api/39_send_invitation_email.t']],
    ['mail-limit-after-schema', 'src/handle/invite_handle_send_email.c',
     "    if (schema_error) {\n        answer = invite_http_send_json(r, HTTP_BAD_REQUEST,\n            invite_json_invalid_params(r->pool, schema_error));\n    }\n    else if (invite_ratelimit_check(r, cfg, ROUTE, caller.rate_limit_exempt,\n                                    &done)) {\n        answer = done;\n    }",
     "    if (invite_ratelimit_check(r, cfg, ROUTE, caller.rate_limit_exempt,\n                               &done)) {\n        answer = done;\n    }\n    else if (schema_error) {\n        answer = invite_http_send_json(r, HTTP_BAD_REQUEST,\n            invite_json_invalid_params(r->pool, schema_error));\n    }",
     ['t/api/39_send_invitation_email.t']],
    # The join outbox (issue 18): the row of a newcomer's join on each
    # engine, InviteJoinOutbox Off, the rollback of a failed outbox write,
    # and the sync lag of the status page and of invitectl check.
    ['outbox-sqlite', 'src/handle/invite_handle_use.c',
     '    if (*counted && rc == INVITE_DB_OK && nrows == 1 && q->join_outbox) {', '    if (0) {',
     ['t/api/40_join_outbox.t']],
    ['outbox-pgsql', 'src/invite_sql.c', '"   WHERE %d = 1 ON CONFLICT DO NOTHING)"',
     '"   WHERE %d = 2 ON CONFLICT DO NOTHING)"', ['pgsql:t/api/40_join_outbox.t']],
    ['outbox-off-ignored', 'src/handle/invite_handle_use.c', 'q.join_outbox = invite_config_join_outbox(cfg);',
     'q.join_outbox = 1;', ['t/api/40_join_outbox.t']],
    ['outbox-failure-ignored', 'src/handle/invite_handle_use.c',
     '        rc = invite_db_query(q->db, INVITE_STMT_USE_OUTBOX,', '        invite_db_query(q->db, INVITE_STMT_USE_OUTBOX,',
     ['t/api/40_join_outbox.t']],
    ['status-sync-lag', 'src/invite_status_core.c', '? invite_time_age_s(at, now_ms) : -1', '? invite_time_age_s(at, now_ms) / 2 : -1',
     ['unit', 't/api/40_join_outbox.t']],
    ['check-lag-warning', 'src/ctl/schema.c', 'lag > CTL_SYNC_LAG_WARN_S', 'lag > 3 * CTL_SYNC_LAG_WARN_S',
     ['t/invitectl.t']],
    ['string-array-wrap', 'src/invite_body.c', "    if (!json_is_array(v)) {\n        return \"must be array\";\n    }",
     "    if (!json_is_array(v) && !json_is_string(v)) {\n        return \"must be array\";\n    }", ['unit']],
);

# What made the suite fail, from its log: the first failed check, so that
# a mutant that merely breaks the build does not pass for a caught bug.
sub first_failure {
    my ($log) = @_;
    open my $fh, '<', $log or return ' (no log)';
    while (<$fh>) {
        return " ($1)" if /^(not ok \d+.*?)\s*$/;
    }
    return ' (no failed check: see the build or the suite)';
}

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
        my ($engine, $file) = $t =~ /^(pgsql|sqlite3):(.*)$/ ? ($1, $2) : ('sqlite3', $t);
        my $cmd = $t eq 'unit'
            ? "cd '$dir' && make -s unit >'$dir/mutant.log' 2>&1"
            : "cd '$dir' && INVITE_TEST_QUICK=1 INVITE_TEST_ENGINES=$engine"
              . " scripts/test.sh $file >'$dir/mutant.log' 2>&1";
        if (system($cmd) != 0) { $caught = "$t" . first_failure("$dir/mutant.log"); last; }
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
