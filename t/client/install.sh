#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs Rocket.Chat's REST client, @rocket.chat/api-client, for
# t/client/lifecycle.mjs, into t/client/node_modules.
#
# `npm install @rocket.chat/api-client` fails: its typings-only
# dependencies (@rocket.chat/core-typings, rest-typings) pull a tree npm
# refuses.  At run time the client needs only query-string@7, so this takes
# query-string from package-lock.json (npm ci), then unpacks the client's
# own tarball (npm pack, checked against its registry integrity) into
# node_modules/@rocket.chat/api-client.
#
# Idempotent: does nothing when both are in place and load; the tarball is
# kept in t/client/.cache, so a re-install needs the registry for npm ci only.
set -euo pipefail
cd "$(dirname "$0")"

VERSION=0.2.57
INTEGRITY='sha512-EB/06c1aXcv+QBUdjX8iNbHhOLEFgZUQaW6flu46clW7TGKZjIcMjRFsM/jjZM6rxu0mfwQCMydyfMTF3wu7YQ=='
pkg=node_modules/@rocket.chat/api-client
tarball=.cache/rocket.chat-api-client-$VERSION.tgz

installed() {
  node -e '
    const v = (p) => require("./node_modules/" + p + "/package.json").version;
    if (v("@rocket.chat/api-client") !== process.argv[1]) process.exit(1);
    if (!v("query-string").startsWith("7.")) process.exit(1);
    if (typeof require("@rocket.chat/api-client").RestClient !== "function") process.exit(1);
  ' "$VERSION" 2>/dev/null
}
installed && exit 0

for tool in node npm; do
  command -v "$tool" >/dev/null ||
    { echo "t/client/install.sh: $tool not found (scripts/deps.sh installs it)" >&2; exit 1; }
done
mkdir -p .cache
export npm_config_update_notifier=false
# npm needs a writable cache; the test user's HOME may not be.
if [ -z "${npm_config_cache:-}" ] && ! [ -w "${HOME:-/nonexistent}" ]; then
  export npm_config_cache=$PWD/.cache/npm
fi

# npm ci empties node_modules first, so the client is unpacked after it.
npm ci --no-audit --no-fund --loglevel=error >/dev/null

if [ ! -s "$tarball" ]; then
  npm pack "@rocket.chat/api-client@$VERSION" --pack-destination .cache \
      --loglevel=error >/dev/null
fi
got="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$got" != "$INTEGRITY" ]; then
  rm -f "$tarball"
  echo "t/client/install.sh: $tarball does not match the registry's integrity" >&2
  exit 1
fi
rm -rf "$pkg"
mkdir -p "$pkg"
tar -xzf "$tarball" -C "$pkg" --strip-components=1 --no-same-owner

installed || { echo "t/client/install.sh: @rocket.chat/api-client does not load" >&2; exit 1; }
echo "t/client: @rocket.chat/api-client $VERSION installed"
