#!/usr/bin/env bash
# Requests/s of the find path (an existing invite, SQLite) against the
# ceiling: the same httpd serving the same JSON as a static file.
# Uses the `make run` demo database; run `make run` once first.
set -euo pipefail
cd "$(dirname "$0")/.."
demo=$PWD/demo PORT=${BENCH_PORT:-8092} DUR=${BENCH_SECONDS:-10} CONNS=${BENCH_CONNECTIONS:-32}
[ -s "$demo/invite.db" ] || { echo "run 'make run' once to create the demo database" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
token=$(cat "$demo/token")
mkdir -p "$demo/static"
conf="$demo/bench.conf"
sed -e "s|^Listen .*|Listen 127.0.0.1:$PORT|" -e "s|^PidFile .*|PidFile \"$demo/run/bench.pid\"|" -e '/^CustomLog/d' "$demo/httpd.conf" > "$conf"
cat >> "$conf" <<CONF
LoadModule mime_module /usr/lib/apache2/modules/mod_mime.so
LoadModule alias_module /usr/lib/apache2/modules/mod_alias.so
TypesConfig /etc/mime.types
Alias /static "$demo/static"
<Directory "$demo/static">
    Require all granted
</Directory>
CONF
/usr/sbin/apache2 -f "$conf" -k start
trap '/usr/sbin/apache2 -f "$conf" -k stop' EXIT
sleep 1
body='{"rid":"GENERAL","days":7,"maxUses":0}'
curl -s -X POST "http://127.0.0.1:$PORT/api/v1/findOrCreateInvite" -H "X-User-Id: demoAdminUser0001" \
  -H "X-Auth-Token: $token" -H 'Content-Type: application/json' -d "$body" > "$demo/static/invite.json"
cat > "$demo/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-User-Id"] = "demoAdminUser0001"
wrk.headers["X-Auth-Token"] = "$token"
LUA
rps() { sed -nE 's/^Requests\/sec:\s+([0-9.]+)/\1/p'; }
static=$(wrk -t2 -c"$CONNS" -d"${DUR}s" "http://127.0.0.1:$PORT/static/invite.json" | rps)
find=$(wrk -t2 -c"$CONNS" -d"${DUR}s" -s "$demo/post.lua" "http://127.0.0.1:$PORT/api/v1/findOrCreateInvite" | rps)
echo "static JSON: $static req/s; findOrCreateInvite (find path, SQLite): $find req/s"
awk -v f="$find" -v s="$static" 'BEGIN { printf "ratio: %.2f of the static-file ceiling\n", f / s }'
