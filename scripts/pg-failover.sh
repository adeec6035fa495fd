#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Two throwaway PostgreSQL clusters in streaming replication, owned by the
# calling (unprivileged) user, for the failover test (t/api/41_failover.t)
# and make bench's failover workload.  Node a starts as the primary, node b
# as its synchronous standby (pg_basebackup, replication slot node_b), both
# on 127.0.0.1 with a port each.  The settings that differ between nodes
# (port, cluster_name) are given on the command line, because
# pg_basebackup and pg_rewind copy postgresql.conf between them.
#
#   pg-failover.sh start DIR          both nodes; prints the env (below)
#   pg-failover.sh kill DIR NODE      stop NODE hard (pg_ctl -m immediate)
#   pg-failover.sh promote DIR NODE   promote the standby NODE (waits)
#   pg-failover.sh rejoin DIR NODE PRIMARY
#                                     NODE (stopped) back as a standby of
#                                     PRIMARY: pg_rewind, slot node_NODE,
#                                     then PRIMARY waits for it (sync)
#   pg-failover.sh sync DIR NODE on|off
#                                     synchronous_standby_names '*' or ''
#   pg-failover.sh stop DIR           stop both and remove DIR
#
# start prints INVITE_FAILOVER_PORT_A, INVITE_FAILOVER_PORT_B and
# INVITE_FAILOVER_PARAMS: DBDParams with both hosts, as
# docs/postgresql.md#failover documents them.
set -euo pipefail
cmd=$1 dir=$2
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bin/initdb" ] || { echo "pg-failover.sh: PostgreSQL server binaries not found" >&2; exit 1; }

port_of() { cat "$dir/$1.port"; }
pg_ctl() {   # NODE args...
  local node=$1; shift
  "$bin/pg_ctl" -D "$dir/$node" -l "$dir/$node.log" \
    -o "-p $(port_of "$node") -c cluster_name=$node" "$@"
}
psql_on() {  # NODE SQL
  "$bin/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$(port_of "$1")" \
    -U invite -d postgres -c "$2"
}
free_port() {
  perl -MIO::Socket::INET -e 'my $s = IO::Socket::INET->new(Listen => 1,
    LocalAddr => "127.0.0.1", LocalPort => 0) or die; print $s->sockport'
}
wait_sync() {   # PRIMARY: until a standby streams synchronously
  local i
  for i in $(seq 1 150); do
    [ "$(psql_on "$1" "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'")" = 1 ] &&
      return 0
    sleep 0.2
  done
  echo "pg-failover.sh: no synchronous standby of $1 after 30 s" >&2
  return 1
}

case $cmd in
start)
  rm -rf "$dir"; mkdir -p "$dir"
  free_port > "$dir/a.port"
  free_port > "$dir/b.port"
  "$bin/initdb" -D "$dir/a" -A trust -U invite --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  cat >> "$dir/a/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 200
log_line_prefix = '%m [%p] [%a] '
# Lost on a crash of the machine, not of the server: enough for a test.
fsync = off
# pg_rewind needs both.
full_page_writes = on
wal_log_hints = on
synchronous_commit = on
hot_standby = on
wal_receiver_status_interval = 1s
CONF
  pg_ctl a -w -t 30 start >/dev/null || { cat "$dir/a.log" >&2; exit 1; }
  "$bin/pg_basebackup" -h 127.0.0.1 -p "$(port_of a)" -U invite -D "$dir/b" \
    -R -C -S node_b -X stream --no-sync >"$dir/basebackup.log" 2>&1 ||
    { cat "$dir/basebackup.log" >&2; exit 1; }
  pg_ctl b -w -t 30 start >/dev/null || { cat "$dir/b.log" >&2; exit 1; }
  # After the copy: b, once promoted, does not wait for a standby it has not.
  psql_on a "ALTER SYSTEM SET synchronous_standby_names = '*'"
  psql_on a "SELECT pg_reload_conf()" >/dev/null
  wait_sync a
  "$bin/createdb" -h 127.0.0.1 -p "$(port_of a)" -U invite invite
  pa=$(port_of a) pb=$(port_of b)
  echo "INVITE_FAILOVER_PORT_A=$pa"
  echo "INVITE_FAILOVER_PORT_B=$pb"
  echo "INVITE_FAILOVER_PARAMS=\"host=127.0.0.1,127.0.0.1 port=$pa,$pb dbname=invite user=invite target_session_attrs=read-write connect_timeout=2 keepalives=1 keepalives_idle=5 keepalives_interval=2 keepalives_count=2 tcp_user_timeout=5000 application_name=mod_invite\""
  ;;
kill)    pg_ctl "$3" -w -m immediate stop >/dev/null ;;
promote) pg_ctl "$3" -w -t 30 promote >/dev/null ;;
rejoin)
  node=$3 primary=$4
  psql_on "$primary" "SELECT pg_create_physical_replication_slot('node_$node')" >/dev/null
  # A primary just promoted writes its new timeline to its control file at
  # the next checkpoint; pg_rewind reads it there.
  psql_on "$primary" "CHECKPOINT"
  "$bin/pg_rewind" -D "$dir/$node" -R \
    --source-server="host=127.0.0.1 port=$(port_of "$primary") user=invite dbname=postgres" \
    >"$dir/rewind-$node.log" 2>&1 || { cat "$dir/rewind-$node.log" >&2; exit 1; }
  # pg_rewind copied the primary's postgresql.auto.conf, then added
  # primary_conninfo and standby.signal (-R).
  echo "primary_slot_name = 'node_$node'" >> "$dir/$node/postgresql.auto.conf"
  pg_ctl "$node" -w -t 60 start >/dev/null || { cat "$dir/$node.log" >&2; exit 1; }
  psql_on "$primary" "ALTER SYSTEM SET synchronous_standby_names = '*'"
  psql_on "$primary" "SELECT pg_reload_conf()" >/dev/null
  wait_sync "$primary"
  ;;
sync)
  names=$([ "$4" = on ] && echo '*' || true)
  psql_on "$3" "ALTER SYSTEM SET synchronous_standby_names = '$names'"
  psql_on "$3" "SELECT pg_reload_conf()" >/dev/null
  ;;
stop)
  for node in a b; do
    [ -f "$dir/$node/postmaster.pid" ] && pg_ctl "$node" -w -m immediate stop >/dev/null 2>&1 || true
  done
  rm -rf "$dir"
  ;;
*) echo "usage: $0 start|kill|promote|rejoin|sync|stop DIR [NODE [PRIMARY|on|off]]" >&2; exit 2 ;;
esac
