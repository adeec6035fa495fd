#!/usr/bin/env bash
# make test: install what is missing, build, run the C unit tests, then the
# Apache::Test suite once per engine (SQLite, then a throwaway PostgreSQL
# cluster) as an unprivileged user.  Fails if any test fails or none ran.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

scripts/deps.sh
INVITE_TEST_TOTALS=$(mktemp)
export INVITE_TEST_TOTALS
make -s
echo "== C unit tests (httpd-free core)"
unit_log=$(mktemp)
make -s unit 2>&1 | tee "$unit_log"
scripts/check-tap-summary.sh "$unit_log" "unit tests"
echo "== C unit tests under ASan and UBSan"
make -s unit-sanitize 2>&1 | tee "$unit_log"
scripts/check-tap-summary.sh "$unit_log" "sanitized unit tests"
echo "== fuzzing the core (${FUZZ_SECONDS:-20} s per harness)"
FUZZ_SECONDS=${FUZZ_SECONDS:-20} scripts/fuzz.sh

echo "== make install and a2enmod, in a staging root"
scripts/check-install.sh

# Rocket.Chat's REST client for t/api/20_api_client.t, fetched here with the
# caller's npm cache and copied with the tree: the suite then finds it in
# place (t/client/install.sh does nothing when it is).
echo "== @rocket.chat/api-client for the client test"
t/client/install.sh

# Apache::Test refuses root and then exits 0 without running anything, so
# the suite runs as a dedicated user in a copy of the tree it can write to.
TEST_USER=${INVITE_TEST_USER:-invitetest}
work=$(mktemp -d /tmp/mod-invite-test.XXXXXX)
tar --exclude=.git -cf - . | tar -xf - -C "$work"
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

run_suite() {   # engine
  local engine=$1 log="$work/suite-$1.log" rc=0
  echo "== Apache::Test suite on $engine"
  (cd "$work" && as_test_user env INVITE_TEST_ENGINE="$engine" \
      INVITE_TEST_PG_DSN="${INVITE_TEST_PG_DSN:-}" \
      INVITE_TEST_PG_PARAMS="${INVITE_TEST_PG_PARAMS:-}" \
      INVITE_TEST_PG_CLUSTER="$work/pg" \
      perl t/TEST.PL -apxs "$(command -v apxs)" -httpd /usr/sbin/apache2 \
      ${INVITE_TEST_PORT:+-port "$INVITE_TEST_PORT"} \
      -verbose=${INVITE_TEST_VERBOSE:-0} "${TEST_FILES[@]}") 2>&1 |
    grep --line-buffered -v 'Could not open configuration file /etc/apache2/httpd.conf' |
    tee "$log" || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "-- last lines of the test server's error_log:"
    tail -n 40 "$work/t/logs/error_log" 2>/dev/null || true
  fi
  scripts/check-tap-summary.sh "$log" "Apache::Test suite ($engine)"
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
run_suite sqlite3

as_test_user "$work/scripts/pg-cluster.sh" start "$work/pg" > "$work/pg.env"
pg_started=1
# shellcheck disable=SC1090
. "$work/pg.env"
export INVITE_TEST_PG_DSN INVITE_TEST_PG_PARAMS
run_suite pgsql
echo "== all suites passed"
echo "mod_invite: $(awk '{ s += $1 } END { print s }' "$INVITE_TEST_TOTALS") passed, 0 failed"
rm -f "$INVITE_TEST_TOTALS"
