#!/usr/bin/env bash
# Checks `make install` into a staging root, then `a2enmod invite` there
# (a2enmod honours APACHE_CONFDIR and friends): the module and both
# mods-available files land, and enabling it pulls in mod_dbd and
# mod_socache_shmcb (the rate limit's default cache); invitectl and its
# man page land too, and the installed invitectl initialises a database
# without any file of the tree.
set -uo pipefail
cd "$(dirname "$0")/.."
stage=$(mktemp -d /tmp/mod-invite-install.XXXXXX)
trap 'rm -rf "$stage"' EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); echo "ok - $1"; else fail=$((fail + 1)); echo "not ok - $1"; fi; }

make -s install DESTDIR="$stage" >"$stage.log" 2>&1; rc=$?
check "make install DESTDIR=... succeeds" '[ $rc -eq 0 ] || cat "$stage.log"'
rm -f "$stage.log"
libexec=$(apxs -q LIBEXECDIR) conf="$stage$(apxs -q SYSCONFDIR)"
check "module installed" '[ -f "$stage$libexec/mod_invite.so" ]'
check "invite.load declares its dependencies on dbd and socache_shmcb" 'grep -qx "# Depends: dbd socache_shmcb" "$conf/mods-available/invite.load"'
check "invite.load loads the installed module" 'grep -q "^LoadModule invite_module $libexec/mod_invite.so" "$conf/mods-available/invite.load"'
check "invite.conf installed" '[ -f "$conf/mods-available/invite.conf" ]'
check "invitectl installed in /usr/sbin, executable" '[ -x "$stage/usr/sbin/invitectl" ]'
check "the installed invitectl runs on its own (schemas built in)" \
  '(cd / && "$stage/usr/sbin/invitectl" -d sqlite3 -p "$stage/ctl.db" init >/dev/null && "$stage/usr/sbin/invitectl" -d sqlite3 -p "$stage/ctl.db" check >/dev/null)'
check "invitectl(8) installed" '[ -f "$stage/usr/share/man/man8/invitectl.8" ]'
check "invitectl(8) renders without warnings" \
  '[ -z "$(groff -man -Tutf8 -ww -z "$stage/usr/share/man/man8/invitectl.8" 2>&1)" ] && [ -z "$(man --warnings -l "$stage/usr/share/man/man8/invitectl.8" 2>&1 >/dev/null)" ]'
check "schemas installed for operators" '[ -f "$stage/usr/share/mod-invite/schema-sqlite3.sql" ] && [ -f "$stage/usr/share/mod-invite/schema-pgsql.sql" ]'

cp /etc/apache2/mods-available/dbd.load /etc/apache2/mods-available/socache_shmcb.load \
   "$conf/mods-available/"
mkdir -p "$conf/mods-enabled" "$stage/state"
out=$(APACHE_CONFDIR="$conf" APACHE_STATE_DIRECTORY="$stage/state" a2enmod invite 2>&1)
check "a2enmod invite enables dbd too" 'printf "%s" "$out" | grep -q "Considering dependency dbd for invite"'
check "a2enmod invite enables socache_shmcb too" 'printf "%s" "$out" | grep -q "Considering dependency socache_shmcb for invite"'
check "mods-enabled/invite.load and invite.conf" '[ -L "$conf/mods-enabled/invite.load" ] && [ -L "$conf/mods-enabled/invite.conf" ]'
check "mods-enabled/dbd.load and socache_shmcb.load" '[ -L "$conf/mods-enabled/dbd.load" ] && [ -L "$conf/mods-enabled/socache_shmcb.load" ]'
check "the installed module has only invite_-prefixed public symbols" \
  '[ -f "$stage$libexec/mod_invite.so" ] && ! nm -D --defined-only "$stage$libexec/mod_invite.so" | awk "\$2 ~ /[TDB]/ {print \$3}" | grep -vE "^(invite_|_init$|_fini$)"'

echo "install check: $pass passed, $fail failed"
if [ -n "${INVITE_TEST_TOTALS:-}" ]; then echo "$pass" >> "$INVITE_TEST_TOTALS"; fi
[ "$fail" -eq 0 ]
