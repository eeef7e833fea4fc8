#!/usr/bin/env bash
# The production install, exactly as the README documents it: copy what a deployment ships (package.json,
# package-lock.json and the built out/ folder; no sources, no tsx), `npm ci --omit=dev` there, start
# `node out/server/main.js` on SQLite and on PostgreSQL, check /health, /ready, a login and /metrics, and
# stop it with SIGTERM. Run by .ci/run after `npm run build`. Prints one `CHECK ok|FAILED <name>` line per
# check and exits with the number of failed checks.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
failed=0
ok() { echo "CHECK ok     $*"; }
bad() { echo "CHECK FAILED $*"; failed=$((failed + 1)); }

[ -f out/server/main.js ] || { bad "out/server/main.js missing (npm run build did not build the server)"; exit "$failed"; }

dir=$(mktemp -d /tmp/flagdesk-prod-XXXXXX)
trap 'rm -rf "$dir"' EXIT
cp package.json package-lock.json "$dir/"
cp -r out "$dir/out"
cd "$dir" || exit 1

# better-sqlite3 is compiled from source (~46 s) by its install script; the full `npm ci` of this CI run
# compiled the same version for the same Node a minute ago, so its binary is reused instead of compiling
# it a second time. Every other package installs with its scripts as usual (none of them has one).
if ! npm ci --omit=dev --ignore-scripts --no-audit --no-fund >"$dir/npm-ci.log" 2>&1; then
  cat "$dir/npm-ci.log"; bad "npm ci --omit=dev"; exit "$failed"
fi
ok "npm ci --omit=dev ($(ls node_modules | wc -l) top-level packages)"
# (typescript is absent from this list: rxdb's nostr-tools names it as an optional peer, so npm installs it.)
for dev in tsx esbuild vitest electron electron-vite; do
  [ -e "node_modules/$dev" ] && bad "devDependency $dev was installed by npm ci --omit=dev"
done
want=$(node -p "require('./node_modules/better-sqlite3/package.json').version")
have=$(node -p "require('$ROOT/node_modules/better-sqlite3/package.json').version" 2>/dev/null || echo none)
if [ "$want" = "$have" ] && [ -f "$ROOT/node_modules/better-sqlite3/build/Release/better_sqlite3.node" ]; then
  mkdir -p node_modules/better-sqlite3/build/Release
  cp "$ROOT/node_modules/better-sqlite3/build/Release/better_sqlite3.node" node_modules/better-sqlite3/build/Release/
else
  npm rebuild better-sqlite3 >"$dir/rebuild.log" 2>&1 || { cat "$dir/rebuild.log"; bad "npm rebuild better-sqlite3"; exit "$failed"; }
fi

# Starts the server with the given environment, runs the checks, stops it. $1 names the run.
check_server() {
  local name=$1; shift
  local log="$dir/server-$name.log"
  local failed_before=$failed
  env "$@" PORT=0 FLAGDESK_LOG_FORMAT=json FLAGDESK_ADMIN_EMAIL=ops@example.com FLAGDESK_ADMIN_PASSWORD=ops-password \
    node out/server/main.js >"$log" 2>&1 &
  local pid=$!
  local url=""
  for _ in $(seq 1 120); do
    url=$(grep -o 'listening on http://[^ ]*' "$log" | head -1 | cut -d' ' -f3)
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  if [ -z "$url" ]; then
    cat "$log"; bad "$name: node out/server/main.js did not start"; kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; return
  fi
  # One process: node itself, with no wrapper and no child.
  [ "$(ps -o comm= -p "$pid")" = node ] && [ -z "$(ps -o pid= --ppid "$pid")" ] || bad "$name: the server is not a single node process"
  local status
  status=$(curl -s -o /dev/null -w '%{http_code}' "$url/health"); [ "$status" = 200 ] || bad "$name: /health answered $status"
  status=$(curl -s -o /dev/null -w '%{http_code}' "$url/ready"); [ "$status" = 200 ] || bad "$name: /ready answered $status"
  status=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/api/v1/auth/login/" -H 'content-type: application/json' \
    -d '{"email":"ops@example.com","password":"ops-password"}'); [ "$status" = 200 ] || bad "$name: login answered $status"
  curl -s "$url/metrics" | grep -q '^flagdesk_http_requests_total{method="POST",route="/api/v1/auth/login/",status_code="200"} 1$' || bad "$name: /metrics does not count the login"
  kill -TERM "$pid"
  wait "$pid"; local code=$?
  [ "$code" = 0 ] || { cat "$log"; bad "$name: exit code $code after SIGTERM"; }
  [ "$failed" = "$failed_before" ] && ok "$name: node out/server/main.js ($url) started, answered /health, /ready, a login and /metrics, exited 0 on SIGTERM"
}

check_server sqlite FLAGDESK_DATA_DIR="$dir/data"
db="flagdesk_ci_prod_$$"
if psql -q -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE $db" >/dev/null; then
  check_server postgres DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db"
  psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE $db" >/dev/null
else
  bad "postgres: could not create database $db"
fi
exit "$failed"
