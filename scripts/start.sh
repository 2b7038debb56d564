#!/usr/bin/env bash
# `npm start`: install what is missing (idempotent, fast on re-runs), start local PostgreSQL,
# Redis and Asterisk unless DATABASE_URL / REDIS_URL / HOTLINE_ARI_URL point elsewhere, then
# run the server in the foreground on 127.0.0.1 (HOST/PORT to change).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. scripts/node-runtime.sh && hotline_use_node    # Node 24 from setup.sh where the machine's is older
[ -d node_modules/.bin ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund
bash scripts/services.sh start
set -a
# shellcheck disable=SC1091
. "${HOTLINE_STATE_DIR:-$PWD/.hotline}/services.env"
set +a
echo "hotline: first administrator: user 'admin', password in ${HOTLINE_STATE_DIR:-$PWD/.hotline}/secrets.env (HOTLINE_ADMIN_PASSWORD)"
exec node --import tsx src/main.ts
