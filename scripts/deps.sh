#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian 12 packages mod_invite needs to build, run and test.
# As root it installs what is missing; otherwise it lists what is missing.
# Arguments name further packages (bench/run.sh: wrk).
set -euo pipefail

PACKAGES=(
  apache2 apache2-dev libjansson-dev libssl-dev pkg-config
  libcurl4-openssl-dev  # the invitation mail's SMTP delivery (src/invite_mail.c)
  debhelper dpkg-dev lintian   # make deb, t/package.t
  libaprutil1-dbd-sqlite3 libaprutil1-dbd-pgsql sqlite3 libsqlite3-dev
  libpq-dev             # the module asks libpq about a pgsql connection (failover)
  postgresql
  libapache2-mod-perl2 libwww-perl libdbi-perl libdbd-sqlite3-perl
  libdbd-pg-perl curl openssl binutils valgrind
  # libFuzzer (make fuzz): clang-14 only recommends the runtime package,
  # which --no-install-recommends would skip; llvm brings llvm-symbolizer.
  clang libclang-rt-14-dev llvm
  # restarts under load (t/api/25_graceful.t) and make bench
  wrk
  redis-server          # t/api/17_rate_limit_redis.t (shared limits)
  pgbouncer             # t/api/27_pgbouncer.t (PostgreSQL through a pooler)
  python3-aiosmtpd      # t/mail.t (the test SMTP relay, t/lib/smtp-sink.py)
  libmongoc-dev libbson-dev   # invite-sync (libmongoc 1.23: change streams)
  # t/lib/RCFake.pm, the simulated replica-set member of the invite-sync tests
  libbson-perl libboolean-perl libtie-ixhash-perl libcrypt-urandom-perl
  libmoo-perl libnamespace-clean-perl
  python3-mockupdb      # t/sync_once.t (invite-sync's smoke test, t/lib/mockupdb-rs.py)
  "$@"
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
# Node.js and npm for the REST client test (t/client): any node and npm on
# PATH will do (a nodejs package that bundles npm conflicts with Debian's npm).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${missing[*]}" >&2
  echo "Install them as root: apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# policy-rc.d keeps package scripts from starting services (apache2 on :80,
# the default PostgreSQL cluster, redis on :6379): tests run their own
# instances.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"
  trap 'rm -f "$policy"' EXIT
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
