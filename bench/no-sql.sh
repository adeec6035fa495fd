#!/usr/bin/env bash
# make bench-no-sql: the find workload against a module that does
# everything a find request does except its statement (bench/no-sql.patch
# makes invite_find's row up in C: an admin's live invite), next to the
# static file, with make bench's settings.  What it answers: how much of a
# find request is the statement, counting what running SQLite costs the
# rest of the request (README "Performance").  Writes
# bench/results-no-sql.md (BENCH_OUTPUT); the other BENCH_* knobs apply.
# make bench-smoke runs it with BENCH_SMOKE=1, so that the patch keeps
# applying and the build keeps answering.
# An experiment, never a build: the patch applies to a copy of the tree.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
scripts/deps.sh wrk libsqlite3-dev   # what run.sh needs, before the build
copy=$(mktemp -d /tmp/mod-invite-no-sql.XXXXXX)
trap 'rm -rf "$copy"' EXIT
git ls-files -z | xargs -0 cp --parents -t "$copy"
(cd "$copy" && git apply "$top/bench/no-sql.patch" && make -s >/dev/null)
# The smoke run (make bench-smoke) keeps its table in run.sh's work
# directory, as run.sh's own smoke run does.
if [ "${BENCH_SMOKE:-0}" != 1 ]; then
  export BENCH_OUTPUT=${BENCH_OUTPUT:-$top/bench/results-no-sql.md}
fi
BENCH_MODULE=$copy/.libs/mod_invite.so BENCH_NO_SQL=1 BENCH_WORKLOADS=find \
  BENCH_ENGINES=sqlite BENCH_STATEMENTS=0 BENCH_RSS_REQUESTS=${BENCH_RSS_REQUESTS:-0} \
  bench/run.sh
