#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A throwaway PostgreSQL cluster for the test suite, owned by the calling
# (unprivileged) user, reachable only through a Unix socket in DIR.
#
#   pg-cluster.sh start DIR     initdb + start; prints the env for t/TEST.PL
#   pg-cluster.sh stop DIR      stop and remove the cluster
#   pg-cluster.sh down DIR      stop the server, keep the data (fault tests)
#   pg-cluster.sh up DIR        start it again
#   pg-cluster.sh restart DIR   fast restart (pg_ctl restart -m fast)
#
# PG_CLUSTER_PROFILE=test (default): fsync off, every statement logged (the
# round-trip tests read the log).  PG_CLUSTER_PROFILE=bench (make bench):
# fsync on, synchronous_commit off, shared_buffers 256MB, no statement log.
set -euo pipefail
cmd=$1 dir=$2
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bin/initdb" ] || { echo "pg-cluster.sh: PostgreSQL server binaries not found" >&2; exit 1; }

pg_ctl() { "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" "$@"; }

case $cmd in
start)
  rm -rf "$dir"; mkdir -p "$dir/sock"
  "$bin/initdb" -D "$dir/data" -A trust -U invite --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  port=$(( 40000 + RANDOM % 20000 ))
  cat >> "$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$dir/sock'
port = $port
max_connections = 300
log_line_prefix = '%m [%p] [%a] '
CONF
  case ${PG_CLUSTER_PROFILE:-test} in
  test) cat >> "$dir/data/postgresql.conf" <<CONF
fsync = off
synchronous_commit = off
full_page_writes = off
# The round-trip tests count the statements each request sends.
log_statement = 'all'
CONF
    ;;
  bench)   # make bench: durable storage, no statement log
    cat >> "$dir/data/postgresql.conf" <<CONF
fsync = on
synchronous_commit = off
shared_buffers = 256MB
CONF
    ;;
  *) echo "pg-cluster.sh: unknown PG_CLUSTER_PROFILE $PG_CLUSTER_PROFILE (test, bench)" >&2; exit 2 ;;
  esac
  pg_ctl -w -t 30 start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  "$bin/createdb" -h "$dir/sock" -p "$port" -U invite invite
  echo "INVITE_TEST_PG_DSN='dbname=invite;host=$dir/sock;port=$port;user=invite'"
  echo "INVITE_TEST_PG_PARAMS=\"host=$dir/sock port=$port dbname=invite user=invite application_name=mod_invite connect_timeout=2 options='-c lock_timeout=2000 -c statement_timeout=5000'\""
  ;;
stop)
  [ -d "$dir/data" ] && pg_ctl -w -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
down)    pg_ctl -w -m fast stop >/dev/null ;;
up)      pg_ctl -w -t 30 start >/dev/null ;;
restart) pg_ctl -w -m fast restart >/dev/null ;;
*) echo "usage: $0 start|stop|down|up|restart DIR" >&2; exit 2 ;;
esac
