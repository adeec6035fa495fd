#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make bench's failover workload (bench/run.sh runs it when "failover" is
# among BENCH_WORKLOADS; alone: bench/failover.sh).  A primary and its
# synchronous standby (scripts/pg-failover.sh), one httpd with the
# failover DBDParams of docs/postgresql.md#failover, and wrk sending
# findOrCreateInvite (bench/wrk/failover.lua: finds and creates):
#
#   before   BENCH_SECONDS of load on the primary (standby in sync)
#   switch   load on, the primary stopped in immediate mode after 1 s,
#            the standby promoted 1 s later, load for BENCH_SECONDS
#            more; a probe sends one find every 10 ms and times the 503
#            window: from the promotion to its first 200
#   after    BENCH_SECONDS on the new primary, alone
#   rejoined BENCH_SECONDS after the old primary came back as its
#            synchronous standby (pg_rewind)
#
# Writes BENCH_FAILOVER_OUTPUT (bench/results-failover.md).  Fails on a
# 500, on any status but 200 and 503, or on a 503 outside the switch.
# Knobs: BENCH_SECONDS (8), BENCH_CONNECTIONS (32), BENCH_DBD_MIN (2),
# BENCH_DBD_KEEP (2), BENCH_DBD_MAX (2), BENCH_DBD_EXPTIME (300),
# BENCH_FAILOVER_PARAMS (libpq settings appended to the two hosts';
# default those of docs/postgresql.md), BENCH_MODULE, BENCH_KEEP,
# BENCH_USER (invitetest).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
DURATION=${BENCH_SECONDS:-8}
CONNS=${BENCH_CONNECTIONS:-32}
DBD_MIN=${BENCH_DBD_MIN:-2} DBD_KEEP=${BENCH_DBD_KEEP:-2}
DBD_MAX=${BENCH_DBD_MAX:-2} DBD_EXPTIME=${BENCH_DBD_EXPTIME:-300}
OUTPUT=${BENCH_FAILOVER_OUTPUT:-$top/bench/results-failover.md}
KEEP=${BENCH_KEEP:-0}
CREATORS=200
die() { echo "bench failover: $*" >&2; exit 1; }

scripts/deps.sh wrk
command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"
MODULE_SO=${BENCH_MODULE:-}
if [ -z "$MODULE_SO" ]; then make -s; MODULE_SO=$top/.libs/mod_invite.so; fi

. scripts/work-dir.sh
work_dir mod-invite-failover "${BENCH_USER:-invitetest}"
if [ "$(nproc)" -ge 2 ]; then
  SERVER_PIN=(taskset -c 0) CLIENT_PIN=(taskset -c 1)
  PINNING="servers (httpd, both PostgreSQL nodes) on CPU 0, wrk and the probe on CPU 1"
else
  SERVER_PIN=() CLIENT_PIN=() PINNING="none (one CPU)"
fi
cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  [ -z "${probe_pid:-}" ] || kill "$probe_pid" 2>/dev/null || true
  if [ -s "$work/httpd/httpd.pid" ]; then
    pid=$(cat "$work/httpd/httpd.pid")
    kill -TERM "$pid" 2>/dev/null && for _ in $(seq 100); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
  fi
  as_user "$work/pg-failover.sh" stop "$work/pair" >/dev/null 2>&1 || true
  if [ "$KEEP" = 1 ]; then echo "bench failover: work directory kept: $work"; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cp "$MODULE_SO" "$work/mod_invite.so"
cp scripts/pg-failover.sh conf/schema-pgsql.sql "$work/"

# ------------------------------------------------------------ the pair
echo "== failover: primary and synchronous standby"
as_user "$work/pg-failover.sh" start "$work/pair" > "$work/pair.env"
. "$work/pair.env"
PARAMS=$INVITE_FAILOVER_PARAMS
if [ -n "${BENCH_FAILOVER_PARAMS:-}" ]; then
  PARAMS="host=127.0.0.1,127.0.0.1 port=$INVITE_FAILOVER_PORT_A,$INVITE_FAILOVER_PORT_B dbname=invite user=invite $BENCH_FAILOVER_PARAMS"
fi
psql_a() { as_user "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/psql" -X -q -v ON_ERROR_STOP=1 \
             -h 127.0.0.1 -p "$INVITE_FAILOVER_PORT_A" -U invite -d invite "$@"; }
psql_a -f "$work/schema-pgsql.sql" >/dev/null
psql_a <<SQL >/dev/null
INSERT INTO rooms (id, t, name) VALUES ('GENERAL', 'c', 'general');
INSERT INTO users (id, username)
  SELECT 'fc' || lpad(i::text, 15, '0'), 'fc' || i FROM generate_series(0, $CREATORS - 1) AS i;
INSERT INTO user_roles (user_id, role) SELECT id, 'admin' FROM users WHERE id LIKE 'fc%';
INSERT INTO login_tokens (user_id, hashed_token, created_at)
  SELECT id, encode(sha256(convert_to('tok-' || id, 'UTF8')), 'base64'), NULL FROM users WHERE id LIKE 'fc%';
INSERT INTO subscriptions (user_id, rid) SELECT id, 'GENERAL' FROM users WHERE id LIKE 'fc%';
SQL

# ------------------------------------------------------------ httpd
port=$(perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1", LocalPort => 0)->sockport')
mods=/usr/lib/apache2/modules
as_user mkdir -p "$work/httpd/run"
cat > "$work/httpd.conf" <<CONF
ServerRoot "$work/httpd"
ServerName 127.0.0.1
PidFile "$work/httpd/httpd.pid"
DefaultRuntimeDir "$work/httpd/run"
ErrorLog "$work/httpd/error.log"
LogLevel warn
Listen 127.0.0.1:$port
LoadModule mpm_event_module $mods/mod_mpm_event.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule dbd_module $mods/mod_dbd.so
LoadModule invite_module $work/mod_invite.so
DBDriver pgsql
DBDParams "$PARAMS"
DBDMin $DBD_MIN
DBDKeep $DBD_KEEP
DBDMax $DBD_MAX
DBDExptime $DBD_EXPTIME
InviteDBD On
InviteRateLimit off
<Location /api/v1>
    SetHandler invite
    InviteSiteUrl https://chat.example.com
</Location>
CONF
as_user cp "$work/httpd.conf" "$work/httpd/httpd.conf"
as_user "${SERVER_PIN[@]}" /usr/sbin/apache2 -f "$work/httpd/httpd.conf" -k start ||
  { cat "$work/httpd/error.log" >&2; die "httpd did not start"; }
URL="http://127.0.0.1:$port/api/v1/findOrCreateInvite"
for _ in $(seq 100); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
        -H 'X-User-Id: fc000000000000000' -H 'X-Auth-Token: tok-fc000000000000000' \
        -d '{"rid":"GENERAL","days":0,"maxUses":0}' "$URL")" = 200 ] && break
  sleep 0.1
done
parent=$(cat "$work/httpd/httpd.pid")

# ------------------------------------------------------------ the runs
run_wrk() {   # name seconds -> $work/wrk-name.txt
  env BENCH_FAILOVER_CREATORS=$CREATORS "${CLIENT_PIN[@]}" wrk -t1 -c"$CONNS" -d"$2s" --timeout 10s \
    --latency -s bench/wrk/failover.lua "$URL" > "$work/wrk-$1.txt" 2>&1
}
rps() { sed -nE 's/^Requests\/sec:\s+([0-9.]+).*/\1/p' "$work/wrk-$1.txt"; }
statuses() { sed -nE 's/^Status ([0-9]+): ([0-9]+)/\1 x \2/p' "$work/wrk-$1.txt" | sort | paste -sd, - | sed 's/,/, /g'; }
count() { sed -nE "s/^Status $2: ([0-9]+)/\\1/p" "$work/wrk-$1.txt" | head -n 1; }
now() { perl -MTime::HiRes=time -e 'printf "%.3f", time'; }

echo "== failover: warm-up 1 s, before ${DURATION} s"
run_wrk warmup 1
run_wrk before "$DURATION"

echo "== failover: the switch (load for $((DURATION + 2)) s; stop at 1 s, promotion at 2 s)"
# The probe: one find every 10 ms, "sent answered status" per line.
"${CLIENT_PIN[@]}" perl -MTime::HiRes=time,sleep -MLWP::UserAgent -e '
  my ($url, $stop, $out) = @ARGV;
  my $ua = LWP::UserAgent->new(keep_alive => 1, timeout => 10);
  open my $fh, ">", $out or die $!; $fh->autoflush(1);
  until (-e $stop) {
    my $t0 = time;
    my $r = $ua->post($url, "Content-Type" => "application/json",
                      "X-User-Id" => "fc000000000000000", "X-Auth-Token" => "tok-fc000000000000000",
                      Content => q({"rid":"GENERAL","days":0,"maxUses":0}));
    printf $fh "%.3f %.3f %d\n", $t0, time, $r->code;
    sleep 0.01;
  }' "$URL" "$work/probe.stop" "$work/probe.log" &
probe_pid=$!
run_wrk switch $((DURATION + 2)) &
wrk_pid=$!
sleep 1
t_kill=$(now)
as_user "$work/pg-failover.sh" kill "$work/pair" a
t_killed=$(now)   # a request sent before may still have been answered
sleep 1
t_promote=$(now)
as_user "$work/pg-failover.sh" promote "$work/pair" b
t_promoted=$(now)
wait "$wrk_pid"
touch "$work/probe.stop"
wait "$probe_pid"
probe_pid=

echo "== failover: after ${DURATION} s on the new primary alone"
run_wrk after "$DURATION"
echo "== failover: the old primary back as a synchronous standby (pg_rewind), ${DURATION} s"
t0=$(now)
as_user "$work/pg-failover.sh" rejoin "$work/pair" a b
t_rejoin=$(perl -e "printf '%.1f', $(now) - $t0")
run_wrk rejoined "$DURATION"

# ------------------------------------------------------------ checks, report
read -r window from_stop p503 p_other last503 < <(perl -ane '
  BEGIN { ($k, $p) = splice @ARGV, 0, 2 }
  push @r, [@F];
  END {
    my ($first) = grep { $_->[2] == 200 && $_->[0] > $k } @r;
    my @u = grep { $_->[2] == 503 } @r;
    printf "%.2f %.2f %d %d %+.2f\n", $first ? $first->[1] - $p : -1, $first ? $first->[1] - $k : -1,
      scalar(@u), scalar(grep { $_->[2] != 200 && $_->[2] != 503 } @r), @u ? $u[-1][1] - $p : 0;
  }' "$t_killed" "$t_promote" "$work/probe.log")
failures=()
for run in before switch after rejoined; do
  other=$(sed -nE 's/^Status ([0-9]+): ([0-9]+)/\1/p' "$work/wrk-$run.txt" | grep -vE '^(200|503)$' || true)
  [ -z "$other" ] || failures+=("$run: status $other")
  grep -q '^Requests/sec' "$work/wrk-$run.txt" || failures+=("$run: wrk failed: $(tail -n 3 "$work/wrk-$run.txt")")
done
for run in before after rejoined; do
  [ -z "$(count "$run" 503)" ] || failures+=("$run: $(count "$run" 503) answers 503 outside the switch")
done
[ "$p_other" = 0 ] || failures+=("probe: $p_other answers neither 200 nor 503")
awk -v w="$window" 'BEGIN { exit !(w >= 0) }' || failures+=("probe: no 200 after the promotion")
[ "$(cat "$work/httpd/httpd.pid")" = "$parent" ] || failures+=("httpd restarted")
! grep -qE 'exit signal|Segmentation fault' "$work/httpd/error.log" || failures+=("a child crashed")

{
  echo "# make bench: failover"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), module $(git rev-parse --short HEAD 2>/dev/null || echo unknown),"
  echo "$(nproc) cores ($PINNING), PostgreSQL $(psql_a -At -c 'SHOW server_version' 2>/dev/null || true) on loopback TCP,"
  echo "wrk -t1 -c$CONNS with bench/wrk/failover.lua (findOrCreateInvite by $CREATORS creators x 35 settings),"
  echo "DBDMin $DBD_MIN, DBDKeep $DBD_KEEP, DBDMax $DBD_MAX, DBDExptime $DBD_EXPTIME, event MPM defaults."
  echo
  echo "DBDParams \"$PARAMS\""
  echo
  echo "| phase | seconds | req/s | answers |"
  echo "|---|---|---|---|"
  echo "| before: primary with synchronous standby | $DURATION | $(rps before) | $(statuses before) |"
  echo "| switch: stop at 1 s, promotion at 2 s | $((DURATION + 2)) | $(rps switch) | $(statuses switch) |"
  echo "| after: the new primary alone | $DURATION | $(rps after) | $(statuses after) |"
  echo "| rejoined: old primary its synchronous standby | $DURATION | $(rps rejoined) | $(statuses rejoined) |"
  echo
  echo "503 window (the probe, one find every 10 ms): **${window} s from the promotion to the first 200**"
  echo "(${from_stop} s from the end of the stop; the promotion itself took $(perl -e "printf '%.2f', $t_promoted - $t_promote") s);"
  echo "$p503 probe answers 503, the last answered at ${last503} s from the start of the promotion;"
  echo "pg_rewind and resync took ${t_rejoin} s."
  echo "Same httpd parent throughout: $([ "$(cat "$work/httpd/httpd.pid")" = "$parent" ] && echo yes || echo NO)."
  if [ ${#failures[@]} -gt 0 ]; then echo; echo "FAILED:"; printf -- '- %s\n' "${failures[@]}"; fi
} > "$OUTPUT"
cat "$OUTPUT"
[ ${#failures[@]} -eq 0 ] || die "FAILED (see above)"
