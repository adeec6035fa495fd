#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Reads a prove/Apache::Test log and fails unless it passed with tests run:
# Apache::Test exits 0 when everything was skipped ("Result: NOTESTS").
set -euo pipefail
log=$1 what=$2
summary=$(grep -E '^Files=[0-9]+, Tests=[0-9]+' "$log" | tail -n 1 || true)
tests=$(printf '%s' "$summary" | sed -nE 's/^Files=[0-9]+, Tests=([0-9]+).*/\1/p')
if ! grep -qE '^Result: PASS$' "$log"; then
  # Last, so that a log cut to its tail still names the failures.
  echo "-- what failed in $what:" >&2
  # Each failed check with its diagnostics (the harness ran verbose).
  awk '/^not ok/ { p = 1; n = 0; print; next }
       p && /^#/ { if (n++ < 40) print; next }
       { p = 0 }' "$log" | tail -n 120 >&2 || true
  echo "-- summary:" >&2
  grep -E '^(\s+Failed tests?:.*|t/\S+\.t\s.*(Failed|Wstat|Dubious))|^Failed ' "$log" | tail -n 30 >&2 || true
  echo "FAIL: $what did not pass" >&2; exit 1
fi
if [ -z "$tests" ] || [ "$tests" -eq 0 ]; then
  echo "FAIL: $what ran no tests" >&2; exit 1
fi
# Only the PostgreSQL-only files may skip, and only in the SQLite suite,
# and the opt-in run against a real replica set (t/sync_live.t) without
# INVITE_TEST_MONGO_URL.
skipped=$(grep -E '^t/\S+\.t \.+ skipped:' "$log" |
          grep -v 'no MongoDB replica set (INVITE_TEST_MONGO_URL unset)' |
          grep -vc 'PostgreSQL only (runs in the pgsql suite)' || true)
if [ "$skipped" -gt 0 ]; then
  echo "FAIL: $what skipped $skipped test file(s)" >&2; exit 1
fi
echo "$what: $tests tests passed"
# make test adds the counts up for its closing line.
if [ -n "${INVITE_TEST_TOTALS:-}" ]; then echo "$tests" >> "$INVITE_TEST_TOTALS"; fi
