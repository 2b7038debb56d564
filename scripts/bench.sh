#!/usr/bin/env bash
# `npm run bench:<name>`: the same set-up as the tests (installs, local services), then
# bench/<name>.ts, which prints its figures side by side with the reference it is compared to.
set -uo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: scripts/bench.sh <acd|…>}
[ -f "bench/$name.ts" ] || { echo "no benchmark bench/$name.ts"; exit 2; }
[ -d node_modules/.bin ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund || exit 1
bash scripts/setup.sh >/dev/null || { echo "setup failed"; exit 1; }
started_here=0
bash scripts/services.sh status >/dev/null 2>&1 || started_here=1
bash scripts/services.sh start >/dev/null || { echo "services failed to start"; exit 1; }
cleanup() { [ "$started_here" = 1 ] && bash scripts/services.sh stop >/dev/null 2>&1; }
trap cleanup EXIT
node --import tsx "bench/$name.ts"
