#!/usr/bin/env bash
# `npm test`: the whole suite on real parts. Installs what is missing, starts PostgreSQL,
# Redis and Asterisk for this checkout, runs the unit tests (in parallel) and the integration
# tests (one file at a time: they share one PBX), stops the services it started, and prints
# a closing "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
# Installing needs the network, so it happens before the re-run inside the namespace, once.
# setup.sh first: where the machine's node is older than 24 it provides Node 24, and everything
# after it (npm ci, tsc, eslint, tap, the server) runs on that node.
[ -n "${HOTLINE_IN_NETNS:-}" ] || bash scripts/setup.sh || { echo "setup failed"; exit 1; }
# shellcheck source=node-runtime.sh
. scripts/node-runtime.sh
hotline_use_node || { echo "0 passed, 1 failed: set-up (Node $HOTLINE_NODE_MAJOR)"; exit 1; }
[ -n "${HOTLINE_IN_NETNS:-}" ] || echo "node $(node -v) ($(command -v node))"
if [ -z "${HOTLINE_IN_NETNS:-}" ]; then
  [ -d node_modules/.bin ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund || exit 1
fi
# The suite runs in a private network namespace (scripts/pbx-netns.sh): its own loopback, so the
# tests' SIP, RTP and WebRTC never meet another process's ports or leave the machine, and WebRTC's
# ICE works as testbed.md describes. Installing (apt, npm) happened above, with the network. Its
# services keep their state apart (.hotline/netns) from a server the developer runs with `npm start`.
if [ -z "${HOTLINE_IN_NETNS:-}" ] && [ -z "${HOTLINE_ARI_URL:-}" ] && [ "$(id -u)" -eq 0 ] && [ -z "${HOTLINE_NO_NETNS:-}" ]; then
  root=${HOTLINE_PBX_ROOT:-/opt/hotline-pbx}
  other=$(cat "$root/run/asterisk/asterisk.pid" 2>/dev/null || true)
  if [ -n "$other" ] && kill -0 "$other" 2>/dev/null; then
    echo "an Asterisk (pid $other) already runs from $root; stop it first (bash scripts/services.sh stop), the tests start their own"
    echo "0 passed, 1 failed: set-up"
    exit 1
  fi
  export HOTLINE_IN_NETNS=1 HOTLINE_STATE_DIR=${HOTLINE_STATE_DIR:-$PWD/.hotline/netns}
  exec bash scripts/pbx-netns.sh bash scripts/test.sh "$@"
fi
started_here=0
if ! bash scripts/services.sh status >/dev/null 2>&1; then started_here=1; fi
bash scripts/services.sh start || { echo "services failed to start"; exit 1; }
cleanup() { [ "$started_here" = 1 ] && bash scripts/services.sh stop >/dev/null 2>&1; }
trap cleanup EXIT
echo "set-up took $(( $(date +%s) - t0 )) s"
mkdir -p test-artifacts
npx tsc --noEmit && npx tsc -p tsconfig.pages.json || { echo "0 passed, 1 failed: type check (server, or the pages against src/realtime/contract.ts)"; exit 1; }
npx eslint src test bench softphone public workspace || { echo "0 passed, 1 failed: lint"; exit 1; }
# Tests that run the server as its own process run the build, as production does (dist/server).
node scripts/build.mjs || { echo "0 passed, 1 failed: build (scripts/build.mjs)"; exit 1; }

summary() { # count assertions (leaf test points: subtest and file lines end with "# time=")
  # POSIX classes: Debian's awk (mawk) does not know \s.
  grep -E '^[[:space:]]*(not )?ok [0-9]+' "$1" | grep -vE '# time=[0-9.]+m?s$' | awk '/# (SKIP|TODO)/{k++; next} /^[[:space:]]*ok/{p++} /^[[:space:]]*not ok/{f++} END{printf "%d %d %d\n", p+0, f+0, k+0}'
}
rc=0
# Files are listed explicitly: tap's own directory expansion skips .ts files when its TypeScript
# plugin is off (we load TypeScript through tsx instead).
tests_in() { find "$@" -name '*.test.ts' | sort; }
mapfile -t unit_files < <(tests_in "${@:-test/unit}")
npx tap --reporter=tap --jobs=2 "${unit_files[@]}" > test-artifacts/unit.tap 2>&1 || rc=1
cat test-artifacts/unit.tap | grep -E '^(not )?ok|^# ' | tail -40
if [ $# -eq 0 ]; then
  mapfile -t integration_files < <(tests_in test/integration)
  npx tap --reporter=tap --jobs=1 "${integration_files[@]}" > test-artifacts/integration.tap 2>&1 || rc=1
  grep -E '^(not )?ok|^# |^    not ok' test-artifacts/integration.tap | tail -60
fi
read -r up uf us < <(summary test-artifacts/unit.tap)
ip=0; if_=0; is=0
[ -f test-artifacts/integration.tap ] && [ $# -eq 0 ] && read -r ip if_ is < <(summary test-artifacts/integration.tap)
echo "suite took $(( $(date +%s) - t0 )) s"
passed=$((up + ip)); failed=$((uf + if_)); skipped=$((us + is))
# A file that crashes before its first assertion shows no failed assertion: the runner's exit says it.
[ $rc -ne 0 ] && [ $failed -eq 0 ] && failed=1
[ $passed -eq 0 ] && { echo "no test ran"; rc=1; failed=$((failed > 0 ? failed : 1)); }
if [ $skipped -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
exit $rc
