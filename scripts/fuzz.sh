#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the libFuzzer harnesses of fuzz/ and runs each, one after another,
# for FUZZ_SECONDS (default 20) on a copy of its committed corpus
# (fuzz/corpus/<harness>, copied to build/fuzz/corpus/<harness>, so the
# committed corpus is never written).  Prints the executions per harness and
# fails on any crash, leak, timeout, sanitizer report or broken property,
# naming the input that caused it (build/fuzz/artifacts/).
#
#   scripts/fuzz.sh            fuzz every harness (make fuzz, make test)
#   scripts/fuzz.sh NAME...    only these (fuzz_body fuzz_json ...)
#   FUZZ_SECONDS=0             run the committed corpus once, no fuzzing
#   scripts/fuzz.sh --merge    minimise what the last run found into
#                              fuzz/corpus (make fuzz-merge)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-20}
merge=
if [ "${1:-}" = "--merge" ]; then merge=1; shift; fi
if [ $# -gt 0 ]; then
  harnesses=("$@")
else
  harnesses=()
  for f in fuzz/fuzz_*.c; do
    h=$(basename "$f" .c)
    [ "$h" = fuzz_common ] || harnesses+=("$h")
  done
fi

make -s "${harnesses[@]/#/build/fuzz/}"

art=build/fuzz/artifacts logs=build/fuzz/logs
mkdir -p "$art" "$logs"
# Stack traces with file:line where llvm-symbolizer is installed.
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && command -v llvm-symbolizer >/dev/null; then
  export ASAN_SYMBOLIZER_PATH=$(command -v llvm-symbolizer)
fi
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# -rss_limit_mb: an ASan build of libFuzzer sits near 550 MB here.
opts=(-timeout=10 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=0)

if [ -n "$merge" ]; then
  for h in "${harnesses[@]}"; do
    found=build/fuzz/corpus/$h
    [ -d "$found" ] || { echo "$h: nothing to merge (run make fuzz first)"; continue; }
    mkdir -p "fuzz/corpus/$h"
    before=$(ls "fuzz/corpus/$h" | wc -l)
    "build/fuzz/$h" -merge=1 "${opts[@]}" -max_len=1024 \
        "fuzz/corpus/$h" "$found" > "$logs/$h-merge.log" 2>&1 ||
      { tail -n 30 "$logs/$h-merge.log"; exit 1; }
    echo "$h: $before -> $(ls "fuzz/corpus/$h" | wc -l) corpus files"
  done
  exit 0
fi

failed=0
summary=()
for h in "${harnesses[@]}"; do
  corpus=build/fuzz/corpus/$h log=$logs/$h.log
  rm -rf "$corpus"; mkdir -p "$corpus"
  cp fuzz/corpus/"$h"/* "$corpus"/ 2>/dev/null || true
  dict=()
  [ -f "fuzz/$h.dict" ] && dict=(-dict="fuzz/$h.dict")
  if [ "$seconds" -gt 0 ]; then
    run=(-max_total_time="$seconds" "$corpus")
  else
    run=(-runs=0 "$corpus")
  fi
  rc=0
  "build/fuzz/$h" "${opts[@]}" "${dict[@]}" -artifact_prefix="$art/$h-" \
      "${run[@]}" > "$log" 2>&1 || rc=$?
  done_line=$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -n 1 || true)
  runs=$(printf '%s' "$done_line" | sed -nE 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\1/p')
  secs=$(printf '%s' "$done_line" | sed -nE 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\2/p')
  files=$(ls "$corpus" | wc -l)
  if [ "$rc" -ne 0 ] || [ -z "$runs" ]; then
    failed=1
    echo "-- $h FAILED (exit $rc); last lines of $log:"
    grep -vE '^#[0-9]+\s+(NEW|REDUCE|pulse)' "$log" | tail -n 60
    artifact=$(sed -nE 's/.*Test unit written to (.*)$/\1/p' "$log" | tail -n 1)
    [ -n "$artifact" ] && echo "-- $h: input that failed: $artifact (reproduce: build/fuzz/$h $artifact)"
    summary+=("$(printf '%-12s %10s %6s %8s  FAILED' "$h" "${runs:--}" "${secs:--}" "$files")")
  else
    summary+=("$(printf '%-12s %10s %6s %8s  ok' "$h" "$runs" "$secs" "$files")")
  fi
done

echo "harness            runs      s   corpus"
printf '%s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
  echo "FAIL: fuzzing found a problem (see above)" >&2
  exit 1
fi
echo "fuzzing: ${#harnesses[@]} harnesses ran clean"
