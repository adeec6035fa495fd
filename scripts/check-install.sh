#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Checks `make install` into a staging root, then `a2enmod invite` there
# (a2enmod honours APACHE_CONFDIR and friends): the module and both
# mods-available files land, and enabling it pulls in mod_dbd and
# mod_socache_shmcb (the rate limit's default cache).  Then `make
# uninstall`: refused while the module is enabled, and after a2dismod it
# removes every file make install put there and nothing else (a database
# stays).  invitectl and its man page land too, invite-sync with its man
# page, systemd unit and example settings (removed again), and the installed
# invitectl initialises a database without any file of the tree (as the
# caller, named as Apache's user: no warning about permissions).
set -uo pipefail
cd "$(dirname "$0")/.."
stage=$(mktemp -d /tmp/mod-invite-install.XXXXXX)
ctl_dir=$(mktemp -d /tmp/mod-invite-ctl.XXXXXX)
trap 'rm -rf "$stage" "$ctl_dir"' EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); echo "ok - $1"; else fail=$((fail + 1)); echo "not ok - $1"; fi; }

make -s install DESTDIR="$stage" >"$stage.log" 2>&1; rc=$?
check "make install DESTDIR=... succeeds" '[ $rc -eq 0 ] || { cat "$stage.log"; false; }'
rm -f "$stage.log"
libexec=$(apxs -q LIBEXECDIR) conf="$stage$(apxs -q SYSCONFDIR)"
check "module installed" '[ -f "$stage$libexec/mod_invite.so" ]'
check "invite.load declares its dependencies on dbd and socache_shmcb" 'grep -qx "# Depends: dbd socache_shmcb" "$conf/mods-available/invite.load"'
check "invite.load loads the installed module" 'grep -q "^LoadModule invite_module $libexec/mod_invite.so" "$conf/mods-available/invite.load"'
check "invite.conf installed" '[ -f "$conf/mods-available/invite.conf" ]'
check "invitectl installed in /usr/sbin, executable" '[ -x "$stage/usr/sbin/invitectl" ]'
check "the installed invitectl runs on its own (schemas built in)" \
  '(cd / && "$stage/usr/sbin/invitectl" -u "$(id -un)" -d sqlite3 -p "$ctl_dir/ctl.db" init >/dev/null && "$stage/usr/sbin/invitectl" -d sqlite3 -p "$ctl_dir/ctl.db" check >/dev/null)'
check "invitectl(8) installed" '[ -f "$stage/usr/share/man/man8/invitectl.8" ]'
check "invitectl(8) renders without warnings" \
  '[ -z "$(groff -man -Tutf8 -ww -z "$stage/usr/share/man/man8/invitectl.8" 2>&1)" ] && [ -z "$(man --warnings -l "$stage/usr/share/man/man8/invitectl.8" 2>&1 >/dev/null)" ]'
check "schemas installed for operators" '[ -f "$stage/usr/share/mod-invite/schema-sqlite3.sql" ] && [ -f "$stage/usr/share/mod-invite/schema-pgsql.sql" ]'
check "invite-sync, its manual page, its systemd unit and example settings installed" \
  '[ -x "$stage/usr/sbin/invite-sync" ] && [ -f "$stage/usr/share/man/man8/invite-sync.8" ] && [ -f "$stage$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null | grep . || echo /lib/systemd/system)/invite-sync.service" ] && [ -f "$stage/usr/share/doc/invite-sync/examples/invite-sync.conf.example" ]'
check "invite-sync(8) renders without warnings" \
  '[ -z "$(man --warnings -l "$stage/usr/share/man/man8/invite-sync.8" 2>&1 >/dev/null)" ]'
check "the three example sites installed" '[ -f "$stage/usr/share/mod-invite/site-example.conf" ] && [ -f "$stage/usr/share/mod-invite/site-example-tls.conf" ] && [ -f "$stage/usr/share/mod-invite/site-rocketchat.conf" ]'
installed=$(cd "$stage" && find . ! -type d | sort)

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

# make uninstall, with a database beside (it must stay).
mkdir -p "$stage/var/lib/mod-invite"
echo data > "$stage/var/lib/mod-invite/invite.db"
out=$(make -s uninstall DESTDIR="$stage" 2>&1); rc=$?
check "make uninstall refuses while invite is enabled" '[ $rc -ne 0 ] && printf "%s" "$out" | grep -q "a2dismod invite"'
check "... and removes nothing" '[ -f "$stage$libexec/mod_invite.so" ] && [ -f "$conf/mods-available/invite.load" ]'
APACHE_CONFDIR="$conf" APACHE_STATE_DIRECTORY="$stage/state" a2dismod -q invite >/dev/null 2>&1
out=$(make -s uninstall DESTDIR="$stage" 2>&1); rc=$?
check "make uninstall after a2dismod succeeds" '[ $rc -eq 0 ] || { echo "$out"; false; }'
check "it says the databases are left alone" 'printf "%s" "$out" | grep -q "Databases were left alone"'
left=$(cd "$stage" && for f in $installed; do [ -e "$f" ] || [ -L "$f" ] && echo "$f"; done)
check "every file make install put there is gone ($(echo $installed | wc -w) files)" '[ -n "$installed" ] && [ -z "$left" ] || { echo "left: $left"; false; }'
check "/usr/share/mod-invite is gone" '[ ! -e "$stage/usr/share/mod-invite" ]'
# (./state is a2dismod's record that the admin disabled it.)
check "nothing of ours is left anywhere in the staging root" '! (cd "$stage" && find . -mindepth 1 -name "*invite*" ! -path "./var/lib/mod-invite*" ! -path "./state/*") | grep .'
check "the database is left alone" '[ "$(cat "$stage/var/lib/mod-invite/invite.db")" = data ]'
check "what is not ours stays (dbd.load, the module directory)" '[ -f "$conf/mods-available/dbd.load" ] && [ -d "$stage$libexec" ]'
out=$(make -s uninstall DESTDIR="$stage" 2>&1); rc=$?
check "make uninstall again does no harm" '[ $rc -eq 0 ] || { echo "$out"; false; }'

echo "install check: $pass passed, $fail failed"
if [ -n "${INVITE_TEST_TOTALS:-}" ]; then echo "$pass" >> "$INVITE_TEST_TOTALS"; fi
[ "$fail" -eq 0 ]
