#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make deb: builds the Debian packages libapache2-mod-invite and
# invite-sync with dpkg-buildpackage -us -uc -b in a copy of the tree
# under build/deb/, so that the build (dh clean runs make clean) leaves
# this tree as it was.  The .debs, the debug symbols packages, .buildinfo
# and .changes land in build/deb/; the file names of the .debs are printed
# last.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(dpkg-parsechangelog -S Version)
out=build/deb
src=$out/src/mod-invite-$version
rm -rf "$out"
mkdir -p "$src"
tar --exclude=./.git --exclude=./build --exclude=./.libs --exclude=./demo \
    --exclude=./t/client/node_modules --exclude=./t/client/.cache \
    --exclude=./t/var --exclude=./t/logs --exclude=./pg \
    -cf - . | tar -xf - -C "$src"
(cd "$src" && dpkg-buildpackage -us -uc -b) > "$out/build.log" 2>&1 ||
  { tail -n 60 "$out/build.log" >&2; echo "make deb failed: $out/build.log" >&2; exit 1; }
mv "$out"/src/*.deb "$out"/src/*.buildinfo "$out"/src/*.changes "$out/"
mv "$out"/src/*.ddeb "$out/" 2>/dev/null || true
rm -rf "$out/src"
ls "$out"/libapache2-mod-invite_"$version"_*.deb "$out"/invite-sync_"$version"_*.deb
