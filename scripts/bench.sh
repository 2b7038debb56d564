#!/usr/bin/env bash
# `npm run bench:<name>`: the same set-up as the tests (installs, local services), then
# bench/<name>.ts, which prints its figures side by side with the reference it is compared to.
#
# Like `npm test`, the bench runs in a private network namespace (scripts/pbx-netns.sh) with its
# own services (state in .hotline/bench): its SIP, RTP and ARI ports never meet another checkout's
# or a running `npm start`, so two benches (or a bench and a test run) on one machine do not
# collide on 127.0.0.1:5060/8088. HOTLINE_NO_NETNS=1 runs it on the host loopback instead.
set -uo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: scripts/bench.sh <acd|…>}
[ -f "bench/$name.ts" ] || { echo "no benchmark bench/$name.ts"; exit 2; }
if [ -z "${HOTLINE_IN_NETNS:-}" ]; then
  [ -d node_modules/.bin ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund || exit 1
  bash scripts/setup.sh >/dev/null || { echo "setup failed"; exit 1; }
fi
. scripts/node-runtime.sh && hotline_use_node || { echo "no Node 24"; exit 1; }
if [ -z "${HOTLINE_IN_NETNS:-}" ] && [ -z "${HOTLINE_ARI_URL:-}" ] && [ "$(id -u)" -eq 0 ] && [ -z "${HOTLINE_NO_NETNS:-}" ]; then
  export HOTLINE_IN_NETNS=1 HOTLINE_STATE_DIR=${HOTLINE_STATE_DIR:-$PWD/.hotline/bench}
  exec bash scripts/pbx-netns.sh bash scripts/bench.sh "$@"
fi
started_here=0
bash scripts/services.sh status >/dev/null 2>&1 || started_here=1
bash scripts/services.sh start >/dev/null || { echo "services failed to start"; exit 1; }
cleanup() { [ "$started_here" = 1 ] && bash scripts/services.sh stop >/dev/null 2>&1; }
trap cleanup EXIT
node --import tsx "bench/$name.ts"
