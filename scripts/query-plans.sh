#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Writes docs/query-plans.md: the plan of every statement mod_invite
# prepares (build/invite-sql-dump), on SQLite and on PostgreSQL, over
# tables seeded large enough that indexes matter and then ANALYZEd.
#
#   scripts/query-plans.sh > docs/query-plans.md
#
# SQLite: EXPLAIN QUERY PLAN in a database built from conf/schema-sqlite3.sql.
# PostgreSQL: a throwaway cluster (scripts/pg-cluster.sh, run as
# INVITE_TEST_USER, default invitetest, when called as root) loaded with
# conf/schema-pgsql.sql; after the module's session statement, each
# statement is PREPAREd with the parameter types apr_dbd gives it, EXECUTEd
# six times and then EXPLAINed: the cached generic plan a pooled connection
# runs.  t/api/08_query_plans.t and t/api/12_plans_at_scale.t check the
# same plans.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

make -s build/invite-sql-dump >&2
. scripts/work-dir.sh
work_dir mod-invite-plans "${INVITE_TEST_USER:-invitetest}"
cp scripts/pg-cluster.sh "$work/pg-cluster.sh"
pg_started=
cleanup() {
  [ -z "$pg_started" ] || as_user "$work/pg-cluster.sh" stop "$work/pg" || true
  rm -rf "$work"
}
trap cleanup EXIT

# The seed rows, for either engine: SERIES(n) is the integers 1..n as a
# table with column i, HASH a token hash of i.  As t/api/12_plans_at_scale.t.
seed_sql() {   # engine
  local series hash
  if [ "$1" = pgsql ]; then
    series='generate_series(1, \1) AS s(i)' hash='md5(i::text)'
  else
    series='(SELECT value AS i FROM generate_series(1, \1)) AS s' hash='hex(randomblob(20))'
  fi
  sed -e "s/SERIES(\([0-9]*\))/$series/g" -e "s/HASH/$hash/g" <<'SQL'
BEGIN;
INSERT INTO users SELECT 'u' || i, 'user' || i FROM SERIES(20000);
INSERT INTO user_roles SELECT 'u' || i, 'user' FROM SERIES(20000);
INSERT INTO login_tokens SELECT 'u' || (i % 20000 + 1), HASH, 0 FROM SERIES(100000);
INSERT INTO rooms SELECT 'r' || i, 'c', 'room' || i, NULL, NULL FROM SERIES(20000);
INSERT INTO subscriptions (user_id, rid) SELECT 'u' || (i % 20000 + 1), 'r' || (i * 7 % 20000 + 1) FROM SERIES(100000) WHERE 1 = 1 ON CONFLICT DO NOTHING;
INSERT INTO subscription_roles SELECT user_id, rid, 'owner' FROM subscriptions WHERE length(rid) = 4;
INSERT INTO permission_roles SELECT 'permission-' || i, 'role' || (i % 7) FROM SERIES(2000) WHERE 1 = 1 ON CONFLICT DO NOTHING;
INSERT INTO invites SELECT 'i' || i, 7, 5, 'r' || (i % 20000 + 1), 'u' || (i % 20000 + 1), i, 1900000000000, 0, i, CASE WHEN i % 3 = 0 THEN NULL ELSE 1 END FROM SERIES(100000) WHERE 1 = 1 ON CONFLICT DO NOTHING;
COMMIT;
ANALYZE;
SQL
}

# statements engine -> "label<TAB>sql" with apr_dbd's format codes turned
# into the engine's placeholders, then "<TAB>types" (varchar, integer,
# bigint: the types apr_dbd's pgsql driver PREPAREs them with).
statements() {
  "$top/build/invite-sql-dump" "$1" | perl -F'\t' -lane '
    my ($label, $sql) = @F; my ($n, @types) = (0);
    my %type = (s => "varchar", d => "integer", lld => "bigint");
    $sql =~ s/%(lld|d|s)/push @types, $type{$1}; $ENV{PG} ? "\$" . ++$n : "?"/ge;
    print join("\t", $label, $sql, join(",", @types));'
}

# ------------------------------------------------------------ SQLite
db=$work/plans.db
sqlite3 "$db" < conf/schema-sqlite3.sql >/dev/null
seed_sql sqlite3 | sqlite3 "$db"
sqlite_plans=$work/sqlite.md
while IFS=$'\t' read -r label sql _; do
  printf '### %s\n\n```\n' "$label"
  plan=$(sqlite3 "$db" "EXPLAIN QUERY PLAN $sql" | sed '/^QUERY PLAN$/d')
  printf '%s\n' "${plan:-(no plan: nothing is searched)}"
  printf '```\n\n'
done < <(PG='' statements sqlite3) > "$sqlite_plans"
sqlite_version=$(sqlite3 --version | cut -d' ' -f1)

# ------------------------------------------------------------ PostgreSQL
as_user "$work/pg-cluster.sh" start "$work/pg" > "$work/pg.env"
pg_started=1
pg_port=$(sed -nE 's/.* port=([0-9]+) .*/\1/p' "$work/pg.env")
pg() { PGOPTIONS='-c client_min_messages=warning' psql -X -q -At -v ON_ERROR_STOP=1 -h "$work/pg/sock" -p "$pg_port" -U invite -d invite "$@"; }
pg < conf/schema-pgsql.sql >/dev/null
seed_sql pgsql | pg >/dev/null
session_sql=$(PG=1 statements pgsql | awk -F'\t' '$1 == "invite_session" { print $2 }')
[ -n "$session_sql" ] || { echo "query-plans: no invite_session statement" >&2; exit 1; }
pg_plans=$work/pgsql.md
# args k: EXECUTE's argument list for $types, plausible values; the ids
# differ per execution so that each create inserts.
args() {
  local k=$1 t out=
  [ -n "$types" ] || return 0
  for t in ${types//,/ }; do
    case $t in varchar) t="'T$k'" ;; integer) t=7 ;; *) t=1800000000000 ;; esac
    out="${out:+$out, }$t"
  done
  printf '(%s)' "$out"
}
while IFS=$'\t' read -r label sql types; do
  [ "$label" != invite_session ] || continue
  {
    echo '\o /dev/null'
    echo "$session_sql;"
    echo "PREPARE p${types:+ ($types)} AS $sql;"
    for k in 1 2 3 4 5 6; do echo "EXECUTE p$(args "$k");"; done
    echo '\o'
    echo "EXPLAIN EXECUTE p$(args 7);"
  } > "$work/plan.sql"
  printf '### %s\n\n```\n' "$label"
  pg -f "$work/plan.sql"
  printf '```\n\n'
done < <(PG=1 statements pgsql) > "$pg_plans"
pg_version=$(pg -c 'SHOW server_version' | cut -d' ' -f1)

# ------------------------------------------------------------ the document
cat <<EOF
# Query plans

Every statement in src/invite_sql.c is answered from indexes on both
engines, and keeps being answered from them as the tables grow.  The plans
below were printed by \`scripts/query-plans.sh > docs/query-plans.md\`,
which regenerates this file.

How they were obtained.  \`build/invite-sql-dump ENGINE\` prints each
engine's statements (label, tab, SQL); apr_dbd's format codes (%s, %d,
%lld) become \`?\` on SQLite and \`\$1, \$2, ...\` on PostgreSQL.  Both
databases hold the schema from conf/ and the same generated rows (20,000
users and rooms, 100,000 login tokens, subscriptions and invites, 2,000
permission rows), then ANALYZE.

- SQLite $sqlite_version: \`EXPLAIN QUERY PLAN\` of each statement in a
  database built from conf/schema-sqlite3.sql.
- PostgreSQL $pg_version: a throwaway cluster (scripts/pg-cluster.sh) loaded
  with conf/schema-pgsql.sql.  In one session per statement, the module's
  session statement \`invite_session\`, run on every connection mod_invite
  opens, comes first:

      $session_sql

  then the statement is PREPAREd with the parameter types apr_dbd gives
  it, EXECUTEd six times and shown with \`EXPLAIN EXECUTE\`.  From the
  sixth execution on, PostgreSQL may run a cached generic plan, planned
  once for any arguments; that is the plan shown (its conditions name
  \`\$n\`, not values).

What to look for:

- every table is reached through an index: SQLite \`SEARCH ... USING
  [COVERING] INDEX\` or \`USING PRIMARY KEY\` (its tables are WITHOUT
  ROWID), PostgreSQL \`Index Scan\`, \`Index Only Scan\` or a
  bitmap scan on an index; never \`SCAN <table>\` or \`Seq Scan\`.  The only
  scans are of the one-row derived tables of invite_find,
  invite_use_facts and invite_auth_failure (\`one_row\`, a subquery or
  \`CONSTANT ROW\`), and
  invite_list's pass over invites: listInvites returns the whole table by
  design, sorted (an index on created_at would tempt the find lookup),
  and invite_sync_status's count of join_outbox, run only for the
  server-status page (invite-sync keeps that table near empty);
- invites only through its primary key (the token endpoints and
  removeInvite) or its creator-and-settings indexes:
  invites_live_lookup (user_id, rid, days, max_uses, created_at, id) for
  the live-invite lookups, read in order so nothing sorts, and
  invites_by_creator_settings (the unique slot index) for the slot
  statements.  On SQLite invites_live_lookup also holds expires, uses and
  updated_at, so invite_find and invite_find_invite read it as a
  \`COVERING INDEX\` and never the table; PostgreSQL's invite_find reads
  the invite's row from the table.  SQLite
  names each index with \`INDEXED BY\`, because it plans a statement once
  per connection, from the statistics of that moment; PostgreSQL keeps
  its generic plan off sequential scans through the session statement
  (the former invites_by_room is dropped by the schema);
- invite_find is one row of scalar subqueries, each one index lookup;
  no join of the user's tokens against the rest;
- the sort (SQLite's temp B-tree, PostgreSQL's Sort) orders only the few
  invites of one creator and settings that the index returned.

Statement sets differ per engine: SQLite releases a dead invite's slot
(\`invite_release_slot\`) and inserts (\`invite_create\`, a plain
\`INSERT ... ON CONFLICT DO NOTHING\`, whose conflict check is the unique
index: EXPLAIN QUERY PLAN shows nothing for it) as two statements in one
transaction; PostgreSQL does both in its one \`invite_create\` statement.

Tests: t/api/08_query_plans.t fails on a table scan in any statement's
plan (EXPLAIN with sequential scans disabled on PostgreSQL);
t/api/12_plans_at_scale.t checks them with default planner settings, on
large tables and on tiny ANALYZEd ones (a plan made there must not scan
invites once the table grows), on PostgreSQL the sixth execution's generic
plan, and that without the session statement that plan would scan
invites.

## SQLite $sqlite_version (EXPLAIN QUERY PLAN)

$(cat "$sqlite_plans")

## PostgreSQL $pg_version (EXPLAIN EXECUTE after six executions, enable_seqscan off)

$(cat "$pg_plans")
EOF
