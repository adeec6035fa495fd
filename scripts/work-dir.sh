# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Sourced by bench/run.sh and scripts/query-plans.sh.
#
#   work_dir NAME USER
#
# Sets $work to a new directory /tmp/NAME.XXXXXX (mode 755) and defines
# as_user, which runs a command as USER with HOME=$work when called as
# root (initdb refuses root; USER is created if missing and owns $work),
# or as the caller otherwise.
# shellcheck disable=SC2317  # as_user is called by the sourcing script
work_dir() {
  work=$(mktemp -d "/tmp/$1.XXXXXX")
  chmod 755 "$work"
  if [ "$(id -u)" -eq 0 ]; then
    work_user=$2
    id "$work_user" >/dev/null 2>&1 ||
      useradd --system --user-group --home-dir /nonexistent --shell /usr/sbin/nologin "$work_user"
    chown "$work_user:" "$work"
    as_user() { runuser -u "$work_user" -- env HOME="$work" "$@"; }
  else
    as_user() { "$@"; }
  fi
}
