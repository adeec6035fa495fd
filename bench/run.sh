#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make bench: requests/s, latency and memory of findOrCreateInvite and the
# other invite endpoints on SQLite and PostgreSQL, each against the ceiling
# of the same httpd serving that workload's answer as a static file.
# Writes bench/results.md.
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
#   BENCH_TIMEOUT (2)          wrk --timeout in seconds (a slower answer is
#                              a failure; raise it for a large list)
#   BENCH_WORKLOADS            "find create reject mixed validate use
#                              use-member remove list mail find-sync failover"
#                              (bench/README; failover: bench/failover.sh)
#   BENCH_ENGINES              "sqlite pgsql"
#   BENCH_RSS_REQUESTS (1000000)  find requests between the two RSS readings
#                              of the SQLite instance's children (smoke: 20000,
#                              0: skip)
#   BENCH_SEED_SCALE (1)       data set size: 1 = 10k users, 10k rooms, 100k
#                              subscriptions, 100k invites, 100 admins
#                              (smoke: 0.03, at least 20 admins)
#   BENCH_LIST_INVITES (1000)  invites of list's own data set (the seed at
#                              the scale that gives that many invites;
#                              smoke: 300)
#   BENCH_LIST_CONNECTIONS (4) wrk connections of list and its static file
#   BENCH_MAX_RATE (25000)     req/s no workload reaches (the static file
#                              makes about 20k here): sizes the newcomer
#                              pairs of use and the ids of each remove run
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
#   BENCH_STATEMENTS (1)       0: skip invite_find measured alone (bench/README)
#   BENCH_STATEMENT_EXECUTIONS (500000)  its SQLite executions (smoke: 20000)
#   BENCH_USER (invitetest)    the unprivileged user the servers run as (root only)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

SMOKE=${BENCH_SMOKE:-0}
if [ "$SMOKE" = 1 ]; then
  d_seconds=1 d_repeats=1 d_rss=20000 d_scale=0.03 d_list=300 d_executions=20000
else
  d_seconds=8 d_repeats=3 d_rss=1000000 d_scale=1 d_list=1000 d_executions=500000
fi
DURATION=${BENCH_SECONDS:-$d_seconds}
REPEATS=${BENCH_REPEATS:-$d_repeats}
CONNS=${BENCH_CONNECTIONS:-32}
WARMUP=${BENCH_WARMUP:-1}
TIMEOUT=${BENCH_TIMEOUT:-2}
ALL_WORKLOADS="find create reject mixed validate use use-member remove list mail find-sync failover"
WORKLOADS=${BENCH_WORKLOADS:-$ALL_WORKLOADS}
# failover runs apart, on a pair of clusters of its own (bench/failover.sh),
# after the others: bench/results-failover.md.
FAILOVER=0
case " $WORKLOADS " in *" failover "*)
  FAILOVER=1
  WORKLOADS=$(sed -e 's/^ *//' -e 's/ *$//' <<<"${WORKLOADS//failover/}" | tr -s ' ')
  if [ -z "$WORKLOADS" ]; then exec bench/failover.sh; fi ;;
esac
ENGINES=${BENCH_ENGINES:-sqlite pgsql}
RSS_REQUESTS=${BENCH_RSS_REQUESTS:-$d_rss}
SCALE=${BENCH_SEED_SCALE:-$d_scale}
LIST_INVITES=${BENCH_LIST_INVITES:-$d_list}
LIST_CONNS=${BENCH_LIST_CONNECTIONS:-4}
MAX_RATE=${BENCH_MAX_RATE:-25000}
DBD_MIN=${BENCH_DBD_MIN:-2}     # small pool: see the knobs above
DBD_KEEP=${BENCH_DBD_KEEP:-2}
DBD_MAX=${BENCH_DBD_MAX:-2}
DBD_EXPTIME=${BENCH_DBD_EXPTIME:-300}
EXTRA_CONF=${BENCH_EXTRA_CONF:-}
KEEP=${BENCH_KEEP:-0}
STATEMENTS=${BENCH_STATEMENTS:-1}
NO_SQL=${BENCH_NO_SQL:-0}   # set by bench/no-sql.sh only, with:
NO_SQL_NOTE=${BENCH_NO_SQL_NOTE:-}   # the patches it built the module with
STATEMENT_EXECUTIONS=${BENCH_STATEMENT_EXECUTIONS:-$d_executions}
BENCH_USER=${BENCH_USER:-invitetest}

die() { echo "bench: $*" >&2; exit 1; }
is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }
for v in DURATION REPEATS CONNS WARMUP TIMEOUT RSS_REQUESTS LIST_INVITES LIST_CONNS MAX_RATE DBD_MIN DBD_KEEP DBD_MAX DBD_EXPTIME; do
  is_uint "${!v}" || die "$v must be a whole number (got '${!v}')"
done
[ "$DURATION" -ge 1 ] && [ "$REPEATS" -ge 1 ] && [ "$CONNS" -ge 1 ] && [ "$LIST_CONNS" -ge 1 ] ||
  die "BENCH_SECONDS, BENCH_REPEATS, BENCH_CONNECTIONS and BENCH_LIST_CONNECTIONS must be at least 1"
[[ $SCALE =~ ^[0-9]*\.?[0-9]+$ ]] || die "BENCH_SEED_SCALE must be a positive number"
for w in $WORKLOADS; do
  case " $ALL_WORKLOADS " in *" $w "*) ;; *) die "unknown workload '$w' (known: $ALL_WORKLOADS)";; esac
done
has_workload() { case " $WORKLOADS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
# The static file each workload is compared with: its typical answer
# (find, create, reject and mixed share static.json, as before).
ceiling_of() {
  case $1 in
  validate|remove|list|mail) echo "$1" ;;
  use|use-member) echo use ;;
  *) echo static ;;   # find-sync: find's answer
  esac
}
CEILINGS=
for w in $WORKLOADS; do
  case " $CEILINGS " in *" $(ceiling_of "$w") "*) ;; *) CEILINGS="$CEILINGS $(ceiling_of "$w")" ;; esac
done
CEILINGS=${CEILINGS# }
for e in $ENGINES; do
  case $e in sqlite|pgsql) ;; *) die "unknown engine '$e'";; esac
done
[ -z "$EXTRA_CONF" ] || [ -r "$EXTRA_CONF" ] || die "BENCH_EXTRA_CONF: cannot read $EXTRA_CONF"
[ -z "$EXTRA_CONF" ] || EXTRA_CONF=$(cd "$(dirname "$EXTRA_CONF")" && pwd)/$(basename "$EXTRA_CONF")

# python3-aiosmtpd: the mail workload's relay (t/lib/smtp-sink.py), run
# with Debian's python3, the one the package is installed for.
scripts/deps.sh wrk libsqlite3-dev python3-aiosmtpd
command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"
if has_workload mail; then
  /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null ||
    die "the mail workload needs python3-aiosmtpd (apt-get install python3-aiosmtpd)"
fi
SYNC_RATE=${BENCH_SYNC_RATE:-1000}
SYNC_BENCH=${BENCH_SYNC:-1}
if has_workload find-sync || [ "$SYNC_BENCH" = 1 ]; then
  make -s build/invite-sync-apply-bench
fi
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
  ! has_workload mail || PINNING="servers (httpd, PostgreSQL, the mail relay) on CPU 0, wrk on CPU 1"
else
  SERVER_PIN=() CLIENT_PIN=()
  PINNING="none (one CPU)"
fi

pg_started=
cleanup() {
  local rc=$? name pid
  trap - EXIT INT TERM
  if [ -s "$work/relay/pid" ]; then   # the mail workload's relay
    pid=$(cat "$work/relay/pid")
    if kill -TERM "$pid" 2>/dev/null; then
      for _ in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  for name in static sqlite pgsql sqlite-list pgsql-list; do
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
scaled() {   # scale -> seed.pl's size arguments
  awk -v s="$1" 'BEGIN {
    u = int(10000 * s + 0.5); if (u < 10) u = 10
    r = int(10000 * s + 0.5); if (r < 10) r = 10
    a = int(100 * s + 0.5); if (a < 20) a = 20; if (a > u) a = u
    printf "--users %d --rooms %d --subs %d --invites %d --admins %d\n",
      u, r, int(100000 * s + 0.5), int(100000 * s + 0.5), a }'
}
# use: enough newcomer x room pairs that every use request of the whole
# run (warm-ups included) joins, even at BENCH_MAX_RATE.
USE_PAIRS=$((REPEATS * (DURATION + WARMUP) * MAX_RATE))
read -r -a seed_args < <(scaled "$SCALE")
seed_args+=(--seed 42 --use-pairs "$USE_PAIRS")
echo "== data set: ${seed_args[*]}"
perl bench/seed.pl --out "$work/seed" "${seed_args[@]}" 2> >(tee "$work/seed.log" >&2)
# list: its own data set of BENCH_LIST_INVITES invites (bench/README).
list_seed_args=()
if has_workload list; then
  read -r -a list_seed_args < <(scaled "$(awk -v n="$LIST_INVITES" 'BEGIN { print n / 100000 }')")
  list_seed_args+=(--seed 42)
  echo "== list data set: ${list_seed_args[*]}"
  perl bench/seed.pl --out "$work/seed-list" "${list_seed_args[@]}" 2> >(tee "$work/seed-list.log" >&2)
fi
[ "$(id -u)" -ne 0 ] || chown -R "$BENCH_USER:" "$work"/seed*
WORKLOAD=$work/seed/workload.lua

# Instances: sqlite and pgsql serve the main data set; sqlite-list and
# pgsql-list (workload list only) the list data set.
pg_host=$work/pg/sock pg_port=
declare -A SQLITE_DB=([sqlite]=$work/sqlite/invite.db [sqlite-list]=$work/sqlite/list.db)
declare -A PG_DB=([pgsql]=invite [pgsql-list]=invite_list)
declare -A SEED_DIR=([sqlite]=$work/seed [pgsql]=$work/seed [sqlite-list]=$work/seed-list [pgsql-list]=$work/seed-list)
sql() {   # instance statements -> rows, columns separated by |
  case $1 in
  sqlite*) as_user sqlite3 "${SQLITE_DB[$1]}" "$2" ;;
  pgsql*)  as_user psql -X -Atq -h "$pg_host" -p "$pg_port" -U invite -d "${PG_DB[$1]}" -v ON_ERROR_STOP=1 -c "$2" ;;
  esac
}
load() {   # instance: schema and seed
  local t0
  t0=$(date +%s.%N)
  case $1 in
  sqlite*)
    as_user sqlite3 "${SQLITE_DB[$1]}" < conf/schema-sqlite3.sql >/dev/null
    as_user sqlite3 "${SQLITE_DB[$1]}" < "${SEED_DIR[$1]}/seed.sql"
    ;;
  pgsql*)
    [ "${PG_DB[$1]}" = invite ] || as_user createdb -h "$pg_host" -p "$pg_port" -U invite "${PG_DB[$1]}"
    as_user psql -X -q -h "$pg_host" -p "$pg_port" -U invite -d "${PG_DB[$1]}" -v ON_ERROR_STOP=1 < conf/schema-pgsql.sql >/dev/null
    as_user psql -X -q -h "$pg_host" -p "$pg_port" -U invite -d "${PG_DB[$1]}" -v ON_ERROR_STOP=1 -f "${SEED_DIR[$1]}/seed.sql" >/dev/null
    ;;
  esac
  echo "== $1 loaded in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
}
INSTANCES=
for e in $ENGINES; do
  case $e in
  sqlite)
    as_user mkdir -p "$work/sqlite"
    ;;
  pgsql)
    as_user env PG_CLUSTER_PROFILE=bench "${SERVER_PIN[@]}" "$work/pg-cluster.sh" start "$work/pg" > "$work/pg.env"
    pg_started=1
    # shellcheck disable=SC1091
    . "$work/pg.env"
    pg_port=$(sed -nE 's/.* port=([0-9]+) .*/\1/p' <<<"$INVITE_TEST_PG_PARAMS")
    PG_PARAMS=$INVITE_TEST_PG_PARAMS
    ;;
  esac
  load "$e"
  INSTANCES="$INSTANCES $e"
  if has_workload list; then load "$e-list"; INSTANCES="$INSTANCES $e-list"; fi
done
INSTANCES=${INSTANCES# }

# What a run wrote: "invites subscriptions sum(uses)" of an instance.
db_counts() {
  sql "$1" 'SELECT (SELECT count(*) FROM invites), (SELECT count(*) FROM subscriptions),
                   (SELECT coalesce(sum(uses), 0) FROM invites);' | tr '|' ' '
}

# remove: before each run, BENCH_REMOVE_IDS expired invites of a creator no
# other workload names, with the ids bench/wrk/remove.lua deletes; after
# it, what is left of them goes (PostgreSQL: and VACUUM), so the other
# workloads keep their data set.
REMOVE_CREATOR=u-bench-remove
load_removable() {   # instance count
  local t=$(( $(date +%s) * 1000 - 2 * 86400000 ))
  local cols="id, days, max_uses, rid, user_id, created_at, expires, uses, updated_at, slot"
  local vals="1, 0, 'r0000000000000001', '$REMOVE_CREATOR', $t, $((t + 86400000)), 0, $t, NULL"
  case $1 in
  # The checkpoint: the run starts with an empty WAL, as the others do.
  sqlite*) sql "$1" "WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < $2)
    INSERT INTO invites ($cols) SELECT printf('rm%08x', n * 2654435761 % 4294967296), $vals FROM k;
    PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null ;;
  pgsql*) sql "$1" "INSERT INTO invites ($cols)
    SELECT 'rm' || lpad(to_hex(n * 2654435761 % 4294967296), 8, '0'), $vals
      FROM generate_series(1::bigint, $2) AS n;" ;;
  esac
}
drop_removable() {   # instance
  sql "$1" "DELETE FROM invites WHERE user_id = '$REMOVE_CREATOR';" >/dev/null
  case $1 in
  sqlite*) sql "$1" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null ;;
  pgsql*)  sql "$1" 'VACUUM invites;' >/dev/null ;;
  esac
}

# ------------------------------------------------------------ mail relay
# mail: the machine's relay is t/lib/smtp-sink.py --discard (aiosmtpd) on a
# free loopback port, on the servers' CPU as PostgreSQL is: it takes each
# mail, keeps one line of its envelope (relay/mail/envelopes: from, to,
# bytes) and drops the rest.  The module instances send to it
# (httpd.conf.in, BENCH_MAIL); cleanup stops it.
MAIL_RELAY=''
MAIL_FROM=noreply@mail.bench.example
if has_workload mail; then
  cp t/lib/smtp-sink.py "$work/smtp-sink.py"
  as_user mkdir -p "$work/relay"
  # shellcheck disable=SC2016  # expanded by that sh
  as_user "${SERVER_PIN[@]}" sh -c 'echo $$ > "$1/pid"; exec /usr/bin/python3 "$2" --discard \
    --dir "$1/mail" --port-file "$1/port" > "$1/sink.log" 2>&1' sh "$work/relay" "$work/smtp-sink.py" &
  for _ in $(seq 100); do [ -s "$work/relay/port" ] && break; sleep 0.1; done
  [ -s "$work/relay/port" ] || { cat "$work/relay/sink.log" >&2; die "the mail relay did not start"; }
  MAIL_RELAY=smtp://127.0.0.1:$(cat "$work/relay/port")
  echo "== mail relay: $MAIL_RELAY (t/lib/smtp-sink.py --discard)"
fi
relay_count() {   # -> the mails the relay took so far (NA: no relay)
  if [ -n "$MAIL_RELAY" ]; then wc -l < "$work/relay/mail/envelopes"; else echo NA; fi
}
relay_ticks() {   # -> the relay's CPU time so far, in clock ticks (user + system)
  awk '{ print $14 + $15 }' "/proc/$(cat "$work/relay/pid")/stat"
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
    [ "$role" = STATIC ] || [ -z "$MAIL_RELAY" ] || echo "Define BENCH_MAIL"
    sed -e "s|@DIR@|$(sed_escape "$dir")|g" -e "s|@PORT@|${PORT[$name]}|g" \
        -e "s|@MODULE@|$(sed_escape "$work/mod_invite.so")|g" \
        -e "s|@DBD_DRIVER@|$(sed_escape "$driver")|g" -e "s|@DBD_PARAMS@|$(sed_escape "$params")|g" \
        -e "s|@DBD_MIN@|$DBD_MIN|g" -e "s|@DBD_KEEP@|$DBD_KEEP|g" \
        -e "s|@DBD_MAX@|$DBD_MAX|g" -e "s|@DBD_EXPTIME@|$DBD_EXPTIME|g" \
        -e "s|@MAIL_RELAY@|$(sed_escape "${MAIL_RELAY:-none}")|g" \
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
for i in $INSTANCES; do
  case $i in
  sqlite*) start_httpd "$i" SQLITE sqlite3 "${SQLITE_DB[$i]}" ;;
  pgsql*)  start_httpd "$i" PGSQL pgsql "${PG_PARAMS/dbname=invite /dbname=${PG_DB[$i]} }" ;;
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
probe() {   # name uid token body [method path] -> "status" ; body in $work/probe.out
  local login=()
  [ -z "$2" ] || login=(-H "X-User-Id: $2" -H "X-Auth-Token: $3")
  curl -s -o "$work/probe.out" -w '%{http_code}' -X "${5:-POST}" "http://127.0.0.1:${PORT[$1]}${6:-$API}" \
    "${login[@]}" -H 'Content-Type: application/json' ${4:+-d "$4"}
}
static_status=$(curl -s -o "$work/probe.out" -w '%{http_code} %{content_type}' "http://127.0.0.1:${PORT[static]}/static.json")
[ "$static_status" = "200 application/json" ] || die "static instance answered '$static_status'"
probe_failures=0
for e in $ENGINES; do
  st=$(probe "$e" "$s_uid" "$s_token" "{\"rid\":\"$s_rid\",\"days\":$s_days,\"maxUses\":$s_uses}")
  if [ "$st" != 200 ]; then
    echo "bench: $e: find probe answered $st: $(head -c 300 "$work/probe.out")" >&2
    probe_failures=$((probe_failures + 1))
  elif [ "$NO_SQL" = 1 ] && ! grep -q '"_id":"NoSqlA"' "$work/probe.out"; then
    echo "bench: $e: the find probe's answer is not the patch's made-up invite: $(head -c 300 "$work/probe.out")" >&2
    probe_failures=$((probe_failures + 1))
  elif ! cmp -s "$work/probe.out" "$work/seed/static.json"; then
    echo "bench: note: $e's answer differs from static.json ($(wc -c < "$work/probe.out") vs $(wc -c < "$work/seed/static.json") bytes)" >&2
    echo "  module: $(cat "$work/probe.out")" >&2
    echo "  static: $(cat "$work/seed/static.json")" >&2
  fi
  st=$(probe "$e" "$r_uid" "$r_token" "{\"rid\":\"$s_rid\",\"days\":0,\"maxUses\":0}")
  # A module built by bench/no-sql.sh takes any token (its patch makes
  # the caller's token one of the user's).
  if [ "$st" != 401 ] && [ "$NO_SQL" != 1 ]; then
    echo "bench: $e: reject probe answered $st: $(head -c 300 "$work/probe.out")" >&2
    probe_failures=$((probe_failures + 1))
  fi
done

# The other endpoints, for the workloads measured.  Each answer must have
# the workload's status; the first engine's becomes the ceiling file of
# its workload (remove's is the literal true).
first_entry() {   # workload.lua list -> its first entry's line
  sed -n "/^add(W\.$2, /{n;p;q}" "$1"
}
field() { sed -nE "s/.*[{,]$1=\"([^\"]*)\".*/\1/p" <<<"$2"; }
ceiling_body() {   # name: the probe's answer becomes $name.json (first engine)
  [ -e "$work/ceiling/$1.json" ] || cp "$work/probe.out" "$work/ceiling/$1.json"
  cmp -s "$work/probe.out" "$work/ceiling/$1.json" ||
    echo "bench: note: $e's $1 answer differs from the other engine's ($(wc -c < "$work/probe.out") vs $(wc -c < "$work/ceiling/$1.json") bytes)" >&2
}
expect_probe() {   # what status want -> counts a failure
  if [ "$2" != "$3" ]; then
    echo "bench: $e: $1 probe answered $2 (want $3): $(head -c 300 "$work/probe.out")" >&2
    probe_failures=$((probe_failures + 1))
    return 1
  fi
}
mkdir -p "$work/ceiling"
cp "$work/seed/static.json" "$work/ceiling/static.json"
printf true > "$work/ceiling/remove.json"
v_line=$(first_entry "$WORKLOAD" validate)
m_line=$(first_entry "$WORKLOAD" members)
a_line=$(first_entry "$WORKLOAD" admins)
probed=find
for e in $ENGINES; do
  if has_workload validate; then
    st=$(probe "$e" "" "" "{\"token\":\"$(field token "$v_line")\"}" POST /api/v1/validateInviteToken)
    if expect_probe validate "$st" 200; then
      ceiling_body validate
      [ "$(cat "$work/probe.out")" = '{"valid":true,"success":true}' ] ||
        { echo "bench: $e: validate probe answered $(cat "$work/probe.out")" >&2; probe_failures=$((probe_failures + 1)); }
    fi
  fi
  if has_workload use || has_workload use-member; then
    st=$(probe "$e" "$(field uid "$m_line")" "$(field token "$m_line")" "{\"token\":\"$(field invite "$m_line")\"}" POST /api/v1/useInviteToken)
    ! expect_probe "use (member)" "$st" 200 || ceiling_body use
  fi
  if has_workload list; then
    l_line=$(first_entry "${SEED_DIR[$e-list]}/workload.lua" admins)
    st=$(probe "$e-list" "$(field uid "$l_line")" "$(field token "$l_line")" "" GET /api/v1/listInvites)
    if expect_probe list "$st" 200; then
      ceiling_body list
      n=$(perl -MJSON::PP -0777 -ne 'print scalar @{decode_json($_)}' "$work/probe.out" 2>/dev/null || echo "not an array")
      want=$(sql "$e-list" 'SELECT count(*) FROM invites;')
      [ "$n" = "$want" ] || { echo "bench: $e: listInvites gave $n invites of $want" >&2; probe_failures=$((probe_failures + 1)); }
    fi
  fi
  if has_workload remove; then
    st=$(probe "$e" "$(field uid "$a_line")" "$(field token "$a_line")" "" DELETE /api/v1/removeInvite/rm-none)
    expect_probe "remove (unknown id)" "$st" 400 || true
  fi
  if has_workload mail; then
    # The answer, and the relay's envelope of this very mail: a module that
    # answers 200 without delivering fails here.
    to=probe-$e@mail.bench.example
    st=$(probe "$e" "$(field uid "$a_line")" "$(field token "$a_line")" "{\"emails\":[\"$to\"]}" POST /api/v1/sendInvitationEmail)
    if expect_probe mail "$st" 200; then
      ceiling_body mail
      [ "$(cat "$work/probe.out")" = '{"success":true}' ] ||
        { echo "bench: $e: mail probe answered $(cat "$work/probe.out")" >&2; probe_failures=$((probe_failures + 1)); }
      n=$(awk -F'\t' -v f="$MAIL_FROM" -v t="$to" '$1 == f && $2 == t && $3 > 0 { n++ } END { print n + 0 }' \
            "$work/relay/mail/envelopes")
      [ "$n" = 1 ] ||
        { echo "bench: $e: the relay took $n mails from $MAIL_FROM to $to (want 1)" >&2; probe_failures=$((probe_failures + 1)); }
    fi
  fi
done
for w in validate use use-member list remove mail; do ! has_workload "$w" || probed="$probed, $w"; done
if [ "$probe_failures" -gt 0 ]; then
  for i in $INSTANCES; do echo "-- $i error log:"; tail -n 20 "$work/$i/error.log"; done >&2
  die "$probe_failures probe requests got a wrong status: not measuring"
fi
as_user cp $(for c in $CEILINGS; do echo "$work/ceiling/$c.json"; done) "$work/static/htdocs/"
echo "== probes ($probed) as expected; ceilings: $(for c in $CEILINGS; do printf '%s.json %d B  ' "$c" "$(wc -c < "$work/ceiling/$c.json")"; done)"

# ------------------------------------------------------------ statement alone
# invite_find without httpd around it, on the data set as loaded (docs/
# performance.md: what the statement costs against what a find request
# costs).  SQLite: bench/statement-loop.c, one connection, a tight loop over
# the find targets, on the servers' CPU.  PostgreSQL: pgbench -M prepared,
# 16 clients on wrk's CPU against the cluster on the servers' CPU, so the
# executions per second are what the servers' core gives the statement.
# Both bind the module's statement text (`make sql`) in the order
# src/handle/invite_handle_find_or_create.c binds it.
statements=$work/statements.tsv
: > "$statements"
FIND_ARGS=ucuururruurdmn   # user, cutoff, user, user, rid, user, rid, rid, user, user, rid, days, maxUses, now
if [ "$STATEMENTS" = 1 ] && has_workload find; then
  make -s build/invite-sql-dump
  module_sql() {   # engine label -> the module's statement text
    # awk reads to the end: leaving early would stop invite-sql-dump with
    # SIGPIPE once its output outgrows the pipe, and pipefail with it.
    build/invite-sql-dump | awk -F'\t' -v e="$1" -v l="$2" '/^-- / { eng = $0; sub(/^-- /, "", eng); next }
      !done && eng == e && $1 == l { print $2; done = 1 }'
  }
  module_sql sqlite3 invite_find > "$work/find-sqlite.sql"
  # pgbench's form: :u :c :r :d :m :n in the placeholders' order.
  module_sql pgsql invite_find | perl -e 'my @a = split //, $ARGV[0]; my $i = 0;
    my $sql = do { local $/; <STDIN> }; chomp $sql; exit 0 if $sql eq "";
    $sql =~ s/%(?:lld|s|d)/":" . $a[$i++]/ge; $i == @a or die "placeholders: $i, args: " . @a . "\n";
    print "$sql;\n"' "$FIND_ARGS" > "$work/find-pgbench.sql"
  [ -s "$work/find-sqlite.sql" ] && [ -s "$work/find-pgbench.sql" ] || die "no invite_find in build/invite-sql-dump"
  # The find targets of workload.lua: "user rid days maxUses" lines.
  sed -nE 's/.*\{uid="([^"]*)",token="[^"]*",rid="([^"]*)",days=([0-9]+),maxUses=([0-9]+)\}.*/\1 \2 \3 \4/p' \
    "$WORKLOAD" > "$work/find-targets.txt"
  [ -s "$work/find-targets.txt" ] || die "no find targets in $WORKLOAD"
  [ "$(id -u)" -ne 0 ] || chown "$BENCH_USER:" "$work"/find-*
  read -r t_uid t_rid t_days t_max < "$work/find-targets.txt"
  for e in $ENGINES; do
    case $e in
    sqlite)
      cc -O2 -o "$work/statement-loop" bench/statement-loop.c -lsqlite3 ||
        die "cannot build bench/statement-loop.c (libsqlite3-dev)"
      out=$(as_user "${SERVER_PIN[@]}" "$work/statement-loop" "${SQLITE_DB[sqlite]}" "$work/find-sqlite.sql" \
              "$work/find-targets.txt" "$FIND_ARGS" "$STATEMENT_EXECUTIONS") ||
        die "sqlite: invite_find alone failed"
      us=$(sed -nE 's/.*: ([0-9.]+) us per execution$/\1/p' <<<"$out")
      printf 'sqlite\tinvite_find\t%s\t%s\tone connection, %s\n' "$(awk -v u="$us" 'BEGIN { printf "%.0f", 1e6 / u }')" "$us" "${out%%:*}" >> "$statements"
      ;;
    pgsql)
      # One target (pgbench has no per-transaction lists), checked first
      # through psql.
      now_ms=$(( $(date +%s) * 1000 ))
      check=$(sed -e "s/:u\b/'$t_uid'/g; s/:r\b/'$t_rid'/g; s/:d\b/$t_days/g; s/:m\b/$t_max/g; s/:c\b/0/g; s/:n\b/$now_ms/g" \
                "$work/find-pgbench.sql")
      row=$(sql pgsql "$check")
      IFS='|' read -r -a col <<<"$row"
      [ -n "${col[0]}" ] && [ "${col[1]}" = 1 ] && [ "${col[2]}" = 1 ] && [ -n "${col[5]:-}" ] ||
        die "pgsql: invite_find alone did not give the find answer: $row"
      out=$(as_user "${CLIENT_PIN[@]}" pgbench -n -M prepared -c 16 -j 1 -T "$DURATION" \
              -D u="$t_uid" -D r="$t_rid" -D d="$t_days" -D m="$t_max" -D c=0 -D n="$now_ms" \
              -f "$work/find-pgbench.sql" -h "$pg_host" -p "$pg_port" -U invite invite 2>&1) ||
        die "pgsql: pgbench failed: $out"
      tps=$(sed -nE 's/^tps = ([0-9.]+) .*/\1/p' <<<"$out")
      [ -n "$tps" ] || die "pgsql: no tps from pgbench: $out"
      printf 'pgsql\tinvite_find\t%.0f\t%s\tpgbench -M prepared -c 16, %s s, one target\n' "$tps" \
        "$(awk -v t="$tps" 'BEGIN { printf "%.2f", 1e6 / t }')" "$DURATION" >> "$statements"
      ;;
    esac
  done
  echo "== invite_find alone:"; cut -f1,3,4,5 "$statements" | sed 's/^/   /'
fi

# ------------------------------------------------------------ measuring
runs=$work/runs.tsv
printf 'engine\tworkload\trep\trps\tp50_ms\tp99_ms\tnon2xx\tunexpected\trequests\tread_errors\ttimeouts\tmade\twrk_rc\tcreated\tsubscribed\tused\tmailed\trelay_cpu_s\n' > "$runs"
run_no=0
declare -A USE_MADE   # instance -> use requests made so far (use.lua's cursor)
# Socket errors: wrk counts "read" (and "write") errors when httpd closes a
# keep-alive connection (MaxKeepAliveRequests) as wrk sends on it; those
# are reported, not failed.  connect and timeout errors are failures.
# unexpected and made: from common.lua's expect() (NA for the scripts
# without it).
parse_wrk() {   # wrk output -> rps p50 p99 non2xx unexpected requests read_errors timeouts made
  perl -ne '
    $rps = $1 if /^Requests\/sec:\s+([\d.]+)/;
    $req = $1 if /^\s*(\d+) requests in /;
    $lat{$1} = $2 * {us => 0.001, ms => 1, s => 1000, m => 60000, h => 3600000}->{$3}
      if /^\s+(50|99)%\s+([\d.]+)(us|ms|s|m|h)\s*$/;
    $n2 = $1 if /Non-2xx or 3xx responses:\s+(\d+)/;
    $bad = $1 if /^Unexpected responses:\s+(\d+)/;
    $made = $1 if /^Requests made:\s+(\d+)/;
    ($rw, $ct) = ($2 + $3, $1 + $4) if /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/;
    END { print join("\t", $rps // "NA", map({ defined $_ ? sprintf("%.3f", $_) : "NA" } @lat{50, 99}),
                     $n2 // 0, $bad // "NA", $req // "NA", $rw // 0, $ct // 0, $made // "NA"), "\n" }' "$1"
}
# sync_load instance seconds: invite-sync's store applying SYNC_RATE login
# and logout events a second to the instance's database, batched every
# 200 ms as the daemon batches them, on 1,000 users of its own (beside
# the seed's; bench/sync_apply_bench.c --load), on the servers' CPU.
sync_params() {   # instance -> "driver params" of its database
  case $1 in
  sqlite*) echo "sqlite3 ${SQLITE_DB[$1]}" ;;
  pgsql*)  echo "pgsql ${PG_PARAMS/dbname=invite /dbname=${PG_DB[$1]} }" ;;
  esac
}
sync_load() {
  local dp
  dp=$(sync_params "$1")
  as_user "${SERVER_PIN[@]}" "$top/build/invite-sync-apply-bench" --driver "${dp%% *}" --params "${dp#* }" \
    --load "$SYNC_RATE" --seconds "$2" --users 1000
}

# run_wrk engine workload rep seconds: one wrk run, recorded in runs.tsv
# (rep "warmup" and "rss" rows are checked, not reported).  Engine static:
# workload is the ceiling's name, the file <name>.json.
run_wrk() {
  local engine=$1 workload=$2 rep=$3 secs=$4 inst=$1 url script=() rc=0 deltas="NA NA NA" before after conns=$CONNS
  local mailed=NA mails_before relay_cpu=NA ticks_before
  local out=$work/wrk/$engine-$workload-$rep-$((++run_no)).txt
  [ "$workload" != list ] || conns=$LIST_CONNS
  [ "$workload" != list ] || [ "$engine" = static ] || inst=$engine-list
  if [ "$engine" = static ]; then
    url="http://127.0.0.1:${PORT[static]}/$workload.json"
  else
    url="http://127.0.0.1:${PORT[$inst]}$API"
    script=(-s "$top/bench/wrk/${workload%-sync}.lua")
    [ "$workload" != remove ] || load_removable "$inst" $((secs * MAX_RATE + 1000))
    before=$(db_counts "$inst")
    mails_before=$(relay_count)
    [ "$mails_before" = NA ] || ticks_before=$(relay_ticks)
  fi
  # BENCH_WRK_DIR: where the scripts find bench/wrk/common.lua.
  env BENCH_WRK_DIR="$top/bench/wrk" BENCH_WORKLOAD="${SEED_DIR[$inst]:-$work/seed}/workload.lua" \
    BENCH_RUN_SEED="$(( $(date +%s) % 100000000 * 100 + run_no % 100 ))" \
    BENCH_WRK_THREADS=1 BENCH_USE_OFFSET="${USE_MADE[$inst]:-0}" \
    "${CLIENT_PIN[@]}" wrk -t1 -c"$conns" -d"${secs}s" --timeout "${TIMEOUT}s" --latency "${script[@]}" "$url" > "$out" 2>&1 &
  local wrk_pid=$! sync_pid=
  if [ "$workload" = find-sync ]; then   # invite-sync's writes, beside find
    sync_load "$inst" "$secs" > "$out.sync" 2>&1 &
    sync_pid=$!
  fi
  wait "$wrk_pid" || rc=$?
  if [ -n "$sync_pid" ]; then
    wait "$sync_pid" || { echo "bench: the sync load failed: $(tail -n 3 "$out.sync")" >&2; rc=1; }
    [ "$rep" = warmup ] || sed "s/^/$rep\t/" "$out.sync" >> "$work/sync-load.txt"
  fi
  if [ "$engine" != static ]; then
    after=$(db_counts "$inst")
    if [ "$mails_before" != NA ]; then
      mailed=$(( $(relay_count) - mails_before ))
      relay_cpu=$(awk -v t=$(( $(relay_ticks) - ticks_before )) -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }')
    fi
    deltas=$(awk -v b="$before" -v a="$after" 'BEGIN { split(b, x, " "); split(a, y, " ");
      print y[1] - x[1], y[2] - x[2], y[3] - x[3] }')
    [ "$workload" != remove ] || drop_removable "$inst"
  fi
  local f
  f=$(parse_wrk "$out")
  if [ "$workload" = use ]; then   # the next use run goes on from here
    local made
    made=$(cut -f9 <<<"$f")
    [[ $made =~ ^[0-9]+$ ]] || made=$(( $(cut -f6 <<<"$f" | grep -E '^[0-9]+$' || echo 0) + CONNS ))
    USE_MADE[$inst]=$(( ${USE_MADE[$inst]:-0} + made ))
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$engine" "$workload" "$rep" "$f" "$rc" "$(tr ' ' '\t' <<<"$deltas")" "$mailed" "$relay_cpu" >> "$runs"
  LAST=$(tail -n 1 "$runs")
}
measure() {   # engine workload rep
  local f
  if [ "$WARMUP" -gt 0 ]; then run_wrk "$1" "$2" warmup "$WARMUP"; fi
  run_wrk "$1" "$2" "$3" "$DURATION"
  IFS=$'\t' read -r -a f <<<"$LAST"
  local bad=${f[6]}   # non-2xx, or what the script's expect() counted
  [ "${f[7]}" = NA ] || bad=${f[7]}
  printf '   %-6s %-10s #%s %9s req/s  p50 %7s ms  p99 %8s ms  bad status %s  timeouts %s  read errors %s  invites %s subscriptions %s uses %s%s  (wrk rc %s)\n' \
    "${f[0]}" "${f[1]}" "${f[2]}" "${f[3]}" "${f[4]}" "${f[5]}" "$bad" "${f[10]}" "${f[9]}" "${f[13]}" "${f[14]}" "${f[15]}" \
    "$([ "${f[16]}" = NA ] || echo " mails ${f[16]}")" "${f[12]}"
}

echo "== $REPEATS x (static: $CEILINGS; $WORKLOADS on $ENGINES), ${DURATION}s each after ${WARMUP}s warm-up, $CONNS connections; pinning: $PINNING"
for rep in $(seq "$REPEATS"); do
  for c in $CEILINGS; do measure static "$c" "$rep"; done
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

# ------------------------------------------------------------ invite-sync
# The store's speed without MongoDB (bench/sync_apply_bench.c): the first
# copy of 100,000 users with 5 tokens each, token events applied in
# batches of 500, presence events, a resync; on the servers' CPU, each
# engine in a scratch database of its own.
sync_file=$work/sync-apply.txt
: > "$sync_file"
if [ "$SYNC_BENCH" = 1 ]; then
  sync_users=100000 sync_events=100000
  [ "$SMOKE" != 1 ] || sync_users=2000 sync_events=2000
  for e in $ENGINES; do
    case $e in
    sqlite) sp=$work/sqlite/sync-bench.db ;;
    pgsql)  as_user createdb -h "$pg_host" -p "$pg_port" -U invite sync_bench
            sp=${PG_PARAMS/dbname=invite /dbname=sync_bench } ;;
    esac
    echo "== invite-sync store on $e: copy of $sync_users users x 5 tokens, $sync_events events"
    (cd "$top" && as_user "${SERVER_PIN[@]}" build/invite-sync-apply-bench --driver "$([ "$e" = sqlite ] && echo sqlite3 || echo pgsql)" \
      --params "$sp" --init --users "$sync_users" --events "$sync_events") | tee -a "$sync_file" ||
      die "invite-sync-apply-bench failed on $e"
    [ "$e" != sqlite ] || as_user rm -f "$sp" "$sp-wal" "$sp-shm"
  done
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
  echo "module=$rev${NO_SQL_NOTE:+ $NO_SQL_NOTE}"
  echo "connections=$CONNS"
  echo "list_connections=$LIST_CONNS"
  echo "duration=$DURATION"
  echo "warmup=$WARMUP"
  echo "timeout=$TIMEOUT"
  echo "repeats=$REPEATS"
  echo "pinning=$PINNING"
  echo "pool=DBDMin $DBD_MIN, DBDKeep $DBD_KEEP, DBDMax $DBD_MAX, DBDExptime $DBD_EXPTIME"
  echo "extra_conf=${EXTRA_CONF:-none}"
  echo "seed=${seed_args[*]}"
  echo "seed_rows=$seed_rows"
  echo "workloads=$WORKLOADS"
  echo "engines=$ENGINES"
  echo "ceilings=$CEILINGS"
  for c in $CEILINGS; do echo "ceiling_bytes_$c=$(wc -c < "$work/ceiling/$c.json")"; done
  for w in $WORKLOADS; do echo "ceiling_$w=$(ceiling_of "$w")"; done
  echo "list_seed=${list_seed_args[*]}"
  echo "list_seed_rows=$(sed -nE 's/^seed.pl: ([^;]*);.*/\1/p' "$work/seed-list.log" 2>/dev/null)"
  echo "remove_ids=$((DURATION * MAX_RATE + 1000)) per run"
  echo "use_pairs=$USE_PAIRS ($(sed -nE 's/.* ([0-9]+ use rooms x [0-9]+ newcomers).*/\1/p' "$work/seed.log"))"
  echo "smoke=$SMOKE"
  [ -z "$MAIL_RELAY" ] || echo "mail_relay=t/lib/smtp-sink.py --discard (aiosmtpd $(/usr/bin/python3 -c 'import aiosmtpd; print(aiosmtpd.__version__)' 2>/dev/null); python $(/usr/bin/python3 -c 'import platform; print(platform.python_version())')), one SMTP session per mail"
  echo "probe_failures=$probe_failures"
  echo "sync_rate=$SYNC_RATE"
  n=0; while IFS= read -r line; do echo "sync_load_$((++n))=$line"; done < <(cat "$work/sync-load.txt" 2>/dev/null)
  n=0; while IFS= read -r line; do echo "sync_apply_$((++n))=$line"; done < "$sync_file"
  # Crashed children and error-level lines in the instances' error logs.
  for name in static $INSTANCES; do
    echo "errorlog_$name=$(grep -cE '\[[a-z_]+:(error|crit|alert|emerg)\]|exit signal' "$work/$name/error.log" || true)"
  done
} > "$work/meta.txt"
rc=0
perl bench/report.pl --meta "$work/meta.txt" --runs "$runs" --rss "$rss_file" --statements "$statements" --out "$OUTPUT" || rc=$?
[ -s "$OUTPUT" ] && grep -q '^| static | ' "$OUTPUT" || { echo "bench: no results table" >&2; rc=1; }
echo "== results: $OUTPUT"
if [ "$FAILOVER" = 1 ]; then
  failover_out=$top/bench/results-failover.md
  [ "$SMOKE" != 1 ] || failover_out=$work/results-failover.md
  (BENCH_MODULE="$MODULE_SO" BENCH_SECONDS="$DURATION" BENCH_CONNECTIONS="$CONNS" \
   BENCH_DBD_MIN="$DBD_MIN" BENCH_DBD_KEEP="$DBD_KEEP" BENCH_DBD_MAX="$DBD_MAX" \
   BENCH_DBD_EXPTIME="$DBD_EXPTIME" BENCH_FAILOVER_OUTPUT="$failover_out" \
   bench/failover.sh) || rc=1
fi
[ "$rc" -eq 0 ] || die "FAILED (see above)"
