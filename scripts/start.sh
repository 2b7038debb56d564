#!/usr/bin/env bash
# `npm start`: install what is missing (idempotent, fast on re-runs), start local PostgreSQL,
# Redis and Asterisk unless DATABASE_URL / REDIS_URL / HOTLINE_ARI_URL point elsewhere, then
# run the server on 127.0.0.1 (HOST/PORT to change) until Ctrl-C, SIGINT or SIGTERM.
#
# Stopping: the signal stops the server (it drains its calls' state first), then the local
# services this run started. Services that were already running before (an earlier
# `bash scripts/services.sh start`) are left running, and the last line says so and names the
# command that stops them: `npm stop`. A second `npm start` while one runs says so and exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=${HOTLINE_STATE_DIR:-$PWD/.hotline}
SERVER_PIDF="$STATE/server.pid"
mkdir -p "$STATE"

say() { printf 'hotline: %s\n' "$*"; }
pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# ---- one at a time: a running server (ours, by its pid file) or anything on the port
running=$(cat "$SERVER_PIDF" 2>/dev/null || true)
if [[ "$running" =~ ^[0-9]+$ ]] && pid_alive "$running" && tr "\0" " " <"/proc/$running/cmdline" 2>/dev/null | grep -q "dist/server/main.js"; then
  say "already running (pid $running, $(cat "$STATE/server.address" 2>/dev/null)); stop it with: npm stop"
  exit 1
fi
if [ -n "$(ss -Hltn "sport = :${PORT:-3000}" 2>/dev/null)" ] && [ "${PORT:-3000}" != 0 ]; then
  say "port ${PORT:-3000} is already in use by another program; stop it, or start on another port: PORT=3001 npm start"
  exit 1
fi

# ---- set up and install (quiet unless something goes wrong: the whole output is in the logs)
say "checking the machine (scripts/setup.sh; log in $STATE/setup.log)"
bash scripts/setup.sh >"$STATE/setup.log" 2>&1 || { cat "$STATE/setup.log"; say "set-up failed"; exit 1; }
. scripts/node-runtime.sh && hotline_use_node    # Node 24 from setup.sh where the machine's is older
if ! { [ -d node_modules/.bin ] && [ node_modules/.package-lock.json -nt package-lock.json ]; }; then
  say "installing npm packages (npm ci; log in $STATE/npm-ci.log)"
  npm ci --no-audit --no-fund --loglevel=error >"$STATE/npm-ci.log" 2>&1 || { cat "$STATE/npm-ci.log"; say "npm ci failed"; exit 1; }
fi

# ---- the server as plain JavaScript (dist/server, esbuild: well under a second): nothing is
# compiled when the process starts.
node scripts/build.mjs >"$STATE/build.log" 2>&1 || { cat "$STATE/build.log"; say "build failed"; exit 1; }

# ---- services: note which this run starts (not those already running, nor external ones)
services_out=$(bash scripts/services.sh start) || { printf '%s\n' "$services_out"; say "the local services did not start"; exit 1; }
printf '%s\n' "$services_out" | grep -v '^\[services\] wrote '
started=() kept=()
for s in postgres:PostgreSQL redis:Redis asterisk:Asterisk; do
  if grep -q "^\[services\] ${s%%:*}: running" <<<"$services_out"; then started+=("${s#*:}"); fi
  if grep -q "^\[services\] ${s%%:*}: already running" <<<"$services_out"; then kept+=("${s#*:}"); fi
done
list() { local IFS=,; local x="$*"; echo "${x//,/, }"; }
set -a
# shellcheck disable=SC1091
. "$STATE/services.env"
set +a
# Migrations run as the schema's owner, in a process of their own; the server then holds only the
# application role's URL (DATABASE_URL: rows, no DDL) and finds nothing left to apply.
node --enable-source-maps dist/server/cli.js migrate >"$STATE/migrate.log" 2>&1 || { cat "$STATE/migrate.log"; say "the database migrations failed"; exit 1; }
unset HOTLINE_MIGRATE_DATABASE_URL

server=
stopped=
stop_all() {
  [ -n "$stopped" ] && return 0
  stopped=1
  trap '' INT TERM
  if pid_alive "$server"; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -f "$SERVER_PIDF" "$STATE/server.address"
  if [ ${#kept[@]} -gt 0 ]; then
    # services.sh stops all three together: one that ran before npm start keeps all running.
    say "stopped the server; $(list "${started[@]}" "${kept[@]}") keep running (${kept[*]} ran before npm start): npm stop stops them"
  elif [ ${#started[@]} -gt 0 ]; then
    bash scripts/services.sh stop | grep -E 'ERROR' || true
    say "stopped: the server, $(list "${started[@]}")"
  else
    say "stopped the server"
  fi
}
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT

say "first administrator: user 'admin', password in $STATE/secrets.env (HOTLINE_ADMIN_PASSWORD)"
# In the background so this script stays to stop what it started, in a process group of its own
# (set -m) so that a terminal's Ctrl-C reaches this script only and the server gets exactly one
# SIGTERM from stop_all (close-with-grace exits at once on a second signal, skipping its drain).
# As root (the set-up needs it), the server itself drops to the service user setup.sh made
# (HOTLINE_SERVICE_USER, default hotline): setpriv execs node with that uid, so the pid is node's.
# It reads the checkout and writes nothing there. A checkout that user cannot read (under a
# closed home folder, say) keeps the server on root, and this says so.
as_user=()
run_as=${HOTLINE_SERVICE_USER:-hotline}
if [ "$(id -u)" -eq 0 ] && [ "$run_as" != root ]; then
  if ! id "$run_as" >/dev/null 2>&1; then
    say "no user '$run_as' (scripts/setup.sh makes it): the server runs as root"
  elif setpriv --reuid "$run_as" --regid "$run_as" --init-groups -- test -r dist/server/main.js -a -r node_modules/fastify/package.json -a -x "$(command -v node)" 2>/dev/null; then
    as_user=(setpriv --reuid "$run_as" --regid "$run_as" --init-groups --)
  else
    say "user '$run_as' cannot read $PWD (a parent folder is closed to it): the server runs as root; open the folder to it (chmod o+rx) or move the checkout"
  fi
fi
set -m
"${as_user[@]}" node --enable-source-maps dist/server/main.js &
server=$!
set +m
echo "$server" > "$SERVER_PIDF"
echo "http://${HOST:-127.0.0.1}:${PORT:-3000}" > "$STATE/server.address"
# Prefer the server's own exit status; a signal makes `wait` return early and runs the trap.
set +e
wait "$server"
rc=$?
set -e
stop_all
exit "$rc"
