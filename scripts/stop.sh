#!/usr/bin/env bash
# `npm stop`: stop what `npm start` (or `bash scripts/services.sh start`) left running for this
# checkout: the server by the pid `npm start` recorded, then PostgreSQL, Redis and Asterisk by
# the pids services.sh recorded. Nothing else is touched. Safe to run when nothing runs.
set -uo pipefail
cd "$(dirname "$0")/.."
STATE=${HOTLINE_STATE_DIR:-$PWD/.hotline}
SERVER_PIDF="$STATE/server.pid"
say() { printf 'hotline: %s\n' "$*"; }
pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

server=$(cat "$SERVER_PIDF" 2>/dev/null || true)
if [[ "$server" =~ ^[0-9]+$ ]] && pid_alive "$server" && tr "\0" " " <"/proc/$server/cmdline" 2>/dev/null | grep -q "dist/server/main.js"; then
  kill -TERM "$server"
  for _ in $(seq 150); do pid_alive "$server" || break; sleep 0.1; done
  if pid_alive "$server"; then kill -KILL "$server"; say "server (pid $server) did not stop in 15 s: killed"; else say "server (pid $server) stopped"; fi
else
  say "server: not running"
fi
rm -f "$SERVER_PIDF" "$STATE/server.address"
bash scripts/services.sh stop
