#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make test: install what is missing, build, run the C unit tests, then the
# Apache::Test suite once per engine (SQLite, then a throwaway PostgreSQL
# cluster) as an unprivileged user.  Fails if any test fails or none ran.
#
# INVITE_TEST_SANITIZE=asan (make test-asan) or valgrind (make test-valgrind)
# runs the same suites against a module built for the sanitizer, with httpd
# started by t/sanitizer/httpd, and then scans the sanitizers' reports
# (scripts/sanitizer-scan.pl).  See docs/development.md#sanitizers.
#
# INVITE_TEST_QUICK=1 (make mutate): only the named Apache::Test files, on
# SQLite (INVITE_TEST_ENGINES="sqlite3 pgsql" for both), without the unit
# tests, fuzzing and install check.
#
# INVITE_TEST_VERBOSE=1 shows every passing check as well; a failed one is
# always shown with its diagnostics, again at the end of the output.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
sanitize=${INVITE_TEST_SANITIZE:-}
quick=${INVITE_TEST_QUICK:-}
case $sanitize in
'') ;;
asan) sanitize_cflags="-g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
      sanitize_ldflags="-fsanitize=address,undefined" ;;
valgrind) sanitize_cflags="-g -O0" sanitize_ldflags="" ;;
*) echo "INVITE_TEST_SANITIZE must be asan or valgrind, not '$sanitize'" >&2; exit 2 ;;
esac

scripts/deps.sh
INVITE_TEST_TOTALS=$(mktemp)
export INVITE_TEST_TOTALS
make -s
unit_log=$(mktemp)
if [ -z "$sanitize$quick" ]; then
  echo "== C unit tests (httpd-free core)"
  make -s unit 2>&1 | tee "$unit_log"
  scripts/check-tap-summary.sh "$unit_log" "unit tests"
fi
if [ "$sanitize" != valgrind ] && [ -z "$quick" ]; then
  echo "== C unit tests under ASan and UBSan, pool allocations one malloc each"
  make -s unit-sanitize 2>&1 | tee "$unit_log"
  scripts/check-tap-summary.sh "$unit_log" "sanitized unit tests"
fi
if [ -z "$sanitize$quick" ]; then
  echo "== fuzzing the core (${FUZZ_SECONDS:-20} s per harness)"
  FUZZ_SECONDS=${FUZZ_SECONDS:-20} scripts/fuzz.sh
fi

if [ -z "$sanitize$quick" ]; then
  echo "== make install and a2enmod, in a staging root"
  scripts/check-install.sh
fi

# Rocket.Chat's REST client for t/api/20_api_client.t, fetched here with the
# caller's npm cache and copied with the tree: the suite then finds it in
# place (t/client/install.sh does nothing when it is).
if [ -z "$quick" ]; then
  echo "== @rocket.chat/api-client for the client test"
  t/client/install.sh
fi

# The Debian package for t/package.t (make deb, into build/deb/, copied
# with the tree): before full runs, and quick runs that name t/package.t.
want_deb=$([ -z "$quick" ] || [ $# -eq 0 ] && echo 1 || true)
for f in "$@"; do case $f in *package.t|t|t/) want_deb=1 ;; esac; done
if [ -n "$want_deb" ]; then
  echo "== make deb (t/package.t)"
  make -s deb
fi

# Apache::Test refuses root and then exits 0 without running anything, so
# the suite runs as a dedicated user in a copy of the tree it can write to.
TEST_USER=${INVITE_TEST_USER:-invitetest}
work=$(mktemp -d /tmp/mod-invite-test.XXXXXX)
tar --exclude=.git -cf - . | tar -xf - -C "$work"
httpd=/usr/sbin/apache2
sanitize_env=()
if [ -n "$sanitize" ]; then
  echo "== mod_invite built for $sanitize in the test copy"
  (cd "$work" && make -s clean >/dev/null 2>&1 &&
     make -s DEBUGFLAGS="$sanitize_cflags" EXTRA_LDFLAGS="$sanitize_ldflags")
  # t/sync_store.t runs the store's unit test on PostgreSQL (make clean
  # took it): the sanitized build under asan.
  (cd "$work" && make -s "build/$([ "$sanitize" = asan ] && echo asan || echo unit)/test_sync_store")
  # make clean took the package with build/: t/package.t tests the release
  # build that make deb made.
  if [ -d build/deb ]; then cp -a build/deb "$work/build/"; fi
  httpd=$work/t/sanitizer/httpd
  sanitize_env=(INVITE_TEST_SANITIZE="$sanitize" INVITE_TEST_HTTPD="$httpd"
                APACHE_TEST_STARTUP_TIMEOUT=600)
  if [ "$sanitize" = asan ]; then
    nm -D "$work/.libs/mod_invite.so" | grep __asan_init >/dev/null ||
      { echo "FAIL: mod_invite.so was not built with ASan" >&2; exit 1; }
    mkdir -p "$work/build/sanitizer"
    cc -shared -fPIC -o "$work/build/sanitizer/nodlclose.so" t/sanitizer/nodlclose.c
    sanitize_env+=(INVITE_ASAN_PRELOAD="$(cc -print-file-name=libasan.so):$work/build/sanitizer/nodlclose.so")
  else
    # One process (httpd -X) under memcheck, as the issue asks.
    sanitize_one_process=-one-process
  fi
fi
if [ "$(id -u)" -eq 0 ]; then
  id "$TEST_USER" >/dev/null 2>&1 ||
    useradd --system --user-group --home-dir /nonexistent --shell /usr/sbin/nologin "$TEST_USER"
  chown -R "$TEST_USER:" "$work"
  chmod 755 "$work"
  as_test_user() { runuser -u "$TEST_USER" -- env HOME="$work" "$@"; }
else
  as_test_user() { "$@"; }
fi

cleanup() {
  if [ -n "${pg_started:-}" ]; then
    as_test_user "$work/scripts/pg-cluster.sh" stop "$work/pg" || true
  fi
  if [ -z "${INVITE_KEEP_TEST_DIR:-}" ]; then rm -rf "$work"; fi
  rm -f "${INVITE_TEST_TOTALS:-}"
}
trap cleanup EXIT

# Waits for the test servers of the copy (main and second hosts) to exit:
# Apache::Test stops waiting once the port is free, but sanitizers report
# (leaks) when each process exits.
wait_for_servers() {
  local i
  for i in $(seq 1 240); do
    pgrep -f "$work/t/(conf|var)/.*httpd.conf" >/dev/null || return 0
    sleep 0.5
  done
  echo "FAIL: test servers still running after 120 s:" >&2
  pgrep -af "$work/t/(conf|var)/.*httpd.conf" >&2 || true
  return 1
}

# The harness runs verbose, so that the log keeps a failed test's
# diagnostics (the quiet harness drops them); the console shows every line
# but the passing checks, unless INVITE_TEST_VERBOSE asks for those too.
quiet_oks() {
  if [ "${INVITE_TEST_VERBOSE:-0}" != 0 ]; then
    cat
  else
    grep --line-buffered -vE '^ok [0-9]+' || true
  fi
}

run_suite() {   # engine
  local engine=$1 log="$work/suite-$1.log" rc=0 logs="$work/sanitizer/$1"
  local what="Apache::Test suite${sanitize:+ under $sanitize} ($engine)"
  local t0=$SECONDS
  echo "== $what"
  if [ -n "$sanitize" ]; then
    mkdir -p "$logs"; chown "$(stat -c %U "$work"):" "$logs"
  fi
  (cd "$work" && as_test_user env INVITE_TEST_ENGINE="$engine" \
      INVITE_TEST_PG_DSN="${INVITE_TEST_PG_DSN:-}" \
      INVITE_TEST_PG_PARAMS="${INVITE_TEST_PG_PARAMS:-}" \
      INVITE_TEST_PG_CLUSTER="$work/pg" \
      ${sanitize:+INVITE_SANITIZER_LOGS="$logs"} "${sanitize_env[@]}" \
      perl t/TEST.PL -apxs "$(command -v apxs)" -httpd "$httpd" \
      ${sanitize_one_process:-} ${INVITE_TEST_PORT:+-port "$INVITE_TEST_PORT"} \
      -verbose=1 "${TEST_FILES[@]}") 2>&1 |
    grep --line-buffered -v 'Could not open configuration file /etc/apache2/httpd.conf' |
    tee "$log" | quiet_oks || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "-- last lines of the test server's error_log:"
    tail -n 40 "$work/t/logs/error_log" 2>/dev/null || true
  fi
  scripts/check-tap-summary.sh "$log" "$what"
  if [ -n "$sanitize" ]; then
    wait_for_servers
    scripts/sanitizer-scan.pl "$sanitize" "$logs" "$what"
    echo "$what: $((SECONDS - t0)) s"
  fi
  (cd "$work" && as_test_user perl t/TEST.PL -clean >/dev/null 2>&1) || true
}

# A free port range for the test servers (the suite uses the port and the
# next two for its virtual hosts), unless INVITE_TEST_PORT names one: two
# runs on one machine never meet.
if [ -z "${INVITE_TEST_PORT:-}" ]; then
  INVITE_TEST_PORT=$(perl -MIO::Socket::INET -e '
    for (1 .. 200) {
      my $base = 20000 + int(rand(20000));
      my @s = map { IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1",
                                          LocalPort => $base + $_, ReuseAddr => 1) } 0 .. 3;
      if (4 == grep { defined } @s) { print $base; exit 0 }
    }
    exit 1') || { echo "no free port range for the test servers" >&2; exit 1; }
fi
export INVITE_TEST_PORT

TEST_FILES=("$@")
# INVITE_TEST_ENGINES picks the engines (default: both; quick: sqlite3).
engines=${INVITE_TEST_ENGINES:-sqlite3 pgsql}
[ -n "$quick" ] && engines=${INVITE_TEST_ENGINES:-sqlite3}
for engine in $engines; do
  case $engine in
  sqlite3) run_suite sqlite3 ;;
  pgsql)
    as_test_user "$work/scripts/pg-cluster.sh" start "$work/pg" > "$work/pg.env"
    pg_started=1
    # shellcheck disable=SC1090
    . "$work/pg.env"
    export INVITE_TEST_PG_DSN INVITE_TEST_PG_PARAMS
    run_suite pgsql ;;
  *) echo "INVITE_TEST_ENGINES: unknown engine '$engine'" >&2; exit 2 ;;
  esac
done
total=$(awk '{ s += $1 } END { print s + 0 }' "$INVITE_TEST_TOTALS")
[ "$total" -gt 0 ] || { echo "FAIL: no test ran" >&2; exit 1; }
if [ -n "$quick" ]; then
  echo "mod_invite (quick, $engines): $total passed, 0 failed"
  exit 0
fi
echo "== all suites passed"
echo "mod_invite: $total passed, 0 failed"
rm -f "$INVITE_TEST_TOTALS"
