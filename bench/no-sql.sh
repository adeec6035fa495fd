#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make bench-no-sql, bench-one-statement, bench-lookups and
# bench-three-lookups: the find workload against a module built from a
# patched copy of the tree, next to the static file, with make bench's
# settings.  An experiment, never a build: the patches apply to a copy of
# the tree.  Each variant's patch applies on top of those of the variants
# before it, in the order below.
#
#   bench/no-sql.sh [no-sql|one-statement|lookups|three-lookups]
#
#   no-sql         bench/no-sql.patch makes invite_find's row up in C (an
#                  admin's live invite): a find request does everything
#                  but its statement.  SQLite only (no database is read).
#                  Answers how much of a find request is the statement,
#                  counting what running SQLite costs the rest of the
#                  request.  Writes bench/results-no-sql.md.
#   one-statement  bench/one-statement.patch runs the simplest statement
#                  the module has (invite_schema_version) on the pooled
#                  connection, then makes the row up as no-sql does: every
#                  cost of using the database (mod_dbd's pool, apr_dbd,
#                  SQLite's locks, PostgreSQL's round trip) but the find
#                  statement's lookups.  Both engines.  Answers what any
#                  statement, however lean, leaves of the static file's
#                  rate.  Writes bench/results-one-statement.md.
#   lookups        bench/lookups.patch runs instead the
#                  six lookups a find needs, each as bare as it can be
#                  (tokens, global roles, room roles, subscription, room
#                  type, the first invite's key: no permission join, no
#                  live test), then makes the row up.  Both engines.
#                  Answers what a leaner find statement over this data
#                  model could reach.  Writes bench/results-lookups.md.
#   three-lookups  bench/three-lookups.patch keeps
#                  three of those lookups (tokens, subscription, the
#                  invite's key): as many as a find would need if a user's
#                  roles lived on the user's row and the room's type and
#                  roles on the subscription, as Rocket.Chat's documents
#                  hold them.  Answers what a leaner data model could
#                  reach.  Writes bench/results-three-lookups.md.
#
# BENCH_OUTPUT overrides the results file; the other BENCH_* knobs apply.
# make bench-smoke runs every variant with BENCH_SMOKE=1, so that the
# patches keep applying and the builds keep answering.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
variant=${1:-no-sql}
chain="no-sql one-statement lookups three-lookups"
patches=
for v in $chain; do
  patches="$patches $v.patch"
  [ "$v" = "$variant" ] && break
done
[ "$v" = "$variant" ] || { echo "usage: $0 [${chain// /|}]" >&2; exit 2; }
# no-sql reads no database, so PostgreSQL has nothing to measure there.
if [ "$variant" = no-sql ]; then engines=sqlite; else engines="sqlite pgsql"; fi
scripts/deps.sh wrk libsqlite3-dev python3-aiosmtpd   # what run.sh needs, before the build
copy=$(mktemp -d "/tmp/mod-invite-$variant.XXXXXX")
trap 'rm -rf "$copy"' EXIT
git ls-files -z | xargs -0 cp --parents -t "$copy"
(cd "$copy" && for p in $patches; do git apply "$top/bench/$p"; done && make -s >/dev/null)
# The smoke run (make bench-smoke) keeps its table in run.sh's work
# directory, as run.sh's own smoke run does.
if [ "${BENCH_SMOKE:-0}" != 1 ]; then
  export BENCH_OUTPUT=${BENCH_OUTPUT:-$top/bench/results-$variant.md}
fi
BENCH_MODULE=$copy/.libs/mod_invite.so BENCH_NO_SQL=1 BENCH_NO_SQL_NOTE="from bench/no-sql.sh $variant (patches:$patches)" \
  BENCH_WORKLOADS=find BENCH_ENGINES="${BENCH_ENGINES:-$engines}" BENCH_STATEMENTS=0 \
  BENCH_RSS_REQUESTS=${BENCH_RSS_REQUESTS:-0} bench/run.sh
