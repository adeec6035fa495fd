#!/usr/bin/env bash
# make bench: requests/s, latency and memory of findOrCreateInvite on SQLite
# and PostgreSQL, against the ceiling of the same httpd serving the same
# JSON as a static file.  Writes bench/results.md.
#
# make bench-smoke (BENCH_SMOKE=1): the same path on a small data set with
# 1-second runs; asserts correctness only (no timing), fails on any wrong
# status, wrk failure, find that inserted, or missing table.  Its results
# stay in the work directory.
#
# Knobs (environment):
#   BENCH_SECONDS (8)          measured seconds per run (smoke: 1)
#   BENCH_REPEATS (3)          runs per engine and workload (smoke: 1)
#   BENCH_CONNECTIONS (32)     wrk connections (wrk -t1)
#   BENCH_WARMUP (1)           warm-up seconds before each measured run
#   BENCH_WORKLOADS            "find create reject mixed"
#   BENCH_ENGINES              "sqlite pgsql"
#   BENCH_RSS_REQUESTS (1000000)  find requests between the two RSS readings
#                              of the SQLite instance's children (smoke: 20000,
#                              0: skip)
#   BENCH_SEED_SCALE (1)       data set size: 1 = 10k users, 10k rooms, 100k
#                              subscriptions, 100k invites, 100 admins
#                              (smoke: 0.03, at least 20 admins)
#   BENCH_DBD_MIN (2), BENCH_DBD_KEEP (2), BENCH_DBD_MAX (2),
#   BENCH_DBD_EXPTIME (300)    mod_dbd pool of the module instances, per
#                              httpd child.  Small, as measured fastest with
#                              the servers on one core: apr_dbd serialises a
#                              process's SQLite calls anyway, and each extra
#                              SQLite connection keeps a page cache it drops
#                              whenever another one writes; on PostgreSQL
#                              fewer backends share the core (bench/README).
#   BENCH_EXTRA_CONF           a file appended to the module instances' config
#   BENCH_MODULE               a built mod_invite.so to measure instead of
#                              building this tree (make -s)
#   BENCH_OUTPUT               results file (bench/results.md; smoke: work dir)
#   BENCH_KEEP=1               keep the work directory (servers are stopped)
#   BENCH_USER (invitetest)    the unprivileged user the servers run as (root only)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

SMOKE=${BENCH_SMOKE:-0}
if [ "$SMOKE" = 1 ]; then
  d_seconds=1 d_repeats=1 d_rss=20000 d_scale=0.03
else
  d_seconds=8 d_repeats=3 d_rss=1000000 d_scale=1
fi
DURATION=${BENCH_SECONDS:-$d_seconds}
REPEATS=${BENCH_REPEATS:-$d_repeats}
CONNS=${BENCH_CONNECTIONS:-32}
WARMUP=${BENCH_WARMUP:-1}
WORKLOADS=${BENCH_WORKLOADS:-find create reject mixed}
ENGINES=${BENCH_ENGINES:-sqlite pgsql}
RSS_REQUESTS=${BENCH_RSS_REQUESTS:-$d_rss}
SCALE=${BENCH_SEED_SCALE:-$d_scale}
DBD_MIN=${BENCH_DBD_MIN:-2}     # small pool: see the knobs above
DBD_KEEP=${BENCH_DBD_KEEP:-2}
DBD_MAX=${BENCH_DBD_MAX:-2}
DBD_EXPTIME=${BENCH_DBD_EXPTIME:-300}
EXTRA_CONF=${BENCH_EXTRA_CONF:-}
KEEP=${BENCH_KEEP:-0}
BENCH_USER=${BENCH_USER:-invitetest}

die() { echo "bench: $*" >&2; exit 1; }
is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }
for v in DURATION REPEATS CONNS WARMUP RSS_REQUESTS DBD_MIN DBD_KEEP DBD_MAX DBD_EXPTIME; do
  is_uint "${!v}" || die "$v must be a whole number (got '${!v}')"
done
[ "$DURATION" -ge 1 ] && [ "$REPEATS" -ge 1 ] && [ "$CONNS" -ge 1 ] ||
  die "BENCH_SECONDS, BENCH_REPEATS and BENCH_CONNECTIONS must be at least 1"
[[ $SCALE =~ ^[0-9]*\.?[0-9]+$ ]] || die "BENCH_SEED_SCALE must be a positive number"
for w in $WORKLOADS; do
  case $w in find|create|reject|mixed) ;; *) die "unknown workload '$w'";; esac
done
for e in $ENGINES; do
  case $e in sqlite|pgsql) ;; *) die "unknown engine '$e'";; esac
done
[ -z "$EXTRA_CONF" ] || [ -r "$EXTRA_CONF" ] || die "BENCH_EXTRA_CONF: cannot read $EXTRA_CONF"
[ -z "$EXTRA_CONF" ] || EXTRA_CONF=$(cd "$(dirname "$EXTRA_CONF")" && pwd)/$(basename "$EXTRA_CONF")

scripts/deps.sh wrk
command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"
MODULE_SO=${BENCH_MODULE:-}
if [ -z "$MODULE_SO" ]; then
  make -s
  MODULE_SO=$top/.libs/mod_invite.so
fi
[ -r "$MODULE_SO" ] || die "no module at $MODULE_SO"

# ------------------------------------------------------------ work dir, user
# As root, the servers run as the unprivileged $BENCH_USER (as_user).
. scripts/work-dir.sh
work_dir mod-invite-bench "$BENCH_USER"
OUTPUT=${BENCH_OUTPUT:-}
if [ -z "$OUTPUT" ]; then
  if [ "$SMOKE" = 1 ]; then OUTPUT=$work/results.md; else OUTPUT=$top/bench/results.md; fi
fi

if [ "$(nproc)" -ge 2 ]; then
  SERVER_PIN=(taskset -c 0) CLIENT_PIN=(taskset -c 1)
  PINNING="servers (httpd, PostgreSQL) on CPU 0, wrk on CPU 1"
else
  SERVER_PIN=() CLIENT_PIN=()
  PINNING="none (one CPU)"
fi

pg_started=
cleanup() {
  local rc=$? name pid
  trap - EXIT INT TERM
  for name in static sqlite pgsql; do
    [ -s "$work/$name/httpd.pid" ] || continue
    pid=$(cat "$work/$name/httpd.pid")
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 100); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
  done
  if [ -n "$pg_started" ]; then
    if [ "$KEEP" = 1 ]; then
      as_user "$work/pg-cluster.sh" down "$work/pg" || true
    else
      as_user "$work/pg-cluster.sh" stop "$work/pg" || true
    fi
  fi
  if [ "$KEEP" = 1 ]; then echo "bench: work directory kept: $work"; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Snapshots: rebuilds do not disturb the run, and the bench user needs no
# access to the checkout.
cp "$MODULE_SO" "$work/mod_invite.so"
cp scripts/pg-cluster.sh "$work/pg-cluster.sh"
mkdir -p "$work/wrk"

# ------------------------------------------------------------ data set
read -r N_USERS N_ROOMS N_SUBS N_INVITES N_ADMINS < <(awk -v s="$SCALE" 'BEGIN {
  u = int(10000 * s + 0.5); if (u < 10) u = 10
  r = int(10000 * s + 0.5); if (r < 10) r = 10
  a = int(100 * s + 0.5); if (a < 20) a = 20; if (a > u) a = u
  print u, r, int(100000 * s + 0.5), int(100000 * s + 0.5), a }')
seed_args=(--users "$N_USERS" --rooms "$N_ROOMS" --subs "$N_SUBS" --invites "$N_INVITES" --admins "$N_ADMINS" --seed 42)
echo "== data set: ${seed_args[*]}"
perl bench/seed.pl --out "$work/seed" "${seed_args[@]}" 2> >(tee "$work/seed.log" >&2)
[ "$(id -u)" -ne 0 ] || chown -R "$BENCH_USER:" "$work/seed"
WORKLOAD=$work/seed/workload.lua

sqlite_db=$work/sqlite/invite.db
pg_host=$work/pg/sock pg_port=
for e in $ENGINES; do
  case $e in
  sqlite)
    as_user mkdir -p "$work/sqlite"
    t0=$(date +%s.%N)
    as_user sqlite3 "$sqlite_db" < conf/schema-sqlite3.sql >/dev/null
    as_user sqlite3 "$sqlite_db" < "$work/seed/seed.sql"
    echo "== SQLite loaded in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
    ;;
  pgsql)
    as_user env PG_CLUSTER_PROFILE=bench "${SERVER_PIN[@]}" "$work/pg-cluster.sh" start "$work/pg" > "$work/pg.env"
    pg_started=1
    # shellcheck disable=SC1091
    . "$work/pg.env"
    pg_port=$(sed -nE 's/.* port=([0-9]+) .*/\1/p' <<<"$INVITE_TEST_PG_PARAMS")
    PG_PARAMS=$INVITE_TEST_PG_PARAMS
    t0=$(date +%s.%N)
    as_user psql -X -q -h "$pg_host" -p "$pg_port" -U invite -d invite -v ON_ERROR_STOP=1 < conf/schema-pgsql.sql >/dev/null
    as_user psql -X -q -h "$pg_host" -p "$pg_port" -U invite -d invite -v ON_ERROR_STOP=1 -f "$work/seed/seed.sql" >/dev/null
    echo "== PostgreSQL loaded in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
    ;;
  esac
done

invite_count() {   # engine
  case $1 in
  sqlite) as_user sqlite3 "$sqlite_db" 'SELECT count(*) FROM invites;' ;;
  pgsql)  as_user psql -X -Atq -h "$pg_host" -p "$pg_port" -U invite -d invite -c 'SELECT count(*) FROM invites' ;;
  esac
}

# ------------------------------------------------------------ httpd instances
used_ports=" "
free_port() {   # -> FREE_PORT, a free port on 127.0.0.1 not handed out before
  while :; do
    FREE_PORT=$(perl -MIO::Socket::INET -e 'my $s = IO::Socket::INET->new(Listen => 1,
      LocalAddr => "127.0.0.1", LocalPort => 0) or die "$!\n"; print $s->sockport')
    case $used_ports in *" $FREE_PORT "*) continue ;; esac
    used_ports="$used_ports$FREE_PORT "
    return
  done
}
sed_escape() { printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'; }

declare -A PORT
start_httpd() {   # name role driver params
  local name=$1 role=$2 driver=$3 params=$4 dir=$work/$1
  free_port
  PORT[$name]=$FREE_PORT
  as_user mkdir -p "$dir/htdocs"
  as_user cp "$work/seed/static.json" "$dir/htdocs/static.json"
  {
    echo "# Generated by bench/run.sh from bench/httpd.conf.in"
    echo "Define BENCH_$role"
    sed -e "s|@DIR@|$(sed_escape "$dir")|g" -e "s|@PORT@|${PORT[$name]}|g" \
        -e "s|@MODULE@|$(sed_escape "$work/mod_invite.so")|g" \
        -e "s|@DBD_DRIVER@|$(sed_escape "$driver")|g" -e "s|@DBD_PARAMS@|$(sed_escape "$params")|g" \
        -e "s|@DBD_MIN@|$DBD_MIN|g" -e "s|@DBD_KEEP@|$DBD_KEEP|g" \
        -e "s|@DBD_MAX@|$DBD_MAX|g" -e "s|@DBD_EXPTIME@|$DBD_EXPTIME|g" \
        bench/httpd.conf.in
    if [ "$role" != STATIC ] && [ -n "$EXTRA_CONF" ]; then
      echo "# BENCH_EXTRA_CONF: $EXTRA_CONF"
      cat "$EXTRA_CONF"
    fi
  } > "$work/$name.conf"
  as_user cp "$work/$name.conf" "$dir/httpd.conf"
  as_user "${SERVER_PIN[@]}" /usr/sbin/apache2 -f "$dir/httpd.conf" -k start ||
    { cat "$dir/error.log" >&2 2>/dev/null; die "httpd ($name) did not start"; }
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:${PORT[$name]}/static.json" && return 0
    sleep 0.1
  done
  cat "$dir/error.log" >&2 2>/dev/null
  die "httpd ($name) does not answer on port ${PORT[$name]}"
}

start_httpd static STATIC none none
for e in $ENGINES; do
  case $e in
  sqlite) start_httpd sqlite SQLITE sqlite3 "$sqlite_db" ;;
  pgsql)  start_httpd pgsql PGSQL pgsql "$PG_PARAMS" ;;
  esac
done
API=/api/v1/findOrCreateInvite

# ------------------------------------------------------------ probes
# One request of each kind before measuring: find answers 200 with the
# very body static.json holds, a wrong token 401.
read -r s_uid s_rid s_days s_uses < <(perl -MJSON::PP -0777 -ne '$j = decode_json($_);
  print join(" ", @$j{qw(userId rid days maxUses)}), "\n"' "$work/seed/static.json")
s_token=$(grep -o "{uid=\"$s_uid\",token=\"[^\"]*\",rid=\"$s_rid\",days=$s_days,maxUses=$s_uses}" "$WORKLOAD" |
          head -n 1 | sed -E 's/.*token="([^"]*)".*/\1/')
read -r r_uid r_token < <(grep -o '{uid="[^"]*",badtoken="[^"]*"' "$WORKLOAD" | head -n 1 |
                          sed -E 's/\{uid="([^"]*)",badtoken="([^"]*)"/\1 \2/')
probe() {   # name uid token body -> "status" ; body in $work/probe.out
  curl -s -o "$work/probe.out" -w '%{http_code}' -X POST "http://127.0.0.1:${PORT[$1]}$API" \
    -H "X-User-Id: $2" -H "X-Auth-Token: $3" -H 'Content-Type: application/json' -d "$4"
}
static_status=$(curl -s -o "$work/probe.out" -w '%{http_code} %{content_type}' "http://127.0.0.1:${PORT[static]}/static.json")
[ "$static_status" = "200 application/json" ] || die "static instance answered '$static_status'"
probe_failures=0
for e in $ENGINES; do
  st=$(probe "$e" "$s_uid" "$s_token" "{\"rid\":\"$s_rid\",\"days\":$s_days,\"maxUses\":$s_uses}")
  if [ "$st" != 200 ]; then
    echo "bench: $e: find probe answered $st: $(head -c 300 "$work/probe.out")" >&2
    probe_failures=$((probe_failures + 1))
  elif ! cmp -s "$work/probe.out" "$work/seed/static.json"; then
    echo "bench: note: $e's answer differs from static.json ($(wc -c < "$work/probe.out") vs $(wc -c < "$work/seed/static.json") bytes)" >&2
    echo "  module: $(cat "$work/probe.out")" >&2
    echo "  static: $(cat "$work/seed/static.json")" >&2
  fi
  st=$(probe "$e" "$r_uid" "$r_token" "{\"rid\":\"$s_rid\",\"days\":0,\"maxUses\":0}")
  if [ "$st" != 401 ]; then
    echo "bench: $e: reject probe answered $st: $(head -c 300 "$work/probe.out")" >&2
    probe_failures=$((probe_failures + 1))
  fi
done
if [ "$probe_failures" -gt 0 ]; then
  for e in $ENGINES; do echo "-- $e error log:"; tail -n 20 "$work/$e/error.log"; done >&2
  die "$probe_failures probe requests got a wrong status: not measuring"
fi
echo "== probes: find 200, wrong token 401"

# ------------------------------------------------------------ measuring
runs=$work/runs.tsv
printf 'engine\tworkload\trep\trps\tp50_ms\tp99_ms\tnon2xx\tnon401\trequests\tread_errors\ttimeouts\twrk_rc\tcreated\n' > "$runs"
run_no=0
# Socket errors: wrk counts "read" (and "write") errors when httpd closes a
# keep-alive connection (MaxKeepAliveRequests) as wrk sends on it; those
# are reported, not failed.  connect and timeout errors are failures.
parse_wrk() {   # wrk output -> rps p50 p99 non2xx non401 requests read_errors timeouts
  perl -ne '
    $rps = $1 if /^Requests\/sec:\s+([\d.]+)/;
    $req = $1 if /^\s*(\d+) requests in /;
    $lat{$1} = $2 * {us => 0.001, ms => 1, s => 1000, m => 60000, h => 3600000}->{$3}
      if /^\s+(50|99)%\s+([\d.]+)(us|ms|s|m|h)\s*$/;
    $n2 = $1 if /Non-2xx or 3xx responses:\s+(\d+)/;
    $n401 = $1 if /^Non-401 responses:\s+(\d+)/;
    ($rw, $ct) = ($2 + $3, $1 + $4) if /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/;
    END { print join("\t", $rps // "NA", map({ defined $_ ? sprintf("%.3f", $_) : "NA" } @lat{50, 99}),
                     $n2 // 0, $n401 // "NA", $req // "NA", $rw // 0, $ct // 0), "\n" }' "$1"
}
# run_wrk engine workload rep seconds: one wrk run, recorded in runs.tsv
# (rep "warmup" and "rss" rows are checked, not reported).
run_wrk() {
  local engine=$1 workload=$2 rep=$3 secs=$4 url script=() before=NA after=NA rc=0 created=NA
  local out=$work/wrk/$engine-$workload-$rep-$((++run_no)).txt
  if [ "$engine" = static ]; then
    url="http://127.0.0.1:${PORT[static]}/static.json"
  else
    url="http://127.0.0.1:${PORT[$engine]}$API"
    script=(-s "$top/bench/wrk/$workload.lua")
    before=$(invite_count "$engine")
  fi
  # BENCH_WRK_DIR: where the scripts find bench/wrk/common.lua.
  env BENCH_WRK_DIR="$top/bench/wrk" BENCH_WORKLOAD="$WORKLOAD" BENCH_RUN_SEED="$(( $(date +%s) % 100000000 * 100 + run_no % 100 ))" \
    "${CLIENT_PIN[@]}" wrk -t1 -c"$CONNS" -d"${secs}s" --latency "${script[@]}" "$url" > "$out" 2>&1 || rc=$?
  if [ "$engine" != static ]; then
    after=$(invite_count "$engine")
    created=$((after - before))
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$engine" "$workload" "$rep" "$(parse_wrk "$out")" "$rc" "$created" >> "$runs"
  LAST=$(tail -n 1 "$runs")
}
measure() {   # engine workload rep
  local f
  if [ "$WARMUP" -gt 0 ]; then run_wrk "$1" "$2" warmup "$WARMUP"; fi
  run_wrk "$1" "$2" "$3" "$DURATION"
  IFS=$'\t' read -r -a f <<<"$LAST"
  local bad=${f[6]}   # reject: statuses other than 401
  [ "$2" != reject ] || bad=${f[7]}
  printf '   %-6s %-6s #%s %9s req/s  p50 %7s ms  p99 %8s ms  bad status %s  timeouts %s  read errors %s  new invites %s  (wrk rc %s)\n' \
    "${f[0]}" "${f[1]}" "${f[2]}" "${f[3]}" "${f[4]}" "${f[5]}" "$bad" "${f[10]}" "${f[9]}" "${f[12]}" "${f[11]}"
}

echo "== $REPEATS x (static; $WORKLOADS on $ENGINES), ${DURATION}s each after ${WARMUP}s warm-up, $CONNS connections; pinning: $PINNING"
for rep in $(seq "$REPEATS"); do
  measure static static "$rep"
  for w in $WORKLOADS; do
    for e in $ENGINES; do
      measure "$e" "$w" "$rep"
    done
  done
done

# ------------------------------------------------------------ memory
rss_file=$work/rss.tsv
: > "$rss_file"
rss_engine=
case " $ENGINES " in *" sqlite "*) rss_engine=sqlite ;; *) rss_engine=${ENGINES%% *} ;; esac
children() {   # name -> "pid:starttime" of each child of the instance's parent
  local ppid pid
  ppid=$(cat "$work/$1/httpd.pid")
  for pid in $(ps --ppid "$ppid" -o pid= 2>/dev/null); do
    [ -r "/proc/$pid/stat" ] && echo "$pid:$(awk '{ print $22 }' "/proc/$pid/stat" 2>/dev/null)"
  done
}
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || true; }
if [ "$RSS_REQUESTS" -gt 0 ] && [ -n "$rss_engine" ]; then
  echo "== RSS of the $rss_engine instance's children around $RSS_REQUESTS find requests"
  declare -A RSS_BEFORE
  for c in $(children "$rss_engine"); do RSS_BEFORE[$c]=$(rss_kib "${c%%:*}"); done
  done_requests=0 chunk=1
  while [ "$done_requests" -lt "$RSS_REQUESTS" ]; do
    run_wrk "$rss_engine" find rss "$chunk"
    IFS=$'\t' read -r -a f <<<"$LAST"
    [[ ${f[8]} =~ ^[0-9]+$ ]] && [ "${f[8]}" -gt 0 ] || { echo "bench: wrk made no requests: $(tail -n 5 "$work/wrk/$rss_engine-find-rss-$run_no.txt")" >&2; break; }
    done_requests=$((done_requests + f[8]))
    # Next chunk: the remaining requests at this rate, within 1..120 s.
    chunk=$(awk -v left=$((RSS_REQUESTS - done_requests)) -v rps="${f[3]}" 'BEGIN {
      s = rps > 0 ? int(left / rps + 0.999) : 5; if (s > 120) s = 120; if (s < 1) s = 1; print s }')
    printf '   %d/%d requests\n' "$done_requests" "$RSS_REQUESTS"
  done
  for c in $(children "$rss_engine"); do
    after=$(rss_kib "${c%%:*}")
    if [ -n "${RSS_BEFORE[$c]:-}" ] && [ -n "$after" ]; then
      printf '%s\t%s\t%s\t%s\n' "${c%%:*}" "${RSS_BEFORE[$c]}" "$after" "$((after - RSS_BEFORE[$c]))" >> "$rss_file"
    fi
  done
  printf '#requests\t%s\n#engine\t%s\n#before\t%s\n#after\t%s\n' "$done_requests" "$rss_engine" \
    "${#RSS_BEFORE[@]}" "$(children "$rss_engine" | wc -l)" >> "$rss_file"
fi

# ------------------------------------------------------------ report
ver() { "$@" 2>/dev/null | head -n 1 || true; }
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain -- mod_invite.c src include conf 2>/dev/null)" ] || rev="$rev + uncommitted changes"
seed_rows=$(sed -nE 's/^seed.pl: ([^;]*);.*/\1/p' "$work/seed.log")
{
  echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "cpu=$(lscpu | sed -nE 's/^Model name:\s+//p' | head -n 1)"
  echo "cores=$(nproc)"
  echo "httpd=$(ver /usr/sbin/apache2 -v | sed 's/^Server version: //')"
  echo "sqlite=$(ver sqlite3 --version | cut -d' ' -f1)"
  echo "postgres=$(ver "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/postgres" --version)"
  echo "wrk=$(ver wrk -v | cut -d' ' -f1-2)"
  echo "module=$rev"
  echo "connections=$CONNS"
  echo "duration=$DURATION"
  echo "warmup=$WARMUP"
  echo "repeats=$REPEATS"
  echo "pinning=$PINNING"
  echo "pool=DBDMin $DBD_MIN, DBDKeep $DBD_KEEP, DBDMax $DBD_MAX, DBDExptime $DBD_EXPTIME"
  echo "extra_conf=${EXTRA_CONF:-none}"
  echo "seed=${seed_args[*]}"
  echo "seed_rows=$seed_rows"
  echo "workloads=$WORKLOADS"
  echo "engines=$ENGINES"
  echo "smoke=$SMOKE"
  echo "probe_failures=$probe_failures"
  # Crashed children and error-level lines in the instances' error logs.
  for name in static $ENGINES; do
    echo "errorlog_$name=$(grep -cE '\[[a-z_]+:(error|crit|alert|emerg)\]|exit signal' "$work/$name/error.log" || true)"
  done
} > "$work/meta.txt"
rc=0
perl bench/report.pl --meta "$work/meta.txt" --runs "$runs" --rss "$rss_file" --out "$OUTPUT" || rc=$?
[ -s "$OUTPUT" ] && grep -q '^| static | static |' "$OUTPUT" || { echo "bench: no results table" >&2; rc=1; }
echo "== results: $OUTPUT"
[ "$rc" -eq 0 ] || die "FAILED (see above)"
